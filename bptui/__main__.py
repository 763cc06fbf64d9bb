from bptui.cli import main

raise SystemExit(main())

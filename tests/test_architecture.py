"""Data flows one way: the core imports neither Textual nor Rich."""

import subprocess
import sys


def test_core_imports_no_textual_or_rich():
    code = (
        "import sys, bptui.core, bptui.core.engine.equations, bptui.core.teaching.check, bptui.core.engine.train, bptui.trace,"
        " bptui.core.graphs.graph, bptui.core.graphs.graph_stepper, bptui.core.graphs.expr, bptui.core.formats.spec,"
        " bptui.core.engine.explain, bptui.core.teaching.quiz, bptui.export;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""

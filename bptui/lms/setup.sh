#!/usr/bin/env bash
# Gradescope runs this once, when the autograder is built. bptui's run_autograder needs Python 3
# and its standard library only (no bptui, no pip packages).
set -euo pipefail
if ! command -v python3 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y python3
fi

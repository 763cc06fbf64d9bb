"""A program `bptui export --format pytorch/numpy` writes, run where PyTorch (or NumPy) is not installed,
says so on one line as bptui says an error, and exits with status 2: no traceback. (With its packages,
the programs run and pass: tests/test_codegen.py.)"""

import subprocess
import sys

import pytest

from bptui.cli import main

# runs the program with the packages named on the command line made impossible to import
RUN_WITHOUT = r"""
import runpy, sys
path, *missing = sys.argv[1:]
for name in missing:
    sys.modules[name] = None
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
"""


# each writer (the lecture's, a profile's, a graph's), each format, and NumPy's extra import (shapes' windows)
CASES = [("xor", None, "pytorch", ["torch"]), ("xor", "ng", "pytorch", ["torch"]),
         ("lecture13_expression", None, "pytorch", ["torch"]), ("shapes", None, "numpy", ["numpy"]),
         ("xor", "ng", "numpy", ["numpy"]), ("lecture13_expression", None, "numpy", ["numpy"]),
         ("xor", None, "pytorch", ["numpy", "torch"])]


@pytest.mark.parametrize("source, notation, fmt, missing", CASES)
def test_a_program_without_its_packages_says_what_to_install(tmp_path, capsys, source, notation, fmt, missing):
    out = tmp_path / "program.py"
    assert main(["export", source, "--format", fmt, "--output", str(out), "--steps", "1:2",
                 *(["--notation", notation] if notation else [])]) == 0
    capsys.readouterr()
    done = subprocess.run([sys.executable, "-c", RUN_WITHOUT, str(out), *missing], capture_output=True, text=True,
                          timeout=120)
    first = "numpy" if "numpy" in missing else "torch"  # (NumPy is imported first)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == f"error: {out}: this program needs {first}: pip install {first}\n"


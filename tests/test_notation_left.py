"""Notation profiles: the last defects of issue 23 (docs/notation.md), each with the printed text and values."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bptui.cli import main
from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import LatexPrinter, TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.examples import resolve
from bptui.exercise import pdflatex_command

from .conftest import HANG


def forward_lines(example: str, name: str, steps: int) -> list[tuple[str, str]]:
    """(text, LaTeX) of the first ``steps`` forward steps' equations of ``example`` in profile ``name``."""
    P = PROFILES[name]
    stepper = Stepper(load_any(resolve(example)), notation=P)
    text, latex = TextPrinter(4, notation=P), LatexPrinter(4, notation=P)
    out = []
    for _ in range(steps):
        step = stepper.forward()
        out += [(text.equation(e), " ".join(r for row in latex.rows(e) for r in row))
                for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)]
    return out


# -- ĝ inside an index is \hat{g} in LaTeX -----------------------------------------------------------------
def test_a_gate_that_gives_way_is_written_in_latex_inside_an_index():
    """goodfellow's LSTM cell candidate ĝ (his g is the δ) in a gate's index: a^{(1)}_{1,\\hat{g}}, as the
    symbol ĝ⁽¹⁾ itself is \\hat{g}; never \\text{\\^{g}}."""
    text, latex = forward_lines("long_memory_lstm", "goodfellow", 3)[1]
    assert "tanh(a⁽¹⁾_{1,ĝ})" in text
    assert r"\tanh(a^{(1)}_{1,\hat{g}})" in latex and r"\text" not in latex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
def test_an_lstm_page_in_goodfellow_compiles(tmp_path, capsys):
    tex = tmp_path / "doc.tex"
    assert main(["export", "long_memory_lstm", "--notation", "goodfellow", "--format", "latex", "--steps", "1:8",
                 "--output", str(tex)]) == 0
    doc = tex.read_text(encoding="utf-8")
    assert r"_{1,\hat{g}}" in doc and r"\text{\^{g}}" not in doc
    command, env = pdflatex_command("pdflatex", "doc.tex", str(tmp_path))  # as bptui runs it
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000

"""`bptui export`: golden files, the CSV against the stepper, LaTeX that compiles, big matrices elided."""

import csv
import io
import shutil
import subprocess

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.graphs.graph import gradient
from bptui.core.formats.spec import load_any
from bptui.core.engine.stepper import Stepper
from bptui.core.formulas.formula import LatexPrinter, Sym
from bptui.core.graphs.graph_ops import OPS
from bptui.core.util.escape import latex_text
from bptui.exercise import pdflatex_command
from bptui.export import bmatrix, export, tnum

from .conftest import EXAMPLES, GRAPH_EXAMPLES, HANG, NETWORKS, ROOT
from .helpers import random_rnn_spec, random_spec

GOLDEN = ROOT / "tests" / "golden"
EXT = {"markdown": "md", "latex": "tex", "csv": "csv"}


@pytest.mark.parametrize("fmt", EXT)
@pytest.mark.parametrize("name", ["xor", "lecture13"])
def test_golden(capsys, name, fmt):
    assert main(["export", str(NETWORKS / f"{name}.json"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out == (GOLDEN / f"{name}.{EXT[fmt]}").read_text(encoding="utf-8")


def test_output_file(tmp_path, capsys):
    out = tmp_path / "xor.md"
    assert main(["export", "xor", "--output", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text(encoding="utf-8") == (GOLDEN / "xor.md").read_text(encoding="utf-8")
    assert main(["export", "xor", "--output", str(tmp_path / "no" / "such" / "dir.md")]) == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("name", EXAMPLES[:4] + ["xor"])
def test_csv_is_every_scalar_of_the_stepper(capsys, name):
    assert main(["export", str(NETWORKS / f"{name}.json"), "--format", "csv", "--epochs", "2"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    spec = load_any(NETWORKS / f"{name}.json")
    stepper = Stepper(spec)
    by_step: dict = {}
    for r in rows:
        by_step.setdefault(int(r["step"]), []).append(r)
    assert sorted(by_step) == list(range(1, 2 * len(stepper.schedule) + 1))
    for i in sorted(by_step):
        step = stepper.forward()
        value = np.atleast_1d(np.asarray(step.value, dtype=float))
        got = by_step[i]
        assert len(got) == value.size
        assert {r["quantity"] for r in got} == {step.key.quantity}
        np.testing.assert_allclose([float(r["value"]) for r in got], value.ravel(), rtol=1e-11)


def test_csv_indices_follow_the_lecture(capsys):
    main(["export", "xor", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    o1 = [(r["row"], r["value"]) for r in rows if r["step"] == "2"]
    assert o1[0] == ("0", "1")  # the bias entry of a hidden layer's o is row 0
    w = [(r["row"], r["col"]) for r in rows if r["step"] == "37"]
    assert w == [(str(b), str(a)) for b in (1, 2) for a in (0, 1, 2)]


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_graph_csv_matches_the_gradient(capsys, name):
    main(["export", str(NETWORKS / f"{name}.json"), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    values, adjoints = gradient(load_any(NETWORKS / f"{name}.json"))
    for r in rows:
        expected = (values if r["quantity"] == "value" else adjoints)[r["node"]]
        assert float(r["value"]) == pytest.approx(float(expected), rel=1e-11)


def test_markdown_reads_as_a_handout():
    text = "\n".join(export(load_any(NETWORKS / "xor.json"), "markdown"))
    assert text.startswith("# Worked solution: xor")
    assert "## Epoch 1" in text and "### Example $n = 1$" in text and "### Update after all 4 examples" in text
    assert "s^{(1)} &= W^{(1)} o^{(0)}" in text
    assert r"\begin{bmatrix} 0.1 & 0.5 & -0.4 \\ -0.2 & 0.3 & 0.6 \end{bmatrix}" in text
    assert text.count("**Step ") == 38 and text.count("$$") == 2 * 38


def test_big_matrices_are_elided_and_the_reader_is_told():
    spec = random_spec([9, 8, 2], seed=1)
    text = "\n".join(export(spec, "markdown"))
    assert r"\cdots" in text and r"\vdots" in text and "elided" in text
    m = bmatrix(np.arange(80.0).reshape(8, 10))
    assert m.count(r"\\") == 5 and r"\ddots" in m and "79" in m


def test_latex_pieces():
    assert tnum(-0.4) == "-0.4" and tnum(1.5e-7) == r"1.5 \times 10^{-7}" and tnum(0.0) == "0"
    a, b, n1 = Sym("a"), Sym("b"), Sym("n1")
    latex = LatexPrinter()
    assert latex(OPS["div"].dtree(1, [a, b])) == r"\frac{-a}{b^{2}}"
    assert latex(OPS["sqrt"].tree([n1])) == r"\sqrt{\mathit{n1}}"
    assert latex_text("50% of ‖G⁽ˡ⁾‖ & $x_1") == r"50\% of $\|$\ensuremath{G^{(l)}}$\|$ \& \$x\_1"
    assert latex_text("(f⁽¹⁾ = tanh, δ⁽²⁾)") == r"(\ensuremath{f^{(1)}} = tanh, $\delta$\ensuremath{^{(2)}})"


def test_graph_epochs_are_refused(capsys):
    assert main(["export", "lecture13", "--epochs", "2"]) == 2
    assert "--epochs" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
@pytest.mark.parametrize("name", ["xor", "lecture13", "classifier"])
def test_latex_compiles(tmp_path, name):
    if name in ("xor", "lecture13"):
        tex = (GOLDEN / f"{name}.tex").read_text(encoding="utf-8")
    else:
        tex = "\n".join(export(load_any(NETWORKS / f"{name}.json"), "latex")) + "\n"
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    command, env = pdflatex_command("pdflatex", "doc.tex", str(tmp_path))  # as bptui runs it
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def _compiles(tmp_path, tex: str) -> None:
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    command, env = pdflatex_command("pdflatex", "doc.tex", str(tmp_path))  # as bptui runs it
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def test_latex_is_ascii_for_every_recurrent_network():
    """A raw τ (\\sum_{τ}) or any other non-ASCII symbol in math stops pdflatex: none is written."""
    specs = [load_any(NETWORKS / f"{name}.json") for name in ("parity", "long_memory")]
    specs += [random_rnn_spec(seed, n=2, return_sequences=True) for seed in (1, 3)]
    for spec in specs:
        tex = "\n".join(export(spec, "latex"))
        assert r"\sum_{\tau}" in tex or not spec.return_sequences
        assert tex.isascii(), sorted({c for c in tex if not c.isascii()})


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
def test_return_sequences_latex_compiles(tmp_path):
    _compiles(tmp_path, "\n".join(export(random_rnn_spec(1, n=2, return_sequences=True), "latex")) + "\n")


def test_latex_math_maps_every_symbol_of_the_table():
    from bptui.core.util.escape import LATEX_MATH, latex_math

    for ch, command in LATEX_MATH.items():
        assert latex_math(ch).strip() == command and latex_math(f"{ch}a").isascii()
    assert latex_math("τ−1") == r"\tau -1" and latex_math("β₁") == r"\beta_{1}" and latex_math("o⁽¹⁾") == "o^{(1)}"
    assert latex_math("中").isascii()
    printer = LatexPrinter()
    assert printer(Sym("δ", 1, time="τ−1")) == r"\delta^{(1)}_{\tau -1}"


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
@pytest.mark.parametrize("name", ["two_channel", "edges"])
def test_map_input_heading_has_no_bias(name, fmt):
    """A feature map input is the map x as the panel shows it, never o⁽⁰⁾ = [1, x]."""
    spec = load_any(NETWORKS / f"{name}.json")
    text = "\n".join(export(spec, fmt))
    assert "[1, x]" not in text
    x = spec.x_of(0)
    assert f"o^{{(0)}} = x = {bmatrix(np.asarray(x).reshape(spec.input_shape))}" in text


@pytest.mark.parametrize("notation, src", [("lecture13", "o^{(src)}"), ("ng", "a^{[src]}")])
def test_a_residual_networks_rules_note_writes_its_symbols_in_math(tmp_path, capsys, notation, src):
    """The rules' note "o⁽ˢʳᶜ⁾: the output before layer l in its own list …" in the LaTeX export: its symbols
    printed in math by the printer (it was text made in advance, whose ⁽src⁾ came out as o^{(} s r c^{)})."""
    out = tmp_path / "r.tex"
    assert main(["export", "deep_residual", "--format", "latex", "--output", str(out), "--steps", "1:3",
                 "--notation", notation]) == 0
    tex = out.read_text()
    assert rf"\text{{(}}{src}\text{{: the output before layer l in its own list" in tex
    assert r"\ensuremath{o^{(}}" not in tex and "sr\\ensuremath" not in tex

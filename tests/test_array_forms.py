"""One form for every array shown (issue 24 item 6): a vector or matrix written anywhere (the status
line's o⁽⁰⁾, the diagrams' boxes, the unrolled graph, LaTeX's joined columns) is written in one form,
fixed or scientific, by the panels' rule (numformat.significant_form), never ``0.069`` beside
``6.9e−2``; and an equation's array takes the form its panel shows it in."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.core.formulas.notation import mat, vec

NUMBER = re.compile(r"(?<![\w⁽⁾])−?\d+(?:\.\d+)?(?:e−?\d+)?")


def forms(text: str) -> set[str]:
    """The forms the numbers of ``text`` are written in: scientific or fixed (an integer reads either way)."""
    return {"e" if "e" in n else "f" for n in NUMBER.findall(text) if "e" in n or "." in n}


def test_a_vector_is_written_in_one_form():
    """o⁽⁰⁾ = [1, x] of the status line, a box of the diagrams: not 0.5 beside 4e−5."""
    assert vec([1.0, 0.5, 4e-5], 6) == "[1, 0.5, 0.00004]"  # the panels' rule: fixed fits its cell
    assert vec([1.0, 0.5, 4e-5], 4) == "[1e0, 5e−1, 4e−5]"  # 0.000040 would not
    assert vec([0.069, 0.00004, -0.4], 4) == "[6.9e−2, 4e−5, −4e−1]"  # −0.400000 would not fit its cell
    assert vec([0.5, 0.25, 1e-7], 4) == "[5e−1, 2.5e−1, 1e−7]"


def test_a_matrix_is_written_in_one_form_over_all_its_rows():
    """A row of small numbers does not turn scientific alone, nor one of big numbers fixed."""
    m = np.array([[0.5, -0.25], [1e-7, 3e-7]])
    text = mat(m, 4)
    assert text == "[[5e−1, −2.5e−1], [1e−7, 3e−7]]"
    assert forms(text) == {"e"}
    # an elided long vector: the form is the whole vector's, as the panel shows it
    long = np.concatenate([np.full(10, 0.5), [1e-7]])
    assert forms(vec(long, 4)) == {"e"}


def _steps(name: str, every: int = 1, most: int | None = None):
    """A bundled network's stepper after each of its steps (every ``every``-th, at most ``most``)."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load

    from .conftest import NETWORKS

    stepper = Stepper(load(NETWORKS / f"{name}.json"))
    n = len(stepper.schedule) if most is None else min(most, len(stepper.schedule))
    for i in range(n):
        stepper.forward()
        if i % every == 0:
            yield i, stepper


def mixed_arrays(lines: list[str]) -> list[str]:
    """The array literals of ``lines`` that mix fixed and scientific entries."""
    from .test_equation_format import text_arrays

    return [a for line in lines for a in text_arrays(line) if len(forms(a)) > 1]


@pytest.mark.parametrize("name,every,most", [("moons", 7, 600), ("iris", 7, 600), ("xor", 1, None),
                                             ("deep_sigmoid", 3, 300)])
def test_the_status_line_and_the_diagrams_write_each_array_in_one_form(name, every, most):
    """The status line's o⁽⁰⁾ = [1, x] = […], the computation graph's (c) boxes and the NN diagram's (d)
    units: a layer's s, o and δ written on its units, and its weights on the edges, in one form each, as
    the layer's panel writes the vector or matrix; no box's vector or matrix mixes the forms."""
    from bptui.tui.board_text import BoardText

    class Status(BoardText):
        """The app's status line of a stepper, without the app."""

        def __init__(self, stepper):
            self.stepper, self.spec, self.digits = stepper, stepper.spec, 4
            self.asked = self.app = self.score = None
    from bptui.tui.diagrams import UNIT_LINES, network_graph, network_graph_state, nn_diagram, nn_state

    bad: list = []
    seen = 0
    for i, stepper in _steps(name, every, most):
        spec = stepper.spec
        graph = network_graph_state(stepper, network_graph(spec, 4, None), 4)
        lines = [t for ls in graph.texts.values() for t in ls]
        lines.append(Status(stepper).status_text())
        bad += [(i, "c", a) for a in mixed_arrays(lines)]
        d = nn_diagram(spec, 4)
        nn = nn_state(stepper, d, 4)
        by_line: dict[tuple, set[str]] = {}
        for node, texts in nn.texts.items():
            if not node.startswith("u") or node.endswith("_0"):
                continue
            layer = node[1:].split("_")[0]
            values = [t.split(" = ", 1)[1] for t in texts if " = " in t][-(len(UNIT_LINES) if layer != "0" else 1):]
            for k, value in enumerate(values):
                by_line.setdefault((layer, k), set()).update(forms(value))
                seen += 1
        bad += [(i, "d", key, f) for key, f in by_line.items() if len(f) > 1]
        labels: dict[int, set[str]] = {}
        for e, (l, _, _) in (d.weight_edges or {}).items():
            labels.setdefault(l, set()).update(forms(nn.labels[e]))
        bad += [(i, "d W", l, f) for l, f in labels.items() if len(f) > 1]
    assert seen
    assert not bad, bad[:5]


@pytest.mark.parametrize("name", ["parity", "gru_parity"])
def test_the_unrolled_graph_writes_each_column_in_one_form(name):
    """The unrolled graph's box of a layer at τ: its s, o and δ columns each in the vector's one form."""
    from bptui.tui.unrolled import example_length, unrolled_graph, unrolled_state

    bad, seen = [], 0
    for i, stepper in _steps(name, 2, 400):
        d = unrolled_graph(stepper.net, example_length(stepper), 4, None)
        state = unrolled_state(stepper, d, 4)
        for node, lines in state.texts.items():
            if not node.startswith("h"):
                continue
            rows = [line.split() for line in lines if line.split() and NUMBER.match(line.split()[0])]
            for column in zip(*rows):
                seen += 1
                if len(forms(" ".join(column))) > 1:
                    bad.append((i, node, column))
    assert seen
    assert not bad, bad[:5]


def test_latex_joins_a_vectors_parts_in_one_form():
    """export's [1, x_τ, o_{τ−1}] (and [1, σ(…)]): one column, every number in the joined vector's one form,
    as the text writes it; not a column of columns whose parts choose their form each."""
    from bptui.core.formulas.formula import Arr, Call, LatexPrinter, ONE, Op, TextPrinter

    joined = Op("cat", (Arr(np.array([1.0, 0.0])), Arr(np.array([-0.67978, 0.5, 1e-7]))))
    latex = LatexPrinter(4).p(joined)
    assert latex == (r"\begin{bmatrix} 1 \times 10^{0} \\ 0 \\ -6.798 \times 10^{-1} \\ 5 \times 10^{-1} \\ "
                     r"1 \times 10^{-7} \end{bmatrix}")
    assert TextPrinter(4).p(joined) == "[1e0, 0, −6.798e−1, 5e−1, 1e−7]"  # the text's one vector alike
    fixed = Op("cat", (Arr(np.array([1.0, 0.0])), Arr(np.array([-0.67978, 0.04187]))))
    assert LatexPrinter(4).p(fixed) == r"\begin{bmatrix} 1 \\ 0 \\ -0.6798 \\ 0.04187 \end{bmatrix}"
    # [1, σ(s)] with the arguments in one form; a long joined column is cut as an array is
    ones = Op("cat1", (Call("tanh", (Arr(np.array([0.5, 1e-7])),)),))
    assert LatexPrinter(4).p(ones) == (r"\begin{bmatrix} 1 \\ \tanh(5 \times 10^{-1}) \\ \tanh(1 \times 10^{-7}) "
                                       r"\end{bmatrix}")
    long = Op("cat", (Arr(np.array([1.0])), Arr(np.arange(1.0, 11.0) / 8)))
    assert LatexPrinter(4).p(long).count(r"\\") == 5 and r"\vdots" in LatexPrinter(4).p(long)
    assert ONE.exact


def panel_arrays(stepper) -> list[tuple[int, str, np.ndarray, str]]:
    """(layer, name, values, form: "f" or "e") of every array the panels show on the stepper's board, as the
    panels' widgets choose their formats, and of each column of a residual block's x | F(x) and of its fan-in's
    parts (shown in their block's format)."""
    from bptui.core.formulas.numformat import SCIENTIFIC
    from bptui.tui.block_sheet import BlockSheet
    from bptui.tui.panels import network_panels

    out = []
    for panel in network_panels(stepper, 4):
        v, formats = panel.view, panel._formats
        named = [(q, getattr(v, q)) for q in ("W", "G", "s", "o", "delta")] + list(v.optimizer)
        for q, a in named:
            if a is None or id(a) not in formats:
                continue
            form = "e" if formats[id(a)] == SCIENTIFIC else "f"
            a = np.asarray(a, dtype=float)
            out.append((v.layer, q, a, form))
            if isinstance(panel, BlockSheet) and q in ("W", "G"):
                out += [(v.layer, f"{q}[:, {c}]", a[:, c], form) for c in range(a.shape[1])]
    return out


@pytest.mark.parametrize("name", ["deep_residual", "moons", "iris"])
def test_an_equations_array_takes_the_form_its_panel_shows_it_in(name):
    """On every step, each vector or matrix of the equation line that a panel shows (the quantity it names, of
    its layer; or, unnamed, an array a panel shows: a residual block's fan-in part) is written in the form the
    panel writes it in, fixed or scientific, with the digits the last-digit rule gives it: deep_residual's
    ∂ℓ/∂x⁽⁵⁾ = … = [−1.432e−4, …] as its block's panel, not [−0.0001432, …]."""
    from bptui.core.engine.equations import step_equation, step_equations
    from bptui.core.formulas.formula import Arr, TextPrinter, walk

    bad, seen = [], 0
    for i, stepper in _steps(name):
        step = stepper.last
        line = step_equation(stepper, step, 4)
        shown = panel_arrays(stepper)
        printer = TextPrinter(4, notation=stepper.notation)
        for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, None, stepper.notation):
            eq = printer.planned(eq)
            for a in (n for f in eq.forms for n in walk(f) if isinstance(n, Arr)):
                ref = a.ref
                named = ref is not None and ref.index is None and ref.view == ""
                if ref is not None and not named or np.nanmax(np.abs(a.values), initial=0) >= 1e4:
                    continue  # an entry's or a view's array; or one fixed decimals would write past its digits
                panel = {form for l, q, values, form in shown
                         if (not named or (l, q) == (ref.layer, ref.quantity))
                         and values.shape == a.values.shape and np.array_equal(values, a.values)}
                if len(panel) != 1:
                    continue  # no panel shows it (or two panels, in two forms)
                text = printer.p(a)
                assert text in line, (i, text, line)
                seen += 1
                if not forms(text) <= panel:
                    bad.append((i, text, panel))
    assert seen
    assert not bad, bad[:5]


@pytest.mark.parametrize("x,digits,text", [(9.9996e-5, 4, "1e−4"), (0.00001234, 6, "0.00001234"),
                                           (0.0001234, 4, "0.0001234"), (1.234e-5, 4, "1.234e−5"),
                                           (12345.0, 4, "1.234e4"), (-0.5, 4, "−0.5")])
def test_a_number_alone_takes_the_form_it_takes_in_a_vector(x, digits, text):
    """trace's and export's numbers that no array holds (η, a loss, a scalar's value): the rule of an array of
    one (of its magnitude: −x reads as x), not %g's (which writes 9.9996e−5 as 0.0001 at 4 digits where a
    vector writes 1e−4, and 1.234e−05 at 6 where a vector writes 0.00001234); the real minus in text,
    LaTeX's 10^{…} for the scientific form."""
    from bptui.core.formulas.formula import LatexPrinter, Num, TextPrinter
    from bptui.core.formulas.notation import num
    from bptui.export import tnum

    assert num(x, digits) == text == vec([x], digits)[1:-1]
    assert num(-x, digits).lstrip("−") == text.lstrip("−")  # its negative in the same form
    assert TextPrinter(digits).p(Num(x)) == text
    assert ("times 10^" in tnum(x, digits)) == ("e" in text)
    assert LatexPrinter(digits).p(Num(x)) == tnum(x, digits)


def test_a_number_that_is_not_finite_alone():
    """An overflowed scalar in an equation (∞, nan) has no form to choose: written as it is."""
    from bptui.core.formulas.formula import Num, TextPrinter
    from bptui.core.formulas.notation import num

    assert [TextPrinter(4).p(Num(x)) for x in (float("nan"), float("inf"), -float("inf"), 0.0)] == ["nan", "∞", "−∞", "0"]
    assert num(float("nan"), 4) == "nan"

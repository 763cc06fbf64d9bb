"""One format per array in an equation (issue 24 item 6): a vector or matrix in an equation line is
written in one form, fixed or scientific, for all its entries, chosen by the panels' rule
(``numformat``), in the app's line, ``trace`` and ``export`` (text and LaTeX) alike; each entry keeps
its significant digits, so every calculation still checks to its last digit (formula_checks)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.core.engine.equations import step_equation, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import Arr, LatexPrinter, TextPrinter
from bptui.core.formulas.numformat import FIXED, SCIENTIFIC, extent, format_of

from .conftest import NETWORKS

NUMBER = re.compile(r"(?<![\w⁽⁾])−?\d+(?:\.\d+)?(?:e−?\d+)?")
NOTE = re.compile(r"\((?:\d+ values|\d+ channels|\d+×\d+)\)")
PURE = re.compile(r"^[\d.e−,;\s\[\]…?]*$")  # an array literal: numbers, brackets, commas, the elision


def forms(numbers: list[str]) -> set[str]:
    """The forms the numbers are written in: scientific (an exponent), fixed (a decimal point); an
    integer (0, 1, 12) reads either way."""
    return {"e" if "e" in n else "f" for n in numbers if "e" in n or "." in n}


def text_arrays(line: str) -> list[str]:
    """Every array literal of a text line that is not inside a larger one: a bracket group of numbers
    only (a matrix's rows, a feature map's channels inside it); ``[1, x]`` and ``[A │ B]`` are not
    one array, the arrays inside them are."""
    line = NOTE.sub("", line)
    opened: list[int] = []
    groups: list[tuple[int, int]] = []
    for i, ch in enumerate(line):
        if ch == "[":
            opened.append(i)
        elif ch == "]" and opened:
            groups.append((opened.pop(), i + 1))
    pure = [(a, b) for a, b in groups if PURE.match(line[a:b])]
    return [line[a:b] for a, b in pure if not any(c <= a and b <= d and (c, d) != (a, b) for c, d in pure)]


def latex_arrays(rows: str) -> list[list[str]]:
    """The cells of every innermost bmatrix of LaTeX rows."""
    out = []
    for body in re.findall(r"\\begin\{bmatrix\}((?:(?!\\begin\{bmatrix\}).)*?)\\end\{bmatrix\}", rows):
        out.append([c.strip() for c in re.split(r"&|\\\\", body)])
    return out


def latex_forms(cells: list[str]) -> set[str]:
    found = set()
    for c in cells:
        if r"\times 10^" in c:
            found.add("e")
        elif re.search(r"\d\.\d", c):
            found.add("f")
    return found


def test_an_adam_updates_vector_is_written_in_one_form():
    """parity's v̂ of issue 24: 9.894e−6 beside 0.0001021 beside 3.373e−5 reads as three formats."""
    v = np.array([[9.894e-6], [0.0001021], [3.373e-5]])
    assert TextPrinter(4).p(Arr(v)) == "[[9.894e−6], [1.021e−4], [3.373e−5]]"
    assert LatexPrinter(4).p(Arr(v)) == (r"\begin{bmatrix} 9.894 \times 10^{-6} \\ 1.021 \times 10^{-4} \\ "
                                         r"3.373 \times 10^{-5} \end{bmatrix}")
    # a vector the panels write in fixed decimals keeps them: %g's 4e−05 is written 0.00004 beside 0.5
    assert TextPrinter(6).p(Arr(np.array([0.5, 4e-5]))) == "[0.5, 0.00004]"


@pytest.mark.parametrize("values,digits", [
    ([9.894e-6, 0.0001021, 3.373e-5], 4), ([0.069, 0.0004, 0.4], 4), ([0.069, 0.00004, -0.4], 4),
    ([12345.0, 0.5], 4), ([123.0, 0.5], 2), ([1e-5, 0.5], 8), ([2.5, -1.25, 0.0], 3)])
def test_the_form_is_the_panels_choice(values, digits):
    """Scientific exactly where the panels' rule (numformat.format_of) chooses it, or where a fixed form would
    write more integer digits than the significant digits shown (12345 at 4 digits: 1.235e4, not 12350)."""
    text = TextPrinter(digits).p(Arr(np.array(values)))
    panel = format_of(extent(np.array(values)), digits)
    big = max(abs(x) for x in values) >= 10 ** digits - 0.5
    assert forms(NUMBER.findall(text)) <= ({"e"} if panel == SCIENTIFIC or big else {"f"}), (text, panel)
    assert panel in (FIXED, SCIENTIFIC) or panel.startswith(FIXED)


def _lines(name: str, steps: int | None):
    stepper = Stepper(load_any(NETWORKS / f"{name}.json"))
    for i in range(steps or len(stepper.schedule)):
        step = stepper.forward()
        yield stepper, step, i


@pytest.mark.parametrize("name,steps", [("xor", None), ("moons", 60), ("iris", 60), ("parity", None),
                                        ("edges", 80)])
def test_no_array_in_an_equation_mixes_fixed_and_scientific(name, steps):
    """Every equation line of the app and trace (text) and of export (LaTeX rows): no array literal has
    an entry in fixed decimals beside one in scientific form."""
    mixed, seen = [], 0
    for stepper, step, i in _lines(name, steps):
        line = step_equation(stepper, step, 4)
        for a in text_arrays(line):
            seen += 1
            if len(forms(NUMBER.findall(a))) > 1:
                mixed.append((i, a))
        latex = LatexPrinter(4, notation=stepper.notation)
        for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, None, stepper.notation):
            for cells in latex_arrays(repr(latex.rows(e))):
                seen += 1
                if len(latex_forms(cells)) > 1:
                    mixed.append((i, " & ".join(cells)))
    assert seen > 0
    assert not mixed, mixed[:5]


def test_a_hidden_entry_does_not_decide_the_form():
    """The quiz's ? and an exercise's blanks: the form is chosen over the numbers shown, so a tiny answer
    does not turn its vector scientific (a hint); shown, it does."""
    v = np.array([0.5, 0.25, 1e-7])
    assert TextPrinter(4).p(Arr(v)) == "[5e−1, 2.5e−1, 1e−7]"
    assert TextPrinter(4).p(Arr(v, hidden=(2,))) == "[0.5, 0.25, ?]"
    assert "1e−7" not in TextPrinter(4).p(Arr(v, blanks=(((2,), 1, True),)))
    assert "10^{-1}" not in LatexPrinter(4).p(Arr(v, hidden=(2,)))

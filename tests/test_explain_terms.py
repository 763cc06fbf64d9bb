"""How many terms an explanation shows: every one when the caller has room (the side panel says how
many fit), and when some must be left out, the zero ones first, never a non-zero one in their place."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import Num, TextPrinter, mul
from bptui.core.teaching.explain import MAX_TERMS, Cell, explain

from .conftest import NETWORKS
from .tui_helpers import app_for


def _conv_terms(stepper: Stepper, k: int, i: int, j: int) -> tuple[str, list[str], list[str]]:
    """Output (k, i, j) of two_channel's first conv layer: its bias and its non-zero and zero
    products w·o as the explanation writes them (stride 2, 2×2 kernels over 2 channels)."""
    spec, st = stepper.spec, stepper.state
    kind = spec.layer_kinds[0]
    W, o = st.W[1], st.o[0]
    printer = TextPrinter(4)
    nonzero, zero = [], []
    for c in range(kind.in_shape[0]):
        for u in range(kind.kernel[0]):
            for v in range(kind.kernel[1]):
                col = 1 + int(np.ravel_multi_index((c, u, v), (kind.in_shape[0],) + kind.kernel))
                w, x = float(W[k, col]), float(o[c, 2 * i + u, 2 * j + v])
                (zero if w * x == 0 else nonzero).append(printer.p(mul(Num(w), Num(x))))
    return printer.p(Num(float(W[k, 0]))), nonzero, zero


def _stepped(name: str, steps: int) -> Stepper:
    stepper = Stepper(load_any(NETWORKS / f"{name}.json"))
    for _ in range(steps):
        stepper.forward()
    return stepper


def _sum_line(text: str) -> str:
    return next(line for line in text.splitlines() if "·" in line and "Σ" not in line)


def test_zero_terms_are_left_out_before_non_zero_ones():
    stepper = _stepped("two_channel", 1)
    cell = Cell("s", 1, (0, 0, 0), kind=stepper.spec.layer_kinds[0])
    bias, nonzero, zero = _conv_terms(stepper, 0, 0, 0)
    assert len(zero) == 5 and 1 + len(nonzero) + len(zero) == 9 > MAX_TERMS  # channel 1 is 0 there, and a pixel of 2
    text = explain(stepper, cell).text()
    line = _sum_line(text)
    assert all(term in line for term in nonzero) and bias in line
    assert f"(9 terms, {len(zero)} zero terms not shown)" in line


def test_the_caller_says_how_many_terms_fit():
    stepper = _stepped("two_channel", 1)
    cell = Cell("s", 1, (0, 0, 0), kind=stepper.spec.layer_kinds[0])
    bias, nonzero, zero = _conv_terms(stepper, 0, 0, 0)
    e = explain(stepper, cell)
    line = _sum_line(e.text(max_terms=9))
    assert "…" not in line and "not shown" not in line
    assert line.count("·") == len(nonzero) + len(zero) and all(t in line for t in nonzero + zero)
    assert e.text(max_terms=MAX_TERMS) == e.text()  # the default is today's


def test_many_non_zero_terms_still_elide_their_middle():
    stepper = _stepped("edges", 1)  # 3×3 kernels over noisy pixels: 10 terms, none zero
    e = explain(stepper, Cell("s", 1, (0, 1, 1), kind=stepper.spec.layer_kinds[0]))
    assert "(10 terms, 5 not shown)" in e.text() and "…" in e.text()
    assert "…" not in _sum_line(e.text(max_terms=10))


@pytest.mark.asyncio
async def test_the_side_panel_shows_every_term_of_a_conv_output():
    """At 120×40 the side panel has room for all 9 terms of two_channel's first output."""
    from bptui.tui.map_sheet import MapSheet

    app = app_for("two_channel")
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_next()
        await pilot.pause()
        sheet = app.query_one("#layer-1", MapSheet)
        sheet.focus()
        await pilot.pause()
        sheet.cursor = [c[2] for c in sheet.cells].index(("s", 1, (0, 0, 0), None))
        await pilot.press("right", "left")  # the bindings move the cursor and post the cell
        await pilot.pause()
        await pilot.pause()
        panel = app.query_one("#explain").text
        bias, nonzero, zero = _conv_terms(app.main.stepper, 0, 0, 0)
        line = _sum_line(panel)
        assert "…" not in line and "not shown" not in line, panel
        assert line.count("·") == 8 and bias in line and all(t in line for t in nonzero + zero), panel


def test_a_quiz_hint_leaves_out_zero_terms_first():
    from bptui.core.teaching.quiz import ask, hint

    stepper = Stepper(load_any(NETWORKS / "two_channel.json"))
    step = stepper.forward()
    question = ask(stepper, step, cell=Cell("s", 1, (0, 0, 0), kind=stepper.spec.layer_kinds[0]))
    bias, nonzero, zero = _conv_terms(stepper, 0, 0, 0)
    text = hint(stepper, question)
    assert bias in text and all(t in text for t in nonzero) and text.endswith("= ?")
    every = hint(stepper, question, max_terms=9)
    assert "…" not in every and all(t in every for t in nonzero + zero)

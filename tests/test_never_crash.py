"""The app never exits on an exception of its own; inf and nan are shown, not raised on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.widgets import Input

from bptui.core.formats.spec import parse
from bptui.tui.app import BptuiApp
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import FIXED, SCIENTIFIC, cell, number_format

from .tui_helpers import app_for


def huge_spec():
    """1-1 with identity output and weights near the largest float: s⁽¹⁾ overflows to ∞."""
    return parse({
        "name": "huge", "layers": [{"units": 1}, {"units": 1, "activation": "identity"}],
        "weights": [[[1e308, 1e308]]], "loss": "squared",
        "data": {"inputs": [[1.0], [2.0]], "targets": [[0.0], [1.0]]},
        "training": {"learning_rate": 0.1},
    }, "huge.json")


def test_cell_shows_inf_and_nan():
    assert cell(math.inf, 4) == "∞" and cell(-math.inf, 4) == "−∞" and cell(math.nan, 4) == "nan"
    assert cell(np.float64("inf"), 2, SCIENTIFIC) == "∞"


def test_one_format_per_matrix():
    W = np.array([[0.069, 0.47], [0.5, -0.25]])
    assert number_format(W, 2) == "f3"  # 0.069 keeps two digits with one more decimal: all of W then
    assert [cell(x, 2, number_format(W, 2)) for x in W.ravel()] == ["0.069", "0.470", "0.500", "−0.250"]
    tiny = np.array([[0.00069, 0.47], [0.5, -0.25]])  # 0.00069 would need 5 decimals, wider than 6.9e−4
    texts = [cell(x, 2, number_format(tiny, 2)) for x in tiny.ravel()]
    assert number_format(tiny, 2) == SCIENTIFIC and texts == ["6.9e−4", "4.7e−1", "5.0e−1", "−2.5e−1"], texts
    assert number_format(W, 4) == FIXED
    assert [cell(x, 4, FIXED) for x in W.ravel()] == ["0.0690", "0.4700", "0.5000", "−0.2500"]
    assert number_format(np.array([0.0, math.nan, math.inf, 0.5]), 4) == FIXED  # ∞, nan, 0 do not decide
    assert number_format(None, 4) == FIXED


async def test_fewer_digits_keep_one_format_in_a_panel():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.stepper.edit_weight(1, 0, 0, 0.069)
        app.main.revision += 1  # the board changed without a move
        for _ in range(2):
            await pilot.press("minus")
        await pilot.pause()
        sheet = app.query_one("#layer-1", LayerSheet)
        row = sheet.render_line(3).text  # b=1
        numbers = [t for t in row.split()[1:5] if t != "│"]  # W's bias, a=1, a=2
        assert all("e" in n for n in numbers) or not any("e" in n for n in numbers), row


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy says it overflowed: that is the point
async def test_overflow_to_inf_and_nan_does_not_crash_the_app():
    app = BptuiApp(huge_spec())
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(len(app.stepper.schedule) + 3):
            app.main.action_next()
        await pilot.press("n", "p", "plus", "minus", "f", "b", "u", "e")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        text = "\n".join(app.query_one("#layer-1", LayerSheet).render_line(y).text for y in range(6))
        assert "∞" in text or "nan" in text, text


@pytest.mark.says_an_error
async def test_an_action_that_raises_says_so_and_the_app_carries_on(monkeypatch):
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        def broken():
            raise ZeroDivisionError("on purpose")

        monkeypatch.setattr(app.stepper, "forward", broken)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        message = str(app.query_one("#message").render())
        assert "Something went wrong: ZeroDivisionError: on purpose" in message
        monkeypatch.undo()
        await pilot.press("n")
        await pilot.pause()
        assert app.stepper.position == 1


@pytest.mark.says_an_error
async def test_a_handler_that_raises_in_a_widget_says_so(monkeypatch):
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        def broken(self, event):
            raise RuntimeError("click handler")

        monkeypatch.setattr(LayerSheet, "on_click", broken)
        await pilot.click("#layer-1", offset=(10, 3))
        await pilot.pause()
        assert app.is_running and "RuntimeError: click handler" in str(app.query_one("#message").render())
        monkeypatch.undo()
        await pilot.press("n")
        await pilot.pause()
        assert app.stepper.position == 1


async def test_a_click_in_a_panel_names_whole_cells():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        sheet = app.query_one("#layer-1", LayerSheet)
        sheet.scroll_to(y=0.0, animate=False)  # scroll offsets are floats, as in the browser
        x = sheet._column_x(1) + 2
        await pilot.click("#layer-1", offset=(sheet.gutter.left + x, sheet.gutter.top + 3))
        await pilot.pause()
        assert app.main.cell is not None and all(isinstance(v, int) for v in app.main.cell[1:] if v is not None), app.main.cell
        assert app.query_one("#explain").display


@pytest.mark.parametrize("keys", [("enter", "enter"), ("enter", "enter", "enter")])
async def test_two_enters_in_a_prompt_do_not_crash(keys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        # train's epochs prompt, the save prompt, and the weight editor's
        for opener in (("t",), ("w",), ("tab", "enter")):
            await pilot.press(*opener)
            await pilot.pause()
            prompt = app.screen
            box = prompt.query_one(Input)
            for _ in keys:  # the Enters arrive together, before the prompt has gone
                prompt.on_input_submitted(Input.Submitted(box, box.value))
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            while len(app.screen_stack) > 1:
                await pilot.press("escape")
                await pilot.pause()
            assert app.is_running and app.return_code is None
            assert "went wrong" not in str(app.query_one("#message").render())


def test_the_gradient_check_table_reads_inf_and_nan():
    from bptui.tui.gradcheck import _error_text, _sci

    assert [_sci(x) for x in (0.5, math.inf, -math.inf, math.nan)] == [" 5.000000e−1", " ∞", "−∞", " nan"]
    assert [_error_text(x) for x in (1e-9, math.inf, math.nan)] == ["1.00e−9", "∞", "nan"]

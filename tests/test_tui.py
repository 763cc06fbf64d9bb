"""The app, driven headless: keys, values on screen against the trace, quitting."""

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.tui.app import BptuiApp
from bptui.tui.help import HelpScreen
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell

from .tui_helpers import app_for, big_spec


def screen_text(app) -> str:
    """Every line the layer panels draw, as text (what a student reads)."""
    lines = [str(app.query_one("#status").render())]
    for sheet in app.query(LayerSheet):
        lines += [sheet.render_line(y).text for y in range(sheet.size.height)]
    return "\n".join(lines)


def trace_rows(capsys, name, epochs=1):
    main(["trace", name, "--format", "json", "--epochs", str(epochs)])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


async def test_stepping_shows_the_trace_values(capsys):
    rows = trace_rows(capsys, "xor")
    app = app_for("xor")
    async with app.run_test(size=(140, 40)) as pilot:
        for row in rows:
            app.action_next()
            await pilot.pause()
            assert str(app.query_one("#equation").render()) == row["equation"]
            shown = screen_text(app)
            for x in np.ravel(row["value"])[:6]:
                assert cell(x, app.digits) in shown, (row["step"], x)
        # and back again: every earlier step's equation and values come back exactly
        for row in reversed(rows[:-1]):
            app.action_prev()
            await pilot.pause()
            assert app.stepper.position == row["step"]
            assert str(app.query_one("#equation").render()) == row["equation"]
            np.testing.assert_array_equal(np.asarray(app.stepper.last.value), np.asarray(row["value"]))


@pytest.mark.parametrize("keys,position", [
    (["n"], 1), (["right"], 1), (["space"], 1), (["n", "n", "p"], 1), (["n", "n", "left"], 1),
    (["f"], 5), (["f", "f"], 14), (["b"], 9), (["n", "b"], 9), (["u"], 38), (["e"], 38), (["u", "e"], 76),
    (["u", "r"], 0),
])
async def test_keys_move_as_documented(keys, position):
    app = app_for("xor")
    async with app.run_test() as pilot:
        await pilot.press(*keys)
        assert app.stepper.position == position


async def test_update_key_in_per_example_mode():
    app = app_for("regression")  # per_example: the update follows each example
    async with app.run_test() as pilot:
        await pilot.press("u")
        assert app.stepper.position == 9 + 2 and app.stepper.last.key.phase == "update"


async def test_digits_help_and_quit():
    app = app_for("xor")
    async with app.run_test() as pilot:
        await pilot.press("n", "plus", "plus")
        assert app.digits == 6 and "0.100000" in screen_text(app)
        await pilot.press("minus", "minus", "minus")
        assert app.digits == 3 and "0.100" in screen_text(app) and "0.1000" not in screen_text(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "o⁽⁰⁾ = [1, x]" in help_text and "previous step" in help_text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_previous_at_the_start_says_so():
    app = app_for("xor")
    async with app.run_test() as pilot:
        await pilot.press("p")
        assert app.stepper.position == 0
        assert "first step" in str(app.query_one("#message").render())


async def test_not_yet_computed_values_are_blank_and_the_last_is_marked():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n")  # s⁽¹⁾, o⁽¹⁾
        layer1 = app.query_one("#layer-1", LayerSheet)
        text = "\n".join(layer1.render_line(y).text for y in range(layer1.size.height))
        assert "▶ o⁽¹⁾" in text and "0.0997•" in text
        layer2 = app.query_one("#layer-2", LayerSheet)
        row = layer2.render_line(2).text  # b=1 of layer 2 (after 2 header lines): s, o, δ still blank
        assert row.count("·") == 3


async def test_a_large_network_opens_and_steps():
    app = BptuiApp(big_spec())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "n", "n", "n", "n", "p")
        assert app.stepper.position == 5
        layer1 = app.query_one("#layer-1", LayerSheet)
        header = layer1.render_line(1).text
        shown = header.count("a=") + 1  # bias and a=1..k
        assert f"+{785 - shown}…" in header and 2 <= shown <= 8
        assert layer1.size.height <= 18  # the panel scrolls instead of growing


async def test_cursor_explain_and_edit_a_weight():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "tab")  # s⁽¹⁾ and o⁽¹⁾ done; the cursor goes into layer 1
        await pilot.pause()
        sheet = app.query_one("#layer-1", LayerSheet)
        assert app.focused is sheet and app.query_one("#explain").display
        assert sheet.cursor_cell == ("W", 1, 0, 0)
        await pilot.press("right", "down")
        await pilot.pause()
        assert sheet.cursor_cell == ("W", 1, 1, 1)
        assert "w⁽¹⁾_2,1 = 0.3" in str(app.query_one("#explain").render())
        assert "[0.3000]" in screen_text(app)  # the cursor is visible without colour
        await pilot.press("enter")
        await pilot.press("ctrl+u", *"0.9", "enter")
        assert app.stepper.state.W[1][1, 1] == 0.9 and app.stepper.position == 2
        await pilot.press("escape")  # leave the panel: arrows step again
        await pilot.pause()
        assert not app.query_one("#explain").display
        await pilot.press("right")
        assert app.stepper.position == 3


async def test_editing_a_non_weight_or_typing_nonsense_changes_nothing():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "tab", "right", "right", "right")  # the s⁽¹⁾ column
        assert app.query_one("#layer-1", LayerSheet).cursor_cell == ("s", 1, 0, None)
        await pilot.press("enter")
        assert "Only weights can be edited" in str(app.query_one("#message").render())
        await pilot.press("left", "enter", "ctrl+u", *"abc", "enter")
        assert "not a number" in str(app.query_one("#message").render())
        np.testing.assert_array_equal(app.stepper.state.W[1], app.spec.weights[0])


async def test_save_writes_a_valid_network_file(tmp_path):
    from bptui.core.spec import load

    app = app_for("xor")
    target = tmp_path / "saved.json"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u", "w", "ctrl+u", *str(target), "enter")
        assert "Saved" in str(app.query_one("#message").render())
    saved = load(target)
    for a, b in zip(saved.weights, app.stepper.weights):
        np.testing.assert_array_equal(a, b)

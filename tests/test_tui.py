"""The app, driven headless: keys, values on screen against the trace, quitting."""

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.tui.app import BptuiApp
from bptui.tui.help import HelpScreen
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell, number_format

from .conftest import NETWORKS
from .tui_helpers import app_for, big_spec, trace_rows, until


def screen_text(app) -> str:
    """Every line the layer panels draw, as text (what a student reads)."""
    lines = [str(app.query_one("#status").render())]
    for sheet in app.query(LayerSheet):
        lines += [sheet.render_line(y).text for y in range(sheet.size.height)]
    return "\n".join(lines)


async def test_stepping_shows_the_trace_values(capsys):
    rows = trace_rows(capsys, "xor", epochs=1)
    app = app_for("xor")
    async with app.run_test(size=(140, 40)) as pilot:
        for row in rows:
            app.main.action_next()
            await pilot.pause()
            assert str(app.query_one("#equation").render()) == row["equation"]
            shown = screen_text(app)
            for x in np.ravel(row["value"])[:6]:
                assert cell(x, app.main.digits) in shown, (row["step"], x)
        # and back again: every earlier step's equation and values come back exactly
        for row in reversed(rows[:-1]):
            app.main.action_prev()
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
        assert app.main.digits == 6 and "0.100000" in screen_text(app)
        await pilot.press("minus", "minus", "minus")
        assert app.main.digits == 3 and "0.100" in screen_text(app) and "0.1000" not in screen_text(app)
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
        from bptui.core.teaching.explain import Cell, explain

        panel = app.query_one("#explain").text
        assert panel.startswith(explain(app.stepper, Cell("W", 1, 2, 1)).text())  # w₂,₁⁽¹⁾ = 0.3: …
        await pilot.press("right", "right", "right", "up", "up")  # the o column, up to o₀⁽¹⁾ (the bias 1)
        await pilot.pause()
        assert "o₀⁽¹⁾ = 1" in app.query_one("#explain").text
        await pilot.press("down", "down", "left", "left", "left")
        assert "[0.3000]" in screen_text(app)  # the cursor is visible without colour
        await pilot.press("enter")
        await pilot.press("ctrl+u", *"0.9", "enter")
        # mid-epoch (full batch): the epoch restarts from its first example with the new weight
        assert app.stepper.state.W[1][1, 1] == 0.9 and app.stepper.position == 0
        assert "epoch 1 restarts at its first example" in str(app.query_one("#message").render())
        await pilot.press("escape")  # leave the panel: arrows step again
        await pilot.pause()
        assert not app.query_one("#explain").display
        await pilot.press("right")
        assert app.stepper.position == 1


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


async def test_save_writes_a_valid_network_file(tmp_path, monkeypatch):
    from bptui.core.formats.spec import load

    app = app_for("xor")
    target = tmp_path / "saved.json"
    monkeypatch.chdir(tmp_path)  # a name to type, not a long path: the pilot waits after every key
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u", "w", "ctrl+u", *target.name, "enter")
        assert "Saved" in str(app.query_one("#message").render())
    saved = load(target)
    for a, b in zip(saved.weights, app.stepper.weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["moons", "iris"])  # momentum and adam
async def test_update_equations_show_the_files_optimizer(capsys, name):
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_to_update()
        await pilot.pause()
        assert str(app.query_one("#equation").render()).endswith("… (x: the whole equation)")
        await pilot.press("x")  # the whole equation
        position = app.stepper.position
        shown = str(app.query_one("#equation").render())
    rows = trace_rows(capsys, name)[:position]
    assert rows[-1]["phase"] == "update" and shown == rows[-1]["equation"]
    assert ("v" if name == "moons" else "m̂") in shown


async def test_quiz_mode_hides_asks_checks_and_scores():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("z", "n")
        q = app.main.question
        assert q is not None and q.symbol in str(app.query_one("#equation").render())
        assert "?" in screen_text(app) and cell(q.value, 4) not in str(app.query_one("#equation").render())
        assert app.focused is app.query_one("#answer")
        await pilot.press(*f"{q.value * (1 + 5e-4):.6g}", "enter")  # within the relative tolerance 1e-3
        assert app.main.score.right == 1 and app.main.question is None
        assert "Right" in str(app.query_one("#message").render())
        await pilot.press("n")
        wrong = app.main.question.value * 1.01 + 0.01
        await pilot.press(*f"{wrong:.6g}", "enter")  # a hint and a second try: nothing scored yet
        message = str(app.query_one("#message").render())
        assert app.main.question is not None and app.main.score.asked == 1 and app.main.quiz_line().attempt == 2
        assert "Hint: o₂⁽¹⁾ = tanh(s₂⁽¹⁾) = tanh(−0.2) = ?" in message and "One more try" in message
        assert app.query_one("#answer").value == ""
        await pilot.press(*f"{wrong:.6g}", "enter")  # wrong again: the solution
        assert (app.main.score.right, app.main.score.asked) == (1, 2) and app.main.question is None
        assert "Not quite" in str(app.query_one("#message").render())
        await pilot.press("n", *"abc", "enter")  # not a number: asked again, nothing scored
        assert app.main.question is not None and app.main.score.asked == 2
        await pilot.press("escape")  # skip: the value is shown, counted as asked and skipped
        assert app.main.question is None and app.main.score.asked == 3 and app.main.score.skipped == 1
        await pilot.press("z")
        message = str(app.query_one("#message").render())
        assert app.main.score is None and "1 of 3 right" in message and "1 skipped" in message
        assert app.stepper.position == 3


async def test_quiz_takes_expressions_and_a_second_try():
    app = app_for("lecture13_expression") if False else app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("z", "n", *"0", "enter")  # s₂⁽¹⁾ = −0.2: wrong at the first try
        assert app.main.quiz_line().attempt == 2 and app.main.score.asked == 0
        await pilot.press(*"-1/5", "enter")  # an expression, right at the second try
        assert (app.main.score.right, app.main.score.second, app.main.score.asked) == (1, 1, 1)
        assert "Right at the second try" in str(app.query_one("#message").render())
        await pilot.press("n", *"tanh(-1/5)", "enter")  # o₂⁽¹⁾ = tanh(−0.2), typed as the formula
        assert (app.main.score.right, app.main.score.second) == (2, 1) and app.main.score.by_quantity["o"].first == 1


async def test_quiz_asks_the_cell_under_the_cursor():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab", "right", "right", "right", "down")  # the s⁽¹⁾ column, unit 2
        await pilot.pause()
        await pilot.press("z", "n")
        assert app.main.question.symbol == "s₂⁽¹⁾" and app.main.question.value == pytest.approx(-0.2)


async def test_the_app_draws_its_first_frame_from_the_file_then_loads_the_network():
    from bptui.core.util import validate

    path = str(NETWORKS / "xor.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    async with app.run_test(size=(120, 40)) as pilot:
        # the loading screen, then the network screen in its place (NumPy loads)
        await until(pilot, lambda: app.main is not None and app.screen is app.main and app.main.query(LayerSheet),
                    "the network screen")
        # the network screen is pushed over the app's default screen, which app.query looks in
        assert app.stepper is not None and app.main is not None and app.main.query(LayerSheet)
        await pilot.press("n", "n")
        assert app.stepper.position == 2 and "0.0997" in screen_text(app.main)


@pytest.mark.parametrize("edit,expected", [
    ({"weights": [[[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]], [[0.1, 0.2]]]}, "weights[1]: shape 1×2, expected 1×3"),
    ({"layers": [{"units": 2}, {"units": 2, "activation": "softmax"}, {"units": 1}]}, "softmax is for the output"),
])
def test_bptui_FILE_with_bad_input_prints_one_error_line(tmp_path, capsys, monkeypatch, edit, expected):
    """Found before the app starts (the schema) or while it loads (shapes): one error line, exit 2."""
    from textual.app import App

    headless_run = App.run
    monkeypatch.setattr(App, "run", lambda self, **kw: headless_run(self, headless=True))
    doc = {**json.loads((NETWORKS / "xor.json").read_text()), **edit}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code = main([str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {path}: ") and expected in err and err.count("\n") == 1


async def test_the_optimizers_state_is_shown_beside_W():
    app = app_for("iris")  # adam: first and second moments
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("u")
        sheet = app.query_one("#layer-2", LayerSheet)
        lines = [sheet.render_line(y).text for y in range(sheet.virtual_size.height)]
        sheet.scroll_to(y=sheet.virtual_size.height, animate=False)  # the blocks under G⁽²⁾
        await pilot.pause()
        text = "\n".join(sheet.render_line(y).text for y in range(sheet.size.height))
        state = app.stepper.state.opt[2]
        assert "▶ m⁽²⁾ (1st moment, t = 1)" in "\n".join(lines) + text and "v⁽²⁾ (2nd moment, t = 1)" in text
        assert cell(state.v[0, 0], app.main.digits, number_format(state.v, app.main.digits)) in text  # one format per matrix


async def test_the_loading_screen_shows_the_files_weights_in_the_panels_without_numpy():
    """A file with its weights and data inline: the first frame already has the panels at step 0,
    drawn by the same LayerSheet from the document (the network screen then shows the same)."""
    from bptui.core.util import validate
    from bptui.tui.loading import LoadingScreen

    path = str(NETWORKS / "xor.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    loading_text = []

    def record() -> None:
        if isinstance(app.screen, LoadingScreen):
            loading_text.append([app.screen.query_one(f"#layer-{l}", LayerSheet).render_line(y).text
                                 for l, y in ((1, 3), (2, 2))])  # unit b=1 of each layer

    app.panels_shown = record  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main is not None and app.screen is app.main and app.main.query(LayerSheet),
                    "the network screen")
        assert loading_text, "the loading screen showed no panels"
        await until(pilot, lambda: app.main.query_one("#layer-2", LayerSheet).size.height, "the network's panels laid out")
        after = [app.main.query_one(f"#layer-{l}", LayerSheet).render_line(y).text for l, y in ((1, 3), (2, 2))]
        assert loading_text[0] == after and "0.1000" in after[0] and "−0.4000" in after[0]


async def test_keys_pressed_on_the_loading_screen_reach_the_network_screen():
    """`bptui FILE` then `n n n` typed at once: the keys that arrive while the loading screen shows
    are kept and replayed on the network screen, in order (the network is held back here until
    the keys are in, so the moment is certain)."""
    from bptui.core.util import validate
    from bptui.tui.loading import LoadingScreen

    path = str(NETWORKS / "xor.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    load = app.load_network
    app.load_network = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoadingScreen), "the loading screen")
        await pilot.press("n", "n", "n", "b")
        assert app.stepper is None and [k for k, _ in app.early_keys] == ["n", "n", "n", "b"]
        load()
        await until(pilot, lambda: app.stepper is not None and app.stepper.position > 3, "the keys replayed")
        await pilot.pause()
        assert app.screen is app.main and app.early_keys == []
        replayed = app.stepper.position
    direct = BptuiApp.from_document(validate.read_json(path), path)
    async with direct.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: direct.main is not None and direct.screen is direct.main, "the network screen")
        await pilot.press("n", "n", "n", "b")
        await pilot.pause()
        assert direct.stepper is not None and replayed == direct.stepper.position > 3


def test_document_views_wait_for_numpy_when_the_file_does_not_give_its_weights():
    from bptui.core.util import validate
    from bptui.tui.view import document_views

    doc = validate.read_json(str(NETWORKS / "xor.json"))
    assert document_views(doc) is not None
    assert document_views({k: v for k, v in doc.items() if k != "weights"}) is None
    assert document_views({**doc, "data": {"generator": "xor"}}) is None
    assert document_views({**doc, "weights": [[[0.1, 0.2]], doc["weights"][1]]}) is None  # a wrong shape


async def test_on_a_big_screen_the_panels_fill_the_room():
    """200×50: xor's panels use at least two thirds of the width and half of the height, and
    their numbers spread over more than the left 75 columns; at 120×40 they stay one under the other."""
    app = app_for("xor")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("n", "b")
        await pilot.pause()
        sheets = list(app.query(LayerSheet))
        left = min(s.region.x for s in sheets)
        right = max(s.region.right for s in sheets)
        top = min(s.region.y for s in sheets)
        bottom = max(s.region.bottom for s in sheets)
        assert right - left >= 200 * 2 / 3 and bottom - top >= 50 / 2, [s.region for s in sheets]
        assert sheets[1].region.x > 75  # side by side
        lines = [s.render_line(y).text for s in sheets for y in range(s.size.height)]
        assert sum(1 for line in lines if line.strip()) >= 8
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        sheets = list(app.query(LayerSheet))
        assert sheets[0].region.x == sheets[1].region.x and not app.query_one("#layers").has_class("wide")


async def test_on_a_narrow_terminal_the_side_panel_goes_under_the_layers():
    """At 80×24 the explanation used to squeeze the layer panels until W's columns scrolled away."""
    app = app_for("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(8):
            app.main.action_next()
        await pilot.press("tab", "right", "right", "right", "right")
        await pilot.pause()
        main, sheet = app.main.query_one("#main"), app.main.query_one("#layer-1")
        assert main.has_class("narrow") and app.main.query_one("#explain").display
        assert sheet.scroll_x == 0 and sheet.size.width >= 70  # the whole row of W, s, o, δ fits
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.main.query_one("#main").has_class("narrow")

"""Training, the decision boundary, the gradient bars and the gradient check in the app."""

import numpy as np
import pytest

from bptui.core.teaching.check import THRESHOLD
from bptui.core.formats.spec import load
from bptui.core.engine.train import gradient_stats, train
from bptui.tui.gradcheck import GradCheckScreen
from bptui.core.formulas.numformat import texts
from bptui.tui.plots import DecisionMap, GradientBars, braille_canvas, decades, log_bar
from bptui.tui.prompt import Prompt
from bptui.tui.training import TrainScreen, parse_epochs

from .conftest import NETWORKS
from .tui_helpers import app_for, until


async def _train(pilot, app, epochs=None):
    await pilot.press("t")
    assert isinstance(app.screen, Prompt)
    if epochs is not None:
        app.screen.query_one("#value").value = str(epochs)
    await pilot.press("enter")
    assert isinstance(app.screen, TrainScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


async def test_t_trains_and_the_stepper_resumes_from_the_trained_weights():
    app = app_for("xor")
    spec = app.spec
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app)  # the default: the file's 500 epochs
        assert screen.result.epochs_done == spec.epochs == 500 and not screen.result.cancelled
        expected = train(spec, spec.epochs)
        for got, want in zip(app.stepper.weights, expected.weights):
            np.testing.assert_array_equal(got, want)
        assert app.stepper.position == 0 and app.trained_epochs == 500
        assert screen.query_one("#train-bar").progress == 500
        assert "Trained 500 epochs" in str(screen.query_one("#train-message").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, TrainScreen)
        assert "trained weights" in str(app.query_one("#message").render())
        # training again continues from there, numbered on: 500 + 20 epochs = 520 from the file's
        await _train(pilot, app, 20)
        for got, want in zip(app.stepper.weights, train(spec, 520).weights):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        await pilot.press("escape", "r")
        assert app.trained_epochs == 0
        for got, want in zip(app.stepper.weights, spec.weights):
            np.testing.assert_array_equal(got, want)


async def test_optimizer_state_is_kept_after_training():
    app = app_for("moons")  # momentum: the velocity carries over into stepping
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 5)
        for l, state in enumerate(screen.result.opt, start=1):
            np.testing.assert_array_equal(app.stepper.state.opt[l].v, state.v)
        assert np.any(app.stepper.state.opt[1].v != 0)


async def test_escape_stops_training_and_keeps_the_epochs_done():
    app = app_for("moons")  # a million epochs take many minutes: Esc always comes first (xor's ran out first)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        app.screen.query_one("#value").value = "1000000"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.done > 0, "an epoch on the training screen")
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        result = screen.result
        assert result.cancelled and 0 < result.epochs_done < 1_000_000
        assert "Stopped" in str(screen.query_one("#train-message").render())
        for got, want in zip(app.stepper.weights, train(app.spec, result.epochs_done).weights):
            np.testing.assert_array_equal(got, want)
        await pilot.press("escape")
        assert "stopped after" in str(app.query_one("#message").render())


async def test_the_epochs_prompt_validates_and_escape_cancels():
    app = app_for("xor")
    async with app.run_test() as pilot:
        await pilot.press("t")
        prompt = app.screen
        assert prompt.query_one("#value").value == "500"
        prompt.query_one("#value").value = "0"
        await pilot.press("enter")
        assert app.screen is prompt and "positive whole number" in str(prompt.query_one("#hint").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, Prompt) and app.stepper.weights[0] is not None
        assert "cancelled" in str(app.query_one("#message").render())
        assert app.trained_epochs == 0


@pytest.mark.parametrize("text,result", [("200", 200), (" 7 ", 7), ("1_000", 1000), ("0", str), ("", str),
                                         ("-3", str), ("2.5", str), ("abc", str), ("99999999", str)])
def test_parse_epochs(text, result):
    got = parse_epochs(text)
    assert got == result if isinstance(result, int) else isinstance(got, str)


async def test_stepping_keys_do_not_reach_the_stepper_under_a_dialog():
    app = app_for("xor")
    async with app.run_test() as pilot:
        await pilot.press("t", "right", "left", "n")
        assert app.stepper.position == 0
        await pilot.press("escape", "n")
        assert app.stepper.position == 1


async def test_g_checks_every_weight_worst_first():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GradCheckScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        errors = [c.rel_error for c in screen.checks]
        assert len(errors) == 9 and errors == sorted(errors, reverse=True)
        assert errors[0] < THRESHOLD
        assert screen.query_one("DataTable").row_count == 9
        assert "all pass ✓" in str(screen.query_one("#check-summary").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, GradCheckScreen)



async def test_g_keeps_the_verdict_with_its_words_on_a_narrow_screen():
    """At 80 columns the summary's first line wraps: its verdict comes first, "all pass ✓" on one line,
    never a ✓ alone on a line of its own."""
    app = app_for("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = app.screen.query_one("#check-summary")
        lines = [summary.render_line(y).text.strip() for y in range(summary.size.height)]
        assert lines[0].startswith("all pass ✓ · 9 weights, at the file's weights"), lines
        assert "✓" not in lines, lines

async def test_g_flags_what_bptui_check_fails(monkeypatch):
    """✗ follows the check's rule (|g − fd| > atol + 1e−6·|fd|): a 1% error in tanh′ fails the six
    weights of layer 1, listed first; layer 2's pass."""
    from dataclasses import replace

    from bptui.core.ops.activations import ACTIVATIONS

    tanh = ACTIVATIONS["tanh"]
    monkeypatch.setitem(ACTIVATIONS, "tanh", replace(tanh, df=lambda s, o, a: 1.01 * tanh.df(s, o, a)))
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert [c.layer for c in screen.checks if not c.ok] == [1] * 6
        assert [c.ok for c in screen.checks] == [False] * 6 + [True] * 3
        table = screen.query_one("DataTable")
        flags = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        assert flags == ["✗"] * 6 + ["✓"] * 3
        assert "6 weights fail ✗" in str(screen.query_one("#check-summary").render())


async def test_the_decision_map_needs_two_inputs():
    """iris has four: no map on the training screen, and no room spent on a note saying so."""
    app = app_for("iris")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 2)
        assert not screen.query(DecisionMap) and [type(w).__name__ for w in screen.query_one("#train-row").children] == ["LossCurve"]


async def test_the_decision_map_draws_the_training_points():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 10)
        text = screen.query_one(DecisionMap).text()
        assert text.count("○") == 2 and text.count("●") == 2 and "▀" in text and "x₁" in text


def test_gradients_vanish_with_sigmoids_and_not_with_relus():
    sig = gradient_stats(load(NETWORKS / "deep_sigmoid.json"))
    relu = gradient_stats(load(NETWORKS / "deep_relu.json"))
    assert sig[0].G_norm / sig[-1].G_norm < 0.1  # layer 1 (by the input) against layer L
    assert relu[0].G_norm / relu[-1].G_norm > 0.3


async def test_the_gradient_bars_show_every_layer():
    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 1)
        bars = screen.query_one(GradientBars)
        text = str(bars.render())
        assert [line.split()[2] for line in text.splitlines()[1:]] == [str(l) for l in range(1, 7)]
        assert texts([s.G_norm for s in bars.stats], 4)[0] in text  # one format per column (core/formulas/numformat.py)


def test_log_bar_and_decades():
    assert decades([2e-5, 0.3]) == (-5, 0)
    assert decades([0.5]) == (-1, 0)
    assert log_bar(1.0, -5, 0, 10) == "█" * 10
    assert log_bar(1e-5, -5, 0, 10).strip() == "▏"  # the smallest value still shows
    assert log_bar(1e-3, -5, 0, 10) == "████" + " " * 6  # 2 of 5 decades
    assert log_bar(0.0, -5, 0, 10) == " " * 10


def test_braille_canvas_draws_a_connected_line():
    (grid,) = braille_canvas([[4.0, 3.0, 2.0, 1.0]], 4, 4, 2, 1.0, 4.0, False)
    assert all(any(row[c] for row in grid) for c in range(4))  # every column has dots
    assert grid[0][0] and grid[1][3] and not grid[1][0] and not grid[0][3]  # from top left to bottom right

"""Watching it learn: pause, one epoch, the speed control, the gradient curves, the fit plot for one
input, and the map beside the stepping panels (m)."""

from __future__ import annotations

import math
import time
from statistics import median

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.formulas.notation import sup
from bptui.core.formats.spec import load
from bptui.core.engine.train import gradient_stats, train
from bptui.tui import training
from bptui.tui.plots import (DecisionMap, FitPlot, GradientCurves, braille_lines, dot_row, input_plot, ratio_text)
from bptui.tui.training import SPEEDS, TrainScreen, curve_every

from .conftest import NETWORKS
from .tui_helpers import PATIENCE, app_for, until

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def dots(text_lines: list[str], left: int, width: int) -> list[list[int]]:
    """The braille bits of a plot's cells: rows of ``width`` cells starting at column ``left``."""
    grid = []
    for line in text_lines:
        row = []
        for ch in line[left:left + width]:
            code = ord(ch) - 0x2800
            row.append(code if 0 <= code < 256 else 0)
        grid.append(row)
    return grid


def dot_set(grid: list[list[int]], x: int, y: int) -> bool:
    """Is the dot at dot column x, dot row y (0 at the top) drawn?"""
    return bool(grid[y // 4][x // 2] & _DOTS[y % 4][x % 2])


async def _start(pilot, app, epochs: int) -> TrainScreen:
    await pilot.press("t")
    app.screen.query_one("#value").value = str(epochs)
    await pilot.press("enter")
    assert isinstance(app.screen, TrainScreen)
    return app.screen


async def _settle(pilot, screen: TrainScreen) -> int:
    """Wait until the paused worker waits (every epoch done on screen); the epochs done. (An e
    clears ``waiting`` as it is pressed, and a running worker keeps it False: never the last stop's.)"""
    await until(pilot, lambda: screen.waiting, "the paused training waits")
    await pilot.pause()
    return screen.done


# -- pause, one epoch, resume ---------------------------------------------------------------------
async def test_space_pauses_e_trains_exactly_one_epoch_and_space_resumes():
    app = app_for("xor")
    spec = app.spec
    async with app.run_test(size=(120, 40)) as pilot:
        app.train_speed = SPEEDS.index(100)  # slow enough that the pause comes early
        screen = await _start(pilot, app, 1_000_000)
        assert not screen.check_action("one_epoch", ())  # only while paused
        await pilot.press("space")
        assert screen.paused and screen.check_action("one_epoch", ())
        done = await _settle(pilot, screen)
        controls = str(screen.query_one("#train-controls").render())
        assert f"paused after {done} epochs" in controls and "e: one epoch" in controls
        assert str(screen.query_one("#train-message").render()).startswith("Paused. Space resumes")
        for extra in (1, 3):  # e once, then twice more: exactly that many epochs each time
            await pilot.press(*["e"] * (1 if extra == 1 else 2))
            now = await _settle(pilot, screen)
            assert now == done + extra
        # the screen shows the weights after exactly those epochs, as the core computes them
        want = train(spec, done + 3).weights
        for got, w in zip(screen.map_view.weights, want):
            np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
        assert f"epoch {done + 3} ({done + 3} of" in str(screen.query_one("#train-status").render())
        await pilot.press("space")  # resume
        assert not screen.paused
        assert str(screen.query_one("#train-message").render()).startswith("Training… Esc stops")
        await until(pilot, lambda: screen.done > done + 3, "an epoch after the resume")
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: screen.result is not None, "the stopped run's result")
        result = screen.result
        assert result.cancelled and result.epochs_done > done + 3
        for got, w in zip(app.stepper.weights, train(spec, result.epochs_done).weights):
            np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)


async def test_escape_stops_a_paused_run():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.train_speed = SPEEDS.index(20)
        screen = await _start(pilot, app, 1_000_000)
        await pilot.press("space")
        done = await _settle(pilot, screen)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        # (the worker's end reaches the screen as a callback: under load, after more than one pause)
        await until(pilot, lambda: screen.result is not None, "the stopped run's result")
        assert screen.result.cancelled and screen.result.epochs_done == done
        assert "Stopped after" in str(screen.query_one("#train-message").render())


def _holding_gate(monkeypatch):
    """Make the worker stop before each epoch, ahead of the screen's gate, while ``hold`` is clear
    (``at_hold`` is set while it waits there): e and space can then be pressed while the worker
    cannot act on them."""
    import threading

    hold, at_hold = threading.Event(), threading.Event()
    hold.set()
    real_train = training.train

    def spy(spec, epochs, on_epoch, **kwargs):
        gate = kwargs["cancelled"]

        def held_gate():
            if not hold.is_set():
                at_hold.set()
                hold.wait(PATIENCE)  # bounded so that a failing test does not leave the worker hanging
                at_hold.clear()
            return gate()
        kwargs["cancelled"] = held_gate
        return real_train(spec, epochs, on_epoch, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    return hold, at_hold


async def test_e_pressed_before_a_resume_does_not_carry_over_to_the_next_pause(monkeypatch):
    """e, e, space, space while the worker is busy: the resume drops the two e's, so the second pause
    stops where it is (the controls' count is the truth) and each e afterwards is one epoch again."""
    hold, at_hold = _holding_gate(monkeypatch)
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.train_speed = SPEEDS.index(100)
        screen = await _start(pilot, app, 1_000_000)
        await pilot.press("space")
        done = await _settle(pilot, screen)
        hold.clear()
        await pilot.press("e")  # one epoch, then the worker waits at the hold
        await until(pilot, at_hold.is_set, "the worker waits at the hold")
        await pilot.press("e", "e", "space", "space")
        assert screen.paused
        hold.set()
        assert await _settle(pilot, screen) == done + 1
        await pilot.pause(0.3)  # room for a wrong extra epoch to show (load can only hide one, never fail this)
        assert screen.done == done + 1 and screen.waiting
        assert f"paused after {done + 1} epochs" in str(screen.query_one("#train-controls").render())
        await pilot.press("e")
        assert await _settle(pilot, screen) == done + 2
        for got, w in zip(screen.map_view.weights, train(app.spec, done + 2).weights):
            np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
        await pilot.press("escape")
        await app.workers.wait_for_complete()


# -- back-pressure: one update at a time, each with the new losses only ------------------------------
async def test_updates_wait_for_the_screen_and_carry_only_the_new_losses(monkeypatch):
    """With the screen slower to handle an update than training between two, the worker never has
    more than one update waiting (plus the last epoch's, always sent); the updates' losses add up
    to the run's, each epoch once; the last epoch's numbers and weights are on screen."""
    monkeypatch.setattr(training, "FULL_SPEED_INTERVAL", 0.01)
    outstanding, most, carried = [0], [0], []
    real_post, real_progress = TrainScreen._post, TrainScreen._progress

    def post(self, callback, *args):
        if getattr(callback, "__func__", None) is progress:
            outstanding[0] += 1
            most[0] = max(most[0], outstanding[0])
            carried.append(len(args[1]))
        real_post(self, callback, *args)

    def progress(self, *args):
        outstanding[0] -= 1
        time.sleep(0.05)  # drawing slower than the updates come
        real_progress(self, *args)

    def paced_train(spec, epochs, on_epoch, **kwargs):  # each epoch takes ≥ 0.5 ms, however fast the machine
        def slow(report):
            time.sleep(0.0005)
            on_epoch(report)

        return train(spec, epochs, slow, **kwargs)

    monkeypatch.setattr(TrainScreen, "_post", post)
    monkeypatch.setattr(TrainScreen, "_progress", progress)
    monkeypatch.setattr(training, "train", paced_train)
    app = app_for("xor")
    epochs = 3000
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(pilot, app, epochs)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.result.epochs_done == epochs
        assert most[0] <= 2 and len(carried) > 2 and sum(carried) == epochs
        core = train(app.spec, epochs)
        np.testing.assert_allclose(screen.losses, core.history, rtol=1e-12, atol=0)
        assert screen.done == epochs and screen.query_one("#train-bar").progress == epochs
        for got, w in zip(screen.map_view.weights, core.weights):
            np.testing.assert_allclose(got, w, rtol=0, atol=1e-12)
        n = len(app.spec.inputs)
        curve = screen.query_one("#train-curve")
        np.testing.assert_allclose(curve.train_loss, [v / n for v in core.history], rtol=1e-12, atol=0)


# -- the app exiting while the worker trains --------------------------------------------------------
async def test_q_while_training_at_full_speed_quits_cleanly():
    app = app_for("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(pilot, app, 1_000_000)
        await until(pilot, lambda: screen.done > 0, "an epoch on the training screen")
        assert screen.running
        await pilot.press("q")
    assert app.return_code == 0 and app._exception is None


async def test_a_post_after_the_event_loop_closed_is_dropped():
    """The worker's message once the app's loop is closed (but still set): no exception in the worker."""
    import asyncio
    import threading

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.train_speed = SPEEDS.index(1)
        screen = await _start(pilot, app, 3)
        closed = asyncio.new_event_loop()
        closed.close()
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                screen._post(screen._status, 0, [], [])
            except BaseException as error:  # noqa: BLE001 (the test reports it)
                errors.append(error)
        loop, app._loop = app._loop, closed
        try:
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
        finally:
            app._loop = loop
        assert errors == []
        await pilot.press("escape")
        await app.workers.wait_for_complete()


# -- the speed control ----------------------------------------------------------------------------
async def test_the_epochs_keep_the_chosen_pace(monkeypatch):
    """On a fake clock that only the pacing's waits move, the epochs begin 1/rate apart; - and + step
    through SPEEDS, the screen says the pace, and the next run starts at it."""
    now = [0.0]
    began: list[float] = []

    def sleep(dt: float) -> None:
        now[0] += dt
        time.sleep(0)

    real_train = training.train

    def spy(spec, epochs, on_epoch, **kwargs):
        gate = kwargs["cancelled"]

        def timed_gate():
            stop = gate()
            began.append(now[0])
            return stop
        kwargs["cancelled"] = timed_gate
        return real_train(spec, epochs, on_epoch, **kwargs)

    monkeypatch.setattr(training, "CLOCK", lambda: now[0])
    monkeypatch.setattr(training, "SLEEP", sleep)
    monkeypatch.setattr(training, "train", spy)
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.train_speed = SPEEDS.index(5)
        screen = await _start(pilot, app, 6)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.result.epochs_done == 6
        np.testing.assert_allclose(np.diff(began[:6]), 0.2, rtol=0, atol=1e-9)
        assert "5 epochs/s" in str(screen.query_one("#train-controls").render())
        assert "Trained 6 epochs (1.00 s" in str(screen.query_one("#train-message").render())
        await pilot.press("plus")
        assert SPEEDS[screen.speed] == 10 and app.train_speed == SPEEDS.index(10)
        await pilot.press("minus", "minus", "less_than_sign")
        assert SPEEDS[screen.speed] == 1 and "1 epoch/s" in str(screen.query_one("#train-controls").render())
        await pilot.press("minus")  # the slowest stays the slowest
        assert screen.speed == 0
        await pilot.press(*["greater_than_sign"] * 20)
        assert SPEEDS[screen.speed] is None and "full speed" in str(screen.query_one("#train-controls").render())
        await pilot.press("escape")
        began.clear()
        app.train_speed = SPEEDS.index(2)
        screen = await _start(pilot, app, 3)  # the next run starts at the pace last chosen
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert SPEEDS[screen.speed] == 2
        np.testing.assert_allclose(np.diff(began[:3]), 0.5, rtol=0, atol=1e-9)


# -- the gradient curves --------------------------------------------------------------------------
def _core_norms(spec, epochs: int, at: list[int]) -> dict[int, list[float]]:
    """‖G⁽ˡ⁾‖ after each epoch count in ``at`` (0: the file's weights), computed by the core."""
    out = {0: [s.G_norm for s in gradient_stats(spec)]}

    def on_epoch(report):
        if report.epoch in at:
            out[report.epoch] = [s.G_norm for s in gradient_stats(spec, report.weights)]
    train(spec, epochs, on_epoch)
    return out


async def _trained(name: str, monkeypatch, check):
    """Train ``name`` for its default epochs in the app, then ``check(spec, screen, curves, lines)``."""
    monkeypatch.setattr(training, "CLOCK", lambda: 0.0)  # no updates but the last: the samples are the cadence's
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        curves = screen.query_one(GradientCurves)
        return check(app.spec, screen, curves, curves.text().split("\n"))


@pytest.mark.parametrize("name", ["deep_sigmoid", "deep_relu"])
async def test_the_curves_are_the_cores_gradient_norms(name, monkeypatch):
    await _trained(name, monkeypatch, _check_curves)


def _check_curves(spec, screen, curves, lines):
    every = curve_every(spec.epochs)
    assert screen.curve_epochs == list(range(0, spec.epochs + 1, every))
    core = _core_norms(spec, spec.epochs, screen.curve_epochs)
    for e, norms in zip(screen.curve_epochs, screen.curve_norms):
        np.testing.assert_allclose(norms, core[e], rtol=1e-12, atol=0)
    assert curves.samples == screen.curve_epochs and curves.norms == screen.curve_norms
    # the legend's ratio is the last one's; each layer's number stands at the row of its last value
    last = core[spec.epochs]
    assert f"‖G⁽¹⁾‖/‖G{sup(spec.L)}‖ = {last[0] / last[-1]:.3g} after {spec.epochs} epochs" in "\n".join(lines)
    assert ratio_text(last) == f"{last[0] / last[-1]:.3g}"
    pad, width, height, margin = 8, curves.plot_width, curves.plot_height, curves.margin
    y_range = curves.y_range()
    for l in range(spec.L):
        row = dot_row(last[l], y_range, height, log=True)
        assert str(l + 1) in lines[row // 4][pad + width:pad + width + margin].split()
    # and the lines go through the samples: the first and last dot columns
    grid = dots(lines[:height], pad, width)
    for l in range(spec.L):
        assert dot_set(grid, 0, dot_row(core[0][l], y_range, height, log=True))
        assert dot_set(grid, 2 * width - 1, dot_row(last[l], y_range, height, log=True))


async def test_the_curves_tell_the_vanishing_gradient_story(monkeypatch):
    """After the default epochs: deep_sigmoid's ‖G⁽¹⁾‖/‖G⁽ᴸ⁾‖ is below 0.1 at every recorded epoch;
    deep_relu's is above 0.3 at the start, at the end and at the median of the recorded epochs
    (it dips below for a while early on, as the curves show: ReLU units switch off and on), and
    every sigmoid ratio is below the relu median by far."""
    ratios = {}
    for name in ("deep_sigmoid", "deep_relu"):
        spec, norms = await _trained(name, monkeypatch, lambda spec, screen, *_: (spec, screen.curve_norms))
        ratios[name] = [n[0] / n[-1] for n in norms]
        assert len(ratios[name]) == spec.epochs // curve_every(spec.epochs) + 1
    sigmoid, relu = ratios["deep_sigmoid"], ratios["deep_relu"]
    assert max(sigmoid) < 0.1
    assert relu[0] > 0.3 and relu[-1] > 0.3 and median(relu) > 0.3
    assert max(sigmoid) < median(relu) / 10


def test_braille_lines_draw_through_their_points():
    grids = braille_lines([([0, 10], [0.0, 1.0]), ([0, 5, 10], [1.0, math.nan, 1.0])], 6, 3, (0, 10), (0, 1))
    H = 12
    first = grids[0]
    assert dot_set(first, 0, H - 1) and dot_set(first, 11, 0)  # corner to corner
    assert sum(bin(c).count("1") for row in first for c in row) == 12  # one dot per column
    # nan breaks the line: only the two end points are drawn
    assert sum(bin(c).count("1") for row in grids[1] for c in row) == 2


# -- regression: the fitted function against the data ---------------------------------------------
async def test_the_fit_plot_draws_the_networks_output_at_each_x(monkeypatch):
    await _trained("regression", monkeypatch, _check_fit)


def _check_fit(spec, screen, *_):
    fit = screen.query_one(FitPlot)
    assert isinstance(screen.map_view, FitPlot) and not screen.query(DecisionMap)
    weights = screen.result.weights
    xs = fit.xs
    want = Network(spec).predict(weights, xs[:, None])[:, 0]  # computed here, not by the plot
    np.testing.assert_allclose(fit.outputs[:, 0], want, rtol=1e-12)
    lines = fit.text().split("\n")
    pad, width, height = 9, fit.plot_width, fit.plot_height
    assert len(xs) == 2 * width and xs[0] < spec.inputs.min() and xs[-1] > spec.inputs.max()
    grid = dots(lines[:height], pad, width)
    drawn = 0
    for i, y in enumerate(want):  # the dot of column i is at the output's row (where no data point sits)
        r = dot_row(y, fit.y_span, height)
        cell = lines[r // 4][pad + i // 2]
        if cell in "●○":
            continue
        assert dot_set(grid, i, r), (i, y)
        drawn += 1
    assert drawn > 1.5 * width
    # every data point at its cell
    for x, y in zip(spec.inputs[:, 0], spec.targets[:, 0]):
        c = round((x - xs[0]) / (xs[-1] - xs[0]) * (width - 1))
        assert lines[dot_row(y, fit.y_span, height) // 4][pad + c] == "●"
    assert "⣿ o⁽²⁾ at x" in fit.text()


def test_input_plot_picks_the_fit_for_one_input_and_the_map_else():
    assert isinstance(input_plot(load(NETWORKS / "regression.json")), FitPlot)
    assert isinstance(input_plot(load(NETWORKS / "xor.json")), DecisionMap)
    assert isinstance(input_plot(load(NETWORKS / "iris.json")), DecisionMap)  # says it needs two inputs


# -- m: the map beside the stepping panels ----------------------------------------------------------
async def test_m_shows_the_map_beside_the_panels_redrawn_after_each_update():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        screen = app.main
        side = screen.query_one("#side-map", DecisionMap)
        assert side.display
        for got, w in zip(side.weights, app.stepper.weights):
            np.testing.assert_array_equal(got, w)
        shown = side.weights
        await pilot.press("n", "f")  # steps that leave the weights: the map is not redrawn
        assert side.weights is shown
        await pilot.press("u")  # through the next update: the map shows the new weights
        assert side.weights is not shown
        for got, w in zip(side.weights, app.stepper.weights):
            np.testing.assert_array_equal(got, w)
        assert not all(np.array_equal(a, b) for a, b in zip(shown, side.weights))
        await pilot.press("p")  # back before the update: the old weights again
        for got, w in zip(side.weights, app.stepper.weights):
            np.testing.assert_array_equal(got, w)
        await pilot.press("m")
        assert not side.display


async def test_m_on_regression_shows_the_fit_and_on_iris_says_why_not():
    app = app_for("regression")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        fit = app.main.query_one("#side-map", FitPlot)
        await pilot.press("u")
        await pilot.pause()
        want = Network(app.spec).predict(app.stepper.weights, fit.xs[:, None])
        np.testing.assert_allclose(fit.outputs, want, rtol=1e-12)
    app = app_for("iris")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        assert "needs one or two inputs" in str(app.query_one("#message").render())
        assert not app.main.query("#side-map")


# -- the loss curve: lists or arrays, losses that cannot be drawn ------------------------------------
async def test_the_loss_curve_scales_to_the_finite_losses_and_says_when_some_are_not_drawn():
    from textual.app import App

    from bptui.tui.plots import LossCurve

    class One(App):
        def compose(self):
            yield LossCurve(4, has_test=False)

    app = One()
    async with app.run_test(size=(60, 14)) as pilot:
        curve = app.query_one(LossCurve)
        texts = []
        for losses in ([0.5, 0.25, 0.125, 0.0625], np.array([0.5, 0.25, 0.125, 0.0625])):
            curve.show(losses, [])
            await pilot.pause()
            texts.append(curve.text())
        assert texts[0] == texts[1]  # a list and an array draw alike
        assert "0.5 ┤" in texts[0] and "0.0625 ┤" in texts[0] and "not drawn" not in texts[0]
        curve.show([0.5, 0.25, math.nan, math.inf], [])
        await pilot.pause()
        text = curve.text()
        assert "0.5 ┤" in text and "0.25 ┤" in text  # the scale of the finite two
        assert "∞/nan not drawn (diverged)" in text
        curve.show([math.nan], [])
        await pilot.pause()
        assert "(the curve appears after the first epoch)" in curve.text()


@pytest.mark.parametrize("notation", ["lecture13", "ng", "goodfellow", "nielsen", "cs231n"])
async def test_the_fit_plot_names_the_output_in_the_apps_notation(notation, monkeypatch):
    """The fit's title and legend name the curve as the notation's printer writes the network's output
    o⁽ᴸ⁾ (ng's a^[2], goodfellow's h⁽²⁾), beside the panels (``m``) and on the training screen (``t``):
    in ng they read the lecture's o⁽²⁾ beside panels written a^[2]."""
    from textual.content import Content

    from bptui.core.engine.equations import o
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    profile = PROFILES[notation]
    output = TextPrinter(notation=None if notation == "lecture13" else profile).p(o(2))
    assert notation == "lecture13" or output != "o⁽²⁾"
    monkeypatch.setattr(training, "CLOCK", lambda: 0.0)  # no redrawing but the last
    app = BptuiApp(load(NETWORKS / "regression.json"), profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        fits = [app.main.query_one("#side-map", FitPlot)]
        await pilot.press("t", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        fits.append(app.screen.query_one(FitPlot))
        for fit in fits:
            await until(pilot, lambda: fit.plot_width > 0, "the fit drawn")
            assert Content.from_markup(fit.border_title).plain == f"the fit: {output} over x, and the data"
            assert f"⣿ {output} at x" in fit.text()

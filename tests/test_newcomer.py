"""What a newcomer hit (issue 10, item 4), and training that diverges (item 2): pilot tests."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.formats.spec import load
from bptui.core.engine.train import train
from bptui.tui.plots import DecisionMap
from bptui.tui.sheet import LayerSheet
from bptui.tui.training import TrainScreen

from .conftest import NETWORKS
from .tui_helpers import app_for, until


async def _train(pilot, app, epochs: int) -> TrainScreen:
    await pilot.press("t")
    app.screen.query_one("#value").value = str(epochs)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, TrainScreen)
    return app.screen


def diverging_regression():
    """regression with η = 1000: the loss overflows within a few epochs."""
    import json

    from bptui.core.formats.spec import parse

    doc = json.loads((NETWORKS / "regression.json").read_text())
    doc["training"]["learning_rate"] = 1000.0
    return parse(doc, "regression.json")


def test_train_stops_when_it_diverges():
    spec = diverging_regression()
    result = train(spec, 200, stop_if_diverged=True)
    assert result.diverged is not None and result.epochs_done == result.diverged < 200
    assert not np.isfinite(result.history[-1]) or not all(np.isfinite(w).all() for w in result.weights)
    assert train(spec, 5).diverged is None  # only when asked


async def test_the_training_screen_says_training_diverged():
    from bptui.tui.app import BptuiApp

    app = BptuiApp(diverging_regression())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 200)
        message = str(screen.query_one("#train-message").render())
        assert f"Training diverged at epoch {screen.result.diverged}: ℓ_D = " in message
        assert "Stopped after" in message
        await pilot.press("escape")
        for _ in range(len(app.stepper.schedule) + 2):  # stepping on from the diverged weights
            app.main.action_next()
        await pilot.press("n", "g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_q_quits_from_the_training_screen():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        app.screen.query_one("#value").value = "1000000"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.done > 0, "an epoch on the training screen")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None) and not app.is_running


async def test_the_two_losses_on_the_training_screen_have_two_names():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 20)
        status = str(screen.query_one("#train-status").render())
        message = str(screen.query_one("#train-message").render())
        assert "ℓ_D (sum, before each update) = " in status
        assert "ℓ_D now = " in message and "per example" in message
        assert "ℓ_D = " not in status + message  # no bare ℓ_D standing for two numbers


async def test_stopped_reads_stopped_after():
    """A run that ends by Esc (cancelled) says "Stopped after N epochs", one that ends by itself "Trained":
    the cancelled run is the finished one handed back as cancelled, so the wording does not race the
    pilot against a fast run (a pilot that waits for an idle app may see no epoch of xor go by)."""
    from dataclasses import replace

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        app.screen.query_one("#value").value = "50"
        await pilot.press("enter")
        screen = app.screen
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not screen.running, "the run's end on the training screen")
        assert str(screen.query_one("#train-message").render()).startswith("Trained 50 epochs (")
        screen._finished(replace(screen.result, cancelled=True), 0.5)
        message = str(screen.query_one("#train-message").render())
        assert message.startswith("Stopped after 50 epochs (0.50 s") and " epochs (" in message, message


async def test_the_decision_map_without_colour_tells_the_classes_apart(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 500)
        text = screen.query_one(DecisionMap).text()
        assert "█" in text and " " in text.strip()  # output near 1 and near 0 look different
        assert "blue" not in text and "orange" not in text and "shade" in text


async def test_after_r_tab_opens_on_the_first_cell():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab", "right", "right", "down")
        first = app.query_one("#layer-1", LayerSheet)
        assert first.cursor != (1, 0)
        await pilot.press("escape", "r", "tab")
        await pilot.pause()
        assert app.main.cell == ("W", 1, 0, 0)


async def test_a_rejected_quiz_answer_is_cleared():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("z", "n")
        answer = app.query_one("#answer")
        for key in "abc":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert "not a number" in str(app.query_one("#message").render())
        assert answer.value == "" and answer.has_focus


async def test_w_says_so_when_the_target_cannot_be_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPTUI_SAVE_DIR", raising=False)
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        app.screen.query_one("#value").value = "x" * 300 + ".json"  # a name over 255 bytes
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and len(app.screen_stack) == 1
        assert "Could not save" in str(app.query_one("#message").render())
        assert "went wrong" not in str(app.query_one("#message").render())

"""What-if edits in the app: after an edit, the status line, the equation line, the panels, the
explanation and the gradient check all agree with the weights on screen."""

import numpy as np

from bptui.core.teaching.explain import Cell, explain
from bptui.core.engine.network import Network
from bptui.core.formulas.notation import num
from bptui.core.engine.stepper import Stepper
from bptui.tui.gradcheck import GradCheckScreen
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell

from .test_training_tui import _train
from .test_tui import screen_text
from .tui_helpers import app_for


def text(app, selector: str) -> str:
    """A widget's text as given (the side panel's unfolded: tui/folded.py)."""
    widget = app.query_one(selector)
    return widget.text if selector == "#explain" else str(widget.render())


def status(app) -> list[str]:
    return text(app, "#status").split("\n")


async def edit_first_weight(pilot, app, value: str) -> None:
    """Tab puts the cursor on w₁,₀⁽¹⁾ (the bias of unit 1 in layer 1); Enter, a value, Enter."""
    await pilot.press("tab")
    assert app.query_one("#layer-1", LayerSheet).cursor_cell == ("W", 1, 0, 0)
    await pilot.press("enter", "ctrl+u", *value, "enter")
    await pilot.pause()


async def check(pilot, app) -> GradCheckScreen:
    await pilot.press("escape", "g")  # leave the panel, then the gradient check
    screen = app.screen
    assert isinstance(screen, GradCheckScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen


def backprop_column(screen: GradCheckScreen, spec) -> list[np.ndarray]:
    """The check's backprop gradients, back in the shape of W⁽¹⁾ … W⁽ᴸ⁾."""
    G = [np.full(w.shape, np.nan) for w in spec.weights]
    for c in screen.checks:
        G[c.layer - 1][c.row - 1, c.col] = c.backprop
    return G


def board_is_empty(app) -> None:
    st = app.stepper.state
    assert all(v is None for v in st.s[1:] + st.o[1:] + st.delta[1:]) and st.loss is None
    assert all(not G.any() for G in st.G[1:])


async def test_an_edit_after_the_epochs_update_starts_the_next_epoch_with_it():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u")  # through the updates: the end of epoch 1
        w_updated = float(app.stepper.state.W[1][0, 0])
        await edit_first_weight(pilot, app, "0.3")
        assert app.stepper.position == app.stepper.floor == 38 and app.stepper.state.W[1][0, 0] == 0.3
        line1, line2 = status(app)[1:]
        assert line1 == "epoch 2 · example 1 of 4: x = [0, 0], y = [0] · step 0 of 38 · start · ℓ_D so far = 0"
        assert line2 == "o⁽⁰⁾ = [1, x] = [1, 0, 0] · next: s⁽¹⁾ (forward)"
        assert text(app, "#equation") == "w₁,₀⁽¹⁾ ← 0.3 (edited; was 0.06938)"
        assert text(app, "#message").startswith("w₁,₀⁽¹⁾ = 0.3 (was 0.06938): in effect at once; the next step "
                                                "starts epoch 2 (example 1)")
        board_is_empty(app)
        assert "[0.3000]" in screen_text(app)
        panel = text(app, "#explain")
        assert panel.startswith("w₁,₀⁽¹⁾ = 0.3: the bias of unit 1 in layer 1")
        assert "edited by hand (was 0.06938), in effect from step 0 of epoch 2" in panel
        assert panel.startswith(explain(app.stepper, Cell("W", 1, 1, 0)).text())
        assert f"{w_updated:.4g}" == "0.06938"
        # the gradient check: the weights on screen
        screen = await check(pilot, app)
        assert "at the weights on screen (step 0 of epoch 2)" in text(screen, "#check-summary")
        _, G = Network(app.spec).gradient(app.stepper.weights, app.spec.inputs, app.spec.targets)
        for got, want in zip(backprop_column(screen, app.spec), G):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        await pilot.press("escape", "p")  # the floor: p says why it cannot go back
        assert app.stepper.position == 38
        assert text(app, "#message").startswith("Cannot go further back: w₁,₀⁽¹⁾ was edited here (step 0 of epoch 2)")
        await pilot.press("n")  # stepping on: the first step of epoch 2, with the new weight
        assert status(app)[1].startswith("epoch 2 · example 1 of 4") and "step 1 of 38 · forward" in status(app)[1]
        assert text(app, "#equation").startswith("s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾ = [[0.3,")


async def test_an_edit_after_an_update_mid_epoch_keeps_the_epochs_loss_so_far():
    app = app_for("regression")  # per_example: an update follows each example
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u")  # example 1 and its updates: 9 + 2 steps
        loss_D = app.stepper.state.loss_D
        next_example = app.stepper.next_key.example
        await edit_first_weight(pilot, app, "0.25")
        at = app.stepper.where()
        assert at.step == 11 and at.phase == "start" and at.example == next_example == 2
        assert app.stepper.state.loss_D == loss_D  # example 1's loss, at the weights it had then
        assert f"example 2 of {app.spec.N}" in status(app)[1] and "step 11 of" in status(app)[1]
        assert text(app, "#message").startswith("w₁,₀⁽¹⁾ = 0.25 (was ")
        assert "in effect at once; the next step starts example 2 with it." in text(app, "#message")
        board_is_empty(app)


async def test_an_edit_mid_epoch_restarts_the_full_batch_with_the_new_weight():
    app = app_for("xor")
    spec = app.spec
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(12):  # into example 2
            app.main.action_next()
        await edit_first_weight(pilot, app, "0.3")
        stepper = app.stepper
        assert stepper.position == stepper.floor == 0 and stepper.state.W[1][0, 0] == 0.3
        assert status(app)[1] == "epoch 1 · example 1 of 4: x = [0, 0], y = [0] · step 0 of 38 · start · ℓ_D so far = 0"
        assert text(app, "#equation") == "w₁,₀⁽¹⁾ ← 0.3 (edited; was 0.1)"
        assert text(app, "#message").startswith(
            "w₁,₀⁽¹⁾ = 0.3: epoch 1 restarts at its first example, example 1, so G and ℓ_D follow from the new weight")
        board_is_empty(app)
        assert text(app, "#explain").startswith("w₁,₀⁽¹⁾ = 0.3: the bias of unit 1 in layer 1")
        await pilot.press("escape", "p")
        assert stepper.position == 0 and "Cannot go further back: w₁,₀⁽¹⁾ was edited here" in text(app, "#message")
        # every number on screen follows from the weights shown: as a fresh stepper from them
        W = [np.array(w) for w in spec.weights]
        W[0][0, 0] = 0.3
        fresh = Stepper(spec.with_weights(W))
        for p in (5, 12, 36):
            app.main._move(lambda: stepper.goto(p))
            fresh.goto(p)
            for a, b in zip(stepper.state.G[1:], fresh.state.G[1:]):
                np.testing.assert_array_equal(a, b)
            assert stepper.state.loss_D == fresh.state.loss_D
            assert text(app, "#equation") == app.main.step_equation(fresh.last)
        # all four examples' G done, the updates next: g checks the G on screen
        assert stepper.where().group_done
        shown = screen_text(app)
        for G in fresh.state.G[1:]:
            for x in G.ravel():
                assert cell(x, app.main.digits) in shown
        await pilot.press("tab")
        screen = await check(pilot, app)
        assert "(the G on screen)" in text(screen, "#check-summary")
        for got, want in zip(backprop_column(screen, spec), stepper.state.G[1:]):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


async def test_an_edit_in_a_mini_batch_restarts_it_and_g_checks_its_examples():
    app = app_for("moons")  # mini-batches of 20 (8 of them), momentum
    spec = app.spec
    async with app.run_test(size=(120, 40)) as pilot:
        stepper = app.stepper
        group_steps = stepper.schedule.full_group_steps  # 20·9 + 2
        app.main._move(lambda: stepper.goto(group_steps + 100))  # inside mini-batch 2
        examples = stepper.where().follows.examples
        await edit_first_weight(pilot, app, "0.3")
        assert stepper.position == stepper.floor == group_steps
        assert text(app, "#message").startswith(
            f"w₁,₀⁽¹⁾ = 0.3: mini-batch 2 restarts at its first example, example {examples[0]}, "
            "so G and ℓ_D follow from the new weight")
        assert f"epoch 1 · example {examples[0]} of {spec.N}" in status(app)[1]
        assert f"step {group_steps} of {stepper.schedule.steps_per_epoch} · start" in status(app)[1]
        app.main._move(lambda: stepper.goto(2 * group_steps - 2))  # mini-batch 2's G complete, its updates next
        assert "(the G on screen)" not in status(app)[1]
        screen = await check(pilot, app)
        summary = text(screen, "#check-summary")
        assert f"step {2 * group_steps - 2} of epoch 1" in summary and "ℓ summed over mini-batch 2 of 8 (the G on screen)" in summary
        for got, want in zip(backprop_column(screen, spec), stepper.state.G[1:]):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
        await pilot.press("escape")
        # an edit between the updates undoes them, and says so
        app.main._move(lambda: stepper.goto(2 * group_steps - 1))
        await edit_first_weight(pilot, app, "0.2")
        assert stepper.position == group_steps
        assert "update of W⁽¹⁾ is undone, so W⁽¹⁾ is as it was before it" in text(app, "#message")


async def test_after_training_the_status_explanation_and_check_follow_the_trained_weights():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await _train(pilot, app, 20)
        await pilot.press("escape")
        assert status(app)[1] == (f"epoch 1 · example 1 of 4: x = [0, 0], y = [0] · step 0 of 38 · start · "
                                  "ℓ_D so far = 0")
        shown = screen_text(app)
        for W in app.stepper.weights:
            for x in W.ravel():
                assert cell(x, app.main.digits) in shown
        assert text(app, "#equation").startswith("Press n, → or space to compute s⁽¹⁾")
        await pilot.press("tab")
        value = num(app.stepper.state.W[1][0, 0])
        panel = text(app, "#explain")
        assert panel.startswith(f"w₁,₀⁽¹⁾ = {value}: the bias of unit 1 in layer 1")
        assert "after training with t for 20 epochs (sgd, η = 0.5), from the weights on screen then" in panel
        screen = await check(pilot, app)
        assert "at the weights on screen (step 0 of epoch 1)" in text(screen, "#check-summary")
        _, G = Network(app.spec).gradient(app.stepper.weights, app.spec.inputs, app.spec.targets)
        for got, want in zip(backprop_column(screen, app.spec), G):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        await pilot.press("escape")
        await edit_first_weight(pilot, app, "0.3")
        assert "edited by hand" in text(app, "#explain")
        assert text(app, "#equation") == f"w₁,₀⁽¹⁾ ← 0.3 (edited; was {value})"
        await pilot.press("escape", "u")  # the epoch's update replaces the edit as the weight's origin
        assert "as updated after all 4 examples of epoch 1" in explain(app.stepper, Cell("W", 1, 1, 0)).title


async def test_an_unchanged_value_is_no_edit():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "n")
        await edit_first_weight(pilot, app, "0.1")
        assert app.stepper.position == 3 and not app.stepper.edits
        assert "unchanged" in text(app, "#message")


async def test_no_edit_while_a_quiz_question_waits():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("z", "n")  # quiz mode: the first step is done and its value asked
        assert app.main.question is not None
        app.query_one("#layer-1", LayerSheet).focus()
        await pilot.press("enter")
        assert "Answer the question first" in text(app, "#message")
        assert app.stepper.position == 1 and not app.stepper.edits

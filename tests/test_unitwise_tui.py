"""A layer norm and a dropout layer in the app: stepped forward and back through their own steps,
their panels' headings, the side panel's explanation of a cell, the quiz and the gradient check with
the masks of the epoch on the board; a snapshot of the panels, looked at."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.formats.spec import parse
from bptui.tui.app import BptuiApp
from bptui.tui.gradcheck import GradCheckScreen
from bptui.tui.sheet import LayerSheet

XOR_LN = {
    "name": "xor_layernorm",
    "layers": [{"units": 2}, {"units": 4, "activation": "tanh"}, {"type": "layernorm"},
               {"type": "dropout", "p": 0.25, "seed": 3}, {"units": 1, "activation": "sigmoid"}],
    "loss": "cross_entropy", "init": {"seed": 1, "scale": 1},
    "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]},
    "training": {"learning_rate": 0.5, "update": "per_example"},
}


def xor_app() -> BptuiApp:
    return BptuiApp(parse(XOR_LN, "xor_layernorm.json"))


def _heading(app, l: int) -> str:
    return app.query_one(f"#layer-{l}", LayerSheet).render_line(0).text


@pytest.mark.asyncio
async def test_stepping_forward_and_back_through_the_kinds_own_steps(monkeypatch):
    from bptui.tui import guard

    reported: list[BaseException] = []
    monkeypatch.setattr(guard, "report", lambda app, error: reported.append(error))
    app = xor_app()
    async with app.run_test(size=(120, 40)) as pilot:
        per_example = len(app.stepper.schedule.block)
        await pilot.press(*"n" * (per_example - 1))
        await pilot.pause()
        st = app.stepper
        assert st.last.key.quantity == "delta" and st.last.key.layer == 1 and not reported
        assert [st.schedule.block[i][1] for i in range(per_example)] == [
            "s", "o", "u", "o", "o", "s", "o", "loss", "delta", "G", "dx", "dx", "G", "delta", "G"]
        assert "u⁽²⁾" in _heading(app, 2) and "∂ℓ/∂x⁽²⁾" in _heading(app, 2) and "[β γ]" in _heading(app, 2)
        assert "m⁽³⁾" in _heading(app, 3) and "W⁽³⁾" not in _heading(app, 3)
        assert "layer norm" in str(app.query_one("#layer-2", LayerSheet).border_title)
        mask = np.asarray(st.state.s[3])
        np.testing.assert_array_equal(mask, np.random.default_rng([3, 1, 1]).random(4) >= 0.25)
        dx = np.asarray(st.state.delta[3])
        np.testing.assert_array_equal(dx == 0, mask == 0)  # no gradient through a dropped unit
        await pilot.press(*"p" * 6)  # back through G⁽¹⁾, δ⁽¹⁾, G⁽²⁾, dx⁽²⁾, dx⁽³⁾, G⁽⁴⁾
        await pilot.pause()
        assert st.position == per_example - 7 and st.state.delta[3] is None and not reported
        await pilot.press(*"n" * 6)
        await pilot.pause()
        np.testing.assert_array_equal(st.state.delta[3], dx)  # the same bits again


@pytest.mark.asyncio
async def test_a_cell_explained_the_quiz_and_the_check():
    from bptui.core.teaching.explain import Cell, explain

    app = xor_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"nnn", "tab", "shift+tab")
        await pilot.pause()
        text = explain(app.stepper, Cell("s", 2, 2)).text()
        assert text.startswith("u₂⁽²⁾ = ") and "√(σ²⁽²⁾ + ε)" in text
        await pilot.press("escape", "z", "n")  # the quiz asks for a number of o⁽²⁾
        await pilot.pause()
        asked = app.main.asked
        assert asked is not None and asked.layer == 2 and asked.quantity == "o"
        await pilot.press("escape", "escape", "z")
        app.stepper.goto(len(app.stepper.schedule) + 3)  # in epoch 2: its masks
        await pilot.pause()
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen) and screen.epoch == 2
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.checks and all(c.ok for c in screen.checks)


def test_the_panels_of_a_layer_norm_and_a_dropout_layer(snap_compare):
    """xor_layernorm after example 1's dx⁽²⁾ step: layer 2 with W = [β γ], u, o, ∂ℓ/∂x and G = [G_β G_γ];
    layer 3 with its mask m (unit 4 dropped), o and ∂ℓ/∂x, no W or G."""
    assert snap_compare(xor_app(), press=[*"n" * 12, "wait:200"], terminal_size=(120, 40))

"""The app on a network with residual blocks (issue 21): the block's panel shows x | F(x), o and the
fan-in ∂ℓ/∂x with its two parts; stepping forward and back; the cursor's cell explained; the keys
that draw or check the whole network."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.tui.block_sheet import BlockSheet
from bptui.tui.sheet import LayerSheet

from .tui_helpers import app_for


def _text(sheet) -> list[str]:
    return [sheet.render_line(y).text for y in range(sheet.size.height)]


def _row(sheet, b: int) -> list[str]:
    return next(line for line in _text(sheet) if line.strip().startswith(f"b={b} ")).replace("│", " ").split()


@pytest.mark.asyncio
async def test_the_block_panel_steps_forward_and_back():
    app = app_for("deep_residual")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        st = app.stepper
        block = app.query_one("#layer-2", BlockSheet)
        assert "residual block: o⁽²⁾ = x + F(x), x = o⁽¹⁾, F = layers 3–4 · 3 units" in block.border_title
        assert isinstance(app.query_one("#layer-3"), LayerSheet)
        await pilot.press(*"nnnnnnn")
        await pilot.pause()
        assert (st.last.key.quantity, st.last.key.layer) == ("o", 2)
        x, f, o = st.state.o[1], st.state.o[4], st.state.o[2]
        row = _row(block, 1)
        # x | F(x), no s, o (• : changed by this step), ∂ℓ/∂x and the fan-in's parts not computed yet (·)
        assert row == ["b=1", f"{x[1]:.4f}", f"{f[1]:.4f}", f"{o[1]:.4f}•", "·", "·", "·"]
        assert block.view.produced == "o"
        await pilot.press("f", "b")
        await pilot.pause()
        up, inner = block.view.G[:, 0], block.view.G[:, 1]
        np.testing.assert_allclose(up + inner, st.state.delta[2], rtol=1e-15)
        np.testing.assert_allclose(up, st.state.delta[5], rtol=1e-15)  # block 5 reads o⁽²⁾: its ∂ℓ/∂x comes down
        assert "∂ℓ/∂o⁽²⁾" in "".join(_text(block)) and "inner" in "".join(_text(block))
        await pilot.press("p", "p")
        await pilot.pause()
        assert (st.last.key.quantity, st.last.key.layer) == ("dx", 2) and block.view.produced == "delta"
        assert "∂ℓ/∂x⁽²⁾ = ∂ℓ/∂x⁽⁵⁾ + (W⁽³⁾ᵀ δ⁽³⁾)[1:]" in str(app.query_one("#equation").render())
        block.focus()
        await pilot.press("right")
        await pilot.pause()
        assert block.cursor_cell == ("delta", 2, 0, None)
        side = app.query_one("#explain").text
        assert "∂ℓ/∂x₁⁽²⁾" in side and "fan-in" in side
        await pilot.press("p")
        await pilot.pause()
        assert block.view.delta is None and np.isnan(block.view.G).all()  # the fan-in undone with its step


def test_two_block_views_are_the_same_when_they_show_the_same():
    """``same_view``: a view made anew with the same numbers and look is the same; a number changed, a sign
    of zero (a cell shows −0.0000), a column computed (nan to a number), the step's mark or the dimming is not."""
    from dataclasses import replace

    from bptui.tui.block_sheet import BlockView, same_view

    W = np.array([[0.5, np.nan], [-0.25, np.nan]])
    view = BlockView(layer=2, activation="sigmoid", W=W, G=np.full((2, 2), np.nan), s=None, o=np.array([1.0, 0.5, 0.0]),
                     delta=None, hidden=True, produced=None, changed=None, stale=False, known=(True, False))
    assert same_view(view, replace(view, W=W.copy(), G=np.full((2, 2), np.nan), o=view.o.copy()))
    assert not same_view(view, replace(view, W=W + np.array([[0, 0], [1e-15, 0]])))
    assert not same_view(view, replace(view, o=np.array([1.0, 0.5, -0.0])))
    assert not same_view(view, replace(view, W=np.array([[0.5, 0.1], [-0.25, 0.2]]), known=(True, True)))
    assert not same_view(view, replace(view, produced="o"))
    assert not same_view(view, replace(view, stale=True))
    assert not same_view(view, replace(view, delta=np.zeros(2)))


@pytest.mark.asyncio
async def test_a_block_panel_a_step_leaves_as_it_was_keeps_its_view():
    """deep_residual at 120×40: an update step changes neither block's numbers nor their look, and each
    block's panel keeps the view it shows (the view made anew is the same, ``same_view``), so that its lines
    are not made and compared again; the next example's forward pass, which writes x, F(x) and o, shows them."""
    from bptui.tui.block_sheet import block_view, same_view

    app = app_for("deep_residual")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        st = app.stepper
        blocks = [app.query_one(f"#layer-{l}", BlockSheet) for l in (2, 5)]
        app.main._move(lambda: st.run_until(lambda step: step.key.phase == "update"))  # the first update
        await pilot.pause()
        views = [block.view for block in blocks]
        assert all(view.stale for view in views)
        updates = 1
        while st.next_key.phase == "update":
            updates += 1
            await pilot.press("n")
            await pilot.pause()
            assert all(block.view is view for block, view in zip(blocks, views)), st.last.key
            assert all(same_view(block.view, block_view(st, block.view.layer)) for block in blocks)
        assert updates == 6  # W⁽¹⁾, W⁽³⁾, W⁽⁴⁾, W⁽⁶⁾, W⁽⁷⁾, W⁽⁸⁾
        while st.last.key.layer != 2:
            await pilot.press("n")
        await pilot.pause()
        assert (st.last.key.phase, st.last.key.quantity) == ("forward", "o")
        block = blocks[0]
        assert block.view is not views[0] and block.view.o is st.state.o[2] and not block.view.stale
        assert _row(block, 1)[3] == f"{st.state.o[2][1]:.4f}•"


@pytest.mark.asyncio
async def test_the_whole_network_keys_on_a_residual_network():
    app = app_for("deep_residual")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        note = str(app.query_one("#diagram-note").render())
        assert "residual layers" in note and "map layers" not in note
        await pilot.press("d", "m")  # the decision map over the two inputs, beside the panels
        await pilot.pause()
        assert app.screen.map_shown()
        await pilot.press("m", "e")
        await pilot.pause()
        assert app.stepper.position == len(app.stepper.schedule)
        await pilot.press("g")
        await pilot.pause()
        from bptui.tui.gradcheck import GradCheckScreen

        from .tui_helpers import until

        await until(pilot, lambda: isinstance(app.screen, GradCheckScreen), "the gradient check")
        await until(pilot, lambda: "all pass ✓" in " ".join(str(w.render()) for w in app.screen.query("Static")),
                    "the check's verdict")
        await pilot.press("escape")


@pytest.mark.asyncio
async def test_the_block_panel_on_a_small_terminal_keeps_the_fan_ins_parts():
    app = app_for("deep_residual")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "b")
        await pilot.pause()
        block = app.query_one("#layer-2", BlockSheet)
        text = _text(block) + [block.render_line(y).text for y in range(block.size.height, block.virtual_size.height)]
        joined = "\n".join(text)
        assert "the fan-in's parts" in joined and "inner" in joined  # beside the rows, or under them
        assert np.isfinite(block.view.G).all()


@pytest.mark.asyncio
async def test_the_fan_in_and_its_parts_are_written_in_one_format():
    """∂ℓ/∂x = ∂ℓ/∂o + inner, and o = x + F(x), each in one number format with its parts: a sum is
    never written −0.00012 beside its parts' −1.43e−4."""
    from bptui.core.formulas.numformat import number_format

    app = app_for("deep_residual")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("f", "b")
        await pilot.pause()
        blocks = list(app.query(BlockSheet))
        assert blocks
        for block in blocks:
            v = block.view
            for total, parts in ((v.delta, v.G), (v.o, v.W)):
                joint = number_format(np.concatenate([np.ravel(total), np.ravel(parts)]), block.digits)
                assert block._formats[id(total)] == block._formats[id(parts)] == joint
            for b in range(1, v.W.shape[0] + 1):
                cells = _row(block, b)[4:7]  # ∂ℓ/∂x and its two parts, as drawn
                assert len({"e" in c for c in cells}) == 1, cells

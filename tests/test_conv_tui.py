"""The app on v2 networks: map panels, the cursor on map cells, the receptive-field highlight
(pilot tests), and snapshots of the map panels and the highlight (each SVG looked at)."""

from __future__ import annotations

import pytest

from bptui.tui.map_sheet import MapSheet
from bptui.tui.panels import highlights

from .tui_helpers import app_for, until


def _move_to(sheet: MapSheet, key) -> None:
    sheet.cursor = [c[2] for c in sheet.cells].index(key)


async def _run_to(pilot, steps: int) -> None:
    for _ in range(steps):
        pilot.app.main.action_next()
    await pilot.pause()


async def _cursor_on(pilot, layer: int, key) -> MapSheet:
    sheet = pilot.app.query_one(f"#layer-{layer}", MapSheet)
    sheet.focus()
    # focus puts the cursor on the step's cell when the sheet handles it: a loaded machine can hand
    # it over after a pause returns, so wait for it before moving the cursor
    await until(pilot, lambda: sheet.has_focus, "the sheet focused")
    await pilot.pause()
    _move_to(sheet, key)
    await pilot.press("left", "right")  # the bindings move the cursor and post the cell
    await pilot.pause()
    return sheet


@pytest.mark.asyncio
async def test_map_panels_show_the_layers_by_kind():
    app = app_for("edges")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        kinds = [type(w).__name__ for w in app.query("#layers > *")]
        assert kinds == ["MapSheet", "MapSheet", "MapSheet", "LayerSheet"]
        await _run_to(pilot, 3)
        pool = app.query_one("#layer-2", MapSheet)
        texts = ["".join(t for t, _, _ in line) for line in pool.lines]
        assert "▶ o⁽²⁾" in texts[0] and "∂ℓ/∂o⁽²⁾" in texts[0]


@pytest.mark.asyncio
async def test_an_output_cell_highlights_its_receptive_field_and_kernel():
    app = app_for("edges")
    async with app.run_test(size=(160, 50)) as pilot:
        await _run_to(pilot, 2)
        await _cursor_on(pilot, 1, ("s", 1, (1, 2, 3), None))
        assert app.main.cell == ("s", 1, (1, 2, 3), None)
        field = app.query_one("#layer-0", MapSheet).field
        inputs = {k[2] for k in field if k[1] == 0}
        assert inputs == {(0, r, c) for r in range(2, 5) for c in range(3, 6)}
        assert {k for k in field if k[0] == "W"} == {("W", 1, 1, a) for a in range(10)}
        assert "s₂,₃,₄⁽¹⁾" in app.query_one("#explain").text


@pytest.mark.asyncio
async def test_a_delta_cell_shows_the_outputs_it_came_from():
    app = app_for("two_channel")
    async with app.run_test(size=(160, 50)) as pilot:
        await _run_to(pilot, 10)  # to the end of example 1's backward pass
        await _cursor_on(pilot, 2, ("delta", 2, (0, 0, 0), None))
        # layer 2 is average pooling over layer 1's 2×2 map; the δ of layer 1 goes to the pooled entry
        assert highlights(app.spec, ("delta", 1, (0, 1, 1), None)) == {("delta", 2, (0, 0, 0), None)}
        await _cursor_on(pilot, 1, ("delta", 1, (1, 1, 0), None))
        assert app.query_one("#layer-2", MapSheet).field == {("delta", 2, (1, 0, 0), None)}


def test_highlights_of_a_strided_padded_convolution():
    from .helpers import random_conv_spec

    spec = random_conv_spec(4)  # conv 3×2×2, stride 2, padding 1 above an average pooling
    l = next(i for i, k in enumerate(spec.kinds, start=1) if getattr(k, "stride", 1) == 2 and getattr(k, "padding", 0))
    k = spec.kinds[l - 1]
    field = highlights(spec, ("s", l, (0, 0, 0), None))
    # output (0, 0) reads rows −1…0 and columns −1…0: only (0, 0) lies inside the map
    assert {f[2][1:] for f in field if f[0] == "o"} == {(0, 0)}
    assert len([f for f in field if f[0] == "W"]) == k.param_shape[1]


# a stride of 2 over 5 × 5 with a 2 × 2 kernel: ⌊(5 − 2)/2⌋ + 1 = 2 windows, row 5 and column 5 unread
UNEVEN = {
    "layers": [{"shape": [1, 5, 5]},
               {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 2, "activation": "tanh"},
               {"type": "maxpool2d", "size": 2},
               {"units": 1, "activation": "sigmoid"}],
    "weights": [{"kernel": [[[[0.5, -0.25], [0.75, -1.0]]]], "bias": [0.1]}, None, [[0.2, -0.6]]],
    "loss": "cross_entropy",
    # not a linear ramp: on one, this kernel gives every window the same s (−0.15), and max pooling's
    # choice among the four would rest on rounding
    "data": {"inputs": [[[((7 * r + 3 * c) % 11 - 5) / 10 for c in range(5)] for r in range(5)]], "targets": [[1]]},
}


def _uneven_app():
    from bptui.core.formats.spec import parse
    from bptui.tui.app import BptuiApp

    return BptuiApp(parse(UNEVEN, "uneven.json"))


def _marked(sheet: MapSheet) -> dict:
    """Each map cell's text by key, for the cells drawn with the × mark."""
    return {key: text for line in sheet.lines for text, _, key in line if key is not None and "×" in text}


@pytest.mark.asyncio
async def test_cells_a_stride_leaves_unread_are_marked():
    app = _uneven_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await _run_to(pilot, 11)  # the first example's backward pass: δ⁽¹⁾ is on the board
        await pilot.pause()
        inp, conv, pool = (app.query_one(f"#layer-{l}", MapSheet) for l in range(3))
        unread = {(0, i, j) for i in range(5) for j in range(5) if i == 4 or j == 4}
        assert {key[2] for key in _marked(inp)} == unread  # the input: o⁽⁰⁾ only
        assert inp.border_subtitle == "× never read by layer 1 (conv2d 1×2×2, stride 2)"
        x = app.stepper.state.o[0]
        assert _marked(inp)[("o", 0, (0, 4, 2), None)].strip() == "×" + f"{x[0, 4, 2]:.4f}".replace("-", "−")
        # layer 1's 2 × 2 maps are all read by the 2 × 2 pooling: no mark, no legend
        assert _marked(conv) == {} and not conv.border_subtitle and not pool.border_subtitle
        await _cursor_on(pilot, 0, ("o", 0, (0, 4, 0), None))
        assert "never read: no window of layer 1 (conv2d 1×2×2, stride 2) covers row 5 of o⁽⁰⁾" in \
            app.query_one("#explain").text


def test_unread_cells_snapshot(snap_compare):
    async def run_before(pilot):
        await _run_to(pilot, 11)
    assert snap_compare(_uneven_app(), run_before=run_before, terminal_size=(140, 40))


def test_map_panels_snapshot(snap_compare):
    async def run_before(pilot):
        await _run_to(pilot, 10)
    assert snap_compare(app_for("two_channel"), run_before=run_before, terminal_size=(140, 50))


def test_receptive_field_snapshot(snap_compare):
    async def run_before(pilot):
        await _run_to(pilot, 2)
        await _cursor_on(pilot, 1, ("o", 1, (0, 1, 1), None))
        pilot.app.query_one("#layer-0").scroll_visible(animate=False)
        await pilot.pause()
    assert snap_compare(app_for("two_channel"), run_before=run_before, terminal_size=(140, 50))


@pytest.mark.asyncio
async def test_the_equation_line_works_out_the_cursor_position():
    app = app_for("edges")
    async with app.run_test(size=(160, 50)) as pilot:
        await _run_to(pilot, 1)  # s⁽¹⁾
        assert "s₁,₁,₁⁽¹⁾ = b₁⁽¹⁾" in app.main.equation_text()
        await _cursor_on(pilot, 1, ("s", 1, (1, 2, 3), None))
        assert "s₂,₃,₄⁽¹⁾ = b₂⁽¹⁾" in app.main.equation_text()
        await _cursor_on(pilot, 1, ("o", 1, (1, 2, 3), None))  # not what the step made: the first position
        assert "s₁,₁,₁⁽¹⁾ = b₁⁽¹⁾" in app.main.equation_text()


@pytest.mark.asyncio
async def test_the_first_frame_from_a_v2_document():
    """``bptui FILE`` draws its first frame from the schema-checked document, before the spec."""
    import json

    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    path = NETWORKS / "edges.json"
    app = BptuiApp.from_document(json.loads(path.read_text()), str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.stepper is not None and app.main is not None and app.main.query_one("#layer-1", MapSheet)


@pytest.mark.asyncio
async def test_the_quiz_asks_the_kernel_weight_under_the_cursor():
    """Quiz mode on a conv G step asks for the kernel weight under the cursor (the kind lists every kernel
    weight as a quiz cell), hides it in its own scalar form and in the panel, and takes its exact value."""
    from textual.widgets import Input

    app = app_for("edges")
    async with app.run_test(size=(160, 50)) as pilot:
        await _run_to(pilot, 10)  # the next step is G⁽¹⁾
        await _cursor_on(pilot, 1, ("G", 1, 1, 5))  # kernel 2, column 5: (c, u, v) = (1, 2, 2) from 1
        await pilot.press("z", "n")
        await pilot.pause()
        asked, question = app.main.asked, app.main.question
        assert (asked.quantity, asked.layer, asked.unit, asked.column) == ("G", 1, 2, 5)
        assert question.symbol == "G₂,₁,₂,₂⁽¹⁾" and "G₂,₁,₂,₂⁽¹⁾ ← G₂,₁,₂,₂⁽¹⁾ + Σ" in question.equation
        assert question.equation.count("?") == 1 and question.value == app.stepper.state.G[1][1, 5]
        sheet = app.query_one("#layer-1", MapSheet)
        assert [key for line in sheet.lines for text, _, key in line if text.strip() == "?"] == [("G", 1, 1, 5)]
        line = app.main.query_one("#answer", Input)
        line.value = repr(question.value)
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.score.right == 1

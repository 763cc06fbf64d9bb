"""The number panels as one family (pilot tests): the panel each kind's view hint chooses, the
non-finite style every panel shares, what the input map and a recurrent layer show at step 0, what
``d`` says on a network it cannot draw, and the footer's keys in order at 120 and 80 columns."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.core.formats.spec import load
from bptui.tui.map_sheet import MapSheet
from bptui.tui.seq_sheet import SeqSheet
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell, number_format

from .conftest import NETWORKS
from .tui_helpers import app_for


def test_the_view_hint_of_every_kind_names_a_panel_class():
    from bptui.core.kinds import KINDS
    from bptui.tui.panel_base import NumberSheet
    from bptui.tui.panels import PANELS, panel_class

    kinds = set(KINDS.values())  # the one table of kinds
    assert kinds
    hints = {kind: getattr(kind, "panel_hints", (kind.panel,)) for kind in kinds}  # an instance's, when it varies
    for kind in kinds:
        for hint in hints[kind]:
            assert hint in PANELS, kind.__name__
            assert issubclass(panel_class(hint), NumberSheet)
    from bptui.tui.block_sheet import BlockSheet

    assert {panel_class(h) for k in kinds for h in hints[k]} == {LayerSheet, MapSheet, SeqSheet, BlockSheet}


@pytest.mark.parametrize("name, classes", [
    ("xor", ["LayerSheet", "LayerSheet"]),
    ("edges", ["MapSheet", "MapSheet", "MapSheet", "LayerSheet"]),
    ("parity", ["SeqSheet", "SeqSheet"]),
    ("deep_residual", ["LayerSheet", "BlockSheet", "LayerSheet", "LayerSheet", "BlockSheet", "LayerSheet",
                       "LayerSheet", "LayerSheet"]),
])
def test_each_network_gets_its_panels_from_the_table(name, classes):
    from bptui.core.engine.stepper import Stepper
    from bptui.tui.panels import network_panels

    stepper = Stepper(load(NETWORKS / f"{name}.json"))
    assert [type(p).__name__ for p in network_panels(stepper, 4)] == classes


def _styles_of(sheet, text: str) -> list:
    """The styles of the segments that draw ``text`` on the panel's virtual lines."""
    found = []
    for y in range(sheet.virtual_size.height):
        strip = sheet.render_line(y - int(sheet.scroll_offset.y))
        found += [seg.style for seg in strip if seg.text.strip().rstrip("•") == text]
    return found


def _poison(stepper, quantity: str, layer: int, index) -> None:
    """A nan on the board in place of one value (arrays are replaced, never changed in place)."""
    board = getattr(stepper.state, quantity)
    a = np.array(board[layer], dtype=float)
    a[index] = np.nan
    board[layer] = a


@pytest.mark.asyncio
@pytest.mark.parametrize("name, layer, index, steps", [
    ("xor", 1, (0,), 1),  # s⁽¹⁾ of a dense panel
    ("edges", 1, (0, 0, 0), 1),  # s⁽¹⁾ of a map panel
    ("parity", 1, (0, 0), 1),  # s⁽¹⁾_1 of a sequence panel
])
async def test_every_panel_draws_a_nan_in_reverse_video(name, layer, index, steps):
    app = app_for(name)
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(steps):
            app.main.action_next()
        _poison(app.stepper, "s", layer, index)
        app.main.revision += 1
        await pilot.pause()
        sheet = app.query_one(f"#layer-{layer}")
        styles = _styles_of(sheet, "nan")
        assert styles, f"no nan drawn in {type(sheet).__name__}"
        assert all(style.reverse and style.bold for style in styles)


@pytest.mark.asyncio
async def test_the_input_map_shows_its_values_at_step_0():
    app = app_for("edges")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.stepper.position == 0
        sheet = app.query_one("#layer-0", MapSheet)
        x = np.asarray(app.stepper.where().x).reshape(app.spec.input_shape)
        fmt = number_format(x, 4)  # one format for the map
        shown = {key[2]: text.strip() for line in sheet.lines for text, _, key in line if key is not None}
        assert shown == {pos: cell(float(x[pos]), 4, fmt) for pos in np.ndindex(x.shape)}
        assert shown[(0, 0, 0)] == "0.08061" and "·" not in shown.values()


@pytest.mark.asyncio
async def test_a_recurrent_layer_shows_its_time_columns_at_step_0():
    app = app_for("parity")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        rnn = app.query_one("#layer-1", SeqSheet)
        T = len(app.stepper.where().x)
        head = next(t for t in ("".join(r for r, _, _ in line) for line in rnn.lines) if "τ=1" in t or "once" in t)
        assert "once" not in head
        # (an optimizer's state beside the grid names itself on the same line: m⁽¹⁾ (1st moment, t = 0))
        assert [f"τ={t}" for t in range(1, T + 1)] == [w for w in head.split() if w.startswith("τ")]
        x_row = next("".join(r for r, _, _ in line) for line in rnn.lines if line and line[0][0].startswith("x a=1"))
        x = np.asarray(app.stepper.where().x)
        assert x_row.split()[2:2 + T] == [cell(float(v), 4, number_format(x, 4)) for v in x[:, 0]]  # (a state may stand beside)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["edges", "parity"])
async def test_d_says_what_it_cannot_draw_without_a_legend(name):
    from bptui.tui.diagrams import LEGEND, MAP_LEGEND

    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        title = str(app.query_one("#diagram-title").render())
        note = str(app.query_one("#diagram-note").render())
        assert "cannot" in note or "is drawn for dense networks" in note
        for legend_line in (LEGEND + MAP_LEGEND).strip().splitlines():
            assert legend_line.strip()[:30] not in title
        assert "┄┄" not in title and "━━" not in title


RECURRENT = {"rnn", "lstm", "gru"}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["parity", "gru_parity", "count_tokens", "tiny_transformer", "edges", "deep_residual"])
async def test_the_note_of_a_diagram_not_drawn_names_the_networks_own_layers(name):
    """The note in place of a diagram not drawn says what the network has: count_tokens' ``d`` said it
    "has a recurrent layer" (it has attention and dense layers), its ``c`` "has a attention layer, whose
    gates the layer panels show", and tiny_transformer's ``c`` a residual layer's gates. A note names a
    kind only if the network has it, a recurrent layer only if it has one, gates only if a layer has them."""
    app = app_for(name)
    kinds = {k.type: k for k in app.stepper.net.kinds}
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("d", "c"):
            await pilot.press(key)
            await pilot.pause()
            note = str(app.query_one("#diagram-note").render())
            await pilot.press(key)
            if not note:
                continue  # (drawn)
            said = note.split(f"{name} has", 1)[1]  # (before it, what the diagram draws)
            named = set(re.findall(r"\b(rnn|lstm|gru|attention|residual|layernorm|dropout|conv2d|maxpool2d|avgpool2d)\b",
                                   said))
            assert named and named <= set(kinds), (key, note)
            assert ("recurrent" in note) <= bool(RECURRENT & set(kinds)), (key, note)
            assert ("gate" in note) <= any(getattr(k, "gates", 1) > 1 for k in kinds.values()), (key, note)
            assert " a attention" not in note and " a residual" not in note and "has  " not in note


FOOTER = "n p f b u e t s m d c g z w ? q".split()


def _footer_keys(app) -> list[tuple[str, int, int]]:
    """(key shown, x, right edge) of each key in the footer, left to right."""
    from textual.widgets._footer import FooterKey

    keys = [(fk.key_display, fk.region.x, fk.region.right, fk.display) for fk in app.screen.query(FooterKey)]
    return [k[:3] for k in keys if k[3]]


def key_words(app, key: str) -> list[str]:
    """The words a footer key draws: its key and its description."""
    from textual.widgets._footer import FooterKey

    found = next(fk for fk in app.screen.query(FooterKey) if fk.key_display == key)
    return [key, *found.description.split()]


@pytest.mark.asyncio
@pytest.mark.parametrize("width, height, shown", [(120, 40, 16), (80, 24, 10)])
async def test_the_footer_keys_in_order(width, height, shown):
    """All sixteen keys at 120 columns, the first ten whole at 80 and no part of the eleventh (it
    comes back when the screen widens)."""
    app = app_for("xor")
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        keys = _footer_keys(app)
        assert [k for k, _, _ in keys] == FOOTER[:shown]
        assert all(right <= width for _, _, right in keys), keys
        bottom = app.screen._compositor.render_strips()[-1].text  # the footer's row, as drawn
        assert bottom.split() == [word for key in FOOTER[:shown] for word in key_words(app, key)], bottom
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert [k for k, _, _ in _footer_keys(app)] == FOOTER


def test_the_help_names_the_digit_keys():
    from bptui.tui.help import help_text

    text = help_text(load(NETWORKS / "xor.json"))
    assert "+  -" in text and "more / fewer digits" in text
    # the key is the one typed, `-`, in every row that names it (the pace's `- +` and the digits' row
    # wrote it `-` and `−`); a number's sign stays `−`
    keys = text[text.index("KEYS"):]
    assert "−" not in "".join(line[:16] for line in keys.splitlines()), keys
    assert "- + the pace" in keys


def test_the_graph_help_names_the_digit_keys_as_typed():
    from bptui.tui.help import graph_help_text

    keys = graph_help_text()[graph_help_text().index("KEYS"):]
    assert "  +  -  " in keys and "−" not in "".join(line[:22] for line in keys.splitlines()), keys

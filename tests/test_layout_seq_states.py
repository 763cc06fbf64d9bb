"""Issue 24 item 2, "the whole screen used", for the sequence panels: an optimizer's state stands beside
W's rows (``panel_base.parts_beside``, the dense panels' one rule) when the panels do not fit their
column's height and the blank at the right of W's rows holds it, rather than at the panel's foot in a
tall narrow column while the panel above it scrolls."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bptui.tui.explain import TimeIndex
from bptui.tui.seq_sheet import SeqSheet, current_time
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell, number_format, optimizer_state

from .conftest import ALL_EXAMPLES, NETWORKS, _kind
from .test_layout_arrangement import app_with


def read(text: str) -> float:
    return float(text.replace("−", "-"))


def lines_of(panel) -> list[str]:
    return ["".join(text for text, _, _ in line) for line in panel.lines]


@asynccontextmanager
async def panel_after(name: str, size: tuple[int, int], layer: int, keys: tuple[str, ...] = ("u",),
                      notation: str | None = None, kind: type = SeqSheet) -> AsyncIterator[tuple]:
    """The app on the bundled network ``name`` (in profile ``notation``) at ``size`` after ``keys``, idle:
    (the app, its pilot, layer ``layer``'s panel, the texts of the panel's lines)."""
    app = app_with(name, notation)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one(f"#layer-{layer}", kind)
        yield app, pilot, panel, lines_of(panel)


async def test_a_states_rows_stand_beside_ws_rows_in_cs231n():
    """gru_parity in cs231n at 200×50 after an update: layer 2 (dense, once on h¹ at τ = T) drew W², b², dW²,
    db², its scores, then m² and v² under each other, 33 lines in 24 of 196 columns, while layer 1 scrolled;
    m² and v² stand beside W²'s lines, their headings on a line over W²'s units, each k's entries of the
    three matrices on one line (the state's k beside W's), and the panel is 17 lines."""
    async with panel_after("gru_parity", (200, 50), 2, notation="cs231n") as (app, pilot, panel, lines):
        text = "\n".join(lines)
        assert "m² (1st moment" in lines[0] and "v² (2nd moment" in lines[0], text
        assert lines[0].index("m²") < lines[0].index("v²")
        assert lines[1].count("j=0") == 3, text  # W's unit, m's and v's over their columns
        (_, m), (_, v) = optimizer_state(app.stepper, 2, app.stepper.notation)
        for k in range(4):  # W²'s line k, m²'s and v²'s beside it: the same k three times, the state's entries
            line = lines[2 + k]
            assert line.count(f"k={k}") == 3, text
            shown = [word for word in line.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", word)]
            assert len(shown) == 3, line
            assert read(shown[-2]) == pytest.approx(float(m[0, 1 + k]), rel=2e-3, abs=5e-5), line
            assert read(shown[-1]) == pytest.approx(float(v[0, 1 + k]), rel=5e-3, abs=5e-7), line
            assert read(shown[0]) == pytest.approx(float(app.stepper.state.W[2][0, 1 + k]), abs=5e-5), line
        assert sum("m² (1st moment" in line for line in lines) == 1  # not at the foot too
        assert len(lines) == 17 and panel.virtual_size.height == 17, text  # (33 when they stood at the foot)
        assert panel.beside == 2
        assert panel.heading_spans()[0] == (0, 2), panel.heading_spans()  # (both heading lines pinned together)


async def test_a_states_rows_stand_beside_ws_rows_in_the_lecture():
    """count_tokens in the lecture at 200×50 after an update: layer 2 (dense at each τ, G⁽²⁾ under W⁽²⁾) drew
    m⁽²⁾ and v⁽²⁾ under its grid, 121 lines in a 39-line view, 157 of 195 columns unused at its foot; they
    stand beside W⁽²⁾'s rows, their headings on W's heading line, row b of each on W's row b, G⁽²⁾ still
    under W⁽²⁾: 85 lines, each heading pinned with the rows it names."""
    async with panel_after("count_tokens", (200, 50), 2) as (app, pilot, panel, lines):
        text = "\n".join(lines[:20])
        assert lines[0].startswith("W⁽²⁾") and "m⁽²⁾ (1st moment" in lines[0] and "v⁽²⁾ (2nd moment" in lines[0], text
        (_, m), (_, v) = optimizer_state(app.stepper, 2)
        W = app.stepper.state.W[2]
        for b in range(W.shape[0]):
            line = lines[1 + b]
            assert line.count(f"b={b + 1} ") == 3, text
            shown = [word for word in line.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", word)]
            assert len(shown) == 3 * W.shape[1], line
            for a in range(W.shape[1]):
                assert read(shown[a]) == pytest.approx(float(W[b, a]), abs=5e-6), line
                assert read(shown[W.shape[1] + a]) == pytest.approx(float(m[b, a]), rel=5e-3, abs=5e-6), line
                assert read(shown[2 * W.shape[1] + a]) == pytest.approx(float(v[b, a]), rel=5e-3, abs=5e-9), line
        assert lines[1 + W.shape[0] + 1].startswith("G⁽²⁾"), "\n".join(lines[:24])  # G under W, as it was
        assert sum("(1st moment" in line for line in lines) == 1
        assert panel.beside == 2 and len(lines) == 85, len(lines)  # (121 at the foot)
        starts = [first for first, _ in panel.heading_spans()]
        assert starts[:2] == [0, 2 + W.shape[0]] and panel.grid_top in starts, starts


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 45), (200, 50)])
async def test_a_state_left_over_stands_beside_g_under_w(size):
    """count_tokens in the lecture after an update: layer 2 (G⁽²⁾ under W⁽²⁾ in every panel, layer 3's W and G
    do not fit side by side) put m⁽²⁾ beside W⁽²⁾'s rows at 120×40 and 160×45 and v⁽²⁾ at the panel's foot,
    under the grid over τ, while ~100 columns at the right of G⁽²⁾'s rows stayed blank. A state that does not
    fit beside W's rows stands beside G's (its heading on G's heading line, row b beside G's row b) where the
    blank at their right holds it, by the same rule (``panel_base.parts_beside``); at 80×24 none fits beside
    (the panel's 75 columns), at 200×50 both stand beside W, and at 160×45 too since a state's width is
    counted to its last number (not the blanks after W's last cell and after the state's: 141 of 155
    columns). Every state is drawn once, with its numbers."""
    async with panel_after("count_tokens", size, 2) as (app, pilot, panel, lines):
        text = "\n".join(lines[:40])
        (_, m), (_, v) = optimizer_state(app.stepper, 2)
        W = app.stepper.state.W[2]
        rows = W.shape[0]
        g = next(y for y, line in enumerate(lines) if re.match(r"(▶ )?G⁽²⁾", line))
        assert g == 2 + rows, text  # G under W
        assert sum("(1st moment" in line for line in lines) == 1 and sum("(2nd moment" in line for line in lines) == 1
        room = panel.scrollable_content_region.width
        state_w = max(len(line.rstrip()) for line in lines[g:g + 1 + rows])  # G's lines with the state beside
        if size == (80, 24):
            assert "moment" not in lines[0] and "moment" not in lines[g], text
            return
        if size in ((160, 45), (200, 50)):
            assert "(2nd moment" in lines[0], text
            assert max(len(line.rstrip()) for line in lines) <= room
            return
        assert "(1st moment" in lines[0] and "(2nd moment" in lines[g], text
        assert state_w <= room
        for b in range(rows):
            line = lines[g + 1 + b]
            assert line.count(f"b={b + 1} ") == 2, text
            shown = [read(w) for w in line.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", w)]
            assert len(shown) == 2 * W.shape[1], line
            assert shown[:W.shape[1]] == pytest.approx(app.stepper.state.G[2][b].tolist(), abs=6e-5), line
            assert shown[W.shape[1]:] == pytest.approx(v[b].tolist(), rel=5e-3, abs=5e-9), line
        assert not any("moment" in line for line in lines[g + 1 + rows:]), "\n".join(lines)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 45), (200, 50)])
async def test_a_state_left_over_stands_beside_dw_in_ng(size):
    """count_tokens in ng after an update: layer 2's v^[2] (1st moment) beside W^[2]'s rows, and its s^[2]
    (2nd moment) at the panel's foot under the grid over τ (104 lines at 120×40 and 160×45); it stands beside
    dW^[2]'s rows (their heading's line, row j beside row j, the state's bias after its weights, as beside W),
    85 lines. At 80×24 neither stands beside, at 200×50 both beside W's rows, and at 160×45 too since the
    parts are counted to their last numbers (not the blanks after them)."""
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    async with panel_after("count_tokens", size, 2, notation="ng", kind=ProfileSeqSheet) as (app, pilot, panel, lines):
        text = "\n".join(lines[:40])
        (_, m), (_, v) = optimizer_state(app.stepper, 2)  # the lecture's m, v: [bias │ weights]
        rows = m.shape[0]
        g = next(y for y, line in enumerate(lines) if "dW^[2]" in line)
        assert g == 2 + rows, text  # dW under W
        assert sum("(1st moment" in line for line in lines) == 1 and sum("(2nd moment" in line for line in lines) == 1
        if size == (80, 24):
            assert "moment" not in lines[0] and "moment" not in lines[g], text
            return
        if size in ((160, 45), (200, 50)):
            assert "(2nd moment" in lines[0] and panel.virtual_size.height == 85, text
            assert max(len(line.rstrip()) for line in lines) <= panel.scrollable_content_region.width
            return
        assert "(1st moment" in lines[0] and "s^[2] (2nd moment" in lines[g], text
        assert max(len(line.rstrip()) for line in lines[g:g + 1 + rows]) <= panel.scrollable_content_region.width
        for j in range(rows):
            line = lines[g + 1 + j]
            assert line.count(f"j={j + 1} ") == 2, text
            shown = [read(w) for w in line.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", w)]
            assert len(shown) == 8, line  # dW's 3, db, the state's 3 and its bias
            assert shown[4:7] == pytest.approx(v[j, 1:].tolist(), rel=5e-3, abs=5e-9), line
            assert shown[7] == pytest.approx(float(v[j, 0]), rel=5e-3, abs=6e-6), line  # (its column: 5 decimals)
        assert not any("moment" in line for line in lines[g + 1 + rows:]), "\n".join(lines)
        assert panel.virtual_size.height == 85  # (104 with the state at the foot)


def shown_width(line: str) -> int:
    """The columns a line's text takes, its blanks at the right not counted."""
    return len(line.rstrip())


@pytest.mark.parametrize("keys", [("b",), ("u",)])
async def test_an_attention_layers_state_stands_beside_its_stacked_w(keys):
    """count_tokens in the lecture at 200×50 after the backward pass (G⁽¹⁾'s entries of 5 decimals widen the
    cells to 10) and after an update: layer 1's stacked W_Q, W_K, W_V, W_O and m⁽¹⁾ beside them needed 206
    columns with the blanks after W's last cell and after m's (W's rows 102 with their gap, 2, m's 102) and
    the panel has 195, so m⁽¹⁾ and v⁽¹⁾ both stood at the panel's foot, 137 lines down, while 97 columns
    at the right of W's 27 rows were blank. m⁽¹⁾ stands beside W's rows (its own cells, its labels as wide
    as they are, two blanks after W's last cell's), every one of its columns shown, the panel not
    scrolled sideways; the numbers are the stepper's."""
    async with panel_after("count_tokens", (200, 50), 1, keys=keys) as (app, pilot, panel, lines):
        text = "\n".join(lines[:30])
        assert panel.cw == 10, panel.cw
        assert lines[0].startswith("W_Q") and "m⁽¹⁾ (1st moment" in lines[0], text
        assert sum("(1st moment" in line for line in lines) == 1
        (_, m), _ = optimizer_state(app.stepper, 1)
        W = app.stepper.state.W[1]
        entry = app.stepper.spec.layer_kinds[0].editable
        digits = app.main.digits
        for b in range(W.shape[0]):
            line = lines[1 + b]
            assert line.count(f"{line[:3]} ") == 2, line  # W's row's label and the state's
            numbers = re.sub(r"\b[QKVO] \d+\b", "", line)  # (the labels: Q 1 … O 3)
            shown = [w for w in numbers.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", w)]
            entries = [a for a in range(W.shape[1]) if entry(b, a)]  # (Q, K, V's rows: the bias and x's 3)
            assert shown == [cell(float(W[b, a]), digits, number_format(W, digits)) for a in entries] + [
                cell(float(m[b, a]), digits, number_format(m, digits)) for a in entries], line
        room = panel.scrollable_content_region.width
        assert max(shown_width(line) for line in lines) <= room
        assert panel.virtual_size.width <= room, (panel.virtual_size.width, room)
        assert panel.beside >= 1


@pytest.mark.parametrize("name, layer", [("count_tokens", 1), ("count_tokens", 2)])
async def test_a_resize_puts_the_states_where_a_fresh_start_does(name, layer):
    """count_tokens in the lecture after three steps at 120×40 (m⁽¹⁾ and v⁽¹⁾ at layer 1's foot: W's rows and
    a state do not fit its 115 columns), the terminal then resized to 200×50: the states stayed at the foot,
    under the 78 lines of the grid, until the next step built the lines again, while a fresh start at
    200×50 shows m⁽¹⁾ beside W's rows. After the resize each panel's lines are a fresh start's, and back at
    120×40 the 120×40 start's."""
    async def lines_at(size, resized=None):
        app = app_with(name)
        async with app.run_test(size=size) as pilot:
            await pilot.press("n", "n", "n")
            await pilot.pause()
            if resized is not None:
                for other in resized:
                    await pilot.resize_terminal(*other)
                    await pilot.pause()
                    await pilot.pause()
            return lines_of(app.main.query_one(f"#layer-{layer}", SeqSheet))

    small, big = await lines_at((120, 40)), await lines_at((200, 50))
    assert small != big
    assert await lines_at((120, 40), [(200, 50)]) == big
    assert await lines_at((200, 50), [(120, 40)]) == small


def seq_panels_checked(app, where: str) -> int:
    """Each sequence panel on screen scrolls sideways only to show a number (not for the blanks after its
    lines' last numbers), and, when the panels do not fit their column's height, an optimizer's state at its
    foot would not fit beside W's rows (two blanks after W's last cell's, the state's lines to their last
    number): returns how many panels it checked."""
    checked = 0
    for panel in app.main.query(SeqSheet):
        if not (panel.display and panel.size.width) or not type(panel).LECTURE_WEIGHTS:
            continue
        texts = lines_of(panel)
        room = panel.scrollable_content_region.width
        widest = max(len(text.rstrip()) for text in texts)
        assert panel.virtual_size.width <= room or widest > room, (
            f"{where}: {panel.id} scrolls sideways ({panel.virtual_size.width} columns in {room}) over blanks: "
            f"its lines take {widest}")
        l = panel.l_index
        if panel._crowded_as and panel.stepper.spec.layer_kinds[l - 1].has_weights:
            rows = panel.stepper.spec.weights[l - 1].shape[0]
            w_lines = texts[:1 + rows]
            w_end = max(len(text.rstrip()) for text in w_lines) + (0 if "moment" in w_lines[0] else 1)
            for top in panel.state_headings:
                if top > panel.grid_top:  # at the foot
                    state = max(len(text.rstrip()) for text in texts[top:top + 1 + rows])
                    assert w_end + 2 + state > room, f"{where}: {panel.id}: {texts[top]!r} at the foot, " \
                        f"{state} columns beside W's rows' {w_end} in {room}"
        checked += 1
    return checked


@pytest.mark.parametrize("name", ["count_tokens", "tiny_transformer", "parity", "gru_parity", "long_memory_lstm"])
async def test_a_sequence_panel_hides_no_column_beside_blank_ones(name):
    """Every sequence panel (attention, recurrent, gated) at 80×24, 120×40 and 200×50, the map open and
    closed, after steps, a backward pass, an update and ``+``/``−`` digits: it scrolls sideways only for
    numbers (parity's layer 1 at 80×24 with 5 digits scrolled 3 columns for the gap after its last cell,
    its lines 73 columns in 75), and a state at its foot does not fit beside W's rows."""
    from .test_layout import sizes_and_keys

    app = app_with(name)
    checked = 0
    async with app.run_test(size=(80, 24)) as pilot:
        async for size, keys in sizes_and_keys(pilot):
            checked += seq_panels_checked(app, f"{name} at {size} after {keys}")
    assert checked


def numbers_in(text: str) -> list[str]:
    return [word for word in text.split() if re.fullmatch(r"−?[\d.]+(e−?\d+)?", word)]


@pytest.mark.parametrize("name, layer, size", [("tiny_transformer", 3, (200, 50)), ("tiny_transformer", 3, (160, 45)),
                                               ("gru_parity", 1, (200, 50)), ("gru_parity", 1, (160, 45))])
async def test_a_state_that_fits_beside_neither_w_nor_g_stands_beside_the_grid(name, layer, size):
    """tiny_transformer at 200×50 after an update: layer 3's W | G fill the panel's width, so m⁽³⁾ and v⁽³⁾
    stood at its foot under the 75 lines of the grid, 105 lines down, while ~140 columns at the grid's right
    were blank (gru_parity's layer 1: 75 lines down). They stand beside the grid's rows, one under the
    other from its first row down, two blanks after its last number, every line within the panel, nothing
    at the foot, and the states' numbers are the stepper's. Each state's heading is pinned over its rows as
    the grid's τ line is over the grid's (its heading beside the grid's first row was not pinned, and scrolled
    away while its rows were in view): m⁽³⁾'s on the grid's τ line, v⁽³⁾'s on a copy of the τ line over v's
    rows, so that a view scrolled to a state's rows keeps both the τ of the grid's columns and the state's name
    at its top."""
    async with panel_after(name, size, layer) as (app, pilot, panel, lines):
        top = panel.grid_top
        text = "\n".join(lines[top:top + 40])
        grid_end = next((y for y in range(top, len(lines)) if not lines[y].strip()), len(lines))
        heads = [y for y, line in enumerate(lines) if "moment, t = 1)" in line]
        assert len(heads) == 2 and heads[0] == top and top < heads[1] < grid_end, (heads, top, grid_end, text)
        for head in heads:  # (a τ line: the grid's, or its copy)
            assert lines[head].lstrip().startswith("τ=1") and lines[head][:panel.lead + 4] == lines[top][:panel.lead + 4]
        room = panel.scrollable_content_region.width
        assert max(len(line.rstrip()) for line in lines) <= room
        assert not any(line.strip() for line in lines[grid_end:]), "\n".join(lines[grid_end:])  # no foot
        assert set(heads) <= {first for first, _ in panel.heading_spans()}  # each pinned over its rows
        for head, name_ in zip(heads, ("m⁽", "v⁽")):
            panel.scroll_to(0, head + 4, animate=False, immediate=True)
            await pilot.pause()
            assert panel.pinned() == (head, 1), (panel.pinned(), head)
            assert name_ in panel.render_line(0).text and "τ=1" in panel.render_line(0).text, panel.render_line(0).text
        (_, m), (_, v) = optimizer_state(app.stepper, layer)
        W = app.stepper.state.W[layer]
        entry = app.stepper.spec.layer_kinds[layer - 1].editable
        x = re.search(r"m⁽", lines[heads[0]]).start()  # the states' first column
        assert re.search(r"v⁽", lines[heads[1]]).start() == x
        grid_w = max(len(line[:x].rstrip()) for line in lines[top:grid_end])
        assert x == grid_w + 2, (x, grid_w)  # two blanks after the grid's last number
        for head, state in zip(heads, (m, v)):
            fmt = number_format(state, app.main.digits)
            for b in range(W.shape[0]):
                shown = numbers_in(lines[head + 1 + b][x + 6:])  # (after the row's label: Q 1, r1)
                assert shown == [cell(float(state[b, a]), app.main.digits, fmt) for a in range(W.shape[1])
                                 if entry(b, a)], lines[head + 1 + b]
        assert [y for y in range(top, grid_end) if "τ=1" in lines[y][:x]] == heads  # (no other τ line)


async def test_count_tokens_v_stands_beside_g_after_an_update():
    """count_tokens at 200×50 after an update: v⁽¹⁾ (all positive, 1.05e−10 its widest) took cells 11 wide
    (a minus's column it never shows), 105 columns beside G⁽¹⁾'s 96 in 195, so it stood at layer 1's foot,
    137 lines down; in cells as wide as its numbers need it stands beside G⁽¹⁾'s rows (W⁽¹⁾ | m⁽¹⁾ over
    G⁽¹⁾ | v⁽¹⁾), its heading on G's heading line, nothing at the foot."""
    async with panel_after("count_tokens", (200, 50), 1) as (app, pilot, panel, lines):
        W = app.stepper.state.W[1]
        g = 2 + W.shape[0]
        text = "\n".join(lines[:g + 3])
        assert lines[g].startswith("G⁽¹⁾") and "v⁽¹⁾ (2nd moment" in lines[g], text
        assert "m⁽¹⁾ (1st moment" in lines[0]
        assert not any("moment" in line for line in lines[g + 1:])
        assert max(len(line.rstrip()) for line in lines) <= panel.scrollable_content_region.width


NETWORK_FILES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network"]


@pytest.mark.parametrize("name", NETWORK_FILES)
async def test_no_panel_scrolls_sideways_for_the_gap_after_its_last_block(name):
    """tiny_transformer at 200×50 after an update: layer 3's W | G rows took 196 columns in its 195 (the
    four blanks after G⁽³⁾'s last cell, a gap before a block that never comes), so the panel scrolled one
    column sideways, over blanks (gru_parity's layer 1 at 160×45: 158 in 155). Every panel drawn from its
    lines, of every bundled network, at 80×24, 120×40, 160×45 and 200×50 after an update, is no wider than
    its room unless a line's cells, numbers or labels are (the blanks after a line's last one not counted):
    the lecture's dense panels too (their lines made as they draw them, the parts beside the rows and under
    them included), with the network's own optimizer and with Adam (two states beside or under the rows): a
    network that trains with Adam already is walked once (with Adam set, its app is the same one)."""
    own = json.loads((NETWORKS / f"{name}.json").read_text()).get("training", {}).get("optimizer")
    for optimizer in (None,) if own == "adam" else (None, "adam"):
        await no_sideways_scroll_for_blanks(name, optimizer)


async def no_sideways_scroll_for_blanks(name: str, optimizer: str | None) -> None:
    app = app_with(name, None, optimizer)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("u")
        await pilot.pause()
        for size in [(80, 24), (120, 40), (160, 45), (200, 50)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            for panel in app.main.query("#layers > *"):
                lines = panel_lines(panel)
                if not (panel.display and panel.size.width) or lines is None:
                    continue
                room = panel.scrollable_content_region.width
                widest = max((drawn_width(line) for line in lines), default=0)
                assert panel.virtual_size.width <= room or widest > room, (
                    f"{name} ({optimizer or 'its own optimizer'}) at {size}: {panel.id} is "
                    f"{panel.virtual_size.width} columns wide in {room}, its lines' cells and labels {widest}")


def panel_lines(panel) -> list | None:
    """A panel's lines as runs (text, style, key), in view or not: a panel drawn from its lines (``lines``), or
    the lecture's dense panel (``LayerSheet``), whose lines are made as they are drawn; None for another."""
    if isinstance(panel, LayerSheet):
        return [panel._runs(y) or [] for y in range(panel.virtual_size.height)]
    lines = getattr(panel, "lines", None)
    return lines if isinstance(lines, list) else None


def drawn_width(line: list) -> int:
    """The columns a panel's line takes to the end of its last cell (a cell's blank after its number, where
    the cursor's bracket goes, counted) or its last label or number: the blank runs after them not counted."""
    runs = list(line)
    while runs and runs[-1][2] is None and not runs[-1][0].strip():
        runs.pop()
    if not runs:
        return 0
    last = runs[-1][0] if runs[-1][2] is not None else runs[-1][0].rstrip()
    return sum(len(text) for text, _, _ in runs[:-1]) + len(last)


@pytest.mark.parametrize("name, layer, size", [("long_memory_lstm", 1, (120, 40)), ("long_memory_lstm", 1, (160, 45)),
                                               ("long_memory_lstm", 1, (200, 50)), ("count_tokens", 3, (160, 45))])
async def test_a_state_that_stands_beside_nothing_is_under_the_weights_in_its_update(name, layer, size):
    """long_memory_lstm's layer 1 after an update at 160×45: its grid's lines are 306 columns wide and W⁽¹⁾ | G⁽¹⁾'s
    134 of 155, so m⁽¹⁾ | v⁽¹⁾ fit beside nothing and stood at the panel's foot, under the grid's 70 lines, 71
    lines down (count_tokens' layer 3: its m⁽³⁾ and v⁽³⁾ of 17 columns, wider than the panel, under the grid,
    half out of view). In the update, which writes them and leaves the grid dimmed, they stand under the block
    they belong to, the weights (under G⁽ˡ⁾, as a dense panel's), over the grid, their numbers the stepper's;
    at the next step, which writes the grid, the grid stands under the weights again and the states at the
    foot, the panel as tall."""
    async with panel_after(name, size, layer) as (app, pilot, panel, lines):
        rows = app.stepper.state.W[layer].shape[0]
        weights_end = 3 + 2 * rows if panel._under else 1 + rows  # (W's heading and rows; G's under them)
        heads = [y for y, line in enumerate(lines) if "moment, t = 1)" in line]
        text = "\n".join(line[:150] for line in lines[:weights_end + 3 + 2 * rows])
        assert heads and heads[0] == weights_end + 1 and all(y < panel.grid_top for y in heads), (heads, text)
        assert "m⁽" in lines[heads[0]]
        assert panel.grid_top > heads[-1] + rows and lines[panel.grid_top].lstrip().startswith("τ=1")
        assert set(heads) <= set(panel.heading_starts())  # (pinned over their rows)
        (_, m), _ = optimizer_state(app.stepper, layer)
        W = app.stepper.state.W[layer]
        entry = app.stepper.spec.layer_kinds[layer - 1].editable
        fmt = number_format(m, app.main.digits)
        for b in range(rows):
            wanted = [cell(float(m[b, a]), app.main.digits, fmt) for a in range(W.shape[1]) if entry(b, a)]
            assert numbers_in(lines[heads[0] + 1 + b])[:len(wanted)] == wanted, lines[heads[0] + 1 + b]
        height = len(lines)
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        lines = lines_of(panel)
        heads = [y for y, line in enumerate(lines) if "moment, t = 1)" in line]
        assert panel.grid_top == weights_end + 1 and lines[panel.grid_top].lstrip().lstrip("▶").startswith("τ=1"), (
            "\n".join(line[:150] for line in lines[:weights_end + 3]))
        assert heads and all(y > panel.grid_top for y in heads) and len(lines) == height


def written_lines(panel) -> list[int]:
    """The lines of what the last step wrote in the panel's layer (its board's quantity: an LSTM's h is the
    board's o), each found by its first cell's key."""
    q = panel.stepper.spec.layer_kinds[panel.l_index - 1].board_quantity(panel.produced_now())
    return [y for y, line in enumerate(panel.lines)
            if (keys := [key for _, _, key in line if key is not None]) and keys[0][:2] == (q, panel.l_index)]


@pytest.mark.parametrize("name", ["long_memory_lstm", "gru_parity", "stacked_parity", "parity", "long_memory",
                                  "count_tokens", "tiny_transformer"])
async def test_the_rows_a_step_writes_stand_in_its_panels_view(name):
    """A sequence panel taller than its room showed its top lines whatever the step wrote: long_memory_lstm's
    layer 1 at 120×40 (29 lines in view) kept W⁽¹⁾ and G⁽¹⁾ in view while every forward step wrote s, the
    gates, c or h at lines 38 to 77, and at 160×45 the gates on; gru_parity's backward steps wrote ∂h and δ
    out of view at every size, parity's, long_memory's and stacked_parity's at 80×24. At 80×24, 120×40,
    160×45 and 200×50, over the first four τ of the forward pass and the first steps of the backward pass,
    the lines a step writes in a panel are drawn in its view, under the heading pinned over them (all of
    them, or as many as the view holds from the first), and the cell at τ in its columns. Fails on main."""
    app = app_with(name)
    async with app.run_test(size=(80, 24)) as pilot:
        for size in [(80, 24), (120, 40), (160, 45), (200, 50)]:
            await pilot.resize_terminal(*size)
            app.main.action_reset()
            await pilot.pause()
            for backward in (False, True):
                if backward:
                    app.main.action_to_loss()
                for _ in range(16):
                    app.main.action_next()
                    await pilot.pause()
                    for panel in app.main.query(SeqSheet):
                        if not (panel.display and panel.size.width) or panel.produced_now() is None:
                            continue
                        written = written_lines(panel)
                        if not written:
                            continue
                        room = panel.room()
                        pin = panel.pinned()[1]
                        drawn = [panel.content_row(y) for y in range(pin, room.height)]
                        where = f"{name} at {size}, {app.stepper.last.key}: {panel.id}'s lines {written[0]}…" \
                                f"{written[-1]}, the view's {drawn[0]}…{drawn[-1]}"
                        shown = [y for y in drawn if y in written]  # (from the first; the view full of them)
                        assert shown[:1] == written[:1] and (shown == written or shown[-1] == drawn[-1]), where
                        t = current_time(app.stepper)
                        xs = [x for x, key in panel._at[written[0]] if isinstance(key[2], TimeIndex) and key[2].t == t]
                        if xs:
                            assert panel.scroll_offset.x <= xs[0] < panel.scroll_offset.x + room.width, where

"""Layout: a number in a panel is shown whole or not at all, at every width, with or without the side
panel and the map; the panels keep their minimum width; the map keeps a useful size; the diagram
opens where the inputs (or the inputs of the node being computed) are in view."""

from __future__ import annotations

import math
import re
from contextlib import asynccontextmanager

import numpy as np
import pytest
from rich.segment import Segment
from rich.style import Style

from bptui.core.formulas.notation import num
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.map_sheet import MapSheet
from bptui.tui.panel_base import marked_edges
from bptui.tui.seq_sheet import delta_norms
from bptui.tui.sheet import LayerSheet, whole_cells
from bptui.tui.view import cell, cell_width, number_format

from .tui_helpers import app_for


@asynccontextmanager
async def _stepped(name: str, notation: str | None, size: tuple[int, int], steps: int, kind: type):
    """A bundled network in the app at ``size`` (in profile ``notation``), ``steps`` steps on: its
    panels of ``kind`` on screen."""
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation] if notation else None)
    async with app.run_test(size=size) as pilot:
        for _ in range(steps):
            app.main.action_next()
        await pilot.pause()
        panels = [p for p in app.main.query(kind) if p.display and p.size.width]
        assert panels
        yield panels

LOOKS_NUMERIC = re.compile(r"[−+-]?(\d[\d.]*(e[−+-]?\d*)?|∞|nan)…?|…")  # a number, whole or cut, or …
SEPARATORS = re.compile(r"[\s│\[\]•›▶]+")


def board_renderings(stepper, digits: int) -> set[str]:
    """Every way a value on the board can be written in a panel at ``digits``: each value of W, G, s,
    o, δ (and the optimizer's state) in its matrix's format and in its own, and ‖δ_τ‖ of a sequence."""
    st = stepper.state
    arrays = []
    for board in (st.W, st.G, st.s, st.o, st.delta):
        arrays += [np.asarray(a, dtype=float) for a in board if a is not None]
    for opt in st.opt[1:]:
        if opt is not None:
            arrays += [np.asarray(a, dtype=float) for a in opt.arrays().values()]
    out = set()
    for a in arrays:
        fmt = number_format(a, digits)
        for x in a.ravel().tolist():
            out.add(cell(x, digits, fmt))
            out.add(cell(x, digits))
    if stepper.spec.lengths is not None:
        out |= {num(n, 3) for n in delta_norms(stepper) if n is not None}
    return out


def panel_tokens(panel) -> list[str]:
    """The numbers a panel shows on screen, as the text of each of its visible lines splits them."""
    tokens = []
    for y in range(panel.size.height):
        text = panel.render_line(y).text
        for token in SEPARATORS.split(text):
            if LOOKS_NUMERIC.fullmatch(token):
                tokens.append(token)
    return tokens


def check_panels(app, where: str) -> int:
    """Every number token in every panel on screen is a whole rendering of a board value, or an
    elision marker; returns how many numbers were checked."""
    screen = app.main
    allowed = board_renderings(screen.stepper, screen.digits)
    checked = 0
    for panel in screen.query("#layers > *"):
        if not isinstance(panel, (LayerSheet, MapSheet)) or not panel.display or not panel.size.width:
            continue
        for token in panel_tokens(panel):
            if token == "…" or re.fullmatch(r"\+\d+…", token):  # elided
                continue
            assert token in allowed, f"{where}: {panel.id} shows {token!r}, not a value on the board"
            checked += 1
    return checked


def test_whole_cells_never_cuts_a_number():
    base = Style()
    segs = [Segment(" b=3 ", base), Segment("−0.3011 ", base), Segment("│", base), Segment(" −0.1227 ", base)]
    for x0 in range(0, 20):
        for x1 in range(x0 + 1, 25):
            text = whole_cells(segs, x0, x1, base).text
            assert len(text) == x1 - x0
            for token in SEPARATORS.split(text):
                assert token in ("", "b=3", "−0.3011", "−0.1227", "…") or token in "b=3", (x0, x1, text)


def test_crop_extend_is_textuals_cut():
    """The panels' own cut of a line (string slices) gives the segments and the strip Textual's
    ``Strip.crop_extend`` gives, at every window onto random lines of numbers, bars, labels and blanks,
    empty segments and windows past either end included."""
    import random

    from textual.strip import Strip

    from bptui.tui.panel_base import crop_extend

    rng = random.Random(24)
    styles = [Style(), Style(bold=True), Style(color="red"), None]
    texts = ["", " ", "│", "…", " b=12 ", "−0.3011 ", "  0.4512•", "▶ W⁽³⁾ (bias │ inputs)", "τ=5 ", "   "]
    for _ in range(300):
        segs = [Segment(rng.choice(texts), rng.choice(styles)) for _ in range(rng.randint(0, 9))]
        length = sum(len(seg.text) for seg in segs)
        base = rng.choice(styles)
        for x0 in range(-1, length + 3):
            for x1 in range(x0, length + 4):
                want = Strip(segs).crop_extend(x0, x1, base)
                got = crop_extend(segs, x0, x1, base)
                assert list(got) == list(want) and got.cell_length == want.cell_length, (segs, x0, x1)


def test_a_line_cut_by_an_edge_is_marked_there():
    """At every window onto a line: each number shows whole or as …, and the edge column past which the
    line goes on holds a … with a blank beside it (never glued to a number: −0.13… reads as cut)."""
    base = Style()
    segs = [Segment("k=1  ", base), Segment(" −0.1332 ", base), Segment("  0.4512 ", base),
            Segment("│", base), Segment(" −10.2500 ", base)]
    line = "".join(s.text for s in segs)
    for x0 in range(0, len(line)):
        for x1 in range(x0 + 6, len(line) + 3):
            text = marked_edges(segs, x0, x1, base, base).text
            assert len(text) == x1 - x0
            for token in SEPARATORS.split(text):
                assert token in ("", "k=1", "−0.1332", "0.4512", "−10.2500", "…") or token in "k=1", (x0, x1, text)
            if line[x1:].strip():
                assert text.endswith(" …"), (x0, x1, text)
            if line[:x0].strip():
                assert text.startswith("… "), (x0, x1, text)


LAYOUTS = {  # network: the layouts to try (side panel by Tab; map by m)
    "xor": ("", "tab", "m", "m tab"),
    "regression": ("", "tab", "m tab"),
    "parity": ("", "tab"),
    "edges": ("", "tab"),
    "iris": ("", "tab"),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
async def test_every_number_in_a_panel_is_whole_at_every_width(name):
    """The newcomer's report: squeezed beside the map and the side panel, W's column read −0.3011 │ −0
    for −0.1227. Now at widths 60 … 200, with or without the side panel and the map, each number a
    panel shows is a value of the board written whole (or an elision marker)."""
    checked = 0
    for keys in LAYOUTS[name]:
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(3):
                app.main.action_next()
            for key in keys.split():
                await pilot.press(key)
            await pilot.pause()
            for width in (60, 80, 100, 120, 160, 200):
                await pilot.resize_terminal(width, 40)
                await pilot.pause()
                where = f"{name} at {width}×40 with {keys or 'nothing'}"
                checked += check_panels(app, where)
                need = max(p.min_width() for p in app.main.query("#layers > *") if hasattr(p, "min_width"))
                layers = app.main.query_one("#layers")
                if layers.display and width >= need:  # the panels keep the width they need
                    assert layers.size.width >= need, where
    assert checked > 50


async def test_beside_the_map_and_the_side_panel_the_panels_keep_their_columns():
    """regression: m, n, Tab used to squeeze each layer panel to 21 columns."""
    app = app_for("regression")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m", "n", "tab")
        await pilot.pause()
        sheet = app.main.query_one("#layer-1", LayerSheet)
        assert app.main.query_one("#main").has_class("narrow")
        assert sheet.size.width + 4 >= sheet.min_width()
        text = "\n".join(sheet.render_line(y).text for y in range(sheet.size.height))
        assert "−0.3011" in text and "−0.1227" in text  # b=3's bias and weight, both whole


async def test_on_a_small_terminal_the_map_has_room_for_the_boundary():
    """xor at 80×24: m drew two rows of ▀; now the map takes the panels' place, with at least 8 rows."""
    app = app_for("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        side = app.main.query_one("#side-map")
        assert side.content_region.height >= 8
        assert not app.main.query_one("#layers").display
        assert "panels' place" in str(app.main.query_one("#message").render())
        await pilot.press("m")  # away again: the panels are back
        await pilot.pause()
        assert app.main.query_one("#layers").display
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:  # room for both: beside the panels
        await pilot.press("m")
        await pilot.pause()
        assert app.main.query_one("#layers").display and not app.main.query_one("#main").has_class("narrow")


def visible_nodes(canvas: GraphCanvas) -> set[str]:
    """The nodes whose box is wholly on screen."""
    x0, y0 = int(canvas.scroll_x), int(canvas.scroll_y)
    w, h = canvas.scrollable_content_region.size
    return {n for n, b in canvas.grid.boxes.items()
            if x0 <= b.x and b.x + b.w <= x0 + w and y0 <= b.y and b.y + b.h <= y0 + h}


@pytest.mark.parametrize("name", ["moons", "deep_sigmoid", "xor"])
async def test_the_diagram_opens_on_the_inputs(name):
    """At 80×24, d at step 0 showed a corner of one node (moons) or the bias alone (deep_sigmoid)."""
    app = app_for(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        canvas = app.main.query_one(GraphCanvas)
        first = min(b.rank for b in canvas.grid.boxes.values())
        inputs = {n for n, b in canvas.grid.boxes.items() if b.rank == first and b.w > 5}  # x nodes, not the bias
        assert inputs & visible_nodes(canvas), (name, canvas.scroll_offset)


@pytest.mark.parametrize("name, size, keys", [("xor", (80, 24), "n n n d"), ("iris", (120, 40), "f d")])
async def test_the_diagram_keeps_the_current_node_with_its_inputs(name, size, keys):
    """xor at 80×24 (n n n d) and iris at 120×40 (f d) scrolled the inputs off to the left."""
    app = app_for(name)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys.split())
        await pilot.pause()
        canvas = app.main.query_one(GraphCanvas)
        current = canvas.state.current
        assert current is not None
        shown = visible_nodes(canvas)
        inputs = {a for a, z in canvas.edges if z == current}
        assert current in shown or canvas.grid.boxes[current].w > canvas.size.width
        assert inputs & shown, (current, inputs, shown)


def right_blank(panel) -> int:
    """The blank columns at a panel's right, as a student counts them: from its longest line on screen to
    its border, less its scrollbar (its right padding's column is blank too)."""
    lines = [panel.render_line(y).text.rstrip() for y in range(panel.size.height)]
    return panel.scrollable_content_region.width + panel.styles.padding.right - max(len(line) for line in lines)


def non_graph_networks() -> list[str]:
    """The bundled networks the layer panels draw (not a computation graph's)."""
    from bptui.core.formats.spec import load

    from .conftest import NETWORKS

    out = []
    for path in sorted(NETWORKS.glob("*.json")):
        try:
            load(path)
        except Exception:  # a graph (lecture13's expression): the graph app draws it
            continue
        out.append(path.stem)
    return out


@pytest.mark.parametrize("name, notation", [(name, None) for name in non_graph_networks()]
                         + [("moons", "ng"), ("iris", "cs231n"), ("moons_layernorm", "nielsen")])
async def test_no_column_is_hidden_while_blank_columns_remain(name, notation):
    """The newcomer's report: moons at 120×40 showed W⁽²⁾ as `+1…` beside ten blank columns; then
    moons_layernorm at 80×24 showed layer 4 as `+14…` beside ten (8 of its content, its scrollbar, its
    padding). In every panel of every bundled network (and a few in a profile), at 80×24, then resized to
    120×40 and to 200×50, a panel that hides columns of numbers behind a `+N…` has fewer blank columns at
    its right than a cell takes (a profile's panel kept the columns it had at 80 columns after a resize to
    120: moons in ng showed `+5…` beside 42 blank columns)."""
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation] if notation else None)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            app.main.action_next()
        for size in [(80, 24), (120, 40), (200, 50)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert no_column_hidden_beside_blank(app, f"{name} ({notation}) at {size}")


def no_column_hidden_beside_blank(app, where: str) -> int:
    """Every panel on screen that hides columns of numbers behind a `+N…` has fewer blank columns at its
    right than a cell takes; returns how many panels were on screen."""
    from bptui.tui.panel_base import NumberSheet

    panels = [p for p in app.main.query(NumberSheet) if p.display and p.size.width]
    for panel in panels:
        text = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
        if re.search(r"\+\d+…", text):
            cw = panel.cw if isinstance(panel, LayerSheet) else cell_width(panel.digits)
            blank = right_blank(panel) - panel.styles.padding.right  # (no cell is drawn in the padding)
            assert blank < cw, f"{where}: {panel.id} hides columns beside {blank} blank ones\n{text}"
            if isinstance(panel, LayerSheet):
                assert panel.hidden_cols > 0
    return len(panels)


@pytest.mark.parametrize("name", ["regression", "moons", "xor"])
async def test_beside_the_map_no_column_is_hidden_while_blank_columns_remain(name):
    """The same rule for panels the map narrows (``m``: the fit or the decision map takes 36% of the width;
    regression's W⁽²⁾ at 120×40 shows `+4…` there): opened at 80×24 (the map in the panels' place) and
    at 120×40 after steps, the terminal then resized to 120×40 and 200×50, and back to 80×24 and 120×40."""
    app = app_for(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        for _ in range(3):
            app.main.action_next()
        shown = 0
        for size in [(80, 24), (120, 40), (200, 50), (80, 24), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.main.map_shown()
            shown += no_column_hidden_beside_blank(app, f"{name} with m at {size}")
        assert shown  # the panels stood beside the map at some size


def number_extent(panel) -> tuple[set[int], int, int]:
    """The lines of a panel that show a number, and the first and last column its numbers take."""
    lines, x0, x1 = set(), 10**6, -1
    for y in range(panel.size.height):
        text = panel.render_line(y).text
        for m in re.finditer(r"[^\s│\[\]•›▶]+", text):
            if LOOKS_NUMERIC.fullmatch(m.group()) and m.group() != "…":
                lines.add(y)
                x0, x1 = min(x0, m.start()), max(x1, m.end())
    return lines, x0, x1


async def test_a_big_screen_is_filled_by_the_panels():
    """The newcomer's report: xor at 200×50 took the left 75 of 98 columns and the top 10 of 40 rows of
    its panels. Side by side, the cells widen to the panel's width and the unit rows spread over its
    height, each in the middle of an equal band."""
    app = app_for("xor")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("n", "b")
        await pilot.pause()
        assert app.main.query_one("#layers").has_class("wide")
        panels = [p for p in app.main.query(LayerSheet) if p.display]
        assert len(panels) == 2
        spread = set()
        for panel in panels:
            width, height = panel.scrollable_content_region.size
            lines, x0, x1 = number_extent(panel)
            assert x1 - x0 >= 0.85 * width, (panel.id, x0, x1, width)
            assert height >= 30  # the panels fill the screen's height
            spread |= lines
            rows = sorted(lines)
            gaps = {b - a for a, b in zip(rows, rows[1:])}
            assert len(gaps) <= 1, (panel.id, rows)  # evenly spaced
        assert max(spread) - min(spread) + 1 >= height / 2, sorted(spread)
        layer1 = app.main.query_one("#layer-1", LayerSheet)  # the line of each unit row, as the cursor
        for r in range(layer1.rows):                         # and a click find it
            assert layer1.render_line(layer1._row_y(r)).text.split()[0] == f"b={r}"


@pytest.mark.parametrize("name, notation", [("xor", "ng"), ("xor", "cs231n"), ("moons", "ng"), ("moons", "cs231n")])
async def test_a_big_screen_is_filled_by_a_profiles_panels(name, notation):
    """Issue 24: xor in ng at 200×50 drew its two panels one under the other, their numbers in ~110 of 196
    columns and 12 of 45 rows. A profile's dense panels stand side by side as the lecture's do, widen their
    cells by the lecture's rule (up to twice their width: the numbers take most of the panel's width, or the
    cells are twice as wide as the numbers need) and spread their rows evenly over the panel's height (the
    parts under them stand as they are: cs231n's dW beside the velocity, as the velocity under the rows);
    the cursor and a click still find the cells."""
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp
    from bptui.tui.profile_sheet import ProfileSheet

    from .conftest import NETWORKS

    lecture = BptuiApp(load(NETWORKS / f"{name}.json"))
    async with lecture.run_test(size=(200, 50)) as pilot:
        await pilot.press("n", "n", "b")
        await pilot.pause()
        wide = lecture.main.query_one("#layers").has_class("wide")  # xor's side by side, moons' one under the other
        reach = min((x1 - x0) / p.scrollable_content_region.width  # the share of its width the lecture's numbers take
                    for p in lecture.main.query(LayerSheet) for _, x0, x1 in [number_extent(p)])
    assert wide == (name == "xor")
    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation])
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("n", "n", "b")
        await pilot.pause()
        if notation == "ng":  # a row per unit, as the lecture's (cs231n's lines of C units are narrower)
            assert app.main.query_one("#layers").has_class("wide") == wide
        if not app.main.query_one("#layers").has_class("wide"):  # each panel as its numbers need
            assert all(p.cw == p.base_cw for p in app.main.query(ProfileSheet))
            return
        panels = [p for p in app.main.query(ProfileSheet) if p.display]
        assert len(panels) == 2
        spread = set()
        for panel in panels:
            width, height = panel.scrollable_content_region.size
            assert height >= 30  # the panels fill the screen's height
            x0, x1 = 10**6, -1  # the first and last column the cells' numbers take (not a heading's [1])
            for y, x, _ in panel.cells:
                text = panel.render_line(y - panel.scroll_offset.y).text[x:x + panel.cw]
                if text.strip():
                    x0, x1 = min(x0, x + len(text) - len(text.lstrip())), max(x1, x + len(text.rstrip()))
            assert (x1 - x0) / width >= 0.85 * reach or panel.cw == 2 * panel.base_cw, (panel.id, x0, x1, width, reach)
            rows = sorted({y for y, _, key in panel.cells  # the lines that hold cells (not a heading's [1]; nor
                           if not (panel.under_widths and key[0] == "G")})  # G's beside an optimizer's state, as it is)
            assert panel.virtual_size.height <= height, (panel.id, rows)
            assert len({b - a for a, b in zip(rows, rows[1:])}) <= 1, (panel.id, rows)  # evenly spaced
            spread |= set(rows)
        assert max(spread) - min(spread) + 1 >= 0.45 * height, sorted(spread)
        panel = panels[0]  # a click on a cell's number puts the cursor on that cell
        for last in (False, True):
            y, x, key = panel.cells[-1 if last else 0]
            text = panel.render_line(y - panel.scroll_offset.y).text
            assert LOOKS_NUMERIC.fullmatch(text[x:x + panel.cw].strip().rstrip("•")), (y, x, text)
            await pilot.click(panel, offset=(x + panel.cw - 2 + 1 + panel.styles.padding.left, y - panel.scroll_offset.y + 1))
            await pilot.pause()
            assert panel.cursor_cell == key


@pytest.mark.parametrize("name, notation", [("gru_parity", "ng"), ("gru_parity", "nielsen"), ("parity", None),
                                           ("stacked_parity", None), ("tiny_transformer", None)])
async def test_a_big_screen_is_filled_by_the_sequence_panels(name, notation):
    """The newcomer's report: gru_parity in ng at 200×50 drew its GRU panel's numbers in 120 of its 196
    columns. A sequence panel widens its cells (up to twice their width) while its widest line, at the
    longest example's T, fits its room, as the dense panels side by side do: its numbers take at least
    85% of its width, or its cells are twice as wide as its numbers need, or its lines are wider than
    its room (it scrolls, every column used), or another panel's are (all have cells of one width, so
    that a τ's column stands at one place in each)."""
    from bptui.tui.seq_sheet import SeqSheet

    async with _stepped(name, notation, (200, 50), 40, SeqSheet) as panels:
        for panel in panels:
            width = panel.scrollable_content_region.width
            x0, x1 = 10**6, 0  # the first and last column a number takes, on any line
            for line in panel.lines:
                x = 0
                for text, _, key in line:
                    if key is not None and text.strip():
                        x0, x1 = min(x0, x + len(text) - len(text.lstrip())), max(x1, x + len(text.rstrip()))
                    x += len(text)
            base = panel.group.base()  # the screen's sequence panels' cells have one width
            where = (name, notation, panel.id, x0, x1, width, panel.cw, base)
            if panel.virtual_size.width > width:  # it scrolls sideways at its numbers' own width
                assert panel.cw == base, where
                continue
            assert x1 - x0 >= 0.85 * width or panel.cw == 2 * base or any(  # or another's lines fill theirs
                p.virtual_size.width >= p.scrollable_content_region.width - panel.cw for p in panels), where
        assert len({p.cw for p in panels}) == 1, [(p.id, p.cw) for p in panels]  # a τ's column, one under the other


async def test_the_explanation_puts_the_panels_back_one_under_the_other():
    """Opening the explanation at 200×50 narrows the panels' column to 110 columns, too narrow for
    two layers side by side: they go one under the other with every column shown, and side by side
    again when Esc closes it (a lost Resize left them side by side with W's columns hidden)."""
    app = app_for("xor")
    async with app.run_test(size=(200, 50)) as pilot:
        layers = app.main.query_one("#layers")
        await pilot.press("n", "b")
        await pilot.pause()
        assert layers.has_class("wide")
        await pilot.press("tab", "right")
        await pilot.pause()
        assert layers.size.width < 120 and not layers.has_class("wide")
        for panel in app.main.query(LayerSheet):
            text = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
            assert "a=2" in text and "+1…" not in text, text
        await pilot.press("escape")
        await pilot.pause()
        assert layers.size.width == 200 and layers.has_class("wide")


def hidden_sides(panel, y: int) -> tuple[bool, bool]:
    """Whether line y of a map panel goes on past its left and its right edge."""
    line = panel.lines[int(panel.scroll_y) + y] if int(panel.scroll_y) + y < len(panel.lines) else []
    text = "".join(t for t, _, _ in line)
    x0 = int(panel.scroll_x)
    return bool(text[:x0].strip()), bool(text[x0 + panel.scrollable_content_region.width:].strip())


def check_map_panel(panel, where: str) -> int:
    """A map panel hides columns only when one map (or one kernel line) is wider than it, and every
    line that goes on past an edge shows a … there; returns how many lines went on past one."""
    width = panel.scrollable_content_region.width
    cw = cell_width(panel.digits)
    if panel.virtual_size.width > width:
        piece = 5 + panel.shape[2] * cw  # a map's label and cells
        if panel.kind is not None and panel.kind.has_weights:
            piece = max(piece, 5 + panel._kernel_width())
        assert piece > width, f"{where}: {panel.id} hides columns, {panel.virtual_size.width} > {width}"
    cut = 0
    for y in range(panel.scrollable_content_region.height):
        text = panel.render_line(y).text[:width]  # a scrollbar covers the rest
        left, right = hidden_sides(panel, y)
        assert not left or "…" in text[:3], f"{where}: {panel.id} line {y} goes on to the left unmarked: {text!r}"
        assert not right or "…" in text[-3:], f"{where}: {panel.id} line {y} goes on to the right unmarked: {text!r}"
        cut += left or right
    return cut


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
@pytest.mark.parametrize("name", ["edges", "two_channel", "shapes"])
async def test_a_map_panel_hides_no_column_while_it_has_room(name, size):
    """The newcomer's report: edges at 120×40 dropped δ⁽¹⁾'s fourth column with no mark. The maps go
    side by side as far as they fit, then under one another (G under W likewise); a map wider than
    the panel scrolls, with a … at each edge it goes on past (scrolled to the middle too)."""
    app = app_for(name)
    async with app.run_test(size=size) as pilot:
        for _ in range(40):  # into the backward pass: every map has numbers
            app.main.action_next()
        await pilot.pause()
        panels = [p for p in app.main.query(MapSheet) if p.display and p.size.width]
        assert panels
        for panel in panels:
            where = f"{name} at {size[0]}×{size[1]}"
            check_panels(app, where)
            check_map_panel(panel, where)
            if panel.max_scroll_x >= 2:  # a middle to scroll to (1: only a cell's trailing blank is past the edge)
                panel.scroll_to(x=panel.max_scroll_x // 2, animate=False, immediate=True)
                await pilot.pause()
                assert check_map_panel(panel, where + ", scrolled") > 0
                check_panels(app, where + ", scrolled")


async def test_a_map_panel_scrolls_to_what_the_step_produced():
    """shapes at 80×24: G⁽¹⁾'s kernels go under W⁽¹⁾'s, below the panel's fold; the step that adds to
    G⁽¹⁾ brings them (and their heading) into view, and a reader's cursor in the panel stays put."""
    app = app_for("shapes")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.main
        while screen.stepper.next_key.quantity != "G" or screen.stepper.next_key.layer != 1:
            screen.action_next()
        await pilot.pause()
        panel = app.main.query_one("#layer-1", MapSheet)
        before = [panel.render_line(y).text for y in range(panel.scrollable_content_region.height)]
        assert any(line.lstrip().startswith("▶ δ⁽¹⁾") for line in before)  # the step before: δ⁽¹⁾, in view
        screen.action_next()
        await pilot.pause()
        top = int(panel.scroll_y)
        shown = [panel.render_line(y).text for y in range(panel.scrollable_content_region.height)]
        assert shown[0].strip() == "▶ G⁽¹⁾", (top, shown[:2])
        assert any(line.lstrip().startswith("k=1") for line in shown)
        panel.focus()  # the reader's cursor: steps leave the scroll to it
        await pilot.pause()
        panel.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        for _ in range(3):
            screen.action_prev()
            screen.action_next()
        await pilot.pause()
        assert int(panel.scroll_y) == 0


def test_a_stacked_edge_goes_up_a_column_or_is_drawn_as_the_others():
    """Two chains a1 → a2, b1 → b2 with a_t → b_t stacked: each b_t right above a_t in its column, an
    arrow ▲ under b_t and a line down to a_t; with another edge joining the chains (b1 → a2) the two
    parts are one and the stacked edges go left to right as the others."""
    from bptui.tui.graph_layout import BoxSize, layout

    sizes = {n: BoxSize(12, 5) for n in ("a1", "a2", "b1", "b2")}
    edges = [("a1", "a2"), ("b1", "b2"), ("a1", "b1"), ("a2", "b2")]
    lay = layout(sizes, edges, stacked=frozenset({("a1", "b1"), ("a2", "b2")}))
    for t in (1, 2):
        a, b = lay.boxes[f"a{t}"], lay.boxes[f"b{t}"]
        assert a.x == b.x and a.rank == b.rank == t - 1
        assert b.y + b.h < a.y - 1  # b above a, with room for the arrow between
        i = edges.index((f"a{t}", f"b{t}"))
        (x, y), = [xy for xy, e in lay.up_arrows.items() if e == i]
        assert y == b.y + b.h and b.x < x < b.x + b.w
        assert all(lay.cells[(x, yy)][1] == i for yy in range(y + 1, a.y - 1))
    joined = layout(sizes, edges + [("b1", "a2")], stacked=frozenset({("a1", "b1"), ("a2", "b2")}))
    assert not joined.up_arrows and joined.boxes["b1"].rank > joined.boxes["a1"].rank


STEADY_STEPS = 40  # moons' status is at its longest from step 33, parity's from step 10, xor's from step 24


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
@pytest.mark.parametrize("name", ["xor", "moons", "iris", "deep_sigmoid", "parity"])
async def test_the_panels_keep_their_row_from_the_loading_screen_on(name, size):
    """`bptui FILE`: the layer panels' top row is the same on the loading screen's last frame, on the
    network screen's first and after each of the first steps, however the status's text wraps (issue
    24: at 80×24 the status took four lines where the loading screen kept three, and at 120×40 moons'
    status grew a line at its sixth step); the status shows all of its text, and the equation two
    lines at least (it gives a line to a status that wraps to one more)."""
    from textual.content import Content

    from bptui.core.util import validate
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    path = str(NETWORKS / f"{name}.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    rows: list[tuple[str, int]] = []
    load = app.load_network

    def load_network() -> None:  # right after the loading screen's frame
        rows.append(("loading screen", app.screen.query_one("#layers").region.y))
        load()

    app.load_network = load_network  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        while app.main is None or app.screen is not app.main:
            await pilot.pause()
        await pilot.pause()
        screen = app.main
        status, equation = screen.query_one("#status"), screen.query_one("#equation")
        for step in range(STEADY_STEPS + 1):
            if step:
                screen.action_next()
                await pilot.pause()
            rows.append((f"step {step}", screen.query_one("#layers").region.y))
            width = status.content_region.width
            assert len(Content(screen.status_text()).wrap(width)) <= status.content_region.height, step
            assert equation.content_region.height >= 2  # a line at most given up to the status
        assert len({y for _, y in rows}) == 1, rows


@pytest.mark.parametrize("sizes", [((80, 24), (120, 40)), ((120, 40), (80, 24)), ((200, 50), (90, 30))])
async def test_a_resized_status_takes_the_rows_of_a_fresh_start(sizes):
    """count_tokens' status after a resize takes the rows it takes on a fresh start at the new size (it was
    measured at the old width while the screen's resize was handled: 6 rows at 120 columns after 80, 5 fresh)."""
    from bptui.core.util import validate
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    path = str(NETWORKS / "count_tokens.json")
    rows = []
    for resized in (True, False):
        app = BptuiApp.from_document(validate.read_json(path), path)
        async with app.run_test(size=sizes[0] if resized else sizes[1]) as pilot:
            while app.main is None or app.screen is not app.main:
                await pilot.pause()
            await pilot.pause()
            if resized:
                await pilot.resize_terminal(*sizes[1])
                await pilot.pause()
            status = app.main.query_one("#status")
            rows.append((status.lines, status.content_region.height, status.content_region.width))
    assert rows[0] == rows[1]


def block_lines_checked(app, where: str) -> int:
    """Every line of blocks under a dense panel's rows (G⁽ˡ⁾ under W⁽ˡ⁾, an optimizer's state) shows as
    many of its own columns as the line holds (a line ending in ``+N…`` leaves less than a cell blank at
    its right), and its numbers are the stepper's: row b of each block's columns shown (its own heading,
    ``bias│ a=1 … +k…`` with k the columns hidden), G⁽ˡ⁾'s and the state's values, not W's. Returns how
    many blocks' lines it checked."""
    from bptui.tui.view import optimizer_state

    screen = app.main
    stepper, digits = screen.stepper, screen.digits
    checked = 0
    for panel in screen.query(LayerSheet):
        if not (panel.display and panel.size.width) or panel.scroll_offset.y:
            continue
        l = panel.view.layer
        arrays = {panel._heading("G"): np.asarray(stepper.state.G[l], dtype=float)}
        for label, array in optimizer_state(stepper, l, getattr(stepper, "notation", None)):
            arrays[label] = np.asarray(array, dtype=float)
        room = panel.scrollable_content_region.width + panel.styles.padding.right
        top = panel._row_y(panel.rows - 1) + 1  # the first line under the rows
        lines = [panel.render_line(y).text for y in range(top, panel.size.height)]
        units = panel.view.W.shape[0]
        n_all = panel.view.W.shape[1]
        y = 0
        while y < len(lines):
            names = [(lines[y].find(label), label) for label in arrays if label in lines[y].replace("▶ ", "")]
            names = [(x, label) for x, label in names if x >= 0]
            if not names:
                y += 1
                continue
            labels = [label for _, label in sorted(names)]
            heading = lines[y + 1] if y + 1 < len(lines) else ""
            if heading.lstrip().startswith("unit"):  # the blocks' own columns
                parts = heading.split("unit")[1:]
                assert len(parts) == len(labels), f"{where}: {panel.id}: {heading!r} for {labels}"
                heads = 2
            else:  # an optimizer's state alone on its line shows W's columns, named at the panel's top
                more = re.search(r"\+(\d+)…", panel.render_line(1).text)
                parts = [" x" * (n_all - int(more.group(1))) + more.group(0)] * len(labels) if more else []
                heads = 1
            shown = [n_all] * len(labels)
            for i, part in enumerate(parts):
                k = len(re.findall(r"\S+", part.split("+")[0].replace("│", " ")))
                more = re.search(r"\+(\d+)…", part)
                assert k + (int(more.group(1)) if more else 0) == n_all, f"{where}: {panel.id}: {part!r}"
                shown[i] = k
            if y + heads + units > len(lines):  # the panel's foot cut by its height
                break
            if shown[-1] < n_all:  # no column hidden while the line's blank would hold it (the widest of
                # its lines: the names', the columns' heading or a row with the last cell's blank and +k…)
                ends = lines[y + 1].rstrip() if heads == 2 else lines[y + 1].rstrip() + f"  +{n_all - shown[-1]}…"
                width = max(len(lines[y].rstrip()), len(ends))
                assert room - width < panel.cw, f"{where}: {panel.id}: {lines[y + heads]!r}"
            for b in range(units):
                line = lines[y + heads + b]
                tokens = [t for t in SEPARATORS.split(line) if LOOKS_NUMERIC.fullmatch(t)]
                want = [cell(float(x), digits, number_format(arrays[label], digits))
                        for label, k in zip(labels, shown) for x in arrays[label][b, :k]]
                assert tokens == want, f"{where}: {panel.id} {labels} row b={b + 1}: {line!r}"
            checked += len(labels)
            y += heads + units
    return checked


@pytest.mark.parametrize("name", ["regression", "moons", "iris", "moons_layernorm", "shapes"])
async def test_a_block_under_the_rows_shows_its_own_columns(name):
    """A block under a dense panel's rows shows as many of its own columns as its line holds, G⁽ˡ⁾'s
    values (and an optimizer's state's), after steps, an update, ``+``/``−`` digits and resizes, with the
    map open and closed: regression beside the map at 120×40 showed G⁽²⁾ as W⁽²⁾ (``a=1 a=2 +4…``, 37 of 74
    columns blank, where all 7 columns need 69); moons at 80×24, iris at 80×24, moons_layernorm at 120×40,
    shapes at 200×50 likewise."""
    app = app_for(name)
    checked = 0
    async with app.run_test(size=(80, 24)) as pilot:
        async for size, keys in sizes_and_keys(pilot):
            checked += block_lines_checked(app, f"{name} {size} after {keys}")
    assert checked


async def sizes_and_keys(pilot):
    """At 80×24, 120×40 and 200×50 each, the map open and closed, steps, a backward pass, an update and
    ``+``/``−`` digits: yields (size, keys) after each group of keys is pressed and the app is idle."""
    for size in ((80, 24), (120, 40), (200, 50)):
        await pilot.resize_terminal(*size)
        await pilot.pause()
        for keys in ((), ("m",), ("n", "n", "n"), ("b",), ("u",), ("plus",), ("minus", "minus"), ("m",)):
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            yield size, keys


@pytest.mark.parametrize("name", ["regression", "moons"])
async def test_a_block_under_the_rows_hides_no_column_beside_blank_columns(name):
    """Pilot (fails on main): G⁽²⁾ under W⁽²⁾ (and an optimizer's state there) shows W's columns, so each of
    its lines that ends in `+N…` leaves s, o, δ's 3 cells and the gap before them blank at its right
    (regression beside the map at 120×40: G⁽²⁾ `a=1 a=2 +4…` in 37 of 74 columns, all 7 columns need 69)."""
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        for _ in range(3):
            app.main.action_next()
        await pilot.pause()
        for panel in app.main.query(LayerSheet):
            if not (panel.display and panel.size.width and panel.hidden_cols):
                continue
            room = panel.scrollable_content_region.width + panel.styles.padding.right
            top = panel._row_y(panel.rows - 1) + 1  # the first line under the rows (the panel is not scrolled)
            for y in range(top, panel.size.height):
                line = panel.render_line(y).text.rstrip()
                if re.search(r"\+\d+…$", line):
                    assert room - len(line) < panel.cw, f"{name}: {panel.id} line {y}: {line!r}"


async def test_the_cursor_reaches_the_columns_g_shows_and_w_hides():
    """Under W⁽²⁾ (regression at 80×24: W shows 4 of its 7 columns, G⁽²⁾ all 7), the cursor
    walks W's columns, s, o, δ, then G's own to its last, the one W hides, whose value it brackets and the
    explanation names."""
    from bptui.core.teaching.explain import Cell, explain

    app = app_for("regression")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")  # to the end of the backward pass: G⁽²⁾ filled
        await pilot.pause()
        sheet = app.main.query_one("#layer-2", LayerSheet)
        assert sheet.stacked and sheet.ncols == 4
        sheet.focus()
        sheet.home()
        await pilot.pause()
        assert sheet.cursor_cell == ("W", 2, 0, 0)
        await pilot.press(*["right"] * 13)
        await pilot.pause()
        assert sheet.ncols == 4 and sheet.cursor_cell == ("G", 2, 0, 6)
        value = cell(float(app.main.stepper.state.G[2][0, 6]), app.main.digits,
                     number_format(app.main.stepper.state.G[2], app.main.digits))
        top = sheet._row_y(sheet.rows - 1) + 1
        rows = [sheet.render_line(y).text for y in range(top, sheet.size.height)]
        assert any(row.rstrip().endswith(f"[{value}]") for row in rows), rows
        assert app.query_one("#explain").text.startswith(explain(app.main.stepper, Cell("G", 2, 1, 6)).text())


async def test_a_resize_keeps_the_cursor_in_g_on_a_column_g_shows():
    """The cursor on G⁽²⁾'s last column (regression at 80×24: 7 shown under W⁽²⁾'s 4) stays on G⁽²⁾ as a
    resize takes columns away (the last one shown; it used to index past the row's cells: IndexError) and
    the explanation names the cell it is on."""
    from bptui.core.teaching.explain import Cell, explain

    app = app_for("regression")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        sheet = app.main.query_one("#layer-2", LayerSheet)
        sheet.focus()
        sheet.home()
        await pilot.press(*["right"] * 13)
        await pilot.pause()
        assert sheet.cursor_cell == ("G", 2, 0, 6)
        for size in ((70, 24), (50, 24), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            q, l, b, a = sheet.cursor_cell
            assert (q, l, b) == ("G", 2, 0)
            assert a == ([c for c in sheet.columns() if c[0] == "G"][-1][1] if size != (80, 24) else 3)  # (as left at 50)
            assert app.query_one("#explain").text.startswith(explain(app.main.stepper, Cell("G", 2, 1, a)).text())


NUMBER_TOKEN = re.compile(r"(?<![=\w.⁽⁾^\[])−?\d+(?:\.\d+)?(?:e−?\d+)?(?![\w.])")


@pytest.mark.parametrize("name, notation, optimizer", [
    ("iris", None, None), ("iris", "ng", None), ("edges", None, "adam"), ("deep_residual", None, None),
    ("deep_residual", "ng", None), ("moons", "cs231n", "adam")])
async def test_a_cell_is_no_wider_than_its_panels_numbers_need(name, notation, optimizer):
    """Issue 24 item 2: a matrix with no negative entry (Adam's v, squared; a softmax's o) was measured with
    a minus's column (``numformat.widest_of``), so iris's layer 1 after an update drew every cell 10 columns
    wide where its widest number (v's, of 7 characters) needs 9 (a blank before it and one after), and its
    layer 2 hid a column behind `+1…`. After a backward pass and an update at 120×40, a dense panel's cells (the
    lecture's, a block's, a profile's; before a big screen widens them) are as wide as the longest number it
    shows with a blank either side, or the digits' least cell."""
    from bptui.tui.profile_sheet import ProfileSheet

    from .test_layout_arrangement import all_lines, app_with

    app = app_with(name, notation, optimizer)
    checked = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b", "u")
        await pilot.pause()
        await pilot.pause()
        for panel in app.main.query("#layers > *"):
            if not (isinstance(panel, (LayerSheet, ProfileSheet)) and panel.display and panel.size.width):
                continue
            lines = all_lines(panel)
            if any(re.search(r"\+\d+…", line) for line in lines):  # (its widest number may be hidden)
                continue
            longest = max(len(m.group()) for line in lines for m in NUMBER_TOKEN.finditer(line))
            assert panel.base_cw <= max(cell_width(panel.digits), 2 + longest), (
                f"{name} ({notation}): {panel.id}'s cells {panel.base_cw} wide for numbers of {longest}\n"
                + "\n".join(lines))
            checked += 1
    assert checked

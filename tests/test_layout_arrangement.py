"""One arrangement per screen: the panels of a row per unit (the lecture's dense and block panels, a
profile's) put G beside W in all of them or under W in all, and the screen chooses again how its panels
stand (side by side on a big screen, or one under the other) when a number of another width comes,
not only on a resize (issue 24, "the whole screen used")."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bptui.core.formats.spec import parse
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.app import BptuiApp
from bptui.tui.profile_sheet import ProfileSheet
from bptui.tui.sheet import LayerSheet

from .conftest import NETWORKS


def app_with(name: str, notation: str | None = None, optimizer: str | None = None) -> BptuiApp:
    """A bundled network in the app (in profile ``notation``, trained with ``optimizer``)."""
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    if optimizer is not None:
        doc["training"]["optimizer"] = optimizer
    return BptuiApp(parse(doc, str(NETWORKS / f"{name}.json")), PROFILES[notation] if notation else None)


def g_under_w(panel) -> bool:
    """Whether G stands under W in a dense panel (the lecture's or a profile's)."""
    if isinstance(panel, LayerSheet):
        return panel.stacked
    text = [panel.render_line(y).text for y in range(panel.size.height)]  # a profile's: its G band's heading
    gradient = panel.names()["G"]
    return not any(gradient in line for line in text[:1]) and any(gradient in line for line in text)


def dense_panels(app) -> list:
    """The panels of a row per unit on screen that hold a W (not a profile's dropout layer)."""
    return [p for p in app.main.query("#layers > *") if p.display and (
        isinstance(p, LayerSheet) or isinstance(p, ProfileSheet) and "W" in p.own.syms)]


@pytest.mark.parametrize("name, notation, size", [("deep_residual", None, (120, 40)), ("deep_sigmoid", None, (120, 40)),
                                                  ("moons", "ng", (120, 40)), ("iris", "nielsen", (120, 40))])
async def test_every_panel_of_a_screen_puts_g_in_one_place(name, notation, size):
    """deep_residual at 120×40 put G beside W in layer 1 and under it in layer 3 (a number of e−5 widened
    layer 3's cells): a student's eye looked for G in two places. At every step of the first two
    examples, G stands beside W in every panel of the screen, or under W in every one, but in a panel of
    the lecture's that takes its own arrangement (``LayerSheet._keeps_own``): one whose lines, with G under
    W (a blank line, G's two heading lines and a row per unit more), would not fit the height the column
    can give it."""
    app = app_with(name, notation)
    async with app.run_test(size=size) as pilot:
        seen = set()
        for step in range(70):
            app.main.action_next()
            await pilot.pause()
            panels = dense_panels(app)
            places = {p.id: g_under_w(p) for p in panels}
            if len(set(places.values())) > 1:
                column = app.main.query_one("#layers")
                spare = column.size.height - sum(p.outer_size.height for p in column.children if p.display)
                for p in panels:
                    if not places[p.id]:  # G beside W while the screen's stands under
                        assert isinstance(p, LayerSheet) and not p.view.optimizer, (step, places)
                        under = p.virtual_size.height + 3 + p.view.W.shape[0]
                        assert under > p.scrollable_content_region.height + max(0, spare), (step, p.id, places)
            seen |= set(places.values())
        assert seen, name


@pytest.mark.parametrize("notation", [None, "ng"])
async def test_a_wider_number_after_steps_arranges_the_screen_again(notation):
    """xor with adam at 200×50: its panels stood side by side; the update's numbers of e−7 widened the
    cells, and both panels put G under W in half the screen (the screen was arranged on a resize only).
    Now the screen chooses again when a cell's width changes: side by side only while each panel holds G
    beside W, else one under the other with G beside W where the whole width holds it; no panel's lines
    are wider than its room."""
    app = app_with("xor", notation, "adam")
    async with app.run_test(size=(200, 50)) as pilot:
        layers = app.main.query_one("#layers")
        await pilot.pause()
        assert layers.has_class("wide")
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        panels = dense_panels(app)
        assert len(panels) == 2
        for panel in panels:
            assert not g_under_w(panel), (panel.id, layers.has_class("wide"))
            assert panel.virtual_size.width <= panel.scrollable_content_region.width, panel.id
        assert not layers.has_class("wide")  # 2 × a panel's natural width > 200
        for _ in range(8):  # and it stays so while the numbers come and go (once per room, not back and forth)
            await pilot.press("n")
            await pilot.pause()
            assert not layers.has_class("wide")


@pytest.mark.parametrize("notation", [None, "nielsen", "ng", "cs231n", "goodfellow"])
async def test_a_big_screen_spreads_the_rows_above_an_optimizers_state(notation):
    """xor with momentum at 200×50, after the first update: a profile's rows were spread only while no
    optimizer's state was shown (cs231n's, and the lecture's, stood in the panel's top lines; ng's state
    was spread with them, its heading lines away from its rows). The rows spread evenly over the height the
    state leaves, the state right under them as it is (its heading over its rows), all in the panel."""
    app = app_with("xor", notation, "momentum")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one("#layers").has_class("wide")
        for panel in dense_panels(app):
            height = panel.scrollable_content_region.height
            assert panel.virtual_size.height <= height, panel.id
            text = [panel.render_line(y).text.rstrip() for y in range(height)]
            state = [y for y, line in enumerate(text) if "velocity" in line]
            assert len(state) == 1, (panel.id, text)
            first = state[0] + 1  # (its rows right under its name: its columns are W's, named at the top)
            rows = [y for y, line in enumerate(text[first:], start=first) if line.strip()]
            units = panel.view.W.shape[0] if isinstance(panel, LayerSheet) else None
            assert rows == list(range(first, first + len(rows))) and len(rows) >= (units or 1), (panel.id, text)
            numbers = [y for y, line in enumerate(text[:state[0]]) if re.search(r"\d\.\d{4}", line)]
            gaps = {b - a for a, b in zip(numbers, numbers[1:])}
            assert len(gaps) <= 1 and min(gaps, default=3) >= 3, (panel.id, numbers)  # spread evenly
            # over the height, or (a row or two) centred, not in the panel's top lines
            assert numbers[-1] - numbers[0] >= height / 3 or numbers[0] >= height / 6, (panel.id, numbers)


@pytest.mark.parametrize("name, size, keys", [("parity", (150, 45), "tab"), ("parity", (120, 40), ""),
                                              ("stacked_parity", (120, 40), "tab"), ("parity", (80, 24), "")])
async def test_a_sequence_panel_puts_g_under_w_when_they_do_not_fit_side_by_side(name, size, keys):
    """parity at 150×45 beside the explanation drew G⁽¹⁾ past its panel's right edge (its heading at the
    edge, its numbers a scroll away). A sequence panel's G goes under W when the two do not fit side by
    side, as the dense panel's does: every column of W and of G is inside the panel (unless W alone is
    wider than it), in every panel of the screen alike."""
    from bptui.tui.seq_sheet import SeqSheet

    app = app_with(name)
    async with app.run_test(size=size) as pilot:
        for _ in range(12):
            app.main.action_next()
        for key in keys.split():
            await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        panels = [p for p in app.main.query(SeqSheet) if p.display and p.size.width and p.LECTURE_WEIGHTS]
        assert panels
        placed = set()
        for panel in panels:
            room = panel.room().width
            widths = [len("".join(text for text, _, _ in line).rstrip()) for line in panel.lines[:panel.grid_top]]
            cols = panel.stepper.state.W[panel.l_index].shape[1]
            bars = 2 if panel.stepper.spec.layer_kinds[panel.l_index - 1].over_time else 1  # │ after the bias, before U
            alone = 6 + cols * panel.cw + bars  # a row of W alone
            assert max(widths) <= room or alone > room, (panel.id, widths, room)
            heads = [" ".join(text for text, _, _ in panel.lines[y]) for y in panel.heading_lines]
            placed.add(len(heads))  # 1: G's heading beside W's, 2: its own, under W's rows
        assert len(placed) == 1, placed


@pytest.mark.parametrize("name, size", [("moons", (200, 50)), ("moons", (120, 40)), ("deep_sigmoid", (200, 50)),
                                        ("xor", (120, 40))])
async def test_no_row_is_hidden_while_the_column_has_blank_lines(name, size):
    """moons at 200×50 after its first update: layer 1's G under W and its velocity took 33 lines, its panel
    18 of them (its own height), with 10 blank lines under layer 2. A panel taller than its own height takes
    the lines the column leaves blank, as far as its lines need: every panel shows all its lines, or the
    panels fill the column."""
    from bptui.tui.panel_base import NumberSheet

    app = app_with(name)
    async with app.run_test(size=size) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        layers = app.main.query_one("#layers")
        panels = [p for p in layers.children if isinstance(p, NumberSheet) and p.display]
        used = sum(p.outer_size.height for p in panels)
        cut = [p.id for p in panels if p.virtual_size.height > p.scrollable_content_region.height]
        assert not cut or used >= layers.size.height, (cut, used, layers.size.height)


@pytest.mark.parametrize("notation", [None, "ng"])
async def test_panels_that_leave_side_by_side_widen_their_cells_to_the_width(notation):
    """xor with adam at 200×50: the update's numbers of e−7 sent the panels one under the other, each the
    column's width, and their cells back to the numbers' width (the lecture's 101 of 196 columns used, the
    rest blank). A big screen (one where the panels stand side by side at the narrowest cells) widens the
    cells of panels one under the other too, by the one rule (up to twice, while a line fits): each panel's
    cells are wider than its numbers need, and its widest line fills its width but for less than a cell
    per column of cells."""
    app = app_with("xor", notation, "adam")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        assert not app.main.query_one("#layers").has_class("wide")
        for panel in dense_panels(app):
            room = panel.scrollable_content_region.width
            assert panel.cw > panel.base_cw, (panel.id, panel.cw)
            assert panel.virtual_size.width <= room, panel.id
            assert panel.cw == 2 * panel.base_cw or room - panel.virtual_size.width < 12, (panel.id, panel.cw)
        await pilot.resize_terminal(120, 40)  # a screen that does not hold them side by side: as they need
        await pilot.pause()
        await pilot.pause()
        for panel in dense_panels(app):
            assert panel.cw == panel.base_cw, (panel.id, panel.cw)


@pytest.mark.parametrize("name, size, under", [("parity", (120, 40), True), ("stacked_parity", (120, 40), True),
                                               ("parity", (200, 50), False)])
async def test_a_sequence_panel_widens_its_cells_only_with_g_beside_w(name, size, under):
    """parity at 120×40: G⁽¹⁾ under W⁽¹⁾, and the cells widened to twice their numbers' width, so that a
    τ's numbers stood 18 columns apart with half the panel blank. As a dense panel does, a sequence panel
    widens its cells (up to twice, while its lines fit) only with G beside W; with G under W (in every
    panel of the screen alike) its cells are as wide as its numbers need."""
    from bptui.tui.seq_sheet import SeqSheet

    app = app_with(name)
    async with app.run_test(size=size) as pilot:
        for _ in range(12):
            app.main.action_next()
        await pilot.pause()
        await pilot.pause()
        panels = [p for p in app.main.query(SeqSheet) if p.display and p.size.width]
        assert panels
        for panel in panels:
            heads = len(panel.heading_lines) if panel.LECTURE_WEIGHTS and panel.heading_lines else None
            if heads is not None:
                assert (heads == 2) == under, (panel.id, heads)
            widest = panel.group.base()  # (one width for the screen's sequence panels: the widest's)
            assert (panel.cw == widest) == under, (panel.id, panel.cw, widest)


async def test_a_grus_separate_biases_fit_160_columns_in_ng():
    """gru_parity in ng at 160×45: its weights' line (W │ U, b, b_{h}, their gradients) fitted 160 columns
    until the GRU's U bias b_{h} (and db_{h}) became a part of its own, each with its gap and a heading
    wider than its column: 165 columns in 155, the last column a scroll away. b_{h} stands in b's part
    (db_{h} in db's), as U stands in W's: every line of the weights fits the panel. (In cells of 10 columns,
    as the example's backward numbers need from its first step, the gradients' parts stand under W's.)"""
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    app = app_with("gru_parity", "ng")
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(6):
            app.main.action_next()
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one("#layer-1", ProfileSeqSheet)
        heading = "".join(text for text, _, _ in panel.lines[0])
        weights = ["".join(text for text, _, _ in line) for line in panel.lines[:panel.grid_top]]
        assert "b^[1]_{h}" in heading and any("db^[1]_{h}" in line for line in weights)
        widths = [len(line.rstrip()) for line in weights]
        assert max(widths) <= panel.room().width, (widths, panel.room())
        assert panel.virtual_size.width <= panel.room().width


def g_placed_under(panel) -> bool | None:
    """Whether a profile's panel puts G's part under W's (the block panel: the fan-in's parts under its rows;
    the map panel: G's kernels under W's), None for a panel without them."""
    from bptui.tui.profile_block_sheet import ProfileBlockSheet
    from bptui.tui.profile_map_sheet import ProfileMapSheet
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    first = "".join(text for text, _, _ in panel.lines[panel.heading_lines[0]]) if panel.heading_lines else ""
    if isinstance(panel, ProfileBlockSheet):
        return "inner" not in first
    if isinstance(panel, ProfileMapSheet):
        return None if panel.kind is None or not panel.kind.has_weights else panel._kernel_names()["G"] not in first
    if isinstance(panel, ProfileSeqSheet):
        return None if not panel.kind.has_weights else len(panel.heading_lines) == 2
    if isinstance(panel, ProfileSheet):
        return None if "W" not in panel.own.syms else g_under_w(panel)
    return None


@pytest.mark.parametrize("name, notation, size, steps, under", [
    ("deep_residual", "ng", (120, 40), 40, True), ("edges", "ng", (200, 70), 30, True),
    ("gru_parity", "nielsen", (160, 45), 7, True), ("gru_parity", "ng", (200, 50), 7, False)])
async def test_a_profiles_block_map_and_sequence_panels_join_the_screens_arrangement(name, notation, size, steps, under):
    """A profile's block, map and sequence panels kept their own arrangement: deep_residual in ng at 120×40
    put G under W in its dense panels and left the block's fan-in parts beside its rows (cut at the edge),
    edges at 200×50 kept the kernels' gradients beside them while the dense layer had dW under W, and a
    sequence panel never put G under W (gru_parity in nielsen at 160×45: ∂C/∂b² a scroll away). Every panel
    with W's and G's parts puts G at one place on the screen, all beside or all under, as the dense panels do;
    but a panel that would scroll so while G fits beside W in it takes its own (edges at 200×50: its conv
    panel's 26 lines with the kernels' gradients under W in 22, beside ~80 blank columns; the lead's
    decision, test_a_map_panel_that_would_scroll_keeps_g_beside_w): edges is seen at 200×70, where its
    panels fit either way and keep the screen's."""
    app = app_with(name, notation)
    async with app.run_test(size=size) as pilot:
        for _ in range(steps):
            app.main.action_next()
            await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        await pilot.pause()
        places = {p.id: g_placed_under(p) for p in app.main.query("#layers > *") if p.display}
        assert {place for place in places.values() if place is not None} == {under}, places
        for panel in app.main.query("#layers > *"):
            if panel.display and g_placed_under(panel) is not None and hasattr(panel, "grid_top"):
                widths = [len("".join(t for t, _, _ in line)) for line in panel.lines[:panel.grid_top]]
                assert max(widths) <= panel.room().width, (panel.id, widths)  # (every weight in view)


@pytest.mark.parametrize("notation", [None, "ng"])
async def test_a_big_screen_with_g_under_w_uses_its_width(notation):
    """moons (momentum) at 200×50 after one step: layer 2's 8 inputs do not hold G beside W, so every panel
    put G under W; layer 1's panel stood W, G under it, the velocity under G, and scrolled (the velocity cut
    at the bottom) while about 110 columns at its right stayed blank. No panel scrolls vertically while it
    has 40 blank columns or more, and every row of each velocity is on screen."""
    from .test_layout import right_blank

    app = app_with("moons", notation)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        panels = dense_panels(app)
        assert len(panels) == 2 and all(g_under_w(p) for p in panels)
        for panel in panels:
            scrolls = panel.virtual_size.height > panel.scrollable_content_region.height
            assert not scrolls or right_blank(panel) < 40, (panel.id, right_blank(panel))
            text = [panel.render_line(y).text for y in range(panel.scrollable_content_region.height)]
            heads = [y for y, line in enumerate(text) if "velocity" in line]
            assert len(heads) == 1, (panel.id, text)
            units = app.stepper.state.W[int(panel.id.split("-")[1])].shape[0]
            x = text[heads[0]].index("velocity") - 4  # the velocity's block: its rows stand under its heading
            rows = [line for line in text[heads[0] + 1:] if re.search(r"\d", line[max(0, x):])]
            assert len(rows) >= units, (panel.id, text)


def shown_text(panel) -> list[str]:
    """The lines a panel shows, as a student reads them."""
    return [panel.render_line(y).text for y in range(panel.size.height)]


def parts_under(panel) -> list[int]:
    """The widths of the parts a dense panel draws under its rows, each as wide as the widest (G's band
    under W, an optimizer's state; with row vectors, G's part beside the states)."""
    if isinstance(panel, LayerSheet):
        return [panel._block_width()] * len(panel.blocks)
    return list(panel.under_widths)


def all_lines(panel) -> list[str]:
    """Every line of a dense panel (the lecture's or a profile's), in view or not, as a student reads them."""
    if isinstance(panel, LayerSheet):
        style = panel._palette()
        return ["".join(seg.text for seg in panel._segments(y, style) or []) for y in range(panel.virtual_size.height)]
    return ["".join(text for text, _, _ in line) for line in panel.lines]


def g_band_under(panel) -> bool:
    """Whether G stands under W in a dense panel, by its lines in view or not."""
    if isinstance(panel, LayerSheet):
        return panel.stacked
    return panel.names()["G"] not in all_lines(panel)[0]


def rows_width(panel) -> int:
    """The width of a dense panel's rows (with the parts beside them): its lines down to the first blank one."""
    lines = all_lines(panel)
    end = next((y for y, line in enumerate(lines) if y >= 2 and not line.strip()), len(lines))
    return max(len(line.rstrip()) for line in lines[:end])


@pytest.mark.parametrize("notation", [None, "ng", "cs231n", "nielsen"])
@pytest.mark.parametrize("name", ["xor", "moons", "iris", "edges", "parity"])
async def test_a_profiles_panels_hide_no_number_beside_blank_columns(name, notation):
    """Issue 24: moons in cs231n at 200×50 showed W¹'s units as `j=6 +1…` beside 7 blank columns (the 8th
    unit fitted once the marker went), and at 120×40 its layer 2 scrolled its velocity away under dW²
    beside 90 blank columns; iris (adam) in ng and in the lecture at 160×45 scrolled layer 1 (dW, m, v
    under W, 32 lines in 16) beside ~50 blank columns at the right of its rows. At 80×24, 120×40, 160×45
    and 200×50, at the forward and backward steps and after an update: a panel that hides columns of
    numbers behind a `+N…` has fewer blank columns at its right, with the marker's, than a cell takes; a
    dense panel that scrolls its lines has fewer blank columns than one more of the parts under its rows
    would take beside the others (G's band, an optimizer's state; every part that stands on a line below
    the first would not fit above), and fewer at its rows' right than a part would take beside them where
    that leaves fewer lines of parts under the rows (G's band stays under W)."""
    from bptui.tui.panel_base import NumberSheet
    from bptui.tui.view import cell_width

    from .test_layout import right_blank

    app = app_with(name, notation)
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in (["n", "n", "n"], ["b"], ["u"]):
            for key in keys:
                await pilot.press(key)
            for size in [(80, 24), (120, 40), (160, 45), (200, 50)]:
                await pilot.resize_terminal(*size)
                await pilot.pause()
                await pilot.pause()
                for panel in app.main.query(NumberSheet):
                    if not (panel.display and panel.size.width):
                        continue
                    where = f"{name} ({notation}) at {size}, {keys}: {panel.id}"
                    text = shown_text(panel)
                    blank = right_blank(panel) - panel.styles.padding.right
                    marker = max((len(m.group()) for line in text for m in re.finditer(r" \+\d+…", line)), default=0)
                    if marker:
                        cw = panel.cw if hasattr(panel, "cw") else cell_width(panel.digits)
                        assert blank + marker < cw, where + "\n" + "\n".join(text)
                    dense = isinstance(panel, LayerSheet) or isinstance(panel, ProfileSheet) and "W" in panel.own.syms
                    room = panel.scrollable_content_region
                    if dense and panel.virtual_size.height > room.height:
                        parts = parts_under(panel)
                        per = panel.per if isinstance(panel, LayerSheet) else panel.per_line
                        if len(parts) > per:  # one more beside the others would not fit the blank columns
                            spare = room.width - panel.virtual_size.width  # (beside its widest line, in view or not)
                            assert spare < parts[0] + 2, where + "\n" + "\n".join(text)
                        columns = isinstance(panel, LayerSheet) or panel.profile.vectors == "column"
                        movable = len(parts) - (1 if g_band_under(panel) else 0)  # (G's band stays under W)
                        if columns and movable > 0 and -(-(len(parts) - 1) // per) < -(-len(parts) // per):
                            beside = room.width - rows_width(panel) - 2  # a part beside the rows would fit?
                            assert beside < parts[0], where + "\n" + "\n".join(all_lines(panel))


@pytest.mark.parametrize("size", [(120, 40), (200, 50)])
async def test_a_row_vector_panel_puts_the_optimizers_state_beside_its_gradient(size):
    """moons in cs231n at 120×40 after its first update: layer 2 (8 inputs, 1 unit) drew dW², db², then its
    velocity under them, 33 lines in 16, while 90 of its 115 columns stayed blank (at 200×50 beside the
    panels one under the other). The velocity's lines stand beside dW²'s and db²'s, line by line (its k
    beside dW²'s k, its b beside db²), its heading over them; on a big screen the cells widened with them
    beside each other, every line within the panel."""
    app = app_with("moons", "cs231n")
    async with app.run_test(size=size) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one("#layer-2", ProfileSheet)
        lines = ["".join(t for t, _, _ in line) for line in panel.lines]
        first = next(y for y, line in enumerate(lines) if line.lstrip().startswith("dW²"))
        assert "velocity" in lines[first - 1], lines
        velocity = np.asarray(next(iter(app.stepper.state.opt[2].arrays().values())))  # the lecture's v²: [b, w]
        assert velocity.shape == (1, 9)
        for k in range(8):
            numbers = re.findall(r"[−-]?\d+\.\d+", lines[first + k])
            assert len(numbers) == 2, lines[first + k]
            assert float(numbers[1].replace("−", "-")) == pytest.approx(velocity[0, k + 1], abs=6e-5)
        numbers = re.findall(r"[−-]?\d+\.\d+", lines[first + 8])
        assert lines[first + 8].lstrip().startswith("db²") and " b " in lines[first + 8]
        assert float(numbers[1].replace("−", "-")) == pytest.approx(velocity[0, 0], abs=6e-5)
        assert panel.virtual_size.width <= panel.scrollable_content_region.width
        if size == (120, 40):
            assert panel.virtual_size.height <= 23  # 33 before
        else:
            assert app.main.query_one("#layers").has_class("wide") and panel.cw > panel.base_cw
            assert panel.virtual_size.height <= panel.scrollable_content_region.height


@pytest.mark.parametrize("notation, size", [("nielsen", (120, 40)), ("ng", (120, 40)), ("nielsen", (200, 50)),
                                            ("nielsen", (200, 70))])
async def test_a_map_panel_that_would_scroll_keeps_g_beside_w(notation, size):
    """edges in nielsen at 120×40 after its first update: the conv panel put ∂C/∂w² under w² (37 lines in
    22, its δ² maps a scroll away, 35 blank columns at its right) only because the dense layer's ∂C/∂w⁴
    does not fit beside w⁴: one arrangement per screen. A panel that would scroll so, while G fits beside
    W in it, takes its own arrangement (G beside W: 29 lines at 120×40; at 200×50 18 lines, where under W
    they were 26 in 22); a panel that fits either way keeps the screen's (at 200×70, G under W in every
    panel, every line in view)."""
    from bptui.tui.profile_map_sheet import ProfileMapSheet

    app = app_with("edges", notation)
    async with app.run_test(size=size) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        conv = app.main.query_one("#layer-1", ProfileMapSheet)
        dense = app.main.query_one("#layer-3", ProfileSheet)
        assert g_under_w(dense)
        width, height = conv.room()
        kernels = 5 + 2 * conv._kernel_width() + 6  # G's kernels beside W's: what it takes
        assert kernels <= width
        conv_under = g_placed_under(conv)
        if size == (200, 70):
            assert conv_under and conv.virtual_size.height <= height, (conv.virtual_size, height)
        else:
            assert not conv_under, [("".join(t for t, _, _ in line)) for line in conv.lines[:12]]
            K, _ = conv.kind.param_shape
            kh = conv._kernel_columns()[1][1]
            assert conv.virtual_size.height + 2 + K * kh > height  # (under W, it would scroll more)

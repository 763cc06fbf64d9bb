"""Issue 24, "the whole screen": no dense panel scrolls its rows or what stands under them (G⁽ˡ⁾ under
W⁽ˡ⁾, an optimizer's state) out of sight while a part under its rows would fit in the blank columns beside
them (moons at 120×40 after ``b`` and ``u``: layer 1 put G⁽¹⁾ and v⁽¹⁾ under its rows and scrolled G⁽¹⁾'s
rows b=4…8 and v⁽¹⁾'s out of view, columns 57–118 beside the unit rows blank), nor keeps G⁽ˡ⁾ under W⁽ˡ⁾
while W⁽ˡ⁾ | s o δ | G⁽ˡ⁾ fits its width and its lines so would fit its height, over the bundled dense
networks, with their own optimizer and with Adam, at 80×24, 120×40, 160×45 and 200×50."""

from __future__ import annotations

import pytest

from bptui.tui.sheet import LayerSheet

from .conftest import EXAMPLES
from .test_layout_arrangement import all_lines, app_with

SIZES = ((80, 24), (120, 40), (160, 45), (200, 50))
CASES = [(name, None) for name in EXAMPLES] + [(name, "adam") for name in EXAMPLES if name not in ("iris",)]


def unused_beside(panel: LayerSheet) -> tuple[int, list[tuple[str, int]]] | None:
    """For a panel that scrolls vertically: the blank columns at the right of its heading and unit rows
    (as drawn, the parts beside them included), and each part under the rows with the columns it takes
    (its unit labels and matrix); None for a panel whose lines all fit its height."""
    content = panel.scrollable_content_region
    if panel.virtual_size.height <= content.height:
        return None
    lines = all_lines(panel)
    top = next(y for y, line in enumerate(lines) if y >= 2 and not line.strip())  # the blank line under the rows
    used = max(len(line.rstrip()) for line in lines[:top])
    blank = content.width - used
    return blank, [(label, panel._block_width(panel.ncols)) for _, label, _ in panel.blocks]


def g_fits_beside_w(panel: LayerSheet) -> bool:
    """Whether a panel that scrolls with G⁽ˡ⁾ under W⁽ˡ⁾ would hold all its lines with G⁽ˡ⁾ beside W⁽ˡ⁾'s rows
    (its line as wide as the panel's content, every column of W shown), the states under the rows counted
    at their most lines (each on a line of its own, under two heading lines)."""
    content = panel.scrollable_content_region
    if not panel.stacked or panel.ncols < panel.view.W.shape[1]:
        return False
    wide = panel._line_width(panel.ncols, False) <= content.width
    units = panel.view.W.shape[0]
    states = len(panel.view.optimizer)
    return wide and 2 + panel.rows + states * (1 + 2 + units) <= content.height


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name,optimizer", CASES, ids=[f"{n}-{o or 'own'}" for n, o in CASES])
async def test_no_panel_scrolls_while_a_part_under_its_rows_fits_beside_them(name, optimizer, size):
    app = app_with(name, None, optimizer)
    async with app.run_test(size=size) as pilot:
        await pilot.press("b", "u")
        for _ in range(3):
            await pilot.pause()
        checked = 0
        for panel in app.main.query(LayerSheet):
            if not panel.display or not panel.size.height:
                continue
            found = unused_beside(panel)
            checked += 1
            if found is None:
                continue
            blank, parts = found
            fits = [(label, width) for label, width in parts if width + 2 <= blank]
            assert not fits, (f"{name} ({optimizer or 'its own optimizer'}) at {size}: {panel.id} scrolls "
                              f"({panel.virtual_size.height} lines in {panel.scrollable_content_region.height}) "
                              f"while {fits} would stand in the {blank} blank columns beside its rows\n"
                              + "\n".join(all_lines(panel)))
            assert not g_fits_beside_w(panel), (
                f"{name} ({optimizer or 'its own optimizer'}) at {size}: {panel.id} scrolls with G under W "
                f"({panel.virtual_size.height} lines in {panel.scrollable_content_region.height}) while "
                f"W | s o δ | G fits its width and its lines so fit its height\n" + "\n".join(all_lines(panel)))
        assert checked, name


@pytest.mark.parametrize("name, size", [("moons", (80, 24)), ("classifier", (80, 24)), ("iris", (120, 40))])
async def test_a_dense_panel_scrolls_to_the_gradient_its_step_writes_under_the_rows(name, size):
    """moons at 80×24: layer 1 puts G⁽¹⁾ (and v⁽¹⁾ beside it) under its rows, 22 lines in 12; at the step that
    writes G⁽¹⁾ the panel stayed at its top, G⁽¹⁾'s heading and every row of it out of view. After a step, what
    the step wrote is in view with its heading (as a map panel's is): G⁽ˡ⁾'s block at its step, its numbers the
    stepper's; the unit rows again at the next step that writes them; and a reader's cursor in the panel keeps
    the panel where the reader put it."""
    app = app_with(name)
    async with app.run_test(size=size) as pilot:
        screen = app.main
        while not (screen.stepper.next_key.quantity == "G" and screen.stepper.next_key.layer == 1):
            screen.action_next()
        await pilot.pause()
        panel = app.main.query_one("#layer-1", LayerSheet)
        assert panel.stacked and panel.virtual_size.height > panel.scrollable_content_region.height
        screen.action_next()
        await pilot.pause()
        await pilot.pause()
        shown = [panel.render_line(y).text.rstrip() for y in range(panel.scrollable_content_region.height)]
        text = "\n".join(shown)
        heading = [y for y, line in enumerate(shown) if line.lstrip().startswith("▶ G⁽¹⁾")]
        assert heading, text
        G = app.stepper.state.G[1]
        units = G.shape[0]
        rows = [line for line in shown[heading[0]:] if line.lstrip().startswith("b=")]
        fits = panel.scrollable_content_region.height - heading[0] - 2  # (its heading's two lines)
        assert len(rows) >= min(units, fits), text
        for b, line in enumerate(rows[:units]):
            assert line.split()[0] == f"b={b + 1}", text
            bias = float(line.split()[1].replace("−", "-").rstrip("•│"))
            assert bias == pytest.approx(float(G[b, 0]), abs=5e-4, rel=2e-3), line
        while screen.stepper.next_key.layer != 1 or screen.stepper.next_key.phase != "forward":
            screen.action_next()
        screen.action_next()  # s⁽¹⁾ of the next example: the unit rows
        await pilot.pause()
        await pilot.pause()
        shown = [panel.render_line(y).text.rstrip() for y in range(panel.scrollable_content_region.height)]
        assert "▶ s⁽¹⁾" in shown[0] and shown[3].lstrip().startswith("b=1"), "\n".join(shown)
        panel.focus()  # the reader's cursor: the steps leave the panel's scroll to the reader
        await pilot.pause()
        while not (screen.stepper.next_key.quantity == "G" and screen.stepper.next_key.layer == 1):
            screen.action_next()
        screen.action_next()
        await pilot.pause()
        assert int(panel.scroll_y) == 0

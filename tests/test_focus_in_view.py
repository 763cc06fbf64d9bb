"""A panel that a step scrolled (to the rows the step wrote) keeps its cursor in view when the reader
moves into it: Tab put the cursor on W's first cell, which the step had scrolled out of view (parity at
80×24 after s⁽¹⁾₂: the view on the grid's rows while the explanation under the panels described
w₁,₀⁽¹⁾, a cell nowhere on screen; moons at 80×24 after G⁽¹⁾: the view on G⁽¹⁾'s rows)."""

from __future__ import annotations

import pytest

from bptui.tui.seq_sheet import SeqSheet
from bptui.tui.sheet import LayerSheet

from .test_layout_arrangement import app_with


def cursor_line(panel) -> int:
    """The panel's line the cursor's cell stands on."""
    if isinstance(panel, SeqSheet):
        return panel.cells[panel.cursor][0]
    r, c = panel.cursor
    q, _ = panel.columns()[c]
    if panel.stacked and q == "G":
        raise AssertionError("the first cell is W's")
    return panel._row_y(r)


@pytest.mark.parametrize("name, presses, kind", [("parity", 3, SeqSheet), ("moons", 9, LayerSheet)])
async def test_tab_into_a_scrolled_panel_shows_the_cursor(name, presses, kind):
    app = app_with(name, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*("n",) * presses)
        await pilot.pause()
        panel = app.main.query_one("#layer-1", kind)
        assert panel.scroll_offset.y > 0  # the step scrolled the panel off its first line
        await pilot.press("tab")
        await pilot.pause()
        await pilot.pause()
        assert app.focused is panel
        assert panel.cursor_cell is not None and panel.cursor_cell[0] == "W", panel.cursor_cell
        y = cursor_line(panel)
        first, count = panel.pinned()
        top = panel.scroll_offset.y + count  # the rows under a pinned heading
        assert top <= y < panel.scroll_offset.y + panel.room().height, (y, panel.scroll_offset, count,
                                                                          panel.room())

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


def produced_lines(panel) -> list[int]:
    """The panel's lines that hold the cells of what the last step wrote in its layer."""
    if isinstance(panel, SeqSheet):
        l = panel.l_index
        q = panel.stepper.spec.layer_kinds[l - 1].board_quantity(panel._produced)
        return [y for y, cells in enumerate(panel._at) if (first := next(iter(cells), None)) is not None
                and first[1][0] == q and first[1][1] == l]
    assert panel.view.produced == "G" and panel.stacked, (panel.view.produced, panel.stacked)
    top = panel._row_y(panel.rows - 1) + 1  # a blank, G's heading, its column names, its rows
    return list(range(top + 3, top + 3 + panel.view.W.shape[0]))


@pytest.mark.parametrize("name, presses, kind", [("long_memory_lstm", 7, SeqSheet), ("moons", 9, LayerSheet)])
async def test_a_resize_keeps_what_the_step_wrote_in_view(name, presses, kind):
    """long_memory_lstm stepped to c⁽¹⁾₂ at 120×40, then the terminal made 80×24: the view kept its top,
    on s's rows, the c rows the step wrote under it out of view; moons at G⁽¹⁾ (beside W⁽¹⁾ at 120×40,
    under it at 80×24) kept the panel's top, G⁽¹⁾'s block out of view."""
    app = app_with(name, None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*("n",) * presses)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        for _ in range(4):
            await pilot.pause()
        panel = app.main.query_one("#layer-1", kind)
        ys = produced_lines(panel)
        assert ys
        top = panel.scroll_offset.y + panel.pinned()[1]
        bottom = panel.scroll_offset.y + panel.room().height
        assert top <= ys[0] and min(ys[-1], ys[0] + panel.room().height - 2) < bottom, (ys, panel.scroll_offset,
                                                                                          panel.room())

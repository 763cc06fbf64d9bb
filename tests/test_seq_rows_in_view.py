"""A sequence panel makes the rows it shows (issue 24, item 5): when the cells change width (fewer digits; a
step did, before the width was chosen for a whole example), every sequence panel of the screen is built
again at that width, and only the rows drawn on screen are
formatted then (count_tokens' attention scores, tiny_transformer's v⁽³⁾: 10 columns where they had 9,
seven panels and some 560 numbers, of which about 30 rows are in view); the others when they are drawn
(scrolled into view) or read. What the panels show is at every step what a panel whose every line is made
as it is built shows."""

from __future__ import annotations

from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp
from bptui.tui.seq_sheet import SeqSheet

from .conftest import NETWORKS
from .test_seq_panel_kept import numbers


def made_afresh(panel: SeqSheet) -> SeqSheet:
    """A new panel of the same layer, built from the board as it is now, for the same width, with every
    line made as it is built (not when drawn)."""
    new = type(panel)(panel.stepper, panel.l_index, panel.digits)
    new.DEFERS_ROWS = False  # type: ignore[misc]
    new.hidden, new._avail, new.group = panel.hidden, panel._avail, panel.group  # (the same screen's cells' width)
    new._crowded_as = panel._crowded_as  # (the same column's height: the states beside W's rows or not)
    new._parent = panel.parent  # (the same screen's arrangement: G beside W or under it, as its other panels)
    new._build(panel._produced)
    panel.parent.arrangement.leave(new)
    return new


def assert_as_made_afresh(panel: SeqSheet, what: tuple) -> None:
    new = made_afresh(panel)
    assert [list(line) for line in panel.lines] == [list(line) for line in new.lines], (*what, panel.id)
    assert panel.cells == new.cells and panel.virtual_size == new.virtual_size, (*what, panel.id)
    assert (panel.grid_top, panel.heading_lines, panel.state_headings, panel.beside, panel.beside_grid) == (
        new.grid_top, new.heading_lines, new.state_headings, new.beside, new.beside_grid), (*what, panel.id)


async def width_changes(name: str, presses: int) -> int:
    """Step ``name`` at 120×40, then show fewer digits; at each press that changes the cells' width, each
    panel formats no more numbers than the rows it draws show. The number of such presses."""
    app = BptuiApp(load(NETWORKS / f"{name}.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        assert len(panels) > 2
        formatted: dict[str, int] = {}
        drawn: dict[str, set[int]] = {}
        for panel in panels:
            number_text, render_line = panel.number_text, panel.render_line
            panel.number_text = (lambda x, fmt=None, p=panel, f=number_text:  # type: ignore[method-assign]
                                 (formatted.__setitem__(p.id, formatted.get(p.id, 0) + 1), f(x, fmt))[1])
            panel.render_line = (lambda y, p=panel, f=render_line:  # type: ignore[method-assign]
                                 (drawn.setdefault(p.id, set()).add(p.content_row(y)), f(y))[1])
        found = 0
        for move in [app.main.action_next] * presses + ["-"]:
            widths = [p.cw for p in panels]
            formatted.clear()
            drawn.clear()
            if move == "-":
                await pilot.press("-")
            else:
                move()
            await pilot.pause()
            if [p.cw for p in panels] == widths:
                continue
            found += 1
            key = app.stepper.last.key
            for panel in panels:
                shown = drawn.get(panel.id, set())
                bound = sum(numbers(panel.lines[y]) for y in shown if y < len(panel.lines))
                assert formatted.get(panel.id, 0) <= bound, (name, key, panel.id, widths[0], panel.cw,
                                                             formatted.get(panel.id, 0), bound, len(shown))
            assert sum(formatted.values()) < sum(sum(numbers(line) for line in p.lines) for p in panels) / 3
        return found


async def test_a_new_cells_width_formats_only_the_rows_in_view():
    """Fewer digits (−) after steps of count_tokens and tiny_transformer narrow the cells (10 columns to 9):
    each sequence panel formats no more numbers at that press than the rows it draws show (before: every
    row of every panel, 559 numbers in count_tokens' three panels, when the attention scores' step widened
    the cells; a step no longer does, the cells' width being chosen at an example's first step for the
    whole example)."""
    assert await width_changes("count_tokens", 8) >= 1
    assert await width_changes("tiny_transformer", 24) >= 1


async def stepped_as_made_afresh(name: str, every: bool) -> None:
    """Through ``name``'s first example at 120×40, then to its update, each panel's lines, cells and parts
    against a panel whose lines are made as it is built: at every step (``every``), or only at the example's
    loss and the update, each panel scrolled down a page at a time with its column first (its rows made as
    they are drawn, steps after they were built)."""
    app = BptuiApp(load(NETWORKS / f"{name}.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        main, stepper = app.main, app.stepper
        first = stepper.next_key.example
        moves = 0
        while True:  # a step at a time through the first example, then to the update
            (main.action_next if stepper.next_key.example == first else main.action_to_update)()
            moves += 1
            await pilot.pause()
            key = stepper.last.key
            if every:
                for panel in panels:
                    assert_as_made_afresh(panel, (name, key))
            elif key.phase == "update" or (key.phase == "loss" and stepper.next_key.phase != "loss"):
                for panel in panels:
                    panel.scroll_visible(animate=False, immediate=True)
                    await pilot.pause()
                    for y in range(0, len(panel.lines), max(1, panel.size.height)):
                        panel.scroll_to(y=y, animate=False, immediate=True)
                        await pilot.pause()
                    assert_as_made_afresh(panel, (name, key, "scrolled"))
                    panel.scroll_to(y=0, animate=False, immediate=True)
            if key.phase == "update":
                break
        assert stepper.last.key.phase == "update" and moves > 20, (stepper.last.key, moves)


async def test_the_sequence_panels_show_at_every_step_what_lines_made_as_built_show():
    for name in ("count_tokens", "tiny_transformer"):
        await stepped_as_made_afresh(name, every=True)


async def test_rows_drawn_steps_after_they_were_built_show_what_lines_made_as_built_show():
    for name in ("count_tokens", "tiny_transformer"):
        await stepped_as_made_afresh(name, every=False)

"""Issue 24 item 2, "the whole screen used", when the column does not hold every panel whole: the panels
share it by parts (``sheet.shared_by_parts``), level by level, the same in each (every panel's heading
and rows, then every panel's next part: G's band, an optimizer's state), and a step of a pass changes no
panel's height."""

from __future__ import annotations

import re

import pytest

from bptui.tui.panel_base import NumberSheet
from bptui.tui.sheet import bar_covers

from .test_layout_arrangement import all_lines, app_with

SIZES = [(80, 24), (120, 40), (160, 45), (200, 50)]


def part_ends(panel) -> list[int]:
    """The line after each part of a dense panel, as a student sees them: its lines, in view or not, cut at
    each blank line (the rows, G's band, an optimizer's state), the last its last line."""
    lines = all_lines(panel)
    return [y for y, line in enumerate(lines) if not line.strip() and y >= 2] + [len(lines)]


def heights(app) -> dict[str, tuple[int, int]]:
    """Each panel's lines shown, and its lines in all."""
    layers = app.main.query_one("#layers")
    return {p.id: (p.scrollable_content_region.height, p.virtual_size.height)
            for p in layers.children if isinstance(p, NumberSheet) and p.display}


def check_levels(app, where: str) -> None:
    """No panel that scrolls shows a line of a part past the level of the first part another panel does not
    show whole (in a column that holds them); a panel whole on its own stays whole (made to scroll, it
    would lose its scrollbar's columns too: moons in ng at 120×40 hid W⁽²⁾'s k=8 and the v⁽²⁾ its update
    made), but only where its scrollbar would stand over its numbers (iris at 200×50: layer 2 whole, v⁽²⁾
    in view, hid the last row of G⁽¹⁾, m⁽¹⁾ and v⁽¹⁾)."""
    layers = app.main.query_one("#layers")
    panels = [p for p in layers.children if isinstance(p, NumberSheet) and p.display]
    if layers.has_class("wide") or sum(p.outer_size.height for p in panels) > layers.size.height:
        return  # (side by side; or the column does not hold every panel's rows, and scrolls: 80×24)
    shown = {p.id: p.scrollable_content_region.height for p in panels}
    ends = {p.id: part_ends(p) for p in panels}
    for p in panels:
        full = sum(end <= shown[p.id] for end in ends[p.id])  # the parts it shows whole, top down
        if full == len(ends[p.id]):
            continue
        for q in panels:
            if q is not p and full < len(ends[q.id]) and shown[q.id] < ends[q.id][-1]:
                assert shown[q.id] <= ends[q.id][full], (where, p.id, q.id, shown, ends)
            elif q is not p and full + 1 < len(ends[q.id]):  # q whole, a later part of it shown: only where a
                assert bar_covers(q), (where, p.id, q.id, shown, ends)  # scrollbar would stand over its numbers


@pytest.mark.parametrize("name, notation", [("iris", None), ("iris", "ng"), ("moons", None), ("moons", "nielsen")])
async def test_the_panels_share_the_column_by_parts_over_a_pass(name, notation):
    """iris with adam at 160×45 (lecture and ng): layers 1 and 2 both scrolled in 16 lines (22 and 21 of
    them), layer 2's 1st moment in view while layer 1's G⁽¹⁾ and v⁽¹⁾ were 6 rows short; layer 2 whole (an
    earlier patch) hid G⁽¹⁾ whole. At 80×24, 120×40, 160×45 and 200×50, at every step of a forward and
    backward pass and after the update: no panel shows a line of a part of a later level than the first part
    another panel does not show whole, the panels fill the column while one scrolls, and the panels'
    heights change only with their lines (a step that adds none moves none)."""
    app = app_with(name, notation)
    seen: dict[tuple[int, int], list[dict]] = {size: [] for size in SIZES}
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in ["", "n", "n", "n", "n", "n", "n", "n", "n", "n", "u"]:
            for key in keys:
                await pilot.press(key)
            for size in SIZES:
                await pilot.resize_terminal(*size)
                await pilot.pause()
                await pilot.pause()
                where = f"{name} ({notation}) at {size} after {keys!r}"
                check_levels(app, where)
                got = heights(app)
                layers = app.main.query_one("#layers")
                if any(shown < lines for shown, lines in got.values()) and not layers.has_class("wide"):
                    used = sum(p.outer_size.height for p in layers.children if p.display)
                    assert used >= layers.size.height, (where, got, used, layers.size.height)
                seen[size].append(got)
    for size, steps in seen.items():  # a panel's height changes only with the lines of a panel
        by_lines: dict[tuple, set] = {}
        for got in steps:
            by_lines.setdefault(tuple(lines for _, lines in got.values()), set()).add(tuple(got.values()))
        assert all(len(shown) == 1 for shown in by_lines.values()), (size, by_lines)


def numbers(line: str) -> list[float]:
    return [float(x.replace("−", "-")) for x in re.findall(r"[−-]?\d+\.\d+", line)]


async def test_iris_at_160x45_shows_both_gradients():
    """iris with adam at 160×45 after its backward pass: layer 2 shows W⁽²⁾, s, o, δ and G⁽²⁾ whole (its m and
    v a scroll away); layer 1, whose lines with G⁽¹⁾ under W⁽¹⁾ would not fit, puts G⁽¹⁾ beside W⁽¹⁾ and m⁽¹⁾,
    v⁽¹⁾ under them, and shows them all whole, where it showed G⁽¹⁾'s first 7 rows with v⁽¹⁾ beside them (one
    line short of whole; 2 of G⁽¹⁾'s rows before the column was shared by parts); the numbers on screen are G's."""
    app = app_with("iris")
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(9):
            await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        G = app.stepper.state.G
        panel = app.main.query_one("#layer-1", NumberSheet)
        assert panel.virtual_size.height <= panel.scrollable_content_region.height  # whole
        text = [panel.render_line(y).text for y in range(panel.scrollable_content_region.height)]
        assert re.search(r"δ⁽¹⁾\s+(▶ )?G⁽¹⁾", text[0]), "\n".join(text)  # beside W⁽¹⁾, s, o, δ
        rows = [line for line in text if re.match(r"\s*b=[1-8] ", line)]
        assert len(rows) == 16 and all(line.count("b=") == 2 for line in rows[8:]), "\n".join(text)  # m⁽¹⁾ | v⁽¹⁾ under
        for b, line in enumerate(rows[:8]):
            shown = numbers(line)[-G[1].shape[1]:]  # (W, s, o, δ, then G)
            assert shown == pytest.approx(G[1][b].tolist(), abs=6e-5), line
        panel = app.main.query_one("#layer-2", NumberSheet)
        assert panel.scroll_offset.y == 0
        text = [panel.render_line(y).text for y in range(panel.scrollable_content_region.height)]
        head = next(y for y, line in enumerate(text) if re.match(r"\s*(▶ )?G⁽", line))
        for b in range(3):
            line = text[head + 2 + b]
            assert line.lstrip().startswith(f"b={b + 1} "), "\n".join(text)
            shown = numbers(line)[:G[2].shape[1]]
            assert shown == pytest.approx(G[2][b].tolist(), abs=6e-5), line
        assert not any("moment" in line for line in text[head:]), "\n".join(text)


def test_the_parts_by_hand():
    """``shared_by_parts`` on heights worked out by hand (each panel's lines with its 2 lines of borders).
    iris at 160×45: layer 1's parts end at 11 and 22 (13, 24 with borders), layer 2's at 5, 11, 16, 21, the
    column 36: both rows (20), G's level does not fit (24 + 13 = 37), so the 16 lines left go to layer 2's
    G (6, the shorter) and 10 of layer 1's 11. A map panel (one part, 30 lines, its own height 18) over a
    dense panel the column holds whole (10 lines): the map panel takes the 22 left, not its 18 with 4
    lines blank under the panels. A column short of every panel's rows: none shared."""
    from bptui.tui.sheet import shared_by_parts

    assert shared_by_parts({1: (24, 18), 2: (23, 18)}, {1: [11, 22], 2: [5, 11, 16, 21]}, 36) == {1: 23, 2: 13}
    assert shared_by_parts({1: (30, 18), 2: (10, 18)}, {1: None, 2: [3, 8]}, 32) == {1: 22, 2: 10}
    assert shared_by_parts({1: (24, 18), 2: (23, 18)}, {1: [11, 22], 2: [5, 11, 16, 21]}, 19) == {}

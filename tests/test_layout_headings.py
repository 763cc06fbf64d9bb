"""Issue 24, "the whole screen": a panel taller than its room keeps the lines that name its columns
(W⁽ˡ⁾ s⁽ˡ⁾ o⁽ˡ⁾ δ⁽ˡ⁾ G⁽ˡ⁾, ``unit  bias│ a=1``, a map's or the grid's τ heading) in view while its rows
scroll, in every panel of every bundled network and in notation profiles, at 80×24 and 120×40; a
pinned heading is drawn as the panel draws it where it stands (scrolled sideways with the rows), and
every row on screen has its own heading above it."""

from __future__ import annotations

import re

import pytest

from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.app import BptuiApp
from bptui.tui.panel_base import NumberSheet
from bptui.tui.profile_sheet import ProfileSheet
from bptui.tui.sheet import LayerSheet

from .conftest import ALL_EXAMPLES, GRAPH_EXAMPLES, NETWORKS
from .tui_helpers import until

SIZES = ((80, 24), (120, 40))


def screen_of(panel) -> tuple[list[int], list[str]]:
    """The panel's line on each line of its view, and the text the view shows there."""
    height = panel.scrollable_content_region.height
    return [panel.content_row(y) for y in range(height)], [panel.render_line(y).text for y in range(height)]


def check_view(panel, where: str) -> int:
    """Every row on screen stands under its own heading, all of whose lines are on screen above it; a
    pinned heading reads as the panel's line it is, scrolled as the rows under it; the bias bar │ of
    the column names stands over the rows' (dense panels). Returns the rows checked."""
    spans = panel.heading_spans()
    assert spans, f"{where}: {panel.id} names no heading"
    heads = {first + k for first, n in spans for k in range(n)}
    rows, texts = screen_of(panel)
    end = panel.virtual_size.height
    checked = 0
    for y, row in enumerate(rows):
        if row >= end or row in heads or not texts[y].strip():
            continue
        first, n = max((span for span in spans if span[0] <= row), default=(None, 0))
        assert first is not None, f"{where}: {panel.id} line {row} stands above every heading"
        above = rows[:y]
        missing = [first + k for k in range(n) if first + k not in above]
        assert not missing, (f"{where}: {panel.id} scrolled to {panel.scroll_offset}: line {row} on screen "
                             f"line {y} without its heading's lines {missing} above it\n" + "\n".join(texts))
        names = texts[above.index(first + n - 1)]  # the heading's last line: the column names
        if isinstance(panel, (LayerSheet, ProfileSheet)) and "│" in names and "│" in texts[y]:
            assert names.index("│") == texts[y].index("│"), f"{where}: {panel.id}\n{names}\n{texts[y]}"
        checked += 1
    first, count = panel.pinned()
    if count:  # drawn as where it stands, at the same scroll x
        pinned = texts[:count]
        x, y = panel.scroll_offset
        panel.scroll_to(x, first, animate=False, immediate=True)
        rows_there, texts_there = screen_of(panel)
        assert [texts_there[rows_there.index(first + k)] for k in range(count)] == pinned, where
        panel.scroll_to(x, y, animate=False, immediate=True)
    return checked


async def check_app(app, size: tuple[int, int], where: str) -> int:
    """Into the backward pass, then each tall panel scrolled down line by line near its top, to its
    middle and its end, at its left and scrolled sideways to its middle."""
    async with app.run_test(size=size) as pilot:
        screen = app.main
        for _ in range(2000):
            if screen.stepper.next_key.phase == "backward":
                break
            screen.action_next()
        for _ in range(2):
            screen.action_next()
        await pilot.pause()
        checked = 0
        panels = [p for p in screen.query("#layers > *") if isinstance(p, NumberSheet) and p.display and p.size.height]
        assert panels, where
        layers = screen.query_one("#layers")
        for panel in panels:
            bottom = panel.max_scroll_y
            for sy in sorted({0, 1, 2, 3, bottom // 3, bottom // 2, bottom - 2, bottom - 1, bottom}):
                for sx in sorted({0, panel.max_scroll_x // 2}):
                    if 0 <= sy <= bottom:
                        panel.scroll_to(sx, sy, animate=False, immediate=True)
                        checked += check_view(panel, f"{where} at {size[0]}×{size[1]}")
            if bottom:  # the panel's view, with its pinned heading, starts on screen when the column follows it
                panel.scroll_to(0, bottom, animate=False, immediate=True)
                layers.follow(panel)
                await pilot.pause()  # (the scroll's next frame; until: a loaded machine may draw it after the pause)
                await until(pilot, lambda: layers.region.y <= panel.content_region.y < layers.region.bottom,
                            f"{where}: {panel.id}'s view on screen once the column follows it")
        return checked


@pytest.mark.parametrize("name", [n for n in ALL_EXAMPLES if n not in GRAPH_EXAMPLES])
async def test_every_panel_keeps_its_heading_in_view(name):
    checked = 0
    for size in SIZES:
        checked += await check_app(BptuiApp(load(NETWORKS / f"{name}.json")), size, name)
    assert checked > 0


@pytest.mark.parametrize("name, profile", [("moons_layernorm", "cs231n"), ("moons_layernorm", "goodfellow"),
                                           ("deep_residual", "nielsen"), ("shapes", "ng"),
                                           ("long_memory_lstm", "goodfellow"), ("tiny_transformer", "cs231n")])
async def test_every_profile_panel_keeps_its_heading_in_view(name, profile):
    checked = 0
    for size in SIZES:
        app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[profile])
        checked += await check_app(app, size, f"{name} in {profile}")
    assert checked > 0


async def test_a_big_layer_keeps_its_heading_when_scrolled():
    """784-128-10 at 120×40: the first layer's 128 rows scroll under W⁽¹⁾'s names and columns."""
    from .tui_helpers import big_spec

    assert await check_app(BptuiApp(big_spec()), (120, 40), "784-128-10") > 0


async def layouts_through_a_pass(app, size: tuple[int, int]) -> list[dict]:
    """Each dense panel's layout (G beside W or under it, the W columns shown) after every step of the
    first 160 (deep_residual's first epoch and into the next)."""
    seen = []
    async with app.run_test(size=size) as pilot:
        screen = app.main
        await pilot.pause()
        for _ in range(min(160, len(screen.stepper.schedule))):
            screen.action_next()
            await pilot.pause()
            seen.append({p.id: (p.stacked, p.ncols) for p in screen.query(LayerSheet)})
    return seen


@pytest.mark.parametrize("name", ["deep_residual", "deep_sigmoid", "iris", "moons"])
async def test_a_dense_panels_layout_changes_at_most_once(name):
    """A δ or G of e−5 widens a panel's cells by one (a blank before −1.83e−5•), which can send G under W
    (deep_residual's layer 3 at 120×40): it then stays there, and the panel does not go back and forth
    between its layouts as each example's numbers come and go (every example did so)."""
    for size in ((120, 40),):
        seen = await layouts_through_a_pass(BptuiApp(load(NETWORKS / f"{name}.json")), size)
        assert len(seen) > 5
        for panel in seen[0]:
            layouts = [s[panel][0] for s in seen]  # stacked or not, step by step
            changes = sum(a != b for a, b in zip(layouts, layouts[1:]))
            assert changes <= 1 and (changes == 0 or layouts[-1]), (name, size, panel, layouts)


@pytest.mark.parametrize("notation", [None, "ng", "nielsen", "goodfellow"])
async def test_a_state_beside_the_rows_has_its_heading_on_the_heading_line(notation):
    """iris (adam) at 160×45: layer 1's 1st moment stands beside its rows (``parts_beside``), and in ng,
    nielsen and goodfellow its heading stood on the ``unit  k=1 …`` line, among the column names; it stands
    on the heading line with W's, b's and z's names, as the lecture's does, its rows beside the units' rows."""
    from .test_layout_arrangement import all_lines, app_with

    app = app_with("iris", notation)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one("#layer-1", NumberSheet)
        lines = all_lines(panel)
        moment = [y for y, line in enumerate(lines) if "(1st moment" in line]
        if notation is None:  # the lecture's panel takes its own arrangement, G⁽¹⁾ beside W⁽¹⁾ (a line fewer):
            # m⁽¹⁾ | v⁽¹⁾ under the rows, on one heading line (``LayerSheet._keeps_own``)
            assert "G⁽¹⁾" in lines[0] and moment == [12] and "(2nd moment" in lines[12], "\n".join(lines)
            return
        assert moment == [0], "\n".join(lines)  # beside the rows, on the heading line
        assert "unit" in lines[1] and "moment" not in lines[1]
        end = next(y for y, line in enumerate(lines) if y > 2 and not line.strip())  # (the rows, then the parts under them)
        rows = [y for y, line in enumerate(lines[:end]) if len(re.findall(r"\b[bj]=\d", line)) == 2]  # a unit's, its state's
        assert len(rows) == 8 and rows[0] in (2, 3), "\n".join(lines)


@pytest.mark.parametrize("notation", [None, "ng"])
async def test_an_optimizers_state_under_the_rows_has_one_heading_line(notation):
    """iris (adam) at 200×50: the lecture's layer 2 drew m⁽²⁾ beside G⁽²⁾ and v⁽²⁾ under them, each with a
    name's line and a ``unit  bias│ a=1 …`` line repeating W's, 17 lines in 16 rows; a state on a line of its
    own (no G beside it) has its name's line alone over its rows, as a profile's has: the panel is 16 lines
    (in the lecture's notation the column, 41 lines, then holds layer 1 whole and layer 2 but its last line:
    ``test_layout_shared``), every row under its heading, the heading pinned with the rows it names
    (``heading_spans``)."""
    from .test_layout_arrangement import all_lines, app_with

    app = app_with("iris", notation)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("n", "n", "n")
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one("#layer-2", NumberSheet)
        lines = all_lines(panel)
        assert panel.virtual_size.height == 16, "\n".join(lines)
        head = next(y for y, line in enumerate(lines) if "(2nd moment" in line)
        assert "G" not in lines[head] and "dW" not in lines[head]  # (a line of the state alone)
        assert [line.split()[0] for line in lines[head + 1:head + 4]] == ["b=1", "b=2", "b=3"] if notation is None \
            else ["j=1", "j=2", "j=3"]
        assert any(first == head for first, _ in panel.heading_spans())  # (pinned as its rows scroll)

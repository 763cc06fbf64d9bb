"""Issue 24, "the whole screen": after a step a panel scrolls to the rows the step wrote; what it then shows
names what it shows. Under a heading pinned over the view stands a row that heading names, with its own name
at its left (``s b=1``, ``W¹  k=0``, a dense panel's unit): not a blank line, another heading, or a matrix's or
group's later row whose name is scrolled out of view (``  b=2``, ``     k=7``); and a heading is not the last
line in view with its rows under the view (``m¹ (1st moment, t = 0)``)."""

from __future__ import annotations

import pytest

from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.app import BptuiApp
from bptui.tui.panel_base import NumberSheet
from bptui.tui.sheet import LayerSheet

from .conftest import NETWORKS


def view_of(panel) -> list[int]:
    """The panel's line on each line of its view."""
    height = panel.scrollable_content_region.height
    end = panel.virtual_size.height
    return [r for r in (panel.content_row(y) for y in range(height)) if r < end]


def drawn(panel, y: int) -> str:
    """The text the panel's view shows on its line ``y``."""
    return panel.render_line(y).text


def problems(panel) -> list[str]:
    """What the panel's view shows that it does not name (none: it names what it shows). A heading: a line
    of text without a cell that starts a run of heading lines or stands under a blank line."""
    rows = view_of(panel)
    if not rows:
        return []
    starts = {first for first, _ in panel.heading_spans()}
    if hasattr(panel, "lines"):  # (a lazy line made here: read to be checked)
        def line(y: int) -> tuple[str, bool]:
            runs = list(panel.lines[y])
            return "".join(text for text, _, _ in runs), any(key is not None for _, _, key in runs)
    else:  # a dense layer's panel: its lines as drawn, a row of cells each but its headings' lines
        heads = {first + k for first, n in panel.heading_spans() for k in range(n)}

        def line(y: int) -> tuple[str, bool]:
            text = drawn(panel, rows.index(y)) if y in rows else ""
            return text, y not in heads and text.strip() != ""

    def heading(y: int) -> bool:
        text, cells = line(y)
        return not cells and text.strip() != "" and (
            y in starts or y == 0 or not any(c.strip() for c in [line(y - 1)[0]]) and not line(y - 1)[1])

    if isinstance(panel, LayerSheet) and panel.view.produced == "G" and any(
            first in rows and first + n + panel.view.W.shape[0] - 1 in rows for first, n in panel.heading_spans()[1:2]):
        return []  # G⁽ˡ⁾'s block under W⁽ˡ⁾, whole with its heading, as much as the room holds (moons, iris at 80×24)
    found = []
    count = panel.pinned()[1]
    if panel.scroll_offset.y > 0 and count and count < len(rows):
        y = rows[count]
        if not line(y)[0][:1].strip() or heading(y):
            found.append(f"under the pinned heading, line {y} {drawn(panel, count).rstrip()!r} is not a row it names")
    last = rows[-1]
    if last + 1 < panel.virtual_size.height and heading(last) and len(rows) > count + 1:
        found.append(f"its last line in view {last} {drawn(panel, len(rows) - 1).strip()!r} is a heading without its rows")
    return found


def screen_problems(app) -> list[str]:
    """Every panel's problems; a panel at its top that the last step did not write in is left as the screen's
    layout put it (tiny_transformer's layer 5 at 80×24 ends its view on its τ line before its first step)."""
    found = []
    last = app.stepper.last
    written = None if last is None else f"layer-{last.key.layer}"
    for panel in app.main.query("#layers > *"):
        if panel.id != written and panel.scroll_offset.y == 0 and last is not None:
            continue
        if isinstance(panel, NumberSheet) and panel.display and panel.size.height:
            found += [f"{panel.id} scrolled to {panel.scroll_offset.y}: {p}\n" + "\n".join(drawn(panel, y) for y in range(len(view_of(panel))))
                      for p in problems(panel)]
    return found


async def after(name: str, size: tuple[int, int], presses: int, notation: str | None = None) -> list[str]:
    app = BptuiApp(load(NETWORKS / f"{name}.json"), notation=PROFILES[notation] if notation else None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _ in range(presses):
            app.main.action_next()
            await pilot.pause()
        return screen_problems(app)


async def test_parity_pins_no_heading_over_a_blank():
    """parity at 80×24 after ``n n n``: layer 1 scrolled to the rows of τ = 2 with G⁽¹⁾'s heading pinned over
    the blank under G's rows (the view's top on G's last row)."""
    assert await after("parity", (80, 24), 3) == []


async def test_iris_cs231n_names_each_matrix_in_view():
    """iris in cs231n at 120×40 after dW¹'s step: layer 2 stood at W²'s row k = 7 (W² named on k = 0, out of
    view), layer 1 showed ``m¹ (1st moment, t = 0)`` as its last line, its rows under the view."""
    assert await after("iris", (120, 40), 9, "cs231n") == []


STEPS = 64  # (the suite's time bound: a sequence's example is some 150 steps)
WALKS = [("moons", None), ("iris", None), ("iris", "cs231n"), ("parity", None), ("gru_parity", None),
         ("long_memory_lstm", None), ("tiny_transformer", None)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("name,notation", WALKS, ids=[f"{n}-{p or 'lecture13'}" for n, p in WALKS])
async def test_every_step_names_what_it_shows(name, notation, size):
    """Each step of an example (the first ``STEPS`` of a sequence's: its forward pass and the start of its
    backward pass) and its update: every panel names the rows it shows. A step that changes no panel's size
    is checked without a frame drawn: what a panel shows is its lines and its scroll."""
    app = BptuiApp(load(NETWORKS / f"{name}.json"), notation=PROFILES[notation] if notation else None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        found: list[str] = []
        for step in range(STEPS):  # an example's steps (its first STEPS), its update when it comes before the next
            app.main.action_next()
            if app.main._layout_required or app.screen._layout_required:
                await pilot.pause()  # (a step that changes a panel's size: its new room)
            key = app.stepper.last.key
            found += [f"{name} {notation} {size} step {step + 1} {key.phase} {key.quantity} {key.layer}: {p}"
                      for p in screen_problems(app)]
            if app.stepper.next_key.example_start or app.stepper.next_key.epoch_start:
                break
        assert not found, "\n\n".join(found[:4]) + f"\n\n({len(found)} in all)"

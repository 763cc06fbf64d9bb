"""Resizes in quick succession: every widget that lays itself out for its size (on a Resize) ends laid
out for its final size, however many sizes the terminal went through before a layout (issue 24: a
Resize can be lost when Textual rebuilds its compositor's map between a change and the next layout;
the layer panels were once left side by side in a column half as wide)."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.drivers.headless_driver import HeadlessDriver
from textual.geometry import Size
from textual.widget import Widget

from bptui.tui.footer import SteadyFooter
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.map_sheet import MapSheet
from bptui.tui.net_diagrams import NetworkDiagrams
from bptui.tui.sheet import LayerPanels, LayerSheet

from .tui_helpers import app_for, graph_app_for

SIZES = [(120, 40), (80, 24), (200, 50), (100, 30)]


async def resize(app: Any, pilot: Any, sizes: list[tuple[int, int]], quick: bool) -> None:
    """The terminal through ``sizes``: all in one turn of the event loop (``quick``), or each with
    the pilot's pause after it; then the app settles."""
    for width, height in sizes:
        size = Size(width, height)
        if quick:
            assert isinstance(app._driver, HeadlessDriver)
            app._driver._size = size
            app.post_message(events.Resize(size, size))
        else:
            await pilot.resize_terminal(width, height)
    for _ in range(4):
        await pilot.pause(0.02)


def laid_out(app: Any) -> list[str]:
    """What is laid out for another size than the widget's own, each widget asked to lay itself out
    again for its size now (and nothing may change)."""
    wrong = []
    screen = app.screen
    for sheet in screen.query(LayerSheet):
        if not sheet.size.width:
            continue
        before = (sheet.stacked, sheet.ncols, sheet.cw, sheet.pitch, sheet.lead, sheet._avail)
        sheet._layout_columns()
        after = (sheet.stacked, sheet.ncols, sheet.cw, sheet.pitch, sheet.lead, sheet._avail)
        if after != before:
            wrong.append(f"{sheet.id}: columns {before} for {after}")
    for column in screen.query(LayerPanels):
        if column.display and column.arranged != column.size.width:
            wrong.append(f"#layers: arranged for {column.arranged} columns, has {column.size.width}")
    for sheet in screen.query(MapSheet):
        if sheet.size.width and sheet._avail != sheet.room().width:
            wrong.append(f"{sheet.id}: arranged for {sheet._avail} columns, has {sheet.room().width}")
    for canvas in screen.query(GraphCanvas):
        if canvas.display and canvas.size.width:
            offset = canvas.scroll_offset
            canvas._follow()
            if canvas.scroll_offset != offset:
                wrong.append(f"{canvas.id}: scrolled to {offset}, its node in view at {canvas.scroll_offset}")
    for footer in screen.query(SteadyFooter):
        shown = [key.display for key in footer.children]
        footer._fit()
        if [key.display for key in footer.children] != shown:
            wrong.append(f"footer: keys shown for another width than {footer.size.width}")
    for diagrams in screen.query(NetworkDiagrams):
        title = str(diagrams.query_one("#diagram-title").render())
        diagrams._show_title()
        if str(diagrams.query_one("#diagram-title").render()) != title:
            wrong.append("the diagram's title for another size")
    main = getattr(screen, "place_side", None)
    if main is not None:
        narrow = screen.query_one("#main").has_class("narrow")
        screen.place_side()
        if screen.query_one("#main").has_class("narrow") != narrow:
            wrong.append("#main: side panel placed for another width")
    return wrong


CASES = {
    "xor": ("xor", ()),
    "xor, the explanation open": ("xor", ("n", "n", "tab")),
    "shapes (map panels)": ("shapes", ("n", "n", "n")),
    "xor, the NN diagram": ("xor", ("n", "d")),
    "parity, the graph unrolled": ("parity", ("n", "n", "c")),
    "moons, the map beside": ("moons", ("n", "m")),
}


@pytest.mark.parametrize("quick", [True, False], ids=["one turn", "paused"])
@pytest.mark.parametrize("case", list(CASES))
async def test_quick_resizes_leave_every_widget_laid_out_for_its_size(case, quick):
    name, keys = CASES[case]
    app = app_for(name)
    async with app.run_test(size=SIZES[0]) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        for sizes in (SIZES[1:], SIZES[:1], SIZES[2:3] + SIZES[1:2], SIZES[::-1]):
            await resize(app, pilot, sizes, quick)
            assert app.size == Size(*sizes[-1])
            assert laid_out(app) == [], sizes


@pytest.mark.parametrize("quick", [True, False], ids=["one turn", "paused"])
async def test_quick_resizes_leave_the_graph_laid_out_for_its_size(quick):
    app = graph_app_for("lecture13")
    async with app.run_test(size=SIZES[0]) as pilot:
        await pilot.press("n", "n", "n")
        await pilot.pause()
        for sizes in (SIZES[1:], SIZES[:1], SIZES[2:3] + SIZES[1:2], SIZES[::-1]):
            await resize(app, pilot, sizes, quick)
            assert laid_out(app) == [], sizes


LAID_OUT = (LayerPanels, LayerSheet, MapSheet, GraphCanvas, SteadyFooter, NetworkDiagrams)  # each has on_resize


@pytest.fixture
def lost_resizes(monkeypatch):
    """Every Resize event to a widget that lays itself out on one is lost, as Textual loses one when
    it rebuilds its compositor's map between a change and the layout that would have sent it."""
    post = Widget.post_message

    def post_message(self, message):
        if isinstance(message, events.Resize) and isinstance(self, LAID_OUT):
            return True
        return post(self, message)

    monkeypatch.setattr(Widget, "post_message", post_message)


@pytest.mark.parametrize("case", list(CASES))
async def test_a_lost_resize_leaves_no_widget_laid_out_for_another_size(case, lost_resizes):
    """The terminal resized, the explanation opened and closed (the panels' column narrower and wider
    again), and not one Resize event arrives: each widget is laid out for its size all the same."""
    name, keys = CASES[case]
    app = app_for(name)
    async with app.run_test(size=SIZES[0]) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        for sizes in (SIZES[1:], SIZES[2:3]):
            await resize(app, pilot, sizes, quick=False)
            assert laid_out(app) == [], sizes
        if "explanation" in case:
            await pilot.press("escape")
            await pilot.pause()
            assert laid_out(app) == [], "explanation closed"


async def test_a_lost_resize_leaves_the_graph_laid_out_for_its_size(lost_resizes):
    app = graph_app_for("lecture13")
    async with app.run_test(size=SIZES[0]) as pilot:
        await pilot.press("n", "n", "n")
        await pilot.pause()
        for sizes in (SIZES[1:], SIZES[2:3]):
            await resize(app, pilot, sizes, quick=False)
            assert laid_out(app) == [], sizes


async def test_a_scroll_of_the_panels_column_lays_no_widget_out_again(monkeypatch):
    """An update press scrolls the panels' column to the layer it writes (tiny_transformer: seven panels,
    more than the screen). A scroll moves widgets and resizes none, and Textual's map of every widget is
    rebuilt only when a widget not in its map of those on screen is looked up: the widgets that lay
    themselves out do not ask for their sizes after a scroll, the panels out of view (and their
    scrollbars) that a step draws again are marked dirty with the size the last layout gave them, and
    a widget out of view that is in that map already is not taken for a new one: no press builds that
    map (each did, a few million instructions). Each widget is laid out for its size all the same."""
    from textual._compositor import Compositor

    app = app_for("tiny_transformer")
    async with app.run_test(size=SIZES[0]) as pilot:
        screen, stepper = app.screen, app.stepper
        while not (stepper.next_key.phase == "update" and stepper.next_key.layer == 2):
            stepper.forward()
        screen.position = stepper.position  # every panel drawn again, the screen laid out
        await pilot.pause()
        built: list[int] = []
        arrange = Compositor._arrange_root

        def counted(self, root, size, visible_only=True):
            if not visible_only:
                built.append(1)
            return arrange(self, root, size, visible_only)

        scrolls = []
        reflow_visible = Compositor.reflow_visible

        def scrolled(self, parent, size):
            scrolls.append(1)
            return reflow_visible(self, parent, size)

        monkeypatch.setattr(Compositor, "_arrange_root", counted)
        monkeypatch.setattr(Compositor, "reflow_visible", scrolled)
        for layer in (2, 3, 5, 6):
            column = screen.query_one("#layers")
            before = column.scroll_offset
            await pilot.press("n")
            await pilot.pause()
            assert stepper.last.key.phase == "update" and stepper.last.key.layer == layer
            assert column.scroll_offset != before  # the column followed the layer
        assert scrolls and not built, (len(scrolls), len(built))
        monkeypatch.undo()
        assert laid_out(app) == []

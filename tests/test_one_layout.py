"""A step whose status takes another line lays the screen out once, not twice.

Textual asks for a second layout pass when a widget's virtual size changes after one (``virtual_size``
is a reactive with ``layout=True``): the status, the equation and its box change size together, and the
second pass over the whole screen arranged it as the first had (gru_parity's first backward press at
120×40: about 10 M of its 49 M instructions). The screen after the press is the screen a layout forced
after it draws."""

from __future__ import annotations

from textual._compositor import Compositor
from textual.screen import Screen

from .tui_helpers import app_for


def screen_text(app) -> list[str]:
    return [strip.text for strip in Compositor.render_strips(app.screen._compositor)]


async def test_a_step_whose_status_grows_lays_the_screen_out_once():
    app = app_for("gru_parity")
    layouts = 0
    original = Screen._refresh_layout

    def counted(self, size=None, scroll=False):
        nonlocal layouts
        layouts += 1
        return original(self, size, scroll)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        while app.stepper.next_key.phase != "backward":
            await pilot.press("n")
        await pilot.pause()
        status = app.screen.query_one("#status")
        lines = status.lines
        Screen._refresh_layout = counted  # type: ignore[method-assign]
        try:
            await pilot.press("n")
            await pilot.pause()
            await pilot.pause()
        finally:
            Screen._refresh_layout = original  # type: ignore[method-assign]
        assert app.stepper.last.key.phase == "backward"
        assert status.lines != lines  # the status did take another line: the screen is laid out again
        assert layouts == 1
        shown = screen_text(app)
        app.screen.refresh(layout=True)
        await pilot.pause()
        await pilot.pause()
        assert screen_text(app) == shown


async def test_a_step_onto_a_layer_out_of_view_scrolls_without_a_layout_and_draws_lines_the_filter_keeps():
    """tiny_transformer's q⁽³⁾ (its first step in layer 3, out of view): the press scrolls the column onto
    layer 3 (Textual's reflow of the widgets in view) and lays nothing out. The panel draws its lines new;
    each of them, placed (``offset_strip``) in styles the app's ANSI-to-truecolor filter keeps, passes the
    filter as it is (``KeptStrip``) rather than having the filter judge each new place's style (3 M of the
    press's 54 M). The screen after the press is the screen a layout forced after it draws."""
    from bptui.tui.panel_base import KeptStrip
    from bptui.tui.sheet import LayerPanels

    app = app_for("tiny_transformer")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        stepper = app.stepper
        while not (stepper.next_key.quantity == "q" and stepper.next_key.layer == 3):
            await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        column = screen.query_one(LayerPanels)
        panel = screen.query_one("#layer-3")
        assert panel.region.height == 0 or not column.region.overlaps(panel.region)  # out of view
        layouts, top = screen.layouts, column.scroll_y
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert (stepper.last.key.quantity, stepper.last.key.layer) == ("q", 3)
        assert column.scroll_y > top and column.region.contains_region(panel.region)  # scrolled into view
        assert screen.layouts == layouts
        drawn = panel._styles_cache._cache
        first, last = 1, panel.outer_size.height - 1  # between the border's top and bottom lines
        content = [drawn[y] for y in range(first, last) if y in drawn]
        assert len(content) == last - first
        filled = [line for line in content if line.text.strip("│ ")]
        assert filled and all(type(line) is KeptStrip for line in filled)
        shown = screen_text(app)
        screen.refresh(layout=True)
        await pilot.pause()
        await pilot.pause()
        assert screen_text(app) == shown

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

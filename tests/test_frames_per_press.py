"""A step that moves the column onto another layer's panel and scrolls that panel to the rows it wrote draws
one frame: both scrolls land in it (``immediate``), not one frame each (long_memory_lstm's ∂h at τ = 30, the
step after layer 2's G: the column goes back to layer 1, whose panel goes down to its ∂h rows)."""

from __future__ import annotations

from textual import events

from bptui.tui.seq_sheet import SeqSheet
from bptui.tui.sheet import LayerPanels

from .tui_helpers import app_for, until


async def test_a_step_onto_another_layer_draws_one_frame():
    app = app_for("long_memory_lstm")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        stepper = app.stepper
        while not (stepper.next_key.quantity == "dh" and stepper.next_key.time == 30):
            stepper.forward()
        screen = app.main
        with app.batch_update():
            screen.revision += 1
            screen.position = stepper.position
        await pilot.pause()
        layer1, column = screen.query_one("#layer-1", SeqSheet), screen.query_one(LayerPanels)
        assert column.scroll_offset.y > 0 and layer1.scroll_offset.y == 0  # layer 2 in view, layer 1 above
        frames = []
        display = app._display

        def counted(screen, renderable) -> None:
            if renderable is not None:
                frames.append(renderable)
            display(screen, renderable)

        app._display = counted  # type: ignore[method-assign]
        app._driver.send_message(events.Key("n", "n"))
        await until(pilot, lambda: stepper.last is not None and stepper.last.key.quantity == "dh", "the ∂h step")
        await pilot.pause()
        await pilot.pause()
        app._display = display  # type: ignore[method-assign]
        assert column.scroll_offset.y == 0 and layer1.scroll_offset.y > 0  # layer 1 in view, at its ∂h rows
        assert len(frames) == 1, len(frames)

"""The cyclic collector's young collections run between keypresses, where a student reads the screen,
not in a press (``bptui/tui/collector.py``): a press that set one off cost 5–8 M instructions more."""

from __future__ import annotations

import asyncio
import gc

import pytest

from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp

from .conftest import NETWORKS


async def idle(app: BptuiApp) -> None:
    """A student's pause between two keys: until a collection due at idle has run (a generous bound,
    not a measure: under load the event loop may come late to the collection's timer)."""
    for _ in range(500):
        if app._idle_collection is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the collection due at idle never ran")


@pytest.mark.parametrize("name,view", [("count_tokens", None), ("shapes", "m")])
async def test_young_collections_run_between_presses_not_in_them(name: str, view: str | None) -> None:
    app = BptuiApp(load(NETWORKS / f"{name}.json"))
    in_press, during, between = [False], [], []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            (during if in_press[0] else between).append(info["generation"])

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if view:
            await pilot.press(view)
        gc.callbacks.append(seen)
        try:
            for _ in range(40):
                await idle(app)
                in_press[0] = True
                await pilot.press("n")
                in_press[0] = False
        finally:
            gc.callbacks.remove(seen)
    assert during == [], f"{len(during)} collections in a press, {len(between)} between presses"
    assert between and app.idle_collections >= len(between) > 0


async def test_a_collection_waits_while_a_message_is_queued() -> None:
    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        junk = [{} for _ in range(gc.get_threshold()[0] // 2)]  # a young generation worth collecting
        if app._idle_collection is not None:  # (one due already: this test calls it itself)
            app._idle_collection.cancel()
            app._idle_collection = None
        before = app.idle_collections
        app._message_queue.values.append(None)  # (as though a key waited: the queue is not looked into)
        try:
            app._collect_if_idle()
            assert app.idle_collections == before and app._idle_collection is not None  # (again later)
        finally:
            app._message_queue.values.pop()
        await idle(app)
        assert app.idle_collections == before + 1 and gc.get_count()[0] < len(junk)

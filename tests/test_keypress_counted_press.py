"""``benchmarks/keypress_speed.py`` counts a press from its key to its last frame settled: the app's
collection due at idle (``bptui/tui/collector.py``) runs ``IDLE`` (50 ms) after a frame, when the press
is over (natively its rest after the frame is about a millisecond), never inside the count. Under
callgrind, which runs the press 50–100 times slower on the same wall clock, that rest outlasted the
50 ms and the collection fell inside the counted press (moons_layernorm in ng with the map, update press
#2: 2.2 M of its 51.8 M). Here ``IDLE`` = 0 stands in for callgrind's slow clock."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from bptui.core.formats.spec import load
from bptui.tui import collector
from bptui.tui.app import BptuiApp

from .conftest import NETWORKS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


class Window:
    """A meter that records the collections that start between its start and stop."""

    unit = "M"

    def __init__(self) -> None:
        self.counting = False
        self.inside: list[int] = []
        self.outside: list[int] = []

    def seen(self, phase: str, info: dict) -> None:
        if phase == "start":
            (self.inside if self.counting else self.outside).append(info["generation"])

    def start(self) -> None:
        self.counting = True

    def stop(self) -> float:
        self.counting = False
        return 0.0


async def test_a_counted_press_holds_no_collection_due_at_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    import keypress_speed

    monkeypatch.setattr(collector, "IDLE", 0.0)
    app = BptuiApp(load(NETWORKS / "xor.json"))
    meter = Window()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        gc.callbacks.append(meter.seen)
        try:
            for _ in range(6):
                await keypress_speed.student_pause(app)
                junk = [{} for _ in range(gc.get_threshold()[0] // 2)]  # a young generation worth collecting
                before = app.idle_collections
                await keypress_speed.press(app, pilot, meter)
                assert app._idle_collection is not None  # due at the press's frame, put off past the press
                await keypress_speed.student_pause(app)
                assert app.idle_collections == before + 1 and gc.get_count()[0] < len(junk)  # then it ran
                del junk
        finally:
            gc.callbacks.remove(meter.seen)
    assert meter.inside == [], f"{len(meter.inside)} collections in a counted press"

"""The cyclic collector's young collections between keypresses rather than in them.

With the network screen up, the collector runs a young collection every 10,000 allocations
(``app.GC_THRESHOLDS``): a keypress leaves several hundred to a few thousand objects alive until the
next, so about one press in ten set one off, 5–8 M instructions (2–3 ms) of a press that is otherwise
35–45 M (shapes with the map, a forward press 52.9 M with one, 44.6 M without; tiny_transformer's
q⁽³⁾ 53.5 M, 48.4 M without). A student reads the screen between two keys: once a frame is on screen,
and a key or two later the young generation holds ``FROM`` of its threshold or more, a collection
is due ``IDLE`` seconds later, and runs then if nothing waits in the app's or the screen's queue (a
key or a message since: it waits ``IDLE`` more), so the collection that a later press would have set
off runs while nobody waits for a frame. A burst of keys (``pacing``) leaves no such gap, and the
collector runs in a press as before. The collector's own rule is kept: a collection of the young
generation, or of the middle one when it is due (every ``GC_THRESHOLDS[1]`` young ones).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

IDLE = 0.05  # s after a frame before the collection, if the app is still idle then
FROM = 0.25  # of the young generation's threshold: below it, nothing is worth collecting yet


class IdleCollector:
    """Mixin for an App: once ``collect_at_idle`` has been called, a frame on screen with a young
    generation of ``FROM`` of its threshold or more has a collection run ``IDLE`` s later while
    the app has nothing to do (``idle_collections`` counts them)."""

    _collecting_at_idle = False
    _idle_collection: asyncio.TimerHandle | None = None
    idle_collections = 0

    def collect_at_idle(self) -> None:
        """From now on (the collector's thresholds set: ``BptuiApp.network_shown``)."""
        self._collecting_at_idle = True

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)  # type: ignore[misc]
        if renderable is not None and self._collecting_at_idle and self._idle_collection is None \
                and gc.isenabled() and gc.get_count()[0] >= FROM * gc.get_threshold()[0]:
            self._idle_collection = asyncio.get_running_loop().call_later(IDLE, self._collect_if_idle)

    def _collect_if_idle(self) -> None:
        self._idle_collection = None
        if not gc.isenabled():
            return
        try:
            waiting = self._message_queue.values or self.screen._message_queue.values  # type: ignore[attr-defined]
        except Exception:  # (no screen: the app is closing)
            return
        if waiting:  # a key, or what a frame left: after it
            self._idle_collection = asyncio.get_running_loop().call_later(IDLE, self._collect_if_idle)
            return
        counts, limits = gc.get_count(), gc.get_threshold()
        gc.collect(1 if counts[1] > limits[1] else 0)  # (the collector's choice, the oldest but the last)
        self.idle_collections += 1

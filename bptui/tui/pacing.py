"""A burst of keys stays on screen: keys typed faster than the app handles them (a key held down,
200 presses of n) are handled one by one, each moving the stepper at once, but the board is drawn
at most every ``FRAME`` seconds while more keys wait, and once after the last; between the keys the
app lets Textual paint the screen.

Textual handles the keys waiting in the app's queue one after another without giving the event
loop a turn, and the screen is painted from a timer that only then gets one: a burst of 200 keys
on 784-128-10 showed nothing for over a second, each key drawing a board nobody saw."""

from __future__ import annotations

import asyncio
from typing import Any

FRAME = 0.04  # seconds between boards drawn during a burst of keys (then one more at its end)


class PacedApp:
    """Mixin for an App: ``input_waiting`` says, while an action runs, that more input is queued
    behind it (the action may leave its drawing for later); after such an action the event loop
    gets a turn, so that the screen's timer can paint what was drawn."""

    input_waiting = False

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        waiting = not self._message_queue.empty()  # type: ignore[attr-defined]
        self.input_waiting = waiting
        try:
            return await super()._dispatch_action(namespace, action_name, params)  # type: ignore[misc]
        finally:
            self.input_waiting = False
            if waiting:
                await asyncio.sleep(0)  # the screen's update timer paints, if a frame is due

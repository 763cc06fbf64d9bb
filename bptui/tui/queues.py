"""Waiting for an app by its message queues, not by the clock: what a test's pilot and the keypress
benchmark share (``tests/conftest.py``, ``benchmarks/keypress_speed.py``). Nothing in the app calls it."""

from __future__ import annotations

import asyncio

from textual.app import App


async def handle_queued(app: App) -> bool:
    """Wait until the app, its screen and the screen's widgets have handled the messages now waiting in
    their queues, sending a callback only to those with some waiting (behind them: it is handled once
    they are) and none to an idle one; False when none had any. Textual's pilot
    (``Pilot._wait_for_screen``) puts a callback in every widget's queue and waits for all of them, which
    wakes each widget's task and runs its idle handlers (on count_tokens' 31 widgets about 2.1 ms of CPU
    a wait, against 0.55 ms on the bare app's 5)."""
    busy = [pump for pump in (app, *app.screen.walk_children(with_self=True)) if pump._message_queue.values]
    if not busy:
        return False
    left = len(busy)
    done = asyncio.Event()

    def handled() -> None:
        nonlocal left
        left -= 1
        if not left:
            done.set()

    for pump in busy:
        if not pump.call_later(handled):
            handled()
    if left:
        await asyncio.wait_for(done.wait(), 120)
    return True

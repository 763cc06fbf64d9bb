"""The app never exits on an exception of its own: it says what went wrong and carries on.

Textual ends the app on any exception that reaches its message loop (``App._handle_exception``),
and that loop stops processing for good, so overriding ``_handle_exception`` alone would leave a
dead app on screen. The exceptions are caught one level lower instead, where Textual calls the
app's code, so that the loop that called it keeps running:

- ``_dispatch_action``: every key binding and action, of the app, its screens and widgets;
- ``_on_message``: the message and event handlers (``on_…``) of the class that mixes this in;
- ``_flush_next_callbacks``: ``call_next`` / ``call_later`` callbacks, among them the callbacks
  of a dismissed screen (a prompt's answer).

The message names the error and the place in bptui it came from; the traceback goes to Textual's
log (``textual console``). Errors outside these (a bug in Textual itself, in a worker) still end
the app as Textual does.
"""

from __future__ import annotations

import traceback
from typing import Any

from textual import log
from textual._callback import invoke
from textual.message import Message

PACKAGE = "bptui"


def describe(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero (in bptui/tui/app.py:123, action_next)``."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        parts = frame.filename.replace("\\", "/").split("/")
        if PACKAGE in parts:
            short = "/".join(parts[len(parts) - 1 - parts[::-1].index(PACKAGE):])
            where = f" (in {short}:{frame.lineno}, {frame.name})"
            break
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}{': ' + text if text else ''}{where}"


def report(app: Any, error: BaseException) -> None:
    """Say on screen that something went wrong; the app keeps running."""
    log.error("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    text = f"Something went wrong: {describe(error)}. The app carries on; please report it."
    try:
        app.notify(text, title="bptui", severity="error", timeout=12, markup=False)
    except Exception:  # pragma: no cover - no screen to notify on
        pass
    say = getattr(app, "say", None)
    if say is not None:
        try:
            say(text)
        except Exception:  # the message line may not exist on every screen
            pass


class GuardedPump:
    """Mixin for an App, Screen or Widget: exceptions of its own handlers become a message."""

    async def _on_message(self, message: Message) -> None:
        try:
            await super()._on_message(message)  # type: ignore[misc]
        except Exception as error:
            report(self.app, error)  # type: ignore[attr-defined]


class GuardedApp(GuardedPump):
    """Mixin for an App: its actions, handlers and callbacks report errors instead of exiting."""

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        try:
            return await super()._dispatch_action(namespace, action_name, params)  # type: ignore[misc]
        except Exception as error:
            report(self, error)
            return True

    async def _flush_next_callbacks(self) -> None:
        # Textual's MessagePump._flush_next_callbacks, with each callback guarded
        callbacks = self._next_callbacks.copy()  # type: ignore[attr-defined]
        self._next_callbacks.clear()  # type: ignore[attr-defined]
        for callback in callbacks:
            try:
                with self.prevent(*callback._prevent):  # type: ignore[attr-defined]
                    await invoke(callback.callback)
            except Exception as error:
                report(self, error)

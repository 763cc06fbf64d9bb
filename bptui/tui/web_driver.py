"""The driver of an app that ``bptui serve`` runs for one browser tab (``TEXTUAL_DRIVER``).

Textual's WebDriver talks to the server over stdin and stdout. On its own it outlives the server:
when stdin ends (the server has gone, however it went) its input thread just stops, and the app
runs on with nobody to talk to. This driver makes the app go with its server:

- on Linux the kernel kills the app when the server process dies (``PR_SET_PDEATHSIG``, through
  ctypes), even by SIGKILL; and if the server died before that was set, the app exits at once;
- everywhere, the end of stdin ends the app, and if it has not exited two seconds later (stuck
  writing to a pipe nobody reads), the process ends itself.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from textual import messages
from textual.drivers.web_driver import WebDriver

SERVER_PID = "BPTUI_SERVER_PID"  # set by bptui.serve: the process whose death ends this app
EXIT_GRACE = 2.0  # seconds between stdin's end and a forced exit


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux), and exit now if the
    server that started it is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: stdin's end still works
            pass
    expected = os.environ.get(SERVER_PID, "")
    if expected.isdigit() and os.getppid() != int(expected):
        os._exit(0)  # the server died before prctl: its replacement parent is init


class ServedDriver(WebDriver):
    """WebDriver that ends the app when the server goes away."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        die_with_parent()
        super().__init__(app, **kwargs)

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if self.exit_event.is_set():  # the app is stopping on its own
            return
        # stdin has ended: the server closed the session or died. Quit, and make sure of it.
        timer = threading.Timer(EXIT_GRACE, os._exit, (0,))
        timer.daemon = True
        timer.start()
        try:
            self._app.post_message(messages.ExitApp())
        except Exception:  # pragma: no cover - the app is already closing
            os._exit(0)

"""A `bptui serve` subprocess on a free port, and the app processes it runs.

Waits here are for events (a line printed, a process gone), each with a generous bound that
only a hang reaches: a loaded machine stretches how long they take, not whether they happen."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bptui.serve import QUIT_GRACE, SILENCE_LIMIT

from .conftest import NETWORKS, ROOT

STARTS = 60  # seconds for a server or an app to start: a few on a quiet machine, a guard against a hang
# a closed tab's app ends "at once": asked to quit, killed after QUIT_GRACE; the bound leaves a loaded
# machine ten times that and stays below the silence limit, so only the close can have ended it
AT_ONCE = 10 * QUIT_GRACE
assert AT_ONCE < SILENCE_LIMIT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``bptui serve FILE`` running; ``url`` is the page with its token; ``lines`` what it printed
    (read all along by a thread, so the server never blocks on a full pipe)."""

    def __init__(self, *options: str, network: str = "xor.json") -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", str(NETWORKS / network), "--port", str(self.port), *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        found = self.wait_for_line(r"at (http://\S+\?token=(\S+))", STARTS)
        assert found, f"no URL printed: {''.join(self.lines)!r}; exit {self.proc.poll()}"
        self.url, self.token = found.group(1), found.group(2)
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws/{self.token}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for_line(self, pattern: str, timeout: float, start: int = 0) -> re.Match | None:
        """The first match of ``pattern`` in the lines printed from the ``start``-th on, waiting up
        to ``timeout`` seconds for it (None: not printed, or the server ended first)."""
        found: list[re.Match] = []

        def printed() -> bool:
            found[:] = [m for m in map(re.compile(pattern).search, self.lines[start:]) if m][:1]
            return bool(found) or not self.reader.is_alive()

        wait_until(printed, timeout)
        return found[0] if found else None

    def ended(self, start: int = 0) -> list[str]:
        """The reasons of the sessions that ended, as the server logged them."""
        return [m.group(1).strip() for m in map(re.compile(r"session ended: ([^(]+)").search, self.lines[start:]) if m]

    def apps(self) -> list[int]:
        """Pids of the app processes this server started (alive, not zombies)."""
        return app_pids(self.proc.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STARTS)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait()
        self.reader.join(STARTS)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])  # state, parent pid


def app_pids(server_pid: int) -> list[int]:
    """Live `python -m bptui FILE` processes: the server's children, and any orphaned ones that
    were its children (their parent is now init or a subreaper), found by their environment."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"BPTUI_SERVER_PID={server_pid}".encode() in environ:
            pids.append(pid)
    return pids


def environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)


def wait_until(condition, timeout: float) -> float | None:
    """Seconds until ``condition()`` held, or None if it did not within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.05)
    return None

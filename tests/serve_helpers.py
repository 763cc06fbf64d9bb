"""A `bptui serve` subprocess on a free port, and the app processes it runs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .conftest import NETWORKS, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``bptui serve FILE`` running; ``url`` is the page with its token."""

    def __init__(self, *options: str, network: str = "xor.json") -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bptui", "serve", str(NETWORKS / network), "--port", str(self.port), *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.url = ""
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            found = re.search(r"at (http://\S+\?token=(\S+))", line)
            if found:
                self.url, self.token = found.group(1), found.group(2)
                break
        assert self.url, f"no URL printed: {''.join(self.lines)!r}; exit {self.proc.poll()}"
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws/{self.token}"

    def apps(self) -> list[int]:
        """Pids of the app processes this server started (alive, not zombies)."""
        return app_pids(self.proc.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait()
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

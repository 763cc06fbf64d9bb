"""How long a burst of keys leaves the terminal without a new frame (issue 24 item 5: a burst repaints at
least every 100 ms).

    python benchmarks/burst_repaint.py [--keys 200] [--runs 3] [--size 120x40] [--checkout DIR ...]

``bptui FILE`` on 784-128-10 (``_common.big_doc``, 20 examples) runs in a pseudo-terminal of the size
given, as in a terminal: this script is the terminal, which says it can draw synchronized output
(it answers Textual's DECRQM query for mode 2026), so that every frame the app writes ends in
``ESC [ ? 2026 l``. Once the network screen is drawn and the app is idle, the keys (``n`` ×
``--keys``) are written to the terminal's input at once, as keys typed faster than they are handled
arrive; the time each frame's end is read back is recorded, with the app's CPU time then (its
threads' run times from /proc), until the output has been quiet for 3 s. The figures: the longest
gap from the keys' arrival through every frame to the last (the repaint interval during the burst),
in wall-clock time and in the app's CPU time (what a machine with a core to spare for the app would
take: the load stretches the wall-clock gaps), the first gap (keys → first frame) in CPU time,
the frames, the time to the last, and whether the
last frame's status names the step the stepper ends on (the core's stepper moved as many steps). Several checkouts
(``--checkout``, each a directory with ``bptui/`` in it; default: this one) run one after the other
in each run, so that they see the same load.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from _common import ROOT, big_doc

SYNC_END = b"\x1b[?2026l"
DECRQM_2026 = b"\x1b[?2026$p"
STEP = re.compile(rb"step (\d+) of (\d+)")


class Terminal:
    """``python -m bptui FILE`` in a pseudo-terminal, its output read as it comes."""

    def __init__(self, checkout: Path, path: Path, size: tuple[int, int]) -> None:
        cols, rows = size
        pid, fd = pty.fork()
        if pid == 0:  # the app, on the terminal's other side
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            env = dict(os.environ, PYTHONPATH=str(checkout), TERM="xterm-256color", COLUMNS=str(cols),
                       LINES=str(rows))
            env.pop("NO_COLOR", None)
            os.chdir(checkout)  # python -m puts the working directory first on the path, before PYTHONPATH
            os.execve(sys.executable, [sys.executable, "-m", "bptui", str(path)], env)
        self.pid, self.fd = pid, fd
        self.out = bytearray()
        self.frames: list[float] = []  # when each frame's end was read
        self.cpu: list[float] = []  # the app's CPU time then (s, all its threads)

    def cpu_time(self) -> float:
        """The app's CPU time so far in s: its threads' run times (/proc/PID/task/*/schedstat, in ns)."""
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):  # a thread that has just ended
                pass
        return total / 1e9

    def pump(self, quiet: float, until: float) -> None:
        """Read until nothing has come for ``quiet`` seconds, or until time ``until``."""
        last = time.perf_counter()
        while True:
            now = time.perf_counter()
            if now - last >= quiet or now >= until:
                return
            ready, _, _ = select.select([self.fd], [], [], min(quiet - (now - last), until - now))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:  # the app has gone
                return
            if not chunk:
                return
            t = time.perf_counter()
            tail = bytes(self.out[-16:])
            self.out += chunk
            seen = tail + chunk  # (an escape sequence split between two reads)
            ends = seen.count(SYNC_END) - tail.count(SYNC_END)
            if ends:
                self.frames += [t] * ends
                self.cpu += [self.cpu_time()] * ends
            if DECRQM_2026 in seen and DECRQM_2026 not in tail:
                os.write(self.fd, b"\x1b[?2026;2$y")  # synchronized output: supported
            last = t

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            self.pump(1.0, time.perf_counter() + 5)
        finally:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            os.close(self.fd)


def expected_step(doc: dict, keys: int) -> int:
    """The step of its epoch the status names after ``keys`` steps (the core's stepper)."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse

    stepper = Stepper(parse(doc, "burst.json"))
    for _ in range(keys):
        stepper.forward()
    return stepper.where().step_in_epoch


def burst(checkout: Path, path: Path, keys: int, size: tuple[int, int]) -> tuple:
    """(the longest gap between frames in ms, and in ms of the app's CPU time, the frames, ms to the last
    frame, and of CPU time, the step the last status names, the first gap (keys → first frame) in ms of
    the app's CPU time)."""
    term = Terminal(checkout, path, size)
    try:
        term.pump(2.0, time.perf_counter() + 120)  # the loading screen, the network screen, then idle
        if b"784-128-10" not in term.out:
            raise SystemExit(f"{checkout}: the network screen did not show:\n{term.out[-2000:]!r}")
        start = len(term.out)
        term.frames.clear()
        term.cpu.clear()
        c0 = term.cpu_time()
        t0 = time.perf_counter()
        os.write(term.fd, b"n" * keys)
        term.pump(3.0, t0 + 300)
        marks, cpu = [t0] + term.frames, [c0] + term.cpu
        gap = max((b - a for a, b in zip(marks, marks[1:])), default=float("inf"))
        cpu_gap = max((b - a for a, b in zip(cpu, cpu[1:])), default=float("inf"))
        steps = STEP.findall(bytes(term.out[start:]))
        return (gap * 1e3, cpu_gap * 1e3, len(term.frames), (marks[-1] - t0) * 1e3, (cpu[-1] - c0) * 1e3,
                int(steps[-1][0]) if steps else None, (cpu[1] - c0) * 1e3 if len(cpu) > 1 else float("inf"))
    finally:
        term.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--checkout", action="append", default=[], help="a checkout to run (repeatable)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    checkouts = [Path(c).resolve() for c in args.checkout] or [ROOT]
    doc = big_doc((784, 128, 10), n=20)
    want = expected_step(doc, args.keys)
    results: dict[Path, list[tuple]] = {c: [] for c in checkouts}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "784-128-10.json"
        path.write_text(json.dumps(doc))
        for run in range(args.runs):
            for checkout in checkouts:
                found = gap, cpu_gap, frames, wall, cpu, step, first = burst(checkout, path, args.keys, size)
                results[checkout].append(found)
                print(f"  run {run + 1} {checkout}: longest gap {gap:6.1f} ms ({cpu_gap:5.1f} ms of the app's CPU; "
                      f"the first {first:5.1f}) · "
                      f"{frames} frames · the last {wall / 1e3:.2f} s after the keys ({cpu / 1e3:.2f} s CPU) · "
                      f"its status: step {step} (the stepper's: {want})", flush=True)
    print(f"burst of {args.keys} n on 784-128-10 at {args.size} in a pseudo-terminal, {os.getloadavg()[0]:.1f} load:")
    for checkout, rs in results.items():
        gaps, cpu_gaps = [r[0] for r in rs], [r[1] for r in rs]
        print(f"  {checkout}: longest gap median {statistics.median(gaps):6.1f} ms (worst {max(gaps):.1f}), in the "
              f"app's CPU time {statistics.median(cpu_gaps):5.1f} ms (worst {max(cpu_gaps):.1f}; the first, keys → "
              f"first frame, {statistics.median(r[6] for r in rs):5.1f}) · frames median "
              f"{statistics.median(r[2] for r in rs):.0f} · the last after {statistics.median(r[3] for r in rs) / 1e3:.2f} s "
              f"({statistics.median(r[4] for r in rs) / 1e3:.2f} s CPU) · last status right in "
              f"{sum(r[5] == want for r in rs)}/{len(rs)}")


if __name__ == "__main__":
    main()

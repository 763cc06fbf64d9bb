"""Training throughput in the app against the core: epochs per second of ``bptui.core.engine.train`` run
directly, and of the app's training screen at full speed in tmux at 120×40, side by side.

    python benchmarks/train_tui_throughput.py [--repeats 5] [--long-repeats 1]

Two runs: XOR for 5,000 epochs and moons for 300 epochs (the shipped files); then a long run, XOR
for 200,000 epochs (``--long-repeats`` times, 0: skipped), which shows whether the screen's
updates keep up over a long history (each update carries only the new losses). Each repeat times the
core's ``train`` in this process, then starts ``bptui FILE`` in a fresh tmux session (120×40),
presses ``t``, types the epochs and Enter, and reads the rate the training screen reports when it
is done ("Trained N epochs (… s, R epochs/s)": the worker's wall time from its first epoch to its
last, with the loss curve, the decision map, the gradient bars and the gradient curves redrawn
while it trains). Core and app runs are interleaved, so a busy moment on the machine hits both
alike; the figures are medians, the ratio is the app's over the core's (the target is ≥ 0.70),
both as the ratio of the medians and as the median of each app run's rate over the mean of the
core runs just before and after it (steadier when the machine's load drifts). Both sides call
``train`` the same way (``stop_if_diverged=True``, as the app does).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bptui.core.formats.spec import load  # noqa: E402
from bptui.core.engine.train import train  # noqa: E402

RUNS = (("xor", 5000), ("moons", 300))
LONG = ("xor", 200_000)
DONE = re.compile(r"Trained ([\d,]+) epochs \(([\d.]+) s, ([\d,]+) epochs/s\)")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for(session: str, pattern: re.Pattern | str, timeout: float = 60.0) -> re.Match:
    end = time.monotonic() + timeout
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    while time.monotonic() < end:
        found = regex.search(tmux("capture-pane", "-p", "-t", session))
        if found:
            return found
        time.sleep(0.1)
    raise TimeoutError(f"{session}: {regex.pattern!r} did not appear:\n" + tmux("capture-pane", "-p", "-t", session))


def app_rate(name: str, epochs: int) -> float:
    """Epochs per second the app's training screen reports for ``epochs`` epochs of ``name``."""
    session = f"bench-train-{os.getpid()}"
    bptui = shutil.which("bptui", path=str(Path(sys.executable).parent)) or "bptui"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"{bptui} {ROOT / 'networks' / name}.json")
    try:
        wait_for(session, "Press n")
        tmux("send-keys", "-t", session, "t")
        wait_for(session, "Train for how many epochs")
        tmux("send-keys", "-t", session, str(epochs))  # replaces the selected default
        wait_for(session, rf"▊\s+{epochs}\s")
        tmux("send-keys", "-t", session, "Enter")
        found = wait_for(session, DONE, timeout=120 + epochs / 1000)
        assert int(found.group(1).replace(",", "")) == epochs, found.group(0)
        return float(found.group(3).replace(",", ""))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def core_rate(name: str, epochs: int) -> float:
    spec = load(ROOT / "networks" / f"{name}.json")
    t = time.perf_counter()
    result = train(spec, epochs, stop_if_diverged=True)
    elapsed = time.perf_counter() - t
    assert result.epochs_done == epochs
    return epochs / elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--long-repeats", type=int, default=1, help="app runs of the long run (0: skip it)")
    args = p.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("error: tmux is needed (the app runs in a 120×40 tmux session)")
    runs = [(name, epochs, args.repeats) for name, epochs in RUNS]
    if args.long_repeats > 0:
        runs.append((*LONG, args.long_repeats))
    for name, epochs, repeats in runs:
        core_rate(name, min(epochs, 5000))  # warm up
        core, app, ratios = [], [], []
        before = core_rate(name, epochs)
        for _ in range(repeats):  # core, app, core, app, …: each app run between two core runs
            app.append(app_rate(name, epochs))
            after = core_rate(name, epochs)
            core += [before] if not core else []
            core.append(after)
            ratios.append(app[-1] / ((before + after) / 2))
            before = after
        c, a = median(core), median(app)
        print(f"{name:>6}, {epochs:>5} epochs: core train {c:9,.0f} epochs/s   app (tmux 120×40, training screen) "
              f"{a:9,.0f} epochs/s   ratio of the medians {a / c:.2f}   median of the paired ratios "
              f"{median(ratios):.2f}   ({repeats} app runs: {', '.join(f'{x:,.0f}' for x in app)})")


if __name__ == "__main__":
    main()

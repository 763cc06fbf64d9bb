"""Apps for the TUI tests, snapshots, screenshots and benchmarks."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Callable

import numpy as np

from bptui.cli import main
from bptui.core.formats.spec import load, parse
from bptui.tui.app import BptuiApp

from .conftest import NETWORKS


def big_spec(widths=(784, 128, 10), n=4, seed=0):
    """A 784-128-10 network (MNIST-sized) with random data: far too big to show whole."""
    rng = np.random.default_rng(seed)
    doc = {
        "name": "big",
        "layers": [{"units": widths[0]}] + [{"units": w, "activation": "sigmoid"} for w in widths[1:]],
        "init": {"seed": seed, "scale": 0.05},
        "data": {"inputs": rng.uniform(0, 1, size=(n, widths[0])).round(3).tolist(),
                 "targets": np.eye(widths[-1])[rng.integers(0, widths[-1], size=n)].tolist()},
        "training": {"learning_rate": 0.1},
    }
    return parse(doc, "big.json")


PATIENCE = 60  # seconds a pilot waits for the app's worker or screen: a guard against a hang (a loaded
# machine stretches the wait, never the outcome); on a quiet machine the waits take milliseconds


async def until(pilot, condition: Callable[[], object], what: str, seconds: float = PATIENCE) -> None:
    """Let the app run (50 ms at a time) until ``condition()`` holds; fail, naming ``what``, if it does
    not within ``seconds``. A plain sleep, not ``pilot.pause``: that waits for every widget's queue to
    drain and gives up after 30 s, which a burst of keys on a busy machine (``stress --cpu 4``) took."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


def snap_trained(snap_compare, monkeypatch, name: str, size: tuple[int, int]) -> bool:
    """The snapshot of ``name``'s training screen after training (t, then Enter at the prompt) to its end,
    the clock frozen: no timings, and the screen updated after the first and the last epoch only."""
    async def train_and_wait(pilot) -> None:
        await pilot.press("t", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    monkeypatch.setattr("bptui.tui.training.CLOCK", lambda: 0.0)
    return snap_compare(app_for(name), run_before=train_and_wait, terminal_size=size)


def trace_rows(capsys, name: str, epochs: int | None = None) -> list[dict]:
    """The rows of ``bptui trace NAME --format json`` (``--epochs`` when given), through ``main``."""
    main(["trace", name, "--format", "json", *(["--epochs", str(epochs)] if epochs is not None else [])])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def app_for(name: str) -> BptuiApp:
    return BptuiApp(load(NETWORKS / f"{name}.json"))


def graph_app_for(name: str):
    from bptui.core.formats.spec import load_any
    from bptui.tui.graph_app import GraphApp

    return GraphApp(load_any(NETWORKS / f"{name}.json"))

"""Apps for the TUI tests, snapshots, screenshots and benchmarks."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import numpy as np

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


def app_for(name: str) -> BptuiApp:
    return BptuiApp(load(NETWORKS / f"{name}.json"))


def graph_app_for(name: str):
    from bptui.core.formats.spec import load_any
    from bptui.tui.graph_app import GraphApp

    return GraphApp(load_any(NETWORKS / f"{name}.json"))

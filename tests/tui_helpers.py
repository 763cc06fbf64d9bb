"""Apps for the TUI tests, snapshots, screenshots and benchmarks."""

from __future__ import annotations

import numpy as np

from bptui.core.spec import load, parse
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


def app_for(name: str) -> BptuiApp:
    return BptuiApp(load(NETWORKS / f"{name}.json"))


def graph_app_for(name: str):
    from bptui.core.spec import load_any
    from bptui.tui.graph_app import GraphApp

    return GraphApp(load_any(NETWORKS / f"{name}.json"))

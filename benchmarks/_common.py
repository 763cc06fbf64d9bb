"""Helpers shared by the benchmark scripts: timing and the big example network."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def big_spec(widths=(784, 128, 10), n=1000, seed=0, update="full_batch"):
    """An MNIST-sized network with random data (bptui.core.formats.spec.parse, as from a file)."""
    from bptui.core.formats.spec import parse

    rng = np.random.default_rng(seed)
    doc = {
        "name": "-".join(map(str, widths)),
        "layers": [{"units": widths[0]}] + [{"units": w, "activation": "sigmoid"} for w in widths[1:]],
        "init": {"seed": seed, "scale": 0.05},
        "data": {"inputs": rng.uniform(0, 1, size=(n, widths[0])).tolist(),
                 "targets": np.eye(widths[-1])[rng.integers(0, widths[-1], size=n)].tolist()},
        "training": {"learning_rate": 0.1, "update": update},
    }
    return parse(doc, "benchmark.json")


def median_time(fn, repeats: int = 7, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)

"""Helpers shared by the benchmark scripts: timing and the big example network."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def big_spec(widths=(784, 128, 10), n=1000, seed=0, update="full_batch"):
    """An MNIST-sized network with random data (bptui.core.formats.spec.parse, as from a file)."""
    from bptui.core.formats.spec import parse

    return parse(big_doc(widths, n, seed, update), "benchmark.json")


def big_doc(widths=(784, 128, 10), n=1000, seed=0, update="full_batch") -> dict:
    """The network file of :func:`big_spec`, as a document."""
    rng = np.random.default_rng(seed)
    doc = {
        "name": "-".join(map(str, widths)),
        "layers": [{"units": widths[0]}] + [{"units": w, "activation": "sigmoid"} for w in widths[1:]],
        "init": {"seed": seed, "scale": 0.05},
        "data": {"inputs": rng.uniform(0, 1, size=(n, widths[0])).tolist(),
                 "targets": np.eye(widths[-1])[rng.integers(0, widths[-1], size=n)].tolist()},
        "training": {"learning_rate": 0.1, "update": update},
    }
    return doc


def side_by_side(run: Callable[[Path], list[float]], names: Sequence[str], against: Path | None, repeats: int,
                 heading: str, scale: float = 1e3, width: int = 12) -> None:
    """The figures of ``names`` (``run(root)``: one list a run of the checkout at ``root``, in the order of
    ``names``) measured ``repeats`` times in this checkout and, with ``against``, in another one, interleaved so
    that both see the same machine load; their medians times ``scale`` printed under ``heading``, side by side
    with their ratio. (A script's child process, measuring another checkout, must not import this module: it
    puts this checkout first on the path.)"""
    roots = {"this": ROOT} | ({"against": against.resolve()} if against else {})
    times: dict[str, list[list[float]]] = {k: [] for k in roots}
    for _ in range(repeats):
        for key, root in roots.items():
            times[key].append(run(root))
    print(heading)
    print(f"{'network':<{width}}" + "".join(f"{k:>10}" for k in roots) + ("     ratio" if against else ""))
    for i, name in enumerate(names):
        med = {k: statistics.median(t[i] for t in ts) * scale for k, ts in times.items()}
        ratio = f"{med['this'] / med['against']:>10.2f}" if against else ""
        print(f"{name:<{width}}" + "".join(f"{m:>10.3f}" for m in med.values()) + ratio)


def median_time(fn, repeats: int = 7, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def against_torch(spec, torch_epoch_fn, repeats: int = 7) -> tuple[float, float, float]:
    """(bptui's median epoch, torch's median epoch, the largest difference of the weights after one
    epoch from the file's in both): ``torch_epoch_fn(spec)`` gives (an epoch, the weights as bptui's
    matrices); both warmed up, then timed interleaved so that both see the same machine load."""
    from bptui.core.engine.train import train

    ours, theirs = [], []
    fn, _ = torch_epoch_fn(spec)
    train(spec, 1)
    fn()
    for _ in range(repeats):
        t = time.perf_counter()
        train(spec, 1)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        fn()
        theirs.append(time.perf_counter() - t)
    once, torch_weights = torch_epoch_fn(spec)
    once()
    gap = max(float(np.abs(w - t).max(initial=0.0)) for w, t in zip(train(spec, 1).weights, torch_weights()))
    return statistics.median(ours), statistics.median(theirs), gap


async def press_ms(app, presses: int, key: str = "n") -> float:
    """Median CPU (ms, time.process_time: the pilot's idle waits drop out) of pressing ``key`` and
    waiting until the screen is drawn, in a headless app of 120×40 (the first two presses left out)."""
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(presses + 2):
            t = time.process_time()
            await pilot.press(key)
            await pilot.pause()
            times.append(time.process_time() - t)
    return statistics.median(times[2:]) * 1e3

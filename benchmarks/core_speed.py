"""Core figures: one full-batch gradient, steps per second of the step schedule, memory of 10,000 steps.

    python benchmarks/core_speed.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np
from _common import ROOT, big_spec, median_time

from bptui.core.engine.network import Network
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper


def full_batch_gradient() -> None:
    spec = big_spec((784, 256, 10), n=1000)
    net = Network(spec)
    W, X, Y = list(spec.weights), spec.inputs, spec.targets

    def by_hand():  # the same computation written directly in NumPy, for scale
        O0 = np.vstack([np.ones((1, len(X))), X.T])
        S1 = W[0] @ O0
        H = 1 / (1 + np.exp(-S1))
        O1 = np.vstack([np.ones((1, len(X))), H])
        S2 = W[1] @ O1
        O2 = 1 / (1 + np.exp(-S2))
        d2 = 2 * (O2 - Y.T) * O2 * (1 - O2)
        G2 = d2 @ O1.T
        d1 = (W[1].T @ d2)[1:] * H * (1 - H)
        G1 = d1 @ O0.T
        return G1, G2

    ours, hand = [], []
    for _ in range(15):  # interleaved, so both see the same machine
        ours.append(median_time(lambda: net.gradient(W, X, Y), repeats=1))
        hand.append(median_time(by_hand, repeats=1))
    t, t_hand = statistics.median(ours), statistics.median(hand)
    print(f"full-batch gradient, 784-256-10 on 1,000 examples: {t * 1e3:.1f} ms "
          f"(hand-written NumPy {t_hand * 1e3:.1f} ms, ratio {t / t_hand:.2f}; medians of 15, interleaved)")


def steps_per_second(spec, label: str, steps: int) -> None:
    def run():
        stepper = Stepper(spec)
        for _ in range(steps):
            stepper.forward()
    t = median_time(run, repeats=5)
    print(f"step schedule, {label}: {steps / t:,.0f} steps/s ({t / steps * 1e6:.1f} µs a step)")


def back_latency(spec, label: str, steps: int) -> None:
    stepper = Stepper(spec)
    for _ in range(steps):
        stepper.forward()
    times = []
    for _ in range(50):
        t = time.perf_counter()
        stepper.back()
        times.append(time.perf_counter() - t)
    print(f"one step back after {steps:,} steps, {label}: median {np.median(times) * 1e3:.2f} ms, "
          f"max {max(times) * 1e3:.2f} ms")


MEMORY = """
import resource, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
from _common import big_spec
from bptui.core.engine.stepper import Stepper

def rss_mb():  # resident memory now (not the peak)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

spec = big_spec((784, 128, 10), n=1000)
loaded = rss_mb()
stepper = Stepper(spec)
for _ in range(10_000):
    stepper.forward()
for target in (9_000, 5_000, 100, 9_999):
    stepper.goto(target)
print(loaded, rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(stepper._checkpoints))
"""


def memory() -> None:
    code = MEMORY.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded, after, peak, ckpts = out.split()
    print(f"memory, 10,000 steps on 784-128-10 (1,000 examples), then going back: RSS {float(after):.0f} MB "
          f"(with the network and data loaded: {float(loaded):.0f} MB; peak {float(peak):.0f} MB, reading the "
          f"data included; {ckpts} checkpoints kept)")


if __name__ == "__main__":
    full_batch_gradient()
    xor = load(ROOT / "networks" / "xor.json")
    steps_per_second(xor, "XOR", 20_000)
    big = big_spec((784, 128, 10), n=1000)
    steps_per_second(big, "784-128-10", 2_000)
    back_latency(xor, "XOR", 10_000)
    back_latency(big, "784-128-10", 10_000)
    memory()

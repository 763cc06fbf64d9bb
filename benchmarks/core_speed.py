"""Core figures: one full-batch gradient, steps per second of the step schedule, memory of 10,000 steps.

    python benchmarks/core_speed.py
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
from _common import ROOT, big_spec, median_time

from bptui.core.network import Network
from bptui.core.spec import load
from bptui.core.stepper import Stepper


def full_batch_gradient() -> None:
    spec = big_spec((784, 256, 10), n=1000)
    net = Network(spec)
    W, X, Y = list(spec.weights), spec.inputs, spec.targets
    t = median_time(lambda: net.gradient(W, X, Y), repeats=15)
    # the same computation by hand in NumPy, for scale
    def by_hand():
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
    t_hand = median_time(by_hand, repeats=15)
    print(f"full-batch gradient, 784-256-10 on 1,000 examples: {t * 1e3:.1f} ms "
          f"(hand-written NumPy {t_hand * 1e3:.1f} ms, ratio {t / t_hand:.2f})")


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
from bptui.core.stepper import Stepper
spec = big_spec((784, 128, 10), n=1000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
stepper = Stepper(spec)
for _ in range(10_000):
    stepper.forward()
for target in (9_000, 5_000, 100, 9_999):
    stepper.goto(target)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(stepper._checkpoints))
"""


def memory() -> None:
    code = MEMORY.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, ckpts = map(int, out.split())
    print(f"memory, 10,000 steps on 784-128-10 (1,000 examples) then going back: peak RSS {after / 1024:.0f} MB "
          f"(after loading {before / 1024:.0f} MB; {ckpts} checkpoints kept)")


if __name__ == "__main__":
    full_batch_gradient()
    xor = load(ROOT / "networks" / "xor.json")
    steps_per_second(xor, "XOR", 20_000)
    big = big_spec((784, 128, 10), n=1000)
    steps_per_second(big, "784-128-10", 2_000)
    back_latency(xor, "XOR", 10_000)
    back_latency(big, "784-128-10", 10_000)
    memory()

"""Training speed: epochs per second of ``bptui.core.engine.train`` against the same float64 computation
written directly in NumPy, measured side by side in one run.

    python benchmarks/train_speed.py [--repeats 5] [--epochs 3]

Two networks: XOR (2-2-1, 4 examples, the shipped file) and a 784-256-10 network (tanh hidden,
softmax output, cross-entropy, full batch, plain gradient descent) on 10,000 random examples.
The hand-written loop does exactly what the lecture's algorithm does — forward, ℓ_D, δ, G, update —
with no framework around it; the ratio is bptui's time over its time (1.0 is as fast).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bptui.core.formats.spec import load, parse  # noqa: E402
from bptui.core.engine.train import train  # noqa: E402


def mnist_like_spec(n: int = 10_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n, 784))
    Y = np.eye(10)[rng.integers(0, 10, size=n)]
    doc = {
        "layers": [{"units": 784}, {"units": 256, "activation": "tanh"}, {"units": 10, "activation": "softmax"}],
        "init": {"seed": 1, "scale": 0.05},
        "loss": "cross_entropy",
        "data": {"inputs": [[0.0] * 784], "targets": [[1.0] + [0.0] * 9]},
        "training": {"learning_rate": 1e-4, "update": "full_batch"},
    }
    spec = parse(doc, "mnist_like")
    from dataclasses import replace

    return replace(spec, inputs=X, targets=Y)


def numpy_train(W: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float, epochs: int, hidden: str, out: str):
    """Full-batch gradient descent on a 2-layer network, written directly in NumPy (rows = examples)."""
    W1, W2 = (w.copy() for w in W)
    Xb = np.hstack([np.ones((len(X), 1)), X])  # [1, x] once
    for _ in range(epochs):
        S1 = Xb @ W1.T
        H = np.tanh(S1)
        Hb = np.hstack([np.ones((len(X), 1)), H])
        S2 = Hb @ W2.T
        if out == "softmax":
            m = S2.max(axis=1, keepdims=True)
            E = np.exp(S2 - m)
            Z = E.sum(axis=1, keepdims=True)
            O = E / Z
            loss = -(Y * (S2 - m - np.log(Z))).sum()
            D2 = O - Y
        else:  # sigmoid output, squared error
            O = 1.0 / (1.0 + np.exp(-S2))
            loss = ((O - Y) ** 2).sum()
            D2 = 2.0 * (O - Y) * O * (1.0 - O)
        G2 = D2.T @ Hb
        D1 = (D2 @ W2[:, 1:]) * (1.0 - H * H)
        G1 = D1.T @ Xb
        W1 = W1 - lr * G1
        W2 = W2 - lr * G2
    return [W1, W2], loss


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def bench(name: str, spec, epochs: int, repeats: int, out: str) -> tuple[float, float]:
    def ref_run():
        numpy_train(list(spec.weights), spec.inputs, spec.targets, spec.learning_rate, epochs, "tanh", out)

    train(spec, 1), ref_run()  # warm up: BLAS threads, page faults of the first big arrays
    ours, ref = [], []
    for _ in range(repeats):  # interleaved, so a busy moment on the machine hits both alike
        ours += timed(lambda: train(spec, epochs), 1)
        ref += timed(ref_run, 1)
    # the same numbers, so the race is fair
    mine = train(spec, 1).weights
    theirs, _ = numpy_train(list(spec.weights), spec.inputs, spec.targets, spec.learning_rate, 1, "tanh", out)
    assert all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(mine, theirs)), "results differ"
    a, b = epochs / median(ours), epochs / median(ref)
    print(f"{name:>22}: bptui {a:12.1f} epochs/s   numpy {b:12.1f} epochs/s   "
          f"time ratio bptui/numpy {b / a:.2f}×   (median of {repeats}, {epochs} epochs each)")
    return a, b


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--epochs", type=int, default=3, help="epochs per repeat for 784-256-10")
    args = p.parse_args()
    root = Path(__file__).resolve().parent.parent
    print(f"numpy {np.__version__}")
    bench("xor 2-2-1, N=4", load(root / "networks" / "xor.json"), 2000, args.repeats, "sigmoid")
    bench("784-256-10, N=10,000", mnist_like_spec(), args.epochs, args.repeats, "softmax")


if __name__ == "__main__":
    main()

"""Layer normalisation and dropout: what they add to an epoch of training, and bptui against PyTorch
(float64, CPU) on the same network, measured side by side in one run (medians of several epochs).

    python benchmarks/unitwise_speed.py [--repeats 7] [--n 2000]

Three networks on the same random data (N examples of 8 inputs, 64 tanh units, 2 softmax outputs,
mini-batches of 100, plain SGD): ``dense`` (8-64-2), ``+layernorm`` (8-64-layernorm-2) and
``+layernorm+dropout`` (8-64-layernorm-dropout 0.5-2). The last is also trained in PyTorch with the
same masks (drawn beforehand, outside its timing) and its weights after one epoch checked against
bptui's (at most 1e-10 apart, else the script stops). bptui's time includes drawing its masks
(``default_rng([seed, epoch, n])`` per example), reported on its own as well.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bptui.core.engine.kind import Draw  # noqa: E402
from bptui.core.engine.train import train  # noqa: E402
from bptui.core.formats.spec import parse  # noqa: E402


def doc(n: int, extra: list[dict]) -> dict:
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, size=(n, 8))
    Y = np.eye(2)[(X[:, 0] * X[:, 1] > 0).astype(int)]
    return {"layers": [{"units": 8}, {"units": 64, "activation": "tanh"}, *extra, {"units": 2, "activation": "softmax"}],
            "init": {"seed": 1, "scale": 0.3}, "loss": "cross_entropy",
            "data": {"inputs": X.tolist(), "targets": Y.tolist()},
            "training": {"learning_rate": 0.002, "update": {"batch_size": 100}}}


LN = {"type": "layernorm"}
DROP = {"type": "dropout", "p": 0.5, "seed": 3}


def bptui_epoch(spec) -> float:
    t = time.perf_counter()
    train(spec, 1)
    return time.perf_counter() - t


def torch_epoch(spec, torch, masks) -> tuple[float, list]:
    F = torch.nn.functional
    W1, ln, W2 = spec.weights[0], spec.weights[1], spec.weights[3]
    p1 = torch.tensor(W1, dtype=torch.float64, requires_grad=True)
    g = torch.tensor(ln[:, 1], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(ln[:, 0], dtype=torch.float64, requires_grad=True)
    p2 = torch.tensor(W2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p1, g, b, p2], lr=spec.optimizer.learning_rate)
    X = torch.tensor(spec.inputs, dtype=torch.float64)
    Y = torch.tensor(spec.targets, dtype=torch.float64)
    M = torch.tensor(masks, dtype=torch.float64)
    k = spec.group_size
    t = time.perf_counter()
    for a in range(0, spec.N, k):
        opt.zero_grad()
        h = torch.tanh(X[a:a + k] @ p1[:, 1:].T + p1[:, 0])
        h = F.layer_norm(h, (64,), g, b, eps=1e-5) * M[a:a + k]
        out = torch.softmax(h @ p2[:, 1:].T + p2[:, 0], dim=1)
        loss = -(Y[a:a + k] * torch.log(out)).sum()
        loss.backward()
        opt.step()
    elapsed = time.perf_counter() - t
    return elapsed, [p1.detach().numpy(), np.stack([b.detach().numpy(), g.detach().numpy()], axis=1), p2.detach().numpy()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    specs = {name: parse(doc(args.n, extra), f"{name}.json")
             for name, extra in (("dense", []), ("+layernorm", [LN]), ("+layernorm+dropout", [LN, DROP]))}
    times: dict[str, list[float]] = {name: [] for name in specs}
    full = specs["+layernorm+dropout"]
    drop = full.kinds[2]
    draw = Draw(1, np.arange(full.N) + 1)
    masks = drop.scale(draw).T  # m/(1 − p), one row per example
    mask_times = []
    torch_times: list[float] = []
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    for _ in range(args.repeats):
        for name, spec in specs.items():
            times[name].append(bptui_epoch(spec))
        t = time.perf_counter()
        drop.scale(draw)
        mask_times.append(time.perf_counter() - t)
        if torch is not None:
            elapsed, theirs = torch_epoch(full, torch, masks)
            torch_times.append(elapsed)
    if torch is not None:
        ours = train(full, 1).weights
        for l, (a, b) in zip((1, 2, 4), zip([ours[0], ours[1], ours[3]], theirs)):
            if not np.allclose(a, b, rtol=1e-10, atol=1e-10):
                sys.exit(f"W⁽{l}⁾ after one epoch differs from PyTorch's")
    base = median(times["dense"])
    print(f"one epoch of {args.n} examples, mini-batches of 100, median of {args.repeats}:")
    for name, ts in times.items():
        print(f"  bptui {name:<20} {1000 * median(ts):8.1f} ms   ×{median(ts) / base:.2f} of dense")
    print(f"  of which dropout's masks      {1000 * median(mask_times):8.1f} ms ({args.n} default_rng draws)")
    if torch_times:
        print(f"  PyTorch +layernorm+dropout   {1000 * median(torch_times):8.1f} ms   "
              f"bptui/PyTorch = {median(times['+layernorm+dropout']) / median(torch_times):.2f}")


if __name__ == "__main__":
    main()

"""Residual blocks' cost: one epoch of ``bptui.core.engine.train`` on a network with residual blocks
against the same dense layers without the skips (the sequential path), and against PyTorch (float64,
CPU) on the residual network; medians of several epochs each, interleaved, in one run.

    python benchmarks/residual_speed.py [--repeats 7]

The network: 64 inputs, dense 128 (tanh), three residual blocks of two dense layers of 128 (tanh),
a softmax output of 10; 2,000 random examples, mini-batches of 100, plain SGD. The plain network has
the same layers and weights in the same order (a block has no weights), so both epochs do the same
products; the residual one adds the skips' sums and walks the wiring (core/engine/wiring.py). The
residual network's weights after one epoch are checked against PyTorch's (at most 1e-10 apart, else
the script stops); torch is optional (``pip install '.[reference]'``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from statistics import median

# one BLAS thread, as PyTorch gets below: OpenBLAS's idle threads spin, and their spinning counts as
# CPU time (with the default threads bptui's epoch measured 1.84 s of CPU time for 0.056 s with one)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bptui.core.formats.spec import parse  # noqa: E402
from bptui.core.engine.train import train  # noqa: E402


def docs(n: int = 2000, d: int = 64, h: int = 128, k: int = 10, blocks: int = 3, seed: int = 0) -> tuple[dict, dict]:
    """(the residual network's file, the plain one's): the same layers, weights and data."""
    rng = np.random.default_rng(seed)
    dense = {"units": h, "activation": "tanh"}
    first = rng.normal(0, 0.1, size=(h, d + 1)).tolist()
    inner = [[rng.normal(0, 0.1, size=(h, h + 1)).tolist() for _ in range(2)] for _ in range(blocks)]
    out = rng.normal(0, 0.1, size=(k, h + 1)).tolist()
    X = rng.normal(0, 1, size=(n, d))
    Y = np.eye(k)[rng.integers(0, k, size=n)]
    common = {"loss": "cross_entropy", "data": {"inputs": X.tolist(), "targets": Y.tolist()},
              "training": {"learning_rate": 0.002, "update": {"batch_size": 100}}}
    top = {"units": k, "activation": "softmax"}
    residual = {"layers": [{"units": d}, dense] + [{"type": "residual", "layers": [dense, dense]}] * blocks + [top],
                "weights": [first] + inner + [out], **common}
    plain = {"layers": [{"units": d}, dense] + [dense] * (2 * blocks) + [top],
             "weights": [first] + [w for pair in inner for w in pair] + [out], **common}
    return residual, plain


def torch_epoch(doc: dict, spec):
    """One epoch of the residual network in PyTorch, as bptui's file describes it; (the weighted
    layers' matrices, seconds)."""
    import torch

    Ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in
          [doc["weights"][0]] + [m for pair in doc["weights"][1:-1] for m in pair] + [doc["weights"][-1]]]
    opt = torch.optim.SGD(Ws, lr=spec.optimizer.learning_rate)
    X, Y = torch.tensor(spec.inputs), torch.tensor(spec.targets)

    def lin(W, o):
        return o @ W[:, 1:].T + W[:, 0]

    start = time.process_time()
    for a in range(0, spec.N, spec.group_size):
        opt.zero_grad()
        o = torch.tanh(lin(Ws[0], X[a:a + spec.group_size]))
        for b in range(1, len(Ws) - 1, 2):
            o = o + torch.tanh(lin(Ws[b + 1], torch.tanh(lin(Ws[b], o))))
        loss = -(Y[a:a + spec.group_size] * torch.log_softmax(lin(Ws[-1], o), dim=1)).sum()
        loss.backward()
        opt.step()
    return [w.detach().numpy() for w in Ws], time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    residual_doc, plain_doc = docs()
    residual, plain = parse(residual_doc, "residual.json"), parse(plain_doc, "plain.json")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None  # type: ignore[assignment]
    times: dict[str, list[float]] = {"residual": [], "plain": [], "torch": []}
    for _ in range(args.repeats):
        for name, spec in (("residual", residual), ("plain", plain)):
            start = time.process_time()  # CPU time: a busy machine does not stretch it
            result = train(spec, 1)
            times[name].append(time.process_time() - start)
        if torch is not None:
            theirs, seconds = torch_epoch(residual_doc, residual)
            times["torch"].append(seconds)
    if torch is not None:
        mine = [w for k, w in zip(residual.layer_kinds, train(residual, 1).weights) if k.has_weights]
        worst = max(float(np.abs(a - b).max()) for a, b in zip(mine, theirs))
        if worst > 1e-10:
            sys.exit(f"the residual network's weights after an epoch differ from PyTorch's by {worst:.3g}")
    med = {name: median(t) for name, t in times.items() if t}
    print(f"one epoch, 2,000 examples, mini-batches of 100, median of {args.repeats} (CPU seconds):")
    print(f"  residual (3 blocks)  {med['residual']:.4f}")
    print(f"  plain (no skips)     {med['plain']:.4f}   residual / plain = {med['residual'] / med['plain']:.2f}")
    if "torch" in med:
        print(f"  PyTorch (residual)   {med['torch']:.4f}   residual / PyTorch = {med['residual'] / med['torch']:.2f}")


if __name__ == "__main__":
    main()

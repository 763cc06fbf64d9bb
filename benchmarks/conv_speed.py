"""Convolution training speed: one epoch of ``bptui.core.engine.train`` against the same network in
PyTorch (float64, CPU), measured side by side in one run (median of several epochs each).

    python benchmarks/conv_speed.py [--repeats 7]

Needs torch (``pip install '.[reference]'``). Three networks, each with the same weights, data,
update groups and plain SGD in both:

- ``edges``: the bundled example (30 images 1×6×6, conv 2×3×3, max pooling, dense 1; mini-batches of 10);
- ``shapes``: the bundled example (240 images 1×8×8, conv 4×3×3 padding 1, max pooling, softmax 3; batches of 15);
- ``digits-sized``: 2,000 random images 1×16×16, conv 8×3×3 padding 1 (relu), max pooling 2,
  conv 16×3×3 (relu), max pooling 2, dense 10 (softmax), full batch.

The ratio is bptui's time over PyTorch's (1.0: as fast). torch runs with its default threads. Each
network's weights after one epoch from the file's are checked against PyTorch's (at most 1e-12
apart, else the script stops).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import against_torch  # noqa: E402
from bptui.core.kinds import Conv2d, Pool2d  # noqa: E402
from bptui.core.formats.spec import load, parse  # noqa: E402


def digits_sized(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    doc = {
        "layers": [{"shape": [1, 16, 16]},
                   {"type": "conv2d", "channels": 8, "kernel": 3, "padding": 1, "activation": "relu"},
                   {"type": "maxpool2d", "size": 2},
                   {"type": "conv2d", "channels": 16, "kernel": 3, "activation": "relu"},
                   {"type": "maxpool2d", "size": 2},
                   {"units": 10, "activation": "softmax"}],
        "init": {"seed": 1, "scale": 0.1},
        "loss": "cross_entropy",
        "data": {"inputs": rng.uniform(0, 1, size=(n, 16, 16)).round(3).tolist(),
                 "targets": np.eye(10)[rng.integers(0, 10, size=n)].tolist()},
        "training": {"learning_rate": 0.001, "update": "full_batch"},
    }
    return parse(doc, "digits-sized")


def torch_epoch_fn(spec):
    import torch
    F = torch.nn.functional
    params = []
    for k, W in zip(spec.kinds, spec.weights):
        if isinstance(k, Conv2d):
            params.append((torch.tensor(W[:, 1:].reshape(k.kernel_shape), requires_grad=True),
                           torch.tensor(W[:, 0].copy(), requires_grad=True)))
        elif isinstance(k, Pool2d):
            params.append(None)
        else:
            params.append((torch.tensor(W[:, 1:].copy(), requires_grad=True), torch.tensor(W[:, 0].copy(), requires_grad=True)))
    flat = [t for p in params if p is not None for t in p]
    opt = torch.optim.SGD(flat, lr=spec.learning_rate)
    X = torch.tensor(spec.inputs.reshape((spec.N,) + spec.input_shape))
    Y = torch.tensor(spec.targets)
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda x: x}

    def loss_of(o, y, act):
        if act == "softmax":
            return -(y * torch.log_softmax(o, dim=1)).sum()
        if spec.loss == "cross_entropy":
            return F.binary_cross_entropy_with_logits(o, y, reduction="sum")
        return ((acts[act](o) - y) ** 2).sum()

    def epoch():
        k_ = spec.group_size
        for a in range(0, spec.N, k_):
            o = X[a:a + k_]
            opt.zero_grad()
            for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
                act = spec.activations[l - 1]
                if isinstance(k, Conv2d):
                    o = acts[act](F.conv2d(o, p[0], p[1], stride=k.stride, padding=k.padding))
                elif isinstance(k, Pool2d):
                    o = (F.max_pool2d if k.mode == "max" else F.avg_pool2d)(o, k.size, k.stride)
                else:
                    o = torch.flatten(o, 1) @ p[0].T + p[1]
                    if l < spec.L:
                        o = acts[act](o)
            loss = loss_of(o, Y[a:a + k_], spec.activations[-1])
            loss.backward()
            opt.step()

    def weights():  # bptui's matrices: [b, flattened kernels] or [b, W]; a pooling layer's (0 × 1)
        return [np.zeros((0, 1)) if p is None else torch.cat([p[1][:, None], p[0].reshape(len(p[1]), -1)], dim=1).detach().numpy()
                for p in params]
    return epoch, weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import torch

    root = Path(__file__).resolve().parent.parent / "networks"
    from dataclasses import replace
    nets = {"edges": load(root / "edges.json"), "shapes": load(root / "shapes.json"), "digits-sized": digits_sized()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeats} epochs each")
    for name, spec in nets.items():
        spec = replace(spec, optimizer=replace(spec.optimizer, name="sgd"), shuffle_seed=None)
        a, b, gap = against_torch(spec, torch_epoch_fn, args.repeats)
        print(f"{name:14s} N = {spec.N:5d}  bptui {a * 1e3:9.2f} ms   torch {b * 1e3:9.2f} ms   ratio {a / b:5.2f}   "
              f"weights after one epoch within {gap:.1e}")
        assert gap < 1e-12, f"{name}: bptui's weights differ from torch's by {gap}"


if __name__ == "__main__":
    main()

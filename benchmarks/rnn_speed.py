"""Recurrent training speed: one epoch of ``bptui.core.engine.train`` against the same network in PyTorch
(float64, CPU; ``torch.nn.RNN`` over packed sequences of different lengths), measured side by side
in one run (median of several epochs each, interleaved).

    python benchmarks/rnn_speed.py [--repeats 7]

Needs torch (``pip install '.[reference]'``). Three tanh many-to-one networks, each with the same
weights, data, update groups and plain SGD in both:

- ``parity``: the bundled example (28 sequences of 2–4 bits, rnn 4, sigmoid 1; full batch);
- ``long_memory``: the bundled example (16 sequences of 30 bits, rnn 4, sigmoid 1; full batch);
- ``sequence-sized``: 2,000 random sequences of 10–40 steps of 8 values, rnn 32, dense 1 (identity),
  mini-batches of 100.

bptui sorts a group's examples longest first and steps, at each τ, those still running (one product
per τ); PyTorch's packed sequences do the same inside ``nn.RNN``. The ratio is bptui's time over
PyTorch's (1.0: as fast). Each network's weights after one epoch from the file's are checked against
PyTorch's (at most 1e-12 apart, else the script stops).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bptui.core.formats.spec import load, parse  # noqa: E402
from bptui.core.engine.train import train  # noqa: E402


def sequence_sized(n: int = 2000, d: int = 8, h: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(10, 41, size=n)
    doc = {
        "layers": [{"units": d}, {"type": "rnn", "units": h, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
        "init": {"seed": 1, "scale": 0.1},
        "data": {"inputs": [rng.normal(0, 1, size=(int(T), d)).round(3).tolist() for T in lengths],
                 "targets": rng.normal(0, 1, size=(n, 1)).round(3).tolist()},
        "training": {"learning_rate": 0.001, "update": {"batch_size": 100}},
    }
    return parse(doc, "sequence-sized")


def torch_epoch_fn(spec):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    rnn_kind = spec.kinds[0]
    d, h = rnn_kind.d, rnn_kind.h
    assert spec.activations[0] == "tanh" and not rnn_kind.return_sequences
    rnn = torch.nn.RNN(d, h, nonlinearity="tanh", batch_first=True).double()
    W1 = spec.weights[0]
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(W1[:, 1:1 + d]))
        rnn.weight_hh_l0.copy_(torch.tensor(W1[:, 1 + d:]))
        rnn.bias_ih_l0.copy_(torch.tensor(W1[:, 0]))
        rnn.bias_hh_l0.zero_()
    rnn.bias_hh_l0.requires_grad_(False)  # bptui's recurrent layer has one bias (column 0 of W)
    dense = [(torch.tensor(W[:, 1:].copy(), requires_grad=True), torch.tensor(W[:, 0].copy(), requires_grad=True))
             for W in spec.weights[1:]]
    params = [p for p in rnn.parameters() if p.requires_grad] + [t for pair in dense for t in pair]
    opt = torch.optim.SGD(params, lr=spec.learning_rate)
    Tmax = int(spec.lengths.max())
    X = torch.tensor(spec.inputs.reshape(spec.N, Tmax, d))
    Y = torch.tensor(spec.targets)
    lengths = torch.tensor(spec.lengths)
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda x: x}

    def epoch():
        k = spec.group_size
        for a in range(0, spec.N, k):
            opt.zero_grad()
            packed = pack_padded_sequence(X[a:a + k], lengths[a:a + k], batch_first=True, enforce_sorted=False)
            _, h_n = rnn(packed)
            o = h_n[0]
            for l, (w, b) in enumerate(dense, start=2):
                o = acts[spec.activations[l - 1]](o @ w.T + b)
            y = Y[a:a + k]
            if spec.loss == "cross_entropy":
                loss = -(y * torch.log(o) + (1 - y) * torch.log(1 - o)).sum()
            else:
                loss = ((o - y) ** 2).sum() * (0.5 if spec.loss == "half_squared" else 1.0)
            loss.backward()
            opt.step()

    def weights():  # bptui's matrices: [b, W, U] of the rnn, [b, W] of each dense layer
        rnn_w = torch.cat([rnn.bias_ih_l0[:, None], rnn.weight_ih_l0, rnn.weight_hh_l0], dim=1)
        return [rnn_w.detach().numpy()] + [torch.cat([b[:, None], w], dim=1).detach().numpy() for w, b in dense]
    return epoch, weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import torch

    torch.set_default_dtype(torch.float64)
    root = Path(__file__).resolve().parent.parent / "networks"
    nets = {"parity": load(root / "parity.json"), "long_memory": load(root / "long_memory.json"),
            "sequence-sized": sequence_sized()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeats} epochs each")
    for name, spec in nets.items():
        spec = replace(spec, optimizer=replace(spec.optimizer, name="sgd"), shuffle_seed=None)
        ours, theirs = [], []
        fn, _ = torch_epoch_fn(spec)
        train(spec, 1)
        fn()  # warm up both
        for _ in range(args.repeats):  # interleaved, so both see the same machine load
            t = time.perf_counter()
            train(spec, 1)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            fn()
            theirs.append(time.perf_counter() - t)
        a, b = median(ours), median(theirs)
        steps = int(spec.lengths.sum())
        once, torch_weights = torch_epoch_fn(spec)  # one epoch from the file's weights in both
        once()
        gap = max(float(np.abs(w - t).max()) for w, t in zip(train(spec, 1).weights, torch_weights()))
        print(f"{name:15s} N = {spec.N:5d} (Σ T = {steps:6d})  bptui {a * 1e3:9.2f} ms   torch {b * 1e3:9.2f} ms   "
              f"ratio {a / b:5.2f}   weights after one epoch within {gap:.1e}")
        assert gap < 1e-12, f"{name}: bptui's weights differ from torch's by {gap}"


if __name__ == "__main__":
    main()

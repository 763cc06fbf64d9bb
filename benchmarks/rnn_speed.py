"""Recurrent training speed: one epoch of ``bptui.core.engine.train`` against the same network in PyTorch
(float64, CPU; ``torch.nn.RNN`` over packed sequences of different lengths), measured side by side
in one run (median of several epochs each, interleaved).

    python benchmarks/rnn_speed.py [--repeats 7]

Needs torch (``pip install '.[reference]'``). Three tanh many-to-one networks, each with the same
weights, data, update groups and plain SGD in both:

- ``parity``: the bundled example (28 sequences of 2–4 bits, rnn 4, sigmoid 1; full batch);
- ``long_memory``: the bundled example (16 sequences of 30 bits, rnn 4, sigmoid 1; full batch);
- ``sequence-sized``: 2,000 random sequences of 10–40 steps of 8 values, rnn 32, dense 1 (identity),
  mini-batches of 100;
- ``lstm 32``, ``gru 32``: the same data and groups with an lstm or gru layer of 32 units, against
  ``torch.nn.LSTM`` and ``torch.nn.GRU`` (bptui's weights mapped in as docs/gated.md says).

bptui sorts a group's examples longest first and steps, at each τ, those still running (one product
per τ); PyTorch's packed sequences do the same inside ``nn.RNN``. The ratio is bptui's time over
PyTorch's (1.0: as fast). Each network's weights after one epoch from the file's are checked against
PyTorch's (at most 1e-12 apart, else the script stops).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import against_torch  # noqa: E402
from bptui.core.formats.spec import load, parse  # noqa: E402


def sequence_sized(n: int = 2000, d: int = 8, h: int = 32, seed: int = 0, kind: str = "rnn"):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(10, 41, size=n)
    layer = {"type": kind, "units": h, **({"activation": "tanh"} if kind == "rnn" else {})}
    doc = {
        "layers": [{"units": d}, layer, {"units": 1, "activation": "identity"}],
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
    d, h, kind = rnn_kind.d, rnn_kind.h, rnn_kind.type
    assert spec.activations[0] == "tanh" and not rnn_kind.return_sequences
    module = {"rnn": lambda: torch.nn.RNN(d, h, nonlinearity="tanh", batch_first=True),
              "lstm": lambda: torch.nn.LSTM(d, h, batch_first=True),
              "gru": lambda: torch.nn.GRU(d, h, batch_first=True)}[kind]
    rnn = module().double()
    W1 = spec.weights[0]
    gru = kind == "gru"  # U keeps a bias column of its own: bias_hh
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(W1[:, 1:1 + d]))
        rnn.weight_hh_l0.copy_(torch.tensor(W1[:, 2 + d:] if gru else W1[:, 1 + d:]))
        rnn.bias_ih_l0.copy_(torch.tensor(W1[:, 0]))
        if gru:
            rnn.bias_hh_l0.copy_(torch.tensor(W1[:, 1 + d]))
        else:
            rnn.bias_hh_l0.zero_()
    if not gru:
        rnn.bias_hh_l0.requires_grad_(False)  # bptui's rnn and lstm layers have one bias (column 0 of W)
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
            _, state = rnn(packed)
            o = (state[0] if kind == "lstm" else state)[0]  # h_T (an LSTM's state is (h, c))
            for l, (w, b) in enumerate(dense, start=2):
                o = acts[spec.activations[l - 1]](o @ w.T + b)
            y = Y[a:a + k]
            if spec.loss == "cross_entropy":
                loss = -(y * torch.log(o) + (1 - y) * torch.log(1 - o)).sum()
            else:
                loss = ((o - y) ** 2).sum() * (0.5 if spec.loss == "half_squared" else 1.0)
            loss.backward()
            opt.step()

    def weights():  # bptui's matrices: [b, W, U] of the recurrent layer (a GRU's U with its bias), [b, W] of each dense one
        parts = [rnn.bias_ih_l0[:, None], rnn.weight_ih_l0] + ([rnn.bias_hh_l0[:, None]] if gru else [])
        rnn_w = torch.cat(parts + [rnn.weight_hh_l0], dim=1)
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
            "sequence-sized": sequence_sized(), "lstm 32": sequence_sized(kind="lstm"),
            "gru 32": sequence_sized(kind="gru")}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeats} epochs each")
    for name, spec in nets.items():
        spec = replace(spec, optimizer=replace(spec.optimizer, name="sgd"), shuffle_seed=None)
        a, b, gap = against_torch(spec, torch_epoch_fn, args.repeats)
        steps = int(spec.lengths.sum())
        print(f"{name:15s} N = {spec.N:5d} (Σ T = {steps:6d})  bptui {a * 1e3:9.2f} ms   torch {b * 1e3:9.2f} ms   "
              f"ratio {a / b:5.2f}   weights after one epoch within {gap:.1e}")
        assert gap < 1e-12, f"{name}: bptui's weights differ from torch's by {gap}"


if __name__ == "__main__":
    main()

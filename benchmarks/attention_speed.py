"""Attention training speed: one epoch of ``bptui.core.engine.train`` against the same network in
PyTorch (float64, CPU; ``F.scaled_dot_product_attention`` and ``F.linear`` with the same weights),
measured side by side in one run (median of several epochs each, interleaved).

    python benchmarks/attention_speed.py [--repeats 7] [--torch-threads 1]

Needs torch (``pip install '.[reference]'``). The sequence-sized network of issue 21: 2,000 random
sequences of T = 20 steps of d = 32 values, attention (dk 32; one head, and 4 heads, causal or not),
a dense output of 32 units (identity) at each τ, squared loss, mini-batches of 100, plain SGD. In
PyTorch the group's sequences go through as one batch (N, T, d), as bptui's batch pass takes them.
The same data also goes through tiny_transformer's shape at that size (residual[attention, 4 heads],
residual[dense 32 tanh], the dense output). The ratio is bptui's time over PyTorch's (1.0: as fast). Each network's weights after one epoch from
the file's are checked against PyTorch's (at most 1e-10 apart, else the script stops).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import against_torch  # noqa: E402
from bptui.core.formats.spec import parse  # noqa: E402


def sequence_sized(n: int = 2000, T: int = 20, d: int = 32, dk: int = 32, heads: int = 1, causal: bool = False,
                   seed: int = 0):
    rng = np.random.default_rng(seed)
    doc = {
        "layers": [{"units": d}, {"type": "attention", "dim": dk, "heads": heads, "causal": causal},
                   {"units": d, "activation": "identity"}],
        "init": {"seed": 1, "scale": 0.1},
        "data": {"inputs": rng.normal(0, 1, size=(n, T, d)).round(3).tolist(),
                 "targets": rng.normal(0, 1, size=(n, T, d)).round(3).tolist()},
        "training": {"learning_rate": 0.0001, "update": {"batch_size": 100}},
    }
    return parse(doc, "attention-sized")


def torch_fn(spec, top):
    """(an epoch, the weights as bptui's matrices) of ``spec``'s network in PyTorch: the attention layer
    in tensor operations (``F.linear`` for q, k, v and W_O, ``F.scaled_dot_product_attention``), then
    ``top(x, o, dense, linear)``, the rest of the network from the attention layer's output o (``dense``:
    the dense layers' matrices in file order), the squared loss and plain SGD over the file's groups."""
    import torch

    F = torch.nn.functional
    att = next(k for k in spec.kinds if k.mixes_time)
    Ws = [w for k, w in zip(spec.kinds, spec.weights) if k.has_weights]
    params = {name: torch.tensor(np.array(att.part(Ws[0], name)), requires_grad=True) for name in "QKVO"}
    dense = [torch.tensor(w.copy(), requires_grad=True) for w in Ws[1:]]
    opt = torch.optim.SGD([*params.values(), *dense], lr=spec.learning_rate)
    T, d = int(spec.lengths.max()), att.d
    X = torch.tensor(spec.inputs.reshape(spec.N, T, d))
    Y = torch.tensor(spec.targets.reshape(spec.N, T, -1))
    H, dh = att.heads, att.dh

    def linear(W, x):
        return F.linear(x, W[:, 1:], W[:, 0])

    def epoch():
        k = spec.group_size
        for a in range(0, spec.N, k):
            opt.zero_grad()
            x = X[a:a + k]
            n = len(x)
            q, kk, v = (linear(params[name], x).reshape(n, T, H, dh).transpose(1, 2) for name in "QKV")
            z = F.scaled_dot_product_attention(q, kk, v, is_causal=att.causal).transpose(1, 2).reshape(n, T, H * dh)
            loss = ((top(x, linear(params["O"], z), dense, linear) - Y[a:a + k]) ** 2).sum()
            loss.backward()
            opt.step()

    def weights():
        W = att.weights_from_json({name: p.detach().numpy() for name, p in params.items()})
        rest = iter(w.detach().numpy() for w in dense)
        return [W if k.mixes_time else next(rest) if k.has_weights else np.zeros((0, 1)) for k in spec.kinds]
    return epoch, weights


def torch_epoch_fn(spec):
    """:func:`torch_fn` for :func:`sequence_sized`: the dense output layer on o."""
    return torch_fn(spec, lambda x, o, dense, linear: linear(dense[0], o))


def transformer_sized(n: int = 2000, T: int = 20, d: int = 32, dk: int = 32, heads: int = 4, seed: int = 0):
    """The same data through residual[attention], residual[dense tanh], a dense output at each τ
    (tiny_transformer's shape, without layer norm)."""
    spec = sequence_sized(n, T, d, dk, heads, seed=seed)
    doc = {"layers": [{"units": d}, {"type": "residual", "layers": [{"type": "attention", "dim": dk, "heads": heads}]},
                      {"type": "residual", "layers": [{"units": d, "activation": "tanh"}]},
                      {"units": d, "activation": "identity"}],
           "init": {"seed": 1, "scale": 0.1},
           "data": {"inputs": [x.reshape(T, d).tolist() for x in spec.inputs],
                    "targets": [y.reshape(T, d).tolist() for y in spec.targets]},
           "training": {"learning_rate": 0.0001, "update": {"batch_size": 100}}}
    return parse(doc, "transformer-sized")


def torch_blocks_fn(spec):
    """:func:`torch_fn` for :func:`transformer_sized`: x + attention(x), then x + tanh(W [1, x])."""
    import torch

    def top(x, o, dense, linear):
        h = x + o
        h = h + torch.tanh(linear(dense[0], h))
        return linear(dense[1], h)
    return torch_fn(spec, top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--torch-threads", type=int, default=0, help="torch's threads (0: its default); under "
                        "load torch's second thread waits for a time slice at every product, as bptui's would")
    args = parser.parse_args()
    import torch

    torch.set_default_dtype(torch.float64)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    nets = {"dk 32": sequence_sized(), "dk 32 causal": sequence_sized(causal=True),
            "dk 32, 4 heads": sequence_sized(heads=4)}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeats} epochs each")
    nets["blocks, 4 heads"] = transformer_sized()
    for name, spec in nets.items():
        spec = replace(spec, shuffle_seed=None)
        a, b, gap = against_torch(spec, torch_blocks_fn if name.startswith("blocks") else torch_epoch_fn, args.repeats)
        print(f"{name:15s} N = {spec.N:5d}, T = 20  bptui {a * 1e3:9.2f} ms   torch {b * 1e3:9.2f} ms   "
              f"ratio {a / b:5.2f}   weights after one epoch within {gap:.1e}")
        assert gap < 1e-10, f"{name}: bptui's weights differ from torch's by {gap}"


if __name__ == "__main__":
    main()

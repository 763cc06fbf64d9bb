"""Per-keypress cost of a recurrent network's steps: ms per ``Stepper.forward`` through one epoch, and
the part of it spent writing a row of a per-τ board matrix (``rnn_steps._set_row``, which copies the
whole T × h matrix so that every board array stays new and read-only: O(T² h) per example).

    python benchmarks/rnn_step_speed.py [--repeats 5]

Networks: the bundled ``long_memory`` (16 sequences of 30 bits, rnn 4) and ``long-T`` (4 random
sequences of 400 steps of 8 values, rnn 64), the size where the copies would start to show.
Medians over ``--repeats`` epochs; the _set_row share is measured in the same runs by timing its calls.
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import numpy as np

import _common  # noqa: F401  (puts the repo on sys.path)
from bptui.core.kinds.rnn import steps as rnn_steps
from bptui.core.formats.spec import load, parse
from bptui.core.engine.stepper import Stepper

from _common import ROOT


def long_t(n: int = 4, T: int = 400, d: int = 8, h: int = 64):
    rng = np.random.default_rng(0)
    doc = {"layers": [{"units": d}, {"type": "rnn", "units": h, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
           "init": {"seed": 1, "scale": 0.1},
           "data": {"inputs": [rng.normal(0, 1, size=(T, d)).round(3).tolist() for _ in range(n)],
                    "targets": rng.normal(0, 1, size=(n, 1)).round(3).tolist()}}
    return parse(doc, "long-T")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    spent = [0.0]
    original = rnn_steps._set_row

    def timed(*a):
        t = time.perf_counter()
        out = original(*a)
        spent[0] += time.perf_counter() - t
        return out

    rnn_steps._set_row = timed  # type: ignore[assignment]
    for name, spec in (("long_memory", load(ROOT / "networks" / "long_memory.json")), ("long-T", long_t())):
        per_step, share = [], []
        for _ in range(args.repeats):
            st = Stepper(spec)
            n = len(st.schedule)
            spent[0] = 0.0
            t = time.perf_counter()
            for _ in range(n):
                st.forward()
            total = time.perf_counter() - t
            per_step.append(total / n * 1e3)
            share.append(spent[0] / total)
        print(f"{name}: {n} steps/epoch, median {median(per_step):.4f} ms per step; "
              f"_set_row {100 * median(share):.1f}% of it")


if __name__ == "__main__":
    main()

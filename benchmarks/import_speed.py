"""``bptui import`` against reading the file it writes, in one run: an MNIST-sized model (784-256-10,
203,530 weights, exported by PyTorch) with 2,000 examples in an .npz, and a recurrent one (an LSTM of
32 units over sequences of 30 steps, 500 examples).

    python benchmarks/import_speed.py

What import adds to reading a network file is parsing the ONNX model and walking its graph; its
output is read back by the reader before it is written, so the ratio is about 1 or more (measured,
load 8 to 10 on two cores: 1.26 for the dense model, 0.99 for the LSTM, whose file's reading is most
of both). Medians of 5 runs, CPU time. Needs torch and onnx.
"""

from __future__ import annotations

import io
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from _common import median_time  # (and the repository on sys.path)
from bptui.core.formats.spec import parse
from bptui.onnx_import import to_network


def cpu_median(fn) -> float:
    return median_time(fn, 5, time.process_time)


def _export(model, x) -> bytes:
    import torch

    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), f, dynamo=False)
    return f.getvalue()


def _lstm():
    """An LSTM of 32 units over 8 inputs, its h_T under a dense unit (float64)."""
    import torch

    class Lstm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.r, self.out = torch.nn.LSTM(8, 32), torch.nn.Linear(32, 1)

        def forward(self, x):
            _, (h, _) = self.r(x)
            return self.out(h[-1])
    return Lstm().double()


def main() -> None:
    import torch

    rng = np.random.default_rng(0)
    cases = {
        "784-256-10 dense, 2,000 examples": (
            _export(torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.Sigmoid(), torch.nn.Linear(256, 10)).double(),
                    torch.zeros(1, 784, dtype=torch.float64)),
            {"x": rng.uniform(0, 1, size=(2_000, 784)), "y": np.eye(10)[rng.integers(0, 10, 2_000)]}),
        "lstm 32 units, 500 sequences of 30 steps": (
            _export(_lstm(), torch.zeros(30, 1, 8, dtype=torch.float64)),
            {"x": rng.normal(size=(500, 30, 8)), "y": rng.normal(size=(500, 1))}),
    }
    with tempfile.TemporaryDirectory() as folder:
        for what, (model, arrays) in cases.items():
            m, d = Path(folder) / "m.onnx", Path(folder) / "d.npz"
            m.write_bytes(model)
            np.savez(d, **arrays)
            doc = to_network(str(m), str(d))
            imported = cpu_median(lambda: to_network(str(m), str(d)))
            read = cpu_median(lambda: parse(doc, "net.json"))
            print(f"{what}: import {imported * 1e3:.0f} ms, reading its file {read * 1e3:.0f} ms, "
                  f"ratio {imported / read:.2f}")


if __name__ == "__main__":
    main()

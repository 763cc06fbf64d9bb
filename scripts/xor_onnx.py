"""Writes tests/golden/xor.onnx and xor.npz: networks/xor.json's network as a float64 PyTorch model exported
to ONNX (the legacy exporter, dynamo=False), and its four examples. The model the manual imports
(docs/import.md) and the tests read; run it again only to remake them (needs torch and onnx)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
doc = json.loads((ROOT / "networks" / "xor.json").read_text(encoding="utf-8"))
model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1), torch.nn.Sigmoid()).double()
with torch.no_grad():
    for lin, W in zip((model[0], model[2]), doc["weights"]):
        W = torch.tensor(W, dtype=torch.float64)
        lin.bias.copy_(W[:, 0])
        lin.weight.copy_(W[:, 1:])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning
    torch.onnx.export(model, (torch.zeros(1, 2, dtype=torch.float64),), str(ROOT / "tests" / "golden" / "xor.onnx"),
                      dynamo=False, input_names=["x"], output_names=["o"])
np.savez(ROOT / "tests" / "golden" / "xor.npz", x=np.array(doc["data"]["inputs"], dtype=float),
         y=np.array(doc["data"]["targets"], dtype=float))

"""Small builders shared by the tests."""

from __future__ import annotations

import numpy as np

from bptui.core.spec import parse


def random_spec(widths, hidden="tanh", output="sigmoid", loss="squared", update="full_batch",
                n=3, seed=0, l2=0.0, alpha=None):
    """A network file (as a dict, then parsed) with random weights and data from ``seed``."""
    rng = np.random.default_rng(seed)
    layers = [{"units": widths[0]}]
    for l, w in enumerate(widths[1:], start=1):
        act = output if l == len(widths) - 1 else hidden
        layer = {"units": w, "activation": act}
        if alpha is not None and act in ("elu", "leaky_relu", "prelu"):
            layer["alpha"] = alpha
        layers.append(layer)
    weights = [rng.normal(0, 0.8, size=(widths[l], widths[l - 1] + 1)).tolist() for l in range(1, len(widths))]
    X = rng.normal(0, 1, size=(n, widths[0]))
    if loss == "cross_entropy" and output == "softmax":
        Y = np.eye(widths[-1])[rng.integers(0, widths[-1], size=n)]
    elif loss == "cross_entropy":
        Y = rng.integers(0, 2, size=(n, widths[-1])).astype(float)
    else:
        Y = rng.normal(0, 1, size=(n, widths[-1]))
    doc = {
        "layers": layers, "weights": weights, "loss": loss,
        "data": {"inputs": X.tolist(), "targets": Y.tolist()},
        "training": {"learning_rate": 0.3, "update": update, "l2": l2},
    }
    return parse(doc, "random.json")

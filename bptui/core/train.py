"""Gradient descent on the whole data set at once (the vectorised path, not the step schedule)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .network import Network
from .spec import NetworkSpec


def update(net: Network, W: np.ndarray, G: np.ndarray, lr: float, l2: float) -> np.ndarray:
    """W⁽ˡ⁾ − η (G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾)."""
    return W - lr * net.regularised(W, G, l2)


def train(
    spec: NetworkSpec,
    epochs: int,
    on_epoch: Callable[[int, float], None] | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """Train for ``epochs`` epochs; returns the final weights and ℓ_D before each epoch's updates.

    The same arithmetic as the step schedule (G summed over the examples of an update group, one
    update per group), vectorised over the examples of a group.
    """
    net = Network(spec)
    W = [np.array(w) for w in spec.weights]
    X, Y = spec.inputs, spec.targets
    size = spec.N if spec.update == "full_batch" else 1
    history = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            total = 0.0
            for start in range(0, spec.N, size):
                loss, G = net.gradient(W, X[start:start + size], Y[start:start + size])
                total += loss
                W = [update(net, w, g, spec.learning_rate, spec.l2) for w, g in zip(W, G)]
            history.append(total)
            if on_epoch is not None:
                on_epoch(epoch, total)
    return W, history

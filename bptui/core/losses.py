"""Per-example losses ℓ^(n) and the base case of backprop, δ^(L) = ∂ℓ/∂s^(L).

Arrays are column vectors or batches of columns (one column per example); ``value`` sums over
the output units and returns one number per column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation, softmax_vjp


def _squared_grad(o: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    return scale * (o - y)


@dataclass(frozen=True)
class Loss:
    name: str
    text: str  # ℓ as the lecture writes it, "{o}" and "{y}" are filled in
    value: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]
    grad_o: Callable[[np.ndarray, np.ndarray], np.ndarray] | None  # ∂ℓ/∂o, None when δ is taken from s directly


def _squared_value(s, o, y, act, scale=1.0):
    return scale * ((o - y) ** 2).sum(axis=0)


def _ce_value(s, o, y, act):
    if act.name == "softmax":
        m = s.max(axis=0, keepdims=True)
        lse = m + np.log(np.exp(s - m).sum(axis=0, keepdims=True))
        return -(y * (s - lse)).sum(axis=0)
    # binary cross-entropy with sigmoid outputs, from s for stability: −log σ(s) = softplus(−s)
    return (y * np.logaddexp(0.0, -s) + (1.0 - y) * np.logaddexp(0.0, s)).sum(axis=0)


LOSSES: dict[str, Loss] = {
    "squared": Loss(
        "squared", "Σ_k ({o}_k − y_k)²",
        _squared_value, lambda o, y: _squared_grad(o, y, 2.0),
    ),
    "half_squared": Loss(
        "half_squared", "½ Σ_k ({o}_k − y_k)²",
        lambda s, o, y, act: _squared_value(s, o, y, act, 0.5), lambda o, y: _squared_grad(o, y, 1.0),
    ),
    "cross_entropy": Loss(
        "cross_entropy", "−Σ_k y_k log {o}_k",
        _ce_value, None,
    ),
}


def output_delta(loss: Loss, act: Activation, alpha: float, s: np.ndarray, o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """δ^(L) = ∂ℓ/∂s^(L) for the output layer's activation ``act``."""
    if loss.grad_o is None:  # cross-entropy with its canonical output (sigmoid or softmax)
        if act.name == "softmax":
            return o * y.sum(axis=0, keepdims=True) - y
        return o - y
    g = loss.grad_o(o, y)
    if act.name == "softmax":
        return softmax_vjp(o, g)
    return g * act.df(s, o, alpha)

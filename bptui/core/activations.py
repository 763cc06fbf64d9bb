"""Activation functions f, their derivatives f', and how the lecture writes f'.

Every function takes the pre-activation ``s`` (and, where it is cheaper, the activation ``o = f(s)``)
and works on a 1-D vector or on a batch of column vectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .special import erf, erfc, extended


def _sigmoid(s: np.ndarray) -> np.ndarray:
    out = np.empty_like(s, dtype=np.result_type(s, float))
    pos = s >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-s[pos]))
    e = np.exp(s[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def _softmax(s: np.ndarray) -> np.ndarray:
    z = np.exp(s - s.max(axis=0, keepdims=True))
    return z / z.sum(axis=0, keepdims=True)


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray, float], np.ndarray]
    # df(s, o, alpha): elementwise derivative df/ds (not used for softmax, whose Jacobian is full)
    df: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    # f' written as the lecture does, in terms of o^(l) or s^(l); "{o}" and "{s}" are filled in
    df_text: str
    default_alpha: float | None = None


def _leaky(s: np.ndarray, a: float) -> np.ndarray:
    return np.where(s >= 0, s, a * s)


def _gelu(s: np.ndarray, a: float) -> np.ndarray:
    """s Φ(s), Φ the standard normal CDF: in float64 with math.erf; in extended precision (the
    gradient check) as ½ s erfc(−s/√2) with bptui's own erfc, every constant in that precision."""
    if extended(s.dtype):
        return 0.5 * s * erfc(-s / np.sqrt(s.dtype.type(2)))
    return 0.5 * s * (1.0 + erf(s / math.sqrt(2.0)))


def _dgelu(s: np.ndarray, o: np.ndarray, a: float) -> np.ndarray:
    cdf = 0.5 * (1.0 + erf(s / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)
    return cdf + s * pdf


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda s, a: s * 1.0, lambda s, o, a: np.ones_like(s, dtype=float), "1"),
        Activation("sigmoid", lambda s, a: _sigmoid(s), lambda s, o, a: o * (1.0 - o), "{o}⊙(1 − {o})"),
        Activation("tanh", lambda s, a: np.tanh(s), lambda s, o, a: 1.0 - o * o, "(1 − {o}⊙{o})"),
        Activation("relu", lambda s, a: np.maximum(s, 0.0), lambda s, o, a: (s > 0).astype(float), "1[{s} > 0]"),
        Activation("gelu", _gelu, _dgelu, "Φ({s}) + {s}⊙φ({s})"),
        Activation(
            "softplus",
            lambda s, a: np.logaddexp(0.0, s),
            lambda s, o, a: _sigmoid(s),
            "σ({s})",
        ),
        Activation(
            "elu",
            lambda s, a: np.where(s > 0, s, a * np.expm1(np.minimum(s, 0.0))),
            lambda s, o, a: np.where(s > 0, 1.0, a * np.exp(np.minimum(s, 0.0))),
            "(1 if {s} > 0 else α e^{s})",
            1.0,
        ),
        # leaky ReLU and PReLU are one function; they differ in α's default (PReLU's α is fixed in v1)
        *(
            Activation(name, _leaky, lambda s, o, a: np.where(s >= 0, 1.0, a), "(1 if {s} ≥ 0 else α)", alpha)
            for name, alpha in (("leaky_relu", 0.01), ("prelu", 0.25))
        ),
        Activation("softmax", lambda s, a: _softmax(s), lambda s, o, a: o * (1.0 - o), "diag({o}) − {o}{o}ᵀ"),
    ]
}


def softmax_vjp(o: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J_softmax(s)ᵀ g = o ⊙ (g − Σ_k g_k o_k), for one vector or a batch of columns."""
    return o * (g - (g * o).sum(axis=0, keepdims=True))

"""Activation functions f and their derivatives f′: the one table of them.

Each entry states its function once, three ways side by side: the arithmetic (``f``, ``df``: NumPy
on a 1-D vector or a batch of column vectors), and how the lecture writes f and f′ (``value``,
``derivative``: formula trees, see :mod:`bptui.core.formula`). The same trees print the equation
line, the explanations (per unit: ``derivative(s_b, o_b)``), the export (LaTeX) and the help.
Adding an activation is one entry here; the schema's enum is checked against this table by a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .formula import ONE, Call, Cases, Ind, Node, Num, Op, Sym, mul, sub
from .special import erf, erfc, extended


def normal_cdf(s: np.ndarray) -> np.ndarray:
    """Φ(s), the standard normal distribution function (GELU is s·Φ(s))."""
    return 0.5 * (1.0 + erf(s / math.sqrt(2.0)))


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


ALPHA = Sym("α", latex=r"\alpha")
ZERO = Num(0.0, exact=True)


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray, float], np.ndarray]
    # df(s, o, alpha): elementwise derivative df/ds (not used for softmax, whose Jacobian is full)
    df: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    # f(s) as the lecture writes it, for a symbol or the numbers of s (σ(s⁽¹⁾), tanh([0.1, −0.2]))
    value: Callable[[Node], Node]
    # f′ as the lecture writes it, in s and o = f(s): vectors (1 − o⁽ˡ⁾⊙o⁽ˡ⁾) or one unit (1 − (o_b⁽ˡ⁾)²)
    derivative: Callable[[Node, Node], Node]
    default_alpha: float | None = None
    # f′ = 1 everywhere (the identity): a δ leaves the factor out, δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:], and says
    # so; ``derivative`` is then the tree 1 and ``df`` all ones (a test checks the three agree)
    derivative_is_one: bool = False
    # whether a hidden layer may use it (softmax normalizes over the output's units: the output only)
    hidden: bool = True

    @property
    def uses_alpha(self) -> bool:
        return self.default_alpha is not None


def _leaky(s: np.ndarray, a: float) -> np.ndarray:
    return np.where(s >= 0, s, a * s)


def _gelu(s: np.ndarray, a: float) -> np.ndarray:
    """s Φ(s), Φ the standard normal CDF: in float64 with math.erf; in extended precision (the
    gradient check) as ½ s erfc(−s/√2) with bptui's own erfc, every constant in that precision."""
    if extended(s.dtype):
        return 0.5 * s * erfc(-s / np.sqrt(s.dtype.type(2)))
    return 0.5 * s * (1.0 + erf(s / math.sqrt(2.0)))


def _dgelu(s: np.ndarray, o: np.ndarray, a: float) -> np.ndarray:
    cdf = normal_cdf(s)
    pdf = np.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)
    return cdf + s * pdf


def _call(fn: str) -> Callable[[Node], Node]:
    return lambda s: Call(fn, (s,))


def _with_alpha(fn: str) -> Callable[[Node], Node]:
    return lambda s: Call(fn, (s, ALPHA))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda s, a: s * 1.0, lambda s, o, a: np.ones_like(s, dtype=float),
                   lambda s: s, lambda s, o: ONE, derivative_is_one=True),
        Activation("sigmoid", lambda s, a: _sigmoid(s), lambda s, o, a: o * (1.0 - o),
                   _call("sigmoid"), lambda s, o: mul(o, sub(ONE, o))),
        Activation("tanh", lambda s, a: np.tanh(s), lambda s, o, a: 1.0 - o * o,
                   _call("tanh"), lambda s, o: sub(ONE, Op("sq", (o,)))),
        Activation("relu", lambda s, a: np.maximum(s, 0.0), lambda s, o, a: (s > 0).astype(float),
                   _call("relu"), lambda s, o: Ind(s, ">", ZERO)),
        Activation("gelu", _gelu, _dgelu, _call("gelu"),
                   lambda s, o: Op("+", (Call("Phi", (s,)), mul(s, Call("phi", (s,)))))),
        Activation("softplus", lambda s, a: np.logaddexp(0.0, s), lambda s, o, a: _sigmoid(s),
                   _call("softplus"), lambda s, o: Call("sigmoid", (s,))),
        Activation("elu", lambda s, a: np.where(s > 0, s, a * np.expm1(np.minimum(s, 0.0))),
                   lambda s, o, a: np.where(s > 0, 1.0, a * np.exp(np.minimum(s, 0.0))),
                   _with_alpha("elu"), lambda s, o: Cases(ONE, Ind(s, ">", ZERO), mul(ALPHA, Call("exp", (s,)))),
                   1.0),
        # leaky ReLU and PReLU are one function; they differ in α's default (PReLU's α is fixed in v1)
        *(
            Activation(name, _leaky, lambda s, o, a: np.where(s >= 0, 1.0, a), _with_alpha(name),
                       lambda s, o: Cases(ONE, Ind(s, "≥", ZERO), ALPHA), alpha)
            for name, alpha in (("leaky_relu", 0.01), ("prelu", 0.25))
        ),
        Activation("softmax", lambda s, a: _softmax(s), lambda s, o, a: o * (1.0 - o), _call("softmax"),
                   lambda s, o: sub(Call("diag", (o,)), Op("outer", (o, o))), hidden=False),
    ]
}


IDENTITY_NOTE = "identity: f′ = 1"  # the note of a δ that leaves the factor f′ out


def softmax_vjp(o: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J_softmax(s)ᵀ g = o ⊙ (g − Σ_k g_k o_k), for one vector or a batch of columns."""
    return o * (g - (g * o).sum(axis=0, keepdims=True))

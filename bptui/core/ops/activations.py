"""Activation functions f and their derivatives f′: the one table of them.

Each entry states its function once, three ways side by side: the arithmetic (``f``, ``df``: NumPy
on a 1-D vector or a batch of column vectors), and how the lecture writes f and f′ (``value``,
``derivative``: formula trees, see :mod:`bptui.core.formulas.formula`). The same trees print the equation
line, the explanations (per unit: ``derivative(s_b, o_b)``), the export (LaTeX) and the help.
Adding an activation is one entry here; the schema's enum is checked against this table by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..formulas.formula import ONE, Call, Cases, Ind, Node, Num, Op, Sym, mul, sub
from ..util.special import ACTIVATION_F, dgelu, normal_cdf, sigmoid
from .activation_rules import DEFAULT_ACTIVATION, RULES, read_activation  # noqa: F401  (the reader's checks)


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
    # f′ = 1 everywhere (the identity): a δ leaves the factor out, δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:], and says
    # so; ``derivative`` is then the tree 1 and ``df`` all ones (a test checks the three agree)
    derivative_is_one: bool = False

    @property
    def default_alpha(self) -> float | None:
        """Its α when the file gives none; None for the activations that take no α (activation_rules)."""
        return RULES[self.name].default_alpha

    @property
    def hidden(self) -> bool:
        """Whether a hidden layer may use it (softmax normalizes over the output's units: the output only)."""
        return RULES[self.name].hidden

    @property
    def uses_alpha(self) -> bool:
        return self.default_alpha is not None


def _call(fn: str) -> Callable[[Node], Node]:
    return lambda s: Call(fn, (s,))


def _with_alpha(fn: str) -> Callable[[Node], Node]:
    return lambda s: Call(fn, (s, ALPHA))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", ACTIVATION_F["identity"], lambda s, o, a: np.ones_like(s, dtype=float),
                   lambda s: s, lambda s, o: ONE, derivative_is_one=True),
        Activation("sigmoid", ACTIVATION_F["sigmoid"], lambda s, o, a: o * (1.0 - o),
                   _call("sigmoid"), lambda s, o: mul(o, sub(ONE, o))),
        Activation("tanh", ACTIVATION_F["tanh"], lambda s, o, a: 1.0 - o * o,
                   _call("tanh"), lambda s, o: sub(ONE, Op("sq", (o,)))),
        Activation("relu", ACTIVATION_F["relu"], lambda s, o, a: (s > 0).astype(float),
                   _call("relu"), lambda s, o: Ind(s, ">", ZERO)),
        Activation("gelu", ACTIVATION_F["gelu"], dgelu, _call("gelu"),
                   lambda s, o: Op("+", (Call("Phi", (s,)), mul(s, Call("phi", (s,)))))),
        Activation("softplus", ACTIVATION_F["softplus"], lambda s, o, a: sigmoid(s),
                   _call("softplus"), lambda s, o: Call("sigmoid", (s,))),
        Activation("elu", ACTIVATION_F["elu"],
                   lambda s, o, a: np.where(s > 0, 1.0, a * np.exp(np.minimum(s, 0.0))),
                   _with_alpha("elu"), lambda s, o: Cases(ONE, Ind(s, ">", ZERO), mul(ALPHA, Call("exp", (s,))))),
        # leaky ReLU and PReLU are one function; they differ in α's default (activation_rules)
        *(
            Activation(name, ACTIVATION_F[name], lambda s, o, a: np.where(s >= 0, 1.0, a), _with_alpha(name),
                       lambda s, o: Cases(ONE, Ind(s, "≥", ZERO), ALPHA))
            for name in ("leaky_relu", "prelu")
        ),
        Activation("softmax", ACTIVATION_F["softmax"], lambda s, o, a: o * (1.0 - o), _call("softmax"),
                   lambda s, o: sub(Call("diag", (o,)), Op("outer", (o, o)))),
    ]
}


IDENTITY_NOTE = "identity: f′ = 1"  # the note of a δ that leaves the factor f′ out


def softmax_vjp(o: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J_softmax(s)ᵀ g = o ⊙ (g − Σ_k g_k o_k), for one vector or a batch of columns."""
    return o * (g - (g * o).sum(axis=0, keepdims=True))

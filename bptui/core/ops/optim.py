"""The update W⁽ˡ⁾ ← … for sgd, momentum and adam: the one place both the stepper and training use.

This module is the one table of optimizers: the arithmetic (:func:`update`) and how the lecture
writes it (:func:`update_formulas`, trees that every view prints). Every optimizer works on g⁽ˡ⁾ = G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾ (W̃ is W with its bias column zeroed, so L2 never
touches biases):

- ``sgd``:      W ← W − η g
- ``momentum``: v ← μ v + g;  W ← W − η v                      (PyTorch's convention)
  (a profile whose ``velocity`` is "step" writes it as Goodfellow's Algorithm 8.2 does, v ← μ v − η g;
  W ← W + v: its v is −η times the one kept here, :data:`VELOCITIES`, :func:`state_written`)
- ``adam``:     t ← t + 1;  m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
                m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  W ← W − η m̂ / (√v̂ + ε)   (Kingma & Ba)

:func:`update` never writes into its arguments: it returns a new W and a new :class:`OptState`, so
the stepper can keep old states as checkpoints and replay bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..formulas.formula import ONE, TWO, Call, Node, Op, Sym, add, mul, sub

OPTIMIZERS = ("sgd", "momentum", "adam")
# How a notation profile writes momentum's velocity (profiles.Profile.velocity): "sum_of_gradients", the one
# kept here (PyTorch's, the lecture's: v ← μ v + g, W ← W − η v), or "step", the step itself (Goodfellow's
# Algorithm 8.2, Sutskever et al.: v ← μ v − η g, W ← W + v), which is −η times it for a constant η
VELOCITIES = ("sum_of_gradients", "step")


@dataclass(frozen=True)
class Optimizer:
    """An optimizer and its hyper-parameters (the file's ``training`` section)."""

    name: str = "sgd"
    learning_rate: float = 0.1
    l2: float = 0.0
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, W: np.ndarray) -> "OptState":
        """The state before the first update of a layer with weights ``W``: zeros."""
        if self.name == "sgd":
            return OptState()
        if self.name == "momentum":
            return OptState(v=_ro(np.zeros_like(W)))
        return OptState(t=0, m=_ro(np.zeros_like(W)), v=_ro(np.zeros_like(W)))


@dataclass(frozen=True)
class OptState:
    """One layer's optimizer state: velocity ``v`` (momentum); ``t``, moments ``m`` and ``v`` (adam)."""

    t: int = 0
    m: np.ndarray | None = None
    v: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """The state's matrices by their names in the lecture's style, for views and traces."""
        return {k: a for k, a in (("m", self.m), ("v", self.v)) if a is not None}

    def to_json(self) -> dict:
        out: dict = {k: a.tolist() for k, a in self.arrays().items()}
        if self.m is not None:
            out["t"] = self.t
        return out


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _moment(a: np.ndarray | None, opt: Optimizer) -> np.ndarray:
    """A moment the optimizer's state has (``Optimizer.init`` made it)."""
    if a is None:
        raise ValueError(f"{opt.name} needs its state from Optimizer.init, not an empty OptState")
    return a


def regularised(W: np.ndarray, G: np.ndarray, l2: float, bias: tuple[int, ...] = (0,)) -> np.ndarray:
    """g = G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾, where W̃ is W with its bias columns zeroed (``bias``: column 0, and a GRU's U
    has one of its own; the layer kind's ``bias_columns``); G itself when λ = 0."""
    if not l2:
        return G
    g = G + (2.0 * l2) * W
    g[:, bias] = G[:, bias]
    return g


def update(opt: Optimizer, W: np.ndarray, G: np.ndarray, state: OptState,
           bias: tuple[int, ...] = (0,)) -> tuple[np.ndarray, OptState]:
    """One update of one layer: the new W⁽ˡ⁾ and the new optimizer state (nothing is written in place);
    ``bias``: the columns L2 leaves alone."""
    g = regularised(W, G, opt.l2, bias)
    lr = opt.learning_rate
    if opt.name == "sgd":
        return W - lr * g, state
    if opt.name == "momentum":
        v = opt.momentum * _moment(state.v, opt) + g
        return W - lr * v, OptState(v=v)
    if opt.name == "adam":
        t = state.t + 1
        b1, b2 = opt.beta1, opt.beta2
        m = b1 * _moment(state.m, opt) + (1.0 - b1) * g
        v = b2 * _moment(state.v, opt) + (1.0 - b2) * (g * g)
        m_hat = m / (1.0 - b1**t)
        v_hat = v / (1.0 - b2**t)
        return W - lr * m_hat / (np.sqrt(v_hat) + opt.eps), OptState(t=t, m=m, v=v)
    raise ValueError(f"unknown optimizer {opt.name!r}")  # pragma: no cover - the schema rules it out


# -- how the lecture writes each optimizer ----------------------------------------------------------
# momentum's μ is momentum's own letter (goodfellow writes α: his Algorithm 8.2, profiles.Profile.letters)
ETA, LAMBDA, MU = Sym("η", latex=r"\eta"), Sym("λ", latex=r"\lambda"), Sym("μ", latex=r"\mu", own="momentum")
# Adam's decay rates are Adam's own letters (goodfellow writes ρ₁, ρ₂: his Algorithm 8.7, profiles.Profile.letters)
BETA1, BETA2 = Sym("β₁", latex=r"\beta_1", own="adam"), Sym("β₂", latex=r"\beta_2", own="adam")
EPS, T = Sym("ε", latex=r"\epsilon"), Sym("t")


def update_formulas(opt: Optimizer, l: int | str | None, index: tuple[int, int] | None = None,
                    velocity: str = "sum_of_gradients") -> list[tuple[Sym, str, Node]]:
    """The update of W⁽ˡ⁾ as equations (left side, ``=`` or ``←``, right side), in the order they are
    done: g = G + 2λ W̃ first when λ ≠ 0, then the optimizer's rule. With ``index`` (b, a): the same
    for the one weight w_b,a⁽ˡ⁾ (W̃_b,a is w_b,a, or 0 for a bias). ``velocity``: how momentum's v is
    written (:data:`VELOCITIES`; its numbers then are :func:`state_written`'s)."""
    sub_ = index or ()
    vec = index is None

    def q(base: str, accent: str = "") -> Sym:  # Adam's m and v are Adam's own (goodfellow writes s and r)
        return Sym(base if vec or base not in ("W",) else "w", l, sub_, accent, vector=vec,
                   own=opt.name if base in ("m", "v") else "")

    W, G = q("W"), q("G")
    eqs: list[tuple[Sym, str, Node]] = []
    g: Sym = G
    if opt.l2:
        g = q("g")
        eqs.append((g, "=", add(G, mul(mul(TWO, LAMBDA), q("W", "tilde")))))
    if opt.name == "sgd":
        return eqs + [(W, "←", sub(W, mul(ETA, g)))]
    if opt.name == "momentum":
        v = q("v")
        if velocity == "step":  # Algorithm 8.2: the velocity is the step, W ← W + v
            return eqs + [(v, "←", sub(mul(MU, v), mul(ETA, g))), (W, "←", add(W, v))]
        return eqs + [(v, "←", add(mul(MU, v), g)), (W, "←", sub(W, mul(ETA, v)))]
    m, v = q("m"), q("v")
    m_hat, v_hat = q("m", "hat"), q("v", "hat")
    return eqs + [
        (m, "←", add(mul(BETA1, m), mul(sub(ONE, BETA1), g))),
        (v, "←", add(mul(BETA2, v), mul(sub(ONE, BETA2), Op("sq", (g,))))),
        (m_hat, "=", Op("/", (m, sub(ONE, Op("^", (BETA1, T)))))),
        (v_hat, "=", Op("/", (v, sub(ONE, Op("^", (BETA2, T)))))),
        (W, "←", sub(W, mul(ETA, Op("/", (m_hat, add(Call("sqrt", (v_hat,)), EPS)))))),
    ]


def state_written(opt: Optimizer, name: str, value: Any, velocity: str = "sum_of_gradients") -> Any:
    """The optimizer's state ``name`` (an array or one entry, as :class:`OptState` keeps it) as the
    formulas of :func:`update_formulas` with ``velocity`` hold it: momentum's v as the step, −η v, where
    ``velocity`` is "step"; anything else as it is kept."""
    scale = state_scale(opt, name, velocity)
    return value if scale == 1.0 else scale * value


def state_scale(opt: Optimizer, name: str, velocity: str = "sum_of_gradients") -> float:
    """What :func:`state_written` multiplies the kept state ``name`` by: −η for a step velocity, else 1."""
    return -opt.learning_rate if velocity == "step" and opt.name == "momentum" and name == "v" else 1.0


# what each state is, in words, for a heading over its numbers (its letter and rule come from the trees above)
STATE_WORDS = {("momentum", "v"): "velocity", ("adam", "m"): "1st moment", ("adam", "v"): "2nd moment"}


def hyper_parameters(opt: Optimizer) -> dict[Node, float]:
    """The symbols of the optimizer's hyper-parameters and their values (η, λ, μ, β₁, β₂, ε)."""
    out: dict[Node, float] = {ETA: opt.learning_rate}
    if opt.l2:
        out[LAMBDA] = opt.l2
    if opt.name == "momentum":
        out[MU] = opt.momentum
    if opt.name == "adam":
        out.update({BETA1: opt.beta1, BETA2: opt.beta2, EPS: opt.eps})
    return out

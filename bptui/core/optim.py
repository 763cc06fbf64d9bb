"""The update W⁽ˡ⁾ ← … for sgd, momentum and adam: the one place both the stepper and training use.

Every optimizer works on g⁽ˡ⁾ = G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾ (W̃ is W with its bias column zeroed, so L2 never
touches biases):

- ``sgd``:      W ← W − η g
- ``momentum``: v ← μ v + g;  W ← W − η v                      (PyTorch's convention)
- ``adam``:     t ← t + 1;  m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
                m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  W ← W − η m̂ / (√v̂ + ε)   (Kingma & Ba)

:func:`update` never writes into its arguments: it returns a new W and a new :class:`OptState`, so
the stepper can keep old states as checkpoints and replay bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")


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


def regularised(W: np.ndarray, G: np.ndarray, l2: float) -> np.ndarray:
    """g = G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾, where W̃ is W with its bias column zeroed (G itself when λ = 0)."""
    if not l2:
        return G
    g = G + (2.0 * l2) * W
    g[:, 0] = G[:, 0]
    return g


def update(opt: Optimizer, W: np.ndarray, G: np.ndarray, state: OptState) -> tuple[np.ndarray, OptState]:
    """One update of one layer: the new W⁽ˡ⁾ and the new optimizer state (nothing is written in place)."""
    g = regularised(W, G, opt.l2)
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


def formula(opt: Optimizer, l: str) -> str:
    """The update as the lecture would write it, for layer superscript ``l`` (e.g. ``⁽²⁾``)."""
    g = f"G{l} + 2λ W̃{l}" if opt.l2 else f"G{l}"
    if opt.name == "sgd":
        return f"W{l} ← W{l} − η ({g})" if opt.l2 else f"W{l} ← W{l} − η G{l}"
    if opt.name == "momentum":
        return f"v{l} ← μ v{l} + {'(' + g + ')' if opt.l2 else g};  W{l} ← W{l} − η v{l}"
    return (f"g = {g};  m{l} ← β₁ m{l} + (1 − β₁) g;  v{l} ← β₂ v{l} + (1 − β₂) g²;  "
            f"W{l} ← W{l} − η m̂ / (√v̂ + ε),  m̂ = m{l} / (1 − β₁ᵗ),  v̂ = v{l} / (1 − β₂ᵗ)")

"""The finite-difference method: every weight's backprop gradient against a central difference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .network import Network
from .spec import NetworkSpec

THRESHOLD = 1e-6


@dataclass(frozen=True)
class WeightCheck:
    layer: int
    row: int  # b (unit of layer l, 1-based)
    col: int  # a (0 is the bias)
    backprop: float
    numeric: float

    @property
    def rel_error(self) -> float:
        return relative_error(self.backprop, self.numeric)


def relative_error(a: float, b: float, floor: float = 1e-8) -> float:
    """|a − b| / max(|a|, |b|, floor): the floor keeps two gradients that are both ~0 from dividing by 0."""
    return abs(a - b) / max(abs(a), abs(b), floor)


def gradient_check(spec: NetworkSpec, weights=None, h: float = 1e-5,
                   examples: Sequence[int] | None = None) -> list[WeightCheck]:
    """∂ℓ_D/∂w by backprop and by (ℓ_D(w + h) − ℓ_D(w − h)) / 2h for every weight; with ``examples``
    (0-based indices, e.g. one update group's), ℓ is summed over those examples only.

    Backprop runs in float64 as everywhere else. The finite differences run in extended precision
    (``np.longdouble``): in float64 their rounding error, about 1e-16·ℓ_D/h, would swamp the tiny
    gradients of a deep sigmoid network's first layers and hide real errors among false ones.
    """
    net = Network(spec)
    weights = weights if weights is not None else spec.weights
    inputs, targets = spec.inputs, spec.targets
    if examples is not None:
        inputs, targets = inputs[list(examples)], targets[list(examples)]
    _, G = net.gradient([np.asarray(w, dtype=float) for w in weights], inputs, targets)
    W = [np.array(w, dtype=np.longdouble) for w in weights]
    X, Y = inputs.astype(np.longdouble), targets.astype(np.longdouble)
    h = np.longdouble(h)
    out = []
    for l, w in enumerate(W, start=1):
        for (b, a), w_ba in np.ndenumerate(w):
            w[b, a] = w_ba + h
            up = net.dataset_loss(W, X, Y)
            w[b, a] = w_ba - h
            down = net.dataset_loss(W, X, Y)
            w[b, a] = w_ba
            out.append(WeightCheck(l, b + 1, a, float(G[l - 1][b, a]), float((up - down) / (2 * h))))
    return out


def worst_per_layer(checks: list[WeightCheck], L: int) -> list[float]:
    worst = [0.0] * L
    for c in checks:
        worst[c.layer - 1] = max(worst[c.layer - 1], c.rel_error)
    return worst


@dataclass(frozen=True)
class InputCheck:
    """∂output/∂input by reverse-mode AD (the stepper's steps) and by a central difference."""

    input: str
    backprop: float
    numeric: float

    @property
    def rel_error(self) -> float:
        return relative_error(self.backprop, self.numeric)


def graph_check(spec, h: float = 1e-5) -> list[InputCheck]:
    """Every input's adjoint after stepping through the graph, against (y(x+h) − y(x−h)) / 2h.

    As for networks, the finite differences run in extended precision (``np.longdouble``).
    """
    from .graph import forward_values
    from .graph_stepper import GraphStepper

    stepper = GraphStepper(spec)
    stepper.goto(len(stepper.schedule))
    given = dict(spec.inputs)
    h = np.longdouble(h)
    out = []
    for name, backprop in stepper.gradient.items():
        x = np.longdouble(given[name])
        up = forward_values(spec, {name: x + h}, np.longdouble)[spec.output]
        down = forward_values(spec, {name: x - h}, np.longdouble)[spec.output]
        out.append(InputCheck(name, float(backprop), float((up - down) / (2 * h))))
    return out

"""The finite-difference method: every weight's backprop gradient against a central difference.

The verdict follows ``torch.autograd.gradcheck``: a gradient g passes when

    |g − fd| ≤ atol + rtol·|fd|,    rtol = 1e−6,

where fd = (ℓ(w + h) − ℓ(w − h)) / 2h and atol is the finite difference's own rounding error,
``ROUNDING·eps·max(|ℓ(w + h)|, |ℓ(w − h)|) / h`` with eps of the precision the differences run in.
A gradient much smaller than ℓ/h·eps cannot be told from 0 by any finite difference, so it is not
judged by its relative error. A NaN or an infinity on either side fails, always.

The step is h = ∛eps·max(1, |w|), scaled with the weight (or input) it moves: ∛eps balances the
central difference's truncation error (∝ h²) against its rounding error (∝ eps/h), and the scale
keeps that balance for large values, e.g. x¹⁰⁰⁰, whose third derivative is huge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from ..engine.kind import Draw
from ..engine.network import Network
from ..formulas.notation import fmt
from ..formats.spec import NetworkSpec

if TYPE_CHECKING:
    from ..graphs.graph import GraphSpec

RTOL = 1e-6
THRESHOLD = RTOL  # the name the views used before atol: the relative tolerance
# atol = ROUNDING·eps·|ℓ|/h: the rounding error of the difference. Measured |fd − g| at most
# 4.7·eps·|ℓ_D|/h (median 0.2) over the bundled examples and 4,600 weights of random networks (every
# activation and loss, up to 4 layers and 155 examples); 16 leaves room without hiding real errors.
ROUNDING = 16
PRECISION = np.longdouble  # the finite differences' precision (float64 where long double is float64)


def step_size(x: float | np.floating, dtype: type[np.floating] = PRECISION) -> np.floating:
    """h = ∛eps·max(1, |x|) in ``dtype``."""
    return dtype(np.cbrt(np.finfo(dtype).eps)) * max(dtype(1), abs(dtype(x)))


def rounding_atol(up: float | np.floating, down: float | np.floating, h: float | np.floating) -> float:
    """The rounding error of (up − down) / 2h when up and down are each right to a few eps of
    ``PRECISION``."""
    return float(ROUNDING * np.finfo(PRECISION).eps * np.maximum(np.abs(up), np.abs(down)) / h)


def relative_error(a: float, b: float, floor: float = 1e-8) -> float:
    """|a − b| / max(|a|, |b|, floor), and ∞ when either is NaN or infinite (reported, not judged:
    the verdict is :func:`passes`)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b), floor)


def passes(backprop: float, numeric: float, atol: float, rtol: float = RTOL) -> bool:
    """|g − fd| ≤ atol + rtol·|fd|, and both finite."""
    if not (math.isfinite(backprop) and math.isfinite(numeric)):
        return False
    return abs(backprop - numeric) <= atol + rtol * abs(numeric)


class _Judged:
    """What a weight's and an input's check share: the two gradients, the rounding allowance, and
    their verdict (:func:`passes`)."""

    backprop: float
    numeric: float
    atol: float

    @property
    def rel_error(self) -> float:
        return relative_error(self.backprop, self.numeric)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.backprop) and math.isfinite(self.numeric)

    @property
    def ok(self) -> bool:
        return passes(self.backprop, self.numeric, self.atol)


@dataclass(frozen=True)
class WeightCheck(_Judged):
    layer: int
    row: int  # b (unit of layer l, 1-based)
    col: int  # a (0 is the bias)
    backprop: float
    numeric: float
    atol: float = 0.0  # the finite difference's rounding error


@dataclass(frozen=True)
class InputCheck(_Judged):
    """∂output/∂input by reverse-mode AD (the stepper's steps) and by a central difference."""

    input: str
    backprop: float
    numeric: float
    atol: float = 0.0


def of_the_mean(checks: Sequence[WeightCheck], m: int) -> list[WeightCheck]:
    """The checks of ∂ℓ_D/∂w for the mean loss over the ``m`` examples checked (a mean profile's ℓ_D: ng's J) rather
    than their sum: both gradients and the rounding allowance divided by m, so every verdict and relative error is
    the sum's."""
    from dataclasses import replace

    return [replace(c, backprop=c.backprop / m, numeric=c.numeric / m, atol=c.atol / m) for c in checks]


def gradient_check(spec: NetworkSpec, weights: Sequence[np.ndarray] | None = None,
                   examples: Sequence[int] | None = None, epoch: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> list[WeightCheck]:
    """∂ℓ_D/∂w by backprop and by (ℓ_D(w + h) − ℓ_D(w − h)) / 2h for every weight; with ``examples``
    (0-based indices, e.g. one update group's), ℓ is summed over those examples only. Both passes
    are training passes of ``epoch`` (a dropout layer's masks are that epoch's).

    Backprop runs in float64 as everywhere else. The finite differences run in extended precision
    (``np.longdouble``, every activation included): in float64 their rounding error, about
    1e-16·ℓ_D/h, would swamp the tiny gradients of a deep sigmoid network's first layers.
    ``progress(done, total)`` is told after every weight checked (the app's `g` draws a bar with it).
    """
    net = Network(spec)
    weights = weights if weights is not None else spec.weights
    inputs, targets, lengths = spec.inputs, spec.targets, spec.lengths
    chosen = np.arange(spec.N) if examples is None else np.asarray(list(examples), dtype=int)
    if examples is not None:
        inputs, targets = inputs[list(examples)], targets[list(examples)]
        lengths = None if lengths is None else lengths[list(examples)]
    draw = Draw(epoch, chosen + 1)
    with np.errstate(all="ignore"):  # an overflow shows as a gradient that is not finite, and fails
        _, G = net.gradient([np.asarray(w, dtype=float) for w in weights], inputs, targets, lengths, draw)
    W = [np.array(w, dtype=PRECISION) for w in weights]
    X, Y = inputs.astype(PRECISION), targets.astype(PRECISION)
    if lengths is not None:  # a recurrent network: every ℓ_D from the input on, through time
        return _weight_checks(W, G, lambda l: net.sequences(W, X, lengths, Y, draw=draw).loss, progress)
    # O⁽ˡ⁻¹⁾ at the given weights: moving a weight of layer l leaves the layers before it alone, so
    # ℓ_D is computed from there on, with the same operations as Network.dataset_loss
    _, O = net.forward_o0(W, net.o0(X), draw=draw)
    Yt = Y.T

    def loss_from(l: int) -> np.floating:
        if net.wiring is not None:  # residual blocks: the whole pass, along the wires
            S, O_all = net.forward_o0(W, net.o0(X), draw=draw)
            return net.example_loss(S[-1], O_all[-1], Yt).sum()
        o = O[l - 1]
        for k in range(l, net.L + 1):
            s, o, _ = net.layer_forward(k, W[k - 1], o, draw)
        assert s is not None  # the output layer is dense: it has an s
        return net.example_loss(s, o, Yt).sum()

    return _weight_checks(W, G, loss_from, progress)


def _weight_checks(W: list[np.ndarray], G: Sequence[np.ndarray], loss_from: Callable[[int], Any],
                   progress: Callable[[int, int], None] | None = None) -> list[WeightCheck]:
    """Each weight moved by ±h in place; ``loss_from(l)`` is ℓ_D after a change to layer l's weights."""
    out: list[WeightCheck] = []
    total = sum(w.size for w in W)
    with np.errstate(all="ignore"):  # a non-finite ℓ_D is reported as such, not warned about
        for l, w in enumerate(W, start=1):
            for (b, a), w_ba in np.ndenumerate(w):
                h = step_size(w_ba)
                w[b, a] = w_ba + h
                up, w_up = loss_from(l), w[b, a]
                w[b, a] = w_ba - h
                down, w_down = loss_from(l), w[b, a]
                w[b, a] = w_ba
                numeric = (up - down) / (w_up - w_down)  # the step as it was taken, after rounding
                out.append(WeightCheck(l, b + 1, a, float(G[l - 1][b, a]), float(numeric),
                                       rounding_atol(up, down, h)))
                if progress is not None:
                    progress(len(out), total)
    return out


def graph_check(spec: GraphSpec) -> list[InputCheck]:
    """Every input's adjoint after stepping through the graph, against (y(x+h) − y(x−h)) / 2h.

    As for networks, the finite differences run in extended precision (``np.longdouble``).
    """
    from ..graphs.graph import forward_values
    from ..graphs.graph_stepper import GraphStepper

    stepper = GraphStepper(spec)
    stepper.goto(len(stepper.schedule))
    given = dict(spec.inputs)
    out = []
    with np.errstate(all="ignore"):
        for name, backprop in stepper.gradient.items():
            x = PRECISION(given[name])
            h = step_size(x)
            x_up, x_down = x + h, x - h
            up = forward_values(spec, {name: x_up}, PRECISION)[spec.output]
            down = forward_values(spec, {name: x_down}, PRECISION)[spec.output]
            numeric = (up - down) / (x_up - x_down)
            out.append(InputCheck(name, math.nan if backprop is None else float(backprop), float(numeric),
                                  rounding_atol(up, down, h)))
    return out


def worst_per_layer(checks: Sequence[WeightCheck], L: int) -> list[float]:
    """The largest relative error of each layer (∞ where a gradient is not finite)."""
    worst = [0.0] * L
    for c in checks:
        worst[c.layer - 1] = max(worst[c.layer - 1], c.rel_error)
    return worst


@dataclass(frozen=True)
class Verdict:
    """What a whole check says: how many gradients failed, how many are not finite, the worst error."""

    checked: int
    failed: int
    nonfinite: int
    worst: float  # the largest relative error (∞ when a gradient is not finite)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def word(self) -> str:
        return "ok" if self.ok else "FAILED"


def verdict(checks: Sequence[WeightCheck] | Sequence[InputCheck]) -> Verdict:
    """The verdict of a check: every gradient passes (see :func:`passes`); the same in any order."""
    return Verdict(len(checks), sum(not c.ok for c in checks), sum(not c.finite for c in checks),
                   max((c.rel_error for c in checks), default=0.0))


def rule_text(loss: str = "ℓ_D", var: str = "w") -> str:
    """The pass rule in words, for the CLI and the ``g`` screen."""
    eps = fmt(float(np.finfo(PRECISION).eps), '.1e')
    return (f"|g − fd| ≤ atol + {fmt(RTOL, 'g')}·|fd|, atol = {ROUNDING}·eps·|{loss}|/h (the difference's rounding error; "
            f"eps = {eps}, h = ∛eps·max(1, |{var}|))")

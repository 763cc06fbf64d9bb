"""What each unit computes over the input plane, and which weights a step uses (no Textual here).

For a network of two inputs, :func:`unit_maps` evaluates every unit's output o_b⁽ˡ⁾ at each point
of a grid over the plane of x₁ and x₂, with the weights given: one batched forward pass
(the grid's points are the columns of O⁽⁰⁾), the same :class:`~.network.Network` code the stepper
and training run. The neural-network diagram draws each unit's map, as TensorFlow Playground does.

:func:`weights_used` says which W⁽ˡ⁾ a step of the schedule reads or writes, from its key alone,
following the lecture's equations: s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ reads W⁽ˡ⁾; δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f′(s⁽ˡ⁾)
reads W⁽ˡ⁺¹⁾; G⁽ˡ⁾ += δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ is W⁽ˡ⁾'s gradient; the update writes W⁽ˡ⁾.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .network import Network
from .schedule import BACKWARD, FORWARD, UPDATE, StepKey
from .netspec import NetworkSpec
from .train import plane_ranges

# the range of each activation's output, where it is bounded (a map's shades span it); others: the map's own
BOUNDED = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass(frozen=True, eq=False)
class UnitMaps:
    """Every unit's output over a ``height`` × ``width`` grid of the input plane.

    ``maps[l]`` has shape d⁽ˡ⁾ × height × width: ``maps[l][b - 1, i, j]`` is o_b⁽ˡ⁾ at the input
    (xs[j], ys[i]); row 0 is the smallest x₂. ``maps[0]`` holds the inputs x₁ and x₂ themselves.
    ``ranges[l]`` is the span the shades of layer l cover: the activation's range where it is
    bounded, else the layer's own smallest and largest value on the grid (finite ones).
    """

    xs: np.ndarray
    ys: np.ndarray
    maps: list[np.ndarray]
    ranges: list[tuple[float, float]]

    def cell(self, x: np.ndarray) -> tuple[int, int]:
        """(i, j): the grid point nearest the input x (clipped to the grid), row i from the smallest x₂."""
        def nearest(v: float, axis: np.ndarray) -> int:
            if not np.isfinite(v):
                return 0
            return int(np.clip(np.rint((v - axis[0]) / ((axis[-1] - axis[0]) or 1.0) * (len(axis) - 1)), 0, len(axis) - 1))

        return nearest(float(x[1]), self.ys), nearest(float(x[0]), self.xs)

    def level(self, l: int, b: int, levels: int) -> np.ndarray:
        """Unit b of layer l as integers 0 … levels − 1 over the grid (nan: the middle)."""
        return self._levels(self.maps[l][b - 1], l, levels)

    def layer_levels(self, l: int, levels: int) -> np.ndarray:
        """Every unit of layer l as :meth:`level` gives it (``[b - 1]``: unit b), in one pass."""
        return self._levels(self.maps[l], l, levels)

    def _levels(self, values: np.ndarray, l: int, levels: int) -> np.ndarray:
        lo, hi = self.ranges[l]
        with np.errstate(invalid="ignore", over="ignore"):
            t = (values - lo) / ((hi - lo) or 1.0)
        t = np.nan_to_num(np.clip(t, 0.0, 1.0), nan=0.5)
        return np.rint(t * (levels - 1)).astype(int)


def unit_maps(spec: NetworkSpec, weights: Sequence[np.ndarray], width: int, height: int) -> UnitMaps:
    """Each unit's o_b⁽ˡ⁾ over the plane, for a dense network of two inputs (see :class:`UnitMaps`)."""
    if spec.widths[0] != 2 or spec.is_v2:
        raise ValueError(f"unit maps need a dense network of 2 inputs, {spec.name} has {spec.widths[0]}")
    (x0, x1), (y0, y1) = plane_ranges(spec)
    xs, ys = np.linspace(x0, x1, width), np.linspace(y0, y1, height)
    gx, gy = np.meshgrid(xs, ys)
    net = Network(spec)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        _, O = net.forward(weights, np.stack([gx.ravel(), gy.ravel()], axis=1))
    maps, ranges = [], []
    for l in range(spec.L + 1):
        units = net.units(l, O[l])  # without the bias row
        maps.append(units.reshape(len(units), height, width))
        if l == 0:  # x₁ and x₂: the plane's own span
            ranges.append((float(min(x0, y0)), float(max(x1, y1))))
            continue
        bounded = BOUNDED.get(spec.activations[l - 1])
        if bounded is None:
            finite = units[np.isfinite(units)]
            bounded = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        ranges.append(bounded)
    return UnitMaps(xs, ys, maps, ranges)


def weights_used(key: StepKey, L: int) -> frozenset[int]:
    """The layers l whose W⁽ˡ⁾ the step ``key`` reads or writes (see the module's docstring)."""
    l = key.layer
    if l is None:  # the loss: ℓ(o⁽ᴸ⁾, y), no weights
        return frozenset()
    if key.phase == FORWARD:
        return frozenset({l}) if key.quantity == "s" else frozenset()  # o⁽ˡ⁾ = f(s⁽ˡ⁾) reads none
    if key.phase == BACKWARD and key.quantity == "delta":
        return frozenset({l + 1}) if l < L else frozenset()  # δ⁽ᴸ⁾ from ℓ alone
    if key.phase in (BACKWARD, UPDATE):  # G⁽ˡ⁾, W⁽ˡ⁾ ← W⁽ˡ⁾ − η G⁽ˡ⁾
        return frozenset({l})
    return frozenset()  # pragma: no cover - the schedule has no other phases

"""What one layer panel shows, derived from the stepper's state (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.schedule import UPDATE
from ..core.stepper import Stepper

MAX_MATRIX_COLS = 8  # bias + 7 weight columns; wider matrices say how many columns are hidden


@dataclass(frozen=True)
class LayerView:
    layer: int
    activation: str
    W: np.ndarray
    G: np.ndarray
    s: np.ndarray | None
    o: np.ndarray | None  # with the leading 1 for a hidden layer
    delta: np.ndarray | None
    hidden: bool  # o⁽ˡ⁾ has a bias entry (row b = 0)
    produced: str | None  # quantity the last step produced in this layer: W s o delta G
    changed: np.ndarray | None  # cells of the produced quantity whose value changed
    stale: bool  # s, o, δ belong to a pass that has ended (update steps follow)


def layer_views(stepper: Stepper) -> list[LayerView]:
    st, spec, last = stepper.state, stepper.spec, stepper.last
    stale = last is not None and last.key.phase == UPDATE
    views = []
    for l in range(1, spec.L + 1):
        produced = changed = None
        if last is not None and last.key.layer == l:
            produced = last.key.quantity
            value = np.asarray(last.value)
            changed = np.ones(value.shape, bool) if last.before is None else value != last.before
        views.append(LayerView(
            layer=l, activation=spec.activations[l - 1], W=st.W[l], G=st.G[l], s=st.s[l], o=st.o[l],
            delta=st.delta[l], hidden=l < spec.L, produced=produced, changed=changed, stale=stale,
        ))
    return views


def cell(x: float, digits: int) -> str:
    """A number in a fixed width: ``digits`` decimals, or a short scientific form for tiny values."""
    if x == 0:
        text = "0"
    elif abs(x) >= 10 ** -(digits - 1) and abs(x) < 10**5:
        text = f"{x:.{digits}f}"
    else:
        mantissa, exp = f"{x:.{max(digits - 2, 1)}e}".split("e")
        text = f"{mantissa}e{int(exp)}"
    return text.replace("-", "−")


def cell_width(digits: int) -> int:
    return digits + 5

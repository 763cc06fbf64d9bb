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
    optimizer: tuple = ()  # (label, matrix) of the optimizer's state: momentum's v; adam's m and v


OPT_LABELS = {
    "momentum": {"v": "v{l} (velocity: v ← μv + g)"},
    "adam": {"m": "m{l} (1st moment, t = {t})", "v": "v{l} (2nd moment, t = {t})"},
}


def optimizer_state(stepper: Stepper, l: int) -> tuple:
    """The matrices the optimizer keeps for layer l, labelled, to show beside W⁽ˡ⁾."""
    from ..core.notation import sup

    state = stepper.state.opt[l]
    labels = OPT_LABELS.get(stepper.spec.optimizer.name, {})
    return tuple((labels[name].format(l=sup(l), t=state.t), array)
                 for name, array in state.arrays().items() if name in labels)


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
            optimizer=optimizer_state(stepper, l),
        ))
    return views


FIXED, SCIENTIFIC = "f", "e"


def number_format(values: np.ndarray | None, digits: int) -> str:
    """One format for a whole matrix or vector, so that a column never switches between
    ``0.47`` and ``6.9e−2``: fixed decimals, unless a nonzero value would lose its digits there
    (below 10^−(digits−1)) or be too wide (10⁵ and more); then scientific for all."""
    if values is None:
        return FIXED
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a) & (a != 0)]
    if a.size and (a.min() < 10.0 ** -(digits - 1) or a.max() >= 1e5):
        return SCIENTIFIC
    return FIXED


def cell(x: float, digits: int, fmt: str | None = None) -> str:
    """A number in a fixed width: ``digits`` decimals, or a short scientific form (``fmt``: the
    format of its matrix, from :func:`number_format`; None chooses for this number alone).
    inf and nan read ``∞``, ``−∞`` and ``nan``, without colour."""
    if (special := nonfinite_text(x)) is not None:
        return special
    if fmt is None:
        ax = abs(x)
        fmt = SCIENTIFIC if ax and (ax < 10.0 ** -(digits - 1) or ax >= 1e5) else FIXED
    if x == 0:
        text = "0"
    elif fmt == FIXED:
        text = f"{x:.{digits}f}"
    else:
        mantissa, exp = f"{x:.{max(digits - 2, 1)}e}".split("e")
        text = f"{mantissa}e{int(exp)}"
    return text.replace("-", "−")


def finite(x: float) -> bool:
    return x == x and x not in (INF, -INF)


def nonfinite_text(x: float) -> str | None:
    """``∞``, ``−∞`` or ``nan`` for a number that is not finite; None for one that is."""
    if x != x:
        return "nan"
    if x in (INF, -INF):
        return "∞" if x > 0 else "−∞"
    return None


INF = float("inf")


def cell_width(digits: int) -> int:
    return max(digits + 5, 9)  # room for the short scientific form, −1.0e−5•

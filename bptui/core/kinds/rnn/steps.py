"""The step code of a recurrent network (recurrent layers, stacked or not, and dense layers at each
time step or once): one step of :func:`~bptui.core.engine.schedule.sequence_block` on the stepper's
board.

On the board, a quantity that has a value at every time step is a matrix with one row per τ (row
τ − 1 holds τ; NaN until its step is done): a recurrent layer's s⁽ˡ⁾ (T × h), δ⁽ˡ⁾ (T × h) and
o⁽ˡ⁾ ((T + 1) × h, row 0 is o⁽ˡ⁾_0 = 0), the input o⁽⁰⁾ (T × (1 + d), rows [1, x_τ]), and each dense
layer that runs at each time step (rows s⁽ˡ⁾_τ, o⁽ˡ⁾_τ = [1, f(s⁽ˡ⁾_τ)], δ⁽ˡ⁾_τ). The layers above a
many-to-one recurrent layer hold vectors as in a dense network, computed once from [1, o_T]. A step's own value is the row
it computed (G: the whole G, summed so far; the loss: ℓ⁽ⁿ⁾ summed over τ). Every array is new and
read-only, as the stepper requires.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layer import Recurrent
from ...engine.kind import timed_layers
from ...engine.network import Network
from ...engine.wiring import source
from ...engine.schedule import BACKWARD, FORWARD, LOSS, StepKey


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _set_row(a: np.ndarray, i: int, row: np.ndarray) -> np.ndarray:
    out = np.array(a)
    out[i] = row
    return _ro(out)


def _nan(rows: int, cols: int) -> np.ndarray:
    return _ro(np.full((rows, cols), np.nan))


def start_example(net: Network, x: np.ndarray) -> tuple[list, list, list, dict]:
    """s, o, δ of the board at an example's start, and the kinds' own quantities over time (keyed
    (quantity, layer): an LSTM's gates, c, ∂ℓ/∂h, ∂ℓ/∂c): o⁽⁰⁾ rows [1, x_τ], the per-τ matrices of NaN for
    every layer that runs at each time step (a recurrent layer's o with o_0 = 0 in row 0, its rows from
    its kind's ``start_rows``)."""
    spec, L = net.spec, net.L
    T = len(x)
    s: list = [None] * (L + 1)
    o: list = [_ro(np.concatenate([np.ones((T, 1)), x], axis=1))] + [None] * L
    d: list = [None] * (L + 1)
    extra: dict = {}
    for l, timed in enumerate(timed_layers(net.kinds), start=1):
        if not timed:
            continue
        kind = net.kinds[l - 1]
        if isinstance(kind, Recurrent):
            sl, ol, dl, own = kind.start_rows(T)
            s[l], o[l], d[l] = _ro(sl), _ro(ol), _ro(dl)
            extra.update({(q, l): _ro(a) for q, a in own.items()})
            continue
        w = spec.widths[l]
        s[l], d[l] = _nan(T, w), _nan(T, w)
        o[l] = _nan(T, w + (1 if l < L else 0))
    return s, o, d, extra


def below(net: Network, st: Any, l: int, t: int | None) -> np.ndarray:
    """The vector layer l's W multiplies at time t (None: once, above a many-to-one layer): [1, x_τ]
    from the input, [1, o⁽ˡ⁻¹⁾_τ] (or [1, o⁽ˡ⁻¹⁾_T]) from a kind over time, a dense layer's o⁽ˡ⁻¹⁾ (at τ);
    in a network with residual blocks, the o of the layer it reads along the wires."""
    src = source(net, l)  # l − 1, or along a residual block's wires
    if src == 0:
        assert t is not None
        return st.o[0][t - 1]
    if net.kinds[src - 1].over_time:
        T = len(st.o[src]) - 1
        return np.concatenate([[1.0], st.o[src][T if t is None else t]])
    return st.o[src] if t is None else st.o[src][t - 1]


def at(a: np.ndarray, t: int | None) -> np.ndarray:
    """A board quantity at time t (its row τ − 1), or the vector itself (t is None)."""
    return a if t is None else a[t - 1]


def from_above(net: Network, st: Any, l: int, t: int | None) -> np.ndarray:
    """The gradient arriving at o⁽ˡ⁾_τ's units from layer l + 1: (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] (only W's part of a
    recurrent layer's [W | U]), or a layer norm's δ row itself (its ∂ℓ/∂x⁽ˡ⁺¹⁾_τ is ∂ℓ/∂o⁽ˡ⁾_τ); from a
    layer that runs once (above a many-to-one layer), at τ = T only, zero before (t None: once)."""
    w = net.spec.widths[l]
    timed = t is not None and timed_layers(net.kinds)[l]
    if t is not None and not timed and t != len(st.s[l]):
        return np.zeros(w)
    g = st.delta[l + 1][t - 1] if timed and t is not None else st.delta[l + 1]
    above = net.kinds[l]
    if above.own_steps:
        return g
    W = st.W[l + 1] if not above.over_time else st.W[l + 1][:, :1 + w]
    return (W.T @ g)[1:]


def from_next(net: Network, st: Any, l: int, t: int) -> np.ndarray:
    """The part of δ⁽ˡ⁾_τ (an LSTM's ∂ℓ/∂h⁽ˡ⁾_τ) that comes from τ + 1: Uᵀ δ⁽ˡ⁾_{τ+1} (zero at τ = T)."""
    rnn = net.kinds[l - 1]
    assert isinstance(rnn, Recurrent)
    if t == len(st.s[l]):
        return np.zeros(rnn.h)
    return rnn.U_part(st.W[l]).T @ st.delta[l][t]


def rnn_input(net: Network, st: Any, l: int, t: int) -> np.ndarray:
    """[1, x_τ, o⁽ˡ⁾_{τ−1}]: what recurrent layer l's stored [W | U] multiplies at τ (G⁽ˡ⁾'s increment is
    δ_τ times it); x_τ is the layer below's o at τ."""
    return np.concatenate([below(net, st, l, t), st.o[l][t - 1]])


def add_G(st: Any, l: int, increment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + ``increment``: (the new G, the G it replaced)."""
    before = st.G[l]
    value = st.G[l] = _ro(before + increment)
    return value, before


def rnn_step(net: Network, st: Any, key: StepKey) -> tuple[np.ndarray, np.ndarray | None]:
    """A recurrent layer's own step at τ: s⁽ˡ⁾_τ = [W | U] [1, x_τ, o⁽ˡ⁾_{τ−1}], o⁽ˡ⁾_τ = f(s⁽ˡ⁾_τ),
    δ⁽ˡ⁾_τ = (Uᵀ δ⁽ˡ⁾_{τ+1} + (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:]) ⊙ f′(s⁽ˡ⁾_τ), or G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾_τ [1, x_τ, o⁽ˡ⁾_{τ−1}]ᵀ
    (with the G it replaced)."""
    l, t = key.layer, key.time
    assert l is not None and t is not None
    if key.quantity == "G":
        return add_G(st, l, np.outer(st.delta[l][t - 1], rnn_input(net, st, l, t)))
    if key.quantity == "s":
        value = _ro(st.W[l] @ rnn_input(net, st, l, t))
        st.s[l] = _set_row(st.s[l], t - 1, value)
    elif key.quantity == "o":
        value = _ro(net.f(l, st.s[l][t - 1]))
        st.o[l] = _set_row(st.o[l], t, value)
    else:
        value = _ro((from_next(net, st, l, t) + from_above(net, st, l, t)) * net.df(l, st.s[l][t - 1], st.o[l][t]))
        st.delta[l] = _set_row(st.delta[l], t - 1, value)
    return value, None


def set_extra(st: Any, quantity: str, l: int, row: int, value: np.ndarray) -> np.ndarray:
    """Write ``value`` into row ``row`` of a kind's own board quantity (``st.extra[quantity, l]``)."""
    st.extra[quantity, l] = _set_row(st.extra[quantity, l], row, value)
    return value


def apply(net: Network, st: Any, key: StepKey) -> tuple[np.ndarray | float, np.ndarray | None]:
    """Do step ``key`` on the board ``st``; returns (the step's value, the G it replaced or None)."""
    L, t, l = net.L, key.time, key.layer
    if key.phase == LOSS:
        if net.spec.return_sequences:
            return float(net.example_loss(st.s[L].T, st.o[L].T, st.y.T).sum()), None
        return float(net.example_loss(st.s[L], st.o[L], st.y)), None
    assert l is not None
    kind = net.kinds[l - 1]
    if kind.own_steps:  # a layer norm at τ (or once): its kind's step on the rows of τ
        return kind.step_at(st, key, below(net, st, l, t), lambda: from_above(net, st, l, t))
    if isinstance(kind, Recurrent):  # the layer's own steps at τ (its kind's)
        return kind.time_step(net, st, key)
    if key.phase == FORWARD and key.quantity == "s":
        value = _ro(st.W[l] @ below(net, st, l, t))
        st.s[l] = value if t is None else _set_row(st.s[l], t - 1, value)
        return value, None
    if key.phase == FORWARD:
        value = _ro(net.activation_out(l, at(st.s[l], t)))
        st.o[l] = value if t is None else _set_row(st.o[l], t - 1, value)
        return value, None
    if key.quantity == "delta":
        if l == L:
            y = st.y if t is None else st.y[t - 1]
            value = _ro(net.output_delta(at(st.s[L], t), at(st.o[L], t), y))
        else:  # ∂ℓ/∂o⁽ˡ⁾_τ from the layer above (at τ, or once) ⊙ f′(s⁽ˡ⁾_τ)
            value = _ro(from_above(net, st, l, t) * net.df(l, at(st.s[l], t), at(st.o[l], t)[1:]))
        st.delta[l] = value if t is None else _set_row(st.delta[l], t - 1, value)
        return value, None
    assert key.phase == BACKWARD
    return add_G(st, l, np.outer(at(st.delta[l], t), below(net, st, l, t)))

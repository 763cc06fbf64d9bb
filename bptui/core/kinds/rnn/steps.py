"""The step code of a recurrent network (layer 1 ``rnn``, layers 2..L dense): one step of
:func:`~bptui.core.engine.schedule.sequence_block` on the stepper's board.

On the board, a quantity that has a value at every time step is a matrix with one row per τ (row
τ − 1 holds τ; NaN until its step is done): the recurrent layer's s⁽¹⁾ (T × h), δ⁽¹⁾ (T × h) and
o⁽¹⁾ ((T + 1) × h, row 0 is o⁽¹⁾_0 = 0), the input o⁽⁰⁾ (T × (1 + d), rows [1, x_τ]), and with
``return_sequences`` the layers above (rows s⁽ˡ⁾_τ, o⁽ˡ⁾_τ, δ⁽ˡ⁾_τ). Many-to-one, the layers above
hold vectors as in a dense network, computed once from [1, o⁽¹⁾_T]. A step's own value is the row
it computed (G: the whole G, summed so far; the loss: ℓ⁽ⁿ⁾ summed over τ). Every array is new and
read-only, as the stepper requires.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import Rnn
from ...engine.network import Network
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


def start_example(net: Network, x: np.ndarray) -> tuple[list, list, list]:
    """s, o, δ of the board at an example's start: o⁽⁰⁾ rows [1, x_τ], the per-τ matrices of NaN."""
    spec, L = net.spec, net.L
    T = len(x)
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    o0 = _ro(np.concatenate([np.ones((T, 1)), x], axis=1))
    o1 = np.full((T + 1, rnn.h), np.nan)
    o1[0] = 0.0
    s: list = [None, _nan(T, rnn.h)] + [None] * (L - 1)
    o: list = [o0, _ro(o1)] + [None] * (L - 1)
    d: list = [None, _nan(T, rnn.h)] + [None] * (L - 1)
    if rnn.return_sequences:
        for l in range(2, L + 1):
            w = spec.widths[l]
            s[l], d[l] = _nan(T, w), _nan(T, w)
            o[l] = _nan(T, w + (1 if l < L else 0))
    return s, o, d


def below(net: Network, st: Any, l: int, t: int | None) -> np.ndarray:
    """The vector layer l multiplies at time t (None: many-to-one): [1, x_τ] for the recurrent layer's
    W part, [1, o⁽¹⁾_τ] (or [1, o⁽¹⁾_T]) for layer 2, o⁽ˡ⁻¹⁾ (at τ) above."""
    if l == 1:
        assert t is not None
        return st.o[0][t - 1]
    if l == 2:
        T = len(st.o[1]) - 1
        return np.concatenate([[1.0], st.o[1][T if t is None else t]])
    return st.o[l - 1] if t is None else st.o[l - 1][t - 1]


def at(a: np.ndarray, t: int | None) -> np.ndarray:
    """A board quantity at time t (its row τ − 1), or the vector itself (t is None)."""
    return a if t is None else a[t - 1]


def from_above(net: Network, st: Any, t: int) -> np.ndarray:
    """The gradient arriving at o⁽¹⁾_τ from layer 2: (W⁽²⁾ᵀ δ⁽²⁾_τ)[1:] (many-to-one: at τ = T only,
    zero before)."""
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    T = len(st.s[1])
    if rnn.return_sequences:
        return (st.W[2].T @ st.delta[2][t - 1])[1:]
    if t == T:
        return (st.W[2].T @ st.delta[2])[1:]
    return np.zeros(rnn.h)


def from_next(net: Network, st: Any, t: int) -> np.ndarray:
    """The part of δ⁽¹⁾_τ that comes from τ + 1: Uᵀ δ⁽¹⁾_{τ+1} (zero at τ = T)."""
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    if t == len(st.s[1]):
        return np.zeros(rnn.h)
    return rnn.U_part(st.W[1]).T @ st.delta[1][t]


def rnn_input(st: Any, t: int) -> np.ndarray:
    """[1, x_τ, o⁽¹⁾_{τ−1}]: what the stored [W | U] multiplies at τ (G⁽¹⁾'s increment is δ_τ times it)."""
    return np.concatenate([st.o[0][t - 1], st.o[1][t - 1]])


def apply(net: Network, st: Any, key: StepKey) -> tuple[np.ndarray | float, np.ndarray | None]:
    """Do step ``key`` on the board ``st``; returns (the step's value, the G it replaced or None)."""
    L, t, l = net.L, key.time, key.layer
    seqs = net.spec.return_sequences
    if key.phase == LOSS:
        if seqs:
            return float(net.example_loss(st.s[L].T, st.o[L].T, st.y.T).sum()), None
        return float(net.example_loss(st.s[L], st.o[L], st.y)), None
    assert l is not None
    if key.phase == FORWARD and key.quantity == "s":
        if l == 1:
            assert t is not None
            value = _ro(st.W[1] @ rnn_input(st, t))
            st.s[1] = _set_row(st.s[1], t - 1, value)
        else:
            value = _ro(st.W[l] @ below(net, st, l, t))
            st.s[l] = value if t is None else _set_row(st.s[l], t - 1, value)
        return value, None
    if key.phase == FORWARD:
        if l == 1:
            assert t is not None
            value = _ro(net.f(1, st.s[1][t - 1]))
            st.o[1] = _set_row(st.o[1], t, value)
        else:
            value = _ro(net.activation_out(l, at(st.s[l], t)))
            st.o[l] = value if t is None else _set_row(st.o[l], t - 1, value)
        return value, None
    if key.quantity == "delta":
        if l == 1:
            assert t is not None
            value = _ro((from_next(net, st, t) + from_above(net, st, t)) * net.df(1, st.s[1][t - 1], st.o[1][t]))
            st.delta[1] = _set_row(st.delta[1], t - 1, value)
            return value, None
        if l == L:
            y = st.y if t is None else st.y[t - 1]
            value = _ro(net.output_delta(at(st.s[L], t), at(st.o[L], t), y))
        else:
            value = _ro(net.hidden_delta(l, st.W[l + 1], at(st.delta[l + 1], t), at(st.s[l], t), at(st.o[l], t)))
        st.delta[l] = value if t is None else _set_row(st.delta[l], t - 1, value)
        return value, None
    assert key.phase == BACKWARD
    before = st.G[l]
    inp = rnn_input(st, t) if l == 1 and t is not None else below(net, st, l, t)
    value = st.G[l] = _ro(before + np.outer(at(st.delta[l], t), inp))
    return value, before

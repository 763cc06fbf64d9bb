"""The step code of a network with attention layers (and dense layers at each time step), on the
stepper's board.

An attention layer reads the whole sequence below it, so the schedule does every τ of the layers below
before it and gives its steps no τ (``LayerKind.mixes_time``): each step computes a whole matrix, one
row per τ. On the board, layer l's o⁽ˡ⁾ is (T + 1) × d with o_τ in row τ and row 0 zero, as every kind
over time keeps it (the dense layer above reads [1, o⁽ˡ⁾_τ]); δ⁽ˡ⁾ holds ∂ℓ/∂o⁽ˡ⁾ (T × d), as a pooling
layer's does. Its own quantities are in ``State.extra`` keyed (quantity, l): q, k, v, z and their
gradients dq, dk, dv, dz (T × dk), scores, a, da and delta (H × T × T, one T × T matrix per head), and
dx (T × d), ∂ℓ/∂x_τ handed to the layer below. The dense layers' steps and the loss are the recurrent
family's (core/kinds/rnn/steps.py) but for δ of a dense layer under an attention layer, which reads dx.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...engine.network import Network
from ...engine.quizcells import QuizCell
from ...engine.explain import Cell
from ...formulas.formula import Ref
from ..rnn import steps as seq
from .layer import WEIGHTS, Attention, softmax_back, softmax_rows

FORWARD_OWN = ("q", "k", "v", "scores", "a", "z")
BACKWARD_OWN = ("dz", "da", "delta", "dq", "dk", "dv", "dx")
G_STEPS = tuple(f"G{name}" for name in WEIGHTS)  # the steps G_Q … G_O: trace's "G" with "weight"


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def start_example(net: Network, x: np.ndarray) -> tuple[list, list, list, dict]:
    """The recurrent family's board (core/kinds/rnn/steps.py), with each attention layer's o as
    (T + 1) × d (row 0 zero), its δ (∂ℓ/∂o) T × d, no s, and its own quantities NaN until computed."""
    s, o, d, extra = seq.start_example(net, x)
    T = len(x)
    for l, kind in enumerate(net.kinds, start=1):
        if not isinstance(kind, Attention):
            continue
        ol = np.full((T + 1, kind.d), np.nan)
        ol[0] = 0.0
        s[l], o[l], d[l] = None, _ro(ol), _ro(np.full((T, kind.d), np.nan))
        for q in FORWARD_OWN + BACKWARD_OWN:
            extra[q, l] = _ro(np.full(shape(kind, q, T), np.nan))
    return s, o, d, extra


def shape(kind: Attention, quantity: str, T: int) -> tuple[int, ...]:
    if quantity in ("scores", "a", "da", "delta"):
        return (kind.heads, T, T)
    if quantity == "dx":
        return (T, kind.d)
    return (T, kind.dk)


def layer_input(net: Network, st: Any, l: int) -> np.ndarray:
    """x_1 … x_T (T × d), the rows attention layer l reads: the input's x_τ, a dense layer's units
    (without its bias entry 1), or the attention layer below's o_τ."""
    below = st.o[l - 1]
    if l > 1 and net.kinds[l - 2].over_time:
        return below[1:]
    return below[:, 1:]


def with_one(x: np.ndarray) -> np.ndarray:
    """Rows [1; x_τ]."""
    return np.concatenate([np.ones((len(x), 1)), x], axis=1)


def heads(kind: Attention, Y: np.ndarray) -> np.ndarray:
    """T × dk → H × T × dh."""
    return Y.reshape(len(Y), kind.heads, kind.dh).transpose(1, 0, 2)


def stacked(Y: np.ndarray) -> np.ndarray:
    """H × T × dh → T × dk (the heads side by side)."""
    return Y.transpose(1, 0, 2).reshape(Y.shape[1], -1)


def causal_mask(kind: Attention, T: int) -> np.ndarray | None:
    return np.tril(np.ones((T, T), dtype=bool))[None] if kind.causal else None


def from_above(net: Network, st: Any, l: int) -> np.ndarray:
    """∂ℓ/∂o⁽ˡ⁾_τ for every τ (T × d): (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] from a dense layer above, or the dx of an
    attention layer above."""
    if isinstance(net.kinds[l], Attention):
        return st.extra["dx", l + 1]
    return st.delta[l + 1] @ st.W[l + 1][:, 1:]


def compute(kind: Attention, net: Network, st: Any, l: int, q: str) -> np.ndarray:
    """The value of attention layer l's step ``q`` from the board."""
    W, ex = st.W[l], st.extra
    x1 = with_one(layer_input(net, st, l))
    T = len(x1)
    root = math.sqrt(kind.dh)
    if q in ("q", "k", "v"):
        return x1 @ kind.part(W, q.upper()).T
    if q == "scores":
        return heads(kind, ex["q", l]) @ heads(kind, ex["k", l]).transpose(0, 2, 1) / root
    if q == "a":
        return softmax_rows(ex["scores", l], causal_mask(kind, T))
    if q == "z":
        return stacked(ex["a", l] @ heads(kind, ex["v", l]))
    if q == "o":
        return with_one(ex["z", l]) @ kind.part(W, "O").T
    if q == "dz":
        return st.delta[l] @ kind.part(W, "O")[:, 1:]
    if q == "da":
        return heads(kind, ex["dz", l]) @ heads(kind, ex["v", l]).transpose(0, 2, 1)
    if q == "delta":
        return softmax_back(ex["a", l], ex["da", l])
    if q == "dq":
        return stacked(ex["delta", l] @ heads(kind, ex["k", l]) / root)
    if q == "dk":
        return stacked(ex["delta", l].transpose(0, 2, 1) @ heads(kind, ex["q", l]) / root)
    if q == "dv":
        return stacked(ex["a", l].transpose(0, 2, 1) @ heads(kind, ex["dz", l]))
    if q == "dx":
        return sum(ex[g, l] @ kind.part(W, g[1:].upper())[:, 1:] for g in ("dq", "dk", "dv"))
    name = q[1:]
    if name == "O":
        return st.delta[l].T @ with_one(ex["z", l])
    return ex[f"d{name.lower()}", l].T @ x1


def grad_block(kind: Attention, name: str, part: np.ndarray) -> np.ndarray:
    """The stored-matrix shape of G with ``part`` in matrix ``name``'s place, 0 elsewhere."""
    full = np.zeros(kind.param_shape)
    kind.part(full, name)[...] = part
    return full


def apply(net: Network, st: Any, key: Any) -> tuple[Any, Any]:
    """Do step ``key`` on the board ``st``: an attention layer's own step, δ of a dense layer under one
    (∂ℓ/∂x_τ from its dx, ⊙ f′), or the recurrent family's step of a dense layer or the loss. A G step's
    value is the one matrix it adds to (G_Q … G_O); ``before`` the G it replaced."""
    l = key.layer
    kind = net.kinds[l - 1] if l is not None else None
    if isinstance(kind, Attention):
        q = key.quantity
        if q == "dz":  # ∂ℓ/∂o⁽ˡ⁾ is on the board from here: the δ of a layer with no s
            st.delta[l] = _ro(from_above(net, st, l))
        value = _ro(compute(kind, net, st, l, q))
        if q in G_STEPS:
            before = st.G[l]
            st.G[l] = _ro(before + grad_block(kind, q[1:], value))
            return value, before
        if q == "o":
            st.o[l] = _ro(np.concatenate([np.zeros((1, kind.d)), value]))
        else:
            st.extra[q, l] = value
        return value, None
    if (key.phase == "backward" and key.quantity == "delta" and l is not None and l < net.L
            and isinstance(net.kinds[l], Attention)):
        t = key.time
        dx = st.extra["dx", l + 1][t - 1]
        value = _ro(dx * net.df(l, st.s[l][t - 1], st.o[l][t - 1][1:]))
        st.delta[l] = seq._set_row(st.delta[l], t - 1, value)
        return value, None
    return seq.apply(net, st, key)


def quiz_cells(kind: Attention, l: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
    """Each entry of a step's matrix (q_τ,b …, a_h,τ,τ′ …; o_τ,b), named by its position from 1."""
    q = key.quantity
    arr = None if value is None else np.asarray(value)
    if arr is None:
        return ()
    row0 = 1 if q == "o" else 0  # o keeps row 0 for o_0
    out = []
    for pos in np.ndindex(*arr.shape):
        ref_q = "o" if q == "o" else ("delta" if q == "delta" else q)
        index = (pos[0] + row0,) + pos[1:] if q == "o" else pos
        out.append(QuizCell(Cell(ref_q, l, tuple(p + 1 for p in pos), kind=kind), Ref(ref_q, l, index), None,
                            float(arr[pos])))
    return tuple(out)

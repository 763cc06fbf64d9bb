"""The step code of a network with attention layers (and dense layers at each time step), on the
stepper's board.

An attention layer reads the whole sequence below it, so the schedule does every τ of the layers below
before it and gives its steps no τ (``LayerKind.mixes_time``): each step computes a whole matrix, one
row per τ. On the board, layer l's o⁽ˡ⁾ is (T + 1) × d with o_τ in row τ and row 0 zero, as every kind
over time keeps it (the dense layer above reads [1, o⁽ˡ⁾_τ]); δ⁽ˡ⁾ is the δ of the scores (the softmax's
pre-activation), H × T × T. Its other quantities are in ``State.extra`` keyed (quantity, l): q, k, v, z
and dq, dk, dv, dz (T × dk), scores, a and da (H × T × T, one T × T matrix per head), do (∂ℓ/∂o⁽ˡ⁾,
T × d, from the layer above) and dx (T × d), ∂ℓ/∂x_τ handed to the layer below. A G step (G_Q … G_O)
adds to its matrix's part of G⁽ˡ⁾; its value is that part. The dense layers' steps and the loss are the
recurrent family's (core/kinds/rnn/steps.py) but for δ of a dense layer under a layer that is not a
dense layer at τ, which reads what that layer sends down (``LayerKind.sequence_sent``, an attention
layer's dx). The layers beside an attention layer are asked through the kinds' interface
(``sequence_units``, ``sequence_sent``), never by name.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...engine import wiring as wired
from ...engine.network import Network
from ...engine.quizcells import QuizCell
from ...engine.explain import Cell
from ...formulas.formula import Ref
from ..rnn import steps as seq
from .layer import WEIGHTS, Attention, key_gradient, softmax_back, softmax_rows

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
        s[l], o[l], d[l] = None, _ro(ol), _ro(np.full(shape(kind, "delta", T), np.nan))
        for q in FORWARD_OWN + BACKWARD_OWN + ("do",):
            if q != "delta":
                extra[q, l] = _ro(np.full(shape(kind, q, T), np.nan))
    return s, o, d, extra


def shape(kind: Attention, quantity: str, T: int) -> tuple[int, ...]:
    if quantity in ("scores", "a", "da", "delta"):
        return (kind.heads, T, T)
    if quantity in ("dx", "do"):
        return (T, kind.d)
    return (T, kind.dk)


def units(net: Network, st: Any, l: int) -> np.ndarray:
    """Layer l's units on the board, T × width: the input's x_τ (l = 0), or as its kind keeps them
    (``LayerKind.sequence_units``: a dense layer's without its bias entry 1, an attention layer's o_τ)."""
    return st.o[0][:, 1:] if l == 0 else net.kinds[l - 1].sequence_units(st.o[l])


def layer_input(net: Network, st: Any, l: int) -> np.ndarray:
    """x_1 … x_T (T × d), the rows layer l reads: the units of the layer below, or along a residual
    block's wires (core/engine/wiring.py: a block's first inner layer reads the block's input)."""
    return units(net, st, wired.source(net, l))


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


def from_above(net: Network, st: Any, l: int, t: int | None = None) -> np.ndarray:
    """∂ℓ/∂o⁽ˡ⁾_τ for every τ (T × d; row τ with ``t``): what the layer reading o⁽ˡ⁾ sends down (layer
    l + 1, or along a residual block's wires), as its kind says (``LayerKind.sequence_sent``:
    (W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾_τ)[1:] from a dense layer, an attention layer's dx, a block's ∂ℓ/∂x)."""
    c = wired.reader(net, l)
    return net.kinds[c - 1].sequence_sent(st, c, t)


def reads_sent(net: Network, l: int | None) -> bool:
    """Whether layer l's δ_τ is ∂ℓ/∂x⁽ᶜ⁾_τ ⊙ f′(s⁽ˡ⁾_τ) from what the layer c reading o⁽ˡ⁾ sends down: a
    layer with an s under one that is not a dense layer at τ, or in a network with blocks (else the
    lecture's W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ of the recurrent family)."""
    return (l is not None and 0 < l < net.L and net.kinds[l - 1].has_s
            and (net.wiring is not None or not net.kinds[l].plain))


def block_step(kind: Any, net: Network, st: Any, key: Any) -> tuple[Any, Any]:
    """A residual block's step at τ, or over the whole sequence (a block with a layer inside that mixes
    time steps): o_τ = [1, x_τ + F(x)_τ] (``join``) or ∂ℓ/∂x_τ = ∂ℓ/∂o_τ + what F's first layer sends
    to x_τ (``fan_in``), on the board's o and δ rows."""
    l, t, w = key.layer, key.time, net.wiring
    assert w is not None
    rows = slice(None) if t is None else slice(t - 1, t)
    if key.quantity == "o":  # the units as columns, as ``join`` takes a batch
        x, f = units(net, st, w.src[l])[rows], units(net, st, w.tail[l])[rows]
        value = kind.join(with_one(x).T, x.T, f.T).T
        value = _ro(value if t is None else value[0])
        st.o[l] = value if t is None else seq._set_row(st.o[l], t - 1, value)
        return value, None
    value = _ro(kind.fan_in(from_above(net, st, l, t), net.kinds[l].sequence_sent(st, l + 1, t)))
    st.delta[l] = value if t is None else seq._set_row(st.delta[l], t - 1, value)
    return value, None


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
        return ex["do", l] @ kind.part(W, "O")[:, 1:]
    if q == "da":
        return heads(kind, ex["dz", l]) @ heads(kind, ex["v", l]).transpose(0, 2, 1)
    if q == "delta":
        return softmax_back(ex["a", l], ex["da", l], exact_rows=True)
    if q == "dq":
        return stacked(st.delta[l] @ heads(kind, ex["k", l]) / root)
    if q == "dk":
        return stacked(st.delta[l].transpose(0, 2, 1) @ heads(kind, ex["q", l]) / root)
    if q == "dv":
        return stacked(ex["a", l].transpose(0, 2, 1) @ heads(kind, ex["dz", l]))
    if q == "dx":
        return sum(ex[g, l] @ kind.part(W, g[1:].upper())[:, 1:] for g in ("dq", "dk", "dv"))
    name = q[1:]
    if name == "O":
        return ex["do", l].T @ with_one(ex["z", l])
    if name == "K":
        return key_gradient(ex["dk", l], x1)
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
        if q == "dz":  # ∂ℓ/∂o⁽ˡ⁾ from the layer above, which dz reads
            st.extra["do", l] = _ro(from_above(net, st, l))
        value = _ro(compute(kind, net, st, l, q))
        if q in G_STEPS:
            before = st.G[l]
            st.G[l] = _ro(before + grad_block(kind, q[1:], value))
            return _ro(np.array(kind.part(st.G[l], q[1:]))), before
        if q == "o":
            st.o[l] = _ro(np.concatenate([np.zeros((1, kind.d)), value]))
        elif q == "delta":
            st.delta[l] = value
        else:
            st.extra[q, l] = value
        return value, None
    if kind is not None and kind.span and key.phase != "update":
        return block_step(kind, net, st, key)
    if kind is not None and kind.own_steps and key.phase != "update":  # a layer norm at τ, along the wires
        t = key.time
        return kind.step_at(st, key, seq.below(net, st, l, t), lambda: from_above(net, st, l, t))
    if key.phase == "backward" and key.quantity == "delta" and reads_sent(net, l):
        t = key.time
        dx = from_above(net, st, l, t)
        value = _ro(dx * net.df(l, st.s[l][t - 1], st.o[l][t - 1][1:]))
        st.delta[l] = seq._set_row(st.delta[l], t - 1, value)
        return value, None
    return seq.apply(net, st, key)


def _number(arr: np.ndarray | None, pos: tuple[int, ...]) -> float | None:
    """Entry ``pos`` of a step's value; None without one (``Attention.unknown_value``'s NaN)."""
    x = None if arr is None else float(arr[pos])
    return None if x is None or np.isnan(x) else x


def quiz_cells(kind: Attention, l: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
    """Each entry of a step's matrix (q_τ,b …, a_h,τ,τ′ …; o_τ,b in row τ of the board's o), named by
    its 0-based position (the kind prints it from 1); a G step's entries of its matrix's part of G."""
    q = key.quantity
    arr = None if value is None else np.asarray(value)
    if q in G_STEPS:
        name = q[1:]
        rows, cols = kind.part(np.zeros(kind.param_shape), name).shape
        first = WEIGHTS.index(name) * kind.dk
        return tuple(QuizCell(Cell("G", l, first + r + 1, a, kind=kind), Ref("G", l, (first + r, a)), None,
                              _number(arr, (r, a))) for r in range(rows) for a in range(cols))
    if arr is None:
        return ()
    out = []
    for pos in np.ndindex(*arr.shape):
        index = (pos[0] + 1,) + pos[1:] if q == "o" else pos  # o keeps row 0 for o_0
        out.append(QuizCell(Cell(q, l, tuple(int(p) for p in pos), kind=kind), Ref(q, l, index), None,
                            _number(arr, pos)))
    return tuple(out)

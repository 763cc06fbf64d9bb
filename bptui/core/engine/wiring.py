"""Where each layer's input comes from when a network has blocks (a residual block's skip), and the
passes that follow those wires.

Layers are numbered flat in file order: a block takes a number k, its inner layers the next ones
(``LayerKind.span`` of them, nested blocks included). Inside a block the first inner layer reads the
block's input x (the output of the layer before the block), and the block's output o⁽ᵏ⁾ = x + F(x)
is read by the layer after it. So layer l reads o⁽ˢʳᶜ⁽ˡ⁾⁾, not always o⁽ˡ⁻¹⁾; a block runs after its
inner layers forward and after them backward (its backward step is the fan-in ∂ℓ/∂x = ∂ℓ/∂o⁽ᵏ⁾ + the
inner path's part). A network without blocks has no :class:`Wiring` (``wiring_of`` returns None) and
keeps the engine's sequential code, unchanged.

The engine asks the kinds only through their interface (``span``, ``join``, ``fan_in``, ``back``,
``grad``); no kind is named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .kind import matmul


@dataclass(frozen=True)
class Wiring:
    """The routes of a network with blocks (layers 1..L; index 0 of the tuples is unused)."""

    src: tuple[int, ...]  # src[l]: the layer whose o layer l reads (0: the input)
    tail: tuple[int, ...]  # tail[k]: for a block k, the layer whose o is F's output (0 otherwise)
    block: tuple[int, ...]  # block[l]: the innermost block layer l is inside (0: none)
    sender: tuple[int, ...]  # sender[l]: the first layer reading o⁽ˡ⁾, which sends ∂ℓ/∂o⁽ˡ⁾ down (0: F's tail)
    forward: tuple[int, ...]  # the layers in the order the forward pass runs them
    backward: tuple[int, ...]  # … and the backward pass

    def outer(self, l: int) -> int:
        """The block whose ∂ℓ/∂o⁽ᵏ⁾ is ∂ℓ/∂o⁽ˡ⁾: l itself, or, for F's tail, its block (repeatedly)."""
        while self.sender[l] == 0 and self.block[l]:
            l = self.block[l]
        return l


def wiring_of(kinds: Sequence[Any]) -> Wiring | None:
    """The wiring of layers 1..L of these kinds; None when no kind has inner layers (``span``)."""
    if not any(k.span for k in kinds):
        return None
    L = len(kinds)
    src, tail, block, sender = [0] * (L + 1), [0] * (L + 1), [0] * (L + 1), [0] * (L + 1)
    fwd: list[int] = []
    bwd: list[int] = []

    def scope(lo: int, hi: int, x: int, inside: int) -> tuple[list[int], list[int], int]:
        """Layers lo..hi, one level, reading o⁽ˣ⁾: their forward and backward order, and the last one."""
        f: list[int] = []
        top: list[tuple[int, list[int]]] = []
        prev, l = x, lo
        while l <= hi:
            src[l], block[l] = prev, inside
            if not sender[prev] and prev:
                sender[prev] = l
            span = kinds[l - 1].span
            if span:
                inner_f, inner_b, last = scope(l + 1, l + span, prev, l)
                tail[l] = last
                f += inner_f + [l]
                top.append((l, inner_b + [l]))
            else:
                f.append(l)
                top.append((l, [l]))
            prev, l = l, l + 1 + span
        b = [m for _, part in reversed(top) for m in part]
        return f, b, prev

    fwd, bwd, _ = scope(1, L, 0, 0)
    return Wiring(tuple(src), tuple(tail), tuple(block), tuple(sender), tuple(fwd), tuple(bwd))


def forward_order(kinds: Sequence[Any], L: int) -> Sequence[int]:
    """Layers in the order the forward pass runs them: 1..L, or the wiring's."""
    w = wiring_of(kinds) if kinds else None
    return w.forward if w is not None else range(1, L + 1)


def backward_order(kinds: Sequence[Any], L: int) -> Sequence[int]:
    """Layers in the order the backward pass runs them: L..1, or the wiring's."""
    w = wiring_of(kinds) if kinds else None
    return w.backward if w is not None else range(L, 0, -1)


# -- the batch pass (examples as columns) -----------------------------------------------------------
def forward(net: Any, weights: Sequence[np.ndarray], O0: np.ndarray, saved: list | None = None,
            draw: Any = None) -> tuple[list, list]:
    """S[l] and O[l] of every layer, along the wires (see :meth:`Network.forward_o0`; ``draw``: a
    training pass's epoch and examples, dropout's masks)."""
    w: Wiring = net.wiring
    L = net.L
    S: list = [None] * (L + 1)
    O: list = [O0] + [None] * L
    kept: list = [None] * L
    for l in w.forward:
        k = net.kinds[l - 1]
        if k.span:  # o⁽ᵏ⁾ = x + F(x) over the units, with x's bias entry
            O[l] = k.join(O[w.src[l]], net.units(w.src[l], O[w.src[l]]), net.units(w.tail[l], O[w.tail[l]]))
        else:
            S[l], O[l], kept[l - 1] = net.layer_forward(l, weights[l - 1], O[w.src[l]], draw)
    if saved is not None:
        saved.extend(kept)
    return S, O


def backprop(net: Any, weights: Sequence[np.ndarray], O0: np.ndarray, Yt: np.ndarray, keep_deltas: bool = False,
             draw: Any = None):
    """(ℓ_D, G, δ or None) along the wires (see :meth:`Network.backprop`); a block's δ entry is its
    ∂ℓ/∂x, and its G an empty matrix; a layer norm's or dropout layer's, its ∂ℓ/∂o."""
    w: Wiring = net.wiring
    L = net.L
    saved: list = []
    S, O = forward(net, weights, O0, saved, draw)
    loss = float(net.example_loss(S[L], O[L], Yt).sum())
    D: list = [None] * (L + 1)
    G: list = [None if k.has_weights else np.zeros(np.shape(W), dtype=np.result_type(O0, W))  # a block's: empty
               for k, W in zip(net.kinds, weights)]
    sent: dict[int, np.ndarray] = {}

    def send(c: int) -> np.ndarray:
        """What layer c sends to its input: ∂ℓ/∂o⁽ˢʳᶜ⁽ᶜ⁾⁾ through c (a block's: its fan-in ∂ℓ/∂x)."""
        if c not in sent:
            k = net.kinds[c - 1]
            sent[c] = D[c] if k.span else k.back(weights[c - 1], D[c], O[w.src[c]], saved[c - 1])
        return sent[c]

    for l in w.backward:
        k = net.kinds[l - 1]
        if l == L:
            D[l] = net.output_delta(S[L], O[L], Yt)
        else:
            up = send(w.sender[w.outer(l)])  # ∂ℓ/∂o⁽ˡ⁾
            if k.span:
                D[l] = k.fan_in(up, send(l + 1))
            else:
                D[l] = up * net.df(l, S[l], net.units(l, O[l])) if k.has_s else up
        if k.has_weights:
            G[l - 1] = D[l] @ O[w.src[l]].T if k.plain else k.grad(weights[l - 1], D[l], O[w.src[l]], saved[l - 1])
    return loss, G, (D[1:] if keep_deltas else None)


# -- one example (the stepper's board) --------------------------------------------------------------
def up_one(net: Any, st: Any, l: int) -> np.ndarray:
    """∂ℓ/∂o⁽ˡ⁾ of one example (units), from the layer that reads o⁽ˡ⁾ first (or F's block)."""
    w: Wiring = net.wiring
    return send_one(net, st, w.sender[w.outer(l)])


def send_one(net: Any, st: Any, c: int) -> np.ndarray:
    """What layer c sends down to its input, one example: a block's ∂ℓ/∂x (a kind with steps of its own:
    its dx, on its δ row), or ``back_one``."""
    w: Wiring = net.wiring
    k = net.kinds[c - 1]
    if k.span or k.own_steps:
        return st.delta[c]
    below = net.kinds[w.src[c] - 1] if w.src[c] else None
    return k.back_one(st.W[c], st.delta[c], st.o[w.src[c]], below)


def step_one(net: Any, st: Any, key: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(value, the value before) of a forward or backward step of one example along the wires; the
    stepper stores the value where its own code would (s, o, δ, G on the board)."""
    w: Wiring = net.wiring
    l, L = key.layer, net.L
    k = net.kinds[l - 1]
    if k.own_steps:  # a layer norm's u, o, dx, G, a dropout layer's o, dx: its kind's, on o⁽ˢʳᶜ⁽ˡ⁾⁾
        return k.board_step(net, st, key, lambda m: up_one(net, st, m))
    x = st.o[w.src[l]]
    if key.quantity == "s":
        value = st.s[l] = k.pre_one(st.W[l], x)
    elif key.quantity == "o":
        if k.span:
            value = k.join(x, net.units(w.src[l], x), net.units(w.tail[l], st.o[w.tail[l]]))
        elif k.has_s:
            value = net.activation_out(l, st.s[l])
        else:
            value = k.pre_one(st.W[l], x)
        st.o[l] = value
    elif key.quantity == "G":
        before = st.G[l]
        value = st.G[l] = before + k.grad_one(st.W[l], st.delta[l], x)
        return value, before
    else:  # δ⁽ˡ⁾, or a block's ∂ℓ/∂x
        if l == L:
            value = net.output_delta(st.s[L], st.o[L], st.y)
        elif k.span:
            value = k.fan_in(up_one(net, st, l), send_one(net, st, l + 1))
        else:
            up = up_one(net, st, l)
            value = up * net.df(l, st.s[l], net.units(l, st.o[l])) if k.has_s else up
        st.delta[l] = value
    return value, None


def nest(kinds: Sequence[Any], items: Sequence[Any]) -> list:
    """Per-layer ``items`` (layers 1..L, numbered flat) grouped as a file writes them: a block's entry
    is the list of its inner layers' entries (the block's own item is left out)."""
    def scope(lo: int, hi: int) -> list:
        out, l = [], lo
        while l <= hi:
            span = kinds[l - 1].span
            out.append(scope(l + 1, l + span) if span else items[l - 1])
            l += 1 + span
        return out

    return scope(1, len(kinds))


@dataclass(frozen=True)
class _Key:
    layer: int
    quantity: str
    epoch: int = 1
    example: int = 1
    time: None = None
    phase: str = ""


@dataclass
class _Board:
    W: Sequence[np.ndarray]
    s: list
    o: list
    delta: list
    y: np.ndarray
    extra: dict


def example_pass(net: Any, W: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, epoch: int = 1,
                 example: int = 1, do: bool = False) -> tuple[list, list]:
    """o⁽⁰⁾…o⁽ᴸ⁾ and δ⁽¹⁾…δ⁽ᴸ⁾ (a block's: its ∂ℓ/∂x; a layer norm's or dropout layer's: its ∂ℓ/∂x, or with
    ``do`` its ∂ℓ/∂o) of one example (``example``, from 1, in ``epoch``: dropout's masks) along the wires,
    with the stepper's own calls (so the same bits); ``W`` indexed from 1, as the board's."""
    from .schedule import BACKWARD, FORWARD

    w: Wiring = net.wiring
    L = net.L
    st = _Board(W, [None] * (L + 1), [np.concatenate([[1.0], x])] + [None] * L, [None] * (L + 1), y, {})
    for l in w.forward:
        for q in net.kinds[l - 1].block_forward():
            step_one(net, st, _Key(l, q, epoch, example, phase=FORWARD))
    for l in w.backward:
        for q in net.kinds[l - 1].block_backward():
            if q != "G":
                step_one(net, st, _Key(l, q, epoch, example, phase=BACKWARD))
    if do:
        return st.o, [st.extra.get(("do", l), d) for l, d in enumerate(st.delta)]
    return st.o, st.delta


def source(net: Any, l: int) -> int:
    """The layer whose o layer l reads: l − 1, or along a residual block's wires."""
    w: Wiring | None = getattr(net, "wiring", None)
    return l - 1 if w is None else w.src[l]


def reader(net: Any, l: int) -> int:
    """The layer that sends ∂ℓ/∂o⁽ˡ⁾ down: l + 1, or along the wires (for F's last layer, the layer
    reading its block's output)."""
    w: Wiring | None = getattr(net, "wiring", None)
    return l + 1 if w is None else w.sender[w.outer(l)]


# -- the batch pass over sequences (a network without a recurrent layer: spec.py) -------------------
def pair_rows(A: np.ndarray, running: np.ndarray) -> np.ndarray:
    """(T, n, w) → the rows of the running (τ, example) pairs, τ-major: A[running], or, when every
    example runs at every τ (a group of sequences of one length), all of A's rows (a view, no copy)."""
    return A.reshape(-1, A.shape[-1]) if running.all() else A[running]


def padded(cols: np.ndarray, running: np.ndarray) -> np.ndarray:
    """Columns of (τ, example) pairs → (T, n, w), zeros past each example's end (one copy and no mask
    when every example runs at every τ)."""
    if running.all():
        return np.ascontiguousarray(cols.T).reshape(running.shape + (cols.shape[0],))
    full = np.zeros(running.shape + (cols.shape[0],), dtype=cols.dtype)
    full[running] = cols.T
    return full


class SequenceRun:
    """The forward pass of a batch of sequences along the wires, and its backward pass: every layer's
    units as columns of the running (τ, example) pairs (τ-major, as :meth:`Network.sequences` keeps a
    dense layer's), so a block's o = x + F(x) is one sum at every τ; a kind over time (attention) runs
    on (T, n, d) arrays (its ``run`` and ``bptt``), a dense layer at every pair at once."""

    def __init__(self, net: Any, weights: Sequence[np.ndarray], Xb: np.ndarray, running: np.ndarray,
                 active: np.ndarray, draw: Any = None) -> None:
        """``draw``: a training pass's epoch, examples and lengths, as the columns hold them (dropout's
        masks; None outside training)."""
        w: Wiring = net.wiring
        L = net.L
        self.net, self.weights, self.running, self.active = net, weights, running, active
        self.U: list = [pair_rows(Xb, running).T] + [None] * L  # each layer's units, columns (τ, example)
        self.In: list = [None] * (L + 1)  # what a layer without its own time steps multiplies: [1, x]
        self.S: list = [None] * (L + 1)
        self.O: list = [None] * (L + 1)
        self.saved: list = [None] * (L + 1)
        for l in w.forward:
            k, W, x = net.kinds[l - 1], weights[l - 1], self.U[w.src[l]]
            if k.span:  # o⁽ᵏ⁾ = x + F(x) over the units at every τ
                self.U[l] = k.join(x, x, self.U[w.tail[l]])
            elif k.over_time:
                Xin = self.padded(x)
                saved, Or = k.run(W, Xin, lambda s, l=l: net.f(l, s), active)
                self.saved[l] = (Xin, saved, Or)
                self.U[l] = pair_rows(Or[1:], running).T
            else:
                self.In[l] = np.concatenate([np.ones((1, x.shape[1]), dtype=x.dtype), x], axis=0)
                if k.plain:  # all (τ, example) pairs side by side: a long product, on this thread (kind.matmul)
                    self.S[l] = matmul(W, self.In[l])
                    self.O[l] = net.activation_out(l, self.S[l])
                else:
                    self.S[l], self.O[l], self.saved[l] = net.layer_forward(l, W, self.In[l], draw)
                self.U[l] = net.units(l, self.O[l])

    def padded(self, cols: np.ndarray) -> np.ndarray:
        """Columns of (τ, example) pairs → (T, n, w), zeros past each example's end."""
        return padded(cols, self.running)

    def backward(self, delta: np.ndarray, G: list, on_upper: Any = None) -> None:
        """Add each layer's G to ``G`` from δ⁽ᴸ⁾ (columns (τ, example)); ``on_upper(l, δ)`` receives each
        layer's δ (a block's: its ∂ℓ/∂x; a kind over time: the ∂ℓ/∂x it sends down)."""
        net, w, L = self.net, self.net.wiring, self.net.L
        D: list = [None] * (L + 1)
        sent: dict[int, np.ndarray] = {}

        def send(c: int) -> np.ndarray:
            """What layer c sends to its input, ∂ℓ/∂o⁽ˢʳᶜ⁽ᶜ⁾⁾ (a block's: its fan-in ∂ℓ/∂x)."""
            if c not in sent:
                k = net.kinds[c - 1]
                W = self.weights[c - 1]
                if k.span or k.over_time:
                    sent[c] = D[c]
                elif k.plain:  # (Wᵀ δ)[1:], on this thread
                    sent[c] = matmul(np.ascontiguousarray(W[:, 1:].T), D[c])
                else:
                    sent[c] = k.back(W, D[c], self.In[c], self.saved[c])
            return sent[c]

        for l in w.backward:
            k, W = net.kinds[l - 1], self.weights[l - 1]
            up = delta if l == L else send(w.sender[w.outer(l)])  # ∂ℓ/∂o⁽ˡ⁾ (δ⁽ᴸ⁾ for the output layer)
            if k.span:
                D[l] = k.fan_in(up, send(l + 1))
            elif k.over_time:
                Xin, saved, Or = self.saved[l]
                Gk, dX = k.bptt(W, Xin, saved, Or, self.padded(up), None, self.active)
                G[l - 1] += Gk
                D[l] = pair_rows(dX, self.running).T
            else:
                D[l] = up if l == L or not k.has_s else up * net.df(l, self.S[l], net.units(l, self.O[l]))
                G[l - 1] += matmul(D[l], self.In[l].T) if k.plain else k.grad(W, D[l], self.In[l], self.saved[l])
            if on_upper is not None:
                on_upper(l, D[l])

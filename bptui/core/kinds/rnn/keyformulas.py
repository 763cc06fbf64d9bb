"""Each number a gated layer's step writes, as a scalar formula over the board numbers it reads: what the
answer key's formulas (bptui/keyjson.py) are written from, for LSTM and GRU layers (``Lstm.entry_formula``,
``Gru.entry_formula``).

A formula is a tree (core/formulas/formula.py) whose leaves are numbers and placeholders ``Sym("#k")``;
each placeholder stands for one board number, given as (quantity, layer, index, value) with the board's
own names and places: ``"W"`` (the stored [W | U]), ``"o"`` (a recurrent layer's h lives in its o, row τ;
the input's [1, x_τ] in row τ − 1), ``"s"``, ``"delta"``, ``"G"`` and the kind's own ``"gates"``, ``"c"``
(row τ), ``"dh"``, ``"dc"`` (row τ − 1). The equations are the ones lstm.py's and gru.py's ``time_step``
compute, entry by entry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...formulas.formula import ONE, Call, Node, Num, Op, Sym, add, mul, sub

Leaf = tuple[str, int, tuple[int, ...], float]


class Formula:
    """Builds one entry's tree, collecting its board numbers."""

    def __init__(self, net: Any, st: Any, key: Any, index: tuple[int, ...]) -> None:
        self.net, self.st, self.l, self.t, self.q = net, st, key.layer, key.time, key.quantity
        kind = net.kinds[self.l - 1]
        self.h, self.d, self.j = kind.h, kind.d, index[-1]
        self.leaves: dict[Node, Leaf] = {}

    def gate(self, g: int, b: int, at: int | None = None) -> Sym:
        """Unit b (0-based) of gate g (an LSTM's i, f, g, o = 0 … 3; a GRU's r, z, n) at τ = ``at`` (this τ)."""
        return self.board("gates", self.l, ((self.t if at is None else at) - 1, g * self.h + b))

    def board(self, quantity: str, l: int, index: tuple[int, ...]) -> Sym:
        st = self.st
        arrays = {"W": st.W, "o": st.o, "s": st.s, "delta": st.delta, "G": st.G}
        a = arrays[quantity][l] if quantity in arrays else st.extra[quantity, l]
        sym = Sym(f"#{len(self.leaves)}")
        self.leaves[sym] = (quantity, l, tuple(int(i) for i in index), float(np.asarray(a)[index]))
        return sym

    # -- what the layer reads ------------------------------------------------------------------------------
    def below(self, a: int) -> Node:
        """Entry a of [1, x_τ] (x_τ: the layer below's output at τ) as the board holds it."""
        l, t, net = self.l, self.t, self.net
        if l == 1:
            return self.board("o", 0, (t - 1, a))
        if net.kinds[l - 2].over_time:  # [1, h⁽ˡ⁻¹⁾_τ]: h_τ in row τ of the recurrent layer's o
            return Num(1.0, exact=True) if a == 0 else self.board("o", l - 1, (t, a - 1))
        return self.board("o", l - 1, (t - 1, a))  # a dense layer at τ: its o_τ = [1, f(s_τ)]

    def w(self, row: int, col: int) -> Sym:
        return self.board("W", self.l, (row, col))

    def h_before(self, c: int) -> Sym:
        return self.board("o", self.l, (self.t - 1, c))

    def from_above(self, b: int) -> Node:
        """(W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] at unit b (0-based), W's columns only; from a layer that runs once (above a
        many-to-one layer) at τ = T only, 0 before (steps.from_above)."""
        l, t, net, st = self.l, self.t, self.net, self.st
        if l == net.L:  # pragma: no cover - a recurrent layer is never the output layer
            return Num(0.0, exact=True)
        sent = net.kinds[l].sent_place(st, l + 1, t, (b,))  # a layer norm above: its ∂ℓ/∂x on the board
        if sent is not None:
            return self.board(sent[0], l + 1, sent[1])
        rows = np.asarray(st.W[l + 1]).shape[0]
        if timed(net, l + 1):
            return total([mul(self.board("W", l + 1, (k, b + 1)), self.board("delta", l + 1, (t - 1, k)))
                          for k in range(rows)])
        if t != len(st.s[l]):
            return Num(0.0, exact=True)
        return total([mul(self.board("W", l + 1, (k, b + 1)), self.board("delta", l + 1, (k,))) for k in range(rows)])

    def last(self) -> bool:
        return self.t == len(self.st.s[self.l])


def timed(net: Any, l: int) -> bool:
    from ...engine.kind import timed_layers

    return timed_layers(net.kinds)[l - 1]


def total(terms: list[Node]) -> Node:
    return add(*terms) if terms else Num(0.0, exact=True)


def one_minus(x: Node) -> Node:
    return sub(ONE, x)


def sigma_slope(x: Node) -> Node:
    """σ′ through its output: x (1 − x)."""
    return mul(x, one_minus(x))


def tanh_slope(x: Node) -> Node:
    """tanh′ through its output: 1 − x²."""
    return one_minus(Op("sq", (x,)))


# -- LSTM -------------------------------------------------------------------------------------------------
def lstm(net: Any, st: Any, key: Any, index: tuple[int, ...], before: Any) -> tuple[Node, dict[Node, Leaf]]:
    F = Formula(net, st, key, index)
    l, t, q, h, d, j, gate = F.l, F.t, F.q, F.h, F.d, F.j, F.gate
    if q == "s":  # [W | U] [1, x_τ, h_{τ−1}]
        tree = total([mul(F.w(j, a), F.below(a)) for a in range(1 + d)]
                     + [mul(F.w(j, 1 + d + c), F.h_before(c)) for c in range(h)])
    elif q == "gates":
        tree = Call("tanh" if j // h == 2 else "sigmoid", (F.board("s", l, (t - 1, j)),))
    elif q == "c":  # f ⊙ c_{τ−1} + i ⊙ g
        tree = add(mul(gate(1, j), F.board("c", l, (t - 1, j))), mul(gate(0, j), gate(2, j)))
    elif q == "h":  # ō ⊙ tanh(c_τ)
        tree = mul(gate(3, j), Call("tanh", (F.board("c", l, (t, j)),)))
    elif q == "dh":  # (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] + Uᵀ δ_{τ+1}
        terms = [F.from_above(j)]
        if not F.last():
            terms += [mul(F.w(k, 1 + d + j), F.board("delta", l, (t, k))) for k in range(4 * h)]
        tree = add(*terms)
    elif q == "dc":  # ∂ℓ/∂h ⊙ ō ⊙ (1 − tanh²(c_τ)) + f_{τ+1} ⊙ ∂ℓ/∂c_{τ+1}
        tc = Call("tanh", (F.board("c", l, (t, j)),))
        tree = mul(F.board("dh", l, (t - 1, j)), gate(3, j), tanh_slope(tc))
        if not F.last():
            tree = add(tree, mul(gate(1, j, t + 1), F.board("dc", l, (t, j))))
    elif q == "delta":
        g, b = divmod(j, h)
        dc, dh = F.board("dc", l, (t - 1, b)), F.board("dh", l, (t - 1, b))
        tree = [lambda: mul(dc, gate(2, b), sigma_slope(gate(0, b))),
                lambda: mul(dc, F.board("c", l, (t - 1, b)), sigma_slope(gate(1, b))),
                lambda: mul(dc, gate(0, b), tanh_slope(gate(2, b))),
                lambda: mul(dh, Call("tanh", (F.board("c", l, (t, b)),)), sigma_slope(gate(3, b)))][g]()
        F.leaves = {k: v for k, v in F.leaves.items() if k in _syms(tree)}
    else:  # G ← G + δ_τ [1, x_τ, h_{τ−1}]ᵀ
        k, a = index
        x = F.below(a) if a <= d else F.h_before(a - 1 - d)
        tree = add(_before(F, before, index), mul(F.board("delta", l, (t - 1, k)), x))
    return tree, F.leaves


# -- GRU --------------------------------------------------------------------------------------------------
def gru(net: Any, st: Any, key: Any, index: tuple[int, ...], before: Any) -> tuple[Node, dict[Node, Leaf]]:
    F = Formula(net, st, key, index)
    l, t, q, h, d, j, gate = F.l, F.t, F.q, F.h, F.d, F.j, F.gate
    u0 = 1 + d  # U's own bias column in the stored [W | U]

    def delta_h(k: int, at: int) -> Node:
        """δʰ_k at τ = at: [δ_r, δ_z, r ⊙ δ_n]."""
        dk = F.board("delta", l, (at - 1, k))
        return dk if k < 2 * h else mul(gate(0, k - 2 * h, at), dk)

    if q == "s":  # [W [1, x_τ]; U [1, h_{τ−1}]]
        if j < 3 * h:
            tree = total([mul(F.w(j, a), F.below(a)) for a in range(1 + d)])
        else:
            r = j - 3 * h
            tree = total([F.w(r, u0)] + [mul(F.w(r, u0 + 1 + c), F.h_before(c)) for c in range(h)])
    elif q == "gates":
        sx, sh = F.board("s", l, (t - 1, j)), F.board("s", l, (t - 1, 3 * h + j))
        if j < 2 * h:
            tree = Call("sigmoid", (add(sx, sh),))
        else:
            tree = Call("tanh", (add(sx, mul(gate(0, j - 2 * h), sh)),))
    elif q == "h":  # (1 − z) ⊙ n + z ⊙ h_{τ−1}
        z = gate(1, j)
        tree = add(mul(one_minus(z), gate(2, j)), mul(gate(1, j), F.h_before(j)))
    elif q == "dh":  # (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] + (Uᵀ δʰ_{τ+1})[1:] + z_{τ+1} ⊙ ∂ℓ/∂h_{τ+1}
        terms = [F.from_above(j)]
        if not F.last():
            terms += [mul(F.w(k, u0 + 1 + j), delta_h(k, t + 1)) for k in range(3 * h)]
            terms.append(mul(gate(1, j, t + 1), F.board("dh", l, (t, j))))
        tree = add(*terms)
    elif q == "delta":
        g, b = divmod(j, h)
        dh = F.board("dh", l, (t - 1, b))
        dn = lambda: mul(dh, one_minus(gate(1, b)), tanh_slope(gate(2, b)))  # noqa: E731
        if g == 0:  # δ_n ⊙ s_{h,n} ⊙ r (1 − r), with δ_n written out (this step writes it too)
            tree = mul(dn(), F.board("s", l, (t - 1, 5 * h + b)), sigma_slope(gate(0, b)))
        elif g == 1:
            tree = mul(dh, sub(F.h_before(b), gate(2, b)), sigma_slope(gate(1, b)))
        else:
            tree = dn()
    else:  # G ← G + [δ_τ [1, x_τ]ᵀ │ δʰ_τ [1, h_{τ−1}]ᵀ]
        k, a = index
        if a <= d:
            term = mul(F.board("delta", l, (t - 1, k)), F.below(a))
        elif a == u0:
            term = delta_h(k, t)
        else:
            term = mul(delta_h(k, t), F.h_before(a - u0 - 1))
        tree = add(_before(F, before, index), term)
    return tree, F.leaves


def _before(F: Formula, before: Any, index: tuple[int, ...]) -> Sym:
    """G's entry before the step's +=, as a board number of G."""
    sym = Sym(f"#{len(F.leaves)}")
    F.leaves[sym] = ("G", F.l, tuple(index), float(np.asarray(before)[index]))
    return sym


def _syms(tree: Node) -> set[Node]:
    from ...formulas.formula import walk

    return {n for n in walk(tree) if isinstance(n, Sym)}

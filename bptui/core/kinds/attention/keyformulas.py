"""Each number an attention layer's step writes, as a scalar formula over the board numbers it reads
(``Attention.entry_formula``): what the answer key's formulas (bptui/keyjson.py) are written from, entry by
entry of the matrices steps.py computes (τ, τ′ from 1 here; h a head, dh = dk/H, c within a head's block):

    q_τ,j = w_Q,j,0 + Σ_a w_Q,j,a x_τ,a   (k, v alike)        e_h,τ,τ′ = Σ_c q_τ,hc k_τ′,hc / √dh
    a_h,τ,τ′ = exp(e_h,τ,τ′) / Σ_τ″ exp(e_h,τ,τ″) (τ′, τ″ ≤ τ when causal; a = 0 above the diagonal)
    z_τ,hc = Σ_τ′ a_h,τ,τ′ v_τ′,hc                           o_τ,i = w_O,i,0 + Σ_j w_O,i,j z_τ,j
    ∂ℓ/∂z_τ,j = Σ_i ∂ℓ/∂o_τ,i w_O,i,j                        ∂ℓ/∂a_h,τ,τ′ = Σ_c ∂ℓ/∂z_τ,hc v_τ′,hc
    δ_h,τ,τ′ = a_h,τ,τ′ (∂ℓ/∂a_h,τ,τ′ − Σ_τ″ a_h,τ,τ″ ∂ℓ/∂a_h,τ,τ″)
    ∂ℓ/∂q_τ,hc = Σ_τ′ δ_h,τ,τ′ k_τ′,hc / √dh,  ∂ℓ/∂k_τ′,hc = Σ_τ δ_h,τ,τ′ q_τ,hc / √dh,  ∂ℓ/∂v_τ′,hc = Σ_τ a_h,τ,τ′ ∂ℓ/∂z_τ,hc
    ∂ℓ/∂x_τ,a = Σ_j (∂ℓ/∂q_τ,j w_Q,j,a + ∂ℓ/∂k_τ,j w_K,j,a + ∂ℓ/∂v_τ,j w_V,j,a)
    G_Q,j,a ← G_Q,j,a + Σ_τ ∂ℓ/∂q_τ,j x̃_τ,a (K, V alike; x̃_τ,0 = 1),  G_O,i,j ← G_O,i,j + Σ_τ ∂ℓ/∂o_τ,i z̃_τ,j

x is the layer's input (below it, or along a block's wires) and ∂ℓ/∂o what the layer reading o sends
down (core/engine/keyformula.py)."""

from __future__ import annotations

from typing import Any

from ...engine.keyformula import Formula, Leaf, dot, total
from ...formulas.formula import Call, Node, Num, Op, add, const, mul, sub
from .layer import WEIGHTS

ZERO = Num(0.0, exact=True)


def attention(kind: Any, net: Any, st: Any, key: Any, index: tuple[int, ...], before: Any
              ) -> tuple[Node, dict[Node, Leaf]]:
    l, q = key.layer, key.quantity
    F = Formula(net, st, l, None)
    dk, d, dh = kind.dk, kind.d, kind.dh
    T = len(st.extra["q", l])
    root = Call("sqrt", (const(dh),))

    def E(name: str, *i: int) -> Node:
        return F.board("delta" if name == "delta" else name, l, i)

    def w(name: str, r: int, c: int) -> Node:
        return F.board("W", l, (WEIGHTS.index(name) * dk + r, c))

    def x(t: int, a: int) -> Node:  # x_τ,a with τ = t + 1 (0-based t, a)
        return F.x((a,), t + 1)

    def keys(t: int) -> range:  # the keys τ′ query τ = t + 1 reads (0-based)
        return range(t + 1) if kind.causal else range(T)

    def queries(u: int) -> range:  # the queries that read key τ′ = u + 1
        return range(u, T) if kind.causal else range(T)

    if q in ("q", "k", "v"):
        t, j = index
        name = q.upper()
        return add(w(name, j, 0), dot([(w(name, j, a + 1), x(t, a)) for a in range(d)])), F.leaves
    if q == "o":
        t, i = index  # row τ of the board's o (row 0: o_0)
        return add(w("O", i, 0), dot([(w("O", i, j + 1), E("z", t - 1, j)) for j in range(dk)])), F.leaves
    if q == "dz":
        t, j = index
        return dot([(F.up((i,), t + 1), w("O", i, j + 1)) for i in range(d)]), F.leaves
    if q == "dx":
        t, a = index
        return total([mul(E(f"d{n.lower()}", t, j), w(n, j, a + 1)) for n in ("Q", "K", "V") for j in range(dk)]), F.leaves
    if q in ("scores", "a", "da", "delta"):
        h, t, u = index
        cols = range(h * dh, (h + 1) * dh)
        if q == "scores":
            return Op("/", (dot([(E("q", t, c), E("k", u, c)) for c in cols]), root)), F.leaves
        if q == "da":
            return dot([(E("dz", t, c), E("v", u, c)) for c in cols]), F.leaves
        if u not in keys(t):
            return ZERO, F.leaves
        if q == "a":
            return Op("/", (Call("exp", (E("scores", h, t, u),)),
                            total([Call("exp", (E("scores", h, t, v),)) for v in keys(t)]))), F.leaves
        row = total([mul(E("a", h, t, v), E("da", h, t, v)) for v in keys(t)])
        return mul(E("a", h, t, u), Op("()", (sub(E("da", h, t, u), row),))), F.leaves
    if q in ("z", "dq", "dk", "dv"):
        t, j = index
        h = j // dh
        if q == "z":
            return dot([(E("a", h, t, u), E("v", u, j)) for u in keys(t)]), F.leaves
        if q == "dq":
            return Op("/", (dot([(E("delta", h, t, u), E("k", u, j)) for u in keys(t)]), root)), F.leaves
        if q == "dk":  # t is the key τ′ here
            return Op("/", (dot([(E("delta", h, s, t), E("q", s, j)) for s in queries(t)]), root)), F.leaves
        return dot([(E("a", h, s, t), E("dz", s, j)) for s in queries(t)]), F.leaves
    # G of one matrix, at its entry of the stored G⁽ˡ⁾
    found = kind.weight_of(*index)
    assert found is not None
    name, r, c = found
    if name == "O":
        terms = [F.up((r,), t + 1) if c == 0 else mul(F.up((r,), t + 1), E("z", t, c - 1)) for t in range(T)]
    else:
        grad = f"d{name.lower()}"
        terms = [E(grad, t, r) if c == 0 else mul(E(grad, t, r), x(t, c - 1)) for t in range(T)]
    return add(F.before(index, before), total(terms)), F.leaves


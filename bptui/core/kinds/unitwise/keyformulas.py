"""Each number a layer norm's or dropout's step writes, as a scalar formula over the board numbers it
reads (``LayerNorm.entry_formula``, ``Dropout.entry_formula``): what the answer key's formulas
(bptui/keyjson.py) are written from. The equations are the ones layernorm.py's and dropout.py's steps
compute, entry by entry; x is the layer's input (o of the layer below, or along a block's wires) and
∂ℓ/∂o what the layer above sends down (core/engine/keyformula.py).

    layer norm:  μ = Σ x_j / d,  σ² = Σ (x_j − μ)² / d,  u_b = (x_b − μ) / √(σ² + ε),  o_b = γ_b u_b + β_b,
                 ∂ℓ/∂x_b = (ĝ_b − Σ ĝ_j / d − u_b Σ ĝ_j u_j / d) / √(σ² + ε) with ĝ_j = γ_j ∂ℓ/∂o_j,
                 G_β,b ← G_β,b + ∂ℓ/∂o_b,  G_γ,b ← G_γ,b + ∂ℓ/∂o_b u_b
    dropout:     o_b = m_b x_b / (1 − p),  ∂ℓ/∂x_b = m_b ∂ℓ/∂o_b / (1 − p)   (m: the drawn mask, a given)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...engine.keyformula import Formula, Leaf, total
from ...formulas.formula import ONE, Call, Node, Op, add, const, mul, sub


def _parts(kind: Any, key: Any, index: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the row prefix of a step at τ, the rest of the board index)."""
    row = index[:1] if key.time is not None and key.quantity != "G" else ()
    return row, index[len(row):]


def _unit(kind: Any, quantity: str, rest: tuple[int, ...]) -> tuple[int, ...] | None:
    """The unit (0-based, no bias entry) of a board entry of ``quantity``; None: o's bias entry 1."""
    if quantity == "o" and kind.bias_entry:
        return None if rest[-1] == 0 else (rest[-1] - 1,)
    return rest


def layernorm(kind: Any, net: Any, st: Any, key: Any, index: tuple[int, ...], before: Any
              ) -> tuple[Node, dict[Node, Leaf]]:
    F = Formula(net, st, key.layer, key.time)
    l, q, d = key.layer, key.quantity, kind.d
    row, rest = _parts(kind, key, index)

    def root() -> Node:  # √(σ² + ε) from the input x
        xs = [F.x((j,)) for j in range(d)]
        mu = Op("/", (total(list(xs)), const(d)))
        var = Op("/", (total([Op("sq", (sub(x, mu),)) for x in xs]), const(d)))
        return Call("sqrt", (add(var, const(kind.eps)),))

    urow = (key.time - 1,) if key.time is not None and np.ndim(st.s[l]) == 2 else ()  # G: at τ, u_τ

    def u(j: int) -> Node:
        return F.board("s", l, urow + (j,))

    if q == "G":  # [G_β | G_γ] += [∂ℓ/∂o | ∂ℓ/∂o ⊙ u]
        b, col = index
        term = F.up((b,)) if col == 0 else mul(F.up((b,)), u(b))
        return add(F.before(index, before), term), F.leaves
    unit = _unit(kind, "o" if q == "o" else "s", rest)
    if unit is None:
        return ONE, F.leaves
    b = unit[0]
    if q == "u":
        xs = [F.x((j,)) for j in range(d)]
        mu = Op("/", (total(list(xs)), const(d)))
        tree: Node = Op("/", (sub(F.x((b,)), mu), root()))
    elif q == "o":
        tree = add(mul(F.board("W", l, (b, 1)), u(b)), F.board("W", l, (b, 0)))
    else:  # dx: the three terms, through x itself, through μ and through σ
        gh = [mul(F.board("W", l, (j, 1)), F.up((j,))) for j in range(d)]
        mean_g = Op("/", (total(list(gh)), const(d)))
        mean_gu = Op("/", (total([mul(g, u(j)) for j, g in enumerate(gh)]), const(d)))
        tree = Op("/", (sub(sub(gh[b], mean_g), mul(u(b), mean_gu)), root()))
    return tree, F.leaves


def dropout(kind: Any, net: Any, st: Any, key: Any, index: tuple[int, ...], before: Any
            ) -> tuple[Node, dict[Node, Leaf]]:
    F = Formula(net, st, key.layer, key.time)
    row, rest = _parts(kind, key, index)
    unit = _unit(kind, "o" if key.quantity == "o" else "delta", rest)
    if unit is None:
        return ONE, F.leaves
    m = F.board("s", key.layer, row + unit)  # the mask, drawn from the seed: a given
    through = F.x(unit) if key.quantity == "o" else F.up(unit)
    return Op("/", (mul(m, through), const(1.0 - kind.p))), F.leaves

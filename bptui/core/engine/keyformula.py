"""What an answer key's formula of a kind's own step is built from: a formula tree whose placeholders
``Sym("#k")`` each stand for one board number (``LayerKind.entry_formula``; bptui/keyjson.py writes the
tree in the expression syntax, each placeholder as the blank, the formula or the number it is then).

A placeholder is (quantity, layer, index, value): a board number by the board's own names and places
(``"W"``, ``"o"``, ``"s"``, ``"delta"``, ``"G"``, or a key of ``State.extra``), or :data:`SENT`: what
layer ``layer`` sends down to unit ``index[1:]`` of its input at τ = ``index[0]`` (0: a step without
τ), which the key works out from the sending layer's own numbers (its links: (Wᵀδ)[1:] of a dense
layer, a window's maximum …; or the one board number of a kind whose backward step writes it,
``LayerKind.sent_place``). So a kind says only what it computes; where its input comes from and what
reaches it from above follow the network's wires (core/engine/wiring.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..formulas.formula import Node, Num, Sym, add, mul
from . import wiring as wired

SENT = "sent"  # a placeholder's quantity: what a layer sends down to its input (see the module's docstring)
Leaf = tuple[str, int, tuple[int, ...], float]


def unit_place(net: Any, st: Any, l: int, t: int | None, pos: tuple[int, ...]) -> tuple[int, ...]:
    """Where unit ``pos`` (0-based, no bias entry; a map's (c, i, j)) of o⁽ˡ⁾ (l = 0: the input) is on
    the board at τ = t: its index into ``st.o[l]``. On a sequence board each kind says which rows hold
    its units (``LayerKind.sequence_units``: a dense layer's [1, o_τ] rows, an attention layer's o_τ in
    row τ); t None on a per-τ board: τ = T (the layer reads o_T once)."""
    o = np.asarray(st.o[l])
    place = np.arange(o.size).reshape(o.shape)
    if o.ndim == 2:  # a per-τ matrix, one row per τ
        rows = place[:, 1:] if l == 0 else net.kinds[l - 1].sequence_units(place)
        units = rows[len(rows) - 1 if t is None else t - 1]
    else:
        units = net.units(l, place)
    return tuple(int(i) for i in np.unravel_index(int(units[pos]), o.shape))


class Formula:
    """Builds one entry's tree of layer ``l``'s step at τ = ``t``, collecting its placeholders."""

    def __init__(self, net: Any, st: Any, l: int, t: int | None) -> None:
        self.net, self.st, self.l, self.t = net, st, l, t
        self.leaves: dict[Node, Leaf] = {}

    def _leaf(self, leaf: Leaf) -> Sym:
        sym = Sym(f"#{len(self.leaves)}")
        self.leaves[sym] = leaf
        return sym

    def board(self, quantity: str, l: int, index: tuple[int, ...]) -> Sym:
        """A number on the board: quantity's entry ``index`` of layer l."""
        st = self.st
        arrays = {"W": st.W, "o": st.o, "s": st.s, "delta": st.delta, "G": st.G}
        a = arrays[quantity][l] if quantity in arrays else st.extra[quantity, l]
        index = tuple(int(i) for i in index)
        return self._leaf((quantity, l, index, float(np.asarray(a)[index])))

    def before(self, index: tuple[int, ...], G: Any) -> Sym:
        """G⁽ˡ⁾'s entry before the step's +=."""
        index = tuple(int(i) for i in index)
        return self._leaf(("G", self.l, index, float(np.asarray(G)[index])))

    def unit(self, l: int, pos: tuple[int, ...], t: int | None = None) -> Sym:
        """Unit ``pos`` of o⁽ˡ⁾ at τ = t (this step's τ when None)."""
        return self.board("o", l, unit_place(self.net, self.st, l, self.t if t is None else t, pos))

    def x(self, pos: tuple[int, ...], t: int | None = None) -> Sym:
        """Unit ``pos`` of the layer's input x: o of the layer it reads (l − 1, or along a block's wires)."""
        return self.unit(wired.source(self.net, self.l), pos, t)

    def sent(self, c: int, pos: tuple[int, ...], t: int | None = None) -> Sym:
        """What layer c sends down to unit ``pos`` of its input at τ = t (this step's τ when None)."""
        t = self.t if t is None else t
        return self._leaf((SENT, c, (t or 0,) + tuple(int(i) for i in pos), float("nan")))

    def up(self, pos: tuple[int, ...], t: int | None = None) -> Sym:
        """∂ℓ/∂o⁽ˡ⁾ at unit ``pos``: what the layer reading o⁽ˡ⁾ sends down (l + 1, or along the wires)."""
        return self.sent(wired.reader(self.net, self.l), pos, t)


def total(terms: list[Node]) -> Node:
    return add(*terms) if terms else Num(0.0, exact=True)


def dot(pairs: list[tuple[Node, Node]]) -> Node:
    """Σ a·b over the pairs (0 for none)."""
    return total([mul(a, b) for a, b in pairs])

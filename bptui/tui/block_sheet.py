"""A residual block's panel: per unit b, x and F(x) (what the block adds), o = x + F(x), and on the
backward pass the fan-in ∂ℓ/∂x = ∂ℓ/∂o (the skip's part) + the inner path's part, both parts shown.

It is the dense panel's grid (:class:`~.sheet.LayerSheet`) with the block's numbers in the places of
W⁽ˡ⁾ (x | F(x)), s o δ (o and ∂ℓ/∂x) and G⁽ˡ⁾ (∂ℓ/∂o | the inner part); a block has no weights, so
its cursor visits o and ∂ℓ/∂x only."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ..core.formulas.notation import sup
from ..core.formulas.numformat import number_format
from .sheet import LayerSheet, Run
from .view import LayerView, layer_view


@dataclass(frozen=True)
class BlockView(LayerView):
    """A block's view: which of its columns hold numbers of this example yet (the others are drawn
    as ·; a number that is not finite is drawn as every panel draws it)."""

    known: tuple[bool, bool] = (False, False)  # x, F(x)
    parts_known: bool = False  # the fan-in's two parts


def block_view(stepper: Any, l: int) -> BlockView:
    """Layer view of block l: W holds [x, F(x)] per unit, G [∂ℓ/∂o⁽ˡ⁾, the inner part] once the
    fan-in is on the board, δ the fan-in ∂ℓ/∂x⁽ˡ⁾."""
    from ..core.engine import wiring
    from ..core.engine.explain import _weights_of_group

    st, net = stepper.state, stepper.net
    w = net.wiring
    units = stepper.spec.widths[l]
    left = np.full((units, 2), np.nan)
    for a, src in enumerate((w.src[l], w.tail[l])):
        if st.o[src] is not None:
            left[:, a] = st.o[src][-units:]
    right = np.full((units, 2), np.nan)
    if st.delta[l] is not None:  # the two parts, with the weights of the pass that made them
        board = replace(st, W=_weights_of_group(stepper))
        right[:, 0] = wiring.up_one(net, board, l)
        right[:, 1] = wiring.send_one(net, board, l + 1)
    view = layer_view(stepper, l)
    produced = "delta" if view.produced == "dx" else view.produced
    base = {f.name: getattr(view, f.name) for f in fields(LayerView)}
    base.update(W=left, G=right, s=None, produced=produced, optimizer=())
    return BlockView(**base, known=(st.o[w.src[l]] is not None, st.o[w.tail[l]] is not None),
                     parts_known=st.delta[l] is not None)


def same_view(a: LayerView, b: LayerView) -> bool:
    """Whether two block views show the same: equal fields, their arrays equal bit for bit (a nan made the
    same way, a column not computed yet, for a nan; −0.0 is not 0.0, whose sign a cell shows)."""
    if type(a) is not type(b):
        return False
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is y:
            continue
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape
                    and x.dtype == y.dtype and x.tobytes() == y.tobytes()):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


class BlockSheet(LayerSheet):
    """A residual block's panel (see the module's docstring)."""

    KEEPS_LINES = False  # its cells read what its view holds besides the arrays (the columns computed yet)

    def __init__(self, view: LayerView, digits: int, widest: int, stepper: Any = None, **kwargs: Any) -> None:
        w = stepper.net.wiring if stepper is not None else None
        self.src: int = w.src[view.layer] if w is not None else view.layer - 1  # x = o⁽ˢʳᶜ⁾
        self.tail: int = w.tail[view.layer] if w is not None else view.layer  # F(x) = o⁽ᵗᵃⁱˡ⁾
        super().__init__(view, digits, widest, **kwargs)

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list:
        return [cls(block_view(stepper, l), digits, 2, stepper, id=f"layer-{l}") for l in layers]

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        view = block_view(stepper, self.view.layer)
        # a block's view is made anew at each step (x | F(x) and the fan-in's parts are new arrays): one with
        # the numbers and look of the view shown keeps the panel as it is (an update step, which changes
        # neither, drew both blocks of deep_residual afresh)
        self.show(self.view if same_view(view, self.view) else view, hidden)

    def formats(self, arrays: Any) -> dict[int, str]:
        """The panel's formats, with each sum in one format with its parts: o beside x | F(x), and the
        fan-in ∂ℓ/∂x beside ∂ℓ/∂o | inner (never −0.00012 beside its parts' −1.43e−4)."""
        got = super().formats(arrays)
        v = self.view
        for total, parts in ((v.o, v.W), (v.delta, v.G)):
            if total is not None and parts is not None:
                got[id(total)] = got[id(parts)] = number_format(
                    np.concatenate([np.ravel(total), np.ravel(parts)]), self.digits)
        return got

    def _title(self) -> str:
        l, units = self.view.layer, self.view.W.shape[0]
        inner = f"layer {l + 1}" if self.tail == l + 1 else f"layers {l + 1}–{self.tail}"
        return (f"Layer {l} · residual block: o{sup(l)} = x + F(x), x = o{sup(self.src)}, F = {inner} · "
                f"{units} unit{'s' if units > 1 else ''}")

    def columns(self) -> list[tuple[str, int | None]]:
        return [("o", None), ("delta", None)]  # no weights: o and ∂ℓ/∂x only

    def _header(self, row: int) -> list[Run]:
        v, cw, l = self.view, self.cw, self.view.layer
        mw = self._matrix_width(self.ncols)
        runs: list[Run] = [("unit".ljust(self.lw) if row == 1 else " " * self.lw, "header", None)]
        if row == 0:
            runs.append(("the block adds".ljust(mw + 2), "header", None))
            for name, q in (("", "s"), (f"o{sup(l)}", "o"), ("∂ℓ/∂x", "delta")):
                runs.append((self._label(name, bool(name) and v.produced == q).rjust(cw),
                             "header+" if name and v.produced == q else "header", None))
            if not self.stacked:
                runs.append(("  " + self._label("the fan-in's parts", v.produced == "delta").ljust(mw),
                             "header+" if v.produced == "delta" else "header", None))
            return runs
        runs.append((self._pair(f"x=o{sup(self.src)}", f"F=o{sup(self.tail)}") + "  ", "header", None))
        runs.append((" " * (3 * cw), "header", None))
        if not self.stacked:
            runs.append(("  " + self._pair(f"∂ℓ/∂o{sup(l)}", "inner"), "header", None))
        return runs

    def _pair(self, left: str, right: str) -> str:
        return left.rjust(self.cw) + "│" + right.rjust(self.cw)

    def _block_header(self, row: int, quantity: str, label: str, n: int | None = None) -> list[Run]:
        if row == 1:
            return [("unit".ljust(self.lw), "header", None),
                    (self._pair(f"∂ℓ/∂o{sup(self.view.layer)}", "inner"), "header", None)]
        produced = self.view.produced == "delta"  # (the step of ∂ℓ/∂x adds its parts: ▶ on both, as side by side)
        return [(" " * self.lw, "header", None),
                (self._label("the fan-in's parts", produced), "header+" if produced else "header", None)]

    def _matrix(self, M: Any, b: int, q: str, mark: bool = True, n: int | None = None) -> list[Run]:
        """Row b of [x, F(x)] or of the fan-in's parts (both columns: a block hides none, ``n`` is its 2);
        a column not computed yet is a dot."""
        v = self.view
        known = (v.known if q == "W" else (v.parts_known,) * 2) if isinstance(v, BlockView) else (True, True)
        fmt = self._formats.get(id(M))
        runs: list[Run] = []
        for a in range(self.ncols):
            runs.append(self._number(M[b, a], False, False, v.stale, fmt=fmt) if known[a] else self._blank())
            if a == 0:
                runs.append(("│", "bias", None))
        return runs

    def _row(self, r: int) -> list[Run]:
        """The dense panel's row, with the s column left empty: a block has no s."""
        runs = super()._row(r)
        bias_row = self.view.hidden and r == 0
        at = 2 if bias_row else 1 + self.ncols + 1 + 1  # the label, W's columns and bar (or blank), the gap
        runs[at] = (" " * self.cw, "base", None)
        return runs

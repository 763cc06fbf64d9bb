"""Panels of a v2 network's map layers: feature maps as small matrices per channel, a convolution's
kernels, and the receptive-field highlight (Line API, like :mod:`.sheet`).

A :class:`MapSheet` shows one layer l of kind conv2d or max/avg pooling (or the input map, l = 0):

- a convolution: W⁽ˡ⁾ as its kernels (k = 1…K, each with its bias b_k and one kh × kw matrix per input
  channel c) and G⁽ˡ⁾ in the same form beside it; then, per channel k, the maps s⁽ˡ⁾, o⁽ˡ⁾, δ⁽ˡ⁾;
- a pooling layer: o⁽ˡ⁾ and ∂ℓ/∂o⁽ˡ⁾ per channel (it has no s, no weights);
- the input: o⁽⁰⁾ = x per channel.

Tab puts a cursor on a cell and the side panel explains it (``core/engine/explain.py``). On an output cell
(s or o) the app highlights, with ``›`` and a colour, its receptive field in the map below and the
kernel weights it used; on a δ cell, the output positions above it came from (:func:`highlights`).
What is highlighted is computed here from the layer kinds, without Textual (``highlights`` is pure).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..core.kinds import Conv2d, Dense, LayerKind, Pool2d
from ..core.formulas.notation import sup
from . import messages
from .sheet import LayerSheet, panel_css, whole_cells
from .view import cell, cell_width

Key = tuple  # (quantity, layer, index, column): index a map position (k, i, j) or a W/G row


def highlights(spec: Any, key: Key | None) -> set[Key]:
    """The cells to highlight for the cell under the cursor: for an output of layer l (s, o), its
    receptive field in o⁽ˡ⁻¹⁾ and, for a convolution, the kernel weights it used (W⁽ˡ⁾ row k, every
    column); for a δ of layer l, the entries of δ⁽ˡ⁺¹⁾ (the layer above) it came from."""
    if key is None or not isinstance(key[2], tuple):
        return set()
    q, l, pos, _ = key
    kinds = spec.layer_kinds
    out: set[Key] = set()
    if q in ("s", "o") and l >= 1:
        k = kinds[l - 1]
        if isinstance(k, (Conv2d, Pool2d)):
            kk, i, j = pos
            rows, cols = k.receptive_field(i, j)
            C, H, W = k.in_shape
            channels = range(C) if isinstance(k, Conv2d) else [kk]
            for c in channels:
                for r in range(max(rows.start, 0), min(rows.stop, H)):
                    for s in range(max(cols.start, 0), min(cols.stop, W)):
                        out.add(("o", l - 1, (c, r, s), None))
            if isinstance(k, Conv2d):
                out |= {("W", l, kk, a) for a in range(k.param_shape[1])}
    elif q == "delta" and l < spec.L:
        above = kinds[l]
        c, r, s = pos
        if isinstance(above, Conv2d):
            _, Ho, Wo = above.out_shape
            for K in range(above.channels):
                for i in range(Ho):
                    for j in range(Wo):
                        u, v = r + above.padding - i * above.stride, s + above.padding - j * above.stride
                        if 0 <= u < above.kernel[0] and 0 <= v < above.kernel[1]:
                            out.add(("delta", l + 1, (K, i, j), None))
        elif isinstance(above, Pool2d):
            _, Ho, Wo = above.out_shape
            for i in range(Ho):
                for j in range(Wo):
                    rows, cols = above.receptive_field(i, j)
                    if rows.start <= r < rows.stop and cols.start <= s < cols.stop:
                        out.add(("delta", l + 1, (c, i, j), None))
    return out


class MapSheet(ScrollView, can_focus=True):
    """One map layer's panel (see the module's docstring)."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Cell ↑", show=False),
        Binding("down", "move(1, 0)", "Cell ↓", show=False),
        Binding("left", "move(0, -1)", "Cell ←", show=False),
        Binding("right", "move(0, 1)", "Cell →", show=False),
        Binding("enter", "edit", "Edit weight", tooltip="Type a new value for the W cell under the cursor"),
    ]
    COMPONENT_CLASSES = {"sheet--header", "sheet--pos", "sheet--neg", "sheet--dim", "sheet--produced",
                         "sheet--bias", "sheet--cursor", "sheet--field"}
    DEFAULT_CSS = panel_css("MapSheet", 24, "MapSheet > .sheet--field { background: $warning 40%; text-style: bold underline; }\n")

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stepper, self.l_index, self.digits = stepper, layer, digits
        spec = stepper.spec
        self.kind: LayerKind | None = spec.layer_kinds[layer - 1] if layer else None
        self.shape = self.kind.out_shape if self.kind is not None else spec.input_shape
        self.hidden: Key | None = None
        self.field: set[Key] = set()
        self.cursor = 0  # index into self.cells
        self.lines: list[list[tuple[str, str, Key | None]]] = []
        self.cells: list[tuple[int, int, Key]] = []  # (line, x, key), in reading order
        self._styles: dict[str, Style] | None = None
        self._signature: tuple = ()
        self._unread: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    # -- what it shows ----------------------------------------------------------------------------
    def _title(self) -> str:
        l, k = self.l_index, self.kind
        if k is None:
            return "Input o⁽⁰⁾ = x · " + "×".join(map(str, self.shape))
        act = f" · f{sup(l)} = {self.stepper.spec.activations[l - 1]}" if k.has_s else ""
        return f"Layer {l} · {k.describe()}{act} · maps {'×'.join(map(str, k.out_shape))}"

    def unread(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rows and columns of this panel's maps that the layer above never reads (its stride
        leaves them out: ``LayerKind.unread``), worked out once per panel."""
        if self._unread is None:
            spec = self.stepper.spec
            self._unread = spec.layer_kinds[self.l_index].unread() if self.l_index < spec.L else ((), ())
        return self._unread

    def _legend(self) -> str:
        """The bottom border's legend for the × marks, or ""."""
        rows, cols = self.unread()
        if not rows and not cols:
            return ""
        above = self.stepper.spec.layer_kinds[self.l_index]
        return f"× never read by layer {self.l_index + 1} ({above.describe()})"

    def show(self, digits: int, hidden: Key | None = None, field: set[Key] | None = None) -> None:
        st = self.stepper.state
        l = self.l_index
        last = self.stepper.last
        arrays = (st.o[l], st.s[l], st.delta[l], st.W[l], st.G[l]) if l else (st.o[0],)
        produced = last.key.quantity if last is not None and last.key.layer == l else None
        field = field if field is not None else self.field
        sig = tuple(id(a) for a in arrays) + (digits, hidden, produced, frozenset(field), self.has_focus,
                                               self.cursor, last.key.phase if last is not None else None)
        if sig == self._signature:
            return
        self._signature = sig
        self.digits, self.hidden, self.field = digits, hidden, field
        self._build(produced)
        self.border_title = self._title()
        self.border_subtitle = self._legend()
        self.refresh(layout=True)

    def _build(self, produced: str | None) -> None:
        """The panel's lines as (text, style, key) runs, and where each cell sits (for the cursor)."""
        st, l, k = self.stepper.state, self.l_index, self.kind
        cw = cell_width(self.digits)
        stale = self.stepper.last is not None and self.stepper.last.key.phase == "update"
        lines: list[list[tuple[str, str, Key | None]]] = []

        rows, cols = self.unread()

        def number(x: float | None, key: Key, mark: bool, unread: bool = False) -> tuple[str, str, Key | None]:
            """A cell; ``unread``: a map entry no window of the layer above reads, marked × and dim."""
            if x is None:
                return (("×" if unread else "·").rjust(cw - 1) + " ", "dim", key)
            if key == self.hidden:
                return ("? ".rjust(cw), "pos", key)
            text = ("×" if unread else "") + cell(float(x), self.digits)
            name = "dim" if unread or (stale and key[0] in ("s", "o", "delta")) else ("neg" if x < 0 else "pos")
            return (text.rjust(cw - 1) + " ", name + ("+" if mark else ""), key)

        if isinstance(k, Conv2d):
            K = k.channels
            C, (kh, kw) = k.in_shape[0], k.kernel
            kern = {q: (getattr(st, q)[l]) for q in ("W", "G")}
            lines.append([(f"{'▶ ' if produced == 'W' else ''}W{sup(l)}: kernels k (bias b_k │ channels c = 1…{C})",
                           "header", None), ("      ", "base", None),
                          (f"{'▶ ' if produced == 'G' else ''}G{sup(l)}", "header", None)])
            for kk in range(K):
                for u in range(kh):
                    row: list[tuple[str, str, Key | None]] = [(f"k={kk + 1}".ljust(5) if u == 0 else " " * 5, "header", None)]
                    for q in ("W", "G"):
                        M = kern[q]
                        if u == 0:
                            row.append(number(M[kk, 0], (q, l, kk, 0), produced == q))
                        else:
                            row.append((" " * cw, "base", None))
                        row.append(("│", "bias", None))
                        for c in range(C):
                            for v in range(kw):
                                a = 1 + (c * kh + u) * kw + v
                                row.append(number(M[kk, a], (q, l, kk, a), produced == q))
                            row.append(("  ", "base", None))
                        row.append(("    ", "base", None))
                    lines.append(row)
            lines.append([])
        names = [("o", f"o{sup(l)} = x")] if k is None else (
            [("s", f"s{sup(l)}"), ("o", f"o{sup(l)}"), ("delta", f"δ{sup(l)}")] if k.has_s
            else [("o", f"o{sup(l)}"), ("delta", f"∂ℓ/∂o{sup(l)}")])
        Cn, H, W = self.shape
        width = W * cw
        head: list[tuple[str, str, Key | None]] = [(" " * 5, "header", None)]
        for q, name in names:
            head.append((("▶ " if produced == q else "") + name, "header+" if produced == q else "header", None))
            head.append((" " * max(width - len(name) - (2 if produced == q else 0) + 3, 1), "base", None))
        lines.append(head)
        for c in range(Cn):
            for i in range(H):
                letter = "c" if k is None else "k"  # the input's channels are c, a layer's k
                row = [(f"{letter}={c + 1}".ljust(5) if i == 0 else " " * 5, "header", None)]
                for q, _ in names:
                    arr = {"s": st.s, "o": st.o, "delta": st.delta}[q][l]
                    for j in range(W):
                        row.append(number(None if arr is None else arr[c, i, j], (q, l, (c, i, j), None), produced == q,
                                          i in rows or j in cols))
                    row.append(("   ", "base", None))
                lines.append(row)
            if c < Cn - 1:
                lines.append([])
        self.set_lines(lines)

    def set_lines(self, lines: list[list[tuple[str, str, Key | None]]]) -> None:
        """Show ``lines`` (runs of text, style name, cell key): the cells the cursor can visit, where
        they stand, and the scrollable size follow from them."""
        self.lines = lines
        cells = []
        for y, line in enumerate(lines):
            x = 0
            for text, _, key in line:
                if key is not None:
                    cells.append((y, x, key))
                x += len(text)
        self.cells = cells
        self.cursor = min(self.cursor, max(len(cells) - 1, 0))
        self.virtual_size = Size(max((sum(len(t) for t, _, _ in line) for line in lines), default=1), len(lines))

    def min_width(self) -> int:
        """The narrowest this panel should be (borders and padding included): a label and three cells."""
        return 5 + 3 * cell_width(self.digits) + 4

    # -- the cursor ----------------------------------------------------------------------------------
    @property
    def cursor_cell(self) -> Key | None:
        return self.cells[self.cursor][2] if self.has_focus and self.cells else None

    def action_move(self, dr: int, dc: int) -> None:
        if not self.cells:
            return
        y, x, _ = self.cells[self.cursor]
        if dc:
            same = [n for n, (yy, _, _) in enumerate(self.cells) if yy == y]
            pos = same.index(self.cursor) + dc
            if 0 <= pos < len(same):
                self.cursor = same[pos]
        else:
            lines = sorted({yy for yy, _, _ in self.cells})
            at = lines.index(y) + dr
            if 0 <= at < len(lines):
                target = lines[at]
                row = [n for n, (yy, _, _) in enumerate(self.cells) if yy == target]
                self.cursor = min(row, key=lambda n: abs(self.cells[n][1] - x))
        y, x, _ = self.cells[self.cursor]
        self.scroll_to_region(Region(x, y, cell_width(self.digits), 1), animate=False, immediate=True)
        self._signature = ()
        self.refresh()
        self.post_message(messages.CursorMoved(self.cursor_cell))

    def on_focus(self) -> None:
        self.refresh()
        self.post_message(messages.CursorMoved(self.cells[self.cursor][2] if self.cells else None))

    def on_blur(self) -> None:
        self.refresh()
        self.post_message(messages.CursorMoved(None))

    def action_edit(self) -> None:
        if self.cursor_cell is not None:
            self.post_message(messages.EditRequested(self.cursor_cell))

    def on_click(self, event: Any) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x + self.scroll_x, offset.y + self.scroll_y
        cw = cell_width(self.digits)
        for n, (yy, xx, _) in enumerate(self.cells):
            if yy == y and xx <= x < xx + cw:
                self.focus()
                self.cursor = n
                self.refresh()
                self.post_message(messages.CursorMoved(self.cursor_cell))
                return

    # -- drawing ----------------------------------------------------------------------------------
    def _palette(self) -> dict[str, Style]:
        if self._styles is None:
            get = self.get_component_rich_style
            base = self.rich_style
            p = {name: base + get(f"sheet--{name}") for name in ("header", "pos", "neg", "dim", "bias")}
            hot = get("sheet--produced")
            for name in ("header", "pos", "neg", "dim"):
                p[f"{name}+"] = p[name] + hot
            p["base"] = base
            p["cursor"] = base + get("sheet--cursor")
            p["field"] = base + get("sheet--field")
            self._styles = p
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        style = self._palette()
        if row >= len(self.lines):
            return Strip.blank(self.size.width, style["base"])
        here = self.cursor_cell
        segs = []
        for text, name, key in self.lines[row]:
            if key is not None and key == here:
                segs.append(Segment(f"[{text.strip()}]".rjust(len(text)), style["cursor"]))
            elif key is not None and key in self.field:
                segs.append(Segment(("›" + text.strip()).rjust(len(text) - 1) + " ", style["field"]))
            else:
                segs.append(Segment(text, style.get(name, style["base"])))
        strip = whole_cells(segs, scroll_x, scroll_x + self.size.width, style["base"])
        return strip.apply_offsets(scroll_x, row)


# -- the app's hooks ------------------------------------------------------------------------------------
def panels(stepper: Any, digits: int, bind: Any = None) -> Iterator[Any]:
    """The panels of a v2 network: the input map, then a MapSheet per map layer and a LayerSheet per
    dense layer (a dense layer after a map reads it flattened, [1, vec(o)])."""
    from .view import layer_views

    spec = stepper.spec
    if spec.input_shape:
        yield MapSheet(stepper, 0, digits, id="layer-0")
    widest = max(w.shape[1] for w, k in zip(spec.weights, spec.layer_kinds) if isinstance(k, Dense))
    views = layer_views(stepper)
    for l, k in enumerate(spec.layer_kinds, start=1):
        if isinstance(k, Dense):
            sheet = LayerSheet(views[l - 1], digits, widest, id=f"layer-{l}")
            yield sheet.data_bind(digits=bind) if bind is not None else sheet
        else:
            yield MapSheet(stepper, l, digits, id=f"layer-{l}")


def refresh_panels(screen: Any, hidden: Key | None) -> None:
    """Show the stepper's state in every panel of a v2 network (the network screen's), with the
    receptive-field highlight of the cell under the cursor."""
    from .view import layer_views

    field = highlights(screen.spec, screen.cell)
    views = layer_views(screen.stepper)
    for sheet in screen.query("#layers > *"):
        if isinstance(sheet, MapSheet):
            sheet.show(screen.digits, hidden, field)
        elif isinstance(sheet, LayerSheet):
            sheet.show(views[sheet.view.layer - 1], hidden)

"""One layer's panel: W⁽ˡ⁾ | s⁽ˡ⁾ o⁽ˡ⁾ δ⁽ˡ⁾ | G⁽ˡ⁾, one row per unit b, drawn with the Line API.

Only the lines on screen are built, so a 128 × 785 layer costs what its visible part costs.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..core.notation import sup
from .view import MAX_MATRIX_COLS, LayerView, cell, cell_width

HEADER_LINES = 2


class LayerSheet(ScrollView, can_focus=True):
    """A scrollable table of one layer's quantities."""

    COMPONENT_CLASSES = {
        "sheet--header", "sheet--pos", "sheet--neg", "sheet--dim", "sheet--produced", "sheet--bias",
    }
    DEFAULT_CSS = """
    LayerSheet {
        height: auto;
        max-height: 18;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
        scrollbar-size: 1 1;
    }
    LayerSheet:focus { border: round $accent; }
    LayerSheet > .sheet--header { color: $text-muted; text-style: bold; }
    LayerSheet > .sheet--pos { color: $text-primary; }
    LayerSheet > .sheet--neg { color: $text-error; }
    LayerSheet > .sheet--dim { color: $text-disabled; }
    LayerSheet > .sheet--produced { background: $accent 30%; text-style: bold; }
    LayerSheet > .sheet--bias { color: $text-accent; }
    """

    def __init__(self, view: LayerView, digits: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.digits = digits
        self._layout_columns()

    def show(self, view: LayerView, digits: int) -> None:
        self.view, self.digits = view, digits
        old = self.virtual_size
        self._layout_columns()
        self.border_title = self._title()
        if self.virtual_size != old:
            self.refresh(layout=True)
        else:
            self.refresh()

    # -- geometry ---------------------------------------------------------------------------------
    def _layout_columns(self) -> None:
        v = self.view
        self.cw = cell_width(self.digits)
        self.ncols = min(v.W.shape[1], MAX_MATRIX_COLS)
        self.hidden_cols = v.W.shape[1] - self.ncols
        self.rows = v.W.shape[0] + (1 if v.hidden else 0)
        matrix = 1 + self.ncols * self.cw + (7 if self.hidden_cols else 0)
        self.line_width = 5 + 2 * (matrix + 2) + 3 * self.cw
        self.virtual_size = Size(self.line_width, self.rows + HEADER_LINES)

    def _title(self) -> str:
        v = self.view
        return f"Layer {v.layer} · f{sup(v.layer)} = {v.activation} · {v.W.shape[0]} unit{'s' if v.W.shape[0] > 1 else ''}"

    def on_mount(self) -> None:
        self.border_title = self._title()

    # -- drawing ----------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        base = self.rich_style
        if row >= self.rows + HEADER_LINES:
            return Strip.blank(self.size.width, base)
        style = self.get_component_rich_style
        segments = self._header(row, style) if row < HEADER_LINES else self._row(row - HEADER_LINES, style)
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + self.size.width, base)
        return strip.apply_offsets(scroll_x, row)

    def _label(self, name: str, produced: bool) -> str:
        return ("▶ " if produced else "") + name

    def _header(self, row: int, style) -> list[Segment]:
        v, cw, l = self.view, self.cw, self.view.layer
        head = style("sheet--header")
        hot = head + style("sheet--produced")
        mw = 1 + self.ncols * cw + (7 if self.hidden_cols else 0)
        segs = [Segment("unit ".rjust(5) if row == 1 else " " * 5, head)]
        if row == 0:
            for name, q, width in ((f"W{sup(l)}", "W", mw), ):
                segs.append(Segment(self._label(name, v.produced == q).ljust(width + 2), hot if v.produced == q else head))
            for name, q in ((f"s{sup(l)}", "s"), (f"o{sup(l)}", "o"), (f"δ{sup(l)}", "delta")):
                segs.append(Segment(self._label(name, v.produced == q).rjust(cw), hot if v.produced == q else head))
            name = f"G{sup(l)}"
            segs.append(Segment("  " + self._label(name, v.produced == "G").ljust(mw), hot if v.produced == "G" else head))
            return segs
        cols = self._matrix_header()
        segs.append(Segment(cols + "  ", head))
        segs.append(Segment(" " * (3 * cw), head))
        segs.append(Segment("  " + cols, head))
        return segs

    def _matrix_header(self) -> str:
        cw = self.cw
        text = "bias".rjust(cw) + "│" + "".join(f"a={a}".rjust(cw) for a in range(1, self.ncols))
        if self.hidden_cols:
            text += f" +{self.hidden_cols}…".rjust(7)
        return text

    def _number(self, x, style, changed: bool, produced: bool, dim: bool) -> Segment:
        text = cell(float(x), self.digits) + ("•" if changed else " ")
        s = style("sheet--dim") if dim else style("sheet--neg" if x < 0 else "sheet--pos")
        if produced:
            s = s + style("sheet--produced")
        return Segment(text.rjust(self.cw), s)

    def _blank(self, style) -> Segment:
        return Segment("·".rjust(self.cw - 1) + " ", style("sheet--dim"))

    def _matrix(self, M: np.ndarray, b: int, q: str, style) -> list[Segment]:
        v = self.view
        produced = v.produced == q
        segs = []
        for a in range(self.ncols):
            changed = produced and v.changed is not None and bool(v.changed[b, a])
            segs.append(self._number(M[b, a], style, changed, produced, False))
            if a == 0:
                segs.append(Segment("│", style("sheet--bias")))
        if self.hidden_cols:
            segs.append(Segment(" " * 7))
        return segs

    def _row(self, r: int, style) -> list[Segment]:
        v = self.view
        bias_row = v.hidden and r == 0
        b = r - 1 if v.hidden else r  # index into W's rows
        label = "b=0" if bias_row else f"b={b + 1}"
        segs = [Segment(label.rjust(4) + " ", style("sheet--header"))]
        mw = 1 + self.ncols * self.cw + (7 if self.hidden_cols else 0)
        if bias_row:
            segs.append(Segment(" " * (mw + 2)))
        else:
            segs += self._matrix(v.W, b, "W", style)
            segs.append(Segment("  "))
        for q, arr in (("s", v.s), ("o", v.o), ("delta", v.delta)):
            idx = r if q == "o" else b
            if arr is None or (bias_row and q != "o"):
                segs.append(self._blank(style) if not bias_row or q == "o" else Segment(" " * self.cw))
                continue
            produced = v.produced == q
            changed = produced and v.changed is not None and bool(v.changed[idx])
            segs.append(self._number(arr[idx], style, changed, produced, v.stale))
        segs.append(Segment("  "))
        if not bias_row:
            segs += self._matrix(v.G, b, "G", style)
        return segs

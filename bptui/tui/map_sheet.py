"""Panels of a v2 network's map layers: feature maps as small matrices per channel, a convolution's
kernels, and the receptive-field highlight (Line API, like :mod:`.sheet`).

A :class:`MapSheet` shows one layer l of kind conv2d or max/avg pooling (or the input map, l = 0):

- a convolution: W⁽ˡ⁾ as its kernels (k = 1…K, each with its bias b_k and one kh × kw matrix per input
  channel c) and G⁽ˡ⁾ in the same form beside it; then, per channel k, the maps s⁽ˡ⁾, o⁽ˡ⁾, δ⁽ˡ⁾;
- a pooling layer: o⁽ˡ⁾ and ∂ℓ/∂o⁽ˡ⁾ per channel (it has no s, no weights);
- the input: o⁽⁰⁾ = x per channel.

The maps stand side by side as far as the panel's width holds them, the rest in a band under them, and
G⁽ˡ⁾'s kernels go under W⁽ˡ⁾'s when the two do not fit side by side (``_arrangement``); only a map wider
than the panel scrolls sideways, and a line that goes on past an edge shows ``…`` there. After a step
the panel scrolls to what the step produced.

Tab puts a cursor on a cell and the side panel explains it (``core/engine/explain.py``). On an output cell
(s or o) the app highlights, with ``›`` and a colour, its receptive field in the map below and the
kernel weights it used; on a δ cell, the output positions above it came from
(:func:`~.panels.highlights`, which asks the layer kinds; the screen passes the set to every panel).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.segment import Segment
from textual.geometry import Region, Size
from textual.strip import Strip

from ..core.engine.kind import LayerKind
from ..core.formulas.notation import sup
from .fitting import Fits
from .panel_base import DeferredLine, NumberSheet, marked_edges, offset_strip, panel_css, restyled, with_offsets
from .view import cell_width

Key = tuple  # (quantity, layer, index, column): index a map position (k, i, j) or a W/G row


def _restyling(before: tuple, after: tuple, qs: tuple[str, ...]) -> tuple[set[str], bool] | None:
    """How a map row's new look ``after`` (its formats, which of its band's quantities ``qs`` the step
    produced, an update's dimming, then what else it is drawn with) restyles the row of look ``before``:
    (the quantities whose mark goes, whether it is dimmed), when that is all it changes; else None (a
    mark that comes, the dimming that goes, anything else: the row is made again)."""
    if before[0] != after[0] or before[3:] != after[3:] or (before[2] and not after[2]):
        return None
    if any(b and not a for a, b in zip(before[1], after[1])):
        return None
    return {q for q, a, b in zip(qs, before[1], after[1]) if a and not b}, after[2]


class MeasuredCells:
    """A panel whose build keeps each line's cells as (x, key) in ``_at`` and sets ``cells`` to None:
    the list of every cell, (line, x, key) in reading order, is made when first asked for."""

    _cells: list[tuple[int, int, Key]] | None = None
    _at: list[list[tuple[int, Key]]]
    cursor: int

    @property
    def cells(self) -> list[tuple[int, int, Key]]:
        """(line, x, key) of every cell in reading order, listed from the lines' measures when asked for."""
        cells = self._cells
        if cells is None:
            cells = self._cells = [(y, x, key) for y, line in enumerate(self._at) for x, key in line]
            self.cursor = min(self.cursor, max(len(cells) - 1, 0))
        return cells

    @cells.setter
    def cells(self, cells: list[tuple[int, int, Key]] | None) -> None:
        self._cells = cells


class MapSheet(Fits, NumberSheet):
    """One map layer's panel (see the module's docstring)."""

    DEFAULT_CSS = panel_css("MapSheet", 24)
    FOLLOWS_CURSOR = True

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(digits, **kwargs)
        self.stepper, self.l_index = stepper, layer
        spec = stepper.spec
        self.kind: LayerKind | None = spec.layer_kinds[layer - 1] if layer else None
        self.shape = self.kind.out_shape if self.kind is not None else spec.input_shape
        self.hidden: Key | None = None
        self.field: set[Key] = set()
        self.cursor = 0  # index into self.cells
        self.lines: list[list[tuple[str, str, Key | None]]] = []
        self.cells: list[tuple[int, int, Key]] = []  # (line, x, key), in reading order
        self._signature: tuple = ()
        self._map_rows: dict[tuple, tuple[tuple, tuple, list]] = {}  # (band's quantities, c, i) → (arrays, look, row)
        self._titles: tuple[str, str] | None = None  # the border's title and subtitle, as last set
        # each line drawn, with the line it was drawn from (kept while the line is that one, or an equal
        # one, and what every line is drawn with is the same: scroll x, width, cursor, palette; the field
        # of the cursor's cell, by ``show``): the panel's own scroll, which Textual draws whole, draws
        # again only the lines a step changed
        self._strips: dict[int, tuple[list, Strip]] = {}
        self._strips_for: tuple = ()
        self._unread: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        self._avail = 0  # the content width the lines were built for
        self._kernels: tuple[dict[tuple[int, ...], int], tuple[int, int, int]] | None = None
        self._produced: str | None = None  # the quantity the last step produced, for a rebuild
        self._board: tuple = ()  # the board and the step's product the lines were last built for
        self.stepped = False  # the last show() drew a new board or step, not only a cursor move
        self.heading_lines: list[int] = []  # the lines that name the cells under them

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list[NumberSheet]:
        """A panel per map layer, after the input map's when the first layer reads one."""
        first = [0] if 1 in layers else []
        return [cls(stepper, l, digits, id=f"layer-{l}") for l in first + layers]

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        self.show(self.digits, hidden, field)

    # -- what it shows ----------------------------------------------------------------------------
    def _title(self) -> str:
        l, k = self.l_index, self.kind
        if k is None:
            return f"Input {self._names()[0][1]} · " + "×".join(map(str, self.shape))
        act = f" · f{self._layer_index(l)} = {self.stepper.spec.activations[l - 1]}" if k.has_s else ""
        return f"Layer {self._layer_number(l)} · {k.describe()}{act} · maps {'×'.join(map(str, k.out_shape))}"

    def _layer_number(self, l: int) -> int:
        """Layer ``l`` as the titles number it (a notation profile's panel: as the profile does)."""
        return l

    def _layer_index(self, l: int) -> str:
        """Layer ``l``'s index as a superscript: ⁽ˡ⁾ (a profile's panel: its own, ², ^[l])."""
        return sup(l)

    def unread(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rows and columns of this panel's maps that the layer above never reads (its stride
        leaves them out: ``LayerKind.unread``), worked out once per panel."""
        if self._unread is None:
            spec = self.stepper.spec
            self._unread = spec.layer_kinds[self.l_index].unread() if self.l_index < spec.L else ((), ())
        return self._unread

    def _names(self) -> list[tuple[str, str]]:
        """The maps a channel shows, as (quantity, heading): s, o, δ; a pooling layer's o and ∂ℓ/∂o;
        the input's o = x."""
        l, k = self.l_index, self.kind
        if k is None:
            return [("o", f"o{sup(l)} = x")]
        if k.has_s:
            return [("s", f"s{sup(l)}"), ("o", f"o{sup(l)}"), ("delta", f"δ{sup(l)}")]
        if k.own_steps:  # its own rows (a dropout layer's mask m, o, ∂ℓ/∂x), named by its view hints
            return [(q, k.panel_label(q, l)) for q in ("s", "o", "delta")]
        return [("o", f"o{sup(l)}"), ("delta", f"∂ℓ/∂o{sup(l)}")]

    def _channel(self, c: int) -> str:
        """The label of channel ``c`` (from 0) of this panel's maps: the input's are c, a layer's k."""
        return f"{'c' if self.kind is None else 'k'}={c + 1}"

    def _kernel_columns(self) -> tuple[dict[tuple[int, ...], int], tuple[int, int, int]]:
        """W's column of each kernel weight (c, u, v), and the kernels' (channels, height, width),
        worked out once per panel."""
        if self._kernels is None:
            assert self.kind is not None
            _, n = self.kind.param_shape
            at = {pos[1:]: a for a in range(1, n) if (pos := self.kind.weight_position(0, a))}
            C, kh, kw = (max(p[i] for p in at) + 1 for i in range(3))
            self._kernels = at, (C, kh, kw)
        return self._kernels

    def _kernel_width(self) -> int:
        """The columns of one kernel line of W⁽ˡ⁾ (or G⁽ˡ⁾): its bias, │, the channels' rows."""
        _, (C, _, kw) = self._kernel_columns()
        cw = cell_width(self.digits)
        return cw + 1 + C * (kw * cw + 2) - 2

    def _arrangement(self, avail: int) -> tuple[bool, list[list[tuple[str, str]]]]:
        """How the panel's parts are laid out in ``avail`` columns: G⁽ˡ⁾ under W⁽ˡ⁾ when the two do not
        fit side by side, and the maps in bands of as many as fit side by side (one at least: a map
        wider than the panel scrolls, with a … at the edge it goes on past)."""
        k = self.kind  # W and G side by side: 5 columns of label, W, 2 + 4 of gap, G
        stacked = k is not None and k.has_weights and 5 + 2 * self._kernel_width() + 6 > avail
        step = self.shape[2] * cell_width(self.digits) + 3  # a map and the gap after it
        bands: list[list[tuple[str, str]]] = []
        for name in self._names():
            if bands and 5 + (len(bands[-1]) + 1) * step - 3 <= avail:
                bands[-1].append(name)
            else:
                bands.append([name])
        return stacked, bands

    def fit_size(self) -> None:
        """A new width may change the arrangement: build the lines again when it does (a scrollbar
        that comes or goes changes the width too)."""
        width = self.room().width
        if self.lines and width != self._avail and self._arrangement(width) != self._arrangement(self._avail):
            self._produced = self.produced_now()
            self._build(self._produced)
            self._strips.clear()
            self.refresh(layout=True)
        self._avail = width

    def watch_show_vertical_scrollbar(self) -> None:
        self.fit_size()

    def _legend(self) -> str:
        """The bottom border's legend for the × marks, or ""."""
        rows, cols = self.unread()
        if not rows and not cols:
            return ""
        above = self.stepper.spec.layer_kinds[self.l_index]
        return f"× never read by layer {self._layer_number(self.l_index + 1)} ({above.describe()})"

    def board_signature(self) -> tuple:
        """What this panel's lines are made of, as ids and keys: the arrays it reads (never changed in
        place), and the step before the first, when the input is read from the data."""
        st, l = self.stepper.state, self.l_index
        arrays = (st.o[l], st.s[l], st.delta[l], st.W[l], st.G[l]) if l else (st.o[0],)
        ahead = self.stepper.position if l == 0 and st.o[0] is None else None  # x read from the data
        return tuple(id(a) for a in arrays) + (ahead,)

    def produced_now(self) -> str | None:
        """The quantity the stepper's last step wrote in this panel's layer, None if it wrote another's.
        A rebuild between two ``show`` calls (a resize, a new arrangement) reads it anew: the step that
        ``show`` saw may have been followed by others, and its mark would stand on the new numbers."""
        last = self.stepper.last
        return last.key.quantity if last is not None and last.key.layer == self.l_index else None

    def show(self, digits: int, hidden: Key | None = None, field: set[Key] | None = None) -> None:
        last = self.stepper.last
        produced = self.produced_now()
        field = field if field is not None else self.field
        board = self.board_signature() + (produced,)
        stale = last is not None and last.key.phase == "update"  # s, o, δ dimmed: in the lines
        sig = board + (digits, hidden, stale, frozenset(field), self.has_focus, self.cursor)
        if sig == self._signature:
            return
        # what render_line reads besides the lines: when it changes, every line is drawn again (a
        # change of phase is not one: only the lines whose cells it dims or lights are drawn again)
        looks = sig[len(board) + 3:]
        whole = looks != self._signature[len(board) + 3:]
        self.stepped, self._board = board != self._board, board
        self._signature = sig
        self.digits, self.hidden, self.field = digits, hidden, field
        self._produced = produced
        size, before = self.virtual_size, self.lines
        self._build(produced)
        titles = (self._title(), self._legend())
        if titles != self._titles:  # the border's lines only
            self._titles = titles
            self.retitle(*titles)
        if self.virtual_size != size:
            self._strips.clear()
            self.refresh(layout=True)  # a layout only when the lines' extent changed
        elif whole:
            self._strips.clear()
            self.refresh()
        else:  # a step: only the lines it changed, a refresh per run of them
            changed = [y for y, line in enumerate(self.lines) if y >= len(before) or (before[y] is not line and before[y] != line)]
            for y in changed:
                self._strips.pop(y, None)
            self.refresh_rows(changed)
        self.shown()

    def shown(self) -> None:
        """After a new board is drawn (a subclass may scroll otherwise): after a step, what it produced
        in view, with its heading, when the panel scrolls and has no cursor of the reader's."""
        if not self.stepped or self.has_focus or self._produced is None:
            return
        at = self.product_cells()
        if at:
            top, bottom = at[0][0] - 1, at[-1][0]
            room = self.room()
            region = Region(at[0][1], top, self.cell_columns(), max(1, min(bottom - top + 1, room.height)))
            if region in Region(*self.scroll_offset, *room) and not (self._layout_required or self.screen._layout_required):
                # in view already: Textual's scroll_to_region would not scroll, but would look the panel's
                # size up in the compositor's map of every widget, which a scroll of the panels' column leaves to
                # be built again (2.4 M instructions); the size the last layout gave it is that size
                y = int(self.scroll_offset.y)
            else:
                self.scroll_to_region(region, animate=False, immediate=True)
                y = int(self.scroll_offset.y)
            named = self.named_top(y, at[0][0], bottom, room.height)
            if named != y:
                self.scroll_to(y=named, animate=False, immediate=True)

    def line_lead(self, y: int) -> tuple[str, bool]:
        """Line ``y``'s text before its first cell (a row's name, a heading's text) and whether it has a cell
        (a lazy line's from its layout: its numbers not formatted)."""
        line = self.lines[y]
        slots = getattr(line, "slots", None)
        runs = slots() if slots is not None and not isinstance(line, DeferredLine) else line
        lead: list[str] = []
        for text, _, key in runs:
            if key is not None or text is None:
                return "".join(lead), True
            lead.append(text)
        return "".join(lead), False

    def on_resize(self) -> None:
        """A new size (the terminal's, the panels' arrangement): the view keeps its top, which can leave what
        the last step wrote below it (long_memory_lstm's c⁽¹⁾₂ at 120×40 made 80×24): shown again."""
        if self.stepped:
            self.call_after_refresh(self.shown)

    def product_cells(self) -> list[tuple[int, int]]:
        """Where the cells of what the last step produced in this layer stand, as (line, x)."""
        return [(y, x) for y, x, key in self.cells if key[0] == self._produced and key[1] == self.l_index]

    def _input(self) -> Any:
        """o⁽⁰⁾ = x: the board's, or before the first step the example the first step reads."""
        o0 = self.stepper.state.o[0]
        if o0 is None:
            o0 = np.asarray(self.stepper.where().x, dtype=float).reshape(self.shape)
        return o0

    def _build(self, produced: str | None) -> None:
        """The panel's lines as (text, style, key) runs, and where each cell sits (for the cursor)."""
        st, l, k = self.stepper.state, self.l_index, self.kind
        cw = cell_width(self.digits)
        stale = self.stepper.last is not None and self.stepper.last.key.phase == "update"
        lines: list[list[tuple[str, str, Key | None]]] = []

        rows, cols = self.unread()
        boards = {"s": st.s[l], "o": self._input() if k is None else st.o[l], "delta": st.delta[l]}
        weights = list(self._weights_shown().values()) if k is not None and k.has_weights else []
        formats = self.formats(list(boards.values()) + weights)

        def number(x: float | None, key: Key, mark: bool, unread: bool = False,
                   fmt: str | None = None) -> tuple[str, str, Key | None]:
            """A cell; ``unread``: a map entry no window of the layer above reads, marked × and dim."""
            if x is None:
                return (("×" if unread else "·").rjust(cw - 1) + " ", "dim", key)
            if key == self.hidden:
                return ("? ".rjust(cw), "pos", key)
            text = ("×" if unread else "") + self.number_text(float(x), fmt)
            dim = unread or (stale and key[0] in ("s", "o", "delta"))
            return (text.rjust(cw - 1) + " ", self.number_style(float(x), dim, mark), key)

        avail = self._avail = self.room().width or 10**6
        stacked, bands = self._arrangement(avail)
        self.heading_lines = []
        if k is not None and k.has_weights:  # the kernels, G⁽ˡ⁾ beside W⁽ˡ⁾ or under it
            lines += self._kernel_lines(stacked, number, formats, produced)
            lines.append([])
        names = self._names()
        Cn, H, W = self.shape
        width = W * cw
        # a map's row of cells (its channel c, its row i, the band's maps side by side), kept while what it is
        # drawn from is the same: a step changes one map (a forward step's s or o, a backward step's δ), an
        # update the kernels only, and the other maps' rows are not made again cell by cell
        kept, now = self._map_rows, dict[tuple, tuple[tuple, tuple, list]]()
        for n, band in enumerate(bands):  # the maps, as many side by side as the width holds
            if n:
                lines.append([])
            head: list[tuple[str, str, Key | None]] = [(" " * 5, "header", None)]
            for q, name in band:
                head.append((("▶ " if produced == q else "") + name, "header+" if produced == q else "header", None))
                head.append((" " * max(width - len(name) - (2 if produced == q else 0) + 3, 1), "base", None))
            self.heading_lines.append(len(lines))
            lines.append(head)
            qs = tuple(q for q, _ in band)
            sources = tuple(boards[q] for q in qs)
            # what a map row is drawn from besides its arrays (by identity: a board's arrays are never
            # changed in place): their formats, which one the step produced, an update's dimming, the
            # columns no window reads, the quiz's cell, the digits
            look = (tuple(formats.get(id(a)) for a in sources), tuple(produced == q for q in qs), stale,
                    cols, self.hidden, self.digits, cw)
            for c in range(Cn):
                for i in range(H):
                    place = (qs, c, i)
                    hit = kept.get(place)
                    if hit is not None and hit[1] != look and all(a is b for a, b in zip(hit[0], sources)):
                        # the same numbers in a new look (an update dims them, the ▶ leaves): the kept row
                        # restyled, not made again cell by cell
                        change = _restyling(hit[1], look, qs)
                        if change is not None:
                            hit = (sources, look, restyled(hit[2], change[0], change[1], self.hidden))
                    if hit is None or hit[1] != look or any(a is not b for a, b in zip(hit[0], sources)):
                        label = self._channel(c).ljust(5) if i == 0 else " " * 5
                        row: list[tuple[str, str, Key | None]] = [(label, "header", None)]
                        for q, arr, fmt, mark in zip(qs, sources, look[0], look[1]):
                            for j in range(W):
                                row.append(number(None if arr is None else arr[c, i, j], (q, l, (c, i, j), None),
                                                  mark, i in rows or j in cols, fmt))
                            row.append(("   ", "base", None))
                        hit = (sources, look, row)
                    now[place] = hit
                    lines.append(hit[2])
                if c < Cn - 1:
                    lines.append([])
        self._map_rows = now
        for line in lines:  # no blank run at a line's end: it would ask for a scrollbar
            while line and line[-1][2] is None and not line[-1][0].strip():
                line.pop()
        self.set_lines(lines)

    def _weights_shown(self) -> dict[str, Any]:
        """The matrices the kernels show, by quantity: the board's W⁽ˡ⁾ and G⁽ˡ⁾."""
        st, l = self.stepper.state, self.l_index
        return {"W": st.W[l], "G": st.G[l]}

    def _kernel_lines(self, stacked: bool, number: Any, formats: dict[int, str], produced: str | None
                      ) -> list[list[tuple[str, str, Key | None]]]:
        """W⁽ˡ⁾'s kernels (k = 1…K, each its bias b_k │ one kh × kw matrix per input channel c) and
        G⁽ˡ⁾'s in the same form, beside them or (``stacked``) under them; ``number`` writes a cell."""
        l, k = self.l_index, self.kind
        assert k is not None
        K, _ = k.param_shape
        at, (C, kh, kw) = self._kernel_columns()
        cw = cell_width(self.digits)
        shown = self._weights_shown()
        lines: list[list[tuple[str, str, Key | None]]] = []

        def kernel_line(q: str, kk: int, u: int) -> list[tuple[str, str, Key | None]]:
            M, fmt = shown[q], formats.get(id(shown[q]))
            row = [number(M[kk, 0], (q, l, kk, 0), produced == q, fmt=fmt) if u == 0 else (" " * cw, "base", None),
                   ("│", "bias", None)]
            for c in range(C):
                for v in range(kw):
                    a = at[c, u, v]
                    row.append(number(M[kk, a], (q, l, kk, a), produced == q, fmt=fmt))
                row.append(("  ", "base", None))
            return row

        def title(q: str) -> tuple[str, str, Key | None]:
            text = f"W{sup(l)}: kernels k (bias b_k │ channels c = 1…{C})" if q == "W" else f"G{sup(l)}"
            return (("▶ " if produced == q else "") + text, "header+" if produced == q else "header", None)

        for group in ((("W", "G"),) if not stacked else (("W",), ("G",))):
            if group == ("G",):
                lines.append([])
            self.heading_lines.append(len(lines))
            lines.append([title(group[0])] + ([("      ", "base", None), title("G")] if len(group) == 2 else []))
            for kk in range(K):
                for u in range(kh):
                    row: list[tuple[str, str, Key | None]] = [(f"k={kk + 1}".ljust(5) if u == 0 else " " * 5, "header", None)]
                    for q in group:
                        row += kernel_line(q, kk, u) + [("    ", "base", None)]
                    lines.append(row)
        return lines

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

    _spans: tuple[Any, list[int], list[tuple[int, int]]] = ((), [], [])

    def heading_spans(self) -> list[tuple[int, int]]:
        """Each heading (``heading_lines``) with the lines after it that name columns too (no cell, no
        number: a profile's ``unit  bias│ k=1`` line under its names), worked out once per build."""
        lines, starts = self.lines, self.heading_starts()
        known = self._spans
        if known[0] is lines and known[1] == starts:
            return known[2]
        named = ("header", "header+", "base", "bias")
        spans = []
        def names_columns(line: Any) -> bool:
            if isinstance(line, DeferredLine):  # (a row of numbers, made when drawn: not made to be looked at here)
                return False
            slots = getattr(line, "slots", None)  # (a line made when drawn, ``seq_sheet.LazyLine``: its layout)
            runs = slots() if slots is not None else line
            return bool(runs) and all(key is None and name in named for _, name, key in runs)

        for first in starts:
            end = first + 1
            while end < len(lines) and end not in starts and names_columns(lines[end]):
                end += 1
            spans.append((first, end - first))
        self._spans = (lines, list(starts), spans)
        return spans

    def heading_starts(self) -> list[int]:
        """The first line of each heading, top down."""
        return self.heading_lines

    def cell_columns(self) -> int:
        """The columns of one of the panel's cells (a sequence panel's are as wide as its numbers need)."""
        return cell_width(self.digits)

    def min_width(self) -> int:
        """The narrowest this panel should be (borders and padding included): a label and three cells."""
        return 5 + 3 * cell_width(self.digits) + 4

    # -- the cursor ----------------------------------------------------------------------------------
    @property
    def cursor_cell(self) -> Key | None:
        return self.cells[self.cursor][2] if self.has_focus and self.cells else None

    def focus_cell(self) -> Key | None:
        return self.cells[self.cursor][2] if self.cells else None

    def home(self) -> None:
        self.cursor = 0
        self._signature = ()
        super().home()

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
        self.scroll_to_cursor()
        self._signature = ()
        self.cursor_moved()

    def scroll_to_cursor(self) -> None:
        if self.cells:
            y, x, _ = self.cells[self.cursor]
            self.scroll_to_region(Region(x, y, self.cell_columns(), 1), spacing=self.heading_room(), animate=False,
                                  immediate=True)

    _pressed: Key | None = None  # the cell under the pointer when the button went down

    def _cell_under(self, event: Any) -> Key | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        x, y = offset.x + self.scroll_x, self.content_row(int(offset.y))
        cw = self.cell_columns()
        return next((key for yy, xx, key in self.cells if yy == y and xx <= x < xx + cw), None)

    def on_mouse_down(self, event: Any) -> None:
        """The cell pressed, as the panel stands now: the focus the press gives may open the explanation
        and lay the panels out anew (a big screen's spread rows close up) before the click arrives."""
        self._pressed = self._cell_under(event)

    def on_click(self, event: Any) -> None:
        key = self._pressed if self._pressed is not None else self._cell_under(event)
        self._pressed = None
        keys = [cell[2] for cell in self.cells]
        if key is not None and key in keys:
            self.focus()
            self.cursor = keys.index(key)
            self.cursor_moved()

    # -- drawing ----------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x = self.scroll_offset.x
        row = self.content_row(y)
        style = self._palette()
        width, view = self.line_widths()  # a scrollbar covers the rest of the width
        if row >= len(self.lines):
            return Strip.blank(width, style["base"])
        here = self.cursor_cell
        drawn_for = (scroll_x, view, width, here, id(style))  # (a new field: ``show`` drops every line's)
        if drawn_for != self._strips_for:
            self._strips.clear()
            self._strips_for = drawn_for
        line = self.lines[row]
        kept = self._strips.get(row)
        if kept is not None and (kept[0] is line or kept[0] == line):
            return kept[1]
        strip = self._draw(row, scroll_x, view, width, here, style)
        self._strips[row] = (line, strip)
        return strip

    def _draw(self, row: int, scroll_x: int, view: int, width: int, here: Key | None, style: dict) -> Strip:
        """Line ``row`` as the panel shows it, scrolled to ``scroll_x``, ``view`` columns wide. The runs
        wholly left or right of the view are one unstyled segment each (cut away, only their text's
        extent and blanks are read, for the edges' ``…``): a wide line (W⁽ˡ⁾ and G⁽ˡ⁾ side by side, a long
        sequence's τ) costs what its part in view costs."""
        segs: list[Any] = []  # Segments, or (text, style, None) runs
        x0, x1 = scroll_x, scroll_x + view
        before: list[str] = []
        after: list[str] = []
        x = 0
        field, base = self.field, style["base"]
        for text, name, key in self.lines[row]:
            x, start = x + len(text), x
            if x <= x0:
                before.append(text)
                continue
            if start >= x1:
                after.append(text)
                continue
            if key is not None and key == here:
                segs.append(Segment(f"[{text.strip()}]".rjust(len(text)), style["cursor"]))
            elif key is not None and field and key in field:
                segs.append(Segment(("›" + text.strip()).rjust(len(text) - 1) + " ", style["field"]))
            else:  # (text, style, control), as a Segment is: made one only if the line is cut below
                segs.append((text, style.get(name, base), None))
        if not (before or after or x0) and x <= x1:  # the whole line in view: nothing to cut or mark at an edge,
            # one strip made (a line's columns are its texts' characters: ``x``) of the runs as they are
            if x < x1:
                segs.append((" " * (x1 - x), base, None))
            if view < width:
                segs.append((" " * (width - view), base, None))
            return offset_strip(segs, 0, row, max(x1, width))
        segs = [seg if type(seg) is Segment else Segment(*seg) for seg in segs]
        if before:
            segs.insert(0, Segment("".join(before)))
        if after:
            segs.append(Segment("".join(after)))
        strip = marked_edges(segs, x0, x1, style["base"], style["dim"])
        if view < width:
            strip = strip.extend_cell_length(width, style["base"])
        return with_offsets(strip, scroll_x, row)

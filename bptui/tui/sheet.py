"""One layer's panel: W⁽ˡ⁾ | s⁽ˡ⁾ o⁽ˡ⁾ δ⁽ˡ⁾ | G⁽ˡ⁾, one row per unit b, drawn with the Line API.

Only the lines on screen are built, so a 128 × 785 layer costs what its visible part costs.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual import events
from textual.containers import VerticalScroll
from textual.css.scalar import Scalar, Unit
from textual.geometry import Region, Size
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from ..core.formulas.notation import sup
from .fitting import Fits
from .panel_base import (LeanScroll, NumberSheet, arrangement, block_columns, offset_strip, panel_css, parts_beside,
                         parts_per_line, restyled, shown_columns, spread, stretched, whole_cells, with_offsets)
from .view import LayerView, cell_width

__all__ = ["HEADER_LINES", "LayerSheet", "LayerPanels", "arrange_panels", "panels", "whole_cells"]

HEADER_LINES = 2
Run = tuple[str, str, Any]  # (text, the palette's name for its style, the cell's key or None): a piece of a line


class LayerSheet(Fits, NumberSheet):
    """A scrollable table of one layer's quantities, with a cell cursor when it has focus."""

    DEFAULT_CSS = panel_css("LayerSheet", 18)

    def __init__(self, view: LayerView, digits: int, widest: int, **kwargs: Any) -> None:
        """``widest``: the most matrix columns of any layer, so that all panels choose one layout.
        ``view`` may hold NumPy arrays (a stepper's state) or :class:`~.view.Rows` (the loading
        screen's view of the file, before NumPy is imported)."""
        super().__init__(digits, **kwargs)
        self.widest = widest
        self.view = view
        self.stacked, self.ncols = False, 0
        self.pitch, self.lead = 1, 0
        self.per = 1  # blocks under the rows side by side on a line
        self.bcols = 0  # the columns each block under the rows shows (W's, or more where its line holds them)
        self.beside: list[tuple[str, str, Any]] = []  # blocks beside the rows (an optimizer's state, when they scroll)
        self._avail = 0  # the content width the columns were laid out for
        self._room = Size(0, 0)  # the room (``room()``) they were laid out in
        self._stacked_in: tuple[int, int] | None = None  # (room, digits) in which G last had to go under W
        self._own_in: tuple[int, int, int] | None = None  # (room, digits, column's height) of G beside W on its own
        self._cramped_in: tuple[int, int, int] | None = None  # and where G last did not fit beside W on its own
        self._arranged_cw = 0  # the cells' width (not widened) the screen last arranged its panels for
        self.cursor = (1 if view.hidden else 0, 0)  # (unit row, column) on screen
        self.hidden: tuple | None = None  # a cell the quiz asks for, drawn as "?"
        self._formats: dict[int, str] = {}  # id(array) → its number format: one per matrix or vector
        # each line as last drawn: (its runs, the window it was cut for: scroll x, width, base
        # style, the strip); a line whose runs and window are the same is not made again
        self._drawn: dict[int, tuple[list[Run], tuple, Strip]] = {}
        self._window: tuple = ()  # the window of the last line drawn
        self._layouts = 0  # counts the column layouts (what a line's runs are made from changes with one)
        self._made: tuple[Any, dict, tuple, dict[int, list[Run]]] | None = None  # (view, look, made from, row → runs)
        # each line of cells as last made: (what it reads, its look, its runs), kept while what it reads is the
        # same, and restyled (``panel_base.restyled``) when only its look changed (``_line``)
        self._kept: dict[int, tuple[tuple[tuple, tuple], tuple, list[Run]]] = {}
        self._titled: str | None = None  # the border's title, as last set
        self._layout_columns()

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list[NumberSheet]:
        """A panel per layer of ``layers``, all with the widest one's layout."""
        from .view import layer_view

        views = [layer_view(stepper, l) for l in layers]
        widest = max(view.W.shape[1] for view in views)
        return [cls(view, digits, widest, id=f"layer-{view.layer}") for view in views]

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        from .view import layer_view

        self.show(layer_view(stepper, self.view.layer), hidden)

    @staticmethod
    def _signature(view: LayerView, digits: int, hidden: tuple | None) -> tuple:
        # arrays are never changed in place, and self.view keeps the old ones alive, so ids are safe
        arrays = (view.W, view.G, view.s, view.o, view.delta) + tuple(a for _, a in view.optimizer)
        return tuple(id(a) for a in arrays) + (view.produced, view.stale, digits, hidden)

    def show(self, view: LayerView, hidden: tuple | None = None) -> None:
        """Show a new state (``hidden``: a cell shown as ``?``, the quiz's question); a layer the
        step did not touch is not redrawn."""
        if self._signature(view, self.digits, hidden) == self._signature(self.view, self.digits, self.hidden):
            return
        self.view, self.hidden = view, hidden
        self._relayout(changed_only=True, step=True)

    def _show_product(self) -> bool:
        """After a step, what it wrote in this layer in view, with its heading, when the panel scrolls and the
        reader's cursor is not in it (as a map panel's product is: moons at 80×24 stayed at its top at the step
        that writes G⁽¹⁾, its block under the rows, 22 lines in 12, out of view): G⁽ˡ⁾'s block under W⁽ˡ⁾ from
        its heading, else the unit rows (s, o, δ, G⁽ˡ⁾ beside W⁽ˡ⁾, an update's W⁽ˡ⁾ with the states under
        them) from the panel's top; a product taller than the view shows its top. Returns whether it scrolled."""
        v = self.view
        room = self._room.height
        if v.produced is None or self.has_focus or not room or self.virtual_size.height <= room:
            return False
        if v.produced == "G" and self.stacked and self.blocks and self.blocks[0][0] == "G":
            top = self._row_y(self.rows - 1) + 1  # the blocks' first line: a blank, then G's heading
            start, heads = top + 1, self._group_tops()[0][1]
            end = start + heads + self.view.W.shape[0] - 1
        elif v.produced in ("s", "o", "delta", "G", "W"):
            start, end = 0, self._row_y(self.rows - 1)
            if v.produced == "W":  # (the states the update wrote, under the rows)
                end = self.virtual_size.height - 1
        else:
            return False
        scroll_y = int(self.scroll_offset.y)
        _, pinned = self.pinned()
        if scroll_y + pinned <= start and min(end, start + room - 1) < scroll_y + room:
            target = scroll_y  # in view already
        else:
            target = min(start, self.virtual_size.height - room)
        target = self.named_top(target, start, end, room)  # (and what the view shows named)
        if target == scroll_y:
            return False
        self.scroll_to(y=target, animate=False, immediate=True)
        return True

    def on_resize(self) -> None:
        """A new size (the terminal's, the panels' arrangement): what the last step wrote in view again, once
        the columns are laid out in it (moons at G⁽¹⁾, 120×40 made 80×24: G⁽¹⁾'s block went under W⁽¹⁾, the
        view stayed at the top)."""
        self.call_after_refresh(self._show_product)

    def watch_digits(self) -> None:
        self._relayout()

    def _relayout(self, changed_only: bool = False, step: bool = False) -> None:
        """Lay the columns out again and redraw: the whole panel, or (``changed_only``: a new board,
        the panel's extent kept) only its lines in view that changed; ``step``: a new board, whose product
        the panel scrolls to (``_show_product``: the scroll draws the view again)."""
        old = self.virtual_size
        self._layout_columns()
        title = self._title()
        if title != self._titled:  # (Textual's setter draws the whole panel again, even for the same title)
            self.border_title = self._titled = title
        scrolled = step and self._show_product()
        if self.virtual_size != old:
            self.refresh(layout=True)
        elif scrolled:  # (the lines of the view it left are not compared)
            pass
        elif changed_only:
            self._refresh_changed()
        else:
            self.refresh()

    # -- geometry ---------------------------------------------------------------------------------
    def _marker(self, n: int) -> str:
        """What W shows after its first n columns: `` +2…`` when columns are hidden, else nothing."""
        hidden = self.view.W.shape[1] - n
        return f" +{hidden}…" if hidden > 0 else ""

    def _matrix_width(self, n: int) -> int:
        return 1 + n * self.cw + len(self._marker(n))

    def _line_width(self, n: int, stacked: bool) -> int:
        m = self._matrix_width(n)
        return self.lw + m + 2 + 3 * self.cw + (0 if stacked else 2 + m)

    def _layout_columns(self) -> None:
        """Side by side (W | s o δ | G) when every panel's W fits so, else G under W with as many
        columns as fit: a column is hidden only when there is no room for it."""
        v = self.view
        was = self.columns() if self._layouts else []  # the cursor's cell, kept when the columns shown change
        at = was[min(self.cursor[1], len(was) - 1)] if was else None
        self._layouts += 1
        self.lw = max(5, len(f"b={v.W.shape[0]}") + 1)  # the unit label's column: b=128 as wide as b=1
        arrays = (v.W, v.G, v.s, v.o, v.delta) + tuple(a for _, a in v.optimizer)
        self._formats = formats = self.formats(arrays)
        # a cell as wide as the widest number with a blank before it and its • after (and the cursor's
        # brackets): −1.304e−12 must not run into the cell beside it
        self.cw = self.base_cw = max([cell_width(self.digits)] + [2 + self._widest(a, formats.get(id(a)))
                                                                  for a in arrays if a is not None])
        self._room = self.room()
        # the content's width with the right padding's column (a panel that hides columns gives it them:
        # ``give_padding``), worked out the same whether or not it has given it yet
        avail = self._room.width + self.styles.padding.right - 1 if self._room.width else 10**6
        self._avail = avail
        n = v.W.shape[1]
        own = self._line_width(max(n, self.widest), False) > avail
        # once a δ or G of e−5 (a cell wider by one) sent G under W, it stays there in the same room: the
        # panel changes its layout at most once, not back and forth as each example's numbers come and go
        if own:
            self._stacked_in = (avail, self.digits)
        elif self._stacked_in == (avail, self.digits):
            own = True
        # one arrangement for every panel of the screen (the one the widest layer allows): G beside W
        # in all of them, or under W in all, but a panel that would scroll so while G fits beside its W
        # (``_keeps_own``)
        group = arrangement(self) if self._room.width else None
        self.stacked = group.under(self, own) if group is not None else own
        base_cw = self.base_cw
        if base_cw != self._arranged_cw:  # a number of another width: the screen arranges its panels again
            self._arranged_cw = base_cw
            self.widened()
        self.rows = v.W.shape[0] + (1 if v.hidden else 0)
        own_room = self._keeps_own(avail, kept=True) if self.stacked else None
        if own_room is not None:  # (kept in this room: not laid out under W first)
            self.stacked = False
        avail, n = self._place_parts(avail)
        own_room = self._keeps_own(avail) if self.stacked else None
        if own_room is not None:  # G beside W in this panel, the screen's under, when that saves lines
            under = HEADER_LINES + self.rows + self._blocks_lines()
            self.stacked = False
            avail, n = self._place_parts(self._avail)
            if self._own_in == own_room or HEADER_LINES + self.rows + self._blocks_lines() < under:
                self._own_in = own_room
            else:  # as many lines either way (iris with adam at 160×45: W | m over G | v): the screen's
                self.stacked = True
                avail, n = self._place_parts(self._avail)
        marker = len(self._marker(n))
        if self.widen and avail < 10**6 and not self.hidden_cols:  # a big screen's: cells widened to the width
            if self.stacked:  # the rows: lw + 3 + (n + 3)·cw; the blocks' line: per·(lw + 1) + 2·(per − 1) + per·n·cw
                lines = [(self.lw + 3 + marker, n + 3)]
            else:  # lw + 7 + (2n + 3)·cw columns in all
                lines = [(self.lw + 7 + 2 * marker, 2 * n + 3)]
            if self.beside:  # the rows' line and the blocks beside it: (lw + 1)·k + 2·k more, k·n cells more
                k = len(self.beside)
                fixed, cells = lines[0]
                lines[0] = (fixed + k * (self.lw + 1 + marker + 2), cells + k * n)
            if self.blocks:
                lines.append((self.per * (self.lw + 1 + marker) + 2 * (self.per - 1), self.per * n))
            self.cw = stretched(self.cw, avail, lines)
        # lines per unit row, and blank lines above the first: on a tall panel of a big screen the unit
        # rows spread evenly over the height the blocks under them (G under W, an optimizer's state, as
        # they are) leave, centred (so that a layer's middle row lines up with the one of a layer beside it)
        self.pitch, self.lead = 1, 0
        blocks = self._blocks_lines()
        room = self.room().height - HEADER_LINES - blocks
        if self.stretch and room > 0:
            self.pitch, self.lead = spread(self.rows, room)
        height = self._row_y(self.rows - 1) + 1 + blocks
        self.virtual_size = Size(self._width(), height)
        if at is not None:
            self._keep_cursor(at)

    def _place_parts(self, avail: int) -> tuple[int, int]:
        """W's columns shown, and the blocks under the rows or beside them, for the arrangement chosen
        (``stacked``) in ``avail`` columns; returns (the columns the parts take, W's columns shown)."""
        v = self.view
        n = v.W.shape[1]
        tight = self.stacked and n > 2 and self._line_width(n, True) > avail
        if tight:  # the most columns that fit, or 2, in the padding's column too: none hidden beside a blank one
            avail += avail < 10**6
            n = shown_columns(n, avail, lambda m: self._line_width(m, True))
        self.give_padding(tight)
        self.ncols = n
        self.hidden_cols = v.W.shape[1] - n
        self.blocks = self._blocks()
        # the blocks under the rows (G under W, an optimizer's state: each of G's shape) stand side by side,
        # as many to a line as the width holds, G first (under W): a narrow layer's velocity beside its G,
        # not under it, past the bottom of its panel, while the columns at its right stay blank
        self.bcols = n
        self.per = self._per_line(avail)
        self._place_beside(avail)
        if self.blocks:  # a line of blocks under the rows as wide as it is (G may show columns W hides):
            # each block as many of its own columns as the line holds, its own +k…
            self.bcols = block_columns(n, v.W.shape[1], avail, self.per, self._block_width)
        return avail, n

    def _keeps_own(self, avail: int, kept: bool = False) -> tuple[int, int, int] | None:
        """Whether the panel may take its own arrangement, G beside W, while the screen's stands under
        (``panel_base.Arrangement``: another layer's W is too wide for G beside it), and then the room it
        is in: G fits beside W in this panel's width, and with G under W its lines would not fit the height
        the column can give it (its room and the blank lines under the panels), so that it would scroll
        while the blank columns at its rows' right hold G (moons at 120×40 after an update: layer 1's G⁽¹⁾
        and v⁽¹⁾ under its rows, 22 lines in 17, G⁽¹⁾'s rows b=4…8 and v⁽¹⁾'s out of view beside 53 blank
        columns; with G⁽¹⁾ beside W⁽¹⁾ and v⁽¹⁾ under them, 21, G⁽¹⁾ whole). The panel takes it when that
        saves lines (``_layout_columns``); a panel that fits either way keeps the screen's, as a profile's
        map panel does (``ProfileMapSheet._keeps_own``). Once taken in a room it is kept there, and once G
        did not fit beside W there it is not taken again, not back and forth as the numbers' widths come
        and go (``kept``: the room when it was taken in it, else None, without laying the panel out)."""
        column: Any = self.parent
        if avail >= 10**6 or column is None or not self._room.height:
            return None
        room = (self._avail, self.digits, column.size.height)
        if self._cramped_in == room:
            return None
        if self._line_width(self.view.W.shape[1], False) > self._avail:  # (an update's e−7 in this room: for good)
            self._cramped_in = room
            return None
        if self._own_in == room or kept:  # (``kept``: only whether it was taken in this room)
            return room if self._own_in == room else None
        height = HEADER_LINES + self.rows + self._blocks_lines()  # (rows not spread)
        spare = 0 if column.has_class("wide") else \
            column.size.height - sum(int(p.outer_size.height) for p in column.children if p.display)
        return room if height > self._room.height + max(0, spare) else None

    def _keep_cursor(self, at: tuple[str, int | None]) -> None:
        """The cursor on cell ``at`` (quantity, column) of a row again after the columns shown changed (a
        resize, G's own columns under W): on the same cell, else on the last column of its quantity shown."""
        columns = self.columns()
        if at in columns:
            c = columns.index(at)
        else:
            c = max((i for i, (q, _) in enumerate(columns) if q == at[0]), default=len(columns) - 1)
        if c != self.cursor[1]:
            self.cursor = (self.cursor[0], max(c, 0))
            if self.has_focus and columns[c] != at:  # another cell: the screen explains the one it is on
                self.cursor_moved()

    def _place_beside(self, avail: int) -> None:
        """The blocks that stand beside the rows (:func:`~.panel_base.parts_beside`): when the panel's lines
        do not fit its height and the blank at the rows' right holds a block, an optimizer's state stands
        there, its rows beside W's (G stays under W), the others under the rows as before."""
        self.beside = []
        if not self.blocks or avail >= 10**6:
            return
        height = HEADER_LINES + self.rows + self._blocks_lines()  # (rows not spread)
        if height <= self._room.height:
            return
        first = 1 if self.blocks[0][0] == "G" else 0
        rows = self._line_width(self.ncols, self.stacked)
        k = parts_beside(rows, self._block_width(self.ncols), len(self.blocks), avail, first)
        if k:
            self.beside = self.blocks[first:first + k]
            self.blocks = self.blocks[:first] + self.blocks[first + k:]
            self.per = self._per_line(avail)

    def _block_width(self, n: int | None = None) -> int:
        """A block's width under the rows (G⁽ˡ⁾ under W⁽ˡ⁾, an optimizer's state: ``bcols`` columns) or beside
        them (``n``: W's ``ncols``): its unit labels and matrix."""
        labels = (len(self._label(label, True)) for _, label, _ in self.blocks + self.beside)
        return self.lw + max(self._matrix_width(self.bcols if n is None else n), *labels)

    def _blocks_width(self, per: int) -> int:
        """The width of a line of ``per`` blocks side by side, two blanks between them."""
        return per * self._block_width() + 2 * (per - 1)

    def _per_line(self, avail: int) -> int:
        """How many blocks stand side by side on a line: as many as ``avail`` columns hold (one at least),
        each with W's columns (then each shows as many of its own as the line holds)."""
        return parts_per_line(self._block_width(self.ncols), len(self.blocks), avail) if self.blocks else 1

    def _groups(self) -> int:
        """The lines of blocks under the rows."""
        return -(-len(self.blocks) // self.per) if self.blocks else 0

    def _heads(self, group: int) -> int:
        """The heading lines of line ``group`` of blocks: a name's and the columns' (``unit  bias│ a=1``)
        with G's band or columns other than W's, a name's alone for an optimizer's state showing W's columns
        (named at the top: a profile's panel names them so too; a line fewer for each, iris's layer 2 at
        160×45)."""
        together = self.blocks[group * self.per:(group + 1) * self.per]
        return HEADER_LINES if self.bcols != self.ncols or any(q == "G" for q, _, _ in together) else 1

    def _group_tops(self) -> list[tuple[int, int]]:
        """Each line of blocks under the rows as (its first line, counted from the blocks' first, its
        heading lines): a blank, its heading's lines, a row per unit."""
        out, y = [], 0
        for g in range(self._groups()):
            heads = self._heads(g)
            out.append((y, heads))
            y += 1 + heads + self.view.W.shape[0]
        return out

    def _blocks_lines(self) -> int:
        """The lines of the blocks under the rows."""
        return sum(1 + heads + self.view.W.shape[0] for _, heads in self._group_tops())

    def _width(self) -> int:
        """The panel's widest line: its rows' (with the blocks beside them), or a line of its blocks'."""
        rows = self._line_width(self.ncols, self.stacked)
        if self.beside:
            rows += len(self.beside) * (2 + self._block_width(self.ncols))
        return max(rows, self._blocks_width(self.per)) if self.blocks else rows

    def part_ends(self) -> list[int] | None:
        """The heading and the unit rows (with the parts beside them), then each line of blocks under them."""
        top = self._row_y(self.rows - 1) + 1
        return [top] + [top + first + 1 + heads + self.view.W.shape[0] for first, heads in self._group_tops()]

    def _row_y(self, r: int) -> int:
        """The line unit row r is drawn on."""
        return HEADER_LINES + self.lead + r * self.pitch

    def _blocks(self) -> list[tuple[str, str, Any]]:
        """Matrices drawn under the rows, each as (quantity, label, matrix): G⁽ˡ⁾ when it does not
        fit beside W⁽ˡ⁾, then the optimizer's state (it changes in the update of W⁽ˡ⁾)."""
        v = self.view
        blocks = [("G", self._heading("G"), v.G)] if self.stacked and v.G.shape[1] else []
        return blocks + [("W", label, array) for label, array in v.optimizer]

    def fit_size(self) -> None:
        old = (self.stacked, self.ncols, self.bcols, self.cw, self.pitch, self.lead, self.per, len(self.beside))
        self._layout_columns()
        if (self.stacked, self.ncols, self.bcols, self.cw, self.pitch, self.lead, self.per, len(self.beside)) != old:
            self.refresh(layout=True)

    def rearranged(self) -> None:
        """The screen's arrangement changed (another panel's G went under its W, or came back beside it):
        lay the columns out again, once the panel laying itself out now is done."""
        if self.is_attached:
            self.call_later(self.fit_size)

    def watch_show_vertical_scrollbar(self) -> None:
        """A scrollbar that comes or goes changes the room: lay the columns out again (a transient
        scrollbar while the screen settles used to leave W with hidden columns beside blank ones; a
        tall panel's rows spread over its height)."""
        if self.room() != self._room:
            self.fit_size()

    watch_show_horizontal_scrollbar = watch_show_vertical_scrollbar

    def restretched(self) -> None:
        self._relayout()

    def natural_width(self, narrowest: bool = False) -> int:
        """The width this panel needs with G beside W, every column shown and cells as wide as its
        numbers need (``narrowest``: as the digits allow), not widened (borders and padding included)."""
        n = self.view.W.shape[1]
        cw, self.cw = self.cw, cell_width(self.digits) if narrowest else self.base_cw
        try:
            return self._line_width(n, False) + 4
        finally:
            self.cw = cw

    def min_width(self) -> int:
        """The narrowest this panel should be (borders and padding included): W⁽ˡ⁾ with its bias and
        first weight column (and the +N… of the others), then s, o, δ, with G under W."""
        cw, self.cw = self.cw, self.base_cw
        try:
            return self._line_width(min(2, self.view.W.shape[1]), True) + 4
        finally:
            self.cw = cw

    def _title(self) -> str:
        v = self.view
        what = v.kind.panel_title(v.layer, v.activation) if v.kind is not None else f"f{sup(v.layer)} = {v.activation}"
        return f"Layer {v.layer} · {what} · {v.W.shape[0]} unit{'s' if v.W.shape[0] > 1 else ''}"

    def _heading(self, quantity: str) -> str:
        """A column's heading: the kind's view hint (W⁽ˡ⁾, s⁽ˡ⁾ …; a layer norm's u⁽ˡ⁾, ∂ℓ/∂x⁽ˡ⁾)."""
        v = self.view
        if v.kind is not None:
            return v.kind.panel_label(quantity, v.layer)
        return ("δ" if quantity == "delta" else quantity) + sup(v.layer)

    def on_mount(self) -> None:
        self.border_title = self._titled = self._title()

    # -- the cursor ---------------------------------------------------------------------------------
    def columns(self) -> list[tuple[str, int | None]]:
        """The cells of one row, left to right: W's shown columns, s, o, δ, G's shown columns (under the rows,
        G's own: it may show columns W hides)."""
        matrix: list[tuple[str, int | None]] = [("W", a) for a in range(self.ncols)]
        g = self.bcols if self.stacked else self.ncols
        return matrix + [("s", None), ("o", None), ("delta", None)] + [("G", a) for a in range(g)]

    def cell_at(self, r: int, c: int) -> tuple | None:
        """(quantity, layer, index, column) of the cell at unit row r, column c; None if empty."""
        q, a = self.columns()[c]
        hidden = self.view.hidden
        if q == "o":
            return ("o", self.view.layer, r, None)
        if hidden and r == 0:
            return None
        return (q, self.view.layer, r - (1 if hidden else 0), a)

    def home(self) -> None:
        """The cursor back on the first cell (W's bias of unit 1), as after a reset."""
        self.cursor = (1 if self.view.hidden else 0, 0)
        super().home()

    @property
    def cursor_cell(self) -> tuple | None:
        return self.cell_at(*self.cursor) if self.has_focus else None

    def focus_cell(self) -> tuple | None:
        return self.cell_at(*self.cursor)

    def action_move(self, dr: int, dc: int) -> None:
        r, c = self.cursor
        ncols = len(self.columns())
        r = min(max(r + dr, 0), self.rows - 1)
        c = min(max(c + dc, 0), ncols - 1)
        if self.cell_at(r, c) is None:  # the bias row holds only o's leading 1
            r = 1 if dr <= 0 and dc != 0 else r
            if self.cell_at(r, c) is None:
                r, c = (r + 1, c) if dr < 0 else (r, self.columns().index(("o", None)))
        self.cursor = (r, c)
        self.scroll_to_cursor()
        self.cursor_moved()

    def scroll_to_cursor(self) -> None:
        r, c = self.cursor
        q, _ = self.columns()[c]
        y = self._row_y(r)
        if self.stacked and q == "G":  # in the block under the rows
            y = self._row_y(self.rows - 1) + 2 + HEADER_LINES + r - (1 if self.view.hidden else 0)
        x = self._column_x(c)
        self.scroll_to_region(Region(x, y, self.cw, 1), spacing=self.heading_room(), animate=False, immediate=True)

    def _column_x(self, c: int) -> int:
        q, a = self.columns()[c]
        m = self._matrix_width(self.ncols)
        if a is not None:  # W or G
            x = self.lw + a * self.cw + (1 if a else 0)  # the bias bar │ follows column 0
            return x + (m + 2 + 3 * self.cw + 2 if q == "G" and not self.stacked else 0)
        return self.lw + m + 2 + ("s", "o", "delta").index(q) * self.cw

    def on_click(self, event) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        # whole cells: scroll offsets are floats (and a browser's pointer may be between cells)
        x, y = int(offset.x + self.scroll_x), self.content_row(int(offset.y))
        top = self._row_y(self.rows - 1) + 1  # the blocks' first line
        columns = self.columns()
        if self.stacked and y >= top:  # the G block under W
            r = y - top - 1 - HEADER_LINES + (1 if self.view.hidden else 0)
            candidates = [c for c, (q, _) in enumerate(columns) if q == "G"]
        else:
            r = y - HEADER_LINES - self.lead
            if self.pitch > 1:  # the blank lines between unit rows hold no cell
                if r < 0 or r % self.pitch:
                    return
                r //= self.pitch
            candidates = [c for c, (q, _) in enumerate(columns) if not (self.stacked and q == "G")]
        hits = [c for c in candidates if self._column_x(c) <= x < self._column_x(c) + self.cw]
        if 0 <= r < self.rows and hits and self.cell_at(r, hits[0]) is not None:
            self.focus()
            self.cursor = (r, hits[0])
            self.cursor_moved()

    # -- drawing ----------------------------------------------------------------------------------
    KEEPS_LINES = True
    """A line of cells is kept while what it reads is the same and restyled when only its look changes
    (``_line``); a panel whose cells read more than its view's arrays (a block's) makes them afresh."""

    def render_line(self, y: int) -> Strip:
        scroll_x = self.scroll_offset.x
        row = self.content_row(y)
        style = self._palette()
        base = style["base"]
        runs = self._made_runs(row, style)
        width = self.line_widths()[0]
        if runs is None:
            return Strip.blank(width, base)
        window = self._window = (scroll_x, width, base)
        drawn = self._drawn.get(row)
        if drawn is not None and drawn[1] == window and (drawn[0] is runs or drawn[0] == runs):
            return drawn[2]
        length = sum(len(text) for text, _, _ in runs)  # (a line's columns are its texts' characters)
        if scroll_x or length > width:  # a number the view's edge cuts shows as …
            segments = [Segment(text, style[name]) for text, name, _ in runs]
            strip = with_offsets(whole_cells(segments, scroll_x, scroll_x + width, base), scroll_x, row)
        else:  # the whole line in view: one strip made, its segments made once, with their places
            styled = [(text, style[name], None) for text, name, _ in runs]
            if length < width:
                styled.append((" " * (width - length), base, None))
            strip = offset_strip(styled, 0, row, width)
        self._drawn[row] = (runs, window, strip)
        return strip

    def _made_runs(self, row: int, style: dict) -> list[Run] | None:
        """Line ``row``'s runs: the ones :meth:`_refresh_changed` made to compare it when it found the
        line changed, while what they are made from is the same (the board's view, the layout, the
        quiz's cell, the cursor, the look), else made now (a line of a new board was made twice:
        once to compare it, once to draw it)."""
        made = self._made
        if made is not None and made[0] is self.view and made[1] is style and made[2] == self._made_from():
            runs = made[3].pop(row, None)
            if runs is not None:
                return runs
        return self._line(row)

    def _made_from(self) -> tuple:
        """What a line's runs are made from besides the board's view and the look (:meth:`_runs`)."""
        return (self._layouts, self.hidden, self.cursor_cell)

    def _segments(self, row: int, style: dict) -> list[Segment] | None:
        """Line ``row`` of the panel as segments in the panel's look ``style`` (its palette), before the
        view's columns are cut out of it; None past its last line."""
        runs = self._runs(row)
        return None if runs is None else [Segment(text, style[name]) for text, name, _ in runs]

    def _line(self, row: int) -> list[Run] | None:
        """Line ``row``'s runs (:meth:`_runs`), a line of cells kept from the last time it was made while
        what it reads (:meth:`_reads`) is the same: as it was when its look (the quantity the step produced,
        an update's dimming) is too, restyled (``panel_base.restyled``) when only the look changed so (the
        ▶ left its cells, an update dims s, o and δ), else made again. An update draws every row of a panel
        again (s, o and δ dimmed) and changes the numbers of its W only: the other panels' rows and the
        blocks under W (G⁽ˡ⁾, an optimizer's state it did not change) are not made again cell by cell."""
        reads = self._reads(row)
        if reads is None:
            return self._runs(row)
        v = self.view
        look = (v.produced, v.stale, v.changed if v.produced is not None else None)
        hit = self._kept.get(row)
        if hit is not None and hit[0][0] == reads[0]:
            if hit[1][0] == look[0] and hit[1][1] == look[1] and hit[1][2] is look[2]:
                return hit[2]
            change = self._restyling(hit[1], look, hit[2])
            if change is not None:
                again: list[Run] = restyled(hit[2], *change)
                self._kept[row] = (reads, look, again)
                return again
        runs = self._runs(row)
        if runs is not None:
            if len(self._kept) > 4 * self.virtual_size.height + 64:  # (rows of older layouts)
                self._kept.clear()
            self._kept[row] = (reads, look, runs)
        return runs

    @staticmethod
    def _restyling(before: tuple, after: tuple, runs: list[Run]) -> tuple[set[str], bool] | None:
        """How the look ``after`` (the quantity produced, the dimming, the produced cells' changes) restyles
        a kept line of look ``before``: (the quantities whose mark goes, whether it is dimmed), or None,
        when the line must be made again: the dimming that goes, or, when the step's product or its
        changes are new, a mark that comes to its cells, a ``•`` of a change it shows (its text goes with
        the mark), the cursor's cell (its text is its cell's, in brackets)."""
        (was, stale, _), (now, dim, _) = before, after
        if stale and not dim:
            return None
        if was == now and before[2] is after[2]:
            return set(), dim and not stale
        for text, name, key in runs:
            if name == "cursor" or text.endswith("•") or (key is not None and key[0] == now):
                return None
        return ({was} if was is not None else set()), dim and not stale

    def _reads(self, row: int) -> tuple[tuple, tuple] | None:
        """What line ``row`` of cells is made from besides its look, or None for a line made afresh each
        time (a heading, whose labels name the step; a line past the last; a panel that keeps none): (the
        layout, the digits, the cursor's cell, the arrays it reads by identity and their formats, compared
        as one tuple; the arrays themselves, which the kept line keeps alive, so that a new array never
        takes an old one's id: a board's arrays are never changed in place). Worked out once for the unit
        rows and once for each line of blocks under them, while the board's view, the layout and the
        cursor's cell are the same."""
        if not self.KEEPS_LINES or self.hidden is not None or row < HEADER_LINES:
            return None
        cursor = self.cursor_cell
        memo = self._reads_memo
        if memo is None or memo[0] is not self.view or memo[1] != self._layouts or memo[2] != cursor:
            memo = self._reads_memo = (self.view, self._layouts, cursor, self._row_y(self.rows - 1) + 1,
                                       self._group_tops(), {})
        top, tops, known = memo[3], memo[4], memo[5]
        if row < top:  # the unit rows: W, s, o, δ, G beside W, the blocks beside them
            group = -1
        elif row < self.virtual_size.height:
            group = sum(1 for first, _ in tops[1:] if first <= row - top)
            first, heads = tops[group]
            if row - top - first <= heads:  # the blank line above a line of blocks, its heading
                return None
        else:
            return None
        reads = known.get(group)
        if reads is None:
            v = self.view
            if group < 0:
                arrays = (v.W, v.s, v.o, v.delta, v.G) + tuple(a for _, _, a in self.beside)
            else:
                arrays = tuple(a for _, _, a in self.blocks[group * self.per:(group + 1) * self.per])
            formats = self._formats
            reads = known[group] = ((self._layout_key(), cursor, *(id(a) for a in arrays),
                                     *(formats.get(id(a)) for a in arrays)), arrays)
        return reads

    _reads_memo: tuple | None = None  # (view, layouts, cursor's cell, the blocks' first line, their groups, group → reads)

    def _layout_key(self) -> tuple:
        """What places a panel's lines and their cells (the columns' layout), and the digits they are written to."""
        return (self.cw, self.ncols, self.lw, self.stacked, self.per, self.pitch, self.lead, self.rows,
                self.hidden_cols, len(self.blocks), len(self.beside), self.digits)

    def _runs(self, row: int) -> list[Run] | None:
        """Line ``row`` of the panel as runs, before the view's columns are cut out of it; None past its
        last line."""
        top = self._row_y(self.rows - 1) + 1
        if row < HEADER_LINES:
            return self._with_beside(self._header(row), row + 1)
        if row < top:
            r, between = divmod(row - HEADER_LINES - self.lead, self.pitch)
            if between or r < 0:
                return []
            b = r - 1 if self.view.hidden else r  # a block's row: W's row b (none beside o's 1)
            return self._with_beside(self._row(r), 1 + HEADER_LINES + b if b >= 0 else 0)
        if row < self.virtual_size.height:
            tops = self._group_tops()
            group = sum(1 for first, _ in tops[1:] if first <= row - top)  # the line of blocks the row is in
            first, heads = tops[group]
            offset = row - top - first
            if offset == 0:
                return []
            out: list[Run] = []
            width = self._block_width()
            for i, block in enumerate(self.blocks[group * self.per:(group + 1) * self.per]):  # two blanks between
                if i:  # the next block at its place: (width + 2) columns after the one before
                    used = sum(len(text) for text, _, _ in out)
                    out.append((" " * (i * (width + 2) - used), "base", None))
                out += self._block_line(block, offset, heads)
            return out
        return None

    def _with_beside(self, runs: list[Run], offset: int) -> list[Run]:
        """A line of the rows with line ``offset`` of each block beside them (none for 0)."""
        if not self.beside or not offset:
            return runs
        x, width = self._line_width(self.ncols, self.stacked) + 2, self._block_width(self.ncols) + 2
        for i, block in enumerate(self.beside):
            used = sum(len(text) for text, _, _ in runs)
            runs = runs + [(" " * max(0, x + i * width - used), "base", None),
                           *self._block_line(block, offset, n=self.ncols)]
        return runs

    def _block_line(self, block: tuple[str, str, Any], offset: int, heads: int = HEADER_LINES,
                    n: int | None = None) -> list[Run]:
        """Line ``offset`` (1: its heading's first) of a block under the rows (or beside them: ``n``, W's
        columns), of ``heads`` heading lines."""
        quantity, label, matrix = block
        n = self.bcols if n is None else n
        if offset <= heads:
            return self._block_header(offset - 1, quantity, label, n)
        b = offset - 1 - heads
        unit = (f"b={b + 1}".rjust(self.lw - 1) + " ", "header", None)
        return [unit] + self._matrix(matrix, b, quantity, mark=quantity == "G", n=n)

    def _refresh_changed(self) -> None:
        """Redraw the lines in view that a new board changes, and no other: a step changes a
        column or a header of a panel, and a line drawn again costs Textual as much as a new one.
        A line is compared as runs, the last drawn line's against the new board's (a kept line of
        cells, :meth:`_line`, by identity)."""
        style = self._palette()
        first, count = self.pinned()
        scroll_y = self.scroll_offset.y
        shown = [*range(first, first + count),  # a pinned heading's lines, then the rows under it
                 *range(scroll_y + count, min(scroll_y + self.room().height, self.virtual_size.height))]
        changed = []
        made: dict[int, list[Run]] = {}  # the changed lines' new runs, for render_line
        for row in shown:
            drawn = self._drawn.get(row)
            if drawn is None or drawn[1] != self._window:
                changed.append(row)
                continue
            runs = self._line(row)
            if drawn[0] is not runs and drawn[0] != runs:
                changed.append(row)
                if runs is not None:
                    made[row] = runs
        self._made = (self.view, style, self._made_from(), made)
        self.refresh_rows(changed)

    def heading_spans(self) -> list[tuple[int, int]]:
        """The heading's two lines, and each block's under the rows (G⁽ˡ⁾ under W⁽ˡ⁾, an optimizer's state)."""
        top = self._row_y(self.rows - 1) + 1
        return [(0, HEADER_LINES)] + [(top + first + 1, heads) for first, heads in self._group_tops()]

    def line_lead(self, y: int) -> tuple[str, bool]:
        """Line ``y``'s text before its first cell, and whether it has one: a row's unit (its name, under the
        heading that names the columns), a heading's text."""
        lead: list[str] = []
        for text, _, key in self._line(y) or ():
            if key is not None:
                return "".join(lead).lstrip(), True
            lead.append(text)
        return "".join(lead), False

    def _block_header(self, row: int, quantity: str, label: str, n: int | None = None) -> list[Run]:
        """Line ``row`` of a block's heading: its name, then its first ``n`` columns' names (W's shown ones
        by default)."""
        if row == 1:
            return [("unit".ljust(self.lw), "header", None), (self._matrix_header(n), "header", None)]
        produced = self.view.produced == quantity
        name = self._label(label, produced)
        return [(" " * self.lw, "header", None), (name, "header+" if produced else "header", None)]

    def _label(self, name: str, produced: bool) -> str:
        return ("▶ " if produced else "") + name

    def _header(self, row: int) -> list[Run]:
        v, cw = self.view, self.cw
        mw = self._matrix_width(self.ncols)
        runs: list[Run] = [("unit".ljust(self.lw) if row == 1 else " " * self.lw, "header", None)]
        if row == 0:
            for name, q, width in ((self._heading("W"), "W", mw), ):
                runs.append((self._label(name, v.produced == q).ljust(width + 2), "header+" if v.produced == q else "header",
                             None))
            for q in ("s", "o", "delta"):
                name = self._heading(q)
                runs.append((self._label(name, v.produced == q).rjust(cw), "header+" if v.produced == q else "header", None))
            if self.stacked:
                return runs
            name = self._heading("G")
            runs.append(("  " + self._label(name, v.produced == "G").ljust(mw), "header+" if v.produced == "G" else "header",
                         None))
            return runs
        cols = self._matrix_header()
        runs.append((cols + "  ", "header", None))
        runs.append((" " * (3 * cw), "header", None))
        if not self.stacked:
            runs.append(("  " + cols, "header", None))
        return runs

    def _matrix_header(self, n: int | None = None) -> str:
        """The column names of a matrix's first ``n`` columns (W's shown ones by default), and its ``+k…``."""
        cw = self.cw
        v = self.view
        n = self.ncols if n is None else n
        names = v.kind.panel_columns() if v.kind is not None else ("bias",) + tuple(f"a={a}" for a in range(1, n))
        names = names[:n]
        if not names:
            return " "
        text = names[0].rjust(cw) + "│" + "".join(name.rjust(cw) for name in names[1:])
        return text + self._marker(n)

    def _number(self, x, changed: bool, produced: bool, dim: bool, here: bool = False,
                secret: bool = False, fmt: str | None = None, key: tuple | None = None) -> Run:
        """A cell: its text and style (``NumberSheet.number_style``), and ``key``, the quantity and place it
        shows (what ``panel_base.restyled`` restyles it by); the cursor's cell and the quiz's have none
        (a kept line with either is never restyled: ``_reads``)."""
        x = float(x)
        text = "? " if secret else self.number_text(x, fmt) + ("•" if changed else " ")
        if here:  # brackets mark the cursor without colour too
            return (f"[{text.strip()}]".rjust(self.cw), "cursor", None)
        name = self.number_style(0.0 if secret else x, dim, produced)
        return (text.rjust(self.cw), name, None if secret else key)

    def _blank(self) -> Run:
        return ("·".rjust(self.cw - 1) + " ", "dim", None)

    def _matrix(self, M: Any, b: int, q: str, mark: bool = True, n: int | None = None) -> list[Run]:
        """Row b of matrix M, its first ``n`` columns (W's shown ones by default); ``mark``: M is the
        quantity q itself (its changes and cursor show)."""
        v = self.view
        n = self.ncols if n is None else n
        produced = mark and v.produced == q
        here = self.cursor_cell
        fmt = self._formats.get(id(M))
        runs: list[Run] = []
        for a in range(n):
            changed = produced and v.changed is not None and bool(v.changed[b, a])
            at = (q, v.layer, b, a) if mark else None
            runs.append(self._number(M[b, a], changed, produced, False, here == at and mark,
                                     self.hidden == at and mark, fmt, at))
            if a == 0:
                runs.append(("│", "bias", None))
        marker = self._marker(n)
        if marker:
            runs.append((" " * len(marker), "base", None))
        return runs

    def _row(self, r: int) -> list[Run]:
        v = self.view
        bias_row = v.hidden and r == 0
        b = r - 1 if v.hidden else r  # index into W's rows
        label = "b=0" if bias_row else f"b={b + 1}"
        runs: list[Run] = [(label.rjust(self.lw - 1) + " ", "header", None)]
        mw = self._matrix_width(self.ncols)
        if bias_row:
            runs.append((" " * (mw + 2), "base", None))
        else:
            runs += self._matrix(v.W, b, "W")
            runs.append(("  ", "base", None))
        cursor = self.cursor_cell
        for q, arr in (("s", v.s), ("o", v.o), ("delta", v.delta)):
            idx = r if q == "o" else b
            at = (q, v.layer, idx, None)
            here = cursor == at
            if bias_row and q != "o":
                runs.append((" " * self.cw, "base", None))
            elif arr is None:
                runs.append(("[·]".rjust(self.cw), "cursor", None) if here else self._blank())
            else:
                produced = v.produced == q
                changed = produced and v.changed is not None and bool(v.changed[idx])
                secret = self.hidden == at
                runs.append(self._number(arr[idx], changed, produced, v.stale, here, secret,
                                         self._formats.get(id(arr)), at))
        if not bias_row and not self.stacked:
            runs.append(("  ", "base", None))
            runs += self._matrix(v.G, b, "G")
        return runs

def panels(views: list[LayerView], digits: int, bind: Any = None) -> list[LayerSheet]:
    """A LayerSheet per layer, all with one layout (the widest layer's); ``bind``: the screen's
    ``digits`` reactive, for the panels to follow (``data_bind``)."""
    widest = max(view.W.shape[1] for view in views)
    sheets = []
    for view in views:
        sheet = LayerSheet(view, digits, widest, id=f"layer-{view.layer}")
        sheets.append(sheet.data_bind(digits=bind) if bind is not None else sheet)
    return sheets


WIDE_LAYERS = 4  # at most this many layers side by side


def arrange_panels(layers: Any, width: int, seen: dict[int, int] | None = None) -> None:
    """Big screens and projectors: the layer panels side by side, their cells widened, when every
    panel fits beside the others with G beside W; else one under the other (``layers``: the
    ``#layers`` container, ``width``: the room it has; ``seen``: each panel's widest natural width
    so far in this room, kept and updated, so that the panels go from side by side to one under the
    other once when a wider number comes, not back and forth as numbers come and go)."""
    from .panel_base import NumberSheet

    panels = list(layers.query(NumberSheet))
    natural = [panel.natural_width() for panel in panels]
    if seen is not None:
        natural = [w if w is None else max(w, seen.get(id(p), 0)) for p, w in zip(panels, natural)]
        seen.update((id(p), w) for p, w in zip(panels, natural) if w is not None)
    sheets = [panel for panel, w in zip(panels, natural) if w is not None]  # the lecture's and a profile's dense panels
    widths = [w for w in natural if w is not None]
    # a profile's dense panels stand side by side only when no other panel is among them (the lecture's
    # LayerSheets as they always have)
    fits = len(widths) == len(natural) or any(isinstance(panel, LayerSheet) for panel in sheets)
    wide = side_by_side(fits, widths, width)
    # a big screen: one that holds the panels side by side at the narrowest cells; panels whose numbers
    # no longer fit so (an update's e−7) stand one under the other there, their cells widened to the width
    big = wide or side_by_side(fits, [sheet.natural_width(narrowest=True) for sheet in sheets], width)
    layers.set_class(wide, "wide")
    for sheet in sheets:
        sheet.set_stretch(wide, big)


def side_by_side(fits: bool, widths: list, width: int) -> bool:
    """Whether panels of natural ``widths`` stand side by side (widened) in ``width`` columns: up to
    ``WIDE_LAYERS`` of them, each in its equal share; one panel, in twice its width."""
    if not fits or not widths:
        return False
    if len(widths) == 1:
        return width >= 2 * widths[0]  # one layer: widen its cells
    return len(widths) <= WIDE_LAYERS and len(widths) * max(widths) <= width  # (1fr each)


def bar_covers(panel: Any) -> bool:
    """Whether a vertical scrollbar on ``panel`` would stand over its numbers: its lines are wider than its
    content's room less the scrollbar's columns (from the size the last layout gave it)."""
    return bool(panel.virtual_size.width > panel.room(scrollbars=False).width - panel.styles.scrollbar_size_vertical)


def shared_by_parts(whole: dict[int, tuple[int, int]], ends: dict[int, list[int] | None], height: int) -> dict[int, int]:
    """The heights of panels whose lines the column's ``height`` does not hold (``whole``: each panel's lines
    with its borders, and its own height; ``ends``: the line after each of its parts, top down, its heading
    and rows first, then each line of the parts under them, G's band, an optimizer's state:
    ``NumberSheet.part_ends``; None: a panel of one part, which keeps its own height, and takes the lines left
    when every other is whole). The column shows the
    panels' parts level by level: every panel's heading and rows, then every panel's next part, as long as
    it holds that level in every panel; the lines left go to the parts of the next level, whole, the
    shortest first (top down among equals), the rest to lines of the others, top down, and to the level
    after only when every panel shows the one before. So no panel shows a part while another hides one of
    an earlier level, and a step changes no panel's height (its parts are those of the whole pass). iris
    with adam at 160×45: layer 2's W, s, o, δ and G whole (11 lines), layer 1's all but the last row of G
    and v (21 of 22), where both scrolled in 16 lines (the states of layer 2 shown, G⁽¹⁾ a scroll away),
    and layer 2 whole would hide G⁽¹⁾. Empty when the column does not hold every panel's heading and rows
    (the panels keep their heights, and the column scrolls)."""
    levels: dict[int, list[int]] = {}
    for key, (need, lines) in whole.items():
        parts = ends.get(key)
        border = need - parts[-1] if parts else 0  # (the borders, a scrollbar's line)
        levels[key] = [border + end for end in parts] if parts else [min(need, lines)]

    def at(key: int, level: int) -> int:
        return levels[key][min(level, len(levels[key]) - 1)]

    if sum(at(key, 0) for key in levels) > height:
        return {}
    level = 0
    while sum(at(key, level + 1) for key in levels) <= height and any(len(ls) > level + 1 for ls in levels.values()):
        level += 1
    caps = {key: at(key, level) for key in levels}
    spare = height - sum(caps.values())
    while spare > 0:
        level += 1
        nxt = {key: at(key, level) - caps[key] for key in levels if at(key, level) > caps[key]}
        if not nxt:
            break
        for key in sorted(nxt, key=lambda k: nxt[k]):  # (sorted keeps the panels' order among equals)
            if nxt[key] <= spare:
                caps[key] += nxt[key]
                spare -= nxt[key]
                del nxt[key]
        for key in [k for k in levels if k in nxt]:  # a part that does not fit whole: its first lines, top down
            more = min(nxt[key], spare)
            caps[key] += more
            spare -= more
    for key, (need, _) in whole.items():  # lines still left: to a panel of one part (a map's) that scrolls
        more = min(need - caps[key], spare)
        if more > 0:
            caps[key] += more
            spare -= more
    return caps


class LayerPanels(LeanScroll, can_focus=False):
    """The ``#layers`` column: the panels one under the other, or side by side when the room it
    is given (the screen's width, less the side panel's when that is open) holds them."""

    arranged = -1  # the width the panels were last arranged for
    _digits = 0  # and the digits

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        from .panel_base import Arrangement

        self.arrangement = Arrangement()  # G beside W or under it, one choice for every panel (panel_base)
        self._seen: dict[int, int] = {}  # each panel's widest natural width in this room (arrange_panels)
        # for each column size and panels' lines, the panels left whole on their own (fit_panels), decided once
        self._alone: dict[tuple, frozenset[int]] = {}
        self._rearranging = False

    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Textual's, but the column's scrollbar, of no width (``app.tcss``), is given its position without
        being repainted: drawn nowhere, it is in no map of the compositor's, and its repaint after a scroll
        (the step's layer followed) looked it up in a map of every widget built again for it (2.4 M
        instructions, deep_residual's update with the map open), and marked that map stale."""
        if not self.styles.scrollbar_size_vertical and self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.set_reactive(ScrollBar.position, bar.validate_position(new_value))
        super().watch_scroll_y(old_value, new_value)

    def rearrange(self) -> None:
        """A panel's numbers need another width (``NumberSheet.widened``): arrange the panels again for
        the widest numbers seen, once the step is drawn (once for all the panels it widened)."""
        if not self._rearranging and self.is_attached:
            self._rearranging = True
            self.call_later(self._rearrange)

    def _rearrange(self) -> None:
        self._rearranging = False
        self.place_panels(self.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self.place_panels(event.size.width)
        self.fit_panels(event.size.height)

    def _laid_out(self, screen: Any) -> None:
        """After every layout of the screen: a Resize can be lost (Textual's compositor rebuilds its
        map lazily when a widget's region is asked for between a change and the next layout, and then
        that layout sees no change: opening the explanation left the panels side by side in a column
        half as wide, their columns hidden)."""
        if self.size.width != self.arranged:
            self.place_panels(self.size.width)
        self.fit_panels(self.size.height)  # (panels put in the column since are fitted too)

    def fit_panels(self, height: int) -> None:
        """No panel taller than the column (80×24: a dense panel's 18 lines in 13): a panel taller than
        its room scrolls its rows under its heading, which stays in view, where the column would
        scroll the heading away with the panel's top. A panel's own height (its CSS ``max-height`` in
        lines) is kept where the column has room for it, and raised to the panel's lines where the column
        holds every panel whole."""
        from .panel_base import NumberSheet

        if not height:
            return
        # a panel taller than its own 18 lines (G under W, an optimizer's state) takes the lines the column
        # has blank under the panels, top down, as far as its lines need: no row hidden while the screen has
        # blank lines under the panels
        shown = [p for p in self.children if p.display]
        whole = {id(p): (p.virtual_size.height + p.styles.gutter.height + p.scrollbar_size_horizontal,
                         int(p.styles.base.max_height.value))
                 for p in shown if isinstance(p, NumberSheet) and p.styles.base.max_height is not None
                 and p.styles.base.max_height.unit == Unit.CELLS}
        grown: dict[int, int] = {}
        if len(whole) == len(shown):
            spare = height - sum(min(need, lines) for need, lines in whole.values())
            for key, (need, lines) in whole.items():
                if need > lines and spare > 0:
                    grown[key] = lines + min(need - lines, spare)
                    spare -= grown[key] - lines
            if any(need > grown.get(key, min(lines, height)) for key, (need, lines) in whole.items()):
                # a panel scrolls: the panels that scroll share the column by parts, when it holds every one's
                # rows; a panel whole on its own whose scrollbar would cover numbers stays whole (one part): made
                # to scroll, it would lose its scrollbar's columns too (moons in ng at 120×40: W⁽²⁾'s k=8 and the
                # v⁽²⁾ the update made); one with blank columns for a scrollbar shares by parts like the rest (iris
                # at 200×50: layer 2 whole hid layer 1's last row of G⁽¹⁾, m⁽¹⁾ and v⁽¹⁾)
                # decided once for a column's size and its panels' lines: bar_covers reads the lines as the last
                # layout made them, narrower beside a scrollbar, so deciding again could flip a panel between
                # whole and shared from one step to the next with no line changed (which layout came last
                # depends on the order a loaded machine ran the frames in)
                room_key = (self.size.width, height, tuple((id(p), whole[id(p)]) for p in shown))
                alone = self._alone.get(room_key)
                if alone is None:
                    alone = self._alone[room_key] = frozenset(
                        id(p) for p in shown if isinstance(p, NumberSheet)
                        and whole[id(p)][0] <= grown.get(id(p), min(whole[id(p)][1], height)) and bar_covers(p))
                ends = {id(p): None if id(p) in alone else p.part_ends() for p in shown if isinstance(p, NumberSheet)}
                grown = shared_by_parts(whole, ends, height) or grown
        for panel in self.children:
            if not isinstance(panel, NumberSheet):
                continue
            own = panel.styles.base.max_height
            cap = height if own is not None and own.unit == Unit.CELLS and own.value > height else None
            cap = grown.get(id(panel), cap)
            if panel.styles.inline.max_height != (None if cap is None else Scalar.from_number(cap)):
                panel.styles.max_height = cap

    def place_panels(self, width: int) -> None:
        digits = getattr(self.screen, "digits", 0) if self.is_attached else 0
        if (width, digits) != (self.arranged, self._digits):  # a new room: the widths seen in the last one go
            self._seen.clear()
            self._alone.clear()
        self.arranged, self._digits = width, digits
        if width:
            arrange_panels(self, width, self._seen)

    def follow(self, panel: Widget) -> None:
        """Scroll the column so that ``panel`` is in view, as ``panel.scroll_visible()`` does, from
        the heights the last layout gave the panels above it: ``scroll_visible`` looks a panel out of
        view up in the compositor's map of every widget, and rebuilding that map after the last
        scroll made the frame after this scroll repaint the whole screen (a step onto another
        layer: about 10 ms more, ``benchmarks/keypress_speed.py``)."""
        if self.has_class("wide"):  # side by side, each the column's height: all in view
            return
        y = 0
        for child in self.children:
            if child is panel:
                break
            if child.display:
                y += child.outer_size.height
        if panel.outer_size.height:
            self.scroll_to_region(Region(0, y, panel.outer_size.width, panel.outer_size.height), animate=False,
                                  immediate=True)  # in this frame, not in one more after it

"""Panels of a recurrent network: each layer unrolled in time, one column per time step τ.

A :class:`SeqSheet` shows one layer l of a network with recurrent layers (stacked, or with dense
layers at each time step; ``core/kinds/rnn/steps.py`` holds the board it reads):

- its weights: W⁽ˡ⁾ (for the recurrent layer, [W | U]: the bias, the inputs' columns, then U's) and
  G⁽ˡ⁾ beside it, rows b;
- a grid with one column per τ = 1 … T of the example on the board, the current τ marked ``▶``: the
  input x_τ (layer 1), then s⁽ˡ⁾_τ, o⁽ˡ⁾_τ and δ⁽ˡ⁾_τ, unit by unit, for every layer a sequence
  flows into (``spec.timed``; a layer above a many-to-one layer runs once: one column, on its o_T);
- for each recurrent layer, ‖δ⁽ˡ⁾_τ‖ under its column and a bar of it on a log scale, so a gradient
  vanishing (or exploding) as it flows back through time shows as the example is stepped.

Tab puts a cursor on a cell and the side panel explains it (``core/kinds/rnn/explain.py``), with every
factor's number, including the part of δ⁽¹⁾_τ that comes from τ + 1. Drawing and the cursor are the
map panels' (:class:`~.map_sheet.MapSheet`); only what the lines hold differs.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from rich.style import Style
from textual.geometry import Size
from textual.widget import Widget

from ..core.formulas.notation import num, sup
from ..core.formulas.numformat import texts
from .explain import TimeIndex
from .map_sheet import Key, MapSheet, MeasuredCells
from .panel_base import Deferred, DeferredLine, NumberSheet, arrangement, panel_css, parts_beside, restyled, stretched
from .view import cell_width, optimizer_state

BARS = "▁▂▃▄▅▆▇█"
Run = tuple[str, str, Key | None]  # (text, style name, the cell's key)


def norm_bars(norms: list[float | None]) -> list[str]:
    """One bar per ‖δ_τ‖ on a log scale from the smallest to the largest finite norm (· for none)."""
    known = [n for n in norms if n is not None and math.isfinite(n) and n > 0]
    if not known:
        return ["·" if n is None else BARS[0] for n in norms]
    lo, hi = math.log10(min(known)), math.log10(max(known))
    out = []
    for n in norms:
        if n is None:
            out.append("·")
        elif not math.isfinite(n) or n <= 0:
            out.append(BARS[0])
        else:
            frac = 1.0 if hi == lo else (math.log10(n) - lo) / (hi - lo)
            out.append(BARS[min(len(BARS) - 1, int(frac * (len(BARS) - 1) + 0.5))])
    return out


def current_time(stepper: Any) -> int | None:
    """The time step of the last step (None: a step that is not at one τ, or none yet)."""
    last = stepper.last
    return None if last is None else last.key.time


def delta_norms(stepper: Any, l: int = 1, quantity: str = "delta") -> list[float | None]:
    """‖δ⁽ˡ⁾_τ‖ for τ = 1 … T of the example on the board (None where δ_τ is not computed yet); or of
    another per-τ quantity of the layer's kind (an LSTM's ∂ℓ/∂c)."""
    st = stepper.state
    D = st.delta[l] if quantity == "delta" else st.extra.get((quantity, l))
    if D is None:
        return []
    return [None if not np.all(np.isfinite(row)) else float(np.linalg.norm(row)) for row in np.asarray(D)]


class LazyLine:
    """A panel's line of runs (text, style name, cell key) made when it is first read: drawn on screen, or
    read by a reader of ``lines``. Its layout (``slots``: its runs with each cell's text left out, None: a
    cell of ``cw`` columns, a number's ending in its blank when it has a key, a blank one when not) gives
    its columns, its cells and its ends without its numbers formatted: a new cells' width builds a panel's
    every line again, and the rows out of view (count_tokens' layer 1: 194 lines, 28 in view; the panels
    under it, none) are formatted when scrolled into view. ``make`` and ``slots`` read only what the build
    that made them saw. ``tail``: the layout's ``_tail``, when known without it (a grid's row, a row of
    W⁽ˡ⁾ whose layout its panel keeps)."""

    __slots__ = ("_make", "_runs", "_layout", "_slots", "cw", "width", "tail")

    def __init__(self, make: Any, slots: Any, cw: int, width: int,
                 tail: tuple[int, int, int, int] | None = None) -> None:
        self._make, self._runs, self._layout, self._slots = make, None, slots, None
        self.cw, self.width, self.tail = cw, width, tail  # (a cell's columns; the line's, as its runs take them)

    def runs(self) -> list:
        runs = self._runs
        if runs is None:
            runs = self._runs = self._make()
            self._make = None
        return runs

    @property
    def made(self) -> bool:
        return self._runs is not None

    def slots(self) -> list:
        slots = self._slots
        if slots is None:
            slots = self._slots = self._layout()
            self._layout = None
        return slots

    def __iter__(self) -> Any:
        return iter(self.runs())

    def __getitem__(self, k: Any) -> Any:
        return self.runs()[k]

    def __len__(self) -> int:
        return len(self.runs())

    def __bool__(self) -> bool:
        return True  # (a row: its label at least)

    def cells(self) -> list[tuple[int, Key]]:
        """Its cells as (x, key), from its layout."""
        x, cells, cw = 0, [], self.cw
        for text, _, key in self.slots():
            if key is not None:
                cells.append((x, key))
            x += cw if text is None else len(text)
        return cells

    def ends(self) -> tuple[Any, int, int]:
        """``_ends`` of the line, from its layout (``_tail``): the line without its blank runs after its last
        number or label (made when read), its columns, and its columns to its last number's last digit."""
        tail = self.tail
        if tail is None:
            tail = self.tail = _tail(self.slots())
        kept, fixed, cells, trailing = tail
        used = fixed + cells * self.cw
        if used == self.width:
            return self, used, used - trailing
        return LazyLine(lambda: self.runs()[:kept], lambda: self.slots()[:kept], self.cw, used,
                        (kept, fixed, cells, trailing)), used, used - trailing

    def restyled(self, unmark: Any = (), dim: bool = False, keep: Any = None) -> "LazyLine":
        """``panel_base.restyled`` of the line, made when read."""
        return LazyLine(lambda: restyled(self.runs(), unmark, dim, keep), self.slots, self.cw, self.width)


def _tail(slots: list) -> tuple[int, int, int, int]:
    """A lazy line's layout to its last number or label (its blank runs and blank cells after it left out,
    as ``_ends`` leaves them out of a line): (its runs, their fixed columns, their cells, the blanks after
    its last digit), the columns the cells' width's: a row's layout is the same at any cells' width."""
    kept = len(slots)
    while kept and slots[kept - 1][2] is None and (slots[kept - 1][0] is None or not slots[kept - 1][0].strip()):
        kept -= 1
    fixed = cells = 0
    for text, _, _ in slots[:kept]:
        if text is None:
            cells += 1
        else:
            fixed += len(text)
    last = slots[kept - 1][0] if kept else None
    return kept, fixed, cells, (1 if last is None else len(last) - len(last.rstrip())) if kept else 0


class _LazyCells:
    """A lazy line's cells (x, key), worked out when read (the cursor, a reader of ``cells``)."""

    __slots__ = ("line",)

    def __init__(self, line: LazyLine) -> None:
        self.line = line

    def __iter__(self) -> Any:
        return iter(self.line.cells())

    def __eq__(self, other: object) -> bool:  # (the cells, as a list of them is)
        return list(self) == (list(other) if isinstance(other, (list, _LazyCells)) else other)

    def first_key(self) -> Key | None:
        """The key of its first cell, from the line's layout (no number formatted, no other cell placed)."""
        return next((key for _, _, key in self.line.slots() if key is not None), None)

    __hash__ = None  # type: ignore[assignment]


def _first_key(cells: Any) -> Key | None:
    """The key of a line's first cell (a lazy line's from its layout), None for a line with none."""
    if isinstance(cells, _LazyCells):
        return cells.first_key()
    return cells[0][1] if cells else None


class Once:
    """A value worked out when first asked for (``get``), then kept."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Any) -> None:
        self._make, self._value = make, None

    def get(self) -> Any:
        if self._make is not None:
            self._value, self._make = self._make(), None
        return self._value


class CellGroup:
    """The sequence panels of a screen, whose cells have one width: as wide as the widest any of them
    needs (and has needed in the run, ``kept``), widened on a big screen as far as every panel's lines
    fit. A panel whose cells change width (a later example's number of e−10 comes, fewer digits) builds
    the others again at the new width (``align``)."""

    def __init__(self) -> None:
        self.panels: list[SeqSheet] = []
        self.needs: dict[int, tuple[int, list[tuple[int, int]], int]] = {}  # layer → (base width, line shapes, room)
        self.under: dict[int, bool] = {}  # layer → whether its G⁽ˡ⁾ stands under its W⁽ˡ⁾
        self.high: dict[tuple[int, int], int] = {}  # (layer, digits) → the widest base width in the run (``kept``)
        self.tall: dict[int, int] = {}  # layer → its lines with every optimizer's state under the grid
        # (the stepper, its position, the steps of its example done): ``SeqSheet._done``, read once for every panel
        self.done: tuple[Any, int, set] = (None, -1, set())

    def kept(self, panel: "SeqSheet") -> int:
        """The cells' width ``panel``'s numbers have needed in the run so far at its digits (``keep``): its
        cells never narrow while it is stepped, so that the grid does not move sideways when an example
        ends and the next one's forward pass has no δ of e−5 yet; and before any step (the app's start, a
        reset, an edit's restart) the width every number of the first example needs through its backward
        and its update (``Stepper.widths_ahead``, its steps run on a copy: there, not in a step's press),
        so that a δ of e−5 or a G does not widen the cells in the middle of an example."""
        stepper, l = panel.stepper, panel.l_index
        high = self.high.get((l, panel.digits), 0)
        ahead = getattr(stepper, "widths_ahead", None)
        if ahead is not None and stepper.last is None:
            high = max(high, ahead(panel.digits).get(l, 0))
        return high

    def keep(self, panel: "SeqSheet", base: int) -> None:
        key = (panel.l_index, panel.digits)
        self.high[key] = max(self.high.get(key, 0), base)

    def base(self) -> int:
        """The cells' width the widest numbers of the panels need (not widened)."""
        return max(b for b, _, _ in self.needs.values())

    def align(self, panel: "SeqSheet") -> None:
        """After ``panel`` chose its cells' width: the other panels built with another build their lines
        again once the step is drawn (``realign``; one shown after ``panel`` in this step has by then)."""
        for other in self.panels:
            if other is not panel and other.lines and other.cw != panel.cw:
                if other.is_attached:
                    other.call_later(other.realign)
                else:
                    other.realign()


class SeqSheet(MeasuredCells, MapSheet):
    """One layer of a recurrent network, unrolled in time (see the module's docstring)."""


    # as tall as the layers' column: a gated layer's rows (W | U by gate, the gates, c, ∂ℓ/∂h, ∂ℓ/∂c, δ and
    # the norms) fill what the screen has before the panel scrolls; attention's a shaded as a heat map
    DEFAULT_CSS = panel_css("SeqSheet", "100%", """
SeqSheet > .sheet--heat1 { background: $primary 12%; }
SeqSheet > .sheet--heat2 { background: $primary 30%; }
SeqSheet > .sheet--heat3 { background: $primary 50%; }
SeqSheet > .sheet--heat4 { background: $primary 75%; }
""")
    FOLLOWS_CURSOR = False
    COMPONENT_CLASSES = MapSheet.COMPONENT_CLASSES | {f"sheet--heat{i}" for i in range(1, 5)}
    LECTURE_WEIGHTS: ClassVar[bool] = True  # W⁽ˡ⁾ and G⁽ˡ⁾ above the grid (a profile's panel draws its own)

    def _palette(self) -> dict[str, Style]:
        """The shared palette and a heat map's four shades (``LayerKind.heat``: attention's a)."""
        if self._styles is None:
            p = super()._palette()
            get = self.get_component_rich_style
            for i in range(1, 5):
                p[f"heat{i}"] = p["pos"] + get(f"sheet--heat{i}")
                p[f"heat{i}+"] = p[f"heat{i}"] + get("sheet--produced")
        assert self._styles is not None
        return self._styles

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        self._x_of: Any = None  # the o⁽⁰⁾ whose x_τ columns ``_x`` holds
        self._x: Any = None
        self._done_by: tuple[set | None, dict[str, frozenset]] = (None, {})  # (_done's set, its τ by quantity)
        self.lead = 7  # the grid's label column: τ = 1's column starts after it
        # a cell's columns: its widest number's with a blank before it (a bar │ never touches a number) and
        # one after; on a big screen widened to the panel's room (``_fit_cells``)
        self.cw = self.base_cw = cell_width(digits)
        self.grid_top = 0  # the grid's first line (its τ heading)
        self._lines_kept: dict[tuple, tuple[Any, tuple, tuple, Any]] = {}  # a line's name → (its runs, sources, look, numbers)
        self._lists: dict[str, tuple[Any, tuple[list, tuple]]] = {}  # a board quantity → (its array, (lists, shape))
        self._matrices: dict[str, tuple[Any, list]] = {}  # W, G, x → (the array, as lists)
        self._nans: dict[int, tuple[Any, bool]] = {}  # id(array) → (the array, whether it holds a NaN)
        # a grid row (quantity, b) → (its board array, look, keys, numbers, texts, marked, the row as drawn, format)
        self._cells_kept: dict[tuple[str, int], tuple] = {}
        self._measured_lines: dict[int, tuple[list, list[tuple[int, Key]], int]] = {}  # id(line) → (it, its cells, width)
        self._at: list[list[tuple[int, Key]]] = []
        self.group = CellGroup()  # the panels whose cells have one width (``for_layers``: a run's)
        self._shapes: tuple[tuple[int, bool], list[tuple[int, int]]] = ((-1, False), [])  # ((the longest T, G under
        # W), the lines' shapes at it)
        self._under = False  # G⁽ˡ⁾ under W⁽ˡ⁾ (``_weights_under``), as the cells' width was last chosen for
        self._cells_fitted: tuple[dict[str, Any], Any, dict[int, str]] | None = None  # _fit_cells's, for the next _build
        self._tails: tuple[Any, dict[tuple[int, tuple], tuple[int, int, int, int]]] = (None, {})  # (spec, W's rows' _tail)

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list[NumberSheet]:
        """The panels of a run of layers, their cells of one width (``CellGroup``): a τ's column stands
        at the same place in every panel, one under the other."""
        group = CellGroup()
        panels = [cls(stepper, l, digits, id=f"layer-{l}") for l in layers]
        for panel in panels:
            panel.group = group
            group.panels.append(panel)
        return list(panels)

    def _sequence(self) -> np.ndarray:
        """x_τ of the example on the board, or before its first step of the one the next step reads
        (one array per board, so that its number format is worked out once)."""
        o0 = self.stepper.state.o[0]
        if o0 is None:
            return np.asarray(self.stepper.where().x, dtype=float)
        if self._x_of is not o0:
            self._x_of, self._x = o0, np.asarray(o0)[:, 1:]
        return self._x

    def _done(self) -> set[tuple[str, int | None, int | None]]:
        """(quantity, layer, τ) of the steps done in the example on the board: a NaN among them is
        a value that is not a number, elsewhere one not computed yet (the board's NaN). Kept for the
        screen's sequence panels together (``CellGroup.done``), from one step to the next, so that
        stepping forward costs one schedule key, whichever panel reads it (a panel whose board a
        step did not touch, built again at a later one, does not walk back through the example)."""
        stepper = self.stepper
        p = stepper.position
        of, at, done = self.group.done
        if of is stepper and at == p:
            return done
        if of is not stepper or not 0 <= p - at <= self.CATCH_UP or p == 0:  # a jump: walk back to the example's first step
            done, q = set(), p
            while q > 0 and self._add_done(done, stepper.schedule.key(q - 1)):
                q -= 1
        else:
            done = set(done)  # (a new set: a panel's ``_done_by`` knows a set by its identity)
            for q in range(at, p):
                key = stepper.schedule.key(q)
                if key.example_start:
                    done.clear()
                self._add_done(done, key)
        self.group.done = (stepper, p, done)
        return done

    CATCH_UP: ClassVar[int] = 16
    """The most steps ``_done`` reads forward from the position it last read (more: it walks back)."""

    @staticmethod
    def _add_done(done: set, key: Any) -> bool:
        """Add a step of the example to ``done``; False once the walk back reaches its start."""
        if key.example is None:  # an update: no example's values
            done.clear()
            return False
        done.add((key.quantity, key.layer, key.time))
        return not key.example_start

    def _title(self) -> str:
        spec, l = self.stepper.spec, self.l_index
        T = len(self._sequence())
        t = current_time(self.stepper)
        kind = spec.layer_kinds[l - 1]
        timed = spec.timed[l - 1]
        when = f" · unrolled over τ = 1 … {T}" if T is not None and timed else ""
        if not timed:
            when = f" · once, on o{sup(l - 1)} at τ = T{f' = {T}' if T else ''} (many-to-one)"
        now = f" · now τ = {t}" if t is not None and timed else ""
        # a gated layer's σ, tanh are its own; a layer norm has no f
        f = f" · f{sup(l)} = {spec.activations[l - 1]}" if kind.has_s and kind.takes_activation else ""
        return f"Layer {l} · {kind.describe()}{f}{when}{now}"

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        self.show(self.digits, hidden, set())

    def board_signature(self) -> tuple:
        st, l = self.stepper.state, self.l_index
        arrays = (st.o[l], st.s[l], st.delta[l], st.W[l], st.G[l], st.o[0] if l == 1 else None,
                  *(a for (q, m), a in st.extra.items() if m == l), *st.opt[l].arrays().values())
        ahead = self.stepper.position if st.o[0] is None else None  # x read from the data (_sequence)
        return tuple(id(a) for a in arrays) + (current_time(self.stepper), ahead, st.opt[l].t)

    def shown(self) -> None:
        """Keep the current τ's column in view (long sequences scroll), and after a step the rows it wrote
        in this panel (the grid's at τ, or W's in an update), under the heading pinned over them: a panel
        taller than its room scrolls by as little as shows them, so that rows the step read above them
        stay in view as far as the room allows (long_memory_lstm's layer 1 at 120×40, 29 lines: W⁽¹⁾ and
        G⁽¹⁾ stood in view while a forward step wrote s, the gates, c and h at lines 38 to 77)."""
        if not self.lines:
            return
        x: int | None = None
        t = current_time(self.stepper)
        if t is not None and self.stepper.spec.timed[self.l_index - 1]:
            cw = self.cw
            at = self.lead + (t - 1) * cw
            if not (self.scroll_x <= at < self.scroll_x + max(self.room(scrollbars=False).width - cw, cw)):
                x = max(0, at - 2 * cw)
        y = self._rows_in_view() if self.stepped and not self.has_focus and self._produced is not None else None
        if x is not None or y is not None:
            self.scroll_to(x=x, y=y, animate=False, immediate=True)

    def _rows_in_view(self) -> int | None:
        """The view's top that shows the lines of what the last step wrote in this layer (the board's
        quantity: an LSTM's h is the board's o), or None when they are in view already. The first of
        them is shown when they are more than the room holds."""
        l = self.l_index
        q = self.stepper.spec.layer_kinds[l - 1].board_quantity(self._produced)
        ys = [y for y, key in enumerate(map(_first_key, self._at)) if key is not None and key[0] == q and key[1] == l]
        if not ys:
            return None
        first, last, height = ys[0], ys[-1], self.room().height
        now = top = self.scroll_offset.y
        if not (top + self.pinned_at(top)[1] <= first and last < top + height):
            if last >= top + height:  # below the view: scrolled down by as little as shows the last
                top = last - height + 1
            while top > 0 and top + self.pinned_at(top)[1] > first:  # above it, or more than it holds: the first
                top -= 1
        top = self.named_top(top, first, last, height)  # (and what the view shows named)
        return None if top == now else top

    state_headings: list[int] = []  # the optimizer's state's headings under the weights

    def heading_starts(self) -> list[int]:
        """The weights' headings, the optimizer's state's and the grid's τ line."""
        return sorted({*self.heading_lines, self.grid_top, *self.state_headings})  # (top down: ``pinned``)

    beside = 0  # the optimizer's states standing beside W⁽ˡ⁾'s rows (``_states_beside``)
    beside_grid = 0  # and those beside the grid's rows
    _crowded_as = False  # whether the panels did not fit their column's height, as the lines were last built
    _merged: dict[tuple[int, int, int], tuple[Any, Any, Any]] = {}  # (id(a row's line), id(a state's), x) → its line
    _ends_known: dict[int, tuple[Any, tuple[Any, int, int]]] = {}  # id(a line) → (it, its ``_ends``)

    def _crowded(self, tall: int) -> bool:
        """Whether this panel's lines (``tall``: every optimizer's state under the grid) do not fit the
        height of the panels' column, with the panels one under the other in it (each panel of the screen
        with its lines so, its border and scrollbar), or, side by side, its own: the panel, or the one
        under it, would scroll."""
        self.group.tall[self.l_index] = tall
        column = self.parent
        if not isinstance(column, Widget) or not self.is_attached or not column.size.height:
            return False
        height = column.size.height
        gutter = self.styles.gutter.height + 1  # (its border, and a horizontal scrollbar's row)
        if column.has_class("wide"):
            return tall + gutter > height
        ours = {id(p): p.l_index for p in self.group.panels}
        need = 0
        for child in column.children:
            if isinstance(child, Widget) and child.display:
                l = ours.get(id(child))
                need += (self.group.tall.get(l, 0) + gutter) if l is not None else child.outer_size.height
        return need > height

    def _states_beside(self, lines: list, rows: tuple[int, int, int], parts: list[tuple[int, int, int, int]],
                       starts: list[list[int]], g_rows: tuple[int, int, int] | None = None,
                       grid: int | None = None) -> list:
        """The optimizer's states that stand beside W⁽ˡ⁾'s rows rather than at the panel's foot, by the dense
        panels' rule (:func:`~.panel_base.parts_beside`): when the panels do not fit the column's height
        (``_crowded``) and the blank at the right of W's rows holds a state, its heading beside W's heading
        and its rows beside W's; then, by the same rule, those left beside G⁽ˡ⁾'s rows where G stands under
        W (``g_rows``: count_tokens' layer 2 at 160×45, W⁽²⁾ | m⁽²⁾ over G⁽²⁾ | v⁽²⁾, where v⁽²⁾ stood at the
        foot beside ~100 blank columns at G's right); the others at the foot as before. ``rows``: (first
        line, heading lines, end) of W's rows with their heading; ``parts``: each state's (first line it
        takes at the foot, its heading's line, its heading lines, end); ``starts``: lists of line numbers
        (the headings, the grid's τ line) put where their lines now stand. A state that fits neither stands
        beside the grid's rows (``grid``: its τ line) where the blank at their right holds it, the states one
        under the other from the grid's τ line down (tiny_transformer's layer 3 at 200×50: W | G fill the
        width, and m⁽³⁾ and v⁽³⁾ stood under the 75 lines of the grid, 105 lines down, beside ~140 blank
        columns at the grid's right): each state's heading on a τ line, pinned over the rows in view as the
        panel scrolls, the first's on the grid's own, each later one's on a copy of the τ line over its rows.
        A state that fits beside nothing stands at the foot, and in an update under the weights, over the grid."""
        self.beside = self.beside_grid = 0
        crowded = self._crowded(len(lines))
        if crowded != self._crowded_as:  # the other panels' choice follows the new height of this one's lines
            self._crowded_as = crowded
            for other in self.group.panels:
                if other is not self and other.lines and other.is_attached:
                    other.call_later(other.rebuild)
        if not (parts and crowded and self._avail):
            return lines

        known_ends, now_ends = self._ends_known, {}

        def ends_of(line: Any) -> tuple[Any, int, int]:
            """``_ends`` of a line, measured once while the line is kept (the same object from build to build)."""
            hit = known_ends.get(id(line))
            if hit is None or hit[0] is not line:
                hit = (line, _ends(line))
            now_ends[id(line)] = hit
            return hit[1]

        def width(of: list) -> int:  # (to the last number's digit: the blanks after it are not the part's)
            return max((ends_of(line)[2] for line in of), default=0)

        part_ws = {h: width(lines[h:e]) for _, h, _, e in parts}  # (each its own: m of e−3 narrower than v of e−10)
        merged, now = self._merged, {}

        def merge(row: Any, part: Any, x: int) -> Any:
            """``row`` with a state's line ``part`` beside it from column ``x``, kept while both are."""
            key = (id(row), id(part), x)
            hit = merged.get(key)
            if hit is None or hit[0] is not row or hit[1] is not part:
                ends, used, _ = ends_of(row)  # (the row to its last cell: the gap after it is the state's)
                if isinstance(part, DeferredLine):  # (a deferred state's row: the line made when drawn)
                    cells, _ = _measure(ends)
                    hit = (row, part, Deferred(1, lambda _, ends=ends, part=part, x=x, used=used: [
                        *ends, (" " * (x - used), "base", None), *part], lambda _, cells=cells: cells,
                        x + part.part.width).lines[0])
                elif isinstance(ends, LazyLine):  # (a row made when drawn: the two made then)
                    gap = (" " * (x - used), "base", None)
                    hit = (row, part, LazyLine(lambda ends=ends, gap=gap, part=part: [*ends, gap, *part],
                                               lambda ends=ends, gap=gap, part=part: [*ends.slots(), gap, *part],
                                               ends.cw, max(x, used) + sum(len(text) for text, _, _ in part)))
                else:
                    hit = (row, part, [*ends, (" " * (x - used), "base", None), *part])
            now[key] = hit
            return hit[2]

        where: dict[int, int] = {}  # a line's number → where it now stands
        placed: dict[int, tuple[int, int]] = {}  # a line put in a block → (the block's first line, its line there)
        blocks: dict[int, tuple[int, list]] = {}  # a block's first line: (its end, its lines with the states beside)
        left = parts
        for r0, rh, r1 in [rows] + ([g_rows] if g_rows is not None else []):
            if not left:
                break
            rows_w = width(lines[r0:r1])
            ws = [part_ws[h] for _, h, _, _ in left]
            fit, x = 0, rows_w + 2  # the states that stand in turn at the rows' right, two blanks before each
            while fit < len(ws) and x + ws[fit] <= self._avail:
                x, fit = x + ws[fit] + 2, fit + 1
            k = min(fit, parts_beside(rows_w, max(ws[:fit] or ws[:1]), len(left), self._avail, together=False))  # (the
            # foot: one under the other)
            moved = left[:k]
            pad = max(0, max((hh for _, _, hh, _ in moved), default=0) - rh)  # a state's headings over W's (row vectors)
            if not k or any(pad + rh - hh + e - h > pad + r1 - r0 for _, h, hh, e in moved):
                break
            block = [[]] * pad + lines[r0:r1]
            for y in range(r0, r1):
                placed[y] = (r0, pad + y - r0)
            if pad:
                placed[r0] = (r0, 0)  # (W's heading's first line: the states' headings' line above it)
            x = rows_w
            for _, h, hh, e in moved:
                x += 2
                for j, part in enumerate(lines[h:e]):
                    t = pad + rh - hh + j
                    block[t] = merge(block[t], part, x)
                    placed[h + j] = (r0, t)
                x += part_ws[h]
            blocks[r0] = (r1, block)
            self.beside = self.beside or k
            left = left[k:]
        # (the grid's τ line is as wide as its rows: they are measured, line by line, only where a state may fit)
        if left and grid is not None and ends_of(lines[grid])[2] + 2 + min(part_ws[h] for _, h, _, _ in left) <= self._avail:
            g1 = parts[0][0]  # the end of the grid's lines (with its norms): the foot's first blank line
            x = width(lines[grid:g1]) + 2
            # each state's heading on a τ line, pinned with it over the rows in view: the first's on the grid's
            # own, each later one's on a copy of it put over the state's rows (one more line in the grid)
            block, t, k = list(lines[grid:g1]), 0, 0
            copies: list[int] = []  # where a copy of the τ line stands in the block
            for _, h, _, e in left:
                if x + part_ws[h] > self._avail or t + e - h > len(block) + (1 if k else 0):
                    break
                if k:
                    block.insert(t, lines[grid])
                    copies.append(t)
                for j, part in enumerate(lines[h:e]):
                    block[t + j] = merge(block[t + j], part, x)
                    placed[h + j] = (grid, t + j)
                t, k = t + e - h, k + 1
            if k:
                blocks[grid] = (g1, block)
                placed.update((y, (grid, y - grid + sum(c <= y - grid + i for i, c in enumerate(copies))))
                              for y in range(grid, g1) if y not in placed)
                self.beside_grid = k
                left = left[k:]
        self._merged, self._ends_known = now, now_ends
        # a state that stands beside nothing, in the update that writes it: under the weights' block it belongs
        # to (W⁽ˡ⁾ | G⁽ˡ⁾, or G⁽ˡ⁾ under W⁽ˡ⁾), over the grid the update leaves dimmed, as a dense panel's stands
        # under its rows, rather than at the foot, under every line of the grid (long_memory_lstm's layer 1 at
        # 160×45: 71 lines down); at the foot again at the next step, which writes the grid
        last = self.stepper.last
        under = left if grid is not None and last is not None and last.key.phase == "update" else []
        if not (blocks or under):
            return lines
        dropped = {y for first, _, _, e in parts[:len(parts) - len(left)] + under for y in range(first, e)}
        out: list = []
        base: dict[int, int] = {}  # each block's first line as placed
        y = 0
        while y < len(lines):
            if y == grid:
                for first, h, _, e in under:  # (each its heading and rows, then its blank line)
                    for z in [*range(h, e), first]:
                        where[z] = len(out)
                        out.append(lines[z])
            if y in blocks:
                end, block = blocks[y]
                base[y] = len(out)
                out += block
                y = end
                continue
            if y not in dropped:
                where[y] = len(out)
                out.append(lines[y])
            y += 1
        where.update((y, base[r0] + t) for y, (r0, t) in placed.items())
        while out and not out[-1]:  # (the foot's blank line after the last state)
            out.pop()
        for numbers in starts:
            numbers[:] = sorted({where.get(y, y) for y in numbers})
        return out

    def _arrangement(self, avail: int) -> tuple[bool, list[list[tuple[str, str]]]]:
        """G⁽ˡ⁾ beside W⁽ˡ⁾, or under it when the two do not fit side by side in ``avail`` columns (every
        column of both inside the panel); the later τ scroll."""
        return self._weights_under(self.base_cw, avail), []

    def _weight_bars(self) -> int:
        """The │ marks of a row of W⁽ˡ⁾: after the bias, and before U's columns (a kind's own layout: its own)."""
        l = self.l_index
        kind = self.stepper.spec.layer_kinds[l - 1]
        own = kind.panel_weights(l)
        return len(own[1]) if own else (2 if kind.over_time else 1)

    def _weights_under(self, cw: int, avail: int) -> bool:
        """Whether G⁽ˡ⁾ goes under W⁽ˡ⁾ in ``avail`` columns at cells of ``cw`` (a row of W⁽ˡ⁾ and one of G⁽ˡ⁾
        side by side wider than the room), or does in another panel of the screen (one arrangement for
        all: :class:`~.panel_base.Arrangement`)."""
        spec, l = self.stepper.spec, self.l_index
        if not (spec.layer_kinds[l - 1].has_weights and self.LECTURE_WEIGHTS) or not avail:
            return False
        cols = spec.weights[l - 1].shape[1]
        own = 6 + 2 * (cols * cw + self._weight_bars()) + 4 > avail  # (as a row of both is, less its last gap)
        group = arrangement(self)
        return own or (group is not None and group.others(self))

    def rearranged(self) -> None:
        if self.lines and self.is_attached:
            self.call_later(self.rebuild)

    def min_width(self) -> int:
        """The narrowest this panel should be (borders and padding included): the whole of W⁽ˡ⁾
        (G⁽ˡ⁾ beside it and the later τ scroll)."""
        cols = self.stepper.spec.weights[self.l_index - 1].shape[1]
        return 6 + cols * cell_width(self.digits) + 2 + 4

    def cell_columns(self) -> int:
        return self.cw

    # -- the cells' width ------------------------------------------------------------------------------------
    def _boards(self) -> dict[str, Any]:
        """The board's per-τ arrays this panel shows, by quantity (a kind's own too: an LSTM's c)."""
        return {q: a for q, a in self.stepper.state.layer_arrays(self.l_index).items() if q not in ("W", "G")}

    def _fit_cells(self) -> tuple[dict[str, Any], Any, dict[int, str]]:
        """The boards, x_τ and every array's number format; and the cells' width (``cw``): as wide as the
        widest number any of them shows needs, with a blank before it and its cell's blank (or the
        cursor's bracket) after it, as the lecture's dense panel does; widened on a big screen
        (``_stretched``). Its arrays' widths are worked out once per array (``_widest``)."""
        st, l = self.stepper.state, self.l_index
        boards = self._boards()
        x_seq = self._sequence()
        arrays = [st.W[l], st.G[l], x_seq if l == 1 else None, *boards.values()]
        # (an optimizer's state at the panel's foot has its own cells' width: its v of e−9 does not widen the
        # screen's every cell at an update)
        formats = self.formats(arrays + [a for _, a in self._state()])
        base = max([cell_width(self.digits), *self._shown_widths(), self.group.kept(self)]
                   + [2 + self._widest(a, formats.get(id(a))) for a in arrays if a is not None])
        self.group.keep(self, base)
        # in the width the panel was laid out for (``fit_size``, after every layout that changes it)
        self.base_cw, self.cw = base, self._stretched(base, self._avail)
        self.group.align(self)
        return boards, x_seq, formats

    def _state(self) -> tuple:
        """The optimizer's state of the layer's weights, each (its heading, the matrix as the profile writes
        it: ``view.optimizer_state``), as a dense panel shows it; none for a layer without weights (a
        residual block) or an optimizer without state (sgd)."""
        l = self.l_index
        if not self.stepper.spec.layer_kinds[l - 1].has_weights:
            return ()
        return optimizer_state(self.stepper, l, getattr(self.stepper, "notation", None))

    def _shown_widths(self) -> list[int]:
        """The cells' widths that numbers the board arrays do not hold need (a profile's G/m)."""
        return []

    def _stretched(self, base: int, avail: int) -> int:
        """The cells' width in ``avail`` columns: ``base``, widened while the panel's widest line (at the
        longest example's T, so that the cells keep their width from example to example) still fits, up
        to twice it, as the dense panels side by side on a big screen (:func:`~.panel_base.stretched`);
        a panel whose lines are wider than its room (it scrolls) keeps ``base``. With G⁽ˡ⁾ under W⁽ˡ⁾ (in
        every panel of the screen alike) the cells are not widened, as a dense panel's are not: the room
        is short of G beside W, and a τ's cells stood 18 columns apart in parity at 120×40."""
        group = self.group
        self._under = group.under[self.l_index] = self._weights_under(base, avail)
        group.needs[self.l_index] = (base, self._line_shapes(base), avail)
        widest = group.base()  # every panel's cells as wide as the widest needs
        room = min((a for _, _, a in group.needs.values() if a), default=0)
        if not room or any(group.under.values()):
            return widest
        return stretched(widest, room, [s for _, shapes, _ in group.needs.values() for s in shapes])

    def _longest(self) -> int:
        """The most time steps of an example (the grid's columns), or one (a layer that runs once)."""
        spec = self.stepper.spec
        if not spec.timed[self.l_index - 1]:
            return 1
        lengths = spec.lengths
        return max(len(self._sequence()), int(lengths.max()) if lengths is not None and len(lengths) else 0)

    def _line_shapes(self, cw: int) -> list[tuple[int, int]]:
        """The panel's widest lines as (fixed columns, cells) at cells of ``cw`` columns: W⁽ˡ⁾ and G⁽ˡ⁾'s
        rows (their labels, │ bars and gaps; the cells of both) and the grid's (its labels; a cell per τ)."""
        spec, l = self.stepper.spec, self.l_index
        T, under = self._longest(), self._under
        if self._shapes[0] == (T, under):  # (worked out once for a longest T: at each step, the same)
            return self._shapes[1]
        kind = spec.layer_kinds[l - 1]
        shapes = [(self.lead, T)]
        if kind.has_weights and self.LECTURE_WEIGHTS:
            cols = spec.weights[l - 1].shape[1]
            bars = self._weight_bars()
            shapes.append((6 + bars, cols) if under else (6 + 2 * bars + 4, 2 * cols))  # (weight_row's line: no gap after it)
        self._shapes = ((T, under), shapes)
        return shapes

    def fit_size(self) -> None:
        """A new width may widen or narrow the cells (a big screen's, ``_stretched``), or put G⁽ˡ⁾ under W⁽ˡ⁾
        or back beside it, or an optimizer's state beside W's rows or at the foot (``_states_beside``, in a
        panel that does not fit its column's height): the lines are built again when it may (a scrollbar
        that comes or goes changes the width too)."""
        width, before, under = self.room().width, self._avail, self._under
        self._avail = width
        if self.lines and width != before and (self._stretched(self.base_cw, width) != self.cw or self._under != under
                                               or (self._crowded_as and (self.state_headings or self.beside_grid))):
            self.rebuild()
        elif self.lines and self._crowded(self.group.tall.get(self.l_index, 0)) != self._crowded_as:
            self.rebuild()  # (a new height of the column: the optimizer's states beside W's rows or at the foot)

    def realign(self) -> None:
        """Build the lines again if the screen's sequence panels' cells have another width now (or G⁽ˡ⁾
        another place)."""
        under = self._under
        if self.lines and (self._stretched(self.base_cw, self._avail) != self.cw or self._under != under):
            self.rebuild()

    def rebuild(self) -> None:
        """Build the lines again (a new width of the cells) and draw the panel again."""
        self._produced = self.produced_now()
        self._built = None  # (every line looked at again: not only τ's, ``_retimed``)
        self._build(self._produced)
        self._strips.clear()
        self.refresh(layout=True)

    def _build(self, produced: str | None) -> None:
        """The panel's lines, each kept while what it is drawn from is the same (``line``, ``grid_row``): a
        step builds again the rows whose numbers it wrote (a forward step at τ: a quantity's rows), not
        the panel's every cell, and an update draws the rows it dims again from their texts."""
        st, l, spec = self.stepper.state, self.l_index, self.stepper.spec
        if produced is not None:  # the board's row the step wrote (an LSTM's or a GRU's h: the grid's o)
            produced = self._produced = spec.layer_kinds[l - 1].board_quantity(produced)
        boards, x_seq, formats = self._cells_fitted or self._fit_cells()  # (a profile's panel fitted them first)
        self._cells_fitted = None
        if self._retimed(produced, boards, x_seq):
            return
        cw = self.cw
        last = self.stepper.last
        stale = last is not None and last.key.phase == "update"
        t_now = current_time(self.stepper)
        lines: list[list[tuple[str, str, Key | None]]] = []
        done: set | None = None
        heat = spec.layer_kinds[l - 1].heat
        kept, now = self._lines_kept, dict[tuple, tuple[Any, tuple, tuple, Any]]()
        drawn_with = (self.digits, self.hidden, cw)
        defers = self.DEFERS_ROWS

        def lazy(make: Any, slots: Any, width: int, tail: tuple[int, int, int, int] | None = None) -> Any:
            """A row made when drawn (``LazyLine``: its layout ``slots``, its columns ``width``), or now."""
            return LazyLine(make, slots, cw, width, tail) if defers else make()

        def line(name: tuple, sources: tuple, look: tuple, make: Any, numbers: Any = None,
                 marks: dict[int, str] | None = None) -> Any:
            """The line ``make`` draws, kept while the arrays it reads (``sources``, by identity: a board's
            arrays are never changed in place) and its ``look`` are the same; when an array is new, while
            the numbers the line shows (``numbers()``) are (a G whose other rows a step wrote). ``marks``:
            the entries of ``look`` that say a quantity is the step's product (position → quantity); when
            only those change, from marked to not (the ▶ left the panel), the kept line is restyled
            (``panel_base.restyled``), its numbers not formatted again."""
            look = (*look, *drawn_with)
            hit = kept.get(name)
            if hit is None or hit[2] != look or any(a is not b for a, b in zip(hit[1], sources)):
                shown = numbers() if numbers is not None else None
                same = hit is not None and shown is not None and hit[3] == shown
                if same and hit is not None and hit[2] != look:
                    gone = _unmarked(hit[2], look, marks)
                    if gone is not None:
                        old = hit[0]
                        hit = (old.restyled(gone) if isinstance(old, LazyLine) else restyled(old, gone), sources, look, shown)
                        now[name] = hit
                        return hit[0]
                    same = False
                hit = (hit[0] if same and hit is not None else make(), sources, look, shown)
            now[name] = hit
            return hit[0]

        hidden = self.hidden

        def known(x: float | None, step: tuple | None) -> float | None:
            """A board's number as the panel shows it: a NaN of a step not done yet is None (·)."""
            nonlocal done
            if x is not None and math.isnan(x) and step is not None:  # NaN: not computed yet, or computed
                done = self._done() if done is None else done
                x = x if step in done else None
            return x

        def text(x: float | None, key: Key, fmt: str | None) -> str:
            if x is None:
                return "·".rjust(cw - 1) + " "
            if key == hidden:
                return "? ".rjust(cw)
            return self.number_text(float(x), fmt).rjust(cw - 1) + " "

        def style(x: float | None, key: Key, mark: bool) -> str:
            if x is None:
                return "dim"
            if key == hidden:
                return "pos"
            dim = stale and key[0] in ("s", "o", "delta")
            name = self.number_style(float(x), dim, mark)
            if heat(key[0]) and math.isfinite(x) and not dim:  # a weight in [0, 1] shaded; 0 (the mask) dim
                name = "dim" if x == 0 else f"heat{1 + min(3, int(float(x) * 4))}" + ("+" if mark else "")
            return name

        def number(x: float | None, key: Key, mark: bool, fmt: str | None = None,
                   step: tuple | None = None) -> tuple[str, str, Key | None]:
            x = known(x, step)
            return (text(x, key, fmt), style(x, key, mark), key)

        # the weights and G, side by side
        W, G = st.W[l], st.G[l]
        rows, cols = W.shape
        d = spec.widths[l - 1]
        recurrent = spec.layer_kinds[l - 1].over_time  # its o holds o₀ in row 0; [W │ U]
        split = f" │ U{sup(l)} from column {d + 1}" if recurrent else ""
        own = spec.layer_kinds[l - 1].panel_weights(l)  # a kind's own layout (attention's W_Q … W_O)
        title, bars, labels = own or (f"W{sup(l)} (bias │ inputs{split})", (0, d) if recurrent else (0,),
                                      [f"b={b + 1}" for b in range(rows)])
        w_labels = labels  # (the grid's rows rebind ``labels``: an optimizer's state's rows are W's)
        w_title = f"{'▶ ' if produced == 'W' else ''}{title}"
        block = 6 + cols * cw + len(bars) + 4  # b=…, the numbers, the │ marks, the gap
        weights = spec.layer_kinds[l - 1].has_weights and self.LECTURE_WEIGHTS  # a residual block has none
        if self.LECTURE_WEIGHTS:  # (a profile's panel names its own weights' headings)
            self.heading_lines = [0] if weights else []
        # G⁽ˡ⁾ beside W⁽ˡ⁾, or under it (``_weights_under``: every column of both inside the panel), the same
        # choice as every panel of the screen makes (``Arrangement``)
        group = arrangement(self) if weights and self._avail else None
        under, own_under = self._under, None
        if group is not None:
            own_under = 6 + 2 * (cols * self.base_cw + len(bars)) + 4 > self._avail
            under = group.under(self, own_under)

        def g_title() -> tuple[str, str, Key | None]:
            return (f"{'▶ ' if produced == 'G' else ''}G{sup(l)}", "header+" if produced == "G" else "header", None)

        if weights:
            lines.append(line(("weights",), (), (w_title, block, produced == "G", under), lambda: [
                (w_title, "header+" if produced == "W" else "header", None)] + ([] if under else [
                (" " * max(block - len(w_title), 2), "base", None), g_title()])))

        entry = spec.layer_kinds[l - 1].editable  # not the padding of a stacked matrix (attention's): blank, no cell

        w_formats = (formats.get(id(W)), formats.get(id(G)))
        w_lists = (self._as_lists("W", W), self._as_lists("G", G)) if weights else ([], [])
        blank = (" " * cw, "base", None)
        w_bars = sum(a in bars for a in range(cols))  # the │ marks in a row of one matrix
        if self._tails[0] is not spec:
            self._tails = (spec, {})
        tails = self._tails[1]  # a row of W⁽ˡ⁾ (and G⁽ˡ⁾) as laid out, at any cells' width: (b, its matrices) → _tail

        def weight_slots(b: int, qs: tuple) -> list[tuple[str | None, str, Key | None]]:
            """Row b of W⁽ˡ⁾ (and of G⁽ˡ⁾ beside it) as laid out, each number's text left out (None): each matrix
            q of ``qs``, a gap between two (none after the last: the line ends at its last cell, as wide as
            it is shown)."""
            row: list[tuple[str | None, str, Key | None]] = [(w_labels[b].ljust(6), "header", None)]
            for i, q in enumerate(qs):
                if i:
                    row.append(("    ", "base", None))
                for a in range(cols):
                    row.append((None, "", (q, l, b, a)) if entry(b, a) else (None, "base", None))
                    if a in bars:
                        row.append(("│", "bias", None))
            return row

        def weight_row(b: int, matrices: tuple) -> Any:
            """Row b of W⁽ˡ⁾ (and of G⁽ˡ⁾ beside it), ``weight_slots`` with its numbers: each matrix as (q, its
            rows as lists, its format)."""
            qs = tuple(q for q, _, _ in matrices)
            of = {q: (values[b], fmt, produced == q) for q, values, fmt in matrices}

            def make() -> list[tuple[str, str, Key | None]]:
                row = weight_slots(b, qs)
                for i, run in enumerate(row):
                    key = run[2]
                    if key is not None:
                        values, fmt, mark = of[key[0]]
                        row[i] = number(values[key[3]], key, mark, fmt)  # (a list's entry: the float of the array's)
                    elif run[0] is None:
                        row[i] = blank
                return row  # type: ignore[return-value]

            tail = tails.get((b, qs))
            if tail is None:
                tail = tails[b, qs] = _tail(weight_slots(b, qs))
            return lazy(make, lambda: weight_slots(b, qs), 6 + len(qs) * (cols * cw + w_bars) + 4 * (len(qs) - 1), tail)

        def state_width(sw: int) -> int:
            """The columns one state takes in a row of ``state_row``: its cells of ``sw``, its │ marks, its gap."""
            return cols * sw + sum(a in bars for a in range(cols)) + 4

        def state_row(b: int, states: list, widths: list[int]) -> list[tuple[str, str, Key | None]]:
            """Row b of an optimizer's state (and of the one beside it), as a row of W⁽ˡ⁾ is drawn: no cell
            of the cursor's (a state is not edited), no • (the update's product is W⁽ˡ⁾), each state in cells
            of its own width (``widths``: the first under W's columns when its numbers are as wide), and no
            blank after its last number (no cursor's bracket there): ``state_line_width`` columns."""
            row: list[tuple[str, str, Key | None]] = [(w_labels[b].ljust(6), "header", None)]
            for i, ((_, _, values, fmt), sw) in enumerate(zip(states, widths)):
                if i:
                    row.append(("    ", "base", None))
                for a, x in enumerate(values[b]):
                    row.append((self.number_text(float(x), fmt).rjust(sw - 1) + " ", self.number_style(float(x)), None)
                               if entry(b, a) else (" " * sw, "base", None))
                    if a in bars:
                        row.append(("│", "bias", None))
            last = row[-1]
            row[-1] = (last[0][:-1], last[1], last[2])  # (the last cell's blank: a bar never ends a row)
            return row

        def state_line_width(widths: list[int]) -> int:
            """The columns a row of ``state_row`` takes: the labels', each state's, a gap between two, less the
            last cell's blank."""
            return 6 + sum(state_width(sw) for sw in widths) - 4 - 1

        W_, G_ = ("W", w_lists[0], w_formats[0]), ("G", w_lists[1], w_formats[1])
        for b in range(rows if weights and not under else 0):  # dropout's d × 0: no rows
            lines.append(line(("W", b), (W, G), (labels[b], bars, produced == "W", produced == "G", *w_formats),
                              lambda b=b: weight_row(b, (W_, G_)), lambda b=b: (w_lists[0][b], w_lists[1][b]),
                              {2: "W", 3: "G"}))
        for b in range(rows if weights and under else 0):  # W's rows alone (G's under them): what G is, not theirs
            lines.append(line(("W", b), (W,), (labels[b], bars, produced == "W", "under", w_formats[0]),
                              lambda b=b: weight_row(b, (W_,)), lambda b=b: w_lists[0][b], {2: "W"}))
        if weights and under:  # G⁽ˡ⁾'s rows under W⁽ˡ⁾'s, with its heading
            lines.append(line(("gap", "G"), (), (), list))
            self.heading_lines.append(len(lines))
            lines.append(line(("G heading",), (), (produced == "G",), lambda: [g_title()]))
            for b in range(rows):
                lines.append(line(("G", b), (G,), (labels[b], bars, produced == "G", w_formats[1]),
                                  lambda b=b: weight_row(b, (G_,)), lambda b=b: w_lists[1][b], {2: "G"}))
        if weights:
            lines.append(line(("gap",), (), (), list))
        # the grid through time
        T = len(x_seq)
        timed = spec.timed[l - 1]
        times: list[int | None] = list(range(1, T + 1)) if (T is not None and timed) else [None]
        span = tuple(times)

        self.grid_top = len(lines)
        lines.append(line(("τ",), (), (span, t_now), lambda: self._heading(times, t_now)))
        listed = self._listed(boards)

        def value(q: str, t: int | None, b: int) -> float | None:
            if q not in listed:
                return None
            A, shape = listed[q]  # the board's numbers as Python lists (float() of an entry: the same number)
            if len(shape) == 3:  # H × T × T (attention's a): row b is head b // T, key τ′ = b % T + 1
                h, u = divmod(b, shape[2])
                return float(A[h][(t or 1) - 1][u])
            if recurrent:
                r = A[t] if q in ("o", "c") else A[(t or 1) - 1]  # o (and an LSTM's c) hold o₀ (c₀) in row 0
                return float(r[b])
            vec_ = A if t is None else A[t - 1]
            return float(vec_[b + 1 if q == "o" and l < spec.L else b])

        if l == 1:  # the input sequence, x_τ
            def x_row(a: int) -> Any:
                head: Run = (f"x a={a + 1}".ljust(7), "header", None)

                def make() -> list[Run]:
                    row: list[Run] = [head]
                    for t in times:
                        x = None if t is None else float(x_seq[t - 1][a])
                        row.append(number(x, ("o", 0, TimeIndex(t, a), None), False, formats.get(id(x_seq))))
                    return row

                return lazy(make, lambda: [head, *((None, "", ("o", 0, TimeIndex(t, a), None)) for t in times)],
                            len(head[0]) + len(times) * cw, (1 + len(times), len(head[0]), len(times), 1))

            x_lists = self._as_lists("x", x_seq)
            for a in range(spec.widths[0]):
                lines.append(line(("x", a), (x_seq,), (span, stale, formats.get(id(x_seq))), lambda a=a: x_row(a),
                                  lambda a=a: [row[a] for row in x_lists]))
        kind = spec.layer_kinds[l - 1]  # the rows its panel shows (a gated layer's gates, c, ∂ℓ/∂h …)

        def grid_cells(q: str, b: int, fmt: str | None, nan_done: frozenset | None) -> tuple[Once, Once, Once]:
            """Row b of quantity q over τ: its cells' keys, numbers (a NaN of a step not done: None, ·) and
            texts, each worked out when the row is first drawn, compared or its cells listed."""
            keys = Once(lambda: [(q, l, TimeIndex(t, b), None) for t in times])
            xs = Once(lambda: [x if x is None or x == x or t in (nan_done or ()) else None
                               for t, x in ((t, value(q, t, b)) for t in times)])
            return keys, xs, Once(lambda: [text(x, key, fmt) for x, key in zip(xs.get(), keys.get())])

        grid_width, grid_tail = 7 + len(times) * cw, (1 + len(times), 7, len(times), 1)

        def grid_row(q: str, b: int, label: str, look: tuple, marked: tuple) -> Any:
            """Row b of quantity q over τ. Its cells' numbers and texts are kept while the board's array and
            their ``look`` are the same, and its styles while ``marked`` (the step's product, an update's
            dimmed values) is: an update or the step after a product draws the row again from its texts (or
            its kept runs, restyled). Both made when the row is drawn (``lazy``)."""
            board = boards.get(q)
            hit = cells_kept.get((q, b))
            if hit is None or hit[0] is not board or hit[1] != look:
                fmt = formats.get(id(board))
                cells = grid_cells(q, b, fmt, look[-1])
                if hit is not None and hit[1][:-1] == look[:-1] and hit[5] == fmt and hit[2][1].get() == cells[1].get():
                    hit = (board, look, *hit[2:])  # a new array, the same numbers: its texts and styles kept
                else:
                    hit = (board, look, cells, None, None, fmt)
            if hit[3] != marked:
                head = (label.ljust(7)[:7], "header+" if produced == q else "header", None)
                old, kept_row, cells = hit[3], hit[4], hit[2]
                if old is not None and kept_row is not None and not marked[0] and old[2] <= marked[2] and (
                        not isinstance(kept_row, LazyLine) or kept_row.made):
                    # the ▶ left the row or an update dims it: its kept cells restyled (panel_base.restyled)
                    unmark, dim = (q,) if old[0] else (), marked[2]

                    def make() -> list[Run]:
                        return [head, *restyled(kept_row[1:], unmark, dim, hidden)]
                else:
                    def make() -> list[Run]:
                        keys, xs, texts = (part.get() for part in cells)
                        return [head] + [(txt, style(x, key, produced == q and (t is None or t == t_now)), key)
                                         for t, key, x, txt in zip(times, keys, xs, texts)]
                row = lazy(make, lambda: [head, *((None, "", key) for key in cells[0].get())], grid_width, grid_tail)
                hit = (*hit[:3], marked, row, hit[5])
            cells_now[q, b] = hit
            return hit[4]

        cells_kept, cells_now = self._cells_kept, dict[tuple[str, int], tuple]()
        for q, labels in kind.panel_rows(spec.widths[l]) + (kind.panel_rows_over(T) if T is not None else []):
            board = boards.get(q)
            # the τ whose NaN is a value (its step done) rather than one not computed yet
            nan_done = self._nan_done(q, board) if board is not None and self._has_nan(board) else None
            marked = (produced == q, t_now if produced == q else None, stale and q in ("s", "o", "delta"))
            for b, label in enumerate(labels):
                lines.append(grid_row(q, b, label, (span, label, *drawn_with, nan_done), marked))
        self._cells_kept = cells_now

        def norm_rows(q: str, name: str) -> list[list[Run]]:
            norms = delta_norms(self.stepper, l, q) or [None] * T  # none yet: a · per τ
            row: list[Run] = [(name.ljust(7), "header", None)]
            shown = iter(texts([n for n in norms if n is not None], self.digits))  # one format for the row
            for n in norms:
                row.append(("·".rjust(cw - 1) + " " if n is None else next(shown).rjust(cw - 1) + " ", "dim", None))
            bars: list[Run] = [("log".ljust(7), "header", None)]
            for bar in norm_bars(norms):
                bars.append((bar.rjust(cw - 1) + " ", "pos", None))
            return [row, bars]

        for q, name in (kind.panel_norms() if recurrent and T is not None else []):  # how the gradient fades back
            of = st.delta[l] if q == "delta" else st.extra.get((q, l))
            lines += line(("norms", q), (of,), (name, T), lambda q=q, name=name: norm_rows(q, name))
        self.state_headings = []
        parts: list[tuple[int, int, int, int]] = []  # each state's lines at the foot (``_states_beside``)
        if weights:
            # the optimizer's state (momentum's v, Adam's m and v: each W⁽ˡ⁾'s shape) at the panel's foot, as a
            # dense panel shows it under its rows (the grid a step writes stays where it was): its heading, then
            # a row per b; two side by side as W⁽ˡ⁾ and G⁽ˡ⁾ stand (m under W, v under G), or one under the
            # other as G⁽ˡ⁾ under W⁽ˡ⁾
            states = [(label, array, self._as_lists(f"state {i}", array), formats.get(id(array)))
                      for i, (label, array) in enumerate(self._state())]
            # its cells as wide as the panel's, or as its own numbers need (Adam's v of e−9; m of e−3 beside it
            # does not take v's width)
            own = [max(cw, 2 + self._widest(array, fmt)) for _, array, _, fmt in states]
            sw = max([cw] + own)
            block = 6 + cols * sw + len(bars) + 4
            per = 1 if under or self._avail and 6 + 2 * (block - 6) - 4 > self._avail else 2  # (two where W | G fit)
            if per == 2 and len(states) > 1 and self._avail:
                # a pair that would stand beside neither W | G's rows nor the grid's, where one state fits beside
                # the grid's in a panel that does not fit the column's height (``_states_beside``): one under the
                # other, as they then stand there (tiny_transformer's layer 3 at 200×50)
                pair, one = state_line_width(own[:2]), max(state_line_width([w]) for w in own)
                grid_w, rows_w = self.lead + len(times) * cw - 1, 6 + 2 * (cols * cw + len(bars)) + 3
                if (rows_w + 2 + pair > self._avail and grid_w + 2 + pair > self._avail >= grid_w + 2 + one
                        and self._crowded(len(lines) + (2 + rows) * -(-len(states) // 2))):
                    per = 1
            for g in range(0, len(states), per):
                together, widths = states[g:g + per], own[g:g + per]
                block = 6 + state_width(widths[0])  # (the second's heading over its columns)
                parts.append((len(lines), len(lines) + 1, 1, len(lines) + 2 + rows))
                lines.append(line(("gap", "state", g), (), (), list))
                self.state_headings.append(len(lines))
                heads = tuple(("▶ " if produced == "W" else "") + label for label, *_ in together)  # (the update's)
                lines.append(line(("state heading", g), (), (heads, block), lambda heads=heads, block=block: [
                    (label + " " * max(block - len(label), 2) if i + 1 < len(heads) else label,
                     "header+" if produced == "W" else "header", None)
                    for i, label in enumerate(heads)]))  # (the second over G⁽ˡ⁾'s columns)
                # its rows formatted when drawn or read (``panel_base.Deferred``): an update writes every m and v
                # row, mostly off screen; the part kept while its arrays and look are (its lines then drawn once)
                part = line(("state", g), tuple(a for _, a, _, _ in together),
                            (tuple(w_labels[:rows]), bars, tuple(t for t, *_ in together), tuple(widths),
                             *(fmt for *_, fmt in together)),
                            lambda together=together, widths=widths: Deferred(
                                rows, lambda b: state_row(b, together, widths), lambda b: [],
                                state_line_width(widths)))
                lines += part.lines
        self._lines_kept = now
        if weights:  # a state beside W⁽ˡ⁾'s rows when the panels do not fit the column's height
            top = [self.grid_top]
            lines = self._states_beside(lines, (0, 1, 1 + rows), parts, [self.heading_lines, top, self.state_headings],
                                        (2 + rows, 1, 3 + 2 * rows) if under else None, self.grid_top)
            self.grid_top = top[0]
        self.set_lines(lines)
        group = arrangement(self) if weights and self._avail else None
        self._built = (self._retime_key(produced, boards, x_seq), times, weights, group, own_under, under)

    def _heading(self, times: list[int | None], t_now: int | None) -> list[Run]:
        """The grid's τ line: a label per τ (``once`` for a layer that runs once), ▶ at the current τ."""
        cw = self.cw
        head: list[Run] = [(" " * 7, "header", None)]
        for t in times:
            label = "once" if t is None else f"τ={t}"
            if t is not None and t == t_now:
                head.append((("▶" + label).rjust(cw - 1) + " ", "header+", None))
            else:
                head.append((label.rjust(cw - 1) + " ", "header", None))
        return head

    DEFERS_ROWS: ClassVar[bool] = True
    """Whether the rows of W⁽ˡ⁾, G⁽ˡ⁾, x and the grid are made when drawn (``LazyLine``), not as the panel is built
    (a test builds a panel without to compare)."""

    RETIMES: ClassVar[bool] = True
    """Whether a step that moves only τ in this panel draws its τ line again alone (``_retimed``; a profile's
    panel builds lines of its own around the grid: each step builds them)."""

    _built: tuple | None = None  # what the last whole build was made from (``_retime_key``), its τ, and its choices

    def _retime_key(self, produced: str | None, boards: dict[str, Any], x_seq: Any) -> tuple:
        """What the panel's lines are built from, but the current τ: the arrays it reads (by identity, as
        ``board_signature`` has them), the step's product, an update's dimming, the cells' width and room,
        the input's sequence, and which of its NaN are values (steps done of this layer)."""
        sig = self.board_signature()  # (…, current τ, ahead, the optimizer's step count)
        last = self.stepper.last
        nan = tuple((q, self._nan_done(q, board)) for q, board in boards.items()
                    if board is not None and self._has_nan(board))
        return (sig[:-3] + sig[-2:], produced, last is not None and last.key.phase == "update", self.digits,
                self.hidden, self.cw, self.base_cw, self._avail, self._under, id(x_seq), nan)

    def _retimed(self, produced: str | None, boards: dict[str, Any], x_seq: Any) -> bool:
        """A step that moved only the current τ in a panel it did not write in (another layer's step, the loss):
        the panel's lines are what they were but the grid's τ line (its ▶), which alone is drawn again, when
        what the last whole build was made from is the same (``_retime_key``), and so are the choices it made
        with the other panels (G under W, the states beside W's rows). A step onto another τ draws every
        sequence panel of the screen again, and building each whole walked all its lines (tiny_transformer's
        seven panels, 296 lines: about 10 M instructions at the first backward press)."""
        built = self._built
        if built is None or produced is not None or not self.RETIMES or not self.lines:
            return False
        key, times, weights, group, own_under, under = built
        if key != self._retime_key(produced, boards, x_seq):
            return False
        if weights and self._crowded(self.group.tall.get(self.l_index, 0)) != self._crowded_as:
            return False  # (the column's height: the states beside W's rows or at the foot, as ``fit_size`` asks)
        if group is not None:  # (as the whole build asks the screen's arrangement: G under W or beside it)
            found = arrangement(self)
            if found is not group or found is None or found.under(self, own_under) != under:
                return False
        kept = self._lines_kept.get(("τ",))
        g = self.grid_top
        if kept is None or not 0 <= g < len(self.lines) or self.lines[g] is not kept[0]:
            return False
        t_now = current_time(self.stepper)
        look = (tuple(times), t_now, self.digits, self.hidden, self.cw)
        if kept[2] == look:
            return True
        new, old = self._heading(times, t_now), self.lines[g]
        if new == old:  # (a layer that runs once: no τ marked)
            self._lines_kept[("τ",)] = (old, (), look, None)
            return True
        self._lines_kept[("τ",)] = (new, (), look, None)
        measured = self._measured_lines.get(id(old))
        hit = (new, *_measure(new))
        lines = list(self.lines)
        lines[g] = new
        if measured is None or measured[0] is not old or measured[2] != hit[2]:
            self.set_lines(lines)  # (another width: measured whole)
            return True
        del self._measured_lines[id(old)]
        self._measured_lines[id(new)] = hit
        known = self._ends_known.get(id(old))
        if known is not None and known[0] is old:  # (its ends, as the states beside the grid's rows measured them)
            self._ends_known = {**{k: v for k, v in self._ends_known.items() if k != id(old)}, id(new): (new, _ends(new))}
        at = list(self._at)
        at[g] = hit[1]
        self._at, self.lines, self.cells = at, lines, None
        return True

    def set_lines(self, lines: list[list[tuple[str, str, Key | None]]]) -> None:
        """Show ``lines`` (:meth:`MapSheet.set_lines`), each line measured once while it is kept (the same
        list from step to step; a deferred line by its part's measures, not made), and the cells listed
        when the cursor or a reader asks for them."""
        measured, now = self._measured_lines, {}
        at: list[list[tuple[int, Key]]] = []  # each line's cells as (x, key)
        widest = 0
        for line in lines:
            hit = measured.get(id(line))
            if hit is None or hit[0] is not line:
                hit = (line, *_measure(line))
            now[id(line)] = hit
            at.append(hit[1])
            widest = max(widest, hit[2])
        self._measured_lines, self._at = now, at
        self.lines, self.cells = lines, None
        self.virtual_size = Size(widest if lines else 1, len(lines))

    def _listed(self, boards: dict[str, Any]) -> dict[str, tuple[Any, tuple]]:
        """Each board array as nested Python lists and its shape, made once per array (a row's numbers
        are read one by one: a list's entry costs a fraction of a NumPy scalar's)."""
        kept, now = self._lists, {}
        for q, board in boards.items():
            if board is not None:
                hit = kept.get(q)
                if hit is None or hit[0] is not board:
                    A = np.asarray(board)
                    hit = (board, (A.tolist(), A.shape))
                now[q] = hit
        self._lists = now
        return {q: hit[1] for q, hit in now.items()}

    def _as_lists(self, name: str, array: Any) -> Any:
        """A weight matrix or the input sequence as nested Python lists, made once per array."""
        hit = self._matrices.get(name)
        if hit is None or hit[0] is not array:
            hit = self._matrices[name] = (array, np.asarray(array).tolist())
        return hit[1]

    def _has_nan(self, board: Any) -> bool:
        """Whether a board array holds a NaN (a number not computed yet, or not a number), once per array."""
        hit = self._nans.get(id(board))
        if hit is None or hit[0] is not board:
            if len(self._nans) > 64:
                self._nans.clear()
            hit = self._nans[id(board)] = (board, bool(np.isnan(np.asarray(board, dtype=float)).any()))
        return hit[1]

    def _nan_done(self, q: str, board: Any) -> frozenset:
        """The τ of the steps done of quantity ``q`` of this layer in the example on the board (a NaN
        there is a value)."""
        done = self._done()
        if self._done_by[0] is not done:  # grouped by quantity once per board position
            by: dict[str, set] = {}
            for quantity, layer, t in done:
                if layer == self.l_index:
                    by.setdefault(quantity, set()).add(t)
            self._done_by = (done, {quantity: frozenset(ts) for quantity, ts in by.items()})
        return self._done_by[1].get(q, frozenset())


def _measure(line: Any) -> tuple[list[tuple[int, Key]], int]:
    """A line's cells as (x, key) and its columns; a deferred line's (``panel_base.Deferred``) as its part
    gives them, the line not made."""
    if isinstance(line, DeferredLine):
        return line.part.cells(line.i), line.part.width
    if isinstance(line, LazyLine):
        return _LazyCells(line), line.width  # type: ignore[return-value]
    x, cells = 0, []
    for text, _, key in line:
        if key is not None:
            cells.append((x, key))
        x += len(text)
    return cells, x


def _ends(line: Any) -> tuple[Any, int, int]:
    """A line without the blank runs after its last number or label (a row's gap after its matrix), the
    columns it then takes, and the columns to its last number's last digit (not its cell's blank after it,
    where the cursor's bracket goes); a deferred line as its part gives them (a state's row ends at its
    last number's digit)."""
    if isinstance(line, DeferredLine):
        return line, line.part.width, line.part.width
    if isinstance(line, LazyLine):
        return line.ends()
    end = len(line)
    while end and line[end - 1][2] is None and not line[end - 1][0].strip():
        end -= 1
    kept = line if end == len(line) else line[:end]
    used = sum(len(run[0]) for run in kept)
    return kept, used, used - (len(kept[-1][0]) - len(kept[-1][0].rstrip()) if kept else 0)


def _unmarked(before: tuple, after: tuple, marks: dict[int, str] | None) -> set[str] | None:
    """The quantities whose mark a line's new ``after`` look takes off, when that is all it changes of its
    ``before`` look (its entries at ``marks``, position → quantity, from True to False); else None."""
    if not marks or len(before) != len(after):
        return None
    gone = set()
    for i, (a, b) in enumerate(zip(before, after)):
        if a != b:
            if marks.get(i) is None or not (a is True and b is False):
                return None
            gone.add(marks[i])
    return gone


def status_lines(stepper: Any, digits: int, shown: int = 8) -> tuple[str, str]:
    """(the example, o⁽⁰⁾) parts of the status block for a sequence: its length and its first ``shown``
    rows (the rest elided: ``, … (T steps)``)."""
    at = stepper.where()

    def rows(a: np.ndarray) -> str:
        text = ", ".join("[" + ", ".join(num(float(v), digits) for v in r) + "]" for r in a[:shown])
        return text + (f", … ({len(a)} steps)" if len(a) > shown else "")

    x, y = np.asarray(at.x), np.asarray(at.y)
    ytext = f"y_τ = {rows(y)}" if y.ndim == 2 else "y = [" + ", ".join(num(float(v), digits) for v in y[:8]) + "]"
    example = f"{at.example_text()}: T = {len(x)}, x_τ = {rows(x)}, {ytext}"
    return example, f"o{sup(0)}_τ = [1, x_τ]"

"""A layer of a network on sequences in a notation profile other than the lecture's (``--notation``):
a recurrent or attention layer and the layers at τ beside it (dense, layer norm, residual blocks)
unrolled in time, under the profile's names, as its equations write them (``core/kinds/rnn/profiled.py``: z_τ = W a_τ + U a_{τ−1} + b, ∂ℓ/∂W and ∂ℓ/∂b
summed over τ, G/m in a mean profile, every product turned with row vectors).

- With a separate bias, the stored [W │ U] without its column 0 and b as a column of its own (one
  entry per row: per gate block of a gated layer), the gradients beside them in the same form, each
  part under its own name, ∂C/∂w², ∂C/∂U² (``LayerKind.gradient_parts``) and ∂C/∂b²; with the bias in
  column 0, the lecture's [bias │ inputs │ U] under the profile's names.
- With a mean gradient, the gradients as G/m for the board's update group of m examples
  (``board_group_size``), the numbers the equation line shows.
- With row vectors (cs231n), W and U shown transposed (a line per input k, counted in each matrix; a
  GRU's U's own bias a line b; a column per unit) with b as a line under them, then dW, dU and db the
  same way.
- Each of the kind's blocks of rows under its own names (``LayerKind.matrix_blocks``): attention's
  W_Q, W_K, W_V and W_O, each with its b (the padding outside them left out); a layer norm's γ as its
  weights and β as its bias, or, with the bias in column 0, [β │ γ] whole, each column under its own
  name (``LayerKind.matrix_parts``: β⁽²⁾, γ⁽²⁾, G_β⁽²⁾, G_γ⁽²⁾).
- The grid over τ as the lecture's panel draws it (its numbers are the same in every profile: o_τ
  without its 1), each quantity under the profile's symbol (a kind's own stay: the gates, c, h, ∂C/∂c),
  units and gates numbered from the profile's first unit, the norms ‖δ_τ‖ in its letters.

Every cell keeps the lecture's key (quantity, layer, row, column; a grid cell's TimeIndex), so the
cursor, an edit (Enter on a weight), the quiz's hidden cell and the explanations name the file's entry
whatever the layout (tests/test_notation_seq_panels.py holds the cells to the board through the
profile's one mapping, ``profiles.VIEWS``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..core.engine import equations as eq
from ..core.engine.kind import LayerKind
from ..core.formulas.formula import Node, Sym, TextPrinter
from ..core.formulas.profiles import VIEWS, shown_value
from .map_sheet import Key
from .panel_base import arrangement, panel_css
from .seq_sheet import SeqSheet, current_time
from .view import cell_width, number_format

Run = tuple[str, str, Key | None]


class ProfileSeqSheet(SeqSheet):
    """One layer of a network on sequences in a notation profile (see the module's docstring)."""

    DEFAULT_CSS = panel_css("ProfileSeqSheet", "100%")
    LECTURE_WEIGHTS = False  # the profile's W │ U, b and their gradients instead (``_weight_lines``)
    RETIMES = False  # (its lines around the grid are its own: built at each step)

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        self.profile = stepper.notation
        self.printer = TextPrinter(notation=self.profile)
        self.layer_kind: LayerKind = stepper.spec.layer_kinds[layer - 1]
        self._shown: dict[tuple, tuple[Any, Any, str]] = {}  # (view, m, digits) → (board array, part, format)
        self._labels: dict[tuple, str] | None = None  # (quantity, layer, row) → the grid row's label
        self._labels_T = 0  # the example's length they were made for (attention's a has a row per key τ′)
        self._weights: list[list[Run]] = []
        self._weights_of: tuple | None = None  # (W, G, m, digits, the hidden cell, W or G produced) drawn in _weights
        self._runs: dict[tuple, tuple[Any, Any]] = {}  # a part's look → (its board array, its runs)
        self.name_width = 0  # a grid label's name part: a quantity's name on its first row, blank under it
        self.weight_name_width = 0  # the same of a weight line's label (row vectors; 0: names above the columns)
        self.grid_top = 0  # the grid's first line (its τ heading)
        self.unit_lines: list[int] = []  # row vectors: each weight block's line of units (a heading)
        self._relabelled: dict[int, tuple[list[Run], Run, list[Run]]] = {}  # id(grid line) → (it, its label, the line shown)
        self._weight_shapes: list[tuple[int, int]] = []  # the weights' lines as (fixed columns, cells), as last drawn
        self._parts_of: list[tuple[range, list, list[str], set[int]]] | None = None  # _weight_parts, once

    # -- names ---------------------------------------------------------------------------------------------
    def row_symbol(self, quantity: str, time: Any = None) -> Node:
        """The symbol of a per-τ board quantity of this layer: its kind's own (an LSTM's gates, c, h,
        ∂ℓ/∂c; a block's ∂ℓ/∂x), else s, o or δ (the input's o⁽⁰⁾ on layer 1's x rows)."""
        l, kind = self.l_index, self.layer_kind
        own = kind.step_sym(kind.step_name(quantity), l, time)
        if own is not None:
            return own
        sym = kind.cell_sym(quantity, l)  # s, o, δ (a layer norm's u, dropout's m; its ∂ℓ/∂x)
        return replace(sym, time=time) if isinstance(sym, Sym) else sym

    def unit_text(self, part: str, gate: str, unit: int | None) -> str:
        """A row's unit as the profile numbers it: a gate's letter (the profile's, ĝ in goodfellow) and
        the unit, or j=unit; the kind's own label (``part``) when the row is not a unit's."""
        if unit is None:
            return part
        n = self.profile.unit(unit)
        return f"{part}{self.printer.p(Sym(gate))}{n}" if gate else f"{part}j={n}"

    def _title(self) -> str:
        p, l, spec = self.profile, self.l_index, self.stepper.spec
        T = len(self._sequence())
        t = current_time(self.stepper)
        kind = self.layer_kind
        if spec.timed[l - 1]:
            when = f" · unrolled over τ = 1 … {T}" + (f" · now τ = {t}" if t is not None else "")
        else:
            when = f" · once, on {self.printer.p(eq.o(l - 1))} at τ = T = {T} (many-to-one)"
        f = f" · f{p.layer_text(l)} = {spec.activations[l - 1]}" if kind.has_s and kind.takes_activation else ""
        return f"Layer {p.layer_number(l)} · {kind.describe()}{f}{when}"

    def board_signature(self) -> tuple:
        return super().board_signature() + (eq.board_group_size(self.stepper),)

    def min_width(self) -> int:
        return 8 + 3 * cell_width(self.digits) + 4

    # -- the lines -----------------------------------------------------------------------------------------
    def _build(self, produced: str | None) -> None:
        st, l = self.stepper.state, self.l_index
        for _ in range(2):  # the weights' lines measured anew may widen or narrow a big screen's cells: once more
            self._cells_fitted = self._fit_cells()
            look = (st.W[l], st.G[l], eq.board_group_size(self.stepper), self.digits, self.hidden,
                    produced if produced in ("W", "G") else None, self.cw,
                    tuple(map(id, st.opt[l].arrays().values())), st.opt[l].t)  # (and the optimizer's state)
            kept = self._weights_of
            if not (kept is None or kept[0] is not look[0] or kept[1] is not look[1] or kept[2:] != look[2:]):
                break
            self._weights, self._weights_of = self._weight_lines(produced), look  # kept while W, G and their look are
            self._weight_heads = (list(self.heading_lines), list(self.unit_lines))  # (as the weights' lines stand)
            self._weight_shapes = self._measure(self._weights)
            if self._stretched(self.base_cw, self._avail) == self.cw:
                break
        super()._build(produced)  # the grid over τ: ``set_lines`` puts the profile's labels on it

    def _measure(self, lines: list[list[Run]]) -> list[tuple[int, int]]:
        """Each line of the weights as (fixed columns, cells) at the cells' width it was drawn with."""
        out = set()
        for line in lines:
            cells = sum(1 for run in line if run[2] is not None)
            out.add((sum(len(run[0]) for run in line) - cells * self.cw, cells))
        return sorted(out)

    def _line_shapes(self, cw: int) -> list[tuple[int, int]]:
        """The grid's lines under the profile's labels, and the weights' lines as last drawn."""
        self._grid_labels()
        return [(self.lead, self._longest()), *self._weight_shapes]

    def _shown_widths(self) -> list[int]:
        """The cells' widths the weights' parts as the profile shows them need (G/m in a mean profile)."""
        kind, l, P = self.layer_kind, self.l_index, self.profile
        if not kind.has_weights:
            return []
        st, m = self.stepper.state, eq.board_group_size(self.stepper)
        out = []
        for q, board in (("W", st.W[l]), ("G", st.G[l])):
            for view in P.parts(q):
                shown, fmt = self._part(board, view, m)
                out.append(2 + self._widest(shown, fmt))
        return out

    def set_lines(self, lines: list[list[Run]]) -> None:
        """The profile's weights over the lecture's grid (its first line the τ heading), each grid line
        under the profile's label."""
        labels = self._grid_labels()
        lead = self.lead
        out = list(self._weights)
        norms = iter(self._norm_names())
        grid_top = len(out)
        kept, now = self._relabelled, {}  # a grid line kept from the last step keeps its relabelled line
        for i, line in enumerate(lines):
            if i == 0:  # τ = 1 … T
                label = (" " * lead, "header", None)
            else:
                key = next((run[2] for run in line if run[2] is not None), None)
                if key is not None:
                    text = labels[key[0], key[1], key[2].row]
                else:  # ‖δ_τ‖ and its bars, in the kind's order (panel_norms)
                    text = next(norms, "")
                label = (text.ljust(lead), line[0][1], None)
            hit = kept.get(id(line))
            if hit is None or hit[0] is not line or hit[1] != label:
                hit = (line, label, [label, *line[1:]])
            now[id(line)] = hit
            out.append(hit[2])
        self._relabelled = now
        self.grid_top = grid_top
        self.heading_lines, self.unit_lines = (list(numbers) for numbers in self._weight_heads)  # (moved below)
        if self._states:  # the optimizer's state at the foot (its headings counted from its first line)
            foot = len(out) + 1
            self.state_headings = [foot + y for y in self._state_tops]
            out += [[], *self._states]
            if len(self._weight_parts()) == 1:  # beside W's rows when the panels do not fit the column's height
                ends = [foot + y for y in self._state_tops[1:]] + [len(out)]
                heads = 2 if self.profile.vectors == "row" else 1  # (row vectors: the state's line of units too)
                parts = [(top - 1, top, heads, end - 1) for top, end in zip(self.state_headings, ends)]
                rows = (0, 1, next((y for y, line in enumerate(self._weights) if not line), len(self._weights)))  # W's (G's under them)
                g0 = rows[2] + 1  # G's band under W's rows, to its blank line (a state left over stands beside it)
                g1 = next((y for y in range(g0, len(self._weights)) if not self._weights[y]), len(self._weights))
                top = [self.grid_top]
                out = self._states_beside(out, rows, parts, [self.heading_lines, self.unit_lines, top,
                                                             self.state_headings], (g0, 1, g1) if g1 - g0 > 1 else None,
                                          self.grid_top)
                self.grid_top = top[0]
        super().set_lines(out)

    def _grid_labels(self) -> dict[tuple, str]:
        """Each grid row's label: the quantity's name (on its first row) and the row's unit or gate; the
        label column's width (``lead``), worked out once for an example's length (attention's a has a row per key)."""
        T = len(self._sequence())
        if self._labels is not None and self._labels_T == T:
            return self._labels
        spec, l, kind, p = self.stepper.spec, self.l_index, self.layer_kind, self.printer.p
        groups: list[tuple[str, int, dict[int, str], list[str]]] = []  # a name on each part's first row
        if l == 1:
            groups.append(("o", 0, {0: f"{p(eq.o(0))} = x"}, [f"k={self.profile.unit(a + 1)}" for a in range(spec.widths[0])]))
        for q, rows in kind.panel_rows(spec.widths[l]) + kind.panel_rows_over(T):
            units = [self.unit_text(*u) for u in kind.panel_units(q, len(rows))]
            parts = kind.panel_parts(q, l) or [(0, self.row_symbol(q))]  # a GRU's s: W's product, U's
            groups.append((q, l, {first: p(sym) for first, sym in parts}, units))
        norms = self._norm_names()
        self.name_width = max([len(name) for _, _, names, _ in groups for name in names.values()] + [0]) + 1
        unit_width = max([len(u) for *_, units in groups for u in units] + [0])
        self.lead = max(self.name_width + unit_width, *(len(n) for n in norms), 5) + 1
        self._labels = {(q, layer, b): (names.get(b, "").ljust(self.name_width) + u)
                        for q, layer, names, units in groups for b, u in enumerate(units)}
        self._labels_T = T
        return self._labels

    def _norm_names(self) -> list[str]:
        recurrent = self.layer_kind.over_time
        names = []
        for q, _ in self.layer_kind.panel_norms() if recurrent else []:
            names += [f"‖{self.printer.p(self.row_symbol(q, 'τ'))}‖", "log"]
        return names

    def _part(self, board: Any, view: str, m: int, of: str = "") -> tuple[Any, str]:
        """A part of a board matrix as the profile shows it (``profiles.VIEWS``; G/m), with its one
        number format, kept while the board's array, m and the digits are the same (``of``: an optimizer's
        state's, kept apart from W's)."""
        key = (view, m, self.digits, of)
        hit = self._shown.get(key)
        if hit is None or hit[0] is not board:
            shown = shown_value(board, view, m)
            hit = self._shown[key] = (board, shown, number_format(shown, self.digits))
        return hit[1], hit[2]

    def _weight_parts(self) -> list[tuple[range, list, list[str], set[int]]]:
        """Each block of W's rows (W⁽ˡ⁾; attention's W_Q, W_K, W_V, W_O) as (its rows, its parts, the rows'
        units, the columns a │ stands before): the profile's grouping, worked out once per panel."""
        if self._parts_of is not None:
            return self._parts_of
        kind, l, P, p = self.layer_kind, self.l_index, self.profile, self.printer.p
        cols = self.stepper.state.W[l].shape[1]
        units = [self.unit_text(*u) for u in kind.panel_units("W", self.stepper.state.W[l].shape[0])]
        starts = {"W": kind.matrix_parts(l), "G": kind.gradient_parts(l)}  # W from column 0, U from column d + 1
        whole = {"W": eq.W(l), "G": eq.G(l)}  # a part that is the layer's matrix itself: the block's name (W_Q)
        bars = {first for first, _ in starts["W"][1:]}  # a │ before U's first column
        own = kind.separate_biases(l) if P.separate_bias else []  # a GRU's U bias: b_{h}, after b
        own_columns = {c for c, _, _ in own}
        out = []
        for first, count, used, names in kind.matrix_blocks(l):  # W⁽ˡ⁾; attention's W_Q, W_K, W_V, W_O
            # each part shown: (its quantity, its view, its names' lecture columns, whether it joins the part
            # before it: a GRU's b_{h} in b's, as U stands in W's, with no part's gap and no ▶ of its own)
            parts: list[tuple[str, str, list[tuple[str, list[int]]], bool]] = []
            for q, views, bias_name in (("W", P.parts("W"), names["b"]), ("G", P.parts("G"), names["Gb"])):
                for view in views:
                    base = view.partition("/")[0]
                    if base == "b":
                        parts.append((q, view, [(p(bias_name), [0])], False))
                        parts += [(q, views[0], [(p(sym if q == "W" else grad), [c])], True) for c, sym, grad in own]
                        continue
                    lecture = [VIEWS[base].lecture((0, j) if base != "W.T" else (j, 0))[1]
                               for j in range(used - (base != ""))]
                    # W's columns (or the block's) under W's name, U's under U's: U, ∂C/∂U²
                    split = [(p(names[q] if sym == whole[q] else sym),
                              [c for c in lecture if at <= c < end and c not in own_columns])
                             for (at, sym), end in zip(starts[q], [s for s, _ in starts[q][1:]] + [cols])]
                    parts.append((q, view, [(name, cs) for name, cs in split if cs], False))
            out.append((range(first, first + count), parts, units, bars))
        self._parts_of = out
        return out

    @staticmethod
    def _marks(view: str, columns: list[int], bars: set[int]) -> list[int]:
        """The columns of a part's name that a │ stands beside: the lecture's bias column 0 (a │ after it),
        U's first (a │ before it, inside a part that holds W's columns too)."""
        bias_bar = view.partition("/")[0] == ""
        return [c for c in columns if (bias_bar and c == 0) or (c in bars and c != columns[0])]

    @staticmethod
    def _name_width(name: str, used: int, lead: bool) -> int:
        """The columns under a part's name: its numbers' and │ marks' (``used``), or its name's, with room
        for a step's ▶ before a part's first name (``lead``); the two blank ones after it aside."""
        return max(used, len(name) + (3 if lead else 1))

    def _side_by_side(self, cw: int) -> int:
        """The widest line of the weights with G's parts beside W's (column vectors), at cells of ``cw``."""
        widest = 0
        for block, parts, units, bars in self._weight_parts():
            width = max(len(u) for u in units) + 2
            for place, (_, view, split, joined) in enumerate(parts):
                width += 2 if place > 0 and not joined else 0
                for i, (name, columns) in enumerate(split):
                    used = len(columns) * cw + len(self._marks(view, columns, bars))
                    width += self._name_width(name, used, i == 0 and not joined) + 2
            widest = max(widest, width)
        return widest

    def _weights_under(self, cw: int, avail: int) -> bool:
        """Whether G's parts go under W's (column vectors) in ``avail`` columns at cells of ``cw``: a line of
        both side by side is wider than the room, or G goes under W in another panel of the screen (one
        arrangement for all, :class:`~.panel_base.Arrangement`). Row vectors (cs231n) have G's lines under
        W's already."""
        if not self.layer_kind.has_weights or self.profile.vectors == "row" or not avail:
            return False
        group = arrangement(self)
        return self._side_by_side(cw) > avail or (group is not None and group.others(self))

    def _weight_lines(self, produced: str | None) -> list[list[Run]]:
        """W │ U and b, ∂ℓ/∂W and ∂ℓ/∂b (G/m), as the profile groups and lays them out; none for a kind
        without weights (a residual block)."""
        self.heading_lines, self.weight_name_width = [], 0
        self.unit_lines = []  # row vectors: each block's line of units, over its columns
        kind, l, P = self.layer_kind, self.l_index, self.profile
        self._runs_now: dict[tuple, tuple[Any, Any]] = {}
        if not kind.has_weights:
            self._states, self.state_headings = [], []
            return []
        m = eq.board_group_size(self.stepper)
        cw = self.cw
        hidden = self.hidden

        def number(x: float, key: Key, fmt: str, mark: bool) -> Run:
            if key == hidden:
                return ("? ".rjust(cw), "pos", key)
            return (self.number_text(x, fmt).rjust(cw - 1) + " ", self.number_style(x, False, mark), key)

        under = False
        group = arrangement(self) if P.vectors != "row" and self._avail else None
        if group is not None:  # G's parts under W's: the screen's one choice, told this panel's own need
            under = group.under(self, self._side_by_side(self.base_cw) > self._avail)
        lines: list[list[Run]] = []
        for block, parts, units, bars in self._weight_parts():
            if P.vectors == "row":
                self.unit_lines.append(len(lines))
                lines += self._row_lines(parts, block, units, number, produced, m)
                continue
            for group_parts in ([p for p in parts if p[0] == "W"], [p for p in parts if p[0] == "G"]) if under else [parts]:
                self.heading_lines.append(len(lines))
                lines += self._column_lines(group_parts, block, units, bars, number, produced, m)
        self._states = self._state_lines(under, produced == "W")  # (at the panel's foot, under the grid: ``set_lines``)
        self._runs = self._runs_now
        return lines

    _states: list[list[Run]] = []  # the optimizer's state's lines, as the weights' were last drawn
    _weight_heads: tuple[list[int], list[int]] = ([], [])  # heading_lines, unit_lines as _weight_lines made them
    _state_tops: list[int] = []  # and their headings, counted from their first line

    def _state_lines(self, under: bool, updated: bool = False) -> list[list[Run]]:
        """The optimizer's state (momentum's v, Adam's m and v: each of W's shape) at the panel's foot, under
        the grid, as a dense panel of the profile shows it under its rows: its heading (``view.optimizer_state``: the profile's symbol and
        what it is), then its entries in W's parts as the profile shows W's (W │ U and b, or with row
        vectors transposed), a state's for each of W's; two side by side as W's and G's parts stand (m
        under W, v under G), one under the other when G's parts stand under W's. A state's entry is no
        cell of the cursor's (a state is not edited) and carries no step's mark; its heading is marked ▶ in the
        update that changes it (``updated``), as a dense panel's."""
        mark, style = ("▶ ", "header+") if updated else ("", "header")
        self._state_tops = []
        states = self._state()
        if not states:
            return []
        P = self.profile

        # its cells as wide as the panel's, or as its numbers need (Adam's v of e−9: not the grid's every cell)
        w_views = P.parts("W")
        sw = max([self.cw] + [2 + self._widest(*self._part(array, view, 1, f"state {i}"))
                              for i, (_, array) in enumerate(states) for view in w_views])

        def number(x: float, key: Key, fmt: str, mark: bool) -> Run:
            return (self.number_text(x, fmt).rjust(sw - 1) + " ", self.number_style(x), None)

        lines: list[list[Run]] = []
        per = 1 if under or P.vectors == "row" or self._avail and self._side_by_side(sw) > self._avail else 2
        for g in range(0, len(states), per):
            together = states[g:g + per]
            for block, parts, units, bars in self._weight_parts():
                w_parts = [part for part in parts if part[0] == "W"]
                tags = [f"state {g + i}" for i in range(len(together))]
                if P.vectors == "row":
                    self._state_tops.append(len(lines))
                    lines.append([(mark + together[0][0], style, None)])
                    lines += self._row_lines(w_parts, block, units, number, None, 1, board=together[0][1], tag=tags[0],
                                             named=parts, cw=sw)  # (its names' column as wide as the weights')
                    continue
                all_parts = [part for _ in together for part in w_parts]
                boards = [array for _, array in together for _ in w_parts]
                head, *body = self._column_lines(all_parts, block, units, bars, number, None, 1, boards=boards,
                                                 tags=[tag for tag in tags for _ in w_parts], cw=sw)
                # the states' headings over their first columns (where W's names stand in a line of W's), or
                # with a kind's blocks of rows (attention's W_Q …) over the block's names
                at, x, starts = 1, len(head[0][0]), []
                for i in range(len(together)):
                    starts.append(x)
                    for place, (_, _, split, joined) in enumerate(w_parts):
                        gap = (i > 0 or place > 0) and not joined
                        x += sum(len(run[0]) for run in head[at:at + gap + len(split)])
                        at += gap + len(split)
                label: list[Run] = [(" " * len(head[0][0]), "header", None)]
                for (text, _), start in zip(together, starts):
                    used = sum(len(run[0]) for run in label)
                    label.append((" " * max(start - used, 2 if len(label) > 1 else 0) + mark + text, style, None))
                if block.start == 0:
                    self._state_tops.append(len(lines))
                    lines.append(label)
                if len(self._weight_parts()) > 1:  # (a kind's blocks: each under its names)
                    lines.append(head)
                lines += body
        return lines

    state_headings: list[int] = []  # the optimizer's state's headings under the weights

    def heading_starts(self) -> list[int]:
        """The weights' headings (row vectors: each block's line of units), the optimizer's state's, and the
        grid's τ line."""
        return sorted({*self.heading_lines, *self.unit_lines, self.grid_top, *self.state_headings})  # (top down)

    def _kept(self, look: tuple, board: Any, make: Any) -> Any:
        """What ``make`` draws of a part of ``board`` (W's or G's), kept while that array and the part's
        ``look`` are the same: a G step formats G's numbers, not W's again."""
        look = (*look, self.digits, self.hidden, self.cw)
        hit = self._runs.get(look)
        if hit is None or hit[0] is not board:
            hit = (board, make())
        self._runs_now[look] = hit
        return hit[1]

    def _column_lines(self, parts: list, block: range, units: list[str], bars: set[int], number: Any,
                      produced: str | None, m: int, boards: list | None = None,
                      tags: list[str] | None = None, cw: int = 0) -> list[list[Run]]:
        """Column vectors: a row per unit (or gate row) of the block, each part's columns under its name
        (W │ U | b | ∂ℓ/∂W | ∂ℓ/∂b), two blank columns between the names of a part and two more between
        parts; a step's product's ▶ before a part's first name (the heading of its first column leaves it
        room: nothing moves). ``boards``, ``tags``, ``cw``: an optimizer's state's parts (each of W's shape,
        with their own look and cells' width)."""
        st, l = self.stepper.state, self.l_index
        cw = cw or self.cw
        label = max(len(u) for u in units) + 2
        head: list[Run] = [(" " * label, "header", None)]
        body: list[list[Run]] = [[(units[r].ljust(label), "header", None)] for r in block]
        for place, (q, view, split, joined) in enumerate(parts):
            # (``boards``: each part's own matrix of W's shape, an optimizer's state, its look ``tags``)
            board = boards[place] if boards is not None else st.W[l] if q == "W" else st.G[l]
            gap = place > 0 and not joined  # a part's gap before it (a joined part's: its names' two columns)

            def make(q: str = q, view: str = view, split: list = split, board: Any = board, joined: bool = joined,
                     gap: bool = gap) -> tuple[list, list]:
                """The part's heading runs and its runs on each row of the block."""
                shown, fmt = self._part(board, view, m, tags[place] if tags is not None else "")  # (a state's apart)
                heads: list[Run] = [("  ", "base", None)] if gap else []
                rows: list[list[Run]] = [[("  ", "base", None)] if gap else [] for _ in block]
                for i, (name, columns) in enumerate(split):
                    marks = self._marks(view, columns, bars)
                    lead = i == 0 and not joined
                    width = self._name_width(name, len(columns) * cw + len(marks), lead)
                    text = ("▶ " if produced == q and lead else "") + name
                    heads.append((text.ljust(width + 2), "header+" if produced == q else "header", None))
                    for r, line in zip(block, rows):
                        start = len(line)
                        for c in columns:
                            at = VIEWS[view.partition("/")[0]].shown((r, c))
                            assert at is not None
                            if c in marks and c != 0:
                                line.append(("│", "bias", None))
                            line.append(number(float(shown[at]), (q, l, r, c), fmt, produced == q))
                            if c in marks and c == 0:
                                line.append(("│", "bias", None))
                        drawn = sum(len(run[0]) for run in line[start:])
                        line.append((" " * (width - drawn + 2), "base", None))
                return heads, rows

            # a part is its quantity, view and columns (a GRU's b_{h} is a part of W's view of its own)
            heads, rows = self._kept(("column", block.start, q, view, split[0][1][0], m, produced == q, joined, gap,
                                      tags[place] if tags is not None else "", cw), board, make)
            head += heads
            for line, runs in zip(body, rows):
                line += runs
        return [head, *body, []]

    def _row_lines(self, parts: list, block: range, units: list[str], number: Any, produced: str | None, m: int,
                   board: Any = None, tag: str = "", named: list | None = None, cw: int = 0) -> list[list[Run]]:
        """Row vectors (cs231n): each part transposed, a line per input k (W's, then U's) and a column
        per unit (or gate row) of the block; b (and db) a line under it; the part's name on its first line."""
        st, l, P = self.stepper.state, self.l_index, self.profile
        cw = cw or self.cw
        names = [name for _, _, blocks, _ in (named or parts) for name, _ in blocks]
        name_w = max(len(n) for n in names) + 3
        label = name_w + 6
        head: list[Run] = [(" " * label, "header", None)]
        lines: list[list[Run]] = [head + [(units[r].rjust(cw - 1) + " ", "header", None) for r in block]]
        own_board = board  # (an optimizer's state of W's shape, drawn as W's parts)
        for q, view, blocks, _ in parts:
            board = own_board if own_board is not None else st.W[l] if q == "W" else st.G[l]

            def make(q: str = q, view: str = view, blocks: list = blocks, board: Any = board) -> list[list[Run]]:
                """The part's lines: a line per input k (its name on the first), one for b."""
                shown, fmt = self._part(board, view, m, tag)  # (a state's parts kept apart from W's)
                base = view.partition("/")[0]
                style = "header+" if produced == q else "header"
                out: list[list[Run]] = []
                biases = self.layer_kind.bias_columns  # a GRU's U bias: a part of its own (b_{h}), one line
                for name, columns in blocks:
                    inputs = [c for c in columns if c not in biases]
                    for k, c in enumerate(columns):
                        lead = (("▶ " if produced == q else "") + name) if k == 0 else ""
                        index = "" if base == "b" or c in biases else f"k={P.unit(inputs.index(c) + 1)}"
                        line: list[Run] = [(lead.ljust(name_w), style, None), (index.ljust(6), style, None)]
                        for r in block:
                            at = VIEWS[base].shown((r, c))
                            assert at is not None
                            line.append(number(float(shown[at]), (q, l, r, c), fmt, produced == q))
                        out.append(line)
                return out

            lines += self._kept(("row", block.start, q, view, blocks[0][1][0], m, produced == q, name_w, tag, cw), board,
                                make)
        self.weight_name_width = max(self.weight_name_width, name_w)
        return lines + [[]]

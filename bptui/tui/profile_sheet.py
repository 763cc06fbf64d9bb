"""A dense layer's panel in a notation profile other than the lecture's (``--notation``): the
profile's quantities, as its equation line writes them (``core/formulas/profiles.py``).

- With a separate bias, W without its column 0 and b as a column of its own, the gradients of W and
  of b apart (∂C/∂w², ∂C/∂b²), o without its 1; with the bias in column 0, the lecture's grid.
- With a mean gradient, the gradients as G/m for the board's update group of m examples
  (``board_group_size``), the numbers the equation line shows.
- With column vectors a row per unit (W | b | z a δ | dW | db); with row vectors (cs231n) W shown
  D × C (the file's W without column 0, transposed) and b, scores, h, dscores, dW, db as rows of C
  under it, an optimizer's state (its D lines and its b) beside dW and db as far as the width holds.
- The parts under the rows stand side by side by the rules every number panel shares
  (``panel_base.parts_per_line``; the columns shown, ``panel_base.shown_columns``).
- The profile's symbols and layer index in the headings and the title, units numbered from its base.

What the panel shows is read through the profile's one mapping of the lecture's board
(``Profile.parts``, ``profiles.shown_value`` and ``lecture_index``: the tables the equation line, the quiz
and exercises read through ``shown_ref``; tests/test_notation_mapping.py holds the panel and ``shown_ref``
to each other, tests/test_notation_panels.py the panel to the equation line's numbers); every cell
carries the lecture's key (quantity, layer, unit, column), so the cursor, an edit (Enter on a weight),
the quiz's hidden cell and the explanations name the file's entry whatever the layout.

A step formats only what it changed: each part's runs (W's rows, a column of s, G's band, cs231n's
D lines of W) are kept while their board array and their look are the same (``kept`` in ``_build``),
and ``set_chunks`` measures a kept part's lines once. With row vectors W's, G's and an optimizer's D lines
are :class:`Deferred`: each line is made when it is first drawn or read, so the step that produces
cs231n's 784-line G¹ (or updates W¹) formats the lines on screen. A 784-128-10 network's keypress costs
about what the lecture's panel costs (``benchmarks/profile_panel_speed.py``; ``keypress_speed.py
--notation cs231n`` by step kind); with column vectors a step that produces a big G still formats its
every row (128 for 784-128-10).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from textual.geometry import Size

from ..core.engine import equations as eq
from ..core.formulas.formula import TextPrinter
from ..core.formulas.numformat import cell
from ..core.formulas.profiles import lecture_index, shown_value

from .map_sheet import Key, MapSheet, MeasuredCells
from .panel_base import (Deferred, arrangement, block_columns, deferred_cells, panel_css, parts_beside, parts_per_line, restyled,
                         shown_columns, spread, stretched)
from .view import cell_width, optimizer_state

Run = tuple[str, str, Key | None]  # (text, style name, the lecture's cell key)


class Lines:
    """A panel's lines as chunks: a line made for this step is a chunk of its own, a kept part's lines
    one chunk, the same list from step to step (``ProfileSheet.set_chunks`` measures it once)."""

    def __init__(self, *lines: list[Run]) -> None:
        self.chunks: list[list[list[Run]]] = []
        self.count = 0
        self.add(*lines)

    def add(self, *lines: list[Run]) -> None:
        self.chunks += [[line] for line in lines]
        self.count += len(lines)

    def block(self, lines: Any) -> None:  # (lines, or a Deferred part's)
        self.chunks.append(lines)
        self.count += len(lines)


def _unmarked(made: Any) -> Any:
    """A step's product (runs, or lists of them) as the step after draws it: no ▶, no • and no highlight
    (the runs ``make`` gives when the quantity is not the product, without formatting a number again)."""
    if isinstance(made, Deferred):
        return made.mapped(_unmarked)
    out: list = []
    for x in made:
        if isinstance(x, list):
            out.append(_unmarked(x))
            continue
        text, style, key = x
        if key is not None and text.endswith("•"):  # a number the step changed
            text = text[:-1] + " "
        if style.endswith("+"):
            style = style[:-1]
            if key is None:  # a label: its ▶ goes
                text = text.replace("▶ ", "", 1).ljust(len(text))
        out.append((text, style, key))
    return out


def _dimmed(made: list, hidden: Key | None) -> list:
    """A part of s, o or δ (its runs, or lines of them) as an update draws it, from the part drawn before it: its
    cells dimmed (``panel_base.restyled``, the quiz's hidden cell as it is), their texts and keys kept, without
    formatting a number again (what ``number`` makes with ``dim``)."""
    if made and isinstance(made[0], list):
        return [restyled(line, dim=True, keep=hidden) for line in made]
    return restyled(made, dim=True, keep=hidden)


def _measured(lines: list[list[Run]]) -> tuple[list[list[Run]], list[list[tuple[int, Key]]], int]:
    """Lines without blank runs at their ends, where each line's cells stand (x, key), and the widest."""
    lines = [_trimmed(line) for line in lines]
    cells, width = [], 1
    for line in lines:
        x, at = 0, []
        for text, _, key in line:
            if key is not None:
                at.append((x, key))
            x += len(text)
        cells.append(at)
        width = max(width, x)
    return lines, cells, width


def _trimmed(line: list[Run]) -> list[Run]:
    """The line without blank runs at its end (they would ask for a scrollbar); the line itself, unchanged,
    when it has none (a kept line is never changed)."""
    end = len(line)
    while end and line[end - 1][2] is None and not line[end - 1][0].strip():
        end -= 1
    return line if end == len(line) else line[:end]


def _beside(lines: list[list[Run]], width: int) -> list[Run]:
    """Lines of parts side by side: each padded to ``width`` columns and two blanks, but the last."""
    out: list[Run] = []
    for i, line in enumerate(lines):
        if i:
            used = sum(len(text) for text, _, _ in out)
            out.append((" " * (i * (width + 2) - used), "base", None))
        out += line
    return out


class _Joined:
    """G's D lines and its bias's line as one part of D + 1 lines (row vectors), to stand beside an
    optimizer's state (its D lines and its b's)."""

    __slots__ = ("part", "bias")

    def __init__(self, part: Deferred, bias: list[Run]) -> None:
        self.part, self.bias = part, bias

    def __getitem__(self, k: int) -> Any:
        return self.part.line(k) if k < len(self.part) else self.bias


def padded_columns(n_all: int, avail: int, width: Any) -> tuple[int, bool]:
    """The columns a matrix shows (``panel_base.shown_columns``) in ``avail`` columns, or in one more, the
    panel's right padding's (``give_padding``), when that shows one more (as the lecture's panel gives it):
    none hidden beside a blank one; and whether it takes that column."""
    n = shown_columns(n_all, avail, width)
    if n == n_all:
        return n, False
    more = shown_columns(n_all, avail + 1, width)
    return (more, True) if more > n else (n, False)


def _more(hidden: int) -> str:
    """What a matrix shows after its shown columns: `` +2…`` when columns are hidden, else nothing."""
    return f" +{hidden}…" if hidden > 0 else ""


class ProfileSheet(MeasuredCells, MapSheet):
    """One dense layer's panel in a notation profile (see the module's docstring)."""

    DEFAULT_CSS = panel_css("ProfileSheet", 18)
    FOLLOWS_CURSOR = False

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        self.profile = stepper.notation
        self.printer = TextPrinter(notation=self.profile)
        assert self.kind is not None
        self.own = self.kind.profiled_names(layer, self.profile)  # the kind's names in the profile
        self._full_width = 0  # a row per unit with G beside W, as last built (column vectors)
        self._parts: dict[tuple, tuple[Any, Any]] = {}  # (part, id of its board array, m) → (array, part)
        self._kept: dict[tuple, tuple[Any, list]] = {}  # (part, its place, its look) → (its array, its runs)
        self.heading_lines: list[int] = [0]  # the lines that name the columns under them
        self.state_headings: list[int] = []  # an optimizer's state's headings (a row per unit)
        self._measured: dict[int, tuple[list, list, int]] = {}  # id(chunk) → (chunk, its lines' cells, its width)
        self._fresh: list[int] = []  # the lines measured anew by the last set_chunks
        self._at: list[list[tuple[int, Key]]] = []  # each line's cells as (x, key)
        self.cw = self.base_cw = cell_width(digits)  # a cell's columns: as its numbers need (base_cw), or widened
        self._natural = 0  # a line's width with every column shown at base_cw (0: a panel that does not stretch)
        self._n_all = 0  # W's columns as the profile shows them (its part without b)
        self._head = 0  # the heading's lines above the rows, which a big screen's tall panel spreads
        self._body = 0  # the lines under the heading that spread (the rows); the lines under them (G's band,
        # an optimizer's state) follow them as they are
        self._stretched_in: Any = None  # the room the cells were widened and the rows spread for
        self._combined: dict[tuple, tuple[tuple, Any]] = {}  # parts under the rows side by side: (parts, lines)
        self._known_blocks: dict[tuple[int, int, int], tuple[dict, dict[str, int]]] = {}  # (cw, n, n_all) → (names, _blocks)

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list[Any]:
        return [cls(stepper, l, digits, id=f"layer-{l}") for l in layers]

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        self.show(self.digits, hidden, set())

    def board_signature(self) -> tuple:
        st, l = self.stepper.state, self.l_index
        arrays = (st.W[l], st.G[l], st.s[l], st.o[l], st.delta[l], *st.opt[l].arrays().values())
        return tuple(id(a) for a in arrays) + (eq.board_group_size(self.stepper), st.opt[l].t)

    def _arrangement(self, avail: int) -> tuple[bool, list[list[tuple[str, str]]]]:
        """G's band under the rows when a row per unit does not fit ``avail``, or does not in another panel
        of the screen (one arrangement for all: :class:`~.panel_base.Arrangement`; column vectors; row
        vectors have one arrangement: a wide layer scrolls)."""
        group = arrangement(self)
        return 0 < avail < self._full_width or (group is not None and group.others(self)), []

    def rearranged(self) -> None:
        if self.lines and self.is_attached:
            self.call_later(self._rebuild)

    def _legend(self) -> str:
        return ""

    def min_width(self) -> int:
        return 8 + 3 * cell_width(self.digits) + 4

    def cell_columns(self) -> int:
        return self.cw

    def natural_width(self, narrowest: bool = False) -> int | None:
        """A row per unit with G beside W (a line of every unit with row vectors), every column shown, the
        cells as wide as the numbers need (``narrowest``: as the digits allow; borders and padding
        included); None for a panel of its own build."""
        if not self.lines and type(self)._build is ProfileSheet._build:
            self._build(None)
        if not self._natural:
            return None
        return (self._full(cell_width(self.digits), self.names(), self._n_all) if narrowest else self._natural) + 4

    def part_ends(self) -> list[int] | None:
        """The heading and the rows (with the parts beside them), then each line of parts under them; with row
        vectors (cs231n) None: its parts are not a row per unit under a heading."""
        if not self.lines or self.profile.vectors != "column":
            return None
        return [y - 1 for y in sorted(self.heading_starts()) if y > 1] + [len(self.lines)]

    def restretched(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        self._produced = self.produced_now()
        self._build(self._produced)
        self._strips.clear()
        self.refresh(layout=True)

    def fit_size(self) -> None:
        """On a big screen a new size widens the cells and spreads the rows anew."""
        if self.widen and self.lines and self.room() != self._stretched_in:
            self._rebuild()
            self._avail = self.room().width
            return
        if self.lines and self._tall is not None and (self._tall > self.room().height) != bool(self.beside):
            self._rebuild()  # a new height: the parts beside the rows, or under them (_place_beside)
            return
        width = self.room().width
        if self.lines and self._columns_fit and width != self._avail:  # as many of W's columns as fit the new width
            self._avail = width
            self._rebuild()
            return
        super().fit_size()

    under_widths: list[int] = []  # the parts under the rows (G's band, an optimizer's state), each the widest's width
    per_line = 1  # and how many stand side by side on a line

    _columns_fit = False  # G under W, or row vectors: the columns shown are as many as fit the width they were built for

    def _widths(self, cw: int, names: dict[str, str]) -> dict[str, int]:
        """Each vector column's width (column vectors): as wide as its heading with the ▶ of a step's product,
        so that nothing moves. Worked out once for each cell width (the same dict after)."""
        known = self._known_widths
        if known is None or known[0] != cw or known[1] is not names:
            known = self._known_widths = (cw, names, {q: max(cw, len(names.get(q, "")) + 3)
                                                      for q in ("b", "s", "o", "delta", "Gb")})
        return known[2]

    _known_widths: tuple[int, dict, dict[str, int]] | None = None

    def _blocks(self, cw: int, names: dict[str, str], n: int, n_all: int) -> dict[str, int]:
        """W's and G's blocks' widths with n of their n_all columns shown (column vectors), worked out once for
        each (the search for the columns a line of parts under the rows holds asks for many n at each build)."""
        known = self._known_blocks
        hit = known.get((cw, n, n_all))
        if hit is not None and hit[0] is names:
            return hit[1]
        mw = n * cw + (0 if self.profile.separate_bias else 1) + len(_more(n_all - n))
        blocks = {q: max(mw, len(names[q]) + 2) if "W" in names else -2 for q in ("W", "G")}
        if len(known) >= 256:
            known.clear()
        known[cw, n, n_all] = (names, blocks)
        return blocks

    def _full(self, cw: int, names: dict[str, str], n_all: int) -> int:
        """A line's width with every column shown in cells of ``cw``: a row per unit with G beside W, or
        with row vectors a line of the layer's units."""
        p = self.profile
        if p.vectors == "row":
            return max(len(n) for n in names.values()) + 8 + self.stepper.state.W[self.l_index].shape[0] * cw
        sep, weighted = p.separate_bias, "W" in names
        widths, block = self._widths(cw, names), self._blocks(cw, names, n_all, n_all)
        vectors = (("b",) if sep and weighted else ()) + ("s", "o", "delta")
        gradient = (2 + block["G"] + 2 + (widths["Gb"] if sep else 0)) if weighted else 0
        return 6 + block["W"] + 2 + sum(widths[q] for q in vectors) + gradient

    def _stretched(self, cw: int, names: dict[str, str], n_all: int, states: list[str]) -> int:
        """The cells' width on a big screen, by the lecture's rule (:func:`~.panel_base.stretched`), when
        every column fits the panel at ``cw`` (else the panel keeps its cells and hides or scrolls): a row per
        unit with G beside W, or with row vectors a line of the layer's units, and G's part with as many of
        the optimizer's ``states`` (named by their headings) beside it as stand so at ``cw``, as the
        lecture's panel widens its cells with the blocks under its rows."""
        avail, full = self.scrollable_content_region.width, self._full(cw, names, n_all)
        if not avail:
            return cw
        p, weighted = self.profile, "W" in names
        lines: list[tuple[int, int]] = []  # (the columns that never grow with cw, the cells) of each line
        if p.vectors == "row":
            if full > avail:
                return cw
            units = self.stepper.state.W[self.l_index].shape[0]
            lines.append((full - units * cw, units))
            if states and weighted:  # G's part and the states, each a label and a line of units
                label = max(len(n) for n in names.values()) + 8
                per = parts_per_line(max([label + units * cw] + [len(t) for t in states]), len(states) + 1, avail)
                lines.append((per * label + 2 * (per - 1), per * units))
            return stretched(cw, avail, lines)
        if full > avail:  # G beside W (a row per unit), every column shown
            return cw
        cells = 2 * n_all + 3 + (2 if p.separate_bias else 0) if weighted else 3
        return stretched(cw, avail, [(full - cells * cw, cells)])  # (the rest never grows with cw)

    def _title(self) -> str:
        p, l, spec = self.profile, self.l_index, self.stepper.spec
        units = self.stepper.state.W[l].shape[0]
        parts = self.own.title
        what = (f"f{p.layer_text(l)} = {spec.activations[l - 1]}" if parts is None
                else "".join(x if isinstance(x, str) else self.printer.p(x) for x in parts))
        return f"Layer {p.layer_number(l)} · {what} · {units} unit{'s' if units != 1 else ''}"

    # -- what it shows ----------------------------------------------------------------------------
    def names(self) -> dict[str, str]:
        """The headings: each quantity's symbol as the profile prints it (the equation line's), as the layer's
        kind names it (``LayerKind.profiled_names``: a layer norm's γ, β, u, ∂C/∂x; no W for dropout); printed
        once a panel (they name the layer's quantities, whatever the board), the same dict after."""
        if self._printed_names is None:
            p = self.printer.p
            self._printed_names = {q: p(sym) for q, sym in self.own.syms.items()}
        return self._printed_names

    _printed_names: dict[str, str] | None = None

    def _build(self, produced: str | None) -> None:
        stepper, p, l = self.stepper, self.profile, self.l_index
        if produced is not None and self.kind is not None:  # the board's row the step wrote (a layer norm's u: s)
            produced = self._produced = self.kind.board_quantity(produced)
        st = stepper.state
        digits, hidden = self.digits, self.hidden  # read once: a reactive costs a lookup each time
        cw = cell_width(digits)
        last = stepper.last
        stale = last is not None and last.key.phase == "update"
        m = eq.board_group_size(stepper)
        hidden_o = l < stepper.spec.L  # the lecture's o⁽ˡ⁾ has its 1 on top
        changed = None
        if produced is not None and last is not None:
            value = np.asarray(last.value)
            changed = np.ones(value.shape, bool) if last.before is None else value != last.before
        Wl, Gl = st.W[l], st.G[l]
        parts: dict[tuple, tuple[Any, Any]] = {}

        def part(name: str, source: Any, f: Any) -> Any:
            """A part of a board array as shown, kept while the array is the same (a big W is not sliced
            and scanned for its number format again at every step)."""
            key = (name, id(source), m)
            hit = self._parts.get(key)
            if hit is None or hit[0] is not source:
                hit = (source, f(source))
            parts[key] = hit
            return hit[1]

        # the parts of W and G the profile shows (profiles.PARTS): W's (and b) and G's (and its b), G/m in a mean profile
        views = (dict(zip(("W", "b"), p.parts("W"))) | dict(zip(("G", "Gb"), p.parts("G")))
                 if "W" in self.own.syms else {})  # a layer without weights (dropout): none
        shown = {name: part(name, Gl if name.startswith("G") else Wl, lambda a, v=view: shown_value(a, v, m))
                 for name, view in views.items()}
        o_view = p.parts("o", hidden_o)[0]  # o as shown: without its 1 in a hidden layer with a separate b
        self._parts = parts
        vectors = {"s": st.s[l], "o": st.o[l], "delta": st.delta[l]}
        formats = self.formats(list(shown.values()) + list(vectors.values()))
        # a blank before the widest number, its • after (and the cursor's brackets): −130.4417• must not run
        # into the cell before it, nor push the cells after it out of their columns
        cw = max([cw] + [2 + self._widest(a, formats.get(id(a))) for a in (*shown.values(), *vectors.values())
                         if a is not None])
        names = self.names()
        n_all = shown["W"].shape[1] if "W" in shown else 0
        natural = self._full(cw, names, n_all)
        self._n_all = n_all
        if natural != self._natural:  # a number of another width: the screen arranges its panels again
            self._natural = natural
            self.widened()
        self.base_cw = cw
        # momentum's v, Adam's m and v, as the profile writes them (goodfellow's v is the step, −ε v)
        optimizer = list(optimizer_state(stepper, l, p)) if views else []
        if self.widen:
            self._stretched_in = self.room()
            cw = self._stretched(cw, names, n_all, [text for text, _ in optimizer])
        self.cw = cw

        def number(x: float | None, key: Key | None, fmt: str | None) -> Run:
            if x is None:
                return ("·".rjust(cw - 1) + " ", "dim", key)
            if key is not None and key == hidden:
                return ("? ".rjust(cw), "pos", key)
            mark = key is not None and key[0] == produced
            dim = stale and key is not None and key[0] in ("s", "o", "delta")
            dot = key is not None and mark and changed is not None and bool(
                changed[key[2]] if key[3] is None else changed[key[2], key[3]])
            return (cell(float(x), digits, fmt).rjust(cw - 1) + ("•" if dot else " "),
                    self.number_style(float(x), dim, mark), key)

        def key_of(q: str, i: int, j: int) -> Key:
            """The lecture's key of entry (i, j) of W's or G's part as shown."""
            return (q, l, *lecture_index(views[q], (i, j)))

        def matrix(q: str, i: int, j: int) -> Run:
            """Entry (i, j) of W's or G's part as shown, with the lecture's key."""
            a = shown[q]
            return number(float(a[i, j]), key_of(q, i, j), formats.get(id(a)))

        def bias(q: str, unit: int) -> Run:
            name = "b" if q == "W" else "Gb"
            a = shown[name]
            return number(float(a[unit]), (q, l, *lecture_index(views[name], (unit,))), formats.get(id(a)))

        def vector(q: str, unit: int) -> Run:
            """Entry ``unit`` of s, δ, or o as shown (o's index in the lecture's o is past its 1 when the
            profile leaves the 1 out)."""
            v = vectors[q]
            index = lecture_index(o_view, (unit,))[0] if q == "o" else unit
            return number(None if v is None else float(v[index]), (q, l, index, None), formats.get(id(v)))

        kept_now: dict[tuple, tuple[Any, list]] = {}
        drawn_with = (cw, digits, hidden, m)

        def kept(q: str, source: Any, look: tuple, make: Any) -> list:
            """What ``make`` draws of quantity ``q`` from the array ``source`` (a part of its line, or its
            lines), kept while that array and its ``look`` (its part, place and widths) are the same: a step
            formats only the numbers it changed, not a big layer's every cell. A step's product is drawn
            with its ▶, • and highlight, and the step after draws it from that without them."""
            look = (q, *look, *drawn_with, stale and q in ("s", "o", "delta"))
            if q == produced:
                made = make()
                kept_now[("product", *look)] = (source, made)
                return made
            hit = self._kept.get(look)
            if hit is None or hit[0] is not source:
                was = self._kept.get(("product", *look))
                bright = self._kept.get((*look[:-1], False)) if look[-1] else None  # s, o or δ before an update dimmed it
                if was is not None and was[0] is source:
                    hit = (source, _unmarked(was[1]))
                elif bright is not None and bright[0] is source and isinstance(bright[1], list):
                    hit = (source, _dimmed(bright[1], hidden))
                else:
                    hit = (source, make())
            kept_now[look] = hit
            return hit[1]

        def heading(name: str, q: str, width: int, left: bool = True) -> Run:
            text = ("▶ " if produced is not None and q == produced else "") + name
            text = text.ljust(width) if left else text.rjust(width)
            return (text, "header+" if q == produced else "header", None)

        if p.vectors == "row":
            lines = self._rows(p, l, shown, names, optimizer, matrix, bias, vector, heading, number, cw, kept, vectors,
                               key_of)
        else:
            lines = self._columns(p, l, shown, names, optimizer, matrix, bias, vector, heading, number, cw, hidden_o,
                                  kept, vectors)
        self._kept = kept_now
        self.set_chunks(lines.chunks)

    def set_lines(self, lines: list[list[Run]]) -> None:
        self.set_chunks([[line] for line in lines])

    def set_chunks(self, chunks: list[list[list[Run]]]) -> None:
        """Show the lines of ``chunks`` (MapSheet.set_lines), each chunk measured once while it is the
        same list (a kept part's lines, the same from step to step: a 784-line W is not walked again),
        and the cells listed when the cursor or a reader asks for them."""
        measured: dict[int, tuple[list[list[Run]], list[list[tuple[int, Key]]], int]] = {}
        lines: list[list[Run]] = []
        at: list[list[tuple[int, Key]]] = []  # each line's cells as (x, key)
        width, fresh = 1, list[int]()
        for chunk in chunks:
            hit = self._measured.get(id(chunk))
            if hit is None or hit[0] is not chunk:
                if isinstance(chunk, Deferred):  # its cells listed when read, its lines when drawn
                    hit = (chunk, deferred_cells(chunk), chunk.width)
                else:
                    chunk[:], cells, most = _measured(chunk)
                    hit = (chunk, cells, most)
                fresh += range(len(lines), len(lines) + len(chunk))
            measured[id(chunk)] = hit
            lines += chunk.lines if isinstance(chunk, Deferred) else chunk
            at += hit[1]
            width = max(width, hit[2])
        if self.stretch and self._head:
            lines, at, fresh = self._spread(lines, at, fresh)
        self._measured, self._fresh, self._at = measured, fresh, at
        self.lines, self.cells = lines, None
        self.virtual_size = Size(width, len(lines))

    def _spread(self, lines: list, at: list, fresh: list[int]) -> tuple[list, list, list[int]]:
        """A big screen's tall panel: the rows under the heading (``_body``) spread evenly over the height
        the lines under them (G's band, an optimizer's state, as they are) leave, centred, by the lecture's
        rule (:func:`~.panel_base.spread`), blank lines between them (the cells' lines, the cursor's, a
        click's and the headings', are the lines as spread)."""
        head, body = self._head, min(self._body, len(lines) - self._head)
        rest = len(lines) - head - body
        pitch, lead = spread(body, self.room().height - head - rest)
        if pitch == 1 and lead == 0:
            return lines, at, fresh

        def place(y: int) -> int:
            """Line ``y``'s line once spread."""
            if y < head:
                return y
            if y < head + body:
                return head + lead + (y - head) * pitch
            return head + lead + (body - 1) * pitch + 1 + (y - head - body)

        out, where = lines[:head] + [[] for _ in range(lead)], at[:head] + [[] for _ in range(lead)]
        for y, (line, cells) in enumerate(zip(lines[head:], at[head:]), start=head):
            if len(out) < place(y):  # the blank lines between two rows
                where += [[] for _ in range(place(y) - len(out))]
                out += [[] for _ in range(place(y) - len(out))]
            out.append(line)
            where.append(cells)
        self.heading_lines = [place(y) for y in self.heading_lines]
        self.state_headings = [place(y) for y in self.state_headings]
        return out, where, [place(y) for y in fresh]

    def product_cells(self) -> list[tuple[int, int]]:
        """Only the lines measured anew can hold a step's product: a kept line never does (of a deferred
        part's lines, which all hold one quantity, the first and the last: where the product starts and ends)."""
        p, l, at, fresh = self._produced, self.l_index, self._at, self._fresh

        def inside(n: int) -> bool:  # a deferred part's line between two of its own
            parts = [getattr(at[fresh[m]], "part", None) for m in (n - 1, n, n + 1)]
            return parts[1] is not None and parts[0] is parts[1] is parts[2]

        ends = [y for n, y in enumerate(fresh) if not 0 < n < len(fresh) - 1 or not inside(n)]
        return [(y, x) for y in ends for x, key in at[y] if key[0] == p and key[1] == l]

    def _columns(self, p, l, shown, names, optimizer, matrix, bias, vector, heading, number, cw, hidden_o,
                 kept, boards) -> Lines:
        """A row per unit: W | b | s o δ | G | Gb (the bias in W's column 0: no b, and a first row
        with o's 1 in a hidden layer); G and Gb in a band of their own under the rows when the line
        does not fit the panel (as the lecture's panel puts G under W). A layer without weights
        (dropout): s o δ only."""
        sep, weighted = p.separate_bias, "W" in shown
        units = self.stepper.state.W[l].shape[0]
        n_all = shown["W"].shape[1] if weighted else 0
        widths = self._widths(cw, names)
        label = 6
        vectors = (("b",) if sep and weighted else ()) + ("s", "o", "delta")
        bar = 0 if sep else 1  # the │ after the bias column
        block = self._blocks(cw, names, n_all, n_all)
        self._full_width = self._full(cw, names, n_all)
        avail = self._content_width()
        group = arrangement(self) if avail else None  # G under W in every panel of the screen, or in none
        beside = not 0 < avail < self._full_width  # (G fits beside W in this panel)
        stacked = (group.under(self, not beside) if group is not None else not beside) and weighted
        n = n_all
        tight = False
        if stacked:  # W beside the vectors must fit: the columns that do not are hidden (+N…), the padding's
            # column given to them (as the lecture's panel does): none hidden beside a blank one
            fixed = label + 2 + sum(widths[q] for q in vectors) + bar
            n, tight = padded_columns(n_all, avail, lambda k: fixed + k * cw + len(_more(n_all - k)))
            avail += tight
            block = self._blocks(cw, names, n, n_all)
        self._columns_fit = stacked  # the columns shown follow the width (fit_size)
        own = self.own.columns

        def col_line(k: int) -> str:
            """The names of a matrix's first k columns (W's shown ones, or a part's under the rows), its +N…."""
            names = [(own[a] if own is not None else "bias" if a == 0 and not sep else f"k={p.unit(a + (1 if sep else 0))}"
                      ).rjust(cw) for a in range(k)]
            if not sep and weighted:
                names.insert(1, "│")
            return "".join(names) + _more(n_all - k)

        def pad(run: Run, width: int) -> Run:
            return (run[0].rjust(width), run[1], run[2])

        def room_after(q: str, k: int) -> Run:
            """The room after a matrix's first k columns: its hidden columns' (their +N… is on the heading's
            line, the part's block as wide as its name) and the gap after the block."""
            blocks = block if k == n else self._blocks(cw, names, k, n_all)
            return (" " * (blocks[q] - (k * cw + bar) + 2), "base", None)

        def row_of(q: str, i: int, k: int) -> list[Run]:
            out: list[Run] = []
            for j in range(k):
                out.append(matrix(q, i, j))
                if j == 0 and not sep:
                    out.append(("│", "bias", None))
            return out + [room_after(q, k)]

        parts: dict[Any, list] = {}  # q (a column), or (q, k): W's or G's first k columns

        def weights(q: str, i: int, k: int = n) -> list[Run]:
            """Row ``i`` of W's or G's part as shown, its first k columns (all its rows made, or kept, at once);
            none without weights."""
            if not weighted:
                return []
            if (q, k) not in parts:
                parts[q, k] = kept(q, shown[q], (q, k, self._blocks(cw, names, k, n_all)[q]),
                                   lambda: [row_of(q, r, k) for r in range(units)])
            return parts[q, k][i]

        def column(q: str, i: int) -> Run:
            """Entry ``i`` of b, ∂/∂b (``Gb``), s, o or δ as shown, padded to its column (the column's
            entries made, or kept, at once; o's with its 1 where the profile shows it)."""
            if q not in parts:
                if q in ("b", "Gb"):
                    of = "W" if q == "b" else "G"
                    parts[q] = kept(of, shown[q], (q, widths[q]),
                                    lambda: [pad(bias(of, r), widths[q]) for r in range(units)])
                else:
                    count = units + 1 if q == "o" and hidden_o and not sep else units
                    parts[q] = kept(q, boards[q], (q, widths[q]),
                                    lambda: [pad(vector(q, r), widths[q]) for r in range(count)])
            return parts[q][i]

        def gradient_head(lead: list[Run], k: int = n) -> list[Run]:
            return lead + [heading(names["G"], "G", self._blocks(cw, names, k, n_all)["G"] + 2)] + (
                [heading(names["Gb"], "G", widths["Gb"], left=False)] if sep else [])

        def gradients(i: int, k: int = n) -> list[Run]:
            return weights("G", i, k) + ([column("Gb", i)] if sep else [])

        def unit_label(i: int) -> Run:
            return (f"j={p.unit(i + 1)}".ljust(label), "header", None)

        head: list[Run] = [(" " * label, "header", None)]
        second: list[Run] = [("unit".ljust(label), "header", None)]
        if weighted:
            head.append(heading(names["W"], "W", block["W"] + 2))
            second.append((col_line(n).ljust(block["W"] + 2), "header", None))
        head += [heading(names[q], "W" if q == "b" else q, widths[q], left=False) for q in vectors]
        if not stacked and weighted:
            head = gradient_head(head + [("  ", "base", None)])
            second += [(" " * sum(widths[q] for q in vectors), "base", None), ("  " + col_line(n), "header", None)]
        lines = Lines(head, second)
        self.heading_lines, self.state_headings, self._head = [0], [], 2
        if hidden_o and not sep:  # o's 1, the lecture's unit 0
            lines.add([("j=0".ljust(label), "header", None), (" " * (block["W"] + 2), "base", None),
                       (" " * (widths["s"]), "base", None), column("o", 0)])
        first_row = lines.count  # (the line of unit 1's row)

        def unit_row(i: int) -> list[Run]:
            """Unit i's row, of the parts' runs (W's row, its entries of b, s, o, δ, G's row and Gb's)."""
            unit = i + 1 if hidden_o and not sep else i  # o's index in the lecture's o (past its 1)
            row: list[Run] = [unit_label(i), *weights("W", i)]
            if sep and weighted:
                row.append(column("b", i))
            for q in ("s", "o", "delta"):
                row.append(column(q, unit if q == "o" and not sep else i))
            return _trimmed(row if stacked or not weighted else row + [("  ", "base", None), *gradients(i)])

        lines.block(self._unit_rows(units, unit_row, parts, (stacked, n, cw, units)))
        self._body = lines.count - 2  # the rows spread on a big screen (what follows under them, as it is)
        # the parts under the rows, each as (its heading's lines, its rows, its width, whether it is G's band), with
        # k columns (W's n, or as many of their own as their line holds): G's band (its heading, its columns, a row
        # per unit), then momentum's v, adam's m and v (W's and b's parts); their rows made when first asked for
        Under = tuple[list[list[Run]], Any, int, bool]

        def band_width(k: int) -> int:
            return label + self._blocks(cw, names, k, n_all)["G"] + 2 + (widths["Gb"] if sep else 0)

        def state_width(text: str, k: int) -> int:
            return max(label + self._blocks(cw, names, k, n_all)["W"] + 2 + (widths["b"] if sep else 0), label + len(text))

        def band_part(k: int) -> Under:
            width = band_width(k)
            rows = lambda: kept("G", shown["G"], ("band", k, self._blocks(cw, names, k, n_all)["G"],
                                                 widths["Gb"] if sep else 0),
                                lambda: [[unit_label(i), *gradients(i, k)] for i in range(units)])
            return ([gradient_head([(" " * label, "header", None)], k),
                     [("unit".ljust(label), "header", None), (col_line(k), "header", None)]], rows, width, True)

        def state_part(text: str, array: Any, k: int) -> Under:
            """An optimizer's state with k columns: named (W's columns named at the top), and with columns of
            its own (k other than W's n) its columns' names under its name."""
            blocks = self._blocks(cw, names, k, n_all)

            def state_rows() -> Any:
                """Its rows, each made when first drawn or read (:class:`Deferred`: an update's new state under
                the rows, out of view, is not formatted) when every cell is ``cw`` wide, as its widest number
                (``_widest``) says: then each row is as wide as the last unit's label, k cells and a separate
                bias's; else made at once and measured."""
                state, fmt = p.weights_shown(array), self.formats_for(array)
                bias_of: Any = p.bias_shown(array) if sep else None

                def row(i: int) -> list[Run]:
                    out = [unit_label(i), *(number(float(state[i, j]), None, fmt) for j in range(k))]
                    if sep:
                        out += [room_after("W", k), pad(number(float(bias_of[i]), None, fmt), widths["b"])]
                    return out
                if max(3, self._widest(array, fmt)) > cw - 1:  # (a number wider than a cell: its row is wider)
                    return [row(i) for i in range(units)]
                width = len(unit_label(units - 1)[0]) + k * cw + (len(room_after("W", k)[0]) + widths["b"] if sep else 0)
                return Deferred(units, row, lambda i: [], width)
            width = state_width(text, k)
            heads: list[list[Run]] = [[(" " * label, "header", None), (text, "header", None)]]
            if k != n:
                heads.append([("unit".ljust(label), "header", None), (col_line(k), "header", None)])
            return heads, lambda: kept("", array, (text, k, blocks["W"]), state_rows), width, False

        def parts_under(k: int) -> list[Under]:
            return ([band_part(k)] if stacked else []) + [state_part(text, array, k) for text, array in optimizer]

        known_under: dict[int, list[int]] = {}

        def widths_under(k: int) -> list[int]:
            """The widths of ``parts_under(k)``, without making their headings (the search for the columns a
            line of them holds asks for many k, each worked out once a build)."""
            hit = known_under.get(k)
            if hit is None:
                hit = known_under[k] = ([band_width(k)] if stacked else []) + [state_width(text, k) for text, _ in optimizer]
            return hit

        under = parts_under(n)
        # side by side, as many to a line as the width holds, G's band first (under W): a narrow layer's
        # velocity beside its gradient, not under it past the bottom of its panel (as the lecture's panel)
        width = max((w for _, _, w, _ in under), default=0)
        rows = label + (block["W"] + 2 if weighted else 0) + sum(widths[q] for q in vectors) + (  # the rows' width
            2 + block["G"] + 2 + (widths["Gb"] if sep else 0) if weighted and not stacked else 0)
        first = 1 if stacked else 0
        left = self._place_beside(lines, first_row, units, under, width, avail, rows, first)
        per = parts_per_line(width, len(left), avail)
        moved = len(under) - len(left)  # (the states beside the rows keep W's columns, beside W's rows)
        self.per_line, self.under_widths = per, []
        combined: dict[tuple, tuple[tuple, list[list[Run]]]] = {}
        for g in range(0, len(left), per):
            at = [j if j < first else j + moved for j in range(g, min(g + per, len(left)))]  # (in parts_under's)
            together, wide = [left[j] for j in range(g, min(g + per, len(left)))], width
            if n < n_all:  # a line of parts under the rows as wide as it is: each as many of its own columns as
                # the line holds (the lecture's rule, panel_base.block_columns), its own headings and +k…, in the
                # padding's column too when that shows one more
                k, more = (block_columns(n, n_all, avail + extra, per, lambda k: max(widths_under(k)[j] for j in at))
                           for extra in (0, 0 if tight else 1))
                if more > k:
                    k, tight = more, True
                if k != n:
                    every = parts_under(k)
                    together = [every[j] for j in at]
                    wide = max(w for _, _, w, _ in together)
            self.under_widths += [wide] * len(together)
            (self.heading_lines if any(band for *_, band in together) else self.state_headings).append(lines.count + 1)
            heads = max(len(h) for h, _, _, _ in together)
            lines.add([], *(_beside([h[j] if j < len(h) else [] for h, _, _, _ in together], wide)
                            for j in range(heads)))
            parts_now = tuple(make() for _, make, _, _ in together)
            if len(parts_now) == 1:
                lines.block(parts_now[0])  # (the part as kept: measured once)
                continue
            key = (tuple(map(id, parts_now)), wide)
            hit = self._combined.get(key)  # kept while its parts are (measured once, as they are)
            if hit is None or any(a is not b for a, b in zip(hit[0], parts_now)):
                hit = (parts_now, [_beside([rows[i] for rows in parts_now], wide) for i in range(units)])
            combined[key] = hit
            lines.block(hit[1])
        under = left
        self.give_padding(tight)
        self._combined = combined
        self._columns_fit = stacked or len(under) > 1  # (the parts on a line follow the width too)
        return lines

    _kept_rows: tuple[tuple, tuple, Deferred] | None = None  # the rows as last made: (their look, their parts, the rows)

    def _unit_rows(self, units: int, unit_row: Any, parts: dict, look: tuple) -> Deferred:
        """The rows, a row per unit (column vectors), each made of the parts' runs when it is first drawn or read
        (:class:`Deferred`: a step that changes a panel out of view, or rows under its view, does not put them
        together, measure them and compare them with the rows before; the parts themselves are made, or kept,
        whole, with a step's marks and an update's dimming); the same rows, drawn again for no step, while
        their parts are the same lists. As wide as the first and the last unit's rows, which are the widest:
        every row holds the same cells, each as wide as its column (its number no wider than ``cw`` less
        its blank and its •), and a unit's label as wide as the last's."""
        ends = {0: unit_row(0)}  # (the parts the rows are made of, made or kept now)
        used = tuple(parts.values())
        kept = self._kept_rows
        if kept is not None and kept[0] == look and len(kept[1]) == len(used) and all(
                a is b for a, b in zip(kept[1], used)):
            return kept[2]
        ends[units - 1] = ends.get(units - 1) or unit_row(units - 1)
        width = max(sum(len(text) for text, _, _ in row) for row in ends.values())  # (trimmed rows)

        def cells(i: int) -> list[tuple[int, Key]]:
            return _measured([rows.line(i)])[1][0]
        rows = Deferred(units, unit_row, cells, width)
        rows._made.update(ends)  # (made already)
        self._kept_rows = (look, used, rows)
        return rows

    _tall: int | None = None  # the panel's lines with every part under its rows, when a part could stand beside them
    beside = 0  # the parts that stand beside the rows

    def _place_beside(self, lines: Lines, first_row: int, units: int, under: list, width: int, avail: int,
                      rows: int, first: int) -> list:
        """The parts under the rows (``under``, each ``width`` wide; the rows ``rows`` wide) that stand beside
        them instead, by the lecture's rule (:func:`~.panel_base.parts_beside`): when the panel's lines do not
        fit its height and the blank at the rows' right holds a part, an optimizer's state stands there, its
        heading on the heading line with W's and the vectors' names, each unit's beside the unit's row (the ``first`` parts, G's band, stay under
        W); the parts left under the rows."""
        self._tall, self.beside = None, 0
        k = parts_beside(rows, width, len(under), avail, first) if avail else 0
        if not k:
            return under
        per = parts_per_line(width, len(under), avail)
        tall = lines.count
        for g in range(0, len(under), per):
            tall += 1 + max(len(h) for h, _, _, _ in under[g:g + per]) + units
        self._tall = tall
        if tall <= self.room().height:
            return under
        self.beside = k
        made = lines.chunks[first_row]  # (the heading's lines a chunk each, then the rows')
        lines.chunks[first_row:first_row + 1] = [[list(row)] for row in made]  # (made now, to stand the parts beside)
        self._kept_rows = None
        section = [chunk[0] for chunk in lines.chunks[:first_row + units]]  # (a line a chunk, up to the parts)
        for i, (heads, part, _, _) in enumerate(under[first:first + k]):
            x = rows + 2 + i * (width + 2)
            places = list(enumerate(heads))  # its heading on the heading's lines, W's, b's and z's names' first
            # (an optimizer's state has one: the line of those names, not the one of W's columns under them)
            rows_of = part()  # (the part's rows, made now)
            places += [(first_row + u, rows_of[u]) for u in range(units)]
            for y, line in places:
                row = section[y]
                used = sum(len(text) for text, _, _ in row)
                row += [(" " * (x - used), "base", None), *line]
        return under[:first] + under[first + k:]

    def _rows(self, p, l, shown, names, optimizer, matrix, bias, vector, heading, number, cw, kept, boards, key_of
              ) -> Lines:
        """Row vectors: W shown D × C with a line per input k, then b, s, o, δ as lines of C, then
        G's part as W's and Gb (a layer without weights: s, o, δ). W's, G's and an optimizer's D lines are
        :class:`Deferred`: a step formats the ones on screen."""
        C_all = self.stepper.state.W[l].shape[0]
        D = shown["W"].shape[0] if "W" in shown else 0
        own = self.own.columns
        name_w = max(len(names[q]) for q in names) + 3
        label = name_w + 5
        avail = self._content_width()  # the units that do not fit are hidden (+N…), the padding's column given
        # to them (as the lecture's panel does): none hidden beside a blank one
        self._columns_fit = True  # (as many as fit the width the lines were built for: fit_size)
        C, tight = (C_all, False) if not avail else padded_columns(C_all, avail,
                                                                   lambda c: label + c * cw + len(_more(C_all - c)))
        avail += tight
        self.give_padding(tight)

        produced = self._produced  # as this board has it (a deferred line is made later)

        def lead(name: str, q: str, index: str = "") -> list[Run]:
            """A line's label: its part's name (with ▶ on a step's product), and its k."""
            text, style = ("▶ " if name and q == produced else "") + name, "header+" if q == produced else "header"
            return [(text.ljust(name_w), style, None), (index.ljust(5), style, None)]

        def k_label(k: int) -> str:
            return own[k] if own is not None else f"k={p.unit(k + 1)}"

        top: list[Run] = [(" " * label, "header", None)]
        lines = Lines(top + [(f"j={p.unit(c + 1)}".rjust(cw), "header", None) for c in range(C)]
                      + [(_more(C_all - C), "header", None)])
        self._head = 1
        gradient: list = []  # G's part and Gb's line, kept aside to stand beside an optimizer's state
        for q in ("W", "b", "s", "o", "delta", "G", "Gb"):
            if q not in names:
                continue
            if q in ("W", "G"):  # D lines each
                part = kept(q, shown[q], (q, C), lambda q=q: Deferred(
                    D, lambda k: lead(names[q] if k == 0 else "", q, k_label(k)) + [matrix(q, k, c) for c in range(C)],
                    lambda k: [(label + c * cw, key_of(q, k, c)) for c in range(C)], label + C * cw))
            elif q in ("b", "Gb"):
                of = "G" if q == "Gb" else "W"
                part = kept(of, shown[q], (q, C), lambda q=q, of=of: [lead(names[q], of)
                            + [bias(of, c) for c in range(C)]])
            else:
                part = kept(q, boards[q], (q, C), lambda q=q: [lead(names[q], q) + [vector(q, c) for c in range(C)]])
            if q in ("G", "Gb"):
                gradient.append(part)
            else:
                lines.block(part)
        self._body = lines.count - 1 + sum(len(part) for part in gradient)  # the parts' lines spread on a big
        # screen (an optimizer's state under them, as it is)

        def state_lines(array: Any) -> Any:
            state, fmt = p.weights_shown(array), self.formats_for(array)

            def line(k: int) -> list[Run]:
                if k == D:
                    return ([(f"{p.bias.text}".ljust(label), "header", None)]
                            + [number(float(p.bias_shown(array)[c]), None, fmt) for c in range(C)])
                return ([(" " * name_w + k_label(k).ljust(5), "header", None)]
                        + [number(float(state[k, c]), None, fmt) for c in range(C)])
            return Deferred(D + 1, line, lambda k: [], label + C * cw)

        states = [(text, kept("", array, (text, C), lambda array=array: state_lines(array)))
                  for text, array in optimizer]
        # G's part (dW's D lines and db's) and the optimizer's state (its D lines and b's) stand side by side, as
        # many to a line as the width holds, G first, as the parts under a panel's rows of column vectors do: a
        # narrow layer's velocity beside its gradient, not under it past the bottom of its panel
        width = max([label + C * cw] + [len(text) for text, _ in states])
        beside = len(gradient) == 2 and bool(states)  # (G's D lines and Gb's, as the states' D lines and b's)
        per = parts_per_line(width, len(states) + 1, avail) if beside and avail else 1
        self.under_widths, self.per_line = [width] * (len(states) + 1) if beside else [], per
        combined: dict[tuple, tuple[tuple, Any]] = {}

        def joined(parts: list, make: Any) -> Any:
            """Parts of D + 1 lines side by side (``make``: the Deferred of them), kept while its parts are (the
            same lines from step to step: they are measured and drawn again only when a part changed)."""
            key = (tuple(map(id, parts)), width)
            hit = self._combined.get(key)
            if hit is None or any(a is not b for a, b in zip(hit[0], parts)):
                hit = (tuple(parts), make())
            combined[key] = hit
            return hit[1]

        def side_by_side(parts: list, cells: Any) -> Deferred:
            return Deferred(D + 1, lambda k: _beside([part[k] for part in parts], width), cells,
                            (len(parts) - 1) * (width + 2) + label + C * cw)

        if per > 1:
            self._body = lines.count - 1  # (G's lines beside the state's stand as they are, under the rows spread)
            first = states[:per - 1]
            lines.add(_beside([[]] + [[(text, "header", None)] for text, _ in first], width))
            g_part, gb = gradient[0], gradient[1][0]
            gb_cells = _measured([gb])[1][0]
            lines.block(joined([g_part, gb, *(part for _, part in first)], lambda: side_by_side(
                [_Joined(g_part, gb), *(part for _, part in first)], lambda k: g_part.cells(k) if k < D else gb_cells)))
            rest = states[per - 1:]
        else:
            for part in gradient:
                lines.block(part)
            rest = states
        for g in range(0, len(rest), per):
            together = rest[g:g + per]
            lines.add([], _beside([[(text, "header", None)] for text, _ in together], width))
            parts = [part for _, part in together]
            lines.block(parts[0] if len(parts) == 1 else joined(parts, lambda: side_by_side(parts, lambda k: [])))
        self._combined = combined
        return lines

    def _content_width(self) -> int:
        """The content's width as the panel has it with its right padding (0 before a layout): the same whether
        or not it has given its padding's column to the numbers (``give_padding``). From the size the last
        layout gave the panel (``room``, as the lecture's panel reads it): Textual's
        ``scrollable_content_region`` looks the panel up in the compositor's map of every widget, which an
        update's scroll of the panels' column leaves to be built again (2.4 M instructions)."""
        width = self.room().width
        return width + self.styles.padding.right - 1 if width else 0

    def heading_starts(self) -> list[int]:
        """The headings, and an optimizer's state's under the rows: each names the rows under it."""
        return [*self.heading_lines, *self.state_headings]

    def formats_for(self, array: Any) -> str | None:
        """An optimizer's state: one format for the whole matrix (its parts read alike)."""
        from .view import number_format

        return number_format(array, self.digits)

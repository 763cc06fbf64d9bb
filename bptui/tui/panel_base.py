"""What every number panel shares (the dense :class:`~.sheet.LayerSheet`, the map
:class:`~.map_sheet.MapSheet`, the sequence :class:`~.seq_sheet.SeqSheet`): the look, the keys of
the cell cursor, focus and edit messages, one number format per matrix or vector, and the style of
a value that is not finite (∞, −∞, nan: bold, red, in reverse video, in every panel alike).

A panel draws with the Line API (``render_line``) and says which cell is under its cursor
(``cursor_cell``); the screen shows the board in every panel through one call, :meth:`show_board`.
"""

from __future__ import annotations

import re
from pickle import dumps as _dumps  # rich's own for a style's meta
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.style import _id_generator as _style_ids  # the ids from_meta gives a style's link
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Offset, Region, Size, Spacing
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.cache import FIFOCache
from textual.content import Content
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual._border import get_box
from textual._segment_tools import line_pad
from textual._styles_cache import StylesCache
from textual.strip import Strip
from textual.style import Style as TStyle

from . import messages
from .cells import one_cell_each
from . import filters as line_filters
from ..core.formulas.numformat import extent, format_of, widest, widest_of
from .guard import GuardedPump
from .view import Rows, cell, finite, number_format, runs

if TYPE_CHECKING:
    from typing_extensions import Self

PANEL_CSS = """
NAME {
    height: auto;
    max-height: HEIGHT;
    border: round $panel-lighten-2;
    border-title-color: $text;
    padding: 0 1;
    scrollbar-size: 1 1;
}
NAME:focus { border: round $accent; }
NAME > .sheet--header { color: $text-muted; text-style: bold; }
NAME > .sheet--pos { color: $text-primary; }
NAME > .sheet--neg { color: $text-error; }
NAME > .sheet--dim { color: $text-disabled; }
NAME > .sheet--produced { background: $accent 30%; text-style: bold; }
NAME > .sheet--bias { color: $text-accent; }
NAME > .sheet--cursor { background: $foreground; color: $background; text-style: bold; }
NAME > .sheet--nonfinite { color: $text-error; text-style: bold reverse; }
NAME > .sheet--field { background: $warning 40%; text-style: bold underline; }
"""


def panel_css(name: str, max_height: int | str, extra: str = "") -> str:
    """The look every number panel shares, for the widget ``name`` (``max_height``: rows, or a share of
    the panels' column such as ``"100%"``)."""
    return PANEL_CSS.replace("NAME", name).replace("HEIGHT", str(max_height)) + extra


NUMBER = re.compile(r"^\[?[−+-]?(\d[\d.]*(e[−+-]?\d+)?|∞|nan|\?)•?\]?$|^\+\d+…$|^›.*\d$|^▶?[a-zτ]=\d+$")
"""A run shown whole or not at all: a number as a cell draws it (``−0.1227``, ``1.0e−5•``, ``[0.0189]``
under the cursor, ``›0.5`` in a receptive field, ``∞``), an elision marker (``+3…``), a label (``b=12``)."""


def stretched(cw: int, avail: int, lines: Any) -> int:
    """The width of a panel's cells on a big screen: from ``cw`` up to twice it, the widest at which each
    of its ``lines``, given as (fixed columns, cells), still fits ``avail`` columns (every number panel that
    widens its cells to its room does so by this one rule)."""
    room = min(((avail - fixed) // cells for fixed, cells in lines if cells > 0), default=cw)
    return max(cw, min(2 * cw, room))


def shown_columns(n_all: int, avail: int, width: Any, least: int = 2) -> int:
    """How many of a matrix's ``n_all`` columns a panel shows in ``avail`` columns, where ``width(n)`` is
    its widest line with n of them shown (the ``+N…`` of the others included): all when they fit (the
    marker gone), else the most that fit, ``least`` at fewest. Every number panel that hides columns
    chooses them by this one rule, so that no column is hidden while the blank beside it would hold it."""
    if width(n_all) <= avail:
        return n_all
    lo, hi = min(least, n_all), n_all - 1  # a line widens with every column (a cell is wider than the marker's change)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if width(mid) <= avail else (lo, mid - 1)
    return lo


def block_columns(n: int, n_all: int, avail: int, per: int, width: Any) -> int:
    """The columns each block under a panel's rows shows (G under W, an optimizer's state; ``per`` of them
    side by side on a line, two blanks between; ``width(m)``: a block's width with m of its columns shown, its
    ``+k…`` included): W's ``n`` when W shows them all, else as many of its own as the line holds (G may show
    columns W hides, W sharing its line with s, o and δ), never fewer than W's. The lecture's panel and a
    profile's choose by this one rule (:func:`shown_columns`)."""
    if n >= n_all:
        return n
    return max(n, shown_columns(n_all, avail, lambda m: per * width(m) + 2 * (per - 1)))


def parts_per_line(width: int, count: int, avail: int) -> int:
    """How many of ``count`` parts ``width`` columns wide stand side by side on a line of ``avail`` columns,
    two blanks between them (one at least): what stands under a panel's rows (G under W, an optimizer's
    state), in every number panel alike (the lecture's, a profile's of column or of row vectors)."""
    per = max(1, count)
    while per > 1 and per * width + 2 * (per - 1) > avail:
        per -= 1
    return per


def parts_beside(rows: int, width: int, count: int, avail: int, first: int = 0, together: bool = True) -> int:
    """How many of the ``count`` parts under a panel's rows (each ``width`` columns wide: G's band, an
    optimizer's state) stand beside the rows themselves (``rows`` columns wide, two blanks after them), for
    a panel whose lines do not fit its height: as many as the blank at the rows' right holds, taken from
    the parts after the ``first`` ones (G's band stays under W), when that leaves fewer lines of parts
    under the rows (the others as :func:`parts_per_line` puts them: iris's layer 1 at 160×45, W | m over
    G | v); 0 when none fits or no line is saved. ``together`` False: the parts left under the rows stand
    one under the other (a sequence panel's at its foot, each a line of its own). Every number panel (the
    lecture's, a profile's, a sequence's) chooses by this one rule."""
    room, movable = avail - rows - 2, count - first
    if movable <= 0 or room < width:
        return 0
    k = min(movable, parts_per_line(width, movable, room))

    def lines(n: int) -> int:
        return -(-n // (parts_per_line(width, n, avail) if together else 1)) if n else 0

    return k if lines(count - k) < lines(count) else 0


def spread(rows: int, room: int) -> tuple[int, int]:
    """(lines per row, blank lines above the first) of ``rows`` rows on a tall panel of a big screen, in
    ``room`` lines: spread evenly over the height, centred (so that a layer's middle row lines up with the
    one of a layer beside it; every number panel that spreads its rows does so by this one rule)."""
    if rows <= 0 or room <= 0:
        return 1, 0
    pitch = max(1, room // rows)
    return pitch, max(0, (room - (rows - 1) * pitch - 1) // 2)


class Arrangement:
    """One screen's choice for its panels of a row per unit (the lecture's dense and block panels, a
    profile's): G beside W in every one of them, or under W in every one, the one the widest layer
    allows, so that a student's eye finds G at one place in every layer. Each panel says whether G
    fits beside W in its own room (``under``); G goes under W in all of them while it does not fit in
    one, and a panel whose arrangement that changes lays itself out again (``rearranged``)."""

    def __init__(self) -> None:
        self.wants: dict[int, tuple[Any, bool]] = {}  # id(panel) → (the panel, whether G does not fit beside W in it)

    def others(self, panel: Any) -> bool:
        """Whether G goes under W in another panel of the screen (what ``panel`` must follow)."""
        return any(under for p, under in self.wants.values() if p is not panel)

    def under(self, panel: Any, own: bool) -> bool:
        """``panel`` says whether G fits beside W in its room (``own``: it does not); the screen's choice
        for it. When the choice changes for the others, they lay themselves out again."""
        before = self.others(None)
        self.wants[id(panel)] = (panel, own)
        now = own or self.others(panel)
        if self.others(None) != before:
            for other, _ in self.wants.values():
                if other is not panel:
                    other.rearranged()
        return now

    def leave(self, panel: Any) -> None:
        """``panel`` leaves the screen (or the arrangement)."""
        self.wants.pop(id(panel), None)


def arrangement(panel: Any) -> Arrangement | None:
    """The arrangement of the screen ``panel`` stands on: its column's (``sheet.LayerPanels``), or None
    for a panel standing alone."""
    found = getattr(panel.parent, "arrangement", None)
    return found if isinstance(found, Arrangement) else None


def whole_cells(segments: list[Segment], x0: int, x1: int, base: Style) -> Strip:
    """The columns x0 … x1 of a line, where a number the edge of the view would cut is replaced by
    ``…`` (a number is shown whole or not at all: ``−0.30`` for −0.3011 reads as another value). The runs
    are measured by their texts' lengths, as :func:`crop_extend` cuts them (a character is a column in
    every text a panel draws), not cell by cell."""
    out: list[Segment] = []
    x = 0
    for seg in segments:
        end = x + len(seg.text)
        if not (end > x0 and x < x1 and (x < x0 or end > x1)):  # whole in view, or out of it
            out.append(seg)
            x = end
            continue
        for word in re.split(r"(\s+)", seg.text):  # the edge cuts this run: its words one by one
            w = len(word)
            if x < x1 and x + w > x0 and (x < x0 or x + w > x1) and NUMBER.match(word):
                at = x0 - x if x < x0 else x1 - 1 - x  # "…" on the visible side
                word = " " * at + "…" + " " * (w - at - 1)
            if word:
                out.append(Segment(word, seg.style))
            x += w
    return crop_extend(out, x0, x1, base)


def crop_extend(segments: list[Segment], x0: int, x1: int, base: Style | None) -> Strip:
    """``Strip(segments).crop_extend(x0, x1, base)`` for segments whose texts are a column a character
    (a panel's line: numbers, labels, bars, …), cut with string slices: Textual's crop measures every
    segment's cells again and makes a strip for the extension and one for the cut (half of a wide
    line's cost, one cut by the view's edge: count_tokens' W⁽³⁾ beside G⁽³⁾). The same segments,
    the same strip (``tests/test_layout.py``)."""
    length = sum(len(text) for text, _, _ in segments)
    if length < x1:  # extended with a blank in ``base`` as far as x1
        segments = [*segments, Segment(" " * (x1 - length), base)]
        length = x1
    start, end = max(0, x0), min(length, x1)
    if start == 0 and end == length:
        return LeanStrip(list(segments), length)
    if end <= start or start >= length:
        return LeanStrip([], 0)
    out: list[Segment] = []
    pos = 0
    at = iter(segments)
    seg: Segment | None = None
    for seg in at:  # the segment the view's left edge is in: its part from the edge
        stop = pos + len(seg.text)
        if stop > start:
            seg = Segment(seg.text[start - pos:], seg.style, seg.control)
            break
        pos = stop
    if end >= length:  # to the line's end: every segment after the left edge's (empty ones too, as Textual's)
        return LeanStrip([seg, *at] if seg is not None else list(at), end - start)
    pos = start
    while seg is not None:
        stop = pos + len(seg.text)
        if stop < end:
            out.append(seg)
        else:  # the segment the right edge is in: its part up to the edge
            out.append(Segment(seg.text[:end - pos], seg.style, seg.control))
            break
        pos = stop
        seg = next(at, None)
    return LeanStrip(out, end - start)


def marked_edges(segments: list[Segment], x0: int, x1: int, base: Style, mark: Style) -> Strip:
    """:func:`whole_cells`, with a ``…`` (in ``mark``) in the edge column past which the line goes on: a
    column scrolled out of view is never hidden without a mark. A blank stands between the mark and
    what the line shows (``−0.13…`` would read as a cut number), and a number the edge cuts is left
    out rather than marked a second time."""
    text = "".join(seg.text for seg in segments)
    left, right = bool(text[:x0].strip()), bool(text[x1:].strip())
    if not (left or right) or x1 - x0 < 6:
        return whole_cells(segments, x0, x1, base)
    a, b = x0 + left, x1 - right
    a += left and text[a:a + 1] not in ("", " ")
    b -= right and text[b - 1:b] not in ("", " ")
    inner = whole_cells(segments, a, b, base)
    shown = inner.text
    if a > x0 and shown.startswith("…"):
        inner, a = inner.crop(1, inner.cell_length), a + 1
    if b < x1 and shown.endswith("…"):
        inner, b = inner.crop(0, inner.cell_length - 1), b - 1
    out = list(inner)
    if a > x0:
        out.insert(0, Segment("…" + " " * (a - x0 - 1), mark))
    if b < x1:
        out.append(Segment(" " * (x1 - b - 1) + "…", mark))
    return LeanStrip(out, x1 - x0)


DIMMED = ("s", "o", "delta")
"""The quantities an update dims (the example's values, which the new weights no longer make)."""


def restyled(line: list, unmark: Any = (), dim: bool = False, keep: Any = None) -> list:
    """A kept line of runs (text, style name, cell key) in the styles a step gives it, its texts and cells as
    they were: the cells of the quantities in ``unmark`` lose the step's mark (``pos+`` → ``pos``: the ▶
    left their panel), and with ``dim`` the cells of s, o and δ are dimmed (an update). What a number
    panel draws afresh with the new look is the same line (``NumberSheet.number_style``: a cell's style
    is its value's sign, ``dim`` or ``nonfinite``, and ``+`` when marked), made without formatting its
    numbers again; ``keep``: the quiz's hidden cell, whose style no step changes. The line itself when
    no style changes."""
    out: list | None = None
    for i, run in enumerate(line):
        text, name, key = run
        new = name
        if key is not None and key != keep and name != "nonfinite":
            q = key[0]
            mark = name.endswith("+")
            base = name[:-1] if mark else name
            if q in unmark:
                mark = False
            if dim and q in DIMMED:
                base = "dim"
            new = base + "+" if mark else base
        if new != name and out is None:
            out = list(line[:i])
        if out is not None:
            out.append((text, new, key) if new != name else run)
    return line if out is None else out


class Deferred:
    """A part's lines, each made when it is first read (drawn on screen, or by a reader of ``lines``), its
    cells' places and its width known without it: a big W or G shown D × C (a profile's panel, cs231n's 784
    lines) or an optimizer's state under a sequence panel's grid (``seq_sheet``) formats the lines a step
    shows, not its every line. ``make(i)``: line i's runs; ``cells(i)``: its cells as (x, key); ``width``:
    the widest line's columns, as its runs make it (each panel's tests hold the two to each other)."""

    def __init__(self, count: int, make: Any, cells: Any, width: int) -> None:
        self.count, self._make, self.cells, self.width = count, make, cells, width
        self._made: dict[int, list] = {}
        self.lines = [DeferredLine(self, i) for i in range(count)]  # the same objects while the part is kept

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> list:
        return self.line(i)

    def line(self, i: int) -> list:
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = self._make(i)
        return made

    def mapped(self, change: Any) -> "Deferred":
        """The part with ``change`` made to each of its lines, line by line when read (a profile's panel:
        the step after its product draws it without the product's marks, ``profile_sheet._unmarked``)."""
        return Deferred(self.count, lambda i: change(self.line(i)), self.cells, self.width)


class DeferredLine:
    """Line ``i`` of a :class:`Deferred` part: its runs, made when read (equal only to itself, so that a
    kept part's lines are not drawn again)."""

    __slots__ = ("part", "i")

    def __init__(self, part: Deferred, i: int) -> None:
        self.part, self.i = part, i

    def __iter__(self) -> Any:
        return iter(self.part.line(self.i))

    def __getitem__(self, k: Any) -> Any:
        return self.part.line(self.i)[k]

    def __len__(self) -> int:
        return len(self.part.line(self.i))


class _LazyCells:
    """Line i's cells of a :class:`Deferred` part, worked out when read."""

    __slots__ = ("part", "i")

    def __init__(self, part: Deferred, i: int) -> None:
        self.part, self.i = part, i

    def __iter__(self) -> Any:
        return iter(self.part.cells(self.i))


def deferred_cells(part: Deferred) -> list:
    return [_LazyCells(part, i) for i in range(part.count)]


# (id(style), x, y) → (style, placed, whether the app's ANSI-to-truecolor filter keeps ``placed`` as it is)
_OFFSET_STYLES: dict[tuple[int, int, int], tuple[Style | None, Style, bool]] = {}
OFFSET_STYLES_KEPT = 1 << 16
_KEPT_STYLES: dict[int, tuple[Style | None, bool]] = {}  # id(style) → (style, the filter keeps it: filters.unchanged)


def kept_by_filter(style: Style | None) -> bool:
    """The app's ANSI-to-truecolor filter returns ``style`` as it is (``filters.unchanged``; None: it has no
    colour), judged once per style object (held, so that no other object takes its id while it is kept)."""
    hit = _KEPT_STYLES.get(id(style))
    if hit is None or hit[0] is not style:
        if len(_KEPT_STYLES) >= OFFSET_STYLES_KEPT:
            _KEPT_STYLES.clear()
        hit = _KEPT_STYLES[id(style)] = (style, style is None or line_filters.unchanged(style))
    return hit[1]


def _lazy_cache(name: str, size: int) -> property:
    """A :class:`LeanStrip`'s cache ``name`` (one of Textual's ``Strip`` slots), made when first read."""
    slot = Strip.__dict__[name]

    def get(self: Strip) -> FIFOCache:
        try:
            return slot.__get__(self, Strip)
        except AttributeError:
            cache: FIFOCache = FIFOCache(size)
            slot.__set__(self, cache)
            return cache

    def put(self: Strip, value: FIFOCache) -> None:
        slot.__set__(self, value)

    return property(get, put)


class LeanStrip(Strip):
    """Textual's ``Strip``, its seven caches (of its cuts, crops, styles, filters, …) each made when first
    used rather than with the strip: a Strip's making is 27.6 k instructions under callgrind, most of it
    the caches' (a line of a number panel makes two strips, its content and its content between the
    border's sides, and most are never cut, cropped or restyled). The same segments, the same methods."""

    __slots__ = ()
    _divide_cache = _lazy_cache("_divide_cache", 4)
    _crop_cache = _lazy_cache("_crop_cache", 16)
    _style_cache = _lazy_cache("_style_cache", 16)
    _filter_cache = _lazy_cache("_filter_cache", 4)
    _line_length_cache = _lazy_cache("_line_length_cache", 4)
    _crop_extend_cache = _lazy_cache("_crop_extend_cache", 4)
    _offsets_cache = _lazy_cache("_offsets_cache", 4)

    def __init__(self, segments: list[Segment], cell_length: int | None = None) -> None:
        self._segments = segments  # (a list made for the strip: every caller's is its own, not copied again)
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    def divide(self, cuts: Any) -> Any:
        """Textual's ``divide`` (the pieces between the cuts: the compositor's, where another widget's edge
        stands in the line, such as a panel's own scrollbar and the border after it), made by the texts'
        lengths when each of the line's characters is a cell (``cells.one_cell_each``) and the cuts go up from
        the line's start: Textual measures each segment's cells, and rich measures a new text of ``−``,
        ``•`` or ``⁽²⁾`` a character at a time (about 150 k instructions a panel's line). The pieces are
        LeanStrip pieces, kept as Textual keeps them; any other line or cut is Textual's."""
        length = self.cell_length
        cuts = [cut for cut in cuts if cut <= length]
        segments = self._segments
        if (cuts == [length] or not cuts or cuts[0] <= 0 or any(a >= b for a, b in zip(cuts, cuts[1:]))
                or any(map(_CONTROL, segments)) or not one_cell_each("".join(map(_TEXT, segments)))):
            return super().divide(cuts)
        key = tuple(cuts)
        cache = self._divide_cache
        strips = cache.get(key)
        if strips is not None:
            return strips
        strips = []
        piece: list[Segment] = []
        ends = iter(cuts)
        cut = next(ends)
        start = pos = 0  # the piece's first column, the next segment's
        for segment in segments:  # Segment.divide's steps, a segment's cells its characters
            text = segment[0]
            while text:
                end = pos + len(text)
                if end < cut:
                    piece.append(segment)
                    pos = end
                    break
                if end == cut:
                    piece.append(segment)
                    text = ""
                else:
                    at = cut - pos
                    style = segment[1]
                    piece.append(_segment(Segment, (text[:at], style, None)))
                    text = text[at:]
                    segment = _segment(Segment, (text, style, None))
                strips.append(LeanStrip(piece, cut - start))
                piece = []
                start = pos = cut
                cut = next(ends, -1)
                if cut < 0:
                    cache[key] = strips
                    return strips
        strips.append(LeanStrip(piece, cut - start))  # (the line ends before the cut: its last piece)
        cache[key] = strips
        return strips

    def apply_filter(self, filter: Any, background: Any) -> Strip:
        """Textual's ``apply_filter``, the filtered line a ``LeanStrip`` too (each line a panel draws goes
        through the app's filters: ``filters.TruecolorLines``)."""
        if type(filter) is line_filters.TruecolorLines and type(self) is KeptStrip:  # (the filter returns it as it is)
            return self
        cache = self._filter_cache
        filtered = cache.get((filter, background))
        if filtered is None:
            filtered = cache[filter, background] = LeanStrip(list(filter.apply(self._segments, background)),
                                                             self._cell_length)
        return filtered


class KeptStrip(LeanStrip):
    """A :class:`LeanStrip` with no control codes, each of whose styles the app's ANSI-to-truecolor filter
    returns as it is (``filters.TruecolorLines``, ``kept_by_filter``): the filter returns it as it is,
    without looking each style up. A line placed by :func:`offset_strip` has a new style for each new place
    (a panel scrolled into view: 30 new lines of about 14 places each, the filter's look-ups of them 3 M
    instructions); a place changes no colour, so its style's verdict is the placed style's."""

    __slots__ = ()


_TEXT, _CONTROL = itemgetter(0), itemgetter(2)  # a segment's text, its control codes
_segment = tuple.__new__
"""``_segment(Segment, (text, style, control))`` is ``Segment(text, style, control)`` (a NamedTuple's
``__new__`` is ``tuple.__new__`` of its fields), made without the Python call of the class's own ``__new__``
(about 3.6 k instructions a segment under callgrind, a line's segments made again for every line drawn)."""


def _meta_template() -> tuple[bytes, bytes]:
    """The pickle of ``{"offset": (x, y)}`` around its two numbers, for 0 ≤ x, y < 256 (each ``K`` and a
    byte, pickle's BININT1): what comes before them and after; two empty ones if this Python's pickle
    does not write them so (then every meta is pickled)."""
    made = _dumps({"offset": (1, 2)})
    head, sep, tail = made.partition(b"K\x01K\x02")
    if not sep or any(_dumps({"offset": (x, y)}) != head + bytes((75, x, 75, y)) + tail for x, y in ((0, 0), (255, 255))):
        return b"", b""
    return head, tail


_META_HEAD, _META_TAIL = _meta_template()


def offset_style(style: Style | None, x: int, y: int) -> Style:
    """``style + Style.from_meta({"offset": (x, y)})`` (what Textual's ``apply_offsets`` gives a segment at
    (x, y)), made in one step for a style without meta or link: the same fields as rich's ``Style._add``
    gives them, without the meta style made apart and the sum's pass through rich's cache of 1,024 sums,
    which a new place always misses (a panel scrolled onto lines not drawn yet: count_tokens' layer 2 at
    its first update, 238 new places of 420 segments, about 30 k instructions each; the canvas scrolled onto
    columns not drawn yet); its meta pickled from a template (``_meta_template``) where the numbers fit one
    byte each."""
    if style is None or style._null or style._meta is not None or style._link:
        meta = Style.from_meta({"offset": (x, y)})
        return style + meta if style else meta
    placed: Style = Style.__new__(Style)
    placed._ansi = None
    placed._style_definition = None
    placed._color = style._color
    placed._bgcolor = style._bgcolor
    placed._attributes = style._attributes
    placed._set_attributes = style._set_attributes
    placed._link = None
    placed._meta = _META_HEAD + bytes((75, x, 75, y)) + _META_TAIL if 0 <= x < 256 and 0 <= y < 256 and _META_HEAD \
        else _dumps({"offset": (x, y)})
    placed._link_id = f"{next(_style_ids)}{hash(placed._meta)}"
    placed._hash = None
    placed._null = False
    return placed


def with_offsets(strip: Strip, x: int, y: int) -> Strip:
    """``strip.apply_offsets(x, y)`` (:func:`offset_strip`)."""
    return offset_strip(strip, x, y, strip.cell_length)


def offset_strip(segments: Any, x: int, y: int, cell_length: int) -> Strip:
    """The strip of ``segments`` (``cell_length`` cells), each segment's style with the place of its first character
    (what Textual's text selection reads), where a style and a place are combined once (``offset_style``) and
    kept for every widget (Textual combines them again for every new line: a line a step draws again is
    mostly what it was, a box's border, an edge, a label, and combining them was half of its cost)."""
    styles = _OFFSET_STYLES
    if len(styles) >= OFFSET_STYLES_KEPT:
        styles.clear()
    kept_styles = _KEPT_STYLES
    out: list[Segment] = []
    kept = True  # every placed style one the app's filter keeps (a place changes no colour: its style's verdict)
    for text, style, _ in segments:
        # by the style's id, the style held in the entry (no other object takes its id while it is kept): a key
        # of ints is hashed in C, a Style by a Python method; the segment made as its class's __new__ makes it
        key = (id(style), x, y)
        hit = styles.get(key)
        if hit is None:
            judged = kept_styles.get(id(style))  # (kept_by_filter, looked up here: a call a new place is a third of it)
            hit = styles[key] = (style, offset_style(style, x, y),
                                 judged[1] if judged is not None and judged[0] is style else kept_by_filter(style))
        out.append(_segment(Segment, (text, hit[1], None)))
        kept = kept and hit[2]
        x += len(text)
    return (KeptStrip if kept else LeanStrip)(out, cell_length)


class LineWidths:
    """Mixin for a widget of the Line API: the widths its ``render_line`` cuts lines to, looked up once
    for each run of lines Textual asks for (``render_lines``) rather than once a line (``size`` looks
    the widget up in the compositor's map and takes its gutter off: a tenth of the diagram's lines'
    cost)."""

    _line_widths: tuple[int, int] | None = None  # (size's width, scrollable_content_region's), while lines are drawn

    def render_lines(self, crop: Region) -> list[Strip]:
        content = self.content_region  # type: ignore[attr-defined]
        self._line_widths = (content.width, content.shrink(self.scrollbar_gutter).width)  # type: ignore[attr-defined]
        try:
            return super().render_lines(crop)  # type: ignore[misc]
        finally:
            self._line_widths = None

    def line_widths(self) -> tuple[int, int]:
        """(the content's width, the width a scrollbar leaves): ``size.width`` and
        ``scrollable_content_region.width``."""
        widths = self._line_widths
        if widths is None:
            content = self.content_region  # type: ignore[attr-defined]
            widths = (content.width, content.shrink(self.scrollbar_gutter).width)  # type: ignore[attr-defined]
        return widths


class PanelLines(StylesCache):
    """Textual's styles cache of a number panel, whose lines of content between the border's sides are
    made from the panel's line, its padding and the sides' segments, worked out once for each run of lines
    Textual asks for (``render``) rather than once a line: Textual's ``render_line`` looks the border,
    the outline and the gutter up and combines the sides' colours and styles for every line (as much as
    making the panel's own line). A line of the border's top or bottom, of padding above or below, or of a
    panel with an outline, a hatch, a tint or an opacity is Textual's."""

    _sides: tuple | None = None  # while a run of lines is drawn: what every line of content is made with

    def render(self, styles: Any, size: Size, base_background: Any, background: Any, render_content_line: Any,
               *args: Any, **kwargs: Any) -> list[Strip]:
        self._sides = None
        (_, left_color), _, _, (_, right_color) = border = styles.border
        if (kwargs.get("opacity", 1.0) == 1.0 and not styles.tint.a and styles.text_opacity == 1.0
                and not any(edge for edge, _ in styles.outline) and not styles.has_rule("hatch")
                and border[1][0] and border[3][0] and kwargs.get("padding") is not None
                and kwargs.get("content_size") is not None):
            inner, outer = self.get_inner_outer(base_background, background)
            left = get_box(border[3][0], inner, outer, TStyle(foreground=base_background + left_color))[1][0]
            right = get_box(border[1][0], inner, outer, TStyle(foreground=base_background + right_color))[1][2]
            pad_top, pad_right, pad_bottom, pad_left = kwargs["padding"]
            top, bottom = styles.gutter.top, size.height - styles.gutter.bottom
            first = 1 if border[0][0] else 0
            last = size.height - (1 if border[2][0] else 0)
            inner_style = inner.rich_style
            # a line between the sides is kept by the app's filter as it is when its content is (``KeptStrip``)
            kept = (left.control is None and right.control is None and kept_by_filter(left.style)
                    and kept_by_filter(right.style) and kept_by_filter(inner_style))
            self._sides = (max(top, first), min(bottom, last), top, kwargs["content_size"], inner_style,
                           left, right, pad_left, pad_right, size.width, kept)
        try:
            return super().render(styles, size, base_background, background, render_content_line, *args, **kwargs)
        finally:
            self._sides = None

    def render_line(self, styles: Any, y: int, size: Size, content_size: Size, padding: Spacing,
                    base_background: Any, background: Any, render_content_line: Any, *args: Any) -> Strip:
        sides = self._sides
        if sides is None or not sides[0] <= y < sides[1]:
            return super().render_line(styles, y, size, content_size, padding, base_background, background,
                                       render_content_line, *args)
        _, _, top, (content_width, content_height), inner, left, right, pad_left, pad_right, width, kept = sides
        if y - top < content_height:
            line = render_content_line(y - top).adjust_cell_length(content_width, inner)
        else:
            line = Strip.blank(content_width, inner)
        made = KeptStrip if kept and type(line) is KeptStrip else LeanStrip
        return made([left, *line_pad(line, pad_left, pad_right, inner), right], width)


_BAR_LINES: FIFOCache = FIFOCache(256)  # a bar's key (bar_key) → its lines, as Textual draws them


def bar_key(bar: ScrollBar) -> tuple | None:
    """What a scrollbar's lines are made of: its renderer's class, the bar's length, the window's and
    the content's sizes, the thumb's place, the bar's style, the widget's own style and background and
    its size; or ``None`` for a bar whose lines only Textual's whole path draws (an outline, a border,
    padding, a tint, a hatch, an opacity, links, a selection, a renderer that is not a ``ScrollBarRender``
    of Textual's ``__rich_console__``)."""
    styles = bar.styles
    width, height = size = bar.region.size
    if (not width or not height or bar.BLANK or bar.auto_links or bar.text_selection is not None
            or bar.opacity != 1.0 or styles.tint.a or styles.text_opacity != 1.0
            or any(edge for edge, _ in styles.border) or any(edge for edge, _ in styles.outline)
            or styles.has_rule("hatch") or any(styles.padding) or styles.content_align != ("left", "top")
            or bar.content_region.size != size):
        return None
    renderer = bar.render()
    if (not isinstance(renderer, ScrollBarRender) or not isinstance(renderer.style, Style)
            or type(renderer).__rich_console__ is not ScrollBarRender.__rich_console__):
        return None
    base_background, background = bar.background_colors
    inner, _ = bar._styles_cache.get_inner_outer(base_background, background)
    return (type(renderer), renderer.vertical, renderer.virtual_size, renderer.window_size, renderer.position,
            renderer.thickness, renderer.style, bar.visual_style.rich_style, inner.rich_style, width, height)


def bar_lines(key: tuple) -> tuple[Strip, ...]:
    """A scrollbar's lines (``key``: :func:`bar_key`), each what Textual's path draws (the renderer's
    ``render_bar`` as its ``__rich_console__`` calls it, its segments in the widget's style, cut into
    lines of the widget's width, each line adjusted to the content's width in the background, blank
    lines below), without rich's console or Textual's per-line styles; a line's runs of one style in one
    segment (Textual's horizontal bar has a segment a cell), lines alike one strip. Kept per key."""
    lines = _BAR_LINES.get(key)
    if lines is not None:
        return lines
    renderer, vertical, virtual_size, window_size, position, thickness, style, base, inner, width, height = key
    bar = renderer.render_bar(
        size=height if vertical else width, virtual_size=virtual_size, window_size=window_size,
        position=position, thickness=width if vertical else height, vertical=vertical,
        back_color=style.bgcolor or Color.parse("#555555"), bar_color=style.color or Color.parse("bright_magenta"))
    # the renderer repeats one segment object along each part of the bar (the track before the thumb, the
    # thumb, the track after it): a run of one object is a segment of its text repeated (a vertical bar:
    # a line of it, repeated), in the widget's style under the segment's, as Textual's _Styled gives each
    rows: list[tuple[tuple[str, Any], ...]] = []
    row: list[tuple[str, Any]] = []
    for _, same in groupby(bar.segments, key=id):
        run = list(same)
        text, segment_style, _ = run[0]
        if bar.new_lines:  # a segment, then a line break
            rows += [((text, segment_style),)] * len(run)
        elif text == "\n":
            rows += [tuple(row)] + [()] * (len(run) - 1)
            row = []
        else:
            row.append((text * len(run), segment_style))
    if row:
        rows.append(tuple(row))
    made: dict[tuple, Strip] = {}
    strips: list[Strip] = []
    for cells in rows[:height]:
        strip = made.get(cells)
        if strip is None:
            line = Strip([Segment(text, base + segment_style if base else segment_style) for text, segment_style in cells])
            strip = made[cells] = Strip(line.adjust_cell_length(width, inner), width)
        strips.append(strip)
    if len(strips) < height:
        strips += [Strip(Strip.blank(width, base).adjust_cell_length(width, inner), width)] * (height - len(strips))
    lines = _BAR_LINES[key] = tuple(strips)
    return lines


class BarLines(StylesCache):
    """Textual's styles cache of a scrollbar (``LeanBars``: the number panels', the canvas's, the
    scrolling containers'): its lines are :func:`bar_lines`, made once per bar's key (:func:`bar_key`);
    a bar that moves or comes back to a place it had takes its lines from there. Textual's path renders
    the bar's Rich renderable through rich's console and looks the bar's styles up for each line
    (``benchmarks/keypress_speed.py``: a new 27-line bar 4.2 M instructions, a 115-wide one 3.6 M).
    A bar without a key (an outline, a tint, …) is drawn by Textual."""

    _lines: tuple[Size, tuple[Strip, ...]] | None = None  # the bar's size and its lines, until it is dirty

    def clear(self) -> None:
        self._lines = None
        super().clear()

    def render_widget(self, widget: Any, crop: Region) -> list[Strip]:
        # the bar's key is looked up again when Textual's own cache would draw a line again: a line set
        # dirty (a refresh: the bar moved, its colours changed, …), the cache cleared, a new size
        size = widget.region.size
        drawn = self._lines
        if drawn is None or self._dirty_lines or drawn[0] != size:
            key = bar_key(widget)
            if key is None or not size.region.contains_region(crop):
                self._lines = None
                return super().render_widget(widget, crop)
            drawn = self._lines = (size, bar_lines(key))
            self._dirty_lines.clear()
        elif not size.region.contains_region(crop):
            return super().render_widget(widget, crop)
        lines = drawn[1][crop.y:crop.bottom]
        filters = widget.get_line_filters()
        if filters:
            background = widget.background_colors[1]
            for line_filter in filters:
                lines = tuple(strip.apply_filter(line_filter, background) for strip in lines)
        if crop.column_span != (0, size.width):
            x1, x2 = crop.column_span
            return [strip.crop(x1, x2) for strip in lines]
        return list(lines)


def laid_out_dirty(widget: Any, regions: tuple[Region, ...], textuals: Any) -> None:
    """Textual's ``Widget._set_dirty`` (``textuals``, the widget's own), but for the whole widget with the
    content's size worked out from the size the last layout gave it (``outer_size`` less its gutter) rather
    than ``size``, which looks a widget out of view up in the compositor's map of every widget: after a
    scroll that map is rebuilt for it (a few million instructions), and a step marks the panels out of view
    and their scrollbars dirty too. The styles cache is cleared (every line drawn again) either way."""
    if regions:
        textuals(*regions)
        return
    widget._dirty_regions.clear()
    widget._repaint_regions.clear()
    widget._styles_cache.clear()
    width, height = outer_size = widget.outer_size
    gutter = widget.styles.gutter
    widget._styles_cache.set_dirty(Region(0, 0, max(0, width - gutter.width), max(0, height - gutter.height)))
    widget._dirty_regions.add(outer_size.region)
    if outer_size:
        widget._repaint_regions.add(outer_size.region)


def _lean_bar(bar: ScrollBar) -> ScrollBar:
    """A scrollbar, drawing its lines through :class:`BarLines` and marked dirty by :func:`laid_out_dirty`
    (both set once, when Textual made it)."""
    if type(bar._styles_cache) is StylesCache:
        bar._styles_cache = BarLines()
        textuals = bar._set_dirty
        bar._set_dirty = lambda *regions: laid_out_dirty(bar, regions, textuals)  # type: ignore[method-assign]
    return bar


class LeanBars:
    """A scrolling widget whose scrollbars draw their lines through :class:`BarLines` (put before
    Textual's widget class among the bases)."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's bar, its lines drawn through :class:`BarLines`."""
        return _lean_bar(super().vertical_scrollbar)  # type: ignore[misc]

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        """Textual's bar, its lines drawn through :class:`BarLines`."""
        return _lean_bar(super().horizontal_scrollbar)  # type: ignore[misc]


class OneLayout:
    """A widget whose new virtual size after a layout pass does not ask for another (put before Textual's
    widget class among the bases). Textual's ``virtual_size`` is a reactive with ``layout=True``, so
    that every widget whose content changed size asks for a second pass over the whole screen, which
    arranges everything as the first did: the arrangement does not depend on a widget's virtual size, a
    scrolling widget's bars follow it in ``_scroll_update`` (run either way), and their showing or
    hiding asks for its own layout (``show_vertical_scrollbar``)."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class LeanScroll(OneLayout, LeanBars, VerticalScroll):
    """Textual's ``VerticalScroll``, its scrollbars' lines drawn through :class:`BarLines` (the panels'
    column, the equation's box, the help's and the settings' bodies)."""


_BORDER_TEXTS: dict[str, Content] = {}  # a border's markup → its Content (``border_content``)


def border_content(markup: str) -> Content:
    """A border title's (or subtitle's) Content as Textual's setter makes it from ``markup``, parsed once
    per text: a Content is never changed in place, and the setter takes a Content as it is."""
    hit = _BORDER_TEXTS.get(markup)
    if hit is None:
        if len(_BORDER_TEXTS) >= 512:  # (the titles a run of steps shows again: τ's, a layer's; bounded)
            _BORDER_TEXTS.clear()
        hit = _BORDER_TEXTS[markup] = Content.from_markup(markup).expand_tabs(4).split()[0]
    return hit


class NumberSheet(LineWidths, LeanBars, GuardedPump, ScrollView, can_focus=True):
    """The base of the number panels (see the module's docstring)."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Cell ↑", show=False),
        Binding("down", "move(1, 0)", "Cell ↓", show=False),
        Binding("left", "move(0, -1)", "Cell ←", show=False),
        Binding("right", "move(0, 1)", "Cell →", show=False),
        # not in the footer: first there, it pushed ? and q off it (the side panel of a W cell and the help say Enter)
        Binding("enter", "edit", "Edit weight", show=False, tooltip="Type a new value for the W cell under the cursor"),
    ]
    COMPONENT_CLASSES = {
        "sheet--header", "sheet--pos", "sheet--neg", "sheet--dim", "sheet--produced", "sheet--bias",
        "sheet--cursor", "sheet--nonfinite", "sheet--field",
    }
    STYLES: ClassVar[tuple[str, ...]] = ("header", "pos", "neg", "dim", "bias", "nonfinite")
    FOLLOWS_CURSOR: ClassVar[bool] = False
    """The panel highlights what the cell under the cursor reads (the screen redraws on a move)."""

    digits: reactive[int] = reactive(4, init=False)
    """Significant decimals of every number; follows the screen's ``digits`` (``data_bind``)."""

    def __init__(self, digits: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._styles_cache = PanelLines()
        self.set_reactive(NumberSheet.digits, digits)
        self._styles: dict[str, Style] | None = None
        self._known_formats: dict[int, tuple[Any, str]] = {}  # id(array) → (array, its format)
        self._known_digits = digits
        self._texts: dict[tuple[float, str | None], str] = {}  # (value, format) → its cell, at these digits
        self._texts_digits = digits  # the digits ``_texts`` are at (``digits`` as a plain attribute: read per cell)
        self._known_widest: dict[int, tuple[Any, str | None, int, int]] = {}  # id(array) → (array, format, digits, widest)
        self._known_extents: dict[int, tuple[Any, tuple[float, float, float] | None]] = {}  # id(array) → (array, extent)

    # -- what the screen calls ---------------------------------------------------------------------------
    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list["NumberSheet"]:  # pragma: no cover
        """The panels of ``layers`` (a run of layers of this panel's family, bottom up)."""
        raise NotImplementedError

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:  # pragma: no cover
        """Show the stepper's board (``hidden``: the quiz's cell, drawn ``?``; ``field``: the cells the
        cursor's cell reads, highlighted)."""
        raise NotImplementedError

    def min_width(self) -> int:  # pragma: no cover - per panel
        """The narrowest this panel should be (borders and padding included)."""
        raise NotImplementedError

    stretch = False  # big screens: the cells widen and the rows spread to fill the panel (sheet.arrange_panels)
    widen = False  # the cells widen to the panel's width (a big screen's, side by side or one under the other)

    def natural_width(self, narrowest: bool = False) -> int | None:
        """The width this panel needs with every column shown, its cells not widened (borders and padding
        included), or None: a panel that does not stand beside the others on a big screen; ``narrowest``:
        with cells as narrow as the digits allow (``cell_width``), whatever its numbers need."""
        return None

    def widened(self) -> None:
        """The width this panel's numbers need changed (a number of e−5 came, or went): the screen chooses
        how its panels stand again (``sheet.LayerPanels.rearrange``: side by side on a big screen only when
        each fits beside the others with G beside W). Called when the widest cell's width changes, not at
        every step."""
        rearrange = getattr(self.parent, "rearrange", None)
        if rearrange is not None:
            rearrange()

    def rearranged(self) -> None:
        """The screen's :class:`Arrangement` changed for this panel: lay it out again (a panel that has one)."""

    def on_unmount(self) -> None:
        group = arrangement(self)
        if group is not None:
            group.leave(self)

    def set_stretch(self, stretch: bool, widen: bool | None = None) -> None:
        """Fill the panel (a big screen's, ``stretch``: its cells widened and its rows spread) or not;
        ``widen``: its cells widened only (a big screen's panels one under the other; as ``stretch`` when
        not given). Lay the panel out again when that changes."""
        widen = stretch if widen is None else widen or stretch
        if (self.stretch, self.widen) != (stretch, widen):
            self.stretch, self.widen = stretch, widen
            self.restretched()

    def restretched(self) -> None:  # pragma: no cover - per panel that stretches
        """Lay the panel out again for a new ``stretch``."""

    def retitle(self, title: str | None, subtitle: str | None = None) -> None:
        """Set the border's title and subtitle, drawing again only the border's top and bottom lines
        (Textual's setters draw the whole panel again: a panel whose title names the step, such as
        a sequence's ``now τ = 3``, would be drawn whole at every step). Only the one that changed is
        set, from its markup parsed once per text (``border_content``): a step that moves τ retitles
        every sequence panel of the screen, and Textual's setter parses the markup each time."""
        self._retitling = True
        try:
            title_content = None if title is None else border_content(title)
            if self._border_title is not title_content:
                self.border_title = title_content
            subtitle_content = None if subtitle is None else border_content(subtitle)
            if self._border_subtitle is not subtitle_content:
                self.border_subtitle = subtitle_content
        finally:
            self._retitling = False

    _retitling = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if self._retitling and not (regions or layout or recompose) and self.is_mounted:
            (x, y), (width, height) = self.content_offset, self.outer_size
            regions = (Region(-x, -y, width, 1), Region(-x, height - 1 - y, width, 1))
        if layout and not (regions or recompose) and self._box_kept():
            # the lines' extent changed, not the panel's box: its scrollbars follow the new extent (a
            # layout after all if one comes or goes), and the panel is drawn again
            self._rebarring = True
            try:
                self._scroll_update(self.virtual_size)
            finally:
                self._rebarring = False
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    _rebarring = False  # the scrollbars are being updated for a new extent: their layouts are real

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # A scroll of the panels' column that brings the panel into view (Textual's reflow_visible:
        # ``layout`` False) at the size the last layout gave it changes nothing of the panel: its
        # scrollbars already follow its lines' extent (``refresh``). Textual's ScrollView compares the
        # compositor's virtual size (its content region's) with the panel's own lines' extent, which
        # always differ, and draws the scrollbars again, in a second frame after the scroll's.
        if not layout and size == self._size and container_size == self.container_size:
            return False
        return super()._size_updated(size, virtual_size, container_size, layout)

    def _box_kept(self) -> bool:
        """A new extent of the lines (``virtual_size``) leaves the panel's box as the last layout made
        it, so that a layout of the screen (all of it drawn again: 13–19 ms on count_tokens when the
        attention panel's scores came, `benchmarks/keypress_speed.py`) is not needed. Its width is
        never its lines' (no ``width: auto``), and its height (``height: auto``, up to its
        ``max-height``) is the same: its ``max-height`` before and after, as its lines overflowed it
        and still do (its vertical scrollbar shows), or its lines' before and after, as they are as
        many as the rows the last layout gave them (no vertical scrollbar; a horizontal one's row
        aside: a sequence panel whose cells widen). Anything else (a panel of another height, such
        as a big screen's panels side by side, whose arrangement is chosen after a layout), or
        before the first layout, lays the screen out."""
        if self._rebarring or not self.is_mounted:
            return False
        styles = self.styles
        if (styles.width is not None and styles.width.is_auto) or not (styles.height and styles.height.is_auto):
            return False
        height, lines = self.container_size.height, self.virtual_size.height
        if not height:
            return False
        if self.show_vertical_scrollbar:
            return lines > height
        return lines == height - (self.scrollbar_size_horizontal if self.show_horizontal_scrollbar else 0)

    def home(self) -> None:
        """The cursor back on the first cell, as after a reset."""
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def cursor_cell(self) -> tuple | None:  # pragma: no cover - per panel
        """(quantity, layer, index, column) of the cell under the cursor; None without focus."""
        raise NotImplementedError

    def focus_cell(self) -> tuple | None:
        """The cell under the cursor, whether or not the panel has focus yet."""
        raise NotImplementedError  # pragma: no cover

    def part_ends(self) -> list[int] | None:
        """The line after each of the panel's parts, top down: its heading and rows first (what a forward or
        backward step writes), then each line of the parts under them (G's band, an optimizer's state), the
        last its height; what the column shows of each panel, level by level, when it does not hold every
        panel whole (``sheet.shared_by_parts``). None: one part (the panel keeps its own height there)."""
        return None

    tight = False
    """The panel gave its right padding's column to its numbers (``give_padding``)."""

    def give_padding(self, tight: bool) -> None:
        """``tight``: the panel's columns of numbers do not all fit (``+3…``); it gives them its right
        padding's column, so that no column is hidden while a blank one is left beside it (the last
        cell's own blank keeps its numbers off the border). Set as the panel's own padding, not by a CSS
        class: a class applies the stylesheet to the panel again, and its palette with it (deep_residual
        with the map open: a backward step onto a layer made its palette again, 3.5 M instructions, and
        the first update those of the panels out of view)."""
        if self.tight != tight:
            self.tight = tight
            self.styles.padding = (0, 0, 0, 1) if tight else None  # (None: the panel's CSS padding, 0 1)

    def room(self, scrollbars: bool = True) -> Size:
        """The size of the panel's content area, less its scrollbars' (``scrollable_content_region``),
        or with them (``size``), worked out from the size the last layout gave the panel. Textual's
        properties look a panel scrolled out of view up in the compositor's map of every widget,
        and rebuilding that map after a scroll makes the next frame repaint the whole screen
        (``benchmarks/keypress_speed.py``): a step shows its board in panels out of view too."""
        gutter = self.gutter if scrollbars else self.styles.gutter
        width, height = self.outer_size
        return Size(max(0, width - gutter.width), max(0, height - gutter.height))

    def refresh_lines(self, y_start: int, line_count: int = 1) -> None:
        """ScrollView's, its width from ``room`` (the size the last layout gave the panel), not ``size``,
        which looks a panel out of view up in the compositor's map of every widget: after a scroll
        (an update press scrolls the column to its layer) that map is rebuilt for it, a few million
        instructions, and a step draws its board again in panels out of view too."""
        width = max(self.virtual_size.width, self.room(scrollbars=False).width)
        self.refresh(Region(0, y_start - self.scroll_offset.y, width, line_count))

    def _set_dirty(self, *regions: Region) -> None:
        """Textual's, with the size the last layout gave the panel (:func:`laid_out_dirty`)."""
        laid_out_dirty(self, regions, super()._set_dirty)

    # -- the heading lines: in view while the rows scroll ------------------------------------------------
    def heading_spans(self) -> list[tuple[int, int]]:
        """Each run of heading lines, top down, as (its first line, how many): the lines that name the
        columns of the rows under them, up to the next run (a panel's own)."""
        return []

    _drawing: tuple[Offset, tuple[int, int]] | None = None  # while a run of lines is drawn: the scroll, ``pinned``

    def render_lines(self, crop: Region) -> list[Strip]:
        # the scroll offset and the pinned heading, worked out once for a run of lines rather than a few
        # times a line (``render_line``, ``content_row``: each a look-up of two reactives; count_tokens'
        # layer 2 scrolled into view, 27 lines, read them 210 times); nothing scrolls while lines are drawn
        self._drawing = (self.scroll_offset, self.pinned())
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    @property
    def scroll_offset(self) -> Offset:
        drawing = self._drawing
        return drawing[0] if drawing is not None else super().scroll_offset

    def pinned(self) -> tuple[int, int]:
        """(first line, count) of the heading lines drawn over the top of the view, or (0, 0): the heading
        of the rows in view, when the panel is scrolled past it (a panel taller than its room keeps
        its column names in view as its rows scroll, as a spreadsheet's frozen rows; the lines under
        them scroll sideways with the rows, so a name stays over its column). When the next heading
        would be half hidden under this one, it is the one drawn."""
        drawing = self._drawing
        if drawing is not None:
            return drawing[1]
        return self.pinned_at(self.scroll_offset.y)

    def pinned_at(self, top: int) -> tuple[int, int]:
        """:meth:`pinned` with the view's top at line ``top``."""
        if top <= 0:
            return (0, 0)
        spans = self.heading_spans()
        at = -1
        for i, (first, _) in enumerate(spans):
            if first > top:
                break
            at = i
        if at < 0 or spans[at][0] == top:  # none above the view, or it stands at the top where it is
            return (0, 0)
        first, count = spans[at]
        if at + 1 < len(spans) and spans[at + 1][0] < top + count:  # the next would be hidden under it
            first, count = spans[at + 1]
        return (first, count)

    def line_lead(self, y: int) -> tuple[str, bool]:
        """Line ``y``'s text before its first cell (a row's name, a heading's text), and whether it has a
        cell (a panel's own; none: every line a named row)."""
        return "x", True

    def is_heading(self, y: int) -> bool:
        """Whether line ``y`` is a heading: a line of text without a cell that starts a run of heading lines
        (``heading_spans``) or stands under a blank line (``m¹ (1st moment, t = 0)``), not a row of numbers
        the reader does not edit (an optimizer's state's)."""
        lead, cell = self.line_lead(y)
        if cell or not lead.strip():
            return False
        return y == 0 or any(first == y for first, _ in self.heading_spans()) or not self.line_lead(y - 1)[0].strip() \
            and not self.line_lead(y - 1)[1]

    def names_view(self, top: int, height: int) -> bool:
        """Whether the view with its top at line ``top`` names what it shows: under a heading pinned over it
        a row that heading names, with its own name at its left (not a blank line, another heading, or a
        matrix's or a group's later row whose name is out of view: ``  b=2``, ``     k=7``), and its last line
        not a heading whose rows are under the view (``m¹ (1st moment, t = 0)``)."""
        end = self.virtual_size.height
        count = self.pinned_at(top)[1]
        if top > 0 and count and top + count < end:
            y = top + count
            if self.line_lead(y)[0][:1].strip() == "" or self.is_heading(y) or any(
                    f < y < f + n for f, n in self.heading_spans()):  # (a heading's later line: its name hidden)
                return False
        bottom = top + height - 1
        if count + 1 < height and bottom + 1 < end and self.is_heading(bottom):
            return False
        return True

    def named_top(self, top: int, first: int, last: int, height: int) -> int:
        """``top``, or when the view there does not name what it shows (:meth:`names_view`) the nearest top that
        does with the lines ``first`` … ``last`` (what a step wrote) in view under its pinned heading, or their
        first when they are more than the room holds (parity's layer 1 at 80×24 pinned G⁽¹⁾'s heading over the
        blank under G's rows, the τ line and the rows of τ = 2 under it)."""
        if height <= 0 or self.names_view(top, height):
            return top
        most = max(0, self.virtual_size.height - height)
        whole = last < top + height

        def shows(t: int) -> bool:
            return t + self.pinned_at(t)[1] <= first and (last < t + height or not whole)

        for d in range(1, height):
            for t in (top - d, top + d):
                if 0 <= t <= most and shows(t) and self.names_view(t, height):
                    return t
        return top

    def content_row(self, y: int) -> int:
        """The panel's line drawn on line ``y`` of the view (a pinned heading's, or the scrolled rows')."""
        first, count = self.pinned()
        return first + y if y < count else self.scroll_offset.y + y

    def heading_room(self) -> Spacing:
        """What a pinned heading covers at the top of the view: a cell scrolled to is kept below it."""
        return Spacing(max((count for _, count in self.heading_spans()), default=0), 0, 0, 0)

    def refresh_rows(self, rows: list[int]) -> None:
        """Draw the panel's ``rows`` again where they are on screen: in place, and on the pinned heading
        when they are its lines (a step that lights a heading's ▶ while it is pinned)."""
        first, count = self.pinned()
        for a, b in runs(sorted(rows)):
            self.refresh_lines(a, b - a + 1)
        if count and any(first <= row < first + count for row in rows):
            self.refresh_lines(self.scroll_offset.y, count)

    # -- number formats: one per matrix or vector ---------------------------------------------------------
    def formats(self, arrays: Any) -> dict[int, str]:
        """The number format of each array (by id), so that a matrix never mixes ``0.47`` and ``6.9e−2``;
        an array unchanged since the last call keeps its format (a big W is not scanned again)."""
        known = self._known_formats if self._known_digits == self.digits else {}
        found: dict[int, tuple[Any, str]] = {}
        for a in arrays:
            if a is not None:
                entry = known.get(id(a))
                found[id(a)] = entry if entry is not None and entry[0] is a else (a, self._format(a))
        self._known_formats, self._known_digits = found, self.digits
        return {key: fmt for key, (_, fmt) in found.items()}

    def _format(self, array: Any) -> str:
        """An array's number format (``numformat.number_format``), from its extent (``_extent``); the
        loading screen's :class:`~.view.Rows` without NumPy."""
        if isinstance(array, Rows):
            return number_format(array, self.digits)
        return format_of(self._extent(array), self.digits)

    def _extent(self, array: Any) -> tuple[float, float, float] | None:
        """An array's ``numformat.extent``, worked out once per array for its format and its widest cell
        (a new 128 × 785 W was scanned twice, once for each, at each update)."""
        kept = self._known_extents
        hit = kept.get(id(array))
        if hit is None or hit[0] is not array:
            if len(kept) >= 64:
                kept.clear()
            hit = kept[id(array)] = (array, extent(array))
        return hit[1]

    def _widest(self, array: Any, fmt: str | None) -> int:
        """The widest cell of an array in its format (``numformat.widest``), kept while the array, its
        format and the digits are the same (a big W is not scanned again at every step); the loading
        screen's :class:`~.view.Rows` without NumPy."""
        known = self._known_widest
        digits = self.digits
        hit = known.get(id(array))
        if hit is None or hit[0] is not array or hit[1] != fmt or hit[2] != digits:
            if isinstance(array, Rows):
                most = max((len(cell(x, digits, fmt)) for x in array.values() if finite(x)), default=3)
            elif fmt is None:  # each number in its own format: one between the extent's ends may be the widest
                most = widest(array, digits, fmt)
            else:
                most = widest_of(self._extent(array), digits, fmt)
            hit = (array, fmt, digits, most)
            if len(known) >= 64:
                known.clear()
            known[id(array)] = hit
        return hit[3]

    TEXTS_KEPT: ClassVar[int] = 1 << 14
    """How many cells' texts a panel remembers (then it starts again): a step changes few of the
    numbers a panel formats, and a panel's lines are built again whole (``number_text``)."""

    def number_text(self, x: float, fmt: str | None = None) -> str:
        """``x`` as a cell shows it (the core's :func:`cell`), remembered by value and format until the
        digits change: a step changes few of the numbers a panel builds its lines from."""
        texts = self._texts
        text = texts.get((x, fmt))
        if text is None:
            if len(texts) >= self.TEXTS_KEPT:
                texts.clear()
            text = texts[x, fmt] = cell(x, self._texts_digits, fmt)
        return text

    def _watch_digits(self) -> None:
        self._texts, self._texts_digits = {}, self.digits  # (the subclasses' watch_digits lay the panel out again)

    @staticmethod
    def number_style(x: float, dim: bool = False, produced: bool = False) -> str:
        """The palette's name for a value's style: ∞, −∞ and nan in reverse video, whatever else."""
        if not finite(x):
            return "nonfinite"
        name = "dim" if dim else ("neg" if x < 0 else "pos")
        return name + "+" if produced else name

    # -- the look ----------------------------------------------------------------------------------------
    def _palette(self) -> dict[str, Style]:
        """The styles a line is drawn with, combined once per update rather than once per cell."""
        if self._styles is None:
            get = self.get_component_rich_style
            base = self.rich_style
            p = {name: base + get(f"sheet--{name}") for name in self.STYLES}
            hot = get("sheet--produced")
            for name in ("header", "pos", "neg", "dim"):
                p[f"{name}+"] = p[name] + hot
            p["nonfinite+"] = p["nonfinite"]
            p["base"] = base
            p["cursor"] = base + get("sheet--cursor")
            p["field"] = base + get("sheet--field")
            self._styles = p
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def on_mount(self) -> None:  # (Textual calls each class's handler along the MRO: a panel's own too)
        # the palette made once the panel's styles are applied, after the first frame, rather than in the
        # keypress that first scrolls the panel into view (count_tokens' layer 2 at its first update:
        # 5.2 M instructions of 59, ``benchmarks/keypress_speed.py``); a panel drawn in the first frame has it
        self.call_after_refresh(self._palette)

    # -- focus and edit: the screen decides what they mean ----------------------------------------------
    def on_focus(self) -> None:
        # runs before Widget._on_focus sets has_focus, so name the cell directly
        self.refresh()
        self.post_message(messages.CursorMoved(self.focus_cell()))
        # a step may have scrolled the panel off the cursor's cell (to the rows it wrote): the reader
        # who moves in sees the cell the explanation names, once the explanation's room is laid out
        self.call_after_refresh(self.scroll_to_cursor)

    def scroll_to_cursor(self) -> None:
        """The cursor's cell in view, below a pinned heading (a panel's own)."""

    def on_blur(self) -> None:
        self.refresh()
        self.post_message(messages.CursorMoved(None))

    def action_edit(self) -> None:
        if self.cursor_cell is not None:
            self.post_message(messages.EditRequested(self.cursor_cell))

    def cursor_moved(self) -> None:
        """The cursor moved: redraw, and tell the screen which cell it is on."""
        self.refresh()
        self.post_message(messages.CursorMoved(self.cursor_cell))

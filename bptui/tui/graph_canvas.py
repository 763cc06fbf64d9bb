"""A DAG of boxes on a scrollable character canvas, drawn with the Line API.

The layout (grandalf layers, our orthogonal routing) is computed once, when the canvas is made;
every step only hands the canvas new text for the boxes' lines and edge labels and says which node
and edges are hot, and the canvas redraws the lines on screen. Used for a graph file's computation
graph, a network's matrix-level computation graph and its neural-network diagram.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual._segment_tools import line_pad
from textual._styles_cache import StylesCache
from textual.cache import FIFOCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from . import messages
from .diagrams import COLD_ARROW, EDGE_GLYPHS, SHADES, CanvasNode, CanvasState, cells
from .fitting import Fits
from .guard import GuardedPump
from .panel_base import OFFSET_STYLES_KEPT, LeanBars, LineWidths
from .panel_base import offset_style as _offset_style
from .graph_layout import ARROW, LINE_CHARS, UP_ARROW, BoxSize, Layout, layout
from .view import runs

LOOKS_KEPT = 4  # looks kept of each item of a row (a step's hot edges and boxes come and go: two or three looks each)
MARK = "▶"  # before the name of the node the last step computed (visible without colour)
HOT = "•"  # after the line the last step wrote
# a unit's map: the decision map's colours (plots.py), low blue, middle grey, high orange
_LOW, _MID, _HIGH = (40, 90, 170), (235, 235, 235), (205, 110, 20)


@lru_cache(maxsize=None)
def _level_style(level: int) -> Style:
    """A map cell at ``level``: its colour behind, the shade glyph in a darker tone of it."""
    t = level / (len(SHADES) - 1)
    a, b, u = (_LOW, _MID, 2 * t) if t < 0.5 else (_MID, _HIGH, 2 * t - 1)
    r, g, bl = (round(x + (y - x) * u) for x, y in zip(a, b))
    return Style(color=Color.from_rgb(r // 2, g // 2, bl // 2), bgcolor=Color.from_rgb(r, g, bl))


def _extent(item: tuple) -> int:
    """The columns an item of a canvas row takes (see ``_rows``)."""
    kind = item[0]
    return len(item[2]) if kind == "run" else item[4] + 2 if kind == "text" else item[3]


# style → its place (x << 32 | y) → the style with_offsets gives a segment there: an int for a place, not a
# tuple (an object the collector tracks: each new place's, kept, brought the young collections sooner)
_PLACED: dict[Style | None, dict[Any, Style]] = {}
_placed_count = 0  # places kept, of every style


def _placed(text: str, style: Style | None, x: int, y: int) -> Segment:
    """``Segment(text, style)`` at column ``x`` of row ``y``, as ``with_offsets`` places it."""
    global _placed_count
    places = _PLACED.get(style)
    if places is None:
        places = _PLACED[style] = {}
    place = x << 32 | y if x >= 0 and 0 <= y < 1 << 32 else (x, y)
    placed = places.get(place)
    if placed is None:
        if _placed_count >= OFFSET_STYLES_KEPT:
            _PLACED.clear()
            _placed_count = 0
            places = _PLACED[style] = {}
        placed = places[place] = _offset_style(style, x, y)
        _placed_count += 1
    return _new(Segment, (text, placed, None))  # Segment(text, placed), without its __new__ in Python


_new = tuple.__new__

EDGE_TEXTS_KEPT = 1 << 12
_EDGE_TEXTS: dict[tuple[str, str, bool], str] = {}  # (an edge's run, its weight's glyph kind, hot) → the run drawn


def _cut(out: list[Segment], c: int, ox: int, lo: int, hi: int, y: int, text: str, style: Style | None,
         cells: int) -> tuple[int, int]:
    """Put a segment of a row's stream that starts at cell ``c`` into ``out``, a line of columns
    ``lo`` … ``hi``: what lies in them of it, cut as Strip.crop cuts, placed at ``ox`` (as
    with_offsets places it); the cell after it, and where the next segment out is placed."""
    end = c + cells
    if end <= lo:  # left of the window
        return end, ox
    if c < lo or end > hi:
        seg = Segment(text, style)
        if c < lo:
            seg = seg.split_cells(lo - c)[1]
        if end > hi:
            seg = seg.split_cells(hi - max(c, lo))[0]
        text = seg.text
    out.append(_placed(text, style, ox, y))
    return end, ox + len(text)


def _fit(text: str, width: int) -> str:
    """``text`` in ``width`` cells: padded, or cut with a … in its last cell."""
    n = cells(text)
    if n > width:
        return set_cell_size(text, width - 1) + "…"
    return text + " " * (width - n)


class CanvasLines(StylesCache):
    """Textual's styles cache of the canvas, whose lines of content are its own line padded at the
    sides, worked out once for each run of lines Textual asks for (``render``) rather than once a line:
    Textual's ``render_line`` looks up the border, the outline, the colours and the gutter and makes
    its closures for every line (about as much as a line made from kept items; a step that scrolls
    the canvas draws every line on screen). A line of a canvas with a border, an outline, a hatch, a
    tint or an opacity, or of padding above or below, is Textual's."""

    _plain: tuple | None = None  # while a run of lines is drawn: (first, end, top, content size, background, pads, width)

    def render(self, styles: Any, size: Size, base_background: Any, background: Any, render_content_line: Any,
               *args: Any, **kwargs: Any) -> list[Strip]:
        self._plain = None
        padding = kwargs.get("padding")
        content_size = kwargs.get("content_size")
        if (kwargs.get("opacity", 1.0) == 1.0 and not styles.tint.a and styles.text_opacity == 1.0
                and padding is not None and content_size is not None
                and not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
                and not styles.has_rule("hatch")):
            inner, _ = self.get_inner_outer(base_background, background)
            top = styles.gutter.top
            self._plain = (top, size.height - styles.gutter.bottom, content_size, inner.rich_style,
                           padding.left, padding.right, size.width, tuple(args[0]) if args else (), background)
        try:
            return super().render(styles, size, base_background, background, render_content_line, *args, **kwargs)
        finally:
            self._plain = None

    def render_line(self, styles: Any, y: int, size: Size, content_size: Size, padding: Any, base_background: Any,
                    background: Any, render_content_line: Any, *args: Any) -> Strip:
        plain = self._plain
        if plain is None or not plain[0] <= y < plain[1]:
            return super().render_line(styles, y, size, content_size, padding, base_background, background,
                                       render_content_line, *args)
        top, _, (content_width, content_height), inner, pad_left, pad_right, width, filters, background = plain
        if y - top < content_height:
            line = render_content_line(y - top).adjust_cell_length(content_width, inner)
        else:
            line = Strip.blank(content_width, inner)
        if pad_left or pad_right:
            strip = Piece(line_pad(line, pad_left, pad_right, inner), width, ("_filter_cache", "_crop_cache"))
        else:
            return Strip(list(line), width)
        # the line as the app's filters give it, when they give its own segments back: a CutLine,
        # which the compositor cuts at the scrollbar's column without measuring every segment
        segments = strip._segments
        for line_filter in filters:
            if line_filter.apply(segments, background) is not segments:
                return strip
        if filters:
            cut = CutLine(segments, width)
            for line_filter in filters:
                strip._filter_cache[line_filter, background] = cut
        return strip


class _KeepsNothing:
    """A strip's cache that keeps nothing: for a piece of a line the compositor cut for a frame."""

    __slots__ = ()

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def __len__(self) -> int:
        return 0

    def clear(self) -> None:
        pass


_KEEPS_NOTHING = _KeepsNothing()


_CACHES = {"_divide_cache": 4, "_crop_cache": 16, "_style_cache": 16, "_filter_cache": 4, "_line_length_cache": 4,
           "_crop_extend_cache": 4, "_offsets_cache": 4}  # a Strip's caches and their sizes (Textual's)


class Piece(Strip):
    """A strip of the canvas's lines with only the caches it is asked again through (``keep``): Textual's
    Strip makes seven (each a cache object and its dict), and a step that scrolls the canvas makes
    three or four strips of each line on screen, which live until the line is drawn again (the young
    collector's work grows with them). A cache left out keeps nothing: what is asked of it is made
    again. Without ``keep``: a piece the compositor cut for a frame (``CutLine.divide``), or the
    canvas's own line (its styles cache pads it once)."""

    __slots__ = ()

    def __init__(self, segments: list[Segment], cell_length: int, keep: tuple[str, ...] = ()) -> None:
        # (no super().__init__: the caches not kept are the point)
        self._segments = segments
        self._cell_length = cell_length
        self._divide_cache = self._crop_cache = self._style_cache = self._filter_cache = _KEEPS_NOTHING  # type: ignore[assignment]
        self._line_length_cache = self._crop_extend_cache = self._offsets_cache = _KEEPS_NOTHING  # type: ignore[assignment]
        for name in keep:
            setattr(self, name, FIFOCache(_CACHES[name]))
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None


class CutLine(Piece):
    """A canvas line between its paddings, whose cut into the part left of the vertical scrollbar, the
    column under it and the padding after it (the compositor's, each frame it is drawn) takes its
    segments as they are but the last of the content, cut by its last character when each of its
    characters is a cell: ``Strip.divide`` measures every segment (new texts a character at a time).
    Any other cut is Textual's."""

    __slots__ = ()

    def __init__(self, segments: list[Segment], cell_length: int) -> None:
        super().__init__(segments, cell_length, ("_divide_cache", "_crop_cache"))

    def divide(self, cuts: Any) -> Any:
        cuts = list(cuts)
        segments = self._segments
        width = self.cell_length
        if len(cuts) != 3 or cuts[2] != width or cuts[1] != width - 1 or cuts[0] != width - 2 or len(segments) < 3:
            return super().divide(cuts)
        key = tuple(cuts)
        cached = self._divide_cache.get(key)
        if cached is not None:
            return cached
        last, pad = segments[-2], segments[-1]
        text = last.text
        if last.control or pad.control or not text or len(pad.text) != 1 or cell_len(pad.text) != 1 \
                or cell_len(text) != len(text):
            return super().divide(cuts)
        if len(text) == 1:
            left = segments[:-2]
        else:
            left = segments[:-2]
            left.append(Segment(text[:-1], last.style))
        strips: list[Strip] = [Piece(left, width - 2), Piece([Segment(text[-1], last.style)], 1), Piece([pad], 1)]
        self._divide_cache[key] = strips
        return strips


class GraphCanvas(LineWidths, LeanBars, Fits, GuardedPump, ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "canvas--box", "canvas--name", "canvas--text", "canvas--current", "canvas--pending",
        "canvas--edge", "canvas--hot-edge", "canvas--hot-line", "canvas--label", "canvas--selected",
        "canvas--negative",
    }
    DEFAULT_CSS = """
    GraphCanvas { height: 1fr; padding: 0 1; scrollbar-size: 1 1; }
    GraphCanvas > .canvas--box { color: $text-muted; }
    GraphCanvas > .canvas--name { color: $text-accent; text-style: bold; }
    GraphCanvas > .canvas--text { color: $text; }
    GraphCanvas > .canvas--current { color: $accent; text-style: bold; }
    GraphCanvas > .canvas--pending { color: $text-disabled; }
    GraphCanvas > .canvas--edge { color: $text-muted; }
    GraphCanvas > .canvas--hot-edge { color: $accent; text-style: bold; }
    GraphCanvas > .canvas--hot-line { background: $accent 30%; text-style: bold; }
    GraphCanvas > .canvas--label { color: $text-primary; }
    GraphCanvas > .canvas--selected { color: $text-secondary; text-style: bold reverse; }
    GraphCanvas > .canvas--negative { color: $text-error; }
    """

    def __init__(self, nodes: list[CanvasNode], edges: list[tuple[str, str]], label_width: int = 0,
                 pinned: frozenset = frozenset(), stacked: frozenset = frozenset(), **kwargs) -> None:
        # canvas row → (the window it was drawn for: scroll x and width, the line drawn there), until
        # the row changes or the view scrolls sideways
        self._strips: dict[int, tuple[tuple[int, int], Strip]] = {}
        # canvas row → each item's kept look as the state and the cursor have it (None: not looked up yet),
        # until a step changes the row (as ``_strips``): a row drawn again for a scroll alone looks nothing up
        self._current: dict[int, list] = {}
        # (row, item's index) → its looks → its segments placed (_line); (row, x, x0) → the blank between two items
        self._items: dict[tuple[int, int], dict[tuple, tuple]] = {}
        self._gaps: dict[tuple[int, int, int], Segment] = {}
        self._palette: dict[tuple[str, ...], Style] = {}  # component classes → style (_style)
        super().__init__(**kwargs)
        self._styles_cache = CanvasLines()
        self.state = CanvasState({}, {})
        self.selected: str | None = None  # the node under the cursor: [name] in its title line
        self.set_diagram(nodes, edges, label_width, pinned, stacked)

    def set_diagram(self, nodes: list[CanvasNode], edges: list[tuple[str, str]], label_width: int = 0,
                    pinned: frozenset = frozenset(), stacked: frozenset = frozenset()) -> None:
        """Lay the graph out (once per graph, and again when the boxes change size)."""
        self.nodes = {n.id: n for n in nodes}
        self.edges = edges
        sizes = {n.id: BoxSize(n.width + (4 if n.round else 5), n.lines + 2, n.name is not None) for n in nodes}  # 5: room for •
        self.grid = layout(sizes, edges, label_width, pinned, stacked=stacked)
        self._rows = _rows(self.grid, self.nodes)
        self._extents = [[_extent(item) for item in items] for items in self._rows]  # each item's columns, once
        self._node_parts, self._edge_rows = _owners(self._rows)
        self._strips.clear()
        self._current.clear()
        self._items.clear()
        self._gaps.clear()
        self.virtual_size = Size(self.grid.width, self.grid.height)
        self.refresh(layout=True)

    def show(self, state: CanvasState) -> None:
        """Draw ``state``: only the rows whose parts it changes (a node's frame, its name, one of its
        lines; an edge) are drawn again."""
        old, self.state = self.state, state
        if old.weighted != state.weighted:
            self._strips.clear()
            self._current.clear()
            self.refresh()
        else:
            rows: set[int] = set()
            parts = self._node_parts
            for node in _changed_nodes(old, state):
                for part in _changed_parts(old, state, node, self.nodes[node].lines):
                    rows |= parts.get((node, part), set())
            for edge in _changed_edges(old, state):
                rows |= self._edge_rows.get(edge, set())
            for row in rows:
                self._strips.pop(row, None)
                self._current.pop(row, None)
            # one refresh for every run of rows on screen (each refresh clears the widget's caches), inside
            # the scrollbars (which a step leaves as they are: the compositor need not render them again, nor
            # the title above the canvas)
            y, (width, height) = self.scroll_offset.y, self.scrollable_content_region.size
            shown = [(max(first - y, 0), min(last - y, height - 1)) for first, last in runs(sorted(rows))]
            regions = [Region(0, a, width, b - a + 1) for a, b in shown if a <= b]
            if regions:
                self.refresh(*regions)
        self._follow()

    def select(self, node: str | None) -> None:
        """Mark ``node`` as the cursor's (None: no cursor): only a restyle, the layout stays."""
        self.selected = node
        self._strips.clear()
        self._current.clear()
        self.refresh()
        self._follow()

    def node_at(self, x: int, y: int) -> str | None:
        """The node whose box (or the name above it) covers canvas cell (x, y)."""
        for node_id, b in self.grid.boxes.items():
            if b.x <= x < b.x + b.w and b.y - 1 <= y < b.y + b.h:
                return node_id
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        node = self.node_at(int(offset.x + self.scroll_x), int(offset.y + self.scroll_y))
        if node is not None:
            self.post_message(messages.NodeClicked(node))

    def _follow(self) -> None:
        """Scroll the selected node, else the current one, into view (once the canvas has a size)."""
        node = self.selected if self.selected is not None else self.state.current
        if not self.size.width:
            return
        if node is not None:
            self.scroll_to_region(self.view_of(node), animate=False, immediate=True)
        elif self.grid.boxes:  # nothing computed yet: the inputs, where the first step starts
            first = min(b.rank for b in self.grid.boxes.values())
            boxes = sorted((b for b in self.grid.boxes.values() if b.rank == first), key=lambda b: b.y)
            inputs = Region.from_union([Region(b.x - 2, b.y - 1, b.w + 4, b.h + 2) for b in boxes])
            h = self.scrollable_content_region.height
            if inputs.height > h:  # the first of the biggest boxes (x₁, not the bias's 1) whole, what is above it
                x1 = max(boxes, key=lambda b: b.h)
                y = max(inputs.y, x1.y + x1.h + 1 - h)
            else:
                y = inputs.y + inputs.height // 2 - h // 2
            self.scroll_to(x=max(inputs.x, 0), y=max(y, 0), animate=False, immediate=True)

    def view_of(self, node: str) -> Region:
        """The part of the canvas to bring into view for ``node``: its box with the boxes the step
        reads from (the ends of its hot edges; else the edges into it) when they fit on screen
        together; else, across, the box at the edge with as much of those as fit beside it (to its
        left for inputs, to its right for a backward step's sources), and, down, the box alone."""
        boxes = self.grid.boxes
        b = boxes[node]
        own = Region(b.x - 2, b.y - 1, b.w + 4, b.h + 2)
        hot = [self.edges[i] for i in self.state.hot_edges if 0 <= i < len(self.edges)]
        ends = {n for edge in hot for n in edge} - {node} or {a for a, z in self.edges if z == node}
        near = [boxes[n] for n in ends if n in boxes]
        whole = Region.from_union([own] + [Region(i.x - 2, i.y - 1, i.w + 4, i.h + 2) for i in near])
        w, h = self.scrollable_content_region.size
        if whole.width <= w or own.width >= w:
            x, width = whole.x, whole.width
        elif sum(i.x for i in near) > len(near) * b.x:  # read from the right: the box at the left edge
            x, width = own.x, w
        else:  # read from the left: the box at the right edge
            x, width = own.right - w, w
        column = own.union(self._column(node))  # a time step: the boxes stacked over and under it
        if whole.height <= h:
            y, height = whole.y, whole.height
        else:
            y, height = (column.y, column.height) if column.height <= h else (own.y, own.height)
        return Region(max(x, 0), max(y, 0), width, height)

    def _column(self, node: str) -> Region:
        """The boxes joined to ``node`` by edges drawn up its column (the layers of one time step)."""
        pairs = [self.edges[i] for i in self.grid.up_arrows.values()]
        found, todo = {node}, [node]
        while todo:
            n = todo.pop()
            for u, v in pairs:
                for m in ((v,) if u == n else (u,) if v == n else ()):
                    if m not in found:
                        found.add(m)
                        todo.append(m)
        boxes = [self.grid.boxes[n] for n in found]
        return Region.from_union([Region(b.x - 2, b.y - 1, b.w + 4, b.h + 2) for b in boxes])

    def fit_size(self) -> None:
        self._follow()

    # -- drawing ----------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        base = self._style()
        width = self.line_widths()[0]
        if row >= len(self._rows):
            return Strip.blank(width, base)
        window = (scroll_x, width)
        drawn = self._strips.get(row)
        if drawn is None or drawn[0] != window:  # drawn again when a step changes the row or the view scrolls
            drawn = self._strips[row] = (window, self._line(row, scroll_x, width, base))
        return drawn[1]

    def _line(self, row: int, lo: int, width: int, base: Style) -> Strip:
        """Canvas row ``row`` in columns ``lo`` … ``lo + width``, as Textual draws a line: what
        ``with_offsets(Strip(segments).crop_extend(…), lo, row)`` makes of the row's ``_segments`` in
        the window, each item's segments made (``_item_segments``) and placed (``with_offsets``) once
        for each look it has had (``_look``; the last ``LOOKS_KEPT`` of them kept), so that a row a step
        draws again takes what it had of the items the step left alone, and of an edge or a box the
        step marks or leaves what it had the last time it looked so; each item's look looked up once
        after a step changes the row (``_current``), not again when the view scrolls."""
        hi = lo + width
        out: list[Segment] = []
        ox = lo  # where the next segment out is placed (with_offsets: lo and the lengths of those before it)
        c = x = lo  # the stream's cell, and where the next item starts (as _segments counts them)
        first = True
        items, gaps = self._items, self._gaps
        current = self._current.get(row)
        if current is None:
            current = self._current[row] = [None] * len(self._rows[row])
        for k, (item, extent) in enumerate(zip(self._rows[row], self._extents[row])):
            x0 = item[1]
            if x0 + extent <= lo:
                continue
            if x0 >= hi:
                break
            if first:
                first = False
                if x0 < lo:
                    c = x = x0
            if x0 > x:  # the blank between two items
                gap = gaps.get((row, x, x0))
                if gap is None:
                    gap = gaps[(row, x, x0)] = _placed(" " * (x0 - x), base, x, row)
                if c >= lo and c + x0 - x <= hi and ox == x:
                    out.append(gap)
                    ox += x0 - x
                    c += x0 - x
                else:
                    c, ox = _cut(out, c, ox, lo, hi, row, gap.text, base, x0 - x)
                if c >= hi:
                    break
            kept = current[k]
            if kept is None:  # its look, and what was made of it (a function call is a fifth of a new item's cost)
                look = self._look(item)
                looks = items.get((row, k))
                if looks is None:
                    looks = items[row, k] = {}
                kept = looks.get(look)
                if kept is None:
                    segs = self._item_segments(item, self._style)
                    placed, col, span = [], x0, 0
                    for seg in segs:
                        placed.append(_placed(seg.text, seg.style, col, row))
                        col += len(seg.text)
                        span += cells(seg.text)
                    if len(looks) >= LOOKS_KEPT:  # the look kept longest goes
                        del looks[next(iter(looks))]
                    kept = looks[look] = (placed, segs, span, col - x0)
                current[k] = kept
            placed, segs, span, length = kept
            # whole in the window, where it was placed (Strip.crop drops an empty segment at the window's start)
            if (c > lo or c == lo and segs[0].text) and c + span <= hi and ox == x0:
                out += placed
                ox += length
                c += span
            else:
                for seg in segs:
                    c, ox = _cut(out, c, ox, lo, hi, row, seg.text, seg.style, cells(seg.text))
                    if c >= hi:
                        break
            if c >= hi:
                break
            x = x0 + extent
        if c < hi:  # the row ends inside the window: blank to its edge (Strip.crop_extend's)
            _cut(out, c, ox, lo, hi, row, " " * (hi - c), base, hi - c)
        return Piece(out, width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._current.clear()
        self._items.clear()
        self._gaps.clear()
        self._palette.clear()

    def _style(self, *names: str) -> Style:
        """The widget's style with the named component classes' over it, combined once."""
        style = self._palette.get(names)
        if style is None:
            style = self.rich_style
            for name in names:
                style += self.get_component_rich_style(name)
            self._palette[names] = style
        return style

    def text_lines(self) -> list[str]:
        """The whole canvas as plain text (for tests and for reading)."""
        plain = Style()  # any names: no style
        return [Strip(self._segments(row, lambda *_: plain)[1]).text.rstrip() for row in range(len(self._rows))]

    def _segments(self, row: int, style, lo: int = 0, hi: int | None = None) -> tuple[int, list[Segment]]:
        """The segments of canvas row ``row`` that columns ``lo`` … ``hi`` show (all: the whole row), and
        the column they start at (``lo``, or the start of an item that reaches into it)."""
        segs: list[Segment] = []
        x = start = lo
        for item in self._rows[row]:
            x0 = item[1]
            if x0 + _extent(item) <= lo:
                continue
            if hi is not None and x0 >= hi:
                break
            if not segs and x0 < lo:
                x = start = x0
            if x0 > x:
                segs.append(Segment(" " * (x0 - x), style()))
            segs += self._item_segments(item, style)
            x = x0 + _extent(item)
        return start, segs

    def _look(self, item: tuple) -> tuple:
        """What of the state and the cursor an item of a row (see ``_rows``) is drawn from."""
        st = self.state
        kind = item[0]
        if kind == "run":
            owner = item[3]
            if owner[0] == "e":
                return st.weighted, st.edge_kinds.get(owner[1], "+"), owner[1] in st.hot_edges
            return owner[1] == st.current, owner[1] in st.pending
        if kind == "name":
            return item[2] == st.current, item[2] == self.selected
        if kind == "text":
            return _line_look(st, item[2], item[3]) + (item[2] in st.pending,)
        return st.labels.get(item[2], ""), st.edge_kinds.get(item[2]), item[2] in st.hot_edges

    def _item_segments(self, item: tuple, style) -> list[Segment]:
        """The segments of an item of a row (a box's border or an edge, a name, a text line, an edge's
        label), from its look (``_look``); ``style``: the style of component classes named. (A segment
        made as ``_new(Segment, (text, style, None))``: ``Segment(text, style)`` without the Python
        ``__new__`` of a named tuple, a third of its cost.)"""
        st = self.state
        kind = item[0]
        if kind == "run":  # box border or edge line, one owner
            text, owner = item[2], item[3]
            if owner[0] == "e" and st.weighted:  # the NN diagram: a weight's glyphs, ▷ unless hot
                key = (text, st.edge_kinds.get(owner[1], "+"), owner[1] in st.hot_edges)
                glyphs = _EDGE_TEXTS.get(key)
                if glyphs is None:  # (a translation goes through a dict a character at a time: once per key)
                    if len(_EDGE_TEXTS) >= EDGE_TEXTS_KEPT:
                        _EDGE_TEXTS.clear()
                    glyphs = _EDGE_TEXTS[key] = text.translate(EDGE_GLYPHS[key[1]]) if key[2] else \
                        text.translate(EDGE_GLYPHS[key[1]]).replace(ARROW, COLD_ARROW)
                text = glyphs
            return [_new(Segment, (text, self._owner_style(owner, style), None))]
        if kind == "name":
            node_id, width = item[2], item[3]
            current, selected = node_id == st.current, node_id == self.selected
            name = self.nodes[node_id].name
            assert name is not None  # only a node with a name has a "name" item
            text = _fit((MARK + " " if current else "") + (f"[{name}]" if selected else name), width)
            if not selected:
                return [Segment(text, style("canvas--current" if current else "canvas--name"))]
            head = len(MARK + " ") if current else 0  # (an empty segment when it is not current, as ever)
            return [Segment(text[:head], style("canvas--current")),
                    Segment(text[head:head + len(name) + 2], style("canvas--selected")),
                    Segment(text[head + len(name) + 2:], style("canvas--name"))]
        if kind == "text":
            node_id, k, width = item[2], item[3], item[4]
            text, hot, paint = _line_look(st, node_id, k)
            names = ("canvas--pending" if node_id in st.pending else "canvas--text",) + \
                (("canvas--hot-line",) if hot else ())
            if paint is not None:  # a map's levels, or a W⁽ˡ⁾ box's signs: a style per character
                return self._painted(text + (HOT if hot else ""), paint, width, names, style)
            text = (text + (HOT if hot else "")).center(width) if self.nodes[node_id].round \
                else _fit(text + (HOT if hot else ""), width)
            return [_new(Segment, (" " + text + " ", style(*names), None))]
        i, width = item[2], item[3]  # a label
        text = st.labels.get(i, "")
        fill = "─".translate(EDGE_GLYPHS[st.edge_kinds[i]]) if i in st.edge_kinds else "─"
        n = cells(text)
        text = fill * (width - n) + text if n <= width else _fit(text, width)
        s = style("canvas--hot-edge") if i in st.hot_edges else style(
            "canvas--negative" if st.edge_kinds.get(i, "+")[0] == "-" else "canvas--label")
        return [_new(Segment, (text, s, None))]

    def _painted(self, text: str, paint: tuple, width: int, names: tuple[str, ...], style) -> list[Segment]:
        """A line whose characters each have a paint: a map level (its colour behind the shade glyph)
        or a weight's sign (``-`` in the negative colour); ``names``: the line's component classes."""
        base = style(*names)
        pad = max(0, width - cells(text))
        segs = [_new(Segment, (" " * (1 + pad // 2), base, None))]
        start = 0
        for k in range(1, len(paint) + 1):  # a segment per run of one paint: fewer segments to draw
            if k < len(paint) and paint[k] == paint[start]:
                continue
            p = paint[start]
            if isinstance(p, int):
                cell = style() + _level_style(p)
            else:
                cell = style(*names, "canvas--negative") if p == "-" else base
            segs.append(_new(Segment, (text[start:k], cell, None)))
            start = k
        segs.append(_new(Segment, (text[len(paint):] + " " * (1 + pad - pad // 2), base, None)))
        return segs

    def _owner_style(self, owner, style):
        st = self.state
        if owner[0] == "e":
            if owner[1] in st.hot_edges:
                return style("canvas--hot-edge")
            return style("canvas--negative" if st.edge_kinds.get(owner[1], "+")[0] == "-" else "canvas--edge")
        if owner[1] == st.current:
            return style("canvas--current")
        return style("canvas--pending" if owner[1] in st.pending else "canvas--box")


def _node_look(st: CanvasState, node: str) -> tuple:
    """What of ``st`` a node's lines show (its name, box and text lines)."""
    current = node == st.current
    return (current, current and st.hot_line, node in st.pending, st.texts.get(node), st.marked.get(node),
            st.paints.get(node))


def _changed_nodes(old: CanvasState, new: CanvasState) -> set[str]:
    nodes = set(old.texts) | set(new.texts) | set(old.paints) | set(new.paints) | set(old.marked) | \
        set(new.marked) | old.pending | new.pending | {old.current, new.current}
    return {n for n in nodes if n is not None and _node_look(old, n) != _node_look(new, n)}


def _changed_edges(old: CanvasState, new: CanvasState) -> set[int]:
    edges = set(old.labels) | set(new.labels) | set(old.edge_kinds) | set(new.edge_kinds) | old.hot_edges | \
        new.hot_edges
    return {i for i in edges if (i in old.hot_edges, old.edge_kinds.get(i), old.labels.get(i))
            != (i in new.hot_edges, new.edge_kinds.get(i), new.labels.get(i))}


def _changed_parts(old: CanvasState, new: CanvasState, node: str, lines: int) -> list:
    """The parts of ``node``'s drawing that differ from ``old`` to ``new``: its "frame" (the box's
    border and blank rows: their style follows whether it is current or pending), its "name" (▶
    before the current node's) and its text lines by number (the text, the • and highlight of a
    line the step wrote, a pending node's dim style, a line's paint), each as ``_segments``
    draws it from the state."""
    current = (node == old.current, node == new.current)
    pending = (node in old.pending, node in new.pending)
    parts: list = []
    if current[0] != current[1] or pending[0] != pending[1]:
        parts.append("frame")
    if current[0] != current[1]:
        parts.append("name")
    parts += [k for k in range(lines) if pending[0] != pending[1] or _line_look(old, node, k) != _line_look(new, node, k)]
    return parts


def _line_look(st: CanvasState, node: str, k: int) -> tuple:
    """What of ``st`` line ``k`` of ``node``'s text shows: the text, whether the step wrote it (its •
    and highlight), its paint."""
    texts = st.texts.get(node, ())
    return (texts[k] if k < len(texts) else "", (node == st.current and k == st.hot_line) or st.marked.get(node) in (k, -1),
            st.paints.get(node, {}).get(k))


def _owners(rows: list[list[tuple]]) -> tuple[dict, dict]:
    """The canvas rows each part of a node (``_changed_parts``) and each edge is drawn on: a step
    redraws only those it changes."""
    node_parts: dict = {}
    edge_rows: dict = {}
    for y, items in enumerate(rows):
        for item in items:
            kind = item[0]
            if kind == "run":
                owner = item[3]
                if owner[0] == "e":
                    edge_rows.setdefault(owner[1], set()).add(y)
                else:
                    node_parts.setdefault((owner[1], "frame"), set()).add(y)
            elif kind == "label":
                edge_rows.setdefault(item[2], set()).add(y)
            elif kind == "name":
                node_parts.setdefault((item[2], "name"), set()).add(y)
            else:  # a text line
                node_parts.setdefault((item[2], item[3]), set()).add(y)
    return node_parts, edge_rows


def _rows(lay: Layout, nodes: dict) -> list[list[tuple]]:
    """Each row of the canvas as items sorted by column: static runs and slots for text."""
    grid: dict = {}  # (x, y) → (char, owner)
    slots: dict = {}  # y → [item]
    for (x, y), (bits, i) in lay.cells.items():
        grid[(x, y)] = (LINE_CHARS.get(bits, "·"), ("e", i))
    for (x, y), i in lay.arrows.items():
        grid[(x, y)] = (ARROW, ("e", i))
    for (x, y), i in lay.up_arrows.items():
        grid[(x, y)] = (UP_ARROW, ("e", i))
    for i, (x, y, width) in lay.labels.items():
        for xx in range(x, x + width):
            grid.pop((xx, y), None)
        slots.setdefault(y, []).append(("label", x, i, width))
    for node_id, b in lay.boxes.items():
        node = nodes[node_id]
        tl, tr, bl, br = "╭╮╰╯" if node.round else "┌┐└┘"
        owner = ("n", node_id)
        for xx in range(b.x + 1, b.x + b.w - 1):
            grid[(xx, b.y)] = ("─", owner)
            grid[(xx, b.y + b.h - 1)] = ("─", owner)
        grid[(b.x, b.y)], grid[(b.x + b.w - 1, b.y)] = (tl, owner), (tr, owner)
        grid[(b.x, b.y + b.h - 1)], grid[(b.x + b.w - 1, b.y + b.h - 1)] = (bl, owner), (br, owner)
        for yy in range(b.y + 1, b.y + b.h - 1):
            grid[(b.x, yy)] = ("│", owner)
            grid[(b.x + b.w - 1, yy)] = ("│", owner)
        first = b.y + 1 + (b.h - 2 - node.lines) // 2
        for k in range(node.lines):
            slots.setdefault(first + k, []).append(("text", b.x + 1, node_id, k, b.w - 4))
        for yy in range(b.y + 1, b.y + b.h - 1):  # rows of a tall box without text are blank inside
            if not first <= yy < first + node.lines:
                slots.setdefault(yy, []).append(("run", b.x + 1, " " * (b.w - 2), owner))
        if node.name is not None:
            slots.setdefault(b.y - 1, []).append(("name", b.x, node_id, b.w))
    rows: list[list[tuple]] = [[] for _ in range(lay.height)]
    by_row: dict = {}
    for (x, y), value in grid.items():
        by_row.setdefault(y, []).append((x, value))
    for y in range(lay.height):
        items = list(slots.get(y, []))
        run_x, run_text, run_owner = None, "", None
        for x, (char, owner) in sorted(by_row.get(y, [])):
            if run_x is not None and x == run_x + len(run_text) and owner == run_owner:
                run_text += char
                continue
            if run_x is not None:
                items.append(("run", run_x, run_text, run_owner))
            run_x, run_text, run_owner = x, char, owner
        if run_x is not None:
            items.append(("run", run_x, run_text, run_owner))
        rows[y] = sorted(items, key=lambda item: item[1])
    return rows

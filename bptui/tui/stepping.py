"""What the network screen and the graph screen share: the state that names what is on the board,
as reactives, one watcher that redraws, a message line, moving the stepper, and quiz mode.

The board is named by ints and keys, never by arrays (a reactive compares old and new with ``!=``):
the stepper's ``position``, a ``revision`` counted up when the board changes without moving (an
edit, a reset, training), the ``digits`` and the quiz's ``asked`` cell. ``board`` is computed from
them, and its watcher redraws; child widgets that only need the digits follow with ``data_bind``.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from rich._wrap import divide_line, re_word
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import on
from textual._compositor import Compositor
from textual.content import Content
from textual.geometry import Region, Size
from textual.reactive import var
from textual.screen import Screen
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Static

from ..core.formulas.notation import num
from . import messages
from .guard import GuardedPump
from .cells import one_cell_each
from .panel_base import LeanStrip, OneLayout
from .pacing import FRAME

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..core.teaching.explain import Cell, Explanation
    from ..core.teaching.quiz import Question
    from .quizmode import QuizLine

MIN_DIGITS, MAX_DIGITS = 1, 8
_DIGITS_END = ("Already at the fewest digits: + shows more.", "Already at the most digits: - shows fewer.")


EQUATION_LINES = 3  # the equation's lines under the status, when the status keeps to its room (x: the whole)
EQUATION_LEAST = 2  # the fewest it gives up rows to a longer status for: a status longer still moves the panels
WIDE_STATUS = 120  # columns from which the status's second line (the example, the step, the loss) fits a row


def status_room(width: int) -> int:
    """The rows the status keeps on a terminal ``width`` columns wide, on the loading screen and the
    network screen alike: its three lines (the network; the example and the step; o⁽⁰⁾ and what is
    next), and under 120 columns a fourth for the second line, which wraps there. A status that
    needs more takes them from the equation's lines (fit_head): the panels below keep their row."""
    return 3 if width >= WIDE_STATUS else 4


def text_rows(text: str, width: int) -> int:
    """The rows ``text`` takes wrapped at ``width`` cells, as Textual wraps it (at spaces): what
    ``len(Content(text).wrap(width))`` gives, without building the wrapped lines."""
    return sum(_line_rows(line, width) for line in text.split("\n"))


@lru_cache(maxsize=256)
def _line_rows(line: str, width: int) -> int:
    """The rows one line (no newline) takes wrapped at ``width`` cells: the cuts Textual's
    ``Content._wrap_and_format`` makes in it, by the same steps (the text as Content keeps it, its
    tabs expanded, rich's ``divide_line``), and one. Kept by line and width: a status's first line
    names the network at every step, and the equation's cut is measured again with its other lines
    the same."""
    if width < 1:
        return len(Content(line).wrap(width))
    if one_cell_each(line):  # (Content keeps such a line as it is: no tab, no control code; a cell a character)
        return 1 if len(line) <= width else len(_cuts(line, width)) + 1
    plain = Content(line).expand_tabs(8).plain
    if cell_len(plain) <= width:
        return 1
    return len(_cuts(plain, width)) + 1


@lru_cache(maxsize=16)
def _cuts(line: str, width: int) -> list[int]:
    """rich's ``divide_line(line, width, fold=True)``: where a line wrapped at ``width`` is cut (read, never
    changed). Kept for the few last lines: the equation line's cut is measured (:func:`text_rows`) and then
    drawn (:func:`_line_strips`), the same line at the same width. A line whose every character is a cell is
    cut by its characters (:func:`_cell_cuts`)."""
    if width >= 1 and one_cell_each(line):
        return _cell_cuts(line, width)
    return divide_line(line, width, fold=True)


def _cell_cuts(line: str, width: int) -> list[int]:
    """rich's ``divide_line(line, width, fold=True)`` for a line whose every character is one cell: its steps,
    with a text's length for its cells (rich measures each new word a character at a time: an equation
    line of new numbers, about a million instructions, measured again for each cut the equation tries)."""
    cuts: list[int] = []
    offset = 0  # the cells taken on the row so far
    for word in re_word.finditer(line):  # (rich's words(): each match starts where the last one ended)
        start = word.start()
        text = word.group()
        length = len(text.rstrip())
        if width - offset >= length:
            offset += len(text)
        elif length > width:  # folded across rows of ``width`` (rich's chop_cells of one-cell characters)
            pieces = [text[at:at + width] for at in range(0, len(text), width)]
            for piece in pieces[:-1]:
                if start:
                    cuts.append(start)
                start += len(piece)
            if start:
                cuts.append(start)
            offset = len(pieces[-1])
        elif offset and start:
            cuts.append(start)
            offset = len(text)
    return cuts


SEPARATOR = " · "  # between the parts of a status line: where a line too long for its row is cut


def break_at_separators(text: str, width: int) -> str:
    """``text`` with each line longer than ``width`` cells cut into rows at its ``SEPARATOR``s, each
    row as many whole parts as fit: a status wraps between ``ℓ⁽¹⁾ = 0.662`` and ``ℓ_D so far =
    0.662``, never inside either; a part wider than a row wraps at its spaces where it stands, and the
    next part starts a row. A line that would take more rows so than wrapped at its spaces is left for
    Textual to wrap: the status keeps the rows it is given."""
    lines = text.split("\n")
    if width < 1 or all(cell_len(line) <= width for line in lines):
        return text
    return "\n".join(_break_line(line, width) for line in lines)


def _break_line(line: str, width: int) -> str:
    if cell_len(line) <= width:
        return line
    rows: list[str] = []
    row: str | None = None
    for part in line.split(SEPARATOR):
        if row is None:
            row = part
        elif cell_len(row) + cell_len(SEPARATOR) + cell_len(part) <= width or cell_len(part) > width:
            row += SEPARATOR + part  # (a part wider than a row wraps where it stands, and ends its rows)
        else:
            rows.append(row)
            row = part
        if cell_len(row) > width:
            rows.append(row)
            row = None
    if row is not None:
        rows.append(row)
    if sum(_line_rows(r, width) for r in rows) > _line_rows(line, width):
        return line
    return "\n".join(rows)


def equation_rows(status: TextLine) -> int:
    """The rows the equation gets under ``status`` without x (:func:`fit_head`'s rule): ``EQUATION_LINES``
    less the rows the status takes beyond its room, ``EQUATION_LEAST`` at least."""
    return max(EQUATION_LEAST, EQUATION_LINES - max(0, (status.lines or 0) - status.room))


def fit_head(screen: Screen, status: TextLine) -> int:
    """Give the equation (``#equation`` in ``#equation-box``) the rows of the head that the status
    leaves: the status and the equation together keep ``status_room`` + ``EQUATION_LINES`` rows
    (with the box's two rules), so that the panels under them keep their row, from the loading
    screen's frame on, while the status's text wraps to a line more (xor's and moons' at 80
    columns, moons' and iris's at 120). The equation keeps ``EQUATION_LEAST`` lines: a status
    longer still (a transformer's) moves the panels down, once, at the network screen's first frame
    or at the step that makes it longer. With x (the whole equation) its box takes what it needs.
    Returns the equation's lines."""
    box = screen.query_one("#equation-box")
    lines = equation_rows(status)
    fit = (box.has_class("whole"), lines)
    if getattr(screen, "_head_fit", None) != fit:
        screen._head_fit = fit  # type: ignore[attr-defined]
        equation = screen.query_one("#equation")
        whole = fit[0]  # its height is the style sheet's (auto) then: an inline height would win over it
        box.styles.height = None if whole else lines + 2
        equation.styles.height = None if whole else lines
    return lines


_TEXT_RULES = ("text_align", "text_overflow", "text_wrap", "line_pad")  # rules that change how Content draws a line


def _one_cell(text: str) -> bool:
    """Whether every character of ``text`` but its newlines takes one cell (no tab, no control code,
    no wide, combining or zero-width character)."""
    return one_cell_each(text.replace("\n", ""))


def _line_strips(y: int, line: str, width: int, style: Any) -> list[Strip]:
    """Line ``y`` of a text of one-cell characters wrapped to ``width``, as Textual's Content draws it
    in the whole text: its cuts, a cut row's trailing spaces dropped, each segment's place in the
    text (the offsets a text selection reads). Content's wrapping, formatting and styling of each
    row was most of what the status and the equation cost a step."""
    cuts = _cuts(line, width)
    rows: list[Strip] = []
    for start, end in zip([0, *cuts], [*cuts, len(line)]):
        text = (line[start:end] if end == len(line) else line[start:end].rstrip())[:width]
        rows.append(LeanStrip([Segment(text, _offset_style(style, start, y))], len(text)))
    return rows


@lru_cache(maxsize=1024)
def _offset_style(style: Any, x: int, y: int) -> RichStyle:
    """The style of a row that starts at character ``x`` of line ``y``, as Content styles its text (the
    widget's style over the text's, which is the widget's, with the place a text selection reads);
    kept, as a status's and an equation's rows start at the same few places."""
    return (style + style).rich_style_with_offset(x, y)


class TextLine(OneLayout, Static):
    """A line of text (status, equation) drawn row by row: a row's strips are kept while its line of
    text and the width are the same, a change repaints only the rows that differ, and a new layout is
    asked for only when the height may change (a layout pass would redraw the whole screen).
    Textual's own Static renders every row of the text again whenever any part of it is repainted."""

    room = 0
    """Rows a steady line keeps at least (``status_room``)."""

    def __init__(self, steady: bool = False, **kwargs: Any) -> None:
        """``steady``: the line keeps the most lines its text took at this width (and ``room`` at
        least), so that a text one line shorter (the status between two steps) does not move
        everything below it."""
        super().__init__(markup=False, **kwargs)
        self.lines: int | None = None  # lines the widget took at the last update
        self.steady = steady
        self._width = 0  # the width ``lines`` was counted at
        self._kept: tuple[int, Any, dict[tuple[int, str], list[Strip]]] = (0, None, {})  # width, style, strips by line
        self._rows: tuple[str, list[Strip]] | None = None  # the text the rows were drawn for, and its rows

    def show(self, text: str) -> None:
        if self.steady:  # a status spans the screen: its width less the padding, before the first layout too, and
            # while a resize is handled (the region keeps the old width until the layout that follows); its region
            # not looked up (after a scroll, the compositor's map of every widget would be rebuilt for it)
            width = self.app.size.width - self.styles.padding.width
        else:
            width = self.content_region.width
        width = max(width, 1)
        if self.steady:  # a status: its lines wrap between their parts
            text = break_at_separators(text, width)
        lines = text_rows(text, width)
        if self.steady and width > 1:
            if width == self._width and self.lines is not None:
                lines = max(lines, self.lines)
            lines = max(lines, self.room)
            self._width = width
            self.styles.min_height = lines  # a layout pass only when it changes
        self.update(text, layout=lines != self.lines)
        self.lines = lines

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        """Show ``content`` (a str); without a layout, repaint only the rows whose strips changed."""
        width = self.size.width
        if not layout and width and self._rows is not None and self.text_selection is None:
            before, rows = self._rows[1], self._draw(str(content), width)
            self._changed = [y for y in range(max(len(rows), len(before)))
                             if y >= len(rows) or y >= len(before) or rows[y] is not before[y]]
        try:
            super().update(content, layout=layout)
        finally:
            self._changed = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if self._changed is not None and not (regions or layout or recompose):
            if not self._changed:
                return self
            width = self.size.width
            regions = tuple(Region(0, y, width, 1) for y in self._changed)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    _changed: list[int] | None = None  # the rows an update changes (None: all of them)

    def _draw(self, text: str, width: int) -> list[Strip]:
        """The rows of ``text`` at ``width``: each line's wrapped strips, the same strips while the
        line, the width and the style are the same. A text with a character of other than one cell
        (wide, combining, a tab, a control code), or under a style sheet that aligns or truncates
        its lines, is drawn whole by Textual's Content."""
        style = self.visual_style
        if self._rows is not None and self._rows[0] == text and self._kept[:2] == (width, style):
            return self._rows[1]
        lines = text.split("\n")
        if not _one_cell(text) or any(map(self.styles.has_rule, _TEXT_RULES)):
            rows = Visual.to_strips(self, Content(text), width, None, style)
            self._kept = (width, style, {})
        else:
            kept = self._kept[2] if self._kept[:2] == (width, style) else {}
            strips = {(y, line): kept.get((y, line)) or _line_strips(y, line, width, style)
                      for y, line in enumerate(lines)}
            self._kept = (width, style, strips)
            rows = [strip for line in strips.values() for strip in line]
        self._rows = (text, rows)
        return rows

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self.text_selection is not None:  # (a selection's rows are Textual's own, across the lines)
            self._rows = None
            return super().render_line(y)
        rows = self._draw(str(self.content), width)
        return rows[y] if y < len(rows) else Strip.blank(width, self.visual_style.rich_style)


class MessageLine(Static):
    """The line under the equation; empty hides it."""

    text: var[str] = var("", init=False)
    """What the line says; unchanged text costs nothing (every step clears it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, **kwargs)

    def watch_text(self, text: str) -> None:
        self.update(text)
        self.set_class(bool(text), "visible")


class SteadyCompositor(Compositor):
    """Textual's compositor, whose first frame after a scroll repaints only what the scroll moved.

    A scroll is laid out by comparing where the widgets on screen are now with where they were
    (``reflow_visible``); Textual forgets where they were whenever it rebuilds its map of every
    widget (to find one out of view: a panel the step redrew, the one the column scrolls to) or
    lays the screen out, and then repaints the whole screen. The map of the widgets on screen is
    kept across that rebuild, which moves nothing, and a layout's map of every widget stands for it
    (a widget out of view has no part of the screen to repaint), until a scroll has compared with
    it."""

    _kept: Any = None  # the map of the widgets on screen, before a rebuild of the full map

    @property
    def full_map(self) -> Any:
        # (Textual's private attributes, read with a default: a Textual without them gets its own frames)
        if getattr(self, "_full_map_invalidated", False) and getattr(self, "_visible_map", None) is not None:
            self._kept = self._visible_map
        return super().full_map

    def reflow(self, parent: Any, size: Any) -> Any:
        visible = getattr(self, "_visible_map", None)
        if getattr(self, "_full_map_invalidated", False) and visible is not None:
            # the layout compares with where the widgets were: the ones on screen where the scrolls since the
            # last map of every widget put them (Textual compares with that map as it was)
            self._full_map = {**self._full_map, **visible}
        result = super().reflow(parent, size)
        self._kept = getattr(self, "_full_map", None)  # where a layout put every widget: the screen's next frame
        self._full_map_invalidated = self._scrolled = False  # (that map is the layout's: Textual leaves it marked stale)
        return result

    def reflow_visible(self, parent: Any, size: Any) -> Any:
        if getattr(self, "_visible_map", False) is None and self._kept is not None:
            self._visible_map = self._kept
        self._kept = None
        self._scrolled = self._scrolled or not getattr(self, "_full_map_invalidated", True)
        return super().reflow_visible(parent, size)

    _scrolled = False  # the map of every widget is stale by scrolls only (it holds every widget's size)

    def update_widgets(self, widgets: Any) -> None:
        """Textual's, but a widget to repaint that is out of view does not make the map of every widget
        stale: Textual takes a widget not on screen for a new one, which the map must be built again to
        place, and a step shows its board in panels out of view too (the next look-up of a widget's region
        then arranged the whole screen again: deep_residual's update with the map open, 2.4 M instructions).
        A repaint moves nothing: a widget that map holds is placed."""
        full = getattr(self, "_full_map", {})
        if not getattr(self, "_full_map_invalidated", True) and widgets.issubset(full.keys()):
            widgets = widgets & self.visible_widgets.keys()
        elif not widgets.issubset(full.keys()):
            self._scrolled = False  # a new widget: the map must be built again
        super().update_widgets(widgets)

    def content_size(self, widget: Any) -> Any:
        """``widget.size`` (its content's, as the last layout made it), without building the map of every
        widget again after a scroll: a scroll moves widgets and resizes none, so the map it made stale still
        holds each one's size. Textual's ``size`` looks a widget out of view up in a map built again
        (``Fits``, after each layout: deep_residual's update that scrolls the column, 2.4 M instructions)."""
        full = getattr(self, "_full_map", None)
        if self._scrolled and getattr(self, "_full_map_invalidated", False) and full is not None:
            geometry = full.get(widget)  # (a widget the map does not place, one not displayed, has no size)
            return geometry.region.shrink(widget.styles.gutter).size if geometry is not None else Size(0, 0)
        return widget.size

    def clear(self) -> None:
        self._kept = None
        self._scrolled = False
        super().clear()

    _updates: Any = None  # the regions a partial update draws, while it draws them

    def render_partial_update(self) -> Any:
        self._updates = set(getattr(self, "_dirty_regions", ()))
        try:
            return super().render_partial_update()
        finally:
            self._updates = None

    def _render_chops(self, crop: Region, is_rendered_line: Callable[[int], bool]) -> Any:
        """Textual's chops, but a widget's line that no other widget cuts (its one cut its own width) is
        taken as it is: Textual's ``Strip.divide`` returns ``[line]`` for it and keeps that in the line's
        own cache, a cycle through the line that only the cyclic collector frees (a scrollbar's lines,
        drawn again at each scroll, were most of a scrolling step's cyclic garbage)."""
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        intersection = Region.intersection
        for region, clip, strips in self._get_renders(crop):
            render_region = intersection(region, clip)
            render_x = render_region.x
            first_cut, last_cut = render_region.column_span
            for y, strip in zip(render_region.line_range, strips):
                if not is_rendered_line(y):
                    continue
                chops_line = chops[y]
                final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                ends = [cut - render_x for cut in final_cuts[1:]]
                if len(ends) == 1 and ends[0] == strip.cell_length:
                    cut_strips: Any = (strip,)
                else:
                    cut_strips = strip.divide(ends)
                get_chops_line = chops_line.get
                for cut, piece in zip(final_cuts, cut_strips):  # front to back: the first piece of a cut wins
                    if get_chops_line(cut) is None:
                        chops_line[cut] = piece
        return chops

    def _get_renders(self, crop: Region | None = None) -> Any:
        """Textual's renders for a partial update, of the rows each widget shows of it only.

        Textual renders every widget that overlaps the box around the regions to update, whole, and
        keeps of each row the parts of the regions, each from the widget in front there: with a
        status line at the top and a step's rows of the diagram below it, every widget on screen
        (the screen and the containers behind the diagram too). Here a widget is rendered only from
        the first to the last of the rows where a part of a region to update is left that no widget
        in front of it covers (a widget's lines fill its region, and Textual takes each part of a
        row from the first widget, front to back, that covers it): the same parts of the same rows,
        from the same widgets."""
        updates = self._updates
        if not updates or crop is None:
            yield from super()._get_renders(crop)
            return
        left: dict[int, list[tuple[int, int]]] = {}  # row → the parts of it still to draw, (x1, x2)
        for y, x1, x2 in self._regions_to_spans(updates):
            left.setdefault(y, []).append((x1, x2))
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            a, b = shown.x, shown.right
            rows = []
            for y in range(max(shown.y, min(left)), min(shown.bottom, max(left) + 1)):
                parts = left.get(y)
                if parts is None or not any(x1 < b and x2 > a for x1, x2 in parts):
                    continue
                rows.append(y)
                rest = [p for x1, x2 in parts for p in ((x1, min(x2, a)), (max(x1, b), x2)) if p[0] < p[1]]
                if rest:
                    left[y] = rest
                else:
                    del left[y]
            if rows:  # one render from the first row to the last (Textual keeps the lines between)
                band = Region(a, rows[0], shown.width, rows[-1] - rows[0] + 1)
                yield region, band, widget.render_lines(Region(a - region.x, band.y - region.y, band.width, band.height))
            if not left:
                return


class SteppingScreen(GuardedPump, Screen[None]):
    """A screen that steps through one stepper. Subclasses compose a ``#status`` and an
    ``#equation`` TextLine, a MessageLine and an ``#explain`` Static, and define ``redraw()``,
    ``step_symbol(key)`` and ``step_equation(step)``."""

    QUIZ_INTRO = "Quiz mode: n asks for the next step's value. z again ends the quiz."

    position: var[int] = var(0, init=False)
    """The stepper's position (steps done); the stepper holds the arrays it names. No key depends
    on it, so it does not refresh the bindings (the footer recomposes on every refresh: 40 ms)."""
    revision: var[int] = var(0, init=False)
    """Counted up when the board changes without moving: an edit, a reset, trained weights."""
    digits: var[int] = var(4, init=False)
    """Decimals of the numbers on screen (+ and −)."""
    asked: var[Cell | None] = var(None, init=False, bindings=True)
    """The cell the quiz's open question hides (a core Cell, a key), None without a question."""
    quizzing: var[bool] = var(False, init=False, bindings=True)
    """Quiz mode is on (z)."""
    board: var[tuple] = var((), init=False)
    """What the board shows, as a key: its watcher is the one place that redraws."""

    def __init__(self, stepper: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compositor = SteadyCompositor()
        self.stepper: Any = stepper  # a Stepper or a GraphStepper (the subclass says which)
        self.set_reactive(SteppingScreen.position, stepper.position)

    layouts = 0
    """Layouts of the screen so far, a scroll's reflow of the widgets in view not counted: what
    ``fitting.Fits`` compares its size after (a scroll changes no widget's size)."""

    def _refresh_layout(self, size: Any = None, scroll: bool = False) -> None:
        # Textual's scroll-only path: a scroll with no layout asked for (``Screen._refresh_layout``)
        if not (scroll and not self._layout_required and not self._layout_widgets):
            self.layouts += 1
        super()._refresh_layout(size, scroll)

    def compute_board(self) -> tuple:
        return (self.position, self.revision, self.digits, self.asked, self.quizzing)

    def watch_board(self) -> None:
        if self.is_mounted:
            self.draw_board()

    frame = FRAME  # seconds between boards drawn during a burst of keys
    _drawn_at = 0.0  # time.perf_counter() of the last board drawn
    _draw_due = False  # a board left undrawn during a burst of keys, drawn once the keys are handled

    def draw_board(self, due: bool = False) -> None:
        """Redraw now; in a burst of keys (more wait behind this one: pacing.py) at most every
        ``frame`` seconds, and once after the keys waiting now (``due``: that call)."""
        if due and not (self._draw_due and self.is_mounted):  # drawn meanwhile, or the screen is gone
            return
        now = time.perf_counter()
        if not due and getattr(self.app, "input_waiting", False) and now - self._drawn_at < self.frame:
            if not self._draw_due:
                self._draw_due = True
                self.app.call_later(self.draw_board, True)
            return
        self._draw_due = False
        self._drawn_at = now
        self.redraw()

    def on_mount(self) -> None:
        self.draw_board()

    def redraw(self) -> None:
        """Show the board (subclasses)."""

    @property
    def question(self) -> Question | None:
        """The quiz's open question (kept by the quiz line), None when there is none."""
        quiz = self.quiz_line(create=False)
        return quiz.question if quiz is not None else None

    # -- the message line and moving --------------------------------------------------------------
    def say(self, text: str) -> None:
        """A line under the equation; empty hides it."""
        self.query_one(MessageLine).text = text

    def _move(self, move: Callable[[], object], rebuilt: bool = False) -> None:
        """Move the stepper (``move()``); ``rebuilt``: the board changed beyond its position."""
        self.say("")
        move()
        with self.app.batch_update():
            if rebuilt:
                self.revision += 1
            self.position = self.stepper.position

    def equation_text(self) -> str:
        """The last step's equation (a quiz question hides its number); a hint before the first."""
        question = self.question
        if question is not None:
            return f"{question.equation}      {question.symbol} = ?"
        last = self.stepper.last
        if last is None:
            return (f"Press n, → or space to compute {self.step_symbol(self.stepper.next_key)}, the first "
                    "step. ? explains the notation and the keys.")
        return self.step_equation(last)

    def step_symbol(self, key: Any) -> str:
        raise NotImplementedError

    def step_equation(self, step: Any) -> str:
        raise NotImplementedError

    def action_prev(self) -> None:
        if self.stepper.position == 0:
            self.say("Already at the first step.")
            return
        self._move(self.stepper.back)

    def action_digits(self, change: int) -> None:
        """+ / -: a digit more or fewer; at the end of the range, say so (as p at the first step does)."""
        digits = min(MAX_DIGITS, max(MIN_DIGITS, self.digits + change))
        message = self.query_one(MessageLine)
        if digits == self.digits:
            self.say(_DIGITS_END[change > 0])
        elif message.text in _DIGITS_END:  # the remark is stale once the digits change
            self.say("")
        self.digits = digits

    # -- quiz mode (the answer line in quizmode.py, the arithmetic in core/teaching/quiz.py) -----------------
    def quiz_line(self, create: bool = True) -> QuizLine | None:
        """The quiz's answer line, mounted the first time quiz mode is turned on."""
        if self._quiz is not None and not self._quiz.is_attached:  # the screen was composed again
            self._quiz = None
        if self._quiz is not None or not create:  # (every step asks: no search of the screen's widgets)
            return self._quiz
        from textual.widgets import Footer

        from .quizmode import QuizLine

        self._quiz = QuizLine(id="answer")
        self.mount(self._quiz, before=self.query_one(Footer))
        return self._quiz

    _quiz: QuizLine | None = None  # the quiz's answer line, once mounted (this method mounts it)

    def quiz_cell(self, step: Any) -> Cell | None:
        """The number to ask for at ``step`` (a core Cell among the step's candidates), or None."""
        return None

    def action_toggle_quiz(self) -> None:
        quiz = self.quiz_line()
        assert quiz is not None
        if not self.quizzing:
            quiz.start()
            self.quizzing = True
            self.say(self.QUIZ_INTRO)
        else:
            by = quiz.score.compact()
            self.say(f"Quiz mode off. {quiz.score.summary()}" + (f". By quantity: {by}." if by else ""))
            quiz.stop()
            self.quizzing = False
            self.asked = None

    @property
    def score(self) -> Any:
        """Quiz mode's Score, None when quiz mode is off."""
        if not self.quizzing:  # (no query of the screen at every step)
            return None
        quiz = self.quiz_line(create=False)
        return quiz.score if quiz is not None else None

    def ask_next(self) -> None:
        """Do the next step with one of its numbers hidden, and wait for the student's answer."""
        quiz = self.quiz_line()
        assert quiz is not None
        self.say("")
        step = self.stepper.forward()
        question = quiz.ask(self.stepper, step, self.quiz_cell(step), self.digits)
        self.say(f"What is {question.symbol}?")
        with self.app.batch_update():
            self.asked = question.cell
            self.position = self.stepper.position

    @on(messages.QuizRejected)
    def quiz_rejected(self, message: messages.QuizRejected) -> None:
        self.say(f"{message.text!r} is not a number: try again (e.g. 0.25, 1/4, ln(2), e^6), or Esc to skip.")

    @on(messages.QuizAnswered)
    def quiz_answered(self, message: messages.QuizAnswered) -> None:
        from ..core.teaching.quiz import answer_text

        q, verdict = message.question, message.verdict
        right = answer_text(verdict.explanation, q.value, 8)  # past the floats: the number its line prints
        if not verdict.final:  # the quiz line keeps the question open for a second try
            self.say(f"✗ Not quite ({num(verdict.given, 6)}). Hint: {verdict.hint}  One more try, or Esc to skip.")
            return
        second = " at the second try" if verdict.attempt > 1 else ""
        self.say(f"✓ Right{second}: {q.symbol} = {right}." if verdict.right
                 else f"✗ Not quite: you said {num(verdict.given, 8)}; {q.symbol} = {right}.")
        self._reveal(verdict.explanation)

    def action_skip_question(self) -> None:
        question = self.question
        if question is not None:
            from ..core.teaching.explain import explain

            quiz = self.quiz_line()
            assert quiz is not None
            from ..core.teaching.quiz import answer_text

            quiz.skip()
            explanation = explain(self.stepper, question.cell, self.digits)
            self.say(f"Skipped: {question.symbol} = {answer_text(explanation, question.value, 8)}.")
            self._reveal(explanation)

    def _reveal(self, explanation: Explanation, refit: bool = False) -> None:
        """Show the answer's explanation in the side panel, with as many terms as its rows hold."""
        from .explain import fitted

        if not refit:
            quiz = self.quiz_line()
            assert quiz is not None
            quiz.close()
            self.after_answer()
            self.asked = None
        panel = self.query_one("#explain", Static)
        size = panel.content_size  # none until the panel has been laid out: then once more after it
        panel.update(fitted(explanation, (size.width, size.height)))
        panel.display = True
        if not size.area and not refit:
            self.call_after_refresh(self._reveal, explanation, True)

    def after_answer(self) -> None:
        """Where the focus goes once a question is answered or skipped."""
        self.set_focus(None)

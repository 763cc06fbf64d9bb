"""The app's line filters, with Textual's ANSI-to-truecolor filter skipping the lines it would not change.

Textual passes every line a widget draws through ``ANSIToTruecolor``, which makes a new segment
for each of the line's segments and looks each style up in a cache of 1,024 styles. The styles
of a panel's or a diagram's line carry the place of each run (``panel_base.with_offsets``, for
Textual's text selection), so a screen of them is several thousand styles: the cache missed on
most of them, and the filter took about a tenth of a keypress on deep_sigmoid with the NN diagram
open (``benchmarks/keypress_speed.py``). Nearly all of them are truecolor already and not dim, so
the filter returns each style as it was; here such a line is returned as it is, each style checked
once, and any other line goes through Textual's filter."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from textual.filter import ANSIToTruecolor, LineFilter

if TYPE_CHECKING:
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

_STYLE, _CONTROL = itemgetter(1), itemgetter(2)  # a segment's style, its control codes
STYLES_KEPT = 1 << 16  # styles whose verdict is kept (a screen of offset styles is a few thousand)


def unchanged(style: Style) -> bool:
    """``ANSIToTruecolor.truecolor_style`` returns ``style`` itself: no system colour (a colour without
    an RGB triplet) in front or behind, and not dim with a colour (the filter dims the colour
    itself)."""
    color, bgcolor = style.color, style.bgcolor
    return ((color is None or color.triplet is not None) and (bgcolor is None or bgcolor.triplet is not None)
            and not (style.dim and color is not None))


class TruecolorLines(LineFilter):
    """``ANSIToTruecolor`` that returns a line whose every style it would keep as it is."""

    def __init__(self, inner: ANSIToTruecolor) -> None:
        super().__init__(enabled=inner.enabled)
        self.inner = inner
        # each style's verdict by the style's id, with the style held (so that its id is not another's):
        # a dict keyed by the style would hash it, and most of the styles a scroll draws are new, a
        # place's (``panel_base.with_offsets``), hashed by nothing else
        self._styles: dict[int, Style] = {}
        self._unchanged: dict[int, bool] = {}
        # the ids of the styles held in ``_styles`` that the filter keeps (and None's): an id there is its
        # style's (held, so no other object has it), so a line of them is checked in one pass in C
        self._kept: set[int] = {id(None)}

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        kept = self._kept
        if all(map(kept.__contains__, map(id, map(_STYLE, segments)))) and not any(map(_CONTROL, segments)):
            return segments
        styles, known = self._styles, self._unchanged
        for _, style, control in segments:
            if control is not None:  # (the filter drops a segment's control codes)
                return self.inner.apply(segments, background)
            if style is None:
                continue
            key = id(style)
            if styles.get(key) is style:
                same = known[key]
            else:
                if len(known) >= STYLES_KEPT:
                    styles.clear()
                    known.clear()
                    kept.clear()
                    kept.add(id(None))
                styles[key] = style
                same = known[key] = unchanged(style)
                if same:
                    kept.add(key)
            if not same:
                return self.inner.apply(segments, background)
        return segments


class LeanFilters:
    """Mixin for an App: its line filters with ``ANSIToTruecolor`` as :class:`TruecolorLines` (one
    per filter, kept, so that a strip's cache of filtered lines keeps working)."""

    _lean: dict[int, LineFilter] | None = None

    def get_line_filters(self) -> Any:
        lean = self._lean
        if lean is None:
            lean = self._lean = {}
        out = []
        for f in super().get_line_filters():  # type: ignore[misc]
            if isinstance(f, ANSIToTruecolor):
                wrapped = lean.get(id(f))
                if wrapped is None or wrapped.inner is not f:  # type: ignore[attr-defined]
                    wrapped = lean[id(f)] = TruecolorLines(f)
                f = wrapped
            out.append(f)
        return out

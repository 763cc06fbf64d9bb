"""The app's ANSI-to-truecolor filter (``filters.TruecolorLines``), which checks a line of styles it knows
in one pass over their ids, gives Textual's filter's lines over a run of lines, its styles' verdicts kept
and dropped (a full store of verdicts emptied), new style objects made with the ids of freed ones, and
control codes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import MONOKAI
from textual.color import Color
from textual.filter import ANSIToTruecolor

from bptui.tui import filters

MAKERS = [lambda: None, lambda: Style(), lambda: Style(bold=True), lambda: Style(color="red"),
          lambda: Style(color="#ff8800"), lambda: Style(color="#102030", bgcolor="#ffffff", bold=True),
          lambda: Style(color="#ff8800", dim=True), lambda: Style(dim=True), lambda: Style(bgcolor="green"),
          lambda: Style(color="color(200)"), lambda: Style(color="#ff8800") + Style.from_meta({"offset": (3, 4)})]
SHARED = [make() for make in MAKERS]  # styles held across lines, as a panel's palette is


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(st.text("ab─ ", min_size=1, max_size=3), st.integers(0, 2 * len(MAKERS) - 1),
                                   st.sampled_from([None, None, None, None, [(1,)]])), max_size=8),
                min_size=1, max_size=12),
       st.integers(1, 6), st.sampled_from(["#000000", "#ffffff"]))
def test_the_filter_gives_textuals_lines_over_a_run_of_lines(lines, kept, background):
    textual = ANSIToTruecolor(MONOKAI)
    color = Color.parse(background)
    old = filters.STYLES_KEPT
    filters.STYLES_KEPT = kept  # a small store: emptied again and again
    try:
        ours = filters.TruecolorLines(textual)
        for runs in lines:
            # a style index past the makers: a new object each line (a place's style, freed after the line,
            # whose id a later style may take)
            segments = [Segment(text, SHARED[n] if n < len(MAKERS) else MAKERS[n - len(MAKERS)](), control)
                        for text, n, control in runs]
            for _ in range(2):  # (the second time from the verdicts kept)
                got = ours.apply(segments, color)
                assert got == textual.apply(segments, color)
                if got is segments:
                    assert all(seg.control is None and (seg.style is None or filters.unchanged(seg.style))
                               for seg in segments)
    finally:
        filters.STYLES_KEPT = old

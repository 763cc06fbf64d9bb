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


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.text("ab─ ", min_size=1, max_size=3), st.integers(0, len(MAKERS) - 1)),
                         min_size=1, max_size=8), min_size=1, max_size=6),
       st.integers(0, 300), st.sampled_from(["#000000", "#ffffff"]))
def test_a_placed_line_through_the_filter_is_textuals(lines, y, background):
    """A line placed by ``offset_strip`` (each style with its place), through the app's filter, gives Textual's
    filter's segments, whether its styles are ones the filter keeps (the line as it is) or not (a system
    colour, a dim colour: made again)."""
    from bptui.tui.panel_base import offset_strip

    textual = ANSIToTruecolor(MONOKAI)
    ours = filters.TruecolorLines(textual)
    color = Color.parse(background)
    for runs in lines:
        segments = [Segment(text, SHARED[n]) for text, n in runs]
        strip = offset_strip(segments, 0, y, sum(len(text) for text, _ in runs))
        for _ in range(2):
            assert list(strip.apply_filter(ours, color)) == textual.apply(list(strip), color)


def test_a_new_place_of_a_style_the_filter_knows_is_not_judged_again(monkeypatch):
    """A line drawn at places not drawn before (a panel scrolled into view) has new styles, one a place; the
    filter's verdict on a place's style is its style's (the place changes no colour), known from the style
    and not worked out again for each new place (about 7 k instructions a segment: 3 M of the 30 new lines
    of a panel scrolled into view, ``benchmarks/keypress_speed.py``)."""
    from bptui.tui.panel_base import offset_strip

    ours = filters.TruecolorLines(ANSIToTruecolor(MONOKAI))
    color = Color.parse("#000000")
    styles = [Style(color="#ff8800"), Style(color="#102030", bgcolor="#ffffff", bold=True), None]
    segments = [Segment("ab ", style) for style in styles]
    offset_strip(segments, 0, 900, 9).apply_filter(ours, color)  # the styles seen once
    judged: list = []
    real = filters.unchanged

    def counted(style):
        judged.append(style)
        return real(style)

    monkeypatch.setattr(filters, "unchanged", counted)
    for y in range(901, 931):  # 30 new lines
        line = offset_strip(segments, 0, y, 9)
        assert line.apply_filter(ours, color).text == "ab " * 3
    assert judged == []

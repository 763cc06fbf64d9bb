"""A panel's line cut where another widget stands over it (its own scrollbar, the column's) is cut as Textual
cuts it (``Strip.divide``), measured by its texts' lengths where each character is one cell wide (issue 24,
item 5: rich measured every new number a character at a time, `−` not being Latin)."""

from __future__ import annotations

import rich.segment
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from bptui.tui.panel_base import LeanStrip

STYLES = [None, Style(), Style(bold=True), Style(color="red")]
TEXTS = ["", " ", "│", "…", " b=12 ", "−0.3011 ", "  0.4512•", "▶ W⁽³⁾ (bias │ inputs)", "τ=5 ", "2.82e−6 ",
         "中", "a😀b", "e\u0301", "\u200d", "x\ufe0f", "\t", "ab─▶"]


def _pieces(strips) -> list[tuple[list, int]]:
    return [(list(strip), strip.cell_length) for strip in strips]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TEXTS), st.sampled_from(STYLES)), max_size=12),
       st.lists(st.integers(0, 60), max_size=5))
def test_a_lean_strips_cuts_are_textuals_cuts(runs, cuts):
    """``LeanStrip.divide`` gives Textual's pieces, segment for segment and with their cell lengths, for
    every line: texts one cell a character, wide ones (a CJK letter, an emoji), zero-width ones (a
    combining accent, a joiner, a variation selector), a tab, empty texts; cuts at 0, repeated, inside a
    text and past the line's end."""
    segments = [Segment(text, style) for text, style in runs]
    ends = sorted(cuts)
    for _ in range(2):  # (the second time with every text measured before)
        assert _pieces(LeanStrip(list(segments)).divide(ends)) == _pieces(Strip(segments).divide(ends))
    length = Strip(segments).cell_length
    whole = LeanStrip(list(segments)).divide([length])
    assert _pieces(whole) == _pieces(Strip(segments).divide([length]))


def test_a_panels_line_is_cut_without_measuring_its_new_numbers_a_character_at_a_time(monkeypatch):
    """A new number of characters already seen one cell wide (`−`, digits, `e`) is cut by its length, not
    measured by rich (which measures a text that is not all Latin, Greek or box drawing a character at a
    time: about 30,000 instructions for ``−0.39435``); the pieces are Textual's."""
    style = Style(color="red")
    LeanStrip([Segment("−0.123456789e ", style)]).divide([3, 20])  # its characters seen once
    measured: list[str] = []
    rich_measure = rich.segment.cached_cell_len

    def counted(text: str) -> int:
        measured.append(text)
        return rich_measure(text)

    monkeypatch.setattr(rich.segment, "cached_cell_len", counted)
    line = [Segment(" b=3   ", style), Segment("  −0.39435 ", style), Segment("│", None), Segment(" −4.1e−2  ", style)]
    pieces = LeanStrip(list(line)).divide([10, 27, 28])
    assert measured == []
    monkeypatch.setattr(rich.segment, "cached_cell_len", rich_measure)
    assert _pieces(pieces) == _pieces(Strip(line).divide([10, 27, 28]))

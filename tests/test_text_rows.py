"""``stepping.text_rows`` counts the rows Textual wraps a text to (the status's and the equation's
room hang on it) without building the wrapped lines: it must agree with ``Content.wrap`` on every
text, runs of spaces, tabs, wide and zero-width characters, control codes and blank lines included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content

from bptui.tui.stepping import _line_rows, text_rows

# what a status or an equation is made of, and what would trip a wrap written by hand: runs of
# spaces, a space at a line's start or end, tabs, wide characters (two cells), combining and
# zero-width characters, a control code Textual strips, words longer than the width
PIECES = st.one_of(
    st.text(alphabet="abcxyz0123456789.,=+−·⊙⁽⁾¹²³ₖ", min_size=1, max_size=14),
    st.text(alphabet=" ", min_size=1, max_size=9),
    st.sampled_from(["\t", "\n", " \t ", "漢字", "ｗｉｄｅ", "😀", "e\u0301", "a\u200db", "\ufe0f", "\x07",
                     "δ⁽²⁾ = f′(s⁽²⁾)", "…", " (x: the whole equation)", "\n\n", "\r"]),
)
TEXTS = st.lists(PIECES, max_size=40).map("".join)


def wrapped(text: str, width: int) -> int:
    return len(Content(text).wrap(width))


@settings(max_examples=2000)
@given(TEXTS, st.integers(1, 130))
def test_text_rows_is_contents_wrap(text: str, width: int) -> None:
    assert text_rows(text, width) == wrapped(text, width)
    assert text_rows(text, width) == sum(wrapped(line, width) for line in text.split("\n"))


@settings(max_examples=500)
@given(TEXTS, st.integers(1, 20))
def test_text_rows_kept_by_line_and_width(text: str, width: int) -> None:
    """What is kept (by line and width) gives what counting again gives."""
    first = text_rows(text, width)
    _line_rows.cache_clear()
    assert text_rows(text, width) == first == text_rows(text, width)


def test_text_rows_hand_counted() -> None:
    # 12 cells at 5: "aaaa " | "bbbb " | "cc"; a word longer than the width is folded
    assert text_rows("aaaa bbbb cc", 5) == 3
    assert text_rows("abcdefghij", 4) == 3
    assert text_rows("ab\n\ncd", 10) == 3
    assert text_rows("漢字漢字", 4) == 2  # two cells each
    assert text_rows("a\tb", 5) == 2  # the tab expands to column 8

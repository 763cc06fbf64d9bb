"""``stepping.text_rows`` counts the rows Textual wraps a text to (the status's and the equation's
room hang on it) without building the wrapped lines: it must agree with ``Content.wrap`` on every
text, runs of spaces, tabs, wide and zero-width characters, control codes and blank lines included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content

from bptui.core.formulas.notation import num
from bptui.tui.stepping import SEPARATOR, _line_rows, break_at_separators, text_rows

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


# 800 examples: each of ten wrong counts tried on text_rows (tabs not expanded or at 4, control codes kept, len
# for cells, a word that just fits taken for one that does not, a fold's offset one off, a fold cut at the line's
# start, text.splitlines, the blank after a word counted, the one-cell path for any line) fails by the 388th (the
# same examples on every run: the deterministic profile); 2000 caught no more
@settings(max_examples=800)
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


PART = st.text(alphabet="ab =⁽¹⁾0.5", min_size=1, max_size=30).filter(lambda p: "·" not in p and p.strip() == p)


@given(st.lists(st.lists(PART, min_size=1, max_size=8), min_size=1, max_size=3), st.integers(10, 90))
@settings(max_examples=200, deadline=None)
def test_a_status_breaks_between_its_parts(lines: list[list[str]], width: int) -> None:
    """A status line too long for its row is cut between its ` · ` parts, never inside one, and only
    where that takes no more rows than wrapping it at its spaces (the rows the status is given)."""
    text = "\n".join(SEPARATOR.join(parts) for parts in lines)
    broken = break_at_separators(text, width)
    assert broken.replace("\n", SEPARATOR).split(SEPARATOR) == text.replace("\n", SEPARATOR).split(SEPARATOR)
    assert text_rows(broken, width) <= text_rows(text, width)
    for parts in lines:  # each line is cut between parts, or left whole where that would take more rows
        line = SEPARATOR.join(parts)
        cut = break_at_separators(line, width)
        if cut != line:
            # a row wider than the width ends with a part wider than the width (it wraps where it stands)
            assert all(len(row) <= width or len(row.split(SEPARATOR)[-1]) > width for row in cut.split("\n"))
            assert text_rows(cut, width) <= text_rows(line, width)
        elif len(line) > width and all(len(p) <= width for p in parts):
            assert _line_rows(line, width) < len(_greedy(parts, width))


def _greedy(parts: list[str], width: int) -> list[str]:
    """Whole parts packed into rows of ``width``, as a reader would cut them (the test's own count)."""
    rows = [parts[0]]
    for part in parts[1:]:
        if len(rows[-1]) + len(SEPARATOR) + len(part) <= width:
            rows[-1] += SEPARATOR + part
        else:
            rows.append(part)
    return rows


async def test_moons_status_wraps_between_its_parts_at_120_columns() -> None:
    """moons at 120×40, step 6: the second line is cut before `ℓ_D so far = 0.662`, not inside it
    (it wrapped as `ℓ_D so far =` / `0.662`)."""
    from bptui.core.util import validate
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    path = str(NETWORKS / "moons.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.main is None or app.screen is not app.main:
            await pilot.pause()
        for _ in range(6):
            app.main.action_next()
        await pilot.pause()
        status = app.main.query_one("#status")
        rows = [strip.text.strip() for strip in status.render_lines(status.content_region.reset_offset)]
        loss = f"ℓ_D so far = {num(app.main.stepper.state.loss_D, app.main.digits)}"
        assert loss in rows, rows
        assert rows[1].endswith("ℓ⁽¹⁾ = 0.662") and rows[1].startswith("epoch 1 · example 1 of 160"), rows


@settings(max_examples=1000, deadline=None)
@given(TEXTS, st.integers(1, 130))
def test_a_lines_cuts_are_richs_divide_line(text: str, width: int) -> None:
    """Where a line is cut (``stepping._cuts``: what the equation and the status draw and count) is rich's
    ``divide_line(line, width, fold=True)``, for lines of one-cell characters (cut by their lengths) and any
    other (rich's own)."""
    from rich._wrap import divide_line

    from bptui.tui.stepping import _cuts

    for line in text.split("\n"):
        _cuts.cache_clear()
        assert _cuts(line, width) == divide_line(line, width, fold=True), line


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="abc019.,=+−·⊙⁽⁾¹²ₖ…[]", min_size=1, max_size=40),
                          st.text(alphabet=" ", min_size=1, max_size=4)), max_size=30).map("".join),
       st.integers(1, 60))
def test_a_line_of_one_cell_characters_is_wrapped_without_measuring_its_cells(line: str, width: int) -> None:
    """A line whose every character is a cell (an equation's numbers with −, ⁽¹⁾ and …) is counted and cut
    by its characters: rich measures a new text a character at a time, and the equation line is measured
    again for each cut it tries (``BoardText._show_equation``: about a million instructions a try)."""
    import rich._wrap

    from bptui.tui import stepping

    measured: list[str] = []
    real_wrap, real_stepping = rich._wrap.cell_len, stepping.cell_len

    def counting(text: str, *args: object) -> int:
        measured.append(text)
        return real_wrap(text, *args)

    stepping._line_rows.cache_clear()
    stepping._cuts.cache_clear()
    rich._wrap.cell_len = stepping.cell_len = counting  # type: ignore[assignment]
    try:
        rows = text_rows(line, width)
    finally:
        rich._wrap.cell_len, stepping.cell_len = real_wrap, real_stepping  # type: ignore[assignment]
    assert rows == wrapped(line, width)
    assert not measured, measured

"""The status and the equation (``stepping.TextLine``) keep each line's rows while the line is the
same and draw a line of one-cell characters themselves: every row must be what Textual's Content
draws for the whole text (its cuts, its styles, the offsets a text selection reads), and what the
screen shows must follow each step."""

from __future__ import annotations

import random

from textual._compositor import Compositor
from textual.content import Content
from textual.visual import Visual

from bptui.tui.stepping import TextLine

from .tui_helpers import app_for


def _drawn(strips) -> list[list[tuple[str, object]]]:
    return [[(seg.text, seg.style) for seg in strip if seg.text] for strip in strips]


ONE_CELL = ["abc", "x0.5", "=", "+", "−", "·", "⊙", "⁽¹⁾", "ₖ", " ", "   ", "\n", "\n\n", "δ⁽²⁾ = f′(s⁽²⁾)", "…",
            " (x: the whole equation)", "epoch 1 · example 3 of 4", "W⁽¹⁾₁₂ = 0.4913 − 0.5 · 0.0316",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
OTHERS = ["\t", " \t ", "漢字", "ｗｉｄｅ", "😀", "e\u0301", "a\u200db", "\x07"]  # drawn whole by Content


def _texts(n: int) -> list[str]:
    """Texts of what a status or an equation is made of and of what trips a wrap written by hand:
    three in four of one-cell characters only (TextLine cuts those itself)."""
    rng = random.Random(24)
    return ["".join(rng.choice(ONE_CELL if i % 4 else ONE_CELL + OTHERS) for _ in range(rng.randrange(0, 40)))
            for i in range(n)]


async def test_a_text_lines_rows_are_textuals_rows():
    """800 texts at widths 1–130, each after the last (so that kept lines are reused): the rows
    TextLine draws are, segment by segment and style by style, Content's rows of the whole text."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        line = app.main.query_one("#equation", TextLine)
        rng = random.Random(5)
        widths = [rng.randrange(1, 131) for _ in range(20)]
        for i, text in enumerate(_texts(800)):
            width = widths[i % len(widths) // 5]  # (runs of the same width: the kept lines are used)
            ours = line._draw(text, width)
            textual = Visual.to_strips(line, Content(text), width, None, line.visual_style)
            assert _drawn(ours) == _drawn(textual), (text, width)
            assert [s.cell_length for s in ours] == [s.cell_length for s in textual], (text, width)


async def test_the_status_and_equation_on_screen_follow_each_step():
    """xor: after each step the screen's rows under the status and the equation are the status's and
    the equation's new text (not the rows kept from the step before)."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        status, equation = app.main.query_one("#status", TextLine), app.main.query_one("#equation", TextLine)

        def on_screen(widget: TextLine) -> list[str]:
            rows = [strip.text for strip in Compositor.render_strips(app.screen._compositor)]
            region = widget.content_region
            return [rows[y][region.x:region.right].rstrip() for y in range(region.y, region.bottom)]

        before = None
        for _ in range(6):
            await pilot.press("n")
            await pilot.pause()
            shown = on_screen(status), on_screen(equation)
            for widget, rows in zip((status, equation), shown):
                text = str(widget.render())
                assert [row for row in rows if row] == [row.rstrip() for row in text.split("\n") if row.strip()]
            assert shown[0][1:] != (before or shown)[0][1:] or before is None  # the step's line changed
            assert shown[1] != (before or ((), ()))[1]
            before = shown

"""A sequence's status writes as many of x_τ's and y_τ's rows as keep it from moving the panels down (its
room, ``status_room``, and the row it may take from the equation), or to the fewest rows it can take (one of
each written): tiny_transformer's five of each took 7 of 24 rows
at 80×24, where its panels had 12. Each row it writes is the example's own, its first ones."""

import numpy as np
import pytest
from textual.content import Content

from bptui.core.formulas.notation import num
from bptui.tui.seq_sheet import status_lines
from bptui.tui.stepping import EQUATION_LEAST, EQUATION_LINES, status_room

from .tui_helpers import app_for


def _rows(text: str, width: int) -> int:
    return len(Content(text).wrap(width))


@pytest.mark.parametrize("name", ["tiny_transformer", "count_tokens", "long_memory_lstm"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_a_sequences_status_keeps_to_its_room_with_the_rows_it_can(name, size):
    app = app_for(name)
    async with app.run_test(size=size) as pilot:
        while app.main is None or app.screen is not app.main:
            await pilot.pause()
        screen = app.main
        for _ in range(3):
            screen.action_next()
            await pilot.pause()
            stepper, digits = screen.stepper, screen.digits
            width = screen.query_one("#status").content_region.width
            room = status_room(size[0]) + EQUATION_LINES - EQUATION_LEAST  # (a row taken from the equation)
            text = screen.status_text()
            x = np.asarray(stepper.where().x)
            x_part = text.split("x_τ = ")[1].split(", y")[0]
            shown = x_part.count("[")
            rows = ["[" + ", ".join(num(float(v), digits) for v in r) + "]" for r in x]
            assert x_part == ", ".join(rows[:shown]) + (f", … ({len(x)} steps)" if shown < len(x) else ""), text
            fewest = max(room, _rows(text.replace(status_lines(stepper, digits, shown)[0],
                                                  status_lines(stepper, digits, 1)[0]), width))
            assert _rows(text, width) <= fewest, (shown, text)
            if shown < min(len(x), 8):  # one row more (eight at the most) would take a row more than it may
                more = text.replace(status_lines(stepper, digits, shown)[0], status_lines(stepper, digits, shown + 1)[0])
                assert _rows(more, width) > fewest, (shown, text)


async def test_tiny_transformer_at_80_columns_gives_its_panels_a_row():
    app = app_for("tiny_transformer")
    async with app.run_test(size=(80, 24)) as pilot:
        while app.main is None or app.screen is not app.main:
            await pilot.pause()
        app.main.action_next()
        await pilot.pause()
        status = app.main.query_one("#status")
        assert _rows(app.main.status_text(), status.content_region.width) == 6  # 7 with every row written
        assert "x_τ = [1, 0, 0], … (5 steps)" in app.main.status_text()

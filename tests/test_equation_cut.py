"""A long equation cut to its three lines ends in ``… (x: the whole equation)`` right after its last
character: moons at 80×24 with 6 digits, after ``b``, read ``[1,  … (x: the whole equation)``, the cut
falling after a space."""

from __future__ import annotations

import pytest

from .tui_helpers import app_for


@pytest.mark.asyncio
async def test_a_cut_equation_has_no_blank_before_its_pointer():
    app = app_for("moons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "plus")
        seen = 0
        for key in ["b", "n", "n", "n", "n", "n", "n", "n", "n", "n"]:
            await pilot.press(key)
            await pilot.pause()
            text = str(app.query_one("#equation").render())
            if text.endswith("… (x: the whole equation)"):
                seen += 1
                assert text[-len(" … (x: the whole equation)") - 1] != " ", text[-60:]
        assert seen

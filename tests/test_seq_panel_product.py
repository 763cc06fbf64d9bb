"""A sequence panel marks the step's product on the board's row it wrote: an LSTM's or a GRU's h step
writes the board's o (the grid's h rows), a residual block's dx its δ rows, as a profile's panel does."""

from __future__ import annotations

import pytest

from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp
from bptui.tui.seq_sheet import SeqSheet

from .conftest import NETWORKS


@pytest.mark.parametrize("name", ["long_memory_lstm", "gru_parity"])
async def test_a_sequence_panel_marks_the_row_its_step_wrote(name: str) -> None:
    app = BptuiApp(load(NETWORKS / f"{name}.json"))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        seen = set()
        for _ in range(36):
            app.main.action_next()
            await pilot.pause()
            key = app.stepper.last.key
            panel = next((p for p in app.main.query(SeqSheet) if p.l_index == key.layer), None)
            if panel is None or key.phase != "forward":
                continue
            row = app.stepper.spec.layer_kinds[key.layer - 1].board_quantity(key.quantity)
            marked = {k[0] for line in panel.lines for _, style, k in line
                      if k is not None and style is not None and style.endswith("+")}
            assert marked == {row}, (key, marked)
            seen.add(key.quantity)
        assert "h" in seen  # (the gated layer's h step: its row is the board's o)

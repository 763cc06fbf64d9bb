"""The rows of a layer unrolled in time that hold its fan-in ∂ℓ/∂x (the gradient it sends to its input x) are
named alike in the lecture's sequence panel, whichever kind sends it (issue 24 item 6): a residual block's
rows read ``∂x b=1`` as a layer norm's and an attention layer's do, not ``dx b=1`` (the code's name of its
step), in the label column's seven places."""

from __future__ import annotations

from bptui.core.engine.kind import FAN_IN_ROW
from bptui.core.formats.spec import load

from .conftest import NETWORKS


def _fan_in_labels(kind, width: int) -> list[str]:
    rows = dict(kind.panel_rows(width))
    return rows.get("delta", rows.get("dx", []))


def test_every_kinds_fan_in_rows_are_named_as_one():
    spec = load(NETWORKS / "tiny_transformer.json")
    seen = {}
    for kind, width in zip(spec.layer_kinds, spec.widths[1:]):
        labels = _fan_in_labels(kind, width)
        if kind.type in ("residual", "layernorm", "attention"):
            seen[kind.type] = labels[0]
            assert labels[0] == f"{FAN_IN_ROW} b=1" and len(labels[0]) <= 7, (kind.type, labels)
            assert not any(label.startswith("dx") for label in labels)
    assert set(seen) == {"residual", "layernorm", "attention"}


async def test_the_residual_blocks_panel_names_its_fan_in_rows_as_the_lecture_does():
    """tiny_transformer's first block on screen: its ∂ℓ/∂x rows read ``∂x b=1``."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.seq_sheet import SeqSheet

    app = BptuiApp(load(NETWORKS / "tiny_transformer.json"))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        sheet = app.main.query_one("#layer-1", SeqSheet)
        text = "\n".join(sheet.render_line(y).text for y in range(sheet.size.height))
    assert "∂x b=1" in text and "dx b=1" not in text

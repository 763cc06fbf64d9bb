"""The rows of a layer unrolled in time that hold its fan-in ∂ℓ/∂x (the gradient it sends to its input x) are
named alike in the lecture's sequence panel, whichever kind sends it (issue 24 item 6): a residual block's
rows read ``∂x b=1`` as a layer norm's and an attention layer's do, not ``dx b=1`` (the code's name of its
step), in the label column's seven places."""

from __future__ import annotations

import pytest

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



@pytest.mark.parametrize("profile", [None, "ng", "cs231n", "goodfellow", "nielsen"])
def test_a_blocks_fan_in_on_a_sequence_is_written_as_its_panels_name_it(profile):
    """tiny_transformer's first block, its fan-in step at each τ: the equation's left side is the symbol on the
    block's rows (``row_symbol``, the kind's dx_sym: ng's dx^[1]₁, not ∂J/∂x^[1]₁ beside rows that read dx^[1])
    and its skip's part the symbol a block's panel heads it with (the kind's "up": ng's da^[1]), in every
    profile as in the lecture."""
    from dataclasses import replace

    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.formulas.profiles import PROFILES
    from bptui.core.kinds.residual import dx_sym

    P = None if profile is None else PROFILES[profile]
    stepper = Stepper(load(NETWORKS / "tiny_transformer.json"), notation=P)
    stepper.run_until(lambda s: s.key.layer == 1 and s.key.quantity in ("dx", "delta"))
    p = TextPrinter(notation=P).p
    up = stepper.net.kinds[0].profiled_names(1, P).syms["up"] if P is not None else None
    eqs = step_equations(stepper.net, stepper.state, stepper.last, stepper.spec.optimizer, notation=P)
    assert len(eqs) == 5  # one a τ (tiny_transformer's T = 5: attention inside mixes the τ)
    for tau, eq in enumerate(eqs, start=1):
        line = TextPrinter(notation=P).equation(eq)
        lhs = p(dx_sym(1, None, tau))
        assert line.startswith(f"{lhs} = "), (profile, line, lhs)
        if up is not None:
            skip = p(replace(up, bottom=replace(up.bottom, time=tau)))
            assert line.startswith(f"{lhs} = {skip} + "), (profile, line, skip)

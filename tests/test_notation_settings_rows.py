"""The settings screen's layer rows in a profile (issue 23): the inputs row read d⁽⁰⁾ (the lecture's layer
index) in every profile, and an activation's parameter column α: none — ng's α is his learning rate, goodfellow's
his momentum. Named through the profile now: the inputs' d with the profile's layer index (ng's d^[0], nielsen's
d¹), and the activation's parameter under a letter the profile leaves free (profiles.CLASHES), the letter its
equations print (a leaky ReLU's f in ng's pages), α where the profile has no α of its own."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES, QUANTITIES
from bptui.core.ops.activations import ALPHA

from .test_settings_dialog import NETWORKS, load, open_settings

EXPECTED = {None: ("inputs d⁽⁰⁾", "α"), "nielsen": ("inputs d¹", "α"), "ng": ("inputs d^[0]", "κ"),
            "goodfellow": ("inputs d⁽⁰⁾", "κ")}


@pytest.mark.parametrize("name", list(PROFILES))
def test_the_activations_parameter_is_no_symbol_of_the_profile(name):
    P = PROFILES[name]
    letter = TextPrinter(notation=None if name == "lecture13" else P).p(ALPHA)
    used = {P.symbol(q).text for q in QUANTITIES} | {s.text for k, s in P.own_letters().items()}
    assert letter not in used
    assert (letter == "α") == ("α" not in used)  # renamed only where the profile writes α itself


@pytest.mark.parametrize("notation", list(EXPECTED))
async def test_the_layer_rows_are_named_in_the_apps_notation(notation):
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"), PROFILES[notation] if notation else None)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        rows = [str(row.render()) for row in screen.query(".row") if row.display]
        inputs, alpha = EXPECTED[notation]
        assert inputs in rows, rows
        assert not any(r.startswith("inputs d") and r != inputs for r in rows)
        hints = {w.placeholder for w in screen.query(Input) if w.has_class("alpha")}
        assert hints and all(h.startswith(alpha + " ") or h.startswith(alpha + ":") for h in hints), hints
        if alpha != "α":
            assert not any("α" in h for h in hints)


async def test_choosing_a_notation_renames_the_layer_rows_at_once():
    from textual.widgets import Select

    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        for notation in ("ng", "nielsen", None):
            screen.query_one("#notation", Select).value = notation or "lecture13"
            await pilot.pause()
            inputs, alpha = EXPECTED[notation]
            rows = [str(row.render()) for row in screen.query(".row") if row.display]
            assert inputs in rows, rows
            hints = {w.placeholder for w in screen.query(Input) if w.has_class("alpha")}
            assert hints and all(h.startswith(alpha) for h in hints), hints

"""A gated layer's own gradients ∂ℓ/∂h and ∂ℓ/∂c (issue 23) take the profile's gradient prefix, as a layer norm's,
a block's, pooling's and attention's do (``Partial.prefixed``): cs231n's dh¹, ng's dc^[1], goodfellow's ∇_h⁽¹⁾ J,
nielsen's ∂C/∂h (his prefix is the partial itself), the lecture's ∂ℓ/∂h⁽¹⁾ — on the equation line, the panel's
rows, the quiz's question, the explanation and the ‖·_τ‖ time panel alike."""

from __future__ import annotations

import pytest

from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.core.teaching.explain import explain
from bptui.core.teaching.quiz import cell_symbol, quiz_cells
from bptui.examples import resolve

# ∂ℓ/∂h⁽¹⁾ at τ = 2 of a gated layer 1 in each profile, by hand (nielsen's input is layer 1: his gated layer is 2)
DH = {"cs231n": "dh¹₂", "ng": "dh^[1]₂", "goodfellow": "∇_h⁽¹⁾₂ J", "nielsen": "∂C/∂h²₂", None: "∂ℓ/∂h⁽¹⁾₂"}


@pytest.mark.parametrize("network, steps", [("long_memory_lstm", ("dh", "dc")), ("gru_parity", ("dh",))])
@pytest.mark.parametrize("name", list(DH))
def test_a_gated_layers_own_gradients_take_the_profiles_gradient_prefix(network, steps, name):
    P = PROFILES[name] if name else None
    stepper = Stepper(load_any(resolve(network)), notation=P)
    kind, text = stepper.net.kinds[0], TextPrinter(4, notation=P)
    for q in steps:  # the panel's row and the time panel's name: the kind's step symbol
        want = DH[name].replace("h", q[1], 1) if name != "goodfellow" else DH[name].replace("_h", "_" + q[1])
        assert text.p(kind.step_sym(q, 1, 2)) == want
    head = DH[name].split("h")[0]  # d, ∇_, ∂C/∂, ∂ℓ/∂
    seen: set[str] = set()
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        k = step.key
        if k.layer != 1 or k.quantity not in steps or k.quantity in seen:
            continue
        seen.add(k.quantity)
        lines = [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                          notation=P)]
        assert all(line.startswith(head + k.quantity[1]) for line in lines), lines
        if name in ("cs231n", "ng", "goodfellow"):
            assert not any("∂" in line for line in lines), lines
        cell = quiz_cells(stepper.spec, k, step.value)[0].cell
        asked = cell_symbol(stepper, cell)
        assert asked.startswith(head + k.quantity[1]) and explain(stepper, cell, 4).text().startswith(f"{asked} = ")
        if name in ("cs231n", "ng", "goodfellow"):
            assert "∂" not in explain(stepper, cell, 4).text()
        if seen == set(steps):
            break
    assert seen == set(steps)


@pytest.mark.parametrize("name, network, want", [
    ("cs231n", "long_memory_lstm", ["‖dc¹_τ‖ and ‖dh¹_τ‖ over τ", "‖dc¹₁‖ = ", "‖dh¹_T‖ = "]),
    ("goodfellow", "gru_parity", ["‖∇_h⁽¹⁾_τ J‖ over τ", "‖∇_h⁽¹⁾₁ J‖ = "]),
])
def test_the_time_panel_names_a_gated_layers_norms_with_the_prefix(name, network, want):
    from bptui.tui.time_plot import DeltaOverTime

    spec = load_any(resolve(network))
    plot = DeltaOverTime(spec, PROFILES[name])
    plot.show(spec.weights)
    text = plot.border_title + "\n" + str(plot.render())
    assert all(w in text for w in want), text
    assert "∂" not in text

"""The help's gradient rule of a dense layer that reads a layer over time (issue 23): its step multiplies δ⁽ˡ⁾ by
[1, o⁽ˡ⁻¹⁾] where the bias is column 0 of W (``equations.fed``: an rnn's o has no 1 of its own), and the help wrote
the general G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ beside it. In every profile the help holds the step's rule, its time index
left out (or the general rule, read with the layer's number)."""

from __future__ import annotations

import pytest

from bptui.core.engine.equations import network_formulas, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import Equation, Sym, TextPrinter, substitute, walk
from bptui.examples import resolve
from bptui.tui.help import help_text

from .test_notation import ALL


def _at_layer(eq: Equation, l: int) -> Equation:
    """A general rule (layer l, l−1, l+1) read at layer ``l``."""
    numbers = {"l": l, "l-1": l - 1, "l+1": l + 1}
    names = {n: Sym(**{**n.__dict__, "layer": numbers[n.layer]}) for part in (eq.lhs, *eq.forms) for n in walk(part)
             if isinstance(n, Sym) and n.layer in numbers}
    return Equation(substitute(eq.lhs, names), tuple(substitute(f, names) for f in eq.forms), eq.rel)


@pytest.mark.parametrize("network", ["parity", "gru_parity", "count_tokens"])
@pytest.mark.parametrize("name", list(ALL))
def test_the_helps_gradient_rule_above_a_layer_over_time_is_its_steps(network, name):
    P = ALL[name]
    spec = load_any(resolve(network))
    stepper = Stepper(spec, notation=P)
    text = TextPrinter(notation=P)
    dense = [l for l in range(2, spec.L + 1) if not stepper.net.kinds[l - 1].over_time
             and stepper.net.kinds[l - 2].over_time and stepper.net.kinds[l - 1].rules(stepper.net, l) is None]
    assert dense
    rules = network_formulas(stepper.net, spec.optimizer, P)
    shown = help_text(spec, P, width=10_000)
    seen = set()
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        k = step.key
        if k.phase != "backward" or k.quantity != "G" or k.layer not in dense or k.layer in seen:
            continue
        seen.add(k.layer)
        eq = step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)[0]
        untimed = {n: Sym(**{**n.__dict__, "time": None}) for n in walk(eq.forms[0]) if isinstance(n, Sym)}
        want = f"{text.p(eq.lhs)} ← {text.p(substitute(eq.forms[0], untimed))}"
        written = [text.equation(_at_layer(r, k.layer)) for r in rules if r.rel == "←"]
        assert want in written, (want, written)
        if name == "lecture13":
            assert want in shown and "[1, o⁽¹⁾]ᵀ" in want, (want, shown)
    assert seen == set(dense)

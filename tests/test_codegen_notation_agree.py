"""A notation profile's program says what the profile's panels and trace print (issue 23, "one truth").

- The comment of a gradient line in a mean profile divides by the update group's size as the panels print it:
  |B| where the profile's m is taken (Adam's first moment m, dropout's mask m), m otherwise; the update's
  g = |B| dW likewise. Every kind that writes gradient lines (dense, conv, the dense layer reading a map, rnn,
  LSTM, GRU), checked against the trace's own gradient step of the same layer.

The programs are written, not run here (test_codegen_notation*.py run them).
"""

from __future__ import annotations

import re

import pytest

from bptui import codegen
from bptui.core.engine.equations import group_symbol, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS

MEAN = [name for name, P in PROFILES.items() if P.mean]
# network: (its steps to export, the group size as the panels print it in a mean profile)
NETS = {"shapes": (200, "|B|"), "iris": (40, "|B|"), "parity": (40, "|B|"), "long_memory_lstm": (200, "|B|"),
        "gru_parity": (40, "|B|"), "moons": (40, "m"), "two_channel": (40, "m")}


def _printed_group(stepper, P) -> set[str]:
    """The divisor every gradient step of the trace prints (``)/X`` at the end of its rule)."""
    text = TextPrinter(4, notation=P)
    seen = set()
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if step.key.phase == "backward" and step.key.quantity == "G":
            for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
                rule = text.p(e.lhs) + " ← " + text.p(e.forms[0])
                seen.update(re.findall(r"\)/(\|B\||m)\b", rule) if "|B|" not in rule else re.findall(r"\)/(\|B\|)", rule))
        if step.key.phase == "update":
            break
    return seen


@pytest.mark.parametrize("name", MEAN)
@pytest.mark.parametrize("net", sorted(NETS))
def test_a_gradient_comment_divides_by_the_group_as_the_panels_print_it(net, name):
    P = PROFILES[name]
    spec = load_any(str(NETWORKS / f"{net}.json"))
    steps, group = NETS[net]
    stepper = Stepper(spec, notation=P)
    assert TextPrinter(notation=P).p(group_symbol(spec.optimizer, stepper.net.kinds)) == group
    assert _printed_group(stepper, P) == {group}  # the trace's gradient steps
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, steps), None, P)
    grads = [line for line in text.splitlines() if re.search(r"\+= .* / m  # ", line)]
    assert grads, text[:2000]
    for line in grads:
        comment = line.split("  # ", 1)[1]
        assert f"/{group}" in comment, line
        if group != "m":
            assert not re.search(r"/m\b", comment), line
    updates = [line for line in text.splitlines() if re.search(r"^\s*g = m \* ", line)]
    assert updates
    for line in updates:
        assert f"# g = {group} " in line, line


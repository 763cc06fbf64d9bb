"""A notation profile's program words its comments and names as the profile's panels and trace print them (issue 23's
closing note, the last small disagreements): the per-example loss's name, the optimizer's rule, an activation over
time, a kind's letters as the profile settles them, an index over time, a block's rule, a refusal's words.

The programs are written, not run here (test_codegen_notation*.py run them in every profile)."""

from __future__ import annotations

import re

import pytest

from bptui import codegen
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS

SHIPPED = [p for p in PROFILES if p != "lecture13"]


def _program(net: str, name: str, fmt: str = "numpy", steps: tuple[int, int] = (1, 40)) -> str:
    spec = load_any(NETWORKS / f"{net}.json")
    text, _ = codegen.program(spec, fmt, codegen.record(spec, *steps), None, PROFILES[name])
    return text


def _trace(net: str, name: str, steps: int) -> list[str]:
    """``bptui trace --notation``'s lines of the first ``steps`` steps (each step's rule and numbers)."""
    from bptui.core.engine.equations import step_equations

    spec = load_any(NETWORKS / f"{net}.json")
    P = PROFILES[name]
    stepper = Stepper(spec, notation=P)
    text = TextPrinter(4, notation=P)
    lines = []
    for _ in range(steps):
        step = stepper.forward()
        lines += [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)]
    return lines


# profile: the per-example loss as its trace prints it (example 1; example n), and its name in the program
LOSSES = {"ng": ("ℒ⁽¹⁾", "ℒ⁽ⁿ⁾", "L_n"), "nielsen": ("C₁", "Cₙ", "C_n"), "goodfellow": ("J⁽¹⁾", "J⁽ⁿ⁾", "J_n"),
          "cs231n": ("L₁", "Lₙ", "L_n")}


@pytest.mark.parametrize("name", SHIPPED)
def test_the_loss_variable_is_named_after_the_one_example_loss(name):
    """ng writes one example's loss ℒ⁽ⁿ⁾ and the cost J apart: the program's variable is L_n (ℒ's letter), commented
    with ℒ⁽ⁿ⁾, not J_n (the cost's letter); the other profiles write one example's loss with the loss's own letter."""
    printed, symbol, var = LOSSES[name]
    assert any(line.startswith(printed + " = ") for line in _trace("xor", name, 5))
    for fmt in ("numpy", "pytorch"):
        text = _program("xor", name, fmt, (1, 9))
        lines = [line.strip() for line in text.splitlines() if re.match(r"\s*\w+_n = ", line)]
        assert lines and all(line.startswith(f"{var} = ") for line in lines), (fmt, lines)
        assert lines[0].split("  # ")[1].startswith(symbol), lines[0]
        assert f"check({var}, " in text

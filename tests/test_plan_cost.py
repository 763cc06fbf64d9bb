"""What the last-digit rule (:func:`plan`) and the equation line do per line, counted: the four-gate LSTM δ
and the GRU's (a form of twelve arrays tried 14–20 times) enter NumPy's errstate once a plan, not once a
product of every trial nor once a number rounded, and the trials' values are the same floats as the interval evaluation's low end
(tests/test_plan_reference.py checks the digits against the straightforward plan)."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas import formula

from .conftest import NETWORKS


def delta_line(name: str, layer: int, nth: int):
    """The equations of the ``nth`` backward δ step of ``layer`` (0: the first, the last τ)."""
    st = Stepper(load_any(NETWORKS / f"{name}.json"))
    seen = 0
    while st.position < len(st.schedule):
        step = st.forward()
        k = step.key
        if k.phase == "backward" and k.quantity == "delta" and k.layer == layer:
            if seen == nth:
                return step_equations(st.net, st.state, step, st.spec.optimizer, None, st.notation)
            seen += 1
    raise AssertionError("no such step")


@pytest.mark.parametrize("name,nth", [("long_memory_lstm", 0), ("long_memory_lstm", 2), ("gru_parity", 2)])
def test_a_plan_enters_errstate_once(name, nth, monkeypatch):
    eqs = delta_line(name, 1, nth)
    entered = []
    real = np.errstate

    class Counting(real):  # type: ignore[misc,valid-type]
        def __enter__(self):
            entered.append(1)
            return super().__enter__()

    monkeypatch.setattr(formula, "_SHOWN", {})  # every number rounded afresh, as on a new step
    monkeypatch.setattr(np, "errstate", Counting)
    planned = [formula._plan(eq, 4) for eq in eqs]
    assert any(p.forms != eq.forms for p, eq in zip(planned, eqs))  # the δ line's operands got extra digits
    assert len(entered) <= 2 * len(eqs), len(entered)

"""A recurrent layer's gradient step in a profile (issue 23): the step equations write the gradient of
W and the gradient of U apart, each under the symbol the panel names its columns by
(``LayerKind.gradient_parts``: ∂C/∂w² and ∂C/∂U², dW¹ and dU¹, …), each with its own numbers, as a
separate bias's ∂ℓ/∂b is written apart from ∂ℓ/∂W.

The expected numbers come from the board (G before and after the step) cut at the parts' columns, as
the profile shows them (without the bias column, G/m in a mean profile, transposed with row vectors);
every equation's arithmetic holds (formula_checks.check_equation) and the quiz hides a U entry there.
"""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.equations import Gb, group_size, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import Arr, Op, TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS
from .formula_checks import check_equation

SHIPPED = ("nielsen", "goodfellow", "ng", "cs231n")
RECURRENT = ("parity", "gru_parity", "long_memory_lstm")


def _shown(P, M: np.ndarray, m: int) -> np.ndarray:
    M = M / m if P.mean else M
    return M.T if P.vectors == "row" else M


@pytest.mark.parametrize("network", RECURRENT)
@pytest.mark.parametrize("name", SHIPPED)
def test_a_recurrent_gradient_step_names_w_and_u_apart_with_each_parts_numbers(name, network):
    P = PROFILES[name]
    spec = load(NETWORKS / f"{network}.json")
    stepper = Stepper(spec, notation=P)
    kind = stepper.net.kinds[0]
    assert kind.over_time
    parts = kind.gradient_parts(1)
    assert len(parts) == 2  # W's, then U's
    cols = [c for c, _ in parts] + [kind.param_shape[1]]
    text = TextPrinter(4, notation=P)
    seen = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if not (step.key.phase == "backward" and step.key.quantity == "G" and step.key.layer == 1):
            continue
        m = group_size(stepper.net, step.key)
        before, after = np.asarray(step.before, dtype=float), np.asarray(stepper.state.G[1], dtype=float)
        eqs = step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)
        by_lhs = {e.lhs: e for e in eqs}
        # W's, U's, b's (and a GRU's U bias b_{h}'s: U's own column 0, at column 1 + d, is no U column here)
        assert len(by_lhs) == len(eqs) == 3 + kind.u_bias, [text.equation(e) for e in eqs]
        for i, (first, sym) in enumerate(parts):
            start = max(first, 1) + (kind.u_bias if i else 0)  # a separate bias: column 0 is b's
            eq = by_lhs.get(sym)
            assert eq is not None, (text.p(sym), [text.equation(e) for e in eqs])
            result = eq.forms[-1]
            assert isinstance(result, Arr)
            np.testing.assert_allclose(result.values, _shown(P, after[:, start:cols[i + 1]], m), rtol=1e-12, atol=1e-15)
            numbers = eq.forms[1]
            assert isinstance(numbers, Op) and isinstance(numbers.args[0], Arr)
            np.testing.assert_allclose(numbers.args[0].values, _shown(P, before[:, start:cols[i + 1]], m),
                                       rtol=1e-12, atol=1e-15)
            shown = text.equation(eq)
            assert shown.startswith(f"{text.p(sym)} ← {text.p(sym)} + "), shown
        b = by_lhs[Gb(1)].forms[-1]
        assert isinstance(b, Arr)
        np.testing.assert_allclose(b.values, after[:, 0] / (m if P.mean else 1), rtol=1e-12, atol=1e-15)
        if kind.u_bias:
            from bptui.core.kinds.rnn.profiled import u_bias_grad

            b_h = by_lhs[u_bias_grad(1)].forms[-1]
            assert isinstance(b_h, Arr) and b_h.values.ndim == 1
            np.testing.assert_allclose(b_h.values, after[:, parts[1][0]] / (m if P.mean else 1), rtol=1e-12, atol=1e-15)
        for e in eqs:
            assert check_equation(plan(e, 4), 4, stepper, where=f"{name} {network} step {step.key.step}") > 0
        seen += 1
        if seen >= 6:
            break
    assert seen >= 6


@pytest.mark.parametrize("network", RECURRENT)
@pytest.mark.parametrize("name", SHIPPED)
def test_a_recurrent_layers_rules_write_w_and_u_gradients_apart(name, network):
    """The network's rules (the help's notation section, an export's) as the steps write them: one line
    for W's gradient, one for U's (each under the panel's name of its columns), one for b's."""
    from bptui.core.engine.equations import network_formulas

    P = PROFILES[name]
    stepper = Stepper(load(NETWORKS / f"{network}.json"), notation=P)
    kind = stepper.net.kinds[0]
    lines = [e for e in network_formulas(stepper.net, stepper.spec.optimizer, P) if e.rel == "←"]
    lhs = [e.lhs for e in lines]
    (_, Gw), (_, Gu) = kind.gradient_parts(1)
    assert lhs.count(Gw) == lhs.count(Gu) == lhs.count(Gb(1)) == 1, [TextPrinter(notation=P).equation(e) for e in lines]
    assert lhs.index(Gw) + 1 == lhs.index(Gu) and lhs.index(Gu) + 1 == lhs.index(Gb(1))
    if kind.u_bias:  # a GRU's U bias b_{h}: its own line after b's
        from bptui.core.kinds.rnn.profiled import u_bias_grad

        assert lhs.index(u_bias_grad(1)) == lhs.index(Gb(1)) + 1


@pytest.mark.parametrize("name", SHIPPED)
def test_a_u_gradient_entry_is_hidden_and_blanked_in_us_own_equation(name):
    """The quiz and an exercise name a number where the profile shows it (``shown_ref``: G's entry in the
    weights' part); in the step it stands in U's equation, at U's own index, and is hidden (``?``) and
    blanked there, nowhere else."""
    from bptui.core.formulas.formula import Ref, blank, hide
    from bptui.core.formulas.profiles import shown_ref

    P = PROFILES[name]
    stepper = Stepper(load(NETWORKS / "parity.json"), notation=P)
    kind = stepper.net.kinds[0]
    (_, Gw), (u_first, Gu) = kind.gradient_parts(1)
    while True:
        step = stepper.forward()
        if step.key.phase == "backward" and step.key.quantity == "G" and step.key.layer == 1:
            break
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    r, c = 2, u_first + 1  # U's entry (2, 1): row 2, U's second column
    ref = shown_ref(Ref("G", 1, (r, c)), P, stepper.spec.L)
    u_at = (1, r) if P.vectors == "row" else (r, 1)
    text = TextPrinter(4, notation=P)
    for e in eqs:
        hidden = hide(e, {ref}, 4)
        blanked = blank(e, {ref: 7}, {ref}, digits=4)
        result = hidden.forms[-1]
        assert isinstance(result, Arr)
        if e.lhs == Gu:
            assert result.hidden == u_at and "?" in text.equation(hidden)
            assert [(i, n) for i, n, _ in blanked.forms[-1].blanks] == [(u_at, 7)]
        else:
            assert result.hidden is None and "?" not in text.equation(hidden)
            assert not blanked.forms[-1].blanks

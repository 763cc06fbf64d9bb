"""A convolution's update in a profile (issue 23, "one truth"): the map panel shows the kernels a row each
(K × C·kh·kw, b apart or in column 0) in every profile, cs231n's too (it turns a *dense* W around, D × C,
because its rows are examples; a map's kernels are not turned around). The update step's equation line
shows W, its gradient and the optimizer's state (Adam's m, v, m̂, v̂; momentum's v) in the same form: each
number of the line is the entry of the board the kernel panel shows at the same place.

- pilot: cs231n shapes' first update of the convolution (step 166): m¹, v¹, m̂¹, v̂¹ and W¹ are 4 × 9, W¹'s
  entry (k, j) the board's W⁽¹⁾[k, 1 + j], m¹'s (1 − β₁)·G (Adam's first step; |B| dW the group's sum), and
  the line prints 4 rows of 9 values, never "(9×4)"; the dense layer above keeps cs231n's D × C (64 × 3).
- property: random conv networks × every profile × sgd, momentum and Adam: every update line of a
  convolution holds the board's kernel rows (its part's view maps each entry to the board's entry, a kernel
  per row), its arithmetic holds to the digits shown (formula_checks).
"""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load, parse
from bptui.core.formulas.formula import Arr, TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES, VIEWS

from .conftest import NETWORKS
from .formula_checks import check_equation
from .helpers import random_conv_doc
from .test_notation import ALL


def _first_update(stepper, layer: int):
    n = 0
    while True:
        step = stepper.forward()
        n += 1
        if step.key.phase == "update" and step.key.layer == layer:
            return step, n


def test_cs231n_shapes_first_conv_update_shows_the_kernels_a_row_each():
    P = PROFILES["cs231n"]
    stepper = Stepper(load(NETWORKS / "shapes.json"), notation=P)
    step, n = _first_update(stepper, 1)
    assert n == 166  # the trace's step 166
    W1, G = np.asarray(stepper.state.W[1]), np.asarray(stepper.state.G[1])
    assert W1.shape == (4, 10)  # 4 kernels: bias │ 3 × 3
    text = TextPrinter(4, notation=P)
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    by_lhs = {text.p(e.lhs): e for e in eqs}
    for name in ("m¹", "v¹", "m̂¹", "v̂¹", "W¹"):
        values = by_lhs[name].forms[-1].values
        assert np.shape(values) == (4, 9), (name, np.shape(values))
    np.testing.assert_array_equal(by_lhs["W¹"].forms[-1].values, W1[:, 1:])
    np.testing.assert_allclose(by_lhs["m¹"].forms[-1].values, 0.1 * G[:, 1:], rtol=1e-12)  # m = 0 before; G the sum
    np.testing.assert_array_equal(by_lhs["b¹"].forms[-1].values, W1[:, 0])
    line = text.equation(by_lhs["m¹"])
    # printed a kernel per row (m before, |B| dW and m after: 4 rows of 9 values each), never 9 rows of 4 as a dense W's D × C
    assert line.count("(9 values)") == 4 * 3 and "(9×4)" not in line, line[:300]
    for e in eqs:
        assert "(9×4)" not in text.equation(e)
        assert check_equation(plan(e, 4), 4, stepper, where=text.p(e.lhs)) > 0
    # the dense layer reading the map stays cs231n's D × C
    dense, _ = _first_update(stepper, 3)
    eqs3 = {text.p(e.lhs): e for e in step_equations(stepper.net, stepper.state, dense, stepper.spec.optimizer,
                                                        notation=P)}
    assert np.shape(eqs3["m³"].forms[-1].values) == (64, 3)
    assert np.shape(eqs3["W³"].forms[-1].values) == (64, 3)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_every_conv_update_line_holds_the_kernels_a_row_each(name, optimizer):
    P = ALL[name]
    seed = sorted(ALL).index(name) + 7 * ["sgd", "momentum", "adam"].index(optimizer)
    doc = random_conv_doc(seed, optimizer=optimizer, update=("full_batch", "per_example")[seed % 2])
    stepper = Stepper(parse(doc, "conv.json"), notation=P)
    kinds = stepper.net.kinds
    convs = {l for l, k in enumerate(kinds, start=1) if k.is_map and k.has_weights}
    assert convs
    text = TextPrinter(3, notation=P)
    seen = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if step.key.phase != "update" or step.key.layer not in convs:
            continue
        l = step.key.layer
        W1 = np.asarray(stepper.state.W[l])
        K = W1.shape[0]
        for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
            result = e.forms[-1]
            assert check_equation(plan(e, 3), 3, stepper, where=f"{name} {text.equation(e)[:80]}") > 0
            if not isinstance(result, Arr) or np.ndim(result.values) != 2:
                continue
            assert result.values.shape[0] == K, (name, text.p(e.lhs), result.values.shape)  # a kernel per row
            ref = result.ref
            if ref is not None and ref.quantity == "W":
                view = VIEWS[ref.view.partition("/")[0]]
                for idx in np.ndindex(result.values.shape):
                    assert result.values[idx] == W1[view.lecture(idx)]
                    assert view.lecture(idx)[0] == idx[0]
            seen += 1
    assert seen > 0

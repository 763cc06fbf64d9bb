"""A recurrent layer's update in a profile with a separate bias (issue 23): the stored [W │ U] (bias column
0, W's input columns, then U's; a GRU's U bias, PyTorch's ``bias_hh``, at column 1 + d) is updated as its
gradient steps write it, one line group per part: W, U, b (and a GRU's b_{h}), each with the optimizer's
state of that part under the part's name (m_U, v_U, g_U, the velocity v_U; m_b, m_{b_h}), its numbers that
part's columns of the board (transposed with row vectors, G/m in a mean profile).

- pilot: ng gru_parity's first update of the GRU, W (12×1), U (12×4), b and b_{h} (12 each), one entry
  hand-checked against the core's arrays (Adam's first step moves a weight by η g/(|g| + ε));
- property: random rnn, LSTM and GRU networks × every profile with a separate bias × sgd, momentum and
  Adam (with L2): every update line's numbers are the board's part, its arithmetic holds to the digits
  shown (formula_checks), and the parts' results put together are the whole update;
- the lecture's and a column-0 course's updates stay one line group of the whole matrix.
"""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.equations import group_size, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load, parse
from bptui.core.formulas.formula import Arr, Sym, TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS
from .formula_checks import check_equation
from .test_notation import ALL
from .test_notation_recurrent import recurrent_doc

SEPARATE = [n for n, P in ALL.items() if P.separate_bias]


def _first_update(stepper, layer: int = 1):
    while True:
        step = stepper.forward()
        if step.key.phase == "update" and step.key.layer == layer:
            return step


def test_ng_gru_parity_first_update_writes_w_u_b_and_b_h_apart():
    P = PROFILES["ng"]
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    step = _first_update(stepper)
    kind = stepper.net.kinds[0]
    d, h = kind.d, kind.h
    assert (d, h) == (1, 4)
    W0, W1, G = np.asarray(step.before), np.asarray(stepper.state.W[1]), np.asarray(stepper.state.G[1])
    assert W0.shape == (12, 1 + d + 1 + h)  # [b │ W │ U's bias │ U]
    m = group_size(stepper.net, step.key)
    text = TextPrinter(4, notation=P)
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    by_lhs = {text.p(e.lhs): e for e in eqs}
    # Adam: his v, s, v̂, ŝ (the lecture's m, v, m̂, v̂) and the parameter, once per part, under the part's name
    want = {"W^[1]": (slice(1, 2), (12, 1), ""), "U^[1]": (slice(3, 7), (12, 4), "_U"),
            "b^[1]": (0, (12,), "_b"), "b^[1]_{h}": (2, (12,), "_{b_h}")}
    assert len(eqs) == 5 * len(want), list(by_lhs)
    for name, (cols, shape, sub) in want.items():
        e = by_lhs[name]
        result = e.forms[-1]
        assert isinstance(result, Arr) and result.values.shape == shape, (name, np.shape(result.values))
        np.testing.assert_array_equal(result.values, W1[:, cols])
        first = by_lhs[f"v{sub}^[1]"]
        np.testing.assert_allclose(first.forms[-1].values, 0.1 * G[:, cols], rtol=1e-12)  # (1 − β₁)·g, m = 0 before
        assert check_equation(plan(e, 4), 4, stepper, where=name) > 0
        for e2 in eqs:
            assert check_equation(plan(e2, 4), 4, stepper, where=text.p(e2.lhs)) > 0
    # the gradient beside each part is its own: dU^[1] for U's line, db^[1]_{h} for b_h's
    assert "(m dU^[1])" in text.equation(by_lhs["v_U^[1]"])  # the group's m: his Adam's moment is v
    assert "(m db^[1]_{h})" in text.equation(by_lhs["v_{b_h}^[1]"])
    assert "dW^[1]" in text.equation(by_lhs["v^[1]"]) and "dU" not in text.equation(by_lhs["v^[1]"])
    # by hand: U's entry (reset gate, unit 2; from h unit 1) = board column 1 + d + 1 + 0 = 3; Adam's first
    # step: m̂ = g, v̂ = g², so w ← w − η g/(|g| + ε), g = m·(G/m) = G (full batch: the group's sum)
    g = G[1, 3]
    assert m == 28 and g != 0
    assert W1[1, 3] == pytest.approx(W0[1, 3] - 0.05 * g / (abs(g) + 1e-8), rel=1e-12)
    assert by_lhs["U^[1]"].forms[-1].values[1, 0] == W1[1, 3]
    assert by_lhs["b^[1]_{h}"].forms[-1].values[1] == W1[1, 2]


def _parts_cover(stepper, step, eqs, P) -> int:
    """Every column of [W │ U] is the result of exactly one part's update line (its last line group's
    parameter), with the board's number after the update."""
    W1 = np.asarray(stepper.state.W[step.key.layer])
    covered = np.zeros(W1.shape, dtype=int)
    params = [e for e in eqs if e.rel == "←" and isinstance(e.forms[-1], Arr) and e.forms[-1].ref is not None
              and e.forms[-1].ref.quantity == "W"]
    from bptui.core.formulas.profiles import VIEWS

    for e in params:
        ref, values = e.forms[-1].ref, e.forms[-1].values
        view = VIEWS[ref.view.partition("/")[0]]
        for idx in np.ndindex(values.shape):
            at = view.lecture(idx)
            covered[at] += 1
            assert values[idx] == W1[at]
    assert (covered == 1).all(), covered
    return len(params)


@pytest.mark.parametrize("family", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("name", SEPARATE)
def test_every_recurrent_update_line_is_its_parts_numbers(family, optimizer, name):
    P = ALL[name]
    seed = SEPARATE.index(name) + 3 * ["sgd", "momentum", "adam"].index(optimizer)
    doc = recurrent_doc(family, seed, update=("full_batch", "mini_batch")[seed % 2], optimizer=optimizer,
                        l2=0.1 * (seed % 2))
    stepper = Stepper(parse(doc, "recurrent.json"), notation=P)
    text = TextPrinter(3, notation=P)
    updates = 0
    for _ in range(2 * len(stepper.schedule)):
        step = stepper.forward()
        if step.key.phase != "update":
            continue
        kind = stepper.net.kinds[step.key.layer - 1]
        eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
        for e in eqs:
            assert check_equation(plan(e, 3), 3, stepper, where=f"{name} {family} {text.equation(e)[:80]}") > 0
        parts = _parts_cover(stepper, step, eqs, P)
        if kind.over_time:
            assert parts == 3 + kind.u_bias, [text.p(e.lhs) for e in eqs]  # W, U, b (b_h)
            U = text.p(Sym("U", step.key.layer, vector=True))
            assert any(text.p(e.lhs) == U for e in eqs)
            updates += 1
    assert updates > 0


@pytest.mark.parametrize("name", ["lecture13", "column_mean"])
def test_with_the_bias_in_column_0_the_update_stays_whole(name):
    P = ALL[name]
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    step = _first_update(stepper)
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    assert len(eqs) == 5
    assert np.shape(eqs[-1].forms[-1].values) == np.shape(stepper.state.W[1])


@pytest.mark.parametrize("name", ["ng", "cs231n", "nielsen"])
def test_an_entrys_explanation_names_its_state_as_its_update_line_does(name):
    """``e`` on a GRU weight after its update: U's entry's state is m_U's entry, b_{h}'s is m_{b_h}'s, each with
    the number of that entry on the update's line."""
    from bptui.core.engine.explain import Cell, explain_network

    P = PROFILES[name]
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    step = _first_update(stepper)
    kind = stepper.net.kinds[0]
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    lines = {(e.lhs.base, e.lhs.sub, e.lhs.accent): e for e in eqs}
    text = TextPrinter(4, notation=P)
    rows = P.vectors == "row"
    m = "v" if name == "ng" else "m"  # Adam's first moment: ng's v (v_dW)
    for column, sub, at in ((1 + kind.d, ("b_h",), lambda v, r: v[r]), (3 + kind.d, ("U",),
                                                                          lambda v, r: v[1, r] if rows else v[r, 1])):
        row = 5
        exp = explain_network(stepper, Cell("W", 1, row + 1, column, kind=kind), 4)
        first = exp.equations[0]
        assert first.lhs.base == "m" and first.lhs.sub[:1] == sub, text.p(first.lhs)
        line = lines["m", sub, ""]
        assert text.p(line.lhs).startswith(m + "_" if sub != ("b_h",) else m + "_{b_h}")
        assert text.p(first.lhs).startswith(m + "_{" + sub[0] + ",")
        assert first.forms[-1].value == at(line.forms[-1].values, row)
        assert exp.value == at(lines[{"U": ("U", (), ""), "b_h": ("b", ("h",), "")}[sub[0]]].forms[-1].values, row)


def test_the_networks_rules_write_u_and_b_hs_update_as_the_steps_do():
    """The help's rules (network_formulas) of a GRU network in ng: after W's and b's update, U's and b_{h}'s,
    each line the form its update step writes for layer 1 (with l for 1)."""
    from bptui.core.engine.equations import network_formulas
    from bptui.core.engine.network import Network

    P = PROFILES["ng"]
    spec = load(NETWORKS / "gru_parity.json")
    text = TextPrinter(4, notation=P)
    rules = [text.equation(e) for e in network_formulas(Network(spec), spec.optimizer, P)]
    for rule in ("v_U^[l] ← β₁ v_U^[l] + (1 − β₁) (m dU^[l])", "U^[l] ← U^[l] − α v̂_U^[l]/(√ŝ_U^[l] + ε)",
                 "b^[l]_{h} ← b^[l]_{h} − α v̂_{b_h}^[l]/(√ŝ_{b_h}^[l] + ε)"):
        assert rules.count(rule) == 1, rules
    stepper = Stepper(spec, notation=P)
    step = _first_update(stepper)
    steps = [text.p(e.lhs) + " " + e.rel + " " + text.p(e.forms[0])
             for e in step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)]
    parts = [s for s in steps if s.split(" ")[0].startswith(("v_U", "s_U", "v̂_U", "ŝ_U", "U^", "v_{b_h}", "s_{b_h}",
                                                               "v̂_{b_h}", "ŝ_{b_h}", "b^[1]_{h}"))]
    assert len(parts) == 10, steps
    for line in parts:
        assert line.replace("[1]", "[l]") in rules, line
    lecture = [TextPrinter(4).equation(e) for e in network_formulas(Network(spec), spec.optimizer)]
    assert not any("U" in r and "←" in r and "G" not in r for r in lecture)  # the lecture's update: W whole


def test_an_exercise_blanking_the_update_shows_each_parts_state_numbers(tmp_path):
    """An exercise blanking gru_parity's update in ng: U's and b_{h}'s optimizer state are board numbers that
    depend on no blank (his v_U, s_U before the update are 0), so the page prints them as numbers, as v's and v_b's,
    not as their names; the updated U is blanked entry by entry."""
    import re

    from bptui.cli import main

    page, key = tmp_path / "page.md", tmp_path / "key.md"
    assert main(["export", "gru_parity", "--notation", "ng", "--exercise", "--blank", "W", "--steps", "717:718",
                 "--output", str(page), "--answers", str(key)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "; $U^{[l]}$ and $b^{[l]}_{h}$ are updated on lines of their own too." in text  # the page's notation notes
    for name in ("v", "v_{U}", "v_{b}", "v_{b_h}", "s_{U}", "s_{b_h}"):  # his v (β₁) and s (β₂)
        at = text.index(f"{name}^{{[1]}} &\\leftarrow")
        numbers = text[at:].split("\n")[1]
        assert numbers.startswith(" &= 0.999 \\begin{bmatrix} 0" if name[0] == "s" else " &= 0.9 \\begin{bmatrix} 0"), \
            (name, numbers[:80])
    for name in ("\\hat{v}_{U}", "\\hat{s}_{b_h}"):
        at = text.index(f"{name}^{{[1]}} &=")
        assert "\\begin{bmatrix}" in text[at:].split("\n")[1], name
    at = text.index("U^{[1]} &\\leftarrow U^{[1]}")
    assert re.search(r"\(\d+\)\\,\\underline", text[at:].split("\n")[2])  # the blanks of U's entries

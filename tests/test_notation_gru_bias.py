"""A GRU in a notation profile (issue 23): where the profile writes a separate b, U is written without
its bias column and U's own bias (PyTorch's ``bias_hh``, the core's column 1 + d of [W │ U], which for
n sits inside r ⊙ (·)) under the profile's bias name, b⁽ˡ⁾_{h}, beside W's b⁽ˡ⁾:

    z⁽ˡ⁾_τ = [W⁽ˡ⁾ a⁽ˡ⁻¹⁾_τ + b⁽ˡ⁾, U⁽ˡ⁾ h⁽ˡ⁾_{τ−1} + b⁽ˡ⁾_{h}]       (no 1 on top of h, no [1:] after Uᵀ δʰ)
    ∂ℓ/∂W, ∂ℓ/∂U (δʰ h_{τ−1}ᵀ), ∂ℓ/∂b (δ), ∂ℓ/∂b_{h} (δʰ), each its own line

and no number is printed nested ([1, [0.17, …]]). With the bias in column 0 (the lecture, a course's
column-0 profile) the lecture's grouping stays: U [1, h_{τ−1}] and one G⁽ˡ⁾ = [G_W │ G_U], as the update
W ← W − η G subtracts it whole; the panel heads that G with one name.

The numbers are the board's (the views), every equation's arithmetic holds (formula_checks), and the
help's rules write the GRU's products and δ in the profile's letters.
"""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.equations import group_size, network_formulas, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import Arr, Op, Sym, TextPrinter, plan, walk
from bptui.core.formulas.profiles import PROFILES, profile_from_json, profile_json

from .conftest import NETWORKS
from .formula_checks import check_equation
from .test_notation import ALL, COURSES

SEPARATE = ("nielsen", "goodfellow", "ng", "cs231n", "zero_based")


def _nested(node) -> bool:
    """Whether a numbers form holds a vector printed inside a vector: [1, [0.17, …]]."""
    return any(isinstance(n, Op) and n.op in ("cat1", "cat") and any(isinstance(a, Arr) and a.values.ndim >= 1
                                                                      for a in n.args)
               for n in walk(node))


def _gru_steps(name: str, network: str = "gru_parity", examples: int = 2):
    """(stepper, step, its equations) of every step of the first ``examples`` examples."""
    P = ALL[name]
    stepper = Stepper(load(NETWORKS / f"{network}.json"), notation=P)
    seen = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if step.key.phase == "loss":
            seen += 1
            if seen > examples:
                return
        yield stepper, step, step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)


@pytest.mark.parametrize("name", SEPARATE)
def test_a_gru_in_a_separate_bias_profile_writes_u_without_its_bias_column(name):
    P = ALL[name]
    text = TextPrinter(4, notation=P)
    b_h = text.p(Sym("b", 1, ("h",), vector=True, group=True))
    seen = set()
    for stepper, step, eqs in _gru_steps(name):
        key = step.key
        if key.layer != 1:
            continue
        kind = stepper.net.kinds[0]
        d = kind.d
        U = kind.U_part(stepper.state.W[1])
        for e in eqs:
            shown = text.equation(e)
            for form in e.forms[1:]:
                assert not _nested(form), shown
            assert "[1, " not in text.p(e.forms[0]), shown  # no 1 on top of h
            assert "[1:]" not in shown, shown  # U without its bias column: no row to drop
            assert check_equation(plan(e, 4), 4, stepper, where=f"{name} {key}") > 0
        if key.quantity == "s":
            (e,) = eqs
            assert text.p(e.forms[0]).endswith(f" + {b_h}]"), text.equation(e)
            bound = {text.p(k): np.asarray(v) for k, v in e.bindings.items()}
            np.testing.assert_array_equal(bound[b_h], U[:, 0])
            Us = text.p(Sym("U", 1, vector=True))
            np.testing.assert_array_equal(bound[Us], U[:, 1:].T if P.vectors == "row" else U[:, 1:])
            seen.add("s")
        if key.quantity == "dh" and key.time < len(stepper.state.s[1]):
            (e,) = eqs
            Us = next(k for k in e.bindings if isinstance(k, Sym) and k.base == "U")
            want = U[:, 1:]
            np.testing.assert_array_equal(e.bindings[Us], want.T if P.vectors == "row" else want)
            seen.add("dh")
        if key.quantity == "G":
            m = group_size(stepper.net, key) if P.mean else 1
            after = np.asarray(stepper.state.G[1], dtype=float) / m
            by = {text.p(e.lhs): e for e in eqs}
            grads = {"W": (slice(1, 1 + d), Sym("G", 1, vector=True)),
                     "U": (slice(2 + d, None), Sym("G", 1, ("U",), vector=True, group=True)),
                     "b": (0, Sym("Gb", 1, vector=True)),
                     "b_h": (1 + d, Sym("Gb", 1, ("h",), vector=True, group=True))}
            assert len(eqs) == 4, list(by)
            for part, (cols, sym) in grads.items():
                e = by[text.p(sym)]
                result = e.forms[-1]
                assert isinstance(result, Arr)
                want = after[:, cols]
                np.testing.assert_allclose(result.values, want.T if P.vectors == "row" and want.ndim == 2 else want,
                                           rtol=1e-12, atol=1e-15)
            seen.add("G")
    assert seen == {"s", "dh", "G"}


@pytest.mark.parametrize("name", SEPARATE)
def test_a_grus_rules_in_a_separate_bias_profile(name):
    """The help's lines of a GRU as its steps write them: U h + b_h, Uᵀ δʰ without [1:], four gradient lines,
    and the notes' products and δ in the profile's letters (never the lecture's s_x, s_h, δ)."""
    P = ALL[name]
    text = TextPrinter(notation=P)
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    lines = [text.equation(e) for e in network_formulas(stepper.net, stepper.spec.optimizer, P)][:10]
    b_h = text.p(Sym("b", 1, ("h",), vector=True, group=True))
    assert f"{b_h}]" in lines[0] and "[1, " not in lines[0], lines[0]
    assert not any("[1:]" in line for line in lines), lines
    assert not any("product s_x" in line or "U's s_h" in line for line in lines), lines
    assert any(f"({P.delta.text} only of the gates' pre-activations)" in line for line in lines), lines
    x, h = (text.p(Sym("s", 1, (w,), vector=True, group=True)) for w in "xh")  # the panel's names of s's parts
    assert f"W's product {x} with " in lines[0] and f"U's {h} with {b_h}" in lines[0], lines[0]
    grads = [line.split(" ← ")[0] for line in lines if " ← " in line]
    assert grads == [text.p(s) for s in (Sym("G", 1, vector=True), Sym("G", 1, ("U",), vector=True, group=True),
                                         Sym("Gb", 1, vector=True), Sym("Gb", 1, ("h",), vector=True, group=True))]


def _column0_sum() -> "object":
    """A course with the bias in column 0 and the summed gradient (no G/m), its own letter for s."""
    doc = {**profile_json(PROFILES["lecture13"]), "name": "column_sum"}
    doc["symbols"]["pre_activation"] = {"text": "v", "latex": "v"}
    return profile_from_json(doc, "column_sum.json")


def test_the_lecture_keeps_its_one_gradient_of_a_gru():
    """lecture13 writes G⁽ˡ⁾ ← G⁽ˡ⁾ + [δ o⁽⁰⁾ᵀ │ δʰ [1, h_{τ−1}]ᵀ], one matrix, as its panel shows the stored
    [W │ U] and its update W ← W − η G subtracts it whole (its trace stays byte for byte)."""
    for stepper, step, eqs in _gru_steps("lecture13", examples=1):
        if step.key.layer == 1 and step.key.quantity == "G":
            (e,) = eqs
            assert e.lhs == Sym("G", 1, vector=True)
            np.testing.assert_array_equal(e.forms[-1].values, np.asarray(stepper.state.G[1]))
            assert "│" in TextPrinter().p(e.forms[0])
            return
    raise AssertionError("no G step")


@pytest.mark.parametrize("network", ["gru_parity", "parity", "long_memory_lstm"])
@pytest.mark.parametrize("course", ["column_mean", "column_sum"])
def test_a_column0_course_writes_w_and_u_gradients_apart_as_its_panel_names_them(course, network):
    """A course with the bias in column 0 shows the lecture's [W │ U] on its panel under two names, G⁽ˡ⁾ over
    W's columns (its bias column 0 first) and G⁽ˡ⁾_{U} over U's (``gradient_parts``), and names U's entries
    G⁽ˡ⁾_{U,b,c} by U's own columns: its G step writes the same two blocks, each with its own numbers (G/m in
    a mean course), W's input with its 1, a GRU's U term δʰ [1, h_{τ−1}]ᵀ with [1, h] one vector; its rules
    the same two lines. (With one G⁽ˡ⁾ = [G_W │ G_U] the line's G⁽ˡ⁾ would be 12 × 7 beside the panel's
    12 × 2 G⁽ˡ⁾.) No b line: the bias is column 0 of W's block."""
    P = COURSES["column_mean"] if course == "column_mean" else _column0_sum()
    stepper = Stepper(load(NETWORKS / f"{network}.json"), notation=P)
    kind = stepper.net.kinds[0]
    (_, Gw), (u_first, Gu) = kind.gradient_parts(1)
    text = TextPrinter(4, notation=P)
    seen = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if not (step.key.layer == 1 and step.key.quantity == "G"):
            continue
        eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
        m = group_size(stepper.net, step.key) if P.mean else 1
        before, after = np.asarray(step.before) / m, np.asarray(stepper.state.G[1]) / m
        assert [e.lhs for e in eqs] == [Gw, Gu], [text.equation(e) for e in eqs]
        for e, cols in zip(eqs, (slice(0, u_first), slice(u_first, None))):
            np.testing.assert_allclose(e.forms[-1].values, after[:, cols], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(e.forms[1].args[0].values, before[:, cols], rtol=1e-12, atol=1e-15)
            assert not _nested(e.forms[1]), text.equation(e)
            assert check_equation(plan(e, 4), 4, stepper, where=f"{course} {network} {step.key}") > 0
        assert "[1, " in text.p(eqs[1].forms[0]) if kind.u_bias else "[1, " not in text.p(eqs[1].forms[0])
        seen += 1
        if seen >= 4:
            break
    assert seen >= 4
    rules = [e for e in network_formulas(stepper.net, stepper.spec.optimizer, P) if e.rel == "←"][:2]
    assert [e.lhs for e in rules] == [Gw, Gu], [text.equation(e) for e in rules]


def test_the_help_writes_a_grus_products_in_the_profiles_letters():
    from bptui.tui.help import network_text

    spec = load(NETWORKS / "gru_parity.json")
    lecture = network_text(spec, None)
    assert "W's product s⁽¹⁾_{x}, then U's s⁽¹⁾_{h}, each with its own bias" in lecture
    ng = network_text(spec, PROFILES["ng"])
    assert "s_x" not in ng and "s_h" not in ng and "W's product z^[1]_{x} with b^[1], then U's z^[1]_{h} with b^[1]_{h}" in ng
    assert "(δ only" not in ng and "(dz only of the gates' pre-activations)" in ng
    # a course with the bias in column 0 and its own letter for s: the lecture's grouping in its letters
    doc = {**profile_json(PROFILES["lecture13"]), "name": "course_v", "gradient": "mean"}
    doc["symbols"]["pre_activation"] = {"text": "v", "latex": "v"}
    doc["symbols"]["delta"] = {"text": "ε", "latex": r"\epsilon"}
    course = network_text(spec, profile_from_json(doc, "course_v.json"))
    assert "W's product v⁽¹⁾_{x}, then U's v⁽¹⁾_{h}, each with its own bias" in course and "s_x" not in course
    assert "(ε only of the gates' pre-activations)" in course


@pytest.mark.parametrize("name", ["ng", "cs231n"])
def test_a_u_bias_gradient_entry_is_hidden_and_blanked_in_b_hs_own_line(name):
    """The quiz and an exercise name G's entry of U's bias column where the profile shows it (``shown_ref``);
    in the G step it stands in b_{h}'s line, at its row, hidden (``?``) and blanked there only; U's entry (2, 1)
    in U's line, at U's own column 0 (no bias column before it)."""
    from bptui.core.formulas.formula import Ref, blank, hide
    from bptui.core.formulas.profiles import shown_ref
    from bptui.core.kinds.rnn.profiled import u_bias_grad

    P = PROFILES[name]
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    kind = stepper.net.kinds[0]
    d = kind.d
    while True:
        step = stepper.forward()
        if step.key.phase == "backward" and step.key.quantity == "G" and step.key.layer == 1:
            break
    eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)
    Gu = kind.gradient_parts(1)[1][1]
    for col, owner, at in ((1 + d, u_bias_grad(1), (5,)), (2 + d + 1, Gu, (5, 1) if P.vectors == "column" else (1, 5))):
        ref = shown_ref(Ref("G", 1, (5, col)), P, stepper.spec.L)
        for e in eqs:
            hidden, blanked = hide(e, {ref}, 4), blank(e, {ref: 7}, {ref}, digits=4)
            result = hidden.forms[-1]
            assert isinstance(result, Arr)
            if e.lhs == owner:
                assert result.hidden == at and "?" in TextPrinter(4, notation=P).equation(hidden)
                assert [(i, n) for i, n, _ in blanked.forms[-1].blanks] == [(at, 7)]
            else:
                assert result.hidden is None and not blanked.forms[-1].blanks


def test_an_lstm_in_a_separate_bias_profile_writes_its_numbers_flat():
    """An LSTM has no U bias: z = W x + U h + b, with h's numbers as one vector (never [1, [ … ]])."""
    text = TextPrinter(4, notation=PROFILES["ng"])
    for stepper, step, eqs in _gru_steps("ng", "long_memory_lstm", examples=1):
        for e in eqs:
            for form in e.forms[1:]:
                assert not _nested(form), text.equation(e)
            assert "[1, " not in text.p(e.forms[0]) and "[1:]" not in text.equation(e)


@pytest.mark.parametrize("course", ["lecture13", "column_mean", "column_sum"])
def test_a_column0_course_writes_a_grus_1_h_as_one_vector(course):
    """U [1, h_{τ−1}] in the lecture and a course with the bias in column 0: its numbers one vector
    [1, 0.17, …], meaning the [1, h] the formula writes (the lecture's trace printed [1, [0.17, …]]); every
    step holds."""
    P = {"lecture13": PROFILES["lecture13"], "column_mean": COURSES["column_mean"]}.get(course) or _column0_sum()
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    text = TextPrinter(4, notation=P)
    flat = 0
    for _ in range(40):
        step = stepper.forward()
        for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
            for form in e.forms[1:]:
                assert not _nested(form), text.equation(e)
            if step.key.quantity == "s" and step.key.layer == 1:
                ones = [n for n in walk(e.forms[1]) if isinstance(n, Arr) and isinstance(n.means, Op)
                        and n.means.op == "cat1"]
                assert len(ones) == 1 and ones[0].values[0] == 1.0, text.equation(e)
                np.testing.assert_array_equal(ones[0].values[1:], stepper.state.o[1][step.key.time - 1])
                # h_{τ−1}'s entry 3, blanked or hidden where it stands: entry 4 of [1, h] (an exercise gives none away)
                from bptui.core.formulas.formula import Ref, blank, hide
                from bptui.core.formulas.profiles import shown_ref

                ref = shown_ref(Ref("o", 1, (step.key.time - 1, 2)), P, stepper.spec.L)
                marked = [n for n in walk(blank(e, {ref: 9}, digits=4).forms[1]) if isinstance(n, Arr) and n.blanks]
                assert [[(i, k) for i, k, _ in n.blanks] for n in marked] == [[((3,), 9)]], text.equation(e)
                hidden = [n for n in walk(hide(e, {ref}).forms[1]) if isinstance(n, Arr) and n.hidden is not None]
                assert [n.hidden for n in hidden] == [(3,)]
                flat += 1
            assert check_equation(plan(e, 4), 4, stepper, where=f"{course} {step.key}") >= 0
    assert flat >= 4


# the U bias's entry of the reset gate's unit 1 (row 0) and of the update gate's unit 2 (row h + 1), by hand
U_BIAS_NAMES = {
    "nielsen": ("b²_{h,r,1}", "b²_{h,u,2}", "∂C/∂b²_{h,r,1}"),  # nielsen's z is his pre-activation: the gate is u
    "goodfellow": ("b⁽¹⁾_{h,ϱ,1}", "b⁽¹⁾_{h,z,2}", "∇_b⁽¹⁾_{h,ϱ,1} J"),  # his Adam r: the reset gate is ϱ
    "ng": ("b^[1]_{h,r,1}", "b^[1]_{h,u,2}", "db^[1]_{h,r,1}"),
    "cs231n": ("b¹_{h,r,0}", "b¹_{h,z,1}", "db¹_{h,r,0}"),
}


@pytest.mark.parametrize("name", SEPARATE)
def test_a_u_bias_cell_is_named_as_an_entry_of_b_h(name):
    """U's own bias column (column 1 + d of [W │ U]) is the vector b⁽ˡ⁾_{h} where the profile writes b apart, so
    each of its cells is that vector's entry, named as W's b's entry of the same row is (ng's b^[1]_{h,r,1}
    beside b^[1]_{r,1}), never as U's (u^[1]_{r,1,b}): the panel's weight and its gradient, in text and LaTeX,
    the quiz's question, the explanation (δʰ alone: a bias has no 1 to multiply) and the exercise key's name."""
    from bptui.core.engine.explain import Cell
    from bptui.core.formulas.formula import LatexPrinter
    from bptui.core.teaching.explain import explain
    from bptui.core.teaching.quiz import ask

    P = ALL[name]
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=P)
    kind = stepper.net.kinds[0]
    d, h = kind.d, kind.h
    text, latex = TextPrinter(4, notation=P), LatexPrinter(4, notation=P)
    for printer in (text, latex):
        heading = printer.p(Sym("b", 1, ("h",), vector=True, group=True))  # the panel's line: b^[1]_{h}
        assert heading.endswith("{h}"), heading
        for row in range(3 * h):
            name_b = printer.p(kind.weight_sym(1, row, 0))  # W's b entry of the row: b^[1]_{r,1}
            own = name_b.split("_{", 1)[1]
            assert printer.p(kind.weight_sym(1, row, d + 1)) == heading[:-1] + "," + own, (row, name_b)
            grad = printer.p(kind.grad_sym(1, row, d + 1))
            assert grad == printer.p(kind.grad_sym(1, row, 0)).replace(name_b, heading[:-1] + "," + own), grad
            assert "u" not in grad.replace(r"\nabla", "") or P.pre_activation.text == "z" and ",u," in grad, grad
    if name in U_BIAS_NAMES:
        weight, update_gate, grad = U_BIAS_NAMES[name]
        assert text.p(kind.weight_sym(1, 0, d + 1)) == weight and text.p(kind.weight_sym(1, h + 1, d + 1)) == update_gate
        assert text.p(kind.grad_sym(1, 0, d + 1)) == grad
    want = text.p(kind.grad_sym(1, 0, d + 1))
    while True:  # the first G step of layer 1: the end of the first example's backward pass
        step = stepper.forward()
        if step.key.phase == "backward" and step.key.quantity == "G" and step.key.layer == 1:
            break
    cell = Cell("G", 1, 1, d + 1)
    assert ask(stepper, step, cell=cell).symbol == want
    lines = explain(stepper, cell, 4).text().splitlines()
    value = float(stepper.state.G[1][0, d + 1]) / (group_size(stepper.net, step.key) if P.mean else 1)
    assert lines[0].startswith(f"{want} = ") and lines[1].lstrip().startswith(f"{want} = "), lines
    assert "·1" not in lines[1] and "b" in lines[1].split("(")[-1], lines  # δʰ alone; the note names b_{h}
    dh = [float(kind.delta_h(stepper.state, 1, t)[0]) for t in range(1, stepper.spec.lengths[0] + 1)]
    done = [v for v in dh if np.isfinite(v)]  # the τ done so far (T first): the sum the explanation works out
    assert len(done) == 1 and value == pytest.approx(sum(done) / (group_size(stepper.net, step.key) if P.mean else 1),
                                                     rel=1e-12)
    from bptui.core.formulas.formula import Num

    import re

    number = re.escape(text.p(Num(done[0])))  # (earlier examples + δʰ)/m or a sum's earlier + δʰ: δʰ's number alone
    assert re.search(rf"\+ {number}(\)/\d+)?$", lines[2]), lines


@pytest.mark.parametrize("name", ["ng", "lecture13"])
def test_the_key_names_a_u_bias_blank_as_the_panel_does(tmp_path, name):
    """The exercise key's blank of U's bias column: b^[1]_{h,r,1}'s gradient in ng (its latex and explanation
    too), the lecture's G⁽¹⁾_{U,r,1,0}; the JSON key's quantity and indices stay the lecture's."""
    import json

    from bptui.cli import main

    ans = tmp_path / "key.md"
    assert main(["export", str(NETWORKS / "gru_parity.json"), "--notation", name, "--exercise", "--blank", "G",
                 "--steps", "1:40", "--output", str(tmp_path / "page.md"), "--answers", str(ans)]) == 0
    blanks = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["blanks"]
    own = [b for b in blanks if b["indices"] == ["U", "r", 1, 0]]
    assert own and all(b["quantity"] == "G" and b["layer"] == 1 for b in own)
    want = {"ng": "db^[1]_{h,r,1}", "lecture13": "G⁽¹⁾_{U,r,1,0}"}[name]
    for b in own:
        assert b["name"] == want and b["explanation"].startswith(want + " = "), b
        assert b["latex"].startswith({"ng": "db^{[1]}_{h,r,1} = ", "lecture13": "G^{(1)}_{U,r,1,0} = "}[name]), b
    assert "u^[1]_{r,1,b}" not in (tmp_path / "key.md").read_text(encoding="utf-8")

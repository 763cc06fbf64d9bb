"""ng writes Adam's state as his course does (issue 23): the first moment v (his v_dW, β₁), the second s (his s_dW,
β₂), where the lecture writes m and v; the numbers are the lecture's m and v (a profile never changes a number).
Momentum keeps the lecture's μ and v (his v_dW = β v_dW + (1 − β) dW is another rule). Attention's values v give
way to his v (profiles.CLASHES)."""

from __future__ import annotations

import numpy as np

from bptui.core.engine.equations import network_formulas, step_equations
from bptui.core.engine.network import Network
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import Sym, TextPrinter
from bptui.core.formulas.profiles import LECTURE13, PROFILES
from bptui.tui.view import optimizer_state

from .conftest import NETWORKS

NG = PROFILES["ng"]


def _at_first_update(P) -> Stepper:
    stepper = Stepper(load(NETWORKS / "iris.json"), notation=P)
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 1):
        stepper.forward()
    return stepper


def test_iris_in_ng_names_adams_state_v_and_s_with_the_lectures_m_and_v_numbers():
    ng, lecture = _at_first_update(NG), _at_first_update(LECTURE13)
    # the panels' headings and the numbers under them: his v and s, the lecture's m and v
    shown = optimizer_state(ng, 1, NG)
    assert [label for label, _ in shown] == ["v^[1] (1st moment, t = 1)", "s^[1] (2nd moment, t = 1)"]
    assert [label for label, _ in optimizer_state(lecture, 1, None)] == ["m⁽¹⁾ (1st moment, t = 1)",
                                                                          "v⁽¹⁾ (2nd moment, t = 1)"]
    m, v = lecture.state.opt[1].m, lecture.state.opt[1].v
    np.testing.assert_array_equal(shown[0][1], m)
    np.testing.assert_array_equal(shown[1][1], v)
    assert np.abs(m).max() > 0 and not np.allclose(m, v)  # two different states, a mix-up would show
    # the update's lines: v, s, v̂, ŝ and W for W's part, then b's; each the lecture's number it stands for
    text = TextPrinter(4, notation=NG)
    eqs = {text.p(e.lhs): e for e in step_equations(ng.net, ng.state, ng.last, ng.spec.optimizer, notation=NG)}
    assert list(eqs) == ["v^[1]", "s^[1]", "v̂^[1]", "s\u0302^[1]", "W^[1]", "v_b^[1]", "s_b^[1]", "v̂_b^[1]", "s\u0302_b^[1]",
                         "b^[1]"]
    np.testing.assert_array_equal(eqs["v^[1]"].forms[-1].values, m[:, 1:])
    np.testing.assert_array_equal(eqs["s^[1]"].forms[-1].values, v[:, 1:])
    np.testing.assert_array_equal(eqs["v_b^[1]"].forms[-1].values, m[:, 0])
    np.testing.assert_array_equal(eqs["s_b^[1]"].forms[-1].values, v[:, 0])
    # the group's size is m, his letter: his Adam's first moment is v, so nothing else takes m (issue 23's leftover:
    # it read |B| in ng too, where only a profile writing Adam's moment m needs another letter)
    assert text.equation(eqs["v^[1]"]).startswith("v^[1] ← β₁ v^[1] + (1 − β₁) (m dW^[1])")
    assert text.equation(eqs["s^[1]"]).startswith("s^[1] ← β₂ s^[1] + (1 − β₂) (m dW^[1])⊙(m dW^[1])")
    assert text.equation(eqs["W^[1]"]).startswith("W^[1] ← W^[1] − α v̂^[1]/(√s\u0302^[1] + ε)")
    # the help's rules
    rules = [text.equation(e) for e in network_formulas(Network(ng.spec), ng.spec.optimizer, NG)]
    assert "v^[l] ← β₁ v^[l] + (1 − β₁) (m dW^[l])" in rules, rules
    assert not any(r.startswith("m") or "|B|" in r for r in rules), rules
    # nielsen keeps Adam's m⁽ˡ⁾: his group's size is |B| beside it
    nielsen = TextPrinter(4, notation=PROFILES["nielsen"])
    rules = [nielsen.equation(e) for e in network_formulas(Network(ng.spec), ng.spec.optimizer, PROFILES["nielsen"])]
    assert any("(|B| ∂C/∂w" in r for r in rules) and not any("(m ∂C/∂w" in r for r in rules), rules


def test_ng_keeps_momentums_v_and_gives_attentions_values_another_letter():
    text = TextPrinter(notation=NG)
    assert text.p(Sym("v", 1, vector=True, own="momentum")) == "v^[1]"  # momentum: the lecture's μ and v
    assert text.p(Sym("μ", own="momentum")) == "μ"
    assert text.p(Sym("m", 1, vector=True, own="adam")) == "v^[1]" and text.p(Sym("v", 1, own="adam")) == "s^[1]"
    assert text.p(Sym("v", 1, (1,), vector=True, own="attention", counts=1)) == "val₁^[1]"  # beside his Adam v
    for name in ("lecture13", "nielsen", "goodfellow", "cs231n"):  # the others: attention's v stays v
        assert TextPrinter(notation=PROFILES[name]).p(Sym("v", 1, vector=True, own="attention")).startswith("v")


def test_the_helps_softmax_note_writes_the_profiles_letters():
    """iris's rules in the help: the cross-entropy line's note on a target that does not sum to 1 wrote the
    lecture's o in every profile (`o Σₖ yₖ − y` under ng's dz^[2] = a^[2] − y); it is the step's own form now."""
    spec = load(NETWORKS / "iris.json")
    for P, want in ((None, "(Σₖ yₖ) o⁽²⁾ − y"), (NG, "(Σₖ yₖ) a^[2] − y"), (PROFILES["cs231n"], "(Σₖ yₖ) h² − y")):
        text = TextPrinter(4, notation=P)
        notes = [text.note(e) for e in network_formulas(Network(spec), spec.optimizer, P) if "cancels" in e.note]
        assert notes == [f"cross-entropy: f′ cancels; {want} when Σₖ yₖ ≠ 1"], notes


def test_a_profile_program_names_adams_state_and_writes_its_rule_as_the_update_line_prints_it():
    """`export --format numpy --notation P` of iris (Adam): the state's variables take the profile's letters (ng's
    v_W1, s_W1) and the update's comment is the rule the profile's update line prints (ng's α v̂^[1]/(√ŝ^[1] + ε)
    without the layer: `α v̂ / (√ŝ + ε)`; goodfellow's ε ŝ / (√r̂ + δ), his ε the step size)."""
    from bptui import codegen

    spec = load(NETWORKS / "iris.json")
    run = codegen.record(spec, 1, 150)
    for name, state, rule in (("ng", ("v_W1", "s_W1"), "W^[1] ← W^[1] − α v\u0302 / (√s\u0302 + ε)"),
                              ("goodfellow", ("s_W1", "r_W1"), "W⁽¹⁾ ← W⁽¹⁾ − ε s\u0302 / (√r\u0302 + δ)"),
                              ("nielsen", ("m_w2", "v_w2"), "w² ← w² − η m\u0302 / (√v\u0302 + ε)")):
        text, _ = codegen.program(spec, "numpy", run, None, PROFILES[name])
        assert all(f"{s} = " in text for s in state), name
        assert f"  # {rule}" in text, (name, [line for line in text.splitlines() if "√" in line][:1])

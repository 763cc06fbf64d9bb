"""goodfellow's momentum is his Algorithm 8.2 (v ← α v − ε g; θ ← θ + v): his v is −ε times the lecture's
(PyTorch's) velocity, so the numbers shown for it are other numbers; a profile says so as data (``velocity``).

Checked against a hand computation: a 1-1 identity network, w = 0.5, b = 0, x = 1, y = 0, squared loss,
η = 0.1, μ = 0.9, full batch. Update 1: o = 0.5, δ = 2(o − y) = 1, G = [1, 1] (b, w); PyTorch's v = [1, 1],
W = [−0.1, 0.4]; his v = 0.9·0 − 0.1·1 = −0.1 and θ = θ + v = [−0.1, 0.4]. Update 2: o = 0.3, δ = 0.6,
G = [0.6, 0.6]; PyTorch's v = 0.9·1 + 0.6 = 1.5, W = [−0.25, 0.25]; his v = 0.9·(−0.1) − 0.1·0.6 = −0.15
(= −0.1·1.5) and θ = [−0.1, 0.4] + (−0.15) = [−0.25, 0.25].
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.equations import network_formulas, step_equations
from bptui.core.engine.explain import Cell
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import parse
from bptui.core.formulas.formula import TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES, profile_from_json, profile_json
from bptui.core.teaching.explain import explain
from bptui.core.util.errors import SpecError
from bptui.examples import resolve

from .formula_checks import check_equation

TINY = {"name": "tiny_momentum", "layers": [{"units": 1}, {"units": 1, "activation": "identity"}],
        "weights": [[[0.0, 0.5]]], "loss": "squared", "data": {"inputs": [[1]], "targets": [[0]]},
        "training": {"optimizer": "momentum", "momentum": 0.9, "learning_rate": 0.1, "update": "full_batch",
                     "epochs": 2}}
GOODFELLOW = PROFILES["goodfellow"]


def _tiny(tmp_path) -> str:
    path = tmp_path / "tiny_momentum.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    return str(path)


def _run(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_goodfellow_writes_momentum_as_his_algorithm_8_2(tmp_path, capsys):
    path = _tiny(tmp_path)
    text = _run(capsys, "trace", "--no-color", "--epochs", "2", "--notation", "goodfellow", path)
    assert "momentum, ε = 0.1, α = 0.9;" in text  # his letters: learning rate ε, momentum α
    assert ("6. [update] v⁽¹⁾ ← α v⁽¹⁾ − ε ∇_W⁽¹⁾ J = 0.9 [[0]] − 0.1 [[1]] = [[−0.1]];   "
            "W⁽¹⁾ ← W⁽¹⁾ + v⁽¹⁾ = [[0.5]] + [[−0.1]] = [[0.4]];   "
            "v_b⁽¹⁾ ← α v_b⁽¹⁾ − ε ∇_b⁽¹⁾ J = 0.9 [0] − 0.1 [1] = [−0.1];   "
            "b⁽¹⁾ ← b⁽¹⁾ + v_b⁽¹⁾ = [0] + [−0.1] = [−0.1]") in text
    assert ("12. [update] v⁽¹⁾ ← α v⁽¹⁾ − ε ∇_W⁽¹⁾ J = 0.9 [[−0.1]] − 0.1 [[0.6]] = [[−0.15]];   "
            "W⁽¹⁾ ← W⁽¹⁾ + v⁽¹⁾ = [[0.4]] + [[−0.15]] = [[0.25]];   "
            "v_b⁽¹⁾ ← α v_b⁽¹⁾ − ε ∇_b⁽¹⁾ J = 0.9 [−0.1] − 0.1 [0.6] = [−0.15];   "
            "b⁽¹⁾ ← b⁽¹⁾ + v_b⁽¹⁾ = [−0.1] + [−0.15] = [−0.25]") in text
    assert "μ" not in text
    # the lecture (and every other shipped profile) keeps PyTorch's v: 1.5 after update 2
    lecture = _run(capsys, "trace", "--no-color", "--epochs", "2", path)
    assert ("12. [update] v⁽¹⁾ ← μ v⁽¹⁾ + G⁽¹⁾ = 0.9 [[1, 1]] + [[0.6, 0.6]] = [[1.5, 1.5]];   "
            "W⁽¹⁾ ← W⁽¹⁾ − η v⁽¹⁾ = [[−0.1, 0.4]] − 0.1 [[1.5, 1.5]] = [[−0.25, 0.25]]") in lecture
    assert "v^[1] ← β v^[1] + dW^[1]" not in _run(capsys, "trace", "--no-color", "--notation", "ng", path)
    # trace --format json keeps the lecture's values (PyTorch's velocity); only "equation" follows the profile
    rows = {}
    for name in ("lecture13", "goodfellow"):
        out = _run(capsys, "trace", "--format", "json", "--epochs", "2", "--notation", name, path)
        rows[name] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for ours, theirs in zip(rows["goodfellow"], rows["lecture13"], strict=True):
        assert {k: v for k, v in ours.items() if k not in ("equation", "notation")} == \
            {k: v for k, v in theirs.items() if k not in ("equation", "notation")}
    assert [r["optimizer_state"] for r in rows["goodfellow"] if "optimizer_state" in r][-1] == {"v": [[1.5, 1.5]]}


def test_goodfellows_rules_explanations_and_export_write_his_algorithm(tmp_path, capsys):
    path = _tiny(tmp_path)
    stepper = Stepper(parse(TINY, path), notation=GOODFELLOW)
    printer = TextPrinter(notation=GOODFELLOW)
    rules = [printer.equation(e) for e in network_formulas(stepper.net, stepper.spec.optimizer, GOODFELLOW)]
    assert rules[-4:] == ["v⁽ˡ⁾ ← α v⁽ˡ⁾ − ε ∇_W⁽ˡ⁾ J", "W⁽ˡ⁾ ← W⁽ˡ⁾ + v⁽ˡ⁾",
                          "v_b⁽ˡ⁾ ← α v_b⁽ˡ⁾ − ε ∇_b⁽ˡ⁾ J", "b⁽ˡ⁾ ← b⁽ˡ⁾ + v_b⁽ˡ⁾"]
    for _ in range(12):
        stepper.forward()
    lines = explain(stepper, Cell("W", 1, 1, 1), 4).text().splitlines()
    assert lines[1:5] == ["  v₁,₁⁽¹⁾ ← α v₁,₁⁽¹⁾ − ε ∇_w₁,₁⁽¹⁾ J", "          = 0.9·(−0.1) − 0.1·0.6", "          = −0.15",
                          "  w₁,₁⁽¹⁾ ← w₁,₁⁽¹⁾ + v₁,₁⁽¹⁾"], lines
    bias = explain(stepper, Cell("W", 1, 1, 0), 4).text()
    assert "b₁⁽¹⁾ ← b₁⁽¹⁾ + v₁⁽¹⁾" in bias and "= −0.1 − 0.15\n        = −0.25" in bias, bias
    latex = _run(capsys, "export", path, "--notation", "goodfellow", "--format", "latex")
    assert r"v^{(1)} &\leftarrow \alpha v^{(1)} - \epsilon \nabla_{W^{(1)}} J" in latex
    assert r"W^{(1)} &\leftarrow W^{(1)} + v^{(1)}" in latex and r"\mu" not in latex
    md = _run(capsys, "export", path, "--notation", "goodfellow")
    assert r"$v^{(l)} \leftarrow \alpha v^{(l)} - \epsilon \nabla_{W^{(l)}} J$" in md


def test_every_number_shown_for_his_v_is_minus_epsilon_times_the_velocity(tmp_path):
    """One truth: every equation of every step holds on the numbers shown, and the v it writes is −η times
    the optimizer's stored velocity (the board's), in the equation line and the explanations; over mini-batches
    with L2 on a 2-3-2 network."""
    doc = {"layers": [{"units": 2}, {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"}],
           "init": {"seed": 3, "scale": 1.0}, "loss": "cross_entropy",
           "data": {"inputs": [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.9]], "targets": [[1, 0], [0, 1], [1, 1]]},
           "training": {"optimizer": "momentum", "momentum": 0.8, "learning_rate": 0.3, "l2": 0.1,
                        "update": {"batch_size": 2}}}
    stepper = Stepper(parse(doc, "random.json"), notation=GOODFELLOW)
    eta, seen = 0.3, 0
    for _ in range(3 * len(stepper.schedule)):
        step = stepper.forward()
        for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=GOODFELLOW):
            check_equation(plan(eq, 4), 4, stepper, where=str(step.key))
            if eq.lhs.base == "v":
                l = step.key.layer
                stored = stepper.state.opt[l].v
                his = -eta * (stored[:, 0] if eq.lhs.sub == ("b",) else stored[:, 1:])
                assert np.allclose(np.asarray(eq.result.values if hasattr(eq.result, "values") else eq.result.value)
                                   .reshape(his.shape), his, rtol=1e-12, atol=0)
                seen += 1
        if step.key.phase == "update":
            l = step.key.layer
            e = explain(stepper, Cell("W", l, 1, 1), 4)
            for eq in e.equations:
                check_equation(plan(eq, 4), 4, stepper, where=f"explain {step.key}")
            [v_eq] = [eq for eq in e.equations if eq.lhs.base == "v"]
            assert np.isclose(float(v_eq.result.value), -eta * float(stepper.state.opt[l].v[0, 1]), rtol=1e-12)
    assert seen >= 8


def test_a_course_profile_chooses_its_velocity(tmp_path, capsys):
    doc = {**profile_json(PROFILES["nielsen"]), "name": "steps", "velocity": "step"}
    P = profile_from_json(doc, "steps.json")
    assert P.velocity == "step" and profile_json(GOODFELLOW)["velocity"] == "step"
    assert profile_json(PROFILES["lecture13"])["velocity"] == "sum_of_gradients"
    assert profile_from_json({**doc, "name": "plain"} | {"velocity": "sum_of_gradients"}, "p.json").velocity \
        == "sum_of_gradients"
    (tmp_path / "steps.json").write_text(json.dumps(doc), encoding="utf-8")
    text = _run(capsys, "trace", "--no-color", "--epochs", "2", "--notation", str(tmp_path / "steps.json"),
                _tiny(tmp_path))
    # nielsen's mean gradient: η·m times G/m, the same numbers (m = 1 here)
    assert "v² ← μ v² − (η·m) ∂C/∂w² = 0.9 [[−0.1]] − (0.1·1) [[0.6]] = [[−0.15]];   w² ← w² + v² = " in text, text
    from bptui.core.ops.optim import VELOCITIES
    from bptui.core.util.validate import schema

    assert tuple(schema("notation-schema.json")["properties"]["velocity"]["enum"]) == VELOCITIES
    with pytest.raises(SpecError) as err:
        profile_from_json({**doc, "velocity": "nesterov"}, "courses/steps.json")
    assert str(err.value).startswith("courses/steps.json: velocity: ") and "\n" not in str(err.value)


def test_goodfellows_panels_show_his_velocity_under_w_and_b():
    """The state under W⁽ˡ⁾ and b⁽ˡ⁾ in goodfellow's panels: his v (−ε times the kept velocity), headed by
    his rule; his Adam's s and r headed by their letters; the lecture's panels keep PyTorch's v."""
    from bptui.core.formulas.numformat import cell
    from bptui.tui.view import optimizer_state

    from .test_notation_panels import _lines, built

    stepper = Stepper(parse({**TINY, "layers": [{"units": 1}, {"units": 2, "activation": "identity"}],
                             "weights": [[[0.0, 0.5], [0.2, -0.3]]],
                             "data": {"inputs": [[1]], "targets": [[0, 1]]}}, "tiny.json"), notation=GOODFELLOW)
    for _ in range(12):  # two updates
        stepper.forward()
    v = stepper.state.opt[1].v
    [(label, shown)] = optimizer_state(stepper, 1, GOODFELLOW)
    assert label == "v⁽¹⁾ (velocity: v ← α v − ε ĝ)" and np.array_equal(shown, -0.1 * v)
    [(lecture_label, kept)] = optimizer_state(stepper, 1)
    assert lecture_label == "v⁽¹⁾ (velocity: v ← μ v + g)" and kept is v
    lines = _lines(built(stepper)[0])
    at = next(i for i, line in enumerate(lines) if line.strip() == label)
    for j in range(2):  # unit j: his v of w_j,1, then of b_j
        numbers = lines[at + 1 + j].split()[1:]
        assert numbers == [cell(float(-0.1 * v[j, 1]), 4), cell(float(-0.1 * v[j, 0]), 4)], lines
    adam = Stepper(parse({**TINY, "training": {**TINY["training"], "optimizer": "adam"}}, "tiny.json"),
                   notation=GOODFELLOW)
    for _ in range(6):
        adam.forward()
    assert [label for label, _ in optimizer_state(adam, 1, GOODFELLOW)] == [
        "s⁽¹⁾ (1st moment, t = 1)", "r⁽¹⁾ (2nd moment, t = 1)"]


def test_an_exercise_in_goodfellow_gives_no_velocity_away(tmp_path):
    """His v after an update depends on the blanks of ∇J: the page writes it by its name, never its numbers
    (−ε times the blanks would give them away); the key's explanation works it out in his letters."""
    xor = json.loads(open(resolve("xor"), encoding="utf-8").read())
    xor["training"] = {"optimizer": "momentum", "momentum": 0.9, "learning_rate": 0.5, "update": "full_batch"}
    path = tmp_path / "xor_momentum.json"
    path.write_text(json.dumps(xor), encoding="utf-8")
    assert main(["export", str(path), "--notation", "goodfellow", "--exercise", "--answers", str(tmp_path / "key.md"),
                 "--output", str(tmp_path / "page.md")]) == 0
    page = (tmp_path / "page.md").read_text(encoding="utf-8")
    assert r"W^{(1)} &\leftarrow W^{(1)} + v^{(1)} \\" in page
    assert r" &= \begin{bmatrix} 0.5 & -0.4 \\ 0.3 & 0.6 \end{bmatrix} + v^{(1)} \\" in page
    assert "-0.02687" not in page and "-0.03062" not in page  # his v of w₁,₁ and of b₁: −0.5 times blanks 76, 75
    key = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    [w11] = [b for b in key["blanks"] if b["step"] == 37 and b["indices"] == [1, 1]]
    assert w11["latex"] == r"w_{1,1}^{(1)} \leftarrow w_{1,1}^{(1)} + v_{1,1}^{(1)} = 0.5 - 0.02687 = 0.4731"

"""A course's own profile file names the data set's loss (``symbols.cost``, :attr:`Profile.cost`), as ng's J is
named: the status line, the training screen, the gradient check, ``trace``, ``check`` and ``export`` write it; a
bad value is an ``error:`` line naming the file and the place, exit 2. And the shipped profiles write the data
loss as their courses do: Nielsen's cost C = (1/n) Σₓ Cₓ (chapter 2), CS231n's data loss L = (1/N) Σᵢ Lᵢ (the
notes' "Neural Networks Part 2": loss functions), ng's J."""

from __future__ import annotations

import json

import pytest

from bptui.core.formulas.profiles import PROFILES, profile_from_json, profile_json
from bptui.core.util.errors import SpecError

from .conftest import NETWORKS
from .test_notation import _run


def _course(tmp_path, cost: dict | None = None, base: str = "lecture13"):
    doc = {**profile_json(PROFILES[base]), "name": "course"}
    if cost is not None:
        doc["symbols"]["cost"] = cost
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return doc, path


def test_a_courses_file_names_the_cost_in_trace_check_and_export(tmp_path):
    doc, path = _course(tmp_path, {"text": "E", "latex": r"\mathcal{E}"})
    P = profile_from_json(doc, str(path))
    assert (P.data_loss.text, P.data_loss.latex) == ("E", r"\mathcal{E}")
    code, out, err = _run("trace", str(NETWORKS / "xor.json"), "--notation", str(path), "--epochs", "1")
    assert (code, err) == (0, "")
    assert "E ← E + ℓ⁽³⁾ = 0.666 + 0.1677 = 0.8337" in out and "End of epoch 1: E = 1.042" in out
    assert "ℓ_D" not in out
    code, out, err = _run("check", str(NETWORKS / "xor.json"), "--notation", str(path))
    assert code == 0 and "atol = 16·eps·|E|/h" in out and "ℓ" not in out, out
    page = tmp_path / "page.md"
    code, out, err = _run("export", str(NETWORKS / "xor.json"), "--notation", str(path), "--epochs", "1",
                          "--output", str(page))
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert r"\mathcal{E} &\leftarrow \mathcal{E} + \ell^{(2)}" in text and r"\ell_{\mathcal{D}}" not in text


def test_the_views_names_follow_the_courses_cost(tmp_path):
    from bptui.tui.view_names import view_names

    doc, path = _course(tmp_path, {"text": "E", "latex": "E"}, base="nielsen")
    names = view_names(profile_from_json(doc, str(path)))
    # the training screen's loss and curve, the gradient check's ∂E/∂w
    assert (names.loss_D, names.curve, names.d_loss_d_w) == ("E", "E, the mean loss per example, per epoch", "∂E/∂w")


async def test_the_status_line_the_g_screen_and_the_training_screen_name_the_cost(tmp_path):
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp
    from bptui.tui.gradcheck import GradCheckScreen

    from .test_training_tui import _train

    doc, path = _course(tmp_path, {"text": "E", "latex": "E"})
    app = BptuiApp(load(NETWORKS / "xor.json"), profile_from_json(doc, str(path)))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(14):  # two examples' forward passes and losses
            app.main.action_next()
        await pilot.pause()
        line = str(app.query_one("#status").render()).splitlines()[1]
        assert line.endswith("ℓ⁽²⁾ = 0.3532 · E so far = 0.666"), line
        await pilot.press("g")
        assert isinstance(app.screen, GradCheckScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "atol = 16·eps·|E|/h" in str(app.screen.query_one("#check-summary").render())
        await pilot.press("escape")
        screen = await _train(pilot, app, 2)
        status = str(screen.query_one("#train-status").render())
        assert "E (sum, before each update) = " in status, status


@pytest.mark.parametrize("entry, place, what", [
    ({"text": "E", "latex": r"\input{x}"}, "symbols.cost.latex", "not a LaTeX command"),
    ({"text": "E{}", "latex": "E"}, "symbols.cost.text", "only the gradient's symbol"),
    ({"text": "E"}, "symbols.cost", "latex"),
    ({"text": "o", "latex": "E"}, "symbols.cost.text", "the symbol of the activation too"),
    ({"text": "E", "latex": "W"}, "symbols.cost.latex", "the symbol of the weights too"),
])
def test_a_bad_cost_is_one_error_line_naming_the_file_and_the_place(tmp_path, entry, place, what):
    doc, path = _course(tmp_path, entry)
    code, out, err = _run("trace", "xor", "--notation", str(path))
    assert (code, out) == (2, "") and err.startswith(f"error: {path}: {place}") and err.count("\n") == 1, err
    assert what in err, err
    with pytest.raises(SpecError):
        profile_from_json(doc, "course.json")


def test_the_cost_may_be_the_losss_own_letter(tmp_path):
    """ng's J: the cost written with the loss's letter (its example's loss ℒ apart) is no clash."""
    doc, path = _course(tmp_path, {"text": "ℓ", "latex": r"\ell"})
    assert profile_from_json(doc, str(path)).data_loss.text == "ℓ"


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_shipped_profiles_file_keeps_its_data_loss(name):
    """A shipped profile written as a course's file (``profile_json``, the example a course starts from) and read
    back names its data loss as the shipped one does (ng's J, not J_D)."""
    P = PROFILES[name]
    doc = {**profile_json(P), "name": "course"}
    assert profile_from_json(doc, "course.json").data_loss == P.data_loss


@pytest.mark.parametrize("name, cost, per_example", [
    ("nielsen", "C", "C₁"),  # C = (1/n) Σₓ Cₓ
    ("cs231n", "L", "L₁"),  # L = (1/N) Σᵢ Lᵢ, the data loss
    ("ng", "J", "ℒ⁽¹⁾"),  # J = (1/m) Σ ℒ
])
def test_the_shipped_profiles_write_the_cost_as_their_courses_do(name, cost, per_example):
    code, out, err = _run("trace", str(NETWORKS / "xor.json"), "--notation", name, "--epochs", "1")
    assert code == 0 and f"End of epoch 1: {cost} = 0.2605" in out
    assert f"{cost} ← {per_example} = 0.3128" in out and "_D" not in out


def test_a_group_of_one_example_is_named_in_the_singular():
    """Per-example updates in a mean profile: each gradient is the mean over a group of m = 1 example (not
    "the m = 1 examples"); a group of 4 keeps its plural."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.teaching.explain import Cell, explain

    doc = json.loads((NETWORKS / "xor.json").read_text(encoding="utf-8"))
    for update, words in (("per_example", "the m = 1 example of this update group"),
                          ("full_batch", "the m = 4 examples of this update group")):
        doc["training"]["update"] = update
        stepper = Stepper(parse(doc, "xor.json"), notation=PROFILES["ng"])
        stepper.run_until(lambda s: s.key.quantity == "G" and s.key.layer == 2)
        text = explain(stepper, Cell("G", 2, 1, 1), 4).text()
        assert words in text, text

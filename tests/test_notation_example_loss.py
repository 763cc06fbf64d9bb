"""One example's loss in a course that writes it apart from the cost (issue 23): Ng writes the per-example loss
ℒ(ŷ, y) and the cost J = (1/m) Σ ℒ; ng printed J⁽ⁿ⁾. A profile's ``example_loss`` (a course's file may set it:
``symbols.example_loss``) names ℓ⁽ⁿ⁾ wherever it is printed; every other profile keeps its loss's own symbol."""

from __future__ import annotations

import json

import pytest

from bptui.core.engine.equations import LOSS_D, loss_sym, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import LatexPrinter, TextPrinter
from bptui.core.formulas.profiles import PROFILES, profile_from_json, profile_json
from bptui.core.teaching.quiz import cell_symbol
from bptui.core.teaching.explain import Cell, explain
from bptui.core.util.errors import SpecError
from bptui.examples import resolve

from .test_notation import _run


def test_ng_writes_one_examples_loss_script_l_and_the_cost_j():
    P = PROFILES["ng"]
    text, latex = TextPrinter(4, notation=P), LatexPrinter(4, notation=P)
    assert (text.p(loss_sym(3)), text.p(LOSS_D)) == ("ℒ⁽³⁾", "J")
    assert latex.p(loss_sym("n")).startswith(r"\mathcal{L}")
    stepper = Stepper(load_any(resolve("xor")), notation=P)
    while (step := stepper.forward()).key.phase != "loss":
        pass
    lines = [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                       notation=P)]
    assert lines[0].startswith("ℒ⁽¹⁾ = Σₖ (aₖ^[2] − yₖ)² = ") and lines[1].startswith("J ← ℒ⁽¹⁾"), lines
    assert cell_symbol(stepper, Cell("loss"), 1) == "ℒ⁽¹⁾"
    assert explain(stepper, Cell("loss"), 4).text().startswith("ℒ⁽¹⁾ = ")


@pytest.mark.parametrize("name", [n for n in PROFILES if n != "ng"])
def test_every_other_profile_writes_one_examples_loss_with_its_loss_symbol(name):
    P = PROFILES[name]
    assert P.example_loss is None and P.per_example_loss == P.loss
    assert "example_loss" not in profile_json(P)["symbols"]


def test_a_courses_file_sets_the_per_example_loss_and_its_mistakes_are_one_line_each(tmp_path):
    doc = {**profile_json(PROFILES["lecture13"]), "name": "course"}
    doc["symbols"]["example_loss"] = {"text": "L", "latex": r"\mathcal{L}"}
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _run("trace", "xor", "--notation", str(path))
    assert (code, err) == (0, "") and "[loss] L⁽¹⁾ = " in out and "ℓ_D ← ℓ_D + L⁽¹⁾ = " in out
    assert profile_from_json(profile_json(profile_from_json(doc, "course.json")), "course.json").example_loss.text == "L"
    for entry, place in (({"text": "L", "latex": r"\input{x}"}, "symbols.example_loss.latex"),
                         ({"text": "L{}", "latex": "L"}, "symbols.example_loss.text"),
                         ({"text": "L"}, "symbols.example_loss")):
        doc["symbols"]["example_loss"] = entry
        path.write_text(json.dumps(doc), encoding="utf-8")
        code, out, err = _run("trace", "xor", "--notation", str(path))
        assert (code, out) == (2, "") and err.startswith(f"error: {path}: {place}") and err.count("\n") == 1, err
        with pytest.raises(SpecError):
            profile_from_json(doc, "course.json")

"""Notation profiles (issue 23): a profile names and groups the numbers, never changes them.

- the profile as data: the shipped profiles are valid profile files; a course's own file with a
  mistake in it gives one ``error:`` line naming the file and the place (seeded mutations of every
  shipped profile's file, by class);
- one truth in every profile: random dense networks through two epochs, every step's equations as
  the profile groups them (a separate b, the mean G/m) hold on the numbers shown, in text and LaTeX;
- ``trace --format json``: the same values in every profile, only ``equation`` and ``notation`` differ;
- xor's equations in each profile, against the equations issue 23 quotes.
"""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.engine.equations import check_profile, profile_fits, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import LatexPrinter, TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES, QUANTITIES, profile_from_json, profile_json
from bptui.core.util.errors import SpecError
from bptui.examples import resolve

from .formula_checks import check_equation, check_text
from .test_formula import networks

WRITTEN = [name for name, p in PROFILES.items() if p.vectors == "column"]


# -- the profile as data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PROFILES))
def test_every_shipped_profile_reads_back_from_its_file(name):
    doc = profile_json(PROFILES[name])
    doc["name"] = "course_" + name
    back = profile_from_json(json.loads(json.dumps(doc)), "course.json")
    assert back.name == "course_" + name
    for q in QUANTITIES:
        assert back.symbol(q) == PROFILES[name].symbol(q)
    assert (back.bias_mode, back.vectors, back.layer_index, back.unit_base, back.gradient_mode, back.input_layer) == (
        PROFILES[name].bias_mode, PROFILES[name].vectors, PROFILES[name].layer_index, PROFILES[name].unit_base,
        PROFILES[name].gradient_mode, PROFILES[name].input_layer)


def test_the_shipped_profiles_are_the_ones_the_issue_quotes():
    P = PROFILES
    assert [P["lecture13"].symbol(q).text for q in QUANTITIES] == ["s", "o", "δ", "G", "W", "b", "ℓ", "η"]
    assert [P["nielsen"].symbol(q).text for q in ("pre_activation", "activation", "weights", "bias", "loss")] == \
        ["z", "a", "w", "b", "C"]
    assert [P["goodfellow"].symbol(q).text for q in ("pre_activation", "activation", "delta", "loss")] == ["a", "h", "g", "J"]
    assert [P["ng"].symbol(q).text for q in ("pre_activation", "activation", "delta", "gradient", "loss")] == \
        ["z", "a", "dz", "d{}", "J"]
    assert (P["lecture13"].bias_mode, P["nielsen"].bias_mode, P["ng"].gradient_mode, P["goodfellow"].gradient_mode) == \
        ("column0", "separate", "mean", "sum")
    assert (P["nielsen"].layer_index, P["goodfellow"].layer_index, P["ng"].layer_index) == ("plain", "paren", "bracket")
    assert P["cs231n"].vectors == "row" and P["cs231n"].unit_base == 0


def _paths(doc, path=()):
    """Every place in a profile document: (path, value)."""
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, path + (k,))


def _set(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    at = doc
    for k in path[:-1]:
        at = at[k]
    if value is _DELETE:
        del at[path[-1]]
    else:
        at[path[-1]] = value
    return doc


_DELETE = object()
# the classes of mistakes, each a value put at a place (or the place taken away)
BAD_VALUES = [_DELETE, None, 3, -1, 2.5, True, "", " ", "x y  z", "\x1b[2J", "a\u202eb", [], {}, "w" * 60,
              r"\input{/etc/passwd}", r"\write18", "{a", "a}", "{}{}", "column", "sum", "separate", "bracket"]


def mutations(seed: int):
    rng = random.Random(seed)
    name = rng.choice(list(PROFILES))
    doc = profile_json(PROFILES[name])
    doc["name"] = "mine"
    places = [p for p, _ in _paths(doc) if p]
    out = []
    for _ in range(30):
        place = rng.choice(places)
        out.append((place, _set(doc, place, rng.choice(BAD_VALUES))))
    out.append(((), _set(doc, ("extra",), 1)))
    out.append(((), _set(doc, ("symbols", "gates"), {"text": "g", "latex": "g"})))
    return out


def _valid(doc) -> bool:
    try:
        profile_from_json(doc, "mine.json")
    except SpecError:
        return False
    return True


@pytest.mark.parametrize("seed", range(6))
def test_a_mistake_in_a_profile_file_names_the_file_and_the_place(seed):
    seen = 0
    for place, doc in mutations(seed):
        try:
            profile_from_json(doc, "courses/mine.json")
        except SpecError as err:
            text = str(err)
            assert text.startswith("courses/mine.json: "), text
            assert "\n" not in text and "Traceback" not in text
            named = err.place
            assert named, text
            # the place named is where the mutation was, or (a removed key, an unknown one) the object holding it
            where = ".".join(map(str, place))
            assert where.startswith(named) or named.startswith(where.rsplit(".", 1)[0]) or named == "top level", (
                where, text)
            seen += 1
        else:  # a mutation that happens to be valid (the same value, another allowed one) reads as a profile
            assert _valid(doc)
    assert seen >= 15


def test_a_separate_bias_needs_the_gradient_to_name_its_parameter():
    doc = profile_json(PROFILES["ng"])
    doc["name"] = "mine"
    doc["symbols"]["gradient"] = {"text": "G", "latex": "G"}
    with pytest.raises(SpecError, match="symbols.gradient.text.*write {} once"):
        profile_from_json(doc, "mine.json")
    doc = profile_json(PROFILES["lecture13"])
    doc["name"], doc["unit_base"] = "mine", 0
    with pytest.raises(SpecError, match="mine.json: unit_base: units count from 0 only with a separate bias"):
        profile_from_json(doc, "mine.json")


# -- one truth in every profile -----------------------------------------------------------------------------
def check_profile_step(stepper, step, digits: int, name: str) -> int:
    P = PROFILES[name]
    text, latex = TextPrinter(digits, notation=P), LatexPrinter(digits, notation=P)
    checked = 0
    for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        eq = plan(eq, digits)
        checked += check_equation(eq, digits, stepper, where=f"{name} step {step.key.step}")
        check_text(eq, digits, text.equation(eq), " ".join(r for row in latex.rows(eq) for r in row))
    return checked


@settings(max_examples=25, deadline=None)
@given(networks(), st.integers(2, 6), st.sampled_from(WRITTEN))
def test_every_number_is_its_value_in_every_profile(spec, digits, name):
    stepper = Stepper(spec)
    assert profile_fits(stepper.net, PROFILES[name]) is None
    checked = 0
    for _ in range(2 * len(stepper.schedule)):
        step = stepper.forward()
        checked += check_profile_step(stepper, step, digits, name)
    assert checked > 0


def test_the_profile_schema_is_json_schema_and_every_shipped_profile_fits_it():
    import jsonschema

    from bptui.core.util.validate import schema

    sch = schema("notation-schema.json")
    jsonschema.Draft202012Validator.check_schema(sch)
    for p in PROFILES.values():
        jsonschema.validate(profile_json(p), sch)

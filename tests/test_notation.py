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
from bptui.core.formulas.profiles import PROFILES, QUANTITIES, Profile, profile_from_json, profile_json
from bptui.core.util.errors import SpecError
from bptui.examples import resolve

from .conftest import dropout_on_maps
from .formula_checks import check_equation, check_text
from .test_formula import networks

WRITTEN = list(PROFILES)


def _course(base: str, name: str, **changes) -> Profile:
    doc = {**profile_json(PROFILES[base]), "name": name, **changes}
    return profile_from_json(doc, f"{name}.json")


# a course's own profiles with the choices no shipped one makes: the bias in column 0 with a mean gradient,
# units from 0 with a plain superscript and no input shift
COURSES = {"column_mean": _course("lecture13", "column_mean", gradient="mean"),
           "zero_based": _course("goodfellow", "zero_based", unit_base=0, layer_index="plain")}
ALL = {**PROFILES, **COURSES}


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
    doc["unit_base"], doc["vectors"] = 1, "row"
    with pytest.raises(SpecError, match=r"mine.json: vectors: row vectors \(x W \+ b\) need a separate bias"):
        profile_from_json(doc, "mine.json")


# -- one truth in every profile -----------------------------------------------------------------------------
def check_profile_step(stepper, step, digits: int, name: str) -> int:
    P = ALL[name]
    text, latex = TextPrinter(digits, notation=P), LatexPrinter(digits, notation=P)
    checked = 0
    for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        eq = plan(eq, digits)
        checked += check_equation(eq, digits, stepper, where=f"{name} step {step.key.step}")
        shown, rows = text.equation(eq), " ".join(r for row in latex.rows(eq) for r in row)
        if "…" not in shown and "cdots" not in rows and "ddots" not in rows:  # every number where none is elided
            check_text(eq, digits, shown, rows)
    return checked


# lecture13 is test_formula.py's (its property test walks the same equations with more networks)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(networks(), st.integers(2, 6), st.sampled_from([n for n in WRITTEN if n != "lecture13"] + list(COURSES)))
def test_every_number_is_its_value_in_every_profile(spec, digits, name):
    stepper = Stepper(spec)
    assert profile_fits(stepper.net.kinds, ALL[name]) is None
    checked = 0
    for _ in range(2 * len(stepper.schedule)):
        step = stepper.forward()
        checked += check_profile_step(stepper, step, digits, name)
    assert checked > 0


# momentum in a profile whose velocity is the step (goodfellow's Algorithm 8.2, and a course's file made from
# his): every number of every step and of every weight's explanation holds, and the v shown is −η times the
# optimizer's velocity (the board's), at every digits
@settings(max_examples=12, deadline=None, derandomize=True)
@given(networks().filter(lambda spec: spec.optimizer.name == "momentum"), st.integers(2, 6),
       st.sampled_from(["goodfellow", "zero_based"]))
def test_a_velocity_written_as_the_step_is_minus_eta_v_and_every_number_holds(spec, digits, name):
    from bptui.core.teaching.explain import explain

    from .test_explain import cells

    P = ALL[name]
    assert P.velocity == "step"
    stepper = Stepper(spec, notation=P)
    eta, velocities = spec.optimizer.learning_rate, 0
    for _ in range(2 * len(stepper.schedule)):
        step = stepper.forward()
        check_profile_step(stepper, step, digits, name)
        if step.key.phase != "update":
            continue
        l = step.key.layer
        kept = stepper.state.opt[l].v
        for eq in step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P):
            if eq.lhs.base == "v":  # v⁽ˡ⁾ (W's part) and v_b⁽ˡ⁾: −η times the kept velocity's parts
                part = kept[:, 0] if eq.lhs.sub == ("b",) else kept[:, 1:]
                assert np.array_equal(np.asarray(eq.result.values).reshape(part.shape), -eta * part)
                velocities += 1
        for cell in cells(spec):
            if cell.quantity == "W" and cell.layer == l:
                e = explain(stepper, cell, digits)
                for eq in e.equations:
                    eq = plan(eq, digits)
                    check_equation(eq, digits, stepper, where=f"{name} {cell} at {step.key}")
                    if eq.lhs.base == "v":
                        assert eq.result.value == -eta * kept[cell.unit - 1, cell.column]
    assert velocities >= 2 * spec.L


def test_the_profile_schema_is_json_schema_and_every_shipped_profile_fits_it():
    import jsonschema

    from bptui.core.util.validate import schema

    sch = schema("notation-schema.json")
    jsonschema.Draft202012Validator.check_schema(sch)
    for p in PROFILES.values():
        jsonschema.validate(profile_json(p), sch)


# -- trace --------------------------------------------------------------------------------------------------
def _run(command: str, *args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from bptui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([command, *args])
    return code, out.getvalue(), err.getvalue()


def _trace(*args: str) -> tuple[int, str, str]:
    return _run("trace", *args)


@pytest.mark.parametrize("example", ["xor", "classifier", "moons"])
def test_trace_json_has_the_lectures_values_in_every_profile(example):
    runs = {}
    for name in WRITTEN:
        code, out, _ = _trace(example, "--format", "json", "--notation", name)
        assert code == 0
        runs[name] = [json.loads(line) for line in out.splitlines()]
    base = runs["lecture13"]
    for name, rows in runs.items():
        assert len(rows) == len(base)
        for row, ref in zip(rows, base):
            assert row["notation"] == name
            assert {k: v for k, v in row.items() if k not in ("equation", "notation")} == \
                {k: v for k, v in ref.items() if k not in ("equation", "notation")}
    assert runs["nielsen"][0]["equation"] != base[0]["equation"]


def _eqs(name: str) -> list[str]:
    code, out, err = _trace("xor", "--format", "json", "--notation", name)
    assert code == 0, err
    return [json.loads(line)["equation"] for line in out.splitlines()]


def test_xors_equations_in_each_profile_are_the_ones_the_issue_quotes():
    # the lecture's: s = W o with o⁽⁰⁾ = [1, x], G ← G + δ oᵀ, W ← W − η G
    lec = _eqs("lecture13")
    assert lec[0].startswith("s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾ = ")
    assert lec[1].startswith("o⁽¹⁾ = [1, tanh(s⁽¹⁾)]")
    assert lec[6].startswith("G⁽²⁾ ← G⁽²⁾ + δ⁽²⁾ o⁽¹⁾ᵀ")
    assert lec[36].startswith("W⁽¹⁾ ← W⁽¹⁾ − η G⁽¹⁾")
    # nielsen: z² = w² a¹ + b², a² = σ(z²); BP1 δᴸ = ∇ₐC ⊙ σ′(zᴸ); BP2 δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ);
    # BP3 ∂C/∂b = δ; BP4 ∂C/∂w = δ aᵀ (the mean over the group: each example adds its term over m)
    ni = _eqs("nielsen")
    assert ni[0].startswith("z² = w² a¹ + b² = [[0.5, −0.4], [0.3, 0.6]] [0, 0] + [0.1, −0.2] = [0.1, −0.2]")
    assert ni[1].startswith("a² = tanh(z²) = ")
    assert ni[3].startswith("a³ = σ(z³) = ")
    assert ni[4].startswith("C₁ = Σₖ (aₖ³ − yₖ)² = ")  # xor's squared loss: no ½
    assert ni[5].startswith("δ³ = 2(a³ − y) ⊙ a³ ⊙ (1 − a³) = ")
    assert ni[6].startswith("∂C/∂w³ ← ∂C/∂w³ + (δ³ a²ᵀ)/m = ") and ";   ∂C/∂b³ ← ∂C/∂b³ + δ³/m = " in ni[6]
    assert ni[7].startswith("δ² = (w³ᵀ δ³) ⊙ (1 − a²⊙a²) = ")
    assert ni[36].startswith("w² ← w² − (η·m) ∂C/∂w² = ") and "(0.5·4)" in ni[36]
    assert ";   b² ← b² − (η·m) ∂C/∂b² = " in ni[36]
    # goodfellow: a⁽ᵏ⁾ = W⁽ᵏ⁾ h⁽ᵏ⁻¹⁾ + b⁽ᵏ⁾, h⁽ᵏ⁾ = f(a⁽ᵏ⁾), g ← g ⊙ f′(a), ∇_b J = g, ∇_W J = g hᵀ, g ← Wᵀ g; J summed
    gf = _eqs("goodfellow")
    assert gf[0].startswith("a⁽¹⁾ = W⁽¹⁾ h⁽⁰⁾ + b⁽¹⁾ = ")
    assert gf[1].startswith("h⁽¹⁾ = tanh(a⁽¹⁾) = ")
    assert gf[6].startswith("∇_W⁽²⁾ J ← ∇_W⁽²⁾ J + g⁽²⁾ h⁽¹⁾ᵀ = ") and "∇_b⁽²⁾ J ← ∇_b⁽²⁾ J + g⁽²⁾ = " in gf[6]
    assert gf[7].startswith("g⁽¹⁾ = (W⁽²⁾ᵀ g⁽²⁾) ⊙ (1 − h⁽¹⁾⊙h⁽¹⁾) = ")
    assert gf[36].startswith("W⁽¹⁾ ← W⁽¹⁾ − ε ∇_W⁽¹⁾ J = ")
    # ng: z^[l] = W^[l] a^[l−1] + b^[l], dz^[l] = da ⊙ g′(z), dW = (1/m) Σ dz a^[l−1]ᵀ, db = (1/m) Σ dz
    ng = _eqs("ng")
    assert ng[0].startswith("z^[1] = W^[1] a^[0] + b^[1] = ")
    assert ng[6].startswith("dW^[2] ← dW^[2] + (dz^[2] a^[1]ᵀ)/m = ") and "db^[2] ← db^[2] + dz^[2]/m = " in ng[6]
    assert ng[7].startswith("dz^[1] = (W^[2]ᵀ dz^[2]) ⊙ (1 − a^[1]⊙a^[1]) = ")
    assert ng[36].startswith("W^[1] ← W^[1] − (α·m) dW^[1] = ")
    # cs231n: row vectors, scores = x W + b with W the file's W without column 0, transposed (D × C),
    # dW = xᵀ dscores, db = dscores, dx = dscores Wᵀ; the mean over the group
    cs = _eqs("cs231n")
    assert cs[0].startswith("scores¹ = h⁰ W¹ + b¹ = [0, 0] [[0.5, 0.3], [−0.4, 0.6]] + [0.1, −0.2] = [0.1, −0.2]")
    assert cs[2].startswith("scores² = h¹ W² + b² = [0.09967, −0.1974] [[0.7], [−0.6]] + [0.05] = ")
    assert cs[6].startswith("dW² ← dW² + (h¹ᵀ dscores²)/m = [[0], [0]] + ") and "db² ← db² + dscores²/m = " in cs[6]
    assert cs[7].startswith("dscores¹ = (dscores² W²ᵀ) ⊙ (1 − h¹⊙h¹) = ")
    assert cs[37].startswith("W² ← W² − (learning_rate·m) dW² = [[0.7], [−0.6]] − (0.5·4) ")
    # the same numbers: s⁽¹⁾, and W⁽¹⁾ after the update is the lecture's without its bias column (cs231n's
    # transposed; the mean G/m times m is the lecture's G)
    from bptui.core.formulas.formula import Arr

    code, out, _ = _trace("xor", "--format", "json")
    W1 = np.array([json.loads(line) for line in out.splitlines()][36]["value"])
    for eqs, shown in ((ni, W1[:, 1:]), (gf, W1[:, 1:]), (ng, W1[:, 1:]), (cs, W1[:, 1:].T)):
        assert eqs[0].rsplit(" = ", 1)[1] == lec[0].rsplit(" = ", 1)[1]
        assert eqs[36].split(";")[0].rsplit(" = ", 1)[1] == TextPrinter().p(Arr(shown))


def test_the_option_wins_over_the_files_notation_and_bad_names_name_their_place(tmp_path):
    doc = json.loads(open(resolve("xor"), encoding="utf-8").read())
    doc["notation"] = "ng"
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _eqs_of(str(path))[0].startswith("z^[1] = ")
    assert _eqs_of(str(path), "--notation", "goodfellow")[0].startswith("a⁽¹⁾ = ")
    doc["notation"] = "shakespeare"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _trace(str(path))
    assert (code, out) == (2, "") and err.startswith(f"error: {path}: notation: 'shakespeare' is neither")
    assert err.count("\n") == 1
    # a course's profile file beside the network file, by its relative path
    mine = profile_json(PROFILES["nielsen"])
    mine["name"] = "course"
    mine["symbols"]["weights"] = {"text": "Θ", "latex": r"\Theta"}
    (tmp_path / "course.json").write_text(json.dumps(mine), encoding="utf-8")
    doc["notation"] = "course.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _eqs_of(str(path))[0].startswith("z² = Θ² a¹ + b² = ")
    code, out, err = _trace("xor", "--notation", "nowhere")
    assert (code, out) == (2, "") and err.startswith("error: --notation: 'nowhere' is neither")
    mine["layer_index"] = "curly"
    (tmp_path / "course.json").write_text(json.dumps(mine), encoding="utf-8")
    code, out, err = _trace("xor", "--notation", str(tmp_path / "course.json"))
    assert (code, out) == (2, "") and err == f"error: {tmp_path / 'course.json'}: layer_index: \"curly\" is not one of paren, bracket, plain\n"


def _eqs_of(path: str, *more: str) -> list[str]:
    code, out, err = _trace(path, "--format", "json", *more)
    assert code == 0, err
    return [json.loads(line)["equation"] for line in out.splitlines()]


@pytest.mark.parametrize("example, notation, says", [
    ("lecture13", "ng", "a computation graph is written in the lecture's notation"),
])
def test_what_a_profile_does_not_write_yet_is_refused_before_any_output(example, notation, says):
    code, out, err = _trace(example, "--notation", notation)
    assert (code, out) == (2, "") and err.startswith("error: ") and says in err and err.count("\n") == 1


# -- export -------------------------------------------------------------------------------------------------
def _export(*args: str) -> tuple[int, str, str]:
    return _run("export", *args)


def test_export_in_the_lectures_notation_is_unchanged_by_naming_it():
    for fmt in ("markdown", "latex"):
        plain, named = _export("xor", "--format", fmt), _export("xor", "--format", fmt, "--notation", "lecture13")
        assert plain[0] == 0 and plain == named


@pytest.mark.parametrize("name, first, update", [
    ("nielsen", r"z^{2} &= w^{2} a^{1} + b^{2}", r"w^{2} &\leftarrow w^{2} - (\eta \cdot m) \partial C/\partial w^{2}"),
    ("goodfellow", r"a^{(1)} &= W^{(1)} h^{(0)} + b^{(1)}", r"W^{(1)} &\leftarrow W^{(1)} - \epsilon \nabla_{W^{(1)}} J"),
    ("ng", r"z^{[1]} &= W^{[1]} a^{[0]} + b^{[1]}", r"W^{[1]} &\leftarrow W^{[1]} - (\alpha \cdot m) dW^{[1]}"),
    ("cs231n", r"\mathit{scores}^{1} &= h^{0} W^{1} + b^{1}", r"dW^{2} &\leftarrow dW^{2} + \frac{h^{1\,T} \mathit{dscores}^{2}}{m}"),
])
def test_export_writes_each_profiles_equations_and_notation_section(name, first, update):
    code, md, err = _export("xor", "--notation", name)
    assert code == 0, err
    assert f"## Notation ({name})" in md and first in md and update in md
    assert "o^{(0)}" not in md and "G^{(" not in md  # no lecture symbol is left in a separate-bias profile
    code, tex, err = _export("xor", "--notation", name, "--format", "latex")
    assert code == 0 and rf"\section*{{Notation ({name})}}" in tex and first in tex


def test_export_refuses_what_is_written_in_the_lectures_notation_only():
    code, out, err = _export("lecture13", "--notation", "ng")
    assert (code, out) == (2, "") and "a computation graph is written in the lecture's notation" in err


# -- the app's equation line ----------------------------------------------------------------------------------
async def test_the_apps_equation_line_follows_the_notation():
    from bptui.tui.app import BptuiApp

    code, out, _ = _trace("xor", "--format", "json", "--notation", "goodfellow")
    rows = [json.loads(line) for line in out.splitlines()]
    app = BptuiApp(load_any(resolve("xor")), PROFILES["goodfellow"])
    async with app.run_test(size=(140, 40)) as pilot:
        for row in rows[:12]:  # the forward pass, the loss, both gradients
            app.main.action_next()
            await pilot.pause()
            assert str(app.query_one("#equation").render()) == row["equation"]
    assert rows[0]["equation"].startswith("a⁽¹⁾ = W⁽¹⁾ h⁽⁰⁾ + b⁽¹⁾")


def test_the_app_checks_its_notation_before_it_opens(capsys, tmp_path):
    from bptui.cli import main

    assert main(["xor", "--notation", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --notation: 'nowhere' is neither") and err.count("\n") == 1
    # every layer network is drawn in every profile (dropout on maps, layer norms, recurrent layers, attention)
    from bptui.tui.panels import panels_fit

    assert panels_fit(load_any(str(dropout_on_maps(tmp_path))).kinds, PROFILES["ng"]) is None
    for drawn in ("moons_layernorm", "parity", "tiny_transformer"):
        assert panels_fit(load_any(resolve(drawn)).kinds, PROFILES["ng"]) is None


# -- the manual ---------------------------------------------------------------------------------------------
def test_the_manuals_table_is_the_profiles_own_and_its_example_profile_reads():
    import re
    from pathlib import Path

    from bptui.core.engine.equations import notation_table

    text = (Path(__file__).resolve().parent.parent / "docs" / "notation.md").read_text(encoding="utf-8")
    shown = text.split("<!-- notation-table -->\n", 1)[1].split("\n<!-- /notation-table -->", 1)[0]
    assert shown.splitlines() == notation_table()
    example = re.search(r"### A course's own profile.*?```json\n(.*?)```", text, re.S)
    assert example is not None
    p = profile_from_json(json.loads(example[1]), "course.json")
    assert (p.weights.text, p.bias_mode, p.layer_index, p.gradient_mode) == ("Θ", "separate", "bracket", "mean")
    from bptui.core.formulas.formula import Sym

    assert TextPrinter(notation=p).p(Sym("G", 2, vector=True)) == "∂J/∂Θ^[2]"


async def test_w_saves_the_apps_notation_and_the_saved_file_opens_in_it(tmp_path, monkeypatch):
    from bptui.tui.app import BptuiApp

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPTUI_SAVE_DIR", raising=False)
    mine = profile_json(PROFILES["ng"])
    mine["name"] = "course"
    mine["symbols"]["weights"] = {"text": "Θ", "latex": r"\Theta"}
    (tmp_path / "course.json").write_text(json.dumps(mine), encoding="utf-8")
    for notation, saved in ((PROFILES["nielsen"], "nielsen"),
                            (profile_from_json(mine, str(tmp_path / "course.json")), "course.json")):  # beside it: relative
        app = BptuiApp(load_any(resolve("xor")), notation)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("w")
            app.screen.query_one("#value").value = "saved.json"
            await pilot.press("enter")
            await pilot.pause()
        doc = json.loads((tmp_path / "saved.json").read_text(encoding="utf-8"))
        assert doc["notation"] == saved
        first = _eqs_of(str(tmp_path / "saved.json"))[0]
        assert first.startswith("z² = w² a¹ + b²" if saved == "nielsen" else "z^[1] = Θ^[1] a^[0] + b^[1]")
        (tmp_path / "saved.json").unlink()


def test_serve_passes_the_notation_to_each_tabs_app_and_checks_it_first(capsys, tmp_path):
    from bptui.cli import main
    from bptui.serve import app_argv

    assert app_argv("xor.json", notation="ng")[-2:] == ["--notation", "ng"]
    assert "--notation" not in app_argv("xor.json")
    for args, says in ((["xor", "--notation", "nowhere"], "error: --notation: 'nowhere' is neither"),
                       (["lecture13_expression", "--notation", "cs231n"],
                        "lecture13_expression.json: --notation cs231n: a computation graph is written in the lecture's notation")):
        assert main(["serve", *args, "--port", "1"]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1


def test_a_column0_mean_profile_and_units_from_0_print_as_they_say():
    from bptui.core.formulas.formula import Sym

    code, out, _ = _trace("xor", "--format", "json")
    lec = [json.loads(line)["equation"] for line in out.splitlines()]
    spec = load_any(resolve("xor"))
    stepper = Stepper(spec, notation=COURSES["column_mean"])
    from bptui.core.engine.equations import step_equation

    eqs = [step_equation(stepper, stepper.forward()) for _ in range(len(stepper.schedule))]
    assert eqs[0] == lec[0]  # the forward pass is the lecture's
    assert eqs[6].startswith("G⁽²⁾ ← G⁽²⁾ + (δ⁽²⁾ o⁽¹⁾ᵀ)/m = ")
    assert eqs[36].startswith("W⁽¹⁾ ← W⁽¹⁾ − (η·m) G⁽¹⁾ = ") and eqs[36].endswith(lec[36].rsplit(" = ", 1)[1])
    zero = TextPrinter(notation=COURSES["zero_based"])
    # units from 0: the lecture's w₂,₁⁽¹⁾ (unit 2 of layer 1, from unit 1 below) is w₁,₀¹; its bias w₂,₀⁽¹⁾ is b₁¹
    assert zero.p(Sym("w", 1, (2, 1))) == "w₁,₀¹" and zero.p(Sym("w", 1, (2, 0))) == "b₁¹"
    assert zero.p(Sym("G", 1, (2, 0))) == "∇_b₁¹ J"


def test_the_networks_rules_in_a_profile_are_the_steps_rules():
    from bptui.core.engine.equations import network_formulas
    from bptui.core.engine.network import Network
    from bptui.tui.help import help_text

    spec = load_any(resolve("xor"))
    rules = [TextPrinter(notation=PROFILES["nielsen"]).equation(e)
             for e in network_formulas(Network(spec), spec.optimizer, PROFILES["nielsen"])]
    assert rules == ["z² = w² a¹ + b²", "a² = tanh(z²)", "f′² = 1 − a²⊙a²", "z³ = w³ a² + b³", "a³ = σ(z³)",
                     "f′³ = a³ ⊙ (1 − a³)", "Cₙ = Σₖ (aₖ³ − yₖ)²", "δ³ = 2(a³ − y) ⊙ a³ ⊙ (1 − a³)",
                     "δˡ = (wˡ⁺¹ᵀ δˡ⁺¹) ⊙ f′ˡ", "∂C/∂wˡ ← ∂C/∂wˡ + (δˡ aˡ⁻¹ᵀ)/m", "∂C/∂bˡ ← ∂C/∂bˡ + δˡ/m",
                     "wˡ ← wˡ − (η·m) ∂C/∂wˡ", "bˡ ← bˡ − (η·m) ∂C/∂bˡ"]
    # each step's symbolic form is its layer's rule (the first layer's, with l = 1)
    steps = _eqs("nielsen")
    for rule, step in ((rules[0], steps[0]), (rules[1], steps[1]), (rules[4], steps[3]), (rules[7], steps[5])):
        assert step.startswith(rule + " = ")
    shown = help_text(spec, PROFILES["nielsen"])
    assert "its rules, as every step writes them, in the notation nielsen" in shown and "  z² = w² a¹ + b²" in shown
    assert help_text(spec) == help_text(spec, PROFILES["lecture13"])
    # a profile's rules with an optimizer's state: each of W's and b's apart
    iris = load_any(resolve("iris"))
    ng = [TextPrinter(notation=PROFILES["ng"]).equation(e)
          for e in network_formulas(Network(iris), iris.optimizer, PROFILES["ng"])]
    # (his Adam: v and s, the lecture's m and v)
    assert "b^[l] ← b^[l] − α v̂_b^[l]/(√ŝ_b^[l] + ε)" in ng and "W^[l] ← W^[l] − α v̂^[l]/(√ŝ^[l] + ε)" in ng


@pytest.mark.parametrize("network", ["parity", "gru_parity", "count_tokens"])
@pytest.mark.parametrize("name", ["column_mean", "ng", "cs231n"])
def test_the_help_writes_a_dense_layer_above_a_layer_over_time_as_its_step_does(network, name):
    """A dense layer reading a layer over time (an rnn's o_T, attention's o_τ: no 1 of their own) multiplies
    [1, o⁽ˡ⁻¹⁾] where the bias is column 0 of W: the help's rule (network_formulas) is its step's symbolic form
    with the time index left out, s⁽²⁾ = W⁽²⁾ [1, o⁽¹⁾] (it wrote W⁽²⁾ o⁽¹⁾ in a column-0 mean course), and the
    separate-bias profiles' z = W a + b likewise."""
    from bptui.core.engine.equations import network_formulas, s
    from bptui.core.formulas.formula import Sym, substitute, walk

    P = ALL[name]
    spec = load_any(resolve(network))
    stepper = Stepper(spec, notation=P)
    text = TextPrinter(notation=P)
    dense = [l for l in range(2, spec.L + 1) if not stepper.net.kinds[l - 1].over_time
             and stepper.net.kinds[l - 2].over_time]
    assert dense
    rules = {e.lhs: e for e in network_formulas(stepper.net, spec.optimizer, P)}
    seen = set()
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        k = step.key
        if k.phase != "forward" or k.quantity != "s" or k.layer not in dense or k.layer in seen:
            continue
        seen.add(k.layer)
        form = step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)[0].forms[0]
        untimed = substitute(form, {n: Sym(**{**n.__dict__, "time": None}) for n in walk(form)
                                    if isinstance(n, Sym) and n.time is not None})
        rule = rules[s(k.layer)]
        assert text.p(rule.forms[0]) == text.p(untimed), (text.equation(rule), text.p(form))
        if not P.separate_bias:
            assert text.p(rule.forms[0]).endswith(f"[1, {text.p(Sym('o', k.layer - 1, vector=True))}]")
    assert seen == set(dense)


@pytest.mark.parametrize("typed", ["Nielsen", "CS231n", "NG"])
def test_a_shipped_profiles_name_in_any_case_is_that_profile(typed):
    """`--notation Nielsen` is nielsen (a newcomer types the book's capital): resolve, which the option and a
    file's "notation" both go through, and trace with the option."""
    from bptui.core.formulas.profiles import resolve

    assert resolve(typed) is PROFILES[typed.lower()]
    code, out, err = _trace("xor", "--notation", typed)
    assert (code, err) == (0, "") and f'Notation: {typed.lower()}' in out

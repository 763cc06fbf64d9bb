"""Layer norm, dropout, residual blocks and attention in every notation profile (issue 23).

- one truth: random networks of each family (layer norms and dropout among dense layers, nested residual
  blocks, both together, and transformer-like sequences: attention and layer norms in blocks over the
  sequence) in each profile in turn, the four shipped and two courses' own: every step's equations, as
  the profile groups them, hold on the numbers shown in text and LaTeX, and every number with a Ref is
  the board's number through the profile's view (o without its 1, W without its column 0, b, G/m); on
  vectors, every number a step writes, explained, is the number the profile shows (G/m in a mean profile);
- what a profile writes: o without its 1 and Wᵀδ without [1:] where b is separate, s = W o⁽ˢʳᶜ⁾ + b in a
  block, γ's and β's gradients as ∂C/∂γ, ∂C/∂β, attention's matrices' gradients G/m in a mean profile;
- ``trace --format json``: every record's values and quantity names are the lecture's in every profile;
- a course's own profile file, named by ``--notation`` or by the network file's ``"notation"``;
- the quiz and an exercise's key in a profile; no letter standing for two quantities.
"""

from __future__ import annotations

import json

import pytest

from bptui.core.engine.equations import group_size, profile_fits
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.formula import plan
from bptui.core.formulas.profiles import PROFILES, profile_json
from bptui.core.teaching import quiz as quizzes
from bptui.core.teaching.explain import explain
from bptui.examples import resolve

from .formula_checks import check_equation, check_text
from .test_notation import ALL, _run, check_profile_step

OTHERS = [n for n in ALL if n != "lecture13"]
FAMILIES = ("unitwise", "residual", "unitwise_residual", "sequence")


def family_doc(family: str, seed: int) -> dict:
    """A random network file of ``family`` (the generators of the families' own tests)."""
    update = ["full_batch", "per_example", "mini_batch"][seed % 3]
    if family == "unitwise":
        from .test_unitwise import random_doc

        return random_doc(seed, n=3, update=update, maps=seed % 4 == 3)
    if family == "residual":
        from .helpers import random_residual_doc

        return random_residual_doc(seed, n=3, update={"batch_size": 2} if update == "mini_batch" else update)
    if family == "unitwise_residual":
        from .test_unitwise_residual import random_doc

        return random_doc(seed)
    from .test_residual_sequences import random_doc

    return random_doc(seed, n=2, update=update)


def shown(stepper, cell, value):
    """The number the stepper's profile shows for a board value: a mean profile's G divided by the m of
    the group of the last step."""
    if value is None or cell.quantity != "G" or not stepper.notation.mean:
        return value
    return value / group_size(stepper.net, stepper.schedule.key(stepper.position - 1))


def small(network: str, tmp_path, examples: int = 3) -> str:
    """A bundled network's file with its first few examples only, in ``tmp_path`` (its trace in seconds)."""
    doc = json.loads(open(resolve(network), encoding="utf-8").read())
    if "generator" in doc["data"]:
        doc["data"].update(n=examples, test_fraction=0.0)
    else:
        doc["data"] = {k: v[:examples] for k, v in doc["data"].items()}
    doc["training"].pop("shuffle_seed", None)
    path = tmp_path / f"{network}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


# each family in three profiles, each profile with two families (the shipped four and two courses' own)
@pytest.mark.parametrize("family, name", [(f, OTHERS[(3 * i + j) % len(OTHERS)]) for i, f in enumerate(FAMILIES)
                                          for j in range(3)])
def test_every_number_is_its_value_in_every_profile(family, name):
    seed = FAMILIES.index(family) * len(OTHERS) + OTHERS.index(name)
    stepper = Stepper(parse(family_doc(family, seed), f"{family}.json"), notation=ALL[name])
    assert profile_fits(stepper.net.kinds, ALL[name]) is None
    digits = 2 + seed % 5
    checked = explained = 0
    for i in range(len(stepper.schedule)):
        step = stepper.forward()
        checked += check_profile_step(stepper, step, digits, name)
        if ALL[name].separate_bias:  # attention's matrices as the profile's panel shows them (cs231n's D × C)
            checked += _attention_bound(stepper, step, ALL[name])
        k = step.key
        if family == "sequence" or i % 4 or k.phase not in ("forward", "backward") or k.layer is None:
            continue  # a cell at τ is checked against the board by the sequences' own tests
        for qc in quizzes.quiz_cells(stepper.spec, k, step.value):  # every number the step writes, explained
            cell = qc.cell
            e = explain(stepper, cell, digits)
            expected = shown(stepper, cell, qc.value)
            assert e.value == pytest.approx(expected, rel=1e-12, abs=1e-300), (name, cell, e.text())
            for eq in e.equations:
                eq = plan(eq, digits)
                explained += check_equation(eq, digits, stepper, where=f"{name} {cell} at {stepper.position}")
                if "…" not in e.text():
                    check_text(eq, digits, e.text())
    assert checked > 0 and (explained > 0 or family == "sequence")


def _trace_text(network: str, name: str) -> str:
    code, out, err = _run("trace", network, "--notation", name, "--no-color")
    assert code == 0, err
    return out


def _step(text: str, number: int) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith(f"{number}. ["))


def test_a_layer_norm_and_dropout_are_written_as_each_profile_groups_them(tmp_path):
    """moons_layernorm's first example in nielsen (b apart, a mean gradient; Adam: the group size |B|)."""
    network = small("moons_layernorm", tmp_path)
    text = _trace_text(network, "nielsen")
    assert _step(text, 4).split("] ")[1].startswith("a³ = γ³ ⊙ u³ + β³ = [1, 1, 1,")  # no 1 on top
    assert "a⁴ = (m⁴ ⊙ x⁴)/(1 − 0.2) = (" in _step(text, 5)
    assert "z⁵ = w⁵ a⁴ + b⁵ = " in _step(text, 6)
    assert "∂C/∂a⁴ = w⁵ᵀ δ⁵ = " in _step(text, 11) and "[1:]" not in _step(text, 11)
    assert "∂C/∂β³ ← ∂C/∂β³ + (∂C/∂a³)/|B| = " in _step(text, 13) and "∂C/∂γ³ ← ∂C/∂γ³ + " in _step(text, 13)
    assert "δ² = ∂C/∂x³ (1 − a²⊙a²) = " in _step(text, 14)
    lecture = _trace_text(network, "lecture13")
    assert "o⁽²⁾ = [1, γ⁽²⁾ ⊙ u⁽²⁾ + β⁽²⁾] = " in _step(lecture, 4) and "G_β⁽²⁾ ← G_β⁽²⁾ + ∂ℓ/∂o⁽²⁾ = " in _step(lecture, 13)
    # the network's rules (the help screen, export's notation section) group them as the steps do
    from bptui.core.engine.equations import network_formulas
    from bptui.core.formulas.formula import TextPrinter

    stepper = Stepper(load_any(network), notation=PROFILES["nielsen"])
    printer = TextPrinter(notation=PROFILES["nielsen"])
    rules = [printer.equation(eq) for eq in network_formulas(stepper.net, stepper.spec.optimizer, PROFILES["nielsen"])]
    assert "a³ = γ³ ⊙ u³ + β³" in rules and "a⁴ = (m⁴ ⊙ x⁴)/(1 − p)" in rules
    assert "∂C/∂β³ ← ∂C/∂β³ + (∂C/∂a³)/|B|" in rules


def test_a_residual_block_is_written_as_each_profile_groups_it():
    """deep_residual in ng: the block's first layer reads the block's input with its own b, the block's
    output has no 1 on top, the fan-in adds W ᵀ dz without [1:], a layer reading o⁽ˢʳᶜ⁾ averages its
    gradient over the group."""
    text = _trace_text("deep_residual", "ng")
    assert "z^[3] = W^[3] a^[1] + b^[3] = " in _step(text, 3)
    assert "a^[2] = a^[1] + a^[4] = " in _step(text, 7) and "[1, " not in _step(text, 7).split(" = ")[1]
    assert "dx^[5] = W^[8]ᵀ dz^[8] + W^[6]ᵀ dz^[6] = " in _step(text, 22)
    assert "dW^[6] ← dW^[6] + (dz^[6] a^[2]ᵀ)/m = " in _step(text, 21) and "db^[6] ← db^[6] + dz^[6]/m = " in _step(text, 21)


def test_goodfellows_block_gradient_puts_the_layer_on_x():
    """deep_residual in goodfellow: the block's gradient is ∇_{x⁽⁵⁾} J, as his ∇_{h⁽ᵏ⁾} J puts the layer on the
    variable (it read ∇_x J⁽⁵⁾, J of a layer 5); text and LaTeX, and at τ ∇_x⁽⁴⁾₂ J. The other profiles unchanged."""
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter
    from bptui.core.kinds.residual import dx_sym

    G = PROFILES["goodfellow"]
    text = _trace_text("deep_residual", "goodfellow")
    assert "∇_x⁽⁵⁾ J = W⁽⁸⁾ᵀ g⁽⁸⁾ + W⁽⁶⁾ᵀ g⁽⁶⁾ = " in _step(text, 22) and "∇_x J⁽" not in text
    assert TextPrinter(notation=G).p(dx_sym(4, time=2)) == "∇_x⁽⁴⁾₂ J"
    assert LatexPrinter(notation=G).p(dx_sym(5)) == r"\nabla_{x^{(5)}} J"
    assert "dx^[5] = W^[8]ᵀ dz^[8] + W^[6]ᵀ dz^[6] = " in _step(_trace_text("deep_residual", "ng"), 22)
    assert TextPrinter(notation=PROFILES["nielsen"]).p(dx_sym(5)) == "∂C/∂x⁶"  # his layers count from the input a¹


def test_a_layer_norm_at_tau_writes_its_tau(tmp_path):
    """tiny_transformer: its layer norms run at each τ, and every line of theirs names τ as the dense layers' beside
    them do (μ⁽²⁾₂, u⁽²⁾₂, o⁽⁵⁾₅, ∂ℓ/∂o⁽⁵⁾₅ = (W⁽⁶⁾ᵀ δ⁽⁶⁾₅)[1:]; goodfellow's ∇_h⁽⁵⁾₅ J), γ and β without one."""
    network = small("tiny_transformer", tmp_path)
    lecture = _trace_text(network, "lecture13")
    assert "μ⁽²⁾₂ = (Σ_b x⁽²⁾_{2,b})/3 = " in _step(lecture, 3) and "u⁽²⁾₂ = (x⁽²⁾₂ − μ⁽²⁾₂)/√(σ²⁽²⁾₂ + ε) = " in _step(lecture, 3)
    assert "o⁽²⁾₂ = [1, γ⁽²⁾ ⊙ u⁽²⁾₂ + β⁽²⁾] = " in _step(lecture, 4)
    assert "∂ℓ/∂o⁽⁵⁾₅ = (W⁽⁶⁾ᵀ δ⁽⁶⁾₅)[1:] = " in _step(lecture, 75)
    assert "G_β⁽⁵⁾ ← G_β⁽⁵⁾ + ∂ℓ/∂o⁽⁵⁾₅ = " in _step(lecture, 76)
    assert "∇_h⁽⁵⁾₅ J = W⁽⁶⁾ᵀ g⁽⁶⁾₅ = " in _step(_trace_text(network, "goodfellow"), 75)


def test_attention_in_a_profile_keeps_its_own_letters_where_they_meet_none(tmp_path):
    """count_tokens in cs231n and ng: q, k, v, e stay, with a separate b each (q = X W_Q + b_Q in cs231n's rows,
    the gradients of W_Q and b_Q apart); a dense layer at τ reads x_τ W + b (rows); a mean profile's attention
    gradients are G/|B| beside Adam's m (cs231n; ng's Adam writes v, so G/m); attention's weights a and heads' output z give way to ng's a and z (A and c), its
    values v to ng's Adam v (val)."""
    network = small("count_tokens", tmp_path, 2)
    text = _trace_text(network, "cs231n")
    assert "q¹ = X¹ W_Q¹ + b_Q¹ = " in _step(text, 1) and "scores²₁ = h¹₁ W² + b² = " in _step(text, 8)
    grads = [line for line in text.splitlines() if "dW_Q¹ ← dW_Q¹ + " in line]
    assert grads and "(X¹ᵀ dq¹)/|B| = " in grads[0] and "db_Q¹ ← db_Q¹ + (1ᵀ dq¹)/|B| = " in grads[0]
    assert "db_K¹ ← db_K¹ + 0 = " in text  # b_K's gradient is exactly 0
    from bptui.core.engine.equations import network_formulas
    from bptui.core.formulas.formula import TextPrinter

    stepper = Stepper(load_any(network), notation=PROFILES["ng"])
    rules = [TextPrinter(notation=PROFILES["ng"]).equation(eq)
             for eq in network_formulas(stepper.net, stepper.spec.optimizer, PROFILES["ng"])]
    assert any(r.startswith("q^[1] = X^[1] W_Q^[1]ᵀ + b_Q^[1]ᵀ") for r in rules)  # the rules group them as the steps
    assert any(r.startswith("db_Q^[1] ← db_Q^[1] + (dq^[1]ᵀ 1)/m") for r in rules)  # his Adam's moment is v: m is free
    assert sum(r.startswith("d") and "ₕ^[1] = " in r for r in rules) == 5  # ∂ℓ/∂a, δ, ∂ℓ/∂q, ∂ℓ/∂k, ∂ℓ/∂v per head
    ng = _trace_text(network, "ng")
    assert "A₁^[1] = softmax(e₁^[1]) = " in _step(ng, 5) and "c₁^[1] = A₁^[1] val₁^[1] = " in _step(ng, 6)


@pytest.mark.parametrize("network", ["deep_residual", "layernorm", "sequence"])
def test_trace_json_keeps_the_lectures_values_and_names_in_every_profile(tmp_path, network):
    """Every record but its ``equation`` and ``notation`` is byte for byte the lecture's, in each shipped
    profile and a course's own file."""
    from .test_notation import _course

    course = tmp_path / "course.json"
    course.write_text(json.dumps(profile_json(_course("ng", "course", gradient="sum", unit_base=1))), encoding="utf-8")
    if network == "deep_residual":
        path = network
    else:
        path = str(tmp_path / f"{network}.json")
        doc = family_doc("unitwise" if network == "layernorm" else "sequence", 5)
        (tmp_path / f"{network}.json").write_text(json.dumps(doc), encoding="utf-8")

    def records(name: str) -> list[dict]:
        code, out, err = _run("trace", path, "--format", "json", "--notation", name)
        assert code == 0, err
        return [json.loads(line) for line in out.splitlines()]

    lecture = records("lecture13")
    for name in [*PROFILES, str(course)]:
        rows = records(name)
        assert len(rows) == len(lecture) and all(r["notation"] == ("course" if name == str(course) else name) for r in rows)
        strip = ("equation", "notation")
        assert [{k: v for k, v in r.items() if k not in strip} for r in rows] == \
               [{k: v for k, v in r.items() if k not in strip} for r in lecture], name
        if name != "lecture13":
            assert [r["equation"] for r in rows] != [r["equation"] for r in lecture]


def test_a_courses_own_profile_file_writes_these_layers(tmp_path):
    """A course's file (Θ for the weights, ∂J/∂{} for gradients, [l], the mean gradient) named by
    --notation, and by the network file's "notation" (relative to the file); a mistake in it is one
    error line naming the file and the place."""
    from .test_notation import _course

    doc = profile_json(_course("nielsen", "course"))
    doc["symbols"]["weights"] = {"text": "Θ", "latex": r"\Theta"}
    doc["symbols"]["gradient"] = {"text": "∂J/∂{}", "latex": r"\partial J/\partial {}"}
    doc["symbols"]["loss"] = {"text": "J", "latex": "J"}
    doc["layer_index"] = "bracket"
    (tmp_path / "course.json").write_text(json.dumps(doc), encoding="utf-8")
    net = json.loads(open(resolve("deep_residual"), encoding="utf-8").read())
    net["layers"].insert(2, {"type": "layernorm"})  # γ = 1, β = 0 as the file's init draws them
    net["notation"] = "course.json"
    (tmp_path / "net.json").write_text(json.dumps(net), encoding="utf-8")
    code, by_file, err = _run("trace", str(tmp_path / "net.json"), "--no-color")
    assert code == 0, err
    code, by_option, err = _run("trace", str(tmp_path / "net.json"), "--no-color", "--notation", str(tmp_path / "course.json"))
    assert code == 0 and by_option == by_file
    assert "z^[5] = Θ^[5] a^[3] + b^[5] = " in by_file and "a^[4] = a^[3] + a^[6] = " in by_file  # the input is a¹
    assert "∂J/∂β^[3] ← ∂J/∂β^[3] + (∂J/∂a^[3])/m = " in by_file and "∂J/∂γ^[3] ← ∂J/∂γ^[3] + " in by_file
    assert "∂J/∂x^[7] = Θ^[10]ᵀ δ^[10] + Θ^[8]ᵀ δ^[8] = " in by_file and "Notation: course" in by_file
    doc["layer_index"] = "curly"
    (tmp_path / "course.json").write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _run("trace", str(tmp_path / "net.json"))
    assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith("error: ") and "course.json" in err \
        and "layer_index" in err


@pytest.mark.parametrize("network, name", [("moons_layernorm", "ng"), ("deep_residual", "cs231n"),
                                           ("tiny_transformer", "nielsen"), ("count_tokens", "goodfellow")])
def test_the_quiz_asks_these_layers_numbers_where_the_profile_shows_them(network, name):
    """Each question hides its number where the profile shows it (o without its 1, γ's gradients as the
    weights' part of G, attention's G apart from its b) and takes the profile's value (G/m) as the answer."""
    from bptui.core.teaching.quiz import Quiz

    spec = load_any(resolve(network))
    P = ALL[name]
    quiz, lecture = Quiz(spec, seed=5, steps=70, notation=P), Quiz(spec, seed=5, steps=70)
    asked = set()
    while (q := quiz.next()) is not None:
        same = lecture.next()
        assert same is not None and q.cell == same.cell and "?" in q.equation, (name, q.symbol, q.equation)
        m = spec.group_size if P.mean and q.cell.quantity == "G" else 1
        assert q.value == pytest.approx(same.value / m, rel=1e-12, abs=1e-300)
        assert quiz.answer(q, repr(q.value)).right
        asked.add(q.cell.quantity)
    assert len(asked) >= 3


@pytest.mark.parametrize("network, name", [("moons_layernorm", "ng"), ("deep_residual", "goodfellow"),
                                           ("count_tokens", "column_mean"), ("count_tokens", "cs231n")])
def test_an_exercise_and_its_key_in_a_profile(tmp_path, network, name):
    """Every blank is asked once on the page; a number blanked in both keys has the same value, place and
    formula (the profile's page shows the entries of its own layout: γ's gradients as a column, no 1 on
    top of o), and every formula evaluates to its value."""
    import re

    from bptui.cli import main
    from bptui.keyjson import evaluate_formula

    from .test_keyjson import FIRST, close
    from .test_notation_teaching import _profile_arg

    keys = {}
    for notation in ("lecture13", name):
        folder = tmp_path / notation
        folder.mkdir()
        arg = notation if notation == "lecture13" else _profile_arg(ALL[notation], tmp_path)
        assert main(["export", small(network, tmp_path, 2), "--notation", arg, "--exercise", "--example", "1", "--answers",
                     str(folder / "key.md"), "--output", str(folder / "page.md")]) == 0
        keys[notation] = json.loads((folder / "key.json").read_text(encoding="utf-8"))
        page = (folder / "page.md").read_text(encoding="utf-8")
        assert sorted({int(n) for n in FIRST.findall(page)}) == [b["blank"] for b in keys[notation]["blanks"]]
    lecture = {(b["step"], b["quantity"], b["layer"], str(b["indices"])): b for b in keys["lecture13"]["blanks"]}
    common = 0
    for b in keys[name]["blanks"]:
        same = lecture.get((b["step"], b["quantity"], b["layer"], str(b["indices"])))
        if same is not None:
            assert same["value"] == b["value"]
            common += 1
    assert common >= 0.9 * len(lecture)
    values = {f"b{b['blank']}": b["value"] for b in keys[name]["blanks"]}
    for b in keys[name]["blanks"]:
        if b["formula"] is not None:
            assert close(evaluate_formula(b["formula"], values), b["value"])
    # a shipped profile by its name, a course's by its file (the grader replays the exercise in it)
    assert keys[name]["options"]["notation"] == (name if name in PROFILES else str((tmp_path / f"{name}.json").resolve()))
    assert re.search(r"\\; ", (tmp_path / name / "key.md").read_text())


@pytest.mark.parametrize("network", ["moons_layernorm", "tiny_transformer", "count_tokens"])
def test_no_two_quantities_share_a_letter_in_any_profile(network):
    """Attention's weights a beside nielsen's and ng's activation a and goodfellow's pre-activation a,
    its heads' output z beside nielsen's and ng's z (and the layer norm's u), dropout's mask m beside a
    mean profile's group size m: each is written with a letter of its own, with sgd and with Adam."""
    from .test_notation_teaching import _printed_letters

    for optimizer in ("sgd", "adam"):
        doc = json.loads(open(resolve(network), encoding="utf-8").read())
        doc["training"].update(optimizer=optimizer, update="full_batch")
        doc["training"].pop("shuffle_seed", None)
        if "generator" in doc["data"]:
            doc["data"].update(n=3, test_fraction=0.0)
        else:
            doc["data"] = {k: v[:2] for k, v in doc["data"].items()}
        for name in OTHERS:
            stepper = Stepper(parse(doc, f"{network}.json"), notation=ALL[name])
            seen = _printed_letters(stepper, ALL[name], explained=stepper.spec.lengths is None)
            shared = {text: bases for text, bases in seen.items() if len(bases) > 1}
            assert not shared, (network, optimizer, name, shared)


def test_the_kinds_clashes_are_settled_as_the_manual_says():
    from bptui.core.engine.equations import group_symbol
    from bptui.core.formulas.formula import Sym, TextPrinter

    a, z, u = Sym("a", 1, own="attention"), Sym("z", 1, own="attention"), Sym("u", 1)
    for name, shown_a, shown_z in (("nielsen", "α", "c"), ("goodfellow", "A", "z"), ("ng", "A", "c"), ("cs231n", "a", "z")):
        p = TextPrinter(notation=PROFILES[name])
        assert (p.p(a)[0], p.p(z)[0], p.p(u)[0]) == (shown_a, shown_z, "u"), name
    assert TextPrinter().p(a) == "a⁽¹⁾" and TextPrinter().p(z) == "z⁽¹⁾"  # the lecture's own letters
    spec = load_any(resolve("moons_layernorm"))
    assert group_symbol(None, spec.kinds).base == "|B|" and group_symbol(None, ()).base == "m"


@pytest.mark.parametrize("network", ["moons_layernorm", "deep_residual", "count_tokens", "tiny_transformer"])
def test_the_app_draws_layer_norms_blocks_and_sequences_in_every_profile(network):
    """trace and export write them in every profile, and the app's panels draw them: a layer norm,
    dropout and a residual block off a sequence (tui/profile_sheet.py, profile_block_sheet.py), and on
    one (tui/profile_seq_sheet.py; tests/test_notation_seq_panels.py): panels_fit refuses none."""
    from bptui.tui.panels import panels_fit

    kinds = load_any(resolve(network)).kinds
    assert panels_fit(kinds, PROFILES["lecture13"]) is None
    for name in PROFILES:
        why = panels_fit(kinds, PROFILES[name])
        assert why is None, (network, name, why)


@pytest.mark.parametrize("name", ["ng", "nielsen"])
def test_attention_G_is_worked_as_G_over_m_in_a_mean_profile(name, tmp_path):
    """tiny_transformer's first three examples (one update group, m = 3) in a mean profile: every entry
    of G_Q … G_O its steps write is explained by a worked equation, (G before + Σ_τ ∂ℓ/∂q_τ,b x̃_τ,a)/m
    (0 added where a column of x is alike at every τ; the key bias 0), whose numbers are the board's (G/m
    through the profile's view) and whose arithmetic holds to its last digit, text and LaTeX."""
    from bptui.core.formulas.formula import LatexPrinter

    stepper = Stepper(load_any(small("tiny_transformer", tmp_path)), notation=ALL[name])
    worked = 0
    while stepper.next_key.phase != "update":
        step = stepper.forward()
        if step.key.quantity not in ("GQ", "GK", "GV", "GO"):
            continue
        for qc in quizzes.quiz_cells(stepper.spec, step.key, step.value):
            e = explain(stepper, qc.cell, 4)
            assert e.value == pytest.approx(shown(stepper, qc.cell, float(stepper.state.G[3][qc.ref.index])),
                                            rel=1e-12, abs=1e-300)
            assert e.equations, e.text()
            for eq in e.equations:
                planned = plan(eq, 4)
                assert len(planned.forms) == len(eq.forms), e.text()  # no worked line left out
                assert check_equation(planned, 4, stepper, where=f"{name} {qc.cell}") > 0
                check_text(planned, 4, e.text(), " ".join(r for row in LatexPrinter(4, notation=ALL[name]).rows(planned)
                                                            for r in row))
                worked += len(eq.forms) > 1 and ")/3" in e.text()
    assert worked > 100


# -- attention's matrices as each profile's panel shows them (cs231n's rows: q = X W_Q + b_Q) ----------------
def _attention_bound(stepper, step, P) -> int:
    """Every weight matrix, bias and gradient an attention step's equations bind (W_Q, b_Q, G_Q, G_b,Q, …)
    is the one the profile's panel shows under that name: the stored block through the profile's one
    mapping (``Profile.weights_shown``: cs231n's D × C, its W without column 0 transposed; ``bias_shown``),
    a gradient as G/m in a mean profile. Returns how many were checked."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import Sym
    from bptui.core.kinds.attention.layer import WEIGHTS, Attention

    l = step.key.layer
    kind = stepper.net.kinds[l - 1] if l else None
    if not isinstance(kind, Attention):
        return 0
    m = group_size(stepper.net, step.key) if P.mean else 1
    checked = 0
    for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        for sym, value in eq.bindings.items():
            if not (isinstance(sym, Sym) and sym.base in ("W", "b", "G", "Gb") and sym.sub and sym.sub[0] in WEIGHTS):
                continue
            board = stepper.state.W[l] if sym.base in ("W", "b") else step.before
            part = kind.part(board, sym.sub[0])
            want = (P.weights_shown(part) if sym.base in ("W", "G") else P.bias_shown(part)) / (m if sym.base[0] == "G" else 1)
            assert value.shape == want.shape and value == pytest.approx(want, rel=1e-12, abs=1e-300), \
                (P.name, step.key, sym, value.shape, want.shape)
            checked += 1
    return checked


@pytest.mark.parametrize("name", [n for n in OTHERS if ALL[n].separate_bias])
def test_attentions_matrices_are_bound_as_the_profiles_panel_shows_them(name, tmp_path):
    """count_tokens and tiny_transformer's first examples in every separate-bias profile: each matrix an
    attention step writes is the panel's (cs231n's W_Q D × dk, W_O dk × D), and every step's arithmetic
    holds on the numbers shown (text and LaTeX)."""
    checked = 0
    for network in ("count_tokens", "tiny_transformer"):
        stepper = Stepper(load_any(small(network, tmp_path, 2)), notation=ALL[name])
        for _ in range(len(stepper.schedule)):
            step = stepper.forward()
            checked += _attention_bound(stepper, step, ALL[name])
            check_profile_step(stepper, step, 4, name)
    assert checked > 50


def test_cs231n_writes_attention_in_its_row_orientation(tmp_path):
    """cs231n's x is a row, W_Q is shown D × dk: q = X W_Q + b_Q, h_τ = z_τ W_O + b_O, dz = dh W_Oᵀ,
    dx = dq W_Qᵀ + …, dW_Q ← dW_Q + (Xᵀ dq)/|B| and db_Q ← db_Q + (1ᵀ dq)/|B| (as its dense layers'
    dW = xᵀ dscores: attention's gradients d-prefixed as its dW, db); the stored gradient transposed, its columns
    the four matrices'; the rules say the same."""
    from bptui.core.engine.equations import network_formulas
    from bptui.core.formulas.formula import TextPrinter

    network = small("count_tokens", tmp_path, 2)
    text = _trace_text(network, "cs231n")
    assert "q¹ = X¹ W_Q¹ + b_Q¹ = " in text and "(row τ: q_τ = x_τ W_Q + b_Q)" in text
    assert "h¹₁ = z¹₁ W_O¹ + b_O¹ = " in text
    assert "dz¹ = dh¹ W_O¹ᵀ = " in text and "dx¹ = dq¹ W_Q¹ᵀ + dk¹ W_K¹ᵀ + dv¹ W_V¹ᵀ = " in text
    assert "dW_Q¹ ← dW_Q¹ + (X¹ᵀ dq¹)/|B| = " in text and "db_Q¹ ← db_Q¹ + (1ᵀ dq¹)/|B| = " in text
    assert "∂L/∂" not in text  # attention's every gradient d-prefixed (its block's layer norm has none here)
    assert "the columns of dW_Q, dW_K, dW_V, then dW_O" in text and "W_Q¹ᵀ + b_Q¹ᵀ" not in text
    stepper = Stepper(load_any(network), notation=PROFILES["cs231n"])
    rules = [TextPrinter(notation=PROFILES["cs231n"]).equation(eq)
             for eq in network_formulas(stepper.net, stepper.spec.optimizer, PROFILES["cs231n"])]
    assert any(r.startswith("q¹ = X¹ W_Q¹ + b_Q¹") for r in rules) and any(r.startswith("h¹ = Z¹ W_O¹ + b_O¹") for r in rules)
    assert any(r.startswith("dW_Q¹ ← dW_Q¹ + (X¹ᵀ dq¹)/|B|") for r in rules)
    assert any(r.startswith("db_Q¹ ← db_Q¹ + (1ᵀ dq¹)/|B|") for r in rules)
    assert any(r.startswith("dz¹ = dh¹ W_O¹ᵀ") for r in rules) and not any("∂L/∂" in r for r in rules)


@pytest.mark.parametrize("name", ["ng", "cs231n"])
def test_attentions_notes_speak_of_no_bias_column_where_b_is_apart(name, tmp_path):
    """A profile with a separate b shows W_O and each W whole: the notes of ∂ℓ/∂z and ∂ℓ/∂x say nothing of
    a bias column, and b_K's line says why it is 0 without one; the lecture's keep theirs."""
    network = small("count_tokens", tmp_path, 2)
    text = _trace_text(network, name)
    assert "bias column" not in text
    assert "(exactly 0: b_K adds the same q_τ·b_K / √dh to every score of row τ" in text
    lecture = _trace_text(network, "lecture13")
    assert "(W_O without its bias column; ∂ℓ/∂o⁽¹⁾ from the layer above)" in lecture
    assert "(each W without its bias column)" in lecture


@pytest.mark.parametrize("network", ["deep_residual", "two_channel"])
@pytest.mark.parametrize("name", ["ng", "cs231n", "nielsen"])
def test_a_blocks_and_a_convolutions_notes_speak_the_profile(network, name):
    """The help's notes under a residual block's fan-in, a layer reading o⁽ˢʳᶜ⁾ and a kernel's G name their
    quantities as the profile writes them (they said ∂ℓ/∂x, ∂ℓ/∂o, o⁽ˢʳᶜ⁾ and δ in every profile), and in a
    separate-bias profile the layer reading o⁽ˢʳᶜ⁾ adds its b as the dense layers' lines do."""
    import re

    from bptui.core.formats.spec import load
    from bptui.tui.help import network_text

    from .conftest import NETWORKS

    text = network_text(load(NETWORKS / f"{network}.json"), PROFILES[name])
    notes = re.findall(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)$", text, re.M)
    assert notes
    for lecture in ("∂ℓ", "δ⁽", "o⁽", "s⁽") + (("δ",) if PROFILES[name].delta.text != "δ" else ()):
        assert not any(lecture in note for note in notes), (lecture, [n for n in notes if lecture in n])
    if network == "deep_residual":
        line = next(line for line in text.splitlines() if "the output before layer l" in line)
        assert " + b" in line.split("(")[0], line


@pytest.mark.parametrize("name, gradient", [("cs231n", "∂L/∂"), ("ng", "∂J/∂")])
@pytest.mark.parametrize("network", ["moons_layernorm", "deep_residual"])
def test_layer_norm_and_residual_gradients_take_the_profiles_d_prefix(name, gradient, network):
    """cs231n and ng write every gradient with the d prefix (dW, db, dscores, dz): a layer norm's ∂ℓ/∂o, ∂ℓ/∂u,
    ∂ℓ/∂x and a residual block's ∂ℓ/∂x too (cs231n's dh², dx⁵; ng's da^[2], dx^[5]), as attention's dq."""
    text = _trace_text(network, name)
    steps = [line for line in text.splitlines() if line.lstrip()[:1].isdigit()]
    assert not [line for line in steps if gradient in line], [line for line in steps if gradient in line][:2]
    layer = {"cs231n": "⁵", "ng": "^[5]"}[name] if network == "deep_residual" else {"cs231n": "²", "ng": "^[2]"}[name]
    assert f"dx{layer} = " in text

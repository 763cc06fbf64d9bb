"""Recurrent layers (rnn, lstm, gru) in every notation profile (issue 23): a profile names and groups
a recurrent network's numbers (W without its column 0 and b, one b per gate block; U as the kind keeps
it; ∂ℓ/∂W and ∂ℓ/∂b over τ; G/m in a mean profile; every product turned with row vectors), never
changes one.

- one truth: random rnn, stacked and gated networks through an epoch and its update in every shipped
  profile and two course profiles; every step's equations hold on the numbers shown, in text and
  LaTeX, and every number with a Ref is the board's (through its view);
- explanations: every cell's value is the lecture's as the profile shows it (G/m), its equations hold;
- the quiz hides each asked number where the profile shows it and takes the profile's value;
- ``trace --format json``: the lecture's values in every profile; parity's first lines as each writes
  them; a course's own profile file on a recurrent network;
- an exercise's key on a recurrent network in a profile: the lecture's numbers, every formula true.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.core.engine.equations import group_size, profile_fits
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import parse
from bptui.core.formulas.formula import Sym, TextPrinter
from bptui.core.formulas.profiles import PROFILES, profile_json
from bptui.core.teaching.quiz import Quiz

from .helpers import random_rnn_doc, random_stack_doc
from .test_formula import OPTIMIZERS, rnn_cells
from .test_gated_reference import random_doc
from .test_notation import ALL, _run, check_profile_step

OTHERS = [n for n in ALL if n != "lecture13"]  # four shipped, two courses' (the bias in column 0 with a mean; units from 0)
FAMILIES = ("rnn", "stack", "lstm", "gru")
UPDATES = ("full_batch", "per_example", "mini_batch")


def recurrent_doc(family: str, seed: int, **kw) -> dict:
    """A random small recurrent network of ``family``: an rnn with dense layers, a stack of rnn and dense
    layers at τ, or an LSTM or GRU in one of the gated shapes (stacked, under or over an rnn, …)."""
    if family == "rnn":
        return random_rnn_doc(seed, n=3, return_sequences=bool(seed % 2), **kw)
    if family == "stack":
        return random_stack_doc(seed, ("stacked", "dense_before", "dense_after", "mixed")[seed % 4], n=3, **kw)
    shapes = ("alone", "stacked", "dense_before", "over_rnn", "under_rnn")
    return random_doc(seed, shapes[seed % 5], n=3, kind=family, rows=4 if family == "lstm" else 3, **kw)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", OTHERS)
def test_recurrent_equations_in_every_profile_are_their_values(family, name):
    seed = OTHERS.index(name) + 7 * FAMILIES.index(family)
    update = UPDATES[seed % 3]
    doc = recurrent_doc(family, seed, update=update, optimizer=OPTIMIZERS[seed % len(OPTIMIZERS)], l2=0.1 * (seed % 2))
    stepper = Stepper(parse(doc, "recurrent.json"), notation=ALL[name])
    assert profile_fits(stepper.net.kinds, ALL[name]) is None
    checked, phases = 0, set()
    for _ in range(len(stepper.schedule) + 2):  # an epoch with its updates, and the next example's first steps
        step = stepper.forward()
        phases.add((step.key.phase, step.key.quantity))
        checked += check_profile_step(stepper, step, 2 + seed % 5, name)
    assert checked > 100 and ("update", "W") in phases and ("backward", "G") in phases


@pytest.mark.parametrize("family, name", [("rnn", "ng"), ("lstm", "cs231n"), ("gru", "goodfellow"), ("stack", "nielsen"),
                                          ("gru", "zero_based"), ("lstm", "column_mean")])
def test_recurrent_explanations_in_a_profile_are_the_lectures_numbers(family, name):
    """Every cell of a recurrent network's board, explained at steps along an epoch: its G and W have the
    lecture's value as the profile shows it (G/m in a mean profile), and every equation holds on the
    board's numbers, in text and LaTeX."""
    from .test_notation_teaching import explained_alike

    spec = parse(recurrent_doc(family, 3, update="mini_batch"), "recurrent.json")
    checked = explained_alike(spec, name, lambda stepper: rnn_cells(spec, len(stepper.state.o[0])), 13, latex=True)
    assert checked > 200


@pytest.mark.parametrize("family", ["rnn", "stack", "lstm", "gru"])
def test_the_quiz_on_a_recurrent_network_in_a_profile(family):
    """Each question hides its number where the profile shows it (a dense layer's o at τ without its 1,
    W without column 0 and b, G/m) and takes the profile's value as the answer."""
    name = ("nielsen", "cs231n", "ng", "goodfellow")[FAMILIES.index(family)]
    spec = parse(recurrent_doc(family, 1, update="mini_batch"), "recurrent.json")
    quiz, lecture = Quiz(spec, seed=2, steps=150, notation=ALL[name]), Quiz(spec, seed=2, steps=150)
    asked = set()
    while (q := quiz.next()) is not None:
        same = lecture.next()
        assert same is not None and q.cell == same.cell and "?" in q.equation, (name, q.symbol, q.equation)
        m = group_size(quiz.stepper.net, quiz.stepper.last.key) if ALL[name].mean and q.cell.quantity == "G" else 1
        assert q.value == pytest.approx(same.value / m, rel=1e-12)
        assert quiz.answer(q, repr(q.value)).right
        asked.add(q.cell.quantity)
    assert {"s", "delta", "G"} <= asked


def _net_file(tmp_path, family: str, seed: int = 2, **more) -> str:
    path = tmp_path / f"{family}.json"
    path.write_text(json.dumps({**recurrent_doc(family, seed, update="mini_batch"), **more}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("family", ["rnn", "lstm", "gru"])
def test_trace_json_has_the_lectures_values_in_every_profile(tmp_path, family):
    path = _net_file(tmp_path, family)
    runs = {}
    for name in PROFILES:
        code, out, err = _run("trace", path, "--format", "json", "--notation", name)
        assert code == 0, err
        runs[name] = [json.loads(line) for line in out.splitlines()]
    base = runs["lecture13"]
    for name, rows in runs.items():
        assert len(rows) == len(base) and all(row["notation"] == name for row in rows)
        assert [{k: v for k, v in row.items() if k not in ("equation", "notation")} for row in rows] == \
            [{k: v for k, v in row.items() if k not in ("equation", "notation")} for row in base]
        if name != "lecture13":
            assert [row["equation"] for row in rows] != [row["equation"] for row in base]


def test_parity_in_each_profile_writes_its_equations():
    """The first steps of parity (an rnn of 4 units over one bit per τ, a sigmoid unit on o_T) as each
    profile writes them: b apart, U kept, the profile's letters, layer index and first unit."""
    def first(name: str) -> list[str]:
        code, out, err = _run("trace", "parity", "--format", "json", "--notation", name)
        assert code == 0, err
        return [json.loads(line)["equation"] for line in out.splitlines()[:13]]

    lecture, nielsen, ng, cs231n = first("lecture13"), first("nielsen"), first("ng"), first("cs231n")
    assert lecture[0].startswith("s⁽¹⁾₁ = W⁽¹⁾ o⁽⁰⁾₁ + U⁽¹⁾ o⁽¹⁾₀ = ")
    assert nielsen[0].startswith("z²₁ = w² a¹₁ + U² a²₀ + b² = ")
    assert ng[0].startswith("z^[1]₁ = W^[1] a^[0]₁ + U^[1] a^[1]₀ + b^[1] = ")
    assert cs231n[0].startswith("scores¹₁ = h⁰₁ W¹ + h¹₀ U¹ + b¹ = ")
    assert nielsen[4].startswith("z³ = w³ a²₂ + b³ = ") and "(many-to-one: from a² at T = 2)" in nielsen[4]
    assert nielsen[9].startswith("δ²₂ = w³ᵀ δ³ ⊙ (1 − a²₂⊙a²₂) = ")  # W⁽ˡ⁺¹⁾ without its column 0: no [1:]
    # W's gradient, U's and b's apart (the panel's names of G's columns)
    assert nielsen[10].startswith("∂C/∂w² ← ∂C/∂w² + (δ²₂ a¹₂ᵀ)/|B| = ") and \
        ";   ∂C/∂U² ← ∂C/∂U² + (δ²₂ a²₁ᵀ)/|B| = " in nielsen[10] and ";   ∂C/∂b² ← ∂C/∂b² + δ²₂/|B| = " in nielsen[10]
    assert cs231n[10].startswith("dW¹ ← dW¹ + (h⁰₂ᵀ dscores¹₂)/|B| = ") and \
        ";   dU¹ ← dU¹ + (h¹₁ᵀ dscores¹₂)/|B| = " in cs231n[10]
    assert ng[11].startswith("dz^[1]₁ = U^[1]ᵀ dz^[1]₂ ⊙ (1 − a^[1]₁⊙a^[1]₁) = ")


def test_a_courses_own_profile_file_writes_a_recurrent_network(tmp_path):
    """A course's profile (the bias apart, units from 0, a plain index, the sum) named by the network
    file and by --notation: the lecture's values, the course's letters."""
    course = {**profile_json(PROFILES["goodfellow"]), "name": "my_course", "unit_base": 0, "layer_index": "plain"}
    course["symbols"]["pre_activation"] = {"text": "v", "latex": "v"}
    (tmp_path / "my_course.json").write_text(json.dumps(course), encoding="utf-8")
    path = _net_file(tmp_path, "gru", 4, notation="my_course.json")
    code, out, err = _run("trace", path, "--format", "json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    code, lecture, err = _run("trace", path, "--format", "json", "--notation", "lecture13")
    assert code == 0, err
    base = [json.loads(line) for line in lecture.splitlines()]
    assert [r["value"] for r in rows] == [r["value"] for r in base] and rows[0]["notation"] == "my_course"
    assert rows[0]["equation"].startswith("v¹₁ = [W¹ h⁰₁ + b¹, U¹ h¹₀ + b¹_{h}] = ")  # U without its bias column
    assert any(r["equation"].startswith("∇_W¹ J ← ∇_W¹ J + g¹") and ";   ∇_U¹ J ← ∇_U¹ J + " in r["equation"]
               for r in rows)  # W's gradient and U's apart
    code, out, err = _run("trace", path, "--notation", str(tmp_path / "my_course.json"))
    assert code == 0 and "Notation: my_course" in out, err


def test_an_exercise_on_a_recurrent_network_in_a_profile(tmp_path):
    """parity's exercise in ng: every blank is asked once on the page; a number blanked in both keys has
    the same value; every formula evaluates to its value; the grader takes the key's own answers."""
    import re

    from bptui.keyjson import evaluate_formula

    from .test_keyjson import close
    from .test_notation_teaching import exercise_keys

    keys = exercise_keys(tmp_path, "parity", "ng", 2)
    values = {f"b{b['blank']}": b["value"] for b in keys["ng"]["blanks"]}
    for b in keys["ng"]["blanks"]:
        if b["formula"] is not None:
            assert close(evaluate_formula(b["formula"], values), b["value"])
    # the same board numbers blanked in the same order (a number at each τ: the key names no τ), the same values
    assert [(b["quantity"], b["layer"], b["indices"], b["value"]) for b in keys["ng"]["blanks"]] == \
        [(b["quantity"], b["layer"], b["indices"], b["value"]) for b in keys["lecture13"]["blanks"]]
    assert keys["ng"]["options"]["notation"] == "ng" and keys["ng"]["blanks"][0]["name"] == "z^[1]₁,₁"
    # the grader: the page's numbers (G/m where ng averages) are right, a wrong dz is named dz and carried on
    from bptui.lms.grader import verdicts

    blanks = keys["ng"]["blanks"]
    per = {b["blank"]: b.get("divided_by", 1) for b in blanks}
    assert {b["quantity"] for b in blanks if per[b["blank"]] > 1} == {"G", "loss_D"}  # G/m, and the mean J
    assert set(verdicts(blanks, {b["blank"]: b["value"] / per[b["blank"]] for b in blanks}).values()) == {"right"}
    first_delta = min(b["blank"] for b in blanks if b["quantity"] == "delta")
    wrong: dict[int, float] = {}
    for b in blanks:
        wrong[b["blank"]] = b["value"] * 1.5 if b["blank"] == first_delta else \
            evaluate_formula(b["formula"], {f"b{d}": wrong[d] for d in b["depends_on"]})
    graded = verdicts(blanks, {n: v / per[n] for n, v in wrong.items()})
    assert graded[first_delta] == "wrong" and "carried" in set(graded.values())
    page = (tmp_path / "ng" / "page.md").read_text(encoding="utf-8")
    assert re.search(r"z\^\{\[1\]\}_\{1\} &= W\^\{\[1\]\} a\^\{\[0\]\}_\{1\} \+ U\^\{\[1\]\} a\^\{\[1\]\}_\{0\} \+ b\^\{\[1\]\}", page)
    assert np.isfinite([b["value"] for b in keys["ng"]["blanks"]]).all()


def test_a_gated_layers_letters_give_way_where_a_profile_takes_them():
    """A GRU's update gate z is u beside nielsen's z (the pre-activation), in its stacked gates too; an
    LSTM's cell candidate g is ĝ beside goodfellow's g (his δ); the gated layer's bias is b per gate."""
    from .test_notation_left import forward_lines

    def lines(example: str, name: str, steps: int) -> list[str]:
        return [text + " | " + latex for text, latex in forward_lines(example, name, steps)]

    gru = lines("gru_parity", "nielsen", 3)
    assert gru[0].startswith("z²₁ = [w² a¹₁ + b², U² h²₀ + b²_{h}] = ")
    assert gru[1].startswith("[r, u, n]²₁ = [σ(z²_{1,x,r} + z²_{1,h,r}), σ(z²_{1,x,u} + z²_{1,h,u}), ")
    assert "[r, u, n]^{2}_{1}" in gru[1]
    assert gru[2].startswith("h²₁ = (1 − u²₁) ⊙ n²₁ + u²₁ ⊙ h²₀ = ")
    lstm = lines("long_memory_lstm", "goodfellow", 3)
    assert lstm[1].startswith("[i, f, ĝ, ō]⁽¹⁾₁ = ") and r"[i, f, \hat{g}, \bar{o}]^{(1)}_{1}" in lstm[1]
    assert lstm[2].startswith("c⁽¹⁾₁ = f⁽¹⁾₁ ⊙ c⁽¹⁾₀ + i⁽¹⁾₁ ⊙ ĝ⁽¹⁾₁ = ")
    printer = TextPrinter(notation=PROFILES["goodfellow"])
    assert printer.p(Sym("w", 1, ("f", 2, 0), group=True)) == "b⁽¹⁾_{f,2}"
    assert printer.p(Sym("G", 1, ("f", 2, 0), group=True)) == "∇_b⁽¹⁾_{f,2} J"


def test_csv_of_a_recurrent_network_in_a_profile_names_each_number_at_its_time_step():
    import csv
    import io

    from .test_notation import _export

    code, text, err = _export("parity", "--format", "csv", "--notation", "ng", "--steps", "1:13")
    assert code == 0, err
    code, lecture, err = _export("parity", "--format", "csv", "--steps", "1:13")
    assert code == 0, err
    rows, base = list(csv.DictReader(io.StringIO(text))), list(csv.DictReader(io.StringIO(lecture)))
    assert [{k: r[k] for k in b} for r, b in zip(rows, base)] == base  # the lecture's columns and values
    named = {(r["quantity"], r["layer"], r["time"], r["row"], r["col"]): (r["name"], r["shown"]) for r in rows}
    assert named[("s", "1", "2", "1", "")][0] == "z^[1]₂,₁" and named[("o", "1", "1", "4", "")][0] == "a^[1]₁,₄"
    name, shown = named[("G", "1", "1", "3", "0")]  # G's bias column: db, shown as G/m for parity's 28 examples
    lec = next(b for b in base if (b["quantity"], b["layer"], b["time"], b["row"], b["col"]) == ("G", "1", "1", "3", "0"))
    assert name == "db₃^[1]" and float(shown) == pytest.approx(float(lec["value"]) / 28, rel=1e-9)

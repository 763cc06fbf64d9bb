"""Teaching in a notation profile (issue 23): explanations, the quiz, exercises, keys and the grader
write the profile's symbols, its grouping (a separate b, the mean G/m) and its unit numbers; every
number is still the value it stands for.

- explanations: random dense networks in every profile, every cell at steps along two epochs: the
  value is the number the profile shows (G/m in a mean profile), the listed terms add up to it, and
  every equation's numbers are their values on the board (through the Ref's view) with the arithmetic
  shown holding, in text and LaTeX;
- the quiz: every question of an epoch in every profile hides the number where the profile shows it,
  names it with the profile's symbol and takes the profile's value as the right answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.engine.equations import group_size
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import LatexPrinter, Sym, TextPrinter, plan
from bptui.core.formulas.profiles import PROFILES
from bptui.core.teaching.explain import Cell, explain
from bptui.core.teaching.quiz import Quiz
from bptui.examples import resolve

from .formula_checks import check_equation, check_text
from .test_explain import board_value, cells
from .test_formula import networks
from .test_notation import ALL

OTHERS = [n for n in ALL if n != "lecture13"]


def shown(stepper, cell: Cell):
    """The number the stepper's profile shows for ``cell``: the lecture's board value, a mean
    profile's G divided by the group's m."""
    value = board_value(stepper, cell)
    if value is None or cell.quantity != "G" or not stepper.notation.mean or stepper.position == 0:
        return value
    return value / group_size(stepper.net, stepper.schedule.key(stepper.position - 1))


def check_cells(stepper, digits: int, name: str) -> int:
    latex = LatexPrinter(digits, notation=stepper.notation)
    checked = 0
    for cell in cells(stepper.spec):
        e = explain(stepper, cell, digits)
        expected = shown(stepper, cell)
        if expected is None:
            assert e.value is None and "not been computed" in e.title
            continue
        assert e.value == pytest.approx(expected, rel=1e-12, abs=1e-300), (name, cell, e.text())
        if e.terms:
            assert e.factor * sum(e.terms) == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, cell, e.text())
        for eq in e.equations:
            eq = plan(eq, digits)
            checked += check_equation(eq, digits, stepper, where=f"{name} {cell} at step {stepper.position}")
            check_text(eq, digits, e.text(), " ".join(r for row in latex.rows(eq) for r in row))
    return checked


@settings(max_examples=8, deadline=None, derandomize=True)
@given(networks(), st.integers(2, 6), st.sampled_from(OTHERS))
def test_every_explanation_in_every_profile_is_its_value(spec, digits, name):
    stepper = Stepper(spec, notation=ALL[name])
    checked = check_cells(stepper, digits, name)
    for i in range(2 * len(stepper.schedule)):
        stepper.forward()
        if i % 4 == 3:
            checked += check_cells(stepper, digits, name)
    assert checked > 0


@pytest.mark.parametrize("name, s, G, W", [
    ("nielsen", "z₁² = Σₖ w₁,ₖ² aₖ¹ + b₁²   (k = 1 … 2; b₁² is the bias)", "∂C/∂b₁² = (Σₙ δ₁²)/m",
     "b₁³ ← b₁³ − (η·m) ∂C/∂b₁³"),
    ("ng", "z₁^[1] = Σₖ w₁,ₖ^[1] aₖ^[0] + b₁^[1]", "db₁^[1] = (Σₙ dz₁^[1])/m", "b₁^[2] ← b₁^[2] − (α·m) db₁^[2]"),
    # cs231n's W is D × C: wₐ,₀ (the input first)
    ("cs231n", "scores₀¹ = Σₖ wₖ,₀¹ hₖ⁰ + b₀¹   (k = 0 … 1; b₀¹ is the bias)", "db₀¹ = (Σₙ dscores₀¹)/m",
     "b₀² ← b₀² − (learning_rate·m) db₀²"),
    ("goodfellow", "a₁⁽¹⁾ = Σₖ w₁,ₖ⁽¹⁾ hₖ⁽⁰⁾ + b₁⁽¹⁾", "∇_b₁⁽¹⁾ J = Σₙ g₁⁽¹⁾", "b₁⁽²⁾ ← b₁⁽²⁾ − ε ∇_b₁⁽²⁾ J"),
])
def test_xors_explanations_speak_the_profile(name, s, G, W):
    stepper = Stepper(load_any(resolve("xor")), notation=PROFILES[name])
    stepper.goto(17)  # example 2, δ⁽¹⁾ just computed
    assert s in explain(stepper, Cell("s", 1, 1)).text()
    g = explain(stepper, Cell("G", 1, 1, 0))
    assert G in g.text() and "o₀" not in g.text() and "G⁽" not in g.text()
    stepper.goto(len(stepper.schedule))  # after the update
    w = explain(stepper, Cell("W", 2, 1, 0)).text()
    assert W in w and "w₁,₀" not in w


@pytest.mark.parametrize("name, title", [("cs231n", "db₀¹ averaged over the m = 4 examples"),
                                         ("ng", "db₁^[1] averaged over the m = 4 examples"),
                                         ("nielsen", "∂C/∂b₁² averaged over the m = 4 examples"),
                                         ("goodfellow", "∇_b₁⁽¹⁾ J summed over the examples")])
def test_a_gradients_explanation_title_names_it_as_the_profile_does(name, title):
    """A G cell's explanation says what the number is in the profile's gradient name (cs231n's db, not ∂L/∂b)."""
    stepper = Stepper(load_any(resolve("xor")), notation=PROFILES[name])
    stepper.goto(17)
    g = explain(stepper, Cell("G", 1, 1, 0))
    assert title in g.title, g.title


@pytest.mark.parametrize("name", OTHERS)
def test_the_quiz_asks_the_profiles_numbers_by_the_profiles_names(name):
    P = ALL[name]
    spec = load_any(resolve("xor"))
    quiz = Quiz(spec, seed=5, notation=P)
    lecture = Quiz(spec, seed=5)
    asked = 0
    while (q := quiz.next()) is not None:
        same = lecture.next()
        assert same is not None and q.cell == same.cell  # the same cell is asked: only its name and grouping differ
        assert "?" in q.equation, (name, q.symbol, q.equation)
        stepper = quiz.stepper
        expected = shown(stepper, q.cell) if q.cell.quantity != "loss" else stepper.state.loss
        assert q.value == pytest.approx(expected, rel=1e-12), (name, q.symbol)
        if q.cell.quantity == "G" and P.mean:
            assert q.value == pytest.approx(same.value / 4)  # xor's full batch: m = 4
        assert q.cell.quantity == "loss" or "⁽" not in q.symbol or P.layer_index == "paren"  # the layer index (the loss: its example)
        if P.separate_bias and q.cell.quantity in ("G", "W") and q.cell.column == 0:
            assert "b" in q.symbol  # a bias weight is b, its gradient the bias's
        verdict = quiz.answer(q, repr(q.value))
        assert verdict.right and verdict.explanation.notation is P
        wrong = quiz.answer(q, repr(q.value * 3 + 1))
        assert not wrong.right and wrong.hint.startswith(q.symbol + " ")
        quiz.answer(q, repr(q.value))
        asked += 1
    assert asked == len(quiz.stepper.schedule)
    names = [line.split(":")[0] for line in quiz.score.breakdown()]  # the score by quantity, in the profile's names
    assert names == [P.pre_activation.text, P.activation.text, P.loss.text, P.delta.text,
                     TextPrinter(notation=P).p(Sym("G", vector=True)), "update"]


def test_quiz_at_the_terminal_takes_notation_and_refuses_what_a_profile_does_not_write(monkeypatch):
    import io

    from .test_notation import _run

    monkeypatch.setattr("sys.stdin", io.StringIO("-0.2\n"))
    code, out, err = _run("quiz", "xor", "--notation", "ng", "--steps", "1", "--seed", "3")
    assert code == 0, err
    assert "z^[1] = W^[1] a^[0] + b^[1] = [[0.5, −0.4], [0.3, 0.6]] [0, 0] + [0.1, −0.2] = [0.1, ?]" in out
    # (from a pipe the answer is written after its prompt, as a terminal would have echoed it)
    assert "z₂^[1] = -0.2\nright: z₂^[1] = −0.2" in out and "α = 0.5" in out
    code, out, err = _run("quiz", "lecture13", "--notation", "ng")
    assert (code, out) == (2, "") and "a computation graph is written in the lecture's notation" in err


@pytest.mark.parametrize("name", OTHERS)
def test_csv_in_a_profile_keeps_the_lectures_columns_and_adds_its_names_and_shown_values(name):
    import csv
    import io

    from bptui.core.engine.explain import Cell
    from bptui.core.formulas.formula import TextPrinter

    from .test_notation import _export, _run

    P = ALL[name]
    arg = name if name in PROFILES else None
    if arg is None:  # a course's own profile, from its file
        import json
        import tempfile

        from bptui.core.formulas.profiles import profile_json

        arg = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False).name
        with open(arg, "w") as f:
            json.dump(profile_json(P), f)
    code, lecture, err = _export("xor", "--format", "csv", "--epochs", "2")
    assert code == 0, err
    code, text, err = _export("xor", "--format", "csv", "--epochs", "2", "--notation", arg)
    assert code == 0, err
    rows, plain = list(csv.DictReader(io.StringIO(text))), list(csv.DictReader(io.StringIO(lecture)))
    assert len(rows) == len(plain) and list(rows[0])[-3:] == ["notation", "name", "shown"]
    printer = TextPrinter(notation=P)
    spec = load_any(resolve("xor"))
    m = spec.group_size  # xor: the full batch, m = 4
    for row, lec in zip(rows, plain):
        assert {k: row[k] for k in lec} == lec  # the lecture's columns and values, unchanged
        assert row["notation"] == P.name
        q = row["quantity"]
        if q == "o" and row["row"] == "0" and P.separate_bias:
            assert row["name"] == row["shown"] == ""  # the lecture's 1 on top of o: no number of the profile
            continue
        if q in ("G", "W", "s", "delta", "o"):
            col = int(row["col"]) if row["col"] else None
            cell = Cell(q, int(row["layer"]), int(row["row"]), col, kind=spec.layer_kinds[int(row["layer"]) - 1])
            assert row["name"] == printer.p(cell.sym())
        scale = m if q == "G" and P.mean else 1
        assert float(row["shown"]) == pytest.approx(float(row["value"]) / scale, rel=1e-11)
    code, out, err = _run("export", "lecture13", "--format", "csv", "--notation", "ng")
    assert (code, out) == (2, "") and "a computation graph is written in the lecture's notation" in err


def _printed_letters(stepper, P, explained: bool = True) -> dict[str, set]:
    """Each letter printed in a run's equations and explanations (``explained``: of a G or W step's first
    entry) (a symbol without its indices), with the quantities it stands for (the lecture's letters)."""
    from dataclasses import replace as with_

    from bptui.core.engine.equations import M, M_ADAM, step_equations
    from bptui.core.formulas.formula import Sym, TextPrinter, walk

    printer = TextPrinter(notation=P)
    seen: dict[str, set] = {}
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        eqs = list(step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P))
        if explained and step.key.quantity in ("G", "W"):
            eqs += explain(stepper, Cell(step.key.quantity, step.key.layer, 1, 1)).equations
        for eq in eqs:
            for node in [eq.lhs, *(n for f in eq.forms for n in walk(f))]:
                if isinstance(node, Sym):
                    bare = with_(node, layer=None, sub=(), accent="", time=None, T=False)
                    # a weight is an entry of W: one quantity; the group's size is its own, whatever its letter
                    same = "group size" if node in (M, M_ADAM) else {"w": "W"}.get(node.base, node.base)
                    if same == "ℓ_D" and P.data_loss == P.loss:  # ng's cost J is the data set's loss: ℓ_D is J
                        same = "ℓ"
                    seen.setdefault(printer.p(bare), set()).add(same)
    return seen


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("name", OTHERS)
def test_no_two_quantities_share_a_letter_in_any_profile(name, optimizer):
    """goodfellow's ε (learning rate) and Adam's ε, its g (δ) and the L2 line's g, a mean profile's
    group size m and Adam's m⁽ˡ⁾: each is written with a letter of its own."""
    import json

    from bptui.core.formats.spec import parse

    doc = json.loads(open(resolve("xor")).read())
    doc["training"].update(optimizer=optimizer, l2=0.01)
    P = ALL[name]
    stepper = Stepper(parse(doc, "xor.json"), notation=P)
    shared = {text: bases for text, bases in _printed_letters(stepper, P).items() if len(bases) > 1}
    assert not shared, (name, optimizer, shared)


def test_the_clashes_are_settled_as_the_manual_says():
    from bptui.core.formulas.formula import Sym, TextPrinter
    from bptui.core.ops.optim import EPS

    good, ng = TextPrinter(notation=PROFILES["goodfellow"]), TextPrinter(notation=PROFILES["ng"])
    assert good.p(EPS) == "δ" and good.p(Sym("g", 1)) == "ĝ⁽¹⁾" and good.p(Sym("δ", 1)) == "g⁽¹⁾"
    assert ng.p(Sym("z", 1)) == "u^[1]" and ng.p(Sym("s", 1)) == "z^[1]"  # a GRU's update gate beside ng's z
    assert TextPrinter().p(EPS) == "ε"  # the lecture's own letters are untouched


# -- exercises, keys, variants and the grader in a profile -------------------------------------------------



def _sum_profiles():
    from .test_notation import _course

    return {"goodfellow": PROFILES["goodfellow"], "zero_based": ALL["zero_based"],
            "rows_sum": _course("cs231n", "rows_sum", gradient="sum"), "ng": PROFILES["ng"],
            "cs231n": PROFILES["cs231n"], "column_mean": ALL["column_mean"]}


def _profile_arg(P, tmp_path):
    import json

    from bptui.core.formulas.profiles import profile_json

    if P.name in PROFILES:
        return P.name
    path = tmp_path / f"{P.name}.json"
    path.write_text(json.dumps(profile_json(P)), encoding="utf-8")
    return str(path)


def _exercise(tmp_path, *args):
    import json

    from bptui.cli import main

    folder = tmp_path / ("ex" + str(len(list(tmp_path.iterdir()))))
    folder.mkdir()
    key, page = folder / "key.md", folder / "page.md"
    assert main(["export", "xor", "--exercise", "--answers", str(key), "--output", str(page), *args]) == 0
    return json.loads((folder / "key.json").read_text(encoding="utf-8")), key.read_text(encoding="utf-8"), \
        page.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["goodfellow", "zero_based", "rows_sum", "ng", "cs231n", "column_mean"])
def test_an_exercise_and_its_key_in_a_profile(tmp_path, name):
    """The blanks are the lecture's board numbers (the same values, quantities, indices and formulas as
    the lecture's key: a contract), asked where the profile shows them and named in its symbols; the
    key says which notation it is in; every formula evaluates to its value. A mean profile's page asks
    for G/m: the key shows it, and the JSON says divided_by m."""
    import jsonschema

    from bptui.exercise import entry_symbol
    from bptui.core.formulas.formula import Ref, TextPrinter
    from bptui.keyjson import evaluate_formula, schema

    from .test_keyjson import ENTRY, FIRST, close

    P = _sum_profiles()[name]
    lecture, _, lecture_page = _exercise(tmp_path)
    doc, key, page = _exercise(tmp_path, "--notation", _profile_arg(P, tmp_path))
    jsonschema.validate(doc, schema())
    # a shipped profile by its name, a course's by its file (the grader replays the exercise in it)
    assert doc["options"]["notation"] == (P.name if P.name in PROFILES else str((tmp_path / f"{P.name}.json").resolve()))
    assert "notation" not in lecture["options"]
    assert f"named in the notation {P.name}" in key
    same = ("blank", "step", "quantity", "layer", "indices", "value", "formula", "depends_on")
    assert [{k: b[k] for k in same} for b in doc["blanks"]] == [{k: b[k] for k in same} for b in lecture["blanks"]]
    for b, lec in zip(doc["blanks"], lecture["blanks"]):
        per = 4 if P.mean and b["quantity"] == "G" else 1  # xor's full batch: m = 4
        if P.mean and b["quantity"] == "loss_D":  # the mean of the epoch's losses so far: example n is the n-th
            per = b["example"]
        assert b.get("divided_by", 1) == per
        if per == 1:
            assert (b["shown"], b["atol"]) == (lec["shown"], lec["atol"])
        else:
            assert float(b["shown"]) == pytest.approx(b["value"] / per, rel=1e-3)
    spec = load_any(resolve("xor"))
    printer = TextPrinter(notation=P)
    values = {f"b{b['blank']}": b["value"] for b in doc["blanks"]}
    for b in doc["blanks"]:
        ref = Ref(b["quantity"], b["layer"], None if not b["indices"] else
                  (b["indices"][0] - 1, b["indices"][1]) if b["quantity"] in ("G", "W") else
                  (b["indices"][0] if b["quantity"] == "o" and b["layer"] < spec.L else b["indices"][0] - 1,))
        assert b["name"] == printer.p(entry_symbol(spec, ref, b["example"])), b
        if b["formula"] is not None:
            assert close(evaluate_formula(b["formula"], values), b["value"])
    printed = {int(n): value for n, _, value in ENTRY.findall(key)}
    assert sorted(printed) == [b["blank"] for b in doc["blanks"]]
    for b in doc["blanks"]:  # the key shows the number the page asks for
        assert float(printed[b["blank"]].replace(r" \times 10^{", "e").rstrip("}")) == float(b["shown"])
    assert sorted(int(n) for n in FIRST.findall(page)) == [b["blank"] for b in doc["blanks"]]  # each asked once
    for lecture_symbol in ("o^{(", "s^{(", "G^{(", "\\delta") if P.pre_activation.text != "s" else ():
        assert lecture_symbol in lecture_page and lecture_symbol not in page.split("## Epoch")[1], lecture_symbol


def test_the_grader_names_the_profiles_symbols(tmp_path, capsys):
    import json

    from bptui.cli import main
    from bptui.keyjson import evaluate_formula

    doc, _, _ = _exercise(tmp_path, "--notation", "goodfellow", "--example", "1")
    folder = sorted(p for p in tmp_path.iterdir() if p.is_dir())[-1]
    first_delta = min(b["blank"] for b in doc["blanks"] if b["quantity"] == "delta")
    answers = {}
    for b in doc["blanks"]:  # δ wrong by half again; what follows from it is carried
        answers[b["blank"]] = b["value"] * 1.5 if b["blank"] == first_delta else \
            evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
    path = folder / "answers.csv"
    path.write_text("blank,value\n" + "".join(f"{n},{v!r}\n" for n, v in answers.items()), encoding="utf-8")
    capsys.readouterr()
    assert main(["grade", str(folder / "key.json"), str(path), "--format", "json"]) == 0
    graded = json.loads(capsys.readouterr().out)["blanks"]
    wrong = next(b for b in graded if b["blank"] == first_delta)
    assert wrong["verdict"] == "wrong" and wrong["name"] == "g₁⁽²⁾"  # goodfellow's g, the lecture's δ₁⁽²⁾
    names = {b["name"] for b in graded}
    assert "∇_b₁⁽²⁾ J" in names and "a₁⁽¹⁾" in names and not any(n.startswith(("δ", "s", "G")) for n in names)
    assert main(["grade", str(folder / "key.json"), str(path)]) == 0
    assert "g₁⁽²⁾" in capsys.readouterr().out


def test_a_mean_profiles_key_is_graded_on_the_numbers_its_page_asks_for(tmp_path, capsys):
    """ng's page asks for dW = G/m: the answers G/m are right, in bptui grade and in the platforms'
    standalone grader alike; a wrong dz is named dz and what follows from it is carried."""
    import json

    from bptui.cli import main
    from bptui.keyjson import evaluate_formula
    from bptui.lms.grader import verdicts

    doc, _, _ = _exercise(tmp_path, "--notation", "ng", "--example", "1")
    folder = sorted(p for p in tmp_path.iterdir() if p.is_dir())[-1]
    per = {b["blank"]: b.get("divided_by", 1) for b in doc["blanks"]}
    assert {b["quantity"] for b in doc["blanks"] if per[b["blank"]] == 4} == {"G"}
    first_delta = min(b["blank"] for b in doc["blanks"] if b["quantity"] == "delta")
    values: dict[int, float] = {}  # the lecture's values, as the formulas speak of them
    for b in doc["blanks"]:
        values[b["blank"]] = b["value"] * 1.5 if b["blank"] == first_delta else \
            evaluate_formula(b["formula"], {f"b{d}": values[d] for d in b["depends_on"]})
    answers = {n: v / per[n] for n, v in values.items()}  # as the page asks them: G/m
    path = folder / "answers.csv"
    path.write_text("blank,value\n" + "".join(f"{n},{v!r}\n" for n, v in answers.items()), encoding="utf-8")
    capsys.readouterr()
    assert main(["grade", str(folder / "key.json"), str(path), "--format", "json"]) == 0
    graded = {b["blank"]: b for b in json.loads(capsys.readouterr().out)["blanks"]}
    assert graded[first_delta]["verdict"] == "wrong" and graded[first_delta]["name"] == "dz₁^[2]"
    later = [n for n in graded if n > first_delta and per[n] == 4 and first_delta in doc["blanks"][n - 1]["depends_on"]]
    assert later and all(graded[n]["verdict"] == "carried" for n in later)
    right = [n for n in graded if per[n] == 4 and graded[n]["verdict"] == "right"]
    assert right
    for n in right:  # reported as the page asked: G/m
        assert graded[n]["expected"] == pytest.approx(doc["blanks"][n - 1]["value"] / 4)
        assert graded[n]["given"] == pytest.approx(answers[n])
    standalone = verdicts(doc["blanks"], answers)
    assert {n: v["verdict"] for n, v in graded.items()} == standalone
    exact = {n: b["value"] / per[b["blank"]] for n, b in ((b["blank"], b) for b in doc["blanks"])}
    assert set(verdicts(doc["blanks"], exact).values()) == {"right"}
    assert set(verdicts(doc["blanks"], {n: v * 4 if per[n] == 4 else v for n, v in exact.items()}).values()) \
        == {"right", "wrong"}  # the lecture's sum is not what the page asked


@pytest.mark.parametrize("network, name", [("moons", "ng"), ("moons", "zero_based"), ("iris", "cs231n"),
                                           ("two_channel", "nielsen")])
def test_a_profiles_key_with_elided_vectors_is_graded(tmp_path, network, name):
    """Where a long vector is elided the profile's page shows (so blanks) other entries than the
    lecture's (moons' a^[1] = [a₁, a₂, a₃, a₄, …, a₈] against [1, o₁, o₂, o₃, …, o₈]): the grader
    replays the exercise in the key's profile, a course's file too, and the answers the page asks for
    are right; each blank is still a lecture board number (its quantity, indices and value)."""
    from bptui.cli import main
    from bptui.grade import Replay, grade, load_key

    P = {**_sum_profiles(), "nielsen": PROFILES["nielsen"]}[name]
    folder = tmp_path / "ex"
    folder.mkdir()
    assert main(["export", network, "--exercise", "--notation", _profile_arg(P, tmp_path), "--example", "1",
                 "--answers", str(folder / "key.md"), "--output", str(folder / "page.md")]) == 0
    key = load_key(folder / "key.json")
    lecture = tmp_path / "lecture"
    lecture.mkdir()
    assert main(["export", network, "--exercise", "--example", "1", "--answers", str(lecture / "key.md"),
                 "--output", str(lecture / "page.md")]) == 0
    refs = {(b["quantity"], b["layer"], tuple(b["indices"])): b["value"] for b in load_key(lecture / "key.json").blanks.values()}
    if network == "moons":  # the hidden layer's fourth unit: shown (so blanked) in the profile only
        assert ("o", 1, (4,)) not in refs and any(b["quantity"] == "o" and b["layer"] == 1 and b["indices"] == [4]
                                                   for b in key.blanks.values())
    common = [b for b in key.blanks.values() if (b["quantity"], b["layer"], tuple(b["indices"])) in refs]
    assert common and all(b["value"] == refs[(b["quantity"], b["layer"], tuple(b["indices"]))]
                          for b in common if b["quantity"] not in ("loss", "loss_D") and b["step"] < 10)
    replay = Replay(key)  # refuses a key whose blanks its replay does not make
    answers = {n: float(b["value"]) / int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    graded = grade(key, answers, 1.0, replay)
    assert {g.verdict for g in graded.blanks} == {"right"}, [g for g in graded.blanks if g.verdict != "right"][:3]
    first = min(n for n, b in key.blanks.items() if b["quantity"] == "delta")  # wrong, by half again
    graded = grade(key, {**answers, first: answers[first] * 1.5}, 1.0, replay)
    assert [g.verdict for g in graded.blanks if g.blank == first] == ["wrong"]


def test_variants_in_a_profile_carry_it_into_their_files_keys_and_platform_export(tmp_path):
    import json

    from bptui.cli import main

    folder = tmp_path / "variants"
    assert main(["export", "xor", "--notation", "goodfellow", "--variants", "2", "--seed", "3", "--output", str(folder),
                 "--format", "moodle"]) == 0
    for i in (1, 2):
        network = json.loads((folder / f"variant-0{i}.json").read_text(encoding="utf-8"))
        key = json.loads((folder / f"variant-0{i}-key.json").read_text(encoding="utf-8"))
        assert network["notation"] == "goodfellow" and key["options"]["notation"] == "goodfellow"
        assert key["blanks"][0]["name"] == "a₁⁽¹⁾"
        assert "a^{(1)} &= W^{(1)} h^{(0)} + b^{(1)}" in (folder / f"variant-0{i}.md").read_text(encoding="utf-8")
    moodle = (folder / "moodle.xml").read_text(encoding="utf-8")
    assert "g₁⁽²⁾" in moodle and "δ₁⁽²⁾" not in moodle


def test_check_names_the_gradients_and_the_loss_in_the_profile():
    from .test_notation import _run

    code, lecture, err = _run("check", "xor")
    assert code == 0 and "  G⁽¹⁾: max relative error" in lecture and "|ℓ_D|" in lecture
    code, out, err = _run("check", "xor", "--notation", "ng")
    assert code == 0, err
    assert "  dW^[1] and db^[1]: max relative error" in out and "|J|" in out and "G⁽" not in out
    assert [line.split(": ")[-1] for line in out.splitlines()[1:3]] == \
        [line.split(": ")[-1] for line in lecture.splitlines()[1:3]]  # the same numbers
    code, out, err = _run("check", "moons_layernorm", "--notation", "ng")  # a layer norm follows every profile
    assert code == 0 and "  dW^[1] and db^[1]: max relative error" in out, err
    code, out, err = _run("check", "lecture13_expression", "--notation", "ng")  # a graph: the lecture's only
    assert (code, out) == (2, "") and err.startswith("error: ") and err.count("\n") == 1
    code, out, err = _run("check", "parity", "--notation", "ng")  # a recurrent network follows every profile
    assert code == 0 and "  dW^[1], dU^[1] and db^[1]: max relative error" in out, err


def test_train_names_the_loss_and_the_learning_rate_in_the_profile():
    from .test_notation import _run

    code, lecture, _ = _run("train", "xor", "--epochs", "5")
    code2, out, err = _run("train", "xor", "--epochs", "5", "--notation", "ng")
    assert code == code2 == 0, err
    assert "epoch      5: ℓ_D = " in lecture and "loss ℓ = Σₙ ℓ⁽ⁿ⁾" in lecture and "η = 0.5" in lecture
    assert "epoch      5: J = " in out and "J = mean ℒ⁽ⁿ⁾" in out and "α = 0.5" in out and "ℓ" not in out
    numbers = [float(line.split("= ")[-1]) for line in lecture.splitlines() if "epoch " in line]
    means = [float(line.split("= ")[-1]) for line in out.splitlines() if "epoch " in line]  # ng's J: the mean
    assert means == pytest.approx([v / 4 for v in numbers], rel=1e-5)  # the same values, over xor's 4 examples


# -- convolution, pooling and the dense layer reading a map, in every profile ----------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_conv_and_pool_equations_in_every_profile_are_their_values(seed):
    """Random v2 networks (conv2d, max or average pooling, a dense layer reading the map) in each
    profile in turn: every step's equations as the profile groups them (a separate b for the dense
    layer, the mean G/m for kernels and weights) hold on the numbers shown, in text and LaTeX, and
    each number with a Ref is the board's (through its view)."""
    from bptui.core.formats.spec import parse
    from bptui.core.engine.equations import profile_fits

    from .helpers import random_conv_doc
    from .test_formula import OPTIMIZERS
    from .test_notation import check_profile_step

    name = OTHERS[seed % len(OTHERS)]
    update = ["full_batch", "per_example", {"batch_size": 2}][seed % 3]
    doc = random_conv_doc(seed, n=3, update=update, optimizer=OPTIMIZERS[seed % len(OPTIMIZERS)], l2=0.1 * (seed % 2))
    stepper = Stepper(parse(doc, "conv.json"), notation=ALL[name])
    assert profile_fits(stepper.net.kinds, ALL[name]) is None
    checked = 0
    for _ in range(len(stepper.schedule) + 3):
        step = stepper.forward()
        checked += check_profile_step(stepper, step, 2 + seed % 5, name)
    assert checked > 0


@pytest.mark.parametrize("seed", range(3))
def test_conv_network_explanations_in_every_profile_are_the_lectures_numbers(seed):
    """Every cell of a random conv network explained in a profile has the lecture's value as the
    profile shows it (G/m in a mean profile), and its equations hold on the board's numbers."""
    from bptui.core.formats.spec import parse

    from .helpers import random_conv_doc
    from .test_formula import map_cells

    name = ["ng", "goodfellow", "cs231n"][seed]
    doc = random_conv_doc(seed + 20, n=3, update={"batch_size": 2})
    spec = parse(doc, "conv.json")
    assert explained_alike(spec, name, lambda stepper: map_cells(spec), 11) > 0


def explained_alike(spec, name: str, cells_of, every: int, latex: bool = False) -> int:
    """Step a lecture's and a profile's stepper of ``spec`` together; every ``every`` steps, every cell
    (``cells_of(stepper)``) has the lecture's value in the profile as the profile shows it (G/m in a mean
    profile), and each equation of its explanation holds on the board's numbers (``latex``: in LaTeX too).
    Returns how many numbers were checked."""
    P = ALL[name]
    lecture, profiled = Stepper(spec), Stepper(spec, notation=P)
    printer = LatexPrinter(4, notation=P)
    checked = 0
    for i in range(len(lecture.schedule)):
        lecture.forward()
        profiled.forward()
        if i % every != every - 1:
            continue
        m = group_size(lecture.net, lecture.schedule.key(lecture.position - 1)) if P.mean else 1
        for cell in cells_of(lecture):
            lec, pro = explain(lecture, cell, 4), explain(profiled, cell, 4)
            if lec.value is None:
                assert pro.value is None
                continue
            expected = lec.value / (m if cell.quantity == "G" else 1)
            assert pro.value == pytest.approx(expected, rel=1e-12, abs=1e-300), (name, cell, pro.text())
            text = pro.text()
            for eq in pro.equations:
                eq = plan(eq, 4)
                checked += check_equation(eq, 4, profiled, where=f"{name} {cell} at {profiled.position}")
                if "…" not in text:
                    rows = " ".join(r for row in printer.rows(eq) for r in row) if latex else None
                    check_text(eq, 4, text, rows) if latex else check_text(eq, 4, text)
    return checked


@pytest.mark.parametrize("name", ["ng", "goodfellow", "cs231n"])
def test_the_quiz_on_a_conv_network_in_a_profile(name):
    """Kernel weights, map positions, the dense layer's W and b and their gradients: each question
    hides its number where the profile shows it, and the profile's value (G/m) is the answer."""
    from bptui.core.teaching.quiz import Quiz

    spec = load_any(resolve("edges"))
    quiz, lecture = Quiz(spec, seed=2, steps=140, notation=ALL[name]), Quiz(spec, seed=2, steps=140)  # past an update
    m = spec.group_size if ALL[name].mean else 1
    asked = set()
    while (q := quiz.next()) is not None:
        same = lecture.next()
        assert same is not None and q.cell == same.cell and "?" in q.equation, (name, q.symbol, q.equation)
        assert q.value == pytest.approx(same.value / (m if q.cell.quantity == "G" else 1), rel=1e-12)
        assert quiz.answer(q, repr(q.value)).right
        asked.add(q.cell.quantity)
    assert asked >= {"s", "o", "delta", "G", "W"}


def exercise_keys(tmp_path, example: str, name: str, n: int) -> dict:
    """The keys (JSON) of ``example``'s exercise on example ``n`` in the lecture's notation and in
    profile ``name``, each page asking every blank of its key once."""
    import json

    from bptui.cli import main

    from .test_keyjson import FIRST

    keys = {}
    for notation in ("lecture13", name):
        folder = tmp_path / notation
        folder.mkdir()
        assert main(["export", example, "--notation", notation, "--exercise", "--example", str(n), "--answers",
                     str(folder / "key.md"), "--output", str(folder / "page.md")]) == 0
        keys[notation] = json.loads((folder / "key.json").read_text(encoding="utf-8"))
        page = (folder / "page.md").read_text(encoding="utf-8")
        assert sorted({int(n) for n in FIRST.findall(page)}) == [b["blank"] for b in keys[notation]["blanks"]]
    return keys


@pytest.mark.parametrize("name", ["ng", "goodfellow"])
def test_an_exercise_on_a_conv_network_in_a_profile(tmp_path, name):
    """Every blank is asked once on the page (the entries the profile's arrays show: W without its bias
    column elides other columns than the lecture's W); a number blanked in both keys has the same value
    and formula; every formula evaluates to its value."""
    import re

    from bptui.keyjson import evaluate_formula

    from .test_keyjson import close

    keys = exercise_keys(tmp_path, "edges", name, 1)
    lecture = {(b["quantity"], b["layer"], tuple(b["indices"])): b for b in keys["lecture13"]["blanks"]}
    values = {f"b{b['blank']}": b["value"] for b in keys[name]["blanks"]}
    common = 0
    for b in keys[name]["blanks"]:
        if b["formula"] is not None:
            assert close(evaluate_formula(b["formula"], values), b["value"])
        same = lecture.get((b["quantity"], b["layer"], tuple(b["indices"])))
        if same is not None:
            assert same["value"] == b["value"]
            common += 1
    assert common >= len(lecture) - 2 and re.search(r"\(\d+\)\\; (dw|\\nabla)", (tmp_path / name / "key.md").read_text())


def test_csv_of_a_conv_network_in_a_profile_names_map_entries_and_kernel_weights():
    import csv
    import io

    from .test_notation import _export

    code, text, err = _export("edges", "--format", "csv", "--notation", "ng", "--steps", "1:12")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(text)))
    first = rows[0]
    assert (first["quantity"], first["node"], first["row"], first["col"], first["name"]) == ("s", "1", "1", "1", "z₁,₁,₁^[1]")
    kernel = next(r for r in rows if r["quantity"] == "G" and r["layer"] == "1" and r["col"] == "1")
    assert kernel["name"] == "dw₁,₁,₁,₁^[1]" and float(kernel["shown"]) == pytest.approx(float(kernel["value"]) / 10)

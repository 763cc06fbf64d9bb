"""The quiz: answers parsed and judged, a seeded choice of cell, and `bptui quiz` driven through stdin."""

import subprocess
import sys

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.teaching.explain import Cell
from bptui.core.teaching.quiz import Quiz, Tolerance, ask, choose, parse_answer
from bptui.core.formats.spec import load_any
from bptui.core.engine.stepper import Stepper

from .conftest import HANG, NETWORKS


@pytest.mark.parametrize("text, value", [
    ("0.25", 0.25), ("-1e-3", -1e-3), ("−0.5", -0.5), ("1/4", 0.25), (" -3 / 8 ", -0.375), ("+2", 2.0),
    (".5", 0.5), ("1E2", 100.0), ("1.5/0.5", 3.0),
])
def test_answers_are_floats_or_simple_fractions(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text, value", [
    ("ln(2)", np.log(2)), ("e^6", np.exp(6)), ("e**6", np.exp(6)), ("sqrt(2)/2", np.sqrt(2) / 2),
    ("π/4", np.pi / 4), ("pi", np.pi), ("-e", -np.e), ("2*3", 6.0), ("1/2/4", 0.125), ("exp(-1)", np.exp(-1)),
    ("tanh(−0.2)", np.tanh(-0.2)), ("sigmoid(0)", 0.5), ("2^-1", 0.5), ("1 − 0.09967^2", 1 - 0.09967**2),
])
def test_answers_may_be_expressions_with_e_and_pi(text, value):
    assert parse_answer(text) == pytest.approx(value, rel=1e-15)


def test_a_refused_expression_says_why():
    with pytest.raises(ValueError, match=r"ln\(-1\): log of −1"):
        parse_answer("ln(-1)")
    with pytest.raises(ValueError, match="unknown name 'x' .constants: e, pi."):
        parse_answer("2*x")


@pytest.mark.parametrize("text", ["", "abc", "1/0", "nan", "inf", "0x10", "1,5", "2pi", "ln(-1)", "e^1000",
                                  "__import__('os')", "(1", "1+"])
def test_other_answers_are_refused(text):
    with pytest.raises(ValueError):
        parse_answer(text)


def test_tolerance_is_relative_with_a_floor_near_zero():
    t = Tolerance()
    assert t.accepts(0.5592, 0.5592682) and not t.accepts(0.558, 0.5592682)
    assert t.accepts(-412.0, -412.19) and not t.accepts(-411.0, -412.19)
    assert t.accepts(0.0, 3e-7) and not t.accepts(0.0, 3e-5)
    assert Tolerance(rel=0.1).accepts(0.54, 0.5) and not Tolerance(rel=0.1).accepts(0.56, 0.5)


def test_the_choice_is_seeded_and_covers_every_cell():
    spec = load_any(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    keys = [stepper.schedule.key(i) for i in range(len(stepper.schedule))]
    assert [choose(spec, k, seed=5) for k in keys] == [choose(spec, k, seed=5) for k in keys]
    assert [choose(spec, k, seed=5) for k in keys] != [choose(spec, k, seed=6) for k in keys]
    chosen = {choose(spec, keys[6], seed) for seed in range(60)}  # G⁽²⁾: 1×3
    assert chosen == {Cell("G", 2, 1, a) for a in range(3)}
    assert all(c.unit != 0 for c in (choose(spec, keys[1], s) for s in range(30)))  # never the bias 1 of o⁽¹⁾


def test_a_question_hides_exactly_its_number():
    spec = load_any(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    step = stepper.forward()
    q = ask(stepper, step, cell=Cell("s", 1, 2))
    assert q.equation.endswith("= [0.1, ?]") and q.value == -0.2 and q.symbol == "s₂⁽¹⁾"
    stepper.goto(7)  # G⁽²⁾ of example 1
    q = ask(stepper, stepper.last, cell=Cell("G", 2, 1, 2))
    assert q.equation.endswith("= [[0.2757, 0.02748, ?]]")
    assert q.value == stepper.state.G[2][0, 2]
    stepper.goto(5)
    q = ask(stepper, stepper.last)
    assert "?" in q.equation and "0.3128" not in q.equation and q.symbol == "ℓ⁽¹⁾"


def test_a_whole_quiz_in_the_core_keeps_score():
    quiz = Quiz(load_any(NETWORKS / "lecture13.json"))
    answers = 0
    while (q := quiz.next()) is not None:
        if answers % 2:  # a wrong first answer: a hint with the formula's numbers, nothing counted yet
            first = quiz.answer(q, str(q.value * 1.01 + 0.1))
            assert not first.final and not first.right and first.hint.startswith(q.symbol) and first.hint.endswith("= ?")
            assert quiz.score.asked == answers
        verdict = quiz.answer(q, repr(q.value) if answers % 4 != 3 else str(q.value * 1.01 + 0.1))
        assert verdict.final and verdict.right == (answers % 4 != 3) and verdict.attempt == 1 + answers % 2
        assert verdict.explanation.value == q.value
        answers += 1
    assert answers == 16 and quiz.score.asked == 16 and (quiz.score.right, quiz.score.second) == (12, 4)
    assert quiz.score.summary() == "score: 12 of 16 right (75%): 8 at the first try, 4 at the second"
    assert quiz.score.breakdown() == ["value: 6 of 7 right (4 at the first try, 2 at the second)",
                                      "adjoint: 6 of 9 right (4 at the first try, 2 at the second)"]


def test_the_hint_is_the_formula_with_its_inputs_numbers():
    quiz = Quiz(load_any(NETWORKS / "lecture13.json"))
    hints = {}
    while (q := quiz.next()) is not None:
        hints[q.symbol] = quiz.answer(q, "1e9").hint
        quiz.answer(q, "1e9")
    assert hints["b"] == "b = ln(x) = ln(2) = ?"
    assert hints["g_b"] == "g_b = g_e·(−a/b²) + g_c·cos(b) = 1·(−6/0.6931²) + 0.1667·cos(0.6931) = ?"
    assert quiz.score.asked == 16 and quiz.score.right == 0
    xor = Quiz(load_any(NETWORKS / "xor.json"), seed=0, steps=8)
    hints = {}
    while (q := xor.next()) is not None:
        hints[q.symbol] = xor.answer(q, "1e9").hint
        xor.answer(q, repr(q.value))
    assert hints["δ₁⁽¹⁾"] == "δ₁⁽¹⁾ = δ₁⁽²⁾ w₁,₁⁽²⁾·(1 − (o₁⁽¹⁾)²) = 0.2757·0.7·(1 − 0.09967²) = ?"
    assert xor.score.summary() == "score: 8 of 8 right (100%): 0 at the first try, 8 at the second"
    assert [line.split(":")[0] for line in xor.score.breakdown()] == ["s", "o", "ℓ", "δ", "G"]


def right_answers(name, steps, seed=0):
    quiz = Quiz(load_any(NETWORKS / f"{name}.json"), seed=seed, steps=steps)
    values = []
    while (q := quiz.next()) is not None:
        values.append(q.value)
    return values


def test_bptui_quiz_through_stdin(monkeypatch, capsys):
    values = right_answers("xor", 4)
    answers = iter([f"{values[0] * (1 + 5e-4):.10g}",  # within 1e-3: right
                    f"{values[1] * (1 + 5e-3):.10g}",  # outside: wrong, a hint
                    f"{values[1] * (1 + 5e-3):.10g}",  # wrong again: the solution
                    "not a number", f"{values[2]:.4g}",  # re-asked, then right
                    "0", "1/(1 + e^-0.23819)"])  # o⁽²⁾: wrong, then right as an expression
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    code = main(["quiz", str(NETWORKS / "xor.json"), "--steps", "4"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("right: ") == 2 and out.count("wrong: ") == 1 and out.count("right at the second try: ") == 1
    assert out.count("one more try") == 2 and "hint: o₂⁽¹⁾ = tanh(s₂⁽¹⁾) = tanh(−0.2) = ?" in out
    assert "not a number: 'not a number'" in out
    assert "s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾ = [[0.1, 0.5, −0.4], [−0.2, 0.3, 0.6]] [1, 0, 0] = [" in out and "?" in out
    assert "Σₐ w" in out  # the explanation follows each answer
    assert "score: 3 of 4 right (75%): 2 at the first try, 1 at the second" in out
    assert out.rstrip().endswith("o: 1 of 2 right (0 at the first try, 1 at the second)")


def test_bptui_quiz_ends_on_q_and_on_eof_in_a_subprocess():
    values = right_answers("lecture13", None)
    stdin = f"{values[0]}\n{values[1] + 1}\n"  # then EOF
    proc = subprocess.run([sys.executable, "-m", "bptui", "quiz", str(NETWORKS / "lecture13.json")],
                          input=stdin, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "a = x·z = 2·3 = ?" in proc.stdout
    assert "a = x·z = 2·3 = ?" in proc.stdout and "hint: b = ln(x) = ln(2) = ?" in proc.stdout
    # the second question, left after a wrong try, counts as asked and skipped
    assert proc.stdout.rstrip().endswith("score: 1 of 2 right (50%); 1 skipped\n"
                                         "  value: 1 of 2 right (1 at the first try, 0 at the second)")
    first = right_answers("xor", 1)[0]
    proc = subprocess.run([sys.executable, "-m", "bptui", "quiz", "xor", "--tolerance", "0.5"],
                          input=f"{first * 1.4}\nq\n", capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0 and "right within a relative 0.5" in proc.stdout
    assert "score: 1 of 1 right (100%)" in proc.stdout


def test_bptui_quiz_from_a_pipe_writes_each_answer_after_its_prompt():
    """Read from a pipe, the answers are not echoed by a terminal: the transcript writes each one after its
    prompt, as a terminal session reads, and an empty line (no answer) neither repeats the prompt nor counts."""
    values = right_answers("lecture13", 2)
    stdin = f"{values[0] + 1}\n\n\n{values[0] + 2}\n\n{values[1]}\n"  # wrong, blank lines, wrong, right, EOF
    proc = subprocess.run([sys.executable, "-m", "bptui", "quiz", str(NETWORKS / "lecture13.json"), "--steps", "2"],
                          input=stdin, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0 and proc.stderr == ""
    out = proc.stdout
    assert "a = a =" not in out and "b = b =" not in out
    assert f"\na = {values[0] + 1}\nnot quite ({values[0] + 1:g}). hint: a = x·z = 2·3 = ?\none more try:\n" \
           f"a = {values[0] + 2}\nwrong: a = 6, not 8\n" in out
    assert f"\nb = {values[1]}\nright: b = 0.693147\n" in out
    assert out.rstrip().endswith("\n\nscore: 1 of 2 right (50%)\n"
                                 "  value: 1 of 2 right (1 at the first try, 0 at the second)")


def test_a_piped_answer_is_echoed_as_typed_and_judged_in_the_texts_form(monkeypatch, capsys):
    """The transcript of answers from a pipe reads as a terminal session does: the answer as the student typed
    it (``-0.25``, the hyphen-minus a keyboard types; a terminal echoes it so), and every line the quiz writes
    after it in the project's text form: ``not quite (−0.25)``, ``not −1e−7``, the right value ``−0.2``."""
    values = right_answers("xor", 2, seed=1)
    assert values[0] == pytest.approx(-0.2) and values[1] == pytest.approx(-0.197375, abs=1e-6)
    answers = iter(["-0.2", "-0.25", "-1e-7"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("bptui.cli._typed_at_a_terminal", lambda: False)
    assert main(["quiz", "xor", "--steps", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "\ns₂⁽¹⁾ = -0.2\nright: s₂⁽¹⁾ = −0.2\n" in out
    assert "\no₂⁽¹⁾ = -0.25\nnot quite (−0.25). hint: " in out
    assert "\no₂⁽¹⁾ = -1e-7\nwrong: o₂⁽¹⁾ = −0.197375, not −1e−7\n" in out


def test_bptui_quiz_bad_input(capsys):
    assert main(["quiz", "nope.json"]) == 2
    assert capsys.readouterr().err.startswith("error: nope.json: no such file")
    assert main(["quiz", "xor", "--tolerance", "-1"]) == 2


def test_quiz_values_match_the_stepper():
    spec = load_any(NETWORKS / "classifier.json")
    quiz = Quiz(spec, seed=2)
    reference = Stepper(spec)
    while (q := quiz.next()) is not None:
        step = reference.forward()
        value = np.asarray(step.value)
        assert q.value in value.ravel() or q.value == float(step.value)


def test_skipped_questions_count_as_asked():
    from bptui.core.teaching.quiz import Score

    spec = load_any(NETWORKS / "xor.json")
    quiz = Quiz(spec)
    first = quiz.next()
    quiz.score.skip(first)
    second = quiz.next()
    quiz.answer(second, repr(second.value))
    assert quiz.score.asked == 2 and quiz.score.right == 1 and quiz.score.skipped == 1
    assert quiz.score.summary() == "score: 1 of 2 right (50%); 1 skipped"
    assert isinstance(quiz.score, Score)


def test_the_manuals_quiz_transcript_is_what_the_quiz_prints(monkeypatch, capsys):
    """docs/teaching.md shows a quiz on xor at step 8 as a student sees it, answers included; the quiz prints the
    same lines (up to the manual's `…`), so the page cannot drift from the program (its operands once lost the
    digits the equation line now carries)."""
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "teaching.md").read_text(encoding="utf-8")
    block = page.split("```\nstep 8 of 38", 1)[1].split("```", 1)[0]
    shown = ("step 8 of 38" + block).split("\n…")[0].splitlines()
    typed = [line.split(" = ", 1)[1] for line in shown if line.startswith("δ₁⁽¹⁾ = ") and "·" not in line
             and ":" not in line]
    assert typed == ["0.2", "0.2757*0.7*(1 - 0.09967^2)"]
    answers = iter(["1e9"] * 14 + typed + ["q"])  # steps 1–7 wrong twice (1e9 is never right), then the page's
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("bptui.cli._typed_at_a_terminal", lambda: False)
    assert main(["quiz", "xor"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(shown[0])
    assert out[start:start + len(shown)] == shown

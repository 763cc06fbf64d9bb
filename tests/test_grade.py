"""``bptui grade``: synthetic students who make one known mistake at one step and carry it forward,
graded against variants of xor (squared loss, sgd, two epochs), moons (momentum, mini-batches),
iris (adam, softmax) and two_channel (a convolution); answer files mutated by a seeded generator;
the json, csv and Gradescope outputs read back; a class by roster; a program's trace.

The synthetic students' wrong numbers are worked out here from the key's own values and the
variant's file (δ = back ⊙ f′ undone with f′ = 1 − o² for tanh, G's terms from consecutive G's, the
first update undone from W before and after), not by bptui's mistake library, and every answer after
the mistake is the key's formula evaluated with the student's answers so far."""

import csv
import io
import json
import math
import random
from collections import Counter, defaultdict

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.formats.spec import load_any
from bptui.grade import Replay, grade, load_key
from bptui.keyjson import evaluate_formula
from bptui.mistakes import MISTAKES

from .conftest import NETWORKS

VARIANTS = {  # name: options of bptui export --variants 1 (parts where every formula is written)
    "xor": ["--epochs", "2"],
    "moons": ["--steps", "1:191"],  # the first mini-batch of 20, its update, the second's first example
    "iris": ["--steps", "1:155"],
    "two_channel": [],
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    out = {}
    for name, extra in VARIANTS.items():
        folder = tmp_path_factory.mktemp(name)
        assert main(["export", name, "--variants", "1", "--seed", "7", "--output", str(folder), *extra]) == 0
        key = load_key(folder / "variant-01-key.json")
        out[name] = (key, Replay(key), load_any(folder / "variant-01.json"))
    return out


def tol(b, x):
    return b["atol"] + b["rtol"] * abs(x)


# -- the synthetic students' mistakes, worked out from the key's values ---------------------------
class Board:
    """The key's values by (epoch, example, quantity, layer, indices), and where each example stands."""

    def __init__(self, key, spec):
        self.key, self.spec = key, spec
        self.at = {}
        order = []
        for n, b in sorted(key.blanks.items(), key=lambda nb: (nb[1]["step"], nb[0])):
            self.at[(b["epoch"], b["example"], b["quantity"], b["layer"], tuple(b["indices"]))] = b
            if b["example"] is not None and (b["epoch"], b["example"]) not in order:
                order.append((b["epoch"], b["example"]))
        self.B = spec.N if spec.update == "full_batch" else (1 if spec.update == "per_example" else spec.batch_size)
        first = {}
        for e, n in sorted(order, key=lambda en: min(b["step"] for b in key.blanks.values() if (b["epoch"], b["example"]) == en)):
            first.setdefault(e, []).append(n)
        self.in_epoch = {(e, n): i + 1 for e, ns in first.items() for i, n in enumerate(ns)}

    def v(self, b):
        return float(b["value"])

    def get(self, e, n, q, l, idx):
        b = self.at.get((e, n, q, l, tuple(idx)))
        return None if b is None else self.v(b)

    def previous_example(self, e, n):
        """The example stepped before (e, n) in its epoch, or (e − 1, last) at an epoch's start."""
        k = self.in_epoch[(e, n)]
        for (e2, n2), k2 in self.in_epoch.items():
            if (e2 == e and k2 == k - 1) or (k == 1 and e2 == e - 1 and k2 == max(
                    kk for (ee, _), kk in self.in_epoch.items() if ee == e - 1)):
                return e2, n2
        return None


def w_index(spec, l, idx):
    """Where a W or G blank's entry is in W⁽ˡ⁾: [b, a], a kernel's ["bias", k] or [k, c, u, v]."""
    if idx[0] == "bias":
        return idx[1] - 1, 0
    if len(idx) == 2:
        return idx[0] - 1, idx[1]
    kind = spec.layer_kinds[l - 1]
    k, c, u, v = idx
    return k - 1, 1 + int(np.ravel_multi_index((c - 1, u - 1, v - 1), (kind.in_shape[0], *kind.kernel)))


def wrong_value(board, mistake, b):
    """The number ``mistake`` gives for blank ``b`` (None where it does not apply), from the key's values."""
    spec, q, l, idx, e, n = board.spec, b["quantity"], b["layer"], b["indices"], b["epoch"], b["example"]
    value = board.v(b)
    L = spec.L
    if q == "delta" and l < L and spec.activations[l - 1] == "tanh":  # a unit, or a map's entry [k, i, j]
        o = board.get(e, n, "o", l, idx)
        if o is None:
            return None
        back = value / (1 - o * o)
        if mistake == "fprime_omitted":
            return back
        if mistake == "fprime_at_o":
            return back * (1 - math.tanh(o) ** 2)
        if mistake == "f_for_fprime":
            return back * o
        if mistake in ("w_not_transposed", "bias_row_in_delta") and len(idx) == 1 and e == 1 \
                and board.in_epoch[(e, n)] <= board.B:
            W = np.asarray(spec.weights[l], dtype=float)  # W⁽ˡ⁺¹⁾ before the first update
            d = [board.get(e, n, "delta", l + 1, [c]) for c in range(1, W.shape[0] + 1)]
            if any(x is None for x in d):
                return None
            j = idx[0]  # unit b = j
            if mistake == "bias_row_in_delta":
                return sum(W[c, j - 1] * d[c] for c in range(len(d))) * (1 - o * o)
            if j - 1 >= W.shape[0] or len(d) > W.shape[1] - 1:
                return None
            return sum(W[j - 1, c + 1] * d[c] for c in range(len(d))) * (1 - o * o)
    if q == "delta" and l == L and spec.loss == "squared" and spec.activations[-1] == "sigmoid":
        o = board.get(e, n, "o", L, idx)
        y = float(spec.y_of(n - 1)[idx[0] - 1])
        g = 2 * (o - y)
        sig = 1 / (1 + math.exp(-o))
        return {"fprime_omitted": g, "fprime_at_o": g * sig * (1 - sig), "f_for_fprime": g * o,
                "softmax_shortcut": o - y}.get(mistake)
    if q == "G":
        k = (board.in_epoch[(e, n)] - 1) % board.B + 1
        prev = board.previous_example(e, n)
        before = None if prev is None else board.get(*prev, "G", l, idx)
        if mistake == "g_not_accumulated" and k > 1 and before is not None:
            return value - before
        if mistake == "sum_for_mean" and k > 1:
            return value / k
        if mistake == "g_not_reset" and k == 1 and before is not None:
            return before + value
    if q == "W" and e == 1 and b["step"] <= min(x["step"] for x in board.key.blanks.values() if x["quantity"] == "W") + L:
        w0 = float(np.asarray(spec.weights[l - 1])[w_index(spec, l, idx)])
        opt = spec.optimizer
        if mistake == "update_sign":
            return 2 * w0 - value
        if mistake == "eta_omitted":
            return w0 - (w0 - value) / opt.learning_rate
        if mistake == "sum_for_mean" and opt.l2 == 0:
            last = max((x for x in board.key.blanks.values() if x["quantity"] == "G" and x["layer"] == l
                        and x["indices"] == idx and x["step"] < b["step"]), key=lambda x: x["step"], default=None)
            if last is None:
                return None
            g = float(last["value"]) / board.B
            if opt.name == "adam":
                return w0 - opt.learning_rate * g / (abs(g) + opt.eps)
            return w0 - opt.learning_rate * g  # sgd, and momentum's first step (v = g)
    if q == "loss_D" and board.in_epoch[(e, n)] > 1 and mistake == "sum_for_mean":
        return value / board.in_epoch[(e, n)]
    if q == "loss" and mistake == "sum_for_mean" and spec.widths[-1] > 1:
        return value / spec.widths[-1]
    return None


def student(key, board, mistake):
    """A student who makes ``mistake`` at the first step where it changes an answer, and carries it:
    (answers, the blanks made wrong); None when the mistake never changes an answer here."""
    by_step = defaultdict(list)
    for n, b in sorted(key.blanks.items()):
        by_step[b["step"]].append(n)
    for step in sorted(by_step):
        wrong = {}
        for n in by_step[step]:
            b = key.blanks[n]
            w = wrong_value(board, mistake, b)
            if w is not None and math.isfinite(w) and abs(w - board.v(b)) > 10 * tol(b, board.v(b)):
                wrong[n] = w
        if wrong:
            break
    else:
        return None
    answers = {}
    for n, b in sorted(key.blanks.items()):
        if b["step"] < step:
            answers[n] = board.v(b)
        elif n in wrong:
            answers[n] = wrong[n]
        elif b["step"] == step:
            answers[n] = board.v(b)
        elif b["formula"] is not None and all(d in answers for d in b["depends_on"]):
            answers[n] = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
        # else left blank: its formula is too long to write (null), or reads a blank left blank
    return answers, wrong


def _depends(key, mistaken):
    """The blanks that depend on a mistaken one, through other blanks too (depends_on lists the blanks a
    formula reads, each of which may read earlier ones)."""
    out = set(mistaken)
    for n, b in sorted(key.blanks.items()):
        if out & set(b["depends_on"]):
            out.add(n)
    return out - set(mistaken)


# the mistakes that change no answer in an exercise: W δ needs as many units above as W has rows
# (iris's 3 outputs), o − y a loss it is wrong for (xor's squared loss), G kept a previous group;
# a mean profile's G/m is asked in a profile's exercise only (test_a_mean_profiles_sum_for_its_mean)
NEVER = {name: {"recurrent_term_omitted", "mean_not_taken", *more} for name, more in {
    "xor": {"w_not_transposed"}, "moons": {"w_not_transposed", "softmax_shortcut"}, "iris": {"softmax_shortcut"},
    "two_channel": {"w_not_transposed", "bias_row_in_delta", "g_not_reset", "softmax_shortcut"}}.items()}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_synthetic_students_are_named_and_carried(keys, name):
    key, replay, spec = keys[name]
    board = Board(key, spec)
    made = set()
    for m in MISTAKES:
        made_one = student(key, board, m.id)
        if made_one is None:
            continue
        made.add(m.id)
        answers, wrong = made_one
        g = {b.blank: b for b in grade(key, answers, 1.0, replay).blanks}
        later = _depends(key, set(wrong))
        for n, bg in g.items():
            b = key.blanks[n]
            if n not in answers:
                assert bg.verdict == "missing"
            elif n in wrong:
                assert bg.verdict == "wrong", (name, m.id, n, bg)
                assert bg.mistake is not None and bg.mistake.id == m.id, (name, m.id, n, b["name"], bg.mistake)
            elif n in later and abs(answers[n] - board.v(b)) > tol(b, board.v(b)):
                assert bg.verdict == "carried", (name, m.id, n, bg)
                assert bg.carried == pytest.approx(answers[n], rel=1e-9, abs=1e-12)
            else:
                assert bg.verdict == "right", (name, m.id, n, bg)
    assert made == {m.id for m in MISTAKES} - NEVER[name]


def test_the_library_is_data_and_every_mistake_is_made():
    ids = [m.id for m in MISTAKES]
    assert len(ids) == len(set(ids)) == 13
    for m in MISTAKES:
        assert m.description and m.formula and m.quantities
    # each mistake is made by some synthetic student (the recurrent one by a program: see
    # test_a_recurrent_programs_trace; the mean profile's by test_a_mean_profiles_sum_for_its_mean)
    assert set.intersection(*NEVER.values()) == {"recurrent_term_omitted", "mean_not_taken"}


@pytest.mark.parametrize("name, extra", [("xor", ["--epochs", "2"]), ("moons", ["--steps", "1:191"])])
def test_a_mean_profiles_sum_for_its_mean(tmp_path, name, extra):
    """In ng (a mean profile) the page asks for G/m: a student who writes the sum G at the first G
    blank of a group of m ≥ 2 is named mean_not_taken, and what follows from it is carried."""
    assert main(["export", name, "--exercise", "--notation", "ng", "--answers", str(tmp_path / "key.md"),
                 "--output", str(tmp_path / "page.md"), *extra]) == 0
    key = load_key(tmp_path / "key.json")
    per = {n: int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    first = min((n for n, b in key.blanks.items() if per[n] > 1 and abs(float(b["value"])) > 100 * tol(b, 0.0)),
                key=lambda n: key.blanks[n]["step"])
    board, answers = {}, {}  # board: the key's values (an answer times its m); answers: as the page asks
    for n, b in sorted(key.blanks.items(), key=lambda nb: (nb[1]["step"], nb[0])):
        if n == first:
            board[n] = float(b["value"]) * per[n]  # the sum written where G/m is asked
        elif b["step"] > key.blanks[first]["step"] and b["formula"] is not None \
                and all(d in board for d in b["depends_on"]):
            board[n] = evaluate_formula(b["formula"], {f"b{d}": board[d] for d in b["depends_on"]})
        else:
            board[n] = float(b["value"])
        answers[n] = board[n] / per[n]
    assert per[first] >= 2 and answers[first] == pytest.approx(float(key.blanks[first]["value"]))
    later = _depends(key, {first})
    g = {bg.blank: bg for bg in grade(key, answers).blanks}
    assert g[first].verdict == "wrong" and g[first].mistake is not None and g[first].mistake.id == "mean_not_taken"
    assert g[first].expected == pytest.approx(float(key.blanks[first]["value"]) / per[first])
    carried = 0
    for n, bg in g.items():
        if n == first:
            continue
        b = key.blanks[n]
        if n in later and abs(board[n] - float(b["value"])) > tol(b, float(b["value"])):
            assert bg.verdict == "carried", (n, b["name"], bg)
            carried += 1
        else:
            assert bg.verdict == "right", (n, b["name"], bg)
    assert carried > 0


# -- verdicts, credit, outputs ----------------------------------------------------------------------
def _answers_file(tmp_path, key, values, name="answers.csv"):
    path = tmp_path / name
    path.write_text("blank,value\n" + "".join(f"{n},{v!r}\n" for n, v in values.items()), encoding="utf-8")
    return path


def test_right_missing_and_carried_credit(keys, tmp_path, capsys):
    key, replay, spec = keys["xor"]
    first_delta = min(n for n, b in key.blanks.items() if b["quantity"] == "delta")
    values = {}
    for n, b in sorted(key.blanks.items()):  # δ wrong (no known mistake); what follows from it is carried
        values[n] = float(b["value"]) * 1.5 if n == first_delta else \
            evaluate_formula(b["formula"], {f"b{d}": values[d] for d in b["depends_on"]})
    for n in list(values)[-5:]:
        del values[n]
    path = _answers_file(tmp_path, key, {n: values[n] for n in sorted(values)})
    assert main(["grade", str(key.path), str(path), "--format", "json", "--carried-credit", "0.5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    verdicts = Counter(b["verdict"] for b in doc["blanks"])
    assert verdicts["missing"] == 5 and verdicts["wrong"] >= 1 and verdicts["carried"] >= 1
    assert doc["max_score"] == len(key.blanks)
    assert doc["score"] == pytest.approx(verdicts["right"] + 0.5 * verdicts["carried"])
    wrong = next(b for b in doc["blanks"] if b["blank"] == first_delta)
    assert wrong["verdict"] == "wrong" and wrong["given"] == pytest.approx(values[first_delta])
    later = _depends(key, {first_delta})
    for b in doc["blanks"]:
        if b["verdict"] == "carried":
            assert b["points"] == 0.5 and b["blank"] in later


def test_formats_read_back(keys, tmp_path, capsys):
    key, replay, spec = keys["moons"]
    board = Board(key, spec)
    answers, wrong = student(key, board, "fprime_omitted")
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({str(n): v for n, v in answers.items()}), encoding="utf-8")
    out = {}
    for fmt in ("json", "csv", "gradescope", "text"):
        target = tmp_path / f"out.{fmt}"
        assert main(["grade", str(key.path), str(path), "--format", fmt, "--output", str(target)]) == 0
        out[fmt] = target.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""
    doc = json.loads(out["json"])
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    scope = json.loads(out["gradescope"])
    assert set(scope) == {"score", "max_score", "tests"}
    assert scope["score"] == doc["score"] and scope["max_score"] == doc["max_score"] == len(key.blanks)
    assert sum(t["score"] for t in scope["tests"]) == pytest.approx(doc["score"])
    assert all(set(t) == {"name", "score", "max_score", "output"} for t in scope["tests"])
    assert len(rows) == len(doc["blanks"]) == len(scope["tests"])
    for row, b, t in zip(rows, doc["blanks"], scope["tests"]):
        assert int(row["blank"]) == b["blank"] and row["verdict"] == b["verdict"] and t["output"].startswith(b["verdict"])
        assert (row["mistake"] or None) == b["mistake"]
        assert float(row["expected"]) == b["expected"] and float(row["points"]) == b["points"] == t["score"]
    named = [b for b in doc["blanks"] if b["mistake"] == "fprime_omitted"]
    assert {b["blank"] for b in named} == set(wrong)
    assert "fprime_omitted" in out["text"] and f"score: {doc['score']:g} of {doc['max_score']}" in out["text"]


# -- a class ----------------------------------------------------------------------------------------
def test_a_class_by_roster(tmp_path, capsys):
    folder = tmp_path / "keys"
    assert main(["export", "xor", "--variants", "3", "--seed", "2", "--output", str(folder)]) == 0
    keys = {v: json.loads((folder / f"variant-0{v}-key.json").read_text(encoding="utf-8")) for v in (1, 2, 3)}
    (tmp_path / "roster.csv").write_text("student,variant\nann,1\nbob,variant-02\ncy,3\ndee,9\n", encoding="utf-8")
    rows = ["student,blank,value"]
    for student, v, scale in (("ann", 1, 1.0), ("bob", 2, 1.0), ("cy", 3, 2.0)):
        for b in keys[v]["blanks"]:
            rows.append(f"{student},{b['blank']},{b['value'] * (scale if b['quantity'] == 's' else 1.0)!r}")
    rows.append("zed,1,0.5")  # not on the roster: a bad row
    (tmp_path / "all.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = main(["grade", str(folder), str(tmp_path / "all.csv"), "--roster", str(tmp_path / "roster.csv"), "--format", "json"])
    captured = capsys.readouterr()
    # two bad rows, an error line each: zed's answer (not on the roster) and dee's roster row (variant 9 has no key:
    # dee is not graded, and a grade book import must hear of it from the status too)
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert code == 1 and len(errors) == 2 and all("line" in e for e in errors), errors
    assert "zed" in errors[1] and "all.csv" in errors[1]
    assert "roster.csv" in errors[0] and "line 5" in errors[0] and "'dee'" in errors[0] and "variant 9" in errors[0]
    doc = json.loads(captured.out)
    by = {s["student"]: s for s in doc["students"]}
    assert by["ann"]["score"] == by["ann"]["max_score"] == len(keys[1]["blanks"])
    assert by["bob"]["variant"] == 2 and by["bob"]["score"] == by["bob"]["max_score"]
    assert by["cy"]["score"] < by["cy"]["max_score"]
    assert doc["ungraded"] == [{"student": "dee", "why": "no key of variant 9"}]
    totals = doc["summary"]["by_quantity"]
    assert sum(sum(c.values()) for c in totals.values()) == sum(len(keys[v]["blanks"]) for v in (1, 2, 3))
    assert totals["s"]["wrong"] == sum(b["quantity"] == "s" for b in keys[3]["blanks"])
    # the same class as a folder of STUDENT.csv files, graded as text
    answers = tmp_path / "answers"
    answers.mkdir()
    for line in rows[1:-1]:
        student, blank, value = line.split(",")
        with open(answers / f"{student}.csv", "a", encoding="utf-8") as f:
            f.write(f"{blank},{value}\n")
    assert main(["grade", str(folder), str(answers), "--roster", str(tmp_path / "roster.csv"), "--format", "csv"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("error: ") == 1 and "'dee'" in captured.err, captured.err  # all graded but dee
    again = list(csv.DictReader(io.StringIO(captured.out)))
    assert Counter(r["verdict"] for r in again) == Counter(
        b["verdict"] for s in doc["students"] for b in s["blanks"])
    # every student on the roster graded: status 0, as text, no error line
    (tmp_path / "roster.csv").write_text("student,variant\nann,1\nbob,variant-02\ncy,3\n", encoding="utf-8")
    assert main(["grade", str(folder), str(answers), "--roster", str(tmp_path / "roster.csv")]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "not graded" not in captured.out and "ann" in captured.out


# -- hostile answers --------------------------------------------------------------------------------
GARBAGE = ["", "abc", "1/0", "nan", "inf", "1e999", "ln(-1)", "x" * 500, "0x1p3", "1,2", "\x00", "‮1", "--1",
           "((((((((((1))))))))))", "9" * 400, "e^e^e^e^e", "[1]", "True", "None", '"0.5"']
IDS = ["0", "-3", "x", "99999", "1.5", "", " 7 ", "(3)", "1e2", "٣"]


def mutate(text, rng):
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(1, len(lines))
        op = rng.randrange(7)
        blank, _, value = lines[i].partition(",")
        if op == 0:
            lines[i] = f"{blank},{rng.choice(GARBAGE)}"
        elif op == 1:
            lines[i] = f"{rng.choice(IDS)},{value}"
        elif op == 2:
            lines.insert(i, lines[rng.randrange(1, len(lines))])  # a duplicate
        elif op == 3:
            del lines[i]
        elif op == 4:
            lines[i] += "," + rng.choice(GARBAGE)
        elif op == 5:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]  # cut short
        else:
            lines[-1] = '"' + lines[-1]  # a quote left open (it would swallow every row after it)
    return "\n".join(lines) + rng.choice(["\n", "", "\r\n"])


def test_hostile_answer_files(keys, tmp_path, capsys):
    key, replay, spec = keys["xor"]
    valid = "blank,value\n" + "".join(f"{n},{b['shown']}\n" for n, b in sorted(key.blanks.items()))
    rng = random.Random(2026)
    for trial in range(25):
        text = mutate(valid, rng)
        path = tmp_path / f"a{trial}.csv"
        path.write_text(text, encoding="utf-8")
        code = main(["grade", str(key.path), str(path), "--format", "json"])
        out = capsys.readouterr()
        assert code in (0, 1), (text, out.err)
        assert "Traceback" not in out.err
        lines = out.err.splitlines()
        assert all(line.startswith(f"error: {path}: ") for line in lines), out.err
        assert (code == 1) == bool(lines)
        doc = json.loads(out.out)
        assert [b["blank"] for b in doc["blanks"]] == sorted(key.blanks)
        untouched = {line for line in text.splitlines()} & set(valid.splitlines()[1:])
        seen = Counter(line.split(",")[0] for line in text.splitlines())
        for line in untouched:  # a row left as it was is graded as it was (unless its blank is given twice)
            n = int(line.split(",")[0])
            if seen[str(n)] == 1:
                assert doc["blanks"][n - 1]["verdict"] in ("right", "carried"), (line, doc["blanks"][n - 1])


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"[1, 2]", b'{"1": ', b"\x00" * 100])
def test_broken_json_and_binary_answers(keys, tmp_path, capsys, content):
    key = keys["xor"][0]
    path = tmp_path / "answers.json"
    path.write_bytes(content)
    code = main(["grade", str(key.path), str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert err.startswith(f"error: {path}") and err.count("\n") == 1


def test_unusable_arguments(keys, tmp_path, capsys):
    key = keys["xor"][0]
    (tmp_path / "not-a-key.json").write_text('{"network": "xor"}', encoding="utf-8")
    (tmp_path / "a.csv").write_text("1,0.1\n", encoding="utf-8")
    for argv in (["grade", str(tmp_path / "nothing.json"), str(tmp_path / "a.csv")],
                 ["grade", str(tmp_path / "not-a-key.json"), str(tmp_path / "a.csv")],
                 ["grade", str(key.path)],
                 ["grade", str(key.path), str(tmp_path / "a.csv"), "--carried-credit", "2"],
                 ["grade", str(key.path.parent), str(tmp_path / "a.csv")],
                 ["grade", str(key.path), str(tmp_path / "missing.csv")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, (argv, err)


# -- a program's trace ------------------------------------------------------------------------------
def test_a_programs_trace(keys, tmp_path, capsys):
    key, replay, spec = keys["xor"]
    assert main(["trace", key.network, "--format", "json", "--epochs", "2"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps({k: r[k] for k in ("epoch", "example", "quantity", "layer", "value")})
                              for r in reversed(rows)) + "\n", encoding="utf-8")  # matched on keys, not order
    assert main(["grade", str(key.path), "--trace", str(good), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["first"] is None and doc["compared"] == doc["steps"] == len(rows)
    # example 2's δ⁽¹⁾ without f′ (back = δ / (1 − o²)), and everything after it left as the run has it
    i = next(i for i, r in enumerate(rows) if r["quantity"] == "delta" and r["layer"] == 1 and r["example"] == 2)
    o = next(r for r in rows if r["quantity"] == "o" and r["layer"] == 1 and r["example"] == 2)["value"]
    rows[i]["value"] = [d / (1 - o[j + 1] ** 2) for j, d in enumerate(rows[i]["value"])]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["grade", str(key.path), "--trace", str(bad), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["first"]
    assert (first["step"], first["mistake"], first["index"]) == (rows[i]["step"], "fprime_omitted", [0])
    assert first["given"] == pytest.approx(rows[i]["value"][0]) and "δ₁⁽¹⁾" in first["explanation"]
    # the same as an .npz: s1, o1 (no leading 1), delta1, G1 … over the first epoch's examples, W over its updates
    ep1 = [r for r in rows if r["epoch"] == 1]
    arrays = {}
    for q, name in (("s", "s"), ("o", "o"), ("delta", "delta"), ("G", "G"), ("W", "W")):
        for l in (1, 2):
            vals = [np.asarray(r["value"]) for r in ep1 if r["quantity"] == q and r["layer"] == l]
            if q == "o" and l == 1:
                vals = [v[1:] for v in vals]
            arrays[f"{name}{l}"] = np.stack(vals)
    np.savez(tmp_path / "bad.npz", **arrays, junk=np.zeros(2))
    assert main(["grade", str(key.path), "--trace", str(tmp_path / "bad.npz")]) == 1  # junk: one bad array
    out = capsys.readouterr()
    assert "fprime_omitted" in out.out and f"step {rows[i]['step']} " in out.out
    assert out.err.count("error: ") == 1 and "junk" in out.err



def test_a_trace_with_nothing_to_compare_is_not_said_to_agree(tmp_path, capsys):
    """A trace none of whose lines could be read compared no step: the verdict says so (exit 1, each bad
    line an error), never "agrees"; a file that is no .npz at all is named as such, with no advice to
    unpickle it."""
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n", encoding="utf-8")
    assert main(["grade", str(NETWORKS / "xor.json"), "--trace", str(garbage)]) == 1
    out = capsys.readouterr()
    assert "agrees" not in out.out and out.err.startswith(f"error: {garbage}: line 1: not JSON")
    assert out.out == "no step of the trace could be compared with the run (0 of 38 steps)\n"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")  # an empty submission passes nothing: exit 1, as a grader's script reads
    assert main(["grade", str(NETWORKS / "xor.json"), "--trace", str(empty)]) == 1
    out = capsys.readouterr()
    assert out.out == "no step of the trace could be compared with the run (0 of 38 steps)\n"
    assert out.err == f"error: {empty}: no line of it names a step of the run\n"
    npz = tmp_path / "homework.npz"
    npz.write_bytes(b"x")
    assert main(["grade", str(NETWORKS / "xor.json"), "--trace", str(npz)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {npz}: not a NumPy .npz (not a zip archive)\n"


def test_a_compressed_npz_trace_is_measured_before_it_is_unpacked(tmp_path, capsys, monkeypatch):
    """A trace's .npz may be compressed: what its arrays unpack into is held to the trace's limit before any
    is read (a few kB of zeros can unpack into gigabytes), as `bptui import` holds a data file."""
    monkeypatch.setattr("bptui.grade.MAX_TRACE_BYTES", 50_000)
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, W1=np.zeros((100, 100)))  # 80 kB of arrays in well under 1 kB
    assert path.stat().st_size < 2_000
    assert main(["grade", str(NETWORKS / "xor.json"), "--trace", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: its arrays unpack into 80,128 bytes, at most 50,000\n"

@pytest.mark.parametrize("mistake", ["recurrent_term_omitted", "fprime_omitted"])
def test_a_recurrent_programs_trace(tmp_path, capsys, mistake):
    """parity (many-to-one): δ⁽¹⁾_τ below T gets nothing from layer 2, only Uᵀδ⁽¹⁾_τ₊₁; a program that
    leaves that out writes 0 there, one that leaves f′ out writes Uᵀδ⁽¹⁾_τ₊₁ itself. Against the
    network file (no exercise needed)."""
    assert main(["trace", "parity", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    spec = load_any(NETWORKS / "parity.json")
    W = np.asarray(spec.weights[0])
    U = W[:, 1 + spec.widths[0]:]  # [W | U]: bias, the inputs, then U
    i = next(i for i, r in enumerate(rows) if r["quantity"] == "delta" and r["layer"] == 1 and r["time"] == 1)
    after = next(r for r in rows if r["quantity"] == "delta" and r["layer"] == 1 and r["time"] == 2
                 and r["example"] == rows[i]["example"])["value"]
    back = U.T @ np.asarray(after)
    assert np.allclose(rows[i]["value"], back * (1 - np.tanh(rows[0]["value"]) ** 2))  # f′ = 1 − o² at τ = 1
    rows[i]["value"] = [0.0] * len(back) if mistake == "recurrent_term_omitted" else back.tolist()
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["grade", "parity", "--trace", str(path), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["first"]
    assert (first["step"], first["time"], first["mistake"]) == (rows[i]["step"], 1, mistake)
    assert first["explanation"].startswith("δ⁽¹⁾₁,₁ = ") and "at τ = 1" in first["explanation"]


@pytest.mark.parametrize("name", ["iris", "two_channel"])
def test_the_replay_carries_as_the_formulas_do(keys, name):
    """Where a key has no formula (too long to write) a carried blank is judged by the replay's number
    on the student's board: for every blank that has one, the two agree."""
    from bptui.grade import _board_value

    key, replay, spec = keys[name]
    answers, _ = student(key, Board(key, spec), "fprime_omitted")
    checked = 0
    for visit in replay.walk(answers):
        for ref, n in visit.new.items():
            b = key.blanks[n]
            if b["formula"] is not None and all(d in answers for d in b["depends_on"]):
                want = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
                assert _board_value(visit, ref) == pytest.approx(want, rel=1e-9, abs=1e-12), (n, b["name"])
                checked += 1
    assert checked > 0.9 * len(key.blanks)


def test_a_key_whose_network_file_changed(keys, tmp_path, capsys):
    """The replay checks the key's values against its network file: a file changed since the export
    is one error line (status 2), not grades against other numbers."""
    import shutil

    key = keys["xor"][0]
    folder = tmp_path / "class"
    shutil.copytree(key.path.parent, folder)
    network = folder / "variant-01.json"  # the variant the key names
    doc = json.loads(network.read_text(encoding="utf-8"))
    doc["weights"][0][0][0] += 0.25
    network.write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "a.csv").write_text("1,0.5\n", encoding="utf-8")  # wrong: the replay runs
    assert main(["grade", str(folder / key.path.name), str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not match its network file" in err and "blank 1" in err


def test_a_convolutions_trace(tmp_path, capsys):
    """two_channel: bptui trace writes a kernel's G as {"kernel", "bias"}; a program that sets G⁽¹⁾ to
    example 2's term (G after minus G before, worked out here) is named g_not_accumulated, and an
    entry moved by hand is named as the lecture names it."""
    assert main(["trace", "two_channel", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    G = [r for r in rows if r["quantity"] == "G" and r["layer"] == 1]
    first, second = G[0]["value"], G[1]["value"]
    for part in ("kernel", "bias"):
        second[part] = (np.asarray(second[part]) - np.asarray(first[part])).tolist()
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["grade", "two_channel", "--trace", str(path), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["first"]
    assert (found["step"], found["mistake"], found["example"]) == (G[1]["step"], "g_not_accumulated", G[1]["example"])
    second["kernel"] = (np.asarray(second["kernel"]) + np.asarray(first["kernel"])).tolist()
    second["bias"] = (np.asarray(second["bias"]) + np.asarray(first["bias"])).tolist()
    second["kernel"][0][1][1][0] += 0.5  # k = 1, c = 2, u = 2, v = 1
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["grade", "two_channel", "--trace", str(path), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["first"]
    assert found["name"] == "G₁,₂,₂,₁⁽¹⁾" and found["mistake"] is None
    assert found["given"] == pytest.approx(found["expected"] + 0.5)


JSON_GARBAGE = [None, True, [], {}, [0.5], {"v": 1}, "abc", "1/0", "", 10 ** 400, -1e308 * 10, "ln(2)", "  ", "\u202e1"]


def test_hostile_json_answers(keys, tmp_path, capsys):
    """A JSON answers object mutated by a seeded generator: unknown keys, values of every JSON type.
    Each bad entry is one error line naming the file and the blank; every untouched answer is right."""
    key = keys["xor"][0]
    rng = random.Random(7)
    for trial in range(12):
        doc = {str(n): b["shown"] for n, b in sorted(key.blanks.items())}
        touched = set()
        for _ in range(rng.randint(1, 5)):
            n = rng.choice(sorted(doc))
            if rng.random() < 0.3:
                bad = rng.choice(["0", "-1", "x", "9999", "b", "1.0"])
                doc[bad] = doc.pop(n)
                touched.add(bad)
            else:
                doc[n] = rng.choice(JSON_GARBAGE)
            touched.add(n)
        path = tmp_path / f"a{trial}.json"
        path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
        code = main(["grade", str(key.path), str(path), "--format", "json"])
        out = capsys.readouterr()
        assert code in (0, 1) and "Traceback" not in out.err
        assert all(line.startswith(f"error: {path}: blank ") for line in out.err.splitlines()), out.err
        grades = {b["blank"]: b for b in json.loads(out.out)["blanks"]}
        for n in set(doc) - touched:
            assert grades[int(n)]["verdict"] == "right"
        assert (code == 1) == bool(out.err)


def test_a_recurrent_exercise_key(tmp_path, capsys):
    """A key of parity's exercise (example 9, T = 3): a δ⁽¹⁾ at τ = 2 written as 0 (nothing from τ + 1,
    the many-to-one layer sends nothing down before T) is ``recurrent_term_omitted``, and the blanks
    that read it are carried: δ⁽¹⁾ at τ = 1 (through Uᵀ δ⁽¹⁾_2) and G⁽¹⁾, from the student's own number."""
    key_path = tmp_path / "key.md"
    assert main(["export", "parity", "--exercise", "--example", "9", "--answers", str(key_path),
                 "--output", str(tmp_path / "ex.md")]) == 0
    key = load_key(tmp_path / "key.json")
    blanks = key.blanks
    delta2 = next(n for n, b in sorted(blanks.items()) if b["quantity"] == "delta" and b["layer"] == 1 and b["time"] == 2)
    answers = {n: b["value"] for n, b in blanks.items()}
    answers[delta2] = 0.0
    for n, b in sorted(blanks.items()):  # every later blank as the student works it out from the 0
        if delta2 in b["depends_on"]:
            answers[n] = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
    got = {g.blank: g for g in grade(key, answers).blanks}
    assert got[delta2].verdict == "wrong" and got[delta2].mistake.id == "recurrent_term_omitted"
    readers = [n for n, b in blanks.items() if delta2 in b["depends_on"]]
    assert {blanks[n]["quantity"] for n in readers} >= {"delta", "G"}
    assert all(got[n].verdict in ("carried", "right") for n in readers)
    assert any(got[n].verdict == "carried" and blanks[n]["time"] == 1 for n in readers)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_gated_exercise_key(tmp_path, kind):
    """A key of a small gated network's exercise (tests/test_gated_reference.py's, stacked under an rnn
    layer): a student's wrong c⁽¹⁾ (an LSTM's cell) or h⁽¹⁾ (a GRU's output) at τ = 2 is wrong, and every
    blank that reads it, worked out from the student's number by the key's formulas, is carried (the
    gates, ∂ℓ/∂h, ∂ℓ/∂c and δ along τ, G); the replay, with the student's numbers on its board (the
    gated layer's own quantities too), gives what the formulas give."""

    from .test_gated_reference import random_doc

    doc = random_doc(2, "under_rnn", n=2, kind=kind, rows=4 if kind == "lstm" else 3)
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["export", str(path), "--exercise", "--example", "2", "--answers", str(tmp_path / "key.md"),
                 "--output", str(tmp_path / "ex.md")]) == 0
    key = load_key(tmp_path / "key.json")
    blanks = key.blanks
    want = ("c", 1) if kind == "lstm" else ("o", 1)
    wrong = next(n for n, b in sorted(blanks.items()) if (b["quantity"], b["layer"]) == want and b["time"] == 2)
    answers = {n: b["value"] for n, b in blanks.items()}
    answers[wrong] += 0.25
    moved = {wrong}
    for n, b in sorted(blanks.items()):  # every later blank as the student works it out, from the wrong one on
        if moved & set(b["depends_on"]):
            answers[n] = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
            moved.add(n)
    got = {g.blank: g for g in grade(key, answers).blanks}
    assert got[wrong].verdict == "wrong"
    direct = {blanks[n]["quantity"] for n, b in blanks.items() if wrong in b["depends_on"]}
    # c_τ is read by h_τ, c_{τ+1}, ∂ℓ/∂c_τ and δ (f's and ō's); a GRU's h_τ by s, h and δ_z at τ + 1, G, the rnn
    # above (and its gates at τ + 1 through the entries of s⁽¹⁾ the page elides, which are no blanks)
    assert direct >= ({"o", "c", "dc", "delta"} if kind == "lstm" else {"s", "o", "delta", "G"})
    later = {blanks[n]["quantity"] for n in moved - {wrong}}
    assert {"gates", "dh", "delta", "G", "W"} <= later and (kind == "gru" or {"c", "dc"} <= later)
    assert all(got[n].verdict in ("carried", "right") for n in moved - {wrong})
    assert sum(got[n].verdict == "carried" for n in moved) > 0.5 * len(moved)
    assert all(got[n].verdict == "right" for n in blanks if n not in moved)
    assert replayed_as_written(key, answers) == len(blanks)


def replayed_as_written(key, answers) -> int:
    """How many blanks the replay, with the student's ``answers`` on its board, gives as the key's
    formulas give them from those answers (each one asserted); a blank without a formula is not counted."""
    from bptui.grade import _board_value

    checked = 0
    for visit in Replay(key).walk(answers):
        for ref, n in visit.new.items():
            b = key.blanks[n]
            if b["formula"] is not None and all(d in answers for d in b["depends_on"]):
                value = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
                assert _board_value(visit, ref) == pytest.approx(value, rel=1e-9, abs=1e-12), (n, b["name"])
                checked += 1
    return checked


# -- --notation: the key's profile names the report ----------------------------------------------------------
def _run_cli(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_grade_takes_notation_as_the_keys_profile_and_refuses_another(tmp_path):
    """`bptui grade --notation NAME|FILE` (issue 23's option on every command): the report names each blank as
    the student's page did, in the key's own profile (``options.notation``), so --notation naming that profile
    (by name in any case, or a course's file) grades exactly as without it; another profile, whose names would
    stand next to numbers the page asked otherwise (G/m beside a sum's G), is one error line naming the key, its
    profile and --notation (exit 2); a bad name names --notation; --trace compares lecture13's values (as
    `trace --format json` writes them in every profile) and takes lecture13 only. A class's keys likewise."""
    from bptui.core.formulas.profiles import PROFILES, profile_json

    course = dict(profile_json(PROFILES["nielsen"]), name="course")
    (tmp_path / "course.json").write_text(json.dumps(course), encoding="utf-8")
    for notation, same in (("nielsen", ("nielsen", "Nielsen")), (str(tmp_path / "course.json"), (str(tmp_path / "course.json"),))):
        page = tmp_path / notation.replace("/", "_")
        page.mkdir()
        assert main(["export", "xor", "--exercise", "--notation", notation, "--answers", str(page / "key.md"),
                     "--output", str(page / "page.md"), "--blank", "delta,G"]) == 0
        key = load_key(page / "key.json")
        answers = _answers_file(page, key, {n: 0.5 for n in key.blanks})
        code, plain, err = _run_cli("grade", str(page / "key.json"), str(answers), "--no-color")
        assert code == 0 and err == "" and "∂C/∂" in plain  # nielsen's names (the course's are his)
        for name in same:
            assert _run_cli("grade", str(page / "key.json"), str(answers), "--no-color", "--notation", name) == (0, plain, "")
        for other in ("lecture13", "ng", "cs231n"):
            code, out, err = _run_cli("grade", str(page / "key.json"), str(answers), "--notation", other)
            assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith("error: ") and "key.json" in err, err
            assert "--notation" in err and other in err and ("nielsen" if notation == "nielsen" else "course") in err
    code, out, err = _run_cli("grade", str(page / "key.json"), str(answers), "--notation", "feynman")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "--notation" in err and "feynman" in err
    # --trace: lecture13's values and names
    trace = tmp_path / "trace.jsonl"
    assert _run_cli("trace", "xor", "--format", "json")[0] == 0
    trace.write_text(_run_cli("trace", "xor", "--format", "json")[1], encoding="utf-8")
    code, agreed, err = _run_cli("grade", "xor", "--trace", str(trace))
    assert code == 0 and "agrees" in agreed
    assert _run_cli("grade", "xor", "--trace", str(trace), "--notation", "lecture13") == (0, agreed, "")
    code, out, err = _run_cli("grade", "xor", "--trace", str(trace), "--notation", "nielsen")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "--notation" in err and "lecture13" in err
    # a class: every variant's key is in the profile named
    classdir = tmp_path / "class"
    assert main(["export", "xor", "--exercise", "--notation", "ng", "--variants", "2", "--output", str(classdir),
                 "--blank", "G"]) == 0
    (tmp_path / "roster.csv").write_text("student,variant\nann,1\nbob,2\n", encoding="utf-8")
    (tmp_path / "class.csv").write_text("student,blank,value\nann,1,0.5\nbob,1,0.25\n", encoding="utf-8")
    args = ["grade", str(classdir), str(tmp_path / "class.csv"), "--roster", str(tmp_path / "roster.csv")]
    code, plain, err = _run_cli(*args)
    assert code == 0, err
    assert _run_cli(*args, "--notation", "ng") == (0, plain, "")
    code, out, err = _run_cli(*args, "--notation", "nielsen")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "ng" in err and "nielsen" in err


@pytest.mark.parametrize("command", ["examples", "import"])
def test_the_commands_that_write_no_equation_say_so(command, capsys):
    """examples and import write no equation: their help says so, and --notation is refused as an unknown option."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "no equation" in capsys.readouterr().out

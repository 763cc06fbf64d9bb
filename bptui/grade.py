"""``bptui grade``: a student's answers to an exercise against its key, errors carried forward, the
mistake behind a wrong number named; a class at once; a student program's trace against the run.

A key (``KEY.json``, :mod:`bptui.keyjson`) names its network file and the export's options, so the
grader replays the exercise as the export made it (:class:`Replay`: the same steps, numbered by the
same :class:`~bptui.exercise.Blanker`) with the student's own answers on the board in place of the
right ones. Each blank is

- ``right``: within the key's tolerance of the key's value;
- ``carried``: every blank it depends on was answered, and it is within tolerance of its formula
  evaluated with those answers (the replay's number where the key has no formula);
- ``wrong``: neither; the mistake library (:mod:`bptui.mistakes`) is asked, on the student's board,
  which known mistake gives the number;
- ``missing``: no answer.

A right blank is worth 1 point, a carried one ``carried_credit`` (default 1).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from .core.util.errors import SpecError
from .core.formulas.formula import Ref
from .mistakes import BY_ID, At, Mistake, close, naming
from .exercise import BOARD_QUANTITIES

MAX_ANSWERS_BYTES = 16 * 1024 * 1024  # an answers file; a class's one CSV of every student's answers
MAX_KEY_BYTES = 512 * 1024 * 1024  # a key: long formulas (up to 100,000 characters each) for many blanks
MAX_TRACE_BYTES = 256 * 1024 * 1024
VERDICTS = ("right", "carried", "wrong", "missing")
TRACE_RTOL, TRACE_ATOL = 1e-6, 1e-9  # a program's floats, not a hand calculation's four digits


class GradeError(SpecError):
    """An answers, roster or trace file's problem at one place: one ``error:`` line, the rest graded."""


# -- the key ----------------------------------------------------------------------------------------
@dataclass
class Key:
    """A key a machine reads, its blanks by number, and the network file it names."""

    path: Path
    doc: dict
    blanks: dict[int, dict]
    network: str

    @property
    def options(self) -> dict:
        return self.doc["options"]

    @property
    def variant(self) -> int | None:
        return self.options.get("variant")


def load_key(path: str | Path, rtol: float | None = None, atol: float | None = None) -> Key:
    """Read and check a key (its JSON Schema, core/schemas/key-schema.json), and find its network file:
    beside the key, as written (from here), or a bundled example's name. ``rtol``/``atol`` replace
    every blank's tolerance."""
    from .core.util import validate
    from .core.util.files import read_text

    source = str(path)
    doc = validate.loads(read_text(path, MAX_KEY_BYTES, "key"), source)
    why = _not_a_key(doc)
    if why is not None:
        raise SpecError(f"not a bptui key (bptui export --answers writes one beside the key): {why[1]}",
                        source=source, place=why[0])
    blanks: dict[int, dict] = {}
    for b in doc["blanks"]:
        if b["blank"] in blanks:
            raise SpecError(f"blank {b['blank']} is there twice", source=source)
        if rtol is not None:
            b["rtol"] = rtol
        if atol is not None:
            b["atol"] = atol
        blanks[b["blank"]] = b
    return Key(Path(path), doc, blanks, _network_path(Path(path), doc["network"]))


def _whole(x: Any, least: int = 1, null: bool = False) -> bool:
    return (null and x is None) or (isinstance(x, int) and not isinstance(x, bool) and x >= least)


def _real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


# what the grader reads of a key, checked as core/schemas/key-schema.json has it (the schema's checker,
# jsonschema, is a test dependency only): (place, why) of the first problem, or None
_BLANK_FIELDS: dict[str, Any] = {
    "blank": _whole, "quantity": lambda x: x in BOARD_QUANTITIES,
    "value": lambda x: (isinstance(x, (int, float)) and not isinstance(x, bool)) or x in ("inf", "-inf", "nan"),
    "atol": _real, "rtol": _real, "name": lambda x: isinstance(x, str), "explanation": lambda x: isinstance(x, str),
    "formula": lambda x: x is None or isinstance(x, str),
    "depends_on": lambda x: isinstance(x, list) and all(_whole(d) for d in x),
}
_OPTIONAL_BLANK_FIELDS: dict[str, Any] = {"divided_by": lambda x: _whole(x, least=2)}
_OPTION_FIELDS: dict[str, Any] = {
    "blank": lambda x: isinstance(x, list) and bool(x) and all(isinstance(q, str) for q in x),
    "blank_every": _whole, "epochs": lambda x: _whole(x, null=True), "example": lambda x: _whole(x, null=True),
    "steps": lambda x: x is None or (isinstance(x, str) and re.fullmatch(r"[0-9]+:[0-9]+", x) is not None),
    "variant": lambda x: _whole(x, null=True),
}


def _not_a_key(doc: Any) -> tuple[str, str] | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("network"), str) or not isinstance(doc.get("options"), dict) \
            or not isinstance(doc.get("blanks"), list):
        return "top level", "an object with network, options and blanks"
    for name, ok in _OPTION_FIELDS.items():
        if name not in doc["options"] or not ok(doc["options"][name]):
            return f"options.{name}", "missing or not as the schema has it"
    for i, b in enumerate(doc["blanks"]):
        if not isinstance(b, dict):
            return f"blanks[{i}]", "not an object"
        for name, ok in _BLANK_FIELDS.items():
            if name not in b or not ok(b[name]):
                return f"blanks[{i}].{name}", "missing or not as the schema has it"
        for name, ok in _OPTIONAL_BLANK_FIELDS.items():
            if name in b and not ok(b[name]):
                return f"blanks[{i}].{name}", "not as the schema has it"
    return None


def _network_path(key: Path, network: str) -> str:
    from .core.util.files import exists
    from .examples import resolve

    beside = key.parent / network
    if network and exists(beside):
        return str(beside)
    found = resolve(network)
    if exists(found):
        return found
    raise SpecError(f"its network file {network!r} is neither beside it nor a bundled example", source=str(key))


def _value(b: dict) -> float:
    return float(b["value"])  # "inf", "-inf", "nan" are written as strings


# -- the replay -------------------------------------------------------------------------------------
@dataclass
class Visit:
    """One step of the exercise as the replay does it: the stepper (the board after the step), the
    step, its new blanks by ref, and the step as the mistakes read it (None for a graph)."""

    stepper: Any
    step: Any
    new: dict[Ref, int]
    at: At | None


class Replay:
    """The key's exercise, step by step, as ``bptui export`` made it; with a student's answers, each
    blank's number replaced on the board by the student's answer once its step is done."""

    def __init__(self, key: Key) -> None:
        from .core.formats.spec import load_any
        from .exercise import example_part, parse_quantities, steps_part

        self.key = key
        try:
            self.spec = load_any(key.network)
        except SpecError as err:
            raise SpecError(f"its network file: {err}", source=str(key.path)) from None
        o = key.options
        # the profile the page was written in: it shows (so blanks) other entries than the lecture's
        # where it elides a long vector (a hidden layer's units without the 1 on top)
        from .core.formulas.profiles import notation_for, resolve

        named = o.get("notation")
        try:
            if named is None:  # a variant's file carries its profile
                self.notation = notation_for(None, self.spec.raw.get("notation"), self.spec.source)
            elif isinstance(named, str):
                self.notation = resolve(named)
            else:
                raise SpecError("not a notation profile's name or file")
        except SpecError as err:
            if named is None:
                raise SpecError(f"its network file: {err}", source=str(key.path)) from None
            raise SpecError(err.message if not err.source else str(err), source=str(key.path),
                            place="options.notation") from None
        self.quantities = parse_quantities(",".join(o["blank"]))
        self.every = int(o["blank_every"])
        self.part = None
        if o["example"] is not None:
            self.part = example_part(self.spec, o["example"], o["epochs"] or 1)
        elif o["steps"] is not None:
            self.part = steps_part(self.spec, o["steps"])
        self.epochs = self.part.epochs if self.part is not None else (o["epochs"] or 1)
        self.refs: dict[int, Ref] = {}
        self._check()

    def _check(self) -> None:
        """The replay makes the key's blanks, with the key's values: else the network file changed."""
        where = str(self.key.path)
        for visit in self.walk({}):
            for ref, label in visit.new.items():
                b = self.key.blanks.get(label)
                now = _board_value(visit, ref)
                if b is None or b["quantity"] != ref.quantity or not _same(now, _value(b)):
                    said = "no such blank" if b is None else f"{b['name']} = {b['value']}"
                    raise SpecError(f"does not match its network file {self.key.network}: blank {label} is "
                                    f"{now:.6g} there ({said} in the key); was the file changed after the export?",
                                    source=where)
                self.refs[label] = ref
        missing = sorted(set(self.key.blanks) - set(self.refs))
        if missing:
            raise SpecError(f"does not match its network file {self.key.network}: blanks {missing[:5]} are not "
                            "in its exercise", source=where)

    def walk(self, answers: Mapping[int, float]) -> Iterator[Visit]:
        """Each step of the exercise (yielded before the step's answers go on the board)."""
        from .exercise import Blanker

        blanker = Blanker(self.spec, self.quantities, self.every, notation=self.notation)
        if self.spec.kind == "graph":
            yield from self._walk_graph(blanker, answers)
            return
        from .core.engine.stepper import Stepper

        stepper = Stepper(self.spec)
        per_epoch = len(stepper.schedule)
        first, last = (1, self.epochs * per_epoch) if self.part is None else (self.part.first, self.part.last)
        in_group = in_epoch = 0
        now_G: dict[int, np.ndarray] = {}
        last_G: dict[int, np.ndarray] = {}
        for i in range(1, last + 1):
            key = stepper.next_key
            if key.example_start:
                in_epoch = 1 if key.epoch_start else in_epoch + 1
                in_group = 1 if key.group_start else in_group + 1
                if key.group_start:
                    last_G = dict(now_G)
            step = stepper.forward()
            if i < first:
                continue
            new, _ = blanker.label(stepper, step)
            yield Visit(stepper, step, new, At(stepper, step, in_group, in_epoch, last_G))
            for ref, label in new.items():
                if label in answers:
                    _put(stepper.state, ref, answers[label])
            if key.quantity == "G" and key.layer is not None:
                now_G[key.layer] = np.array(stepper.state.G[key.layer], dtype=float)

    def _walk_graph(self, blanker: Any, answers: Mapping[int, float]) -> Iterator[Visit]:
        from .core.graphs.graph_stepper import GraphStepper

        stepper = GraphStepper(self.spec)
        first, last = (1, len(stepper.schedule)) if self.part is None else (self.part.first, self.part.last)
        stepper.goto(first - 1)
        while (key := stepper.next_key) is not None and key.step <= last:
            step = stepper.forward()
            new, _ = blanker.label(stepper, step)
            yield Visit(stepper, step, new, None)
            for ref, label in new.items():
                if label in answers:
                    _put(stepper.state, ref, answers[label])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-300


def _board_value(visit: Visit, ref: Ref) -> float:
    """The number blank ``ref`` has on the replay's board right after its step."""
    st = visit.stepper.state
    if ref.node is not None:
        return float((st.values if ref.quantity == "value" else st.adjoints)[ref.node])
    if ref.quantity == "loss":
        return float(st.loss)
    if ref.quantity == "loss_D":
        return float(st.loss_D)
    assert ref.layer is not None and ref.index is not None
    return float(_arrays(st, ref.quantity)[ref.layer][ref.index])


class _Own:
    """A gated layer's own board matrices (``State.extra``: gates, c, ∂ℓ/∂h, ∂ℓ/∂c) by layer, as the board's
    lists hold s, o, δ."""

    def __init__(self, st: Any, quantity: str) -> None:
        self.st, self.quantity = st, quantity

    def __getitem__(self, l: int) -> Any:
        return self.st.extra[self.quantity, l]

    def __setitem__(self, l: int, value: Any) -> None:
        self.st.extra[self.quantity, l] = value


def _arrays(st: Any, quantity: str) -> Any:
    board = {"s": st.s, "o": st.o, "delta": st.delta, "G": st.G, "W": st.W}
    return board[quantity] if quantity in board else _Own(st, quantity)


def _put(st: Any, ref: Ref, value: float) -> None:
    """The student's ``value`` in place of blank ``ref``'s number on the board."""
    if ref.node is not None:
        (st.values if ref.quantity == "value" else st.adjoints)[ref.node] = np.float64(value)
    elif ref.quantity == "loss":
        st.loss_D += value - st.loss  # ℓ_D ← ℓ_D + ℓ⁽ⁿ⁾ with the student's ℓ⁽ⁿ⁾
        st.loss = value
        st.loss_D_ln = None  # the student's numbers are floats
    elif ref.quantity == "loss_D":
        st.loss_D, st.loss_D_ln = value, None
    else:
        assert ref.layer is not None and ref.index is not None
        arrays = _arrays(st, ref.quantity)
        a = np.asarray(arrays[ref.layer], dtype=float).copy()
        a[ref.index] = value
        a.flags.writeable = False
        arrays[ref.layer] = a


# -- grading ----------------------------------------------------------------------------------------
@dataclass
class BlankGrade:
    blank: int
    name: str
    quantity: str
    verdict: str
    expected: float
    given: float | None
    points: float
    carried: float | None = None  # the value given the student's earlier answers (when not right)
    mistake: Mistake | None = None
    explanation: str = ""
    # the mistake's (description, formula) as the page's profile words them (Mistake.words)
    mistake_words: tuple[str, str] | None = None

    def json(self) -> dict:
        return {"blank": self.blank, "name": self.name, "quantity": self.quantity, "verdict": self.verdict,
                "mistake": None if self.mistake is None else self.mistake.id, "expected": _number(self.expected),
                "given": _number(self.given), "carried": _number(self.carried), "points": self.points}


@dataclass
class Grade:
    """One student's answers graded against one key."""

    key: Key
    blanks: list[BlankGrade]
    student: str | None = None

    @property
    def score(self) -> float:
        return round(sum(b.points for b in self.blanks), 9)

    @property
    def max_score(self) -> int:
        return len(self.blanks)

    def count(self, verdict: str) -> int:
        return sum(b.verdict == verdict for b in self.blanks)


def grade(key: Key, answers: Mapping[int, float], carried_credit: float = 1.0, replay: Replay | None = None) -> Grade:
    """Grade ``answers`` (blank → number) against ``key`` (see the module's docstring). A blank with
    ``divided_by`` (a mean profile's G/m) was asked as value/divided_by: the answer times it is what the
    key's value, tolerances and formulas speak of; the grade reports the numbers as the page asked them."""
    per = {n: int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    board = {n: x * per.get(n, 1) for n, x in answers.items()}  # the answers as the key's values (the lecture's)
    out: dict[int, BlankGrade] = {}
    pending = []
    for n, b in sorted(key.blanks.items()):
        value, given = _value(b), board.get(n)
        g = BlankGrade(n, b["name"], b["quantity"], "missing", value, given, 0.0, explanation=b["explanation"])
        if given is not None and close(given, value, b["atol"], b["rtol"]):
            g.verdict, g.points = "right", 1.0
        elif given is not None:
            pending.append(n)
        out[n] = g
    if pending:
        _judge(key, board, out, set(pending), carried_credit, replay or Replay(key))
    for n, g in out.items():  # as the page asked them
        if per[n] != 1:
            g.expected, g.given = g.expected / per[n], answers.get(n)
            g.carried = None if g.carried is None else g.carried / per[n]
    return Grade(key, [out[n] for n in sorted(out)])


def _judge(key: Key, answers: Mapping[int, float], out: dict[int, BlankGrade], pending: set[int],
           credit: float, replay: Replay) -> None:
    """The answers that are not right: carried or wrong, on the replay with the student's board."""
    from .keyjson import evaluate_formula, row_ref

    for visit in replay.walk(answers):
        for ref, label in visit.new.items():
            if label not in pending:
                continue
            b, g = key.blanks[label], out[label]
            given = answers[label]
            deps = b["depends_on"]
            answered = all(d in answers for d in deps)
            if b["formula"] is not None:
                try:
                    carried = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in deps}) if answered else None
                except SpecError:  # a formula the parser refuses (a key edited by hand): the replay says
                    carried = _board_value(visit, ref)
            else:
                carried = _board_value(visit, ref) if answered else None
            g.carried = carried
            if carried is not None and deps and close(given, carried, b["atol"], b["rtol"]):
                g.verdict, g.points = "carried", credit
                continue
            g.verdict = "wrong"
            if visit.at is not None:  # the entry of the step's value (at τ: of its row)
                row = row_ref(visit.stepper.spec, visit.step.key).index or ()
                index = None if ref.index is None else tuple(ref.index)[len(row):]
                # a mistake counts where its number differs from the step's own on the student's board
                at = visit.at if "divided_by" not in b else replace(visit.at, divided_by=int(b["divided_by"]))
                g.mistake = naming(at, ref.quantity, index, given, _board_value(visit, ref), b["atol"], b["rtol"])
                if g.mistake is not None:
                    g.mistake_words = g.mistake.words(replay.notation, replay.spec.optimizer)


def _number(x: float | None) -> float | str | None:
    if x is None:
        return None
    return float(x) if math.isfinite(x) else str(x)


# -- reading answers --------------------------------------------------------------------------------
@dataclass
class Problems:
    """The bad rows and files met while reading: each one ``error:`` line."""

    lines: list[str] = field(default_factory=list)

    def add(self, source: str, place: str, message: str) -> None:
        self.lines.append(str(GradeError(message, source=source, place=place)))


def _number_of(text: str) -> float:
    from .core.teaching.quiz import parse_answer

    return parse_answer(text)


_INT = re.compile(r"\s*(?:\(\s*|b)?(\d{1,9})\s*\)?\s*")  # 3, (3) or b3


def _blank_id(text: str) -> int | None:
    m = _INT.fullmatch(text)
    return int(m.group(1)) if m else None


def _read(path: str | Path, what: str) -> str:
    from .core.util.files import read_text

    return read_text(path, MAX_ANSWERS_BYTES, what)


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty row; a row the csv module cannot read is one error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield reader.line_num, [f"\0{err}"]
            continue
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _table(source: str, text: str, columns: tuple[str, ...], problems: Problems) -> Iterator[tuple[str, list[str]]]:
    """(place, fields) of each row of a CSV with ``columns`` (a header row naming them is skipped);
    a row that cannot be read or has another number of fields is one problem."""
    for line, row in _csv_rows(text):
        place = f"line {line}"
        if row[0].startswith("\0"):
            problems.add(source, place, row[0][1:])
        elif line == 1 and row[0].strip().lower() == columns[0]:
            continue
        elif len(row) != len(columns):
            problems.add(source, place, f"{len(row)} field{'s' * (len(row) != 1)}, expected {len(columns)}: "
                         + ",".join(columns))
        else:
            yield place, row


class Answers:
    """One student's answers: blank → number, with the bad rows reported to ``problems``."""

    def __init__(self, source: str, blanks: Iterable[int], problems: Problems) -> None:
        self.source, self.known, self.problems = source, set(blanks), problems
        self.values: dict[int, float] = {}
        self.where: dict[int, str] = {}

    def add(self, place: str, blank_text: str, value_text: Any) -> None:
        bad = lambda why: self.problems.add(self.source, place, why)  # noqa: E731
        n = _blank_id(blank_text)
        if n is None:
            return bad(f"{_shown(blank_text)} is not a blank's number")
        if n not in self.known:
            return bad(f"there is no blank {n} in the key (blanks {min(self.known)} … {max(self.known)})"
                       if self.known else f"there is no blank {n}: the key has none")
        if n in self.values or n in self.where:
            return bad(f"blank {n} is answered twice (first at {self.where[n]}); the first answer counts")
        self.where[n] = place
        if isinstance(value_text, bool) or not isinstance(value_text, (str, int, float)):
            return bad(f"blank {n}: {_shown(json.dumps(value_text))} is not a number")
        if isinstance(value_text, str) and not value_text.strip():
            return None  # left empty: missing, no error
        try:
            value = float(value_text) if not isinstance(value_text, str) else _number_of(value_text)
        except (ValueError, OverflowError) as err:
            return bad(f"blank {n}: {err}")
        if not math.isfinite(value):
            return bad(f"blank {n}: {value_text!r} is not a finite number")
        self.values[n] = value


def _shown(text: str, limit: int = 40) -> str:
    from .streams import printable

    text = printable(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def read_answers(path: str | Path, blanks: Iterable[int], problems: Problems) -> dict[int, float]:
    """One student's answers file: CSV rows ``blank,value`` (a header row is allowed) or a JSON object
    ``{"1": value, …}`` (``.json``, or text starting with ``{``). An unreadable file is a SpecError."""
    source = str(path)
    text = _read(path, "answers file")
    answers = Answers(source, blanks, problems)
    if source.endswith(".json") or text.lstrip().startswith("{"):
        from .core.util import validate

        doc = validate.loads(text, source)
        if not isinstance(doc, dict):
            raise SpecError('not an answers object {"1": value, …}', source=source)
        for name, value in doc.items():
            answers.add(f"blank {_shown(name)}", name, value)
        return answers.values
    for place, row in _table(source, text, ("blank", "value"), problems):
        answers.add(place, row[0], row[1])
    return answers.values


def read_class_csv(path: str | Path, blanks_of: Mapping[str, Iterable[int]], problems: Problems) -> dict[str, dict[int, float]]:
    """One CSV of a class's answers, rows ``student,blank,value``; students not on the roster are bad rows."""
    source = str(path)
    text = _read(path, "answers file")
    out: dict[str, Answers] = {}
    for place, row in _table(source, text, ("student", "blank", "value"), problems):
        if (student := row[0].strip()) not in blanks_of:
            problems.add(source, place, f"student {_shown(student)} is not on the roster")
        else:
            if student not in out:
                out[student] = Answers(source, blanks_of[student], problems)
            out[student].add(place, row[1], row[2])
    return {s: a.values for s, a in out.items()}


def read_roster(path: str | Path, problems: Problems, places: dict[str, str] | None = None) -> dict[str, int]:
    """The roster CSV, rows ``student,variant`` (variant ``3``, ``03`` or ``variant-03``); ``places``, when
    given, is told each student's row (``line 5``)."""
    source = str(path)
    text = _read(path, "roster")
    out: dict[str, int] = {}
    for place, row in _table(source, text, ("student", "variant"), problems):
        student, variant = row[0].strip(), re.fullmatch(r"\s*(?:variant-?)?0*(\d{1,6})\s*", row[1])
        if not student or not _safe_name(student):
            problems.add(source, place, f"{_shown(student)} is not a student's name (letters, digits, . _ - @ +)")
        elif variant is None:
            problems.add(source, place, f"{_shown(row[1])} is not a variant's number")
        elif student in out:
            problems.add(source, place, f"student {student!r} is on the roster twice; the first row counts")
        else:
            out[student] = int(variant.group(1))
            if places is not None:
                places[student] = place
    return out


def _safe_name(name: str) -> bool:
    """A student's name that is a plain file name too (a folder's ``STUDENT.csv``)."""
    return bool(re.fullmatch(r"[\w.@+-]{1,100}", name)) and name not in (".", "..")


def read_keys(folder: Path, rtol: float | None, atol: float | None, problems: Problems) -> dict[int, Key]:
    """The keys in a folder (``variant-01-key.json``, …) by their variant."""
    out: dict[int, Key] = {}
    for path in sorted(folder.glob("*-key.json")):
        try:
            key = load_key(path, rtol, atol)
        except SpecError as err:
            problems.lines.append(str(err))
            continue
        if key.variant is None:
            problems.add(str(path), "", "not a variant's key (its options name no variant)")
        elif key.variant in out:
            problems.add(str(path), "", f"a second key of variant {key.variant}; the first ({out[key.variant].path.name}) counts")
        else:
            out[key.variant] = key
    return out


# -- a class ----------------------------------------------------------------------------------------
@dataclass
class ClassGrade:
    grades: list[Grade]
    ungraded: list[tuple[str, str]]  # (student, why)

    def by_quantity(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for g in self.grades:
            for b in g.blanks:
                out.setdefault(b.quantity, {v: 0 for v in VERDICTS})[b.verdict] += 1
        return out

    def by_mistake(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, Any]] = {}
        for g in self.grades:
            for b in g.blanks:
                if b.mistake is not None:
                    row = out.setdefault(b.mistake.id, {"blanks": 0, "students": set()})
                    row["blanks"] += 1
                    row["students"].add(g.student)
        return {m: {"blanks": r["blanks"], "students": len(r["students"])} for m, r in sorted(out.items())}


def grade_class(keys: Mapping[int, Key], roster: Mapping[str, int], answers: Mapping[str, Mapping[int, float]],
                credit: float, replays: dict[int, Replay] | None = None) -> ClassGrade:
    replays = {} if replays is None else replays
    grades, ungraded = [], []
    for student, variant in roster.items():
        if variant not in keys:
            ungraded.append((student, f"no key of variant {variant}"))
            continue
        key = keys[variant]
        if variant not in replays:
            replays[variant] = Replay(key)
        g = grade(key, answers.get(student, {}), credit, replays[variant])
        g.student = student
        grades.append(g)
    return ClassGrade(grades, ungraded)


# -- output -----------------------------------------------------------------------------------------
def _num(x: float | None) -> str:
    from .core.formulas.notation import num

    return "" if x is None else num(x, 6)


def grade_json(g: Grade) -> dict:
    out: dict[str, Any] = {}
    if g.student is not None:
        out["student"] = g.student
    out.update({"key": g.key.path.name, "variant": g.key.variant, "score": g.score, "max_score": g.max_score,
                "blanks": [b.json() for b in g.blanks]})
    return out


CSV_COLUMNS = ("student", "variant", "blank", "name", "quantity", "verdict", "mistake", "expected", "given",
               "carried", "points")


def grades_csv(grades: Iterable[Grade]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for g in grades:
        for b in g.blanks:
            w.writerow([g.student or "", "" if g.key.variant is None else g.key.variant, b.blank, b.name, b.quantity,
                        b.verdict, "" if b.mistake is None else b.mistake.id, repr(b.expected),
                        "" if b.given is None else repr(b.given), "" if b.carried is None else repr(b.carried),
                        b.points])
    return buf.getvalue()


def gradescope_json(g: Grade) -> dict:
    """Gradescope's results.json: a test per blank, its output the verdict, mistake and explanation."""
    tests = []
    for b in g.blanks:
        tests.append({"name": f"({b.blank}) {b.name}", "score": b.points, "max_score": 1,
                      "output": "\n".join(_blank_lines(b))})
    return {"score": g.score, "max_score": g.max_score, "tests": tests}


def _blank_lines(b: BlankGrade) -> list[str]:
    head = {"right": f"right: {_num(b.given)}",
            "carried": f"carried: {_num(b.given)} follows from your earlier answers (the key's value: {_num(b.expected)})",
            "wrong": f"wrong: {_num(b.given)}, not {_num(b.carried if b.carried is not None else b.expected)}",
            "missing": f"missing (the key's value: {_num(b.expected)})"}[b.verdict]
    lines = [head]
    if b.mistake is not None:
        description, formula = b.mistake_words or (b.mistake.description, b.mistake.formula)
        lines.append(f"mistake {b.mistake.id}: {description}: {formula}")
    if b.verdict in ("wrong", "missing"):
        lines.append(b.explanation)
    return lines


def grade_text(g: Grade, credit: float) -> Iterator[str]:
    who = f"{g.student} (variant {g.key.variant})" if g.student is not None else g.key.path.name
    yield f"{who}: {len(g.blanks)} blanks"
    width = max([len(b.name) for b in g.blanks] + [4])
    yield f"  {'blank':>5}  {'name':<{width}}  {'verdict':<8} {'given':>12} {'expected':>12}  mistake"
    for b in g.blanks:
        expected = b.carried if b.verdict == "carried" else b.expected
        mistake = "" if b.mistake is None else b.mistake.id
        yield (f"  {b.blank:>5}  {b.name:<{width}}  {b.verdict:<8} {_num(b.given):>12} {_num(expected):>12}"
               f"  {mistake}").rstrip()
    yield score_line(g, credit)
    wrong = [b for b in g.blanks if b.verdict == "wrong"]
    if wrong:
        yield ""
        yield "the wrong answers:"
        for b in wrong:
            lines = _blank_lines(b)
            yield f"  ({b.blank}) {b.name}: {lines[0]}"
            for line in lines[1:]:
                for part in line.splitlines():
                    yield f"    {part}"


def score_line(g: Grade, credit: float) -> str:
    pct = 100 * g.score / g.max_score if g.max_score else 100.0
    carried = f" (worth {credit:g} each)" if credit != 1 else ""
    return (f"score: {g.score:g} of {g.max_score} ({pct:.0f}%): {g.count('right')} right, {g.count('carried')} "
            f"carried{carried}, {g.count('wrong')} wrong, {g.count('missing')} missing")


def class_json(c: ClassGrade) -> dict:
    return {"students": [grade_json(g) for g in c.grades],
            "ungraded": [{"student": s, "why": why} for s, why in c.ungraded],
            "summary": {"by_quantity": c.by_quantity(), "by_mistake": c.by_mistake()}}


def class_text(c: ClassGrade, credit: float) -> Iterator[str]:
    width = max([len(g.student or "") for g in c.grades] + [7])
    yield f"{'student':<{width}}  variant  {'score':>7}  right  carried  wrong  missing"
    for g in c.grades:
        yield (f"{g.student:<{width}}  {g.key.variant!s:>7}  {g.score:>7g}  {g.count('right'):>5}  "
               f"{g.count('carried'):>7}  {g.count('wrong'):>5}  {g.count('missing'):>7}")
    for student, why in c.ungraded:
        yield f"{student:<{width}}  not graded: {why}"
    yield ""
    yield "by quantity:"
    for q, counts in c.by_quantity().items():
        yield f"  {q:<7} " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
    mistakes = c.by_mistake()
    yield "by mistake:" if mistakes else "by mistake: none named"
    worded = {b.mistake.id: b.mistake_words[0] for g in c.grades for b in g.blanks
              if b.mistake is not None and b.mistake_words is not None}  # as the (first) page's profile words it
    for m, row in mistakes.items():
        yield f"  {m:<19} {row['blanks']} blank{'s' * (row['blanks'] != 1)}, {row['students']} student{'s' * (row['students'] != 1)}: {worded.get(m, BY_ID[m].description)}"


# -- a program's trace (code homework) --------------------------------------------------------------
TraceKey = tuple[int, "int | None", str, "int | None", "int | None"]  # epoch, example, quantity, layer, time
# a student's row: where it is (a line, an array), its numbers flat, and whether a weight matrix is the
# stored array (an .npz's W and G, [bias | kernel] rows) rather than bptui trace's {"bias", "kernel"}
TraceRow = tuple[str, list[float], bool]


@dataclass
class TraceResult:
    compared: int  # steps compared
    total: int  # steps in the reference run
    first: dict | None  # the first value that differs


def _flat(value: Any) -> list[float] | None:
    """A value of a trace row as a flat list of numbers (nested lists, or a dict of them in key order)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        out: list[float] = []
        for k in sorted(value):
            part = _flat(value[k])
            if part is None:
                return None
            out += part
        return out
    if isinstance(value, list):
        out = []
        for v in value:
            part = _flat(v)
            if part is None:
                return None
            out += part
        return out
    if isinstance(value, str) and value in ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity"):
        return [float(value.replace("inity", ""))]
    return None


def read_trace_jsonl(path: str | Path, problems: Problems) -> dict[TraceKey, TraceRow]:
    from .core.util.files import read_text

    source = str(path)
    text = read_text(path, MAX_TRACE_BYTES, "trace")
    out: dict[TraceKey, TraceRow] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        place = f"line {i}"
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            problems.add(source, place, f"not JSON: {getattr(err, 'msg', 'nested too deeply')}")
            continue
        if not isinstance(row, dict) or not {"epoch", "quantity", "value"} <= set(row):
            problems.add(source, place, "not a trace row: needs epoch, example, quantity, layer, time and value")
            continue
        key = _trace_key(row)
        values = _flat(row["value"])
        if key is None or values is None:
            problems.add(source, place, "epoch, example, layer and time are whole numbers (or null), value numbers")
        elif key in out:
            problems.add(source, place, f"the same step twice (first at {out[key][0]}); the first counts")
        else:
            out[key] = (place, values, False)
    return out


def _trace_key(row: dict) -> TraceKey | None:
    def whole(x: Any) -> bool:
        return x is None or (isinstance(x, int) and not isinstance(x, bool))

    epoch, example, layer, time = row.get("epoch"), row.get("example"), row.get("layer"), row.get("time")
    if not (whole(epoch) and epoch is not None and whole(example) and whole(layer) and whole(time)) \
            or not isinstance(row.get("quantity"), str):
        return None
    return epoch, example, row["quantity"], layer, time


def read_trace_npz(path: str | Path, spec: Any, problems: Problems) -> dict[TraceKey, TraceRow]:
    """An ``.npz`` of arrays ``W1``, ``s1``, ``o1``, ``delta1``, ``G1``, … (and ``loss``): s, o, δ, G and
    ℓ⁽ⁿ⁾ stacked over the first epoch's examples in the order they are stepped (o without a hidden
    layer's leading 1, G as it stands after the example's +=), W over the epoch's updates."""
    from .core.util.files import npz_arrays, read_bytes

    source = str(path)
    data = read_bytes(path, MAX_TRACE_BYTES, "trace")
    try:
        arrays = {name: np.asarray(a, dtype=float) for name, a in npz_arrays(data, MAX_TRACE_BYTES, source).items()}
    except (ValueError, TypeError) as err:  # strings, say
        raise SpecError(f"not an .npz of numbers: {err}", source=source) from None
    sch = spec
    from .core.engine.stepper import Stepper

    schedule = Stepper(sch).schedule
    per_epoch = len(schedule)
    examples: list[int] = []
    updates: dict[int, int] = {}
    rows: dict[TraceKey, TraceRow] = {}
    seen: set[str] = set()
    for i in range(per_epoch):
        k = schedule.key(i)
        if k.example_start and k.example is not None:
            examples.append(k.example)
        if k.phase == "update" and k.layer is not None:
            updates[k.layer] = updates.get(k.layer, 0) + 1
            name, j = f"W{k.layer}", updates[k.layer] - 1
            rows.update(_npz_row(arrays, name, j, (1, None, "W", k.layer, None), seen))
            continue
        name = "loss" if k.quantity == "loss" else f"{k.quantity}{k.layer}"
        j = len(examples) - 1
        rows.update(_npz_row(arrays, name, j, (1, k.example, k.quantity, k.layer, None), seen, hidden_o=k.quantity == "o" and k.layer < sch.L and not sch.input_shape))
    for name in sorted(set(arrays) - seen):
        problems.add(source, f"array {_shown(name)}", "not an array of the run (W1, s1, o1, delta1, G1, …, loss)")
    return rows


def _npz_row(arrays: dict[str, np.ndarray], name: str, j: int, key: TraceKey, seen: set[str],
             hidden_o: bool = False) -> dict[TraceKey, TraceRow]:
    if name not in arrays:
        return {}
    seen.add(name)
    a = arrays[name]
    if a.ndim == 0 or j >= a.shape[0]:
        return {}
    row = np.asarray(a[j], dtype=float).reshape(-1)
    values = [1.0, *row.tolist()] if hidden_o else row.tolist()
    return {key: (f"array {name}[{j}]", values, True)}


def compare_trace(spec: Any, epochs: int, source: str, given: Mapping[TraceKey, TraceRow],
                  rtol: float, atol: float, digits: int = 4) -> TraceResult:
    """The run's steps in order, each matched to the student's row on (epoch, example, quantity, layer,
    time); the first value that differs, with its explanation and the mistake that reproduces it."""
    from .core.engine.equations import value_json
    from .core.engine.stepper import Stepper
    from .mistakes import candidates

    if spec.kind == "graph":
        raise SpecError("--trace compares a network's run; a computation graph has no trace to compare",
                        source=source)
    stepper = Stepper(spec)
    total = epochs * len(stepper.schedule)
    compared = 0
    in_group = in_epoch = 0
    last_G: dict[int, np.ndarray] = {}
    for _ in range(total):
        k = stepper.next_key
        if k.example_start:
            in_epoch = 1 if k.epoch_start else in_epoch + 1
            in_group = 1 if k.group_start else in_group + 1
            if k.group_start:
                last_G = {l: np.array(g, dtype=float) for l, g in enumerate(stepper.state.G) if l}
        step = stepper.forward()
        tkey: TraceKey = (k.epoch, k.example, k.quantity, k.layer, k.time)
        if tkey not in given:
            continue
        compared += 1
        place, values, stored = given[tkey]
        as_json = (spec.layer_kinds[k.layer - 1].weights_json
                   if k.quantity in ("G", "W") and spec.is_v2 and k.layer is not None and not stored else value_json)

        def flat(value: Any) -> np.ndarray:  # a step's value in the order of the student's numbers
            return np.asarray(_flat(as_json(np.asarray(value) if np.ndim(value) else float(value))) or [], dtype=float)
        ref = flat(step.value).tolist()
        if len(values) != len(ref):
            return TraceResult(compared, total, {"step": k.step, "place": place, "quantity": k.quantity,
                                                 "layer": k.layer, "why": f"{len(values)} values, the run has {len(ref)}"})
        for i, (v, r) in enumerate(zip(values, ref)):
            if close(v, r, atol, rtol) or (math.isnan(v) and math.isnan(r)):
                continue
            at = At(stepper, step, in_group, in_epoch, last_G)
            mistake = _trace_mistake(at, k.quantity, values, step.value, candidates, rtol, atol, flat)
            index = None
            if np.ndim(step.value):  # entry i of the student's order is this entry of the stored array
                shape = np.shape(step.value)
                index = np.unravel_index(int(flat(np.arange(float(np.prod(shape))).reshape(shape))[i]), shape)
            return TraceResult(compared, total, {
                "step": k.step, "place": place, "epoch": k.epoch, "example": k.example, "quantity": k.quantity,
                "layer": k.layer, "time": k.time, "index": None if index is None else [int(x) for x in index],
                "name": _entry_name(spec, k, index),
                "given": v, "expected": r, "mistake": None if mistake is None else mistake.id,
                "explanation": _trace_explanation(stepper, step, index, digits)})
    return TraceResult(compared, total, None)


def _trace_mistake(at: At, quantity: str, values: list[float], value: Any, candidates: Any, rtol: float,
                   atol: float, flat: Any) -> Mistake | None:
    """The mistake whose value of the whole step is the student's (entries where it has none aside);
    ``flat`` puts a step's value in the order of the student's numbers."""
    given = np.asarray(values, dtype=float)
    right = flat(value)
    for m, wrong in candidates(at, quantity):
        w = flat(wrong)
        if w.size != given.size:
            continue
        ok = np.isfinite(w)
        if ok.any() and np.all(np.abs(given[ok] - w[ok]) <= atol + rtol * np.abs(w[ok])) \
                and not np.all(np.abs(right[ok] - w[ok]) <= atol + rtol * np.abs(w[ok])):
            return m
    return None


def _entry_name(spec: Any, k: Any, index: Any) -> str:
    """An entry of a step's value as the lecture names it (δ₁⁽¹⁾, w₁,₀⁽²⁾, ℓ⁽³⁾)."""
    from .core.formulas.formula import TextPrinter
    from .exercise import entry_symbol
    from .keyjson import row_ref

    ref = Ref("loss") if index is None else row_ref(spec, k).at(*(int(x) for x in index))
    try:
        return TextPrinter().p(entry_symbol(spec, ref, k.example))
    except (ValueError, IndexError, AttributeError):  # pragma: no cover - a value with no name of its own
        return f"{k.quantity}{k.layer or ''}{'' if index is None else list(index)}"


def _trace_explanation(stepper: Any, step: Any, index: Any, digits: int) -> str:
    from .core.teaching.explain import explain
    from .keyjson import cell_of, row_ref

    k = step.key
    if k.quantity == "loss":
        ref = Ref("loss")
    else:  # at τ: the entry of the step's row
        ref = row_ref(stepper.spec, k).at(*(int(x) for x in index))
    cell = cell_of(stepper.spec, ref)
    if cell is None:  # pragma: no cover - every trace step has a cell
        return ""
    if getattr(k, "time", None) is not None and cell.time is None:  # G at τ: the explanation's τ
        from dataclasses import replace

        cell = replace(cell, time=k.time)
    try:
        return explain(stepper, cell, digits).text()
    except (ValueError, KeyError, IndexError):  # pragma: no cover - a cell the explanations do not cover
        return ""


def trace_text(r: TraceResult) -> Iterator[str]:
    if r.first is None and not r.compared:
        yield f"no step of the trace could be compared with the run (0 of {r.total} steps)"
        return
    if r.first is None:
        yield f"the trace agrees with the run: {r.compared} of {r.total} steps compared, every value within tolerance"
        return
    f = r.first
    if "why" in f:
        yield f"step {f['step']} ({f['quantity']}{'' if f['layer'] is None else f['layer']}) at {f['place']}: {f['why']}"
        return
    where = f"epoch {f['epoch']}" + (f", example {f['example']}" if f["example"] is not None else ", the update")
    where += f", τ = {f['time']}" if f["time"] is not None else ""
    yield (f"the first value that differs: step {f['step']} ({where}), {f['name']} at {f['place']}: "
           f"{_num(f['given'])}, the run has {_num(f['expected'])}")
    if f["mistake"] is not None:
        m = BY_ID[f["mistake"]]
        yield f"mistake {m.id}: {m.description}: {m.formula}"
    else:
        yield "no mistake of the library reproduces it"
    for line in f["explanation"].splitlines():
        yield f"  {line}"


__all__ = ["BlankGrade", "ClassGrade", "Grade", "Key", "Problems", "Replay", "TraceResult", "compare_trace",
           "grade", "grade_class", "load_key", "read_answers", "read_class_csv", "read_roster", "read_keys"]


# -- the command ------------------------------------------------------------------------------------
def grade_command(args: Any) -> int:
    """``bptui grade`` (the CLI's parsed ``args``): 0, or 1 when some row or file was bad (each
    reported on its own ``error:`` line, the rest graded); unusable arguments raise SpecError (2)."""
    from .core.util.files import check_outputs, exists

    problems = Problems()
    if args.trace is not None and args.format not in ("text", "json"):
        raise SpecError(f"bptui grade: --trace writes text or json, not {args.format}")
    if args.output is not None:  # before any work; never onto what is read
        inputs = [(what, path) for what, path in (("the key", args.key), ("the answers", args.answers),
                                                  ("the roster", args.roster), ("the trace", args.trace)) if path]
        check_outputs([(args.output, "the grades (--output)")], inputs, args.force)
    key_path = Path(args.key)
    asked = _asked_notation(args)
    if args.trace is not None:
        if asked is not None and asked.name != "lecture13":
            raise SpecError(f"--trace compares a program's trace with lecture13's values and names (bptui trace "
                            f"--format json writes them in every profile), not {asked.name}'s", place="--notation")
        if args.answers is not None or args.roster is not None:
            raise SpecError("bptui grade: --trace compares one program's trace with one run: give KEY.json (or a "
                            "network file) and no ANSWERS or --roster")
        text = _trace_command(args, problems)
    elif not exists(key_path):
        raise SpecError("no such file or folder", source=args.key)
    elif key_path.is_dir():
        text = _class_command(args, key_path, problems)
    else:
        key = load_key(key_path, args.rtol, args.atol)
        if args.roster is not None:
            raise SpecError("bptui grade: --roster grades a class: give the folder of the variants' keys, not one key")
        if args.answers is None:
            raise SpecError("bptui grade: give the student's ANSWERS file (blank,value CSV or {\"1\": value} JSON), "
                            "or --trace FILE")
        else:
            replay = None
            if asked is not None:
                replay = Replay(key)
                _same_notation(key, replay, asked)
            answers = read_answers(args.answers, key.blanks, problems)
            g = grade(key, answers, args.carried_credit, replay)
            text = _render(g, args)
    _emit(text, args)
    from .streams import note, printable

    for line in problems.lines:
        note(f"error: {printable(line)}")
    return 1 if problems.lines else 0


def _asked_notation(args: Any) -> Any:
    """The profile ``--notation`` names (None without it); a bad name or profile file is a SpecError naming
    --notation or that file."""
    from .core.formulas.profiles import notation_for

    named = getattr(args, "notation", None)
    return None if named is None else notation_for(named, None, "")


def _same_notation(key: Key, replay: Replay, asked: Any) -> None:
    """``--notation`` must be the key's own profile (``options.notation``, as its page was written): the report
    names each blank as the student's page did, its numbers as that page asked them (a mean profile's G/m), and
    the key's explanations are in it; another profile's names would stand beside numbers it does not write."""
    if asked != replay.notation:
        from .core.formulas.profiles import saved_name

        have = replay.notation.name + (f" ({saved_name(replay.notation)})" if replay.notation.source else "")
        raise SpecError(f"the exercise was written in {have}, not {asked.name} (--notation): the report names each "
                        "blank as the student's page did; export the exercise with --notation "
                        f"{saved_name(asked)} for a page in that notation", source=str(key.path),
                        place="options.notation")


def _render(g: Grade, args: Any) -> str:
    if args.format == "json":
        return json.dumps(grade_json(g), ensure_ascii=False, indent=1) + "\n"
    if args.format == "csv":
        return grades_csv([g])
    if args.format == "gradescope":
        return json.dumps(gradescope_json(g), ensure_ascii=False, indent=1) + "\n"
    return _lines(grade_text(g, args.carried_credit))


def _lines(lines: Iterable[str]) -> str:
    """Text output, each line safe for a terminal (a key's names and explanations are a file's text)."""
    from .streams import printable

    return "".join(printable(line) + "\n" for line in lines)


def _class_command(args: Any, folder: Path, problems: Problems) -> str:
    if args.roster is None:
        raise SpecError("a folder of keys grades a class: add --roster ROSTER.csv (rows student,variant)",
                        source=str(folder))
    if args.format == "gradescope":
        raise SpecError("bptui grade: --format gradescope is one submission's results.json: grade each student's "
                        "answers with their variant's key")
    if args.answers is None:
        raise SpecError("bptui grade: give the class's ANSWERS: a folder of STUDENT.csv (or .json) files, or one CSV "
                        "of rows student,blank,value")
    keys = read_keys(folder, args.rtol, args.atol, problems)
    if not keys:
        raise SpecError("no variant's key here (variant-01-key.json, …: bptui export --variants writes them)",
                        source=str(folder))
    places: dict[str, str] = {}
    roster = read_roster(args.roster, problems, places)
    for student, variant in roster.items():  # not graded (grade_class lists them): a bad row, and the status is 1
        if variant not in keys:
            problems.add(str(args.roster), places[student],
                         f"student {student!r} is not graded: no key of variant {variant} in {folder}")
    blanks_of = {s: keys[v].blanks if v in keys else {} for s, v in roster.items()}
    answers_path = Path(args.answers)
    answers: dict[str, dict[int, float]] = {}
    if answers_path.is_dir():
        for student in roster:
            files = [answers_path / f"{student}{ext}" for ext in (".csv", ".json")]
            found = [f for f in files if f.exists()]
            if not found:
                continue
            try:
                answers[student] = read_answers(found[0], blanks_of[student], problems)
            except SpecError as err:
                problems.lines.append(str(err))
    else:
        answers = read_class_csv(answers_path, blanks_of, problems)
    replays: dict[int, Replay] = {}
    for v in sorted({v for v in roster.values() if v in keys}):
        try:
            replays[v] = Replay(keys[v])
        except SpecError as err:
            problems.lines.append(str(err))
    asked = _asked_notation(args)
    if asked is not None:
        for v, replay in replays.items():
            _same_notation(keys[v], replay, asked)
    usable = {v: keys[v] for v in replays}
    c = grade_class(usable, roster, answers, args.carried_credit, replays)
    if args.format == "json":
        return json.dumps(class_json(c), ensure_ascii=False, indent=1) + "\n"
    if args.format == "csv":
        return grades_csv(c.grades)
    return _lines(class_text(c, args.carried_credit))


def _trace_command(args: Any, problems: Problems) -> str:
    """--trace against a key's run (its network file and epochs) or a network file's first epoch."""
    from .core.util import validate
    from .core.util.files import exists
    from .core.formats.spec import load_any
    from .examples import resolve

    source = args.key if exists(args.key) or not exists(resolve(args.key)) else resolve(args.key)
    if Path(source).is_dir():
        raise SpecError("--trace compares one program's trace with one run, not a class", source=source)
    doc = validate.read_json(source)
    if isinstance(doc, dict) and "blanks" in doc:
        replay = Replay(load_key(source))
        spec, epochs = replay.spec, replay.epochs
    else:  # a network file: code homework needs no exercise
        spec, epochs = load_any(source), 1
    path = str(args.trace)
    given = (read_trace_npz(path, spec, problems) if path.endswith(".npz")
             else read_trace_jsonl(path, problems))
    rtol = TRACE_RTOL if args.rtol is None else args.rtol
    atol = TRACE_ATOL if args.atol is None else args.atol
    r = compare_trace(spec, epochs, source, given, rtol, atol)
    if not r.compared and not problems.lines:  # an empty submission: nothing bad in it, and nothing passed
        problems.lines.append(str(GradeError("no line of it names a step of the run", source=path)))
    if args.format == "json":
        return json.dumps({"compared": r.compared, "steps": r.total, "first": r.first}, ensure_ascii=False,
                          indent=1) + "\n"
    return _lines(trace_text(r))


def _emit(text: str, args: Any) -> None:
    import sys

    if args.output is not None:
        from .core.util.files import write_text_atomic

        write_text_atomic(args.output, text, args.force)
    else:
        sys.stdout.write(text)

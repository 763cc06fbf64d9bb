"""Quiz logic: hide one number of the next step, read the student's answer, check it, keep score.

The quiz walks the same steppers as every view. For each step it does the step, picks the number to
ask for — the scalar (a loss, a graph node's value or adjoint) or one of the cells the layer's kind
lists (``LayerKind.quiz_cells``: a unit, an entry of G or W, a map position, a kernel weight), chosen by a seeded generator (``numpy.random.default_rng([seed, step])``, so the same quiz every
run) or given — and shows the step's equation with that number replaced by ``?``. Answers are
floats (``0.25``, ``-1e-3``, ``−0.5``), fractions (``1/4``) or expressions with the constants e and
π (``ln(2)``, ``e^6``, ``sqrt(2)/2``); an answer is right within a relative tolerance (1e-3 by
default) or, for values near 0, a small absolute floor. A wrong first answer gets a hint — the
formula with its inputs' numbers — and a second try; the score counts first- and second-try answers
apart, by quantity (s, o, ℓ, δ, G, update; a graph's value and adjoint).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .explain import MAX_TERMS, Cell, Explanation, explain
from ..formulas.formula import HELD, TINY, Equation, Num, Ref, Sym, TextPrinter, is_numeric, plan
from ..formulas.profiles import shown_ref
from ..formulas.formula import hide as formula_hide
from ..formulas.notation import num, sup
from ..engine.protocols import StepKeyLike
from ..engine.quizcells import QuizCell

DEFAULT_REL = 1e-3
DEFAULT_ABS = 1e-6


@dataclass(frozen=True)
class Tolerance:
    """Right when |answer − value| ≤ max(rel·|value|, abs)."""

    rel: float = DEFAULT_REL
    abs: float = DEFAULT_ABS

    def accepts(self, answer: float, value: float) -> bool:
        return abs(answer - value) <= max(self.rel * abs(value), self.abs)


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"  # one way to match: no backtracking blow-up
MAX_ANSWER = 100  # characters; a longer "answer" is not a number anyone types
_FRACTION = re.compile(rf"\s*({_NUMBER})\s*/\s*({_NUMBER})\s*")


ACCEPTED = "a number like 0.25, -1e-3 or 1/4, or an expression like ln(2), e^6, sqrt(2)/2 or π/4"


def parse_answer(text: str) -> float:
    """A float, a simple fraction ``p/q``, or an expression of numbers with the constants e and π
    (``ln(2)``, ``e^6``, ``sqrt(2)/2``), read by the graph files' parser (never ``eval``);
    ValueError (saying what is accepted) otherwise."""
    if len(text) > MAX_ANSWER:
        raise ValueError(f"not a number: {len(text):,} characters (type {ACCEPTED})")
    clean = text.strip().replace("−", "-").replace("–", "-").replace(" ", "")
    m = _FRACTION.fullmatch(clean)
    try:
        if m:
            top, bottom = float(m.group(1)), float(m.group(2))
            if bottom == 0:
                raise ValueError("division by zero")
            value = top / bottom
        elif re.fullmatch(_NUMBER, clean):
            value = float(clean)
        else:
            value = _expression(text.strip())
    except ValueError as err:
        why = str(err)
        reason = f": {why}" if why and why != clean else ""
        raise ValueError(f"not a number: {text.strip()!r}{reason} (type {ACCEPTED})") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text.strip()!r}")
    return value


def _expression(text: str) -> float:
    from ..util.errors import SpecError
    from ..graphs.expr import evaluate_constant

    if not text:
        raise ValueError("")
    try:
        return evaluate_constant(text)
    except SpecError as err:
        raise ValueError(str(err)) from None


@dataclass(frozen=True)
class Question:
    """One asked number: the step (already done), the cell, the equation with ``?`` in its place."""

    key: StepKeyLike  # the step's StepKey or GraphStepKey
    cell: Cell
    symbol: str  # the asked number's name: s₂⁽¹⁾, w₁,₀⁽²⁾, ℓ⁽³⁾, g_b …
    equation: str  # the step's equation, the asked number shown as "?"
    value: float  # the right answer


TRIES = 2  # a wrong first answer gets a hint and a second try


@dataclass(frozen=True)
class Verdict:
    """An answer judged. ``final``: the question is over (right, or the last try); otherwise
    ``hint`` is the formula with its inputs' numbers, for the next try."""

    question: Question
    given: float
    right: bool
    explanation: Explanation
    attempt: int = 1
    final: bool = True
    hint: str = ""


# the quantities the score is broken down by, in the order of a step's schedule
QUANTITY_NAMES = {"s": "s", "o": "o", "loss": "ℓ", "delta": "δ", "G": "G", "W": "update",
                  "value": "value", "adjoint": "adjoint"}


@dataclass
class Tally:
    """One quantity's answers: how many asked, right at the first try, right at the second."""

    asked: int = 0
    first: int = 0
    second: int = 0

    @property
    def right(self) -> int:
        return self.first + self.second


@dataclass
class Score:
    asked: int = 0
    right: int = 0
    second: int = 0  # of the right answers, those at the second try
    verdicts: list = field(default_factory=list)
    by_quantity: dict[str, Tally] = field(default_factory=dict)
    skipped: int = 0  # questions shown and skipped (they count as asked, not right)
    names: dict[str, str] = field(default_factory=lambda: dict(QUANTITY_NAMES))  # the breakdown's (quantity_names)

    def skip(self, question: "Question") -> None:
        """Count a question the student skipped: asked, not answered."""
        self.asked += 1
        self.skipped += 1
        name = self.names.get(question.key.quantity, question.key.quantity)
        self.by_quantity.setdefault(name, Tally()).asked += 1

    def add(self, verdict: Verdict) -> None:
        """Count a question's final verdict."""
        self.asked += 1
        self.right += verdict.right
        later = verdict.right and verdict.attempt > 1
        self.second += later
        self.verdicts.append(verdict)
        name = self.names.get(verdict.question.key.quantity, verdict.question.key.quantity)
        tally = self.by_quantity.setdefault(name, Tally())
        tally.asked += 1
        tally.first += verdict.right and not later
        tally.second += later

    def summary(self) -> str:
        if not self.asked:
            return "score: no answers"
        text = f"score: {self.right} of {self.asked} right ({round(100 * self.right / self.asked)}%)"
        if self.second:
            text += f": {self.right - self.second} at the first try, {self.second} at the second"
        if self.skipped:
            text += f"; {self.skipped} skipped"
        return text

    def breakdown(self) -> list[str]:
        """One line per quantity asked, in the schedule's order: right of asked, first and second try."""
        order = list(self.names.values())
        names = sorted(self.by_quantity, key=lambda n: order.index(n) if n in order else len(order))
        return [f"{name}: {t.right} of {t.asked} right ({t.first} at the first try, {t.second} at the second)"
                for name, t in ((n, self.by_quantity[n]) for n in names)]

    def compact(self) -> str:
        """The breakdown on one line: ``s 2/2, δ 1/2 (1 at the 2nd try)``."""
        parts = []
        for name in [line.split(":")[0] for line in self.breakdown()]:
            t = self.by_quantity[name]
            parts.append(f"{name} {t.right}/{t.asked}" + (f" ({t.second} at the 2nd try)" if t.second else ""))
        return ", ".join(parts)


# -- which number to ask for ------------------------------------------------------------------------
def quiz_cells(spec, key, value: Any = None) -> tuple[QuizCell, ...]:
    """Every number step ``key`` makes that may be asked (with its entry of ``value``, the step's
    value, when given): the loss, a graph node's value or adjoint, or what the layer's kind lists
    (:meth:`~bptui.core.engine.kind.LayerKind.quiz_cells`: never a hidden o⁽ˡ⁾'s bias 1)."""
    number = None if value is None or getattr(key, "quantity", None) not in ("loss", "value", "adjoint") \
        else float(value)
    if getattr(key, "node", None) is not None:  # a graph's step key names its node
        return (QuizCell(Cell(key.quantity, node=key.node), Ref(key.quantity, node=key.node), None, number),)
    if key.quantity == "loss":
        return (QuizCell(Cell("loss"), Ref("loss"), None, number),)
    l = key.layer
    kind = spec.layer_kinds[l - 1]
    if value is None and spec.lengths is not None and key.time is None and key.example is not None:
        # a step over a whole sequence (attention's; a block around one): its sizes follow the length T
        value = kind.unknown_value(key.quantity, int(spec.lengths[key.example - 1]))
    return kind.quiz_cells(l, spec.L, key, value)


def candidates(spec, key) -> list[Cell]:
    """The cells of every number step ``key`` makes that may be asked, in the kind's order."""
    return [qc.cell for qc in quiz_cells(spec, key)]


def choose(spec, key, seed: int = 0) -> Cell:
    """The cell to ask for at this step: the same one for the same seed, every run."""
    options = candidates(spec, key)
    if len(options) == 1:
        return options[0]
    return options[int(np.random.default_rng([int(seed), int(key.step)]).integers(len(options)))]


def quiz_cell(spec, step, cell: Cell) -> QuizCell:
    """``cell`` among the numbers ``step`` made, with its place and value; ValueError if the step
    did not make it."""
    for qc in quiz_cells(spec, step.key, step.value):
        if qc.cell == cell:
            return qc
    raise ValueError(f"{cell.symbol()} is not a number that step {step.key.step} makes")


def hide(stepper, step, cell: Cell, digits: int = 4) -> str:
    """The step's equations (a map step's worked out where ``cell`` is) with the number ``cell``
    shown as ``?`` wherever it stands (for the loss, ℓ_D's new value too, which would give it away)."""
    return _hidden(stepper, step, quiz_cell(stepper.spec, step, cell), digits)


def _hidden(stepper, step, qc: QuizCell, digits: int) -> str:
    P = profile_of(stepper)
    from ..engine.equations import layer_ref

    # where the profile shows the number (a kernel's as stored: its row)
    refs = {qc.ref if P is None else layer_ref(qc.ref, P, stepper.spec.L, stepper.net.kinds)}
    if qc.cell.quantity == "loss":  # ℓ_D as the profile shows it (a mean profile's, the mean: equations.loss_D_view)
        from ..engine.equations import loss_D_view

        refs.add(Ref("loss_D", view=loss_D_view(P)))
    printer = TextPrinter(digits, notation=P)
    return ";   ".join(printer.equation(formula_hide(eq, refs, digits))
                       for eq in equations_of(stepper, step, qc.pos, P))


def quantity_names(notation: Any) -> dict[str, str]:
    """The score's breakdown names in ``notation`` (None: the lecture's s, o, ℓ, δ, G, update)."""
    if notation is None or notation.name == "lecture13":
        return dict(QUANTITY_NAMES)
    p = TextPrinter(notation=notation)
    shared = {"s": Sym("s"), "o": Sym("o"), "loss": Sym("ℓ", latex=r"\ell"), "delta": Sym("δ", latex=r"\delta"),
              "G": Sym("G", vector=True)}
    return {**QUANTITY_NAMES, **{q: p.p(sym) for q, sym in shared.items()}}


def profile_of(stepper) -> Any:
    """The notation profile a stepper writes in, None for the lecture's (a graph's stepper has none)."""
    P = getattr(stepper, "notation", None)
    return None if P is None or P.name == "lecture13" else P


def shown_answer(stepper, step, qc: QuizCell) -> float:
    """The asked number as the stepper's notation shows it: a mean profile's G as G/m."""
    assert qc.value is not None
    P = profile_of(stepper)
    if P is None or not shown_ref(qc.ref, P, stepper.spec.L).view.endswith("/m"):
        return qc.value
    from ..engine.equations import group_size

    return qc.value / group_size(stepper.net, step.key)


def cell_symbol(stepper, cell: Cell, example: Any = None) -> str:
    """The cell's name in the stepper's notation (the loss with its example's number)."""
    P = profile_of(stepper)
    if cell.quantity == "loss":
        return TextPrinter(notation=P).p(Sym("ℓ", example, latex=r"\ell")) if P else f"ℓ{sup(example)}"
    if stepper.spec.kind != "graph" and cell.quantity in ("W", "G"):  # the layer's kind names a weight, as the
        # panel does (U's entry u_b,c and its gradient, not the W entry at the stored column)
        from ..engine.explain import named_by_kind

        cell = named_by_kind(stepper.spec, cell)
    return TextPrinter(notation=P).p(cell.sym()) if P else cell.symbol()


def equations_of(stepper, step, pos: tuple[int, ...] | None = None, notation: Any = None) -> tuple[Equation, ...]:
    """The equations of a step just done, for a network or a graph (a map step's scalar form at
    ``pos``, by default its first position); grouped as the ``notation`` profile groups them (None:
    the lecture's: the quiz, keys and exercises hide numbers by their place on the lecture's board)."""
    if stepper.spec.kind == "graph":
        from ..graphs.graph_stepper import graph_equations

        return graph_equations(stepper.spec, stepper.state, step)
    from ..engine.equations import step_equations

    return step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, pos, notation)


def ask(stepper, step, seed: int = 0, cell: Cell | None = None, digits: int = 4) -> Question:
    """The question for a step just done: ``cell`` (ValueError if the step did not make it) or a
    seeded choice among its numbers (:func:`quiz_cells`)."""
    qc = quiz_cell(stepper.spec, step, cell or choose(stepper.spec, step.key, seed))
    cell = qc.cell
    symbol = cell_symbol(stepper, cell, getattr(step.key, "example", None))
    return Question(step.key, cell, symbol, _hidden(stepper, step, qc, digits), shown_answer(stepper, step, qc))


def check(stepper, question: Question, text: str, tolerance: Tolerance = Tolerance(), attempt: int = 1,
          tries: int = 1, digits: int = 4) -> Verdict:
    """Parse the answer (ValueError if it is neither a number nor an expression) and judge it, with
    the explanation; a wrong answer before the last of ``tries`` gets a hint instead of the end."""
    given = parse_answer(text)
    right = tolerance.accepts(given, question.value)
    final = right or attempt >= tries
    return Verdict(question, given, right, explain(stepper, question.cell, digits), attempt, final,
                   "" if final else hint(stepper, question, digits))


def answer_text(explanation: Explanation, value: float, digits: int = 6) -> str:
    """The right answer ``value`` (the board's float) as the screen prints it, at ``digits``: where the float
    lies below the normal range and the explanation's last line prints the number past the floats (σ(−799.5)
    = 6.047e−348), that number, saying what the floats hold, ``6.04712e−348 (held in floats as 0)``: the
    student who typed the line's number reads it back (an answer that small is within the tolerance's
    absolute floor, the float's too)."""
    shown = num(value, digits)
    if not abs(value) < TINY or not explanation.equations:
        return shown
    last = plan(explanation.equations[-1], digits).result
    if not isinstance(last, Num) or last.ln is None:
        return shown
    exact = TextPrinter(digits).p(last)
    return exact if exact == shown else f"{exact} ({HELD.format(shown)})"


def hint(stepper, question: Question, digits: int = 4, max_terms: int = MAX_TERMS) -> str:
    """The formula of the asked number with its inputs' numbers, the result left as ``?``: the
    explanation's last equation, from its last symbolic form to its first form of numbers
    (``g_b = g_e·(−a/b²) + g_c·cos(b) = 1·(−6/0.6931²) + 0.1667·cos(0.6931) = ?``)."""
    eqs = explain(stepper, question.cell, digits).equations
    if not eqs:
        return ""
    eq = eqs[-1]
    forms = list(eq.forms[:-1])  # never the result
    numeric = [i for i, f in enumerate(forms) if is_numeric(f)]
    if numeric:
        first = numeric[0]
        shown = forms[max(0, first - 1):first + 1]
    else:
        shown = forms[-1:]
    printer = TextPrinter(digits, notation=profile_of(stepper))
    printer.max_terms = max_terms  # zero terms are left out first (Printer.shown_terms)
    parts = [printer.p(f) for f in shown]
    return f"{question.symbol} {eq.rel} " + " = ".join([*parts, "?"])


class Quiz:
    """A quiz over the steps of a network or graph file: ``next()`` a question, ``answer()`` it."""

    def __init__(self, spec, tolerance: Tolerance = Tolerance(), seed: int = 0, steps: int | None = None,
                 digits: int = 4, notation: Any = None) -> None:
        if spec.kind == "graph":
            from ..graphs.graph_stepper import GraphStepper

            self.stepper: Any = GraphStepper(spec)
        else:
            from ..engine.stepper import Stepper

            self.stepper = Stepper(spec, notation=notation)  # the questions in its notation (None: the lecture's)
        self.spec, self.tolerance, self.seed, self.digits = spec, tolerance, seed, digits
        self.total = len(self.stepper.schedule) if steps is None else steps
        if spec.kind == "graph":
            self.total = min(self.total, len(self.stepper.schedule))
        self.score = Score(names=quantity_names(notation))
        self.tries = TRIES
        self.attempt = 1

    def next(self) -> Question | None:
        """Do the next step and ask about it; None after the last one."""
        if self.stepper.position >= self.total:
            return None
        step = self.stepper.forward()
        self.attempt = 1
        return ask(self.stepper, step, self.seed, digits=self.digits)

    def leave(self, question: Question) -> None:
        """The student quits with the question open: after a wrong try it counts as asked and
        skipped (the summary then says so); one never answered is not counted."""
        if self.attempt > 1:
            self.score.skip(question)
            self.attempt = 1

    def answer(self, question: Question, text: str) -> Verdict:
        """Judge an answer (ValueError if it is not one: nothing counted); the score counts a
        question once it is over: right, or wrong at the second try."""
        verdict = check(self.stepper, question, text, self.tolerance, self.attempt, self.tries, self.digits)
        if verdict.final:
            self.score.add(verdict)
            self.attempt = 1
        else:
            self.attempt += 1
        return verdict

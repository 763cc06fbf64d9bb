"""Quiz logic: hide one number of the next step, read the student's answer, check it, keep score.

The quiz walks the same steppers as every view. For each step it does the step, picks the number to
ask for — the scalar (a loss, a graph node's value or adjoint) or one cell of the vector or matrix,
chosen by a seeded generator (``numpy.random.default_rng([seed, step])``, so the same quiz every
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
from ..formulas.formula import Equation, Ref, TextPrinter, is_numeric
from ..formulas.formula import hide as formula_hide
from ..formulas.notation import sup
from ..engine.protocols import StepKeyLike

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

    def skip(self, question: "Question") -> None:
        """Count a question the student skipped: asked, not answered."""
        self.asked += 1
        self.skipped += 1
        name = QUANTITY_NAMES.get(question.key.quantity, question.key.quantity)
        self.by_quantity.setdefault(name, Tally()).asked += 1

    def add(self, verdict: Verdict) -> None:
        """Count a question's final verdict."""
        self.asked += 1
        self.right += verdict.right
        later = verdict.right and verdict.attempt > 1
        self.second += later
        self.verdicts.append(verdict)
        name = QUANTITY_NAMES.get(verdict.question.key.quantity, verdict.question.key.quantity)
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
        order = list(QUANTITY_NAMES.values())
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
def candidates(spec, key) -> list[Cell]:
    """Every cell a step produced (without the constant bias entry of a hidden o⁽ˡ⁾)."""
    if getattr(key, "node", None) is not None:  # a graph's step key names its node
        return [Cell(key.quantity, node=key.node)]
    q, l = key.quantity, key.layer
    if q == "loss":
        return [Cell("loss")]
    kind = spec.layer_kinds[l - 1]  # names the cells as the layer's panel does (u_b,c in U, w_k,c,u,v, ∂ℓ/∂o)
    if kind.over_time:  # a recurrent layer: [W | U], and the entries of its step at τ
        rows, cols = kind.param_shape
        if q in ("G", "W"):
            return [Cell(q, l, b, a, kind=kind) for b in range(1, rows + 1) for a in range(cols)]
        return [Cell(q, l, b, time=key.time, kind=kind) for b in range(1, kind.entries(q) + 1)]
    if getattr(spec, "lengths", None) is not None and q not in ("G", "W"):  # a layer above, at τ or once
        return [Cell(q, l, b, time=key.time) for b in range(1, spec.widths[l] + 1)]
    if getattr(spec, "is_v2", False) and spec.layer_kinds[l - 1].is_map and q != "W":
        # a map step's equation works out the first position (and a conv G its first kernel
        # weight) with every number: that is the one a student can compute from what is shown
        if q == "G":
            return [Cell(q, l, 1, 1, kind=kind)]
        return [Cell(q, l, (0,) * len(kind.out_shape), kind=kind)]
    if getattr(spec, "is_v2", False) and q == "delta" and l < spec.L and spec.layer_kinds[l].is_map:
        return [Cell(q, l, 1)]
    units = range(1, spec.widths[l] + 1)
    if q in ("G", "W"):
        return [Cell(q, l, b, a, kind=kind) for b in units for a in range(spec.widths[l - 1] + 1)]
    return [Cell(q, l, b) for b in units]


def choose(spec, key, seed: int = 0) -> Cell:
    """The cell to ask for at this step: the same one for the same seed, every run."""
    options = candidates(spec, key)
    if len(options) == 1:
        return options[0]
    return options[int(np.random.default_rng([int(seed), int(key.step)]).integers(len(options)))]


def _index(spec, cell: Cell):
    """Where ``cell`` sits in the step's value array."""
    b, l = cell.unit, cell.layer
    assert b is not None and l is not None
    if isinstance(b, tuple):  # a map position (k, i, j), 0-based
        return b
    if cell.quantity in ("G", "W"):
        return (b - 1, cell.column)
    if cell.quantity == "o" and l < spec.L and spec.layer_kinds[l - 1].bias_entry:  # a hidden o⁽ˡ⁾'s 1 at 0
        return b
    return b - 1


def ref(spec, cell: Cell) -> Ref:
    """The board number ``cell`` names, as the formula trees refer to it."""
    if cell.node is not None:
        return Ref(cell.quantity, node=cell.node)
    if cell.quantity == "loss":
        return Ref("loss")
    index = _index(spec, cell)
    index = index if isinstance(index, tuple) else (index,)
    if cell.time is not None:  # a per-τ board matrix: its row first (core/kinds/rnn/equations.py)
        from ..kinds.rnn.equations import board_row

        index = (board_row(cell.quantity, cell.layer, cell.time, spec.layer_kinds),) + index
    return Ref(cell.quantity, cell.layer, index)


def hide(stepper, step, cell: Cell, digits: int = 4) -> str:
    """The step's equations with the number ``cell`` shown as ``?`` wherever it stands (for the
    loss, ℓ_D's new value too, which would give it away)."""
    refs = {ref(stepper.spec, cell)}
    if cell.quantity == "loss":
        refs.add(Ref("loss_D"))
    printer = TextPrinter(digits)
    return ";   ".join(printer.equation(formula_hide(eq, refs, digits)) for eq in equations_of(stepper, step))


def equations_of(stepper, step) -> tuple[Equation, ...]:
    """The equations of a step just done, for a network or a graph."""
    if stepper.spec.kind == "graph":
        from ..graphs.graph_stepper import graph_equations

        return graph_equations(stepper.spec, stepper.state, step)
    from ..engine.equations import step_equations

    return step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer)


def ask(stepper, step, seed: int = 0, cell: Cell | None = None, digits: int = 4) -> Question:
    """The question for a step just done: ``cell`` or a seeded choice among its numbers."""
    spec = stepper.spec
    cell = cell or choose(spec, step.key, seed)
    symbol = cell.symbol()
    if cell.quantity == "loss":
        symbol = f"ℓ{sup(step.key.example)}"
    if cell.quantity == "loss" or cell.node is not None:
        value = float(step.value)
    else:
        value = float(np.asarray(step.value)[_index(spec, cell)])
    return Question(step.key, cell, symbol, hide(stepper, step, cell, digits), value)


def check(stepper, question: Question, text: str, tolerance: Tolerance = Tolerance(), attempt: int = 1,
          tries: int = 1, digits: int = 4) -> Verdict:
    """Parse the answer (ValueError if it is neither a number nor an expression) and judge it, with
    the explanation; a wrong answer before the last of ``tries`` gets a hint instead of the end."""
    given = parse_answer(text)
    right = tolerance.accepts(given, question.value)
    final = right or attempt >= tries
    return Verdict(question, given, right, explain(stepper, question.cell, digits), attempt, final,
                   "" if final else hint(stepper, question, digits))


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
    printer = TextPrinter(digits)
    printer.max_terms = max_terms  # zero terms are left out first (Printer.shown_terms)
    parts = [printer.p(f) for f in shown]
    return f"{question.symbol} {eq.rel} " + " = ".join([*parts, "?"])


class Quiz:
    """A quiz over the steps of a network or graph file: ``next()`` a question, ``answer()`` it."""

    def __init__(self, spec, tolerance: Tolerance = Tolerance(), seed: int = 0, steps: int | None = None,
                 digits: int = 4) -> None:
        if spec.kind == "graph":
            from ..graphs.graph_stepper import GraphStepper

            self.stepper: Any = GraphStepper(spec)
        else:
            from ..engine.stepper import Stepper

            self.stepper = Stepper(spec)
        self.spec, self.tolerance, self.seed, self.digits = spec, tolerance, seed, digits
        self.total = len(self.stepper.schedule) if steps is None else steps
        if spec.kind == "graph":
            self.total = min(self.total, len(self.stepper.schedule))
        self.score = Score()
        self.tries = TRIES
        self.attempt = 1

    def next(self) -> Question | None:
        """Do the next step and ask about it; None after the last one."""
        if self.stepper.position >= self.total:
            return None
        step = self.stepper.forward()
        self.attempt = 1
        return ask(self.stepper, step, self.seed, digits=self.digits)

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

#!/usr/bin/env python3
"""bptui's standalone grader: needs Python's standard library only, never bptui.

bptui writes this very file, with the variants' keys put in place of ``POOL`` below, as
PrairieLearn's ``server.py`` (``generate`` and ``grade``) and as Gradescope's ``run_autograder``
(``main``). For each blank it decides one of four verdicts, with the key's tolerance
(right when |given − value| ≤ atol + rtol·|value|):

- ``right``: the key's value;
- ``carried``: wrong against the key, but right when the blank's ``formula`` (an expression over
  earlier blanks ``b12``, in bptui's expression syntax) is evaluated with the student's own answers,
  and every blank in its ``depends_on`` was answered: an error carried forward;
- ``wrong``, ``missing``.

The formulas and the answers are read by a small evaluator of that syntax (numbers, ``b12``, ``e``,
``pi``, ``+ - * / ** ^``, unary signs, and the functions the keys write: exp, log or ln, sin, cos,
tan, tanh, sigmoid, sqrt, relu, abs, max, min), never by ``eval``. It turns the text into postfix
order with a stack (the shunting-yard algorithm), so a formula nested thousands of parentheses deep
costs no recursion. ``**`` binds tighter than a unary minus and to the right, as in Python.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
import sys
from typing import Any, Callable, Mapping

# The variants' keys, each {"variant": i, "page": "variant-01.md", "blanks": [{"blank", "name", "step",
# "value", "atol", "rtol", "depends_on", "formula"}, …]}: bptui writes them in place of this line.
POOL: list[dict[str, Any]] = []  # bptui: pool
CARRIED_CREDIT = 1.0  # a carried blank's point (0 … 1); a right one's is 1
MAX_TEXT = 1_000_000  # the longest formula or answer read (characters)


class FormulaError(ValueError):
    """Text the expression syntax does not read."""


# -- the expression syntax --------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^(),−·×]))")
_SAME = {"−": "-", "·": "*", "×": "*", "^": "**"}
_CONSTANTS = {"e": math.e, "pi": math.pi}
NAN = float("nan")


def _guard(f: Callable[..., float]) -> Callable[..., float]:
    """``f`` with a domain error or an overflow as a number, as floating point has them (nan, ±inf)."""
    def g(*args: float) -> float:
        try:
            return float(f(*args))
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return NAN
    return g


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1 / (1 + math.exp(-a))
    e = math.exp(a)
    return e / (1 + e)


def _log(a: float) -> float:
    return math.log(a) if a > 0 else (-math.inf if a == 0 else NAN)


def _pow(a: float, b: float) -> float:
    if a < 0 and not float(b).is_integer():
        return NAN  # a negative base needs a whole exponent (Python would give a complex number)
    if a == 0 and b < 0:
        return math.inf
    return a ** b


def _divide(a: float, b: float) -> float:
    if b == 0:
        return NAN if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


# name → (number of arguments, function)
FUNCTIONS: dict[str, tuple[int, Callable[..., float]]] = {
    "exp": (1, _guard(math.exp)), "log": (1, _guard(_log)), "ln": (1, _guard(_log)),
    "sin": (1, _guard(math.sin)), "cos": (1, _guard(math.cos)), "tan": (1, _guard(math.tan)),
    "tanh": (1, _guard(math.tanh)), "sigmoid": (1, _guard(_sigmoid)), "sqrt": (1, _guard(math.sqrt)),
    "relu": (1, _guard(lambda a: a if a > 0 else 0.0 * a)), "abs": (1, _guard(abs)),
    "max": (2, _guard(lambda a, b: a if a >= b else b)), "min": (2, _guard(lambda a, b: a if a <= b else b)),
}
_BINARY: dict[str, tuple[int, bool, Callable[[float, float], float]]] = {  # precedence, right-associative, function
    "+": (1, False, lambda a, b: a + b), "-": (1, False, lambda a, b: a - b),
    "*": (2, False, lambda a, b: a * b), "/": (2, False, _divide), "**": (4, True, _guard(_pow)),
}
_UNARY = 3  # a sign's precedence: below ** (-x**2 is -(x**2)), above * and /


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) of each token: num, name, op."""
    if len(text) > MAX_TEXT:
        raise FormulaError(f"longer than {MAX_TEXT:,} characters")
    out: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        m = _TOKEN.match(text, pos)
        if not m or m.lastgroup is None:
            raise FormulaError(f"unexpected character {text[pos]!r} at column {pos + 1}")
        kind, tok = m.lastgroup, m.group(m.lastgroup)
        out.append((kind, _SAME.get(tok, tok) if kind == "op" else tok, m.start(kind) + 1))
        pos = m.end()


def postfix(text: str) -> list[tuple[str, Any]]:
    """The expression in postfix order: ("num", x), ("name", n), ("bin", op), ("neg", None),
    ("call", (name, arguments)); a FormulaError for anything the syntax does not read."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = []  # ("bin", op), ("neg", None), ("pos", None), ("(", [function or None, arguments])
    operand = True  # whether an operand comes next
    tokens = _tokens(text)
    for i, (kind, tok, col) in enumerate(tokens):
        if operand:
            if kind == "num":
                out.append(("num", float(tok)))
                operand = False
            elif kind == "name" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
                if tok not in FUNCTIONS:
                    raise FormulaError(f"unknown function {tok!r} at column {col}")
                stack.append(("call", tok))
            elif kind == "name":
                out.append(("name", tok))
                operand = False
            elif tok == "(":
                call = stack[-1][1] if stack and stack[-1][0] == "call" else None
                if call is not None:
                    stack.pop()
                stack.append(("(", [call, 1]))
            elif tok in ("-", "+"):
                stack.append(("neg" if tok == "-" else "pos", None))
            else:
                raise FormulaError(f"expected a number, a name or '(' at column {col}, found {tok!r}")
            continue
        if kind != "op" or tok == "(":
            raise FormulaError(f"expected an operator at column {col}, found {tok!r}")
        if tok in _BINARY:
            prec, right, _ = _BINARY[tok]
            while stack and stack[-1][0] != "(":
                top = stack[-1]
                top_prec = _UNARY if top[0] in ("neg", "pos") else _BINARY[top[1]][0]
                if top_prec > prec or (top_prec == prec and not right):
                    out.append(stack.pop())
                else:
                    break
            stack.append(("bin", tok))
            operand = True
            continue
        while stack and stack[-1][0] != "(":  # ")" or ","
            out.append(stack.pop())
        if not stack:
            raise FormulaError(f"{tok!r} at column {col} closes no '('")
        call, count = stack[-1][1]
        if tok == ",":
            if call is None:
                raise FormulaError(f"',' at column {col} outside a function's arguments")
            stack[-1][1][1] += 1
            operand = True
            continue
        stack.pop()
        if call is not None:
            if count != FUNCTIONS[call][0]:
                raise FormulaError(f"{call} takes {FUNCTIONS[call][0]} argument(s), got {count} (column {col})")
            out.append(("call", call))
    if operand:
        raise FormulaError("the expression ends where a number was expected" if tokens else "the expression is empty")
    while stack:
        top = stack.pop()
        if top[0] == "(":
            raise FormulaError("a '(' is not closed")
        out.append(top)
    return out


def evaluate(text: str, values: Mapping[str, float] | None = None) -> float:
    """The value of ``text`` with the names in ``values`` ({"b3": 0.25}) and the constants e and pi."""
    names = {**_CONSTANTS, **(values or {})}
    stack: list[float] = []
    for kind, x in postfix(text):
        if kind == "num":
            stack.append(x)
        elif kind == "name":
            if x not in names:
                raise FormulaError(f"unknown name {x!r}")
            stack.append(float(names[x]))
        elif kind == "neg":
            stack.append(-stack.pop())
        elif kind == "pos":
            pass
        elif kind == "bin":
            b = stack.pop()
            stack.append(_BINARY[x][2](stack.pop(), b))
        else:
            n, f = FUNCTIONS[x]
            args, stack[len(stack) - n:] = stack[len(stack) - n:], []
            stack.append(f(*args))
    return stack[0]


def number(text: Any) -> float:
    """An answer: a number, or text such as ``0.25``, ``−0.5``, ``1/4``, ``ln(2)``, ``e^-1``."""
    if isinstance(text, bool):
        raise FormulaError("not a number")
    if isinstance(text, (int, float)):
        return float(text)
    if not isinstance(text, str):
        raise FormulaError("not a number")
    return evaluate(text.strip())


# -- verdicts ---------------------------------------------------------------------------------------
def within(given: float, value: float, atol: float, rtol: float) -> bool:
    return abs(given - value) <= atol + rtol * abs(value)


def verdicts(blanks: list[dict[str, Any]], answers: Mapping[int, float]) -> dict[int, str]:
    """Each blank's verdict (right, carried, wrong or missing) for the student's ``answers`` {blank: value}."""
    out: dict[int, str] = {}
    by = {int(b["blank"]): int(b.get("divided_by", 1)) for b in blanks}
    for b in blanks:
        n = int(b["blank"])
        if n not in answers:
            out[n] = "missing"
            continue
        # a blank with divided_by (a mean profile's G/m) was asked as value/divided_by: its answer times it
        given, atol, rtol = answers[n] * int(b.get("divided_by", 1)), float(b["atol"]), float(b["rtol"])
        if within(given, float(b["value"]), atol, rtol):
            out[n] = "right"
            continue
        out[n] = "wrong"
        depends = [int(d) for d in b["depends_on"]]
        if b.get("formula") and depends and all(d in answers for d in depends):
            try:
                carried = evaluate(b["formula"], {f"b{d}": answers[d] * by[d] for d in depends})
            except FormulaError:
                continue
            if within(given, carried, atol, rtol):
                out[n] = "carried"
    return out


def points(verdict: str) -> float:
    return {"right": 1.0, "carried": CARRIED_CREDIT}.get(verdict, 0.0)


def message(b: dict[str, Any], verdict: str) -> str:
    """What the student reads about a blank (never its answer)."""
    if verdict == "carried":
        earlier = ", ".join(f"({d})" for d in b["depends_on"])
        return f"right with your own answers to {earlier}: an error carried forward"
    return {"right": "right", "wrong": "wrong", "missing": "not answered"}[verdict]


def label(b: dict[str, Any]) -> str:
    return f"({b['blank']}) {b['name']}, step {b['step']}"


# -- answers files ----------------------------------------------------------------------------------
def read_answers(text: str, json_file: bool) -> tuple[int | None, dict[int, float], list[str]]:
    """(variant, {blank: value}, problems) from an answers file: CSV rows ``blank,value`` with a row
    ``variant,N`` (a header row ``blank,value`` may come first), or JSON {"variant": N, "1": value, …}.
    A row that cannot be read is a problem; the others are still read."""
    problems: list[str] = []
    rows: list[tuple[str, Any, str]] = []  # (blank, value, where)
    if json_file:
        try:
            doc = json.loads(text)
        except ValueError as err:
            return None, {}, [f"not JSON: {err}"]
        if not isinstance(doc, dict):
            return None, {}, ["not a JSON object {\"variant\": N, \"1\": value, …}"]
        rows = [(str(k), v, f"key {k!r}") for k, v in doc.items()]
    else:
        for i, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if i == 1 and [c.strip().lower() for c in row[:2]] == ["blank", "value"]:
                continue
            if len(row) != 2:
                problems.append(f"row {i}: {len(row)} cells, not 2 (blank,value)")
                continue
            rows.append((row[0].strip(), row[1], f"row {i}"))
    variant: int | None = None
    answers: dict[int, float] = {}
    for blank, value, where in rows:
        try:
            if blank.lower() == "variant":
                variant = int(number(value))
                continue
            if not blank.isdigit():
                raise FormulaError(f"{blank!r} is no blank number")
            n = int(blank)
            if n in answers:
                raise FormulaError(f"blank {n} is answered twice")
            x = number(value)
            if not math.isfinite(x):
                raise FormulaError("not a finite number")
            answers[n] = x
        except (FormulaError, ValueError, OverflowError) as err:
            problems.append(f"{where}: {err}")
    return variant, answers, problems


def variant_of(number_: int | None) -> dict[str, Any] | None:
    return next((v for v in POOL if v["variant"] == number_), None)


# -- PrairieLearn (server.py) -----------------------------------------------------------------------
def generate(data: dict[str, Any]) -> None:
    """Pick a variant from the pool for this question variant (by its seed: the same one every time)."""
    index = random.Random(str(data.get("variant_seed", ""))).randrange(len(POOL))
    v = POOL[index]
    data["params"]["variant"] = v["variant"]
    data["params"]["page"] = v["page"]
    data["params"]["tol"] = {f"b{b['blank']}": {"rtol": b["rtol"], "atol": b["atol"]} for b in v["blanks"]}
    for b in v["blanks"]:  # the number the page asks for (a mean profile's G/m: value/divided_by)
        data["correct_answers"][f"b{b['blank']}"] = float(b["value"]) / int(b.get("divided_by", 1))


def grade(data: dict[str, Any]) -> None:
    """Each blank's score and feedback by the key, errors carried forward; the question's score."""
    v = variant_of(data["params"]["variant"])
    assert v is not None, "the variant is not in the pool"
    answers: dict[int, float] = {}
    for b in v["blanks"]:
        given = data["submitted_answers"].get(f"b{b['blank']}")
        try:
            if given is not None and given != "":
                answers[int(b["blank"])] = number(given)
        except FormulaError:
            pass
    verdict = verdicts(v["blanks"], answers)
    for b in v["blanks"]:
        n = int(b["blank"])
        data["partial_scores"][f"b{n}"] = {"score": points(verdict[n]), "weight": 1,
                                           "feedback": message(b, verdict[n])}
    data["score"] = sum(points(x) for x in verdict.values()) / max(1, len(verdict))


# -- Gradescope (run_autograder) --------------------------------------------------------------------
def results(answers_file: str | None, text: str | None) -> dict[str, Any]:
    """Gradescope's results.json for an answers file (its name and text; None: there was none)."""
    if answers_file is None or text is None:
        return {"score": 0, "output": "no answers file: submit answers.csv (rows blank,value and variant,N) "
                                      "or answers.json ({\"variant\": N, \"1\": value, …})", "tests": []}
    variant, answers, problems = read_answers(text, answers_file.lower().endswith(".json"))
    v = variant_of(variant)
    if v is None:
        known = ", ".join(str(p["variant"]) for p in POOL)
        why = "names no variant" if variant is None else f"names variant {variant}, which is not one of {known}"
        return {"score": 0, "output": f"{answers_file} {why}: add a row variant,N (your variant's number)",
                "tests": []}
    known_blanks = {int(b["blank"]) for b in v["blanks"]}
    problems += [f"blank {n}: variant {variant} has no such blank" for n in sorted(set(answers) - known_blanks)]
    verdict = verdicts(v["blanks"], answers)
    tests = [{"name": label(b), "score": points(verdict[int(b["blank"])]), "max_score": 1,
              "output": message(b, verdict[int(b["blank"])])} for b in v["blanks"]]
    out: dict[str, Any] = {"score": sum(t["score"] for t in tests), "max_score": len(tests), "tests": tests}
    out["output"] = f"variant {variant}: " + ("; ".join(problems) if problems else "every row read")
    return out


def _answers_file(folder: str) -> str | None:
    """The submission's answers file: answers.csv or answers.json, else its only .csv or .json file."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in ("answers.csv", "answers.json"):
        if name in names:
            return name
    found = [n for n in names if n.lower().endswith((".csv", ".json"))]
    return found[0] if len(found) == 1 else None


def main() -> int:
    """Grade /autograder/submission's answers into /autograder/results/results.json (the folder
    AUTOGRADER_ROOT instead of /autograder, for a test)."""
    root = os.environ.get("AUTOGRADER_ROOT", "/autograder")
    submission = os.path.join(root, "submission")
    name = _answers_file(submission)
    text = None
    if name is not None:
        with open(os.path.join(submission, name), encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_TEXT * 10)
    out = results(name, text)
    folder = os.path.join(root, "results")
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".results.json.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    os.replace(tmp, os.path.join(folder, "results.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The operations a computation graph's nodes compute, each one small and obvious.

Every op has, side by side: its forward value, its local derivative with respect to each argument,
and both written the way the lecture writes them (``a/b``, ``−a/b²``, ``e^a``, ``cos(b)``). The
formulas are templates: fill them with node names for the symbolic equation, with numbers for the
worked one. Values are NumPy scalars, so the same code runs in float64 (the steps) and in
``np.longdouble`` (the finite differences of ``bptui check``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import mul
from typing import Callable, Sequence

import numpy as np

from .notation import num

N_ARY = None  # arity of add and mul: two or more arguments


def p(text: str) -> str:
    """Parenthesise a negative number where it stands next to an operator: ``(−2)·3``."""
    return f"({text})" if text.startswith("−") else text


def _sigmoid(a):
    if a >= 0:
        return 1 / (1 + np.exp(-a))
    e = np.exp(a)
    return e / (1 + e)


def _others(args: Sequence, i: int):
    return reduce(mul, [a for j, a in enumerate(args) if j != i], 1)


@dataclass(frozen=True)
class Op:
    name: str
    arity: int | None  # None: n-ary (at least 2)
    f: Callable[..., object]  # f(*args) → the node's value
    df: Callable[[int, Sequence], object]  # df(i, args) → ∂value/∂args[i]
    text: Callable[[Sequence[str]], str]  # the forward formula, from the arguments' names or numbers
    dtext: Callable[[int, Sequence[str]], str]  # ∂value/∂args[i], written the same way
    domain: Callable[[Sequence], str | None] = lambda args: None  # why args are outside the domain

    def arity_text(self) -> str:
        if self.arity is None:
            return "2 or more arguments"
        return "1 argument" if self.arity == 1 else f"{self.arity} arguments"


def _unary(name, f, df, text, dtext, domain=lambda args: None) -> Op:
    return Op(name, 1, lambda a: f(a), lambda i, v: df(v[0]), lambda s: text(s[0]),
              lambda i, s: dtext(s[0]), domain)


def _log_domain(v):
    return None if v[0] > 0 else f"log of {num(v[0])}: the logarithm needs a positive argument"


def _sqrt_domain(v):
    if v[0] < 0:
        return f"square root of {num(v[0])}: the argument must not be negative"
    if v[0] == 0:
        return "square root of 0: its derivative 1/(2√0) is infinite"
    return None


def _div_domain(v):
    return "division by zero" if v[1] == 0 else None


def _pow_domain(v):
    a, b = v
    if a < 0 and not float(b).is_integer():
        return f"{num(a)} to the power {num(b)}: a negative base needs a whole exponent"
    if a == 0 and b < 1 and b != 0:
        return f"0 to the power {num(b)}: not finite, or with an infinite derivative"
    return None


def _dpow_base(v):
    """∂(a^b)/∂a = b·a^(b−1), and 0 for b = 0 (a^0 is 1 for every a, also where a^(−1) is not finite)."""
    a, b = v
    if b == 0:
        return 0 * a
    return b * a ** (b - 1)


def _tan_domain(v):
    return "tan where cos = 0" if np.cos(v[0]) == 0 else None


OPS: dict[str, Op] = {op.name: op for op in [
    Op("add", N_ARY, lambda *a: reduce(lambda x, y: x + y, a), lambda i, v: 1.0 + 0 * v[i],
       lambda s: " + ".join([s[0], *map(p, s[1:])]), lambda i, s: "1"),
    Op("mul", N_ARY, lambda *a: reduce(mul, a), lambda i, v: _others(v, i),
       lambda s: "·".join(p(x) for x in s), lambda i, s: "·".join(p(x) for j, x in enumerate(s) if j != i)),
    Op("sub", 2, lambda a, b: a - b, lambda i, v: 1.0 + 0 * v[i] if i == 0 else -1.0 + 0 * v[i],
       lambda s: f"{s[0]} − {p(s[1])}", lambda i, s: "1" if i == 0 else "−1"),
    Op("div", 2, lambda a, b: a / b, lambda i, v: 1 / v[1] if i == 0 else -v[0] / v[1] ** 2,
       lambda s: f"{p(s[0])}/{p(s[1])}", lambda i, s: f"1/{p(s[1])}" if i == 0 else f"−{p(s[0])}/{p(s[1])}²",
       _div_domain),
    _unary("neg", lambda a: -a, lambda a: -1.0 + 0 * a, lambda a: f"−{p(a)}", lambda a: "−1"),
    Op("pow", 2, lambda a, b: a ** b,
       lambda i, v: _dpow_base(v) if i == 0 else v[0] ** v[1] * np.log(v[0]),
       lambda s: f"{p(s[0])}^{p(s[1])}",
       lambda i, s: f"{p(s[1])}·{p(s[0])}^({s[1]} − 1)" if i == 0 else f"{p(s[0])}^{p(s[1])}·ln({s[0]})",
       _pow_domain),
    _unary("exp", np.exp, np.exp, lambda a: f"e^{p(a)}", lambda a: f"e^{p(a)}"),
    _unary("log", np.log, lambda a: 1 / a, lambda a: f"ln({a})", lambda a: f"1/{p(a)}", _log_domain),
    _unary("sin", np.sin, np.cos, lambda a: f"sin({a})", lambda a: f"cos({a})"),
    _unary("cos", np.cos, lambda a: -np.sin(a), lambda a: f"cos({a})", lambda a: f"−sin({a})"),
    _unary("tan", np.tan, lambda a: 1 / np.cos(a) ** 2, lambda a: f"tan({a})", lambda a: f"1/cos²({a})",
           _tan_domain),
    _unary("tanh", np.tanh, lambda a: 1 - np.tanh(a) ** 2, lambda a: f"tanh({a})", lambda a: f"1 − tanh²({a})"),
    _unary("sigmoid", _sigmoid, lambda a: _sigmoid(a) * (1 - _sigmoid(a)), lambda a: f"σ({a})",
           lambda a: f"σ({a})·(1 − σ({a}))"),
    _unary("sqrt", np.sqrt, lambda a: 1 / (2 * np.sqrt(a)), lambda a: f"√{p(a)}", lambda a: f"1/(2√{p(a)})",
           _sqrt_domain),
    _unary("relu", lambda a: a * (a > 0), lambda a: 1.0 * (a > 0) + 0 * a, lambda a: f"relu({a})",
           lambda a: f"[{a} > 0]"),
    _unary("abs", abs, lambda a: np.sign(a) + 0 * a, lambda a: f"|{a}|", lambda a: f"sign({a})"),
    Op("max", 2, lambda a, b: a if a >= b else b,
       lambda i, v: 1.0 * (v[0] >= v[1]) if i == 0 else 1.0 * (v[1] > v[0]),
       lambda s: f"max({s[0]}, {s[1]})", lambda i, s: f"[{s[0]} ≥ {s[1]}]" if i == 0 else f"[{s[1]} > {s[0]}]"),
    Op("min", 2, lambda a, b: a if a <= b else b,
       lambda i, v: 1.0 * (v[0] <= v[1]) if i == 0 else 1.0 * (v[1] < v[0]),
       lambda s: f"min({s[0]}, {s[1]})", lambda i, s: f"[{s[0]} ≤ {s[1]}]" if i == 0 else f"[{s[1]} < {s[0]}]"),
]}

ALIASES = {"ln": "log"}  # names the expression syntax accepts for an op


def arity_ok(op: Op, n: int) -> bool:
    return n >= 2 if op.arity is None else n == op.arity


def is_finite(x) -> bool:
    return bool(np.isfinite(x))


__all__ = ["OPS", "ALIASES", "Op", "arity_ok", "is_finite", "p"]

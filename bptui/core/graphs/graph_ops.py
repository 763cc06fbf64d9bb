"""The operations a computation graph's nodes compute, each one small and obvious.

Every op has, side by side: its forward value, its local derivative with respect to each argument,
and both written the way the lecture writes them (``a/b``, ``−a/b²``, ``e^a``, ``cos(b)``) as
formula trees (:mod:`bptui.core.formulas.formula`): given the arguments as symbols they give the symbolic
equation, given them as numbers the worked one, and every view prints the same tree. Values are NumPy scalars, so the same code runs in float64 (the steps) and in
``np.longdouble`` (the finite differences of ``bptui check``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import mul as operator_mul
from typing import Callable, Sequence

import numpy as np

from ..formulas.formula import ONE, TWO, Call, Ind, Node, Num, mul, sub
from ..formulas.formula import Op as F
from ..formulas.notation import num

N_ARY = None  # arity of add and mul: two or more arguments


MINUS_ONE = Num(-1.0, exact=True)


def _sigmoid(a):
    if a >= 0:
        return 1 / (1 + np.exp(-a))
    e = np.exp(a)
    return e / (1 + e)


def _product_of_others(args: Sequence, i: int):
    return reduce(operator_mul, [a for j, a in enumerate(args) if j != i], 1)


@dataclass(frozen=True)
class Op:
    name: str
    arity: int | None  # None: n-ary (at least 2)
    f: Callable[..., np.floating]  # f(*args) → the node's value (a NumPy scalar)
    df: Callable[[int, Sequence], np.floating]  # df(i, args) → ∂value/∂args[i]
    tree: Callable[[Sequence[Node]], Node]  # the forward formula, from the arguments (symbols or numbers)
    dtree: Callable[[int, Sequence[Node]], Node]  # ∂value/∂args[i], written the same way
    domain: Callable[[Sequence], str | None] = lambda args: None  # why args are outside the domain

    def arity_text(self) -> str:
        if self.arity is None:
            return "2 or more arguments"
        return "1 argument" if self.arity == 1 else f"{self.arity} arguments"


def _unary(name, f, df, tree, dtree, domain=lambda args: None) -> Op:
    return Op(name, 1, lambda a: f(a), lambda i, v: df(v[0]), lambda s: tree(s[0]),
              lambda i, s: dtree(s[0]), domain)


def _call(fn: str):
    return lambda a: Call(fn, (a,))


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
       lambda s: F("+", tuple(s)), lambda i, s: ONE),
    Op("mul", N_ARY, lambda *a: reduce(operator_mul, a), lambda i, v: _product_of_others(v, i),
       lambda s: F("*", tuple(s)), lambda i, s: mul(*[x for j, x in enumerate(s) if j != i])),
    Op("sub", 2, lambda a, b: a - b, lambda i, v: 1.0 + 0 * v[i] if i == 0 else -1.0 + 0 * v[i],
       lambda s: sub(s[0], s[1]), lambda i, s: ONE if i == 0 else MINUS_ONE),
    Op("div", 2, lambda a, b: a / b, lambda i, v: 1 / v[1] if i == 0 else -v[0] / v[1] ** 2,
       lambda s: F("/", (s[0], s[1])),
       lambda i, s: F("/", (ONE, s[1])) if i == 0 else F("/", (F("neg", (s[0],)), F("sq", (s[1],)))),
       _div_domain),
    _unary("neg", lambda a: -a, lambda a: -1.0 + 0 * a, lambda a: F("neg", (a,)), lambda a: MINUS_ONE),
    Op("pow", 2, lambda a, b: a ** b,
       lambda i, v: _dpow_base(v) if i == 0 else v[0] ** v[1] * np.log(v[0]),
       lambda s: F("^", (s[0], s[1])),
       lambda i, s: mul(s[1], F("^", (s[0], sub(s[1], ONE)))) if i == 0
       else mul(F("^", (s[0], s[1])), Call("ln", (s[0],))),
       _pow_domain),
    _unary("exp", np.exp, np.exp, _call("exp"), _call("exp")),
    _unary("log", np.log, lambda a: 1 / a, _call("ln"), lambda a: F("/", (ONE, a)), _log_domain),
    _unary("sin", np.sin, np.cos, _call("sin"), _call("cos")),
    _unary("cos", np.cos, lambda a: -np.sin(a), _call("cos"), lambda a: F("neg", (Call("sin", (a,)),))),
    _unary("tan", np.tan, lambda a: 1 / np.cos(a) ** 2, _call("tan"),
           lambda a: F("/", (ONE, F("sq", (Call("cos", (a,)),)))), _tan_domain),
    _unary("tanh", np.tanh, lambda a: 1 - np.tanh(a) ** 2, _call("tanh"),
           lambda a: sub(ONE, F("sq", (Call("tanh", (a,)),)))),
    _unary("sigmoid", _sigmoid, lambda a: _sigmoid(a) * (1 - _sigmoid(a)), _call("sigmoid"),
           lambda a: mul(Call("sigmoid", (a,)), sub(ONE, Call("sigmoid", (a,))))),
    _unary("sqrt", np.sqrt, lambda a: 1 / (2 * np.sqrt(a)), _call("sqrt"),
           lambda a: F("/", (ONE, mul(TWO, Call("sqrt", (a,))))), _sqrt_domain),
    _unary("relu", lambda a: a * (a > 0), lambda a: 1.0 * (a > 0) + 0 * a, _call("relu"),
           lambda a: Ind(a, ">", Num(0.0, exact=True))),
    _unary("abs", abs, lambda a: np.sign(a) + 0 * a, _call("abs"), _call("sign")),
    Op("max", 2, lambda a, b: a if a >= b else b,
       lambda i, v: 1.0 * (v[0] >= v[1]) if i == 0 else 1.0 * (v[1] > v[0]),
       lambda s: Call("max", (s[0], s[1])), lambda i, s: Ind(s[0], "≥", s[1]) if i == 0 else Ind(s[1], ">", s[0])),
    Op("min", 2, lambda a, b: a if a <= b else b,
       lambda i, v: 1.0 * (v[0] <= v[1]) if i == 0 else 1.0 * (v[1] < v[0]),
       lambda s: Call("min", (s[0], s[1])), lambda i, s: Ind(s[0], "≤", s[1]) if i == 0 else Ind(s[1], "<", s[0])),
]}

ALIASES = {"ln": "log"}  # names the expression syntax accepts for an op


def arity_ok(op: Op, n: int) -> bool:
    return n >= 2 if op.arity is None else n == op.arity


def is_finite(x) -> bool:
    return bool(np.isfinite(x))


__all__ = ["OPS", "ALIASES", "Op", "arity_ok", "is_finite"]

"""Per-example losses ℓ⁽ⁿ⁾ and the base case of backprop, δ⁽ᴸ⁾ = ∂ℓ/∂s⁽ᴸ⁾: the one table of them.

Arrays are column vectors or batches of columns (one column per example); ``value`` sums over
the output units and returns one number per column. Each loss also states how the lecture writes
it (``formula``: a tree over the output units k, see :mod:`bptui.core.formulas.formula`) and the numbers of
one example filled in (``terms``); cross-entropy's form depends on the output layer (binary with
sigmoid outputs, categorical with softmax). Adding a loss is one entry here; the schema's enum is
checked against this table by a test.
"""

from __future__ import annotations

import math
from decimal import Decimal
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation, softmax_vjp
from ..formulas.formula import HALF, ONE, TWO, Call, Node, Num, Op, Ref, Sum, Sym, add, mul, sub


def _squared_grad(o: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    return scale * (o - y)


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]
    grad_o: Callable[[np.ndarray, np.ndarray], np.ndarray] | None  # ∂ℓ/∂o, None when δ is taken from s directly
    # ℓ written over the units k, from the symbols o_k, y_k, and the output activation's name
    formula: Callable[[Node, Node, str], Node]
    # ∂ℓ/∂o⁽ᴸ⁾ written from the vectors o, y (for the squared losses: 2(o − y), (o − y))
    grad_formula: Callable[[Node, Node], Node] | None = None

    def terms(self, o: np.ndarray, y: np.ndarray, act: str, L: int, s: np.ndarray | None = None) -> Node:
        """ℓ with one example's numbers: o_k (the board's) and y_k filled in. A sigmoid's or a softmax's
        o_k carries its logarithms (from s, which cross-entropy is computed from; else from o itself),
        so a saturated o_k is printed with the digits that make the line true."""
        logs = self.logs(o, act, s)
        ok = [Num(float(o[k]), Ref("o", L, (k,)), logs=logs[k]) for k in range(len(o))]
        yk = [Num(float(y[k]), Ref("y", None, (k,))) for k in range(len(y))]
        if self.name == "cross_entropy":
            parts: list[Node] = []
            for o_k, y_k in zip(ok, yk):
                if y_k.value != 0:
                    log = Call("log", (o_k,))
                    parts.append(log if y_k.value == 1 else mul(y_k, log))
                if act == "sigmoid" and y_k.value != 1:
                    log = Call("log", (sub(ONE, o_k),))
                    parts.append(log if y_k.value == 0 else mul(sub(ONE, y_k), log))
            return Op("neg", (add(*parts),)) if parts else Num(0.0, exact=True)
        body = add(*[Op("sq", (sub(o_k, y_k),)) for o_k, y_k in zip(ok, yk)])
        return mul(HALF, body) if self.name == "half_squared" else body

    def logs(self, o: np.ndarray, act: str, s: np.ndarray | None) -> list[tuple[float, float] | None]:
        """(ln o_k, ln(1 − o_k)) of each output that is a probability, exact where floats round o_k
        to 0 or 1: cross-entropy's from s, the squared losses' from o as they compute with it."""
        o = np.asarray(o, dtype=float).reshape(-1)
        if act not in ("sigmoid", "softmax"):
            return [None] * len(o)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name != "cross_entropy" or s is None:
                ln_p, ln_q = np.log(o), np.log1p(-o)
            elif act == "sigmoid":
                s = np.asarray(s, dtype=float).reshape(-1)
                ln_p, ln_q = -np.logaddexp(0.0, -s), -np.logaddexp(0.0, s)
            else:  # softmax: ln o_k as the loss has it; ln(1 − o_k) = ln of the sum of the other units' o_j
                s = np.asarray(s, dtype=float).reshape(-1)
                ln_p = log_softmax(s)
                ln_q = np.array([np.logaddexp.reduce(np.delete(ln_p, k)) if len(s) > 1 else -np.inf
                                 for k in range(len(s))])
        return [(float(a), float(b)) for a, b in zip(ln_p, ln_q)]


    def ln_past_floats(self, o: np.ndarray, y: np.ndarray, act: str, s: np.ndarray | None = None) -> float | None:
        """ln ℓ where ℓ is below the smallest normal float (0 there, or subnormal with its digits lost), from
        the logarithms the line's o_k are printed from (:meth:`logs`): a term −log(1 − q) is q to within
        q²/2, so its ln is ln q; (1 − q − 1)² is q², its ln 2 ln q. A squared loss's term on an output that
        is no probability (an identity's o_k, or a target between 0 and 1) is (o_k − y_k)² on the floats
        the line prints, done exactly. None where ℓ is a float's own number (or cross-entropy's o is no
        probability), so the line's result is printed from the very logarithm its argument is:
        ``−log(1 − 2.225e−348) = 2.225e−348``, ``½(1e−200 − 0)² = 5e−401``."""
        logs = self.logs(o, act, s)
        o, y = np.asarray(o, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
        if self.name == "cross_entropy" and any(pair is None for pair in logs):
            return None
        terms: list[float] = []  # ln of each term of ℓ
        for k, pair in enumerate(logs):
            if self.name == "cross_entropy":
                assert pair is not None
                ln_p, ln_q = pair
                weights = [(y[k], ln_p, ln_q)] + ([(1.0 - y[k], ln_q, ln_p)] if act == "sigmoid" else [])
                for weight, ln_x, ln_rest in weights:  # weight · −log x, x = 1 − rest
                    if weight != 0:
                        terms.append(math.log(weight) + _ln_minus_log(ln_x, ln_rest))
                continue
            half = math.log(0.5) if self.name == "half_squared" else 0.0
            if pair is not None and y[k] in (0.0, 1.0):  # (o − y)² with o = p, or o = 1 − q
                terms.append(2 * (pair[0] if y[k] == 0.0 else pair[1]) + half)
            else:  # (o − y)² on the floats as they are, exactly (their difference may lie below the floats)
                gap = abs(Decimal(float(o[k])) - Decimal(float(y[k])))
                terms.append(2 * float(gap.ln()) + half if gap else -math.inf)
        ln = float(np.logaddexp.reduce(terms)) if terms else -math.inf
        return ln if math.isfinite(ln) and ln < _LN_TINY else None


def _ln_minus_log(ln_x: float, ln_rest: float) -> float:
    """ln(−ln x) for x = 1 − rest given by both logarithms: ln rest where rest is past the floats
    (−log(1 − rest) is rest there), else from ln x itself."""
    if ln_rest < -700.0:
        return ln_rest
    return math.log(-ln_x) if ln_x < 0 else -math.inf


_LN_TINY = math.log(2.2250738585072014e-308)  # below it a float keeps fewer digits, then none


def _squared_value(s, o, y, act, scale=1.0):
    return scale * ((o - y) ** 2).sum(axis=0)


def _ce_value(s, o, y, act):
    if act.name == "softmax":
        return -(y * log_softmax(s)).sum(axis=0)
    # binary cross-entropy with sigmoid outputs, from s for stability: −log σ(s) = softplus(−s)
    return (y * np.logaddexp(0.0, -s) + (1.0 - y) * np.logaddexp(0.0, s)).sum(axis=0)


def log_softmax(s: np.ndarray) -> np.ndarray:
    """ln softmax(s) per column, exact also where the largest unit's probability rounds to 1: with
    m = max s and r the sum of e^(s_j − m) over the other units, ln o_k = s_k − m − log1p(r) (the usual
    s − logsumexp(s) loses −log o of the largest to 0 once r is below its last digit: ℓ = 0 for 2·10⁻¹⁵)."""
    s = np.asarray(s)
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(float)
    col = s.reshape(s.shape[0], -1)  # in s's own precision: the gradient check runs in long double
    top = col.argmax(axis=0)
    m = col[top, np.arange(col.shape[1])]
    e = np.exp(col - m)
    e[top, np.arange(col.shape[1])] = 0.0
    return (col - m - np.log1p(e.sum(axis=0))).reshape(s.shape)


def _squared_formula(o: Node, y: Node, act: str) -> Node:
    return Sum("k", Op("sq", (sub(o, y),)))


def _ce_formula(o: Node, y: Node, act: str) -> Node:
    if act == "softmax":
        return Op("neg", (Sum("k", mul(y, Call("log", (o,)))),))
    return Op("neg", (Sum("k", add(mul(y, Call("log", (o,))), mul(sub(ONE, y), Call("log", (sub(ONE, o),))))),))


LOSSES: dict[str, Loss] = {
    "squared": Loss("squared", _squared_value, lambda o, y: _squared_grad(o, y, 2.0), _squared_formula,
                    lambda o, y: mul(TWO, sub(o, y))),
    "half_squared": Loss("half_squared", lambda s, o, y, act: _squared_value(s, o, y, act, 0.5),
                         lambda o, y: _squared_grad(o, y, 1.0),
                         lambda o, y, act: mul(HALF, _squared_formula(o, y, act)), lambda o, y: sub(o, y)),
    "cross_entropy": Loss("cross_entropy", _ce_value, None, _ce_formula),
}


def output_delta(loss: Loss, act: Activation, alpha: float, s: np.ndarray, o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """δ^(L) = ∂ℓ/∂s^(L) for the output layer's activation ``act``."""
    if loss.grad_o is None:  # cross-entropy with its canonical output (sigmoid or softmax)
        if act.name == "softmax":
            return o * y.sum(axis=0, keepdims=True) - y
        return o - y
    g = loss.grad_o(o, y)
    if act.name == "softmax":
        return softmax_vjp(o, g)
    return g * act.df(s, o, alpha)


__all__ = ["LOSSES", "Loss", "output_delta", "Sym"]

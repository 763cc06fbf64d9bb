"""The named functions a line may apply to numbers past the floats, in exact decimals.

σ(−799.5) is 6.047·10⁻³⁴⁸ and softmax([800, 0])₂ is 3.6·10⁻³⁴⁸: both 0 in floats, whose smallest normal
number is 2.2·10⁻³⁰⁸. A function's line at saturation prints its result from these (``formula.plan``: an
array's entries past the floats, ``Arr.small``), done in ``decimal`` in the caller's context (60 digits
there), on the numbers as they are or as printed. Each takes and returns Decimals: a number or an array of
them (``dtype=object``), elementwise, softmax over the last axis. Only the functions whose floats can lose a
result below the normal range have an entry; the others' floats are exact there (relu) or never that small.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import numpy as np

_ONE = Decimal(1)


def _each(f: Callable[[Decimal], Decimal]) -> Callable[..., Any]:
    def apply(x: Any, *_: Any) -> Any:
        if isinstance(x, np.ndarray):
            return np.array([f(v) for v in x.ravel().tolist()], dtype=object).reshape(x.shape)
        return f(x)
    return apply


def _sigmoid(x: Decimal) -> Decimal:
    return _ONE / (_ONE + (-x).exp())


def _tanh(x: Decimal) -> Decimal:
    if abs(x) < Decimal("1e-12"):  # 1 − e^(−2x) would cancel: the series, to 60 digits
        return x - x ** 3 / 3 + 2 * x ** 5 / 15
    e = (-2 * abs(x)).exp()
    t = (_ONE - e) / (_ONE + e)
    return t if x > 0 else -t


def _softplus(x: Decimal) -> Decimal:
    if x < -30:  # ln(1 + e^x) = e^x − e^2x/2 + e^3x/3 − …: 1 + e^x would round e^x away
        e = x.exp()
        return e - e * e / 2 + e * e * e / 3
    return (_ONE + x.exp()).ln()


def softmax(x: Any, causal: Any = 0) -> Any:
    """softmax over the last axis of ``x`` (a vector, or a matrix's rows); with ``causal`` nonzero, row τ's
    entries after τ take no part (0), as the floats' ``softmax_rows`` does."""
    a = np.asarray(x, dtype=object)
    rows = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
    out = np.empty(rows.shape, dtype=object)
    for r, row in enumerate(rows.tolist()):
        n = r % a.shape[-2] + 1 if causal and a.ndim >= 2 else len(row)
        top = max(row[:n])
        e = [(v - top).exp() for v in row[:n]]
        total = sum(e, Decimal(0))
        out[r] = [v / total for v in e] + [Decimal(0)] * (len(row) - n)
    return out.reshape(a.shape)


EXACT: dict[str, Callable[..., Any]] = {
    "sigmoid": _each(_sigmoid),
    "tanh": _each(_tanh),
    "softplus": _each(_softplus),
    "exp": _each(lambda x: x.exp()),
    "sqrt": _each(lambda x: x.sqrt()),
    "softmax": softmax,
    "softmax_rows": softmax,
}

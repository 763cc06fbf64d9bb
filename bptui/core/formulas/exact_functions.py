"""The named functions a line may apply to numbers past the floats, in exact decimals.

σ(−799.5) is 6.047·10⁻³⁴⁸ and softmax([800, 0])₂ is 3.6·10⁻³⁴⁸: both 0 in floats, whose smallest normal
number is 2.2·10⁻³⁰⁸. A function's line at saturation prints its result from these (``formula.plan``: an
array's entries past the floats, ``Arr.small``), done in ``decimal`` in the caller's context (60 digits
there), on the numbers as they are or as printed. Each takes and returns Decimals: a number or an array of
them (``dtype=object``), elementwise, softmax over the last axis. Only the functions whose floats can lose a
result below the normal range have an entry (GELU's sΦ(s) from s ≈ −37.5 on; ELU's α(eˢ − 1) on a subnormal
s); the others' floats are exact there (relu, leaky ReLU) or never that small.
"""

from __future__ import annotations

from decimal import Decimal, getcontext, localcontext
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


def _expm1(x: Decimal) -> Decimal:
    """eˣ − 1, without the cancellation of 1 + x − 1 for a small x (e^(−1e−320) − 1 is −1e−320, not 0):
    its series below |x| = 1, where every term after x is smaller than the one before."""
    if abs(x) >= 1:
        return x.exp() - _ONE
    with localcontext() as ctx:
        ctx.prec += 2
        total, term, n = x, x, 1
        while term != 0 and abs(term) >= abs(total).scaleb(-ctx.prec):
            n += 1
            term = term * x / n
            total += term
    return +total


def _elu(x: Any, alpha: Any) -> Any:
    def one(v: Decimal) -> Decimal:
        return v if v > 0 else Decimal(alpha) * _expm1(v)
    return _each(one)(x)


_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803")


def _erfc(z: Decimal) -> Decimal:
    """erfc(z) = (2/√π) ∫_z^∞ e^(−t²) dt, to the context's digits, for any z: below 6 from the series of
    erf, erf(z) = (2/√π) e^(−z²) Σₙ z(2z²)ⁿ/(1·3·…·(2n + 1)) (every term positive), as 1 − erf(z) with the
    digits that cancel there added; from 6 on (erfc(6) = 2.2e−17; erfc(565) = 1e−138652, past the floats) by
    the continued fraction erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + (3/2)/(z + …)))), evaluated forward
    (Lentz) until a level changes it by less than its last digit."""
    if z < 0:
        return 2 - _erfc(-z)
    digits = getcontext().prec  # the caller's
    with localcontext() as ctx:
        if z < 6:
            ctx.prec = digits + int(z * z) + 10  # 1 − erf(z) cancels about z²·log₁₀(e) of them
            z2, term, n = 2 * z * z, z, 0
            total = z
            while term > total.scaleb(-ctx.prec):  # (z = 0: none)
                n += 1
                term = term * z2 / (2 * n + 1)
                total += term
            erf = 2 / _PI.sqrt() * (-z * z).exp() * total
            out = _ONE - erf
        else:
            ctx.prec = digits + 10
            eps = Decimal(1).scaleb(-ctx.prec)
            f = c = z
            d = Decimal(0)
            j = 0
            while True:
                j += 1
                a = Decimal(j) / 2
                d = _ONE / (z + a * d)
                c = z + a / c
                step = c * d
                f *= step
                if abs(step - _ONE) < eps:
                    break
            out = (-z * z).exp() / _PI.sqrt() / f
    return +out


def _gelu(x: Decimal) -> Decimal:
    """x Φ(x), Φ(x) = ½ erfc(−x/√2): GELU(−40) = −1.46e−348, 0 in floats (Φ is below their range)."""
    return x * _erfc(-x / Decimal(2).sqrt()) / 2


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
    "gelu": _each(_gelu),
    "elu": _elu,
    "exp": _each(lambda x: x.exp()),
    "sqrt": _each(lambda x: x.sqrt()),
    "softmax": softmax,
    "softmax_rows": softmax,
}

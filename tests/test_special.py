"""erf and erfc (bptui/core/util/special.py): float64 exactly as math.erf, extended precision against a
120-digit decimal reference, tails and special values included."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

from bptui.core.util.special import erf, erfc, extended

LD = np.longdouble
EPS = np.finfo(LD).eps
needs_extended = pytest.mark.skipif(not extended(np.dtype(LD)), reason="long double is float64 here")

PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798")


def erf_reference(x: str) -> Decimal:
    """erf by its positive series (2/√π) x e^{−x²} Σ (2x²)ⁿ/(2n+1)!!, 120 digits."""
    with localcontext() as ctx:
        ctx.prec = 120
        a = abs(Decimal(x))
        term = total = Decimal(1)
        n = 0
        while term > total * Decimal("1e-115"):
            n += 1
            term = term * 2 * a * a / (2 * n + 1)
            total += term
        r = 2 / PI.sqrt() * a * (-a * a).exp() * total
        return +(r if Decimal(x) >= 0 else -r)


def erfc_reference(x: str) -> Decimal:
    """erfc: 1 − erf below 3, Laplace's continued fraction (3000 levels, 120 digits) from 3 on."""
    with localcontext() as ctx:
        ctx.prec = 120
        a = Decimal(x)
        if a < 3:
            return 1 - erf_reference(x)
        z = a * a
        f = z + Decimal(4 * 3000 + 1) / 2
        for k in range(3000, 0, -1):
            f = z + Decimal(4 * k - 3) / 2 - Decimal((2 * k - 1) * (2 * k)) / 4 / f
        return a * (-z).exp() / f / PI.sqrt()


def _decimal(v) -> Decimal:
    return Decimal(np.format_float_scientific(v, precision=30, unique=False))


POINTS = np.concatenate([
    np.random.default_rng(0).uniform(-7, 7, 200),
    [0.0, 1e-30, -1e-10, 0.25, 0.999, 1.0, 1.4999, 1.5, 1.5001, 2.0, 3.0, 4.5, 6.0, 8.0, 12.0, 20.0, 27.0, 100.0],
    [-1.5, -2.0, -6.0, -27.0, -100.0],
]).astype(LD)


def test_float64_is_math_erf_to_the_bit():
    x = np.random.default_rng(1).uniform(-9, 9, 20000)
    assert erf(x).dtype == np.float64
    assert np.array_equal(erf(x), [math.erf(v) for v in x])
    assert np.array_equal(erfc(x), [math.erfc(v) for v in x])
    assert erf(np.array([[0.5, -2.0]])).shape == (1, 2)


@needs_extended
def test_extended_erf_against_a_decimal_reference():
    values = erf(POINTS)
    assert values.dtype == LD
    worst = max(abs((_decimal(v) - erf_reference(_decimal(x))) / erf_reference(_decimal(x)))
                for x, v in zip(POINTS, values) if x != 0)
    assert worst <= 4 * Decimal(float(EPS))  # measured 2.7 eps
    assert erf(np.array([0.0], dtype=LD))[0] == 0


@needs_extended
def test_extended_erfc_against_a_decimal_reference_in_the_tails():
    values = erfc(POINTS)
    errors = {float(x): abs((_decimal(v) - erfc_reference(_decimal(x))) / erfc_reference(_decimal(x)))
              for x, v in zip(POINTS, values) if x < 100}
    assert max(errors.values()) <= 32 * Decimal(float(EPS))  # measured 27 eps just below 1.5
    # far in the tail erfc is tiny and still right to the last digits, not 0 or 1 − 1
    assert errors[27.0] <= 4 * Decimal(float(EPS)) and 0 < values[list(POINTS).index(LD(27.0))] < 1e-318


@needs_extended
def test_extended_erf_is_more_precise_than_float64():
    """The point of it: a float64 erf is off by up to ~1e−16, the extended one by ~1e−19."""
    x = POINTS[:200]
    ref = [erf_reference(_decimal(v)) for v in x]
    ours = max(abs((_decimal(v) - r) / r) for v, r in zip(erf(x), ref))
    f64 = max(abs((Decimal(math.erf(float(v))) - r) / r) for v, r in zip(x, ref))
    assert ours * 100 < f64


def test_special_values():
    for dtype in (np.float64, LD):
        x = np.array([np.nan, np.inf, -np.inf, 0.0], dtype=dtype)
        assert np.isnan(erf(x)[0]) and np.isnan(erfc(x)[0])
        assert list(erf(x)[1:]) == [1, -1, 0] and list(erfc(x)[1:]) == [0, 2, 1]

"""numformat.extent reads a few entries in Python and many with NumPy: both readings are the same floats
(a 0 at an end keeps NumPy's sign), with zeros, ±∞ and nan among the entries."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.formulas.numformat import _FEW, extent

ENTRIES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-320, -5e-324]))


def by_numpy(values: np.ndarray) -> tuple[float, float, float] | None:
    """The NumPy reading: the least, the greatest, the smallest nonzero magnitude of the finite entries."""
    a = values[np.isfinite(values)]
    if not a.size:
        return None
    m = np.abs(a)
    m[m == 0] = np.inf
    return float(a.min()), float(a.max()), float(m.min())


def same(a: tuple[float, float, float] | None, b: tuple[float, float, float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(x == y and math.copysign(1.0, x) == math.copysign(1.0, y) for x, y in zip(a, b))


@settings(max_examples=400, deadline=None)
@given(st.lists(ENTRIES, min_size=1, max_size=_FEW + 4))
def test_extent_of_a_few_entries_is_numpys(xs):
    values = np.array(xs, dtype=float)
    assert same(extent(values), by_numpy(values)), (xs, extent(values), by_numpy(values))


def test_extent_of_an_equations_vector():
    assert extent(np.array([-0.012689, 0.007973, -0.0, -0.022014])) == (-0.022014, 0.007973, 0.007973)
    assert extent(np.array([0.0, 2.5, -1.0])) == (-1.0, 2.5, 1.0)
    assert extent(np.array([np.nan, 3.0])) == (3.0, 3.0, 3.0)
    assert extent(np.array([0.0, -0.0])) == (-0.0, 0.0, math.inf)

"""The shortcuts that make ``bptui trace`` and ``bptui export`` faster give what the slower ways give:
the numbers as printed kept by their bytes, a number with extra digits, the walk of a tree, the
−0 check and ``num``'s text (the outputs of every bundled network were compared byte for byte
before and after; these keep the parts honest one by one)."""

from __future__ import annotations

import io
import math
import re
import sys
from dataclasses import replace

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from bptui.core.formulas import formula as F
from bptui.core.formulas.notation import minus_signs, num, short_exponent

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _rounded(x: np.ndarray, d: int) -> np.ndarray:  # the entries as printed, as the interval rules had them
    with np.errstate(all="ignore"):
        ok = np.isfinite(x) & (x != 0)
        mag = np.where(ok, np.floor(np.log10(np.abs(np.where(ok, x, 1.0)))), 0.0)
        scale = 10.0 ** (d - 1 - mag)
        return np.where(ok, np.round(x * scale) / scale, x)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(0, 80), elements=FLOATS), st.integers(1, 17))
def test_the_kept_rounding_is_the_rounding(x: np.ndarray, d: int) -> None:
    want = _rounded(x, d)
    assert np.array_equal(F._rounded_array(x, d)[0], want, equal_nan=True)
    for _ in range(2):  # computed, then kept
        got = F._shown_entries(x, d)
        assert got.shape == want.shape and not got.flags.writeable
        assert np.array_equal(got, want, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(want))


def test_the_kept_rounding_is_by_digits_and_bytes() -> None:
    x = np.array([0.123456, -2.5e-7, 9.99996])
    assert F._shown_entries(x, 4).tolist() == [0.1235, -2.5e-7, 10.0]
    assert F._shown_entries(x, 2).tolist() == [0.12, -2.5e-7, 10.0]
    assert F._shown_entries(x.reshape(3, 1), 4).shape == (3, 1)
    assert F._shown_entries(np.array([0.123456, -2.5e-7, 9.99]), 4).tolist() == [0.1235, -2.5e-7, 9.99]


def test_shown_value_gives_an_array_of_its_own() -> None:
    a = F.shown_value(F.Arr(np.array([0.123456, 2.0])), 4)
    a[0] = 7.0  # the caller's to change: the kept one stays
    assert F.shown_value(F.Arr(np.array([0.123456, 2.0])), 4).tolist() == [0.1235, 2.0]


def test_a_number_with_extra_digits_is_replace_s() -> None:
    for n in (F.Num(0.5, F.Ref("o", 1, (2,)), logs=(-0.69, -0.69), means=F.Sym("x")),
              F.Arr(np.arange(3.0), F.Ref("s", 2), row=True, hidden=(1,))):
        got, want = F._with_extra(n, 3), replace(n, extra=3)
        assert type(got) is type(want) and got.__dict__.keys() == want.__dict__.keys()
        assert all(got.__dict__[k] is want.__dict__[k] or got.__dict__[k] == want.__dict__[k] for k in got.__dict__)
        assert n.extra == 0 and got.extra == 3


def _walk(node):  # the definition: each node, then its children's walks in order
    yield node
    for c in F.children(node):
        yield from _walk(c)


def test_walk_goes_in_the_definition_s_order() -> None:
    x, y = F.Sym("x"), F.Sym("y")
    tree = F.Op("+", (F.Op("*", (F.Num(2.0), x)), F.Call("exp", (F.Op("-", (y, F.Num(1.0))),)),
                      F.Cases(F.Num(3.0), F.Ind(x, ">", F.Num(0.0)), y), F.Sum("k", F.Op("sq", (x,)))))
    assert [id(n) for n in F.walk(tree)] == [id(n) for n in _walk(tree)]
    assert len(list(F.walk(tree))) == 17


def test_minus_zero_is_found_in_floats_and_arrays() -> None:
    for spread in (-0.0, np.float64(-0.0), np.array([1.0, -0.0]), np.array([[0.0], [-0.0]])):
        try:
            F._one_zero(spread)
        except F._Spread:
            continue
        raise AssertionError(f"no spread for {spread!r}")
    for fine in (0.0, 1.5, np.array([0.0, 2.0, math.nan]), np.array([]), np.array([math.inf, -1.0])):
        assert F._one_zero(fine) is fine


@settings(max_examples=500, deadline=None)
@given(FLOATS, st.integers(1, 17))
def test_num_is_the_composition_it_shortens(x: float, digits: int) -> None:
    """num writes %g's digits (the same number) in the form of a vector of one (notation.number_form)."""
    from bptui.core.formulas.notation import g_text, number_form

    if x == 0 or math.isnan(x) or math.isinf(x):
        return
    assert num(x, digits) == minus_signs(short_exponent(g_text(x, digits, number_form(x, digits))))
    assert float(num(x, digits).replace("−", "-")) == float(f"{x:.{digits}g}")
    assert num(np.float64(x), digits) == num(x, digits)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bar_of(monkeypatch, total: int, slow_from: int | None) -> str:
    """What ``progress.shown`` writes to a terminal's standard error while ``total`` steps are
    walked, the steps after ``slow_from`` slow (None: all quick). The bar's clock is the steps': a
    slow step takes 1 ms of it, a quick one none (on the wall clock a loaded machine could stretch
    the quick run past SHOWN_AFTER, and show the bar it must not)."""
    from types import SimpleNamespace

    from bptui import progress

    clock = [0.0]
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "SHOWN_AFTER", 0.2)
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    with progress.shown(total, "trace"):
        for i in range(total):
            progress.step()
            if slow_from is not None and i >= slow_from:
                clock[0] += 0.001
    return err.getvalue()


def test_a_run_of_slow_steps_gets_its_bar_once_it_has_taken_a_while(monkeypatch) -> None:
    assert re.search(r"[1-9]\d*/2000", _bar_of(monkeypatch, 2000, slow_from=100))
    assert _bar_of(monkeypatch, 2000, slow_from=None) == ""  # quick: over before a bar would help

"""The fast :func:`plan` (points instead of intervals, one walk a form, numbers rounded once) gives
every operand the same extra digits as the straightforward one (tests/plan_reference.py: a rebuilt
tree and interval arithmetic per trial), and :func:`shown_value` the same floats, bit for bit, as
the interval evaluation's low end: on random formula trees (every operator and function the
interval rules know, zeros, divisions by 0, 0⁰, bound and unbound symbols, elided arrays) and on
the step equations and explanations of a few networks of each family. Kept small: the property test
of tests/test_formula.py runs the planned equations through every check."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.formula import (Arr, Call, Cases, Equation, Ind, Num, Op, Sym, Unbound, _ival, plan,
                                         shown_value, walk)
from bptui.core.graphs.graph_stepper import GraphStepper
from bptui.core.teaching.explain import explain
from bptui.core.teaching.quiz import equations_of

from .conftest import NETWORKS
from .helpers import random_conv_doc, random_rnn_doc
from .plan_reference import reference_plan
from .test_explain import cells

ALPHA, FREE = Sym("α"), Sym("β")  # α is bound in every equation below, β never
VALUES = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.floats(-1e-3, 1e-3, allow_nan=False),
                   st.sampled_from([0.0, -0.0, 1.0, 2.0, 0.5, 404.85, -0.2006, 0.9151, 9.9996, 1e-9]))
SCALAR_FNS = ["sigmoid", "tanh", "relu", "softplus", "gelu", "exp", "log", "sqrt", "abs", "phi", "Phi", "sin",
              "sign"]


@st.composite
def trees(draw, n: int | None):
    """A formula tree of scalars (``n`` None) or of vectors of ``n`` entries with scalars mixed in."""
    def leaf():
        kind = draw(st.sampled_from(["num", "num", "exact", "arr", "arr", "alpha", "free"]))
        if kind == "exact":
            return Num(draw(st.sampled_from([0.0, 1.0, 2.0, 0.5, -1.0])), exact=True)
        if kind == "alpha":
            return ALPHA
        if kind == "free":
            return FREE if draw(st.integers(0, 5)) == 0 else Num(draw(VALUES))
        if kind == "arr" and n is not None:
            size = n if draw(st.integers(0, 9)) else n + 7  # now and then one a printer elides (and a shape error)
            return Arr(np.array(draw(st.lists(VALUES, min_size=size, max_size=size))))
        return Num(draw(VALUES))

    def node(depth: int):
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            return leaf()
        kind = draw(st.sampled_from(["+", "-", "*", "/", "neg", "sq", "^", "call", "cases", "+many"]))
        if kind in ("+", "-", "*", "/"):
            return Op(kind, (node(depth - 1), node(depth - 1)))
        if kind == "+many":
            return Op("+", tuple(leaf() for _ in range(draw(st.sampled_from([3, 9])))))  # 9: elided
        if kind in ("neg", "sq"):
            return Op(kind, (node(depth - 1),))
        if kind == "^":
            power = draw(st.sampled_from([Num(0.0, exact=True), Num(2.0, exact=True), Num(3.0, exact=True),
                                          Num(-1.0, exact=True), Num(-2.0, exact=True), Num(draw(VALUES))]))
            return Op("^", (node(depth - 1), power))
        if kind == "cases":
            return Cases(node(depth - 1), Ind(node(depth - 1), draw(st.sampled_from([">", "≥", "<"])),
                                              Num(0.0, exact=True)), node(depth - 1))
        fns = SCALAR_FNS + (["softmax"] if n is not None else [])
        return Call(draw(st.sampled_from(fns)), (node(depth - 1),))

    form = node(draw(st.integers(1, 4)))
    if n is not None and draw(st.integers(0, 3)) == 0:  # a matrix times the vector, or an outer product
        m = draw(st.integers(1, 3))
        matrix = Arr(np.array(draw(st.lists(VALUES, min_size=m * n, max_size=m * n))).reshape(m, n))
        form = Op("@", (matrix, form)) if draw(st.booleans()) else Op("outer", (form, Arr(matrix.values[0])))
    return form


def signature(eq: Equation) -> tuple:
    """Every number's extra digits, in the order the forms are walked, and the digits planned for."""
    return eq.planned, tuple((type(n).__name__, n.extra) for f in eq.forms for n in walk(f)
                             if isinstance(n, (Num, Arr)))


def outcome(planner, eq: Equation, digits: int) -> tuple:
    """The signature of the planned equation, or that planning it raised (an outer product of a scalar:
    neither plan takes it for nothing to redo; which error a tree no equation has meets first is not
    compared: the plan's check of an array's entries past the floats meets a scalar's outer product
    before the straightforward plan's indexing does)."""
    try:
        return signature(planner(eq, digits))
    except (IndexError, ValueError, TypeError):
        return ("error",)


def same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return (a.shape == b.shape and np.array_equal(a, b, equal_nan=True)  # a NaN's sign means nothing
            and np.array_equal(np.signbit(a) & ~np.isnan(a), np.signbit(b) & ~np.isnan(b)))


@settings(max_examples=150, deadline=None)
@given(st.data(), st.one_of(st.none(), st.integers(1, 3)), st.integers(1, 6), st.integers(0, 2))
def test_plan_and_shown_value_equal_the_straightforward_ones_on_random_trees(data, n, digits, drift):
    forms = [data.draw(trees(n)) for _ in range(data.draw(st.integers(1, 3)))]
    bindings = {ALPHA: data.draw(VALUES)}
    try:
        with np.errstate(all="ignore"):
            exact = np.asarray(_ival(forms[0], 12, bindings, False).lo, dtype=float)
    except (Unbound, TypeError, ValueError, IndexError):
        exact = np.zeros(n or ())
    # the result: the first form's value, now and then off in a late digit (no operand digits can fix it)
    value = exact * (1 + 1e-7 * drift)
    result = Num(float(value)) if value.ndim == 0 else Arr(value.reshape(-1))
    eq = Equation(Sym("y"), (*forms, result), bindings=bindings)
    if drift == 2:  # planned before at other digits: the operands carry digits into this plan
        before = outcome(reference_plan, eq, digits + 1)
        assert outcome(plan, eq, digits + 1) == before
        eq = reference_plan(eq, digits + 1) if before != ("error",) else eq
    assert outcome(plan, eq, digits) == outcome(reference_plan, eq, digits)
    for form in forms:
        try:
            with np.errstate(all="ignore"):
                want = _ival(form, digits, bindings, False).lo
        except (Unbound, TypeError, ValueError, IndexError) as e:
            with pytest.raises(type(e)), np.errstate(all="ignore"):
                shown_value(form, digits, bindings)
            continue
        with np.errstate(all="ignore"):
            assert same_bits(shown_value(form, digits, bindings), want)


@functools.cache
def network_equations() -> list:
    """The step equations of one epoch and every cell's explanation at every fourth step of xor."""
    return list(_network_equations())


def _network_equations():
    docs = {"xor": load_any(NETWORKS / "xor.json"), "lecture13": load_any(NETWORKS / "lecture13.json"),
            "conv": parse(random_conv_doc(3, n=2, update="per_example"), "conv.json"),
            "rnn": parse(random_rnn_doc(5, n=2), "rnn.json")}
    for name, spec in docs.items():
        stepper = GraphStepper(spec) if spec.kind == "graph" else Stepper(spec)
        n = 0
        while not (stepper.at_end if spec.kind == "graph" else stepper.position >= len(stepper.schedule)):
            step = stepper.forward()
            yield from ((name, eq) for eq in equations_of(stepper, step))
            if name == "xor" and n % 4 == 0:
                yield from ((name, eq) for cell in cells(spec) for eq in explain(stepper, cell, 4).equations)
            n += 1


def test_plan_equals_the_straightforward_one_on_networks():
    planned = 0
    for digits in (2, 4, 6):
        for name, eq in network_equations():
            got, want = plan(eq, digits), reference_plan(eq, digits)
            assert signature(got) == signature(want), (name, digits)
            planned += any(n.extra for f in want.forms for n in walk(f) if isinstance(n, (Num, Arr)))
    assert planned > 0  # some operands needed extra digits: the search was compared too

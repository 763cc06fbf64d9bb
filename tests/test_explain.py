"""Explanations: every number an explanation lists adds up to the number on the board."""

import copy
import json
import math

import numpy as np
import pytest

from bptui.core.teaching.explain import Cell, explain
from bptui.core.graphs.graph_stepper import GraphStepper
from bptui.core.formats.spec import load_any, parse
from bptui.core.engine.stepper import Stepper

from .conftest import GRAPH_EXAMPLES, NETWORKS
from .helpers import random_spec


def cells(spec):
    """Every cell of every quantity of a network."""
    out = [Cell("loss")]
    for l in range(0, spec.L + 1):
        first = 0 if l < spec.L else 1
        out += [Cell("o", l, b) for b in range(first, spec.widths[l] + 1)]
    for l in range(1, spec.L + 1):
        for b in range(1, spec.widths[l] + 1):
            out += [Cell("s", l, b), Cell("delta", l, b)]
            out += [Cell(q, l, b, a) for q in ("G", "W") for a in range(spec.widths[l - 1] + 1)]
    return out


def board_value(stepper, cell):
    st, spec = stepper.state, stepper.spec
    q, l, b, a = cell.quantity, cell.layer, cell.unit, cell.column
    if q == "loss":
        return st.loss
    if q in ("G", "W"):
        return (st.G if q == "G" else st.W)[l][b - 1, a]
    array = {"s": st.s, "o": st.o, "delta": st.delta}[q][l]
    if array is None:
        return None
    return array[b] if q == "o" and l < spec.L else array[b - 1]


def check_all(stepper):
    for cell in cells(stepper.spec):
        e = explain(stepper, cell)
        expected = board_value(stepper, cell)
        if expected is None:
            assert e.value is None and "not been computed" in e.title
            continue
        assert e.value == expected, (cell, e.text())
        if e.terms:
            total = 0.0
            for t in e.terms:  # added in the order listed, as a student would
                total += t
            assert e.factor * total == pytest.approx(expected, rel=1e-12, abs=1e-15), (cell, e.text())
        text = e.text()
        assert text.splitlines()[0] == e.title and "nan" not in text


def xor_doc(**training):
    doc = json.loads((NETWORKS / "xor.json").read_text())
    doc["training"].update(training)
    return doc


SPECS = {
    "xor": lambda: load_any(NETWORKS / "xor.json"),
    "chain": lambda: load_any(NETWORKS / "chain.json"),
    "classifier": lambda: load_any(NETWORKS / "classifier.json"),
    "regression": lambda: load_any(NETWORKS / "regression.json"),
    "softmax-squared": lambda: random_spec([3, 4, 3], output="softmax", loss="squared", seed=1),
    "sigmoid-ce": lambda: random_spec([2, 3, 2], hidden="relu", output="sigmoid", loss="cross_entropy", seed=2),
    "mini-batch-l2": lambda: random_spec([2, 3, 1], update={"batch_size": 2}, n=5, l2=0.1, seed=3),
    "momentum": lambda: parse(xor_doc(optimizer="momentum", momentum=0.5, l2=0.01), "xor.json"),
    "adam": lambda: parse(xor_doc(optimizer="adam", update="per_example", l2=0.01), "xor.json"),
}


@pytest.mark.parametrize("name", SPECS)
def test_every_cell_at_every_step_adds_up(name):
    spec = SPECS[name]()
    stepper = Stepper(spec)
    check_all(stepper)  # before the first step: only W is known
    for _ in range(min(2 * len(stepper.schedule), 150)):
        stepper.forward()
        check_all(stepper)


def test_the_lecture_rules_in_the_text():
    stepper = Stepper(load_any(NETWORKS / "xor.json"))
    stepper.goto(17)  # example 2, δ⁽¹⁾ just computed
    s = explain(stepper, Cell("s", 1, 1)).text()
    assert "s₁⁽¹⁾ = Σₐ w₁,ₐ⁽¹⁾ oₐ⁽⁰⁾" in s and "0.1·1 + 0.5·0 + (−0.4)·1" in s and s.rstrip().endswith("= −0.3")
    d = explain(stepper, Cell("delta", 1, 2)).text()
    assert "(Σ_c δ_c⁽²⁾ w_{c,2}⁽²⁾)·(1 − (o₂⁽¹⁾)²)" in d and "(1 − 0.3799²)" in d
    base = explain(stepper, Cell("delta", 2, 1)).text()
    assert "2(o₁⁽²⁾ − y₁)·o₁⁽²⁾·(1 − o₁⁽²⁾)" in base and "2(0.4057 − 1)·0.4057·(1 − 0.4057)" in base
    stepper.goto(len(stepper.schedule))  # after the update
    g = explain(stepper, Cell("G", 1, 2, 2))
    assert "over n = 1, 2, 3, 4" in g.text() and len(g.terms) == 4
    w = explain(stepper, Cell("W", 1, 1, 2))
    assert "w₁,₂⁽¹⁾ ← w₁,₂⁽¹⁾ − η G₁,₂⁽¹⁾" in w.text() and "after all 4 examples of epoch 1" in w.title


def test_wide_layers_are_elided_in_the_text_not_in_the_terms():
    spec = random_spec([20, 3, 1], seed=4)
    stepper = Stepper(spec)
    stepper.forward()
    e = explain(stepper, Cell("s", 1, 2))
    assert len(e.terms) == 21 and "(21 terms, 16 not shown)" in e.text() and "…" in e.text()


def test_bad_cells_are_refused():
    stepper = Stepper(load_any(NETWORKS / "xor.json"))
    for cell in (Cell("s", 3, 1), Cell("s", 1, 3), Cell("o", 2, 0), Cell("W", 1, 1, 3), Cell("x", 1, 1)):
        with pytest.raises(ValueError):
            explain(stepper, cell)


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_graph_values_and_adjoints_add_up(name):
    spec = load_any(NETWORKS / f"{name}.json")
    stepper = GraphStepper(spec)
    names = list(stepper.state.values)
    while True:
        for node in names:
            for q in ("value", "adjoint"):
                e = explain(stepper, Cell(q, node=node))
                board = (stepper.state.values if q == "value" else stepper.state.adjoints)[node]
                if board is None:
                    assert e.value is None
                    continue
                assert e.value == board
                if e.terms:
                    assert math.fsum(e.terms) == pytest.approx(board, rel=1e-12)
        if stepper.at_end:
            break
        stepper.forward()


def test_the_lecture_adjoint_of_b():
    stepper = GraphStepper(load_any(NETWORKS / "lecture13.json"))
    stepper.goto(len(stepper.schedule))
    text = explain(stepper, Cell("adjoint", node="b")).text()
    assert "g_b = ∂y/∂b\n      = ∂y/∂e · ∂e/∂b + ∂y/∂c · ∂c/∂b" in text
    assert "g_e·(−a/b²) + g_c·cos(b)" in text and "1·(−6/0.6931²) + 0.1667·cos(0.6931)" in text
    assert text.rstrip().endswith("= −12.36")
    with pytest.raises(ValueError):
        explain(stepper, Cell("adjoint", node="nope"))


def test_explain_leaves_the_stepper_alone():
    stepper = Stepper(load_any(NETWORKS / "xor.json"))
    stepper.goto(30)
    before = copy.copy(stepper.state.__dict__), stepper.position
    for cell in cells(stepper.spec):
        explain(stepper, cell)
    assert stepper.position == before[1]
    for k, v in before[0].items():
        assert stepper.state.__dict__[k] is v or np.array_equal(stepper.state.__dict__[k], v)

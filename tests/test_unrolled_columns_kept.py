"""The unrolled graph's columns of numbers (s, o, δ of a box, an input x_τ) are formatted once for the
values they show in their panel's format: a step formats again only the columns of the quantity it wrote,
and every box's text is the text formatted afresh (a column kept is never one of other values, digits,
rows or format)."""

import numpy as np
import pytest

import bptui.tui.unrolled as unrolled
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.unrolled import box_id, example_length, unrolled_graph, unrolled_state

from .conftest import NETWORKS


def _fresh(stepper, diagram, digits):
    unrolled._COLUMNS.clear()
    return unrolled_state(stepper, diagram, digits).texts


@pytest.mark.parametrize("net,notation", [("long_memory", None), ("parity", "ng"), ("gru_parity", None)])
def test_kept_columns_are_the_columns_formatted_afresh(net, notation):
    P = PROFILES[notation] if notation else None
    st = Stepper(load(NETWORKS / f"{net}.json"), notation=P)
    steps = 0
    while steps < 400 and st.next_key is not None:  # the first example's forward, loss, backward, update and on
        st.forward()
        steps += 1
        if steps % 7 and st.last.key.phase not in ("loss", "update"):
            continue
        for digits in (4, 3):
            d = unrolled_graph(st.net, example_length(st), digits, P)
            kept = unrolled_state(st, d, digits).texts
            assert kept == _fresh(st, d, digits), (st.last.key, digits)


def test_a_step_formats_only_the_columns_it_changed(monkeypatch):
    st = Stepper(load(NETWORKS / "long_memory.json"))
    while st.next_key.phase != "backward":
        st.forward()
    for _ in range(5):
        st.forward()
    while st.next_key.quantity != "delta":
        st.forward()
    d = unrolled_graph(st.net, example_length(st), 4, None)
    unrolled_state(st, d, 4)
    formatted = []
    real = unrolled._column
    monkeypatch.setattr(unrolled, "_column", lambda a, *args: formatted.append(a.copy()) or real(a, *args))
    before = unrolled_state(st, d, 4).texts
    assert formatted == []  # nothing changed: nothing formatted again
    st.forward()  # one δ of one box: that layer's δ columns, written in the format of its δ board, and no other
    key = st.last.key
    after = unrolled_state(st, d, 4).texts
    rows = np.asarray(st.state.delta[key.layer], dtype=float)
    assert 1 <= len(formatted) <= len(rows), len(formatted)
    assert all(any(np.array_equal(a, r, equal_nan=True) for r in rows) for a in formatted)
    changed = [i for i in after if after[i] != before[i]]
    assert box_id(key.layer, key.time) in changed
    assert all(i.startswith(f"h{key.layer}_") for i in changed), changed

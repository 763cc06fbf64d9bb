"""One mapping of the lecture's board to a profile's quantities (issue 23): the app's panel and the
Refs that explanations, the quiz and exercises read (``shown_ref`` / ``shown_value``) agree.

Over random dense networks, in every profile (the shipped ones and two courses'), after steps all
through an epoch: every W, b, G (G/m) and ∂/∂b cell the panel shows stands at the place in the shown
part (row and column of W's part, entry of b) where ``shown_ref`` puts the lecture's entry the cell's
key names, its text is ``shown_value`` of that part there (for the board's group of m examples), and the
profile's own ``weights_shown``/``bias_shown``/``weight_at``/``gradient_shown`` say the same. Changing
either side alone (the panel's index map, or ``shown_ref``'s) makes the check fail: the last test does
each and sees it fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from bptui.core.engine import equations as E
from bptui.core.engine.stepper import Stepper
from bptui.core.formulas import profiles
from bptui.core.formulas.formula import Ref, TextPrinter
from bptui.core.formulas.profiles import shown_ref, shown_value

from .test_formula import networks
from .test_notation_panels import ALL, built, heading_of, parse, shown_cells


def panel_parts(stepper, sheet) -> list[tuple[tuple, str, tuple[int, ...], str]]:
    """The panel's W and G cells as (key, part, index in the part, text): the part the heading says
    (W's, or b's with a separate bias; G's or its b's), the index from where the cell stands among that
    part's cells — a matrix's row is the rank of its line, its column the rank in the line; a bias's
    entry is its rank in reading order."""
    P, l = stepper.notation, sheet.l_index
    p = TextPrinter(notation=P).p
    bias_names = {p(E.b(l)): "W", p(E.Gb(l)): "G"} if P.separate_bias else {}
    cells: dict[tuple[str, int], list] = {}
    for y, x, key, text in shown_cells(sheet):
        if key[0] not in ("W", "G"):
            continue
        which = 1 if bias_names.get(heading_of(sheet, y, x)) == key[0] else 0
        cells.setdefault((key[0], which), []).append((y, key, text))
    out = []
    for (q, which), found in cells.items():
        view = P.parts(q)[which]
        lines = sorted({y for y, _, _ in found})
        for n, (y, key, text) in enumerate(found):
            if len(profiles.VIEWS[view.partition("/")[0]].shape((2, 2))) == 1:  # b: a vector
                index: tuple[int, ...] = (n,)
            else:
                index = (lines.index(y), [k for yy, k, _ in found if yy == y].index(key))
            out.append((key, view, index, text))
    return out


def check_agree(stepper, sheets) -> int:
    P, L, st_ = stepper.notation, stepper.spec.L, stepper.state
    m = E.board_group_size(stepper)
    checked = 0
    for sheet in sheets:
        l = sheet.l_index
        W, G = st_.W[l], st_.G[l]
        seen = set()
        for key, view, index, text in panel_parts(stepper, sheet):
            q, _, r, a = key
            ref = shown_ref(Ref(q, l, (r, a)), P, L)
            assert (ref.view, ref.index) == (view, index), (P.name, key, view, index, ref)
            value = float(shown_value(W if q == "W" else G, ref.view, m)[ref.index])
            number, half = parse(text)
            assert abs(number - value) <= half * (1 + 1e-9) + 1e-12 or np.isnan(value), (P.name, key, text, value)
            seen.add((q, r, a))
            checked += 1
        assert seen == {(q, r, a) for q in "WG" for r in range(W.shape[0]) for a in range(W.shape[1])}
        # the profile's named readers: the same parts, the same places
        for q, M in (("W", W), ("G", G)):
            shown = P.weights_shown(M) if q == "W" else P.gradient_shown(P.weights_shown(M), m)
            for i, j in np.ndindex(*shown.shape):
                ref = shown_ref(Ref(q, l, P.weight_at(i, j)), P, L)
                assert ref.index == (i, j) and ref.view == P.parts(q)[0]
                assert shown[i, j] == shown_value(M, ref.view, m)[i, j]
            if P.separate_bias:
                b = P.bias_shown(M) if q == "W" else P.gradient_shown(P.bias_shown(M), m)
                assert list(b) == list(shown_value(M, P.parts(q)[1], m))
    return checked


def walk(spec, name: str) -> int:
    """An epoch and into the next, the panels built and checked after each step."""
    stepper = Stepper(spec, notation=ALL[name])
    checked = check_agree(stepper, built(stepper))
    for _ in range(len(stepper.schedule) + 2):
        stepper.forward()
        checked += check_agree(stepper, built(stepper))
    return checked


@settings(max_examples=8, deadline=None, derandomize=True)
@given(networks())
def test_the_panel_and_shown_ref_read_every_weight_and_gradient_alike_in_every_profile(spec):
    for name in ALL:
        assert walk(spec, name) > 0, name


def test_a_change_to_either_reader_alone_is_caught(monkeypatch):
    """The panel's lecture index moved off by one, or shown_ref's transpose dropped: the check fails."""
    from bptui.core.formats.spec import load
    from bptui.tui import profile_sheet

    from .conftest import NETWORKS

    spec = load(NETWORKS / "xor.json")
    for name in ("nielsen", "cs231n"):
        assert walk(spec, name) > 0
    real = profiles.lecture_index
    with monkeypatch.context() as mp:  # the panel alone: W's part one column to the right
        mp.setattr(profile_sheet, "lecture_index",
                   lambda view, i: (i[0], i[1] + 2) if view.startswith("W") and i[1] == 0 else real(view, i))
        with pytest.raises(AssertionError):
            walk(spec, "nielsen")
    views = dict(profiles.VIEWS)
    with monkeypatch.context() as mp:  # shown_ref alone: W.T's entries found untransposed
        wt = views["W.T"]
        mp.setitem(profiles.VIEWS, "W.T", profiles.View(wt.take, wt.shape, wt.lecture,
                                                        lambda i: (i[0], i[1] - 1) if i[1] > 0 else None))
        with pytest.raises(AssertionError):
            walk(spec, "cs231n")

"""Issue 24: the sequence panels showed no optimizer state (a dense panel shows momentum's velocity and
Adam's moments under W⁽ˡ⁾): an rnn, LSTM or GRU network trained with momentum or Adam shows each layer's
state under its weights, in the lecture's panel and a profile's, from the state the core holds (as the
profile writes it: ``view.optimizer_state``), under the heading the profile names it with."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.tui.seq_sheet import SeqSheet
from bptui.tui.view import optimizer_state

from .test_layout_arrangement import app_with

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?")


def numbers(text: str) -> list[tuple[float, float]]:
    """The numbers of a line's text, each with half a unit of its last printed digit (what it may be off)."""
    out = []
    for n in NUMBER.findall(text):
        mantissa, _, exp = n.replace("−", "-").partition("e")
        digits = len(mantissa.partition(".")[2])
        out.append((float(mantissa) * 10.0 ** int(exp or 0), 0.5 * 10.0 ** (int(exp or 0) - digits)))
    return out


def shown_rows(stepper, l: int, array) -> np.ndarray:
    """A state's rows as the panel's columns show them: the lecture's [bias │ W │ U], or with a separate
    bias the columns of W and U, then b (and a GRU's own bias of U, b_{h})."""
    P = stepper.notation
    A = np.asarray(array, dtype=float)
    if P is not None and P.separate_bias:
        own = [c for c, _, _ in stepper.spec.layer_kinds[l - 1].separate_biases(l)]
        weights = [c for c in range(1, A.shape[1]) if c not in own]
        return A[:, weights + [0] + own]
    return A


@pytest.mark.parametrize("notation", [None, "ng", "nielsen", "goodfellow"])
@pytest.mark.parametrize("name, optimizer", [("parity", "adam"), ("parity", "momentum"), ("gru_parity", None),
                                             ("long_memory_lstm", None)])
async def test_a_sequence_panel_shows_the_optimizers_state_after_an_update(name, optimizer, notation):
    app = app_with(name, notation, optimizer)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("u")  # to the end of the first update: every layer's state written
        await pilot.pause()
        await pilot.pause()
        stepper = app.stepper
        assert stepper.state.opt[1].arrays()
        for panel in app.main.query(SeqSheet):
            l = panel.l_index
            if not stepper.spec.layer_kinds[l - 1].has_weights:
                continue
            lines = ["".join(t for t, _, _ in line) for line in panel.lines]
            state = optimizer_state(stepper, l, stepper.notation)
            assert state, (name, l)
            rows = stepper.state.W[l].shape[0]
            for label, array in state:
                assert float(np.abs(array).max()) > 0  # (after an update: a state that is not all zeros)
                heads = [y for y, line in enumerate(lines) if label in line]
                assert len(heads) == 1, (label, "\n".join(lines))
                y = heads[0]
                x = lines[y].index(label)
                x -= 2 if lines[y][:x].endswith("▶ ") else 0  # (marked in the update that changed it)
                shown = shown_rows(stepper, l, array)
                for b in range(rows):
                    line = lines[y + 1 + b]
                    # this state's numbers: from its heading's column, up to the next state's on the line
                    others = [lines[y].index(other) - 2 * lines[y][:lines[y].index(other)].endswith("▶ ")
                              for other, _ in state if other != label and other in lines[y] and lines[y].index(other) > x]
                    part = line[x:min(others, default=len(line))].replace("│", " ")
                    got = numbers(re.sub(r"^\s*[^\s\d−.-]\S*", "", part))  # (without the row's label: b=1, j=1, r1)
                    assert len(got) == len(shown[b]), (label, b, line)
                    for (value, off), want in zip(got, shown[b]):
                        assert abs(value - want) <= off * 1.0001, (label, b, line, want)


@pytest.mark.parametrize("name, optimizer", [("parity", "adam"), ("gru_parity", None)])
async def test_a_row_vector_sequence_panel_shows_the_optimizers_state_transposed(name, optimizer):
    """cs231n: the state under the weights as W's parts are shown, transposed: its heading, the line of
    units, then a line per input k (W's, U's), b's line (a GRU's b_{h}'s), each entry the state's."""
    app = app_with(name, "cs231n", optimizer)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        stepper = app.stepper
        for panel in app.main.query(SeqSheet):
            l = panel.l_index
            lines = ["".join(t for t, _, _ in line) for line in panel.lines]
            for label, array in optimizer_state(stepper, l, stepper.notation):
                heads = [y for y, line in enumerate(lines) if label in line]
                assert len(heads) == 1, (label, "\n".join(lines))
                shown = shown_rows(stepper, l, array)  # a line per column of it
                # its columns: from its heading's (▶) on, up to the next state's beside it (W's rows' left of it,
                # when it stands beside them: ``parts_beside``)
                head = lines[heads[0]]
                x0 = head.index(label) - (2 if head[:head.index(label)].endswith("▶ ") else 0)
                after = [head.index(other) - (2 if head[:head.index(other)].endswith("▶ ") else 0)
                         for other, _ in optimizer_state(stepper, l, stepper.notation) if head.find(other) > x0 + 2]
                x1 = min(after, default=10**6)
                assert re.fullmatch(r"\s*((j=)?[a-z]?\d+\s*)+", lines[heads[0] + 1][x0:x1]), lines[heads[0] + 1]  # the units
                for i in range(shown.shape[1]):
                    line = lines[heads[0] + 2 + i][x0:x1]
                    got = numbers(" ".join(w for w in line.split() if re.match(r"[−.\d-]", w)))
                    assert len(got) == shown.shape[0], (label, i, line)
                    for (value, off), want in zip(got, shown[:, i]):
                        assert abs(value - want) <= off * 1.0001, (label, i, line, want)

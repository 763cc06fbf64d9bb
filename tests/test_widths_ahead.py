"""``Stepper.widths_ahead``: the cells' width each layer's arrays need through the example on the board is
the widest any of them needs after any of its steps, as stepping it shows; working it out leaves the stepper
where it was."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.numformat import array_cell_width, extent, extents

from .conftest import NETWORKS


def stepped_widths(stepper: Stepper, steps: int, digits: int) -> dict[int, int]:
    """Each layer's widest cell over the board as it stands now and after each of the next ``steps`` steps."""
    L = stepper.spec.L
    out = {l: 0 for l in range(1, L + 1)}
    for i in range(steps + 1):
        if i:
            stepper.forward()
        for l in range(1, L + 1):
            for a in stepper.state.layer_arrays(l).values():
                if a is not None:
                    out[l] = max(out[l], array_cell_width(a, digits))
    return out


@pytest.mark.parametrize("name", ["gru_parity", "long_memory_lstm", "count_tokens", "tiny_transformer", "parity",
                                  "xor"])
def test_the_widths_ahead_are_the_widths_the_examples_steps_show(name: str) -> None:
    spec = load(NETWORKS / f"{name}.json")
    stepper, replay = Stepper(spec), Stepper(spec)
    for examples in range(3):
        stepper.forward()  # an example's first step: its widths before any other of its steps
        first = stepper.position - 1
        keys = stepper.example_keys()
        assert keys[0].step - 1 == first and keys[0].example_start
        state, position, checkpoints = stepper.state, stepper.position, dict(stepper._checkpoints)
        W, s = list(state.W), list(state.s)
        ahead = stepper.widths_ahead(4)
        assert stepper.state is state and stepper.position == position and stepper._checkpoints == checkpoints
        assert list(stepper.state.W) == W and list(stepper.state.s) == s
        replay.goto(first + 1)
        assert ahead == stepped_widths(replay, len(keys) - 1, 4), (name, examples)
        replay.goto(first + len(keys) // 2)  # (from the middle of the example, replayed: the same)
        assert replay.widths_ahead(4) == ahead
        stepper.goto(first + len(keys))  # the example's last step (its group's update when it ends the group)
        assert stepper.widths_ahead(4) == ahead


def test_extents_of_arrays_are_each_ones_extent() -> None:
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(4, 3)) * 10.0 ** k for k in range(-9, 7)]
    arrays[2][1] = np.nan
    arrays[3][:] = np.nan
    arrays[4][0, 0] = np.inf
    arrays[5][:] = 0.0
    assert extents(arrays) == [extent(a) for a in arrays]

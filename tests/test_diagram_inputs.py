"""The `c` graph and the `d` diagram show the input the status names: before the first step (and after
`r`) the status reads ``o⁽⁰⁾ = [1, x] = [1, 0.5363, −1.258, 0.7031, 0.949]`` and ``y = [0, 0, 1]`` (iris,
example 116), while the graph's o⁽⁰⁾ and y boxes read ``= ·`` and the diagram's inputs ``x₁ = ·``, as if
they were yet to be computed; the map panel (edges) and a recurrent panel show x at step 0 already."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.notation import num, vec
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.diagrams import MAP_ROWS, PENDING, network_graph, network_graph_state, nn_diagram, nn_state

from .conftest import NETWORKS


@pytest.mark.parametrize("name", ["xor", "iris"])
@pytest.mark.parametrize("notation", [None, "ng"])
def test_the_graphs_input_and_target_before_the_first_step_are_the_statuss(name, notation):
    spec = load(NETWORKS / f"{name}.json")
    P = None if notation is None else PROFILES[notation]
    stepper = Stepper(spec, notation=P)
    at = stepper.where()
    assert stepper.last is None and stepper.state.o[0] is None
    state = network_graph_state(stepper, network_graph(spec, 4, P) if P else network_graph(spec, 4), 4)
    shown_x = at.x if P is not None and P.separate_bias else [1.0, *at.x]
    assert state.texts["o0"][1] == f"= {vec(np.asarray(shown_x), 4)}"
    assert state.texts["y"][1] == f"= {vec(np.asarray(at.y), 4)}"
    assert "o0" not in state.pending and "y" not in state.pending
    assert state.texts["loss"][1] == f"= {PENDING}"  # (what is computed stays pending)
    stepper.forward()  # s⁽¹⁾: the same input, now on the board
    after = network_graph_state(stepper, network_graph(spec, 4, P) if P else network_graph(spec, 4), 4)
    assert after.texts["o0"][1] == state.texts["o0"][1]


@pytest.mark.parametrize("name", ["xor", "moons"])
def test_the_diagrams_inputs_before_the_first_step_are_the_statuss(name):
    spec = load(NETWORKS / f"{name}.json")
    stepper = Stepper(spec)
    x = stepper.where().x
    state = nn_state(stepper, nn_diagram(spec, 4), 4)
    lines = [state.texts[f"u0_{b}"][-1] for b in range(1, spec.widths[0] + 1)]
    assert lines == [f"x{'₁₂'[b]} = {num(float(x[b]), 4)}" for b in range(spec.widths[0])]
    assert not any(f"u0_{b}" in state.pending for b in range(1, spec.widths[0] + 1))
    assert any("◆" in line for line in state.texts["u1_1"][:MAP_ROWS])  # the example's place in each map
    assert "u1_1" in state.pending  # (layer 1 is yet to be computed)


def test_the_unrolled_graphs_inputs_before_the_first_step_are_the_statuss():
    """parity's unrolled graph (``c``): each x_τ box and y read ``= ·`` before the first step."""
    from bptui.tui.unrolled import unrolled_graph, unrolled_state

    spec = load(NETWORKS / "parity.json")
    stepper = Stepper(spec)
    at = stepper.where()
    diagram = unrolled_graph(stepper.net, len(at.x))
    state = unrolled_state(stepper, diagram, 4)
    for t, x_t in enumerate(at.x, start=1):
        assert state.texts[f"x_{t}"][-1] == num(float(x_t[0]), 4), state.texts[f"x_{t}"]
        assert f"x_{t}" not in state.pending
    assert state.texts["y"][-1] == f"= {vec(np.asarray(at.y), 4)}" and "y" not in state.pending

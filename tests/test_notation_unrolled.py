"""A recurrent network's unrolled computation graph (c) and the training screen's ‖δ_τ‖ panel in a notation
profile: each box prints the first form of its step's equation as the profile's step equations write it,
the W box the parts the profile's panels show, and no lecture-only symbol."""

import numpy as np
import pytest

from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.unrolled import box_id, example_length, unrolled_graph, unrolled_state, unrolled_title

from .conftest import NETWORKS
from .test_notation_views import lecture_only


@pytest.mark.parametrize("name", ["nielsen", "goodfellow", "ng", "cs231n"])
@pytest.mark.parametrize("net", ["parity", "stacked_parity"])
def test_each_unrolled_box_prints_its_profiled_steps_first_form(name, net):
    P = PROFILES[name]
    st = Stepper(load(NETWORKS / f"{net}.json"), notation=P)
    p = TextPrinter(notation=P).p
    checked = 0
    text = ""
    for _ in range(len(st.schedule) // 3):
        step = st.forward()
        key = step.key
        d = unrolled_graph(st.net, example_length(st), 4, P)
        state = unrolled_state(st, d, 4)
        text += "\n".join([unrolled_title(P)] + [n.name for n in d.nodes] + [t for ls in state.texts.values() for t in ls])
        if key.quantity not in ("s", "o"):
            continue
        eqs = step_equations(st.net, st.state, step, notation=P)
        lines = state.texts[box_id(key.layer, key.time)]
        o_line = next(i for i, line in enumerate(lines) if line.startswith(p_o(p) + " = "))
        shown = " ".join(line.strip() for line in lines[:o_line]) if key.quantity == "s" else lines[o_line]
        assert shown.partition(" = ")[2] == p(eqs[0].forms[0]), (key, shown)
        checked += 1
    assert checked > 8
    assert not [m for m in lecture_only(P) + ["ℓ_D", "[W | U]"] if m in text], text


def p_o(p):
    from bptui.core.formulas.formula import Sym

    return p(Sym("o", vector=True))


def test_ng_unrolled_w_box_holds_w_u_b_and_their_mean_gradients():
    """parity in ng: layer 1's box W^[1], U^[1], b^[1] with dW^[1], dU^[1], db^[1] = G's columns / m (full batch:
    m = 28); the inputs' boxes x_τ without the 1."""
    from bptui.core.formulas.notation import mat, vec
    from bptui.core.formulas.numformat import number_format

    def panel(a):  # as ng's sequence panel writes a part: each entry its cell, in the part's one format
        return (mat if a.ndim == 2 else vec)(a, 4, cells=number_format(a, 4))

    st = Stepper(load(NETWORKS / "parity.json"), notation=PROFILES["ng"])
    st.run_until(lambda s: s.key.quantity == "G" and s.key.layer == 1)
    d = unrolled_graph(st.net, example_length(st), 4, PROFILES["ng"])
    state = unrolled_state(st, d, 4)
    W, G = st.state.W[1], st.state.G[1]
    assert state.texts["W1"][1:] == [f"W^[1] = {panel(W[:, 1:2])}", f"U^[1] = {panel(W[:, 2:])}",
                                     f"b^[1] = {panel(W[:, 0])}", f"dW^[1] = {panel(G[:, 1:2] / 28)}",
                                     f"dU^[1] = {panel(G[:, 2:] / 28)}", f"db^[1] = {panel(G[:, 0] / 28)}"]
    assert "0.0335]" in state.texts["W1"][2]  # U^[1]'s 0.03348 as the panel writes it
    assert state.current == "W1" and state.hot_line == 4
    x1 = np.asarray(st.state.o[0])[0]
    assert state.texts["x_1"][0] == "x₁" and len(state.texts["x_1"]) == 2 and x1[0] == 1
    assert "J = " in state.texts["loss"][-1] and state.texts["loss"][0].startswith("−")


@pytest.mark.parametrize("name, net, want", [
    ("ng", "parity", ["‖dz^[1]_τ‖ over τ", "‖dz^[1]₁‖ = ", "‖dz^[1]_T‖ = "]),
    ("cs231n", "parity", ["‖dscores¹_τ‖ over τ", "‖dscores¹₁‖ = ", "‖dscores¹_T‖ = "]),
    ("nielsen", "parity", ["‖δ²_τ‖ over τ", "‖δ²₁‖ = ", "‖δ²_T‖ = "]),
    ("ng", "long_memory_lstm", ["‖dc^[1]_τ‖ and ‖dh^[1]_τ‖ over τ", "‖dc^[1]_τ‖ τ = 1", "‖dh^[1]₁‖ = "]),
])
def test_the_training_screens_norms_over_time_take_the_profiles_names(name, net, want):
    """The ‖δ_τ‖ panel (t) names its norms as the profile's panel names the rows (the profile's δ, its layer
    index; an LSTM's own dc, dh), over the numbers of core.engine.train.gradients_over_time."""
    from bptui.core.engine.train import gradients_over_time
    from bptui.tui.time_plot import DeltaOverTime

    spec = load(NETWORKS / f"{net}.json")
    plot = DeltaOverTime(spec, PROFILES[name])
    plot.show(spec.weights)
    got = gradients_over_time(spec, spec.weights, plot.example, plot.rnn_layer)
    np.testing.assert_allclose(plot.norms, got[0][2], rtol=1e-12)
    text = plot.border_title + "\n" + str(plot.render())
    assert all(w in text for w in want), text
    assert "δ⁽" not in text and "ℓ" not in text


def test_the_unrolled_graphs_loss_box_writes_the_cost_the_status_writes():
    """ng's cost is a mean (the status line's J); the unrolled graph's loss box wrote the sum beside it."""
    from bptui.core.engine.equations import loss_D_shown
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.core.formulas.notation import num
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.unrolled import example_length, unrolled_graph, unrolled_state

    from .conftest import NETWORKS

    P = PROFILES["ng"]
    stepper = Stepper(load(NETWORKS / "parity.json"), notation=P)
    while stepper.state.losses < 2:
        stepper.forward()
    mean = loss_D_shown(P, stepper.state)
    assert mean != stepper.state.loss_D  # two losses: the mean is not the sum
    state = unrolled_state(stepper, unrolled_graph(stepper.net, example_length(stepper), 4, P), 4)
    shown = [line for lines in state.texts.values() for line in lines if line.startswith("J = ")]
    assert shown == [f"J = {num(mean, 4)}"]


def test_why_a_gated_network_has_no_unrolled_graph_writes_no_formula_of_the_lecture():
    """In ng, `c` on gru_parity said the graph draws "s = W [1, x_τ] + U o_τ₋₁" (the lecture's letters and its
    bias column); it says what it draws in words, the same in every notation."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.unrolled import unrolled_too_big

    from .conftest import NETWORKS

    why = unrolled_too_big(Stepper(load(NETWORKS / "gru_parity.json"), notation=PROFILES["ng"]))
    assert why is not None and "gru layer" in why and "Press c again" in why
    assert not any(lecture in why for lecture in ("[1, x", "o_τ", "s = W", "s and o"))

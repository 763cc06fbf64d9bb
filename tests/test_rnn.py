"""Recurrent layers (format v2, ``type: rnn``): finite differences on random recurrent networks, the
bundled sequence examples (one learns, one shows δ vanishing through time), a step of BPTT worked
by hand, and one error line for every kind of bad recurrent input."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.teaching.check import gradient_check, verdict
from bptui.core.kinds import Rnn
from bptui.core.engine.network import Network
from bptui.core.formats.spec import load, parse
from bptui.core.engine.train import delta_over_time, evaluate, train

from .conftest import NETWORKS
from .helpers import assert_one_error_line, random_rnn_spec


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- finite differences ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(20))
def test_backprop_through_time_matches_finite_differences(seed):
    spec = random_rnn_spec(seed, n=4)
    checks = gradient_check(spec)
    assert verdict(checks).ok, [c for c in checks if not c.ok][:3]
    assert len(checks) == sum(w.size for w in spec.weights)


def test_finite_differences_catch_a_missing_path_through_time(monkeypatch):
    """Dropping Uᵀ δ_{τ+1} (the part of δ_τ that comes from τ + 1) is caught."""
    spec = random_rnn_spec(2, n=4)
    assert verdict(gradient_check(spec)).ok
    original = Rnn.bptt

    def without_time(self, W, X, S, O, above, df, active=None):
        W0 = W.copy()
        W0[:, 1 + self.d:] = 0.0
        G, D = original(self, W0, X, S, O, above, df, active)
        return G, D

    monkeypatch.setattr(Rnn, "bptt", without_time)
    assert not verdict(gradient_check(spec)).ok


def test_one_step_of_bptt_by_hand():
    """d = h = 1, identity, T = 2, one identity output unit: every number by hand."""
    doc = {"layers": [{"units": 1}, {"type": "rnn", "units": 1, "activation": "identity"},
                      {"units": 1, "activation": "identity"}],
           "weights": [{"W": [[0.5, 2.0]], "U": [[0.3]]}, [[0.1, 1.5]]],
           "loss": "squared", "data": {"inputs": [[[1.0], [-1.0]]], "targets": [[2.0]]}}
    spec = parse(doc)
    # s_1 = 0.5 + 2·1 + 0.3·0 = 2.5; s_2 = 0.5 + 2·(−1) + 0.3·2.5 = −0.75; out = 0.1 + 1.5·(−0.75) = −1.025
    # ℓ = (−1.025 − 2)² = 9.150625; δ⁽²⁾ = 2(−3.025) = −6.05
    # δ_2 = 1.5·(−6.05) = −9.075; δ_1 = 0.3·(−9.075) = −2.7225
    # G_W = δ_1 [1, 1] + δ_2 [1, −1] = [−11.7975, 6.3525]; G_U = δ_1·0 + δ_2·2.5 = −22.6875
    loss, G = Network(spec).gradient(list(spec.weights), spec.inputs, spec.targets, spec.lengths)
    assert loss == pytest.approx(9.150625)
    np.testing.assert_allclose(G[0], [[-11.7975, 6.3525, -22.6875]])
    np.testing.assert_allclose(G[1], [[-6.05, -6.05 * 2.5 * 0 + -6.05 * -0.75]])


@pytest.mark.parametrize("seqs", [False, True])
def test_lengths_in_one_group_are_exact(seqs):
    """The vectorised pass over examples of different lengths (sorted longest first, each τ on the
    examples still running) gives the one-example passes: ℓ, G, the outputs and every δ⁽¹⁾_τ."""
    spec = random_rnn_spec(5, n=9, return_sequences=seqs)
    assert len(set(spec.lengths.tolist())) > 2
    net = Network(spec)
    W = list(spec.weights)
    deltas: dict[int, np.ndarray] = {}

    def keep(idx, D):
        for j, i in enumerate(idx):
            deltas[int(i)] = D[:, :, j]

    p = net.sequences(W, spec.inputs, spec.lengths, spec.targets, on_delta=keep)
    parts = [net.sequences(W, spec.inputs[[n]], spec.lengths[[n]], spec.targets[[n]]) for n in range(spec.N)]
    assert p.loss == pytest.approx(sum(q.loss for q in parts), rel=1e-13)
    for l in range(spec.L):
        np.testing.assert_allclose(p.G[l], sum(q.G[l] for q in parts), rtol=1e-12, atol=1e-14)
    assert sorted(deltas) == list(range(spec.N))
    for n, q in enumerate(parts):
        np.testing.assert_allclose(p.outputs[n, :q.outputs.shape[1]], q.outputs[0], rtol=1e-13, atol=1e-15)
        assert not p.outputs[n, q.outputs.shape[1]:].any()  # nothing past the example's own T
        one = []
        net.sequences(W, spec.inputs[[n]], spec.lengths[[n]], spec.targets[[n]], on_delta=lambda _, D: one.append(D))
        np.testing.assert_allclose(deltas[n], one[0][:, :, 0], rtol=1e-12, atol=1e-14)
        assert deltas[n].shape == (spec.lengths[n], spec.kinds[0].h)


# -- the bundled examples --------------------------------------------------------------------------------
def test_parity_learns_in_its_default_epochs():
    spec = load(NETWORKS / "parity.json")
    assert isinstance(spec.kinds[0], Rnn) and set(spec.lengths.tolist()) == {2, 3, 4}
    result = train(spec, spec.epochs)
    assert result.history[0] > 15 and result.history[-1] < 0.1
    ev = evaluate(spec, result.weights)
    assert ev.train_accuracy == 1.0


def test_long_memory_shows_delta_vanishing_through_time():
    spec = load(NETWORKS / "long_memory.json")
    norms = delta_over_time(spec)
    assert len(norms) == 30
    assert (np.diff(norms) > 0).all()  # ‖δ_τ‖ grows with τ: it shrinks at every step back in time
    assert norms[0] / norms[-1] < 1e-5
    trained = train(spec, spec.epochs).weights
    after = delta_over_time(spec, trained)
    assert after[0] / after[-1] < 1e-5


def test_delta_over_time_is_the_bptt_deltas():
    spec = load(NETWORKS / "parity.json")
    n = 27  # the last example, 4 steps
    got = []
    Network(spec).sequences(spec.weights, spec.inputs[[n]], spec.lengths[[n]], spec.targets[[n]],
                            on_delta=lambda _, D: got.append(D[:, :, 0]))
    np.testing.assert_allclose(delta_over_time(spec, example=n), np.linalg.norm(got[0], axis=1))
    # by hand, from the last step back: δ_τ = (Uᵀ δ_{τ+1} + [τ = T]·W⁽²⁾ᵀ δ⁽²⁾) ⊙ (1 − o_τ²)
    W, U, V = spec.weights[0][:, :2], spec.weights[0][:, 2:], spec.weights[1]
    x = spec.x_of(n)
    o = [np.zeros(4)]
    for t in range(4):
        o.append(np.tanh(W @ np.r_[1.0, x[t]] + U @ o[-1]))
    out = 1 / (1 + np.exp(-(V @ np.r_[1.0, o[-1]])))
    d2 = out - spec.y_of(n)  # cross_entropy with a sigmoid: δ⁽ᴸ⁾ = o − y
    delta = (V.T @ d2)[1:] * (1 - o[4] ** 2)
    want = [delta]
    for t in (3, 2, 1):
        delta = (U.T @ delta) * (1 - o[t] ** 2)
        want.append(delta)
    np.testing.assert_allclose(got[0], np.array(want[::-1]), rtol=1e-12)


# -- bad input -----------------------------------------------------------------------------------------------
GOOD = {"layers": [{"units": 2}, {"type": "rnn", "units": 2, "activation": "tanh"}, {"units": 1}],
        "weights": [{"W": [[0.1, 0.2, 0.3], [0.0, -0.1, 0.2]], "U": [[0.5, 0.0], [0.1, 0.2]]}, [[0.0, 1.0, -1.0]]],
        "data": {"inputs": [[[1, 0], [0, 1]], [[1, 1]]], "targets": [[1], [0]]}}


def _bad(**changes):
    doc = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = doc
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return doc


BAD = {
    "rnn_on_many_to_one": (_bad(layers=[{"units": 2}, {"type": "rnn", "units": 2}, {"type": "rnn", "units": 2},
                                        {"units": 1}], weights=None),
                           "layers[2]: a recurrent layer reads a sequence, but the recurrent layer layers[1] below it "
                           "hands up o_T only: give layers[1] \"return_sequences\": true"),
    "rnn_output": (_bad(layers=[{"units": 2}, {"type": "rnn", "units": 1}], weights=None),
                   "layers[1]: the output layer must be dense"),
    "rnn_map_input": (_bad(layers__0={"shape": [1, 2, 2]}, weights=None),
                      "layers[1]: a recurrent layer reads a vector x_τ per time step"),
    "rnn_softmax": (_bad(layers__1__activation="softmax", weights=None), "layers[1].activation: softmax is for the output layer only"),
    "rnn_units": (_bad(layers__1={"type": "rnn", "activation": "tanh"}, weights=None), "layers[1]: missing required key 'units'"),
    "rnn_key": (_bad(layers__1__kernel=2, weights=None), "layers[1]: 'kernel' is not a key of a rnn layer"),
    "sequences_on_dense": (_bad(layers__2__return_sequences=True, weights=None),
                           "layers[2]: 'return_sequences' is not a key of a dense layer"),
    "sequences_not_bool": (_bad(layers__1__return_sequences=1, weights=None), "layers[1].return_sequences"),
    "weights_as_matrix": (_bad(weights__0=[[0.1, 0.2, 0.3]]), "weights[0]: expected {\"W\", \"U\"} with W 2×3, U 2×2"),
    "W_shape": (_bad(weights__0__W=[[0.1, 0.2], [0.0, 0.1]]), "weights[0].W: shape 2×2, expected 2×3 = d⁽¹⁾ × (d⁽⁰⁾+1)"),
    "U_shape": (_bad(weights__0__U=[[0.5, 0.0, 1.0], [0.1, 0.2, 0.0]]), "weights[0].U: shape 2×3, expected 2×2 = d⁽¹⁾ × d⁽¹⁾"),
    "U_missing": (_bad(weights__0={"W": [[0.1, 0.2, 0.3], [0.0, -0.1, 0.2]]}), "weights[0]"),
    "input_not_sequence": (_bad(data__inputs=[[1, 0], [[1, 1]]]), "data.inputs[0]: expected a sequence [T][2]"),
    "empty_sequence": (_bad(data__inputs=[[], [[1, 1]]]), "data.inputs[0]: expected a sequence [T][2]"),
    "row_width": (_bad(data__inputs=[[[1, 0], [0, 1, 2]], [[1, 1]]]), "data.inputs[0][1]: 3 values, expected 2 numbers = d⁽⁰⁾"),
    "target_per_step_without_sequences": (_bad(data__targets=[[[1], [0]], [0]]),
                                          "data.targets[0]: expected 1 numbers = d⁽²⁾ (units of layers[2]): one target per sequence"),
    "sequence_target_length": (_bad(layers__1__return_sequences=True, data__targets=[[[1]], [[0]]]),
                               "data.targets[0]: 1 time steps, but data.inputs[0] has 2"),
    "sequence_target_flat": (_bad(layers__1__return_sequences=True, data__targets=[[1], [0]]),
                             "data.targets[0]: expected a sequence [T][1]"),
    "generator": (_bad(data={"generator": "xor"}), "data.generator: a recurrent network takes inline sequences"),
    "counts": (_bad(data__targets=[[1]]), "data: 2 inputs but 1 targets"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["trace", "check"])
def test_bad_recurrent_input_gives_one_error_line_and_exit_2(capsys, tmp_path, case, command):
    assert_one_error_line(capsys, tmp_path, command, *BAD[case])


def test_the_good_file_loads_and_init_draws_W_and_U():
    spec = parse(GOOD)
    assert spec.lengths.tolist() == [2, 1] and spec.inputs.shape == (2, 4)
    np.testing.assert_array_equal(spec.x_of(1), [[1, 1]])
    doc = copy.deepcopy(GOOD)
    del doc["weights"]
    doc["init"] = {"seed": 4, "scale": 0.3}
    drawn = parse(doc)
    assert drawn.weights[0].shape == (2, 1 + 2 + 2)
    rng = np.random.default_rng(4)
    np.testing.assert_array_equal(drawn.weights[0], rng.uniform(-0.3, 0.3, size=(2, 5)))
    assert np.abs(drawn.weights[0][:, 3:]).max() > 0  # U is drawn too
    assert drawn.kinds[0].weights_json(drawn.weights[0]).keys() == {"W", "U"}


# -- the step schedule and the stepper -------------------------------------------------------------------
from bptui.core.engine.schedule import Schedule  # noqa: E402
from bptui.core.engine.stepper import Stepper  # noqa: E402


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("update", ["full_batch", "per_example", "mini_batch"])
def test_the_stepper_is_training_step_for_step(seed, update):
    """Stepping every step of two epochs (shuffled for mini-batches) gives training's weights."""
    spec = random_rnn_spec(seed, n=5, update=update, mini_batch=2, shuffle_seed=7 if update == "mini_batch" else None)
    st = Stepper(spec)
    st.goto(2 * len(st.schedule))
    trained = train(spec, 2).weights
    for l in range(1, spec.L + 1):
        np.testing.assert_allclose(st.state.W[l], trained[l - 1], rtol=1e-10, atol=1e-12)


def test_positions_come_from_the_lengths_and_the_epoch():
    spec = random_rnn_spec(1, n=5, update="mini_batch", mini_batch=2, shuffle_seed=3)
    sch = Schedule(spec.L, spec.N, spec.update, spec.batch_size, spec.shuffle_seed, spec.kinds, spec.lengths)
    per = len(sch)
    U = spec.L
    assert per == sum(len(sch.blocks[int(T)]) for T in spec.lengths) + 3 * U
    for epoch in (1, 2, 3):
        keys = [sch.key((epoch - 1) * per + i) for i in range(per)]
        assert all(k.epoch == epoch for k in keys)
        order = [k.example for k in keys if k.example_start]
        assert order == [int(n) + 1 for n in np.random.default_rng([3, epoch]).permutation(spec.N)]
        for n in order:  # each example: 2 steps per τ forward, 2 per τ back for the recurrent layer
            T = int(spec.lengths[n - 1])
            mine = [k for k in keys if k.example == n and k.layer == 1]
            assert [(k.quantity, k.time) for k in mine] == (
                [(q, t) for t in range(1, T + 1) for q in ("s", "o")] + [(q, t) for t in range(T, 0, -1) for q in ("delta", "G")])
        assert [k.layer for k in keys if k.phase == "update"] == list(range(1, U + 1)) * 3
        assert sum(k.group_start for k in keys) == 3 and keys[0].epoch_start
        for i, k in enumerate(keys):
            g = sch.group_start((epoch - 1) * per + i)
            assert sch.key(g).group == k.group and sch.key(g).group_start


def test_going_back_in_time_restores_the_exact_values():
    spec = load(NETWORKS / "parity.json")
    st = Stepper(spec, max_checkpoints=4)
    seen = {}
    for _ in range(300):
        step = st.forward()
        seen[st.position] = (step.key, np.array(step.value, dtype=float).copy())
    for p in (299, 150, 17, 1, 250):
        st.goto(p)
        key, value = seen[p]
        assert st.last.key == key
        np.testing.assert_array_equal(np.array(st.last.value, dtype=float), value)


# -- trace ---------------------------------------------------------------------------------------------------
def test_trace_json_carries_time_and_W_U(capsys, tmp_path):
    doc = __import__("tests.helpers", fromlist=["random_rnn_doc"]).random_rnn_doc(
        3, n=4, update="per_example", return_sequences=True)
    path = tmp_path / "seq.json"
    path.write_text(json.dumps(doc))
    spec = load(path)
    code, out, err = run(capsys, "trace", path, "--format", "json")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(Stepper(spec).schedule)
    net = Network(spec)
    for n in range(spec.N):
        T = int(spec.lengths[n])
        mine = [r for r in rows if r["example"] == n + 1]
        assert sorted({r["time"] for r in mine if "time" in r}) == list(range(1, T + 1))
        assert all(("time" in r) == (r["phase"] != "loss") for r in mine)  # return_sequences: every layer at τ
        G1 = [r for r in mine if r["quantity"] == "G" and r["layer"] == 1]
        assert [r["time"] for r in G1] == list(range(T, 0, -1)) and set(G1[-1]["value"]) == {"W", "U"}
        # per_example: G starts at 0 for each example, so its last G⁽¹⁾ record is the example's whole gradient
        _, G = net.gradient(list(net_weights(rows, spec, n)), spec.inputs[[n]], spec.targets[[n]], spec.lengths[[n]])
        want = spec.kinds[0].weights_json(G[0])
        np.testing.assert_allclose(G1[-1]["value"]["W"], want["W"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(G1[-1]["value"]["U"], want["U"], rtol=1e-12, atol=1e-14)
    updates = [r for r in rows if r["phase"] == "update" and r["layer"] == 1]
    assert len(updates) == spec.N and all(set(r["value"]) == {"W", "U"} for r in updates)


def net_weights(rows, spec, n):
    """The weights example n (0-based) was stepped with: the file's, or the last update's before it."""
    W = [np.array(w) for w in spec.weights]
    first = min(r["step"] for r in rows if r["example"] == n + 1)
    for r in rows:
        if r["phase"] == "update" and r["step"] < first:
            k = spec.kinds[r["layer"] - 1]
            v = r["value"]
            W[r["layer"] - 1] = np.concatenate([np.array(v["W"]), np.array(v["U"])], axis=1) if isinstance(k, Rnn) else np.array(v)
    return W


def test_trace_text_names_the_sequence(capsys):
    code, out, _ = run(capsys, "trace", NETWORKS / "parity.json")
    assert code == 0
    assert "Example n = 1, T = 2: x_1 … x_T = [0], [0]; y = [0]" in out
    assert "s⁽¹⁾₂ = W⁽¹⁾ o⁽⁰⁾₂ + U⁽¹⁾ o⁽¹⁾₁ = " in out
    assert "δ⁽¹⁾₁ = U⁽¹⁾ᵀ δ⁽¹⁾₂ ⊙ (1 − o⁽¹⁾₁⊙o⁽¹⁾₁) = " in out
    assert "End of epoch 1" in out
    # count_tokens' line (a target at every τ) is checked in test_conv.py's trace of every v2 example: its
    # whole epoch (11,860 steps, about 7 s of CPU) traced once in the suite, not twice


# -- quiz and export -----------------------------------------------------------------------------------------
def test_quiz_asks_for_a_unit_at_its_time_step(capsys, monkeypatch):
    import io

    from bptui.core.teaching.quiz import ask, candidates

    spec = load(NETWORKS / "parity.json")
    st = Stepper(spec)
    step = st.forward()  # s⁽¹⁾₁
    assert [c.time for c in candidates(spec, step.key)] == [1] * 4
    for _ in range(9):
        step = st.forward()
    assert step.key.quantity == "delta" and step.key.layer == 1 and step.key.time == 2
    from bptui.core.teaching.explain import Cell

    q = ask(st, step, cell=Cell("delta", 1, 3, time=2))
    assert q.value == st.state.delta[1][1][2] and q.symbol == "δ⁽¹⁾₂,₃"
    assert q.equation.count("?") == 1 and q.equation.endswith("?, −0.1912]   (δ⁽¹⁾ from τ + 1 is 0 at τ = T)")
    monkeypatch.setattr("sys.stdin", io.StringIO("0\n" * 40 + "q\n"))
    code, out, _ = run(capsys, "quiz", NETWORKS / "parity.json", "--steps", "13")
    assert code == 0 and "score:" in out and "δ: 0 of 3" in out


def test_the_explanation_of_delta_names_the_part_from_the_next_time_step():
    from bptui.core.teaching.explain import Cell, explain

    spec = load(NETWORKS / "parity.json")
    st = Stepper(spec)
    st.goto(12)  # δ⁽¹⁾₁ of example 1 (T = 2) is done
    e = explain(st, Cell("delta", 1, 4, time=1), 4)
    U = spec.kinds[0].U_part(st.state.W[1])
    part = float(U[:, 3] @ st.state.delta[1][1])
    assert e.terms == pytest.approx((part,))
    assert e.value == pytest.approx(part * (1 - st.state.o[1][1][3] ** 2))
    text = e.text()
    assert "from τ + 1 (through U⁽¹⁾" in text and "u₁,₄⁽¹⁾ δ⁽¹⁾₂,₁" in text
    assert "from above: nothing, many-to-one" in text


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv"])
def test_export_writes_sequences(capsys, fmt):
    code, out, _ = run(capsys, "export", NETWORKS / "parity.json", "--format", fmt)
    assert code == 0
    if fmt == "markdown":
        assert "Layer 1 is recurrent" in out and "s^{(1)}_{\\tau} = W^{(1)} o^{(0)}_{\\tau} + U^{(1)} o^{(1)}_{\\tau -1}" in out
        assert "### Example $n = 1$, $T = 2$" in out
    if fmt == "latex":
        assert "s^{(1)}_{1} &= W^{(1)} o^{(0)}_{1} + U^{(1)} o^{(1)}_{0}" in out


def test_exercises_of_recurrent_networks_blank_each_time_step(capsys):
    """An exercise of a recurrent network numbers its blanks unit by unit at each τ; a blank shows
    again, as its number, in the step at τ + 1 that reads it (U o⁽¹⁾_{τ−1})."""
    code, out, err = run(capsys, "export", NETWORKS / "parity.json", "--exercise", "--example", "1")
    assert code == 0 and err == ""
    assert r"s^{(1)}_{1} &= W^{(1)} o^{(0)}_{1} + U^{(1)} o^{(1)}_{0}" in out
    assert r"\begin{bmatrix} (1)\,\underline" in out  # s⁽¹⁾_1's first unit asked
    assert r"\end{bmatrix} \begin{bmatrix} \mathbf{(5)} \\ \mathbf{(6)}" in out  # U o⁽¹⁾_1 (blanks 5 … 8) at τ = 2


def test_variants_draw_each_kind_of_weights(tmp_path):
    """A variant's weights are written by its layer kinds: a conv's {kernel, bias}, a pooling's null."""
    from bptui.core.formats.variants import network_variant

    spec = load(NETWORKS / "edges.json")
    doc = network_variant(spec, 3, 1, 2, tmp_path)
    assert set(doc["weights"][0]) == {"kernel", "bias"} and doc["weights"][1] is None
    parse(doc, str(tmp_path / "v.json"))  # a valid file


def test_a_huge_recurrent_layer_is_refused_before_anything_is_drawn(capsys, tmp_path):
    doc = copy.deepcopy(GOOD)
    del doc["weights"]
    doc["layers"][1]["units"] = 100_000  # U alone would be 10¹⁰ weights
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, "check", path)
    assert code == 2 and err.startswith(f"error: {path}: layers: 10,000,400,001 weights, at most 5,000,000")


@pytest.mark.parametrize("name", ["parity", "long_memory"])
def test_the_recurrent_examples_are_valid_against_the_schema(name):
    jsonschema = pytest.importorskip("jsonschema")
    from bptui.core.util.validate import schema

    jsonschema.validate(json.loads((NETWORKS / f"{name}.json").read_text()), schema())


def test_U_entries_are_named_u_everywhere():
    """A recurrent layer's [W | U]: the cells of U are u_b,c⁽¹⁾ (c = a − d) in the explanation, its update,
    an edit's message and the quiz's candidates; W's stay w_b,a⁽¹⁾."""
    from bptui.core.teaching.explain import Cell, explain
    from bptui.core.teaching.quiz import candidates

    spec = load(NETWORKS / "parity.json")  # d = 1: columns 0, 1 are W's, 2 … 5 are U's
    st = Stepper(spec)
    st.goto(len(st.schedule))  # after the epoch's updates
    e = explain(st, Cell("W", 1, 2, 3), 4)
    assert e.title.startswith("u₂,₂⁽¹⁾ = ") and "from unit 2 of o⁽¹⁾ at τ − 1" in e.title
    assert "u₂,₂⁽¹⁾ ← u₂,₂⁽¹⁾ − η" in e.text() and "w₂,₃" not in e.text()
    assert explain(st, Cell("W", 1, 2, 1), 4).title.startswith("w₂,₁⁽¹⁾ = ")
    assert st.edit_weight(1, 0, 4, 0.5).name == "u₁,₃⁽¹⁾"
    key = next(st.schedule.key(i) for i in range(len(st.schedule)) if st.schedule.key(i).phase == "update")
    names = {c.symbol() for c in candidates(spec, key)}
    assert {"w₁,₀⁽¹⁾", "w₁,₁⁽¹⁾", "u₁,₁⁽¹⁾", "u₄,₄⁽¹⁾"} <= names and "w₁,₂⁽¹⁾" not in names


def test_G_step_writes_the_joined_input_as_one_vector():
    """G⁽¹⁾ ← G⁽¹⁾ + δ⁽¹⁾_τ [o⁽⁰⁾_τ, o⁽¹⁾_{τ−1}]ᵀ: the numbers of [1, x_τ] and o⁽¹⁾_{τ−1} as one row,
    the row the step multiplies δ_τ by (not a ragged [[1, x], [o…]])."""
    import re

    from bptui.trace import run as trace_run

    spec = load(NETWORKS / "parity.json")
    seen = 0
    for stepper, step, text in trace_run(spec, 1):
        if step.key.quantity != "G" or step.key.layer != 1:
            continue
        t = step.key.time
        x, o_prev = stepper.state.o[0][t - 1], stepper.state.o[1][t - 1]
        joined = np.concatenate([x, o_prev])
        assert len(joined) == 1 + 1 + 4 and joined[0] == 1
        printed = re.findall(r"\[([^\[\]]*)\]ᵀ = ", text)  # the numbers δ_τ is multiplied by
        assert len(printed) == 2 and printed[0] == "o⁽⁰⁾" + "₀₁₂₃₄₅₆₇₈₉"[t] + ", o⁽¹⁾" + "₀₁₂₃₄₅₆₇₈₉"[t - 1], text
        shown = [float(v.replace("−", "-")) for v in printed[1].split(", ")]
        assert np.allclose(shown, joined, rtol=1e-3, atol=1e-12), (shown, joined)
        assert "[[1" not in text
        seen += 1
    assert seen == sum(spec.lengths)


def test_csv_export_says_each_rows_time_step():
    """bptui export --format csv on a recurrent network: a ``time`` column after ``example``, each
    s, o, δ row the board's value at that τ; the loss and the updates have none."""
    import csv
    import io

    from bptui.export import csv_lines
    from bptui.trace import run as trace_run

    spec = load(NETWORKS / "parity.json")
    rows = list(csv.DictReader(io.StringIO("\n".join(csv_lines(spec, 1)))))
    assert list(rows[0]) == ["step", "epoch", "example", "time", "phase", "quantity", "layer", "node", "row", "col",
                             "value"]
    by_step: dict[int, list[dict]] = {}
    for r in rows:
        by_step.setdefault(int(r["step"]), []).append(r)
    checked = 0
    for stepper, step, _ in trace_run(spec, 1):
        k, got = step.key, by_step[step.key.step]
        assert {r["time"] for r in got} == {"" if k.time is None else str(k.time)}
        if k.quantity in ("s", "o", "delta") and k.layer == 1:
            value = np.asarray(step.value).reshape(-1)
            first = 1  # the units b = 1 … h (o⁽¹⁾_τ has no bias entry)
            assert [float(r["value"]) for r in got] == pytest.approx(value.tolist(), rel=1e-11)
            assert [int(r["row"]) for r in got] == list(range(first, first + len(value)))
            checked += 1
    assert checked == 3 * sum(spec.lengths)

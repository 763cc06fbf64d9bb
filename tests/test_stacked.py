"""Time through more than one layer (issue 19 item 2): the reader's flow rule and its error lines, the
schedule's order, the stepper against training, finite differences, and the bundled stacked_parity.
The PyTorch references are in tests/test_stacked_reference.py."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.network import Network
from bptui.core.engine.schedule import BACKWARD, FORWARD, Schedule
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import delta_over_time, evaluate, train
from bptui.core.formats.spec import load, parse
from bptui.core.teaching.check import gradient_check, verdict
from bptui.core.util.errors import SpecError

from .conftest import NETWORKS
from .helpers import STACK_SHAPES, random_stack_spec


# -- the reader: a seeded generator rebuilds parity's layers ------------------------------------------------
PARITY = json.loads((NETWORKS / "parity.json").read_text())


def _layers(rng: np.random.Generator) -> list[dict]:
    """1 to 4 hidden layers drawn from dense, rnn (with or without return_sequences) and conv2d, at
    least one of them rnn, then parity's sigmoid output."""
    pool = [{"units": 2, "activation": "tanh"}, {"type": "rnn", "units": 2, "activation": "tanh"},
            {"type": "rnn", "units": 3, "activation": "relu", "return_sequences": True},
            {"type": "conv2d", "channels": 1, "kernel": 1}]
    hidden = [copy.deepcopy(pool[int(i)]) for i in rng.integers(0, len(pool), size=int(rng.integers(1, 5)))]
    if not any(x.get("type") == "rnn" for x in hidden):
        hidden[int(rng.integers(0, len(hidden)))] = copy.deepcopy(pool[int(rng.integers(1, 3))])
    return [{"units": 1}, *hidden, {"units": 1, "activation": "sigmoid"}]


def expected_error(layers: list[dict]) -> str | None:
    """The flow rule, written from the manual: a sequence flows up from the input through dense and
    return_sequences rnn layers; a many-to-one rnn hands up one vector; an rnn needs a sequence; a
    conv2d never reads a sequence (nor a vector). None: the file is good."""
    flowing, cut = True, 0
    for l, x in enumerate(layers[1:], start=1):
        kind = x.get("type", "dense")
        if kind == "conv2d":
            return f"layers[{l}]"
        if kind == "rnn" and not flowing:
            return (f"layers[{l}]: a recurrent layer reads a sequence, but the recurrent layer layers[{cut}] below it "
                    f"hands up o_T only: give layers[{cut}] \"return_sequences\": true")
        if kind == "rnn" and flowing and not x.get("return_sequences"):
            flowing, cut = False, l
    return None


@pytest.mark.parametrize("seed", range(60))
def test_the_reader_follows_the_flow_rule(seed):
    rng = np.random.default_rng([19, 2, seed])
    layers = _layers(rng)
    want = expected_error(layers)
    doc = {**copy.deepcopy(PARITY), "layers": layers}
    outputs_sequence = want is None and all(x.get("return_sequences", False) for x in layers[1:-1] if x.get("type") == "rnn")
    if outputs_sequence:  # every rnn hands every o_τ up: the targets are one per τ
        doc["data"]["targets"] = [[[float(sum(x[0] for x in xs[:t + 1]) % 2)] for t in range(len(xs))]
                                  for xs in doc["data"]["inputs"]]
    if want is None:
        spec = parse(doc, "mutated.json")
        assert spec.return_sequences == outputs_sequence
        assert spec.timed[0] and spec.L == len(layers) - 1
        st = Stepper(spec)  # and it steps as it trains, through one epoch
        st.goto(len(st.schedule))
        for l, W in enumerate(train(spec, 1).weights, start=1):
            np.testing.assert_allclose(st.state.W[l], W, rtol=1e-10, atol=1e-12)
        return
    with pytest.raises(SpecError) as err:
        parse(doc, "mutated.json")
    assert want in str(err.value)


def test_every_kind_of_mutation_was_drawn():
    drawn = {expected_error(_layers(np.random.default_rng([19, 2, seed]))) for seed in range(60)}
    assert None in drawn and any(w == f"layers[{l}]" for w in drawn for l in range(1, 5))
    assert any(w and "hands up o_T only" in w for w in drawn)


def test_an_rnn_over_a_many_to_one_rnn_is_one_error_line_and_exit_2(capsys, tmp_path):
    doc = {**copy.deepcopy(PARITY), "layers": [{"units": 1}, {"type": "rnn", "units": 2}, {"units": 2},
                                                {"type": "rnn", "units": 2}, {"units": 1, "activation": "sigmoid"}]}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc))
    for command in ("check", "trace"):
        code = main([command, str(path)])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert err == (f"error: {path}: layers[3]: a recurrent layer reads a sequence, but the recurrent layer "
                       "layers[1] below it hands up o_T only: give layers[1] \"return_sequences\": true\n")


# -- the schedule ------------------------------------------------------------------------------------------
def test_the_schedule_runs_per_time_layers_bottom_up_then_back_layer_by_layer():
    spec = random_stack_spec(0, "mixed", n=2)  # dense at τ, rnn, dense at τ, rnn, …
    T = int(spec.lengths[0])
    sch = Schedule(spec.L, spec.N, kinds=spec.layer_kinds, lengths=spec.lengths)
    steps = [sch.key(i) for i in range(int(sch.sizes[0]))]
    per = [l for l in range(1, spec.L + 1) if spec.timed[l - 1]]
    assert per[:4] == [1, 2, 3, 4]
    forward = [(k.layer, k.time, k.quantity) for k in steps if k.phase == FORWARD and k.time is not None]
    assert forward == [(l, t, q) for t in range(1, T + 1) for l in per for q in ("s", "o")]
    backward = [(k.layer, k.time, k.quantity) for k in steps if k.phase == BACKWARD and k.time is not None]
    assert backward == [(l, t, q) for l in reversed(per) for t in range(T, 0, -1) for q in ("delta", "G")]
    once = [k.layer for k in steps if k.time is None and k.layer is not None]
    assert sorted(set(once)) == [l for l in range(1, spec.L + 1) if not spec.timed[l - 1]]


# -- the stepper is training, step for step; finite differences ----------------------------------------------
@pytest.mark.parametrize("shape", STACK_SHAPES)
@pytest.mark.parametrize("update", ["full_batch", "per_example", "mini_batch"])
def test_the_stepper_is_training_step_for_step(shape, update):
    spec = random_stack_spec(3, shape, n=4, update=update, mini_batch=2,
                             shuffle_seed=5 if update == "mini_batch" else None)
    st = Stepper(spec)
    st.goto(2 * len(st.schedule))
    trained = train(spec, 2).weights
    for l in range(1, spec.L + 1):
        np.testing.assert_allclose(st.state.W[l], trained[l - 1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", STACK_SHAPES)
def test_each_steps_value_is_the_batch_pass(shape):
    """Every per-τ value the stepper computes for one example equals the vectorised pass's: o⁽ᴸ⁾ (every
    τ or once), and G after the example's last step equals Network.sequences' G for it alone."""
    spec = random_stack_spec(1, shape, n=3)
    net = Network(spec)
    W = [np.array(w) for w in spec.weights]
    st = Stepper(spec)
    for n in range(spec.N):
        while True:
            step = st.forward()
            if step.key.phase == BACKWARD and st.schedule.key(st.position).example_start or \
                    st.schedule.key(st.position).phase == "update":
                break
        one = net.sequences(W, spec.inputs[[n]], spec.lengths[[n]], spec.targets[[n]])
        out = st.state.o[spec.L]
        np.testing.assert_allclose(np.asarray(out).reshape(-1), one.outputs[0][:np.asarray(out).size], rtol=1e-12, atol=1e-14)
        assert st.state.loss == pytest.approx(one.loss, rel=1e-12, abs=1e-14)
        if n == 0:
            for l in range(1, spec.L + 1):
                np.testing.assert_allclose(st.state.G[l], one.G[l - 1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", STACK_SHAPES)
@pytest.mark.parametrize("seed", range(3))
def test_backprop_matches_finite_differences(shape, seed):
    spec = random_stack_spec(seed, shape, n=3)
    checks = gradient_check(spec)
    assert verdict(checks).ok, [c for c in checks if not c.ok][:3]
    assert len(checks) == sum(w.size for w in spec.weights)


def test_finite_differences_catch_a_missing_path_down_the_stack(monkeypatch):
    """Dropping what a recurrent layer hands down to the layer below (W_xᵀ δ_τ) is caught."""
    from bptui.core.kinds import Rnn

    spec = random_stack_spec(6, "stacked", n=3)  # G⁽¹⁾ far from 0 (seed 0's relu layer passes nothing down)
    assert verdict(gradient_check(spec)).ok
    monkeypatch.setattr(Rnn, "back_inputs", lambda self, W, D: np.zeros(D.shape[:2] + (self.d,)))
    assert not verdict(gradient_check(spec)).ok


# -- the bundled example ---------------------------------------------------------------------------------------
def test_stacked_parity_learns_and_fades_in_its_lower_layer():
    spec = load(NETWORKS / "stacked_parity.json")
    assert [k.over_time for k in spec.layer_kinds] == [True, True, False] and spec.kinds[0].return_sequences
    result = train(spec, spec.epochs)
    assert evaluate(spec, result.weights).train_accuracy == 1.0
    lower, upper = delta_over_time(spec, example=27), delta_over_time(spec, example=27, layer=2)
    assert len(lower) == len(upper) == int(spec.lengths[27]) and np.all(lower > 0) and np.all(upper > 0)


# -- the quiz ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", STACK_SHAPES)
def test_the_quiz_hides_the_asked_number_at_every_step(shape):
    """The quiz asks for a unit of any layer at its τ (or a G entry): the number stands in the step's
    equations, so hiding it leaves a ?, at every step of an epoch."""
    from bptui.core.teaching import quiz

    spec = random_stack_spec(0, shape, n=2)
    st = Stepper(spec)
    asked = set()
    for i in range(len(st.schedule)):
        step = st.forward()
        if step.key.phase == "update":
            continue
        cell = quiz.choose(spec, step.key, seed=i)
        asked.add((cell.layer, cell.time is not None))
        assert "?" in quiz.hide(st, step, cell), (step.key, cell)
    assert {(1, True), (2, True)} <= asked

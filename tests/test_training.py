"""Optimizers, update groups, data sets and the training API the views build on."""

import json

import numpy as np
import pytest

from bptui.core.ops import optim
from bptui.core.formats.data import GENERATORS, generate
from bptui.core.engine.schedule import Schedule
from bptui.core.formats.spec import load, parse
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import accuracy, gradient_stats, output_grid, train

from .conftest import NETWORKS

XOR = json.loads((NETWORKS / "xor.json").read_text())


def xor_with(**training):
    doc = json.loads(json.dumps(XOR))
    doc["training"].update(training)
    return parse(doc, str(NETWORKS / "xor.json"))


# -- the optimizers' first steps, by hand ------------------------------------------------------------
W = np.array([[0.5, 1.0, -2.0]])  # bias 0.5
G = np.array([[0.2, -0.4, 0.1]])


def test_momentum_first_two_steps_by_hand():
    opt = optim.Optimizer("momentum", learning_rate=0.1, momentum=0.9)
    W1, s1 = optim.update(opt, W, G, opt.init(W))
    np.testing.assert_allclose(s1.v, [[0.2, -0.4, 0.1]])  # v = 0.9·0 + g
    np.testing.assert_allclose(W1, [[0.48, 1.04, -2.01]])  # W − 0.1 v
    W2, s2 = optim.update(opt, W1, G, s1)
    np.testing.assert_allclose(s2.v, [[0.38, -0.76, 0.19]])  # 0.9·0.2 + 0.2 …
    np.testing.assert_allclose(W2, [[0.442, 1.116, -2.029]])


def test_adam_first_step_by_hand():
    opt = optim.Optimizer("adam", learning_rate=0.01)
    W1, s1 = optim.update(opt, W, G, opt.init(W))
    assert s1.t == 1
    np.testing.assert_allclose(s1.m, [[0.02, -0.04, 0.01]])  # (1 − 0.9) g
    np.testing.assert_allclose(s1.v, [[4e-5, 1.6e-4, 1e-5]])  # (1 − 0.999) g²
    # with bias correction m̂ = g and v̂ = g², so the first step is −η g / (|g| + ε) ≈ −η sign(g)
    expected = W - 0.01 * G / (np.abs(G) + 1e-8)
    np.testing.assert_allclose(W1, expected, rtol=1e-15)
    np.testing.assert_allclose(W1, [[0.49, 1.01, -2.01]], rtol=1e-7)
    W2, s2 = optim.update(opt, W1, 2 * G, s1)
    m_hat = (0.9 * 0.1 * G + 0.1 * 2 * G) / (1 - 0.9**2)
    v_hat = (0.999 * 0.001 * G**2 + 0.001 * 4 * G**2) / (1 - 0.999**2)
    np.testing.assert_allclose(W2, W1 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-14)


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_l2_never_touches_biases_for_any_optimizer(name):
    opt = optim.Optimizer(name, learning_rate=0.1, l2=0.5)
    plain = optim.Optimizer(name, learning_rate=0.1, l2=0.0)
    W1, _ = optim.update(opt, W, G, opt.init(W))
    W0, _ = optim.update(plain, W, G, plain.init(W))
    assert W1[0, 0] == W0[0, 0] and not np.allclose(W1[:, 1:], W0[:, 1:])
    np.testing.assert_array_equal(optim.regularised(W, G, 0.5), [[0.2, -0.4 + 1.0, 0.1 - 2.0]])


def test_the_stepper_uses_the_optimizer_and_keeps_its_state():
    spec = xor_with(optimizer="momentum", momentum=0.5)
    stepper = Stepper(spec)
    per = len(stepper.schedule)
    stepper.goto(per - 2)  # G summed over the 4 examples, no update yet
    G1 = stepper.state.G[1]
    step = stepper.forward()
    assert step.key.phase == "update" and step.opt_before.v.sum() == 0
    np.testing.assert_array_equal(step.opt.v, G1)
    np.testing.assert_array_equal(step.value, spec.weights[0] - 0.5 * G1)
    from bptui.core.engine.equations import equation

    text = equation(stepper.net, stepper.state, step, optimizer=spec.optimizer)
    assert text.startswith("v⁽¹⁾ ← μ v⁽¹⁾ + G⁽¹⁾ = 0.5 [[0, 0, 0], [0, 0, 0]] + [[0.06124, ")
    assert ";   W⁽¹⁾ ← W⁽¹⁾ − η v⁽¹⁾ = [[0.1, 0.5, −0.4], [−0.2, 0.3, 0.6]] − 0.5 [[0.06124, " in text
    stepper.goto(2 * per - 2)
    step = stepper.forward()
    np.testing.assert_array_equal(step.opt.v, 0.5 * G1 + stepper.state.G[1])


def test_adam_equation_and_trace_record_the_state(capsys):
    from bptui.cli import main

    assert main(["trace", "iris", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    updates = [r for r in rows if r["phase"] == "update"]
    assert len(updates) == 2 * 8  # 120 examples in mini-batches of 16: 8 groups, 2 layers
    first = updates[0]
    assert first["optimizer_state"]["t"] == 1 and set(first["optimizer_state"]) == {"t", "m", "v"}
    assert "m̂⁽¹⁾ = m⁽¹⁾/(1 − β₁ᵗ) = " in first["equation"] and "/(1 − 0.9¹) = " in first["equation"]
    assert "W⁽¹⁾ ← W⁽¹⁾ − η m̂⁽¹⁾/(√v̂⁽¹⁾ + ε) = " in first["equation"]


def test_back_then_forward_is_exact_with_adam_and_shuffled_mini_batches():
    spec = xor_with(optimizer="adam", learning_rate=0.05, update={"batch_size": 3}, shuffle_seed=5)
    stepper = Stepper(spec, max_checkpoints=4)
    total = 4 * len(stepper.schedule)
    first = [stepper.forward() for _ in range(total)]
    for target in np.random.default_rng(1).integers(1, total, size=30):
        stepper.goto(int(target))
        assert stepper.last.key == first[target - 1].key
        assert np.array_equal(np.asarray(stepper.last.value), np.asarray(first[target - 1].value))
    stepper.goto(total)  # the optimizer state comes back exactly too (it lives in the checkpoints)
    fresh = Stepper(spec)
    fresh.goto(total)
    for a, b in zip(stepper.state.opt[1:], fresh.state.opt[1:]):
        assert a.t == b.t == 4 * 2  # 2 updates an epoch
        assert np.array_equal(a.m, b.m) and np.array_equal(a.v, b.v)


# -- update groups ---------------------------------------------------------------------------------
def test_mini_batch_schedule_shape():
    sch = Schedule(L=2, N=4, update="mini_batch", batch_size=3)
    keys = list(sch.steps(1))
    assert len(sch) == 4 * 9 + 2 * 2 == 40
    assert [k.quantity for k in keys[27:29]] == ["W", "W"] and keys[29].group_start and keys[29].group == 2
    assert [k.example for k in keys if k.example_start] == [1, 2, 3, 4]
    assert keys[0].epoch_start and not keys[9].epoch_start


def test_shuffled_schedule_is_a_seeded_permutation_every_epoch():
    sch = Schedule(L=1, N=6, update="mini_batch", batch_size=4, shuffle_seed=3)
    epochs = [[k.example for k in sch.steps(3) if k.example_start and k.epoch == e] for e in (1, 2, 3)]
    assert all(sorted(e) == [1, 2, 3, 4, 5, 6] for e in epochs) and epochs[0] != epochs[1]
    assert epochs[0] == list(np.random.default_rng([3, 1]).permutation(6) + 1)
    again = Schedule(L=1, N=6, update="mini_batch", batch_size=4, shuffle_seed=3)
    assert [k.example for k in again.steps(3)] == [k.example for k in sch.steps(3)]


def test_mini_batch_of_the_whole_set_is_full_batch():
    full, mini = xor_with(optimizer="adam"), xor_with(optimizer="adam", update={"batch_size": 4})
    assert mini.update == "mini_batch" and mini.group_size == 4
    assert [(k.phase, k.layer, k.example) for k in Schedule(2, 4, "full_batch").steps(2)] == \
        [(k.phase, k.layer, k.example) for k in Schedule(2, 4, "mini_batch", 4).steps(2)]
    a, b = train(full, 50), train(mini, 50)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x, y)
    assert a.history == b.history
    big = xor_with(update={"batch_size": 99})  # larger than N: one group
    assert big.group_size == 4


def test_train_xor_from_the_shipped_weights():
    spec = load(NETWORKS / "xor.json")
    result = train(spec, spec.epochs)
    from bptui.core.engine.network import Network

    assert Network(spec).dataset_loss(result.weights, spec.inputs, spec.targets) < 0.05
    assert accuracy(spec, result.weights, spec.inputs, spec.targets) == 1.0


def test_train_reports_every_epoch_and_can_be_cancelled():
    spec = load(NETWORKS / "moons.json")
    seen = []
    result = train(spec, 50, lambda r: seen.append(r), cancelled=lambda: len(seen) >= 7)
    assert result.cancelled and result.epochs_done == 7 and [r.epoch for r in seen] == list(range(1, 8))
    assert all(r.test_loss is not None for r in seen) and len(result.test_history) == 7
    # continuing from where it stopped gives what an uninterrupted run gives
    rest = train(spec, 3, weights=result.weights, opt=result.opt, start_epoch=8)
    whole = train(spec, 10)
    for a, b in zip(rest.weights, whole.weights):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_gradient_stats_show_vanishing_gradients():
    spec = load(NETWORKS / "deep_sigmoid.json")
    stats = gradient_stats(spec)
    assert [s.layer for s in stats] == list(range(1, spec.L + 1))
    norms = [s.G_norm for s in stats]
    assert norms[0] < norms[-1] / 10 and all(s.mean_abs_delta > 0 for s in stats)
    from bptui.core.engine.network import Network

    _, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets)
    assert norms == pytest.approx([np.linalg.norm(g) for g in G], rel=1e-12)


def test_output_grid():
    spec = load(NETWORKS / "moons.json")
    xs, ys, Z = output_grid(spec, spec.weights, width=7, height=5)
    assert xs.shape == (7,) and ys.shape == (5,) and Z.shape == (5, 7, 1)
    from bptui.core.engine.network import Network

    np.testing.assert_allclose(Z[2, 3], Network(spec).predict(spec.weights, np.array([[xs[3], ys[2]]]))[0])
    with pytest.raises(ValueError):
        output_grid(load(NETWORKS / "regression.json"), load(NETWORKS / "regression.json").weights)


# -- data sets -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GENERATORS)
def test_generators_are_deterministic_for_a_seed(name):
    X1, Y1 = generate(name, 50, 0.1, 3, 1)
    X2, Y2 = generate(name, 50, 0.1, 3, 1)
    X3, _ = generate(name, 50, 0.1, 4, 1)
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2) and not np.array_equal(X1, X3)
    assert X1.shape == (50, 1 if name == "sine" else 2) and Y1.shape == (50, 1)
    if name != "sine":
        assert set(Y1.ravel()) == {0.0, 1.0}
        _, onehot = generate(name, 50, 0.1, 3, 2)
        np.testing.assert_array_equal(onehot[:, 1], Y1[:, 0])
        np.testing.assert_array_equal(onehot.sum(axis=1), 1)


def test_generator_file_split_and_standardisation():
    doc = {"layers": [{"units": 2}, {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "softmax"}],
           "loss": "cross_entropy",
           "data": {"generator": "spiral", "n": 100, "seed": 2, "test_fraction": 0.25, "standardize": True}}
    spec = parse(doc, "spiral.json")
    assert spec.N == 75 and len(spec.test_inputs) == 25
    np.testing.assert_allclose(spec.inputs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(spec.inputs.std(axis=0), 1)
    X, _ = generate("spiral", 100, 0.1, 2, 2)
    np.testing.assert_allclose(spec.input_shift, X[:75].mean(axis=0))  # training split only
    np.testing.assert_allclose(spec.test_inputs, (X[75:] - spec.input_shift) / spec.input_scale)
    assert parse(doc, "spiral.json").inputs.tobytes() == spec.inputs.tobytes()


def test_the_vanishing_gradient_demo_is_honest():
    """‖G⁽¹⁾‖ / ‖G⁽ᴸ⁾‖ in the first epoch (full batch: at the file's weights) and after the default
    epochs: deep_sigmoid's stays below 0.1, deep_relu's above 0.3, so the bars tell the same story
    before and after training."""
    from bptui.core.engine.train import gradient_stats, train

    for name, low, high in (("deep_sigmoid", 0.0, 0.1), ("deep_relu", 0.3, 100.0)):
        spec = load(NETWORKS / f"{name}.json")
        first = [s.G_norm for s in gradient_stats(spec)]
        after = [s.G_norm for s in gradient_stats(spec, train(spec, spec.epochs).weights)]
        assert low < first[0] / first[-1] < high and low < after[0] / after[-1] < high, (name, first, after)
    sigmoid = [s.G_norm for s in gradient_stats(load(NETWORKS / "deep_sigmoid.json"))]
    assert sigmoid == sorted(sigmoid)  # every layer's gradient smaller than the next one's, toward the input


def test_log_softmax_keeps_the_precision_it_is_given():
    """The gradient check evaluates ℓ_D in long double: the loss must not round it to float64 on the way."""
    from bptui.core.ops.losses import log_softmax

    s = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]], dtype=np.longdouble)
    out = log_softmax(s)
    assert out.dtype == np.longdouble
    exact = s - np.log(np.exp(s).sum(axis=0))
    assert np.allclose(out, exact, rtol=0, atol=float(10 * np.finfo(np.longdouble).eps))

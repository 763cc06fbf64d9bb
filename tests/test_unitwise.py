"""Layer normalisation and dropout (``core/kinds/unitwise/``) against PyTorch in float64 (F.layer_norm,
and dropout with the same masks): ℓ_D, G and the weights after training with each optimizer and L2,
on random small networks with these layers among dense layers (and dropout on a map); finite
differences; the step schedule against the batch pass; the equations' forms; bad fields."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.equations import step_equations
from bptui.core.engine.kind import Draw
from bptui.core.engine.network import Network
from bptui.core.engine.schedule import epoch_order
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import train
from bptui.core.formats.spec import load, parse
from bptui.core.formulas.formula import evaluate
from bptui.core.teaching.check import gradient_check

from .helpers import torch_optimizer

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
F = torch.nn.functional

ACTS = ("tanh", "sigmoid", "relu", "identity", "softplus")
TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda x: x,
             "softplus": F.softplus}


def random_doc(seed: int, n: int = 4, update: str = "full_batch", optimizer: str = "sgd", l2: float = 0.0,
               shuffle: bool = False, maps: bool | None = None) -> dict:
    """A random small network with layernorm and dropout layers among dense ones (every network has at
    least one of each); with ``maps`` (every fourth seed by default), a conv2d layer and a dropout on its map first."""
    rng = np.random.default_rng([2101, seed])
    maps = seed % 4 == 3 if maps is None else maps
    layers: list[dict] = []
    weights: list = []
    if maps:
        C, H, W = 1, int(rng.integers(3, 5)), int(rng.integers(3, 5))
        layers += [{"shape": [C, H, W]}, {"type": "conv2d", "channels": 2, "kernel": 2, "activation": "tanh"},
                   {"type": "dropout", "p": float(rng.choice([0.2, 0.5])), "seed": int(rng.integers(0, 100))}]
        weights += [{"kernel": rng.normal(0, 0.6, size=(2, C, 2, 2)).tolist(), "bias": rng.normal(0, 0.3, size=2).tolist()},
                    None]
        d = 2 * (H - 1) * (W - 1)
        X = rng.normal(0, 1, size=(n, C, H, W))
    else:
        d = int(rng.integers(2, 4))
        layers.append({"units": d})
        X = rng.normal(0, 1, size=(n, d))
    kinds = ["layernorm", "dropout"] + [str(rng.choice(["layernorm", "dropout", "none"])) for _ in range(int(rng.integers(0, 2)))]
    rng.shuffle(kinds)
    for kind in kinds:
        h = int(rng.integers(2, 5))
        layers.append({"units": h, "activation": str(rng.choice(ACTS))})
        weights.append(rng.normal(0, 0.7, size=(h, d + 1)).tolist())
        d = h
        if kind == "layernorm":
            layers.append({"type": "layernorm", "eps": float(rng.choice([1e-5, 0.1]))})
            weights.append({"gamma": rng.normal(1, 0.3, size=d).tolist(), "beta": rng.normal(0, 0.3, size=d).tolist()})
        elif kind == "dropout":
            layers.append({"type": "dropout", "p": float(rng.choice([0.0, 0.25, 0.5])), "seed": int(rng.integers(0, 100))})
            weights.append(None)
    loss = str(rng.choice(["squared", "cross_entropy"]))
    out = 2 if loss == "cross_entropy" else int(rng.integers(1, 3))
    layers.append({"units": out, "activation": "softmax" if loss == "cross_entropy" else "identity"})
    weights.append(rng.normal(0, 0.7, size=(out, d + 1)).tolist())
    Y = np.eye(out)[rng.integers(0, out, size=n)] if loss == "cross_entropy" else rng.normal(0, 1, size=(n, out))
    training: dict = {"learning_rate": 0.1, "update": {"batch_size": 2} if update == "mini_batch" else update,
                      "optimizer": optimizer, "l2": l2}
    if shuffle:
        training["shuffle_seed"] = 5
    return {"layers": layers, "weights": weights, "loss": loss, "data": {"inputs": X.tolist(), "targets": Y.tolist()},
            "training": training}


def random_spec(seed: int, **kw):
    return parse(random_doc(seed, **kw), "random_unitwise.json")


def torch_params(spec, weights):
    out = []
    for k, W in zip(spec.kinds, weights):
        if k.type == "conv2d":
            out.append({"kernel": torch.tensor(W[:, 1:].reshape(k.kernel_shape), dtype=torch.float64, requires_grad=True),
                        "bias": torch.tensor(W[:, 0], dtype=torch.float64, requires_grad=True)})
        elif k.type == "layernorm":
            out.append({"gamma": torch.tensor(W[:, 1], dtype=torch.float64, requires_grad=True),
                        "beta": torch.tensor(W[:, 0], dtype=torch.float64, requires_grad=True)})
        elif k.type == "dense":
            out.append({"W": torch.tensor(W, dtype=torch.float64, requires_grad=True)})
        else:
            out.append(None)
    return out


def as_matrix(k, p, attr=lambda t: t.detach()):
    if k.type == "conv2d":
        return np.concatenate([attr(p["bias"]).numpy()[:, None], attr(p["kernel"]).numpy().reshape(k.channels, -1)], axis=1)
    if k.type == "layernorm":
        return np.stack([attr(p["beta"]).numpy(), attr(p["gamma"]).numpy()], axis=1)
    if k.type == "dense":
        return attr(p["W"]).numpy()
    return np.zeros(k.param_shape)


def torch_loss(spec, params, X, Y, epoch=None, examples=None):
    """ℓ_D of the spec's network in PyTorch: F.layer_norm, and dropout with the masks
    ``default_rng([seed, epoch, n]).random(shape) >= p`` of the 1-based ``examples`` (None: no dropout)."""
    o = torch.tensor(X.reshape((len(X),) + (spec.input_shape or (X.shape[1],))), dtype=torch.float64)
    for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
        if k.type == "conv2d":
            o = TORCH_ACT[spec.activations[l - 1]](F.conv2d(o, p["kernel"], p["bias"]))
        elif k.type == "layernorm":
            o = F.layer_norm(o, (k.out_size,), p["gamma"], p["beta"], eps=k.eps)
        elif k.type == "dropout":
            if epoch is not None:
                masks = np.stack([np.random.default_rng([k.seed, epoch, int(n)]).random(k.out_shape) >= k.p
                                  for n in examples])
                o = o * torch.tensor(masks, dtype=torch.float64) / (1 - k.p)
        else:
            o = torch.flatten(o, 1)
            s = o @ p["W"][:, 1:].T + p["W"][:, 0]
            o = torch.softmax(s, dim=1) if spec.activations[l - 1] == "softmax" else TORCH_ACT[spec.activations[l - 1]](s)
    y = torch.tensor(Y, dtype=torch.float64)
    if spec.loss == "squared":
        return ((o - y) ** 2).sum()
    return -(y * torch.log(o)).sum()


SEEDS = range(24)


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_G_match_pytorch(seed):
    """A training pass of epoch 2 on all examples: ℓ_D and every G⁽ˡ⁾ (γ's and β's included)."""
    spec = random_spec(seed)
    params = torch_params(spec, spec.weights)
    examples = np.arange(spec.N) + 1
    loss = torch_loss(spec, params, spec.inputs, spec.targets, 2, examples)
    loss.backward()
    ours, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets,
                                     draw=Draw(2, examples))
    assert ours == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        expected = as_matrix(k, p, lambda t: t.grad) if p is not None else np.zeros(k.param_shape)
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")


@pytest.mark.parametrize("seed", SEEDS)
def test_outside_training_dropout_is_the_identity(seed):
    """Predictions (and so the test loss and the maps) use no masks: PyTorch's network in eval mode."""
    spec = random_spec(seed)
    params = torch_params(spec, spec.weights)
    ours = Network(spec).dataset_loss(spec.weights, spec.inputs, spec.targets)
    assert ours == pytest.approx(torch_loss(spec, params, spec.inputs, spec.targets).item(), rel=1e-12, abs=1e-12)


def test_the_random_networks_cover_both_kinds_maps_and_dropped_units():
    specs = [random_spec(seed) for seed in SEEDS]
    types = [k.type for spec in specs for k in spec.kinds]
    assert types.count("layernorm") >= len(SEEDS) and types.count("dropout") >= len(SEEDS)
    maps = [k for spec in specs for k in spec.kinds if k.type == "dropout" and k.is_map]
    assert maps and any(k.p > 0 for k in maps)
    drops = [k for spec in specs for k in spec.kinds if k.type == "dropout"]
    assert {k.p for k in drops} >= {0.0, 0.25, 0.5}


def torch_train(spec, params, topt, epochs: int) -> None:
    """The spec's update groups in the schedule's order, each a training pass of its epoch's masks;
    L2 as the lecture's (2λ W̃) on dense weights, conv kernels and γ, never biases or β."""
    k, l2 = spec.group_size, spec.optimizer.l2
    for epoch in range(1, epochs + 1):
        order = epoch_order(spec.N, epoch, spec.shuffle_seed)
        for a in range(0, spec.N, k):
            idx = order[a:a + k]
            topt.zero_grad()
            loss = torch_loss(spec, params, spec.inputs[idx], spec.targets[idx], epoch, idx + 1)
            for p in params:
                if p is None:
                    continue
                for name, t in p.items():
                    if name == "W":
                        loss = loss + l2 * (t[:, 1:] ** 2).sum()
                    elif name in ("kernel", "gamma"):
                        loss = loss + l2 * (t ** 2).sum()
            loss.backward()
            topt.step()


@pytest.mark.parametrize("seed", range(0, 24, 3))
@pytest.mark.parametrize("optimizer,update,shuffle", [("sgd", "full_batch", False), ("momentum", "per_example", True),
                                                      ("adam", "mini_batch", True)])
def test_weights_after_training_match_pytorch(seed, optimizer, update, shuffle):
    spec = random_spec(seed, optimizer=optimizer, update=update, l2=0.01, shuffle=shuffle)
    epochs = 3
    result = train(spec, epochs)
    params = torch_params(spec, spec.weights)
    flat = [t for p in params if p is not None for t in p.values()]
    assert spec.optimizer.name == optimizer
    torch_train(spec, params, torch_optimizer(spec.optimizer, flat), epochs)
    for l, (k, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        if p is not None:
            np.testing.assert_allclose(W, as_matrix(k, p), rtol=1e-9, atol=1e-11, err_msg=f"W⁽{l}⁾ after training")


@pytest.mark.parametrize("seed", range(0, 24, 2))
def test_finite_differences(seed):
    """Every weight's backprop gradient against a central difference, with epoch 1's masks and with epoch 3's."""
    spec = random_spec(seed, n=3)
    for epoch in (1, 3):
        checks = gradient_check(spec, epoch=epoch)
        assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok][:3]


@pytest.mark.parametrize("seed", range(0, 24, 3))
def test_the_step_schedule_trains_as_the_batch_pass(seed):
    """Two epochs stepped one step at a time (u, o, dx, G; o, dx; masks by epoch and example) end
    with the weights of two epochs of training (the batch pass), to rounding."""
    spec = random_spec(seed, update="mini_batch", shuffle=True, optimizer="momentum", l2=0.01)
    st = Stepper(spec)
    st.goto(2 * len(st.schedule))
    for ours, batch in zip(st.weights, train(spec, 2).weights):
        np.testing.assert_allclose(ours, batch, rtol=1e-9, atol=1e-10)  # sums in another order


@pytest.mark.parametrize("seed", range(0, 24, 4))
def test_every_step_equation_evaluates_to_its_result(seed):
    """Each equation of each step of the kinds (and of the dense δ under them): its symbolic form,
    evaluated with its bindings, is its result."""
    spec = random_spec(seed, n=2, update="per_example")
    st = Stepper(spec)
    seen = set()
    for _ in range(len(st.schedule)):
        step = st.forward()
        key = step.key
        if key.layer is None or key.phase == "update":
            continue
        k = spec.kinds[key.layer - 1]
        below = key.layer < spec.L and spec.kinds[key.layer].own_steps and key.quantity == "delta"
        if not (k.own_steps or below):
            continue
        for eq in step_equations(st.net, st.state, step, spec.optimizer):
            if not eq.bindings or not k.own_steps and not below:
                continue
            if k.is_map:
                continue  # the scalar form at one position: evaluated by the quiz test
            value = evaluate(eq.forms[0], eq.bindings)
            np.testing.assert_allclose(np.asarray(value, dtype=float), evaluate(eq.result), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{key}")
            seen.add((k.type, key.quantity))
    assert {q for t, q in seen} >= {"u", "o", "dx", "G"} or seed % 4 == 3


# -- bad fields: one error line naming the place, exit status 2 -------------------------------------------
def _xor(**change) -> dict:
    doc = {"layers": [{"units": 2}, {"units": 3, "activation": "tanh"}, {"type": "layernorm"},
                      {"type": "dropout", "p": 0.5, "seed": 1}, {"units": 1, "activation": "sigmoid"}],
           "loss": "cross_entropy", "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]}}
    doc.update(change)
    return doc


def _with(layer: int, **fields) -> dict:
    doc = _xor()
    doc["layers"][layer] = {**doc["layers"][layer], **fields}
    return doc


BAD = {
    "eps_zero": (_with(2, eps=0), "layers[2]"),
    "eps_negative": (_with(2, eps=-1e-5), "layers[2]"),
    "eps_text": (_with(2, eps="small"), "layers[2]"),
    "p_one": (_with(3, p=1), "layers[3]"),
    "p_negative": (_with(3, p=-0.1), "layers[3]"),
    "p_big": (_with(3, p=1.5), "layers[3]"),
    "seed_negative": (_with(3, seed=-1), "layers[3]"),
    "seed_float": (_with(3, seed=1.5), "layers[3]"),
    "activation_on_layernorm": (_with(2, activation="tanh"), "layers[2]"),
    "units_on_dropout": (_with(3, units=3), "layers[3]"),
    "p_on_layernorm": (_with(2, p=0.5), "layers[2]"),
    "layernorm_output": (_xor(layers=[{"units": 2}, {"units": 3, "activation": "tanh"}, {"type": "layernorm"}]), "layers[2]"),
    "dropout_output": (_xor(layers=[{"units": 2}, {"units": 1, "activation": "sigmoid"}, {"type": "dropout"}]), "layers[2]"),
    "layernorm_on_a_map": ({"layers": [{"shape": [1, 2, 2]}, {"type": "layernorm"}, {"units": 1, "activation": "sigmoid"}],
                            "loss": "squared", "data": {"inputs": [[[0, 1], [1, 0]]], "targets": [[1]]}}, "layers[1]"),
    "layernorm_weights_shape": (_xor(weights=[[[0, 1, 1]] * 3, {"gamma": [1, 1], "beta": [0, 0, 0]}, None, [[0, 1, 1, 1]]]),
                                "weights[1].gamma"),
    "layernorm_weights_matrix": (_xor(weights=[[[0, 1, 1]] * 3, [[0, 1]] * 3, None, [[0, 1, 1, 1]]]), "weights[1]"),
    "dropout_weights": (_xor(weights=[[[0, 1, 1]] * 3, {"gamma": [1, 1, 1], "beta": [0, 0, 0]}, [[1]], [[0, 1, 1, 1]]]),
                        "weights[2]"),
    "p_in_a_sequence": ({"layers": [{"units": 1}, {"type": "rnn", "units": 2, "activation": "tanh", "return_sequences": True},
                                    {"type": "dropout", "p": 1.0}, {"units": 1, "activation": "identity"}],
                         "loss": "squared", "data": {"inputs": [[[0], [1]]], "targets": [[[0], [1]]]}}, "layers[2].p"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["check", "trace"])
def test_bad_fields_give_one_error_line(capsys, tmp_path, case, command):
    doc, place = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code = main([command, str(path)])
    out, err = capsys.readouterr()
    assert code == 2, (case, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "bad.json" in lines[0], err
    assert place in lines[0], err
    assert "Traceback" not in err


def test_the_good_file_is_read_and_checks(capsys, tmp_path):
    path = tmp_path / "good.json"
    path.write_text(json.dumps(_xor()))
    assert main(["check", str(path)]) == 0
    spec = parse(_xor(), "good.json")
    W = spec.weights[1]
    np.testing.assert_array_equal(W, np.stack([np.zeros(3), np.ones(3)], axis=1))  # β = 0, γ = 1
    assert spec.weights[2].shape == (3, 0)


def test_the_bundled_example_trains_to_its_accuracy():
    """networks/moons_layernorm.json: 300 epochs of adam with dropout's masks reach every training
    example and 95% of the test split (38 of 40); predictions use no masks."""
    from bptui.core.engine.train import evaluate

    from .conftest import NETWORKS

    spec = load(NETWORKS / "moons_layernorm.json")
    result = train(spec, spec.epochs)
    got = evaluate(spec, result.weights)
    assert (got.train_accuracy, got.test_accuracy) == (1.0, 0.95)
    assert result.history[-1] < 0.05 * result.history[0]


@pytest.mark.parametrize("seed", range(0, 24, 3))
def test_every_cell_is_explained_with_its_numbers(seed):
    """In epoch 2, after the second example of a group's backward pass: every G entry is the sum of its
    examples' terms (each example passed with its epoch's masks), and every cell of a layer norm or
    dropout layer and every δ under one is explained with the board's value, its equations true."""
    from bptui.core.engine.explain import Cell, explain_network

    spec = random_spec(seed, n=4, update="mini_batch", shuffle=True)
    st = Stepper(spec)
    st.goto(len(st.schedule) + 2 * len(st.schedule.block))
    assert st.last.key.epoch == 2 and st.last.key.phase == "backward"
    checked = 0
    for l, k in enumerate(spec.kinds, start=1):
        rows, cols = st.state.G[l].shape
        for b in range(rows):
            for a in range(cols):
                e = explain_network(st, Cell("G", l, b + 1, a))
                assert e.value == st.state.G[l][b, a]
                assert sum(e.terms) == pytest.approx(e.value, rel=1e-9, abs=1e-12), (l, b, a)
                checked += 1
        below = l < spec.L and spec.kinds[l].own_steps and k.has_s
        if not (k.own_steps or below):
            continue
        for q in (("s", "o", "delta") if k.own_steps else ("delta",)):
            board = np.asarray({"s": st.state.s, "o": st.state.o, "delta": st.state.delta}[q][l])
            for index in np.ndindex(*k.out_shape):
                unit = index[0] + 1 if len(index) == 1 else tuple(int(i) for i in index)
                at = (index[0] + 1,) if q == "o" and k.bias_entry else index
                e = explain_network(st, Cell(q, l, unit))
                assert e.value == pytest.approx(float(board[at]), rel=1e-12, abs=1e-15), (q, l, unit, e.text())
                for eq in e.equations:
                    if eq.bindings and len(eq.forms) > 1:
                        assert float(evaluate(eq.forms[0], eq.bindings)) == pytest.approx(float(evaluate(eq.result)),
                                                                                         rel=1e-9, abs=1e-12)
                checked += 1
    assert checked


# -- any value of the kinds' fields: read as the schema says, or one SpecError naming the place ---------------
from hypothesis import given, settings, strategies as st  # noqa: E402

from bptui.core.util.errors import SpecError  # noqa: E402

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=3), st.lists(st.integers(0, 2), max_size=2))


@settings(max_examples=60, deadline=None)
@given(eps=VALUES, p=VALUES, seed=VALUES, extra=st.sampled_from([None, "activation", "units", "alpha", "size"]),
       layer=st.sampled_from([2, 3]))
def test_any_field_value_is_read_or_refused_at_its_place(eps, p, seed, extra, layer):
    doc = _with(2, eps=eps)
    doc["layers"][3].update(p=p, seed=seed)
    if extra is not None:
        doc["layers"][layer][extra] = 1
    good_eps = type(eps) in (int, float) and np.isfinite(eps) and eps > 0
    good_p = type(p) in (int, float) and np.isfinite(p) and 0 <= p < 1
    good_seed = type(seed) is int and seed >= 0
    try:
        spec = parse(doc, "fuzz.json")
    except SpecError as e:
        assert not (good_eps and good_p and good_seed and extra is None), str(e)
        text = str(e)
        assert text.startswith("fuzz.json: layers[") and "\n" not in text, text
        return
    assert good_eps and good_p and good_seed and extra is None
    assert spec.kinds[1].eps == eps and spec.kinds[2].p == p and spec.kinds[2].seed == seed

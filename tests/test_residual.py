"""Residual blocks (issue 21): o = x + F(x) over the units, the block numbered before its inner
layers, its steps o and the fan-in dx. PyTorch float64 is the reference (the network written from the
file's own nesting, recursively, so it shares no routing with bptui's wiring); finite differences;
the stepper against the batch pass; the equations' numbers; the reader's error lines."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import gradient_stats, train
from bptui.core.formats.spec import load, parse
from bptui.core.teaching.check import gradient_check, verdict
from bptui.core.util.errors import SpecError

from .conftest import NETWORKS, ROOT
from .helpers import random_residual_doc, random_residual_spec

SEEDS = range(24)


# -- PyTorch, from the file's nesting ---------------------------------------------------------------
def torch_loss(doc, params, X, Y):
    """ℓ_D of the network the file describes, in PyTorch: a block adds its input to its layers' output
    (``params``: the dense layers' tensors in file order, blocks' inner layers in place)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus, "gelu": F.gelu,
           "identity": lambda x: x, "softmax": lambda x: torch.softmax(x, dim=1)}
    it = iter(params)

    def run(entries, o):
        for e in entries:
            if e.get("type") == "residual":
                o = o + run(e["layers"], o)
            else:
                W = next(it)
                o = act[e["activation"]](o @ W[:, 1:].T + W[:, 0])
        return o

    o = run(doc["layers"][1:], torch.tensor(X, dtype=torch.float64))
    y = torch.tensor(Y, dtype=torch.float64)
    if doc["loss"] == "cross_entropy":
        return -(y * torch.log(o)).sum()
    return (1.0 if doc["loss"] == "squared" else 0.5) * ((o - y) ** 2).sum()


def flat_weights(doc):
    """The dense layers' matrices in file order (a block's list opened in place)."""
    out = []

    def walk(entries, ws):
        for e, w in zip(entries, ws):
            if e.get("type") == "residual":
                walk(e["layers"], w)
            else:
                out.append(np.array(w))

    walk(doc["layers"][1:], doc["weights"])
    return out


def ours(spec, weights):
    """The weighted layers' matrices of a list over all layers (blocks have none)."""
    return [w for k, w in zip(spec.layer_kinds, weights) if k.has_weights]


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_G_match_pytorch(seed):
    torch = pytest.importorskip("torch")
    doc = random_residual_doc(seed, n=4)
    spec = parse(doc, "r.json")
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in flat_weights(doc)]
    loss = torch_loss(doc, params, spec.inputs, spec.targets)
    loss.backward()
    ell, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets)
    assert ell == pytest.approx(loss.item(), rel=1e-12, abs=1e-14)
    assert len(ours(spec, G)) == len(params)
    for l, (g, p) in enumerate(zip(ours(spec, G), params), start=1):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=f"weighted layer {l}")
    for k, g in zip(spec.layer_kinds, G):  # a block has no weights: an empty G
        assert k.has_weights or g.shape == (0, 1)


def test_the_random_networks_cover_nesting_and_depth():
    specs = [random_residual_spec(seed) for seed in SEEDS]
    blocks = [sum(1 for k in s.layer_kinds if k.span) for s in specs]
    nested = [s for s in specs if any(k.span and s.layer_kinds[l].span for l, k in enumerate(s.layer_kinds[:-1]))
              or _depth(s) > 1]
    assert min(blocks) >= 1 and max(blocks) >= 3 and len(nested) >= 5
    assert {s.activations[-1] for s in specs} >= {"softmax", "sigmoid"}


def _depth(spec) -> int:
    w = Network(spec).wiring
    assert w is not None
    depth = 0
    for l in range(1, spec.L + 1):
        d, b = 0, w.block[l]
        while b:
            d, b = d + 1, w.block[b]
        depth = max(depth, d)
    return depth


@pytest.mark.parametrize("seed", range(0, 24, 3))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"), ("adam", "mini_batch")])
def test_weights_after_training_match_pytorch(seed, optimizer, update):
    torch = pytest.importorskip("torch")
    doc = random_residual_doc(seed, n=4, optimizer=optimizer, update=update, l2=0.01)
    spec = parse(doc, "r.json")
    epochs = 3
    result = train(spec, epochs)
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in flat_weights(doc)]
    opt = spec.optimizer
    if optimizer == "sgd":
        topt = torch.optim.SGD(params, lr=opt.learning_rate)
    elif optimizer == "momentum":
        topt = torch.optim.SGD(params, lr=opt.learning_rate, momentum=opt.momentum)
    else:
        topt = torch.optim.Adam(params, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    k = spec.group_size
    for _ in range(epochs):
        for a in range(0, spec.N, k):
            topt.zero_grad()
            loss = torch_loss(doc, params, spec.inputs[a:a + k], spec.targets[a:a + k])
            loss = loss + opt.l2 * sum((p[:, 1:] ** 2).sum() for p in params)  # L2 never on a bias
            loss.backward()
            topt.step()
    for l, (W, p) in enumerate(zip(ours(spec, result.weights), params), start=1):
        np.testing.assert_allclose(W, p.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=f"weighted layer {l}")


# -- finite differences, the stepper, the schedule -------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_finite_differences_pass(seed):
    spec = random_residual_spec(seed, n=3)
    checks = gradient_check(spec)
    v = verdict(checks)
    assert v.checked == sum(w.size for w in ours(spec, spec.weights)) and v.failed == 0 and v.nonfinite == 0


def test_a_broken_fan_in_fails_the_check(monkeypatch):
    """The check can fail: a fan-in that drops the skip's part is caught by the finite differences."""
    from bptui.core.kinds.residual import Residual

    spec = random_residual_spec(1, n=3)
    monkeypatch.setattr(Residual, "fan_in", lambda self, up, inner: inner)
    assert verdict(gradient_check(spec)).failed > 0


@pytest.mark.parametrize("seed", range(6))
def test_the_stepper_walks_the_wires_as_the_batch_pass(seed):
    """Each update group's G on the board is the batch gradient of the group; the weights after an
    epoch of steps are train's; stepping back restores every number."""
    spec = random_residual_spec(seed, n=3, update="per_example" if seed % 2 else "full_batch")
    st = Stepper(spec)
    net = Network(spec)
    seen = []
    for _ in range(len(st.schedule)):
        W_before = [np.array(w) for w in st.weights]
        step = st.forward()
        seen.append(step)
        if step.key.phase == "update" and step.key.layer == st.schedule.updated[0]:
            f = st.schedule.follows(step.key.epoch, step.key.group)
            _, G = net.gradient(W_before, spec.inputs[f.indices], spec.targets[f.indices])
            for l in st.schedule.updated:
                np.testing.assert_allclose(st.state.G[l], G[l - 1], rtol=1e-12, atol=1e-15)
    for a, b in zip(st.weights, train(spec, 1).weights):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    mid = len(seen) // 2
    st.goto(mid)
    assert st.last is not None and np.array_equal(np.asarray(st.last.value), np.asarray(seen[mid - 1].value))


def test_the_schedule_runs_a_block_after_its_layers_both_ways():
    """Nested: 1 dense; block 2 = [dense 3, block 4 = [dense 5], dense 6]; dense 7."""
    doc = {"layers": [{"units": 2}, {"units": 3, "activation": "tanh"},
                      {"type": "residual", "layers": [{"units": 4, "activation": "tanh"},
                                                      {"type": "residual", "layers": [{"units": 4, "activation": "tanh"}]},
                                                      {"units": 3, "activation": "tanh"}]},
                      {"units": 1, "activation": "identity"}],
           "loss": "squared", "data": {"inputs": [[0, 1]], "targets": [[1]]}}
    spec = parse(doc, "n.json")
    st = Stepper(spec)
    steps = [(k.quantity, k.layer) for k in (st.schedule.key(i) for i in range(st.schedule.per_example))]
    assert steps == [("s", 1), ("o", 1), ("s", 3), ("o", 3), ("s", 5), ("o", 5), ("o", 4), ("s", 6), ("o", 6),
                     ("o", 2), ("s", 7), ("o", 7), ("loss", None),
                     ("delta", 7), ("G", 7), ("delta", 6), ("G", 6), ("delta", 5), ("G", 5), ("dx", 4),
                     ("delta", 3), ("G", 3), ("dx", 2), ("delta", 1), ("G", 1)]
    assert st.schedule.updated == [1, 3, 5, 6, 7]
    w = Network(spec).wiring
    assert w is not None and w.src[1:] == (0, 1, 1, 3, 3, 4, 2) and w.tail[2] == 6 and w.tail[4] == 5
    assert w.block[1:] == (0, 0, 2, 2, 4, 2, 0)
    # the fan-ins on the board: block 2's ∂ℓ/∂o⁽²⁾ (from layer 7) + its first layer 3's part; block 4's
    # ∂ℓ/∂o⁽⁴⁾ (from layer 6) + its layer 5's part; δ⁽³⁾ from block 4's ∂ℓ/∂x, δ⁽⁶⁾ from ∂ℓ/∂o⁽²⁾
    for _ in range(st.schedule.per_example):
        st.forward()
    s = st.state
    back = {c: (s.W[c].T @ s.delta[c])[1:] for c in (3, 5, 6, 7)}
    np.testing.assert_allclose(s.delta[2], back[7] + back[3], rtol=1e-15)
    np.testing.assert_allclose(s.delta[4], back[6] + back[5], rtol=1e-15)
    np.testing.assert_allclose(s.delta[3], s.delta[4] * (1 - s.o[3][1:] ** 2), rtol=1e-14)
    np.testing.assert_allclose(s.delta[6], back[7] * (1 - s.o[6][1:] ** 2), rtol=1e-14)
    np.testing.assert_allclose(s.o[2][1:], s.o[1][1:] + s.o[6][1:], rtol=1e-15)


def test_trace_records_name_the_block_of_an_inner_layer():
    from bptui.trace import trace_json

    spec = random_residual_spec(3)
    w = Network(spec).wiring
    assert w is not None
    rows = [json.loads(line) for line in trace_json(spec, 1)]
    for row in rows:
        layer = row["layer"]
        assert row.get("block") == (w.block[layer] if layer and w.block[layer] else None), row["equation"]
    quantities = {(row["quantity"], bool(spec.layer_kinds[row["layer"] - 1].span)) for row in rows if row["layer"]}
    assert {("o", True), ("dx", True)} <= quantities and not any(q in ("s", "G") for q, block in quantities if block)
    assert any("block" in row for row in rows)


# -- equations and explanations: every number the one it stands for -------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_every_step_equation_and_cell_explanation_holds(seed):
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation

    spec = random_residual_spec(seed, n=2)
    st = Stepper(spec)
    checked, explained = 0, 0
    for _ in range(len(st.schedule)):
        step = st.forward()
        for eq in step_equations(st.net, st.state, step, spec.optimizer):
            checked += check_equation(eq, 4, st, where=f"step {step.key.step} {step.key.quantity}{step.key.layer}")
            TextPrinter(4).equation(eq)
            LatexPrinter(4).rows(eq)
        if step.key.phase in ("forward", "backward") and step.key.layer is not None:
            for cell in quiz.candidates(spec, step.key):
                e = explain(st, cell, 4)
                assert e.value is not None, (step.key, cell)
                if cell.quantity != "G":
                    idx = cell.unit if cell.quantity == "o" and step.key.layer < spec.L else cell.unit - 1
                    assert e.value == pytest.approx(float(np.asarray(step.value)[idx]), rel=1e-12, abs=1e-15)
                for eq in e.equations:
                    checked += check_equation(eq, 4, st, where=f"{cell}")
                explained += 1
    assert checked > 100 and explained > 20


def test_the_fan_in_is_written_with_both_parts():
    from bptui.core.engine.equations import step_equation
    from bptui.core.teaching.explain import explain
    from bptui.core.engine.explain import Cell

    spec = load(NETWORKS / "deep_residual.json")
    st = Stepper(spec)
    step = st.run_until(lambda s: s.key.quantity == "dx")[-1]
    k = step.key.layer
    text = step_equation(st, step)
    assert k == 5 and text.startswith("∂ℓ/∂x⁽⁵⁾ = (W⁽⁸⁾ᵀ δ⁽⁸⁾)[1:] + (W⁽⁶⁾ᵀ δ⁽⁶⁾)[1:] = ")
    e = explain(st, Cell("delta", k, 2), 4)
    assert "fan-in" in e.text() and e.value == pytest.approx(float(st.state.delta[k][1]))
    assert sum(e.terms) == pytest.approx(e.value, rel=1e-12)


# -- the example ---------------------------------------------------------------------------------------
def test_deep_residual_keeps_the_first_layers_gradient():
    """‖G⁽¹⁾‖/‖G⁽ᴸ⁾‖ in the first epoch (full batch: at the file's weights): deep_residual's at least
    0.1, deep_sigmoid's 0.02; and deep_residual learns XOR in its epochs."""
    ratios = {}
    for name in ("deep_sigmoid", "deep_residual"):
        norms = [s.G_norm for s in gradient_stats(load(NETWORKS / f"{name}.json"))]
        ratios[name] = norms[0] / norms[-1]
    assert ratios["deep_sigmoid"] == pytest.approx(0.0191, abs=5e-4)
    assert ratios["deep_residual"] >= 0.1 and ratios["deep_residual"] == pytest.approx(0.163, abs=5e-3)
    spec = load(NETWORKS / "deep_residual.json")
    out = Network(spec).predict(train(spec, spec.epochs).weights, spec.inputs)
    assert ((out[:, 0] > 0.5) == (spec.targets[:, 0] > 0.5)).all()


def test_a_trained_file_keeps_its_nesting(tmp_path):
    spec = random_residual_spec(5)
    trained = train(spec, 2)
    doc = spec.with_weights(trained.weights).to_json(tmp_path)
    again = parse(doc, "again.json")
    assert [np.array(w).tolist() for w in again.weights] == [np.array(w).tolist() for w in trained.weights]
    assert doc["weights"] == json.loads(json.dumps(doc["weights"]))
    assert len(doc["weights"]) == len(doc["layers"]) - 1


# -- the reader: one error line naming the block ----------------------------------------------------------
def _doc():
    return json.loads((NETWORKS / "deep_residual.json").read_text(encoding="utf-8"))


def _error(doc) -> SpecError:
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    return err.value


def test_F_must_give_back_the_blocks_units():
    doc = _doc()
    doc["layers"][2]["layers"][1]["units"] = 4
    err = _error(doc)
    assert err.place == "layers[2]" and "4 units" in err.message and "x + F(x)" in err.message


def test_errors_name_the_nested_place():
    doc = _doc()
    doc["layers"][3]["layers"][0]["activation"] = "softmax"
    assert _error(doc).place == "layers[3].layers[0].activation"
    doc = _doc()
    doc["layers"][2]["layers"][0]["units"] = "three"
    assert _error(doc).place == "layers[2].layers[0].units"
    doc = _doc()
    doc["layers"][2]["layers"][0] = {"type": "conv2d", "channels": 1, "kernel": 1}
    err = _error(doc)
    assert err.place == "layers[2].layers[0]" and "inside a residual block" in err.message
    doc = _doc()
    doc["layers"][2]["layers"] = []
    assert _error(doc).place.startswith("layers[2]")
    doc = _doc()
    doc["layers"].insert(4, doc["layers"].pop(2))  # a block as the output layer
    assert "output layer" in _error(doc).message


def test_weights_nest_as_the_layers():
    doc = _doc()
    spec = parse(doc, "ok.json")
    doc["weights"] = spec.to_json()["weights"]
    assert [len(w) if isinstance(w[0][0], list) else -1 for w in doc["weights"]] == [-1, 2, 2, -1]
    flat = copy.deepcopy(doc)
    flat["weights"] = [w for entry in doc["weights"] for w in (entry if isinstance(entry[0][0], list) else [entry])]
    assert "entries, expected 4" in _error(flat).message
    short = copy.deepcopy(doc)
    short["weights"][1] = short["weights"][1][:1]
    err = _error(short)
    assert err.place == "weights[1]" and "2 inner layers" in err.message
    wrong = copy.deepcopy(doc)
    wrong["weights"][2][1] = [[1.0, 2.0]]
    err = _error(wrong)
    assert err.place == "weights[2][1]" and "shape 1×2" in err.message
    bad = copy.deepcopy(doc)
    bad["weights"][0] = [[1.0, [2.0]], [1.0, 2.0]]
    assert _error(bad).place.startswith("weights[0]")


@pytest.mark.parametrize("seed", range(60))
def test_mutated_files_are_read_or_refused_with_an_error_line(seed):
    """A class of bad files: the bundled example with its blocks and weights mutated at random (units,
    nesting, types, entries dropped or duplicated): either a network or a SpecError, never another
    exception."""
    rng = np.random.default_rng([21, 7, seed])
    doc = _doc()
    doc["weights"] = parse(doc, "x.json").to_json()["weights"]
    for _ in range(int(rng.integers(1, 4))):
        block = doc["layers"][int(rng.choice([2, 3]))]
        inner = block.get("layers")
        weights = doc.get("weights")
        what = int(rng.integers(0, 8))
        if what == 0 and isinstance(inner, list) and inner:
            inner[int(rng.integers(0, len(inner)))]["units"] = int(rng.integers(1, 5))
        elif what == 1 and isinstance(inner, list):
            inner.append(copy.deepcopy(block))
        elif what == 2 and isinstance(inner, list):
            block["layers"] = inner[:int(rng.integers(0, 2))]
        elif what == 3 and isinstance(weights, list):
            weights[int(rng.integers(0, 4))] = [None, 1, {"W": []}, [[]], [[[1.0]]]][int(rng.integers(0, 5))]
        elif what == 4 and isinstance(inner, list) and inner:
            inner[0] = {"type": str(rng.choice(["rnn", "maxpool2d", "residual", "dense"])), "units": 3}
        elif what == 5:
            doc.pop("weights", None)
        elif what == 6 and isinstance(weights, list):
            weights.append(weights[-1])
        elif what == 7:
            block["layers"] = {"units": 3}
    try:
        spec = parse(doc, "mutated.json")
    except SpecError as err:
        assert str(err).startswith("mutated.json: ") and "\n" not in str(err)
        return
    ell, _ = Network(spec).gradient(spec.weights, spec.inputs, spec.targets)
    assert np.isfinite(ell)


def test_the_command_line_gives_one_error_line(tmp_path):
    doc = _doc()
    doc["layers"][2]["layers"][1]["units"] = 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bptui", "trace", str(bad)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "bad.json: layers[2]: " in lines[0]


def test_a_block_reads_a_vector_not_a_map_nor_a_recurrent_layers_sequence():
    maps = {"layers": [{"shape": [1, 3, 3]}, {"type": "residual", "layers": [{"units": 9}]}, {"units": 1}],
            "loss": "squared", "data": {"inputs": [[[[0, 1, 0], [1, 0, 1], [0, 1, 0]]]], "targets": [[1]]}}
    err = _error(maps)
    assert err.place == "layers[1]" and "feature map" in err.message
    seq = {"layers": [{"units": 1}, {"type": "rnn", "units": 2, "return_sequences": True},
                      {"type": "residual", "layers": [{"units": 2}]}, {"units": 1}],
           "loss": "squared", "data": {"inputs": [[[0], [1]]], "targets": [[[0], [1]]]}}
    err = _error(seq)
    assert err.place == "layers[2]" and "recurrent layer" in err.message


def test_the_settings_change_an_inner_layers_activation_and_keep_the_nesting():
    from dataclasses import replace

    from bptui.core.formats import settings as S

    spec = load(NETWORKS / "deep_residual.json")
    c = S.current(spec)
    assert [layer.activation for layer in c.layers] == list(spec.activations)
    layers = list(c.layers)
    layers[3] = replace(layers[3], activation="tanh")  # layer 4: the second layer inside block 2
    applied = S.apply(spec, spec.weights, replace(c, layers=tuple(layers)))
    new = applied.spec
    assert new.activations[3] == "tanh" and new.raw["layers"][2]["layers"][1]["activation"] == "tanh"
    assert [k.span for k in new.layer_kinds] == [k.span for k in spec.layer_kinds]
    for a, b in zip(new.weights, spec.weights):  # the weights on screen carried over
        np.testing.assert_array_equal(a, b)


def test_an_edit_inside_a_block_restarts_the_group_and_names_the_layers_it_undoes():
    """Block 2 opens the network (layer 1 is a block: the first update is W⁽²⁾'s): the group is done
    before that update, and an edit after some updates undoes only layers that have weights."""
    doc = {"layers": [{"units": 2}, {"type": "residual", "layers": [{"units": 2, "activation": "tanh"}]},
                      {"units": 1, "activation": "sigmoid"}],
           "loss": "squared", "data": {"inputs": [[0, 1], [1, 0]], "targets": [[1], [0]]}}
    spec = parse(doc, "first.json")
    st = Stepper(spec)
    assert st.schedule.updated == [2, 3]
    st.run_until(lambda s: s.key.phase == "backward" and s.key.quantity == "dx")
    st.goto(st.schedule.steps_per_epoch - 2)  # right before the updates
    assert st.where().group_done
    st.forward()  # W⁽²⁾'s update
    edit = st.edit_weight(2, 0, 1, 0.5)
    assert edit.undone == (2,) and "W⁽¹⁾" not in edit.text()
    assert st.position == 0 and float(st.state.W[2][0, 1]) == 0.5


@pytest.mark.parametrize("name, fans", [
    ("tiny_transformer", ["∂ℓ/∂x⁽¹⁾ = ∂ℓ/∂x⁽⁴⁾ + ∂ℓ/∂x⁽²⁾", "∂ℓ/∂x⁽⁴⁾ = (W⁽⁷⁾ᵀ δ⁽⁷⁾)[1:] + ∂ℓ/∂x⁽⁵⁾"]),
    ("deep_residual", ["∂ℓ/∂x⁽²⁾ = ∂ℓ/∂x⁽⁵⁾ + (W⁽³⁾ᵀ δ⁽³⁾)[1:]", "∂ℓ/∂x⁽⁵⁾ = (W⁽⁸⁾ᵀ δ⁽⁸⁾)[1:] + (W⁽⁶⁾ᵀ δ⁽⁶⁾)[1:]"]),
])
def test_the_rules_write_each_fan_in_as_its_layers_send_and_each_rule_once(name, fans):
    """A block's fan-in in the network's rules: the inner path's part as the block's first layer sends
    it (a layer norm's ∂ℓ/∂x⁽²⁾, not a dense layer's (W⁽²⁾ᵀ δ⁽²⁾)[1:]); a rule shared by the blocks once."""
    from bptui.core.engine import equations as E
    from bptui.core.formulas.formula import TextPrinter

    spec = load(NETWORKS / f"{name}.json")
    p = TextPrinter()
    lines = [f"{p.p(e.lhs)} {e.rel} {p.p(e.forms[0])}" for e in E.network_formulas(Network(spec), spec.optimizer)]
    assert set(fans) <= set(lines), lines
    assert len(lines) == len(set(lines)), lines

"""Layer norm and dropout in networks with residual blocks on vectors (issue 21): first in a block
(pre-LN), in the middle of one, in a nested block, and beside the blocks; their steps along the wires
(a layer reads o⁽ˢʳᶜ⁽ˡ⁾⁾, its ∂ℓ/∂x goes to the layer below or into a block's fan-in). PyTorch float64
is the reference (the network written from the file's own nesting, ``F.layer_norm`` and dropout with
bptui's masks); finite differences with two epochs' masks; the stepper against the batch pass; the
equations' and explanations' numbers; deep_residual with layer norms learns XOR."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bptui.core.engine.kind import Draw
from bptui.core.engine.network import Network
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import train
from bptui.core.formats.spec import parse
from bptui.core.teaching.check import gradient_check

from .helpers import random_residual_doc

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
SEEDS = range(12)


def random_doc(seed: int, **kw) -> dict:
    """test_residual's random network with layer norms and dropout layers put in (their own draws): first
    in each block at random (a nested one too), one in the middle of a block, and beside the blocks
    (after the first dense layer, and before the output layer)."""
    doc = random_residual_doc(seed, n=4, **kw)
    rng = np.random.default_rng([2131, seed])

    def unitwise(width: int) -> tuple[dict, object]:
        if rng.random() < 0.5:  # over 2 units u = ±1 and ∂ℓ/∂x ≈ 0 when ε is small: a difference that cancels
            eps = float(rng.choice([1e-5, 0.1])) if width > 2 else 0.1  # to 1e-6, whose printed digits cannot redo it
            return ({"type": "layernorm", "eps": eps},
                    {"gamma": rng.normal(1, 0.3, size=width).tolist(), "beta": rng.normal(0, 0.3, size=width).tolist()})
        return {"type": "dropout", "p": float(rng.choice([0.2, 0.5])), "seed": int(rng.integers(0, 50))}, None

    def width_of(entry: dict, w) -> int | None:
        """The units a block's first inner layer reads (None: a block first in a block)."""
        return None if entry.get("type") == "residual" else len(w[0]) - 1

    def into(block: dict, ws: list, top: bool) -> None:
        for e, w in zip(block["layers"], ws):
            if e.get("type") == "residual":
                into(e, w, False)
        width = width_of(block["layers"][0], ws[0])
        if width is not None and (rng.random() < 0.6 or not top):
            e, w = unitwise(width)
            block["layers"].insert(0, e)
            ws.insert(0, w)
        if len(block["layers"]) > 1 and block["layers"][-2].get("type", "dense") == "dense" and rng.random() < 0.5:
            e, w = unitwise(len(ws[-1][0]) - 1)  # before F's last layer: the units it reads
            block["layers"].insert(len(block["layers"]) - 1, e)
            ws.insert(len(ws) - 1, w)

    for e, w in zip(doc["layers"][1:], doc["weights"]):
        if e.get("type") == "residual":
            into(e, w, True)
    h = len(doc["weights"][0])
    e, w = unitwise(h)
    doc["layers"].insert(2, e)
    doc["weights"].insert(1, w)
    e, w = unitwise(h)
    doc["layers"].insert(-1, e)
    doc["weights"].insert(-1, w)
    return doc


def torch_params(doc) -> list:
    """The weighted layers' tensors in file order (a block's inner layers in place; a layer norm's [β | γ])."""
    from .test_residual_sequences import torch_params as nested

    return nested(doc)


def torch_loss(doc, params, X, Y, epoch: int | None, examples):
    """ℓ of the rows X (examples 1-based ``examples``) from the file's nesting, example by example
    (test_dropout_sequences): a block adds its input to F's output; dropout with bptui's masks of
    ``epoch`` (None: the identity)."""
    from .test_dropout_sequences import example_loss

    return sum(example_loss(doc, params, x, y, epoch, int(n)) for x, y, n in zip(X, Y, examples))


def weighted(spec, Ws) -> list:
    return [np.asarray(w) for k, w in zip(spec.layer_kinds, Ws) if k.has_weights]


def test_the_random_networks_hold_both_kinds_in_blocks_nested_and_beside():
    kinds = set()
    for seed in SEEDS:
        spec = parse(random_doc(seed), "r.json")
        w = Network(spec).wiring
        for l, k in enumerate(spec.layer_kinds, start=1):
            if k.own_steps:
                depth, b = 0, w.block[l]
                while b:
                    depth, b = depth + 1, w.block[b]
                kinds.add((k.type, depth, w.src[l] == w.src[w.block[l]] if depth else None))  # first in its block
    assert {("layernorm", 0, None), ("dropout", 0, None), ("layernorm", 1, True), ("dropout", 1, True),
            ("layernorm", 2, True)} <= kinds, kinds
    assert {("layernorm", 1, False), ("dropout", 1, False)} & kinds  # in the middle of a block


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_G_match_pytorch_with_the_same_masks(seed):
    doc = random_doc(seed)
    spec = parse(doc, "r.json")
    params = torch_params(doc)
    examples = np.arange(spec.N) + 1
    loss = torch_loss(doc, params, spec.inputs, spec.targets, 2, examples)
    loss.backward()
    ell, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, None, Draw(2, examples))
    assert ell == pytest.approx(loss.item(), rel=1e-10, abs=1e-13)
    for l, (g, p) in enumerate(zip(weighted(spec, G), params), start=1):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=f"weighted layer {l}")
    outside = torch_loss(doc, params, spec.inputs, spec.targets, None, examples).item()
    assert Network(spec).dataset_loss(spec.weights, spec.inputs, spec.targets) == pytest.approx(outside, rel=1e-12)


@pytest.mark.parametrize("seed", range(0, 12, 3))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"), ("adam", "mini_batch")])
def test_weights_after_three_epochs_match_pytorch(seed, optimizer, update):
    from .helpers import torch_optimizer

    doc = random_doc(seed, optimizer=optimizer, update=update, l2=0.01)
    spec = parse(doc, "r.json")
    epochs = 3
    result = train(spec, epochs)
    params = torch_params(doc)
    topt = torch_optimizer(spec.optimizer, params)
    k = spec.group_size
    for epoch in range(1, epochs + 1):
        for a in range(0, spec.N, k):
            topt.zero_grad()
            loss = torch_loss(doc, params, spec.inputs[a:a + k], spec.targets[a:a + k], epoch, np.arange(a, a + k)[:spec.N - a] + 1)
            loss = loss + spec.optimizer.l2 * sum((p[:, 1:] ** 2).sum() for p in params)  # never β, never a bias
            loss.backward()
            topt.step()
    for l, (W, p) in enumerate(zip(weighted(spec, result.weights), params), start=1):
        np.testing.assert_allclose(W, p.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=f"weighted layer {l}")


@pytest.mark.parametrize("seed", (1, 5, 9))
def test_finite_differences_pass_with_each_epochs_masks(seed):
    spec = parse(random_doc(seed), "r.json")
    assert "dropout" in [k.type for k in spec.layer_kinds]
    got = {}
    for epoch in (1, 2):
        checks = gradient_check(spec, epoch=epoch)
        assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok][:3]
        got[epoch] = np.array([c.backprop for c in checks])
    assert not np.allclose(got[1], got[2])


@pytest.mark.parametrize("seed", range(0, 12, 2))
def test_the_stepper_walks_the_wires_as_the_batch_pass(seed):
    """Two epochs stepped one step at a time (u, o, dx, G; m and o, dx; along the wires) end with the
    weights of two epochs of training, and the first group's ℓ_D and G are the batch pass's."""
    spec = parse(random_doc(seed, update="mini_batch"), "r.json")
    st = Stepper(spec)
    net = Network(spec)
    first = st.run_until(lambda s: s.key.phase == "backward" and st.next_key.phase == "update")[-1]
    idx = np.arange(min(spec.group_size, spec.N))
    loss, G = net.gradient(spec.weights, spec.inputs[idx], spec.targets[idx], None, Draw(1, idx + 1))
    assert first.key.epoch == 1 and st.state.loss_D == pytest.approx(loss, rel=1e-12)
    for l, g in enumerate(G, start=1):
        np.testing.assert_allclose(st.state.G[l], g, rtol=1e-10, atol=1e-13, err_msg=f"G⁽{l}⁾")
    st.goto(2 * len(st.schedule))  # two epochs
    want = train(spec, 2).weights
    for l, W in enumerate(want, start=1):
        np.testing.assert_allclose(st.state.W[l], W, rtol=1e-10, atol=1e-13, err_msg=f"W⁽{l}⁾")


@pytest.mark.parametrize("seed", range(3))
def test_every_step_equation_and_cell_explanation_holds(seed):
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation

    spec = parse(random_doc(seed), "r.json")
    st = Stepper(spec)
    checked, explained = 0, 0
    while st.next_key.phase != "update" or st.next_key.group == 1 and st.next_key.epoch == 1:
        step = st.forward()
        if step.key.phase == "update":
            continue
        for eq in step_equations(st.net, st.state, step, spec.optimizer):
            checked += check_equation(eq, 4, st, where=f"step {step.key.step} {step.key.quantity}{step.key.layer}")
            TextPrinter(4).equation(eq)
            LatexPrinter(4).rows(eq)
        if step.key.phase in ("forward", "backward") and step.key.layer is not None:
            kind = spec.layer_kinds[step.key.layer - 1]
            value = np.asarray(step.value)
            for cell in quiz.candidates(spec, step.key):
                e = explain(st, cell, 4)
                assert e.value is not None, (step.key, cell)
                if cell.quantity != "G":
                    first = cell.quantity == "o" and step.key.layer < spec.L and kind.bias_entry
                    idx = cell.unit if first else cell.unit - 1
                    assert e.value == pytest.approx(float(value[idx]), rel=1e-12, abs=1e-15), (step.key, cell)
                for eq in e.equations:
                    checked += check_equation(eq, 4, st, where=f"{cell}")
                explained += 1
        if st.position >= len(st.schedule):
            break
    assert checked > 100 and explained > 20


def test_deep_residual_with_layer_norms_learns_xor():
    """deep_residual with a layer norm first in each block (pre-LN) and dropout p = 0.1 before the output
    layer, Adam η = 0.05: 500 epochs reach every XOR example; the first epoch's ‖G⁽¹⁾‖/‖G⁽ᴸ⁾‖ stays above
    0.1 (0.168)."""
    import json
    import time

    from bptui.core.engine.train import accuracy, gradient_stats

    from .conftest import NETWORKS

    doc = json.loads((NETWORKS / "deep_residual.json").read_text(encoding="utf-8"))
    for i in (2, 3):
        doc["layers"][i]["layers"].insert(0, {"type": "layernorm"})
    doc["layers"].insert(4, {"type": "dropout", "p": 0.1, "seed": 4})
    doc["training"].update(optimizer="adam", learning_rate=0.05)
    spec = parse(doc, "deep_residual_ln.json")
    stats = gradient_stats(spec)
    assert stats[0].G_norm / stats[-1].G_norm == pytest.approx(0.168, abs=0.001)
    t0 = time.process_time()
    result = train(spec, spec.epochs)
    assert time.process_time() - t0 < 20  # about 0.3 s of CPU
    assert accuracy(spec, result.weights, spec.inputs, spec.targets) == 1.0


def test_the_weights_of_a_block_with_a_layer_norm_and_a_dropout_read_back():
    doc = random_doc(1)
    spec = parse(doc, "r.json")
    again = parse(copy.deepcopy(doc) | {"weights": spec.to_json()["weights"]}, "again.json")
    for a, b in zip(spec.weights, again.weights):
        np.testing.assert_array_equal(a, b)

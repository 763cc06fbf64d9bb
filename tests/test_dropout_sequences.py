"""Dropout on sequences (issue 21): at each τ, o_τ = m_τ ⊙ x_τ/(1 − p), the mask of example n (from 1)
in epoch e (from 1) the (T, d) matrix ``default_rng([S, e, n]).random((T, d)) >= p`` whose row τ is m_τ
(above a many-to-one layer, once, with a mask of (d,)); the identity outside training. Wherever a layer
norm runs on sequences: between and after recurrent layers, below one, after a many-to-one layer, and
in and beside residual blocks around attention. PyTorch float64 with the same masks is the reference
(ℓ_D and G, the weights after training), then finite differences, the board against the batch pass,
and the equations and explanations of the steps at τ."""

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

from . import test_residual_sequences as blocks
from . import test_unitwise_sequences as recurrent

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
F = torch.nn.functional
ACTS = {**blocks.ACTS, "relu": torch.relu, "softplus": F.softplus, "gelu": F.gelu}
SHAPES = recurrent.SHAPES + ("blocks",)


def with_dropout(seed: int, shape: str, **training) -> dict:
    """A random network of ``shape`` with dropout layers put in: in a recurrent network after its layer
    norm (and, at random, first); in a network of residual blocks (test_residual_sequences) first in its
    last block and below the output layer."""
    rng = np.random.default_rng([2125, seed, SHAPES.index(shape)])

    def dropout() -> dict:
        return {"type": "dropout", "p": float(rng.choice([0.25, 0.5])), "seed": int(rng.integers(0, 100))}

    if shape == "blocks":
        doc = blocks.random_doc(seed, n=4)
        doc["training"].update(training)
        last = max(i for i, e in enumerate(doc["layers"]) if e.get("type") == "residual")
        doc["layers"][last]["layers"].insert(0, dropout())
        doc["weights"][last - 1].insert(0, None)
        doc["layers"].insert(-1, dropout())
        doc["weights"].insert(-1, None)
        return doc
    doc = recurrent.random_doc(seed, shape)
    doc["training"].update(training)
    norm = next(i for i, e in enumerate(doc["layers"]) if e.get("type") == "layernorm")
    doc["layers"].insert(norm + 1, dropout())
    doc["weights"].insert(norm, None)
    if rng.random() < 0.5:
        doc["layers"].insert(1, dropout())
        doc["weights"].insert(0, None)
    return doc


def params_of(doc) -> list:
    """The weighted layers' tensors in file order, a block's inner layers in place."""
    return blocks.torch_params(doc)


def mask(e: dict, epoch: int, n: int, shape: tuple) -> torch.Tensor:
    return torch.tensor(np.random.default_rng([e["seed"], epoch, n]).random(shape) >= e["p"], dtype=torch.float64)


def example_loss(doc, params, x, y, epoch: int | None, n: int):
    """ℓ⁽ⁿ⁾ of one sequence (T × d), or one vector (d), from the file's nesting, written out: rnn layers τ by
    τ, layer norms and attention as PyTorch's functions, dropout with bptui's masks of ``epoch`` (None: the
    identity), a mask of h's shape, (T, d) or (d,)."""
    it = iter(params)

    def run(entries, h):
        for e in entries:
            kind = e.get("type", "dense")
            if kind == "residual":
                h = h + run(e["layers"], h)
            elif kind == "dropout":
                if epoch is not None:
                    h = mask(e, epoch, n, tuple(h.shape)) * h / (1 - e["p"])
            elif kind == "layernorm":
                W = next(it)
                h = F.layer_norm(h, (h.shape[-1],), weight=W[:, 1], bias=W[:, 0], eps=e["eps"])
            elif kind == "attention":
                p, H, T = next(it), e.get("heads", 1), len(h)
                dh = e["dim"] // H
                q, k, v = (blocks.linear(p[name], h).reshape(T, H, dh).transpose(0, 1) for name in "QKV")
                z = F.scaled_dot_product_attention(q, k, v, is_causal=e.get("causal", False))
                h = blocks.linear(p["O"], z.transpose(0, 1).reshape(T, H * dh))
            elif kind == "rnn":
                W = next(it)
                w = h.shape[-1]
                Wx, U = W[:, :1 + w], W[:, 1 + w:]
                state, outs = torch.zeros(W.shape[0], dtype=torch.float64), []
                for row in h:
                    state = ACTS[e["activation"]](Wx[:, 0] + Wx[:, 1:] @ row + U @ state)
                    outs.append(state)
                h = torch.stack(outs) if e.get("return_sequences") else outs[-1]
            else:
                act = e["activation"]
                h = blocks.linear(next(it), h)
                h = torch.softmax(h, dim=-1) if act == "softmax" else ACTS[act](h)
        return h

    o = run(doc["layers"][1:], torch.tensor(x, dtype=torch.float64))
    yt = torch.tensor(y, dtype=torch.float64)
    if doc["loss"] == "cross_entropy":
        return -(yt * torch.log(o)).sum()
    return (0.5 if doc["loss"] == "half_squared" else 1.0) * ((o - yt) ** 2).sum()


def torch_loss(doc, spec, params, examples, epoch):
    return sum(example_loss(doc, params, spec.x_of(int(i)), spec.y_of(int(i)), epoch, int(i) + 1) for i in examples)


def recurrent_params(doc) -> list:
    """As :func:`params_of`, an rnn's {W, U} as one [W | U] matrix (bptui's stored layout)."""
    out = []
    for e, w in zip(doc["layers"][1:], doc["weights"]):
        if e.get("type") == "rnn":
            out.append(torch.tensor(np.concatenate([w["W"], w["U"]], axis=1), requires_grad=True))
        elif e.get("type") == "layernorm":
            out.append(torch.tensor(np.stack([w["beta"], w["gamma"]], axis=1), requires_grad=True))
        elif w is not None:
            out.append(torch.tensor(w, dtype=torch.float64, requires_grad=True))
    return out


def tensors(doc, spec) -> list:
    return recurrent_params(doc) if any(e.get("type") == "rnn" for e in doc["layers"]) else params_of(doc)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(3))
def test_loss_and_G_are_pytorchs_with_the_same_masks(shape, seed):
    """A training pass of epoch 2 on every example: ℓ_D and every G to 1e-10; the masks really drop
    units (ℓ_D differs from the pass without them)."""
    doc = with_dropout(seed, shape)
    spec = parse(doc, "seq.json")
    assert "dropout" in [k.type for k in spec.layer_kinds]
    net = Network(spec)
    draw = Draw(2, np.arange(spec.N) + 1)
    loss, G = net.gradient(spec.weights, spec.inputs, spec.targets, spec.lengths, draw)
    params = tensors(doc, spec)
    ref = torch_loss(doc, spec, params, range(spec.N), 2)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-10)
    assert loss != pytest.approx(net.dataset_loss(spec.weights, spec.inputs, spec.targets, spec.lengths), rel=1e-6)
    weighted = [g for k, g in zip(spec.layer_kinds, G) if k.has_weights]
    for l, (g, t) in enumerate(zip(weighted, blocks.matrices(spec, params, True)), start=1):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12, err_msg=f"weighted layer {l}")


@pytest.mark.parametrize("shape", SHAPES)
def test_outside_training_dropout_is_the_identity(shape):
    doc = with_dropout(1, shape)
    spec = parse(doc, "seq.json")
    params = tensors(doc, spec)
    ours = Network(spec).dataset_loss(spec.weights, spec.inputs, spec.targets, spec.lengths)
    assert ours == pytest.approx(torch_loss(doc, spec, params, range(spec.N), None).item(), rel=1e-12)


@pytest.mark.parametrize("shape,optimizer,update", [("after_rnn", "adam", "mini_batch"), ("below_rnn", "sgd", "full_batch"),
                                                    ("blocks", "adam", "mini_batch"), ("blocks", "momentum", "full_batch")])
def test_weights_after_three_epochs_are_pytorchs(shape, optimizer, update):
    """Three epochs, each update group a training pass of its epoch's masks, shuffled mini-batches or
    the full batch, L2: every weight to 1e-9."""
    from .test_rnn_reference import torch_train

    training: dict = {"optimizer": optimizer, "l2": 0.01, "update": {"batch_size": 2} if update == "mini_batch" else update}
    if update == "mini_batch":
        training["shuffle_seed"] = 4
    doc = with_dropout(2, shape, **training)
    if shape != "blocks":
        doc["training"]["learning_rate"] = 0.02
    spec = parse(doc, "seq.json")
    epochs, groups = 3, -(-spec.N // spec.group_size)
    calls = [0]

    def loss_of(s, p, examples):  # the groups come in order: the epoch of each is its count
        calls[0] += 1
        return torch_loss(doc, s, p, examples, (calls[0] - 1) // groups + 1)

    params = torch_train(spec, epochs, loss_of, tensors(doc, spec),
                         lambda p: sum((t[:, 1:] ** 2).sum() for t in (p.values() if isinstance(p, dict) else [p])))
    assert calls[0] == epochs * groups
    result = train(spec, epochs)
    kinds = [k for k in spec.layer_kinds if k.has_weights]
    ours = [np.array(w) for k, w in zip(spec.layer_kinds, result.weights) if k.has_weights]
    for l, (k, W, T) in enumerate(zip(kinds, ours, blocks.matrices(spec, params, False)), start=1):
        if k.mixes_time and optimizer == "adam":  # K's bias: its G is rounding noise (test_residual_sequences)
            W[k.dk:2 * k.dk, 0] = T[k.dk:2 * k.dk, 0] = 0.0
        np.testing.assert_allclose(W, T, rtol=1e-9, atol=1e-11, err_msg=f"weighted layer {l} after training")


@pytest.mark.parametrize("shape", SHAPES)
def test_check_passes_with_the_masks_of_the_epoch_asked(shape):
    """``bptui check``'s finite differences with the masks of epoch 1 and of epoch 3: every weight
    passes, and the two epochs' G differ (the masks are the epoch's)."""
    spec = parse(with_dropout(0, shape), "seq.json")
    got = {}
    for epoch in (1, 3):
        checks = gradient_check(spec, epoch=epoch)
        assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok][:3]
        got[epoch] = np.array([c.backprop for c in checks])
    assert not np.allclose(got[1], got[3])


@pytest.mark.parametrize("shape", SHAPES)
def test_the_board_steps_to_the_batch_pass(shape):
    """Two update groups stepped τ by τ (m_τ, o_τ, ∂ℓ/∂x_τ): the board's m rows are the example's (T, d)
    mask of its epoch; ℓ_D and G of each group are the batch pass's with that group's draw."""
    doc = with_dropout(3, shape, update={"batch_size": 2}, shuffle_seed=1)
    spec = parse(doc, "seq.json")
    net, st = Network(spec), Stepper(spec)
    drops = [l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "dropout"]
    rows, loss_D = 0, 0.0
    for _ in range(2):
        examples: list[int] = []
        while st.next_key.phase != "update":
            step = st.forward()
            k = step.key
            if k.example_start:
                examples.append(k.example)
            if k.layer in drops and k.quantity == "o":
                kind = spec.layer_kinds[k.layer - 1]
                T = len(st.state.o[0])
                want = kind.mask(k.epoch, k.example, T)[k.time - 1] if k.time else kind.mask(k.epoch, k.example)
                np.testing.assert_array_equal(st.state.s[k.layer][k.time - 1] if k.time else st.state.s[k.layer], want)
                rows += 1
        idx = np.array(examples) - 1
        loss, G = net.gradient(st.state.W[1:], spec.inputs[idx], spec.targets[idx], spec.lengths[idx],
                               Draw(st.next_key.epoch, idx + 1))
        loss_D += loss
        assert st.state.loss_D == pytest.approx(loss_D, rel=1e-12)  # ℓ_D adds up over the epoch's groups
        for l, g in enumerate(G, start=1):
            np.testing.assert_allclose(st.state.G[l], g, rtol=1e-10, atol=1e-13, err_msg=f"G⁽{l}⁾")
        while st.next_key.phase == "update":
            st.forward()
    assert rows >= 4


@pytest.mark.parametrize("shape", ["after_rnn", "after_many_to_one", "blocks"])
def test_every_step_equation_and_cell_of_a_dropout_layer_holds(shape):
    """Each dropout step's equations hold on the board's numbers (m_τ, o_τ, ∂ℓ/∂x_τ, and the δ of a
    dense layer under it), and each cell it writes is explained with the step's value."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation

    spec = parse(with_dropout(1, shape), "seq.json")
    st = Stepper(spec)
    drops = {l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "dropout"}
    checked = explained = 0
    while st.next_key.phase != "update":
        step = st.forward()
        k = step.key
        if k.layer not in drops:
            continue
        for eq in step_equations(st.net, st.state, step, spec.optimizer):
            checked += check_equation(eq, 4, st, where=f"step {k.step} {k.quantity}{k.layer} τ {k.time}")
            TextPrinter(4).equation(eq)
            LatexPrinter(4).rows(eq)
        value = np.asarray(step.value).reshape(-1)
        for cell in quiz.candidates(spec, k):
            e = explain(st, cell, 4)
            first = 1 if cell.quantity == "o" and k.layer < spec.L else 0
            unit = cell.unit if isinstance(cell.unit, int) else cell.unit[0] + 1
            assert e.value == pytest.approx(float(value[unit - 1 + first]), rel=1e-12, abs=1e-15), (k, cell)
            explained += 1
    assert checked > 10 and explained > 10


def test_dropout_layers_stand_in_blocks_on_sequences_and_beside_them():
    spec = parse(with_dropout(0, "blocks"), "seq.json")
    net = Network(spec)
    drops = [l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "dropout"]
    assert len(drops) == 2 and net.wiring.block[drops[0]] and not net.wiring.block[drops[1]]
    doc = copy.deepcopy(with_dropout(0, "blocks"))
    assert parse(doc, "again.json").to_json()["weights"] == doc["weights"]


@pytest.mark.asyncio
async def test_the_app_steps_a_dropout_layer_through_time():
    """Pilot: every step of the first group (m_τ, o_τ, ∂ℓ/∂x_τ at each τ) with its equation shown, then
    every cell of the dropout layer's sheet explained."""
    from bptui.core.engine.equations import step_equation
    from bptui.core.formulas.notation import num
    from bptui.tui.app import BptuiApp
    from bptui.tui.panel_base import NumberSheet

    spec = parse(with_dropout(1, "after_rnn"), "seq.json")
    drop = max(l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "dropout")
    app = BptuiApp(spec)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        quantities = set()
        while app.stepper.next_key.phase != "update":
            app.main.action_next()
            key = app.stepper.last.key
            if key.layer == drop:
                await pilot.pause()
                quantities.add(key.quantity)
                value = np.asarray(app.stepper.last.value, dtype=float)
                full = step_equation(app.stepper, app.stepper.last)
                assert num(float(value.reshape(-1)[-1]), 4) in full.rpartition(" = ")[2]
                shown = str(app.query_one("#equation").render()).partition(" …")[0].rstrip(".")
                assert full.startswith(shown[:60]), (shown, full)
        assert quantities == {"o", "dx"}
        sheet = app.query_one(f"#layer-{drop}", NumberSheet)
        sheet.focus()
        await pilot.pause()
        titles = []
        for i in range(len(sheet.cells)):
            sheet.cursor = i
            sheet.cursor_moved()  # as an arrow key does (two presses were 80 ms of waiting a cell)
            await pilot.pause()
            text = app.query_one("#explain").text
            assert "Traceback" not in text and text.strip()
            titles.append(text.splitlines()[0])
        assert len(set(titles)) == len(sheet.cells) > 0  # each cell's own explanation

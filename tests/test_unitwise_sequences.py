"""Layer normalisation on a sequence of vectors, per time step (issue 21): each τ's d units normalised
on their own, between and after recurrent layers, and below them; ℓ_D and G against PyTorch float64
(F.layer_norm over the last axis, the rnn written out), on random small networks."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.formats.spec import parse

from .helpers import _sequences_and_training

torch = pytest.importorskip("torch")
F = torch.nn.functional
ACTS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda s: s}
SHAPES = ("after_rnn", "between_rnns", "below_rnn", "after_many_to_one")


def random_doc(seed: int, shape: str, **training) -> dict:
    """rnn → layernorm → dense at each τ (``after_rnn``); rnn → layernorm → rnn (``between_rnns``);
    dense → layernorm → rnn at each τ (``below_rnn``); a many-to-one rnn → layernorm → dense, once
    (``after_many_to_one``). γ and β drawn."""
    rng = np.random.default_rng([2103, seed, SHAPES.index(shape)])
    d, h = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    layers: list[dict] = [{"units": d}]
    weights: list = []

    def rnn(below: int, seqs: bool) -> None:
        layers.append({"type": "rnn", "units": h, "activation": str(rng.choice(["tanh", "relu"])), "return_sequences": seqs})
        weights.append({"W": rng.normal(0, 0.6, size=(h, below + 1)).tolist(), "U": rng.normal(0, 0.6, size=(h, h)).tolist()})

    def norm(units: int) -> None:
        layers.append({"type": "layernorm", "eps": float(rng.choice([1e-5, 0.1]))})
        weights.append({"gamma": rng.normal(1, 0.3, size=units).tolist(), "beta": rng.normal(0, 0.3, size=units).tolist()})

    seqs = shape != "after_many_to_one"
    if shape == "below_rnn":
        layers.append({"units": h, "activation": "tanh"})
        weights.append(rng.normal(0, 0.6, size=(h, d + 1)).tolist())
        norm(h)
        rnn(h, True)
    else:
        rnn(d, seqs)
        norm(h)
        if shape == "between_rnns":
            rnn(h, True)
    loss = str(rng.choice(["squared", "cross_entropy"]))
    out = 2 if loss == "cross_entropy" else int(rng.integers(1, 3))
    layers.append({"units": out, "activation": "softmax" if loss == "cross_entropy" else "identity"})
    weights.append(rng.normal(0, 0.6, size=(out, h + 1)).tolist())
    doc = {"layers": layers, "weights": weights, "loss": loss,
           **_sequences_and_training(rng, 4, d, out, loss, seqs, "full_batch", "sgd", 0.0, None, None)}
    doc["training"].update(training)
    return doc


def torch_loss(spec, params):
    """ℓ_D of the spec's network on its examples, in PyTorch, with ``params`` (bptui's layout, as tensors)."""
    total = torch.zeros((), dtype=torch.float64)
    for n, x in enumerate(spec.raw["data"]["inputs"]):
        h = torch.tensor(x, dtype=torch.float64)  # (T, d): one row per τ
        for l, (k, W) in enumerate(zip(spec.layer_kinds, params), start=1):
            act = ACTS[spec.activations[l - 1]] if spec.activations[l - 1] in ACTS else None
            if k.type == "layernorm":
                h = F.layer_norm(h, (h.shape[-1],), weight=W[:, 1], bias=W[:, 0], eps=k.eps)
            elif k.type == "rnn":
                w = h.shape[-1]
                Wx, Uh = W[:, :1 + w], W[:, 1 + w:]
                state, outs = torch.zeros(W.shape[0], dtype=torch.float64), []
                for row in h:
                    state = act(Wx[:, 0] + Wx[:, 1:] @ row + Uh @ state)
                    outs.append(state)
                h = torch.stack(outs) if k.sequence_out() else outs[-1]
            else:
                h = h @ W[:, 1:].T + W[:, 0]
                if l < spec.L:
                    h = act(h)
        y = torch.tensor(spec.raw["data"]["targets"][n], dtype=torch.float64)
        if spec.loss == "cross_entropy":
            total = total - (y * torch.log_softmax(h, -1)).sum()
        else:
            total = total + ((h - y) ** 2).sum()
    return total


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(3))
def test_loss_and_G_are_pytorchs(shape, seed):
    spec = parse(random_doc(seed, shape), "seq.json")
    assert "layernorm" in [k.type for k in spec.layer_kinds]
    W = [np.array(w) for w in spec.weights]
    loss, G = Network(spec).gradient(W, spec.inputs, spec.targets, spec.lengths)
    params = [torch.tensor(w, requires_grad=True) for w in W]
    ref = torch_loss(spec, params)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-10)
    for g, p in zip(G, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_board_steps_to_the_same_G_and_loss(shape):
    """Stepping every example τ by τ (u_τ, o_τ, ∂ℓ/∂x_τ, G per τ) adds up to the batch's ℓ_D and G, and
    each u_τ row is normalised (mean 0, biased variance σ²/(σ² + ε))."""
    from bptui.core.engine.schedule import UPDATE
    from bptui.core.engine.stepper import Stepper

    spec = parse(random_doc(5, shape), "seq.json")
    stepper = Stepper(spec)
    norm = next(l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "layernorm")
    seen = 0
    while stepper.schedule.key(stepper.position).phase != UPDATE:
        step = stepper.forward()
        if step.key.layer == norm and step.key.quantity == "u":
            assert abs(float(np.mean(step.value))) < 1e-12
            seen += 1
    assert seen == (sum(spec.lengths) if shape != "after_many_to_one" else spec.N)
    W = [np.array(w) for w in spec.weights]
    loss, G = Network(spec).gradient(W, spec.inputs, spec.targets, spec.lengths)
    assert stepper.state.loss_D == pytest.approx(loss, rel=1e-12)
    for g, want in zip(stepper.state.G[1:], G):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-13)


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["after_rnn", "below_rnn"])
async def test_the_app_steps_a_layer_norm_through_time(shape):
    """Pilot: every step of an example (u_τ, o_τ, ∂ℓ/∂x_τ, G at each τ), its equation shown with the
    step's numbers, and every cell of the layer norm's sheet explained, through to the first update."""
    from bptui.core.engine.equations import step_equation
    from bptui.core.engine.schedule import UPDATE
    from bptui.core.formulas.notation import num
    from bptui.tui.app import BptuiApp
    from bptui.tui.panel_base import NumberSheet

    spec = parse(random_doc(1, shape), "seq.json")
    norm = next(l for l, k in enumerate(spec.layer_kinds, start=1) if k.type == "layernorm")
    app = BptuiApp(spec)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        sheet = app.query_one(f"#layer-{norm}", NumberSheet)  # a sequence panel above the rnn, its own below
        quantities = set()
        for _ in range(400):  # an example of at most 5 time steps and its group: far fewer steps
            if app.stepper.schedule.key(app.stepper.position).phase == UPDATE:
                break
            app.main.action_next()  # n's action (a press would wait 40 ms a step: the key is tested elsewhere)
            key = app.stepper.last.key
            if key.layer == norm:
                await pilot.pause()
                quantities.add(key.quantity)
                value = np.asarray(app.stepper.last.value, dtype=float)
                full = step_equation(app.stepper, app.stepper.last)
                last = full.rpartition(" = ")[2]  # ends with the step's value (in its vector's one form)
                assert any(num(float(value.reshape(-1)[-1]), 4, form) in last for form in ("f", "e")), last
                shown = str(app.query_one("#equation").render()).partition(" …")[0].rstrip(".")
                assert full.startswith(shown[:60]), (shown, full)
        assert quantities == {"u", "o", "dx", "G"}
        sheet.focus()
        await pilot.pause()
        titles = []
        for i, cell in enumerate(sheet.cells):
            sheet.cursor = i
            sheet.cursor_moved()  # as an arrow key does: the screen explains the cell under the cursor
            await pilot.pause()
            text = app.query_one("#explain").text
            assert "Traceback" not in text and text.strip()
            titles.append(text.splitlines()[0])
        assert len(set(titles)) == len(sheet.cells) > 0  # each cell's own explanation

"""Residual blocks over sequences (issue 21, towards tiny_transformer): o_τ = x_τ + F(x)_τ over the
units at every τ, F of dense layers at τ, attention layers and nested blocks, in a network without a
recurrent layer. PyTorch float64 is the reference (the network written from the file's own nesting,
one sequence at a time, with ``F.scaled_dot_product_attention``): ℓ_D, G and the weights after
training with sgd and adam and L2; finite differences; the stepper against the batch pass."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import train
from bptui.core.formats.spec import parse

from .helpers import _sequences_and_training, assert_sequence_fd
from .test_rnn_reference import torch_train

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
F = torch.nn.functional
ACTS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda x: x,
        "softmax": lambda x: torch.softmax(x, dim=1)}
SEEDS = range(16)


def random_doc(seed: int, n: int = 5, update: str = "full_batch", optimizer: str = "sgd", l2: float = 0.0,
               mini_batch: int | None = None, shuffle_seed: int | None = None) -> dict:
    """A random small transformer-like network on sequences: a dense layer at τ below at random; a block
    [attention] (at random [[attention], dense]: nested); a block [dense, dense] (the feed-forward part);
    a third block or a bare attention layer at random; a dense output layer per τ. A layer norm first
    in a block (pre-LN) and one below the output layer, at random (their own draws: the rest as before)."""
    rng = np.random.default_rng([2121, seed])
    ln = np.random.default_rng([2122, seed])
    d = int(rng.integers(2, 4))
    heads = 1 + seed % 2
    layers: list = [{"units": d}]
    weights: list = []
    width = d

    def dense(units: int, act: str) -> tuple[dict, list]:
        return {"units": units, "activation": act}, rng.normal(0, 0.5, size=(units, width + 1)).tolist()

    def attention() -> tuple[dict, dict]:
        dk = int(rng.choice([2, 4]))
        return ({"type": "attention", "dim": dk, "heads": heads, "causal": bool(rng.integers(0, 2))},
                {name: rng.normal(0, 0.4, size=(dk, width + 1)).tolist() for name in "QKV"}
                | {"O": rng.normal(0, 0.4, size=(width, dk + 1)).tolist()})

    def norm() -> tuple[dict, dict]:
        return ({"type": "layernorm", "eps": float(ln.choice([1e-5, 0.1]))},
                {"gamma": ln.normal(1, 0.3, size=width).tolist(), "beta": ln.normal(0, 0.3, size=width).tolist()})

    def block(entries: list) -> tuple[dict, list]:
        entries = ([norm()] if ln.random() < 0.5 else []) + entries
        return {"type": "residual", "layers": [e for e, _ in entries]}, [w for _, w in entries]

    def add(entry: tuple) -> None:
        layers.append(entry[0])
        weights.append(entry[1])

    if rng.random() < 0.5:
        entry = dense(int(rng.integers(2, 4)), str(rng.choice(["tanh", "sigmoid"])))
        add(entry)
        width = entry[0]["units"]
    if rng.random() < 0.4:
        add(block([block([attention()]), dense(width, str(rng.choice(["tanh", "identity"])))]))
    else:
        add(block([attention()]))
    hidden = dense(int(rng.integers(2, 5)), str(rng.choice(["relu", "tanh"])))
    add(block([hidden, dense_from(rng, width, hidden[0]["units"])]))
    if rng.random() < 0.5:
        add(attention() if rng.random() < 0.5 else block([attention()]))
    if ln.random() < 0.4:
        add(norm())
    loss = str(rng.choice(["squared", "half_squared", "cross_entropy"]))
    out = int(rng.integers(2, 4))
    add(dense(out, "softmax" if loss == "cross_entropy" else str(rng.choice(["sigmoid", "identity"]))))
    doc = {"layers": layers, "weights": weights, "loss": loss,
           **_sequences_and_training(rng, n, d, out, loss, True, update, optimizer, l2, mini_batch, shuffle_seed)}
    doc["training"]["learning_rate"] = 0.005  # small enough that three epochs never diverge
    return doc


def dense_from(rng, units: int, below: int) -> tuple[dict, list]:
    """A dense layer of ``units`` (identity) reading ``below`` units: F's last layer, back to x's width."""
    return {"units": units, "activation": "identity"}, rng.normal(0, 0.5, size=(units, below + 1)).tolist()


def torch_params(doc) -> list:
    """The weighted layers' tensors in file order (a block's inner layers in place)."""
    out: list = []

    def walk(entries, ws):
        for e, w in zip(entries, ws):
            if e.get("type") == "residual":
                walk(e["layers"], w)
            elif w is None:  # no weights (dropout)
                continue
            elif e.get("type") == "layernorm":  # the stored [β | γ]
                out.append(torch.tensor(np.stack([w["beta"], w["gamma"]], axis=1), dtype=torch.float64,
                                        requires_grad=True))
            elif e.get("type") == "attention":
                out.append({k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in w.items()})
            else:
                out.append(torch.tensor(w, dtype=torch.float64, requires_grad=True))

    walk(doc["layers"][1:], doc["weights"])
    return out


def linear(W, x):
    return F.linear(x, W[:, 1:], W[:, 0])


def example_loss(doc, params, x, y):
    """ℓ⁽ⁿ⁾ of one sequence x (T × d), from the file's nesting: a block adds its input to F's output."""
    it = iter(params)

    def run(entries, h):
        T = len(h)
        for e in entries:
            if e.get("type") == "residual":
                h = h + run(e["layers"], h)
            elif e.get("type") == "layernorm":
                W = next(it)
                h = F.layer_norm(h, (h.shape[-1],), weight=W[:, 1], bias=W[:, 0], eps=e["eps"])
            elif e.get("type") == "attention":
                p, H = next(it), e.get("heads", 1)
                dh = e["dim"] // H
                q, k, v = (linear(p[name], h).reshape(T, H, dh).transpose(0, 1) for name in "QKV")
                z = F.scaled_dot_product_attention(q, k, v, is_causal=e.get("causal", False))
                h = linear(p["O"], z.transpose(0, 1).reshape(T, H * dh))
            else:
                h = ACTS[e["activation"]](linear(next(it), h))
        return h

    o = run(doc["layers"][1:], torch.tensor(x, dtype=torch.float64))
    yt = torch.tensor(y, dtype=torch.float64)
    if doc["loss"] == "cross_entropy":
        return -(yt * torch.log(o)).sum()
    return (1.0 if doc["loss"] == "squared" else 0.5) * ((o - yt) ** 2).sum()


def torch_loss(doc, spec, params, examples):
    return sum(example_loss(doc, params, spec.x_of(n), spec.y_of(n)) for n in examples)


def matrices(spec, params, grad: bool) -> list:
    """Our stored matrices of the tensors (or their gradients), for the weighted layers."""
    kinds = [k for k in spec.layer_kinds if k.has_weights]
    out = []
    for k, p in zip(kinds, params):
        of = (lambda t: t.grad.numpy()) if grad else (lambda t: t.detach().numpy())
        out.append(k.weights_from_json({n: of(t) for n, t in p.items()}) if isinstance(p, dict) else of(p))
    return out


def weighted(spec, Ws) -> list:
    return [np.array(w) for k, w in zip(spec.layer_kinds, Ws) if k.has_weights]


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_G_match_pytorch(seed):
    doc = random_doc(seed)
    spec = parse(doc, "random.json")
    assert spec.return_sequences and len(set(spec.lengths.tolist())) > 1
    params = torch_params(doc)
    loss = torch_loss(doc, spec, params, range(spec.N))
    loss.backward()
    ours, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, spec.lengths)
    assert ours == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (g, t) in enumerate(zip(weighted(spec, G), matrices(spec, params, True)), start=1):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12, err_msg=f"weighted layer {l}")


def test_the_random_networks_nest_blocks_and_hold_attention_in_and_out_of_them():
    specs = [parse(random_doc(seed), "random.json") for seed in SEEDS]
    depth = [max(sum(1 for _ in _blocks_around(s, l)) for l in range(1, s.L + 1)) for s in specs]
    assert max(depth) == 2 and min(depth) == 1
    inside = [any(k.mixes_time and next(_blocks_around(s, l), 0) for l, k in enumerate(s.layer_kinds, 1))
              for s in specs]
    assert all(inside)
    assert any(k.mixes_time and not next(_blocks_around(s, l), 0)
               for s in specs for l, k in enumerate(s.layer_kinds, 1))
    norms = [(next(_blocks_around(s, l), 0) > 0, l == s.L - 1) for s in specs
             for l, k in enumerate(s.layer_kinds, 1) if k.type == "layernorm"]
    assert (True, False) in norms and (False, True) in norms  # first in a block, and below the output layer


def _blocks_around(spec, l):
    """The blocks layer l is inside, innermost first."""
    net = Network(spec)
    b = net.wiring.block[l]
    while b:
        yield b
        b = net.wiring.block[b]


@pytest.mark.parametrize("seed", range(0, 16, 3))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("adam", "mini_batch")])
def test_weights_after_training_match_pytorch(seed, optimizer, update):
    doc = random_doc(seed, optimizer=optimizer, update=update, l2=0.01, mini_batch=2,
                     shuffle_seed=3 if update == "mini_batch" else None)
    spec = parse(doc, "random.json")
    epochs = 3
    result = train(spec, epochs)
    params = torch_train(spec, epochs, lambda s, p, ex: torch_loss(doc, s, p, ex), torch_params(doc),
                         lambda p: sum((t[:, 1:] ** 2).sum() for t in (p.values() if isinstance(p, dict) else [p])))
    theirs = matrices(spec, params, False)
    kinds = [k for k in spec.layer_kinds if k.has_weights]
    for l, (k, W, T) in enumerate(zip(kinds, weighted(spec, result.weights), theirs), start=1):
        if k.mixes_time and optimizer == "adam":  # K's bias: torch's G is rounding noise (bptui's 0), which Adam
            W[k.dk:2 * k.dk, 0] = T[k.dk:2 * k.dk, 0] = 0.0  # divides by its own size (test_attention_reference)
        np.testing.assert_allclose(W, T, rtol=1e-9, atol=1e-11, err_msg=f"weighted layer {l} after training")


@pytest.mark.parametrize("seed", range(0, 16, 4))
def test_G_matches_finite_differences(seed):
    spec = parse(random_doc(seed, n=3), "random.json")
    net = Network(spec)
    W = [np.array(w) for w in spec.weights]
    _, G = net.gradient(W, spec.inputs, spec.targets, spec.lengths)
    assert_sequence_fd(net, spec, W, G, np.random.default_rng(seed), 5)


@pytest.mark.parametrize("seed", range(0, 16, 2))
def test_the_stepper_adds_up_to_the_batch_pass(seed):
    """Stepping every example of the first update group (per-τ layers τ by τ, attention and a block
    around it over the whole sequence) leaves the same ℓ_D and G as the vectorised pass; the blocks
    step both ways, over the whole sequence (around attention) and at τ (around dense layers)."""
    spec = parse(random_doc(seed, n=4), "random.json")
    stepper = Stepper(spec)
    seen = set()
    while stepper.next_key.phase != "update":
        step = stepper.forward()
        if step.key.layer and spec.layer_kinds[step.key.layer - 1].span:
            seen.add((step.key.quantity, step.key.time is None))
    loss, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, spec.lengths)
    assert stepper.state.loss_D == pytest.approx(loss, rel=1e-12)
    for l, g in enumerate(G, start=1):
        np.testing.assert_allclose(stepper.state.G[l], g, rtol=1e-10, atol=1e-13, err_msg=f"G⁽{l}⁾")
    assert seen == {("o", True), ("dx", True), ("o", False), ("dx", False)}  # blocks with attention: whole


@pytest.mark.parametrize("seed", range(3))
def test_every_step_equation_and_cell_explanation_of_the_blocks_and_dense_layers_holds(seed):
    """The blocks' o and fan-in, at τ and over the whole sequence, and the dense layers that read a block
    or send to one, and the attention layers' own steps: every equation's numbers are the board's, the
    arithmetic shown holds (text and LaTeX), and every explained cell's value is the step's."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter, plan
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation, check_text

    spec = parse(random_doc(seed, n=2), "random.json")
    st = Stepper(spec)
    checked, blocks, attention = 0, 0, 0
    for _ in range(len(st.schedule)):
        step = st.forward()
        k = step.key
        mixes = k.layer is not None and spec.layer_kinds[k.layer - 1].mixes_time
        for eq in step_equations(st.net, st.state, step, spec.optimizer):
            eq = plan(eq, 4)
            n = check_equation(eq, 4, st, where=f"step {k.step} {k.quantity}{k.layer} τ {k.time}")
            checked, attention = checked + n, attention + n * mixes
            text, latex = TextPrinter(4).equation(eq), " ".join(r for row in LatexPrinter(4).rows(eq) for r in row)
            if "…" not in text and "dots" not in latex:
                check_text(eq, 4, text, latex)
        if k.phase in ("forward", "backward") and k.layer is not None and k.quantity != "G" and not mixes:
            rows = np.atleast_2d(np.asarray(step.value))
            for cell in quiz.candidates(spec, k):
                e = explain(st, cell, 4)
                row = rows[0] if k.time is not None else rows[cell.time - 1] if rows.shape[0] > 1 else rows[0]
                idx = cell.unit if cell.quantity == "o" and k.layer < spec.L else cell.unit - 1
                assert e.value == pytest.approx(float(row[idx]), rel=1e-12, abs=1e-15), (k, cell)
                blocks += bool(spec.layer_kinds[k.layer - 1].span)
    assert checked > 100 and blocks > 20 and attention > 100


# -- the example ---------------------------------------------------------------------------------------
def test_tiny_transformer_learns_to_count_tokens_it_never_saw():
    """residual[layernorm, attention], residual[layernorm, dense] (pre-LN), dense softmax per τ on
    count_tokens' task: every training position right, ≥ 95% of 500 fresh sequences' positions (the
    untrained weights: under half)."""
    import json
    import time

    from bptui.core.engine.train import accuracy
    from bptui.core.formats.spec import load

    from .conftest import NETWORKS
    from .test_attention import count_data

    spec = load(NETWORKS / "tiny_transformer.json")
    assert [k.type for k in spec.layer_kinds] == ["residual", "layernorm", "attention", "residual", "layernorm",
                                                  "dense", "dense"]
    t0 = time.process_time()  # CPU time: what a busy machine does not stretch
    result = train(spec, spec.epochs)
    assert time.process_time() - t0 < 40  # about 4.5 s of CPU on the 2-core machine
    assert accuracy(spec, result.weights, spec.inputs, spec.targets) == 1.0
    doc = json.loads((NETWORKS / "tiny_transformer.json").read_text(encoding="utf-8"))
    xs, ys = count_data(99, 500)
    fresh = parse({**doc, "data": {"inputs": xs, "targets": ys}}, "fresh")
    assert accuracy(fresh, result.weights, fresh.inputs, fresh.targets) >= 0.95
    assert accuracy(fresh, spec.weights, fresh.inputs, fresh.targets) < 0.5


@pytest.mark.asyncio
async def test_the_app_steps_tiny_transformer_forward_and_back(monkeypatch):
    """tiny_transformer opened and stepped through its first example's forward and backward pass and
    back to the start: no error reported; the board's block outputs are x + F(x) at every τ, and the
    second layer norm's u and o are its input's, normalised at every τ."""
    from bptui.tui import guard

    from .tui_helpers import app_for

    reported: list[BaseException] = []
    monkeypatch.setattr(guard, "report", lambda app, error: reported.append(error))
    app = app_for("tiny_transformer")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        steps = int(app.stepper.schedule.sizes[0])
        for _ in range(steps):
            app.main.action_next()
        await pilot.pause()
        st = app.stepper.state
        assert app.stepper.last.key.quantity == "dx" and app.stepper.last.key.layer == 1  # the first block's fan-in
        # layers: block 1 [layer norm 2, attention 3], block 4 [layer norm 5, dense 6], output 7
        np.testing.assert_allclose(st.o[1][:, 1:], st.o[0][:, 1:] + st.o[3][1:], rtol=1e-15)
        np.testing.assert_allclose(st.o[4][:, 1:], st.o[1][:, 1:] + st.o[6][:, 1:], rtol=1e-15)
        x = st.o[1][:, 1:]  # layer norm 5 of block 4's input at every τ: u_τ = (x_τ − μ_τ)/√(σ²_τ + ε)
        u = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        np.testing.assert_allclose(st.s[5], u, rtol=1e-12)
        np.testing.assert_allclose(st.o[5][:, 1:], u * st.W[5][:, 1] + st.W[5][:, 0], rtol=1e-12)
        for _ in range(steps):
            app.main.action_prev()
        await pilot.pause()
        assert app.stepper.position == 0 and not reported, reported


# -- hostile files ---------------------------------------------------------------------------------------
def _tiny() -> dict:
    import json

    from .conftest import NETWORKS

    doc = json.loads((NETWORKS / "tiny_transformer.json").read_text(encoding="utf-8"))
    doc["data"] = {k: v[:6] for k, v in doc["data"].items()}
    doc["weights"] = parse(doc, "x.json").to_json()["weights"]
    return doc


@pytest.mark.parametrize("seed", range(40))
def test_mutated_tiny_transformers_are_read_or_refused_with_an_error_line(seed):
    """A class of bad files: tiny_transformer with its blocks, their attention entries and weights
    mutated at random (dims, heads, units, nesting, a recurrent layer in or beside a block, weights
    of the wrong form): either a network whose gradient is finite or one SpecError line."""
    from bptui.core.util.errors import SpecError

    rng = np.random.default_rng([21, 21, seed])
    doc = _tiny()
    for _ in range(int(rng.integers(1, 4))):
        i = int(rng.choice([1, 2]))
        block, weights = doc["layers"][i], doc.get("weights")
        inner = block.get("layers")
        what = int(rng.integers(0, 9))
        if what == 0 and isinstance(inner, list) and inner:
            inner[0].update({"dim": int(rng.integers(0, 5)), "heads": int(rng.integers(1, 4))})
        elif what == 1 and isinstance(inner, list) and inner:
            inner[-1]["units"] = int(rng.integers(1, 5))
        elif what == 2 and isinstance(inner, list):
            inner.append(copy.deepcopy(block))
        elif what == 3:
            doc["layers"].insert(i, {"type": "rnn", "units": 3, "return_sequences": bool(rng.integers(0, 2))})
        elif what == 4 and isinstance(inner, list) and inner:
            kind = str(rng.choice(["rnn", "lstm", "maxpool2d", "attention"]))
            inner.insert(0, {"type": kind, "dim": 2} if kind == "attention" else {"type": kind, "units": 3})
        elif what == 5 and isinstance(weights, list):
            weights[i - 1] = [None, [{"Q": [[1.0]]}], [{"Q": [], "K": [], "V": [], "O": []}], [[[1.0]]], {"W": []}][
                int(rng.integers(0, 5))]
        elif what == 6:
            doc.pop("weights", None)
        elif what == 7:
            block["layers"] = {"type": "attention", "dim": 2}
        elif what == 8 and isinstance(weights, list):
            weights.append(weights[0])
    try:
        spec = parse(doc, "mutated.json")
    except SpecError as err:
        assert str(err).startswith("mutated.json: ") and "\n" not in str(err)
        return
    ell, _ = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, spec.lengths)
    assert np.isfinite(ell)


def test_a_block_beside_a_recurrent_layer_is_one_error_line_on_the_command_line(tmp_path):
    import json
    import subprocess
    import sys

    doc = _tiny()
    doc["layers"][1] = {"type": "rnn", "units": 3, "return_sequences": True}  # no attention left
    doc.pop("weights")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bptui", "trace", str(path)], capture_output=True, text=True)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "bad.json" in lines[0]
    assert "layers[2]" in lines[0] and "recurrent layer" in lines[0] and not run.stdout


def test_a_layer_norm_and_dropout_on_vectors_with_blocks_check(tmp_path, capsys):
    """On vectors too (tests/test_unitwise_residual.py): deep_residual with a layer norm first in a block
    and a dropout layer beside the blocks passes ``bptui check``."""
    import json

    from bptui.cli import main

    from .conftest import NETWORKS

    doc = json.loads((NETWORKS / "deep_residual.json").read_text(encoding="utf-8"))
    doc["layers"][2]["layers"].insert(0, {"type": "layernorm"})
    doc["layers"].insert(4, {"type": "dropout", "p": 0.3})
    doc.pop("weights", None)
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert not err and "overall: max relative error" in out and ", ok" in out, (out, err)


@pytest.mark.parametrize("where", ["in_a_block", "beside_blocks"])
def test_tiny_transformer_with_dropout_checks(tmp_path, capsys, where):
    """Dropout in a residual block over sequences, or beside the blocks: ``bptui check`` (epoch 1's
    masks) passes on every weight."""
    import json

    from bptui.cli import main

    doc = _tiny()
    if where == "in_a_block":
        doc["layers"][1]["layers"].insert(1, {"type": "dropout", "p": 0.3})
        doc["weights"][0].insert(1, None)
    else:
        doc["layers"].insert(3, {"type": "dropout", "p": 0.3})
        doc["weights"].insert(2, None)
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert not err and "G⁽⁸⁾" in out and "overall: max relative error" in out and ", ok" in out, (out, err)

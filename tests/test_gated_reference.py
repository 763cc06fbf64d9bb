"""The gated recurrent layers against PyTorch's ``nn.LSTM`` and ``nn.GRU`` in float64 (issue 20): ℓ_D, G
of every layer and the weights after training (sgd, momentum, Adam; L2; full batch and shuffled
mini-batches) on random small networks with sequences of different lengths: a gated layer alone
(many-to-one or return_sequences), two stacked, one above a dense layer at each τ, one under or over an
rnn layer. PyTorch runs its own modules, with our weights mapped as the issue says (``bias_ih`` =
W[:, 0], ``weight_ih`` = W[:, 1:]; an LSTM's ``weight_hh`` = U, ``bias_hh`` = 0; a GRU's ``bias_hh`` =
U[:, 0], ``weight_hh`` = U[:, 1:]). Also: the stepper's board (one example, τ by τ) against the batch
path, finite differences, every number of every equation and explanation, the quiz, the panels,
``init.forget_bias``, L2 on a GRU's two bias columns, the file's errors, LaTeX, and the two bundled
examples. The PyTorch tests skip only where torch cannot be imported."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import train
from bptui.core.formats.spec import parse
from bptui.core.util.errors import SpecError

from .helpers import _sequences_and_training

SHAPES = ("alone", "stacked", "dense_before", "over_rnn", "under_rnn")
GATED = {"lstm", "gru"}


def random_doc(seed: int, shape: str, n: int = 6, update: str = "full_batch", optimizer: str = "sgd",
               l2: float = 0.0, mini_batch: int | None = None, shuffle_seed: int | None = None,
               kind: str = "lstm", rows: int = 4) -> dict:
    """A random small network with gated layers of ``kind`` (``rows`` blocks of h rows in W and U) in
    the given ``shape``; the top recurrent layer many-to-one or return_sequences at random; weights drawn
    N(0, 0.6)."""
    rng = np.random.default_rng([20, SHAPES.index(shape), seed, rows])
    d = int(rng.integers(1, 4))

    def units() -> int:
        return int(rng.integers(1, 4))

    def gated(rs: bool) -> dict:
        return {"type": kind, "units": units(), "return_sequences": rs}

    def rnn(rs: bool) -> dict:
        return {"type": "rnn", "units": units(), "activation": "tanh", "return_sequences": rs}

    top = bool(rng.integers(0, 2))
    body = {"alone": [gated(top)], "stacked": [gated(True), gated(top)],
            "dense_before": [{"units": units(), "activation": "tanh"}, gated(top)],
            "over_rnn": [rnn(True), gated(top)], "under_rnn": [gated(True), rnn(top)]}[shape]
    loss = str(rng.choice(["squared", "half_squared", "cross_entropy"]))
    out = int(rng.integers(2, 4))
    layers: list[dict] = [{"units": d}, *body,
                          {"units": out, "activation": "softmax" if loss == "cross_entropy" else "identity"}]
    weights: list = []
    below = d
    for layer in layers[1:]:
        m = layer["units"]
        if layer.get("type") in GATED:
            weights.append({"W": rng.normal(0, 0.6, size=(rows * m, below + 1)).tolist(),
                            "U": rng.normal(0, 0.6, size=(rows * m, m + (rows == 3))).tolist()})
        elif layer.get("type") == "rnn":
            weights.append({"W": rng.normal(0, 0.6, size=(m, below + 1)).tolist(),
                            "U": rng.normal(0, 0.6, size=(m, m)).tolist()})
        else:
            weights.append(rng.normal(0, 0.6, size=(m, below + 1)).tolist())
        below = m
    return {"layers": layers, "weights": weights, "loss": loss,
            **_sequences_and_training(rng, n, d, out, loss, top, update, optimizer, l2, mini_batch, shuffle_seed)}


def random_spec(seed: int, shape: str, **kw):
    return parse(random_doc(seed, shape, **kw), f"random_{shape}.json")


# -- the reference: PyTorch's own modules, one example at a time -----------------------------------------
def params_of(spec, weights, torch):
    """Each layer's weights as leaf tensors: {"W", "U"} of a recurrent layer, the matrix of a dense one."""
    out = []
    for k, W in zip(spec.kinds, weights):
        W = np.asarray(W)
        if k.over_time:
            out.append({"W": torch.tensor(W[:, :k.d + 1], requires_grad=True),
                        "U": torch.tensor(W[:, k.d + 1:], requires_grad=True)})
        else:
            out.append(torch.tensor(W, requires_grad=True))
    return out


def module_run(kind, p, seq, torch):
    """PyTorch's module for a recurrent layer on one sequence (T, d), with our weights mapped in:
    nn.LSTM / nn.GRU / nn.RNN called through ``functional_call`` so that the gradients reach W and U."""
    from torch.func import functional_call

    d, h = kind.d, kind.h
    if kind.type == "lstm":
        module = torch.nn.LSTM(d, h, dtype=torch.float64)
        bias_hh = torch.zeros(4 * h, dtype=torch.float64)
        U = p["U"]
    elif kind.type == "gru":
        module = torch.nn.GRU(d, h, dtype=torch.float64)
        bias_hh, U = p["U"][:, 0], p["U"][:, 1:]
    else:
        module = torch.nn.RNN(d, h, nonlinearity="tanh", dtype=torch.float64)
        bias_hh = torch.zeros(h, dtype=torch.float64)
        U = p["U"]
    values = {"weight_ih_l0": p["W"][:, 1:], "weight_hh_l0": U, "bias_ih_l0": p["W"][:, 0], "bias_hh_l0": bias_hh}
    out, _ = functional_call(module, values, (seq.unsqueeze(1),))
    return out[:, 0]


def example_loss(spec, params, x, y, torch):
    seq = torch.tensor(x, dtype=torch.float64)
    for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
        if k.over_time:
            outs = module_run(k, p, seq, torch)
            seq = outs if k.return_sequences else outs[-1:]
        else:
            s = seq @ p[:, 1:].T + p[:, 0]
            act = spec.activations[l - 1]
            seq = {"tanh": torch.tanh, "identity": lambda v: v,
                   "softmax": lambda v: torch.softmax(v, dim=1)}[act](s)
    ys = torch.tensor(y, dtype=torch.float64).reshape(len(seq), -1)
    if spec.loss == "squared":
        return ((seq - ys) ** 2).sum()
    if spec.loss == "half_squared":
        return 0.5 * ((seq - ys) ** 2).sum()
    return -(ys * torch.log(seq)).sum()


def torch_loss(spec, params, examples, torch):
    return sum(example_loss(spec, params, spec.x_of(n), spec.y_of(n), torch) for n in examples)


def as_matrix(k, p):
    if isinstance(p, dict):
        return np.concatenate([p["W"].detach().numpy(), p["U"].detach().numpy()], axis=1)
    return p.detach().numpy()


def l2_term(k, p, torch):
    """The lecture's L2: every weight but the biases (column 0 of W, and of a GRU's U)."""
    if not isinstance(p, dict):
        return (p[:, 1:] ** 2).sum()
    U = p["U"][:, 1:] if k.type == "gru" else p["U"]
    return (p["W"][:, 1:] ** 2).sum() + (U ** 2).sum()


def torch_train(spec, epochs, torch):
    params = params_of(spec, spec.weights, torch)
    flat = [t for p in params for t in (p.values() if isinstance(p, dict) else [p])]
    opt = spec.optimizer
    if opt.name == "sgd":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate)
    elif opt.name == "momentum":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate, momentum=opt.momentum)
    else:
        topt = torch.optim.Adam(flat, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    k = spec.group_size
    for epoch in range(1, epochs + 1):
        order = (np.arange(spec.N) if spec.shuffle_seed is None
                 else np.random.default_rng([spec.shuffle_seed, epoch]).permutation(spec.N))
        for a in range(0, spec.N, k):
            topt.zero_grad()
            loss = torch_loss(spec, params, order[a:a + k], torch)
            for kind, p in zip(spec.kinds, params):
                loss = loss + opt.l2 * l2_term(kind, p, torch)
            loss.backward()
            topt.step()
    return params


def check_gradient(spec, torch):
    params = params_of(spec, spec.weights, torch)
    loss = torch_loss(spec, params, range(spec.N), torch)
    loss.backward()
    ours, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets, spec.lengths)
    assert ours == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        assert g.shape == k.param_shape
        ref = (np.concatenate([p["W"].grad.numpy(), p["U"].grad.numpy()], axis=1) if isinstance(p, dict)
               else p.grad.numpy())
        np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")


CASES = [(shape, seed) for shape in SHAPES for seed in range(6)]


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape,seed", CASES)
def test_G_of_every_layer_matches_nn_lstm_and_nn_gru(shape, seed, kind, rows):
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
    spec = random_spec(seed, shape, kind=kind, rows=rows)
    assert any(k.type == kind for k in spec.kinds)
    assert len(set(spec.lengths.tolist())) > 1
    check_gradient(spec, torch)


def test_the_cases_cover_both_outputs():
    for shape in SHAPES:
        outs = {random_spec(seed, shape).return_sequences for seed in range(6)}
        assert outs == {True, False}, shape


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape,seed", [(shape, seed) for shape in SHAPES for seed in (0, 3)])
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"),
                                              ("adam", "mini_batch")])
def test_weights_after_training_match_nn_lstm_and_nn_gru(shape, seed, optimizer, update, kind, rows):
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
    spec = random_spec(seed, shape, optimizer=optimizer, update=update, l2=0.01, mini_batch=4,
                       shuffle_seed=3 if update == "mini_batch" else None, kind=kind, rows=rows)
    epochs = 2
    result = train(spec, epochs)
    params = torch_train(spec, epochs, torch)
    for l, (kind, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        np.testing.assert_allclose(W, as_matrix(kind, p), rtol=1e-12, atol=1e-12, err_msg=f"W⁽{l}⁾ after training")


# -- the stepper: one example, τ by τ, the same numbers as the batch path -----------------------------------
def stepped_gradient(spec) -> tuple[float, list[np.ndarray]]:
    """ℓ_D and G of a full-batch epoch, stepped one step at a time (the board's arithmetic)."""
    st = Stepper(spec)
    G = None
    while True:
        step = st.forward()
        if step.key.phase == "update":
            break
        G = [np.array(g) for g in st.state.G[1:]]
        loss = st.state.loss_D
    assert G is not None
    return loss, G


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_steps_give_the_batch_numbers(shape, kind, rows):
    spec = random_spec(1, shape, kind=kind, rows=rows)
    loss, G = stepped_gradient(spec)
    ours, G_batch = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets,
                                           spec.lengths)
    assert loss == pytest.approx(ours, rel=1e-12)
    for g, gb in zip(G, G_batch):
        np.testing.assert_allclose(g, gb, rtol=1e-10, atol=1e-13)


def test_the_steps_of_an_lstm_layer_and_their_order():
    spec = random_spec(0, "alone")
    st = Stepper(spec)
    T = int(spec.lengths[0])
    keys = []
    while True:
        step = st.forward()
        keys.append((step.key.quantity, step.key.layer, step.key.time))
        if step.key.phase == "loss":
            break
    assert keys[:4] == [("s", 1, 1), ("gates", 1, 1), ("c", 1, 1), ("h", 1, 1)]
    assert len([k for k in keys if k[1] == 1]) == 4 * T
    while True:
        step = st.forward()
        if step.key.layer == 1:
            break
    quantities = [step.key.quantity] + [st.forward().key.quantity for _ in range(3)]
    assert quantities == ["dh", "dc", "delta", "G"] and step.key.time == T
    h = spec.kinds[0].h
    for q, cols in (("gates", 4 * h), ("c", h), ("dh", h), ("dc", h)):
        assert st.state.extra[q, 1].shape[1] == cols


# -- finite differences ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape,seed", [(shape, seed) for shape in SHAPES for seed in (2, 4)])
def test_G_matches_finite_differences(shape, seed, kind, rows):
    spec = random_spec(seed, shape, n=3, kind=kind, rows=rows)
    net = Network(spec)
    weights = [np.array(w) for w in spec.weights]
    _, G = net.gradient(weights, spec.inputs, spec.targets, spec.lengths)
    rng = np.random.default_rng(seed)
    for l, W in enumerate(weights):
        for _ in range(6):
            i = tuple(int(rng.integers(0, n)) for n in W.shape)
            h = 1e-6
            plus, minus = [w.copy() for w in weights], [w.copy() for w in weights]
            plus[l][i] += h
            minus[l][i] -= h
            fd = (net.dataset_loss(plus, spec.inputs, spec.targets, spec.lengths)
                  - net.dataset_loss(minus, spec.inputs, spec.targets, spec.lengths)) / (2 * h)
            assert G[l][i] == pytest.approx(fd, rel=1e-5, abs=1e-7), (l + 1, i)


# -- the file: forget_bias, no activation, weight shapes ---------------------------------------------------
def test_forget_bias_is_written_into_the_f_rows_of_every_lstm_layer():
    doc = random_doc(0, "stacked")
    del doc["weights"]
    doc["init"] = {"seed": 4, "scale": 0.3, "forget_bias": 1.5}
    spec = parse(doc, "fb.json")
    for k, W in zip(spec.kinds, spec.weights):
        if k.type == "lstm":
            h = k.h
            assert (W[h:2 * h, 0] == 1.5).all()
            others = np.concatenate([W[:h, 0], W[2 * h:, 0], W[:, 1:].ravel()])
            assert (np.abs(others) <= 0.3).all() and not (others == 1.5).any()
    doc["init"] = {"seed": 4, "scale": 0.3}
    W = parse(doc, "fb.json").weights[0]
    h = spec.kinds[0].h
    assert (W[h:2 * h, 0] == parse(doc, "fb.json").weights[0][h:2 * h, 0]).all() and (np.abs(W[h:2 * h, 0]) <= 0.3).all()


@pytest.mark.parametrize("key,value", [("activation", "tanh"), ("activation", "sigmoid"), ("alpha", 0.1)])
def test_an_activation_is_an_error_naming_the_place(key, value):
    doc = random_doc(0, "alone")
    doc["layers"][1][key] = value
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    text = str(err.value)
    assert f"layers[1].{key}" in text and "σ and tanh" in text


def test_weights_of_the_wrong_shape_name_the_place():
    doc = random_doc(0, "alone")
    h, d = doc["layers"][1]["units"], doc["layers"][0]["units"]
    doc["weights"][0]["U"] = doc["weights"][0]["U"][:h]  # h rows where 4h are due
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    assert "weights[0].U" in str(err.value) and f"expected {4 * h}×{h}" in str(err.value)
    doc = random_doc(0, "alone")
    doc["weights"][0] = doc["weights"][0]["W"]
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    assert f"W {4 * h}×{d + 1}, U {4 * h}×{h}" in str(err.value)


def test_the_weights_read_back_from_json():
    spec = random_spec(2, "stacked")
    k = spec.kinds[0]
    back = k.weights_from_json(json.loads(json.dumps(k.weights_json(spec.weights[0]))))
    assert (back == spec.weights[0]).all() and back.shape == (4 * k.h, 1 + k.d + k.h)


# -- every step's equations: their numbers are the board's, and the arithmetic shown holds ----------------
@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_step_has_equations_whose_numbers_hold(shape, kind, rows):
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter

    from .formula_checks import check_equation

    spec = random_spec(2, shape, n=2, kind=kind, rows=rows)
    st = Stepper(spec)
    seen, checked = set(), 0
    for _ in range(len(st.schedule)):
        step = st.forward()
        eqs = step_equations(st.net, st.state, step, spec.optimizer)
        assert eqs, step.key
        for eq in eqs:
            checked += check_equation(eq, 4, st, where=f"step {step.key.step} {step.key.quantity}")
            TextPrinter(4).equation(eq)
            LatexPrinter(4).rows(eq)
        seen.add(step.key.quantity)
    assert set(spec.kinds[[k.type for k in spec.kinds].index(kind)].block_forward()) <= seen
    assert {"s", "gates", "h", "dh", "delta", "G"} <= seen and checked > 100 and (kind == "gru" or {"c", "dc"} <= seen)


# -- every cell explained with its numbers; the quiz asks every entry of a step and hides it ------------------
@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape", ["alone", "stacked", "under_rnn", "over_rnn"])
def test_every_cell_of_a_gated_step_is_explained_and_its_numbers_hold(shape, kind, rows):
    from bptui.core.engine.equations import symbol
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation

    spec = random_spec(3, shape, n=2, kind=kind, rows=rows)
    st = Stepper(spec)
    checked, asked = 0, set()
    for _ in range(len(st.schedule)):
        step = st.forward()
        k = step.key
        if k.phase == "update" or k.layer is None or not spec.kinds[k.layer - 1].over_time:
            continue
        for cell in quiz.candidates(spec, k):
            e = explain(st, cell, 4)
            assert e.value is not None, (k, cell)
            if cell.quantity != "G":
                assert e.value == pytest.approx(float(np.asarray(step.value)[cell.unit - 1]), rel=1e-12, abs=1e-15)
            for eq in e.equations:
                checked += check_equation(eq, 4, st, where=f"{cell}")
        assert symbol(k, spec.kinds)  # the status line's name of the step
        q = quiz.ask(st, step, seed=k.step)
        asked_value = next(qc.value for qc in quiz.quiz_cells(spec, k, step.value) if qc.cell == q.cell)
        assert "?" in q.equation and q.value == pytest.approx(asked_value)
        asked.add(k.quantity)
    assert checked > 200 and {"gates", "dh", "delta"} <= asked and (kind == "gru" or "dc" in asked)


# -- the bundled example -------------------------------------------------------------------------------
def dc_norms(spec, weights) -> np.ndarray:
    """‖∂ℓ/∂c⁽¹⁾_τ‖ for τ = 1 … T of the first example, read off the board after its backward pass."""
    st = Stepper(spec)
    st.reset(weights)
    while True:
        step = st.forward()
        if step.key.quantity == "G" and step.key.layer == 1 and step.key.time == 1:
            break
    return np.linalg.norm(st.state.extra["dc", 1], axis=1)


def board_norms(spec, l: int) -> dict[str, np.ndarray]:
    """The per-τ norms of layer l's ∂ℓ/∂h (and an LSTM's ∂ℓ/∂c, a plain rnn's δ) of example 1, read off the
    board after the step-by-step backward pass has gone down through layer l."""
    st = Stepper(spec)
    while True:
        step = st.forward()
        if step.key.quantity == "G" and step.key.layer == l and step.key.time == 1:
            break
    out = {q: np.linalg.norm(st.state.extra[q, l], axis=1) for q in ("dh", "dc") if (q, l) in st.state.extra}
    out["delta"] = np.linalg.norm(st.state.delta[l], axis=1)
    return out


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("shape", ["alone", "stacked", "dense_before", "under_rnn"])
def test_the_training_screens_norms_over_time_are_the_steps_dh_and_dc(shape, kind, rows):
    """gradients_over_time (the batch BPTT's own ∂ℓ/∂h_τ, ∂ℓ/∂c_τ) against the stepper's board, whose
    time_step works each of them out τ by τ: ‖∂ℓ/∂c_τ‖ and ‖∂ℓ/∂h_τ‖ of an LSTM, ‖∂ℓ/∂h_τ‖ of a GRU, of the
    lowest recurrent layer; and of a plain rnn layer, ‖δ_τ‖ as before."""
    from bptui.core.engine.train import gradients_over_time

    for seed in range(3):
        spec = random_spec(seed, shape, kind=kind, rows=rows)
        l = next(i for i, k in enumerate(spec.layer_kinds, start=1) if k.over_time)
        got = gradients_over_time(spec)
        assert [q for q, _, _ in got] == (["dc", "dh"] if kind == "lstm" else ["dh"])
        board = board_norms(spec, l)
        for q, label, norms in got:
            assert len(norms) == spec.lengths[0] and label.startswith("‖∂")
            np.testing.assert_allclose(norms, board[q], rtol=1e-12, atol=1e-300)
            assert (norms > 0).any()
    spec = random_spec(0, "over_rnn", kind=kind, rows=rows)  # the lowest recurrent layer is an rnn: ‖δ_τ‖
    (q, label, norms), = gradients_over_time(spec)
    assert (q, label) == ("delta", "‖δ_τ‖")
    np.testing.assert_allclose(norms, board_norms(spec, 1)["delta"], rtol=1e-12)


def test_long_memory_lstm_keeps_the_gradient_and_learns_the_first_bit():
    from bptui.core.engine.train import evaluate
    from bptui.core.formats.spec import load

    from .conftest import NETWORKS

    spec = load(NETWORKS / "long_memory_lstm.json")
    assert spec.kinds[0].type == "lstm" and len(spec.lengths) == 16 and set(spec.lengths.tolist()) == {30}
    h = spec.kinds[0].h
    assert (spec.weights[0][h:2 * h, 0] == 1.0).all()  # init.forget_bias
    result = train(spec, spec.epochs)
    assert evaluate(spec, result.weights).train_accuracy == 1.0
    norms = dc_norms(spec, result.weights)
    assert len(norms) == 30 and norms[0] / norms[-1] >= 1e-3  # long_memory's ‖δ₁‖/‖δ₃₀‖ is 1.6e−15


# -- the GRU: the same checks against nn.GRU (bias_hh = U[:, 0], weight_hh = U[:, 1:]) ------------------------
def gru_spec(seed: int, shape: str, **kw):
    return random_spec(seed, shape, kind="gru", rows=3, **kw)


def test_l2_leaves_both_bias_columns_of_a_gru_alone():
    spec = gru_spec(0, "alone", l2=0.5)
    k = spec.kinds[0]
    assert k.bias_columns == (0, 1 + k.d)
    W, G = np.array(spec.weights[0]), np.zeros(k.param_shape)
    from bptui.core.ops.optim import regularised

    g = regularised(W, G, 0.5, k.bias_columns)
    assert (g[:, [0, 1 + k.d]] == 0).all() and (g[:, 1:1 + k.d] == W[:, 1:1 + k.d]).all()


def test_gru_weights_of_the_wrong_shape_name_the_place():
    doc = random_doc(0, "alone", kind="gru", rows=3)
    h = doc["layers"][1]["units"]
    doc["weights"][0]["U"] = [row[1:] for row in doc["weights"][0]["U"]]  # without U's bias column
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    assert "weights[0].U" in str(err.value) and f"expected {3 * h}×{h + 1}" in str(err.value)
    doc = random_doc(0, "alone", kind="gru", rows=3)
    doc["layers"][1]["activation"] = "relu"
    with pytest.raises(SpecError) as err:
        parse(doc, "bad.json")
    assert "layers[1].activation" in str(err.value) and "nn.GRU" in str(err.value)


def test_gru_parity_learns_in_its_epochs():
    from bptui.core.engine.train import evaluate
    from bptui.core.formats.spec import load

    from .conftest import NETWORKS

    spec = load(NETWORKS / "gru_parity.json")
    assert spec.kinds[0].type == "gru" and spec.kinds[0].h == 4 and set(spec.lengths.tolist()) == {2, 3, 4}
    result = train(spec, spec.epochs)
    assert result.history[0] > 15 and result.history[-1] < 0.2
    assert evaluate(spec, result.weights).train_accuracy == 1.0


@pytest.mark.parametrize("name,steps", [("long_memory_lstm", 140), ("gru_parity", 14)])
def test_the_panels_cells_of_a_gated_layer_are_explained(name, steps):
    """Every cell the recurrent panel shows (W, G, s, o as h, δ at each τ) has its explanation, whose
    value is the board's."""
    from bptui.core.formats.spec import load
    from bptui.core.teaching.explain import Cell, explain

    from .conftest import NETWORKS

    spec = load(NETWORKS / f"{name}.json")
    st = Stepper(spec)
    for _ in range(steps):
        st.forward()
    T = len(st.state.s[1])
    h = spec.kinds[0].h
    for t in range(1, T + 1):
        for b in range(1, h + 1):
            e = explain(st, Cell("o", 1, b, time=t), 4)
            assert e.value == st.state.o[1][t][b - 1] and e.title.startswith("h⁽¹⁾")
            e = explain(st, Cell("s", 1, b, time=t), 4)
            assert e.value == st.state.s[1][t - 1][b - 1]


@pytest.mark.asyncio
async def test_the_app_steps_a_gated_network_and_explains_its_cells():
    from bptui.tui.seq_sheet import SeqSheet

    from .tui_helpers import app_for

    for name in ("long_memory_lstm", "gru_parity"):
        app = app_for(name)
        async with app.run_test(size=(150, 45)) as pilot:
            for _ in range(14):
                app.main.action_next()
            await pilot.pause()
            assert app.stepper.last.key.quantity in ("dh", "delta", "dc", "G", "h", "gates", "c", "s")
            sheet = app.query_one("#layer-1", SeqSheet)
            sheet.focus()
            await pilot.pause()
            firsts = {}
            for i, cell in enumerate(sheet.cells):
                firsts.setdefault((cell[2][0], cell[2][1]), i)
            for i in firsts.values():
                sheet.cursor = i
                sheet.cursor_moved()  # as an arrow key does (two presses were 80 ms of waiting a cell)
                await pilot.pause()
                text = app.main.query_one("#explain").text
                assert " = " in text and "Traceback" not in text, (name, app.main.cell)
                assert app.main.cell == sheet.cursor_cell  # the cell explained is the one under the cursor


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
def test_latex_of_a_gated_network_is_ascii_and_compiles(tmp_path, kind, rows):
    """Every symbol of the gated steps (ō, δʰ, [i, f, g, ō], ∂ℓ/∂c …) has its LaTeX: the export is ASCII
    and pdflatex compiles it (where pdflatex is installed)."""
    import shutil
    import subprocess

    from bptui.export import export
    from bptui.exercise import pdflatex_command

    spec = random_spec(1, "stacked", n=2, kind=kind, rows=rows)
    tex = "\n".join(export(spec, "latex")) + "\n"
    assert tex.isascii(), sorted({c for c in tex if not c.isascii()})
    assert (r"\bar{o}" in tex) == (kind == "lstm") and (r"{\delta^{h}}" in tex) == (kind == "gru")
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (texlive-latex-base)")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    command, env = pdflatex_command("pdflatex", "doc.tex", str(tmp_path))
    from .conftest import HANG  # a hung pdflatex fails the test; a loaded machine only makes it slower

    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.asyncio
async def test_the_lstm_panel_shows_its_gates_and_the_cell_gradient_over_time():
    """long_memory_lstm at the end of example 1's backward pass (b): the panel has a row per gate, c, h,
    ∂ℓ/∂h, ∂ℓ/∂c, and ‖∂ℓ/∂c_τ‖ under the layer, the board's norms at every τ = 1 … 30."""
    from bptui.tui.seq_sheet import SeqSheet

    from .tui_helpers import app_for

    app = app_for("long_memory_lstm")
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        sheet = app.query_one("#layer-1", SeqSheet)
        texts = ["".join(t for t, _, _ in line) for line in sheet.lines]
        heads = [t.split()[0] + (" " + t.split()[1] if len(t.split()) > 1 else "") for t in texts if t.strip()]
        for label in ("i1", "f4", "ō4", "c 1", "h 4", "∂h 1", "∂c 4", "δ ō4", "s g2"):
            assert any(h.startswith(label) for h in heads), label
        row = next(t for t in texts if t.startswith("‖∂c_τ‖"))
        shown = [float(v.replace("−", "-")) for v in row.split()[1:]]
        norms = np.linalg.norm(app.stepper.state.extra["dc", 1], axis=1)
        assert len(shown) == 30 and shown == pytest.approx(norms, rel=5e-3)  # 3 digits shown
        assert any(t.startswith("‖∂h_τ‖") for t in texts)


@pytest.mark.asyncio
async def test_the_settings_screen_shows_a_gated_layers_activations_as_fixed():
    from bptui.tui.settings import SettingsScreen

    from .tui_helpers import app_for

    app = app_for("long_memory_lstm")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        note = " ".join(str(label.render()) for label in screen.query(".note"))
        assert "recurrent layer (lstm" in note and "σ and tanh, fixed" in note
        assert not screen.query("#activation-1") and screen.query("#activation-2")


@pytest.mark.parametrize("kind,rows", [("lstm", 4), ("gru", 3)])
def test_an_exercise_of_a_stacked_gated_network_compiles(tmp_path, kind, rows):
    """The exercise and its key of two stacked gated layers (example 2, five steps long), as LaTeX: ASCII,
    every blank of the gates, c, h, ∂ℓ/∂h, ∂ℓ/∂c and δ asked; and as PDF where pdflatex is installed."""
    import shutil

    from bptui.cli import main

    doc = random_doc(1, "stacked", n=2, kind=kind, rows=rows)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["export", str(path), "--exercise", "--example", "2", "--format", "latex",
                 "--output", str(tmp_path / "ex.tex"), "--answers", str(tmp_path / "key.tex")]) == 0
    tex = (tmp_path / "ex.tex").read_text(encoding="utf-8")
    assert tex.isascii() and r"\underline" in tex
    quantities = {b["quantity"] for b in json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["blanks"]}
    assert quantities >= {"s", "gates", "o", "dh", "delta", "G"} | ({"c", "dc"} if kind == "lstm" else set())
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (texlive-latex-base)")
    assert main(["export", str(path), "--exercise", "--example", "2", "--format", "pdf",
                 "--output", str(tmp_path / "ex.pdf"), "--answers", str(tmp_path / "key.pdf")]) == 0
    assert (tmp_path / "ex.pdf").read_bytes()[:5] == b"%PDF-" and (tmp_path / "key.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_rules_of_an_lstm_layer_are_its_steps_equations():
    """network_formulas asks the kind (the help screen, a worked solution's notation): an LSTM layer's lines
    are its own s, gates, c, h, ∂ℓ/∂h, ∂ℓ/∂c, δ and G (no o = [1, tanh(s)], no f′), and evaluated with the
    board's rows at τ they give the board's c_τ, h_τ, ∂ℓ/∂c_τ and δ_τ (a GRU's h_τ and δ_τ likewise)."""
    from bptui.core.engine.equations import network_formulas
    from bptui.core.engine.network import Network
    from bptui.core.formulas.formula import Partial, Sym, TextPrinter, evaluate, walk

    for kind, rows in (("lstm", 4), ("gru", 3)):
        spec = random_spec(4, "alone", n=2, kind=kind, rows=rows)
        eqs = network_formulas(Network(spec), spec.optimizer)
        text = [TextPrinter().equation(eq) for eq in eqs]
        assert not any(t.startswith("o⁽¹⁾") or t.startswith("f′(s⁽¹⁾)") for t in text)
        st = Stepper(spec)
        k = st.next_key  # example 2 (five steps long: the first is one step) at the end of its backward pass
        while not (k.quantity == "G" and k.layer == 1 and k.time == 1 and k.example == 2):
            st.forward()
            k = st.next_key
        b, h, t = st.state, spec.kinds[0].h, 2
        assert len(b.s[1]) == 5
        gates = b.extra["gates", 1]
        names = ("i", "f", "g", "ō") if kind == "lstm" else ("r", "z", "n")
        env = {}
        for at, row in (("τ", t - 1), ("τ+1", t)):
            for j, name in enumerate(names):
                if row < len(gates):
                    env[Sym(name, 1, vector=True, latex=r"\bar{o}" if name == "ō" else None, time=at)] = \
                        gates[row][j * h:(j + 1) * h]
        for node in {n for eq in eqs for n in walk(eq.forms[0])} | {eq.lhs for eq in eqs}:
            if isinstance(node, Sym) and node.layer == 1 and node.time in ("τ", "τ−1", "τ+1") and node not in env:
                shift = {"τ": 0, "τ−1": -1, "τ+1": 1}[node.time]
                board = {"c": (b.extra.get(("c", 1)), t + shift), "h": (b.o[1], t + shift),
                         "δ": (b.delta[1], t + shift - 1), "s": (b.s[1], t + shift - 1)}.get(node.base)
                if board is not None and board[0] is not None and 0 <= board[1] < len(board[0]):
                    row = board[0][board[1]]
                    if node.sub and node.base == "s":  # a gate's part of s (a GRU's x or h product)
                        which = list(node.sub)
                        k = (3 * h if which[0] == "h" else 0) + ("rzn".index(which[-1]) if kind == "gru"
                                                                 else "ifgo".index(which[-1])) * h
                        row = row[k:k + h]
                    elif node.sub:
                        continue
                    env[node] = row
            if isinstance(node, Partial) and isinstance(node.bottom, Sym) and node.bottom.time in ("τ", "τ+1"):
                q = "d" + node.bottom.base
                row = t - 1 + (node.bottom.time == "τ+1")
                if (q, 1) in b.extra and row < len(b.extra[q, 1]):
                    env[node] = b.extra[q, 1][row]
        checked = set()
        for eq in eqs:
            lhs = TextPrinter().p(eq.lhs)
            if eq.rel != "=" or not lhs.endswith("_τ") or lhs.startswith(("s⁽", "[", "δʰ")):
                continue
            want = {"c": lambda: b.extra["c", 1][t], "h": lambda: b.o[1][t], "∂ℓ/∂c": lambda: b.extra["dc", 1][t - 1],
                    "∂ℓ/∂h": lambda: b.extra["dh", 1][t - 1], "δ": lambda: b.delta[1][t - 1]}
            name = next((k for k in sorted(want, key=len, reverse=True) if lhs.startswith(k)), None)
            if name is None or name == "∂ℓ/∂h":  # ∂ℓ/∂h reads δ⁽²⁾, not bound here
                continue
            np.testing.assert_allclose(np.ravel(evaluate(eq.forms[0], env)), want[name](), rtol=1e-12, err_msg=lhs)
            checked.add(name)
        assert checked == ({"c", "h", "∂ℓ/∂c", "δ"} if kind == "lstm" else {"h", "δ"}), checked

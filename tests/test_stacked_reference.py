"""Time through more than one layer against PyTorch in float64 (issue 19 item 2): stacked recurrent
layers, dense layers at each time step below or above a recurrent layer. ℓ_D, G of every layer and the
weights after training on random small networks with sequences of different lengths in one update
group; the stacked pair once more against ``torch.nn.RNN(num_layers=2)``. They skip only where torch
cannot be imported."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.engine.train import train
from bptui.core.formats.spec import parse

from .helpers import STACK_SHAPES, random_stack_spec

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")

from .test_rnn_reference import _act as _dense_act, as_matrix, grads, loss_term, torch_params, torch_train  # noqa: E402


def _act(name, alpha):
    return (lambda x: torch.softmax(x, dim=0)) if name == "softmax" else _dense_act(name, alpha)


def example_loss(spec, params, x, y):
    """ℓ⁽ⁿ⁾ of one sequence x (T × d), layer by layer, τ by τ, from the file's description alone: a
    sequence is a list of vectors; a dense layer maps each vector (s = W [1, x]); a recurrent layer runs
    its recurrence and hands up every o_τ (return_sequences) or o_T."""
    seq = list(torch.tensor(x, dtype=torch.float64))
    for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
        f = _act(spec.activations[l - 1], spec.alphas[l - 1])
        if k.over_time:
            o = torch.zeros(p["U"].shape[0], dtype=torch.float64)
            outs = []
            for xt in seq:
                o = f(p["W"][:, 0] + p["W"][:, 1:] @ xt + p["U"] @ o)
                outs.append(o)
            seq = outs if k.return_sequences else [outs[-1]]
        else:
            seq = [f(p[:, 0] + p[:, 1:] @ v) for v in seq]
    ys = torch.tensor(y, dtype=torch.float64).reshape(len(seq), -1)
    return sum((loss_term(spec, o, yt) for o, yt in zip(seq, ys)), torch.zeros((), dtype=torch.float64))


def torch_loss(spec, params, examples):
    return sum(example_loss(spec, params, spec.x_of(n), spec.y_of(n)) for n in examples)


CASES = [(shape, seed) for shape in STACK_SHAPES for seed in range(12)]


@pytest.mark.parametrize("shape,seed", CASES)
def test_G_of_every_layer_matches_pytorch(shape, seed):
    spec = random_stack_spec(seed, shape, n=6)
    assert len(set(spec.lengths.tolist())) > 1
    params = torch_params(spec, spec.weights)
    loss = torch_loss(spec, params, range(spec.N))
    loss.backward()
    ours, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets, spec.lengths)
    assert ours == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        assert g.shape == k.param_shape
        np.testing.assert_allclose(g, grads(k, p), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{shape} {seed}: G⁽{l}⁾ ({k.describe()})")


def test_the_cases_cover_both_outputs_and_every_shape():
    specs = {shape: [random_stack_spec(seed, shape) for seed in range(12)] for shape in STACK_SHAPES}
    for shape, group in specs.items():
        assert {s.return_sequences for s in group} == ({True} if shape == "dense_after" else {True, False}), shape
    stacked = specs["stacked"][0]
    assert [k.over_time for k in stacked.kinds[:2]] == [True, True] and stacked.kinds[0].return_sequences
    before = specs["dense_before"][0]
    assert [k.over_time for k in before.kinds[:2]] == [False, True] and before.timed[:2] == (True, True)


@pytest.mark.parametrize("shape,seed", [(shape, seed) for shape in STACK_SHAPES for seed in (0, 5)])
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("adam", "mini_batch")])
def test_weights_after_training_match_pytorch(shape, seed, optimizer, update):
    spec = random_stack_spec(seed, shape, n=6, optimizer=optimizer, update=update, l2=0.01, mini_batch=4,
                             shuffle_seed=3 if update == "mini_batch" else None)
    epochs = 2
    result = train(spec, epochs)
    params = torch_train(spec, epochs, torch_loss)
    for l, (kind, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        np.testing.assert_allclose(W, as_matrix(kind, p), rtol=1e-12, atol=1e-12, err_msg=f"W⁽{l}⁾ after training")


@pytest.mark.parametrize("seed", range(8))
def test_stacked_pair_matches_torch_nn_rnn(seed):
    """The two recurrent layers of a stacked network are torch.nn.RNN(num_layers=2) (tanh or relu; its
    bias_hh set to 0, bias_ih our column 0): ℓ and G of both layers, through a dense identity output at
    each τ and a half-squared loss."""
    rng = np.random.default_rng([7, seed])
    act = "tanh" if seed % 2 == 0 else "relu"
    d, h1 = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h2 = h1 if seed < 4 else int(rng.integers(1, 4))  # equal widths: one nn.RNN(num_layers=2)
    W1 = np.concatenate([rng.normal(0, 0.6, (h1, d + 1)), rng.normal(0, 0.6, (h1, h1))], axis=1)
    W2 = np.concatenate([rng.normal(0, 0.6, (h2, h1 + 1)), rng.normal(0, 0.6, (h2, h2))], axis=1)
    net = torch.nn.RNN(d, h1, num_layers=2, nonlinearity=act, dtype=torch.float64) if h1 == h2 else None
    V = rng.normal(0, 0.6, (1, h2 + 1))
    lengths = [1, 3, 5, 2]
    xs = [rng.normal(0, 1, (T, d)) for T in lengths]
    ys = [rng.normal(0, 1, (T, 1)) for T in lengths]
    spec = parse({"layers": [{"units": d}, {"type": "rnn", "units": h1, "activation": act, "return_sequences": True},
                             {"type": "rnn", "units": h2, "activation": act, "return_sequences": True},
                             {"units": 1, "activation": "identity"}],
                  "weights": [{"W": W1[:, :d + 1].tolist(), "U": W1[:, d + 1:].tolist()},
                              {"W": W2[:, :h1 + 1].tolist(), "U": W2[:, h1 + 1:].tolist()}, V.tolist()],
                  "loss": "half_squared", "data": {"inputs": [x.tolist() for x in xs], "targets": [y.tolist() for y in ys]}},
                 "stacked_nn_rnn.json")
    loss, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets, spec.lengths)
    layers = [torch.nn.RNN(d, h1, nonlinearity=act, dtype=torch.float64),
              torch.nn.RNN(h1, h2, nonlinearity=act, dtype=torch.float64)]
    if net is not None:  # equal widths: the one two-layer module, as PyTorch stacks it
        layers = [net]
        with torch.no_grad():
            for i, W, k in ((0, W1, d), (1, W2, h1)):
                getattr(net, f"weight_ih_l{i}").copy_(torch.tensor(W[:, 1:k + 1]))
                getattr(net, f"weight_hh_l{i}").copy_(torch.tensor(W[:, k + 1:]))
                getattr(net, f"bias_ih_l{i}").copy_(torch.tensor(W[:, 0]))
                getattr(net, f"bias_hh_l{i}").zero_()
    else:
        with torch.no_grad():
            for m, W, k in ((layers[0], W1, d), (layers[1], W2, h1)):
                m.weight_ih_l0.copy_(torch.tensor(W[:, 1:k + 1]))
                m.weight_hh_l0.copy_(torch.tensor(W[:, k + 1:]))
                m.bias_ih_l0.copy_(torch.tensor(W[:, 0]))
                m.bias_hh_l0.zero_()
    Vt = torch.tensor(V)
    total = torch.zeros((), dtype=torch.float64)
    for x, y in zip(xs, ys):
        seq = torch.tensor(x).unsqueeze(1)  # (T, batch 1, d)
        for m in layers:
            seq, _ = m(seq)
        out = seq[:, 0] @ Vt[:, 1:].T + Vt[:, 0]
        total = total + 0.5 * ((out - torch.tensor(y)) ** 2).sum()
    total.backward()
    assert loss == pytest.approx(total.item(), rel=1e-12)
    if net is not None:
        pairs = [(net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0), (net.weight_ih_l1, net.weight_hh_l1, net.bias_ih_l1)]
    else:
        pairs = [(m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0) for m in layers]
    for l, (wi, wh, b) in enumerate(pairs, start=1):
        ref = np.concatenate([b.grad.numpy()[:, None], wi.grad.numpy(), wh.grad.numpy()], axis=1)
        np.testing.assert_allclose(G[l - 1], ref, rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ against nn.RNN")

"""Recurrent layers against PyTorch in float64: ℓ_D, G (W and U) and the weights after training, on
random small recurrent networks, many-to-one and return_sequences, with sequences of different
lengths in one update group (the ``reference`` extra installs torch). They skip only where torch
cannot be imported."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.network import Network
from bptui.core.engine.train import train

from .helpers import random_rnn_spec

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
F = torch.nn.functional

ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda x: x,
       "softplus": F.softplus, "gelu": F.gelu}


def _act(name, alpha):
    if name == "elu":
        return lambda x: F.elu(x, alpha)
    if name == "leaky_relu":
        return lambda x: F.leaky_relu(x, alpha)
    return ACT[name]


def torch_params(spec, weights):
    out = []
    for k, W in zip(spec.kinds, weights):
        if k.over_time:
            out.append({"W": torch.tensor(W[:, :k.d + 1], dtype=torch.float64, requires_grad=True),
                        "U": torch.tensor(W[:, k.d + 1:], dtype=torch.float64, requires_grad=True)})
        else:
            out.append(torch.tensor(W, dtype=torch.float64, requires_grad=True))
    return out


def example_loss(spec, params, x, y):
    """ℓ⁽ⁿ⁾ of one sequence x (T × d), written example by example, τ by τ, straight from the file's
    description: no batching, no padding, so that it checks the vectorised path's grouping."""
    rnn = spec.kinds[0]
    f1 = _act(spec.activations[0], spec.alphas[0])
    x = torch.tensor(x, dtype=torch.float64)
    o = torch.zeros(rnn.h, dtype=torch.float64)
    outs = []
    for t in range(len(x)):
        s = params[0]["W"][:, 0] + params[0]["W"][:, 1:] @ x[t] + params[0]["U"] @ o
        o = f1(s)
        outs.append(o)
    tops = outs if rnn.return_sequences else [outs[-1]]
    ys = torch.tensor(y, dtype=torch.float64).reshape(len(tops), -1)
    total = torch.zeros((), dtype=torch.float64)
    for o, yt in zip(tops, ys):
        for l in range(2, spec.L + 1):
            p = params[l - 1]
            s = p[:, 0] + p[:, 1:] @ o
            name = spec.activations[l - 1]
            o = torch.softmax(s, dim=0) if name == "softmax" else _act(name, spec.alphas[l - 1])(s)
        total = total + loss_term(spec, o, yt)
    return total


def loss_term(spec, o, y):
    """ℓ of one output o against its target y, as the file's loss writes it."""
    if spec.loss == "squared":
        return ((o - y) ** 2).sum()
    if spec.loss == "half_squared":
        return 0.5 * ((o - y) ** 2).sum()
    if spec.activations[-1] == "softmax":
        return -(y * torch.log(o)).sum()
    return -(y * torch.log(o) + (1 - y) * torch.log(1 - o)).sum()


def torch_loss(spec, params, examples):
    return sum(example_loss(spec, params, spec.x_of(n), spec.y_of(n)) for n in examples)


def grads(k, p):
    if k.over_time:
        return np.concatenate([p["W"].grad.numpy(), p["U"].grad.numpy()], axis=1)
    return p.grad.numpy()


def as_matrix(k, p):
    if k.over_time:
        return np.concatenate([p["W"].detach().numpy(), p["U"].detach().numpy()], axis=1)
    return p.detach().numpy()


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_G_matches_pytorch(seed):
    spec = random_rnn_spec(seed, n=6)
    assert len(set(spec.lengths.tolist())) > 1
    params = torch_params(spec, spec.weights)
    loss = torch_loss(spec, params, range(spec.N))
    loss.backward()
    ours_loss, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets,
                                          spec.lengths)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        assert g.shape == k.param_shape
        np.testing.assert_allclose(g, grads(k, p), rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")


def test_both_outputs_and_every_activation_are_covered():
    specs = [random_rnn_spec(seed) for seed in SEEDS]
    assert {s.return_sequences for s in specs} == {True, False}
    assert {s.activations[0] for s in specs} >= {"tanh", "sigmoid", "relu", "identity"}
    assert {s.loss for s in specs} == {"squared", "half_squared", "cross_entropy"}
    assert any(s.kinds[0].h > 1 and s.widths[0] > 1 for s in specs)


@pytest.mark.parametrize("seed", range(0, 40, 4))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"),
                                              ("adam", "mini_batch")])
def test_weights_after_training_match_pytorch(seed, optimizer, update):
    spec = random_rnn_spec(seed, n=6, optimizer=optimizer, update=update, l2=0.01, mini_batch=4,
                           shuffle_seed=3 if update == "mini_batch" else None)
    epochs = 3
    result = train(spec, epochs)
    params = torch_train(spec, epochs, torch_loss)
    for l, (kind, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        np.testing.assert_allclose(W, as_matrix(kind, p), rtol=1e-9, atol=1e-11, err_msg=f"W⁽{l}⁾ after training")


def torch_train(spec, epochs, loss_of, params=None, l2_of=None):
    """The file's weights trained in PyTorch with the spec's optimizer, update groups, shuffling and L2
    (``loss_of(spec, params, examples)``: ℓ of a group): the parameters after ``epochs``. ``params``:
    another kind's tensors (default: this module's ``torch_params``), ``l2_of(p)`` their Σ w² without
    the biases (default: a dense matrix's or a recurrent layer's {W, U})."""
    params = torch_params(spec, spec.weights) if params is None else params
    flat = [t for p in params for t in (p.values() if isinstance(p, dict) else [p])]
    opt = spec.optimizer
    optimizer = opt.name
    if optimizer == "sgd":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate)
    elif optimizer == "momentum":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate, momentum=opt.momentum)
    else:
        topt = torch.optim.Adam(flat, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    k = spec.group_size
    for epoch in range(1, epochs + 1):
        order = (np.arange(spec.N) if spec.shuffle_seed is None
                 else np.random.default_rng([spec.shuffle_seed, epoch]).permutation(spec.N))
        for a in range(0, spec.N, k):
            topt.zero_grad()
            loss = loss_of(spec, params, order[a:a + k])
            # L2 as the lecture's: 2λ W̃, never the biases (column 0 of W); U is all weights
            for p in params:
                if l2_of is not None:
                    loss = loss + opt.l2 * l2_of(p)
                elif isinstance(p, dict):
                    loss = loss + opt.l2 * ((p["W"][:, 1:] ** 2).sum() + (p["U"] ** 2).sum())
                else:
                    loss = loss + opt.l2 * (p[:, 1:] ** 2).sum()
            loss.backward()
            topt.step()
    return params

"""Convolution and pooling against PyTorch in float64: G and the weights after training, on random
small networks of every layer kind with stride and padding (the ``reference`` extra installs torch;
``.ci/run`` installs it and runs these). They skip only where torch cannot be imported."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.kinds import Conv2d, Dense, Pool2d
from bptui.core.engine.network import Network
from bptui.core.engine.train import train

from .helpers import random_conv_spec

torch = pytest.importorskip("torch", reason="torch is not installed: pip install '.[reference]'")
F = torch.nn.functional

ACT = {
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda x: x,
    "softplus": F.softplus, "gelu": F.gelu, "softmax": None,
}


def _act(name, alpha):
    if name == "elu":
        return lambda x: F.elu(x, alpha)
    if name == "leaky_relu":
        return lambda x: F.leaky_relu(x, alpha)
    return ACT[name]


def torch_loss(spec, params, X, Y, seen=None):
    """ℓ_D = Σₙ ℓ⁽ⁿ⁾ of the spec's network, written in PyTorch from the file's own description
    (``seen``: a list that gets each layer's (s, o) tensors, s None for pooling, their grads kept)."""
    o = torch.tensor(X.reshape((len(X),) + spec.input_shape), dtype=torch.float64)
    for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
        act = _act(spec.activations[l - 1], spec.alphas[l - 1])
        s = None
        if isinstance(k, Conv2d):
            s = F.conv2d(o, p["kernel"], p["bias"], stride=k.stride, padding=k.padding)
            o = act(s)
        elif isinstance(k, Pool2d):
            pool = F.max_pool2d if k.mode == "max" else F.avg_pool2d
            o = pool(o, k.size, k.stride)  # ceil_mode=False: ⌊(H − size)/stride⌋ + 1 windows
        else:
            o = torch.flatten(o, 1)
            s = o @ p[:, 1:].T + p[:, 0]
            o = torch.softmax(s, dim=1) if spec.activations[l - 1] == "softmax" else act(s)
        if seen is not None:
            for t in (s, o):
                if t is not None and t.requires_grad:
                    t.retain_grad()
            seen.append((s, o))
    y = torch.tensor(Y, dtype=torch.float64)
    if spec.loss == "squared":
        return ((o - y) ** 2).sum()
    if spec.loss == "half_squared":
        return 0.5 * ((o - y) ** 2).sum()
    if spec.activations[-1] == "softmax":
        return -(y * torch.log(o)).sum()
    return -(y * torch.log(o) + (1 - y) * torch.log(1 - o)).sum()


def torch_params(spec, weights):
    out = []
    for k, W in zip(spec.kinds, weights):
        if isinstance(k, Conv2d):
            out.append({"kernel": torch.tensor(W[:, 1:].reshape(k.kernel_shape), dtype=torch.float64, requires_grad=True),
                        "bias": torch.tensor(W[:, 0], dtype=torch.float64, requires_grad=True)})
        elif isinstance(k, Dense):
            out.append(torch.tensor(W, dtype=torch.float64, requires_grad=True))
        else:
            out.append(None)
    return out


def as_matrix(k, p):
    if isinstance(k, Conv2d):
        return np.concatenate([p["bias"].detach().numpy()[:, None],
                               p["kernel"].detach().numpy().reshape(k.channels, -1)], axis=1)
    if isinstance(k, Dense):
        return p.detach().numpy()
    return np.zeros(k.param_shape)


def grads(k, p):
    if isinstance(k, Conv2d):
        return np.concatenate([p["bias"].grad.numpy()[:, None], p["kernel"].grad.numpy().reshape(k.channels, -1)], axis=1)
    if isinstance(k, Dense):
        return p.grad.numpy()
    return np.zeros(k.param_shape)


def torch_train(spec, params, topt, epochs: int) -> None:
    """``epochs`` of the spec's update groups with PyTorch's optimizer ``topt`` on ``params``."""
    k, l2 = spec.group_size, spec.optimizer.l2
    for _ in range(epochs):
        for a in range(0, spec.N, k):
            topt.zero_grad()
            loss = torch_loss(spec, params, spec.inputs[a:a + k], spec.targets[a:a + k])
            # L2 as the lecture's: 2λ W̃, never the biases (column 0 of a dense W, a conv's bias)
            for p in params:
                if isinstance(p, dict):
                    loss = loss + l2 * (p["kernel"] ** 2).sum()
                elif p is not None:
                    loss = loss + l2 * (p[:, 1:] ** 2).sum()
            loss.backward()
            topt.step()


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_G_matches_pytorch(seed):
    spec = random_conv_spec(seed, n=4)
    params = torch_params(spec, spec.weights)
    loss = torch_loss(spec, params, spec.inputs, spec.targets)
    loss.backward()
    ours_loss, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        assert g.shape == k.param_shape
        np.testing.assert_allclose(g, grads(k, p), rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")


def test_every_kind_and_option_is_covered():
    kinds = [k for seed in SEEDS for k in random_conv_spec(seed).kinds]
    convs = [k for k in kinds if isinstance(k, Conv2d)]
    pools = [k for k in kinds if isinstance(k, Pool2d)]
    assert any(k.stride > 1 for k in convs) and any(k.padding > 0 for k in convs)
    assert any(k.kernel[0] != k.kernel[1] for k in convs)
    assert {k.mode for k in pools} == {"max", "avg"} and any(k.stride < k.size for k in pools)
    assert any(k.in_shape[0] > 1 for k in convs) and any(k.channels > 1 for k in convs)


@pytest.mark.parametrize("seed", range(0, 40, 4))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"), ("adam", "full_batch")])
def test_weights_after_training_match_pytorch(seed, optimizer, update):
    spec = random_conv_spec(seed, n=4, optimizer=optimizer, update=update, l2=0.01)
    epochs = 3
    result = train(spec, epochs)
    params = torch_params(spec, spec.weights)
    flat = [t for p in params if p is not None for t in (p.values() if isinstance(p, dict) else [p])]
    opt = spec.optimizer
    if optimizer == "sgd":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate)
    elif optimizer == "momentum":
        topt = torch.optim.SGD(flat, lr=opt.learning_rate, momentum=opt.momentum)
    else:
        topt = torch.optim.Adam(flat, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    biases = {id(p["bias"]) for p in params if isinstance(p, dict)}
    torch_train(spec, params, topt, epochs)
    assert biases  # every network has a convolution
    for l, (kind, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        np.testing.assert_allclose(W, as_matrix(kind, p), rtol=1e-9, atol=1e-11, err_msg=f"W⁽{l}⁾ after training")


# -- strides that do not fit evenly: PyTorch leaves the last rows and columns unread -------------------
UNEVEN = range(24)


def _columns(t):
    """A torch batch (N, …) as bptui's columns (one example a column, maps flattened C, H, W)."""
    return t.detach().reshape(t.shape[0], -1).numpy().T


@pytest.mark.parametrize("seed", UNEVEN)
def test_uneven_strides_match_pytorch(seed):
    """Forward values (s⁽ˡ⁾, o⁽ˡ⁾), ℓ_D and every gradient (δ⁽ˡ⁾ = ∂ℓ_D/∂s⁽ˡ⁾, a pooling layer's
    ∂ℓ_D/∂o⁽ˡ⁾, and G⁽ˡ⁾) of random networks whose strides do not fit their input evenly, against
    PyTorch's Conv2d, MaxPool2d and AvgPool2d (ceil_mode=False) in float64, to 1e-12."""
    spec = random_conv_spec(seed, n=4, uneven=True)
    params = torch_params(spec, spec.weights)
    seen: list = []
    loss = torch_loss(spec, params, spec.inputs, spec.targets, seen)
    loss.backward()
    net = Network(spec)
    W = [np.array(w) for w in spec.weights]
    S, O = net.forward(W, spec.inputs)
    ours_loss, G, deltas = net.backprop(W, net.o0(spec.inputs), spec.targets.T, keep_deltas=True)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    close = dict(rtol=1e-12, atol=1e-12)
    for l, (k, (s, o), p) in enumerate(zip(spec.kinds, seen, params), start=1):
        where = f"layer {l} ({k.describe()})"
        assert O[l].shape[0] - net.units(l, O[l]).shape[0] in (0, 1)
        np.testing.assert_allclose(net.units(l, O[l]), _columns(o), **close, err_msg=f"o⁽{l}⁾, {where}")
        if k.has_s:
            np.testing.assert_allclose(S[l], _columns(s), **close, err_msg=f"s⁽{l}⁾, {where}")
            np.testing.assert_allclose(deltas[l - 1], _columns(s.grad), **close, err_msg=f"δ⁽{l}⁾, {where}")
        else:
            np.testing.assert_allclose(deltas[l - 1], _columns(o.grad), **close, err_msg=f"∂ℓ/∂o⁽{l}⁾, {where}")
        if k.has_weights:
            np.testing.assert_allclose(G[l - 1], grads(k, p), **close, err_msg=f"G⁽{l}⁾, {where}")


def test_the_uneven_networks_cover_conv_and_both_poolings():
    """The random networks above leave rows or columns unread in convolutions and in both poolings,
    after the last window and (a stride larger than the window) between windows."""
    kinds = [k for seed in UNEVEN for k in random_conv_spec(seed, n=4, uneven=True).kinds]
    unread = [k for k in kinds if k.unread() != ((), ())]
    assert {k.type for k in unread} == {"conv2d", "maxpool2d", "avgpool2d"}
    for k in [k for k in kinds if k.type != "dense"]:  # PyTorch's count: ⌊(H + 2p − kh)/s⌋ + 1
        rows, cols = k.receptive_field(0, 0)
        pad = getattr(k, "padding", 0)
        assert k.out_shape[1:] == tuple((n + 2 * pad - (span.stop - span.start)) // k.stride + 1
                                        for n, span in zip(k.in_shape[1:], (rows, cols)))
    last = [k for k in unread if k.in_shape[1] - 1 in k.unread()[0]]
    between = [k for k in unread if any(r < k.in_shape[1] - 1 and r + 1 not in k.unread()[0] for r in k.unread()[0])]
    assert last and between


@pytest.mark.parametrize("seed", range(0, 24, 6))
def test_uneven_strides_train_as_pytorch(seed):
    """Three epochs of mini-batch Adam with L2 on an uneven network: the weights PyTorch gets."""
    spec = random_conv_spec(seed, n=4, uneven=True, optimizer="adam", update={"batch_size": 2}, l2=0.01)
    result = train(spec, 3)
    params = torch_params(spec, spec.weights)
    flat = [t for p in params if p is not None for t in (p.values() if isinstance(p, dict) else [p])]
    opt = spec.optimizer
    topt = torch.optim.Adam(flat, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    torch_train(spec, params, topt, 3)
    for l, (kind, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        np.testing.assert_allclose(W, as_matrix(kind, p), rtol=1e-12, atol=1e-12, err_msg=f"W⁽{l}⁾ after training")

"""Backprop's G equals central finite differences, for every activation × loss × update mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.teaching.check import gradient_check
from bptui.core.engine.network import Network
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper

from .conftest import EXAMPLES, NETWORKS
from .helpers import random_spec

HIDDEN = [name for name in ACTIVATIONS if name != "softmax"]
OUTPUTS = {
    "squared": HIDDEN + ["softmax"],
    "half_squared": HIDDEN + ["softmax"],
    "cross_entropy": ["sigmoid", "softmax"],
}
CASES = [(act, loss, update) for loss in OUTPUTS for act in HIDDEN for update in ("full_batch", "per_example")]


def numeric_gradient(net, W, X, Y, h=1e-6):
    """Central differences of ℓ_D, written here independently of bptui.core.teaching.check."""
    out = []
    for l in range(len(W)):
        g = np.zeros_like(W[l])
        for idx in np.ndindex(W[l].shape):
            Wp = [w.copy() for w in W]
            Wm = [w.copy() for w in W]
            Wp[l][idx] += h
            Wm[l][idx] -= h
            g[idx] = (net.dataset_loss(Wp, X, Y) - net.dataset_loss(Wm, X, Y)) / (2 * h)
        out.append(g)
    return out


@pytest.mark.parametrize("act,loss,update", CASES)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), widths=st.lists(st.integers(1, 3), min_size=3, max_size=4))
def test_stepper_G_equals_finite_differences(act, loss, update, seed, widths):
    rng = np.random.default_rng(seed)
    output = OUTPUTS[loss][rng.integers(len(OUTPUTS[loss]))]
    if output == "softmax":
        widths[-1] = max(widths[-1], 2)
    spec = random_spec(widths, hidden=act, output=output, loss=loss, update=update, seed=seed)
    stepper = Stepper(spec)
    # walk the first update group's examples: every step of their forward and backward passes
    group = spec.N if update == "full_batch" else 1
    stepper.goto(group * stepper.schedule.per_example)
    G = stepper.state.G[1:]
    net = Network(spec)
    expected = numeric_gradient(net, [w.copy() for w in spec.weights], spec.inputs[:group], spec.targets[:group])
    for l, (g, e) in enumerate(zip(G, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"G^({l}) {act}/{output}/{loss}/{update}")
    # the vectorised path (training, check) agrees with the step-by-step one
    _, G_batch = net.gradient(spec.weights, spec.inputs[:group], spec.targets[:group])
    for g, b in zip(G, G_batch):
        np.testing.assert_allclose(g, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["elu", "leaky_relu", "prelu"])
def test_alpha_is_used(name):
    a = ACTIVATIONS[name]
    s = np.array([-2.0, 3.0])
    slope_out = a.f(s, 0.5)
    assert slope_out[1] == 3.0
    expected = 0.5 * np.expm1(-2.0) if name == "elu" else -1.0
    assert slope_out[0] == pytest.approx(expected)


def test_activation_derivatives_against_finite_differences():
    s = np.linspace(-3, 3, 13) + 0.05  # off the kinks at 0
    h = 1e-6
    for name, a in ACTIVATIONS.items():
        if name == "softmax":
            continue
        o = a.f(s, a.default_alpha or 0.0)
        numeric = (a.f(s + h, a.default_alpha or 0.0) - a.f(s - h, a.default_alpha or 0.0)) / (2 * h)
        np.testing.assert_allclose(a.df(s, o, a.default_alpha or 0.0), numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_gelu_is_the_exact_erf_form():
    from math import erf, sqrt

    a = ACTIVATIONS["gelu"]
    for x in (-1.3, 0.2, 2.5):
        assert a.f(np.array([x]), 0.0)[0] == pytest.approx(0.5 * x * (1 + erf(x / sqrt(2))), rel=1e-15)


def test_l2_never_touches_biases():
    spec = random_spec([2, 2, 1], l2=0.1, n=2, seed=4)
    stepper = Stepper(spec)
    stepper.goto(len(stepper.schedule))
    W0, G, W1 = spec.weights[0], stepper.state.G[1], stepper.state.W[1]
    np.testing.assert_allclose(W1[:, 0], W0[:, 0] - 0.3 * G[:, 0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(W1[:, 1:], W0[:, 1:] - 0.3 * (G[:, 1:] + 0.2 * W0[:, 1:]), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_passes_its_gradient_check(name):
    spec = load(NETWORKS / f"{name}.json")
    checks = gradient_check(spec)
    assert len(checks) == sum(w.size for w in spec.weights)
    assert max(c.rel_error for c in checks) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: break δ for hidden layers and it reports the layer."""
    from bptui.core.engine import network

    spec = load(NETWORKS / "xor.json")
    original = network.Network.hidden_delta
    monkeypatch.setattr(network.Network, "hidden_delta", lambda self, *a: 1.1 * original(self, *a))
    checks = gradient_check(spec)
    worst = {l: max(c.rel_error for c in checks if c.layer == l) for l in (1, 2)}
    assert worst[1] > 0.05 and worst[2] < 1e-6

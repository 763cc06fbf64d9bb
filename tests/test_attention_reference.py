"""The attention layer against PyTorch in float64 (its functional ops, ``F.linear`` and
``F.scaled_dot_product_attention``, with the same weights): ℓ_D, G (Q, K, V, O and the dense layers')
and the weights after training with sgd, momentum and adam and L2, on random small sequence-to-sequence
networks (heads 1 and 2, causal and not, a dense layer below or a second attention layer at random,
sequences of different lengths in one update group); finite differences; the stepper's G against the
batch pass's."""

from __future__ import annotations

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

ACTS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda x: x}


def random_attention_doc(seed: int, n: int = 5, update: str = "full_batch", optimizer: str = "sgd", l2: float = 0.0,
                         mini_batch: int | None = None, shuffle_seed: int | None = None) -> dict:
    """A random small network with an attention layer: d 1..3 units; a dense layer at each τ below it at
    random; attention with dk 2 or 4, heads 1 or 2, causal at random; a second attention layer at random;
    a dense layer above at random; a dense output layer (targets per τ)."""
    rng = np.random.default_rng([21, seed])
    d = int(rng.integers(1, 4))
    heads = 1 + seed % 2
    layers: list[dict] = [{"units": d}]
    weights: list = []
    below = d

    def dense(units: int, act: str) -> None:
        nonlocal below
        layers.append({"units": units, "activation": act})
        weights.append(rng.normal(0, 0.6, size=(units, below + 1)).tolist())
        below = units

    def attention() -> None:
        dk = int(rng.choice([2, 4]))
        layers.append({"type": "attention", "dim": dk, "heads": heads, "causal": bool(rng.integers(0, 2))})
        weights.append({name: rng.normal(0, 0.4, size=(dk, below + 1)).tolist() for name in "QKV"}
                       | {"O": rng.normal(0, 0.4, size=(below, dk + 1)).tolist()})

    if rng.random() < 0.5:
        dense(int(rng.integers(1, 4)), str(rng.choice(["tanh", "sigmoid", "relu"])))
    attention()
    if rng.random() < 0.3:
        attention()
    if rng.random() < 0.5:
        dense(int(rng.integers(1, 4)), str(rng.choice(["tanh", "sigmoid", "identity"])))
    loss = str(rng.choice(["squared", "half_squared", "cross_entropy"]))
    out = int(rng.integers(2, 4))
    dense(out, "softmax" if loss == "cross_entropy" else str(rng.choice(["sigmoid", "identity", "tanh"])))
    doc = {"layers": layers, "weights": weights, "loss": loss,
           **_sequences_and_training(rng, n, d, out, loss, True, update, optimizer, l2, mini_batch, shuffle_seed)}
    doc["training"]["learning_rate"] = 0.005  # small enough that three epochs of sgd never diverge
    return doc


def random_attention_spec(seed: int, **kw):
    return parse(random_attention_doc(seed, **kw), "random_attention.json")


def torch_params(spec, weights):
    out = []
    for k, W in zip(spec.kinds, weights):
        if k.mixes_time:
            out.append({name: torch.tensor(np.array(k.part(W, name)), dtype=torch.float64, requires_grad=True)
                        for name in "QKVO"})
        else:
            out.append(torch.tensor(W, dtype=torch.float64, requires_grad=True))
    return out


def linear(W, x):
    return F.linear(x, W[:, 1:], W[:, 0])


def example_loss(spec, params, x, y):
    """ℓ⁽ⁿ⁾ of one sequence x (T × d) with PyTorch's own attention, one example at a time (no padding)."""
    h = torch.tensor(x, dtype=torch.float64)
    T = len(h)
    for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
        if k.mixes_time:
            H, dh = k.heads, k.dh
            q, kk, v = (linear(p[name], h).reshape(T, H, dh).transpose(0, 1) for name in "QKV")
            z = F.scaled_dot_product_attention(q, kk, v, is_causal=k.causal)  # scale 1/√dh
            h = linear(p["O"], z.transpose(0, 1).reshape(T, H * dh))
            continue
        s = linear(p, h)
        name = spec.activations[l - 1]
        h = torch.softmax(s, dim=1) if name == "softmax" else ACTS[name](s)
    yt = torch.tensor(y, dtype=torch.float64)
    if spec.loss == "squared":
        return ((h - yt) ** 2).sum()
    if spec.loss == "half_squared":
        return 0.5 * ((h - yt) ** 2).sum()
    return -(yt * torch.log(h)).sum()


def torch_loss(spec, params, examples):
    return sum(example_loss(spec, params, spec.x_of(n), spec.y_of(n)) for n in examples)


def grads(spec, k, p):
    if k.mixes_time:
        return k.weights_from_json({name: p[name].grad.numpy() for name in "QKVO"})
    return p.grad.numpy()


def as_matrix(k, p):
    if k.mixes_time:
        return k.weights_from_json({name: p[name].detach().numpy() for name in "QKVO"})
    return p.detach().numpy()


SEEDS = range(24)


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_G_match_pytorch(seed):
    spec = random_attention_spec(seed, n=5)
    assert len(set(spec.lengths.tolist())) > 1 and spec.return_sequences
    params = torch_params(spec, spec.weights)
    loss = torch_loss(spec, params, range(spec.N))
    loss.backward()
    ours, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets, spec.lengths)
    assert ours == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    for l, (k, p, g) in enumerate(zip(spec.kinds, params, G), start=1):
        assert g.shape == k.param_shape
        np.testing.assert_allclose(g, grads(spec, k, p), rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")


def test_the_random_networks_cover_heads_causal_and_stacks():
    kinds = [[k for k in random_attention_spec(seed).kinds if k.mixes_time] for seed in SEEDS]
    flat = [k for ks in kinds for k in ks]
    assert {k.heads for k in flat} == {1, 2}
    assert {k.causal for k in flat} == {True, False}
    assert any(len(ks) == 2 for ks in kinds)
    assert any(k.d != k.dk for k in flat)  # the stored matrix has entries outside the four matrices


@pytest.mark.parametrize("seed", range(0, 24, 4))
@pytest.mark.parametrize("optimizer,update", [("sgd", "full_batch"), ("momentum", "per_example"),
                                              ("adam", "mini_batch")])
def test_weights_after_training_match_pytorch(seed, optimizer, update):
    spec = random_attention_spec(seed, n=5, optimizer=optimizer, update=update, l2=0.01, mini_batch=2,
                                 shuffle_seed=3 if update == "mini_batch" else None)
    epochs = 3
    result = train(spec, epochs)
    params = torch_train(spec, epochs, torch_loss, torch_params(spec, spec.weights),  # L2: never a bias column
                         lambda p: sum((t[:, 1:] ** 2).sum() for t in (p.values() if isinstance(p, dict) else [p])))
    opt = spec.optimizer
    for l, (k, p, W) in enumerate(zip(spec.kinds, params, result.weights), start=1):
        ours, theirs = np.array(W), as_matrix(k, p)
        if k.mixes_time and opt.name == "adam":  # K's bias: bptui's G is the exact 0 (below), torch's rounding
            np.testing.assert_array_equal(ours[k.dk:2 * k.dk, 0], k.part(spec.weights[l - 1], "K")[:, 0])  # noise,
            ours[k.dk:2 * k.dk, 0] = theirs[k.dk:2 * k.dk, 0] = 0.0  # which Adam divides by its own size: not compared
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11, err_msg=f"W⁽{l}⁾ after training")


@pytest.mark.parametrize("seed", range(0, 24, 2))
def test_the_key_bias_has_no_gradient(seed):
    """A key's bias adds q_τ·b_K / √dh to every score of row τ, which the softmax ignores: G of W_K's
    column 0 is exactly 0, in the batch pass and on the stepper's board alike (not rounding noise, which
    would push the G panel's bar and which Adam would magnify); the other columns are not."""
    spec = random_attention_spec(seed)
    _, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, spec.lengths)
    stepper = Stepper(spec)
    while stepper.next_key.phase != "update":
        stepper.forward()
    for l, (k, g) in enumerate(zip(spec.kinds, G), start=1):
        if k.mixes_time:
            for board in (g, stepper.state.G[l]):
                assert (k.part(board, "K")[:, 0] == 0.0).all()
                assert np.abs(k.part(board, "K")[:, 1:]).max() > 0.0 and np.abs(k.part(board, "Q")[:, 0]).max() > 0.0


@pytest.mark.parametrize("seed", range(6))
def test_the_key_bias_gradient_is_zero_in_exact_arithmetic(seed):
    """Why bptui may write that column as 0: Σ_τ′ ∂ℓ/∂k_τ′ = Σ_τ q_τ (Σ_τ′ δ_τ,τ′) / √dh, and each row of
    δ = a ⊙ (∂ℓ/∂a − a·∂ℓ/∂a) sums to 0 whenever the row of a sums to 1. In exact rational arithmetic
    (any rows of a summing to 1, any ∂ℓ/∂a and q) the sum is exactly 0; from real scores through exp
    (mpmath at 60 digits) it is 0 to the working precision."""
    from fractions import Fraction

    import mpmath

    rng = np.random.default_rng([25, seed])
    T, dh = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    w = rng.integers(1, 20, size=(T, T))
    a = [[Fraction(int(x), int(row.sum())) for x in row] for row in w]  # rows summing to exactly 1
    da = [[Fraction(int(x), 7) for x in row] for row in rng.integers(-20, 20, size=(T, T))]
    q = [[Fraction(int(x), 3) for x in row] for row in rng.integers(-9, 9, size=(T, dh))]

    def rows_and_key_bias(a, da, q):
        """Each row's sum of δ, and Σ_τ′ (δᵀ q)_τ′ (the key bias's gradient times √dh)."""
        delta = [[a[t][u] * (da[t][u] - sum(a[t][j] * da[t][j] for j in range(T))) for u in range(T)]
                 for t in range(T)]
        return [sum(row) for row in delta], [sum(delta[t][u] * q[t][b] for t in range(T) for u in range(T))
                                             for b in range(dh)]

    rows, key = rows_and_key_bias(a, da, q)
    assert rows == [0] * T and key == [0] * dh  # exactly
    with mpmath.workdps(60):
        ea = [[mpmath.exp(mpmath.mpf(x)) for x in row] for row in rng.normal(0, 2, size=(T, T))]  # a from real scores
        def real(M):
            return [[mpmath.mpf(x.numerator) / x.denominator for x in row] for row in M]

        rows, key = rows_and_key_bias([[x / sum(row) for x in row] for row in ea], real(da), real(q))
        assert max(abs(x) for x in rows + key) < mpmath.mpf(10) ** -55


@pytest.mark.parametrize("seed", range(0, 24, 3))
def test_G_matches_finite_differences(seed):
    spec = random_attention_spec(seed, n=3)
    net = Network(spec)
    W = [np.array(w) for w in spec.weights]
    _, G = net.gradient(W, spec.inputs, spec.targets, spec.lengths)
    assert_sequence_fd(net, spec, W, G, np.random.default_rng(seed), 6)


@pytest.mark.parametrize("seed", range(0, 24, 3))
def test_the_stepper_adds_up_to_the_batch_pass(seed):
    """Stepping every example of the first update group (one step at a time, the attention layer's
    steps over the whole sequence) leaves the same ℓ_D and G as the vectorised pass."""
    spec = random_attention_spec(seed, n=4)
    stepper = Stepper(spec)
    while stepper.next_key.phase != "update":
        stepper.forward()
    loss, G = Network(spec).gradient(spec.weights, spec.inputs, spec.targets, spec.lengths)
    assert stepper.state.loss_D == pytest.approx(loss, rel=1e-12)
    for l, g in enumerate(G, start=1):
        np.testing.assert_allclose(stepper.state.G[l], g, rtol=1e-10, atol=1e-13, err_msg=f"G⁽{l}⁾")


def _stepped_G(spec):
    """The stepper's G⁽ˡ⁾ after every example of the first update group."""
    stepper = Stepper(spec)
    while stepper.next_key.phase != "update":
        stepper.forward()
    return stepper.state.G


@pytest.mark.parametrize("seed", range(0, 24, 3))
def test_a_column_of_x_alike_at_every_tau_gives_G_K_exactly_0_on_the_board(seed):
    """G_K = Σ_τ ∂ℓ/∂k_τ x̃_τᵀ, and Σ_τ ∂ℓ/∂k_τ = 0 (each row of δ sums to 0): a column of x that is one
    number at every τ of an example adds exactly 0 to G_K. The board's steps give that exact 0 (PyTorch
    float64 and the batch pass give rounding noise), and every other entry as PyTorch does. Inputs: every
    example's x_τ alike (every column, through a dense layer below too, and a second attention layer's),
    or the first feature alike within each example (seen by a first attention layer as its column 1); the
    first attention layer (a second reads rows a causal average may leave a last bit apart)."""
    for alike in ("rows", "feature"):
        doc = random_attention_doc(seed, n=4)
        for x in doc["data"]["inputs"]:
            for row in x:
                if alike == "rows":
                    row[:] = x[0]
                else:
                    row[0] = x[0][0]
        spec = parse(doc, "alike.json")
        params = torch_params(spec, spec.weights)
        torch_loss(spec, params, range(spec.N)).backward()
        G = _stepped_G(spec)
        l0 = next(l for l, k in enumerate(spec.kinds, start=1) if k.mixes_time)  # the first attention layer
        for l, (k, p) in enumerate(zip(spec.kinds, params), start=1):
            theirs = grads(spec, k, p)
            if l == l0 and (alike == "rows" or l == 1):
                GK = k.part(G[l], "K")
                zero = GK if alike == "rows" else GK[:, :2]  # the bias column and the column of x's first feature
                assert (zero == 0.0).all(), f"G_K⁽{l}⁾ = {GK}"
                assert np.abs(k.part(theirs, "K")[:, :zero.shape[1]]).max() < 1e-12  # torch: 0 up to rounding
            np.testing.assert_allclose(G[l], theirs, rtol=1e-10, atol=1e-12, err_msg=f"G⁽{l}⁾ ({k.describe()})")

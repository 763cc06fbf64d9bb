"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from bptui.core.formats.spec import parse


def random_spec(widths, hidden="tanh", output="sigmoid", loss="squared", update="full_batch",
                n=3, seed=0, l2=0.0, alpha=None):
    """A network file (as a dict, then parsed) with random weights and data from ``seed``."""
    rng = np.random.default_rng(seed)
    layers = [{"units": widths[0]}]
    for l, w in enumerate(widths[1:], start=1):
        act = output if l == len(widths) - 1 else hidden
        layer = {"units": w, "activation": act}
        if alpha is not None and act in ("elu", "leaky_relu", "prelu"):
            layer["alpha"] = alpha
        layers.append(layer)
    weights = [rng.normal(0, 0.8, size=(widths[l], widths[l - 1] + 1)).tolist() for l in range(1, len(widths))]
    X = rng.normal(0, 1, size=(n, widths[0]))
    if loss == "cross_entropy" and output == "softmax":
        Y = np.eye(widths[-1])[rng.integers(0, widths[-1], size=n)]
    elif loss == "cross_entropy":
        Y = rng.integers(0, 2, size=(n, widths[-1])).astype(float)
    else:
        Y = rng.normal(0, 1, size=(n, widths[-1]))
    doc = {
        "layers": layers, "weights": weights, "loss": loss,
        "data": {"inputs": X.tolist(), "targets": Y.tolist()},
        "training": {"learning_rate": 0.3, "update": update, "l2": l2},
    }
    return parse(doc, "random.json")


CONV_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity", "softplus", "elu", "leaky_relu", "gelu")


def random_conv_doc(seed: int, n: int = 3, loss: str | None = None, update: str = "full_batch",
                    optimizer: str = "sgd", l2: float = 0.0, uneven: bool = False) -> dict:
    """A random small v2 network file: a map input, one or two conv2d layers with stride and padding,
    max or average pooling (sometimes overlapping), a dense layer or two; random weights and data.
    ``uneven``: every convolution and pooling layer has a stride that does not fit its padded input
    evenly along at least one axis (PyTorch drops the rest: ⌊(H + 2p − k)/s⌋ + 1 outputs), a larger
    input, and pooling windows of 2 or 3 with strides of 2 or 3 (a stride larger than the window
    too); the same seed gives another network than without it."""
    rng = np.random.default_rng([14, seed] + ([1] if uneven else []))
    C, H, W = int(rng.integers(1, 3)), int(rng.integers(4, 8)) + 3 * uneven, int(rng.integers(4, 8)) + 3 * uneven
    layers: list[dict] = [{"shape": [C, H, W]}]
    weights: list = []
    shape = (C, H, W)

    def fits(n_, k, s, p):
        return k <= n_ + 2 * p and (n_ + 2 * p - k) % s == 0

    def ok(k_h, k_w, s, p, shape_):  # both axes fit evenly, or (uneven) both fit and one does not divide
        if not uneven:
            return fits(shape_[1], k_h, s, p) and fits(shape_[2], k_w, s, p)
        return (k_h <= shape_[1] + 2 * p and k_w <= shape_[2] + 2 * p
                and not (fits(shape_[1], k_h, s, p) and fits(shape_[2], k_w, s, p)))

    for depth in range(int(rng.integers(1, 3))):
        for _ in range(50):  # a kernel, stride and padding that fit the map
            kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            s, p = int(rng.integers(1, 3)) + uneven, int(rng.integers(0, 2))
            if ok(kh, kw, s, p, shape):
                break
        else:  # pragma: no cover
            kh = kw = s = 1
            p = 0
        K = int(rng.integers(1, 4))
        act = str(rng.choice(CONV_ACTIVATIONS))
        layers.append({"type": "conv2d", "channels": K, "kernel": [kh, kw] if kh != kw else kh,
                       "stride": s, "padding": p, "activation": act})
        weights.append({"kernel": rng.normal(0, 0.6, size=(K, shape[0], kh, kw)).tolist(),
                        "bias": rng.normal(0, 0.3, size=K).tolist()})
        shape = (K, (shape[1] + 2 * p - kh) // s + 1, (shape[2] + 2 * p - kw) // s + 1)
        if uneven and min(shape[1:]) >= 3:
            for _ in range(50):
                size, stride = int(rng.choice([2, 3])), int(rng.choice([2, 3]))
                if ok(size, size, stride, 0, shape):
                    break
            else:
                size = stride = 0
            if size:
                layers.append({"type": str(rng.choice(["maxpool2d", "avgpool2d"])), "size": size, "stride": stride})
                weights.append(None)
                shape = (shape[0], (shape[1] - size) // stride + 1, (shape[2] - size) // stride + 1)
        elif min(shape[1:]) >= 2 and rng.random() < 0.7:
            size = 2
            stride = int(rng.choice([1, 2])) if (shape[1] - 2) % 2 == 0 and (shape[2] - 2) % 2 == 0 else 1
            layers.append({"type": str(rng.choice(["maxpool2d", "avgpool2d"])), "size": size, "stride": stride})
            weights.append(None)
            shape = (shape[0], (shape[1] - size) // stride + 1, (shape[2] - size) // stride + 1)
    loss, out = _dense_head(rng, layers, weights, shape[0] * shape[1] * shape[2], loss, CONV_ACTIVATIONS, 5)
    X = rng.normal(0, 1, size=(n, C, H, W))
    if loss == "cross_entropy":
        Y = np.eye(out)[rng.integers(0, out, size=n)]
    else:
        Y = rng.normal(0, 1, size=(n, out))
    inputs = X[:, 0].tolist() if C == 1 and seed % 2 else X.tolist()  # [H][W] for one channel, sometimes
    return {"layers": layers, "weights": weights, "loss": loss,
            "data": {"inputs": inputs, "targets": Y.tolist()},
            "training": {"learning_rate": 0.1, "update": update, "l2": l2, "optimizer": optimizer}}


def _dense_head(rng, layers: list, weights: list, below: int, loss: str | None, activations, widest: int):
    """The random files' dense top, appended to ``layers`` and ``weights``: a loss (drawn unless given), an
    output of 1–3 units (2–3 for softmax), and half the time a hidden dense layer of 2 to ``widest`` − 1
    units between; ``below`` is the width under it. Returns the loss and the output's width."""
    loss = loss or str(rng.choice(["squared", "half_squared", "cross_entropy"]))
    out = int(rng.integers(1, 4)) if loss != "cross_entropy" else int(rng.integers(2, 4))
    out_act = "softmax" if loss == "cross_entropy" else str(rng.choice(["sigmoid", "identity", "tanh"]))
    if rng.random() < 0.5:
        hidden = int(rng.integers(2, widest))
        layers.append({"units": hidden, "activation": str(rng.choice(activations))})
        weights.append(rng.normal(0, 0.6, size=(hidden, below + 1)).tolist())
        below = hidden
    layers.append({"units": out, "activation": out_act})
    weights.append(rng.normal(0, 0.6, size=(out, below + 1)).tolist())
    return loss, out


def random_conv_spec(seed: int, **kw):
    return parse(random_conv_doc(seed, **kw), "random_conv.json")


RNN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity", "softplus", "elu", "leaky_relu", "gelu")


def random_rnn_doc(seed: int, n: int = 5, loss: str | None = None, update: str = "full_batch",
                   optimizer: str = "sgd", l2: float = 0.0, return_sequences: bool | None = None,
                   mini_batch: int | None = None, shuffle_seed: int | None = None) -> dict:
    """A random small recurrent network file: x_τ of d values, an rnn layer of h units (many-to-one or
    return_sequences), one or two dense layers; sequences of lengths 1..5 that differ between examples."""
    rng = np.random.default_rng([15, seed])
    d, h = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    seqs = bool(rng.integers(0, 2)) if return_sequences is None else return_sequences
    act = str(rng.choice(RNN_ACTIVATIONS))
    layers: list[dict] = [{"units": d}, {"type": "rnn", "units": h, "activation": act, "return_sequences": seqs}]
    weights: list = [{"W": rng.normal(0, 0.6, size=(h, d + 1)).tolist(), "U": rng.normal(0, 0.6, size=(h, h)).tolist()}]
    loss, out = _dense_head(rng, layers, weights, h, loss, RNN_ACTIVATIONS, 4)
    return {"layers": layers, "weights": weights, "loss": loss,
            **_sequences_and_training(rng, n, d, out, loss, seqs, update, optimizer, l2, mini_batch, shuffle_seed)}


def _sequences_and_training(rng, n: int, d: int, out: int, loss: str, seqs: bool, update: str, optimizer: str,
                            l2: float, mini_batch: int | None, shuffle_seed: int | None) -> dict:
    """The data (sequences of lengths 1..5 that differ, the shortest one step; targets per τ with
    ``seqs``) and the training section of a random recurrent network file."""
    lengths = [int(rng.integers(1, 6)) for _ in range(n)]
    lengths[0], lengths[-1] = 1, 5  # always different lengths, the shortest one step
    inputs = [rng.normal(0, 1, size=(T, d)).tolist() for T in lengths]

    def target(T: int):
        if loss == "cross_entropy":
            return np.eye(out)[rng.integers(0, out, size=T)]
        return rng.normal(0, 1, size=(T, out))

    targets = [target(T).tolist() if seqs else target(1)[0].tolist() for T in lengths]
    upd: Any = {"batch_size": mini_batch or 2} if update == "mini_batch" else update
    training: dict = {"learning_rate": 0.1, "update": upd, "l2": l2, "optimizer": optimizer}
    if shuffle_seed is not None:
        training["shuffle_seed"] = shuffle_seed
    return {"data": {"inputs": inputs, "targets": targets}, "training": training}


def random_rnn_spec(seed: int, **kw):
    return parse(random_rnn_doc(seed, **kw), "random_rnn.json")


STACK_SHAPES = ("stacked", "dense_before", "dense_after", "mixed")


def random_stack_doc(seed: int, shape: str, n: int = 5, update: str = "full_batch", optimizer: str = "sgd",
                     l2: float = 0.0, mini_batch: int | None = None, shuffle_seed: int | None = None) -> dict:
    """A random small network where time flows through more than one layer (issue 19 item 2):
    ``stacked`` two rnn layers (the lower with return_sequences); ``dense_before`` a dense layer at
    each τ under an rnn layer; ``dense_after`` a dense layer at each τ above a return_sequences rnn
    layer; ``mixed`` dense at τ, rnn (return_sequences), dense at τ, rnn. The top rnn layer is
    many-to-one or return_sequences at random; one dense output layer (one more dense layer below it at
    random); sequences of lengths 1..5 that differ between examples."""
    rng = np.random.default_rng([19, STACK_SHAPES.index(shape), seed])
    d = int(rng.integers(1, 4))

    def units() -> int:
        return int(rng.integers(1, 4))

    def rnn(rs: bool) -> dict:
        return {"type": "rnn", "units": units(), "activation": str(rng.choice(RNN_ACTIVATIONS)), "return_sequences": rs}

    def dense() -> dict:
        return {"units": units(), "activation": str(rng.choice(RNN_ACTIVATIONS))}

    top_rs = bool(rng.integers(0, 2))
    body = {"stacked": [rnn(True), rnn(top_rs)], "dense_before": [dense(), rnn(top_rs)],
            "dense_after": [rnn(True), dense()], "mixed": [dense(), rnn(True), dense(), rnn(top_rs)]}[shape]
    seqs = top_rs or shape == "dense_after"
    loss = str(rng.choice(["squared", "half_squared", "cross_entropy"]))
    out = int(rng.integers(2, 4))
    out_act = "softmax" if loss == "cross_entropy" else str(rng.choice(["sigmoid", "identity", "tanh"]))
    layers: list[dict] = [{"units": d}, *body]
    if rng.random() < 0.5:
        layers.append(dense())
    layers.append({"units": out, "activation": out_act})
    weights: list = []
    below = d
    for layer in layers[1:]:
        m = layer["units"]
        if layer.get("type") == "rnn":
            weights.append({"W": rng.normal(0, 0.6, size=(m, below + 1)).tolist(),
                            "U": rng.normal(0, 0.6, size=(m, m)).tolist()})
        else:
            weights.append(rng.normal(0, 0.6, size=(m, below + 1)).tolist())
        below = m
    return {"layers": layers, "weights": weights, "loss": loss,
            **_sequences_and_training(rng, n, d, out, loss, seqs, update, optimizer, l2, mini_batch, shuffle_seed)}


def random_stack_spec(seed: int, shape: str, **kw):
    return parse(random_stack_doc(seed, shape, **kw), f"random_{shape}.json")


def torch_optimizer(opt, params):
    """PyTorch's optimizer with the hyper-parameters of a spec's ``opt`` (sgd, momentum, adam) on ``params``."""
    import torch

    if opt.name == "sgd":
        return torch.optim.SGD(params, lr=opt.learning_rate)
    if opt.name == "momentum":
        return torch.optim.SGD(params, lr=opt.learning_rate, momentum=opt.momentum)
    return torch.optim.Adam(params, lr=opt.learning_rate, betas=(opt.beta1, opt.beta2), eps=opt.eps)


RESIDUAL_ACTIVATIONS = ("tanh", "sigmoid", "softplus", "identity", "gelu")


def random_residual_doc(seed: int, n: int = 3, nested: bool | None = None, optimizer: str = "sgd",
                        update: str = "full_batch", l2: float = 0.0) -> dict:
    """A random small network file with residual blocks (issue 21): a dense layer of h units, then
    one to three top-level entries, each a dense layer of h units or a residual block of one to three
    dense layers ending in h units (with ``nested``, or every other seed, a block inside a block);
    a dense output layer; random weights, nested as the file format nests them, and data."""
    rng = np.random.default_rng([21, seed])
    d, h, k = int(rng.integers(1, 4)), int(rng.integers(2, 5)), int(rng.integers(1, 3))
    nested = seed % 2 == 1 if nested is None else nested

    def act() -> str:
        return str(rng.choice(RESIDUAL_ACTIVATIONS))

    def dense(width: int, below: int) -> tuple[dict, list]:
        return {"units": width, "activation": act()}, rng.normal(0, 0.7, size=(width, below + 1)).tolist()

    def block(depth: int, x: int) -> tuple[dict, list]:
        """A block reading x units; its last inner layer gives x units back."""
        layers, weights, below = [], [], x
        count = int(rng.integers(1, 4))
        inside = int(rng.integers(0, count)) if depth == 0 and nested else -1
        for i in range(count):
            if i == inside:
                entry, w = block(1, below)  # a block keeps the units it reads
            else:
                width = x if i == count - 1 else int(rng.integers(1, 5))
                entry, w = dense(width, below)
                below = width
            layers.append(entry)
            weights.append(w)
        if below != x:  # the last inner layer gives the block's units back
            entry, w = dense(x, below)
            layers.append(entry)
            weights.append(w)
        return {"type": "residual", "layers": layers}, weights

    first, w1 = dense(h, d)
    layers, weights = [{"units": d}, first], [w1]
    entries = int(rng.integers(1, 4))
    has_block = False
    for i in range(entries):
        if rng.random() < 0.7 or (i == entries - 1 and not has_block):
            entry, w = block(0, h)
            has_block = True
        else:
            entry, w = dense(h, h)
        layers.append(entry)
        weights.append(w)
    softmax = k > 1 and rng.random() < 0.5
    out, wk = dense(k, h)
    out["activation"] = "softmax" if softmax else str(rng.choice(["sigmoid", "identity", "tanh"]))
    layers.append(out)
    weights.append(wk)
    X = rng.normal(0, 1, size=(n, d))
    if softmax:
        Y, loss = np.eye(k)[rng.integers(0, k, size=n)], "cross_entropy"
    else:
        Y, loss = rng.normal(0, 1, size=(n, k)), str(rng.choice(["squared", "half_squared"]))
    training: dict[str, Any] = {"learning_rate": 0.05, "l2": l2, "optimizer": optimizer,
                                "update": {"batch_size": 2} if update == "mini_batch" else update}
    return {"layers": layers, "weights": weights, "loss": loss,
            "data": {"inputs": X.tolist(), "targets": Y.tolist()}, "training": training}


def random_residual_spec(seed: int, n: int = 3, **options: Any):
    return parse(random_residual_doc(seed, n, **options), "residual.json")


def assert_sequence_fd(net, spec, W: list, G: list, rng, per_layer: int) -> None:
    """``per_layer`` random entries of each G (a layer without weights skipped) against central finite
    differences of ℓ_D over the spec's sequences (ε = 1e-6)."""
    import pytest

    eps = 1e-6
    for l, g in enumerate(G):
        if not g.size:
            continue
        for _ in range(per_layer):
            i = tuple(int(rng.integers(0, n)) for n in g.shape)
            up, down = [w.copy() for w in W], [w.copy() for w in W]
            up[l][i] += eps
            down[l][i] -= eps
            numeric = (net.dataset_loss(up, spec.inputs, spec.targets, spec.lengths)
                       - net.dataset_loss(down, spec.inputs, spec.targets, spec.lengths)) / (2 * eps)
            assert g[i] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (l + 1, i)


def assert_one_error_line(capsys, tmp_path, command: str, doc: dict, expected: str) -> None:
    """``bptui COMMAND`` on ``doc`` written to a file (its ``weights`` left out when None): status 2,
    nothing on stdout, and one ``error: PATH: …`` line on stderr that says ``expected``."""
    import json

    from bptui.cli import main

    if doc.get("weights") is None:
        doc.pop("weights", None)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code = main([command, str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: "), err
    assert expected in err, err


def panel_text(array: Any, index: Any, digits: int = 4) -> str:
    """An entry of a layer panel's array as the panel writes it (panel_base: ``numformat.cell`` in the one
    format of the whole array, ``numformat.number_format``): what the diagrams write of the same entry."""
    from bptui.core.formulas.numformat import cell, number_format

    a = np.asarray(array, dtype=float)
    return cell(float(a[index]), digits, number_format(a, digits))

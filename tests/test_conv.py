"""Convolution and pooling (format v2): finite differences on random networks of every kind with
stride and padding, a step worked by hand, the schedule's blocks, every command on the v2
examples, and one error line for every kind of bad v2 input."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.teaching.check import gradient_check, verdict
from bptui.core.teaching.explain import Cell, explain
from bptui.core.kinds import Conv2d, Pool2d
from bptui.core.formats.spec import load, parse
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import evaluate, train
from bptui.core.engine.wiring import nest

from .conftest import NETWORKS, V2_EXAMPLES
from .helpers import assert_one_error_line, random_conv_doc, random_conv_spec


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- finite differences ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,uneven", [(seed, False) for seed in range(30)] + [(seed, True) for seed in range(8)])
def test_backprop_matches_finite_differences(seed, uneven):
    spec = random_conv_spec(seed, n=3, uneven=uneven)
    checks = gradient_check(spec)
    assert verdict(checks).ok, [c for c in checks if not c.ok][:3]
    assert len(checks) == sum(w.size for w in spec.weights)


def test_finite_differences_catch_a_wrong_convolution_gradient(monkeypatch):
    spec = random_conv_spec(3, n=3)
    original = Conv2d.back
    monkeypatch.setattr(Conv2d, "back", lambda self, *a: 1.01 * original(self, *a))
    assert not verdict(gradient_check(spec)).ok


def test_the_one_example_path_is_the_batch_path():
    """The stepper's G summed over an update group is the batch gradient (training's)."""
    from bptui.core.engine.network import Network

    for seed, uneven in [(seed, False) for seed in range(12)] + [(seed, True) for seed in range(6)]:
        spec = random_conv_spec(seed, n=3, uneven=uneven)
        st = Stepper(spec)
        for _ in range(len(st.schedule) - len(st.schedule.updated)):
            st.forward()
        loss, G = Network(spec).gradient(list(spec.weights), spec.inputs, spec.targets)
        assert st.state.loss_D == pytest.approx(loss, rel=1e-12)
        for l in range(1, spec.L + 1):
            np.testing.assert_allclose(st.state.G[l], G[l - 1], rtol=1e-10, atol=1e-13)


def test_a_batch_in_slices_is_the_whole_batch():
    """Network.backprop goes through a network with maps a slice of examples at a time (Network.chunk);
    the slices' ℓ and G add up to the whole batch's, the last slice shorter than the others."""
    from bptui.core.engine.network import Network

    for seed in range(12):
        spec = random_conv_spec(seed, n=23)
        net = Network(spec)
        assert net.chunk is not None and net.chunk >= 8
        W, O0, Yt = list(spec.weights), net.o0(spec.inputs), spec.targets.T
        whole, G, _ = net._backprop(W, O0, Yt)
        net.chunk = 5
        sliced, G5, _ = net.backprop(W, O0, Yt)
        assert sliced == pytest.approx(whole, rel=1e-13)
        for a, b in zip(G5, G):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(8, 10, 40000), (16, 30000, 73), (4000, 8, 32), (40000, 9, 1), (3, 4, 5)])
def test_long_products_in_blocks_are_the_product(shape):
    """kind.matmul cuts a long product into blocks of at most ONE_THREAD multiply-adds (along m, n
    or the inner k); the blocks make up A @ B."""
    from bptui.core.engine import kind

    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    A, B = rng.normal(size=(m, k)), rng.normal(size=(k, n))
    np.testing.assert_allclose(kind.matmul(A, B), A @ B, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kind.matmul(B.T, A.T), (A @ B).T, rtol=1e-12, atol=1e-12)  # views, not copies


# -- one step by hand ------------------------------------------------------------------------------------
HAND = {
    "layers": [{"shape": [1, 3, 3]},
               {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 1, "padding": 0, "activation": "identity"},
               {"type": "maxpool2d", "size": 2},
               {"units": 1, "activation": "identity"}],
    "weights": [{"kernel": [[[[1, 0], [0, -1]]]], "bias": [0.5]}, None, [[0.0, 2.0]]],
    "loss": "half_squared",
    "data": {"inputs": [[[1, 2, 3], [4, 5, 6], [7, 8, 10]]], "targets": [[0]]},
}


def test_a_step_worked_by_hand():
    spec = parse(HAND, "hand.json")
    st = Stepper(spec)
    keys = [st.schedule.key(i) for i in range(len(st.schedule))]
    assert [(k.phase, k.quantity, k.layer) for k in keys] == [
        ("forward", "s", 1), ("forward", "o", 1), ("forward", "o", 2), ("forward", "s", 3), ("forward", "o", 3),
        ("loss", "loss", None), ("backward", "delta", 3), ("backward", "G", 3), ("backward", "delta", 2),
        ("backward", "delta", 1), ("backward", "G", 1), ("update", "W", 1), ("update", "W", 3)]
    s1 = st.forward().value
    # s[i, j] = 0.5 + x[i, j] − x[i+1, j+1]: 0.5 + 1 − 5, 0.5 + 2 − 6, 0.5 + 4 − 8, 0.5 + 5 − 10
    np.testing.assert_array_equal(s1, [[[-3.5, -3.5], [-3.5, -4.5]]])
    st.forward()
    np.testing.assert_array_equal(st.forward().value, [[[-3.5]]])  # the max, the first of three ties
    assert st.forward().value.tolist() == [-7.0]  # s = 0 + 2·(−3.5)
    st.forward()
    assert st.forward().value == 24.5  # ½·49
    assert st.forward().value.tolist() == [-7.0]  # δ⁽³⁾ = o − y
    np.testing.assert_array_equal(st.forward().value, [[-7.0, 24.5]])  # G⁽³⁾ = δ [1, vec(o⁽²⁾)]ᵀ
    np.testing.assert_array_equal(st.forward().value, [[[-14.0]]])  # ∂ℓ/∂o⁽²⁾ = 2·(−7)
    # max pooling routes it to the first maximum in row-major order: (0, 0), not (0, 1) or (1, 0)
    np.testing.assert_array_equal(st.forward().value, [[[-14.0, 0.0], [0.0, 0.0]]])
    # G⁽¹⁾: the bias gets Σδ = −14, the kernel the correlation of x with δ: −14·x[u, v]
    np.testing.assert_array_equal(st.forward().value, [[-14.0, -14.0, -28.0, -56.0, -70.0]])
    eq = "\n".join(json.loads(line)["equation"] for line in _trace_json(spec))
    assert "route_max(∂ℓ⁽¹⁾/∂o⁽²⁾)" in eq and "W⁽¹⁾ ⋆ o⁽⁰⁾ + b⁽¹⁾" in eq and "o⁽⁰⁾ ⋆ δ⁽¹⁾" in eq
    assert "s₁,₁,₁⁽¹⁾ = b₁⁽¹⁾ + Σ_{c,u,v} w_{1,c,u,v}⁽¹⁾ o_{c,r,q}⁽⁰⁾ = 0.5 + 1·1 + 0·2 + 0·4 + (−1)·5 = −3.5" in eq


def test_a_stride_that_does_not_fit_evenly_is_accepted_as_pytorch_counts_it(capsys, tmp_path):
    """HAND's 3 × 3 image under a 2 × 2 kernel with stride 2 (the old rule's error): ⌊(3 − 2)/2⌋ + 1 = 1
    window, reading rows and columns 1…2; row 3 and column 3 are never read, so their gradient is 0."""
    doc = _bad(layers=[{"shape": [1, 3, 3]},
                       {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 2, "activation": "identity"},
                       {"units": 1, "activation": "identity"}],
               weights=[{"kernel": [[[[1, 0], [0, -1]]]], "bias": [0.5]}, [[0.0, 2.0]]])
    spec = parse(doc, "uneven.json")
    k = spec.kinds[0]
    assert k.out_shape == (1, 1, 1) and k.unread() == ((2,), (2,)) and k.count_text(0) == "⌊(3 − 2)/2⌋ + 1 = 1"
    st = Stepper(spec)
    np.testing.assert_array_equal(st.forward().value, [[[-3.5]]])  # 0.5 + x[0, 0] − x[1, 1] = 0.5 + 1 − 5
    st.goto(9)
    # δ⁽¹⁾ = 2·δ⁽²⁾ = 2·(−7); G⁽¹⁾: the bias −14, the kernel −14·x[u, v] over the window read
    np.testing.assert_array_equal(st.last.value, [[-14.0, -14.0, -28.0, -56.0, -70.0]])
    back = k.back_one(st.state.W[1], st.state.delta[1], st.state.o[0], None)  # ∂ℓ/∂x: 0 where never read
    np.testing.assert_array_equal(back, [[[-14.0, 0.0, 0.0], [0.0, 14.0, 0.0], [0.0, 0.0, 0.0]]])
    path = tmp_path / "uneven.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["trace", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(stride 2, padding 0; o outside the map is 0; row 3 and column 3 of o⁽⁰⁾ never read)" in out
    explained = explain(st, Cell("o", 0, (0, 2, 1))).text()
    assert ("never read: no window of layer 1 (conv2d 1×2×2, stride 2) covers row 3 of o⁽⁰⁾ (⌊(3 − 2)/2⌋ + 1 = 1 "
            "windows down, as PyTorch counts them), so this entry does not reach the loss") in explained
    assert "never read" not in explain(st, Cell("o", 0, (0, 1, 1))).text()


def test_an_unread_row_is_numbered_and_named_as_the_profile_does(capsys, tmp_path):
    """The same uneven stride in cs231n, which counts rows from 0 and calls o⁽⁰⁾ h⁰: row 2 and column 2 of h⁰
    are never read (the lecture's row 3), in the trace's note and in the entry's explanation; the position a
    convolution's δ below sums over is (1, 1) for the lecture's (2, 2)."""
    from bptui.core.formulas.profiles import PROFILES

    doc = _bad(layers=[{"shape": [1, 3, 3]},
                       {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 2, "activation": "identity"},
                       {"units": 1, "activation": "identity"}],
               weights=[{"kernel": [[[[1, 0], [0, -1]]]], "bias": [0.5]}, [[0.0, 2.0]]])
    path = tmp_path / "uneven.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["trace", str(path), "--notation", "cs231n"]) == 0
    out = capsys.readouterr().out
    assert "row 2 and column 2 of h⁰ never read)" in out and "row 3" not in out and "o⁽" not in out
    st = Stepper(parse(doc, "uneven.json"), notation=PROFILES["cs231n"])
    st.goto(9)
    explained = explain(st, Cell("o", 0, (0, 2, 1))).text()
    assert "covers row 2 of h⁰ (" in explained and "row 3" not in explained


def _trace_json(spec):
    from bptui.trace import trace_json

    return list(trace_json(spec, 1))


def test_the_full_correlation_with_the_flipped_kernel_is_written_for_a_conv_above():
    doc = random_conv_doc(1)
    spec = parse(doc, "r.json")
    assert any(isinstance(a, Conv2d) and l > 0 for l, a in enumerate(spec.kinds))
    text = "\n".join(json.loads(line)["equation"] for line in _trace_json(spec))
    assert "⋆full rot180(W⁽" in text


# -- the commands on the bundled v2 examples -------------------------------------------------------------
LONG_EPOCH = 5000  # steps: an epoch longer than this is traced on its first FIRST examples
FIRST = 20  # two update groups of tiny_transformer's and count_tokens' mini-batches of 10


def traced(name: str, tmp_path):
    """The file `trace` writes out whole: the bundled example, or for an epoch of more than LONG_EPOCH
    steps (tiny_transformer, count_tokens: 10–23 s of CPU a format for the whole epoch) the same network
    on its first FIRST examples — every step kind, an update after each group and the end of the epoch,
    through the same printers; `train`, `check` and the CSV export still read the whole file."""
    path = NETWORKS / f"{name}.json"
    if len(Stepper(load(path)).schedule) <= LONG_EPOCH:
        return path
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["data"] = {key: rows[:FIRST] for key, rows in doc["data"].items()}
    short = tmp_path / f"{name}.json"
    short.write_text(json.dumps(doc), encoding="utf-8")
    return short


@pytest.mark.parametrize("name", V2_EXAMPLES)
def test_trace_json_has_maps_and_kernels(capsys, tmp_path, name):
    path = traced(name, tmp_path)
    code, out, err = run(capsys, "trace", path, "--format", "json")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    spec = load(path)
    assert len(rows) == len(Stepper(spec).schedule)
    for r in rows:
        if r["layer"] is None:
            continue
        k = spec.kinds[r["layer"] - 1]
        if r["quantity"] in ("G", "W") and isinstance(k, Conv2d):
            assert set(r["value"]) == {"kernel", "bias"}
            assert np.shape(r["value"]["kernel"]) == k.kernel_shape and len(r["value"]["bias"]) == k.channels
        elif r["quantity"] in ("s", "o", "delta") and k.is_map:
            assert np.shape(r["value"]) == k.out_shape
    assert not any(r["quantity"] == "G" and isinstance(spec.kinds[r["layer"] - 1], Pool2d) for r in rows if r["layer"])


@pytest.mark.parametrize("name", V2_EXAMPLES)
def test_train_check_quiz_export(capsys, tmp_path, name):
    path = NETWORKS / f"{name}.json"
    out_file = tmp_path / "trained.json"
    code, out, _ = run(capsys, "train", path, "--epochs", "3", "--format", "json", "--save", out_file)
    assert code == 0
    result = json.loads(out)
    trained = load(out_file)
    flat = [kind.weights_json(saved) for saved, kind in zip(trained.weights, trained.layer_kinds)]
    assert result["weights"] == nest(trained.layer_kinds, flat)  # a residual block's entry: a list
    for w, kind in zip(flat, trained.layer_kinds):
        assert (w is None) == (not kind.has_weights)
    code, out, _ = run(capsys, "check", path, "--format", "json")
    assert code == 0 and json.loads(out)["verdict"] == "ok"
    code, out, _ = run(capsys, "trace", traced(name, tmp_path))
    assert code == 0 and "End of epoch 1" in out
    if name == "count_tokens":  # a target at every τ (tests/test_rnn.py's trace of the sequence, on this one)
        assert "; y_1 … y_T = [1, 0, 0, 0, 0], " in out
    # a worked solution of a whole epoch of the big sequence networks takes 10–16 s of CPU a format: the
    # text and LaTeX ones write their first example there (the same printers, every step kind of a pass;
    # the whole epoch's steps are written by the CSV)
    whole = len(Stepper(load(path)).schedule) <= LONG_EPOCH
    for fmt in ("markdown", "latex", "csv"):
        code, out, _ = run(capsys, "export", path, "--format", fmt,
                           *(() if whole or fmt == "csv" else ("--example", "1")))
        assert code == 0 and out


def test_quiz_asks_what_the_scalar_form_shows(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("0\n" * 12 + "q\n"))
    code, out, _ = run(capsys, "quiz", NETWORKS / "edges.json", "--steps", "11")
    assert code == 0 and "score:" in out
    assert "s₁,₁,₁⁽¹⁾ = ?" in out or "= ?" in out


def test_the_edge_detector_learns_in_seconds():
    import time

    spec = load(NETWORKS / "edges.json")
    t0 = time.process_time()  # CPU time: what a busy machine does not stretch
    result = train(spec, spec.epochs)
    assert time.process_time() - t0 < 10
    ev = evaluate(spec, result.weights)
    assert ev.train_accuracy == 1.0 and ev.test_accuracy is not None and ev.test_accuracy >= 0.8


# -- bad input: one error line naming the place ----------------------------------------------------------
def _bad(**changes):
    doc = copy.deepcopy(HAND)
    for path, value in changes.items():
        target = doc
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return doc


BAD = {
    "kernel_too_large": (_bad(layers__1__kernel=4, weights=None),
                         "layers[1].kernel: kernel height 4 is larger than its input 3"),
    "wrong_kernel_shape": (_bad(weights__0={"kernel": [[[[1, 0, 0], [0, -1, 0]]]], "bias": [0.5]}),
                           "weights[0].kernel: shape 1×1×2×3, expected 1×1×2×2 = K × C × kh × kw"),
    "wrong_bias": (_bad(weights__0={"kernel": [[[[1, 0], [0, -1]]]], "bias": [0.5, 1]}),
                   "weights[0].bias: 2 values, expected 1 = K"),
    "pool_weights": (_bad(weights__1=[[1.0]]), "weights[1]: expected null: layers[2] (maxpool2d) has no weights"),
    "dense_after_map": (_bad(weights__2=[[0.0, 2.0, 1.0]]), "weights[2]: shape 1×3, expected 1×2 = d⁽³⁾ × (d⁽²⁾+1) (the map below flattened"),
    "conv_as_matrix": (_bad(weights__0=[[0.5, 1, 0, 0, -1]]), "weights[0]: expected {\"kernel\", \"bias\"} with kernel 1×1×2×2, bias 1"),
    "input_shape": (_bad(data__inputs=[[[1, 2], [4, 5]]]), "data.inputs[0]: shape 2×2, expected [1][3][3] or [3][3]"),
    "conv_after_vector": (_bad(layers__0={"units": 9}, weights=None), "layers[1]: a conv2d layer needs a feature map as input"),
    "conv_output": (_bad(layers=[{"shape": [1, 3, 3]}, {"type": "conv2d", "channels": 1, "kernel": 2}], weights=None),
                    "layers[1]: the output layer must be dense"),
    "unknown_key": (_bad(layers__2__kernel=2, weights=None), "layers[2]: 'kernel' is not a key of a maxpool2d layer"),
    "shape_length": (_bad(layers__0={"shape": [3, 3]}, weights=None), "layers[0].shape: 2 entries, at least 3 needed"),
    "unknown_type": (_bad(layers__1__type="conv3d", weights=None), "layers[1].type: \"conv3d\" is not one of"),
    "point_generator": (_bad(data={"generator": "xor"}, weights=None), "data.generator: xor makes points, not images"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["trace", "check"])
def test_bad_v2_input_gives_one_error_line_and_exit_2(capsys, tmp_path, case, command):
    assert_one_error_line(capsys, tmp_path, command, *BAD[case])


def test_v1_files_are_unchanged_by_the_v2_reader():
    spec = load(NETWORKS / "xor.json")
    assert not spec.is_v2 and spec.kinds == () and all(k.type == "dense" for k in spec.layer_kinds)

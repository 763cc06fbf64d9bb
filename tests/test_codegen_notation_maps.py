"""`bptui export --format pytorch|numpy --notation P` of networks with maps (conv2d, maxpool2d, avgpool2d and the
dense layer reading a map): the program holds a map as a map in every profile (cs231n's rows are a dense layer's),
a convolution's kernels a row each with b apart or in column 0, writes the profile's names and checks every step
against bptui's values as the profile's panels show them.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .conftest import NETWORKS
from .helpers import random_conv_doc
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import COURSE, FORMATS, _programs, programs_in_turns

pytest.importorskip("torch")

# each profile's names in shapes' NumPy program (conv → maxpool → dense): the kernel's z = W ⋆ a + b as an einsum
# over the windows, the pooling layer's ∂ℓ/∂a in the profile's gradient name, the dense layer reading vec(a)
MAP_NAMES = {"ng": ["z1 = b1[:, None, None] + np.einsum(\"kcuv,chwuv->khw\", W1.reshape(4, 1, 3, 3), windows(a0, 3, 3, 1, 1))",
                    "a2 = windows(a1, 2, 2, 2, 0).reshape(4, 4, 4, 4).max(axis=-1)", "z3 = W3 @ a2.reshape(-1) + b3",
                    "da2 = (W3.T @ dz3).reshape(4, 4, 4)", "check(da2, 'da^[2]')", "db1 += dz1.sum(axis=(1, 2)) / m",
                    "dW1 += np.einsum(\"khw,chwuv->kcuv\", dz1, windows(a0, 3, 3, 1, 1)).reshape(4, -1) / m"],
             "nielsen": ["z2 = b2[:, None, None] + np.einsum(", "dC_da3 = (w4.T @ delta4).reshape(4, 4, 4)",
                         "delta2 = dC_da2 * ", "dC_dw2 +="],
             "goodfellow": ["a1 = b1[:, None, None]", "dJ_dh2 = (W3.T @ g3).reshape(4, 4, 4)", "g1 = dJ_dh1 * ",
                            "dJ_dW1 += np.einsum(\"khw,chwuv->kcuv\", g1, windows(h0, 3, 3, 1, 1)).reshape(4, -1)  #"],
             "cs231n": ["h0, y = X[n].reshape(1, 8, 8), Y[n][None, :]", "scores3 = h2.reshape(1, -1) @ W3 + b3",
                        "dW3 += h2.reshape(-1, 1) @ dscores3 / m", "dh2 = (dscores3 @ W3.T).reshape(4, 4, 4)",
                        "scores1 = b1[:, None, None] + np.einsum(\"kcuv,chwuv->khw\", W1.reshape(4, 1, 3, 3)"],
             "course": ["u1 = M1[:, 0][:, None, None] + np.einsum(\"kcuv,chwuv->khw\", M1[:, 1:].reshape(4, 1, 3, 3)",
                        "u3 = M3 @ np.concatenate([[1.0], v2.reshape(-1)])", "dE_dv2 = (M3.T @ e3)[1:].reshape(4, 4, 4)",
                        "D1[:, 0] += e1.sum(axis=(1, 2)) / m"]}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = tmp_path_factory.mktemp("course") / "course.json"
    path.write_text(json.dumps(COURSE))
    return path


def test_map_networks_in_every_profile_write_programs_that_pass(tmp_path, capsys, course):
    """shapes (conv → maxpool → dense, Adam) across its first update, edges (conv → dense, its first updates) and
    two_channel (conv with stride 2 → avgpool → dense, its epoch) in each shipped profile and a course's file, both
    formats: each program passes and writes the profile's names."""
    nets = {"shapes": (NETWORKS / "shapes.json", ("--steps", "150:190")),
            "edges": (NETWORKS / "edges.json", ("--steps", "1:40")),
            "two_channel": (NETWORKS / "two_channel.json", ())}
    paths = _programs(capsys, tmp_path, course, nets, MAP_NAMES, "shapes")
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)
        assert "each equal to bptui's value" in said


def _correlate_grad(x: np.ndarray, d: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """Σ_i,j d[k, i, j] x[c, i·stride + u − pad, j·stride + v − pad] by loops (K, C, kh, kw): the kernel's gradient."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    K, Ho, Wo = d.shape
    out = np.zeros((K, x.shape[0], kh, kw))
    for k in range(K):
        for i in range(Ho):
            for j in range(Wo):
                out[k] += d[k, i, j] * xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
    return out


def test_a_kernel_gradient_is_a_row_per_kernel_and_the_groups_mean(tmp_path):
    """shapes' first dW⁽¹⁾ step (11: x ⋆ δ⁽¹⁾ of example 1, m = 15): ng and cs231n check the kernels a row each
    (4 × 9, not cs231n's D × C of a dense W) over m and db = Σ_i,j δ / m, goodfellow the sums, the course's file the
    lecture's 4 × 10 with the bias in column 0; a changed kernel gradient and a changed ∂ℓ/∂a of the pooling layer
    fail the program at their steps, named as the profile names them."""
    spec = load_any(str(NETWORKS / "shapes.json"))
    run = codegen.record(spec, 1, 12)
    delta = np.asarray(run.values[9])  # δ⁽¹⁾ (step 10)
    x = np.asarray(spec.x_of(run.keys[0].example - 1)).reshape(1, 8, 8)
    kernels = _correlate_grad(x, delta, 3, 3, 1, 1).reshape(4, 9)
    bias = delta.sum(axis=(1, 2))
    course = profile_from_json(COURSE, str(tmp_path / "course.json"))
    for P, m in ((PROFILES["ng"], 15), (PROFILES["cs231n"], 15), (PROFILES["goodfellow"], 1), (course, 15)):
        text, _ = codegen.program(spec, "numpy", run, None, P)
        expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
        got = [np.asarray(a) for a in expected[10]]
        if P.separate_bias:
            np.testing.assert_allclose(got[0], kernels / m, atol=1e-12)
            np.testing.assert_allclose(got[1], bias / m, atol=1e-12)
        else:
            np.testing.assert_allclose(got[0], np.c_[bias, kernels] / m, atol=1e-12)
    paths = {}
    for name in ("ng", "cs231n"):
        for fmt in FORMATS:
            for k, what in ((8, "pool"), (10, "kernel")):  # step 9: ∂ℓ/∂a⁽²⁾, step 11: the kernel's gradient
                bad = codegen.record(spec, 1, 12)
                bad.values[k] = np.asarray(bad.values[k]) + 1e-3
                text, _ = codegen.program(spec, fmt, bad, None, PROFILES[name])
                paths[(name, fmt, what)] = tmp_path / f"bad_{name}_{fmt}_{what}.py"
                paths[(name, fmt, what)].write_text(text)
    results = run_programs(list(paths.values()))
    said_as = {("ng", "pool"): "step 9, da^[2]", ("cs231n", "pool"): "step 9, dh²",
               ("ng", "kernel"): "step 11, dW^[1], db^[1]", ("cs231n", "kernel"): "step 11, dW¹, db¹"}
    for (name, fmt, what), path in paths.items():
        status, said = results[str(path)]
        assert status == "AssertionError" and said_as[name, what] in said, (name, fmt, what, said)


def test_random_map_networks_in_a_profile(tmp_path):
    """test_codegen's seeded conv networks (one or two convolutions with stride and padding, max or average pooling,
    overlapping windows, dense layers after; every optimizer, L2, full batch and per example) and uneven ones (a
    stride that leaves rows unread), each in one profile (they take turns) and both formats: each program passes."""
    opts = ["sgd", "momentum", "adam"]
    docs = [(f"conv-{seed}", random_conv_doc(seed, optimizer=opts[seed % 3], l2=0.02 * (seed % 2),
                                              update=["full_batch", "per_example"][seed % 2])) for seed in range(5)]
    docs += [(f"uneven-{seed}", random_conv_doc(seed, optimizer=opts[seed % 3], uneven=True)) for seed in range(5)]
    programs_in_turns(tmp_path, docs)

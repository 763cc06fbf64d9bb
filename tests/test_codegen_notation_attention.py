"""`bptui export --format pytorch|numpy --notation P` of networks with attention layers: the program holds the
layer's own quantities by its own letters as the profile prints them (ng's softmax weights A and its z c, nielsen's
α), the shared ones by the profile's names (its output a1/h1, ∂ℓ/∂e its δ: ng's dz1, cs231n's dscores1; W and b, the
four matrices stacked as the panel shows them), runs, and checks every step against bptui's numbers as the profile
shows them (a G step of one matrix: its rows of G's views).

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .conftest import NETWORKS
from .test_attention_reference import random_attention_doc
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import COURSE, FORMATS, SHIPPED, _only_the_wrong_fail, _programs, _with_wrong_value
from .test_codegen_notation import course  # noqa: F401 (the fixture)

pytest.importorskip("torch")

# count_tokens (attention → dense tanh → dense softmax, at each τ) as each profile writes it
ATTENTION_NAMES = {
    "ng": ["q1 = X1 @ W_Q1.T + b_Q1", "A1 = ex / ex.sum(axis=-1, keepdims=True)", "a1 = c1 @ W_O1.T + b_O1",
           "dz1 = A1 * (dA1 - (A1 * dA1).sum(axis=-1, keepdims=True))", "z2[t] = W2 @ a1[t - 1] + b2",
           "da1 = np.vstack([W2.T @ dz2[t] for t in range(1, T + 1)])", "dW1[0:8, :3] += dq1.T @ X1 / m"],
    "nielsen": ["alpha2 = ex /", "a2 = c2 @ w_O2.T + b_O2", "delta2 = alpha2 * (dC_dalpha2", "dC_dx2 = dC_dq2 @ w_Q2"],
    "goodfellow": ["h1 = z1 @ W_O1.T + b_O1", "g1 = A1 * (dJ_dA1", "a2[t] = W2 @ h1[t - 1] + b2"],
    "cs231n": ["q1 = X1 @ W_Q1 + b_Q1", "W_Q1, W_K1, W_V1, W_O1 = W1[:3, 0:8], W1[:3, 8:16], W1[:3, 16:24], W1[:8, 24:27]",
               "h1 = z1 @ W_O1 + b_O1", "dscores1 = a1 * (da1", "dW1[:3, 0:8] += X1.T @ dq1 / m",
               "scores2[t] = h1[t - 1:t] @ W2 + b2"],
    # the bias in column 0 (X̃ with its 1s); the course's output letter v takes the values' letter: they are val
    # (profiles.CLASHES), as the panels print them
    "course": ["q1 = X1 @ M_Q1.T", "val1 = X1 @ M_V1.T  # val⁽¹⁾ = X̃⁽¹⁾ M_V⁽¹⁾ᵀ", "v1 = np.concatenate([np.ones((T, 1)), z1], 1) @ M_O1.T",
               "D1[8:16, 0] = 0.0", "dE_dz1 = dE_dv1 @ M_O1[:, 1:]"]}


def test_count_tokens_in_every_profile_writes_programs_that_pass(tmp_path, capsys, course):
    """count_tokens (attention of 2 heads over 5 tokens, Adam, groups of 10) in each shipped profile and a course's
    file, both formats: from the middle of its second group (Adam's state ≠ 0, converted to the profile's layout)
    across its second update into the next group's second example; each program passes and writes the profile's
    names (the first example's steps: the other tests)."""
    nets = {"update": (NETWORKS / "count_tokens.json", ("--steps", "1150:1260"))}
    paths = _programs(capsys, tmp_path, course, nets, ATTENTION_NAMES, "update")
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)
        assert "each equal to bptui's value" in said


def test_random_attention_networks_in_a_profile(tmp_path):
    """Seeded attention networks (heads 1 and 2, causal and not, on the input, on a dense layer at each τ and on
    another attention layer, a dense layer above; sgd, momentum and Adam, L2, full batch, per example and
    mini-batches), two epochs, each in one profile (they take turns) and both formats: each program passes."""
    profiles = [*(PROFILES[p] for p in SHIPPED), profile_from_json(COURSE, str(tmp_path / "course.json"))]
    opts, updates = ["sgd", "momentum", "adam"], ["full_batch", "per_example", "mini_batch"]
    paths = {}
    for seed in range(8):
        doc = random_attention_doc(seed, optimizer=opts[seed % 3], l2=0.02 * (seed % 2), update=updates[seed % 3],
                                   mini_batch=2 if seed % 3 == 2 else None)
        spec = parse(doc, f"attention-{seed}.json")
        P = profiles[seed % len(profiles)]
        first, last = codegen.steps_of(spec, 2, None)
        run = codegen.record(spec, first, last)
        for fmt in FORMATS:
            text, _ = codegen.program(spec, fmt, run, None, P)
            path = tmp_path / f"attention_{seed}_{P.name}_{fmt}.py"
            path.write_text(text)
            paths[(seed, P.name, fmt)] = path
    assert len({p for _, p, _ in paths}) == len(profiles)
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)


def test_an_attention_gradient_step_is_its_matrix_as_the_profile_shows_it(tmp_path):
    """count_tokens' G_Q step (56: the first example's, m = 10): ng checks dW_Q = ∂ℓ/∂qᵀ X / 10 and db_Q = Σ_τ ∂ℓ/∂q_τ / 10
    from bptui's ∂ℓ/∂q (step 52), cs231n dW_Q as D × C (Xᵀ ∂ℓ/∂q / 10), goodfellow the sums; a value changed by 1e−3
    fails the program at that step, named as ng names it (dW_Q^[1], db_Q^[1])."""
    spec = load_any(str(NETWORKS / "count_tokens.json"))
    run = codegen.record(spec, 1, 60)
    assert [run.keys[i].quantity for i in (51, 55)] == ["dq", "GQ"]
    dq, X = np.asarray(run.values[51]), np.asarray(spec.x_of(0))
    for name, m, turn in (("ng", 10, False), ("goodfellow", 1, False), ("cs231n", 10, True)):
        text, _ = codegen.program(spec, "numpy", run, None, PROFILES[name])
        expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
        dW, db = (np.asarray(a) for a in expected[55])
        np.testing.assert_allclose(dW, (X.T @ dq if turn else dq.T @ X) / m, atol=1e-12)
        np.testing.assert_allclose(db, dq.sum(axis=0) / m, atol=1e-12)
    paths = _with_wrong_value(tmp_path, spec, 1, 60, 55, lambda v: v + 1e-3)
    for fmt in FORMATS:
        text, _ = codegen.program(spec, fmt, codegen.record(spec, 1, 60), None, PROFILES["ng"])
        paths[("good", fmt)] = tmp_path / f"good_{fmt}.py"
        paths[("good", fmt)].write_text(text)
    _only_the_wrong_fail(paths, "step 56, dW_Q^[1], db_Q^[1]", "so far")

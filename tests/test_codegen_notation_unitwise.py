"""`bptui export --format pytorch|numpy --notation P` of networks with layer norm and dropout: the program writes
the layer norm's own symbols (μ, σ², u, γ, β; goodfellow's δ for its ε) beside the profile's names, γ and β as
the profile holds W and b (γ as the weights' part, d × 1, a row with row vectors; [β │ γ] with the bias in
column 0), dropout with bptui's own masks, each line's comment the rule as the panels print it; every step is
checked against bptui's value as the profile shows it.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .conftest import NETWORKS
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import COURSE, FORMATS, SHIPPED, _only_the_wrong_fail, _programs, _with_wrong_value
from .test_codegen_notation import course  # noqa: F401 (the course's profile file, a fixture)
from .test_unitwise import random_doc

pytest.importorskip("torch")

# each profile's lines of moons_layernorm (dense, layernorm, dropout, dense), as its NumPy program must write them:
# the rules as `bptui trace --notation` prints them (goodfellow's δ for the layer norm's ε, his ε being the step
# size), γ held as the weights' part (d × 1; cs231n's row 1 × d), [β │ γ] whole in a course's profile with the bias
# in column 0, dropout's m from bptui's mask
UNIT_NAMES = {
    "ng": ["x2 = a1  # x^[2] = a^[1]", "u2 = (x2 - mu2) / (var2 + 1e-05) ** 0.5  # u^[2] = (x^[2] − μ^[2])/√(σ²^[2] + ε)",
           "a2 = gamma2[:, 0] * u2 + beta2  # a^[2] = γ^[2] ⊙ u^[2] + β^[2]",
           "m3 = mask(7, e, n + 1, (16,), 0.2)", "a3 = m3 * x3 / (1 - 0.2)  # a^[3] = (m^[3] ⊙ x^[3])/(1 − p)",
           "da3 = W4.T @ dz4  # da^[3] = W^[4]ᵀ dz^[4]", "dx3 = m3 * da3 / (1 - 0.2)  # dx^[3] = (m^[3] da^[3])/(1 − p)",
           "du2 = gamma2[:, 0] * da2  # du^[2] = γ^[2] da^[2]", "dbeta2 += da2 / m  # dβ^[2] ← dβ^[2] + (da^[2])/|B|",
           "dgamma2 += (da2 * u2)[:, None] / m  # dγ^[2] ← dγ^[2] + (da^[2] u^[2])/|B|",
           "check((dgamma2, dbeta2), \"dγ^[2], dβ^[2] (so far, the group's mean)\")", "da1 = dx2  # da^[1] = dx^[2]"],
    "nielsen": ["x3 = a2  # x³ = a²", "# ∂C/∂u³ = γ³ ∂C/∂a³", "dC_dx4 = m4 * dC_da4", "dC_dgamma3 +=",
                "a3 = gamma3[:, 0] * u3 + beta3  # a³ = γ³ ⊙ u³ + β³"],
    "goodfellow": ["u2 = (x2 - mu2) / (var2 + 1e-05) ** 0.5  # u⁽²⁾ = (x⁽²⁾ − μ⁽²⁾)/√(σ²⁽²⁾ + δ), δ = 1e-05",
                   "h3 = m3 * x3 / (1 - 0.2)  # h⁽³⁾ = (m⁽³⁾ ⊙ x⁽³⁾)/(1 − p)", "dJ_dbeta2 += dJ_dh2  # ∇_β⁽²⁾ J ← ∇_β⁽²⁾ J + ∇_h⁽²⁾ J"],
    "cs231n": ["h2 = gamma2 * u2 + beta2  # h² = γ² ⊙ u² + β²", "dh3 = dscores4 @ W4.T  # dh³ = dscores⁴ W⁴ᵀ",
               "dbeta2 += np.sum(dh2, axis=0) / m", "dgamma2 += dh2 * u2 / m  # dγ² ← dγ² + (dh² u²)/|B|"],
    "course": ["x2 = v1[1:]  # x⁽²⁾ = v⁽¹⁾ without its 1", "u2 = (x2 - mu2)",
               "v2 = np.concatenate([[1.0], M2[:, 1] * u2 + M2[:, 0]])  # v⁽²⁾ = [1, γ⁽²⁾ ⊙ u⁽²⁾ + β⁽²⁾] (M⁽²⁾ = [β⁽²⁾ │ γ⁽²⁾])",
               "v3 = np.concatenate([[1.0], m3 * x3 / (1 - 0.2)])", "D2[:, 0] += dE_dv2 / m  # D_β⁽²⁾ ← D_β⁽²⁾ + (∂E/∂v⁽²⁾)/|B|",
               "D2[:, 1] += dE_dv2 * u2 / m"]}


def test_moons_layernorm_in_every_profile_writes_programs_that_pass(tmp_path, capsys, course):  # noqa: F811
    """moons_layernorm (2 → dense 16 → layernorm → dropout → dense 1, Adam, groups of 20) in each shipped profile and
    a course's file, both formats: its first examples and across its first update (steps 300 … 305 update W⁽¹⁾, γ
    and β, W⁽⁴⁾, then epoch 1's second group draws its own masks); each program passes and writes the profile's
    names and the rules as the panels print them; a wrong ∂ℓ/∂x⁽²⁾ fails the program at that step, named as ng
    names it."""
    nets = {"start": "1:31", "update": "286:320"}
    paths = _programs(capsys, tmp_path, course, {name: (NETWORKS / "moons_layernorm.json", ("--steps", steps))
                                                 for name, steps in nets.items()}, UNIT_NAMES, "start")
    spec = load_any(str(NETWORKS / "moons_layernorm.json"))
    key = codegen.record(spec, 1, 13).keys[11]  # step 12: the layer norm's ∂ℓ/∂x of example 1
    assert (key.quantity, key.layer, key.step) == ("dx", 2, 12)
    paths |= _with_wrong_value(tmp_path, spec, 1, 13, 11, lambda v: v + np.r_[1e-3, np.zeros(15)])
    _only_the_wrong_fail(paths, "step 12, dx^[2]", "dx^[2]")


def test_a_wrong_gamma_gradient_or_mask_fails_at_its_step(tmp_path):
    """A 1e−3 change to one entry of γ's gradient (step 13, as the profile shows it: cs231n's 1 × d dγ², nielsen's
    d × 1 ∂C/∂γ³, each the group's mean) or of dropout's output (step 5) fails each format's program at that
    step, named as the profile names it; the programs hold bptui's values of both steps as the panels do."""
    spec = load_any(str(NETWORKS / "moons_layernorm.json"))
    run = codegen.record(spec, 1, 13)
    G = np.asarray(run.values[12])  # [G_β │ G_γ], the group's sum so far
    paths, names = {}, {("cs231n", 12): "dγ², dβ²", ("nielsen", 12): "∂C/∂γ³, ∂C/∂β³", ("cs231n", 4): "h³",
                        ("nielsen", 4): "a⁴"}
    for name in ("cs231n", "nielsen"):
        text, _ = codegen.program(spec, "numpy", run, None, PROFILES[name])
        expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
        gamma, beta = (np.asarray(a) for a in expected[12])
        np.testing.assert_allclose(gamma, (G[:, 1:].T if name == "cs231n" else G[:, 1:]) / 20)
        np.testing.assert_allclose(beta, G[:, 0] / 20)
        for k in (4, 12):
            for fmt in FORMATS:
                bad = codegen.record(spec, 1, 13)
                flat = np.array(bad.values[k], dtype=float)
                flat[(1,) * flat.ndim] += 1e-3 * (20 if k == 12 else 1)  # G is shown over m = 20: 1e−3 as shown
                bad.values[k] = flat
                text, _ = codegen.program(spec, fmt, bad, None, PROFILES[name])
                path = tmp_path / f"{name}_{k}_{fmt}.py"
                path.write_text(text)
                paths[(name, k, fmt)] = path
    results = run_programs(list(paths.values()))
    for (name, k, fmt), path in paths.items():
        status, said = results[str(path)]
        assert status == "AssertionError" and f"step {k + 1}, {names[name, k]}" in said, (name, k, fmt, said)


def test_random_layernorm_and_dropout_networks_in_a_profile(tmp_path):
    """test_unitwise's seeded networks (layer norm and dropout between dense layers of every activation, squared
    and cross-entropy losses, sgd, momentum and Adam, L2, mini-batches and per-example updates, shuffled) over two
    epochs, each in one profile (they take turns, the course's file too) and both formats: each program passes."""
    profiles = [*(PROFILES[p] for p in SHIPPED), profile_from_json(COURSE, str(tmp_path / "course.json"))]
    opts = ("adam", "momentum", "sgd")
    paths = {}
    for seed in range(10):
        doc = random_doc(seed, optimizer=opts[seed % 3], l2=0.05 * (seed % 2), maps=False, shuffle=seed % 4 == 1,
                         update=("mini_batch", "per_example", "full_batch")[seed % 3])
        spec = parse(doc, f"unitwise-{seed}.json")
        P = profiles[seed % len(profiles)]
        first, last = codegen.steps_of(spec, 2, None)
        run = codegen.record(spec, first, last)
        for fmt in FORMATS:
            text, _ = codegen.program(spec, fmt, run, None, P)
            path = tmp_path / f"unitwise{seed}_{P.name}_{fmt}.py"
            path.write_text(text)
            paths[(seed, P.name, fmt)] = path
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok" and "each equal to bptui's value" in said, (key, said)

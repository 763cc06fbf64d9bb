"""`bptui export --format pytorch|numpy --notation P` of networks with residual blocks (dense layers inside, on
vectors): each layer reads the output its wire comes from (the block's input x, F's tail), a block's o = x + F(x)
and its ∂ℓ/∂x = ∂ℓ/∂o + the inner path's part take the profile's names (ng's a2 = a1 + a4, dx2 = dx5 + W3.T @
dz3), each comment the block's rule as the profile prints it; the programs run and check every step against
bptui's numbers as the profile shows them. Blocks over sequences, and a layer norm or dropout inside a block:
test_codegen_notation_blocks.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS
from .helpers import random_residual_doc
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import FORMATS, _only_the_wrong_fail, _programs, _with_wrong_value, programs_in_turns
from .test_codegen_notation import course  # noqa: F401 (the fixture)

pytest.importorskip("torch")

# deep_residual (dense 3, [dense 3, dense 3], [dense 3, dense 3], dense 1) as each profile writes it
RESIDUAL_NAMES = {
    "ng": ["a2 = a1 + a4  # a^[2] = a^[1] + a^[4]", "z6 = W6 @ a2 + b6", "z3 = W3 @ a1 + b3",
           "dx5 = W8.T @ dz8 + W6.T @ dz6", "dx2 = dx5 + W3.T @ dz3", "da2 = dx5", "dz4 = da2 * (", "dW6 += np.outer(dz6, a2) / m"],
    "nielsen": ["a3 = a2 + a5  # a³ = a² + a⁵", "dC_dx3 = dC_dx6 + w4.T @ delta4", "delta5 = dC_da3 * ("],
    "goodfellow": ["h2 = h1 + h4", "dJ_dx2 = dJ_dx5 + W3.T @ g3"],
    "cs231n": ["h2 = h1 + h4", "scores6 = h2 @ W6 + b6", "dx2 = dx5 + dscores3 @ W3.T", "dW6 += h2.T @ dscores6 / m"],
    "course": ["v2 = np.concatenate([[1.0], v1[1:] + v4[1:]])", "dE_dx2 = dE_dx5 + (M3.T @ e3)[1:]"]}


def test_deep_residual_in_every_profile_writes_programs_that_pass(tmp_path, capsys, course):
    """deep_residual (two blocks of two sigmoid layers, 4 examples, full batch, gradient descent) in each shipped
    profile and a course's file, both formats: its first two examples, and across its first update; each program
    passes and writes the profile's names."""
    nets = {"start": (NETWORKS / "deep_residual.json", ("--steps", "1:58")),
            "update": (NETWORKS / "deep_residual.json", ("--steps", "100:150"))}
    paths = _programs(capsys, tmp_path, course, nets, RESIDUAL_NAMES, "start")
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)
        assert "each equal to bptui's value" in said


def test_random_residual_networks_in_a_profile(tmp_path):
    """test_codegen's seeded residual networks (one to three blocks of one to three dense layers, a block in a block
    as an inner layer's first, middle or last, a block reading the input itself; sgd, momentum and Adam, L2, the
    update modes), two epochs, each in one profile (they take turns) and both formats: each program passes."""
    opts, updates = ["sgd", "momentum", "adam"], ["full_batch", "per_example", "mini_batch"]
    docs = [(f"residual-{seed}", random_residual_doc(seed, nested=seed % 2 == 1, optimizer=opts[seed % 3],
                                                      update=updates[seed % 3], l2=0.02 * (seed % 2)))
            for seed in range(5)]
    doc = random_residual_doc(3, nested=True)  # the outer block reads the input itself
    h = len(doc["weights"][0])
    docs.append(("residual-on-the-input", doc | {
        "layers": [{"units": h}] + doc["layers"][2:], "weights": doc["weights"][1:],
        "data": doc["data"] | {"inputs": np.random.default_rng(3).normal(size=(3, h)).tolist()}}))
    programs_in_turns(tmp_path, docs, epochs=2)


def test_a_block_step_is_checked_and_a_wrong_one_fails(tmp_path):
    """deep_residual's first example: ng checks the block's o (step 7) as a² = a¹ + a⁴ without the 1 on top, and its
    ∂ℓ/∂x (step 27) as dx^[5] + W³ᵀ dz³ from bptui's values; a value of step 27 changed by 1e−3 fails the program
    there, named as ng names it (dx^[2])."""
    spec = load_any(str(NETWORKS / "deep_residual.json"))
    run = codegen.record(spec, 1, 29)
    assert [(run.keys[i].quantity, run.keys[i].layer) for i in (6, 21, 24, 26)] == [("o", 2), ("dx", 5), ("delta", 3),
                                                                                   ("dx", 2)]
    text, _ = codegen.program(spec, "numpy", run, None, PROFILES["ng"])
    expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
    o1, o4 = np.asarray(run.values[1]), np.asarray(run.values[5])
    np.testing.assert_allclose(expected[6][0], o1[1:] + o4[1:])
    W3 = np.asarray(spec.weights[2])  # the file's W⁽³⁾, the bias in column 0
    dx5, delta3 = np.asarray(run.values[21]), np.asarray(run.values[24])
    np.testing.assert_allclose(expected[26][0], dx5 + W3[:, 1:].T @ delta3)
    paths = _with_wrong_value(tmp_path, spec, 1, 29, 26, lambda v: v + 1e-3)
    for fmt in FORMATS:
        text, _ = codegen.program(spec, fmt, codegen.record(spec, 1, 29), None, PROFILES["ng"])
        paths[("good", fmt)] = tmp_path / f"good_{fmt}.py"
        paths[("good", fmt)].write_text(text)
    _only_the_wrong_fail(paths, "step 27, dx^[2]", "dx^[2]")

"""`bptui export --format pytorch|numpy --notation P` of residual blocks over sequences and of blocks holding a layer
norm or dropout (a network without time): each layer reads along the block's wires, a block that holds attention
joins over the whole sequence at once (its o and ∂ℓ/∂x one row per τ), a block of dense layers at each τ, PyTorch's
x of each block a tensor of its own; a layer norm's or dropout's own steps read their input along the wires and
send ∂ℓ/∂x to the block. The programs run and check every step against bptui's numbers as the profile shows them.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast
import copy
import json

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import parse
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .conftest import NETWORKS
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import COURSE, FORMATS, SHIPPED, _only_the_wrong_fail, _with_wrong_value
from .test_residual_sequences import random_doc

pytest.importorskip("torch")


def _profiles(tmp_path) -> list:
    return [*(PROFILES[p] for p in SHIPPED), profile_from_json(COURSE, str(tmp_path / "course.json"))]


def _write(tmp_path, docs: list, profiles_of, epochs: int = 2) -> dict:
    """Each (name, doc) in each of its profiles (``profiles_of(i)``), both formats: the programs' paths."""
    paths = {}
    for i, (name, doc) in enumerate(docs):
        spec = parse(doc, f"{name}.json")
        first, last = codegen.steps_of(spec, epochs, None)
        run = codegen.record(spec, first, last)
        for P in profiles_of(i):
            for fmt in FORMATS:
                text, _ = codegen.program(spec, fmt, run, None, P)
                ast.parse(text)
                path = tmp_path / f"{name}_{P.name}_{fmt}.py"
                path.write_text(text)
                paths[(name, P.name, fmt)] = path
    return paths


def _all_pass(paths: dict) -> None:
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok" and "each equal to bptui's value" in said, (key, said)


def _per_step_nested() -> dict:
    """random_doc(12) with its second block [[dense], dense] (blocks of dense layers, one inside the other: both
    join at each τ) and momentum."""
    doc = random_doc(12, optimizer="momentum")
    d = doc["layers"][1]["units"]
    doc["layers"][3] = {"type": "residual", "layers": [{"type": "residual", "layers": [{"units": d, "activation": "tanh"}]},
                                                       {"units": d, "activation": "identity"}]}
    rng = np.random.default_rng(12)
    doc["weights"][2] = [[rng.normal(0, 0.5, size=(d, d + 1)).tolist()], rng.normal(0, 0.5, size=(d, d + 1)).tolist()]
    return doc


def test_residual_blocks_over_sequences_in_every_profile(tmp_path):
    """random_doc(1) (a dense layer per τ, [attention], [dense, dense], [attention], a softmax per τ; no layer norm),
    two epochs, in every shipped profile and a course's file, both formats; and the seeded variants each in one
    profile (they take turns): a block in a block around attention on the input (seed 21, Adam, mini-batches, L2),
    two attention blocks, one causal (seed 45, momentum per example), blocks of dense layers nested at each τ, layer
    norms in a block and after attention (seed 4, in the course's file and nielsen). Each
    program passes, and cs231n's holds the blocks' o as rows (a whole sequence's: one row per τ)."""
    profiles = _profiles(tmp_path)
    docs = [("seq-1", random_doc(1))]
    paths = _write(tmp_path, docs, lambda i: profiles)
    text = paths[("seq-1", "cs231n", "numpy")].read_text()
    assert "h2 = np.vstack(h1[1:T + 1]) + h3  # h² = h¹ + h³" in text  # the whole sequence at once
    assert "h4[t] = h2[t - 1:t] + h6[t]" in text  # at τ, the row τ of the block below
    assert "dx4[t] = dx7[t - 1:t] + dscores5[t] @ W5.T" in text
    assert "x4[t] = h2[t - 1:t].clone()" in paths[("seq-1", "cs231n", "pytorch")].read_text()
    more = [("seq-21", random_doc(21, optimizer="adam", update="mini_batch", mini_batch=2, l2=0.02)),
            ("seq-45", random_doc(45, optimizer="momentum", update="per_example")),
            ("seq-nested", _per_step_nested()),
            ("seq-4", random_doc(4))]  # a layer norm first in a block at τ, one after attention (course: row τ − 1)
    paths.update(_write(tmp_path, more, lambda i: [profiles[(i + 1) % len(profiles)], profiles[(i + 3) % len(profiles)]]))
    _all_pass(paths)


def test_a_block_over_a_sequence_is_checked_and_a_wrong_one_fails(tmp_path):
    """random_doc(1)'s first example in ng: block 2 (around attention) checks its o over the whole sequence as
    a^[1] + a^[3] without the 1, block 4 (dense layers) its ∂ℓ/∂x at τ = 1 as dx^[7] + W⁵ᵀ δ⁵ from bptui's values; a
    value of that step changed by 1e−3 fails the program there, named as ng names it."""
    spec = parse(random_doc(1), "seq1.json")
    run = codegen.record(spec, 1, 60)
    keys = [(k.quantity, k.layer, k.time) for k in run.keys]
    o1, o3, o2 = (keys.index(k) for k in (("o", 1, 1), ("o", 3, None), ("o", 2, None)))
    dx4, dx7, d5 = (keys.index(k) for k in (("dx", 4, 1), ("dx", 7, None), ("delta", 5, 1)))
    text, _ = codegen.program(spec, "numpy", run, None, PROFILES["ng"])
    expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
    np.testing.assert_allclose(expected[o2][0], np.asarray(run.values[o1])[None, 1:] + np.asarray(run.values[o3]))
    W5 = np.asarray(spec.weights[4])  # the file's W⁽⁵⁾, the bias in column 0
    np.testing.assert_allclose(expected[dx4][0], np.asarray(run.values[dx7])[0] + W5[:, 1:].T @ run.values[d5])
    paths = _with_wrong_value(tmp_path, spec, 1, 60, dx4, lambda v: v + 1e-3)
    for fmt in FORMATS:
        text, _ = codegen.program(spec, fmt, codegen.record(spec, 1, 60), None, PROFILES["ng"])
        paths[("good", fmt)] = tmp_path / f"good_{fmt}.py"
        paths[("good", fmt)].write_text(text)
    _only_the_wrong_fail(paths, f"step {dx4 + 1}, dx^[4]", "(τ = 1)")


LN, DROP = {"type": "layernorm"}, {"type": "dropout", "p": 0.3, "seed": 3}


def _blocks_holding(first: list, second: list, optimizer: str = "sgd") -> dict:
    """deep_residual with its blocks' layers ``first`` and ``second`` (tanh layers of 3 units, layer norms,
    dropout), random weights, mini-batches of 2, L2, two epochs."""
    doc = json.loads((NETWORKS / "deep_residual.json").read_text())
    doc.pop("weights", None)
    doc["layers"][2]["layers"], doc["layers"][3]["layers"] = first, second
    doc["training"] = {"learning_rate": 0.1, "update": {"batch_size": 2}, "epochs": 2, "optimizer": optimizer,
                       "l2": 0.01}
    return doc


def test_layer_norm_and_dropout_inside_a_block_in_every_profile(tmp_path):
    """Without time, a layer norm first in a block and dropout between its dense layers (Adam), a block in a block
    starting with a layer norm and a block of dropout alone (momentum), in every profile, both formats: each
    program passes; ng's layer norm reads the block's input and its ∂ℓ/∂x is the block's inner path's part."""
    dense = {"units": 3, "activation": "tanh"}
    docs = [("ln-first", _blocks_holding([copy.deepcopy(LN), dense], [dense, DROP, dense], "adam")),
            ("nested", _blocks_holding([{"type": "residual", "layers": [LN, dense]}, dense], [DROP], "momentum"))]
    profiles = _profiles(tmp_path)
    paths = _write(tmp_path, docs, lambda i: profiles)
    text = paths[("ln-first", "ng", "numpy")].read_text()
    assert "x3 = a1  # x^[3] = a^[1], the layer's input" in text
    assert "dx2 = dx5 + dx3  # dx^[2] = dx^[5] + dx^[3]" in text
    assert "x3 = tap(x2)" in paths[("ln-first", "ng", "pytorch")].read_text()  # the block's x, a tensor of its own
    _all_pass(paths)


def test_a_layer_norm_step_inside_a_block_that_is_wrong_fails(tmp_path):
    """ln-first's first example in ng: the layer norm's ∂ℓ/∂x (block 2's inner path's part) changed by 1e−3 fails
    the program at its step, named dx^[3]; the programs of the right values pass."""
    spec = parse(_blocks_holding([LN, {"units": 3, "activation": "tanh"}], [{"units": 3, "activation": "tanh"}]),
                 "ln.json")
    run = codegen.record(spec, 1, 40)
    k = [(key.quantity, key.layer) for key in run.keys].index(("dx", 3))
    paths = _with_wrong_value(tmp_path, spec, 1, 40, k, lambda v: v + 1e-3)
    for fmt in FORMATS:
        text, _ = codegen.program(spec, fmt, codegen.record(spec, 1, 40), None, PROFILES["ng"])
        paths[("good", fmt)] = tmp_path / f"good_{fmt}.py"
        paths[("good", fmt)].write_text(text)
    _only_the_wrong_fail(paths, f"step {k + 1}, dx^[3]", "dx^[3]")


def test_tiny_transformer_in_every_profile_across_an_adam_update(tmp_path, capsys):
    """tiny_transformer (residual[layernorm, attention], residual[layernorm, dense], a softmax per τ; Adam) from the
    middle of its first group, across its first update (step 1111) into the next group, in every shipped profile and
    a course's file, both formats: each program passes."""
    from .test_codegen_notation import _export

    course = tmp_path / "course.json"
    course.write_text(json.dumps(COURSE))
    paths = {}
    for profile in [*SHIPPED, str(course)]:
        for fmt in FORMATS:
            out = tmp_path / f"tiny_{profile.replace('/', '_')}_{fmt}.py"
            code, err = _export(capsys, NETWORKS / "tiny_transformer.json", fmt, out, "--notation", profile,
                                "--steps", "1000:1300")
            assert code == 0, err
            paths[(profile, fmt)] = out
    _all_pass(paths)

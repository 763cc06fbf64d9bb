"""`bptui export --format pytorch|numpy --notation P` of networks over time with layer norm and dropout at each τ
(issue 23): the program holds the layer's own quantities τ by τ (x2[t], u2[t], m3[t], dx2[t]: lists, as the
profile's z1[t]), γ and β as the profile holds W and b, dropout with bptui's mask of row τ, its rules as the
panels print them; every step at τ is checked against bptui's value as the profile shows it, named with its τ.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import numpy as np
import pytest

from bptui import codegen
from bptui.core.formats.spec import parse
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .test_codegen import _the_runner_ends_well, gated, run_programs  # noqa: F401 (the child ends with the session)
from .test_codegen_notation import COURSE, FORMATS, SHIPPED, _only_the_wrong_fail, _with_wrong_value

pytest.importorskip("torch")

SHAPES = ("after_rnn", "between_rnns", "below_rnn", "after_many_to_one")


def _docs() -> list[tuple[str, dict]]:
    """test_dropout_sequences' seeded networks (a layer norm and a dropout after an rnn, between two, below one
    after a dense layer at each τ, above a many-to-one rnn, once; a dropout first at random), each with its own
    optimizer, L2 and update mode; two made LSTMs and GRUs (γ and β then the file's init: 1 and 0)."""
    from .test_dropout_sequences import with_dropout

    opts, updates = ("adam", "momentum", "sgd"), ({"batch_size": 2}, "per_example", "full_batch")
    out = []
    for i, shape in enumerate(SHAPES):
        doc = with_dropout(i, shape, optimizer=opts[i % 3], update=updates[i % 3], l2=0.05 * (i % 2))
        out.append((f"rnn-{shape}", doc))
    out.append(("lstm-between_rnns", gated(out[1][1], "lstm")))
    out.append(("gru-below_rnn", gated(out[2][1], "gru")))
    return out


# each profile's lines of rnn-between_rnns (rnn → layernorm → dropout → rnn → dense, every layer at each τ), as its
# NumPy program must write them: the layer norm's and dropout's quantities held τ by τ, their rules as the panels
# print them at each τ (`bptui trace --notation`: a^[2] = γ^[2] ⊙ u^[2] + β^[2], without τ), checks named with τ
SEQ_NAMES = {
    "ng": ["a2, x2, dx2, mu2, var2, u2, du2 = ([None] * (T + 2) for _ in range(7))  # layer 2 at τ = 1 … T",
           "x2[t] = a1[t]  # x^[2] = a^[1]_τ, the layer's input",
           "u2[t] = (x2[t] - mu2[t]) / (var2[t] + 0.1) ** 0.5  # u^[2] = (x^[2] − μ^[2])/√(σ²^[2] + ε), ε = 0.1",
           "check(u2[t], 'u^[2]' f\" (τ = {t})\")",
           "a2[t] = gamma2[:, 0] * u2[t] + beta2  # a^[2] = γ^[2] ⊙ u^[2] + β^[2]",
           "m3[t] = mask(38, e, n + 1, (3,), 0.25, t, T)  # m^[3]: bptui's mask of example n + 1 in epoch e, "
           "default_rng([38, e, n + 1]).random((T, 3))[t - 1] ≥ p",
           "a3[t] = m3[t] * x3[t] / (1 - 0.25)  # a^[3] = (m^[3] ⊙ x^[3])/(1 − p)",
           "z4[t] = W4 @ a3[t] + U4 @ a4[t - 1] + b4",
           "dx3[t] = m3[t] * da3 / (1 - 0.25)  # dx^[3] = (m^[3] da^[3])/(1 − p)",
           "da2 = dx3[t]  # da^[2] = dx^[3]", "du2[t] = gamma2[:, 0] * da2  # du^[2] = γ^[2] da^[2]",
           "dgamma2 += (da2 * u2[t])[:, None] / m  # dγ^[2] ← dγ^[2] + (da^[2] u^[2])/|B|",
           "check((dgamma2, dbeta2), \"dγ^[2], dβ^[2] (so far, the group's mean)\" f\" (τ = {t})\")",
           "dz1[t] = (dx2[t] + (U1.T @ dz1[t + 1] if t < T else 0))"],
    "cs231n": ["h2[t] = gamma2 * u2[t] + beta2  # h² = γ² ⊙ u² + β²", "dbeta2 += np.sum(dh2, axis=0) / m",
               "dgamma2 += dh2 * u2[t] / m  # dγ² ← dγ² + (dh² u²)/|B|"],
    "course": ["x2[t] = v1[t]  # x⁽²⁾ = v⁽¹⁾_τ, the layer's input",
               "v2[t] = np.concatenate([[1.0], M2[:, 1] * u2[t] + M2[:, 0]])  # v⁽²⁾ = [1, γ⁽²⁾ ⊙ u⁽²⁾ + β⁽²⁾]",
               "x3[t] = v2[t][1:]  # x⁽³⁾ = v⁽²⁾ without its 1", "D2[:, 1] += dE_dv2 * u2[t] / m"]}


def _program(tmp_path, name: str, spec, fmt: str, P, run) -> object:
    text, _ = codegen.program(spec, fmt, run, None, P)
    path = tmp_path / f"{name}_{P.name}_{fmt}.py"
    path.write_text(text)
    return path


def test_random_networks_over_time_in_every_profile_write_programs_that_pass(tmp_path):
    """Each seeded network (rnn, LSTM, GRU; layer norm and dropout at each τ and once; dense layers at each τ
    below and above) in every shipped profile and a course's file, both formats, over its first epoch (its
    updates, the optimizer's state after them), and over two in one profile (they take turns); each passes."""
    profiles = [*(PROFILES[p] for p in SHIPPED), profile_from_json(COURSE, str(tmp_path / "course.json"))]
    paths = {}
    for i, (name, doc) in enumerate(_docs()):
        spec = parse(doc, f"{name}.json")
        runs = {epochs: codegen.record(spec, *codegen.steps_of(spec, epochs, None)) for epochs in (1, 2)}
        for j, P in enumerate(profiles):
            run = runs[2 if j == i % len(profiles) else 1]
            for fmt in FORMATS:
                paths[(name, P.name, fmt)] = _program(tmp_path, name, spec, fmt, P, run)
                if name == "rnn-between_rnns" and fmt == "numpy":
                    text = paths[(name, P.name, fmt)].read_text()
                    for line in SEQ_NAMES.get(P.name, ()):
                        assert line in text, (P.name, line)
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok" and "each equal to bptui's value" in said, (key, said)


def test_a_wrong_value_at_a_time_step_fails_at_its_step(tmp_path):
    """rnn-between_rnns' first 140 steps with a 1e−3 change to the layer norm's ∂ℓ/∂x⁽²⁾ at τ = 2 of example 3
    (step 124: ng's dx^[2]) or to γ's gradient there (step 125, cs231n's dγ² as the group's mean, shown 1 × d):
    each format's program fails at that step, named as the profile names it, with its τ; the same programs
    without the change pass."""
    spec = parse(dict(_docs())["rnn-between_rnns"], "between.json")
    run = codegen.record(spec, 1, 140)
    assert [(k.quantity, k.layer, k.time, k.step) for k in run.keys[123:125]] == [("dx", 2, 2, 124), ("G", 2, 2, 125)]
    paths = _with_wrong_value(tmp_path, spec, 1, 140, 123, lambda v: v + np.r_[1e-3, np.zeros(len(v) - 1)])
    for fmt in FORMATS:
        paths[("good", fmt)] = _program(tmp_path, "between", spec, fmt, PROFILES["ng"], run)
    _only_the_wrong_fail(paths, "step 124, dx^[2]", "(τ = 2)")  # PyTorch's: dx^[2] (x2[t].grad) (τ = 2)
    bad = codegen.record(spec, 1, 140)
    G = np.array(bad.values[124], dtype=float)  # [G_β │ G_γ]: γ's column 1
    G[0, 1] += 1e-3
    bad.values[124] = G
    wrong = {fmt: _program(tmp_path, "between_bad_gamma", spec, fmt, PROFILES["cs231n"], bad) for fmt in FORMATS}
    results = run_programs(list(wrong.values()))
    for fmt, path in wrong.items():
        status, said = results[str(path)]
        assert status == "AssertionError" and "step 125, dγ², dβ² (so far, the group's mean) (τ = 2)" in said, (fmt, said)


def test_dropout_over_time_is_exported_in_a_profile(tmp_path, capsys):
    """What was refused in one line: test_codegen's first seeded rnn network with a dropout at each τ below its
    output layer, exported by `bptui export --notation ng` in both formats: exit 0, no error, and each program
    passes."""
    import json

    from .test_codegen import _sequence_variants
    from .test_codegen_notation import _export

    name, doc = next((n, d) for n, d in _sequence_variants() if n.startswith("rnn-"))
    layers = list(doc["layers"])
    layers.insert(len(layers) - 1, {"type": "dropout", "p": 0.25, "seed": 1})
    doc = {**doc, "layers": layers, "weights": [*doc["weights"][:-1], None, doc["weights"][-1]]}
    src = tmp_path / "rnn_dropout.json"
    src.write_text(json.dumps(doc))
    paths = []
    for fmt in FORMATS:
        out = tmp_path / f"rnn_dropout_{fmt}.py"
        code, err = _export(capsys, src, fmt, out, "--notation", "ng")
        assert code == 0 and err == "", err
        paths.append(out)
    results = run_programs(paths)
    for path in paths:
        status, said = results[str(path)]
        assert status == "ok" and "each equal to bptui's value" in said, (path.name, said)

"""`bptui export --format pytorch|numpy` in a notation profile: the program is written in the profile's names
and layout (ng's dz1, dW1, db1; nielsen's w2, delta2; cs231n's rows x @ W1 + b1; a mean profile's dW as the
group's mean), runs, and checks every step against bptui's numbers as the profile shows them.

The programs run in test_codegen's one child process (torch imported once)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from bptui import codegen
from bptui.cli import main
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.profiles import PROFILES, profile_from_json

from .conftest import NETWORKS
from .helpers import random_spec
from .test_codegen import _the_runner_ends_well, run_programs  # noqa: F401 (the child ends with the session)

pytest.importorskip("torch")

FORMATS = ("pytorch", "numpy")
SHIPPED = [p for p in PROFILES if p != "lecture13"]
# a course's own profile: the bias in column 0 of W (its o with the 1 on top), a mean gradient, its own letters
COURSE = {"kind": "notation", "name": "course", "symbols": {
    "pre_activation": {"text": "u", "latex": "u"}, "activation": {"text": "v", "latex": "v"},
    "delta": {"text": "e", "latex": "e"}, "gradient": {"text": "D", "latex": "D"},
    "weights": {"text": "M", "latex": "M"}, "bias": {"text": "c", "latex": "c"},
    "loss": {"text": "E", "latex": "E"}, "learning_rate": {"text": "r", "latex": "r"}},
    "bias": "column0", "vectors": "column", "layer_index": "paren", "unit_base": 1, "gradient": "mean"}
# each profile's own names, as the program must write them (the layer numbers its own: nielsen's input is a1)
NAMES = {"ng": ["z1 = W1 @ a0 + b1", "dz2 =", "dW2 +=", "db2 +=", "L_n ="],
         "nielsen": ["z2 = w2 @ a1 + b2", "delta3 =", "w3", "dC_dw3", "dC_db3"],
         "goodfellow": ["a1 = W1 @ h0 + b1", "g2 =", "dJ_dW2", "h1 ="],
         "cs231n": ["scores1 = h0 @ W1 + b1", "h0.T @ dscores1", "db1 +=", "dh1 = dscores2 @ W2.T"],
         "course": ["u1 = M1 @ v0", "e2 =", "D2 +="]}


def _random_doc(seed: int, optimizer: str) -> dict:
    spec = random_spec([3, 4, 3, 3], hidden="tanh", output="softmax", loss="cross_entropy", update="full_batch",
                       n=5, seed=seed, l2=0.02)
    doc = dict(spec.raw)
    doc["training"] = {**doc["training"], "optimizer": optimizer, "update": {"batch_size": 2}, "epochs": 2}
    return doc


def programs_in_turns(tmp_path: Path, docs: list[tuple[str, dict]], epochs: int = 1) -> None:
    """Each network file ``docs`` (name, document) in one profile (the shipped ones and a course file take turns),
    both formats, over ``epochs`` epochs: each program runs in test_codegen's child and passes."""
    profiles = [*(PROFILES[p] for p in SHIPPED), profile_from_json(COURSE, str(tmp_path / "course.json"))]
    paths = {}
    for i, (name, doc) in enumerate(docs):
        spec = parse(doc, f"{name}.json")
        P = profiles[i % len(profiles)]
        run = codegen.record(spec, *codegen.steps_of(spec, epochs, None))
        for fmt in FORMATS:
            text, _ = codegen.program(spec, fmt, run, None, P)
            path = tmp_path / f"{name}_{P.name}_{fmt}.py"
            path.write_text(text)
            paths[(name, P.name, fmt)] = path
    assert len({p for _, p, _ in paths}) == min(len(profiles), len(docs))
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)


def _export(capsys, src: Path | str, fmt: str, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["export", str(src), "--format", fmt, "--output", str(out), *extra])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("course") / "course.json"
    path.write_text(json.dumps(COURSE))
    return path



def _programs(capsys, tmp_path, course, nets: dict, names: dict, shown: str) -> dict:
    """Each network of ``nets`` (name: (file, export options)) exported in every shipped profile and the course's
    file, both formats: the programs' paths by (profile, name, format). Each parses, its header names its
    notation, and the NumPy program of network ``shown`` writes each line of ``names[profile]``."""
    paths = {}
    for profile in [*SHIPPED, str(course)]:
        pname = Path(profile).stem
        for name, (src, extra) in nets.items():
            for fmt in FORMATS:
                out = tmp_path / f"{pname}_{name}_{fmt}.py"
                code, err = _export(capsys, src, fmt, out, "--notation", profile, *extra)
                assert code == 0, err
                text = out.read_text()
                ast.parse(text)
                assert f"notation {pname}" in text.split('"""')[1]  # the header names it
                if name == shown and fmt == "numpy":
                    for line in names[pname]:
                        assert line in text, (pname, line)
                paths[(pname, name, fmt)] = out
    return paths


def _with_wrong_value(tmp_path, spec, first: int, last: int, k: int, wrong) -> dict:
    """Both formats' ng programs of steps ``first`` … ``last`` with the ``k``-th recorded value changed by
    ``wrong(value)``: their paths by ("bad", format)."""
    paths = {}
    for fmt in FORMATS:
        bad = codegen.record(spec, first, last)
        bad.values[k] = wrong(np.asarray(bad.values[k]))
        text, _ = codegen.program(spec, fmt, bad, None, PROFILES["ng"])
        paths[("bad", fmt)] = tmp_path / f"bad_{fmt}.py"
        paths[("bad", fmt)].write_text(text)
    return paths


def _only_the_wrong_fail(paths: dict, failure: str, at: str) -> None:
    """Every program passes but the wrong ones, which fail naming ``failure`` and ``at``."""
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        if key[0] == "bad":
            assert status == "AssertionError" and failure in said and at in said, said
        else:
            assert status == "ok", (key, said)

def test_every_profile_writes_programs_that_pass(tmp_path, capsys, course):
    """Each shipped profile and a course's file, both formats: xor's epoch, moons and iris across updates and
    from a state after one (momentum, Adam), regression's per-example updates, random 3-4-3-3 softmax networks
    with L2 (Adam and momentum, 2 epochs of mini-batches); each program passes."""
    nets: dict[str, tuple[Path, tuple[str, ...]]] = {
        "xor": (NETWORKS / "xor.json", ()),
        "moons": (NETWORKS / "moons.json", ("--steps", "170:200")),  # across its first momentum update
        "moons_later": (NETWORKS / "moons.json", ("--steps", "200:380")),  # from the middle of a group, v ≠ 0
        "iris": (NETWORKS / "iris.json", ("--steps", "150:330")),  # Adam from its state after an update
        "regression": (NETWORKS / "regression.json", ("--steps", "1:60"))}  # half_squared, identity, per example
    for opt in ("adam", "momentum"):
        path = tmp_path / f"random_{opt}.json"
        path.write_text(json.dumps(_random_doc(3, opt)))
        nets[f"random_{opt}"] = (path, ("--epochs", "2"))
    paths = _programs(capsys, tmp_path, course, nets, NAMES, "xor")
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)
        assert "each equal to bptui's value" in said


def test_a_mean_profile_checks_the_mean_and_a_sum_profile_the_sum(tmp_path, capsys):
    """xor's first dW⁽²⁾ (step 7) after one example of the group of 4: ng checks (δ o₁ᵀ)/4, goodfellow the sum;
    nielsen's input is a¹, so its layers are numbered from 2."""
    spec = load_any(str(NETWORKS / "xor.json"))
    run = codegen.record(spec, 1, 38)
    delta2, o1 = np.asarray(run.values[5]), np.asarray(run.values[1])
    for name, m in (("ng", 4), ("goodfellow", 1)):
        text, _ = codegen.program(spec, "numpy", run, None, PROFILES[name])
        expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
        dW, db = (np.asarray(a) for a in expected[6])
        np.testing.assert_allclose(dW, np.outer(delta2, o1[1:]) / m)
        np.testing.assert_allclose(db, delta2 / m)
    text, _ = codegen.program(spec, "numpy", run, None, PROFILES["cs231n"])
    expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
    np.testing.assert_allclose(expected[0][0], [[0.1, -0.2]])  # scores¹ is a row, 1 × 2
    np.testing.assert_allclose(expected[6][0], np.outer(o1[1:], delta2) / 4)  # dW² is D × C: h¹ᵀ dscores²


def test_a_wrong_value_fails_the_program(tmp_path):
    """A reference value changed by 1e−3 makes each profile's program stop at that step, naming it as the profile
    does (the checks can fail)."""
    spec = load_any(str(NETWORKS / "xor.json"))
    paths = {}
    for name in SHIPPED:
        for fmt in FORMATS:
            run = codegen.record(spec, 1, 38)
            run.values[15] = np.asarray(run.values[15]) + 1e-3  # step 16: G⁽²⁾ after the second example
            text, _ = codegen.program(spec, fmt, run, None, PROFILES[name])
            path = tmp_path / f"{name}_{fmt}.py"
            path.write_text(text)
            paths[(name, fmt)] = path
    results = run_programs(list(paths.values()))
    grads = {"ng": "dW^[2]", "nielsen": "∂C/∂w³", "goodfellow": "∇_W⁽²⁾ J", "cs231n": "dW²"}
    for (name, fmt), path in paths.items():
        status, said = results[str(path)]
        assert status == "AssertionError", (name, fmt, status, said)
        assert "step 16" in said and grads[name] in said, (name, fmt, said)


def test_the_file_notation_is_followed_and_the_option_wins(tmp_path, capsys):
    doc = json.loads((NETWORKS / "xor.json").read_text()) | {"notation": "ng"}
    src = tmp_path / "xor_ng.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "p.py"
    assert _export(capsys, src, "numpy", out) == (0, "")
    assert "notation ng" in out.read_text() and "dz2 =" in out.read_text()
    assert _export(capsys, src, "numpy", out, "--notation", "cs231n", "--force") == (0, "")
    assert "notation cs231n" in out.read_text() and "dscores2 =" in out.read_text()
    assert _export(capsys, src, "numpy", out, "--notation", "lecture13", "--force") == (0, "")
    lecture = out.read_text()
    src.write_text(json.dumps({k: v for k, v in doc.items() if k != "notation"}))
    assert _export(capsys, src, "numpy", out, "--force") == (0, "")
    assert out.read_text() == lecture  # lecture13 is the program it always was


def test_every_kind_is_written_in_a_profile_now(tmp_path, capsys):
    """tiny_transformer (the last network refused: residual blocks over sequences, a layer norm at each τ) is
    written in ng, both formats (test_codegen_notation_blocks runs such programs)."""
    out = tmp_path / "p.py"
    for fmt in FORMATS:
        code, err = _export(capsys, NETWORKS / "tiny_transformer.json", fmt, out, "--notation", "ng", "--force")
        assert (code, err) == (0, "") and "notation ng" in out.read_text().split('"""')[1]


# a recurrent network's names at τ, as each profile writes them (cs231n's rows h_prev @ U, nielsen's layers from 2)
RNN_NAMES = {"ng": ["z1[t] = W1 @ a0[t] + U1 @ a1[t - 1] + b1", "dU1 +=", "db1 +=", "dz1[t] = (", "z2 = W2 @ a1[T] + b2"],
             "nielsen": ["z2[t] = w2 @ a1[t] + U2 @ a2[t - 1] + b2", "dC_dU2 +=", "delta2[t] ="],
             "goodfellow": ["a1[t] = W1 @ h0[t] + U1 @ h1[t - 1] + b1", "dJ_dU1 +=", "g1[t] ="],
             "cs231n": ["scores1[t] = h0[t] @ W1 + h1[t - 1] @ U1 + b1", "dU1 += h1[t - 1].T @ dscores1[t]",
                        "dscores1[t + 1] @ U1.T", "scores2 = h1[T] @ W2 + b2"],
             "course": ["u1[t] = M1 @ v0[t] + U1 @ v1[t - 1]", "D1 += np.outer(e1[t], v0[t])"]}


def test_rnn_networks_in_every_profile_write_programs_that_pass(tmp_path, capsys, course):
    """Each shipped profile and a course's file, both formats, rnn networks: parity (rnn → dense, Adam) across its
    update, stacked_parity (rnn → rnn → dense) from its start and across its update, long_memory (plain gradient
    descent) across its update; each program passes and writes the profile's names (W, U, b and their gradients)."""
    nets = {"parity": ("parity", "505:540"), "stacked": ("stacked_parity", "1:40"),
            "stacked_update": ("stacked_parity", "890:925"), "long_memory": ("long_memory", "1995:2012")}
    paths = _programs(capsys, tmp_path, course, {name: (NETWORKS / f"{net}.json", ("--steps", steps))
                                                 for name, (net, steps) in nets.items()}, RNN_NAMES, "parity")
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        status, said = results[str(path)]
        assert status == "ok", (key, said)
        assert "each equal to bptui's value" in said


def test_an_rnn_gradient_in_a_mean_profile_is_each_part_over_m(tmp_path):
    """parity's first G⁽¹⁾ step (11: τ = T = 2 of example 1, m = 28): ng checks dW = δ₂ x₂ᵀ/28, dU = δ₂ a₁ᵀ/28 and
    db = δ₂/28, from bptui's δ (step 10) and o₁ (step 2); cs231n the same transposed (D × H, H × H), goodfellow the
    sums; a wrong dU fails the program at that step, naming it as the profile does."""
    spec = load_any(str(NETWORKS / "parity.json"))
    run = codegen.record(spec, 1, 13)
    delta, o1, x2 = np.asarray(run.values[9]), np.asarray(run.values[1]), np.asarray(spec.x_of(0))[1]
    for name, m, turn in (("ng", 28, False), ("goodfellow", 1, False), ("cs231n", 28, True)):
        text, _ = codegen.program(spec, "numpy", run, None, PROFILES[name])
        expected = ast.literal_eval(text.split("EXPECTED = ")[1].split("\n")[0])
        dW, dU, db = (np.asarray(a) for a in expected[10])
        want_W, want_U = np.outer(delta, x2) / m, np.outer(delta, o1) / m
        np.testing.assert_allclose(dW, want_W.T if turn else want_W)
        np.testing.assert_allclose(dU, want_U.T if turn else want_U)
        np.testing.assert_allclose(db, delta / m)
    paths = {}
    for name in ("ng", "cs231n"):
        for fmt in FORMATS:
            bad = codegen.record(spec, 1, 13)
            bad.values[10] = np.asarray(bad.values[10]) + 1e-3
            text, _ = codegen.program(spec, fmt, bad, None, PROFILES[name])
            paths[(name, fmt)] = tmp_path / f"bad_{name}_{fmt}.py"
            paths[(name, fmt)].write_text(text)
    results = run_programs(list(paths.values()))
    for (name, fmt), path in paths.items():
        status, said = results[str(path)]
        assert status == "AssertionError" and "step 11" in said and {"ng": "dU^[1]", "cs231n": "dU¹"}[name] in said, said


@pytest.mark.parametrize("kinds", [("rnn-", "stack-"), ("lstm-",), ("gru-",)])
def test_random_recurrent_networks_in_a_profile(tmp_path, kinds):
    """test_codegen's seeded rnn networks (many-to-one and return_sequences, an output at each τ, dense layers at
    each τ below and above, stacked, every optimizer, L2, the update modes, shuffled), and those made LSTMs and GRUs, each in
    one profile (they take turns) and both formats: each program passes."""
    from .test_codegen import _sequence_variants

    programs_in_turns(tmp_path, [(name, doc) for name, doc in _sequence_variants() if name.startswith(kinds)])


def test_random_dense_networks_of_every_activation_loss_and_optimizer(tmp_path):
    """test_codegen's seeded dense networks (every activation, loss and output, sgd/momentum/adam, L2, full batch
    and per example), each in one profile (they take turns) and both formats: each program passes."""
    from .test_codegen import _doc_variants

    programs_in_turns(tmp_path, [v for v in _doc_variants() if v[0].startswith("dense-")])


def test_values_past_the_inline_limit_go_beside_the_program(tmp_path, monkeypatch):
    """Past INLINE_LIMIT the profile's values (each step's parts) are in PROGRAM-expected.npz, and the program
    reads and passes them; an example's part (--example) starts from bptui's state there."""
    monkeypatch.setattr(codegen.common, "INLINE_LIMIT", 1000)
    spec = load_any(str(NETWORKS / "moons.json"))
    paths = []
    for name, fmt in (("cs231n", "numpy"), ("ng", "pytorch")):
        out = tmp_path / f"{name}_{fmt}.py"
        codegen.write(spec, fmt, 200, 240, str(out), notation=PROFILES[name])
        assert out.with_name(f"{name}_{fmt}-expected.npz").exists() and "np.load(" in out.read_text()
        paths.append(out)
    results = run_programs(paths)
    for path in paths:
        assert results[str(path)][0] == "ok", results[str(path)]


LSTM_NAMES = {"ng": ["gates1[t] = np.concatenate([1 / (1 + np.exp(-z1[t][..., :8]))", "c1[t] = gates1[t][..., 4:8] * c1[t - 1]",
                     "h1[t] = gates1[t][..., 12:16] * np.tanh(c1[t])", "dh1[t] = (W2.T @ dz2 if t == T", "dc1[t] =", "dU1 +="],
              "nielsen": ["dC_dh2[t] =", "dC_dc2[t] =", "delta2[t] = np.concatenate("],
              "goodfellow": ["a1[t] = W1 @ h0[t] + U1 @ h1[t - 1] + b1", "dJ_dc1[t] ="],
              "cs231n": ["scores1[t] = h0[t] @ W1 + h1[t - 1] @ U1 + b1", "dh1[t] = (dscores2 @ W2.T if t == T",
                         "dscores1[t + 1] @ U1.T"],
              "course": ["u1[t] = M1 @ v0[t] + U1 @ h1[t - 1]", "c_1[t] ="]}  # its bias is c1: c_1; an LSTM's output is h (its h¹_τ)


def test_lstm_networks_in_every_profile_write_programs_that_pass(tmp_path, capsys, course):
    """long_memory_lstm (T = 30, Adam) in each shipped profile and a course's file, both formats: its first example
    into the backward pass through time, and across its update; each program passes and writes the profile's names
    (the gates, c, ∂/∂h and ∂/∂c at τ beside W, U, b); a wrong ∂ℓ/∂c fails the program at that step."""
    nets = {"start": "1:140", "update": "3905:3935"}
    paths = _programs(capsys, tmp_path, course, {name: (NETWORKS / "long_memory_lstm.json", ("--steps", steps))
                                                 for name, steps in nets.items()}, LSTM_NAMES, "start")
    spec = load_any(str(NETWORKS / "long_memory_lstm.json"))
    # step 127: ∂ℓ/∂c at τ = T of example 1 (after its 4·30 + 2 forward steps, ℓ, δ⁽²⁾, G⁽²⁾, ∂ℓ/∂h)
    key = codegen.record(spec, 120, 130).keys[7]
    assert key.quantity == "dc" and key.step == 127
    paths |= _with_wrong_value(tmp_path, spec, 120, 130, 7, lambda v: v + 1e-3)
    _only_the_wrong_fail(paths, "step 127, dc^[1]_τ", "(τ = 30)")


GRU_NAMES = {"ng": ["z1[t] = np.concatenate([W1 @ a0[t] + b1, U1 @ h1[t - 1] + bh1])",
                    "h1[t] = (1 - gates1[t][..., 4:8]) * gates1[t][..., 8:12] + gates1[t][..., 4:8] * h1[t - 1]",
                    "dh1[t] = (W2.T @ dz2 if t == T", "dU1 += np.outer(np.concatenate([dz1[t][..., :8], gates1[t][..., :4] * dz1[t][..., 8:]], -1), h1[t - 1])",
                    "dbh1 +="],
             "nielsen": ["dC_dh2[t] =", "delta2[t] = np.concatenate(", "dC_dU2 +="],
             "goodfellow": ["a1[t] = np.concatenate([W1 @ h0[t] + b1, U1 @ h1[t - 1] + bh1])", "dJ_dh1[t] ="],
             "cs231n": ["scores1[t] = np.concatenate([h0[t] @ W1 + b1, h1[t - 1] @ U1 + bh1], -1)",
                        "dh1[t] = (dscores2 @ W2.T if t == T", "-1) @ U1.T + gates1[t + 1][..., 4:8] * dh1[t + 1] if t < T"],
             "course": ["u1[t] = np.concatenate([M1 @ v0[t], U1 @ np.concatenate([[1.0], h1[t - 1]])])",
                        "dE_dU1 += np.outer(", "np.concatenate([[1.0], h1[t - 1]])) / m"]}  # ∂J/∂h⁽¹⁾_τ: dJ_dh1


def test_gru_networks_in_every_profile_write_programs_that_pass(tmp_path, capsys, course):
    """gru_parity (T = 2 … 4, Adam) in each shipped profile and a course's file, both formats: its first examples
    (forward, ∂ℓ/∂h and δ through time, W, U, b and b_h's gradients), and across its update (steps 717, 718); each
    program passes and writes the profile's names (the gates, ∂/∂h at τ, U's gradient from δʰ = [δ_r, δ_z, r ⊙ δ_n]);
    a wrong δ fails the program at that step."""
    nets = {"start": "1:80", "update": "690:760"}
    paths = _programs(capsys, tmp_path, course, {name: (NETWORKS / "gru_parity.json", ("--steps", steps))
                                                 for name, steps in nets.items()}, GRU_NAMES, "start")
    spec = load_any(str(NETWORKS / "gru_parity.json"))
    # step 13: δ⁽¹⁾ at τ = T = 2 of example 1 (after 3·2 forward steps, s, o and ℓ, δ⁽²⁾, G⁽²⁾, ∂ℓ/∂h)
    key = codegen.record(spec, 1, 20).keys[12]
    assert key.quantity == "delta" and key.step == 13 and key.time == 2
    paths |= _with_wrong_value(tmp_path, spec, 1, 20, 12, lambda v: v + np.r_[1e-3, np.zeros(11)])  # δ_r of unit 1 only
    _only_the_wrong_fail(paths, "step 13, dz^[1]_τ", "(τ = 2)")

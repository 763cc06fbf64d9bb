"""`bptui export --format pytorch|numpy`: the programs run and pass, really assert, resume, and carry no code
from the input file.

The generated programs run in one child process per test process (the venv's python; torch is imported
once, not once per test: about 1.7 s of CPU each time), each with runpy, so that the tests' CPU stays
small (measured in the report of the change)."""

from __future__ import annotations

import ast
import json
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bptui import codegen
from bptui.cli import main
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any, parse
from bptui.core.graphs.graph_ops import OPS

from .conftest import ALL_EXAMPLES, NETWORKS
from .helpers import (STACK_SHAPES, random_conv_doc, random_residual_doc, random_rnn_doc, random_spec,
                      random_stack_doc)
from .test_attention_reference import random_attention_doc
from .test_residual_sequences import random_doc as sequence_residual_doc
from .test_unitwise import random_doc as unitwise_doc

pytest.importorskip("torch")

FORMATS = ("pytorch", "numpy")
# the big bundled networks: a few steps across an update (their whole epoch is thousands of steps)
PARTS = {"moons": "1:40", "iris": "15:160", "shapes": "140:190", "edges": "60:130", "long_memory": "200:420",
         "long_memory_lstm": "300:700", "parity": "1:200", "stacked_parity": "100:400", "gru_parity": "150:400",
         "count_tokens": "11830:11900", "moons_layernorm": "300:500"}
# tiny_transformer runs its whole epoch (22,300 steps, about 20 s per format): Adam divides each G by its
# own size, so a key bias's G that were rounding noise in bptui or the program would drift apart by then;
# the tests that change a value in a program's literal take a part of it (its first update: steps 711 … 713)
SHORT = {**PARTS, "tiny_transformer": "680:800"}

RUNNER = r"""
import json, runpy, sys, io, contextlib
for line in sys.stdin:  # a JSON list of programs' paths a line; their outcomes, a JSON line each
    out = {}
    for path in json.loads(line):
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                runpy.run_path(path, run_name="__main__")
            out[path] = ["ok", buf.getvalue()]
        except SystemExit as e:
            out[path] = ["exit", str(e)]
        except BaseException as e:
            out[path] = [type(e).__name__, str(e)[:2000]]
    print(json.dumps(out), flush=True)
"""
WAIT = 1200  # seconds a batch of programs may run before the test calls it hung: a guard, not a timing test
# (the slowest batch, every bundled network's programs with tiny_transformer's whole epoch in both formats,
# is under a minute of CPU; beside five other engineers' runs at a load of 16 it took 150 s of wall clock)
_runner: dict[str, tuple[subprocess.Popen, Any]] = {}  # the child that runs the programs and its stderr file


def run_programs(paths: list[Path]) -> dict[str, list[str]]:
    """Each program's outcome: ["ok", what it printed], or the exception's name and text. The programs of
    every test of this process run in one child, one after the other, as those of one test always did."""
    if "child" not in _runner or _runner["child"][0].poll() is not None:
        err = tempfile.TemporaryFile()
        _runner["child"] = subprocess.Popen([sys.executable, "-c", RUNNER], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=err, text=True), err
    proc, err = _runner["child"]
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(list(map(str, paths))) + "\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], WAIT)
    line = proc.stdout.readline() if ready else ""
    if not line:  # hung, or ended: what it said on stderr
        proc.kill()
        proc.wait()
        del _runner["child"]
        err.seek(0)
        raise AssertionError(f"the programs' runner {'ended' if ready else 'hung'}: {err.read().decode(errors='replace')}")
    return json.loads(line)


@pytest.fixture(scope="session", autouse=True)
def _the_runner_ends_well():
    """The child ends with its test process (not with each stretch of this module's tests that pytest-xdist
    gives the process, which would start it again), with status 0."""
    yield
    if "child" in _runner:
        proc, err = _runner.pop("child")
        proc.stdin.close()
        code = proc.wait(timeout=WAIT)
        err.seek(0)
        assert code == 0, err.read().decode(errors="replace")


def export(capsys, src: Path | str, fmt: str, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["export", str(src), "--format", fmt, "--output", str(out), *extra])
    return code, capsys.readouterr().err


def test_bundled_networks_run_and_pass(tmp_path, capsys):
    """Every bundled network (one epoch, or a part across an update for the big ones), both formats."""
    paths = {}
    for name in ALL_EXAMPLES:
        for fmt in FORMATS:
            out = tmp_path / f"{name}_{fmt}.py"
            extra = ("--steps", PARTS[name]) if name in PARTS else ()
            code, err = export(capsys, NETWORKS / f"{name}.json", fmt, out, *extra)
            if code == 2 and err.endswith("cannot be exported as a program yet\n"):  # a kind added since writes no code
                assert err.count("\n") == 1 and not out.exists()
                continue
            assert code == 0, err
            ast.parse(out.read_text())
            paths[(name, fmt)] = out
    assert {name for name, _ in paths} >= {"xor", "two_channel", "edges", "shapes", "iris", "moons", "regression",
                                           "parity", "stacked_parity", "long_memory_lstm", "gru_parity", "lecture13",
                                           "lecture13_expression", "deep_residual", "count_tokens",
                                           "tiny_transformer"}
    results = run_programs(list(paths.values()))
    for (name, fmt), path in paths.items():
        status, text = results[str(path)]
        assert status == "ok", (name, fmt, text)
        first, last = PARTS.get(name, "1:").split(":")
        assert f"steps {first} to" in text, text


def _doc_variants() -> list[tuple[str, object]]:
    """Seeded networks of every activation, loss, optimizer and update mode, L2 on, maps and vectors."""
    acts = ["tanh", "sigmoid", "relu", "identity", "softplus", "elu", "leaky_relu", "prelu", "gelu"]
    opts = ["sgd", "momentum", "adam"]
    out = []
    for i, act in enumerate(acts):
        loss, output = [("squared", "sigmoid"), ("half_squared", "identity"), ("cross_entropy", "softmax"),
                        ("cross_entropy", "sigmoid"), ("squared", "softmax")][i % 5]
        spec = random_spec([3, 4, 3, 3 if output == "softmax" else 2], hidden=act, output=output, loss=loss,
                           update=["full_batch", "per_example"][i % 2], n=3, seed=i, l2=0.01 * (i % 3), alpha=0.2)
        doc = dict(spec.raw)
        doc["training"] = {**doc["training"], "optimizer": opts[i % 3]}
        out.append((f"dense-{act}-{loss}-{output}-{opts[i % 3]}", doc))
    for seed in range(4):
        out.append((f"conv-{seed}", random_conv_doc(seed, optimizer=opts[seed % 3], l2=0.02 * (seed % 2),
                                                     update=["full_batch", "per_example"][seed % 2])))
    for seed in range(4):  # layernorm and dropout among dense layers; seed 3: dropout on a conv2d's map
        out.append((f"unitwise-{seed}", unitwise_doc(seed, optimizer=opts[seed % 3], l2=0.05 * (seed % 2),
                                                     update=["mini_batch", "per_example"][seed % 2], shuffle=seed == 1)))
    return out


def gated(doc: dict, kind: str) -> dict:
    """``doc`` with its rnn layers made ``kind`` (lstm, gru), their weights drawn by the file's init."""
    layers = [{k: v for k, v in layer.items() if k not in ("activation", "alpha")} | {"type": kind}
              if layer.get("type") == "rnn" else layer for layer in doc["layers"]]
    return {k: v for k, v in doc.items() if k != "weights"} | {"layers": layers, "init": {"seed": 3, "scale": 0.8}}


def _sequence_variants() -> list[tuple[str, object]]:
    """Seeded networks over time: many-to-one and return_sequences, stacked, dense layers at each τ
    below and above, rnn, lstm and gru; every optimizer, L2, the update modes, shuffled."""
    opts = ["sgd", "momentum", "adam"]
    out = []
    for seed in range(3):
        out.append((f"rnn-{seed}", random_rnn_doc(seed, optimizer=opts[seed], l2=0.05 * (seed % 2), return_sequences=bool(seed % 2),
                                                  update=["full_batch", "per_example", "mini_batch"][seed],
                                                  shuffle_seed=seed if seed == 2 else None)))
    for i, shape in enumerate(STACK_SHAPES):
        doc = random_stack_doc(i, shape, optimizer=opts[i % 3], l2=0.03 * (i % 2), update="mini_batch" if i % 2 else "full_batch")
        out.append((f"stack-{shape}", doc))
        out.append((f"{['lstm', 'gru'][i % 2]}-{shape}", gated(doc, ["lstm", "gru"][i % 2])))
        out.append((f"{['gru', 'lstm'][i % 2]}-{shape}", gated(doc, ["gru", "lstm"][i % 2])))
    return out


def _block_variants() -> list[tuple[str, object]]:
    """Seeded networks with residual blocks, nested and not, and with attention layers (heads 1 and 2,
    causal and not, one on another, on the input or a dense layer), every optimizer, L2, the update modes."""
    opts, updates = ["sgd", "momentum", "adam"], ["full_batch", "per_example", "mini_batch"]
    out: list[tuple[str, object]] = [
        (f"residual-{seed}", random_residual_doc(seed, nested=seed % 2 == 1, optimizer=opts[seed % 3],
                                                 update=updates[seed % 3], l2=0.02 * (seed % 2)))
        for seed in range(4)]
    doc = random_residual_doc(3, nested=True)  # a block in a block, the outer one reading the input itself
    h = len(doc["weights"][0])
    doc = doc | {"layers": [{"units": h}] + doc["layers"][2:], "weights": doc["weights"][1:],
                 "data": doc["data"] | {"inputs": np.random.default_rng(3).normal(size=(3, h)).tolist()}}
    out.append(("residual-on-the-input", doc))
    for seed in range(4):  # heads 1 on the input; heads 2 on a dense layer; two layers, one causal; heads 2 causal
        doc = random_attention_doc(seed, optimizer=opts[seed % 3], l2=0.02 * (seed % 2), update=updates[seed % 3],
                                   mini_batch=2 if seed % 3 == 2 else None)
        out.append((f"attention-{seed}", doc))
    for seed in range(5):  # blocks over sequences: [attention] ([[attention], dense] nested), [dense, dense], attention beside
        out.append((f"sequence-residual-{seed}", sequence_residual_doc(
            seed, n=3, optimizer=opts[seed % 3], update=updates[seed % 3], l2=0.02 * (seed % 2),
            mini_batch=2 if seed % 3 == 2 else None, shuffle_seed=seed if seed == 4 else None)))
    return out


def test_seeded_networks_of_every_kind_optimizer_loss_and_activation(tmp_path):
    paths = {}
    for label, doc in _doc_variants() + _sequence_variants() + _block_variants():
        spec = parse(doc, f"{label}.json")
        for fmt in FORMATS:
            out = tmp_path / f"{label}_{fmt}.py".replace("-", "_")
            epochs = 2 if spec.lengths is None else 1  # two epochs: the optimizers' state carries over
            first, last = codegen.steps_of(spec, epochs, None)
            codegen.write(spec, fmt, first, last, str(out))
            paths[(label, fmt)] = out
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        assert results[str(path)][0] == "ok", (key, results[str(path)])


def every_op_graph(seed: int) -> dict:
    """A seeded graph file that uses every op of bptui's table, each on earlier names its domain allows."""
    from bptui.core.graphs.graph import forward_values, parse as parse_graph

    rng = np.random.default_rng([25, seed])
    inputs = {"x": float(rng.uniform(0.3, 1.5)), "z": float(rng.uniform(0.3, 1.5))}
    nodes: list[dict] = []
    for k, op in enumerate(sorted(OPS) * 2):
        names = list(inputs) + [n["name"] for n in nodes]
        arity = OPS[op].arity or int(rng.integers(2, 4))
        for _ in range(20):
            args = [str(rng.choice(names)) for _ in range(arity)]
            if rng.random() < 0.2:
                args[-1] = float(rng.uniform(0.5, 2.0))
            trial = nodes + [{"name": f"n{k}", "op": op, "args": args}]
            try:
                doc = {"kind": "graph", "name": "every op", "inputs": inputs, "nodes": trial, "output": f"n{k}"}
                values = forward_values(parse_graph(doc, "g.json"))
            except Exception:
                continue
            if all(np.isfinite(v) and abs(v) < 1e6 for v in values.values()):
                nodes = trial
                break
    out = {"name": "out", "op": "add", "args": [n["name"] for n in nodes]}
    return {"kind": "graph", "name": "every op", "inputs": inputs, "nodes": nodes + [out], "output": "out"}


def test_graphs_of_every_op(tmp_path):
    """Every graph op has its code, and seeded graphs that use each of them export and pass."""
    assert set(codegen.GRAPH_OP_CODE) == set(OPS)
    from bptui.core.graphs.graph import parse as parse_graph

    paths = []
    for seed in range(3):
        doc = every_op_graph(seed)
        assert {n["op"] for n in doc["nodes"]} == set(OPS)
        spec = parse_graph(doc, "g.json")
        for fmt in FORMATS:
            out = tmp_path / f"g{seed}_{fmt}.py"
            codegen.write(spec, fmt, *codegen.steps_of(spec, 1, None), str(out))
            paths.append(out)
    results = run_programs(paths)
    assert all(status == "ok" for status, _ in results.values()), results


def _change_one(path: Path, rng: np.random.Generator, among: list[int] | None = None) -> int:
    """Change one of bptui's values in a program (a seeded choice among all its entries, or the steps
    ``among``, 1-based); the step it belongs to."""
    text = path.read_text()
    head, _, tail = text.partition("\nEXPECTED = ")
    literal, _, rest = tail.partition("\n")
    values = ast.literal_eval(literal)
    first = int(next(line for line in text.splitlines() if line.startswith("FIRST, LAST")).split("=")[1].split(",")[0])
    i = int(rng.integers(len(values))) if among is None else int(rng.choice(among)) - first
    v = np.asarray(values[i], dtype=float)
    flat = v.reshape(-1)
    j = int(rng.integers(flat.size))
    flat[j] += 1e-4 * (1 + abs(flat[j]))
    values[i] = float(v) if v.ndim == 0 else v.tolist()
    path.write_text(head + "\nEXPECTED = " + repr(values) + "\n" + rest)
    return first + i


def assert_each_fails_at(steps: dict[str, int]) -> None:
    """Each program (by its path) fails an assertion at its step."""
    results = run_programs([Path(p) for p in steps])
    for path, step in steps.items():
        status, text = results[path]
        assert status == "AssertionError", (path, status, text)
        assert f"step {step}," in text, text


def test_a_changed_value_fails(tmp_path, capsys):
    """The programs really assert: one of bptui's values changed (seeded, anywhere) makes them fail at that step."""
    rng = np.random.default_rng(25)
    steps = {}
    sources = {name: NETWORKS / f"{name}.json"
               for name in ("xor", "two_channel", "classifier", "gru_parity", "lecture13", "deep_residual", "count_tokens",
                            "tiny_transformer")}
    for seed in (0, 3):  # layernorm and dropout (seed 3 on a map)
        sources[f"unitwise{seed}"] = tmp_path / f"unitwise{seed}.json"
        sources[f"unitwise{seed}"].write_text(json.dumps(unitwise_doc(seed, l2=0.1)))
    for name, src in sources.items():
        for fmt in FORMATS:
            program = tmp_path / f"{name}_{fmt}_unchanged.py"  # exported once; each copy gets its own change
            assert export(capsys, src, fmt, program, *(("--steps", SHORT[name]) if name in SHORT else ()))[0] == 0
            for k in range(3):
                out = tmp_path / f"{name}_{fmt}_{k}.py"
                shutil.copyfile(program, out)
                steps[str(out)] = _change_one(out, rng)
    assert_each_fails_at(steps)


def _each_fails_where_changed(tmp_path, rng, docs: dict, own, copies: int) -> None:
    """Each network (by its label) in both formats, ``copies`` times with one of bptui's values changed
    (a seeded choice among the steps whose key ``own(spec, key)`` picks): each fails at that step."""
    steps = {}
    for label, doc in docs.items():
        spec = parse(doc, f"{label}.json")
        sch = Stepper(spec).schedule
        first, last = codegen.steps_of(spec, 1, None)
        among = [i + 1 for i in range(last) if own(spec, sch.key(i))]
        for fmt in FORMATS:
            program = tmp_path / f"{label}_{fmt}_unchanged.py"  # written once; each copy gets its own change
            codegen.write(spec, fmt, first, last, str(program))
            for k in range(copies):
                out = tmp_path / f"{label}_{fmt}_{k}.py"
                shutil.copyfile(program, out)
                steps[str(out)] = _change_one(out, rng, among)
    assert_each_fails_at(steps)


def test_a_changed_value_of_a_block_or_attention_fails(tmp_path):
    """Seeded networks with nested residual blocks and with causal attention of two heads: a changed
    value of one of their own steps (a block's ∂ℓ/∂x; an attention layer's q … z, its gradients, δ, a
    G part; seeded choices) fails at that step."""
    docs = {"residual": random_residual_doc(1, nested=True), "attention": random_attention_doc(3)}
    assert docs["attention"]["layers"][1] == {"type": "attention", "dim": 2, "heads": 2, "causal": True}
    own = {"dx", "q", "k", "v", "scores", "a", "z", "dz", "da", "delta", "dq", "dk", "dv", "GQ", "GK", "GV", "GO"}
    _each_fails_where_changed(tmp_path, np.random.default_rng(21), docs,
                              lambda spec, key: key.quantity in own and key.time is None, 3)


def test_a_changed_value_of_a_block_over_a_sequence_fails(tmp_path):
    """Seeded networks with residual blocks over sequences, one nested around attention ([[attention],
    dense]): a changed value of a block's own step (o or ∂ℓ/∂x, at τ or over the whole sequence at
    once; seeded choices) fails at that step."""
    docs = {f"sequence_residual{seed}": sequence_residual_doc(seed, n=2) for seed in (0, 1)}

    def own(spec, key) -> bool:
        return bool(key.layer and spec.layer_kinds[key.layer - 1].span)

    for label, doc in docs.items():  # the blocks step at τ and over the whole sequence
        spec = parse(doc, f"{label}.json")
        sch = Stepper(spec).schedule
        keys = [sch.key(i) for i in range(codegen.steps_of(spec, 1, None)[1])]
        assert {key.time is None for key in keys if own(spec, key)} == {True, False}, label
    _each_fails_where_changed(tmp_path, np.random.default_rng(2125), docs, own, 4)


def _two_epochs_pass(tmp_path, docs: dict) -> None:
    """Each network (by its label) exported for two epochs in both formats: every program runs and passes."""
    paths = {}
    for label, doc in docs.items():
        spec = parse(doc, f"{label}.json")
        first, last = codegen.steps_of(spec, 2, None)
        for fmt in FORMATS:
            paths[(label, fmt)] = out = tmp_path / f"{label}_{fmt}.py"
            codegen.write(spec, fmt, first, last, str(out))
    results = run_programs(list(paths.values()))
    for key, path in paths.items():
        assert results[str(path)][0] == "ok", (key, results[str(path)])


def test_dropout_and_layer_norm_on_sequences_export_and_pass(tmp_path):
    """Dropout at each τ (a row of the example's (T, d) mask) and once above a many-to-one rnn, after a
    layer norm between, after and below rnn layers, and in and beside residual blocks around attention:
    two epochs of shuffled mini-batches with Adam, both formats, every step equal to bptui's; and a
    changed value of a dropout step (o or ∂ℓ/∂x, seeded) fails at that step."""
    from .test_dropout_sequences import SHAPES, with_dropout

    docs = {f"dropout_{shape}": with_dropout(0, shape, update={"batch_size": 2}, shuffle_seed=2, optimizer="adam")
            for shape in SHAPES}
    _two_epochs_pass(tmp_path, docs)

    def own(spec, key) -> bool:
        return bool(key.layer and spec.layer_kinds[key.layer - 1].type == "dropout")

    _each_fails_where_changed(tmp_path, np.random.default_rng(2521),
                              {label: docs[label] for label in ("dropout_after_rnn", "dropout_blocks")}, own, 2)


def test_layer_norm_and_dropout_with_residual_blocks_on_vectors_export_and_pass(tmp_path):
    """Layer norms and dropout layers first in blocks (nested ones too), in the middle of a block and
    beside the blocks (test_unitwise_residual's networks): two epochs with each optimizer and update
    mode, both formats, every step equal to bptui's; a changed value of one of their steps fails there."""
    from .test_unitwise_residual import random_doc as unitwise_residual_doc

    opts, updates = ["sgd", "momentum", "adam"], ["full_batch", "per_example", "mini_batch"]
    docs = {f"unitwise_residual{seed}": unitwise_residual_doc(seed, optimizer=opts[seed % 3], update=updates[seed % 3],
                                                               l2=0.01 * (seed % 2)) for seed in range(4)}
    _two_epochs_pass(tmp_path, docs)

    def own(spec, key) -> bool:
        return bool(key.layer and spec.layer_kinds[key.layer - 1].own_steps)

    _each_fails_where_changed(tmp_path, np.random.default_rng(2131), {"unitwise_residual1": docs["unitwise_residual1"]},
                              own, 3)


@pytest.mark.parametrize("name, steps", [("xor", "40:60"), ("iris", "1090:1100"), ("moons", "95:130")])
def test_steps_resume_from_the_state_before_a(tmp_path, capsys, name, steps):
    """--steps A:B: the program starts from bptui's state (weights, G so far, optimizer state) at the
    example or update before step A, checks A … B and no other step."""
    a, b = map(int, steps.split(":"))
    paths = []
    for fmt in FORMATS:
        out = tmp_path / f"{name}_{fmt}.py"
        assert export(capsys, NETWORKS / f"{name}.json", fmt, out, "--steps", steps)[0] == 0
        text = out.read_text()
        assert f"FIRST, LAST = {a}, {b} " in text
        data = ast.literal_eval(text.partition("\nDATA = ")[2].partition("\n")[0])
        stepper = Stepper(load_any(str(NETWORKS / f"{name}.json")))
        stepper.goto(data["start"])
        assert 0 < data["start"] < a and a - data["start"] <= len(stepper.schedule.block) + 2
        for W, want in zip(data["W"], stepper.weights):
            np.testing.assert_array_equal(np.array(W), want)
        paths.append(out)
    results = run_programs(paths)
    for path in paths:
        assert results[str(path)] == ["ok", f"{name}: steps {a} to {b}, each equal to bptui's value\n"], results


def test_many_values_go_beside_the_program(tmp_path, monkeypatch):
    """Past the limit, bptui's values sit in PROGRAM-expected.npz, and the program reads them from there."""
    monkeypatch.setattr(codegen.common, "INLINE_LIMIT", 1000)
    spec = load_any(str(NETWORKS / "xor.json"))
    paths = []
    for fmt in FORMATS:
        out = tmp_path / f"xor_{fmt}.py"
        codegen.write(spec, fmt, 1, 38, str(out))
        assert (tmp_path / f"xor_{fmt}-expected.npz").exists()
        assert "EXPECTED = [_npz" in out.read_text()
        paths.append(out)
    assert all(status == "ok" for status, _ in run_programs(paths).values())


def test_hostile_names_stay_strings(tmp_path, capsys):
    """A network's name and description, and its file's name, reach the program only as string literals."""
    marker = tmp_path / "injected"
    payload = f'x"""\nopen({str(marker)!r}, "w")\n"""#\'\'\'\\'
    doc = json.loads((NETWORKS / "xor.json").read_text())
    doc["name"], doc["description"] = payload, payload
    src = tmp_path / ('evil"\'\n""".json')
    src.write_text(json.dumps(doc))
    graph = json.loads((NETWORKS / "lecture13.json").read_text())
    graph["name"], graph["description"] = payload, payload
    graph_src = tmp_path / 'evil graph"\'\n.json'
    graph_src.write_text(json.dumps(graph))
    paths = []
    for fmt, source in [(fmt, source) for fmt in FORMATS for source in (src, graph_src)]:
        out = tmp_path / f"evil_{fmt}_{len(paths)}.py"
        assert export(capsys, source, fmt, out)[0] == 0
        tree = ast.parse(out.read_text())
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        assert payload in strings
        paths.append(out)
    results = run_programs(paths)
    assert all(status == "ok" for status, _ in results.values()), results
    assert not marker.exists()


def test_what_cannot_be_exported_is_one_error_line(tmp_path, capsys, monkeypatch):
    out = tmp_path / "p.py"
    from bptui.core.engine.kind import LayerKind
    from bptui.core.kinds.dense import Dense

    monkeypatch.setattr(Dense, "code", LayerKind.code)  # a kind whose module writes no code yet
    monkeypatch.setattr(Dense, "code_from", LayerKind.code_from)
    code, err = export(capsys, NETWORKS / "xor.json", "numpy", out)
    assert code == 2 and err == "error: " + str(NETWORKS / "xor.json") + ": layers[1]: dense layers cannot be exported as a program yet\n"
    assert not out.exists()
    monkeypatch.undo()
    code, err = main(["export", str(NETWORKS / "xor.json"), "--format", "numpy"]), capsys.readouterr().err
    assert code == 2 and "--output" in err and err.count("\n") == 1
    src = NETWORKS / "xor.json"
    code, err = export(capsys, src, "numpy", src)  # never over its own input
    assert code == 2 and err.count("\n") == 1
    code, err = export(capsys, src, "numpy", out, "--exercise")
    assert code == 2 and "program" in err and err.count("\n") == 1

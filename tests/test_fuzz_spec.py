"""Fuzzing the new kinds' files and the exercise options, by class, in child processes with limits.

Families (each generated from the bundled v2 networks by seeded mutation classes, the manual's "Limits
and hostile input"): ``conv`` (edges, shapes, two_channel: sizes, wrong types, weights, map data),
``pooling`` (the pooling layers and their null weights), ``recurrent`` (parity, long_memory: units,
sequence lengths, ragged, nested and non-finite sequences, W and U) and ``options`` (``--variants``,
``--round``, ``--steps``, ``--example``, ``--blank-every`` and ``--epochs`` on a v1, a v2, a
recurrent network and a graph). Every case runs one to two commands in a child process of its own
(tests/fuzz_child.py, forked from one that imported bptui once) under RLIMIT_AS = 2 GiB, so a size that is not checked before allocating
fails the case with a MemoryError instead of stalling the machine, and under RLIMIT_CPU (a bound on
CPU time, which a loaded machine does not stretch as it stretches wall-clock time). Each command
must end with status 0 (1 from ``check``: gradients that disagree) or 2 with exactly one
``error:`` line naming the file (or the command) and the place; never a traceback.

CI runs a fixed sample of each family (the same cases every run; the whole file about 30 s of CPU);
``BPTUI_FUZZ_FULL=1`` runs every case. ``-s`` prints each family's cases and worst costs.
"""

from __future__ import annotations

import copy
import json
import math
import os
import pty
import random
import re
import resource
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bptui.core.util import validate
from bptui.core.util.errors import SpecError
from bptui.core.formats.spec import load, parse

from .conftest import NETWORKS, ROOT

FULL = bool(os.environ.get("BPTUI_FUZZ_FULL"))
MEMORY_LIMIT = 2 << 30  # bytes of address space: numpy, the data and bptui's own limits fit in a fraction
# CPU seconds per case: the slowest case of the full set takes 43 s of CPU (1,000 variants of
# two_channel; -s prints the summary); the bound stops a run that would never end, with room for a
# slower machine
CPU_LIMIT = 120
CI_SAMPLE = {"conv": 22, "pooling": 14, "recurrent": 20, "options": 22}  # cases per family in CI

V2_FILES = {"conv": ("edges", "shapes", "two_channel"), "pooling": ("edges", "shapes", "two_channel"),
            "recurrent": ("parity", "long_memory", "stacked_parity", "long_memory_lstm", "gru_parity")}
SIZES: list[Any] = [0, 1, 2, 3, 5, 64, 3_000, 100_000, 10**9, 2**63, 10**400, 1e300, -1, 2.5]
TYPES: list[Any] = [None, True, False, "3", "", [], [3], [[3]], {}, {"units": 1}, float("nan"), float("inf")]
NUMBERS: list[Any] = [None, True, "0.5", "", [], [0.5], [[0.5]], {}, float("nan"), float("-inf"), 1e308, -1e308,
                      10**400, 5e-324]
COMMANDS = (["trace"], ["trace", "--format", "json"], ["train", "--epochs", "1", "--format", "json"], ["check"],
            ["export", "--format", "markdown"], ["export", "--format", "latex"], ["export", "--format", "csv"],
            ["export", "--exercise"])


@dataclass
class Case:
    family: str
    name: str
    base: str  # the bundled file it starts from
    doc: Any = None  # the mutated document (None: the bundled file as it is)
    commands: list[list[str]] = field(default_factory=list)  # argv with "FILE" for the file's path


def with_weights(name: str) -> dict:
    """A bundled network with its weights written out (the bundled v2 files draw theirs from init),
    so that mutations reach the kernels, biases, W and U."""
    return load(NETWORKS / f"{name}.json").to_json()


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def mutated(doc: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(doc)
    if not path:
        return value
    _get(out, path[:-1])[path[-1]] = value
    return out


def _layer_paths(doc: dict, kinds: tuple[str, ...], keys: tuple[str, ...]) -> list[tuple]:
    return [("layers", i, key) for i, layer in enumerate(doc["layers"])
            if layer.get("type", "dense") in kinds for key in keys]


def _ragged(value: list) -> list:
    """The list with its first entry's last element dropped (a row shorter than the others)."""
    out = copy.deepcopy(value)
    first = out[0]
    while isinstance(first, list) and first and isinstance(first[0], list):
        first = first[0]
    if isinstance(first, list) and first:
        first.pop()
    return out


def _deeper(value: list) -> list:
    """The list with its first number wrapped in one more list."""
    out = copy.deepcopy(value)
    parent, key = out, 0
    while isinstance(parent[key], list):
        parent, key = parent[key], 0
    parent[key] = [parent[key]]
    return out


def _data_cases(doc: dict, rng: random.Random) -> list[tuple[str, Any]]:
    """Inline data made ragged, nested, of the wrong type, non-finite, too long or too large."""
    data = doc["data"]
    if "inputs" not in data:
        return []
    out: list[tuple[str, Any]] = []
    for key in ("inputs", "targets"):
        for how, value in (("ragged", _ragged(data[key])), ("deeper", _deeper(data[key]))):
            out.append((f"data.{key} {how}", mutated(doc, ("data", key), value)))
        leaf: tuple = ("data", key, 0)
        while isinstance(_get(doc, leaf), list):
            leaf += (0,)
        for value in NUMBERS:
            out.append((f"data.{key} leaf {value!r}"[:60], mutated(doc, leaf, value)))
        out.append((f"data.{key}[0] = \"x\"", mutated(doc, ("data", key, 0), "x")))
    out.append(("huge inputs standardised", mutated(mutated(doc, ("data", "standardize"), True),
                                                   ("data", "inputs", 0), _scaled(data["inputs"][0], 1e308))))
    return out


def _scaled(value: Any, factor: float) -> Any:
    return [_scaled(v, factor) for v in value] if isinstance(value, list) else value * factor


def _weight_cases(doc: dict) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for l, w in enumerate(doc["weights"]):
        for value in (None, [], {}, [[0.5]], {"kernel": [], "bias": []}, {"W": [[0.5]], "U": [[0.5]]}, "x", 1):
            out.append((f"weights[{l}] = {value!r}", mutated(doc, ("weights", l), value)))
        if isinstance(w, dict):
            for key, m in w.items():
                leaf: tuple = ("weights", l, key)
                while isinstance(_get(doc, leaf), list):
                    leaf += (0,)
                for value in NUMBERS:
                    out.append((f"weights[{l}].{key} leaf {value!r}"[:60], mutated(doc, leaf, value)))
                out.append((f"weights[{l}].{key} ragged", mutated(doc, ("weights", l, key), _ragged(m))))
                out.append((f"weights[{l}].{key} deeper", mutated(doc, ("weights", l, key), _deeper(m))))
    return out


def spec_cases(family: str) -> list[Case]:
    """Every case of a spec family, in a fixed order; each draws its two commands from a seeded
    generator, so the sample CI runs is the same every run."""
    rng = random.Random(family)
    out: list[tuple[str, str, Any]] = []
    for base in V2_FILES[family]:
        doc = with_weights(base)
        if family == "conv":
            paths = _layer_paths(doc, ("conv2d",), ("padding", "kernel", "stride", "channels")) + \
                [("layers", 0, "shape", i) for i in range(3)]
            mutations = [(f"{'.'.join(map(str, p))} = {v!r}"[:60], mutated(doc, p, v))
                         for p in paths for v in SIZES + TYPES]
            mutations += [("kernel [k, 10**6]", mutated(doc, paths[1], [1, 10**6])),
                          ("a 3000×3000 image", mutated(doc, ("layers", 0, "shape"), [1, 3000, 3000])),
                          ("a 2000×2000 image, generator n = 2", mutated(
                              mutated(doc, ("layers", 0, "shape"), [1, 2000, 2000]), ("data", "n"), 2))]
            mutations += [m for m in _weight_cases(doc) if "kernel" in m[0] or "bias" in m[0]]
            mutations += _data_cases(doc, rng)
        elif family == "pooling":
            paths = _layer_paths(doc, ("maxpool2d", "avgpool2d"), ("size", "stride", "type"))
            mutations = [(f"{'.'.join(map(str, p))} = {v!r}"[:60], mutated(doc, p, v))
                         for p in paths for v in SIZES + TYPES + ["maxpool2d", "avgpool2d", "conv2d"]]
            pools = [i - 1 for i, layer in enumerate(doc["layers"]) if "pool" in layer.get("type", "")]
            mutations += [m for m in _weight_cases(doc) if any(m[0].startswith(f"weights[{l}]") for l in pools)]
        else:
            paths = _layer_paths(doc, ("rnn",), ("units", "return_sequences", "activation"))
            mutations = [(f"{'.'.join(map(str, p))} = {v!r}"[:60], mutated(doc, p, v))
                         for p in paths for v in SIZES + TYPES + ["tanh", "softmax"]]
            mutations += _weight_cases(doc) + _data_cases(doc, rng)
            x, y = doc["data"]["inputs"][0], doc["data"]["targets"][0]
            for T in (1, 2_000, 10_000, 10_001):
                mutations.append((f"a sequence of {T:,} steps", mutated(doc, ("data", "inputs", 0), (x * T)[:T])))
            mutations.append(("200 sequences of 5,000 steps", mutated(mutated(
                doc, ("data", "inputs"), [(x * 5_000)[:5_000]] * 200), ("data", "targets"), [y] * 200)))
            mutations.append(("return_sequences with scalar targets",
                              mutated(doc, ("layers", 1, "return_sequences"), True)))
        out += [(base, name, m) for name, m in mutations]
    cases = []
    for base, name, doc in out:
        commands = [[c[0], "FILE", *c[1:]] for c in rng.sample(COMMANDS, 2)]
        cases.append(Case(family, f"{base}: {name}", base, doc, commands))
    return cases


OPTION_VALUES: dict[str, list[str]] = {
    "--epochs": ["1", "2", "0", "-1", "x", "1e3", "1000000", "1000001", "10000000000"],
    "--steps": ["1:10", "5:4", "0:3", "1:3000", "1:10000000000", "1000000000000:1000000000001", "a:b", "3", "1:2:3"],
    "--example": ["1", "0", "2", "1000000000", "-1", "x"],
    "--variants": ["1", "2", "1000", "1001", "1000000", "0", "x"],
    "--round": ["0", "2", "17", "18", "10000000000", "-1"],
    "--blank-every": ["1", "3", "1000000000000000000", "0", "x"],
}
OPTION_FILES = ("xor", "two_channel", "parity", "lecture13_expression")


def _exportable(argv: list[str]) -> list[str]:
    """``argv`` with what its options need to mean anything: variants a folder, --round variants,
    --blank-every an exercise."""
    if "--round" in argv and "--variants" not in argv:
        argv += ["--variants", "2"]
    if "--variants" in argv:
        argv += ["--output", "OUTDIR"]
    if "--blank-every" in argv and "--exercise" not in argv:
        argv.append("--exercise")
    return argv


def option_cases() -> list[Case]:
    """Each option and value alone and with another drawn option, on a v1, a v2, a recurrent
    network and a graph; and trace's --epochs."""
    rng = random.Random("options")
    cases = []
    for base in OPTION_FILES:
        for option, values in OPTION_VALUES.items():
            for value in values:
                other = rng.choice([o for o in OPTION_VALUES if o != option])
                for extra in ([], [other, rng.choice(OPTION_VALUES[other])]):
                    argv = _exportable(["export", "FILE", option, value, *extra])
                    cases.append(Case("options", f"{base}: {' '.join(argv[2:])}", base, None, [argv]))
        cases += [Case("options", f"{base}: trace --epochs {v}", base, None, [["trace", "FILE", "--epochs", v]])
                  for v in OPTION_VALUES["--epochs"]]
    return cases


def all_cases(family: str) -> list[Case]:
    return option_cases() if family == "options" else spec_cases(family)


def sample(family: str) -> list[Case]:
    cases = all_cases(family)
    return cases if FULL else random.Random(f"ci {family}").sample(cases, CI_SAMPLE[family])


COSTS: dict[str, list[tuple[float, float, str]]] = {}  # family → (CPU s, peak MiB, case) per case
STATUS: dict[str, dict[int, int]] = {}


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT + 5))


_forks: dict[str, subprocess.Popen] = {}  # the process that forks one child per case (tests/fuzz_child.py --fork)


def forked(spec: Path, stdout: Path, stderr: Path, memory: int = MEMORY_LIMIT, cpu: int = CPU_LIMIT) -> dict:
    """Run a case file (tests/fuzz_child.py) in a child process of its own, forked under the limits
    (RLIMIT_AS, RLIMIT_CPU) from a process that has imported bptui once for every case of this test
    process; its status, CPU seconds and peak MiB."""
    proc = _forks.get("server")
    if proc is None or proc.poll() is not None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "NO_COLOR": "1"}
        proc = _forks["server"] = subprocess.Popen([sys.executable, "-m", "tests.fuzz_child", "--fork"], cwd=ROOT,
                                                   env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"case": str(spec), "stdout": str(stdout), "stderr": str(stderr),
                                 "memory": memory, "cpu": cpu}) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()  # the forked child is bounded by RLIMIT_CPU; a killed server answers ""
    assert line, f"the forking process ended with {proc.wait()}"
    return json.loads(line)


@pytest.fixture(scope="module", autouse=True)
def _the_forking_process_ends():
    yield
    proc = _forks.pop("server", None)
    if proc is not None:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0


def test_a_forked_case_runs_under_its_limits(tmp_path: Path) -> None:
    """The forked child of each case has the case's limits: a run past RLIMIT_CPU is stopped by a signal
    (its status says so), an allocation past RLIMIT_AS is a MemoryError reported as a traceback, and
    the next case runs unharmed (its own process, its own limits)."""
    def case(name: str, argv: list[str]) -> tuple[Path, Path, Path]:
        spec = tmp_path / f"{name}.json"
        spec.write_text(json.dumps({"commands": [argv]}), encoding="utf-8")
        return spec, tmp_path / f"{name}.out", tmp_path / f"{name}.err"

    long = ["trace", str(NETWORKS / "shapes.json"), "--epochs", "100", "--format", "json"]
    done = forked(*case("cpu", long), cpu=1)
    assert done["status"] == -signal.SIGXCPU and 0.5 < done["cpu"] < 10, done
    big = ["export", str(NETWORKS / "shapes.json"), "--format", "latex"]
    done = forked(*case("memory", big), memory=1 << 20)  # 1 MiB, far below what it has: its next new block fails
    (report,) = [json.loads(line) for line in (tmp_path / "memory.out").read_text().splitlines()]
    assert done["status"] == 0 and "MemoryError" in report["traceback"], (done, report)
    done = forked(*case("xor", ["check", str(NETWORKS / "xor.json")]))
    (report,) = [json.loads(line) for line in (tmp_path / "xor.out").read_text().splitlines()]
    assert done["status"] == 0 and report["code"] == 0 and "traceback" not in report, (done, report)


def run_case(case: Case, tmp: Path) -> list[dict]:
    """The case's commands in a child process of their own under the limits (forked: :func:`forked`):
    one report per command."""
    path = tmp / f"{case.base}.json"
    if case.doc is None:
        path = NETWORKS / f"{case.base}.json"
    else:
        path.write_text(json.dumps(case.doc), encoding="utf-8")  # NaN and Infinity as JSON5-style literals
    commands = [[str(path) if a == "FILE" else str(tmp / "out") if a == "OUTDIR" else a for a in c]
                for c in case.commands]
    spec = tmp / "case.json"
    spec.write_text(json.dumps({"commands": commands}), encoding="utf-8")
    done = forked(spec, tmp / "stdout", tmp / "stderr")
    what = f"{case.name} ({commands})"
    assert done["status"] == 0, f"{what}: the child ended with {done['status']} (a signal: over the CPU limit?)" \
                                f"\n{(tmp / 'stderr').read_text()[-2000:]}"
    COSTS.setdefault(case.family, []).append((done["cpu"], done["maxrss_mib"], case.name))
    reports = [json.loads(line) for line in (tmp / "stdout").read_text().splitlines()]
    assert len(reports) == len(commands), what
    for report, command in zip(reports, commands):
        assert "traceback" not in report, f"{what}: {command}\n{report['traceback']}"
        code, lines = report["code"], report["stderr"].splitlines()
        counts = STATUS.setdefault(case.family, {})
        counts[code] = counts.get(code, 0) + 1
        assert code in ((0, 1, 2) if command[0] == "check" else (0, 2)), (what, command, report)
        if code == 2:
            assert len(lines) == 1 and lines[0].startswith("error: "), (what, command, lines)
            assert path.name in lines[0] or "bptui " in lines[0], (what, command, lines)
            assert lines[0].count(": ") >= 2, (what, command, lines)  # the file (or command), a place, the message
        else:
            assert all(line.startswith("wrote ") for line in lines), (what, command, lines)  # no warnings
    return reports


@pytest.mark.parametrize("family", ["conv", "pooling", "recurrent", "options"])
def test_hostile_cases_fail_cleanly_within_limits(family: str, tmp_path: Path) -> None:
    failures = []
    for i, case in enumerate(sample(family)):
        folder = tmp_path / str(i)
        folder.mkdir()
        try:
            run_case(case, folder)
        except AssertionError as err:
            failures.append(str(err)[:1500])
    assert not failures, f"{len(failures)} failing cases:\n" + "\n\n".join(failures[:5])


def test_the_families_cover_their_classes() -> None:
    """The generators make what the families promise: hostile sizes, wrong types, ragged and
    nested data, non-finite numbers, long sequences, and every option."""
    names = {family: " | ".join(c.name for c in all_cases(family)) for family in CI_SAMPLE}
    for needle in ("padding = 100000", "a 3000×3000 image", "channels = 1000000000", "kernel leaf True",
                   "data.inputs ragged", "data.inputs deeper", "leaf nan", "huge inputs standardised"):
        assert needle in names["conv"], needle
    for needle in ("size = 100000", "stride = 0", "weights[1] = [[0.5]]"):
        assert needle in names["pooling"], needle
    for needle in ("a sequence of 10,000 steps", "units = 1000000000", "weights[0].U leaf '0.5'",
                   "data.targets deeper", "leaf -inf"):
        assert needle in names["recurrent"], needle
    for option in OPTION_VALUES:
        assert option in names["options"], option
    assert all(len(all_cases(f)) >= CI_SAMPLE[f] for f in CI_SAMPLE)


# -- the schema and the parser agree ----------------------------------------------------------------
JSON_VALUES: list[Any] = [None, True, 0, -1, 2.5, "x", [], [1], [[1]], {}, {"units": 1}]


def _places(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place of a document, with the first two entries of each list standing for the rest."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _places(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            out += _places(v, prefix + (i,))
    return out


def schema_cases() -> list[tuple[str, tuple, Any]]:
    cases = []
    for name in ("edges", "shapes", "two_channel", "parity", "long_memory", "gru_parity"):
        doc = with_weights(name)
        cases += [(name, place, value) for place in _places(doc) for value in JSON_VALUES]
    return cases


SCHEMA = jsonschema.Draft202012Validator(validate.schema())
_DOCS = {name: with_weights(name) for name in ("edges", "shapes", "two_channel", "parity", "long_memory", "gru_parity")}


def test_the_schema_and_the_parser_agree_on_every_new_kind() -> None:
    """Each bundled v2 network (its weights written out), one value at a time replaced by each JSON
    type: bptui's validator accepts exactly what jsonschema accepts, and the parser, which is
    stricter (shapes, the keys of each kind), never accepts what the schema rejects."""
    cases = schema_cases()
    if not FULL:
        cases = random.Random("schema").sample(cases, 700)
    stricter = 0
    for name, place, value in cases:
        doc = mutated(_DOCS[name], place, value)
        by_schema = SCHEMA.is_valid(doc)
        try:
            validate.check(doc, validate.schema())
            ours = True
        except SpecError:
            ours = False
        assert ours == by_schema, (name, place, value)
        try:
            parse(doc, f"{name}.json", schema_checked=True) if ours else None
            parsed = ours
        except SpecError:
            parsed = False
        assert not parsed or by_schema, (name, place, value)
        stricter += by_schema and not parsed
    assert stricter > 0  # the parser's own checks (shapes, keys) are reached, not only the schema's


def test_the_schema_types_every_number_of_the_new_kinds() -> None:
    """No place where a number belongs lets a string, a boolean or NaN through the schema: the
    leaves of kernels, biases, W, U, maps and sequences (NaN and ±∞ by bptui's validator: standard
    JSON has no such numbers, so JSON Schema does not speak of them)."""
    for name, doc in _DOCS.items():
        leaves = [p for p in _places(doc) if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]
        assert leaves
        for place in leaves:
            if place[0] in ("training", "init") or place[:2] == ("data", "n"):
                continue
            for value in ("1", True, float("nan"), float("inf"), [1.0] if place[0] == "weights" else "x"):
                if place[0] == "layers" and isinstance(value, list):
                    continue  # [kh, kw] is a kernel size
                bad = mutated(doc, place, value)
                assert not SCHEMA.is_valid(bad) or isinstance(value, float), (name, place, value)
                with pytest.raises(SpecError):
                    validate.check(bad, validate.schema())


# -- each limit says which it is and where ------------------------------------------------------------
def _edges(**layer1: Any) -> dict:
    doc = json.loads((NETWORKS / "edges.json").read_text())
    doc["layers"][1].update(layer1)
    return doc


LIMIT_CASES = [  # (file, its document or None for the bundled one, the options, the place, words of the message)
    ("edges", _edges(padding=100_000), [], "layers[1]", "the im2col matrix (C·kh·kw)·(Ho·Wo) = 360,014,400,144"),
    ("edges", _edges(channels=10**6), [], "layers[1]", "its output K·Ho·Wo = 16,000,000"),
    ("edges", mutated(_edges(), ("layers", 0, "shape"), [1, 3000, 3000]), [], "layers[0].shape", "9,000,000 numbers"),
    ("edges", mutated(mutated(mutated(_edges(kernel=1), ("layers", 0, "shape"), [1, 300, 300]), ("layers", 2, "size"), 100),
                      ("data", "n"), 400), [], "data.n", "400 examples, at most 123"),
    ("parity", None, ["--epochs", "1000000"], "--epochs", "1,000,000 epochs × 526 steps"),
    ("xor", None, ["--steps", "1:1000000000000"], "--steps", "at most 399,600 for this network"),
    ("xor", None, ["--example", "1", "--epochs", "1000000"], "--example", "example n = 1 of epoch 1000000"),
    ("xor", None, ["--variants", "1000000", "--output", "OUT"], "--variants", "at most 1,000"),
    ("xor", None, ["--variants", "2", "--round", "10000000000", "--output", "OUT"], "--round", "at most 17"),
    ("xor", None, ["--variants", "1000", "--epochs", "20", "--output", "OUT"], "--variants",
     "1,000 variants × 760 steps"),
]


@pytest.mark.parametrize("name, doc, options, place, words", LIMIT_CASES)
def test_each_limit_names_itself_and_its_place(name: str, doc: Any, options: list[str], place: str, words: str,
                                               tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from bptui.cli import main

    path = NETWORKS / f"{name}.json"
    if doc is not None:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
    command = "trace" if options[:1] == ["--epochs"] else "export"
    argv = [command, str(path), *[str(tmp_path / "out") if o == "OUT" else o for o in options]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: {place}: "), err
    assert words in err, err
    assert not (tmp_path / "out").exists()  # refused before the first file


# -- a long run that is allowed ---------------------------------------------------------------------
def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    """What the child writes to the terminal ``fd``, up to a match of the pattern ``needle`` (or its
    end). ``seconds`` bounds the whole wait, a generous guard against a child that never draws it or
    never ends, not a timing: the bar moves within a second of work on a quiet machine (a run that
    went on after its Ctrl+C kept drawing its bar, and a bound on each read let it run for minutes)."""
    seen, deadline, pattern = b"", time.monotonic() + seconds, re.compile(needle)
    while not pattern.search(seen, max(0, len(seen) - 65536 - 4096)):  # the new text (a match may straddle)
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], left)[0] if left > 0 else []
        assert ready, f"not within {seconds} s: {seen[-500:]!r}" + (
            f"; it wrote {seen[seen.find(b'Traceback'):][:1500]!r}" if b"Traceback" in seen else "")
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal: it ended
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.parametrize("command", [["export", "--format", "latex", "--output", "OUT"], ["trace", "--format", "json"]])
def test_a_long_run_shows_progress_and_stops_cleanly_on_ctrl_c(command: list[str], tmp_path: Path) -> None:
    """100 epochs of shapes (267,200 steps, within the limits): a bar on the terminal (standard
    error), and Ctrl+C ends the run with status 130, no traceback and no output file, not even a
    temporary one."""
    out = tmp_path / "shapes.tex"
    argv = [command[0], str(NETWORKS / "shapes.json"), "--epochs", "100",
            *[str(out) if a == "OUT" else a for a in command[1:]]]
    master, terminal = pty.openpty()
    with open(tmp_path / "stdout", "wb") as stdout:
        child = subprocess.Popen([sys.executable, "-m", "bptui", *argv], cwd=tmp_path, stdin=subprocess.DEVNULL,
                                 stdout=stdout, stderr=terminal, preexec_fn=_limits,
                                 env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    os.close(terminal)
    try:
        shown = _read_until(master, rb"[1-9]\d*/267200", 300)  # the bar, moving: steps are being walked
        assert re.search(rb"[1-9]\d*/267200", shown), shown[-500:]
        assert child.poll() is None
        child.send_signal(signal.SIGINT)
        shown += _read_until(master, b"(?!)", 300)  # to the end
        assert child.wait() == 130
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    assert b"Traceback" not in shown and b"error" not in shown, shown[-1000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]  # no shapes.tex, no .shapes.tex.*.tmp


# -- the limits are the manual's --------------------------------------------------------------------
def test_every_limit_is_in_the_manual() -> None:
    from bptui import exercise
    from bptui.core.formats import spec

    section = (ROOT / "docs" / "network-files.md").read_text().split("## Limits and hostile input")[1].split("\n## ")[0]
    for value in (spec.MAX_EXAMPLE_CELLS, spec.MAX_ACTIVATIONS, spec.MAX_DATA_VALUES, spec.MAX_WEIGHTS,
                  spec.STEP_OVERHEAD, spec.MAX_LENGTH, exercise.MAX_VARIANTS):
        assert f"{value:,}" in section, value
    assert f"{spec.MAX_MULTIPLICATIONS / 1e9:.0f}·10⁹" in section
    assert f"{spec.MAX_RUN_WORK / 1e9:.0f}·10⁹" in section
    assert f"{exercise.MAX_ROUND} decimals" in section


def teardown_module() -> None:
    for family, costs in COSTS.items():
        worst_cpu, worst_mem = max(costs), max(costs, key=lambda c: c[1])
        print(f"\n{family}: {len(costs)} cases, runs by status {dict(sorted(STATUS.get(family, {}).items()))}; "
              f"most CPU {worst_cpu[0]:.2f} s ({worst_cpu[2]}), most memory {worst_mem[1]:.0f} MiB ({worst_mem[2]}); "
              f"CPU in all {math.fsum(c[0] for c in costs):.1f} s")

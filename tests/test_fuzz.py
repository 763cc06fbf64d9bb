"""Fuzzing the command line with hostile files: the bundled networks and graphs, mutated.

Every case writes a mutated copy of a bundled file (types, sizes, nesting, special numbers,
strings with control characters and surrogates, deleted and unknown keys) or a generated formula,
then runs ``trace`` (text and JSON), ``train --epochs 1``, ``check`` and ``export`` on it, in this
process. Each run must end with status 0, or exactly one ``error:`` line naming the file and
status 2 (``check`` may also say 1: gradients that disagree); never a traceback, never a warning
on stderr, never NaN or Infinity in JSON, and never more than a 20 s guard of CPU time (a guard
against hangs, not a timing test: CPU time, because a loaded machine stretches the wall clock).
Hypothesis runs derandomised (tests/conftest.py), so CI sees the same cases every run:
75 per test; ``BPTUI_FUZZ_FULL=1`` runs 500 per test, as the other fuzz files run their full sets,
and ``FUZZ_EXAMPLES=N`` runs N per test (it wins over both).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bptui.cli import main

from .conftest import EXAMPLES, GRAPH_EXAMPLES, NETWORKS

FULL = os.environ.get("BPTUI_FUZZ_FULL") == "1"
N_CASES = int(os.environ.get("FUZZ_EXAMPLES", 500 if FULL else 75))  # per test: 150 cases in CI
GUARD_SECONDS = 20  # of CPU time
WALL_FACTOR = 30  # the wall-clock backstop, in guards: only a case blocked off the CPU reaches it (beside
# `stress --cpu 4` and two test workers a process gets about a tenth of a core: 10× was reached by a loop)
TIMES: list[tuple[float, str]] = []  # CPU seconds per case and what it was, for the summary (-s prints it)
STATUSES: dict[int, int] = {}  # how many runs ended with each status


class Hang(Exception):
    pass


@contextlib.contextmanager
def guard(seconds: float, wall: float | None = None) -> Iterator[None]:
    """Raise Hang in this thread if the block uses more than ``seconds`` of this process's CPU time
    (a loop), or is still running after ``wall`` seconds (``WALL_FACTOR`` guards unless told: a
    block waiting off the CPU, on a pipe or a lock). CPU time is what a busy machine does not
    stretch: at a load of 5-8 a case nested 292 deep ran past 20 s of wall clock, not of CPU."""
    wall = WALL_FACTOR * seconds if wall is None else wall

    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s of CPU time" if signum == signal.SIGPROF else
                   f"still running after {wall} s")

    old = {sig: signal.signal(sig, ring) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in old.items():
            signal.signal(sig, handler)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _strict(text: str) -> None:
    def reject(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    for line in text.splitlines():
        json.loads(line, parse_constant=reject)


COMMANDS = (["trace"], ["trace", "--format", "json"], ["train", "--epochs", "1", "--format", "json"], ["check"],
            ["export", "--format", "markdown"], ["export", "--format", "latex"], ["export", "--format", "csv"])


def check_all_commands(path: Path, what: str = "") -> None:
    if os.environ.get("FUZZ_LOG"):
        with open(os.environ["FUZZ_LOG"], "a") as log:
            log.write(f"{what or path.name} ({path.stat().st_size} bytes)\n")
    start = time.process_time()
    with guard(GUARD_SECONDS):
        for command in COMMANDS:
            code, out, err = run([command[0], str(path), *command[1:]])
            STATUSES[code] = STATUSES.get(code, 0) + 1
            allowed = (0, 1, 2) if command[0] == "check" else (0, 2)
            assert code in allowed, (command, code, err)
            if code == 2:
                lines = err.splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: "), (command, err)
                assert path.name in lines[0] or ".csv" in lines[0], (command, err)
                continue
            assert err == "", (command, err)  # no warnings, no second line
            if "json" in command:
                _strict(out)
    TIMES.append((time.process_time() - start, what or path.name))


# -- mutations --------------------------------------------------------------------------------------
SPECIAL: list[Any] = [
    None, True, False, 0, -1, 1, 2, 3, 0.5, -0.0, 5e-324, 1e-300, 1e6, 1e6 + 1, 1e300, -1e308, 1e308,
    float("nan"), float("inf"), -float("inf"), 10**400, 2**64, -(2**63), 7.5,
    "", "x", "sigmoid", "softmax", "nodes", "\x1b]0;pwned\x07", "\x1b[2J", "\ud800", "[/]x", "<script>alert(1)</script>",
    "a" * 300, "\u202e", "../" * 5, "/dev/zero", "x" * 10_000,
    [], {}, [[]], [[1.0]], [1.0, 2.0], {"units": 1}, {"batch_size": 0},
]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Places in a JSON document, as the keys and indices leading to them: every key, the first
    few items of a list (they stand for the rest), no deeper than 12 levels (a 5000-deep nest made
    by an earlier mutation would otherwise cost the test, not bptui, gigabytes of paths)."""
    out = [prefix]
    if len(prefix) >= 12:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:4]):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


KINDS = ["replace", "replace", "replace", "scale", "delete", "duplicate", "wrap", "nest", "unknown_key", "huge_list"]
ARGS = {"replace": st.sampled_from(SPECIAL), "scale": st.sampled_from([-1, 1e3, 1e6, 1e300, 1e-300, 0.5]),
        "nest": st.sampled_from([2, 50, 5000]), "huge_list": st.sampled_from([10, 1000, 200_000])}


def mutation(data: st.DataObject, doc: Any) -> tuple[tuple, str, Any]:
    """A place in ``doc``, what to do there and with what (drawn one by one: a strategy made from
    the document would have Hypothesis print a 5000-deep list)."""
    paths = _paths(doc)
    path = paths[data.draw(st.integers(0, len(paths) - 1), label="place")]
    kind = data.draw(st.sampled_from(KINDS), label="mutation")
    arg = data.draw(ARGS[kind], label="with") if kind in ARGS else None
    return path, kind, arg


def apply(doc: Any, path: tuple, kind: str, arg: Any) -> Any:
    """The document with one mutation applied (the root can be replaced too)."""
    if not path:
        if kind == "replace":
            return arg
        if kind == "wrap":
            return [doc]
        return _nest(doc, arg) if kind == "nest" else doc
    parent, key = _get(doc, path[:-1]), path[-1]
    old = parent[key]
    if kind == "replace":
        parent[key] = arg
    elif kind == "scale" and isinstance(old, (int, float)) and not isinstance(old, bool):
        parent[key] = old * arg
    elif kind == "delete":
        del parent[key]
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(key, old)  # the same object twice: later mutations change both
    elif kind == "wrap":
        parent[key] = [old]
    elif kind == "nest":
        parent[key] = _nest(old, arg)
    elif kind == "unknown_key" and isinstance(old, dict):
        old["surprise"] = 1
    elif kind == "huge_list":  # at most about 2 MB of JSON (bigger files: test_hardening)
        parent[key] = [old] * min(arg, 2_000_000 // len(_dumps(old)))
    return doc


def _dumps(doc: Any) -> str:
    """JSON text; nests deeper than Python's recursion limit are written all the same (reading
    them is bptui's problem: "JSON nested too deeply")."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))
    try:
        return json.dumps(doc)
    finally:
        sys.setrecursionlimit(limit)


def _write(tmp: Path, name: str, doc: Any) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(_dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copy(NETWORKS / "iris.csv", tmp / "iris.csv")  # iris.json names it
    return tmp


FUZZ = settings(max_examples=N_CASES, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(data=st.data())
def test_mutated_bundled_files_fail_cleanly(folder: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(EXAMPLES + GRAPH_EXAMPLES))
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    done = []
    for _ in range(data.draw(st.integers(1, 3))):
        path, kind, arg = mutation(data, doc)
        doc = apply(doc, path, kind, arg)
        done.append(f"{kind} {'.'.join(map(str, path))} {str(arg)[:20]!r}")
    check_all_commands(_write(folder, name, doc), f"{name}: {'; '.join(done)}")


# -- generated formulas -----------------------------------------------------------------------------
ATOMS = st.sampled_from(["x", "z", "2", "0", "0.5", "1e308", "1e-320", "9" * 400, "y", "(", ")", ",", "ln", "-"])


def _formula(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**", "·", "−", " "]), children)
    call = st.tuples(st.sampled_from(["exp", "log", "sin", "sqrt", "tan", "max", "min", "relu", "abs", "foo"]),
                     st.lists(children, min_size=1, max_size=3))
    return st.one_of(binary.map("".join), call.map(lambda c: f"{c[0]}({', '.join(c[1])})"),
                     children.map(lambda e: f"({e})"), children.map(lambda e: f"-{e}"))


FORMULAS = st.one_of(
    st.recursive(ATOMS, _formula, max_leaves=30),
    st.integers(1, 20_000).map(lambda n: "(" * n + "x" + ")" * n),  # nesting
    st.integers(1, 2_000).map(lambda n: "sin(" * n + "x" + ")" * n),  # 5000 deep: test_hardening
    st.integers(1, 2_000).map(lambda n: "^".join(["x"] * n)),
    st.integers(1, 3_000).map(lambda n: "+".join(f"x*{k}" for k in range(n))),
    st.text(max_size=40),  # anything at all, control characters and surrogates included
)


@FUZZ
@given(expression=FORMULAS, inputs=st.sampled_from([{"x": 2.0, "z": 3.0}, {"x": 0.0, "z": -1.0}, {"x": 1e308, "z": 1}]))
def test_generated_formulas_fail_cleanly(folder: Path, expression: str, inputs: dict) -> None:
    check_all_commands(_write(folder, "formula", {"kind": "graph", "inputs": inputs, "expression": expression}),
                       f"formula {expression[:40]!r}…")


def test_the_fuzz_guard_catches_a_hang() -> None:
    """The guard works: a case that never ends fails the test instead of hanging CI, whether it
    loops (CPU time) or waits (the wall clock)."""
    with pytest.raises(Hang, match="CPU time"):
        with guard(1, wall=600):  # the loop's CPU second comes first, however loaded the machine
            while True:
                pass
    with pytest.raises(Hang, match="after 1 s$"):
        with guard(60, wall=1):
            while True:
                time.sleep(0.01)


def teardown_module() -> None:
    if TIMES:
        TIMES.sort()
        print(f"\nfuzz: {len(TIMES)} cases, runs by status {dict(sorted(STATUSES.items()))}, "
              f"median {TIMES[len(TIMES) // 2][0]:.3f} s of CPU a case, slowest:")
        for seconds, what in TIMES[-5:]:
            print(f"  {seconds:.2f} s  {what}")

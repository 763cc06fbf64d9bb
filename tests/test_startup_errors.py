"""``bptui BAD.json``: the error line before any screen.

A network file that passes the schema but that the reader refuses (a weight matrix of the wrong
shape, a softmax on a hidden layer, data that does not fit the input layer, …) ends in the reader's
one ``error:`` line and status 2, as ``bptui trace`` does, with nothing drawn: Textual writes its
screen to standard error, so a frame drawn before the error would put escape codes into a
redirected ``2>err.txt`` and flash a screen on the terminal. The files are the bundled networks
under seeded mutations (tests/test_fuzz.py's), kept when the schema passes and the reader fails.
"""

from __future__ import annotations

import copy
import json
import os
import pty
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bptui.core.formats.spec import parse
from bptui.core.util import validate
from bptui.core.util.errors import SpecError
from bptui.streams import printable

from .conftest import EXAMPLES, HANG, NETWORKS, ROOT, V2_EXAMPLES
from .test_fuzz import KINDS, SPECIAL, _paths, apply
from .test_fuzz_spec import _read_until

CASES = 10  # each a child process that imports NumPy and Textual (about a second of CPU)


def refused_by_the_reader(seed: str, n: int) -> list[tuple[str, Any, str]]:
    """``n`` mutated bundled networks (name, document, the reader's error for it) that pass the
    schema and fail the reader: one mutation each, drawn from a generator seeded by ``seed``."""
    rng = random.Random(seed)
    bases = {name: json.loads((NETWORKS / f"{name}.json").read_text()) for name in EXAMPLES + V2_EXAMPLES}
    for doc in bases.values():  # a data file beside the network stays found from the test's folder
        if "csv" in doc["data"]:
            doc["data"]["csv"] = str(NETWORKS / doc["data"]["csv"])
    out: list[tuple[str, Any, str]] = []
    while len(out) < n:
        name = rng.choice(sorted(bases))
        doc = copy.deepcopy(bases[name])
        path = rng.choice(_paths(doc))
        kind = rng.choice(KINDS)
        arg = {"replace": rng.choice(SPECIAL), "scale": rng.choice([-1, 2, 0.5, 1e3]), "nest": 2,
               "huge_list": 10}.get(kind)
        try:
            doc = apply(doc, path, kind, arg)
            validate.check(doc, validate.schema())
        except (SpecError, KeyError, IndexError, TypeError):  # refused by the schema, or not applicable
            continue
        try:
            parse(doc, "FILE", schema_checked=True)
        except SpecError as err:
            out.append((f"{name}: {kind} at {'.'.join(map(str, path))}", doc, str(err)))
    return out


CASES_BY_NAME = {name: (doc, error) for name, doc, error in refused_by_the_reader("startup", CASES)}


def _bptui_on_a_terminal(path: Path, err: Path) -> tuple[int, bytes]:
    """``python -m bptui PATH 2>ERR`` with the standard input and output a terminal (a pty), as a
    user runs it: the exit status, and what reached the terminal."""
    leader, follower = pty.openpty()
    with err.open("wb") as stderr:
        child = subprocess.Popen([sys.executable, "-m", "bptui", str(path)], stdin=follower, stdout=follower,
                                 stderr=stderr, cwd=path.parent, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    try:
        shown = _read_until(leader, b"(?!)", HANG)  # to the end; HANG bounds a hang, it is no timing
        return child.wait(HANG), shown
    finally:
        if child.poll() is None:
            child.kill()
        os.close(leader)


@pytest.mark.parametrize("name", sorted(CASES_BY_NAME))
def test_a_file_the_reader_refuses_gives_its_error_line_before_any_screen(name: str, tmp_path: Path) -> None:
    doc, error = CASES_BY_NAME[name]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code, shown = _bptui_on_a_terminal(path, tmp_path / "err.txt")
    err = (tmp_path / "err.txt").read_bytes()
    assert code == 2, (code, err)
    assert err.decode() == f"error: {printable(error.replace('FILE', str(path), 1))}\n"  # the reader's line, alone
    assert b"\x1b" not in err and b"\x1b" not in shown, (err, shown)  # no frame, no terminal mode set


def test_a_large_file_read_before_the_app_gives_its_error_line_too(tmp_path: Path) -> None:
    """Over READ_ASIDE_MAX_BYTES the file is read in the app's process before Textual starts: the
    same one line, nothing drawn."""
    from bptui.cli import READ_ASIDE_MAX_BYTES

    doc = json.loads((NETWORKS / "xor.json").read_text())
    rows = READ_ASIDE_MAX_BYTES // len("[0.123456, 0.654321], ") + 1
    doc["data"] = {"inputs": [[0.123456, 0.654321]] * rows, "targets": [[1]] * rows}
    doc["weights"][1] = [[0.5, 0.5]]  # 1×2, where layer 2 needs 1×3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size > READ_ASIDE_MAX_BYTES
    code, shown = _bptui_on_a_terminal(path, tmp_path / "err.txt")
    err = (tmp_path / "err.txt").read_bytes()
    assert code == 2 and b"\x1b" not in err and b"\x1b" not in shown, (code, err, shown)
    assert err.decode() == f"error: {path}: weights[1]: shape 1×2, expected 1×3 = d⁽²⁾ × (d⁽¹⁾+1)\n"


def test_the_error_line_comes_first_off_a_terminal_too(tmp_path: Path) -> None:
    """Output to a pipe: the file's error, not "the app needs a terminal", as bptui trace gives it."""
    name = sorted(CASES_BY_NAME)[0]
    doc, error = CASES_BY_NAME[name]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    done = subprocess.run([sys.executable, "-m", "bptui", str(path)], capture_output=True, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, timeout=HANG, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == f"error: {printable(error.replace('FILE', str(path), 1))}\n"


def test_the_cases_are_of_several_kinds() -> None:
    """The seeded draw reaches different files and different checks of the reader, not one."""
    files = {name.split(":")[0] for name in CASES_BY_NAME}
    messages = {error.split(": ", 2)[-1].split(" ")[0] for _, error in CASES_BY_NAME.values()}
    assert len(files) >= 4 and len(messages) >= 3, (files, messages)


def _first_case(decided: bool) -> tuple[Any, str]:
    """The first case that plain JSON decides (verdict.py, no reader child), or the first it leaves
    to the reader (a child that imports NumPy)."""
    from bptui.core.formats.verdict import verdict

    def here(doc: Any) -> bool:
        try:
            return verdict(doc, "FILE")
        except SpecError:
            return True

    return next(CASES_BY_NAME[name] for name in sorted(CASES_BY_NAME) if here(CASES_BY_NAME[name][0]) == decided)


@pytest.mark.parametrize("how", ["decided here", "forked", "no fork", "the child killed", "a large file"])
def test_the_verdict_is_the_readers_however_it_is_reached(how: str, monkeypatch, tmp_path: Path) -> None:
    """The verdict of plain JSON given here (a v1 file with inline data), the child's, or the file
    read in this process (a large file, no fork, a child that ends without a verdict, killed as a
    memory limit kills): the same SpecError for a bad file; for a good one nothing (the app reads
    it after its first frame), its spec when it was read here."""
    import signal
    import threading

    from bptui import cli

    doc, error = _first_case(how == "decided here")
    bad, good = tmp_path / "bad.json", tmp_path / "moons_layernorm.json"
    bad.write_text(json.dumps(doc))
    # moons_layernorm has a v2 kind (a layer norm): the reader's verdict (xor's is plain JSON's, decided here)
    good.write_text((NETWORKS / ("xor.json" if how == "decided here" else "moons_layernorm.json")).read_text())
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # the test runner's threads: fork all the same
    forks: list[int] = []
    fork = os.fork

    def counted_fork() -> int:
        forks.append(1)
        return fork()

    monkeypatch.setattr(os, "fork", counted_fork)
    if how == "no fork":
        monkeypatch.delattr(os, "fork")
    elif how == "the child killed":  # json.dump writes the verdict in the child only
        monkeypatch.setattr(json, "dump", lambda *a: os.kill(os.getpid(), signal.SIGKILL))
    elif how == "a large file":
        monkeypatch.setattr(cli, "READ_ASIDE_MAX_BYTES", good.stat().st_size - 1)
    with pytest.raises(SpecError) as raised:
        cli._read_aside(doc, str(bad))()
    assert str(raised.value) == error.replace("FILE", str(bad), 1)
    spec = cli._read_aside(json.loads(good.read_text()), str(good))()
    if how in ("forked", "decided here"):
        assert spec is None
    else:
        assert spec is not None and spec.widths == (2, 16, 16, 16, 1)
    assert len(forks) == {"decided here": 0, "forked": 2, "the child killed": 2}.get(how, 0)

"""A teacher who runs every command over networks/*.json in a course's notation meets the computation graph
(lecture13_expression), which is written in the lecture's notation only: each command refuses it in one error
line that names the file (among twenty files in a loop, which one) and what to type instead, exit status 2,
nothing on standard output."""

from __future__ import annotations

import contextlib
import io

import pytest

from bptui.cli import main

from .conftest import NETWORKS

GRAPH = str(NETWORKS / "lecture13_expression.json")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", [
    ("trace",), ("export",), ("export", "--format", "numpy", "--output", "PROGRAM"), ("export", "--format", "pytorch",
                                                                                        "--output", "PROGRAM"),
    ("check",), ("quiz",)])
def test_a_graph_in_a_profile_is_refused_in_one_line_naming_the_file(command, tmp_path):
    argv = [a if a != "PROGRAM" else str(tmp_path / "p.py") for a in command]
    code, out, err = _run(argv[0], GRAPH, *argv[1:], "--notation", "ng")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"error: {GRAPH}: --notation ng: "), err
    assert "a computation graph is written in the lecture's notation" in err
    assert "--notation lecture13" in err  # what to type instead
    assert not (tmp_path / "p.py").exists()

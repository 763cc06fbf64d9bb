"""`bptui serve` in a subprocess on a free local port; --no-color and NO_COLOR; trace text for screen readers."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest

from bptui.cli import main

from .conftest import HANG, NETWORKS, ROOT


def test_serve_runs_this_python_on_the_file():
    pytest.importorskip("textual_serve")
    from bptui.serve import app_argv

    parts = app_argv(str(NETWORKS / "xor.json"))
    assert parts[:3] == [sys.executable, "-m", "bptui"] and parts[3] == str((NETWORKS / "xor.json").resolve())
    assert app_argv("xor.json", no_color=True)[-1] == "--no-color"


def test_serve_serves_the_page():
    pytest.importorskip("textual_serve")
    from .serve_helpers import Served

    server = Served()
    try:
        with urllib.request.urlopen(server.url, timeout=HANG) as response:
            assert response.status == 200
            page = response.read().decode("utf-8", "replace")
        assert "bptui · xor" in page  # the title
        assert "textual" in page.lower() and f"ws/{server.token}" in page  # the terminal page and its websocket
    finally:
        server.stop()


def test_serve_checks_the_file_first(capsys):
    assert main(["serve", "nope.json"]) == 2
    assert capsys.readouterr().err.startswith("error: nope.json: no such file")


@pytest.mark.parametrize("command", ["trace", "train", "check", "quiz", "export", "serve", "examples"])
def test_every_command_takes_no_color(command):
    from bptui.cli import _command_parser

    assert _command_parser(command).parse_args(["--no-color"] + ([] if command == "examples" else ["xor"])).no_color


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _train_in_a_terminal(extra_env: dict, args: list[str]) -> str:
    """`bptui train` with its output on a pseudo-terminal (so Rich would colour it), read back."""
    import pty

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", **extra_env}
    env.pop("NO_COLOR", None) if "NO_COLOR" not in extra_env else None
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bptui", "train", "xor", "--epochs", "30", *args], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=HANG)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color_and_NO_COLOR_take_the_colour_out_of_train():
    coloured = _train_in_a_terminal({"FORCE_COLOR": "1"}, [])
    assert ANSI.search(coloured)  # the check can see colour when there is some
    for env, args in (({"NO_COLOR": "1"}, []), ({}, ["--no-color"])):
        out = _train_in_a_terminal(env, args)
        colours = [c for c in ANSI.findall(out) if re.search(r"\[(3\d|4\d|9\d|38|48)", c)]
        assert colours == [], (env, args, colours[:5])
        assert "after 30 epochs" in out


def test_trace_text_reads_linearly_for_a_screen_reader(capsys):
    for name in ("xor", "lecture13", "classifier"):
        assert main(["trace", str(NETWORKS / f"{name}.json")]) == 0
        out = capsys.readouterr().out
        assert not re.search(r"[\u2500-\u259f]", out)  # no box drawing or block characters
        assert "\x1b" not in out  # no escape sequences
        for line in out.splitlines():
            # every number stands after a label: "name = …", a step's equation, or an example's x and y
            if re.search(r"\d", line) and not line.startswith(("Epoch", "End of epoch")):
                assert "=" in line or line.endswith((".", ":")), line

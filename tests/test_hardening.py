"""Hostile input, class by class (issue 11): one ``error:`` line and status 2, nothing hangs,
nothing is lost. tests/test_fuzz.py throws mutated files at the same promises."""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.util.errors import SpecError
from bptui.core.formats.spec import MAX_WEIGHTS, load, max_examples, parse

from .conftest import HANG, NETWORKS
from .test_fuzz import guard

XOR = json.loads((NETWORKS / "xor.json").read_text())


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(capsys, *argv, status: int = 2) -> str:
    """Run argv; it must fail with exactly one ``error:`` line. Returns that line."""
    with guard(20):
        code, out, err = run(capsys, *argv)
    lines = err.splitlines()
    assert code == status and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    return lines[0]


def write(tmp_path: Path, doc, name: str = "net.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def xor_with(**changes) -> dict:
    doc = copy.deepcopy(XOR)
    doc.update(changes)
    return doc


# -- numbers a float cannot hold --------------------------------------------------------------------
@pytest.mark.parametrize("digits", [400, 5000])
def test_integers_too_long_for_a_float_are_not_finite_numbers(tmp_path, capsys, digits):
    text = json.dumps(XOR).replace("0.1", "1" + "0" * digits, 1)
    path = write(tmp_path, text)
    line = one_error(capsys, "trace", path)
    assert line.startswith(f"error: {path}: weights[") and "not a finite number" in line


def test_an_init_scale_that_would_overflow_the_generator_is_refused(tmp_path, capsys):
    doc = xor_with(init={"seed": 0, "scale": 1e308})
    del doc["weights"]
    assert "init.scale: 1e+308 is above the maximum" in one_error(capsys, "train", write(tmp_path, doc))


# -- sizes --------------------------------------------------------------------------------------
def test_sizes_are_checked_before_anything_is_allocated(tmp_path, capsys):
    doc = xor_with(layers=[{"units": 2}, {"units": 10**9}, {"units": 1}])
    assert "layers[1].units: 1000000000 is above the maximum" in one_error(capsys, "trace", write(tmp_path, doc))
    doc = xor_with(layers=[{"units": 1000}, {"units": 3000}, {"units": 1000}])
    del doc["weights"]
    assert f"at most {MAX_WEIGHTS:,}" in one_error(capsys, "trace", write(tmp_path, doc))
    doc = xor_with(data={"generator": "xor", "n": 1_000_000}, layers=[{"units": 2}, {"units": 100}, {"units": 1}])
    del doc["weights"]
    assert "1,000,000 examples, at most" in one_error(capsys, "train", write(tmp_path, doc))


def test_the_limits_allow_the_benchmarks_784_256_10_network_on_10000_examples():
    doc = {"layers": [{"units": 784}, {"units": 256, "activation": "tanh"}, {"units": 10, "activation": "softmax"}],
           "init": {"seed": 1, "scale": 0.05}, "loss": "cross_entropy",
           "data": {"inputs": [[0.0] * 784], "targets": [[1.0] + [0.0] * 9]}}
    assert parse(doc, "mnist_like").widths == (784, 256, 10)
    assert max_examples((784, 256, 10)) >= 10_000


def test_a_csv_with_more_rows_than_the_network_may_have_is_refused(tmp_path, capsys):
    rows = "\n".join(f"{i},{i % 2}" for i in range(20))
    (tmp_path / "d.csv").write_text("x,y\n" + rows + "\n")
    doc = xor_with(layers=[{"units": 1}, {"units": 1}], data={"csv": "d.csv", "targets": ["y"]})
    del doc["weights"]
    import bptui.core.formats.verdict as verdict_module  # the limits' module (spec re-exports them)

    limit = verdict_module.MAX_DATA_VALUES
    try:
        verdict_module.MAX_DATA_VALUES = 20  # 10 rows of one input and one target
        line = one_error(capsys, "trace", write(tmp_path, doc))
    finally:
        verdict_module.MAX_DATA_VALUES = limit
    assert "d.csv: line 12: more than 10 rows of data" in line


# -- files that are not regular files, names the OS refuses ------------------------------------------
def test_only_regular_files_are_read(tmp_path, capsys):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert "named pipe (FIFO)" in one_error(capsys, "trace", fifo)  # would block forever if opened
    assert "/dev/zero: is a device" in one_error(capsys, "check", "/dev/zero")
    assert "is a directory" in one_error(capsys, "trace", tmp_path)
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    assert "symlink loop" in one_error(capsys, "trace", tmp_path / "a.json")


def test_names_the_os_refuses_are_one_error(capsys):
    assert "file name is too long" in one_error(capsys, "trace", "a" * 300 + ".json")
    assert "an empty name" in one_error(capsys, "trace", "")
    assert "NUL" in one_error(capsys, "export", "x\0y.json")


def test_a_nul_or_a_fifo_as_the_csv_file_is_one_error(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.csv")
    for csv in ("pipe.csv", "a\0b.csv"):
        doc = xor_with(data={"csv": csv, "targets": ["y"]})
        assert "error: " in one_error(capsys, "trace", write(tmp_path, doc))


def test_files_over_the_size_cap_are_refused(tmp_path, capsys, monkeypatch):
    import bptui.core.util.files as files

    monkeypatch.setattr(files, "MAX_NETWORK_FILE_BYTES", 100)
    assert "too big for a network file (at most 100 bytes)" in one_error(capsys, "trace", write(tmp_path, XOR))


# -- deep structures ---------------------------------------------------------------------------------
def graph(tmp_path, **doc) -> Path:
    return write(tmp_path, {"kind": "graph", "inputs": {"x": 1.0}, **doc}, "g.json")


@pytest.mark.parametrize("expression", ["(" * 10_000 + "x+1" + ")" * 10_000, "sin(" * 5000 + "x" + ")" * 5000,
                                        "^".join(["x"] * 5000), "-" * 5000 + "x"])
def test_deep_expressions_parse_without_recursion(tmp_path, capsys, expression):
    with guard(20):
        code, out, err = run(capsys, "trace", graph(tmp_path, expression=expression), "--format", "json")
    assert code == 0 and err == "" and out.count("\n") > 1


def test_long_listed_chains_and_cycles_are_checked_without_recursion(tmp_path, capsys):
    nodes = [{"name": f"a{i}", "op": "sin", "args": [f"a{i + 1}"]} for i in range(1999)]
    nodes.append({"name": "a1999", "op": "sin", "args": ["x"]})
    assert "used before it is defined" in one_error(capsys, "trace", graph(tmp_path, nodes=nodes))
    nodes = [{"name": f"a{i}", "op": "sin", "args": [f"a{(i + 1) % 5000}"]} for i in range(5000)]
    line = one_error(capsys, "trace", graph(tmp_path, nodes=nodes))
    assert "cycle: a0 → a1" in line and "(5,000 nodes)" in line and len(line) < 300


def test_a_graph_too_big_to_draw_is_refused_before_the_app_starts(tmp_path, capsys):
    nodes = [{"name": "a0", "op": "sin", "args": ["x"]}]
    nodes += [{"name": f"a{i}", "op": "add", "args": [f"a{i - 1}", "x"]} for i in range(1, 1000)]
    line = one_error(capsys, graph(tmp_path, nodes=nodes))
    assert "too big for the app to draw: 1,001 boxes" in line


def test_the_layout_ranks_a_long_chain_without_recursion():
    from bptui.tui.graph_layout import _ranks, too_big

    ids = [f"n{i}" for i in range(5000)]
    edges = list(zip(ids, ids[1:]))
    ranks = _ranks(dict.fromkeys(ids), edges, frozenset(ids[:1]))
    assert ranks["n4999"] == 4999
    assert too_big(ids, edges) is not None and too_big(ids[:50], edges[:49]) is None


def test_sums_and_graphs_have_clear_limits(tmp_path, capsys):
    line = one_error(capsys, "trace", graph(tmp_path, expression="+".join(f"sin({k}*x)" for k in range(200))))
    assert "more than 100 terms in one sum" in line


# -- text that is not what it seems --------------------------------------------------------------------
@pytest.mark.parametrize("key, text, why", [("name", "\x1b]0;pwned\x07", "control character (U+001B)"),
                                            ("description", "\x1b[2J", "control character (U+001B)"),
                                            ("name", "\ud800", "lone surrogate"),
                                            ("description", "abc\u202eexe.txt", "bidirectional")])
def test_control_characters_and_surrogates_in_text_are_refused(tmp_path, capsys, key, text, why):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(xor_with(**{key: text})))  # ensure_ascii: \u escapes in the file
    line = one_error(capsys, "trace", path)
    assert f"{key}: contains a {why}" in line


def test_the_error_line_escapes_control_characters_in_a_file_name(tmp_path, capsys):
    line = one_error(capsys, "trace", tmp_path / "\x1b[2Jx.json")
    assert "\x1b" not in line and "\\x1b[2Jx.json" in line


def test_markdown_export_escapes_the_files_text(tmp_path, capsys):
    path = write(tmp_path, xor_with(name="<script>alert(1)</script>", description="[click](http://x) *a* `b` $c$"))
    code, out, _ = run(capsys, "export", path, "--format", "markdown")
    assert code == 0 and "<script>" not in out and "&lt;script&gt;" in out
    assert r"\[click\](http://x) \*a\* \`b\` \$c\$" in out


async def test_a_name_with_markup_does_not_crash_the_gradient_check():
    from bptui.tui.app import BptuiApp

    app = BptuiApp(parse(xor_with(name="[/]x [b]"), "x.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        from textual.content import Content

        title = app.screen.query_one("Vertical").border_title  # drawn as markup: shown as written
        assert "Gradient check · [/]x [b] · Esc closes" == Content.from_markup(str(title)).plain


# -- output that cannot be written -------------------------------------------------------------------------
def _bptui(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bptui", *argv], capture_output=True, text=True, timeout=HANG,
                          cwd=Path(__file__).parent.parent, **kwargs)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_on_stdout_is_one_error_line():
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "bptui", "trace", "xor"], stdout=full, stderr=subprocess.PIPE,
                             text=True, timeout=HANG, cwd=Path(__file__).parent.parent)
    assert out.returncode == 2 and out.stderr == "error: standard output: cannot write: No space left on device\n"


def test_a_closed_pipe_ends_train_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "bptui", "train", "xor"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    assert proc.wait(timeout=HANG) == 0 and proc.stderr.read() == b""


# -- writes that can lose data --------------------------------------------------------------------------
def test_the_atomic_writer_leaves_the_old_file_whole_when_writing_fails(tmp_path):
    from bptui.core.util.files import write_lines_atomic

    target = tmp_path / "out.md"
    target.write_text("the old file\n")

    def lines():
        yield "new line"
        raise OSError(28, "No space left on device")

    with pytest.raises(SpecError, match="No space left on device; the file was left as it was"):
        write_lines_atomic(target, lines())
    assert target.read_text() == "the old file\n" and os.listdir(tmp_path) == ["out.md"]
    write_lines_atomic(target, iter(["a", "b"]))
    assert target.read_text() == "a\nb\n" and os.listdir(tmp_path) == ["out.md"]


def test_a_pipe_or_a_symlink_as_the_output_is_written_into_never_replaced(tmp_path, capsys):
    """Not a device like /dev/full here: a regression would replace the machine's device by a file."""
    import stat

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    # the reader is there before the writer opens (a thread that had not yet reached its open() on a
    # loaded machine made the FIFO look unread); the saved file (~1 KB) fits the pipe's buffer
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with guard(20):
            code, _, _ = run(capsys, "train", "xor", "--epochs", "2", "--save", fifo)
        os.set_blocking(rfd, True)
        data = b""
        while chunk := os.read(rfd, 1 << 16):  # what was written, then end of file: the writer closed it
            data += chunk
    finally:
        os.close(rfd)
    assert code == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode) and json.loads(data)["name"] == "xor"
    real = write(tmp_path, XOR, "real.json")
    (tmp_path / "link.json").symlink_to(real)
    assert run(capsys, "train", tmp_path / "link.json", "--epochs", "2", "--save", tmp_path / "link.json")[0] == 0
    assert (tmp_path / "link.json").is_symlink()
    assert not np.allclose(load(real).weights[0], load(NETWORKS / "xor.json").weights[0])
    assert sorted(os.listdir(tmp_path)) == ["link.json", "out.fifo", "real.json"]


def test_save_onto_the_network_file_itself_replaces_it_whole(tmp_path, capsys):
    path = write(tmp_path, XOR)
    before = load(path)
    code, out, _ = run(capsys, "train", path, "--epochs", "5", "--save", path)
    assert code == 0 and f"saved to {path}" in out
    after = load(path)  # a valid network file
    assert not np.allclose(after.weights[0], before.weights[0]) and os.listdir(tmp_path) == ["net.json"]


def test_writes_that_would_lose_the_input_are_refused(tmp_path, capsys):
    path = write(tmp_path, XOR)
    text = path.read_text()
    assert "is the input file" in one_error(capsys, "export", path, "--output", path)
    (tmp_path / "alias.json").symlink_to(path)
    assert "is the input file" in one_error(capsys, "export", path, "--format", "csv", "--output", tmp_path / "alias.json")
    assert path.read_text() == text
    assert "an empty name" in one_error(capsys, "train", path, "--save", "")
    assert "is a directory" in one_error(capsys, "export", path, "--output", tmp_path)


def test_train_does_not_save_weights_that_diverged(tmp_path, capsys):
    doc = xor_with(layers=[{"units": 2}, {"units": 2, "activation": "identity"}, {"units": 1, "activation": "identity"}],
                   training={"learning_rate": 1e10})
    path = write(tmp_path, doc)
    assert "training diverged" in one_error(capsys, "train", path, "--epochs", "50", "--save", tmp_path / "out.json")
    assert not (tmp_path / "out.json").exists()


def test_export_to_a_file_streams_through_the_atomic_writer(tmp_path, capsys):
    out = tmp_path / "xor.csv"
    code, stdout, _ = run(capsys, "export", "xor", "--format", "csv", "--output", out)
    assert code == 0 and stdout == "" and out.read_text().startswith("step,epoch,example")


# -- wrong answers that look right -------------------------------------------------------------------------
def test_check_fails_when_gradients_are_not_finite(tmp_path, capsys):
    doc = xor_with(layers=[{"units": 2}, {"units": 2, "activation": "identity"}, {"units": 1, "activation": "identity"}],
                   weights=[[[1e200, 1e200, 1e200], [1e200, 1e200, 1e200]], [[1e200, 1e200, 1e200]]])
    code, out, err = run(capsys, "check", write(tmp_path, doc))
    assert code == 1 and "FAILED" in out and err == ""


def test_a_zero_power_has_a_zero_derivative(tmp_path, capsys):
    code, out, _ = run(capsys, "check", graph(tmp_path, inputs={"x": 2.0}, expression="(x-2)^0"))
    assert code == 0 and "backprop 0, finite difference 0" in out


def test_csv_files_repeated_columns_bom_and_target_places(tmp_path, capsys):
    doc = xor_with(layers=[{"units": 1}, {"units": 1}], data={"csv": "d.csv", "targets": ["y"]})
    del doc["weights"]
    path = write(tmp_path, doc)
    (tmp_path / "d.csv").write_text("a,a,y\n1,2,0\n3,4,1\n")
    assert "column name 'a' appears twice (columns 1 and 2)" in one_error(capsys, "trace", path)
    (tmp_path / "d.csv").write_bytes("\ufeffa,y\n1,0\n3,1\n".encode())  # Excel's "CSV UTF-8"
    assert run(capsys, "trace", path)[0] == 0
    doc["loss"], doc["layers"][1]["activation"] = "cross_entropy", "sigmoid"
    (tmp_path / "d.csv").write_text("a,y\n1,0\n3,1.5\n")
    line = one_error(capsys, "trace", write(tmp_path, doc))
    assert line.startswith(f"error: {tmp_path / 'd.csv'}: line 3, column y: target 1.5 is outside [0, 1]")


# -- non-standard output ------------------------------------------------------------------------------------
def test_json_output_writes_null_for_non_finite_numbers_and_no_warnings(tmp_path, capsys):
    doc = xor_with(layers=[{"units": 2}, {"units": 2, "activation": "identity"}, {"units": 1, "activation": "identity"}],
                   weights=[[[1e200, 1e200, 1e200], [1e200, 1e200, 1e200]], [[1e200, 1e200, 1e200]]])
    path = write(tmp_path, doc)

    def strict(name):
        raise AssertionError(name)

    for argv in (("trace", path, "--format", "json"), ("train", path, "--epochs", "2", "--format", "json")):
        code, out, err = run(capsys, *argv)
        assert code == 0 and err == ""  # no RuntimeWarning lines
        rows = [json.loads(line, parse_constant=strict) for line in out.splitlines()]
        assert "null" in out and rows


# -- options --------------------------------------------------------------------------------------------------
def test_negative_seeds_are_usage_errors(capsys):
    assert "--seed: -1 is negative" in one_error(capsys, "quiz", "xor", "--seed", "-1")
    assert "--shuffle-seed: -3 is negative" in one_error(capsys, "train", "xor", "--shuffle-seed", "-3")


def test_a_huge_quiz_answer_is_refused_at_once():
    from bptui.core.teaching.quiz import parse_answer

    with guard(5):
        for text in ("1" * 100_000 + "x", "1" * 5000 + "/" + "1" * 5000 + "x", "1" * 99 + "x"):
            with pytest.raises(ValueError, match="not a number"):
                parse_answer(text)
    assert parse_answer("1.5e3/2") == 750.0 and parse_answer("−.5") == -0.5


# -- the app needs a terminal ---------------------------------------------------------------------------------
def test_the_app_without_a_terminal_is_one_error(capsys):
    assert "the app needs a terminal" in one_error(capsys, "xor")  # pytest's streams are no terminal


def test_a_served_app_needs_no_terminal(monkeypatch, capsys):
    import bptui.tui.app

    monkeypatch.setenv("TEXTUAL_DRIVER", "textual_serve.driver:WebDriver")
    monkeypatch.setattr(bptui.tui.app, "run", lambda doc, source, spec=None, no_color=False, notation=None: 0)
    assert run(capsys, "xor")[0] == 0

"""One notation, one format (issue 24, items 4 and 6): what a careful student notices in the first ten minutes."""

import re

import pytest

from bptui.cli import main

from .tui_helpers import app_for


async def test_o0_is_written_one_way_before_and_after_the_first_step():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        before = str(app.query_one("#status").render()).splitlines()[-1]
        app.main.action_next()
        await pilot.pause()
        after = str(app.query_one("#status").render()).splitlines()[-1]
    assert before.startswith("o⁽⁰⁾ = [1, x] = [1, 0, 0]"), before
    assert after.startswith("o⁽⁰⁾ = [1, x] = [1, 0, 0]"), after


def test_one_training_example_is_singular(capsys):
    main(["trace", "chain", "--epochs", "1"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("; 1 training example"), first
    main(["trace", "xor", "--epochs", "1"])
    assert capsys.readouterr().out.splitlines()[0].endswith("; 4 training examples")


ASCII_MINUS = re.compile(r"(?<![\w/.])-\d|\de-\d")  # a number's sign or its exponent's, written with a hyphen


@pytest.mark.parametrize("argv", [["check", "xor"], ["check", "lecture13"], ["check", "regression"],
                                  ["train", "regression", "--epochs", "3"], ["train", "xor", "--epochs", "2"]])
def test_text_output_writes_the_real_minus(capsys, argv):
    main(argv)
    out = capsys.readouterr().out
    assert not ASCII_MINUS.search(out), ASCII_MINUS.search(out)
    if argv[0] == "check":  # JSON keeps the numbers a program reads
        main([*argv, "--format", "json"])
        assert "−" not in capsys.readouterr().out


def test_a_failing_check_writes_the_real_minus(capsys, monkeypatch):
    from .test_check import _break_derivative

    _break_derivative(monkeypatch, "tanh", 1.01)
    assert main(["check", "xor"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and not ASCII_MINUS.search(out), ASCII_MINUS.search(out)

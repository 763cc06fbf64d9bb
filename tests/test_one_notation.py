"""One notation, one format (issue 24, items 4 and 6): what a careful student notices in the first ten minutes."""

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
    from bptui.cli import main

    main(["trace", "chain", "--epochs", "1"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("; 1 training example"), first
    main(["trace", "xor", "--epochs", "1"])
    assert capsys.readouterr().out.splitlines()[0].endswith("; 4 training examples")

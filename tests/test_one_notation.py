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


async def test_after_an_update_o0_is_the_input_the_next_step_reads():
    """After xor's update the status read `o⁽⁰⁾ = [1, x] = [1, 1, 1] · next: s⁽¹⁾ (forward)`: example 4's
    input beside the step that computes s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾ from example 1's, [1, 0, 0] (iris after its
    first mini-batch: example 10's beside example 59's s⁽¹⁾). The o⁽⁰⁾ beside `next: s⁽¹⁾` is the one
    that step reads, the equation's own."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_to_epoch_end()
        await pilot.pause()
        assert app.main.stepper.where().phase == "update" and app.main.stepper.where().next.phase == "forward"
        status = str(app.query_one("#status").render()).splitlines()[-1]
        app.main.action_next()
        await pilot.pause()
        after = str(app.query_one("#status").render()).splitlines()[-1]
    assert after.startswith("o⁽⁰⁾ = [1, x] = [1, 0, 0]"), after
    assert status.startswith("o⁽⁰⁾ = [1, x] = [1, 0, 0]") and "next: s⁽¹⁾" in status, status


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


def test_the_check_help_writes_the_rule_as_the_check_does(capsys):
    """`bptui check --help` wrote its pass rule `|g − fd| > atol + 1e-6·|fd|` with a hyphen in the
    exponent beside a real minus, where the check's own output writes `1e−6·|fd|`; a value a user
    types (`default 1e-3`) keeps the hyphen the shell takes."""
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    main(["check", "xor"])
    out = capsys.readouterr().out
    assert "1e−6·|fd|" in out and "atol + 1e−6·|fd|" in helped, helped
    assert not ASCII_MINUS.search(helped), ASCII_MINUS.search(helped)


def test_a_failing_check_writes_the_real_minus(capsys, monkeypatch):
    from .test_check import _break_derivative

    _break_derivative(monkeypatch, "tanh", 1.01)
    assert main(["check", "xor"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and not ASCII_MINUS.search(out), ASCII_MINUS.search(out)


async def test_a_shuffled_example_says_its_place_in_the_epoch():
    from bptui.core.formulas.notation import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 112, 120)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "112th", "120th"]
    app = app_for("iris")
    async with app.run_test(size=(120, 40)) as pilot:
        order = app.main.stepper.schedule.order(1)
        for place in (1, 2):  # before the first step, then on the second example's first step
            status = str(app.query_one("#status").render()).splitlines()[1]
            assert f"example {order[place - 1] + 1} of 120, {ordinal(place)} this epoch:" in status, status
            app.main.action_to_backward_end()
            app.main.action_next()
            await pilot.pause()
    assert order[0] + 1 == 116  # the manual's example: iris's first example of epoch 1 is example 116


async def test_data_order_says_no_place():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)):
        status = str(app.query_one("#status").render()).splitlines()[1]
    assert "example 1 of 4: x = " in status and "this epoch" not in status


def _xor_with_weights(W1):
    import json

    from bptui.core.formats.spec import parse

    from .conftest import NETWORKS

    doc = json.loads((NETWORKS / "xor.json").read_text())
    doc["weights"][0] = W1
    return parse(doc, "xor.json")


@pytest.mark.parametrize("W1,shown,scientific", [
    ([[0.069, 0.5, -0.4], [-0.2, 0.3, 0.6]], ["0.0690", "0.5000", "−0.4000"], False),  # two digits at 4 decimals
    ([[0.069, 0.0004, -0.4], [-0.2, 0.3, 0.6]], ["0.06900", "0.00040", "−0.40000"], False),  # one more decimal fits
    ([[0.069, 0.00004, -0.4], [-0.2, 0.3, 0.6]], ["6.90e−2", "4.00e−5", "−4.00e−1"], True),  # 0.000040 would not
])
async def test_a_matrix_keeps_fixed_decimals_where_they_fit(W1, shown, scientific):
    from bptui.tui.app import BptuiApp
    from bptui.tui.sheet import LayerSheet

    app = BptuiApp(_xor_with_weights(W1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        sheet = app.main.query_one("#layer-1", LayerSheet)
        text = "\n".join(sheet.render_line(y).text for y in range(sheet.size.height))
    assert all(value in text for value in shown), text
    assert ("e−" in text) == scientific, text


@pytest.mark.parametrize("name,drawn", [("long_memory", None), ("xor", "DecisionMap"), ("regression", "FitPlot")])
async def test_the_training_screen_gives_a_missing_maps_room_to_the_loss_curve(name, drawn):
    from bptui.tui.plots import LossCurve
    from bptui.tui.training import TrainScreen

    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_train()
        await pilot.pause()
        app.screen.query_one("#value").value = "2"
        await pilot.press("enter")
        assert isinstance(app.screen, TrainScreen)
        await app.workers.wait_for_complete()
        row = app.screen.query_one("#train-row")
        for _ in range(200):  # until the screen is laid out (a count of pauses, not a time limit)
            if row.region.width:
                break
            await pilot.pause()
        shown = [type(w).__name__ for w in row.children if not isinstance(w, LossCurve)]
        widths = app.screen.query_one(LossCurve).region.width, row.region.width
    assert shown == ([] if drawn is None else [drawn])
    assert widths == ((120, 120) if drawn is None else (60, 120))  # no map: the loss curve has the whole row


async def test_a_hidden_layers_f_prime_is_written_on_its_units_everywhere(capsys):
    """o⁽¹⁾ has the bias entry and three values; f′ works on its two units, o⁽¹⁾[1:], in the app, trace, export
    and help alike."""
    from bptui.tui.help import HelpScreen

    written = "(1 − o⁽¹⁾[1:]⊙o⁽¹⁾[1:])"
    main(["trace", "xor", "--epochs", "1"])
    trace = [line for line in capsys.readouterr().out.splitlines() if "δ⁽¹⁾ = " in line]
    assert trace and all(written in line for line in trace), trace
    main(["export", "xor", "--format", "latex"])
    latex = capsys.readouterr().out
    assert r"f'(s^{(1)}) = 1 - {o^{(1)}}_{1:} \odot {o^{(1)}}_{1:}" in latex and r"1 - o^{(1)} \odot" not in latex
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(8):  # step 8: δ⁽¹⁾
            app.main.action_next()
        await pilot.pause()
        equation = str(app.query_one("#equation").render())
        app.main.action_help()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
    assert equation.startswith(f"δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾)[1:] ⊙ {written} = "), equation
    assert "f′(s⁽¹⁾) = 1 − o⁽¹⁾[1:]⊙o⁽¹⁾[1:]" in help_text


async def test_a_hidden_layer_offers_only_the_hidden_activations():
    from textual.widgets import Select

    from bptui.core.ops.activations import ACTIVATIONS
    from bptui.tui.settings import SettingsScreen

    app = app_for("moons")  # 2-8-1: a hidden layer and the output
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        offered = [[value for _, value in app.screen.query_one(f"#activation-{l}", Select)._options]
                   for l in (1, 2)]
    assert "softmax" not in offered[0] and offered[0] == [n for n, a in ACTIVATIONS.items() if a.hidden]
    assert offered[1] == list(ACTIVATIONS) and "softmax" in offered[1]


def _header(app) -> str:
    return str(app.main.query_one("#status").render()).splitlines()[0]


async def test_the_header_names_data_the_settings_chose():
    from .test_settings_tui import apply, apply_settings, open_settings, put

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await apply_settings(pilot, app, learning_rate="0.2")  # the file's own data kept: the header as before
        assert _header(app).startswith("xor · 2-2-1 · squared loss"), _header(app)
        await apply_settings(pilot, app, generator="circle", **{"units-1": "4"})
        assert _header(app).startswith("xor · circle data · 2-4-1 · "), _header(app)
        screen = await open_settings(pilot, app)
        from bptui.core.formats import settings as S

        put(screen, "generator", S.FILE_DATA)  # back to the file's data
        await apply(pilot, app)
        assert _header(app).startswith("xor · 2-4-1 · "), _header(app)


async def test_the_training_screen_names_data_the_settings_chose():
    from .test_settings_tui import apply_settings

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await apply_settings(pilot, app, generator="circle")
        await pilot.press("t")
        app.screen.query_one("#value").value = "3"
        await pilot.press("enter")
        await pilot.pause()
        title = str(app.screen.query_one("#train-title").render())
        await app.workers.wait_for_complete()
    assert title.startswith("Training xor · circle data · epochs 1–3 · "), title


@pytest.mark.parametrize("change_settings, target", [
    (False, "the file's weights"), (True, "the weights the settings were applied with (s)")])
async def test_after_training_the_message_names_the_weights_r_returns_to(change_settings, target):
    from .test_settings_tui import apply_settings, message

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        if change_settings:
            await apply_settings(pilot, app, learning_rate="0.2")
        await pilot.press("t")
        app.screen.query_one("#value").value = "1"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")  # back to the stepper
        for _ in range(100):  # until the network screen has said it (a count of pauses, not a time)
            if "Stepping from" in message(app):
                break
            await pilot.pause()
        since = "the settings were applied" if change_settings else "the file's"
        assert message(app) == f"Stepping from the trained weights (after 1 epoch; 1 since {since}). r returns to {target}.", message(app)
        await pilot.press("r")
        assert message(app) == f"Reset to {target}."

"""The settings screen (s) in the app: each setting changed in the dialog and applied reaches the
stepper's spec and weights and the message line; bad values show the file's message beside their
field and change nothing; Esc changes nothing; apply, save with w, reload: the same network."""

import numpy as np
import pytest
from textual.widgets import Input, Label, Select

from bptui.core.formats import settings as S
from bptui.core.formats.data import POINT_GENERATORS
from bptui.core.formats.spec import load, parse
from bptui.core.engine.stepper import Stepper
from bptui.tui.network import NetworkScreen
from bptui.tui.settings import SettingsScreen

from .conftest import NETWORKS
from .tui_helpers import app_for


def message(app) -> str:
    return str(app.screen.query_one("#message").render())


async def open_settings(pilot, app) -> SettingsScreen:
    await pilot.press("s")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


async def apply(pilot, app) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.pause()
    assert isinstance(app.screen, NetworkScreen)


def put(screen, wid: str, value) -> None:
    widget = screen.query_one(f"#{wid}")
    widget.value = value


async def apply_settings(pilot, app, **values) -> None:
    """Open the settings, type each field's value (by widget id), apply them."""
    screen = await open_settings(pilot, app)
    for wid, value in values.items():
        put(screen, wid, value)
    await apply(pilot, app)


async def test_a_typed_learning_rate_restarts_from_the_weights_on_screen():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u")  # through the first update: the weights on screen are no longer the file's
        on_screen = [w.copy() for w in app.stepper.weights]
        screen = await open_settings(pilot, app)
        assert screen.focused is screen.query_one("#optimizer")
        await pilot.press("tab")  # the learning rate
        assert screen.focused is screen.query_one("#learning_rate")
        await pilot.press("ctrl+a", "shift+end", *"0.1", "enter")  # Enter moves on, as Tab does
        await pilot.pause()
        assert app.screen is screen and screen.focused is screen.query_one("#l2")
        await pilot.press("ctrl+s")  # ctrl+s applies
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, NetworkScreen) and app.screen is app.main
        spec, stepper = app.stepper.spec, app.stepper
        assert spec.learning_rate == 0.1 and spec.optimizer.learning_rate == 0.1 and app.spec is spec
        assert stepper.position == 0 and stepper.last is None
        for a, b in zip(stepper.weights, on_screen):
            np.testing.assert_array_equal(a, b)
        assert message(app) == ("Settings applied (η 0.5 → 0.1). Restarted at step 0 from the weights on screen; "
                                "optimizer state reset.")
        assert "η = 0.1" in str(app.screen.query_one("#status").render())
        # r resets to the weights the settings started from, not to the file's
        await pilot.press("n", "n", "r")
        assert message(app) == "Reset to the weights the settings were applied with (s)."
        for a, b in zip(app.stepper.weights, on_screen):
            np.testing.assert_array_equal(a, b)


TRAINING_CASES = [
    ({"l2": "0.01"}, lambda s: s.l2 == 0.01, "λ 0 → 0.01"),
    ({"optimizer": "momentum", "momentum": "0.5"}, lambda s: (s.optimizer.name, s.optimizer.momentum) == ("momentum", 0.5),
     "optimizer sgd → momentum; μ 0.5"),
    ({"optimizer": "adam", "beta1": "0.8", "beta2": "0.99", "eps": "1e-6"},
     lambda s: (s.optimizer.name, s.optimizer.beta1, s.optimizer.beta2, s.optimizer.eps) == ("adam", 0.8, 0.99, 1e-6),
     "optimizer sgd → adam; β₁ 0.8; β₂ 0.99; ε 1e−6"),
    ({"update": "mini_batch", "batch_size": "2"}, lambda s: (s.update, s.batch_size) == ("mini_batch", 2),
     "update full_batch → mini-batches of 2"),
    ({"update": "per_example"}, lambda s: s.update == "per_example", "update full_batch → per_example"),
    ({"shuffle_seed": "5"}, lambda s: s.shuffle_seed == 5, "shuffle seed 5"),
    ({"epochs": "40"}, lambda s: s.epochs == 40, "epochs 500 → 40"),
    ({"loss": "half_squared"}, lambda s: s.loss == "half_squared", "loss squared → half_squared"),
    ({"activation-1": "leaky_relu", "alpha-1": "0.2"}, lambda s: (s.activations[0], s.alphas[0]) == ("leaky_relu", 0.2),
     "f⁽¹⁾ tanh → leaky_relu α = 0.2"),
    ({"activation-2": "identity"}, lambda s: s.activations[1] == "identity", "f⁽²⁾ sigmoid → identity"),
    ({"standardize": True}, lambda s: np.allclose(s.inputs.mean(axis=0), 0), "data standardize: no → yes"),
]


@pytest.mark.parametrize("values, holds, said", TRAINING_CASES, ids=[str(list(c[0])) for c in TRAINING_CASES])
async def test_each_setting_reaches_the_stepper_and_the_message(values, holds, said):
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        for wid, value in values.items():
            put(screen, wid, value)
            await pilot.pause()
        await apply(pilot, app)
        spec = app.stepper.spec
        assert holds(spec)
        assert message(app).startswith(f"Settings applied ({said})")
        for a, b in zip(app.stepper.weights, load(NETWORKS / "xor.json").weights):  # the layers did not change
            np.testing.assert_array_equal(a, b)
        for state in app.stepper.state.opt[1:]:  # the optimizer's state starts again
            assert state.t == 0 and all(not a.any() for a in state.arrays().values())
            assert (state.m is not None) == (spec.optimizer.name == "adam")
        app.screen.action_to_update()  # it steps with the new settings
        await pilot.pause()
        reference = Stepper(spec)
        reference.run_until(lambda s: s.key.phase == "update" and s.key.layer == spec.L)
        for a, b in zip(app.stepper.weights, reference.weights):
            np.testing.assert_array_equal(a, b)


async def test_the_hyper_parameters_shown_follow_the_optimizer_and_the_update_mode():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        shown = lambda wid: any(row.display for row in screen.query(f"#row-{wid}"))  # noqa: E731  (built when first shown)
        assert not any(shown(f"training-{k}") for k in ("momentum", "beta1", "beta2", "eps", "update-batch_size"))
        put(screen, "optimizer", "adam")
        put(screen, "update", "mini_batch")
        await pilot.pause()
        assert [shown(f"training-{k}") for k in ("momentum", "beta1", "beta2", "eps", "update-batch_size")] == \
            [False, True, True, True, True]


async def test_a_wider_layer_keeps_the_weights_on_screen_and_says_which():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        put(screen, "units-1", "3")
        await apply(pilot, app)
        spec = app.stepper.spec
        file = load(NETWORKS / "xor.json")
        assert spec.widths == (2, 3, 1)
        np.testing.assert_array_equal(spec.weights[0][:2], file.weights[0])
        np.testing.assert_array_equal(spec.weights[1][:, :3], file.weights[1])
        np.testing.assert_array_equal(spec.weights[0][2], S.layer_rng(0, 1).uniform(-0.5, 0.5, size=(3, 3))[2])
        said = message(app)
        assert "layers 2-2-1 → 2-3-1" in said
        assert "W⁽¹⁾ 3×3 (was 2×3): kept w_b,a for b ≤ 2, a ≤ 2 (6 weights); drew 3 from U(−0.5, 0.5), " \
               "default_rng([0, 1])" in said
        # the panels follow the new width, and the provenance of a drawn weight says where it came from
        assert len(app.screen.query("#layer-1")) == 1
        assert "drawn when the settings were applied" in app.stepper.provenance(1, 2, 0).text()


async def test_adding_and_removing_a_hidden_layer():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query_one("#add-layer").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#units-2", Input).value == "2" and len(screen.query("#layer-rows .row")) == 3
        put(screen, "units-2", "4")
        put(screen, "activation-2", "relu")
        await apply(pilot, app)
        spec = app.stepper.spec
        assert spec.widths == (2, 2, 4, 1) and spec.activations == ("tanh", "relu", "sigmoid")
        assert "W⁽²⁾ 4×3 (a new layer): drew all 12 weights" in message(app)
        assert len(app.screen.query("#layer-3")) == 1
        # and remove layer 1: layer 2 (relu, 4 units) is the first hidden layer now
        screen = await open_settings(pilot, app)
        screen.query_one("#remove-1").focus()
        await pilot.press("enter")
        await pilot.pause()
        await apply(pilot, app)
        spec2 = app.stepper.spec
        assert spec2.widths == (2, 4, 1) and spec2.activations == ("relu", "sigmoid")
        np.testing.assert_array_equal(spec2.weights[1], spec.weights[2])  # the output layer kept its weights
        # the new layer 1 (the old layer 2) has the inputs below it now: its biases kept, the rest drawn
        np.testing.assert_array_equal(spec2.weights[0][:, 0], spec.weights[1][:, 0])
        np.testing.assert_array_equal(spec2.weights[0][:, 1:], S.layer_rng(0, 2).uniform(-0.5, 0.5, size=(4, 3))[:, 1:])
        assert "as the layer below is the input now, not layer 1" in message(app)


async def test_a_generator_with_its_parameters():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        put(screen, "generator", "sine")
        await pilot.pause()
        assert screen.query_one("#input-units", Input).value == "1"  # the data decides d⁽⁰⁾
        for key, value in (("n", "30"), ("noise", "0.05"), ("seed", "3"), ("test_fraction", "0.1")):
            put(screen, f"data-{key}", value)
        put(screen, "activation-2", "identity")
        await apply(pilot, app)
        spec = app.stepper.spec
        data = {"generator": "sine", "n": 30, "noise": 0.05, "seed": 3, "test_fraction": 0.1}
        reference = parse({"layers": [{"units": 1}, {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
                           "data": data}, "r.json")
        np.testing.assert_array_equal(spec.inputs, reference.inputs)
        np.testing.assert_array_equal(spec.test_targets, reference.test_targets)
        assert spec.widths == (1, 2, 1) and spec.N == 27
        said = message(app)
        assert "data: the sine generator (was the file's data)" in said and "data n 30" in said
        # back to the file's data
        screen = await open_settings(pilot, app)
        assert screen.query_one("#generator", Select).value == "sine"
        put(screen, "generator", S.FILE_DATA)
        await pilot.pause()
        assert screen.query_one("#input-units", Input).value == "2"
        await apply(pilot, app)
        np.testing.assert_array_equal(app.stepper.spec.inputs, load(NETWORKS / "xor.json").inputs)


@pytest.mark.parametrize("wid, typed, place, said", [
    ("learning_rate", "abc", "training.learning_rate", '"abc" is not a number'),
    ("learning_rate", "0", "training.learning_rate", "0 must be greater than 0"),
    ("units-1", "0", "layers[1].units", "0 is below the minimum 1"),
    ("loss", "cross_entropy", "loss", None),  # fine: sigmoid output and 0/1 targets
    ("init-scale", "-1", "init.scale", "-1 must be greater than 0"),
])
async def test_invalid_values_show_the_files_message_and_do_not_apply(wid, typed, place, said):
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.stepper
        screen = await open_settings(pilot, app)
        put(screen, wid, typed)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        if said is None:
            assert isinstance(app.screen, NetworkScreen)
            return
        assert app.screen is screen and app.stepper is before
        assert screen.error_beside(place) == said
        assert str(screen.query_one("#settings-error", Label).render()) == f"Not applied: {place}{'.activation' if wid.startswith('activation') else ''}: {said}"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main and app.stepper is before
        assert message(app) == "Settings unchanged."


async def test_the_messages_are_those_of_a_file():
    """The same candidate, written as a file and loaded, fails with the same words."""
    app = app_for("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        put(screen, "data-noise", "-0.5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = screen.error_beside("data.noise")
    raw = load(NETWORKS / "moons.json").raw
    with pytest.raises(S.SpecError) as err:
        parse({**raw, "data": {**raw["data"], "noise": -0.5}}, "m.json")
    assert shown == err.value.message


async def test_escape_changes_nothing():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n")
        before, position = app.stepper, app.stepper.position
        screen = await open_settings(pilot, app)
        put(screen, "learning_rate", "0.9")
        put(screen, "units-1", "5")
        await pilot.press("escape")
        await pilot.pause()
        assert app.stepper is before and app.stepper.position == position and app.spec.learning_rate == 0.5
        assert message(app) == "Settings unchanged."


async def test_apply_save_reload_is_the_same_network(tmp_path, monkeypatch):
    app = app_for("moons")
    target = tmp_path / "mine.json"
    monkeypatch.chdir(tmp_path)  # a name to type, not a long path: the pilot waits after every key
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("u")
        screen = await open_settings(pilot, app)
        for wid, value in (("units-1", "5"), ("activation-1", "elu"), ("alpha-1", "0.5"), ("optimizer", "adam"),
                           ("learning_rate", "0.01"), ("shuffle_seed", "4"), ("generator", "spiral"),
                           ("data-n", "60"), ("init-seed", "2")):
            put(screen, wid, value)
            await pilot.pause()
        await apply(pilot, app)
        await pilot.press("w", "ctrl+u", *target.name, "enter")
        await pilot.pause()
        assert "Saved" in message(app)
        spec = app.stepper.spec
    again = load(target)
    for name in ("widths", "activations", "alphas", "loss", "learning_rate", "update", "batch_size", "l2", "epochs",
                 "optimizer", "shuffle_seed"):
        assert getattr(again, name) == getattr(spec, name), name
    for a, b in zip(again.weights, spec.weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.inputs, spec.inputs)
    np.testing.assert_array_equal(again.test_inputs, spec.test_inputs)
    s1, s2 = Stepper(spec), Stepper(again)
    for _ in range(len(s1.schedule) + 5):
        x, y = s1.forward(), s2.forward()
        assert x.key == y.key
        np.testing.assert_array_equal(np.asarray(x.value), np.asarray(y.value))


async def test_the_command_palette_opens_a_section():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"settings data")
        await pilot.pause()
        await app.workers.wait_for_complete()  # the palette's search
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.focused is app.screen.query_one("#generator")


async def test_a_convolutional_network_changes_what_applies():
    app = app_for("edges")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        assert "map layers" in " ".join(str(l.render()) for l in screen.query(".note"))
        assert not screen.query("#add-layer") and not screen.query("#input-units")
        put(screen, "learning_rate", "0.3")
        put(screen, "data-n", "40")
        await apply(pilot, app)
        spec = app.stepper.spec
        assert spec.learning_rate == 0.3 and spec.widths == load(NETWORKS / "edges.json").widths
        assert message(app).startswith("Settings applied (η ")


async def test_the_options_are_the_cores_tables():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)

        def options(wid):
            return [str(value) for _, value in screen.query_one(f"#{wid}", Select)._options]

        assert options("activation-1") == list(S.HIDDEN_ACTIVATION_NAMES)  # a hidden layer's
        assert options("activation-2") == list(S.ACTIVATION_NAMES)  # the output's
        assert options("loss") == list(S.LOSS_NAMES)
        assert options("optimizer") == list(S.OPTIMIZER_NAMES)
        assert options("update") == list(S.UPDATE_MODES)
        assert options("generator") == [S.FILE_DATA, *POINT_GENERATORS]


async def test_a_csv_files_split_and_seed():
    app = app_for("iris")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        assert screen.query_one("#generator", Select).value == S.FILE_DATA
        assert not screen.query("#row-data-n") and screen.query_one("#row-data-test_fraction").display  # n: built when shown
        put(screen, "data-test_fraction", "0.5")
        put(screen, "data-seed", "1")
        await apply(pilot, app)
        spec = app.stepper.spec
        assert spec.N == 75 and len(spec.test_inputs) == 75
        assert "data seed 0 → 1" in message(app) and "data test fraction 0.2 → 0.5" in message(app)
        # a generator, then the CSV file's data again: d⁽⁰⁾ follows
        screen = await open_settings(pilot, app)
        put(screen, "generator", "gauss")
        await pilot.pause()
        assert screen.query_one("#input-units", Input).value == "2"
        put(screen, "generator", S.FILE_DATA)
        await pilot.pause()
        assert screen.query_one("#input-units", Input).value == "4"


async def test_applying_ends_the_quiz():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("z", "n", "escape", "n")  # a question skipped, the next one open
        assert app.main.quizzing and app.main.asked is not None
        await pilot.press("escape")  # s would go into the answer: skip the question first
        screen = await open_settings(pilot, app)
        put(screen, "learning_rate", "1")
        await apply(pilot, app)
        assert not app.main.quizzing and app.main.asked is None and app.stepper.position == 0
        assert message(app).startswith("Settings applied (η 0.5 → 1)")
        await pilot.press("n")  # steps again
        assert app.stepper.position == 1


async def test_inits_seed_and_scale_draw_the_new_weights():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        put(screen, "units-1", "4")
        put(screen, "init-seed", "5")
        put(screen, "init-scale", "0.1")
        await apply(pilot, app)
        W1 = app.stepper.spec.weights[0]
        drawn = np.random.default_rng([5, 1]).uniform(-0.1, 0.1, size=(4, 3))
        np.testing.assert_array_equal(W1[2:], drawn[2:])
        assert np.abs(W1[2:]).max() <= 0.1
        said = message(app)
        assert "init seed 0 → 5" in said and "init scale 0.5 → 0.1" in said
        assert "drew 6 from U(−0.1, 0.1), default_rng([5, 1])" in said


async def test_a_recurrent_layers_activation_can_be_changed():
    """parity: f⁽¹⁾ of the rnn layer is in the dialog (only pooling layers have no f); relu applied reaches
    the spec, the message and the steps through time, with the weights W and U on screen kept."""
    app = app_for("parity")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        notes = " ".join(str(l.render()) for l in screen.query(".note"))
        assert "no activation" not in notes and "a recurrent layer (rnn" in notes and "map layers" not in notes
        assert screen.query_one("#activation-1", Select).value == "tanh"
        put(screen, "activation-1", "relu")
        await pilot.pause()
        await apply(pilot, app)
        spec = app.stepper.spec
        assert tuple(spec.activations) == ("relu", "sigmoid") and spec.layer_kinds[0].type == "rnn"
        assert message(app).startswith("Settings applied (f⁽¹⁾ tanh → relu)")
        for a, b in zip(app.stepper.weights, load(NETWORKS / "parity.json").weights):
            np.testing.assert_array_equal(a, b)
        assert S.document(spec, S.current(spec))["layers"][1]["activation"] == "relu"
        await pilot.press("n", "n")  # s⁽¹⁾₁ then o⁽¹⁾₁ = relu(s⁽¹⁾₁)
        st = app.stepper.state
        np.testing.assert_array_equal(st.o[1][1], np.maximum(st.s[1][0], 0.0))
        assert (st.s[1][0] < 0).any()  # relu cuts something here, unlike tanh

"""The settings dialog as a newcomer uses it: empty fields, Enter, applying nothing, fixed layers
named by their kind, only the generators that fit, errors that go when their field is edited, the
message's words, the saved file's description, the palette's section in view."""

import json

import numpy as np
import pytest
from textual.widgets import Input, Label, Select

from bptui.core.formats import settings as S
from bptui.core.formats.data import IMAGE_GENERATORS, POINT_GENERATORS, generator_shape, image_classes
from bptui.core.formats.spec import load
from bptui.tui.network import NetworkScreen
from bptui.tui.settings import SettingsScreen

from .conftest import NETWORKS
from .tui_helpers import app_for, until


def message(app) -> str:
    return str(app.screen.query_one("#message").render())


async def open_settings(pilot, app) -> SettingsScreen:
    await pilot.press("s")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


def bottom_error(screen) -> str:
    return str(screen.query_one("#settings-error", Label).render())


# every class of required field: a training float, a training int, an optimizer's hyper-parameter,
# the batch size, a layer's width, the input width, init, the generator's parameters
EMPTY_CASES = [
    ("xor", {}, "learning_rate", "training.learning_rate", "type a value (the file's default is 0.1)"),
    ("xor", {}, "l2", "training.l2", "type a value (the file's default is 0.0)"),
    ("xor", {}, "epochs", "training.epochs", "type a value (the file's default is 100)"),
    ("xor", {"optimizer": "momentum"}, "momentum", "training.momentum", "type a value (the file's default is 0.9)"),
    ("xor", {"optimizer": "adam"}, "eps", "training.eps", "type a value (the file's default is 1e-08)"),
    ("xor", {"update": "mini_batch"}, "batch_size", "training.update.batch_size", "type a value"),
    ("xor", {}, "units-1", "layers[1].units", "type a value"),
    ("xor", {}, "input-units", "layers[0]", "type a value"),
    ("xor", {}, "init-scale", "init.scale", "type a value (the file's default is 0.5)"),
    ("moons", {}, "data-n", "data.n", "type a value (the file's default is 200)"),
    ("moons", {}, "data-noise", "data.noise", "type a value (the file's default is 0.1)"),
    ("edges", {}, "learning_rate", "training.learning_rate", "type a value (the file's default is 0.1)"),
]


@pytest.mark.parametrize("name", sorted({c[0] for c in EMPTY_CASES}))
async def test_an_empty_required_field_is_an_error_naming_the_default(name):
    """Each case in a dialog of its own (opened with s, left with Esc), in one app per network: the
    app's start-up is the slow part, and a case that changes nothing leaves the app as it found it."""
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.stepper
        for case, first, wid, place, said in (c for c in EMPTY_CASES if c[0] == name):
            where = f"{case} {wid}"
            screen = await open_settings(pilot, app)
            for key, value in first.items():
                screen.query_one(f"#{key}").value = value  # type: ignore[attr-defined]
                await pilot.pause()
            screen.query_one(f"#{wid}", Input).value = "  "
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen and app.stepper is before, where  # nothing applied, no default filled in
            assert screen.error_beside(place) == said, where
            assert bottom_error(screen) == f"Not applied: {place}: {said}", where
            assert screen.focused is screen.query_one(f"#{wid}"), where
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.main and app.stepper is before, where


async def test_the_optional_fields_may_stay_empty_and_say_what_empty_means():
    """The shuffle seed (empty: in order) and α (empty: the activation's default) are optional."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        assert screen.query_one("#shuffle_seed", Input).placeholder == "none: in order"
        screen.query_one("#activation-1", Select).value = "leaky_relu"
        await pilot.pause()
        alpha = screen.query_one("#alpha-1", Input)
        assert alpha.value == "" and alpha.placeholder == "α 0.01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, NetworkScreen)
        spec = app.stepper.spec
        assert spec.shuffle_seed is None and spec.activations[0] == "leaky_relu" and spec.alphas[0] == 0.01


async def test_enter_moves_to_the_next_field_and_never_applies():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.stepper
        screen = await open_settings(pilot, app)
        screen.set_focus(screen.query_one("#learning_rate"))
        await pilot.press("ctrl+a", "shift+end", *"0.3", "enter")
        await pilot.pause()
        assert app.screen is screen and screen.focused is screen.query_one("#l2")
        await pilot.press("enter", "enter")  # λ → update → (Select: Enter opens it) — still the dialog
        await pilot.pause()
        assert app.screen is screen and app.stepper is before
        assert "ctrl+s or Apply: apply, from step 0" in str(screen.query_one("#settings-hint", Label).render())


async def test_applying_with_nothing_changed_keeps_the_stepper_where_it_was():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "n")
        await pilot.pause()
        stepper, position = app.stepper, app.stepper.position
        assert position == 3
        await open_settings(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, NetworkScreen)
        assert app.stepper is stepper and stepper.position == position
        assert message(app) == "Nothing changed; the stepper stays where it was."


async def test_a_fixed_layer_is_named_by_its_kind():
    app = app_for("edges")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        names = [str(row.render()) for row in screen.query("#layer-rows .row")]
        assert names == ["layer 1: conv2d 2 filters 3×3", "layer 2: maxpool2d 2×2", "layer 3 (output): dense 1 unit"]
        note = " ".join(str(l.render()) for l in screen.query(".note"))
        assert "map layers (conv2d, maxpool2d)" in note and "rnn" not in note
        assert not any(w.display for w in screen.query("#layer-rows Input.-textual-compact").exclude(".alpha"))


async def test_a_recurrent_network_says_what_is_fixed_and_shows_the_rnn_width():
    app = app_for("parity")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        note = " ".join(str(l.render()) for l in screen.query(".note"))
        assert "recurrent layer (rnn" in note and "map layers" not in note and "conv2d" not in note
        names = [str(row.render()) for row in screen.query("#layer-rows .row")]
        assert names[0] == "layer 1: rnn 4 units" and names[1] == "layer 2 (output): dense 1 unit"


@pytest.mark.parametrize("name", ["edges", "parity", "shapes", "xor"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_no_row_label_wraps(name, size):
    app = app_for(name)
    async with app.run_test(size=size) as pilot:
        screen = await open_settings(pilot, app)
        await pilot.pause()
        for row in screen.query("#settings-body .row"):  # its name ends before its first field
            first = row.query_children(".first")
            if row.display and first:
                assert len(str(row.render())) < first.first().region.x - row.region.x, str(row.render())


def fits(spec, g: str) -> bool:
    """A generator fits fixed layers when the generators' table says so (core/formats/data.py)."""
    if g in IMAGE_GENERATORS:
        return spec.input_shape[0] == 1 and spec.widths[-1] in image_classes(g)
    n_in, outs = generator_shape(g)
    return n_in == spec.widths[0] and spec.widths[-1] in outs


@pytest.mark.parametrize("name", ["edges", "shapes", "parity", "two_channel"])
async def test_only_the_generators_that_fit_a_fixed_network_are_offered(name):
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        offered = [str(v) for _, v in screen.query_one("#generator", Select)._options]
        spec = app.stepper.spec
        names = S.generator_names(spec) if name != "parity" else ()  # no generator makes sequences
        assert [g for g in offered if g != S.FILE_DATA] == [g for g in names if fits(spec, g)]
        if name == "edges":
            assert offered == ["edges"]  # not shapes: 3 classes, and the output layer has 1 unit
        if name in ("parity", "two_channel"):
            assert offered == [S.FILE_DATA]  # no generator makes sequences, or images of 2 channels
        if name == "shapes":
            assert offered == ["shapes"]


@pytest.mark.parametrize("path", sorted(NETWORKS.glob("*.json")), ids=lambda p: p.stem)
def test_every_generator_offered_to_a_fixed_network_applies(path):
    if "layers" not in json.loads(path.read_text()):
        return  # an expression graph: no settings screen
    spec = load(path)
    if S.layers_editable(spec):
        return
    screen = SettingsScreen(spec, spec.weights)
    c = S.current(spec)
    for g in screen.generators():
        data = {"generator": g, "n": 12, "noise": 0.1, "seed": 0, "test_fraction": 0.25, "standardize": False}
        applied = S.apply(spec, spec.weights, S.Choices(c.training, c.loss, c.init, c.input_units, c.layers, data))
        assert applied.spec.N == 9


async def test_the_output_width_follows_a_generator_on_a_network_of_dense_layers():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query_one("#units-2", Input).value = "3"
        screen.query_one("#generator", Select).value = "sine"
        await pilot.pause()
        assert screen.query_one("#input-units", Input).value == "1"
        assert screen.query_one("#units-2", Input).value == "1"  # sine fills one output unit
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert app.stepper.spec.widths == (1, 2, 1)


async def test_an_error_goes_when_its_field_is_edited():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query_one("#units-1", Input).value = "0"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.error_beside("layers[1].units") == "0 is below the minimum 1"
        screen.query_one("#l2", Input).value = "0.001"  # another field: the error stays
        await pilot.pause()
        assert screen.error_beside("layers[1].units") == "0 is below the minimum 1"
        screen.query_one("#units-1", Input).value = "3"
        await pilot.pause()
        assert screen.error_beside("layers[1].units") == "" and bottom_error(screen) == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert app.stepper.spec.widths == (2, 3, 1)


async def test_the_message_speaks_words_and_the_saved_file_describes_the_new_network(tmp_path, monkeypatch):
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query_one("#standardize", Select).value = True
        screen.query_one("#units-1", Input).value = "3"
        screen.query_one("#activation-1", Select).value = "relu"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        said = message(app)
        assert "data standardize: no → yes" in said and "False" not in said and "True" not in said
        target = tmp_path / "changed.json"
        monkeypatch.chdir(tmp_path)  # a name to type, not a long path: the pilot waits after every key
        await pilot.press("w", "ctrl+u", *target.name, "enter")
        await pilot.pause()
    saved = json.loads(target.read_text())
    assert saved["description"] == ("Changed in bptui's settings from xor; now layers 2-3-1 with f = relu, sigmoid, "
                                    "on the file's data.")
    assert "2 tanh hidden units" not in saved["description"]
    assert load(target).description == saved["description"]


def test_a_change_of_training_alone_keeps_the_files_description():
    spec = load(NETWORKS / "xor.json")
    c = S.current(spec)
    applied = S.apply(spec, spec.weights, S.Choices({**c.training, "learning_rate": 0.2}, c.loss, c.init,
                                                    c.input_units, c.layers, c.data))
    assert applied.spec.description == spec.description and applied.spec.raw["description"] == spec.raw["description"]


def test_an_optimizers_dropped_hyper_parameter_says_so():
    spec = load(NETWORKS / "xor.json")
    c = S.current(spec)
    mom = S.apply(spec, spec.weights, S.Choices({**c.training, "optimizer": "momentum", "momentum": 0.9}, c.loss,
                                                c.init, c.input_units, c.layers, c.data)).spec
    back = S.apply(mom, mom.weights, S.current(mom).__class__({**c.training}, c.loss, c.init, c.input_units,
                                                              S.current(mom).layers, c.data))
    assert back.changes == ("optimizer momentum → sgd", "μ dropped (sgd has none)")


@pytest.mark.parametrize("section, title", [("layers", "#layers-title"), ("data", "#data-title")])
async def test_the_palettes_section_is_scrolled_into_view(section, title):
    app = app_for("moons")
    async with app.run_test(size=(80, 24)) as pilot:
        app.main.action_settings(section)
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        body = screen.query_one("#settings-body")
        assert body.scroll_y > 0
        assert screen.query_one(title).region.y >= body.region.y  # the section's title is on screen
        assert screen.query_one(title).region.y < body.region.bottom
        assert np.isfinite(body.scroll_y)


async def test_the_dialog_builds_what_it_shows_and_the_rest_when_shown():
    """Its opening time (issue 24: 0.2 s of CPU on xor, benchmarks/settings_speed.py) is paid per
    widget: the rows hidden by the choices (an optimizer's μ, β₁, β₂, ε; the batch size; a
    generator's n, noise, seed and test fraction) are built when a choice shows them, a list of
    choices when it is opened."""
    from textual.widgets._select import SelectOverlay

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        hidden = ["training-momentum", "training-beta1", "training-beta2", "training-eps",
                  "training-update-batch_size", "data-n", "data-noise", "data-seed", "data-test_fraction"]
        assert not any(screen.query(f"#row-{wid}") for wid in hidden)
        assert not screen.query(SelectOverlay) and len(list(screen.walk_children())) <= 61  # 60, and the notation heading
        assert screen.focused is screen.query_one("#optimizer")
        await pilot.press("enter")  # the optimizer's list, built now
        assert "went wrong" not in str(app.main.query_one("#message").render())
        assert [str(o.prompt) for o in screen.query_one(SelectOverlay).options] == list(S.OPTIMIZER_NAMES)
        await pilot.press(*["down"] * S.OPTIMIZER_NAMES.index("adam"), "enter")
        await pilot.pause()
        assert screen.query_one("#optimizer", Select).value == "adam"
        rows = [row.id for row in screen.query("#settings-body > .row")]
        assert rows[rows.index("row-training-l2") + 1:rows.index("row-training-update")] == \
            ["row-training-beta1", "row-training-beta2", "row-training-eps"]  # in the file's order, with their values
        assert [screen.query_one(f"#{k}", Input).value for k in ("beta1", "beta2", "eps")] == ["0.9", "0.999", "1e-08"]
        screen.query_one("#optimizer", Select).value = "momentum"
        await pilot.pause()
        rows = [row.id for row in screen.query("#settings-body > .row") if row.display]
        assert rows[rows.index("row-training-l2") + 1] == "row-training-momentum" and "row-training-beta1" not in rows


async def test_the_keys_below_a_dialog_are_not_built_again():
    """Textual rebuilds a footer's keys when a screen is pushed over it (its bindings refresh,
    unchanged): 40 ms of the settings dialog's opening."""
    from textual.widgets._footer import FooterKey

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        screen = await open_settings(pilot, app)
        screen.action_cancel()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == keys and keys


# the training rows' names in each profile, by hand: the symbols its equations print (profiles.py's letters)
TRAINING_NAMES = {
    None: ["η learning rate", "λ L2", "μ momentum", "β₁ (Adam)", "β₂ (Adam)", "ε (Adam)"],
    "goodfellow": ["ε learning rate", "λ L2", "α momentum", "ρ₁ (Adam)", "ρ₂ (Adam)", "δ (Adam)"],  # Alg. 8.2, 8.7
    "ng": ["α learning rate", "λ L2", "μ momentum", "β₁ (Adam)", "β₂ (Adam)", "ε (Adam)"],
    "cs231n": ["learning_rate", "λ L2", "μ momentum", "β₁ (Adam)", "β₂ (Adam)", "ε (Adam)"],
}


@pytest.mark.parametrize("notation", list(TRAINING_NAMES))
async def test_the_training_rows_are_named_in_the_apps_notation(notation):
    """The settings' η, μ, β₁, β₂, ε rows carry the symbols the app's notation prints in its equations
    (goodfellow's ε learning rate beside his update W ← W − ε …; his Adam's ρ₁, ρ₂ and δ), the momentum and
    Adam rows too when the optimizer shows them."""
    from bptui.core.engine.equations import step_equation
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    P = PROFILES[notation] if notation else None
    app = BptuiApp(load(NETWORKS / "xor.json"), P)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        seen = {}
        for optimizer in ("momentum", "adam"):
            screen.query_one("#optimizer", Select).value = optimizer
            await pilot.pause()
            seen.update({row.id: str(row.render()) for row in screen.query(".row") if row.display})
        names = [seen[f"row-training-{key}"] for key in ("learning_rate", "l2", "momentum", "beta1", "beta2", "eps")]
        assert names == TRAINING_NAMES[notation]
        await pilot.press("escape")
        stepper = app.stepper
        while True:  # the first update's equation writes the learning rate with the row's symbol
            step = stepper.forward()
            if step.key.phase == "update":
                break
        import re

        assert re.search(rf"− \(?{re.escape(names[0].split()[0])}[ ·]", step_equation(stepper, step))  # − η G, − (α·m) dW


async def test_every_field_stands_under_its_own_sections_heading():
    """The notation row stood under the "loss" heading (as if the loss had a notation); each group of rows
    has its heading: training, loss, notation, layers, init, data."""
    from textual.widgets import Label

    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        body = list(screen.query_one("#settings-body").children)
        headings = [str(w.render()) for w in body if isinstance(w, Label) and w.has_class("section")]
        assert headings == ["training", "loss", "notation", "layers", "init", "data"]
        placed = [w.id or str(w.render()) for w in body
                  if w.id in ("row-loss", "row-notation") or (isinstance(w, Label) and str(w.render()) in ("loss", "notation"))]
        assert placed == ["loss", "row-loss", "notation", "row-notation"]


async def test_choosing_a_notation_renames_the_dialogs_rows_at_once():
    """A notation chosen in the dialog renamed its own rows (η learning rate, the loss ℓ …) only when the dialog
    was next opened; they take the chosen profile's symbols at once (the momentum and Adam rows too, built
    before or after the choice), and the lecture's again when it is chosen back."""
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot, app)
        screen.query_one("#optimizer", Select).value = "momentum"  # μ's row built before the choice, Adam's after
        await pilot.pause()

        def names() -> list[str]:
            seen = {row.id: str(row.render()) for row in screen.query(".row") if row.display}
            return [seen.get(f"row-training-{key}") for key in ("learning_rate", "l2", "momentum", "beta1", "beta2", "eps")]

        for notation in ("goodfellow", "ng", None):
            want = TRAINING_NAMES[notation]
            screen.query_one("#notation", Select).value = notation or "lecture13"
            screen.query_one("#optimizer", Select).value = "momentum"
            # the rows are mounted by the Select's message: wait for them (a loaded machine delays them)
            await until(pilot, lambda: names()[:3] == want[:3], f"the momentum rows in {notation}")
            screen.query_one("#optimizer", Select).value = "adam"
            await until(pilot, lambda: names()[:2] + names()[3:] == want[:2] + want[3:], f"the Adam rows in {notation}")
            loss = str(screen.query_one("#row-loss").render())
            assert loss == {"goodfellow": "loss J", "ng": "loss J", None: "loss ℓ"}[notation]
        await pilot.press("escape")

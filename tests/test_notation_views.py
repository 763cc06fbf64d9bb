"""The app's other views in the notation profile (issue 23): the NN diagram (d), the gradient check (g) and the
training screen (t) name every number as the profile does: no lecture-only symbol in a profile's text."""

import numpy as np
import pytest
from rich.text import Text

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.notation import num
from bptui.core.formulas.profiles import LECTURE13, PROFILES
from bptui.tui.app import BptuiApp
from bptui.tui.diagrams import nn_diagram, nn_state
from bptui.tui.gradcheck import GradCheckScreen
from bptui.tui.training import TrainScreen

from .conftest import NETWORKS


def lecture_only(P) -> list[str]:
    """The lecture's symbols that profile ``P`` writes otherwise, as they would show in these views: each
    shared quantity's letter with a layer index, and the loss's and the learning rate's letters."""
    found = []
    for q, marks in (("pre_activation", ("s⁽", "s₁⁽")), ("activation", ("o⁽", "o₁⁽")), ("delta", ("δ",)),
                     ("gradient", ("G⁽",)), ("loss", ("ℓ",)), ("learning_rate", ("η",))):
        if P.symbol(q).text != LECTURE13.symbol(q).text:
            found += marks
    if P.separate_bias and P.unit_base == 1:
        found.append(",₀⁽")  # a bias as column 0 of W: w₁,₀⁽¹⁾
        found += [",₀^", ",₀¹", ",₀²", ",₀³"]
    return found


def diagram_text(P, name="xor"):
    spec = load(NETWORKS / f"{name}.json")
    stepper = Stepper(spec, notation=P)
    stepper.run_until(lambda s: s.key.phase == "update")  # s, o and δ of every layer on the board
    d = nn_diagram(spec, 4, P)
    state = nn_state(stepper, d, 4)
    return d, state, "\n".join(line for lines in state.texts.values() for line in lines)


def test_ng_diagram_names_units_as_ng_does():
    d, state, text = diagram_text(PROFILES["ng"])
    assert "z₁^[1] = " in text and "a₁^[1] = " in text and "dz₁^[1] = " in text and "b₁^[1] = " in text
    assert "s⁽" not in text and "o⁽" not in text and "δ" not in text
    # no 1 feeding column 0: the bias is b on its unit, and no edge carries a column-0 weight
    assert not any(n.id.endswith("_0") for n in d.nodes)
    assert all(col != 0 for _, _, col in d.weight_edges.values())
    # the value beside b₁^[1] is the lecture's w₁,₀⁽¹⁾
    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=PROFILES["ng"])
    stepper.run_until(lambda s: s.key.phase == "update")
    from .helpers import panel_text
    assert f"b₁^[1] = {panel_text(stepper.state.W[1][:, 0], 0)}" in state.texts["u1_1"]  # as ng's b column writes it


def test_cs231n_diagram_counts_units_from_0():
    _, state, text = diagram_text(PROFILES["cs231n"])
    assert "scores₀¹ = " in text and "h₀¹ = " in text and "dscores₀¹ = " in text and "x₀ = " in text
    assert "scores₂¹" not in text  # xor's two hidden units are 0 and 1


def test_lecture_diagram_unchanged():
    d, state, text = diagram_text(None)
    assert "s₁⁽¹⁾ = " in text and "δ₂⁽¹⁾ = " in text and state.texts["u0_0"] == ["1"]


@pytest.mark.parametrize("name", list(PROFILES))
def test_no_lecture_only_symbol_in_the_diagram(name):
    P = PROFILES[name]
    _, _, text = diagram_text(P)
    assert not [m for m in lecture_only(P) if m in text], text


async def _check_texts(P) -> str:
    app = BptuiApp(load(NETWORKS / "xor.json"), notation=P)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GradCheckScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        heads = [str(c.label) for c in table.columns.values()]
        rows = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        return "\n".join(heads + rows + [str(app.screen.query_one("#check-summary").render())])


@pytest.mark.parametrize("name", list(PROFILES))
async def test_the_gradient_check_is_in_the_profile(name):
    P = PROFILES[name]
    text = await _check_texts(P)
    assert not [m for m in lecture_only(P) if m in text], text
    if name == "ng":
        assert "∂J/∂w" in text and "J_D" not in text and "b₁^[1]" in text and "w₁,₁^[1]" in text and "(bias)" not in text
    if name == "lecture13":
        assert "w₁,₀⁽¹⁾ (bias)" in text and "∂ℓ_D/∂w" in text


async def _train_texts(P, epochs=3) -> str:
    spec = load(NETWORKS / "xor.json")
    app = BptuiApp(spec, notation=P)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = TrainScreen(spec, epochs, spec.weights, app.stepper.state.opt[1:], 1, notation=P)
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        parts = [str(screen.query_one(f"#{i}").render()) for i in ("train-title", "train-status", "train-message")]
        for plot in ("train-curve", "train-grads", "train-grad-curves"):
            w = screen.query_one(f"#{plot}")
            parts.append(Text.from_markup(w.border_title).plain)  # as the border shows its markup
        from bptui.tui.plots import GradientBars

        bars = screen.query_one(GradientBars)
        parts.append(bars.render().plain)
        return "\n".join(parts), (screen.result, bars.stats)


@pytest.mark.parametrize("name", list(PROFILES))
async def test_the_training_screen_is_in_the_profile(name):
    P = PROFILES[name]
    text, (result, _) = await _train_texts(P)
    assert not [m for m in lecture_only(P) if m in text], text
    expected = {"ng": ("α = ", "J (mean", "dW^[l]", "|dz^[l]|"), "goodfellow": ("ε = ", "J_D", "∇_W⁽ˡ⁾ J", "|g⁽ˡ⁾|"),
                "nielsen": ("η = ", "C (mean", "∂C/∂wˡ", "|δˡ|"), "lecture13": ("η = ", "ℓ_D", "‖G⁽ˡ⁾‖", "|δ⁽ˡ⁾|"),
                "cs231n": ("learning_rate = ", "L (mean", "dWˡ", "|dscoresˡ|")}[name]
    assert all(e in text for e in expected), (expected, text)
    if name == "ng":  # ng's J is the mean over the examples (no J_D): the curve's number, the status's, the message's
        assert "‖dW^[l], db^[l]‖ per layer over the epochs" in text and "J, the mean loss per example, per epoch" in text
        assert f"J (mean, before each update) = {num(result.history[-1] / 4, 4)}" in text and "J_D" not in text, text
        assert "J now = " in text and "(the mean over the 4 examples)" in text and "per example)" not in text
    if name == "goodfellow":  # a sum profile: the sum
        assert f"J_D (sum, before each update) = {num(result.history[-1], 4)}" in text, text
        assert "mean loss per example (J_D / N)" in text


async def test_a_mean_profile_s_gradient_norm_is_of_its_mean():
    """ng's dW is the mean over the examples: the bars show ‖(dW, db)‖ = ‖G‖ / N of the training set."""
    from bptui.core.engine.train import gradient_stats

    spec = load(NETWORKS / "xor.json")
    _, (result, shown) = await _train_texts(PROFILES["ng"], epochs=1)
    lecture = gradient_stats(spec, result.weights)
    assert len(shown) == spec.L
    np.testing.assert_allclose([s.G_norm for s in shown], [s.G_norm / len(spec.inputs) for s in lecture])
    np.testing.assert_allclose([s.mean_abs_delta for s in shown], [s.mean_abs_delta for s in lecture])


def test_the_quiz_s_bias_is_hidden_on_its_unit():
    """ng's quiz asks b₁^[1] (the lecture's w₁,₀⁽¹⁾): the diagram draws its line on unit 1 as ?, and no other."""
    from bptui.core.engine.explain import Cell

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=PROFILES["ng"])
    stepper.run_until(lambda s: s.key.phase == "update")
    d = nn_diagram(spec, 4, PROFILES["ng"])
    state = nn_state(stepper, d, 4, hidden=Cell("W", 1, 1, 0))
    assert state.texts["u1_1"][-1] == "b₁^[1] = ?" and state.texts["u1_2"][-1] != "b₂^[1] = ?"
    assert sum("?" in line for lines in state.texts.values() for line in lines) == 1


def test_an_update_marks_the_units_b():
    """In a separate-bias profile the update of layer l writes each unit's b: its line is the one marked."""
    from bptui.tui.diagrams import MAP_ROWS

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=PROFILES["ng"])
    stepper.run_until(lambda s: s.key.phase == "update" and s.key.quantity == "W")
    assert stepper.last.key.quantity == "W"
    l = stepper.last.key.layer
    state = nn_state(stepper, nn_diagram(spec, 4, PROFILES["ng"]), 4)
    assert state.marked == {f"u{l}_{b}": MAP_ROWS + 3 for b in range(1, spec.widths[l] + 1)}
    assert state.texts[f"u{l}_1"][MAP_ROWS + 3].startswith(f"b₁^[{l}] = ")


def graph_texts(P, until):
    from bptui.tui.diagrams import graph_title, network_graph, network_graph_state

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=P)
    stepper.run_until(until)
    d = network_graph(spec, 4, P)
    state = network_graph_state(stepper, d, 4)
    text = "\n".join([graph_title(P)] + [n.name or "" for n in d.nodes] + [t for ls in state.texts.values() for t in ls])
    return stepper, d, state, text


@pytest.mark.parametrize("name", list(PROFILES))
def test_no_lecture_only_symbol_in_the_computation_graph(name):
    P = PROFILES[name]
    *_, text = graph_texts(P, lambda s: s.key.phase == "update")
    assert not [m for m in lecture_only(P) if m in text], text


def test_ng_computation_graph_shows_what_ng_s_panels_show():
    """ng's c: a b^[l] box into z^[l] = W^[l] a^[l-1] + b^[l], W without its column 0, a without its 1, and the
    gradients dW, db as G/m of the board's group (xor under full batch: m = 4)."""
    from bptui.core.formulas.notation import mat, vec
    from bptui.core.formulas.numformat import number_format

    def panel(a, like=None):  # each entry as ng's panel writes it: its cell, in the format of the panel's array
        return (mat if np.ndim(a) == 2 else vec)(a, 4, cells=number_format(a if like is None else like, 4))

    stepper, d, state, text = graph_texts(PROFILES["ng"], lambda s: s.key.quantity == "G" and s.key.layer == 1)
    st = stepper.state
    assert ("b1", "s1") in d.edges and "W^[1] a^[0] + b^[1]" in state.texts["s1"]
    assert state.texts["W1"][1:] == [f"= {panel(st.W[1][:, 1:])}", f"dW = {panel(st.G[1][:, 1:] / 4)}"]
    assert state.texts["b1"][1:] == [f"= {panel(st.W[1][:, 0])}", f"db = {panel(st.G[1][:, 0] / 4)}"]
    assert state.texts["W1"][1] == "= [[0.5000, −0.4000], [0.3000, 0.6000]]"  # xor's W⁽¹⁾ as the panel shows it
    assert state.texts["o1"][1] == f"= {panel(st.o[1][1:], st.o[1])}" and state.texts["o0"][0] == "x"
    assert "dz^[l]" in text and "z^[1]" in text


def test_the_check_says_which_gradient_on_screen_it_computes():
    """The check computes ∂ℓ_D/∂w of the group's loss: the sum in a sum profile, the mean in a mean profile (ng's
    J), whose panels show the mean G/m: in both it is the gradient on screen itself."""
    from bptui.tui.view_names import view_names

    assert view_names(None).on_screen == "the G on screen"
    assert view_names(PROFILES["ng"]).on_screen == "the dW^[l], db^[l] on screen"
    assert view_names(PROFILES["goodfellow"]).on_screen == "the ∇_W⁽ˡ⁾ J, ∇_b⁽ˡ⁾ J on screen"  # a sum: G itself


@pytest.mark.parametrize("name", ["nielsen", "goodfellow", "ng", "cs231n"])
def test_the_helps_on_screen_section_speaks_the_profile(name):
    """The help's ON SCREEN section tells what c and d show with the symbols they print: it said W⁽ˡ⁾ holds
    G⁽ˡ⁾ = ∂ℓ/∂W⁽ˡ⁾, a node's s, o, δ, a 1 for a bias and the bias column in every profile."""
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.help import help_text, on_screen

    P = PROFILES[name]
    text = help_text(None, P)
    section = text[text.index("ON SCREEN"):text.index("KEYS")]
    for lecture in ("⁽ˡ⁾ holds G", "∂ℓ", "s⁽ˡ⁾", "δ⁽ˡ⁾", "(1 for a bias)", "the bias column", "with its s, o, δ"):
        assert lecture not in section, lecture
    d = on_screen(P)[4]
    assert f"with its {P.renames()['s'].text}, {P.renames()['o'].text}, {P.renames()['δ'].text} and b" in d
    assert "(1 for a bias)" in on_screen(None)[4] and "W⁽ˡ⁾ holds G⁽ˡ⁾ = ∂ℓ/∂W⁽ˡ⁾" in on_screen(None)[3]

"""The app's layer-norm, dropout and residual-block panels in a notation profile (issue 23): what a
panel shows under a name is that value, the one the equation line shows under the same name.

- every number of every panel over random networks mixing dense layers, layer norms, dropout and
  (nested) residual blocks, in every profile and a course's files (mini-batches, momentum, adam): a
  cell's text is the lecture's value at its key (γ, β and their gradients G/m in a mean profile; u or
  m, o, ∂ℓ/∂x), under the symbol its kind names it by; a block's x and F(x) are the outputs of the
  layers they are, o their sum, ∂ℓ/∂x the sum of the fan-in's parts, the skip's part ∂ℓ/∂o⁽ˡ⁾;
- after every step, the equation line's result and the cells under the same name agree;
- moons_layernorm in ng and deep_residual in nielsen, quoted; the app opens moons_layernorm in ng,
  steps forward, back and through an update, and Enter on γ edits the file's γ.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.core.engine import equations as E
from bptui.core.engine import wiring
from bptui.core.engine.explain import _weights_of_group
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load, parse as parse_spec
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS
from .test_notation_panels import (ALL, NAMES, _labels, _lines, built, check_equations_agree, edit, heading_of,
                                   named_cells, parse, Runs, truth)


def panels(stepper, digits: int = 4) -> list:
    """Every panel of the network in its profile, as the screen makes them, built for the board."""
    from bptui.tui.panels import network_panels

    return built(stepper, digits, network_panels(stepper, digits))


def close(text: str, value: float) -> bool:
    shown = parse(text)
    assert shown is not None, text
    number, half = shown
    return abs(number - value) <= half * (1 + 1e-9) + 1e-12 or (np.isnan(value) and np.isnan(number))


def part_name(P, key) -> str:
    """Which of the kind's names (``LayerKind.profiled_names``) a cell's key stands under: W's column 0 is b
    with a separate bias, G's is ∂ℓ/∂b."""
    q, _, _, j = key
    return ("b" if q == "W" else "Gb") if P.separate_bias and q in ("W", "G") and j == 0 else q


def check_layer(stepper, sheet) -> int:
    """A dense, layer-norm or dropout panel: every cell is its value under its kind's name; every weight and
    gradient entry is shown once."""
    P, l = stepper.notation, sheet.l_index
    syms = stepper.spec.layer_kinds[l - 1].profiled_names(l, P).syms
    printer = TextPrinter(notation=P)
    names: dict[str, str] = {}  # each part's name, printed once
    keys, checked = set(), 0
    for y, x, key, text, heading in named_cells(sheet):
        keys.add(key)
        part = part_name(P, key)
        assert heading == (names.get(part) or names.setdefault(part, printer.p(syms[part]))), (P.name, key)
        value = truth(stepper, key)
        if value is None:
            assert parse(text) is None, (key, text)
            continue
        assert close(text, value), (P.name, key, text, value)
        checked += 1
    W = stepper.state.W[l]
    want = {(q, l, i, j) for q in ("W", "G") for i in range(W.shape[0]) for j in range(W.shape[1])}
    assert want <= keys and len(sheet.cells) == len(keys)
    return checked


def block_numbers(sheet) -> list[tuple[str, int, str]]:
    """Every number a block's panel prints, as (the name it stands under, its unit from 0, its text)."""
    P = sheet.profile
    out = []
    if P.vectors == "row":
        for name, line in zip(_labels(sheet)[1:], sheet.lines[1:]):
            out += [(name, c, text) for c, (text, _, _) in enumerate(line[1:])]
        return out
    runs = Runs(sheet)
    for y, line in enumerate(sheet.lines):
        label = line[0][0].strip() if line else ""
        if not re.fullmatch(r"j=\d+", label):
            continue
        unit = int(label[2:]) - P.unit_base
        for x, text in runs[y][1:]:
            if text.strip():
                out.append((heading_of(sheet, y, x, runs), unit, text))
    return out


def check_block(stepper, sheet) -> int:
    """A residual block's panel: x and F(x) are o of the layers they are, o = x + F(x) and ∂ℓ/∂x the board's,
    the fan-in's parts ∂ℓ/∂o⁽ˡ⁾ (the skip's) and the inner path's add up to ∂ℓ/∂x; o's 1 shown only with the
    bias in column 0."""
    P, l, st = stepper.notation, sheet.l_index, stepper.state
    net = stepper.net
    w = net.wiring
    printer = TextPrinter(notation=P)
    syms = net.kinds[l - 1].profiled_names(l, P).syms
    units = stepper.spec.widths[l]
    x = None if st.o[w.src[l]] is None else st.o[w.src[l]][-units:]
    F = None if st.o[w.tail[l]] is None else st.o[w.tail[l]][-units:]
    board = None
    if st.delta[l] is not None:
        from dataclasses import replace

        board = replace(st, W=_weights_of_group(stepper))
    o_name, dx_name, up_name = (printer.p(syms[q]) for q in ("o", "delta", "up"))
    src_name, tail_name = printer.p(E.o(w.src[l])), printer.p(E.o(w.tail[l]))
    parts = {f"x={src_name}": x, f"F={tail_name}": F,
             up_name: None if board is None else wiring.up_one(net, board, l),
             "inner": None if board is None else wiring.send_one(net, board, l + 1)}
    checked = 0
    seen: dict[str, int] = {}
    for name, unit, text in block_numbers(sheet):
        seen[name] = seen.get(name, 0) + 1
        if name in parts:
            value = parts[name]
            assert (value is None) == (parse(text) is None), (name, text)
            if value is not None:
                assert close(text, float(value[unit])), (P.name, l, name, unit, text, value)
                checked += 1
        else:
            assert name in (o_name, dx_name), (P.name, name)
    for y, x0, key, text, heading in named_cells(sheet):  # o and ∂ℓ/∂x, with the lecture's keys (the cursor's)
        assert heading == (o_name if key[0] == "o" else dx_name) or P.vectors == "row"
        value = truth(stepper, key)
        assert (value is None) == (parse(text) is None), (key, text)
        if value is not None:
            assert close(text, value), (P.name, key, text, value)
            checked += 1
    one = not P.separate_bias and l < stepper.spec.L
    assert seen.get(o_name) == units + one and seen.get(dx_name) == units
    assert {n: seen.get(n) for n in parts} == {n: units for n in parts}
    if x is not None and F is not None and st.o[l] is not None and not np.isnan(st.o[l]).any():  # the sum and its parts
        assert np.allclose(x + F, st.o[l][-units:])
    if board is not None:
        assert np.allclose(parts[up_name] + parts["inner"], st.delta[l])
    return checked


def check_all(stepper, sheets) -> int:
    from bptui.tui.profile_block_sheet import ProfileBlockSheet

    return sum(check_block(stepper, s) if isinstance(s, ProfileBlockSheet) else check_layer(stepper, s)
               for s in sheets)


def agree(stepper, step, sheets) -> int:
    """The equation line's results against the cells under the same name (a block's: its o and ∂ℓ/∂x)."""
    from bptui.tui.profile_block_sheet import ProfileBlockSheet

    sheet = next((s for s in sheets if s.l_index == step.key.layer), None)
    if isinstance(sheet, ProfileBlockSheet) and stepper.notation.vectors == "row":
        return 0  # a line per quantity: its cells are checked against the board
    return check_equations_agree(stepper, step, sheets) if sheet is not None else 0


@pytest.mark.parametrize("seed", range(8))
def test_every_number_of_the_layer_norm_dropout_and_block_panels_is_its_value_under_its_name(seed):
    """Random networks of dense layers, layer norms, dropout and residual blocks (tests/test_unitwise_residual.py's
    generator), each in one profile or course's file (full batch, mini-batches of 2; sgd, momentum, adam)."""
    from .test_unitwise_residual import random_doc

    update = ["full_batch", "mini_batch"][seed % 2]
    doc = random_doc(seed, update=update, optimizer=["sgd", "momentum", "adam"][seed % 3])
    stepper = Stepper(parse_spec(doc, "mixed.json"), notation=ALL[NAMES[seed % len(NAMES)]])
    steps(stepper, 2 + seed % 4)


def steps(stepper, digits: int) -> None:
    """The first epoch (every group's m) and into the next, at most 150 steps: after each step every cell
    checked and the step's equation line against the cells."""
    checked = check_all(stepper, panels(stepper, digits))
    agreed = 0
    for _ in range(150):
        step = stepper.forward()
        sheets = panels(stepper, digits)
        checked += check_all(stepper, sheets)
        agreed += agree(stepper, step, sheets)
        if step.key.epoch > 1:
            break
    assert checked > 0 and agreed > 0


@pytest.mark.parametrize("name", NAMES)
def test_moons_layernorm_and_deep_residual_step_in_every_profile(name):
    """The bundled networks, a forward and a backward pass and the update in each profile."""
    for network in ("moons_layernorm", "deep_residual"):
        stepper = Stepper(load(NETWORKS / f"{network}.json"), notation=ALL[name])
        sheets = panels(stepper)
        checked = check_all(stepper, sheets)
        first, updated = stepper.schedule.key(0).example, False
        while True:  # the first example's passes, on through the first group's updates, every step checked
            step = stepper.forward()
            if updated and step.key.phase != "update":
                break
            updated = step.key.phase == "update"
            if step.key.example not in (None, first):
                continue  # (the group's other examples' passes: the same panels)
            sheets = panels(stepper)
            checked += check_all(stepper, sheets) + agree(stepper, step, sheets)
        assert checked > 0


def test_moons_layernorm_in_ng_names_gamma_beta_and_their_gradients_as_its_equations():
    """moons_layernorm (2 → 16 tanh → layernorm → dropout → 1 sigmoid; adam, mini-batches of 20) in ng after
    the first example's backward pass: γ^[2] and β^[2] apart, u, a, dx and dγ, dβ as G/|B|; dropout's
    mask m^[3] (the group's size is |B|); units from 1, the layer numbers the lecture's in brackets."""
    stepper = Stepper(load(NETWORKS / "moons_layernorm.json"), notation=PROFILES["ng"])
    for _ in range(13):  # up to γ's and β's gradients
        stepper.forward()
    sheets = panels(stepper)
    assert [s._title() for s in sheets] == ["Layer 1 · f^[1] = tanh · 16 units", "Layer 2 · layer norm, ε = 1e−5 · 16 units",
                                            "Layer 3 · dropout p = 0.2 · 16 units", "Layer 4 · f^[4] = sigmoid · 1 unit"]
    norm, drop = _lines(sheets[1]), _lines(sheets[2])
    assert [n for n in norm[0].split() if n != "▶"] == ["γ^[2]", "β^[2]", "u^[2]", "a^[2]", "dx^[2]", "dγ^[2]", "dβ^[2]"]
    assert drop[0].split() == ["m^[3]", "a^[3]", "dx^[3]"]
    W, G = stepper.state.W[2], stepper.state.G[2]
    first = [parse(t)[0] for t in norm[2].split()[1:]]  # j=1: γ, β, u, a, dx, dγ, dβ
    assert norm[2].split()[0] == "j=1"
    assert first[0] == pytest.approx(W[0, 1]) and first[1] == pytest.approx(W[0, 0], abs=1e-4)
    assert first[5:] == pytest.approx([G[0, 1] / 20, G[0, 0] / 20], rel=1e-2) and G[0, 1] != 0
    assert first[3] == pytest.approx(stepper.state.o[2][1], abs=1e-4)  # a's first unit, past the lecture's 1


def test_deep_residual_in_nielsen_shows_the_block_without_os_1():
    """deep_residual in nielsen after the first example's fan-in into the first block: his layer numbers
    (the input a¹), x = a², F(x) = a⁵, a³ = x + F(x) with no 1 on top, ∂C/∂x³ and its parts ∂C/∂a³ and the
    inner path's."""
    stepper = Stepper(load(NETWORKS / "deep_residual.json"), notation=PROFILES["nielsen"])
    for _ in range(27):
        stepper.forward()
    sheets = panels(stepper)
    block = sheets[1]
    assert block._title() == "Layer 3 · residual block: a³ = x + F(x), x = a², F = layers 4–5 · 3 units"
    lines = _lines(block)
    assert [n for n in lines[0].split() if n != "▶"] == ["x=a²", "F=a⁵", "a³", "∂C/∂x³", "∂C/∂a³", "inner"]
    assert [line.split()[0] for line in lines[2:]] == ["j=1", "j=2", "j=3"]
    st = stepper.state
    row = [parse(t)[0] for t in lines[2].split()[1:]]
    assert row[:4] == pytest.approx([st.o[1][1], st.o[4][1], st.o[2][1], st.delta[2][0]], rel=5e-3)
    assert row[4] + row[5] == pytest.approx(st.delta[2][0], rel=1e-2)


async def test_the_app_opens_moons_layernorm_in_ng_steps_and_enter_edits_gamma():
    """`bptui moons_layernorm --notation ng` opens (it was refused): forward, backward and an update step
    show γ, β and their gradients; the cursor on γ₁^[2] and Enter edit the file's γ (the lecture's column 1)."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.panels import panels_fit
    from bptui.tui.profile_sheet import ProfileSheet

    spec = load(NETWORKS / "moons_layernorm.json")
    assert panels_fit(spec.layer_kinds, PROFILES["ng"]) is None
    app = BptuiApp(spec, PROFILES["ng"])
    async with app.run_test(size=(120, 40)) as pilot:
        norm = app.screen.query_one("#layer-2", ProfileSheet)
        assert norm.border_title.startswith("Layer 2 · layer norm, ε = 1e−5")
        for _ in range(13):  # forward, the loss, back to γ's and β's gradients
            app.main.action_next()
        await pilot.pause()
        assert check_all(app.stepper, [norm, app.screen.query_one("#layer-3", ProfileSheet)]) > 0
        assert str(app.main.query_one("#equation").render()).startswith("dβ^[2] ← dβ^[2] + (da^[2])/|B|")
        app.main.action_prev()  # and back
        await pilot.pause()
        assert app.stepper.position == 12 and check_all(app.stepper, [norm]) > 0
        while app.stepper.last is None or app.stepper.last.key.phase != "update" or app.stepper.last.key.layer != 2:
            app.main.action_next()
        await pilot.pause()
        assert str(app.main.query_one("#equation").render()).startswith("v^[2] ← β₁ v^[2]")
        assert check_all(app.stepper, [norm, app.screen.query_one("#layer-3", ProfileSheet)]) > 0
        norm.focus()
        await pilot.pause()
        assert norm.cursor_cell == ("W", 2, 0, 1)  # γ₁^[2]: the file's gamma[0], the lecture's column 1
        await edit(pilot, "γ", "0.5")
        assert app.stepper.state.W[2][0, 1] == 0.5 and app.stepper.state.W[2][0, 0] != 0.5
        assert "0.5000" in _lines(norm)[2]


async def test_a_blocks_cursor_visits_o_and_the_fan_in_and_enter_edits_nothing():
    """deep_residual in cs231n: the block's cursor starts on h²'s first unit (the lecture's o entry past its
    1), walks to dx² (a line per quantity, a column per unit); Enter on it asks for no value."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.profile_block_sheet import ProfileBlockSheet
    from bptui.tui.prompt import Prompt

    app = BptuiApp(load(NETWORKS / "deep_residual.json"), PROFILES["cs231n"])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(28):
            app.main.action_next()
        await pilot.pause()
        block = app.screen.query_one("#layer-2", ProfileBlockSheet)
        assert check_block(app.stepper, block) > 0
        block.focus()
        await pilot.pause()
        assert block.cursor_cell == ("o", 2, 1, None)
        await pilot.press("down")
        assert block.cursor_cell == ("delta", 2, 0, None)
        await pilot.press("right", "enter")
        await pilot.pause()
        assert block.cursor_cell == ("delta", 2, 1, None) and not isinstance(app.screen, Prompt)


@pytest.mark.parametrize("network", ["moons_layernorm", "deep_residual"])
async def test_the_settings_offer_every_profile_for_layer_norms_and_blocks(network):
    from textual.widgets import Select

    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / f"{network}.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        choice = app.screen.query_one("#notation", Select)
        assert not choice.disabled and choice.value == "lecture13"
        assert [value for _, value in choice._options] == ["lecture13", *NAMES[:4]]


@pytest.mark.parametrize("name, first, second", [
    ("ng", "γ^[2] ← γ^[2] − (α·m) dγ^[2] = ", "β^[2] ← β^[2] − (α·m) dβ^[2] = "),
    ("nielsen", "γ³ ← γ³ − (η·m) ∂C/∂γ³ = ", "β³ ← β³ − (η·m) ∂C/∂β³ = "),
    ("goodfellow", "γ⁽²⁾ ← γ⁽²⁾ − ε ∇_γ⁽²⁾ J = ", "β⁽²⁾ ← β⁽²⁾ − ε ∇_β⁽²⁾ J = "),
    ("lecture13", "W⁽²⁾ ← W⁽²⁾ − η G⁽²⁾ = [[", None)])
def test_a_layer_norms_update_is_named_gamma_and_beta_in_a_profile(name, first, second):
    """The update of a layer norm's [β | γ] in a profile with a separate b: γ (the weights' part) and β (its
    b), with their gradients' names, the numbers the lecture's W⁽²⁾ update has; the lecture's stays W⁽²⁾."""
    from bptui.core.engine.equations import step_equation

    doc = {"layers": [{"units": 2}, {"units": 3, "activation": "tanh"}, {"type": "layernorm"},
                      {"units": 1, "activation": "sigmoid"}],
           "init": {"seed": 0, "scale": 0.5}, "loss": "cross_entropy",
           "data": {"inputs": [[0, 1], [1, 0]], "targets": [[1], [0]]},
           "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}
    stepper = Stepper(parse_spec(doc, "ln.json"), notation=PROFILES[name])
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 2):
        stepper.forward()
    text = step_equation(stepper, stepper.last)
    parts = text.split(";   ")
    assert parts[0].startswith(first) and (second is None and len(parts) == 1 or parts[1].startswith(second)), text
    W = stepper.state.W[2]
    if second is not None:  # γ's new values are the lecture's column 1, β's its column 0
        gamma, beta = (part.rsplit(" = ", 1)[1].replace("−", "-") for part in parts)
        assert gamma.startswith(f"[[{W[0, 1]:.4g}]") and beta.startswith(f"[{W[0, 0]:.4g}")


TOUCHING = re.compile(r"•[−\d]|(?<=\d)(?<!e)−")  # a number right after a •, or a minus right after a digit


@pytest.mark.parametrize("seed", range(6))
def test_no_number_of_a_blocks_panel_runs_into_its_neighbour(seed):
    """A residual block's panel in a profile: its cells are as wide as its widest number with a blank
    before it (as the other panels'), whatever the magnitudes: every panel line of a random network with
    residual blocks, scaled so its gradients are small (1e−5 … 1e−9), through the first example's passes."""
    from .test_unitwise_residual import random_doc
    from bptui.tui.profile_block_sheet import ProfileBlockSheet

    doc = random_doc(seed, update="full_batch", optimizer="sgd")
    scale = 10.0 ** -(2 + seed % 3)  # small weights: small gradients, written e−5 … e−9

    def scaled(w):
        if isinstance(w, dict):
            return {k: scaled(v) for k, v in w.items()}
        return [scaled(v) for v in w] if isinstance(w, list) else w if w is None else w * scale

    doc["weights"] = scaled(doc["weights"])
    stepper = Stepper(parse_spec(doc, "mixed.json"), notation=ALL[NAMES[seed % len(NAMES)]])
    looked = 0
    for _ in range(60):
        step = stepper.forward()
        if step.key.example not in (None, stepper.schedule.key(0).example):
            break
        for sheet in panels(stepper, 2 + seed % 4):
            if isinstance(sheet, ProfileBlockSheet):
                for text in _lines(sheet):
                    assert not TOUCHING.search(text), text
                    looked += 1
    assert looked > 0

"""The app's panels in a notation profile (issue 23): what a panel shows next to a name is that
value, the one the equation line shows under the same name.

- every cell of every profile's panel, over random dense networks (mini-batches whose last group is
  smaller, momentum, adam): its text is the lecture's value at the cell's key (W, s, o, δ; G/m in a
  mean profile, for the board's group of m examples), and the heading it stands under is the
  profile's symbol of that quantity (b for W's column 0 with a separate bias, ∂C/∂b for G's);
- after every step, the equation line's result and the panel's cells under the same name agree;
- xor's headings, titles and unit numbers in nielsen and cs231n, quoted;
- the cursor and an edit in cs231n's transposed layout change the file's entry it names.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.engine import equations as E
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import Arr, Num, Sym, TextPrinter
from bptui.core.formulas.profiles import PROFILES, Profile
from bptui.tui.profile_sheet import ProfileSheet

from .conftest import NETWORKS, dropout_on_maps
from .test_formula import networks
from .test_notation import COURSES

NAMES = [n for n in PROFILES if n != "lecture13"] + list(COURSES)
ALL = {**PROFILES, **COURSES}


def parse(text: str) -> tuple[float, float] | None:
    """A cell's number and half its last digit (what it may differ from the value by); None for · (and
    a map entry the layer above never reads, marked ×, for ×)."""
    t = text.strip().rstrip("•").removeprefix("×").replace("−", "-")
    if t in ("·", ""):
        return None
    if t in ("∞", "-∞", "nan"):
        return float(t.replace("∞", "inf")), 0.0
    mantissa, _, exp = t.partition("e")
    decimals = len(mantissa.partition(".")[2])
    half = 0.0 if float(t) == 0 else 0.5 * 10.0 ** (int(exp or 0) - decimals)
    return float(t), half


def group_of_board(stepper) -> int:
    """The examples of the update group the board's G belongs to (from the schedule's groups)."""
    key = stepper.last.key if stepper.last is not None else stepper.schedule.key(0)
    return len(stepper.schedule.follows(key.epoch, key.group).indices)


def truth(stepper, key) -> float | None:
    """The lecture's value at a cell's key, as the profile shows it: G as G/m in a mean profile."""
    q, l, i, j = key
    st_ = stepper.state
    if q in ("W", "G"):
        x = float((st_.W if q == "W" else st_.G)[l][i, j])
        return x / group_of_board(stepper) if q == "G" and stepper.notation.mean else x
    v = {"s": st_.s, "o": st_.o, "delta": st_.delta}[q][l]
    return None if v is None else float(v[i])


def expected_name(P: Profile, key) -> str:
    q, l, _, j = key
    bias = P.separate_bias and j == 0
    sym = {"W": E.b if bias else E.W, "G": E.Gb if bias else E.G, "s": E.s, "o": E.o, "delta": E.delta}[q](l)
    return TextPrinter(notation=P).p(sym)


def runs_at(line) -> list[tuple[int, str]]:
    out, x = [], 0
    for text, _, _ in line:
        out.append((x, text))
        x += len(text)
    return out


class Runs(dict):
    """A built board's lines' runs (:func:`runs_at`), each line's worked out when first asked for: a
    check that reads a heading line for each of a board's thousands of cells reads it once."""

    def __init__(self, sheet) -> None:
        super().__init__()
        self.lines = sheet.lines

    def __missing__(self, y: int) -> list[tuple[int, str]]:
        runs = self[y] = runs_at(self.lines[y])
        return runs


def heading_of(sheet: ProfileSheet, y: int, x: int, runs: Runs | None = None) -> str:
    """The name a cell stands under (a row per unit: the heading over its column, on the first line
    or G's band's) or beside (row vectors: the label of its part, on its first line)."""
    if sheet.profile.vectors == "row":
        lines, labels = _LABELS.get(id(sheet), (None, None))
        if lines is not sheet.lines:  # worked out once per board
            lines, labels = _LABELS[id(sheet)] = (sheet.lines, _labels(sheet))
        return labels[y]
    top = max(h for h in sheet.heading_lines if h < y)  # the first line, or G's band's when it is under the rows
    for x0, text in (runs if runs is not None else Runs(sheet))[top]:
        if x0 <= x < x0 + len(text) and text.strip():
            return text.strip().removeprefix("▶ ")
    raise AssertionError(f"no heading over column {x}")


_LABELS: dict[int, tuple] = {}


def _labels(sheet: ProfileSheet) -> list[str]:
    """Row vectors: each line's part, from the label on its part's first line (a k=… line continues it)."""
    out, name = [], ""
    for line in sheet.lines:
        label = re.sub(r"k=\d+\s*$", "", line[0][0]).strip() if line else ""
        name = label.removeprefix("▶ ") if label else name
        out.append(name)
    return out


def shown_cells(sheet: ProfileSheet, runs: Runs | None = None) -> list[tuple[int, int, tuple, str]]:
    runs = runs if runs is not None else Runs(sheet)
    at: dict[int, dict[int, str]] = {}  # each line's texts by their column, made once
    out = []
    for y, x, key in sheet.cells:
        text = (at[y] if y in at else at.setdefault(y, dict(runs[y])))[x]
        out.append((y, x, key, text))
    return out


def named_cells(sheet, heading=heading_of) -> list[tuple[int, int, tuple, str, str]]:
    """:func:`shown_cells`, each with the name it stands under (``heading``: :func:`heading_of` or
    :func:`map_heading_of`), the board's lines read once."""
    runs = Runs(sheet)
    return [(y, x, key, text, heading(sheet, y, x, runs)) for y, x, key, text in shown_cells(sheet, runs)]


def memo(fn):
    """``fn`` of a cell's key, worked out once per ``part`` of the key that it depends on (within one
    check of one board: the profile and the kinds stay the same)."""
    seen: dict = {}

    def named(key, part):
        if part not in seen:
            seen[part] = fn(key)
        return seen[part]
    return named


def built(stepper, digits: int = 4, sheets: list | None = None) -> list[ProfileSheet]:
    """The panels (by default a dense ProfileSheet per layer) with their lines built for the board."""
    if sheets is None:
        sheets = ProfileSheet.for_layers(stepper, list(range(1, stepper.spec.L + 1)), digits)
    last = stepper.last
    for sheet in sheets:
        produced = last.key.quantity if last is not None and last.key.layer == sheet.l_index else None
        sheet._produced = produced
        sheet._build(produced)
    return sheets


def check_board(stepper, sheets: list[ProfileSheet]) -> int:
    P, checked = stepper.notation, 0
    name_of = memo(lambda key: expected_name(P, key))  # a name is its quantity's, layer's and bias column's
    for sheet in sheets:
        keys = set()
        for y, x, key, text, heading in named_cells(sheet):
            keys.add(key)
            assert heading == name_of(key, (key[0], key[1], key[3] == 0)), (P.name, key)
            value, shown = truth(stepper, key), parse(text)
            if value is None:
                assert shown is None, (key, text)
                continue
            assert shown is not None, (key, text)
            number, half = shown
            assert abs(number - value) <= half * (1 + 1e-9) + 1e-12 or (np.isnan(value) and np.isnan(number)), \
                (P.name, key, text, value)
            checked += 1
        l = sheet.l_index  # every weight, bias and gradient entry of the layer is on the panel, once
        W = stepper.state.W[l]
        want = {(q, l, i, j) for q in ("W", "G") for i in range(W.shape[0]) for j in range(W.shape[1])}
        assert want <= keys and len(sheet.cells) == len(keys)
    return checked


def check_equations_agree(stepper, step, sheets: list[ProfileSheet]) -> int:
    """The equation line's results and the panel's cells under the same name hold the same numbers."""
    P = stepper.notation
    printer = TextPrinter(notation=P)
    agreed = 0
    sheet = next(s for s in sheets if s.l_index == step.key.layer) if step.key.layer else None
    named = named_cells(sheet) if sheet is not None else []
    for eq in E.step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        name, result = printer.p(eq.lhs), eq.result
        if sheet is None or not isinstance(result, (Arr, Num)):
            continue
        cells = [(text, key) for y, x, key, text, heading in named if heading == name]
        if not cells:
            continue  # an optimizer's state, the loss: not a panel heading
        values = np.ravel(result.values if isinstance(result, Arr) else result.value)
        assert len(cells) == len(values), (name, len(cells), len(values))
        for (text, key), value in zip(cells, values):
            number, half = parse(text)
            assert abs(number - value) <= half * (1 + 1e-9) + 1e-12, (P.name, name, key, text, value)
        agreed += 1
    return agreed


@settings(max_examples=20, deadline=None, derandomize=True)
@given(networks(), st.integers(2, 6), st.sampled_from(NAMES))
def test_every_panel_cell_is_its_value_under_its_name(spec, digits, name):
    walk(Stepper(spec, notation=ALL[name]), digits, built, check_board, check_equations_agree)


def walk(stepper, digits: int, build, check, agree) -> None:
    """An epoch and into the next (every group's m): after each step the panels ``build`` makes, every
    cell checked (``check``) and the step's equation line against the cells (``agree``)."""
    checked = check(stepper, build(stepper, digits))
    agreed = 0
    for _ in range(len(stepper.schedule) + 3):
        step = stepper.forward()
        sheets = build(stepper, digits)
        checked += check(stepper, sheets)
        agreed += agree(stepper, step, sheets)
    assert checked > 0 and agreed > 0


def _lines(sheet) -> list[str]:
    return ["".join(t for t, _, _ in line) for line in sheet.lines]


def test_xor_in_nielsen_reads_as_his_chapter_with_the_mean_gradient():
    stepper = Stepper(load(NETWORKS / "xor.json"), notation=PROFILES["nielsen"])
    for _ in range(36):  # the epoch's four examples, before the updates
        stepper.forward()
    sheets = built(stepper)
    assert [s._title() for s in sheets] == ["Layer 2 · f² = tanh · 2 units", "Layer 3 · f³ = sigmoid · 1 unit"]
    head = [name for name in _lines(sheets[0])[0].split() if name != "▶"]  # ▶ marks the step's ∂C/∂w²
    assert head == ["w²", "b²", "z²", "a²", "δ²", "∂C/∂w²", "∂C/∂b²"]
    assert _lines(sheets[0])[1].split() == ["unit", "k=1", "k=2", "k=1", "k=2"]
    assert [line.split()[0] for line in _lines(sheets[0])[2:]] == ["j=1", "j=2"]
    G = stepper.state.G[1]  # the sum over 4 examples, shown as the mean: the equation line's ∂C/∂b²
    db = [parse(line.split()[-1])[0] for line in _lines(sheets[0])[2:]]
    assert db == pytest.approx(G[:, 0] / 4, abs=5e-5) and db != pytest.approx(G[:, 0], abs=5e-5)


def test_xor_in_cs231n_shows_w_as_d_by_c_under_its_units():
    stepper = Stepper(load(NETWORKS / "xor.json"), notation=PROFILES["cs231n"])
    sheet = built(stepper)[0]
    lines = _lines(sheet)
    assert lines[0].split() == ["j=0", "j=1"]
    assert [line.split()[0] for line in lines[1:]] == ["W¹", "k=1", "b¹", "scores¹", "h¹", "dscores¹", "dW¹", "k=1", "db¹"]
    W = stepper.state.W[1]  # the file's W: 2 units × (bias, 2 inputs); shown 2 inputs × 2 units
    row_k0 = [parse(x)[0] for x in lines[1].split()[2:]]
    row_k1 = [parse(x)[0] for x in lines[2].split()[1:]]
    assert row_k0 == list(W[:, 1]) and row_k1 == list(W[:, 2])
    assert [parse(x)[0] for x in lines[3].split()[1:]] == list(W[:, 0])


async def edit(pilot, name: str, value: str) -> None:
    """Enter on the cell under the cursor: the prompt names the weight ``name``; type ``value``."""
    from textual.widgets import Label

    from bptui.tui.prompt import Prompt

    await pilot.press("enter")
    prompt = pilot.app.screen
    assert isinstance(prompt, Prompt) and name in str(prompt.query_one("#question", Label).render())
    prompt.query_one("Input").value = value
    await pilot.press("enter")
    await pilot.pause()


async def test_an_edit_in_cs231n_changes_the_files_entry_the_cursor_is_on():
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"), PROFILES["cs231n"])
    async with app.run_test(size=(120, 40)) as pilot:
        sheet = app.screen.query_one("#layer-1", ProfileSheet)
        sheet.focus()
        await pilot.pause()
        assert sheet.cursor_cell == ("W", 1, 0, 1)  # W¹ at k=0, j=0: the file's unit 1, input 1
        await pilot.press("down", "right")  # k=1, j=1
        assert sheet.cursor_cell == ("W", 1, 1, 2)
        before = np.array(app.stepper.state.W[1])
        await edit(pilot, "w₁,₁¹", "0.25")
        after = np.array(app.stepper.state.W[1])
        assert after[1, 2] == 0.25 and np.array_equal(np.delete(after.ravel(), 5), np.delete(before.ravel(), 5))
        assert "0.2500" in _lines(sheet)[2].split()[-1]  # shown at k=1, j=1
        # the message and the equation line name it as the prompt did, never the lecture's w₂,₂⁽¹⁾
        said = str(app.main.query_one("#message").render())
        assert said.startswith("w₁,₁¹ = 0.25") and "w₂,₂⁽¹⁾" not in said
        assert str(app.main.query_one("#equation").render()).startswith("w₁,₁¹ ← 0.25 (edited; was 0.6)")
        await pilot.press("down")  # b¹ at j=1: the file's column 0 of unit 2
        assert sheet.cursor_cell == ("W", 1, 1, 0)


# -- the status line and the help (item 2) --------------------------------------------------------------
@pytest.mark.parametrize("name, first, third, after_loss", [
    ("lecture13", "η = 0.5", "o⁽⁰⁾ = [1, x] = [1, 0, 0] · next: s⁽¹⁾ (forward)", "ℓ⁽¹⁾ = 0.3128 · ℓ_D so far = 0.3128"),
    ("nielsen", "η = 0.5", "a¹ = x = [0, 0] · next: z² (forward)", "C₁ = 0.3128 · C so far = 0.3128"),
    ("ng", "α = 0.5", "a^[0] = x = [0, 0] · next: z^[1] (forward)", "ℒ⁽¹⁾ = 0.3128 · J so far = 0.3128"),
    ("cs231n", "learning_rate = 0.5", "h⁰ = x = [0, 0] · next: scores¹ (forward)", "L₁ = 0.3128 · L so far = 0.3128"),
])
async def test_the_status_line_speaks_the_profile(name, first, third, after_loss):
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"), PROFILES[name])
    async with app.run_test(size=(120, 40)) as pilot:
        lines = app.main.status_text().splitlines()
        assert lines[0].endswith(first) and lines[2] == third
        for _ in range(5):  # the forward pass and the first example's loss
            app.main.action_next()
        await pilot.pause()
        lines = app.main.status_text().splitlines()
        assert lines[1].endswith(after_loss)
        assert str(app.query_one("#status").render()).splitlines()[1].endswith(after_loss)


@pytest.mark.parametrize("name", ["nielsen", "cs231n", "column_mean"])
async def test_the_helps_notation_section_is_the_profiles(name):
    from bptui.core.engine.equations import profile_rows
    from bptui.tui.app import BptuiApp
    from bptui.tui.help import HelpScreen

    P = ALL[name]
    app = BptuiApp(load(NETWORKS / "xor.json"), P)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text(1000)  # the help's text unwrapped (the dialog wraps it to its width)
        section = text.split("NOTATION (", 1)[1].split("\n\n", 1)[0]
        assert section.lower().startswith(name.lower())  # the name once (cs231n's description opens with CS231n)
        for what, how in profile_rows(P):  # every row of the manual's table, as the profile's data say
            assert how in section and what in section
        assert "the notation " + name in text  # the network's rules below it, in the profile
    lecture = BptuiApp(load(NETWORKS / "xor.json"))
    async with lecture.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert "NOTATION (the lecture's)\n  o⁽⁰⁾ = [1, x]" in lecture.screen.text(1000)


# -- the settings' choice of notation, saved by w (item 3) -----------------------------------------------
async def test_the_settings_choose_the_notation_at_the_same_step_and_w_saves_it(tmp_path, monkeypatch):
    import json

    from textual.widgets import Select

    from bptui.tui.app import BptuiApp
    from bptui.tui.settings import SettingsScreen
    from bptui.tui.sheet import LayerSheet

    from .tui_helpers import until

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPTUI_SAVE_DIR", raising=False)
    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(5):
            app.main.action_next()
        await pilot.pause()
        weights = [np.array(w) for w in app.stepper.state.W[1:]]
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        choice = app.screen.query_one("#notation", Select)
        assert choice.value == "lecture13" and not choice.disabled
        choice.value = "nielsen"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.main.query(ProfileSheet), "the profile's panels")
        assert app.stepper.notation.name == "nielsen" and app.stepper.position == 5  # the same step
        assert all(np.array_equal(a, b) for a, b in zip(weights, app.stepper.state.W[1:]))
        assert not app.main.query(LayerSheet)
        assert "C₁ = 0.3128" in app.main.status_text()
        await pilot.press("w")
        app.screen.query_one("#value").value = "saved.json"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s")  # back to the lecture's: its panels again
        assert app.screen.query_one("#notation", Select).value == "nielsen"
        app.screen.query_one("#notation", Select).value = "lecture13"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.main.query(LayerSheet), "the lecture's panels")
        assert app.stepper.notation.name == "lecture13" and app.stepper.position == 5
    assert json.loads((tmp_path / "saved.json").read_text(encoding="utf-8"))["notation"] == "nielsen"


async def test_every_layer_network_offers_every_profile(tmp_path):
    """The settings offer every shipped profile for dropout on feature maps, moons_layernorm (a layer
    norm and dropout on vectors), edges (conv and pooling), parity (a recurrent layer) and count_tokens
    (attention): the app draws each in every profile (panels_fit)."""
    from textual.widgets import Select

    from bptui.tui.app import BptuiApp
    from bptui.tui.panels import panels_fit

    every = ["lecture13", *NAMES[:4]]
    for path, offered in ((dropout_on_maps(tmp_path), every), (NETWORKS / "moons_layernorm.json", every),
                          (NETWORKS / "edges.json", every), (NETWORKS / "parity.json", every),
                          (NETWORKS / "count_tokens.json", every)):
        app = BptuiApp(load(path))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            choice = app.screen.query_one("#notation", Select)
            assert not choice.disabled and choice.value == "lecture13"
            assert [value for _, value in choice._options] == offered
        assert panels_fit(load(path).layer_kinds, PROFILES["ng"]) is None


# -- --notation on check and train (item 4; quiz's is with the quiz's own profile work) --------------------------
def _cli(*args: str) -> tuple[int, str, str]:
    from .test_notation import _run

    return _run(*args)


# what the lecture's text says, as each profile writes it (the numbers stay)
RENAMED = {
    "nielsen": [("f⁽²⁾", "f³"), ("f⁽¹⁾", "f²"), ("ℓ_D", "C"), ("ℓ⁽ⁿ⁾", "Cₙ"), ("loss ℓ", "loss C"),
                ("backprop G ", "backprop gradients "), ("G⁽¹⁾", "∂C/∂w² and ∂C/∂b²"), ("G⁽²⁾", "∂C/∂w³ and ∂C/∂b³")],
    "cs231n": [("f⁽²⁾", "f²"), ("f⁽¹⁾", "f¹"), ("η =", "learning_rate ="), ("ℓ_D", "L"), ("ℓ⁽ⁿ⁾", "Lₙ"),
               ("loss ℓ", "loss L"), ("backprop G ", "backprop gradients "), ("G⁽¹⁾", "dW¹ and db¹"), ("G⁽²⁾", "dW² and db²")],
}


def _unruled(text: str) -> str:
    """``text`` with a table's rules and padding taken out (a column is as wide as its heading: Cₙ, ℓ⁽ⁿ⁾)."""
    return re.sub(r"[ ─━]+", " ", text)


@pytest.mark.parametrize("name", list(RENAMED))
@pytest.mark.parametrize("command", [("train", "--epochs", "30"), ("check",)])
def test_check_and_train_write_the_profiles_symbols_and_the_same_numbers(name, command):
    code, lecture, _ = _cli(*command[:1], "xor", *command[1:])
    code2, profiled, err = _cli(*command[:1], "xor", *command[1:], "--notation", name)
    assert (code, code2, err) == (0, 0, "")
    expected = lecture
    for old, new in RENAMED[name]:  # train writes no G, check no f nor η
        expected = expected.replace(old, new)
    if command[0] == "train":  # both are mean profiles: each epoch's cost is the mean over xor's 4 examples,
        # as their trace ends an epoch, and the table heads its sum and mean columns so
        def epochs(text: str) -> list[float]:
            return [float(line.split("= ")[-1]) for line in text.splitlines() if "epoch " in line]

        assert epochs(profiled) == pytest.approx([v / 4 for v in epochs(lecture)], rel=1e-5)
        loss, each = {"nielsen": ("C", "Cₙ"), "cs231n": ("L", "Lₙ")}[name]
        expected = expected.replace(f"loss {loss} = Σₙ {each}", f"Σₙ {each}").replace(f"mean {each}", f"{loss} = mean {each}")
        expected, profiled = ("\n".join(line for line in text.splitlines() if "epoch " not in line)
                              for text in (expected, profiled))
    # every number and word the lecture's, only the names the profile's (a table's columns as wide as its names)
    assert expected != lecture and _unruled(profiled) == _unruled(expected)
    _, json_lecture, _ = _cli(*command[:1], "xor", *command[1:], "--format", "json")
    _, json_profiled, _ = _cli(*command[:1], "xor", *command[1:], "--format", "json", "--notation", name)
    assert json_profiled == json_lecture  # a contract: the lecture's names and values


@pytest.mark.parametrize("command", ["train", "check"])
def test_the_option_wins_over_the_files_notation_and_refusals_come_first(command, tmp_path):
    import json

    doc = json.loads((NETWORKS / "xor.json").read_text(encoding="utf-8"))
    doc["notation"] = "ng"
    path = tmp_path / "xor_ng.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, out, _ = _cli(command, str(path))
    assert "J ← " in out or "J = " in out or "dW^[1]" in out
    _, out, _ = _cli(command, str(path), "--notation", "nielsen")
    assert "C = " in out or "∂C/∂w²" in out
    assert "J ← " not in out and "J = " not in out and "dW^[1]" not in out
    code, out, err = _cli(command, str(path), "--notation", "nowhere")
    assert (code, out) == (2, "") and err.startswith("error: --notation: 'nowhere' is neither") and err.count("\n") == 1
    code, out, err = _cli(command, "parity", "--notation", "ng")  # a recurrent layer: written in profiles too
    assert (code, err) == (0, "") and ("J ← " in out or "J = " in out or "dW^[1]" in out)
    code, out, err = _cli(command, "lecture13_expression", "--notation", "ng")
    assert (code, out) == (2, "") and err.count("\n") == 1


@pytest.mark.parametrize("name, names", [
    ("lecture13", ["w₁,₀⁽¹⁾", "w₁,₁⁽¹⁾", "w₂,₂⁽¹⁾"]),
    ("nielsen", ["b₁²", "w₁,₁²", "w₂,₂²"]),  # his w^l_jk: unit j of layer l, unit k of the layer below
    ("ng", ["b₁^[1]", "w₁,₁^[1]", "w₂,₂^[1]"]),
    ("cs231n", ["b₀¹", "w₀,₀¹", "w₁,₁¹"]),  # W is D × C: the input first, from 0
])
def test_a_weight_is_named_where_the_profiles_panel_shows_it(name, names):
    P = PROFILES[name]
    assert [TextPrinter(notation=P).p(E.weight_sym(P, 1, r, c)) for r, c in ((0, 0), (0, 1), (1, 2))] == names
    if P.separate_bias:  # the weight_sym's indices are the panel's: W shown at (i, j) is the file's weight_at(i, j)
        W = np.arange(12.0).reshape(3, 4)
        shown = P.weights_shown(W)
        assert all(shown[i, j] == W[P.weight_at(i, j)] for i in range(shown.shape[0]) for j in range(shown.shape[1]))
        assert list(P.bias_shown(W)) == list(W[:, 0])


async def test_a_wide_layer_puts_its_gradients_in_a_band_under_the_rows():
    """moons (2-8-1, mini-batches of 20, momentum) in ng at 120 columns: layer 2's row of W, b, z, a, dz,
    dW, db does not fit, so dW and db go under the rows, in layer 1's panel too (one arrangement per screen);
    every cell is still its value under its name."""
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "moons.json"), PROFILES["ng"])
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_to_update()
        await pilot.pause()
        sheets = list(app.main.query(ProfileSheet))
        wide = sheets[1]
        assert wide.heading_lines == [0, 4] and sheets[0].heading_lines == [0, 11]  # (8 rows, then the band)
        assert _lines(wide)[4].split() == ["dW^[2]", "db^[2]"]
        assert all(len(line) <= wide.scrollable_content_region.width for line in _lines(wide))
        assert check_board(app.stepper, sheets) > 0
        await pilot.resize_terminal(220, 40)  # room for a row per unit: the band goes
        await pilot.pause()
        assert wide.heading_lines == [0]
        assert check_board(app.stepper, sheets) > 0


async def test_a_big_layer_shows_the_columns_that_fit_and_keeps_its_lines_true_step_after_step():
    """784-128-10 (MNIST-sized) in nielsen and cs231n at 120×40: the columns that do not fit are hidden
    and counted (+N…); a row vector panel keeps W's and G's lines while they are the same matrix (never
    with a ▶ or • of a step before), and every cell shown is its value under its name after each step."""
    from bptui.tui.app import BptuiApp

    from .tui_helpers import big_spec

    for name in ("nielsen", "cs231n"):
        app = BptuiApp(big_spec(), PROFILES[name])
        async with app.run_test(size=(120, 40)) as pilot:
            stepper = app.stepper
            name_of = memo(lambda key: expected_name(stepper.notation, key))  # its quantity's, layer's, bias column's
            for step in range(12):  # the forward pass, the loss, the backward pass and into the next example
                app.main.action_next()
                await pilot.pause()
                sheets = list(app.main.query(ProfileSheet))
                last = stepper.last
                for sheet in sheets:
                    width = sheet.scrollable_content_region.width
                    assert 0 < width and all(len(line) <= width for line in _lines(sheet))
                    if sheet.l_index == 1 or name == "nielsen":  # cs231n's layer 2 has 10 units: they fit
                        assert re.search(r"\+\d+…", _lines(sheet)[0 if name == "cs231n" else 1])  # hidden, counted
                    if last.key.layer != sheet.l_index:
                        assert "▶" not in "".join(_lines(sheet)) and "•" not in "".join(_lines(sheet))
                    for y, x, key, text, heading in named_cells(sheet):  # each heading line read once
                        assert heading == name_of(key, (key[0], key[1], key[3] == 0))
                        value, shown = truth(stepper, key), parse(text)
                        assert (value is None) == (shown is None)
                        if shown is not None:
                            assert abs(shown[0] - value) <= shown[1] * (1 + 1e-9) + 1e-12


async def test_the_first_frame_in_a_profile_shows_no_lecture_panels_then_the_profiles():
    """The loading screen draws the file's weights in the lecture's panel (before NumPy); in a profile it
    leaves the panels to the network screen, whose panels are the profile's."""
    from bptui.core.util import validate
    from bptui.tui.app import BptuiApp
    from bptui.tui.loading import LoadingScreen
    from bptui.tui.sheet import LayerSheet

    from .tui_helpers import until

    path = str(NETWORKS / "xor.json")
    seen = []
    original = LoadingScreen.on_mount

    def mounted(screen):  # what the first frame holds
        seen.append((type(screen.app.notation).__name__, len(screen.query(LayerSheet))))
        original(screen)

    LoadingScreen.on_mount = mounted  # type: ignore[method-assign]
    try:
        for notation, panels in ((None, 2), (PROFILES["nielsen"], 0)):
            app = BptuiApp.from_document(validate.read_json(path), path, notation)
            async with app.run_test(size=(120, 40)) as pilot:
                kind = ProfileSheet if notation else LayerSheet
                await until(pilot, lambda: app.main is not None and app.screen is app.main and app.main.query(kind),
                            "the network screen")
                assert seen[-1][1] == panels
                assert len(app.main.query(kind)) == 2 and not app.main.query(LayerSheet if notation else ProfileSheet)
    finally:
        LoadingScreen.on_mount = original  # type: ignore[method-assign]


# -- map networks: the convolution's and pooling's panels in every profile (a conv network in the app) --------
def _map_name(P: Profile, key, kinds) -> str:
    """The name a map cell stands under: the input's a = x, a pooling layer's ∂C/∂a (its kind's δ), z a δ;
    a kernel weight under W, its bias under b (separate), their gradients under ∂C/∂W and ∂C/∂b."""
    q, l, pos, _ = key
    printer = TextPrinter(notation=P)
    if not isinstance(pos, tuple):
        return expected_name(P, key)
    if l == 0:
        return printer.p(E.o(0)) + " = x"
    if kinds[l - 1].own_steps:  # dropout on maps: its mask m, a, ∂C/∂x, as its equations name them
        return printer.p(kinds[l - 1].profiled_names(l, P).syms[q])
    if q == "delta":
        return printer.p(kinds[l - 1].cell_sym("delta", l))
    return printer.p({"s": E.s, "o": E.o}[q](l))


def map_heading_of(sheet, y: int, x: int, runs: Runs | None = None) -> str:
    """The heading a map panel's cell stands under: on the nearest heading line above, the last
    name that starts at or before the cell."""
    top = max(h for h in sheet.heading_lines if h < y)
    names = [(x0, text) for x0, text in (runs if runs is not None else Runs(sheet))[top] if x0 <= x and text.strip()]
    return names[-1][1].strip().removeprefix("▶ ")


def map_truth(stepper, key) -> float | None:
    """:func:`truth`, with the input map as the panel shows it before the first step (the example the
    first step reads)."""
    q, l, pos, _ = key
    if (q, l) == ("o", 0) and stepper.state.o[0] is None:
        return float(np.asarray(stepper.where().x, dtype=float).reshape(stepper.spec.input_shape)[pos])
    return truth(stepper, key)


def map_panels(stepper, digits: int = 4) -> list:
    """Every panel of the network in its profile, as the screen makes them (``network_panels``), built."""
    from bptui.tui.panels import network_panels

    return built(stepper, digits, network_panels(stepper, digits))


def check_map_board(stepper, sheets) -> int:
    """Every cell of every panel (the maps' and the dense layers reading them) is its value under its name;
    every weight, bias and gradient entry of a convolution is shown once, every map position once."""
    from bptui.tui.profile_map_sheet import ProfileMapSheet

    P, kinds, checked = stepper.notation, stepper.spec.layer_kinds, 0
    # a name is its quantity's and layer's, a map position's or else its bias column's (_map_name)
    name_of = memo(lambda key: _map_name(P, key, kinds))
    dense = [s for s in sheets if not isinstance(s, ProfileMapSheet)]
    if dense:
        checked += check_board(stepper, dense)
    for sheet in sheets:
        if sheet in dense:
            continue
        keys = set()
        for y, x, key, text, heading in named_cells(sheet, map_heading_of):
            keys.add(key)
            part = (key[0], key[1], isinstance(key[2], tuple), key[3] == 0)
            assert heading == name_of(key, part), (P.name, key, sheet._title())
            value, shown = map_truth(stepper, key), parse(text)
            assert (value is None) == (shown is None), (key, text)
            if shown is not None:
                assert abs(shown[0] - value) <= shown[1] * (1 + 1e-9) + 1e-12, (P.name, key, text, value)
                checked += 1
        l, k = sheet.l_index, sheet.kind
        want = {(q, l, pos, None) for q, _ in sheet._names() for pos in np.ndindex(*sheet.shape)}
        if k is not None and k.has_weights:
            rows, cols = k.param_shape
            want |= {(q, l, i, j) for q in ("W", "G") for i in range(rows) for j in range(cols)}
        assert keys == want and len(sheet.cells) == len(keys)
    return checked


def check_map_equations_agree(stepper, step, sheets) -> int:
    """The equation line's map-level results (z, a, δ, a pooling layer's ∂C/∂a, a kernel's gradient) and
    the cells under the same name hold the same numbers (G/m in a mean profile)."""
    from bptui.tui.profile_map_sheet import ProfileMapSheet

    P = stepper.notation
    printer = TextPrinter(notation=P)
    sheet = next((s for s in sheets if s.l_index == step.key.layer), None)
    if not isinstance(sheet, ProfileMapSheet):
        return check_equations_agree(stepper, step, sheets) if sheet is not None else 0
    agreed = 0
    named = named_cells(sheet, map_heading_of)
    for eq in E.step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        # a pooling layer's ∂C⁽ⁿ⁾/∂a names the example; its heading is the quantity's, ∂C/∂a
        name = re.sub(r"⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾/", "/", printer.p(eq.lhs))
        if not isinstance(eq.result, Arr):
            continue
        cells = [(key, text) for y, x, key, text, heading in named if heading == name]
        if not cells:
            continue
        values = np.asarray(eq.result.values, dtype=float)
        for key, text in cells:
            value = values[key[2]] if isinstance(key[2], tuple) else weight_value(eq.result, key, sheet.kind.param_shape)
            number, half = parse(text)
            assert abs(number - value) <= half * (1 + 1e-9) + 1e-12, (P.name, name, key, text, value)
        agreed += 1
    return agreed


def weight_value(result: Arr, key, shape) -> float:
    """The entry of an equation's matrix that is the file's weight (or gradient) at ``key``, as the
    result's view shows the layer's matrix (the profile's W without column 0, cs231n's transposed; a
    kernel's gradient, which has no view: the kernels without their bias column)."""
    from bptui.core.formulas.profiles import shown_value

    _, _, kk, a = key
    view = result.ref.view.partition("/")[0] if result.ref is not None else "W"
    index = shown_value(np.arange(np.prod(shape)).reshape(shape), view)
    (at,) = np.argwhere(index == np.ravel_multi_index((kk, a), shape))
    return float(np.asarray(result.values).reshape(index.shape)[tuple(at)])


@pytest.mark.parametrize("seed", range(8))
def test_every_map_panel_cell_is_its_value_under_its_name(seed):
    """Random conv/pool networks (strides, padding, pooling, dense layers reading the map; full batch,
    per example and mini-batches of 2; sgd, momentum, adam), each in one profile or course's file."""
    from bptui.core.formats.spec import parse

    from .helpers import random_conv_doc

    update = ["full_batch", "per_example", {"batch_size": 2}][seed % 3]
    doc = random_conv_doc(seed, n=3, update=update, optimizer=["sgd", "momentum", "adam"][seed % 3], uneven=seed >= 6)
    stepper = Stepper(parse(doc, "conv.json"), notation=ALL[NAMES[seed % len(NAMES)]])
    walk(stepper, 2 + seed % 4, map_panels, check_map_board, check_map_equations_agree)


@pytest.mark.parametrize("seed", range(4))
def test_dropout_on_maps_is_drawn_in_every_profile(seed):
    """A dropout layer after a random network's first convolution: its mask m, a and ∂C/∂x maps under the
    names its kind gives them in the profile, every cell its value, through an epoch and into the next."""
    from bptui.core.formats.spec import parse
    from bptui.tui.panels import panels_fit

    from .helpers import random_conv_doc

    doc = random_conv_doc(seed, n=3, update=["full_batch", {"batch_size": 2}][seed % 2],
                          optimizer=["sgd", "adam"][seed % 2])
    first = next(i for i, layer in enumerate(doc["layers"]) if layer.get("type") == "conv2d")
    doc["layers"].insert(first + 1, {"type": "dropout", "p": 0.3, "seed": seed})
    doc["weights"].insert(first, None)  # the file's weights, one entry per layer 1..L: none for dropout
    spec = parse(doc, "conv.json")
    name = NAMES[seed % len(NAMES)]
    assert panels_fit(spec.layer_kinds, ALL[name]) is None
    stepper = Stepper(spec, notation=ALL[name])
    names = {text for sheet in map_panels(stepper) if sheet.kind is not None and sheet.kind.own_steps
             for _, text in sheet._names()}
    mask = TextPrinter(notation=ALL[name]).p(spec.layer_kinds[first].profiled_names(first + 1, ALL[name]).syms["s"])
    assert mask in names and mask.startswith("m")
    walk(stepper, 3, map_panels, check_map_board, check_map_equations_agree)


def test_edges_in_nielsen_reads_as_his_chapter_with_b_apart_and_the_mean_gradient():
    """edges (1×6×6 → conv 2×3×3 → max pool → 1 sigmoid unit; adam, mini-batches of 10) in nielsen after
    the first example's backward pass: his layer numbers (the input a¹), w² without the bias and b²
    beside it, ∂C/∂w² and ∂C/∂b² as the sum over the example so far divided by the group's m = 10."""
    from bptui.tui.profile_map_sheet import ProfileMapSheet

    stepper = Stepper(load(NETWORKS / "edges.json"), notation=PROFILES["nielsen"])
    for _ in range(11):  # the first example, up to the kernels' gradient
        stepper.forward()
    sheets = map_panels(stepper)
    assert [type(s).__name__ for s in sheets] == ["ProfileMapSheet"] * 3 + ["ProfileSheet"]
    assert [s._title() for s in sheets] == ["Input a¹ = x · 1×6×6", "Layer 2 · conv2d 2×3×3 · f² = tanh · maps 2×4×4",
                                            "Layer 3 · maxpool2d 2×2 · maps 2×2×2", "Layer 4 · f⁴ = sigmoid · 1 unit"]
    conv = sheets[1]
    assert isinstance(conv, ProfileMapSheet)
    lines = _lines(conv)
    assert [n for n in lines[0].split() if n != "▶"] == ["w²", "b²", "∂C/∂w²", "∂C/∂b²"]
    assert [line.split()[0] for line in lines[1:7:3]] == ["k=1", "k=2"]
    W, G = stepper.state.W[1], stepper.state.G[1]
    first = [parse(x)[0] for x in lines[1].split()[1:]]  # k=1's first kernel row, b₁², ∂C/∂w's row, ∂C/∂b₁²
    assert first[:4] == pytest.approx([*W[0, 1:4], W[0, 0]], abs=5e-5)
    assert first[4:] == pytest.approx([*(G[0, 1:4] / 10), G[0, 0] / 10], abs=5e-6) and G[0, 0] != pytest.approx(G[0, 0] / 10)
    assert [n for n in lines[8].split()] == ["z²", "a²", "δ²"]
    assert [n for n in _lines(sheets[2])[0].split()] == ["a³", "∂C/∂a³"]


async def test_the_app_opens_edges_in_nielsen_and_cs231n_and_an_edit_changes_the_files_entry():
    """`bptui edges --notation nielsen|cs231n` opens (it was refused): the conv panel's cursor walks the
    kernel, then b apart; Enter on b₀¹ (cs231n, units from 0) edits the file's column 0 of kernel 1."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.panels import panels_fit
    from bptui.tui.profile_map_sheet import ProfileMapSheet

    spec = load(NETWORKS / "edges.json")
    for name in ("nielsen", "cs231n"):
        assert panels_fit(spec.layer_kinds, PROFILES[name]) is None
    app = BptuiApp(spec, PROFILES["cs231n"])
    async with app.run_test(size=(120, 40)) as pilot:
        sheet = app.screen.query_one("#layer-1", ProfileMapSheet)
        assert sheet.border_title == "Layer 1 · conv2d 2×3×3 · f¹ = tanh · maps 2×4×4"
        sheet.focus()
        await pilot.pause()
        assert sheet.cursor_cell == ("W", 1, 0, 1)  # the kernel's first weight, not its bias
        await pilot.press("right", "right", "right")
        assert sheet.cursor_cell == ("W", 1, 0, 0)  # b₀¹, after the kernel's row
        await edit(pilot, "b₀¹", "0.5")
        assert app.stepper.state.W[1][0, 0] == 0.5
        assert "0.5000" in _lines(sheet)[1]
    app = BptuiApp(load(NETWORKS / "edges.json"), PROFILES["nielsen"])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(11):
            app.main.action_next()
        await pilot.pause()
        sheets = list(app.main.query(ProfileMapSheet))
        assert [s.border_title for s in sheets][:2] == ["Input a¹ = x · 1×6×6", "Layer 2 · conv2d 2×3×3 · f² = tanh · maps 2×4×4"]
        assert check_map_board(app.stepper, list(app.main.query(ProfileMapSheet)) + list(app.main.query(ProfileSheet))) > 0
        equation = str(app.main.query_one("#equation").render())
        assert equation.startswith("∂C/∂w² ← ∂C/∂w² + (a¹ ⋆ δ²)/|B|")


@pytest.mark.parametrize("name", NAMES)
def test_the_conv_rules_write_f_prime_as_the_profiles_dense_lines_do(name):
    """The help's rules (`d`, `?`) of edges: a convolution's f′ and the δ below it in the profile's layer
    index, as its dense layer's f′ (no lecture s⁽ˡ⁾ left); the lecture's own lines unchanged."""
    from bptui.tui.help import network_text

    P, spec = ALL[name], load(NETWORKS / "edges.json")
    text = network_text(spec, P)
    printer = TextPrinter(notation=P)
    f2, fl = printer.p(Sym("f′", 1, latex="f'")), printer.p(Sym("f′", "l", latex="f'", vector=True))
    from bptui.core.ops.optim import BETA1

    beta1 = printer.p(BETA1)  # Adam's decay rate as the profile writes it (goodfellow's ρ₁)
    own = "\n".join(line for line in text.splitlines() if beta1 not in line)  # goodfellow's Adam writes its moment s
    assert "f′(s" not in text and (P.pre_activation.text == "s" or "s⁽" not in own)
    assert f"  {f2} = 1 − " in text and f"⊙ {fl}   (below a convolution" in text
    lecture = network_text(spec)
    assert "  f′(s⁽¹⁾) = 1 − o⁽¹⁾⊙o⁽¹⁾" in lecture and "⋆full rot180(W⁽ˡ⁺¹⁾)) ⊙ f′(s⁽ˡ⁾)" in lecture


@pytest.mark.parametrize("name, conv, pool, words", [
    ("nielsen", "a outside the map is 0", "(entry 1 of vec(a³))", "the weight of kernel 2 at channel 1, offset (3, 1) in layer 2"),
    ("cs231n", "h outside the map is 0", "(entry 0 of vec(h²))", "the weight of kernel 1 at channel 0, offset (2, 0) in layer 1"),
])
def test_a_conv_networks_notes_and_words_name_and_number_as_the_panels(name, conv, pool, words):
    """The equation line's notes (the padding's a, the entry of vec(a) a dense layer reads) and a kernel
    weight's explanation in the profile's letters and numbers: the panel's k, c, offsets and layer."""
    from bptui.core.engine.equations import step_equation
    from bptui.core.teaching.explain import Cell, explain

    stepper = Stepper(load(NETWORKS / "edges.json"), notation=PROFILES[name])
    lines = [step_equation(stepper, stepper.forward()) for _ in range(11)]
    assert conv in lines[0] and pool in lines[8] and "o⁽" not in lines[0] + lines[8]
    assert explain(stepper, Cell("W", 1, 2, 7)).text().splitlines()[0].endswith(f"{words} (a convolution)")

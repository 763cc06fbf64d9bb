"""The app's sequence panels in a notation profile (issue 23; tui/profile_seq_sheet.py): what a panel
shows next to a name is the value the core shows under it.

- every cell of every panel over random rnn, stacked, LSTM and GRU networks in every shipped profile
  and two courses' (full batch, per example, mini-batches; sgd, momentum, adam), step by step through
  an epoch and into the next: its number is the board's entry as the profile shows it (through
  ``shown_ref`` and ``profiles.VIEWS``: W without column 0, b, G/m, o without its 1, cs231n's
  transposes), under the profile's (or the kind's) symbol, every weight and gradient entry once; the
  step's equation line's weight gradients (∂ℓ/∂W, ∂ℓ/∂b, G/m) are the cells under the same key;
- random transformer-like sequence networks (attention, residual blocks, layer norms): the same;
- dropout on feature maps opens in every profile too;
- parity in nielsen in the app: it opens, steps forward and back, Enter edits the file's entry;
- a snapshot of long_memory_lstm in nielsen at 120×40.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pytest

from bptui.core.engine import equations as E
from bptui.core.engine.kind import rows_with_one
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load, parse
from bptui.core.formulas.formula import Arr, Ref, TextPrinter
from bptui.core.formulas.profiles import PROFILES, VIEWS, shown_ref, shown_value
from bptui.tui.explain import TimeIndex

from .conftest import NETWORKS, dropout_on_maps
from .test_notation_panels import (ALL, NAMES, _lines, built, edit, group_of_board, map_panels as panels,
                                  parse as parse_cell, runs_at)
from .test_notation_recurrent import recurrent_doc


def name_over(sheet, y: int, x: int) -> str:
    """The name a cell stands under: the weights' heading line over its column (column vectors), or
    the name on the first line of its part (a weight part with row vectors; a quantity of the grid)."""
    if y < sheet.grid_top and sheet.heading_lines:
        top = max(h for h in sheet.heading_lines if h < y)  # the nearest heading line above (a block's)
        names = [(x0, t) for x0, t in runs_at(sheet.lines[top]) if x0 <= x and t.strip()]
        return names[-1][1].strip().removeprefix("▶ ")
    width = sheet.weight_name_width if y < sheet.grid_top else sheet.name_width
    while True:
        label = "".join(t for t, _, _ in sheet.lines[y][:2])[:width].strip()
        if label:
            return label.removeprefix("▶ ")
        y -= 1


def expected(stepper, key, m: int, p, ones: frozenset[int]) -> tuple[str, float | None]:
    """The name and the value of the board's entry a cell's key stands for, as the profile shows it
    (through shown_ref: the part of the lecture's array, its index there, G/m for the board's group of
    ``m``; ``ones``: rows_with_one), named by the profile's printer ``p``."""
    P, spec, st = stepper.notation, stepper.spec, stepper.state
    q, l, where, col = key
    kinds = spec.layer_kinds
    if q in ("W", "G"):
        ref = shown_ref(Ref(q, l, (where, col)), P, spec.L)
        view = ref.view.partition("/")[0]
        value = float(_shown((st.W if q == "W" else st.G)[l], ref.view, m)[ref.index])
        names = next(n for first, rows, _, n in kinds[l - 1].matrix_blocks(l) if first <= where < first + rows)
        if view == "b":
            return p(names["b" if q == "W" else "Gb"]), value
        own = {c: (s, g) for c, s, g in kinds[l - 1].separate_biases(l)} if P.separate_bias else {}
        if col in own:  # a GRU's U bias: b_{h}, a part of its own (U without its bias column)
            return p(own[col][0] if q == "W" else own[col][1]), value
        # the part of the kind's columns the entry is in (U's, a layer norm's β or γ), the block's name (W_Q) where
        # that part is the layer's W⁽ˡ⁾ itself
        at = [i for i, (first, _) in enumerate(kinds[l - 1].matrix_parts(l)) if first <= col][-1]
        sym = kinds[l - 1].matrix_parts(l)[at][1]
        weights = p(names["W"] if sym == E.W(l) else sym)
        if q == "G":  # the gradient of the weights over the same column: ∂C/∂w², ∂C/∂U² (U's part: U's)
            if "{}" in P.gradient.text:
                return P.gradient.text.replace("{}", weights), value
            gsym = kinds[l - 1].gradient_parts(l)[at][1]
            return p(names["G"] if gsym == E.G(l) else gsym), value  # G⁽ˡ⁾, G⁽ˡ⁾_{U}, G_β⁽ˡ⁾
        return weights, value
    assert isinstance(where, TimeIndex)
    kind = kinds[l - 1] if l else None
    if l == 0:
        name = f"{p(E.o(0))} = x"
        board = st.o[0]
        if board is None:  # before the first step: the example the first step reads
            return name, float(np.asarray(stepper.where().x, dtype=float)[where.t - 1][where.row])
    else:
        sym = kind.step_sym(kind.step_name(q), l, None) or kind.cell_sym(q, l)
        parts = [s for first, s in kind.panel_parts(q, l) if first <= where.row]  # a GRU's s: s_x's rows, s_h's
        name = p(parts[-1] if parts else sym)
        board = st.extra.get((q, l)) if q not in ("s", "o", "delta") else {"s": st.s, "o": st.o, "delta": st.delta}[q][l]
    if board is None:
        return name, None
    A = np.asarray(board)
    if A.ndim == 3:  # attention's a: H × T × T, a row per head h and key τ′, the query τ along it
        h, u = divmod(where.row, A.shape[2])
        return name, float(A[h, where.t - 1, u])
    row = (kind.time_row(q, where.t) if kind is not None else where.t - 1) if where.t is not None else None
    one = q == "o" and l in ones  # o_τ with its 1 on top of the row: shown without it
    if row is None:  # a layer above a many-to-one layer: its vector, once
        index: tuple = (where.row + (1 if q == "o" and l < spec.L and kind.bias_entry else 0),)
        ref = shown_ref(Ref(q, l, index), P, spec.L)
    else:
        index = (row, where.row + (1 if one else 0))
        ref = shown_ref(Ref(q, l, index), P, spec.L, ones)
    view = ref.view if one or row is None else ""
    return name, float(shown_value(A, view)[ref.index if view else index])


_SHOWN: dict = {}


def _shown(board, view: str, m: int):
    """shown_value, worked out once per board array (the arrays are never changed in place)."""
    hit = _SHOWN.get((id(board), view, m))
    if hit is None or hit[0] is not board:
        if len(_SHOWN) > 1000:
            _SHOWN.clear()
        hit = _SHOWN[id(board), view, m] = (board, shown_value(board, view, m))
    return hit[1]


def check(stepper, sheets) -> int:
    """Every cell of every sequence panel: its number under its name; every weight, bias and gradient entry
    of the layer once; every grid row at every τ."""
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    checked, m, p = 0, group_of_board(stepper), lru_cache(None)(TextPrinter(notation=stepper.notation).p)
    ones = rows_with_one(stepper.spec.layer_kinds)
    assert sheets and all(isinstance(s, ProfileSeqSheet) for s in sheets)
    for sheet in sheets:
        keys = []
        texts = [dict(runs_at(line)) for line in sheet.lines]
        for y, x, key in sheet.cells:
            text = texts[y][x]
            keys.append(key)
            name, value = expected(stepper, key, m, p, ones)
            assert name_over(sheet, y, x) == name, (stepper.notation.name, key)
            shown = parse_cell(text)
            if value is None or np.isnan(value):
                assert shown is None or np.isnan(shown[0]), (key, text)
                continue
            assert shown is not None, (key, text, value)
            assert abs(shown[0] - value) <= shown[1] * (1 + 1e-9) + 1e-12, (stepper.notation.name, key, text, value)
            checked += 1
        l = sheet.l_index
        W = stepper.state.W[l]
        weights = [k for k in keys if k[0] in ("W", "G")]
        if sheet.kind.has_weights:  # each block's entries (not the padding outside attention's four matrices)
            assert sorted(weights) == sorted((q, l, i, j) for q in ("W", "G")
                                             for first, rows, used, _ in sheet.kind.matrix_blocks(l)
                                             for i in range(first, first + rows) for j in range(used))
        assert len(set(keys)) == len(keys)
    return checked


def agree(stepper, step, sheets) -> int:
    """The equation line's weight gradients (∂ℓ/∂W, ∂ℓ/∂b; G/m) are the panel's cells of the file's entries
    they stand for (each entry of the result mapped back through its view)."""
    P, agreed = stepper.notation, 0
    cells = {}
    for sheet in sheets:
        texts = [dict(runs_at(line)) for line in sheet.lines]
        cells |= {key: texts[y][x] for y, x, key in sheet.cells}
    for eq in E.step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
        result = eq.result
        if not isinstance(result, Arr) or result.ref is None or result.ref.quantity not in ("W", "G"):
            continue
        board = (stepper.state.W if result.ref.quantity == "W" else stepper.state.G)[result.ref.layer]
        if np.shape(result.values) != np.shape(shown_value(board, result.ref.view)):
            continue  # a part of the matrix (attention's W_Q): its entries are checked against the board
        view = result.ref.view.partition("/")[0]
        for index in np.ndindex(*np.shape(result.values)):
            one_column = re.fullmatch(r"W(\.T)?\[\d+\]", view) is not None  # a GRU's b_{h}: its column as a vector
            i, j = VIEWS[view].lecture(index) if len(index) == 2 or view == "b" or one_column else (index[0], 0)
            key = (result.ref.quantity, result.ref.layer, i, j)
            if key not in cells:  # the padding outside attention's four matrices (check: the rest is shown)
                continue
            number, half = parse_cell(cells[key])
            assert abs(number - float(np.asarray(result.values)[index])) <= half * (1 + 1e-9) + 1e-12, (P.name, eq.lhs)
        agreed += 1
    return agreed


@pytest.mark.parametrize("seed", range(8))
def test_every_sequence_panel_cell_is_its_value_under_its_name(seed):
    """Random rnn, stacked, LSTM and GRU networks (full batch, per example, mini-batches of 2; sgd, momentum,
    adam), each in a profile or a course's file, through an epoch and into the next."""
    family = ("rnn", "stack", "lstm", "gru")[seed % 4]
    name = NAMES[seed % len(NAMES)]
    update = ("full_batch", "per_example", "mini_batch")[seed % 3]
    doc = recurrent_doc(family, seed, update=update, optimizer=("sgd", "momentum", "adam")[seed // 2 % 3])
    stepper = Stepper(parse(doc, f"{family}.json"), notation=ALL[name])
    sheets = panels(stepper, 2 + seed % 4)
    checked, agreed = check(stepper, sheets), 0
    for _ in range(len(stepper.schedule) + 3):
        step = stepper.forward()
        built(stepper, 2 + seed % 4, sheets)  # the same panels, step after step (what they keep stays true)
        checked += check(stepper, sheets)
        agreed += agree(stepper, step, sheets)
    assert checked > 0 and agreed > 0


@pytest.mark.parametrize("seed", range(6))
def test_every_transformer_panel_cell_is_its_value_under_its_name(seed):
    """Transformer-like sequence networks (attention, residual blocks, layer norms, dense layers at τ; one
    example per group) in a profile or a course's file: every cell of every panel is its value under its
    name, through the first example and its update."""
    from .test_residual_sequences import random_doc

    stepper = Stepper(parse(random_doc(seed, n=2, update="per_example"), "t.json"), notation=ALL[NAMES[seed % len(NAMES)]])
    sheets = panels(stepper, 3)
    checked, agreed = check(stepper, sheets), 0
    while True:
        step = stepper.forward()
        built(stepper, 3, sheets)
        checked += check(stepper, sheets)
        agreed += agree(stepper, step, sheets)
        if step.key.phase == "update":
            break
    assert checked > 0


@pytest.mark.parametrize("network", ["parity", "gru_parity", "stacked_parity", "long_memory", "long_memory_lstm",
                                     "count_tokens", "tiny_transformer"])
def test_every_bundled_sequence_network_opens_in_every_profile(network):
    """Each bundled network on sequences in every shipped profile and the courses' files: the app's panels
    fit, and at the first example's first gradient and after the first update every cell is its value."""
    from bptui.tui.panels import panels_fit

    spec = load(NETWORKS / f"{network}.json")
    for name in NAMES:
        assert panels_fit(spec.layer_kinds, ALL[name]) is None, (network, name)
        stepper = Stepper(spec, notation=ALL[name])
        sheets = panels(stepper)
        while stepper.forward().key.quantity != "G":
            pass
        assert check(stepper, built(stepper, 4, sheets)) > 0
        while stepper.forward().key.phase != "update":
            pass
        assert check(stepper, built(stepper, 4, sheets)) > 0

@pytest.mark.parametrize("layer, name", [({"type": "layernorm"}, "nielsen"), ({"type": "dropout", "p": 0.5, "seed": 3}, "cs231n"),
                                         ({"type": "layernorm"}, "column_mean")])
def test_a_layer_norm_or_dropout_at_each_time_step_is_drawn_in_a_profile(layer, name):
    """rnn (return_sequences) → a layer norm or dropout at τ → softmax at τ: every cell its value under its
    name (γ and β apart, u; the mask m) through the epoch and its update."""
    rng = np.random.default_rng(0)
    doc = {"layers": [{"units": 2}, {"type": "rnn", "units": 3, "return_sequences": True}, layer,
                      {"units": 2, "activation": "softmax"}], "loss": "cross_entropy", "init": {"seed": 1},
           "data": {"inputs": [rng.normal(size=(3, 2)).tolist(), rng.normal(size=(2, 2)).tolist()],
                    "targets": [np.eye(2)[[0, 1, 0]].tolist(), np.eye(2)[[1, 1]].tolist()]},
           "training": {"learning_rate": 0.1, "update": "full_batch"}}
    stepper = Stepper(parse(doc, "r.json"), notation=ALL[name])
    sheets = panels(stepper)
    checked, agreed = check(stepper, sheets), 0
    for _ in range(len(stepper.schedule) + 2):
        step = stepper.forward()
        built(stepper, 4, sheets)
        checked += check(stepper, sheets)
        agreed += agree(stepper, step, sheets)
    assert checked > 0 and agreed > 0


def test_a_layer_norms_beta_and_gamma_stand_each_under_its_own_name_in_a_column0_profile():
    """tiny_transformer's layer norms in a course's profile with the bias in column 0: W = [β │ γ] is shown
    whole, β's column under β⁽²⁾ and γ's under γ⁽²⁾, their gradients under G_β⁽²⁾ and G_γ⁽²⁾ (never β under γ's
    name); in a separate-bias profile γ is the weights and β the bias (their own names too)."""
    for name, heads in (("column_mean", ["β⁽²⁾", "γ⁽²⁾", "G_β⁽²⁾", "G_γ⁽²⁾"]), ("nielsen", ["γ³", "β³", "∂C/∂γ³", "∂C/∂β³"])):
        stepper = Stepper(load(NETWORKS / "tiny_transformer.json"), notation=ALL[name])
        sheets = panels(stepper)
        norm = next(s for s in sheets if s.l_index == 2)
        assert _lines(norm)[0].split() == heads, name
        W = stepper.state.W[2]
        if name == "column_mean":  # β (column 0) then γ (column 1) on each unit's line
            assert [parse_cell(x)[0] for x in _lines(norm)[1].split()[1:4:2]] == pytest.approx(W[0], abs=5e-5)
        assert check(stepper, sheets) > 0


def test_every_layer_network_is_drawn_in_every_profile(tmp_path):
    """A layer norm on vectors (moons_layernorm) and on a sequence (tiny_transformer), and dropout on
    feature maps, open in every profile: panels_fit refuses none."""
    from bptui.tui.panels import panels_fit

    for name in NAMES:
        for path in (dropout_on_maps(tmp_path), NETWORKS / "moons_layernorm.json", NETWORKS / "tiny_transformer.json"):
            assert panels_fit(load(path).layer_kinds, ALL[name]) is None, (path, name)


def grid_end(sheet) -> int | None:
    """Where a sequence panel's grid over τ ends: at the blank line over the optimizer's state, at its foot."""
    return sheet.state_headings[0] - 1 if sheet.state_headings else None


def test_parity_in_nielsen_reads_as_the_core_writes_it():
    """parity after its first example's backward pass in nielsen: his layer numbers (the input a¹), w² │ U²
    without the bias and b² beside them, ∂C/∂w², ∂C/∂U² and ∂C/∂b² as G/m (m = the group), z² a² δ² over τ."""
    stepper = Stepper(load(NETWORKS / "parity.json"), notation=PROFILES["nielsen"])
    for _ in range(9):
        stepper.forward()
    rnn, dense = panels(stepper)
    assert rnn._title() == "Layer 2 · rnn 4 · f² = tanh · unrolled over τ = 1 … 2"
    lines = _lines(rnn)
    assert lines[0].split() == ["w²", "U²", "b²", "∂C/∂w²", "∂C/∂U²", "∂C/∂b²"]  # U's part of G under U's name
    assert [line.split()[0] for line in lines[1:5]] == ["j=1", "j=2", "j=3", "j=4"]
    W = stepper.state.W[1]
    first = [parse_cell(x)[0] for x in lines[1].split()[1:7]]  # w²₁,₁, U²'s row, b²₁
    assert first == pytest.approx([*W[0, 1:], W[0, 0]], abs=5e-5)
    grid = lines[rnn.grid_top + 1:grid_end(rnn)]
    assert [line.split()[0] for line in grid if not line.startswith(" ")] == ["a¹", "z²", "a²", "δ²", "‖δ²_τ‖", "log"]
    assert dense._title() == "Layer 3 · dense 1 · f³ = sigmoid · once, on a² at τ = T = 2 (many-to-one)"


def test_gru_parity_in_cs231n_shows_w_and_u_transposed_under_gate_rows_from_0():
    """cs231n's rows: W¹ (one input) and U¹ (4 lines, without U's bias column) transposed, a column per gate row
    r0 … n3, b¹ and U's bias b¹_{h} a line each under them, then dW¹ and dU¹ (U's lines), db¹ and db¹_{h} (G/m:
    cs231n is a mean profile); the grid's units from 0."""
    stepper = Stepper(load(NETWORKS / "gru_parity.json"), notation=PROFILES["cs231n"])
    rnn, _ = panels(stepper)
    lines = _lines(rnn)
    assert lines[0].split() == [f"{g}{u}" for g in "rzn" for u in range(4)]
    assert [line[:14].split() for line in lines[1:15]] == [
        ["W¹", "k=0"], ["U¹", "k=0"], ["k=1"], ["k=2"], ["k=3"], ["b¹"], ["b¹_{h}"],  # U without its bias: b¹_{h}
        ["dW¹", "k=0"], ["dU¹", "k=0"], ["k=1"], ["k=2"], ["k=3"], ["db¹"], ["db¹_{h}"]]  # U's gradient under dU¹
    W = stepper.state.W[1]
    assert [parse_cell(x)[0] for x in lines[1].split()[2:]] == pytest.approx(W[:, 1], abs=5e-5)
    assert [parse_cell(x)[0] for x in lines[2].split()[2:]] == pytest.approx(W[:, 3], abs=5e-5)  # U's first input
    assert [parse_cell(x)[0] for x in lines[6].split()[1:]] == pytest.approx(W[:, 0], abs=5e-5)
    assert [parse_cell(x)[0] for x in lines[7].split()[1:]] == pytest.approx(W[:, 2], abs=5e-5)  # bias_hh
    grid = lines[rnn.grid_top:grid_end(rnn)]
    assert grid[1].split()[:4] == ["h⁰", "=", "x", "k=0"] and "r0" in grid[2] and "j=0" in grid[-(4 + 4 + 12 + 2)]


async def test_parity_in_nielsen_opens_steps_and_an_edit_changes_the_files_entry():
    """`bptui parity --notation nielsen` (it was refused): the panels step forward and back with n and p;
    the cursor starts on w²₁,₁ (the file's column 1, not the bias); right past U² reaches b²₁, whose Enter
    edits the file's column 0."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    app = BptuiApp(load(NETWORKS / "parity.json"), PROFILES["nielsen"])
    async with app.run_test(size=(120, 40)) as pilot:
        sheet = app.screen.query_one("#layer-1", ProfileSeqSheet)
        assert sheet.border_title.startswith("Layer 2 · rnn 4 · f² = tanh")
        await pilot.press("n", "n", "n")
        assert app.stepper.position == 3 and "now τ = " in sheet.border_title
        await pilot.press("p")
        assert app.stepper.position == 2
        sheet.focus()
        await pilot.pause()
        assert sheet.cursor_cell == ("W", 1, 0, 1)
        await pilot.press(*["right"] * 5)
        assert sheet.cursor_cell == ("W", 1, 0, 0)  # b²₁ after w² │ U²
        before = np.array(app.stepper.state.W[1])
        await edit(pilot, "b₁²", "0.5")
        after = np.array(app.stepper.state.W[1])
        assert after[0, 0] == 0.5 and np.array_equal(np.delete(after.ravel(), 0), np.delete(before.ravel(), 0))
        assert "0.5000" in _lines(sheet)[1]


def test_long_memory_lstm_in_nielsen(snap_compare):
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "long_memory_lstm.json"), PROFILES["nielsen"])
    assert snap_compare(app, press=["n"] * 6, terminal_size=(120, 40))

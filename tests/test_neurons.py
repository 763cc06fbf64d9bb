"""Neurons you can see: each unit's map over the input plane, its s, o, δ, and the edges a step uses."""

from dataclasses import replace

import numpy as np
import pytest

from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.engine.neurons import unit_maps, weights_used
from bptui.core.formulas.notation import array_form, num, sub, sup
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper
from bptui.core.engine.train import output_grid, plane_ranges
from bptui.tui.diagrams import (COLD_ARROW, EDGE_GLYPHS, EXAMPLE, MAP_ROWS, SHADES, WEIGHT_GLYPH, MapCache, NNDiagram,
                                nn_diagram, nn_state, weight_kind)
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.graph_layout import ARROW
from bptui.tui.net_diagrams import NetworkDiagrams

from .conftest import NETWORKS
from .helpers import panel_text
from .tui_helpers import app_for


def per_point(spec, weights, x):
    """o⁽ˡ⁾ of one input, each layer by the lecture's rule written out here: o⁽⁰⁾ = [1, x],
    s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾, o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)] (no leading 1 for the output layer)."""
    o, outs = np.concatenate([[1.0], x]), [np.asarray(x, dtype=float)]
    for l, W in enumerate(weights, start=1):
        act = ACTIVATIONS[spec.activations[l - 1]]
        f = act.f(W @ o, spec.alphas[l - 1])
        outs.append(f)
        o = np.concatenate([[1.0], f])
    return outs


@pytest.mark.parametrize("name", ["xor", "moons", "classifier", "deep_relu"])
def test_unit_maps_are_each_units_output_at_each_grid_point(name):
    spec = load(NETWORKS / f"{name}.json")
    rng = np.random.default_rng(1)
    weights = [w + rng.normal(0, 0.5, w.shape) for w in spec.weights]  # not the file's: any weights
    m = unit_maps(spec, weights, 7, 5)
    (x0, x1), (y0, y1) = plane_ranges(spec)
    assert m.xs[0] == x0 and m.xs[-1] == x1 and m.ys[0] == y0 and m.ys[-1] == y1
    for l in range(spec.L + 1):
        assert m.maps[l].shape == (spec.widths[l], 5, 7)
    for i in range(5):
        for j in range(7):
            outs = per_point(spec, weights, np.array([m.xs[j], m.ys[i]]))
            for l in range(spec.L + 1):
                np.testing.assert_allclose(m.maps[l][:, i, j], outs[l], rtol=1e-12, atol=1e-14)
    # the output layer's map is the decision map's grid
    _, _, Z = output_grid(spec, weights, 7, 5)
    np.testing.assert_allclose(m.maps[spec.L], np.moveaxis(Z, 2, 0), rtol=1e-12)


def test_the_planes_range_is_the_datas_widened_by_a_tenth_one_rule_for_both_maps():
    spec = load(NETWORKS / "xor.json")  # inputs 0 … 1 in both columns: widened by 0.1 each side
    assert plane_ranges(spec) == ((-0.1, 1.1), (-0.1, 1.1))
    assert output_grid(spec, spec.weights, 3, 2)[0].tolist() == pytest.approx([-0.1, 0.5, 1.1], abs=1e-15)
    flat = replace(spec, inputs=np.array([[2.0, -1.0], [2.0, 3.0]]), test_inputs=None)  # x₁ spans 0: ±1
    assert plane_ranges(flat) == ((1.0, 3.0), pytest.approx((-1.4, 3.4), abs=1e-15))
    m = unit_maps(flat, flat.weights, 3, 2)
    assert m.xs.tolist() == [1.0, 2.0, 3.0] and m.ys.tolist() == pytest.approx([-1.4, 3.4], abs=1e-15)


def test_the_map_cache_recomputes_for_a_new_spec_with_the_same_arrays():
    spec = load(NETWORKS / "xor.json")
    cache = MapCache()
    first = cache.get(spec, spec.weights, 7)
    assert cache.get(spec, spec.weights, 7) is first and cache.computed == 1
    wider = replace(spec, inputs=spec.inputs * 3)  # the same weight arrays, a new spec: a wider plane
    maps = cache.get(wider, spec.weights, 7)
    assert cache.computed == 2 and maps.xs[-1] == pytest.approx(3.3)
    np.testing.assert_array_equal(maps.maps[2], unit_maps(wider, spec.weights, 7, MAP_ROWS).maps[2])


def test_a_maps_levels_span_the_activations_range():
    spec = load(NETWORKS / "xor.json")  # tanh hidden units: −1 … 1; the sigmoid output: 0 … 1
    m = unit_maps(spec, spec.weights, 40, 20)
    assert m.ranges[1] == (-1.0, 1.0) and m.ranges[2] == (0.0, 1.0)
    lv = m.level(1, 1, 5)
    expected = np.rint((m.maps[1][0] + 1) / 2 * 4).astype(int)
    assert (lv == expected).all() and lv.min() >= 0 and lv.max() <= 4
    relu = load(NETWORKS / "deep_relu.json")  # unbounded: the layer's own span on the grid
    r = unit_maps(relu, relu.weights, 9, 9)
    assert r.ranges[1] == (float(r.maps[1].min()), float(r.maps[1].max()))


def test_a_layers_levels_in_one_pass_are_each_units():
    """``layer_levels`` (what the diagram draws a layer's maps from after an update) is ``level`` of each
    unit, with a nan (the middle) and an infinity (the end) among the values."""
    spec = load(NETWORKS / "moons.json")
    m = unit_maps(spec, spec.weights, 12, MAP_ROWS)
    m.maps[1][0, 0, 0], m.maps[1][1, 1, 1], m.maps[1][2, 2, 2] = np.nan, np.inf, -np.inf
    for l in range(spec.L + 1):
        whole = m.layer_levels(l, len(SHADES))
        assert whole.shape == (spec.widths[l], MAP_ROWS, 12)
        for b in range(1, spec.widths[l] + 1):
            assert (whole[b - 1] == m.level(l, b, len(SHADES))).all()
    assert m.layer_levels(1, 5)[0, 0, 0] == 2 and m.layer_levels(1, 5)[1, 1, 1] == 4 \
        and m.layer_levels(1, 5)[2, 2, 2] == 0


def test_unit_maps_need_two_inputs():
    with pytest.raises(ValueError, match="2 inputs"):
        unit_maps(load(NETWORKS / "iris.json"), load(NETWORKS / "iris.json").weights, 5, 5)


def test_weights_used_follows_the_lecture_equations():
    stepper = Stepper(load(NETWORKS / "deep_sigmoid.json"))
    L = stepper.spec.L
    expected = {"s": lambda l: {l}, "o": lambda l: set(), "G": lambda l: {l}, "W": lambda l: {l},
                "delta": lambda l: {l + 1} if l < L else set()}
    seen = set()
    for key in stepper.schedule.steps():
        used = weights_used(key, L)
        if key.quantity == "loss":
            assert used == frozenset()
        else:
            assert used == frozenset(expected[key.quantity](key.layer)), key
        seen.add(key.quantity)
    assert seen == {"s", "o", "loss", "delta", "G", "W"}


def test_weight_glyphs_by_sign_and_size():
    assert [weight_kind(w, 1.0) for w in (0.1, 0.6, -0.1, -0.5, 0.0)] == ["+", "++", "-", "--", "+"]
    assert "─".translate(EDGE_GLYPHS["--"]) == "┅" and "│".translate(EDGE_GLYPHS["-"]) == "┆"
    assert "┼".translate(EDGE_GLYPHS["++"]) == "╋"


# -- the diagram in the app ---------------------------------------------------------------------------
def box_text(canvas: GraphCanvas, node: str, rows: list[str] | None = None) -> list[str]:
    """The lines inside ``node``'s box as the canvas draws them (plain text, no colour); ``rows``: the
    canvas's ``text_lines()`` read once for the state it is in, for a test that reads every box of it."""
    b = canvas.grid.boxes[node]
    rows = canvas.text_lines() if rows is None else rows
    return [rows[y][b.x + 1:b.x + b.w - 1].strip() for y in range(b.y + 1, b.y + b.h - 1)]


def expected_lines(stepper, l: int, b: int, digits: int) -> list[str]:
    """s, o, δ of unit b of layer l as the stepper holds them (· before they are computed); x as the status
    names it (before the first step, the example that comes next: given, not computed)."""
    from bptui.tui.diagrams import board_input

    st = stepper.state

    def v(x, i):  # as the layer's panel writes the entry of its array
        return "·" if x is None else panel_text(x, i, digits)

    o = board_input(stepper)[0] if l == 0 else st.o[l]
    units = None if o is None else stepper.net.units(l, o)
    if l == 0:  # as the status line's o⁽⁰⁾ = [1, x] writes it
        return [f"x{sub(b)} = {'·' if units is None else num(float(units[b - 1]), digits, array_form(units, digits))}"]
    u = f"{sub(b)}{sup(l)}"
    hidden = l < stepper.spec.L  # the panel's o has its 1 on top
    return [f"s{u} = {v(st.s[l], b - 1)}", f"o{u} = {v(o, b - (not hidden))}", f"δ{u} = {v(st.delta[l], b - 1)}"]


def arrows(canvas: GraphCanvas) -> dict:
    """Each edge's arrow as drawn: ▶ where the last step used it, ▷ where not."""
    rows = canvas.text_lines()
    return {i: rows[y][x] for (x, y), i in canvas.grid.arrows.items()}


def hot_arrows(canvas: GraphCanvas) -> int:
    return sum(a == ARROW for a in arrows(canvas).values())


@pytest.mark.parametrize("name", ["xor", "iris", "deep_relu"])
async def test_the_diagram_shows_each_units_s_o_delta_and_the_edges_each_step_uses(name):
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        d = app.query_one(NetworkDiagrams).diagrams["nn"]
        assert isinstance(d, NNDiagram)
        spec, stepper, L = app.spec, app.stepper, app.spec.L
        maps = spec.widths[0] == 2
        kinds = set()
        for k in range(4 * L + 1 + 2 * L):  # one example's steps, then the first steps of the next or the updates
            if k:
                await pilot.press("n")
            digits = app.screen.digits
            rows = canvas.text_lines()  # (the canvas as this step left it: every box below reads it)
            for l in range(L + 1):
                for b in range(1, spec.widths[l] + 1):
                    lines = box_text(canvas, f"u{l}_{b}", rows)
                    values = [line.rstrip("•").strip() for line in lines[(MAP_ROWS if maps else 0):]]
                    assert values == expected_lines(stepper, l, b, digits), (k, l, b)
            last = stepper.last
            state = canvas.state
            if last is None:
                assert state.hot_edges == frozenset() and hot_arrows(canvas) == 0
                continue
            kinds.add(last.key.quantity)
            used = weights_used(last.key, L)
            hot = {i for i, l in enumerate(d.edge_layers) if l in used}
            assert state.hot_edges == hot, last.key
            # readable without colour: ▶ on each edge the step used, ▷ on the others
            assert arrows(canvas) == {i: ARROW if i in hot else COLD_ARROW for i in range(len(d.edges))}
            q, l = last.key.quantity, last.key.layer
            if q in ("s", "o", "delta"):  # the unit lines the step wrote carry •
                line = {"s": 0, "o": 1, "delta": 2}[q] + (MAP_ROWS if maps else 0)
                for b in range(1, spec.widths[l] + 1):
                    assert box_text(canvas, f"u{l}_{b}", rows)[line].endswith("•")
                    assert state.marked[f"u{l}_{b}"] == line
        await pilot.press("u")  # through the next update: the last step writes W⁽ᴸ⁾
        key = stepper.last.key
        assert (key.phase, key.layer) == ("update", L)
        hot = {i for i, l in enumerate(d.edge_layers) if l == L}
        assert canvas.state.hot_edges == hot
        assert arrows(canvas) == {i: ARROW if i in hot else COLD_ARROW for i in range(len(d.edges))}
        if f"W{L}" in canvas.state.texts:  # a W⁽ᴸ⁾ box: every row written
            assert canvas.state.marked == {f"W{L}": -1}
            assert all(row.endswith("•") for row in box_text(canvas, f"W{L}") if row)
        kinds.add(key.quantity)
        assert kinds == {"s", "o", "loss", "delta", "G", "W"}


async def test_each_edge_shows_its_weight_by_label_and_glyph():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        d = app.query_one(NetworkDiagrams).diagrams["nn"]
        W = app.stepper.state.W
        big = max(float(np.abs(w).max()) for w in W[1:])
        assert big == 0.7
        for i, (l, row, col) in d.weight_edges.items():
            w = float(W[l][row, col])
            assert canvas.state.labels[i] == panel_text(W[l], (row, col))
            assert canvas.state.edge_kinds[i] == ("-" if w < 0 else "+") * (2 if abs(w) >= 0.35 else 1)
        text = "\n".join(canvas.text_lines())
        assert "━" in text and "┅" in text and "┄" in text  # heavy +, heavy −, light −: drawn as such
        # after the updates the glyphs follow the new weights
        await pilot.press("e")
        W = app.stepper.state.W
        big = max(float(np.abs(w).max()) for w in W[1:])
        for i, (l, row, col) in d.weight_edges.items():
            assert canvas.state.edge_kinds[i] == weight_kind(float(W[l][row, col]), big)


def map_rows(spec, m, l, b, x=None) -> list[str]:
    """Unit b of layer l's map as the diagram should draw it: top row the largest x₂, a shade per level,
    ◆ at the grid point nearest the example's input x."""
    rows = [[SHADES[v] for v in r] for r in m.level(l, b, len(SHADES))[::-1].tolist()]
    if x is not None:
        (x0, x1), (y0, y1) = plane_ranges(spec)
        j = int(np.clip(round((x[0] - x0) / (x1 - x0) * (len(m.xs) - 1)), 0, len(m.xs) - 1))
        i = int(np.clip(round((x[1] - y0) / (y1 - y0) * (len(m.ys) - 1)), 0, len(m.ys) - 1))
        rows[len(m.ys) - 1 - i][j] = EXAMPLE
    return ["".join(r) for r in rows]


async def test_units_maps_are_the_core_grid_and_recomputed_only_when_weights_change():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        diagrams = app.query_one(NetworkDiagrams)
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        cache = diagrams.maps
        assert isinstance(cache, MapCache) and cache.computed == 1
        spec = app.spec
        width = canvas.nodes["u1_1"].width
        m = unit_maps(spec, app.stepper.weights, width, MAP_ROWS)
        x0 = np.asarray(app.stepper.where().x)  # before the first step: the example the status names, ◆
        for l, b in ((0, 1), (0, 2), (1, 1), (1, 2), (2, 1)):
            rows = box_text(canvas, f"u{l}_{b}")[:MAP_ROWS]
            assert rows == [r.strip() for r in map_rows(spec, m, l, b, x0)]  # drawn, as plain text
            levels = m.level(l, b, len(SHADES))[::-1]
            assert canvas.state.paints[f"u{l}_{b}"][0] == tuple(levels[0].tolist())  # and its colours
        await pilot.press("n")  # example 1 on the board, x = (0, 0): ◆ in every map
        x = app.stepper.state.o[0][1:]
        for l, b in ((0, 1), (1, 2), (2, 1)):
            assert canvas.state.texts[f"u{l}_{b}"][:MAP_ROWS] == map_rows(spec, m, l, b, x)
        assert EXAMPLE in box_text(canvas, "u1_1")[MAP_ROWS - 1]  # x₂ = 0: the bottom row
        await pilot.press("f", "b")  # steps that change no weight: no new maps
        assert cache.computed == 1
        await pilot.press("u")  # the updates: new weights, new maps
        assert cache.computed == 2
        m2 = unit_maps(spec, app.stepper.weights, width, MAP_ROWS)
        x = app.stepper.state.o[0][1:]
        assert canvas.state.texts["u2_1"][:MAP_ROWS] == map_rows(spec, m2, 2, 1, x)
        app.screen.action_reset()
        await pilot.pause()
        assert cache.computed == 3  # the file's weights again


async def test_a_big_layer_is_one_box_of_weight_glyphs():
    app = app_for("iris")  # 4-8-3: W⁽¹⁾ 8×5 and W⁽²⁾ 3×9 are boxes, not 67 crossing edges
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        d = app.query_one(NetworkDiagrams).diagrams["nn"]
        assert len(d.edges) == (5 + 8) + (9 + 3) and not d.weight_edges
        W = app.stepper.state.W
        big = max(float(np.abs(w).max()) for w in W[1:])
        for l in (1, 2):
            rows = [r for r in box_text(canvas, f"W{l}") if r]  # a box is as tall as its ports need
            assert len(rows) == W[l].shape[0]
            for r, row in enumerate(rows):
                glyphs = [WEIGHT_GLYPH[weight_kind(float(w), big)] for w in W[l][r]]
                assert row == glyphs[0] + "│" + " ".join(glyphs[1:])
        assert "W⁽¹⁾ (8×5)" in "\n".join(canvas.text_lines())
        title = str(app.query_one("#diagram-title").render())
        assert "W⁽¹⁾, W⁽²⁾" in title and "┄┄ −" in title


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_diagram_fits_any_terminal(size):
    app = app_for("moons")
    async with app.run_test(size=size) as pilot:
        await pilot.press("d", "n", "n", "f", "b")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        assert canvas.display and canvas.size.height > 0
        assert canvas.state.current == "W1"  # G⁽¹⁾: the W⁽¹⁾ box (moons: 24 weights), scrolled into view
        b = canvas.grid.boxes["W1"]
        assert canvas.scroll_y <= b.y and b.y + b.h <= canvas.scroll_y + canvas.size.height + b.h
        await pilot.press("d")
        assert app.query_one("#layers").display


def test_nn_state_without_an_app():
    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    d = nn_diagram(spec, 4)
    stepper.forward()
    state = nn_state(stepper, d, 4)
    assert state.texts["u1_1"][MAP_ROWS] == f"s₁⁽¹⁾ = {panel_text(stepper.state.s[1], 0)}"


async def test_the_quiz_question_is_not_given_away_by_the_diagram():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d", "z", "n")  # s⁽¹⁾ done, one of its values asked
        q = app.main.question
        assert q is not None and q.cell.quantity == "s"
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        b = q.cell.unit
        lines = box_text(canvas, f"u1_{b}")
        shown = panel_text(app.stepper.state.s[1], b - 1)
        assert lines[MAP_ROWS] == f"s{sub(b)}⁽¹⁾ = ?•" and shown not in "\n".join(lines)
        other = 3 - b  # the other unit's s is not asked: shown
        assert box_text(canvas, f"u1_{other}")[MAP_ROWS] == f"s{sub(other)}⁽¹⁾ = {panel_text(app.stepper.state.s[1], other - 1)}•"
        await pilot.press("escape")  # skipped: the value is shown
        assert box_text(canvas, f"u1_{b}")[MAP_ROWS] == f"s{sub(b)}⁽¹⁾ = {shown}•"


def test_a_weight_asked_by_the_quiz_shows_neither_value_nor_sign():
    from bptui.core.teaching.explain import Cell

    for name, boxed in (("xor", False), ("iris", True)):
        spec = load(NETWORKS / f"{name}.json")
        stepper = Stepper(spec)
        stepper.run_until(lambda s: s.key.phase == "update" and s.key.layer == 1)
        d = nn_diagram(spec, 4)
        state = nn_state(stepper, d, 4, hidden=Cell("W", 1, 2, 1))  # w₂,₁⁽¹⁾
        if boxed:
            assert state.texts["W1"][1].split("│")[1].startswith("?? ") and "?" not in state.texts["W1"][0]
        else:
            i = next(i for i, e in d.weight_edges.items() if e == (1, 1, 1))
            assert state.labels[i] == "?" and state.edge_kinds[i] == "?"
            assert sum(label == "?" for label in state.labels.values()) == 1


async def test_more_digits_widen_the_boxes_and_their_maps():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d", "n")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        cache = app.query_one(NetworkDiagrams).maps
        width = canvas.nodes["u1_1"].width
        await pilot.press("plus", "plus")
        assert app.screen.digits == 6 and canvas.nodes["u1_1"].width == width + 2 and cache.computed == 3  # once per width
        assert all(len(row) == width + 2 for row in canvas.state.texts["u1_1"][:MAP_ROWS])
        assert box_text(canvas, "u1_1")[MAP_ROWS] == f"s₁⁽¹⁾ = {panel_text(app.stepper.state.s[1], 0, 6)}•"


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the stepper's own s⁽²⁾ = ∞
async def test_a_diverged_network_draws_without_a_crash():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        for l, row, col in ((1, 0, 0), (2, 0, 0), (2, 0, 1)):  # s⁽²⁾ = 1e308 + 1e308·o₁⁽¹⁾ = ∞
            app.main._move(lambda: app.stepper.edit_weight(l, row, col, 1e308), rebuilt=True)
            await pilot.pause()
        await pilot.press("n", "n", "n", "n", "n", "n", "n")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        text = "\n".join(canvas.text_lines())
        assert "∞" in text or "nan" in text
        assert "Something went wrong" not in str(app.query_one("#message").render())


@pytest.mark.parametrize("name", ["xor", "classifier", "moons"])
async def test_every_edge_label_is_its_weight_whole(name):
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        canvas = app.query_one("#canvas-nn", GraphCanvas)
        d = app.query_one(NetworkDiagrams).diagrams["nn"]
        rows = canvas.text_lines()
        W = app.stepper.state.W
        assert d.weight_edges
        for i, (l, row, col) in d.weight_edges.items():
            x, y, width = canvas.grid.labels[i]
            assert rows[y][x:x + width].lstrip("─━┄┅") == panel_text(W[l], (row, col)), (l, row, col)

"""The decision map's rows in colour, built a run of one colour at a time (``DecisionMap._colour_rows``),
are cell for cell, segment for segment, the rows ``DecisionMap._map_row`` makes a cell at a time: over
random levels, classes, training points, labels and widths, after rows it keeps, and in the app over
random weights, update steps, a resize and a new theme."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style

from bptui.core.engine.train import output_grid
from bptui.core.formats.spec import load
from bptui.core.formulas.notation import minus_signs
from bptui.tui import plots
from bptui.tui.plots import DecisionMap

from .tui_helpers import NETWORKS, app_for

PAD = 6


def _segments(strip) -> list[tuple[str, object]]:
    return [(seg.text, seg.style) for seg in strip]


def _cell_by_cell(plot: DecisionMap, level: np.ndarray, cls: np.ndarray, labels: dict[int, str],
                  on_row: dict[int, list[tuple[int, str]]], axis: Style, w: int, base: Style) -> list:
    """The rows as the map made them before runs: ``_map_row`` on each row's lists of levels and classes."""
    rows = level.shape[0] // 2
    levels, classes = level.tolist(), cls.tolist()
    return [plot._map_row(labels.get(r, ""), levels[2 * rows - 1 - 2 * r], levels[2 * rows - 2 - 2 * r],
                          classes[2 * rows - 1 - 2 * r], dict(on_row.get(r, ())), False, axis, PAD, (w, base))
            for r in range(rows)]


def _same(new: list, old: list) -> None:
    assert len(new) == len(old)
    for r, (a, b) in enumerate(zip(new, old)):
        assert _segments(a) == _segments(b), r
        assert a.cell_length == b.cell_length, r
        assert all(x.style != y.style for x, y in zip(list(a)[:-1], list(a)[1:])), r  # maximal runs


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_maps_colour_rows_are_its_rows_made_cell_by_cell(data):
    name = data.draw(st.sampled_from(["moons", "classifier"]), "network")  # one output, three classes
    plot = DecisionMap(load(NETWORKS / f"{name}.json"))
    rows = data.draw(st.integers(1, 6), "rows")
    width = data.draw(st.integers(1, 24), "width")
    palette = data.draw(st.lists(st.integers(0, plots._LEVELS - 1), min_size=1, max_size=4), "levels")  # few: long runs
    level = np.array(data.draw(st.lists(st.sampled_from(palette), min_size=2 * rows * width,
                                        max_size=2 * rows * width), "grid"), dtype=int).reshape(2 * rows, width)
    if name == "moons":
        cls = np.full(level.shape, -1)
    else:  # (classes past the ten colours repeat them; level 0 is one colour whatever the class)
        cls = np.array(data.draw(st.lists(st.integers(0, 12), min_size=2 * rows * width, max_size=2 * rows * width),
                                 "classes"), dtype=int).reshape(level.shape)
    cells = st.tuples(st.integers(-1, rows), st.integers(-2, width + 1))
    points = data.draw(st.dictionaries(cells, st.sampled_from("○●•012"), max_size=3 * width), "points")
    on_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), g in points.items():
        on_row.setdefault(r, []).append((c, g))
    labels = data.draw(st.dictionaries(st.integers(0, rows - 1), st.sampled_from(["", "x₂", "−0.8", "1e+02", "−1e+02"])),
                       "labels")
    w = PAD + width + data.draw(st.integers(-2, 3), "room")  # narrower than the row, as wide, wider
    # the axis's style: a muted grey, or the style of the map's first cell (its run takes the label in)
    first = (int(level[-1, 0]), int(level[-2, 0]), int(cls[-1, 0]))
    axis = data.draw(st.sampled_from([Style(color="grey50"), plot._style(*first)]), "axis")
    base = Style(bgcolor="black")
    made = plot._colour_rows(level, cls, rows, width, labels, on_row, axis, PAD, w, base)
    _same(made, _cell_by_cell(plot, level, cls, labels, on_row, axis, w, base))
    # kept rows: another grid that shares some rows with this one, built after it
    again = level.copy()
    changed = data.draw(st.lists(st.integers(0, 2 * rows - 1), unique=True), "changed rows")
    again[changed] = (again[changed] + 1) % plots._LEVELS
    _same(plot._colour_rows(again, cls, rows, width, labels, on_row, axis, PAD, w, base),
          _cell_by_cell(plot, again, cls, labels, on_row, axis, w, base))


def _rows_made_cell_by_cell(dm: DecisionMap) -> list:
    """The map's rows in the app as they were made before runs: the network on its grid, each row a cell
    at a time (``_map_row``), for the map's size, weights, points and styles now."""
    w, h = dm.content_region.width, dm.content_region.height
    width, rows = max(4, w - PAD - 1), max(2, h - 2)
    xs, ys, Z = output_grid(dm.spec, dm.weights, width, 2 * rows)
    level, cls = dm._levels(Z)
    X = dm.spec.inputs
    cols = np.rint((X[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (width - 1)).astype(int)
    halves = np.rint((X[:, 1] - ys[0]) / (ys[-1] - ys[0]) * (2 * rows - 1)).astype(int)
    points = {(rows - 1 - hr // 2, c): g for c, hr, g in zip(cols.tolist(), halves.tolist(), dm.glyphs)}
    on_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), g in points.items():
        on_row.setdefault(r, []).append((c, g))
    labels = {0: minus_signs(f"{ys[-1]:.2g}"), rows - 1: minus_signs(f"{ys[0]:.2g}"), rows // 2: "x₂"}
    axis = dm.rich_style + dm.get_component_rich_style("map--axis")
    return _cell_by_cell(dm, level, cls, labels, on_row, axis, w, dm.rich_style)


async def test_the_map_beside_the_panels_draws_the_rows_made_cell_by_cell():
    """moons_layernorm and classifier with m: over random weights, update steps, a resize and a new theme,
    every row of the map on screen is the row made a cell at a time for what the map shows then."""
    rng = np.random.default_rng(24)
    for name in ("moons_layernorm", "classifier"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("m")
            await pilot.pause()
            dm = app.main.query_one(DecisionMap)

            async def check(what: object) -> None:
                await pilot.pause()
                old = _rows_made_cell_by_cell(dm)
                _same([dm.render_line(y) for y in range(len(old))], old)
                assert len({tuple(_segments(s)) for s in old}) > 1, (name, what)  # a map, not one colour

            await check("m")
            for n in range(3):
                app.main.action_to_update()
                await check(("update", n))
                dm.show([w + rng.normal(0, 1.5, w.shape) for w in dm.weights])
                await check(("random weights", n))
            await pilot.resize_terminal(150, 45)
            await check("a resize")
            app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
            await check("a theme")  # (its lines drawn again in the new theme's colours, the weights the same)
            dm.show([w * 1.5 for w in dm.weights])
            await check("a theme, new weights")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_the_grid_carried_on_from_a_changed_layer_is_the_grid_computed_whole(data):
    """``OutputGrid`` (the map's network on its grid, carried forward from the first layer whose weights
    changed) gives exactly ``output_grid``'s numbers over a run of new weights: one layer changed (an
    update), several, none, weights changed in place after they were shown, a new size; and for a network
    with residual wiring (computed whole)."""
    from bptui.core.engine.train import OutputGrid

    name = data.draw(st.sampled_from(["moons_layernorm", "deep_relu", "xor", "classifier", "deep_residual"]), "network")
    spec = load(NETWORKS / f"{name}.json")
    grid = OutputGrid(spec)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), "seed"))
    weights = [np.array(w, dtype=float) for w in spec.weights]
    size = (data.draw(st.integers(1, 9), "width"), data.draw(st.integers(1, 9), "height"))
    for _ in range(data.draw(st.integers(1, 6), "shows")):
        move = data.draw(st.sampled_from(["layer", "layers", "none", "in place", "size"]), "move")
        if move == "layer":
            l = data.draw(st.integers(0, len(weights) - 1), "layer")
            weights = [w + rng.normal(0, 1, w.shape) if i == l else w for i, w in enumerate(weights)]
        elif move == "layers":
            weights = [w * rng.uniform(0.5, 1.5) for w in weights]
        elif move == "in place":  # the arrays shown before, changed (training may write into them)
            weights[data.draw(st.integers(0, len(weights) - 1), "changed")] += 0.25
        elif move == "size":
            size = (data.draw(st.integers(1, 9), "new width"), data.draw(st.integers(1, 9), "new height"))
        got = grid(weights, *size)
        want = output_grid(spec, weights, *size)
        for a, b in zip(got, want):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), (name, move)

"""The graph views, driven headless: a graph file stepped forward and back, and a network's c and d."""

import json
import os
import subprocess
import sys

import pytest

from bptui.cli import main
from bptui.core.formulas.notation import num
from bptui.tui.app import BptuiApp
from bptui.tui.diagrams import COLD_ARROW, graph_diagram
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.graph_layout import ARROW, BoxSize, layout
from bptui.tui.help import HelpScreen
from bptui.tui.net_diagrams import NetworkDiagrams

from .conftest import GRAPH_EXAMPLES, NETWORKS
from .helpers import panel_text
from .tui_helpers import app_for, big_spec, graph_app_for, trace_rows


def canvas_text(app, selector=GraphCanvas) -> str:
    return "\n".join(app.query_one(selector).text_lines())


def box_lines(app, name: str) -> list[str]:
    """The text inside ``name``'s box (the canvas's own state, as drawn)."""
    return list(app.query_one(GraphCanvas).state.texts[name])


async def test_stepping_a_graph_shows_the_core_values_forward_and_back(capsys):
    rows = trace_rows(capsys, "lecture13")
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        for row in rows:
            app.main.action_next()
            await pilot.pause()
            assert str(app.query_one("#equation").render()) == row["equation"]
            node = row["node"]
            line = f"= {num(row['value'])}" if row["phase"] == "forward" else f"g = {num(row['value'])}"
            assert line in box_lines(app, node)
            assert f"▶ {node}" in canvas_text(app) and line + "•" in canvas_text(app)
        assert "done: ∂y/∂x = " in str(app.query_one("#status").render())
        for row in reversed(rows[:-1]):
            app.main.action_prev()
            await pilot.pause()
            assert app.stepper.position == row["step"]
            assert str(app.query_one("#equation").render()) == row["equation"]
            assert app.stepper.last.value == row["value"]  # bit for bit
            node = row["node"]
            assert f"▶ {node}" in canvas_text(app)


@pytest.mark.parametrize("keys,position", [
    (["n"], 1), (["right"], 1), (["space"], 1), (["n", "n", "p"], 1), (["n", "n", "left"], 1),
    (["f"], 7), (["n", "f"], 7), (["f", "f"], 7), (["b"], 16), (["f", "b"], 16), (["b", "n"], 16),
    (["b", "r"], 0), (["p"], 0),
])
async def test_graph_keys_move_as_documented(keys, position):
    app = graph_app_for("lecture13")
    async with app.run_test() as pilot:
        await pilot.press(*keys)
        assert app.stepper.position == position


async def test_graph_messages_digits_help_and_quit():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b", "n")
        assert "reverse pass is done" in str(app.query_one("#message").render())
        await pilot.press("f")
        assert "forward pass is done" in str(app.query_one("#message").render())
        await pilot.press("plus", "plus")
        assert app.main.digits == 6 and "= 0.693147" in box_lines(app, "b")
        await pilot.press("minus", "minus", "minus")
        assert app.main.digits == 3 and "= 0.693" in box_lines(app, "b")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "g_a = ∂y/∂a" in str(app.screen.query_one("#help-text").render())
        await pilot.press("escape", "q")
    assert app.return_code == 0


async def test_not_yet_computed_nodes_are_dots_and_inputs_are_known():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)):
        assert box_lines(app, "x") == ["input", "= 2", "g = ·"]
        assert box_lines(app, "a") == ["x·z", "= ·", "g = ·"]
        assert app.query_one(GraphCanvas).state.pending == frozenset("abcdefy")


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
async def test_every_graph_example_steps_to_the_end_in_a_small_terminal(name):
    app = graph_app_for(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        assert app.stepper.at_end
        canvas = app.query_one(GraphCanvas)
        x = app.stepper.spec.input_names[-1]
        box = canvas.grid.boxes[x]
        # the current node (the last input) has been scrolled into view
        assert canvas.scroll_offset.x <= box.x and box.x + box.w <= canvas.scroll_offset.x + canvas.size.width + 2


def test_open_picks_the_graph_app(monkeypatch):
    import bptui.tui.app
    import bptui.tui.graph_app

    opened = []
    monkeypatch.setattr("bptui.cli._require_terminal", lambda: None)  # pytest's streams are no terminal
    monkeypatch.setattr(bptui.tui.graph_app, "run", lambda spec, no_color=False: opened.append(("graph", spec.kind)) or 0)
    monkeypatch.setattr(bptui.tui.app, "run",
                        lambda doc, source, spec=None, no_color=False, notation=None: opened.append(("network", doc["name"])) or 0)
    assert main([str(NETWORKS / "lecture13.json")]) == 0
    assert main(["xor"]) == 0
    assert opened == [("graph", "graph"), ("network", "xor")]


# -- a network's diagrams ---------------------------------------------------------------------------
async def test_c_toggles_the_networks_computation_graph():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "c")
        assert app.query_one(NetworkDiagrams).display and not app.query_one("#layers").display
        text = canvas_text(app, "#canvas-graph")
        for name in ("o⁽⁰⁾", "W⁽¹⁾", "s⁽¹⁾", "o⁽¹⁾", "W⁽²⁾", "s⁽²⁾", "o⁽²⁾", "ℓ"):
            assert name in text
        state = app.query_one("#canvas-graph", GraphCanvas).state
        assert "▶ s⁽¹⁾" in text and (state.current, state.hot_line) == ("s1", 1)
        assert state.texts["s1"][1] == "= [0.1000, −0.2000]"  # as the panel writes s⁽¹⁾
        await pilot.press("n", "n", "n", "n")  # o⁽¹⁾ s⁽²⁾ o⁽²⁾ ℓ: the graph follows
        state = app.query_one("#canvas-graph", GraphCanvas).state
        assert state.current == "loss" and state.texts["loss"][1] == f"= {num(app.stepper.state.loss)}"
        await pilot.press("n", "n")  # δ⁽²⁾, G⁽²⁾: the adjoints of s⁽²⁾ and W⁽²⁾
        state = app.query_one("#canvas-graph", GraphCanvas).state
        assert (state.current, state.hot_line) == ("W2", 2) and state.texts["W2"][2].startswith("G = [[")
        await pilot.press("c")
        assert not app.query_one(NetworkDiagrams).display and app.query_one("#layers").display


@pytest.mark.parametrize("name", ["moons", "iris"])
async def test_brackets_scroll_the_graph_without_tab_and_the_screen_says_so(name):
    """The newcomer's report: in c, [ and ] did nothing until Tab had put the focus on the graph, and
    nothing said they scroll it. Now they scroll the graph on screen at once, and a line under the
    title says so (the panels' [ ] still scroll the panel with the cursor)."""
    app = app_for(name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "n", "c")
        canvas = app.query_one("#canvas-graph", GraphCanvas)
        assert canvas.max_scroll_x > 16, "the graph is wider than the screen"
        assert not canvas.has_focus
        title = str(app.query_one("#diagram-title").render())
        assert "[ ] scroll sideways" in title.splitlines()[1]
        canvas.scroll_to(x=8, animate=False, immediate=True)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert canvas.scroll_x == 16
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert canvas.scroll_x == 0
        await pilot.press("d")  # the NN diagram: its line does not name the graph's keys
        assert "[ ] scroll sideways" not in str(app.query_one("#diagram-title").render())
        await pilot.press("d", "tab")  # the panels again: [ ] scroll the panel with the cursor
        await pilot.pause()
        panel = app.focused
        assert panel is not None and panel.id and panel.id.startswith("layer-")
        if panel.max_scroll_x:
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert panel.scroll_x > 0


async def test_d_draws_the_neural_network_diagram_with_the_current_weights():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        text = canvas_text(app, "#canvas-nn")
        for name in ("x₁", "x₂", "o₁⁽¹⁾", "o₂⁽¹⁾", "o₁⁽²⁾", "ℓ"):
            assert (name in text) == (name != "ℓ")  # no loss node in this convention
        assert text.count(ARROW) + text.count(COLD_ARROW) == 9  # 3·2 + 3·1 weights, bias included
        for w in ("0.1000", "0.5000", "−0.4000", "−0.2000", "0.3000", "0.6000", "0.0500", "0.7000", "−0.6000"):
            assert w in text  # as the panels write W⁽¹⁾ and W⁽²⁾
        await pilot.press("u")  # after the update the labels are the new weights
        labels = app.query_one("#canvas-nn", GraphCanvas).state.labels
        W1 = app.stepper.state.W[1]
        assert labels[0] == panel_text(W1, (0, 0)) and labels[0] != "0.1000"
        await pilot.press("c")  # straight from one diagram to the other
        assert app.query_one("#canvas-graph").display and not app.query_one("#canvas-nn").display
        await pilot.press("c")
        assert app.query_one("#layers").display


async def test_d_on_a_network_too_big_to_draw_says_so():
    app = BptuiApp(big_spec())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        note = str(app.query_one("#diagram-note").render())
        assert "at most 8 units per layer" in note and "784-128-10" in note
        assert not app.query(GraphCanvas)


# -- the layout -------------------------------------------------------------------------------------
def _check_layout(sizes, edges, label_width=0):
    lay = layout(sizes, edges, label_width)
    assert len(lay.arrows) == len(edges)  # every edge ends in its own arrow
    for (x, y), i in lay.arrows.items():
        target = lay.boxes[edges[i][1]]
        assert x == target.x - 1 and target.y < y < target.y + target.h - 1
    covered = {}
    for v, b in lay.boxes.items():  # boxes never overlap each other or a line
        for x in range(b.x, b.x + b.w):
            for y in range(b.y - 1, b.y + b.h):
                assert (x, y) not in covered and (x, y) not in lay.cells, (v, covered.get((x, y)))
                covered[(x, y)] = v
    for (x, y), (bits, _) in lay.cells.items():  # lines only turn, run straight or cross
        assert bin(bits).count("1") in (1, 2, 4), (x, y, bits)
    return lay


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_graph_layouts_are_sound(name):
    from bptui.core.formats.spec import load_any

    d = graph_diagram(load_any(NETWORKS / f"{name}.json"), 4)
    _check_layout({n.id: BoxSize(n.width + 5, n.lines + 2) for n in d.nodes}, d.edges)


@pytest.mark.parametrize("name", ["xor", "deep_sigmoid", "classifier", "chain", "iris", "moons"])
def test_network_diagram_layouts_are_sound(name):
    from bptui.core.formats.spec import load
    from bptui.tui.diagrams import network_graph, nn_diagram

    spec = load(NETWORKS / f"{name}.json")
    for d in (network_graph(spec), nn_diagram(spec, 4)):
        _check_layout({n.id: BoxSize(n.width + 5, n.lines + 2, n.name is not None) for n in d.nodes}, d.edges,
                      d.label_width)


def test_the_layout_is_the_same_from_run_to_run():
    code = ("from bptui.core.formats.spec import load_any; from bptui.tui.diagrams import graph_diagram;"
            "from bptui.tui.graph_layout import BoxSize, layout;"
            "d = graph_diagram(load_any('networks/lecture13_expression.json'), 4);"
            "lay = layout({n.id: BoxSize(n.width + 5, 5) for n in d.nodes}, d.edges);"
            "print(sorted((k, b.x, b.y) for k, b in lay.boxes.items()), sorted(lay.cells.items()))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=NETWORKS.parent, env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in (1, 2, 3)}
    assert len(outs) == 1


def test_the_apps_import_no_layout_library_until_a_graph_is_drawn():
    code = ("import sys, bptui.cli, bptui.tui.app, bptui.tui.graph_app;"
            "print(any(m.split('.')[0] == 'grandalf' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


async def test_c_on_a_large_network_cuts_the_values_to_fit():
    app = BptuiApp(big_spec())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "n", "n")
        state = app.query_one("#canvas-graph", GraphCanvas).state
        assert state.current == "o1" and "values)" in state.texts["o1"][1]  # vec() says how long it is
        assert "o⁽¹⁾" in canvas_text(app, "#canvas-graph")


def test_the_matrix_level_graph_shows_small_networks_values_whole():
    """The c view's boxes are as wide as their values at the digits shown (they used to end in …)."""
    from bptui.core.formats.spec import load
    from bptui.core.engine.stepper import Stepper
    from rich.cells import cell_len

    from bptui.tui.diagrams import network_graph, network_graph_state

    from .conftest import NETWORKS

    stepper = Stepper(load(NETWORKS / "xor.json"))
    for digits in (4, 6):
        diagram = network_graph(stepper.spec, digits)
        widths = {node.id: node.width for node in diagram.nodes}
        stepper.reset()
        for _ in range(len(stepper.schedule)):
            stepper.forward()
            state = network_graph_state(stepper, diagram, digits)
            for node, lines in state.texts.items():
                assert all(cell_len(line) <= widths[node] for line in lines), (digits, node, lines, widths[node])

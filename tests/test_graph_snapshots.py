"""Snapshot tests of the graph views (SVGs in tests/__snapshots__, each looked at before accepting)."""

from .tui_helpers import app_for, graph_app_for


def test_graph_at_the_start(snap_compare):
    assert snap_compare(graph_app_for("lecture13"), terminal_size=(120, 40))


def test_graph_mid_forward(snap_compare):
    assert snap_compare(graph_app_for("lecture13"), press=["n", "n", "n", "n"], terminal_size=(120, 40))


def test_graph_mid_reverse(snap_compare):
    assert snap_compare(graph_app_for("lecture13"), press=["f", "n", "n", "n", "n", "n"], terminal_size=(120, 40))


def test_graph_small_terminal(snap_compare):
    assert snap_compare(graph_app_for("lecture13_expression"), press=["f", "n", "n"], terminal_size=(80, 24))


def test_network_computation_graph(snap_compare):
    assert snap_compare(app_for("xor"), press=["n", "n", "n", "c"], terminal_size=(120, 40))


def test_network_computation_graph_backward(snap_compare):
    assert snap_compare(app_for("xor"), press=["f", "n", "n", "c"], terminal_size=(120, 40))


def test_neural_network_diagram(snap_compare):
    assert snap_compare(app_for("xor"), press=["d"], terminal_size=(120, 40))


def test_neural_network_diagram_mid_backward(snap_compare):
    # δ⁽¹⁾ of example 1: its units' δ lines marked, the W⁽²⁾ edges it reads ▶, the maps with ◆ at x = (0, 0)
    assert snap_compare(app_for("xor"), press=["f", "n", "n", "n", "d"], terminal_size=(120, 40))


def test_neural_network_diagram_of_a_big_layer(snap_compare):
    # iris 4-8-3: W⁽¹⁾ and W⁽²⁾ as boxes of weight glyphs, s⁽¹⁾ just computed
    assert snap_compare(app_for("iris"), press=["n", "d"], terminal_size=(120, 40))


def test_neural_network_diagram_small_terminal(snap_compare):
    # moons 2-8-1 at 80×24: the canvas scrolls to the layer the step works on
    assert snap_compare(app_for("moons"), press=["f", "d"], terminal_size=(80, 24))

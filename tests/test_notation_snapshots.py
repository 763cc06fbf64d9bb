"""Snapshots of xor in two notation profiles and of edges (a convolution) in one (issue 23; SVGs in
tests/__snapshots__, each looked at before accepting): nielsen's column vectors with b apart and the
mean gradient, cs231n's W shown D × C, nielsen's kernels with b apart."""

from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.app import BptuiApp

from .conftest import NETWORKS


def _xor(name: str) -> BptuiApp:
    return BptuiApp(load(NETWORKS / "xor.json"), PROFILES[name])


def test_xor_in_nielsen_after_the_backward_pass(snap_compare):
    assert snap_compare(_xor("nielsen"), press=["n", "b"], terminal_size=(120, 40))


def test_xor_in_cs231n_after_the_backward_pass(snap_compare):
    assert snap_compare(_xor("cs231n"), press=["n", "b"], terminal_size=(120, 40))


def test_xor_in_cs231n_help(snap_compare):
    assert snap_compare(_xor("cs231n"), press=["question_mark"], terminal_size=(120, 40))


def test_edges_in_nielsen_snapshot(snap_compare):
    """A convolution in a profile: after the first example's backward pass, w² and b² apart, ∂C/∂w² and
    ∂C/∂b² as G/m over the mini-batch of 10, the maps z², a², δ² (the panel scrolled to the kernels)."""
    app = BptuiApp(load(NETWORKS / "edges.json"), PROFILES["nielsen"])
    assert snap_compare(app, press=["n", "b"], terminal_size=(120, 40))


def test_deep_residual_in_nielsen_snapshot(snap_compare):
    """Residual blocks in a profile: after the first example's backward pass, each block's x = a², F(x) = a⁵,
    a³ = x + F(x) with no 1 on top, ∂C/∂x³ and its parts (the skip's ∂C/∂a³ and the inner path's), under
    his layer numbers; the dense layers' w and b apart."""
    app = BptuiApp(load(NETWORKS / "deep_residual.json"), PROFILES["nielsen"])
    assert snap_compare(app, press=["n", "b"], terminal_size=(120, 40))


def test_xor_nn_diagram_in_ng_snapshot(snap_compare):
    """The NN diagram (d) in ng after the backward pass: z, a, dz and each unit's b on its node, no 1 node."""
    assert snap_compare(_xor("ng"), press=["n", "b", "d"], terminal_size=(120, 40))


def test_xor_computation_graph_in_ng_snapshot(snap_compare):
    """The computation graph (c) in ng after the backward pass: b^[l] boxes into z^[l] = W^[l] a^[l-1] + b^[l],
    W without its column 0, dW and db as G/m of the board's group."""
    assert snap_compare(_xor("ng"), press=["n", "b", "c"], terminal_size=(120, 40))

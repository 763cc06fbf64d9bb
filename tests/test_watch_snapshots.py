"""Snapshots of watching it learn: the gradient curves, the fit plot for one input, and the map
beside the stepping panels (m). The clock is frozen: the training screen is updated after the last
epoch only, and says 0.00 s."""

from .tui_helpers import app_for, snap_trained


def test_gradient_curves(snap_compare, monkeypatch):
    # deep_sigmoid after its 200 epochs: layer 1's ‖G‖ far below layer 6's all along
    assert snap_trained(snap_compare, monkeypatch, "deep_sigmoid", (120, 40))


def test_regression_fit(snap_compare, monkeypatch):
    # regression after its 300 epochs: the fitted function through the nine points of sin(x)
    assert snap_trained(snap_compare, monkeypatch, "regression", (120, 40))


def test_map_beside_the_panels(snap_compare):
    # xor through its first update with the decision map beside the panels
    assert snap_compare(app_for("xor"), press=["m", "u"], terminal_size=(120, 40))


def test_fit_beside_the_panels(snap_compare):
    assert snap_compare(app_for("regression"), press=["m", "u"], terminal_size=(120, 40))

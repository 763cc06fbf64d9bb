"""Snapshot of a residual block's panel at its fan-in step (deep_residual, example 1: block 2's
∂ℓ/∂x = ∂ℓ/∂x⁽⁵⁾ + the inner path's part, both parts beside it; looked at before accepting)."""

from .tui_helpers import app_for


def test_the_fan_in_step_of_a_residual_block(snap_compare):
    assert snap_compare(app_for("deep_residual"), press=["f", "b", "p", "p"], terminal_size=(120, 40))

"""Snapshot of a residual block's panel at its fan-in step (deep_residual, example 1: block 2's
∂ℓ/∂x = ∂ℓ/∂x⁽⁵⁾ + the inner path's part, both parts beside it; looked at before accepting)."""

from .tui_helpers import app_for


def test_the_fan_in_step_of_a_residual_block(snap_compare):
    assert snap_compare(app_for("deep_residual"), press=["f", "b", "p", "p"], terminal_size=(120, 40))


def test_a_block_around_attention_on_a_sequence(snap_compare):
    """tiny_transformer at the end of example 1's backward pass: block 1's panel over τ (x, o and dx
    per τ, no weights), its fan-in at every τ in the equation line (looked at before accepting)."""
    assert snap_compare(app_for("tiny_transformer"), press=["b"], terminal_size=(120, 40))

"""Snapshot tests of the app's main states (SVGs in tests/__snapshots__, each looked at before accepting)."""

from bptui.tui.app import BptuiApp

from .tui_helpers import app_for, big_spec, snap_trained


def test_first_screen(snap_compare):
    assert snap_compare(app_for("xor"), terminal_size=(120, 40))


def test_mid_forward_pass(snap_compare):
    assert snap_compare(app_for("xor"), press=["n", "n", "n"], terminal_size=(120, 40))


def test_end_of_backward_pass(snap_compare):
    assert snap_compare(app_for("xor"), press=["n", "b"], terminal_size=(120, 40))


def test_right_after_an_update(snap_compare):
    assert snap_compare(app_for("xor"), press=["u"], terminal_size=(120, 40))


def test_help_screen(snap_compare):
    assert snap_compare(app_for("xor"), press=["question_mark"], terminal_size=(120, 40))


def test_small_terminal(snap_compare):
    assert snap_compare(app_for("xor"), press=["f"], terminal_size=(80, 24))


def test_deep_network(snap_compare):
    assert snap_compare(app_for("deep_sigmoid"), press=["b"], terminal_size=(120, 40))


def test_large_network(snap_compare):
    assert snap_compare(BptuiApp(big_spec()), press=["f"], terminal_size=(120, 40))


def test_explain_panel(snap_compare):
    # end of example 1's backward pass; the cursor on δ₁⁽¹⁾ shows its chain rule
    keys = ["b", "tab", "right", "right", "right", "right", "right"]
    assert snap_compare(app_for("xor"), press=keys, terminal_size=(120, 40))


def test_quiz_mode(snap_compare):
    # quiz mode on, the first backward step asked: δ⁽²⁾ hidden, the answer box waiting
    assert snap_compare(app_for("xor"), press=["f", "z", "n"], terminal_size=(120, 40))


# -- training and the gradient check (the clock is frozen: no timings, and the screen is updated
# after the first and the last epoch only, whatever the machine's speed) --------------------------
def test_training_screen(snap_compare, monkeypatch):
    assert snap_trained(snap_compare, monkeypatch, "xor", (120, 40))


def test_decision_boundary(snap_compare, monkeypatch):
    assert snap_trained(snap_compare, monkeypatch, "moons", (120, 40))


def test_training_small_terminal(snap_compare, monkeypatch):
    assert snap_trained(snap_compare, monkeypatch, "deep_sigmoid", (80, 24))


def test_gradient_check(snap_compare):
    async def check(pilot):
        await pilot.press("g")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_for("deep_sigmoid"), run_before=check, terminal_size=(120, 40))


def test_big_screen(snap_compare):
    """200×50, a projector: xor's layers side by side, filling the width, rows spaced out."""
    assert snap_compare(app_for("xor"), press=["n", "b"], terminal_size=(200, 50))


def test_big_screen_with_the_explanation(snap_compare):
    assert snap_compare(app_for("xor"), press=["n", "b", "tab", "right"], terminal_size=(200, 50))

"""Snapshots of the settings screen (s): as it opens, and with a bad value refused (looked at)."""

from .tui_helpers import app_for


def test_settings_screen(snap_compare):
    assert snap_compare(app_for("xor"), press=["s"], terminal_size=(120, 40))


def test_settings_screen_refuses_a_bad_value(snap_compare):
    # moons: momentum (μ shown), mini-batches (k shown), the moons generator's parameters; η = "abc"
    keys = ["s", "tab", "ctrl+a", "shift+end", *"abc", "enter"]
    assert snap_compare(app_for("moons"), press=keys, terminal_size=(120, 40))

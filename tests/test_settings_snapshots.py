"""Snapshots of the settings screen (s): as it opens, and with a bad value refused (looked at)."""

from .tui_helpers import app_for


def test_settings_screen(snap_compare):
    assert snap_compare(app_for("xor"), press=["s"], terminal_size=(120, 40))


def test_settings_screen_refuses_a_bad_value(snap_compare):
    # momentum (μ shown), mini-batches (k shown), the moons generator (n, noise, seed, test fraction
    # shown); then η = "abc" typed and ctrl+s: the file's message beside the field, nothing applied
    async def choose(pilot):
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        for wid, value in (("optimizer", "momentum"), ("update", "mini_batch"), ("batch_size", "2"), ("generator", "moons")):
            screen.query_one(f"#{wid}").value = value
            await pilot.pause()
        screen.query_one("#optimizer").focus()
        await pilot.pause()

    keys = ["tab", "ctrl+a", "shift+end", *"abc", "ctrl+s"]
    assert snap_compare(app_for("xor"), press=keys, run_before=choose, terminal_size=(120, 40))


def test_settings_screen_of_a_convolutional_network_at_80_columns(snap_compare):
    # the palette's "Settings: layers" on edges.json: the layers section in view, each fixed layer
    # named by its kind (2 filters 3×3), no row label wrapping
    async def open_layers(pilot):
        pilot.app.main.action_settings("layers")
        await pilot.pause()

    assert snap_compare(app_for("edges"), run_before=open_layers, terminal_size=(80, 24))

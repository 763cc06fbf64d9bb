"""Snapshots of the settings screen (s): as it opens, and with a bad value refused (looked at)."""

from .tui_helpers import app_for


def test_settings_screen(snap_compare):
    assert snap_compare(app_for("xor"), press=["wait:500", "s"], terminal_size=(120, 40))


def test_settings_screen_refuses_a_bad_value(snap_compare):
    # momentum (μ shown), mini-batches (k shown), the moons generator (n, noise, seed, test fraction
    # shown); then η = "abc" typed and Enter: the file's message beside the field, nothing applied
    async def choose(pilot):
        await pilot.pause(0.5)
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        for wid, value in (("optimizer", "momentum"), ("update", "mini_batch"), ("generator", "moons")):
            screen.query_one(f"#{wid}").value = value
            await pilot.pause()
        screen.query_one("#optimizer").focus()
        await pilot.pause()

    keys = ["tab", "ctrl+a", "shift+end", *"abc", "enter"]
    assert snap_compare(app_for("xor"), press=keys, run_before=choose, terminal_size=(120, 40))

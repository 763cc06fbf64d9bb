"""The settings mode of the network screen (``s``): the dialog (``settings.py``; its arithmetic in
``core/formats/settings.py``), and the restart at step 0 with the new setup, the screen composed again."""

from __future__ import annotations

from typing import Any

from .modes import Host


class SettingsMode(Host):
    def action_settings(self, section: str = "") -> None:
        from .settings import SettingsScreen

        app = self.app_state
        if app.file_data is None:  # the data of the file the app opened: "the file's data" in the dialog
            app.file_data = self.spec.raw.get("data", {})
        screen = SettingsScreen(self.spec, self.stepper.weights, app.file_data, section, self.stepper.notation)
        self.app.push_screen(screen, lambda applied: self.settings_applied(applied, screen.chosen))

    def settings_applied(self, applied: Any, notation: Any = None) -> None:
        """The dialog's result: None (cancelled), or the new setup, which starts at step 0 from the
        weights on screen as changed; the screen is composed again (its panels follow the new widths).
        ``notation``: the profile chosen; a new one alone changes no number, and the stepper stays."""
        if applied is None:
            self.say("Settings unchanged.")
            return
        renamed = notation is not None and _name(notation) != _name(self.stepper.notation)
        if not applied.changes:  # applied as they were: no restart
            if renamed:
                self.call_next(self._renotate, notation)
                return
            self.say("Nothing changed; the stepper stays where it was.")
            return
        if renamed:
            self.stepper.notation = notation  # the restart's stepper keeps it
        self.call_next(self._restart, applied)

    async def _renotate(self, notation: Any) -> None:
        """Write the board in ``notation`` from here on: the same numbers, named and grouped anew (the
        panels follow it: the screen is composed again), at the same step."""
        self.stepper.notation = self.app_state.notation = notation
        self.set_reactive(type(self).cell, None)
        await self._compose_again(f"Notation: {notation.name}; the numbers are the same, named and grouped as it "
                                  "does (w saves it in the file).")

    async def _restart(self, applied: Any) -> None:
        from ..core.engine.stepper import Stepper
        from .stepping import SteppingScreen

        if self.quizzing:  # the quiz's question was about the old network
            self.action_toggle_quiz()
        from ..core.engine.equations import profile_fits

        notation = self.stepper.notation  # the notation stays, where the new layers are written in it
        if notation is not None and profile_fits(applied.spec.kinds or (), notation) is not None:
            notation = None
        stepper = Stepper(applied.spec, origin=applied.origin(), notation=notation)
        app = self.app_state
        app.notation = notation
        app.spec, app.stepper, app.trained_epochs = applied.spec, stepper, 0
        self.spec, self.stepper, self._followed = applied.spec, stepper, None
        self.set_reactive(type(self).cell, None)
        self.set_reactive(SteppingScreen.position, 0)
        await self._compose_again(applied.message())

    async def _compose_again(self, message: str) -> None:
        """The screen composed again (its panels follow the new widths or notation), the map beside
        them again if it was, and ``message``."""
        map_shown = self.map_shown()
        self.forget_map()  # recomposing removes it; it follows the new data
        await self.recompose()
        self.place_side()
        self.redraw()
        if map_shown and self.map_refusal() is None:
            self.action_toggle_map()
        self.say(message)


def _name(notation: Any) -> str:
    return "lecture13" if notation is None else notation.name


def settings_commands() -> Any:
    """The settings screen's command provider, imported when the palette opens."""
    from .settings import SettingsCommands

    return SettingsCommands

"""The footer of the app's screens: Textual's, recomposed only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .fitting import Fits


class SteadyFooter(Fits, Footer):
    """A Footer that rebuilds its keys only when they change. Textual's recomposes at every push
    and pop of a screen above its own (its screen's bindings are refreshed then, unchanged): on the
    stepping screen that is fourteen keys mounted again under every dialog, about 40 ms of the
    settings dialog's opening (``benchmarks/settings_speed.py``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # the keys of the last compose

    def _keys(self) -> tuple:
        """What compose draws: each shown binding, whether it is enabled, its tooltip and key text."""
        return tuple((binding.key, self.app.get_key_display(binding), binding.action, binding.description,
                      binding.show, binding.group, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values())

    def bindings_changed(self, screen: Screen) -> None:
        if (self._shown is not None and screen.app.app_focus and self.is_attached and screen is self.screen
                and self._keys() == self._shown):
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and self.compact:
                # the class the key's ``compact`` (bound to the footer's) gives it once mounted, given now:
                # added then, it styles the key again, each of them, a tenth of a
                # start's instructions (docs/benchmarks.md)
                widget.add_class("-compact", update=False)
            yield widget
        self.call_after_refresh(self._fit)

    def fit_size(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Show the keys that fit whole, from the left; a key that would be cut is hidden (at 80
        columns the stepping screen shows its first ten keys, not ten and a half)."""
        room, used = self.size.width, 0
        for key in self.query_children(FooterKey):
            used += key.render().cell_len + key.styles.margin.width
            if key.display != (used <= room):
                key.display = used <= room

"""Widgets that lay themselves out for their size, and do so whether or not their Resize arrives.

Textual sends a widget a Resize when a layout of its screen changes its region. It can lose one: the
compositor rebuilds its map of every widget lazily, when a widget's region is asked for (a scroll, a
lookup) between a change and the next layout, and that layout then sees no change and sends no Resize
(opening the explanation left the layer panels side by side in a column half as wide). A ``Fits``
widget lays itself out (``fit_size``) on a Resize and, after every layout of its screen (the
screen's ``screen_layout_refresh_signal``), when its size is not the one it was laid out for; not after
a refresh that only scrolled (a stepping screen counts its layouts): asking a widget out of view for its
size then makes Textual rebuild its map of every widget, a few million instructions (an update press
that scrolls the panels' column to its layer), and a scroll changes no size (a widget it brings into
view gets a Resize). Its size is compared once for each layout of the screen (``layouts``), when the
first signal since that layout is handled.
"""

from __future__ import annotations

from typing import Any

from textual.dom import NoScreen
from textual.geometry import Size


class Fits:
    """Mixed into a Widget that lays itself out for its size in ``fit_size``."""

    _fitted: Size | None = None  # the size fit_size last laid the widget out for
    _checked: int | None = None  # the screen's ``layouts`` when the size was last compared

    def on_mount(self) -> None:  # Textual calls each class's handler along the MRO: the widget's own too
        screen: Any = self.screen  # type: ignore[attr-defined]
        screen.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def on_resize(self) -> None:
        self.fit()

    def _laid_out(self, screen: Any) -> None:
        layouts = getattr(screen, "layouts", None)
        if layouts is not None:  # a stepping screen counts its layouts: once for each, no check after a scroll
            if layouts == self._checked:
                return
            self._checked = layouts
        if self._size_now() != self._fitted:
            self.fit()

    def _size_now(self) -> Size:
        """The widget's ``size``, as its screen's compositor gives it without building its map of every
        widget again after a scroll (``stepping.SteadyCompositor.content_size``), where it can."""
        widget: Any = self
        try:
            sized = getattr(widget.screen._compositor, "content_size", None)
        except NoScreen:  # (a widget off its screen: Textual's size, none)
            sized = None
        return sized(widget) if sized is not None else widget.size

    def fit(self) -> None:
        """Lay the widget out for its size now."""
        self._fitted = self._size_now()
        self.fit_size()

    def fit_size(self) -> None:
        """What the widget does for a new size (subclasses)."""

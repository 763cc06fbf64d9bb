"""The loading screen: the first frame, drawn from the checked network document alone (no NumPy).

It shows the network's name and shape and, when the file gives its weights and its data inline,
the panels at step 0 (the file's weights, G = 0), through the same LayerSheet the network screen
uses, fed by :func:`~.view.document_views`. Right after that frame the core is imported, the spec
parsed and the network screen takes its place; bad input found then ends the app (status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from .sheet import LayerPanels, panels
from .stepping import MessageLine, TextLine, fit_head, status_room
from .view import document_views


def _layer_text(layer: dict) -> str:
    """A layer as the first frame names it, from the schema-checked document (before the spec):
    its units, a map input's C×H×W, or a v2 layer's type."""
    if "units" in layer:
        return str(layer["units"])
    if "shape" in layer:
        return "×".join(str(n) for n in layer["shape"])
    return str(layer.get("type", "?"))


class LoadingScreen(Screen[None]):
    """What the network screen will show, as far as the file alone tells it."""

    AUTO_FOCUS = ""  # no cursor in a panel before the network is loaded
    BINDINGS = [Binding("q", "app.quit", "Quit", id="quit")]

    def __init__(self, doc: Any, source: str, notation: Any = None) -> None:
        super().__init__()
        self.doc, self.source = doc, source
        # the lecture's panels only: a notation profile's are drawn by the network screen (no flash of
        # the lecture's W⁽ˡ⁾, G⁽ˡ⁾ before the profile's names and numbers)
        lecture = notation is None or notation.name == "lecture13"
        self.views = document_views(doc) if lecture else None

    @property
    def name_text(self) -> str:
        return str(self.doc.get("name") or Path(self.source).stem)

    def compose(self) -> ComposeResult:
        doc = self.doc
        shape = "-".join(_layer_text(layer) for layer in doc["layers"])
        yield TextLine(id="status", steady=True)
        with VerticalScroll(id="equation-box", can_focus=False):
            yield TextLine(id="equation")
        yield MessageLine(id="message")
        # the network screen's #layers without its #main row around it (the row holds the side
        # panels, none here): the same place on screen, one container less to style and lay out
        with LayerPanels(id="layers"):
            if self.views is not None:
                yield from panels(self.views, 4)
        # the footer's row, blank: Textual's Footer (a widget per key and their style sheet, about a
        # thirtieth of the frame's instructions) comes with the network screen, whose keys it shows
        yield Static(id="footer-room")
        self.status = f"{self.name_text} · {shape} · {doc.get('loss', 'squared')} loss"

    def on_key(self, event: events.Key) -> None:
        """A key pressed before the network is loaded is kept, and the network screen gets it once
        it is up (:meth:`BptuiApp.replay_early_keys`): `bptui FILE` then `n n n` typed at once
        steps three times, as a user expects."""
        early = getattr(self.app, "early_keys", None)
        if early is not None:
            early.append((event.key, event.character))
            event.stop()
            event.prevent_default()

    def on_mount(self) -> None:
        self.app.title = f"bptui · {self.name_text}"
        self.query_one("#equation", TextLine).show("Loading the network…")
        self._show_status()

    def on_resize(self) -> None:
        self._show_status()

    def _show_status(self) -> None:
        """The status in the room the network screen's status will have at this width (``status_room``):
        the panels stay where they are when the network screen takes this one's place."""
        status = self.query_one("#status", TextLine)
        status.room = status_room(self.app.size.width)
        status.show(self.status)
        fit_head(self, status)

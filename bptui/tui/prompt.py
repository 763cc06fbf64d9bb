"""A one-line question in a modal: Enter answers, Escape cancels."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from .guard import GuardedPump


class Prompt(GuardedPump, ModalScreen[object | None]):
    """Ask for one value; dismisses with ``parse(text)``, or None when cancelled.

    ``parse`` returns the value, or a string saying what is wrong with the text: then the hint line
    says it and the question stays open.
    """

    AUTO_FOCUS = "Input"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-prompt")]
    DEFAULT_CSS = """
    Prompt { align: center middle; }
    Prompt > Vertical {
        width: 70; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    Prompt Label { width: 100%; }
    Prompt #hint { color: $text-muted; }
    Prompt #hint.invalid { color: $text-error; }
    """

    def __init__(self, question: str, value: str = "", hint: str = "Enter to confirm · Esc to cancel",
                 parse: Callable[[str], object] | None = None, restrict: str | None = None) -> None:
        super().__init__()
        self.question, self.value, self.hint = question, value, hint
        self.parse, self.restrict = parse, restrict
        self.answered = False  # dismissed already: Enters that arrive together answer once

    def _answer(self, result: object | None) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(result)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            yield Input(self.value, id="value", select_on_focus=True, restrict=self.restrict)
            yield Label(self.hint, id="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.answered:
            return
        if self.parse is None:
            self._answer(event.value)
            return
        result = self.parse(event.value)
        if isinstance(result, str):
            hint = self.query_one("#hint", Label)
            hint.update(result)
            hint.add_class("invalid")
            return
        self._answer(result)

    def action_cancel(self) -> None:
        self._answer(None)

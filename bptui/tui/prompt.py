"""A one-line question in a modal: Enter answers, Escape cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class Prompt(ModalScreen[str | None]):
    """Ask for one value; dismisses with the text typed, or None when cancelled."""

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
    """

    def __init__(self, question: str, value: str = "", hint: str = "Enter to confirm · Esc to cancel") -> None:
        super().__init__()
        self.question, self.value, self.hint = question, value, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            yield Input(self.value, id="answer", select_on_focus=True)
            yield Label(self.hint, id="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

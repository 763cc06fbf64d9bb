"""What the network app and the graph app share: a message line and moving the stepper."""

from __future__ import annotations

from textual.widgets import Static

MIN_DIGITS, MAX_DIGITS = 1, 8


class SteppingApp:
    """A mixin for an App with a ``stepper``, a ``#message`` Static and a ``refresh_view()``, and
    ``step_symbol(key)`` / ``step_equation(step)`` to name a step and write its equation."""

    def say(self, text: str) -> None:
        """A line under the equation; empty hides it. Unchanged text costs nothing (every step
        clears the line, and a layout pass would redraw the whole screen)."""
        message = self.query_one("#message", Static)
        if text == getattr(message, "_said", ""):
            return
        message._said = text
        message.update(text)
        message.set_class(bool(text), "visible")

    def _move(self, move) -> None:
        """Move the stepper (``move()``) and show where it is."""
        self.say("")
        move()
        self.refresh_view()

    def equation_text(self) -> str:
        """The last step's equation (a quiz question hides its number); a hint before the first."""
        if getattr(self, "question", None) is not None:
            return f"{self.question.equation}      {self.question.symbol} = ?"
        last = self.stepper.last
        if last is None:
            return (f"Press n, → or space to compute {self.step_symbol(self.stepper.next_key)}, the first "
                    "step. ? explains the notation and the keys.")
        return self.step_equation(last)

    def action_prev(self) -> None:
        if self.stepper.position == 0:
            self.say("Already at the first step.")
            return
        self._move(self.stepper.back)

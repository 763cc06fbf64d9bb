"""Every message the app's widgets post, in one place: a widget says what happened, the screen
that holds it decides what that means (``@on(messages.CursorMoved)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from ..core.teaching.quiz import Question


class CursorMoved(Message):
    """A layer panel's cursor: (quantity, layer, index, column), or None when the panel lost focus."""

    def __init__(self, cell: tuple | None) -> None:
        super().__init__()
        self.cell = cell


class EditRequested(Message):
    """Enter on a panel's cell (quantity, layer, index, column): the user wants to change it."""

    def __init__(self, cell: tuple) -> None:
        super().__init__()
        self.cell = cell


class NodeClicked(Message):
    """A click on a node of the computation graph."""

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node


class QuizAnswered(Message):
    """The student answered the quiz's question; ``verdict`` is the core's (right or wrong)."""

    def __init__(self, question: Question, verdict: Any) -> None:
        super().__init__()
        self.question = question
        self.verdict = verdict


class QuizRejected(Message):
    """The answer line held something that is not an answer; the question stays open."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

"""Quiz mode's answer line (``z``), shared by the network screen and the graph screen.

A thin widget: the questions and the checking are the core's (:mod:`bptui.core.teaching.quiz`). ``ask``
hides a number of a step already done; Enter checks the typed answer and posts
:class:`~.messages.QuizAnswered` (or :class:`~.messages.QuizRejected`, the line cleared for the
next try); the screen that holds the line says what that means and keeps the board.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.widgets import Input

from . import messages
from .modes import Host

if TYPE_CHECKING:
    from ..core.teaching.explain import Cell
    from ..core.teaching.quiz import Question, Score

ANSWER_PLACEHOLDER = "your answer, e.g. 0.25, 1/4, ln(2) or e^6 · Enter to check · Esc to skip"


class QuizLine(Input):
    """The answer line at the bottom; it keeps the score and the open question."""

    DEFAULT_CSS = """
    QuizLine { dock: bottom; margin-bottom: 1; display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(placeholder=ANSWER_PLACEHOLDER, **kwargs)
        from ..core.teaching.quiz import Score

        self.score: Score = Score()
        self.question: Question | None = None
        self.stepper: Any = None  # the stepper the open question is about
        self.attempt = 1  # the try the next answer is (a wrong first try gets a hint and a second)

    def start(self) -> None:
        from ..core.teaching.quiz import Score

        self.score, self.question = Score(), None

    def stop(self) -> None:
        self.question = None
        self.display = False

    def ask(self, stepper: Any, step: Any, cell: Cell | None, digits: int) -> Question:
        """Hide one number of ``step`` (``cell``, or the core's seeded choice) and wait for it."""
        from ..core.teaching.quiz import ask

        self.stepper = stepper
        self.question = ask(stepper, step, seed=0, cell=cell, digits=digits)
        self.attempt = 1
        self.value = ""
        self.display = True
        self.focus()
        return self.question

    def close(self) -> None:
        """The question is answered or skipped."""
        self.question = None
        self.display = False

    def skip(self) -> None:
        """The student skips the open question: it counts as asked, not answered."""
        if self.question is not None:
            self.score.skip(self.question)

    @on(Input.Submitted)
    def check(self, event: Input.Submitted) -> None:
        event.stop()
        question = self.question
        if question is None:
            return
        from ..core.teaching.quiz import TRIES, check

        try:
            verdict = check(self.stepper, question, event.value, attempt=self.attempt, tries=TRIES)
        except ValueError:
            self.value = ""  # the next try starts afresh, not appended to this one
            self.post_message(messages.QuizRejected(event.value))
            return
        if verdict.final:
            self.score.add(verdict)
        else:  # a hint and a second try
            self.attempt += 1
            self.value = ""
        self.post_message(messages.QuizAnswered(question, verdict))


class NetworkQuiz(Host):
    """The network screen's part of quiz mode: the question is about the cursor's cell when the
    step makes it."""

    QUIZ_INTRO = ("Quiz mode: n asks for the next step's value (the cell under the cursor, if it is "
                  "one the step makes). z again ends the quiz.")

    def quiz_cell(self, step: Any) -> Cell | None:
        """The cell under the cursor, if the step makes it."""
        from ..core.teaching.quiz import candidates
        from .explain import to_cell

        wanted = to_cell(self.stepper, self.cell) if self.cell is not None else None
        return wanted if wanted is not None and wanted in candidates(self.spec, step.key) else None

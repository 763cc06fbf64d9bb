"""Quiz mode (``z``), shared by the network app and the graph app.

``n`` does the next step with one of its numbers hidden, an answer line at the bottom takes the
student's answer, Enter checks it (:func:`bptui.core.quiz.check`), Esc skips, ``z`` again ends the
quiz with the score. The app supplies ``_quiz_cell(step)`` (the number the cursor asks for, or None
for a seeded choice) and shows ``self.question`` hidden in its own views in ``refresh_view()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer, Static

from ..core.notation import num

if TYPE_CHECKING:  # the answer line's Input is imported when the first question is asked
    from textual.widgets import Input

ANSWER_PLACEHOLDER = "your answer, e.g. 0.25, 1/4, ln(2) or e^6 · Enter to check · Esc to skip"


class QuizMode:
    """A mixin for an App with a ``stepper``, ``digits``, ``say()``, ``refresh_view()`` and an
    ``#explain`` Static; it keeps ``score`` (None: quiz mode off) and ``question``."""

    QUIZ_INTRO = "Quiz mode: n asks for the next step's value. z again ends the quiz."
    score = None  # quiz mode's Score, None when quiz mode is off
    question = None  # the quiz's Question waiting for an answer
    attempt = 1  # which try the answer line waits for (a wrong first answer gets a hint and a second)

    def _quiz_cell(self, step):
        """The number to ask for at ``step`` (a core Cell among the step's candidates), or None."""
        return None

    def action_toggle_quiz(self) -> None:
        if self.score is None:
            from ..core.quiz import Score

            self.score = Score()
            self.say(self.QUIZ_INTRO)
        else:
            by = self.score.compact()
            self.say(f"Quiz mode off. {self.score.summary()}" + (f". By quantity: {by}." if by else ""))
            self.score = self.question = None
            for answer in self.query("#answer"):
                answer.display = False
        self.refresh_view()

    def ask_next(self) -> None:
        """Do the next step with one of its numbers hidden, and wait for the student's answer."""
        from ..core.quiz import ask

        step = self.stepper.forward()
        self.attempt = 1
        self.question = ask(self.stepper, step, seed=0, cell=self._quiz_cell(step), digits=self.digits)
        self.say(f"What is {self.question.symbol}?")
        self.refresh_view()
        answer = self._answer_box()
        answer.value = ""
        answer.display = True
        answer.focus()

    def _answer_box(self) -> Input:
        """The quiz's answer line, made the first time a question is asked."""
        boxes = self.query("#answer")
        if boxes:
            return boxes.first()
        from textual.widgets import Input

        answer = Input(id="answer", placeholder=ANSWER_PLACEHOLDER)
        self.mount(answer, before=self.query_one(Footer))
        return answer

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "answer" or self.question is None:
            return
        from ..core.quiz import TRIES, check

        try:
            verdict = check(self.stepper, self.question, event.value, attempt=self.attempt, tries=TRIES)
        except ValueError:
            self.say(f"{event.value!r} is not a number: try again (e.g. 0.25, 1/4, ln(2), e^6), or Esc to skip.")
            event.input.value = ""  # the next try starts afresh, not appended to this one
            return
        q = self.question
        right = num(q.value, 8)
        second = " at the second try" if verdict.attempt > 1 else ""
        if not verdict.final:  # a hint and a second try
            message = f"✗ Not quite ({num(verdict.given, 6)}). Hint: {verdict.hint}  One more try, or Esc to skip."
        elif verdict.right:
            message = f"✓ Right{second}: {q.symbol} = {right}."
        else:
            message = f"✗ Not quite: you said {num(verdict.given, 8)}; {q.symbol} = {right}."
        self.say(message)
        if not verdict.final:
            self.attempt += 1
            event.input.value = ""
            return
        self.score.add(verdict)
        self._reveal(verdict.explanation.text())

    def action_skip_question(self) -> None:
        if self.question is not None:
            from ..core.explain import explain

            if self.score is not None:
                self.score.skip(self.question)
            self.say(f"Skipped: {self.question.symbol} = {num(self.question.value, 8)}.")
            self._reveal(explain(self.stepper, self.question.cell, self.digits).text())

    def _reveal(self, explanation: str) -> None:
        self.question = None
        self._answer_box().display = False
        self._after_answer()
        self.refresh_view()
        panel = self.query_one("#explain", Static)
        panel.update(explanation)
        panel.display = True

    def _after_answer(self) -> None:
        """Where the focus goes once a question is answered or skipped."""
        self.set_focus(None)

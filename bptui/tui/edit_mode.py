"""The edit mode of the network screen: the cursor's cell, explained in the side panel, and Enter on
a weight to type a new value (the stepper restarts its update group with it)."""

from __future__ import annotations

from textual.widgets import Static

from ..core.formulas.notation import num, sup
from . import messages
from .modes import Host
from .prompt import Prompt


class EditMode(Host):
    def on_cursor_moved(self, message: messages.CursorMoved) -> None:
        self.cell = message.cell

    def watch_cell(self) -> None:
        from .panels import follows_cursor

        if follows_cursor(self.query_one("#layers").children):  # what the cell reads is highlighted
            self.redraw()
            return
        self.show_explanation()

    def show_explanation(self, refit: bool = False) -> None:
        panel = self.query_one("#explain", Static)
        if panel.display != (self.cell is not None):
            panel.display = self.cell is not None
            self.place_side()
        if self.cell is not None:
            from .explain import explain_cell

            size = panel.content_size  # the terms its rows have room for; none until it has been laid out
            panel.update(explain_cell(self.stepper, self.cell, self.digits, (size.width, size.height)))
            if not size.area and not refit:
                self.call_after_refresh(self.show_explanation, True)

    def action_leave_panel(self) -> None:
        if self.question is not None:
            self.action_skip_question()
            return
        self.set_focus(None)

    def on_edit_requested(self, message: messages.EditRequested) -> None:
        quantity, l, row, col = message.cell
        kinds = getattr(self.stepper.spec, "layer_kinds", ())
        kind = kinds[l - 1] if 1 <= l <= len(kinds) else None
        if quantity != "W":
            self.say(f"Only weights can be edited: move the cursor to a W{sup(l)} cell." if kind is None or kind.has_weights
                     else f"Only weights can be edited, and layer {l} ({kind.label()}) has none: move the cursor "
                          "to a weight of another layer.")
            return
        if kind is not None and not kind.editable(row, col):
            self.say(f"That entry of W{sup(l)} is no weight ({kind.weight_text(self.stepper.spec, l, row + 1, col)}); "
                     "it cannot be edited.")
            return
        if self.question is not None:  # the question is about a step an edit could take off the board
            self.say("Answer the question first (Esc skips it); then edit the weight.")
            return
        from .explain import to_cell

        current = float(self.stepper.state.W[l][row, col])
        name = to_cell(self.stepper, ("W", l, row, col)).symbol()  # w₁,₀⁽²⁾ (u for U), as the side panel writes it
        name = self.weight_shown(l, row, col) or name

        def done(text: object | None) -> None:
            if not isinstance(text, str) or not text.strip():
                return
            try:
                value = float(text.replace("−", "-"))
            except ValueError:
                self.say(f"{text!r} is not a number; {name} is unchanged.")
                return
            if value != value or value in (float("inf"), float("-inf")):
                self.say(f"{text} is not a finite number; {name} is unchanged.")
                return
            if value == current:
                self.say(f"{name} is unchanged ({num(value, self.digits)}).")
                return
            edits: list = []
            self._move(lambda: edits.append(self.stepper.edit_weight(l, row, col, value)), rebuilt=True)
            self.say(self.in_profile(edits[0].text(self.digits), edits[0]))

        self.app.push_screen(Prompt(f"New value of {name} (now {num(current, 8)}):", repr(current)), done)

    def weight_shown(self, l: int, row: int, col: int) -> str | None:
        """Weight (row, col) of the file's W⁽ˡ⁾ as a notation profile's panel names it where it shows it
        (nielsen's b₁², w₁,₂²; cs231n's W is D × C: w₁,₀¹), or None in the lecture's notation."""
        from .panels import profiled

        notation = self.stepper.notation
        if notation is None or not profiled(self.stepper):
            return None
        from ..core.formulas.formula import TextPrinter

        kind = self.stepper.spec.layer_kinds[l - 1]
        return TextPrinter(notation=notation).p(kind.profiled_weight_sym(notation, l, row, col))

    def in_profile(self, text: str, edit) -> str:
        """An edit's words (the core's, which name the weight as the lecture does) with the weight named
        as the profile's panel names it."""
        shown = self.weight_shown(edit.layer, edit.row, edit.col)
        return text if shown is None else text.replace(edit.name, shown)

    def action_prev(self) -> None:
        """Back one step, but not past an edit: the steps before it were computed with the old value."""
        stepper = self.stepper
        if stepper.position == stepper.floor and stepper.floor_edits:
            at = stepper.where()
            names = list(dict.fromkeys(self.in_profile(edit.name, edit) for edit in stepper.floor_edits))
            were = "was" if len(names) == 1 else "were"
            self.say(f"Cannot go further back: {', '.join(names)} {were} edited here (step {at.step_in_epoch} of "
                     f"epoch {at.epoch}), and the steps before were computed with the old "
                     f"value{'s' if len(names) > 1 else ''}. r returns to {stepper.base_origin.reset_target()}.")
            return
        super().action_prev()

    def equation_text(self) -> str:
        """Right after an edit, the edit itself (no step since is on the board); else the last step's."""
        if self.stepper.last is None and self.stepper.floor_edits and self.asked is None:
            return "; ".join(self.in_profile(edit.equation(self.digits), edit) for edit in self.stepper.floor_edits)
        return super().equation_text()

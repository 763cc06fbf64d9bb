"""The network screen's text above the panels: the status block (the network, the example, the step,
the loss) and the equation of the last step, cut to three lines unless ``x`` asks for the whole."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len

from ..core.engine.kind import layers_text
from ..core.formulas.notation import num, vec
from .modes import Host
from .stepping import EQUATION_LEAST, EQUATION_LINES, TextLine, equation_rows, fit_head, status_room, text_rows


def data_text(app: Any, spec: Any) -> str:
    """`` · circle data`` after the network's name where the settings chose other data than the file's
    (the header, the training screen's title); empty where they did not."""
    from ..core.formats.settings import data_label

    label = data_label(spec, getattr(app, "file_data", None))
    return "" if label is None else f" · {label}"


class BoardText(Host):
    def status_text(self) -> str:
        from ..core.engine.equations import ETA, LOSS_D, loss_D_text, loss_sym, o, step_symbol
        from ..core.formulas.formula import TextPrinter
        from .panels import profiled

        spec, stepper, digits = self.spec, self.stepper, self.digits
        notation = stepper.notation if profiled(stepper) else None  # its symbols, as the panels and equations
        name = TextPrinter(notation=notation).p
        at = stepper.where()
        shape = "-".join(str(w) for w in spec.widths)
        if any(k.span for k in getattr(spec, "layer_kinds", ())):  # residual blocks: as the file nests them
            shape = layers_text(str(spec.widths[0]), spec.layer_kinds)
        if at.phase == "update":
            example_text = f"updating the weights {at.follows.text()}"
        else:
            example_text = f"{at.example_text()}: x = {vec(at.x, digits)}, y = {vec(at.y, digits)}"
        o0, x = stepper.state.o[0], at.x
        if at.phase == "update" and at.next.phase == "forward" and at.next.example is not None:
            # the board holds the group's last input, but the next step, s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾, reads the next example's
            o0, x = None, spec.x_of(at.next.example - 1)
        if spec.lengths is not None:
            o0_text = ""
        elif notation is not None and notation.separate_bias:  # no 1 on top: the input is x
            o0_text = f"{name(o(0))} = x = {vec(x if o0 is None else o0[1:], digits)}"
        elif o0 is None:  # nothing on the board yet, or after an update: the next example's
            o0_text = f"{name(o(0))} = [1, x] = {vec([1.0, *x], digits)}"
        else:
            o0_text = f"{name(o(0))} = [1, x] = {vec(o0, digits)}"
        if spec.input_shape:  # an image: its map is the panel o⁽⁰⁾ = x
            shape = layers_text("×".join(map(str, spec.input_shape)), spec.layer_kinds)
            if at.phase != "update":
                example_text = f"{at.example_text()} (the panel {name(o(0))} = x), y = {vec(at.y, digits)}"
            o0_text = f"{name(o(0))} = x, a {'×'.join(map(str, spec.input_shape))} map"
        if spec.lengths is not None:  # a sequence: its length and rows (tui/seq_sheet.py)
            from .seq_sheet import status_lines

            shape = layers_text(str(spec.widths[0]), spec.layer_kinds)
            seq_example, o0_text = status_lines(stepper, digits)
            if notation is not None:  # the profile's input at τ, without the 1 with a separate b
                from dataclasses import replace

                o0_text = f"{name(replace(o(0), time='τ'))} = {'x_τ' if notation.separate_bias else '[1, x_τ]'}"
            if at.phase != "update":
                example_text = seq_example
        loss = stepper.state.loss
        loss_text = "" if loss is None or at.phase == "update" else f"{name(loss_sym(at.example))} = {self._loss(loss, digits)} · "
        asking_loss = self.asked is not None and self.asked.quantity == "loss"
        if asking_loss:
            loss_text = f"{name(loss_sym(at.example))} = ? · "
        data = data_text(self.app, spec)
        score = self.score
        quiz_text = "" if score is None else f" · quiz {score.right} of {score.asked} right"
        so_far = '?' if asking_loss else loss_D_text(notation, stepper.state, digits)

        head = f"{spec.name}{data} · {shape} · {spec.loss} loss · {self._update_text()} · {name(ETA)} = {num(spec.learning_rate)}"
        foot = f"{o0_text} · next: {name(step_symbol(at.next, spec.layer_kinds))} ({at.next.phase})"

        def middle(example_text: str) -> str:
            return (f"epoch {at.epoch} · {example_text} · step {at.step_in_epoch} of {at.steps_per_epoch} · {at.phase} · "
                    f"{loss_text}{name(LOSS_D)} so far = {so_far}{quiz_text}")

        line = middle(example_text)
        width, room = self._status_cells() if spec.lengths is not None and at.phase != "update" else (0, 0)
        if width and text_rows(line, width) > (room := room - text_rows(head, width) - text_rows(foot, width)):
            # a sequence's rows: as many as keep the status to its room, or to the fewest rows one of them
            # takes (no row written out that would not save a row of the status); the line's rows grow with them
            lines = [middle(status_lines(stepper, digits, 1)[0])]
            target = max(room, text_rows(lines[0], width))
            for shown in range(2, 9):  # (eight: as many as it writes at the most)
                more = middle(status_lines(stepper, digits, shown)[0])
                if text_rows(more, width) > target:
                    break
                lines.append(more)
            line = lines[-1]
        return f"{head}\n{line}\n{foot}"

    def _status_cells(self) -> tuple[int, int]:
        """The status's width in cells and the most rows it takes before it moves the panels down: its room
        (``status_room``) and the row it may take from the equation (``fit_head``); (0, 0) before it is
        mounted. A sequence's status writes as many of x_τ's and y_τ's rows as keep it to them, eight at the
        most and one at the least: tiny_transformer's five of each took its status to 7 of 24 rows at 80×24,
        and moved its panels down two rows."""
        from textual.css.query import NoMatches

        try:
            self.query_one("#status", TextLine)
        except NoMatches:
            return 0, 0
        # the screen's width, less the line's padding (it spans the screen): its region's is the old one
        # while a resize is handled, and none before the first layout
        width = self.status_width or self.app.size.width
        return max(width - 2, 0), status_room(width) + EQUATION_LINES - EQUATION_LEAST

    def _loss(self, loss: float, digits: int) -> str:
        """The board's ℓ⁽ⁿ⁾ as its loss line writes it: past the floats, from its logarithm (2.225e−348, not 0)."""
        from ..core.engine.equations import loss_text

        return loss_text(self.stepper.net, self.stepper.state, digits)

    def _update_text(self) -> str:
        """How the weights are updated: full_batch, per_example or mini-batches of k, and the
        optimizer when it is not plain gradient descent."""
        spec = self.spec
        mode = f"mini-batches of {spec.batch_size}" if spec.update == "mini_batch" else spec.update
        name = spec.optimizer.name
        return mode if name == "sgd" else f"{mode} · {name}"

    def step_symbol(self, key: Any) -> str:
        """The step's quantity as the panels name it (in the stepper's notation profile)."""
        from ..core.engine.equations import step_symbol
        from ..core.formulas.formula import TextPrinter
        from .panels import profiled

        notation = self.stepper.notation if profiled(self.stepper) else None
        return TextPrinter(notation=notation).p(step_symbol(key, self.spec.layer_kinds))

    def step_equation(self, step: Any) -> str:
        from ..core.engine.equations import step_equation

        return step_equation(self.stepper, step, self.digits, self._cursor_position(step), self._equation_room())

    def _equation_room(self) -> int | None:
        """How many characters of an equation the equation line shows (the rows it has under the status,
        ``equation_rows``: three, or two beside a long status, and one row more, with more than enough to
        tell that the text goes on; the line is cut within its rows, at most as many characters as they
        hold); None when x shows the whole equation."""
        if self.query_one("#equation-box").has_class("whole"):
            return None
        return (equation_rows(self.query_one("#status", TextLine)) + 1) * self._equation_width() + 24

    def _equation_width(self) -> int:
        # before the first layout the line has no width yet: the screen's (it spans the screen)
        return max(self.query_one("#equation", TextLine).content_region.width or self.app.size.width - 2, 20)

    def _cursor_position(self, step: Any) -> tuple[int, ...] | None:
        """Where a map step's scalar form is worked out: the cursor's cell when it is one of the values
        the step made (a position of the map, or a kernel weight of a conv G), else the first."""
        cell, key = self.cell, step.key
        if cell is None or not self.spec.is_v2 or cell[1] != key.layer or cell[0] != key.quantity:
            return None
        if isinstance(cell[2], tuple):
            return tuple(cell[2])
        if key.quantity == "G" and cell[3] is not None:  # a kernel weight's (k, c, u, v), if the kind has one
            return self.spec.layer_kinds[key.layer - 1].weight_position(int(cell[2]), int(cell[3]))
        return None

    status_width: int | None = None  # the terminal's width the status was last shown at

    def _show_status(self) -> None:
        """The status in its room at this width (``status_room``), the equation in the rows it leaves."""
        status = self.query_one("#status", TextLine)
        self.status_width = self.app.size.width
        status.room = status_room(self.status_width)
        status.show(self.status_text())

    def _show_equation(self, text: str) -> None:
        """Three lines (fewer when the status needs more than its room: ``fit_head``), cut with a
        pointer to x when longer; the whole of it when x is on."""
        room = fit_head(self, self.query_one("#status", TextLine))
        box = self.query_one("#equation-box")
        widget = self.query_one("#equation", TextLine)
        if box.has_class("whole"):
            widget.show(text)
            return
        width = self._equation_width()
        lines = 0
        for line in text.split("\n"):  # a line of more characters than the lines' cells needs more
            lines += room + 1 if len(line) > room * width else -(-max(cell_len(line), 1) // width)
            if lines > room:  # (no need to measure the rest: long equations are thousands of characters)
                break
        if lines > room:  # cut where the pointer to x still fits in the lines, wrapped at spaces
            pointer = " … (x: the whole equation)"
            keep = room * width - cell_len(pointer)
            while keep > 0 and text_rows(text[:keep] + pointer, width) > room:
                keep -= 8
            text = text[:keep].rstrip() + pointer  # (a cut after a space: no blank before the …)
        widget.update(text, layout=False)

    def action_whole_equation(self) -> None:
        box = self.query_one("#equation-box")
        box.toggle_class("whole")
        self._show_equation(self.equation_text())
        self.say("The whole equation; x again for three lines." if box.has_class("whole") else "")

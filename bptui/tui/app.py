"""``bptui FILE``: the stepper on screen, one step per keypress.

Start-up is lean: the first frame (the network's name and shape, the keys) needs only the file,
checked against the schema in pure Python; NumPy, the core and the panels load right after it
(``BptuiApp.from_document``). Constructed with a spec, as the tests do, the app is whole at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.scroll_view import ScrollView
from textual.widgets import Footer, Static

from ..core.notation import num, sup, vec
from .prompt import Prompt
from .guard import GuardedApp
from .quizmode import QuizMode
from .stepping import MAX_DIGITS, MIN_DIGITS, SteppingApp

if TYPE_CHECKING:
    from ..core.spec import NetworkSpec
    from .sheet import LayerSheet

# NumPy, the core's math and the panels are imported inside the methods that use them, so that
# the first frame does not wait for them (after the first use an import is a dictionary look-up)

class BptuiApp(GuardedApp, QuizMode, SteppingApp, App[None]):
    """Step through backpropagation on one network."""

    TITLE = "bptui"
    QUIZ_INTRO = ("Quiz mode: n asks for the next step's value (the cell under the cursor, if it is "
                  "one the step makes). z again ends the quiz.")
    AUTO_FOCUS = None  # arrows step until Tab (or a click) puts the cursor in a panel
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere
    BINDINGS = [
        Binding("n,space", "next", "Next", id="next", tooltip="One step forward"),
        Binding("p", "prev", "Prev", id="prev", tooltip="One step back, exact values restored"),
        Binding("left", "prev", "Prev", id="prev-arrow", show=False),
        Binding("right", "next", "Next", id="next-arrow", show=False),
        Binding("f", "to_loss", "Loss", id="forward-pass", tooltip="To the end of this forward pass (the loss)"),
        Binding("b", "to_backward_end", "Backprop", id="backward-pass", tooltip="To the end of this backward pass"),
        Binding("u", "to_update", "Update", id="update", tooltip="Through the next update"),
        Binding("e", "to_epoch_end", "Epoch", id="epoch", tooltip="To the end of the epoch"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Notation and keys"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("r", "reset", "Reset", id="reset", tooltip="Back to the file's weights"),
        Binding("c", "diagram('graph')", "Graph", id="graph", tooltip="The network's computation graph (again: panels)"),
        Binding("d", "diagram('nn')", "NN", id="nn-diagram", tooltip="Units and weights (again: panels)"),
        Binding("t", "train", "Train", id="train", tooltip="Train for some epochs in the background, then step on"),
        Binding("g", "gradient_check", "Check", id="gradient-check",
                tooltip="Every weight's backprop gradient against a finite difference"),
        Binding("plus,equals_sign", "digits(1)", "+digits", id="more-digits", show=False),
        Binding("minus", "digits(-1)", "−digits", id="fewer-digits", show=False),
        Binding("x", "whole_equation", "Equation", id="whole-equation", show=False,
                tooltip="Show the whole equation of the step (or three lines)"),
        Binding("w", "save", "Save", id="save", show=False, tooltip="Save the network with its current weights"),
        Binding("z", "toggle_quiz", "Quiz", id="quiz", tooltip="Quiz mode: type each step's value before it is shown"),
        Binding("escape", "leave_panel", "", show=False),
        Binding("left_square_bracket", "scroll_panel(-8)", "", show=False),
        Binding("right_square_bracket", "scroll_panel(8)", "", show=False),
    ]

    def __init__(self, spec: NetworkSpec | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.stepper = None
        if spec is not None:
            from ..core.stepper import Stepper

            self.stepper = Stepper(spec)
        self.document: tuple[Any, str] | None = None  # (JSON document, file name) still to load
        self.load_error = None  # a SpecError found while loading: the app exits with status 2
        self.digits = 4
        self.cell: tuple | None = None  # the cell under the cursor, when a panel has focus
        self._followed: int | None = None  # the layer last scrolled into view
        self.score = None  # quiz mode's Score, None when quiz mode is off
        self.question = None  # the quiz's Question waiting for an answer
        self.trained_epochs = 0  # epochs trained with `t` since the file's weights

    @classmethod
    def from_document(cls, doc: Any, source: str) -> "BptuiApp":
        """An app for a network file whose document passed ``validate.check``: its first frame is
        drawn from the document, and the spec, the stepper and the panels follow right after."""
        app = cls()
        app.document = (doc, source)
        return app

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        with VerticalScroll(id="equation-box", can_focus=False):
            yield Static(id="equation", markup=False)
        yield Static(id="message", markup=False)
        with Horizontal(id="main"):
            with VerticalScroll(id="layers", can_focus=False):
                if self.stepper is not None:
                    yield from self._panels()
            yield Static(id="explain", markup=False)
        yield Footer(show_command_palette=False, compact=True)  # room for the keys; ctrl+p still works

    def _panels(self):
        from .sheet import LayerSheet
        from .view import layer_views

        if self.spec is not None and self.spec.is_v2:  # feature maps: the input and each map layer in a MapSheet
            from .map_sheet import panels

            yield from panels(self.stepper, self.digits)
            return
        widest = max(w.shape[1] for w in self.spec.weights)
        for view in layer_views(self.stepper):
            yield LayerSheet(view, self.digits, widest, id=f"layer-{view.layer}")

    def on_mount(self) -> None:
        if self.stepper is None:  # the first frame from the document; the rest after it
            doc, source = self.document
            name = doc.get("name") or Path(source).stem
            self.title = f"bptui · {name}"
            shape = "-".join(_layer_text(layer) for layer in doc["layers"])
            self.query_one("#status", Static).update(f"{name} · {shape} · {doc.get('loss', 'squared')} loss")
            self.query_one("#equation", Static).update("Loading the network…")
            self.call_after_refresh(self._load_network)
            return
        self._show_network()

    def _load_network(self) -> None:
        from ..core.errors import SpecError
        from ..core.spec import parse
        from ..core.stepper import Stepper

        doc, source = self.document
        try:
            self.spec = parse(doc, source, schema_checked=True)
        except SpecError as err:
            self.load_error = err
            self.exit(return_code=2)
            return
        self.stepper = Stepper(self.spec)
        self.query_one("#layers").mount_all(self._panels())
        self._show_network()

    def _show_network(self) -> None:
        from .net_diagrams import NetworkDiagrams

        self.title = f"bptui · {self.spec.name}"
        self.query_one("#main").mount(NetworkDiagrams(self.stepper, id="diagrams"), before="#explain")
        self.refresh_view()

    # -- what the screen shows --------------------------------------------------------------------
    def status_text(self) -> str:
        from ..core.equations import symbol

        spec, stepper, digits = self.spec, self.stepper, self.digits
        at = stepper.where()
        shape = "-".join(str(w) for w in spec.widths)
        if at.phase == "update":
            example_text = f"updating the weights {at.follows.text()}"
        else:
            example_text = f"example {at.example} of {spec.N}: x = {vec(at.x, digits)}, y = {vec(at.y, digits)}"
        o0 = stepper.state.o[0]
        if o0 is None:  # nothing on the board yet: the next example's
            o0_text = f"o{sup(0)} = [1, x{sup(at.example)}] = {vec([1.0, *at.x], digits)}"
        else:
            o0_text = f"o{sup(0)} = [1, x] = {vec(o0, digits)}"
        assert spec is not None
        if spec.input_shape:  # an image: its map is the panel o⁽⁰⁾ = x
            shape = " → ".join(["×".join(map(str, spec.input_shape))] + [k.describe() for k in spec.layer_kinds])
            if at.phase != "update":
                example_text = f"example {at.example} of {spec.N} (the panel o{sup(0)} = x), y = {vec(at.y, digits)}"
            o0_text = f"o{sup(0)} = x, a {'×'.join(map(str, spec.input_shape))} map"
        loss = stepper.state.loss
        loss_text = "" if loss is None or at.phase == "update" else f"ℓ{sup(at.example)} = {num(loss, digits)} · "
        asking_loss = self.question is not None and self.question.cell.quantity == "loss"
        if asking_loss:
            loss_text = f"ℓ{sup(at.example)} = ? · "
        quiz_text = "" if self.score is None else f" · quiz {self.score.right} of {self.score.asked} right"
        return (
            f"{spec.name} · {shape} · {spec.loss} loss · {self._update_text()} · η = {num(spec.learning_rate)}\n"
            f"epoch {at.epoch} · {example_text} · step {at.step_in_epoch} of {at.steps_per_epoch} · {at.phase} · "
            f"{loss_text}ℓ_D so far = {'?' if asking_loss else num(stepper.state.loss_D, digits)}"
            f"{quiz_text}\n"
            f"{o0_text} · next: {symbol(at.next)} ({at.next.phase})"
        )

    def _update_text(self) -> str:
        """How the weights are updated: full_batch, per_example or mini-batches of k, and the
        optimizer when it is not plain gradient descent."""
        spec = self.spec
        mode = f"mini-batches of {spec.batch_size}" if spec.update == "mini_batch" else spec.update
        name = spec.optimizer.name
        return mode if name == "sgd" else f"{mode} · {name}"

    def step_symbol(self, key) -> str:
        from ..core.equations import symbol

        return symbol(key)

    def step_equation(self, step) -> str:
        from ..core.equations import step_equation

        return step_equation(self.stepper, step, self.digits, self._cursor_position(step))

    def _cursor_position(self, step) -> tuple[int, ...] | None:
        """Where a map step's scalar form is worked out: the cursor's cell when it is one of the values
        the step made (a position of the map, or a kernel weight of a conv G), else the first."""
        cell, key = self.cell, step.key
        if cell is None or self.spec is None or not self.spec.is_v2 or cell[1] != key.layer or cell[0] != key.quantity:
            return None
        if isinstance(cell[2], tuple):
            return cell[2]
        kind = self.spec.layer_kinds[key.layer - 1]
        if key.quantity == "G" and kind.type == "conv2d" and cell[3]:  # (k, c, u, v) of kernel column a
            import numpy as np

            c, u, v = np.unravel_index(cell[3] - 1, (kind.in_shape[0],) + kind.kernel)
            return (int(cell[2]), int(c), int(u), int(v))
        return None

    def equation_text(self) -> str:
        """Right after an edit, the edit itself (no step since is on the board); else the last step's."""
        if self.stepper.last is None and self.stepper.floor_edits and self.question is None:
            return "; ".join(edit.equation(self.digits) for edit in self.stepper.floor_edits)
        return super().equation_text()

    def _show_equation(self, text: str) -> None:
        """Three lines, cut with a pointer to x when longer; the whole of it when x is on."""
        box = self.query_one("#equation-box")
        widget = self.query_one("#equation", Static)
        if box.has_class("whole"):
            self._set_text(widget, text)
            return
        width = max(widget.content_region.width, 20)
        lines, out = 0, []
        for line in text.split("\n"):
            lines += -(-max(cell_len(line), 1) // width)
            out.append(line)
        if lines > 3:
            keep = 3 * width - 24
            text = text[:keep] + " … (x: the whole equation)"
        widget.update(text, layout=False)

    def action_whole_equation(self) -> None:
        box = self.query_one("#equation-box")
        box.toggle_class("whole")
        self._show_equation(self.equation_text())
        self.say("The whole equation; x again for three lines." if box.has_class("whole") else "")

    def _set_text(self, widget: Static, text: str) -> None:
        """Update a text line; ask for a new layout only when its height may change."""
        width = max(widget.content_region.width, 1)
        lines = sum(-(-max(cell_len(line), 1) // width) for line in text.split("\n"))
        widget.update(text, layout=lines != getattr(widget, "_bptui_lines", None))
        widget._bptui_lines = lines

    def refresh_view(self) -> None:
        from .sheet import LayerSheet
        from .view import layer_views

        with self.batch_update():
            self._set_text(self.query_one("#status", Static), self.status_text())
            self._show_equation(self.equation_text())
            hidden = None
            if self.question is not None:
                from .explain import panel_cell

                hidden = panel_cell(self.stepper, self.question.cell)
            if self.spec is not None and self.spec.is_v2:
                from .map_sheet import refresh_panels

                refresh_panels(self, hidden)
            else:
                for view in layer_views(self.stepper):
                    self.query_one(f"#layer-{view.layer}", LayerSheet).show(view, self.digits, hidden)
            for diagrams in self.query("#diagrams"):  # mounted with the panels
                diagrams.refresh_from(self.digits)
            last = self.stepper.last
            if last is not None and last.key.layer is not None and last.key.layer != self._followed:
                # keep the layer the step works on in view (deep networks have more than a screen)
                self.query_one(f"#layer-{last.key.layer}").scroll_visible(animate=False)
                self._followed = last.key.layer
            self.show_explanation()

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.score is not None:
            self.ask_next()
            return
        self._move(self.stepper.forward)

    def action_to_loss(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "loss"))

    def action_to_backward_end(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "backward" and s.key.layer == 1
                                                  and s.key.quantity == "G"))

    def action_to_update(self) -> None:
        L = self.spec.L
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "update" and s.key.layer == L))

    def action_to_epoch_end(self) -> None:
        n = len(self.stepper.schedule)
        self._move(lambda: self.stepper.run_until(lambda s: s.key.step % n == 0))

    def action_reset(self) -> None:
        from .sheet import LayerSheet

        for sheet in self.query(LayerSheet):  # Tab opens on the first cell again
            sheet.home()
        self._move(self.stepper.reset)
        self.trained_epochs = 0
        self.say("Reset to the file's weights.")

    def action_prev(self) -> None:
        stepper = self.stepper
        if stepper.position == stepper.floor and stepper.floor_edits:
            at = stepper.where()
            names = list(dict.fromkeys(edit.name for edit in stepper.floor_edits))
            were = "was" if len(names) == 1 else "were"
            self.say(f"Cannot go further back: {', '.join(names)} {were} edited here (step {at.step_in_epoch} of "
                     f"epoch {at.epoch}), and the steps before were computed with the old "
                     f"value{'s' if len(names) > 1 else ''}. r resets to the file's weights.")
            return
        super().action_prev()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys of the stepper work on the main screen only, once the network is loaded; on a
        dialog they reach its widgets."""
        if self.stepper is None:
            return action in {"quit", "help"}
        if len(self.screen_stack) > 1 and action in {"next", "prev", "train", "gradient_check"}:
            return False
        return True

    # -- training and the gradient check (screens in training.py and gradcheck.py) ---------------
    def action_train(self) -> None:
        from .training import TrainScreen, epochs_prompt

        note = (f"From the weights on screen, after {self.trained_epochs} epochs trained."
                if self.trained_epochs else "From the weights on screen.")

        def start(epochs: int | None) -> None:
            if epochs is None:
                self.say("Training cancelled.")
                return
            opt = self.stepper.state.opt[1:]
            self.push_screen(TrainScreen(self.spec, epochs, self.stepper.weights, opt,
                                         self.trained_epochs + 1, on_done=self._trained))

        self.push_screen(epochs_prompt(self.spec.epochs, note), start)

    def _trained(self, result) -> None:
        """Training ended (finished or stopped): the stepper starts again from its weights."""
        from ..core.stepper import Origin

        self.trained_epochs += result.epochs_done
        origin = Origin("trained", self.spec.source, epochs=result.epochs_done, total=self.trained_epochs,
                        optimizer=self.spec.optimizer)
        self.stepper.reset(weights=result.weights, opt=result.opt, origin=origin)
        self.refresh_view()
        how = "stopped after" if result.cancelled else "after"
        self.say(f"Stepping from the trained weights ({how} {result.epochs_done} epochs; "
                 f"{self.trained_epochs} since the file's). r resets to the file's weights.")

    def action_gradient_check(self) -> None:
        from .gradcheck import GradCheckScreen

        stepper = self.stepper
        at = stepper.where()
        if at.step == 0 and not stepper.edits and stepper.origin.kind in ("file", "init"):
            where = "the file's weights"
        else:
            where = f"the weights on screen (step {at.step_in_epoch} of epoch {at.epoch})"
        examples = None
        if at.group_done and at.follows.n_groups > 1:  # the gradient of this group's ℓ: the G on screen
            examples = at.follows.indices.tolist()
            where += f", ℓ summed {at.follows.text('over')} (the G on screen)"
        elif at.group_done:
            where += " (the G on screen)"
        self.push_screen(GradCheckScreen(self.spec, stepper.weights, where, examples))

    def action_digits(self, change: int) -> None:
        self.digits = min(MAX_DIGITS, max(MIN_DIGITS, self.digits + change))
        self.refresh_view()

    # -- cells: explain, edit, save ------------------------------------------------------------------
    def on_layer_sheet_cursor_moved(self, message: LayerSheet.CursorMoved) -> None:
        self.cell = message.cell
        self.show_explanation()
        if self.spec is not None and self.spec.is_v2:  # the receptive field of the cell under the cursor (map_sheet.highlights)
            self.refresh_view()

    def show_explanation(self) -> None:
        panel = self.query_one("#explain", Static)
        panel.display = self.cell is not None
        if self.cell is not None:
            from .explain import explain_cell

            panel.update(explain_cell(self.stepper, self.cell, self.digits))

    def action_leave_panel(self) -> None:
        if self.question is not None:
            self.action_skip_question()
            return
        self.set_focus(None)

    def on_layer_sheet_edit_requested(self, message: LayerSheet.EditRequested) -> None:
        quantity, l, row, col = message.cell
        if quantity != "W":
            self.say(f"Only weights can be edited: move the cursor to a W{sup(l)} cell.")
            return
        if self.question is not None:  # the question is about a step an edit could take off the board
            self.say("Answer the question first (Esc skips it); then edit the weight.")
            return
        from ..core.explain import Cell

        current = float(self.stepper.state.W[l][row, col])
        name = Cell("W", l, row + 1, col).symbol()  # w₁,₀⁽²⁾, as the side panel writes it

        def done(text: str | None) -> None:
            if text is None or not text.strip():
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
            edits = []
            self._move(lambda: edits.append(self.stepper.edit_weight(l, row, col, value)))
            self.say(edits[0].text(self.digits))

        self.push_screen(Prompt(f"New value of {name} (now {num(current, 8)}):", repr(current)), done)

    def action_save(self) -> None:
        from . import saving  # served: off, or confined to the operator's folder

        if (refused := saving.refusal()) is not None:
            self.say(refused)
            return
        default = f"{self.spec.name}-edited.json"

        def done(path: str | None) -> None:
            if not path:
                return
            if isinstance(target := saving.target(path), str):
                self.say(target)
                return
            spec = self.spec.with_weights(self.stepper.weights)
            try:
                from ..core.jsonfmt import network_text

                existed = target.exists()
                target.write_text(network_text(spec.to_json()), encoding="utf-8")
            except (OSError, ValueError) as err:  # ValueError: a NUL in the name
                self.say(f"Could not save {path}: {getattr(err, 'strerror', None) or err}.")
                return
            what = "Replaced" if existed else "Saved the network with its current weights to"
            self.say(f"{what} {path}.")

        self.push_screen(Prompt("Save the network (weights included) to:", default,
                                "Enter saves (a file of that name is replaced) · Esc cancels"), done)

    # -- quiz mode (the keys and the answer line in quizmode.py) ---------------------------------------
    def _quiz_cell(self, step):
        """The cell under the cursor, if the step makes it."""
        from ..core.quiz import candidates
        from .explain import to_cell

        wanted = to_cell(self.stepper, self.cell) if self.cell is not None else None
        return wanted if wanted is not None and wanted in candidates(self.spec, step.key) else None

    def action_help(self) -> None:
        from .help import HelpScreen, help_text

        self.push_screen(HelpScreen(help_text(self.spec)))

    def action_diagram(self, mode: str) -> None:
        """c, d: a diagram of the network in place of the layer panels, and back."""
        shown = self.query_one("#diagrams").toggle(mode, self.digits)
        self.query_one("#layers").display = not shown

    def action_scroll_panel(self, dx: int) -> None:
        focused = self.focused
        if isinstance(focused, ScrollView):
            focused.scroll_relative(x=dx, animate=False)


def _layer_text(layer: dict) -> str:
    """A layer as the first frame names it, from the schema-checked document (before the spec):
    its units, a map input's C×H×W, or a v2 layer's type."""
    if "units" in layer:
        return str(layer["units"])
    if "shape" in layer:
        return "×".join(str(n) for n in layer["shape"])
    return str(layer.get("type", "?"))


def run(doc: Any, source: str, no_color: bool = False) -> int:
    """Open the app on a schema-checked network document; bad input found while loading ends the
    app and is reported as one ``error:`` line, exit status 2."""
    if no_color:
        os.environ["NO_COLOR"] = "1"
    app = BptuiApp.from_document(doc, source)
    app.run()
    if app.load_error is not None:
        print(f"error: {app.load_error}", file=sys.stderr)
        return 2
    return app.return_code or 0

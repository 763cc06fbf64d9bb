"""The network screen: a status block, the equation of the last step, a panel per layer, the side
panel that explains the cell under the cursor, and the keys that step, edit, train and check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.widgets import Static

from ..core.formulas.notation import count, num, sup, vec
from . import messages
from .footer import SteadyFooter
from .prompt import Prompt
from .sheet import LayerPanels, LayerSheet, panels
from .stepping import MessageLine, SteppingScreen, TextLine

if TYPE_CHECKING:
    from ..core.teaching.explain import Cell
    from ..core.formats.spec import NetworkSpec
    from ..core.engine.stepper import Stepper

# the core's equations, the explanations and the dialogs are imported inside the methods that use
# them (after the first use an import is a dictionary look-up)

NETWORK_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("n,space", "next", "Next", id="next", tooltip="One step forward"),
    Binding("p", "prev", "Prev", id="prev", tooltip="One step back, exact values restored"),
    Binding("left", "prev", "Prev", id="prev-arrow", show=False),
    Binding("right", "next", "Next", id="next-arrow", show=False),
    Binding("f", "to_loss", "Loss", id="forward-pass", tooltip="To the end of this forward pass (the loss)"),
    Binding("b", "to_backward_end", "Backprop", id="backward-pass", tooltip="To the end of this backward pass"),
    Binding("u", "to_update", "Update", id="update", tooltip="Through the next update"),
    Binding("e", "to_epoch_end", "Epoch", id="epoch", tooltip="To the end of the epoch"),
    Binding("question_mark", "help", "Help", id="help", tooltip="Notation and keys"),
    Binding("q", "app.quit", "Quit", id="quit"),
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
    Binding("s", "settings", "Settings", id="settings", show=False,
            tooltip="Learning rate, optimizer, loss, layers, activations, data: change them and restart"),
    Binding("z", "toggle_quiz", "Quiz", id="quiz", tooltip="Quiz mode: type each step's value before it is shown"),
    Binding("m", "toggle_map", "Map", id="input-map", show=False,
            tooltip="The decision map (two inputs) or the fit (one input) beside the panels, redrawn after each update"),
    Binding("escape", "leave_panel", "", show=False),
    Binding("left_square_bracket", "scroll_panel(-8)", "", show=False),
    Binding("right_square_bracket", "scroll_panel(8)", "", show=False),
]


class NetworkScreen(SteppingScreen):
    """Step through backpropagation on one network (the app's ``spec`` and ``stepper``)."""

    QUIZ_INTRO = ("Quiz mode: n asks for the next step's value (the cell under the cursor, if it is "
                  "one the step makes). z again ends the quiz.")
    COMMANDS = {lambda: _settings_commands()}  # the settings' entries in the command palette (ctrl+p)
    AUTO_FOCUS = ""  # arrows step until Tab (or a click) puts the cursor in a panel
    BINDINGS = NETWORK_BINDINGS

    cell: var[tuple | None] = var(None, init=False)
    """The panel cell under the cursor, (quantity, layer, index, column); None: no panel has focus."""

    stepper: Stepper

    def __init__(self, spec: NetworkSpec, stepper: Stepper) -> None:
        super().__init__(stepper)
        self.spec = spec
        self._followed: int | None = None  # the layer last scrolled into view
        self._side_map: Any = None  # the map beside the panels (m), made the first time it is shown
        self._map_weights: list | None = None  # the weights it shows (copies)

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from .net_diagrams import NetworkDiagrams
        from .view import layer_views

        yield TextLine(id="status")
        with VerticalScroll(id="equation-box", can_focus=False):
            yield TextLine(id="equation")
        yield MessageLine(id="message")
        with Horizontal(id="main"):
            with LayerPanels(id="layers"):
                if self.spec.lengths is not None:  # a recurrent network: each layer unrolled in time
                    from .seq_sheet import panels as seq_panels

                    yield from seq_panels(self.stepper, self.digits)
                elif self.spec.is_v2:  # feature maps: the input and each map layer in a MapSheet
                    from .map_sheet import panels as map_panels

                    yield from map_panels(self.stepper, self.digits, bind=SteppingScreen.digits)
                else:
                    yield from panels(layer_views(self.stepper), self.digits, bind=SteppingScreen.digits)
            yield NetworkDiagrams(self.stepper, id="diagrams")
            yield Static(id="explain", markup=False)
        yield SteadyFooter(show_command_palette=False, compact=True)  # room for the keys; ctrl+p still works

    # -- what the screen shows --------------------------------------------------------------------
    def status_text(self) -> str:
        from ..core.engine.equations import symbol

        spec, stepper, digits = self.spec, self.stepper, self.digits
        at = stepper.where()
        shape = "-".join(str(w) for w in spec.widths)
        if at.phase == "update":
            example_text = f"updating the weights {at.follows.text()}"
        else:
            example_text = f"{at.example_text()}: x = {vec(at.x, digits)}, y = {vec(at.y, digits)}"
        o0 = stepper.state.o[0]
        if spec.lengths is not None:
            o0_text = ""
        elif o0 is None:  # nothing on the board yet: the next example's
            o0_text = f"o{sup(0)} = [1, x] = {vec([1.0, *at.x], digits)}"
        else:
            o0_text = f"o{sup(0)} = [1, x] = {vec(o0, digits)}"
        if spec.input_shape:  # an image: its map is the panel o⁽⁰⁾ = x
            shape = " → ".join(["×".join(map(str, spec.input_shape))] + [k.describe() for k in spec.layer_kinds])
            if at.phase != "update":
                example_text = f"{at.example_text()} (the panel o{sup(0)} = x), y = {vec(at.y, digits)}"
            o0_text = f"o{sup(0)} = x, a {'×'.join(map(str, spec.input_shape))} map"
        if spec.lengths is not None:  # a sequence: its length and rows (tui/seq_sheet.py)
            from .seq_sheet import status_lines

            shape = " → ".join([str(spec.widths[0])] + [k.describe() for k in spec.layer_kinds])
            seq_example, o0_text = status_lines(stepper, digits)
            if at.phase != "update":
                example_text = seq_example
        loss = stepper.state.loss
        loss_text = "" if loss is None or at.phase == "update" else f"ℓ{sup(at.example)} = {num(loss, digits)} · "
        asking_loss = self.asked is not None and self.asked.quantity == "loss"
        if asking_loss:
            loss_text = f"ℓ{sup(at.example)} = ? · "
        from ..core.formats.settings import data_label

        label = data_label(spec, getattr(self.app, "file_data", None))  # data the settings chose
        data_text = "" if label is None else f" · {label}"
        score = self.score
        quiz_text = "" if score is None else f" · quiz {score.right} of {score.asked} right"
        return (
            f"{spec.name}{data_text} · {shape} · {spec.loss} loss · {self._update_text()} · η = {num(spec.learning_rate)}\n"
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

    def step_symbol(self, key: Any) -> str:
        from ..core.engine.equations import symbol

        return symbol(key)

    def step_equation(self, step: Any) -> str:
        from ..core.engine.equations import step_equation

        return step_equation(self.stepper, step, self.digits, self._cursor_position(step))

    def _cursor_position(self, step: Any) -> tuple[int, ...] | None:
        """Where a map step's scalar form is worked out: the cursor's cell when it is one of the values
        the step made (a position of the map, or a kernel weight of a conv G), else the first."""
        cell, key = self.cell, step.key
        if cell is None or not self.spec.is_v2 or cell[1] != key.layer or cell[0] != key.quantity:
            return None
        if isinstance(cell[2], tuple):
            return tuple(cell[2])
        kind = self.spec.layer_kinds[key.layer - 1]
        if key.quantity == "G" and kind.type == "conv2d" and cell[3]:  # (k, c, u, v) of kernel column a
            import numpy as np

            c, u, v = np.unravel_index(cell[3] - 1, (kind.in_shape[0],) + kind.kernel)
            return (int(cell[2]), int(c), int(u), int(v))
        return None

    def equation_text(self) -> str:
        """Right after an edit, the edit itself (no step since is on the board); else the last step's."""
        if self.stepper.last is None and self.stepper.floor_edits and self.asked is None:
            return "; ".join(edit.equation(self.digits) for edit in self.stepper.floor_edits)
        return super().equation_text()

    def _show_equation(self, text: str) -> None:
        """Three lines, cut with a pointer to x when longer; the whole of it when x is on."""
        box = self.query_one("#equation-box")
        widget = self.query_one("#equation", TextLine)
        if box.has_class("whole"):
            widget.show(text)
            return
        # before the first layout the line has no width yet: the screen's (it spans the screen)
        width = max(widget.content_region.width or self.app.size.width - 2, 20)
        lines = 0
        for line in text.split("\n"):
            lines += -(-max(cell_len(line), 1) // width)
        if lines > 3:
            keep = 3 * width - 24
            text = text[:keep] + " … (x: the whole equation)"
        widget.update(text, layout=False)

    def action_whole_equation(self) -> None:
        box = self.query_one("#equation-box")
        box.toggle_class("whole")
        self._show_equation(self.equation_text())
        self.say("The whole equation; x again for three lines." if box.has_class("whole") else "")

    def redraw(self) -> None:
        """The one place the board is drawn: the watcher of ``board`` calls it."""
        from .net_diagrams import NetworkDiagrams
        from .view import layer_views

        with self.app.batch_update():
            self.query_one("#status", TextLine).show(self.status_text())
            self._show_equation(self.equation_text())
            hidden = None
            if self.asked is not None:
                from .explain import panel_cell

                hidden = panel_cell(self.stepper, self.asked)
            if self.spec.lengths is not None:
                from .seq_sheet import refresh_panels as seq_refresh

                seq_refresh(self, hidden)
            elif self.spec.is_v2:
                from .map_sheet import refresh_panels

                refresh_panels(self, hidden)
            else:
                for view in layer_views(self.stepper):
                    self.query_one(f"#layer-{view.layer}", LayerSheet).show(view, hidden)
            self.query_one(NetworkDiagrams).refresh_from(self.digits, self.asked)
            if self._side_map is not None and self._side_map.display:
                self._refresh_map()
            last = self.stepper.last
            if last is not None and last.key.layer is not None and last.key.layer != self._followed:
                # keep the layer the step works on in view (deep networks have more than a screen)
                self.query_one(f"#layer-{last.key.layer}").scroll_visible(animate=False)
                self._followed = last.key.layer
            self.show_explanation()

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.quizzing:
            self.ask_next()
            return
        self._move(self.stepper.forward)

    def action_to_loss(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "loss"))

    def action_to_backward_end(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "backward" and s.key.layer == 1
                                                  and s.key.quantity == "G" and s.key.time in (None, 1)))

    def action_to_update(self) -> None:
        L = self.spec.L
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "update" and s.key.layer == L))

    def action_to_epoch_end(self) -> None:
        n = len(self.stepper.schedule)
        self._move(lambda: self.stepper.run_until(lambda s: s.key.step % n == 0))

    def action_reset(self) -> None:
        for sheet in self.query(LayerSheet):  # Tab opens on the first cell again
            sheet.home()
        self._move(self.stepper.reset, rebuilt=True)
        self.app_state.trained_epochs = 0
        self.say(f"Reset to {self.stepper.base_origin.reset_target()}.")

    def action_prev(self) -> None:
        stepper = self.stepper
        if stepper.position == stepper.floor and stepper.floor_edits:
            at = stepper.where()
            names = list(dict.fromkeys(edit.name for edit in stepper.floor_edits))
            were = "was" if len(names) == 1 else "were"
            self.say(f"Cannot go further back: {', '.join(names)} {were} edited here (step {at.step_in_epoch} of "
                     f"epoch {at.epoch}), and the steps before were computed with the old "
                     f"value{'s' if len(names) > 1 else ''}. r returns to {stepper.base_origin.reset_target()}.")
            return
        super().action_prev()

    @property
    def app_state(self) -> Any:
        """The app, which keeps what outlives a screen: the epochs trained since the file's weights."""
        return self.app

    # -- training and the gradient check (screens in training.py and gradcheck.py) ---------------
    def action_train(self) -> None:
        from .training import TrainScreen, epochs_prompt

        trained = self.app_state.trained_epochs
        note = f"From the weights on screen, after {count(trained, 'epoch')} trained." if trained else "From the weights on screen."

        def start(epochs: object | None) -> None:
            if epochs is None:
                self.say("Training cancelled.")
                return
            assert isinstance(epochs, int)
            opt = self.stepper.state.opt[1:]
            state = self.app_state
            self.app.push_screen(TrainScreen(self.spec, epochs, self.stepper.weights, opt, state.trained_epochs + 1,
                                             on_done=self.trained, speed=state.train_speed,
                                             on_speed=lambda speed: setattr(state, "train_speed", speed)))

        self.app.push_screen(epochs_prompt(self.spec.epochs, note), start)

    def trained(self, result: Any) -> None:
        """Training ended (finished or stopped): the stepper starts again from its weights."""
        from ..core.engine.stepper import Origin

        state = self.app_state
        state.trained_epochs += result.epochs_done
        origin = Origin("trained", self.spec.source, epochs=result.epochs_done, total=state.trained_epochs,
                        optimizer=self.spec.optimizer)
        self._move(lambda: self.stepper.reset(weights=result.weights, opt=result.opt, origin=origin), rebuilt=True)
        how = "stopped after" if result.cancelled else "after"
        base = self.stepper.base_origin
        since = "the settings were applied" if base.kind == "settings" else "the file's"
        self.say(f"Stepping from the trained weights ({how} {count(result.epochs_done, 'epoch')}; "
                 f"{state.trained_epochs} since {since}). r returns to {base.reset_target()}.")

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
        self.app.push_screen(GradCheckScreen(self.spec, stepper.weights, where, examples))

    NARROW = 110  # below this many columns the side panel goes under the layer panels
    SIDE = {"#explain": 45, "#side-map": 36}  # their widths beside the panels, percent (app.tcss)
    PANELS_BELOW_MAP = 6 + 14  # rows the panels and the map need one under the other (app.tcss)

    def on_resize(self) -> None:
        self.place_side()

    def place_side(self) -> None:
        """The side panel and the map beside the layer panels when these keep their minimum width
        (every number whole), else under them; on a terminal too low for the panels and the map
        one under the other, the map in the panels' place."""
        main = self.query_one("#main")
        width, height = self.size.width, main.size.height or self.size.height - 10
        shown = [name for name in self.SIDE if (w := self.query(name)) and w.first().display]
        need = max((panel.min_width() for panel in self.query_one("#layers").children
                    if hasattr(panel, "min_width")), default=0)
        room = width * (100 - sum(self.SIDE[name] for name in shown)) // 100
        narrow = width < self.NARROW or room < need
        map_only = narrow and "#side-map" in shown and height < self.PANELS_BELOW_MAP
        with self.app.batch_update():
            main.set_class(narrow, "narrow")
            from .net_diagrams import NetworkDiagrams

            diagram = self.query_one(NetworkDiagrams).mode is not None
            self.query_one("#layers").display = not (diagram or map_only)
            if map_only != main.has_class("map-only"):
                main.set_class(map_only, "map-only")
                if map_only:
                    self.say("The map is in the panels' place: the terminal is too small for both "
                             "(enlarge it, or m again for the panels).")

    # -- cells: explain, edit, save ------------------------------------------------------------------
    @on(messages.CursorMoved)
    def cursor_moved(self, message: messages.CursorMoved) -> None:
        self.cell = message.cell

    def watch_cell(self) -> None:
        if self.spec.is_v2:  # the receptive field of the cell under the cursor, and its scalar form
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

    @on(messages.EditRequested)
    def edit_requested(self, message: messages.EditRequested) -> None:
        quantity, l, row, col = message.cell
        if quantity != "W":
            self.say(f"Only weights can be edited: move the cursor to a W{sup(l)} cell.")
            return
        if self.question is not None:  # the question is about a step an edit could take off the board
            self.say("Answer the question first (Esc skips it); then edit the weight.")
            return
        from .explain import to_cell

        current = float(self.stepper.state.W[l][row, col])
        name = to_cell(self.stepper, ("W", l, row, col)).symbol()  # w₁,₀⁽²⁾ (u for U), as the side panel writes it

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
            edits = []
            self._move(lambda: edits.append(self.stepper.edit_weight(l, row, col, value)), rebuilt=True)
            self.say(edits[0].text(self.digits))

        self.app.push_screen(Prompt(f"New value of {name} (now {num(current, 8)}):", repr(current)), done)

    def action_save(self) -> None:
        from . import saving  # served: off, or confined to the operator's folder

        if (refused := saving.refusal()) is not None:
            self.say(refused)
            return
        default = f"{self.spec.name}-edited.json"

        def done(path: object | None) -> None:
            if not isinstance(path, str) or not path:
                return
            if isinstance(target := saving.target(path), str):
                self.say(target)
                return
            from ..core.util.errors import SpecError
            from ..core.util.files import write_text_atomic
            from ..core.util.jsonfmt import network_text

            spec = self.spec.with_weights(self.stepper.weights)
            try:
                existed = target.exists()
                # laid out like the bundled files, written to a temporary name and renamed into place;
                # a read-only file, a hard link, a folder or a pipe nobody reads is refused (core/util/files.py)
                write_text_atomic(target, network_text(spec.to_json()), hint=None)
            except SpecError as err:
                self.say(f"Could not save: {err}.")
                return
            except (OSError, ValueError) as err:  # ValueError: a NUL in the name
                self.say(f"Could not save {path}: {getattr(err, 'strerror', None) or err}.")
                return
            what = "Replaced" if existed else "Saved the network with its current weights to"
            self.say(f"{what} {path}.")

        self.app.push_screen(Prompt("Save the network (weights included) to:", default,
                                    "Enter saves (a file of that name is replaced) · Esc cancels"), done)

    # -- the settings screen (s; its arithmetic in core/formats/settings.py) -------------------------------------
    def action_settings(self, section: str = "") -> None:
        from .settings import SettingsScreen

        app = self.app_state
        if app.file_data is None:  # the data of the file the app opened: "the file's data" in the dialog
            app.file_data = self.spec.raw.get("data", {})
        self.app.push_screen(SettingsScreen(self.spec, self.stepper.weights, app.file_data, section),
                             self.settings_applied)

    def settings_applied(self, applied: Any) -> None:
        """The dialog's result: None (cancelled), or the new setup, which starts at step 0 from the
        weights on screen as changed; the screen is composed again (its panels follow the new widths)."""
        if applied is None:
            self.say("Settings unchanged.")
            return
        if not applied.changes:  # applied as they were: no restart
            self.say("Nothing changed; the stepper stays where it was.")
            return
        self.call_next(self._restart, applied)

    async def _restart(self, applied: Any) -> None:
        from ..core.engine.stepper import Stepper

        if self.quizzing:  # the quiz's question was about the old network
            self.action_toggle_quiz()
        stepper = Stepper(applied.spec, origin=applied.origin())
        app = self.app_state
        app.spec, app.stepper, app.trained_epochs = applied.spec, stepper, 0
        self.spec, self.stepper, self._followed = applied.spec, stepper, None
        self.set_reactive(NetworkScreen.cell, None)
        self.set_reactive(SteppingScreen.position, 0)
        map_shown = self._side_map is not None and self._side_map.display
        self._side_map, self._map_weights = None, None  # recomposing removes it; it follows the new data
        await self.recompose()
        self.on_resize()
        self.redraw()
        if map_shown and not applied.spec.is_v2 and applied.spec.widths[0] <= 2:
            self.action_toggle_map()
        self.say(applied.message())

    # -- quiz mode (the answer line in quizmode.py) ------------------------------------------------------
    def quiz_cell(self, step: Any) -> Cell | None:
        """The cell under the cursor, if the step makes it."""
        from ..core.teaching.quiz import candidates
        from .explain import to_cell

        wanted = to_cell(self.stepper, self.cell) if self.cell is not None else None
        return wanted if wanted is not None and wanted in candidates(self.spec, step.key) else None

    def action_help(self) -> None:
        from .help import HelpScreen, help_text

        self.app.push_screen(HelpScreen(help_text(self.spec)))

    def action_diagram(self, mode: str) -> None:
        """c, d: a diagram of the network in place of the layer panels, and back."""
        from .net_diagrams import NetworkDiagrams

        self.query_one(NetworkDiagrams).toggle(mode, self.digits)
        self.place_side()

    # -- the map beside the panels (m) -----------------------------------------------------------
    def action_toggle_map(self) -> None:
        """The network's output over its inputs beside the panels (the decision map for two
        inputs, the fit for one), or away again."""
        spec = self.spec
        if spec.is_v2 or spec.widths[0] > 2:
            self.say(f"The map needs one or two inputs; {spec.name} has d{sup(0)} = {spec.widths[0]}.")
            return
        if self._side_map is None:
            from .plots import input_plot

            self._side_map = input_plot(spec, id="side-map")
            self.query_one("#main").mount(self._side_map, before=self.query_one("#explain"))
        else:
            self._side_map.display = not self._side_map.display
        self._map_weights = None
        self.place_side()
        if self._side_map.display:
            self._refresh_map()
            small = ("The map is in the panels' place: the terminal is too small for both (enlarge it). "
                     if self.query_one("#main").has_class("map-only") else "")
            self.say(small + "The map follows the weights: it is redrawn after each update. m again hides it.")
        else:
            self.say("")

    def _refresh_map(self) -> None:
        """Redraw the map when the weights on the board are not the ones it shows (an update, an
        edit, a reset, training); other steps cost one comparison of the weights."""
        import numpy as np

        weights = self.stepper.weights
        shown = self._map_weights
        if shown is not None and all(np.array_equal(a, b) for a, b in zip(shown, weights)):
            return
        self._map_weights = [np.array(w) for w in weights]
        self._side_map.show(self._map_weights)

    def action_scroll_panel(self, dx: int) -> None:
        focused = self.focused
        if isinstance(focused, ScrollView):
            focused.scroll_relative(x=dx, animate=False)


def _settings_commands() -> Any:
    """The settings screen's command provider, imported when the palette opens."""
    from .settings import SettingsCommands

    return SettingsCommands

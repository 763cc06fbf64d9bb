"""``bptui FILE``: the stepper on screen, one step per keypress."""

from __future__ import annotations

import os

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ..core.equations import equation, symbol
from ..core.notation import num, sup, vec
from ..core.schedule import BACKWARD, LOSS, UPDATE
from ..core.spec import NetworkSpec
from ..core.stepper import Stepper
from .sheet import LayerSheet
from .view import layer_views

MIN_DIGITS, MAX_DIGITS = 1, 8


class BptuiApp(App[None]):
    """Step through backpropagation on one network."""

    TITLE = "bptui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("n,right,space", "next", "Next", id="next", priority=True, tooltip="One step forward"),
        Binding("p,left", "prev", "Prev", id="prev", priority=True, tooltip="One step back, exact values restored"),
        Binding("f", "to_loss", "Forward pass", id="forward-pass", tooltip="To the end of this forward pass (the loss)"),
        Binding("b", "to_backward_end", "Backward pass", id="backward-pass", tooltip="To the end of this backward pass"),
        Binding("u", "to_update", "Update", id="update", tooltip="Through the next update"),
        Binding("e", "to_epoch_end", "Epoch", id="epoch", tooltip="To the end of the epoch"),
        Binding("r", "reset", "Reset", id="reset", tooltip="Back to the file's weights"),
        Binding("t", "train", "Train", id="train", tooltip="Train for some epochs in the background, then step on"),
        Binding("g", "gradient_check", "Check", id="gradient-check",
                tooltip="Every weight's backprop gradient against a finite difference"),
        Binding("plus,equals_sign", "digits(1)", "+digits", id="more-digits", show=False),
        Binding("minus", "digits(-1)", "−digits", id="fewer-digits", show=False),
        Binding("question_mark", "help", "Help", id="help", tooltip="Notation and keys"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("left_square_bracket", "scroll_panel(-8)", "", show=False),
        Binding("right_square_bracket", "scroll_panel(8)", "", show=False),
    ]

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        self.stepper = Stepper(spec)
        self.digits = 4
        self.trained_epochs = 0  # epochs trained with `t` since the file's weights

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        yield Static(id="equation", markup=False)
        yield Static(id="message", markup=False)
        with VerticalScroll(id="layers", can_focus=False):
            widest = max(w.shape[1] for w in self.spec.weights)
            for view in layer_views(self.stepper):
                yield LayerSheet(view, self.digits, widest, id=f"layer-{view.layer}")
        yield Footer(show_command_palette=False)  # room for the keys; ctrl+p still opens it

    def on_mount(self) -> None:
        self.title = f"bptui · {self.spec.name}"
        self.refresh_view()

    # -- what the screen shows --------------------------------------------------------------------
    def status_text(self) -> str:
        spec, stepper = self.spec, self.stepper
        sch = stepper.schedule
        last = stepper.last
        key = last.key if last is not None else stepper.next_key
        pos_in_epoch = stepper.position - sch.epoch_start(max(stepper.position - 1, 0)) if last else 0
        shape = "-".join(str(w) for w in spec.widths)
        example = key.example
        if example is None:  # an update step: say which examples it follows
            example_text = f"updating the weights after example {sch.key(stepper.position - 1 - key.layer).example}"
        else:
            example_text = (f"example {example} of {spec.N}: x = {vec(spec.inputs[example - 1], self.digits)}, "
                            f"y = {vec(spec.targets[example - 1], self.digits)}")
        phase = last.key.phase if last else "start"
        o0 = stepper.state.o[0]
        if o0 is None:
            o0_text = f"o{sup(0)} = [1, x⁽¹⁾] = {vec([1.0, *spec.inputs[0]], self.digits)}"
        else:
            o0_text = f"o{sup(0)} = [1, x] = {vec(o0, self.digits)}"
        loss = stepper.state.loss
        loss_text = "" if loss is None or example is None else f"ℓ{sup(example)} = {num(loss, self.digits)} · "
        return (
            f"{spec.name} · {shape} · {spec.loss} loss · {spec.update} · η = {num(spec.learning_rate)}\n"
            f"epoch {key.epoch} · {example_text} · step {pos_in_epoch} of {len(sch)} · {phase} · "
            f"{loss_text}ℓ_D so far = {num(stepper.state.loss_D, self.digits)}\n"
            f"{o0_text} · next: {symbol(stepper.next_key)} ({stepper.next_key.phase})"
        )

    def equation_text(self) -> str:
        last = self.stepper.last
        if last is None:
            nxt = self.stepper.next_key
            return (f"Press n, → or space to compute {symbol(nxt)}, the first step. "
                    "? explains the notation and the keys.")
        return equation(self.stepper.net, self.stepper.state, last, self.digits,
                        lr=self.spec.learning_rate, l2=self.spec.l2)

    def _set_text(self, widget: Static, text: str) -> None:
        """Update a text line; ask for a new layout only when its height may change."""
        width = max(widget.content_region.width, 1)
        lines = sum(-(-max(cell_len(line), 1) // width) for line in text.split("\n"))
        widget.update(text, layout=lines != getattr(widget, "_bptui_lines", None))
        widget._bptui_lines = lines

    def refresh_view(self) -> None:
        with self.batch_update():
            self._set_text(self.query_one("#status", Static), self.status_text())
            self._set_text(self.query_one("#equation", Static), self.equation_text())
            for view in layer_views(self.stepper):
                self.query_one(f"#layer-{view.layer}", LayerSheet).show(view, self.digits)

    def say(self, text: str) -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(bool(text), "visible")

    # -- actions ----------------------------------------------------------------------------------
    def _move(self, move) -> None:
        self.say("")
        try:
            move()
        except FloatingPointError as err:  # pragma: no cover - numpy is set to warn, not raise
            self.say(f"numerical problem: {err}")
        self.refresh_view()

    def action_next(self) -> None:
        self._move(self.stepper.forward)

    def action_prev(self) -> None:
        if self.stepper.position == 0:
            self.say("Already at the first step.")
            return
        self._move(self.stepper.back)

    def action_to_loss(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == LOSS))

    def action_to_backward_end(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == BACKWARD and s.key.layer == 1
                                                  and s.key.quantity == "G"))

    def action_to_update(self) -> None:
        L = self.spec.L
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == UPDATE and s.key.layer == L))

    def action_to_epoch_end(self) -> None:
        n = len(self.stepper.schedule)
        self._move(lambda: self.stepper.run_until(lambda s: s.key.step % n == 0))

    def action_reset(self) -> None:
        self._move(self.stepper.reset)
        self.trained_epochs = 0
        self.say("Reset to the file's weights.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys of the stepper work on the main screen only; on a dialog they reach its widgets."""
        if len(self.screen_stack) > 1 and action in {"next", "prev", "train", "gradient_check"}:
            return False
        return True

    # -- training and the gradient check (screens in training.py and gradcheck.py) ---------------
    def action_train(self) -> None:
        from .training import EpochsPrompt, TrainScreen

        note = (f"From the weights on screen, after {self.trained_epochs} epochs trained."
                if self.trained_epochs else "From the weights on screen.")

        def start(epochs: int | None) -> None:
            if epochs is None:
                self.say("Training cancelled.")
                return
            opt = self.stepper.state.opt[1:]
            self.push_screen(TrainScreen(self.spec, epochs, self.stepper.weights, opt,
                                         self.trained_epochs + 1, on_done=self._trained))

        self.push_screen(EpochsPrompt(self.spec.epochs, note), start)

    def _trained(self, result) -> None:
        """Training ended (finished or stopped): the stepper starts again from its weights."""
        self.trained_epochs += result.epochs_done
        self.stepper.reset(weights=result.weights, opt=result.opt)
        self.refresh_view()
        how = "stopped after" if result.cancelled else "after"
        self.say(f"Stepping from the trained weights ({how} {result.epochs_done} epochs; "
                 f"{self.trained_epochs} since the file's). r resets to the file's weights.")

    def action_gradient_check(self) -> None:
        from .gradcheck import GradCheckScreen

        where = "the file's weights" if self.trained_epochs == 0 and self.stepper.position == 0 else \
            f"the weights on screen (step {self.stepper.position})"
        self.push_screen(GradCheckScreen(self.spec, self.stepper.weights, where))

    def action_digits(self, change: int) -> None:
        self.digits = min(MAX_DIGITS, max(MIN_DIGITS, self.digits + change))
        self.refresh_view()

    def action_help(self) -> None:
        from .help import HelpScreen

        self.push_screen(HelpScreen())

    def action_scroll_panel(self, dx: int) -> None:
        focused = self.focused
        if isinstance(focused, LayerSheet):
            focused.scroll_relative(x=dx, animate=False)


def run(spec: NetworkSpec, no_color: bool = False) -> int:
    if no_color:
        os.environ["NO_COLOR"] = "1"
    BptuiApp(spec).run()
    return 0

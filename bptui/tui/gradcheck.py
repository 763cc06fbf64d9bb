"""The gradient check on screen: every weight's backprop gradient next to its central finite
difference, worst relative error first, flagged ✗ where |g − fd| > atol + rtol·|fd| (core/teaching/check.py).

The check runs in a worker thread (it costs two evaluations of ℓ_D per weight, in extended
precision), and networks with more than ``MAX_WEIGHTS`` weights are not checked here: the note
points to ``bptui check FILE``, which checks them all.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import DataTable, ProgressBar, Static
from textual.worker import get_current_worker

from rich.console import JustifyMethod
from rich.text import Text

from ..core.teaching.check import WeightCheck, gradient_check, of_the_mean, rule_text, verdict
from ..core.formulas.notation import count, fmt
from ..core.formats.spec import NetworkSpec
from .guard import GuardedPump
from .view_names import view_names

MAX_WEIGHTS = 5000
PROGRESS_EVERY = 0.1  # seconds between two redraws of the bar while the check runs


class _Cancelled(Exception):
    """Esc closed the screen: the worker stops checking at the next weight."""


def weight_name(c: WeightCheck, spec: NetworkSpec, stepper: Any = None) -> str:
    """The weight as its panel names it (its layer kind's ``weight_sym``: w_b,a⁽ˡ⁾, a = 0 the bias; a
    kernel's w_k,c,u,v⁽ˡ⁾ and b_k⁽ˡ⁾; u_b,c⁽ˡ⁾ in a recurrent layer's U); with the ``stepper``, in its
    notation, by the namer the quiz and the panels name a cell with (ng's b₁^[1] for w₁,₀⁽¹⁾)."""
    if stepper is not None and profile_of(stepper) is not None:
        from ..core.engine.explain import Cell
        from ..core.teaching.quiz import cell_symbol

        return cell_symbol(stepper, Cell("W", c.layer, c.row, c.col, kind=spec.layer_kinds[c.layer - 1]))
    from ..core.engine.stepper import weight_name as name

    return name(c.layer, c.row - 1, c.col, spec.layer_kinds[c.layer - 1])


def profile_of(stepper: Any) -> Any:
    """The stepper's notation profile, None for the lecture's."""
    P = getattr(stepper, "notation", None)
    return None if P is None or P.name == "lecture13" else P


def _sci(x: float) -> str:
    """A gradient with 7 significant digits by the one number rule (the real minus, no zero-padded exponent:
    ``−2.14676e−5``), a space where a positive number has no sign; ∞, −∞, nan as such. Its column is
    left-aligned (:data:`LINED_UP`), so that the decimal points line up whatever the exponent's length."""
    from .view import nonfinite_text

    special = nonfinite_text(float(x))
    if special is not None:
        return special if special.startswith("−") else " " + special
    return fmt(x, " .6e")


LINED_UP: JustifyMethod = "left"  # the numbers' columns: padded after the number, the points in one place (the exponents' lengths vary)


def _error_text(x: float) -> str:
    from .view import nonfinite_text

    special = nonfinite_text(float(x))
    return special if special is not None else fmt(x, ".2e")


def _sorted(checks: list[WeightCheck]) -> list[WeightCheck]:
    """Failures first, then worst relative error first; ties in the order of the weights (layer, row,
    column), so the table is stable."""
    return sorted(checks, key=lambda c: (c.ok, -c.rel_error))


def summary(checks: list[WeightCheck], where: str, notation: Any = None) -> str:
    loss = view_names(notation).loss_D
    v = verdict(checks)
    bad = f"{v.failed} weight{'s' if v.failed != 1 else ''} fail ✗"
    if v.nonfinite:
        bad += f" ({v.nonfinite} not finite)"
    return (f"{'all pass ✓' if v.ok else bad} · {count(len(checks), 'weight')}, at {where} · worst relative error "
            f"{_error_text(v.worst)}\n"  # the verdict first: where the line wraps, it stays with its words
            f"finite difference ({loss}(w+h) − {loss}(w−h)) / 2h in extended precision\n"
            f"✓ when {rule_text(loss)}\n"  # the words of `bptui check` (its --notation too)
            "relative error |a−b| / max(|a|, |b|, 1e−8); failures first, then the worst")


class GradCheckScreen(GuardedPump, ModalScreen[None]):
    """``g``: the finite-difference check of every weight's gradient."""

    BINDINGS = [Binding("escape,g,q", "dismiss", "Close", id="close-check")]
    DEFAULT_CSS = """
    GradCheckScreen { align: center middle; }
    GradCheckScreen > Vertical {
        width: 110; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    GradCheckScreen #check-summary { height: auto; }
    GradCheckScreen #check-table { height: auto; max-height: 100%; }
    GradCheckScreen #check-progress { height: 1; margin: 1 0; }
    """

    def __init__(self, spec: NetworkSpec, weights, where: str = "the weights on screen",
                 examples: list[int] | None = None, epoch: int = 1, stepper: Any = None) -> None:
        super().__init__()
        self.stepper = stepper  # names the weights in its notation (None: the lecture's)
        self.notation = profile_of(stepper)
        self.names = view_names(self.notation)
        self.epoch = epoch  # the epoch on the board: a dropout layer's masks are its
        self.spec = spec
        self.weights = [w.copy() for w in weights]
        self.examples = examples  # 0-based examples whose ℓ is differentiated (default: all)
        self.where = where
        self.n_weights = sum(w.size for w in self.weights)
        self.checks: list[WeightCheck] | None = None
        self.checked = 0  # weights checked so far (the worker writes it, the bar's timer reads it)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Gradient check · {escape(self.spec.name)} · Esc closes"  # a title is markup
            yield Static(f"Checking {count(self.n_weights, 'weight')} ({2 * self.n_weights} evaluations of {self.names.loss_D})…",
                         id="check-summary", markup=False)
            yield ProgressBar(total=max(self.n_weights, 1), show_eta=True, id="check-progress")
            yield DataTable(id="check-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.display = False
        table.add_column("layer", key="layer")
        table.add_column("weight", key="weight")
        table.add_column(f"backprop {self.names.d_loss_d_w}", key="backprop")
        table.add_column("finite difference", key="numeric")
        table.add_column("relative error", key="error")
        table.add_column("", key="flag")
        if self.n_weights > MAX_WEIGHTS:
            self.query_one(ProgressBar).display = False
            self.query_one("#check-summary", Static).update(
                f"{self.n_weights:,} weights is more than this screen checks ({MAX_WEIGHTS:,}): it would take "
                f"{2 * self.n_weights:,} evaluations of {self.names.loss_D}.\nRun `bptui check {self.spec.source or 'FILE'}` "
                "in a shell to check them all.")
            return
        self._bar_timer = self.set_interval(PROGRESS_EVERY, self._show_progress)
        self.run_check()

    def _show_progress(self) -> None:
        self.query_one(ProgressBar).update(progress=self.checked)

    @work(thread=True, exclusive=True, group="gradcheck", exit_on_error=False)
    def run_check(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            self.checked = done
            if worker.is_cancelled:
                raise _Cancelled

        try:
            checks = gradient_check(self.spec, self.weights, examples=self.examples, epoch=self.epoch,
                                    progress=progress)
        except _Cancelled:
            return
        if self.notation is not None and self.notation.mean:  # ∂J/∂w of the mean over the examples checked
            checks = of_the_mean(checks, len(self.examples) if self.examples is not None else self.spec.N)
        if not worker.is_cancelled:
            try:
                self.app.call_from_thread(self.show_checks, checks)
            except RuntimeError:  # pragma: no cover - the app quit meanwhile
                pass

    def show_checks(self, checks: list[WeightCheck]) -> None:
        self.checks = _sorted(checks)
        table = self.query_one(DataTable)
        P = self.notation
        for c in self.checks:
            bad = not c.ok
            bias = c.col == 0 and (P is None or not P.separate_bias)  # a separate bias is named b: no word needed
            style = "bold red" if bad else ""
            table.add_row(
                f"{c.layer if P is None else P.layer_number(c.layer)}",
                weight_name(c, self.spec, self.stepper) + (" (bias)" if bias else ""),
                Text(_sci(c.backprop), justify=LINED_UP), Text(_sci(c.numeric), justify=LINED_UP),
                Text(_error_text(c.rel_error), style=style, justify=LINED_UP),
                Text("✗" if bad else "✓", style="bold red" if bad else "green"),
            )
        self._bar_timer.stop()
        self.query_one(ProgressBar).display = False
        table.display = True
        table.focus()
        self.query_one("#check-summary", Static).update(summary(self.checks, self.where, self.notation))

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.group == "gradcheck" and event.state == WorkerState.ERROR:
            from .guard import describe

            self._bar_timer.stop()
            self.query_one(ProgressBar).display = False
            self.query_one("#check-summary", Static).update(
                f"The gradient check failed: {describe(event.worker.error)}. Esc closes.")

    async def action_dismiss(self, result: None = None) -> None:
        self.workers.cancel_group(self, "gradcheck")
        self.dismiss(None)


"""Training inside the TUI: the epochs prompt and the training screen (progress, loss curve,
decision boundary, gradients per layer), trained in a background thread.

The worker calls the core's ``train`` with the stepper's weights and optimizer state; it hands the
UI a copy of the state at most every ``UPDATE_INTERVAL`` seconds (and after the last epoch), so a
long run spends its time training, not drawing. When training ends, finished or cancelled,
``on_done`` receives the result (the app resets the stepper to the trained weights).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import get_current_worker

from ..core import optim
from ..core.notation import num
from ..core.spec import NetworkSpec
from ..core.train import EpochReport, TrainResult, evaluate, gradient_stats, train
from .guard import GuardedPump
from .prompt import Prompt

UPDATE_INTERVAL = 0.1  # seconds between screen updates while training (at most 10 a second)
MAX_EPOCHS = 1_000_000
CLOCK: Callable[[], float] = time.perf_counter  # tests freeze it: the throttle and the timing read it


def parse_epochs(text: str) -> int | str:
    """The number of epochs typed, or what is wrong with it."""
    text = text.strip().replace("_", "")
    if not text.isdigit() or int(text) == 0:
        return "Type a positive whole number of epochs (like 200)."
    if int(text) > MAX_EPOCHS:
        return f"At most {MAX_EPOCHS:,} epochs at a time."
    return int(text)


def epochs_prompt(default: int, note: str = "") -> Prompt:
    """Ask how many epochs to train: Enter starts, Esc cancels."""
    question = "Train for how many epochs?" + (f"\n{note}" if note else "")
    return Prompt(question, str(default), "Enter starts, Esc cancels.", parse=parse_epochs, restrict=r"[0-9_]*")


def _copy_opt(state: list[optim.OptState]) -> list[optim.OptState]:
    return [optim.OptState(s.t, *(None if a is None else np.array(a) for a in (s.m, s.v))) for s in state]


class TrainScreen(GuardedPump, ModalScreen[None]):
    """Trains in a worker and shows it happen; Esc stops training, then returns to the stepper."""

    BINDINGS = [Binding("escape", "stop_or_close", "Stop / back", id="stop-training",
                        tooltip="Stop training (the weights so far are kept); once stopped, back to the stepper"),
                Binding("q", "quit_app", "Quit", id="quit-training", tooltip="Stop training and quit bptui")]
    DEFAULT_CSS = """
    TrainScreen { background: $background; }
    TrainScreen #train-title { background: $boost; padding: 0 1; }
    TrainScreen #train-bar { padding: 0 1; height: 1; }
    TrainScreen #train-status { padding: 0 1; height: auto; }
    TrainScreen #train-row { height: 1fr; min-height: 8; }
    TrainScreen #train-row > LossCurve { width: 1fr; }
    TrainScreen #train-row > DecisionMap { width: 1fr; }
    TrainScreen #train-message { padding: 0 1; color: $text-warning; height: auto; }
    """

    def __init__(self, spec: NetworkSpec, epochs: int, weights, opt, start_epoch: int,
                 on_done: Callable[[TrainResult], None] | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.epochs = epochs
        self.start_weights = [np.array(w, dtype=float) for w in weights]
        self.start_opt = _copy_opt(opt)
        self.start_epoch = start_epoch
        self.on_done = on_done
        self.has_test = spec.test_inputs is not None and len(spec.test_inputs) > 0
        self.result: TrainResult | None = None
        self.done = 0
        self.elapsed = 0.0

    def compose(self) -> ComposeResult:
        from .plots import DecisionMap, GradientBars, LossCurve

        spec = self.spec
        last = self.start_epoch + self.epochs - 1
        yield Static(f"Training {spec.name} · epochs {self.start_epoch}–{last} · {spec.optimizer.name} · "
                     f"η = {num(spec.learning_rate)} · {spec.update_text}", id="train-title", markup=False)
        yield ProgressBar(total=self.epochs, show_eta=False, id="train-bar")
        yield Static(id="train-status", markup=False)
        with Horizontal(id="train-row"):
            yield LossCurve(self.epochs, self.has_test, id="train-curve")
            yield DecisionMap(spec, id="train-map")
        yield GradientBars(spec.L, id="train-grads")
        if spec.lengths is not None:  # a recurrent network: ‖δ_τ‖ back through time (time_plot.py)
            from .time_plot import DeltaOverTime

            yield DeltaOverTime(spec, id="train-time")
        yield Static("Training… Esc stops (the weights so far are kept).", id="train-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from .plots import DecisionMap, GradientBars

        self.query_one(DecisionMap).show(self.start_weights)
        self.query_one(GradientBars).show(gradient_stats(self.spec, self.start_weights))
        from .time_plot import DeltaOverTime

        for plot in self.query(DeltaOverTime):
            plot.show(self.start_weights)
        self.query_one("#train-status", Static).update(self._status(0, [], []))
        self.train_worker()

    # -- the worker (runs in a thread; talks to the screen only through call_from_thread) ---------
    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_worker(self) -> TrainResult:
        worker = get_current_worker()
        spec, last_epoch = self.spec, self.start_epoch + self.epochs - 1
        history: list[float] = []
        test_history: list[float] = []
        start = CLOCK()
        shown = -float("inf")

        def on_epoch(report: EpochReport) -> None:
            nonlocal shown
            history.append(report.loss)
            if report.test_loss is not None:
                test_history.append(report.test_loss)
            now = CLOCK()
            if now - shown < UPDATE_INTERVAL and report.epoch != last_epoch:
                return
            shown = now
            weights = [w.copy() for w in report.weights]
            stats = gradient_stats(spec, weights)
            self._post(self._progress, len(history), list(history), list(test_history),
                                      weights, stats)

        result = train(spec, self.epochs, on_epoch, weights=self.start_weights, opt=_copy_opt(self.start_opt),
                       start_epoch=self.start_epoch, cancelled=lambda: worker.is_cancelled, stop_if_diverged=True)
        elapsed = CLOCK() - start
        if result.epochs_done and len(history) and result.epochs_done != self._shown_epochs:
            # cancelled between two screen updates: show where it stopped
            weights = [np.array(w) for w in result.weights]
            self._post(self._progress, len(history), list(history), list(test_history),
                                      weights, gradient_stats(spec, weights))
        self._post(self._finished, result, elapsed)
        return result

    _shown_epochs = 0

    def _post(self, callback, *args) -> None:
        """Run ``callback`` on the UI thread and wait for it (nothing, if the app has already exited)."""
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # pragma: no cover - the app quit while training
            pass

    # -- UI thread ------------------------------------------------------------------------------
    def _status(self, done: int, history: list[float], test_history: list[float]) -> str:
        parts = [f"epoch {self.start_epoch + done - 1 if done else '–'} ({done} of {self.epochs} done)"]
        if history:  # what train() reports: the epoch's ℓ⁽ⁿ⁾ summed, each before its update
            parts.append(f"ℓ_D (sum, before each update) = {num(history[-1], 4)}")
        if test_history:
            parts.append(f"test ℓ_D = {num(test_history[-1], 4)}")
        return " · ".join(parts)

    def _progress(self, done: int, history, test_history, weights, stats) -> None:
        from .plots import DecisionMap, GradientBars, LossCurve
        from .time_plot import DeltaOverTime

        self._shown_epochs = done
        self.done = done
        with self.app.batch_update():
            self.query_one(ProgressBar).update(progress=done)
            self.query_one("#train-status", Static).update(self._status(done, history, test_history))
            test = self.spec.test_inputs
            n, n_test = len(self.spec.inputs), max(0 if test is None else len(test), 1)
            self.query_one(LossCurve).show([v / n for v in history], [v / n_test for v in test_history])
            self.query_one(DecisionMap).show(weights)
            self.query_one(GradientBars).show(stats)
            for plot in self.query(DeltaOverTime):
                plot.show(weights)

    def _finished(self, result: TrainResult, elapsed: float) -> None:
        self.result, self.elapsed = result, elapsed
        with np.errstate(all="ignore"):
            ev = evaluate(self.spec, result.weights)
        how = "Stopped after" if result.cancelled or result.diverged else "Trained"
        rate = f", {result.epochs_done / elapsed:,.0f} epochs/s" if elapsed > 0 and result.epochs_done else ""
        n = len(self.spec.inputs)
        parts = [f"{how} {result.epochs_done} epoch{'s' if result.epochs_done != 1 else ''} ({elapsed:.2f} s{rate})",
                 f"ℓ_D now = {num(ev.train_loss, 4)} ({num(ev.train_loss / n, 4)} per example)"]
        if result.diverged is not None:
            loss = result.history[-1] if result.history else float("nan")
            parts.insert(0, f"Training diverged at epoch {result.diverged}: ℓ_D = {num(loss, 4)} (η = "
                            f"{num(self.spec.learning_rate)} may be too large)")
        if ev.test_loss is not None:
            parts.append(f"test ℓ_D = {num(ev.test_loss, 4)}")
        if ev.train_accuracy is not None:
            parts.append(f"accuracy {ev.train_accuracy:.0%}" + (f" (test {ev.test_accuracy:.0%})"
                                                                if ev.test_accuracy is not None else ""))
        message = self.query_one("#train-message", Static)
        message.update(" · ".join(parts) + ".\nThe stepper now starts from these weights (r: the file's). "
                       "Esc returns to it.")
        if self.on_done is not None:
            self.on_done(result)

    @property
    def running(self) -> bool:
        return self.result is None

    def on_worker_state_changed(self, event) -> None:
        """A training run that fails says so, and the stepper carries on from where it was."""
        from textual.worker import WorkerState

        if event.worker.group == "training" and event.state == WorkerState.ERROR:
            from .guard import describe

            self.result = TrainResult([np.array(w) for w in self.start_weights], opt=_copy_opt(self.start_opt))
            self.query_one("#train-message", Static).update(
                f"Training failed: {describe(event.worker.error)}. The weights on screen are unchanged; "
                "Esc returns to the stepper.")

    def action_quit_app(self) -> None:
        self.workers.cancel_group(self, "training")
        self.app.exit()

    def action_stop_or_close(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "training")
            self.query_one("#train-message", Static).update("Stopping after this epoch…")
        else:
            self.dismiss(None)

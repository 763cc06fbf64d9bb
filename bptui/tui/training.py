"""Training inside the TUI: the epochs prompt and the training screen (progress, loss curve,
decision boundary, gradients per layer), trained in a background thread.

The worker calls the core's ``train`` with the stepper's weights and optimizer state, once the
screen's first frame is drawn; it hands the UI a copy of the state in a message (without waiting
for the drawing) at most every ``FULL_SPEED_INTERVAL`` seconds at full speed, ``UPDATE_INTERVAL``
at a chosen pace, and after the last epoch, so a long run spends its time training, not drawing.
Each message carries only the losses since the last one (the screen keeps the whole history), and
a new one is posted only once the screen has handled the last: an update due before that waits
(the next epoch, or the gate's wait, posts it as soon as the screen is ready), so messages never
pile up when drawing is slower than training. The last epoch's numbers always arrive. When
training ends, finished or cancelled, ``on_done`` receives the result (the app resets the stepper
to the trained weights).

Watching it learn: before every epoch the worker passes a gate (the ``cancelled`` hook of
``train``) that waits while training is paused (space), lets exactly one epoch through for each
press of ``e``, and paces the epochs at the chosen speed (``SPEEDS``, ``+``/``-``); full speed
does not wait. ‖G⁽ˡ⁾‖ of every layer is recorded at the start, every ``curve_every(epochs)``
epochs and at every screen update, for the gradient curves.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import Horizontal
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import get_current_worker

from ..core.ops import optim
from ..core.formulas.notation import count, num
from ..core.formats.spec import NetworkSpec
from ..core.engine.train import EpochReport, LayerStats, TrainResult, evaluate, gradient_stats, train
from .guard import GuardedPump
from .prompt import Prompt

if TYPE_CHECKING:
    from .plots import DecisionMap, FitPlot

RUNNING_TEXT = "Training… Esc stops (the weights so far are kept)."
PAUSED_TEXT = "Paused. Space resumes, e trains one more epoch, Esc stops (the weights so far are kept)."
UPDATE_INTERVAL = 0.1  # seconds between screen updates while training at a chosen pace (at most 10 a second)
FULL_SPEED_INTERVAL = 0.25  # at full speed: drawing less often leaves the time to training
MAX_EPOCHS = 1_000_000
CLOCK: Callable[[], float] = time.perf_counter  # tests freeze it: the throttle and the timing read it
SLEEP: Callable[[float], None] = time.sleep  # the pacing's wait (tests advance a fake clock instead)
SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)  # epochs/s; None: full
CURVE_POINTS = 60  # ‖G⁽ˡ⁾‖ is recorded about this many times a run (plus at each screen update)


def curve_every(epochs: int) -> int:
    """Record the gradient norms every this many epochs (about ``CURVE_POINTS`` a run)."""
    return max(1, math.ceil(epochs / CURVE_POINTS))


def speed_text(rate: float | None) -> str:
    return "full speed" if rate is None else f"{rate:g} epoch{'s' if rate != 1 else ''}/s"


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
                Binding("space", "pause", "Pause/resume", id="pause-training",
                        tooltip="Pause training after this epoch, or resume it"),
                Binding("e", "one_epoch", "One epoch", id="one-epoch", tooltip="While paused: train exactly one epoch"),
                Binding("minus,less_than_sign", "speed(-1)", "Slower", id="slower", tooltip="Fewer epochs a second"),
                Binding("plus,equals_sign,greater_than_sign", "speed(1)", "Faster", id="faster",
                        tooltip="More epochs a second, up to full speed"),
                Binding("q", "quit_app", "Quit", id="quit-training", tooltip="Stop training and quit bptui")]

    paused: var[bool] = var(False, init=False, bindings=True)
    """Training waits before its next epoch (space); ``e`` lets one through."""
    speed: var[int] = var(len(SPEEDS) - 1, init=False)
    """The index of the pace in ``SPEEDS`` (the last: full speed)."""
    DEFAULT_CSS = """
    TrainScreen { background: $background; }
    TrainScreen #train-title { background: $boost; padding: 0 1; }
    TrainScreen #train-bar { padding: 0 1; height: 1; }
    TrainScreen #train-status { padding: 0 1; height: auto; }
    TrainScreen #train-row { height: 3fr; min-height: 8; }
    TrainScreen #train-row > LossCurve { width: 1fr; }
    TrainScreen #train-row > DecisionMap { width: 1fr; }
    TrainScreen #train-row > FitPlot { width: 1fr; }
    TrainScreen #train-bar-row { height: 1; }
    TrainScreen #train-bar-row > ProgressBar { width: auto; }
    TrainScreen #train-controls { padding: 0 1; height: 1; width: 1fr; color: $text-accent; }
    TrainScreen #train-grads-row { height: 2fr; }
    TrainScreen #train-grads-row > GradientBars { width: 1fr; }
    TrainScreen #train-grads-row > GradientCurves { width: 1fr; }
    TrainScreen #train-message { padding: 0 1; color: $text-warning; height: auto; }
    """

    def __init__(self, spec: NetworkSpec, epochs: int, weights, opt, start_epoch: int,
                 on_done: Callable[[TrainResult], None] | None = None, speed: int | None = None,
                 on_speed: Callable[[int], None] | None = None, returns_to: str = "the file's weights",
                 notation: Any = None) -> None:
        super().__init__()
        self.returns_to = returns_to  # the weights r returns to on the stepper after this run (its message)
        self.spec = spec
        from .view_names import view_names

        self.notation = notation  # the ‖δ_τ‖ panel's names (time_plot.py)
        self.names = view_names(notation, spec.L)  # ℓ_D, η, ‖G⁽ˡ⁾‖ … as the app's notation writes them
        self.epochs = epochs
        self.start_weights = [np.array(w, dtype=float) for w in weights]
        self.start_opt = _copy_opt(opt)
        self.start_epoch = start_epoch
        self.on_done = on_done
        self.on_speed = on_speed  # told the speed chosen (the app starts the next run at it)
        self.has_test = spec.test_inputs is not None and len(spec.test_inputs) > 0
        self.result: TrainResult | None = None
        self.done = 0
        self.elapsed = 0.0
        # what the worker reads before every epoch, set from the UI thread under the lock
        self._gate = threading.Condition()
        self._pause_flag = False
        self._allowance = 0  # epochs ``e`` has let through while paused, not yet begun
        self._rate: float | None = None
        self._first_frame = threading.Event()  # set once the screen has been drawn
        self._handled = threading.Event()  # set: the screen has handled the worker's last message
        self._handled.set()
        self.waiting = False  # paused, every epoch done shown, waiting for space or e (tests read it)
        if speed is not None:
            self.set_reactive(TrainScreen.speed, min(max(speed, 0), len(SPEEDS) - 1))
            self._rate = SPEEDS[self.speed]
        # the losses of every epoch done (what ``train`` reports: ℓ_D summed, before each update), and
        # per example (ℓ_D / N, as the loss curve draws them, filled in as they come: the worker sends
        # only what is new)
        self.losses: list[float] = []
        self.test_losses: list[float] = []
        self._mean = np.empty(epochs)
        self._mean_test = np.empty(epochs)
        # the gradient curves: epochs done (0: the start) and ‖G⁽ˡ⁾‖ of each layer there
        self.curve_epochs: list[int] = []
        self.curve_norms: list[list[float]] = []
        self.map_view: DecisionMap | FitPlot | None = None  # what the network computes over its inputs, if drawable

    def compose(self) -> ComposeResult:
        from .plots import GradientBars, GradientCurves, LossCurve, draws_input_plot, input_plot

        spec = self.spec
        last = self.start_epoch + self.epochs - 1
        from .board_text import data_text

        yield Static(f"Training {spec.name}{data_text(self.app, spec)} · epochs {self.start_epoch}–{last} · {spec.optimizer.name} · "
                     f"{self.names.eta} = {num(spec.learning_rate)} · {spec.update_text}", id="train-title", markup=False)
        with Horizontal(id="train-bar-row"):
            yield ProgressBar(total=self.epochs, show_eta=False, id="train-bar")
            yield Static(self._controls_text(), id="train-controls", markup=False)
        yield Static(id="train-status", markup=False)
        with Horizontal(id="train-row"):
            yield LossCurve(self.epochs, self.has_test, id="train-curve", title=self.names.curve)
            if draws_input_plot(spec):  # no room spent on a note that the map cannot be drawn
                self.map_view = input_plot(spec, self.names, id="train-map")
                yield self.map_view
        with Horizontal(id="train-grads-row"):
            yield GradientBars(spec.L, id="train-grads", names=self.names)
            yield GradientCurves(spec.L, self.epochs, id="train-grad-curves", names=self.names)
        if spec.lengths is not None:  # a recurrent network: ‖δ_τ‖ back through time (time_plot.py)
            from .time_plot import DeltaOverTime

            yield DeltaOverTime(spec, self.notation, id="train-time")
        yield Static(RUNNING_TEXT, id="train-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from .plots import GradientBars
        from .time_plot import DeltaOverTime

        if self.map_view is not None:
            self.map_view.show(self.start_weights)
        self.query_one("#train-grads-row").styles.min_height = self.spec.L + 3  # every layer's bar
        stats = self.shown(gradient_stats(self.spec, self.start_weights))
        self.query_one(GradientBars).show(stats)
        self._record(0, stats)
        for plot in self.query(DeltaOverTime):
            plot.show(self.start_weights)
        self.query_one("#train-status", Static).update(self._status(0, [], []))
        self.call_after_refresh(self._first_frame.set)
        self.train_worker()

    # -- the worker (runs in a thread; talks to the screen only through messages and the gate's lock)
    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_worker(self) -> TrainResult:
        worker = get_current_worker()
        # the screen is drawn before the first epoch: its first frame (the costliest) does not slow
        # the first epochs down
        self._first_frame.wait(1.0)
        time.sleep(0.02)  # (nor do its last bytes on their way to the terminal)
        spec, last_epoch = self.spec, self.start_epoch + self.epochs - 1
        history: list[float] = []
        test_history: list[float] = []
        every = curve_every(self.epochs)
        start = shown = CLOCK()  # the first update after UPDATE_INTERVAL (the start is on screen)
        began: float | None = None  # when the last epoch began (the pacing counts from it)
        latest: list[np.ndarray] = [w for w in self.start_weights]

        pending: list[tuple[int, list[LayerStats]]] = []  # gradient-curve points not yet handed over
        posted = 0  # the epochs done at the last update handed to the screen
        sent_test = 0  # the test losses handed over
        stale = False  # an update was due while the screen was still handling the last one

        def show(weights: list[np.ndarray], stats=None, force: bool = False) -> bool:
            """Hand the screen the state after the epochs done (a copy of ``weights``) and the losses
            since the last update, if it has handled the last one (or ``force``); else mark the
            update as due (``stale``) and return False."""
            nonlocal posted, sent_test, stale
            if not force and not self._handled.is_set():
                stale = True
                return False
            done = len(history)
            stats = stats if stats is not None else gradient_stats(spec, weights)
            points = pending[:] + [(done, stats)]
            pending.clear()
            self._handled.clear()
            self._post(self._progress, done, history[posted:], test_history[sent_test:],
                       [np.array(w) for w in weights], stats, points)
            posted, sent_test, stale = done, len(test_history), False
            return True

        def on_epoch(report: EpochReport) -> None:
            nonlocal shown, latest
            history.append(report.loss)
            if report.test_loss is not None:
                test_history.append(report.test_loss)
            latest = report.weights
            done = len(history)
            stats = None
            if done % every == 0:
                stats = gradient_stats(spec, report.weights)
                pending.append((done, stats))
            now = CLOCK()
            interval = UPDATE_INTERVAL if self._rate is not None else FULL_SPEED_INTERVAL
            if not stale and now - shown < interval and report.epoch != last_epoch and not self._pause_flag:
                return
            if show(report.weights, stats):
                shown = now

        def gate() -> bool:
            """Before each epoch: wait while paused (one epoch per ``e``), then for the pace; True: stop."""
            nonlocal began
            if not self._pause_flag and self._rate is None:  # full speed: nothing to wait for
                return worker.is_cancelled
            while not worker.is_cancelled:
                with self._gate:
                    paused, rate = self._pause_flag, self._rate
                    if paused and self._allowance > 0:
                        self._allowance -= 1
                        break
                if paused:
                    if posted != len(history):  # paused between two updates: show where (once the
                        show(latest)            # screen has handled the last update)
                    shown_all = posted == len(history) and self._handled.is_set()
                    with self._gate:
                        if self._pause_flag and not self._allowance:
                            self.waiting = shown_all
                            self._gate.wait(0.05)
                    continue
                if rate is not None and began is not None:
                    wait = began + 1 / rate - CLOCK()
                    if wait > 0:
                        if stale:  # an update is due: the screen may be ready for it now
                            show(latest)
                        SLEEP(min(wait, 0.05))
                        continue
                break
            self.waiting = False
            began = CLOCK()
            return worker.is_cancelled

        result = train(spec, self.epochs, on_epoch, weights=self.start_weights, opt=_copy_opt(self.start_opt),
                       start_epoch=self.start_epoch, cancelled=gate, stop_if_diverged=True)
        elapsed = CLOCK() - start
        if result.epochs_done and len(history) and result.epochs_done != posted:
            # the last update not handed over yet (cancelled between two updates, or the screen still
            # handling the one before): it goes now, whatever the screen is doing
            show(result.weights, force=True)
        self._post(self._finished, result, elapsed)
        return result

    class FromWorker(Message):
        """The worker's news for the screen: ``callback(*args)`` to run on the UI thread."""

        def __init__(self, callback: Callable[..., None], args: tuple) -> None:
            super().__init__()
            self.callback, self.args = callback, args

    def _post(self, callback, *args) -> None:
        """Have ``callback`` run on the UI thread, without waiting for it: the worker trains on while
        the screen draws (messages keep their order; none arrive once the screen is gone)."""
        try:
            self.post_message(self.FromWorker(callback, args))
        except RuntimeError:  # the app is exiting: its event loop is closed, nobody is left to tell
            pass

    @on(FromWorker)
    def _from_worker(self, message: FromWorker) -> None:
        try:
            message.callback(*message.args)
        finally:
            self._handled.set()  # the worker may post its next update

    # -- UI thread ------------------------------------------------------------------------------
    def _status(self, done: int, history: list[float], test_history: list[float]) -> str:
        parts = [f"epoch {self.start_epoch + done - 1 if done else '–'} ({done} of {self.epochs} done)"]
        # what train() reports: the epoch's ℓ⁽ⁿ⁾ summed, each before its update (a mean profile's ℓ_D: their mean, the
        # curve's number)
        mean, test = self.names.mean, self.spec.test_inputs
        if history:
            value = history[-1] / len(self.spec.inputs) if mean else history[-1]
            parts.append(f"{self.names.loss_D} ({'mean' if mean else 'sum'}, before each update) = {num(value, 4)}")
        if test_history:
            value = test_history[-1] / max(0 if test is None else len(test), 1) if mean else test_history[-1]
            parts.append(f"test {self.names.loss_D} = {num(value, 4)}")
        return " · ".join(parts)

    def shown(self, stats: list[LayerStats]) -> list[LayerStats]:
        """The gradient statistics as the notation shows them: a mean profile's gradient is G/m, here over
        the training set's N examples (‖dW, db‖ = ‖G‖ / N); mean |δ| is the same number in every profile."""
        if not self.names.mean:
            return stats
        from dataclasses import replace

        n = len(self.spec.inputs)
        return [replace(s, G_norm=s.G_norm / n) for s in stats]

    def _record(self, done: int, stats: list[LayerStats]) -> None:
        """Keep ‖G⁽ˡ⁾‖ of every layer after ``done`` epochs for the gradient curves (once per epoch)."""
        if self.curve_epochs and self.curve_epochs[-1] == done:
            return
        self.curve_epochs.append(done)
        self.curve_norms.append([s.G_norm for s in stats])

    def _progress(self, done: int, losses: list[float], test_losses: list[float], weights, stats,
                  points: list[tuple[int, list[LayerStats]]]) -> None:
        """The worker's update after ``done`` epochs: the losses of the epochs since the last one."""
        from .plots import GradientBars, GradientCurves, LossCurve
        from .time_plot import DeltaOverTime

        self.done = done
        test = self.spec.test_inputs
        n, n_test = len(self.spec.inputs), max(0 if test is None else len(test), 1)
        a, b = len(self.losses), len(self.test_losses)
        self.losses.extend(losses)
        self.test_losses.extend(test_losses)
        self._mean[a:len(self.losses)] = np.asarray(losses, dtype=float) / n
        self._mean_test[b:len(self.test_losses)] = np.asarray(test_losses, dtype=float) / n_test
        stats = self.shown(stats)
        for at, point in points:
            self._record(at, self.shown(point))
        with self.app.batch_update():
            self.query_one(ProgressBar).update(progress=done)
            self.query_one("#train-status", Static).update(self._status(done, self.losses, self.test_losses))
            self.query_one(LossCurve).show(self.mean_losses, self.mean_test_losses)
            if self.map_view is not None:
                self.map_view.show(weights)
            self.query_one(GradientBars).show(stats)
            self.query_one(GradientCurves).show(list(self.curve_epochs), [list(r) for r in self.curve_norms])
            if self.paused:
                self._show_controls()
            for plot in self.query(DeltaOverTime):
                plot.show(weights)

    def _finished(self, result: TrainResult, elapsed: float) -> None:
        self.result, self.elapsed = result, elapsed
        self.refresh_bindings()
        self._show_controls()
        with np.errstate(all="ignore"):
            ev = evaluate(self.spec, result.weights)
        how = "Stopped after" if result.cancelled or result.diverged else "Trained"
        rate = f", {result.epochs_done / elapsed:,.0f} epochs/s" if elapsed > 0 and result.epochs_done else ""
        n, test = len(self.spec.inputs), self.spec.test_inputs
        per = n if self.names.mean else 1  # a mean profile's ℓ_D is the mean over the examples, ℓ_D / N
        now = (f"{self.names.loss_D} now = {num(ev.train_loss / n, 4)} (the mean over the {count(n, 'example')})"
               if self.names.mean else f"{self.names.loss_D} now = {num(ev.train_loss, 4)} ({num(ev.train_loss / n, 4)} per example)")
        parts = [f"{how} {result.epochs_done} epoch{'s' if result.epochs_done != 1 else ''} ({elapsed:.2f} s{rate})", now]
        if result.diverged is not None:
            loss = result.history[-1] / per if result.history else float("nan")
            parts.insert(0, f"Training diverged at epoch {result.diverged}: {self.names.loss_D} = {num(loss, 4)} "
                            f"({self.names.eta} = "
                            f"{num(self.spec.learning_rate)} may be too large)")
        if ev.test_loss is not None:
            n_test = len(test) if self.names.mean and test is not None and len(test) else 1
            parts.append(f"test {self.names.loss_D} = {num(ev.test_loss / n_test, 4)}")
        if ev.train_accuracy is not None:
            parts.append(f"accuracy {ev.train_accuracy:.0%}" + (f" (test {ev.test_accuracy:.0%})"
                                                                if ev.test_accuracy is not None else ""))
        message = self.query_one("#train-message", Static)
        message.update(" · ".join(parts) + ".\nThe stepper now starts from these weights; "
                       f"r goes back to {self.returns_to}. Esc returns to it.")
        if self.on_done is not None:
            self.on_done(result)

    @property
    def mean_losses(self) -> np.ndarray:
        """ℓ_D / N of every epoch done, as the loss curve draws it."""
        return self._mean[:len(self.losses)]

    @property
    def mean_test_losses(self) -> np.ndarray:
        return self._mean_test[:len(self.test_losses)]

    @property
    def running(self) -> bool:
        return self.result is None

    # -- watching it learn: pause, one epoch, speed -------------------------------------------------
    def _controls_text(self) -> str:
        pace = speed_text(SPEEDS[self.speed])
        if self.result is not None:
            if SPEEDS[self.speed] is None:
                return "the next run: full speed · - slows it down, to watch it learn"
            return f"the next run's pace: {pace} (- +)"
        if self.paused:
            return f"⏸ paused after {count(self.done, 'epoch')} · space resumes · e: one epoch · {pace} (- +)"
        return f"▶ {pace} (- + change it) · space pauses"

    def _show_controls(self) -> None:
        if self.is_mounted:
            self.query_one("#train-controls", Static).update(self._controls_text())

    def watch_paused(self, paused: bool) -> None:
        with self._gate:
            self._pause_flag = paused
            self._allowance = 0  # e's not used before a resume do not carry over to the next pause
            self._gate.notify_all()
        self._show_controls()
        if self.running and self.is_mounted:
            self.query_one("#train-message", Static).update(PAUSED_TEXT if paused else RUNNING_TEXT)

    def watch_speed(self, speed: int) -> None:
        with self._gate:
            self._rate = SPEEDS[speed]
            self._gate.notify_all()
        self._show_controls()
        if self.on_speed is not None:
            self.on_speed(speed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return self.running
        if action == "one_epoch":
            return self.running and self.paused
        return True

    def action_pause(self) -> None:
        if self.running:
            self.paused = not self.paused

    def action_one_epoch(self) -> None:
        if self.running and self.paused:
            with self._gate:
                self.waiting = False
                self._allowance += 1
                self._gate.notify_all()

    def action_speed(self, change: int) -> None:
        self.speed = min(max(self.speed + change, 0), len(SPEEDS) - 1)

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

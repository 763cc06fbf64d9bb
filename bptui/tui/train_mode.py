"""The training mode of the network screen (``t``): the epochs asked for, the training screen
(``training.py``, a worker), and stepping on from the trained weights."""

from __future__ import annotations

from typing import Any

from ..core.formulas.notation import count
from .modes import Host


class TrainMode(Host):
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
                                             on_speed=lambda speed: setattr(state, "train_speed", speed),
                                             returns_to=self.stepper.base_origin.reset_target(),
                                             notation=self.stepper.notation))

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

"""The gradient-check mode of the network screen (``g``): which weights and which ℓ are checked, and
the check's own screen (``gradcheck.py``, a worker), imported when it is first asked for."""

from __future__ import annotations

from .modes import Host


class GradCheckMode(Host):
    """``g`` on the network screen: the check of the weights on screen, in its own screen."""

    def action_gradient_check(self) -> None:
        stepper = self.stepper
        at = stepper.where()
        if at.step == 0 and not stepper.edits and stepper.origin.kind in ("file", "init"):
            where = "the file's weights"
        else:
            where = f"the weights on screen (step {at.step_in_epoch} of epoch {at.epoch})"
        from .view_names import view_names

        names = view_names(stepper.notation)
        examples = None
        if at.group_done and at.follows.n_groups > 1:  # the gradient of this group's ℓ: the G on screen
            examples = at.follows.indices.tolist()
            total = f"the mean of {names.loss}" if names.mean else f"{names.loss} summed"
            where += f", {total} {at.follows.text('over')} ({names.on_screen})"
        elif at.group_done:
            where += f" ({names.on_screen})"
        from .gradcheck import GradCheckScreen

        self.app.push_screen(GradCheckScreen(self.spec, stepper.weights, where, examples, at.epoch, stepper))

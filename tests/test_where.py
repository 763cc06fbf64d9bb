"""Where the stepper stands (``Stepper.where``) and what an update follows, for every view."""

import numpy as np

from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper
from bptui.export import markdown
from bptui.trace import trace_text

from .conftest import NETWORKS


def test_step_0_names_the_epochs_first_example_also_when_shuffled():
    spec = load(NETWORKS / "iris.json")  # shuffle_seed 0: epoch 1 starts with another example than 1
    stepper = Stepper(spec)
    at = stepper.where()
    first = int(stepper.schedule.order(1)[0]) + 1
    assert first != 1
    assert (at.step, at.epoch, at.step_in_epoch, at.phase, at.example) == (0, 1, 0, "start", first)
    np.testing.assert_array_equal(at.x, spec.inputs[first - 1])
    np.testing.assert_array_equal(at.y, spec.targets[first - 1])
    assert at.next == stepper.next_key and at.next.example == first and at.at_floor
    stepper.forward()
    assert stepper.state.x is at.x or np.array_equal(stepper.state.x, at.x)


def test_where_follows_the_steps():
    stepper = Stepper(load(NETWORKS / "xor.json"))
    seen = []
    for _ in range(2 * 38):
        stepper.forward()
        at = stepper.where()
        assert at.phase == stepper.last.key.phase and at.epoch == stepper.last.key.epoch
        assert 1 <= at.step_in_epoch <= 38 and at.steps_per_epoch == 38
        seen.append((at.step_in_epoch, at.example, at.group_done))
    assert seen[0] == (1, 1, False) and seen[9] == (10, 2, False)
    assert seen[35] == (36, 4, True)  # all four examples' G done, the updates next
    assert seen[36] == (37, 4, False) and seen[37] == (38, 4, False)  # the updates: example 4 on the board
    assert seen[38] == (1, 1, False)  # epoch 2 begins
    assert stepper.where().follows.text() == "after all 4 examples"


def test_one_text_for_what_an_update_follows():
    xor = Stepper(load(NETWORKS / "xor.json"))
    assert xor.schedule.follows(1, 1).text() == "after all 4 examples"
    regression = Stepper(load(NETWORKS / "regression.json"))  # per_example
    assert regression.schedule.follows(1, 3).text() == "after example 3"
    iris = Stepper(load(NETWORKS / "iris.json"))  # mini-batches of 16 of 120, shuffled
    follows = iris.schedule.follows(2, 3)
    assert follows.text() == "after mini-batch 3 of 8" and follows.text("over") == "over mini-batch 3 of 8"
    assert follows.examples == tuple(int(n) + 1 for n in iris.schedule.groups(2)[2])


def test_trace_export_and_app_say_the_same_about_an_update():
    spec = load(NETWORKS / "xor.json")
    assert "Update after all 4 examples:" in list(trace_text(spec, 1))
    assert "### Update after all 4 examples" in list(markdown(spec, 1))
    regression = load(NETWORKS / "regression.json")
    assert "Update after example 1:" in list(trace_text(regression, 1))
    moons = load(NETWORKS / "moons.json")
    assert "### Update after mini-batch 1 of 8" in list(markdown(moons, 1))

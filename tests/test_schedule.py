"""The step schedule: count and order on XOR, and random access agreeing with iteration."""

import numpy as np
import pytest

from bptui.core.engine.schedule import Schedule, example_block
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper

from .conftest import NETWORKS


def names(keys):
    return [f"{k.quantity}{k.layer or ''}" for k in keys]


def test_xor_full_batch_schedule():
    sch = Schedule(L=2, N=4, update="full_batch")
    keys = list(sch.steps(1))
    assert len(keys) == len(sch) == 4 * 9 + 2 == 38
    assert names(keys[:9]) == ["s1", "o1", "s2", "o2", "loss", "delta2", "G2", "delta1", "G1"]
    assert names(keys[36:]) == ["W1", "W2"]
    assert [k.example for k in keys[:36:9]] == [1, 2, 3, 4]
    assert all(k.epoch == 1 for k in keys) and keys[36].example is None
    assert [k.phase for k in keys[:9]] == ["forward"] * 4 + ["loss"] + ["backward"] * 4
    assert [k.step for k in keys] == list(range(1, 39))
    assert keys[0].group_start and not keys[9].group_start and keys[9].example_start


def test_xor_per_example_schedule():
    sch = Schedule(L=2, N=4, update="per_example")
    keys = list(sch.steps(2))
    assert len(sch) == 4 * (9 + 2) == 44 and len(keys) == 88
    assert names(keys[9:11]) == ["W1", "W2"] and keys[11].example == 2 and keys[11].group_start
    assert keys[44].epoch == 2 and keys[44].example == 1


@pytest.mark.parametrize("L,N,update", [(1, 1, "full_batch"), (3, 5, "per_example"), (6, 4, "full_batch")])
def test_block_shape(L, N, update):
    sch = Schedule(L, N, update)
    block = example_block(L)
    assert len(block) == 4 * L + 1
    assert [q for _, q, _ in block].count("loss") == 1
    updates = L * (N if update == "per_example" else 1)
    assert len(sch) == N * (4 * L + 1) + updates


def test_stepper_follows_the_schedule():
    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    for key in stepper.schedule.steps(2):
        assert stepper.forward().key == key


def test_back_then_forward_reproduces_identical_values():
    spec = load(NETWORKS / "regression.json")
    stepper = Stepper(spec, max_checkpoints=4)  # few checkpoints: going back must replay
    total = 3 * len(stepper.schedule)
    first = [stepper.forward() for _ in range(total)]
    rng = np.random.default_rng(0)
    for target in rng.integers(1, total, size=40):
        stepper.goto(int(target))
        assert stepper.position == target
        assert stepper.last.key == first[target - 1].key
        assert np.array_equal(np.asarray(stepper.last.value), np.asarray(first[target - 1].value))
        # and forward again from there, step by step
        for i in range(int(target), min(total, int(target) + 15)):
            step = stepper.forward()
            assert step.key == first[i].key
            assert np.array_equal(np.asarray(step.value), np.asarray(first[i].value))
    stepper.goto(0)
    assert stepper.position == 0 and stepper.last is None
    assert all(np.array_equal(a, b) for a, b in zip(stepper.weights, spec.weights))


def test_step_back_one_at_a_time():
    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    steps = [stepper.forward() for _ in range(80)]
    for i in range(79, 0, -1):
        stepper.back()
        assert np.array_equal(np.asarray(stepper.last.value), np.asarray(steps[i - 1].value))
        assert stepper.state.loss_D == pytest.approx(0) or stepper.state.loss_D > 0


def test_checkpoints_stay_bounded():
    spec = load(NETWORKS / "regression.json")
    stepper = Stepper(spec, max_checkpoints=8)
    for _ in range(20 * len(stepper.schedule)):
        stepper.forward()
    assert len(stepper._checkpoints) <= 8

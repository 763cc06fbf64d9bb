"""Editing a weight: every number on the board follows from the weights shown and the data.

An edit at an update-group boundary takes effect at once; anywhere else the group restarts at its
first example with the weights and optimizer state of its start plus the edit (under full_batch the
group is the epoch). Exactly what depends on the edited weight changes, and history restarts there.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper

from .conftest import NETWORKS


def xor():
    return load(NETWORKS / "xor.json")


def xor_minibatch():
    """XOR in two mini-batches of 2: group 1 is steps 1–20 (examples 1, 2 and two updates)."""
    spec = xor()
    return replace(spec, update="mini_batch", batch_size=2)


def edited(weights, l, row, col, value):
    W = [np.array(w) for w in weights]
    W[l - 1][row, col] = value
    return W


def same_board(a: Stepper, b: Stepper) -> None:
    for name in ("s", "o", "delta", "G", "W"):
        for x, y in zip(getattr(a.state, name)[1:], getattr(b.state, name)[1:]):
            if x is not None or y is not None:
                assert np.array_equal(x, y), name
    assert a.state.loss_D == b.state.loss_D and a.state.loss == b.state.loss


def test_an_edit_in_the_first_epoch_of_a_full_batch_restarts_it_from_the_edited_weights():
    spec = xor()
    for at in (1, 7, 9, 20, 36, 37):  # mid-example, example ends, all G done, between the updates
        stepper = Stepper(spec)
        stepper.goto(at)
        edit = stepper.edit_weight(1, 0, 0, 0.9)  # the bias of unit 1 of layer 1
        assert stepper.position == stepper.floor == 0 and stepper.last is None
        assert edit.restarted and edit.old == 0.1 and edit.start == 0
        assert edit.undone == ((1,) if at == 37 else ())
        fresh = Stepper(spec.with_weights(edited(spec.weights, 1, 0, 0, 0.9)))
        same_board(stepper, fresh)
        for _ in range(2 * len(stepper.schedule)):  # every step of two epochs, bit for bit
            assert stepper.forward().key == fresh.forward().key
            same_board(stepper, fresh)


def test_an_edit_changes_exactly_what_depends_on_it():
    spec = xor()
    stepper = Stepper(spec)
    old = {}
    for p in (2, 9, 11, 20):
        stepper.goto(p)
        old[p] = (stepper.state.s[1], stepper.state.o[1], stepper.state.G[1], stepper.state.G[2])
    # at example 3 (x = [1, 0]), w₂,₂⁽¹⁾ multiplies x₂: the epoch restarts, and only the examples
    # with x₂ ≠ 0 see the change
    stepper.edit_weight(1, 1, 2, 5.0)
    assert stepper.position == 0
    stepper.goto(9)  # example 1, x = [0, 0]: s, o and its G are unchanged
    assert np.array_equal(stepper.state.s[1], old[2][0]) and np.array_equal(stepper.state.o[1], old[2][1])
    assert np.array_equal(stepper.state.G[1], old[9][2]) and np.array_equal(stepper.state.G[2], old[9][3])
    stepper.goto(11)  # example 2, x = [0, 1]: only s₂⁽¹⁾ and o₂⁽¹⁾ change
    s_old, o_old = old[11][0], old[11][1]
    assert stepper.state.s[1][0] == s_old[0] and stepper.state.s[1][1] != s_old[1]
    assert stepper.state.s[1][1] == 5.0 * 1.0 + stepper.state.W[1][1, 0]
    assert stepper.state.o[1][1] == o_old[1] and stepper.state.o[1][2] == np.tanh(stepper.state.s[1][1])
    stepper.goto(20)  # example 3, x = [1, 0]: s⁽¹⁾ as before, but G holds example 2's new share
    assert np.array_equal(stepper.state.s[1], old[20][0])
    assert not np.array_equal(stepper.state.G[1], old[20][2])


def test_history_restarts_at_the_start_of_the_edited_group():
    stepper = Stepper(xor_minibatch())
    stepper.goto(20)
    w_start = float(stepper.state.W[2][0, 1])  # after mini-batch 1's update
    stepper.goto(25)  # inside mini-batch 2 (steps 21–40): example 3 done, example 4 begun
    edit = stepper.edit_weight(2, 0, 1, -1.0)
    assert stepper.floor == stepper.position == 20 and edit.start == 20 and edit.follows.group == 2
    assert edit.old == w_start and stepper.state.W[2][0, 1] == -1.0
    stepper.goto(3)
    assert stepper.position == 20
    stepper.back()
    assert stepper.position == 20
    for _ in range(10):
        stepper.forward()
    W2 = np.array(stepper.state.W[2])
    stepper.goto(21)
    stepper.goto(30)
    assert np.array_equal(stepper.state.W[2], W2) and stepper.state.W[2][0, 1] == -1.0


def test_an_edit_between_two_update_steps_undoes_the_groups_updates():
    spec = xor()
    stepper = Stepper(spec)
    stepper.goto(37)  # W⁽¹⁾ updated; the update of W⁽²⁾ is next
    W1_updated = stepper.state.W[1]
    edit = stepper.edit_weight(2, 0, 0, 1.0)
    assert stepper.position == 0 and edit.undone == (1,)
    assert np.array_equal(stepper.state.W[1], spec.weights[0]) and not np.array_equal(stepper.state.W[1], W1_updated)
    assert "undone" in edit.text()
    stepper.goto(36)
    G = stepper.state.G[2]
    stepper.goto(38)
    assert stepper.state.W[2][0, 0] == 1.0 - 0.5 * G[0, 0]


def test_an_edit_at_a_group_boundary_takes_effect_at_once():
    spec = xor()
    stepper = Stepper(spec)
    stepper.goto(38)  # the end of epoch 1: epoch 2 starts next
    W, loss_D = [np.array(w) for w in stepper.weights], stepper.state.loss_D
    edit = stepper.edit_weight(2, 0, 0, 1.0)
    assert not edit.restarted and edit.start == 38 and stepper.position == stepper.floor == 38
    assert edit.old == W[1][0, 0] and loss_D != 0
    # the board shows nothing computed with the old weight: no s, o, δ, G zeroed, ℓ_D of epoch 2 = 0
    assert stepper.state.loss_D == 0.0 and stepper.state.loss is None
    assert all(s is None for s in stepper.state.s[1:]) and all(not G.any() for G in stepper.state.G[1:])
    fresh = Stepper(spec.with_weights(edited(W, 2, 0, 0, 1.0)))
    for _ in range(len(stepper.schedule)):
        stepper.forward()
        fresh.forward()
        same_board(stepper, fresh)
    # before the first step an edit takes effect at once too
    stepper = Stepper(spec)
    assert not stepper.edit_weight(1, 0, 0, 0.5).restarted and stepper.position == 0


def _group_stepper(spec, examples, weights, opt) -> Stepper:
    """A fresh stepper over just one group's examples, in its order, as one full batch."""
    sub = replace(spec, inputs=spec.inputs[examples], targets=spec.targets[examples], update="full_batch",
                  batch_size=None, shuffle_seed=None)
    fresh = Stepper(sub)
    fresh.reset(weights=weights, opt=opt)
    return fresh


@pytest.mark.parametrize("name,offsets", [
    ("xor", [1, 20, 36, 37]),  # full_batch
    ("regression", [0, 3, 9, 10]),  # per_example: 9 steps and 2 updates per group
    ("moons", [4, 180, 181]),  # mini-batches of 20, momentum (20·9 + 2 = 182 steps per group)
    ("iris", [0, 5, 16 * 9, 16 * 9 + 1]),  # mini-batches of 16, shuffled every epoch, adam
])
def test_every_G_and_loss_after_an_edit_follows_from_the_edited_weights(name, offsets):
    """In the second epoch's second group (shuffled for iris), edit at several places; then every G
    and ℓ_D of the restarted group equal a fresh stepper's started from the edited weights."""
    spec = load(NETWORKS / f"{name}.json")
    for offset in offsets:
        stepper = Stepper(spec)
        sch = stepper.schedule
        group = 2 if sch.n_groups > 1 else 1
        start = sch.steps_per_epoch + (group - 1) * sch.full_group_steps
        stepper.goto(start)
        W_start = [np.array(w) for w in stepper.weights]
        opt_start = stepper.state.opt[1:]
        loss_D_start = 0.0 if sch.key(start).epoch_start else stepper.state.loss_D  # ℓ_D at the group's start
        stepper.goto(start + offset)
        l, row, col = spec.L, 0, 1
        value = float(stepper.state.W[l][row, col]) + 0.25
        edit = stepper.edit_weight(l, row, col, value)
        assert stepper.position == stepper.floor == start and edit.restarted == (offset > 0)
        assert stepper.state.loss_D == loss_D_start and not any(G.any() for G in stepper.state.G[1:])
        examples = [n - 1 for n in edit.follows.examples]
        assert examples == [int(n) for n in sch.groups(2)[group - 1]]
        assert stepper.where().example == examples[0] + 1 and stepper.where().phase == "start"
        np.testing.assert_array_equal(stepper.where().x, spec.inputs[examples[0]])
        fresh = _group_stepper(spec, examples, edited(W_start, l, row, col, value), opt_start)
        loss_D = loss_D_start
        for _ in range(len(fresh.schedule)):  # the group's examples and its updates
            step, want = stepper.forward(), fresh.forward()
            assert (step.key.phase, step.key.quantity, step.key.layer) == (want.key.phase, want.key.quantity, want.key.layer)
            if want.key.phase == "loss":
                loss_D += want.value
            for a, b in zip(stepper.state.G[1:], fresh.state.G[1:]):
                assert np.array_equal(a, b)
            for a, b in zip(stepper.state.W[1:], fresh.state.W[1:]):
                assert np.array_equal(a, b)
            assert stepper.state.loss_D == loss_D


def test_an_edit_has_a_provenance_and_an_update_replaces_it():
    spec = xor()
    stepper = Stepper(spec)
    assert stepper.provenance(1, 0, 0).text() == "w₁,₀⁽¹⁾ = 0.1: its value in the network file xor.json"
    stepper.goto(38)
    p = stepper.provenance(1, 0, 0)
    assert p.kind == "update" and p.update.key.step == 37
    assert "after all 4 examples" in p.text() and "0.1 − 0.5·0.06124 = 0.06938" in p.text()
    stepper.edit_weight(1, 0, 0, 0.5)
    p = stepper.provenance(1, 0, 0)
    assert p.kind == "edit" and p.text() == "w₁,₀⁽¹⁾ = 0.5: edited by hand (was 0.06938), in effect from step 0 of epoch 2"
    assert stepper.provenance(1, 0, 1).kind == "update"  # the other weights keep theirs
    stepper.goto(38 + 37)
    assert stepper.provenance(1, 0, 0).kind == "update" and stepper.provenance(1, 0, 0).update.before[0, 0] == 0.5
    stepper.goto(38 + 36)
    assert stepper.provenance(1, 0, 0).kind == "edit"


SPECS = {name: load(NETWORKS / f"{name}.json") for name in ("xor", "regression", "moons", "iris")}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(SPECS)), where=st.floats(0, 2, exclude_max=True), cell=st.integers(0, 10**6),
       value=st.floats(-2, 2))
def test_any_edit_anywhere_leaves_a_board_a_fresh_stepper_agrees_with(name, where, cell, value):
    """Edit any weight at any step of two epochs: the board is a group start, and every G, W and ℓ_D
    of the group that follows equals a fresh stepper's from the weights at that start."""
    spec = SPECS[name]
    stepper = Stepper(spec)
    sch = stepper.schedule
    at = int(where * sch.steps_per_epoch)
    stepper.goto(at)
    start = sch.group_start(at)
    l = 1 + cell % spec.L
    row, col = divmod(cell // spec.L % stepper.state.W[l].size, stepper.state.W[l].shape[1])
    edit = stepper.edit_weight(l, row, col, value)
    assert stepper.position == stepper.floor == edit.start == start and edit.restarted == (at > start)
    assert stepper.state.W[l][row, col] == value and stepper.last is None
    W, opt, loss_D = [np.array(w) for w in stepper.weights], stepper.state.opt[1:], stepper.state.loss_D
    fresh = _group_stepper(spec, list(edit.follows.indices), W, opt)
    for _ in range(len(fresh.schedule)):
        stepper.forward()
        want = fresh.forward()
        if want.key.phase == "loss":
            loss_D += want.value
        for a, b in zip(stepper.state.G[1:] + stepper.state.W[1:], fresh.state.G[1:] + fresh.state.W[1:]):
            assert np.array_equal(a, b)
        assert stepper.state.loss_D == loss_D

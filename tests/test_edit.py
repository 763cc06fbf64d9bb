"""Editing a weight: exactly what depends on it changes, and history restarts there."""

import numpy as np

from bptui.core.spec import load
from bptui.core.stepper import Stepper

from .conftest import NETWORKS


def xor():
    return load(NETWORKS / "xor.json")


def test_edit_in_the_first_example_equals_starting_from_the_edited_file():
    spec = xor()
    stepper = Stepper(spec)
    stepper.goto(7)  # after G⁽²⁾ of example 1
    stepper.edit_weight(1, 0, 0, 0.9)  # the bias of unit 1 of layer 1
    W = [np.array(w) for w in spec.weights]
    W[0][0, 0] = 0.9
    fresh = Stepper(spec.with_weights(W))
    fresh.goto(7)
    assert stepper.position == 7
    for name in ("s", "o", "delta", "G", "W"):
        for a, b in zip(getattr(stepper.state, name)[1:], getattr(fresh.state, name)[1:]):
            if a is not None or b is not None:
                assert np.array_equal(a, b), name
    assert stepper.state.loss_D == fresh.state.loss_D


def test_an_edit_changes_exactly_what_depends_on_it():
    spec = xor()
    stepper = Stepper(spec)
    stepper.goto(9 * 2 + 2)  # example 3: s⁽¹⁾ and o⁽¹⁾ done, x = [1, 0]
    s_old, o_old = stepper.state.s[1], stepper.state.o[1]
    G_old = stepper.state.G[1]
    stepper.edit_weight(1, 1, 2, 5.0)  # w_{2,2}⁽¹⁾ multiplies x₂ = 0 in this example
    assert np.array_equal(stepper.state.s[1], s_old) and np.array_equal(stepper.state.o[1], o_old)
    assert np.array_equal(stepper.state.G[1], G_old)
    stepper.edit_weight(1, 1, 1, 5.0)  # w_{2,1}⁽¹⁾ multiplies x₁ = 1: only s₂⁽¹⁾ and o₂⁽¹⁾ change
    assert stepper.state.s[1][0] == s_old[0] and stepper.state.s[1][1] != s_old[1]
    assert stepper.state.s[1][1] == 5.0 * 1.0 + stepper.state.W[1][1, 0]
    assert stepper.state.o[1][1] == o_old[1] and stepper.state.o[1][2] == np.tanh(stepper.state.s[1][1])
    # the G of examples 1 and 2 (computed with the old weights) is kept
    assert np.array_equal(stepper.state.G[1], G_old)


def test_history_restarts_at_the_edit():
    stepper = Stepper(xor())
    stepper.goto(20)
    stepper.edit_weight(2, 0, 1, -1.0)
    assert stepper.floor == 18  # the start of example 3
    stepper.goto(3)
    assert stepper.position == 18
    stepper.back()
    assert stepper.position == 18
    for _ in range(10):
        stepper.forward()
    first = [np.array(stepper.state.W[2])]
    stepper.goto(19)
    stepper.goto(28)
    assert np.array_equal(stepper.state.W[2], first[0]) and stepper.state.W[2][0, 1] == -1.0


def test_edit_between_two_update_steps_takes_effect_at_once():
    stepper = Stepper(xor())
    stepper.goto(37)  # W⁽¹⁾ updated; the update of W⁽²⁾ is next
    G, W1 = stepper.state.G[2], stepper.state.W[1]
    stepper.edit_weight(2, 0, 0, 1.0)
    assert stepper.position == 37 and np.array_equal(stepper.state.W[1], W1)  # nothing replayed
    stepper.forward()
    assert stepper.state.W[2][0, 0] == 1.0 - 0.5 * G[0, 0]


def test_edit_before_the_updates_recomputes_the_last_example_and_updates_with_it():
    stepper = Stepper(xor())
    stepper.goto(36)  # all four examples done; the updates are next
    G_before = stepper.state.G[2]
    stepper.edit_weight(2, 0, 0, 1.0)
    G = stepper.state.G[2]
    assert not np.array_equal(G, G_before)  # example 4's share of G⁽²⁾ uses the new weight
    stepper.forward()
    stepper.forward()
    assert stepper.state.W[2][0, 0] == 1.0 - 0.5 * G[0, 0]


def test_edit_right_after_an_examples_last_step_recomputes_that_example():
    spec = xor()
    stepper = Stepper(spec)
    stepper.goto(9)  # example 1 done (G⁽¹⁾ was the last step); example 2 is next
    stepper.edit_weight(2, 0, 0, 0.3)
    W = [np.array(w) for w in spec.weights]
    W[1][0, 0] = 0.3
    fresh = Stepper(spec.with_weights(W))
    fresh.goto(9)
    assert stepper.position == 9 and stepper.last.key == fresh.last.key
    for name in ("s", "o", "delta", "G"):
        for a, b in zip(getattr(stepper.state, name)[1:], getattr(fresh.state, name)[1:]):
            assert np.array_equal(a, b), name

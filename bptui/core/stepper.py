"""Walk the step schedule forward and back, one step at a time.

Every array the stepper makes is new and read-only, so a state is a handful of references and a
checkpoint costs nothing for the arrays it shares with the present. Going back restores the nearest
checkpoint at or before the target and replays the same step code forward, so the values are
bit-for-bit the ones first computed. Checkpoints sit at example boundaries and are thinned (every
other one dropped) whenever there are more than ``max_checkpoints``, which bounds both memory and
the replay a step back can cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Generic, Iterator, Sequence, Union

import numpy as np

from . import optim
from .network import Network
from .protocols import K, V
from .schedule import BACKWARD, FORWARD, LOSS, UPDATE, Schedule, StepKey
from .spec import NetworkSpec

if TYPE_CHECKING:
    from .protocols import Stepping


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _known(a: np.ndarray | None) -> np.ndarray:
    """A value the schedule has computed by the time a step reads it (s before o, o before ℓ, …)."""
    if a is None:  # pragma: no cover - the step order rules it out
        raise RuntimeError("a step read a value its schedule has not computed yet")
    return a


def _layer(key: StepKey) -> int:
    if key.layer is None:  # pragma: no cover - only the loss step has no layer
        raise ValueError(f"step {key.step} ({key.quantity}) has no layer")
    return key.layer


# W⁽⁰⁾ and G⁽⁰⁾ do not exist: index 0 of those lists holds this empty matrix, so that W[l] is W⁽ˡ⁾
NO_LAYER = _ro(np.zeros((0, 0)))


@dataclass
class State:
    """Everything on the lecture's blackboard at one moment (l indexes the lists directly)."""

    W: list[np.ndarray]  # W[l] for l = 1..L (index 0: NO_LAYER)
    G: list[np.ndarray]  # G[l]
    loss_D: float = 0.0  # ℓ_D so far in this epoch
    s: list[np.ndarray | None] = field(default_factory=list)  # s[l], None until computed for this example
    o: list[np.ndarray | None] = field(default_factory=list)  # o[0] = [1, x] … o[L]
    delta: list[np.ndarray | None] = field(default_factory=list)
    loss: float | None = None  # ℓ⁽ⁿ⁾ of the current example
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    # opt[l]: layer l's optimizer state (velocity, moments); opt[0] is an empty OptState
    opt: list[optim.OptState] = field(default_factory=list)
    # updates[l]: (the update Step that last wrote W[l], the G[l] it used), None before the first one;
    # kept so an explanation can show the last update of any weight with its exact numbers
    updates: list[tuple[NetworkStep, np.ndarray] | None] = field(default_factory=list)

    def copy(self) -> "State":
        return State(list(self.W), list(self.G), self.loss_D, list(self.s), list(self.o),
                     list(self.delta), self.loss, self.x, self.y, list(self.opt), list(self.updates))


@dataclass(frozen=True)
class Step(Generic[K, V]):
    """One executed step: where it stands, the value it produced and the value it replaced.

    Generic in its key and value: a network's steps are :data:`NetworkStep`, a graph's
    ``Step[GraphStepKey, float]``."""

    key: K
    value: V  # a network's: ndarray, or float for the loss; a graph's: float
    before: np.ndarray | None = None  # G before the increment, W before the update
    opt_before: optim.OptState | None = None  # update steps: the optimizer state before …
    opt: optim.OptState | None = None  # … and after the update


NetworkStep = Step[StepKey, Union[np.ndarray, float]]


class Stepper:
    """A network's stepper (see the module's docstring); satisfies :class:`~.protocols.Stepping`."""

    def __init__(self, spec: NetworkSpec, max_checkpoints: int = 64) -> None:
        self.spec = spec
        self.net = Network(spec)
        self.schedule = Schedule(spec.L, spec.N, spec.update, spec.batch_size, spec.shuffle_seed)
        self.max_checkpoints = max_checkpoints
        self.reset()

    # -- state ------------------------------------------------------------------------------------
    def reset(self, weights: Sequence[np.ndarray] | None = None,
              opt: Sequence[optim.OptState] | None = None) -> None:
        """Back to step 0 with the file's weights (or ``weights``, and optimizer state ``opt``, one
        per layer, as ``train`` returns them); history is forgotten."""
        L = self.spec.L
        W = [NO_LAYER] + [_ro(np.array(w, dtype=float)) for w in (weights or self.spec.weights)]
        G = [NO_LAYER] + [_ro(np.zeros_like(w)) for w in W[1:]]
        if opt is None:
            states = [optim.OptState()] + [self.spec.optimizer.init(w) for w in W[1:]]
        else:  # copied and read-only, like every array the stepper holds
            states = [optim.OptState()] + [
                optim.OptState(o.t, *(None if a is None else _ro(np.array(a, dtype=float)) for a in (o.m, o.v)))
                for o in opt]
        self.state = State(W, G, 0.0, [None] * (L + 1), [None] * (L + 1), [None] * (L + 1), opt=states,
                           updates=[None] * (L + 1))
        self.position = 0  # steps done; the next step is schedule.key(position)
        self.floor = 0  # history starts here (moves forward when a weight is edited)
        self.last: NetworkStep | None = None
        self._stride = 1  # keep checkpoints at boundaries whose number is a multiple of this
        self._checkpoints: dict[int, State] = {}
        self._latest: tuple[int, State] | None = None
        self._checkpoints[0] = self._fresh_example(self.state, 0)

    @property
    def next_key(self) -> StepKey:
        return self.schedule.key(self.position)

    @property
    def weights(self) -> list[np.ndarray]:
        return self.state.W[1:]

    # -- moving -----------------------------------------------------------------------------------
    def forward(self) -> NetworkStep:
        """Do the next step of the schedule and return it."""
        key = self.schedule.key(self.position)
        if key.example_start:
            self._at_boundary(key)
        self.last = self._apply(key)
        self.position += 1
        return self.last

    def back(self) -> None:
        """Undo one step (exact values restored)."""
        if self.position > self.floor:
            self.goto(self.position - 1)

    def goto(self, target: int) -> None:
        """Move to the state after ``target`` steps, replaying from the nearest checkpoint."""
        target = max(self.floor, target)
        if target >= self.position:
            while self.position < target:
                self.forward()
            return
        # restore strictly before the target (unless it is 0) so the last step is replayed too
        start, state = max(
            ((p, s) for p, s in self._candidates() if p < target or p == self.floor), key=lambda ps: ps[0]
        )
        self.state = state.copy()
        self.position = start
        self.last = None
        self._latest = (start, state)
        self._checkpoints = {p: s for p, s in self._checkpoints.items() if p <= start}
        replay_from = start
        while self.position < target:
            key = self.schedule.key(self.position)
            if key.example_start and self.position != replay_from:
                self._at_boundary(key)
            self.last = self._apply(key)
            self.position += 1

    def edit_weight(self, l: int, row: int, col: int, value: float) -> None:
        """Set w_{row+1,col}⁽ˡ⁾ to ``value`` now; what depends on it is recomputed, history restarts.

        Inside an example (or right after its last step) the edit takes effect from the example's
        first step, which is replayed up to where we are, so s, o, δ and this example's share of G
        use the new weight. After an update step (or at the very start) it takes effect at once. Steps before that point cannot be
        revisited: they were computed with the old weight.
        """
        target = self.position
        start = target
        if target > self.floor and self.schedule.key(target - 1).phase != UPDATE:
            # inside an example, or just after its last step: that example is recomputed
            start = target - 1
            while start > self.floor and not self.schedule.key(start).example_start:
                start -= 1
        self.goto(start)
        W = np.array(self.state.W[l])
        W[row, col] = value
        self.state.W[l] = _ro(W)
        self.floor = start
        self._checkpoints = {start: self.state.copy()}
        self._stride, self._latest, self.last = 1, None, None
        while self.position < target:
            self.last = self._apply(self.schedule.key(self.position))
            self.position += 1

    def run_until(self, stop: Callable[[NetworkStep], bool]) -> list[NetworkStep]:
        """Step forward until ``stop(step)`` is true for the step just done; returns the steps."""
        done = [self.forward()]
        while not stop(done[-1]):
            done.append(self.forward())
        return done

    # -- checkpoints ------------------------------------------------------------------------------
    def _candidates(self) -> Iterator[tuple[int, State]]:
        yield from self._checkpoints.items()
        if self._latest is not None:
            yield self._latest

    def _boundary_number(self, position: int) -> int:
        """How many example starts lie before ``position`` (its own included if it is one)."""
        sch = self.schedule
        epoch, r = divmod(position, sch.steps_per_epoch)
        g = min(r // sch.full_group_steps, sch.n_groups - 1)
        offset = r - g * sch.full_group_steps
        inside = min(offset // sch.per_example, min(sch.group_size, sch.N - g * sch.group_size))
        return epoch * sch.N + g * sch.group_size + inside

    def _fresh_example(self, state: State, position: int) -> State:
        snap = state.copy()
        L = self.spec.L
        snap.s, snap.o, snap.delta = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1)
        snap.loss = None
        return snap

    def _at_boundary(self, key: StepKey) -> None:
        """Called before the first step of an example: remember the state there."""
        position = key.step - 1
        number = self._boundary_number(position)
        self._latest = (position, self.state.copy())
        if number % self._stride == 0:
            self._checkpoints[position] = self._latest[1]
            if len(self._checkpoints) > self.max_checkpoints:
                self._stride *= 2
                self._checkpoints = {
                    p: s for p, s in self._checkpoints.items()
                    if p == self.floor or self._boundary_number(p) % self._stride == 0
                }

    # -- the step code ----------------------------------------------------------------------------
    def _apply(self, key: StepKey) -> NetworkStep:
        st, net, spec, L = self.state, self.net, self.spec, self.spec.L
        if key.example_start:
            if key.group_start:
                st.G = [NO_LAYER] + [_ro(np.zeros_like(w)) for w in st.W[1:]]
            if key.epoch_start:
                st.loss_D = 0.0
            assert key.example is not None  # an example's first step names it
            n = key.example - 1
            st.x, st.y = spec.inputs[n], spec.targets[n]
            st.s, st.delta = [None] * (L + 1), [None] * (L + 1)
            st.o = [_ro(np.concatenate([[1.0], spec.inputs[n]]))] + [None] * L
            st.loss = None
        before: np.ndarray | None = None
        opt_before = opt_after = None
        value: np.ndarray | float
        if key.phase == LOSS:
            value = st.loss = float(net.example_loss(_known(st.s[L]), _known(st.o[L]), _known(st.y)))
            st.loss_D += value
            return Step(key, value)
        l = _layer(key)
        if key.phase == FORWARD and key.quantity == "s":
            value = st.s[l] = _ro(st.W[l] @ _known(st.o[l - 1]))
        elif key.phase == FORWARD:
            value = st.o[l] = _ro(net.activation_out(l, _known(st.s[l])))
        elif key.phase == BACKWARD and key.quantity == "delta":
            if l == L:
                value = _ro(net.output_delta(_known(st.s[L]), _known(st.o[L]), _known(st.y)))
            else:
                value = _ro(net.hidden_delta(l, st.W[l + 1], _known(st.delta[l + 1]), _known(st.s[l]),
                                             _known(st.o[l])))
            st.delta[l] = value
        elif key.phase == BACKWARD:
            before = st.G[l]
            value = st.G[l] = _ro(before + np.outer(_known(st.delta[l]), _known(st.o[l - 1])))
        elif key.phase == UPDATE:
            before, opt_before = st.W[l], st.opt[l]
            W_new, opt_after = optim.update(spec.optimizer, before, st.G[l], opt_before)
            for a in opt_after.arrays().values():
                _ro(a)
            value = st.W[l] = _ro(W_new)
            st.opt[l] = opt_after
        else:  # pragma: no cover - the schedule has no other phases
            raise ValueError(key)
        step: NetworkStep = Step(key, value, before, opt_before, opt_after)
        if key.phase == UPDATE:
            st.updates[l] = (step, st.G[l])
        return step


if TYPE_CHECKING:
    def _steps(stepper: Stepper) -> Stepping[StepKey, np.ndarray | float]:
        return stepper  # mypy checks here that a Stepper is Stepping

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

import numpy as np

from . import optim
from .network import Network
from .schedule import BACKWARD, FORWARD, LOSS, UPDATE, Schedule, StepKey
from .spec import NetworkSpec


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass
class State:
    """Everything on the lecture's blackboard at one moment (l indexes the lists directly)."""

    W: list  # W[l] for l = 1..L (index 0 unused)
    G: list  # G[l]
    loss_D: float = 0.0  # ℓ_D so far in this epoch
    s: list = field(default_factory=list)  # s[l], None until computed for this example
    o: list = field(default_factory=list)  # o[0] = [1, x] … o[L]
    delta: list = field(default_factory=list)
    loss: float | None = None  # ℓ⁽ⁿ⁾ of the current example
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    opt: list = field(default_factory=list)  # opt[l]: layer l's optimizer state (velocity, moments)
    # updates[l]: (the update Step that last wrote W[l], the G[l] it used), None before the first one;
    # kept so an explanation can show the last update of any weight with its exact numbers
    updates: list = field(default_factory=list)

    def copy(self) -> "State":
        return State(list(self.W), list(self.G), self.loss_D, list(self.s), list(self.o),
                     list(self.delta), self.loss, self.x, self.y, list(self.opt), list(self.updates))


@dataclass(frozen=True)
class Step:
    """One executed step: where it stands, the value it produced and the value it replaced."""

    key: StepKey
    value: object  # ndarray, or float for the loss
    before: object = None  # G before the increment, W before the update
    opt_before: optim.OptState | None = None  # update steps: the optimizer state before …
    opt: optim.OptState | None = None  # … and after the update


class Stepper:
    def __init__(self, spec: NetworkSpec, max_checkpoints: int = 64) -> None:
        self.spec = spec
        self.net = Network(spec)
        self.schedule = Schedule(spec.L, spec.N, spec.update, spec.batch_size, spec.shuffle_seed)
        self.max_checkpoints = max_checkpoints
        self.reset()

    # -- state ------------------------------------------------------------------------------------
    def reset(self, weights=None, opt=None) -> None:
        """Back to step 0 with the file's weights (or ``weights``, and optimizer state ``opt``, one
        per layer, as ``train`` returns them); history is forgotten."""
        L = self.spec.L
        W = [None] + [_ro(np.array(w, dtype=float)) for w in (weights or self.spec.weights)]
        G = [None] + [_ro(np.zeros_like(w)) for w in W[1:]]
        if opt is None:
            opt = [None] + [self.spec.optimizer.init(w) for w in W[1:]]
        else:  # copied and read-only, like every array the stepper holds
            opt = [None] + [optim.OptState(o.t, *(None if a is None else _ro(np.array(a, dtype=float)) for a in (o.m, o.v)))
                            for o in opt]
        self.state = State(W, G, 0.0, [None] * (L + 1), [None] * (L + 1), [None] * (L + 1), opt=opt,
                           updates=[None] * (L + 1))
        self.position = 0  # steps done; the next step is schedule.key(position)
        self.floor = 0  # history starts here (moves forward when a weight is edited)
        self.last: Step | None = None
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
    def forward(self) -> Step:
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

    def run_until(self, stop) -> list[Step]:
        """Step forward until ``stop(step)`` is true for the step just done; returns the steps."""
        done = [self.forward()]
        while not stop(done[-1]):
            done.append(self.forward())
        return done

    # -- checkpoints ------------------------------------------------------------------------------
    def _candidates(self):
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
    def _apply(self, key: StepKey) -> Step:
        st, net, spec, L = self.state, self.net, self.spec, self.spec.L
        l = key.layer
        if key.example_start:
            if key.group_start:
                st.G = [None] + [_ro(np.zeros_like(w)) for w in st.W[1:]]
            if key.epoch_start:
                st.loss_D = 0.0
            n = key.example - 1
            st.x, st.y = spec.inputs[n], spec.targets[n]
            st.s, st.delta = [None] * (L + 1), [None] * (L + 1)
            st.o = [_ro(np.concatenate([[1.0], st.x]))] + [None] * L
            st.loss = None
        before = opt_before = opt_after = None
        if key.phase == FORWARD and key.quantity == "s":
            value = st.s[l] = _ro(st.W[l] @ st.o[l - 1])
        elif key.phase == FORWARD:
            value = st.o[l] = _ro(net.activation_out(l, st.s[l]))
        elif key.phase == LOSS:
            value = st.loss = float(net.example_loss(st.s[L], st.o[L], st.y))
            st.loss_D += value
        elif key.phase == BACKWARD and key.quantity == "delta":
            if l == L:
                value = _ro(net.output_delta(st.s[L], st.o[L], st.y))
            else:
                value = _ro(net.hidden_delta(l, st.W[l + 1], st.delta[l + 1], st.s[l], st.o[l]))
            st.delta[l] = value
        elif key.phase == BACKWARD:
            before = st.G[l]
            value = st.G[l] = _ro(before + np.outer(st.delta[l], st.o[l - 1]))
        elif key.phase == UPDATE:
            before, opt_before = st.W[l], st.opt[l]
            W_new, opt_after = optim.update(spec.optimizer, before, st.G[l], opt_before)
            for a in opt_after.arrays().values():
                _ro(a)
            value = st.W[l] = _ro(W_new)
            st.opt[l] = opt_after
        else:  # pragma: no cover - the schedule has no other phases
            raise ValueError(key)
        step = Step(key, value, before, opt_before, opt_after)
        if key.phase == UPDATE:
            st.updates[l] = (step, st.G[l])
        return step

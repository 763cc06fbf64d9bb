"""The step schedule: the one definition of what each keypress computes, in which order.

The TUI, ``bptui trace``, the exports and the tests all walk this same sequence.

For each example n: for l = 1..L, ``s⁽ˡ⁾`` then ``o⁽ˡ⁾``; then the loss ℓ⁽ⁿ⁾; then ``δ⁽ᴸ⁾``,
``G⁽ᴸ⁾``, and for l = L−1..1, ``δ⁽ˡ⁾``, ``G⁽ˡ⁾``. After the last example of an update group, one
update step per layer, l = 1..L. An epoch is a list of update groups of ``group_size`` examples
(the last one may be smaller): ``full_batch`` has one group of all N examples, ``per_example`` a
group per example, ``mini_batch`` groups of k. The examples come in data order, or, with a
``shuffle_seed``, in the order ``np.random.default_rng([shuffle_seed, epoch]).permutation(N)``,
drawn anew every epoch. Only which example sits in a slot depends on the epoch; the positions of
the steps do not.

A recurrent network (a layer of a kind over time; its examples are sequences of lengths T⁽ⁿ⁾) steps
through time: forward, for τ = 1..T, each layer a sequence flows into (dense layers per time step,
recurrent layers, stacked) bottom-up, ``s⁽ˡ⁾_τ`` then ``o⁽ˡ⁾_τ``; the layers above a many-to-one
recurrent layer once on its o_T; the loss; backward, the layers that run once from the top, then each
per-time layer from the top, each for τ = T..1, ``δ⁽ˡ⁾_τ`` then ``G⁽ˡ⁾`` (G accumulates over τ). These
steps carry their ``time`` τ. An example's number of steps
depends on its length, so the positions of the steps are computed from the lengths, and with a
``shuffle_seed`` they depend on the epoch (which example comes first decides where the next one
starts); the number of steps in an epoch does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from .kind import timed_layers
from .wiring import backward_order, forward_order

FORWARD, LOSS, BACKWARD, UPDATE = "forward", "loss", "backward", "update"


@dataclass(frozen=True)
class StepKey:
    """Where a step stands: 1-based ``step``, ``epoch`` and ``example`` (None for updates)."""

    step: int
    epoch: int
    example: int | None  # which example of the data (1-based), whatever slot it is shuffled to
    phase: str
    quantity: str  # s | o | loss | delta | G | W
    layer: int | None
    group_start: bool = False  # the first step of an update group (G is zeroed before it)
    example_start: bool = False  # the first step of an example
    group: int = 1  # 1-based update group within the epoch
    epoch_start: bool = False  # the first step of an epoch (ℓ_D is zeroed before it)
    time: int | None = None  # the time step τ (1-based) of a recurrent network's step at one τ


@dataclass(frozen=True, eq=False)
class Follows:
    """What an update follows: all N examples, example n, or mini-batch k of M (one update group)."""

    N: int  # examples in the data
    indices: np.ndarray  # the group's 0-based examples, in the order they are stepped (a read-only view)
    group: int  # 1-based group within the epoch
    n_groups: int
    group_size: int  # examples per group (the last one may have fewer)

    @property
    def examples(self) -> tuple[int, ...]:
        """The group's 1-based examples, in the order they are stepped."""
        return tuple(int(n) + 1 for n in self.indices)

    @property
    def first(self) -> int:
        """The group's first example (1-based)."""
        return int(self.indices[0]) + 1

    def text(self, preposition: str = "after") -> str:
        """``after all 4 examples``, ``after example 3``, ``after mini-batch 2 of 5``."""
        if self.group_size == 1:
            return f"{preposition} example {self.first}"
        if self.n_groups == 1:
            return f"{preposition} all {self.N} examples"
        return f"{preposition} mini-batch {self.group} of {self.n_groups}"


def example_block(L: int, kinds: Sequence[Any] | None = None) -> list[tuple[str, str, int | None]]:
    """The (phase, quantity, layer) of one example's steps, forward then loss then backward.

    ``kinds`` (layers 1..L, :mod:`~bptui.core.kinds`) says what each layer computes: its
    ``block_forward()`` (``s``, ``o``; a pooling layer only ``o``) and ``block_backward()`` (``delta``,
    ``G``; a pooling layer only ``delta``, which is then ∂ℓ/∂o⁽ˡ⁾). Without it every layer is dense."""
    block: list[tuple[str, str, int | None]] = []
    # 1..L and back, or along a residual block's wires: its inner layers before the block itself, both ways
    for l in forward_order(kinds or (), L):
        forward = kinds[l - 1].block_forward() if kinds else ["s", "o"]
        block += [(FORWARD, q, l) for q in forward]
    block.append((LOSS, "loss", None))
    for l in backward_order(kinds or (), L):
        backward = kinds[l - 1].block_backward() if kinds else ["delta", "G"]
        block += [(BACKWARD, q, l) for q in backward]
    return block


def sequence_runs(kinds: Sequence[Any], order: Sequence[int]) -> list[tuple[list[int], bool]]:
    """The per-τ layers of ``order`` (the wiring's forward or backward order) in runs, each (its layers,
    whether it runs over the whole sequence at once). A layer that mixes time steps (``mixes_time``) and a
    block with one inside (its o and ∂ℓ/∂x read F's whole sequence) split the per-τ layers: each run is
    stepped τ by τ, such a layer, a run of its own, over the whole sequence at once (its steps have no τ).
    One truth for the schedule (:func:`sequence_block`) and bptui/codegen/."""
    timed = timed_layers(kinds)
    whole = {l for l in range(1, len(kinds) + 1)
             if any(kinds[m - 1].mixes_time for m in range(l, l + 1 + kinds[l - 1].span))}
    out: list[tuple[list[int], bool]] = [([], False)]
    for l in order:
        if not timed[l - 1]:
            continue
        if l in whole:
            out += [([l], True), ([], False)]
        else:
            out[-1][0].append(l)
    return [r for r in out if r[0]]


def sequence_block(L: int, T: int, kinds: Sequence[Any]) -> list[tuple[str, str, int | None, int | None]]:
    """The (phase, quantity, layer, time) of one sequence's steps, for a network with a kind over time
    (``kinds``, layers 1..L), on a sequence of T steps: forward, for τ = 1..T, each layer that runs at
    each time step (``kind.timed_layers``), bottom-up; then the layers that run once; the loss; backward,
    the layers that run once from the top, then each per-time layer from the top, each for τ = T..1."""
    timed = timed_layers(kinds)
    once = [l for l in range(1, L + 1) if not timed[l - 1]]
    block: list[tuple[str, str, int | None, int | None]] = []
    for run, at_once in sequence_runs(kinds, forward_order(kinds, L)):
        for t in [None] if at_once else range(1, T + 1):
            for l in run:
                block += [(FORWARD, q, l, t) for q in kinds[l - 1].block_forward()]
    for l in once:
        block += [(FORWARD, q, l, None) for q in kinds[l - 1].block_forward()]
    block.append((LOSS, "loss", None, None))
    for l in reversed(once):
        block += [(BACKWARD, q, l, None) for q in kinds[l - 1].block_backward()]
    for run, at_once in sequence_runs(kinds, backward_order(kinds, L)):
        for l in run:
            for t in [None] if at_once else range(T, 0, -1):
                block += [(BACKWARD, q, l, t) for q in kinds[l - 1].block_backward()]
    return block


def group_size_for(update: str, N: int, batch_size: int | None = None) -> int:
    """Examples per update group: N for full_batch, 1 for per_example, k (at most N) for mini_batch."""
    if update == "full_batch":
        return N
    if update == "per_example":
        return 1
    if update == "mini_batch" and batch_size:
        return min(int(batch_size), N)
    raise ValueError(f"unknown update mode {update!r}")


def epoch_order(N: int, epoch: int, shuffle_seed: int | None) -> np.ndarray:
    """The 0-based example order of a 1-based ``epoch``: data order, or a seeded permutation."""
    if shuffle_seed is None:
        return np.arange(N)
    return np.random.default_rng([int(shuffle_seed), int(epoch)]).permutation(N)


class Schedule:
    """Random access to the steps of a network with L layers, N examples and an update mode."""

    def __init__(self, L: int, N: int, update: str = "full_batch", batch_size: int | None = None,
                 shuffle_seed: int | None = None, kinds: Sequence[Any] | None = None,
                 lengths: Sequence[int] | np.ndarray | None = None) -> None:
        self.L, self.N, self.update = L, N, update
        self.shuffle_seed = shuffle_seed
        self.group_size = group_size_for(update, N, batch_size)
        self.block = example_block(L, kinds)
        self.per_example = len(self.block)  # 4L + 1 for dense layers
        # the layers an update step changes: all of them, but a pooling layer (it has no weights)
        self.updated = [l for l in range(1, L + 1) if not kinds or kinds[l - 1].has_weights]
        U = len(self.updated)
        self.n_groups = -(-N // self.group_size)
        self.full_group_steps = self.group_size * self.per_example + U
        last = N - (self.n_groups - 1) * self.group_size
        self.steps_per_epoch = (self.n_groups - 1) * self.full_group_steps + last * self.per_example + U
        self._order: tuple[int, np.ndarray] | None = None
        # sequences: each example's block from its length; the slots' positions per epoch
        self.lengths = None if lengths is None else np.asarray(lengths, dtype=int)
        if self.lengths is not None:
            assert kinds, "a sequence schedule asks its layers' kinds"
            self.blocks = {int(T): sequence_block(L, int(T), kinds) for T in np.unique(self.lengths)}
            self.sizes = np.array([len(self.blocks[int(T)]) for T in self.lengths], dtype=int)
            self.steps_per_epoch = int(self.sizes.sum()) + self.n_groups * U
            self._layout: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:  # steps in one epoch
        return self.steps_per_epoch

    def groups(self, epoch: int) -> list[np.ndarray]:
        """The 0-based example indices of each update group of a 1-based ``epoch``."""
        order = self.order(epoch)
        return [order[a:a + self.group_size] for a in range(0, self.N, self.group_size)]

    def order(self, epoch: int) -> np.ndarray:
        """The 0-based examples of a 1-based ``epoch`` in the order the steps visit them."""
        if self._order is None or self._order[0] != epoch:
            order = epoch_order(self.N, epoch, self.shuffle_seed)
            order.flags.writeable = False  # handed out as views (Follows.indices)
            self._order = (epoch, order)
        return self._order[1]

    def layout(self, epoch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A sequence schedule's positions in a 1-based ``epoch``: where each slot's steps start,
        where each group starts, and where each group's updates start (offsets within the epoch)."""
        if self._layout is None or self._layout[0] != epoch:
            k, U = self.group_size, len(self.updated)
            cum = np.concatenate([[0], np.cumsum(self.sizes[self.order(epoch)])])
            slots = cum[:-1] + (np.arange(self.N) // k) * U
            g = np.arange(self.n_groups)
            self._layout = (epoch, slots, cum[g * k] + g * U, cum[np.minimum((g + 1) * k, self.N)] + g * U)
        return self._layout[1], self._layout[2], self._layout[3]

    def _sequence_key(self, i: int) -> StepKey:
        epoch, r = divmod(i, self.steps_per_epoch)
        slots, groups, updates = self.layout(epoch + 1)
        g = int(np.searchsorted(groups, r, side="right")) - 1
        if r >= updates[g]:
            return StepKey(i + 1, epoch + 1, None, UPDATE, "W", self.updated[r - int(updates[g])], group=g + 1)
        slot = int(np.searchsorted(slots, r, side="right")) - 1
        n = int(self.order(epoch + 1)[slot])
        assert self.lengths is not None
        j = r - int(slots[slot])
        phase, quantity, layer, time = self.blocks[int(self.lengths[n])][j]
        return StepKey(i + 1, epoch + 1, n + 1, phase, quantity, layer, group_start=bool(r == groups[g]),
                       example_start=j == 0, group=g + 1, epoch_start=r == 0, time=time)

    def examples_before(self, position: int) -> int:
        """How many example starts lie before ``position`` (its own included if it is one)."""
        epoch, r = divmod(position, self.steps_per_epoch)
        if self.lengths is not None:
            slots = self.layout(epoch + 1)[0]
            return epoch * self.N + int(np.searchsorted(slots, r, side="left"))
        g = min(r // self.full_group_steps, self.n_groups - 1)
        offset = r - g * self.full_group_steps
        inside = min(offset // self.per_example, min(self.group_size, self.N - g * self.group_size))
        return epoch * self.N + g * self.group_size + inside

    def key(self, i: int) -> StepKey:
        """The step at 0-based position ``i`` (any epoch)."""
        if self.lengths is not None:
            return self._sequence_key(i)
        epoch, r = divmod(i, self.steps_per_epoch)
        g = min(r // self.full_group_steps, self.n_groups - 1)
        offset = r - g * self.full_group_steps
        size = min(self.group_size, self.N - g * self.group_size)
        if offset < size * self.per_example:
            k, j = divmod(offset, self.per_example)
            phase, quantity, layer = self.block[j]
            slot = g * self.group_size + k
            n = slot if self.shuffle_seed is None else int(self.order(epoch + 1)[slot])
            return StepKey(i + 1, epoch + 1, n + 1, phase, quantity, layer,
                           group_start=offset == 0, example_start=j == 0, group=g + 1, epoch_start=r == 0)
        layer = self.updated[offset - size * self.per_example]
        return StepKey(i + 1, epoch + 1, None, UPDATE, "W", layer, group=g + 1)

    def example_keys(self, i: int) -> list[StepKey]:
        """The steps from an example's first, at position ``i``, up to the next example's first: its block
        (``key`` of each, the block read once for them all) and, after its group's last example, the
        group's updates."""
        first = self.key(i)
        assert first.example_start and first.example is not None, first
        keys = [first]
        if self.lengths is not None:
            block = self.blocks[int(self.lengths[first.example - 1])]
            keys += [StepKey(i + 1 + j, first.epoch, first.example, phase, quantity, layer, group=first.group, time=time)
                     for j, (phase, quantity, layer, time) in enumerate(block[1:], 1)]
        else:
            keys += [self.key(p) for p in range(i + 1, i + self.per_example)]
        p = i + len(keys)
        while not (key := self.key(p)).example_start:
            keys.append(key)
            p += 1
        return keys

    def follows(self, epoch: int, group: int) -> Follows:
        """The examples of update group ``group`` of a 1-based ``epoch``: what its update follows."""
        a = (group - 1) * self.group_size
        return Follows(self.N, self.order(epoch)[a:a + self.group_size], group, self.n_groups, self.group_size)

    def group_start(self, i: int) -> int:
        """The 0-based position of the first step of the update group that step ``i`` belongs to."""
        epoch, r = divmod(i, self.steps_per_epoch)
        if self.lengths is not None:
            groups = self.layout(epoch + 1)[1]
            return epoch * self.steps_per_epoch + int(groups[int(np.searchsorted(groups, r, side="right")) - 1])
        g = min(r // self.full_group_steps, self.n_groups - 1)
        return epoch * self.steps_per_epoch + g * self.full_group_steps

    def steps(self, epochs: int = 1) -> Iterator[StepKey]:
        for i in range(epochs * self.steps_per_epoch):
            yield self.key(i)

    def epoch_start(self, i: int) -> int:
        return i - i % self.steps_per_epoch

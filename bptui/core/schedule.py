"""The step schedule: the one definition of what each keypress computes, in which order.

The TUI, ``bptui trace``, the exports and the tests all walk this same sequence.

For each example n: for l = 1..L, ``s⁽ˡ⁾`` then ``o⁽ˡ⁾``; then the loss ℓ⁽ⁿ⁾; then ``δ⁽ᴸ⁾``,
``G⁽ᴸ⁾``, and for l = L−1..1, ``δ⁽ˡ⁾``, ``G⁽ˡ⁾``. After the last example of an update group, one
update step per layer, l = 1..L. ``full_batch`` has one group per epoch (all N examples);
``per_example`` a group per example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

FORWARD, LOSS, BACKWARD, UPDATE = "forward", "loss", "backward", "update"


@dataclass(frozen=True)
class StepKey:
    """Where a step stands: 1-based ``step``, ``epoch`` and ``example`` (None for updates)."""

    step: int
    epoch: int
    example: int | None
    phase: str
    quantity: str  # s | o | loss | delta | G | W
    layer: int | None
    group_start: bool = False  # the first step of an update group (G is zeroed before it)
    example_start: bool = False  # the first step of an example


def example_block(L: int) -> list[tuple[str, str, int | None]]:
    """The (phase, quantity, layer) of one example's steps, forward then loss then backward."""
    block: list[tuple[str, str, int | None]] = []
    for l in range(1, L + 1):
        block += [(FORWARD, "s", l), (FORWARD, "o", l)]
    block.append((LOSS, "loss", None))
    for l in range(L, 0, -1):
        block += [(BACKWARD, "delta", l), (BACKWARD, "G", l)]
    return block


class Schedule:
    """Random access to the steps of a network with L layers, N examples and an update mode."""

    def __init__(self, L: int, N: int, update: str = "full_batch") -> None:
        self.L, self.N, self.update = L, N, update
        self.group_size = N if update == "full_batch" else 1
        self.block = example_block(L)
        self.per_example = len(self.block)  # 4L + 1
        self.n_groups = -(-N // self.group_size)
        self.full_group_steps = self.group_size * self.per_example + L
        last = N - (self.n_groups - 1) * self.group_size
        self.steps_per_epoch = (self.n_groups - 1) * self.full_group_steps + last * self.per_example + L

    def __len__(self) -> int:  # steps in one epoch
        return self.steps_per_epoch

    def key(self, i: int) -> StepKey:
        """The step at 0-based position ``i`` (any epoch)."""
        epoch, r = divmod(i, self.steps_per_epoch)
        g = min(r // self.full_group_steps, self.n_groups - 1)
        offset = r - g * self.full_group_steps
        size = min(self.group_size, self.N - g * self.group_size)
        if offset < size * self.per_example:
            k, j = divmod(offset, self.per_example)
            phase, quantity, layer = self.block[j]
            return StepKey(i + 1, epoch + 1, g * self.group_size + k + 1, phase, quantity, layer,
                           group_start=offset == 0, example_start=j == 0)
        layer = offset - size * self.per_example + 1
        return StepKey(i + 1, epoch + 1, None, UPDATE, "W", layer)

    def steps(self, epochs: int = 1) -> Iterator[StepKey]:
        for i in range(epochs * self.steps_per_epoch):
            yield self.key(i)

    def epoch_start(self, i: int) -> int:
        return i - i % self.steps_per_epoch

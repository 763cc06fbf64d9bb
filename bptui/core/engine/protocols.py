"""What views and commands may rely on of "something that steps" and of "a step key".

A network's :class:`~bptui.core.engine.stepper.Stepper` and a graph's
:class:`~bptui.core.graphs.graph_stepper.GraphStepper` both satisfy :class:`Stepping`; their keys
(:class:`~bptui.core.engine.schedule.StepKey`, :class:`~bptui.core.graphs.graph_stepper.GraphStepKey`) both satisfy
:class:`StepKeyLike`. Code that serves both reads only these members; anything else (a network key's
``epoch`` and ``layer``, a graph key's ``node``) is read after telling the two apart, by
``spec.kind`` or ``isinstance``, never by ``getattr`` with a default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator, Protocol, Sequence, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from ..graphs.graph import GraphSpec
    from .netspec import NetworkSpec
    from .stepper import Step


@runtime_checkable
class StepKeyLike(Protocol):
    """Where a step stands (its 1-based ``step``) and what it computes."""

    @property
    def step(self) -> int: ...

    @property
    def phase(self) -> str: ...  # forward | loss | backward | update; forward | reverse for graphs

    @property
    def quantity(self) -> str: ...  # s | o | loss | delta | G | W; value | adjoint for graphs


K = TypeVar("K", bound=StepKeyLike, covariant=True)
V = TypeVar("V", covariant=True)


class ScheduleLike(Protocol[K]):
    """Random access to the steps: ``len`` steps (an epoch, or a graph's two passes), ``key(i)``."""

    def __len__(self) -> int: ...

    def key(self, i: int) -> K: ...

    def steps(self, epochs: int = 1) -> Iterator[K]: ...


@runtime_checkable
class Stepping(Protocol[K, V]):
    """Something that steps: a spec, its schedule, the state on the blackboard, how many steps are
    done (``position``) and the last one, and the moves."""

    @property
    def spec(self) -> NetworkSpec | GraphSpec: ...

    @property
    def schedule(self) -> ScheduleLike[K]: ...

    @property
    def state(self) -> object: ...

    @property
    def position(self) -> int: ...

    @property
    def last(self) -> Step[K, V] | None: ...

    def forward(self) -> Step[K, V]:
        """Do the next step and return it."""
        ...

    def back(self) -> None:
        """Undo one step."""
        ...

    def goto(self, target: int) -> None:
        """Move to the state after ``target`` steps."""
        ...

    def run_until(self, stop: Callable[[Step[K, V]], bool]) -> Sequence[Step[K, V]]:
        """Step forward until ``stop(step)`` holds for the step just done."""
        ...

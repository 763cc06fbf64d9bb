"""Reverse-mode automatic differentiation on a computation graph, one step at a time.

The schedule (defined here, once): forward, one step per node in computing order (its ``value``);
reverse, one step per adjoint — ``g_y = 1`` for the output first, then every other node latest
first, then the inputs in the file's order (their adjoints are the gradient). The TUI, ``bptui
trace`` and the tests all walk these steps. Graphs are tiny, so going back recomputes from the
start with the same code: the values are bit-for-bit the ones first shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from ..formulas.formula import Equation, Node, Num, Partial, Ref, TextPrinter, add, group, mul, substitute
from .graph import GraphSpec, adjoint, adjoint_sym, adjoint_terms, arg_nodes, name_sym, node_value
from .graph_ops import OPS
from ..engine.stepper import Step

if TYPE_CHECKING:
    from ..engine.protocols import Stepping

FORWARD, REVERSE = "forward", "reverse"


@dataclass(frozen=True)
class GraphStepKey:
    """Where a step stands (a :class:`~.protocols.StepKeyLike`) and the ``node`` it computes. A graph
    has no epochs, examples or layers: its key has no such fields."""

    step: int  # 1-based
    phase: str  # forward | reverse
    quantity: str  # value | adjoint
    node: str  # the node's (or input's) name


GraphStep = Step[GraphStepKey, float]


class GraphSchedule:
    """The steps of one forward and one reverse pass over ``spec``."""

    def __init__(self, spec: GraphSpec) -> None:
        plan = [(FORWARD, "value", name) for name in spec.forward_order]
        plan += [(REVERSE, "adjoint", name) for name in spec.reverse_order]
        self.keys = tuple(GraphStepKey(i + 1, phase, quantity, name) for i, (phase, quantity, name) in enumerate(plan))
        self.n_forward = len(spec.nodes)

    def __len__(self) -> int:
        return len(self.keys)

    def key(self, i: int) -> GraphStepKey:
        if not 0 <= i < len(self.keys):
            raise IndexError(f"step {i + 1} of {len(self.keys)}")
        return self.keys[i]

    def steps(self, epochs: int = 1) -> Iterator[GraphStepKey]:
        return iter(self.keys)


@dataclass
class GraphState:
    """What is on the blackboard: each name's value and adjoint, None until its step is done."""

    values: dict[str, float | None]  # inputs are known from the start
    adjoints: dict[str, float | None]

    @classmethod
    def start(cls, spec: GraphSpec) -> "GraphState":
        values: dict[str, float | None] = {name: np.float64(v) for name, v in spec.inputs}
        values.update({n.name: None for n in spec.nodes})
        return cls(values, {name: None for name in spec.reverse_order})


class GraphStepper:
    """Same shape as :class:`~bptui.core.engine.stepper.Stepper` (both are :class:`~.protocols.Stepping`):
    forward(), back(), goto(i), run_until(stop), position, last."""

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.schedule = GraphSchedule(spec)
        self.reset()

    def reset(self) -> None:
        self.state = GraphState.start(self.spec)
        self.position = 0  # steps done
        self.last: GraphStep | None = None

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.schedule)

    @property
    def next_key(self) -> GraphStepKey | None:
        return None if self.at_end else self.schedule.key(self.position)

    @property
    def gradient(self) -> dict[str, float | None]:
        """∂output/∂input for every input (None until its step is done)."""
        return {name: self.state.adjoints[name] for name in self.spec.input_names}

    def forward(self) -> GraphStep:
        """Do the next step and return it; IndexError after the last one."""
        key = self.schedule.key(self.position)
        self.last = self._apply(key)
        self.position += 1
        return self.last

    def back(self) -> None:
        if self.position > 0:
            self.goto(self.position - 1)

    def goto(self, target: int) -> None:
        """Move to the state after ``target`` steps (clamped to the schedule)."""
        target = max(0, min(target, len(self.schedule)))
        if target < self.position:
            self.reset()
        while self.position < target:
            self.forward()

    def run_until(self, stop: Callable[[GraphStep], bool]) -> list[GraphStep]:
        done = [self.forward()]
        while not stop(done[-1]) and not self.at_end:
            done.append(self.forward())
        return done

    def _apply(self, key: GraphStepKey) -> GraphStep:
        st = self.state
        value: float
        if key.phase == FORWARD:
            value = st.values[key.node] = node_value(self.spec.by_name[key.node], st.values)
        else:
            value = st.adjoints[key.node] = adjoint(self.spec, st.values, st.adjoints, key.node)
        return Step(key, value)


if TYPE_CHECKING:
    def _steps(stepper: GraphStepper) -> Stepping[GraphStepKey, float]:
        return stepper  # mypy checks here that a GraphStepper is Stepping


# -- equations --------------------------------------------------------------------------------------
def _known(x: float | None) -> float:
    """A value the step being written has already computed."""
    assert x is not None
    return float(x)


def value_equation(spec: GraphSpec, state: GraphState, name: str) -> Equation:
    """``a = x·z = 2·3 = 6``: a node's op on its arguments' names, then on their values."""
    node = spec.by_name[name]
    op = OPS[node.op]
    args = arg_nodes(node)
    env: dict = {name_sym(a): state.values[a] for a in node.args if isinstance(a, str)}
    numbers: dict = {name_sym(a): Num(_known(state.values[a]), Ref("value", node=a))
                     for a in node.args if isinstance(a, str)}
    rhs = op.tree(args)
    value = state.values[name]
    return Equation(name_sym(name), (rhs, substitute(rhs, numbers), Num(_known(value), Ref("value", node=name))),
                    bindings=env)


def adjoint_equation(spec: GraphSpec, state: GraphState, name: str) -> Equation:
    """``g_b = g_e·(−a/b²) + g_c·cos(b) = … = −12.36``: the sum over ``name``'s consumers of the
    consumer's adjoint times the local derivative, with the numbers, each term's value, the sum."""
    value = state.adjoints[name]
    result = Num(_known(value), Ref("adjoint", node=name))
    lhs = adjoint_sym(name)
    if name == spec.output:
        top = Partial(name_sym(name), name_sym(name))
        return Equation(lhs, (top, result), bindings={top: 1.0})
    terms = adjoint_terms(spec, state.values, state.adjoints, name)
    if not terms:
        return Equation(lhs, (result,), note=f"{name} is not used")
    symbolic: list[Node] = []
    env: dict = {}
    numbers: dict = {}
    for t in terms:
        node = spec.by_name[t.consumer]
        args = arg_nodes(node)
        symbolic.append(mul(adjoint_sym(t.consumer), group(OPS[node.op].dtree(t.arg, args))))
        env[adjoint_sym(t.consumer)] = t.adjoint
        numbers[adjoint_sym(t.consumer)] = Num(float(t.adjoint), Ref("adjoint", node=t.consumer))
        for a in node.args:
            if isinstance(a, str):
                env[name_sym(a)] = state.values[a]
                numbers[name_sym(a)] = Num(_known(state.values[a]), Ref("value", node=a))
    rhs = add(*symbolic)
    forms: list[Node] = [rhs, substitute(rhs, numbers)]
    if len(terms) > 1:
        forms.append(add(*[Num(float(t.value), means=term) for t, term in zip(terms, symbolic)]))
    return Equation(lhs, (*forms, result), bindings=env)


def graph_equations(spec: GraphSpec, state: GraphState, step: Step) -> tuple[Equation, ...]:
    key = step.key
    if key.phase == FORWARD:
        return (value_equation(spec, state, key.node),)
    return (adjoint_equation(spec, state, key.node),)


def graph_equation(spec: GraphSpec, state: GraphState, step: Step, digits: int = 4) -> str:
    """The step's equation as the lecture writes it, with the numbers filled in (text)."""
    return TextPrinter(digits).equation(graph_equations(spec, state, step)[0])

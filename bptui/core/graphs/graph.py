"""Graph file → validated :class:`GraphSpec`, and reverse-mode automatic differentiation on it.

A graph file names its inputs and either lists its nodes (``{"name": "a", "op": "mul", "args":
["x", "z"]}``, in the order they are computed) or gives one expression that bptui turns into nodes.
The math is two loops, as the lecture does it: forward, every node's value from its arguments;
reverse, ``g_y = 1`` and then every other node's adjoint, the sum over the node's consumers of the
consumer's adjoint times the local derivative. The stepper walks the same functions one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from ..util import validate
from ..util.errors import SpecError
from .expr import parse_expression
from ..formulas.formula import Node as FNode
from ..formulas.formula import Num
from ..formulas.formula import Sym as FSym
from ..formulas.formula import adjoint_sym, text  # noqa: F401  (graph.adjoint_sym: the graph side names it)
from .graph_ops import OPS, arity_ok
from ..formulas.notation import num

MAX_USES = 20_000  # arguments of all nodes together (the graph's edges); with at most 100 per node


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    args: tuple  # input and node names (str) and numbers (float)
    place: str  # where the file defines it: "nodes[3]", or "expression" (column …)
    text: str = ""  # the part of the expression it was made from ("" for listed nodes)

    @property
    def where(self) -> str:
        return f"{self.place} ({self.text})" if self.text else f"{self.place} ({self.name})"


@dataclass(frozen=True)
class Term:
    """One term of an adjoint's sum: ``g_consumer · ∂consumer/∂args[arg]``."""

    consumer: str
    arg: int
    adjoint: float
    local: float

    @property
    def value(self) -> float:
        return self.adjoint * self.local


def refuse_notation(spec: "GraphSpec", notation: str | None) -> None:
    """A computation graph writes its adjoints g_v in the lecture's notation only: any other ``--notation`` is
    refused in one error line naming the file and what to type instead."""
    if notation not in (None, "lecture13"):
        raise SpecError(f"--notation {notation}: a computation graph is written in the lecture's notation (its "
                        "adjoints g_v) only: leave --notation out, or --notation lecture13", source=spec.source)


@dataclass(frozen=True)
class GraphSpec:
    """Everything a graph file says, checked: inputs, nodes in computing order, the output."""

    source: str
    name: str
    description: str
    inputs: tuple[tuple[str, float], ...]  # (name, value) in the file's order
    nodes: tuple[Node, ...]  # in topological (computing) order
    output: str
    expression: str | None = None
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    kind: ClassVar[Literal["graph"]] = "graph"

    @property
    def input_names(self) -> list[str]:
        return [name for name, _ in self.inputs]

    @cached_property
    def by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def consumers(self) -> dict[str, list[tuple[Node, int]]]:
        """For every name, the (node, argument index) that use it, latest node first."""
        out: dict[str, list[tuple[Node, int]]] = {name: [] for name in self.input_names}
        out.update({n.name: [] for n in self.nodes})
        for node in reversed(self.nodes):
            for i, arg in enumerate(node.args):
                if isinstance(arg, str):
                    out[arg].append((node, i))
        return out

    @property
    def forward_order(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def reverse_order(self) -> list[str]:
        """The output, the other nodes latest first, then the inputs in the file's order."""
        rest = [n.name for n in reversed(self.nodes) if n.name != self.output]
        return [self.output, *rest, *self.input_names]

    def to_json(self) -> dict:
        return dict(self.raw)


# -- the math ---------------------------------------------------------------------------------------
def arg_value(values: dict, arg, dtype=np.float64):
    return values[arg] if isinstance(arg, str) else dtype(arg)


def node_value(node: Node, values: dict, dtype=np.float64):
    args = [arg_value(values, a, dtype) for a in node.args]
    with np.errstate(all="ignore"):
        return OPS[node.op].f(*args)


def local_derivative(node: Node, i: int, values: dict, dtype=np.float64):
    """∂node/∂args[i] at ``values``."""
    args = [arg_value(values, a, dtype) for a in node.args]
    with np.errstate(all="ignore"):
        return OPS[node.op].df(i, args)


def forward_values(spec: GraphSpec, inputs: dict | None = None, dtype=np.float64) -> dict:
    """Every input's and node's value, in computing order (``inputs`` overrides the file's)."""
    values = {name: dtype(v) for name, v in spec.inputs}
    if inputs:
        values.update({name: dtype(v) for name, v in inputs.items()})
    for node in spec.nodes:
        values[node.name] = node_value(node, values, dtype)
    return values


def adjoint_terms(spec: GraphSpec, values: dict, adjoints: dict, name: str, dtype=np.float64) -> list[Term]:
    """The terms of ``g_name``: one per use of ``name``, latest consumer first."""
    return [Term(node.name, i, adjoints[node.name], local_derivative(node, i, values, dtype))
            for node, i in spec.consumers[name]]


def adjoint(spec: GraphSpec, values: dict, adjoints: dict, name: str, dtype=np.float64):
    """``g_name``: 1 for the output, else the sum of its terms (0 for a name nothing uses)."""
    if name == spec.output:
        return dtype(1.0)
    total = dtype(0.0)
    for term in adjoint_terms(spec, values, adjoints, name, dtype):
        total = total + term.value
    return total


def gradient(spec: GraphSpec, inputs: dict | None = None, dtype=np.float64) -> tuple[dict, dict]:
    """(values, adjoints) after the forward and the reverse pass."""
    values = forward_values(spec, inputs, dtype)
    adjoints: dict = {}
    for name in spec.reverse_order:
        adjoints[name] = adjoint(spec, values, adjoints, name, dtype)
    return values, adjoints


# -- reading a file ---------------------------------------------------------------------------------
def parse(doc: Any, source: str = "") -> GraphSpec:
    """Check a parsed graph document and build its spec; raises SpecError naming the place."""
    try:
        return _parse(doc, source)
    except SpecError as err:
        raise err.at(source)


def _parse(doc: Any, source: str) -> GraphSpec:
    validate.check(doc, validate.schema("graph-schema.json"))
    inputs = tuple((name, float(v)) for name, v in doc["inputs"].items())
    if not inputs:
        raise SpecError("empty, at least 1 input needed", place="inputs")
    input_names = [name for name, _ in inputs]
    output = doc.get("output")
    if output is not None and output in input_names:
        raise SpecError(f"{output!r} is an input; the output must be a node", place="output")
    if "expression" in doc:
        parsed, root = parse_expression(doc["expression"], input_names, output)
        nodes = tuple(Node(n.name, n.op, n.args, "expression", n.text) for n in parsed)
        output = root
    else:
        nodes = _listed_nodes(doc["nodes"], input_names)
        names = [n.name for n in nodes]
        if output is None:
            output = names[-1]
        elif output not in names:
            raise SpecError(f"unknown node {output!r} (nodes: {', '.join(names)})", place="output")
    uses = sum(len(n.args) for n in nodes)
    if uses > MAX_USES:
        raise SpecError(f"{uses:,} arguments in all, at most {MAX_USES:,}: too big a graph",
                        place="expression" if "expression" in doc else "nodes")
    spec = GraphSpec(
        source=source,
        name=doc.get("name", Path(source).stem if source else "graph"),
        description=doc.get("description", ""),
        inputs=inputs,
        nodes=nodes,
        output=output,
        expression=doc.get("expression"),
        raw=doc,
    )
    _check_domain(spec)
    return spec


def _listed_nodes(items: list, input_names: list[str]) -> tuple[Node, ...]:
    defined_at: dict[str, int] = {}
    for i, item in enumerate(items):
        name, place = item["name"], f"nodes[{i}]"
        if name in input_names:
            raise SpecError(f"{name!r} is already an input", place=f"{place}.name")
        if name in defined_at:
            raise SpecError(f"{name!r} is already defined at nodes[{defined_at[name]}]", place=f"{place}.name")
        defined_at[name] = i
    known = set(input_names) | set(defined_at)
    for i, item in enumerate(items):
        op = OPS[item["op"]]
        if not arity_ok(op, len(item["args"])):
            raise SpecError(f"{op.name} takes {op.arity_text()}, got {len(item['args'])}", place=f"nodes[{i}].args")
        for j, arg in enumerate(item["args"]):
            if isinstance(arg, str) and arg not in known:
                listed = ", ".join(input_names + list(defined_at))
                raise SpecError(f"unknown name {arg!r} (inputs and nodes: {listed})", place=f"nodes[{i}].args[{j}]")
    cycle = _find_cycle(items, defined_at)
    if cycle:
        first = cycle[0]
        text = " → ".join(cycle if len(cycle) <= 12 else [*cycle[:5], "…", *cycle[-5:]])
        if len(cycle) > 12:
            text += f" ({len(cycle) - 1:,} nodes)"
        raise SpecError(f"cycle: {text}", place=f"nodes[{defined_at[first]}]")
    for i, item in enumerate(items):
        for j, arg in enumerate(item["args"]):
            if isinstance(arg, str) and arg in defined_at and defined_at[arg] >= i:
                raise SpecError(f"{arg!r} is used before it is defined (at nodes[{defined_at[arg]}]); "
                                "list nodes in the order they are computed", place=f"nodes[{i}].args[{j}]")
    return tuple(Node(item["name"], item["op"], tuple(a if isinstance(a, str) else float(a) for a in item["args"]),
                      f"nodes[{i}]") for i, item in enumerate(items))


def _find_cycle(items: list, defined_at: dict[str, int]) -> list[str] | None:
    """A cycle among the nodes' references, as ``[a, b, a]``, or None (deterministic order).

    Depth-first search with an explicit stack, so a chain of any length costs no recursion."""
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    path: list[str] = []
    on_path: dict[str, int] = {}  # name → its index in path

    def refs(name: str) -> list[str]:
        return [a for a in items[defined_at[name]]["args"] if isinstance(a, str) and a in defined_at]

    for item in items:
        root = item["name"]
        if root in state:
            continue
        stack = [(root, iter(refs(root)))]
        state[root] = 1
        on_path[root] = len(path)
        path.append(root)
        while stack:
            name, rest = stack[-1]
            for arg in rest:
                if state.get(arg) == 1:
                    return path[on_path[arg]:] + [arg]
                if arg not in state:
                    state[arg] = 1
                    on_path[arg] = len(path)
                    path.append(arg)
                    stack.append((arg, iter(refs(arg))))
                    break
            else:
                stack.pop()
                path.pop()
                del on_path[name]
                state[name] = 2
    return None


def name_sym(name: str) -> FSym:
    """A node's or an input's name as a formula symbol (``a``, ``n1`` …)."""
    return FSym(name)


def arg_nodes(node: Node) -> list[FNode]:
    """The node's arguments as its formula writes them: names as symbols, numbers as constants."""
    return [name_sym(a) if isinstance(a, str) else Num(float(a), exact=True) for a in node.args]


def formula_text(node: Node) -> str:
    """The function a node computes, as the lecture writes it: ``x·z``, ``ln(x)``, ``d + e + f``."""
    return text(OPS[node.op].tree(arg_nodes(node)))


def _check_domain(spec: GraphSpec) -> None:
    """Every value and every local derivative the steps will show must be a finite number."""
    values = {name: np.float64(v) for name, v in spec.inputs}
    for node in spec.nodes:
        op = OPS[node.op]
        args = [arg_value(values, a) for a in node.args]
        formula = formula_text(node)
        why = op.domain(args)
        if why:
            raise SpecError(f"{node.name} = {formula}: {why} at the given inputs", place=node.where)
        value = node_value(node, values)
        if not np.isfinite(value):
            raise SpecError(f"{node.name} = {formula} = {num(value)} is not a finite number at the given inputs",
                            place=node.where)
        values[node.name] = value
        for i, arg in enumerate(node.args):
            if isinstance(arg, str):
                d = local_derivative(node, i, values)
                if not np.isfinite(d):
                    raise SpecError(f"∂{node.name}/∂{arg} = {text(op.dtree(i, arg_nodes(node)))} is not a finite number "
                                    "at the given inputs", place=node.where)


def describe(spec: GraphSpec) -> str:
    given = ", ".join(f"{name} = {num(v)}" for name, v in spec.inputs)
    what = f"{spec.output} = {spec.expression}" if spec.expression else f"{len(spec.nodes)} nodes, output {spec.output}"
    return f"{spec.name}: a computation graph ({what}) at {given}"

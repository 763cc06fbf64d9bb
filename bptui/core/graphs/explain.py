"""A computation graph's explanations: a node's value (its op on its arguments) and its adjoint (the
sum over its consumers), as core/engine/explain.py explains a network's cells."""

from __future__ import annotations

from typing import Any

from ..engine.explain import Cell, Explanation, _Builder, _not_yet
from ..formulas.formula import Equation, Num, Partial, Ref, add, mul
from .graph import adjoint_sym, adjoint_terms, formula_text, name_sym
from .graph_stepper import adjoint_equation, value_equation


# -- computation graphs -----------------------------------------------------------------------------
def explain_graph(stepper: Any, cell: Cell, digits: int = 4) -> Explanation:
    """A node's value (its op on its arguments) or adjoint (the sum over its consumers)."""
    spec, st, name = stepper.spec, stepper.state, cell.node or ""
    if name not in st.values:
        raise ValueError(f"unknown node {name!r} (nodes: {', '.join(st.values)})")
    if cell.quantity not in ("value", "adjoint"):
        raise ValueError(f"unknown quantity {cell.quantity!r} for a graph (value or adjoint)")
    out = _Builder(digits)
    if cell.quantity == "value":
        value = st.values[name]
        if name not in spec.by_name:
            out.eq(Equation(name_sym(name), (Num(float(value), Ref("value", node=name)),), note="given"))
            return out.done(f"{name} = {out.n(value)}: an input", float(value))
        if value is None:
            return _not_yet(cell, f"{name} comes in the forward pass.")
        node = spec.by_name[name]
        summed = [float(st.values[x] or 0.0) if isinstance(x, str) else float(x) for x in node.args] \
            if node.op == "add" else []
        out.eq(value_equation(spec, st, name))
        return out.done(f"{name} = {out.n(value)}: node {name} = {formula_text(node)}", float(value), summed)
    value = st.adjoints[name]
    y = spec.output
    if value is None:
        return _not_yet(cell, f"g_{name} comes in the reverse pass, after the adjoints of {name}'s consumers.")
    if name == y:
        out.eq(adjoint_equation(spec, st, name))
        return out.done(f"g_{y} = 1: the output's own adjoint", 1.0, (1.0,))
    terms = adjoint_terms(spec, st.values, st.adjoints, name)
    title = f"g_{name} = {out.n(value)}: ∂{y}/∂{name}, the sum over {name}'s consumers"
    if not terms:
        out.eq(adjoint_equation(spec, st, name))
        return out.done(title, float(value))
    eq = adjoint_equation(spec, st, name)
    Y, V = name_sym(y), name_sym(name)
    chain = add(*[mul(Partial(Y, name_sym(t.consumer)), Partial(name_sym(t.consumer), V)) for t in terms])
    env = dict(eq.bindings)
    for t in terms:
        env[Partial(Y, name_sym(t.consumer))] = t.adjoint
        env[Partial(name_sym(t.consumer), V)] = t.local
    env[Partial(Y, V)] = value
    out.eq(Equation(adjoint_sym(name), (Partial(Y, V), chain, *eq.forms), bindings=env))
    return out.done(title, float(value), tuple(float(t.value) for t in terms))

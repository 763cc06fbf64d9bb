"""Explanations, served: a network's cells (core/engine/explain.py, each kind's module through its
kind) and a graph's nodes (core/graphs/explain.py). The views and the quiz ask here."""

from __future__ import annotations

from typing import Any

from ..engine.explain import MAX_TERMS, Cell, Explanation, explain_network
from ..graphs.explain import explain_graph

__all__ = ["MAX_TERMS", "Cell", "Explanation", "explain", "explain_graph", "explain_network"]


def explain(stepper: Any, cell: Cell, digits: int = 4) -> Explanation:
    """The chain rule behind ``cell`` in the stepper's present state (a network or a graph)."""
    if stepper.spec.kind == "graph":
        return explain_graph(stepper, cell, digits)
    return explain_network(stepper, cell, digits)

"""How many printed equations need extra digits on their operands for the arithmetic shown to give
the result to its last digit (bptui.core.formulas.formula.plan), over one epoch of the bundled examples;
with ``--explanations``, also the equations of the explanations of the cells every step writes (the
quiz's candidates: every number the step puts on the board), counted apart.

    python scripts/last_digit_count.py [--digits 4] [--explanations] [names...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def tally(eqs, digits: int) -> tuple[int, int, int, int, int]:
    """(equations printed, equations with extra digits, operands given extra digits, most extra, forms
    left out: true forms no digits make hold as printed)."""
    from bptui.core.formulas.formula import Arr, Num, plan, walk

    total = needing = operands = most = left_out = 0
    for eq in eqs:
        total += 1
        planned = plan(eq, digits)
        left_out += len(eq.forms) - len(planned.forms)
        extras = {id(n): n.extra for f in planned.forms for n in walk(f) if isinstance(n, (Num, Arr)) and n.extra}
        if extras:
            needing += 1
            operands += len(extras)
            most = max(most, *extras.values())
    return total, needing, operands, most, left_out


def one_epoch(spec):
    """A stepper for ``spec`` and a function that says whether it has a step of its first epoch left (a graph:
    its forward and reverse pass)."""
    if spec.kind == "graph":
        from bptui.core.graphs.graph_stepper import GraphStepper
        graph = GraphStepper(spec)
        return graph, lambda: not graph.at_end
    from bptui.core.engine.stepper import Stepper
    stepper = Stepper(spec)
    left = [len(stepper.schedule)]

    def more() -> bool:
        left[0] -= 1
        return left[0] >= 0
    return stepper, more


def count(name: str, digits: int, explanations: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """:func:`tally` of one epoch's step equations, and (``explanations``) of the explanations' equations
    of the cells each step writes (zeros without)."""
    from bptui.core.formats.spec import load_any
    from bptui.core.teaching.explain import explain
    from bptui.core.teaching.quiz import candidates, equations_of

    stepper, more = one_epoch(load_any(ROOT / "networks" / f"{name}.json"))
    eqs: list = []
    explained: list = []
    while more():
        step = stepper.forward()
        eqs += equations_of(stepper, step)
        if explanations:
            explained += [eq for cell in candidates(spec, step.key) for eq in explain(stepper, cell, digits).equations]
    return tally(eqs, digits), tally(explained, digits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["xor", "moons", "iris", "lecture13"])
    ap.add_argument("--digits", type=int, default=4)
    ap.add_argument("--explanations", action="store_true",
                    help="count the explanations of the cells each step writes too, apart")
    args = ap.parse_args()
    print(f"{'network':<18}{'equations':>10}{'need extra':>12}{'operands':>10}{'most extra':>12}{'left out':>10}")
    for name in args.names:
        for what, (total, needing, operands, most, left_out) in zip(
                ("", " (explained)"), count(name, args.digits, args.explanations)):
            if total or not what:
                print(f"{name + what:<18}{total:>10}{needing:>12}{operands:>10}{most:>12}{left_out:>10}")


if __name__ == "__main__":
    main()

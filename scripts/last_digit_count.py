"""How many printed equations need extra digits on their operands for the arithmetic shown to give
the result to its last digit (bptui.core.formulas.formula.plan), over one epoch of the bundled examples.

    python scripts/last_digit_count.py [--digits 4] [names...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def count(name: str, digits: int) -> tuple[int, int, int, int, int]:
    """(equations printed, equations with extra digits, operands given extra digits, most extra, forms
    left out: true forms no digits make hold as printed)."""
    from bptui.core.formulas.formula import Arr, Num, plan, walk
    from bptui.core.teaching.quiz import equations_of
    from bptui.core.formats.spec import load_any

    spec = load_any(ROOT / "networks" / f"{name}.json")
    if spec.kind == "graph":
        from bptui.core.graphs.graph_stepper import GraphStepper
        stepper = GraphStepper(spec)
        steps = []
        while not stepper.at_end:
            steps.append(stepper.forward())
            steps[-1] = (steps[-1], equations_of(stepper, steps[-1]))
    else:
        from bptui.core.engine.stepper import Stepper
        stepper = Stepper(spec)
        steps = []
        for _ in range(len(stepper.schedule)):
            step = stepper.forward()
            steps.append((step, equations_of(stepper, step)))
    total = needing = operands = most = left_out = 0
    for _, eqs in steps:
        for eq in eqs:
            total += 1
            planned = plan(eq, digits)
            left_out += len(eq.forms) - len(planned.forms)
            extras = {id(n): n.extra for f in planned.forms for n in walk(f)
                      if isinstance(n, (Num, Arr)) and n.extra}
            if extras:
                needing += 1
                operands += len(extras)
                most = max(most, *extras.values())
    return total, needing, operands, most, left_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["xor", "moons", "iris", "lecture13"])
    ap.add_argument("--digits", type=int, default=4)
    args = ap.parse_args()
    print(f"{'network':<12}{'equations':>10}{'need extra':>12}{'operands':>10}{'most extra':>12}{'left out':>10}")
    for name in args.names:
        total, needing, operands, most, left_out = count(name, args.digits)
        print(f"{name:<12}{total:>10}{needing:>12}{operands:>10}{most:>12}{left_out:>10}")


if __name__ == "__main__":
    main()

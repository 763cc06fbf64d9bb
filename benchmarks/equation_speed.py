"""CPU time to print a step's equations (the app's equation line: TextPrinter.equation), per step,
over one epoch of xor, the first 200 steps of moons, and lecture13's graph.

    python benchmarks/equation_speed.py [--repeats 7] [--against DIR]

With ``--against DIR`` (another checkout of bptui, e.g. ``git archive main | tar -x -C DIR``), the
two are measured in fresh processes, interleaved, and the medians are printed side by side with
their ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETS = {"xor": None, "moons": 200, "lecture13": None}


def measure(name: str, steps: int | None) -> float:
    """CPU seconds per step to print its equations (they are built first,
    outside the timing, as the app builds them once per step)."""
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.teaching.quiz import equations_of
    from bptui.core.formats.spec import load_any

    spec = load_any(ROOT / "networks" / f"{name}.json")
    if spec.kind == "graph":
        from bptui.core.graphs.graph_stepper import GraphStepper
        stepper = GraphStepper(spec)
        more = lambda: not stepper.at_end  # noqa: E731
    else:
        from bptui.core.engine.stepper import Stepper
        stepper = Stepper(spec)
        n = steps or len(stepper.schedule)
        more = lambda: stepper.position < n  # noqa: E731
    eqs = []
    while more():
        step = stepper.forward()
        eqs.append(equations_of(stepper, step))
    printer = TextPrinter(4)
    t = time.process_time()
    for step_eqs in eqs:
        for eq in step_eqs:
            printer.equation(eq)
    return (time.process_time() - t) / len(eqs)


def child() -> None:
    print(" ".join(f"{measure(name, steps):.6e}" for name, steps in NETS.items()))


def run(root: Path) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, __file__, "--child"], env=env, check=True, capture_output=True, text=True)
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--against", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child()
        return
    from _common import side_by_side  # (not in the child: it would put this checkout first on the path)

    side_by_side(run, list(NETS), args.against, args.repeats,
                 f"ms per step to print its equations, median of {args.repeats} (CPU time)")


if __name__ == "__main__":
    main()

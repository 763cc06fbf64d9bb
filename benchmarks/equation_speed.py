"""CPU time to print a step's equations (the app's equation line: TextPrinter.equation), per step,
over one epoch of xor, the first 200 steps of moons, and lecture13's graph.

    python benchmarks/equation_speed.py [--repeats 7] [--against DIR] [--delta-lines]

With ``--against DIR`` (another checkout of bptui, e.g. ``git archive main | tar -x -C DIR``), the
two are measured in fresh processes, interleaved, and the medians are printed side by side with
their ratio. With ``--delta-lines``, instead: the app's equation line (``step_equation`` at 4 digits, cut at
the 496 characters the app shows at 120×40) at each of the first four backward δ steps of a gated or recurrent
layer (:data:`DELTA_LINES`: the four-gate LSTM δ⁽¹⁾, the GRU's, a plain RNN's, the attention δ), printed 50
times a step, every call building, planning and printing afresh: CPU ms per line.
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


DELTA_LINES = {"long_memory_lstm": 1, "gru_parity": 1, "stacked_parity": 1, "tiny_transformer": 3}  # net → layer


def delta_line(name: str, layer: int, calls: int = 50) -> float:
    """CPU seconds per call of the app's equation line at the first four backward δ steps of ``layer``."""
    from bptui.core.engine.equations import step_equation
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load_any

    stepper = Stepper(load_any(ROOT / "networks" / f"{name}.json"))
    spent, steps = 0.0, 0
    while stepper.position < len(stepper.schedule) and steps < 4:
        step = stepper.forward()
        key = step.key
        if key.phase == "backward" and key.quantity == "delta" and key.layer == layer:
            steps += 1
            step_equation(stepper, step, 4, None, 496)  # (the first call of a step is not timed)
            t = time.process_time()
            for _ in range(calls):
                step_equation(stepper, step, 4, None, 496)
            spent += time.process_time() - t
    return spent / (steps * calls)


def child() -> None:
    if "--delta-lines" in sys.argv:
        print(" ".join(f"{delta_line(name, layer):.6e}" for name, layer in DELTA_LINES.items()))
        return
    print(" ".join(f"{measure(name, steps):.6e}" for name, steps in NETS.items()))


def run(root: Path, delta_lines: bool = False) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(root))
    argv = [sys.executable, __file__, "--child", *(["--delta-lines"] if delta_lines else [])]
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--against", type=Path)
    ap.add_argument("--delta-lines", action="store_true", help="the app's line at gated and recurrent δ steps")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child()
        return
    from _common import side_by_side  # (not in the child: it would put this checkout first on the path)

    if args.delta_lines:
        side_by_side(lambda root: run(root, True), list(DELTA_LINES), args.against, args.repeats,
                     f"ms per δ line (the app's equation line), median of {args.repeats} (CPU time)", width=18)
        return
    side_by_side(run, list(NETS), args.against, args.repeats,
                 f"ms per step to print its equations, median of {args.repeats} (CPU time)")


if __name__ == "__main__":
    main()

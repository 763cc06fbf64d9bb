"""CPU time per step to build and print a recurrent network's step equations (what ``trace`` and the
equation line do) in the lecture's notation and in notation profiles, side by side in one run.

    python benchmarks/profile_recurrent_speed.py [--repeats 5] [--steps 150]

For parity (rnn), gru_parity and long_memory_lstm: the first ``--steps`` steps, each step's equations
built (``step_equations``) and printed (``TextPrinter.equation``) in lecture13, nielsen and cs231n;
the median of ``--repeats`` runs (process CPU time), and each profile's ratio to the lecture's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETS = ("parity", "gru_parity", "long_memory_lstm")
NOTATIONS = ("lecture13", "nielsen", "cs231n")


def measure(name: str, notation: str, steps: int) -> float:
    """CPU seconds per step to build and print the step's equations (the stepping itself outside)."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.formulas.profiles import PROFILES

    P = PROFILES[notation]
    stepper = Stepper(load_any(ROOT / "networks" / f"{name}.json"), notation=P)
    printer = TextPrinter(4, notation=P)
    spent = 0.0
    n = min(steps, len(stepper.schedule))
    for _ in range(n):
        step = stepper.forward()
        start = time.process_time()
        for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
            printer.equation(eq)
        spent += time.process_time() - start
    return spent / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=150)
    args = ap.parse_args()
    for name in NETS:
        runs: dict[str, list[float]] = {n: [] for n in NOTATIONS}
        for _ in range(args.repeats):  # interleaved, so a load that changes meets every notation alike
            for notation in NOTATIONS:
                runs[notation].append(measure(name, notation, args.steps))
        medians = {n: statistics.median(v) * 1000 for n, v in runs.items()}
        base = medians["lecture13"]
        print(f"{name:18s} " + "  ".join(f"{n} {m:.2f} ms ({m / base:.2f})" for n, m in medians.items()))


if __name__ == "__main__":
    main()

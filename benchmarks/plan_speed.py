"""CPU time of the last-digit rule alone (``formula.plan``: the extra digits each operand of an equation
gets so that redoing the printed arithmetic gives the printed result), per step, over the equations of
one epoch of xor, the first 200 steps of moons, the first 120 steps of long_memory_lstm and the first 60
of tiny_transformer, at 4 digits (the app's) and 3 (LaTeX's default is 4 too; 3 plans other operands).

    python benchmarks/plan_speed.py [--repeats 5] [--against DIR] [--instructions]

The equations are built first, outside the timing; each is planned from scratch (the per-equation
store is bypassed: :func:`bptui.core.formulas.formula._plan`). With ``--against DIR`` (another
checkout of bptui, e.g. ``git worktree add --detach DIR main``) the two are measured in fresh
processes, interleaved, and the medians are printed side by side with their ratio. With
``--instructions`` each process runs under valgrind's callgrind, counting the instructions of the planning
alone (instrumentation on only around it, as ``keypress_speed.py --instructions`` does around a press):
repeatable on a loaded machine, where CPU time is not; one run a checkout is enough.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETS = {"xor": None, "moons": 200, "long_memory_lstm": 120, "tiny_transformer": 60}
DIGITS = (4, 3)


def measure(name: str, steps: int | None) -> float:
    """CPU seconds per step to plan its equations at every digit count of :data:`DIGITS`."""
    from bptui.core.formats.spec import load_any
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formulas import formula
    from bptui.core.teaching.quiz import equations_of

    stepper = Stepper(load_any(ROOT / "networks" / f"{name}.json"))
    n = min(steps or len(stepper.schedule), len(stepper.schedule))
    eqs = []
    while stepper.position < n:
        step = stepper.forward()
        eqs.append(equations_of(stepper, step))
    plan = formula._plan
    count = meter()
    if count:
        count.start()
    t = time.process_time()
    for step_eqs in eqs:
        for eq in step_eqs:
            for d in DIGITS:
                plan(eq, d)
    spent = count.stop() * 1e6 if count else time.process_time() - t
    return spent / len(eqs)


_METER: list = []


def meter():
    """Under callgrind, the one instruction counter of the process (its dumps are numbered in turn); else None."""
    if os.environ.get(CHILD) and not _METER:
        from keypress_speed import Instructions

        _METER.append(Instructions(*os.environ[CHILD].split(":")))
    return _METER[0] if _METER else None


def child() -> None:
    print(" ".join(f"{measure(name, steps):.6e}" for name, steps in NETS.items()))


CHILD = "BPTUI_KEYPRESS_CALLGRIND"  # keypress_speed's: the helper and the dumps' prefix, under callgrind


def run(root: Path, instructions: bool = False) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONHASHSEED="0")
    argv = [sys.executable, __file__, "--child"]
    if not instructions:
        out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        return [float(x) for x in out.stdout.split()]
    from keypress_speed import HELPER_C

    with tempfile.TemporaryDirectory() as tmp:
        helper, out_file = Path(tmp) / "meter.so", Path(tmp) / "cg.out"
        (Path(tmp) / "meter.c").write_text(HELPER_C)
        subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(helper), str(Path(tmp) / "meter.c")], check=True)
        env[CHILD] = f"{helper}:{out_file}"
        out = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}",
                              *argv], env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--against", type=Path)
    ap.add_argument("--instructions", action="store_true", help="count instructions with callgrind (one run a checkout)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child()
        return
    from _common import side_by_side  # (not in the child: it would put this checkout first on the path)

    repeats = 1 if args.instructions else args.repeats
    unit, scale = ("k instructions (callgrind)", 1e-3) if args.instructions else (f"ms, median of {repeats} (CPU time)", 1e3)
    side_by_side(lambda root: run(root, args.instructions), list(NETS), args.against, repeats,
                 f"per step to plan its equations at {' and '.join(map(str, DIGITS))} digits: {unit}", scale, 18)


if __name__ == "__main__":
    main()

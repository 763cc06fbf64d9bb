"""What grading a student costs: all answers right (no replay), against one wrong answer at the
start (the exercise replayed on the student's board, every later blank carried by its formula),
and the replay alone, side by side in medians of a few runs each (median_time).

    python benchmarks/grade_speed.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import median_time


def main() -> None:
    from bptui.cli import main as bptui
    from bptui.grade import Replay, grade, load_key
    from bptui.keyjson import evaluate_formula

    cases = [("xor", []), ("classifier", []), ("moons", ["--example", "20"]), ("two_channel", [])]
    print(f"{'exercise':<22} {'blanks':>6} {'right':>8} {'replay':>8} {'one wrong':>10} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in cases:
            folder = Path(tmp) / name
            bptui(["export", name, "--variants", "1", "--output", str(folder), *extra])
            key = load_key(folder / "variant-01-key.json")
            right = {n: float(b["value"]) for n, b in key.blanks.items()}
            wrong: dict[int, float] = {}
            for n, b in sorted(key.blanks.items()):  # the first blank doubled, the rest carried from it
                wrong[n] = 2 * float(b["value"]) + 1 if not wrong else \
                    evaluate_formula(b["formula"], {f"b{d}": wrong[d] for d in b["depends_on"]}) \
                    if b["formula"] is not None and all(d in wrong for d in b["depends_on"]) else float(b["value"])
            t_right = median_time(lambda: grade(key, right), 5)
            t_replay = median_time(lambda: Replay(key), 3)
            t_wrong = median_time(lambda: grade(key, wrong), 3)
            label = name + (" " + " ".join(extra) if extra else "")
            print(f"{label:<22} {len(key.blanks):>6} {t_right * 1e3:>6.1f}ms {t_replay:>7.2f}s {t_wrong:>9.2f}s "
                  f"{t_wrong / t_right:>6.0f}×")


if __name__ == "__main__":
    main()

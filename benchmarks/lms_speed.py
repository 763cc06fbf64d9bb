"""The cost of a course platform's file: ``bptui export NAME --variants 10`` with each
``--format`` of bptui/lms against the same variants as Markdown alone, side by side, in medians of a
few runs each (median_time, CPU time: the machine is shared), and the standalone grader grading a
whole key's answers (PrairieLearn's grade, Gradescope's run_autograder).

    python benchmarks/lms_speed.py
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from _common import median_time

FORMATS = ("markdown", "moodle", "gift", "qti", "prairielearn", "gradescope")


def export(name: str, fmt: str, extra: list[str]) -> None:
    from bptui.cli import main

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
        assert main(["export", name, "--variants", "10", "--seed", "1", "--format", fmt, "--output", tmp, *extra]) == 0


def main() -> None:
    from bptui.lms import grader

    cases = [("xor", []), ("lecture13", []), ("moons", ["--example", "20"])]
    print(f"{'variants of':<22}" + "".join(f"{f:>13}" for f in FORMATS))
    for name, extra in cases:
        times = {f: median_time(lambda: export(name, f, extra), 3, time.process_time) for f in FORMATS}
        base = times["markdown"]
        print(f"{name + ' ' + ' '.join(extra):<22}" + "".join(
            f"{times[f]:>7.2f}s" + (f" {times[f] / base:>4.2f}×" if f != "markdown" else "      ") for f in FORMATS))
    with tempfile.TemporaryDirectory() as tmp:
        export_dir = Path(tmp)
        from bptui.cli import main as cli

        with contextlib.redirect_stderr(io.StringIO()):
            cli(["export", "moons", "--variants", "1", "--example", "20", "--output", str(export_dir)])
        key = json.loads((export_dir / "variant-01-key.json").read_text())
        answers = {b["blank"]: float(b["value"]) * 1.01 for b in key["blanks"]}
        t = median_time(lambda: grader.verdicts(key["blanks"], answers), 5, time.process_time)
        print(f"grading {len(key['blanks'])} blanks of moons --example 20, every one wrong (each carried "
              f"check evaluates its formula): {t * 1000:.1f} ms")


if __name__ == "__main__":
    main()

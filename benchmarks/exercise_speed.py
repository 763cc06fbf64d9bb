"""The exercise's own cost, in CPU time (a loaded machine stretches wall time, not CPU time): each
network's default exercise without its key (``--exercise`` alone: the board traced only for which
numbers depend on a blank) and with it (``--answers``: every blank's formula written), medians of a
few runs. Figures in ms, so that ``compare_commits.py`` can set two commits side by side:

    python benchmarks/exercise_speed.py [--repeats 3] [--only shapes,parity]
    python benchmarks/compare_commits.py OLD NEW --script exercise_speed.py --rounds 3
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, median_time

CASES = [("iris", None, True), ("edges", None, True), ("parity", None, True), ("long_memory", 1, True),
         ("shapes", None, False), ("moons_layernorm", 1, True), ("deep_residual", 1, True), ("count_tokens", 1, True),
         ("tiny_transformer", 1, True)]  # (network, --example, with the key too)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    from bptui.core.formats.spec import load_any
    from bptui.exercise import Blanker, example_part
    from bptui.export import export

    only = set(filter(None, args.only.split(",")))
    for name, example, keyed in CASES:
        if only and name not in only:
            continue
        spec = load_any(str(ROOT / "networks" / f"{name}.json"))
        part = example_part(spec, example) if example else None

        blanks = []

        def run(trace: bool) -> None:
            blanker = Blanker(spec, trace=trace)
            for _ in export(spec, "markdown", 1, part, blanker):
                pass
            blanks.append(len(blanker.entries))
        label = name + (f" --example {example}" if example else "")
        plain = median_time(lambda: run(False), args.repeats, time.process_time)
        print(f"{label} exercise: {plain * 1000:.0f} ms ({blanks[-1]:,} blanks)", flush=True)
        if keyed:
            traced = median_time(lambda: run(True), args.repeats, time.process_time)
            print(f"{label} exercise with its key: {traced * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    main()

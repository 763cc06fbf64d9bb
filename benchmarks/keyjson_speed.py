"""The cost of the key a machine reads: an exercise made with its formulas traced (what
``--answers`` does) against the same exercise without (``--exercise`` alone, which traces only
which numbers depend on a blank, so that the page never prints them), and the worked solution with
no blanks, side by side, in medians of a few runs each (median_time).

    python benchmarks/keyjson_speed.py
"""

from __future__ import annotations

from _common import ROOT, median_time


def main() -> None:
    from bptui.core.formats.spec import load_any
    from bptui.exercise import Blanker, example_part
    from bptui.export import export

    cases = [("xor", None), ("classifier", None), ("moons", 20), ("edges", None), ("iris", None)]
    print(f"{'exercise':<20} {'solution':>9} {'plain':>9} {'traced':>9} {'plain/sol':>9} {'traced/plain':>12}")
    for name, example in cases:
        spec = load_any(str(ROOT / "networks" / f"{name}.json"))
        part = example_part(spec, example) if example else None

        def run(trace: bool | None) -> None:
            for _ in export(spec, "markdown", 1, part, None if trace is None else Blanker(spec, trace=trace)):
                pass
        repeats = 1 if name == "iris" else 3
        solution = median_time(lambda: run(None), repeats)
        plain, traced = median_time(lambda: run(False), repeats), median_time(lambda: run(True), repeats)
        label = f"{name}" + (f" --example {example}" if example else "")
        print(f"{label:<20} {solution:>8.2f}s {plain:>8.2f}s {traced:>8.2f}s {plain / solution:>8.1f}× "
              f"{traced / plain:>11.1f}×")


if __name__ == "__main__":
    main()

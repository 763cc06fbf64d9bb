"""The cost of the key a machine reads: an exercise made with its formulas traced (what
``--answers`` does) against the same exercise without (``--exercise`` alone), side by side, in
medians of a few runs each (median_time).

    python benchmarks/keyjson_speed.py
"""

from __future__ import annotations

from _common import ROOT, median_time


def main() -> None:
    from bptui.core.formats.spec import load_any
    from bptui.exercise import Blanker, example_part
    from bptui.export import export

    cases = [("xor", None), ("classifier", None), ("moons", 20), ("edges", None), ("iris", None)]
    print(f"{'exercise':<20} {'plain':>9} {'traced':>9} {'ratio':>7}")
    for name, example in cases:
        spec = load_any(str(ROOT / "networks" / f"{name}.json"))
        part = example_part(spec, example) if example else None

        def run(trace: bool) -> None:
            for _ in export(spec, "markdown", 1, part, Blanker(spec, trace=trace)):
                pass
        repeats = 1 if name == "iris" else 3
        plain, traced = median_time(lambda: run(False), repeats), median_time(lambda: run(True), repeats)
        label = f"{name}" + (f" --example {example}" if example else "")
        print(f"{label:<20} {plain:>8.2f}s {traced:>8.2f}s {traced / plain:>6.1f}×")


if __name__ == "__main__":
    main()

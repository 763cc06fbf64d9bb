"""How often an equation line's result disagrees with the panel's number for the same entry, over one epoch of
the bundled examples: each result entry as the line prints it (``%g`` at the digits, or from its exact
arithmetic past the floats: ``Arr.small``, ``Num.ln``) beside the float as a panel's cell writes it
(``numformat.cell`` in its array's ``number_format``), where the panel shows at least the line's digits
(0.5 beside 0.5000 agrees; 0.09115 beside 0.0911 is not compared: the panel shows fewer): the line's
number must be the panel's float rounded to the line's digits.

    python scripts/line_vs_panel.py [--digits 4] [names or network files...]
"""

from __future__ import annotations

import argparse
import re
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def significant(text: str) -> int:
    """Significant digits of a printed number, trailing zeros after the point not counted (0.5000 is 0.5)."""
    mantissa = text.lstrip("-").split("e")[0]
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    digits = mantissa.replace(".", "").lstrip("0")
    return max(len(digits), 1)


def shown(text: str) -> int:
    """Significant digits a panel's cell shows, its trailing zeros too (0.5000: 4)."""
    digits = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return max(len(digits), 1)


def compare(name: str, digits: int) -> tuple[int, int, int, int, list[str]]:
    """(results, entries compared, entries printed from exact arithmetic, disagreements, examples)."""
    import numpy as np

    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.formula import Arr, Num, TextPrinter, plan
    from bptui.core.formulas.numformat import cell, number_format
    from bptui.core.teaching.quiz import equations_of

    from last_digit_count import one_epoch  # (scripts/, this script's folder)

    stepper, more = one_epoch(load_any(Path(name) if name.endswith(".json") else ROOT / "networks" / f"{name}.json"))
    printer = TextPrinter(digits)
    results = compared = exact = differ = 0
    examples: list[str] = []
    while more():
        step = stepper.forward()
        for eq in equations_of(stepper, step):
            r = plan(eq, digits).result
            if isinstance(r, Num) and not r.exact:
                floats, fmt = np.array([r.value]), None
                past = {0} if r.ln is not None else set()
            elif isinstance(r, Arr) and r.values.dtype.kind == "f" and r.values.ndim in (1, 2) and not printer.elides(r):
                floats, fmt = r.values.ravel(), number_format(r.values, digits)
                past = {int(np.ravel_multi_index(i, r.values.shape)) for i, _, _ in r.small}
            else:
                continue
            texts = _NUMBER.findall(printer.p(r).replace("−", "-").replace("ᵀ", ""))
            if len(texts) != floats.size:
                continue
            results += 1
            exact += len(past)
            for k, (line, x) in enumerate(zip(texts, floats.tolist())):
                panel = cell(x, digits, fmt).replace("−", "-")
                if not _NUMBER.fullmatch(panel):
                    continue
                if significant(line) > shown(panel) and k not in past:  # the panel shows fewer digits
                    continue
                compared += 1
                # the float at the line's digits: the panel's number where it shows as many, its rounding where more
                if Decimal(line) != Decimal(f"{x:.{significant(line)}g}") or (
                        shown(panel) == significant(line) and Decimal(line) != Decimal(panel)):
                    differ += 1
                    if len(examples) < 5:
                        examples.append(f"{printer.p(eq.lhs)}: line {line}, panel {panel}")
    return results, compared, exact, differ, examples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["xor", "moons", "iris", "lecture13"])
    ap.add_argument("--digits", type=int, default=4)
    args = ap.parse_args()
    print(f"{'network':<12}{'results':>9}{'entries':>10}{'exact':>7}{'differ':>8}")
    for name in args.names:
        results, compared, exact, differ, examples = compare(name, args.digits)
        print(f"{name:<12}{results:>9}{compared:>10}{exact:>7}{differ:>8}")
        for e in examples:
            print("    " + e)


if __name__ == "__main__":
    main()

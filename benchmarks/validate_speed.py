"""Checking a network file's numbers against the schema: the fast path for lists of plain numbers
(``validate._plain_numbers``) against checking every number on its own, in one run.

    python benchmarks/validate_speed.py

Inline data now has its every number typed by the schema (maps and sequences too), so a file of
millions of numbers must not pay a function call per number. Medians of 5 runs, CPU time.
"""

from __future__ import annotations

import time

import numpy as np

from _common import median_time  # (and the repository on sys.path)
from bptui.core.util import validate


def _doc(shape: tuple[int, ...], n: int) -> dict:
    rng = np.random.default_rng(0)
    return {"layers": [{"shape": list(shape)}, {"units": 1}],
            "data": {"inputs": rng.uniform(0, 1, size=(n, *shape)).tolist(), "targets": [[1.0]] * n}}


def cpu_median(fn) -> float:
    return median_time(fn, 5, time.process_time)


def main() -> None:
    schema = validate.schema()
    fast = validate._plain_numbers
    for what, doc in (("784-number vectors, 2,000 examples", _doc((784,), 2_000)),
                      ("1×28×28 maps, 2,000 examples", _doc((1, 28, 28), 2_000))):
        doc["layers"][0] = {"units": 784} if "vectors" in what else doc["layers"][0]
        with_fast = cpu_median(lambda: validate.check(doc, schema))
        validate._plain_numbers = lambda values: False  # every number checked on its own
        try:
            without = cpu_median(lambda: validate.check(doc, schema))
        finally:
            validate._plain_numbers = fast
        print(f"{what}: {with_fast * 1000:.0f} ms with the fast path, {without * 1000:.0f} ms number by number, "
              f"ratio {without / with_fast:.1f}")


if __name__ == "__main__":
    main()

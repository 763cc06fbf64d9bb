"""``bptui trace`` and ``bptui export`` on the big sequence networks: CPU time (in-process,
``time.process_time``) to write one epoch, median of a few runs, per network and format.

    python benchmarks/trace_speed.py [--repeats 3] [--networks tiny_transformer,count_tokens,long_memory_lstm]
                                     [--formats text,json,markdown,latex,csv] [--steps N]

Each run makes every line of the output as the command line does (``trace.trace_text`` /
``trace_json``, ``export.export``) from a spec read once, and throws it away; ``--steps N`` stops
after the lines of the first N steps (a quicker figure of the cost per step). Each figure is printed
as "NETWORK FORMAT: x ms (y µs a step)"; ``benchmarks/compare_commits.py OLD NEW --script
trace_speed.py -- --repeats 1`` sets two commits side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402,F401  (bptui from this checkout)

NETWORKS = ("tiny_transformer", "count_tokens", "long_memory_lstm")
FORMATS = ("text", "json", "markdown", "latex", "csv")


def lines(spec, fmt: str):
    from bptui import export, trace

    if fmt == "text":
        return trace.trace_text(spec, 1)
    if fmt == "json":
        return trace.trace_json(spec, 1)
    return export.export(spec, fmt, 1)


def steps_walked(spec) -> int:
    from bptui.core.engine.stepper import Stepper

    return len(Stepper(spec).schedule)


def one_run(spec, fmt: str, steps: int | None) -> float:
    """CPU seconds to make the lines of one epoch (or of its first ``steps`` steps)."""
    from bptui import progress

    walked = 0
    stop = steps if steps is not None else -1

    def counted():  # the steps walked, counted by the commands' own progress hook
        nonlocal walked
        walked += 1

    token = progress._hook.set(counted)
    try:
        t = time.process_time()
        for _ in lines(spec, fmt):
            if walked == stop:
                break
        return time.process_time() - t
    finally:
        progress._hook.reset(token)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--steps", type=int, default=None, help="only the first N steps of the epoch")
    a = parser.parse_args()
    from bptui.core.formats.spec import load

    root = Path(__file__).resolve().parent.parent
    for name in a.networks.split(","):
        spec = load(root / "networks" / f"{name}.json")
        n = a.steps or steps_walked(spec)
        for fmt in a.formats.split(","):
            one_run(spec, fmt, 50)  # warm: imports and first-use caches
            times = [one_run(spec, fmt, a.steps) for _ in range(a.repeats)]
            t = statistics.median(times)
            print(f"{name} {fmt}: {t * 1e3:.0f} ms ({t * 1e6 / n:.0f} µs a step, {n} steps)", flush=True)


if __name__ == "__main__":
    main()

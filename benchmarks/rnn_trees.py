"""One training epoch of rnn_speed.py's sequence-sized network (2,000 sequences of 10–40 steps, rnn 32,
dense 1) in two source trees, interleaved: the ratio of this tree's CPU time to another's.

    git archive COMMIT | tar -x -C /tmp/old    # the tree to compare with, e.g. before a change
    python benchmarks/rnn_trees.py /tmp/old [--repeats 7]

Each run is a fresh process (so that each tree imports its own bptui) on one BLAS thread, which trains
one epoch to warm up and then three, and reports the middle one's CPU time (time.process_time: a
loaded machine stretches wall time, not CPU time). The two trees alternate; the medians over the
repeats and their ratio are printed (this tree's over the other's: below 1.0, this tree is faster).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
from rnn_speed import sequence_sized
from bptui.core.engine.train import train
spec = sequence_sized()
train(spec, 1)
times = []
for _ in range(3):
    t = time.process_time()
    train(spec, 1)
    times.append(time.process_time() - t)
print(sorted(times)[1])
"""


def epoch(tree: Path) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree)], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="the source tree to compare with (its bptui/ and benchmarks/)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    mine, theirs = [], []
    for _ in range(args.repeats):
        theirs.append(epoch(args.other))
        mine.append(epoch(HERE))
    a, b = median(theirs), median(mine)
    print(f"sequence-sized epoch, CPU time, median of {args.repeats}: other {a * 1e3:.1f} ms, this tree "
          f"{b * 1e3:.1f} ms, ratio {b / a:.3f}")


if __name__ == "__main__":
    main()

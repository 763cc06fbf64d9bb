"""Two commits' figures side by side: a benchmark script run in a checkout of each, alternately.

    python benchmarks/compare_commits.py OLD NEW [--rounds R] [--script tui_speed.py] [-- ARGS...]

Each round runs the script once in each commit's checkout (a detached worktree in a temporary
folder, its own copy of the script, its own bptui on the path), old then new, so that a change in the
machine's load falls on both. Every output line with a figure in ms is collected by its label; the
report gives each label's median over the rounds for both commits and their ratio (new / old).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r"(?P<value>[0-9]+(?:\.[0-9]+)?) ms")


def checkout(rev: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(into), rev], cwd=ROOT, check=True,
                   capture_output=True)
    return into


def run(tree: Path, script: str, args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(tree / "benchmarks" / script), *args], cwd=tree, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    figures = {}
    for line in out.stdout.splitlines():  # each figure named by the words before it on its line
        for m in FIGURE.finditer(line):
            words = re.sub(r"\([^)]*\)|[0-9]+(?:\.[0-9]+)? ms", "", line[:m.start()])
            figures[" ".join(words.replace(":", "").split())] = float(m["value"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--script", default="tui_speed.py")
    a, rest = parser.parse_known_args()  # the script's own options follow a "--"
    a.args = [x for x in rest if x != "--"]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {rev: checkout(rev, Path(tmp) / name) for rev, name in ((a.old, "old"), (a.new, "new"))}
        got: dict[str, dict[str, list[float]]] = {a.old: {}, a.new: {}}
        try:
            for r in range(a.rounds):
                for rev, tree in trees.items():
                    for label, value in run(tree, a.script, a.args).items():
                        got[rev].setdefault(label, []).append(value)
                print(f"round {r + 1} of {a.rounds} done", file=sys.stderr)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    print(f"{a.script} {' '.join(a.args)}: medians of {a.rounds} alternating runs (ms)")
    print(f"  {'figure':<44} {a.old[:9]:>10} {a.new[:9]:>10}  new/old")
    for label, olds in got[a.old].items():
        news = got[a.new].get(label)
        if news:
            o, n = statistics.median(olds), statistics.median(news)
            print(f"  {label[:44]:<44} {o:10.2f} {n:10.2f}  {n / o:6.3f}")


if __name__ == "__main__":
    main()

"""Loss curves drawn with characters, for ``bptui train --plot`` (plain text, no Rich needed)."""

from __future__ import annotations

import math

from .core.formulas.numformat import ticks

MARKS = "•∘"


def loss_plot(series: dict[str, list[float]], width: int = 64, height: int = 14) -> list[str]:
    """Lines of a chart of each named series against the epoch; the y axis is logarithmic when
    every value is positive and they span more than a factor of 10."""
    values = [v for ys in series.values() for v in ys if math.isfinite(v)]
    if not values:
        return ["(nothing to plot: no finite losses)"]
    lo, hi = min(values), max(values)
    log = lo > 0 and hi / lo > 10
    f = math.log10 if log else (lambda v: v)
    flo, fhi = f(lo), f(hi)
    span = (fhi - flo) or 1.0
    epochs = max(len(ys) for ys in series.values())
    grid = [[" "] * width for _ in range(height)]
    for mark, ys in zip(MARKS, series.values()):
        for i, y in enumerate(ys):
            if not math.isfinite(y):
                continue
            col = round(i * (width - 1) / max(1, epochs - 1))
            row = height - 1 - round((f(y) - flo) * (height - 1) / span)
            grid[row][col] = mark
    top, middle, bottom = ticks([hi, 10 ** ((flo + fhi) / 2) if log else (lo + hi) / 2, lo])  # as the app's axes
    tick = {0: top, height // 2: middle, height - 1: bottom}
    pad = max(len(t) for t in tick.values())
    lines = [f"{tick.get(r, ''):>{pad}} ┤{''.join(grid[r])}" for r in range(height)]
    lines.append(" " * pad + " └" + "─" * width)
    left, right = "epoch 1", f"epoch {epochs}"
    lines.append(" " * (pad + 2) + left + right.rjust(width - len(left)))
    legend = ",  ".join(f"{mark} {name}" for mark, name in zip(MARKS, series))
    lines.append(" " * (pad + 2) + legend + ("   (log scale)" if log else ""))
    return lines

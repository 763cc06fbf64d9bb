"""The side panel's text: the chain rule behind the cell under the cursor (from the core)."""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len

from ..core.teaching.explain import MAX_TERMS, Cell, Explanation, explain
from ..core.engine.stepper import Stepper


class TimeIndex(NamedTuple):
    """A recurrent network's per-τ panel cell: time step ``t`` (None: a many-to-one layer above, which
    runs once) and the 0-based ``row`` (unit b − 1; for the input, a − 1)."""

    t: int | None
    row: int


def to_cell(stepper: Stepper, cell: tuple) -> Cell:
    """A panel cell (quantity, layer, array row, column) in the lecture's indices (b from 1)."""
    quantity, l, row, col = cell
    if isinstance(row, TimeIndex):  # a recurrent network's cell at time step τ (tui/seq_sheet.py)
        return Cell(quantity, l, row.row + 1, time=row.t)
    kind = stepper.spec.layer_kinds[l - 1] if l else None  # names the cell as its panel does
    if isinstance(row, tuple):  # a map position (k, i, j) of a v2 network
        return Cell(quantity, l, row, kind=kind)
    if quantity == "o":  # a hidden o⁽ˡ⁾ holds its bias 1 at index 0 = b 0
        return Cell("o", l, row if l < stepper.spec.L else row + 1)
    return Cell(quantity, l, row + 1, col, kind=kind if quantity in ("W", "G") else None)


def panel_cell(stepper: Stepper, cell: Cell) -> tuple | None:
    """The inverse of :func:`to_cell`; None for numbers no panel shows (the loss)."""
    l, b = cell.layer, cell.unit
    if l is None or b is None:  # the loss, or a graph's cell
        return None
    if isinstance(b, tuple):
        return (cell.quantity, l, b, None)
    if getattr(stepper.spec, "lengths", None) is not None and (cell.quantity in ("s", "o", "delta") or cell.time is not None):
        return (cell.quantity, l, TimeIndex(cell.time, b - 1), None)
    if cell.quantity in ("W", "G"):
        return (cell.quantity, l, b - 1, cell.column)
    if cell.quantity == "o":
        return ("o", l, b if l < stepper.spec.L else b - 1, None)
    if cell.quantity in ("s", "delta"):
        return (cell.quantity, l, b - 1, None)
    return None


def explain_cell(stepper: Stepper, cell: tuple, digits: int, room: tuple[int, int] = (0, 0)) -> str:
    """The side panel's text for ``cell``, with as many terms as ``room`` (columns, rows) holds."""
    extra = "\n\nEnter: type a new value for this weight" if cell[0] == "W" else ""
    return fitted(explain(stepper, to_cell(stepper, cell), digits), room, extra)


def rows(text: str, width: int) -> int:
    """The rows ``text`` takes in a panel ``width`` cells wide, its lines folded (``folded.fold``, then
    a word longer than a row cut into rows)."""
    from .folded import fold

    return sum(max(1, -(-cell_len(line) // width)) for line in fold(text, width).split("\n"))


def fitted(explanation: Explanation, room: tuple[int, int], extra: str = "") -> str:
    """``explanation``'s text (then ``extra``) with every term of its sums when they fit in ``room``
    (columns, rows of the panel), else as many as fit, never fewer than the text exports show
    (MAX_TERMS); no room known (0): as the exports show it."""
    width, height = room
    most = explanation.most_terms()
    if width <= 0 or height <= 0 or most <= MAX_TERMS:
        return explanation.text() + extra
    height -= 1  # a row to spare: the panel folds at spaces, a little later than at the width

    def fits(limit: int) -> bool:
        return rows(explanation.text(limit) + extra, width) <= height
    if fits(most):
        return explanation.text(most) + extra
    low, high = MAX_TERMS, most  # fits(low) or nothing better does; fits(high) is False
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return explanation.text(low) + extra

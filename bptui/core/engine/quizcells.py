"""The numbers of a step that the quiz may ask for, as data: each kind lists its own
(:meth:`~bptui.core.engine.kind.LayerKind.quiz_cells`), with these helpers for the shapes they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..formulas.formula import Ref
from .explain import Cell

if TYPE_CHECKING:
    from .kind import LayerKind

Pos = tuple[int, ...]


@dataclass(frozen=True)
class QuizCell:
    """One number a step makes that the quiz may ask for.

    ``cell`` names it as the layer's panel does (its symbol: s₂⁽¹⁾, w₁,₂,₁,₁⁽¹⁾, δ⁽¹⁾₂,₃);
    ``ref`` is where it stands on the board, as the step's formula trees refer to it (what the
    quiz hides); ``pos`` is where the step's equations work a map step out as a scalar (a map
    position, a kernel weight's (k, c, u, v); None: the equations show every entry as they are);
    ``value`` is the number itself (None when listed without the step's value)."""

    cell: Cell
    ref: Ref
    pos: Pos | None = None
    value: float | None = None


def _at(value: Any, index: Pos) -> float | None:
    return None if value is None else float(np.asarray(value)[index])


def matrix_cells(kind: "LayerKind", l: int, quantity: str, value: Any = None) -> tuple[QuizCell, ...]:
    """Every entry (row, column) of W⁽ˡ⁾ or G⁽ˡ⁾ (the bias column 0 too), named as ``kind`` names them."""
    rows, cols = kind.param_shape
    return tuple(QuizCell(Cell(quantity, l, r + 1, a, kind=kind), Ref(quantity, l, (r, a)), None,
                          _at(value, (r, a))) for r in range(rows) for a in range(cols))


def unit_cells(kind: "LayerKind", l: int, quantity: str, time: int | None, value: Any = None,
               first: int = 0) -> tuple[QuizCell, ...]:
    """Units b = 1 … d⁽ˡ⁾ (``kind.entries``) of a vector step of layer l (at index b − 1 + ``first``: a hidden o⁽ˡ⁾ keeps
    its bias 1 at index 0); at time step τ = ``time``, the board's row of τ (``kind.time_row``) first."""
    row = () if time is None else (kind.time_row(quantity, time),)
    named = kind if kind.over_time else None  # a kind over time names its own entries (an LSTM's by gate)
    board = kind.board_quantity(quantity)  # the matrix the step writes (an LSTM's h: the layer's o)
    return tuple(QuizCell(Cell(quantity, l, b, time=time, kind=named), Ref(board, l, row + (b - 1 + first,)),
                          None, _at(value, (b - 1 + first,))) for b in range(1, kind.entries(quantity) + 1))


def map_cells(kind: "LayerKind", l: int, quantity: str, value: Any = None) -> tuple[QuizCell, ...]:
    """Every position (k, i, j) of a map step of layer l; the step's equations work it out there."""
    return tuple(QuizCell(Cell(quantity, l, pos, kind=kind), Ref(quantity, l, pos), pos, _at(value, pos))
                 for pos in (tuple(int(x) for x in p) for p in np.ndindex(*kind.out_shape)))

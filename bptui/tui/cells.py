"""How many cells a text takes on the terminal, as rich counts them (``rich.cells.cell_len``), kept per
text and without measuring a character at a time a text of characters already found one cell wide: the
canvases' texts (``graph_canvas``) and the number panels' lines cut where another widget stands over
them (``panel_base.LeanStrip.divide``). No Textual here."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

_ONE_CELL: set[str] = set()  # characters rich measures one cell wide, added as texts bring them
CELLS_KEPT = 1 << 12
_CELLS: dict[str, int] = {}  # a text → its cells (the last CELLS_KEPT texts measured)


def cells(text: str) -> int:
    """``rich.cells.cell_len(text)``, kept per text, and without measuring each character of a new text
    made of characters already found one cell wide: rich measures a new text a character at a time
    unless each is Latin, Greek or a box-drawing one (a unit's line ``s₁⁽¹⁾ = −0.1234`` about 30,000
    instructions, a tenth of a step's diagram). A joiner or a variation selector is never among them: a
    text of such characters is as many cells wide as it has characters, as rich counts it."""
    n = _CELLS.get(text)
    if n is None:
        if len(_CELLS) >= CELLS_KEPT:
            _CELLS.clear()
        if _ONE_CELL.issuperset(text):
            n = len(text)
        else:
            n = cell_len(text)
            _ONE_CELL.update(c for c in set(text) if c not in "\u200d\ufe0f" and get_character_cell_size(c) == 1)
        _CELLS[text] = n
    return n


def one_cell_each(text: str) -> bool:
    """Whether every character of ``text`` is one cell wide (so that it takes as many cells as it has
    characters, and a cut at any of them is a cut at that cell), as rich measures them."""
    if _ONE_CELL.issuperset(text):
        return True
    cells(text)  # (its characters measured, once: those one cell wide are known from then on)
    return _ONE_CELL.issuperset(text)

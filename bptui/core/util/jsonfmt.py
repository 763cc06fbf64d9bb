"""Network and graph files as people write them by hand: compact JSON, a matrix row per line.

``json.dumps(doc, indent=2)`` puts every number of a weight matrix on a line of its own; the bundled
examples in ``networks/`` keep a short value on one line, an object's keys one a line, and a
matrix one row a line. :func:`dumps` writes that layout (``w`` in the app, ``bptui train --save``,
``bptui export --variants``); ``json.loads(dumps(doc)) == doc`` always holds.
"""

from __future__ import annotations

import json
from typing import Any

WIDTH = 120  # a value that fits in this many columns stays on one line (the bundled files' widest)


def _flat(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_row(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)


def _is_matrix(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_row(row) for row in value)


def _always_broken(value: Any) -> bool:
    """Layers (a list of objects) go one a line, weights (a list of matrices) one row a line, and
    an object holding matrices (inline data) one key a line."""
    if isinstance(value, dict):
        return len(value) > 1 and any(_is_matrix(v) and len(v) > 1 for v in value.values())
    return isinstance(value, list) and len(value) > 0 and (
        all(isinstance(v, dict) for v in value) and len(value) > 1 or all(_is_matrix(v) for v in value))


def dumps(value: Any, indent: int = 0, force: bool = False, col: int | None = None) -> str:
    """``value`` as compact JSON, its nested parts indented from column ``indent`` (``force``: a
    matrix one row a line even when it would fit on one; ``col``: the column it starts at, where a
    matrix's rows line up)."""
    flat = _flat(value)
    if not isinstance(value, (list, dict)) or not value or (
            indent + len(flat) <= WIDTH and not force and not _always_broken(value)):
        return flat
    pad = " " * indent
    if isinstance(value, dict):
        items = [f"{pad}  {_flat(k)}: {dumps(v, indent + 2, col=indent + 4 + len(_flat(k)))}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if _is_row(value):  # a long row of numbers stays one row
        return flat
    if all(_is_row(row) for row in value):  # a matrix: one row a line, aligned under the first
        return "[" + (",\n" + " " * (indent if col is None else col) + " ").join(_flat(row) for row in value) + "]"
    matrices = all(_is_matrix(v) for v in value)
    items = [pad + "  " + dumps(v, indent + 2, force=matrices) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def network_text(doc: Any) -> str:
    """A whole file's text (with its final newline)."""
    return dumps(doc) + "\n"


__all__ = ["dumps", "network_text"]

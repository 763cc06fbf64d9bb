"""A CSV file's named columns as numbers, in plain Python (no NumPy): the one reading of a network's
``"csv"`` data, and all of its checks, for the reader (``data.read_csv`` makes arrays of it) and for
the verdict before the app's first frame (``verdict.csv_table``), which so says the same of every
fault in the same words.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..util.errors import SpecError


@dataclass(frozen=True)
class Table:
    """The rows of a CSV file's wanted columns, the inputs' then the targets', row after row."""
    values: array  # array("d"): 8 bytes a number, as the arrays made of it (NumPy reads it in place)
    inputs: int  # how many input columns
    targets: int  # how many target columns

    @property
    def rows(self) -> int:
        return len(self.values) // (self.inputs + self.targets)

    def input_values(self) -> Any:
        """Every input number (the targets' left out), in no particular order."""
        width = self.inputs + self.targets
        return (v for j in range(self.inputs) for v in self.values[j::width])


def read_table(path: Path, inputs: list[str] | None, targets: list[str], place: str,
               max_rows: int | None = None, target_range: tuple[float, float] | None = None) -> Table:
    """Named columns of a CSV file with a header line, as numbers; every problem is a SpecError.

    Only a regular file of at most ``MAX_CSV_FILE_BYTES`` is read, row by row (a UTF-8 byte order
    mark, as Excel writes, is dropped); more than ``max_rows`` rows of data is an error; a target
    outside ``target_range`` is an error naming its line and column."""
    import csv  # only files that use a CSV pay for it
    import io

    from ..util.files import MAX_CSV_FILE_BYTES, open_regular

    source = str(path)
    try:
        raw = open_regular(path, MAX_CSV_FILE_BYTES, what="CSV file")
    except SpecError as err:
        if err.message == "no such file":  # named from the network file, where the name was written
            raise SpecError(f"no such file {source}", place=f"{place}.csv") from None
        raise
    with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
        return _read_rows(csv.reader(fh), path, inputs, targets, place, max_rows, target_range)


def _read_rows(reader: Any, path: Path, inputs: list[str] | None, targets: list[str], place: str,
               max_rows: int | None, target_range: tuple[float, float] | None) -> Table:
    """The rows of a ``csv.reader`` (its type is private to the csv module) as read_table says."""
    import csv

    from ..util.validate import unsafe_char

    source = str(path)
    values = array("d")
    rows = 0
    try:
        header_row = next((r for r in reader if any(cell.strip() for cell in r)), None)
        if header_row is None:
            raise SpecError("empty: a header line of column names is needed", source=source)
        header = [h.strip() for h in header_row]
        for j, name in enumerate(header):
            if (bad := unsafe_char(name)) is not None:
                raise SpecError(f"the name of column {j + 1} contains {bad[1]}", source=source, place="line 1")
        columns: dict[str, int] = {}
        for j, name in enumerate(header):
            if name in columns:
                raise SpecError(f"column name {name!r} appears twice (columns {columns[name] + 1} and {j + 1}): "
                                "which one is meant?", source=source, place=f"line {reader.line_num}")
            columns[name] = j
        for key, names in (("targets", targets), ("inputs", inputs or [])):
            for i, name in enumerate(names):
                if name not in columns:
                    raise SpecError(f"no column {name!r} in {path.name} (columns: {', '.join(header)})",
                                    place=f"{place}.{key}[{i}]")
        if inputs is None:
            inputs = [h for h in header if h not in targets]
            if not inputs:
                raise SpecError(f"no input columns left in {path.name} besides the targets", place=f"{place}.targets")
        wanted = [columns[c] for c in inputs + targets]
        n_in = len(inputs)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise SpecError(f"{len(row)} cells, expected {len(header)} like the header", source=source,
                                place=f"line {line}")
            if max_rows is not None and rows >= max_rows:
                raise SpecError(f"more than {max_rows:,} rows of data, the most this network may have "
                                "(see the manual's limits, docs/network-files.md)", source=source, place=f"line {line}")
            for k, j in enumerate(wanted):
                cell = row[j].strip()
                try:
                    x = float(cell) if len(cell) <= 100 else math.nan
                except ValueError:
                    x = math.nan
                if not math.isfinite(x):
                    shown = repr(cell) if len(cell) <= 40 else repr(cell[:37]) + "…"
                    raise SpecError(f"{shown} is not a finite number", source=source,
                                    place=f"line {line}, column {header[j]}")
                if k >= n_in and target_range is not None and not target_range[0] <= x <= target_range[1]:
                    raise SpecError(f"target {x:g} is outside [{target_range[0]:g}, {target_range[1]:g}] "
                                    "(cross_entropy targets are probabilities)", source=source,
                                    place=f"line {line}, column {header[j]}")
                values.append(x)
            rows += 1
    except csv.Error as err:
        raise SpecError(f"not CSV: {err}", source=source, place=f"line {reader.line_num}") from None
    except UnicodeDecodeError as err:
        raise SpecError("not UTF-8 text", source=source) from None
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", source=source) from None
    if not rows:
        raise SpecError("no rows of data below the header", source=source)
    return Table(values, n_in, len(targets))

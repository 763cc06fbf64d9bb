"""Data sets: inline lists, seeded generators and CSV files; the held-out test split; standardising.

Every generator draws from ``np.random.default_rng(seed)`` only, so the same ``data`` section gives
the same numbers on every machine and run. The test split (``test_fraction``) is the last part of
the data after a seeded shuffle; it is held out from the step schedule and from training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..util.errors import SpecError

POINT_GENERATORS = ("xor", "circle", "gauss", "spiral", "moons", "sine")
IMAGE_GENERATORS = ("edges", "shapes")  # small images [1][H][W] for conv2d networks
GENERATORS = POINT_GENERATORS + IMAGE_GENERATORS
GENERATOR_DEFAULTS = {"n": 200, "noise": 0.1, "seed": 0, "test_fraction": 0.2}


@dataclass(frozen=True)
class DataSet:
    inputs: np.ndarray  # training split, N × d⁽⁰⁾ (standardised when asked)
    targets: np.ndarray
    test_inputs: np.ndarray  # the held-out split (0 rows when there is none)
    test_targets: np.ndarray
    shift: np.ndarray | None = None  # x ↦ (x − shift) / scale when standardised
    scale: np.ndarray | None = None


# -- generators -------------------------------------------------------------------------------------
def _labels_2d(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points in the plane and their 0/1 classes."""
    if name == "xor":
        X = rng.uniform(-1.0, 1.0, size=(n, 2))
        c = (X[:, 0] * X[:, 1] < 0).astype(float)
    elif name == "circle":
        X = rng.uniform(-1.0, 1.0, size=(n, 2))
        c = (np.hypot(X[:, 0], X[:, 1]) < math.sqrt(2 / math.pi)).astype(float)  # half the square inside
    elif name == "gauss":
        c = (np.arange(n) % 2).astype(float)
        X = rng.normal(0.0, 0.5, size=(n, 2)) + np.where(c[:, None] == 1, 1.0, -1.0)
    elif name == "spiral":
        c = (np.arange(n) % 2).astype(float)
        t = rng.uniform(0.0, 1.0, size=n)
        angle = 3 * math.pi * t + math.pi * c
        X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    else:  # moons
        c = (np.arange(n) % 2).astype(float)
        a = rng.uniform(0.0, math.pi, size=n)
        X = np.where(c[:, None] == 0,
                     np.stack([np.cos(a), np.sin(a)], axis=1),
                     np.stack([1 - np.cos(a), 0.5 - np.sin(a)], axis=1))
    X = X + rng.normal(0.0, noise, size=X.shape) if noise else X
    return X, c


def generate(name: str, n: int, noise: float, seed: int, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` examples of a generator, in a seeded random order; ``outputs`` is d⁽ᴸ⁾.

    ``sine``: x uniform in [−π, π], y = sin x + noise. The classifiers: points in the plane with
    target 0/1 (one output unit) or one-hot [1, 0] / [0, 1] (two output units).
    """
    rng = np.random.default_rng(seed)
    if name == "sine":
        X = rng.uniform(-math.pi, math.pi, size=(n, 1))
        Y = np.sin(X) + (rng.normal(0.0, noise, size=X.shape) if noise else 0.0)
        return X, Y
    X, c = _labels_2d(name, n, noise, rng)
    Y = c[:, None] if outputs == 1 else np.stack([1 - c, c], axis=1)
    order = rng.permutation(n)
    return X[order], Y[order]


def generator_shape(name: str) -> tuple[int, tuple[int, ...]]:
    """(input width, allowed output widths) of a generator."""
    return (1, (1,)) if name == "sine" else (2, (1, 2))


# -- small synthetic images (v2 networks with a map input) ------------------------------------------
def image_classes(name: str) -> tuple[int, ...]:
    """The output widths an image generator can fill: ``edges`` 1 (0/1), ``shapes`` 3 (one-hot)."""
    return (1,) if name == "edges" else (3,)


def generate_images(name: str, n: int, noise: float, seed: int, H: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` grey images H × W in [0, 1] (plus Gaussian ``noise``), flattened as rows, and targets.

    ``edges``: a vertical step edge (dark left of a random column, bright right; target 1) or a
    horizontal one (target 0), alternating. ``shapes``: a bar (horizontal or vertical), a cross or a
    blob (a filled square of 2×2 or 3×3), each at a random place, one-hot over the three classes.
    The same seed always gives the same images.
    """
    rng = np.random.default_rng(seed)
    X = np.zeros((n, H, W))
    if name == "edges":
        Y = np.zeros((n, 1))
        for i in range(n):
            vertical = i % 2 == 0
            cut = int(rng.integers(1, (W if vertical else H)))
            if vertical:
                X[i, :, cut:] = 1.0
            else:
                X[i, cut:, :] = 1.0
            if rng.random() < 0.5:  # bright-to-dark as often as dark-to-bright
                X[i] = 1.0 - X[i]
            Y[i, 0] = float(vertical)
    else:
        Y = np.zeros((n, 3))
        for i in range(n):
            c = i % 3
            if c == 0:  # a bar across the image
                if rng.random() < 0.5:
                    X[i, int(rng.integers(0, H)), :] = 1.0
                else:
                    X[i, :, int(rng.integers(0, W))] = 1.0
            elif c == 1:  # a cross of arm length 1
                r, q = int(rng.integers(1, H - 1)), int(rng.integers(1, W - 1))
                X[i, r, q - 1:q + 2] = 1.0
                X[i, r - 1:r + 2, q] = 1.0
            else:  # a blob
                k = int(rng.integers(2, 4))
                r, q = int(rng.integers(0, H - k + 1)), int(rng.integers(0, W - k + 1))
                X[i, r:r + k, q:q + k] = 1.0
            Y[i, c] = 1.0
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    order = rng.permutation(n)
    return X[order].reshape(n, H * W), Y[order]


# -- CSV files --------------------------------------------------------------------------------------
def read_csv(path: Path, inputs: list[str] | None, targets: list[str], place: str,
             max_rows: int | None = None, target_range: tuple[float, float] | None = None,
             ) -> tuple[np.ndarray, np.ndarray]:
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
               max_rows: int | None, target_range: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a ``csv.reader`` (its type is private to the csv module) as read_csv says."""
    import csv

    from ..util.validate import unsafe_char

    source = str(path)
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
        rows: list[np.ndarray] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise SpecError(f"{len(row)} cells, expected {len(header)} like the header", source=source,
                                place=f"line {line}")
            if max_rows is not None and len(rows) >= max_rows:
                raise SpecError(f"more than {max_rows:,} rows of data, the most this network may have "
                                "(see the manual's limits, docs/network-files.md)", source=source, place=f"line {line}")
            values = np.empty(len(wanted))
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
                values[k] = x
            rows.append(values)
    except csv.Error as err:
        raise SpecError(f"not CSV: {err}", source=source, place=f"line {reader.line_num}") from None
    except UnicodeDecodeError as err:
        raise SpecError("not UTF-8 text", source=source) from None
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", source=source) from None
    if not rows:
        raise SpecError("no rows of data below the header", source=source)
    M = np.array(rows)
    return M[:, :n_in], M[:, n_in:]


# -- split and standardise --------------------------------------------------------------------------
def split(X: np.ndarray, Y: np.ndarray, test_fraction: float, seed: int | None) -> tuple[np.ndarray, ...]:
    """(train X, train Y, test X, test Y): a seeded shuffle (when ``seed`` is given), then the last
    round(test_fraction · N) rows are the test split."""
    n_test = int(round(test_fraction * len(X)))
    if n_test == 0:
        return X, Y, X[:0], Y[:0]
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(X))
        X, Y = X[order], Y[order]
    cut = len(X) - n_test
    return X[:cut], Y[:cut], X[cut:], Y[cut:]


def standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x − mean) / std per input, with the statistics of the training split only (std 0 → 1)."""
    shift = train.mean(axis=0)
    scale = train.std(axis=0)
    scale[scale == 0] = 1.0
    return (train - shift) / scale, (test - shift) / scale, shift, scale

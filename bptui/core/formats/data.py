"""Data sets: inline lists, seeded generators and CSV files; the held-out test split; standardising.

Every generator draws from ``np.random.default_rng(seed)`` only, so the same ``data`` section gives
the same numbers on every machine and run. The test split (``test_fraction``) is the last part of
the data after a seeded shuffle; it is held out from the step schedule and from training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# the generators' names, defaults and shapes: facts the verdict checks a file against without NumPy
from .verdict import (GENERATOR_DEFAULTS, GENERATORS, IMAGE_GENERATORS, POINT_GENERATORS,  # noqa: F401
                      generator_shape, image_classes, held_out)
from .csv_table import Table


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


# -- small synthetic images (v2 networks with a map input) ------------------------------------------
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
def csv_arrays(table: Table) -> tuple[np.ndarray, np.ndarray]:
    """A CSV file's numbers (:func:`.csv_table.read_table`, read and checked in plain Python, as the
    verdict before the first frame reads them) as arrays: inputs, targets."""
    M = np.frombuffer(table.values, dtype=float).reshape(table.rows, table.inputs + table.targets)
    return M[:, :table.inputs], M[:, table.inputs:]


# -- split and standardise --------------------------------------------------------------------------
def split(X: np.ndarray, Y: np.ndarray, test_fraction: float, seed: int | None) -> tuple[np.ndarray, ...]:
    """(train X, train Y, test X, test Y): a seeded shuffle (when ``seed`` is given), then the last
    round(test_fraction · N) rows are the test split."""
    n_test = held_out(len(X), test_fraction)
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

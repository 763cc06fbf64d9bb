"""A network file's verdict without NumPy: the reader's checks of everything a file can hold as
plain JSON (a v1 network's layers, its weight matrices' shapes, inline data, a generator's
parameters, a CSV file's rows (read by :mod:`.csv_table`), the test split, the limits on its sizes),
run by :func:`~.spec.parse` itself before it builds the arrays, and by the app before its first
frame, which then need not wait for NumPy's import (``bptui FILE``: :func:`verdict`).

What the arrays alone could refuse is decided here only where it provably cannot fail: a generator's
classes are 0 and 1, and standardising cannot overflow inputs within ±``SAFE_INPUT``. A document
beyond that (a v2 file's layer kinds, standardised inputs beyond ±10¹⁰⁰, cross-entropy on ``sine``'s
targets, a CSV file of more than ``CSV_VERDICT_MAX_BYTES``) gets no verdict here: ``parse`` gives it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..formulas.notation import sup
from ..ops.activation_rules import read_activation
from ..util import validate
from ..util.errors import SpecError

# What a network may ask of memory, checked before anything is allocated (the manual: docs/network-files.md, "Limits and hostile input"). The
# schema caps each number (units, n, epochs, layers); these cap their products. 784-256-10 on 10,000
# examples (benchmarks/train_speed.py) needs 203,530 weights, 7.9 million data values and 10.5
# million activations.
MAX_WEIGHTS = 5_000_000  # Σ d⁽ˡ⁾ (d⁽ˡ⁻¹⁾ + 1): 40 MB a copy, and training holds a few
MAX_DATA_VALUES = 20_000_000  # N × (d⁽⁰⁾ + d⁽ᴸ⁾), test split included: 160 MB
MAX_ACTIVATIONS = 100_000_000  # N × c (c = Σ d⁽ˡ⁾ for dense layers, see Cost): one full-batch pass, 800 MB
# (a digits-sized convolution on 2,000 1×16×16 images fits: its im2col matrices count here)
MAX_MULTIPLICATIONS = 30_000_000_000  # N × one example's forward pass: the most any v1 network the limits
# above allow can ask (two layers of 2,236 units on 5,590 examples: 2.8·10¹⁰, about 10 s an epoch)

# a layer entry with any key beyond v1's (units, activation, alpha) is a v2 file: "shape" (a map
# input) or a key a kind of the table reads (the schema, checked first, allows no other; a test checks
# that its layer keys are the kinds' and "shape")
V1_KEYS = frozenset({"units", "activation", "alpha"})

POINT_GENERATORS = ("xor", "circle", "gauss", "spiral", "moons", "sine")
IMAGE_GENERATORS = ("edges", "shapes")  # small images [1][H][W] for conv2d networks
GENERATORS = POINT_GENERATORS + IMAGE_GENERATORS
GENERATOR_DEFAULTS = {"n": 200, "noise": 0.1, "seed": 0, "test_fraction": 0.2}


def is_v1(layers: list) -> bool:
    return not any(set(layer) - V1_KEYS for layer in layers)


def check_weight_count(widths: tuple[int, ...]) -> None:
    n = sum(widths[l] * (widths[l - 1] + 1) for l in range(1, len(widths)))
    if n > MAX_WEIGHTS:
        raise SpecError(f"{n:,} weights, at most {MAX_WEIGHTS:,}", place="layers")


def v1_layers(layers: list) -> tuple[tuple[int, ...], list[str], list[float]]:
    """A v1 file's widths, activations and their α (all its layers dense)."""
    for i, layer in enumerate(layers):
        if "units" not in layer:
            raise SpecError("missing required key 'units'", place=f"layers[{i}]")
    widths = tuple(int(layer["units"]) for layer in layers)
    L = len(widths) - 1
    check_weight_count(widths)
    if "activation" in layers[0] or "alpha" in layers[0]:
        raise SpecError("the input layer has no activation", place="layers[0]")
    acts, alphas = [], []
    for l in range(1, L + 1):
        name, alpha = read_activation(layers[l], l, L, widths[l])
        acts.append(name)
        alphas.append(alpha)
    return widths, acts, alphas


def v1_weights(ws: list, widths: tuple[int, ...]) -> None:
    """A v1 file's ``weights``: a matrix d⁽ˡ⁾ × (d⁽ˡ⁻¹⁾+1) for each layer (the schema has checked
    that each is a list of rows of finite numbers, or a v2 kind's entry)."""
    L = len(widths) - 1
    if len(ws) != L:
        raise SpecError(f"{len(ws)} matrices, expected {L} (one per layer 1..{L})", place="weights")
    for l, w in enumerate(ws, start=1):
        expect = f"{widths[l]}×{widths[l-1] + 1} = d{sup(l)} × (d{sup(l-1)}+1)"
        if not isinstance(w, list):  # null, {kernel, bias} or {W, U}: weights of a v2 layer kind
            raise SpecError(f"{validate.describe(w)} is not a matrix {expect} (layers[{l}] is dense)",
                            place=f"weights[{l-1}]")
        cols = {len(row) for row in w}
        if len(w) != widths[l] or cols != {widths[l - 1] + 1}:
            shape = f"{len(w)}×{'/'.join(str(c) for c in sorted(cols))}"
            raise SpecError(f"shape {shape}, expected {expect}", place=f"weights[{l-1}]")


def v1_cost(widths: tuple[int, ...]) -> tuple[int, int]:
    """(numbers, multiplications) of one example's pass through a v1 network: the input and each
    dense layer's output, and each layer's d⁽ˡ⁾ (d⁽ˡ⁻¹⁾ + 1) (``spec.example_cost`` of its dense
    kinds, which a test checks it equals)."""
    L = len(widths) - 1
    return sum(widths), sum(widths[l] * (widths[l - 1] + 1) for l in range(1, L + 1))


def most_examples(widths: tuple[int, ...], cells: int, multiplications: int) -> int:
    """The most examples (training and test) a network of these widths may have, one example's pass
    allocating ``cells`` numbers and making ``multiplications``."""
    return min(MAX_DATA_VALUES // (widths[0] + widths[-1]), MAX_ACTIVATIONS // cells,
               MAX_MULTIPLICATIONS // max(1, multiplications))


def check_examples(n: int, widths: tuple[int, ...], place: str, cells: int, multiplications: int) -> None:
    limit = most_examples(widths, cells, multiplications)
    if n > limit:
        raise SpecError(f"{n:,} examples, at most {limit:,} for a {'-'.join(map(str, widths))} network "
                        f"(N·(d⁽⁰⁾ + d⁽ᴸ⁾) ≤ {MAX_DATA_VALUES:,}, N·(numbers of one example's pass) ≤ "
                        f"{MAX_ACTIVATIONS:,} and N·(its multiplications) ≤ {MAX_MULTIPLICATIONS:,})", place=place)


def check_loss(loss: str, out_act: str) -> None:
    if loss == "cross_entropy" and out_act not in ("sigmoid", "softmax"):
        raise SpecError(
            f"cross_entropy needs a sigmoid or softmax output layer, not {out_act}", place="loss"
        )


def numbers(row: list, place: str, expected: str) -> None:
    """A row that must hold plain numbers (the schema lets data nest, for maps and sequences)."""
    for j, v in enumerate(row):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise SpecError(f"{validate.describe(v)} is not a number: expected {expected}", place=f"{place}[{j}]")


def number_rows(rows: list, place: str, width: int, width_text: str) -> None:
    """Rows of ``width`` plain numbers each (``width_text`` says what the width is)."""
    for i, row in enumerate(rows):
        if len(row) != width:
            raise SpecError(f"{len(row)} values, expected {width} = {width_text}", place=f"{place}[{i}]")
        if not _NUMBER_TYPES.issuperset(map(type, row)):  # (the places' text only for a row that fails)
            numbers(row, f"{place}[{i}]", f"{width} numbers = {width_text}")


_NUMBER_TYPES = frozenset({int, float})  # what json.loads makes of a number (bool is a type of its own)


def inline_data(data: dict, widths: tuple[int, ...], cells: int, multiplications: int) -> None:
    """Inline data of vectors: as many targets as inputs, not too many, rows of d⁽⁰⁾ and d⁽ᴸ⁾ numbers."""
    L = len(widths) - 1
    n_in, n_out = len(data["inputs"]), len(data["targets"])
    if n_in != n_out:
        raise SpecError(f"{n_in} inputs but {n_out} targets", place="data")
    check_examples(n_in, widths, "data.inputs", cells, multiplications)
    number_rows(data["inputs"], "data.inputs", widths[0], f"d{sup(0)} (units of layers[0])")
    number_rows(data["targets"], "data.targets", widths[-1], f"d{sup(L)} (units of layers[{L}])")


def target_out_of_range(i: int, k: int) -> SpecError:
    """Cross-entropy's targets are probabilities: the first entry that is not, by its example and unit."""
    return SpecError("cross_entropy targets must lie in [0, 1]", place=f"data.targets[{i}][{k}]")


# -- data: generators, CSV files, the test split, standardising ---------------------------------------
def generator_shape(name: str) -> tuple[int, tuple[int, ...]]:
    """(input width, allowed output widths) of a point generator (``data.generate``)."""
    return (1, (1,)) if name == "sine" else (2, (1, 2))


def image_classes(name: str) -> tuple[int, ...]:
    """The output widths an image generator can fill: ``edges`` 1 (0/1), ``shapes`` 3 (one-hot)."""
    return (1,) if name == "edges" else (3,)


def generator_options(data: dict, widths: tuple[int, ...], input_shape: tuple[int, ...], cells: int,
                      multiplications: int) -> dict:
    """A generator's parameters (its defaults filled in), checked against the network: a map input
    takes an image generator, a vector one a point generator of its widths; n examples within the
    limits. (The numbers it draws need no check: ``verdict`` says why.)"""
    L = len(widths) - 1
    opts = {**GENERATOR_DEFAULTS, **data}
    name = opts["generator"]
    if input_shape and name in IMAGE_GENERATORS:
        C, H, W = input_shape
        if C != 1:
            raise SpecError(f"{name} makes images of 1 channel, but layers[0].shape has {C}", place="data.generator")
        if H < 3 or W < 3:
            raise SpecError(f"{name} needs images of at least 3×3, not {H}×{W}", place="data.generator")
        if widths[-1] not in image_classes(name):
            raise SpecError(f"{name} gives targets for {image_classes(name)[0]} output unit(s), "
                            f"but layers[{L}] has {widths[-1]}", place="data.generator")
    elif input_shape:
        raise SpecError(f"{name} makes points, not images: a map input needs "
                        f"{' or '.join(IMAGE_GENERATORS)}", place="data.generator")
    elif name in IMAGE_GENERATORS:
        raise SpecError(f"{name} makes images: layers[0] needs a shape [1, H, W]", place="data.generator")
    else:
        n_in, n_outs = generator_shape(name)
        if widths[0] != n_in:
            raise SpecError(f"{name} gives {n_in} input{'s' * (n_in > 1)}, but layers[0] has {widths[0]} units",
                            place="data.generator")
        if widths[-1] not in n_outs:
            raise SpecError(f"{name} gives targets for {' or '.join(map(str, n_outs))} output unit(s), "
                            f"but layers[{L}] has {widths[-1]}", place="data.generator")
    check_examples(int(opts["n"]), widths, "data.n", cells, multiplications)
    return opts


def csv_path(data: dict, source: str) -> Path:
    """The CSV file a network names, found beside the network file."""
    return Path(source).parent / data["csv"] if source else Path(data["csv"])


def csv_table(data: dict, widths: tuple[int, ...], source: str, loss: str, cells: int,
              multiplications: int) -> Any:
    """A network's CSV data, read and checked (:func:`.csv_table.read_table`: rows, numbers, not too
    many, cross-entropy's targets line by line), with as many input and target columns as the input
    and output layers have units."""
    from .csv_table import read_table  # only files that use a CSV pay for it

    L = len(widths) - 1
    table = read_table(csv_path(data, source), data.get("inputs"), data["targets"], "data",
                       max_rows=most_examples(widths, cells, multiplications),
                       target_range=(0.0, 1.0) if loss == "cross_entropy" else None)
    for key, n, d, l in (("inputs", table.inputs, widths[0], 0), ("targets", table.targets, widths[-1], L)):
        if n != d:
            raise SpecError(f"{n} columns, expected {d} = d{sup(l)} (units of layers[{l}])", place=f"data.{key}")
    return table


def held_out(n: int, test_fraction: float) -> int:
    """How many of ``n`` examples the test split holds: round(test_fraction · n)."""
    return int(round(test_fraction * n))


def check_split(n: int, test_fraction: float) -> None:
    """A test split leaves at least one training example."""
    if n - held_out(n, test_fraction) == 0:
        raise SpecError(f"test_fraction {test_fraction:g} leaves no training examples", place="data.test_fraction")


# Standardising, (x − mean) / std per input with the training split's statistics (``data.standardise``),
# is refused when a column's result is not finite (``spec._data``). It cannot be when every input lies
# within ±SAFE_INPUT: for N ≤ MAX_DATA_VALUES examples the sums of the mean stay below 2·10¹⁰⁷, the
# deviations below 2·10¹⁰⁰·(1 + ε), the sum of their squares below 10¹⁰⁸ · 4·10²⁰⁰; a std that is not 0
# (0 is taken as 1) is at least √(5·10⁻³²⁴) ≈ 2.2·10⁻¹⁶², the square root of the least float above 0,
# so every quotient, test split's included, stays below 10²⁶³, far from 1.8·10³⁰⁸.
SAFE_INPUT = 1e100
# A draw z of NumPy's standard normal is below 13.7 in size (its ziggurat's tail returns r + (−log u)/r
# with u ≥ 2⁻⁵³ and r ≈ 3.654); bounded here a million-fold more loosely, which no sampler exceeds.
NORMAL_BOUND = 1e6


def standardises(values: Any) -> bool:
    """Inputs that standardising provably leaves finite (see ``SAFE_INPUT``)."""
    return all(-SAFE_INPUT <= v <= SAFE_INPUT for v in values)


def generated_bound(noise: float) -> float:
    """A bound on the size of every input a generator draws (``data.generate``, ``generate_images``):
    π before the noise (uniform in [−1, 1] or [−π, π], moons within [−1, 2], spiral's t·cos within
    [−1, 1], images in [0, 1]) or 1 + 0.5·|z| (gauss), plus |z|·noise."""
    return math.pi + NORMAL_BOUND * (0.5 + noise)


# A CSV file larger than this is left to the reader child (``bptui FILE``), which reads it beside the
# app's import of Textual: read here, before the first frame, at about 0.17 s of CPU a megabyte (a loaded
# development machine; NumPy's import, which the child saves here, took 0.07 s), a larger file would hold
# the frame back longer than the child does on a free core (iris.csv is 4 KB)
CSV_VERDICT_MAX_BYTES = 256 << 10


def data_verdict(data: dict, widths: tuple[int, ...], source: str, loss: str, cells: int,
                 multiplications: int) -> bool:
    """The checks of a v1 network's data, in ``spec._data``'s order: True when they pass, a SpecError
    when one fails, False (having passed the checks before) where only its arrays could say."""
    if "generator" in data:
        opts = generator_options(data, widths, (), cells, multiplications)
        check_split(int(opts["n"]), float(opts["test_fraction"]))
        if data.get("standardize") and not standardises([generated_bound(float(opts["noise"]))]):
            return False
        # the classifiers' targets are 0 and 1; sine's, sin x + noise, are what cross-entropy may refuse
        return not (loss == "cross_entropy" and opts["generator"] == "sine")
    if "csv" in data:
        try:
            if os.path.getsize(csv_path(data, source)) > CSV_VERDICT_MAX_BYTES:
                return False
        except (OSError, ValueError):  # no such file, a name no file can have: in the reader's words below
            pass
        table = csv_table(data, widths, source, loss, cells, multiplications)
        check_split(table.rows, float(data.get("test_fraction", 0.0)))
        # cross-entropy's targets were checked line by line
        return not data.get("standardize") or standardises(table.input_values())
    inline_data(data, widths, cells, multiplications)
    if data.get("standardize") and not standardises(v for row in data["inputs"] for v in row):
        return False
    if loss == "cross_entropy":
        for i, row in enumerate(data["targets"]):
            for k, t in enumerate(row):
                if t < 0 or t > 1:
                    raise target_out_of_range(i, k)
    return True


def verdict(doc: Any, source: str) -> bool:
    """The reader's verdict on a schema-checked network document, when plain JSON decides it: True
    if ``parse`` accepts it, its SpecError (naming ``source``) if not; False, having checked
    nothing it could refuse, when only the document's arrays can say (a v2 file's layer kinds, and
    the cases ``data_verdict`` names: ``parse`` then gives the verdict). The checks run in ``parse``'s
    order, so a file with several faults gets the same first error."""
    layers, data = doc["layers"], doc["data"]
    if not is_v1(layers):
        return False
    try:
        widths, acts, _ = v1_layers(layers)
        if "weights" in doc:
            v1_weights(doc["weights"], widths)
        loss = doc.get("loss", "squared")
        check_loss(loss, acts[-1])
        return data_verdict(data, widths, source, loss, *v1_cost(widths))
    except SpecError as err:
        raise err.at(source)

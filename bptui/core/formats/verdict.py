"""A network file's verdict without NumPy: the reader's checks of everything a file can hold as
plain JSON (a v1 network's layers, its weight matrices' shapes, inline data, the limits on its
sizes), run by :func:`~.spec.parse` itself before it builds the arrays, and by the app before its
first frame, which then need not wait for NumPy's import (``bptui FILE``: :func:`verdict`).

A document whose checks need arrays (data made by a generator or read from a CSV file,
standardised inputs, a v2 file's layer kinds) gets no verdict here: ``parse`` gives it.
"""

from __future__ import annotations

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


def verdict(doc: Any, source: str) -> bool:
    """The reader's verdict on a schema-checked network document, when plain JSON decides it: True
    if ``parse`` accepts it, its SpecError (naming ``source``) if not; False, having checked
    nothing, when the document's checks need arrays (``parse`` then gives the verdict). The checks
    run in ``parse``'s order, so a file with several faults gets the same first error."""
    layers, data = doc["layers"], doc["data"]
    if not is_v1(layers) or "generator" in data or "csv" in data or data.get("standardize"):
        return False
    try:
        widths, acts, _ = v1_layers(layers)
        if "weights" in doc:
            v1_weights(doc["weights"], widths)
        loss = doc.get("loss", "squared")
        check_loss(loss, acts[-1])
        inline_data(data, widths, *v1_cost(widths))
        if loss == "cross_entropy":
            for i, row in enumerate(data["targets"]):
                for k, t in enumerate(row):
                    if t < 0 or t > 1:
                        raise target_out_of_range(i, k)
    except SpecError as err:
        raise err.at(source)
    return True

"""Network file → validated :class:`NetworkSpec` (the only way data enters the core)."""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from ..util import validate
from ..util.validate import read_json  # noqa: F401  (spec.read_json: the first stage of loading
from ..util.errors import SpecError
from .data import DataSet, csv_arrays, generate, generate_images, split, standardise
from ..formulas.notation import sup
from ..ops.optim import Optimizer
from ..engine.kind import sequence_output
from ..engine.netspec import DEFAULT_INIT, Cost, NetworkSpec, _frozen, kinds_cost
from ..kinds import KINDS, Dense, LayerKind
from . import verdict
from .verdict import MAX_ACTIVATIONS, MAX_DATA_VALUES, MAX_MULTIPLICATIONS, MAX_WEIGHTS, V1_KEYS  # noqa: F401

DEFAULT_TRAINING: dict[str, Any] = {"learning_rate": 0.1, "update": "full_batch", "l2": 0.0, "epochs": 100}

# What a network may ask of memory (the manual: docs/network-files.md, "Limits and hostile input"): the
# limits on the weights, the data, one pass and its multiplications are the verdict's (checked before NumPy
# is imported), and these on one example's board and on a run
MAX_EXAMPLE_CELLS = 5_000_000  # one example's board: the numbers its pass allocates, Σ over the layers (40 MB)
# A command that walks steps (trace, export, its parts and variants): a written step costs about
# 0.35 ms plus 70 ns per number of one example's pass (c) on the development machine, so the work
# of a run is steps × (c + STEP_OVERHEAD) in those numbers' units, at most MAX_RUN_WORK: about two
# minutes (400,000 steps of xor, or 540 steps of a 3.7-million-number convolution)
STEP_OVERHEAD = 5_000
MAX_RUN_WORK = 2_000_000_000


def dense_kinds(widths: tuple[int, ...]) -> tuple[LayerKind, ...]:
    """The layers of a v1 network (all dense) of these widths."""
    return tuple(Dense((widths[l - 1],), (widths[l],)) for l in range(1, len(widths)))


def example_cost(widths: tuple[int, ...], kinds: tuple[LayerKind, ...] = ()) -> Cost:
    """The cost of one example; ``kinds`` empty for a v1 network (its layers are dense)."""
    return kinds_cost(widths, kinds or dense_kinds(widths))


def max_examples(widths: tuple[int, ...], cost: Cost | None = None) -> int:
    """The most examples (training and test) a network of these widths (and layer kinds) may have."""
    cost = cost or example_cost(widths)
    return verdict.most_examples(widths, cost.cells, cost.multiplications)


def _check_examples(n: int, widths: tuple[int, ...], place: str, cost: Cost | None = None) -> None:
    cost = cost or example_cost(widths)
    verdict.check_examples(n, widths, place, cost.cells, cost.multiplications)


def _check_layer_cost(k: LayerKind, place: str) -> None:
    """One layer's pass over one example, before anything is allocated: its arrays (a convolution's
    padded input and im2col matrix, a pooling's windows) are at most MAX_EXAMPLE_CELLS numbers."""
    parts = k.cells()
    total = sum(n for _, n in parts)
    if total > MAX_EXAMPLE_CELLS:
        shown = ", ".join(f"{what} = {n:,}" for what, n in parts)
        raise SpecError(f"one example's pass through this {k.type} layer needs {total:,} numbers ({shown}), "
                        f"at most {MAX_EXAMPLE_CELLS:,}", place=place)


def check_run(spec: Any, steps: int, place: str, how: str = "") -> None:
    """A command that walks ``steps`` steps of a network (``trace``, ``export``, a part, variants):
    refused before the first step when it would run for more than minutes. ``place`` names the option and
    ``how`` says how the steps add up (``1,000 epochs × 38 steps``)."""
    if spec.kind == "graph":  # a graph's steps are its nodes, bounded by the graph's own limits
        return
    how = f" ({how})" if how else ""
    cells = spec.cost.cells
    if steps * (cells + STEP_OVERHEAD) > MAX_RUN_WORK:
        most = MAX_RUN_WORK // (cells + STEP_OVERHEAD)
        raise SpecError(f"{steps:,} steps to run{how}, at most {most:,} for this network (steps × (c + "
                        f"{STEP_OVERHEAD:,}) ≤ {MAX_RUN_WORK:,}, c = {cells:,} numbers in one example's pass)",
                        source=spec.source, place=place)


def _number_array(rows: list, place: str, width: int, width_text: str) -> np.ndarray:
    verdict.number_rows(rows, place, width, width_text)
    return np.array(rows, dtype=float).reshape(len(rows), width)


def parse(doc: Any, source: str = "", schema_checked: bool = False) -> NetworkSpec:
    """Check a parsed JSON document and build its spec; raises SpecError naming the place.

    ``schema_checked``: the caller has already run ``validate.check`` on ``doc``."""
    try:
        return _parse(doc, source, schema_checked)
    except SpecError as err:
        raise err.at(source)


def _parse(doc: Any, source: str, schema_checked: bool = False) -> NetworkSpec:
    if not schema_checked:
        validate.check(doc, validate.schema())
    layers = doc["layers"]
    if not verdict.is_v1(layers):
        return _parse_v2(doc, source)
    widths, acts, alphas = verdict.v1_layers(layers)
    L = len(widths) - 1
    if "weights" in doc:
        verdict.v1_weights(doc["weights"], widths)
        weights = [np.array(w, dtype=float) for w in doc["weights"]]
    else:
        init = {**DEFAULT_INIT, **doc.get("init", {})}
        rng = np.random.default_rng(int(init["seed"]))
        scale = float(init["scale"])
        weights = [rng.uniform(-scale, scale, size=(widths[l], widths[l - 1] + 1)) for l in range(1, L + 1)]

    return _finish(doc, source, widths, acts, alphas, weights)


def _finish(doc: Any, source: str, widths: tuple[int, ...], acts: list[str], alphas: list[float],
            weights: list[np.ndarray], kinds: tuple[LayerKind, ...] = (),
            input_shape: tuple[int, ...] = ()) -> NetworkSpec:
    """The loss, the data and the training settings, for either format's layers."""
    L = len(widths) - 1
    loss = doc.get("loss", "squared")
    verdict.check_loss(loss, acts[-1])

    lengths = None
    cost = example_cost(widths, kinds)
    if any(k.over_time for k in kinds):
        data, lengths = _sequence_data(doc["data"], widths, sequence_output(kinds), cost)
        _check_time_cost(kinds, lengths)
    else:
        data = _data(doc["data"], widths, source, loss, input_shape, cost)
    if loss == "cross_entropy" and "csv" not in doc["data"]:  # a CSV file's were checked line by line
        for T in (data.targets, data.test_targets):
            bad = np.argwhere((T < 0) | (T > 1))
            if len(bad):
                raise verdict.target_out_of_range(*bad[0])

    training: dict[str, Any] = {**DEFAULT_TRAINING, **doc.get("training", {})}
    update, batch_size = training["update"], None
    if isinstance(update, dict):
        batch_size = int(update["batch_size"])
        update = "mini_batch"
    optimizer = Optimizer(
        name=training.get("optimizer", "sgd"),
        learning_rate=float(training["learning_rate"]),
        l2=float(training["l2"]),
        **{k: float(training[k]) for k in ("momentum", "beta1", "beta2", "eps") if k in training},
    )
    return NetworkSpec(
        source=source,
        name=doc.get("name", Path(source).stem if source else "network"),
        description=doc.get("description", ""),
        widths=widths,
        activations=tuple(acts),
        alphas=tuple(alphas),
        weights=tuple(_frozen(w) for w in weights),
        loss=loss,
        inputs=_frozen(data.inputs),
        targets=_frozen(data.targets),
        learning_rate=optimizer.learning_rate,
        update=update,
        l2=optimizer.l2,
        epochs=int(training["epochs"]),
        raw=doc,
        test_inputs=_frozen(data.test_inputs),
        test_targets=_frozen(data.test_targets),
        optimizer=optimizer,
        batch_size=batch_size,
        shuffle_seed=int(training["shuffle_seed"]) if "shuffle_seed" in training else None,
        input_shift=data.shift,
        input_scale=data.scale,
        kinds=kinds,
        layer_kinds=kinds or dense_kinds(widths),
        input_shape=input_shape,
        lengths=None if lengths is None else _frozen(lengths),
        test_lengths=None if lengths is None else _frozen(np.zeros(0, dtype=int)),
    )


def _data(data: dict, widths: tuple[int, ...], source: str, loss: str, input_shape: tuple[int, ...] = (),
          cost: Cost | None = None) -> DataSet:
    """The ``data`` section: inline lists, a generator or a CSV file; split and standardised (each
    check verdict's, which runs them without NumPy before the app's first frame)."""
    test_fraction, seed = 0.0, None
    cost = cost or example_cost(widths)
    if "generator" in data:
        opts = verdict.generator_options(data, widths, input_shape, cost.cells, cost.multiplications)
        name, n, noise = opts["generator"], int(opts["n"]), float(opts["noise"])
        if input_shape:
            X, Y = generate_images(name, n, noise, int(opts["seed"]), *input_shape[1:])
        else:
            X, Y = generate(name, n, noise, int(opts["seed"]), widths[-1])
        test_fraction = float(opts["test_fraction"])
    elif input_shape and "csv" in data:
        raise SpecError("a map input takes inline data or an image generator, not a CSV file", place="data.csv")
    elif input_shape and "inputs" in data:
        _check_examples(len(data["inputs"]), widths, "data.inputs", cost)
        X, Y = _map_data(data, input_shape, widths)
    elif "csv" in data:
        X, Y = csv_arrays(verdict.csv_table(data, widths, source, loss, cost.cells, cost.multiplications))
        test_fraction, seed = float(data.get("test_fraction", 0.0)), int(data.get("seed", 0))
    else:
        verdict.inline_data(data, widths, cost.cells, cost.multiplications)
        X = np.array(data["inputs"], dtype=float).reshape(len(data["inputs"]), widths[0])
        Y = np.array(data["targets"], dtype=float).reshape(len(data["targets"]), widths[-1])
    verdict.check_split(len(X), test_fraction)
    X, Y, Xt, Yt = split(X, Y, test_fraction, seed)
    shift = scale = None
    if data.get("standardize"):
        X, Xt, shift, scale = standardise(X, Xt)
        bad = [j for j in range(X.shape[1]) if not all(np.isfinite(M[:, j]).all() for M in (X, Xt))
               or not np.isfinite(shift[j]) or not np.isfinite(scale[j])]
        if bad:  # finite inputs whose mean or spread is beyond a float (±1e308 and the like; never
            # within ±verdict.SAFE_INPUT, where the verdict before the first frame so accepts them)
            raise SpecError(f"input {bad[0] + 1} cannot be standardised: its mean or standard deviation "
                            "overflows a float (its values are too large); scale the data down",
                            place="data.standardize")
        shift, scale = _frozen(shift), _frozen(scale)
    return DataSet(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(Y, dtype=float),
                   np.ascontiguousarray(Xt, dtype=float), np.ascontiguousarray(Yt, dtype=float), shift, scale)


def _map_data(data: dict, shape: tuple[int, ...], widths: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Inline images: each input a nested list [C][H][W] (or [H][W] when C = 1), flattened in C, H, W
    order; targets as for v1."""
    C, H, W = shape
    L = len(widths) - 1
    n_in, n_out = len(data["inputs"]), len(data["targets"])
    if n_in != n_out:
        raise SpecError(f"{n_in} inputs but {n_out} targets", place="data")
    rows = []
    want = f"[{C}][{H}][{W}]" + (f" or [{H}][{W}]" if C == 1 else "")
    for i, x in enumerate(data["inputs"]):
        try:
            a = np.array(x, dtype=float)
        except (ValueError, TypeError):
            raise SpecError(f"not a nested list of numbers of shape {want}", place=f"data.inputs[{i}]") from None
        if a.shape != (C, H, W) and not (C == 1 and a.shape == (H, W)):
            got = "×".join(map(str, a.shape)) if a.dtype != object else "ragged"
            raise SpecError(f"shape {got}, expected {want} (layers[0].shape)", place=f"data.inputs[{i}]")
        if not np.isfinite(a).all():
            raise SpecError("not a finite number", place=f"data.inputs[{i}]")
        rows.append(a.reshape(-1))
    X = np.array(rows, dtype=float).reshape(n_in, C * H * W)
    Y = _number_array(data["targets"], "data.targets", widths[-1], f"d{sup(L)} (units of layers[{L}])")
    return X, Y


MAX_LENGTH = 10_000  # time steps of one sequence


def _check_time_cost(kinds: tuple[LayerKind, ...], lengths: np.ndarray) -> None:
    """What grows with T² rather than T (attention's scores, ``LayerKind.time_cost``), for one example's
    board and for all N sequences at once."""
    N, Tmax = len(lengths), int(lengths.max())
    cells = sum(k.time_cost(Tmax)[0] for k in kinds)
    mults = sum(k.time_cost(Tmax)[1] for k in kinds)
    if cells > MAX_EXAMPLE_CELLS or N * cells > MAX_ACTIVATIONS:
        raise SpecError(f"{N:,} sequences of up to {Tmax:,} steps: the attention scores of one sequence are "
                        f"{cells:,} numbers (H·T² four times), at most {MAX_EXAMPLE_CELLS:,}, and N times them at most "
                        f"{MAX_ACTIVATIONS:,}", place="data.inputs")
    if N * mults > MAX_MULTIPLICATIONS:
        raise SpecError(f"{N:,} sequences of up to {Tmax:,} steps: N·(attention's multiplications, 2·T²·dk a layer) is "
                        f"more than {MAX_MULTIPLICATIONS:,}", place="data.inputs")


def _sequence_data(data: dict, widths: tuple[int, ...], sequences: bool,
                   cost: Cost | None = None) -> tuple[DataSet, np.ndarray]:
    """Inline sequences: each input a list of T rows of d⁽⁰⁾ numbers (T may differ between examples);
    each target a row of d⁽ᴸ⁾ numbers, or with ``sequences`` (return_sequences) T such rows. Stored
    padded with zeros to the longest T (see ``NetworkSpec.lengths``)."""
    for key in ("generator", "csv"):
        if key in data:
            raise SpecError("a recurrent network takes inline sequences {\"inputs\": [[x_1, …, x_T], …], "
                            f"\"targets\": …}}, not a {'generator' if key == 'generator' else 'CSV file'}",
                            place=f"data.{key}")
    if data.get("standardize"):
        raise SpecError("standardize is not available for sequence inputs", place="data.standardize")
    d, k, L = widths[0], widths[-1], len(widths) - 1
    n_in, n_out = len(data["inputs"]), len(data["targets"])
    if n_in != n_out:
        raise SpecError(f"{n_in} inputs but {n_out} targets", place="data")
    _check_examples(n_in, widths, "data.inputs", cost)

    def rows(value: Any, place: str, width: int, width_text: str, what: str) -> np.ndarray:
        if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
            raise SpecError(f"expected a sequence [T][{width}]: a list of T ≥ 1 rows of {width} numbers "
                            f"({what})", place=place)
        if len(value) > MAX_LENGTH:
            raise SpecError(f"{len(value):,} time steps, at most {MAX_LENGTH:,}", place=place)
        for t, r in enumerate(value):
            if len(r) != width:
                raise SpecError(f"{len(r)} values, expected {width} numbers = {width_text}", place=f"{place}[{t}]")
            verdict.numbers(r, f"{place}[{t}]", f"{width} numbers = {width_text}")
        return np.array(value, dtype=float).reshape(len(value), width)

    xs = [rows(x, f"data.inputs[{i}]", d, f"d{sup(0)} (units of layers[0])", "one row x_τ per time step")
          for i, x in enumerate(data["inputs"])]
    lengths = np.array([len(x) for x in xs], dtype=int)
    Tmax = int(lengths.max())
    cost = cost or example_cost(widths)
    if n_in * Tmax * cost.cells > MAX_ACTIVATIONS:
        raise SpecError(f"{n_in:,} sequences of up to {Tmax:,} steps: N·T·Σ d⁽ˡ⁾ is more than "
                        f"{MAX_ACTIVATIONS:,}", place="data.inputs")
    if n_in * Tmax * cost.multiplications > MAX_MULTIPLICATIONS:
        raise SpecError(f"{n_in:,} sequences of up to {Tmax:,} steps: N·T·(multiplications of one time step) "
                        f"is more than {MAX_MULTIPLICATIONS:,}", place="data.inputs")
    X = np.zeros((n_in, Tmax * d))
    for i, x in enumerate(xs):
        X[i, :x.size] = x.reshape(-1)
    target_text = f"d{sup(L)} (units of layers[{L}])"
    if sequences:
        Y = np.zeros((n_in, Tmax * k))
        for i, y in enumerate(data["targets"]):
            place = f"data.targets[{i}]"
            Yi = rows(y, place, k, target_text, "return_sequences: one row y_τ per time step")
            if len(Yi) != lengths[i]:
                raise SpecError(f"{len(Yi)} time steps, but data.inputs[{i}] has {lengths[i]} "
                                "(return_sequences: one target per time step)", place=place)
            Y[i, :Yi.size] = Yi.reshape(-1)
    else:
        for i, y in enumerate(data["targets"]):
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in y):
                raise SpecError(f"expected {k} numbers = {target_text}: one target per sequence (a target per "
                                "time step needs \"return_sequences\": true on the rnn layer)",
                                place=f"data.targets[{i}]")
        Y = _number_array(data["targets"], "data.targets", k, target_text)
    return DataSet(X, Y, X[:0], Y[:0]), lengths


# -- format v2: feature maps, convolution, pooling, recurrent layers --------------------------------
def _layers_v2(layers: list) -> tuple[tuple[int, ...], list[str], list[float], tuple[LayerKind, ...], tuple[int, ...]]:
    """widths, activations, alphas, kinds and the input's map shape of a v2 file's layers."""
    first = layers[0]
    if set(first) - {"shape", "units"} or len(first) != 1:
        raise SpecError("the input layer is {\"shape\": [C, H, W]} or {\"units\": d}, nothing else", place="layers[0]")
    if "shape" in first:
        if len(first["shape"]) != 3:
            raise SpecError(f"{len(first['shape'])} numbers, expected 3: [C, H, W]", place="layers[0].shape")
        shape: tuple[int, ...] = tuple(int(v) for v in first["shape"])
        input_shape = shape
        if math.prod(shape) > MAX_EXAMPLE_CELLS:
            raise SpecError(f"a map of {'×'.join(map(str, shape))} = {math.prod(shape):,} numbers, at most "
                            f"{MAX_EXAMPLE_CELLS:,} per example", place="layers[0].shape")
    else:
        shape = (int(first["units"]),)
        input_shape = ()
    top = layers[-1]
    if not KINDS[top.get("type", "dense")].output:  # a block's last inner layer is not the output layer
        raise SpecError(f"the output layer must be dense ({{\"units\": k}}), not {top.get('type')}: add a dense "
                        "layer after it", place=f"layers[{len(layers) - 1}]")
    layers, places, ends = flat_layers(layers)  # residual blocks' inner layers numbered after the block
    L = len(layers) - 1
    widths, acts, alphas, kinds = [int(np.prod(shape))], [], [], []
    # a network with a kind over time reads sequences: a sequence flows up from the input through the
    # layers that run at each time step (dense, rnn) until a layer hands up one vector (a many-to-one
    # rnn's o_T, at layer ``cut``); a recurrent layer needs a sequence below it
    sequence = any(KINDS[layer.get("type", "dense")].over_time for layer in layers[1:])
    flowing, cut = sequence, 0
    for l in range(1, L + 1):
        layer, place = layers[l], places[l]
        kind = KINDS[layer.get("type", "dense")]  # the one table: each kind reads its own entry
        if kind.own_steps and not kind.in_block and any(".layers[" in p for p in places[1:]):
            raise SpecError(f"a {layer.get('type', 'dense')} layer cannot stand in a network with residual blocks "
                            "(this version)", place=place)
        if place.count(".layers[") and not kind.in_block:
            raise SpecError(f"a {layer.get('type', 'dense')} layer cannot stand inside a residual block (this "
                            "version: dense layers, attention layers, layer norms, dropout layers and residual blocks)", place=place)
        if sequence and not flowing and kind.over_time:
            raise SpecError(f"a recurrent layer reads a sequence, but the recurrent layer layers[{cut}] below it "
                            f"hands up o_T only: give layers[{cut}] \"return_sequences\": true", place=place)
        if flowing and not kind.per_time:
            raise SpecError(f"a {layer.get('type', 'dense')} layer cannot read a sequence (one vector x_τ per time "
                            f"step): only {', '.join(t for t, k in KINDS.items() if k.per_time)} layers run at each τ",
                            place=place)
        if "shape" in layer:
            raise SpecError("only the input layer has a shape", place=f"{place}.shape")
        extra = sorted(set(layer) - kind.keys)
        if extra:
            raise SpecError(f"{extra[0]!r} is not a key of a {layer.get('type', 'dense')} layer (its keys: "
                            f"{', '.join(sorted(kind.keys))})", place=place)
        try:
            k, act, alpha = kind.read(layer, shape, l, L)
        except SpecError as err:  # the flat number's place as the file nests it
            raise _nested_place(err, f"layers[{l}]", place)
        if flowing and not k.sequence_out():
            flowing, cut = False, l
        out = k.out_shape
        _check_layer_cost(k, place)
        if l == L and not k.output:
            raise SpecError(f"the output layer must be dense ({{\"units\": k}}), not {k.type}: add a dense layer "
                            "after it (a map flattens in C, H, W order)", place=place)
        shape = out
        widths.append(int(np.prod(out)))
        acts.append(act)
        alphas.append(alpha)
        kinds.append(k)
        for block in ends.get(l, ()):  # the last layer of a residual block: F(x) must have x's units
            if widths[-1] != widths[block - 1]:
                raise SpecError(f"the residual block's inner layers end with {widths[-1]} units, but its input x "
                                f"has {widths[block - 1]}: o = x + F(x) needs them equal", place=places[block])
    if any(k.mixes_time for k in kinds) and any(k.over_time and not k.mixes_time for k in kinds):
        raise SpecError("a layer that reads the whole sequence (attention) and a recurrent layer in one network: "
                        "not supported", place="layers")
    blocks = [l for l, k in enumerate(kinds, start=1) if k.span]
    if blocks and any(k.over_time and not k.mixes_time for k in kinds):
        raise SpecError("a residual block cannot stand in a network with a recurrent layer (this version: blocks "
                        "on vectors, or on sequences beside dense and attention layers)", place=places[blocks[0]])
    if sequence and input_shape:
        raise SpecError("a network with a recurrent layer reads a vector x_τ per time step: the input layer "
                        "is {\"units\": d}, not a shape", place="layers[0]")
    return tuple(widths), acts, alphas, tuple(kinds), input_shape


def flat_layers(layers: list) -> tuple[list, list[str], dict[int, list[int]]]:
    """The layers numbered flat (a residual block, then its inner layers), each entry's place in the
    file (``layers[2].layers[0]``), and for each layer the blocks that end with it, innermost first."""
    flat, places = [layers[0]], ["layers[0]"]
    ends: dict[int, list[int]] = {}

    def scope(entries: list, prefix: str, start: int = 0) -> None:
        for i, entry in enumerate(entries, start=start):
            n, place = len(flat), f"{prefix}[{i}]"
            flat.append(entry)
            places.append(place)
            inner = KINDS[entry.get("type", "dense")].nested(entry) if isinstance(entry, dict) else None
            if inner is not None:
                try:  # its own entry checked before its layers are numbered
                    KINDS[entry["type"]].read(entry, (1,), n, n + 1)
                except SpecError as err:
                    raise _nested_place(err, f"layers[{n}]", place)
                scope(inner, f"{place}.layers")
                ends.setdefault(len(flat) - 1, []).append(n)

    scope(layers[1:], "layers", 1)
    return flat, places, ends


def _flat_weights(layers: list, ws: list, prefix: str) -> tuple[list, list[str]]:
    """A file's ``weights`` numbered flat as its layers (a block's entry: the list of its inner layers'
    entries; the block itself has none), with each entry's place."""
    flat: list = []
    places: list[str] = []
    for i, (entry, w) in enumerate(zip(layers, ws)):
        inner = KINDS[entry.get("type", "dense")].nested(entry)
        place = f"{prefix}[{i}]"
        if inner is None:
            flat.append(w)
            places.append(place)
            continue
        if not isinstance(w, list) or len(w) != len(inner):
            raise SpecError(f"a residual block's entry is the list of its {len(inner)} inner layers' entries, "
                            f"not {validate.describe(w)}", place=place)
        flat.append(None)
        places.append(place)
        more, more_places = _flat_weights(inner, w, place)
        flat += more
        places += more_places
    return flat, places


def _nested_place(err: SpecError, flat: str, nested: str) -> SpecError:
    """``err`` with its place named as the file nests it (``layers[3]`` → ``layers[2].layers[0]``)."""
    if flat != nested and (err.place == flat or err.place.startswith(flat + ".")):
        err.place = nested + err.place[len(flat):]
    return err


def _parse_v2(doc: Any, source: str) -> NetworkSpec:
    """A v2 file: feature-map input and conv2d / pooling layers (see :mod:`bptui.core.kinds`)."""
    widths, acts, alphas, kinds, input_shape = _layers_v2(doc["layers"])
    L = len(widths) - 1
    n_weights = sum(math.prod(k.param_shape) for k in kinds if k.has_weights)
    if n_weights > MAX_WEIGHTS:  # checked before anything is drawn or read
        raise SpecError(f"{n_weights:,} weights, at most {MAX_WEIGHTS:,}", place="layers")
    cost = example_cost(widths, kinds)
    if cost.cells > MAX_EXAMPLE_CELLS:
        raise SpecError(f"one example's pass needs {cost.cells:,} numbers (the input and every layer's arrays), "
                        f"at most {MAX_EXAMPLE_CELLS:,}", place="layers")
    if cost.multiplications > MAX_MULTIPLICATIONS:
        raise SpecError(f"one example's forward pass needs {cost.multiplications:,} multiplications, at most "
                        f"{MAX_MULTIPLICATIONS:,}", place="layers")
    if "weights" in doc:
        ws, top = doc["weights"], len(doc["layers"]) - 1
        if len(ws) != top:
            raise SpecError(f"{len(ws)} entries, expected {top} (one per layer 1..{top}; null for a pooling layer"
                            "; a list of its inner layers' entries for a residual block)", place="weights")
        flat, places = _flat_weights(doc["layers"][1:], ws, "weights")
        weights = []
        for l, (k, w) in enumerate(zip(kinds, flat), start=1):
            try:
                weights.append(k.read_weights(w, l))
            except SpecError as err:
                raise _nested_place(err, f"weights[{l - 1}]", places[l - 1])
    else:
        init = {**DEFAULT_INIT, **doc.get("init", {})}
        rng = np.random.default_rng(int(init["seed"]))
        scale = float(init["scale"])
        weights = [k.initialised(rng.uniform(-scale, scale, size=k.param_shape), init) for k in kinds]
    return _finish(doc, source, widths, acts, alphas, weights, kinds, input_shape)


def load(path: str | Path) -> NetworkSpec:
    return parse(read_json(path), str(path))


FILE_KINDS = ("network", "graph")  # a file's "kind"


def parse_any(doc: Any, source: str = ""):
    """A network or a computation graph, by the document's ``kind`` (absent means network)."""
    kind = doc.get("kind", "network") if isinstance(doc, dict) else "network"
    if kind == "graph":
        from ..graphs.graph import parse as parse_graph

        return parse_graph(doc, source)
    if kind not in FILE_KINDS:
        raise SpecError(f"{validate.describe(kind)} is not one of {', '.join(FILE_KINDS)}", source=source, place="kind")
    return parse(doc, source)


def load_any(path: str | Path):
    """Read a file and return its NetworkSpec or GraphSpec."""
    return parse_any(read_json(path), str(path))

"""Network file → validated :class:`NetworkSpec` (the only way data enters the core)."""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from . import validate
from .validate import read_json  # noqa: F401  (spec.read_json: the first stage of loading)
from .activations import ACTIVATIONS
from .errors import SpecError
from .data import GENERATOR_DEFAULTS, DataSet, generate, generator_shape, read_csv, split, standardise
from .notation import sup
from .optim import Optimizer
from .schedule import group_size_for
from .layers import Conv2d, Dense, LayerKind, Pool2d, Rnn, out_size
from .data import IMAGE_GENERATORS, generate_images, image_classes

DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_INIT: dict[str, Any] = {"seed": 0, "scale": 0.5}
DEFAULT_TRAINING: dict[str, Any] = {"learning_rate": 0.1, "update": "full_batch", "l2": 0.0, "epochs": 100}

# What a network may ask of memory, checked before anything is allocated (the manual: docs/network-files.md, "Limits and hostile input"). The
# schema caps each number (units, n, epochs, layers); these cap their products. 784-256-10 on 10,000
# examples (benchmarks/train_speed.py) needs 203,530 weights, 7.9 million data values and 10.5
# million activations.
MAX_WEIGHTS = 5_000_000  # Σ d⁽ˡ⁾ (d⁽ˡ⁻¹⁾ + 1): 40 MB a copy, and training holds a few
MAX_DATA_VALUES = 20_000_000  # N × (d⁽⁰⁾ + d⁽ᴸ⁾), test split included: 160 MB
MAX_ACTIVATIONS = 100_000_000  # N × c (c = Σ d⁽ˡ⁾ for dense layers, see Cost): one full-batch pass, 800 MB
# (a digits-sized convolution on 2,000 1×16×16 images fits: its im2col matrices count here)


MAX_EXAMPLE_CELLS = 5_000_000  # one example's board: the numbers its pass allocates, Σ over the layers (40 MB)
MAX_MULTIPLICATIONS = 30_000_000_000  # N × one example's forward pass: the most any v1 network the limits
# above allow can ask (two layers of 2,236 units on 5,590 examples: 2.8·10¹⁰, about 10 s an epoch)
# A command that walks steps (trace, export, its parts and variants): a written step costs about
# 0.35 ms plus 70 ns per number of one example's pass (c) on the development machine, so the work
# of a run is steps × (c + STEP_OVERHEAD) in those numbers' units, at most MAX_RUN_WORK: about two
# minutes (400,000 steps of xor, or 540 steps of a 3.7-million-number convolution)
STEP_OVERHEAD = 5_000
MAX_RUN_WORK = 2_000_000_000


@dataclass(frozen=True)
class Cost:
    """What one example costs a network (the manual: docs/network-files.md, "Limits and hostile input"): the numbers its pass
    allocates (``cells``: the input and each layer's arrays, an im2col matrix included; per time step
    for a sequence) and the multiplications of its forward pass. Python integers, never overflowing."""

    cells: int
    multiplications: int


def example_cost(widths: tuple[int, ...], kinds: tuple[LayerKind, ...] = ()) -> Cost:
    """The cost of one example; ``kinds`` empty for a v1 network (its layers are dense)."""
    kinds = kinds or tuple(Dense((widths[l - 1],), (widths[l],)) for l in range(1, len(widths)))
    return Cost(widths[0] + sum(n for k in kinds for _, n in k.cells()), sum(k.multiplications() for k in kinds))


def max_examples(widths: tuple[int, ...], cost: Cost | None = None) -> int:
    """The most examples (training and test) a network of these widths (and layer kinds) may have."""
    cost = cost or example_cost(widths)
    return min(MAX_DATA_VALUES // (widths[0] + widths[-1]), MAX_ACTIVATIONS // cost.cells,
               MAX_MULTIPLICATIONS // max(1, cost.multiplications))


def _check_examples(n: int, widths: tuple[int, ...], place: str, cost: Cost | None = None) -> None:
    limit = max_examples(widths, cost)
    if n > limit:
        raise SpecError(f"{n:,} examples, at most {limit:,} for a {'-'.join(map(str, widths))} network "
                        f"(N·(d⁽⁰⁾ + d⁽ᴸ⁾) ≤ {MAX_DATA_VALUES:,}, N·(numbers of one example's pass) ≤ "
                        f"{MAX_ACTIVATIONS:,} and N·(its multiplications) ≤ {MAX_MULTIPLICATIONS:,})", place=place)


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


def _check_weights(widths: tuple[int, ...]) -> None:
    n = sum(widths[l] * (widths[l - 1] + 1) for l in range(1, len(widths)))
    if n > MAX_WEIGHTS:
        raise SpecError(f"{n:,} weights, at most {MAX_WEIGHTS:,}", place="layers")


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class NetworkSpec:
    """Everything a network file says, checked and with defaults filled in."""

    source: str
    name: str
    description: str
    widths: tuple[int, ...]  # d^(0), …, d^(L)
    activations: tuple[str, ...]  # f for layers 1..L (index 0 is layer 1)
    alphas: tuple[float, ...]  # α for layers 1..L (0 where unused)
    weights: tuple[np.ndarray, ...]  # W^(1), …, W^(L)
    loss: str
    inputs: np.ndarray  # N × d^(0)
    targets: np.ndarray  # N × d^(L)
    learning_rate: float
    update: str
    l2: float
    epochs: int
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    test_inputs: np.ndarray | None = None  # the held-out split (0 rows when there is none)
    test_targets: np.ndarray | None = None
    optimizer: Optimizer = Optimizer()
    batch_size: int | None = None  # k for update == "mini_batch"
    shuffle_seed: int | None = None
    input_shift: np.ndarray | None = None  # standardised inputs are (x − shift) / scale
    input_scale: np.ndarray | None = None
    # v2 files: each layer's kind (layers 1..L; empty for a v1 file, whose layers are all dense) and
    # the input's map shape (C, H, W), () for a vector input
    kinds: tuple[LayerKind, ...] = ()
    input_shape: tuple[int, ...] = ()
    # sequence data (a network whose layer 1 is rnn): each example's length T; inputs are then
    # N × (T_max·d⁽⁰⁾), the rows x_1..x_T one after another and zeros after T; targets N × d⁽ᴸ⁾, or
    # N × (T_max·d⁽ᴸ⁾) with return_sequences (zeros after T)
    lengths: np.ndarray | None = None
    test_lengths: np.ndarray | None = None

    kind: ClassVar[Literal["network"]] = "network"  # a GraphSpec's is "graph": ``spec.kind`` tells them apart

    @property
    def group_size(self) -> int:
        """Examples per update: N (full batch), 1 (per example) or k (mini-batches)."""
        return group_size_for(self.update, self.N, self.batch_size)

    @property
    def update_text(self) -> str:
        if self.update == "mini_batch":
            return f"mini-batch (k = {self.batch_size})"
        return self.update

    @property
    def is_classifier(self) -> bool:
        """Softmax outputs, or sigmoid outputs with 0/1 targets: accuracy makes sense."""
        if self.activations[-1] == "softmax":
            return True
        return self.activations[-1] == "sigmoid" and bool(np.isin(self.targets, (0.0, 1.0)).all())

    @property
    def layer_kinds(self) -> tuple[LayerKind, ...]:
        """The kind of layers 1..L: the file's (v2), or dense layers of the widths (v1)."""
        if self.kinds:
            return self.kinds
        return tuple(Dense((self.widths[l - 1],), (self.widths[l],)) for l in range(1, self.L + 1))

    @property
    def cost(self) -> Cost:
        """What one example costs (per time step for a sequence): see :func:`example_cost`."""
        return example_cost(self.widths, self.kinds)

    @property
    def is_v2(self) -> bool:
        """A file with a map input or a layer kind other than dense (format v2)."""
        return bool(self.kinds)

    @property
    def is_sequence(self) -> bool:
        """A recurrent network: its examples are sequences (see ``lengths``)."""
        return self.lengths is not None

    @property
    def return_sequences(self) -> bool:
        """Its recurrent layer hands every o_τ up, and the targets are sequences [T][k]."""
        return bool(self.kinds) and isinstance(self.kinds[0], Rnn) and self.kinds[0].return_sequences

    def x_of(self, n: int) -> np.ndarray:
        """Example n's (0-based) input: a vector d⁽⁰⁾, or for a sequence the T × d⁽⁰⁾ rows x_1..x_T."""
        if self.lengths is None:
            return self.inputs[n]
        return self.inputs[n, :int(self.lengths[n]) * self.widths[0]].reshape(-1, self.widths[0])

    def y_of(self, n: int) -> np.ndarray:
        """Example n's target: a vector d⁽ᴸ⁾, or with return_sequences the T × d⁽ᴸ⁾ rows y_1..y_T."""
        if not self.return_sequences:
            return self.targets[n]
        assert self.lengths is not None
        return self.targets[n, :int(self.lengths[n]) * self.widths[-1]].reshape(-1, self.widths[-1])

    @property
    def L(self) -> int:
        return len(self.widths) - 1

    @property
    def N(self) -> int:
        return len(self.inputs)

    def with_weights(self, weights) -> "NetworkSpec":
        return replace(self, weights=tuple(_frozen(np.array(w, dtype=float)) for w in weights))

    def to_json(self, folder: str | Path | None = None) -> dict:
        """A valid v1 network file with this spec's (possibly trained) weights, to be written in
        ``folder``: a CSV data file is named relative to it (absolute without a folder)."""
        out = copy.deepcopy(self.raw)
        out["weights"] = [k.weights_json(w) for k, w in zip(self.layer_kinds, self.weights)]
        out.pop("init", None)
        if "csv" in out.get("data", {}):
            csv_path = (Path(self.source).parent / out["data"]["csv"]).resolve()
            out["data"]["csv"] = (os.path.relpath(csv_path, Path(folder).resolve()) if folder is not None
                                  else str(csv_path))
        return out


def _number_array(rows: list, place: str, width: int, width_text: str) -> np.ndarray:
    for i, row in enumerate(rows):
        if len(row) != width:
            raise SpecError(f"{len(row)} values, expected {width} = {width_text}", place=f"{place}[{i}]")
        _numbers(row, f"{place}[{i}]", f"{width} numbers = {width_text}")
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
    if any(set(layer) & V2_KEYS for layer in layers):
        return _parse_v2(doc, source)
    for i, layer in enumerate(layers):
        if "units" not in layer:
            raise SpecError("missing required key 'units'", place=f"layers[{i}]")
    widths = tuple(int(layer["units"]) for layer in layers)
    L = len(widths) - 1
    _check_weights(widths)
    if "activation" in layers[0] or "alpha" in layers[0]:
        raise SpecError("the input layer has no activation", place="layers[0]")
    acts, alphas = [], []
    for l in range(1, L + 1):
        layer = layers[l]
        name = layer.get("activation", DEFAULT_ACTIVATION)
        act = ACTIVATIONS[name]
        if not act.hidden and l < L:
            raise SpecError(f"{name} is for the output layer only", place=f"layers[{l}].activation")
        if name == "softmax" and widths[l] < 2:
            raise SpecError("softmax needs at least 2 units", place=f"layers[{l}].units")
        if "alpha" in layer and act.default_alpha is None:
            raise SpecError(f"{name} takes no alpha (only elu, leaky_relu and prelu do)", place=f"layers[{l}].alpha")
        acts.append(name)
        alphas.append(float(layer.get("alpha", act.default_alpha or 0.0)))

    if "weights" in doc:
        ws = doc["weights"]
        if len(ws) != L:
            raise SpecError(f"{len(ws)} matrices, expected {L} (one per layer 1..{L})", place="weights")
        weights = []
        for l, w in enumerate(ws, start=1):
            expect = f"{widths[l]}×{widths[l-1] + 1} = d{sup(l)} × (d{sup(l-1)}+1)"
            if not isinstance(w, list):  # null, {kernel, bias} or {W, U}: weights of a v2 layer kind
                raise SpecError(f"{validate.describe(w)} is not a matrix {expect} (layers[{l}] is dense)",
                                place=f"weights[{l-1}]")
            cols = {len(row) for row in w}
            if len(w) != widths[l] or cols != {widths[l - 1] + 1}:
                shape = f"{len(w)}×{'/'.join(str(c) for c in sorted(cols))}"
                raise SpecError(f"shape {shape}, expected {expect}", place=f"weights[{l-1}]")
            weights.append(np.array(w, dtype=float))
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
    out_act = acts[-1]
    if loss == "cross_entropy" and out_act not in ("sigmoid", "softmax"):
        raise SpecError(
            f"cross_entropy needs a sigmoid or softmax output layer, not {out_act}", place="loss"
        )

    lengths = None
    cost = example_cost(widths, kinds)
    if kinds and isinstance(kinds[0], Rnn):
        data, lengths = _sequence_data(doc["data"], widths, kinds[0].return_sequences, cost)
    else:
        data = _data(doc["data"], widths, source, loss, input_shape, cost)
    if loss == "cross_entropy" and "csv" not in doc["data"]:  # a CSV file's were checked line by line
        for T in (data.targets, data.test_targets):
            bad = np.argwhere((T < 0) | (T > 1))
            if len(bad):
                i, k = bad[0]
                raise SpecError("cross_entropy targets must lie in [0, 1]", place=f"data.targets[{i}][{k}]")

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
        input_shape=input_shape,
        lengths=None if lengths is None else _frozen(lengths),
        test_lengths=None if lengths is None else _frozen(np.zeros(0, dtype=int)),
    )


def _data(data: dict, widths: tuple[int, ...], source: str, loss: str, input_shape: tuple[int, ...] = (),
          cost: Cost | None = None) -> DataSet:
    """The ``data`` section: inline lists, a generator or a CSV file; split and standardised."""
    L = len(widths) - 1
    test_fraction, seed = 0.0, None
    if input_shape and "generator" in data and data["generator"] in IMAGE_GENERATORS:
        opts = {**GENERATOR_DEFAULTS, **data}
        name = opts["generator"]
        C, H, W = input_shape
        if C != 1:
            raise SpecError(f"{name} makes images of 1 channel, but layers[0].shape has {C}", place="data.generator")
        if H < 3 or W < 3:
            raise SpecError(f"{name} needs images of at least 3×3, not {H}×{W}", place="data.generator")
        if widths[-1] not in image_classes(name):
            raise SpecError(f"{name} gives targets for {image_classes(name)[0]} output unit(s), "
                            f"but layers[{L}] has {widths[-1]}", place="data.generator")
        _check_examples(int(opts["n"]), widths, "data.n", cost)
        X, Y = generate_images(name, int(opts["n"]), float(opts["noise"]), int(opts["seed"]), H, W)
        test_fraction = float(opts["test_fraction"])
    elif input_shape and "generator" in data:
        raise SpecError(f"{data['generator']} makes points, not images: a map input needs "
                        f"{' or '.join(IMAGE_GENERATORS)}", place="data.generator")
    elif not input_shape and data.get("generator") in IMAGE_GENERATORS:
        raise SpecError(f"{data['generator']} makes images: layers[0] needs a shape [1, H, W]", place="data.generator")
    elif input_shape and "csv" in data:
        raise SpecError("a map input takes inline data or an image generator, not a CSV file", place="data.csv")
    elif input_shape and "inputs" in data:
        _check_examples(len(data["inputs"]), widths, "data.inputs", cost)
        X, Y = _map_data(data, input_shape, widths)
    elif "generator" in data:
        opts = {**GENERATOR_DEFAULTS, **data}
        name = opts["generator"]
        n_in, n_outs = generator_shape(name)
        if widths[0] != n_in:
            raise SpecError(f"{name} gives {n_in} input{'s' * (n_in > 1)}, but layers[0] has {widths[0]} units",
                            place="data.generator")
        if widths[-1] not in n_outs:
            raise SpecError(f"{name} gives targets for {' or '.join(map(str, n_outs))} output unit(s), "
                            f"but layers[{L}] has {widths[-1]}", place="data.generator")
        _check_examples(int(opts["n"]), widths, "data.n", cost)
        X, Y = generate(name, int(opts["n"]), float(opts["noise"]), int(opts["seed"]), widths[-1])
        test_fraction = float(opts["test_fraction"])
    elif "csv" in data:
        path = Path(source).parent / data["csv"] if source else Path(data["csv"])
        X, Y = read_csv(path, data.get("inputs"), data["targets"], "data", max_rows=max_examples(widths, cost),
                        target_range=(0.0, 1.0) if loss == "cross_entropy" else None)
        for key, M, d, l in (("inputs", X, widths[0], 0), ("targets", Y, widths[-1], L)):
            if M.shape[1] != d:
                raise SpecError(f"{M.shape[1]} columns, expected {d} = d{sup(l)} (units of layers[{l}])",
                                place=f"data.{key}")
        test_fraction, seed = float(data.get("test_fraction", 0.0)), int(data.get("seed", 0))
    else:
        n_in, n_out = len(data["inputs"]), len(data["targets"])
        if n_in != n_out:
            raise SpecError(f"{n_in} inputs but {n_out} targets", place="data")
        _check_examples(n_in, widths, "data.inputs", cost)
        X = _number_array(data["inputs"], "data.inputs", widths[0], f"d{sup(0)} (units of layers[0])")
        Y = _number_array(data["targets"], "data.targets", widths[-1], f"d{sup(L)} (units of layers[{L}])")
    X, Y, Xt, Yt = split(X, Y, test_fraction, seed)
    if len(X) == 0:
        raise SpecError(f"test_fraction {test_fraction:g} leaves no training examples", place="data.test_fraction")
    shift = scale = None
    if data.get("standardize"):
        X, Xt, shift, scale = standardise(X, Xt)
        bad = [j for j in range(X.shape[1]) if not all(np.isfinite(M[:, j]).all() for M in (X, Xt))
               or not np.isfinite(shift[j]) or not np.isfinite(scale[j])]
        if bad:  # finite inputs whose mean or spread is beyond a float (±1e308 and the like)
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


def _numbers(row: list, place: str, expected: str) -> None:
    """A row that must hold plain numbers (the schema lets data nest, for maps and sequences)."""
    for j, v in enumerate(row):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise SpecError(f"{validate.describe(v)} is not a number: expected {expected}", place=f"{place}[{j}]")


MAX_LENGTH = 10_000  # time steps of one sequence


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
            _numbers(r, f"{place}[{t}]", f"{width} numbers = {width_text}")
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
V2_KEYS = {"shape", "type", "channels", "kernel", "stride", "padding", "size", "return_sequences"}
_KEYS = {"dense": {"type", "units", "activation", "alpha"},
         "rnn": {"type", "units", "activation", "alpha", "return_sequences"},
         "conv2d": {"type", "channels", "kernel", "stride", "padding", "activation", "alpha"},
         "maxpool2d": {"type", "size", "stride"}, "avgpool2d": {"type", "size", "stride"}}


def _activation(layer: dict, l: int, L: int, width: int) -> tuple[str, float]:
    name = layer.get("activation", DEFAULT_ACTIVATION)
    act = ACTIVATIONS[name]
    if not act.hidden and l < L:
        raise SpecError(f"{name} is for the output layer only", place=f"layers[{l}].activation")
    if name == "softmax" and width < 2:
        raise SpecError("softmax needs at least 2 units", place=f"layers[{l}].units")
    if "alpha" in layer and act.default_alpha is None:
        raise SpecError(f"{name} takes no alpha (only elu, leaky_relu and prelu do)", place=f"layers[{l}].alpha")
    return name, float(layer.get("alpha", act.default_alpha or 0.0))


def _fit(n: int, k: int, stride: int, padding: int, what: str, place: str) -> int:
    """The output length along one axis, ⌊(n + 2p − k)/s⌋ + 1 as PyTorch's Conv2d and pooling count it,
    or an error when the kernel is too large. A stride that does not fit evenly leaves the last rows
    or columns unread (``LayerKind.unread``: the panels mark them and the explanations say so)."""
    if k > n + 2 * padding:
        pad = f" + 2·{padding} padding" if padding else ""
        raise SpecError(f"{what} {k} is larger than its input {n}{pad}", place=place)
    return out_size(n, k, stride, padding)


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
    L = len(layers) - 1
    widths, acts, alphas, kinds = [int(np.prod(shape))], [], [], []
    for l in range(1, L + 1):
        layer, place = layers[l], f"layers[{l}]"
        kind = layer.get("type", "dense")
        if "shape" in layer:
            raise SpecError("only the input layer has a shape", place=f"{place}.shape")
        extra = sorted(set(layer) - _KEYS[kind])
        if extra:
            raise SpecError(f"{extra[0]!r} is not a key of a {kind} layer (its keys: {', '.join(sorted(_KEYS[kind]))})",
                            place=place)
        map_in = len(shape) == 3
        if kind == "rnn":
            if l != 1:
                raise SpecError("a recurrent layer comes right after the input (layers[1]); stacked or later "
                                "recurrent layers are not supported", place=place)
            if map_in:
                raise SpecError("a recurrent layer reads a vector x_τ per time step: the input layer is "
                                "{\"units\": d}, not a shape", place=place)
            if "units" not in layer:
                raise SpecError("missing required key 'units'", place=place)
            out: tuple[int, ...] = (int(layer["units"]),)
            k: LayerKind = Rnn(shape, out, return_sequences=bool(layer.get("return_sequences", False)))
            act, alpha = _activation(layer, l, L, out[0])
            if act == "softmax":
                raise SpecError("softmax is for the output layer only", place=f"{place}.activation")
        elif kind == "dense":
            if "units" not in layer:
                raise SpecError("missing required key 'units'", place=place)
            out = (int(layer["units"]),)
            k = Dense(shape, out, after_map=map_in)
            act, alpha = _activation(layer, l, L, out[0])
        else:
            if not map_in:
                raise SpecError(f"a {kind} layer needs a feature map as input, but layers[{l - 1}] gives a "
                                f"vector of {shape[0]}", place=place)
            C, H, W = shape
            if kind == "conv2d":
                for key in ("channels", "kernel"):
                    if key not in layer:
                        raise SpecError(f"missing required key {key!r}", place=place)
                kern = layer["kernel"]
                kh, kw = (int(kern), int(kern)) if isinstance(kern, (int, float)) else (int(kern[0]), int(kern[1]))
                if not isinstance(kern, (int, float)) and len(kern) != 2:
                    raise SpecError(f"{len(kern)} numbers, expected k or [kh, kw]", place=f"{place}.kernel")
                st, pad = int(layer.get("stride", 1)), int(layer.get("padding", 0))
                Ho = _fit(H, kh, st, pad, "kernel height", f"{place}.kernel")
                Wo = _fit(W, kw, st, pad, "kernel width", f"{place}.kernel")
                out = (int(layer["channels"]), Ho, Wo)
                k = Conv2d(shape, out, kernel=(kh, kw), stride=st, padding=pad)
                act, alpha = _activation(layer, l, L, int(np.prod(out)))
                if act == "softmax":
                    raise SpecError("softmax is for the output layer only", place=f"{place}.activation")
            else:
                if "size" not in layer:
                    raise SpecError("missing required key 'size'", place=place)
                size = int(layer["size"])
                st = int(layer.get("stride", size))
                Ho = _fit(H, size, st, 0, "pooling window", f"{place}.size")
                Wo = _fit(W, size, st, 0, "pooling window", f"{place}.size")
                out = (C, Ho, Wo)
                k = Pool2d(shape, out, size=size, stride=st, mode=kind[:3])
                act, alpha = "identity", 0.0
        _check_layer_cost(k, place)
        if l == L and kind != "dense":
            raise SpecError(f"the output layer must be dense ({{\"units\": k}}), not {kind}: add a dense layer "
                            "after it (a map flattens in C, H, W order)", place=place)
        shape = out
        widths.append(int(np.prod(out)))
        acts.append(act)
        alphas.append(alpha)
        kinds.append(k)
    return tuple(widths), acts, alphas, tuple(kinds), input_shape


def _parse_v2(doc: Any, source: str) -> NetworkSpec:
    """A v2 file: feature-map input and conv2d / pooling layers (see :mod:`bptui.core.layers`)."""
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
        ws = doc["weights"]
        if len(ws) != L:
            raise SpecError(f"{len(ws)} entries, expected {L} (one per layer 1..{L}; null for a pooling layer)",
                            place="weights")
        weights = []
        for l, (k, w) in enumerate(zip(kinds, ws), start=1):
            weights.append(_weights_v2(k, w, l))
    else:
        init = {**DEFAULT_INIT, **doc.get("init", {})}
        rng = np.random.default_rng(int(init["seed"]))
        scale = float(init["scale"])
        weights = [rng.uniform(-scale, scale, size=k.param_shape) for k in kinds]
    return _finish(doc, source, widths, acts, alphas, weights, kinds, input_shape)


def _weights_v2(k: LayerKind, w: Any, l: int) -> np.ndarray:
    place = f"weights[{l - 1}]"
    if not k.has_weights:
        if w is not None:
            raise SpecError(f"expected null: layers[{l}] ({k.type}) has no weights", place=place)
        return k.weights_from_json(None)
    if isinstance(k, Rnn):
        if not isinstance(w, dict) or set(w) != {"W", "U"}:
            raise SpecError(f"expected {{\"W\", \"U\"}} with {k.expected_weights()} for layers[{l}] (rnn)", place=place)
        for key, (rows, cols), text in (("W", (k.h, k.d + 1), f"d{sup(l)} × (d{sup(l - 1)}+1)"),
                                        ("U", (k.h, k.h), f"d{sup(l)} × d{sup(l)}")):
            m = w[key]
            widths = {len(row) for row in m}
            if len(m) != rows or widths != {cols}:
                shape = f"{len(m)}×{'/'.join(str(c) for c in sorted(widths))}"
                raise SpecError(f"shape {shape}, expected {rows}×{cols} = {text}", place=f"{place}.{key}")
        return k.weights_from_json(w)
    if isinstance(k, Conv2d):
        if not isinstance(w, dict):
            raise SpecError(f"expected {{\"kernel\", \"bias\"}} with {k.expected_weights()} for layers[{l}] (conv2d)",
                            place=place)
        try:
            kernel = np.array(w["kernel"], dtype=float)
        except (ValueError, TypeError):
            kernel = np.array([], dtype=object)
        if kernel.dtype == object or kernel.shape != k.kernel_shape:
            got = "ragged or not numbers" if kernel.dtype == object else "×".join(map(str, kernel.shape))
            raise SpecError(f"shape {got}, expected {'×'.join(map(str, k.kernel_shape))} = K × C × kh × kw",
                            place=f"{place}.kernel")
        if not np.isfinite(kernel).all():
            raise SpecError("not a finite number", place=f"{place}.kernel")
        if len(w["bias"]) != k.channels:
            raise SpecError(f"{len(w['bias'])} values, expected {k.channels} = K (channels of layers[{l}])",
                            place=f"{place}.bias")
        return k.weights_from_json(w)
    if not isinstance(w, list):
        raise SpecError(f"expected a matrix {k.expected_weights()} for layers[{l}] (dense)", place=place)
    rows, cols = k.param_shape
    widths = {len(row) for row in w}
    if len(w) != rows or widths != {cols}:
        shape = f"{len(w)}×{'/'.join(str(c) for c in sorted(widths))}"
        flat = " (the map below flattened, plus the bias column)" if isinstance(k, Dense) and k.after_map else ""
        raise SpecError(f"shape {shape}, expected {rows}×{cols} = d{sup(l)} × (d{sup(l - 1)}+1){flat}", place=place)
    return np.array(w, dtype=float)


def load(path: str | Path) -> NetworkSpec:
    return parse(read_json(path), str(path))


KINDS = ("network", "graph")


def parse_any(doc: Any, source: str = ""):
    """A network or a computation graph, by the document's ``kind`` (absent means network)."""
    kind = doc.get("kind", "network") if isinstance(doc, dict) else "network"
    if kind == "graph":
        from .graph import parse as parse_graph

        return parse_graph(doc, source)
    if kind not in KINDS:
        raise SpecError(f"{validate.describe(kind)} is not one of {', '.join(KINDS)}", source=source, place="kind")
    return parse(doc, source)


def load_any(path: str | Path):
    """Read a file and return its NetworkSpec or GraphSpec."""
    return parse_any(read_json(path), str(path))

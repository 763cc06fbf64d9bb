"""Network file → validated :class:`NetworkSpec` (the only way data enters the core)."""

from __future__ import annotations

import copy
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

DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_INIT: dict[str, Any] = {"seed": 0, "scale": 0.5}
DEFAULT_TRAINING: dict[str, Any] = {"learning_rate": 0.1, "update": "full_batch", "l2": 0.0, "epochs": 100}

# What a network may ask of memory, checked before anything is allocated (README: "Sizes"). The
# schema caps each number (units, n, epochs, layers); these cap their products. 784-256-10 on 10,000
# examples (benchmarks/train_speed.py) needs 203,530 weights, 7.9 million data values and 10.5
# million activations.
MAX_WEIGHTS = 5_000_000  # Σ d⁽ˡ⁾ (d⁽ˡ⁻¹⁾ + 1): 40 MB a copy, and training holds a few
MAX_DATA_VALUES = 20_000_000  # N × (d⁽⁰⁾ + d⁽ᴸ⁾), test split included: 160 MB
MAX_ACTIVATIONS = 25_000_000  # N × Σ d⁽ˡ⁾: one full-batch pass's s⁽ˡ⁾ or o⁽ˡ⁾, 200 MB


def max_examples(widths: tuple[int, ...]) -> int:
    """The most examples (training and test) a network of these widths may have."""
    return min(MAX_DATA_VALUES // (widths[0] + widths[-1]), MAX_ACTIVATIONS // sum(widths))


def _check_examples(n: int, widths: tuple[int, ...], place: str) -> None:
    limit = max_examples(widths)
    if n > limit:
        raise SpecError(f"{n:,} examples, at most {limit:,} for a {'-'.join(map(str, widths))} network "
                        f"(N·(d⁽⁰⁾ + d⁽ᴸ⁾) ≤ {MAX_DATA_VALUES:,} and N·Σ d⁽ˡ⁾ ≤ {MAX_ACTIVATIONS:,})", place=place)


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
        out["weights"] = [w.tolist() for w in self.weights]
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
        if name == "softmax" and l < L:
            raise SpecError("softmax is for the output layer only", place=f"layers[{l}].activation")
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

    loss = doc.get("loss", "squared")
    out_act = acts[-1]
    if loss == "cross_entropy" and out_act not in ("sigmoid", "softmax"):
        raise SpecError(
            f"cross_entropy needs a sigmoid or softmax output layer, not {out_act}", place="loss"
        )

    data = _data(doc["data"], widths, source, loss)
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
    )


def _data(data: dict, widths: tuple[int, ...], source: str, loss: str) -> DataSet:
    """The ``data`` section: inline lists, a generator or a CSV file; split and standardised."""
    L = len(widths) - 1
    test_fraction, seed = 0.0, None
    if "generator" in data:
        opts = {**GENERATOR_DEFAULTS, **data}
        name = opts["generator"]
        n_in, n_outs = generator_shape(name)
        if widths[0] != n_in:
            raise SpecError(f"{name} gives {n_in} input{'s' * (n_in > 1)}, but layers[0] has {widths[0]} units",
                            place="data.generator")
        if widths[-1] not in n_outs:
            raise SpecError(f"{name} gives targets for {' or '.join(map(str, n_outs))} output unit(s), "
                            f"but layers[{L}] has {widths[-1]}", place="data.generator")
        _check_examples(int(opts["n"]), widths, "data.n")
        X, Y = generate(name, int(opts["n"]), float(opts["noise"]), int(opts["seed"]), widths[-1])
        test_fraction = float(opts["test_fraction"])
    elif "csv" in data:
        path = Path(source).parent / data["csv"] if source else Path(data["csv"])
        X, Y = read_csv(path, data.get("inputs"), data["targets"], "data", max_rows=max_examples(widths),
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
        _check_examples(n_in, widths, "data.inputs")
        X = _number_array(data["inputs"], "data.inputs", widths[0], f"d{sup(0)} (units of layers[0])")
        Y = _number_array(data["targets"], "data.targets", widths[-1], f"d{sup(L)} (units of layers[{L}])")
    X, Y, Xt, Yt = split(X, Y, test_fraction, seed)
    if len(X) == 0:
        raise SpecError(f"test_fraction {test_fraction:g} leaves no training examples", place="data.test_fraction")
    shift = scale = None
    if data.get("standardize"):
        X, Xt, shift, scale = standardise(X, Xt)
        shift, scale = _frozen(shift), _frozen(scale)
    return DataSet(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(Y, dtype=float),
                   np.ascontiguousarray(Xt, dtype=float), np.ascontiguousarray(Yt, dtype=float), shift, scale)


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

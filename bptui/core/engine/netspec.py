"""The validated network: everything a network file says, checked and with defaults filled in
(``NetworkSpec``). The file reader (core/formats/spec.py) is the only place that makes one; the engine
and everything above read it."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from ..ops.optim import Optimizer
from .kind import LayerKind, sequence_output, timed_layers

DEFAULT_INIT: dict[str, Any] = {"seed": 0, "scale": 0.5}


@dataclass(frozen=True)
class Cost:
    """What one example costs a network (the manual: docs/network-files.md, "Limits and hostile input"): the numbers its pass
    allocates (``cells``: the input and each layer's arrays, an im2col matrix included; per time step
    for a sequence) and the multiplications of its forward pass. Python integers, never overflowing."""

    cells: int
    multiplications: int


def kinds_cost(widths: tuple[int, ...], kinds: tuple[LayerKind, ...]) -> Cost:
    """The cost of one example of a network of these layers."""
    return Cost(widths[0] + sum(n for k in kinds for _, n in k.cells()), sum(k.multiplications() for k in kinds))


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
    # the kind of layers 1..L: the file's (v2), or dense layers of the widths (v1; the reader fills it in)
    layer_kinds: tuple[LayerKind, ...] = ()
    input_shape: tuple[int, ...] = ()
    # sequence data (a network with an rnn layer): each example's length T; inputs are then
    # N × (T_max·d⁽⁰⁾), the rows x_1..x_T one after another and zeros after T; targets N × d⁽ᴸ⁾, or
    # N × (T_max·d⁽ᴸ⁾) with return_sequences (zeros after T)
    lengths: np.ndarray | None = None
    test_lengths: np.ndarray | None = None

    kind: ClassVar[Literal["network"]] = "network"  # a GraphSpec's is "graph": ``spec.kind`` tells them apart

    @property
    def group_size(self) -> int:
        """Examples per update: N (full batch), 1 (per example) or k (mini-batches)."""
        from .schedule import group_size_for  # the schedule's module: not the file reader's import

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
    def cost(self) -> Cost:
        """What one example costs (per time step for a sequence): see :func:`example_cost`."""
        return kinds_cost(self.widths, self.layer_kinds)

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
        """The output layer runs at each time step (the recurrent layers below it hand every o_τ up),
        and the targets are sequences [T][k]."""
        return sequence_output(self.kinds)

    @property
    def timed(self) -> tuple[bool, ...]:
        """For layers 1..L (index l − 1): whether layer l runs at each time step τ (``timed_layers``)."""
        return timed_layers(self.layer_kinds)

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
        from .wiring import nest

        out = copy.deepcopy(self.raw)
        # a residual block's entry is the list of its inner layers' entries (wiring.nest)
        out["weights"] = nest(self.layer_kinds, [k.weights_json(w) for k, w in zip(self.layer_kinds, self.weights)])
        out.pop("init", None)
        if "csv" in out.get("data", {}):
            csv_path = (Path(self.source).parent / out["data"]["csv"]).resolve()
            out["data"]["csv"] = (os.path.relpath(csv_path, Path(folder).resolve()) if folder is not None
                                  else str(csv_path))
        return out

"""Training on whole update groups at once (the vectorised path, not the step schedule), and what
views need to watch it: per-epoch reports, cancellation, gradient statistics, accuracy, and the
network's output over a grid of 2-D inputs.

The arithmetic is the step schedule's — G summed over the examples of an update group, in the
schedule's groups and order (``schedule.epoch_order``), one update per group through
``optim.update`` — vectorised over the examples of a group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..ops import optim
from .kind import Draw
from .network import Network
from .schedule import epoch_order
from .netspec import NetworkSpec


@dataclass(frozen=True)
class EpochReport:
    """Handed to ``on_epoch`` after each epoch. The arrays are the trainer's: read, don't write."""

    epoch: int  # 1-based, counting from ``start_epoch``
    loss: float  # ℓ_D summed over the epoch's update groups, each before its update
    test_loss: float | None  # ℓ on the test split after the epoch (None without a test split)
    weights: list[np.ndarray]
    opt: list[optim.OptState]


@dataclass
class TrainResult:
    weights: list[np.ndarray]
    history: list[float] = field(default_factory=list)  # EpochReport.loss of every epoch done
    test_history: list[float] = field(default_factory=list)  # EpochReport.test_loss (when a test split exists)
    opt: list[optim.OptState] = field(default_factory=list)  # to continue training where this stopped
    epochs_done: int = 0
    cancelled: bool = False
    diverged: int | None = None  # the epoch whose loss or weights were no longer finite (stop_if_diverged)


def test_split(spec: NetworkSpec) -> tuple[np.ndarray, np.ndarray] | None:
    """The held-out examples (inputs, targets); None when the file holds none out."""
    X, Y = spec.test_inputs, spec.test_targets
    return (X, Y) if X is not None and Y is not None and len(X) else None


def train(
    spec: NetworkSpec,
    epochs: int,
    on_epoch: Callable[[EpochReport], None] | None = None,
    *,
    weights: Sequence[np.ndarray] | None = None,
    opt: list[optim.OptState] | None = None,
    start_epoch: int = 1,
    cancelled: Callable[[], bool] | None = None,
    stop_if_diverged: bool = False,
) -> TrainResult:
    """Train for ``epochs`` epochs from the file's weights (or ``weights`` and optimizer state ``opt``).

    ``cancelled`` is asked before every epoch (a Textual worker passes ``lambda: worker.is_cancelled``);
    when it says yes, training stops and the result holds the epochs done so far. ``start_epoch``
    numbers the epochs, which picks the shuffled order when ``training.shuffle_seed`` is set.
    With ``stop_if_diverged``, an epoch whose loss or weights are no longer finite (inf, nan) is
    the last: ``result.diverged`` names it, and its loss is the last of ``result.history``.
    """
    net = Network(spec)
    W = [np.array(w, dtype=float) for w in (spec.weights if weights is None else weights)]
    state = list(opt) if opt is not None else [spec.optimizer.init(w) for w in W]
    if spec.lengths is not None:
        return _train_sequences(spec, net, epochs, on_epoch, W, state, start_epoch, cancelled, stop_if_diverged)
    O0 = net.o0(np.asarray(spec.inputs, dtype=float))  # built once; groups are column slices of it
    Yt = spec.targets.T
    N, k = spec.N, spec.group_size
    split = test_split(spec)
    test = (net.o0(split[0]), split[1].T) if split is not None else None
    result = TrainResult(W, opt=state)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start_epoch, start_epoch + epochs):
            if cancelled is not None and cancelled():
                result.cancelled = True
                break
            order = None if spec.shuffle_seed is None else epoch_order(N, epoch, spec.shuffle_seed)
            total = 0.0
            for a in range(0, N, k):
                if order is not None:
                    idx = order[a:a + k]
                    O, Y = O0[:, idx], Yt[:, idx]
                elif k == N:
                    O, Y = O0, Yt
                else:
                    O, Y = O0[:, a:a + k], Yt[:, a:a + k]
                draw = Draw(epoch, (order[a:a + k] if order is not None else np.arange(a, min(a + k, N))) + 1)
                loss, G, _ = net.backprop(W, O, Y, draw=draw)
                total += loss
                for i in range(len(W)):
                    W[i], state[i] = optim.update(spec.optimizer, W[i], G[i], state[i], net.kinds[i].bias_columns)
            test_loss = None
            if test is not None:
                S, Os = net.forward_o0(W, test[0])
                test_loss = float(net.example_loss(S[-1], Os[-1], test[1]).sum())
                result.test_history.append(test_loss)
            if _end_epoch(result, EpochReport(epoch, total, test_loss, W, state), on_epoch, stop_if_diverged):
                break
    return result


def _train_sequences(spec: NetworkSpec, net: Network, epochs: int, on_epoch: Callable[[EpochReport], None] | None,
                     W: list[np.ndarray], state: list[optim.OptState], start_epoch: int,
                     cancelled: Callable[[], bool] | None, stop_if_diverged: bool) -> TrainResult:
    """:func:`train` for a recurrent network: each update group's G from :meth:`Network.sequences`
    (vectorised over the group's examples: at each τ those still running). No test split: sequence
    data is inline."""
    assert spec.lengths is not None
    X, Y, lengths = spec.inputs, spec.targets, spec.lengths
    N, k = spec.N, spec.group_size
    result = TrainResult(W, opt=state)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start_epoch, start_epoch + epochs):
            if cancelled is not None and cancelled():
                result.cancelled = True
                break
            order = epoch_order(N, epoch, spec.shuffle_seed)
            total = 0.0
            ranges = bool((np.diff(order) == 1).all())  # not shuffled: each group's rows are a slice, not a gather
            for a in range(0, N, k):
                idx = slice(a, a + k) if ranges else order[a:a + k]
                p = net.sequences(W, X[idx], lengths[idx], Y[idx], draw=Draw(epoch, np.asarray(order[a:a + k]) + 1),
                                  outputs=False)  # only ℓ and G
                total += p.loss
                for i in range(len(W)):
                    W[i], state[i] = optim.update(spec.optimizer, W[i], p.G[i], state[i], net.kinds[i].bias_columns)
            if _end_epoch(result, EpochReport(epoch, total, None, W, state), on_epoch, stop_if_diverged):
                break
    return result


def _end_epoch(result: TrainResult, report: EpochReport, on_epoch: Callable[[EpochReport], None] | None,
               stop_if_diverged: bool) -> bool:
    """An epoch's bookkeeping, the same for every network: its loss into the history, ``on_epoch``
    told, and True when training stops here because the loss or the weights are no longer finite."""
    result.history.append(report.loss)
    result.epochs_done += 1
    if on_epoch is not None:
        on_epoch(report)
    if stop_if_diverged and not (np.isfinite(report.loss) and all(np.isfinite(w).all() for w in report.weights)):
        result.diverged = report.epoch
        return True
    return False


def delta_over_time(spec: NetworkSpec, weights: Sequence[np.ndarray] | None = None,
                    example: int = 0, layer: int | None = None) -> np.ndarray:
    """‖δ⁽ˡ⁾_τ‖ for τ = 1..T of one example (0-based) of a recurrent network, for its recurrent layer
    ``layer`` (the lowest by default): how the gradient fades (or grows) as it flows back through time."""
    if spec.lengths is None:
        raise ValueError(f"{spec.name} has no recurrent layer")
    net = Network(spec)
    weights = spec.weights if weights is None else weights
    got: list[np.ndarray] = []
    idx = np.array([example])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        net.sequences(weights, spec.inputs[idx], spec.lengths[idx], spec.targets[idx],
                      on_delta=lambda _, D: got.append(D[:, :, 0]), delta_layer=layer)
    return np.linalg.norm(got[0], axis=1)


def gradients_over_time(spec: NetworkSpec, weights: Sequence[np.ndarray] | None = None,
                        example: int = 0, layer: int | None = None) -> list[tuple[str, str, np.ndarray]]:
    """The per-τ gradient norms of one example (0-based) that recurrent layer ``layer`` (the lowest by
    default) shows under its panel, as its kind names them (``LayerKind.panel_norms``): (quantity, label,
    the norms for τ = 1..T), ‖δ_τ‖ of an rnn layer, ‖∂ℓ/∂c_τ‖ and ‖∂ℓ/∂h_τ‖ of an LSTM's, from the batch
    BPTT (``Network.sequences``)."""
    if spec.lengths is None:
        raise ValueError(f"{spec.name} has no recurrent layer")
    net = Network(spec)
    weights = spec.weights if weights is None else weights
    l = layer if layer is not None else next(i for i, k in enumerate(net.kinds, start=1) if k.over_time)
    got: list[dict[str, np.ndarray]] = []
    idx = np.array([example])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        net.sequences(weights, spec.inputs[idx], spec.lengths[idx], spec.targets[idx],
                      on_time=lambda _, arrays: got.append(arrays), delta_layer=l)
    return [(q, label, np.linalg.norm(got[0][q][:, :, 0], axis=1)) for q, label in net.kinds[l - 1].panel_norms()]


# -- what views show while training ---------------------------------------------------------------
@dataclass(frozen=True)
class LayerStats:
    layer: int
    G_norm: float  # ‖G⁽ˡ⁾‖ (Frobenius), over the whole training set
    mean_abs_delta: float  # mean |δ⁽ˡ⁾| over units and examples


def gradient_stats(spec: NetworkSpec, weights: Sequence[np.ndarray] | None = None,
                   X: np.ndarray | None = None, Y: np.ndarray | None = None) -> list[LayerStats]:
    """‖G⁽ˡ⁾‖ and mean |δ⁽ˡ⁾| for l = 1..L on the training set (or X, Y): vanishing gradients at a glance."""
    net = Network(spec)
    weights = spec.weights if weights is None else weights
    if spec.lengths is not None:
        return _sequence_stats(spec, net, weights)
    X = spec.inputs if X is None else X
    Y = spec.targets if Y is None else Y
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        _, G, deltas = net.backprop(weights, net.o0(X), Y.T, keep_deltas=True)
    return [LayerStats(l, float(np.linalg.norm(g)), float(np.abs(d).mean()))
            for l, (g, d) in enumerate(zip(G, deltas), start=1)]


def _sequence_stats(spec: NetworkSpec, net: Network, weights: Sequence[np.ndarray]) -> list[LayerStats]:
    """gradient_stats of a recurrent network on its training set; the mean |δ| of a layer that runs at
    each time step is over every τ of every example."""
    assert spec.lengths is not None
    deltas: dict[int, list[np.ndarray]] = {l: [] for l in range(1, spec.L + 1)}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        p = net.sequences(weights, spec.inputs, spec.lengths, spec.targets,
                          on_upper=lambda l, D: deltas[l].append(np.abs(D).ravel()))
    return [LayerStats(l, float(np.linalg.norm(g)), float(np.concatenate(deltas[l]).mean()))
            for l, g in enumerate(p.G, start=1)]


def accuracy(spec: NetworkSpec, weights: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray) -> float | None:
    """The fraction of examples classified right (argmax for softmax, o ≥ ½ for sigmoid units);
    None for a network that is not a classifier or for no examples."""
    if not spec.is_classifier or len(X) == 0:
        return None
    if spec.lengths is not None:
        return _sequence_accuracy(spec, weights, X, Y)
    out = Network(spec).predict(weights, X)
    if spec.activations[-1] == "softmax":
        right = out.argmax(axis=1) == Y.argmax(axis=1)
    else:
        right = ((out >= 0.5) == (Y >= 0.5)).all(axis=1)
    return float(right.mean())


def _sequence_accuracy(spec: NetworkSpec, weights: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
    """A recurrent network's accuracy on its training set: over examples (many-to-one) or over every
    (example, τ) (return_sequences), padding left out."""
    assert spec.lengths is not None and len(X) == spec.N
    k = spec.widths[-1]
    out = Network(spec).predict(weights, X, spec.lengths)
    if spec.return_sequences:
        mask = np.arange(out.shape[1] // k)[None, :] < spec.lengths[:, None]
        out, Y = out.reshape(len(X), -1, k)[mask], Y.reshape(len(X), -1, k)[mask]
    if spec.activations[-1] == "softmax":
        right = out.argmax(axis=1) == Y.argmax(axis=1)
    else:
        right = ((out >= 0.5) == (Y >= 0.5)).all(axis=1)
    return float(right.mean())


@dataclass(frozen=True)
class Evaluation:
    train_loss: float  # ℓ_D on the training split
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    n_train: int
    n_test: int


def evaluate(spec: NetworkSpec, weights: Sequence[np.ndarray]) -> Evaluation:
    """Loss (and accuracy for classifiers) on the training and test splits at ``weights``."""
    net = Network(spec)
    test = test_split(spec)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return Evaluation(
            float(net.dataset_loss(weights, spec.inputs, spec.targets, spec.lengths)),
            float(net.dataset_loss(weights, *test)) if test is not None else None,
            accuracy(spec, weights, spec.inputs, spec.targets),
            accuracy(spec, weights, *test) if test is not None else None,
            spec.N,
            len(test[0]) if test is not None else 0,
        )


def plane_ranges(spec: NetworkSpec) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x₁ and x₂ ranges of a map over the input plane: the data's (training and test splits
    together), widened by 10% of the span each side (by 1 where the span is 0). The one rule the
    decision map (:func:`output_grid`) and the units' maps (:func:`~.neurons.unit_maps`) share."""
    data = spec.inputs if spec.test_inputs is None else np.concatenate([spec.inputs, spec.test_inputs])

    def around(col: int) -> tuple[float, float]:
        lo, hi = float(data[:, col].min()), float(data[:, col].max())
        pad = 0.1 * (hi - lo) or 1.0
        return lo - pad, hi + pad

    return around(0), around(1)


class OutputGrid:
    """:func:`output_grid` for one network, again and again (the decision map after each update): the
    grid's inputs made once per size, and the layers' outputs on them kept, so that new weights are
    carried forward from the first layer whose weights changed (an update step changes one layer's;
    the layers below it give what they gave). The same numbers as :func:`output_grid`: each layer's
    output is the same function of the same input. A network with residual wiring or over time is
    computed whole each time."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.net = Network(spec)
        self._size: tuple[int, int] | None = None
        self._grid: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self._weights: list[np.ndarray] = []  # copies of the weights the outputs below are of
        self._O: list[np.ndarray] = []  # O⁽⁰⁾ … O⁽ᴸ⁾ on the grid

    def __call__(self, weights: Sequence[np.ndarray], width: int, height: int):
        """(xs, ys, Z) as :func:`output_grid` gives them for these weights and size."""
        net = self.net
        if net.wiring is not None or net.recurrent:
            return output_grid(self.spec, weights, width, height)
        if self._size != (width, height):
            xs, ys, points = _grid_points(self.spec, width, height)
            self._size, self._grid = (width, height), (xs, ys)
            self._O, self._weights = [net.o0(points)], []
        first = 1  # the first layer whose weights are not those the kept outputs are of
        while (first <= len(self._weights) and first < len(self._O)
               and np.array_equal(self._weights[first - 1], weights[first - 1])):
            first += 1
        O = self._O[:first]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for l in range(first, net.L + 1):
                O.append(net.layer_forward(l, weights[l - 1], O[-1])[1])
        self._O, self._weights = O, [np.array(w) for w in weights]
        xs, ys = self._grid
        return xs, ys, O[-1].T.reshape(height, width, -1)


def _grid_points(spec: NetworkSpec, width: int, height: int, x_range: tuple[float, float] | None = None,
                 y_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid's x and y coordinates and its points as rows (x₁, x₂), row by row from the smallest y."""
    x_default, y_default = plane_ranges(spec)
    xs = np.linspace(*(x_range or x_default), width)
    ys = np.linspace(*(y_range or y_default), height)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def output_grid(spec: NetworkSpec, weights: Sequence[np.ndarray], width: int = 40, height: int = 20,
                x_range: tuple[float, float] | None = None, y_range: tuple[float, float] | None = None):
    """The network's output over a ``height`` × ``width`` grid of 2-D inputs (a decision-boundary map).

    Returns (xs, ys, Z): the grid's x and y coordinates and Z of shape height × width × d⁽ᴸ⁾, row 0
    at the smallest y. Coordinates are the network's inputs (standardised, if the file asks for it);
    the ranges default to the data's, training and test splits together, widened by 10%.
    """
    if spec.widths[0] != 2:
        raise ValueError(f"a grid needs 2 inputs, this network has {spec.widths[0]}")
    xs, ys, points = _grid_points(spec, width, height, x_range, y_range)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        Z = Network(spec).predict(weights, points)
    return xs, ys, Z.reshape(height, width, -1)

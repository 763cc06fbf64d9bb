"""What one layer panel shows (no Textual here): from a stepper's state, or, before NumPy is
imported, from the network file itself (:func:`document_views`, the loading screen's panels)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.formulas.numformat import FIXED, INF, SCIENTIFIC, cell, cell_width, finite, nonfinite_text
from ..core.formulas.numformat import number_format as _number_format

if TYPE_CHECKING:
    from ..core.engine.stepper import Stepper


class Rows:
    """A matrix as plain lists, indexed like a NumPy array (``M[b, a]``, ``M.shape``): what a
    panel needs to draw the file's weights before NumPy is imported."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = [[float(x) for x in row] for row in rows]
        self.shape = (len(self.rows), len(self.rows[0]) if self.rows else 0)

    def __getitem__(self, index: tuple[int, int]) -> float:
        b, a = index
        return self.rows[b][a]

    def values(self) -> list[float]:
        return [x for row in self.rows for x in row]


@dataclass(frozen=True)
class LayerView:
    layer: int
    activation: str
    W: Any  # a NumPy array, or Rows
    G: Any
    s: Any | None
    o: Any | None  # with the leading 1 for a hidden layer
    delta: Any | None
    hidden: bool  # o⁽ˡ⁾ has a bias entry (row b = 0)
    produced: str | None  # quantity the last step produced in this layer: W s o delta G
    changed: Any | None  # cells of the produced quantity whose value changed
    stale: bool  # s, o, δ belong to a pass that has ended (update steps follow)
    optimizer: tuple = ()  # (label, matrix) of the optimizer's state: momentum's v; adam's m and v
    kind: Any = None  # the layer's kind, whose view hints name the columns (None: a dense layer's names)


def optimizer_state(stepper: Stepper, l: int, notation: Any = None) -> tuple:
    """The matrices the optimizer keeps for layer l, each with its heading (:func:`state_label`), to show
    beside W⁽ˡ⁾: as the ``notation`` profile's formulas hold them (a velocity written as the step is −η v,
    optim.state_written), the kept ones in the lecture's."""
    state, opt = stepper.state.opt[l], stepper.spec.optimizer
    velocity = getattr(notation, "velocity", "sum_of_gradients")
    out = []
    for name, array in state.arrays().items():
        label = state_label(opt, name, l, state.t, notation)
        if label is not None:
            out.append((label, _written(opt, name, array, velocity)))
    return tuple(out)


_WRITTEN: dict[tuple[int, float], tuple[Any, Any]] = {}


def _written(opt: Any, name: str, array: Any, velocity: str) -> Any:
    """optim.state_written of a kept array, made once per array (the panels keep what they drew of an
    array while it is the same object: a state written anew each keypress would be drawn anew)."""
    from ..core.ops.optim import state_scale

    scale = state_scale(opt, name, velocity)
    if scale == 1.0:
        return array
    got = _WRITTEN.get((id(array), scale))
    if got is None or got[0] is not array:
        if len(_WRITTEN) >= 64:
            _WRITTEN.clear()
        got = _WRITTEN[id(array), scale] = (array, scale * array)
    return got[1]


_LABELS: dict[tuple, tuple[Any, str | None]] = {}


def state_label(opt: Any, name: str, l: int, t: int, notation: Any = None) -> str | None:
    """The heading over an optimizer's state ``name`` of layer l: its symbol and what it is in words
    (optim.STATE_WORDS), as ``notation`` writes them; Adam's with its t, momentum's with its rule from the
    optimizer's trees (g the step's gradient): v⁽¹⁾ (velocity: v ← μ v + g), goodfellow's v ← α v − ε ĝ.
    None for a state without a heading."""
    key = (opt, name, l, t if opt.name == "adam" else 0, id(notation))
    got = _LABELS.get(key)
    if got is not None and got[0] is notation:
        return got[1]
    from dataclasses import replace

    from ..core.formulas.formula import Sym, TextPrinter, substitute
    from ..core.ops.optim import STATE_WORDS, update_formulas

    words = STATE_WORDS.get((opt.name, name))
    label = None
    if words is not None:
        printer = TextPrinter(notation=notation)
        label = f"{printer.p(Sym(name, l, vector=True, own=opt.name))} ({words}"
        if opt.name == "adam":
            label += f", t = {t})"
        else:
            velocity = getattr(notation, "velocity", "sum_of_gradients")
            g = {Sym("G", None, vector=True): Sym("g", None, vector=True)}
            rule = next((lhs, rel, rhs) for lhs, rel, rhs in update_formulas(replace(opt, l2=0.0), None,
                                                                               velocity=velocity) if lhs.base == name)
            label += f": {printer.p(rule[0])} {rule[1]} {printer.p(substitute(rule[2], g))})"
    if len(_LABELS) >= 256:
        _LABELS.clear()
    _LABELS[key] = (notation, label)
    return label


def document_views(doc: Any) -> list[LayerView] | None:
    """The panels at step 0 of a schema-checked network document, without NumPy: the file's
    weights and G = 0, nothing computed yet. None when they need the core: weights from ``init``,
    data from a generator or a CSV file, an optimizer with state, or a shape the core will reject."""
    try:
        layers, weights = doc["layers"], doc.get("weights")
        training = doc.get("training", {})
        if weights is None or "inputs" not in doc["data"] or training.get("optimizer", "sgd") != "sgd":
            return None
        widths = [int(layer["units"]) for layer in layers]
        L = len(widths) - 1
        if len(weights) != L:
            return None
        views = []
        for l in range(1, L + 1):
            W = Rows(weights[l - 1])
            if W.shape != (widths[l], widths[l - 1] + 1) or any(len(row) != W.shape[1] for row in W.rows):
                return None
            if not all(x == x and abs(x) != float("inf") for x in W.values()):
                return None
            G = Rows([[0.0] * W.shape[1] for _ in range(W.shape[0])])
            views.append(LayerView(layer=l, activation=layers[l].get("activation", "sigmoid"), W=W, G=G,
                                   s=None, o=None, delta=None, hidden=l < L, produced=None, changed=None,
                                   stale=False))
        return views
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def layer_view(stepper: Stepper, l: int) -> LayerView:
    """What layer l's dense panel shows of the stepper's board."""
    import numpy as np

    from ..core.engine.schedule import UPDATE

    st, spec, last = stepper.state, stepper.spec, stepper.last
    produced = changed = None
    if last is not None and last.key.layer == l:
        produced = spec.layer_kinds[l - 1].board_quantity(last.key.quantity)
        value = np.asarray(last.value)
        changed = np.ones(value.shape, bool) if last.before is None else value != last.before
    return LayerView(
        layer=l, activation=spec.activations[l - 1], W=st.W[l], G=st.G[l], s=st.s[l], o=st.o[l],
        delta=st.delta[l], hidden=l < spec.L, produced=produced, changed=changed,
        stale=last is not None and last.key.phase == UPDATE,
        optimizer=optimizer_state(stepper, l, getattr(stepper, "notation", None)),
        kind=spec.layer_kinds[l - 1],
    )


def layer_views(stepper: Stepper) -> list[LayerView]:
    return [layer_view(stepper, l) for l in range(1, stepper.spec.L + 1)]


def runs(rows: Any) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of adjacent ones: a refresh per run of the lines a change
    draws again (each refresh clears a widget's caches)."""
    found: list[list[int]] = []
    for row in rows:
        if found and row == found[-1][1] + 1:
            found[-1][1] = row
        else:
            found.append([row, row])
    return [(a, b) for a, b in found]


def number_format(values: Any, digits: int) -> str:
    """The core's one format for a whole matrix (:func:`bptui.core.formulas.numformat.number_format`), for
    a NumPy array or the loading screen's :class:`Rows`."""
    return _number_format(values.rows if isinstance(values, Rows) else values, digits)


__all__ = ["FIXED", "INF", "SCIENTIFIC", "LayerView", "Rows", "cell", "cell_width", "document_views",
           "finite", "layer_views", "nonfinite_text", "number_format", "optimizer_state", "runs"]

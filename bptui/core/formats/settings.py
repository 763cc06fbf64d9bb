"""Settings changed inside the app → a new network document, its spec and its weights (no Textual).

The settings screen edits the file's ``training``, ``loss``, ``layers``, ``init`` and ``data``
sections as :class:`Choices`. :func:`apply` writes them into a candidate document and checks it by
the rules a file obeys (``validate.check`` against the schema, then ``spec.parse``), so a bad value
raises the same :class:`SpecError`, at the same place (``training.learning_rate``), as in a file.

The weights start from the ones on screen. A layer keeps the weights of the layer it came from
(:attr:`LayerChoice.source`) at every (row, column) position that exists in both shapes, as long
as the layer below it is the same (the one below its source; for layer 1, the same inputs): a
column a ≥ 1 weighs unit a of the layer below. When the layer below is new or comes from another
layer, only the bias column is kept. New rows and columns are drawn uniformly in [−scale, scale]
(``init``'s scale) from ``numpy.random.default_rng([seed, k])``, where k is the number the layer
had before the change (a new layer: L + 1, L + 2, … in order), so that removing or adding a layer
does not change the draws of the layers that stay.

The options the screen offers are the core's tables: :data:`ACTIVATION_NAMES`, :data:`LOSS_NAMES`,
:data:`OPTIMIZER_NAMES` and the data generators (:func:`generator_names`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np

from ..util import validate
from ..ops.activations import ACTIVATIONS
from .data import GENERATOR_DEFAULTS, IMAGE_GENERATORS, POINT_GENERATORS
from ..util.errors import SpecError
from ..kinds import Dense
from ..ops.losses import LOSSES
from ..formulas.notation import num, sup
from ..ops.optim import OPTIMIZERS, Optimizer
from .spec import DEFAULT_INIT, NetworkSpec, flat_layers, parse
from ..engine.stepper import Origin

ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)
HIDDEN_ACTIVATION_NAMES: tuple[str, ...] = tuple(name for name, act in ACTIVATIONS.items() if act.hidden)


def activation_names(output: bool) -> tuple[str, ...]:
    """The activations a layer may have: every one for the output layer, the table's hidden ones below it."""
    return ACTIVATION_NAMES if output else HIDDEN_ACTIVATION_NAMES
LOSS_NAMES: tuple[str, ...] = tuple(LOSSES)
OPTIMIZER_NAMES: tuple[str, ...] = OPTIMIZERS
UPDATE_MODES = ("full_batch", "per_example", "mini_batch")
FILE_DATA = "file"  # the data option that keeps the file's own data (inline lists or a CSV file)
# the hyper-parameters each optimizer reads, besides η and λ (the file's training keys)
OPTIMIZER_KEYS: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("momentum",), "adam": ("beta1", "beta2", "eps")}
HYPER_KEYS = ("momentum", "beta1", "beta2", "eps")
ALL = 1 << 62  # "every row" / "every column" of a layer whose weights are all kept


def generator_names(spec: NetworkSpec) -> tuple[str, ...]:
    """The generators that can feed this network: points for a vector input, images for a map."""
    return IMAGE_GENERATORS if spec.input_shape else POINT_GENERATORS


def has_alpha(activation: str) -> bool:
    """Whether the activation takes an α (its table entry has a default α)."""
    act = ACTIVATIONS.get(activation)
    return act is not None and act.default_alpha is not None


def layers_editable(spec: NetworkSpec) -> bool:
    """Widths and layers can change in a network of dense layers on a vector input (format v1)."""
    return not spec.is_v2 and all(type(k) is Dense for k in spec.layer_kinds)


# a JSON number (RFC 8259), ASCII digits only: what a file may hold where it wants a number
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)


def value(text: str) -> Any:
    """What a typed field means, as a file would hold it: the JSON number the text spells (an int
    or a float, read as a network file's are) or, for anything else, the text itself (the validator
    then says it is not a number, as it would of that string in a file); ``None`` for an empty field
    (the key is left out). Spaces around it are ignored, and a typographic minus − is a -."""
    text = text.strip().replace("−", "-")
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return validate.loads(text)
    return text


def text(v: Any) -> str:
    """A value in a field: numbers as a file writes them (``0.5``, ``1e-08``), nothing for None."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)
    return str(v) if not isinstance(v, float) else repr(v)


@dataclass(frozen=True)
class LayerChoice:
    """Layer l ≥ 1 as the screen sets it."""

    units: Any  # an int, or what was typed (the validator says what is wrong with it)
    activation: str
    alpha: Any = None  # None: the activation's default (no key in the file)
    source: int | None = None  # the current layer (1..L) whose weights it keeps; None: a new layer


@dataclass(frozen=True)
class Choices:
    """The file's sections as the settings screen edits them (values as a file holds them)."""

    training: dict[str, Any]  # learning_rate, l2, epochs, optimizer, its hyper-parameters, update, shuffle_seed
    loss: str
    init: dict[str, Any]  # seed, scale
    input_units: Any
    layers: tuple[LayerChoice, ...]  # layers 1..L
    data: dict[str, Any]  # the data section (FILE_DATA: the file's own, with ``standardize`` …)


@dataclass(frozen=True)
class Resized:
    """What became of one layer's weights: kept ``kept`` = (rows, columns) of the old W from layer
    ``source`` (None: a new layer, all drawn), the rest drawn from ``default_rng([seed[0], seed[1]])``.
    ``below``: why only the bias column was kept of the old rows (the layer below is new, or comes
    from another layer, or the inputs changed), so its units are not the ones the old columns weighed;
    None when the layer below is the same."""

    layer: int
    shape: tuple[int, int]
    source: int | None
    old_shape: tuple[int, int] | None
    kept: tuple[int, int]
    seed: tuple[int, int]
    scale: float
    below: str | None = None

    @property
    def drawn(self) -> int:
        return self.shape[0] * self.shape[1] - self.kept[0] * self.kept[1]

    def text(self) -> str:
        """``W⁽¹⁾ 3×3 (was 2×3): kept w_b,a for b ≤ 2, a ≤ 2; drew 3 from U(−0.5, 0.5), default_rng([0, 1])``"""
        r, c = self.shape
        W = f"W{sup(self.layer)}"
        rng = f"U(−{num(self.scale)}, {num(self.scale)}), default_rng([{self.seed[0]}, {self.seed[1]}])"
        if self.source is None or self.old_shape is None:
            return f"{W} {r}×{c} (a new layer): drew all {r * c} weights from {rng}"
        was = f"{W} {r}×{c} (was {self.old_shape[0]}×{self.old_shape[1]}"
        was += f", W{sup(self.source)}'s)" if self.source != self.layer else ")"
        kr, kc = self.kept
        if kr == 0 or kc == 0:
            return f"{was}: nothing kept; drew all {r * c} weights from {rng}"
        if self.below is not None:
            kept = (f"{was}: kept only the biases w_b,0 for b ≤ {kr} ({kr} weight{'s' if kr != 1 else ''}), "
                    f"as {self.below}")
        else:
            kept = f"{was}: kept w_b,a for b ≤ {kr}, a ≤ {kc - 1} ({kr * kc} weights)"
        if self.drawn:
            return f"{kept}; drew {self.drawn} from {rng}"
        dropped = self.old_shape[0] * self.old_shape[1] - kr * kc
        return f"{kept}, dropped {dropped}" if dropped else kept


@dataclass(frozen=True)
class Applied:
    """The new setup: its spec (weights included) and what changed."""

    spec: NetworkSpec
    changes: tuple[str, ...]
    resized: tuple[Resized, ...] = field(default=())  # the layers whose W changed shape or moved
    kept: tuple[tuple[int, int], ...] = ()  # every layer's (rows, columns) kept from the weights on screen
    seed: int = 0
    scale: float = 0.5
    keys: tuple[int, ...] = ()  # every layer's generator, default_rng([seed, key]) (see :func:`resize`)
    below: tuple[str | None, ...] = ()  # every layer's Resized.below

    def origin(self) -> Origin:
        """Where the stepper's weights come from (for each weight's provenance and for ``r``)."""
        return Origin("settings", self.spec.source, seed=self.seed, scale=self.scale, kept=self.kept,
                      keys=self.keys, below=self.below)

    def message(self) -> str:
        what = "; ".join(self.changes) if self.changes else "nothing changed"
        return f"Settings applied ({what}). Restarted at step 0 from the weights on screen; optimizer state reset."


# -- the current settings -------------------------------------------------------------------------
def training_of(spec: NetworkSpec) -> dict[str, Any]:
    """The ``training`` section that gives the spec's settings (hyper-parameters its optimizer reads)."""
    opt = spec.optimizer
    out: dict[str, Any] = {"optimizer": opt.name, "learning_rate": opt.learning_rate, "l2": opt.l2,
                           "epochs": spec.epochs}
    for key in OPTIMIZER_KEYS[opt.name]:
        out[key] = getattr(opt, key)
    out["update"] = {"batch_size": spec.batch_size} if spec.update == "mini_batch" else spec.update
    if spec.shuffle_seed is not None:
        out["shuffle_seed"] = spec.shuffle_seed
    return out


def data_of(spec: NetworkSpec) -> dict[str, Any]:
    """The ``data`` section, generator defaults filled in (a shallow copy: inline data can be big)."""
    data = dict(spec.raw.get("data", {}))
    if "generator" in data:
        return {**GENERATOR_DEFAULTS, **data}
    return data


def current(spec: NetworkSpec) -> Choices:
    """The spec's settings, as the screen shows them first."""
    raw_layers = flat_layers(spec.raw["layers"])[0] if spec.raw.get("layers") else []  # a block's layers numbered flat
    layers = []
    for l in range(1, spec.L + 1):
        raw = raw_layers[l] if l < len(raw_layers) else {}
        alpha = raw.get("alpha") if has_alpha(spec.activations[l - 1]) else None
        layers.append(LayerChoice(spec.widths[l], spec.activations[l - 1], alpha, l))
    data = data_of(spec)
    if "generator" not in data:  # the file's own data: what the screen can change of it
        data = {"generator": FILE_DATA, "standardize": bool(data.get("standardize", False)),
                **{k: data[k] for k in ("test_fraction", "seed") if k in data}}
    return Choices(training_of(spec), spec.loss, {**DEFAULT_INIT, **spec.raw.get("init", {})},
                   spec.widths[0], tuple(layers), data)


def default_hyper(key: str) -> float:
    """An optimizer hyper-parameter's default (the Optimizer dataclass's)."""
    return float(getattr(Optimizer(), key))


# -- the candidate document -----------------------------------------------------------------------
def document(spec: NetworkSpec, choices: Choices, file_data: dict | None = None) -> dict[str, Any]:
    """The network file the choices describe (without weights): the spec's name and description,
    and the sections as chosen. Keys of a None value are left out (the file's default applies).
    ``file_data``: the data section of the file the app opened (FILE_DATA means it; default: the
    spec's own)."""
    doc: dict[str, Any] = {k: copy.deepcopy(v) for k, v in spec.raw.items()
                           if k in ("kind", "format", "name", "description")}
    raw_layers = spec.raw.get("layers", [])
    if layers_editable(spec):
        layers: list[dict[str, Any]] = [{"units": choices.input_units}]
        for c in choices.layers:
            layer: dict[str, Any] = {"units": c.units, "activation": c.activation}
            if c.alpha is not None:
                layer["alpha"] = c.alpha
            layers.append(layer)
    else:  # v2: the layers as they are, with the activations chosen
        layers = copy.deepcopy(raw_layers)
        flat = flat_layers(layers)[0]  # the entries numbered flat: a residual block's layers after it
        for l, c in enumerate(choices.layers, start=1):
            if "activation" in flat[l] or c.activation != spec.activations[l - 1]:
                flat[l]["activation"] = c.activation
            flat[l].pop("alpha", None)
            if c.alpha is not None:
                flat[l]["alpha"] = c.alpha
    doc["layers"] = layers
    doc["init"] = _drop_none(choices.init)
    doc["loss"] = choices.loss
    data = _drop_none(choices.data)
    raw = spec.raw.get("data", {}) if file_data is None else file_data
    if data.get("generator") == FILE_DATA:  # the file's own data, with what the screen changed of it
        data = {**raw, **{k: v for k, v in data.items() if k != "generator"}}
    if data.get("standardize") is False and "standardize" not in raw:
        del data["standardize"]  # the default, as the file had it
    doc["data"] = data
    training = _drop_none(choices.training)
    name = training.get("optimizer", "sgd")
    for key in HYPER_KEYS:  # only the hyper-parameters the optimizer reads
        if key not in OPTIMIZER_KEYS.get(name, ()):
            training.pop(key, None)
    doc["training"] = training
    _integers(doc)
    return doc


def _integer(v: Any) -> Any:
    """A whole float (``1e1``, ``10.0``) as the int it is, which the file's validator takes for an
    integer anyway; anything else as it is (``1.5``, ``inf``: the validator's message). Only up to
    2⁵³, where every integer is a float."""
    if isinstance(v, float) and v.is_integer() and abs(v) <= 2 ** 53:
        return int(v)
    return v


def _integers(doc: dict[str, Any]) -> None:
    """The values the file wants as integers (units, seeds, epochs, batch size, n) saved as ints."""
    for layer in doc.get("layers", []):
        if isinstance(layer, dict) and "units" in layer:
            layer["units"] = _integer(layer["units"])
    for section, keys in (("init", ("seed",)), ("training", ("epochs", "shuffle_seed")), ("data", ("n", "seed"))):
        part = doc.get(section)
        if isinstance(part, dict):
            for key in keys:
                if key in part:
                    part[key] = _integer(part[key])
    update = doc.get("training", {}).get("update")
    if isinstance(update, dict) and "batch_size" in update:
        update["batch_size"] = _integer(update["batch_size"])


def _file_data(data: dict) -> bool:
    return "inputs" in data or "csv" in data


def _drop_none(section: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in section.items() if v is not None}


# -- weights --------------------------------------------------------------------------------------
def layer_rng(seed: int, key: int) -> np.random.Generator:
    """The generator of a layer's new weights: seeded by (init's seed, the layer's key), one per layer.
    The key is the number the layer had before the change (its source); a new layer's is numbered
    after the old layers, L + 1 for the first new one (from the input up), L + 2 for the next."""
    return np.random.default_rng([seed, key])


def resize(weights: Sequence[np.ndarray], widths: tuple[int, ...], sources: Sequence[int | None],
           seed: int, scale: float, same_input: bool = True) -> tuple[list[np.ndarray], list[Resized]]:
    """Layer l's W of shape d⁽ˡ⁾ × (d⁽ˡ⁻¹⁾+1) from the old layer ``sources[l-1]`` (1-based, None: a new
    layer). Its rows are that layer's units, so the rows both shapes have are kept; a column a ≥ 1
    weighs unit a of the layer below, so those columns are kept only when the layer below is the one
    below the source (``sources[l-2] == sources[l-1] - 1``; for layer 1, the source is layer 1 and
    ``same_input``); otherwise only the bias column 0 is. The rest is drawn from :func:`layer_rng`."""
    out, report = [], []
    new_keys = iter(range(len(weights) + 1, len(weights) + len(sources) + 1))
    for l in range(1, len(widths)):
        shape = (widths[l], widths[l - 1] + 1)
        src = sources[l - 1]
        key = src if src is not None else next(new_keys)
        old = np.asarray(weights[src - 1], dtype=float) if src is not None else None
        below = None
        if src is not None:
            under = sources[l - 2] if l >= 2 else 0
            if l == 1 and src == 1 and not same_input:
                below = f"the inputs changed (d{sup(0)} {weights[0].shape[1] - 1} → {widths[0]})"
            elif under is None:
                below = f"the layer below (layer {l - 1}) is new"
            elif under != src - 1:
                was = "the input" if src == 1 else f"layer {src - 1}"
                now = "the input" if l == 1 else f"the old layer {under}"
                below = f"the layer below is {now} now, not {was}"
        if old is not None and old.shape == shape and below is None:
            W = old.copy()
            kept = shape
        else:
            W = layer_rng(seed, key).uniform(-scale, scale, size=shape)
            kept = (0, 0)
            if old is not None:
                kept = (min(shape[0], old.shape[0]), min(shape[1], old.shape[1]) if below is None else 1)
                W[:kept[0], :kept[1]] = old[:kept[0], :kept[1]]
        out.append(W)
        report.append(Resized(l, shape, src, None if old is None else (old.shape[0], old.shape[1]), kept,
                              (seed, key), scale, below))
    return out, report


# -- applying ---------------------------------------------------------------------------------------
def apply(spec: NetworkSpec, weights: Sequence[np.ndarray], choices: Choices,
          file_data: dict | None = None) -> Applied:
    """The new spec: the choices checked by the rules of a file (SpecError at the file's place, as
    loading the file would raise it), with the weights on screen carried over. ``file_data``: the
    data section of the file the app opened (see :func:`document`)."""
    doc = document(spec, choices, file_data)
    validate.check(doc, validate.schema())
    new = parse(doc, spec.source, schema_checked=True)  # every rule of a file (its weights discarded)
    init = {**DEFAULT_INIT, **doc.get("init", {})}
    seed, scale = int(init["seed"]), float(init["scale"])
    keys: tuple[int, ...] = ()
    below: tuple[str | None, ...] = ()
    if layers_editable(spec):
        ws, report = resize(weights, new.widths, [c.source for c in choices.layers], seed, scale,
                            same_input=new.widths[0] == spec.widths[0])
        resized = [r for r in report if r.old_shape != r.shape or r.source != r.layer or r.below is not None]
        kept = tuple(r.kept for r in report)
        keys, below = tuple(r.seed[1] for r in report), tuple(r.below for r in report)
    else:  # v2: the layers keep their shapes and every weight
        ws = [np.array(w, dtype=float) for w in weights]
        resized, kept = [], tuple((ALL, ALL) for _ in ws)
    new = replace(new.with_weights(ws), raw=doc)
    sources = [c.source for c in choices.layers] if layers_editable(spec) else None
    changes = tuple(describe(spec, new, resized, sources))
    return Applied(retold(spec, new), changes, tuple(resized), kept, seed, scale, keys, below)


def _key_text(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dict) and "batch_size" in v:
        return f"mini-batches of {v['batch_size']}"
    return num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


NAMES = {"learning_rate": "η", "l2": "λ", "momentum": "μ", "beta1": "β₁", "beta2": "β₂", "eps": "ε",
         "update": "update", "shuffle_seed": "shuffle seed", "epochs": "epochs", "optimizer": "optimizer",
         "seed": "seed", "scale": "scale", "n": "n", "noise": "noise", "test_fraction": "test fraction",
         "standardize": "standardize:", "generator": "generator"}


def _diff(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b or key in ("inputs", "targets", "csv"):
            continue
        name = prefix + NAMES.get(key, key)
        if a is None:
            out.append(f"{name} {_key_text(key, b)}")
        elif b is None and key in HYPER_KEYS and "optimizer" in new:
            out.append(f"{name} dropped ({new['optimizer']} has none)")
        elif b is None:
            out.append(f"{name} {_key_text(key, a)} → default")
        else:
            out.append(f"{name} {_key_text(key, a)} → {_key_text(key, b)}")
    return out


def describe(old: NetworkSpec, new: NetworkSpec, resized: Sequence[Resized] = (),
             sources: Sequence[int | None] | None = None) -> list[str]:
    """What changed from ``old`` to ``new``, in a few words each; ``sources``: the old layer each new
    layer came from (None: a new one; default: the same number)."""
    out = _diff(training_of(old), training_of(new))
    if old.loss != new.loss:
        out.append(f"loss {old.loss} → {new.loss}")
    if old.widths != new.widths:
        out.append(f"layers {'-'.join(map(str, old.widths))} → {'-'.join(map(str, new.widths))}")
    def act(spec: NetworkSpec, l: int) -> str:
        name = spec.activations[l - 1]
        return name + (f" α = {num(spec.alphas[l - 1])}" if has_alpha(name) else "")

    for l in range(1, new.L + 1):
        k = sources[l - 1] if sources is not None else (l if l <= old.L else None)
        if k is None:
            out.append(f"f{sup(l)} {act(new, l)} (a new layer)")
        elif act(old, k) != act(new, l):
            out.append(f"f{sup(l)} {act(old, k)} → {act(new, l)}")
    old_init = {**DEFAULT_INIT, **old.raw.get("init", {})}
    new_init = {**DEFAULT_INIT, **new.raw.get("init", {})}
    out += _diff(old_init, new_init, "init ")
    old_data, new_data = {"standardize": False, **data_of(old)}, {"standardize": False, **data_of(new)}
    if "generator" in old_data and "generator" in new_data or _file_data(old_data) == _file_data(new_data):
        out += _diff(old_data, new_data, "data ")
    else:
        out.append(f"data: {_data_name(new_data)} (was {_data_name(old_data)})")
        # the new data's settings, but standardize when it is off (the default, not a change)
        out += _diff({}, {k: v for k, v in new_data.items()
                          if k != "generator" and not (k == "standardize" and v is False)}, "data ")
    out += [r.text() for r in resized]
    return out


SETTINGS_NOTE = "Changed in bptui's settings"


def retold(old: NetworkSpec, new: NetworkSpec) -> NetworkSpec:
    """``new`` with a description that fits it: when the layers or the data changed, the file's own
    description (about the old network) gives way to one saying which file it was changed from in
    bptui's settings and what the network is now."""
    if old.widths == new.widths and old.activations == new.activations and old.raw.get("data") == new.raw.get("data"):
        return new
    base = old.raw.get("description", "")
    origin = base.split(" from ", 1)[1].split(";", 1)[0] if base.startswith(SETTINGS_NOTE + " from ") else old.name
    layers = "-".join(map(str, new.widths)) if layers_editable(new) else " ".join(k.describe() for k in new.layer_kinds)
    text = (f"{SETTINGS_NOTE} from {origin}; now layers {layers} with f = {', '.join(new.activations)}, "
            f"on {_data_name(data_of(new))}.")
    return replace(new, description=text, raw={**new.raw, "description": text})


def data_label(spec: NetworkSpec, file_data: dict | None) -> str | None:
    """What the header calls the data when the settings changed it from the file's (``file_data``; None:
    never changed): ``circle data``, ``the file's data`` (its own, resized or restandardized)."""
    data = spec.raw.get("data", {})
    if file_data is None or data == file_data:
        return None
    return f"{data['generator']} data" if "generator" in data else "the file's data"


def _data_name(data: dict) -> str:
    if "generator" in data:
        return f"the {data['generator']} generator"
    return "the file's CSV data" if "csv" in data else "the file's data"


def field_of(err: SpecError, places: Sequence[str]) -> str | None:
    """The field a SpecError belongs to: the longest of ``places`` its place starts with."""
    best = None
    for p in places:
        if err.place == p or err.place.startswith(p + ".") or err.place.startswith(p + "["):
            if best is None or len(p) > len(best):
                best = p
    return best


__all__ = ["ACTIVATION_NAMES", "Applied", "Choices", "FILE_DATA", "HIDDEN_ACTIVATION_NAMES", "LOSS_NAMES", "LayerChoice", "OPTIMIZER_NAMES",
           "Resized", "SpecError", "UPDATE_MODES", "activation_names", "apply", "data_label", "current", "describe", "document", "generator_names",
           "layer_rng", "resize", "value"]

"""Which panel draws which layer: one table from a kind's view hint (``LayerKind.panel``, plain data
in the core) to the widget class. The screen asks this module for a network's panels and never
names a kind; a new kind with a new look is one line here and its panel class."""

from __future__ import annotations

from importlib import import_module
from itertools import groupby
from typing import TYPE_CHECKING, Any

from ..core.engine.kind import timed_layers

if TYPE_CHECKING:
    from .panel_base import NumberSheet

PANELS: dict[str, tuple[str, str]] = {  # hint: (module, class), imported when a network has one
    "dense": ("sheet", "LayerSheet"),  # W⁽ˡ⁾ | s o δ | G⁽ˡ⁾, a row per unit
    "map": ("map_sheet", "MapSheet"),  # feature maps by channel, a convolution's kernels, receptive fields
    "sequence": ("seq_sheet", "SeqSheet"),  # unrolled in time, a column per τ
    "block": ("block_sheet", "BlockSheet"),  # a residual block: x | F(x), o, ∂ℓ/∂x, the fan-in's parts
}


PROFILE_PANELS: dict[str, tuple[str, str]] = {  # in a notation profile other than the lecture's
    "dense": ("profile_sheet", "ProfileSheet"),  # the profile's W | b | z a δ | ∂ℓ/∂W ∂ℓ/∂b, or cs231n's rows
    "map": ("profile_map_sheet", "ProfileMapSheet"),  # kernels | b, their gradients (G/m); z a δ maps by channel
    "block": ("profile_block_sheet", "ProfileBlockSheet"),  # x | F(x), o, ∂ℓ/∂x, the fan-in's parts; no o's 1
    "sequence": ("profile_seq_sheet", "ProfileSeqSheet"),  # [W │ U] | b, ∂ℓ/∂W ∂ℓ/∂b (G/m) | z a δ over τ
}


OWN_ROWS = ("dense", "block", "sequence", "map")  # the profile panels that name a kind's own rows (a layer norm's u, ∂C/∂x)


def panel_class(hint: str, profiled: bool = False) -> type[NumberSheet]:
    """The panel class of a view hint (``LayerKind.panel``); ``profiled``: in a notation profile
    other than the lecture's (only the kinds that follow profiles are there: ``profile_fits``)."""
    module, name = PROFILE_PANELS[hint] if profiled and hint in PROFILE_PANELS else PANELS[hint]
    return getattr(import_module(f".{module}", __package__), name)


SEQUENCE = "sequence"


def hints(kinds: Any) -> list[str]:
    """The panel family of each layer: its kind's hint, except that above a layer of the sequence
    family a sequence flows (each layer runs at every τ, or once on the last), and the sequence
    panel draws it; so it draws every layer of a network on sequences that runs at each τ, wherever it
    stands (a dense layer or a layer norm below a recurrent layer, a residual block: their numbers are
    rows over τ)."""
    out: list[str] = []
    sequences = any(kind.panel == SEQUENCE for kind in kinds)
    for kind, timed in zip(kinds, timed_layers(kinds)):
        out.append(SEQUENCE if SEQUENCE in out or (sequences and (kind.span or timed)) else kind.panel)
    return out


def network_panels(stepper: Any, digits: int, bind: Any = None) -> list[NumberSheet]:
    """The panels of the network on ``stepper``, layer by layer (a map network's input map first);
    ``bind``: the screen's ``digits`` reactive, for the panels to follow (``data_bind``)."""
    layers = list(enumerate(hints(stepper.spec.layer_kinds), start=1))
    sheets: list[NumberSheet] = []
    for hint, run in groupby(layers, key=lambda item: item[1]):
        cls = panel_class(hint, profiled(stepper))
        sheets += cls.for_layers(stepper, [l for l, _ in run], digits)
    return [sheet.data_bind(digits=bind) for sheet in sheets] if bind is not None else sheets


def panels_fit(kinds: Any, notation: Any) -> str | None:
    """Why the app cannot draw a network of layers ``kinds`` in ``notation`` (a layer whose panel
    family has no profile panel yet: its numbers would stand under the lecture's names and layer
    numbers beside the profile's), or None when it can. ``trace`` and ``export`` may still write it."""
    if notation is None or notation.name == "lecture13":
        return None
    for l, (kind, hint) in enumerate(zip(kinds, hints(kinds)), start=1):
        if hint not in PROFILE_PANELS or (kind.own_steps and hint not in OWN_ROWS):
            return (f"notation {notation.name}: the app draws layer {l} ({kind.describe()}) in the lecture's "
                    f"notation only, for now (bptui trace and export write it in {notation.name}); "
                    "use --notation lecture13")
    return None


def profiled(stepper: Any) -> bool:
    """Whether the panels write the stepper's notation profile rather than the lecture's (the
    lecture's dense panel is :class:`~.sheet.LayerSheet`; a profile's, :class:`~.profile_sheet.ProfileSheet`)."""
    notation = getattr(stepper, "notation", None)
    return notation is not None and notation.name != "lecture13"


def highlights(spec: Any, key: tuple | None) -> set[tuple]:
    """The cells to highlight for the cell under the cursor: for an output of layer l (s, o), its
    receptive field in o⁽ˡ⁻¹⁾ and the kernel weights it used (W⁽ˡ⁾ row k, every column); for a δ of
    layer l, the entries of δ⁽ˡ⁺¹⁾ (the layer above) it came from. The kinds say what reads what
    (``LayerKind.field`` and ``readers``)."""
    if key is None or not isinstance(key[2], tuple):
        return set()
    q, l, pos, _ = key
    kinds = spec.layer_kinds
    out: set[tuple] = set()
    if q in ("s", "o") and l >= 1:
        k = kinds[l - 1]
        inputs, row = k.field(pos)
        out |= {("o", l - 1, p, None) for p in inputs}
        if row is not None:
            out |= {("W", l, row, a) for a in range(k.param_shape[1])}
    elif q == "delta" and l < spec.L:
        out |= {("delta", l + 1, p, None) for p in kinds[l].readers(pos)}
    return out


def follows_cursor(panels: Any) -> bool:
    """Whether a move of the cursor changes what the panels highlight (the screen redraws them)."""
    return any(panel.FOLLOWS_CURSOR for panel in panels)

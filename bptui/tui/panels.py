"""Which panel draws which layer: one table from a kind's view hint (``LayerKind.panel``, plain data
in the core) to the widget class. The screen asks this module for a network's panels and never
names a kind; a new kind with a new look is one line here and its panel class."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from .map_sheet import MapSheet
from .panel_base import NumberSheet
from .seq_sheet import SeqSheet
from .sheet import LayerSheet

PANELS: dict[str, type[NumberSheet]] = {
    "dense": LayerSheet,  # W⁽ˡ⁾ | s o δ | G⁽ˡ⁾, a row per unit
    "map": MapSheet,  # feature maps by channel, a convolution's kernels, receptive fields
    "sequence": SeqSheet,  # unrolled in time, a column per τ
}

SEQUENCE = "sequence"


def hints(kinds: Any) -> list[str]:
    """The panel family of each layer: its kind's hint, except that above a layer of the sequence
    family a sequence flows (each layer runs at every τ, or once on the last), and the sequence
    panel draws it."""
    out: list[str] = []
    for kind in kinds:
        out.append(SEQUENCE if SEQUENCE in out else kind.panel)
    return out


def network_panels(stepper: Any, digits: int, bind: Any = None) -> list[NumberSheet]:
    """The panels of the network on ``stepper``, layer by layer (a map network's input map first);
    ``bind``: the screen's ``digits`` reactive, for the panels to follow (``data_bind``)."""
    layers = list(enumerate(hints(stepper.spec.layer_kinds), start=1))
    sheets: list[NumberSheet] = []
    for hint, run in groupby(layers, key=lambda item: item[1]):
        sheets += PANELS[hint].for_layers(stepper, [l for l, _ in run], digits)
    return [sheet.data_bind(digits=bind) for sheet in sheets] if bind is not None else sheets


def follows_cursor(panels: Any) -> bool:
    """Whether a move of the cursor changes what the panels highlight (the screen redraws them)."""
    return any(panel.FOLLOWS_CURSOR for panel in panels)

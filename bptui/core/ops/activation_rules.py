"""What a network file may ask of an activation f, as data and without NumPy: its default α (the
activations that take one) and whether a hidden layer may use it. The reader's checks of a layer's
``activation`` and ``alpha`` are here, so that the app can give a file's verdict before its first
frame without NumPy's import (:mod:`bptui.core.formats.verdict`); :mod:`.activations` holds the
functions themselves and reads these facts (a test checks the two tables name the same activations).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..util.errors import SpecError


@dataclass(frozen=True)
class Rule:
    default_alpha: float | None = None  # the activations that take an α, and its value when the file gives none
    hidden: bool = True  # whether a hidden layer may use it (softmax normalizes over the output's units)


RULES: dict[str, Rule] = {
    "identity": Rule(),
    "sigmoid": Rule(),
    "tanh": Rule(),
    "relu": Rule(),
    "gelu": Rule(),
    "softplus": Rule(),
    "elu": Rule(default_alpha=1.0),
    # leaky ReLU and PReLU are one function; they differ in α's default (PReLU's α is fixed in v1)
    "leaky_relu": Rule(default_alpha=0.01),
    "prelu": Rule(default_alpha=0.25),
    "softmax": Rule(hidden=False),
}

DEFAULT_ACTIVATION = "sigmoid"


def read_activation(layer: dict, l: int, L: int, width: int, output_only_above: bool = False) -> tuple[str, float]:
    """(f, α) of layer l (of L) from its file entry, as the file reader checks them: softmax only on the
    output layer and on at least 2 units; α only for elu, leaky_relu and prelu."""
    name = layer.get("activation", DEFAULT_ACTIVATION)
    rule = RULES[name]
    if not rule.hidden and (l < L or output_only_above):
        raise SpecError(f"{name} is for the output layer only", place=f"layers[{l}].activation")
    if name == "softmax" and width < 2:
        raise SpecError("softmax needs at least 2 units", place=f"layers[{l}].units")
    if "alpha" in layer and rule.default_alpha is None:
        raise SpecError(f"{name} takes no alpha (only elu, leaky_relu and prelu do)", place=f"layers[{l}].alpha")
    return name, float(layer.get("alpha", rule.default_alpha or 0.0))

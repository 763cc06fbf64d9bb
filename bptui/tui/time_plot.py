"""‖δ⁽¹⁾_τ‖ over τ on the training screen of a recurrent network (a gated layer's ‖∂ℓ/∂c_τ‖ and ‖∂ℓ/∂h_τ‖,
as its kind's ``panel_norms`` name them): how the gradient fades (or grows) as it flows back through
time, for the longest example at the current weights, as bars on a log scale with the numbers at both
ends (``core.train.gradients_over_time``; the bars are :func:`~.seq_sheet.norm_bars`, as under the
recurrent layer's panel)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text
from textual.widget import Widget

from ..core.formulas.numformat import texts
from ..core.formulas.notation import sup


def _named(label: str, layer: int, at: str) -> str:
    """A norm's label of the panel (‖δ_τ‖, ‖∂c_τ‖) with the layer and a time step: ‖δ⁽¹⁾₁‖, ‖∂c⁽¹⁾_T‖."""
    return label.replace("_τ", sup(layer) + at)


class DeltaOverTime(Widget):
    """The longest example's per-τ gradient norms of the lowest recurrent layer, τ = 1 … T: ‖δ⁽¹⁾_τ‖, or
    what its kind shows under its panel (an LSTM's ‖∂ℓ/∂c_τ‖ and ‖∂ℓ/∂h_τ‖)."""

    DEFAULT_CSS = """
    DeltaOverTime { height: auto; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    """

    def __init__(self, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        assert spec.lengths is not None
        self.example = int(np.argmax(spec.lengths))
        self.rnn_layer = next(l for l, k in enumerate(spec.layer_kinds, start=1) if k.over_time)
        self.labels = spec.layer_kinds[self.rnn_layer - 1].panel_norms()
        self.series: list[list[float]] = []  # the norms of each of ``labels``, τ = 1 … T
        names = " and ".join(_named(label, self.rnn_layer, "_τ") for _, label in self.labels)
        self.border_title = (f"{names} over τ, example {self.example + 1} (T = {int(spec.lengths[self.example])}); "
                             "log scale")

    @property
    def norms(self) -> list[float]:
        """The first series (‖δ⁽¹⁾_τ‖; an LSTM's ‖∂ℓ/∂c⁽¹⁾_τ‖)."""
        return self.series[0] if self.series else []

    def show(self, weights: Any) -> None:
        from ..core.engine.train import gradients_over_time

        got = gradients_over_time(self.spec, weights, self.example, self.rnn_layer)
        self.series = [[float(v) for v in norms] for _, _, norms in got]
        self.refresh()

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return 2 * len(self.labels)

    def render(self) -> Text:
        from .seq_sheet import norm_bars

        text = Text(no_wrap=True, overflow="crop")
        many = len(self.labels) > 1
        for (_, label), norms in zip(self.labels, self.series):
            bars = "".join(norm_bars(list(norms)))
            lead = f"{_named(label, self.rnn_layer, '_τ')} " if many else ""
            text.append(f"{lead}τ = 1 {bars} τ = {len(norms)}\n")
            ratio = norms[0] / norms[-1] if norms[-1] else float("nan")
            first, last = texts([norms[0], norms[-1]], 4)  # one format for both (core/formulas/numformat.py)
            text.append(f"{_named(label, self.rnn_layer, '₁')} = {first}, {_named(label, self.rnn_layer, '_T')} = {last}, "
                        f"ratio {texts([ratio], 4)[0]}\n")
        text.rstrip()
        return text

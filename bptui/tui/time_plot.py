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

    def __init__(self, spec: Any, notation: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.notation = None if notation is None or notation.name == "lecture13" else notation
        assert spec.lengths is not None
        self.example = int(np.argmax(spec.lengths))
        self.rnn_layer = next(l for l, k in enumerate(spec.layer_kinds, start=1) if k.over_time)
        self.labels = spec.layer_kinds[self.rnn_layer - 1].panel_norms()
        self.series: list[list[float]] = []  # the norms of each of ``labels``, τ = 1 … T
        names = " and ".join(self.norm_name(i, "τ") for i in range(len(self.labels)))
        self.border_title = (f"{names} over τ, example {self.example + 1} (T = {int(spec.lengths[self.example])}); "
                             "log scale")

    def norm_name(self, i: int, at: int | str) -> str:
        """The norm of ``labels[i]`` at τ = ``at`` ("τ", 1 or "T"): the lecture's ‖δ⁽¹⁾_τ‖ (an LSTM's ‖∂c⁽¹⁾_τ‖);
        in a notation profile its symbol as the profile's panel writes the row (ng's ‖dz^[1]_τ‖, ‖∂J/∂c^[1]_τ‖)."""
        q, label = self.labels[i]
        if self.notation is None:
            return _named(label, self.rnn_layer, {"τ": "_τ", "T": "_T", 1: "₁"}[at])
        from dataclasses import replace

        from ..core.formulas.formula import Sym, TextPrinter

        kind, l = self.spec.layer_kinds[self.rnn_layer - 1], self.rnn_layer
        sym = kind.step_sym(kind.step_name(q), l, at)
        if sym is None:
            sym = kind.cell_sym(q, l)
            sym = replace(sym, time=at) if isinstance(sym, Sym) else sym
        return f"‖{TextPrinter(notation=self.notation).p(sym)}‖"

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
        for i, norms in enumerate(self.series):
            bars = "".join(norm_bars(list(norms)))
            lead = f"{self.norm_name(i, 'τ')} " if many else ""
            text.append(f"{lead}τ = 1 {bars} τ = {len(norms)}\n")
            ratio = norms[0] / norms[-1] if norms[-1] else float("nan")
            first, last = texts([norms[0], norms[-1]], 4)  # one format for both (core/formulas/numformat.py)
            text.append(f"{self.norm_name(i, 1)} = {first}, {self.norm_name(i, 'T')} = {last}, "
                        f"ratio {texts([ratio], 4)[0]}\n")
        text.rstrip()
        return text

"""‖δ⁽¹⁾_τ‖ over τ on the training screen of a recurrent network: how the gradient fades (or grows)
as it flows back through time, for the longest example at the current weights, as bars on a log
scale with the numbers at both ends (``core.train.delta_over_time``; the bars are
:func:`~.seq_sheet.norm_bars`, as under the recurrent layer's panel)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text
from textual.widget import Widget

from ..core.formulas.numformat import texts


class DeltaOverTime(Widget):
    """The longest example's ‖δ⁽¹⁾_τ‖, τ = 1 … T."""

    DEFAULT_CSS = """
    DeltaOverTime { height: auto; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    """

    def __init__(self, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        assert spec.lengths is not None
        self.example = int(np.argmax(spec.lengths))
        self.norms: list[float] = []
        self.border_title = (f"‖δ⁽¹⁾_τ‖ over τ, example {self.example + 1} (T = {int(spec.lengths[self.example])}); "
                             "log scale")

    def show(self, weights: Any) -> None:
        from ..core.engine.train import delta_over_time

        self.norms = [float(v) for v in delta_over_time(self.spec, weights, self.example)]
        self.refresh()

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return 2

    def render(self) -> Text:
        from .seq_sheet import norm_bars

        text = Text(no_wrap=True, overflow="crop")
        if not self.norms:
            return text
        bars = "".join(norm_bars(list(self.norms)))
        text.append(f"τ = 1 {bars} τ = {len(self.norms)}\n")
        ratio = self.norms[0] / self.norms[-1] if self.norms[-1] else float("nan")
        first, last = texts([self.norms[0], self.norms[-1]], 4)  # one format for both (core/formulas/numformat.py)
        text.append(f"‖δ⁽¹⁾₁‖ = {first}, ‖δ⁽¹⁾_T‖ = {last}, ratio {texts([ratio], 4)[0]}")
        return text

"""Panels of a recurrent network: each layer unrolled in time, one column per time step τ.

A :class:`SeqSheet` shows one layer l of a network with recurrent layers (stacked, or with dense
layers at each time step; ``core/kinds/rnn/steps.py`` holds the board it reads):

- its weights: W⁽ˡ⁾ (for the recurrent layer, [W | U]: the bias, the inputs' columns, then U's) and
  G⁽ˡ⁾ beside it, rows b;
- a grid with one column per τ = 1 … T of the example on the board, the current τ marked ``▶``: the
  input x_τ (layer 1), then s⁽ˡ⁾_τ, o⁽ˡ⁾_τ and δ⁽ˡ⁾_τ, unit by unit, for every layer a sequence
  flows into (``spec.timed``; a layer above a many-to-one layer runs once: one column, on its o_T);
- for each recurrent layer, ‖δ⁽ˡ⁾_τ‖ under its column and a bar of it on a log scale, so a gradient
  vanishing (or exploding) as it flows back through time shows as the example is stepped.

Tab puts a cursor on a cell and the side panel explains it (``core/kinds/rnn/explain.py``), with every
factor's number, including the part of δ⁽¹⁾_τ that comes from τ + 1. Drawing and the cursor are the
map panels' (:class:`~.map_sheet.MapSheet`); only what the lines hold differs.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..core.formulas.notation import num, sup
from .explain import TimeIndex
from .map_sheet import Key, MapSheet
from .sheet import panel_css
from .view import cell, cell_width

BARS = "▁▂▃▄▅▆▇█"


def norm_bars(norms: list[float | None]) -> list[str]:
    """One bar per ‖δ_τ‖ on a log scale from the smallest to the largest finite norm (· for none)."""
    known = [n for n in norms if n is not None and math.isfinite(n) and n > 0]
    if not known:
        return ["·" if n is None else BARS[0] for n in norms]
    lo, hi = math.log10(min(known)), math.log10(max(known))
    out = []
    for n in norms:
        if n is None:
            out.append("·")
        elif not math.isfinite(n) or n <= 0:
            out.append(BARS[0])
        else:
            frac = 1.0 if hi == lo else (math.log10(n) - lo) / (hi - lo)
            out.append(BARS[min(len(BARS) - 1, int(frac * (len(BARS) - 1) + 0.5))])
    return out


def current_time(stepper: Any) -> int | None:
    """The time step of the last step (None: a step that is not at one τ, or none yet)."""
    last = stepper.last
    return None if last is None else last.key.time


def delta_norms(stepper: Any, l: int = 1) -> list[float | None]:
    """‖δ⁽ˡ⁾_τ‖ for τ = 1 … T of the example on the board (None where δ_τ is not computed yet)."""
    D = stepper.state.delta[l]
    if D is None:
        return []
    return [None if not np.all(np.isfinite(row)) else float(np.linalg.norm(row)) for row in np.asarray(D)]


class SeqSheet(MapSheet):
    """One layer of a recurrent network, unrolled in time (see the module's docstring)."""

    DEFAULT_CSS = panel_css("SeqSheet", 30, "SeqSheet > .sheet--field { background: $warning 40%; text-style: bold underline; }\n")

    def _title(self) -> str:
        spec, l = self.stepper.spec, self.l_index
        st = self.stepper.state
        T = None if st.o[0] is None else len(st.o[0])
        t = current_time(self.stepper)
        kind = spec.layer_kinds[l - 1]
        timed = spec.timed[l - 1]
        when = f" · unrolled over τ = 1 … {T}" if T is not None and timed else ""
        if not timed:
            when = f" · once, on o{sup(l - 1)} at τ = T{f' = {T}' if T else ''} (many-to-one)"
        now = f" · now τ = {t}" if t is not None and timed else ""
        return f"Layer {l} · {kind.describe()} · f{sup(l)} = {spec.activations[l - 1]}{when}{now}"

    def show(self, digits: int, hidden: Key | None = None, field: set[Key] | None = None) -> None:
        st = self.stepper.state
        l = self.l_index
        last = self.stepper.last
        arrays = (st.o[l], st.s[l], st.delta[l], st.W[l], st.G[l], st.o[0] if l == 1 else None)
        produced = last.key.quantity if last is not None and last.key.layer == l else None
        sig = tuple(id(a) for a in arrays) + (digits, hidden, produced, self.has_focus, self.cursor,
                                               last.key.phase if last is not None else None,
                                               current_time(self.stepper))
        if sig == self._signature:
            return
        self._signature = sig
        self.digits, self.hidden, self.field = digits, hidden, set()
        self._build(produced)
        self.border_title = self._title()
        self.refresh(layout=True)
        t = current_time(self.stepper)
        if t is not None and self.lines and self.stepper.spec.timed[l - 1]:
            cw = cell_width(digits)
            x = 7 + (t - 1) * cw  # keep the current τ's column in view (long sequences scroll)
            if not (self.scroll_x <= x < self.scroll_x + max(self.size.width - cw, cw)):
                self.scroll_to(x=max(0, x - 2 * cw), animate=False, immediate=True)

    def min_width(self) -> int:
        """The narrowest this panel should be (borders and padding included): the whole of W⁽ˡ⁾
        (G⁽ˡ⁾ beside it and the later τ scroll)."""
        cols = self.stepper.spec.weights[self.l_index - 1].shape[1]
        return 6 + cols * cell_width(self.digits) + 2 + 4

    def _build(self, produced: str | None) -> None:
        st, l, spec = self.stepper.state, self.l_index, self.stepper.spec
        cw = cell_width(self.digits)
        last = self.stepper.last
        stale = last is not None and last.key.phase == "update"
        t_now = current_time(self.stepper)
        lines: list[list[tuple[str, str, Key | None]]] = []

        def number(x: float | None, key: Key, mark: bool) -> tuple[str, str, Key | None]:
            if x is None or not math.isfinite(x) and math.isnan(x):
                return ("·".rjust(cw - 1) + " ", "dim", key)
            if key == self.hidden:
                return ("? ".rjust(cw), "pos", key)
            text = cell(float(x), self.digits)
            name = "dim" if stale and key[0] in ("s", "o", "delta") else ("neg" if x < 0 else "pos")
            return (text.rjust(cw - 1) + " ", name + ("+" if mark else ""), key)

        # the weights and G, side by side
        W, G = st.W[l], st.G[l]
        rows, cols = W.shape
        d = spec.widths[l - 1]
        recurrent = spec.layer_kinds[l - 1].over_time  # its o holds o₀ in row 0; [W │ U]
        split = f" │ U{sup(l)} from column {d + 1}" if recurrent else ""
        w_title = f"{'▶ ' if produced == 'W' else ''}W{sup(l)} (bias │ inputs{split})"
        block = 6 + cols * cw + (2 if recurrent else 1) + 4  # b=…, the numbers, the │ marks, the gap
        lines.append([(w_title, "header+" if produced == "W" else "header", None),
                      (" " * max(block - len(w_title), 2), "base", None),
                      (f"{'▶ ' if produced == 'G' else ''}G{sup(l)}", "header+" if produced == "G" else "header", None)])
        for b in range(rows):
            row: list[tuple[str, str, Key | None]] = [(f"b={b + 1}".ljust(6), "header", None)]
            for q, M in (("W", W), ("G", G)):
                for a in range(cols):
                    row.append(number(float(M[b, a]), (q, l, b, a), produced == q))
                    if a == 0 or (recurrent and a == d):
                        row.append(("│", "bias", None))
                row.append(("    ", "base", None))
            lines.append(row)
        lines.append([])
        # the grid through time
        T = None if st.o[0] is None else len(st.o[0])
        timed = spec.timed[l - 1]
        times: list[int | None] = list(range(1, T + 1)) if (T is not None and timed) else [None]
        head: list[tuple[str, str, Key | None]] = [(" " * 7, "header", None)]
        for t in times:
            label = "once" if t is None else f"τ={t}"
            if t is not None and t == t_now:
                head.append((("▶" + label).rjust(cw - 1) + " ", "header+", None))
            else:
                head.append((label.rjust(cw - 1) + " ", "header", None))
        lines.append(head)

        def value(q: str, t: int | None, b: int) -> float | None:
            board = {"s": st.s, "o": st.o, "delta": st.delta}[q][l]
            if board is None:
                return None
            A = np.asarray(board)
            if recurrent:
                r = A[t] if q == "o" else A[(t or 1) - 1]  # a recurrent layer's o holds o₀ in row 0
                return float(r[b])
            vec_ = A if t is None else A[t - 1]
            return float(vec_[b + 1 if q == "o" and l < spec.L else b])

        if l == 1:  # the input sequence, x_τ
            for a in range(spec.widths[0]):
                row = [(f"x a={a + 1}".ljust(7), "header", None)]
                for t in times:
                    x = None if st.o[0] is None or t is None else float(np.asarray(st.o[0])[t - 1][a + 1])
                    row.append(number(x, ("o", 0, TimeIndex(t, a), None), False))
                lines.append(row)
        for q, name in (("s", "s"), ("o", "o"), ("delta", "δ")):
            for b in range(spec.widths[l]):
                label = f"{name} b={b + 1}" if b == 0 or spec.widths[l] < 4 else f"  b={b + 1}"
                row = [(label.ljust(7)[:7], "header+" if produced == q else "header", None)]
                for t in times:
                    mark = produced == q and (t is None or t == t_now)
                    row.append(number(value(q, t, b), (q, l, TimeIndex(t, b), None), mark))
                lines.append(row)
        if recurrent and T is not None:  # ‖δ_τ‖: how the gradient fades back through time
            norms = delta_norms(self.stepper, l)
            row = [("‖δ_τ‖".ljust(7), "header", None)]
            for n in norms:
                row.append(("·".rjust(cw - 1) + " " if n is None else num(n, 3).rjust(cw - 1) + " ", "dim", None))
            lines.append(row)
            row = [("log".ljust(7), "header", None)]
            for bar in norm_bars(norms):
                row.append((bar.rjust(cw - 1) + " ", "pos", None))
            lines.append(row)
        self.set_lines(lines)


# -- the app's hooks ------------------------------------------------------------------------------------
def panels(stepper: Any, digits: int, bind: Any = None) -> Iterator[Any]:
    """A SeqSheet per layer of a recurrent network."""
    for l in range(1, stepper.spec.L + 1):
        yield SeqSheet(stepper, l, digits, id=f"layer-{l}")


def refresh_panels(screen: Any, hidden: Key | None) -> None:
    for sheet in screen.query("#layers > SeqSheet"):
        sheet.show(screen.digits, hidden)


def status_lines(stepper: Any, digits: int) -> tuple[str, str]:
    """(the example, o⁽⁰⁾) parts of the status block for a sequence: its length and its rows."""
    spec = stepper.spec
    at = stepper.where()
    def rows(a: np.ndarray) -> str:
        text = ", ".join("[" + ", ".join(num(float(v), digits) for v in r) + "]" for r in a[:8])
        return text + (f", … ({len(a)} steps)" if len(a) > 8 else "")

    x, y = np.asarray(at.x), np.asarray(at.y)
    ytext = f"y_τ = {rows(y)}" if y.ndim == 2 else "y = [" + ", ".join(num(float(v), digits) for v in y[:8]) + "]"
    example = f"{at.example_text()}: T = {len(x)}, x_τ = {rows(x)}, {ytext}"
    return example, f"o{sup(0)}_τ = [1, x_τ]"

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
from typing import Any, ClassVar

import numpy as np
from rich.style import Style

from ..core.formulas.notation import num, sup
from ..core.formulas.numformat import texts
from .explain import TimeIndex
from .map_sheet import Key, MapSheet
from .panel_base import NumberSheet, panel_css
from .view import cell_width

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


def delta_norms(stepper: Any, l: int = 1, quantity: str = "delta") -> list[float | None]:
    """‖δ⁽ˡ⁾_τ‖ for τ = 1 … T of the example on the board (None where δ_τ is not computed yet); or of
    another per-τ quantity of the layer's kind (an LSTM's ∂ℓ/∂c)."""
    st = stepper.state
    D = st.delta[l] if quantity == "delta" else st.extra.get((quantity, l))
    if D is None:
        return []
    return [None if not np.all(np.isfinite(row)) else float(np.linalg.norm(row)) for row in np.asarray(D)]


class SeqSheet(MapSheet):
    """One layer of a recurrent network, unrolled in time (see the module's docstring)."""

    # as tall as the layers' column: a gated layer's rows (W | U by gate, the gates, c, ∂ℓ/∂h, ∂ℓ/∂c, δ and
    # the norms) fill what the screen has before the panel scrolls; attention's a shaded as a heat map
    DEFAULT_CSS = panel_css("SeqSheet", "100%", """
SeqSheet > .sheet--heat1 { background: $primary 12%; }
SeqSheet > .sheet--heat2 { background: $primary 30%; }
SeqSheet > .sheet--heat3 { background: $primary 50%; }
SeqSheet > .sheet--heat4 { background: $primary 75%; }
""")
    FOLLOWS_CURSOR = False
    COMPONENT_CLASSES = MapSheet.COMPONENT_CLASSES | {f"sheet--heat{i}" for i in range(1, 5)}
    LECTURE_WEIGHTS: ClassVar[bool] = True  # W⁽ˡ⁾ and G⁽ˡ⁾ above the grid (a profile's panel draws its own)

    def _palette(self) -> dict[str, Style]:
        """The shared palette and a heat map's four shades (``LayerKind.heat``: attention's a)."""
        if self._styles is None:
            p = super()._palette()
            get = self.get_component_rich_style
            for i in range(1, 5):
                p[f"heat{i}"] = p["pos"] + get(f"sheet--heat{i}")
                p[f"heat{i}+"] = p[f"heat{i}"] + get("sheet--produced")
        assert self._styles is not None
        return self._styles

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        self._x_of: Any = None  # the o⁽⁰⁾ whose x_τ columns ``_x`` holds
        self._x: Any = None
        self._done_at: tuple[int, set] = (-1, set())  # (position, the steps of its example done)
        self.lead = 7  # the grid's label column: τ = 1's column starts after it
        self.grid_top = 0  # the grid's first line (its τ heading)

    @classmethod
    def for_layers(cls, stepper: Any, layers: list[int], digits: int) -> list[NumberSheet]:
        return [cls(stepper, l, digits, id=f"layer-{l}") for l in layers]

    def _sequence(self) -> np.ndarray:
        """x_τ of the example on the board, or before its first step of the one the next step reads
        (one array per board, so that its number format is worked out once)."""
        o0 = self.stepper.state.o[0]
        if o0 is None:
            return np.asarray(self.stepper.where().x, dtype=float)
        if self._x_of is not o0:
            self._x_of, self._x = o0, np.asarray(o0)[:, 1:]
        return self._x

    def _done(self) -> set[tuple[str, int | None, int | None]]:
        """(quantity, layer, τ) of the steps done in the example on the board: a NaN among them is
        a value that is not a number, elsewhere one not computed yet (the board's NaN). Kept from
        one step to the next, so that stepping forward costs one schedule key."""
        stepper = self.stepper
        p = stepper.position
        at, done = self._done_at
        if at == p:
            return done
        if at != p - 1 or p == 0:  # a jump: walk back to the example's first step
            done, q = set(), p
            while q > 0 and self._add_done(done, stepper.schedule.key(q - 1)):
                q -= 1
        else:
            key = stepper.schedule.key(p - 1)
            done = set(done) if not key.example_start else set()
            self._add_done(done, key)
        self._done_at = (p, done)
        return done

    @staticmethod
    def _add_done(done: set, key: Any) -> bool:
        """Add a step of the example to ``done``; False once the walk back reaches its start."""
        if key.example is None:  # an update: no example's values
            done.clear()
            return False
        done.add((key.quantity, key.layer, key.time))
        return not key.example_start

    def _title(self) -> str:
        spec, l = self.stepper.spec, self.l_index
        T = len(self._sequence())
        t = current_time(self.stepper)
        kind = spec.layer_kinds[l - 1]
        timed = spec.timed[l - 1]
        when = f" · unrolled over τ = 1 … {T}" if T is not None and timed else ""
        if not timed:
            when = f" · once, on o{sup(l - 1)} at τ = T{f' = {T}' if T else ''} (many-to-one)"
        now = f" · now τ = {t}" if t is not None and timed else ""
        # a gated layer's σ, tanh are its own; a layer norm has no f
        f = f" · f{sup(l)} = {spec.activations[l - 1]}" if kind.has_s and kind.takes_activation else ""
        return f"Layer {l} · {kind.describe()}{f}{when}{now}"

    def show_board(self, stepper: Any, hidden: Any = None, field: set | None = None) -> None:
        self.show(self.digits, hidden, set())

    def board_signature(self) -> tuple:
        st, l = self.stepper.state, self.l_index
        arrays = (st.o[l], st.s[l], st.delta[l], st.W[l], st.G[l], st.o[0] if l == 1 else None,
                  *(a for (q, m), a in st.extra.items() if m == l))
        ahead = self.stepper.position if st.o[0] is None else None  # x read from the data (_sequence)
        return tuple(id(a) for a in arrays) + (current_time(self.stepper), ahead)

    def shown(self) -> None:
        """Keep the current τ's column in view (long sequences scroll)."""
        t = current_time(self.stepper)
        if t is not None and self.lines and self.stepper.spec.timed[self.l_index - 1]:
            cw = cell_width(self.digits)
            x = self.lead + (t - 1) * cw
            if not (self.scroll_x <= x < self.scroll_x + max(self.room(scrollbars=False).width - cw, cw)):
                self.scroll_to(x=max(0, x - 2 * cw), animate=False, immediate=True)

    def heading_starts(self) -> list[int]:
        """The weights' headings and the grid's τ line."""
        return [*self.heading_lines, self.grid_top]

    def _arrangement(self, avail: int) -> tuple[bool, list[list[tuple[str, str]]]]:
        """One arrangement at every width: G⁽ˡ⁾ beside W⁽ˡ⁾, and the later τ scroll."""
        return False, []

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
        boards = {"s": st.s[l], "o": st.o[l], "delta": st.delta[l],
                  **{q: a for (q, m), a in st.extra.items() if m == l}}  # a kind's own (an LSTM's c)
        x_seq = self._sequence()
        formats = self.formats([st.W[l], st.G[l], x_seq if l == 1 else None, *boards.values()])
        done: set | None = None
        heat = spec.layer_kinds[l - 1].heat

        def number(x: float | None, key: Key, mark: bool, fmt: str | None = None,
                   step: tuple | None = None) -> tuple[str, str, Key | None]:
            nonlocal done
            if x is not None and math.isnan(x) and step is not None:  # NaN: not computed yet, or computed
                done = self._done() if done is None else done
                x = x if step in done else None
            if x is None:
                return ("·".rjust(cw - 1) + " ", "dim", key)
            if key == self.hidden:
                return ("? ".rjust(cw), "pos", key)
            dim = stale and key[0] in ("s", "o", "delta")
            style = self.number_style(float(x), dim, mark)
            if heat(key[0]) and math.isfinite(x) and not dim:  # a weight in [0, 1] shaded; 0 (the mask) dim
                style = "dim" if x == 0 else f"heat{1 + min(3, int(float(x) * 4))}" + ("+" if mark else "")
            return (self.number_text(float(x), fmt).rjust(cw - 1) + " ", style, key)

        # the weights and G, side by side
        W, G = st.W[l], st.G[l]
        rows, cols = W.shape
        d = spec.widths[l - 1]
        recurrent = spec.layer_kinds[l - 1].over_time  # its o holds o₀ in row 0; [W │ U]
        split = f" │ U{sup(l)} from column {d + 1}" if recurrent else ""
        own = spec.layer_kinds[l - 1].panel_weights(l)  # a kind's own layout (attention's W_Q … W_O)
        title, bars, labels = own or (f"W{sup(l)} (bias │ inputs{split})", (0, d) if recurrent else (0,),
                                      [f"b={b + 1}" for b in range(rows)])
        w_title = f"{'▶ ' if produced == 'W' else ''}{title}"
        block = 6 + cols * cw + len(bars) + 4  # b=…, the numbers, the │ marks, the gap
        weights = spec.layer_kinds[l - 1].has_weights and self.LECTURE_WEIGHTS  # a residual block has none
        if self.LECTURE_WEIGHTS:  # (a profile's panel names its own weights' headings)
            self.heading_lines = [0] if weights else []
        if weights:
            lines.append([(w_title, "header+" if produced == "W" else "header", None),
                          (" " * max(block - len(w_title), 2), "base", None),
                          (f"{'▶ ' if produced == 'G' else ''}G{sup(l)}", "header+" if produced == "G" else "header", None)])
        entry = spec.layer_kinds[l - 1].editable  # not the padding of a stacked matrix (attention's): blank, no cell
        for b in range(rows if weights else 0):  # dropout's d × 0: no rows
            row: list[tuple[str, str, Key | None]] = [(labels[b].ljust(6), "header", None)]
            for q, M in (("W", W), ("G", G)):
                for a in range(cols):
                    row.append(number(float(M[b, a]), (q, l, b, a), produced == q, formats.get(id(M)))
                               if entry(b, a) else (" " * cw, "base", None))
                    if a in bars:
                        row.append(("│", "bias", None))
                row.append(("    ", "base", None))
            lines.append(row)
        if weights:
            lines.append([])
        # the grid through time
        T = len(x_seq)
        timed = spec.timed[l - 1]
        times: list[int | None] = list(range(1, T + 1)) if (T is not None and timed) else [None]
        head: list[tuple[str, str, Key | None]] = [(" " * 7, "header", None)]
        for t in times:
            label = "once" if t is None else f"τ={t}"
            if t is not None and t == t_now:
                head.append((("▶" + label).rjust(cw - 1) + " ", "header+", None))
            else:
                head.append((label.rjust(cw - 1) + " ", "header", None))
        self.grid_top = len(lines)
        lines.append(head)

        def value(q: str, t: int | None, b: int) -> float | None:
            board = boards.get(q)
            if board is None:
                return None
            A = np.asarray(board)
            if A.ndim == 3:  # H × T × T (attention's a): row b is head b // T, key τ′ = b % T + 1
                h, u = divmod(b, A.shape[2])
                return float(A[h, (t or 1) - 1, u])
            if recurrent:
                r = A[t] if q in ("o", "c") else A[(t or 1) - 1]  # o (and an LSTM's c) hold o₀ (c₀) in row 0
                return float(r[b])
            vec_ = A if t is None else A[t - 1]
            return float(vec_[b + 1 if q == "o" and l < spec.L else b])

        if l == 1:  # the input sequence, x_τ
            for a in range(spec.widths[0]):
                row = [(f"x a={a + 1}".ljust(7), "header", None)]
                for t in times:
                    x = None if t is None else float(x_seq[t - 1][a])
                    row.append(number(x, ("o", 0, TimeIndex(t, a), None), False, formats.get(id(x_seq))))
                lines.append(row)
        kind = spec.layer_kinds[l - 1]  # the rows its panel shows (a gated layer's gates, c, ∂ℓ/∂h …)
        for q, labels in kind.panel_rows(spec.widths[l]) + (kind.panel_rows_over(T) if T is not None else []):
            for b, label in enumerate(labels):
                row = [(label.ljust(7)[:7], "header+" if produced == q else "header", None)]
                for t in times:
                    mark = produced == q and (t is None or t == t_now)
                    row.append(number(value(q, t, b), (q, l, TimeIndex(t, b), None), mark,
                                      formats.get(id(boards.get(q))), (q, l, t)))
                lines.append(row)
        for q, name in (kind.panel_norms() if recurrent and T is not None else []):  # how the gradient fades back
            norms = delta_norms(self.stepper, l, q) or [None] * T  # none yet: a · per τ
            row = [(name.ljust(7), "header", None)]
            shown = iter(texts([n for n in norms if n is not None], self.digits))  # one format for the row
            for n in norms:
                row.append(("·".rjust(cw - 1) + " " if n is None else next(shown).rjust(cw - 1) + " ", "dim", None))
            lines.append(row)
            row = [("log".ljust(7), "header", None)]
            for bar in norm_bars(norms):
                row.append((bar.rjust(cw - 1) + " ", "pos", None))
            lines.append(row)
        self.set_lines(lines)


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

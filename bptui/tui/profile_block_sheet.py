"""A residual block's panel in a notation profile other than the lecture's (``--notation``): the lecture's
block panel (:mod:`.block_sheet`: x | F(x), o = x + F(x), the fan-in ∂ℓ/∂x and its two parts) under the
profile's names and layer numbers, as the block's equations write them in it
(``core/kinds/residual_equations.py``: a³ = a² + a⁵, ∂C/∂x⁶ = ∂C/∂a⁶ + w⁷ᵀ δ⁷).

- With a separate bias, o without its 1 on top (units from the profile's first); with the bias in
  column 0, the lecture's first row with o's 1.
- With column vectors a row per unit (x | F(x) | o ∂ℓ/∂x | the fan-in's parts); with row vectors
  (cs231n) a line per quantity, a column per unit.
- The block's sum and its parts in one number format (never −0.00012 beside its parts' −1.43e−4).

The numbers are :func:`.block_sheet.block_view`'s, the lecture panel's. o and ∂ℓ/∂x carry the lecture's
keys (o's index past its 1), so the cursor visits them as it does in the lecture's panel; x, F(x) and
the parts carry none (tests/test_notation_panels.py holds every number to the board under its heading).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.engine import equations as eq
from ..core.formulas.numformat import cell, number_format, widest
from .map_sheet import Key
from .panel_base import arrangement, panel_css
from .profile_sheet import Lines, ProfileSheet, Run
from .view import cell_width


class ProfileBlockSheet(ProfileSheet):
    """A residual block's panel in a notation profile (see the module's docstring)."""

    DEFAULT_CSS = panel_css("ProfileBlockSheet", 18)

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        w = stepper.net.wiring
        self.src: int = w.src[layer]  # x = o⁽ˢʳᶜ⁾
        self.tail: int = w.tail[layer]  # F(x) = o⁽ᵗᵃⁱˡ⁾

    def board_signature(self) -> tuple:
        """x, F(x), o and ∂ℓ/∂x of the board, and the step: the fan-in's parts are worked out with the
        weights of the pass that made them."""
        st, l = self.stepper.state, self.l_index
        arrays = (st.o[self.src], st.o[self.tail], st.o[l], st.delta[l])
        return tuple(id(a) for a in arrays) + (self.stepper.position,)

    def _title(self) -> str:
        p, l = self.profile, self.l_index
        units = self.stepper.spec.widths[l]
        first, last = p.layer_number(l + 1), p.layer_number(self.tail)
        inner = f"layer {first}" if self.tail == l + 1 else f"layers {first}–{last}"
        names = self.names()
        return (f"Layer {p.layer_number(l)} · residual block: {names['o']} = x + F(x), x = {names['x']}, "
                f"F = {inner} · {units} unit{'s' if units != 1 else ''}")

    def names(self) -> dict[str, str]:
        """o, ∂ℓ/∂x and the skip's part ∂ℓ/∂o as the kind names them (``LayerKind.profiled_names``), x and
        F(x) as the outputs of the layers they are, all as the profile prints them."""
        p = self.printer.p
        return {**super().names(), "x": p(eq.o(self.src)), "F": p(eq.o(self.tail))}

    def _build(self, produced: str | None) -> None:
        from .block_sheet import block_view

        stepper, p, l = self.stepper, self.profile, self.l_index
        assert self.kind is not None
        if produced is not None:
            produced = self._produced = self.kind.board_quantity(produced)
        view = block_view(stepper, l)
        digits = self.digits
        names = self.names()
        units = view.W.shape[0]
        one = l < stepper.spec.L and not p.separate_bias  # o's 1 on top, the lecture's unit 0
        o, delta = view.o, view.delta
        values_o = np.concatenate([np.ravel(view.W)] + ([np.ravel(o)] if o is not None else []))
        values_d = np.concatenate([np.ravel(view.G)] + ([np.ravel(delta)] if delta is not None else []))
        fmt_o, fmt_d = number_format(values_o, digits), number_format(values_d, digits)
        # a cell as wide as its widest number with a blank before it and its • after, as the other panels:
        # −1.18e−4 must not run into the number beside it
        cw = max(cell_width(digits), 2 + widest(values_o, digits, fmt_o), 2 + widest(values_d, digits, fmt_d))
        stale = view.stale
        changed = view.changed

        def number(x: float | None, key: Key | None, fmt: str) -> Run:
            if x is None or (key is None and np.isnan(x)):
                return ("·".rjust(cw - 1) + " ", "dim", key)
            if key is not None and key == self.hidden:
                return ("? ".rjust(cw), "pos", key)
            mark = key is not None and key[0] == produced
            dot = mark and changed is not None and key is not None and bool(np.ravel(changed)[key[2]])
            return (cell(float(x), digits, fmt).rjust(cw - 1) + ("•" if dot else " "),
                    self.number_style(float(x), stale and key is not None, mark), key)

        def entry(q: str, unit: int) -> Run:
            """o's or ∂ℓ/∂x's entry of unit ``unit`` (from 0) with the lecture's key (o's past its 1)."""
            if q == "o":
                index = unit + (len(o) - units if o is not None else 1)
                return number(None if o is None else float(o[index]), ("o", l, index, None), fmt_o)
            return number(None if delta is None else float(delta[unit]), ("delta", l, unit, None), fmt_d)

        def part(q: str, unit: int, a: int) -> Run:
            known = view.known[a] if q == "W" else view.parts_known
            M = view.W if q == "W" else view.G
            return number(float(M[unit, a]) if known else None, None, fmt_o if q == "W" else fmt_d)

        columns = (("x", "W", 0), ("F", "W", 1), ("o", "o", None), ("delta", "delta", None), ("up", "G", 0),
                   ("inner", "G", 1))
        label = {**names, "x": f"x={names['x']}", "F": f"F={names['F']}", "inner": "inner"}
        if p.vectors == "row":
            lines = self._block_rows(columns, label, units, one, entry, part, cw)
        else:
            lines = self._block_columns(columns, label, units, one, entry, part, cw)
        self.set_chunks(lines.chunks)

    def _mark(self, name: str, q: str) -> tuple[str, str]:
        """A heading's text and style: with ▶ and lit when the step made its quantity (the parts: with ∂ℓ/∂x)."""
        hot = q == self._produced or (q == "G" and self._produced == "delta")
        return ("▶ " if hot else "") + name, "header+" if hot else "header"

    def _block_columns(self, columns, label, units, one, entry, part, cw) -> Lines:
        """A row per unit: x | F(x) │ o ∂ℓ/∂x │ ∂ℓ/∂o | inner, each column as wide as its heading with a ▶;
        the fan-in's parts (the lecture's block panel draws them in G's place) in a band of their own under
        the rows when the line does not fit the panel, or when G goes under W in another panel of the
        screen (one arrangement for all: :class:`~.panel_base.Arrangement`)."""
        p = self.profile
        widths = {name: max(cw, len(label[name]) + 3) for name, _, _ in columns}
        gap = {"x": "", "F": "", "o": "  ", "delta": "", "up": "  ", "inner": ""}
        adds, fan = widths["x"] + widths["F"], widths["up"] + widths["inner"]
        self._full_width = 6 + adds + 2 + widths["o"] + widths["delta"] + 2 + fan
        avail = self.scrollable_content_region.width
        group = arrangement(self) if avail else None
        under = group.under(self, avail < self._full_width) if group is not None else False
        rows_of = [c for c in columns if not under or c[0] not in ("up", "inner")]
        parts_of = [c for c in columns if c[0] in ("up", "inner")]

        def heading(names: list) -> list[Run]:
            head: list[Run] = [(" " * 6, "header", None)]
            for at, (name, q, _) in enumerate(names):
                text, style = self._mark(label[name], q)
                head += [(gap[name] if at else "", "base", None), (text.rjust(widths[name]), style, None)]
            return head

        def row(i: int, names: list) -> list[Run]:
            out: list[Run] = [(f"j={p.unit(i + 1)}".ljust(6), "header", None)]
            for at, (name, q, a) in enumerate(names):
                run = entry(q, i) if a is None else part(q, i, a)
                out += [(gap[name] if at else "", "base", None), self._pad(run, widths[name])]
            return out

        second: list[Run] = [("unit".ljust(6), "header", None), ("the block adds".rjust(adds), "header", None)]
        if not under:
            second += [(" " * (2 + widths["o"] + widths["delta"] + 2), "base", None),
                       ("the fan-in's parts".rjust(fan), "header", None)]
        lines = Lines(heading(rows_of), second)
        self.heading_lines = [0]
        if one:
            lines.add([("j=0".ljust(6), "header", None), (" " * (adds + 2), "base", None),
                       self._pad(entry("o", -1), widths["o"])])
        for i in range(units):
            lines.add(row(i, rows_of))
        if under:  # the fan-in's parts under the rows, under their own heading
            self.heading_lines.append(lines.count + 1)
            lines.add([], heading(parts_of), [("unit".ljust(6), "header", None),
                                              ("the fan-in's parts".rjust(fan), "header", None)])
            for i in range(units):
                lines.add(row(i, parts_of))
        return lines

    def _block_rows(self, columns, label, units, one, entry, part, cw) -> Lines:
        """Row vectors: a line per quantity, a column per unit."""
        p = self.profile
        name_w = max(len(label[name]) for name, _, _ in columns) + 3
        top: list[Run] = [(" " * name_w, "header", None)]
        lines = Lines(top + [(f"j={p.unit(c + 1)}".rjust(cw), "header", None) for c in range(units)])
        self.heading_lines = [0]
        for name, q, a in columns:
            text, style = self._mark(label[name], q)
            lines.add([(text.ljust(name_w), style, None)]
                      + [entry(q, c) if a is None else part(q, c, a) for c in range(units)])
        return lines

    @staticmethod
    def _pad(run: Run, width: int) -> Run:
        return (run[0].rjust(width), run[1], run[2])

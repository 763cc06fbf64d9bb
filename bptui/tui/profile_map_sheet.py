"""A map layer's panel in a notation profile other than the lecture's (``--notation``): the
convolution's kernels, its maps and a pooling layer's, under the profile's names, as the map
equations write them in it (``core/kinds/maps/equations.py``: z = w ⋆ a + b, the kernel's gradient
and its bias's apart, G/m in a mean profile).

- With a separate bias, each kernel without its bias and b as a column of its own after it; the
  gradients beside (or under) them in the same form, ∂C/∂w² and ∂C/∂b²; with the bias in column 0,
  the lecture's kernels (bias │ channels) under the profile's W and G.
- With a mean gradient, the gradients as G/m for the board's update group of m examples
  (``board_group_size``), the numbers the equation line shows.
- The maps under the profile's symbols (z, a, δ; a pooling layer's ∂C/∂a), the profile's layer
  number and index in the title, channels and kernels numbered from its first unit.

Every cell keeps the lecture's key (quantity, layer, kernel or position, column), so the cursor, an
edit (Enter on a weight), the quiz's hidden cell, the receptive field and the explanations name the
file's entry whatever the layout (tests/test_notation_panels.py holds the cells to the board and to
the equation line).
"""

from __future__ import annotations

from typing import Any

from ..core.engine import equations as eq
from ..core.formulas.formula import TextPrinter
from .map_sheet import Key, MapSheet
from .panel_base import arrangement, panel_css
from .view import cell_width

Run = tuple[str, str, Key | None]


class ProfileMapSheet(MapSheet):
    """One map layer's panel (or the input map's) in a notation profile (see the module's docstring)."""

    DEFAULT_CSS = panel_css("ProfileMapSheet", 24)

    def __init__(self, stepper: Any, layer: int, digits: int, **kwargs: Any) -> None:
        super().__init__(stepper, layer, digits, **kwargs)
        self.profile = stepper.notation
        self.printer = TextPrinter(notation=self.profile)
        self._gradient: tuple[Any, int, Any] | None = None  # (the board's G, m, G as shown)

    # -- the profile's names -----------------------------------------------------------------------
    def _layer_number(self, l: int) -> int:
        return self.profile.layer_number(l)

    def _layer_index(self, l: int) -> str:
        return self.profile.layer_text(l)

    def _names(self) -> list[tuple[str, str]]:
        """The maps a channel shows under the profile's symbols: z, a, δ; a pooling layer's a and
        ∂C/∂a (its kind's symbol); the input's a = x."""
        l, k, p = self.l_index, self.kind, self.printer.p
        if k is None:
            return [("o", f"{p(eq.o(0))} = x")]
        if k.own_steps:  # a kind naming its own rows (dropout on a map: its mask m, a, ∂C/∂x), as its equations do
            syms = k.profiled_names(l, self.profile).syms
            return [(q, p(syms[q])) for q in ("s", "o", "delta")]
        if k.has_s:
            return [("s", p(eq.s(l))), ("o", p(eq.o(l))), ("delta", p(eq.delta(l)))]
        return [("o", p(eq.o(l))), ("delta", p(k.cell_sym("delta", l)))]

    def _channel(self, c: int) -> str:
        return f"{'c' if self.kind is None else 'k'}={self.profile.unit(c + 1)}"

    # -- the kernels: b apart, G/m ---------------------------------------------------------------------
    def board_signature(self) -> tuple:
        return super().board_signature() + (eq.board_group_size(self.stepper),)

    def _weights_shown(self) -> dict[str, Any]:
        """W⁽ˡ⁾, and G⁽ˡ⁾ as the profile shows it (G/m for the board's group of m in a mean profile),
        kept while the board's G and m are the same (its number format is not worked out again)."""
        st, l, p = self.stepper.state, self.l_index, self.profile
        G, m = st.G[l], eq.board_group_size(self.stepper)
        if self._gradient is None or self._gradient[0] is not G or self._gradient[1] != m:
            self._gradient = (G, m, p.gradient_shown(G, m))
        return {"W": st.W[l], "G": self._gradient[2]}

    def _widths(self) -> dict[str, int]:
        """The columns of a kernel line's parts: the kernels (each channel's kh × kw, side by side) and,
        with a separate bias, the bias column after them; each as wide as its heading with a ▶."""
        _, (C, _, kw) = self._kernel_columns()
        cw = cell_width(self.digits)
        names = self._kernel_names()
        kernels = C * (kw * cw + 2) - 2 + (0 if self.profile.separate_bias else cw + 1)
        widths = {q: max(kernels, len(names[q]) + 3) for q in ("W", "G")}
        if self.profile.separate_bias:
            widths |= {q: max(cw, len(names[q]) + 3) for q in ("b", "Gb")}
        return widths

    def _arrangement(self, avail: int) -> tuple[bool, list[list[tuple[str, str]]]]:
        """The map panel's arrangement (:meth:`.MapSheet._arrangement`), G's kernels under W's also when G
        goes under W in another panel of the screen (one arrangement for all, as the profile's dense
        panels: :class:`~.panel_base.Arrangement`)."""
        stacked, bands = super()._arrangement(avail)
        group = arrangement(self) if self.kind is not None and self.kind.has_weights else None
        return stacked or (group is not None and group.others(self) and not self._own), bands

    _own = False  # G's kernels beside W's while the screen's stand under (``_keeps_own``)
    _under = False  # the lines as built: G's kernels under W's

    def _keeps_own(self) -> bool:
        """Whether the panel takes its own arrangement, G's kernels beside W's, while the screen's stand
        under: they fit beside in its width, and under them its lines would not fit the height the column
        can give it (its room and the blank lines under the panels), so that it would scroll while the
        blank columns at its right hold G (edges in nielsen at 120×40: 37 lines in 22, 35 columns blank,
        for the dense layer's dW under W). A panel that fits either way keeps the screen's."""
        width, height = self.room()
        group = arrangement(self) if self.kind is not None and self.kind.has_weights else None
        if not (self.lines and width and height) or group is None or not group.others(self):
            return False
        if super()._arrangement(width)[0]:  # (G does not fit beside W in it)
            return False
        assert self.kind is not None
        K, _ = self.kind.param_shape  # G's kernels under W's: a blank line, their heading (and the channels'), K·kh
        _, (C, kh, _) = self._kernel_columns()
        extra = 2 + (1 if C > 1 else 0) + K * kh
        column: Any = self.parent
        spare = column.size.height - sum(int(p.outer_size.height) for p in column.children if p.display)
        return self.virtual_size.height + (0 if self._under else extra) > height + max(0, spare)

    def _build(self, produced: str | None) -> None:
        width = self.room().width
        group = arrangement(self) if width and self.kind is not None and self.kind.has_weights else None
        if group is not None:  # tell the screen whether G's kernels fit beside W's in this panel
            group.under(self, super()._arrangement(width)[0])
        self._own = self._keeps_own()
        super()._build(produced)
        self._under = self._arrangement(width or 10**6)[0]
        if self._under and self._keeps_own():  # (the lines under W would not fit: G's kernels beside them)
            self._own, self._under = True, False
            super()._build(produced)

    def fit_size(self) -> None:
        """A new size: the panel's own arrangement or the screen's (``_keeps_own``)."""
        if self.lines and self._keeps_own() != self._own:
            self._rebuild()
        super().fit_size()

    def rearranged(self) -> None:
        if self.lines and self.is_attached:
            self.call_later(self._rebuild)

    def _rebuild(self) -> None:
        self._build(self._produced)
        self._strips.clear()
        self.refresh(layout=True)

    def _kernel_names(self) -> dict[str, str]:
        l, p = self.l_index, self.printer.p
        return {"W": p(eq.W(l)), "G": p(eq.G(l)), "b": p(eq.b(l)), "Gb": p(eq.Gb(l))}

    def _kernel_width(self) -> int:
        widths = self._widths()
        return widths["W"] + (2 + widths["b"] if self.profile.separate_bias else 0)

    def _kernel_lines(self, stacked: bool, number: Any, formats: dict[int, str], produced: str | None) -> list[list[Run]]:
        """The kernels as the profile groups them: each kernel's channels, then its bias b apart (a
        separate bias), or the lecture's bias │ channels; G's (G/m) beside them or under them."""
        l, k, sep = self.l_index, self.kind, self.profile.separate_bias
        assert k is not None
        K, _ = k.param_shape
        at, (C, kh, kw) = self._kernel_columns()
        cw = cell_width(self.digits)
        shown, names, widths = self._weights_shown(), self._kernel_names(), self._widths()
        bias_of = {"W": "b", "G": "Gb"}

        def heading(name: str, q: str, width: int) -> list[Run]:
            """A name over its columns, lit when the step made them (the name only: not the room after it)."""
            text = ("▶ " if produced == q else "") + name
            return [(text, "header+" if produced == q else "header", None), (" " * (width - len(text)), "base", None)]

        def kernel_line(q: str, kk: int, u: int) -> list[Run]:
            M, fmt = shown[q], formats.get(id(shown[q]))
            bias = number(M[kk, 0], (q, l, kk, 0), produced == q, fmt=fmt) if u == 0 else (" " * cw, "base", None)
            row: list[Run] = [] if sep else [bias, ("│", "bias", None)]
            for c in range(C):
                row += [number(M[kk, at[c, u, v]], (q, l, kk, at[c, u, v]), produced == q, fmt=fmt) for v in range(kw)]
                row.append(("  " if c < C - 1 else "", "base", None))
            used = sum(len(text) for text, _, _ in row)
            row.append((" " * (widths[q] - used + 2), "base", None))
            if sep:  # right-aligned under its name, the room before it unlit
                row += [(" " * (widths[bias_of[q]] - len(bias[0])), "base", None), bias]
            return row + [("    ", "base", None)]

        lines: list[list[Run]] = []
        for group in ((("W", "G"),) if not stacked else (("W",), ("G",))):
            if group == ("G",):
                lines.append([])
            self.heading_lines.append(len(lines))
            head: list[Run] = [(" " * 5, "header", None)]
            channels: list[Run] = [(" " * 5, "header", None)]
            for q in group:
                head += heading(names[q], q, widths[q] + 2)
                if sep:
                    head += heading(names[bias_of[q]], q, widths[bias_of[q]])
                head.append(("    ", "base", None))
                first = 0 if sep else cw + 1  # the channels start after the lecture's bias │
                labels = "".join(f"c={self.profile.unit(c + 1)}".ljust(kw * cw + 2) for c in range(C))
                channels.append(((" " * first + labels).ljust(widths[q] + 2 + (widths[bias_of[q]] if sep else 0) + 4),
                                 "header", None))
            lines.append(head)
            if C > 1:  # which kernel matrix reads which input channel
                channels[-1] = (channels[-1][0].rstrip(), "header", None)
                lines.append(channels)
            for kk in range(K):
                for u in range(kh):
                    row: list[Run] = [(f"k={self.profile.unit(kk + 1)}".ljust(5) if u == 0 else " " * 5, "header", None)]
                    for q in group:
                        row += kernel_line(q, kk, u)
                    lines.append(row)
        return lines

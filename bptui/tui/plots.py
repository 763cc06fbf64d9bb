"""Pictures for the training screen, drawn with characters: the loss curve (braille dots), the
decision boundary (half blocks, two rows of the grid per line of text) and per-layer gradient bars.

Each widget keeps the numbers it was last shown and draws them when drawn; ``show`` only stores
and refreshes, so updating a panel while training costs one redraw of that panel. The plots are
``StripPlot``s: their lines are built once per update (``_build``) and handed out by ``render_line``.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.filter import ANSIToTruecolor
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from textual.markup import escape

from ..core.formulas.notation import minus_signs, nums, sup
from ..core.formulas.numformat import SCIENTIFIC, cell, texts, ticks
from .view_names import ViewNames, view_names
from ..core.formats.spec import NetworkSpec
from .panel_base import LeanStrip, PanelLines, _segment
from ..core.engine.train import LayerStats, OutputGrid
from .view import runs

# -- the loss curve -------------------------------------------------------------------------------
# braille dots: bit of the dot at (column dx, row dy) within a 2 × 4 cell, dy = 0 at the top
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def braille_canvas(series: Sequence[Sequence[float] | np.ndarray], epochs: int, width: int, height: int,
                   lo: float, hi: float, log: bool) -> list[list[list[int]]]:
    """Each series drawn as a connected line on a ``width`` × ``height`` grid of braille cells.

    Returns one bit grid per series (height × width ints, the braille dot bits); x runs over
    epochs 1..``epochs``, y over [lo, hi] (log10 of both when ``log``). A long series is first
    reduced to the first, lowest, highest and last value of each dot column, so drawing costs the
    same for 100 epochs as for 100 000. Values that cannot be drawn (inf, NaN, ≤ 0 on a log
    scale) are left out.
    """
    f = np.log10 if log else np.asarray
    flo, fhi = float(f(lo)), float(f(hi))
    span = (fhi - flo) or 1.0
    W, H = 2 * width, 4 * height
    grids = []
    for ys in series:
        grid = [[0] * width for _ in range(height)]
        y = np.asarray(ys, dtype=float)
        idx = np.arange(len(y))
        ok = np.isfinite(y) & ((y > 0) if log else True)
        y, idx = y[ok], idx[ok]
        x = np.minimum(idx * (W - 1) / max(1, epochs - 1), W - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.clip((f(y) - flo) * (H - 1) / span, 0, H - 1)
        if len(v) > 2 * W:
            col = np.rint(x).astype(int)
            starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
            ends = np.r_[starts[1:], len(col)] - 1
            x = np.repeat(col[starts], 4).astype(float)
            v = np.stack([v[starts], np.minimum.reduceat(v, starts), np.maximum.reduceat(v, starts), v[ends]],
                         axis=1).ravel()
        prev = None
        for point in zip(x.tolist(), v.tolist()):
            a = prev or point
            steps = max(1, int(max(abs(point[0] - a[0]), abs(point[1] - a[1])) + 0.5))
            for s in range(steps + 1):
                px = round(a[0] + (point[0] - a[0]) * s / steps)
                py = H - 1 - round(a[1] + (point[1] - a[1]) * s / steps)
                grid[py // 4][px // 2] |= _DOTS[py % 4][px % 2]
            prev = point
        grids.append(grid)
    return grids


class StripPlot(Widget):
    """A panel drawn with the Line API: ``_build`` makes its lines (strips, runs of one style in one
    segment) once per change of its numbers (``invalidate``) or of its size, and ``render_line``
    hands them out, cropped or padded to the panel's width."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: list[Strip] | None = None
        self._built_for: Size | None = None
        self._drawn = False  # render_line has handed out the lines built last

    def invalidate(self) -> None:
        """The numbers changed: the lines are built again, and only those that differ are drawn
        again (an update step moves a map's colours in a few lines). Lines not drawn since the last
        change are built for the next drawing instead (changes faster than the frames: one build)."""
        old, size = self._strips, self.content_region.size
        if old is None or not self._drawn or self._built_for != size or not self.display:
            self._strips = None
            self.refresh()
            return
        new = self._strips = self._build()
        self._drawn = False
        changed = [y for y in range(max(len(old), len(new))) if y >= len(old) or y >= len(new) or old[y] != new[y]]
        if changed:
            self.refresh(*(Region(0, first, size.width, last - first + 1) for first, last in runs(changed)))

    def _build(self) -> list[Strip]:
        """The panel's lines, for its content region's size now."""
        raise NotImplementedError

    def notify_style_update(self) -> None:
        """New styles (a theme): lines built in other colours than the panel's now are built again at the
        next drawing (its colours are in them)."""
        super().notify_style_update()
        if self._strips is not None and self.rich_style != getattr(self, "_base", None):
            self._strips = None
            self.refresh()

    _size_now: Size | None = None  # the content's size, while Textual draws a run of lines (render_lines)

    def render_lines(self, crop: Region) -> list[Strip]:
        # the content's size worked out once for the lines Textual asks for, not once a line (Textual
        # works the region out anew at each call: as much as handing out a line)
        self._size_now = self.content_region.size
        try:
            return super().render_lines(crop)
        finally:
            self._size_now = None

    def render_line(self, y: int) -> Strip:
        size = self._size_now
        if size is None:
            size = self.content_region.size
        if self._strips is None or self._built_for != size:  # new numbers, or a new size
            self._strips, self._built_for = self._build(), size
            self._base = self.rich_style  # (computing it costs more than a line: once per build)
        self._drawn = True
        width, base = size.width, self._base
        if y < len(self._strips):
            strip = self._strips[y]
            # a line built to the width (the map's rows) as it is: Textual's crop measures every segment
            # again and makes a new strip, whose caches (the filtered line) start empty
            return strip if strip.cell_length == width else strip.crop_extend(0, width, base)
        return Strip.blank(width, base)

    def text(self) -> str:
        """What the panel shows, as plain text (for tests)."""
        return "\n".join(self.render_line(y).text for y in range(self.content_region.height))


class LossCurve(StripPlot):
    """The mean loss per example (ℓ_D / N; the test split's too) against the epoch, so that the
    training and test curves compare; log scale when the losses span > 10×."""

    COMPONENT_CLASSES = {"curve--train", "curve--test", "curve--axis"}
    DEFAULT_CSS = """
    LossCurve { height: 1fr; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    LossCurve > .curve--train { color: $text-primary; }
    LossCurve > .curve--test { color: $text-warning; }
    LossCurve > .curve--axis { color: $text-muted; }
    """

    def __init__(self, epochs: int, has_test: bool, title: str = "mean loss per example (ℓ_D / N), per epoch",
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.epochs = epochs
        self.has_test = has_test
        self.train_loss: Sequence[float] | np.ndarray = []
        self.test_loss: Sequence[float] | np.ndarray = []
        # title: in the notation's ℓ_D (view_names.ViewNames.curve); a border title is markup: ng's ^[l] is text
        self.border_title = escape(title)

    def show(self, train_loss: Sequence[float] | np.ndarray, test_loss: Sequence[float] | np.ndarray,
             epochs: int | None = None) -> None:
        """Draw these losses (lists or arrays, one per epoch done) at the next drawing."""
        self.train_loss, self.test_loss = train_loss, test_loss
        if epochs is not None:
            self.epochs = epochs
        self.invalidate()

    def _build(self) -> list[Strip]:
        base = self.rich_style
        get = self.get_component_rich_style
        axis = base + get("curve--axis")
        styles = (base + get("curve--train"), base + get("curve--test"))
        # as arrays, scanned by NumPy: a long run's curve costs little more to draw than a short one's
        series = [np.asarray(ys, dtype=float) for ys in [self.train_loss] + ([self.test_loss] if self.has_test else [])]
        finite = [ys[np.isfinite(ys)] for ys in series]
        w, h = self.content_region.width, self.content_region.height
        if not any(len(ys) for ys in finite):
            return [Strip([Segment("(the curve appears after the first epoch)", axis)])]
        lo = min(float(ys.min()) for ys in finite if len(ys))
        hi = max(float(ys.max()) for ys in finite if len(ys))
        log = lo > 0 and hi / lo > 10
        if hi == lo:
            lo, hi = (lo / 2, lo * 2) if lo > 0 else (lo - 1, hi + 1)
        mid = 10 ** ((math.log10(lo) + math.log10(hi)) / 2) if log else (lo + hi) / 2
        top, middle, bottom = ticks([hi, mid, lo])
        pad = max(len(top), len(middle), len(bottom))
        width, height = max(4, w - pad - 2), max(2, h - 3)
        grids = braille_canvas(series, self.epochs, width, height, lo, hi, log)
        labels = {0: top, height // 2: middle, height - 1: bottom}
        strips = []
        for r in range(height):
            label = labels.get(r)
            segs = [Segment(f"{label:>{pad}} ┤" if label else " " * pad + " │", axis)]
            run: list[str] = []
            run_style = None
            for c in range(width):
                bits = [g[r][c] for g in grids]
                union = 0
                for b in bits:
                    union |= b
                if union:
                    style = styles[next(i for i, b in enumerate(bits) if b)]
                    char = chr(0x2800 + union)
                else:
                    style, char = base, " "
                if style is not run_style and run:
                    segs.append(Segment("".join(run), run_style))
                    run = []
                run.append(char)
                run_style = style
            if run:
                segs.append(Segment("".join(run), run_style))
            strips.append(Strip(segs))
        strips.append(Strip([Segment(" " * pad + " └" + "─" * width, axis)]))
        left, right = "epoch 1", f"epoch {self.epochs}"
        strips.append(Strip([Segment(" " * (pad + 2) + left + right.rjust(width - len(left)), axis)]))
        legend = [Segment(" " * (pad + 2), base), Segment("⣿ training", styles[0])]
        if self.has_test:
            legend += [Segment("   ", base), Segment("⣿ test loss", styles[1])]
        if log:
            legend.append(Segment("   log scale", axis))
        if any(len(f) < len(ys) for f, ys in zip(finite, series)):
            legend.append(Segment("   ∞/nan not drawn (diverged)", axis))
        strips.append(Strip(legend))
        return strips


# -- the decision boundary ------------------------------------------------------------------------
_LOW, _MID, _HIGH = (40, 90, 170), (235, 235, 235), (205, 110, 20)  # output 0, ½ and 1
_CLASS_COLOURS = [(40, 90, 170), (205, 110, 20), (40, 150, 70), (170, 50, 150), (150, 140, 30),
                  (30, 150, 160), (180, 60, 50), (100, 100, 100), (120, 80, 40), (80, 80, 180)]
_LEVELS = 48  # colours are quantised to this many levels, so the styles can be cached
# without colour (NO_COLOR, --no-color) the map is drawn in characters: a shade for one output's
# level (low blank … high █), a pattern for the winning class of several
_SHADES = " ░▒▓█"
_CLASS_MARKS = "·░▒▓╳+=%#@"


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def _diverging(t: float) -> tuple[int, int, int]:
    """0 → blue, ½ → light grey (the boundary), 1 → orange."""
    return _mix(_LOW, _MID, 2 * t) if t < 0.5 else _mix(_MID, _HIGH, 2 * t - 1)


def class_glyphs(spec: NetworkSpec, Y: np.ndarray) -> list[str]:
    """One glyph per example: ○ / ● for a single 0/1 output, the class digit for softmax, • else."""
    if spec.activations[-1] == "softmax" and Y.shape[1] <= 10:
        return [str(int(i)) for i in Y.argmax(axis=1)]
    if spec.is_classifier and Y.shape[1] == 1:
        return ["●" if y >= 0.5 else "○" for y in Y[:, 0]]
    return ["•"] * len(Y)


class DecisionMap(StripPlot):
    """The network's output over the plane of its two inputs, with the training points on it."""

    COMPONENT_CLASSES = {"map--axis"}
    DEFAULT_CSS = """
    DecisionMap { height: 1fr; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    DecisionMap > .map--axis { color: $text-muted; }
    """

    def __init__(self, spec: NetworkSpec, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles_cache = PanelLines()  # its lines of content between the border's sides made leanly (an update redraws them all)
        self.spec = spec
        self.classifier = spec.is_classifier  # (scans the targets: once, not at every update)
        self.weights: list[np.ndarray] = [np.asarray(w) for w in spec.weights]
        self.usable = map_usable(spec)
        self._rows: dict[tuple, Strip] = {}  # the last build's lines, by what each is made of
        self.border_title = "decision boundary" if self.usable else "decision boundary (2 inputs only)"
        if self.usable:
            self.glyphs = class_glyphs(spec, spec.targets)
            legend = "○ y=0 · ● y=1" if spec.is_classifier and spec.widths[-1] == 1 else ""
            if spec.activations[-1] == "softmax":
                legend = "digit: class"
            self.border_subtitle = legend
        self._cache: dict = {}
        self._to_truecolor: ANSIToTruecolor | None = None  # the app's filter, as the last build found it
        self._outputs: OutputGrid | None = None  # the network on the map's grid, made at the first build

    def show(self, weights: Sequence[np.ndarray]) -> None:
        self.weights = list(weights)
        self.invalidate()

    def _style(self, top: int, bottom: int, k: int) -> Style:
        key = (top, bottom, k)
        style = self._cache.get(key)
        if style is None:
            style = Style(color=self._color(top, k), bgcolor=self._color(bottom, k))
            self._cache[key] = style
        return style

    def _color(self, level: int, k: int) -> Color:
        """``_colour``'s colour as a rich Color, made once per map (an update's new cell styles pair colours
        made before: 48 levels of one output or of each class)."""
        key = ("color", level, k)
        color = self._cache.get(key)
        if color is None:
            color = self._cache[key] = Color.from_rgb(*self._colour(level, k))
        return color

    def _colour(self, level: int, k: int) -> tuple[int, int, int]:
        t = level / (_LEVELS - 1)
        if k < 0:
            return _diverging(t)
        return _mix(_MID, _CLASS_COLOURS[k % len(_CLASS_COLOURS)], t)

    def _levels(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Colour level (0.._LEVELS-1) and class (-1: a diverging map of one output) of each grid point."""
        if Z.shape[2] > 1:  # several outputs: the winning class, paler where it is less sure
            Z = np.nan_to_num(Z, nan=0.0, posinf=1.0, neginf=0.0)  # a diverged network: no crash
            k = Z.argmax(axis=2)
            top = Z.max(axis=2)
            t = np.clip((top - 1 / Z.shape[2]) / (1 - 1 / Z.shape[2]), 0, 1)
            return np.rint(t * (_LEVELS - 1)).astype(int), k
        z = Z[:, :, 0]
        if not self.classifier:  # a regression output: its own range
            finite = z[np.isfinite(z)]
            lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            with np.errstate(invalid="ignore", over="ignore"):
                z = (z - lo) / ((hi - lo) or 1.0)
        t = np.nan_to_num(np.clip(z, 0, 1), nan=0.5)
        return np.rint(t * (_LEVELS - 1)).astype(int), np.full(z.shape, -1)

    # the lines are built once per update (cached styles, no Rich Text)
    def _build(self) -> list[Strip]:
        self._to_truecolor = self._truecolor()  # (for the points' styles: looked up once, not at each point)
        base = self.rich_style  # (Textual works it out from the ancestors at each read: once a build)
        axis = base + self.get_component_rich_style("map--axis")
        w, h = self.content_region.width, self.content_region.height
        if not self.usable:
            note = ["A map of the output needs two input features;", f"this network has d{sup(0)} = "
                    f"{self.spec.widths[0]}."]
            return [Strip([Segment(line, axis)]) for line in note]
        pad = 6
        width, rows = max(4, w - pad - 1), max(2, h - 2)
        if self._outputs is None:
            self._outputs = OutputGrid(self.spec)
        xs, ys, Z = self._outputs(self.weights, width, 2 * rows)  # (carried on from the layer an update changed)
        level, cls = self._levels(Z)
        on_row = self._points(xs, ys, width, rows)
        ylabels = {0: minus_signs(f"{ys[-1]:.2g}"), rows - 1: minus_signs(f"{ys[0]:.2g}"), rows // 2: "x₂"}
        plain = bool(getattr(self.app, "no_color", False))
        if plain:
            strips = self._plain_rows(level, cls, rows, ylabels, on_row, axis, pad, w, base)
        else:
            strips = self._colour_rows(level, cls, rows, width, ylabels, on_row, axis, pad, w, base)
        left, right = minus_signs(f"{xs[0]:.2g}"), minus_signs(f"{xs[-1]:.2g}")
        middle = "x₁"
        gap = max(1, width - len(left) - len(right) - len(middle))
        strips.append(Strip([Segment(" " * pad + left + " " * (gap // 2) + middle + " " * (gap - gap // 2) + right,
                                     axis)]))
        if plain:
            scale = ("shade: the output, 0 blank … 1 █" if self.spec.widths[-1] == 1 and self.classifier
                     else "pattern: the winning class, " + " ".join(
                         f"{k} {_CLASS_MARKS[k % len(_CLASS_MARKS)]}" for k in range(min(self.spec.widths[-1], 10)))
                     if self.spec.widths[-1] > 1 else "shade: the output, low blank … high █")
        else:
            scale = "output: 0 blue · ½ grey · 1 orange" if self.spec.widths[-1] == 1 and \
                self.classifier else "colour: the winning class" if self.spec.widths[-1] > 1 else \
                "output: low blue · high orange"
        strips.append(Strip([Segment(scale, axis)]))
        return strips

    def _points(self, xs: np.ndarray, ys: np.ndarray, width: int, rows: int) -> dict[int, list[tuple[int, str]]]:
        """The training points on the grid, by line: (column, glyph) of each (its half-row's line, 0 at the
        top), worked out again only for a new grid (the data does not move)."""
        grid = (width, rows, float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1]))
        known = self._cache.get("points")
        if known is not None and known[0] == grid:
            return known[1]
        X = self.spec.inputs
        cols = np.rint((X[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (width - 1)).astype(int)
        halves = np.rint((X[:, 1] - ys[0]) / (ys[-1] - ys[0]) * (2 * rows - 1)).astype(int)
        points = {(rows - 1 - hr // 2, c): g for c, hr, g in zip(cols.tolist(), halves.tolist(), self.glyphs)}
        on_row: dict[int, list[tuple[int, str]]] = {}
        for (r, c), g in points.items():
            on_row.setdefault(r, []).append((c, g))
        self._cache["points"] = (grid, on_row)
        return on_row

    def _plain_rows(self, level: np.ndarray, cls: np.ndarray, rows: int, ylabels: dict[int, str],
                    on_row: dict[int, list[tuple[int, str]]], axis: Style, pad: int, w: int, base: Style) -> list[Strip]:
        """The map's rows without colour (characters: ``_map_row``), each kept while what it is made of is."""
        levels, classes = level.tolist(), cls.tolist()
        strips = []
        kept, self._rows = self._rows, {}
        for r in range(rows):
            top_row, bottom_row = levels[2 * rows - 1 - 2 * r], levels[2 * rows - 2 - 2 * r]
            k_row = classes[2 * rows - 1 - 2 * r]
            key = (r, ylabels.get(r, ""), tuple(top_row), tuple(bottom_row), tuple(k_row),
                   tuple(sorted(on_row.get(r, ()))), True, axis, w, base)
            strip = kept.get(key)
            if strip is None:
                strip = self._map_row(key[1], top_row, bottom_row, k_row, dict(key[5]), True, axis, pad, (w, base))
            strips.append(self._rows.setdefault(key, strip))
        return strips

    def _rgb_table(self) -> np.ndarray:
        """Each colour ``_colour`` gives, packed as 0xRRGGBB: row 0 a single output's levels (k = −1),
        row 1 + k % 10 class k's; worked out once per map."""
        table = self._cache.get("rgb")
        if table is None:
            rgb = np.array([[self._colour(level, k) for level in range(_LEVELS)]
                            for k in range(-1, len(_CLASS_COLOURS))], dtype=np.int64)
            table = self._cache["rgb"] = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        return table

    def _colour_rows(self, level: np.ndarray, cls: np.ndarray, rows: int, width: int, ylabels: dict[int, str],
                     on_row: dict[int, list[tuple[int, str]]], axis: Style, pad: int, w: int,
                     base: Style) -> list[Strip]:
        """The map's rows in colour, each the line ``_map_row`` makes of it, built a run at a time: each
        cell's look is one number (its upper and lower colours, ▀'s; a training point's colour and a
        mark), found for the whole map at once with NumPy, and a row's segments are its runs of one
        number (equal numbers, equal styles: a segment a run, none beside one of an equal style). A
        row is kept while its numbers, points and label are the same (an update step changes few)."""
        flip = slice(None, None, -1)
        top, bottom, k = level[flip][0::2], level[flip][1::2], cls[flip][0::2]  # line r: half-rows 2r, 2r + 1 from the top
        table = self._rgb_table()
        kind = np.where(k < 0, 0, k % len(_CLASS_COLOURS) + 1)  # each cell's row of the table
        code = (table[kind, top] << 24) | table[kind, bottom]
        marks = self._cache.get("marks")
        if marks is None or marks[0] is not on_row or marks[1] != (rows, width):
            glyph_at = {r * width + c: g for r, row in on_row.items() for c, g in row if 0 <= c < width and 0 <= r < rows}
            points = np.fromiter(glyph_at, dtype=np.int64, count=len(glyph_at))
            marks = self._cache["marks"] = (on_row, (rows, width), glyph_at, np.divmod(points, width), object())
        glyph_at, (rs, cs), points_now = marks[2], marks[3], marks[4]  # (the last: these points, as one key)
        if glyph_at:  # a point's cell: its glyph's style (black on its place's colour), as one number beyond ▀'s
            code[rs, cs] = (1 << 48) | table[kind[rs, cs], (top[rs, cs] + bottom[rs, cs]) // 2]
        flat = code.ravel()
        starts = np.ones(flat.size, dtype=bool)
        starts[1:] = flat[1:] != flat[:-1]
        starts[::width] = True
        at = np.flatnonzero(starts)  # each run's first cell (a row's first cell starts one)
        lengths = np.concatenate((at[1:], (flat.size,))) - at
        runs_at, numbers = at.tolist(), flat[at].tolist()
        whats = list(zip(numbers, lengths.tolist()))  # each run's (number, length): a ▀ run's segment's key
        bounds = np.searchsorted(at, np.arange(0, flat.size + 1, width)).tolist()  # each row's first run
        truecolor = self._to_truecolor
        theme = truecolor._terminal_theme if truecolor is not None else None
        # what every row is drawn with, as one key (a row's key hashes an object, not the styles, at each look-up)
        shade = (theme, axis, w, base, pad)
        shading = self._cache.get("shade")
        if shading is None or shading[0] != shade:
            shading = self._cache["shade"] = (shade, object())
        shade_now = shading[1]
        # a run's segment by its number and length (a point's: its number and glyphs), made once: its style is
        # the number's (the points' through the filter's theme: the segments made for another are dropped)
        made = self._cache.get(("runs", theme))
        if made is None or len(made) > 4096:
            made = self._cache[("runs", theme)] = {}
        found = made.get
        kept, self._rows = self._rows, {}
        strips = []
        for r in range(rows):
            label = ylabels.get(r, "")
            key = (r, label, code[r].tobytes(), points_now, shade_now)
            strip = kept.get(key)
            if strip is None:
                first, last = bounds[r], bounds[r + 1]
                segs: list = list(map(found, whats[first:last]))  # (a point's run is never found so)
                if None in segs:
                    for i, seg in enumerate(segs):
                        if seg is None:
                            start = runs_at[first + i]
                            number = numbers[first + i]
                            what = whats[first + i] if number >> 48 == 0 else (
                                number, "".join([glyph_at[c] for c in range(start, start + whats[first + i][1])]))
                            seg = found(what)
                            if seg is None:
                                seg = made[what] = self._run_segment(what, int(top.flat[start]),
                                                                     int(bottom.flat[start]), int(k.flat[start]))
                            segs[i] = seg
                head = f"{label:>{pad - 1}} "
                if segs and segs[0].style == axis:  # (a first cell in the label's style: one run, as _map_row's)
                    segs[0] = Segment(head + segs[0].text, axis)
                else:
                    segs.insert(0, Segment(head, axis))
                length = max(len(label), pad - 1) + 1 + width
                if length < w:  # to the panel's width, as render_line would extend it (a cell a character)
                    segs.append(Segment(" " * (w - length), base))
                    strip = LeanStrip(segs, w)
                else:
                    strip = LeanStrip(segs)
            strips.append(self._rows.setdefault(key, strip))
        return strips

    def _run_segment(self, what: tuple, top: int, bottom: int, k: int) -> Segment:
        """A run's segment: (its number, its length) ▀ in the style of its first cell's colours, or (a
        point's number, its glyphs) in the point's style."""
        if isinstance(what[1], str):
            return _segment(Segment, (what[1], self._point_style((top + bottom) // 2, k), None))
        return _segment(Segment, ("▀" * what[1], self._cache.get((top, bottom, k)) or self._style(top, bottom, k), None))

    def _map_row(self, label: str, top_row: list[int], bottom_row: list[int], k_row: list[int],
                 glyphs: dict[int, str], plain: bool, axis: Style, pad: int,
                 extend: tuple[int, Style] | None = None) -> Strip:
        """One line of the map: its label, then a cell per column (▀: the upper half-row's colour over
        the lower's; a training point's glyph), a segment per run of one style; ``extend``: (width, style)
        of the blank after the colours (the map's rows, not in plain mode)."""
        segs: list[Segment] = []
        run, run_style = [f"{label:>{pad - 1}} "], axis
        if plain:  # characters, not colours
            for c, (top, bottom, k) in enumerate(zip(top_row, bottom_row, k_row)):
                glyph = glyphs.get(c)
                if glyph is None:
                    text, style = (_CLASS_MARKS[k % len(_CLASS_MARKS)] if k >= 0 else
                                   _SHADES[min(len(_SHADES) - 1, (top + bottom) * len(_SHADES) // (2 * _LEVELS))]), axis
                else:
                    text, style = glyph, self._point_style((top + bottom) // 2, k)
                if style is not run_style and style != run_style:
                    segs.append(Segment("".join(run), run_style))
                    run = []
                run.append(text)
                run_style = style
            segs.append(Segment("".join(run), run_style))
            return Strip(segs)
        # a cell's style is kept by its (top, bottom, k) (``_style``): a column like the last is the
        # same style object, so a run is compared by identity, and by value only where it may end
        kept = self._cache.get
        point = glyphs.get
        for c, key in enumerate(zip(top_row, bottom_row, k_row)):
            glyph = point(c)
            if glyph is None:
                text, style = "▀", kept(key) or self._style(*key)
            else:
                text, style = glyph, self._point_style((key[0] + key[1]) // 2, key[2])
            if style is not run_style and style != run_style:
                segs.append(Segment("".join(run), run_style))
                run = []
            run.append(text)
            run_style = style
        segs.append(Segment("".join(run), run_style))
        if extend is not None and (length := sum(len(text) for text, _, _ in segs)) < extend[0]:
            # to the panel's width, as render_line would extend it (a cell a character: the label, ▀ and
            # the training points' glyphs, ``class_glyphs``)
            segs.append(Segment(" " * (extend[0] - length), extend[1]))
            return Strip(segs, extend[0])
        return Strip(segs)

    def _point_style(self, level: int, k: int) -> Style:
        """A training point's style: its glyph in black, bold, on the colour of its place; as the app's
        ANSI-to-truecolor filter makes it (black in its theme's colour), so that a line with points passes
        the filter as it is (``filters.TruecolorLines``) rather than made again a segment at a time."""
        to_truecolor = self._to_truecolor
        key = ("point", level, k, None if to_truecolor is None else to_truecolor._terminal_theme)
        style = self._cache.get(key)
        if style is None:
            bgcolor = self._color(level, k)
            style = Style(color="black", bgcolor=bgcolor, bold=True)
            if to_truecolor is not None:
                style = to_truecolor.truecolor_style(style, bgcolor)
            self._cache[key] = style
        return style

    def _truecolor(self) -> ANSIToTruecolor | None:
        """The app's ANSI-to-truecolor filter, or None: none enabled (the app writes ANSI colours), or no
        app (the plot drawn alone)."""
        try:
            filters = self.app._filters
        except Exception:  # (no active app)
            return None
        return next((f for f in filters if isinstance(f, ANSIToTruecolor) and f.enabled), None)


# -- gradients per layer --------------------------------------------------------------------------
_EIGHTHS = " ▏▎▍▌▋▊▉"


def log_bar(value: float, lo: int, hi: int, width: int) -> str:
    """A bar of ``width`` cells whose length is log10(value) between the decades ``lo`` and ``hi``."""
    if not value > 0 or width <= 0:
        return " " * width
    frac = min(max((math.log10(value) - lo) / (hi - lo), 0.0), 1.0)
    eighths = max(1, round(frac * width * 8))
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)[:width]


def decades(values: Sequence[float]) -> tuple[int, int]:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if not positive:
        return -1, 0
    lo, hi = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    return (lo, hi) if hi > lo else (lo - 1, hi)


class GradientBars(Widget):
    """‖G⁽ˡ⁾‖ and mean |δ⁽ˡ⁾| for every layer, as bars on one log scale, numbers printed."""

    COMPONENT_CLASSES = {"bars--g", "bars--delta", "bars--axis"}
    DEFAULT_CSS = """
    GradientBars { height: auto; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1;
                   text-wrap: nowrap; text-overflow: clip; }
    GradientBars > .bars--g { color: $text-primary; }
    GradientBars > .bars--delta { color: $text-success; }
    GradientBars > .bars--axis { color: $text-muted; }
    """

    def __init__(self, L: int, names: ViewNames | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stats: list[LayerStats] = []
        self.L = L
        self.names = names or view_names(None, L)  # ‖G⁽ˡ⁾‖ and |δ⁽ˡ⁾| as the notation writes them
        self.border_title = "gradients now, log scale (layer 1: next to the input)"

    def show(self, stats: list[LayerStats]) -> None:
        self.stats = stats
        self.refresh()

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.L + 1

    def render(self) -> Text:
        get = self.get_component_rich_style
        axis, g_style, d_style = get("bars--axis"), get("bars--g"), get("bars--delta")
        text = Text(no_wrap=True, overflow="crop")
        if not self.stats:
            return text
        lo, hi = decades([v for s in self.stats for v in (s.G_norm, s.mean_abs_delta)])
        label = 6  # "l = 1 "
        g_texts = norm_texts([s.G_norm for s in self.stats])  # one format for each column
        # 4 significant digits (as ℓ_D's beside them), trailing zeros kept as the ‖G⁽ˡ⁾‖ column keeps them
        d_texts = nums([s.mean_abs_delta for s in self.stats], 4, zeros=True)
        gw, dw = (max(8, *map(len, column)) for column in (g_texts, d_texts))  # " 1.23e−4", or wider numbers
        number = 1 + gw  # " 1.23e−4"
        bar = max(4, (self.content_region.width - label - 2 - gw - dw - 3) // 2)
        g, d = self.names.grad_norm, f"mean {self.names.mean_delta}"
        room = (bar + number, bar + 1 + dw)  # narrow: a column's name only
        heads = tuple(head if len(head) <= r else name for name, r in zip((g, d), room)
                      for head in [minus_signs(f"{name}  1e{lo} … 1e{hi}")])
        text.append(" " * label + heads[0].ljust(bar + number) + "   ", axis)
        text.append(heads[1], axis)
        for s, g, d in zip(self.stats, g_texts, d_texts):
            text.append(f"\nl = {s.layer}".ljust(label + 1), axis)
            text.append(log_bar(s.G_norm, lo, hi, bar), g_style)
            text.append(f" {g:>{gw}}   ")
            text.append(log_bar(s.mean_abs_delta, lo, hi, bar), d_style)
            text.append(f" {d:>{dw}}")
        return text


# -- lines through (x, y) points, and panels drawn from them -----------------------------------------
def braille_lines(series: Sequence[tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]], width: int, height: int,
                  x_range: tuple[float, float], y_range: tuple[float, float],
                  log: bool = False) -> list[list[list[int]]]:
    """Each series, (xs, ys), drawn as a line through its points on a ``width`` × ``height`` grid of
    braille cells (one bit grid per series, as ``braille_canvas``). x runs over ``x_range``, y over
    ``y_range`` (log10 of it when ``log``); points that cannot be drawn (inf, NaN, ≤ 0 on a log
    scale) break the line, values beyond the range are drawn at its edge."""
    W, H = 2 * width, 4 * height
    x0, x1 = x_range
    f = np.log10 if log else np.asarray
    with np.errstate(divide="ignore", invalid="ignore"):
        y0, y1 = float(f(y_range[0])), float(f(y_range[1]))
    xspan, yspan = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    grids = []
    for xs, ys in series:
        grid = [[0] * width for _ in range(height)]
        x = np.asarray(xs, dtype=float)
        y = np.asarray(ys, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = np.isfinite(y) & ((y > 0) if log else True)
            fy = f(np.where(ok, y, 1.0))
        px = np.clip(np.rint((x - x0) * (W - 1) / xspan), 0, W - 1).astype(int).tolist()
        py = np.clip((fy - y0) * (H - 1) / yspan, 0, H - 1).tolist()
        prev = None
        for cx, cy, good in zip(px, py, ok.tolist()):
            if not good:
                prev = None
                continue
            a = prev or (cx, cy)
            steps = max(1, int(max(abs(cx - a[0]), abs(cy - a[1])) + 0.5))
            for s in range(steps + 1):
                dx = round(a[0] + (cx - a[0]) * s / steps)
                dy = H - 1 - round(a[1] + (cy - a[1]) * s / steps)
                grid[dy // 4][dx // 2] |= _DOTS[dy % 4][dx % 2]
            prev = (cx, cy)
        grids.append(grid)
    return grids


def dot_row(value: float, y_range: tuple[float, float], height: int, log: bool = False) -> int:
    """The braille dot row (0 at the top of a ``height``-cell plot) where ``braille_lines`` draws ``value``."""
    f = math.log10 if log else float
    y0, y1 = f(y_range[0]), f(y_range[1])
    H = 4 * height
    v = min(max((f(value) - y0) * (H - 1) / ((y1 - y0) or 1.0), 0), H - 1)
    return H - 1 - round(v)


def _grid_strips(grids: list[list[list[int]]], styles: Sequence[Style], base: Style, left: list[Segment],
                 marks: dict[tuple[int, int], tuple[str, Style]] | None = None,
                 right: list[list[Segment]] | None = None) -> list[Strip]:
    """One strip per row of the braille grids: ``left[r]`` first, then the cells (a cell with dots
    of several series takes the style of the first), marks (a glyph at (row, column)) on top, then
    ``right[r]``."""
    marks = marks or {}
    strips = []
    height, width = len(grids[0]), len(grids[0][0]) if grids and grids[0] else 0
    for r in range(height):
        segs = [left[r]]
        run: list[str] = []
        run_style: Style | None = None
        for c in range(width):
            mark = marks.get((r, c))
            if mark is not None:
                char, style = mark
            else:
                union = 0
                first = -1
                for i, g in enumerate(grids):
                    if g[r][c]:
                        union |= g[r][c]
                        if first < 0:
                            first = i
                char, style = (chr(0x2800 + union), styles[first]) if union else (" ", base)
            if style is not run_style and run:
                segs.append(Segment("".join(run), run_style))
                run = []
            run.append(char)
            run_style = style
        if run:
            segs.append(Segment("".join(run), run_style))
        if right is not None:
            segs.extend(right[r])
        strips.append(Strip(segs))
    return strips


_LAYER_COLOURS = [(70, 130, 220), (220, 120, 40), (60, 170, 90), (200, 70, 160), (170, 160, 40),
                  (40, 170, 180), (210, 70, 60), (140, 110, 220), (150, 100, 60), (120, 120, 120)]


def ratio_text(norms: Sequence[float]) -> str:
    """‖G⁽¹⁾‖ / ‖G⁽ᴸ⁾‖ as the gradient curves' legend writes it."""
    first, last = norms[0], norms[-1]
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0:
        return "–"
    return f"{first / last:.3g}"


def norm_texts(norms: Sequence[float]) -> list[str]:
    """‖G⁽ˡ⁾‖ of every layer in one format, with the digits that make ‖G⁽¹⁾‖ / ‖G⁽ᴸ⁾‖ redone on them
    as printed give the ratio the gradient curves print (:func:`ratio_text`): xor's 0.0023 and 0.0045
    would give 0.511 beside 0.517, so 0.002327 and 0.004501."""
    want = ratio_text(norms)
    shown = texts(norms, 4)
    if want == "–":
        return shown
    for digits in range(4, 12):  # the panel's format, or (for norms decades apart) the scientific one
        for shown in (texts(norms, digits), [cell(x, digits, SCIENTIFIC) for x in norms]):
            first, last = (float(t.replace("−", "-")) for t in (shown[0], shown[-1]))
            if last and f"{first / last:.3g}" == want:
                return shown
    return shown


class GradientCurves(StripPlot):
    """‖G⁽ˡ⁾‖ of every layer against the epoch, one line per layer on one log scale, each labelled
    with its layer at its right end (readable without colour). ``epochs[i]`` is the number of
    epochs done when ``norms[i]`` (one value per layer) was measured: 0 is the start."""

    COMPONENT_CLASSES = {"curves--axis"}
    DEFAULT_CSS = """
    GradientCurves { height: 1fr; min-height: 5; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    GradientCurves > .curves--axis { color: $text-muted; }
    """

    def __init__(self, L: int, epochs: int, names: ViewNames | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.L = L
        self.names = names or view_names(None, L)
        self.epochs = epochs
        self.samples: list[int] = []
        self.norms: list[list[float]] = []
        self.plot_width = self.plot_height = self.margin = 0  # the braille area of the last drawing
        self.border_title = escape(f"{self.names.grad_norm} per layer over the epochs (log scale)")  # markup
        self.border_subtitle = "at a line's end: its layer l"

    def show(self, samples: list[int], norms: list[list[float]]) -> None:
        self.samples, self.norms = samples, norms
        self.invalidate()

    def y_range(self) -> tuple[float, float]:
        """The decades the curves are drawn between (as the bars: ``decades``)."""
        lo, hi = decades([v for row in self.norms for v in row])
        return 10.0 ** lo, 10.0 ** hi

    def _build(self) -> list[Strip]:
        base = self.rich_style
        axis = base + self.get_component_rich_style("curves--axis")
        w, h = self.content_region.width, self.content_region.height
        if not self.norms:
            return [Strip([Segment("(the curves appear after the first epoch)", axis)])]
        lo, hi = self.y_range()
        pad = 6
        height = max(2, h - 2)
        margin = 2 * self.L + 1
        width = max(4, w - pad - 2 - margin)
        self.plot_width, self.plot_height, self.margin = width, height, margin
        series = [(self.samples, [row[l] for row in self.norms]) for l in range(self.L)]
        grids = braille_lines(series, width, height, (0, self.epochs), (lo, hi), log=True)
        styles = [base + Style(color=Color.from_rgb(*_LAYER_COLOURS[l % len(_LAYER_COLOURS)])) for l in range(self.L)]
        # each layer's number at the row of its last value, in the right margin
        ends: dict[int, list[int]] = {}
        for l in range(self.L):
            v = self.norms[-1][l]
            if v > 0 and math.isfinite(v):
                ends.setdefault(dot_row(v, (lo, hi), height, log=True) // 4, []).append(l)
        right = [[Segment(" " + " ".join(str(l + 1) for l in ends.get(r, [])).ljust(margin - 1)[:margin - 1],
                          styles[ends[r][0]] if r in ends else base)] for r in range(height)]
        labels = {0: minus_signs(f"1e{round(math.log10(hi))}"), height - 1: minus_signs(f"1e{round(math.log10(lo))}")}
        left = [Segment(f"{labels[r]:>{pad}} ┤" if r in labels else " " * pad + " │", axis) for r in range(height)]
        strips = _grid_strips(grids, styles, base, left, right=right)
        a, b = "start", f"epoch {self.epochs}"
        strips.append(Strip([Segment(" " * (pad + 2) + a + b.rjust(width - len(a)), axis)]))
        now = self.samples[-1]
        ratio = f"{self.names.grad_ratio} = {ratio_text(self.norms[-1])}"
        after = f" after {now} epoch{'s' if now != 1 else ''}"
        room = w - pad - 2
        strips.append(Strip([Segment(" " * (pad + 2) + ratio + (after if len(ratio + after) <= room else ""), axis)]))
        return strips


class FitPlot(StripPlot):
    """One input: the network's output o⁽ᴸ⁾ over the input's range as a line, the data as points
    (● training, ○ test), so a regression shows its fitted function against the data."""

    COMPONENT_CLASSES = {"fit--axis", "fit--curve", "fit--data"}
    DEFAULT_CSS = """
    FitPlot { height: 1fr; border: round $panel-lighten-2; border-title-color: $text; padding: 0 1; }
    FitPlot > .fit--axis { color: $text-muted; }
    FitPlot > .fit--curve { color: $text-primary; }
    FitPlot > .fit--data { color: $text-warning; text-style: bold; }
    """

    def __init__(self, spec: NetworkSpec, names: ViewNames | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles_cache = PanelLines()  # as the decision map's
        self.spec = spec
        self.output = (names or view_names(None, spec.L)).output  # o⁽ᴸ⁾ as the notation writes it
        self.weights: list[np.ndarray] = [np.asarray(w) for w in spec.weights]
        self.border_title = f"the fit: {escape(self.output)} over x, and the data"  # markup: ng's ^[2] is text
        self.xs = np.zeros(0)  # the x of each dot column of the last drawing
        self.outputs = np.zeros((0, spec.widths[-1]))  # the network's output there
        self.y_span: tuple[float, float] = (0.0, 1.0)
        self.plot_width = self.plot_height = 0

    def show(self, weights: Sequence[np.ndarray]) -> None:
        self.weights = list(weights)
        self.invalidate()

    def _build(self) -> list[Strip]:
        from ..core.engine.network import Network

        spec = self.spec
        base = self.rich_style
        get = self.get_component_rich_style
        axis, curve_style, data_style = base + get("fit--axis"), base + get("fit--curve"), base + get("fit--data")
        w, h = self.content_region.width, self.content_region.height
        pad = 7
        width, height = max(4, w - pad - 2), max(2, h - 2)
        X, Y = spec.inputs[:, 0], spec.targets
        Xt, Yt = spec.test_inputs, spec.test_targets
        if Xt is None or Yt is None or not len(Xt):
            Xt, Yt = np.zeros((0, 1)), np.zeros((0, Y.shape[1]))
        tests = len(Xt) > 0
        allx, ally = np.concatenate([X, Xt[:, 0]]), np.concatenate([Y, Yt])
        x0, x1 = float(allx.min()), float(allx.max())
        xpad = 0.05 * (x1 - x0) or 1.0
        x0, x1 = x0 - xpad, x1 + xpad
        xs = np.linspace(x0, x1, 2 * width)  # one x per dot column
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            out = Network(spec).predict(self.weights, xs[:, None])
        self.xs, self.outputs, self.plot_width, self.plot_height = xs, out, width, height
        # y: the data's range, widened to the curve's (up to one more span on either side)
        ylo, yhi = float(ally.min()), float(ally.max())
        span = (yhi - ylo) or 1.0
        finite = out[np.isfinite(out)]
        if finite.size:
            ylo = max(min(ylo, float(finite.min())), ylo - span)
            yhi = min(max(yhi, float(finite.max())), yhi + span)
        ypad = 0.05 * (yhi - ylo) or 1.0
        ylo, yhi = ylo - ypad, yhi + ypad
        self.y_span = (ylo, yhi)
        grids = braille_lines([(xs, out[:, k]) for k in range(out.shape[1])], width, height, (x0, x1), (ylo, yhi))
        marks: dict[tuple[int, int], tuple[str, Style]] = {}

        def place(xv: np.ndarray, yv: np.ndarray, glyph: str) -> None:
            cols = np.clip(np.rint((xv - x0) / (x1 - x0) * (width - 1)), 0, width - 1).astype(int)
            for c, row in zip(cols.tolist(), yv.tolist()):
                for v in row:
                    marks[(dot_row(v, (ylo, yhi), height) // 4, c)] = (glyph, data_style)

        if tests:
            place(Xt[:, 0], Yt, "○")
        place(X, Y, "●")
        mid = (ylo + yhi) / 2
        top, middle, bottom = ticks([yhi, mid, ylo])
        labels = {0: top, height // 2: middle, height - 1: bottom}
        left = [Segment(f"{labels[r]:>{pad}} ┤" if r in labels else " " * pad + " │", axis) for r in range(height)]
        strips = _grid_strips(grids, [curve_style] * len(grids), base, left, marks)
        a, b, m = minus_signs(f"{x0:.3g}"), minus_signs(f"{x1:.3g}"), "x"
        gap = max(1, width - len(a) - len(b) - len(m))
        strips.append(Strip([Segment(" " * (pad + 2) + a + " " * (gap // 2) + m + " " * (gap - gap // 2) + b, axis)]))
        legend = [Segment(" " * (pad + 2), base), Segment("● data (x, y)", data_style)]
        if tests:
            legend.append(Segment("  ○ test", data_style))
        legend += [Segment("   ", base), Segment(f"⣿ {self.output} at x", curve_style)]
        strips.append(Strip(legend))
        return strips


def map_usable(spec: NetworkSpec) -> bool:
    """Whether the decision map can be drawn: two input features, its two axes."""
    return spec.widths[0] == 2


def draws_input_plot(spec: NetworkSpec) -> bool:
    """Whether :func:`input_plot` has a picture of this network (the fit or the map), not only a note
    saying it cannot draw one."""
    return fits(spec) or map_usable(spec)


def fits(spec: NetworkSpec) -> bool:
    """One input feature: the fit plot (the output over x) stands for the map."""
    return spec.widths[0] == 1 and not spec.is_v2


def input_plot(spec: NetworkSpec, names: ViewNames | None = None, **kwargs) -> DecisionMap | FitPlot:
    """The picture of what the network computes over its inputs: the fit for one input (its curve named
    in ``names``' notation), else the decision map (which says when it cannot be drawn)."""
    return FitPlot(spec, names, **kwargs) if fits(spec) else DecisionMap(spec, **kwargs)

"""What the windowed kinds (convolution, pooling) share: the windows' offsets and the rows and
columns of the input that no window reads."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import LayerKind, Shape
from ...engine.quizcells import QuizCell, map_cells, matrix_cells
from ...util.errors import SpecError


def out_size(n: int, k: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - k) // stride + 1


@lru_cache(maxsize=256)
def _offsets(in_hw: tuple[int, int], out_hw: tuple[int, int], kernel: tuple[int, int], stride: int,
             padding: int = 0) -> tuple[tuple[int, int, tuple, tuple], ...]:
    """(u, v, at, src) for each kernel offset (u, v), row-major: the output positions (i, j) whose input
    (i·stride + u − padding, j·stride + v − padding) lies inside the map, and those inputs, as indexes
    of arrays (C, H, W, N) with the examples last: ``out[at]`` and ``X[src]`` are strided views of all
    channels, positions and examples at once (the padding's zeros left out)."""
    def spans(n_in: int, n_out: int, k: int) -> list[tuple[slice, slice]]:
        got = []
        for u in range(k):
            lo = max(0, -((u - padding) // stride))  # the first i with i·stride + u − padding ≥ 0
            hi = min(n_out, (n_in - 1 + padding - u) // stride + 1)
            if hi <= lo:
                got.append((slice(0, 0), slice(0, 0)))
                continue
            a = lo * stride + u - padding
            got.append((slice(lo, hi), slice(a, a + (hi - lo - 1) * stride + 1, stride)))
        return got

    rows, cols = spans(in_hw[0], out_hw[0], kernel[0]), spans(in_hw[1], out_hw[1], kernel[1])
    every = slice(None)
    return tuple((u, v, (every, oi, oj), (every, ii, ij))
                 for u, (oi, ii) in enumerate(rows) for v, (oj, ij) in enumerate(cols))


def fit(n: int, k: int, stride: int, padding: int, what: str, place: str) -> int:
    """The output length along one axis, ⌊(n + 2p − k)/s⌋ + 1 as PyTorch's Conv2d and pooling count it,
    or an error when the kernel is too large. A stride that does not fit evenly leaves the last rows
    or columns unread (``LayerKind.unread``: the panels mark them and the explanations say so)."""
    if k > n + 2 * padding:
        pad = f" + 2·{padding} padding" if padding else ""
        raise SpecError(f"{what} {k} is larger than its input {n}{pad}", place=place)
    return out_size(n, k, stride, padding)


def map_below(type_: str, below: Shape, l: int) -> tuple[int, int, int]:
    """(C, H, W) of the map a windowed layer reads, or the error when layers[l − 1] gives a vector."""
    if len(below) != 3:
        raise SpecError(f"a {type_} layer needs a feature map as input, but layers[{l - 1}] gives a "
                        f"vector of {below[0]}", place=f"layers[{l}]")
    C, H, W = below
    return C, H, W


class _Windowed(LayerKind):
    """A kind whose output (i, j) reads a window of its input map (``receptive_field``)."""

    def window(self) -> tuple[int, int, int, int]:  # pragma: no cover - per kind
        """(kh, kw, stride, padding)."""
        raise NotImplementedError

    def receptive_field(self, i: int, j: int) -> tuple[slice, slice]:
        """The rows and columns of o⁽ˡ⁻¹⁾ (unpadded coordinates, may reach outside) under output (i, j)."""
        kh, kw, st, p = self.window()
        a, b = i * st - p, j * st - p
        return slice(a, a + kh), slice(b, b + kw)

    panel: ClassVar[str] = "map"

    def channels_read(self, k: int) -> range | tuple[int, ...]:  # pragma: no cover - per kind
        """The input channels output channel k reads."""
        raise NotImplementedError

    def field(self, pos: tuple[int, ...]) -> tuple[set[tuple[int, ...]], int | None]:
        k, i, j = pos
        rows, cols = self.receptive_field(i, j)
        _, H, W = self.in_shape
        inside = [(r, c) for r in range(max(rows.start, 0), min(rows.stop, H))
                  for c in range(max(cols.start, 0), min(cols.stop, W))]
        return {(ch, r, c) for ch in self.channels_read(k) for r, c in inside}, (k if self.has_weights else None)

    def inside(self, i: int, j: int) -> list[tuple[int, int, int, int]]:
        """The window offsets (u, v) of output (i, j) that fall inside the input map, row-major, with
        the input's (h, w) there: (u, v, h, w)."""
        rows, cols = self.receptive_field(i, j)
        _, H, W = self.in_shape
        return [(u, v, h, w) for u, h in enumerate(range(rows.start, rows.stop))
                for v, w in enumerate(range(cols.start, cols.stop)) if 0 <= h < H and 0 <= w < W]

    def readers(self, pos: tuple[int, ...]) -> set[tuple[int, ...]]:
        c, r, s = pos
        K, Ho, Wo = self.out_shape
        out: set[tuple[int, ...]] = set()
        for i in range(Ho):
            for j in range(Wo):
                rows, cols = self.receptive_field(i, j)
                if rows.start <= r < rows.stop and cols.start <= s < cols.stop:
                    out |= {(k, i, j) for k in range(K) if c in self.channels_read(k)}
        return out

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Every position of the map s, o, δ (∂ℓ/∂o) worked out there; every entry of W after an update
        (a convolution's G: its kernel weights, :class:`~.conv2d.Conv2d`)."""
        if key.quantity in ("G", "W"):
            return matrix_cells(self, l, key.quantity, value)
        return map_cells(self, l, key.quantity, value)

    def count_text(self, axis: int) -> str:
        """How many windows fit along ``axis`` (0: down, 1: across), as PyTorch counts them:
        ``⌊(7 + 2·1 − 3)/2⌋ + 1 = 4``."""
        kh, kw, st, p = self.window()
        n, k = self.in_shape[1 + axis], (kh, kw)[axis]
        pad = f" + 2·{p}" if p else ""
        return f"⌊({n}{pad} − {k})/{st}⌋ + 1 = {self.out_shape[1 + axis]}"

    def unread(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rows and columns of o⁽ˡ⁻¹⁾ that no window covers: after the last window when the stride
        does not fit the padded input evenly (⌊(H + 2p − k)/s⌋ + 1 windows, as PyTorch counts them),
        and between windows when the stride is larger than the window."""
        _, H, W = self.in_shape
        _, Ho, Wo = self.out_shape

        def covered(n: int, spans: list[slice]) -> set[int]:  # a span may reach into the padding
            return {x for sl in spans for x in range(max(sl.start, 0), min(sl.stop, n))}

        rows = covered(H, [self.receptive_field(i, 0)[0] for i in range(Ho)])
        cols = covered(W, [self.receptive_field(0, j)[1] for j in range(Wo)])
        return tuple(r for r in range(H) if r not in rows), tuple(q for q in range(W) if q not in cols)


# -- a generated program's window functions (LayerCode.helpers; bptui export --format numpy) ------------
WINDOWS_CODE = (
    "windows",
    '''def windows(x, kh, kw, stride, padding):
    """Each output position's window of the map x (C, H, W), zero-padded: an array (C, Ho, Wo, kh, kw)."""
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]''',
)
UNWINDOWS_CODE = (
    "unwindows",
    '''def unwindows(dx, shape, stride, padding):
    """The adjoint of windows: each window's entries (C, Ho, Wo, kh, kw) added back into the entries of
    the map (C, H, W) they were read from (padding's entries dropped)."""
    C, H, W_ = shape
    _, Ho, Wo, kh, kw = dx.shape
    out = np.zeros((C, H + 2 * padding, W_ + 2 * padding))
    for u in range(kh):
        for v in range(kw):
            out[:, u:u + stride * Ho:stride, v:v + stride * Wo:stride] += dx[:, :, :, u, v]
    return out[:, padding:padding + H, padding:padding + W_]''',
)

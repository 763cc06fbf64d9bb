"""Layer kinds: what a layer is, apart from its activation.

A network is a list of layers of a few kinds: ``dense`` (the lecture's s = W o), ``conv2d`` and the
two poolings. Each kind states, in one small class, everything the rest of the core asks of it:

- its shapes: ``in_shape`` (what it reads: ``(d,)`` or a map ``(C, H, W)``, never with the bias 1)
  and ``out_shape``; ``param_shape``, the shape of its weight matrix (``(0, 1)`` for no weights);
- its forward and backward passes on a *batch*, examples as the last axis of a 2-D array with one
  column per example (maps flattened in C, H, W order, as ``torch.flatten``): ``pre`` (s from o⁽ˡ⁻¹⁾;
  for a pooling layer, which has no s, o itself), ``grad`` (G from δ and o⁽ˡ⁻¹⁾) and ``back``
  (∂ℓ/∂o⁽ˡ⁻¹⁾ from δ, without o⁽ˡ⁻¹⁾'s bias entry); one example is a batch of one;
- its part of the step schedule (``block_forward``, ``block_backward``);
- how its weights look in a file and in JSON (``weights_json``, ``weights_from_json``);
- the names of its numbers as its panel shows them (``weight_sym``, ``grad_sym``, ``cell_sym``: a
  kernel's w_k,c,u,v and b_k, a recurrent layer's u_b,c, a pooling layer's ∂ℓ/∂o), which ``check``,
  ``g``, explanations, edits, the quiz, answer keys and exercises print;
- for the windowed kinds (convolution, pooling), the rows and columns of the input map that no
  window reads (``unread``: ⌊(H + 2p − k)/s⌋ + 1 windows, as PyTorch counts them, may stop short).

A convolution's weights live, inside the core, as one matrix K × (1 + C·kh·kw) with the bias in
column 0: the lecture's bias column, so that the optimizers, L2 (which never touches column 0),
the gradient check and training treat every layer alike. Its rows are the flattened kernels, in
the same (c, u, v) order as the columns of the im2col matrix, so s = W [1; cols] is one product.
Files and JSON show it as ``{"kernel": [K][C][kh][kw], "bias": [K]}``.

A recurrent layer (``rnn``) is one more class here: its weights live as one matrix
h × (1 + d + h), [W | U] with the bias in column 0, and files show them as ``{"W": h×(d+1), "U": h×h}``.
Its arithmetic runs over time, so its forward and backward passes (``run``, ``bptt``) take a
sequence: arrays (T, n, ·) with the time step τ = 1..T on the first axis and one row per example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .formula import Node, Partial, Sym

Shape = tuple[int, ...]


def _ones_on_top(O: np.ndarray) -> np.ndarray:
    ones = np.ones((1,) + O.shape[1:], dtype=O.dtype)
    return np.concatenate([ones, O], axis=0)


ONE_THREAD = 2 ** 18  # m·n·k of a product that OpenBLAS computes on the calling thread alone


def _matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B as products of at most ONE_THREAD multiply-adds each (blocks along the longest of the
    three dimensions), so that the BLAS never hands one to a second thread. Training's products are
    long and thin; one that OpenBLAS splits across threads waits for the other core at every call,
    and on a machine whose cores are busy with other work each wait costs a time slice: an epoch
    took 10 to 20 times as long (benchmarks/conv_speed.py, rnn_speed.py under a load of 5 to 10)."""
    m, k = A.shape
    n = B.shape[1]
    if m * n * k <= ONE_THREAD:
        return A @ B
    if k >= max(m, n):  # the inner dimension is the long one (G = δ colsᵀ): add up the blocks' products
        step = max(1, ONE_THREAD // (m * n))
        out = A[:, :step] @ B[:step]
        for a in range(step, k, step):
            out += A[:, a:a + step] @ B[a:a + step]
        return out
    out = np.empty((m, n), dtype=np.result_type(A, B))
    if m >= n:
        step = max(1, ONE_THREAD // (n * k))
        for a in range(0, m, step):
            np.matmul(A[a:a + step], B, out=out[a:a + step])
    else:
        step = max(1, ONE_THREAD // (m * k))
        for a in range(0, n, step):
            np.matmul(A, B[:, a:a + step], out=out[:, a:a + step])
    return out


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


@dataclass(frozen=True)
class LayerKind:
    """The shape-and-arithmetic part of one layer l (see the module's docstring)."""

    in_shape: Shape
    out_shape: Shape

    type: ClassVar[str] = ""
    has_weights: ClassVar[bool] = True
    has_s: ClassVar[bool] = True  # a pooling layer computes o directly, with no s and no f
    panel: ClassVar[str] = "dense"
    """The view hint: which family of panels draws the layer (``"dense"``: W, s, o, δ, G by unit;
    ``"map"``: feature maps by channel; ``"sequence"``: unrolled in time). The app's table
    (``tui/panels.py``) turns it into a widget; the core names no widget."""

    @property
    def in_size(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def out_size(self) -> int:
        return int(np.prod(self.out_shape))

    @property
    def work_size(self) -> int:
        """Values per example in the largest array of this layer's batch pass (its output; a
        convolution's im2col matrix)."""
        return self.out_size

    @property
    def is_map(self) -> bool:
        """Whether the layer's output is a feature map (C, H, W)."""
        return len(self.out_shape) == 3

    @property
    def param_shape(self) -> Shape:
        return (0, 1)

    # -- the step schedule: (phase, quantity) of this layer's steps --------------------------------
    def block_forward(self) -> list[str]:
        return ["s", "o"] if self.has_s else ["o"]

    def block_backward(self) -> list[str]:
        return ["delta", "G"] if self.has_weights else ["delta"]

    # -- batches: columns are examples ----------------------------------------------------------------
    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        """(``pre``, saved): with what this layer's ``grad`` and ``back`` may reuse of the forward pass
        (a convolution's im2col matrix, a max pooling's argmax; None when nothing)."""
        return self.pre(W, O), None

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    # -- one example: values as the board shows them (maps (C, H, W), vectors 1-D) -------------------
    def shaped(self, x: np.ndarray) -> np.ndarray:
        """One example's column as the board shows it: a map (C, H, W) or a vector."""
        return x.reshape(self.out_shape) if self.is_map else x.reshape(-1)

    def pre_one(self, W: np.ndarray, o: np.ndarray) -> np.ndarray:
        """s⁽ˡ⁾ (o⁽ˡ⁾ for a pooling layer) of one example from its o⁽ˡ⁻¹⁾ as stored."""
        return self.shaped(self.pre(W, o.reshape(-1, 1)))

    def grad_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray) -> np.ndarray:
        """One example's term δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ of G⁽ˡ⁾ (for a convolution: the correlation of o⁽ˡ⁻¹⁾ with δ)."""
        return self.grad(W, delta.reshape(-1, 1), o.reshape(-1, 1))

    def back_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray, below: "LayerKind | None") -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁻¹⁾ of one example, shaped as layer l−1's output (``below``; None for the input)."""
        back = self.back(W, delta.reshape(-1, 1), o.reshape(-1, 1))
        shape = below.out_shape if below is not None else self.in_shape
        return back.reshape(shape) if len(shape) == 3 else back.reshape(-1)

    # -- files and JSON --------------------------------------------------------------------------------
    def weights_json(self, W: np.ndarray) -> Any:
        return W.tolist()

    def weights_from_json(self, value: Any) -> np.ndarray:  # pragma: no cover - per kind
        raise NotImplementedError

    def expected_weights(self) -> str:
        return "×".join(map(str, self.param_shape))

    def describe(self) -> str:
        return self.type

    def unread(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rows and the columns of a map input that no output of this layer reads (none: every
        kind but the windowed ones reads its whole input)."""
        return (), ()

    # -- view hints: which cells a cell reads, for the panels' highlight --------------------------------
    def field(self, pos: tuple[int, ...]) -> tuple[set[tuple[int, ...]], int | None]:
        """What output ``pos`` (0-based) of one example reads: the positions of o⁽ˡ⁻¹⁾ (inside the
        map), and the row of W⁽ˡ⁾ it uses (None: the layer has no weights, or no map positions)."""
        return set(), None

    def readers(self, pos: tuple[int, ...]) -> set[tuple[int, ...]]:
        """The outputs of this layer that read position ``pos`` of its input map."""
        return set()

    def weight_position(self, row: int, col: int) -> tuple[int, ...] | None:
        """Where weight (row, col) of W⁽ˡ⁾ stands in the layer's own form (a kernel's (k, c, u, v));
        None when the matrix is its own form, or for a bias."""
        return None

    # -- names: what the panels call a number, for check, g, the quiz, keys and exercises ---------------
    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """Weight (row, col) of W⁽ˡ⁾ (0-based array indices) as the panels show it: w_b,a⁽ˡ⁾ with
        b = row + 1 and a = col (a = 0 the bias)."""
        return Sym("w", l, (row + 1, col))

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        """Entry (row, col) of G⁽ˡ⁾, named as the weight it belongs to: G_b,a⁽ˡ⁾."""
        return Sym("G", l, (row + 1, col))

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        """One entry (0-based ``pos``; None: the whole map or vector) of s⁽ˡ⁾, o⁽ˡ⁾ or δ⁽ˡ⁾ of a layer
        whose output has no bias entry (a map), printed from 1: s₁,₂,₂⁽¹⁾, δ⁽¹⁾."""
        base, latex = ("δ", r"\delta") if quantity == "delta" else (quantity, None)
        if pos is None:
            return Sym(base, l, vector=True, latex=latex)
        return Sym(base, l, tuple(x + 1 for x in pos), latex=latex)

    def count_text(self, axis: int) -> str:
        """How the number of outputs along a map axis follows from the input's (windowed kinds)."""
        return ""

    # -- what a pass costs (the manual: docs/network-files.md, "Limits and hostile input") -----------------------------------------
    def cells(self) -> tuple[tuple[str, int], ...]:
        """The arrays one example's pass through the layer allocates, as (what, numbers): they grow
        with the examples of an update group, so the limits on N and on a board are on their sum.
        Python integers: a hostile size gives a big number here, never an overflow."""
        return (("its output", math.prod(self.out_shape)),)

    def multiplications(self) -> int:
        """Multiplications of one example's forward pass (the backward pass costs about twice as many)."""
        return math.prod(self.param_shape)


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


@dataclass(frozen=True)
class Dense(LayerKind):
    """s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ with the bias in column 0; after a map, o⁽ˡ⁻¹⁾ = [1, vec(map)]."""

    after_map: bool = False  # o⁽ˡ⁻¹⁾ is a feature map: it has no bias entry of its own
    type: ClassVar[str] = "dense"

    @property
    def param_shape(self) -> Shape:
        return (self.out_shape[0], self.in_size + 1)

    def with_one(self, O: np.ndarray) -> np.ndarray:
        return _ones_on_top(O) if self.after_map else O

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:
        return W @ self.with_one(O)

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return delta @ self.with_one(O).T

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return (W.T @ delta)[1:]

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.array(value, dtype=float)

    def describe(self) -> str:
        return f"dense {self.out_shape[0]}"

    # one example: the lecture's vectors, with the v1 arithmetic exactly (same numbers to the bit)
    def column(self, o: np.ndarray) -> np.ndarray:
        """o⁽ˡ⁻¹⁾ as the vector W multiplies: [1, vec(map)] after a map, else o⁽ˡ⁻¹⁾ itself."""
        return np.concatenate([[1.0], o.reshape(-1)]) if self.after_map else o

    def pre_one(self, W: np.ndarray, o: np.ndarray) -> np.ndarray:
        return W @ self.column(o)

    def grad_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray) -> np.ndarray:
        return np.outer(delta, self.column(o))

    def back_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray, below: "LayerKind | None") -> np.ndarray:
        back = (W.T @ delta)[1:]
        return back.reshape(below.out_shape if below is not None else self.in_shape) if self.after_map else back


def out_size(n: int, k: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - k) // stride + 1


@dataclass(frozen=True)
class Conv2d(_Windowed):
    """s[k, i, j] = b[k] + Σ_{c,u,v} w[k, c, u, v] · o[c, i·stride + u − padding, j·stride + v − padding]
    (zero padding; PyTorch's Conv2d, a cross-correlation), computed for all positions and examples as
    one product with the im2col matrix."""

    kernel: tuple[int, int] = (1, 1)
    stride: int = 1
    padding: int = 0
    type: ClassVar[str] = "conv2d"

    @property
    def channels(self) -> int:
        return self.out_shape[0]

    @property
    def param_shape(self) -> Shape:
        C = self.in_shape[0]
        return (self.channels, 1 + C * self.kernel[0] * self.kernel[1])

    @property
    def work_size(self) -> int:
        return max(self.out_size, self.param_shape[1] * self.out_shape[1] * self.out_shape[2])

    @property
    def kernel_shape(self) -> Shape:
        return (self.channels, self.in_shape[0]) + self.kernel

    def cols(self, O: np.ndarray) -> np.ndarray:
        """The im2col matrix with the bias row, (1 + C·kh·kw) × (Ho·Wo·N): row 0 holds 1s, column (i, j, n)
        below it the window under output position (i, j) of example n, in (c, u, v) order, so that
        s = W [1; cols] is one product. No Python loop over positions: a copy for each of the kh·kw
        kernel offsets, all positions and examples at once."""
        C, H, Wd = self.in_shape
        N = O.shape[-1]
        X = O.reshape(C, H, Wd, N)
        kh, kw = self.kernel
        _, Ho, Wo = self.out_shape
        out = (np.zeros if self.padding else np.empty)((1 + C * kh * kw, Ho * Wo * N), dtype=O.dtype)
        out[0] = 1.0
        rows = out[1:].reshape(C, kh, kw, Ho, Wo, N)
        for u, v, at, src in self.offsets():
            rows[:, u, v][at] = X[src]
        return out

    def offsets(self) -> tuple[tuple[int, int, tuple, tuple], ...]:
        """The kernel offsets' output and input views (see ``_offsets``)."""
        return _offsets(self.in_shape[1:], self.out_shape[1:], self.kernel, self.stride, self.padding)

    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        cols = self.cols(O)
        return _matmul(W, cols).reshape(self.out_size, O.shape[-1]), cols  # (K, Ho, Wo, N): C, H, W order, examples last

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:
        return self.forward(W, O)[0]

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """G = δ [1; cols]ᵀ: column 0 (the bias) sums δ over positions and examples."""
        cols = self.cols(O) if saved is None else saved
        return _matmul(delta.reshape(self.channels, -1), cols.T)  # δ as (K, Ho·Wo·N)

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁻¹⁾: the "full" correlation of δ with the flipped kernel, as col2im of Wᵀδ (a loop
        over the kh·kw kernel offsets, each a strided slice over all positions and examples)."""
        C, H, Wd = self.in_shape
        N = delta.shape[-1]
        kh, kw = self.kernel
        _, Ho, Wo = self.out_shape
        D = delta.reshape(self.channels, Ho * Wo * N)
        dcols = _matmul(W[:, 1:].T, D).reshape(C, kh, kw, Ho, Wo, N)
        dX = np.zeros((C, H, Wd, N), dtype=dcols.dtype)
        for u, v, at, src in self.offsets():
            dX[src] += dcols[:, u, v][at]
        return dX.reshape(C * H * Wd, N)

    def weights_json(self, W: np.ndarray) -> Any:
        return {"kernel": W[:, 1:].reshape(self.kernel_shape).tolist(), "bias": W[:, 0].tolist()}

    def cells(self) -> tuple[tuple[str, int], ...]:
        C, H, Wd = self.in_shape
        K, Ho, Wo = self.out_shape
        kh, kw = self.kernel
        p = self.padding
        return (("the padded input C·(H + 2p)·(W + 2p)", C * (H + 2 * p) * (Wd + 2 * p)),
                ("the im2col matrix (C·kh·kw)·(Ho·Wo)", C * kh * kw * Ho * Wo), ("its output K·Ho·Wo", K * Ho * Wo))

    def multiplications(self) -> int:
        K, Ho, Wo = self.out_shape
        return K * Ho * Wo * (self.param_shape[1] - 1)

    def weights_from_json(self, value: Any) -> np.ndarray:
        kernel = np.asarray(value["kernel"], dtype=float).reshape(self.channels, -1)
        bias = np.asarray(value["bias"], dtype=float).reshape(self.channels, 1)
        return np.concatenate([bias, kernel], axis=1)

    def expected_weights(self) -> str:
        return f"kernel {'×'.join(map(str, self.kernel_shape))}, bias {self.channels}"

    def describe(self) -> str:
        kh, kw = self.kernel
        extra = (f", stride {self.stride}" if self.stride != 1 else "") + (f", padding {self.padding}" if self.padding else "")
        return f"conv2d {self.channels}×{kh}×{kw}{extra}"

    def window(self) -> tuple[int, int, int, int]:
        return self.kernel[0], self.kernel[1], self.stride, self.padding

    def kernel_index(self, col: int) -> tuple[int, int, int]:
        """(c, u, v), 0-based, of column ``col`` ≥ 1 of W⁽ˡ⁾: the kernel flattened in (c, u, v) order."""
        c, u, v = np.unravel_index(col - 1, (self.in_shape[0],) + self.kernel)
        return int(c), int(u), int(v)

    def channels_read(self, k: int) -> range:
        return range(self.in_shape[0])  # every kernel spans every input channel

    def weight_position(self, row: int, col: int) -> tuple[int, ...] | None:
        return (row,) + self.kernel_index(col) if col else None

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """Kernel k = row + 1's weight w_k,c,u,v⁽ˡ⁾ (channel c, offset u, v; from 1), or its bias b_k⁽ˡ⁾
        (column 0), as the panel shows the kernels."""
        if col == 0:
            return Sym("b", l, (row + 1,))
        return Sym("w", l, (row + 1,) + tuple(x + 1 for x in self.kernel_index(col)))

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        """G_k,c,u,v⁽ˡ⁾ for a kernel weight, G_b,k⁽ˡ⁾ for the bias (the map-level equation's G_b)."""
        if col == 0:
            return Sym("G_b", l, (row + 1,), latex="G_b")
        return Sym("G", l, (row + 1,) + tuple(x + 1 for x in self.kernel_index(col)))


@dataclass(frozen=True)
class Pool2d(_Windowed):
    """o[c, i, j] = max (or mean) of o⁽ˡ⁻¹⁾[c, i·stride + u, j·stride + v] over the size × size window;
    no weights, no s. Max pooling sends the gradient to the window's first maximum in row-major order."""

    size: int = 2
    stride: int = 2
    mode: str = "max"  # max | avg

    has_weights: ClassVar[bool] = False
    has_s: ClassVar[bool] = False

    def channels_read(self, k: int) -> tuple[int, ...]:
        return (k,)  # pooling works channel by channel

    @property
    def type(self) -> str:  # type: ignore[override]  # max or avg, an instance's
        return f"{self.mode}pool2d"

    def windows(self, O: np.ndarray) -> np.ndarray:
        """(C, Ho, Wo, N, size·size): each output position's window, row-major."""
        C, H, Wd = self.in_shape
        N = O.shape[-1]
        _, Ho, Wo = self.out_shape
        st, k = self.stride, self.size
        X = O.reshape(C, H, Wd, N)
        win = sliding_window_view(X, (k, k), axis=(1, 2))[:, :(Ho - 1) * st + 1:st, :(Wo - 1) * st + 1:st]
        return win.reshape(C, Ho, Wo, N, k * k)

    def offsets(self) -> tuple[tuple[int, int, tuple, tuple], ...]:
        """The window offsets' input views (see ``_offsets``; every output position reads each)."""
        return _offsets(self.in_shape[1:], self.out_shape[1:], (self.size, self.size), self.stride)

    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        """(o⁽ˡ⁾, the argmax for max pooling): one pass per window offset (u, v), row-major, each over
        all positions and examples. For max pooling, an offset takes the place of the maximum so far
        only where it is larger, so ties go to the first in row-major order, as ``argmax`` does."""
        C, H, Wd = self.in_shape
        N = O.shape[-1]
        X = O.reshape(C, H, Wd, N)
        k = self.size
        first, *rest = self.offsets()
        out = X[first[3]].copy()
        if self.mode != "max":
            for _, _, _, src in rest:
                out += X[src]
            out /= k * k
            return out.reshape(self.out_size, N), None
        arg = np.zeros(out.shape, dtype=np.uint8 if k * k <= 256 else np.intp)
        i = np.empty_like(arg)
        for u, v, _, src in rest:  # the offsets in row-major order: u·k + v grows
            np.multiply(X[src] > out, arg.dtype.type(u * k + v), out=i)
            np.maximum(arg, i, out=arg)  # u·k + v where this offset is larger than all before it
            np.maximum(out, X[src], out=out)  # as max does: nan wins
        if np.isnan(out).any():  # argmax names a window's first nan
            arg = self.windows(O).argmax(axis=-1)
        return out.reshape(self.out_size, N), arg

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:
        return self.forward(W, O)[0]

    def cells(self) -> tuple[tuple[str, int], ...]:
        C, Ho, Wo = self.out_shape
        return (("its windows C·Ho·Wo·size²", C * Ho * Wo * self.size ** 2),
                ("its input's gradient C·H·W", math.prod(self.in_shape)), ("its output C·Ho·Wo", C * Ho * Wo))

    def multiplications(self) -> int:
        return self.cells()[0][1]  # one comparison or addition per window entry

    def argmax(self, O: np.ndarray) -> np.ndarray:
        """(C, Ho, Wo, N): the index u·size + v of each window's first maximum (row-major)."""
        arg = self.forward(np.zeros(self.param_shape), O)[1]
        return arg.astype(np.intp) if arg is not None else self.windows(O).argmax(axis=-1)

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return np.zeros(self.param_shape)

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁻¹⁾: each window's ∂ℓ/∂o to its first maximum (``saved``: :meth:`forward`'s argmax), or
        spread evenly over the window (avg); one pass per window offset."""
        C, H, Wd = self.in_shape
        N = delta.shape[-1]
        _, Ho, Wo = self.out_shape
        k = self.size
        D = delta.reshape(C, Ho, Wo, N)
        arg = (self.argmax(O) if saved is None else saved) if self.mode == "max" else None
        dX = np.zeros((C, H, Wd, N), dtype=D.dtype)
        apart = self.stride >= k  # the windows do not overlap: each offset writes its own entries
        for u, v, _, src in self.offsets():
            if arg is None:
                dX[src] += D / (k * k)
            elif apart:
                np.multiply(D, arg == u * k + v, out=dX[src])
            else:
                dX[src] += D * (arg == u * k + v)
        return dX.reshape(C * H * Wd, N)

    def weights_json(self, W: np.ndarray) -> Any:
        return None

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.zeros(self.param_shape)

    def expected_weights(self) -> str:
        return "null (a pooling layer has no weights)"

    def describe(self) -> str:
        return f"{self.type} {self.size}×{self.size}" + (f", stride {self.stride}" if self.stride != self.size else "")

    def window(self) -> tuple[int, int, int, int]:
        return self.size, self.size, self.stride, 0

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        """A pooling layer has no s: its backward quantity is ∂ℓ/∂o⁽ˡ⁾ (∂ℓ/∂o_k,i,j⁽ˡ⁾ at a position)."""
        if quantity != "delta":
            return super().cell_sym(quantity, l, pos, example)
        return Partial(Sym("ℓ", example, latex=r"\ell"), super().cell_sym("o", l, pos))


@dataclass(frozen=True)
class Rnn(LayerKind):
    """The recurrent layer: for τ = 1..T, s_τ = W [1, x_τ] + U o_{τ−1}, o_τ = f(s_τ), o_0 = 0.

    ``in_shape`` is (d,), one time step's input; ``out_shape`` (h,). The weights are one matrix
    [W | U] of h × (1 + d + h): W = [b, W_x] is the lecture's h × (d + 1) with the bias in column 0,
    U (h × h) multiplies the h units of o_{τ−1} (no bias entry). With ``return_sequences`` every o_τ
    goes to the layer above (which then runs at each τ), else only o_T."""

    return_sequences: bool = False
    type: ClassVar[str] = "rnn"
    panel: ClassVar[str] = "sequence"

    @property
    def d(self) -> int:
        return self.in_shape[0]

    @property
    def h(self) -> int:
        return self.out_shape[0]

    @property
    def param_shape(self) -> Shape:
        return (self.h, 1 + self.d + self.h)

    def W_part(self, W: np.ndarray) -> np.ndarray:
        """W (h × (d + 1), bias in column 0) of the stored [W | U]."""
        return W[:, :1 + self.d]

    def U_part(self, W: np.ndarray) -> np.ndarray:
        """U (h × h) of the stored [W | U]."""
        return W[:, 1 + self.d:]

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """w_b,a⁽ˡ⁾ in W (a = 0 the bias, 1 … d the inputs), u_b,c⁽ˡ⁾ in U (c = 1 … h), as the panel
        shows [W | U]."""
        if col > self.d:
            return Sym("u", l, (row + 1, col - self.d))
        return Sym("w", l, (row + 1, col))

    def block_forward(self) -> list[str]:
        return ["s", "o"]

    def block_backward(self) -> list[str]:
        return ["delta", "G"]

    # -- over time: X (T, n, d), one row per example at each time step ------------------------------
    def run(self, W: np.ndarray, X: np.ndarray, f, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(S, O) for a batch of sequences: X (T, n, d) holds x_τ of example i in row i of X[τ − 1]; S (T, n, h)
        holds s_1..s_T and O (T + 1, n, h) o_0 = 0, o_1..o_T; ``f`` maps s to o. ``active[τ − 1]`` is the
        number of examples still running at τ: the examples are sorted longest first, so these are the
        first rows, and each τ is one product on them (PyTorch's packed sequences do the same). Rows past
        an example's end stay 0. None: every example runs to T."""
        T, n, _ = X.shape
        dtype = np.result_type(W, X)
        S = np.zeros((T, n, self.h), dtype=dtype)
        O = np.zeros((T + 1, n, self.h), dtype=dtype)
        # the input part of every s_τ, one product: W_x x_τ + b for all τ and examples
        XW = (_matmul(X.reshape(T * n, self.d), W[:, 1:1 + self.d].T) + W[:, 0]).reshape(T, n, self.h)
        UT = self.U_part(W).T
        for t in range(T):
            m = n if active is None else int(active[t])
            s = S[t, :m]
            np.matmul(O[t, :m], UT, out=s)  # U o_{τ−1}, as rows
            s += XW[t, :m]
            O[t + 1, :m] = f(s)
        return S, O

    def bptt(self, W: np.ndarray, X: np.ndarray, S: np.ndarray, O: np.ndarray, above: np.ndarray,
             df, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(G, Δ): backpropagation through time, on :meth:`run`'s arrays (and its ``active``). ``above``
        (T, n, h) is ∂ℓ/∂o_τ arriving from the layer above at each τ (zero but at each example's last τ
        for many-to-one); ``df(s, o)`` is f′. For τ = T..1: δ_τ = (Uᵀ δ_{τ+1} + above_τ) ⊙ f′(s_τ),
        δ_{T+1} = 0; G_W = Σ_τ δ_τ [1, x_τ]ᵀ, G_U = Σ_τ δ_τ o_{τ−1}ᵀ (summed over the batch too).
        Δ (T, n, h) holds every δ_τ (0 past an example's end)."""
        T, n, h = S.shape
        U = self.U_part(W)
        D = np.zeros_like(S)
        for t in range(T - 1, -1, -1):
            m = n if active is None else int(active[t])
            d = D[t, :m]
            if t + 1 < T:  # the examples that end at τ have δ_{τ+1} = 0: D's rows past the active ones
                np.matmul(D[t + 1, :m], U, out=d)  # Uᵀ δ_{τ+1}, as rows
                d += above[t, :m]
            else:
                d[...] = above[t, :m]
            d *= df(S[t, :m], O[t + 1, :m])
        G = np.empty(self.param_shape, dtype=S.dtype)
        Dm = D.reshape(T * n, h)  # rows (τ, example)
        G[:, 0] = Dm.sum(axis=0)
        G[:, 1:1 + self.d] = _matmul(Dm.T, X.reshape(T * n, self.d))
        G[:, 1 + self.d:] = _matmul(Dm.T, O[:-1].reshape(T * n, h))
        return G, D

    def weights_json(self, W: np.ndarray) -> Any:
        return {"W": self.W_part(W).tolist(), "U": self.U_part(W).tolist()}

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.concatenate([np.asarray(value["W"], dtype=float).reshape(self.h, 1 + self.d),
                               np.asarray(value["U"], dtype=float).reshape(self.h, self.h)], axis=1)

    def expected_weights(self) -> str:
        return f"W {self.h}×{self.d + 1}, U {self.h}×{self.h}"

    def describe(self) -> str:
        return f"rnn {self.h}" + (", return_sequences" if self.return_sequences else "")


TYPES = ("dense", "conv2d", "maxpool2d", "avgpool2d", "rnn")


# -- one map at a time: the formula trees' map operators (core/formula.py's MAP_OPS) -------------------
def _conv_kind(x_shape: Shape, kernel_shape: Shape, stride: int, padding: int) -> Conv2d:
    C, H, W = x_shape
    K, _, kh, kw = kernel_shape
    out = (K, out_size(H, kh, stride, padding), out_size(W, kw, stride, padding))
    return Conv2d(x_shape, out, kernel=(kh, kw), stride=stride, padding=padding)


def correlate(kernel: np.ndarray, x: np.ndarray, bias: np.ndarray, stride: float, padding: float) -> np.ndarray:
    """W ⋆ o + b for one map o (C, H, W) and kernels (K, C, kh, kw): the conv layer's s."""
    kernel, x = np.asarray(kernel, dtype=float), np.asarray(x, dtype=float)
    k = _conv_kind(x.shape, kernel.shape, int(stride), int(padding))
    W = np.concatenate([np.asarray(bias, dtype=float).reshape(-1, 1), kernel.reshape(kernel.shape[0], -1)], axis=1)
    return k.pre_one(W, x)


def correlate_full(delta: np.ndarray, kernel: np.ndarray, stride: float, padding: float,
                   height: float | None = None, width: float | None = None) -> np.ndarray:
    """∂ℓ/∂o⁽ˡ⁻¹⁾ = δ ⋆full rot180(W): the "full" correlation of δ (K, Ho, Wo) with the flipped kernels
    (for stride > 1, of δ with stride − 1 zeros between its entries), cropped by the padding, of the
    input's ``height`` × ``width`` (by default the smallest input that gives δ's size; larger when the
    stride leaves rows or columns unread, which get 0)."""
    delta, kernel = np.asarray(delta, dtype=float), np.asarray(kernel, dtype=float)
    K, C, kh, kw = kernel.shape
    st, p = int(stride), int(padding)
    H = int(height) if height is not None else (delta.shape[1] - 1) * st + kh - 2 * p
    Wd = int(width) if width is not None else (delta.shape[2] - 1) * st + kw - 2 * p
    k = _conv_kind((C, H, Wd), kernel.shape, st, p)
    W = np.concatenate([np.zeros((K, 1)), kernel.reshape(K, -1)], axis=1)
    return k.back_one(W, delta, np.zeros((C, H, Wd)), None)


def correlate_grad(x: np.ndarray, delta: np.ndarray, stride: float, padding: float,
                   kh: float | None = None, kw: float | None = None) -> np.ndarray:
    """The kernel's gradient o⁽ˡ⁻¹⁾ ⋆ δ⁽ˡ⁾ (K, C, kh, kw): the correlation of the input with δ (the
    kernel's size by default the largest that gives δ's size; smaller when the stride leaves rows
    or columns of the input unread)."""
    x, delta = np.asarray(x, dtype=float), np.asarray(delta, dtype=float)
    C, H, Wd = x.shape
    K, Ho, Wo = delta.shape
    st, p = int(stride), int(padding)
    kh = int(kh) if kh is not None else H + 2 * p - (Ho - 1) * st
    kw = int(kw) if kw is not None else Wd + 2 * p - (Wo - 1) * st
    k = _conv_kind(x.shape, (K, C, kh, kw), st, p)
    return k.grad_one(np.zeros(k.param_shape), delta, x)[:, 1:].reshape(K, C, kh, kw)


def _pool_kind(x_shape: Shape, size: int, stride: int, mode: str) -> Pool2d:
    C, H, W = x_shape
    return Pool2d(x_shape, (C, out_size(H, size, stride, 0), out_size(W, size, stride, 0)), size=size, stride=stride,
                  mode=mode)


def pool(x: np.ndarray, size: float, stride: float, mode: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return _pool_kind(x.shape, int(size), int(stride), mode).pre_one(np.zeros((0, 1)), x)


def route(g: np.ndarray, x: np.ndarray, size: float, stride: float, mode: str) -> np.ndarray:
    """∂ℓ/∂o⁽ˡ⁻¹⁾ from ∂ℓ/∂o⁽ˡ⁾ = g through a pooling layer: to each window's first maximum (max), or
    spread evenly over the window (avg)."""
    x = np.asarray(x, dtype=float)
    k = _pool_kind(x.shape, int(size), int(stride), mode)
    return k.back_one(np.zeros((0, 1)), np.asarray(g, dtype=float), x, None)

"""The convolution layer (``conv2d``), PyTorch's ``Conv2d``: a kernel per output channel, zero padding, a
stride; its weights as one matrix K × (1 + C·kh·kw) with the bias in column 0 (the lecture's bias
column), the flattened kernels in the (c, u, v) order of the im2col matrix, so that s = W [1; cols]
is one product. Files and JSON show it as ``{"kernel": [K][C][kh][kw], "bias": [K]}``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Sequence

import numpy as np

from ...engine.kind import LayerCode, LayerKind, ProfiledCode, Shape, matmul
from ...engine.quizcells import QuizCell, matrix_cells
from ...ops.activations import read_activation
from ...util.errors import SpecError
from ...formulas.formula import MAP_OPS, MapOp, Sym
from .windowed import UNWINDOWS_CODE, WINDOWS_CODE, _offsets, _Windowed, fit, map_below, out_size
from ...formulas.notation import sup


@dataclass(frozen=True)
class Conv2d(_Windowed):
    """s[k, i, j] = b[k] + Σ_{c,u,v} w[k, c, u, v] · o[c, i·stride + u − padding, j·stride + v − padding]
    (zero padding; PyTorch's Conv2d, a cross-correlation), computed for all positions and examples as
    one product with the im2col matrix."""

    kernel: tuple[int, int] = (1, 1)
    stride: int = 1
    padding: int = 0
    type: ClassVar[str] = "conv2d"
    keys: ClassVar[frozenset[str]] = frozenset({"type", "channels", "kernel", "stride", "padding", "activation", "alpha"})

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        _, H, W = map_below(cls.type, below, l)
        for key in ("channels", "kernel"):
            if key not in layer:
                raise SpecError(f"missing required key {key!r}", place=place)
        kern = layer["kernel"]
        kh, kw = (int(kern), int(kern)) if isinstance(kern, (int, float)) else (int(kern[0]), int(kern[1]))
        if not isinstance(kern, (int, float)) and len(kern) != 2:
            raise SpecError(f"{len(kern)} numbers, expected k or [kh, kw]", place=f"{place}.kernel")
        st, pad = int(layer.get("stride", 1)), int(layer.get("padding", 0))
        out = (int(layer["channels"]), fit(H, kh, st, pad, "kernel height", f"{place}.kernel"),
               fit(W, kw, st, pad, "kernel width", f"{place}.kernel"))
        act, alpha = read_activation(layer, l, L, int(np.prod(out)))
        if act == "softmax":
            raise SpecError("softmax is for the output layer only", place=f"{place}.activation")
        return cls(below, out, kernel=(kh, kw), stride=st, padding=pad), act, alpha

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        place = f"weights[{l - 1}]"
        if not isinstance(w, dict):
            raise SpecError(f"expected {{\"kernel\", \"bias\"}} with {self.expected_weights()} for layers[{l}] (conv2d)",
                            place=place)
        try:
            kernel = np.array(w["kernel"], dtype=float)
        except (ValueError, TypeError):
            kernel = np.array([], dtype=object)
        if kernel.dtype == object or kernel.shape != self.kernel_shape:
            got = "ragged or not numbers" if kernel.dtype == object else "×".join(map(str, kernel.shape))
            raise SpecError(f"shape {got}, expected {'×'.join(map(str, self.kernel_shape))} = K × C × kh × kw",
                            place=f"{place}.kernel")
        if not np.isfinite(kernel).all():
            raise SpecError("not a finite number", place=f"{place}.kernel")
        if len(w["bias"]) != self.channels:
            raise SpecError(f"{len(w['bias'])} values, expected {self.channels} = K (channels of layers[{l}])",
                            place=f"{place}.bias")
        return self.weights_from_json(w)

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
        return matmul(W, cols).reshape(self.out_size, O.shape[-1]), cols  # (K, Ho, Wo, N): C, H, W order, examples last

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:
        return self.forward(W, O)[0]

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """G = δ [1; cols]ᵀ: column 0 (the bias) sums δ over positions and examples."""
        cols = self.cols(O) if saved is None else saved
        return matmul(delta.reshape(self.channels, -1), cols.T)  # δ as (K, Ho·Wo·N)

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁻¹⁾: the "full" correlation of δ with the flipped kernel, as col2im of Wᵀδ (a loop
        over the kh·kw kernel offsets, each a strided slice over all positions and examples)."""
        C, H, Wd = self.in_shape
        N = delta.shape[-1]
        kh, kw = self.kernel
        _, Ho, Wo = self.out_shape
        D = delta.reshape(self.channels, Ho * Wo * N)
        dcols = matmul(W[:, 1:].T, D).reshape(C, kh, kw, Ho, Wo, N)
        dX = np.zeros((C, H, Wd, N), dtype=dcols.dtype)
        for u, v, at, src in self.offsets():
            dX[src] += dcols[:, u, v][at]
        return dX.reshape(C * H * Wd, N)

    def code(self, l: int, L: int) -> LayerCode:
        """nn.Conv2d in PyTorch; in NumPy each output position's window times the kernel (einsum)."""
        p, K, (C, H, Wd), (kh, kw), st, pad = l - 1, self.channels, self.in_shape, self.kernel, self.stride, self.padding
        kern = f"W[{l}][:, 1:].reshape({K}, {C}, {kh}, {kw})"
        win = f"windows(o[{p}], {kh}, {kw}, {st}, {pad})"
        return LayerCode(
            module=f"torch.nn.Conv2d({C}, {K}, ({kh}, {kw}), stride={st}, padding={pad})",
            params=(("bias", "M[:, 0]", True), ("weight", f"M[:, 1:].reshape({K}, {C}, {kh}, {kw})", False)),
            forward=f"layer[{l}](o[{p}])",
            matrix=f"torch.cat([layer[{l}].bias{{a}}[:, None], layer[{l}].weight{{a}}.reshape({K}, -1)], 1)",
            np_forward=(f"s[{l}] = W[{l}][:, 0, None, None] + np.einsum(\"kcuv,chwuv->khw\", {kern}, {win})"
                        f"  # s{sup(l)}_k,i,j = b_k + Σ_c,u,v w_k,c,u,v o{sup(p)}_c,{st}i+u−{pad},{st}j+v−{pad}",),
            np_grad=(f"G[{l}][:, 0] += d[{l}].sum(axis=(1, 2))  # G{sup(l)}'s bias column: Σ_i,j δ{sup(l)}_k,i,j",
                     f"G[{l}][:, 1:] += np.einsum(\"khw,chwuv->kcuv\", d[{l}], {win}).reshape({K}, -1)"
                     f"  # Σ_i,j δ{sup(l)}_k,i,j o{sup(p)}_c,{st}i+u−{pad},{st}j+v−{pad}",),
            np_back=(f"back[{p}] = unwindows(np.einsum(\"khw,kcuv->chwuv\", d[{l}], {kern}), ({C}, {H}, {Wd}), {st}, {pad})"
                     f"  # ∂ℓ/∂o{sup(p)}: each δ{sup(l)}_k,i,j times the kernel, back where its window read",),
            helpers=(WINDOWS_CODE, UNWINDOWS_CODE),
        )

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """z = W ⋆ a + b in a notation profile's program, a map in every profile (rows are a dense layer's): the
        kernels a row each, b apart or in column 0 (maps/profiled.py)."""
        from .profiled import conv_code

        return conv_code(self, l, n, separate, mean)

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

    def label(self) -> str:
        (kh, kw), c = self.kernel, self.channels
        return (f"conv2d {c} filter{'s' if c != 1 else ''} {kh}×{kw}" + (f" stride {self.stride}" if self.stride != 1 else "")
                + (f" pad {self.padding}" if self.padding else ""))

    def kernel_index(self, col: int) -> tuple[int, int, int]:
        """(c, u, v), 0-based, of column ``col`` ≥ 1 of W⁽ˡ⁾: the kernel flattened in (c, u, v) order."""
        c, u, v = np.unravel_index(col - 1, (self.in_shape[0],) + self.kernel)
        return int(c), int(u), int(v)

    def channels_read(self, k: int) -> range:
        return range(self.in_shape[0])  # every kernel spans every input channel

    def links(self, pos: tuple[int, ...]) -> Sequence[tuple[tuple[int, int] | None, tuple[int, ...] | None]]:
        """s[k, i, j] = b_k + Σ_c Σ_u,v w_k,c,u,v o⁽ˡ⁻¹⁾[c, i·stride + u − p, j·stride + v − p] (the
        padding's zeros left out): the bias in column 0, the kernel flattened in (c, u, v) order after."""
        k, i, j = pos
        C, (kh, kw) = self.in_shape[0], self.kernel
        window = self.inside(i, j)
        return [((k, 0), None)] + [((k, 1 + (c * kh + u) * kw + v), (c, h, w))
                                   for c in range(C) for u, v, h, w in window]

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

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """A G step: each kernel weight G_k,c,u,v, the step's equations worked out at (k, c, u, v) (its
        bias column G_b is summed in the map-level form only); other steps as every windowed kind's."""
        if key.quantity != "G":
            return super().quiz_cells(l, L, key, value)
        return tuple(replace(qc, pos=self.weight_position(qc.cell.unit - 1, qc.cell.column))
                     for qc in matrix_cells(self, l, "G", value) if qc.cell.column)

    # -- the engine's questions (engine/kind.py): this package's modules answer them -----------------------
    def claims_step(self, net: Any, key: Any) -> bool:
        return _equations().wants(net, key)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:
        return _equations().step_equations(net, state, step, pos)

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        return _equations().step_equations(net, state, step, pos, notation)

    def follows_profiles(self) -> bool:  # its steps and the dense layer's above it, in every profile
        return True

    def rules(self, net: Any, l: int) -> list | None:
        return _equations().conv_rules(net, l)

    def shared_rules(self, net: Any, notation: Any = None) -> list:
        return _equations().conv_shared_rules(notation)

    def explains(self, spec: Any, cell: Any) -> bool:
        return _explain().handles(spec, cell)

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        return _explain().explain_map(stepper, cell, digits)

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        return self.profiled_weight_text(spec, l, b, a, None)

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """The kernel, channel and offset (from 1, or the profile's first unit) and the layer (the
        profile's number) of W⁽ˡ⁾'s entry (b, a), as the panel numbers them."""
        unit = (lambda i: i) if notation is None else notation.unit
        layer = l if notation is None else notation.layer_number(l)
        if not a:
            return f"the bias of kernel {unit(b)} in layer {layer} (a convolution)"
        c, u, v = self.kernel_index(a)
        return (f"the weight of kernel {unit(b)} at channel {unit(c + 1)}, offset ({unit(u + 1)}, {unit(v + 1)}) "
                f"in layer {layer} (a convolution)")


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


MAP_OPS.update({
    "⋆": MapOp(lambda k, x, b, s, p: correlate(k, x, b, s, p), 3, "{0} ⋆ {1} + {2}", r"{0} \star {1} + {2}"),
    "⋆full": MapOp(lambda d, k, s, p, *hw: correlate_full(d, k, s, p, *hw), 2, "{0} ⋆full rot180({1})",
                   r"{0} \star_{{\mathrm{{full}}}} \operatorname{{rot}}_{{180}}({1})"),
    "⋆G": MapOp(lambda x, d, s, p, *khw: correlate_grad(x, d, s, p, *khw), 2, "{0} ⋆ {1}", r"{0} \star {1}"),
})


def _equations() -> Any:
    from . import equations  # the map family's equations (they import this module)

    return equations


def _explain() -> Any:
    from . import explain

    return explain

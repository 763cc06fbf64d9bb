"""The pooling layers (``maxpool2d``, ``avgpool2d``): no weights, no s; max pooling sends the gradient
to each window's first maximum, average pooling spreads it over the window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...engine.kind import LayerCode, LayerKind, ProfiledCode, Shape
from ...formulas.formula import MAP_OPS, MapOp, Node, Partial, Sym
from .windowed import UNWINDOWS_CODE, WINDOWS_CODE, _Windowed, _offsets, fit, map_below, out_size
from ...formulas.notation import sup
from ...util.errors import SpecError


@dataclass(frozen=True)
class Pool2d(_Windowed):
    """o[c, i, j] = max (or mean) of o⁽ˡ⁻¹⁾[c, i·stride + u, j·stride + v] over the size × size window;
    no weights, no s. Max pooling sends the gradient to the window's first maximum in row-major order."""

    size: int = 2
    stride: int = 2
    mode: str = "max"  # max | avg

    has_weights: ClassVar[bool] = False
    has_s: ClassVar[bool] = False
    keys: ClassVar[frozenset[str]] = frozenset({"type", "size", "stride"})

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        C, H, W = map_below(layer["type"], below, l)
        if "size" not in layer:
            raise SpecError("missing required key 'size'", place=f"layers[{l}]")
        size = int(layer["size"])
        st = int(layer.get("stride", size))
        out = (C, fit(H, size, st, 0, "pooling window", f"layers[{l}].size"),
               fit(W, size, st, 0, "pooling window", f"layers[{l}].size"))
        return cls(below, out, size=size, stride=st, mode=layer["type"][:3]), "identity", 0.0

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        if w is not None:
            raise SpecError(f"expected null: layers[{l}] ({self.type}) has no weights", place=f"weights[{l - 1}]")
        return self.weights_from_json(None)

    def channels_read(self, k: int) -> tuple[int, ...]:
        return (k,)  # pooling works channel by channel

    @property
    def combine(self) -> str:  # type: ignore[override]  # max or mean, an instance's
        return "max" if self.mode == "max" else "mean"

    def links(self, pos: tuple[int, ...]) -> Sequence[tuple[tuple[int, int] | None, tuple[int, ...] | None]]:
        """o[c, i, j] reads its window of channel c, row-major: no weights."""
        c, i, j = pos
        return [(None, (c, h, w)) for _, _, h, w in self.inside(i, j)]

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

    def code(self, l: int, L: int) -> LayerCode:
        """F.max_pool2d / F.avg_pool2d in PyTorch; in NumPy the windows' max (the gradient to each window's
        first maximum) or mean."""
        p, (C, H, Wd), (_, Ho, Wo), k, st = l - 1, self.in_shape, self.out_shape, self.size, self.stride
        win = f"windows(o[{p}], {k}, {k}, {st}, 0).reshape({C}, {Ho}, {Wo}, {k * k})"
        if self.mode == "max":
            back: tuple[str, ...]
            forward = (f"o[{l}] = {win}.max(axis=-1)  # o{sup(l)}_c,i,j = the largest entry of its window",)
            back = (f"first = np.arange({k * k}) == {win}.argmax(axis=-1)[..., None]  # each window's first maximum",
                    f"back[{p}] = unwindows((d[{l}][..., None] * first).reshape({C}, {Ho}, {Wo}, {k}, {k}), "
                    f"({C}, {H}, {Wd}), {st}, 0)  # ∂ℓ/∂o{sup(p)}: ∂ℓ/∂o{sup(l)}_c,i,j to its window's first maximum")
        else:
            forward = (f"o[{l}] = {win}.mean(axis=-1)  # o{sup(l)}_c,i,j = the mean of its window",)
            back = (f"back[{p}] = unwindows(np.broadcast_to(d[{l}][..., None, None] / {k * k}, ({C}, {Ho}, {Wo}, {k}, {k})), "
                    f"({C}, {H}, {Wd}), {st}, 0)  # ∂ℓ/∂o{sup(p)}: ∂ℓ/∂o{sup(l)}_c,i,j spread over its window",)
        return LayerCode(forward=f"F.{self.mode}_pool2d(o[{p}], {k}, {st})", np_forward=forward, np_back=back,
                         helpers=(WINDOWS_CODE, UNWINDOWS_CODE))

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """a = maxpool(a below) (or avgpool) in a notation profile's program, a map in every profile; its a and
        ∂ℓ/∂a are steps of its own (maps/profiled.py)."""
        from .profiled import pool_code

        return pool_code(self, l, n)

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

    def label(self) -> str:
        return f"{self.type} {self.size}×{self.size}" + (f" stride {self.stride}" if self.stride != self.size else "")

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        """A pooling layer has no s: its backward quantity is ∂ℓ/∂o⁽ˡ⁾ (∂ℓ/∂o_k,i,j⁽ˡ⁾ at a position)."""
        if quantity != "delta":
            return super().cell_sym(quantity, l, pos, example)
        return Partial(Sym("ℓ", example, latex=r"\ell"), super().cell_sym("o", l, pos), prefixed=True)

    # -- the engine's questions (engine/kind.py): the map family's modules answer them ---------------------
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
        return _equations().pool_rules(self, l)

    def shared_rules(self, net: Any, notation: Any = None) -> list:
        return _equations().pool_shared_rules(self)

    def explains(self, spec: Any, cell: Any) -> bool:
        return _explain().handles(spec, cell)

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        return _explain().explain_map(stepper, cell, digits)


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


MAP_OPS.update({
    "maxpool": MapOp(lambda x, n, s: pool(x, n, s, "max"), 1, "maxpool({0})", r"\operatorname{{maxpool}}({0})"),
    "avgpool": MapOp(lambda x, n, s: pool(x, n, s, "avg"), 1, "avgpool({0})", r"\operatorname{{avgpool}}({0})"),
    "route_max": MapOp(lambda g, x, n, s: route(g, x, n, s, "max"), 1, "route_max({0})",
                       r"\operatorname{{route}}_{{\max}}({0})"),
    "route_avg": MapOp(lambda g, x, n, s: route(g, x, n, s, "avg"), 1, "route_avg({0})",
                       r"\operatorname{{route}}_{{\mathrm{{avg}}}}({0})"),
})


def _equations() -> Any:
    from . import equations  # the map family's equations (they import this module)

    return equations


def _explain() -> Any:
    from . import explain

    return explain

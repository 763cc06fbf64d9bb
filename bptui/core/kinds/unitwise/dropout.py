"""Inverted dropout: o = m ⊙ x/(1 − p) in training, where the mask of example n (from 1) in epoch e
(from 1) is ``numpy.random.default_rng([S, e, n]).random(shape) >= p`` (shape (d,) for a vector,
(T, d) for a sequence of T time steps at each τ, (C, H, W) for a map); the identity outside training (predictions, test loss, maps). No weights."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import FAN_IN_ROW, Draw, LayerCode, LayerKind, Shape
from ...util.errors import SpecError
from .base import Unitwise


@dataclass(frozen=True)
class Dropout(Unitwise):
    """o = [1, m ⊙ x/(1 − p)] (see the module's docstring)."""

    p: float = 0.5
    seed: int = 0

    type: ClassVar[str] = "dropout"
    has_weights: ClassVar[bool] = False
    keys: ClassVar[frozenset[str]] = frozenset({"type", "p", "seed"})
    first: ClassVar[str] = "m"
    letters: ClassVar[frozenset[str]] = frozenset({"m"})  # its mask m⁽ˡ⁾: a mean profile writes the group size |B|
    per_time: ClassVar[bool] = True  # on a sequence: m_τ, o_τ of each time step's d units (a (T, d) mask)
    in_block: ClassVar[bool] = True  # inside a residual block, or beside one (along the wires: wiring.py)
    row_names: ClassVar[tuple[tuple[str, str], ...]] = (("s", "m"), ("o", "o"), ("delta", FAN_IN_ROW))  # unrolled in time

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        p = layer.get("p", 0.5)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) or not 0 <= p < 1:
            raise SpecError(f"p must be a number with 0 ≤ p < 1 (the chance a unit is dropped), not {p!r}",
                            place=f"{place}.p")
        seed = layer.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SpecError(f"seed must be an integer ≥ 0, not {seed!r}", place=f"{place}.seed")
        return cls(below, below, p=float(p), seed=seed), "identity", 0.0

    @property
    def param_shape(self) -> Shape:
        """No weights: a vector's is d × 0, so that its panel still has a row per unit."""
        return (self.out_shape[0], 0) if self.bias_entry else (0, 1)

    @property
    def bias_columns(self) -> tuple[int, ...]:
        return (0,) if self.param_shape[1] else ()

    def mask(self, epoch: int, example: int, T: int | None = None) -> np.ndarray:
        """m of example ``example`` (from 1) in ``epoch`` (from 1), 1.0 where a unit is kept; of a sequence
        of T time steps at each τ (``T`` given), the (T, d) matrix whose row τ is m_τ."""
        rng = np.random.default_rng([self.seed, int(epoch), int(example)])
        return (rng.random(self.out_shape if T is None else (int(T),) + self.out_shape) >= self.p).astype(float)

    def scale(self, draw: Draw) -> np.ndarray:
        """m/(1 − p) of each example of ``draw``, as columns (d × N; a map's flattened); of sequences
        (``draw.lengths``), one column per (τ, example) pair of the running examples, τ-major."""
        keep = 1.0 / (1.0 - self.p)
        if draw.lengths is not None:
            Ts = draw.lengths
            full = np.zeros((int(Ts.max(initial=0)), len(Ts), self.out_size))
            for i, (n, T) in enumerate(zip(draw.examples, Ts)):
                full[:T, i] = self.mask(draw.epoch, n, T) * keep
            return full[np.arange(len(full))[:, None] < Ts[None, :]].T
        cols = [self.mask(draw.epoch, n).reshape(-1) * keep for n in draw.examples]
        return np.stack(cols, axis=1) if cols else np.zeros((self.out_size, 0))

    # -- the arithmetic, on columns: the identity outside training -------------------------------------
    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        return O, None

    def train_forward(self, W: np.ndarray, O: np.ndarray, draw: Draw) -> tuple[np.ndarray, Any]:
        M = self.scale(draw)
        return self.with_one(self.units_of(O) * M), M

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return np.zeros(self.param_shape)

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """∂ℓ/∂x = m/(1 − p) ⊙ ∂ℓ/∂o (``saved``: the training pass's m/(1 − p); None: the identity)."""
        return delta if saved is None else delta * saved

    # -- the board ---------------------------------------------------------------------------------------
    def forward_step(self, state: Any, key: Any, W: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        from .base import _ro

        l = key.layer
        m = state.s[l] = _ro(self.mask(key.epoch, key.example))
        x = self.units_of(o_below.reshape(-1, 1))[:, 0].reshape(self.out_shape)
        out = (m * x / (1.0 - self.p)).reshape(-1, 1)
        value = state.o[l] = _ro(self.with_one(out)[:, 0].reshape(o_below.shape))
        return value

    def input_grad(self, state: Any, key: Any, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        m = state.s[key.layer]
        return m * g.reshape(self.out_shape) / (1.0 - self.p)

    def step_at(self, state: Any, key: Any, o_below: np.ndarray, handed_down: Any) -> tuple[Any, Any]:
        """o_τ = m_τ ⊙ x_τ/(1 − p) and ∂ℓ/∂x_τ = m_τ ⊙ ∂ℓ/∂o_τ/(1 − p) of time step τ, written in row τ, m_τ
        row τ of the example's (T, d) mask; once (τ None, above a many-to-one layer) with a mask of (d,)."""
        from .base import _ro, put_row

        l, t = key.layer, key.time
        if key.quantity == "o":
            m = self.mask(key.epoch, key.example, None if t is None else len(state.o[0]))
            m = _ro(m if t is None else m[t - 1])
            state.s[l] = put_row(state.s[l], t, m)
            value = _ro(self.with_one((m * self.units_of(o_below) / (1.0 - self.p)).reshape(-1, 1))[:, 0])
            state.o[l] = put_row(state.o[l], t, value)
            return value, None
        g = _ro(np.asarray(handed_down()))
        state.extra = {**state.extra, ("do", l): put_row(state.extra.get(("do", l), np.full(np.shape(state.s[l]), np.nan)), t, g)}
        m = state.s[l] if t is None else state.s[l][t - 1]
        value = _ro(m * g / (1.0 - self.p))
        state.delta[l] = put_row(state.delta[l], t, value)
        return value, None

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        from . import keyformulas

        return keyformulas.dropout(self, net, state, key, index, before)

    def block_forward(self) -> list[str]:
        return ["o"]

    def block_backward(self) -> list[str]:
        return ["dx"]

    def code(self, l: int, L: int) -> LayerCode:
        """o = m ⊙ x/(1 − p) with bptui's own masks, drawn by NumPy's generator in both programs (never
        torch's), from the epoch e and the example n + 1 of the program's loops; on a sequence at τ
        ({time}: ", t, T"), row τ of the example's (T, d) mask."""
        keep, m = f"(1 - {self.p!r})", f"m{_sup(l)}"
        draw = f"mask({self.seed}, e, n + 1, {self.out_shape!r}, {self.p!r}{{time}})"
        why = f"  # {m}: default_rng([S, e, n]).random(shape) >= p, n from 1"
        seq = {"o": ("{X} = tap({X})", f"{{S}} = torch.tensor({draw}){why}",
                     f"{{O}} = {{S}} * {{X}} / {keep}  # o{_sup(l)} = {m} ⊙ x/(1 − p)"),
               "dx": ()}
        out = f"one({{S}} * {{X}} / {keep})" if self.bias_entry else f"{{S}} * {{X}} / {keep}"
        np_seq = {"o": (f"{{S}} = {draw}{why}", f"{{O}} = {out}  # o{_sup(l)} = {m} ⊙ x/(1 − p)"),
                  "dx": (f"{{D}} = {{S}} * {{up}} / {keep}  # ∂ℓ/∂x = {m} ⊙ ∂ℓ/∂o/(1 − p)",)}
        return self.code_of(l, seq, np_seq, helpers=(MASK_CODE,))

    def own_code_quantities(self, l: int) -> dict[str, tuple[str | None, bool, Any]]:
        """Its mask m."""
        from .equations import _syms

        return {"m": ("m", False, _syms(l)["m"])}

    def profiled_lines(self, n: dict[str, str], row: bool, separate: bool, per: str, one: Any
                       ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]:
        """m, bptui's own mask of the example (n + 1, from 1) in epoch e (:meth:`mask`, by NumPy's generator in
        both programs), o = m ⊙ x/(1 − p) and ∂ℓ/∂x = m ⊙ ∂ℓ/∂o/(1 − p) (the rules: equations.rules)."""
        m, x, a, da, dx = (n[k] for k in ("m", "x", "a", "da", "dx"))
        keep = f"(1 - {self.p!r})"
        at = ", t, T" if n.get("at") else ""  # at τ: row τ of the example's (T, d) mask
        draw = f"mask({self.seed}, e, n + 1, {self.out_shape!r}, {self.p!r}{at})"
        if n["lib"] == "torch":
            draw = f"torch.tensor({draw})"
        drawn = f".random((T, {', '.join(map(str, self.out_shape))}))[t - 1]" if at else f".random({self.out_shape!r})"
        why = (f"  # {n['~m']}: bptui's mask of example n + 1 in epoch e, default_rng([{self.seed}, e, n + 1])"
               f"{drawn} ≥ p, p = {self.p:g}")
        forward: dict[str, tuple[str, ...]] = {"o": (f"{m} = {draw}{why}", f"{a} = {one(f'{m} * {x} / {keep}')}  # {n['~rule0']}",
                         f"check({a}, {n['~a']!r})")}
        return forward, (f"{dx} = {m} * {da} / {keep}  # {n['~rule1']}",), ()

    def profiled_helpers(self) -> tuple[tuple[str, str], ...]:
        return (MASK_CODE,)

    # -- files and names ---------------------------------------------------------------------------------
    def read_weights(self, w: Any, l: int) -> np.ndarray:
        if w is not None:
            raise SpecError(f"expected null: layers[{l}] (dropout) has no weights", place=f"weights[{l - 1}]")
        return self.weights_from_json(None)

    def weights_json(self, W: np.ndarray) -> Any:
        return None

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.zeros(self.param_shape)

    def expected_weights(self) -> str:
        return "null (a dropout layer has no weights)"

    def describe(self) -> str:
        return f"dropout p = {self.p:g}"

    def label(self) -> str:
        return f"dropout p={self.p:g}"

    def panel_columns(self) -> tuple[str, ...]:
        return ()

    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("its mask and output", 2 * self.out_size),)

    def multiplications(self) -> int:
        return self.out_size


MASK_CODE = (
    "mask",
    '''def mask(seed, epoch, example, shape, p, t=None, T=None):
    """Dropout's mask (1.0 kept, 0.0 dropped) of example ``example`` (from 1) in ``epoch`` (from 1), as bptui
    draws it; at τ = t of a sequence of T time steps, row t of the example's (T, d) mask."""
    rng = np.random.default_rng([seed, epoch, example])
    if t is None:
        return (rng.random(shape) >= p) * 1.0
    return (rng.random((T,) + shape)[t - 1] >= p) * 1.0''',
)


def _sup(l: int) -> str:
    from ...formulas.notation import sup

    return sup(l)

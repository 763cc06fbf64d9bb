"""Layer normalisation, as PyTorch's ``nn.LayerNorm`` over each example's d units: u = (x − μ)/√(σ² + ε)
with μ and the biased σ² over the units, o = γ ⊙ u + β. Its weights, inside the core, are one d × 2
matrix [β | γ]: β in the bias column 0, which L2 never touches, γ in column 1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import FAN_IN_ROW, LayerCode, LayerKind, Shape
from ...formulas.formula import Node, Sym
from ...formulas.notation import fmt
from ...util.errors import SpecError
from .base import Unitwise


@dataclass(frozen=True)
class LayerNorm(Unitwise):
    """u = (x − μ)/√(σ² + ε), o = [1, γ ⊙ u + β] (see the module's docstring)."""

    eps: float = 1e-5

    type: ClassVar[str] = "layernorm"
    keys: ClassVar[frozenset[str]] = frozenset({"type", "eps"})
    first: ClassVar[str] = "u"
    per_time: ClassVar[bool] = True  # on a sequence: u_τ, o_τ of each time step's d units
    in_block: ClassVar[bool] = True  # inside a residual block, or beside one (along the wires: wiring.py)
    row_names: ClassVar[tuple[tuple[str, str], ...]] = (("s", "u"), ("o", "o"), ("delta", FAN_IN_ROW))  # unrolled in time

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        if len(below) != 1:
            raise SpecError("a layernorm layer normalises a vector of units, not a map: put it after a dense layer",
                            place=place)
        eps = layer.get("eps", 1e-5)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
            raise SpecError(f"eps must be a number > 0 (it keeps √(σ² + ε) from 0), not {eps!r}", place=f"{place}.eps")
        return cls(below, below, eps=float(eps)), "identity", 0.0

    @property
    def d(self) -> int:
        return self.out_shape[0]

    @property
    def param_shape(self) -> Shape:
        return (self.d, 2)

    def initialised(self, W: np.ndarray, init: dict) -> np.ndarray:
        """γ = 1, β = 0, as ``nn.LayerNorm`` starts (the file's init draws nothing for them)."""
        out = np.zeros(self.param_shape)
        out[:, 1] = 1.0
        return out

    # -- the arithmetic, on columns ------------------------------------------------------------------
    def normalise(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(μ, σ², 1/√(σ² + ε), u) of the columns X (d × N)."""
        d = X.shape[0]
        mu = X.sum(axis=0) / d
        C = X - mu
        var = np.einsum("dn,dn->n", C, C) / d
        r = 1.0 / np.sqrt(var + self.eps)
        return mu, var, r, C * r

    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        _, _, r, U = self.normalise(self.units_of(O))
        return self.with_one(W[:, 1:2] * U + W[:, 0:1]), (U, r)

    def _saved(self, O: np.ndarray, saved: Any) -> tuple[np.ndarray, np.ndarray]:
        if saved is None:
            _, _, r, U = self.normalise(self.units_of(O))
            return U, r
        return saved

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """[Σₙ ∂ℓ/∂o | Σₙ ∂ℓ/∂o ⊙ u]: β's and γ's gradients (``delta`` is ∂ℓ/∂o⁽ˡ⁾, columns)."""
        U, _ = self._saved(O, saved)
        return np.stack([delta.sum(axis=1), (delta * U).sum(axis=1)], axis=1)

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        """∂ℓ/∂x = (ĝ − mean(ĝ) − u ⊙ mean(ĝ ⊙ u)) / √(σ² + ε) with ĝ = γ ⊙ ∂ℓ/∂o: the three terms of the
        paths through x itself, through μ and through σ."""
        U, r = self._saved(O, saved)
        return self._back(W, delta, U, r)

    @staticmethod
    def _back(W: np.ndarray, delta: np.ndarray, U: np.ndarray, r: np.ndarray) -> np.ndarray:
        d = U.shape[0]
        gh = W[:, 1:2] * delta
        return (gh - gh.sum(axis=0) / d - U * (np.einsum("dn,dn->n", gh, U) / d)) * r

    def board_grad(self, s: Any, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        """[∂ℓ/∂o | ∂ℓ/∂o ⊙ u] with u as the board holds it."""
        return self.grad(W, g.reshape(-1, 1), o_below.reshape(-1, 1), (np.asarray(s).reshape(-1, 1), None))

    def _board_back(self, u: np.ndarray, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        """∂ℓ/∂x of one example with u as the board holds it (1/√(σ² + ε) from x)."""
        r = self.normalise(self.units_of(o_below.reshape(-1, 1)))[2]
        return self._back(W, g.reshape(-1, 1), np.asarray(u).reshape(-1, 1), r)[:, 0]

    def grad_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray) -> np.ndarray:
        return self.grad(W, delta.reshape(-1, 1), o.reshape(-1, 1))

    # -- the board -------------------------------------------------------------------------------------
    def forward_step(self, state: Any, key: Any, W: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        from .base import _ro

        l = key.layer
        if key.quantity == "u":
            value = state.s[l] = _ro(self.normalise(self.units_of(o_below.reshape(-1, 1)))[3][:, 0])
            return value
        value = state.o[l] = _ro(self.with_one((W[:, 1] * state.s[l] + W[:, 0]).reshape(-1, 1))[:, 0])
        return value

    def input_grad(self, state: Any, key: Any, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        return self._board_back(state.s[key.layer], W, g, o_below)

    def step_at(self, state: Any, key: Any, o_below: np.ndarray, handed_down: Any) -> tuple[Any, Any]:
        """u_τ, o_τ, ∂ℓ/∂x_τ of the d units of time step τ, written in row τ; G adds τ's term."""
        from .base import _ro, put_row

        l, t = key.layer, key.time
        W = state.W[l]
        O = o_below.reshape(-1, 1)
        if key.quantity == "G":
            before = state.G[l]
            u = state.s[l] if t is None else state.s[l][t - 1]
            state.G[l] = _ro(before + self.board_grad(u, W, np.asarray(handed_down()), o_below))
            return state.G[l], before
        if key.quantity == "u":
            value = _ro(self.normalise(self.units_of(O))[3][:, 0])
            state.s[l] = put_row(state.s[l], t, value)
        elif key.quantity == "o":
            u = state.s[l] if t is None else state.s[l][t - 1]
            value = _ro(self.with_one((W[:, 1] * u + W[:, 0]).reshape(-1, 1))[:, 0])
            state.o[l] = put_row(state.o[l], t, value)
        else:
            g = np.asarray(handed_down())
            state.extra = {**state.extra, ("do", l): put_row(state.extra.get(("do", l), np.full(state.s[l].shape, np.nan)), t, _ro(g))}
            value = _ro(self._board_back(state.s[l] if t is None else state.s[l][t - 1], W, g, o_below))
            state.delta[l] = put_row(state.delta[l], t, value)
        return value, None

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        from . import keyformulas

        return keyformulas.layernorm(self, net, state, key, index, before)

    def block_forward(self) -> list[str]:
        return ["u", "o"]

    def block_backward(self) -> list[str]:
        return ["dx", "G"]

    def code(self, l: int, L: int) -> LayerCode:
        """nn.LayerNorm's γ (weight) and β (bias) as parameters, u by F.layer_norm without them (PyTorch);
        the three-term ∂ℓ/∂x written out (NumPy). W = [β | γ]: L2 (weight_decay) on γ only."""
        d, eps, u, o = self.d, repr(self.eps), f"u{_sup(l)}", f"o{_sup(l)}"
        g = f"check(G[{l}], \"G{_sup(l)} so far\")"
        seq = {"u": ("{X} = tap({X})", f"{{S}} = F.layer_norm({{X}}, ({d},), eps={eps})  # {u} = (x − μ)/√(σ² + ε)",
                     f"check({{S}}, f\"{u}{{at}}\")"),
               "o": (f"{{O}} = layer[{l}].weight * {{S}} + layer[{l}].bias  # {o} = γ ⊙ u + β (weight γ, bias β)",
                     "{O}.retain_grad()  # keep ∂ℓ/∂o after backward()"),
               "dx": (),
               "G": (f"G[{l}] = G[{l}] + torch.stack([{{O}}.grad, {{O}}.grad * {{S}}], 1)  # G{_sup(l)} += [∂ℓ/∂o | ∂ℓ/∂o ⊙ u]", g)}
        np_seq = {"u": (f"{{S}} = layer_norm({{X}}, {eps})[0]  # {u} = (x − μ)/√(σ² + ε)", f"check({{S}}, f\"{u}{{at}}\")"),
                  "o": (f"{{O}} = one(W[{l}][:, 1] * {{S}} + W[{l}][:, 0])  # {o} = [1, γ ⊙ u + β], W{_sup(l)} = [β | γ]",),
                  "dx": (f"gh = W[{l}][:, 1] * {{up}}  # ĝ = γ ⊙ ∂ℓ/∂o{_sup(l)}",
                         f"{{D}} = (gh - gh.mean() - {{S}} * np.mean(gh * {{S}})) * layer_norm({{X}}, {eps})[1]"
                         "  # ∂ℓ/∂x = (ĝ − mean ĝ − u ⊙ mean(ĝ ⊙ u))/√(σ² + ε)"),
                  "G": (f"G[{l}] += np.stack([{{up}}, {{up}} * {{S}}], 1)  # G{_sup(l)} += [∂ℓ/∂o | ∂ℓ/∂o ⊙ u] (β's, γ's)", g)}
        return self.code_of(l, seq, np_seq, module=f"torch.nn.LayerNorm({d}, eps={eps})",
                            params=(("bias", "M[:, 0]", True), ("weight", "M[:, 1]", False)),
                            matrix=f"torch.stack([layer[{l}].bias{{a}}, layer[{l}].weight{{a}}], 1)",
                            helpers=(LAYER_NORM_CODE,))

    def own_code_quantities(self, l: int) -> dict[str, tuple[str | None, bool, Node]]:
        """μ, σ², u, ∂ℓ/∂u and ε; γ as the weights and β as the bias (where the profile holds b apart), their
        gradients, and γ, β as printed (the matrix [β │ γ] is the dense W where the bias is in column 0)."""
        from . import equations

        S = equations._syms(l)
        return {"mu": ("mu", False, S["mu"]), "var": ("var", False, S["var"]), "u": ("u", False, S["u"]),
                "du": ("u", True, equations._du(self, l)[0]), "eps": (None, False, S["eps"]),
                "gamma": (None, False, S["gamma"]), "beta": (None, False, S["beta"]),
                "W": ("gamma", False, S["gamma"]), "b": ("beta", False, S["beta"]),
                "dW": ("gamma", True, S["Gg"]), "db": ("beta", True, S["Gb"])}

    def profiled_lines(self, n: dict[str, str], row: bool, separate: bool, per: str, one: Any
                       ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]:
        """u = (x − μ)/√(σ² + ε) from x's mean and biased variance, o = γ ⊙ u + β, ∂ℓ/∂u = γ ⊙ ∂ℓ/∂o, ∂ℓ/∂x by
        the three paths, β's and γ's gradients (the rules μ, σ², u, o, ∂ℓ/∂u, ∂ℓ/∂x, G_β, G_γ: equations.rules).
        With a separate b, γ is held as the panels show the weights' part: a column d × 1 (a row 1 × d with row
        vectors), β a vector; with the bias in column 0, the matrix [β │ γ]."""
        x, mu, var, u, du, dx, a, da = (n[k] for k in ("x", "mu", "var", "u", "du", "dx", "a", "da"))
        W, dW, eps = n["W"], n["dW"], repr(self.eps)
        r = [n[f"~rule{i}"] for i in range(8)]
        if not separate:
            gamma, beta = f"{W}[:, 1]", f"{W}[:, 0]"
        else:
            gamma, beta = (W if row else f"{W}[:, 0]"), n["b"]
        held = (f" ({n['~W']} = [{n['~beta']} │ {n['~gamma']}])" if not separate else "")
        root = f"({var} + {eps}) ** 0.5"
        forward = {
            "u": (f"{mu} = {x}.mean()  # {r[0]}", f"{var} = (({x} - {mu}) ** 2).mean()  # {r[1]}",
                  f"{u} = ({x} - {mu}) / {root}  # {r[2]}, {n['~eps']} = {eps}", f"check({u}, {n['~u']!r})"),
            "o": (f"{a} = {one(f'{gamma} * {u} + {beta}')}  # {r[3]}{held}", f"check({a}, {n['~a']!r})")}
        back = (f"{du} = {gamma} * {da}  # {r[4]}",
                f"{dx} = ({du} - {du}.mean() - {u} * ({du} * {u}).mean()) / {root}  # {r[5]}")
        if not separate:
            grad = (f"{dW}[:, 0] += {da}{per}  # {r[6]}", f"{dW}[:, 1] += {da} * {u}{per}  # {r[7]}")
        elif row:
            grad = (f"{n['db']} += {n['lib']}.sum({da}, axis=0){per}  # {r[6]}", f"{dW} += {da} * {u}{per}  # {r[7]}")
        else:
            grad = (f"{n['db']} += {da}{per}  # {r[6]}", f"{dW} += ({da} * {u})[:, None]{per}  # {r[7]}")
        return forward, back, grad

    def from_framework(self, weight: np.ndarray, bias: np.ndarray, weight_hh: np.ndarray | None = None,
                       bias_hh: np.ndarray | None = None) -> np.ndarray:
        """[β | γ] from nn.LayerNorm's ``weight`` γ and ``bias`` β (ONNX's LayerNormalization: scale, B)."""
        return np.stack([np.asarray(bias, dtype=float).reshape(-1), np.asarray(weight, dtype=float).reshape(-1)], axis=1)

    # -- files and names -----------------------------------------------------------------------------------
    def read_weights(self, w: Any, l: int) -> np.ndarray:
        place = f"weights[{l - 1}]"
        if not isinstance(w, dict) or set(w) != {"gamma", "beta"}:
            raise SpecError(f"expected {self.expected_weights()} for layers[{l}] (layernorm)", place=place)
        out = []
        for name in ("beta", "gamma"):
            v = w[name]
            if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                raise SpecError(f"expected {self.d} numbers", place=f"{place}.{name}")
            if len(v) != self.d:
                raise SpecError(f"{len(v)} numbers, expected {self.d} = d{_sup(l)} (the units it normalises)",
                                place=f"{place}.{name}")
            out.append(np.array(v, dtype=float))
        return np.stack(out, axis=1)

    def weights_json(self, W: np.ndarray) -> Any:
        return {"gamma": W[:, 1].tolist(), "beta": W[:, 0].tolist()}

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.stack([np.array(value["beta"], dtype=float), np.array(value["gamma"], dtype=float)], axis=1)

    def expected_weights(self) -> str:
        return f'{{"gamma": [{self.d} numbers], "beta": [{self.d} numbers]}}'

    def describe(self) -> str:
        return f"layernorm {self.d} (ε = {fmt(self.eps, 'g')})"

    def label(self) -> str:
        return f"layernorm {self.d} unit{'s' if self.d != 1 else ''}"

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """β_b⁽ˡ⁾ (column 0) and γ_b⁽ˡ⁾ (column 1)."""
        return Sym("β", l, (row + 1,), latex=r"\beta") if col == 0 else Sym("γ", l, (row + 1,), latex=r"\gamma")

    def profiled_weight_sym(self, notation: Any, l: int, row: int, col: int) -> Sym:
        """β_b and γ_b in every profile (the profile writes their layer index and unit number)."""
        return self.weight_sym(l, row, col)

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        """G of β_b and γ_b: G_β,b⁽ˡ⁾, G_γ,b⁽ˡ⁾."""
        return Sym("G", l, ("β" if col == 0 else "γ", row + 1))

    def panel_columns(self) -> tuple[str, ...]:
        return ("β", "γ")

    def panel_title(self, l: int, activation: str) -> str:
        return f"layer norm, ε = {fmt(self.eps, 'g')}"

    def parameter_names(self, l: int, notation: Any) -> tuple[tuple[str, ...] | None, dict[str, Node]]:
        """With a separate b, W's part (column 1) is γ and b (column 0) β, their gradients G_γ and G_β (the
        profile writes ∂C/∂γ, dγ); with the bias in column 0, W = [β │ γ] and G whole."""
        from . import equations

        if not notation.separate_bias:
            dense = LayerKind.profiled_names(self, l, notation).syms
            return self.panel_columns(), {"W": dense["W"], "G": dense["G"]}
        return ("",), self.parameter_syms(l)

    def parameter_syms(self, l: int) -> dict[str, Node]:
        """γ as the weights, β as the bias, and their gradients, as the kind's equations name them."""
        from . import equations

        S = equations._syms(l)
        return {"W": S["gamma"], "b": S["beta"], "G": S["Gg"], "Gb": S["Gb"]}

    def title_parts(self) -> tuple[Any, ...]:
        """layer norm, ε = … (ε as the profile writes it: δ in goodfellow)."""
        from . import equations

        return ("layer norm, ", equations._syms(1)["eps"], f" = {fmt(self.eps, 'g')}")

    def matrix_parts(self, l: int) -> list[tuple[int, Node]]:
        """[β │ γ]: β's column 0 and γ's column 1, each a parameter of its own (a panel heads each column by its
        own name where the whole matrix is shown, the bias in column 0)."""
        syms = self.parameter_syms(l)
        return [(0, syms["b"]), (1, syms["W"])]

    def gradient_parts(self, l: int) -> list[tuple[int, Node]]:
        """G_β's column 0 and G_γ's column 1 (∂C/∂β, ∂C/∂γ in the profiles)."""
        syms = self.parameter_syms(l)
        return [(0, syms["Gb"]), (1, syms["G"])]

    def matrix_blocks(self, l: int) -> list[tuple[int, int, int, dict[str, Any]]]:
        """[β │ γ]: a profile with a separate b shows γ as its weights and β as its bias (their gradients
        ∂ℓ/∂γ and ∂ℓ/∂β), as its equations name them."""
        return [(0, self.out_size, 2, self.parameter_syms(l))]

    def panel_weights(self, l: int) -> tuple[str, tuple[int, ...], list[str]] | None:
        """Unrolled in time: [β │ γ], a row per unit."""
        return f"W{_sup(l)} = [β │ γ]", (0,), [f"b={b + 1}" for b in range(self.out_size)]

    def panel_label(self, quantity: str, l: int) -> str:
        if quantity in ("W", "G"):
            return f"{quantity}{_sup(l)} = [β γ]" if quantity == "W" else f"G{_sup(l)} = [G_β G_γ]"
        return super().panel_label(quantity, l)

    def init_text(self, row: int, col: int) -> str | None:
        return f"{'β = 0' if col == 0 else 'γ = 1'} at the start, as nn.LayerNorm starts (the file's init draws nothing for it)"

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        return self.profiled_weight_text(spec, l, b, a, None)

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """β's or γ's words, unit b (from 1) numbered as ``notation`` numbers units (cs231n's from 0)."""
        unit = b if notation is None else notation.unit(b)
        return f"the {'shift β' if a == 0 else 'scale γ'} of unit {unit} after normalising"

    def links(self, pos: tuple[int, ...]) -> Any:  # pragma: no cover - the answer key does not cover it
        raise NotImplementedError("a layernorm output is not a sum of products")

    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("its u and output", 2 * self.d),)

    def multiplications(self) -> int:
        return 4 * self.d


def _sup(l: int) -> str:
    from ...formulas.notation import sup

    return sup(l)


LAYER_NORM_CODE = (
    "layer_norm",
    '''def layer_norm(x, eps):
    """u = (x − μ)/√(σ² + ε) over the units of x, and 1/√(σ² + ε) (μ and the biased σ², as nn.LayerNorm)."""
    c = x - x.mean()
    r = 1 / np.sqrt(np.mean(c * c) + eps)
    return c * r, r''',
)

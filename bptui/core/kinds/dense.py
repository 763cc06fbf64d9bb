"""The dense layer: the lecture's s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ with the bias in column 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..engine.kind import LayerCode, LayerKind, ProfiledCode, Shape, mean_divisor, ones_on_top, read_matrix
from ..formulas.notation import sup
from ..ops.activations import read_activation
from ..util.errors import SpecError

if TYPE_CHECKING:
    from ..engine.quizcells import QuizCell


@dataclass(frozen=True)
class Dense(LayerKind):
    """s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ with the bias in column 0; after a map, o⁽ˡ⁻¹⁾ = [1, vec(map)]."""

    after_map: bool = False  # o⁽ˡ⁻¹⁾ is a feature map: it has no bias entry of its own
    type: ClassVar[str] = "dense"
    bias_entry: ClassVar[bool] = True
    function_of_s: ClassVar[bool] = True
    per_time: ClassVar[bool] = True  # at τ: s_τ = W [1, x_τ], o_τ = [1, f(s_τ)]
    keys: ClassVar[frozenset[str]] = frozenset({"type", "units", "activation", "alpha"})
    output: ClassVar[bool] = True
    in_block: ClassVar[bool] = True  # it may stand inside a residual block

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        if "units" not in layer:
            raise SpecError("missing required key 'units'", place=f"layers[{l}]")
        out = (int(layer["units"]),)
        act, alpha = read_activation(layer, l, L, out[0])
        return cls(below, out, after_map=len(below) == 3), act, alpha

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        place = f"weights[{l - 1}]"
        if not isinstance(w, list):
            raise SpecError(f"expected a matrix {self.expected_weights()} for layers[{l}] (dense)", place=place)
        flat = " (the map below flattened, plus the bias column)" if self.after_map else ""
        return read_matrix(w, self.param_shape, f"d{sup(l)} × (d{sup(l - 1)}+1){flat}", place)

    @property
    def plain(self) -> bool:
        return not self.after_map

    @property
    def param_shape(self) -> Shape:
        return (self.out_shape[0], self.in_size + 1)

    def with_one(self, O: np.ndarray) -> np.ndarray:
        return ones_on_top(O) if self.after_map else O

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

    def follows_profiles(self) -> bool:  # after a map, the map family writes its steps in the profile
        return True

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

    def code(self, l: int, L: int) -> LayerCode:
        """nn.Linear in PyTorch (its bias is bptui's column 0); the lecture's s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ in NumPy."""
        return self.code_from(l, L, l - 1)

    def code_from(self, l: int, L: int, src: int) -> LayerCode:
        """:meth:`code`, reading o⁽ˢʳᶜ⁾ (inside or after a residual block); what it sends down is still
        written to ``back[l - 1]``."""
        p, n_in, n_out = src, self.in_size, self.out_shape[0]
        below = f"o[{p}]" if not self.after_map else f"np.concatenate([[1.0], o[{p}].ravel()])"
        vec = f"o{sup(p)}" if not self.after_map else f"[1, vec(o{sup(p)})]"
        back = f"back[{l - 1}] = (W[{l}].T @ d[{l}])[1:]"
        if self.after_map:
            back += f".reshape{self.in_shape}"
        return LayerCode(
            module=f"torch.nn.Linear({n_in}, {n_out})",
            params=(("bias", "M[:, 0]", True), ("weight", "M[:, 1:]", False)),
            forward=f"layer[{l}](o[{p}]{'.flatten()' if self.after_map else ''})",
            matrix=f"torch.cat([layer[{l}].bias{{a}}[:, None], layer[{l}].weight{{a}}], 1)",
            np_forward=(f"s[{l}] = W[{l}] @ {below}  # s{sup(l)} = W{sup(l)} {vec}",),
            np_grad=(f"G[{l}] += np.outer(d[{l}], {below})  # G{sup(l)} += δ{sup(l)} {vec}ᵀ",),
            np_back=(f"{back}  # ∂ℓ/∂o{sup(p)} = (W{sup(l)}ᵀ δ{sup(l)}) without the bias row",),
            seq=(("s", (f"{{S}} = layer[{l}]({{X}})", "{S}.retain_grad()", f"check({{S}}, f\"s{sup(l)}{{at}}\")")),
                 ("o", (f"{{O}} = {{f}}", f"check(one({{O}}), f\"o{sup(l)}{{at}} = [1, f(s)]\")" if l < L
                        else f"check({{O}}, f\"o{sup(l)}{{at}}\")")),
                 ("delta", (f"check({{S}}.grad, f\"δ{sup(l)}{{at}} (∂ℓ/∂s: .grad)\")",)),
                 ("G", (f"G[{l}] = G[{l}] + torch.outer({{S}}.grad, one({{X}}))  # G{sup(l)} += δ{sup(l)} [1, x]ᵀ",
                        f"check(G[{l}], \"G{sup(l)} so far\")"))),
            np_seq=(("s", (f"{{S}} = W[{l}] @ one({{X}})  # s{sup(l)} = W{sup(l)} [1, x]", f"check({{S}}, f\"s{sup(l)}{{at}}\")")),
                    ("o", ((f"{{O}} = one({{f}})  # o{sup(l)} = [1, f(s{sup(l)})]" if l < L else f"{{O}} = {{f}}"),
                           f"check({{O}}, f\"o{sup(l)}{{at}}\")")),
                    ("delta", (f"{{D}} = {{up}} * ({{df}})  # δ{sup(l)} = ∂ℓ/∂o{sup(l)} ⊙ f′(s{sup(l)})",
                               f"check({{D}}, f\"δ{sup(l)}{{at}}\")")),
                    ("G", (f"G[{l}] += np.outer({{D}}, one({{X}}))  # G{sup(l)} += δ{sup(l)} [1, x]ᵀ",
                           f"check(G[{l}], \"G{sup(l)} so far\")"))),
        )

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """z = W a + b (a column profile), z = a W + b (rows: cs231n's scores = x W + b, W D × C), or z = W a
        with the 1 on top of a (the bias in column 0); the gradient's term δ aᵀ (aᵀ δ with rows), a mean
        profile's over the group's m; ∂ℓ/∂a below = Wᵀ δ (δ Wᵀ with rows; without the bias row). After a map: its
        vec (maps/profiled.py)."""
        if self.after_map:  # vec(a) of the map below (the map family's module writes it)
            from .maps.profiled import dense_after_map_code

            return dense_after_map_code(self.in_shape, n, row, separate, mean)
        t = {k[1:]: v for k, v in n.items() if k.startswith("~")}
        lib = n.get("lib", "np")
        per, shown = mean_divisor(n, mean)  # the group's size as the panels print it (|B| or m)
        W, b, a, dz, dW, db = n["W"], n["b"], n["a_in"], n["dz"], n["dW"], n["db"]
        if not separate:
            return ProfiledCode(
                f"{W} @ {a}", f"{t['z']} = {t['W']} {t['a_in']}",
                (f"{dW} += {lib}.outer({dz}, {a}){per}  # {t['dW']} ← {t['dW']} + ({t['dz']} {t['a_in']}ᵀ){shown}",),
                f"({W}.T @ {dz})[1:]", f"{t['da_in']} = ({t['W']}ᵀ {t['dz']}) without the bias row")
        if row:
            return ProfiledCode(
                f"{a} @ {W} + {b}", f"{t['z']} = {t['a_in']} {t['W']} + {t['b']}",
                (f"{dW} += {a}.T @ {dz}{per}  # {t['dW']} ← {t['dW']} + ({t['a_in']}ᵀ {t['dz']}){shown}",
                 f"{db} += {lib}.sum({dz}, axis=0){per}  # {t['db']} ← {t['db']} + {t['dz']}{shown}"),
                f"{dz} @ {W}.T", f"{t['da_in']} = {t['dz']} {t['W']}ᵀ")
        return ProfiledCode(
            f"{W} @ {a} + {b}", f"{t['z']} = {t['W']} {t['a_in']} + {t['b']}",
            (f"{dW} += {lib}.outer({dz}, {a}){per}  # {t['dW']} ← {t['dW']} + ({t['dz']} {t['a_in']}ᵀ){shown}",
             f"{db} += {dz}{per}  # {t['db']} ← {t['db']} + {t['dz']}{shown}"),
            f"{W}.T @ {dz}", f"{t['da_in']} = {t['W']}ᵀ {t['dz']}")

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Every unit of s, o (never a hidden o's bias 1), δ, at τ in a sequence; every entry of G, W."""
        from ..engine.quizcells import matrix_cells, unit_cells  # the quiz's: not the file reader's import

        q = key.quantity
        if q in ("G", "W"):
            return matrix_cells(self, l, q, value)
        return unit_cells(self, l, q, key.time, value, first=int(q == "o" and l < L))

    # -- the engine's questions (engine/kind.py): after a map, the map family's modules write its steps -----
    def claims_step(self, net: Any, key: Any) -> bool:
        if not self.after_map:  # (the map family's modules are imported only for a network that has maps)
            return False
        from .maps import equations

        return equations.wants(net, key)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:
        from .maps import equations

        return equations.step_equations(net, state, step, pos)

    def prepare_steps(self) -> None:
        if self.after_map:  # (as ``claims_step``: the map family's modules only for a network that has maps)
            from .maps import equations  # noqa: F401

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        from .maps import equations

        return equations.step_equations(net, state, step, pos, notation)

    def explains(self, spec: Any, cell: Any) -> bool:
        from .maps import explain

        return self.after_map and explain.handles(spec, cell)

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        from .maps import explain

        return explain.explain_map(stepper, cell, digits)

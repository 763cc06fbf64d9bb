"""The GRU layer (``gru``): PyTorch's ``nn.GRU`` equations, gate order r, z, n.

For τ = 1..T, with h_0 = 0:

    s_τ = [sx; sh] = [W [1; x_τ]; U [1; h_{τ−1}]]            (2 × 3h: each with its own bias, as PyTorch)
    r = σ(sx_r + sh_r),  z = σ(sx_z + sh_z),  n = tanh(sx_n + r ⊙ sh_n)
    h_τ = (1 − z) ⊙ n + z ⊙ h_{τ−1}                          (the layer's o_τ: what the layers above read)

Backward, τ = T..1 (δ only for the gates' pre-activations: r, z and n's sx_n + r ⊙ sh_n):

    ∂ℓ/∂h_τ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] + U_hᵀ δʰ_{τ+1} + z_{τ+1} ⊙ ∂ℓ/∂h_{τ+1}
    δ_n = ∂ℓ/∂h_τ ⊙ (1 − z) ⊙ (1 − n²),  δ_z = ∂ℓ/∂h_τ ⊙ (h_{τ−1} − n) ⊙ z(1 − z),  δ_r = δ_n ⊙ sh_n ⊙ r(1 − r)
    δʰ = [δ_r; δ_z; r ⊙ δ_n]                                 (what reaches U's product)
    G ← G + [δ [1, x_τ]ᵀ │ δʰ [1, h_{τ−1}]ᵀ]

The weights are stored as one matrix [W | U] of 3h × (1 + d + 1 + h): W's bias in column 0 and U's own
bias in column 1 + d (PyTorch's ``bias_hh``: n's sits inside r ⊙ (·)); files show ``{"W": 3h × (d+1),
"U": 3h × (h+1)}``. L2 never touches either bias column. PyTorch's weights are ``bias_ih`` = W[:, 0],
``weight_ih`` = W[:, 1:], ``bias_hh`` = U[:, 0], ``weight_hh`` = U[:, 1:].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import LayerCode, ProfiledCode, matmul, mean_divisor
from ...formulas.formula import Partial, Sym
from ...formulas.notation import sup
from ...util.special import sigmoid
from .layer import Recurrent, _braces, profiled_common, recurrent_grad_sym, weight_words

GATES = ("r", "z", "n")
GATE_WORDS = {"r": "reset gate", "z": "update gate", "n": "candidate"}
ELL = Sym("ℓ", latex=r"\ell")


def activate(sx: np.ndarray, sh: np.ndarray, h: int) -> np.ndarray:
    """The gates [r, z, n] from W's and U's products (the last axis 3h)."""
    a = sigmoid(sx + sh)
    a[..., 2 * h:] = np.tanh(sx[..., 2 * h:] + a[..., :h] * sh[..., 2 * h:])
    return a


@dataclass(frozen=True)
class Gru(Recurrent):
    """The GRU layer (see the module's docstring): ``in_shape`` (d,), ``out_shape`` (h,)."""

    type: ClassVar[str] = "gru"
    unrolled_box: ClassVar[bool] = False  # its gates are no s, o box: the panels show them by τ
    gates: ClassVar[int] = 3
    u_bias: ClassVar[int] = 1
    gate_order: ClassVar[str] = "rzn"
    output_name: ClassVar[str] = "h"
    fixed: ClassVar[str] = "its gates use σ and tanh, as PyTorch's nn.GRU"
    takes_activation: ClassVar[bool] = False
    keys: ClassVar[frozenset[str]] = frozenset({"type", "units", "activation", "alpha", "return_sequences"})

    @property
    def bias_columns(self) -> tuple[int, ...]:
        return (0, 1 + self.d)

    def separate_biases(self, l: int) -> list[tuple[int, Any, Any]]:
        """U's own bias column (PyTorch's ``bias_hh``) as b⁽ˡ⁾_{h} where a profile writes b apart."""
        from .profiled import u_bias, u_bias_grad

        return [(1 + self.d, u_bias(l), u_bias_grad(l))]

    def block_forward(self) -> list[str]:
        return ["s", "gates", "h"]

    def block_backward(self) -> list[str]:
        return ["dh", "delta", "G"]

    def entries(self, quantity: str) -> int:
        return {"s": 6 * self.h, "gates": 3 * self.h, "delta": 3 * self.h}.get(quantity, self.h)

    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("its two products", 6 * self.h), ("its gates", 3 * self.h), ("its output", self.h))

    # -- names -------------------------------------------------------------------------------------------
    def gate_of(self, row: int) -> tuple[str, int]:
        return GATES[row // self.h], row % self.h + 1

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """w⁽ˡ⁾_{z,b,a} in W (a = 0 its bias), u⁽ˡ⁾_{z,b,c} in U (c = 0 U's own bias)."""
        gate, b = self.gate_of(row)
        if col > self.d:
            return Sym("u", l, (gate, b, col - self.d - 1), group=True)
        return Sym("w", l, (gate, b, col), group=True)

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        return recurrent_grad_sym(self.weight_sym(l, row, col))

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        return self.profiled_weight_text(spec, l, b, a, None)

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """Which of W's or U's weights (b, a) is, its gate, units and layer as ``notation`` writes them (None:
        the lecture's), as the weight's name counts them."""
        gate, unit = self.gate_of(b - 1)
        n, layer, W, h, letter = weight_words(notation, l)
        what = f"the {GATE_WORDS[gate]} {letter(gate)} of unit {n(unit)} of layer {layer}"
        if a == self.d + 1:
            return f"U's own bias of {what}" + (f" (inside {letter('r')} ⊙ (·))" if gate == "n" else "")
        if a > self.d + 1:
            return f"U: the weight from unit {n(a - self.d - 1)} of {h} at τ − 1 to {what}, the same at every time step"
        if a:
            return f"{W}: the weight from input {n(a)} of x_τ to {what}, the same at every time step"
        return f"the bias of {what}" if notation is not None and notation.separate_bias else f"{W}'s bias of {what}"

    # -- over time, a batch ----------------------------------------------------------------------------------
    def run(self, W: np.ndarray, X: np.ndarray, f: Any = None, active: np.ndarray | None = None
            ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """((A, SH), H): A (T, n, 3h) the gates [r, z, n], SH (T, n, 3h) U [1; h_{τ−1}], H (T + 1, n, h)."""
        T, n, _ = X.shape
        h, d = self.h, self.d
        dtype = np.result_type(W, X)
        A = np.zeros((T, n, 3 * h), dtype=dtype)
        SH = np.zeros((T, n, 3 * h), dtype=dtype)
        H = np.zeros((T + 1, n, h), dtype=dtype)
        XW = (matmul(X.reshape(T * n, d), W[:, 1:1 + d].T) + W[:, 0]).reshape(T, n, 3 * h)
        UT, bu = W[:, 2 + d:].T, W[:, 1 + d]
        for t in range(T):
            m = n if active is None else int(active[t])
            sh = SH[t, :m] = H[t, :m] @ UT + bu
            a = A[t, :m] = activate(XW[t, :m], sh, h)
            z, nn = a[:, h:2 * h], a[:, 2 * h:]
            H[t + 1, :m] = (1.0 - z) * nn + z * H[t, :m]
        return (A, SH), H

    def bptt(self, W: np.ndarray, X: np.ndarray, saved: tuple[np.ndarray, np.ndarray], H: np.ndarray,
             above: np.ndarray, df: Any = None, active: np.ndarray | None = None,
             record: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(G, Δ) on :meth:`run`'s arrays; Δ (T, n, 3h) the gates' δ [δ_r, δ_z, δ_n]. ``record`` (when
        given) receives ∂ℓ/∂h_τ as ``"dh"``, (T, n, h)."""
        A, SH = saved
        T, n, h3 = A.shape
        h, d = h3 // 3, self.d
        Uh = W[:, 2 + d:]
        D = np.zeros_like(A)
        DH = np.zeros_like(A)  # δʰ = [δ_r, δ_z, r ⊙ δ_n]
        dh_next = np.zeros((n, h), dtype=A.dtype)
        kept = np.zeros((T, n, h), dtype=A.dtype) if record is not None else None
        for t in range(T - 1, -1, -1):
            m = n if active is None else int(active[t])
            a = A[t, :m]
            r, z, nn = a[:, :h], a[:, h:2 * h], a[:, 2 * h:]
            dh = above[t, :m].copy()
            if t + 1 < T:
                dh += DH[t + 1, :m] @ Uh + A[t + 1, :m, h:2 * h] * dh_next[:m]
            dn = dh * (1.0 - z) * (1.0 - nn * nn)
            D[t, :m, 2 * h:] = dn
            D[t, :m, h:2 * h] = dh * (H[t, :m] - nn) * z * (1.0 - z)
            D[t, :m, :h] = dn * SH[t, :m, 2 * h:] * r * (1.0 - r)
            DH[t, :m, :2 * h] = D[t, :m, :2 * h]
            DH[t, :m, 2 * h:] = r * dn
            dh_next[:m] = dh
            if kept is not None:
                kept[t, :m] = dh
        if record is not None:
            record["dh"] = kept
        G = np.empty(self.param_shape, dtype=A.dtype)
        Dm, DHm = D.reshape(T * n, h3), DH.reshape(T * n, h3)
        G[:, 0] = Dm.sum(axis=0)
        G[:, 1:1 + d] = matmul(Dm.T, X.reshape(T * n, d))
        G[:, 1 + d] = DHm.sum(axis=0)
        G[:, 2 + d:] = matmul(DHm.T, H[:-1].reshape(T * n, h))
        return G, D

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        from . import keyformulas

        return keyformulas.gru(net, state, key, index, before)

    def rules(self, net: Any, l: int) -> list | None:
        from . import gru_equations

        return gru_equations.rules(net, l)

    def notation(self, l: int) -> str | None:
        return (f"Layer {l} is a GRU (PyTorch's nn.GRU), with its rules above: the layer above reads its "
                rf"$h^{{({l})}}_\tau$ as $o^{{({l})}}_\tau$; its weights are named with their gate, then the unit "
                "and the column.")

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Any:
        from .gru_explain import unit_sym

        return unit_sym(self.step_name(quantity), l, b, time, self.h)

    def panel_rows(self, width: int) -> list[tuple[str, list[str]]]:
        """s (W's product, then U's) and δ by gate and unit, the gates r, z, n, h (the board's o), ∂ℓ/∂h."""
        by_gate = [f"{g}{b}" for g in GATES for b in range(1, width + 1)]
        units = [str(b) for b in range(1, width + 1)]
        return [("s", [f"sx {x}" for x in by_gate] + [f"sh {x}" for x in by_gate]), ("gates", by_gate),
                ("o", [f"h {x}" for x in units]), ("dh", [f"∂h {x}" for x in units]),
                ("delta", [f"δ {x}" for x in by_gate])]

    def panel_norms(self) -> list[tuple[str, str]]:
        return [("dh", "‖∂h_τ‖")]

    def panel_parts(self, quantity: str, l: int) -> list[tuple[int, Any]]:
        """s's rows as its two products: W's s⁽ˡ⁾_{x} (rows r1 … n_h), then U's s⁽ˡ⁾_{h} (n reads r ⊙ s_{h,n})."""
        if quantity != "s":
            return []
        from .gru_equations import product

        return [(0, product("x", l)), (self.rows, product("h", l))]

    def step_sym(self, quantity: str, l: int, time: int | None) -> Any:
        """The gates [r, z, n]⁽ˡ⁾_τ, h⁽ˡ⁾_τ, ∂ℓ/∂h⁽ˡ⁾_τ."""
        if quantity == "gates":
            return Sym("[r, z, n]", l, vector=True, latex="[r, z, n]", time=time)
        if quantity == "h":
            return Sym("h", l, vector=True, time=time)
        if quantity == "dh":
            return Partial(ELL, Sym("h", l, vector=True, time=time), prefixed=True)
        return None

    def code_symbols(self, l: int) -> dict[str, Any]:
        """What a profile's program comments name as the panels print it (codegen/profiled.py prints each in the
        profile: a symbol, or a note's words and symbols): δʰ at τ and τ+1 (cs231n's dscoresʰ¹_τ), the update gate z
        at τ+1 (ng's u), the gates' δ [δ_r, δ_z, δ_n] and δʰ = [δ_r, δ_z, r ⊙ δ_n] as the trace's notes write them."""
        from . import equations, gru_equations

        return {"dH": gru_equations.delta_h(l, "τ"), "dH_next": gru_equations.delta_h(l, "τ+1"),
                "gate_z_next": gru_equations.gate_sym("z", l, "τ+1"), "gate_deltas": equations.gate_deltas("rzn"),
                "dH_said": equations.delta_h_said()}

    def explains_own(self, spec: Any, cell: Any) -> bool:
        from . import gru_explain

        return gru_explain.explains(spec, cell)

    def explain_own(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import gru_explain

        return gru_explain.explain(stepper, cell, digits)

    def time_equations(self, net: Any, state: Any, step: Any) -> tuple:
        from . import gru_equations

        return gru_equations.equations(net, state, step)

    # -- one example, τ by τ ------------------------------------------------------------------------------
    def start_rows(self, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """s (T × 6h: W's and U's products), h (as o), δ (T × 3h), the gates (T × 3h) and ∂ℓ/∂h (T × h)."""
        _, o, d, _ = super().start_rows(T)
        return (np.full((T, 6 * self.h), np.nan), o, d,
                {"gates": np.full((T, 3 * self.h), np.nan), "dh": np.full((T, self.h), np.nan)})

    def h_input(self, st: Any, l: int, t: int) -> np.ndarray:
        """[1, h⁽ˡ⁾_{τ−1}]: what U multiplies at τ."""
        return np.concatenate([[1.0], st.o[l][t - 1]])

    def delta_h(self, st: Any, l: int, t: int) -> np.ndarray:
        """δʰ_τ = [δ_r, δ_z, r ⊙ δ_n]: what reaches U's product at τ."""
        h = self.h
        dl, r = st.delta[l][t - 1], st.extra["gates", l][t - 1][:h]
        return np.concatenate([dl[:2 * h], r * dl[2 * h:]])

    def code(self, l: int, L: int) -> LayerCode:
        """The gates written out (nn.GRU hides them, and n's pre-activation sx_n + r ⊙ sh_n), so that every
        step is checked."""
        d, h, S = self.d, self.h, sup(l)
        r, z, n = f"a{l}[t][:{h}]", f"a{l}[t][{h}:{2 * h}]", f"a{l}[t][{2 * h}:]"
        chk = {q: f"f\"{q.split(' ')[0]}{S}_{{{{t}}}}{q[len(q.split(' ')[0]):]}\""
               for q in ("s = [sx; sh]", "gates [r, z, n]", "h", "∂ℓ/∂h", "δ")}
        G_text = f"# G{S} += [δ_τ [1, x_τ]ᵀ | δʰ_τ [1, h_τ−1]ᵀ]"
        return self.torch_code(
            l,
            seq_start=(f"o[{l}][0] = torch.zeros({h})  # h{S}_0 = 0",
                       f"sx{l}, sh{l}, pre{l}, pn{l}, a{l} = ([None] * (T + 1) for _ in range(5))  # W's, U's products, the gates"),
            seq=(("s", (f"sx{l}[t] = layer[{l}].bias_ih + layer[{l}].weight_ih @ x[{l}][t]  # sx = W [1, x_τ]",
                        f"sh{l}[t] = layer[{l}].bias_hh + layer[{l}].weight_hh @ o[{l}][t - 1]  # sh = U [1, h_τ−1]",
                        f"s[{l}][t] = torch.cat([sx{l}[t], sh{l}[t]])", f"check(s[{l}][t], {chk['s = [sx; sh]']})")),
                 ("gates", (f"pre{l}[t] = sx{l}[t][:{2 * h}] + sh{l}[t][:{2 * h}]  # r's and z's pre-activations",
                            f"pre{l}[t].retain_grad()",
                            f"pn{l}[t] = sx{l}[t][{2 * h}:] + torch.sigmoid(pre{l}[t][:{h}]) * sh{l}[t][{2 * h}:]  # n's: sx_n + r ⊙ sh_n",
                            f"pn{l}[t].retain_grad()",
                            f"a{l}[t] = torch.cat([torch.sigmoid(pre{l}[t]), torch.tanh(pn{l}[t])])  # r, z = σ(·), n = tanh(·)",
                            f"check(a{l}[t], {chk['gates [r, z, n]']})")),
                 ("h", (f"o[{l}][t] = (1 - {z}) * {n} + {z} * o[{l}][t - 1]  # h_τ = (1 − z) ⊙ n + z ⊙ h_τ−1",
                        f"o[{l}][t].retain_grad()  # keep ∂ℓ/∂h_τ", f"check(o[{l}][t], {chk['h']})")),
                 ("dh", (f"check(o[{l}][t].grad, {chk['∂ℓ/∂h']})",)),
                 ("delta", (f"delta = torch.cat([pre{l}[t].grad, pn{l}[t].grad])  # δ_τ: ∂ℓ/∂ of r's, z's and n's pre-activations",
                            f"check(delta, {chk['δ']})")),
                 ("G", (f"delta_h = torch.cat([pre{l}[t].grad, {r}.detach() * pn{l}[t].grad])  # δʰ_τ = [δ_r, δ_z, r ⊙ δ_n]",
                        f"G[{l}] = G[{l}] + torch.cat([torch.outer(delta, one(x[{l}][t])), torch.outer(delta_h, one(o[{l}][t - 1]))], 1)  {G_text}",
                        f"check(G[{l}], \"G{S} so far\")"))),
            np_seq_start=(f"o[{l}][0] = np.zeros({h})  # h{S}_0 = 0",
                          f"a{l}, dh{l}, dH{l} = [None] * (T + 2), [None] * (T + 2), [None] * (T + 2)  # gates, ∂ℓ/∂h, δʰ"),
            np_seq=(("s", (f"s[{l}][t] = np.concatenate([W[{l}][:, :{1 + d}] @ one(x[{l}][t]), W[{l}][:, {1 + d}:] @ one(o[{l}][t - 1])])"
                           f"  # s = [sx; sh] = [W [1, x_τ]; U [1, h_τ−1]]", f"check(s[{l}][t], {chk['s = [sx; sh]']})")),
                    ("gates", (f"sx, sh = s[{l}][t][:{3 * h}], s[{l}][t][{3 * h}:]",
                               f"rz = 1 / (1 + np.exp(-(sx[:{2 * h}] + sh[:{2 * h}])))  # r, z = σ(sx + sh)",
                               f"a{l}[t] = np.concatenate([rz, np.tanh(sx[{2 * h}:] + rz[:{h}] * sh[{2 * h}:])])  # n = tanh(sx_n + r ⊙ sh_n)",
                               f"check(a{l}[t], {chk['gates [r, z, n]']})")),
                    ("h", (f"o[{l}][t] = (1 - {z}) * {n} + {z} * o[{l}][t - 1]  # h_τ = (1 − z) ⊙ n + z ⊙ h_τ−1",
                           f"check(o[{l}][t], {chk['h']})")),
                    ("dh", (f"dh{l}[t] = {{up}} + (W[{l}][:, {2 + d}:].T @ dH{l}[t + 1] + a{l}[t + 1][{h}:{2 * h}] * dh{l}[t + 1] "
                            f"if t < T else 0)  # ∂ℓ/∂h_τ = from above + U_hᵀ δʰ_τ+1 + z_τ+1 ⊙ ∂ℓ/∂h_τ+1",
                            f"check(dh{l}[t], {chk['∂ℓ/∂h']})")),
                    ("delta", (f"dn = dh{l}[t] * (1 - {z}) * (1 - {n} ** 2)  # δ_n",
                               f"d[{l}][t] = np.concatenate([dn * s[{l}][t][{5 * h}:] * {r} * (1 - {r}), "
                               f"dh{l}[t] * (o[{l}][t - 1] - {n}) * {z} * (1 - {z}), dn])  # δ_τ = [δ_r, δ_z, δ_n]",
                               f"dH{l}[t] = np.concatenate([d[{l}][t][:{2 * h}], {r} * dn])  # δʰ_τ = [δ_r, δ_z, r ⊙ δ_n]",
                               f"check(d[{l}][t], {chk['δ']})")),
                    ("G", (f"G[{l}] += np.concatenate([np.outer(d[{l}][t], one(x[{l}][t])), np.outer(dH{l}[t], one(o[{l}][t - 1]))], axis=1)"
                           f"  {G_text}", f"check(G[{l}], \"G{S} so far\")"))))

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """At τ, as the profile's steps write it: s_τ = [W a_τ + b; U h_{τ−1} + b_h] (the bias in column 0: [W [1, a_τ];
        U [1, h_{τ−1}]]; rows: a_τ W + b, h_{τ−1} U + b_h), the gates r, z = σ(sx + sh), n = tanh(sx_n + r ⊙ sh_n),
        h_τ = (1 − z) ⊙ n + z ⊙ h_{τ−1} (kept as the layer's output a_τ); back through time ∂ℓ/∂h_τ = from above +
        Uᵀ δʰ_{τ+1} + z_{τ+1} ⊙ ∂ℓ/∂h_{τ+1} with δʰ = [δ_r, δ_z, r ⊙ δ_n], δ_τ = [δ_r, δ_z, δ_n] (NumPy; PyTorch's
        are autograd's .grad of h_τ and of the gates' pre-activations, kept as one vector); the gradients of W, U,
        b and b_h apart: δ_τ a_τᵀ, δʰ_τ h_{τ−1}ᵀ, δ_τ, δʰ_τ (each over m in a mean profile; transposed with rows).
        A row profile's vectors are 1 × n rows: each block is taken on the last axis."""
        c = profiled_common(self, n, row, separate, mean)
        e, label, lib, h, torch = c.e, c.label, n["lib"], self.h, c.torch
        t = {k[1:]: v for k, v in n.items() if k.startswith("~")}
        W, U, b, bh, a, prev, z, out, gates = n["W"], n["U"], n["b"], n["bh"], n["a_in"], n["a_prev"], n["z"], n["a"], n["gates"]
        cat = "torch.cat" if torch else "np.concatenate"
        sig = (lambda x: f"torch.sigmoid({x})") if torch else (lambda x: f"1 / (1 + np.exp(-{x}))")
        one = (lambda x: f"{cat}([{lib}.ones(1), {x}])") if torch else (lambda x: f"np.concatenate([[1.0], {x}])")
        r, u, cand = (f"{gates}[..., {i}:{j}]" for i, j in ((0, h), (h, 2 * h), (2 * h, 3 * h)))
        R, Z, N = e["gate_r"], e["gate_z"], e["gate_n"]  # the gates' letters as the profile prints them (ng's update gate u)
        sx, sh = f"{z}[..., :{3 * h}]", f"{z}[..., {3 * h}:]"
        if row:
            forward, said = f"{cat}([{a} @ {W} + {b}, {prev} @ {U} + {bh}], -1)", \
                f"[{t['a_in']} {t['W']} + {t['b']}, {t['a_prev']} {t['U']} + {t['bh']}]"
        elif separate:
            forward, said = f"{cat}([{W} @ {a} + {b}, {U} @ {prev} + {bh}])", \
                f"[{t['W']} {t['a_in']} + {t['b']}; {t['U']} {t['a_prev']} + {t['bh']}]"
        else:
            forward, said = f"{cat}([{W} @ {a}, {U} @ {one(prev)}])", f"[{t['W']} {t['a_in']}; {t['U']} [1, {t['a_prev']}]]"

        def delta_h(dz: str, g: str) -> str:  # δʰ = [δ_r, δ_z, r ⊙ δ_n] of δ ``dz`` with the gates ``g``
            return f"{cat}([{dz}[..., :{2 * h}], {g}[..., :{h}] * {dz}[..., {2 * h}:]], -1)"

        pre, pn = f"{n['gates_list']}_pre", f"{n['gates_list']}_pre_n"  # PyTorch: r's and z's pre-activations, n's
        dz = f"torch.cat([{pre}[t].grad, {pn}[t].grad], -1)" if torch else n["dz"]
        dzh = f"torch.cat([{pre}[t].grad, {r} * {pn}[t].grad], -1)" if torch else delta_h(dz, gates)
        per, shown = mean_divisor(n, mean)  # the group's size as the panels print it (|B| or m)
        if row:
            terms = [(n["dW"], f"{a}.T @ {dz}", f"{t['a_in']}ᵀ {t['dz']}"), (n["dU"], f"{prev}.T @ {dzh}", f"{t['a_prev']}ᵀ {t['dH']}"),
                     (n["db"], f"{lib}.sum({dz}, axis=0)", t["dz"]), (n["dbh"], f"{lib}.sum({dzh}, axis=0)", t["dH"])]
            back, back_said = f"{dz} @ {W}.T", f"{t['dz']} {t['W']}ᵀ"
        else:
            hin = prev if separate else one(prev)
            terms = [(n["dW"], f"{lib}.outer({dz}, {a})", f"{t['dz']} {t['a_in']}ᵀ"),
                     (n["dU"], f"{lib}.outer({dzh}, {hin})", f"{t['dH']} {t['a_prev']}ᵀ" if separate else f"{t['dH']} [1, {t['a_prev']}]ᵀ")]
            if separate:
                terms += [(n["db"], dz, t["dz"]), (n["dbh"], dzh, t["dH"])]
            back = f"{W}.T @ {dz}" if separate else f"({W}.T @ {dz})[1:]"
            back_said = f"{t['W']}ᵀ {t['dz']}" + ("" if separate else " without the bias row")
        names = (t["dW"], t["dU"], t["db"], t["dbh"]) if separate else (t["dW"], t["dU"])
        grad = tuple(f"{g} += {term}{per}  # {sg} ← {sg} + ({term_said}){shown}" for (g, term, term_said), sg in zip(terms, names))
        if torch:
            lists = [n["gates_list"], pre, pn]
        else:
            lists = [n["gates_list"], n["dh_list"]]
        start = c.start + (f"{', '.join(lists)} = ([None] * (T + 2) for _ in range({len(lists)}))  # the gates"
                           + (", their pre-activations" if torch else ", ∂/∂h") + " at τ = 1 … T",)
        keep = (lambda x, what: (f"{x}.retain_grad()  # keep {what} after backward()",)) if torch else (lambda x, what: ())
        s_lines = (f"{z} = {forward}  # {e['z']} = {_braces(said)}", f"check({z}, {label('z')})")
        if torch:
            gate_lines: tuple[str, ...] = (
                f"{pre}[t] = {sx}[..., :{2 * h}] + {sh}[..., :{2 * h}]  # {R}'s and {Z}'s pre-activations: sx + sh",
                f"{pre}[t].retain_grad()  # keep δ_{R}, δ_{Z} after backward()",
                f"{pn}[t] = {sx}[..., {2 * h}:] + {sig(f'{pre}[t][..., :{h}]')} * {sh}[..., {2 * h}:]  # {N}'s: sx_{N} + {R} ⊙ sh_{N}",
                f"{pn}[t].retain_grad()  # keep δ_{N} after backward()",
                f"{gates} = torch.cat([{sig(f'{pre}[t]')}, torch.tanh({pn}[t])], -1)  # {e['gates']}: σ, σ, tanh",
                f"check({gates}, {label('gates')})")
        else:
            rz = f"{sig(f'({sx}[..., :{2 * h}] + {sh}[..., :{2 * h}])')}"
            gate_lines = (f"{gates} = {rz}  # {R}, {Z} = σ(sx + sh)",
                          f"{gates} = np.concatenate([{gates}, np.tanh({sx}[..., {2 * h}:] + {gates}[..., :{h}] * {sh}[..., {2 * h}:])], -1)"
                          f"  # {e['gates']}: {N} = tanh(sx_{N} + {R} ⊙ sh_{N})", f"check({gates}, {label('gates')})")
        forward_steps = (
            ("s", s_lines), ("gates", gate_lines),
            ("h", (f"{out} = (1 - {u}) * {cand} + {u} * {prev}  # {e['out']} = (1 − {Z}) ⊙ {N} + {Z} ⊙ {e['a_prev']}",
                   *keep(out, e["dh"]), f"check({out}, {label('out')})")))
        if torch:
            backward: tuple[tuple[str, tuple[str, ...]], ...] = (
                ("dh", (f"check({out}.grad, {label('dh', ' (' + out + '.grad)')})",)),
                ("delta", (f"check({dz}, {label('dz', ' (the pre-activations’ .grad)')})",)))
        else:
            dh, dzn, gn = n["dh"], n["dz_next"], n["gates_next"]
            rec = f"{delta_h(dzn, gn)} @ {U}.T" if row else f"{U}.T @ {delta_h(dzn, gn)}" if separate \
                else f"({U}.T @ {delta_h(dzn, gn)})[1:]"
            rec_said = f"{t['dH_next']} {t['U']}ᵀ" if row else f"{t['U']}ᵀ {t['dH_next']}"
            dn = f"{dh} * (1 - {u}) * (1 - {cand} ** 2)"
            backward = (
                ("dh", (f"{dh} = {{up}} + ({rec} + {gn}[..., {h}:{2 * h}] * {n['dh_next']} if t < T else 0)"
                        f"  # {e['dh']} = from above + {_braces(rec_said)} + {e['gate_z_next']} ⊙ {e['dh_next']}", f"check({dh}, {label('dh')})")),
                ("delta", (f"{n['dz']} = np.concatenate([{dn} * {sh}[..., {2 * h}:] * {r} * (1 - {r}), "
                           f"{dh} * ({prev} - {cand}) * {u} * (1 - {u}), {dn}], -1)  # {e['dz']} = {e['gate_deltas']} ({e['dH_said']} reaches {e['U']})",
                           f"check({n['dz']}, {label('dz')})")))
        return ProfiledCode(forward, said, grad, back, back_said, steps=forward_steps + backward, start=start)

    def time_step(self, net: Any, st: Any, key: Any) -> tuple[np.ndarray, np.ndarray | None]:
        from . import steps

        l, t, h, q = key.layer, key.time, self.h, key.quantity
        if q == "s":
            value = steps._ro(np.concatenate([self.W_part(st.W[l]) @ steps.below(net, st, l, t),
                                              self.U_part(st.W[l]) @ self.h_input(st, l, t)]))
            st.s[l] = steps._set_row(st.s[l], t - 1, value)
            return value, None
        if q == "G":
            inc = np.concatenate([np.outer(st.delta[l][t - 1], steps.below(net, st, l, t)),
                                  np.outer(self.delta_h(st, l, t), self.h_input(st, l, t))], axis=1)
            return steps.add_G(st, l, inc)
        s = st.s[l][t - 1]
        if q == "gates":
            return steps.set_extra(st, "gates", l, t - 1, steps._ro(activate(s[:3 * h], s[3 * h:], h))), None
        a = st.extra["gates", l][t - 1]
        r, z, nn = a[:h], a[h:2 * h], a[2 * h:]
        hp = st.o[l][t - 1]
        if q == "h":
            value = steps._ro((1.0 - z) * nn + z * hp)
            st.o[l] = steps._set_row(st.o[l], t, value)
            return value, None
        if q == "dh":
            value = steps.from_above(net, st, l, t)
            if t < len(st.s[l]):
                value = value + self.U_part(st.W[l])[:, 1:].T @ self.delta_h(st, l, t + 1) \
                    + st.extra["gates", l][t][h:2 * h] * st.extra["dh", l][t]
            return steps.set_extra(st, "dh", l, t - 1, steps._ro(value)), None
        assert q == "delta"
        dh = st.extra["dh", l][t - 1]
        dn = dh * (1.0 - z) * (1.0 - nn * nn)
        value = steps._ro(np.concatenate([dn * s[5 * h:] * r * (1.0 - r), dh * (hp - nn) * z * (1.0 - z), dn]))
        st.delta[l] = steps._set_row(st.delta[l], t - 1, value)
        return value, None

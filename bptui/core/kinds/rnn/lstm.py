"""The LSTM layer (``lstm``): PyTorch's ``nn.LSTM`` equations, gate order i, f, g, o.

For τ = 1..T, with h_0 = c_0 = 0:

    s_τ = [s_i; s_f; s_g; s_o] = W [1; x_τ] + U h_{τ−1}     (one product: 4h pre-activations)
    i, f, o = σ(s_i), σ(s_f), σ(s_o);  g = tanh(s_g)
    c_τ = f ⊙ c_{τ−1} + i ⊙ g
    h_τ = o ⊙ tanh(c_τ)                                     (the layer's o_τ: what the layers above read)

Backward, τ = T..1 (δ only for pre-activations; the other gradients are written ∂ℓ/∂h, ∂ℓ/∂c):

    ∂ℓ/∂h_τ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] + Uᵀ δ_{τ+1}
    ∂ℓ/∂c_τ = ∂ℓ/∂h_τ ⊙ o ⊙ (1 − tanh²(c_τ)) + f_{τ+1} ⊙ ∂ℓ/∂c_{τ+1}   (the path that keeps the gradient alive)
    δ_i = ∂ℓ/∂c_τ ⊙ g ⊙ i(1 − i),  δ_f = ∂ℓ/∂c_τ ⊙ c_{τ−1} ⊙ f(1 − f),
    δ_g = ∂ℓ/∂c_τ ⊙ i ⊙ (1 − g²),  δ_o = ∂ℓ/∂h_τ ⊙ tanh(c_τ) ⊙ o(1 − o)
    G ← G + δ_τ [1, x_τ, h_{τ−1}]ᵀ

The weights are stored, as every recurrent kind's, as one matrix [W | U] of 4h × (1 + d + h) with the
one bias in column 0; files show ``{"W": 4h × (d+1), "U": 4h × h}``. PyTorch's weights are
``bias_ih`` = W[:, 0], ``weight_ih`` = W[:, 1:], ``weight_hh`` = U, ``bias_hh`` = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import LayerCode, ProfiledCode, matmul
from ...formulas.formula import Partial, Sym
from ...formulas.notation import sup
from ...util.special import sigmoid
from .layer import Recurrent, profiled_common, recurrent_grad_sym, weight_words

GATES = ("i", "f", "g", "o")
GATE_WORDS = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
ELL = Sym("ℓ", latex=r"\ell")



def activate(s: np.ndarray, h: int) -> np.ndarray:
    """The gates [i, f, g, o] of pre-activations s (the last axis: 4h): σ, σ, tanh, σ."""
    a = sigmoid(s)
    a[..., 2 * h:3 * h] = np.tanh(s[..., 2 * h:3 * h])
    return a


@dataclass(frozen=True)
class Lstm(Recurrent):
    """The LSTM layer (see the module's docstring): ``in_shape`` (d,), ``out_shape`` (h,)."""

    type: ClassVar[str] = "lstm"
    unrolled_box: ClassVar[bool] = False  # its gates are no s, o box: the panels show them by τ
    gates: ClassVar[int] = 4
    gate_order: ClassVar[str] = "ifgo"
    output_name: ClassVar[str] = "h"
    fixed: ClassVar[str] = "its gates use σ and tanh, as PyTorch's nn.LSTM"
    layer_words: ClassVar[str] = "the LSTM layer"
    takes_activation: ClassVar[bool] = False
    keys: ClassVar[frozenset[str]] = frozenset({"type", "units", "activation", "alpha", "return_sequences"})

    def block_forward(self) -> list[str]:
        return ["s", "gates", "c", "h"]

    def block_backward(self) -> list[str]:
        return ["dh", "dc", "delta", "G"]

    def initialised(self, W: np.ndarray, init: dict) -> np.ndarray:
        """The drawn weights with ``init.forget_bias`` written into the f rows of W's column 0."""
        W = np.array(W)
        W[self.h:2 * self.h, 0] = float(init.get("forget_bias", 0.0))
        return W

    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("its gates", 4 * self.h), ("its cell state", self.h), ("its output", self.h))

    # -- names -------------------------------------------------------------------------------------------
    def gate_of(self, row: int) -> tuple[str, int]:
        """(the gate, its unit from 1) of row ``row`` of W and U."""
        return GATES[row // self.h], row % self.h + 1

    def row_words(self, b: int, unit: Any) -> str:
        """Row ``b`` of s: its gate's unit ("the output gate's unit 4")."""
        gate, u = self.gate_of(b - 1)
        return f"the {GATE_WORDS[gate]}'s unit {unit(u)}"

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """w⁽ˡ⁾_{f,b,a} in W (a = 0 the bias), u⁽ˡ⁾_{f,b,c} in U: the gate first, then the unit."""
        gate, b = self.gate_of(row)
        if col > self.d:
            return Sym("u", l, (gate, b, col - self.d), group=True)
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
        if a > self.d:
            return f"U: the weight from unit {n(a - self.d)} of {h} at τ − 1 to {what}, the same at every time step"
        if a:
            return f"{W}: the weight from input {n(a)} of x_τ to {what}, the same at every time step"
        return f"the bias of {what}"

    # -- over time, a batch: X (T, n, d), one row per example at each time step ----------------------------
    def run(self, W: np.ndarray, X: np.ndarray, f: Any = None, active: np.ndarray | None = None
            ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        """((A, C, TC), H) for a batch of sequences, as ``Rnn.run`` (``f`` is not used: the gates' σ and
        tanh are fixed): A (T, n, 4h) the gates [i, f, g, o] at each τ, C (T + 1, n, h) c_0 = 0, c_1..c_T,
        TC (T, n, h) tanh(c_τ), H (T + 1, n, h) h_0 = 0, h_1..h_T. Rows past an example's end stay 0."""
        T, n, _ = X.shape
        h = self.h
        dtype = np.result_type(W, X)
        A = np.zeros((T, n, 4 * h), dtype=dtype)
        C = np.zeros((T + 1, n, h), dtype=dtype)
        TC = np.zeros((T, n, h), dtype=dtype)
        H = np.zeros((T + 1, n, h), dtype=dtype)
        XW = (matmul(X.reshape(T * n, self.d), W[:, 1:1 + self.d].T) + W[:, 0]).reshape(T, n, 4 * h)
        UT = self.U_part(W).T
        for t in range(T):
            m = n if active is None else int(active[t])
            s = H[t, :m] @ UT
            s += XW[t, :m]
            a = A[t, :m] = activate(s, h)
            c = C[t + 1, :m]
            np.multiply(a[:, h:2 * h], C[t, :m], out=c)
            c += a[:, :h] * a[:, 2 * h:3 * h]
            tc = TC[t, :m] = np.tanh(c)
            np.multiply(a[:, 3 * h:], tc, out=H[t + 1, :m])
        return (A, C, TC), H

    def bptt(self, W: np.ndarray, X: np.ndarray, saved: tuple[np.ndarray, np.ndarray, np.ndarray], H: np.ndarray,
             above: np.ndarray, df: Any = None, active: np.ndarray | None = None,
             record: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(G, Δ): backpropagation through time on :meth:`run`'s arrays; ``above`` (T, n, h) is ∂ℓ/∂h_τ from
        the layer above. Δ (T, n, 4h) holds every δ_τ = [δ_i, δ_f, δ_g, δ_o] (0 past an example's end).
        ``record`` (when given) receives ∂ℓ/∂h_τ and ∂ℓ/∂c_τ as ``"dh"`` and ``"dc"``, each (T, n, h)."""
        A, C, TC = saved
        T, n, h4 = A.shape
        h = h4 // 4
        U = self.U_part(W)
        D = np.zeros_like(A)
        dc_next = np.zeros((n, h), dtype=A.dtype)  # ∂ℓ/∂c_{τ+1}; rows of examples that end at τ stay 0
        kept = {q: np.zeros((T, n, h), dtype=A.dtype) for q in ("dh", "dc")} if record is not None else None
        for t in range(T - 1, -1, -1):
            m = n if active is None else int(active[t])
            a, tc = A[t, :m], TC[t, :m]
            i, f, g, o = a[:, :h], a[:, h:2 * h], a[:, 2 * h:3 * h], a[:, 3 * h:]
            dh = above[t, :m] + D[t + 1, :m] @ U if t + 1 < T else above[t, :m].copy()
            dc = dh * o * (1.0 - tc * tc)
            if t + 1 < T:
                dc += A[t + 1, :m, h:2 * h] * dc_next[:m]
            d = D[t, :m]
            d[:, :h] = dc * g * i * (1.0 - i)
            d[:, h:2 * h] = dc * C[t, :m] * f * (1.0 - f)
            d[:, 2 * h:3 * h] = dc * i * (1.0 - g * g)
            d[:, 3 * h:] = dh * tc * o * (1.0 - o)
            dc_next[:m] = dc
            if kept is not None:
                kept["dh"][t, :m], kept["dc"][t, :m] = dh, dc
        if record is not None and kept is not None:
            record.update(kept)
        G = np.empty(self.param_shape, dtype=A.dtype)
        Dm = D.reshape(T * n, h4)
        G[:, 0] = Dm.sum(axis=0)
        G[:, 1:1 + self.d] = matmul(Dm.T, X.reshape(T * n, self.d))
        G[:, 1 + self.d:] = matmul(Dm.T, H[:-1].reshape(T * n, h))
        return G, D

    def entries(self, quantity: str) -> int:
        return 4 * self.h if quantity in ("s", "gates", "delta") else self.h

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        from . import keyformulas

        return keyformulas.lstm(net, state, key, index, before)

    def rules(self, net: Any, l: int) -> list | None:
        from . import lstm_equations

        return lstm_equations.rules(net, l)

    def notation(self, l: int) -> str | None:
        return (f"Layer {l} is an LSTM (PyTorch's nn.LSTM), with its rules above: its output gate is "
                rf"$\bar{{o}}$, never a layer's $o$, and the layer above reads its $h^{{({l})}}_\tau$ as "
                rf"$o^{{({l})}}_\tau$; its weights are named with their gate, then the unit and the column.")

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Any:
        from .lstm_explain import unit_sym

        return unit_sym(self.step_name(quantity), l, b, time, self.h)

    def panel_rows(self, width: int) -> list[tuple[str, list[str]]]:
        """s and δ by gate and unit, the gates i, f, g, ō, c, h (the board's o), ∂ℓ/∂h and ∂ℓ/∂c."""
        by_gate = [f"{'ō' if g == 'o' else g}{b}" for g in GATES for b in range(1, width + 1)]
        units = [str(b) for b in range(1, width + 1)]
        return [("s", [f"s {x}" for x in by_gate]), ("gates", by_gate), ("c", [f"c {x}" for x in units]),
                ("o", [f"h {x}" for x in units]), ("dh", [f"∂h {x}" for x in units]),
                ("dc", [f"∂c {x}" for x in units]), ("delta", [f"δ {x}" for x in by_gate])]

    def panel_norms(self) -> list[tuple[str, str]]:
        return [("dc", "‖∂c_τ‖"), ("dh", "‖∂h_τ‖")]

    def step_sym(self, quantity: str, l: int, time: int | None) -> Any:
        """The gates [i, f, g, ō]⁽ˡ⁾_τ, c⁽ˡ⁾_τ, h⁽ˡ⁾_τ, ∂ℓ/∂h⁽ˡ⁾_τ, ∂ℓ/∂c⁽ˡ⁾_τ."""
        if quantity == "gates":
            return Sym("[i, f, g, ō]", l, vector=True, latex=r"[i, f, g, \bar{o}]", time=time)
        if quantity in ("c", "h"):
            return Sym(quantity, l, vector=True, time=time)
        if quantity in ("dh", "dc"):
            return Partial(ELL, Sym(quantity[1], l, vector=True, time=time), prefixed=True)
        return None

    def code_symbols(self, l: int) -> dict[str, Any]:
        """What a profile's program comments name as the panels print it (codegen/profiled.py prints each in the
        profile): the forget gate f at τ+1 (f¹_{τ+1}, as the trace's note of ∂ℓ/∂c_τ), and the output gate ō at τ
        (ō¹_τ, as the trace's rule of ∂ℓ/∂c_τ writes it)."""
        from . import lstm_equations

        return {"gate_f_next": lstm_equations.gate_sym("f", l, "τ+1"), "gate_o_now": lstm_equations.gate_sym("o", l, "τ")}

    def explains_own(self, spec: Any, cell: Any) -> bool:
        from . import lstm_explain

        return lstm_explain.explains(spec, cell)

    def explain_own(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import lstm_explain

        return lstm_explain.explain(stepper, cell, digits)

    def time_equations(self, net: Any, state: Any, step: Any) -> tuple:
        from . import lstm_equations

        return lstm_equations.equations(net, state, step)

    # -- one example, τ by τ, on the stepper's board ---------------------------------------------------------
    def start_rows(self, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """s, h (as o, h_0 = 0), δ, and the LSTM's own rows: the gates (T × 4h), c ((T + 1) × h, c_0 = 0),
        ∂ℓ/∂h and ∂ℓ/∂c (T × h), NaN until computed."""
        s, o, d, _ = super().start_rows(T)
        c = np.full((T + 1, self.h), np.nan)
        c[0] = 0.0
        return s, o, d, {"gates": np.full((T, 4 * self.h), np.nan), "c": c,
                         "dh": np.full((T, self.h), np.nan), "dc": np.full((T, self.h), np.nan)}

    def code(self, l: int, L: int) -> LayerCode:
        """The gates, c and h written out (nn.LSTM hides them), so that every step is checked."""
        d, h, S = self.d, self.h, sup(l)
        i, f, g, o = f"a{l}[t][:{h}]", f"a{l}[t][{h}:{2 * h}]", f"a{l}[t][{2 * h}:{3 * h}]", f"a{l}[t][{3 * h}:]"
        inp = f"one(x[{l}][t]), o[{l}][t - 1]"
        chk = {q: f"f\"{q.split(' ')[0]}{S}_{{{{t}}}}{q[len(q.split(' ')[0]):]}\""
               for q in ("s", "gates [i, f, g, o]", "c", "h", "∂ℓ/∂h", "∂ℓ/∂c", "δ")}
        s_line = (f"s[{l}][t] = layer[{l}].bias + layer[{l}].weight_ih @ x[{l}][t] + layer[{l}].weight_hh @ o[{l}][t - 1]"
                  f"  # s{S}_τ = W [1, x_τ] + U h_τ−1: the pre-activations of i, f, g, o")
        return self.torch_code(
            l,
            seq_start=(f"o[{l}][0] = torch.zeros({h})  # h{S}_0 = 0", f"c{l} = [torch.zeros({h})] + [None] * T  # c{S}_0 = 0",
                       f"a{l} = [None] * (T + 1)  # the gates at each τ"),
            seq=(("s", (s_line, f"s[{l}][t].retain_grad()", f"check(s[{l}][t], {chk['s']})")),
                 ("gates", (f"a{l}[t] = torch.cat([torch.sigmoid(s[{l}][t][:{2 * h}]), torch.tanh(s[{l}][t][{2 * h}:{3 * h}]), "
                            f"torch.sigmoid(s[{l}][t][{3 * h}:])])  # i, f = σ(·), g = tanh(·), o = σ(·)",
                            f"check(a{l}[t], {chk['gates [i, f, g, o]']})")),
                 ("c", (f"c{l}[t] = {f} * c{l}[t - 1] + {i} * {g}  # c_τ = f ⊙ c_τ−1 + i ⊙ g",
                        f"c{l}[t].retain_grad()  # keep ∂ℓ/∂c_τ", f"check(c{l}[t], {chk['c']})")),
                 ("h", (f"o[{l}][t] = {o} * torch.tanh(c{l}[t])  # h_τ = o ⊙ tanh(c_τ)",
                        f"o[{l}][t].retain_grad()  # keep ∂ℓ/∂h_τ", f"check(o[{l}][t], {chk['h']})")),
                 ("dh", (f"check(o[{l}][t].grad, {chk['∂ℓ/∂h']})",)),
                 ("dc", (f"check(c{l}[t].grad, {chk['∂ℓ/∂c']})",)),
                 ("delta", (f"check(s[{l}][t].grad, {chk['δ']})  # δ_τ = ∂ℓ/∂s_τ",)),
                 ("G", (f"G[{l}] = G[{l}] + torch.outer(s[{l}][t].grad, torch.cat([{inp}]))  # G{S} += δ_τ [1, x_τ, h_τ−1]ᵀ",
                        f"check(G[{l}], \"G{S} so far\")"))),
            np_seq_start=(f"o[{l}][0] = np.zeros({h})  # h{S}_0 = 0", f"c{l} = [np.zeros({h})] + [None] * T  # c{S}_0 = 0",
                          f"a{l}, dh{l}, dc{l} = [None] * (T + 2), [None] * (T + 2), [None] * (T + 2)  # gates, ∂ℓ/∂h, ∂ℓ/∂c"),
            np_seq=(("s", (f"s[{l}][t] = W[{l}] @ np.concatenate([{inp}])  # s{S}_τ = [W | U] [1, x_τ, h_τ−1]",
                           f"check(s[{l}][t], {chk['s']})")),
                    ("gates", (f"a{l}[t] = np.concatenate([1 / (1 + np.exp(-s[{l}][t][:{2 * h}])), np.tanh(s[{l}][t][{2 * h}:{3 * h}]), "
                               f"1 / (1 + np.exp(-s[{l}][t][{3 * h}:]))])  # i, f = σ(·), g = tanh(·), o = σ(·)",
                               f"check(a{l}[t], {chk['gates [i, f, g, o]']})")),
                    ("c", (f"c{l}[t] = {f} * c{l}[t - 1] + {i} * {g}  # c_τ = f ⊙ c_τ−1 + i ⊙ g", f"check(c{l}[t], {chk['c']})")),
                    ("h", (f"o[{l}][t] = {o} * np.tanh(c{l}[t])  # h_τ = o ⊙ tanh(c_τ)", f"check(o[{l}][t], {chk['h']})")),
                    ("dh", (f"dh{l}[t] = {{up}} + (W[{l}][:, {1 + d}:].T @ d[{l}][t + 1] if t < T else 0)"
                            f"  # ∂ℓ/∂h_τ = from above + Uᵀ δ_τ+1", f"check(dh{l}[t], {chk['∂ℓ/∂h']})")),
                    ("dc", (f"dc{l}[t] = dh{l}[t] * {o} * (1 - np.tanh(c{l}[t]) ** 2) + "
                            f"(a{l}[t + 1][{h}:{2 * h}] * dc{l}[t + 1] if t < T else 0)  # ∂ℓ/∂c_τ = ∂ℓ/∂h o (1 − tanh²c) + f_τ+1 ∂ℓ/∂c_τ+1",
                            f"check(dc{l}[t], {chk['∂ℓ/∂c']})")),
                    ("delta", (f"d[{l}][t] = np.concatenate([dc{l}[t] * {g} * {i} * (1 - {i}), dc{l}[t] * c{l}[t - 1] * {f} * (1 - {f}), "
                               f"dc{l}[t] * {i} * (1 - {g} ** 2), dh{l}[t] * np.tanh(c{l}[t]) * {o} * (1 - {o})])"
                               "  # δ_τ = ∂ℓ/∂s_τ of i, f, g, o", f"check(d[{l}][t], {chk['δ']})")),
                    ("G", (f"G[{l}] += np.outer(d[{l}][t], np.concatenate([{inp}]))  # G{S} += δ_τ [1, x_τ, h_τ−1]ᵀ",
                           f"check(G[{l}], \"G{S} so far\")"))))

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """At τ, as the profile's steps write it: z_τ = W a_τ + U h_{τ−1} + b (the rnn's, :func:`profiled_common`), the
        gates [i, f, g, ō] from z's blocks of h, c_τ = f ⊙ c_{τ−1} + i ⊙ g, h_τ = ō ⊙ tanh(c_τ) (kept as the layer's
        output a_τ, what the layer above reads); back through time ∂ℓ/∂h_τ = from above + Uᵀ δ_{τ+1}, ∂ℓ/∂c_τ, δ_τ of
        each gate (NumPy; PyTorch's are autograd's .grad of h_τ, c_τ and z_τ); the gradients as the rnn's. A row
        profile's vectors are 1 × n rows: each block is taken on the last axis."""
        c = profiled_common(self, n, row, separate, mean)
        e, label, lib, h = c.e, c.label, n["lib"], self.h
        z, gates, cell, out = n["z"], n["gates"], n["c"], n["a"]
        cat = "torch.cat" if c.torch else "np.concatenate"
        sig = (lambda x: f"torch.sigmoid({x})") if c.torch else (lambda x: f"1 / (1 + np.exp(-{x}))")
        i, f, g, o = (f"{gates}[..., {a}:{b}]" for a, b in ((0, h), (h, 2 * h), (2 * h, 3 * h), (3 * h, 4 * h)))
        keep = (lambda x, what: (f"{x}.retain_grad()  # keep {what} after backward()",)) if c.torch else (lambda x, what: ())
        lists = [n["gates_list"], n["c_list"]] + ([] if c.torch else [n["dh_list"], n["dc_list"]])
        start = c.start + (f"{', '.join(lists)} = ([None] * (T + 2) for _ in range({len(lists)}))  # the gates, c"
                           + ("" if c.torch else ", ∂/∂h, ∂/∂c") + " at τ = 1 … T",
                           f"{n['c_first']} = {lib}.zeros({(1, h) if row else h})  # {n['~c_first']} = 0")
        forward = (
            ("s", c.s_lines),
            ("gates", (f"{gates} = {cat}([{sig(f'{z}[..., :{2 * h}]')}, {lib}.tanh({z}[..., {2 * h}:{3 * h}]), "
                       f"{sig(f'{z}[..., {3 * h}:]')}], -1)  # {e['gates']}: σ, σ, tanh, σ of {e['z']}'s blocks",
                       f"check({gates}, {label('gates')})")),
            ("c", (f"{cell} = {f} * {n['c_prev']} + {i} * {g}  # {e['c']} = f ⊙ {e['c_prev']} + i ⊙ g",
                   *keep(cell, e["dc"]), f"check({cell}, {label('c')})")),
            ("h", (f"{out} = {o} * {lib}.tanh({cell})  # {e['out']} = ō ⊙ tanh({e['c']})", *keep(out, e["dh"]),
                   f"check({out}, {label('out')})")))
        if c.torch:
            backward: tuple[tuple[str, tuple[str, ...]], ...] = (
                ("dh", (f"check({out}.grad, {label('dh', ' (' + out + '.grad)')})",)),
                ("dc", (f"check({cell}.grad, {label('dc', ' (' + cell + '.grad)')})",)),
                ("delta", (f"check({z}.grad, {label('dz', ' (' + z + '.grad)')})",)))
        else:
            dh, dc, tc = n["dh"], n["dc"], f"np.tanh({cell})"
            backward = (
                ("dh", (f"{dh} = {{up}} + ({c.recur} if t < T else 0)  # {e['dh']} = from above + {c.recur_said}",
                        f"check({dh}, {label('dh')})")),
                ("dc", (f"{dc} = {dh} * {o} * (1 - {tc} ** 2) + ({n['gates_next']}[..., {h}:{2 * h}] * {n['dc_next']} if t < T "
                        f"else 0)  # {e['dc']} = {e['dh']} ⊙ {e['gate_o_now']} ⊙ (1 − tanh({e['c']})⊙tanh({e['c']})) + "
                        f"{e['gate_f_next']} ⊙ {e['dc_next']}", f"check({dc}, {label('dc')})")),
                ("delta", (f"{n['dz']} = np.concatenate([{dc} * {g} * {i} * (1 - {i}), {dc} * {n['c_prev']} * {f} * (1 - {f}), "
                           f"{dc} * {i} * (1 - {g} ** 2), {dh} * {tc} * {o} * (1 - {o})], -1)  # {e['dz']} of i, f, g, ō",
                           f"check({n['dz']}, {label('dz')})")))
        return ProfiledCode(c.forward, c.said, c.grad, c.back, c.back_said, steps=forward + backward, start=start)

    def time_step(self, net: Any, st: Any, key: Any) -> tuple[np.ndarray, np.ndarray | None]:
        from . import steps

        l, t, h = key.layer, key.time, self.h
        q = key.quantity
        if q == "s":
            value = steps._ro(st.W[l] @ steps.rnn_input(net, st, l, t))
            st.s[l] = steps._set_row(st.s[l], t - 1, value)
            return value, None
        if q == "G":
            return steps.add_G(st, l, np.outer(st.delta[l][t - 1], steps.rnn_input(net, st, l, t)))
        a = st.extra["gates", l][t - 1]
        c = st.extra["c", l]
        if q == "gates":
            return steps.set_extra(st, "gates", l, t - 1, steps._ro(activate(st.s[l][t - 1], h))), None
        if q == "c":
            value = steps._ro(a[h:2 * h] * c[t - 1] + a[:h] * a[2 * h:3 * h])
            return steps.set_extra(st, "c", l, t, value), None
        if q == "h":
            value = steps._ro(a[3 * h:] * np.tanh(c[t]))
            st.o[l] = steps._set_row(st.o[l], t, value)
            return value, None
        if q == "dh":
            value = steps._ro(steps.from_next(net, st, l, t) + steps.from_above(net, st, l, t))
            return steps.set_extra(st, "dh", l, t - 1, value), None
        dh = st.extra["dh", l][t - 1]
        tc = np.tanh(c[t])
        if q == "dc":
            value = dh * a[3 * h:] * (1.0 - tc * tc)
            if t < len(st.s[l]):
                value = value + st.extra["gates", l][t][h:2 * h] * st.extra["dc", l][t]
            return steps.set_extra(st, "dc", l, t - 1, steps._ro(value)), None
        assert q == "delta"
        dc = st.extra["dc", l][t - 1]
        i, f, g, o = a[:h], a[h:2 * h], a[2 * h:3 * h], a[3 * h:]
        value = steps._ro(np.concatenate([dc * g * i * (1.0 - i), dc * c[t - 1] * f * (1.0 - f),
                                          dc * i * (1.0 - g * g), dh * tc * o * (1.0 - o)]))
        st.delta[l] = steps._set_row(st.delta[l], t - 1, value)
        return value, None


"""The self-attention layer (``attention``): one layer over a whole sequence x_1 … x_T (d units each).

    q_τ = W_Q [1; x_τ],  k_τ = W_K [1; x_τ],  v_τ = W_V [1; x_τ]            (dk each)
    a_τ,τ′ = softmax over τ′ of q_τ·k_τ′ / √dh                              (τ′ ≤ τ only when causal)
    z_τ = Σ_τ′ a_τ,τ′ v_τ′,  o_τ = W_O [1; z_τ]                            (d units)

With ``heads`` H, q, k and v split into H blocks of dh = dk/H rows; each head has its own scores
(divided by √dh, as PyTorch's ``scaled_dot_product_attention``) and a; the heads' z stack before W_O.

Its weights are stored as one matrix of 3·dk + d rows with the bias in column 0: the rows of W_Q, W_K,
W_V (columns 0 … d) and then W_O's (columns 0 … dk). Entries outside the four matrices (when d ≠ dk)
are 0, their G is 0, and no optimizer or L2 moves them; files show ``{"Q", "K", "V", "O"}``.

The batch pass (``run``, ``bptt``, ``back_inputs``) takes the engine's arrays over time: X (T, n, d),
one row per example at each τ, the examples sorted longest first and ``active[τ − 1]`` of them running
at τ; a key past an example's end is masked out and a query past it gives 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import FAN_IN_ROW, LayerCode, LayerKind, Shape, matmul, own_step, read_matrix
from ...engine.quizcells import QuizCell, matrix_cells
from ...formulas.formula import Node, Partial, Sym
from ...formulas.notation import sup
from ...util.errors import SpecError

WEIGHTS = ("Q", "K", "V", "O")
# each quantity's letter on the board, and whether it is ∂ℓ/∂(that letter)
OWN_NAMES = {"q": ("q", False), "k": ("k", False), "v": ("v", False), "scores": ("e", False), "a": ("a", False),
             "z": ("z", False), "o": ("o", False), "delta": ("δ", False), "dz": ("z", True), "da": ("a", True),
             "dq": ("q", True), "dk": ("k", True), "dv": ("v", True), "dx": ("x", True), "do": ("o", True)}


@dataclass(frozen=True)
class Saved:
    """What the forward pass keeps for the backward one: the input rows X (T, n, d); q, k, v as views
    (3, n, H, T, dh) of one array whose rows are (τ, example), q already divided by √dh; a (n, H, T, T);
    z (T·n, dk)."""

    X: np.ndarray
    qkv: np.ndarray
    a: np.ndarray
    z: np.ndarray


SAFE_EXP = 300.0  # scores of smaller size: exp neither overflows nor leaves a row's sum 0


def softmax_rows(S: np.ndarray, mask: np.ndarray | None, overwrite: bool = False) -> np.ndarray:
    """Softmax over the last axis, entries where ``mask`` is False left out (a = 0 there); with
    ``overwrite``, in S's own memory (the batch pass: no temporaries). Each row is shifted by its
    maximum (which softmax ignores) only when some |score| reaches SAFE_EXP: below it exp(e) itself
    neither overflows nor underflows to a row of zeros, and the rows' maxima (one short reduction
    per row) are the dearest part of the pass."""
    big = S.size and not max(float(S.max()), -float(S.min())) < SAFE_EXP  # NaN too: the careful way
    if mask is not None and not big:  # exp, then the left-out entries' exp(−∞) = 0 by a product with the mask
        S = np.exp(S, out=S if overwrite else None)
        S *= mask
    else:
        if mask is not None:
            S = np.where(mask, S, -np.inf)
        elif not overwrite:
            S = S.copy()
        if big:
            S -= S.max(axis=-1, keepdims=True)
        np.exp(S, out=S)
    S /= np.einsum("...i->...", S)[..., None]  # each row's sum (einsum: faster than sum along a short axis)
    return S


def key_bias_zero(G_K: np.ndarray) -> np.ndarray:
    """G_K with its bias column set to the exact 0 it is: ∂ℓ/∂b_K = Σ_τ′ ∂ℓ/∂k_τ′ = Σ_τ′ Σ_τ δ_τ,τ′ q_τ / √dh
    = Σ_τ q_τ (Σ_τ′ δ_τ,τ′) / √dh, and every row of δ sums to 0 (softmax does not change when a row of
    scores shifts, and b_K shifts row τ by q_τ·b_K / √dh). Summed in floating point the column is
    rounding noise (like −3.47e−18), which Adam's division by √v would magnify into a drifting key bias.
    Changes ``G_K`` (a view of W_K's part of G, or G_K alone) in place and returns it."""
    G_K[:, 0] = 0.0
    return G_K


def keys_summing_to_zero(dK: np.ndarray) -> np.ndarray:
    """Which entries r of k have Σ_τ ∂ℓ/∂k_τ,r = 0 up to rounding (dK: T × dk, one example): every one
    whose ∂ℓ/∂k comes from a δ whose rows sum to 0 (:func:`key_bias_zero`), not a student's numbers
    the grader carries forward."""
    return np.abs(dK.sum(axis=0)) <= 1e-12 * len(dK) * np.abs(dK).sum(axis=0)


def key_gradient(dK: np.ndarray, X1: np.ndarray) -> np.ndarray:
    """G_K of one example, Σ_τ ∂ℓ/∂k_τ x̃_τᵀ (dK: T × dk, X1: T × (d + 1), rows [1; x_τ]), the board's
    way: where Σ_τ ∂ℓ/∂k_τ,r is 0 (:func:`keys_summing_to_zero`), row r is Σ_τ ∂ℓ/∂k_τ,r (x̃_τ − x̃_1),
    the same number, so that a column of x that is one number at every τ of the example (a token kind
    the sequence lacks, after a layer norm) gives the exact 0 its part of G is, not rounding noise such
    as 8.6e−18; the bias column too (1 − 1). Other rows (a student's ∂ℓ/∂k the grader carries) as
    written. The batch pass skips the shift; its key bias is :func:`key_bias_zero`'s."""
    G = dK.T @ X1
    rows = keys_summing_to_zero(dK)
    if rows.any():
        G[rows] = dK[:, rows].T @ (X1 - X1[:1])
    return key_bias_zero(G)


def softmax_back(A: np.ndarray, dA: np.ndarray, overwrite: bool = False, exact_rows: bool = False) -> np.ndarray:
    """δ of the scores from ∂ℓ/∂a, row by row: a ⊙ (∂ℓ/∂a − a·∂ℓ/∂a) (each softmax row's Jacobian);
    with ``overwrite``, in dA's own memory. With ``exact_rows`` (the board's steps, which the page
    shows), ∂ℓ/∂a is first taken less its row's first entry where its row of a sums to 1 (δ is the same): a
    row whose ∂ℓ/∂a is one number (uniform keys) gets the exact 0 its δ is, not rounding noise such as
    −5.6e−18; the batch pass skips that pass over the scores (3% of an epoch)."""
    out = dA if overwrite else dA.copy()
    if exact_rows:
        shift = out[..., :1].copy()
        # only where the row of a is a softmax's (sums to 1): a row the grader carries a student's a into
        # takes the formula as written, a ⊙ (∂ℓ/∂a − a·∂ℓ/∂a), which the shift would change by c(1 − Σa)
        shift[np.abs(A.sum(axis=-1, keepdims=True) - 1.0) > 1e-12 * A.shape[-1]] = 0.0
        out -= shift
    r = np.einsum("...i,...i->...", A, out)[..., None]  # a·∂ℓ/∂a of each row
    out -= r
    out *= A
    return out


@dataclass(frozen=True)
class Attention(LayerKind):
    """Self-attention over a sequence (see the module's docstring): ``in_shape`` = ``out_shape`` = (d,)."""

    dk: int = 1
    heads: int = 1
    causal: bool = False

    type: ClassVar[str] = "attention"
    over_time: ClassVar[bool] = True
    mixes_time: ClassVar[bool] = True
    in_block: ClassVar[bool] = True  # it may stand inside a residual block
    per_time: ClassVar[bool] = True
    has_s: ClassVar[bool] = False
    takes_activation: ClassVar[bool] = False
    exercises: ClassVar[bool] = True
    unrolled_box: ClassVar[bool] = False
    panel: ClassVar[str] = "sequence"
    keys: ClassVar[frozenset[str]] = frozenset({"type", "dim", "causal", "heads"})

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        if len(below) == 3:
            raise SpecError("an attention layer reads a vector x_τ per time step: the input layer is "
                            "{\"units\": d}, not a shape", place=place)
        if "dim" not in layer:
            raise SpecError("missing required key 'dim' (dk, the length of q, k and v)", place=place)
        dk, heads = int(layer["dim"]), int(layer.get("heads", 1))
        if dk % heads:
            raise SpecError(f"dim {dk} is not a multiple of heads {heads}: each head takes dim/heads rows of q, k "
                            "and v", place=f"{place}.heads")
        return cls(below, below, dk=dk, heads=heads, causal=bool(layer.get("causal", False))), "identity", 0.0

    @property
    def d(self) -> int:
        return self.in_shape[0]

    @property
    def dh(self) -> int:
        """Rows of q, k, v per head."""
        return self.dk // self.heads

    @property
    def param_shape(self) -> Shape:
        return (3 * self.dk + self.d, 1 + max(self.d, self.dk))

    def block_forward(self) -> list[str]:
        return ["q", "k", "v", "scores", "a", "z", "o"]

    def block_backward(self) -> list[str]:
        return ["dz", "da", "delta", "dq", "dk", "dv", "dx", "GQ", "GK", "GV", "GO"]

    def trace_quantity(self, quantity: str) -> tuple[str, dict]:
        """A G step of one matrix is the trace's ``G`` with its ``weight``."""
        if quantity in ("GQ", "GK", "GV", "GO"):
            return "G", {"weight": quantity[1]}
        return quantity, {}

    def part(self, W: np.ndarray, name: str) -> np.ndarray:
        """W_Q, W_K, W_V (dk × (d + 1)) or W_O (d × (dk + 1)) of the stored matrix (a view)."""
        i = WEIGHTS.index(name)
        if name == "O":
            return W[3 * self.dk:, :1 + self.dk]
        return W[i * self.dk:(i + 1) * self.dk, :1 + self.d]

    def weight_of(self, row: int, col: int) -> tuple[str, int, int] | None:
        """(matrix, row, column) of stored entry (row, col), 0-based; None outside the four matrices."""
        i = min(row // self.dk, 3)
        name = WEIGHTS[i]
        r = row - i * self.dk
        return (name, r, col) if col <= (self.dk if name == "O" else self.d) else None

    # -- files and JSON -------------------------------------------------------------------------------
    def read_weights(self, w: Any, l: int) -> np.ndarray:
        place = f"weights[{l - 1}]"
        if not isinstance(w, dict) or set(w) != set(WEIGHTS):
            raise SpecError(f"expected {{\"Q\", \"K\", \"V\", \"O\"}} with {self.expected_weights()} for layers[{l}] "
                            "(attention)", place=place)
        for name in WEIGHTS[:3]:
            read_matrix(w[name], (self.dk, self.d + 1), f"dk × (d{sup(l - 1)}+1)", f"{place}.{name}")
        read_matrix(w["O"], (self.d, self.dk + 1), f"d{sup(l - 1)} × (dk+1)", f"{place}.O")
        return self.weights_from_json(w)

    def weights_from_json(self, value: Any) -> np.ndarray:
        W = np.zeros(self.param_shape)
        for name in WEIGHTS:
            P = self.part(W, name)
            P[...] = np.asarray(value[name], dtype=float).reshape(P.shape)
        return W

    def weights_json(self, W: np.ndarray) -> Any:
        return {name: self.part(W, name).tolist() for name in WEIGHTS}

    def initialised(self, W: np.ndarray, init: dict) -> np.ndarray:
        """Drawn as every kind's, then the entries outside the four matrices set to 0."""
        return self.weights_from_json(self.weights_json(W))

    def expected_weights(self) -> str:
        return f"Q, K, V {self.dk}×{self.d + 1} each, O {self.d}×{self.dk + 1}"

    def describe(self) -> str:
        heads = f", {self.heads} heads" if self.heads > 1 else ""
        return f"attention dk {self.dk}{heads}{', causal' if self.causal else ''}"

    def label(self) -> str:
        return f"attention dk {self.dk}"

    # -- names ----------------------------------------------------------------------------------------
    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """Entry (row, col) of W_Q, W_K, W_V or W_O as the panel shows it: w_Q,b,a⁽ˡ⁾ (a = 0 the bias)."""
        found = self.weight_of(row, col)
        name, r, c = found if found is not None else ("pad", row, col)
        return Sym("w", l, (name, r + 1, c))

    def profiled_weight_sym(self, notation: Any, l: int, row: int, col: int) -> Sym:
        """An entry as a profile's panel shows it, in its block: w_Q,b,a (b_Q,b for column 0 with a separate b;
        cs231n's input first, as its W_Q is shown), never by the stored matrix's row."""
        return self.weight_sym(l, row, col)

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        found = self.weight_of(row, col)
        name, r, c = found if found is not None else ("pad", row, col)
        return Sym("G", l, (name, r + 1, c))

    def editable(self, row: int, col: int) -> bool:
        return self.weight_of(row, col) is not None  # not the padding outside the four matrices

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        return self.profiled_weight_text(spec, l, b, a, None)

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """Which entry of W_Q … W_O (b, a) is: its matrix, column and row in ``notation``'s letters and units
        (None: the lecture's; a separate b: the bias is b_Q's entry, the columns of w_Q count its inputs)."""
        from ...formulas.formula import TextPrinter

        found = self.weight_of(b - 1, a)
        if found is None:
            return "outside the four matrices: always 0"
        name, r, c = found
        printer = TextPrinter(notation=notation)
        P = printer.notation
        unit = (lambda i: i) if P is None else P.unit

        def row(letter: str) -> str:  # z_τ, x_τ, q_τ: attention's own letters (its z is c in nielsen)
            return printer.p(Sym(letter, None, ("τ",), own="attention", counts=1))

        src = f"{row('z')} (the heads' {printer.p(Sym('z', own='attention'))} stacked)" if name == "O" else row("x")
        matrix = printer.p(Sym("W", None, (name,)))
        if P is not None and P.separate_bias:  # an input's weights: a column of W_Q, a row where it is shown D × C
            line = "row" if P.transposed else "column"
            what = (f"entry {unit(r + 1)} of {printer.p(Sym('b', None, (name,)))}: the bias" if c == 0 else
                    f"{line} {unit(c)} of {matrix}: the weight from entry {unit(c)} of {src}")
        else:
            what = f"column {c} of {matrix}: " + ("the bias" if c == 0 else f"the weight from entry {unit(c)} of {src}")
        return f"{what} to entry {unit(r + 1)} of {row(name.lower() if name != 'O' else 'o')}, the same at every τ"

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Every entry of G and W; each entry of a per-τ matrix step (q, a, …) otherwise."""
        from . import steps

        if key.quantity == "W":
            return tuple(c for c in matrix_cells(self, l, key.quantity, value)
                         if self.weight_of(c.ref.index[0], c.ref.index[1]) is not None)  # type: ignore[index]
        return steps.quiz_cells(self, l, key, value)

    def panel_rows(self, width: int) -> list[tuple[str, list[str]]]:
        """Per τ: x_τ's q, k, v (dk rows each), z and o, then the backward pass's ∂ℓ/∂q, ∂ℓ/∂k, ∂ℓ/∂v and
        ∂ℓ/∂x; a (per head and key) follows (:meth:`panel_rows_over`)."""
        def rows(q: str, name: str, n: int) -> tuple[str, list[str]]:
            return q, [f"{name} b={b + 1}" if b == 0 or n < 4 else f"  b={b + 1}" for b in range(n)]

        return [rows("q", "q", self.dk), rows("k", "k", self.dk), rows("v", "v", self.dk), rows("z", "z", self.dk),
                rows("o", "o", self.d), rows("dq", "∂q", self.dk), rows("dk", "∂k", self.dk),
                rows("dv", "∂v", self.dk), rows("dx", FAN_IN_ROW, self.d)]

    def heat(self, quantity: str) -> bool:
        return quantity == "a"

    def panel_weights(self, l: int) -> tuple[str, tuple[int, ...], list[str]]:
        """W_Q, W_K, W_V (bias │ x_τ's d columns) stacked over W_O (bias │ z_τ's dk columns), each row
        labelled by its matrix; entries outside the four matrices show 0."""
        labels = [f"{name} {r + 1}" for name in WEIGHTS[:3] for r in range(self.dk)]
        labels += [f"O {r + 1}" for r in range(self.d)]
        stacked = ", ".join(f"W_{name}{sup(l)}" for name in "QKVO")  # each with its layer, as the equations
        return (f"{stacked} stacked (bias │ x_τ; O: bias │ z_τ)", (0,), labels)

    def panel_rows_over(self, T: int) -> list[tuple[str, list[str]]]:
        """a_τ,τ′ with the query τ along the row: one row per head h and key τ′ (column τ, row τ′ of the
        T × T matrix a_h, the causal mask's zeros above its diagonal)."""
        head = (lambda h: f"h{h + 1}") if self.heads > 1 else (lambda h: "")
        return [("a", [f"a{head(h)} τ′{u + 1}" for h in range(self.heads) for u in range(T)])]

    def panel_norms(self) -> list[tuple[str, str]]:
        return [("dx", "‖∂x_τ‖")]

    def step_sym(self, quantity: str, l: int, time: int | None) -> Node | None:
        """Its steps' matrices: q⁽ˡ⁾, e⁽ˡ⁾ (the scores), a⁽ˡ⁾, z⁽ˡ⁾, δ⁽ˡ⁾, ∂ℓ/∂q⁽ˡ⁾ …, G_Q⁽ˡ⁾ …; None: W (the update)."""
        if quantity in ("GQ", "GK", "GV", "GO"):
            return Sym(f"G_{quantity[1]}", l, vector=True)
        if quantity in OWN_NAMES:
            return self.cell_sym(quantity, l)
        return None

    def unknown_value(self, quantity: str, T: int) -> Any:
        from . import steps

        if quantity in steps.G_STEPS:
            return np.full(self.part(np.zeros(self.param_shape), quantity[1:]).shape, np.nan)
        return np.full(steps.shape(self, "dx" if quantity == "o" else quantity, T), np.nan)

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        """An entry (0-based ``pos``) of one of its per-τ matrices, printed from 1: q⁽ˡ⁾_τ,b, a⁽ˡ⁾_h,τ,τ′
        (no h with one head), δ of the scores, ∂ℓ/∂q⁽ˡ⁾_τ,b …; ∂ℓ/∂o⁽ˡ⁾_τ,b."""
        if quantity not in OWN_NAMES:  # G⁽ˡ⁾, W⁽ˡ⁾ as stored
            return super().cell_sym(quantity, l, pos, example)
        base, grad = OWN_NAMES[quantity]
        sub: tuple = () if pos is None else tuple(p + 1 for p in pos)
        if self.heads == 1 and len(sub) == 3:
            sub = sub[1:]
        # a head, τ and τ′ count from 1 in every profile; a row's column is a unit (q⁽ˡ⁾_τ,b)
        counts = len(sub) if quantity in ("scores", "a", "da", "delta") else max(len(sub) - 1, 0)
        sym = Sym(base, l, sub, vector=pos is None, latex=r"\delta" if base == "δ" else None, own="attention",
                  counts=counts)
        return Partial(Sym("ℓ", latex=r"\ell"), sym, prefixed=True) if grad else sym  # cs231n's dq, as the equations

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Node:
        """Entry b (from 1) of row τ of a per-τ matrix: q⁽ˡ⁾_τ,b, ∂ℓ/∂x⁽ˡ⁾_τ,b …"""
        if time is None or quantity not in OWN_NAMES:
            return super().unit_sym(quantity, l, b, time)
        return self.cell_sym(quantity, l, (time - 1, b - 1))

    def time_row(self, quantity: str, t: int) -> int:
        """o_τ is in row τ of the board's o (row 0: o_0); every other per-τ matrix holds τ in row τ − 1."""
        return t if quantity == "o" else t - 1

    # -- the answer key (keyformulas.py) ---------------------------------------------------------------
    def board_quantity(self, quantity: str) -> str:
        """G_Q … G_O write parts of the board's G⁽ˡ⁾."""
        return "G" if quantity in ("GQ", "GK", "GV", "GO") else quantity

    def board_index(self, quantity: str, index: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
        """o_τ in row τ of the board's o; entry (r, c) of G_Q … G_O at its place in the stored G⁽ˡ⁾."""
        if quantity == "o":
            return "o", (index[0] + 1, *index[1:])
        if quantity in ("GQ", "GK", "GV", "GO"):
            return "G", (WEIGHTS.index(quantity[1]) * self.dk + index[0], index[1])
        return quantity, index

    def blank_entries(self, quantity: str, shape: tuple[int, ...]) -> list[tuple[int, ...]] | None:
        """Of a T × T matrix per head (the scores, a, ∂ℓ/∂a, δ), each head's entries the printer shows; of
        G_Q … G_O, the entries the printer shows of the stored G⁽ˡ⁾, where their numbers are printed."""
        from ...formulas.formula import LatexPrinter

        keep = LatexPrinter(4)._keep
        if quantity in ("GQ", "GK", "GV", "GO"):
            rows, cols = self.param_shape
            first = WEIGHTS.index(quantity[1]) * self.dk
            return [(r - first, c) for r in keep(rows) if r is not None and first <= r < first + shape[0]
                    for c in keep(cols) if c is not None and c < shape[1]]
        if len(shape) != 3:
            return None
        return [(h, i, j) for h in range(shape[0]) for i in keep(shape[1]) if i is not None
                for j in keep(shape[2]) if j is not None]

    def sent_place(self, state: Any, l: int, t: int | None, pos: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
        """Its dx, row τ."""
        assert t is not None
        return "dx", (t - 1, *pos)

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        from . import keyformulas

        return keyformulas.attention(self, net, state, key, index, before)

    # -- what a pass costs ------------------------------------------------------------------------------
    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("q, k, v and z", 4 * self.dk), ("its output", self.d))

    def multiplications(self) -> int:
        """Per time step: q, k, v and o (the scores and z grow with T²: :meth:`time_cost`)."""
        return 3 * self.dk * (self.d + 1) + self.d * (self.dk + 1)

    def time_cost(self, T: int) -> tuple[int, int]:
        """The scores, a, ∂ℓ/∂a and δ (H·T² each), and q·k and a v over every pair (2·T²·dk)."""
        return 4 * self.heads * T * T, 2 * T * T * self.dk

    # -- the batch pass over time ---------------------------------------------------------------------
    def mask(self, T: int, n: int, active: np.ndarray | None) -> np.ndarray | None:
        """(n, 1, T, T): which keys τ′ query τ of example i reads (τ′ within the example, τ′ ≤ τ when causal)."""
        m = None
        if active is not None and int(active.min()) < n:
            running = np.arange(n)[:, None] < np.asarray(active)[None, :]  # (n, T)
            m = np.broadcast_to(running[:, None, None, :], (n, 1, T, T))
        if self.causal:
            c = np.tril(np.ones((T, T), dtype=bool))[None, None]
            m = c if m is None else (m & c)
        return m

    def by_head(self, Y: np.ndarray, n: int, parts: int = 1) -> np.ndarray:
        """(T·n, parts·dk) rows (τ, example) → a view (parts, n, H, T, dh): each head's T × dh matrices,
        strided, as the batched products take them (no copy)."""
        T_n, H, dh = len(Y), self.heads, self.dh
        return Y.reshape(T_n // n, n, parts, H, dh).transpose(2, 1, 3, 0, 4)

    def run(self, W: np.ndarray, X: np.ndarray, f: Any = None, active: np.ndarray | None = None
            ) -> tuple[Saved, np.ndarray]:
        """(saved, O) for a batch X (T, n, d): O (T + 1, n, d) holds o_1 … o_T in rows 1 … T, row 0 zero,
        as a recurrent layer's o_0 (so the engine reads every kind over time alike); rows past an
        example's end are 0. Every product over the batch at once (the examples' matrices per head as
        strided views, written in place: one array per quantity, no copies between them)."""
        T, n, d = X.shape
        dk = self.dk
        Wqkv = W[:3 * dk, :d + 1].copy()
        Wqkv[:dk] /= math.sqrt(self.dh)  # q / √dh: the scores' scale, once
        Y = matmul(X.reshape(T * n, d), Wqkv[:, 1:].T)  # rows (τ, example): [q │ k │ v]
        Y += Wqkv[:, 0]
        qkv = self.by_head(Y, n, 3)
        q, k, v = qkv
        a = softmax_rows(q @ k.transpose(0, 1, 3, 2), self.mask(T, n, active), overwrite=True)
        z = np.empty((T * n, dk), dtype=Y.dtype)  # rows (τ, example), the heads side by side
        np.matmul(a, v, out=self.by_head(z, n)[0])
        O = np.empty((T + 1, n, d), dtype=X.dtype)
        O[0] = 0.0
        rows = O[1:].reshape(T * n, d)  # a view: o_τ of each example
        rows[...] = matmul(z, W[3 * dk:, 1:1 + dk].T)
        rows += W[3 * dk:, 0]
        if active is not None and int(active.min()) < n:
            O[1:][~(np.arange(n)[None, :] < np.asarray(active)[:, None])] = 0.0
        return Saved(X, qkv, a, z), O

    def bptt(self, W: np.ndarray, X: np.ndarray, saved: Saved, O: np.ndarray, above: np.ndarray,
             df: Any = None, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(G, ∂ℓ/∂x (T, n, d)) from ``above``, ∂ℓ/∂o_τ (T, n, d), zero past each example's end:
        ∂ℓ/∂z = W_Oᵀ ∂ℓ/∂o, ∂ℓ/∂a = ∂ℓ/∂z vᵀ, δ = a ⊙ (∂ℓ/∂a − a·∂ℓ/∂a), ∂ℓ/∂q = δ k / √dh,
        ∂ℓ/∂k = δᵀ q / √dh, ∂ℓ/∂v = aᵀ ∂ℓ/∂z, ∂ℓ/∂x = Σ W_·ᵀ ∂ℓ/∂· over q, k, v (without the bias column);
        G sums over the examples and τ."""
        T, n, d = above.shape
        dk, s = self.dk, saved
        q, k, v = s.qkv
        dO = above.reshape(T * n, d)
        G = np.zeros(self.param_shape, dtype=above.dtype)
        G[3 * dk:, 0] = dO.sum(axis=0)
        G[3 * dk:, 1:1 + dk] = matmul(dO.T, s.z)
        dz = self.by_head(matmul(dO, W[3 * dk:, 1:1 + dk]), n)[0]
        delta = softmax_back(s.a, dz @ v.transpose(0, 1, 3, 2), overwrite=True)
        dQKV = np.empty((T * n, 3 * dk), dtype=above.dtype)  # rows (τ, example): [∂q │ ∂k │ ∂v]
        grads = self.by_head(dQKV, n, 3)  # each head's ∂ℓ/∂q, ∂ℓ/∂k, ∂ℓ/∂v, written in place
        np.matmul(delta, k, out=grads[0])  # q was divided by √dh: ∂ℓ/∂q = δ k / √dh below
        grads[0] /= math.sqrt(self.dh)
        np.matmul(delta.transpose(0, 1, 3, 2), q, out=grads[1])  # δᵀ (q / √dh)
        np.matmul(s.a.transpose(0, 1, 3, 2), dz, out=grads[2])
        G[:3 * dk, 0] = dQKV.sum(axis=0)
        G[:3 * dk, 1:d + 1] = matmul(dQKV.T, X.reshape(T * n, d))
        key_bias_zero(self.part(G, "K"))
        dX = matmul(dQKV, W[:3 * dk, 1:d + 1]).reshape(T, n, d)
        return G, dX

    def back_inputs(self, W: np.ndarray, D: np.ndarray) -> np.ndarray:
        """∂ℓ/∂x_τ (T, n, d): :meth:`bptt` hands it back already."""
        return D

    def code(self, l: int, L: int) -> LayerCode:
        """Every step in tensor operations over the whole sequence (code.py)."""
        from . import code

        return code.code(self, l)

    def code_from(self, l: int, L: int, src: int) -> LayerCode:
        return self.code(l, L)  # its input rows are a template ({X}) the writer fills from the wires

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> Any:
        """Every step over the whole sequence in the profile's names and layout (profiled.py)."""
        from . import profiled

        return profiled.profiled_code(self, l, n, row, separate, mean)

    def profiled_printed(self, net: Any, l: int, notation: Any) -> dict[str, str]:
        """Its rules and own symbols as ``notation`` prints them: its program's comments (profiled.py)."""
        from . import profiled

        return profiled.printed(net, l, notation)

    # -- the stepper (steps.py, equations.py, explain.py) ----------------------------------------------
    def rules(self, net: Any, l: int) -> list | None:
        from . import equations

        return equations.rules(net, l)

    def profiled_rules(self, net: Any, l: int, notation: Any) -> list | None:
        from . import equations

        return equations.rules(net, l, notation)

    def explains(self, spec: Any, cell: Any) -> bool:
        from . import explain

        return explain.handles(self, spec, cell)

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import explain

        return explain.explain_any(stepper, cell, digits)

    def follows_profiles(self) -> bool:  # its steps, in every notation profile
        return True

    def matrix_blocks(self, l: int) -> list[tuple[int, int, int, dict[str, Any]]]:
        """W_Q, W_K, W_V (dk rows, bias │ x_τ's d columns) and W_O (d rows, bias │ z_τ's dk columns), each
        with its b and their gradients (a profile's ∂ℓ/∂W_Q, ∂ℓ/∂b_Q)."""
        from .equations import bias, weight

        out = []
        for i, name in enumerate(WEIGHTS):
            rows, cols = (self.d, 1 + self.dk) if name == "O" else (self.dk, 1 + self.d)
            out.append((i * self.dk, rows, cols, {"W": weight(name, l), "b": bias(name, l),
                                                   "G": Sym("G", l, (name,), vector=True),
                                                   "Gb": Sym("Gb", l, (name,), vector=True)}))
        return out

    def panel_units(self, quantity: str, count: int) -> list[tuple[str, str, int | None]]:
        """The stored matrix's rows by matrix (each from 1); a's rows by head and key τ′ (times, not
        units: numbered as the panel's τ columns)."""
        if quantity == "W":
            return [("", "", r + 1 - first) for first, rows, _, _ in self.matrix_blocks(1)
                    for r in range(first, first + rows)]
        if quantity == "a":
            T = count // self.heads
            return [(f"h{h + 1} τ′{u + 1}" if self.heads > 1 else f"τ′{u + 1}", "", None)
                    for h in range(self.heads) for u in range(T)]
        return super().panel_units(quantity, count)

    def claims_step(self, net: Any, key: Any) -> bool:  # but a layer norm's own steps (its kind's)
        return key.phase != "update" and not own_step(net, key)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:
        from . import equations

        return equations.step_equations(net, state, step)

    def prepare_steps(self) -> None:
        from . import equations  # noqa: F401

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        from . import equations

        return equations.profiled(net, state, step, notation, optimizer)

    sent_quantity: ClassVar[str | None] = "dx"

    def sequence_units(self, o: np.ndarray) -> np.ndarray:
        """o_1 … o_T: the board's o⁽ˡ⁾ keeps o_0 = 0 in row 0."""
        return o[1:]

    def sequence_sent(self, state: Any, l: int, t: int | None = None) -> np.ndarray:
        """Its dx (∂ℓ/∂x_τ through every query, key and value)."""
        dx = state.extra["dx", l]
        return dx if t is None else dx[t - 1]

    def start_sequence(self, net: Any, x: np.ndarray) -> tuple[list, list, list, dict]:
        from . import steps

        return steps.start_example(net, x)

    def sequence_step(self, net: Any, state: Any, key: Any) -> tuple[Any, Any]:
        from . import steps

        return steps.apply(net, state, key)

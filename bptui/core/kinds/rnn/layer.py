"""The recurrent layer (``rnn``): its weights live as one matrix h × (1 + d + h), [W | U] with the bias in
column 0, and files show them as ``{"W": h×(d+1), "U": h×h}``. Its arithmetic runs over time, so its
forward and backward passes (``run``, ``bptt``) take a sequence: arrays (T, n, ·) with the time step
τ = 1..T on the first axis and one row per example."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import LayerCode, LayerKind, ProfiledCode, Shape, matmul, mean_divisor, own_step, read_matrix
from ...engine.quizcells import QuizCell, matrix_cells, unit_cells
from ...ops.activations import read_activation
from ...util.errors import SpecError
from ...formulas.formula import Sym
from ...formulas.notation import sup


def recurrent_grad_sym(w: Sym) -> Sym:
    """A recurrent layer's gradient entry, named by its weight: G of w in W with w's subscripts (an rnn's
    G_b,a⁽ˡ⁾, a gated layer's G⁽ˡ⁾_{z,b,a}), G⁽ˡ⁾_{U,…} of u in U (an rnn's G⁽ˡ⁾_{U,b,c}, a gated layer's
    G⁽ˡ⁾_{U,z,b,c}): U's c counts from U's own first column, so without U's name it would be a W column's
    (U has no subscript letter, so its name is one group after the layer)."""
    if w.base == "u":
        return Sym("G", w.layer, ("U",) + w.sub, group=True)
    return Sym("G", w.layer, w.sub, group=w.group)


def weight_words(notation: Any, l: int) -> tuple[Any, Any, str, str, Any]:
    """What a gated layer's weight texts name, as ``notation`` writes it (None: the lecture's): (a unit's printed
    number, the layer's number, W's letter, the layer's h, a gate's letter as its panel prints it: ĝ, ϱ, ō)."""
    from ...formulas.formula import TextPrinter

    printer = TextPrinter(notation=notation)
    P = printer.notation
    if P is None:
        return (lambda i: i), l, "W", f"h{sup(l)}", (lambda g: g)
    return (P.unit, P.layer_number(l), printer.p(Sym("W")), printer.p(Sym("h", l, vector=True)),
            lambda g: printer.p(Sym("ō" if g == "o" else g)))


@dataclass(frozen=True)
class ProfiledCommon:
    """What the recurrent kinds' programs in a profile share (:func:`profiled_common`): s_τ's expression and its
    line(s), the gradients of W, U and b at τ, what goes down to the input, Uᵀ δ_{τ+1} (the recurrence's part of
    ∂ℓ/∂ of the output), the example's start, and the step lines' printed symbols (``e``: braces doubled, the
    lines are templates) and labels."""

    forward: str
    said: str
    grad: tuple[str, ...]
    back: str
    back_said: str
    recur: str
    recur_said: str
    s_lines: tuple[str, ...]
    start: tuple[str, ...]
    e: dict[str, str]
    label: Any
    torch: bool


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def profiled_common(kind: Any, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCommon:
    """z_τ = W a_τ + U a_{τ−1} + b (rows: a_τ W + a_{τ−1} U + b; the bias in column 0: W [1, a_τ] + U a_{τ−1}), the
    gradients δ_τ a_τᵀ, δ_τ a_{τ−1}ᵀ, δ_τ (each over m in a mean profile; transposed with rows), Wᵀ δ_τ down, Uᵀ δ_{τ+1}
    back in time, and the output at τ = 0 set to zeros (``kind.h`` of them): an rnn's and an LSTM's alike."""
    t = {k[1:]: v for k, v in n.items() if k.startswith("~")}
    lib, torch = n["lib"], n["lib"] == "torch"
    per, shown = mean_divisor(n, mean)  # the group's size as the panels print it (|B| or m)
    W, U, b, a, prev, z, dz, nxt = n["W"], n["U"], n["b"], n["a_in"], n["a_prev"], n["z"], n["dz"], n["dz_next"]
    at = ' f" (τ = {{t}})"'  # the step lines are templates (codegen fills {f}, {df}, {up}): braces doubled
    e = {k: _braces(v) for k, v in t.items()}
    if row:
        forward, said = f"{a} @ {W} + {prev} @ {U} + {b}", f"{t['a_in']} {t['W']} + {t['a_prev']} {t['U']} + {t['b']}"
        recur, recur_said = f"{nxt} @ {U}.T", f"{t['dz_next']} {t['U']}ᵀ"
        terms = [(n["dW"], f"{a}.T @ {dz}", f"{t['a_in']}ᵀ {t['dz']}"), (n["dU"], f"{prev}.T @ {dz}", f"{t['a_prev']}ᵀ {t['dz']}"),
                 (n["db"], f"{lib}.sum({dz}, axis=0)", t["dz"])]
        back, back_said = f"{dz} @ {W}.T", f"{t['dz']} {t['W']}ᵀ"
    else:
        forward = f"{W} @ {a} + {U} @ {prev}" + (f" + {b}" if separate else "")
        said = f"{t['W']} {t['a_in']} + {t['U']} {t['a_prev']}" + (f" + {t['b']}" if separate else "")
        recur, recur_said = f"{U}.T @ {nxt}", f"{t['U']}ᵀ {t['dz_next']}"
        terms = [(n["dW"], f"{lib}.outer({dz}, {a})", f"{t['dz']} {t['a_in']}ᵀ"),
                 (n["dU"], f"{lib}.outer({dz}, {prev})", f"{t['dz']} {t['a_prev']}ᵀ")]
        if separate:
            terms.append((n["db"], dz, t["dz"]))
        back = f"{W}.T @ {dz}" if separate else f"({W}.T @ {dz})[1:]"
        back_said = f"{t['W']}ᵀ {t['dz']}" + ("" if separate else " without the bias row")
    grad = tuple(f"{g} += {term}{per}  # {sg} ← {sg} + ({term_said}){shown}"
                 for (g, term, term_said), sg in zip(terms, (t["dW"], t["dU"], t["db"])))
    zeros = f"{lib}.zeros({(1, kind.h) if row else kind.h})"
    start = (f"{n['a_first']} = {zeros}  # {t['a_first']} = 0",)

    def label(key: str, more: str = "") -> str:  # a check's name: the symbol at τ, then τ's number
        return _braces(repr(t[key] + more)) + at

    s_lines = (f"{z} = {forward}  # {e['z']} = {_braces(said)}",) + ((f"{z}.retain_grad()  # keep {e['dz']} after backward()",)
                                                                     if torch else ()) + (f"check({z}, {label('z')})",)
    return ProfiledCommon(forward, said, grad, back, back_said, recur, _braces(recur_said), s_lines, start, e, label, torch)


@dataclass(frozen=True)
class Recurrent(LayerKind):
    """What the recurrent family (``rnn``, ``lstm``, ``gru``) shares: a layer over time that reads a vector
    x_τ per time step and hands up h units per τ, with its weights stored as one matrix [W | U] of
    ``gates``·h rows (the bias in column 0 of W, and for a GRU a bias column of U's own) that files show
    as ``{"W": gates·h × (d+1), "U": gates·h × (h + u_bias)}``. With ``return_sequences`` every o_τ goes
    to the layer above (which then runs at each τ), else only o_T. Its steps and equations are the
    family's (``steps.py``, ``equations.py``): each kind answers for its own layer's steps
    (``time_step``, ``time_equations``, ``start_rows``)."""

    return_sequences: bool = False
    over_time: ClassVar[bool] = True
    panel: ClassVar[str] = "sequence"
    per_time: ClassVar[bool] = True
    gates: ClassVar[int] = 1  # blocks of h rows in W and U (an LSTM's i, f, g, o)
    u_bias: ClassVar[int] = 0  # U's own bias column (a GRU's)
    fixed: ClassVar[str] = ""  # the gated kinds' σ and tanh are fixed: the file gives no activation
    layer_words: ClassVar[str] = "the recurrent layer"  # how the explanations name the layer
    output_name: ClassVar[str] = "o"  # the step that writes the board's o: a gated layer's h

    def board_quantity(self, quantity: str) -> str:
        return "o" if quantity == self.output_name else quantity

    def step_name(self, quantity: str) -> str:
        return self.output_name if quantity == "o" else quantity

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        if len(below) == 3:
            raise SpecError("a recurrent layer reads a vector x_τ per time step: the input layer is "
                            "{\"units\": d}, not a shape", place=place)
        if "units" not in layer:
            raise SpecError("missing required key 'units'", place=place)
        out = (int(layer["units"]),)
        if cls.fixed:
            for key in ("activation", "alpha"):
                if key in layer:
                    raise SpecError(f"an {cls.type} layer takes no {key}: {cls.fixed}", place=f"{place}.{key}")
            act, alpha = "tanh", 0.0
        else:
            act, alpha = read_activation(layer, l, L, out[0])
            if act == "softmax":
                raise SpecError("softmax is for the output layer only", place=f"{place}.activation")
        return cls(below, out, return_sequences=bool(layer.get("return_sequences", False))), act, alpha

    def sequence_out(self) -> bool:
        """Every o_τ with ``return_sequences``, else o_T only (many-to-one)."""
        return self.return_sequences

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        place = f"weights[{l - 1}]"
        if not isinstance(w, dict) or set(w) != {"W", "U"}:
            raise SpecError(f"expected {{\"W\", \"U\"}} with {self.expected_weights()} for layers[{l}] ({self.type})",
                            place=place)
        rows = f"{self.gates}·d{sup(l)}" if self.gates > 1 else f"d{sup(l)}"
        read_matrix(w["W"], (self.rows, self.d + 1), f"{rows} × (d{sup(l - 1)}+1)", f"{place}.W")
        read_matrix(w["U"], (self.rows, self.h + self.u_bias), f"{rows} × {'(' if self.u_bias else ''}d{sup(l)}"
                    f"{'+1)' if self.u_bias else ''}", f"{place}.U")
        return self.weights_from_json(w)

    @property
    def d(self) -> int:
        return self.in_shape[0]

    @property
    def h(self) -> int:
        return self.out_shape[0]

    @property
    def rows(self) -> int:
        """Rows of W and U: h per gate."""
        return self.gates * self.h

    @property
    def param_shape(self) -> Shape:
        return (self.rows, 1 + self.d + self.u_bias + self.h)

    def time_row(self, quantity: str, t: int) -> int:
        """o_τ in row τ (o_0 = 0 in row 0; an LSTM's c_τ too, with c_0); s_τ, δ_τ and the rest in row τ − 1."""
        return t if quantity in ("o", "c", "h") else t - 1

    def sequence_units(self, o: Any) -> Any:
        """o_1 … o_T: the board's o⁽ˡ⁾ keeps o_0 = 0 in row 0."""
        return o[1:]

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Each entry of the step's quantity at its τ (s_τ, o_τ, δ_τ; a gated kind's gates, c_τ, ∂ℓ/∂h_τ …,
        as many as ``entries`` says); every entry of [W | U] (u_b,c in U) in G and W."""
        q = key.quantity
        if q in ("G", "W"):
            return matrix_cells(self, l, q, value)
        return unit_cells(self, l, q, key.time, value)

    def W_part(self, W: np.ndarray) -> np.ndarray:
        """W (rows × (d + 1), bias in column 0) of the stored [W | U]."""
        return W[:, :1 + self.d]

    def U_part(self, W: np.ndarray) -> np.ndarray:
        """U (rows × (h + u_bias)) of the stored [W | U]."""
        return W[:, 1 + self.d:]

    def back_inputs(self, W: np.ndarray, D: np.ndarray) -> np.ndarray:
        """∂ℓ/∂x_τ = W_xᵀ δ_τ for every τ and example, (T, n, d), from :meth:`bptt`'s Δ (T, n, rows): what
        a recurrent layer hands down to the layer below it (0 past an example's end)."""
        T, n, r = D.shape
        return matmul(D.reshape(T * n, r), W[:, 1:1 + self.d]).reshape(T, n, self.d)

    def weights_json(self, W: np.ndarray) -> Any:
        return {"W": self.W_part(W).tolist(), "U": self.U_part(W).tolist()}

    def from_framework(self, weight: np.ndarray, bias: np.ndarray, weight_hh: np.ndarray | None = None,
                       bias_hh: np.ndarray | None = None) -> np.ndarray:
        """[W │ U] from PyTorch's ``weight_ih``, ``bias_ih``, ``weight_hh``, ``bias_hh`` (zeros when None): the
        two biases summed into W's column 0, as both are added to the same s; a GRU's ``bias_hh`` is U's own
        column 0 (it sits inside r ⊙ (·) for n)."""
        hh = np.zeros(self.rows) if bias_hh is None else np.asarray(bias_hh, dtype=float)
        R = np.zeros((self.rows, self.h)) if weight_hh is None else np.asarray(weight_hh, dtype=float)
        b = np.asarray(bias, dtype=float)
        parts = [(b + hh)[:, None], weight] if not self.u_bias else [b[:, None], weight, hh[:, None]]
        return np.concatenate([*parts, R], axis=1).astype(float)

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.concatenate([np.asarray(value["W"], dtype=float).reshape(self.rows, 1 + self.d),
                               np.asarray(value["U"], dtype=float).reshape(self.rows, self.h + self.u_bias)], axis=1)

    def expected_weights(self) -> str:
        return f"W {self.rows}×{self.d + 1}, U {self.rows}×{self.h + self.u_bias}"

    def describe(self) -> str:
        return f"{self.type} {self.h}" + (", return_sequences" if self.return_sequences else "")

    def row_words(self, b: int, unit: Any) -> str:
        """Row ``b`` (from 1) of s⁽ˡ⁾ in words, ``unit`` numbering a unit as the notation does: "unit b" (a
        gated kind's: its gate's unit)."""
        return f"unit {unit(b)}"

    # -- the family's steps and equations (steps.py, equations.py) ----------------------------------------
    def claims_step(self, net: Any, key: Any) -> bool:
        # a recurrent network's steps through time, but a layer norm's own (its kind writes them, at τ); the
        # updates are the dense path's
        return key.phase != "update" and not own_step(net, key)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:
        from . import equations
        from .profiled import flat_ones

        return tuple(flat_ones(e) for e in equations.step_equations(net, state, step))  # [1, h] one vector

    def prepare_steps(self) -> None:
        from . import equations, profiled  # noqa: F401

    def follows_profiles(self) -> bool:  # every profile: a separate b (per gate block), G/m, rows (profiled.py)
        return True

    def profiled_rules(self, net: Any, l: int, notation: Any) -> list | None:
        from . import profiled

        return profiled.rules(net, l, notation)

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        from . import profiled

        return profiled.step_equations(net, state, step, notation, optimizer)

    def start_sequence(self, net: Any, x: np.ndarray) -> tuple[list, list, list, dict]:
        from . import steps

        return steps.start_example(net, x)

    def sequence_step(self, net: Any, state: Any, key: Any) -> tuple[Any, Any]:
        from . import steps

        return steps.apply(net, state, key)

    def entries(self, quantity: str) -> int:
        return self.rows

    def explains(self, spec: Any, cell: Any) -> bool:
        """A cell of the recurrent network's board: a kind's own (``explains_own``), a recurrent or dense
        layer's (explain.py), or the loss summed over τ."""
        from . import explain

        if any(k.own_steps and k.explains(spec, cell) for k in spec.layer_kinds):  # a layer norm's own cells
            return False
        return (self.explains_own(spec, cell) or explain.handles(spec, cell)
                or (cell.quantity == "loss" and spec.return_sequences))

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import explain

        for kind in stepper.spec.layer_kinds:
            if isinstance(kind, Recurrent) and kind.explains_own(stepper.spec, cell):
                return kind.explain_own(stepper, cell, digits)
        if explain.handles(stepper.spec, cell):
            return explain.explain_rnn(stepper, cell, digits)
        return explain.explain_loss(stepper, cell, digits)

    def explains_own(self, spec: Any, cell: Any) -> bool:
        """Whether ``cell`` is one of this kind's own (a gated layer's gates, c, …); rnn's are the family's."""
        return False

    def explain_own(self, stepper: Any, cell: Any, digits: int) -> Any:  # pragma: no cover - per kind
        raise NotImplementedError

    def start_rows(self, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """The board's rows of a new example of T steps, NaN until computed: s (T × rows), o ((T + 1) × h,
        o_0 = 0 in row 0), δ (T × rows), and the kind's own quantities (none for rnn)."""
        o = np.full((T + 1, self.h), np.nan)
        o[0] = 0.0
        return np.full((T, self.rows), np.nan), o, np.full((T, self.rows), np.nan), {}

    # -- a generated program (LayerCode): the parameters as PyTorch's nn.RNN/LSTM/GRU name them ----------
    def torch_params(self) -> tuple[tuple[str, str, bool], ...]:
        """(attribute, its value from bptui's [W | U] ``M``, whether a bias): bias, weight_ih, weight_hh (a
        GRU: bias_ih, weight_ih, bias_hh, weight_hh)."""
        d = self.d
        if self.u_bias:
            return (("bias_ih", "M[:, 0]", True), ("weight_ih", f"M[:, 1:{1 + d}]", False),
                    ("bias_hh", f"M[:, {1 + d}]", True), ("weight_hh", f"M[:, {2 + d}:]", False))
        return (("bias", "M[:, 0]", True), ("weight_ih", f"M[:, 1:{1 + d}]", False), ("weight_hh", f"M[:, {1 + d}:]", False))

    def torch_code(self, l: int, **seq: Any) -> LayerCode:
        """The parameters written out (a ParameterDict: PyTorch's modules hide s_τ and the gates) with the
        kind's steps ``seq``."""
        shapes = {"M[:, 0]": f"{self.rows}", f"M[:, {1 + self.d}]": f"{self.rows}"}
        params = self.torch_params()
        cols = {"weight_ih": self.d, "weight_hh": self.h}
        made = ", ".join(f"\"{a}\": torch.nn.Parameter(torch.zeros({shapes[v] if b else f'{self.rows}, {cols[a]}'}))"
                         for a, v, b in params)
        parts = ", ".join(f"layer[{l}].{a}{{a}}[:, None]" if b else f"layer[{l}].{a}{{a}}" for a, _, b in params)
        return LayerCode(module=f"torch.nn.ParameterDict({{{made}}})", params=params,
                         matrix=f"torch.cat([{parts}], 1)", **seq)

    def panel_units(self, quantity: str, count: int) -> list[tuple[str, str, int | None]]:
        """A gated layer's rows of s, δ, the gates and [W │ U] by gate and unit (a GRU's s: W's product,
        then U's, each by gate, each part named by ``panel_parts``); c, h, ∂ℓ/∂h, ∂ℓ/∂c by unit."""
        if self.gates == 1 or count % self.rows:
            return super().panel_units(quantity, count)
        return [("", "ō" if g == "o" else g, b) for _ in range(count // self.rows) for g in self.gate_order
                for b in range(1, self.h + 1)]

    def profiled_weight_sym(self, notation: Any, l: int, row: int, col: int) -> Sym:
        """U's entries as the kind names them wherever a profile shows one (u₃,₁²: U's own column, never the
        stored [W │ U]'s; a GRU's U bias b²_{h,r,3} where the profile writes it apart as b²_{h}), and a gated
        layer's every entry by gate (w²_{z,2,1}, b²_{z,2}); an rnn's W and b as a dense layer's (cs231n's w_k,j)."""
        if col > self.d or self.gates > 1:
            return self.weight_sym(l, row, col)
        return super().profiled_weight_sym(notation, l, row, col)

    def matrix_parts(self, l: int) -> list[tuple[int, Any]]:
        from ...engine.equations import W
        from .equations import U

        return [(0, W(l)), (1 + self.d, U(l))]

    def gradient_parts(self, l: int) -> list[tuple[int, Any]]:
        """G of W, then G of U (G⁽ˡ⁾_{U}: ∂C/∂U², dU¹ in the profiles) from U's first column."""
        from ...engine.equations import G

        return [(0, G(l)), (1 + self.d, Sym("G", l, ("U",), vector=True, group=True))]

    def update_parts(self, l: Any) -> list[Any]:
        """W's columns (1 … d), U's (after a GRU's U bias: U without it), b (column 0) and a GRU's b_{h}
        (``separate_biases``), each under its symbol and its gradient's (``matrix_parts``, ``gradient_parts``);
        the optimizer's state of U as m_U, v_U, of b as m_b, of b_{h} as m_{b_h}."""
        from ...engine.equations import Gb, b
        from ...engine.kind import ParameterPart

        (_, W), (u_first, U) = self.matrix_parts(l)
        (_, G), (_, G_U) = self.gradient_parts(l)
        biases = self.separate_biases(l)
        first_u = u_first + sum(1 for col, _, _ in biases if col >= u_first)  # U without its own bias column
        assert isinstance(U, Sym)
        parts = [ParameterPart(1, u_first, W, G), ParameterPart(first_u, None, U, G_U, (U.base,)),
                 ParameterPart(0, None, b(l), Gb(l), ("b",), vector=True)]
        for col, sym, grad in biases:
            assert isinstance(sym, Sym)
            parts.append(ParameterPart(col, None, sym, grad, ("_".join((sym.base, *map(str, sym.sub))),), vector=True))
        return parts

    def panel_weights(self, l: int) -> tuple[str, tuple[int, ...], list[str]] | None:
        """A gated layer's [W │ U] and G rows named by gate and unit (i1 … ō4 of an LSTM, r1 … n4 of a
        GRU), as its s and δ rows are; an rnn's rows are the units (the panel's default)."""
        if self.gates == 1:
            return None
        d = self.in_size
        labels = [f"{'ō' if g == 'o' else g}{b}" for g in self.gate_order for b in range(1, self.h + 1)]
        return f"W{sup(l)} (bias │ inputs │ U{sup(l)} from column {d + 1})", (0, d), labels

    def time_step(self, net: Any, st: Any, key: Any) -> tuple[np.ndarray, np.ndarray | None]:  # pragma: no cover
        """This layer's own step ``key`` at τ, written on the board ``st``: (its value, the G it replaced,
        or None)."""
        raise NotImplementedError

    def time_equations(self, net: Any, state: Any, step: Any) -> tuple:  # pragma: no cover - per kind
        """The equations of this layer's own step at τ (G included)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rnn(Recurrent):
    """The recurrent layer: for τ = 1..T, s_τ = W [1, x_τ] + U o_{τ−1}, o_τ = f(s_τ), o_0 = 0.

    ``in_shape`` is (d,), one time step's input; ``out_shape`` (h,). The weights are one matrix
    [W | U] of h × (1 + d + h): W = [b, W_x] is the lecture's h × (d + 1) with the bias in column 0,
    U (h × h) multiplies the h units of o_{τ−1} (no bias entry)."""

    type: ClassVar[str] = "rnn"
    keys: ClassVar[frozenset[str]] = frozenset({"type", "units", "activation", "alpha", "return_sequences"})

    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """w_b,a⁽ˡ⁾ in W (a = 0 the bias, 1 … d the inputs), u_b,c⁽ˡ⁾ in U (c = 1 … h), as the panel
        shows [W | U]."""
        if col > self.d:
            return Sym("u", l, (row + 1, col - self.d))
        return Sym("w", l, (row + 1, col))

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        """G_b,a⁽ˡ⁾ of w_b,a⁽ˡ⁾ in W, G⁽ˡ⁾_{U,b,c} of u_b,c⁽ˡ⁾ in U (c = 1 … h, U's own column)."""
        return recurrent_grad_sym(self.weight_sym(l, row, col))

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
        XW = (matmul(X.reshape(T * n, self.d), W[:, 1:1 + self.d].T) + W[:, 0]).reshape(T, n, self.h)
        UT = self.U_part(W).T
        for t in range(T):
            m = n if active is None else int(active[t])
            s = S[t, :m]
            np.matmul(O[t, :m], UT, out=s)  # U o_{τ−1}, as rows
            s += XW[t, :m]
            O[t + 1, :m] = f(s)
        return S, O

    def bptt(self, W: np.ndarray, X: np.ndarray, S: np.ndarray, O: np.ndarray, above: np.ndarray,
             df, active: np.ndarray | None = None, record: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(G, Δ): backpropagation through time, on :meth:`run`'s arrays (and its ``active``). ``above``
        (T, n, h) is ∂ℓ/∂o_τ arriving from the layer above at each τ (zero but at each example's last τ
        for many-to-one); ``df(s, o)`` is f′. For τ = T..1: δ_τ = (Uᵀ δ_{τ+1} + above_τ) ⊙ f′(s_τ),
        δ_{T+1} = 0; G_W = Σ_τ δ_τ [1, x_τ]ᵀ, G_U = Σ_τ δ_τ o_{τ−1}ᵀ (summed over the batch too).
        Δ (T, n, h) holds every δ_τ (0 past an example's end). ``record`` (when given) receives the
        quantities of :meth:`panel_norms` by name, each (T, n, h): here ``"delta"``, Δ itself."""
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
        if record is not None:
            record["delta"] = D
        G = np.empty(self.param_shape, dtype=S.dtype)
        Dm = D.reshape(T * n, h)  # rows (τ, example)
        G[:, 0] = Dm.sum(axis=0)
        G[:, 1:1 + self.d] = matmul(Dm.T, X.reshape(T * n, self.d))
        G[:, 1 + self.d:] = matmul(Dm.T, O[:-1].reshape(T * n, h))
        return G, D

    # -- the engine's questions (engine/kind.py): this package's modules answer them -----------------------
    def rules(self, net: Any, l: int) -> list | None:
        from . import equations

        return equations.rules(net, l)

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        return self.profiled_weight_text(spec, l, b, a, None)

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """Which of W's or U's weights (b, a) is, its units and layer as ``notation`` numbers them and o⁽ˡ⁾, W in
        its letters (None: the lecture's)."""
        from ...formulas.formula import TextPrinter

        printer = TextPrinter(notation=notation)
        unit = (lambda i: i) if printer.notation is None else printer.notation.unit
        layer = l if printer.notation is None else printer.notation.layer_number(l)
        if a > self.d:
            return (f"U: the weight from unit {unit(a - self.d)} of {printer.p(Sym('o', l, vector=True))} at τ − 1 to "
                    f"unit {unit(b)} of layer {layer}, the same at every time step")
        if a:
            return (f"{printer.p(Sym('W'))}: the weight from input {unit(a)} of x_τ to unit {unit(b)} of layer {layer}, "
                    "the same at every time step")
        return None

    def time_step(self, net: Any, st: Any, key: Any) -> tuple[np.ndarray, np.ndarray | None]:
        from . import steps

        return steps.rnn_step(net, st, key)

    def code(self, l: int, L: int) -> LayerCode:
        """s_τ = b + W_x x_τ + U o_{τ−1} in tensor operations; NumPy: [W | U] [1, x_τ, o_τ−1]."""
        d, h, S = self.d, self.h, sup(l)
        inp = f"one(x[{l}][t]), o[{l}][t - 1]"
        return self.torch_code(
            l,
            seq_start=(f"o[{l}][0] = torch.zeros({h})  # o{S}_0 = 0",),
            seq=(("s", (f"s[{l}][t] = layer[{l}].bias + layer[{l}].weight_ih @ x[{l}][t] + layer[{l}].weight_hh @ o[{l}][t - 1]"
                        f"  # s{S}_τ = W [1, x_τ] + U o{S}_τ−1", f"s[{l}][t].retain_grad()", f"check(s[{l}][t], f\"s{S}_{{{{t}}}}\")")),
                 ("o", (f"o[{l}][t] = {{f}}", f"check(o[{l}][t], f\"o{S}_{{{{t}}}}\")")),
                 ("delta", (f"check(s[{l}][t].grad, f\"δ{S}_{{{{t}}}} (∂ℓ/∂s{S}_τ: .grad)\")",)),
                 ("G", (f"G[{l}] = G[{l}] + torch.outer(s[{l}][t].grad, torch.cat([{inp}]))  # G{S} += δ{S}_τ [1, x_τ, o_τ−1]ᵀ",
                        f"check(G[{l}], \"G{S} so far\")"))),
            np_seq_start=(f"o[{l}][0] = np.zeros({h})  # o{S}_0 = 0",),
            np_seq=(("s", (f"s[{l}][t] = W[{l}] @ np.concatenate([{inp}])  # s{S}_τ = [W | U] [1, x_τ, o{S}_τ−1]",
                           f"check(s[{l}][t], f\"s{S}_{{{{t}}}}\")")),
                    ("o", (f"o[{l}][t] = {{f}}", f"check(o[{l}][t], f\"o{S}_{{{{t}}}}\")")),
                    ("delta", (f"d[{l}][t] = ({{up}} + (W[{l}][:, {1 + d}:].T @ d[{l}][t + 1] if t < T else 0)) * ({{df}})"
                               f"  # δ{S}_τ = (∂ℓ/∂o from above + Uᵀ δ{S}_τ+1) ⊙ f′(s{S}_τ)",
                               f"check(d[{l}][t], f\"δ{S}_{{{{t}}}}\")")),
                    ("G", (f"G[{l}] += np.outer(d[{l}][t], np.concatenate([{inp}]))  # G{S} += δ{S}_τ [1, x_τ, o_τ−1]ᵀ",
                           f"check(G[{l}], \"G{S} so far\")"))))

    def time_equations(self, net: Any, state: Any, step: Any) -> tuple:
        from . import equations

        return equations.rnn_equations(net, state, step)

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """At τ, as the profile's steps write it (profiled.py): z_τ = W a_τ + U a_{τ−1} + b with a separate b (rows:
        a_τ W + a_{τ−1} U + b, cs231n's x_t @ Wx + prev_h @ Wh + b), z_τ = W [1, a_τ] + U a_{τ−1} with the bias in
        column 0 of W; δ_τ = (∂ℓ/∂a_τ from above + Uᵀ δ_{τ+1}) ⊙ f′(z_τ) (NumPy; PyTorch's is z_τ.grad); the
        gradients of W, U and b apart (the kind's ``update_parts``), each term over the group's m in a mean profile;
        ∂ℓ/∂ of its input Wᵀ δ_τ (without the bias row when W holds it)."""
        c = profiled_common(self, n, row, separate, mean)
        e, z, dz, label = c.e, n["z"], n["dz"], c.label
        o_lines = (f"{n['a']} = {{f}}  # {e['a']} = {e['act']}", f"check({n['a']}, {label('a')})")  # tanh(z_τ), as its panels
        if c.torch:
            d_lines: tuple[str, ...] = (f"check({z}.grad, {label('dz', ' (' + z + '.grad)')})",)
        else:
            d_lines = (f"{dz} = ({{up}} + ({c.recur} if t < T else 0)) * ({{df}})  # {e['dz']} = (from above + {c.recur_said}) ⊙ "
                       f"f′({e['z']})", f"check({dz}, {label('dz')})")
        return ProfiledCode(c.forward, c.said, c.grad, c.back, c.back_said,
                            steps=(("s", c.s_lines), ("o", o_lines), ("delta", d_lines)), start=c.start)

"""What layer normalisation and dropout share: they read o⁽ˡ⁻¹⁾'s units (a dense layer's bias entry 1
left out), hand up their own units with the bias entry 1 put back (a map: as it is), and their
backward step's value is ∂ℓ/∂x⁽ˡ⁾, the gradient of their input x⁽ˡ⁾ = o⁽ˡ⁻¹⁾ without its 1.

On the board (``core/engine/stepper.py``'s State): the forward quantity before o (layernorm's u,
dropout's mask m) is the row ``s[l]``, o⁽ˡ⁾ is ``o[l]``, ∂ℓ/∂x⁽ˡ⁾ is ``delta[l]`` (the layer below takes
it as its ∂ℓ/∂o⁽ˡ⁻¹⁾), and ∂ℓ/∂o⁽ˡ⁾, handed down from above, is ``extra[("do", l)]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...engine.kind import LayerCode, LayerKind, ProfiledCode, ProfiledNames, ones_on_top
from ...engine.quizcells import QuizCell, matrix_cells
from ...engine.explain import Cell
from ...formulas.formula import Node, Partial, Sym
from ...engine.schedule import BACKWARD, FORWARD
from ...engine.wiring import reader, source, wiring_of

# a unit-wise layer's quantities that are one vector per τ in a network over time (its input, u, o, μ, σ², the mask)
_AT_TAU = ("x", "u", "o", "μ", "σ²", "m")


def loss_of(example: Any = None) -> Sym:
    return Sym("ℓ", example, latex=r"\ell")


@dataclass(frozen=True)
class Unitwise(LayerKind):
    """A layer whose output has its input's shape, computed unit by unit (see the module's docstring)."""

    has_s: ClassVar[bool] = False
    own_steps: ClassVar[bool] = True
    output: ClassVar[bool] = False
    exercises: ClassVar[bool] = True  # the answer key's formulas: keyformulas.py
    unrolled_box: ClassVar[bool] = False
    first: ClassVar[str] = "s"  # the letter of the board's s row: layernorm's u, dropout's m
    first_name: ClassVar[str] = ""

    @property
    def bias_entry(self) -> bool:  # type: ignore[override]  # a vector's o⁽ˡ⁾ = [1, …]; a map has none
        return len(self.out_shape) == 1

    panel_hints: ClassVar[tuple[str, ...]] = ("dense", "map")  # the panels an instance's ``panel`` may name

    @property
    def panel(self) -> str:  # type: ignore[override]
        return "dense" if self.bias_entry else "map"

    def units_of(self, O: np.ndarray) -> np.ndarray:
        """x⁽ˡ⁾: o⁽ˡ⁻¹⁾ without its bias entry (rows 1…; a map's columns as they are)."""
        return O[1:] if self.bias_entry else O

    def with_one(self, X: np.ndarray) -> np.ndarray:
        return ones_on_top(X) if self.bias_entry else X

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:
        return self.forward(W, O)[0]

    def follows_profiles(self) -> bool:  # its steps, in every notation profile
        return True

    # -- names ---------------------------------------------------------------------------------------
    def do_sym(self, l: int, pos: Any = None, example: Any = None) -> Node:
        o = Sym("o", l, vector=True) if pos is None else Sym("o", l, tuple(p + 1 for p in pos))
        return Partial(loss_of(example), o, prefixed=True)

    def step_sym(self, quantity: str, l: int, time: int | None) -> Node | None:
        if quantity == "dx":
            return self.dx_sym(l)
        if quantity == self.first:
            return Sym(self.first, l, vector=True)
        return None

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        if quantity == "delta":
            return self.dx_sym(l, pos, example)
        if quantity == "s":
            return Sym(self.first, l, vector=True) if pos is None else Sym(self.first, l, tuple(p + 1 for p in pos))
        return super().cell_sym(quantity, l, pos, example)

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Node:
        if quantity == "delta":
            return Partial(loss_of(), Sym("x", l, (b,), time=time), prefixed=True) if time is not None else self.dx_sym(l, (b - 1,))
        if quantity == "s":
            return Sym(self.first, l, (b,), time=time)
        return super().unit_sym(quantity, l, b, time)

    # -- view hints: the dense panel's headings -------------------------------------------------------------
    def panel_label(self, quantity: str, l: int) -> str:
        if quantity in ("W", "G") and not self.has_weights:
            return ""
        return {"s": self.first + _sup(l), "delta": "∂ℓ/∂x" + _sup(l)}.get(quantity) or super().panel_label(quantity, l)

    def panel_title(self, l: int, activation: str) -> str:
        return self.describe()

    def profiled_names(self, l: int, notation: Any) -> ProfiledNames:
        """Its board rows as its equations name them (u or m, o, ∂ℓ/∂x); its parameters :meth:`parameter_names`'."""
        syms = {"s": Sym(self.first, l, vector=True), "o": Sym("o", l, vector=True), "delta": self.dx_sym(l)}
        columns, params = self.parameter_names(l, notation)
        return ProfiledNames({**params, **syms}, columns, self.title_parts())

    def parameter_names(self, l: int, notation: Any) -> tuple[tuple[str, ...] | None, dict[str, Node]]:
        """The headings of its W's shown columns and its parameters' symbols in ``notation``: none."""
        return None, {}

    def title_parts(self) -> tuple[Any, ...]:
        """The panel's title after the layer, as texts and symbols."""
        return (self.describe(),)

    # -- the board -------------------------------------------------------------------------------------
    def board_step(self, net: Any, state: Any, key: Any, handed_down: Any) -> tuple[Any, Any]:
        l = key.layer
        W, o_below = state.W[l], state.o[source(net, l)]  # o⁽ˡ⁻¹⁾, or what a residual block's wires bring
        if key.phase == FORWARD:
            return self.forward_step(state, key, W, o_below), None
        if key.quantity == "dx":
            g = np.asarray(handed_down(l))
            state.extra = {**state.extra, ("do", l): _ro(g)}
            value = _ro(self.input_grad(state, key, W, g, o_below))
            state.delta[l] = value
            return value, None
        before = state.G[l]  # G: γ's and β's gradients added up
        value = state.G[l] = _ro(before + self.board_grad(state.s[l], W, state.extra[("do", l)], o_below))
        return value, before

    def board_grad(self, s: Any, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:
        """The G step's term from ∂ℓ/∂o⁽ˡ⁾ = ``g`` and the board's s row (a layer norm's u, as the board
        holds it: a student's own u, when a grader replays an exercise)."""
        return self.grad_one(W, g, o_below)

    def forward_step(self, state: Any, key: Any, W: np.ndarray, o_below: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def sent_place(self, state: Any, l: int, t: int | None, pos: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
        """Its ∂ℓ/∂x: the board's δ row (at τ: row τ of its δ matrix)."""
        on_rows = np.ndim(state.delta[l]) == len(pos) + 1
        return "delta", ((t - 1,) if on_rows and t else ()) + tuple(pos)

    def one_forward(self, W: np.ndarray, o_below: np.ndarray, epoch: int, example: int) -> np.ndarray:
        """o⁽ˡ⁾ of example ``example`` in ``epoch`` (a training pass) from its o⁽ˡ⁻¹⁾ as stored."""
        out = self.train_forward(W, o_below.reshape(-1, 1), _draw(epoch, example))[0]
        return out[:, 0].reshape(o_below.shape)

    def one_back(self, W: np.ndarray, g: np.ndarray, o_below: np.ndarray, epoch: int, example: int) -> np.ndarray:
        """∂ℓ/∂x⁽ˡ⁾ of one example of a training pass, from ∂ℓ/∂o⁽ˡ⁾ = ``g``."""
        O = o_below.reshape(-1, 1)
        _, saved = self.train_forward(W, O, _draw(epoch, example))
        return self.back(W, g.reshape(-1, 1), O, saved).reshape(self.out_shape)

    def input_grad(self, state: Any, key: Any, W: np.ndarray, g: np.ndarray, o_below: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    # -- a generated program (bptui export; bptui/codegen/) ------------------------------------------------
    def code_from(self, l: int, L: int, src: int) -> LayerCode:
        return self.code(l, L)  # its input is a template ({X}) the writer fills from the wires

    def code_of(self, l: int, seq: dict[str, tuple[str, ...]], np_seq: dict[str, tuple[str, ...]],
                **more: Any) -> LayerCode:
        """The layer's :class:`LayerCode`: its steps' templates (``stepwise``), in both frameworks; every
        step is checked, ∂ℓ/∂x⁽ˡ⁾ in PyTorch as the .grad of its input x (kept by ``tap``), in NumPy as
        ``d[l]``, which is then the layer below's ∂ℓ/∂o⁽ˡ⁻¹⁾."""
        x = f"x{_sup(l)}"
        o = f"one({{O}}), f\"o{_sup(l)}{{at}} = [1, …]\"" if self.bias_entry else f"{{O}}, f\"o{_sup(l)}{{at}}\""
        torch_dx = (f"check({{X}}.grad, f\"∂ℓ/∂{x}{{at}} ({x}: .grad)\")",)
        np_dx = (f"check({{D}}, f\"∂ℓ/∂{x}{{at}}\")",)
        np_o = f"{{O}}, f\"o{_sup(l)}{{at}}\""  # NumPy's o keeps a vector's bias entry 1 itself
        seq = {q: lines + ((f"check({o})",) if q == "o" else torch_dx if q == "dx" else ()) for q, lines in seq.items()}
        np_seq = {q: lines + ((f"check({np_o})",) if q == "o" else np_dx if q == "dx" else ()) for q, lines in np_seq.items()}
        return LayerCode(np_back=(f"back[{l - 1}] = d[{l}]  # ∂ℓ/∂o{_sup(l - 1)} = ∂ℓ/∂{x}",),
                         helpers=(TAP_CODE, *more.pop("helpers", ())), seq=tuple(seq.items()),
                         np_seq=tuple(np_seq.items()), stepwise=True, **more)

    # -- a program in a notation profile (bptui export --notation; codegen/profiled.py) -------------------------
    def code_quantities(self, l: int) -> dict[str, tuple[str | None, bool, Node]]:
        """Its own quantities in a program in a notation profile, each key's (identifier stem, None: printed only;
        whether the name is ∂ℓ/∂ of the stem as the profile writes gradients; its symbol, which the profile's
        printer writes): its input x and ∂ℓ/∂x, and :meth:`own_code_quantities`. Codegen's ``_own_step_names``
        makes them names (``x2``, ``dx2``, nielsen's ``dC_dx3``)."""
        from .equations import _syms

        return {"x": ("x", False, _syms(l)["x"]), "dx": ("x", True, self.dx_sym(l)), **self.own_code_quantities(l)}

    def own_code_quantities(self, l: int) -> dict[str, tuple[str | None, bool, Node]]:  # pragma: no cover - per kind
        raise NotImplementedError

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """Its steps in a notation profile's program: x, its input (without the 1 on top where the profile keeps the
        bias in column 0; in PyTorch a node of its own, whose .grad is ∂ℓ/∂x), then :meth:`profiled_lines`'
        arithmetic, each line with its rule as the panels print it (``n["~rule…"]``), each step checked; ∂ℓ/∂ of its
        output is ``{up}``, the layer above's (NumPy). What it sends down is its ∂ℓ/∂x. At each τ of a network over
        time (codegen's ``_own_sequence_names``: ``n["at"]``) its quantities are lists held τ by τ (``u2[t]``), its
        checks name τ, its input is ``n["x_in"]`` where what it reads has no 1 on top (a recurrent layer's h), and
        in PyTorch γ's and β's terms are added τ by τ from autograd's ∂ℓ/∂o (its o kept by retain_grad), as bptui's
        G steps add them."""
        from ...util.errors import SpecError

        if "~rule0" not in n:  # names without its own (codegen's _own_step_names, _own_sequence_names): none here
            raise SpecError(f"{self.type} layers here are not written in a notation profile's program yet",
                            place=f"layers[{l}]")
        torch = n["lib"] == "torch"
        a_in, x = n["a_in"], n["x"]
        take = n.get("x_in") or (f"{a_in}[1:]" if self.bias_entry and not separate else a_in)
        said = f"{n['~x']} = {n['~a_in']}" + (" without its 1" if take == f"{a_in}[1:]" else "") + ", the layer's input"
        x_line = (f"{x} = tap({take})  # {said}: a node of its own, whose .grad is {n['~dx']}" if torch
                  else f"{x} = {take}  # {said}")

        def one(expr: str) -> str:  # o with the 1 on top where the profile keeps the bias in column 0
            if not self.bias_entry or separate:
                return expr
            return f"torch.cat([torch.ones(1), {expr}])" if torch else f"np.concatenate([[1.0], {expr}])"

        per = " / m" if mean else ""
        forward, back, grad = self.profiled_lines(n, row, separate, per, one)
        first = next(iter(forward))
        forward[first] = (x_line, *forward[first])
        at = n.get("at", "")  # at τ of a network over time: its checks name τ
        if torch:
            dx: tuple[str, ...] = (f"check({x}.grad, {(n['~dx'] + ' (' + x + '.grad)')!r}{at})",)
        else:
            dx = (f"{n['da']} = {{up}}  # {{up_comment}}", *back, f"check({n['dx']}, {n['~dx']!r}{at})")
        if torch and "own_lists" in n and self.has_weights:  # over time: γ's and β's terms τ by τ from autograd's ∂ℓ/∂o
            a = n["a"]
            da = f"{a}.grad[1:]" if self.bias_entry and not separate else f"{a}.grad"
            last = list(forward)[-1]
            forward[last] = (*forward[last][:-1], f"{a}.retain_grad()  # keep {n['~da']} after backward()",
                             forward[last][-1])
            grad = self.profiled_lines({**n, "da": da}, row, separate, per, one)[2]
        elif torch:
            grad = ()  # without time: the program checks the parameters' .grad itself
        if at:
            forward = {q: tuple(_at(line, at) for line in lines) for q, lines in forward.items()}
        helpers = (TAP_CODE,) if torch else ()
        return ProfiledCode("", "", grad, n["dx"], f"{n['~da_in']} = {n['~dx']}",
                            steps=(*forward.items(), ("dx", dx)), helpers=helpers + self.profiled_helpers())

    def profiled_lines(self, n: dict[str, str], row: bool, separate: bool, per: str, one: Any
                       ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]:  # pragma: no cover
        """(its forward steps' lines by quantity, each ending with its check; the lines of ∂ℓ/∂x from ∂ℓ/∂ of its
        output ``n["da"]``; NumPy's lines adding this example's term to its parameters' gradients, ``per`` the
        mean profile's " / m"), ``one`` putting the 1 on top of its output where the profile keeps the bias in W."""
        raise NotImplementedError

    def profiled_helpers(self) -> tuple[tuple[str, str], ...]:
        """The functions its lines call (dropout's mask)."""
        return ()

    # -- the quiz and the equations -----------------------------------------------------------------------
    def board_quantity(self, quantity: str) -> str:
        """The board's row a step writes: u or m → s, dx → delta."""
        return {"dx": "delta", self.first: "s"}.get(quantity, quantity)

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Every unit of u (or m), o (never its bias 1) and ∂ℓ/∂x; every entry of G, W."""
        q = self.board_quantity(key.quantity)
        if q in ("G", "W"):
            return matrix_cells(self, l, q, value)
        first = int(q == "o" and self.bias_entry)
        out = []
        for index in np.ndindex(*self.out_shape):
            pos = tuple(int(i) for i in index)
            at = (pos[0] + first,) if len(pos) == 1 else pos
            unit: Any = pos[0] + 1 if len(pos) == 1 else pos
            row = () if key.time is None else (key.time - 1,)  # a step at τ: row τ of the board's matrix
            out.append(QuizCell(Cell(q, l, unit, time=key.time, kind=self), _ref(q, l, row + at), pos if len(pos) == 3 else None,
                                None if value is None else float(np.asarray(value)[at])))
        return tuple(out)

    def claims_step(self, net: Any, key: Any) -> bool:
        """Its own steps, and the δ step of a dense layer under it (its ∂ℓ/∂o is this layer's dx)."""
        l = key.layer
        if l is None or key.phase not in (FORWARD, BACKWARD):
            return False
        if net.kind(l) is self:
            return True
        below = net.kind(l)
        return (key.quantity == "delta" and l < net.L and net.kind(reader(net, l)) is self and below.has_s
                and not below.over_time)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None,
                       notation: Any = None) -> tuple:
        from . import equations

        if not net.recurrent:
            return equations.step_equations(self, net, state, step, pos, notation)
        eqs = equations.step_equations(self, net, self.state_at(net, state, step.key), step, pos, notation)
        return tuple(self._on_board(net, eq, step.key) for eq in eqs)

    def prepare_steps(self) -> None:
        from . import equations  # noqa: F401

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        """In a profile with a separate b, o⁽ˡ⁾ without its 1 on top and what a dense layer above sends
        down as W⁽ʳ⁾ᵀ δ⁽ʳ⁾ (W without column 0); with a mean gradient, γ's and β's gradients as G/m."""
        return self.step_equations(net, state, step, pos, notation)

    def _on_board(self, net: Any, eq: Any, key: Any) -> Any:
        """An equation (or an explanation's, ``key`` its cell) worked on :meth:`state_at`'s vectors at
        τ, its numbers' refs made the board's: row τ of a per-τ matrix; the input's [1, x_τ] its row of
        the board (a kind over time's [1, o_τ]: row τ of o, its 1 on no board); above a many-to-one
        layer, none for [1, o_T]."""
        from dataclasses import replace

        from ...engine.kind import timed_layers
        from ...formulas.formula import Arr, Num, Partial, Ref, Sym, _rebuild

        t = key.time
        l = key.layer if net.kind(key.layer) is self else key.layer + 1
        timed = timed_layers(net.kinds)

        src = source(net, l)

        def on_board(ref: Ref) -> Ref | None:
            m = ref.layer
            if ref.quantity == "o" and m == src:  # the vector below at τ (state_at's ``below``)
                over_time = bool(src) and net.kind(src).over_time
                if t is None:
                    return None if over_time else ref
                if not over_time:  # row τ (a profile's "x" part: row τ without its 1)
                    return replace(ref, index=(t - 1,) + (ref.index or ()))
                if ref.view.startswith("x"):  # a profile's [1, o_τ] without its 1: row τ of o as it stands
                    return Ref("o", src, (t,) + (ref.index or ()))
                return None if not ref.index else Ref("o", src, (t, ref.index[0] - 1) + ref.index[1:])
            if t is None:  # once, above a many-to-one layer: the board's own vectors
                return ref
            if ref.quantity == "do" and m == l:  # ∂ℓ/∂o⁽ˡ⁾ from above, its row τ
                return Ref("do", m, (t - 1,) + (ref.index or ()))
            if m is None or ref.quantity not in ("s", "o", "delta") or (m and not timed[m - 1]):
                return ref
            return replace(ref, index=(net.kind(m).time_row(ref.quantity, t) if m else t - 1,) + (ref.index or ()))

        def at_tau(n: Any) -> Any:
            """A symbol of a quantity that is one vector per τ, with its τ (∂ℓ/∂o⁽⁵⁾₁, μ⁽⁵⁾₁, as the dense layers at
            τ beside it write theirs); the parameters (γ, β, W, G) and constants stay as they are."""
            if isinstance(n, Partial):
                return replace(n, bottom=at_tau(n.bottom))
            if not isinstance(n, Sym) or t is None or n.time is not None or not isinstance(n.layer, int):
                return n
            mine = n.layer == l and n.base in _AT_TAU
            other = (n.layer != l and n.base in ("s", "o", "δ") and 0 < n.layer <= len(timed) and timed[n.layer - 1]
                     and not net.kind(n.layer).over_time)
            return replace(n, time=t) if mine or other else n

        def f(node: Any) -> Any:
            if isinstance(node, (Num, Arr)) and node.ref is not None:
                return replace(node, ref=on_board(node.ref), means=None if node.means is None else _rebuild(node.means, g))
            return at_tau(node)

        def g(node: Any) -> Any:
            return at_tau(node)

        bindings = {at_tau(k): v for k, v in eq.bindings.items()}
        return replace(eq, lhs=_rebuild(eq.lhs, g), forms=tuple(_rebuild(form, f) for form in eq.forms), bindings=bindings)

    def state_at(self, net: Any, state: Any, key: Any) -> Any:
        """The board of a network over time as this layer's equations read it at τ = ``key.time``: the
        per-τ rows of the layers that run at each τ (s, o, δ, ∂ℓ/∂o) as vectors, and o⁽ˡ⁻¹⁾ the vector
        below at τ ([1, x_τ]; above a many-to-one layer [1, o_T]). The board itself is left alone."""
        import copy

        from ...engine.kind import timed_layers
        from ..rnn.steps import below

        l = key.layer if net.kind(key.layer) is self else key.layer + 1
        t = key.time
        view = copy.copy(state)
        view.s, view.o, view.delta, view.extra = list(state.s), list(state.o), list(state.delta), dict(state.extra)
        if t is not None:
            for m, timed in enumerate(timed_layers(net.kinds), start=1):
                if timed and not net.kind(m).over_time:  # a row not computed yet (NaN) is not on the board
                    view.s[m], view.o[m], view.delta[m] = (None if np.isnan(a[t - 1]).all() else a[t - 1]
                                                           for a in (state.s[m], state.o[m], state.delta[m]))
            if ("do", l) in state.extra:
                view.extra[("do", l)] = state.extra[("do", l)][t - 1]
        view.o[source(net, l)] = below(net, state, l, t)
        return view

    def rules(self, net: Any, l: int) -> list | None:
        from . import equations

        return equations.rules(self, l)

    def profiled_rules(self, net: Any, l: int, notation: Any) -> list | None:
        from . import equations

        return equations.rules(self, l, notation, net)

    def explains(self, spec: Any, cell: Any) -> bool:
        """Its own cells but W (s: u or m, o, ∂ℓ/∂x, G), a dense layer's δ under it, and, for the first
        such layer of the network, the G of every dense layer (their terms come from passes through it)."""
        l, kinds = cell.layer, spec.layer_kinds
        if l is None or not 1 <= l <= spec.L or cell.quantity not in ("s", "o", "delta", "G"):
            return False
        if kinds[l - 1] is self:
            return True
        if cell.quantity == "delta":
            if l >= spec.L:
                return False
            w = wiring_of(kinds)
            r = l + 1 if w is None else w.sender[w.outer(l)]  # the layer reading o⁽ˡ⁾ (along the wires)
            return (kinds[r - 1] is self and kinds[l - 1].has_s
                    and not kinds[l - 1].over_time)
        if spec.lengths is not None:  # a network over time: the recurrent family explains the other G
            return False
        first = next(k for k in kinds if k.own_steps)
        return cell.quantity == "G" and first is self and kinds[l - 1].plain

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import explain

        if stepper.spec.lengths is not None:  # over time: the board at the cell's τ
            from ...engine.kind import timed_layers

            l = cell.layer if stepper.spec.layer_kinds[cell.layer - 1] is self else cell.layer + 1
            T = len(stepper.state.o[0])
            if cell.quantity != "G" and timed_layers(stepper.net.kinds)[l - 1] and not 1 <= (cell.time or 0) <= T:
                raise ValueError(f"layer {cell.layer} runs at every time step: give τ = 1 … {T}")
            if cell.quantity != "G":  # G sums over τ: the board's own matrix
                e = explain.explain(self, _AtTime(stepper, self.state_at(stepper.net, stepper.state, cell)),
                                    cell, digits)
                return _rebound(e, lambda eq: self._on_board(stepper.net, eq, cell))
        return explain.explain(self, stepper, cell, digits)


def _at(line: str, at: str) -> str:
    """A check's line with its name at τ (``at``: the program's f-string " (τ = {t})" after the name)."""
    return line[:-1] + at + ")" if line.startswith("check(") else line


TAP_CODE = (
    "tap",
    '''def tap(v):
    """v, as this layer's input whose gradient ∂ℓ/∂v is checked: a node of its own (so that its .grad is
    this layer's part only, not a residual block's fan-in when v is the block's x), kept after backward()."""
    v = v.clone() if v.requires_grad else v.clone().requires_grad_()  # the network's input: a leaf of its own
    v.retain_grad()
    return v''',
)


def _sup(l: int) -> str:
    from ...formulas.notation import sup

    return sup(l)


def _draw(epoch: int, example: int) -> Any:
    from ...engine.kind import Draw

    return Draw(epoch, np.array([example]))


def _ref(quantity: str, l: int, index: tuple[int, ...]) -> Any:
    from ...formulas.formula import Ref

    return Ref(quantity, l, index)


def _rebound(e: Any, f: Any) -> Any:
    """An explanation with ``f`` applied to each of its equations (where it lists them as parts too)."""
    from dataclasses import replace

    eqs = {id(eq): f(eq) for eq in e.equations}
    return replace(e, equations=tuple(eqs[id(eq)] for eq in e.equations),
                   parts=tuple(eqs.get(id(p), p) if not isinstance(p, str) else p for p in e.parts))


class _AtTime:
    """A stepper whose board is seen at one time step τ (:meth:`Unitwise.state_at`); all else is the stepper's."""

    def __init__(self, stepper: Any, state: Any) -> None:
        self._stepper, self.state = stepper, state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stepper, name)


def put_row(board: Any, t: int | None, value: np.ndarray) -> np.ndarray:
    """A per-τ board matrix with row τ − 1 set to ``value`` (new, read-only), or ``value`` itself (t None:
    a layer that runs once)."""
    if t is None:
        return value
    out = np.array(board)
    out[t - 1] = value
    return _ro(out)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a

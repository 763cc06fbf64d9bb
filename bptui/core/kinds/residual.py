"""The residual block: o⁽ᵏ⁾ = x + F(x) over the units (bias entries excluded), F its inner layers.

In a file, ``{"type": "residual", "layers": [...]}``; in ``weights``, a block's entry is the list of
its inner layers' entries. Layers are numbered flat in file order: the block takes a number k, its
inner layers the next ones (``span`` of them, nested blocks included). The block's own steps, under
its number, are its forward ``o`` (o⁽ᵏ⁾ = [1, x + F(x)]) and its backward ``dx`` (the fan-in
∂ℓ/∂x⁽ᵏ⁾ = ∂ℓ/∂o⁽ᵏ⁾ + the inner path's part, which is what the layer below the block reads as its
∂ℓ/∂o). The engine routes the numbers between the layers (core/engine/wiring.py); this module says
what the block computes and how it is read, written and named.

This version takes dense layers, attention layers, layer norms (on sequences only) and residual blocks
inside a block, on vectors or on sequences of vectors (o_τ = x_τ + F(x)_τ at every τ; not on a map, not
in a network with a recurrent layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..engine.kind import FAN_IN_ROW, LayerCode, LayerKind, ProfiledCode, ProfiledNames, Shape
from ..engine.explain import Cell
from ..engine.quizcells import QuizCell
from ..formulas.formula import Node, Ref, Sym
from ..formulas.notation import sup
from ..util import validate
from ..util.errors import SpecError

NAME = "residual"


def inner_count(entry: dict) -> int:
    """How many layers a block's entry holds, numbered flat (its nested blocks' layers included)."""
    return sum(1 + (inner_count(e) if isinstance(e, dict) and e.get("type") == NAME else 0)
               for e in entry.get("layers", []))


def dx_sym(l: int | str, b: int | None = None, time: int | None = None) -> Sym:
    """∂ℓ/∂x⁽ᵏ⁾ (entry b from 1; at τ = time): the gradient the block sends to its input x (a vector: products
    print ⊙)."""
    return Sym("∂ℓ/∂x", l, (b,) if b is not None else (), vector=b is None, latex=r"\partial\ell/\partial x",
               time=time)


@dataclass(frozen=True)
class Residual(LayerKind):
    """o⁽ᵏ⁾ = [1, x + F(x)]: x = o⁽ᵏ⁻¹⁾ (the input of the block), F(x) the output of its inner layers."""

    inner: int = 0  # layers inside, numbered flat after the block's own number
    type: ClassVar[str] = NAME
    has_weights: ClassVar[bool] = False
    has_s: ClassVar[bool] = False
    takes_activation: ClassVar[bool] = False
    bias_entry: ClassVar[bool] = True  # o⁽ᵏ⁾ keeps x's bias entry 1
    exercises: ClassVar[bool] = True
    unrolled_box: ClassVar[bool] = False
    in_block: ClassVar[bool] = True  # blocks nest
    per_time: ClassVar[bool] = True  # on a sequence: o_τ = x_τ + F(x)_τ at every τ
    panel: ClassVar[str] = "block"  # x | F(x), o, ∂ℓ/∂x and the fan-in's two parts (tui/block_sheet.py)
    keys: ClassVar[frozenset[str]] = frozenset({"type", "layers"})

    @property
    def span(self) -> int:
        return self.inner

    @classmethod
    def nested(cls, entry: dict) -> list | None:
        inner = entry.get("layers")
        return inner if isinstance(inner, list) else []  # none: read() says what is missing

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple[LayerKind, str, float]:
        place = f"layers[{l}]"
        if len(below) != 1:
            raise SpecError("a residual block reads a vector of units (not a feature map)", place=place)
        if not isinstance(layer.get("layers"), list) or not layer["layers"]:
            raise SpecError("a residual block needs \"layers\": a list of at least one layer", place=place)
        items = validate.schema()["properties"]["layers"]["items"]
        for i, entry in enumerate(layer["layers"]):
            validate.check(entry, items, f"{place}.layers[{i}]")
        return cls(below, below, inner=inner_count(layer)), "identity", 0.0

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        return np.zeros((0, 1))

    def weights_json(self, W: np.ndarray) -> Any:
        return None  # the file holds the inner layers' entries in its place (netspec's nested_weights)

    def weights_from_json(self, value: Any) -> np.ndarray:
        return np.zeros((0, 1))

    def expected_weights(self) -> str:
        return "a list of the inner layers' entries"

    def describe(self) -> str:
        return f"residual ({self.inner} layer{'s' if self.inner != 1 else ''} inside)"

    def label(self) -> str:
        return f"residual {self.out_shape[0]} units"

    # -- the schedule and the arithmetic --------------------------------------------------------------
    def block_forward(self) -> list[str]:
        return ["o"]

    def block_backward(self) -> list[str]:
        return ["dx"]

    def join(self, x: np.ndarray, x_units: np.ndarray, f_units: np.ndarray) -> np.ndarray:
        """o⁽ᵏ⁾ = [x's bias entry, x + F(x)] from x as stored and both units (a batch: columns)."""
        if x_units.shape != f_units.shape:  # pragma: no cover - the reader checks F's units
            raise ValueError(f"F(x) has shape {f_units.shape}, x {x_units.shape}")
        return np.concatenate([x[:len(x) - len(x_units)], x_units + f_units], axis=0)

    def fan_in(self, up: np.ndarray, inner: np.ndarray) -> np.ndarray:
        """∂ℓ/∂x = ∂ℓ/∂o⁽ᵏ⁾ (the skip) + the inner path's part."""
        return up + inner

    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:  # pragma: no cover - join, not pre
        raise NotImplementedError("a residual block adds its input to its inner layers' output (join)")

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return np.zeros((0, 1))

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:
        return delta  # its δ entry is already ∂ℓ/∂x

    def back_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray, below: "LayerKind | None") -> np.ndarray:
        return delta

    # -- a generated program (bptui export --format pytorch|numpy; bptui/codegen/) ---------------------
    def code(self, l: int, L: int) -> LayerCode:
        """PyTorch: the block's input as a tensor of its own (so that autograd's ``.grad`` of it is the
        fan-in ∂ℓ/∂x, the skip's part and the inner path's added up), o = x + F(x); NumPy: the lecture's
        o⁽ᵏ⁾ = [1, x + F(x)] and ∂ℓ/∂x⁽ᵏ⁾ = ∂ℓ/∂o⁽ᵏ⁾ + the inner path's part."""
        k, x = sup(l), f"x[{l}]"
        o_name = f"\"o{k} = [1, x + F(x)] (bptui keeps the bias entry 1 on top)\""
        dx_name = f"\"∂ℓ/∂x{k} = ∂ℓ/∂o{k} + the inner path's part\""
        return LayerCode(
            wired_start=(f"{x} = {{X}}.clone()  # x{k}, block {l}'s input, a tensor of its own: its .grad is ∂ℓ/∂x{k}",
                         f"{x}.retain_grad() if {x}.requires_grad else {x}.requires_grad_()",
                         f"{{X}} = {x}  # its inner layers read it"),
            wired=(("o", (f"o[{l}] = {x} + {{F}}  # o{k} = x + F(x)",
                          f"check(torch.cat([torch.ones(1), o[{l}]]), {o_name})")),
                   ("dx", (f"check({x}.grad, {dx_name[:-1]} ({x}.grad)\")",))),
            np_wired=(("o", (f"o[{l}] = np.concatenate([[1.0], {{X}}[1:] + {{F}}[1:]])  # o{k} = [1, x + F(x)]",
                             f"check(o[{l}], {o_name})")),
                      ("dx", (f"d[{l}] = {{up}} + {{inner}}  # ∂ℓ/∂x{k} = ∂ℓ/∂o{k} (the skip) + the inner path's part",
                              f"check(d[{l}], {dx_name})"))),
            np_sent=f"d[{l}]",
            # over a sequence: at τ (``{at}`` "_{t}") or, around a layer that mixes time steps, over the whole
            # sequence at once (one row per τ); PyTorch's {X} is the block's input as a tensor of its own (or its
            # rows stacked, when its first layer runs τ by τ) and {XG} autograd's ∂ℓ/∂x of it
            seq=(("o", (f"{{O}} = {{X}} + {{F}}  # o{k} = x + F(x)",
                        f"check(one({{O}}), f\"o{k}{{at}} = [1, x + F(x)] (bptui keeps the bias entry 1 on top)\")")),
                 ("dx", (f"check({{XG}}, f\"∂ℓ/∂x{k}{{at}} = ∂ℓ/∂o{k} + the inner path's part (x.grad)\")",))),
            np_seq=(("o", (f"{{O}} = one({{X}} + {{F}})  # o{k} = [1, x + F(x)]",
                           f"check({{O}}, f\"o{k}{{at}} = [1, x + F(x)] (bptui keeps the bias entry 1 on top)\")")),
                    ("dx", (f"{{D}} = {{up}} + {{inner}}  # ∂ℓ/∂x{k} = ∂ℓ/∂o{k} (the skip) + the inner path's part",
                            f"check({{D}}, f\"∂ℓ/∂x{k}{{at}} = ∂ℓ/∂o{k} + the inner path's part\")"))),
        )

    def code_from(self, l: int, L: int, src: int) -> LayerCode:
        return self.code(l, L)  # its input is a template ({X}) the writer fills from the wires

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """In a notation profile's program (codegen/profiled.py's ``_wired_names``: ``x`` the block's input, ``F``
        its inner layers' output, ``a`` its own, ``dx``, its rules printed in the profile under "~rules"): o = x + F
        (the 1 kept on top with the bias in column 0), ∂ℓ/∂x = ``{up}`` (∂ℓ/∂o from above) + ``{inner}`` (the inner
        path's part) in NumPy, autograd's ``.grad`` of x in PyTorch (x a tensor of its own, ``start``); what the
        layer below reads as its ∂ℓ/∂o: ``dx``. On sequences: :meth:`_profiled_sequence_code`."""
        if "lib" in n:  # a network over time (codegen's _sequence_names, _wired_sequence_names)
            return self._profiled_sequence_code(n, separate)
        torch = n["framework"] == "torch"
        x, F, a, dx = n["x"], n["F"], n["a"], n["dx"]
        rule_o, rule_dx = (n["~rules"].split("\n") + ["", ""])[:2]
        if separate:
            join = f"{x} + {F}"
        else:  # the bias entry 1 on top, as bptui keeps it
            one = "torch.cat([torch.ones(1), " if torch else "np.concatenate([[1.0], "
            join = f"{one}{x}[1:] + {F}[1:]])"
        forward = (f"{a} = {join}  # {rule_o}", f"check({a}, {n['~a']!r})")
        if torch:
            grad = f"{x}.grad" + ("" if separate else "[1:]")
            back: tuple[str, ...] = (f"check({grad}, {(n['~dx'] + ' (' + x + '.grad)')!r})",)
            start: tuple[str, ...] = (f"{x} = {n['a_in']}.clone()  # {n['~x']}, the block's input as a tensor of its own: its .grad is "
                     f"{n['~dx']}", f"{x}.retain_grad() if {x}.requires_grad else {x}.requires_grad_()")
        else:
            back = (f"{dx} = {{up}} + {{inner}}  # {rule_dx}", f"check({dx}, {n['~dx']!r})")
            start = ()
        return ProfiledCode(join, rule_o, (), dx, f"{n['~da_in']} = {n['~dx']}: the block's ∂ℓ/∂x (its input is that output)",
                            steps=(("o", forward), ("dx", back)), start=start)

    def _profiled_sequence_code(self, n: dict[str, str], separate: bool) -> ProfiledCode:
        """On a sequence (codegen/profiled.py's ``_wired_sequence_names``): o_τ = x_τ + F(x)_τ at τ, or over the whole
        sequence at once, one row per τ, when the block holds a layer that mixes time steps (``n["rows"]``); the 1
        kept on top (in column 0 of each row) with the bias in column 0; ∂ℓ/∂x = ``{up}`` + ``{inner}`` (NumPy: the
        skip's part and the inner path's, at τ or as rows), autograd's ∂ℓ/∂x of its x in PyTorch (``XG``). Its
        checks carry ``n["at"]`` (τ, when it runs at each τ)."""
        torch, rows = n["lib"] == "torch", bool(n["rows"])
        a, dx, at = n["a"], n["dx"], n["at"]
        rule_o, rule_dx = (n["~rules"].split("\n") + ["", ""])[:2]
        join = f"{n['x_units']} + {n['F_units']}"
        if not separate:  # the 1 on top, as bptui keeps it
            if rows:
                join = (f"torch.cat([torch.ones(T, 1), {join}], 1)" if torch
                        else f"np.concatenate([np.ones((T, 1)), {join}], 1)")
            else:
                join = f"torch.cat([torch.ones(1), {join}])" if torch else f"np.concatenate([[1.0], {join}])"
        forward = (f"{a} = {join}  # {rule_o}", f"check({a}, {n['~a']!r}{at})")
        if torch:
            back: tuple[str, ...] = (f"check({n['XG']}, {(n['~dx'] + ' (x.grad)')!r}{at})",)
        else:
            back = (f"{dx} = {{up}} + {{inner}}  # {rule_dx}", f"check({dx}, {n['~dx']!r}{at})")
        return ProfiledCode(join, rule_o, (), dx, f"{n['~da_in']} = {n['~dx']}: the block's ∂ℓ/∂x",
                            steps=(("o", forward), ("dx", back)))

    # on a sequence: o and ∂ℓ/∂x (the board's δ rows) per τ, named as every kind's fan-in rows; a block has no s
    row_names: ClassVar[tuple[tuple[str, str], ...]] = (("o", "o"), ("delta", FAN_IN_ROW))

    def sequence_sent(self, state: Any, l: int, t: int | None = None) -> np.ndarray:
        """Its ∂ℓ/∂x, on the board's δ rows."""
        return state.delta[l] if t is None else state.delta[l][t - 1]

    def board_quantity(self, quantity: str) -> str:
        """Its dx step writes the board's δ row."""
        return "delta" if quantity == "dx" else quantity

    def sent_place(self, state: Any, l: int, t: int | None, pos: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
        """Its fan-in ∂ℓ/∂x: the board's δ row (at τ: row τ of its δ matrix)."""
        return "delta", ((t - 1,) if np.ndim(state.delta[l]) == 2 and t else ()) + tuple(pos)

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None) -> Any:
        """o_b = x_b + F(x)_b (its bias entry 1) and ∂ℓ/∂x_b = ∂ℓ/∂o_b + what the first inner layer sends to
        x_b, over the board's numbers (core/engine/keyformula.py); on a sequence at τ, the index's row."""
        from ..engine.keyformula import Formula
        from ..formulas.formula import ONE, add

        l = key.layer
        *row, b = index
        t = row[0] + 1 if row else None
        F = Formula(net, state, l, t)
        if key.quantity == "o":
            if b == 0:
                return ONE, F.leaves
            assert net.wiring is not None
            return add(F.x((b - 1,)), F.unit(net.wiring.tail[l], (b - 1,))), F.leaves
        return add(F.up((b,)), F.sent(l + 1, (b,))), F.leaves

    # -- names -----------------------------------------------------------------------------------------
    def step_sym(self, quantity: str, l: int, time: int | None) -> Node | None:
        return dx_sym(l) if quantity in ("dx", "delta") else None

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        if quantity in ("dx", "delta"):
            return dx_sym(l, None if pos is None else pos[0] + 1)
        return super().cell_sym(quantity, l, pos, example)

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Node:
        return dx_sym(l, b, time) if quantity in ("dx", "delta") else Sym(quantity, l, (b,), time=time)

    def profiled_names(self, l: int, notation: Any) -> ProfiledNames:
        """o⁽ᵏ⁾, the fan-in ∂ℓ/∂x⁽ᵏ⁾ and the skip's part ∂ℓ/∂o⁽ᵏ⁾ ("up"), as its equations name them; no weights."""
        from . import residual_equations as R
        from ..engine import equations as E

        return ProfiledNames({"o": E.o(l), "delta": dx_sym(l), "up": R._do(l)})

    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> tuple[QuizCell, ...]:
        """Every unit of o (not its bias entry 1) and of ∂ℓ/∂x (on the board's δ row), named by the block; on
        a sequence, at τ (the step's row τ), or at every τ of a step over the whole sequence (its rows)."""
        q = "delta" if key.quantity == "dx" else key.quantity
        first = int(q == "o")
        rows = np.atleast_2d(np.asarray(value)) if value is not None else None
        times: list[int | None] = [key.time]
        if getattr(key, "time", None) is None and rows is not None and np.ndim(value) == 2:
            times = list(range(1, len(rows) + 1))  # a block around a layer that mixes time steps
        return tuple(QuizCell(Cell(q, l, b, time=t, kind=self),
                              Ref(q, l, (() if t is None else (t - 1,)) + (b - 1 + first,)), None,
                              None if rows is None or np.isnan(rows[i][b - 1 + first]) else float(rows[i][b - 1 + first]))
                     for i, t in enumerate(times) for b in range(1, self.out_shape[0] + 1))

    def unknown_value(self, quantity: str, T: int) -> Any:
        """NaN rows of a step over a whole sequence (a block around a layer that mixes time steps)."""
        return np.full((T, self.out_shape[0] + int(quantity == "o")), np.nan)

    def cells(self) -> tuple[tuple[str, int], ...]:
        return (("its output", self.out_shape[0]), ("∂ℓ/∂x", self.out_shape[0]))

    def multiplications(self) -> int:
        return 0

    # -- its equations and explanations (residual_equations.py) -----------------------------------------
    def follows_profiles(self) -> bool:  # its steps, in every notation profile
        return True

    def claims_step(self, net: Any, key: Any) -> bool:
        from . import residual_equations

        return residual_equations.claims(net, key)

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:
        from . import residual_equations

        return residual_equations.step_equations(net, state, step)

    def prepare_steps(self) -> None:
        from . import residual_equations  # noqa: F401

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        from . import residual_equations

        return residual_equations.step_equations(net, state, step, notation)

    def rules(self, net: Any, l: int) -> list | None:
        from . import residual_equations

        return residual_equations.rules(net, l)

    def profiled_rules(self, net: Any, l: int, notation: Any) -> list | None:
        from . import residual_equations

        return residual_equations.rules(net, l, notation)

    def shared_rules(self, net: Any, notation: Any = None) -> list:
        from . import residual_equations

        return residual_equations.shared_rules(net, notation)

    def explains(self, spec: Any, cell: Any) -> bool:
        from . import residual_explain

        return residual_explain.handles(spec, cell)

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:
        from . import residual_explain

        return residual_explain.explain(stepper, cell, digits)

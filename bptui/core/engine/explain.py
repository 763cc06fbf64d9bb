"""Why a number is what it is: the scalar chain rule behind one cell, every factor with its value.

Given a stepper (network or computation graph) and a :class:`Cell` — one entry of s⁽ˡ⁾, o⁽ˡ⁾,
δ⁽ˡ⁾, G⁽ˡ⁾ or W⁽ˡ⁾, the loss ℓ⁽ⁿ⁾, or a graph node's value or adjoint — :func:`explain` returns
the rule that made the number on the board, in the lecture's notation:

- s_b⁽ˡ⁾ = Σ_a w_b,a⁽ˡ⁾ o_a⁽ˡ⁻¹⁾, each term listed (wide layers elided in the text, never in ``terms``);
- o_b⁽ˡ⁾ = f(s_b⁽ˡ⁾);
- δ_b⁽ˡ⁾ = (Σ_c δ_c⁽ˡ⁺¹⁾ w_c,b⁽ˡ⁺¹⁾) · f′(s_b⁽ˡ⁾), and the base case δ⁽ᴸ⁾ for each loss;
- ∂ℓ⁽ⁿ⁾/∂w_b,a⁽ˡ⁾ = δ_b⁽ˡ⁾ o_a⁽ˡ⁻¹⁾, and G_b,a⁽ˡ⁾ as its sum over the update group's examples so far;
- where w_b,a⁽ˡ⁾ came from: its last update with the optimizer's formula, an edit, the file;
- graphs: a node's op applied to its arguments, and its adjoint as the sum over its consumers.

The result is data (:class:`Explanation`: a title, its equations as formula trees — the same node
kinds and the same activation, loss and optimizer tables as the step equations — their text
lines, the value, and the numbers of the sum). Nothing is computed a second way: the values come
from the stepper's state, and the few recomputed ones (other examples' δ and o for G) go through
the same :class:`~bptui.core.engine.network.Network` calls the stepper makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import numpy as np

from ..ops.activations import IDENTITY_NOTE
from ..formulas.formula import adjoint_sym
from ..formulas.profiles import shown_ref
from ..formulas.formula import ONE, Call, Equation, Ind, Node, Num, Op, Partial, Ref, Sum, Sym, TextPrinter, add, group, mul, plan, sub, substitute
from .kind import LayerKind
from ..formulas.notation import count, num, sub as subscript, sup
from ..ops.optim import ETA, hyper_parameters, regularised, state_written, update_formulas
from .schedule import BACKWARD, UPDATE
from . import wiring

LOSS = Sym("ℓ", latex=r"\ell")
_LARGEST_EXPONENT = float(np.log(np.finfo(float).max))  # e^709.78: the largest a float holds

MAX_TERMS = 8  # longer sums show their first three and last two terms and say how many there are


@dataclass(frozen=True)
class Cell:
    """One number on the board, indexed as the lecture indexes it.

    ``unit`` is b = 1 … d⁽ˡ⁾ (o⁽ˡ⁾ of a hidden layer also has b = 0, its bias entry 1; o⁽⁰⁾ has
    b = 0 … d⁽⁰⁾); ``column`` is a = 0 … d⁽ˡ⁻¹⁾ for G and W (a = 0 is the bias column). Graphs use
    ``quantity`` ``value`` or ``adjoint`` and ``node``.
    """

    quantity: str  # s | o | delta | G | W | loss ; graphs: value | adjoint
    layer: int | None = None
    unit: Any = None  # int b, or a feature map's position (k, i, j) as a tuple (v2 networks)
    column: int | None = None
    node: str | None = None
    time: int | None = None  # the time step τ of a recurrent network's per-τ quantity
    # layer l's kind, which names its cells as its panel shows them (a kernel's w_k,c,u,v, a recurrent
    # layer's u_b,c, a pooling layer's ∂ℓ/∂o); not part of the cell's identity
    kind: Any = field(default=None, compare=False)


    def sym(self) -> Node:
        """The cell as a formula symbol: s₁⁽²⁾, w₁,₀⁽¹⁾, ℓ, g_b … (∂ℓ/∂o₁,₁,₁⁽²⁾ of a pooling layer)"""
        q, l, b, a = self.quantity, self.layer, self.unit, self.column
        if q == "value":
            return Sym(str(self.node))
        if q == "adjoint":
            return adjoint_sym(str(self.node))
        if q == "loss":
            return Sym("ℓ", latex=r"\ell")
        assert b is not None
        kind = self.kind if self.kind is not None else LayerKind((), ())  # no kind: a dense layer's names
        assert l is not None
        if isinstance(b, tuple):  # a feature map's entry (k, i, j), 0-based: printed from 1
            return kind.cell_sym(q, l, b)
        if q in ("G", "W"):
            assert a is not None
            return (kind.grad_sym if q == "G" else kind.weight_sym)(l, b - 1, a)
        return kind.unit_sym(q, l, b, self.time)

    def symbol(self) -> str:
        return TextPrinter().p(self.sym())


@dataclass(frozen=True)
class Explanation:
    """The chain rule behind one number.

    ``equations`` are the worked equations (formula trees with their bindings); ``lines`` their
    text (and any words between them). When ``terms`` is not empty, ``value`` is ``factor · Σ terms``
    (up to rounding): the numbers a student would add up. ``value`` is None when the cell has not
    been computed yet.
    """

    title: str
    lines: tuple[str, ...]
    value: float | None
    terms: tuple[float, ...] = ()
    factor: float = 1.0
    equations: tuple[Equation, ...] = ()
    # the lines as made: words and equations, to print again with another number of terms (text)
    parts: tuple[str | Equation, ...] = ()
    digits: int = 4
    notation: Any = None  # the profile its symbols are printed in (None: the lecture's)

    def text(self, max_terms: int = MAX_TERMS) -> str:
        """The title and the lines; a sum of more than ``max_terms`` terms shows part of them (the
        caller says how many fit: the side panel as many as its height has room for)."""
        lines = self.lines if max_terms == MAX_TERMS or not self.parts else _Builder(
            self.digits, max_terms, self.notation).add(self.parts).lines
        return "\n".join([self.title, *("  " + line for line in lines)])

    def most_terms(self) -> int:
        """The most terms of a sum in its equations: a ``max_terms`` this large shows every one."""
        return max((_count_terms(eq) for eq in self.equations), default=0)


class _Builder:
    """Collects an explanation's lines: words, and equations printed one form a line."""

    def __init__(self, digits: int, max_terms: int = MAX_TERMS, notation: Any = None,
                 noted: Callable[[Equation], Equation] | None = None) -> None:
        self.printer = TextPrinter(digits, notation=notation)
        # what an equation says of the board's floats it reads past the floats (equations.held_noted)
        self.noted = noted
        self.notation = self.printer.notation  # None for the lecture's
        self.printer.max_terms = max_terms
        self.lines: list[str] = []
        self.equations: list[Equation] = []
        self.parts: list[str | Equation] = []

    def say(self, *lines: str) -> "_Builder":
        self.lines.extend(lines)
        self.parts.extend(lines)
        return self

    def eq(self, eq: Equation) -> "_Builder":
        if self.noted is not None:
            eq = self.noted(eq)
        self.equations.append(eq)
        self.parts.append(eq)
        self.printer.elisions.clear()
        lines = self.printer.chain(eq)
        if self.printer.elisions:  # the sum with the most terms says what it leaves out
            count, hidden, zeros = max(self.printer.elisions)
            said = (f"{zeros} zero terms not shown" if hidden == zeros else
                    f"{hidden} not shown" + (f", {zeros} of them zero" if zeros else ""))
            lines[-2 if len(lines) > 1 else -1] += f"   ({count} terms, {said})"
        self.lines.extend(lines)
        return self

    def add(self, parts: Iterable[str | Equation]) -> "_Builder":
        for part in parts:
            self.say(part) if isinstance(part, str) else self.eq(part)
        return self

    def done(self, title: str, value: float | None, terms=(), factor: float = 1.0) -> Explanation:
        return Explanation(title, tuple(self.lines), value, tuple(float(t) for t in terms), factor,
                           tuple(self.equations), tuple(self.parts), self.printer.digits, self.notation)

    def n(self, x: float) -> str:
        return num(x, self.printer.digits)

    def result(self) -> str:
        """The last equation's result as its line prints it: a result past the floats from its exact arithmetic
        (−2.1e−329 where the float reads 0: formula.plan)."""
        return self.printer.p(plan(self.equations[-1], self.printer.digits).result)

    def p(self, node: Node) -> str:
        return self.printer.p(node)

    def q(self, quantity: str, l: int | str | None = None) -> str:
        """A whole quantity of layer ``l`` in the printer's notation: s⁽²⁾, z², dz^[2] (``G``: its gradient)."""
        base, latex = ("δ", r"\delta") if quantity == "delta" else ("ℓ", r"\ell") if quantity == "loss" else (quantity, None)
        return self.p(Sym(base, l, latex=latex, vector=True))

    def units(self, first: int, last: int) -> str:
        """A range of units the lecture numbers ``first`` … ``last`` (from 1), as the printer's notation numbers them."""
        return f"{self.unit(first)} … {self.unit(last)}"

    def unit(self, b: int) -> int:
        """Unit ``b`` (the lecture's number, from 1) as the printer's notation numbers it."""
        return b if self.notation is None else self.notation.unit(b)

    def layer(self, l: int) -> int | str:
        """Layer ``l`` (the lecture's number, the input 0) as the printer's notation numbers it."""
        return l if self.notation is None else self.notation.layer_number(l)

    @property
    def index(self) -> str:
        """The letter a sum over a layer's inputs runs over: the lecture's a, or the profile's (Profile.sum_letter)."""
        return self.index_besides(())

    def index_besides(self, taken: tuple[str, ...]) -> str:
        """:attr:`index` where a kind's own letters ``taken`` are written beside it (attention's q, k, v)."""
        return "a" if self.notation is None else self.notation.sum_letter_besides(taken)

    @property
    def separate(self) -> bool:
        """Whether the notation keeps the bias apart (b, not column 0 of W with a 1 on top of o)."""
        return self.notation is not None and self.notation.separate_bias

    @property
    def mean(self) -> bool:
        """Whether the notation writes a group's gradient as the mean G/m."""
        return self.notation is not None and self.notation.mean


def _count_terms(eq: Equation) -> int:
    """The most terms of a sum among the equation's forms (to say how many the text elides)."""
    most = 0
    for form in eq.forms:
        if isinstance(form, Op) and form.op == "+":
            most = max(most, len(form.args))
        elif isinstance(form, Op) and form.op == "*":
            for a in form.args:
                inner = a.args[0] if isinstance(a, Op) and a.op == "()" else a
                if isinstance(inner, Op) and inner.op == "+":
                    most = max(most, len(inner.args))
    return most


def _not_yet(cell: Cell, why: str, out: "_Builder | None" = None) -> Explanation:
    name = cell.symbol() if out is None else out.p(cell.sym())
    return Explanation(f"{name} has not been computed yet", (why,), None, notation=None if out is None else out.notation)


def notation_of(stepper: Any) -> Any:
    """The profile a stepper writes in (None: the lecture's; a graph's stepper has none)."""
    return getattr(stepper, "notation", None)


def builder(stepper: Any, digits: int) -> _Builder:
    """The explanation's builder in the stepper's notation; its equations say where they read a float the
    board holds for a number printed past the floats (equations.held_noted)."""
    net, state = getattr(stepper, "net", None), getattr(stepper, "state", None)
    if net is None or state is None or not hasattr(net, "kinds"):  # a graph's stepper
        return _Builder(digits, notation=notation_of(stepper))
    from .equations import held_noted  # equations imports this module's neighbours: at call time

    return _Builder(digits, notation=notation_of(stepper), noted=lambda eq: held_noted(net, state, eq))


# -- networks ---------------------------------------------------------------------------------------
def current_example(stepper: Any) -> int | None:
    """The 1-based example whose s, o, δ are on the board (None before the first step)."""
    if stepper.last is None:  # step 0, or the start of a group after an edit
        return None
    key = stepper.last.key
    if key.example is not None:
        return key.example
    return stepper.schedule.key(stepper.position - 1 - key.layer).example


def _check(spec: Any, cell: Cell) -> None:
    q, l, b, a = cell.quantity, cell.layer, cell.unit, cell.column
    if q == "loss":
        return
    if q not in ("s", "o", "delta", "G", "W"):
        raise ValueError(f"unknown quantity {q!r} (s, o, delta, G, W or loss)")
    low = 0 if q == "o" else 1
    if l is None or not low <= l <= spec.L:
        raise ValueError(f"layer {l} is not one of {low} … {spec.L}")
    first = 0 if q == "o" and (l < spec.L) else 1
    if b is None or not first <= b <= spec.widths[l]:
        raise ValueError(f"unit {b} is not one of {first} … {spec.widths[l]} in layer {l}")
    if q in ("G", "W") and (a is None or not 0 <= a <= spec.widths[l - 1]):
        raise ValueError(f"column {a} is not one of 0 … {spec.widths[l - 1]}")


def _example_pass(net: Any, W: list, x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """o⁽⁰⁾…o⁽ᴸ⁾ and δ⁽¹⁾…δ⁽ᴸ⁾ of one example, with the stepper's own calls (so the same bits)."""
    if net.wiring is not None:  # residual blocks: along the wires (core/engine/wiring.py)
        return wiring.example_pass(net, W, x, y)
    L = net.L
    o: list = [np.concatenate([[1.0], x])]
    s: list = [None]
    for l in range(1, L + 1):
        s.append(W[l] @ o[l - 1])
        o.append(net.activation_out(l, s[l]))
    delta: list = [None] * (L + 1)
    delta[L] = net.output_delta(s[L], o[L], y)
    for l in range(L - 1, 0, -1):
        delta[l] = net.hidden_delta(l, W[l + 1], delta[l + 1], s[l], o[l])
    return o, delta


def example_pass(net: Any, W: list, n: int, epoch: int = 1) -> tuple[list, list]:
    """o⁽⁰⁾…o⁽ᴸ⁾ and, for l = 1…L, δ⁽ˡ⁾ (∂ℓ/∂o⁽ˡ⁾ of a layer with no s) of the 0-based example ``n``, with
    the stepper's per-example calls of every kind (so the same bits); a kind with steps of its own
    passes it as a training pass of ``epoch`` does (dropout's masks)."""
    spec, L = net.spec, net.L
    x = spec.inputs[n]
    if net.wiring is not None:  # residual blocks: along the wires, a layer norm's δ entry its ∂ℓ/∂o
        return wiring.example_pass(net, W, x, spec.targets[n], epoch, n + 1, do=True)
    o: list = [x.reshape(spec.input_shape) if spec.input_shape else np.concatenate([[1.0], x])]
    s: list = [None]
    for l in range(1, L + 1):
        k = net.kind(l)
        if k.own_steps:
            s.append(None)
            o.append(k.one_forward(W[l], o[l - 1], epoch, n + 1))
        elif k.has_s:
            s.append(k.pre_one(W[l], o[l - 1]))
            o.append(net.activation_out(l, s[l]))
        else:
            s.append(None)
            o.append(k.pre_one(W[l], o[l - 1]))
    delta: list = [None] * (L + 1)
    delta[L] = net.output_delta(s[L], o[L], spec.targets[n])
    for l in range(L - 1, 0, -1):
        k, above = net.kind(l), net.kind(l + 1)
        if above.own_steps:
            back = above.one_back(W[l + 1], delta[l + 1], o[l], epoch, n + 1)
        else:
            back = above.back_one(W[l + 1], delta[l + 1], o[l], k)
        delta[l] = back * net.df(l, s[l], net.units(l, o[l])) if k.has_s else back
    return o, delta


def _group_examples(stepper: Any, l: int) -> list[int]:
    """The 0-based examples whose G⁽ˡ⁾ increment is in G⁽ˡ⁾ now (this update group's, so far)."""
    sch, pos = stepper.schedule, stepper.position
    if stepper.last is None:  # step 0, or the start of a group after an edit: G is zero
        return []
    key = sch.key(pos - 1)
    group_start = sch.epoch_start(pos - 1) + (key.group - 1) * sch.full_group_steps
    j = sch.block.index((BACKWARD, "G", l))
    examples = sch.groups(key.epoch)[key.group - 1]
    return [int(n) for k, n in enumerate(examples) if group_start + k * sch.per_example + j < pos]


def _weights_of_group(stepper: Any) -> list:
    """W⁽¹⁾…W⁽ᴸ⁾ as they were during the current group (before any of its update steps)."""
    st = stepper.state
    W = list(st.W)
    key = stepper.last.key if stepper.last is not None else None
    if key is not None and key.phase == UPDATE:
        for l in range(1, key.layer + 1):
            if st.updates[l] is not None:
                W[l] = st.updates[l][0].before
    return W


def named_by_kind(spec: Any, cell: Cell) -> Cell:
    """``cell`` with its layer's kind, which names it as its panel does (a recurrent layer's U entry u_b,c, not
    the W entry w_b,a at the stored column): a cell made from a board place alone (a key's blank, the grader's,
    a panel cursor's) has none."""
    if cell.kind is None and cell.layer and cell.quantity in ("W", "G", "s", "o", "delta") \
            and cell.layer <= len(spec.layer_kinds):
        return replace(cell, kind=spec.layer_kinds[cell.layer - 1])
    return cell


def explain_network(stepper: Any, cell: Cell, digits: int = 4) -> Explanation:
    """The chain rule behind ``cell`` in a network stepper's present state (core/teaching/explain.py
    serves graphs too)."""
    cell = named_by_kind(stepper.spec, cell)
    spec = stepper.spec
    for kind in spec.layer_kinds:  # a kind whose module explains this cell (core/kinds/: maps, through time)
        if kind.explains(spec, cell):
            return kind.explain(stepper, cell, digits)
    if cell.quantity == "W" and (spec.is_v2 or spec.lengths is not None):
        return _explain_W(stepper, cell, digits)
    _check(stepper.spec, cell)
    return {"s": _explain_s, "o": _explain_o, "delta": _explain_delta, "G": _explain_G,
            "W": _explain_W, "loss": _explain_loss}[cell.quantity](stepper, cell, digits)


def _stale(stepper: Any, l: int, out: "_Builder | None" = None) -> tuple[str, ...]:
    """A note when the weights used are no longer the ones on the board (update steps follow)."""
    key = stepper.schedule.key(stepper.position - 1) if stepper.position else None
    if key is not None and key.phase == UPDATE and key.layer >= l:
        name = f"W{sup(l)}" if out is None else out.q("W", l)
        return (f"(with {name} as it was during this pass, before its update)",)
    return ()


def _alpha_env(net: Any, l: int) -> dict:
    from ..ops.activations import ALPHA

    return {ALPHA: net.alphas[l - 1]} if net.act(l).uses_alpha else {}


def _indices(cell: Cell) -> tuple[int, int, int]:
    """(l, b, a) of a network cell that :func:`_check` has passed (0 where a quantity has none)."""
    return (cell.layer or 0, cell.unit or 0, cell.column or 0)


def _explain_s(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, (l, b, _) = stepper.state, _indices(cell)
    out = builder(stepper, digits)
    if st.s[l] is None:
        return _not_yet(cell, f"{out.q('s', l)} comes in this example's forward pass.", out)
    W_used = _weights_of_group(stepper)[l]  # the W that made s, even after an update
    on_board = W_used is st.W[l]
    x = wiring.source(stepper.net, l)  # o⁽ˡ⁻¹⁾, or the o a residual block's wires bring
    w, o = W_used[b - 1], st.o[x]
    d = len(o) - 1
    terms = [float(wi * oi) for wi, oi in zip(w, o)]
    value = float(st.s[l][b - 1])
    i = out.index
    w_a, o_a = Sym("w", l, (b, i)), Sym("o", x, (i,))
    w_syms = [Sym("w", l, (b, a)) for a in range(d + 1)]
    o_syms = [Sym("o", x, (a,)) for a in range(d + 1)]
    sep = out.separate  # the bias b_b apart: w_b,0 o₀ is written b_b, the sum runs from the first unit
    env: dict = {w_a: w[1:] if sep else w, o_a: o[1:] if sep else o, **dict(zip(w_syms, map(float, w))),
                 **dict(zip(o_syms, map(float, o)))}
    products = [ws if sep and a == 0 else mul(ws, os) for a, (ws, os) in enumerate(zip(w_syms, o_syms))]
    expanded = add(*(products[1:] + products[:1] if sep else products))
    numbers = substitute(expanded, {**{ws: Num(float(w[a]), Ref("W", l, (b - 1, a)) if on_board else None, means=ws)
                                       for a, ws in enumerate(w_syms)},
                                    **{os: Num(float(o[a]), Ref("o", x, (a,))) for a, os in enumerate(o_syms)}})
    rule = add(Sum(i, mul(w_a, o_a)), w_syms[0]) if sep else Sum(i, mul(w_a, o_a))
    forms: list[Node] = [rule, expanded, numbers]
    if len(terms) > 1:
        forms.append(add(*[Num(t) for t in (terms[1:] + terms[:1] if sep else terms)]))
    forms.append(Num(value, Ref("s", l, (b - 1,))))
    lhs = Sym("s", l, (b,))
    note = (f"{i} = {out.units(1, d)}; {out.p(w_syms[0])} is the bias" if sep else
            f"{i} = 0 … {d}; {out.p(o_syms[0])} = 1 is the bias")
    out.eq(Equation(lhs, tuple(forms), bindings=env, note=note))
    out.say(*_stale(stepper, l, out))
    title = (f"{out.p(lhs)} = {out.n(value)}: the pre-activation of unit {out.unit(b)} in layer "
             f"{out.layer(l)}, example n = {current_example(stepper)}")
    return out.done(title, value, terms)


def _explain_o(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net, spec, (l, b, _) = stepper.state, stepper.net, stepper.spec, _indices(cell)
    lhs = Sym("o", l, (b,))
    out = builder(stepper, digits)
    if st.o[l] is None:
        return _not_yet(cell, f"{out.q('o', l)} comes in this example's forward pass.", out)
    n = current_example(stepper)
    if b == 0:
        if out.separate:  # the lecture's 1 on top of o: this notation keeps the bias apart instead
            out.say(f"the lecture's bias entry o₀{sup(l)} = 1; this notation writes no 1 on top of "
                    f"{out.q('o', l)}: the bias is {out.q('b', l + 1)}, added to {out.q('s', l + 1)}")
            return out.done(f"o₀{sup(l)} = 1: the lecture's bias entry (not in this notation)", 1.0)
        out.eq(Equation(lhs, (ONE,), note=f"so that {out.p(Sym('w', l + 1, ('b', 0)))} acts as unit b's bias in "
                                          f"layer {out.layer(l + 1)}"))
        return out.done(f"{out.p(lhs)} = 1: the bias entry of {out.q('o', l)}, always 1", 1.0)
    if l == 0:
        value = float(st.o[0][b])
        x = Sym("x", None, (b,))
        note = f"{out.q('o', 0)} = x" if out.separate else f"{out.q('o', 0)} = [1, x]"
        out.eq(Equation(lhs, (x, Num(value, Ref("o", 0, (b,)))), bindings={x: value}, note=note))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: input {out.unit(b)} of example n = {n}", value)
    idx = b if l < spec.L else b - 1
    value = float(st.o[l][idx])
    s = st.s[l]
    s_b = Sym("s", l, (b,))

    def title() -> str:  # its last line's result as printed: σ(−799.5) = 6.047e−348, held in floats as 0
        return f"{out.p(lhs)} = {out.result()}: the output of unit {out.unit(b)} in layer {out.layer(l)}, example n = {n}"
    result = Num(value, Ref("o", l, (idx,)))
    if net.act(l).name == "softmax":
        s_k = Sym("s", l, ("k",))
        rhs = Op("/", (Call("exp", (s_b,)), Sum("k", Call("exp", (s_k,)))))
        top = float(np.max(s))
        note = ""
        if abs(top) > _LARGEST_EXPONENT:  # e^s would be ∞ or 0 (∞/∞, 0/0 no number): every s less the largest
            numbers = Op("/", (Call("exp", (Num(float(s[b - 1]) - top),)),
                               add(*[Call("exp", (Num(float(v) - top),)) for v in s])))
            note = (f"each sₖ{sup(l)} less the largest, {out.n(top)}: e^{out.n(top)} is "
                    f"{'more' if top > 0 else 'less'} than a float holds")
        else:
            numbers = Op("/", (Call("exp", (Num(float(s[b - 1]), Ref("s", l, (b - 1,))),)),
                               add(*[Call("exp", (Num(float(v), Ref("s", l, (k,))),)) for k, v in enumerate(s)])))
        out.eq(Equation(lhs, (rhs, numbers, result), bindings={s_b: float(s[b - 1]), s_k: s}, note=note))
        return out.done(title(), value)
    f_s = net.act(l).value(s_b)
    env = {s_b: float(s[b - 1]), **_alpha_env(net, l)}
    applied = substitute(f_s, {s_b: Num(float(s[b - 1]), Ref("s", l, (b - 1,)))})
    out.eq(Equation(lhs, (f_s, applied, result) if f_s != s_b else (f_s, result), bindings=env))
    return out.done(title(), value)


def _explain_delta(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net, spec, (l, b, _) = stepper.state, stepper.net, stepper.spec, _indices(cell)
    out = builder(stepper, digits)
    if st.delta[l] is None:
        return _not_yet(cell, f"{out.q('delta', l)} comes in this example's backward pass.", out)
    value = float(st.delta[l][b - 1])
    n = current_example(stepper)
    lhs = cell.sym()
    s_name, meaning = out.p(Sym("s", l, (b,))), out.p(Partial(Sym("ℓ", n or "n", latex=r"\ell"), Sym("s", l, (b,))))
    title = (f"{out.p(lhs)} = {out.n(value)}: {meaning}, "
             f"how the loss of example n = {n} moves with {s_name}")
    if l == spec.L:
        return _explain_output_delta(stepper, cell, value, lhs, title, out)
    nl = wiring.reader(net, l)  # l + 1, or the layer a residual block's wires send ∂ℓ/∂o⁽ˡ⁾ from
    if nl != l + 1:  # the last layer of a residual block: o⁽ˡ⁾ is F(x) in the block's output x + F(x)
        out.say(f"{out.q('o', l)} is F(x) in a residual block's output x + F(x), which layer {nl} reads: "
                f"∂ℓ/∂{out.q('o', l)} is what layer {nl} sends down, times 1")
    W_next, d_next = _weights_of_group(stepper)[nl], st.delta[nl]
    on_board = W_next is st.W[nl]
    C = len(d_next)
    terms = [float(d_next[c] * W_next[c, b]) for c in range(C)]
    s_b, o_b = float(st.s[l][b - 1]), float(st.o[l][b])
    fp = float(net.df(l, st.s[l], st.o[l][1:])[b - 1])
    S_b, O_b = Sym("s", l, (b,)), Sym("o", l, (b,))
    ell = Sym("ℓ", n, latex=r"\ell")
    d_c, w_cb = Sym("δ", nl, ("c",), latex=r"\delta"), Sym("w", nl, ("c", b))
    d_syms = [Sym("δ", nl, (c,), latex=r"\delta") for c in range(1, C + 1)]
    w_syms = [Sym("w", nl, (c, b)) for c in range(1, C + 1)]
    df = net.act(l).derivative(S_b, O_b)
    back_sym = add(*[mul(d, w) for d, w in zip(d_syms, w_syms)])
    values = {**{d: Num(float(d_next[c]), Ref("delta", nl, (c,))) for c, d in enumerate(d_syms)},
              **{w: Num(float(W_next[c, b]), Ref("W", nl, (c, b)) if on_board else None, means=w)
                 for c, w in enumerate(w_syms)},
              S_b: Num(s_b, Ref("s", l, (b - 1,))), O_b: Num(o_b, Ref("o", l, (b,)))}
    env = {Partial(ell, O_b): sum(terms), Partial(O_b, S_b): fp, d_c: d_next, w_cb: W_next[:, b],
           **{d: float(d_next[c]) for c, d in enumerate(d_syms)}, **{w: float(W_next[c, b]) for c, w in enumerate(w_syms)},
           S_b: s_b, O_b: o_b, **_alpha_env(net, l)}
    result = Num(value, Ref("delta", l, (b - 1,)))
    if net.act(l).derivative_is_one:  # ∂o/∂s = 1: δ is what comes down, without the factor
        forms = [mul(Partial(ell, O_b), Partial(O_b, S_b)), Sum("c", mul(d_c, w_cb)), back_sym,
                 substitute(back_sym, values), result]
        out.eq(Equation(lhs, tuple(forms), bindings=env, note=f"c = {out.units(1, C)}; {IDENTITY_NOTE}"))
        out.say(*_stale(stepper, nl, out))
        return out.done(title, value, terms)
    forms = [mul(Partial(ell, O_b), Partial(O_b, S_b)),
             mul(Sum("c", mul(d_c, w_cb)), df),
             mul(group(back_sym) if C > 1 else back_sym, df),
             mul(group(substitute(back_sym, values)) if C > 1 else substitute(back_sym, values), substitute(df, values)),
             mul(Num(sum(terms), means=back_sym), Num(fp, means=df)),
             result]
    out.eq(Equation(lhs, tuple(forms), bindings=env, note=f"c = {out.units(1, C)}"))
    out.say(*_stale(stepper, nl, out))
    return out.done(title, value, terms, fp)


def _explain_output_delta(stepper: Any, cell: Cell, value: float, lhs: Node, title: str, out: _Builder) -> Explanation:
    st, net, spec, (_, b, _) = stepper.state, stepper.net, stepper.spec, _indices(cell)
    L = spec.L
    o, y, s = st.o[L], st.y, st.s[L]
    ob, yb = float(o[b - 1]), float(y[b - 1])
    O_b, Y_b, S_b = Sym("o", L, (b,)), Sym("y", None, (b,)), Sym("s", L, (b,))
    n = current_example(stepper)
    ell = Sym("ℓ", n, latex=r"\ell")
    act, loss = net.act(L).name, net.loss
    result = Num(value, Ref("delta", L, (b - 1,)))
    nums = {O_b: Num(ob, Ref("o", L, (b - 1,))), Y_b: Num(yb, Ref("y", None, (b - 1,))), S_b: Num(float(s[b - 1]))}
    env: dict = {O_b: ob, Y_b: yb, S_b: float(s[b - 1]), **_alpha_env(net, L)}
    if loss.grad_formula is None:  # cross-entropy with its canonical output: f′ cancels
        total = float(y.sum())
        if act == "softmax" and total != 1.0:
            y_k = Sym("y", None, ("k",))
            rhs: Node = sub(mul(O_b, Sum("k", y_k)), Y_b)
            env[y_k] = y
            numbers = sub(mul(nums[O_b], Num(total, means=Sum("k", y_k))), nums[Y_b])
            out.eq(Equation(lhs, (rhs, numbers, result), bindings=env,
                            note="cross-entropy with softmax: the Jacobian cancels"))
            return out.done(title, value, (ob * total, -yb))
        rhs = sub(O_b, Y_b)
        why = "softmax" if act == "softmax" else "a sigmoid output"
        out.eq(Equation(lhs, (rhs, substitute(rhs, nums), result), bindings=env,
                        note=f"cross-entropy with {why}: f′ cancels"))
        return out.done(title, value, (ob * total if act == "softmax" else ob, -yb))
    assert loss.grad_formula is not None
    rule = loss.formula(Sym("o", L, ("k",)), Sym("y", None, ("k",)), act)
    note = f"{out.p(LOSS)} = {out.p(rule)}"
    if act == "softmax":
        K = len(o)
        g = loss.grad_o(o, y) if loss.grad_o else np.zeros_like(o)
        terms = [float(g[k] * (o[b - 1] * ((1.0 if k == b - 1 else 0.0) - o[k]))) for k in range(K)]
        o_k, y_k, k = Sym("o", L, ("k",)), Sym("y", None, ("k",)), Sym("k")
        body = mul(group(loss.grad_formula(o_k, y_k)), O_b, group(sub(Ind(k, "=", Num(float(b), exact=True)), o_k)))
        worked = add(*[mul(group(loss.grad_formula(Num(float(o[j]), Ref("o", L, (j,))), Num(float(y[j])))),
                            nums[O_b], group(sub(Num(1.0 if j == b - 1 else 0.0, exact=True), Num(float(o[j]), Ref("o", L, (j,))))))
                        for j in range(K)])
        env.update({o_k: o, y_k: y, k: np.arange(1, K + 1, dtype=float)})
        forms: list[Node] = [Sum("k", mul(Partial(ell, o_k), Partial(o_k, S_b))), Sum("k", body), worked,
                             add(*[Num(t) for t in terms]), result]
        env[Partial(ell, o_k)] = g
        env[Partial(o_k, S_b)] = o[b - 1] * ((np.arange(K) == b - 1) - o)
        out.eq(Equation(lhs, tuple(forms), bindings=env, note=f"{note}, softmax output"))
        return out.done(title, value, terms)
    fp = float(net.df(L, s, o)[b - 1])
    grad = loss.grad_formula(O_b, Y_b)
    diff = float(loss.grad_o(np.array([ob]), np.array([yb]))[0]) if loss.grad_o else 0.0
    df = net.act(L).derivative(S_b, O_b)
    env.update({Partial(ell, O_b): diff, Partial(O_b, S_b): fp})
    chain: list[Node] = [mul(Partial(ell, O_b), Partial(O_b, S_b)), mul(grad, df),
                         mul(substitute(grad, nums), substitute(df, nums)),
                         mul(Num(diff, means=grad), Num(fp, means=df)), result]
    out.eq(Equation(lhs, tuple(chain), bindings=env, note=note))
    return out.done(title, value, (diff,), fp)


def _explain_G(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, spec, (l, b, a) = stepper.state, stepper.spec, _indices(cell)
    value = float(st.G[l][b - 1, a])
    lhs = cell.sym()
    out = builder(stepper, digits)
    examples = _group_examples(stepper, l)
    loss_w = out.p(Partial(LOSS, Sym("w", l, (b, a)), prefixed=True))  # the profile's gradient name: cs231n's db₀⁷
    # a mean profile shows G/m for the group's m examples (each example's term divided by m); the lecture the sum
    m = _group_size(stepper) if out.mean else 1
    M_GROUP = group_symbol(spec.optimizer, spec.kinds or ())
    meaning = (f"{loss_w} averaged over the m = {count(m, 'example')} of this update group: the terms of the examples so far, "
               "each divided by m" if out.mean else f"{loss_w} summed over the examples of this update group so far")
    if not examples:
        from .equations import Gb

        zeroed = out.p(Gb(l)) if out.separate and a == 0 else out.q("G", l)  # a b cell: the profile's b apart from W
        return Explanation(f"{out.p(lhs)} = 0: {meaning} (none yet)",
                           (f"{out.p(lhs)} = 0: {zeroed} is zeroed at the start of each update group, and no "
                            f"example's {out.q('delta', l)} has been added yet",), value, notation=out.notation)
    W = _weights_of_group(stepper)
    x = wiring.source(stepper.net, l)  # o⁽ˡ⁻¹⁾, or the o a residual block's wires bring
    d_b, o_a = [], []
    for n in examples:
        o, delta = _example_pass(stepper.net, W, spec.inputs[n], spec.targets[n])
        d_b.append(float(delta[l][b - 1]))
        o_a.append(float(o[x][a]))
    terms = [d * x for d, x in zip(d_b, o_a)]
    ns = [n + 1 for n in examples]
    listed = ", ".join(map(str, ns)) if len(ns) <= MAX_TERMS else f"{len(ns)} examples"
    w, s_b = Sym("w", l, (b, a)), Sym("s", l, (b,))
    ln = Sym("ℓ", "n", latex=r"\ell")
    D, O = Sym("δ", l, (b,), latex=r"\delta"), Sym("o", x, (a,))
    bias = out.separate and a == 0  # ∂ℓ/∂b_b = δ_b: no o₀ = 1 in this notation
    each = D if bias else mul(D, O)
    out.eq(Equation(Partial(ln, w), (mul(Partial(ln, s_b), Partial(s_b, w)), each),
                    note=f"since {out.p(w)} reaches {out.p(ln)} only through {out.p(s_b)}"))
    products = [Num(d) if bias else mul(Num(d), Num(x)) for d, x in zip(d_b, o_a)]
    sums: list[Node] = [Sum("n", each), add(*products)]
    if len(terms) > 1:
        sums.append(add(*[Num(t) for t in terms]))
    ref = Ref("G", l, (b - 1, a))
    if out.mean:  # (1/m)·Σ: the sum over the examples so far, divided by the group's m
        forms: list[Node] = [Op("/", (f, M_GROUP if i == 0 else Num(float(m), exact=True))) for i, f in enumerate(sums)]
        assert out.notation is not None
        forms.append(Num(value / m, shown_ref(ref, out.notation, stepper.spec.L)))
    else:
        forms = [*sums, Num(value, ref)]
    env: dict = {D: np.array(d_b), O: np.array(o_a), M_GROUP: float(m)}
    out.eq(Equation(lhs, tuple(forms), bindings=env, note=f"over n = {listed}"))
    shown = value / m
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: {meaning}", shown, [t / m for t in terms])


def _group_size(stepper: Any) -> int:
    """The size m of the update group on the board (the last group may have fewer examples)."""
    if stepper.position == 0:
        return min(stepper.spec.group_size, stepper.spec.N)
    return _group_size_of(stepper, stepper.schedule.key(stepper.position - 1))


def _group_size_of(stepper: Any, key: Any) -> int:
    """The size m of the update group of step ``key``."""
    from .equations import group_size  # equations imports this module's neighbours: at call time

    return group_size(stepper.net, key)


def group_symbol(opt: Any, kinds: Any = ()) -> Sym:
    """How a mean profile writes the update group's size (m, or |B| beside Adam's m⁽ˡ⁾ or dropout's mask m⁽ˡ⁾)."""
    from .equations import group_symbol as symbol

    return symbol(opt, kinds)


def _explain_W(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, spec, (l, b, a) = stepper.state, stepper.spec, _indices(cell)
    value = float(st.W[l][b - 1, a])
    lhs = cell.sym()
    out = builder(stepper, digits)
    what = (f"the weight from unit {out.unit(a)} of layer {out.layer(wiring.source(stepper.net, l))} to unit "
            f"{out.unit(b)} of layer {out.layer(l)}" if a else f"the bias of unit {out.unit(b)} in layer {out.layer(l)}")
    kind = spec.layer_kinds[l - 1] if spec.is_v2 else None
    what = (kind.profiled_weight_text(spec, l, b, a, out.notation) if kind is not None else None) or what
    # the update's symbols as the layer's panel names the weight (u_b,c in U, a kernel's w_k,c,u,v, b_k)
    names = cell.kind if cell.kind is not None else spec.layer_kinds[l - 1]
    w_name, g_name = names.weight_sym(l, b - 1, a), names.grad_sym(l, b - 1, a)
    rename: dict = {}
    state_sub, counts = g_name.sub, 0  # the optimizer's state and g of the entry: as its gradient's (m_U,b,c)
    own = _own_bias_part(names, l, a, out.notation)
    if own is not None:  # a bias of its own beside b (a GRU's b_h): its state as the update's line names it, m_{b_h}
        state_sub, counts = own.state_sub + tuple(names.weight_sym(l, b - 1, 1).sub[:-1]), len(own.state_sub)
    if w_name != Sym("w", l, (b, a)) or g_name != Sym("G", l, (b, a)):
        rename = {Sym("w", l, (b, a)): w_name, Sym("w", l, (b, a), "tilde"): replace(w_name, accent="tilde"),
                  Sym("G", l, (b, a)): g_name,
                  **{Sym(x, l, (b, a), acc): Sym(x, l, state_sub, acc, own="" if x == "g" else spec.optimizer.name,
                                                  counts=counts)
                     for x in ("g", "m", "v") for acc in ("", "hat")}}
    prov = stepper.provenance(l, b - 1, a)  # the file, init, training, an edit, or the last update
    if prov.kind != "update":
        return Explanation(f"{out.p(lhs)} = {out.n(value)}: {what}", (prov.text(digits, out.p(lhs) if out.notation else None),), value,
                           notation=out.notation)
    step, G = prov.update, prov.G
    opt = spec.optimizer
    # a mean profile's update reads the gradient as G/m: w ← w − (η·m)·(G/m), every number the same
    m = _group_size_of(stepper, step.key) if out.mean else 1
    M_GROUP = group_symbol(opt, spec.kinds or ())
    g_mean = Sym("G", l, (b, a), latex="G")  # G/m: its own node, so that G ↦ m·(G/m) substitutes once
    mean_names: dict = {mul(ETA, Sym("G", l, (b, a))): mul(group(mul(ETA, M_GROUP)), g_mean),
                        Sym("G", l, (b, a)): group(mul(M_GROUP, g_mean))} if out.mean else {}
    if rename and out.mean:  # G/m under the weight's own name too (∂C/∂w_Q,1,1², ∂C/∂u₃,₁²), not w_b,a's
        rename[g_mean] = replace(g_name, latex="G")
    i = (b - 1, a)
    w0 = float(step.before[i])
    bias = stepper.spec.layer_kinds[l - 1].bias_columns
    g = float(regularised(step.before, G, opt.l2, bias)[i])
    title = f"{out.p(lhs)} = {out.n(value)}: {what}, as updated {prov.follows.text()} of epoch {step.key.epoch}"
    params = hyper_parameters(opt)
    before: dict = {Sym("w", l, (b, a)): w0}
    after: dict = {Sym("w", l, (b, a)): value, Sym("G", l, (b, a)): float(G[i]), Sym("g", l, (b, a)): g,
                   Sym("w", l, (b, a), "tilde"): 0.0 if a in bias else w0}
    shown: dict = {sym: Num(float(v), exact=True) for sym, v in params.items()}
    velocity = out.notation.velocity if out.notation is not None else "sum_of_gradients"
    for name, arr in (step.opt.arrays().items() if step.opt is not None else ()):  # as the profile writes them
        before[Sym(name, l, (b, a))] = float(state_written(opt, name, step.opt_before.arrays()[name][i], velocity))
        after[Sym(name, l, (b, a))] = float(state_written(opt, name, arr[i], velocity))
    if opt.name == "adam":
        t = step.opt.t
        after[Sym("t")] = t
        shown[Sym("t")] = Num(float(t), exact=True)
        after[Sym("m", l, (b, a), "hat")] = float(step.opt.m[i]) / (1.0 - opt.beta1**t)
        after[Sym("v", l, (b, a), "hat")] = float(step.opt.v[i]) / (1.0 - opt.beta2**t)
    refs: dict = {}  # G⁽ˡ⁾ on the board may be a later group's by now: G here is the one the update used
    if out.mean:
        params = {**params, M_GROUP: float(m)}
        shown[M_GROUP] = Num(float(m), exact=True)
        after[g_mean] = float(G[i]) / m
    for eq_lhs, rel, rhs in update_formulas(opt, l, (b, a), velocity):
        rhs = substitute(rhs, mean_names) if mean_names else rhs
        env = {**params, **after}
        if rel == "←":
            env[eq_lhs] = before[eq_lhs]
        values = dict(shown)
        for sym, v in env.items():
            if isinstance(sym, Sym) and sym.sub == (b, a):
                values[sym] = Num(float(v), refs.get(sym), means=None if sym in refs else sym)
        result = Num(float(after[eq_lhs]), Ref("W", l, i) if eq_lhs.base == "w" and not eq_lhs.accent else None)
        note = "L2 never touches a bias" if eq_lhs.base == "g" and not a else ""
        eq = Equation(eq_lhs, (rhs, substitute(rhs, values), result), rel, env, note)
        if rename:
            eq = Equation(rename.get(eq.lhs, eq.lhs), tuple(substitute(f, rename) for f in eq.forms), eq.rel,
                          {rename.get(k, k): v for k, v in eq.bindings.items()}, eq.note)
        out.eq(eq)
    delta_w = value - w0
    return out.done(title, value, (w0, float(delta_w)))



def _own_bias_part(kind: Any, l: int, a: int, notation: Any) -> Any:
    """The part of layer l's matrix (``LayerKind.update_parts``) that column ``a`` is when it is a bias of its
    own beside b, which a profile with a separate b updates on its own lines (a GRU's b_h, with m_{b_h}); None
    for any other column (W's, U's and b's entries keep their gradient's subscripts, as a dense layer's do)."""
    if notation is None or not notation.separate_bias:
        return None
    return next((p for p in kind.update_parts(l) if p.vector and p.first == a and p.first != 0), None)


def _explain_loss(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net, spec = stepper.state, stepper.net, stepper.spec
    L = spec.L
    n = current_example(stepper)
    if st.loss is None:
        return _not_yet(cell, "the loss comes after this example's forward pass.", builder(stepper, digits))
    value = float(st.loss)
    o, y, s = st.o[L], st.y, st.s[L]
    act = net.act(L).name
    lhs = Sym("ℓ", n, latex=r"\ell") if n else Sym("ℓ", latex=r"\ell")
    out = builder(stepper, digits)
    result = Num(value, Ref("loss"), ln=net.loss.ln_past_floats(o, y, act, s))  # past the floats: from its logarithm
    title = f"{out.p(lhs)} = {out.p(result)}: the loss of example n = {n} ({spec.loss})"
    if net.loss.name == "cross_entropy":
        if act == "softmax":
            lse = float(np.logaddexp.reduce(s))
            terms = [float(-y[k] * (s[k] - lse)) for k in range(len(o))]
        else:
            terms = [float(y[k] * np.logaddexp(0.0, -s[k]) + (1 - y[k]) * np.logaddexp(0.0, s[k])) for k in range(len(o))]
    else:
        scale = 0.5 if net.loss.name == "half_squared" else 1.0
        terms = [float((o[k] - y[k]) ** 2) for k in range(len(o))]
    o_k, y_k = Sym("o", L, ("k",)), Sym("y", None, ("k",))
    forms: list[Node] = [net.loss.formula(o_k, y_k, act), net.loss.terms(o, y, act, L, s)]
    forms.append(result)
    out.eq(Equation(lhs, tuple(forms), bindings={o_k: o, y_k: y}))
    factor = 1.0 if net.loss.name == "cross_entropy" else scale
    return out.done(title, value, terms, factor)

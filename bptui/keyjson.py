"""The answer key a machine reads: ``KEY.json`` beside every key (``variant-01-key.json``).

Each blank's value is also written as a formula over the earlier blanks (``b12``) and numbers, in the
graph files' expression syntax (:mod:`bptui.core.graphs.expr` parses it), so that a grader without bptui can
carry a student's error forward. The formulas are traced step by step as the exercise is made: every
board number a step writes gets a scalar formula over the board numbers it reads, from the same
tables the step equations use (the activation's, the loss's, the optimizer's, a graph op's ``tree``
and ``dtree``). A number read later is the blank's id if it is a blank, the number itself (``repr``)
if it does not depend on any blank, and its own formula, inlined, if it depends on blanks through
steps that are not blanks. ``depends_on`` is the set of blank ids in the formula.

Functions the expression syntax has no name for are written with the ones it has: an indicator
1[d > 0] as ``max(d, 0)/max(d, 5e-324)`` (exactly 1 or 0 in floating point), a case as
``c·then + (1 − c)·other``, softplus as ``log(1 + exp(x))``, leaky ReLU as ``max(x, 0) + α·min(x, 0)``.
A value whose formula needs a function with no such spelling (gelu's Φ) has ``formula: null``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .core.engine.wiring import reader as wired_reader, source as wired_source
from .core.formulas.formula import Call, Cases, Ind, LatexPrinter, Node, Num, Op, Ref, Sum, Sym, TextPrinter, shown_halfwidth

RTOL = 1e-3  # the quiz's relative tolerance
# the longest formula written out (characters): within what core/graphs/expr.py parses (10,000 nodes); a
# longer one (a value that reads elided entries updated over many groups) is written as null
FORMULA_LIMIT = 100_000
KEPT = 5_000  # inlined formulas up to this long are written out once for all blanks that read them
TINY = "5e-324"  # the smallest positive float: max(d, 0)/max(d, TINY) is 1[d > 0] exactly
SCHEMA = Path(__file__).with_name("core") / "schemas" / "key-schema.json"


class Unwritable(Exception):
    """A formula needs a function the expression syntax cannot spell."""


@dataclass(frozen=True)
class Expr:
    """A board number as the key's formulas read it: its text (a number, a blank's id ``b3``, or a
    placeholder ``§12§`` for a formula inlined when a blank's formula is written out) and its value."""

    text: str
    value: float

    @staticmethod
    def number(x: float) -> "Expr":
        return Expr(number_text(x), float(x))


def number_text(x: float) -> str:
    """A float at full precision in the expression syntax (negative ones in parentheses)."""
    x = float(x)
    if not np.isfinite(x):
        raise Unwritable(f"{x} has no spelling in the expression syntax")
    text = repr(x)
    return f"({text})" if x < 0 or text.startswith("-") else text


# -- formula trees → the expression syntax ----------------------------------------------------------
_DIRECT = {"exp": "exp", "log": "log", "ln": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
           "sigmoid": "sigmoid", "sqrt": "sqrt", "relu": "relu", "abs": "abs", "max": "max", "min": "min"}


# the formula trees' operators and the functions the syntax has no name for, written with its own
_OPERATORS = {"-": "({0}-{1})", "/": "({0}/{1})", "neg": "(-{0})", "sq": "({0}*{0})", "^": "({0}**{1})", "()": "{0}"}
_SPELLED = {"softplus": "log(1+exp({0}))", "leaky_relu": "(max({0}, 0)+{1}*min({0}, 0))",
            "prelu": "(max({0}, 0)+{1}*min({0}, 0))", "elu": "(max({0}, 0)+{1}*(exp(min({0}, 0))-1))"}


def _positive(d: str) -> str:
    return f"(max({d}, 0)/max({d}, {TINY}))"


def _indicator(i: Ind, env: Mapping[Node, Expr]) -> str:
    return _indicator_text(to_text(i.a, env), i.rel, to_text(i.b, env))


def _indicator_text(a: str, rel: str, b: str) -> str:
    """1[a rel b] (rel one of > < ≥ ≤ =) with max and a division: exactly 1 or 0."""
    up, down = _positive(f"{a}-{b}"), _positive(f"{b}-{a}")
    return {">": up, "<": down, "≥": f"(1-{down})", "≤": f"(1-{up})", "=": f"(1-{up}-{down})"}[rel]


def to_text(node: Node, env: Mapping[Node, Expr], sums: Mapping[str, list[Mapping[Node, Expr]]] | None = None) -> str:
    """``node`` in the expression syntax, its symbols read from ``env``; a sum over k is written out
    term by term with ``sums[k]``'s symbols for each term."""
    def go(n: Node, e: Mapping[Node, Expr]) -> str:
        if isinstance(n, Num):
            return number_text(n.value)
        if isinstance(n, Sym):
            if n not in e:
                raise Unwritable(f"no value for {TextPrinter().p(n)}")
            return e[n].text
        if isinstance(n, Op):
            args = [go(a, e) for a in n.args]
            if n.op in ("+", "*"):
                return "(" + n.op.join(args) + ")"
            if n.op not in _OPERATORS:
                raise Unwritable(f"the operator {n.op!r}")
            return _OPERATORS[n.op].format(*args)
        if isinstance(n, Call):
            args = [go(a, e) for a in n.args]
            if n.fn in _DIRECT:
                return f"{_DIRECT[n.fn]}({', '.join(args)})"
            if n.fn == "sign":
                return f"({_positive(args[0])}-{_positive(f'(-{args[0]})')})"
            if n.fn not in _SPELLED:
                raise Unwritable(f"the function {n.fn}")
            return _SPELLED[n.fn].format(*args)
        if isinstance(n, Ind):
            return _indicator(n, e)
        if isinstance(n, Cases):
            c = _indicator(n.cond, e)
            return f"({c}*{go(n.then, e)}+(1-{c})*{go(n.other, e)})"
        if isinstance(n, Sum) and sums is not None and n.index in sums:
            return "(" + "+".join(go(n.body, {**e, **term}) for term in sums[n.index]) + ")"
        raise Unwritable(f"the node {type(n).__name__}")
    return go(node, env)


# -- tracing the run --------------------------------------------------------------------------------
Key = tuple[str, "int | None", "str | None", "tuple[int, ...] | None"]
_ANY = "1.0"  # a number's text when no formula is written (Tracer(formulas=False)): any will do
_BLANK_ID = re.compile(r"\bb(\d+)\b")
_PLACE = re.compile(r"§(\d+)§")


def _parses(formula: str) -> bool:
    """Whether core/graphs/expr.py reads the formula (within its 10,000 nodes)."""
    from .core.util.errors import SpecError
    from .core.graphs.expr import MAX_NODES, _Parser

    # each node the parser makes has an operator of its own (+ − * / ** or a call's "("): within the limit
    if sum(formula.count(c) for c in "+-*/(") <= MAX_NODES:
        return True
    try:
        _Parser(formula, sorted(f"b{i}" for i in blank_ids(formula))).parse()
    except SpecError:
        return False
    return True


def _bits(mask: int) -> tuple[int, ...]:
    out = []
    while mask:  # the lowest bit set, one at a time
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return tuple(out)


def blank_ids(formula: str) -> frozenset[int]:
    """The blanks a formula reads: its b-ids (the inlined values' too)."""
    return frozenset(int(m) for m in _BLANK_ID.findall(formula))


@dataclass
class Traced:
    """A blank's formula (None: not writable) and the blanks it depends on."""

    formula: str | None
    depends_on: tuple[int, ...]


class Tracer:
    """Follows the board through the steps of an exercise: each number's formula over the blanks.

    A number that depends on blanks but is no blank keeps its formula under a placeholder; a
    blank's formula is written out with those placeholders expanded (each expanded once), so a
    value no blank reads costs only its own step's formula.

    The same board says which numbers an exercise page may print (exercise.py): :meth:`state` of a
    number is ``"blank"``, ``"formula"`` (no blank, but it depends on one, through any chain of
    steps) or ``"number"``; ``read_blanks`` whether the last step read a blank or a formula. With
    ``formulas=False`` the blanks' formulas are not written out (only what they depend on), for an
    exercise without its JSON key."""

    def __init__(self, spec: Any, formulas: bool = True) -> None:
        self.spec = spec
        self.formulas = formulas
        self.board: dict[Key, Expr | None] = {}  # None: depends on a value with no formula
        self.opaque: dict[Key, bool] = {}  # a number with no formula: whether it depends on a blank
        self.read_blanks = False  # whether the numbers read since the step began depend on a blank
        self._reading = False  # … since the last number produced
        self.blanks: dict[int, Traced] = {}
        self.pending: list[str] = []  # placeholder i's formula (reading only earlier placeholders)
        self.sizes: list[int] = []  # placeholder i's length written out
        self.masks: list[int] = []  # the blanks placeholder i depends on, as bits
        self.expanded: dict[int, str] = {}
        self.too_long = 0  # blanks whose formula is longer than FORMULA_LIMIT (formula null)
        self.inlined = 0  # blanks whose formula inlines a value that is no blank but depends on blanks
        self._read_inlined = False
        self.kinds: Any = getattr(spec, "layer_kinds", None)
        self.t: int | None = None  # the time step τ of the step traced (a recurrent network's step at one τ)
        self._links: dict[int, tuple[dict, dict, dict]] = {}

    # a board number as read now: tracked if it is still the value tracked, else a given number
    def read(self, quantity: str, layer: int | None, index: tuple[int, ...] | None, actual: float,
             node: str | None = None) -> Expr:
        key = (quantity, layer, node, index)
        tracked = self.board.get(key)
        same = tracked is not None and (tracked.value == float(actual) or (np.isnan(tracked.value) and np.isnan(actual)))
        if key in self.board and tracked is None:
            self._reading |= self.opaque.get(key, True)
            self.read_blanks |= self.opaque.get(key, True)
            raise Unwritable("an earlier value has no formula")
        if tracked is not None and same:
            self._read_inlined |= tracked.text.startswith("§")
            self._reading = self.read_blanks = True
            return tracked
        # without formulas only whether a number depends on a blank is wanted, not its digits
        return Expr.number(actual) if self.formulas else Expr(_ANY, float(actual))

    def state(self, quantity: str, layer: int | None, index: tuple[int, ...] | None, actual: float,
              node: str | None = None) -> str:
        """What board number ``key`` is as a step reads it now (with value ``actual``): ``"blank"``, a
        ``"formula"`` (it depends on a blank) or a ``"number"`` (it depends on none)."""
        key = (quantity, layer, node, index)
        if key in self.board and self.board[key] is None:
            return "formula" if self.opaque.get(key, True) else "number"
        tracked = self.board.get(key)
        if tracked is None or not (tracked.value == float(actual) or (np.isnan(tracked.value) and np.isnan(actual))):
            return "number"
        return "blank" if tracked.text.startswith("b") else "formula" if tracked.text.startswith("§") else "number"

    def expand(self, text: str) -> str:
        """``text`` with its placeholders replaced by their formulas (in order; short ones kept for
        the next blank, long ones only for this one)."""
        needed: set[int] = set()
        stack = [int(m) for m in _PLACE.findall(text)]
        while stack:
            i = stack.pop()
            if i in needed or i in self.expanded:
                continue
            needed.add(i)
            stack.extend(int(m) for m in _PLACE.findall(self.pending[i]))
        local: dict[int, str] = {}

        def get(m: re.Match) -> str:
            i = int(m.group(1))
            return self.expanded[i] if i in self.expanded else local[i]
        for i in sorted(needed):
            out = "(" + _PLACE.sub(get, self.pending[i]) + ")"
            (self.expanded if len(out) <= KEPT else local)[i] = out
        return _PLACE.sub(get, text)

    def produce(self, quantity: str, layer: int | None, index: tuple[int, ...] | None, value: float,
                make: Callable[[], str], label: int | None, node: str | None = None) -> None:
        """Record the number a step writes: ``make()`` gives its formula over the numbers it reads."""
        key = (quantity, layer, node, index)
        self._read_inlined = False
        try:
            text: str | None = make()
        except Unwritable:
            text = None
        depends, self._reading = self._reading, False
        if label is not None:
            if text is not None and not self.formulas:
                self.blanks[label] = Traced(None, ())  # what it depends on is not needed either
            elif text is not None and self._size(text) > FORMULA_LIMIT:
                self.too_long += 1
                self.blanks[label] = Traced(None, _bits(self._mask(text)))
            elif text is not None and not _parses(formula := self.expand(text)):
                self.too_long += 1
                self.blanks[label] = Traced(None, _bits(self._mask(text)))
            elif text is not None:
                self.inlined += self._read_inlined
                self.blanks[label] = Traced(formula, tuple(sorted(blank_ids(formula))))
            else:
                self.blanks[label] = Traced(None, ())
            self.board[key] = Expr(f"b{label}", float(value))
        elif text is None:
            self.board[key] = None
            self.opaque[key] = depends
        elif "§" not in text and not ("b" in text and _BLANK_ID.search(text)):  # it depends on no blank
            self.board[key] = (Expr.number(value) if self.formulas else Expr(_ANY, float(value))) \
                if np.isfinite(value) else None
            self.opaque[key] = False
        elif not self.formulas:  # only whether it depends on a blank is wanted
            self.board[key] = Expr("§§", float(value))
        else:
            self.sizes.append(self._size(text))
            self.masks.append(self._mask(text))
            self.pending.append(text)
            self.board[key] = Expr(f"§{len(self.pending) - 1}§", float(value))

    def _size(self, text: str) -> int:
        """The length of ``text`` with its placeholders written out."""
        return len(text) + sum(self.sizes[int(m.group(1))] - len(m.group(0)) for m in _PLACE.finditer(text))

    def _mask(self, text: str) -> int:
        mask = 0
        for b in _BLANK_ID.findall(text):
            mask |= 1 << int(b)
        for m in _PLACE.findall(text):
            mask |= self.masks[int(m)]
        return mask

    # -- steps ------------------------------------------------------------------------------------
    def step(self, stepper: Any, step: Any, labels: Mapping[Ref, int]) -> None:
        """Trace the numbers ``step`` (just done by ``stepper``) wrote; ``labels``: its new blanks."""
        self.stepper, self.st = stepper, stepper.state
        self.read_blanks = self._reading = False
        self.net: Any = getattr(stepper, "net", None)
        if self.spec.kind == "graph":
            return self._graph(step, labels)
        k = step.key
        if k.quantity == "loss":
            return self._loss(step, labels)
        if k.quantity == "W":
            return self._W(step, labels)
        self.t = getattr(k, "time", None)
        value = np.asarray(step.value, dtype=float)
        self.before = None if step.before is None else np.asarray(step.before, dtype=float)
        kind = self.kind(k.layer) if k.layer else None
        quantity = kind.board_quantity(k.quantity) if kind is not None else k.quantity
        row = self.row(quantity, k.layer)

        def place(index: tuple[int, ...]) -> tuple[int, ...]:  # entry index of the value on the board
            return kind.board_index(k.quantity, row + index)[1] if kind is not None else row + index
        first = place(next(np.ndindex(*value.shape)))
        if kind is not None and kind.entry_formula(self.net, self.st, k, first, self.before) is not None:
            formula: Callable[[tuple[int, ...]], str] = partial(self._own, kind, k)  # the kind's own step
        else:
            formula = {"s": self._s, "o": self._o, "delta": self._delta, "G": self._G}[k.quantity](k.layer)
        for index in np.ndindex(*value.shape):
            at = place(index)
            self.produce(quantity, k.layer, at, float(value[index]), partial(formula, at),
                         labels.get(Ref(quantity, k.layer, at)))

    def _own(self, kind: Any, key: Any, index: tuple[int, ...]) -> str:
        """An entry of a step whose formula its kind writes (a gated layer's, core/kinds/rnn/keyformulas.py),
        its board numbers read as the tracer tracks them."""
        from .core.engine.keyformula import SENT

        tree, leaves = kind.entry_formula(self.net, self.st, key, index, self.before)
        env = {sym: Expr(self.sent(l, at[0] or None, at[1:]), value) if q == SENT else self.read(q, l, at, value)
               for sym, (q, l, at, value) in leaves.items()}
        return to_text(tree, env)

    def sent(self, c: int, t: int | None, pos: tuple[int, ...]) -> str:
        """What layer c sends down to unit ``pos`` (0-based; a map's position) of its input at τ = t (None:
        no τ): the board number a kind's backward step wrote (``LayerKind.sent_place``), else through c's
        weights: (W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾)[1:] (at τ: W's columns only, not a recurrent layer's U; from a layer that runs
        once, at τ = T only), a window's maximum, a mean's share (c's links)."""
        kind, st = self.kind(c), self.st
        place = kind.sent_place(st, c, t, pos)
        if place is not None:
            q, at = place
            board = {"delta": st.delta, "o": st.o, "s": st.s}[q][c] if q in ("delta", "o", "s") else st.extra[q, c]
            return self.read(q, c, at, np.asarray(board)[at]).text
        if t is None or not getattr(self.spec, "is_sequence", False):
            return self._links_sent(c, pos)
        receiver = wired_source(self.net, c)
        W, d, b = st.W[c], st.delta[c], pos[-1]
        if not self.spec.timed[c - 1]:  # a layer that runs once reads o_T only
            if t != len(st.s[receiver]):
                return "0.0"
            t = None
        k_count = len(d) if t is None else d.shape[1]
        return "(" + "+".join(f"{self.read('W', c, (k, b + 1), W[k, b + 1]).text}*"
                              f"{self.entry('delta', c, t, k).text}" for k in range(k_count)) + ")"

    # -- time: a per-τ layer's s, o, δ are matrices with a row per τ (core/kinds/rnn/steps.py) ----------
    def row(self, quantity: str, l: int | None) -> tuple[int, ...]:
        """The row of the board matrix a step at τ = self.t writes (a recurrent layer's o has o_0 in row
        0), as an index prefix; () for a step that writes a whole quantity."""
        return time_row(self.spec, quantity, l, self.t)

    def entry(self, quantity: str, l: int, t: int | None, i: int) -> Expr:
        """Entry i of o⁽ˡ⁾ or δ⁽ˡ⁾ at τ = t (None: of a layer that runs once, or at T of a recurrent one
        when t is None)."""
        board = {"o": self.st.o, "delta": self.st.delta, "s": self.st.s}[quantity][l]
        if l and self.kind(l).over_time and quantity == "o":
            at: tuple[int, ...] = (len(board) - 1 if t is None else t, i)
        elif t is not None and (l == 0 or self.spec.timed[l - 1]):
            at = (t - 1, i)
        else:
            at = (i,)
        return self.read(quantity, l, at, board[at])

    def input(self, l: int, a: int) -> Expr:
        """Entry a of the vector layer l's stored W multiplies (at τ = self.t in a recurrent network):
        [1, x_τ] or a dense layer's o⁽ˡ⁻¹⁾_τ; [1, o⁽ˡ⁻¹⁾_τ] (once: [1, o⁽ˡ⁻¹⁾_T]) above a recurrent
        layer; a recurrent layer's own [W | U] multiplies o⁽ˡ⁾_{τ−1} after them."""
        kind = self.kind(l)
        n = 1 + kind.in_shape[0]
        if a >= n:  # U's part: o⁽ˡ⁾_{τ−1}, row τ − 1 of the recurrent layer's o (o_0 = 0 in row 0)
            assert self.t is not None
            return self.read("o", l, (self.t - 1, a - n), self.st.o[l][self.t - 1, a - n])
        t = self.t if self.spec.timed[l - 1] else None
        src = wired_source(self.net, l)
        if self.net.wiring is not None or (src and self.kind(src).mixes_time):  # along the wires, or above attention
            from .core.engine.keyformula import unit_place

            if a == 0:
                return Expr.number(1.0)
            at = unit_place(self.net, self.st, src, t, (a - 1,))
            return self.read("o", src, at, self.st.o[src][at])
        if l > 1 and self.kind(l - 1).over_time:
            return Expr.number(1.0) if a == 0 else self.entry("o", l - 1, t, a - 1)
        return self.entry("o", l - 1, t, a)

    def from_above(self, l: int, b: int, t: int | None) -> str:
        """∂ℓ/∂o⁽ˡ⁾ at unit b (0-based) of layer l, at τ = t (None: once): what the layer reading o⁽ˡ⁾ (l + 1,
        or along a block's wires) sends down (:meth:`sent`)."""
        return self.sent(wired_reader(self.net, l), t, (b,))

    def kind(self, l: int) -> Any:
        return self.kinds[l - 1]

    def links(self, l: int) -> tuple[dict, dict, dict]:
        """Layer l's kind's :meth:`~bptui.core.engine.kind.LayerKind.links` of every output entry, and
        the same links by weight and by input entry (who reads what): each computed once."""
        if l not in self._links:
            kind = self.kind(l)
            per = {pos: kind.links(pos) for pos in np.ndindex(*kind.out_shape)}
            by_w: dict[tuple[int, int], list] = {}
            by_x: dict[tuple[int, ...], list] = {}
            for pos, links in per.items():
                for w, x in links:
                    if w is not None:
                        by_w.setdefault(w, []).append((pos, x))
                    if x is not None:
                        by_x.setdefault(x, []).append((pos, w))
            self._links[l] = (per, by_w, by_x)
        return self._links[l]

    def below(self, l: int, x: tuple[int, ...] | None) -> Expr:
        """Input entry x of layer l (its ``in_shape``; None: the constant 1) as the board holds it: a
        vector o⁽ˡ⁻¹⁾ with its bias entry first, or a map."""
        if x is None:
            return Expr.number(1.0)
        src = wired_source(self.net, l)
        o = self.st.o[src]
        at = (x[0] + 1,) if np.ndim(o) == 1 else x
        return self.read("o", src, at, o[at])

    def _s(self, l: int) -> Callable[[tuple[int, ...]], str]:
        W = self.st.W[l]
        if getattr(self.spec, "is_sequence", False):  # at τ: W (and a recurrent layer's U) times a vector
            def dense(index: tuple[int, ...]) -> str:
                b = index[-1]
                return "(" + "+".join(f"{self.read('W', l, (b, a), W[b, a]).text}*{self.input(l, a).text}"
                                      for a in range(W.shape[1])) + ")"
            return dense
        per = self.links(l)[0]

        def s(index: tuple[int, ...]) -> str:
            terms = []
            for w, x in per[index]:
                weight = self.read("W", l, w, W[w]).text
                terms.append(weight if x is None else f"{weight}*{self.below(l, x).text}")
            return "(" + "+".join(terms) + ")"
        return s

    def _alpha(self, l: int) -> dict[Node, Expr]:
        from .core.ops.activations import ALPHA

        return {ALPHA: Expr.number(self.net.alphas[l - 1])} if self.net.act(l).uses_alpha else {}

    def _o(self, l: int) -> Callable[[tuple[int, ...]], str]:
        s, o_below = self.st.s[l], self.st.o[l - 1]
        kind = self.kind(l)
        if not kind.has_s:  # no s: o is its inputs' largest or their mean (pooling)
            per = self.links(l)[0]

            def pooled(index: tuple[int, ...]) -> str:
                xs = [self.below(l, x).text for _, x in per[index]]
                if kind.combine == "max":
                    out = xs[0]
                    for x in xs[1:]:
                        out = f"max({out}, {x})"
                    return out
                return f"(({'+'.join(xs)})/{number_text(len(xs))})"
            return pooled
        act = self.net.act(l)
        hidden = l < self.spec.L and kind.bias_entry
        S = Sym("s", l, (0,))
        o_row, s_row = self.row("o", l), self.row("s", l)

        def f(index: tuple[int, ...]) -> str:
            local = index[len(o_row):]
            if hidden and local[0] == 0:
                return "1.0"
            at = s_row + ((local[0] - 1,) if hidden else local)
            if act.name == "softmax":
                xs = [self.read("s", l, s_row + (k,), s[s_row + (k,)]).text for k in range(s.shape[-1])]
                return f"(exp({xs[at[-1]]})/(" + "+".join(f"exp({x})" for x in xs) + "))"
            return to_text(act.value(S), {S: self.read("s", l, at, s[at]), **self._alpha(l)})
        return f

    def _loss(self, step: Any, labels: Mapping[Ref, int]) -> None:
        st, net, L = self.st, self.net, self.spec.L
        o, y = st.o[L], st.y
        ok, yk = Sym("o", L, ("k",)), Sym("y", None, ("k",))
        rule = net.loss.formula(ok, yk, net.act(L).name)
        value = float(step.value)

        rows = [(t,) for t in range(len(o))] if self.spec.return_sequences else [()]

        def loss() -> str:  # with return_sequences, ℓ⁽ⁿ⁾ sums ℓ⁽ⁿ⁾_τ over τ
            return "(" + "+".join(to_text(rule, {}, {"k": [{ok: self.read("o", L, r + (k,), o[r + (k,)]),
                                                              yk: Expr.number(y[r + (k,)])}
                                                             for k in range(o.shape[-1])]}) for r in rows) + ")"
        self.produce("loss", None, None, value, loss, labels.get(Ref("loss")))
        new, before = self.read("loss", None, None, value), self.read("loss_D", None, None, float(st.loss_D) - value)
        self.produce("loss_D", None, None, float(st.loss_D), lambda: f"({before.text}+{new.text})",
                     labels.get(Ref("loss_D")))

    def fprime(self, l: int, index: tuple[int, ...]) -> str:
        """f′(s⁽ˡ⁾) at one unit or position (its index in s⁽ˡ⁾, a row first at τ), as the activation's
        table writes it."""
        st, act = self.st, self.net.act(l)
        S, O = Sym("s", l, (0,)), Sym("o", l, (0,))
        if self.t is not None and self.spec.timed[l - 1]:
            o = self.entry("o", l, self.t, index[-1] + (1 if l < self.spec.L and self.kind(l).bias_entry else 0))
        else:
            o_index = (index[0] + 1,) if l < self.spec.L and np.ndim(st.o[l]) == 1 else index
            o = self.read("o", l, o_index, st.o[l][o_index])
        env = {S: self.read("s", l, index, st.s[l][index]), O: o, **self._alpha(l)}
        return to_text(act.derivative(S, O), env)

    def back(self, l: int, index: tuple[int, ...]) -> str:
        """∂ℓ/∂o⁽ˡ⁾ at ``index`` (a unit, without the bias; or a map position): what the layer reading o⁽ˡ⁾
        (l + 1, or along a block's wires) sends down (:meth:`sent`)."""
        return self.sent(wired_reader(self.net, l), None, index)

    def _links_sent(self, c: int, index: tuple[int, ...]) -> str:
        """What layer c sends down to entry ``index`` of its input, from each of its entries that reads it
        (its kind's links): w·δ through a weight, δ to a window's first maximum, δ/n to each of a mean's
        n inputs."""
        above, d, W = self.kind(c), self.st.delta[c], self.st.W[c]
        per, _, by_x = self.links(c)
        terms = []
        for pos, w in by_x.get(index, ()):
            dk = self.read("delta", c, pos, d[pos]).text
            if above.combine == "sum":
                assert w is not None
                terms.append(f"{self.read('W', c, w, W[w]).text}*{dk}")
            elif above.combine == "max":
                terms.append(f"{dk}*{self.first_max(c, [x for _, x in per[pos]], index)}")
            else:
                terms.append(f"{dk}/{number_text(len(per[pos]))}")
        return "(" + "+".join(terms) + ")" if terms else "0.0"

    def first_max(self, l: int, window: list[Any], at: tuple[int, ...]) -> str:
        """1 if input ``at`` of layer l is the first maximum of ``window`` (its inputs in the links'
        order, row-major), else 0."""
        x = self.below(l, at)
        factors = []
        seen = False
        for p in window:
            if p == at:
                seen = True
                continue
            rel = "≥" if seen else ">"  # an earlier equal maximum wins
            factors.append(_indicator_text(x.text, rel, self.below(l, p).text))
        return "(" + "*".join(factors) + ")" if factors else "1.0"

    def _delta(self, l: int) -> Callable[[tuple[int, ...]], str]:
        if l == self.spec.L:
            return self._output_delta
        kind, act = self.kind(l), self.net.act(l) if self.kind(l).has_s else None

        sequence, t = getattr(self.spec, "is_sequence", False), self.t if self.spec.timed[l - 1] else None

        def delta(index: tuple[int, ...]) -> str:
            back = self.back(l, index) if not sequence else self.from_above(l, index[-1], t)
            if kind.over_time and t is not None and t < len(self.st.s[l]):  # + (Uᵀ δ⁽ˡ⁾_{τ+1})_b
                W, n, b = self.st.W[l], 1 + kind.in_shape[0], index[-1]
                back = "(" + "+".join([back] + [f"{self.read('W', l, (c, n + b), W[c, n + b]).text}*"
                                                f"{self.entry('delta', l, t + 1, c).text}"
                                                for c in range(kind.out_shape[0])]) + ")"
            if act is None or act.derivative_is_one:
                return back
            return f"({back}*{self.fprime(l, index)})"
        return delta

    def _output_delta(self, index: tuple[int, ...]) -> str:
        st, net, L = self.st, self.net, self.spec.L
        act, loss = net.act(L), net.loss
        *row, b = index  # a row first at τ (return_sequences)
        o, y = st.o[L][tuple(row)], st.y[tuple(row)]
        O_b = self.read("o", L, index, o[b])
        if loss.grad_formula is None:  # cross-entropy with its canonical output: o − y (o Σy − y)
            total = float(np.sum(y))
            if act.name == "softmax" and total != 1.0:
                return f"({O_b.text}*{number_text(total)}-{number_text(y[b])})"
            return f"({O_b.text}-{number_text(y[b])})"
        ok, yk = Sym("o", L, ("k",)), Sym("y", None, ("k",))
        if act.name == "softmax":  # Σ_k ∂ℓ/∂o_k · o_b (1[k = b] − o_k)
            outs = [self.read("o", L, (*row, k), o[k]) for k in range(len(o))]
            return "(" + "+".join(f"({to_text(loss.grad_formula(ok, yk), {ok: outs[k], yk: Expr.number(y[k])})}*"
                                  f"{O_b.text}*({1.0 if k == b else 0.0}-{outs[k].text}))" for k in range(len(o))) + ")"
        grad = to_text(loss.grad_formula(ok, yk), {ok: O_b, yk: Expr.number(y[b])})
        return grad if act.derivative_is_one else f"({grad}*{self.fprime(L, index)})"

    def _G(self, l: int) -> Callable[[tuple[int, ...]], str]:
        """G ← G + each term of the example that uses the weight: δ·x over the entries that read it
        through that weight (a kernel weight: every position's; at τ: δ_τ times the vector W multiplies)."""
        d = self.st.delta[l]
        if getattr(self.spec, "is_sequence", False):
            t = self.t if self.spec.timed[l - 1] else None

            def G_t(index: tuple[int, ...]) -> str:
                assert self.before is not None
                g = self.read("G", l, index, self.before[index]).text
                k, a = index
                return f"({g}+{self.entry('delta', l, t, k).text}*{self.input(l, a).text})"
            return G_t
        by_w = self.links(l)[1]

        def G(index: tuple[int, ...]) -> str:
            assert self.before is not None
            g = self.read("G", l, index, self.before[index]).text
            terms = []
            for pos, x in by_w.get(index, ()):
                dk = self.read("delta", l, pos, d[pos]).text
                terms.append(dk if x is None else f"{dk}*{self.below(l, x).text}")
            return f"({g}+" + ("(" + "+".join(terms) + ")" if terms else "0.0") + ")"
        return G

    def _W(self, step: Any, labels: Mapping[Ref, int]) -> None:
        from .core.ops.optim import hyper_parameters, update_formulas

        st, l, opt = self.st, step.key.layer, self.spec.optimizer
        W0 = np.asarray(step.before, dtype=float)
        G = st.G[l]
        params = {sym: Expr.number(v) for sym, v in hyper_parameters(opt).items()}
        before_opt = step.opt_before.arrays() if step.opt_before is not None else {}
        after_opt = step.opt.arrays() if step.opt is not None else {}
        value = np.asarray(step.value, dtype=float)
        for index in np.ndindex(*value.shape):
            b, a = index
            env: dict[Node, Expr] = dict(params)
            w = Sym("w", l, (b + 1, a))
            env[Sym("G", l, (b + 1, a))] = self.read("G", l, index, float(G[index]))
            env[w] = self.read("W", l, index, float(W0[index]))
            env[Sym("w", l, (b + 1, a), "tilde")] = env[w] if a else Expr.number(0.0)
            for name, arr in before_opt.items():
                env[Sym(name, l, (b + 1, a))] = self.read(name, l, index, arr[index])
            if opt.name == "adam" and step.opt is not None:
                env[Sym("t")] = Expr.number(float(step.opt.t))
            result: str | None = None
            for lhs, rel, rhs in update_formulas(opt, l, (b + 1, a)):
                try:
                    text: str | None = to_text(rhs, env)
                except Unwritable:
                    text = None
                if lhs.base in after_opt and not lhs.accent:  # m or v: a board number of its own
                    arr = after_opt[lhs.base]
                    self.produce(lhs.base, l, index, float(arr[index]), partial(_checked, text), None)
                    env[lhs] = self.read(lhs.base, l, index, arr[index])
                elif lhs == w:
                    result = text
                elif text is not None:
                    env[lhs] = Expr(f"({text})", float("nan"))
            self.produce("W", l, index, float(value[index]), partial(_checked, result),
                         labels.get(Ref("W", l, index)))

    # -- computation graphs -------------------------------------------------------------------------
    def _graph(self, step: Any, labels: Mapping[Ref, int]) -> None:
        from .core.graphs.graph_ops import OPS

        spec, st, k = self.spec, self.st, step.key
        name = k.node
        label = labels.get(Ref(k.quantity, node=name))

        def arg_env(node: Any) -> tuple[list[Node], dict[Node, Expr]]:
            syms: list[Node] = []
            env: dict[Node, Expr] = {}
            for i, x in enumerate(node.args):
                if isinstance(x, str):
                    sym = Sym(f"arg{i}")
                    env[sym] = self.read("value", None, None, st.values[x], node=x)
                    syms.append(sym)
                else:
                    syms.append(Num(float(x)))
            return syms, env

        if k.quantity == "value":
            def value() -> str:
                if name not in spec.by_name:
                    return number_text(st.values[name])
                node = spec.by_name[name]
                syms, env = arg_env(node)
                return to_text(OPS[node.op].tree(syms), env)
            self.produce("value", None, None, float(st.values[name]), value, label, node=name)
            return

        def adjoint() -> str:
            if name == spec.output:
                return "1.0"
            parts = []
            for node, i in spec.consumers[name]:
                g = self.read("adjoint", None, None, st.adjoints[node.name], node=node.name)
                syms, env = arg_env(node)
                parts.append(f"{g.text}*{to_text(OPS[node.op].dtree(i, syms), env)}")
            return "(" + "+".join(parts) + ")" if parts else "0.0"
        self.produce("adjoint", None, None, float(st.adjoints[name]), adjoint, label, node=name)


def _checked(text: str | None) -> str:
    if text is None:
        raise Unwritable("an earlier value has no formula")
    return text


# -- the document -----------------------------------------------------------------------------------
def indices_of(symbol: Node, ref: Ref) -> list[int | str]:
    """A blank's indices as its name shows them (from the layer kind's own names): s, o, δ units from
    1 (o's 0 the bias), W and G [b, a] with a from 0, maps [k, i, j], kernels [k, c, u, v] or
    ["bias", k], graph nodes by name."""
    from .core.formulas.formula import Partial

    if ref.node is not None:
        return [ref.node]
    if isinstance(symbol, Partial):  # a pooling layer's ∂ℓ/∂o_k,i,j
        symbol = symbol.bottom
    if not isinstance(symbol, Sym) or ref.quantity in ("loss", "loss_D"):
        return []
    if symbol.base in ("b", "G_b"):  # a kernel's bias b_k and its G_b,k
        return ["bias", *(int(i) for i in symbol.sub)]
    if ref.quantity == "gates":  # a gate's entry is named by its letter: ō⁽¹⁾_{τ,2} → ["o", 2], as its row label
        return [symbol.base.replace("ō", "o"), *(int(i) for i in symbol.sub)]
    return [i if isinstance(i, str) else int(i) for i in symbol.sub]  # a gate's weight: [gate, b, a]


def _timed(spec: Any, quantity: str, l: int | None) -> bool:
    """Whether layer l's board ``quantity`` is a per-τ matrix (s, o, δ of a layer at each τ; a gated
    layer's gates, c, ∂ℓ/∂h, ∂ℓ/∂c)."""
    if l is None or not getattr(spec, "is_sequence", False):
        return False
    if l == 0:
        return quantity == "o"
    return spec.timed[l - 1] and quantity in spec.layer_kinds[l - 1].timed_quantities()


def time_of(spec: Any, ref: Ref) -> int | None:
    """The time step τ of a board number in a per-τ matrix (a Ref (row,) of a whole row, or (row, i) of
    an entry); None for any other. A recurrent layer's o has o_0 in row 0, so its row τ holds τ (an LSTM's
    c too); every other per-τ matrix holds τ in row τ − 1."""
    if ref.index is None or ref.layer is None or len(ref.index) not in (1, 2) or not _timed(spec, ref.quantity, ref.layer):
        return None
    row = ref.index[0]
    if not ref.layer:
        return row + 1
    return row - spec.layer_kinds[ref.layer - 1].time_row(ref.quantity, 0)


def unit_of(spec: Any, ref: Ref) -> int:
    """The unit b (as the panels number it) of entry ``ref.index[-1]`` of a vector of layer l: from 1,
    but a hidden o⁽ˡ⁾ with its bias entry (o⁽⁰⁾, a dense layer's) counts from 0."""
    assert ref.index is not None and ref.layer is not None
    i = ref.index[-1]
    l = ref.layer
    bias = ref.quantity == "o" and (l == 0 or (l < spec.L and spec.layer_kinds[l - 1].bias_entry))
    return i if bias else i + 1


def time_row(spec: Any, quantity: str, l: int | None, t: int | None) -> tuple[int, ...]:
    """The row of the board matrix that holds a per-τ layer's s, o or δ at τ = t (a recurrent layer's o
    has o_0 in row 0), as an index prefix; () for a quantity held whole (t None, G, W, a layer that
    runs once)."""
    if t is None or not l or not _timed(spec, quantity, l):
        return ()
    return (spec.layer_kinds[l - 1].time_row(quantity, t),)


def row_ref(spec: Any, key: Any) -> Ref:
    """The board place a step's value goes to: a quantity, or at τ (a per-τ layer's s, o, δ, a gated
    layer's own) its row; an LSTM's or a GRU's h step writes the layer's o."""
    quantity = spec.layer_kinds[key.layer - 1].board_quantity(key.quantity) if key.layer else key.quantity
    row = time_row(spec, quantity, key.layer, getattr(key, "time", None))
    return Ref(quantity, key.layer, row or None)


def cell_of(spec: Any, ref: Ref) -> Any:
    """The explanation's cell of a blank (None for ℓ_D, which has no cell)."""
    from .core.teaching.explain import Cell

    if ref.node is not None:
        return Cell(ref.quantity, node=ref.node)
    if ref.quantity == "loss":
        return Cell("loss")
    if ref.quantity == "loss_D" or ref.index is None or ref.layer is None:
        return None
    time = time_of(spec, ref)
    if time is not None:
        return Cell(ref.quantity, ref.layer, unit_of(spec, ref), time=time)
    if len(ref.index) == 3:
        return Cell(ref.quantity, ref.layer, tuple(ref.index))
    if ref.quantity in ("G", "W"):
        return Cell(ref.quantity, ref.layer, ref.index[0] + 1, ref.index[1])
    i = ref.index[0]
    return Cell(ref.quantity, ref.layer, i if ref.quantity == "o" and ref.layer < spec.L else i + 1)


def equation_latex(eq: Any, digits: int, notation: Any = None) -> str:
    rows = LatexPrinter(digits, notation=notation).rows(eq)
    return f"{rows[0][0]} {rows[0][1]} " + " = ".join(form for _, _, form in rows)


def describe(stepper: Any, step: Any, ref: Ref, digits: int, notation: Any = None) -> tuple[str, str]:
    """(latex, explanation) of a blank just made: its cell's worked equation with its value, and
    the explanation's text; ℓ_D (no cell): the step's own equation; in the ``notation`` profile (the
    stepper's, which its explanation follows)."""
    from .core.teaching.explain import explain
    from .core.teaching.quiz import equations_of

    cell = cell_of(stepper.spec, ref)
    if cell is not None and cell.quantity == "G" and cell.time is None and cell.layer \
            and getattr(step.key, "time", None) is not None and stepper.spec.layer_kinds[cell.layer - 1].own_steps:
        from dataclasses import replace as with_time

        cell = with_time(cell, time=step.key.time)  # a layer norm's G at τ: the term of the step's τ
    if cell is None:
        from .core.engine.equations import LOSS_D

        eq = equations_of(stepper, step, notation=notation)[-1]
        printer = TextPrinter(digits, notation=notation)  # ℓ_D as the profile writes it (ng's J)
        mean = " mean" if notation is not None and notation.mean else ""  # ng's J: the mean of the losses so far
        return equation_latex(eq, digits, notation), f"{printer.p(LOSS_D)}, the{mean} loss of the epoch so far: {printer.equation(eq)}"
    ex = explain(stepper, cell, digits)
    return (equation_latex(ex.equations[-1], digits, notation) if ex.equations else ""), ex.text()


def key_document(network: str, options: dict, entries: list[Any], details: Mapping[int, dict],
                 rtol: float | None, atol: float | None, digits: int, notation: Any = None) -> dict:
    """The key as JSON data (see core/schemas/key-schema.json): the lecture's quantities, indices and
    values (a contract), each blank's name in the ``notation`` profile."""
    namer = TextPrinter(digits, notation=notation)
    blanks = []
    for e in entries:
        d = details[e.label]
        blanks.append({
            "blank": e.label, "epoch": d["epoch"], "example": d["example"], "time": d["time"], "step": e.step,
            "quantity": e.ref.quantity, "layer": e.ref.layer, "indices": indices_of(e.symbol, e.ref),
            "name": namer.p(e.symbol), "value": _json_number(e.value), "shown": shown_text(e.asked, digits),
            # a mean profile's page asks value/per (G/m): the tolerance of its digits, on the value's scale
            "atol": shown_halfwidth(e.asked, digits) * e.per if atol is None else atol,
            "rtol": RTOL if rtol is None else rtol,
            "depends_on": list(d["depends_on"]), "formula": d["formula"], "latex": d["latex"],
            "explanation": d["explanation"]})
        if e.per != 1:
            blanks[-1]["divided_by"] = e.per
    return {"network": network, "options": options, "blanks": blanks}


def shown_text(x: float, digits: int) -> str:
    """A blank's answer as the key shows it (its ``shown``): ``digits`` significant digits."""
    return "0" if x == 0 else f"{x:.{digits}g}"


def _json_number(x: float) -> float | str:
    return float(x) if np.isfinite(x) else str(x)


def key_json_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def json_path(key_path: str | Path) -> Path:
    """The machine-readable key beside a key: ``key.md`` → ``key.json``."""
    return Path(key_path).with_suffix(".json")


def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def evaluate_formula(text: str, values: Mapping[str, float]) -> float:
    """A key's formula evaluated with the blanks' ``values`` ({"b3": 0.25, …}) by the graph files'
    parser (core/graphs/expr.py) and ops: what a grader does to carry an error forward."""
    from .core.graphs.expr import _Parser
    from .core.graphs.graph_ops import OPS

    names = sorted(values)
    parser = _Parser(text, names)
    root = parser.parse()
    if isinstance(root, float):
        return root
    env: dict[str, Any] = {name: np.float64(values[name]) for name in names}
    with np.errstate(all="ignore"):
        for node in parser.nodes:
            env[node.name] = OPS[node.op].f(*[env[a] if isinstance(a, str) else np.float64(a) for a in node.args])
    return float(env[root])

"""Equations as data: one tree per formula, and a printer per target.

Every equation bptui shows — a step's, an explanation's, a graph node's — is built once from a few
node kinds, and every view prints the same tree: :class:`TextPrinter` for the app and ``bptui
trace`` (Unicode), :class:`LatexPrinter` for ``bptui export``; the quiz hides a number by its cell
(:func:`hide`), never by cutting strings.

Node kinds:

- :class:`Sym` — a symbol of the lecture's notation: a letter with its layer superscript and unit
  subscripts (``w₁,₀⁽²⁾``, ``δ⁽¹⁾``, ``g_a``), an accent (``m̂``, ``W̃``) and a transpose.
- :class:`Num` — a number; ``ref`` names the number on the board it is (a :class:`Ref`).
- :class:`Arr` — a vector or a matrix of numbers (one quantity of the board, or a value derived
  from it); printers elide the middle of big ones.
- :class:`Op` — an operator on operands (``+ − · ⊙ / ^``, a matrix product, δ oᵀ, [1, v], …).
- :class:`Call` — a named function applied (σ, tanh, log, e^…, Φ, diag, max, …).
- :class:`Ind` (1[s > 0]), :class:`Cases` (1 if s > 0 else α), :class:`Sum` (Σₖ …),
  :class:`Partial` (∂ℓ/∂s), and :class:`Hidden` (the quiz's ``?``).

An :class:`Equation` is a left-hand side, a relation (``=`` or ``←``) and a chain of forms — the
symbolic one, the one with the numbers filled in, … — whose last form is the result. Its
``bindings`` give the value of every symbol in it, so the chain can be evaluated: the tests check
that every form evaluates to the result, and that the numbers as printed (rounded) still do
(:func:`interval`) — to the result's last digit: :func:`plan` gives the operands that need them
the extra digits for it, once per equation, and every printer prints them.
"""

from __future__ import annotations

import re

import math
import weakref
from types import MappingProxyType
from decimal import ROUND_HALF_UP, Decimal, localcontext
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence, TypeVar, Union

import numpy as np

from ..util.escape import latex_math, latex_text
from ..util.special import ACTIVATION_F, normal_cdf
from .exact_functions import EXACT
from .notation import array_form as shown_form, g_text, minus_signs, num, number_form
from .profiles import HOLE, Profile, Symbol, moved, whole_view

# -- nodes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """Which number of the board a value is: a quantity (s, o, delta, G, W, loss, value, adjoint, …),
    its layer or node, and, for one entry of an array, its index into the array."""

    quantity: str
    layer: int | None = None
    index: tuple[int, ...] | None = None  # None: the whole array
    node: str | None = None
    # how a notation profile shows the board's array (core/formulas/profiles.py, VIEWS): "" the lecture's
    # array itself; "W" without column 0, "b" column 0, "x" without the 1 on top, ".T" transposed, "/m"
    # divided by the group's size; ``index`` then indexes the array as shown
    view: str = ""

    def at(self, *index: int) -> "Ref":
        """An entry of the array this Ref names (after its own index: a row of a per-τ matrix)."""
        return replace(self, index=(self.index or ()) + tuple(int(i) for i in index))


@dataclass(frozen=True)
class Sym:
    base: str  # the letter as printed in text: W, s, o, δ, G, y, ℓ, η, g, m, v, x, a, …
    layer: int | str | None = None  # superscript (l): 2, "n", "L"
    sub: tuple[int | str, ...] = ()  # subscripts: (b,), (b, a), ("k",)
    accent: str = ""  # "hat" or "tilde"
    T: bool = False  # transposed
    vector: bool = False  # stands for a vector or matrix (products print as ⊙, squares as o⊙o)
    latex: str | None = None  # the letter in LaTeX when it is not the text's (\delta, \ell, …)
    # the time step τ of a recurrent layer's quantity: written after the layer's superscript, with the
    # unit after it (s⁽¹⁾_τ, unit b: s⁽¹⁾_{τ,b}), as the lecture's t counts iterations
    time: int | str | None = None
    # the subscripts as one group after the layer, x⁽ˡ⁾_{τ,f,2}, never as subscript characters: a gated
    # layer's names, which mix a gate's letter with numbers (w⁽¹⁾_{f,2,0}, δ⁽¹⁾_{τ,i,1}: docs/gated.md), so
    # that every gate's look alike (ᵢ has a subscript character, f and g have none)
    group: bool = False
    # the kind whose own letter this is (attention's z and a), when a profile's letter may meet it: the
    # profile's clash for "kind:letter" is looked up before the letter's (core/formulas/profiles.py CLASHES)
    own: str = field(default="", compare=False)
    # how many of the first subscripts count something other than units (an attention head, τ, τ′): they are
    # numbered from 1 in every profile, where a profile's first unit renumbers the others (unit_base 0)
    counts: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Num:
    value: float
    ref: Ref | None = None
    exact: bool = False  # a constant written as it is (2, 1, η's 0.5), not a rounded value
    spelled: str | None = field(default=None, compare=False)  # how a constant is written, when not as digits (½)
    means: "Node | None" = field(default=None, compare=False)  # the formula it is the value of
    # a probability p (a sigmoid's or a softmax's output) with its logarithms ln p and ln(1 − p), from
    # what the loss is computed from: floats round a saturated p to 0 or 1 (or its digits to 1), and
    # the printers write it with the digits that keep −log(p), −log(1 − p) true (probability_text)
    logs: tuple[float, float] | None = field(default=None, compare=False)
    # ln |x| of a number x below the smallest normal float (a loss past the floats: 0 or subnormal there, from the
    # logarithms its line is computed from; a result the floats lose, from its exact arithmetic: :func:`plan`),
    # x < 0 where ``negative``; the printers write it from this (:func:`below_floats`)
    ln: float | None = field(default=None, compare=False)
    negative: bool = field(default=False, compare=False)
    # digits printed beyond the printer's: an operand that needs them for the arithmetic shown to
    # give the result to its last digit (:func:`plan`)
    extra: int = field(default=0, compare=False)
    # an array's entry written on its own (LaTeX's σ(0.1) of a column): the array's one form, "f" or "e"
    # (:func:`array_form`); None: as %g writes the number alone
    form: str | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class Arr:
    values: np.ndarray  # 1-D: a column vector; 2-D: a matrix
    ref: Ref | None = None  # the quantity the array is (its entries' refs add their index)
    row: bool = False  # a vector printed as a row, transposed (oᵀ)
    hidden: tuple[int, ...] | None = None  # an entry printed as "?"
    means: "Node | None" = None  # the formula it is the value of (a derived array: f′(s⁽ˡ⁾), Wᵀδ, …)
    blanks: tuple[tuple[tuple[int, ...], int, bool], ...] = ()  # an exercise's blanks: (index, number, first)
    extra: int = 0  # digits beyond the printer's, for every entry alike (:func:`plan`)
    # the entries past the floats, (index, ln |x|, x < 0): a result whose exact arithmetic lies below the smallest
    # normal float where the floats keep 0 or a subnormal's few digits (:func:`plan`); printed from it
    small: tuple[tuple[tuple[int, ...], float, bool], ...] = ()
    # the arrays its panel writes in one format with it (a residual block's o with x and F(x), its ∂ℓ/∂x with
    # the fan-in's parts): its one form is chosen over them all, as the panel's (:func:`array_form`)
    together: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class Op:
    op: str  # + - * sq / ^ neg @ outer cat1 cat hcat vcat drop0 T
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Call:
    fn: str  # a key of FUNCTIONS
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Ind:
    """The indicator 1[a rel b]."""

    a: "Node"
    rel: str  # > ≥ < ≤ =
    b: "Node"


@dataclass(frozen=True)
class Cases:
    """``then`` where ``cond`` holds, else ``other`` (elementwise)."""

    then: "Node"
    cond: Ind
    other: "Node"


@dataclass(frozen=True)
class Sum:
    """Σ over ``index`` of ``body`` (whose symbols indexed by ``index`` stand for whole vectors)."""

    index: str
    body: "Node"
    lo: "Node | None" = None  # the range, when printed: index = lo … hi
    hi: "Node | None" = None


@dataclass(frozen=True)
class Partial:
    """∂top/∂bottom (its value comes from the equation's bindings)."""

    top: "Node"
    bottom: "Node"
    # the loss's gradient of a kind's own quantity, written with the profile's gradient prefix where the profile has
    # one (HOLE: cs231n's and ng's dq, goodfellow's ∇_q J, nielsen's ∂C/∂q), as its parameters' dW, db are
    prefixed: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Hidden:
    """A number the quiz asks for: printed as ``?``; or an exercise's numbered blank: ``(3) ____``
    where the student writes it (``first``), ``(3)`` where the same number appears again."""

    ref: Ref | None = None
    label: int | None = None
    first: bool = False


Node = Union[Sym, Num, Arr, Op, Call, Ind, Cases, Sum, Partial, Hidden]


@dataclass(frozen=True)
class LayerNo:
    """A layer's number in a note's words (``what layer {} sends down``), written as the printer's profile
    numbers the layer (nielsen's input is a¹: the lecture's layer 7 is his 8)."""

    layer: int


@dataclass(frozen=True, eq=False)
class Equation:
    """``lhs rel form₀ = form₁ = … = result``; ``note`` is printed after it, in parentheses."""

    lhs: Node
    forms: tuple[Node, ...]
    rel: str = "="
    bindings: dict = field(default_factory=dict)  # node → its exact value, for evaluating the forms
    note: str = ""
    planned: int | None = None  # the digits :func:`plan` gave its operands their extra digits for
    # the symbols the note names, each written where a {} stands in ``note``, by the printer (in its notation)
    note_syms: tuple["Node | LayerNo", ...] = ()

    @property
    def result(self) -> Node:
        return self.forms[-1]


# -- helpers to build trees -------------------------------------------------------------------------
ONE = Num(1.0, exact=True)
TWO = Num(2.0, exact=True)
HALF = Num(0.5, exact=True, spelled="½")


def const(x: float) -> Num:
    return Num(float(x), exact=True)


def add(*args: Node) -> Node:
    flat: list[Node] = []
    for a in args:
        flat.extend(a.args if isinstance(a, Op) and a.op == "+" else (a,))
    return flat[0] if len(flat) == 1 else Op("+", tuple(flat))


def sub(a: Node, b: Node) -> Op:
    return Op("-", (a, b))


def mul(*args: Node) -> Node:
    return args[0] if len(args) == 1 else Op("*", tuple(args))


def group(node: Node) -> Node:
    """``node`` in parentheses when it is more than a name, a number or a function call: a factor as
    the lecture writes it, g_f (1/a)."""
    if isinstance(node, (Sym, Call, Ind)) or (isinstance(node, Num) and node.value >= 0):
        return node
    return Op("()", (node,))


def value_node(x: Any, ref: Ref | None = None, row: bool = False) -> Node:
    """A number (0-d) or an array as a node."""
    a = np.asarray(x)
    if a.ndim == 0:
        return Num(float(a), ref)
    return Arr(a, ref, row)


# -- functions --------------------------------------------------------------------------------------
def _activation(name: str) -> Callable[..., Any]:
    """An activation's own arithmetic (util/special.py's ACTIVATION_F, which core/ops/activations.py uses too)."""
    def f(x: Any, alpha: float = 0.0) -> Any:
        return ACTIVATION_F[name](np.asarray(x, dtype=float), alpha)
    return f


def _softmax_rows(x: Any, causal: float = 0.0) -> Any:
    """Each row's softmax (over the last axis: attention's a from its scores, one row per query τ); with
    ``causal`` 1 only the entries τ′ ≤ τ of row τ take part (the rest are 0)."""
    x = np.asarray(x, dtype=float)
    if causal:
        x = np.where(np.tril(np.ones(x.shape[-2:], dtype=bool)), x, -np.inf)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _normal_cdf(x: Any) -> Any:
    return normal_cdf(np.asarray(x, dtype=float))


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * np.asarray(x, dtype=float) ** 2) / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Function:
    """How a named function is written (text, LaTeX) and evaluated."""

    text: str
    latex: str
    f: Callable[..., Any]
    monotone: bool = True  # increasing in its (first) argument: the interval check relies on it
    critical: tuple[float, ...] = ()  # where a non-monotone one turns
    shown: int | None = None  # how many arguments are written (elu's α is not)


FUNCTIONS: dict[str, Function] = {
    "sigmoid": Function("σ", r"\sigma", _activation("sigmoid")),
    "tanh": Function("tanh", r"\tanh", _activation("tanh")),
    "relu": Function("relu", r"\operatorname{relu}", _activation("relu")),
    "softplus": Function("softplus", r"\operatorname{softplus}", _activation("softplus")),
    "gelu": Function("gelu", r"\operatorname{gelu}", _activation("gelu"), monotone=False, critical=(-0.7517915241,)),
    "elu": Function("elu", r"\operatorname{elu}", _activation("elu"), shown=1),
    "leaky_relu": Function("leaky_relu", r"\operatorname{leaky\_relu}", _activation("leaky_relu"), shown=1),
    "prelu": Function("prelu", r"\operatorname{prelu}", _activation("prelu"), shown=1),
    "softmax": Function("softmax", r"\operatorname{softmax}", _activation("softmax"), monotone=False),
    # a matrix's rows, each its own softmax; a hidden second argument 1: causal (τ′ ≤ τ only)
    "softmax_rows": Function("softmax", r"\operatorname{softmax}", _softmax_rows, monotone=False, shown=1),
    "Phi": Function("Φ", r"\Phi", _normal_cdf),
    "phi": Function("φ", r"\varphi", _normal_pdf, monotone=False, critical=(0.0,)),
    "exp": Function("exp", r"\exp", np.exp),
    "log": Function("log", r"\log", np.log),
    "ln": Function("ln", r"\ln", np.log),
    "sqrt": Function("√", r"\sqrt", np.sqrt),
    "sin": Function("sin", r"\sin", np.sin, monotone=False),
    "cos": Function("cos", r"\cos", np.cos, monotone=False),
    "tan": Function("tan", r"\tan", np.tan, monotone=False),
    "abs": Function("abs", "abs", np.abs, monotone=False, critical=(0.0,)),
    "sign": Function("sign", r"\operatorname{sign}", np.sign),
    "max": Function("max", r"\max", np.maximum),
    "min": Function("min", r"\min", np.minimum),
    # the maximum of a pooling window, any number of arguments (increasing in each)
    "maxof": Function("max", r"\max", lambda *a: np.maximum.reduce([np.asarray(x, dtype=float) for x in a])),
    "diag": Function("diag", r"\operatorname{diag}", np.diag, monotone=False),
}


# -- evaluation -------------------------------------------------------------------------------------
class Unbound(KeyError):
    """A symbol with no value in the equation's bindings."""


def evaluate(node: Node, bindings: dict | None = None) -> Any:
    """The exact value of ``node``: numbers as they are, symbols from ``bindings``."""
    bindings = bindings or {}
    return _eval(node, bindings)


def _eval(node: Node, env: dict) -> Any:
    try:
        if node in env:
            return env[node]
    except TypeError:  # an Arr (unhashable): never bound
        pass
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Arr):
        return node.values
    if isinstance(node, (Sym, Partial, Hidden)):
        raise Unbound(node)
    if isinstance(node, Op):
        return _apply_op(node.op, [_eval(a, env) for a in node.args])
    if isinstance(node, Call):
        return FUNCTIONS[node.fn].f(*[_eval(a, env) for a in node.args])
    if isinstance(node, Ind):
        return _compare(node.rel, _eval(node.a, env), _eval(node.b, env)).astype(float)
    if isinstance(node, Cases):
        cond = _compare(node.cond.rel, _eval(node.cond.a, env), _eval(node.cond.b, env))
        return np.where(cond, _eval(node.then, env), _eval(node.other, env))
    if isinstance(node, Sum):
        return np.sum(_eval(node.body, env))
    raise TypeError(f"not a formula node: {node!r}")  # pragma: no cover


def _compare(rel: str, a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    return {">": a > b, "≥": a >= b, "<": a < b, "≤": a <= b, "=": a == b}[rel]


def _apply_op(op: str, v: list, exact: bool = False) -> Any:
    """An operator on its operands' values: floats and arrays of floats; with ``exact``, Decimals and arrays
    of Decimals (:class:`_ExactArrays`), where an operator that is not such arithmetic (a power other than a
    whole number's, a division by 0, a feature map) gives None."""
    whole = object if exact else None  # an array as it comes (of floats), or of Decimals
    entries = object if exact else float
    if op == "+":
        total = v[0]
        for x in v[1:]:
            total = total + x
        return total
    if op == "-":
        return v[0] - v[1]
    if op == "*":
        total = v[0]
        for x in v[1:]:
            total = total * x
        return total
    if op == "sq":
        return v[0] * v[0]
    if op == "neg":
        return -v[0]
    if op == "()":
        return v[0]
    if op == "@":
        return np.asarray(v[0], dtype=whole) @ np.asarray(v[1], dtype=whole)
    if op == "outer":
        return np.outer(np.asarray(v[0], dtype=whole), np.asarray(v[1], dtype=whole))
    if op == "cat1":
        return np.concatenate([np.array([Decimal(1) if exact else 1.0], dtype=entries), np.asarray(v[0], dtype=entries)])
    if op == "cat":  # [a, b]: two vectors one after the other (a recurrent layer's [1, x_τ, o_{τ−1}])
        return np.concatenate([np.asarray(a, dtype=entries).reshape(-1) for a in v])
    if op == "hcat":  # [A │ B]: two matrices side by side (a GRU's G_W and G_U)
        return np.hstack([np.asarray(a, dtype=entries) for a in v])
    if op == "vcat":  # [A; B]: one matrix on top of the other (the same, transposed, with row vectors)
        return np.vstack([np.asarray(a, dtype=entries) for a in v])
    if op == "drop0":
        return np.asarray(v[0], dtype=whole)[1:]
    if op == "T":
        return np.asarray(v[0], dtype=whole).T
    if op == "/":  # a softmax's normalisation, layer norm's, Adam's m̂/(√v̂ + ε); exact: None for a 0 divisor
        if not exact:
            return v[0] / v[1]
        try:
            return v[0] / v[1]
        except ArithmeticError:
            return None
    if op == "^":
        if not exact:
            return np.power(v[0], v[1])
        if isinstance(v[1], Decimal) and v[1] == v[1].to_integral_value():  # β₁ᵗ
            return v[0] ** int(v[1])
        return None
    if exact:
        return None
    if op in MAP_OPS:
        return MAP_OPS[op].f(*v)
    raise ValueError(f"unknown operator {op!r}")  # pragma: no cover


# -- feature maps: convolution and pooling as operators ---------------------------------------------
@dataclass(frozen=True)
class MapOp:
    """An operator on feature maps: its NumPy arithmetic (``f``, registered by the kind module that owns it, core/kinds/maps/), how many of its
    arguments are printed (the rest are exact parameters: stride, padding, size), and its spelling
    in text and LaTeX, with ``{0}``, ``{1}``, … for the printed arguments."""

    f: Callable[..., Any]
    shown: int
    text: str
    latex: str


# The map operators: a kind that has some registers them when its module is imported (conv2d's
# correlations, pooling's windows; core/kinds/maps/), so that this module names no kind.
MAP_OPS: dict[str, MapOp] = {
    "vec": MapOp(lambda x: np.asarray(x).reshape(-1), 1, "vec({0})", r"\operatorname{{vec}}({0})"),
    "unvec": MapOp(lambda x, *shape: np.asarray(x).reshape(tuple(int(n) for n in shape)), 1,
                   "unvec({0})", r"\operatorname{{unvec}}({0})"),
}


# -- probabilities near 0 and 1 ---------------------------------------------------------------------
_LN10 = math.log(10.0)
PLAIN_DECIMALS = 16  # a probability needing more decimals is written 1 − q


def g_from_ln(ln: float, digits: int) -> str:
    """exp(ln) as ``f"{x:.{digits}g}"`` writes x, for any ln, also below the smallest float (4.3e-782)."""
    if ln > -700.0:
        return f"{math.exp(ln):.{digits}g}"
    log10 = ln / _LN10
    e = math.floor(log10)
    mantissa = f"{10.0 ** (log10 - e):.{digits}g}"
    if float(mantissa) >= 10.0:  # 9.99996 → 10: carry into the exponent
        e, mantissa = e + 1, f"{float(mantissa) / 10.0:.{digits}g}"
    return f"{mantissa}e{e:+03d}"


def probability_text(n: Num, digits: int) -> tuple[bool, str] | None:
    """How a probability with ``logs`` is written so that p and 1 − p both keep ``digits`` significant
    digits: (False, p's digits) — 4.3e-782 for a p below the smallest float, 0.99999999998611 for a
    p near 1 — or (True, q's digits) for p = 1 − q when that needs more than PLAIN_DECIMALS decimals;
    None where the number's own digits do (p = 1 exactly is 1)."""
    if n.logs is None or not math.isfinite(n.value):
        return None
    ln_p, ln_q = n.logs
    if n.value < 0.5:  # p itself: from its logarithm where floats lose it (0 stays 0 where ln p is −∞)
        small = n.value < 2.2250738585072014e-308 and math.isfinite(ln_p)
        return (False, g_from_ln(ln_p, digits)) if small else None
    if not ln_q > -math.inf:
        return None
    decimals = digits - 1 - math.floor(ln_q / _LN10)
    if decimals <= digits:
        return None
    if decimals > PLAIN_DECIMALS:
        return True, g_from_ln(ln_q, digits)
    p = Decimal(1) - Decimal(math.exp(ln_q))
    return False, f"{p:.{decimals}f}"


TINY = 2.2250738585072014e-308  # the smallest normal float: below it a float keeps fewer digits, then none


def below_floats(n: Num, digits: int) -> str | None:
    """A number past the floats (``Num.ln``: a loss of 2.225e−348, 0 in floats) as ``%g`` writes it with
    ``digits`` significant digits, from its logarithm (and its sign); None for any other number."""
    if n.ln is None or not math.isfinite(n.ln) or abs(n.value) >= TINY:
        return None
    return ("-" if n.negative else "") + g_from_ln(n.ln, digits)


def printed_decimal(n: Num, digits: int) -> Decimal:
    """A finite number exactly as the printers write it with ``digits`` significant digits: a
    probability with ``logs`` as :func:`probability_text` writes it (1 − q, or p's own digits), any other
    as ``%g`` does. The caller's decimal context holds enough digits for 1 − q (:func:`_decimal_digits`)."""
    shown = probability_text(n, digits)
    if shown is None:
        return Decimal(below_floats(n, digits) or f"{n.value:.{digits}g}")
    complement, text = shown
    return 1 - Decimal(text) if complement else Decimal(text)


def _saturated(node: Node) -> bool:
    """A probability (``Num.logs``) within 10⁻⁶ of 0 or 1: floats redo arithmetic on it as printed only
    to a few digits (1 − 0.99999990677 keeps 9 of its 16), so :class:`_Redo` does it exactly."""
    return isinstance(node, Num) and node.logs is not None and not 1e-6 < node.value < 1.0 - 1e-6


def _decimal_digits(node: Node) -> int:
    """Enough decimal digits for exact arithmetic on the probabilities in ``node``: 1 − 1.5e−42 has 42
    nines before its digits (at most 2,000: a probability below 10⁻¹⁹⁸⁰ is written as 1 − q, whose
    logarithm needs no more)."""
    most = 0.0
    for n in walk(node):
        if isinstance(n, Num) and n.logs is not None:
            for x in n.logs:
                if math.isfinite(x):
                    most = max(most, -x / _LN10)
    return min(40 + int(most), 2000)


# -- the numbers as printed: intervals --------------------------------------------------------------
def shown_halfwidth(x: float, digits: int) -> float:
    """Half a unit in the last place of ``x`` printed with ``digits`` significant digits (0 for 0)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    shown = float(f"{x:.{digits}g}")
    if shown == 0:
        return 0.5 * abs(x)
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(shown))) - digits + 1)


def rounded(x: float, digits: int) -> float:
    """``x`` as printed with ``digits`` significant digits."""
    return float(f"{x:.{digits}g}") if math.isfinite(x) else x


def _rounded_array(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Every entry as printed with ``d`` significant digits, and half a unit in its last place."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        ok, shown = _rounded_entries(x, d)
        # rounding up may carry into a new digit (9.9996 → 10.00): the unit follows the printed number
        mag = np.where(ok, np.floor(np.log10(np.abs(np.where(ok & (shown != 0), shown, 1.0)))), 0.0)
        half = np.where(ok, 0.5 * 10.0 ** (mag - d + 1), 0.0)
    return shown, half


def _rounded_entries(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Which entries of ``x`` (floats) are finite and not 0, and every entry as printed with ``d``
    significant digits (:func:`_rounded_array`'s first half; :class:`_Redo` needs no more)."""
    ok = np.isfinite(x) & (x != 0)
    mag = np.where(ok, np.floor(np.log10(np.abs(np.where(ok, x, 1.0)))), 0.0)
    scale = 10.0 ** (d - 1 - mag)
    return ok, np.where(ok, np.rint(x * scale) / scale, x)  # rint: np.round's own way at 0 decimals


def _shown_entries(x: np.ndarray, d: int, quiet: bool = False) -> np.ndarray:
    """Every entry of ``x`` (floats) as printed with ``d`` significant digits, read-only; kept by
    the numbers' bytes, as the same vectors come back in step after step (the last :data:`_SHOWN_MOST`,
    of at most :data:`_SHOWN_SIZE` entries each: a few MB). A pure function of its key, so the one
    store serves every caller (the app too). ``quiet``: NumPy's warnings are off already."""
    key = (d, x.shape, x.tobytes()) if x.size <= _SHOWN_SIZE else None
    got = _SHOWN.get(key) if key is not None else None
    if got is None:
        if quiet:
            got = _rounded_entries(x, d)[1]
        else:
            with np.errstate(all="ignore"):
                got = _rounded_entries(x, d)[1]
        got.flags.writeable = False
        if key is not None:
            if len(_SHOWN) >= _SHOWN_MOST:
                _SHOWN.clear()
            _SHOWN[key] = got
    return got


_SHOWN: dict[tuple[int, tuple[int, ...], bytes], np.ndarray] = {}
_SHOWN_MOST = 4096
_SHOWN_SIZE = 64


@dataclass(frozen=True)
class Interval:
    lo: Any
    hi: Any


def _iv(x: Any, u: Any = 0.0) -> Interval:
    x = np.asarray(x, dtype=float)
    return Interval(x - u, x + u)


def interval(node: Node, digits: int, bindings: dict | None = None) -> Interval:
    """Every value ``node`` can have when each number in it is only known as printed (rounded to
    ``digits`` significant digits); exact constants and bound symbols are exact."""
    env = bindings or {}
    return _ival(node, digits, env, True)


def shown_value(node: Node, digits: int, bindings: dict | None = None) -> Any:
    """``node`` evaluated on its numbers as printed with ``digits`` significant digits: what a
    student gets by redoing the arithmetic on the page (the low end of :func:`interval` with no
    spread, computed on points where it stays one: :class:`_Redo`)."""
    env = bindings or {}
    try:
        got = _Redo(digits, env).value(node)
        return got.copy() if isinstance(got, np.ndarray) and not got.flags.writeable else got  # the kept one stays
    except _Spread:
        return _ival(node, digits, env, False).lo


def _ival(node: Node, d: int, env: dict, spread: bool) -> Interval:
    try:
        if node in env:
            return _iv(env[node])
    except TypeError:
        pass
    if isinstance(node, Num):
        if node.exact or not math.isfinite(node.value):
            return _iv(node.value)
        if node.logs is not None:  # a probability is printed with the digits it needs: 1 − q, or p's own
            printed = printed_decimal(node, d + node.extra)
            fine = probability_text(node, d + node.extra) is not None
            return _iv(float(printed), shown_halfwidth(node.value, d + node.extra) if spread and not fine else 0.0)
        return _iv(rounded(node.value, d + node.extra), shown_halfwidth(node.value, d + node.extra) if spread else 0.0)
    if isinstance(node, Arr):
        shown, half = _rounded_array(node.values, d + node.extra)
        return _iv(shown, half if spread else 0.0)
    if isinstance(node, Op):
        return _iop(node.op, [_ival(a, d, env, spread) for a in node.args])
    if isinstance(node, Call):
        fn = FUNCTIONS[node.fn]
        return _icall(node, fn, [_ival(a, d, env, spread) for a in node.args])
    if isinstance(node, Ind):
        a, b = _ival(node.a, d, env, spread), _ival(node.b, d, env, spread)
        lo = _compare(node.rel, a.lo, b.hi) & _compare(node.rel, a.hi, b.lo)
        hi = _compare(node.rel, a.lo, b.hi) | _compare(node.rel, a.hi, b.lo)
        return Interval(lo.astype(float), hi.astype(float))
    if isinstance(node, Cases):
        cond = _ival(node.cond, d, env, spread)
        then, other = _ival(node.then, d, env, spread), _ival(node.other, d, env, spread)
        lo = np.where(cond.lo == 1, then.lo, np.where(cond.hi == 0, other.lo, np.minimum(then.lo, other.lo)))
        hi = np.where(cond.lo == 1, then.hi, np.where(cond.hi == 0, other.hi, np.maximum(then.hi, other.hi)))
        return Interval(lo, hi)
    if isinstance(node, Sum):
        b = _ival(node.body, d, env, spread)
        return Interval(np.sum(b.lo), np.sum(b.hi))
    raise Unbound(node)


def _icall(node: Call, fn: Function, args: list[Interval]) -> Interval:
    """``fn`` (the function ``node`` applies) on intervals: every value it takes on them."""
    if node.fn == "softmax":
        (a,) = args  # softmax_k grows with s_k and falls with the others
        lo = np.array([np.exp(a.lo[k]) / (np.exp(a.lo[k]) + np.sum(np.delete(np.exp(a.hi), k)))
                       for k in range(len(a.lo))])
        hi = np.array([np.exp(a.hi[k]) / (np.exp(a.hi[k]) + np.sum(np.delete(np.exp(a.lo), k)))
                       for k in range(len(a.lo))])
        return Interval(lo, hi)
    if node.fn == "softmax_rows":
        return _isoftmax_rows(args[0], bool(np.all(args[1].lo)) if len(args) > 1 else False)
    if fn.monotone:
        return Interval(fn.f(*[a.lo for a in args]), fn.f(*[a.hi for a in args]))
    if len(args) == 1 and node.fn in ("gelu", "phi", "abs"):
        a = args[0]
        points = [fn.f(a.lo), fn.f(a.hi)]
        for c in fn.critical:
            inside = (a.lo <= c) & (c <= a.hi)
            points.append(np.where(inside, fn.f(np.full_like(np.asarray(a.lo, dtype=float), c)), fn.f(a.lo)))
        return Interval(np.minimum.reduce(points), np.maximum.reduce(points))
    if len(args) == 1 and node.fn in ("sin", "cos", "tan"):
        return _sample(fn.f, args[0])
    raise ValueError(f"no interval rule for {node.fn}")  # pragma: no cover


def _isoftmax_rows(a: Interval, causal: bool) -> Interval:
    """Each row's softmax on intervals: a_τ,k grows with its own score and falls with the others', so
    it is least at its own low end over the others' high ends, e^lo_k / (e^lo_k + Σ_j≠k e^hi_j), and
    most the other way round; the entries a causal mask leaves out are 0. Every exponent is shifted
    by the row's highest end (which no softmax sees), so no exp overflows."""
    lo, hi = np.asarray(a.lo, dtype=float), np.asarray(a.hi, dtype=float)
    keep = np.tril(np.ones(lo.shape[-2:], dtype=bool)) if causal else np.ones(lo.shape, dtype=bool)
    top = np.where(keep, hi, -np.inf).max(axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        e_lo = np.where(keep, np.exp(lo - top), 0.0)
        e_hi = np.where(keep, np.exp(hi - top), 0.0)
        others = ~np.eye(lo.shape[-1], dtype=bool)  # Σ_j≠k, added up (not the row's sum less e_k: it cancels)
        rest_hi = (e_hi[..., None, :] * others).sum(axis=-1)
        rest_lo = (e_lo[..., None, :] * others).sum(axis=-1)
        out_lo = np.where(keep, e_lo / (e_lo + rest_hi), 0.0)
        out_hi = np.where(keep, e_hi / (e_hi + rest_lo), 0.0)
    return Interval(np.nan_to_num(out_lo), np.nan_to_num(out_hi, nan=1.0))


def _sample(f: Callable, a: Interval, n: int = 64) -> Interval:
    lo, hi = np.asarray(a.lo, dtype=float), np.asarray(a.hi, dtype=float)
    ts = np.linspace(0.0, 1.0, n)
    vals = [f(lo + t * (hi - lo)) for t in ts]
    return Interval(np.minimum.reduce(vals), np.maximum.reduce(vals))


def _imul(a: Interval, b: Interval) -> Interval:
    with np.errstate(invalid="ignore"):
        c = [np.multiply(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    c = [np.where(np.isnan(x), 0.0, x) for x in c]  # 0·∞ where an interval is exactly 0
    return Interval(np.minimum.reduce(c), np.maximum.reduce(c))


_MOVES: dict[str, Callable[[list], Any]] = {  # the operators that only move entries, on one end of each interval
    "cat1": lambda v: np.concatenate([[1.0], v[0]]),
    "cat": lambda v: np.concatenate([np.asarray(a, dtype=float).reshape(-1) for a in v]),
    "hcat": lambda v: np.hstack([np.asarray(a, dtype=float) for a in v]),
    "vcat": lambda v: np.vstack([np.asarray(a, dtype=float) for a in v]),
    "drop0": lambda v: np.asarray(v[0])[1:],
    "T": lambda v: np.asarray(v[0]).T,
    "()": lambda v: v[0],
}


def _iop(op: str, v: list[Interval]) -> Interval:
    if op == "+":
        return Interval(sum(x.lo for x in v), sum(x.hi for x in v))
    if op == "-":
        return Interval(v[0].lo - v[1].hi, v[0].hi - v[1].lo)
    if op == "neg":
        return Interval(-v[0].hi, -v[0].lo)
    if op == "*":
        out = v[0]
        for x in v[1:]:
            out = _imul(out, x)
        return out
    if op == "sq":
        a = v[0]
        lo2, hi2 = a.lo * a.lo, a.hi * a.hi
        straddle = (a.lo <= 0) & (a.hi >= 0)
        return Interval(np.where(straddle, 0.0, np.minimum(lo2, hi2)), np.maximum(lo2, hi2))
    if op == "/":
        a, b = v
        if np.any((b.lo <= 0) & (b.hi >= 0)):
            return Interval(np.full(np.shape(a.lo), -np.inf), np.full(np.shape(a.lo), np.inf))
        return _imul(a, Interval(1.0 / b.hi, 1.0 / b.lo))
    if op == "^":
        a, b = v
        if np.all(b.lo == b.hi) and np.all(np.equal(np.mod(b.lo, 1), 0)):
            c = [np.power(a.lo, b.lo), np.power(a.hi, b.lo)]
            lo, hi = np.minimum(*c), np.maximum(*c)
            even = np.mod(b.lo, 2) == 0
            lo = np.where(even & (a.lo <= 0) & (a.hi >= 0), 0.0, lo)
            return Interval(lo, hi)
        with np.errstate(all="ignore"):
            c = [np.power(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        return Interval(np.minimum.reduce(c), np.maximum.reduce(c))
    if op == "@" and np.ndim(v[0].lo) == 1 and np.ndim(v[1].lo) == 2:  # a row vector times a matrix (x W)
        x, A = v
        p = _imul(Interval(np.asarray(x.lo)[:, None], np.asarray(x.hi)[:, None]), A)
        return Interval(p.lo.sum(axis=0), p.hi.sum(axis=0))
    if op == "@" and np.ndim(v[0].lo) == 2 and np.ndim(v[1].lo) == 2:  # a matrix times a matrix (q kᵀ, a v)
        A, B = v
        p = _imul(Interval(np.asarray(A.lo)[:, :, None], np.asarray(A.hi)[:, :, None]),
                  Interval(np.asarray(B.lo)[None], np.asarray(B.hi)[None]))
        return Interval(p.lo.sum(axis=1), p.hi.sum(axis=1))
    if op == "@":
        A, x = v
        p = _imul(Interval(np.asarray(A.lo), np.asarray(A.hi)),
                  Interval(np.asarray(x.lo)[None, :] if np.ndim(x.lo) == 1 else x.lo,
                           np.asarray(x.hi)[None, :] if np.ndim(x.hi) == 1 else x.hi))
        if np.ndim(x.lo) == 1:
            return Interval(p.lo.sum(axis=1), p.hi.sum(axis=1))
        raise ValueError("interval @ only for a matrix times a vector")  # pragma: no cover
    if op == "outer":
        a, b = v
        return _imul(Interval(np.asarray(a.lo)[:, None], np.asarray(a.hi)[:, None]),
                     Interval(np.asarray(b.lo)[None, :], np.asarray(b.hi)[None, :]))
    move = _MOVES.get(op)
    if move is not None:  # each end moved alike
        return Interval(move([x.lo for x in v]), move([x.hi for x in v]))
    if op in MAP_OPS:  # map-level forms are symbolic: their numbers are shown position by position
        raise Unbound(op)
    raise ValueError(f"unknown operator {op!r}")  # pragma: no cover


class _Spread(Exception):
    """Redone on the numbers as printed, a value became a range (a division by 0, 0⁰, a function
    whose interval rule widens a point): the interval evaluation is the one that says what it is."""


def _one_zero(x: Any) -> Any:
    """``x``, unless it holds a −0: a number's interval is [x − 0, x + 0], which is [−0, +0] there, and
    the ends of what is computed from it may part in their sign (:class:`_Spread`)."""
    if isinstance(x, float):
        if x == 0 and math.copysign(1.0, x) < 0:
            raise _Spread("−0")
    elif isinstance(x, np.ndarray):
        if np.count_nonzero(x) < x.size and (np.signbit(x) & (x == 0)).any():  # only an array with a 0 can hold a −0
            raise _Spread("−0")
    elif np.any(np.signbit(x) & (x == 0)):
        raise _Spread("−0")
    return x


class _Redo:
    """The arithmetic of a form redone on its numbers as printed: the value ``_ival(node, digits, env,
    spread=False).lo`` has, computed on points instead of intervals (one product where an interval
    takes four, a scalar as a scalar, no Interval objects), the same operations in the same order so
    the floats are the same bits; :class:`_Spread` where the interval's ends part (:func:`shown_value`
    then asks :func:`_ival`). ``extra`` gives operands (by id) digits other than their own; a number
    rounded once is kept for the next trial (:func:`plan` tries several)."""

    def __init__(self, digits: int, env: dict, extra: Mapping[int, int] | None = None) -> None:
        self.d, self.env, self.extra = digits, env, extra or {}
        self.keyed = {type(k) for k in env}  # the node kinds a binding can be (a Sym, mostly)
        self.rounded: dict[tuple[int, int], Any] = {}  # (id, digits) → the number as printed
        self.holds_probability: dict[int, bool] = {}  # id of a node → whether a saturated probability is in it
        self.probabilities = True  # whether a form may hold one (plan knows it does not: no node is asked)
        self.unrounded = False  # every number as it is, not as printed (:meth:`exact_unrounded`)
        # whether :meth:`_exact` divides too (a mean past the floats: (J + ℒ)/2) and applies the functions of
        # exact_functions (σ(−799.5)), in its context: on a line past the floats
        self.divides = False
        self.quiet = False  # whether NumPy's warnings are off around it already (plan's trials): no errstate a product
        # plan's trials: each operation's value kept by the extra digits of the numbers under it (None: not kept)
        self.kept: dict[tuple[int | None, ...], Any] | None = None
        self.under: dict[int, tuple[int, ...]] = {}  # id of an operation → the ids of the numbers under it

    def _probabilities(self, node: Node) -> bool:
        """Whether ``node`` holds a saturated probability (:func:`_saturated`), each node's answer kept:
        one walk of a form however deep."""
        key = id(node)
        got = self.holds_probability.get(key)
        if got is None:
            got = _saturated(node) or any([self._probabilities(c) for c in children(node)])
            self.holds_probability[key] = got
        return got

    def _decimal(self, node: Num) -> Decimal | None:
        """A number exactly as printed (a probability as :func:`probability_text` writes it); None for
        one that is not finite."""
        if not math.isfinite(node.value):
            return None
        if node.exact or self.unrounded:
            return Decimal(node.value)
        return printed_decimal(node, self.d + self.extra.get(id(node), node.extra))

    def _exactly(self, node: Node) -> Any:
        """A scalar form with a saturated probability in it (−log(1 − 0.99999999995), (1 − 1.2e−14) − 1)
        redone exactly on its numbers as printed, as a student does on paper (floats would round
        1 − 1.2e−14 to another number); None where the form is not such arithmetic."""
        with localcontext() as ctx:
            ctx.prec = _decimal_digits(node)
            got = self._exact(node)
        return None if got is None or not got.is_finite() else _one_zero(np.float64(float(got)))

    def _exact(self, node: Node) -> Decimal | None:
        if isinstance(node, Num):
            return self._decimal(node)
        if isinstance(node, Call):
            if self.divides and node.fn in EXACT:  # past the floats: σ(−799.5), e^(−800) (exact_functions)
                args = [self._exact(a) for a in node.args]
                return None if any(a is None for a in args) else _exactly_applied(node.fn, args)
            if node.fn != "log" or len(node.args) != 1:
                return None
            a = self._exact(node.args[0])
            return a.ln() if a is not None and a > 0 else None
        if not isinstance(node, Op) or node.op not in ("+", "-", "*", "neg", "sq", "()") + ("/",) * self.divides:
            if type(node) in self.keyed and node in self.env and np.ndim(self.env[node]) == 0:
                return Decimal(float(self.env[node]))
            return None
        args = [self._exact(a) for a in node.args]
        if any(a is None for a in args):
            return None
        v = [a for a in args if a is not None]
        if node.op == "+":
            return sum(v, Decimal(0))
        if node.op == "-":
            return v[0] - v[1]
        if node.op == "*":
            out = v[0]
            for x in v[1:]:
                out *= x
            return out
        if node.op == "neg":
            return -v[0]
        if node.op == "sq":
            return v[0] * v[0]
        if node.op == "/":
            return v[0] / v[1] if v[1] != 0 else None
        return v[0]

    def exact_unrounded(self, node: Node) -> Decimal | None:
        """A scalar form's arithmetic done exactly (in the caller's decimal context) on its numbers as they
        are, every float's exact value: what the floats approximate; None where it is not such arithmetic."""
        self.unrounded = True
        try:
            return self._exact(node)
        finally:
            self.unrounded = False

    def value(self, node: Node) -> Any:
        if type(node) in self.keyed:
            try:
                if node in self.env:
                    return _one_zero(np.asarray(self.env[node], dtype=float) - 0.0)
            except TypeError:
                pass
        if self.probabilities and isinstance(node, (Op, Call)) and self._probabilities(node):
            exact = self._exactly(node)
            if exact is not None:
                return exact
        if isinstance(node, Op):
            kept = self.kept
            if kept is None:
                return self._op(node.op, [self.value(a) for a in node.args])
            under = self.under.get(id(node))
            if under is None:  # the numbers under the operation, by id (one walk of it)
                under = self.under[id(node)] = tuple(id(n) for n in walk(node) if isinstance(n, (Num, Arr)))
            extra = self.extra
            key = (id(node), *[extra.get(i) for i in under])
            got = kept.get(key)
            if got is None:
                got = kept[key] = self._op(node.op, [self.value(a) for a in node.args])
            return got
        if isinstance(node, Num):
            if node.exact:
                return _one_zero(np.float64(node.value))
            if node.logs is not None:
                printed = self._decimal(node)
                return _one_zero(np.float64(node.value if printed is None else float(printed)))
            return self._shown(node)
        if isinstance(node, Arr):
            return self._shown(node)
        if isinstance(node, Call):
            fn = FUNCTIONS[node.fn]
            args = [self.value(a) for a in node.args]
            if fn.monotone and node.fn != "softmax":
                return fn.f(*args)
            if node.fn in ("sin", "cos", "tan") and len(args) == 1:  # _sample's 64 points are all one
                a = args[0]
                return fn.f(a + 0.0 * (a - a))
            out = _icall(node, fn, [Interval(a, a) for a in args])
            if not (np.array_equal(out.lo, out.hi, equal_nan=True)
                    and np.array_equal(np.signbit(out.lo), np.signbit(out.hi))):
                raise _Spread(node.fn)
            return out.lo
        if isinstance(node, Ind):
            a, b = self.value(node.a), self.value(node.b)
            return _compare(node.rel, a, b).astype(float)
        if isinstance(node, Cases):
            cond = self.value(node.cond)
            then, other = self.value(node.then), self.value(node.other)
            return np.where(cond == 1, then, np.where(cond == 0, other, np.minimum(then, other)))
        if isinstance(node, Sum):
            return np.sum(self.value(node.body))
        raise Unbound(node)

    def _shown(self, node: Num | Arr) -> Any:
        d = self.d + self.extra.get(id(node), node.extra)
        key = (id(node), d)
        got = self.rounded.get(key)
        if got is None:
            if isinstance(node, Num):
                got = np.float64(rounded(node.value, d))
            else:
                got = _shown_entries(np.asarray(node.values, dtype=float), d, self.quiet)
            self.rounded[key] = got = _one_zero(got)
        return got

    def _mul(self, a: Any, b: Any) -> Any:
        """``a·b``, 0 where it is not a number (0·∞), as :func:`_imul` takes it."""
        if isinstance(a, float) and isinstance(b, float):
            p = float(a) * float(b)
            return np.float64(0.0 if p != p else p)
        if self.quiet:
            q = np.multiply(a, b)
        else:
            with np.errstate(invalid="ignore"):
                q = np.multiply(a, b)
        if type(q) is np.ndarray and q.ndim and q.dtype == np.float64 and q.flags.c_contiguous \
                and not np.count_nonzero(np.isnan(q)):
            return q  # no 0·∞ in it: what np.where would copy, entry for entry and in the same layout
        return np.where(np.isnan(q), 0.0, q)

    def _op(self, op: str, v: list) -> Any:
        if op == "+":
            return sum(v)
        if op == "-":
            return v[0] - v[1]
        if op == "*":
            out = v[0]
            for x in v[1:]:
                out = self._mul(out, x)
            return out
        if op == "neg":
            return -v[0]
        if op == "sq":
            return v[0] * v[0]  # ±0 squared is +0, the interval's 0 where it straddles 0
        if op == "/":
            a, b = v
            if (np.count_nonzero(b == 0) if isinstance(b, np.ndarray) else b == 0):  # b ≤ 0 and b ≥ 0
                raise _Spread(op)  # the interval is all of ℝ
            return self._mul(a, np.float64(1.0 / float(b)) if isinstance(b, float) else 1.0 / b)
        if op == "^":
            a, b = v
            if np.all(b == b) and np.all(np.equal(np.mod(b, 1), 0)):
                if np.any((np.mod(b, 2) == 0) & (a <= 0) & (a >= 0)):
                    raise _Spread(op)  # 0 to an even power: the interval's low end is 0 (also for 0⁰)
                return np.power(a, b)
            with np.errstate(all="ignore"):
                return np.power(a, b)
        if op == "@" and np.ndim(v[0]) == 1 and np.ndim(v[1]) == 2:  # a row vector times a matrix (x W)
            return self._mul(np.asarray(v[0])[:, None], np.asarray(v[1])).sum(axis=0)
        if op == "@" and np.ndim(v[0]) == 2 and np.ndim(v[1]) == 2:  # a matrix times a matrix, as _iop
            return self._mul(np.asarray(v[0])[:, :, None], np.asarray(v[1])[None]).sum(axis=1)
        if op == "@":
            A, x = v
            one = np.ndim(x) == 1
            p = self._mul(np.asarray(A), np.asarray(x)[None, :] if one else x)
            if one:
                return p.sum(axis=1)
            raise ValueError("interval @ only for a matrix times a vector")  # pragma: no cover
        if op == "outer":
            return self._mul(np.asarray(v[0])[:, None], np.asarray(v[1])[None, :])
        return _MOVES[op](v) if op in _MOVES else _iop(op, [Interval(x, x) for x in v]).lo  # the rest only move entries


def overlaps(a: Interval, b: Interval, slack: float = 1e-9) -> bool:
    """Whether two intervals (elementwise) share a point, up to a relative ``slack``."""
    lo_a, hi_a, lo_b, hi_b = (np.asarray(x, dtype=float) for x in (a.lo, a.hi, b.lo, b.hi))
    if np.shape(lo_a) != np.shape(lo_b) and lo_a.size != lo_b.size:
        return False
    lo_a, hi_a, lo_b, hi_b = (x.reshape(-1) for x in (lo_a, hi_a, lo_b, hi_b))
    scale = slack * (1.0 + np.maximum(np.abs(lo_a) + np.abs(hi_a), np.abs(lo_b) + np.abs(hi_b)))
    ok = (lo_a <= hi_b + scale) & (lo_b <= hi_a + scale)
    finite = np.isfinite(lo_a) & np.isfinite(hi_a) & np.isfinite(lo_b) & np.isfinite(hi_b)
    return bool(np.all(ok | ~finite))


# -- walking trees ----------------------------------------------------------------------------------
def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Op, Call)):
        return node.args
    if isinstance(node, Ind):
        return (node.a, node.b)
    if isinstance(node, Cases):
        return (node.then, node.cond, node.other)
    if isinstance(node, Sum):
        return tuple(x for x in (node.body, node.lo, node.hi) if x is not None)
    if isinstance(node, Partial):
        return (node.top, node.bottom)
    if isinstance(node, Sym):
        return ()
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, ``node`` first, each before its children (depth first, left to right)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        below = children(n)
        if below:
            stack.extend(reversed(below))


def is_numeric(node: Node) -> bool:
    """Whether ``node`` holds numbers only (no symbol): the form a student can recompute."""
    return not any(isinstance(n, (Sym, Partial, Hidden)) for n in walk(node))


def redoable(node: Node, bindings: dict) -> bool:
    """Whether a student can redo ``node``'s arithmetic from the page: numbers, and no symbol but the
    constants it names (α)."""
    for n in walk(node):
        if isinstance(n, (Partial, Hidden)) or (isinstance(n, Sym) and n not in bindings):
            return False
    return True


def has_numbers(node: Node) -> bool:
    return any(isinstance(n, (Num, Arr)) and not (isinstance(n, Num) and n.exact) for n in walk(node))


# -- every calculation shown checks to its last digit ------------------------------------------------
FLOAT_DIGITS = 17  # the most significant digits an operand gets: a float's, which print it exactly
EXACT_FROM = 15  # from this many digits of an operand on, a scalar line is redone in decimals, not in floats


def printed_alike(redone: Any, result: Any, digits: int) -> bool:
    """Whether arithmetic redone on the numbers as printed gives the result as printed: every entry
    the same at ``digits`` significant digits (a float's last bit apart: 0.1 + 0.2 is 0.3)."""
    with np.errstate(all="ignore"):
        return _Alike(result, digits)(redone)


class _Alike:
    """:func:`printed_alike` against one result, asked again and again (:func:`plan`'s trials; the caller
    turns NumPy's warnings off). The result's entries are read once: each one's text, and the reach around
    its printed value ŷ within which every number prints the same, by hand too: 0.999 of half a unit in ŷ's
    last place (a number that near ŷ rounds to it and lies more than 10⁻¹² of itself from a tie, for
    ``digits`` ≤ :data:`REACHED`; none where ŷ is a power of ten, whose lower neighbours are closer). A
    redone entry within its reach is alike with no text written; only the others are rounded as by hand
    (:func:`by_hand`). In a big array the reaches are checked for all entries at once."""

    BIG = 64  # entries from which one pass of NumPy over the array is quicker than a Python loop
    REACHED = 8  # the most digits with a reach: 0.001 of half a unit stays above 10⁻¹² of the number

    def __init__(self, result: Any, digits: int) -> None:
        self.b = np.asarray(result, dtype=float).reshape(-1)
        self.digits = digits
        self.entries = [(y, *self._reach(y, digits)) for y in self.b.tolist()]
        if self.b.size >= self.BIG:
            self.shown = np.array([e[2] for e in self.entries])
            self.reach = np.array([e[3] for e in self.entries])

    @classmethod
    def _reach(cls, y: float, digits: int) -> tuple[str, float, float]:
        """``y``'s text, its printed value and its reach (−1: none). ``%.{digits}g`` rounds as
        ``%.{digits − 1}e`` does, which writes the printed value's exponent and whether it is a power of ten."""
        text = f"{y:.{digits}g}"
        if digits > cls.REACHED or y == 0 or not math.isfinite(y):
            return text, y, -1.0
        sci = f"{y:.{digits - 1}e}"
        e = sci.index("e")
        if sci[:e].lstrip("-").rstrip("0") in ("1", "1."):
            return text, y, -1.0
        return text, float(text), 0.999 * 0.5 * 10.0 ** (int(sci[e + 1:]) - digits + 1)

    def __call__(self, redone: Any) -> bool:
        a = np.asarray(redone, dtype=float).reshape(-1)
        entries = self.entries
        if a.size != len(entries):
            return False
        if a.size < self.BIG:
            pairs: Iterable[tuple[float, tuple[float, str, float, float]]] = zip(a.tolist(), entries)
        else:
            far = np.flatnonzero(~(np.abs(a - self.shown) <= self.reach)).tolist()
            pairs = zip(a[far].tolist(), [entries[i] for i in far])
        d = self.digits
        return all(abs(x - shown) <= reach or x == y or abs(x - y) <= 1e-12 * abs(y) or by_hand(x, d) == text
                   for x, (y, text, shown, reach) in pairs)


def by_hand(x: float, digits: int) -> str:
    """``x`` at ``digits`` significant digits as a student rounds what they redid: ``x`` is arithmetic
    on printed numbers, and where it lies on a decimal tie (up to a float's last bits) the tie goes
    away from zero. Python rounds the binary float, which decides a tie by its last bit: 5.96 + 0.7695
    is 6.7295 exactly, held as 6.72949999… and printed 6.729, where a student writes 6.730."""
    text = f"{x:.{digits}g}"
    if not math.isfinite(x):
        return text
    near = f"{x:.{digits}e}"  # one digit more than the result shows: a tie ends in 5
    e = near.index("e")
    if near[e - 1] != "5" or abs(x - float(near)) > 1e-12 * abs(x):
        return text
    away = float(near) + math.copysign(10.0 ** (int(near[e + 1:]) - digits), x)
    return f"{away:.{digits}g}"


def plan(eq: Equation, digits: int) -> Equation:
    """``eq`` with the fewest extra digits on its operands for redoing each form's arithmetic on the
    numbers as printed, rounded to the result's ``digits``, to give the result as printed: careful
    worked solutions carry more digits in what they substitute than in what they report
    (``404.85·2 = 809.7``, not ``404.9·2 = 809.7``). One count per number, the same for every entry
    of a vector or matrix; the result keeps ``digits``. Per form: the least k that every operand
    needs at most, then each operand lowered back as far as the form still holds. A difference that
    cancels needs as many as its leading digit lies below its operands' (``0.99999992872 − 1 =
    −7.128e−8``), up to a float's FLOAT_DIGITS; a form that no digits make true (a value computed
    in another order than the form writes, at the edge of the floats) is left out of the planned
    equation, so the page never shows arithmetic its result contradicts. Forms a printer elides (a
    sum's ``…``, an array's middle) and forms with symbols are exempt.

    Each trial redoes the form's arithmetic on points (:class:`_Redo`), with no tree rebuilt and each
    number rounded once per digit count; one walk a form tells which forms count and their operands.
    An equation (immutable) is planned once per digits: the text and LaTeX printers, an explanation
    and its checks ask for the same plan."""
    if eq.planned == digits:
        return eq
    plans = _PLANS.get(eq)
    if plans is None:
        plans = _PLANS[eq] = {}
    if digits not in plans:
        plans[digits] = _few_digits_noted(_alike_unnoted(_plan(eq, digits), digits))
    return plans[digits]


HELD = "held in floats as {}"  # a number printed past the floats beside the float the board holds (docs/notation.md)
FEW_DIGITS = "entries below 2.2e−308 as floats hold them, with few true digits"  # a subnormal float's note (docs/notation.md)


def _few_digits_noted(eq: Equation) -> Equation:
    """A planned line whose result holds a subnormal float printed as the float (no exact arithmetic gives it:
    G as stored, a form no decimals redo) says so in its note: the floats keep few of its digits (4.941e−324
    is the smallest, the float nearest whatever the arithmetic gave)."""
    r = eq.result
    if isinstance(r, Num):
        if r.ln is not None or r.exact or not 0 < abs(r.value) < TINY:
            return eq
    elif isinstance(r, Arr) and r.values.dtype.kind == "f":
        a = np.abs(r.values)
        tiny = (a > 0) & (a < TINY)
        if not tiny.any() or (r.small and all(tiny[index] == (index in {i for i, _, _ in r.small})
                                              for index in zip(*np.nonzero(tiny)))):
            return eq
    else:
        return eq
    return replace(eq, note=(eq.note + "; " if eq.note else "") + FEW_DIGITS)


_PLANS: "weakref.WeakKeyDictionary[Equation, dict[int, Equation]]" = weakref.WeakKeyDictionary()


def _plan(eq: Equation, digits: int) -> Equation:
    done = _copied(eq, planned=digits)
    result = eq.result
    printer = TextPrinter(digits)
    hidden = not isinstance(result, (Num, Arr)) and any(isinstance(n, Hidden) for n in walk(result))
    if hidden or not has_numbers(result):
        return done
    forms = []
    saturated = False  # whether a form holds a saturated probability (:func:`_saturated`)
    for f in eq.forms[:-1]:
        surveyed = _survey(f, eq.bindings, printer)
        if surveyed is not None:
            forms.append((f, surveyed[0]))
            saturated = saturated or surveyed[1]
    if not forms:
        return _bound_past_the_floats(eq, done, digits) or done
    y = _finite_value(result)
    if y is None:
        return done
    if isinstance(result, Num) and result.logs is None and not result.exact and abs(result.value) < TINY \
            and (_ln_operands(forms) if result.ln is not None else _tiny_operands(forms) or _exact_calls(forms)):
        past = _past_the_floats(eq, done, forms, digits)
        if past is not None:
            return past
    if isinstance(result, Arr) and not result.small and y.size and float(np.min(np.abs(y))) < TINY \
            and (_tiny_arrays(forms) or _exact_calls(forms)):
        past = _past_the_floats_array(eq, done, forms, digits, y)
        if past is not None:
            return past
    redo = _Redo(digits, eq.bindings)
    redo.probabilities = saturated
    redo.quiet = True  # holds runs where NumPy's warnings are off (below)

    alike = _Alike(y, digits)

    scalar = isinstance(result, Num)

    def holds(form: Node, trial: dict[int, int]) -> bool:  # called where NumPy's warnings are off (below)
        if trial and redo.kept is None:  # a search past the first trial: the trials share the operations
            redo.kept = {}  # whose numbers keep their digits (one trial alone would only pay for the keys)
        redo.extra = trial
        try:
            if scalar and trial and digits + max(trial.values()) >= EXACT_FROM:
                # operands of 15 digits and more, where the floats' own rounding of them counts (the difference
                # of two numbers alike in 10 of their 16 digits): the arithmetic as a student does it
                try:
                    exact = redo._exactly(form)
                except _Spread:  # a number printed as a range (−0): the floats' way below
                    exact = None
                if exact is not None:
                    return alike(exact)
            try:
                shown = redo.value(form)
            except _Spread:  # a range, not a point: the interval rules, on the form as printed
                shown = _ival(_rebuild(form, _given(trial)) if trial else form, digits, eq.bindings, False).lo
            return alike(shown)
        except (Unbound, TypeError, ValueError):
            return True  # nothing a student can redo
    with np.errstate(all="ignore"):
        extra, false = _fewest_digits(forms, holds, FLOAT_DIGITS - digits)
    false = {i for i in false if _true_in_floats(next(f for f, _ in forms if id(f) == i), eq.bindings, y)}
    if not extra and not false:
        return done
    kept = tuple(f for f in eq.forms if id(f) not in false)
    return _copied(done, forms=tuple(_rebuild(f, _given(extra)) for f in kept) if extra else kept)


_SQRT_TINY = 1.4916681462400413e-154  # √TINY: a product of numbers above it stays a normal float


def _tiny_operands(forms: list[tuple[Node, list[int]]]) -> bool:
    """Whether a form holds a nonzero number whose products the floats may lose (below √TINY)."""
    return any(isinstance(n, Num) and not n.exact and 0 < abs(n.value) < _SQRT_TINY
               for f, _ in forms for n in walk(f))


def _ln_operands(forms: list[tuple[Node, list[int]]]) -> bool:
    """Whether a form holds a number past the floats written from its logarithm (``Num.ln``: a sequence's
    ℓ⁽ⁿ⁾_τ in its sum over τ), which the floats cannot redo."""
    return any(isinstance(n, Num) and n.ln is not None for f, _ in forms for n in walk(f))


def _past_the_floats(eq: Equation, done: Equation, forms: list[tuple[Node, list[int]]],
                     digits: int) -> Equation | None:
    """:func:`plan` of a scalar line whose exact arithmetic lies below the smallest normal float, where the
    floats round it to 0 or keep a few of its digits (an attention δ's explanation on subnormal numbers:
    2.3e−14·(9.1e−316 − 1.8e−315), 0 in floats): the result written from the exact arithmetic on the
    unrounded numbers (``Num.ln`` and the sign: −2.1e−329), each form's operands with the fewest extra
    digits (the same for all of them) for the arithmetic on the page, redone exactly, to give it; a form
    no digits make hold is left out. None where the exact result is 0 or a normal float (the floats'
    own plan holds). A result written from its logarithm already (a sum over τ of losses past the floats, each
    term from its own) keeps it: its terms get the digits that give it."""
    with localcontext() as ctx:
        ctx.prec = 60
        result = eq.result
        assert isinstance(result, Num)
        if result.ln is not None:
            shown = result
        else:
            redo = _Redo(digits, eq.bindings)
            redo.divides = True
            exact = redo.exact_unrounded(forms[-1][0])
            if exact is None or exact == 0 or abs(exact) >= Decimal(TINY):
                return None
            shown = replace(result, ln=float(abs(exact).ln()), negative=exact < 0)
        target = Decimal(below_floats(shown, digits) or "0")
        planned: dict[int, Node] = {}
        for form, operands in forms:
            for k in range(FLOAT_DIGITS - digits + 1):
                trial = {i: k for i in operands}
                redo = _Redo(digits, eq.bindings, trial)
                redo.divides = True
                got = redo._exact(form)
                if got is not None and got != 0 and _rounded_decimal(got, digits) == target:
                    planned[id(form)] = _rebuild(form, _given(trial)) if k else form
                    break
    kept = tuple(planned.get(id(f), f) for f in eq.forms[:-1]
                 if id(f) in planned or all(id(f) != id(g) for g, _ in forms))
    if result.ln is None and shown.ln is not None and _exact_calls(forms) and _differs(
            shown.ln, shown.negative, result.value, digits):  # a function's result the board holds as a float
        note = (eq.note + "; " if eq.note else "") + HELD
        return replace(done, forms=kept + (shown,), note=note, note_syms=eq.note_syms + (result,))
    return replace(done, forms=kept + (shown,))


def _tiny_arrays(forms: list[tuple[Node, list[int]]]) -> bool:
    """Whether a form holds a nonzero number, or an array with a nonzero entry, whose products the floats may
    lose (below √TINY): a result below the smallest normal float comes from one."""
    for f, _ in forms:
        for n in walk(f):
            if isinstance(n, Num) and not n.exact and 0 < abs(n.value) < _SQRT_TINY:
                return True
            if isinstance(n, Arr):
                a = np.abs(np.asarray(n.values, dtype=float))
                if np.any((a > 0) & (a < _SQRT_TINY)):
                    return True
    return False


def _bound_past_the_floats(eq: Equation, done: Equation, digits: int) -> Equation | None:
    """A line with no numbers to redo (``m̂ = m/(1 − β₁ᵗ) = […]``) whose result holds subnormal floats: each
    such entry written from its first form's arithmetic done exactly on the bound floats (``Arr.small``),
    as :func:`_past_the_floats_array` writes a worked line's. None where there is none or no such arithmetic."""
    result = eq.result
    if not isinstance(result, Arr) or result.small or result.values.dtype.kind != "f" or not eq.bindings:
        return None
    y = result.values
    tiny = (np.abs(y) > 0) & (np.abs(y) < TINY)
    if not tiny.any():
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        for form in eq.forms[:-1]:
            exact = _ExactArrays(digits, eq.bindings).value(form)
            if exact is None or np.size(exact) != y.size:
                continue
            exact = np.asarray(exact, dtype=object).reshape(y.shape)
            small = tuple((tuple(int(i) for i in index), float(abs(x).ln()), bool(x < 0))
                          for index in zip(*np.nonzero(np.abs(y) < TINY))
                          if (x := exact[index]).is_finite() and x != 0 and abs(x) < Decimal(TINY))
            return replace(done, forms=eq.forms[:-1] + (replace(result, small=small),)) if small else None
    return None


def _differs(ln: float, negative: bool, y: float, digits: int) -> bool:
    """Whether the exact number of logarithm ``ln`` (below the smallest normal float) prints otherwise than
    its float ``y`` at ``digits``: 0 for 6.047e−348, a subnormal's last digits lost."""
    return ("-" if negative else "") + g_from_ln(ln, digits) != f"{y:.{digits}g}"


def held_past_the_floats(fn: str, args: Sequence[Any], values: Any) -> tuple[tuple[tuple[int, ...], float, bool], ...]:
    """The entries of ``fn`` of ``args`` (floats: s⁽ˡ⁾ and an activation's α) below the smallest normal
    float, done exactly (exact_functions, as its line prints them), where ``values`` (the floats the board
    holds for them, in the same shape) holds another number: 0 for σ(−799.5) = 6.047e−348. Each as
    ``Arr.small`` writes one, (index in ``values``, ln |x|, x < 0); none where there is no such entry, and no
    decimals where no entry of ``values`` is below the normal range, the usual case. Whether a line says so
    depends on its digits (:func:`_alike_unnoted`)."""
    y = np.asarray(values, dtype=float)
    if fn not in EXACT or not np.any(np.abs(y) < TINY):
        return ()
    with localcontext() as ctx:
        ctx.prec = 60
        exact = _exactly_applied(fn, [_decimals(a) if np.ndim(a) else Decimal(float(a)) for a in args])
        if exact is None or np.size(exact) != y.size:
            return ()
        exact = np.asarray(exact, dtype=object).reshape(y.shape)
        return tuple((tuple(int(i) for i in index), float(abs(x).ln()), bool(x < 0))
                     for index in zip(*np.nonzero(np.abs(y) < TINY))
                     if (x := exact[index]).is_finite() and x != 0 and abs(x) < Decimal(TINY)
                     and x != Decimal(float(y[index])))


def _alike_unnoted(eq: Equation, digits: int) -> Equation:
    """``eq`` without the clauses of its note that say what the board holds for a number its function's line
    prints past the floats (``o⁽¹⁾ held in floats as [−1e−310]``: equations.held_noted, the float said
    ``means`` the exact number, an ``Arr.small`` or a ``Num.ln``) where at ``digits`` every such number prints
    as its float does (a subnormal float's digits kept: the function's line then says nothing either,
    :func:`_differs`)."""
    if HELD not in eq.note:
        return eq
    clauses: list[str] = []
    syms: list[Node | LayerNo] = []
    k, dropped = 0, False
    for clause in eq.note.split("; "):
        n = clause.count("{}")
        own = eq.note_syms[k:k + n]
        k += n
        said = own[-1] if own and clause.endswith(HELD) and n == 2 else None
        exact = getattr(said, "means", None)
        if isinstance(said, Arr) and isinstance(exact, Arr) and exact.small:
            y = np.asarray(said.values, dtype=float)
            alike = not any(_differs(ln, negative, float(y[index]), digits) for index, ln, negative in exact.small)
        elif isinstance(said, Num) and isinstance(exact, Num) and exact.ln is not None:
            alike = not _differs(exact.ln, exact.negative, said.value, digits)
        else:
            alike = False
        if alike:
            dropped = True
            continue
        clauses.append(clause)
        syms.extend(own)
    if not dropped:
        return eq
    return replace(eq, note="; ".join(clauses), note_syms=tuple(syms) + eq.note_syms[k:])


def _exactly_applied(fn: str, args: list) -> Any:
    """``fn`` of ``args`` in decimals (exact_functions.EXACT); None where decimals have no such number (√ of a
    negative, e^(10¹⁰⁰⁰⁰⁰⁰))."""
    try:
        return EXACT[fn](*args)
    except ArithmeticError:
        return None


def _exact_calls(forms: list[tuple[Node, list[int]]]) -> bool:
    """Whether a form applies a function whose floats may lose a result below the smallest normal float
    (σ(−799.5), 0 in floats: ``exact_functions.EXACT``)."""
    return any(isinstance(n, Call) and n.fn in EXACT for f, _ in forms for n in walk(f))


def _decimals(x: Any) -> np.ndarray:
    """Every entry of ``x`` (floats) as the exact Decimal it is, in an array of objects."""
    a = np.asarray(x, dtype=float)
    return np.array([Decimal(v) for v in a.ravel().tolist()], dtype=object).reshape(a.shape)


class _ExactArrays:
    """A form's arithmetic on vectors and matrices (+, −, ⊙ and a number times an array, a matrix product, an
    outer product, a transpose, joins) done exactly in Decimal, entry by entry, in the caller's decimal
    context: on the numbers as they are (every float's exact value), or with ``printed`` on the numbers as
    printed (``digits``, and ``extra`` digits by id). None where the form is other arithmetic (a function,
    a division)."""

    def __init__(self, digits: int, env: dict, extra: Mapping[int, int] | None = None, printed: bool = False) -> None:
        self.d, self.env, self.extra, self.printed = digits, env, extra or {}, printed

    def value(self, node: Node) -> Any:
        if isinstance(node, Num):
            if not math.isfinite(node.value):
                return None
            if node.exact or not self.printed:
                return Decimal(node.value)
            return printed_decimal(node, self.d + self.extra.get(id(node), node.extra))
        if isinstance(node, Arr):
            if not np.all(np.isfinite(node.values)):
                return None
            if not self.printed:
                return _decimals(node.values)
            d = self.d + self.extra.get(id(node), node.extra)
            a = np.asarray(node.values, dtype=float)
            return np.array([Decimal(f"{v:.{d}g}") for v in a.ravel().tolist()], dtype=object).reshape(a.shape)
        if isinstance(node, Sym):
            got = self.env.get(node)
            if got is None or not np.all(np.isfinite(np.asarray(got, dtype=float))):
                return None
            return Decimal(float(got)) if np.ndim(got) == 0 else _decimals(got)
        if isinstance(node, Call) and node.fn in EXACT:  # σ, softmax, … at saturation (core/formulas/exact_functions)
            args = [self.value(a) for a in node.args]
            return None if any(x is None for x in args) else _exactly_applied(node.fn, args)
        if not isinstance(node, Op):
            return None
        v = [self.value(a) for a in node.args]
        if any(x is None for x in v):
            return None
        return _apply_op(node.op, v, exact=True)


def _past_the_floats_array(eq: Equation, done: Equation, forms: list[tuple[Node, list[int]]], digits: int,
                           y: np.ndarray) -> Equation | None:
    """:func:`_past_the_floats` of a line whose result is a vector or matrix: each entry whose exact arithmetic
    lies below the smallest normal float, where the floats keep 0 or a subnormal's few digits (a G ← G + δ oᵀ
    on an attention layer's subnormal δ), written from it (``Arr.small``); every form's operands with the
    fewest extra digits (the same for all of them) for the arithmetic on the page, redone exactly, to give
    every entry as printed; a form no digits make hold is left out. None where no entry is such a number."""
    result = eq.result
    assert isinstance(result, Arr)
    with localcontext() as ctx:
        ctx.prec = 60
        exact = _ExactArrays(digits, eq.bindings).value(forms[-1][0])
        if exact is None or np.size(exact) != y.size:
            return None
        exact = np.asarray(exact, dtype=object).reshape(y.shape)
        small: list[tuple[tuple[int, ...], float, bool]] = []
        differs = False  # whether an entry prints otherwise than the float the board holds
        for index in zip(*np.nonzero(np.abs(y) < TINY)):
            x = exact[index]
            if x.is_finite() and x != 0 and abs(x) < Decimal(TINY):
                small.append((tuple(int(i) for i in index), float(abs(x).ln()), bool(x < 0)))
                differs = differs or _differs(small[-1][1], small[-1][2], y[index], digits)
        if not small:
            return None
        shown = replace(result, small=tuple(small))
        target = np.array([Decimal(f"{v:.{digits}g}") for v in y.ravel().tolist()], dtype=object).reshape(y.shape)
        for index, text in small_texts(shown, digits).items():
            target[index] = Decimal(text)
        planned: dict[int, Node] = {}
        for form, operands in forms:
            for k in range(FLOAT_DIGITS - digits + 1):
                trial = {i: k for i in operands}
                got = _ExactArrays(digits, eq.bindings, trial, printed=True).value(form)
                if got is None or np.size(got) != y.size:
                    break
                got = np.asarray(got, dtype=object).reshape(y.shape)
                if all(t == (g if g == 0 or t == 0 else _rounded_decimal(g, digits))
                       for g, t in zip(got.ravel().tolist(), target.ravel().tolist())):
                    planned[id(form)] = _rebuild(form, _given(trial)) if k else form
                    break
    kept = tuple(planned.get(id(f), f) for f in eq.forms[:-1]
                 if id(f) in planned or all(id(f) != id(g) for g, _ in forms))
    if differs and _exact_calls(forms):  # a function's result the board holds as floats, which the lines after it read
        note = (eq.note + "; " if eq.note else "") + HELD
        return replace(done, forms=kept + (shown,), note=note, note_syms=eq.note_syms + (result,))
    return replace(done, forms=kept + (shown,))


def _rounded_decimal(x: Decimal, digits: int) -> Decimal:
    """``x`` at ``digits`` significant digits, a tie away from zero (as by hand)."""
    return x.quantize(Decimal(1).scaleb(x.adjusted() - digits + 1), rounding=ROUND_HALF_UP)


def _true_in_floats(form: Node, bindings: dict, y: np.ndarray) -> bool:
    """Whether ``form`` on its unrounded numbers gives ``y`` up to the floats' rounding (then only the
    order the floats computed it in keeps it from holding as printed, and :func:`plan` leaves it out);
    a false form stays, for the tests to find."""
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(evaluate(form, bindings), dtype=float).reshape(-1)
    except (Unbound, TypeError, ValueError):
        return False
    want = y.reshape(-1)
    if got.shape != want.shape:
        return False
    scale = 1e-12 * (1.0 + float(np.max(np.abs(want), initial=0.0)))
    return bool(np.all(np.abs(got - want) <= 1e-9 * np.abs(want) + scale))


def _finite_value(result: Node) -> np.ndarray | None:
    """The result's exact value, when it has one and every entry is finite."""
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(evaluate(result), dtype=float)
    except (Unbound, TypeError, ValueError):
        return None
    return y if np.all(np.isfinite(y)) else None


def _fewest_digits(forms: list[tuple[Node, list[int]]], holds: Callable[[Node, dict[int, int]], bool],
                   most: int) -> tuple[dict[int, int], set[int]]:
    """:func:`plan`'s search: for each form (with its operands' ids) that does not hold as it is, the
    least k (≤ ``most``) every operand gets at most, then each operand lowered back as far as the form
    still holds. The extra digits by operand id (those above 0), and the ids of the forms that hold
    with no digits (their operands keep what the other forms need)."""
    extra: dict[int, int] = {}  # id of an operand → its extra digits
    false: set[int] = set()
    for form, operands in forms:
        if not operands or holds(form, extra):
            continue
        for k in range(1, most + 1):
            trial = {**extra, **{i: max(extra.get(i, 0), k) for i in operands}}
            if holds(form, trial):
                break
        else:
            false.add(id(form))
            continue
        for i in operands:  # each operand back to the fewest digits the form needs of it
            for e in range(extra.get(i, 0), trial[i]):
                if holds(form, {**trial, i: e}):
                    trial[i] = e
                    break
        extra = trial
    return {i: e for i, e in extra.items() if e}, false


def _survey(form: Node, bindings: dict, printer: "Printer") -> tuple[list[int], bool] | None:
    """One walk of a form: None unless it holds numbers (:func:`has_numbers`) and a student can redo
    all of it from the page (:func:`redoable`, and nothing ``printer`` elides), else its roundable
    numbers' ids in the order of :func:`walk`, each once, and whether a saturated probability is among
    its numbers (:func:`_saturated`). A symbolic form ends the walk at its first free symbol."""
    numbers = saturated = False
    operands: dict[int, None] = {}
    stack = [form]
    while stack:
        n = stack.pop()
        if isinstance(n, (Op, Call)):
            args = n.args
            if isinstance(n, Op) and n.op == "+" and len(args) > printer.max_terms:
                return None
            stack.extend(args[::-1])
        elif isinstance(n, Num):
            saturated = saturated or _saturated(n)
            if not n.exact:
                numbers = True
                operands[id(n)] = None  # a probability too: 1 − q gets q's digits
        elif isinstance(n, Arr):
            if printer.elides(n):
                return None
            numbers = True
            operands[id(n)] = None
        else:
            if isinstance(n, (Partial, Hidden)) or (isinstance(n, Sym) and n not in bindings):
                return None
            stack.extend(reversed(children(n)))
    return (list(operands), saturated) if numbers else None


def _given(extra: Mapping[int, int]) -> Callable[[Node], Node]:
    """Gives each number whose id is a key of ``extra`` its extra digits."""
    def give(n: Node) -> Node:
        e = extra.get(id(n))
        return _with_extra(n, e) if e is not None and isinstance(n, (Num, Arr)) else n
    return give


def _with_extra(n: Num | Arr, extra: int) -> Num | Arr:
    """``replace(n, extra=extra)``, without its checks (:func:`_copied`)."""
    return _copied(n, extra=extra)


_Copied = TypeVar("_Copied")


def _copied(x: _Copied, **changes: Any) -> _Copied:
    """``replace(x, **changes)`` of a node or an :class:`Equation`, without its checks: the fields copied as
    they are (these dataclasses have no ``__post_init__`` and nothing but their fields in ``__dict__``)."""
    new = object.__new__(type(x))
    new.__dict__.update(x.__dict__)
    new.__dict__.update(changes)
    return new


def _rebuild(node: Node, f: Callable[[Node], Node]) -> Node:
    node = f(node)
    if isinstance(node, Op):
        return Op(node.op, tuple(_rebuild(a, f) for a in node.args))
    if isinstance(node, Call):
        return Call(node.fn, tuple(_rebuild(a, f) for a in node.args))
    if isinstance(node, Ind):
        return Ind(_rebuild(node.a, f), node.rel, _rebuild(node.b, f))
    if isinstance(node, Cases):
        cond = _rebuild(node.cond, f)
        assert isinstance(cond, Ind)
        return Cases(_rebuild(node.then, f), cond, _rebuild(node.other, f))
    if isinstance(node, Sum):
        return replace(node, body=_rebuild(node.body, f))
    return node


def hide(eq: Equation, refs: Iterable[Ref], digits: int = 4) -> Equation:
    """The same equation with the numbers named by ``refs`` printed as ``?`` wherever they stand; the
    others keep the digits they have in the whole equation at ``digits`` (:func:`plan`)."""
    wanted = set(refs)
    eq = plan(eq, digits)

    def mask(node: Node) -> Node:
        if isinstance(node, Num) and node.ref is not None and node.ref in wanted:
            return Hidden(node.ref)
        if isinstance(node, Arr) and node.ref is not None:
            for r in wanted:
                own = node.ref.index or ()  # an Arr of one row of a per-τ matrix names that row
                if (r.index is not None and len(r.index) > len(own) and r.index[:len(own)] == own
                        and replace(r, index=None) == replace(node.ref, index=None)):
                    return replace(node, hidden=r.index[len(own):])
                if node.ref.index is None and r.index is not None and whole_view(node.ref) == replace(r, index=None):
                    at = moved(r, node.ref.view)  # a block of W's columns (a recurrent layer's U apart)
                    if at is not None:
                        return replace(node, hidden=at)
                if node.ref.view.startswith("1x") and r.index is not None:  # [1, h] as one vector: h's entry
                    at = next((i for i in np.ndindex(*node.values.shape) if whole_view(node.ref.at(*i)) == r), None)
                    if at is not None:
                        return replace(node, hidden=at)
            if node.ref in wanted:
                return Hidden(node.ref)
        return node

    return replace(eq, lhs=eq.lhs, forms=tuple(_rebuild(f, mask) for f in eq.forms),
                   note_syms=_masked_syms(eq.note_syms, mask))


def _masked_syms(syms: tuple["Node | LayerNo", ...], mask: Callable[[Node], Node]) -> tuple["Node | LayerNo", ...]:
    """A note's symbols with the hidden numbers hidden there too: the float a line's result is held as
    (:data:`HELD`) is the asked number's."""
    return tuple(s if isinstance(s, LayerNo) else _rebuild(s, mask) for s in syms)


def blank(eq: Equation, labels: Mapping[Ref, int], first: Collection[Ref] = (),
          aliases: Mapping[Node, Mapping[tuple[int, ...] | None, int]] | None = None, digits: int = 4) -> Equation:
    """The same equation with the numbers named by ``labels`` (a Ref of one entry, or of a scalar)
    printed as numbered blanks: ``(3) ____`` in the result form for the refs in ``first`` (the
    numbers this step produces), ``(3)`` everywhere else, so an answer is never given away later.
    ``aliases`` numbers values that carry no ref but ``means`` an earlier board value (G⁽ˡ⁾ before
    ``G⁽ˡ⁾ += δ oᵀ``, W⁽ˡ⁾ before its update, ℓ_D before ``ℓ_D += ℓ⁽ⁿ⁾``): their entries' numbers by index
    (None for a scalar)."""
    fresh = set(first)
    others = aliases or {}
    eq = plan(eq, digits)  # the numbers left keep the digits of the whole equation

    def masker(result: bool) -> Callable[[Node], Node]:
        def mask(node: Node) -> Node:
            if isinstance(node, Num):
                if node.ref is not None and node.ref in labels:
                    return Hidden(node.ref, labels[node.ref], result and node.ref in fresh)
                if node.ref is None and node.means is not None and node.means in others:
                    label = others[node.means].get(None)
                    return Hidden(None, label) if label is not None else node
                return node
            if isinstance(node, Arr):
                found: list[tuple[tuple[int, ...], int, bool]] = []
                if node.ref is not None:
                    for index in np.ndindex(*node.values.shape):
                        r = node.ref.at(*index)
                        r = r if r in labels else whole_view(r)  # a block of W's columns: as W names it
                        if r in labels:
                            found.append((index, labels[r], result and r in fresh))
                elif node.means is not None and node.means in others:
                    found = [(index, label, False) for index, label in others[node.means].items()
                             if index is not None]
                return replace(node, blanks=tuple(found)) if found else node
            return node
        return mask

    last = len(eq.forms) - 1
    return replace(eq, forms=tuple(_rebuild(f, masker(i == last)) for i, f in enumerate(eq.forms)),
                   note_syms=_masked_syms(eq.note_syms, masker(False)))


BLANK_WIDTH = 9  # characters of room a blank leaves at least, for a handwritten −0.09864


def blank_text(label: int, first: bool, latex: bool = False, width: int = BLANK_WIDTH) -> str:
    """A numbered blank: where it is asked (``(3) ____``, in LaTeX a line ``width`` digits long) or
    where it appears again (``(3)``)."""
    if latex:
        return rf"({label})\,\underline{{\hphantom{{{'0' * width}}}}}" if first else rf"\mathbf{{({label})}}"
    return f"({label}) ____" if first else f"({label})"


# -- printing numbers -------------------------------------------------------------------------------
def const_text(c: float) -> str:
    """A constant written in a formula: exact up to 12 digits, a real minus sign, its exponent as
    :func:`~bptui.core.formulas.notation.num` writes one (``1e−8``, ``1e20``; not ``1e-08``, ``1e+20``)."""
    return _EXPONENT.sub(r"e\1\2", f"{c:.12g}").replace("-", "−")


_EXPONENT = re.compile(r"e(-?)\+?0*(\d)")


# -- printers ---------------------------------------------------------------------------------------
_SUP = str.maketrans("0123456789()+-nlL", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻ⁿˡᴸ")
_SUP_LETTERS = str.maketrans("tn", "ᵗⁿ")
_POWER = re.compile(r"\^\{?[0-9]")  # a LaTeX base that is a power itself: \sigma^2, x^{2}
_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿˡᴸᵏ")  # a plain superscript (a power, a plain layer index): no (
_SUB_CHARS = dict(zip("0123456789+-aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))

# precedence: higher binds tighter
_PREC = {"+": 1, "-": 1, "*": 2, "@": 2, "outer": 2, "/": 3, "neg": 4, "sq": 5, "^": 5, "T": 6,
         "⋆": 1, "⋆full": 2, "⋆G": 2}  # ⋆ with its + b is a sum; the other map operators are atoms
ATOM = 9


# the gradient G_γ of a kind's own parameter, named in its first subscript (a layer norm's γ and β, attention's
# W_Q, W_K, W_V, W_O; an entry's unit after it: G_γ,2): in a profile whose gradient's symbol holds its
# parameter (∂C/∂{}) the parameter is written there, ∂C/∂γ₂, ∂C/∂W_Q, as (its letter, its subscripts, its LaTeX)
OWN_PARAMETERS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "γ": ("γ", (), r"\gamma"), "β": ("β", (), r"\beta"),
    **{name: ("W", (name,), None) for name in "QKVO"}}


# the symbols a weight w_b,a has of its own in an update (optim.update_formulas): its g = G + 2λw̃ and an
# optimizer's state (momentum's v, Adam's m, v and m̂, v̂), indexed as the weight is
WEIGHT_OWN = frozenset({"g", "m", "v"})
# the index of a recurrent layer's U bias (U's own column 0, PyTorch's bias_hh) where a profile writes the bias
# apart: the vector b⁽ˡ⁾_{h} (kinds/rnn/profiled.py's u_bias), its entries b⁽ˡ⁾_{h,r,1}
U_BIAS = "h"


_NO_LETTERS: tuple[Mapping[str, Symbol], Mapping[str, Symbol]] = (MappingProxyType({}), MappingProxyType({}))


# a profile's renames and clashes, and the symbols its printers have written: (printer class, symbol, its kind's
# name, its counts) → text (``own`` and ``counts`` are no part of a Sym's equality, but change its letters)
_LETTERS: dict[int, tuple[Profile, Mapping[str, Symbol], Mapping[str, Symbol], dict[tuple, str]]] = {}


def _letters_entry(notation: Profile) -> tuple[Profile, Mapping[str, Symbol], Mapping[str, Symbol], dict[tuple, str]]:
    """A profile's renames and clashes, worked out once per profile object (a printer is made per
    equation), and its written symbols; by identity, as hashing a profile's every field costs about what is
    saved. The entry holds its profile, so that its id is not reused while it is cached."""
    got = _LETTERS.get(id(notation))
    if got is None or got[0] is not notation:
        if len(_LETTERS) >= 64:  # profiles read from course files, one object per reading
            _LETTERS.clear()
        got = _LETTERS[id(notation)] = (notation, MappingProxyType(notation.renames()),
                                        MappingProxyType(notation.clashes()), {})
    return got


def _letters(notation: Profile) -> tuple[Mapping[str, Symbol], Mapping[str, Symbol]]:
    """A profile's renames and clashes (:func:`_letters_entry`)."""
    got = _letters_entry(notation)
    return got[1], got[2]


def _weight_entry(base: str, sub: tuple, s: Sym) -> bool:
    """Whether ``s`` (its lecture letter ``base``, its subscripts ``sub``) names one entry of a weight matrix by
    (unit, input), the last two subscripts: a weight w_b,a, U's u_b,c, their gradients G_b,a, a weight's g and
    optimizer state; after a gate's or a matrix's name (w⁽ˡ⁾_{z,b,a}, w_Q,b,a, G_Q,b,a). Not a kernel's
    w_k,c,u,v, a layer norm's G_γ,b, anything at a time step, or a symbol whose first subscripts count
    something other than units (``counts``: τ or a head, as a kind's own v_τ,b)."""
    if s.time is not None or s.counts or base not in ("w", "u", "G") and base not in WEIGHT_OWN:
        return False
    if len(sub) == 2:
        return not (isinstance(sub[0], str) and sub[0] in OWN_PARAMETERS and sub[0] not in "QKVO")
    # after a gate's or a matrix's name (w_Q,b,a, m_U,b,c), or both (a gated layer's U's state, m_U,z,b,c)
    return len(sub) in (3, 4) and all(isinstance(i, str) for i in sub[:len(sub) - 2])


def array_form(values: np.ndarray, digits: int, unshown: Iterable[tuple[int, ...]] = (),
               together: Sequence[np.ndarray] = ()) -> str:
    """The one form, fixed (``"f"``) or scientific (``"e"``), every entry of a vector or matrix in an
    equation is written in, each with its significant digits: the panels' rule for a matrix
    (notation.array_form) over all its numbers, less those a quiz hides (``unshown``: their size is no
    hint), and over the arrays its panel writes in one format with it (``together``: :attr:`Arr.together`)."""
    shape = np.shape(values)
    unshown = [i for i in unshown if len(i) == len(shape) and all(0 <= k < n for k, n in zip(i, shape))]
    if unshown:  # (a blank outside the array is none of its entries: no printer writes it)
        values = np.array(values, dtype=float)
        for index in unshown:
            values[index] = 0.0  # 0 does not decide the form
    if len(together):
        values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in (values, *together)])
    return shown_form(values, digits)


def _arr_form(a: Arr, digits: int) -> str:
    """:func:`array_form` of an :class:`Arr` node: its hidden entry and its blanks do not decide; the arrays
    its panel shows with it do; an entry past the floats (``Arr.small``) counts as the number below them it
    is, not the float's 0."""
    unshown = ([a.hidden] if a.hidden is not None else []) + [index for index, _, _ in a.blanks]
    values = a.values
    if a.small:
        values = np.array(values, dtype=float)
        for index, _, negative in a.small:
            values[index] = -TINY if negative else TINY
    return array_form(values, digits, unshown, a.together)


def small_texts(a: Arr, digits: int) -> dict[tuple[int, ...], str]:
    """An array's entries past the floats (``Arr.small``) as ``%g`` writes them with ``digits`` significant
    digits, from their logarithms: 2.1e−329, not 0."""
    return {index: ("-" if negative else "") + g_from_ln(ln, digits) for index, ln, negative in a.small}


class Printer:
    """Walks a tree with one small method per node kind (SymPy's printers are the model)."""

    digits: int = 4
    max_terms: int = 8  # sums with more terms show their first three and last two

    def __init__(self, digits: int = 4, notation: Profile | None = None) -> None:
        self.digits = digits
        self.elisions: list[tuple[int, int, int]] = []  # the sums printed with terms left out (shown_terms)
        # the notation profile symbols are written in (None: the lecture's, printed as the trees carry them)
        self.notation = notation if notation is None or notation.name != "lecture13" else None
        self._renames, self._clashes = _letters(self.notation) if self.notation is not None else _NO_LETTERS
        self._written: dict[tuple, str] = _letters_entry(self.notation)[3] if self.notation is not None else {}
        # a row-vector profile (cs231n): a vector is a row, an Arr's ``row`` flag then means a column (its ᵀ)
        self.row_vectors = self.notation is not None and self.notation.vectors == "row"
        if self.notation is not None:
            # chosen once here, not tested per symbol: the lecture's printing stays as fast as it was
            self._p_Sym = self._p_profiled_Sym  # type: ignore[method-assign]  # an instance's own dispatch

    def profiled(self, s: Sym) -> tuple[Sym, Symbol | None]:
        """``s`` in the profile's letters: the shared quantities renamed, a unit's number counted from
        the profile's first unit, a weight or gradient entry of column 0 the bias's (when the profile
        separates it); and, for a gradient whose symbol holds its parameter (∂C/∂{}), that symbol."""
        P = self.notation
        assert P is not None
        base, sub = s.base, s.sub
        bias_state = False
        if base == "G" and s.group and sub[:1] == ("U",):  # a recurrent layer's U entry's gradient: named as u is
            # (a gated layer's u⁽ˡ⁾_{z,2,1} is one group, its gate's letter among the numbers; an rnn's is u₂,₁⁽ˡ⁾)
            # (the whole matrix's, G⁽ˡ⁾_{U}: U itself, ∂C/∂U², dU¹)
            shown, _ = self.profiled(replace(s, base="u", sub=sub[1:], group=any(isinstance(i, str) for i in sub[1:]))
                                     if sub[1:] else replace(s, base="U", sub=(), group=False))
            if HOLE in P.gradient.text:  # ∂C/∂u²_{z,2,1}, ∂C/∂u₂,₁², dU's entry du^[1]_{z,2,b}
                return shown, P.gradient
            return replace(shown, base=P.gradient.text, latex=P.gradient.latex, sub=("U", *shown.sub), group=True), None
        if base == "ℓ" and s.layer is not None and P.example_index == "sub":  # nielsen's C_x: the example below
            # at τ the example comes first, as a time step's index group: C₁,₂, C_{1,τ} (the printers' time form)
            s = (replace(s, layer=None, sub=(s.layer, *sub)) if s.time is None else
                 replace(s, layer=None, time=s.layer, sub=(s.time, *sub)))
            return replace(s, base=P.per_example_loss.text, latex=P.per_example_loss.latex), None
        if P.separate_bias and base in ("w", "G") and len(sub) >= 2 and sub[-1] == 0:  # column 0: a bias
            base, sub = ("b" if base == "w" else "Gb"), sub[:-1]  # (a gated layer's: b⁽ˡ⁾_{f,2})
        elif P.separate_bias and base in WEIGHT_OWN and len(sub) == 2 and sub[-1] == 0 and not s.group:
            sub = sub[:-1]  # a bias's own g and optimizer state, indexed as the bias is: s₁ beside b₁, not s₁,₀
        elif (P.separate_bias and base in WEIGHT_OWN and len(sub) == 3 and sub[-1] == 0 and isinstance(sub[0], str)
              and sub[0] not in OWN_PARAMETERS and sub[0] not in ("U", "b_h")):
            sub, bias_state = sub[:-1], True  # a gated bias's: s_{ϱ,2}⁽¹⁾ beside b⁽¹⁾_{ϱ,2} (not an entry of W)
        if (s.group or base in WEIGHT_OWN) and self._clashes:  # a gate named in the indices gives way as the gate
            # does: s_{τ,x,u} beside u; a gated weight's optimizer state too, goodfellow's s_{U,ϱ,1,4} beside u_{ϱ,1,4}
            # (in the target's own letters: ĝ in text, \hat{g} in LaTeX)
            sub = tuple(getattr(self._clashes[i], self.SYMBOL) if isinstance(i, str) and i in self._clashes else i
                        for i in sub)
        if base == "u" and s.group and sub and sub[-1] == 0:  # a GRU's U's own bias column: u_{n,2,0}, or where the
            # profile writes that column apart as the bias b⁽ˡ⁾_{h}, its entry b⁽ˡ⁾_{h,n,2} (as W's b⁽ˡ⁾ has b⁽ˡ⁾_{n,2})
            sub = tuple(P.unit(i) if isinstance(i, int) else i for i in sub[:-1])
            base, sub = ("b", (U_BIAS, *sub)) if P.separate_bias else (base, (*sub, 0))
        else:
            sub = tuple(P.unit(i) if isinstance(i, int) and k >= s.counts else i for k, i in enumerate(sub))
        if P.transposed and not bias_state and _weight_entry(base, sub, s):  # W shown D × C: the input first, w_k,j (cs231n)
            sub = sub[:-2] + (sub[-1], sub[-2])
        if base in ("G_w", "G_b") and HOLE in P.gradient.text:  # a kernel's gradient and its bias's (a conv layer)
            base = "G" if base == "G_w" else "Gb"
        grad: Symbol | None = None
        own = OWN_PARAMETERS.get(sub[0]) if base == "G" and sub and isinstance(sub[0], str) else None
        if own is not None and HOLE in P.gradient.text:  # a kind's own parameter's gradient: ∂C/∂γ₂, ∇_{W_Q} J
            name, at, latex = own
            if len(sub) > 1 and name == "W":  # one entry of a named matrix: w_Q,b,a
                name = "w"
            new_name = self._renames.get(name)
            if new_name is not None:
                name, latex = new_name.text, new_name.latex
            return replace(s, base=name, sub=at + sub[1:], latex=latex), P.gradient
        if base in ("G", "Gb"):
            if HOLE not in P.gradient.text:  # a letter of its own: G⁽ˡ⁾
                return replace(s, base=P.gradient.text, latex=P.gradient.latex, sub=sub), None
            grad = P.gradient
            base = "b" if base == "Gb" else "w" if sub else "W"
        if base == "∂ℓ/∂x" and HOLE in P.gradient.text and not P.gradient.text.endswith(HOLE):  # a block's, with a
            return replace(s, base="x", latex=None, sub=sub), P.gradient  # prefix around x: the layer on x, ∇_x⁽⁵⁾ J
        new = (self._renames.get(f"{s.own}:{base}") if s.own else None) or self._renames.get(base)
        if base == "ℓ" and s.layer is not None:  # one example's loss ℓ⁽ⁿ⁾ (the layer's place holds the example)
            new = P.per_example_loss
        if new is None and base.startswith("[") and base.endswith("]"):  # stacked gates, [r, z, n]: each part renamed
            new = self._stacked(s)
        if new is None:
            return replace(s, sub=sub), grad
        return replace(s, base=new.text, latex=new.latex, sub=sub), grad

    def _stacked(self, s: Sym) -> Symbol | None:
        """A symbol of stacked parts, a gated layer's [r, z, n] or [i, f, g, ō], with each part the profile
        renames (a GRU's z beside nielsen's z is u: [r, u, n]); None when it renames none."""
        parts = s.base[1:-1].split(", ")
        named = [self._renames.get(part) for part in parts]
        if not any(named):
            return None
        latex = s.latex or s.base
        for part, new in zip(parts, named):
            if new is not None:
                written = new.latex.replace("\\", "\\\\")  # a replacement string: its backslashes as they are
                latex = re.sub(rf"(?<![\\A-Za-z{{]){re.escape(part)}(?![A-Za-z}}])", written, latex)
        return Symbol("[" + ", ".join(n.text if n is not None else p for p, n in zip(parts, named)) + "]", latex)

    SYMBOL = "text"  # which of a profile's Symbol fields this printer writes

    def _p_profiled_Sym(self, s: Sym, lecture: Sym | None = None) -> str:
        """A symbol in the profile's letters (the printer's ``_p_Sym`` when it has a profile: the
        lecture's own printing pays nothing for profiles)."""
        key = (type(self), s, s.own, s.counts)  # a symbol's text depends on the profile and the target only:
        text = self._written.get(key)  # worked out once per profile and target, kept with the profile's letters
        if text is None:
            shown, grad = self.profiled(s)
            text = type(self)._p_Sym(self, shown, s)  # the target's own printing, the layer written as the profile's
            text = text if grad is None else getattr(grad, self.SYMBOL).replace(HOLE, text)
            if len(self._written) >= 4096:
                self._written.clear()
            self._written[key] = text
        return text

    def _p_LayerNo(self, n: LayerNo) -> str:
        return str(n.layer if self.notation is None else self.notation.layer_number(n.layer))

    def _p_Sym(self, s: Sym, lecture: Sym | None = None) -> str:
        """``s`` as this target writes it; with ``lecture`` (the symbol before the profile renamed
        it), its layer index as the profile writes it."""
        raise NotImplementedError

    def layer(self, s: Sym) -> str:
        """The layer index of ``s`` as text (a loss's superscript is its example's number: (n))."""
        if self.notation is None or s.base == "ℓ":
            return f"({s.layer})".translate(_SUP)
        return self.notation.layer_text(s.layer if s.layer is not None else "")

    def __call__(self, node: Node) -> str:
        return self.p(node)

    def p(self, node: Node | LayerNo) -> str:
        return getattr(self, f"_p_{type(node).__name__}")(node)

    def prec(self, node: Node) -> int:
        if isinstance(node, Op):
            if node.op in ("cat1", "cat", "hcat", "vcat", "drop0", "()"):
                return ATOM
            return _PREC.get(node.op, ATOM)
        if isinstance(node, Num) and node.value < 0:
            return 4  # like a unary minus
        if isinstance(node, Num) and node.logs is not None and (
                shown := probability_text(node, self.digits + node.extra)) is not None and shown[0]:
            return _PREC["-"]  # 1 − q
        if isinstance(node, (Sum,)):
            return 1
        if isinstance(node, Cases):
            return ATOM
        return ATOM

    def wrap(self, node: Node, above: int, strict: bool = False, lead: bool = True) -> str:
        """``node`` as an operand of an operator of precedence ``above``, parenthesised when it binds
        less tightly (``strict``: or as tightly), or when it starts with a minus and is not the
        leading operand (``0.3 − (−0.5)``, ``g_e·(−a/b²)``)."""
        text = self.p(node)
        p = self.prec(node)
        negative = text.startswith("−") or text.startswith("-")
        return self.paren(text) if (p < above or (strict and p == above) or (negative and not lead)) else text

    def paren(self, text: str) -> str:
        return f"({text})"

    def equation(self, eq: Equation) -> str:
        raise NotImplementedError

    # -- which numbers an equation shows whole ----------------------------------------------------
    def elides(self, a: Arr) -> bool:
        """Whether this printer shows only part of the array (then nobody can redo its arithmetic)."""
        raise NotImplementedError

    def planned(self, eq: Equation) -> Equation:
        """``eq`` with the extra digits its operands need at this printer's digits (:func:`plan`)."""
        return plan(eq, self.digits)

    def _elided(self, node: Node) -> bool:
        for n in walk(node):
            if isinstance(n, Arr) and self.elides(n):
                return True
            if isinstance(n, Op) and n.op == "+" and len(n.args) > self.max_terms:
                return True
        return False

    # how this target writes the operators both printers share
    MINUS, ODOT, DOT, SQUARED, SELF_ODOT = "−", " ⊙ ", "·", "²", "⊙"  # SELF_ODOT: o⊙o

    def _p_Op(self, o: Op) -> str:
        op, args = o.op, o.args
        prec = _PREC.get(op, ATOM)
        minus = self.MINUS
        if op == "+":
            items: list[str] = []
            for i in self.shown_terms(args):
                if i is None:
                    items.append("+ " + self.ellipsis())
                    continue
                term = self.wrap(args[i], prec)
                if not items:
                    pass
                elif term.startswith(minus):  # a computed term joins with its sign; a given one keeps it
                    term = f"{minus} " + term[1:] if _computed(args[i]) else "+ " + self.paren(term)
                else:
                    term = "+ " + term
                items.append(term)
            return " ".join(items)
        if op == "-":
            return f"{self.wrap(args[0], prec)} {minus} {self.wrap(args[1], prec, strict=True, lead=False)}"
        if op == "*":
            return self.product(args, [self.wrap(a, prec, lead=i == 0 and not _negative_number(a))
                                       for i, a in enumerate(args)], self.ODOT, self.DOT)
        if op == "sq":
            a = args[0]
            if _vector_like(a):
                inner = self.wrap(a, 2, strict=True)
                return f"{inner}{self.SELF_ODOT}{inner}"
            inner = self.p(a)
            if not isinstance(a, (Sym, Num)) or (isinstance(a, Num) and a.value < 0) or (
                    isinstance(a, Sym) and (a.sub or a.layer is not None)):
                inner = self.paren(inner)
            return inner + self.SQUARED
        if op == "neg":
            if isinstance(args[0], Sum):  # −Σₖ yₖ log oₖ
                return minus + self.p(args[0])
            return minus + self.wrap(args[0], _PREC["*"], lead=False)  # −0.5·log(0.5) is −(0.5·log(0.5))
        if op == "@":
            return " ".join(self.wrap(a, prec) for a in args)
        return self._op(op, args, prec)

    def _op(self, op: str, args: tuple[Node, ...], prec: int) -> str:
        """The operators each target writes its own way (/, ^, ᵀ, [1, v], …)."""
        raise NotImplementedError

    def product(self, args: Sequence[Node], parts: list[str], odot: str, dot: str) -> str:
        """Factors joined as the lecture writes them: ⊙ between two vectors; a scalar before a
        vector by juxtaposition (η G, 0.5 [[…]]); a written constant before a group with nothing
        between (2(o − y), 2λ); · between two numbers."""
        vectors = sum(_vector_like(a) for a in args)
        if vectors >= 2:
            return odot.join(parts)
        out = parts[0]
        for left, right, part in zip(args, args[1:], parts[1:]):
            exact = isinstance(left, Num) and left.exact and left.value > 0
            if exact and not isinstance(right, Num) and (
                    part.startswith("(") or part.startswith(r"\left(") or isinstance(right, (Sym, Call))):
                out += part  # 2(o − y), 2λ, 2√a
            elif vectors == 1 or (exact and not isinstance(right, Num)) or (
                    _indexed(right) and not isinstance(left, (Num, Partial))) or (
                    isinstance(right, Call) and (_indexed(left) or (isinstance(left, Op) and left.op in "+-"))):
                out += " " + part  # η G⁽ˡ⁾, 0.5 [[…]], w₁,₀⁽¹⁾ o₀⁽⁰⁾, (1 − β₁) g
            elif isinstance(left, Partial) and isinstance(right, Partial):
                out += " " + dot + " " + part
            else:
                out += dot + part
        return out

    def shown_terms(self, args: Sequence[Node]) -> list[int | None]:
        """The terms of a sum this printer shows, by position (None: "…" stands there): all of them
        up to ``max_terms``; else the zero terms are left out first (a non-zero term never gives way
        to a zero one), then the middle of the rest (the first ``max_terms`` − 5 and the last two).
        Each sum with terms left out is noted in ``elisions``: (terms, left out, zero ones left out)."""
        n = len(args)
        if n <= self.max_terms:
            return list(range(n))
        kept = [i for i, a in enumerate(args) if not _zero_term(a)]
        zeros = n - len(kept)
        shown: list[int | None] = [*kept, None]
        if len(kept) > self.max_terms:
            head = max(1, self.max_terms - 5)
            shown = [*kept[:head], None, *kept[-2:]]
        self.elisions.append((n, n - len(shown) + 1, zeros))
        return shown

    def note(self, eq: Equation) -> str:
        """The equation's note, its symbols (``note_syms``) printed where its {} stand."""
        if not eq.note_syms:
            return eq.note
        return self.words(eq.note, eq.note_syms)

    def words(self, text: str, syms: tuple["Node | LayerNo", ...]) -> str:
        """Words with symbols (a note's): each of ``syms`` printed where a {} of ``text`` stands."""
        words = text.split("{}")
        assert len(words) == len(syms) + 1, text
        return "".join(w + self.p(s) for w, s in zip(words, syms)) + words[-1]

    def ellipsis(self) -> str:
        return "…"


def _transposed(node: Node) -> Node:
    """``node`` written transposed: a symbol's ᵀ, an array's flag, else Op T."""
    if isinstance(node, Sym):
        return replace(node, T=True)
    if isinstance(node, Arr):
        return replace(node, row=True)
    return Op("T", (node,))


def _zero_term(node: Node) -> bool:
    """A term of a sum that is exactly 0 because a factor of it is (w·0 of a zero pixel or padding)."""
    if isinstance(node, Num):
        return node.value == 0
    if isinstance(node, Op) and node.op in ("*", "()"):
        return any(_zero_term(a) if isinstance(a, Op) and a.op == "()" else isinstance(a, Num) and a.value == 0
                   for a in node.args)
    return False


def _computed(node: Node) -> bool:
    """A number worked out along the way (a term's value), not one read off the board."""
    return isinstance(node, Num) and node.ref is None and not node.exact


def _negative_number(node: Node) -> bool:
    """A negative number: parenthesised as a factor, (−0.4)·0.5, as the lecture's worked examples do."""
    return isinstance(node, Num) and node.value < 0


def _indexed(node: Node) -> bool:
    """A symbol in the lecture's indexed notation (w₁,₀⁽¹⁾, δ⁽²⁾, yₖ): factors of them juxtapose."""
    return isinstance(node, Sym) and (node.layer is not None or bool(node.sub))


def _vector_like(node: Node) -> bool:
    if isinstance(node, Sym):
        return node.vector
    if isinstance(node, Arr):
        return True
    if isinstance(node, (Op, Call)):
        return any(_vector_like(a) for a in node.args)
    if isinstance(node, (Cases,)):
        return _vector_like(node.then) or _vector_like(node.other) or _vector_like(node.cond.a)
    if isinstance(node, Ind):
        return _vector_like(node.a)
    return False


def _braced(text: str) -> str:
    """A subscript the subscript characters cannot write, as text: ``_τ``, ``_τ′`` for one letter, else in braces,
    ``_{1,τ′}`` (as LaTeX groups it: ``α_1,τ′`` would read as α₁ followed by τ′)."""
    return "_" + (text if len(text.rstrip("′″")) == 1 else "{" + text + "}")


class TextPrinter(Printer):
    """Unicode text in the lecture's notation: the app's equation line and ``bptui trace``."""

    vec_limit = 8
    mat_limit = 6

    def _p_Sym(self, s: Sym, lecture: Sym | None = None) -> str:
        """``s`` as text; with a profile, its layer index as the profile writes ``lecture``'s."""
        base = s.base + {"hat": "\u0302", "tilde": "\u0303"}.get(s.accent, "")
        if s.group:  # w⁽¹⁾_{f,2,0}, s⁽¹⁾_{τ,g,1}: the layer first, then τ and the indices as one group
            if s.layer is not None:
                base = self._layered(base, f"({s.layer})".translate(_SUP) if lecture is None else self.layer(lecture))
            parts = [str(i) for i in ((s.time,) if s.time is not None else ()) + tuple(s.sub)]
            if s.layer is None and s.time is None and len(parts) == 1:  # a gate's δ_r in a note: as _τ is written
                return base + _braced(parts[0]) + ("ᵀ" if s.T else "")
            return base + ("_{" + ",".join(parts) + "}" if parts else "") + ("ᵀ" if s.T else "")
        if s.time is not None:  # s⁽¹⁾_τ, s⁽¹⁾_{τ,b}, s⁽¹⁾₃,₂: the layer first, then time and unit
            if s.layer is not None:
                base = self._layered(base, f"({s.layer})".translate(_SUP) if lecture is None else self.layer(lecture))
            parts = [str(i) for i in (s.time, *s.sub)]
            if all(ch in _SUB_CHARS for part in parts for ch in part):
                base += ",".join("".join(_SUB_CHARS[ch] for ch in part) for part in parts)
            else:
                base += _braced(",".join(parts))
            return base + ("ᵀ" if s.T else "")
        if s.sub:
            parts = [str(i) for i in s.sub]
            if all(ch in _SUB_CHARS for part in parts for ch in part):
                base += ",".join("".join(_SUB_CHARS[ch] for ch in part) for part in parts)
            else:  # α_{1,τ′}, e_τ: a subscript of more than one character in braces (α_1,τ′ reads as α₁, τ′)
                base += _braced(",".join(parts))
        if s.layer is not None:
            base = self._layered(base, f"({s.layer})".translate(_SUP) if lecture is None else self.layer(lecture))
        return base + ("ᵀ" if s.T else "")

    def _layered(self, base: str, index: str) -> str:
        """``base`` with its layer ``index``; a symbol that is a power itself (the variance σ²) in parentheses
        before a plain superscript layer index, so that its layer reads as no power: (σ²)², not σ²²."""
        if index[:1] in _SUPERSCRIPTS and base[-1:] in _SUPERSCRIPTS:
            return f"({base}){index}"
        return base + index

    def _p_Num(self, n: Num) -> str:
        if n.exact:
            return n.spelled or const_text(n.value)
        if (shown := probability_text(n, self.digits + n.extra)) is not None:
            return ("1 − " if shown[0] else "") + minus_signs(shown[1])
        if n.ln is not None and (small := below_floats(n, self.digits + n.extra)) is not None:
            return minus_signs(small)
        return num(n.value, self.digits + n.extra, n.form)  # alone: the form at its digits (notation.number_form)

    def _p_Hidden(self, h: Hidden) -> str:
        return "?" if h.label is None else blank_text(h.label, h.first)

    def _row(self, v: np.ndarray, hide: int | None, limit: int, blanks: Mapping[int, str] | None = None,
             extra: int = 0, form: str | None = None) -> str:
        n = len(v)
        if n <= limit:
            return self._joined(self._cells(v, hide, blanks, extra, form=form), hide, limit)
        # a long row shows its first limit − 2 entries and its last two: only those are formatted
        # (every entry of a 785-wide W row at each update step cost 8 ms on 784-128-10)
        head = self._cells(v[: limit - 2], hide, blanks, extra, form=form)
        tail = self._cells(v[n - 2:], hide, blanks, extra, start=n - 2, form=form)
        return self._joined(head + [""] * (n - limit) + tail, hide, limit)

    def _cells(self, v: np.ndarray, hide: int | None, blanks: Mapping[int, str] | None = None,
               extra: int = 0, start: int = 0, form: str | None = None) -> list[str]:
        """A vector's entries as printed (``v`` begins at entry ``start``): ? for the quiz's
        question, a blank's label, else the number (with the vector's ``extra`` digits, in the
        array's one ``form``: :func:`array_form`)."""
        blanks = blanks or {}
        digits = self.digits + extra
        entries = v.tolist() if isinstance(v, np.ndarray) else v  # floats: num formats them alike, faster
        if hide is None and not blanks:
            return [num(x, digits, form) for x in entries]
        return ["?" if i == hide else blanks[i] if i in blanks else num(x, digits, form)
                for i, x in enumerate(entries, start)]

    def _joined(self, cells: list[str], hide: int | None, limit: int) -> str:
        if len(cells) <= limit:
            return "[" + ", ".join(cells) + "]"
        hidden_note = ""
        if hide is not None and limit - 2 <= hide < len(cells) - 2:
            hidden_note = ", ?"
        return "[" + ", ".join(cells[: limit - 2]) + f", …{hidden_note}, " + ", ".join(cells[-2:]) + \
            f"] ({len(cells)} values)"

    def _p_Arr(self, a: Arr, form: str | None = None) -> str:
        """A vector, a matrix or a feature map, every entry in one form (``form``: a whole feature map's,
        for one of its channels; else the array's own, :func:`array_form`)."""
        v = a.values
        form = form or _arr_form(a, self.digits)
        if v.ndim >= 3:  # a feature map: one matrix per channel (a kernel: per output, then input channel)
            hid = a.hidden
            parts = []
            for c in range(min(len(v), 4)):
                inner = (hid[1:] if hid is not None and hid[0] == c else None)
                per_channel = tuple((i[1:], n, f) for i, n, f in a.blanks if i[0] == c)
                small = tuple((i[1:], ln, neg) for i, ln, neg in a.small if i[0] == c)
                parts.append(self._p_Arr(Arr(v[c], hidden=inner, blanks=per_channel, extra=a.extra, small=small), form))
            more = f", … ({len(v)} channels)" if len(v) > 4 else ""
            return "[" + ", ".join(parts) + more + "]"
        exact = {index: minus_signs(text) for index, text in small_texts(a, self.digits + a.extra).items()}
        if v.ndim == 1:
            hide = a.hidden[0] if a.hidden is not None else None
            blanks = {index[0]: text for index, text in exact.items()}  # an entry past the floats: its own text
            blanks.update({index[0]: blank_text(label, first) for index, label, first in a.blanks})
            text = self._row(v, hide, self.vec_limit, blanks, a.extra, form)
            return text + "ᵀ" if a.row else text
        rows = []
        for i, r in enumerate(v[: self.mat_limit]):
            hide = a.hidden[1] if a.hidden is not None and a.hidden[0] == i else None
            marks = {index[1]: text for index, text in exact.items() if index[0] == i}
            marks.update({index[1]: blank_text(label, first) for index, label, first in a.blanks if index[0] == i})
            rows.append(self._row(r, hide, self.mat_limit, marks, a.extra, form))
        body = ", ".join(rows)
        if len(v) > self.mat_limit:
            hidden = a.hidden is not None and a.hidden[0] >= self.mat_limit
            return f"[{body}, …{', ?' if hidden else ''}] ({v.shape[0]}×{v.shape[1]})"
        return f"[{body}]"

    def _op(self, op: str, args: tuple[Node, ...], prec: int) -> str:
        if op == "/":
            return f"{self.wrap(args[0], prec)}/{self.wrap(args[1], prec, strict=True, lead=False)}"
        if op == "^":
            base = self.wrap(args[0], prec, strict=True)
            e = args[1]
            if isinstance(e, Num) and e.exact and float(e.value).is_integer() and 0 <= e.value < 10:
                return base + str(int(e.value)).translate(_SUP)
            if isinstance(e, Sym) and not e.sub and e.layer is None and e.base in ("t", "n"):
                return base + e.base.translate(_SUP_LETTERS)
            exponent = self.p(e)
            return f"{base}^{exponent if self.prec(e) == ATOM and ' ' not in exponent else self.paren(exponent)}"
        if op == "outer" and self.row_vectors:  # a ⊗ b written with rows: aᵀ b
            return f"{self.wrap(_transposed(args[0]), prec)} {self.wrap(args[1], prec)}"
        if op == "outer":
            right = self.wrap(args[1], ATOM)
            if isinstance(args[1], Arr):
                return f"{self.wrap(args[0], prec)} {right}ᵀ"
            return f"{self.wrap(args[0], prec)} {right}ᵀ"
        if op == "cat1":
            return f"[1, {self.p(args[0])}]"
        if op == "hcat":
            return "[" + " │ ".join(self.p(a) for a in args) + "]"
        if op == "vcat":
            return "[" + "; ".join(self.p(a) for a in args) + "]"
        if op == "cat":
            if all(isinstance(a, Arr) and a.values.ndim == 1 and not a.row for a in args):
                # numbers: one flat vector, [1, x_τ, o_{τ−1}] as [1, 0, 0, 0, 0, 0], in one form
                parts = [a for a in args if isinstance(a, Arr)]
                whole = Arr(np.concatenate([a.values for a in parts]))
                at0 = np.cumsum([0] + [len(a.values) for a in parts])
                whole = replace(whole, blanks=tuple(((int(at0[k] + i[0]),), 0, False)
                                                    for k, a in enumerate(parts) for i, _, _ in a.blanks),
                                hidden=next(((int(at0[k] + a.hidden[0]),) for k, a in enumerate(parts)
                                             if a.hidden is not None), None))
                form = _arr_form(whole, self.digits)
                cells: list[str] = []
                hide: int | None = None
                for a in parts:
                    at = a.hidden[0] if a.hidden is not None else None
                    if at is not None:
                        hide = len(cells) + at
                    cells += self._cells(a.values, at, {i[0]: blank_text(label, first) for i, label, first in a.blanks},
                                         a.extra, form=form)
                return self._joined(cells, hide, self.vec_limit)
            return "[" + ", ".join(self.p(a) for a in args) + "]"
        if op == "drop0":  # o⁽¹⁾[1:], (W⁽²⁾ᵀ δ⁽²⁾)[1:]
            return self.wrap(args[0], ATOM) + "[1:]"
        if op == "T":
            return self.wrap(args[0], ATOM) + "ᵀ"
        if op == "()":
            return self.paren(self.p(args[0]))
        if op in MAP_OPS:
            m = MAP_OPS[op]
            return m.text.format(*(self.wrap(a, 2) for a in args[:m.shown]))
        raise ValueError(op)  # pragma: no cover

    def _p_Call(self, c: Call) -> str:
        fn = FUNCTIONS[c.fn]
        if c.fn == "exp":
            arg = c.args[0]
            inner = self.p(arg)
            bare = (isinstance(arg, Sym) and not arg.sub and arg.layer is None) or (
                isinstance(arg, Num) and arg.value >= 0)
            return f"e^{inner if bare else self.paren(inner)}"
        if c.fn == "sqrt":
            arg = c.args[0]
            return "√" + (self.p(arg) if self.prec(arg) == ATOM else self.paren(self.p(arg)))
        if c.fn == "abs":
            return f"|{self.p(c.args[0])}|"
        return f"{fn.text}({', '.join(self.p(a) for a in c.args[:fn.shown])})"

    def _p_Ind(self, i: Ind) -> str:
        return f"1[{self.p(i.a)} {i.rel} {self.p(i.b)}]"

    def _p_Cases(self, c: Cases) -> str:
        cond = c.cond
        return f"({self.p(c.then)} if {self.p(cond.a)} {cond.rel} {self.p(cond.b)} else {self.p(c.other)})"

    def _p_Sum(self, s: Sum) -> str:
        idx = "".join(_SUB_CHARS.get(ch, "") for ch in s.index)
        head = f"Σ{idx}" if len(idx) == len(s.index) else "Σ" + _braced(s.index)
        body = self.wrap(s.body, 2)
        return f"{head} {body}"

    def _p_Partial(self, p: Partial) -> str:
        if p.prefixed and self.notation is not None and HOLE in self.notation.gradient.text:
            return self.notation.gradient.text.replace(HOLE, self.p(p.bottom))
        return f"∂{self.p(p.top)}/∂{self.p(p.bottom)}"

    def elides(self, a: Arr) -> bool:
        v = a.values
        if v.ndim == 1:
            return len(v) > self.vec_limit
        return v.shape[0] > self.mat_limit or v.shape[1] > self.mat_limit

    def equation(self, eq: Equation, limit: int | None = None) -> str:
        """``eq`` as a line; ``limit``: a reader shows at most that many characters, and the line is
        its whole text's beginning as far as the form that reaches it (no form after it is printed)."""
        eq = self.planned(eq)
        text = f"{self.p(eq.lhs)} {eq.rel} "
        if limit is not None:
            for i, f in enumerate(eq.forms):
                text += (" = " if i else "") + self.p(f)
                if len(text) >= limit:
                    return text
        else:
            text += " = ".join(self.p(f) for f in eq.forms)
        return text + (f"   ({self.note(eq)})" if eq.note else "")

    def chain(self, eq: Equation) -> list[str]:
        """The equation one form a line, the ``=`` signs aligned (explanations)."""
        eq = self.planned(eq)
        lhs = self.p(eq.lhs)
        pad = " " * len(lhs)
        lines = [f"{lhs} {eq.rel} {self.p(eq.forms[0])}"]
        lines += [f"{pad} = {self.p(f)}" for f in eq.forms[1:]]
        if eq.note:
            lines[0] += f"   ({self.note(eq)})"
        return lines


class LatexPrinter(Printer):
    """LaTeX math (amsmath): ``bptui export``'s Markdown and LaTeX documents."""

    MINUS, ODOT, DOT, SQUARED, SELF_ODOT = "-", r" \odot ", r" \cdot ", "^{2}", r" \odot "

    limit = 6  # rows or columns shown before eliding the middle
    # characters of each blank's answer as the key shows it (label → count): its line is as long, or BLANK_WIDTH
    blank_widths: Mapping[int, int] = {}

    def _blank(self, label: int, first: bool) -> str:
        return blank_text(label, first, latex=True, width=max(BLANK_WIDTH, self.blank_widths.get(label, 0)))

    def _num(self, x: float, extra: int = 0, form: str | None = None) -> str:
        """A number with the printer's digits and ``extra`` more, in ``form`` (its array's: :func:`array_form`)."""
        x = float(x)
        if x == 0:
            return "0"
        if not math.isfinite(x):
            return r"\mathrm{nan}" if math.isnan(x) else (r"\infty" if x > 0 else r"-\infty")
        return self._g(g_text(x, self.digits + extra, form or number_form(x, self.digits + extra)))

    @staticmethod
    def _g(text: str) -> str:
        """A number as ``%g`` writes it, in LaTeX: 1.5e-07 → 1.5 \\times 10^{-7}."""
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa} \\times 10^{{{int(exp)}}}"
        return text

    def _name(self, base: str) -> str:
        if base == "ℓ_D":
            return r"\ell_{\mathcal{D}}"
        if len(base) == 1 or not base.isascii():  # δ, β₁: LaTeX's own letters (one table: util.escape)
            return latex_math(base).strip()
        return r"\mathit{" + base.replace("_", r"\_") + "}"

    SYMBOL = "latex"  # which of a profile's Symbol fields this printer writes

    def _p_Sym(self, s: Sym, lecture: Sym | None = None) -> str:
        base = s.latex or self._name(s.base)
        if s.accent == "hat":
            base = rf"\hat{{{base}}}"
        elif s.accent == "tilde":
            base = rf"\tilde{{{base}}}"
        sub = ("_{" + ",".join(latex_math(str(i)).strip() for i in s.sub) + "}") if s.sub else ""
        sup_parts = []
        if s.layer is not None:
            sup_parts.append(f"({s.layer})" if lecture is None or self.notation is None or lecture.base == "ℓ"
                             else self.notation.layer_latex(s.layer))
        if s.T:
            sup_parts.append("T")
        # a plain layer index and T apart (w^{l+1\,T}); (l)T and [l]T are apart already
        joint = r"\," if lecture is not None and self.notation is not None and self.notation.layer_index == "plain" else ""
        sup = ("^{" + joint.join(sup_parts) + "}") if sup_parts else ""
        if "_" in base and sub:  # \beta_1 with a subscript: group it
            base = "{" + base + "}"
        if s.layer is not None and joint and _POWER.search(base):  # a power itself (\sigma^2, not a δʰ's ^{h}) before
            # a plain layer index:
            base = "(" + base + ")"  # in parentheses, as the text's (σ²)²
        if s.time is not None or (s.group and s.sub):  # s^{(1)}_{\tau,b}: the layer first, then time and unit
            parts = [latex_math(str(i)).strip() for i in ((s.time,) if s.time is not None else ()) + tuple(s.sub)]
            return base + sup + "_{" + ",".join(parts) + "}"
        return base + sub + sup

    def _p_Num(self, n: Num) -> str:
        if n.exact:
            if n.spelled == "½":
                return r"\tfrac{1}{2}"
            return self._g(f"{n.value:.12g}")  # (1e-08: 1 \times 10^{-8}, as every other number)
        if (shown := probability_text(n, self.digits + n.extra)) is not None:
            return ("1 - " if shown[0] else "") + self._g(shown[1])
        if n.ln is not None and (small := below_floats(n, self.digits + n.extra)) is not None:
            return self._g(small)
        return self._num(n.value, n.extra, n.form)

    def _p_Hidden(self, h: Hidden) -> str:
        return "?" if h.label is None else self._blank(h.label, h.first)

    def _keep(self, n: int) -> list[int | None]:
        if n <= self.limit:
            return list(range(n))
        return list(range(self.limit - 2)) + [None, n - 1]

    def _p_Arr(self, a: Arr, form: str | None = None) -> str:
        """A vector, a matrix or a feature map's matrices, every entry in one form (as the text's)."""
        m = a.values
        hidden = a.hidden
        form = form or _arr_form(a, self.digits)
        if m.ndim >= 3:  # a feature map: its channels' matrices side by side
            parts = [self._p_Arr(Arr(m[c], hidden=hidden[1:] if hidden is not None and hidden[0] == c else None,
                                     blanks=tuple((i[1:], n, f) for i, n, f in a.blanks if i[0] == c),
                                     extra=a.extra, small=tuple((i[1:], ln, neg) for i, ln, neg in a.small if i[0] == c)),
                                 form)
                     for c in range(min(len(m), 4))]
            return r",\; ".join(parts) + (r",\; \ldots" if len(m) > 4 else "")
        blanks = {index: self._g(text) for index, text in small_texts(a, self.digits + a.extra).items()}  # past the floats
        blanks.update({index: self._blank(label, first) for index, label, first in a.blanks})
        if m.ndim == 1:
            row = a.row != self.row_vectors  # with row vectors, the flag means a column
            m = m.reshape(1, -1) if row else m.reshape(-1, 1)
            if hidden is not None:
                hidden = (0, hidden[0]) if row else (hidden[0], 0)
            blanks = {((0, i[0]) if row else (i[0], 0)): text for i, text in blanks.items()}
        rows = []
        for i in self._keep(m.shape[0]):
            cells = []
            for j in self._keep(m.shape[1]):
                if i is None:
                    cells.append(r"\vdots" if j is not None else r"\ddots")
                elif j is None:
                    cells.append(r"\cdots")
                else:
                    cells.append("?" if hidden == (i, j) else blanks.get((i, j)) or self._num(m[i, j], a.extra, form))
            rows.append(" & ".join(cells))
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)" if r"\begin" in text or r"\frac" in text else f"({text})"

    def _op(self, op: str, args: tuple[Node, ...], prec: int) -> str:
        if op == "/":
            return rf"\frac{{{self.p(args[0])}}}{{{self.p(args[1])}}}"
        if op == "^":
            return f"{self.wrap(args[0], prec, strict=True)}^{{{self.p(args[1])}}}"
        if op == "outer" and self.row_vectors:  # a ⊗ b written with rows: a^T b
            return f"{self.wrap(_transposed(args[0]), prec)} {self.wrap(args[1], prec)}"
        if op == "outer":
            right = args[1]
            if isinstance(right, Arr):
                return f"{self.wrap(args[0], prec)} {self.p(replace(right, row=True))}"
            rt = self.p(right)
            if isinstance(right, Sym):
                rt = self.p(replace(right, T=True))
                return f"{self.wrap(args[0], prec)} {rt}"
            return f"{self.wrap(args[0], prec)} {rt}^T"
        if op == "hcat":
            return r"\left[" + r" \;\middle|\; ".join(self.p(a) for a in args) + r"\right]"
        if op == "vcat":
            return r"\begin{bmatrix}" + r" \\ ".join(self.p(a) for a in args) + r"\end{bmatrix}"
        if op in ("cat1", "cat"):
            parts = (ONE, *args) if op == "cat1" else args
            joined = self._joined(parts)
            if joined is not None:
                return joined
            cells: list[str] = []
            for a in parts:
                entries = self._entries(a)
                cells += entries if entries is not None else [self.p(a)]
            return self._column(cells)
        if op == "drop0":  # {o^{(1)}}_{1:}, \left(W^{(2)\top} δ^{(2)}\right)_{1:}
            a = args[0]
            return f"{{{self.p(a)}}}_{{1:}}" if isinstance(a, Sym) else rf"\left({self.p(a)}\right)_{{1:}}"
        if op == "T":
            a = args[0]
            if isinstance(a, Sym):
                return self.p(replace(a, T=True))
            return self.wrap(a, ATOM) + "^T"
        if op == "()":  # a fraction is a group of its own in LaTeX
            grouped = args[0]
            return self.p(grouped) if isinstance(grouped, Op) and grouped.op == "/" else self.paren(self.p(grouped))
        if op in MAP_OPS:
            m = MAP_OPS[op]
            return m.latex.format(*(self.wrap(a, 2) for a in args[:m.shown]))
        raise ValueError(op)  # pragma: no cover

    _ELEMENTWISE = frozenset(FUNCTIONS) - {"softmax", "softmax_rows", "diag", "max", "min"}

    def _joined(self, parts: Sequence[Node]) -> str | None:
        """[a, b, …] of column vectors of numbers (a recurrent layer's [1, x_τ, o_{τ−1}], [1, σ(s)]) as one
        column, every number in the joined vector's one form (:func:`array_form` over all its parts' numbers,
        as the text writes it), cut as an array is; None unless every part is a constant, a column of
        numbers or a function applied to one (:meth:`_entries`)."""
        columns: list[Arr] = []
        for a in parts:
            if isinstance(a, Call) and self._entries(a) is not None:
                a = a.args[0]
            if isinstance(a, Num) and a.exact:  # [1, …]'s 1, written as it is: it does not decide the form
                a = Arr(np.zeros(1))
            if not (isinstance(a, Arr) and a.values.ndim == 1 and not a.row):
                return None
            columns.append(a)
        at = np.cumsum([0] + [len(a.values) for a in columns])
        whole = Arr(np.concatenate([np.asarray(a.values, dtype=float) for a in columns]),
                    hidden=next(((int(at[k] + a.hidden[0]),) for k, a in enumerate(columns) if a.hidden is not None), None),
                    blanks=tuple(((int(at[k] + i[0]),), 0, False) for k, a in enumerate(columns) for i, _, _ in a.blanks))
        form = _arr_form(whole, self.digits)
        cells: list[str] = []
        for a, column in zip(parts, columns):
            if isinstance(a, Num):
                cells.append(self.p(a))
            elif isinstance(a, Call):
                cells += self._entries(a, form) or []
            else:
                blanks = {index[0]: self._blank(label, first) for index, label, first in column.blanks}
                hide = column.hidden[0] if column.hidden is not None else None
                cells += ["?" if i == hide else blanks.get(i) or self._num(x, column.extra, form)
                          for i, x in enumerate(column.values.tolist())]
        keep = self._keep(len(cells))
        return self._column([r"\vdots" if i is None else cells[i] for i in keep])

    def _entries(self, node: Node, form: str | None = None) -> list[str] | None:
        """A function applied to a column vector of numbers, written entry by entry
        (σ(0.1), σ(−0.2) …), as a list of entries; None for anything else. ``form``: the numbers' one
        form (a joined vector's: :meth:`_joined`), else the column's own."""
        if isinstance(node, Call) and node.fn in self._ELEMENTWISE and len(node.args[:FUNCTIONS[node.fn].shown]) == 1:
            arg = node.args[0]
            if isinstance(arg, Arr) and arg.values.ndim == 1 and not arg.row and len(arg.values) <= self.limit:
                blanks = {index[0]: Hidden(None, label) for index, label, _ in arg.blanks}  # a blank stays one
                form = form or _arr_form(arg, self.digits)  # the column's entries in one form
                return [self.p(Call(node.fn, (blanks.get(i) or Num(float(x), extra=arg.extra, form=form),
                                              *node.args[1:])))
                        for i, x in enumerate(arg.values)]
        return None

    def _column(self, entries: list[str]) -> str:
        return r"\begin{bmatrix} " + r" \\ ".join(entries) + r" \end{bmatrix}"

    def _p_Call(self, c: Call) -> str:
        fn = FUNCTIONS[c.fn]
        entries = self._entries(c)
        if entries is not None:
            return self._column(entries)
        args = [self.p(a) for a in c.args[:fn.shown]]
        if c.fn == "exp":
            return f"e^{{{args[0]}}}"
        if c.fn == "sqrt":
            return rf"\sqrt{{{args[0]}}}"
        if c.fn == "abs":
            return rf"\left|{args[0]}\right|"
        return fn.latex + self.paren(", ".join(args))

    _REL = {">": ">", "≥": r"\geq", "<": "<", "≤": r"\leq", "=": "="}

    def _p_Ind(self, i: Ind) -> str:
        return rf"\mathbb{{1}}[{self.p(i.a)} {self._REL[i.rel]} {self.p(i.b)}]"

    def _p_Cases(self, c: Cases) -> str:
        cond = c.cond
        return (rf"\begin{{cases}} {self.p(c.then)} & {self.p(cond.a)} {self._REL[cond.rel]} {self.p(cond.b)} \\ "
                rf"{self.p(c.other)} & \text{{otherwise}} \end{{cases}}")

    def _p_Sum(self, s: Sum) -> str:
        return rf"\sum_{{{latex_math(s.index).strip()}}} {self.wrap(s.body, 2)}"

    def _p_Partial(self, p: Partial) -> str:
        if p.prefixed and self.notation is not None and HOLE in self.notation.gradient.text:
            return "{" + self.notation.gradient.latex.replace(HOLE, self.p(p.bottom)) + "}"  # one group: a ᵀ after it
        return rf"\frac{{\partial {self.p(p.top)}}}{{\partial {self.p(p.bottom)}}}"

    def ellipsis(self) -> str:
        return r"\cdots"

    def elides(self, a: Arr) -> bool:
        return max(a.values.shape or (0,)) > self.limit

    def rows(self, eq: Equation) -> list[tuple[str, str, str]]:
        """(lhs or '', relation, form) per line: the equation one ``=`` a line, for ``aligned``."""
        eq = self.planned(eq)
        rel = r"\leftarrow" if eq.rel == "←" else "="
        out = [(self.p(eq.lhs), rel, self.p(eq.forms[0]))]
        out += [("", "=", self.p(f)) for f in eq.forms[1:]]
        if eq.note:
            out[-1] = out[-1][:2] + (out[-1][2] + self.note_after(eq),)
        return out

    def note_after(self, eq: Equation) -> str:
        """``eq``'s note in LaTeX after its last form, as the text prints it after its line (``(o⁽¹⁾ held in
        floats as [0])``, ``(summed over τ)``): its words as text, its symbols (``note_syms``) in math where
        its {} stand, so the export says what the app's line says."""
        return r" \quad \text{(}" + self.words(eq.note, eq.note_syms) + r"\text{)}"

    def words(self, text: str, syms: tuple["Node | LayerNo", ...]) -> str:
        """Words with symbols in math (a note's): the words as text (``latex_text``: τ as ``$\tau$``), each of
        ``syms`` printed where a {} of ``text`` stands."""
        words = text.split("{}")
        assert len(words) == len(syms) + 1, text
        return "".join((rf"\text{{{latex_text(w, line=True)}}}" if w else "") + self.p(s)
                       for w, s in zip(words, syms)) + (rf"\text{{{latex_text(words[-1], line=True)}}}"
                                                        if words[-1] else "")


def text(node_or_eq: Node | Equation, digits: int = 4) -> str:
    """A node or an equation as Unicode text."""
    printer = TextPrinter(digits)
    if isinstance(node_or_eq, Equation):
        return printer.equation(node_or_eq)
    return printer.p(node_or_eq)


def latex(node: Node, digits: int = 4) -> str:
    return LatexPrinter(digits).p(node)


def join_text(eqs: Sequence[Equation], digits: int = 4, sep: str = "; ") -> str:
    printer = TextPrinter(digits)
    return sep.join(printer.equation(e) for e in eqs)


def substitute(node: Node, mapping: dict) -> Node:
    """``node`` with every subtree that is a key of ``mapping`` replaced by its value (top-down):
    the symbolic form becomes the form with the numbers filled in, node for node. Only a node of a kind
    some key is (a Sym, mostly) is looked up: a node equals only one of its own class, and looking up an
    operator hashes its whole subtree (each level again, on the way down)."""
    keyed = {type(k) for k in mapping}

    def swap(n: Node) -> Node:
        if type(n) not in keyed:
            return n
        try:
            return mapping.get(n, n)
        except TypeError:
            return n
    return _rebuild(node, swap)


def adjoint_sym(name: str) -> Sym:
    """g_a: the adjoint of graph node ``name`` (the lecture's worked example writes g_a = ∂f/∂a)."""
    latex = name if len(name) == 1 else r"\mathit{" + name.replace("_", r"\_") + "}"
    return Sym(f"g_{name}", latex=f"g_{{{latex}}}")

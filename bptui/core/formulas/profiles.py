"""Notation profiles: how a course names and writes the quantities of a network, as data.

A profile never changes a number: the network file's loss, η and update mode decide every value.
It decides how the printers (:mod:`bptui.core.formulas.formula`) write the shared quantities —
their symbols, the layer index ((l), [l] or a plain superscript), the first unit's number — and how
the dense equations (:mod:`bptui.core.engine.equations`) group them: the bias as column 0 of W
(with the 1 on top of o) or a vector b of its own, a group's gradient as a sum G or a mean G/m.

The shipped profiles are :data:`PROFILES`; a course's own is a JSON file
(``core/schemas/notation-schema.json``) read by :func:`load_profile`, which names the file and the
place of a mistake as a network file's errors do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable

from ..util.errors import SpecError

# the shared quantities, in the order the manual's table lists them, with the letter the lecture's
# formula trees carry for each (the ``base`` of its Sym)
QUANTITIES = ("pre_activation", "activation", "delta", "gradient", "weights", "bias", "loss", "learning_rate")
LECTURE_BASE = {"pre_activation": "s", "activation": "o", "delta": "δ", "gradient": "G", "weights": "W",
                "bias": "b", "loss": "ℓ", "learning_rate": "η"}
HOLE = "{}"  # in a gradient's symbol: where the parameter goes (∂C/∂{} → ∂C/∂w², ∂C/∂b²)


@dataclass(frozen=True)
class Symbol:
    text: str  # as the app and ``trace`` print it (Unicode)
    latex: str  # as ``export`` writes it (LaTeX math)

    def primed(self) -> "Symbol":
        """The symbol with a prime: a last resort where a course's profile takes every alternative."""
        return Symbol(self.text + "′", "{" + self.latex + "}'")


@dataclass(frozen=True)
class Profile:
    name: str
    pre_activation: Symbol
    activation: Symbol
    delta: Symbol
    gradient: Symbol  # with HOLE for the parameter (∂C/∂{}, d{}), or a letter of its own (G)
    weights: Symbol
    bias: Symbol
    loss: Symbol
    learning_rate: Symbol
    bias_mode: str = "column0"  # "column0" | "separate"
    vectors: str = "column"  # "column" | "row"
    layer_index: str = "paren"  # "paren" | "bracket" | "plain"
    unit_base: int = 1  # the first unit's number
    gradient_mode: str = "sum"  # "sum" | "mean"
    input_layer: int = 0  # the input layer's number (nielsen's a¹ is the input)
    description: str = ""
    source: str = ""  # a course's profile: its file (absolute), which a saved network file names
    example_index: str = "paren"  # a per-example loss's example: "paren" ℓ⁽ⁿ⁾ | "sub" C_n (nielsen's C_x)
    # an optimizer's or a kind's letters as the course writes them, keyed "owner:letter" (a Sym's ``own``), each
    # with its alternatives: the first the profile's own symbols leave free (as CLASHES settles a clash)
    letters: tuple[tuple[str, tuple[Symbol, ...]], ...] = ()
    # how momentum's velocity is written (optim.VELOCITIES): "sum_of_gradients", v ← μ v + g and W ← W − η v
    # (PyTorch's, the lecture's), or "step", v ← μ v − η g and W ← W + v (goodfellow's Algorithm 8.2), whose v
    # is −η times the other: other numbers for the same update
    velocity: str = "sum_of_gradients"
    # the per-example loss's symbol where the course writes it apart from the cost (ng's ℒ(ŷ, y) beside his cost
    # J = (1/m) Σ ℒ); None: the loss's own (the lecture's ℓ⁽ⁿ⁾ beside ℓ_D, nielsen's C_x beside C)
    example_loss: Symbol | None = None
    # the data set's loss where the course's own letter is the whole data set's cost (ng's J = (1/m) Σ ℒ, written
    # J, not J_D; nielsen's C = (1/n) Σₓ Cₓ; cs231n's L = (1/N) Σᵢ Lᵢ); None: the loss's letter with the data
    # set's D (ℓ_D, goodfellow's J_D) (:attr:`data_loss`); a course's file: ``symbols.cost``
    cost: Symbol | None = None
    # the letter an explanation's Σ over a layer's inputs runs over (Σₐ w_b,a o_a, nielsen's w_jk a_k): the
    # first of it and SUM_LETTERS that none of the profile's symbols takes (:attr:`sum_letter`)
    sum_index: str = "a"

    @property
    def sum_letter(self) -> str:
        """The index of a sum over a layer's inputs as this profile writes it: :attr:`sum_index`, or the first
        of :data:`SUM_LETTERS` its symbols leave free (a course whose activation is a)."""
        return self.sum_letter_besides(())

    def sum_letter_besides(self, taken: tuple[str, ...]) -> str:
        """:attr:`sum_letter` where a kind's own letters ``taken`` are written too (attention's q, k, v)."""
        used = {s.text for s in self.renames().values()} | self._used() | set(taken)
        return next(c for c in (self.sum_index, *SUM_LETTERS) if c not in used)

    @property
    def per_example_loss(self) -> Symbol:
        """How one example's loss is written (ℓ⁽ⁿ⁾'s letter): :attr:`example_loss`, or the loss's own symbol."""
        return self.example_loss if self.example_loss is not None else self.loss

    @property
    def data_loss(self) -> Symbol:
        """How the data set's (a group's) loss ℓ_D is written, by every view, ``trace`` and ``export``: the course's
        :attr:`cost` (ng's J = (1/m) Σ ℒ is the data set's already: J, not J_D), else the loss's letter with the
        data set's D (ℓ_D, goodfellow's J_D)."""
        if self.cost is not None:
            return self.cost
        return Symbol(self.loss.text + "_D", "{" + self.loss.latex + r"}_{\mathcal{D}}")

    @property
    def separate_bias(self) -> bool:
        return self.bias_mode == "separate"

    @property
    def mean(self) -> bool:
        return self.gradient_mode == "mean"

    @property
    def transposed(self) -> bool:
        """Whether this profile shows a weight matrix transposed (its weights' part, :data:`PARTS`): row
        vectors' W is D × C, a row per input k and a column per unit j (cs231n), so an entry is named as it
        stands there, its input first: w_k,j (a gate's or a matrix's name before them: w_Q,k,j)."""
        return self.parts("W")[0] == "W.T"

    def symbol(self, quantity: str) -> Symbol:
        return getattr(self, quantity)

    def renames(self) -> dict[str, Symbol]:
        """The lecture's letter → this profile's symbol, for every shared quantity but the gradient
        (whose symbol may hold its parameter), with a weight's own letter (w for W's entries) and
        the group's loss ℓ_D."""
        out = {LECTURE_BASE[q]: self.symbol(q) for q in QUANTITIES if q != "gradient"}
        w = self.weights
        out["w"] = Symbol(w.text.lower(), w.latex.lower()) if len(w.text) == 1 and w.latex.isalpha() else w
        out["ℓ_D"] = self.data_loss
        g = self.gradient  # a block's ∂ℓ/∂x with the profile's gradient prefix (cs231n's and ng's dx), as Partial.prefixed
        out["∂ℓ/∂x"] = (Symbol(g.text.replace(HOLE, "x"), "{" + g.latex.replace(HOLE, "x") + "}") if HOLE in g.text else
                        Symbol("∂" + self.loss.text + "/∂x", r"\partial " + self.loss.latex + r"/\partial x"))  # a block's
        out["δʰ"] = self.delta_h()
        out.update(self.clashes())
        out.update(self.own_letters())
        first = out.get("adam:m")
        if first is not None and first.text != "m":  # Adam's first moment in a letter of the course's (ng's v):
            out["adam:|B|"] = Symbol("m", "m")  # the group's size is m again (engine/equations.group_symbol)
        return out

    def delta_h(self) -> Symbol:
        """A GRU's δʰ = [δ_r, δ_z, r ⊙ δ_n] (what reaches U's product) in this profile: its δ with the h on top,
        ng's dzʰ, cs231n's dscoresʰ, goodfellow's gʰ. Not ng's dh nor cs231n's dnext_h: their dX is ∂J/∂X, and
        δʰ is no gradient of h (∂J/∂h is a step of its own); a gradient of the stacked pre-activations, as
        cs231n's LSTM writes da for its a = x Wx + prev_h Wh + b."""
        d = self.delta
        return Symbol(d.text + "ʰ", "{" + d.latex + "^{h}}")

    def _used(self) -> set[str]:
        return {self.symbol(q).text for q in QUANTITIES} | {self.weights.text.lower()}

    def own_letters(self) -> dict[str, Symbol]:
        """An optimizer's or a kind's letters as this course writes them (``letters``: goodfellow's Adam s
        and r), each the first alternative its shared symbols leave free."""
        used = self._used()
        return {key: next((alt for alt in alts if alt.text not in used), alts[-1].primed()) for key, alts in self.letters}

    def clashes(self) -> dict[str, Symbol]:
        """The letters of an optimizer or a kind that this profile's own symbols take, each with the
        one written instead (:data:`CLASHES`: the first alternative the profile leaves free)."""
        # goodfellow's Adam r beside a kind's r; his decay rates ρ₁, ρ₂ take the letter ρ itself (its stem)
        used = self._used() | {t for s in self.own_letters().values() for t in (s.text, _stem(s.text))}
        return {letter: next((alt for alt in alts if alt.text not in used), alts[-1].primed())
                for letter, alts in CLASHES.items() if letter.rpartition(":")[2] in used}

    def layer_text(self, layer: int | str) -> str:
        """The layer index as text: ``⁽²⁾``, ``^[2]`` or ``²`` (numbers shifted to the input's number)."""
        shown = self.layer_number(layer)
        if self.layer_index == "bracket":  # a real minus, as the superscripts' ⁻ and the lecture's l−1
            return f"^[{str(shown).replace('-', '−')}]"
        if self.layer_index == "plain" and _superscriptable(str(shown)):
            return str(shown).translate(_SUP)
        return f"({shown})".translate(_SUP)

    def layer_latex(self, layer: int | str) -> str:
        """The layer index inside LaTeX's superscript: ``(2)``, ``[2]`` or ``2``."""
        text = str(self.layer_number(layer))
        return {"bracket": f"[{text}]", "plain": text}.get(self.layer_index, f"({text})")

    def layer_number(self, layer: int | str) -> int | str:
        """Layer ``layer`` (the lecture's number: the input is 0) as this profile numbers it; a
        symbolic one (l, l+1, L) stays as it is."""
        return layer + self.input_layer if isinstance(layer, int) else layer

    def unit(self, index: int) -> int:
        """The printed number of a unit the lecture numbers ``index`` (from 1; 0 is the bias's)."""
        return index + self.unit_base - 1

    # -- the lecture's arrays as this profile shows them: PARTS and VIEWS say which entry is which ---------
    def parts(self, quantity: str, hidden: bool = True) -> tuple[str, ...]:
        """The parts (:data:`VIEWS`' names) this profile shows the lecture's ``quantity`` as, the weights'
        first (:data:`PARTS`); a mean profile's gradient with "/m". ``hidden``: an o with its 1 on top
        (a hidden layer's; the output's has none)."""
        if quantity == "loss_D":  # the epoch's loss so far: the sum, or a mean profile's mean of the per-example losses
            return (LOSS_PER[self.gradient_mode],)
        parts = PARTS[self.bias_mode, self.vectors].get(quantity, ("",)) if hidden or quantity != "o" else ("",)
        return tuple(v + PER[self.gradient_mode] for v in parts) if quantity == "G" else parts

    def part_view(self, part: Any) -> str:
        """The view (:data:`VIEWS`) of a part of a layer's stored matrix (engine/kind.py's ``ParameterPart``:
        a recurrent layer's W, U, b, b_{h}) as this profile shows it: a bias as a vector (column 0 is "b"), a
        block of the weights' part (:func:`columns`), transposed with row vectors; the part from column 1 to
        the last is the weights' part itself."""
        rows = self.vectors == "row"
        if part.vector:
            return "b" if part.first == 0 else column(part.first, rows)
        if part.first == 1 and part.end is None:
            return self.parts("W")[0]
        return columns(part.first, part.end, rows)

    def weights_shown(self, M: Any) -> Any:
        """The weights' part of a lecture matrix ``M`` (W, G or an optimizer's state, the bias in
        column 0) as this profile shows it: whole with the bias in column 0; without column 0 with a
        separate bias; that transposed with row vectors (cs231n's D × C)."""
        return shown_value(M, self.parts("W")[0])

    def bias_shown(self, M: Any) -> Any:
        """A separate bias's part of a lecture matrix ``M``: its column 0."""
        return shown_value(M, "b")

    def weight_at(self, i: int, j: int) -> tuple[int, int]:
        """The lecture's (row, column) of the entry at (i, j) of :meth:`weights_shown`."""
        r, a = lecture_index(self.parts("W")[0], (i, j))
        return r, a

    def gradient_shown(self, G: Any, m: int) -> Any:
        """A gradient as this profile shows it for an update group of ``m`` examples: the lecture's
        sum G, or the mean G/m."""
        return shown_value(G, PER[self.gradient_mode], m)


SUM_LETTERS = ("k", "i", "j", "p", "q")  # a sum index's letters where the profile's own is taken (subscriptable)

_SUP = str.maketrans("0123456789()+-nlLk", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻ⁿˡᴸᵏ")


# -- a board's number as a profile shows it: the one mapping ------------------------------------------------
# A profile shows parts of the lecture's arrays: W without its bias column 0 (transposed with row
# vectors), b that column, a hidden o without its 1, G divided by the group's m. A Ref's ``view`` names the
# part (formula.Ref): the app's panels (Profile.weights_shown, weight_at, …), the equation line, the quiz,
# exercises and the checks all read a profile's number, and the lecture's entry it is, through these tables.
@dataclass(frozen=True)
class View:
    """A part of a lecture board array: the part itself, its shape, and each entry's place both ways."""

    take: Callable[[Any], Any]  # the lecture's array → the part as shown
    shape: Callable[[tuple[int, ...]], tuple[int, ...]]  # the lecture array's shape → the part's
    lecture: Callable[[tuple[int, ...]], tuple[int, ...]]  # an index into the part → the lecture's index
    shown: Callable[[tuple[int, ...]], tuple[int, ...] | None]  # and back; None: the part leaves it out


class _Views(dict):
    """:data:`VIEWS`, which also holds every block of columns of the weights' part (:func:`columns`)."""

    def __missing__(self, name: str) -> View:
        m = _COLUMNS.fullmatch(name)
        if m is None:
            raise KeyError(name)
        if m[3] is None:  # one column, as a vector (a GRU's U bias b_{h})
            view = _one_column(int(m[2]))
        else:
            view = _column_view(int(m[2]), int(m[4]) if m[4] else None, m[1] == "W.T")
        self[name] = view
        return view


_COLUMNS = re.compile(r"(W|W\.T|)\[(\d+)(:(\d*))?\]")


def columns(first: int, end: int | None = None, rows: bool = False, whole: bool = False) -> str:
    """The view of the lecture's columns first … end − 1 (None: to the last) of a matrix with the bias in
    column 0, ``first`` ≥ 1 (a part of the weights' part "W", e.g. a recurrent layer's W or U apart
    from the other, LayerKind.gradient_parts); ``rows``: that transposed (a part of "W.T"); ``whole``: a
    part of the lecture's whole matrix "" (a profile with the bias in column 0: W's block from column 0)."""
    if whole:
        return f"[{first}:{'' if end is None else end}]"
    assert first >= 1
    return f"{'W.T' if rows else 'W'}[{first}:{'' if end is None else end}]"


def column(k: int, rows: bool = False) -> str:
    """The view of the lecture's column ``k`` ≥ 1 of a matrix with the bias in column 0, as a vector of its
    own: a bias beside the weights' part (a GRU's U bias b⁽ˡ⁾_{h}, column 1 + d of [W │ U]); ``rows``: of the
    transposed weights' part ("W.T"), whose entries it names as :func:`whole_view` maps them."""
    assert k >= 1
    return f"{'W.T' if rows else 'W'}[{k}]"


def _one_column(k: int) -> View:
    return View(lambda a: a[:, k], lambda s: s[:1], lambda i: (i[0], k), lambda i: (i[0],) if i[1] == k else None)


def _one_on_top(a: Any) -> Any:
    import numpy as np

    a = np.asarray(a, dtype=float)
    return np.concatenate([np.ones(a.shape[:-1] + (1,)), a], axis=-1)


def whole_view(ref: Any) -> Any:
    """A Ref into a block of columns (:func:`columns`) as the Ref of the same number in the weights'
    whole part ("W" or "W.T", as :func:`shown_ref` names it); an entry of a vector with a 1 on top ("1x")
    as the lecture's entry (the 1 itself: the Ref as it is); any other Ref itself."""
    from dataclasses import replace

    part, slash, per = ref.view.partition("/")
    if part == "1x":
        if ref.index is None or ref.index[-1] == 0:
            return ref
        return replace(ref, view=slash + per if per else "", index=VIEWS["1x"].lecture(ref.index))
    m = _COLUMNS.fullmatch(part)
    if m is None:
        return ref
    index = None if ref.index is None else VIEWS[m[1]].shown(VIEWS[part].lecture(ref.index))
    return replace(ref, view=m[1] + slash + per, index=index)


def moved(ref: Any, view: str) -> tuple[int, ...] | None:
    """The index in ``view`` of the entry that ``ref`` (an entry in another view of the same array) names;
    None where ``view`` leaves it out."""
    return VIEWS[view.partition("/")[0]].shown(VIEWS[ref.view.partition("/")[0]].lecture(ref.index))


def _column_view(first: int, end: int | None, rows: bool) -> View:
    def stop(n: int) -> int:
        return n if end is None else end

    if rows:
        return View(lambda a: a[:, first:stop(a.shape[-1])].T, lambda s: (stop(s[-1]) - first, s[0]),
                    lambda i: (i[1], i[0] + first),
                    lambda i: (i[1] - first, i[0]) if i[1] >= first and (end is None or i[1] < end) else None)
    return View(lambda a: a[:, first:stop(a.shape[-1])], lambda s: (s[0], stop(s[-1]) - first),
                lambda i: (i[0], i[1] + first),
                lambda i: (i[0], i[1] - first) if i[1] >= first and (end is None or i[1] < end) else None)


VIEWS: dict[str, View] = _Views({
    "": View(lambda a: a, lambda s: s, lambda i: i, lambda i: i),
    "W": View(lambda a: a[:, 1:], lambda s: (s[0], s[-1] - 1), lambda i: (i[0], i[1] + 1),  # without column 0
              lambda i: (i[0], i[1] - 1) if i[1] > 0 else None),
    "W.T": View(lambda a: a[:, 1:].T, lambda s: (s[-1] - 1, s[0]), lambda i: (i[1], i[0] + 1),  # that transposed
                lambda i: (i[1] - 1, i[0]) if i[1] > 0 else None),
    "b": View(lambda a: a[:, 0], lambda s: s[:1], lambda i: (i[0], 0),  # column 0
              lambda i: (i[0],) if i[1] == 0 else None),
    "x": View(lambda a: a[..., 1:], lambda s: s[:-1] + (s[-1] - 1,), lambda i: i[:-1] + (i[-1] + 1,),
              lambda i: i[:-1] + (i[-1] - 1,) if i[-1] > 0 else None),  # without the 1 on top (of each row τ)
    ".T": View(lambda a: a.T, lambda s: s[::-1], lambda i: i[::-1], lambda i: i[::-1]),
    "1x": View(lambda a: _one_on_top(a), lambda s: s[:-1] + (s[-1] + 1,), lambda i: i[:-1] + (i[-1] - 1,),
               lambda i: i[:-1] + (i[-1] + 1,)),  # with a 1 on top (a GRU's [1, h_{τ−1}] as one vector)
})

# The parts a profile shows each dense quantity as, by its bias and its vectors, the weights' part first
# (a quantity not named: the lecture's array as it is), and what a mean profile's gradient is divided by.
PARTS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("column0", "column"): {},
    ("separate", "column"): {"W": ("W", "b"), "G": ("W", "b"), "o": ("x",)},
    ("separate", "row"): {"W": ("W.T", "b"), "G": ("W.T", "b"), "o": ("x",)},
}
PER = {"sum": "", "mean": "/m"}
# and what a mean profile's ℓ_D (the sum of the epoch's per-example losses so far) is divided by: n, the count of them
# (State.losses), so that it is their mean (ng's J = (1/m) Σ L, nielsen's C, cs231n's L)
LOSS_PER = {"sum": "", "mean": "/n"}


def shown_value(array: Any, view: str, m: int = 1) -> Any:
    """The lecture's board ``array`` as the ``view`` shows it (``m``: the update group's size, for "/m"; the count
    of the losses in ℓ_D, for "/n")."""
    part, _, per = view.partition("/")
    out = VIEWS[part].take(array)
    return out / m if per in ("m", "n") else out


def lecture_index(view: str, index: tuple[int, ...]) -> tuple[int, ...]:
    """The lecture's index of the entry at ``index`` of the part ``view`` shows."""
    return VIEWS[view.partition("/")[0]].lecture(index)


def shown_ref(ref: Any, P: "Profile", L: int, ones: frozenset[int] = frozenset()) -> Any:
    """The lecture's board Ref (formula.Ref) as ``P`` shows its number: the part (view) that holds it and
    the index into that part (a bias weight w_b,0 is b_b; a hidden o_b is entry b − 1 of o without its 1;
    a mean profile's G is G/m); a whole array: its first part. ``L``: the output layer (whose o has no 1);
    ``ones``: the layers whose o is a per-τ matrix with a 1 on top of each row (engine/kind.py's
    rows_with_one), shown as the "x" part too, row by row. The Ref itself where the profile shows the lecture's array
    unchanged, or leaves the entry out (o's 1)."""
    from dataclasses import replace

    idx = ref.index
    if ref.quantity == "o" and ref.layer in ones and (idx is None or len(idx) == 2):
        parts: tuple[str, ...] = ("x",) if P.separate_bias else ("",)
    elif ref.quantity == "o" and (ref.layer is None or (idx is not None and len(idx) != 1)):  # a map's o: as it is
        return ref
    else:
        parts = P.parts(ref.quantity, ref.quantity == "o" and ref.layer < L)
    if idx is None:
        return replace(ref, view=parts[0])
    for view in parts:
        at = VIEWS[view.partition("/")[0]].shown(idx)
        if at is not None:
            return replace(ref, index=at, view=view)
    return ref


def _stem(text: str) -> str:
    """A symbol's letter without its subscript digits: ρ₁ → ρ."""
    return text.rstrip("₀₁₂₃₄₅₆₇₈₉")


def _superscriptable(text: str) -> bool:
    return all(ch in "0123456789()+-nlLk" for ch in text)


def _s(text: str, latex: str | None = None) -> Symbol:
    return Symbol(text, text if latex is None else latex)


# Letters of an optimizer or a kind that a profile may take for a shared quantity, and what is written
# for them then (the first one the profile leaves free): Adam's ε beside goodfellow's learning rate ε is
# δ (as his Algorithm 8.7 writes Adam's constant), the L2 line's g = G + 2λW̃ beside goodfellow's g (his
# δ) is ĝ (his gradient estimate, Algorithm 8.1), a GRU's update gate z beside nielsen's and ng's
# pre-activation z is u. A kind's own letter is keyed "kind:letter" (a Sym's ``own``): attention's
# weights a beside nielsen's and ng's activation a and goodfellow's pre-activation a are α (Bahdanau's;
# A where α is taken: ng's learning rate, goodfellow's momentum α of his Algorithm 8.2), its heads' output z beside nielsen's and ng's z is c (the context
# vector: the layer norm's u stays u); attention's row sums r and a GRU's reset gate r beside goodfellow's Adam r
# (his second moment, a letter of the profile's own: ``Profile.letters``) are ρ. (A mean profile's group size m beside Adam's m⁽ˡ⁾ or dropout's mask
# m⁽ˡ⁾ is settled where both are written: equations.group_symbol.)
CLASHES: dict[str, tuple[Symbol, ...]] = {
    "ε": (_s("δ", r"\delta"), _s("ϵ", r"\varepsilon")),
    "g": (_s("ĝ", r"\hat{g}"), _s("γ", r"\gamma")),
    "z": (_s("u"), _s("υ", r"\upsilon")),
    "attention:a": (_s("α", r"\alpha"), _s("A")),
    "attention:z": (_s("c"), _s("ζ", r"\zeta")),
    "r": (_s("ρ", r"\rho"), _s("ϱ", r"\varrho")),
    # attention's values v beside ng's Adam v (his first moment v_dW, a letter of the profile's own): val
    "attention:v": (_s("val", r"\mathit{val}"), _s("ϑ", r"\vartheta")),
    # an activation's parameter α (leaky ReLU's slope, ELU's scale) beside ng's learning rate α and goodfellow's
    # momentum α: κ
    "α": (_s("κ", r"\kappa"), _s("ϰ", r"\varkappa")),
}


LECTURE13 = Profile(
    "lecture13", _s("s"), _s("o"), _s("δ", r"\delta"), _s("G"), _s("W"), _s("b"), _s("ℓ", r"\ell"), _s("η", r"\eta"),
    description="the lecture's: the bias in column 0 of W, o⁽⁰⁾ = [1, x], the summed error")
PROFILES: dict[str, Profile] = {p.name: p for p in (
    LECTURE13,
    Profile("nielsen", _s("z"), _s("a"), _s("δ", r"\delta"), _s("∂C/∂{}", r"\partial C/\partial {}"), _s("w"), _s("b"),
            _s("C"), _s("η", r"\eta"), "separate", "column", "plain", 1, "mean", 1,
            "Neural Networks and Deep Learning, chapter 2: zˡ = wˡ aˡ⁻¹ + bˡ, the input a¹", example_index="sub",
            cost=_s("C"), sum_index="k"),  # his cost C = (1/n) Σₓ Cₓ (chapter 2), not C_D; his w_jk a_k
    Profile("goodfellow", _s("a"), _s("h"), _s("g"), _s("∇_{} J", r"\nabla_{{}} J"), _s("W"), _s("b"), _s("J"),
            _s("ε", r"\epsilon"), "separate", "column", "paren", 1, "sum", 0,
            "Deep Learning, algorithm 6.4: a⁽ᵏ⁾ = b⁽ᵏ⁾ + W⁽ᵏ⁾ h⁽ᵏ⁻¹⁾, J summed over the group",
            # Algorithm 8.7: moments s and r, decay rates ρ₁ and ρ₂ (step size ε and constant δ: CLASHES's ε);
            # Algorithm 8.2: momentum α, its velocity the step (v ← α v − ε g, θ ← θ + v)
            letters=(("adam:m", (_s("s"), _s("μ", r"\mu"))), ("adam:v", (_s("r"), _s("ν", r"\nu"))),
                     ("adam:β₁", (_s("ρ₁", r"\rho_1"),)), ("adam:β₂", (_s("ρ₂", r"\rho_2"),)),
                     ("momentum:μ", (_s("α", r"\alpha"),))),
            velocity="step", sum_index="k"),
    Profile("ng", _s("z"), _s("a"), _s("dz"), _s("d{}"), _s("W"), _s("b"), _s("J"), _s("α", r"\alpha"),
            "separate", "column", "bracket", 1, "mean", 0,
            "deeplearning.ai: z^[l] = W^[l] a^[l−1] + b^[l], dW^[l] = (1/m) Σ dz^[l] a^[l−1]ᵀ",
            example_loss=_s("ℒ", r"\mathcal{L}"), cost=_s("J"), sum_index="k",  # his ℒ(ŷ, y) of one example, the cost J their mean
            # his Adam (Improving Deep Neural Networks, week 2): the first moment v (v_dW, β₁), the second s (s_dW,
            # β₂), none of his shared symbols; attention's values v give way to them (CLASHES). His momentum's
            # v_dW = β v_dW + (1 − β) dW is another rule (other numbers): momentum stays the lecture's μ and v
            letters=(("adam:m", (_s("v"), _s("ν", r"\nu"))), ("adam:v", (_s("s"), _s("σ", r"\sigma"))))),
    Profile("cs231n", _s("scores", r"\mathit{scores}"), _s("h"), _s("dscores", r"\mathit{dscores}"), _s("d{}"), _s("W"), _s("b"), _s("L"),
            _s("learning_rate", r"\mathit{learning\_rate}"), "separate", "row", "plain", 0, "mean", 0,
            "CS231n: row vectors, scores = x W + b, dW = xᵀ dscores", example_index="sub",
            # the notes' data loss L = (1/N) Σᵢ Lᵢ (Neural Networks Part 2, loss functions), not L_D; his L_i
            cost=_s("L"), sum_index="k"),  # the panels' input index (w_k,j)
)}
DEFAULT = LECTURE13


# -- a course's own profile, from a JSON file ------------------------------------------------------------
# the symbols a course's file may give beside the shared quantities' (each optional: None, the default)
OWN_SYMBOLS = ("example_loss", "cost")
# LaTeX commands a symbol may use: letters and the few that typeset symbols (no \input, \write, …)
_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
          "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega")
LATEX_COMMANDS = frozenset(_GREEK.split()) | {"ell", "partial", "nabla", "mathit", "mathrm", "mathbf", "mathcal",
                                              "boldsymbol", "hat", "tilde", "bar", "vec", "operatorname", "_", ","}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def load_profile(path: str | Path) -> Profile:
    """A course's profile from its JSON file; a mistake is a SpecError naming the file and the place."""
    from ..util.validate import read_json

    return profile_from_json(read_json(path), str(path))


def profile_from_json(doc: Any, source: str) -> Profile:
    """A course's profile from its JSON document; its mistakes, every one (an error line each), a SpecError
    naming ``source`` and each place."""
    from ..util.validate import check_all, schema

    errors = check_all(doc, schema("notation-schema.json"))
    if not isinstance(doc, dict):
        raise SpecError.of(errors).at(source)
    bad = {e.place for e in errors}

    def fine(*places: str) -> bool:
        """Whether the schema found nothing wrong at or under these places (and they are there)."""
        return all(p in doc for p in places if "." not in p) and not any(
            b == p or b.startswith(p + ".") or b.startswith(p + "[") for b in bad for p in places)

    def attempt(test: Callable[[], None]) -> None:
        try:
            test()
        except SpecError as err:
            errors.append(err)

    symbols: dict[str, Any] = {}  # each quantity's Symbol, by its field's name
    found = doc.get("symbols")
    entries: dict = found if isinstance(found, dict) else {}
    bias = str(doc["bias"]) if fine("bias") else "column0"
    for q in (*QUANTITIES, *OWN_SYMBOLS):
        entry = entries.get(q)
        if not isinstance(entry, dict) or not fine(f"symbols.{q}"):
            continue
        before = len(errors)
        for key in ("text", "latex"):
            attempt(lambda key=key, q=q, entry=entry: _check_symbol(q, key, entry[key], bias))  # type: ignore[misc]
        if len(errors) == before:
            symbols[q] = Symbol(entry["text"], entry["latex"])
    attempt(lambda: _check_distinct(symbols))
    attempt(lambda: _check_cost(symbols))
    if fine("vectors", "bias") and doc["vectors"] == "row" and doc["bias"] != "separate":
        errors.append(SpecError("row vectors (x W + b) need a separate bias (\"bias\": \"separate\")", place="vectors"))
    if fine("unit_base", "bias") and doc["unit_base"] == 0 and doc["bias"] != "separate":
        errors.append(SpecError("units count from 0 only with a separate bias (\"bias\": \"separate\"): "
                                "with the bias in column 0, unit 0 is the bias's", place="unit_base"))
    name = (doc.get("name") if fine("name") else None) or Path(source).stem
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        errors.append(SpecError(f"the file's name {name!r} is not a profile name: give one in \"name\"", place="name"))
    elif name in PROFILES:
        errors.append(SpecError(f"{name!r} is a shipped profile's name: give the course's its own", place="name"))
    if errors:
        raise SpecError.of(errors).at(source)
    return Profile(name, **symbols, bias_mode=doc["bias"], vectors=doc["vectors"],
                   layer_index=doc["layer_index"], unit_base=int(doc["unit_base"]), gradient_mode=doc["gradient"],
                   input_layer=int(doc.get("input_layer", 0)), example_index=doc.get("example_index", "paren"),
                   velocity=doc.get("velocity", "sum_of_gradients"), description=doc.get("description", ""),
                   source=str(Path(source).resolve()))


def _check_distinct(symbols: dict[str, Symbol]) -> None:
    """Each quantity under a symbol of its own: a course that gave the activation the pre-activation's letter
    would read a⁽¹⁾ = tanh(a⁽¹⁾), two quantities under one name (in the text or in the LaTeX)."""
    for key in ("text", "latex"):
        seen: dict[str, str] = {}
        for q in QUANTITIES:
            if q not in symbols:  # a symbol with a mistake of its own, reported already
                continue
            value = getattr(symbols[q], key)
            if value in seen:
                raise SpecError(f"{value!r} is the {seen[value]}'s symbol too: each quantity needs its own",
                                place=f"symbols.{q}.{key}")
            seen[value] = q


def _check_cost(symbols: dict[str, Symbol]) -> None:
    """The cost under the loss's letter (ng's J, Nielsen's C: the data set's loss is the course's loss) or a
    symbol of its own, not another quantity's: a cost W would read ``W ← W + ℓ⁽¹⁾`` beside ``W⁽¹⁾ ← W⁽¹⁾ − η G⁽¹⁾``,
    two quantities under one name."""
    cost = symbols.get("cost")
    if cost is None:  # none given, or a mistake of its own, reported already
        return
    for key in ("text", "latex"):
        value = getattr(cost, key)
        for q in QUANTITIES:
            if q != "loss" and q in symbols and getattr(symbols[q], key) == value:
                raise SpecError(f"{value!r} is the symbol of the {q.replace('_', ' ')} too: the cost takes the loss's "
                                "letter or one of its own", place=f"symbols.cost.{key}")


def _check_symbol(quantity: str, key: str, value: str, bias: str) -> None:
    place = f"symbols.{quantity}.{key}"
    if key == "latex":
        for m in _COMMAND.finditer(value):
            if m[1] not in LATEX_COMMANDS:
                raise SpecError(f"\\{m[1]} is not a LaTeX command a symbol may use (letters, \\partial, \\nabla, "
                                "\\mathit, \\mathrm, \\hat, … only)", place=place)
        depth = 0
        for ch in _COMMAND.sub("", value):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if depth < 0:
                break
        if depth != 0:
            raise SpecError("unbalanced braces { }", place=place)
    holes = value.count(HOLE)
    if quantity == "gradient" and bias == "separate" and holes != 1:
        raise SpecError(f"with a separate bias the gradient's symbol names its parameter: write {HOLE} once where "
                        "W or b goes (∂C/∂{}, d{})", place=place)
    if holes and quantity != "gradient":
        raise SpecError(f"only the gradient's symbol has a place {HOLE} for its parameter", place=place)
    if quantity == "gradient" and holes > 1:
        raise SpecError(f"{HOLE} more than once", place=place)


def resolve(name_or_file: str, base: str | Path | None = None) -> Profile:
    """A shipped profile by its name, or a course's from its file (a path relative to ``base``, the
    network file's folder, when it is given). A name in any case (`Nielsen`, `CS231n`) is the shipped one."""
    if name_or_file.lower() in PROFILES:
        return PROFILES[name_or_file.lower()]
    path = Path(base) / name_or_file if base is not None else Path(name_or_file)
    if name_or_file.endswith(".json") or "/" in name_or_file or path.exists():
        return load_profile(path)
    raise SpecError(f"{name_or_file!r} is neither a notation profile ({', '.join(PROFILES)}) nor a profile file")


def notation_for(option: str | None, declared: Any, source: str) -> Profile:
    """The profile a command writes in: ``--notation`` (``option``) wins over the network file's
    ``"notation"`` (``declared``, read from ``source``), else lecture13. A bad name names its place:
    the option, or the network file's ``notation``; a bad profile file, that file."""
    if option is not None:
        try:
            return resolve(option)
        except SpecError as err:
            if err.source:  # the profile file's own mistake
                raise
            raise SpecError(err.message, place="--notation") from None
    if declared is None:
        return DEFAULT
    try:
        return resolve(str(declared), Path(source).parent)
    except SpecError as err:
        if err.source:
            raise
        raise SpecError(err.message, source=source, place="notation") from None


def saved_name(p: Profile, folder: str | Path | None = None) -> str:
    """How a saved network file names the profile: a shipped one by its name, a course's by its file — relative
    to ``folder`` (the saved file's) when it lies in it or below it, as a network file's ``"notation"`` is read,
    so that the two handed out together open anywhere; else by its absolute path."""
    if not p.source:
        return p.name
    if folder is not None:
        try:
            return Path(p.source).relative_to(Path(folder).resolve()).as_posix()
        except ValueError:  # elsewhere: its absolute path survives moving the saved file alone
            pass
    return p.source


def profile_json(p: Profile) -> dict:
    """The profile as its JSON file writes it (the shipped ones as examples for a course's own)."""
    own = tuple(q for q in OWN_SYMBOLS if getattr(p, q) is not None)
    return {"kind": "notation", "name": p.name, "description": p.description,
            "symbols": {q: {"text": getattr(p, q).text, "latex": getattr(p, q).latex} for q in (*QUANTITIES, *own)},
            "bias": p.bias_mode, "vectors": p.vectors, "layer_index": p.layer_index, "unit_base": p.unit_base,
            "gradient": p.gradient_mode, "input_layer": p.input_layer, "example_index": p.example_index,
            "velocity": p.velocity}


assert {f.name for f in fields(Profile)} >= set(QUANTITIES)

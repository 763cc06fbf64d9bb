"""The known mistakes of backpropagation, each defined once, as data: its id, what it is, the formula
of the wrong value, and how that value is computed from the board a step reads.

The grader (``bptui grade``) replays a student's exercise with the student's own answers on the
board; at a wrong answer it asks each mistake of :data:`MISTAKES` that applies to the step for the
number the mistake gives there, and names the first one that reproduces the answer. The same
library names the mistake behind the first wrong value of a student program's trace. A mistake's
``wrong`` returns the step's whole value as the mistake makes it (NaN where the mistake has no
value, e.g. an index it would read that does not exist), or None when it does not apply there.

The numbers come from the core's own pieces: the layer kind's ``back_one`` (what the layer above
sends down), the activation's ``f`` and ``df``, the loss's ``grad_o``, the optimizer's ``update``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .core.ops import optim
from .core.kinds.rnn import steps as rnn_steps


@dataclass
class At:
    """A step just done by a stepper, as its mistakes read it: the board it read (``stepper.state``,
    with the step's own result in place), the step, and what the replay counted: the example's place
    in its update group (``in_group``, from 1) and in its epoch (``in_epoch``), and the G⁽ˡ⁾ each
    layer ended its previous group with (``last_G``). ``divided_by`` is the m a mean profile's page
    divides the asked number by (a G blank's ``divided_by`` in the key; 1 elsewhere)."""

    stepper: Any
    step: Any
    in_group: int = 1
    in_epoch: int = 1
    last_G: dict[int, np.ndarray] = field(default_factory=dict)
    divided_by: int = 1

    @property
    def st(self) -> Any:
        return self.stepper.state

    @property
    def net(self) -> Any:
        return self.stepper.net

    @property
    def l(self) -> int:
        return int(self.step.key.layer)

    @property
    def L(self) -> int:
        return int(self.stepper.spec.L)

    @property
    def value(self) -> np.ndarray:
        return np.asarray(self.step.value, dtype=float)

    @property
    def before(self) -> np.ndarray:
        return np.asarray(self.step.before, dtype=float)

    @property
    def time(self) -> int | None:
        """τ of a recurrent network's step (None otherwise)."""
        return getattr(self.step.key, "time", None)

    def units(self) -> np.ndarray:
        """o⁽ˡ⁾ = f(s⁽ˡ⁾) without a hidden layer's bias entry (a recurrent layer's o_τ at its τ)."""
        if self.time is not None and self.l == 1:
            return np.asarray(self.st.o[1][self.time], dtype=float)
        return self.net.units(self.l, self.st.o[self.l])

    def s(self) -> np.ndarray:
        """s⁽ˡ⁾ (a recurrent layer's s_τ at its τ)."""
        if self.time is not None and self.l == 1:
            return np.asarray(self.st.s[1][self.time - 1], dtype=float)
        return np.asarray(self.st.s[self.l], dtype=float)

    def upstream(self) -> np.ndarray | None:
        """What δ⁽ˡ⁾ multiplies by f′(s⁽ˡ⁾): ∂ℓ/∂o⁽ˡ⁾ (from the layer above, or the loss's ∂ℓ/∂o at the
        output); None where δ⁽ˡ⁾ has no f′ to get wrong (a pooling layer, an identity activation,
        cross-entropy with its canonical output, a softmax output)."""
        net, st, l = self.net, self.st, self.l
        act = net.act(l) if net.kind(l).has_s else None
        if act is None or act.derivative_is_one or act.name == "softmax":
            return None
        if self.time is not None and net.kind(l).over_time:  # a recurrent layer at τ: from above and from τ + 1
            return np.asarray(rnn_steps.from_above(net, st, l, self.time) + rnn_steps.from_next(net, st, l, self.time),
                              dtype=float)
        if self.time is not None:
            return None  # a dense layer above a recurrent one, per τ: not among the mistakes yet
        if l == self.L:
            if net.loss.grad_o is None:
                return None
            return np.asarray(net.loss.grad_o(st.o[l], st.y), dtype=float)
        return np.asarray(net.kind(l + 1).back_one(st.W[l + 1], st.delta[l + 1], st.o[l], net.kind(l)), dtype=float)

    def fprime(self, s: np.ndarray) -> np.ndarray:
        """f′ of layer l's activation at ``s`` (with f(s) as its o)."""
        net, l = self.net, self.l
        return np.asarray(net.df(l, s, net.f(l, s)), dtype=float)

    def dense_above(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(W⁽ˡ⁺¹⁾, δ⁽ˡ⁺¹⁾) when the layer above multiplies o⁽ˡ⁾ by a weight matrix with a bias column
        (its δ a vector, its W one row per unit and one column per entry of o⁽ˡ⁾ and the bias): the
        shapes where Wᵀδ can be mistaken for W δ or keep its bias row."""
        if self.l >= self.L or self.time is not None:
            return None
        W, d = np.asarray(self.st.W[self.l + 1], dtype=float), np.asarray(self.st.delta[self.l + 1], dtype=float)
        if d.ndim != 1 or W.ndim != 2 or W.shape[0] != d.size or W.shape[1] != self.units().size + 1:
            return None
        return W, d

    def times_fprime(self, back: np.ndarray) -> np.ndarray:
        """``back`` ⊙ f′(s⁽ˡ⁾), as the step does (a layer without s: ``back`` itself)."""
        if not self.net.kind(self.l).has_s:
            return back
        return back * np.asarray(self.net.df(self.l, self.s(), self.units()), dtype=float)


Wrong = Callable[[At, str], "np.ndarray | float | None"]


@dataclass(frozen=True)
class Mistake:
    """One known mistake: ``quantities`` are the steps it can happen at (the blanks' quantities),
    ``formula`` the wrong value as the manual writes it, ``wrong`` its number at a step."""

    id: str
    quantities: tuple[str, ...]
    description: str
    formula: str
    wrong: Wrong
    # (description, formula) as a notation profile's page writes them (None: the lecture's words in every profile)
    worded: Callable[[Any, Any], tuple[str, str]] | None = None

    def words(self, notation: Any = None, optimizer: Any = None) -> tuple[str, str]:
        """What the mistake is and its formula in ``notation`` (None: the lecture's), the page's group size
        written as ``optimizer``'s profile writes it (m, or |B| beside Adam's m)."""
        if notation is None or notation.name == "lecture13":
            return self.description, self.formula
        if self.worded is None:
            return _profile_words(notation)[self.id]
        return self.worded(notation, optimizer)


# -- the mistakes' numbers ------------------------------------------------------------------------
def _fprime_omitted(at: At, q: str) -> np.ndarray | None:
    return at.upstream()


def _fprime_at_o(at: At, q: str) -> np.ndarray | None:
    g = at.upstream()
    return None if g is None else g * at.fprime(at.units())


def _f_for_fprime(at: At, q: str) -> np.ndarray | None:
    g = at.upstream()
    return None if g is None else g * at.units()


def _w_not_transposed(at: At, q: str) -> np.ndarray | None:
    """Row b of W⁽ˡ⁺¹⁾ where column b belongs: Σ_c w_b,c δ_c (NaN for a unit b with no row, or when
    δ⁽ˡ⁺¹⁾ has more entries than W has columns past the bias)."""
    found = at.dense_above()
    if found is None:
        return None
    W, d = found
    n = W.shape[1] - 1
    back = np.full(n, np.nan)
    if d.size <= n:
        rows = min(n, W.shape[0])
        back[:rows] = W[:rows, 1:d.size + 1] @ d
    return at.times_fprime(back.reshape(np.shape(at.units())))


def _bias_row_in_delta(at: At, q: str) -> np.ndarray | None:
    """(Wᵀδ)_{b−1}: the bias row kept, so unit b reads the row of unit b − 1."""
    found = at.dense_above()
    if found is None:
        return None
    W, d = found
    return at.times_fprime((W.T @ d)[:-1].reshape(np.shape(at.units())))


def _update_sign(at: At, q: str) -> np.ndarray:
    return 2 * at.before - at.value  # W + (the step W − W_new)


def _eta_omitted(at: At, q: str) -> np.ndarray:
    eta = at.stepper.spec.optimizer.learning_rate
    return at.before - (at.before - at.value) / eta


def _g_not_accumulated(at: At, q: str) -> np.ndarray | None:
    if not np.any(at.before):
        return None  # the group's first example: its term is G
    return at.value - at.before


def _g_not_reset(at: At, q: str) -> np.ndarray | None:
    last = at.last_G.get(at.l)
    if np.any(at.before) or last is None or not np.any(last):
        return None
    return last + at.value - at.before


def _sum_for_mean(at: At, q: str) -> np.ndarray | float | None:
    """A sum where the file has a mean, or a mean where it has a sum: bptui's files sum (ℓ⁽ⁿ⁾ over
    the outputs, ℓ_D over the examples, G over the update group), so the mistake is the mean."""
    st = at.st
    if q == "loss":
        k = np.size(st.o[at.L])
        return None if k < 2 else float(st.loss) / k
    if q == "loss_D":
        return None if at.in_epoch < 2 else float(st.loss_D) / at.in_epoch
    if q == "G":
        return None if at.in_group < 2 else at.value / at.in_group
    if q == "W":
        if at.in_group < 2:
            return None
        W, _ = optim.update(at.stepper.spec.optimizer, at.before, st.G[at.l] / at.in_group, at.step.opt_before,
                            at.stepper.spec.layer_kinds[at.l - 1].bias_columns)
        return np.asarray(W, dtype=float)
    return None


def _sum_for_mean_words(P: Any, optimizer: Any) -> tuple[str, str]:
    """sum_for_mean in profile ``P``: a sum profile's words are the lecture's in its symbols; a mean profile's
    page takes the mean itself (its cost, its gradients), so the mistake is that mean divided once more, and the
    words name the mean the page expected."""
    from .core.engine.equations import LOSS_D, G, W, group_symbol, loss_sym
    from .core.formulas.formula import Sym, TextPrinter

    p = TextPrinter(notation=P).p
    one, D, Gl, Wl, d = p(loss_sym("n")), p(LOSS_D), p(G("l")), p(W("l")), p(Sym("d", "L"))
    if not P.mean:
        return ("a mean taken where the file sums",
                f"{one}/{d}, {D}/n, {Gl}/n (n: the examples so far), {Wl} updated with {Gl}/|group|")
    m = p(group_symbol(optimizer))
    return (f"a mean divided once more: the page's {D} = (1/k) Σₙ {one} and {Gl} = (1/{m}) Σ are means already "
            f"(and {one} sums its outputs)",
            f"{one}/{d}, {D}/n, {Gl}/n (n: the examples so far), {Wl} updated with {Gl}/|group|")


def _profile_words(P: Any) -> dict[str, tuple[str, str]]:
    """Every mistake's (description, formula) in profile ``P``, printed from the core's symbols by its printer
    (ng's dz^[l], W^[l+1], a^[l−1], α): no lecture letter where the profile writes another, and no [1:] where the
    profile keeps the bias apart (its Wᵀδ has no bias row to drop)."""
    from .core.engine.equations import LOSS_D, G, W, delta, o, s
    from .core.formulas.formula import Partial, Sym, TextPrinter

    p = TextPrinter(notation=P).p
    letter = P.renames()
    d, sl, ol = letter["δ"].text, letter["s"].text, letter["o"].text
    dl, dl1, dL, Wl, Wl1, Gl = p(delta("l")), p(delta("l+1")), p(delta("L")), p(W("l")), p(W("l+1")), p(G("l"))
    sl_, ol_, ol1, oL = p(s("l")), p(o("l")), p(o("l-1")), p(o("L"))
    eta, D = p(Sym("η", latex=r"\eta")), p(LOSS_D)
    db, sb = p(Sym("δ", "l", ("b",), latex=r"\delta")), p(Sym("s", "l", ("b",)))
    wbc, dc1 = p(Sym("w", "l+1", ("b", "c"))), p(Sym("δ", "l+1", ("c",), latex=r"\delta"))
    dLo = p(Partial(Sym("ℓ", latex=r"\ell"), o("L"), prefixed=True))
    cut = "" if P.separate_bias else "[1:]"  # the bias row of Wᵀδ: only where the bias is W's column 0
    back = f"({Wl1}ᵀ {dl1}){cut}" if cut else f"{Wl1}ᵀ {dl1}"
    Wt, Gt = letter["W"].text, p(Sym("G"))
    G_term = f"{dl} {ol1}ᵀ"
    bias_row = ((f"the bias row of {Wt}ᵀ{d} kept: unit b reads the entry of unit b − 1",
                 f"{db} = ({Wl1}ᵀ {dl1})_{{b−1}} f′({sb})") if not P.separate_bias else
                (f"{Wt}ᵀ {d} read one unit off: unit b reads the entry of unit b − 1",
                 f"{db} = ({Wl1}ᵀ {dl1})_{{b−1}} f′({sb})"))
    return {
        "fprime_omitted": (f"{d} without ⊙ f′({sl}): the activation's derivative left out",
                           f"{dl} = {back} (at the output: {dLo})"),
        "fprime_at_o": (f"f′ evaluated at {ol} instead of {sl}", f"{dl} = {back} ⊙ f′({ol_})"),
        "f_for_fprime": (f"f written for f′: multiplied by {ol} = f({sl}) instead of f′({sl})", f"{dl} = {back} ⊙ f({sl_})"),
        "w_not_transposed": (f"{Wt} {d} for {Wt}ᵀ {d}: row b of {Wl1} read where column b belongs",
                             f"{db} = (Σ_c {wbc} {dc1}) f′({sb})"),
        "bias_row_in_delta": bias_row,
        "update_sign": ("the update's sign flipped: up the gradient", f"{Wl} ← {Wl} + {eta} {Gl} (the optimizer's step added)"),
        "eta_omitted": ("the learning rate left out of the update", f"{Wl} ← {Wl} − {Gl} (the optimizer's step without {eta})"),
        "g_not_accumulated": (f"{Gt} set to this example's term instead of added to",
                              f"{Gl} = {G_term} (the last example's term only)"),
        "g_not_reset": (f"{Gt} not set to 0 when the update group started",
                        f"{Gl} = {Gl} of the previous group + {G_term}"),
        "mean_not_taken": ("the sum where the page (a mean profile's) asks for the mean",
                           f"{Gl} for {Gl}/m (m the update group's examples), {D} for {D}/k (k the losses so far)"),
        "softmax_shortcut": (f"{ol} − y used for {dL} with a loss and output it does not hold for", f"{dL} = {oL} − y"),
        "recurrent_term_omitted": (f"{d}_τ of a recurrent layer without the term from τ + 1",
                                   f"{p(delta(1))}_τ = " + (f"({p(W(2))}ᵀ {p(delta(2))}){cut}" if cut else f"{p(W(2))}ᵀ {p(delta(2))}") + f" ⊙ f′({p(s(1))}_τ), "
                                   f"Uᵀ {p(delta(1))}_τ₊₁ left out"),
    }


def _mean_not_taken(at: At, q: str) -> np.ndarray | float | None:
    """The sum G⁽ˡ⁾ given where a mean profile's page asks for G⁽ˡ⁾/m: the answer times m (the board's
    number, as the grader reads an answer of such a blank) is m G⁽ˡ⁾; so for the sum ℓ_D where it asks for the
    mean ℓ_D/k of the k losses so far (ng's J)."""
    if at.divided_by < 2:
        return None
    if q == "loss_D":
        return float(at.st.loss_D) * at.divided_by
    return at.value * at.divided_by if q == "G" else None


def _recurrent_term_omitted(at: At, q: str) -> np.ndarray | None:
    """δ⁽ˡ⁾_τ of a recurrent layer from the layer above alone: U's term from τ + 1 left out (it is 0 at τ = T)."""
    if at.time is None or not at.net.kind(at.l).over_time or at.upstream() is None:
        return None
    return at.times_fprime(np.asarray(rnn_steps.from_above(at.net, at.st, at.l, at.time), dtype=float))


def _softmax_shortcut(at: At, q: str) -> np.ndarray | None:
    if at.l != at.L or at.net.loss.grad_o is None:
        return None  # o − y is right for cross-entropy with its canonical output
    return np.asarray(at.st.o[at.L], dtype=float) - np.asarray(at.st.y, dtype=float)


MISTAKES: tuple[Mistake, ...] = (
    Mistake("fprime_omitted", ("delta",), "δ without ⊙ f′(s): the activation's derivative left out",
            "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] (at the output: ∂ℓ/∂o⁽ᴸ⁾)", _fprime_omitted),
    Mistake("fprime_at_o", ("delta",), "f′ evaluated at o instead of s",
            "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f′(o⁽ˡ⁾)", _fprime_at_o),
    Mistake("f_for_fprime", ("delta",), "f written for f′: multiplied by o = f(s) instead of f′(s)",
            "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f(s⁽ˡ⁾)", _f_for_fprime),
    Mistake("w_not_transposed", ("delta",), "W δ for Wᵀ δ: row b of W⁽ˡ⁺¹⁾ read where column b belongs",
            "δ_b⁽ˡ⁾ = (Σ_c w_b,c⁽ˡ⁺¹⁾ δ_c⁽ˡ⁺¹⁾) f′(s_b⁽ˡ⁾)", _w_not_transposed),
    Mistake("bias_row_in_delta", ("delta",), "the bias row of Wᵀδ kept: unit b reads the entry of unit b − 1",
            "δ_b⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)_{b−1} f′(s_b⁽ˡ⁾)", _bias_row_in_delta),
    Mistake("update_sign", ("W",), "the update's sign flipped: up the gradient",
            "W⁽ˡ⁾ ← W⁽ˡ⁾ + η G⁽ˡ⁾ (the optimizer's step added)", _update_sign),
    Mistake("eta_omitted", ("W",), "the learning rate left out of the update",
            "W⁽ˡ⁾ ← W⁽ˡ⁾ − G⁽ˡ⁾ (the optimizer's step without η)", _eta_omitted),
    Mistake("g_not_accumulated", ("G",), "G set to this example's term instead of added to",
            "G⁽ˡ⁾ = δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ (the last example's term only)", _g_not_accumulated),
    Mistake("g_not_reset", ("G",), "G not set to 0 when the update group started",
            "G⁽ˡ⁾ = G⁽ˡ⁾ of the previous group + δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ", _g_not_reset),
    Mistake("sum_for_mean", ("loss", "loss_D", "G", "W"), "a mean taken where the file sums",
            "ℓ⁽ⁿ⁾/d⁽ᴸ⁾, ℓ_D/n, G⁽ˡ⁾/n (n: the examples so far), W⁽ˡ⁾ updated with G⁽ˡ⁾/|group|", _sum_for_mean,
            _sum_for_mean_words),
    Mistake("mean_not_taken", ("G", "loss_D"), "the sum where the page (a mean profile's) asks for the mean",
            "G⁽ˡ⁾ for G⁽ˡ⁾/m (m the update group's examples), ℓ_D for ℓ_D/k (k the losses so far)", _mean_not_taken),
    Mistake("softmax_shortcut", ("delta",), "o − y used for δ⁽ᴸ⁾ with a loss and output it does not hold for",
            "δ⁽ᴸ⁾ = o⁽ᴸ⁾ − y", _softmax_shortcut),
    Mistake("recurrent_term_omitted", ("delta",), "δ_τ of a recurrent layer without the term from τ + 1",
            "δ⁽¹⁾_τ = (W⁽²⁾ᵀ δ⁽²⁾)[1:] ⊙ f′(s_τ), Uᵀ δ⁽¹⁾_τ₊₁ left out", _recurrent_term_omitted),
)
BY_ID = {m.id: m for m in MISTAKES}


def candidates(at: At, quantity: str) -> list[tuple[Mistake, np.ndarray]]:
    """Each mistake that applies at this step, with the step's value as it makes it."""
    out = []
    with np.errstate(all="ignore"):
        for m in MISTAKES:
            if quantity not in m.quantities:
                continue
            value = m.wrong(at, quantity)
            if value is not None:
                out.append((m, np.asarray(value, dtype=float)))
    return out


def close(given: float, value: float, atol: float, rtol: float) -> bool:
    """|given − value| ≤ atol + rtol·|value| (a NaN or infinite value is close to nothing)."""
    return bool(np.isfinite(value)) and abs(given - value) <= atol + rtol * abs(value)


def naming(at: At, quantity: str, index: tuple[int, ...] | None, given: float, expected: float,
           atol: float, rtol: float) -> Mistake | None:
    """The first mistake whose number at ``index`` of the step's value is ``given`` (within the
    tolerance) and is not the expected number itself."""
    for m, value in candidates(at, quantity):
        v = float(value) if index is None or value.ndim == 0 else float(value[index])
        if close(given, v, atol, rtol) and not close(v, expected, atol, rtol):
            return m
    return None


__all__ = ["At", "MISTAKES", "BY_ID", "Mistake", "candidates", "close", "naming"]

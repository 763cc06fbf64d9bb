"""The equations of an attention layer's steps (steps.py), in matrix form over the whole sequence with
every number filled in: a quantity with one row per τ is written as its matrix (q⁽ˡ⁾ holds q_τ in row τ),
X̃⁽ˡ⁾ the rows [1; x_τ] the layer reads, a⁽ˡ⁾ and the scores one T × T matrix per head (h).

    q = X̃ W_Qᵀ,  k = X̃ W_Kᵀ,  v = X̃ W_Vᵀ
    scores_h = q_h k_hᵀ / √dh,  a_h = softmax of each row of scores_h (causal: τ′ ≤ τ only)
    z_h = a_h v_h (the heads side by side),  o = Z̃ W_Oᵀ (Z̃: rows [1; z_τ])
    ∂ℓ/∂z = ∂ℓ/∂o W_O[:, 1:],  ∂ℓ/∂a_h = ∂ℓ/∂z_h v_hᵀ,  δ_h = a_h ⊙ (∂ℓ/∂a_h − rowsum(a_h ⊙ ∂ℓ/∂a_h))
    ∂ℓ/∂q_h = δ_h k_h / √dh,  ∂ℓ/∂k_h = δ_hᵀ q_h / √dh,  ∂ℓ/∂v_h = a_hᵀ ∂ℓ/∂z_h
    ∂ℓ/∂x = ∂ℓ/∂q W_Q[:, 1:] + ∂ℓ/∂k W_K[:, 1:] + ∂ℓ/∂v W_V[:, 1:]
    G_Q ← G_Q + ∂ℓ/∂qᵀ X̃ (G_K, G_V alike),  G_O ← G_O + ∂ℓ/∂oᵀ Z̃

The dense layers' equations and the loss are the recurrent family's (core/kinds/rnn/equations.py), but
for δ of a dense layer under an attention layer: δ⁽ˡ⁾_τ = ∂ℓ/∂x⁽ˡ⁺¹⁾_τ ⊙ f′(s⁽ˡ⁾_τ).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...engine import equations as E
from ...engine import wiring as wired
from ...engine.network import Network
from ...engine.stepper import Step
from ...formulas.formula import Arr, Call, Equation, LayerNo, Node, Num, Op, Partial, Ref, Sym, add, const, group, mul, substitute
from ...formulas.notation import sup
from ..rnn import equations as seq_eqs
from . import steps
from .layer import WEIGHTS, Attention

NAMES = {"q": "q", "k": "k", "v": "v", "scores": "e", "a": "a", "z": "z", "o": "o"}


def m(base: str, l: int, head: int | str | None = None) -> Sym:
    """A board matrix of layer l (one row per τ); with ``head``, that head's block."""
    return Sym(base, l, (head,) if head is not None else (), vector=True, own="attention", counts=1)


def grad(base: str, l: int, head: int | str | None = None) -> Node:
    """∂ℓ/∂base⁽ˡ⁾ (of head h)."""
    return dl(m(base, l, head))


def dl(x: Node) -> Partial:
    """∂ℓ/∂x of one of the layer's quantities (q, k, v, a, z, its o and its x), written with the profile's gradient
    prefix where it has one (cs231n's and ng's dq, as their dW; goodfellow's ∇_q J): ``Partial.prefixed``."""
    return Partial(Sym("ℓ", latex=r"\ell"), x, prefixed=True)


def weight(name: str, l: int) -> Sym:
    return Sym("W", l, (name,), vector=True)


def bias(name: str, l: int) -> Sym:
    """b_Q⁽ˡ⁾ (b_K, b_V, b_O): column 0 of W_Q, a profile's separate bias."""
    return Sym("b", l, (name,), vector=True)


def rows_with_one(base: str, l: int) -> Sym:
    """X̃⁽ˡ⁾ (rows [1; x_τ]) or Z̃⁽ˡ⁾ (rows [1; z_τ])."""
    return Sym(base, l, vector=True, accent="tilde")


def named(kind_letter: str, *sub: str, l: int | None = None) -> Sym:
    """An attention quantity as a note names it (q_τ, e_τ,τ′, a_τ,τ′: attention's own letters, which a
    profile's printer renames as the equations' — α in nielsen), without a layer unless ``l``."""
    return Sym(kind_letter, l, tuple(sub), latex=r"\delta" if kind_letter == "δ" else None, own="attention",
               counts=len(sub))


_LOSS = Sym("ℓ", latex=r"\ell")


def _eq(lhs: Node, form: Node, env: dict[Any, np.ndarray], result: np.ndarray, ref: Ref | None,
        rel: str = "=", note: str = "", exact: dict[Any, float] | None = None,
        note_syms: tuple[Node, ...] = ()) -> Equation:
    """``lhs`` = ``form`` with the numbers of ``env`` filled in, = ``result`` (``exact``: symbols bound to
    numbers printed as they are, a group's size m)."""
    exact = exact or {}
    numbers: dict[Node, Node] = {k: Arr(np.asarray(v), means=k) for k, v in env.items()}
    numbers.update({k: Num(float(v), exact=True) for k, v in exact.items()})
    filled = substitute(form, numbers)
    return Equation(lhs, (form, filled, Arr(np.asarray(result), ref)), rel, {**env, **exact}, note,
                    note_syms=note_syms)


def step_equations(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    key = step.key
    l = key.layer
    kind = net.kinds[l - 1] if l is not None else None
    if isinstance(kind, Attention):
        return own(net, kind, state, step)
    if kind is not None and kind.span and key.phase in ("forward", "backward"):
        return block_equations(net, state, step)
    if key.phase == "backward" and key.quantity == "delta" and steps.reads_sent(net, l):
        return (dense_delta_below(net, state, step),)
    return seq_eqs.step_equations(net, state, step)


def profiled(net: Network, state: Any, step: Step, P: Any, optimizer: Any = None) -> tuple[Equation, ...]:
    """:func:`step_equations` as the notation profile ``P`` groups them: a dense layer's step at τ as the
    dense equations in the profile (core/engine/equations.py: with a separate b, s_τ = W x_τ + b, o_τ
    without its 1, the gradients of W and b apart; a mean gradient, G/m) on the board at τ, with τ added
    to their symbols and to their numbers' rows; a block's o_τ = x_τ + F(x)_τ without its 1 on top; an
    attention layer's gradients G/m in a mean profile. The loss and the output δ have no bias: the
    lecture's."""
    key = step.key
    l, t = key.layer, key.time
    kind = net.kinds[l - 1] if l is not None else None
    if isinstance(kind, Attention):
        return own(net, kind, state, step, P)
    if kind is not None and kind.span and key.phase in ("forward", "backward"):
        return block_equations(net, state, step, P)
    if key.phase == "backward" and key.quantity == "delta" and steps.reads_sent(net, l):
        return (dense_delta_below(net, state, step),)
    if l is None or t is None or key.phase == "loss" or (key.quantity == "delta" and l == net.L):
        return seq_eqs.step_equations(net, state, step)
    sep, rows = P.separate_bias, P.vectors == "row"
    src = wired.source(net, l)
    board = seq_eqs._at_time(net, state, t)  # every per-τ quantity at τ; o of a layer over time as [1, o_τ]
    eqs: tuple[Equation, ...]
    if key.phase == "forward" and key.quantity == "s":
        if not sep:
            return seq_eqs.step_equations(net, state, step)
        eqs = (E.separate_s(net, board, step, P, src),)
    elif key.quantity == "G":
        if not (sep or P.mean):
            return seq_eqs.step_equations(net, state, step)
        read = None
        if src > 0 and net.kinds[src - 1].over_time:  # its o has no 1 of its own: [1, o_τ] is W's input
            x_node, x_one = Sym("o", src, vector=True), board.o[src]
            assert x_one is not None
            read = (Op("cat1", (x_node,)), x_node, x_node, x_one[1:], x_one)
        eqs = E._gradient(board, step, l, sep, E.group_size(net, key) if P.mean else None, rows, net.L,
                          E.group_symbol(net.spec.optimizer, net.kinds), read=read, src=src)
    else:
        eqs = E.profiled_step_equations(net, board, step, P, optimizer)
    return tuple(at_time(net, eq, t) for eq in eqs)


def at_time(net: Network, eq: Equation, t: int) -> Equation:
    """An equation written on the board at τ (vectors: ``seq_eqs._at_time``) as the step at τ = t: τ on
    the symbols s, o, δ of the layers that run at each τ and the input, and their numbers' board
    references the rows that hold τ (``LayerKind.time_row``); a layer over time keeps no 1 in its o, so a
    profile's view "x" (o without its 1) of it is its row itself."""
    from ...engine.kind import timed_layers
    from ...formulas.formula import Num, _rebuild

    timed = timed_layers(net.kinds)
    layers = {0} | {m for m in range(1, net.L + 1) if timed[m - 1]}
    swap_sym, _ = seq_eqs._retimer(t, layers, y=False)

    def ref(r: Ref | None) -> Ref | None:
        if r is None or r.layer not in layers or r.quantity not in ("s", "o", "delta"):
            return r
        m = r.layer
        own = m > 0 and net.kinds[m - 1].over_time
        row = net.kinds[m - 1].time_row(r.quantity, t) if m > 0 else t - 1
        return replace(r, index=(row,) + (r.index or ()), view="" if own and r.view == "x" else r.view)

    def f(n: Node) -> Node:
        if isinstance(n, Sym):
            return swap_sym(n)
        if isinstance(n, (Num, Arr)):
            return replace(n, ref=ref(n.ref), means=None if n.means is None else _rebuild(n.means, f))
        return n

    bindings = {(swap_sym(k) if isinstance(k, Sym) else k): v for k, v in eq.bindings.items()}
    return replace(eq, lhs=_rebuild(eq.lhs, f), forms=tuple(_rebuild(form, f) for form in eq.forms), bindings=bindings)


def dense_delta_below(net: Network, state: Any, step: Step) -> Equation:
    """δ⁽ˡ⁾_τ = ∂ℓ/∂x⁽ˡ⁺¹⁾_τ ⊙ f′(s⁽ˡ⁾_τ): what the layer above (an attention layer) hands down to its
    x_τ = o⁽ˡ⁾_τ, as its kind says (``LayerKind.sequence_sent``)."""
    l, t = step.key.layer, step.key.time
    c = wired.reader(net, l)  # l + 1, or along a residual block's wires
    above = net.kinds[c - 1]
    dx = steps.from_above(net, state, l, t)
    node = dl(Sym("x", c, vector=True, time=t))
    named = f"row τ of layer {{}}'s {above.sent_quantity}" if above.sent_quantity else "what layer {} sends down"
    return seq_eqs._factor(net, l, t, state.s[l][t - 1], state.o[l][t - 1][1:], node, Arr(dx, means=node),
                           seq_eqs.arr(state.delta[l][t - 1], "delta", l, t), {node: dx},
                           f"{{}}: {named}", 1, note_syms=(dl(Sym("x", c, vector=True, time="τ")),
                                                          LayerNo(c)))


def block_equations(net: Network, st: Any, step: Step, P: Any = None) -> tuple[Equation, ...]:
    """A residual block's step, one equation per τ it computed (every τ when a layer inside mixes time
    steps): o⁽ᵏ⁾_τ = [1, x_τ + F(x)_τ], or the fan-in ∂ℓ/∂x⁽ᵏ⁾_τ = ∂ℓ/∂o⁽ᵏ⁾_τ + ∂ℓ/∂x⁽ᵏ⁺¹⁾_τ (what F's first
    layer sends to x_τ); with a separate b (the profile ``P``), o⁽ᵏ⁾_τ = x_τ + F(x)_τ without its 1."""
    l, t, q = step.key.layer, step.key.time, step.key.quantity
    sep = P is not None and P.separate_bias
    w = net.wiring
    assert w is not None and l is not None
    value = np.atleast_2d(np.asarray(step.value))
    out = []
    for i, tau in enumerate(range(1, len(value) + 1) if t is None else [t]):
        if q == "o":
            x, f = Sym("x", l, vector=True, time=tau), Sym("F(x)", l, vector=True, time=tau)
            env: dict[Any, np.ndarray] = {x: steps.units(net, st, w.src[l])[tau - 1],
                                          f: steps.units(net, st, w.tail[l])[tau - 1]}
            form = add(x, f) if sep else Op("cat1", (add(x, f),))
            out.append(_eq(Sym("o", l, vector=True, time=tau), form, env, value[i][1:] if sep else value[i],
                           Ref("o", l, (tau - 1,), view="x" if sep else ""),
                           note=f"x = {_named(P, Sym('o', w.src[l], vector=True, time='τ'))}, "
                                f"F(x) = {_named(P, Sym('o', w.tail[l], vector=True, time='τ'))}: the skip "
                           "adds the block's input to its layers' output"))
            continue
        # with the profile's gradient prefix, as the block's rows (its dx_sym) and its panel's skip part name them
        ell = Sym("ℓ", latex=r"\ell")
        up, inner = dl(Sym("o", l, vector=True, time=tau)), dl(Sym("x", l + 1, vector=True, time=tau))
        env = {up: steps.from_above(net, st, l, tau), inner: net.kinds[l].sequence_sent(st, l + 1, tau)}
        out.append(_eq(dl(Sym("x", l, vector=True, time=tau)), add(up, inner), env, value[i],
                       Ref("delta", l, (tau - 1,)), note="x_τ reaches {} twice: through the skip ({}) and "
                       f"through the block's first layer {_layer(P, l + 1)}",
                       note_syms=(ell, dl(Sym("o", l, vector=True, time="τ")))))
    return tuple(out)


def _layer(P: Any, l: int) -> int | str:
    """Layer ``l`` as the profile ``P`` numbers it (None: the lecture's)."""
    return l if P is None else P.layer_number(l)


def _named(P: Any, node: Node) -> str:
    """A note's name of ``node`` in the profile ``P`` (None: the lecture's)."""
    from ...formulas.formula import TextPrinter

    return TextPrinter(notation=P).p(node)


def _headed(eq: Equation, h: int | None) -> Equation:
    """A head's block of a T × dk matrix (columns of it): its numbers are printed once, in the whole
    matrix after the heads (:func:`side_by_side`, whose entries an exercise blanks)."""
    return eq if h is None else replace(eq, forms=eq.forms[:-1])


def row_softmax(kind: Attention, scores: Node) -> Call:
    """softmax of each row of the scores, written softmax(e); a causal layer's mask (τ′ ≤ τ) is its
    second argument, which is not written (the note says it)."""
    return Call("softmax_rows", (scores, const(1.0 if kind.causal else 0.0)))


def side_by_side(lhs: Node, value: np.ndarray, q: str, l: int, H: int) -> tuple[Equation, ...]:
    """With several heads, the whole matrix: the heads' blocks side by side, as the board holds it."""
    if H == 1:
        return ()
    return (Equation(lhs, (Arr(np.asarray(value), Ref(q, l)),), "=", {},
                     f"the {H} heads' blocks of {value.shape[1] // H} columns side by side"),)


def own(net: Network, kind: Attention, st: Any, step: Step, P: Any = None) -> tuple[Equation, ...]:
    """The equations of attention layer l's step (one per head for the per-head quantities); in a
    profile ``P`` with a separate b, each matrix's bias apart, with row vectors (cs231n) each matrix as its
    panel shows it, D × C (``Profile.weights_shown``): q = X W_Q + b_Q, ∂ℓ/∂x = ∂ℓ/∂q W_Qᵀ + …, G_Q ← G_Q +
    Xᵀ ∂ℓ/∂q; with a mean gradient, each matrix's gradient divided by the update group's m."""
    l, q = step.key.layer, step.key.quantity
    ex, W = st.extra, st.W[l]
    x1 = steps.with_one(steps.layer_input(net, st, l))
    X1 = rows_with_one("X", l)
    root = Call("sqrt", (const(kind.dh),))
    H = kind.heads
    hs = [None] if H == 1 else list(range(1, H + 1))

    def head(a: np.ndarray, h: int | None) -> np.ndarray:
        """Head h's block (h from 1) of a T × dk board matrix."""
        return a if h is None else steps.heads(kind, a)[h - 1]

    def sq(a: np.ndarray, h: int | None) -> np.ndarray:
        """Head h's T × T matrix of an H × T × T board quantity."""
        return a[0 if h is None else h - 1]

    value = np.asarray(step.value)
    sep = P is not None and P.name != "lecture13" and P.separate_bias  # W without its bias column, b apart
    rows = sep and P.vectors == "row"  # cs231n: each matrix shown D × C (Profile.weights_shown), x_τ a row

    def shown(part: np.ndarray) -> np.ndarray:
        """A matrix's weights as the profile's panel shows them (W without its bias column; transposed with rows)."""
        return P.weights_shown(part) if sep else part[:, 1:]

    if q in ("q", "k", "v") and sep:
        Wn, bn, X = weight(q.upper(), l), bias(q.upper(), l), Sym("X", l, vector=True)
        part = kind.part(W, q.upper())
        Wq, bq, xt = Sym("W", None, (q.upper(),)), Sym("b", None, (q.upper(),)), named("x", "τ")
        qkv = add(Op("@", (X, Wn)), bn) if rows else add(Op("@", (X, Op("T", (Wn,)))), Op("T", (bn,)))
        return (_eq(m(q, l), qkv, {X: x1[:, 1:], Wn: shown(part), bn: P.bias_shown(part)},
                    value, Ref(q, l), note="row τ: {} = {} {} + {}",
                    note_syms=(named(q, "τ"), xt, Wq, bq) if rows else (named(q, "τ"), Wq, xt, bq)),)
    if q in ("q", "k", "v"):
        Wn = weight(q.upper(), l)
        return (_eq(m(q, l), Op("@", (X1, Op("T", (Wn,)))), {X1: x1, Wn: kind.part(W, q.upper())}, value,
                    Ref(q, l), note="row τ: {} = {} [1; {}]",
                    note_syms=(named(q, "τ"), Sym("W", None, (q.upper(),)), named("x", "τ"))),)
    if q == "scores":
        return tuple(_eq(m("e", l, h), Op("/", (Op("@", (m("q", l, h), Op("T", (m("k", l, h),)))), root)),
                         {m("q", l, h): head(ex["q", l], h), m("k", l, h): head(ex["k", l], h)}, sq(value, h),
                         Ref("scores", l, (0 if h is None else h - 1,)),
                         note=f"{{}} = {{}}·{{}} / √{kind.dh}",
                         note_syms=(named("e", "τ", "τ′"), named("q", "τ"), named("k", "τ′"))) for h in hs)
    if q == "a":
        note = "each row's softmax: {} = exp({}) / Σ_τ″ exp({})"
        said: tuple[Node, ...] = (named("a", "τ", "τ′"), named("e", "τ", "τ′"), named("e", "τ", "τ″"))
        if kind.causal:
            note += " over τ″ ≤ τ only (causal: {} = 0 for τ′ > τ)"
            said += (named("a", "τ", "τ′"),)
        return tuple(_eq(m("a", l, h), row_softmax(kind, m("e", l, h)), {m("e", l, h): sq(ex["scores", l], h)},
                         sq(value, h), Ref("a", l, (0 if h is None else h - 1,)), note=note, note_syms=said) for h in hs)
    if q == "z":
        return tuple(_headed(_eq(m("z", l, h), Op("@", (m("a", l, h), m("v", l, h))),
                                 {m("a", l, h): sq(ex["a", l], h), m("v", l, h): head(ex["v", l], h)}, head(value, h),
                                 Ref("z", l) if h is None else None), h)
                     for h in hs) + side_by_side(m("z", l), value, "z", l, H)
    if q == "o":  # o_τ = W_O [1; z_τ], one equation per τ (row τ of the board's o, whose row 0 is o_0)
        Wo, bo, part = weight("O", l), bias("O", l), kind.part(W, "O")
        out_o = []
        for t in range(1, len(value) + 1):
            z = Sym("z", l, vector=True, time=t, own="attention")
            if sep:  # o_τ = W_O z_τ + b_O (with rows, z_τ W_O + b_O)
                out_o.append(_eq(Sym("o", l, vector=True, time=t), add(Op("@", (z, Wo) if rows else (Wo, z)), bo),
                                 {Wo: shown(part), z: np.asarray(ex["z", l])[t - 1], bo: P.bias_shown(part)}, value[t - 1],
                                 Ref("o", l, (t,))))
                continue
            zt = Op("cat1", (z,))
            out_o.append(_eq(Sym("o", l, vector=True, time=t), Op("@", (Wo, zt)),
                             {Wo: part, zt: steps.with_one(ex["z", l])[t - 1]}, value[t - 1],
                             Ref("o", l, (t,))))
        return tuple(out_o)
    if q == "dz":
        # bound whole: W_O without its bias column (a profile with a separate b: W_O itself)
        do, Wd = grad("o", l), weight("O", l) if sep else Op("drop0", (weight("O", l),))
        above: tuple[Node, ...] = (dl(Sym("o", l, vector=True)),)
        note, syms = ("{} from the layer above", above) if sep else (  # a separate b: W_O is whole
            "{} without its bias column; {} from the layer above", (Sym("W", None, ("O",)), *above))
        return (_eq(grad("z", l), Op("@", (do, Op("T", (Wd,)) if rows else Wd)), {do: ex["do", l], Wd: shown(kind.part(W, "O"))},
                    value, Ref("dz", l), note=note, note_syms=syms),)
    if q == "da":
        return tuple(_eq(grad("a", l, h), Op("@", (grad("z", l, h), Op("T", (m("v", l, h),)))),
                         {grad("z", l, h): head(ex["dz", l], h), m("v", l, h): head(ex["v", l], h)}, sq(value, h),
                         Ref("da", l, (0 if h is None else h - 1,))) for h in hs)
    if q == "delta":
        out = []
        for h in hs:
            a, da = sq(ex["a", l], h), sq(ex["da", l], h)  # δ⁽ˡ⁾ on the board: the scores' δ
            A, dA = m("a", l, h), grad("a", l, h)
            sums = (a * da).sum(axis=1, keepdims=True)
            R = Sym("r", l, (h,) if h is not None else (), vector=True, counts=1)
            jac = mul(A, Op("()", (Op("-", (dA, R)),)))
            out.append(Equation(Sym("δ", l, (h,) if h is not None else (), vector=True, latex=r"\delta", counts=1),
                                (jac, substitute(jac, {A: Arr(a, means=A), dA: Arr(da, means=dA),
                                                         R: Arr(np.broadcast_to(sums, a.shape).copy(), means=R)}),
                                 Arr(sq(value, h), Ref("delta", l, (0 if h is None else h - 1,)))),
                                "=", {A: a, dA: da, R: np.broadcast_to(sums, a.shape).copy()},
                                "each softmax row's Jacobian: {} = {}·{}, the same along row τ",
                                note_syms=(Sym("r", None, ("τ",), counts=1), named("a", "τ"), dl(named("a", "τ")))))
        return tuple(out)
    if q in ("dq", "dk", "dv"):
        out = []
        for h in hs:
            D, A = Sym("δ", l, (h,) if h is not None else (), vector=True, latex=r"\delta", counts=1), m("a", l, h)
            if q == "dq":
                form: Node = Op("/", (Op("@", (D, m("k", l, h))), root))
                env: dict[Any, np.ndarray] = {D: sq(st.delta[l], h), m("k", l, h): head(ex["k", l], h)}
            elif q == "dk":
                form = Op("/", (Op("@", (Op("T", (D,)), m("q", l, h))), root))
                env = {D: sq(st.delta[l], h), m("q", l, h): head(ex["q", l], h)}
            else:
                form = Op("@", (Op("T", (A,)), grad("z", l, h)))
                env = {A: sq(ex["a", l], h), grad("z", l, h): head(ex["dz", l], h)}
            out.append(_headed(_eq(grad(q[1], l, h), form, env, head(value, h), Ref(q, l) if h is None else None), h))
        return tuple(out) + side_by_side(grad(q[1], l), value, q, l, H)
    if q == "dx":
        terms: list[Node] = []
        env = {}
        for name in ("q", "k", "v"):
            Wd = weight(name.upper(), l) if sep else Op("drop0", (weight(name.upper(), l),))  # W without its bias column
            terms.append(Op("@", (grad(name, l), Op("T", (Wd,)) if rows else Wd)))
            env[grad(name, l)] = ex[f"d{name}", l]
            env[Wd] = shown(kind.part(W, name.upper()))
        return (_eq(dl(Sym("x", l, vector=True)), add(*terms), env, value, Ref("dx", l),
                    note="" if sep else "each {} without its bias column", note_syms=() if sep else (Sym("W"),)),)
    # G of one matrix: G_Q ← G_Q + ∂ℓ/∂qᵀ X̃ …, G_O ← G_O + ∂ℓ/∂oᵀ Z̃
    name = q[1:]
    Gn = Sym("G", l, (name,), vector=True)
    assert step.before is not None
    before = kind.part(step.before, name)
    if name == "O":
        deltas, src = ex["do", l], steps.with_one(ex["z", l])
        dY, S = grad("o", l), rows_with_one("Z", l)
    else:
        deltas, src = ex[f"d{name.lower()}", l], x1
        dY, S = grad(name.lower(), l), X1
    Gl = Sym("G", l, vector=True)
    mean = P is not None and P.name != "lecture13" and P.mean
    m_size = E.group_size(net, step.key) if mean else 1
    # the new part's numbers are printed once, where they stand in G⁽ˡ⁾ (whose entries an exercise blanks)
    added: Node = Op("@", (Op("T", (dY,)), S))
    bound: dict[Any, np.ndarray] = {Gn: before, dY: deltas, S: src}
    line = "columns" if rows else "rows"  # where the stored gradient below holds the matrix's (transposed with rows)
    summed, said = f"summed over τ; the result in its {line} of {{}} below", (Sym("G"),)
    if name == "K":  # the bias column: exactly 0 (layer.py's key_bias_zero), not the sum of the rounded ∂ℓ/∂k
        zero, X = Sym("0", vector=True), Sym("X", l, vector=True)
        added = Op("hcat", (zero, Op("@", (Op("T", (dY,)), X))))
        bound = {Gn: before, zero: np.zeros((len(before), 1)), dY: deltas, X: src[:, 1:]}
        summed = (f"summed over τ, the result in its {line} of {{}} below; the bias column is exactly 0: {{}} adds the same "
                  "{}·{} / √dh to every score of row τ, which softmax ignores (each row of {} sums to 0)")
        b_K = Sym("b", None, ("K",))
        said = (Sym("G"), b_K, named("q", "τ"), b_K, named("δ"))
    # a separate b's gradient line of b_K: no bias column, only why it is 0
    why_zero = ("exactly 0: {} adds the same {}·{} / √dh to every score of row τ, which softmax ignores "
                "(each row of {} sums to 0)", said[1:])
    exact: dict[Any, float] = {}
    if mean:  # each example adds its term divided by the group's m: the mean G/m
        M = E.group_symbol(net.spec.optimizer, net.kinds)
        added, exact = Op("/", (group(added), M)), {M: float(m_size)}
        bound[Gn] = before / m_size
    if sep:  # ∂ℓ/∂W_Q ← … + ∂ℓ/∂qᵀ X (no column of ones) and ∂ℓ/∂b_Q ← … + ∂ℓ/∂qᵀ 1, each a line
        X, ones, Gb = Sym("Z" if name == "O" else "X", l, vector=True), Sym("1", vector=True), Sym("Gb", l, (name,), vector=True)
        zero = name == "K"  # b_K's gradient: exactly 0 (see the note)
        # with rows (cs231n's dW = xᵀ dscores, db = Σ dscores): Xᵀ ∂ℓ/∂q and 1ᵀ ∂ℓ/∂q, dW_Q shown D × C as W_Q
        w_part = Op("@", (Op("T", (X,)), dY) if rows else (Op("T", (dY,)), X))
        b_part = Sym("0", vector=True) if zero else Op("@", (Op("T", (ones,)), dY) if rows else (Op("T", (dY,)), ones))
        parts = []
        w_env: dict[Any, np.ndarray] = {Gn: shown(before) / m_size, dY: deltas, X: src[:, 1:]}
        b_env: dict[Any, np.ndarray] = {Gb: P.bias_shown(before) / m_size}
        b_env.update({b_part: np.zeros(len(before))} if zero else {dY: deltas, ones: np.ones(len(deltas))})
        for lhs, term, env in ((Gn, w_part, w_env), (Gb, b_part, b_env)):
            none = lhs is Gb and zero
            if mean and not none:
                term = Op("/", (group(term), E.group_symbol(net.spec.optimizer, net.kinds)))
            eq = _eq(lhs, add(lhs, term), env, value, None, rel="←", note=why_zero[0] if none else "",
                     exact={} if none else exact, note_syms=why_zero[1] if none else ())
            parts.append(replace(eq, forms=eq.forms[:-1]))
        update = parts[0]
        extra_lines: tuple[Equation, ...] = (parts[1],)
    else:
        update = _eq(Gn, add(Gn, added), bound, value, None, rel="←", note=summed, exact=exact, note_syms=said)
        extra_lines = ()
    stored = np.asarray(st.G[l]) / m_size
    per = "/m" if mean else ""
    where = ("as stored, transposed: the columns of {}, {}, {}, then {}; 0 outside the four matrices" if rows else
             "as stored: the rows of {}, {}, {}, then {}; 0 outside the four matrices")
    mats = tuple(Sym("G", None, (n,)) for n in WEIGHTS)
    if sep:  # the weights' part and the biases apart
        return (update, *extra_lines,
                Equation(Gl, (Arr(stored[:, 1:].T if rows else stored[:, 1:], Ref("G", l, view=("W.T" if rows else "W") + per)),),
                         "=", {}, "{} " + where, note_syms=(Gl, *mats)),
                Equation(E.Gb(l), (Arr(stored[:, 0], Ref("G", l, view="b" + per)),), "=", {},
                         f"{_named(P, E.Gb(l))}: each row's bias, in the same order"))
    return (replace(update, forms=update.forms[:-1]),
            Equation(Gl, (Arr(stored, Ref("G", l, view=per)),), "=", {}, "{} " + where, note_syms=(Gl, *mats)))


def rules(net: Network, l: int, P: Any = None) -> list[Equation]:
    """Attention layer l's lines of the network's rules (no numbers): forward over the sequence, then
    backward from ∂ℓ/∂o⁽ˡ⁾, per head h (dh = dk/H rows of q, k, v); in a profile ``P`` with a separate b,
    each matrix's bias apart (q = X W_Qᵀ + b_Qᵀ; with row vectors, each matrix shown D × C, q = X W_Q + b_Q),
    with a mean gradient, G/m."""
    kind = net.kinds[l - 1]
    assert isinstance(kind, Attention)
    sep = P is not None and P.name != "lecture13" and P.separate_bias
    if sep:
        return _separate_rules(net, kind, l, P)
    X1, Z1 = rows_with_one("X", l), rows_with_one("Z", l)
    root = Call("sqrt", (Sym("dh"),))
    h = "h"
    A, D = m("a", l, h), Sym("δ", l, (h,), vector=True, latex=r"\delta", counts=1)
    out = [Equation(m(q, l), (Op("@", (X1, Op("T", (weight(q.upper(), l),)))),), note=f"row τ: {q}_τ = W_{q.upper()} [1; x_τ]")
           for q in ("q", "k", "v")]
    causal = "; causal: τ′ ≤ τ only" if kind.causal else ""
    out += [
        Equation(m("e", l, h), (Op("/", (Op("@", (m("q", l, h), Op("T", (m("k", l, h),)))), root)),),
                 note=f"each head h = 1 … {kind.heads}, dh = {kind.dh}"),
        Equation(A, (row_softmax(kind, m("e", l, h)),), note="each row" + causal),
        Equation(m("z", l, h), (Op("@", (A, m("v", l, h))),), note="the heads' z side by side"),
        Equation(m("o", l), (Op("@", (Z1, Op("T", (weight("O", l),)))),), note="row τ: o_τ = W_O [1; z_τ]"),
        Equation(grad("z", l), (Op("@", (grad("o", l), Op("drop0", (weight("O", l),)))),),
                 note="∂ℓ/∂o from the layer above; W_O without its bias column"),
        Equation(grad("a", l, h), (Op("@", (grad("z", l, h), Op("T", (m("v", l, h),)))),)),
        Equation(D, (mul(A, Op("()", (Op("-", (grad("a", l, h), Sym("r", l, (h,), vector=True, counts=1))),))),),
                 note="{} = {}·{} along row τ",
                 note_syms=(Sym("r", None, ("τ",), counts=1), named("a", "τ"), dl(named("a", "τ")))),
        Equation(grad("q", l, h), (Op("/", (Op("@", (D, m("k", l, h))), root)),)),
        Equation(grad("k", l, h), (Op("/", (Op("@", (Op("T", (D,)), m("q", l, h))), root)),)),
        Equation(grad("v", l, h), (Op("@", (Op("T", (A,)), grad("z", l, h))),)),
        Equation(dl(Sym("x", l, vector=True)),
                 (add(*[Op("@", (grad(q, l), Op("drop0", (weight(q.upper(), l),)))) for q in ("q", "k", "v")]),),
                 note="to the layer below; each W without its bias column"),
    ]
    for name in ("Q", "K", "V", "O"):
        Gn = Sym("G", l, (name,), vector=True)
        src = Z1 if name == "O" else X1
        out.append(Equation(Gn, (add(Gn, _per(net, P, Op("@", (Op("T", (grad(name.lower(), l),)), src)))),), "←",
                            note="summed over τ"))
    return out


def _per(net: Network, P: Any, term: Node) -> Node:
    """A gradient's term as a mean profile writes it, divided by the group's size (else as it is)."""
    if P is None or P.name == "lecture13" or not P.mean:
        return term
    return Op("/", (group(term), E.group_symbol(net.spec.optimizer, net.kinds)))


def _separate_rules(net: Network, kind: Attention, l: int, P: Any) -> list[Equation]:
    """:func:`rules` with each matrix's bias apart: rows x_τ (X) and z_τ (Z) without a column of ones; with row
    vectors (cs231n: each matrix shown D × C), q = X W_Q + b_Q, ∂ℓ/∂x = ∂ℓ/∂q W_Qᵀ + …, G_Q ← G_Q + Xᵀ ∂ℓ/∂q."""
    lecture = rules(net, l)
    rows = P.vectors == "row"
    X, Z, ones = Sym("X", l, vector=True), Sym("Z", l, vector=True), Sym("1", vector=True)

    def times(a: Node, Wn: Node) -> Node:
        """a W (rows) or a Wᵀ (columns): the product of a matrix of rows with a weight matrix as it is shown."""
        return Op("@", (a, Wn) if rows else (a, Op("T", (Wn,))))

    def term(a: Node, Wn: Node, bn: Node, name: str) -> Equation:
        b = bn if rows else Op("T", (bn,))
        t = Sym("o", None, ("τ",), counts=1) if name == "O" else named(name.lower(), "τ")
        said = (t, named("z" if name == "O" else "x", "τ"), Sym("W", None, (name,)), Sym("b", None, (name,)))
        return Equation(m(name.lower(), l), (add(times(a, Wn), b),),
                        note="row τ: {} = {} {} + {}", note_syms=said if rows else (said[0], said[2], said[1], said[3]))

    out = [term(X, weight(q.upper(), l), bias(q.upper(), l), q.upper()) for q in ("q", "k", "v")]
    out += lecture[3:6]  # the scores, a and z: no bias in them
    out.append(term(Z, weight("O", l), bias("O", l), "O"))
    W_O = Op("T", (weight("O", l),)) if rows else weight("O", l)
    out.append(Equation(grad("z", l), (Op("@", (grad("o", l), W_O)),), note="{} from the layer above",
                        note_syms=(dl(Sym("o", l, vector=True)),)))
    out += lecture[8:13]  # ∂ℓ/∂a, δ, ∂ℓ/∂q, ∂ℓ/∂k, ∂ℓ/∂v
    back = [Op("@", (grad(q, l), Op("T", (weight(q.upper(), l),)) if rows else weight(q.upper(), l))) for q in ("q", "k", "v")]
    out.append(Equation(dl(Sym("x", l, vector=True)), (add(*back),), note="to the layer below"))
    for name in ("Q", "K", "V", "O"):
        S = Z if name == "O" else X
        dY = grad(name.lower(), l)
        Gn, Gb = Sym("G", l, (name,), vector=True), Sym("Gb", l, (name,), vector=True)
        w_term = Op("@", (Op("T", (S,)), dY) if rows else (Op("T", (dY,)), S))
        b_term = Op("@", (Op("T", (ones,)), dY) if rows else (Op("T", (dY,)), ones))
        out.append(Equation(Gn, (add(Gn, _per(net, P, w_term)),), "←", note="summed over τ"))
        out.append(Equation(Gb, (add(Gb, _per(net, P, b_term)),), "←",
                            note="exactly 0 (softmax ignores it)" if name == "K" else "summed over τ"))
    return out

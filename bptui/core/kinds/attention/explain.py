"""The chain rule behind one number of an attention layer's board (core/engine/explain.py's Cell): each
entry as the sum it is, with every factor's number, read from the board (steps.py's quantities):

    q_τ,b = Σ_a w^Q_b,a x̃_τ,a (k, v alike)       e_τ,τ′ = Σ_c q_τ,c k_τ′,c / √dh (the head's c)
    a_τ,τ′ = exp(e_τ,τ′) / Σ_τ″ exp(e_τ,τ″)       z_τ,b = Σ_τ′ a_τ,τ′ v_τ′,b
    o_τ,b = Σ_c w^O_b,c z̃_τ,c                     ∂ℓ/∂z_τ,c = Σ_b ∂ℓ/∂o_τ,b w^O_b,c
    ∂ℓ/∂a_τ,τ′ = Σ_c ∂ℓ/∂z_τ,c v_τ′,c             δ_τ,τ′ = a_τ,τ′ (∂ℓ/∂a_τ,τ′ − Σ_τ″ a_τ,τ″ ∂ℓ/∂a_τ,τ″)
    ∂ℓ/∂q_τ,c = Σ_τ′ δ_τ,τ′ k_τ′,c / √dh          ∂ℓ/∂k_τ′,c = Σ_τ δ_τ,τ′ q_τ,c / √dh
    ∂ℓ/∂v_τ′,c = Σ_τ a_τ,τ′ ∂ℓ/∂z_τ,c             ∂ℓ/∂x_τ,a = Σ_c (∂ℓ/∂q_τ,c w^Q_c,a + ∂ℓ/∂k_τ,c w^K_c,a + ∂ℓ/∂v_τ,c w^V_c,a)
    G^Q_b,a = Σ_τ ∂ℓ/∂q_τ,b x̃_τ,a (K, V alike), G^O_b,c = Σ_τ ∂ℓ/∂o_τ,b z̃_τ,c   (x̃_τ = [1; x_τ], z̃_τ = [1; z_τ])
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ...engine import wiring as wired
from ...engine.explain import _LARGEST_EXPONENT, LOSS, Cell, _alpha_env, Explanation, _Builder, _group_size, _not_yet, \
    builder, current_example
from ...formulas.formula import Call, Equation, LatexPrinter, Node, Num, Op, Partial, Ref, Sum, Sym, add, group, mul, sub, \
    substitute
from ...ops.activations import IDENTITY_NOTE
from ...formulas.profiles import shown_ref
from ..rnn import explain as seq_explain
from . import steps
from .layer import OWN_NAMES, WEIGHTS, Attention, keys_summing_to_zero

OWN = ("q", "k", "v", "scores", "a", "z", "o", "delta", "dz", "da", "dq", "dk", "dv", "dx")


def said(out: _Builder, quantity: str, *sub: int | str, layer: int | None = None, units: int = 0) -> str:
    """An attention quantity (``OWN_NAMES``: q, e, a, z, ∂ℓ/∂o, …) named in an explanation's words, in the
    builder's notation: q₁, ∂ℓ/∂o_τ,2, α_1,τ′ in nielsen (its letters as the equations write them; no layer
    unless ``layer``). τ, τ′ and a head count from 1; the last ``units`` subscripts are units (renumbered
    from a profile's first unit)."""
    base, grad = OWN_NAMES.get(quantity, (quantity, False))  # x: the layer's input row, as ∂ℓ/∂x names it
    sym = Sym(base, layer, tuple(sub), latex=r"\delta" if base == "δ" else None, own="attention",
              counts=len(sub) - units)
    return out.p(Partial(LOSS, sym, prefixed=True) if grad else sym)  # cs231n's dq, as the equations write it


def matrix(out: _Builder, name: str, part: str = "W") -> str:
    """W_Q … W_O (``part`` "W"), or its bias b_Q … (``part`` "b"), in the builder's notation (w_Q in nielsen)."""
    return out.p(Sym(part, None, (name,)))


def product(out: _Builder, name: str, x: str) -> str:
    """The product a q, k, v or o row is, as the builder's notation groups the bias: W_Q [1; x_τ] (the bias in
    column 0), or w_Q x_τ + b_Q (a separate b)."""
    return (f"{matrix(out, name)} {x} + {matrix(out, name, 'b')}" if out.separate else
            f"{matrix(out, name)} [1; {x}]")


def handles(kind: Attention, spec: Any, cell: Cell) -> bool:
    """A cell of an attention layer's own board (its matrices, at a 0-based tuple position, and its G),
    or of a dense layer of its network at τ, or the loss summed over τ (the recurrent family's
    explanations, but for δ of a dense layer under an attention layer)."""
    if cell.quantity == "loss":
        return spec.return_sequences
    if cell.layer is None or not 0 <= cell.layer <= spec.L:
        return False
    if cell.layer and spec.layer_kinds[cell.layer - 1].mixes_time:
        return spec.layer_kinds[cell.layer - 1] is kind and (
            (cell.quantity in OWN and (isinstance(cell.unit, tuple) or cell.time is not None)) or cell.quantity == "G")
    if (cell.layer and spec.layer_kinds[cell.layer - 1].own_steps) or any(
            k.own_steps and k.explains(spec, cell) for k in spec.layer_kinds):  # a layer norm's or dropout's own cells
        return False
    return seq_explain.handles(spec, cell)


def explain_any(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """``explain`` for an attention layer's own cell, δ of a dense layer under one; the recurrent
    family's explanation of a dense layer's cell at τ or of the loss otherwise."""
    spec = stepper.spec
    l = cell.layer
    if cell.quantity == "loss":
        return seq_explain.explain_loss(stepper, cell, digits)
    if l and spec.layer_kinds[l - 1].mixes_time:
        return explain(stepper, cell, digits)
    if l and spec.layer_kinds[l - 1].span and cell.quantity in ("o", "delta"):
        return _explain_block(stepper, cell, digits)
    if cell.quantity == "delta" and steps.reads_sent(stepper.net, l):
        return _explain_dense_delta(stepper, cell, digits)
    return seq_explain.explain_rnn(stepper, cell, digits)


def _explain_dense_delta(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """δ⁽ˡ⁾_τ,b = ∂ℓ/∂x⁽ˡ⁺¹⁾_τ,b · f′(s⁽ˡ⁾_τ,b) of a dense layer under an attention layer."""
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    out = builder(stepper, digits)
    lhs = Sym("δ", l, (b,), latex=r"\delta", time=t)
    c = wired.reader(net, l)  # l + 1, or along a residual block's wires
    if st.delta[l] is None or np.isnan(st.delta[l][t - 1][b - 1]):
        return _not_yet(cell, f"{out.q('delta', l)} at τ = {t} comes in this example's backward pass, after layer "
                              f"{out.layer(c)}'s.", out)
    above = net.kinds[c - 1]
    dx = float(steps.from_above(net, st, l, t)[b - 1])
    s_b, o_b = Sym("s", l, (b,), time=t), Sym("o", l, (b,), time=t)
    s_v, o_v = float(st.s[l][t - 1][b - 1]), float(st.o[l][t - 1][b])
    fp = float(net.df(l, st.s[l][t - 1], st.o[l][t - 1][1:])[b - 1])
    value = float(st.delta[l][t - 1][b - 1])
    o_t, f_s = out.p(Sym("o", l, vector=True, time="τ")), f"f′({out.p(Sym('s', l, (b,), time='τ'))})"
    if above.mixes_time:
        x_t = said(out, "x", "τ")
        out.say(f"the attention layer {out.layer(c)} reads {x_t} = {o_t}: its dx ({said(out, 'dx', 'τ')}, every τ′'s "
                f"query, key and value through {', '.join(matrix(out, n) for n in 'QKV')}) times {f_s}")
    else:
        out.say(f"layer {out.layer(c)} ({above.describe()}) reads {o_t}: what it sends down "
                f"({out.p(Partial(LOSS, Sym('o', l, vector=True, time='τ')))}) times {f_s}")
    down = Partial(Sym("ℓ", latex=r"\ell"), o_b)  # what the reader sends down: ∂ℓ/∂o⁽ˡ⁾_τ,b
    place = above.sent_place(st, c, t, (b - 1,))
    if place is not None:  # on the board: an attention layer's dx, a layer norm's or a block's ∂ℓ/∂x
        came = Num(dx, Ref(place[0], c, place[1]))
    else:  # a dense layer at τ: (W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾_τ)[1:], worked on the board's numbers
        Wc, dc = st.W[c], st.delta[c][t - 1]
        w_syms = [Sym("w", c, (k, b)) for k in range(1, len(dc) + 1)]
        d_syms = [Sym("δ", c, (k,), latex=r"\delta", time=t) for k in range(1, len(dc) + 1)]
        expanded = add(*[mul(w, d) for w, d in zip(w_syms, d_syms)])
        nums = {**{w: Num(float(Wc[k, b]), Ref("W", c, (k, b))) for k, w in enumerate(w_syms)},
                **{d: Num(float(dc[k]), Ref("delta", c, (t - 1, k))) for k, d in enumerate(d_syms)}}
        out.eq(Equation(down, (expanded, substitute(expanded, nums), Num(dx, means=down)), "=",
                        {down: dx, **{w: float(Wc[k, b]) for k, w in enumerate(w_syms)},
                         **{d: float(dc[k]) for k, d in enumerate(d_syms)}}))
        came = Num(dx, means=down)
    result = Num(value, Ref("delta", l, (t - 1, b - 1)))
    if net.act(l).derivative_is_one:  # ∂o/∂s = 1: δ is what comes down
        out.eq(Equation(lhs, (came, result), "=", {down: dx}, IDENTITY_NOTE))
    else:  # f′ from its formula, on the board's s and o
        df = net.act(l).derivative(s_b, o_b)
        filled = substitute(df, {s_b: Num(s_v, Ref("s", l, (t - 1, b - 1))), o_b: Num(o_v, _unit_ref(net, l, t, b))})
        out.eq(Equation(lhs, (mul(down, df), mul(came, filled), result), "=",
                        {down: dx, s_b: s_v, o_b: o_v, **_alpha_env(net, l)}))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: {out.q('delta')} of unit {out.unit(b)} of layer "
                    f"{out.layer(l)} at τ = {t}, example n = {current_example(stepper)}", value, terms=(dx,), factor=fp)


def _explain_block(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """A residual block's cell at τ: o⁽ᵏ⁾_τ,b = x_τ,b + F(x)_τ,b, or ∂ℓ/∂x⁽ᵏ⁾_τ,b = ∂ℓ/∂o⁽ᵏ⁾_τ,b + what F's
    first layer sends to x_τ,b."""
    st, net = stepper.state, stepper.net
    w = net.wiring
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    out = builder(stepper, digits)
    if cell.quantity == "o":
        board = st.o[l]
        if board is None or np.isnan(board[t - 1][b]):
            return _not_yet(cell, f"{out.q('o', l)} at τ = {t} comes after the block's layers, in the forward pass.", out)
        x = float(steps.units(net, st, w.src[l])[t - 1][b - 1])
        f = float(steps.units(net, st, w.tail[l])[t - 1][b - 1])
        value = float(board[t - 1][b])
        lhs = Sym("o", l, (b,), time=t)
        out.say(f"the skip adds the block's input x = {out.p(Sym('o', w.src[l], vector=True, time='τ'))} to its layers' "
                f"output F(x) = {out.p(Sym('o', w.tail[l], vector=True, time='τ'))}")
        out.eq(Equation(lhs, (add(Num(x, _unit_ref(net, w.src[l], t, b)), Num(f, _unit_ref(net, w.tail[l], t, b))),
                              Num(value, Ref("o", l, (t - 1, b)))), "=", {}))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {out.unit(b)} of block {out.layer(l)} at τ = {t}, "
                        f"example n = {current_example(stepper)}", value, terms=(x, f))
    if st.delta[l] is None or np.isnan(st.delta[l][t - 1][b - 1]):
        return _not_yet(cell, f"{out.p(Partial(LOSS, Sym('x', l, vector=True)))} at τ = {t} comes in the backward pass, "
                              "after the block's layers.", out)
    up = float(steps.from_above(net, st, l, t)[b - 1])
    inner = float(net.kinds[l].sequence_sent(st, l + 1, t)[b - 1])
    value = float(st.delta[l][t - 1][b - 1])
    lhs = Sym("∂ℓ/∂x", l, (b,), time=t, latex=r"\partial\ell/\partial x")
    out.say(f"the fan-in: x_τ reaches {out.p(LOSS)} through the skip ({out.p(Partial(LOSS, Sym('o', l, vector=True, time='τ'), prefixed=True))})"
            f" and through the block's first layer {out.layer(l + 1)}")
    out.eq(Equation(lhs, (add(Num(up), Num(inner)), Num(value, Ref("delta", l, (t - 1, b - 1)))), "=", {}))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {out.unit(b)} of {out.p(Partial(LOSS, Sym('x'), prefixed=True))} of block "
                    f"{out.layer(l)} at τ = {t}, example n = {current_example(stepper)}", value, terms=(up, inner))


def _input_entry(out: _Builder, name: str, c: int) -> str:
    """Entry c of what W_Q, W_K, W_V (x_τ) or W_O (z_τ) multiply, in the builder's notation: [1; x_τ]_c with the
    bias in column 0, x_τ,c with a separate b (its c a unit, renumbered from the profile's first)."""
    src = "z" if name == "O" else "x"
    if out.separate:
        return said(out, src, "τ", c, units=1)
    return f"[1; {said(out, src, 'τ')}]_{c}"


def _unit_ref(net: Any, k: int, t: int, b: int) -> Ref:
    """Where unit b (from 1) of layer k's units at τ = t (steps.units) stands on the board: row τ of
    o⁽ᵏ⁾ (a kind that keeps o_0 in row 0: row τ + 1), past a bias column."""
    if k == 0:
        return Ref("o", 0, (t - 1, b))
    kind = net.kinds[k - 1]
    return Ref("o", k, (kind.time_row("o", t), b - 1 + int(kind.bias_entry)))


def position(cell: Cell, board: np.ndarray | None) -> tuple[int, ...]:
    """The 0-based position of ``cell`` in its matrix: its tuple, or the panel's row b at τ (a per-τ row
    (τ − 1, b − 1); in a's rows, head and key from b − 1 = h·T + τ′ − 1)."""
    if isinstance(cell.unit, tuple):
        return tuple(cell.unit)
    t, b = int(cell.time or 1), int(cell.unit) - 1
    if board is not None and np.ndim(board) == 3:
        h, u = divmod(b, np.shape(board)[2])
        return (h, t - 1, u)
    return (t - 1, b)


def _board(st: Any, q: str, l: int) -> np.ndarray | None:
    if q == "o":
        return None if st.o[l] is None else np.asarray(st.o[l])[1:]
    if q == "delta":
        return st.delta[l]
    return st.extra.get((q, l))


def explain(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    l, q = int(cell.layer or 0), cell.quantity
    kind = net.kinds[l - 1]
    assert isinstance(kind, Attention)
    out = builder(stepper, digits)
    n = current_example(stepper)
    if q == "G":
        return _explain_G(stepper, kind, cell, out)
    board = _board(st, q, l)
    pos = position(cell, board)
    cell = replace(cell, unit=pos, time=None, kind=kind)  # named by its place in its matrix
    if board is None or np.isnan(np.asarray(board)[pos]):
        return _not_yet(cell, f"{out.p(kind.cell_sym(q, l, pos))} comes in this example's "
                              f"{'forward' if q in steps.FORWARD_OWN + ('o',) else 'backward'} pass.")
    ex, W = st.extra, st.W[l]
    x1 = steps.with_one(steps.layer_input(net, st, l))
    T = len(x1)

    def at(qq: str, *p: int) -> Num:
        """Board entry (0-based p) of quantity qq as a number that names its place."""
        whole = _board(st, qq, l)
        assert whole is not None
        index = ((p[0] + 1,) + p[1:]) if qq == "o" else p
        return Num(float(np.asarray(whole)[p]), Ref(qq, l, index))

    def sym(qq: str, *p: int) -> Node:
        return kind.cell_sym(qq, l, p)

    def w(name: str, r: int, c: int) -> Num:
        first = WEIGHTS.index(name) * kind.dk
        return Num(float(kind.part(W, name)[r, c]), Ref("W", l, (first + r, c)))

    value = float(np.asarray(board)[pos])
    dh, root = kind.dh, math.sqrt(kind.dh)
    terms: list[float] = []
    factor = 1.0
    words = ""
    if q in ("q", "k", "v") and out.separate:  # Σ_a w_Q,b,a x_τ,a + b_Q,b: the profile's b, no 1 to multiply
        t, b = pos
        out.say(f"entry {out.unit(b + 1)} of {said(out, q, t + 1)} = {product(out, q.upper(), said(out, 'x', t + 1))}")
        return _affine(out, kind, l, q, pos, value, W, x1, "x", n)
    elif q in ("q", "k", "v"):
        t, b = pos
        nums = [mul(w(q.upper(), b, a), Num(float(x1[t, a]), exact=a == 0)) for a in range(x1.shape[1])]
        terms = [float(kind.part(W, q.upper())[b, a] * x1[t, a]) for a in range(x1.shape[1])]
        words = f"entry {out.unit(b + 1)} of {said(out, q, t + 1)} = {product(out, q.upper(), said(out, 'x', t + 1))} " \
                "(the bias first)"
    elif q == "o":
        t, b = pos
        z1 = steps.with_one(ex["z", l])
        if out.separate:
            out.say(f"unit {out.unit(b + 1)} of {said(out, 'o', t + 1)} = {product(out, 'O', said(out, 'z', t + 1))}")
            return _affine(out, kind, l, q, pos, value, W, z1, "z", n)
        nums = [mul(w("O", b, c), Num(float(z1[t, c]), exact=c == 0)) for c in range(z1.shape[1])]
        terms = [float(kind.part(W, "O")[b, c] * z1[t, c]) for c in range(z1.shape[1])]
        words = f"unit {out.unit(b + 1)} of {said(out, 'o', t + 1)} = {product(out, 'O', said(out, 'z', t + 1))}"
    elif q == "scores":
        h, t, u = pos
        cs = range(h * dh, (h + 1) * dh)
        nums = [mul(at("q", t, c), at("k", u, c)) for c in cs]
        terms = [float(ex["q", l][t, c] * ex["k", l][u, c]) for c in cs]
        factor = 1 / root
        words = f"{said(out, 'q', t + 1)}·{said(out, 'k', u + 1)} over head {h + 1}'s {dh} entries, divided by √{dh}"
    elif q == "a":
        h, t, u = pos
        e = np.asarray(st.extra["scores", l])[h, t]
        keys = [v for v in range(T) if not kind.causal or v <= t]
        nums = []
        words = (f"the softmax of row {t + 1} of {said(out, 'scores')}: exp({said(out, 'scores', t + 1, u + 1)}) / "
                 f"Σ_j exp({said(out, 'scores', t + 1, 'j')}) over the keys j" + (f" ≤ {t + 1} (causal)" if kind.causal else ""))
        out.say(words)
        result = Num(value, Ref("a", l, pos))
        if kind.causal and u > t:
            out.say(f"τ′ = {u + 1} > τ = {t + 1}: masked, {said(out, 'a')} = 0")
            out.eq(Equation(sym(q, *pos), (result,), "=", {}))
        else:
            e_u, top = sym("scores", h, t, u), float(max(e[v] for v in keys))
            assert isinstance(e_u, Sym)
            e_v = replace(e_u, sub=e_u.sub[:-1] + ("j",), vector=True)
            shift = abs(top) > _LARGEST_EXPONENT  # e^top would be ∞ (or 0): every e less the largest

            def exp_of(v: int) -> Node:
                return Call("exp", (Num(float(e[v]) - top) if shift else at("scores", h, t, v),))

            out.eq(Equation(sym(q, *pos), (Op("/", (Call("exp", (e_u,)), Sum("j", Call("exp", (e_v,))))),
                                           Op("/", (exp_of(u), add(*[exp_of(v) for v in keys]))), result),
                            "=", {e_u: float(e[u]), e_v: e[keys]},
                            f"each e less the largest, {out.n(top)}: e^{out.n(top)} is "
                            f"{'more' if top > 0 else 'less'} than a float holds" if shift else ""))
        title = f"{out.p(sym(q, *pos))} = {out.n(value)}: how much query {t + 1} reads key {u + 1}"
        return out.done(title + (f" (head {h + 1})" if kind.heads > 1 else "") + f", example n = {n}", value)
    elif q == "z":
        t, b = pos
        h = b // dh
        nums = [mul(at("a", h, t, u), at("v", u, b)) for u in range(T)]
        terms = [float(ex["a", l][h, t, u] * ex["v", l][u, b]) for u in range(T)]
        words = f"the {said(out, 'a')}-weighted sum of {said(out, 'v', 'τ′')} (head {h + 1}'s entry " \
                f"{out.unit(b - h * dh + 1)}) over τ′"
    elif q == "dz":
        t, c = pos
        nums = [mul(at("do", t, b), w("O", b, c + 1)) for b in range(kind.d)]
        terms = [float(ex["do", l][t, b] * kind.part(W, "O")[b, c + 1]) for b in range(kind.d)]
        line = "row" if out.notation is not None and out.notation.transposed else "column"  # as the panel shows W_O
        words = f"{said(out, 'do', t + 1)} sent back through {line} {out.unit(c + 1)} of {matrix(out, 'O')}"
    elif q == "da":
        h, t, u = pos
        cs = range(h * dh, (h + 1) * dh)
        nums = [mul(at("dz", t, c), at("v", u, c)) for c in cs]
        terms = [float(ex["dz", l][t, c] * ex["v", l][u, c]) for c in cs]
        words = (f"{said(out, 'z', t + 1)} = Σ_τ′ {said(out, 'a', t + 1, 'τ′')} {said(out, 'v', 'τ′')}, so "
                 f"{said(out, 'da', t + 1, u + 1)} = {said(out, 'dz', t + 1)}·{said(out, 'v', u + 1)} (head {h + 1})")
    elif q == "delta":
        h, t, u = pos
        a, da = np.asarray(ex["a", l])[h, t], np.asarray(ex["da", l])[h, t]
        r = float(a @ da)
        d_, w_, dw_, r_ = said(out, "delta"), said(out, "a"), said(out, "da"), out.p(Sym("r"))
        out.say(f"the softmax's Jacobian on row {t + 1}: {d_} = {w_} ({dw_} − {r_}), {r_} = Σ_τ″ "
                f"{said(out, 'a', t + 1, 'τ″')} {said(out, 'da', t + 1, 'τ″')}")
        rsum = add(*[mul(at("a", h, t, v), at("da", h, t, v)) for v in range(T)])
        r_sym = Sym("r", l, (h + 1, t + 1) if kind.heads > 1 else (t + 1,))
        out.eq(Equation(r_sym, (rsum, Num(r, means=r_sym)), "=", {r_sym: r}, f"{{}} of row {t + 1}", note_syms=(Sym("r"),)))
        filled = mul(at("a", h, t, u), group(sub(at("da", h, t, u), Num(r, means=r_sym))))
        out.eq(Equation(sym(q, *pos), (filled, Num(value, Ref("delta", l, pos))), "=", {r_sym: r}))
        return out.done(f"{out.p(sym(q, *pos))} = {out.result()}: {d_} of score {said(out, 'scores', t + 1, u + 1)}, "
                        f"example n = {n}", value)
    elif q in ("dq", "dk"):
        t, c = pos
        h = c // dh
        other = "k" if q == "dq" else "q"
        if q == "dq":
            nums = [mul(at("delta", h, t, u), at(other, u, c)) for u in range(T)]
            terms = [float(st.delta[l][h, t, u] * ex[other, l][u, c]) for u in range(T)]
        else:
            nums = [mul(at("delta", h, u, t), at(other, u, c)) for u in range(T)]
            terms = [float(st.delta[l][h, u, t] * ex[other, l][u, c]) for u in range(T)]
        factor = 1 / root
        words = (f"every score {'of query' if q == 'dq' else 'of key'} {t + 1} sends back {said(out, 'delta')} times "
                 f"{said(out, other)}, over √{dh}")
    elif q == "dv":
        t, c = pos
        h = c // dh
        nums = [mul(at("a", h, u, t), at("dz", u, c)) for u in range(T)]
        terms = [float(ex["a", l][h, u, t] * ex["dz", l][u, c]) for u in range(T)]
        words = f"{said(out, 'v', t + 1)} reaches every {said(out, 'z', 'τ')} with weight {said(out, 'a', 'τ', t + 1)}"
    else:  # dx
        t, a_ = pos
        nums, terms = [], []
        for name in "qkv":
            for c in range(kind.dk):
                nums.append(mul(at(f"d{name}", t, c), w(name.upper(), c, a_ + 1)))
                terms.append(float(ex[f"d{name}", l][t, c] * kind.part(W, name.upper())[c, a_ + 1]))
        words = (f"{said(out, 'x', t + 1)} feeds {said(out, 'q', t + 1)}, {said(out, 'k', t + 1)} and "
                 f"{said(out, 'v', t + 1)}: their gradients back through {', '.join(matrix(out, n) for n in 'QKV')}")
    form: Node = add(*nums)
    if factor != 1.0:
        form = mul(form, Num(factor))
    out.say(words)
    out.eq(Equation(sym(q, *pos), (form, Num(value, Ref(q, l, ((pos[0] + 1,) + pos[1:]) if q == "o" else pos))),
                    "=", {}))
    return out.done(f"{out.p(sym(q, *pos))} = {out.result()}: layer {out.layer(l)}, example n = {n}", value, terms, factor)


def _affine(out: _Builder, kind: Attention, l: int, q: str, pos: tuple[int, ...], value: float, W: np.ndarray,
            src1: np.ndarray, src: str, n: int | None) -> Explanation:
    """Entry (τ, b) of q, k, v (``src`` "x") or o ("z") with a separate bias: Σ_a w_Q,b,a x_τ,a + b_Q,b, the
    bias under the profile's name and added last (no w·1 with the lecture's 1 of column 0), as a dense
    layer's z_b = Σ_a w_b,a a_a + b_b is worked; ``src1`` the rows [1; x_τ] (or [1; z_τ]) on the board."""
    t, b = pos
    name = q.upper()
    first = WEIGHTS.index(name) * kind.dk
    part = kind.part(W, name)
    d = src1.shape[1] - 1
    w_syms = [kind.weight_sym(l, first + b, a) for a in range(d + 1)]  # a = 0: b_Q,b in the profile
    x_syms = [Sym(src, None, (t + 1, a), own="attention", counts=1) for a in range(d + 1)]
    i = out.index_besides(OWN)  # not its keys' k
    w_a = Sym("w", l, (name, b + 1, i))
    x_a = Sym(src, None, (t + 1, i), own="attention", counts=1)
    env: dict = {w_a: part[b, 1:], x_a: src1[t, 1:], **{ws: float(part[b, a]) for a, ws in enumerate(w_syms)},
                 **{xs: float(src1[t, a]) for a, xs in enumerate(x_syms)}}
    expanded = add(*[mul(w_syms[a], x_syms[a]) for a in range(1, d + 1)], w_syms[0])
    numbers = substitute(expanded, {**{ws: Num(float(part[b, a]), Ref("W", l, (first + b, a)), means=ws)
                                       for a, ws in enumerate(w_syms)},
                                    **{xs: Num(float(src1[t, a])) for a, xs in enumerate(x_syms)}})
    terms = [float(part[b, a] * src1[t, a]) for a in range(1, d + 1)] + [float(part[b, 0])]
    lhs = kind.cell_sym(q, l, pos)
    result = Num(value, Ref(q, l, ((t + 1, b) if q == "o" else pos)))
    out.eq(Equation(lhs, (add(Sum(i, mul(w_a, x_a)), w_syms[0]), expanded, numbers,
                          add(*[Num(x) for x in terms]), result), "=", env,
                    note=f"{i} = {out.units(1, d)}; {out.p(w_syms[0])} is the bias"))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: layer {out.layer(l)}, example n = {n}", value, terms)


def _explain_G(stepper: Any, kind: Attention, cell: Cell, out: _Builder) -> Explanation:
    """G^Q_b,a = Σ_τ ∂ℓ/∂q_τ,b x̃_τ,a summed so far (G^O from ∂ℓ/∂o and z̃)."""
    st, net = stepper.state, stepper.net
    l = int(cell.layer or 0)
    row, col = int(cell.unit) - 1, int(cell.column or 0)
    found = kind.weight_of(row, col)
    m = _group_size(stepper) if out.mean else 1  # a mean profile shows G/m for the group's m examples
    value = float(st.G[l][row, col]) / m
    summed = f"averaged (G/m, m = {m})" if out.mean else "summed"
    if found is None:
        out.say("outside the four matrices: nothing reads this entry, so its gradient is always 0")
        return out.done(f"{out.q('G', l)} entry ({row + 1}, {col}) = 0", value)
    name, r, c = found
    g = out.p(kind.grad_sym(l, row, col))
    ref = Ref("G", l, (row, col))
    shown = shown_ref(ref, out.notation, net.L) if out.mean and out.notation is not None else ref  # G/m
    if name == "K" and c == 0:  # exactly 0 (layer.py's key_bias_zero), not the sum of the rounded ∂ℓ/∂k
        b_K, dk_ = matrix(out, "K", "b"), said(out, "dk", "τ")
        out.say(f"the key bias's gradient is exactly 0: {b_K} adds the same {said(out, 'q', 'τ')}·{b_K} / √dh to every "
                f"score of row τ, which softmax ignores (each row of {said(out, 'delta')} sums to 0, so Σ_τ {dk_} = 0)")
        out.eq(Equation(kind.grad_sym(l, row, col), (Num(value, shown),)))
        return out.done(f"{g} = {out.n(value)}: always 0", value)
    grads = st.extra.get(("do" if name == "O" else f"d{name.lower()}", l))
    if grads is None or np.isnan(grads).any():
        out.say(f"{g} sums {said(out, 'd' + name.lower(), 'τ', r + 1, units=1)} · {_input_entry(out, name, c)} over τ "
                "and the examples of the update group" + (" (divided by m)" if out.mean else "") + "; this example's part "
                "comes in its backward pass")
        return out.done(f"{g} = {out.n(value)} so far", value)
    src = steps.with_one(st.extra["z", l]) if name == "O" else steps.with_one(steps.layer_input(net, st, l))
    g_name = "do" if name == "O" else f"d{name.lower()}"
    G_l = Sym("G", l, vector=True)  # the group's gradient so far, in the builder's notation (∂C/∂w⁴ in nielsen)
    before = Sym(f"{out.p(G_l)} before this example", None,
                 latex="{" + LatexPrinter(notation=out.notation).p(G_l) + r"}_{\text{before}}")
    if name == "K" and np.all(src[:, c] == src[0, c]) and keys_summing_to_zero(grads)[r]:
        # steps.py's key_gradient: this example's part is exactly 0, as the key bias's
        x_c, dk_r = said(out, "x", "τ", c, units=1), said(out, "dk", "τ", r + 1, units=1)
        out.say(f"{x_c} is {out.n(float(src[0, c]))} at every τ of this example, so its part "
                f"Σ_τ {dk_r} · {x_c} is {said(out, 'x', c, units=1)} · Σ_τ {dk_r} = 0: each row of "
                f"{said(out, 'delta')} sums to 0, so Σ_τ {said(out, 'dk', 'τ')} = 0 (as for the key bias)")
        part: Node = Num(0.0, exact=True)
        terms = [0.0]
    else:
        terms = [float(grads[t, r] * src[t, c]) for t in range(len(src))]
        bias = out.separate and c == 0  # ∂ℓ/∂b = Σ_τ ∂ℓ/∂q_τ: no x̃_τ,0 = 1 in this notation
        out.say(f"this example's part: Σ_τ {said(out, g_name, 'τ', r + 1, units=1)}"
                + ("" if bias else f" · {_input_entry(out, name, c)}") + f" (added at its {out.p(Sym('G', None, (name,)))} "
                "step) to the earlier examples' part" + (f", all divided by the group's m = {m}" if out.mean else ""))
        part = add(*[Num(float(grads[t, r]), Ref(g_name, l, (t, r))) if bias else
                     mul(Num(float(grads[t, r]), Ref(g_name, l, (t, r))), Num(float(src[t, c]), exact=c == 0))
                     for t in range(len(src))])
    g0 = float(st.G[l][row, col]) - float(sum(terms))  # the board holds the sum
    form: Node = add(Num(g0, means=before), part)
    if out.mean:  # G/m: the group's sum so far, divided by its m
        form = Op("/", (group(form), Num(float(m), exact=True)))
    out.eq(Equation(kind.grad_sym(l, row, col), (form, Num(value, shown)), "=", {before: g0}))
    return out.done(f"{g} = {out.n(value)}: {summed} over τ and the examples of the update group so far", value)

"""The cells a residual block adds, explained with every factor: the block's output o⁽ᵏ⁾ = x + F(x),
its fan-in ∂ℓ/∂x⁽ᵏ⁾, and the δ of the layer below a block (whose ∂ℓ/∂o is the block's ∂ℓ/∂x). The
other cells of a network with blocks are the dense path's (core/engine/explain.py follows the wires)."""

from __future__ import annotations

from typing import Any

from ..engine.explain import LOSS, Cell, Explanation, _alpha_env, _not_yet, _stale, _weights_of_group, builder, current_example
from ..engine.wiring import Wiring, wiring_of
from ..formulas.formula import Equation, Node, Num, Partial, Ref, Sum, Sym, add, group, mul, substitute
from .residual import dx_sym


def handles(spec: Any, cell: Cell) -> bool:
    """A block's o or ∂ℓ/∂x, or the δ of a layer whose ∂ℓ/∂o a block sends."""
    w = wiring_of(spec.layer_kinds)
    l = cell.layer
    if w is None or not l or cell.quantity not in ("o", "delta") or l >= spec.L or spec.lengths is not None:
        return False  # on sequences: the kind that steps them explains a block's cells at τ
    if spec.layer_kinds[l - 1].span:
        return True
    if any(k.own_steps and k.explains(spec, cell) for k in spec.layer_kinds):  # a layer norm's or dropout's
        return False
    return cell.quantity == "delta" and bool(spec.layer_kinds[w.sender[w.outer(l)] - 1].span)


def explain(stepper: Any, cell: Cell, digits: int) -> Explanation:
    l, b = cell.layer or 0, int(cell.unit or 0)
    w: Wiring = stepper.net.wiring
    if stepper.spec.layer_kinds[l - 1].span:
        return (_output if cell.quantity == "o" else _fan_in)(stepper, w, l, b, digits)
    return _delta_below(stepper, w, l, b, digits)


def _output(stepper: Any, w: Wiring, k: int, b: int, digits: int) -> Explanation:
    st, out = stepper.state, builder(stepper, digits)
    lhs, o_k = Sym("o", k, (b,)), Sym("o", k, vector=True)
    if st.o[k] is None:
        return _not_yet(Cell("o", k, b), f"{out.p(o_k)} comes in this example's forward pass, after the block's layers.", out)
    if b == 0:
        out.eq(Equation(lhs, (Num(1.0, exact=True),), note=f"x's bias entry, kept: layer {out.layer(w.sender[k])} reads it"))
        return out.done(f"{out.p(lhs)} = 1: the bias entry of the block's output {out.p(o_k)}", 1.0)
    x, t = w.src[k], w.tail[k]
    xs, fs = Sym("o", x, (b,)), Sym("o", t, (b,))
    xv, fv, value = float(st.o[x][b]), float(st.o[t][b]), float(st.o[k][b])
    rhs = add(xs, fs)
    numbers = add(Num(xv, Ref("o", x, (b,))), Num(fv, Ref("o", t, (b,))))
    out.eq(Equation(lhs, (rhs, numbers, Num(value, Ref("o", k, (b,)))), bindings={xs: xv, fs: fv},
                    note="x = {}, the block's input (the skip); F(x) = {}, its last layer's output",
                    note_syms=(Sym("o", x, vector=True), Sym("o", t, vector=True))))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {out.unit(b)} of residual block {out.layer(k)}'s output x + F(x), "
                    f"example n = {current_example(stepper)}", value, (xv, fv))


def _sent(stepper: Any, c: int, b: int) -> tuple[Node, Node, Node, float, dict, list[float]]:
    """Entry b of what layer c sends to its input: (Σ form, expanded form, its numbers, value,
    bindings, terms) — a dense layer's Σ_j δ_j⁽ᶜ⁾ w_j,b⁽ᶜ⁾, a block's ∂ℓ/∂x_b⁽ᶜ⁾."""
    st = stepper.state
    kind = stepper.spec.layer_kinds[c - 1]
    if kind.span or kind.own_steps:  # a block's fan-in, a layer norm's or dropout layer's ∂ℓ/∂x: on the board
        v = float(st.delta[c][b - 1])
        sym = dx_sym(c, b) if kind.span else kind.dx_sym(c, (b - 1,))
        return sym, sym, Num(v, Ref("delta", c, (b - 1,))), v, {sym: v}, [v]
    W = _weights_of_group(stepper)[c]
    on_board = W is st.W[c]
    d = st.delta[c]
    d_j, w_jb = Sym("δ", c, ("j",), latex=r"\delta"), Sym("w", c, ("j", b))
    d_syms = [Sym("δ", c, (j,), latex=r"\delta") for j in range(1, len(d) + 1)]
    w_syms = [Sym("w", c, (j, b)) for j in range(1, len(d) + 1)]
    expanded = add(*[mul(ds, ws) for ds, ws in zip(d_syms, w_syms)])
    values = {**{ds: Num(float(d[j]), Ref("delta", c, (j,))) for j, ds in enumerate(d_syms)},
              **{ws: Num(float(W[j, b]), Ref("W", c, (j, b)) if on_board else None, means=ws) for j, ws in enumerate(w_syms)}}
    env = {d_j: d, w_jb: W[:, b], **{ds: float(d[j]) for j, ds in enumerate(d_syms)},
           **{ws: float(W[j, b]) for j, ws in enumerate(w_syms)}}
    terms = [float(d[j] * W[j, b]) for j in range(len(d))]
    return Sum("j", mul(d_j, w_jb)), expanded, substitute(expanded, values), sum(terms), env, terms


def _fan_in(stepper: Any, w: Wiring, k: int, b: int, digits: int) -> Explanation:
    st, out = stepper.state, builder(stepper, digits)
    lhs = dx_sym(k, b)
    if st.delta[k] is None:
        return _not_yet(Cell("delta", k, b), f"{out.p(dx_sym(k))} comes in this example's backward pass, after the block's layers.", out)
    value = float(st.delta[k][b - 1])
    top = w.sender[w.outer(k)]
    u_sum, u_exp, u_num, u, u_env, u_terms = _sent(stepper, top, b)
    i_sum, i_exp, i_num, i, i_env, i_terms = _sent(stepper, k + 1, b)
    n = current_example(stepper)
    ell = Sym("ℓ", n, latex=r"\ell")
    skip = Partial(ell, Sym("o", k, (b,)))
    env = {**u_env, **i_env, skip: u}
    forms: list[Node] = [add(skip, i_sum), add(u_sum, i_sum),
                         add(group(u_exp) if len(u_terms) > 1 else u_exp, group(i_exp) if len(i_terms) > 1 else i_exp),
                         add(group(u_num) if len(u_terms) > 1 else u_num, group(i_num) if len(i_terms) > 1 else i_num),
                         add(Num(u, means=u_exp), Num(i, means=i_exp)), Num(value, Ref("delta", k, (b - 1,)))]
    o_k = Sym("o", k, vector=True)
    out.say(f"x = {out.p(Sym('o', w.src[k], vector=True))} reaches {out.p(LOSS)} twice: through the skip, as unit "
            f"{out.unit(b)} of {out.p(o_k)} = x + F(x) (read by layer {out.layer(top)}), and through the block's first "
            f"layer {out.layer(k + 1)}; the two parts add up (the fan-in):")
    out.eq(Equation(lhs, tuple(forms), bindings=env,
                    note="the skip's part {} (factor 1), then the inner path's part; j runs over each layer's units",
                    note_syms=(Partial(LOSS, o_k),)))
    out.say(*_stale(stepper, max(top, k + 1)))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: how the loss of example n = {n} moves with unit {out.unit(b)} of residual "
                    f"block {out.layer(k)}'s input x", value, (*u_terms, *i_terms))


def _delta_below(stepper: Any, w: Wiring, l: int, b: int, digits: int) -> Explanation:
    st, net, out = stepper.state, stepper.net, builder(stepper, digits)
    lhs = Sym("δ", l, (b,), latex=r"\delta")
    if st.delta[l] is None:
        return _not_yet(Cell("delta", l, b), f"{out.q('delta', l)} comes in this example's backward pass.", out)
    c = w.sender[w.outer(l)]
    value = float(st.delta[l][b - 1])
    g = float(st.delta[c][b - 1])
    G = dx_sym(c, b)
    S_b, O_b = Sym("s", l, (b,)), Sym("o", l, (b,))
    s_b, o_b = float(st.s[l][b - 1]), float(st.o[l][b])
    env = {G: g, S_b: s_b, O_b: o_b, **_alpha_env(net, l)}
    result = Num(value, Ref("delta", l, (b - 1,)))
    given = Num(g, Ref("delta", c, (b - 1,)))
    o_l = Sym("o", l, vector=True)
    out.say(f"{out.p(o_l)} is the input x of residual block {out.layer(c)}: its {out.p(Partial(LOSS, o_l))} is the block's "
            f"fan-in {out.p(dx_sym(c))}")
    n = current_example(stepper)
    ell_n = Sym("ℓ", n or "n", latex=r"\ell")
    title = (f"{out.p(lhs)} = {out.n(value)}: {out.p(Partial(ell_n, Sym('s')))} of unit "
             f"{out.unit(b)} in layer {out.layer(l)}, example n = {n}")
    if net.act(l).derivative_is_one:
        out.eq(Equation(lhs, (G, given, result), bindings=env))
        return out.done(title, value, (g,))
    df = net.act(l).derivative(S_b, O_b)
    fp = float(net.df(l, st.s[l], st.o[l][1:])[b - 1])
    values = {S_b: Num(s_b, Ref("s", l, (b - 1,))), O_b: Num(o_b, Ref("o", l, (b,)))}
    out.eq(Equation(lhs, (mul(G, df), mul(given, substitute(df, values)), mul(Num(g, means=G), Num(fp, means=df)), result),
                    bindings=env))
    return out.done(title, value, (g,), fp)

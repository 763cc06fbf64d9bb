"""Explanations of the cells of a layer normalisation or dropout layer (and of the dense cells whose
chain runs through one): each number with every factor, from the board and from passes of single
examples with the masks of their epoch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...engine.explain import LOSS, Cell, Explanation, _group_examples, _group_size, builder, group_symbol, _not_yet, _weights_of_group, current_example, \
    example_pass
from ...formulas.formula import Call, Equation, Node, Num, Op, Partial, Ref, Sum, Sym, add, const, mul, sub
from ...engine.kind import rows_with_one, timed_layers
from ...engine.wiring import reader, source
from ...formulas.notation import count, sup
from .base import Unitwise


def _epoch(stepper: Any) -> int:
    return int(stepper.where().epoch)


def explain(k: Unitwise, stepper: Any, cell: Cell, digits: int) -> Explanation:
    spec = stepper.spec
    l = cell.layer
    assert l is not None
    if spec.layer_kinds[l - 1] is not k:
        return _dense_delta(k, stepper, cell, digits) if cell.quantity == "delta" else _dense_G(stepper, cell, digits)
    if cell.quantity == "G":
        return _own_G(k, stepper, cell, digits)
    st = stepper.state
    q = cell.quantity
    board = {"s": st.s, "o": st.o, "delta": st.delta}[q][l]
    unit = cell.unit
    if board is None or (q == "o" and unit == 0):
        if board is not None:
            return Explanation(f"{cell.symbol()} = 1", ("the bias entry: the layer above multiplies it by its biases",), 1.0)
        later = "backward" if q == "delta" else "forward"
        return _not_yet(cell, f"it comes in this example's {later} pass.")
    pos = (unit - 1,) if isinstance(unit, int) else tuple(unit)
    at = ((pos[0] + 1,) if q == "o" and k.bias_entry else pos)
    value = float(np.asarray(board)[at])
    out = builder(stepper, digits)
    lhs = cell.sym()
    src, r = source(stepper.net, l), reader(stepper.net, l)  # l − 1 and l + 1, or along a residual block's wires
    x = np.asarray(st.o[src])
    x = (x[1:] if k.bias_entry else x).reshape(k.out_shape)
    t = cell.time if spec.lengths is not None else None  # at τ: every per-τ symbol says its τ, as the cell does
    xb = Sym("x", l, tuple(p + 1 for p in pos), time=t)
    do = k.do_sym(l, pos) if t is None else Partial(Sym("ℓ", latex=r"\ell"), Sym("o", l, tuple(p + 1 for p in pos), time=t))
    if k.type == "dropout":
        m, p = float(np.asarray(st.s[l])[pos]), float(k.p)
        n, e = current_example(stepper), stepper.where().epoch
        keep = sub(const(1), Num(p, exact=True))
        if q == "s":  # at τ: row τ of the (T, d) mask
            shape, entry = (k.out_shape, pos) if t is None else ((len(st.x),) + k.out_shape, (t - 1,) + pos)
            out.say(f"the mask of example {n} in epoch {e}: entry {', '.join(str(i + 1) for i in entry)} of",
                    f"numpy.random.default_rng([{k.seed}, {e}, {n}]).random({shape}) ≥ {p:g}",
                    "1: the unit is kept (scaled by 1/(1 − p)); 0: dropped, its output and gradient are 0")
            return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {'kept' if value else 'dropped'} in this example",
                            value)
        ms = Sym("m", l, tuple(i + 1 for i in pos), time=t)
        if q == "o":
            out.eq(Equation(lhs, (Op("/", (mul(ms, xb), keep)), Op("/", (mul(Num(m, Ref("s", l, pos)),
                                                                            Num(float(x[pos]), Ref("o", src, (pos[0] + 1,) if k.bias_entry else pos))),
                                                                        keep)), Num(value, Ref("o", l, at))),
                            bindings={ms: m, xb: float(x[pos])}))
            return out.done(f"{out.p(lhs)} = {out.n(value)}: x scaled by m/(1 − p), the inverted dropout", value)
        g = float(np.asarray(st.extra[("do", l)])[pos])
        out.eq(Equation(lhs, (Op("/", (mul(ms, do), keep)), Op("/", (mul(Num(m, Ref("s", l, pos)), Num(g, means=do)), keep)),
                              Num(value, Ref("delta", l, pos))), bindings={ms: m, do: g},
                        note=f"{{}} = m x/(1 − p): {{}} = m/(1 − p); {{}} from layer {out.layer(r)}",
                        note_syms=(Sym("o"), Partial(Sym("o"), Sym("x")), Partial(LOSS, Sym("o")))))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: the gradient through a kept unit, 0 through a dropped one", value)
    # layer normalisation, a unit b
    b = pos[0]
    xv = np.asarray(x, dtype=float)
    mu, var = float(xv.mean()), float(((xv - xv.mean()) ** 2).mean())
    muS, varS, eps = Sym("μ", l, time=t, latex=r"\mu"), Sym("σ²", l, time=t, latex=r"{\sigma^2}"), Num(k.eps, exact=True)
    root = Call("sqrt", (add(Num(var, means=varS), eps),))
    u = np.asarray(st.s[l])
    ub = Sym("u", l, (b + 1,), time=t)
    W = _weights_of_group(stepper)[l]
    gamma, beta = float(W[b, 1]), float(W[b, 0])
    gS, bS = k.weight_sym(l, b, 1), k.weight_sym(l, b, 0)
    out.say(f"{out.p(muS)} = {out.n(mu)} and {out.p(varS)} = {out.n(var)}: the mean and the (biased) variance of "
            f"{out.p(Sym('x', l, vector=True, time=t))}, the {k.out_size} units of {out.p(Sym('o', src, vector=True, time=t))}"
            + ("" if out.separate else " without its 1"))
    if q == "s":
        out.eq(Equation(lhs, (Op("/", (sub(xb, muS), Call("sqrt", (add(varS, Sym("ε", latex=r"\varepsilon")),)))),
                              Op("/", (sub(Num(float(xv[b]), Ref("o", src, (b + 1,))), Num(mu, means=muS)), root)),
                              Num(value, Ref("s", l, pos))),
                        bindings={xb: float(xv[b]), muS: mu, varS: var, Sym("ε", latex=r"\varepsilon"): k.eps}))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {out.unit(b + 1)} normalised", value)
    if q == "o":
        out.eq(Equation(lhs, (add(mul(gS, ub), bS), add(mul(Num(gamma, means=gS), Num(float(u[b]), Ref("s", l, pos))),
                                                        Num(beta, means=bS)), Num(value, Ref("o", l, at))),
                        bindings={gS: gamma, ub: float(u[b]), bS: beta}))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: u scaled by γ and shifted by β", value)
    gv = np.asarray(st.extra[("do", l)])
    gG = np.asarray(W[:, 1]) * gv
    m1, m2 = float(gG.mean()), float((gG * u).mean())
    du = Sym("ĝ", l, (b + 1,), time=t)
    gamma_l = Sym("γ", l, vector=True, latex=r"\gamma")
    out.say(f"ĝ = {out.p(gamma_l)} ⊙ {out.p(Partial(LOSS, Sym('o', l, vector=True)))} = "
            f"{out.p(Partial(LOSS, Sym('u', l, vector=True)))}:")
    out.eq(Equation(du, (mul(gS, do), mul(Num(gamma, means=gS), Num(float(gv[b]), Ref("do", l, pos))),
                         Num(float(gG[b]), means=du)), bindings={gS: gamma, do: float(gv[b]), du: float(gG[b])}))
    out.say(f"mean(ĝ) = {out.n(m1)}: the path through μ (every u moves when μ does)",
            f"mean(ĝ ⊙ u) = {out.n(m2)}: the path through σ (every u shrinks when σ grows)")
    mean1, mean2 = Sym("mean(ĝ)"), Sym("mean(ĝ⊙u)")
    rhs = Op("/", (Op("()", (sub(sub(du, mean1), mul(ub, mean2)),)), Call("sqrt", (add(varS, Sym("ε", latex=r"\varepsilon")),))))
    numbers = Op("/", (Op("()", (sub(sub(Num(float(gG[b]), means=du), Num(m1, means=mean1)),
                                     mul(Num(float(u[b]), Ref("s", l, pos)), Num(m2, means=mean2))),)), root))
    out.eq(Equation(lhs, (rhs, numbers, Num(value, Ref("delta", l, pos))),
                    bindings={du: float(gG[b]), mean1: m1, mean2: m2, ub: float(u[b]), varS: var,
                              Sym("ε", latex=r"\varepsilon"): k.eps}))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: the three paths from x_{b + 1} to {out.p(LOSS)}", value)


def _summed(out: Any, stepper: Any, lhs: Node, each: Node, terms: list[float], value: float, ref: Ref,
            note: str, bindings: dict | None = None, note_syms: tuple[Node, ...] = ()) -> tuple[float, list[float]]:
    """G's entry as Σₙ ``each`` over the examples so far (``terms`` their values, ``value`` the board's),
    written on ``out``; in a mean profile (the builder's notation) divided by the group's m, each term and
    the result: (the value shown, the terms shown)."""
    from ...formulas.profiles import shown_ref

    sums: list[Node] = [Sum("n", each)] + ([add(*[Num(t) for t in terms])] if len(terms) > 1 else [])
    forms: list[Node] = [*sums, Num(value, ref)]
    env = dict(bindings or {})
    m = _group_size(stepper) if out.mean else 1
    if out.mean:
        M = group_symbol(stepper.spec.optimizer, stepper.spec.kinds or ())
        forms = [Op("/", (f, M if i == 0 else Num(float(m), exact=True))) for i, f in enumerate(sums)]
        forms.append(Num(value / m, shown_ref(ref, out.notation, stepper.spec.L, rows_with_one(stepper.net.kinds))))
        env[M] = float(m)
    out.eq(Equation(lhs, tuple(forms), bindings=env, note=note, note_syms=note_syms))
    return value / m, [t / m for t in terms]


def _meaning(out: Any, what: Node, m: int) -> str:
    """What a G entry is: ∂ℓ/∂``what`` summed over the group's examples so far, or a mean profile's mean."""
    loss_w = out.p(Partial(LOSS, what))
    return (f"{loss_w} averaged over the m = {count(m, 'example')} of this update group: the terms of the examples so far, "
            "each divided by m" if out.mean else f"{loss_w} summed over the examples of this update group so far")


def _group_terms(stepper: Any, l: int, f: Any) -> tuple[list[int], list[float]]:
    """The examples whose G⁽ˡ⁾ increment is in G⁽ˡ⁾ now, and ``f(o, δ)`` of each one's pass."""
    examples = _group_examples(stepper, l)
    W = _weights_of_group(stepper)
    epoch = _epoch(stepper)
    return examples, [float(f(*example_pass(stepper.net, W, n, epoch))) for n in examples]


def _own_G(k: Unitwise, stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, l = stepper.state, int(cell.layer or 0)
    b, a = int(cell.unit) - 1, int(cell.column or 0)
    value = float(st.G[l][b, a])
    lhs = cell.sym()
    out = builder(stepper, digits)
    what = "β" if a == 0 else "γ"
    meaning = _meaning(out, Sym(what, l, (b + 1,), latex="\\" + ("beta" if a == 0 else "gamma")), _group_size(stepper) if out.mean else 1)
    if k.type == "dropout" or a not in (0, 1):
        return Explanation(f"{out.p(lhs)}: no weights", ("a dropout layer has no weights",), value)
    if stepper.spec.lengths is not None:  # over time, as the recurrent family explains a dense layer's G
        do_t = out.p(Partial(LOSS, Sym("o", l, vector=True, time="τ")))
        out.say(f"{out.p(Sym('G', l, vector=True))} = [{out.p(Sym('G', None, ('β',)))} {out.p(Sym('G', None, ('γ',)))}] sums "
                f"{do_t} (β) and {do_t} ⊙ {out.p(Sym('u', l, vector=True, time='τ'))} (γ) over the examples "
                "of the update group" + (" and every τ" if timed_layers(stepper.net.kinds)[l - 1] else "")
                + "; see its G step's equation")
        out.eq(Equation(lhs, (Num(value, Ref("G", l, (b, a))),)))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: {meaning}", value)

    src = source(stepper.net, l)

    def term(o: list, delta: list) -> float:
        x = np.asarray(o[src])[1:]
        u = (x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean() + k.eps)  # type: ignore[attr-defined]
        return float(delta[l][b] * (1.0 if a == 0 else u[b]))

    examples, terms = _group_terms(stepper, l, term)
    if not examples:
        return Explanation(f"{out.p(lhs)} = 0: {meaning} (none yet)", (f"{out.p(Sym('G', l, vector=True))} is zeroed at the start of each update group",), value)
    do, ub, o_b = Partial_do(k, l, b), Sym("u", l, (b + 1,)), Sym("o", None, ("b",))
    body = do if a == 0 else mul(do, ub)
    shown, listed = _summed(out, stepper, lhs, body, terms, value, Ref("G", l, (b, a)),
                            f"over n = {', '.join(str(n + 1) for n in examples)}; "
                            + ("{} = γ_b u_b + β_b: {} = 1" if a == 0 else "{} = γ_b u_b + β_b: {} = u_b"),
                            note_syms=(o_b, Partial(o_b, Sym(what, None, ("b",), latex="\\" + ("beta" if a == 0 else "gamma")))))
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: {meaning}", shown, listed)


def Partial_do(k: Unitwise, l: int, b: int) -> Node:
    return k.do_sym(l, (b,))


def _dense_G(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """G_b,a⁽ˡ⁾ of a dense layer in a network with a layer norm or dropout: Σₙ δ_b o_a over the group's
    examples, each from a pass with its epoch's masks."""
    st, l = stepper.state, int(cell.layer or 0)
    b, a = int(cell.unit), int(cell.column or 0)
    value = float(st.G[l][b - 1, a])
    lhs = cell.sym()
    out = builder(stepper, digits)
    src = source(stepper.net, l)
    examples, terms = _group_terms(stepper, l, lambda o, delta: delta[l][b - 1] * np.asarray(o[src])[a])
    meaning = _meaning(out, Sym("w", l, (b, a)), _group_size(stepper) if out.mean else 1)
    if not examples:
        return Explanation(f"{out.p(lhs)} = 0: {meaning} (none yet)", (f"{out.p(Sym('G', l, vector=True))} is zeroed at the start of each update group",), value)
    D, O = Sym("δ", l, (b,), latex=r"\delta"), Sym("o", src, (a,))
    each = D if out.separate and a == 0 else mul(D, O)  # a separate b: ∂ℓ/∂b_b = δ_b, no o₀ = 1
    shown, listed = _summed(out, stepper, lhs, each, terms, value, Ref("G", l, (b - 1, a)),
                            f"over n = {', '.join(str(n + 1) for n in examples)}, each with its epoch's dropout masks")
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: {meaning}", shown, listed)


def _dense_delta(k: Unitwise, stepper: Any, cell: Cell, digits: int) -> Explanation:
    """δ⁽ˡ⁾ of a layer under this one (a dense layer's unit b, a convolution's position k, i, j):
    ∂ℓ/∂x⁽ˡ⁺¹⁾ · f′(s⁽ˡ⁾) there."""
    st, l = stepper.state, int(cell.layer or 0)
    if st.delta[l] is None:
        return _not_yet(cell, "it comes in this example's backward pass.")
    pos = tuple(int(i) for i in cell.unit) if isinstance(cell.unit, tuple) else (int(cell.unit) - 1,)
    net = stepper.net
    units = np.asarray(net.units(l, np.asarray(st.o[l]).reshape(-1))).reshape(np.shape(st.s[l]))
    value = float(np.asarray(st.delta[l])[pos])
    r = reader(net, l)  # l + 1, or along a residual block's wires
    g = float(np.asarray(st.delta[r])[pos])
    fp = float(np.asarray(net.df(l, st.s[l], units))[pos])
    out = builder(stepper, digits)
    lhs = cell.sym()
    dx = k.dx_sym(r, pos)
    o_l, x_r = Sym("o", l, vector=True), Sym("x", r, vector=True)
    fS = Sym(f"f′({out.p(Sym('s', l, tuple(p + 1 for p in pos)))})")
    out.eq(Equation(lhs, (mul(dx, fS), mul(Num(g, Ref("delta", r, pos)), Num(fp, means=fS)),
                          Num(value, Ref("delta", l, pos))), bindings={dx: g, fS: fp},
                    note=f"{{}} reaches layer {out.layer(r)}'s input {{}}, so {{}} = {{}}",
                    note_syms=(o_l, x_r, Partial(LOSS, o_l), Partial(LOSS, x_r))))
    return out.done(f"{out.p(lhs)} = {out.n(value)}", value)

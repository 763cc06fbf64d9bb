"""Why a number of an LSTM layer is what it is: each entry b of its steps at τ with every factor's
number (lstm_equations.py has the vector forms). s⁽ˡ⁾_τ and G⁽ˡ⁾ are sums over [W | U]'s columns and over
τ exactly as a recurrent layer's, and share its explanations (explain.py); the rest are one unit's
arithmetic:

    i_b = σ(s_{i,b}) …                          c_b = f_b c_{τ−1,b} + i_b g_b          h_b = ō_b tanh(c_b)
    ∂ℓ/∂h_b = Σ_k u_{k,b} δ_{τ+1,k} + Σ_k w⁽ˡ⁺¹⁾_{k,b} δ⁽ˡ⁺¹⁾_{τ,k}
    ∂ℓ/∂c_b = ∂ℓ/∂h_b ō_b (1 − tanh²(c_b)) + f_{τ+1,b} ∂ℓ/∂c_{τ+1,b}
    δ_{i,b} = ∂ℓ/∂c_b g_b i_b (1 − i_b) …
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...engine.explain import Cell, Explanation, _Builder, builder, _weights_of_group, current_example
from ...formulas.formula import ONE, Call, Equation, Node, Num, Op, Partial, Ref, Sym, add, mul, sub
from ...formulas.notation import sup
from . import explain as rnn_explain
from .equations import DELTA
from .explain import from_above_terms
from .lstm import GATE_WORDS, GATES
from .lstm_equations import ELL, h_sym

OWN = ("s", "gates", "c", "h", "dh", "dc", "delta", "G")
ELL = Sym("ℓ", latex=r"\ell")


def unit_sym(quantity: str, l: int, b: int, t: int | None, h: int) -> Node:
    """Entry b (from 1) of an LSTM quantity at τ, as the equations name it: i⁽ˡ⁾_{τ,2}, ō⁽ˡ⁾_{τ,1},
    c⁽ˡ⁾_{τ,b}, ∂ℓ/∂h⁽ˡ⁾_{τ,b}, δ⁽ˡ⁾_{τ,f,2}, s⁽ˡ⁾_{τ,g,1} (the gates' quantities by gate and unit)."""
    if quantity in ("gates", "s", "delta"):
        gate, unit = GATES[(b - 1) // h], (b - 1) % h + 1
        if quantity == "gates":
            return Sym("ō" if gate == "o" else gate, l, (unit,), latex=r"\bar{o}" if gate == "o" else None, time=t)
        base = "δ" if quantity == "delta" else "s"
        return Sym(base, l, (gate, unit), latex=r"\delta" if base == "δ" else None, time=t, group=True)
    if quantity in ("dh", "dc"):
        return Partial(ELL, Sym(quantity[1], l, (b,), time=t), prefixed=True)
    return Sym(quantity, l, (b,), time=t)


def explains(spec: Any, cell: Cell) -> bool:
    return rnn_explain.own_cell(spec, cell, "lstm", OWN)


def explain(stepper: Any, cell: Cell, digits: int) -> Explanation:
    if cell.quantity == "o":  # the panel's o of the layer is its h
        cell = replace(cell, quantity="h", kind=None)
    st, net = stepper.state, stepper.net
    q, l, b, t = cell.quantity, int(cell.layer or 0), cell.unit, cell.time
    kind = net.kinds[l - 1]
    h = kind.h
    if q == "G":
        return rnn_explain._explain_G1(stepper, cell, digits)
    row = rnn_explain.own_row(stepper, cell, ("dh", "dc", "delta"))
    if isinstance(row, Explanation):
        return row
    assert t is not None and isinstance(b, int)  # own_row checked both
    T = len(st.s[l])
    if q == "s":
        return rnn_explain._explain_s1(stepper, cell, digits)
    out = builder(stepper, digits)
    a = st.extra["gates", l][t - 1]
    j = b - 1
    u = j % h  # the unit, 0-based
    gate_v = {g: float(a[k * h + u]) for k, g in enumerate(GATES)}
    gs = {g: unit_sym("gates", l, k * h + u + 1, t, h) for k, g in enumerate(GATES)}
    c = st.extra["c", l]
    cb, cpb = float(c[t][u]), float(c[t - 1][u])
    c_sym, cp_sym = Sym("c", l, (u + 1,), time=t), Sym("c", l, (u + 1,), time=t - 1)
    lhs = unit_sym(q, l, b, t, h)
    value = float(row[j])
    result = Num(value, _ref(q, l, t, j))
    where = f"unit {out.unit(u + 1)} of the LSTM layer {out.layer(l)} at τ = {t}, example n = {current_example(stepper)}"
    if q == "gates":
        gate = GATES[j // h]
        sp = unit_sym("s", l, b, t, h)
        fn = "tanh" if gate == "g" else "sigmoid"
        sv = float(st.s[l][t - 1][j])
        out.eq(Equation(lhs, (Call(fn, (sp,)), Call(fn, (Num(sv, Ref("s", l, (t - 1, j))),)), result), bindings={sp: sv}))
        return out.done(f"{out.p(lhs)} = {out.result()}: the {GATE_WORDS[gate]} of {where}", value)
    if q == "c":
        c_env = {gs["f"]: gate_v["f"], cp_sym: cpb, gs["i"]: gate_v["i"], gs["g"]: gate_v["g"]}
        out.eq(Equation(lhs, (add(mul(gs["f"], cp_sym), mul(gs["i"], gs["g"])),
                              add(mul(Num(gate_v["f"]), Num(cpb)), mul(Num(gate_v["i"]), Num(gate_v["g"]))), result),
                        bindings=c_env, note="c₀ = 0" if t == 1 else "what the forget gate keeps plus what the input gate writes"))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: the cell state of {where}", value,
                        [gate_v["f"] * cpb, gate_v["i"] * gate_v["g"]])
    if q == "h":
        out.eq(Equation(lhs, (mul(gs["o"], Call("tanh", (c_sym,))), mul(Num(gate_v["o"]), Call("tanh", (Num(cb),))), result),
                        bindings={gs["o"]: gate_v["o"], c_sym: cb},
                        note="the layer above reads {} as {}", note_syms=(h_sym(l, "τ"), Sym("o", l, vector=True, time="τ"))))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: the output of {where}", value)
    dh_v = float(st.extra["dh", l][t - 1][u])
    dh_s = unit_sym("dh", l, u + 1, t, h)
    if q == "dh":
        return _explain_dh(stepper, cell, out, lhs, value, result, where)
    dc_v = float(st.extra["dc", l][t - 1][u])
    dc_s = unit_sym("dc", l, u + 1, t, h)
    tc = float(np.tanh(cb))
    slope_c = Op("()", (sub(ONE, Op("sq", (Call("tanh", (c_sym,)),))),))
    if q == "dc":
        env: dict = {dh_s: dh_v, gs["o"]: gate_v["o"], c_sym: cb}
        forms: list[Node] = [mul(dh_s, gs["o"], slope_c)]
        nums: list[Node] = [mul(Num(dh_v, Ref("dh", l, (t - 1, u))), Num(gate_v["o"]), Num(1.0 - tc * tc, means=slope_c))]
        terms = [dh_v * gate_v["o"] * (1.0 - tc * tc)]
        note = "nothing comes from τ + 1 at τ = T"
        if t < T:
            f_next = unit_sym("gates", l, h + u + 1, t + 1, h)
            dcn = unit_sym("dc", l, u + 1, t + 1, h)
            fv, dcv = float(st.extra["gates", l][t][h + u]), float(st.extra["dc", l][t][u])
            env.update({f_next: fv, dcn: dcv})
            forms.append(mul(f_next, dcn))
            nums.append(mul(Num(fv), Num(dcv, Ref("dc", l, (t, u)))))
            terms.append(fv * dcv)
            note = "through the cell: f at τ + 1 times {} at τ + 1, no Uᵀ and no f′ on this path"
        out.eq(Equation(lhs, (add(*forms), add(*nums), result), bindings=env, note=note,
                        note_syms=(Partial(ELL, Sym("c", vector=True), prefixed=True),) if t < T else ()))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: the gradient at the cell state of {where}", value, terms)
    assert q == "delta"
    gate_d = GATES[j // h]
    x, xv = gs[gate_d], gate_v[gate_d]
    if gate_d == "g":
        slope: Node = Op("()", (sub(ONE, Op("sq", (x,))),))
        slope_v = 1.0 - xv * xv
    else:
        slope = mul(x, Op("()", (sub(ONE, x),)))
        slope_v = xv * (1.0 - xv)
    first, first_v, first_ref = (dh_s, dh_v, Ref("dh", l, (t - 1, u))) if gate_d == "o" else (dc_s, dc_v, Ref("dc", l, (t - 1, u)))
    other = {"i": (gs["g"], gate_v["g"]), "f": (cp_sym, cpb), "g": (gs["i"], gate_v["i"]),
             "o": (Call("tanh", (c_sym,)), tc)}[gate_d]
    d_env = {first: first_v, x: xv, gs["g"]: gate_v["g"], gs["i"]: gate_v["i"], cp_sym: cpb, c_sym: cb}
    out.eq(Equation(lhs, (mul(first, other[0], slope), mul(Num(first_v, first_ref), Num(other[1], means=other[0]),
                                                          Num(slope_v, means=slope)), result), bindings=d_env,
                    note=("{} of the output gate comes from {}" if gate_d == "o" else "from {}")
                    + (": σ′ = σ(1 − σ)" if gate_d != "g" else ": tanh′ = 1 − tanh²"),
                    note_syms=((DELTA,) if gate_d == "o" else ())
                    + (Partial(ELL, Sym("h" if gate_d == "o" else "c", vector=True), prefixed=True),)))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: {out.p(DELTA)} of the {GATE_WORDS[gate_d]}'s pre-activation, {where}", value)


def _ref(q: str, l: int, t: int, j: int) -> Ref:
    if q in ("h", "c"):  # c_0 and h_0 (the board's o) sit in row 0
        return Ref(q, l, (t, j))
    return Ref(q, l, (t - 1, j))


def _explain_dh(stepper: Any, cell: Cell, out: _Builder, lhs: Node, value: float, result: Num, where: str) -> Explanation:
    """∂ℓ/∂h_b = Σ_k u_{k,b} δ_{τ+1,k} (τ < T) + Σ_k w⁽ˡ⁺¹⁾_{k,b} δ⁽ˡ⁺¹⁾_{τ,k} (from above), term by term."""
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    kind = net.kinds[l - 1]
    T, d = len(st.s[l]), kind.d
    W = _weights_of_group(stepper)
    syms: list[Node] = []
    nums: list[Node] = []
    terms: list[float] = []
    env: dict = {}
    if t < T:
        for k in range(kind.rows):
            u_s = kind.weight_sym(l, k, 1 + d + b - 1)
            d_s = unit_sym("delta", l, k + 1, t + 1, kind.h)
            uv, dv = float(W[l][k, 1 + d + b - 1]), float(st.delta[l][t][k])
            env.update({u_s: uv, d_s: dv})
            syms.append(mul(u_s, d_s))
            nums.append(mul(Num(uv, Ref("W", l, (k, 1 + d + b - 1))), Num(dv, Ref("delta", l, (t, k)))))
            terms.append(uv * dv)
    seqs = from_above_terms(stepper, l, b, t, W, syms, nums, terms, env)
    note = "from U at τ + 1 (its column b), then from the layer above (W's column b)"
    if t == T:
        note = "nothing from τ + 1 at τ = T: from the layer above only"
    elif not (seqs or t == T):
        note = "many-to-one: nothing from above before τ = T; from U at τ + 1 only"
    out.eq(Equation(lhs, (add(*syms), add(*nums), result), bindings=env, note=note))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: the gradient at the output of {where}", value, terms)

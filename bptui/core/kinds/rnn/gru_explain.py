"""Why a number of a GRU layer is what it is: each entry of its steps at τ with every factor's number
(gru_equations.py has the vector forms).

    s_{x,b} = Σ_a w_{b,a} o⁽ˡ⁻¹⁾_{τ,a}        s_{h,b} = u_{b,0} + Σ_c u_{b,c} h_{τ−1,c}
    r_b = σ(s_{x,r,b} + s_{h,r,b}) …           n_b = tanh(s_{x,n,b} + r_b s_{h,n,b})
    h_b = (1 − z_b) n_b + z_b h_{τ−1,b}
    ∂ℓ/∂h_b = Σ_k w⁽ˡ⁺¹⁾_{k,b} δ⁽ˡ⁺¹⁾_k + Σ_k u_{k,b} δʰ_{τ+1,k} + z_{τ+1,b} ∂ℓ/∂h_{τ+1,b}
    G_{b,a} = Σ_τ δ_{τ,b} o⁽ˡ⁻¹⁾_{τ,a} (W's columns), Σ_τ δʰ_{τ,b} [1, h_{τ−1}]_c (U's)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...engine.explain import Cell, Explanation, _Builder, builder, _weights_of_group, current_example
from ...formulas.formula import ONE, Call, Equation, Node, Num, Op, Partial, Ref, Sym, add, mul, sub
from ...formulas.notation import sup
from .equations import DELTA, delta_h_said
from .explain import _column, _g_times, before_sym, from_above_terms, g_before_any_time, g_forms, own_cell, own_row
from .gru import GATE_WORDS, GATES
from .profiled import u_bias

OWN = ("s", "gates", "h", "dh", "delta", "G")
ELL = Sym("ℓ", latex=r"\ell")


def unit_sym(quantity: str, l: int, b: int, t: int | None, h: int) -> Node:
    """Entry b (from 1): s⁽ˡ⁾_{τ,x,r,2} (W's product) or s⁽ˡ⁾_{τ,h,n,1} (U's), r⁽ˡ⁾_{τ,2}, δ⁽ˡ⁾_{τ,z,1},
    ∂ℓ/∂h⁽ˡ⁾_{τ,b}, h⁽ˡ⁾_{τ,b}."""
    if quantity == "s":
        which, j = ("x", b - 1) if b <= 3 * h else ("h", b - 1 - 3 * h)
        return Sym("s", l, (which, GATES[j // h], j % h + 1), time=t, group=True)
    if quantity in ("gates", "delta"):
        gate, unit = GATES[(b - 1) // h], (b - 1) % h + 1
        if quantity == "gates":
            return Sym(gate, l, (unit,), time=t)
        return Sym("δ", l, (gate, unit), latex=r"\delta", time=t, group=True)
    if quantity == "dh":
        return Partial(ELL, Sym("h", l, (b,), time=t), prefixed=True)
    return Sym(quantity, l, (b,), time=t)


def explains(spec: Any, cell: Cell) -> bool:
    return own_cell(spec, cell, "gru", OWN)


def explain(stepper: Any, cell: Cell, digits: int) -> Explanation:
    if cell.quantity == "o":  # the panel's o of the layer is its h
        cell = replace(cell, quantity="h", kind=None)
    st, net = stepper.state, stepper.net
    q, l, b, t = cell.quantity, int(cell.layer or 0), cell.unit, cell.time
    kind = net.kinds[l - 1]
    h, d = kind.h, kind.d
    if q == "G":
        return _explain_G(stepper, cell, digits)
    row = own_row(stepper, cell, ("dh", "delta"))
    if isinstance(row, Explanation):
        return row
    assert t is not None and isinstance(b, int)  # own_row checked both
    out = builder(stepper, digits)
    j = b - 1
    lhs = unit_sym(q, l, b, t, h)
    value = float(row[j])
    result = Num(value, Ref(q, l, (t, j)) if q == "h" else Ref(q, l, (t - 1, j)))
    where = f"layer {out.layer(l)} (gru) at τ = {t}, example n = {current_example(stepper)}"
    W = _weights_of_group(stepper)
    if q == "s":
        syms: list[Node] = []
        nums: list[Node] = []
        terms: list[float] = []
        env: dict = {}
        if j < 3 * h:  # W's product: Σ_a w_{b,a} o⁽ˡ⁻¹⁾_{τ,a}
            for a in range(1 + d):
                w = kind.weight_sym(l, j, a)
                x, x_num, xv = _column(net, st, l, a, t)
                wv = float(W[l][j, a])
                env[w] = wv
                if out.separate and a == 0:  # a profile's b: no 1 to multiply (written last)
                    continue
                if x_num is not None:
                    env[x] = xv
                syms.append(mul(w, x))
                nums.append(mul(Num(wv, Ref("W", l, (j, a))), x_num if x_num is not None else x))
                terms.append(wv * xv)
            if out.separate:
                syms.append(kind.weight_sym(l, j, 0))
                nums.append(Num(float(W[l][j, 0]), Ref("W", l, (j, 0))))
                terms.append(float(W[l][j, 0]))
        else:  # U's product: u_{b,0} + Σ_c u_{b,c} h_{τ−1,c}
            k = j - 3 * h
            for c in range(1 + h):
                u = kind.weight_sym(l, k, 1 + d + c)
                uv = float(W[l][k, 1 + d + c])
                env[u] = uv
                if c == 0:
                    syms.append(u)
                    nums.append(Num(uv, Ref("W", l, (k, 1 + d))))
                    terms.append(uv)
                    continue
                hs = Sym("h", l, (c,), time=t - 1)
                hv = float(st.o[l][t - 1][c - 1])
                env[hs] = hv
                syms.append(mul(u, hs))
                nums.append(mul(Num(uv, Ref("W", l, (k, 1 + d + c))), Num(hv, Ref("o", l, (t - 1, c - 1)))))
                terms.append(uv * hv)
        out.eq(Equation(lhs, (add(*syms), add(*nums), result), bindings=env,
                        note="W's product: over {} with its bias" if j < 3 * h
                        else "U's product: its own bias, then over h_{τ−1}" + (" (h₀ = 0)" if t == 1 else ""),
                        note_syms=(Sym("o", l - 1, vector=True, time="τ"),) if j < 3 * h else ()))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: a pre-activation of {where}", value, terms)
    a = st.extra["gates", l][t - 1]
    s = st.s[l][t - 1]
    u = j % h
    g_v = {g: float(a[k * h + u]) for k, g in enumerate(GATES)}
    g_s = {g: unit_sym("gates", l, k * h + u + 1, t, h) for k, g in enumerate(GATES)}
    sx = {g: float(s[k * h + u]) for k, g in enumerate(GATES)}
    sh = {g: float(s[3 * h + k * h + u]) for k, g in enumerate(GATES)}
    sx_s = {g: unit_sym("s", l, k * h + u + 1, t, h) for k, g in enumerate(GATES)}
    sh_s = {g: unit_sym("s", l, 3 * h + k * h + u + 1, t, h) for k, g in enumerate(GATES)}
    hp_v = float(st.o[l][t - 1][u])
    hp_s = Sym("h", l, (u + 1,), time=t - 1)
    if q == "gates":
        gate = GATES[j // h]
        sxr = Num(sx[gate], Ref("s", l, (t - 1, j)))
        shr = Num(sh[gate], Ref("s", l, (t - 1, 3 * h + j)))
        if gate == "n":
            form: Node = Call("tanh", (add(sx_s["n"], mul(g_s["r"], sh_s["n"])),))
            numbers: Node = Call("tanh", (add(sxr, mul(Num(g_v["r"], Ref("gates", l, (t - 1, u))), shr)),))
        else:
            form = Call("sigmoid", (add(sx_s[gate], sh_s[gate]),))
            numbers = Call("sigmoid", (add(sxr, shr),))
        env2 = {sx_s[gate]: sx[gate], sh_s[gate]: sh[gate], g_s["r"]: g_v["r"]}
        out.eq(Equation(lhs, (form, numbers, result), bindings=env2,
                        note="U's part of n inside r ⊙ (·)" if gate == "n" else ""))
        return out.done(f"{out.p(lhs)} = {out.result()}: the {GATE_WORDS[gate]} of unit {out.unit(u + 1)} of {where}", value)
    if q == "h":
        one_z = Op("()", (sub(ONE, g_s["z"]),))
        out.eq(Equation(lhs, (add(mul(one_z, g_s["n"]), mul(g_s["z"], hp_s)),
                              add(mul(Num(1.0 - g_v["z"], means=one_z), Num(g_v["n"])),
                                  mul(Num(g_v["z"]), Num(hp_v, Ref("o", l, (t - 1, u))))), result),
                        bindings={g_s["z"]: g_v["z"], g_s["n"]: g_v["n"], hp_s: hp_v},
                        note="the update gate {} keeps {}, 1 − {} takes the candidate {}",
                        note_syms=(Sym("z"), Sym("h", time="τ−1"), Sym("z"), Sym("n"))))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: the output of unit {out.unit(u + 1)} of {where}", value,
                        [(1.0 - g_v["z"]) * g_v["n"], g_v["z"] * hp_v])
    if q == "dh":
        return _explain_dh(stepper, cell, out, lhs, value, result, where)
    assert q == "delta"
    gate = GATES[j // h]
    dh_v = float(st.extra["dh", l][t - 1][u])
    dh_s = unit_sym("dh", l, u + 1, t, h)
    dn_v = float(st.delta[l][t - 1][2 * h + u])
    dn_s = unit_sym("delta", l, 2 * h + u + 1, t, h)
    r, z, n = g_s["r"], g_s["z"], g_s["n"]
    if gate == "n":
        f1 = (Op("()", (sub(ONE, z),)), Op("()", (sub(ONE, Op("sq", (n,))),)))
        form = mul(dh_s, *f1)
        numbers = mul(Num(dh_v, Ref("dh", l, (t - 1, u))), Num(1.0 - g_v["z"], means=f1[0]),
                      Num(1.0 - g_v["n"] ** 2, means=f1[1]))
    elif gate == "z":
        f2 = (Op("()", (sub(hp_s, n),)), mul(z, Op("()", (sub(ONE, z),))))
        form = mul(dh_s, *f2)
        numbers = mul(Num(dh_v, Ref("dh", l, (t - 1, u))), Num(hp_v - g_v["n"], means=f2[0]),
                      Num(g_v["z"] * (1.0 - g_v["z"]), means=f2[1]))
    else:
        f3 = mul(r, Op("()", (sub(ONE, r),)))
        form = mul(dn_s, sh_s["n"], f3)
        numbers = mul(Num(dn_v, Ref("delta", l, (t - 1, 2 * h + u))), Num(sh["n"], Ref("s", l, (t - 1, 5 * h + u))),
                      Num(g_v["r"] * (1.0 - g_v["r"]), means=f3))
    env3 = {dh_s: dh_v, dn_s: dn_v, r: g_v["r"], z: g_v["z"], n: g_v["n"], hp_s: hp_v, sh_s["n"]: sh["n"]}
    out.eq(Equation(lhs, (form, numbers, result), bindings=env3,
                    note={"n": "tanh′ = 1 − n²", "z": "{} = {} + {} ({} − {})", "r": "{} reaches {} through {}"}[gate],
                    note_syms=(Sym("r", vector=True), Sym("ℓ", latex=r"\ell"),
                               mul(Sym("r", vector=True), Sym("s", None, ("h", "n"), vector=True, group=True))) if gate == "r" else
                    (Sym("h"), Sym("n"), Sym("z"), Sym("h", time="τ−1"), Sym("n")) if gate == "z" else ()))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: {out.p(DELTA)} of the {GATE_WORDS[gate]}'s pre-activation, unit {out.unit(u + 1)} of "
                    f"{where}", value)


def _explain_dh(stepper: Any, cell: Cell, out: _Builder, lhs: Node, value: float, result: Num, where: str) -> Explanation:
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    kind = net.kinds[l - 1]
    T, d, h = len(st.s[l]), kind.d, kind.h
    W = _weights_of_group(stepper)
    syms: list[Node] = []
    nums: list[Node] = []
    terms: list[float] = []
    env: dict = {}
    seqs = from_above_terms(stepper, l, b, t, W, syms, nums, terms, env)
    if t < T:
        dhn = kind.delta_h(st, l, t + 1)
        for k in range(3 * h):
            u_s = kind.weight_sym(l, k, 2 + d + b - 1)
            d_s = Sym("δʰ", l, (k + 1,), latex=r"{\delta^{h}}", time=t + 1)
            uv, dv = float(W[l][k, 2 + d + b - 1]), float(dhn[k])
            env.update({u_s: uv, d_s: dv})
            syms.append(mul(u_s, d_s))
            nums.append(mul(Num(uv, Ref("W", l, (k, 2 + d + b - 1))), Num(dv)))
            terms.append(uv * dv)
        z_s = Sym("z", l, (b,), time=t + 1)
        dh_s = Partial(ELL, Sym("h", l, (b,), time=t + 1), prefixed=True)
        zv, dv = float(st.extra["gates", l][t][h + b - 1]), float(st.extra["dh", l][t][b - 1])
        env.update({z_s: zv, dh_s: dv})
        syms.append(mul(z_s, dh_s))
        nums.append(mul(Num(zv, Ref("gates", l, (t, h + b - 1))), Num(dv, Ref("dh", l, (t, b - 1)))))
        terms.append(zv * dv)
    said, dh_syms = delta_h_said()
    note, note_syms = f"from the layer above, then U at τ + 1 ({said}), then through {{}}", (*dh_syms, Sym("z", time="τ+1"))
    if t == T:
        note, note_syms = "nothing from τ + 1 at τ = T: from the layer above only", ()
    elif not seqs:
        note, note_syms = "many-to-one: nothing from above before τ = T", ()
    out.eq(Equation(lhs, (add(*syms), add(*nums), result), bindings=env, note=note, note_syms=note_syms))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: the gradient at the output of unit {out.unit(b)} of {where}", value, terms)


def _explain_G(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """G_{b,a}: Σ over the τ done so far of δ_{τ,b} times W's input (a ≤ d), or of δʰ_{τ,b} times [1, h_{τ−1}]."""
    st, net = stepper.state, stepper.net
    l, b, a = int(cell.layer or 0), int(cell.unit), int(cell.column or 0)
    kind = net.kinds[l - 1]
    d, h = kind.d, kind.h
    rows, cols = kind.param_shape
    if not (1 <= b <= rows and 0 <= a < cols):
        raise ValueError(f"G{sup(l)} has rows 1 … {rows} and columns 0 … {cols - 1}")
    out = builder(stepper, digits)
    value = float(st.G[l][b - 1, a])
    lhs = kind.grad_sym(l, b - 1, a)
    times = _g_times(stepper, l)
    if not times:
        return g_before_any_time(out, lhs, value, l, b, a, stepper)
    terms: list[float] = []
    prods: list[Node] = []
    nums: list[Node] = []
    env: dict = {}
    # a profile's ∂ℓ/∂b: δ, and its ∂ℓ/∂b_{h} (U's own bias column, a = d + 1): δʰ, no 1 to multiply
    bias = out.separate and a in (0, d + 1)
    for t in sorted(times, reverse=True):
        if a <= d:
            ds = Sym("δ", l, (b,), latex=r"\delta", time=t)
            dv = float(st.delta[l][t - 1][b - 1])
            x, x_num, xv = _column(net, st, l, a, t)
        else:
            ds = Sym("δʰ", l, (b,), latex=r"{\delta^{h}}", time=t)
            dv = float(kind.delta_h(st, l, t)[b - 1])
            c = a - d - 1
            if c == 0:
                x, x_num, xv = Num(1.0, exact=True), None, 1.0
            else:
                x = Sym("h", l, (c,), time=t - 1)
                xv = float(st.o[l][t - 1][c - 1])
                x_num = Num(xv, Ref("o", l, (t - 1, c - 1)))
        env[ds] = dv
        if bias:
            prods.append(ds)
            nums.append(Num(dv))
            terms.append(dv)
            continue
        if x_num is not None:
            env[x] = xv
        prods.append(mul(ds, x))
        nums.append(mul(Num(dv), x_num if x_num is not None else x))
        terms.append(dv * xv)
    g0 = value - float(sum(terms))
    start = before_sym(out, l)
    env[start] = g0
    forms, shown, m = g_forms(stepper, out, add(start, *prods), add(Num(g0), *nums), value, Ref("G", l, (b - 1, a)), env)
    said, dh_syms = delta_h_said()
    whose, whose_syms = ("{}'s entry: ", (u_bias(l),)) if bias and a > d else ("U's column: ", ())
    out.eq(Equation(lhs, forms, bindings=env,
                    note=f"τ = {', '.join(map(str, sorted(times, reverse=True)))} so far; "
                         + ("W's column" if a <= d else whose + said), note_syms=() if a <= d else whose_syms + dh_syms))
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: G of layer {out.layer(l)} (gru), "
                    + ("averaged over the update group's m examples" if out.mean else "summed over τ"),
                    shown, [x / m for x in terms])

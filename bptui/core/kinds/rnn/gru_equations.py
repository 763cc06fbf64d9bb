"""The equations of a GRU layer's steps (``gru.py``'s ``time_step``) with their numbers: s⁽ˡ⁾_τ (W's product
s⁽ˡ⁾_{τ,x} and U's s⁽ˡ⁾_{τ,h}, each with its own bias), the gates r, z, n, h⁽ˡ⁾_τ, ∂ℓ/∂h⁽ˡ⁾_τ, the gates' δ
and G (G_W beside G_U, as [W │ U] is stored).

    s⁽ˡ⁾_τ = [W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ, U⁽ˡ⁾ [1, h⁽ˡ⁾_{τ−1}]]
    [r, z, n]⁽ˡ⁾_τ = [σ(s_{x,r} + s_{h,r}), σ(s_{x,z} + s_{h,z}), tanh(s_{x,n} + r ⊙ s_{h,n})]
    h⁽ˡ⁾_τ = (1 − z) ⊙ n + z ⊙ h⁽ˡ⁾_{τ−1}
    ∂ℓ/∂h⁽ˡ⁾_τ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] + (U⁽ˡ⁾ᵀ δʰ⁽ˡ⁾_{τ+1})[1:] + z_{τ+1} ⊙ ∂ℓ/∂h⁽ˡ⁾_{τ+1}
    δ⁽ˡ⁾_τ = [δ_n ⊙ s_{h,n} ⊙ r ⊙ (1 − r), ∂ℓ/∂h ⊙ (h_{τ−1} − n) ⊙ z ⊙ (1 − z), ∂ℓ/∂h ⊙ (1 − z) ⊙ (1 − n²)]
    G⁽ˡ⁾ ← G⁽ˡ⁾ + [δ⁽ˡ⁾_τ o⁽ˡ⁻¹⁾_τᵀ │ δʰ⁽ˡ⁾_τ [1, h⁽ˡ⁾_{τ−1}]ᵀ],   δʰ = [δ_r, δ_z, r ⊙ δ_n]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...formulas.formula import ONE, Arr, Call, Equation, Node, Op, Partial, Ref, Sym, add, mul, sub, substitute
from . import steps
from .equations import DELTA, _below, _from_above, arr, delta, delta_h_said, gate_deltas, sym
from .lstm_equations import ELL, _n, _row, h_sym


def part(base: str, which: str, gate: str, l: int, t: int | str) -> Sym:
    """s⁽ˡ⁾_{τ,x,r} (W's product, gate r) or s⁽ˡ⁾_{τ,h,n} (U's)."""
    return Sym(base, l, (which, gate), vector=True, time=t, group=True)


def product(which: str, l: int, t: int | str | None = None) -> Sym:
    """One of s⁽ˡ⁾_τ's two products, whole: W's s⁽ˡ⁾_{x} = W [1; x_τ] (which "x") or U's s⁽ˡ⁾_{h} =
    U [1; h_{τ−1}] (which "h"), each with its own bias; n reads r ⊙ s_{h,n}."""
    return Sym("s", l, (which,), vector=True, time=t, group=True)


def gate_sym(gate: str, l: int, t: int | str) -> Sym:
    return Sym(gate, l, vector=True, time=t)


def stacked(l: int, t: int | str) -> Sym:
    return Sym("[r, z, n]", l, vector=True, latex="[r, z, n]", time=t)


def delta_h(l: int, t: int | str) -> Sym:
    return Sym("δʰ", l, vector=True, latex=r"{\delta^{h}}", time=t)


def equations(net: Any, state: Any, step: Any) -> tuple[Equation, ...]:
    key = step.key
    l, t, q = key.layer, key.time, key.quantity
    kind = net.kinds[l - 1]
    h = kind.h
    T = len(state.s[l])
    Wl, Ul, hp = Sym("W", l, vector=True), Sym("U", l, vector=True), h_sym(l, t - 1)
    hp_v = state.o[l][t - 1]
    if q == "s":
        node, filled_in, _, env = _below(net, state, l, t)
        form = Op("cat", (Op("@", (Wl, node)), Op("@", (Ul, Op("cat1", (hp,))))))
        Wv, Uv = kind.W_part(state.W[l]), kind.U_part(state.W[l])
        numbers = substitute(form, {Wl: _n(Wv, Wl), Ul: _n(Uv, Ul), node: filled_in,
                                    hp: arr(hp_v, "o", l, t - 1, kinds=net.kinds)})
        return (Equation(sym("s", l, t), (form, numbers, arr(state.s[l][t - 1], "s", l, t)),
                         bindings={Wl: Wv, Ul: Uv, hp: hp_v, **env},
                         note=("h₀ = 0; " if t == 1 else "") + "W's product, then U's: each has its own bias"),)
    s = state.s[l][t - 1]
    a = state.extra["gates", l][t - 1]
    r, z, n = (gate_sym(g, l, t) for g in ("r", "z", "n"))
    rv, zv, nv = a[:h], a[h:2 * h], a[2 * h:]
    px = {g: part("s", "x", g, l, t) for g in ("r", "z", "n")}
    ph = {g: part("s", "h", g, l, t) for g in ("r", "z", "n")}
    pv = {("x", g): s[k * h:(k + 1) * h] for k, g in enumerate(("r", "z", "n"))}
    pv.update({("h", g): s[3 * h + k * h:3 * h + (k + 1) * h] for k, g in enumerate(("r", "z", "n"))})
    if q == "gates":
        g_forms = (Call("sigmoid", (add(px["r"], ph["r"]),)), Call("sigmoid", (add(px["z"], ph["z"]),)),
                 Call("tanh", (add(px["n"], mul(r, ph["n"])),)))
        g_nums = (Call("sigmoid", (add(_n(pv["x", "r"], px["r"]), _n(pv["h", "r"], ph["r"])),)),
                Call("sigmoid", (add(_n(pv["x", "z"], px["z"]), _n(pv["h", "z"], ph["z"])),)),
                Call("tanh", (add(_n(pv["x", "n"], px["n"]), mul(_n(rv, r), _n(pv["h", "n"], ph["n"]))),)))
        g_env = {**{px[g]: pv["x", g] for g in px}, **{ph[g]: pv["h", g] for g in ph}, r: rv}
        return (Equation(stacked(l, t), (Op("cat", g_forms), Op("cat", g_nums), Arr(np.asarray(a), Ref("gates", l, (t - 1,)))),
                         bindings=g_env, note="n's U product sits inside r ⊙ (·), its bias too"),)
    if q == "h":
        h_form = add(mul(Op("()", (sub(ONE, z),)), n), mul(z, hp))
        h_numbers = add(mul(_n(1.0 - zv, Op("()", (sub(ONE, z),))), _n(nv, n)), mul(_n(zv, z), arr(hp_v, "o", l, t - 1, kinds=net.kinds)))
        return (Equation(h_sym(l, t), (h_form, h_numbers, Arr(np.asarray(state.o[l][t]), Ref("o", l, (t,)))),
                         bindings={z: zv, n: nv, hp: hp_v}, note="the layer above reads {} as {}",
                         note_syms=(Sym("h", vector=True, time="τ"), Sym("o", vector=True, time="τ"))),)
    dh_v = state.extra["dh", l][t - 1]
    dh = Partial(ELL, h_sym(l, t), prefixed=True)
    if q == "dh":
        terms: list[Node] = []
        shown: list[Node] = []
        d_env: dict = {}
        above = _from_above(net, state, l, t)
        if above is not None:
            terms.append(above[0])
            shown.append(above[1])
            d_env.update(above[2])
        if t < T:
            dn_, zn, dhn = delta_h(l, t + 1), gate_sym("z", l, t + 1), Partial(ELL, h_sym(l, t + 1), prefixed=True)
            back = Op("drop0", (Op("@", (Op("T", (Ul,)), dn_)),))
            dh_next = kind.delta_h(state, l, t + 1)
            zn_v, dhn_v = state.extra["gates", l][t][h:2 * h], state.extra["dh", l][t]
            terms += [back, mul(zn, dhn)]
            shown += [_n(kind.U_part(state.W[l])[:, 1:].T @ dh_next, back), mul(_n(zn_v, zn), _row(dhn_v, dhn, "dh", l, t))]
            d_env.update({Ul: kind.U_part(state.W[l]), dn_: dh_next, zn: zn_v, dhn: dhn_v})
        note = "nothing from τ + 1 at τ = T" if t == T else "{} ⊙ {}: the path that keeps the gradient alive"
        said: tuple[Node, ...] = () if t == T else (Sym("z", vector=True, time="τ+1"), Partial(ELL, Sym("h", vector=True, time="τ+1"), prefixed=True))
        if above is None:
            note = "many-to-one: nothing comes from above before τ = T; " + note
        middle: tuple[Node, ...] = (add(*shown),) if len(shown) > 1 else ()  # one term (τ = T): its numbers are the result
        return (Equation(dh, (add(*terms), *middle, Arr(np.asarray(dh_v), Ref("dh", l, (t - 1,)))),
                         bindings=d_env, note=note, note_syms=said),)
    if q == "delta":
        listed, gates = gate_deltas("rzn")
        d_row = state.delta[l][t - 1]
        dn_s = Sym("δ", l, ("n",), vector=True, latex=r"\delta", time=t, group=True)
        one_z = Op("()", (sub(ONE, z),))
        forms = (mul(dn_s, ph["n"], r, Op("()", (sub(ONE, r),))),
                 mul(dh, Op("()", (sub(hp, n),)), z, Op("()", (sub(ONE, z),))),
                 mul(dh, one_z, Op("()", (sub(ONE, Op("sq", (n,))),))))
        nums = (mul(_n(d_row[2 * h:], dn_s), _n(pv["h", "n"], ph["n"]), _n(rv * (1.0 - rv), mul(r, Op("()", (sub(ONE, r),))))),
                mul(_row(dh_v, dh, "dh", l, t - 1), _n(hp_v - nv, Op("()", (sub(hp, n),))), _n(zv * (1.0 - zv), mul(z, Op("()", (sub(ONE, z),))))),
                mul(_row(dh_v, dh, "dh", l, t - 1), _n(1.0 - zv, one_z), _n(1.0 - nv * nv, Op("()", (sub(ONE, Op("sq", (n,))),)))))
        env = {dn_s: d_row[2 * h:], ph["n"]: pv["h", "n"], r: rv, z: zv, n: nv, dh: dh_v, hp: hp_v}
        return (Equation(delta(l, t), (Op("cat", forms), Op("cat", nums), arr(d_row, "delta", l, t)), bindings=env,
                         note=listed + ", {} of each gate's pre-activation (n's: {})",
                         note_syms=(*gates, DELTA, add(Sym("s", None, ("x", "n"), group=True),
                                    mul(Sym("r", vector=True), Sym("s", None, ("h", "n"), vector=True, group=True))))),)
    assert q == "G"
    Gl, dl, dhl = Sym("G", l, vector=True), delta(l, t), delta_h(l, t)
    node, filled_in, _, env = _below(net, state, l, t)
    hin = Op("cat1", (hp,))
    dh_value = kind.delta_h(state, l, t)
    rhs = add(Gl, Op("hcat", (Op("outer", (dl, node)), Op("outer", (dhl, hin)))))
    filled = substitute(rhs, {Gl: Arr(np.asarray(step.before), means=Gl), dl: arr(state.delta[l][t - 1], "delta", l, t),
                              dhl: _n(dh_value, dhl), node: filled_in, hp: arr(hp_v, "o", l, t - 1, kinds=net.kinds)})
    words, syms = delta_h_said()
    return (Equation(Gl, (rhs, filled, arr(step.value, "G", l)), "←",
                     {Gl: step.before, dl: state.delta[l][t - 1], dhl: dh_value, hp: hp_v, **env},
                     note=words + " reaches U's product; G_W beside G_U as [W │ U] is stored", note_syms=syms),)


def rules(net: Any, l: int) -> list[Equation]:
    """Layer l's lines of the network's rules (the help screen, a worked solution's notation)."""
    from ...engine.kind import timed_layers
    from ...formulas.notation import sup
    from .equations import input_form

    t = "τ"
    r, z, n = (gate_sym(x, l, t) for x in ("r", "z", "n"))
    hp, dh = h_sym(l, "τ−1"), Partial(ELL, h_sym(l, t), prefixed=True)
    Wl, Ul, Gl = Sym("W", l, vector=True), Sym("U", l, vector=True), Sym("G", l, vector=True)
    sx = lambda x: part("s", "x", x, l, t)  # noqa: E731
    sh = lambda x: part("s", "h", x, l, t)  # noqa: E731
    slope = lambda x: mul(x, Op("()", (sub(ONE, x),)))  # noqa: E731 - σ′ through its output
    above = Op("drop0", (Op("@", (Op("T", (Sym("W", l + 1, vector=True),)), delta(l + 1, t))),))
    many_to_one = not timed_layers(net.kinds)[l]
    dn = mul(dh, Op("()", (sub(ONE, z),)), Op("()", (sub(ONE, Op("sq", (n,))),)))
    return [
        Equation(sym("s", l, t), (Op("cat", (Op("@", (Wl, input_form(net, l, t))), Op("@", (Ul, Op("cat1", (hp,)))))),),
                 note=f"h{sup(l)}₀ = 0; W's product {{}}, then U's {{}}, each with its own bias",
                 note_syms=(product("x", l), product("h", l))),
        Equation(stacked(l, t), (Op("cat", (Call("sigmoid", (add(sx("r"), sh("r")),)), Call("sigmoid", (add(sx("z"), sh("z")),)),
                                            Call("tanh", (add(sx("n"), mul(r, sh("n"))),)))),)),
        Equation(h_sym(l, t), (add(mul(Op("()", (sub(ONE, z),)), n), mul(z, hp)),),
                 note="the layer above reads {} as {}", note_syms=(h_sym(l, t), Sym("o", l, vector=True, time=t))),
        Equation(dh, (add(above, Op("drop0", (Op("@", (Op("T", (Ul,)), delta_h(l, "τ+1"))),)),
                          mul(gate_sym("z", l, "τ+1"), Partial(ELL, h_sym(l, "τ+1"), prefixed=True))),),
                 note="τ = T … 1" + (f"; many-to-one: δ{sup(l + 1)} at τ = T only" if many_to_one else "")),
        Equation(delta(l, t), (Op("cat", (mul(dn, sh("n"), slope(r)), mul(dh, Op("()", (sub(hp, n),)), slope(z)), dn)),),
                 note="{} only of the gates' pre-activations", note_syms=(DELTA,)),
        Equation(delta_h(l, t), (Op("cat", (Sym("δ", l, ("r",), vector=True, latex=r"\delta", time=t, group=True),
                                            Sym("δ", l, ("z",), vector=True, latex=r"\delta", time=t, group=True),
                                            mul(r, Sym("δ", l, ("n",), vector=True, latex=r"\delta", time=t, group=True)))),),
                 note="what reaches U's product"),
        Equation(Gl, (add(Gl, Op("hcat", (Op("outer", (delta(l, t), input_form(net, l, t))),
                                          Op("outer", (delta_h(l, t), Op("cat1", (hp,))))))),), "←",
                 note="summed over τ: G_W beside G_U"),
    ]

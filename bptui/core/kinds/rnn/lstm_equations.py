"""The equations of an LSTM layer's steps (``lstm.py``'s ``time_step``), as formula trees with their
numbers, in the notation of docs/recurrent.md: s⁽ˡ⁾_τ and its gate parts s⁽ˡ⁾_{τ,i} … s⁽ˡ⁾_{τ,o}, the gates
i, f, g and ō (the output gate, barred so that it is never read as a layer's output o⁽ˡ⁾), the cell c⁽ˡ⁾_τ,
the layer's output h⁽ˡ⁾_τ (what the layer above reads as o⁽ˡ⁾_τ), ∂ℓ/∂h⁽ˡ⁾_τ, ∂ℓ/∂c⁽ˡ⁾_τ and the gates' δ.

    s⁽ˡ⁾_τ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + U⁽ˡ⁾ h⁽ˡ⁾_{τ−1}
    i⁽ˡ⁾_τ = σ(s⁽ˡ⁾_{τ,i}),  f⁽ˡ⁾_τ = σ(s⁽ˡ⁾_{τ,f}),  g⁽ˡ⁾_τ = tanh(s⁽ˡ⁾_{τ,g}),  ō⁽ˡ⁾_τ = σ(s⁽ˡ⁾_{τ,o})
    c⁽ˡ⁾_τ = f⁽ˡ⁾_τ ⊙ c⁽ˡ⁾_{τ−1} + i⁽ˡ⁾_τ ⊙ g⁽ˡ⁾_τ
    h⁽ˡ⁾_τ = ō⁽ˡ⁾_τ ⊙ tanh(c⁽ˡ⁾_τ)
    ∂ℓ/∂h⁽ˡ⁾_τ = U⁽ˡ⁾ᵀ δ⁽ˡ⁾_{τ+1} + (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:]
    ∂ℓ/∂c⁽ˡ⁾_τ = ∂ℓ/∂h⁽ˡ⁾_τ ⊙ ō⁽ˡ⁾_τ ⊙ (1 − tanh²(c⁽ˡ⁾_τ)) + f⁽ˡ⁾_{τ+1} ⊙ ∂ℓ/∂c⁽ˡ⁾_{τ+1}
    δ⁽ˡ⁾_{τ,i} = ∂ℓ/∂c⁽ˡ⁾_τ ⊙ g ⊙ i ⊙ (1 − i)   …   δ⁽ˡ⁾_{τ,o} = ∂ℓ/∂h⁽ˡ⁾_τ ⊙ tanh(c⁽ˡ⁾_τ) ⊙ ō ⊙ (1 − ō)
    G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾_τ [o⁽ˡ⁻¹⁾_τ, h⁽ˡ⁾_{τ−1}]ᵀ
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...formulas.notation import sup
from ...formulas.formula import ONE, Arr, Call, Equation, Node, Op, Partial, Ref, Sym, add, mul, sub, substitute
from . import steps
from .equations import DELTA, _below, _from_above, arr, delta, gate_deltas, gate_letters, sym
from .lstm import GATES

ELL = Sym("ℓ", latex=r"\ell")


def gate_sym(gate: str, l: int, t: int | str) -> Sym:
    """i, f, g of layer l at τ, and the output gate ō (barred: never a layer's output o⁽ˡ⁾)."""
    if gate == "o":
        return Sym("ō", l, vector=True, latex=r"\bar{o}", time=t)
    return Sym(gate, l, vector=True, time=t)


def part_sym(base: str, gate: str, l: int, t: int | str) -> Sym:
    """One gate's part of s⁽ˡ⁾_τ or δ⁽ˡ⁾_τ: s⁽ˡ⁾_{τ,f}."""
    return Sym(base, l, (gate,), vector=True, latex=r"\delta" if base == "δ" else None, time=t, group=True)


def stacked(l: int, t: int | str) -> Sym:
    """The four gates one after the other, [i, f, g, ō]⁽ˡ⁾_τ: the gates step's value."""
    return Sym("[i, f, g, ō]", l, vector=True, latex=r"[i, f, g, \bar{o}]", time=t)


def h_sym(l: int, t: int | str) -> Sym:
    return Sym("h", l, vector=True, time=t)


def c_sym(l: int, t: int | str) -> Sym:
    return Sym("c", l, vector=True, time=t)


def dh_sym(l: int, t: int | str) -> Partial:
    return Partial(ELL, h_sym(l, t), prefixed=True)


def dc_sym(l: int, t: int | str) -> Partial:
    return Partial(ELL, c_sym(l, t), prefixed=True)


def _n(x: Any, means: Node) -> Arr:
    return Arr(np.asarray(x, dtype=float), means=means)


def _row(x: Any, means: Node, quantity: str, l: int, row: int) -> Arr:
    """A whole row of a per-τ board matrix (c⁽ˡ⁾_{τ−1}, ∂ℓ/∂h⁽ˡ⁾_τ …) as a step reads it: with its board
    place, so that an exercise prints a blank of it by its number."""
    return Arr(np.asarray(x, dtype=float), Ref(quantity, l, (row,)), means=means)


def equations(net: Any, state: Any, step: Any) -> tuple[Equation, ...]:
    key = step.key
    l, t, q = key.layer, key.time, key.quantity
    kind = net.kinds[l - 1]
    h = kind.h
    T = len(state.s[l])
    a = state.extra["gates", l][t - 1]
    parts = {g: a[j * h:(j + 1) * h] for j, g in enumerate(GATES)}
    c = state.extra["c", l]
    if q == "s":
        node, filled_in, _, env = _below(net, state, l, t)
        Wl, Ul, hp = Sym("W", l, vector=True), Sym("U", l, vector=True), h_sym(l, t - 1)
        form = add(Op("@", (Wl, node)), Op("@", (Ul, hp)))
        Wv, Uv = kind.W_part(state.W[l]), kind.U_part(state.W[l])
        numbers = substitute(form, {Wl: _n(Wv, Wl), Ul: _n(Uv, Ul), node: filled_in,
                                    hp: arr(state.o[l][t - 1], "o", l, t - 1, kinds=net.kinds)})
        return (Equation(sym("s", l, t), (form, numbers, arr(state.s[l][t - 1], "s", l, t)),
                         bindings={Wl: Wv, Ul: Uv, hp: state.o[l][t - 1], **env},
                         note=("h₀ = 0; " if t == 1 else "") + "rows: h for each of the gates " + gate_letters("ifgō")[0],
                         note_syms=gate_letters("ifgō")[1]),)
    if q == "gates":
        s = state.s[l][t - 1]
        g_forms, g_numbers = [], []
        g_env: dict = {}
        for j, gate in enumerate(GATES):
            sp = part_sym("s", gate, l, t)
            fn = "tanh" if gate == "g" else "sigmoid"
            sv = s[j * h:(j + 1) * h]
            g_forms.append(Call(fn, (sp,)))
            g_numbers.append(Call(fn, (_n(sv, sp),)))
            g_env[sp] = sv
        return (Equation(stacked(l, t), (Op("cat", tuple(g_forms)), Op("cat", tuple(g_numbers)),
                                         Arr(np.asarray(a), Ref("gates", l, (t - 1,)))), bindings=g_env,
                         note="σ for the gates {}, {}, {}; tanh for the cell candidate {}", note_syms=gate_letters("ifōg")[1]),)
    i, f, g, o = (gate_sym(x, l, t) for x in GATES)
    env = {i: parts["i"], f: parts["f"], g: parts["g"], o: parts["o"]}
    if q == "c":
        cp = c_sym(l, t - 1)
        return (Equation(c_sym(l, t), (add(mul(f, cp), mul(i, g)),
                                       add(mul(_n(parts["f"], f), _row(c[t - 1], cp, "c", l, t - 1)), mul(_n(parts["i"], i), _n(parts["g"], g))), Arr(np.asarray(c[t]), Ref("c", l, (t,)))), bindings={**env, cp: c[t - 1]},
                         note="c₀ = 0" if t == 1 else ""),)
    ct = c_sym(l, t)
    tanh_c = Call("tanh", (ct,))
    if q == "h":
        return (Equation(h_sym(l, t), (mul(o, tanh_c), mul(_n(parts["o"], o), Call("tanh", (_row(c[t], ct, "c", l, t),))), Arr(np.asarray(state.o[l][t]), Ref("o", l, (t,)))),
                         bindings={o: parts["o"], ct: c[t]}, note="the layer above reads {} as {}",
                         note_syms=(h_sym(l, "τ"), Sym("o", l, vector=True, time="τ"))),)
    dh_v = state.extra["dh", l][t - 1]
    if q == "dh":
        terms: list[Node] = []
        shown: list[Node] = []
        benv: dict = {}
        if t < T:
            Ul, dn = Sym("U", l, vector=True), delta(l, t + 1)
            nxt = Op("@", (Op("T", (Ul,)), dn))
            terms.append(nxt)
            shown.append(_n(steps.from_next(net, state, l, t), nxt))
            benv.update({Ul: kind.U_part(state.W[l]), dn: state.delta[l][t]})
        above = _from_above(net, state, l, t)
        if above is not None:
            terms.append(above[0])
            shown.append(above[1])
            benv.update(above[2])
        note = "" if t < T else "nothing from τ + 1 at τ = T"
        if above is None:
            note = "many-to-one: nothing comes from above before τ = T"
        assert terms  # τ < T has the part from τ + 1, τ = T the part from above
        middle: tuple[Node, ...] = (add(*shown),) if len(shown) > 1 else ()  # one term (τ = T): its numbers are the result
        forms = (add(*terms), *middle, Arr(np.asarray(dh_v), Ref("dh", l, (t - 1,))))
        return (Equation(dh_sym(l, t), forms, bindings=benv, note=note),)
    dc_v = state.extra["dc", l][t - 1]
    tc = np.tanh(c[t])
    if q == "dc":
        dh = dh_sym(l, t)
        rhs: Node = mul(dh, o, Op("()", (sub(ONE, Op("sq", (tanh_c,))),)))
        filled: Node = mul(_row(dh_v, dh, "dh", l, t - 1), _n(parts["o"], o), _n(1.0 - tc * tc, Op("()", (sub(ONE, Op("sq", (tanh_c,))),))))
        benv = {dh: dh_v, o: parts["o"], ct: c[t]}
        note = "nothing from τ + 1 at τ = T"
        if t < T:
            f_next, dcn = gate_sym("f", l, t + 1), dc_sym(l, t + 1)
            fv, dcv = state.extra["gates", l][t][h:2 * h], state.extra["dc", l][t]
            rhs = add(rhs, mul(f_next, dcn))
            filled = add(filled, mul(_n(fv, f_next), _row(dcv, dcn, "dc", l, t)))
            benv.update({f_next: fv, dcn: dcv})
            note = "{} ⊙ {}: the path through the cell that keeps the gradient alive"
        said = () if t == T else (gate_sym("f", l, "τ+1"), dc_sym(l, "τ+1"))
        return (Equation(dc_sym(l, t), (rhs, filled, Arr(np.asarray(dc_v), Ref("dc", l, (t - 1,)))), bindings=benv, note=note,
                         note_syms=said),)
    if q == "delta":
        listed, gates = gate_deltas("ifgō")
        dc, dh = dc_sym(l, t), dh_sym(l, t)
        cp = c_sym(l, t - 1)
        d_row = state.delta[l][t - 1]

        def slope(x: Sym, v: np.ndarray) -> tuple[Node, Node]:  # x ⊙ (1 − x), σ′ through its output
            node = mul(x, Op("()", (sub(ONE, x),)))
            return node, _n(v * (1.0 - v), node)

        def tslope(x: Sym, v: np.ndarray) -> tuple[Node, Node]:  # 1 − x², tanh′ through its output
            node = Op("()", (sub(ONE, Op("sq", (x,))),))
            return node, _n(1.0 - v * v, node)

        si, sni = slope(i, parts["i"])
        sf, snf = slope(f, parts["f"])
        sg, sng = tslope(g, parts["g"])
        so, sno = slope(o, parts["o"])
        rows = {
            "i": (mul(dc, g, si), mul(_row(dc_v, dc, "dc", l, t - 1), _n(parts["g"], g), sni)),
            "f": (mul(dc, cp, sf), mul(_row(dc_v, dc, "dc", l, t - 1), _row(c[t - 1], cp, "c", l, t - 1), snf)),
            "g": (mul(dc, i, sg), mul(_row(dc_v, dc, "dc", l, t - 1), _n(parts["i"], i), sng)),
            "o": (mul(dh, tanh_c, so), mul(_row(dh_v, dh, "dh", l, t - 1), _n(tc, tanh_c), sno)),
        }
        benv = {**env, dc: dc_v, dh: dh_v, cp: c[t - 1], ct: c[t]}
        return (Equation(delta(l, t), (Op("cat", tuple(rows[g][0] for g in GATES)),
                                       Op("cat", tuple(rows[g][1] for g in GATES)),
                                       arr(d_row, "delta", l, t)), bindings=benv,
                         note=listed + ": {} of each gate's pre-activation", note_syms=(*gates, DELTA)),)
    assert q == "G"
    Gl, dl, hp = Sym("G", l, vector=True), delta(l, t), h_sym(l, t - 1)
    node, filled_in, _, benv = _below(net, state, l, t)
    rhs = add(Gl, Op("outer", (dl, Op("cat", (node, hp)))))
    filled = substitute(rhs, {Gl: Arr(np.asarray(step.before), means=Gl), dl: arr(state.delta[l][t - 1], "delta", l, t),
                              node: filled_in, hp: arr(state.o[l][t - 1], "o", l, t - 1, kinds=net.kinds)})
    return (Equation(Gl, (rhs, filled, arr(step.value, "G", l)), "←",
                     {Gl: step.before, dl: state.delta[l][t - 1], hp: state.o[l][t - 1], **benv},
                     note="rows: the gates " + gate_letters("ifgō")[0] + "; columns: bias, W's inputs, then U's h_{τ−1}",
                     note_syms=gate_letters("ifgō")[1]),)



def rules(net: Any, l: int) -> list[Equation]:
    """Layer l's lines of the network's rules (the help screen, a worked solution's notation): the
    equations above with τ, without numbers."""
    from ...engine.kind import timed_layers
    from .equations import input_form

    t = "τ"
    i, f, g, o = (gate_sym(x, l, t) for x in GATES)
    ct, cp, hp = c_sym(l, t), c_sym(l, "τ−1"), h_sym(l, "τ−1")
    dh, dc = dh_sym(l, t), dc_sym(l, t)
    Wl, Ul, Gl = Sym("W", l, vector=True), Sym("U", l, vector=True), Sym("G", l, vector=True)
    tanh_c = Call("tanh", (ct,))
    slope = lambda x: mul(x, Op("()", (sub(ONE, x),)))  # noqa: E731 - σ′ through its output
    above = Op("drop0", (Op("@", (Op("T", (Sym("W", l + 1, vector=True),)), delta(l + 1, t))),))
    many_to_one = not timed_layers(net.kinds)[l]
    return [
        Equation(sym("s", l, t), (add(Op("@", (Wl, input_form(net, l, t))), Op("@", (Ul, hp))),),
                 note=f"h{sup(l)}₀ = c{sup(l)}₀ = 0; rows: the gates " + gate_letters("ifgō")[0], note_syms=gate_letters("ifgō")[1]),
        Equation(stacked(l, t), (Op("cat", tuple(Call("tanh" if x == "g" else "sigmoid", (part_sym("s", x, l, t),))
                                                 for x in GATES)),), note="ō: the output gate, never a layer's o"),
        Equation(ct, (add(mul(f, cp), mul(i, g)),)),
        Equation(h_sym(l, t), (mul(o, tanh_c),), note=f"the layer above reads h{sup(l)}_τ as o{sup(l)}_τ"),
        Equation(dh, (add(Op("@", (Op("T", (Ul,)), delta(l, "τ+1"))), above),),
                 note="τ = T … 1" + (f"; many-to-one: δ{sup(l + 1)} at τ = T only" if many_to_one else "")),
        Equation(dc, (add(mul(dh, o, Op("()", (sub(ONE, Op("sq", (tanh_c,))),))), mul(gate_sym("f", l, "τ+1"),
                                                                                       dc_sym(l, "τ+1"))),)),
        Equation(delta(l, t), (Op("cat", (mul(dc, g, slope(i)), mul(dc, cp, slope(f)),
                                          mul(dc, i, Op("()", (sub(ONE, Op("sq", (g,))),))), mul(dh, tanh_c, slope(o)))),),
                 note="δ only of the gates' pre-activations"),
        Equation(Gl, (add(Gl, Op("outer", (delta(l, t), Op("cat", (input_form(net, l, t), hp))))),), "←",
                 note="summed over τ"),
    ]

"""Why a number of a recurrent network's board is what it is (core/engine/explain.py's chain rule, through
time): each cell of a recurrent layer's s⁽ˡ⁾_τ, o⁽ˡ⁾_τ, δ⁽ˡ⁾_τ and G⁽ˡ⁾ with every factor's number,
including the part of δ⁽ˡ⁾_τ that comes from τ + 1; the dense layers (at τ or once) with their step's
equation. Below, layer 1 is the recurrent one; a recurrent layer l above another reads [1, o⁽ˡ⁻¹⁾_τ]
where layer 1 reads o⁽⁰⁾_τ = [1, x_τ].

    s⁽¹⁾_{τ,b} = Σ_a w_b,a⁽¹⁾ o⁽⁰⁾_{τ,a} + Σ_c u_b,c⁽¹⁾ o⁽¹⁾_{τ−1,c}
    o⁽¹⁾_{τ,b} = f(s⁽¹⁾_{τ,b})
    δ⁽¹⁾_{τ,b} = (Σ_c u_c,b⁽¹⁾ δ⁽¹⁾_{τ+1,c} + Σ_k w_k,b⁽²⁾ δ⁽²⁾_k) · f′(s⁽¹⁾_{τ,b})
    G_b,a⁽¹⁾ = (G_b,a⁽¹⁾ before this example) + Σ_τ δ⁽¹⁾_{τ,b} [o⁽⁰⁾_τ, o⁽¹⁾_{τ−1}]_a  (the τ done so far)

u_b,c⁽¹⁾ is column 1 + d + (c − 1) of the stored [W | U]; the cells of W⁽¹⁾ and G⁽¹⁾ count their
columns a = 0 … d + h across both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ops.activations import IDENTITY_NOTE
from . import equations as RE
from ...engine.explain import Cell, Explanation, _Builder, _alpha_env, _group_size, _not_yet, _weights_of_group, builder, \
    current_example, group_symbol
from ...formulas.profiles import shown_ref
from ...formulas.formula import Equation, Node, Num, Op, Partial, Ref, Sum, Sym, add, mul, substitute
from ...engine.kind import timed_layers
from ...formulas.notation import count, sup
from ...engine.schedule import BACKWARD, FORWARD, StepKey
from ...engine.stepper import Step
from .layer import Rnn
from .profiled import noted


def handles(spec: Any, cell: Cell) -> bool:
    """A cell of a recurrent network that is not another recurrent kind's own (an LSTM explains its
    layer's cells itself)."""
    l = cell.layer
    other = l is not None and 1 <= l <= spec.L and spec.layer_kinds[l - 1].over_time \
        and not isinstance(spec.layer_kinds[l - 1], Rnn)
    return spec.lengths is not None and cell.quantity in ("s", "o", "delta", "G") and not other


def own_cell(spec: Any, cell: Cell, kind_type: str, own: tuple[str, ...]) -> bool:
    """Whether ``cell`` is one of a gated layer's own (its layer's kind is ``kind_type``; its o, as the
    panel names it, is its h)."""
    l = cell.layer
    return (spec.lengths is not None and l is not None and 1 <= l <= spec.L
            and spec.layer_kinds[l - 1].type == kind_type and cell.quantity in own + ("o",))


def own_row(stepper: Any, cell: Cell, backward: tuple[str, ...]) -> np.ndarray | Explanation:
    """The board row of a gated layer's own ``cell`` at its τ (h from the board's o, c from row τ),
    checked; or an explanation that it is not computed yet. ``backward``: its quantities of the
    backward pass."""
    st, net = stepper.state, stepper.net
    q, l, b, t = cell.quantity, int(cell.layer or 0), cell.unit, cell.time
    kind = net.kinds[l - 1]
    if st.s[l] is None:
        return _not_yet(cell, "nothing of an example is on the board yet")
    T = len(st.s[l])
    if t is None or not 1 <= t <= T:
        raise ValueError(f"time {t} is not one of 1 … {T} (this example's length)")
    width = kind.entries(q)
    if not isinstance(b, int) or not 1 <= b <= width:
        raise ValueError(f"unit {b} is not one of 1 … {width} of {q}{sup(l)}")
    board = {"s": st.s[l], "h": st.o[l][1:], "delta": st.delta[l]}.get(q)
    if board is None:
        board = st.extra[q, l][1:] if q == "c" else st.extra[q, l]
    if not np.isfinite(board[t - 1]).all():
        phase = "backward pass, from τ = T down" if q in backward else "forward pass, from τ = 1 up"
        return _not_yet(cell, f"{q}{sup(l)} at τ = {t} comes in this example's {phase}.")
    return board[t - 1]


def from_above_terms(stepper: Any, l: int, b: int, t: int, W: list, syms: list, nums: list, terms: list,
                     env: dict) -> bool:
    """The terms w⁽ˡ⁺¹⁾_{k,b} δ⁽ˡ⁺¹⁾_k of ∂ℓ/∂h⁽ˡ⁾_{τ,b} that come from the layer above (at each τ, or at
    τ = T only above a many-to-one layer), appended to a gated layer's explanation; whether the layer
    above runs at each τ."""
    st, net = stepper.state, stepper.net
    seqs = timed_layers(net.kinds)[l]
    if (seqs or t == len(st.s[l])) and net.kinds[l].own_steps:  # a layer norm above: its ∂ℓ/∂x_b is ∂ℓ/∂h_b
        d_s = net.kinds[l].dx_sym(l + 1, (b - 1,))
        dv = float((st.delta[l + 1][t - 1] if seqs else st.delta[l + 1])[b - 1])
        env[d_s] = dv
        syms.append(d_s)
        nums.append(Num(dv, Ref("delta", l + 1, (t - 1, b - 1) if seqs else (b - 1,))))
        terms.append(dv)
    elif seqs or t == len(st.s[l]):
        above = net.kinds[l]
        d_above = st.delta[l + 1][t - 1] if seqs else st.delta[l + 1]
        for k in range(len(d_above)):
            w_s = above.weight_sym(l + 1, k, b)
            d_s = Sym("δ", l + 1, (k + 1,), latex=r"\delta", time=t if seqs else None)
            wv, dv = float(W[l + 1][k, b]), float(d_above[k])
            env.update({w_s: wv, d_s: dv})
            syms.append(mul(w_s, d_s))
            nums.append(mul(Num(wv, Ref("W", l + 1, (k, b))), Num(dv, Ref("delta", l + 1, (t - 1, k) if seqs else (k,)))))
            terms.append(wv * dv)
    return bool(seqs)


def _own_above(net: Any, st: Any, l: int, b: int, t: int, seqs: bool, out: Any, above: Node) -> float:
    """The part of δ⁽ˡ⁾_τ,b from a layer norm above, said on ``out``: its ∂ℓ/∂x⁽ˡ⁺¹⁾_τ,b (o⁽ˡ⁾ is its input)."""
    d_s = net.kinds[l].dx_sym(l + 1, (b - 1,))
    v = float((st.delta[l + 1][t - 1] if seqs else st.delta[l + 1])[b - 1])
    ref = Ref("delta", l + 1, (t - 1, b - 1) if seqs else (b - 1,))
    out.say(f"from above (layer {out.layer(l + 1)}, whose input {out.q('x', l + 1)} is {out.q('o', l)}" + (f", at τ = {t}" if seqs else "") + "):")
    out.eq(Equation(above, (d_s, Num(v, ref)), bindings={d_s: v}))
    return v


def _column(net: Any, st: Any, l: int, a: int, t: int) -> tuple[Node, Num | None, float]:
    """Column a of what recurrent layer l's [W | U] multiplies at τ, [o⁽ˡ⁻¹⁾_τ, o⁽ˡ⁾_{τ−1}] (above a
    recurrent layer [1, o⁽ˡ⁻¹⁾_τ, o⁽ˡ⁾_{τ−1}]): its node, its number with the board's place (None for
    the 1 that is on no board) and its value."""
    rnn = net.kinds[l - 1]
    d = rnn.d
    if a > d:
        value = float(st.o[l][t - 1][a - d - 1])
        return Sym("o", l, (a - d,), time=t - 1), Num(value, Ref("o", l, (t - 1, a - d - 1))), value
    if l > 1 and net.kinds[l - 2].over_time:  # [1, o⁽ˡ⁻¹⁾_τ]: the 1, then the units of the layer below
        if a == 0:
            return Num(1.0, exact=True), None, 1.0
        value = float(st.o[l - 1][t][a - 1])
        return Sym("o", l - 1, (a,), time=t), Num(value, Ref("o", l - 1, (t, a - 1))), value
    value = float(st.o[l - 1][t - 1][a])
    return Sym("o", l - 1, (a,), time=t), Num(value, Ref("o", l - 1, (t - 1, a))), value


def _which(net: Any, l: int, out: Any) -> str:
    """"the recurrent layer" of a network with one, "the recurrent layer l" of a stack (l as the builder's
    notation numbers layers: nielsen's input is layer 1); an LSTM's "the LSTM layer"."""
    return net.kinds[l - 1].layer_words + (f" {out.layer(l)}" if sum(k.over_time for k in net.kinds) > 1 else "")


def _done(x: Any) -> bool:
    return x is not None and bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def _line(out: Any) -> str:
    """What an input's weights are in a matrix as the builder's notation shows it: a column, or a row where
    it shows the matrix transposed (cs231n's D × C)."""
    return "row" if out.notation is not None and out.notation.transposed else "column"


def explain_rnn(stepper: Any, cell: Cell, digits: int) -> Explanation:
    spec, st, net = stepper.spec, stepper.state, stepper.net
    q, l, t = cell.quantity, cell.layer, cell.time
    if l == 0 and q == "o":
        return _explain_input(stepper, cell, digits)
    if l is None or not 1 <= l <= spec.L:
        raise ValueError(f"layer {l} is not one of 0 … {spec.L}")
    if not net.kinds[l - 1].over_time:
        return _explain_upper(stepper, cell, digits)
    if q == "G":
        return _explain_G1(stepper, cell, digits)
    if st.s[l] is None:
        return _not_yet(cell, "nothing of an example is on the board yet")
    T = len(st.s[l])
    if t is None or not 1 <= t <= T:
        raise ValueError(f"time {t} is not one of 1 … {T} (this example's length)")
    board = {"s": st.s[l], "o": st.o[l][1:], "delta": st.delta[l]}[q]
    if not _done(board[t - 1]):
        phase = "backward pass, from τ = T down" if q == "delta" else "forward pass, from τ = 1 up"
        return _not_yet(cell, f"{q if q != 'delta' else 'δ'}{sup(l)} at τ = {t} comes in this example's {phase}.")
    return {"s": _explain_s1, "o": _explain_o1, "delta": _explain_delta1}[q](stepper, cell, digits)


def _explain_input(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, b, t = stepper.state, cell.unit, cell.time
    out = builder(stepper, digits)
    lhs = Sym("o", 0, (b,), time=t)
    if st.o[0] is None or t is None:
        return _not_yet(cell, "the example's sequence comes with its first step")
    value = float(st.o[0][t - 1][b])
    o_0 = (Sym("o", 0, vector=True, time="τ"),)  # the input as the notation names it: o⁽⁰⁾_τ, a^[0]_τ, h⁰_τ
    if b == 0:
        out.eq(Equation(lhs, (Num(1.0, exact=True),), note="the bias entry of {} = [1, x_τ]", note_syms=o_0))
        return out.done(f"{out.p(lhs)} = 1: the bias entry", 1.0)
    x = Sym("x", None, (b,), time=t)
    out.eq(Equation(lhs, (x, Num(value, Ref("o", 0, (t - 1, b)))), bindings={x: value},
                    note="{} = x_τ" if out.separate else "{} = [1, x_τ]", note_syms=o_0))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: input {out.unit(b)} at time step τ = {t}, example n = "
                    f"{current_example(stepper)}", value)


def _explain_s1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    rnn = net.kinds[l - 1]
    d, h = rnn.d, rnn.h
    W = _weights_of_group(stepper)[l]  # the [W | U] that made s, even after an update
    on_board = W is st.W[l]
    terms_n: list[Node] = []
    syms: list[Node] = []
    env: dict = {}
    terms: list[float] = []
    out = builder(stepper, digits)
    for a in range(1 + d + h):
        w = rnn.weight_sym(l, b - 1, a)  # w_b,a in W, u_b,c in U, as the panel names them
        x, x_num, xv = _column(net, st, l, a, t)
        env[w] = float(W[b - 1, a])
        w_num = Num(float(W[b - 1, a]), Ref("W", l, (b - 1, a)) if on_board else None, means=w)
        if out.separate and a == 0:  # a profile's b: no 1 to multiply
            syms.append(w)
            terms_n.append(w_num)
            terms.append(float(W[b - 1, a]))
            continue
        if x_num is not None:
            env[x] = xv
        syms.append(mul(w, x))
        terms_n.append(mul(w_num, x_num if x_num is not None else x))
        terms.append(float(W[b - 1, a] * xv))
    if out.separate:  # Σ w x + Σ u o + b, as the profile writes s
        syms, terms_n, terms = syms[1:] + syms[:1], terms_n[1:] + terms_n[:1], terms[1:] + terms[:1]
    expanded = add(*syms)
    value = float(st.s[l][t - 1][b - 1])
    lhs = rnn.unit_sym("s", l, b, t)  # an LSTM's by gate and unit
    src = "o⁽⁰⁾_τ = [1, x_τ]" if l == 1 else (f"[1, o{sup(l - 1)}_τ]" if net.kinds[l - 2].over_time else f"o{sup(l - 1)}_τ")
    last = ""
    if out.separate:
        src = f"o{sup(l - 1)}_τ" + (" = x_τ" if l == 1 else "")
        last = f", then the bias {out.p(rnn.weight_sym(l, b - 1, 0))}"
    out.eq(Equation(lhs, (expanded, add(*terms_n), add(*[Num(x) for x in terms]),
                          Num(value, Ref("s", l, (t - 1, b - 1)))), bindings=env,
                    note=noted(f"a = {out.units(1, d) if out.separate else f'0 … {d}'} over {src}, "
                               f"then c = {out.units(1, h)} over o{sup(l)}_{{τ−1}}" + last + (f"; o{sup(l)}₀ = 0" if t == 1 else ""),
                               out.notation)))
    title = (f"{out.p(lhs)} = {out.n(value)}: the pre-activation of {rnn.row_words(b, out.unit)} of {_which(net, l, out)} at time "
             f"step τ = {t}, example n = {current_example(stepper)}")
    return out.done(title, value, terms)


def _explain_o1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    s_b = Sym("s", l, (b,), time=t)
    lhs = Sym("o", l, (b,), time=t)
    value = float(st.o[l][t][b - 1])
    s_value = float(st.s[l][t - 1][b - 1])
    f_s = net.act(l).value(s_b)
    env = {s_b: s_value, **_alpha_env(net, l)}
    applied = substitute(f_s, {s_b: Num(s_value, Ref("s", l, (t - 1, b - 1)))})
    result = Num(value, Ref("o", l, (t, b - 1)))
    out = builder(stepper, digits)
    out.eq(Equation(lhs, (f_s, applied, result) if f_s != s_b else (f_s, result), bindings=env,
                    note="the recurrent layer's o has no bias entry: U multiplies the units"))
    return out.done(f"{out.p(lhs)} = {out.result()}: the output of unit {out.unit(b)} of {_which(net, l, out)} at τ = {t}, "
                    f"example n = {current_example(stepper)}", value)


def _explain_delta1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    l, b, t = int(cell.layer or 0), int(cell.unit), int(cell.time or 0)
    rnn = net.kinds[l - 1]
    T, h = len(st.s[l]), rnn.h
    W = _weights_of_group(stepper)
    U, W_up = rnn.U_part(W[l]), W[l + 1]
    on_board = W[l] is st.W[l]
    seqs = timed_layers(net.kinds)[l]  # layer l + 1 runs at each τ
    out = builder(stepper, digits)
    parts: list[float] = []
    lhs = Sym("δ", l, (b,), latex=r"\delta", time=t)
    # the part from τ + 1: Σ_c u_c,b δ⁽ˡ⁾_{τ+1,c}
    nxt = Sym("from τ + 1", None, latex=r"\text{from } \tau + 1")
    above = Sym("from above", None, latex=r"\text{from above}")
    if t < T:
        u = [Sym("u", l, (c, b)) for c in range(1, h + 1)]
        dn = [Sym("δ", l, (c,), latex=r"\delta", time=t + 1) for c in range(1, h + 1)]
        env: dict = {**{s: float(U[c, b - 1]) for c, s in enumerate(u)},
                     **{s: float(st.delta[l][t][c]) for c, s in enumerate(dn)}}
        expanded = add(*[mul(a, x) for a, x in zip(u, dn)])
        nums = {**{s: Num(float(U[c, b - 1]), Ref("W", l, (c, 1 + rnn.d + b - 1)) if on_board else None, means=s)
                   for c, s in enumerate(u)},
                **{s: Num(float(st.delta[l][t][c]), Ref("delta", l, (t, c))) for c, s in enumerate(dn)}}
        v = float(U[:, b - 1] @ st.delta[l][t])
        out.say(noted(f"from τ + 1 (through U{sup(l)}, the same weights at every step):", out.notation))
        out.eq(Equation(nxt, (expanded, substitute(expanded, nums), Num(v)), bindings=env))
        parts.append(v)
    else:
        out.say(noted(f"from τ + 1: nothing, τ = {T} is the last step (δ{sup(l)}_{{T+1}} = 0)", out.notation))
    if (seqs or t == T) and net.kinds[l].own_steps:  # a layer norm above: its ∂ℓ/∂x⁽ˡ⁺¹⁾ is ∂ℓ/∂o⁽ˡ⁾
        v = _own_above(net, st, l, b, t, seqs, out, above)
        parts.append(v)
    elif seqs or t == T:
        d2 = st.delta[l + 1][t - 1] if seqs else st.delta[l + 1]
        k_syms = [Sym("w", l + 1, (k, b)) for k in range(1, len(d2) + 1)]
        d_syms = [Sym("δ", l + 1, (k,), latex=r"\delta", time=t if seqs else None)
                  for k in range(1, len(d2) + 1)]
        env = {**{s: float(W_up[k, b]) for k, s in enumerate(k_syms)}, **{s: float(d2[k]) for k, s in enumerate(d_syms)}}
        expanded = add(*[mul(a, x) for a, x in zip(k_syms, d_syms)])
        row = (t - 1,) if seqs else ()
        nums = {**{s: Num(float(W_up[k, b]), Ref("W", l + 1, (k, b)) if W[l + 1] is st.W[l + 1] else None, means=s)
                   for k, s in enumerate(k_syms)},
                **{s: Num(float(d2[k]), Ref("delta", l + 1, row + (k,))) for k, s in enumerate(d_syms)}}
        v = float(W_up[:, b] @ d2)
        out.say(noted(f"from above (layer {out.layer(l + 1)}" + (f" at τ = {t}" if seqs else f", which reads o{sup(l)}_T") + "):", out.notation))
        out.eq(Equation(above, (expanded, substitute(expanded, nums), Num(v)), bindings=env))
        parts.append(v)
    else:
        out.say(noted(f"from above: nothing, many-to-one: layer {out.layer(l + 1)} reads o{sup(l)} only at τ = T = {T}", out.notation))
    s_b, o_b = Sym("s", l, (b,), time=t), Sym("o", l, (b,), time=t)
    df = net.act(l).derivative(s_b, o_b)
    s_v, o_v = float(st.s[l][t - 1][b - 1]), float(st.o[l][t][b - 1])
    fp = float(net.df(l, np.array([s_v]), np.array([o_v]))[0])
    value = float(st.delta[l][t - 1][b - 1])
    env = {s_b: s_v, o_b: o_v, **_alpha_env(net, l)}
    total: Node = add(*[Num(p) for p in parts]) if parts else Num(0.0, exact=True)
    from ...formulas.formula import Op

    result = Num(value, Ref("delta", l, (t - 1, b - 1)))
    ds = f"∂{out.p(Sym('ℓ', latex=chr(92) + 'ell'))}/∂{out.p(Sym('s'))}"  # ∂ℓ/∂s, nielsen's ∂C/∂z
    title = (f"{out.p(lhs)} = {out.n(value)}: {ds} of unit {out.unit(b)} of {_which(net, l, out)} at τ = {t}, "
             f"example n = {current_example(stepper)}")
    if net.act(l).derivative_is_one:  # δ is the sum itself, without the factor 1
        came = ([nxt] if t < T else []) + ([above] if seqs or t == T else [])
        forms = (add(*came), total, result) if len(parts) > 1 else (add(*came), result)
        out.eq(Equation(lhs, forms, bindings=dict(zip(came, parts)), note=IDENTITY_NOTE))
        return out.done(title, value, parts)
    out.eq(Equation(lhs, (mul(Op("()", (total,)) if len(parts) > 1 else total, df),
                          mul(Op("()", (total,)) if len(parts) > 1 else total, Num(fp, means=df)),
                          result), bindings=env,
                    note=f"(from τ + 1 + from above) · f′({out.p(Sym('s'))})"))
    return out.done(title, value, parts, fp)


def _g_times(stepper: Any, l: int) -> list[int]:
    """The time steps whose G⁽ˡ⁾ increment of the current example is in G⁽ˡ⁾ now."""
    sch, pos = stepper.schedule, stepper.position
    if stepper.last is None:
        return []
    key = stepper.last.key
    if key.phase == "update":
        return list(range(1, len(stepper.state.s[l]) + 1))
    done = []
    p = pos - 1
    while p >= 0:
        k = sch.key(p)
        if k.phase == BACKWARD and k.quantity == "G" and k.layer == l and k.time is not None:
            done.append(k.time)
        if k.example_start:
            break
        p -= 1
    return sorted(done)


def g_before_any_time(out: Any, lhs: Node, value: float, l: int, b: int, a: int, stepper: Any = None) -> Explanation:
    """G⁽ˡ⁾'s entry (b, a) before this example's first step through time has added to it: the earlier
    examples' terms of the update group (0 at its start), for every recurrent kind's explanation (in a
    mean profile G/m, with the ``stepper`` that tells m)."""
    out.say(f"none of this example's time steps has added to {out.q('G', l)} yet: it holds the earlier examples' "
            "terms of this update group (0 at the group's start)")
    ref = Ref("G", l, (b - 1, a))
    if out.notation is not None and stepper is not None:
        ref = shown_ref(ref, out.notation, stepper.spec.L)
        value = value / (_group_size(stepper) if out.mean else 1)
    out.eq(Equation(lhs, (Num(value, ref),)))
    return out.done(f"{out.p(lhs)} = {out.n(value)}", value)


def _explain_G1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    l, b, a = int(cell.layer or 0), int(cell.unit), int(cell.column or 0)
    rnn = net.kinds[l - 1]
    d, h = rnn.d, rnn.h
    if not (1 <= b <= rnn.rows and 0 <= a <= d + h):
        raise ValueError(f"G{sup(l)} has rows 1 … {rnn.rows} and columns 0 … {d + h}")
    out = builder(stepper, digits)
    value = float(st.G[l][b - 1, a])
    lhs = rnn.grad_sym(l, b - 1, a)  # named as the kind names its weights (an LSTM's by gate)
    times = _g_times(stepper, l)
    if not times:
        return g_before_any_time(out, lhs, value, l, b, a, stepper)
    terms: list[float] = []
    prods: list[Node] = []
    nums: dict = {}
    env: dict = {}
    bias = out.separate and a == 0  # a profile's ∂ℓ/∂b: δ, no 1 to multiply
    for t in sorted(times, reverse=True):
        dsym = Sym("δ", l, (b,), latex=r"\delta", time=t)
        x, x_num, xv = _column(net, st, l, a, t)
        dv = float(st.delta[l][t - 1][b - 1])
        env[dsym] = dv
        nums[dsym] = Num(dv, Ref("delta", l, (t - 1, b - 1)))
        if bias:
            prods.append(dsym)
            terms.append(dv)
            continue
        if x_num is not None:
            env[x], nums[x] = xv, x_num
        prods.append(mul(dsym, x))
        terms.append(dv * xv)
    g0 = value - float(sum(terms))
    start = before_sym(out, l)
    env[start] = g0
    expanded = add(start, *prods)
    numbers = substitute(expanded, {**nums, start: Num(g0)})
    x_name = "x_τ" if l == 1 else f"o{sup(l - 1)}_τ"
    forms, shown, m = g_forms(stepper, out, expanded, numbers, value, Ref("G", l, (b - 1, a)), env)
    # what δ multiplies, its unit as the profile numbers it (the lecture's: the stored column a of [W │ U])
    what = ("the bias" if a == 0 else f"{x_name},{out.unit(a)}" if a <= d
            else f"o{sup(l)}_{{τ−1}},{out.unit(a - d)} (U's {_line(out)} {out.unit(a - d)})")
    out.eq(Equation(lhs, forms, bindings=env,
                    note=noted(f"τ = {', '.join(map(str, sorted(times, reverse=True)))} so far; "
                               + (f"column {a} is {what}" if out.notation is None or a == 0 else f"δ{sup(l)}_τ times {what}"),
                               out.notation)))
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: G of {_which(net, l, out)}, "
                    + ("averaged over the update group's m examples" if out.mean else "summed over τ"),
                    shown, [x / m for x in terms])


def before_sym(out: Any, l: int) -> Sym:
    """What G⁽ˡ⁾ held before this example's time steps added to it (the earlier examples' terms)."""
    if out.notation is None:
        return Sym(f"G{sup(l)} before this example", None, latex=rf"G^{{({l})}}_{{\text{{before}}}}")
    return Sym("(earlier examples)", None, latex=r"\text{(earlier examples)}")


def g_forms(stepper: Any, out: Any, expanded: Node, numbers: Node, value: float, ref: Ref, env: dict
            ) -> tuple[tuple[Node, ...], float, int]:
    """The forms of an entry of G as the notation shows it: the sum, or in a mean profile the sum over
    the group's m examples divided by m (G/m), its Ref where the profile shows it; the value shown and m."""
    if out.notation is None:
        return (expanded, numbers, Num(value, ref)), value, 1
    shown = shown_ref(ref, out.notation, stepper.spec.L)
    if not out.mean:
        return (expanded, numbers, Num(value, shown)), value, 1
    m = _group_size(stepper)
    M = group_symbol(stepper.spec.optimizer)
    env[M] = float(m)
    return (Op("/", (expanded, M)), Op("/", (numbers, Num(float(m), exact=True))), Num(value / m, shown)), value / m, m


def _explain_upper(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """A dense layer: its step's equation at τ (above a many-to-one layer: once), with its numbers."""
    st, spec = stepper.state, stepper.spec
    q, l, t = cell.quantity, int(cell.layer or 0), cell.time
    seqs = timed_layers(stepper.net.kinds)[l - 1]
    board = {"s": st.s, "o": st.o, "delta": st.delta, "G": st.G}[q][l]
    T = 0 if st.o[0] is None else len(st.o[0])
    if q != "G" and seqs and (t is None or not 1 <= t <= T):
        raise ValueError(f"layer {l} runs at every time step: give τ = 1 … {T}")
    value_row = board if (q == "G" or not seqs or t is None) else (None if board is None else board[t - 1])
    if not _done(value_row):
        return _not_yet(cell, f"layer {l}'s {q} comes later in this example's steps")
    key = StepKey(0, 1, current_example(stepper), FORWARD if q in ("s", "o") else BACKWARD, q, l,
                  time=t if seqs else None)
    before = None
    if q == "G":
        return _explain_G_upper(stepper, cell, digits)
    W = _weights_of_group(stepper)
    stale = [k for k in range(1, spec.L + 1) if W[k] is not st.W[k]]
    board_then = st.copy()
    board_then.W = W
    if out_notation(stepper) is not None:  # the dense step's equations as the profile groups them
        from . import profiled

        eqs = profiled.step_equations(stepper.net, board_then, Step(key, np.asarray(value_row), before),
                                      out_notation(stepper), stepper.spec.optimizer)
    else:
        eqs = RE.step_equations(stepper.net, board_then, Step(key, np.asarray(value_row), before))
    if stale:  # the weights that made these numbers are no longer the board's (its updates followed)
        eqs = tuple(_unref_W(e, set(stale)) for e in eqs)
    out = builder(stepper, digits)
    if stale:
        out.say(f"(with W as it was during this pass, before its update)")
    b = int(cell.unit)
    out.say(f"entry {b} of:")
    for e in eqs:
        out.eq(e)
    idx = b if q == "o" and l < spec.L else b - 1
    value = float(np.asarray(value_row)[idx])
    name = Sym("δ" if q == "delta" else q, l, (b,), latex=r"\delta" if q == "delta" else None,
               time=t if seqs else None)
    return out.done(f"{out.p(name)} = {out.n(value)}", value)


def out_notation(stepper: Any) -> Any:
    """The stepper's notation profile, None for the lecture's."""
    P = getattr(stepper, "notation", None)
    return None if P is None or P.name == "lecture13" else P


def _unref_W(eq: Equation, layers: set[int]) -> Equation:
    """``eq`` without board references to the W of ``layers`` (numbers from before an update)."""
    from dataclasses import replace

    from ...formulas.formula import Arr, _rebuild

    def f(n: Node) -> Node:
        if isinstance(n, (Num, Arr)) and n.ref is not None and n.ref.quantity == "W" and n.ref.layer in layers:
            return replace(n, ref=None)
        return n

    return replace(eq, forms=tuple(_rebuild(form, f) for form in eq.forms))


def _explain_G_upper(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st = stepper.state
    b, a, l = int(cell.unit), int(cell.column or 0), int(cell.layer or 0)
    total = float(st.G[l][b - 1, a])
    out = builder(stepper, digits)
    lhs = Sym("G", l, (b, a))
    timed = timed_layers(stepper.net.kinds)[l - 1]
    out.say(f"{out.q('G', l)} " + ("averages" if out.mean else "sums") + f" {out.q('delta', l)} {out.q('o', l - 1)}ᵀ "
            "over the examples of the update group" + (" and every τ" if timed else "")
            + "; see its G step's equation")
    if not out.mean:
        ref = Ref("G", l, (b - 1, a))
        out.eq(Equation(lhs, (Num(total, ref if out.notation is None else shown_ref(ref, out.notation, stepper.spec.L)),)))
        return out.done(f"{out.p(lhs)} = {out.n(total)}", total)
    # a mean profile's G/m, worked as a dense layer's outside sequences: the group's sum so far, divided by m
    time = "τ" if timed else None
    D, O = Sym("δ", l, (b,), latex=r"\delta", time=time), Sym("o", l - 1, (a,), time=time)
    each = D if out.separate and a == 0 else mul(D, O)  # ∂ℓ/∂b: δ, no 1 to multiply
    env: dict = {}
    forms, shown, m = g_forms(stepper, out, Sum("n,τ" if timed else "n", each), Num(total), total,
                              Ref("G", l, (b - 1, a)), env)
    out.eq(Equation(lhs, forms, bindings=env))
    loss_w = out.p(Partial(Sym("ℓ", latex=r"\ell"), Sym("b", l, (b,)) if out.separate and a == 0 else Sym("w", l, (b, a))))
    return out.done(f"{out.p(lhs)} = {out.n(shown)}: {loss_w} averaged over the m = {count(m, 'example')} of this update group",
                    shown)


def explain_loss(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """ℓ⁽ⁿ⁾ with return_sequences: the sum over τ of each time step's loss."""
    st = stepper.state
    if st.loss is None:
        return _not_yet(cell, "the loss comes after this example's forward pass.")
    n = current_example(stepper)
    key = StepKey(0, 1, n, "loss", "loss", None)
    eqs = RE._loss(stepper.net, st, Step(key, float(st.loss)))
    out = builder(stepper, digits)
    for e in eqs[:-1]:  # each τ's loss, then their sum (ℓ_D's accumulation is the loss step's, not ℓ⁽ⁿ⁾'s)
        out.eq(e)
    return out.done(f"{out.p(RE.eqs.loss_sym(n or 'n'))} = {out.n(float(st.loss))}: the loss of example n = {n}, "
                    "summed over τ", float(st.loss))

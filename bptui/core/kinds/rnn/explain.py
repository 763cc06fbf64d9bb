"""Why a number of a recurrent network's board is what it is (core/engine/explain.py's chain rule, through
time): each cell of s⁽¹⁾_τ, o⁽¹⁾_τ, δ⁽¹⁾_τ and G⁽¹⁾ with every factor's number, including the part
of δ⁽¹⁾_τ that comes from τ + 1; the layers above with their step's equation at τ.

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
from ...engine.explain import Cell, Explanation, _Builder, _alpha_env, _not_yet, _weights_of_group, current_example
from ...formulas.formula import Equation, Node, Num, Ref, Sym, add, mul, substitute
from .. import Rnn
from ...formulas.notation import sup
from ...engine.schedule import BACKWARD, FORWARD, StepKey
from ...engine.stepper import Step


def handles(spec: Any, cell: Cell) -> bool:
    return spec.lengths is not None and cell.quantity in ("s", "o", "delta", "G")


def _in_name(d: int, a: int, t: int) -> tuple[Sym, str, int, tuple[int, int]]:
    """Column a of [1, x_τ, o⁽¹⁾_{τ−1}]: its symbol, board quantity, layer and board index."""
    if a <= d:
        return Sym("o", 0, (a,), time=t), "o", 0, (t - 1, a)
    return Sym("o", 1, (a - d,), time=t - 1), "o", 1, (t - 1, a - d - 1)


def _done(x: Any) -> bool:
    return x is not None and bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def explain_rnn(stepper: Any, cell: Cell, digits: int) -> Explanation:
    spec, st = stepper.spec, stepper.state
    rnn = spec.kinds[0]
    assert isinstance(rnn, Rnn)
    q, l, b, t = cell.quantity, cell.layer, cell.unit, cell.time
    if q == "G" and l == 1:
        return _explain_G1(stepper, cell, digits)
    if q == "G":
        return _explain_upper(stepper, cell, digits)
    if l == 0 and q == "o":
        return _explain_input(stepper, cell, digits)
    if st.s[1] is None:
        return _not_yet(cell, "nothing of an example is on the board yet")
    T = len(st.s[1])
    if l == 1 and (t is None or not 1 <= t <= T):
        raise ValueError(f"time {t} is not one of 1 … {T} (this example's length)")
    if l != 1:
        return _explain_upper(stepper, cell, digits)
    board = {"s": st.s[1], "o": st.o[1][1:], "delta": st.delta[1]}[q]
    if not _done(board[(t or 1) - 1]):
        phase = "backward pass, from τ = T down" if q == "delta" else "forward pass, from τ = 1 up"
        return _not_yet(cell, f"{q if q != 'delta' else 'δ'}⁽¹⁾ at τ = {t} comes in this example's {phase}.")
    return {"s": _explain_s1, "o": _explain_o1, "delta": _explain_delta1}[q](stepper, cell, digits)


def _explain_input(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, b, t = stepper.state, cell.unit, cell.time
    out = _Builder(digits)
    lhs = Sym("o", 0, (b,), time=t)
    if st.o[0] is None or t is None:
        return _not_yet(cell, "the example's sequence comes with its first step")
    value = float(st.o[0][t - 1][b])
    if b == 0:
        out.eq(Equation(lhs, (Num(1.0, exact=True),), note="the bias entry of o⁽⁰⁾_τ = [1, x_τ]"))
        return out.done(f"{out.p(lhs)} = 1: the bias entry", 1.0)
    x = Sym("x", None, (b,), time=t)
    out.eq(Equation(lhs, (x, Num(value, Ref("o", 0, (t - 1, b)))), bindings={x: value}, note="o⁽⁰⁾_τ = [1, x_τ]"))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: input {b} at time step τ = {t}, example n = "
                    f"{current_example(stepper)}", value)


def _explain_s1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, rnn = stepper.state, stepper.spec.kinds[0]
    b, t = int(cell.unit), int(cell.time or 0)
    d, h = rnn.d, rnn.h
    W = _weights_of_group(stepper)[1]  # the [W | U] that made s, even after an update
    on_board = W is st.W[1]
    inp = np.concatenate([st.o[0][t - 1], st.o[1][t - 1]])
    syms: list[Sym] = []
    wsyms: list[Sym] = []
    nums: dict = {}
    env: dict = {}
    for a in range(1 + d + h):
        w = rnn.weight_sym(1, b - 1, a)  # w_b,a in W, u_b,c in U, as the panel names them
        x, quantity, layer, idx = _in_name(d, a, t)
        wsyms.append(w)
        syms.append(x)
        env[w], env[x] = float(W[b - 1, a]), float(inp[a])
        nums[w] = Num(float(W[b - 1, a]), Ref("W", 1, (b - 1, a)) if on_board else None, means=w)
        nums[x] = Num(float(inp[a]), Ref(quantity, layer, idx))
    expanded = add(*[mul(w, x) for w, x in zip(wsyms, syms)])
    terms = [float(W[b - 1, a] * inp[a]) for a in range(1 + d + h)]
    value = float(st.s[1][t - 1][b - 1])
    lhs = Sym("s", 1, (b,), time=t)
    out = _Builder(digits)
    out.eq(Equation(lhs, (expanded, substitute(expanded, nums), add(*[Num(x) for x in terms]),
                          Num(value, Ref("s", 1, (t - 1, b - 1)))), bindings=env,
                    note=f"a = 0 … {d} over o⁽⁰⁾_τ = [1, x_τ], then c = 1 … {h} over o⁽¹⁾_{{τ−1}}"
                         + ("; o⁽¹⁾₀ = 0" if t == 1 else "")))
    title = (f"{out.p(lhs)} = {out.n(value)}: the pre-activation of unit {b} of the recurrent layer at time "
             f"step τ = {t}, example n = {current_example(stepper)}")
    return out.done(title, value, terms)


def _explain_o1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net = stepper.state, stepper.net
    b, t = int(cell.unit), int(cell.time or 0)
    s_b = Sym("s", 1, (b,), time=t)
    lhs = Sym("o", 1, (b,), time=t)
    value = float(st.o[1][t][b - 1])
    s_value = float(st.s[1][t - 1][b - 1])
    f_s = net.act(1).value(s_b)
    env = {s_b: s_value, **_alpha_env(net, 1)}
    applied = substitute(f_s, {s_b: Num(s_value, Ref("s", 1, (t - 1, b - 1)))})
    result = Num(value, Ref("o", 1, (t, b - 1)))
    out = _Builder(digits)
    out.eq(Equation(lhs, (f_s, applied, result) if f_s != s_b else (f_s, result), bindings=env,
                    note="the recurrent layer's o has no bias entry: U multiplies the units"))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: the output of unit {b} of the recurrent layer at τ = {t}, "
                    f"example n = {current_example(stepper)}", value)


def _explain_delta1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, net, spec = stepper.state, stepper.net, stepper.spec
    rnn = spec.kinds[0]
    b, t = int(cell.unit), int(cell.time or 0)
    T, h = len(st.s[1]), rnn.h
    W = _weights_of_group(stepper)
    U, W2 = rnn.U_part(W[1]), W[2]
    on_board = W[1] is st.W[1]
    out = _Builder(digits)
    parts: list[float] = []
    lhs = Sym("δ", 1, (b,), latex=r"\delta", time=t)
    # the part from τ + 1: Σ_c u_c,b δ⁽¹⁾_{τ+1,c}
    nxt = Sym("from τ + 1", None, latex=r"\text{from } \tau + 1")
    above = Sym("from above", None, latex=r"\text{from above}")
    if t < T:
        u = [Sym("u", 1, (c, b)) for c in range(1, h + 1)]
        dn = [Sym("δ", 1, (c,), latex=r"\delta", time=t + 1) for c in range(1, h + 1)]
        env: dict = {**{s: float(U[c, b - 1]) for c, s in enumerate(u)},
                     **{s: float(st.delta[1][t][c]) for c, s in enumerate(dn)}}
        expanded = add(*[mul(a, x) for a, x in zip(u, dn)])
        nums = {**{s: Num(float(U[c, b - 1]), Ref("W", 1, (c, 1 + rnn.d + b - 1)) if on_board else None, means=s)
                   for c, s in enumerate(u)},
                **{s: Num(float(st.delta[1][t][c]), Ref("delta", 1, (t, c))) for c, s in enumerate(dn)}}
        v = float(U[:, b - 1] @ st.delta[1][t])
        out.say(f"from τ + 1 (through U⁽¹⁾, the same weights at every step):")
        out.eq(Equation(nxt, (expanded, substitute(expanded, nums), Num(v)), bindings=env))
        parts.append(v)
    else:
        out.say(f"from τ + 1: nothing, τ = {T} is the last step (δ⁽¹⁾_{{T+1}} = 0)")
    if spec.return_sequences or t == T:
        d2 = st.delta[2][t - 1] if spec.return_sequences else st.delta[2]
        k_syms = [Sym("w", 2, (k, b)) for k in range(1, len(d2) + 1)]
        d_syms = [Sym("δ", 2, (k,), latex=r"\delta", time=t if spec.return_sequences else None)
                  for k in range(1, len(d2) + 1)]
        env = {**{s: float(W2[k, b]) for k, s in enumerate(k_syms)}, **{s: float(d2[k]) for k, s in enumerate(d_syms)}}
        expanded = add(*[mul(a, x) for a, x in zip(k_syms, d_syms)])
        row = (t - 1,) if spec.return_sequences else ()
        nums = {**{s: Num(float(W2[k, b]), Ref("W", 2, (k, b)) if W[2] is st.W[2] else None, means=s)
                   for k, s in enumerate(k_syms)},
                **{s: Num(float(d2[k]), Ref("delta", 2, row + (k,))) for k, s in enumerate(d_syms)}}
        v = float(W2[:, b] @ d2)
        out.say("from above (layer 2" + (f" at τ = {t}" if spec.return_sequences else ", which reads o⁽¹⁾_T") + "):")
        out.eq(Equation(above, (expanded, substitute(expanded, nums), Num(v)), bindings=env))
        parts.append(v)
    else:
        out.say(f"from above: nothing, many-to-one: layer 2 reads o⁽¹⁾ only at τ = T = {T}")
    s_b, o_b = Sym("s", 1, (b,), time=t), Sym("o", 1, (b,), time=t)
    df = net.act(1).derivative(s_b, o_b)
    s_v, o_v = float(st.s[1][t - 1][b - 1]), float(st.o[1][t][b - 1])
    fp = float(net.df(1, np.array([s_v]), np.array([o_v]))[0])
    value = float(st.delta[1][t - 1][b - 1])
    env = {s_b: s_v, o_b: o_v, **_alpha_env(net, 1)}
    total: Node = add(*[Num(p) for p in parts]) if parts else Num(0.0, exact=True)
    from ...formulas.formula import Op

    result = Num(value, Ref("delta", 1, (t - 1, b - 1)))
    title = (f"{out.p(lhs)} = {out.n(value)}: ∂ℓ/∂s of unit {b} of the recurrent layer at τ = {t}, "
             f"example n = {current_example(stepper)}")
    if net.act(1).derivative_is_one:  # δ is the sum itself, without the factor 1
        came = ([nxt] if t < T else []) + ([above] if spec.return_sequences or t == T else [])
        forms = (add(*came), total, result) if len(parts) > 1 else (add(*came), result)
        out.eq(Equation(lhs, forms, bindings=dict(zip(came, parts)), note=IDENTITY_NOTE))
        return out.done(title, value, parts)
    out.eq(Equation(lhs, (mul(Op("()", (total,)) if len(parts) > 1 else total, df),
                          mul(Op("()", (total,)) if len(parts) > 1 else total, Num(fp, means=df)),
                          result), bindings=env,
                    note="(from τ + 1 + from above) · f′(s)"))
    return out.done(title, value, parts, fp)


def _g_times(stepper: Any) -> list[int]:
    """The time steps whose G⁽¹⁾ increment of the current example is in G⁽¹⁾ now."""
    sch, pos = stepper.schedule, stepper.position
    if stepper.last is None:
        return []
    key = stepper.last.key
    if key.phase == "update":
        return list(range(1, len(stepper.state.s[1]) + 1))
    done = []
    p = pos - 1
    while p >= 0:
        k = sch.key(p)
        if k.phase == BACKWARD and k.quantity == "G" and k.layer == 1 and k.time is not None:
            done.append(k.time)
        if k.example_start:
            break
        p -= 1
    return sorted(done)


def _explain_G1(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st, rnn = stepper.state, stepper.spec.kinds[0]
    b, a = int(cell.unit), int(cell.column or 0)
    d, h = rnn.d, rnn.h
    if not (1 <= b <= h and 0 <= a <= d + h):
        raise ValueError(f"G⁽¹⁾ has rows 1 … {h} and columns 0 … {d + h}")
    out = _Builder(digits)
    value = float(st.G[1][b - 1, a])
    lhs = Sym("G", 1, (b, a))
    times = _g_times(stepper)
    if not times:
        out.say("none of this example's time steps has added to G⁽¹⁾ yet: it holds the earlier examples' "
                "terms of this update group (0 at the group's start)")
        out.eq(Equation(lhs, (Num(value, Ref("G", 1, (b - 1, a))),)))
        return out.done(f"{out.p(lhs)} = {out.n(value)}", value)
    terms, prods, nums, env = [], [], {}, {}
    for t in sorted(times, reverse=True):
        dsym = Sym("δ", 1, (b,), latex=r"\delta", time=t)
        x, quantity, layer, idx = _in_name(d, a, t)
        dv, xv = float(st.delta[1][t - 1][b - 1]), float(st.o[0][t - 1][a] if a <= d else st.o[1][t - 1][a - d - 1])
        env[dsym], env[x] = dv, xv
        nums[dsym] = Num(dv, Ref("delta", 1, (t - 1, b - 1)))
        nums[x] = Num(xv, Ref(quantity, layer, idx))
        prods.append(mul(dsym, x))
        terms.append(dv * xv)
    g0 = value - float(sum(terms))
    before = Sym("G", 1, (b, a), accent="")
    start = Sym("G⁽¹⁾ before this example", None, latex=r"G^{(1)}_{\text{before}}")
    env[start] = g0
    expanded = add(start, *prods)
    numbers = substitute(expanded, {**nums, start: Num(g0)})
    out.eq(Equation(lhs, (expanded, numbers, Num(value, Ref("G", 1, (b - 1, a)))), bindings=env,
                    note=f"τ = {', '.join(map(str, sorted(times, reverse=True)))} so far; column {a} is "
                         + ("the bias" if a == 0 else f"x_τ,{a}" if a <= d else f"o⁽¹⁾_{{τ−1}},{a - d} (U's column {a - d})")))
    del before
    return out.done(f"{out.p(lhs)} = {out.n(value)}: G of the recurrent layer, summed over τ", value, terms)


def _explain_upper(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """A layer above the recurrent one: its step's equation at τ (many-to-one: once), with its numbers."""
    st, spec = stepper.state, stepper.spec
    q, l, t = cell.quantity, int(cell.layer or 0), cell.time
    if not 2 <= l <= spec.L:
        raise ValueError(f"layer {l} is not one of 0 … {spec.L}")
    seqs = spec.return_sequences
    board = {"s": st.s, "o": st.o, "delta": st.delta, "G": st.G}[q][l]
    if q != "G" and seqs and (t is None or not 1 <= t <= len(st.s[1])):
        raise ValueError(f"layer {l} runs at every time step: give τ = 1 … {len(st.s[1])}")
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
    eqs = RE.step_equations(stepper.net, board_then, Step(key, np.asarray(value_row), before))
    if stale:  # the weights that made these numbers are no longer the board's (its updates followed)
        eqs = tuple(_unref_W(e, set(stale)) for e in eqs)
    out = _Builder(digits)
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


def _unref_W(eq: Equation, layers: set[int]) -> Equation:
    """``eq`` without board references to the W of ``layers`` (numbers from before an update)."""
    from dataclasses import replace

    from ...formulas.formula import Arr, _rebuild

    def f(n: Node) -> Node:
        if isinstance(n, (Num, Arr)) and n.ref is not None and n.ref.quantity == "W" and n.ref.layer in layers:
            return replace(n, ref=None)
        return n

    return Equation(eq.lhs, tuple(_rebuild(form, f) for form in eq.forms), eq.rel, eq.bindings, eq.note)


def _explain_G_upper(stepper: Any, cell: Cell, digits: int) -> Explanation:
    st = stepper.state
    b, a, l = int(cell.unit), int(cell.column or 0), int(cell.layer or 0)
    value = float(st.G[l][b - 1, a])
    out = _Builder(digits)
    lhs = Sym("G", l, (b, a))
    out.say(f"G{sup(l)} sums δ{sup(l)} o{sup(l - 1)}ᵀ over the examples of the update group"
            + (" and every τ" if stepper.spec.return_sequences else "") + "; see its G step's equation")
    out.eq(Equation(lhs, (Num(value, Ref("G", l, (b - 1, a))),)))
    return out.done(f"{out.p(lhs)} = {out.n(value)}", value)


def explain_loss(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """ℓ⁽ⁿ⁾ with return_sequences: the sum over τ of each time step's loss."""
    st = stepper.state
    if st.loss is None:
        return _not_yet(cell, "the loss comes after this example's forward pass.")
    n = current_example(stepper)
    key = StepKey(0, 1, n, "loss", "loss", None)
    eqs = RE._loss(stepper.net, st, Step(key, float(st.loss)))
    out = _Builder(digits)
    for e in eqs[:-1]:  # each τ's loss, then their sum (ℓ_D's accumulation is the loss step's, not ℓ⁽ⁿ⁾'s)
        out.eq(e)
    return out.done(f"ℓ{sup(n or 'n')} = {out.n(float(st.loss))}: the loss of example n = {n}, summed over τ",
                    float(st.loss))

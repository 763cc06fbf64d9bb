"""The equations of a recurrent network's steps (core/kinds/rnn/steps.py), as formula trees in the
lecture's notation with the time step after the layer's superscript: s⁽¹⁾_τ, o⁽¹⁾_{τ−1}, δ⁽¹⁾_{τ+1}.

    s⁽¹⁾_τ = W⁽¹⁾ o⁽⁰⁾_τ + U⁽¹⁾ o⁽¹⁾_{τ−1}          (o⁽⁰⁾_τ = [1, x_τ], o⁽¹⁾_0 = 0)
    o⁽¹⁾_τ = f(s⁽¹⁾_τ)
    δ⁽¹⁾_τ = (U⁽¹⁾ᵀ δ⁽¹⁾_{τ+1} + (W⁽²⁾ᵀ δ⁽²⁾_τ)[1:]) ⊙ f′(s⁽¹⁾_τ)   (δ⁽¹⁾_{T+1} = 0; many-to-one:
                                                     the part from above only at τ = T)
    G⁽¹⁾ ← G⁽¹⁾ + δ⁽¹⁾_τ [1, x_τ, o⁽¹⁾_{τ−1}]ᵀ     (G_W and G_U side by side, as W⁽¹⁾ = [W | U] is stored)

The dense layers above are the dense equations (core/engine/equations.py) with τ added to their symbols
and to the board references of their numbers (row τ − 1 of a per-τ matrix, row τ of o⁽¹⁾).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...ops.activations import IDENTITY_NOTE
from ...engine import equations as eqs
from . import steps as rnn_steps
from ...formulas.formula import Arr, Equation, Node, Num, Op, Ref, Sum, Sym, _rebuild, add, mul, substitute
from .. import Rnn
from ...engine.network import Network
from ...engine.schedule import BACKWARD, FORWARD, LOSS, UPDATE
from ...engine.stepper import State, Step

TIMED = ("s", "o", "δ")


def sym(base: str, l: int | None, t: int | str | None, latex: str | None = None) -> Sym:
    return Sym(base, l, vector=True, latex=latex, time=t)


def U(l: int = 1) -> Sym:
    return Sym("U", l, vector=True)


def delta(l: int, t: int | str | None) -> Sym:
    return sym("δ", l, t, latex=r"\delta")


def board_row(quantity: str, l: int | None, t: int) -> int:
    """The row of a per-τ board matrix that holds time t (o⁽¹⁾ has o_0 in row 0)."""
    return t if quantity == "o" and l == 1 else t - 1


def ref_at(quantity: str, l: int | None, t: int | None) -> Ref:
    return Ref(quantity, l) if t is None else Ref(quantity, l, (board_row(quantity, l, t),))


def arr(x: Any, quantity: str | None = None, l: int | None = None, t: int | None = None,
        means: Node | None = None) -> Node:
    a = np.asarray(x)
    ref = ref_at(quantity, l, t) if quantity else None
    return Num(float(a), ref, means=means) if a.ndim == 0 else Arr(a, ref, means=means)


def _retimer(t: int | str, layers: set[int], y: bool = True) -> Any:
    """The node rewrite of :func:`retime` (board references only for a numbered τ)."""
    def swap_sym(n: Sym) -> Sym:
        if n.time is None and ((n.layer in layers and n.base in TIMED) or (y and n.base == "y" and n.layer is None)):
            return replace(n, time=t)
        return n

    def swap_ref(r: Ref | None) -> Ref | None:
        if r is None or not isinstance(t, int) or not (
                (r.layer in layers and r.quantity in ("s", "o", "delta")) or (y and r.quantity == "y")):
            return r
        row = board_row(r.quantity, r.layer, t)
        return replace(r, index=(row,) + (r.index or ()))

    def f(n: Node) -> Node:
        if isinstance(n, Sym):
            return swap_sym(n)
        if isinstance(n, Num):
            return replace(n, ref=swap_ref(n.ref), means=None if n.means is None else _rebuild(n.means, f))
        if isinstance(n, Arr):
            return replace(n, ref=swap_ref(n.ref), means=None if n.means is None else _rebuild(n.means, f))
        return n

    return swap_sym, f


def retime_node(node: Node, t: int | str, layers: set[int], y: bool = True) -> Node:
    """A dense formula at one time step: τ = t (a number, or "τ") added to the symbols of ``layers``
    (and y)."""
    return _rebuild(node, _retimer(t, layers, y)[1])


def retime(eq: Equation, t: int, layers: set[int], y: bool = True) -> Equation:
    """A dense equation of one time step: τ = t added to the symbols of ``layers`` (and y) and to the
    board references of their numbers."""
    swap_sym, f = _retimer(t, layers, y)
    bindings = {(swap_sym(k) if isinstance(k, Sym) else k): v for k, v in eq.bindings.items()}
    return Equation(_rebuild(eq.lhs, f), tuple(_rebuild(form, f) for form in eq.forms), eq.rel, bindings, eq.note)


# -- the formulas of the steps, without numbers (the step equations below and the unrolled graph's
# boxes print these same trees) ----------------------------------------------------------------------
def _before(t: int | str) -> int | str:
    return t - 1 if isinstance(t, int) else f"{t}−1"


def o0_form(t: int | str) -> Node:
    """[1, x_τ], the right-hand side of o⁽⁰⁾_τ."""
    return Op("cat1", (Sym("x", vector=True, time=t),))


def s1_form(t: int | str) -> Node:
    """W⁽¹⁾ o⁽⁰⁾_τ + U⁽¹⁾ o⁽¹⁾_{τ−1}, the right-hand side of s⁽¹⁾_τ."""
    return add(Op("@", (Sym("W", 1, vector=True), sym("o", 0, t))), Op("@", (U(1), sym("o", 1, _before(t)))))


def o1_form(net: Network, t: int | str) -> Node:
    """f(s⁽¹⁾_τ), the right-hand side of o⁽¹⁾_τ (no bias entry: U multiplies the units only)."""
    return net.act(1).value(sym("s", 1, t))


def upper_s_form(l: int, t: int | str | None, T: int) -> Node:
    """s⁽ˡ⁾_τ of a dense layer above (t None: many-to-one, once): W⁽²⁾ [1, o⁽¹⁾_τ] (o⁽¹⁾_T), W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ."""
    if l == 2:
        return Op("@", (Sym("W", 2, vector=True), Op("cat1", (sym("o", 1, T if t is None else t),))))
    form = eqs.s_form(l)
    return form if t is None else retime_node(form, t, {l - 1, l})


def upper_o_form(net: Network, l: int, t: int | str | None) -> Node:
    """o⁽ˡ⁾_τ of a dense layer above: [1, f(s⁽ˡ⁾_τ)], or f(s⁽ᴸ⁾_τ) at the output."""
    form = eqs.o_form(net, l)
    return form if t is None else retime_node(form, t, {l})


def loss_form(net: Network, t: int | str | None) -> Node:
    """ℓ over the output units k (t: at time τ = t, with sequences)."""
    rule = eqs.loss_rule(net)
    return rule if t is None else retime_node(rule, t, {net.L})


def _at_time(st: Any, t: int | None) -> State:
    """The board as a dense network's at time t (None: the many-to-one layers above): each per-τ
    quantity of the layers above replaced by its row at t, layer 1's o by [1, o⁽¹⁾_τ] (or o_T)."""
    L = len(st.W) - 1
    s, o, d = list(st.s), list(st.o), list(st.delta)
    T = len(st.s[1])
    o[1] = np.concatenate([[1.0], st.o[1][T if t is None else t]])
    for l in range(2, L + 1):
        if t is not None:
            s[l], o[l], d[l] = st.s[l][t - 1], st.o[l][t - 1], st.delta[l][t - 1]
    y = st.y if t is None else st.y[t - 1]
    return State(list(st.W), list(st.G), st.loss_D, s, o, d, st.loss, st.x, y)


def step_equations(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    key = step.key
    l, t = key.layer, key.time
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    if key.phase == LOSS:
        return _loss(net, state, step)
    assert l is not None and key.phase != UPDATE
    if l == 1:
        assert t is not None
        if key.phase == FORWARD and key.quantity == "s":
            return (rnn_s(net, state, t),)
        if key.phase == FORWARD:
            return (rnn_o(net, state, t),)
        if key.quantity == "delta":
            return (rnn_delta(net, state, t),)
        return (rnn_G(net, state, step, t),)
    # a dense layer above, at time t (return_sequences) or once (many-to-one)
    board = _at_time(state, t)
    timed = {l - 1, l, l + 1} - {0, 1} if t is not None else set()
    if key.phase == FORWARD and key.quantity == "s" and l == 2:
        eq = upper_s2(net, state, step, t)
        return (eq,)
    if key.phase == BACKWARD and key.quantity == "G" and l == 2:
        return (upper_G2(net, state, step, t),)
    out = eqs.dense_step_equations(net, board, step, net.spec.optimizer)
    if t is None:
        return out
    return tuple(retime(e, t, timed) for e in out)


def _o1(state: Any, t: int | None) -> tuple[Node, np.ndarray, int]:
    """[1, o⁽¹⁾_τ] (the layer above's input; many-to-one [1, o⁽¹⁾_T] with T's number) as a node, its
    value and τ."""
    T = len(state.s[1])
    tt = T if t is None else t
    return Op("cat1", (sym("o", 1, tt),)), np.concatenate([[1.0], state.o[1][tt]]), tt


def upper_s2(net: Network, state: Any, step: Step, t: int | None) -> Equation:
    """s⁽²⁾_τ = W⁽²⁾ [1, o⁽¹⁾_τ] (many-to-one: s⁽²⁾ = W⁽²⁾ [1, o⁽¹⁾_T])."""
    o1, value, tt = _o1(state, t)
    W2 = Sym("W", 2, vector=True)
    rhs = upper_s_form(2, t, len(state.s[1]))
    o_sym = sym("o", 1, tt)
    env = {W2: state.W[2], o_sym: state.o[1][tt]}
    filled = substitute(rhs, {W2: arr(state.W[2], "W", 2), o1: Arr(value, means=o1)})
    lhs = sym("s", 2, t)
    return Equation(lhs, (rhs, filled, arr(step.value, "s", 2, t)), bindings=env,
                    note="" if t is not None else f"many-to-one: from o⁽¹⁾ at T = {tt}")


def upper_G2(net: Network, state: Any, step: Step, t: int | None) -> Equation:
    """G⁽²⁾ ← G⁽²⁾ + δ⁽²⁾_τ [1, o⁽¹⁾_τ]ᵀ."""
    o1, value, tt = _o1(state, t)
    G2 = Sym("G", 2, vector=True)
    d2 = delta(2, t)
    d_value = state.delta[2] if t is None else state.delta[2][t - 1]
    o_sym = sym("o", 1, tt)
    rhs = add(G2, Op("outer", (d2, o1)))
    env = {G2: step.before, d2: d_value, o_sym: state.o[1][tt]}
    filled = substitute(rhs, {G2: Arr(np.asarray(step.before), means=G2), d2: arr(d_value, "delta", 2, t),
                              o1: Arr(value, means=o1)})
    return Equation(G2, (rhs, filled, arr(step.value, "G", 2)), "←", env)


def rnn_s(net: Network, state: Any, t: int) -> Equation:
    """s⁽¹⁾_τ = W⁽¹⁾ o⁽⁰⁾_τ + U⁽¹⁾ o⁽¹⁾_{τ−1}."""
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    W1, U1 = Sym("W", 1, vector=True), U(1)
    o0, o_prev = sym("o", 0, t), sym("o", 1, t - 1)
    rhs = s1_form(t)
    Wv, Uv = rnn.W_part(state.W[1]), rnn.U_part(state.W[1])
    env = {W1: Wv, U1: Uv, o0: state.o[0][t - 1], o_prev: state.o[1][t - 1]}
    filled = substitute(rhs, {W1: Arr(np.asarray(Wv), means=W1), U1: Arr(np.asarray(Uv), means=U1),
                              o0: arr(state.o[0][t - 1], "o", 0, t), o_prev: arr(state.o[1][t - 1], "o", 1, t - 1)})
    return Equation(sym("s", 1, t), (rhs, filled, arr(state.s[1][t - 1], "s", 1, t)), bindings=env,
                    note="o⁽¹⁾₀ = 0" if t == 1 else "")


def rnn_o(net: Network, state: Any, t: int) -> Equation:
    """o⁽¹⁾_τ = f(s⁽¹⁾_τ) (no bias entry: U multiplies the units only)."""
    s1 = sym("s", 1, t)
    f = o1_form(net, t)
    env = {s1: state.s[1][t - 1], **eqs._alpha(net, 1)}
    forms = [f, substitute(f, {s1: arr(state.s[1][t - 1], "s", 1, t)}), arr(state.o[1][t], "o", 1, t)]
    if f == s1:
        forms = forms[:1] + forms[2:]
    return Equation(sym("o", 1, t), tuple(forms), bindings=env)


def rnn_delta(net: Network, state: Any, t: int) -> Equation:
    """δ⁽¹⁾_τ = (U⁽¹⁾ᵀ δ⁽¹⁾_{τ+1} + (W⁽²⁾ᵀ δ⁽²⁾_τ)[1:]) ⊙ f′(s⁽¹⁾_τ), each part with its numbers."""
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    T = len(state.s[1])
    seqs = rnn.return_sequences
    U1, W2 = U(1), Sym("W", 2, vector=True)
    d_next, d2 = delta(1, t + 1), delta(2, t if seqs else None)
    s1, o1 = sym("s", 1, t), sym("o", 1, t)
    df = eqs.fprime(net, 1, s1, o1)
    env: dict = {U1: rnn.U_part(state.W[1]), W2: state.W[2], s1: state.s[1][t - 1], o1: state.o[1][t],
                 **eqs._alpha(net, 1)}
    parts: list[Node] = []
    numbers: list[Node] = []
    if t < T:
        nxt = Op("@", (Op("T", (U1,)), d_next))
        env[d_next] = state.delta[1][t]
        parts.append(nxt)
        numbers.append(Arr(rnn_steps.from_next(net, state, t), means=nxt))
    if seqs or t == T:
        d2_value = state.delta[2][t - 1] if seqs else state.delta[2]
        above = Op("drop0", (Op("@", (Op("T", (W2,)), d2)),))
        env[d2] = d2_value
        parts.append(above)
        numbers.append(Arr(rnn_steps.from_above(net, state, t), means=above))
    note = "" if t < T else "δ⁽¹⁾ from τ + 1 is 0 at τ = T"
    if not parts:  # many-to-one, τ < T without a next … cannot happen (t < T has the next); keep total
        parts, numbers = [Num(0.0, exact=True)], [Num(0.0, exact=True)]
    if not seqs and t < T:
        note = "many-to-one: nothing comes from above before τ = T"
    total = Op("()", (add(*parts),)) if len(parts) > 1 else parts[0]
    total_n = Op("()", (add(*numbers),)) if len(numbers) > 1 else numbers[0]
    result = arr(state.delta[1][t - 1], "delta", 1, t)
    if net.act(1).derivative_is_one:  # no factor 1: δ⁽¹⁾_τ is the sum itself
        note = "; ".join(x for x in (note, IDENTITY_NOTE) if x)
        forms = (total, total_n, result) if len(parts) > 1 else (total, result)
        return Equation(delta(1, t), forms, bindings=env, note=note)
    fp = net.df(1, state.s[1][t - 1], state.o[1][t])
    rhs = mul(total, df)
    filled = mul(total_n, Arr(np.asarray(fp), means=df))
    return Equation(delta(1, t), (rhs, filled, result), bindings=env, note=note)


def rnn_G(net: Network, state: Any, step: Step, t: int) -> Equation:
    """G⁽¹⁾ ← G⁽¹⁾ + δ⁽¹⁾_τ [o⁽⁰⁾_τ, o⁽¹⁾_{τ−1}]ᵀ: G_W gets δ_τ [1, x_τ]ᵀ, G_U gets δ_τ o⁽¹⁾_{τ−1}ᵀ."""
    G1 = Sym("G", 1, vector=True)
    d1, o0, o_prev = delta(1, t), sym("o", 0, t), sym("o", 1, t - 1)
    inp = Op("cat", (o0, o_prev))
    rhs = add(G1, Op("outer", (d1, inp)))
    env = {G1: step.before, d1: state.delta[1][t - 1], o0: state.o[0][t - 1], o_prev: state.o[1][t - 1]}
    filled = substitute(rhs, {G1: Arr(np.asarray(step.before), means=G1), d1: arr(state.delta[1][t - 1], "delta", 1, t),
                              o0: arr(state.o[0][t - 1], "o", 0, t), o_prev: arr(state.o[1][t - 1], "o", 1, t - 1)})
    return Equation(G1, (rhs, filled, arr(step.value, "G", 1)), "←", env,
                    note="columns: bias, W's inputs x_τ, then U's o⁽¹⁾_{τ−1}")


def _loss(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    rnn = net.kinds[0]
    assert isinstance(rnn, Rnn)
    if not rnn.return_sequences:
        return eqs._loss(net, _at_time(state, None), step)
    L, n = net.L, step.key.example
    T = len(state.s[1])
    per = [float(net.example_loss(state.s[L][t], state.o[L][t], state.y[t])) for t in range(T)]
    ell_t = Sym("ℓ", n, latex=r"\ell", time="τ")
    # each time step's loss, from o⁽ᴸ⁾_τ and y_τ (the loss's own formula, retimed), then their sum
    steps = []
    for t in range(1, T + 1):
        e = eqs._loss(net, _at_time(state, t), Step(step.key, per[t - 1]))[0]
        e = retime(e, t, {L})
        lhs = Sym("ℓ", n, latex=r"\ell", time=t)
        result = Num(per[t - 1], means=None)  # ℓ⁽ⁿ⁾_τ is not on the board; the sum below is
        steps.append(Equation(lhs, e.forms[:-1] + (result,), e.rel, e.bindings))
    total = Equation(eqs.loss_sym(n), (Sum("τ", ell_t), add(*[Num(v) for v in per]), Num(float(step.value), Ref("loss"))),
                     bindings={}, note=f"ℓ⁽ⁿ⁾ sums over τ = 1 … {T}")
    before = state.loss_D - float(step.value)
    D = eqs.LOSS_D
    acc = Equation(D, (add(D, eqs.loss_sym(n)), add(Num(before, means=D), Num(float(step.value), Ref("loss"))),
                       Num(state.loss_D, Ref("loss_D"))), "←", {D: before, eqs.loss_sym(n): float(step.value)})
    return (*steps, total, acc)


def rules(net: Network, l: int) -> list[Equation]:
    """Layer l's lines of the network's rules, through time: s_τ, o_τ = f(s_τ) without a bias entry,
    δ_τ from τ + 1 and from the layer above, G summed over τ."""
    W, G, fprime = eqs.W, eqs.G, eqs.fprime
    d_t, tsym = delta, sym
    return [
        Equation(tsym("s", l, "τ"), (s1_form("τ"),), note="o⁽⁰⁾_τ = [1, x_τ], o⁽¹⁾₀ = 0"),
        Equation(tsym("o", l, "τ"), (o1_form(net, "τ"),)),
        Equation(d_t(l, "τ"), (mul(Op("()", (add(Op("@", (Op("T", (U(l),)), d_t(l, "τ+1"))),
                                                 Op("drop0", (Op("@", (Op("T", (W(l + 1),)), d_t(l + 1, "τ"))),))),)),
                                   fprime(net, l, tsym("s", l, "τ"), tsym("o", l, "τ"))),),
                 note="τ = T … 1, δ⁽¹⁾_{T+1} = 0" + ("" if net.spec.return_sequences
                                                    else "; many-to-one: δ⁽²⁾ at τ = T only")),
        Equation(G(l), (add(G(l), Op("outer", (d_t(l, "τ"), Op("cat", (tsym("o", l - 1, "τ"), tsym("o", l, "τ−1")))))),),
                 "←", note="summed over τ: G_W and G_U side by side"),
    ]

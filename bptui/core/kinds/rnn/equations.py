"""The equations of a recurrent network's steps (core/kinds/rnn/steps.py), as formula trees in the
lecture's notation with the time step after the layer's superscript: s⁽¹⁾_τ, o⁽¹⁾_{τ−1}, δ⁽¹⁾_{τ+1}.

    s⁽¹⁾_τ = W⁽¹⁾ o⁽⁰⁾_τ + U⁽¹⁾ o⁽¹⁾_{τ−1}          (o⁽⁰⁾_τ = [1, x_τ], o⁽¹⁾_0 = 0)
    o⁽¹⁾_τ = f(s⁽¹⁾_τ)
    δ⁽¹⁾_τ = (U⁽¹⁾ᵀ δ⁽¹⁾_{τ+1} + (W⁽²⁾ᵀ δ⁽²⁾_τ)[1:]) ⊙ f′(s⁽¹⁾_τ)   (δ⁽¹⁾_{T+1} = 0; many-to-one:
                                                     the part from above only at τ = T)
    G⁽¹⁾ ← G⁽¹⁾ + δ⁽¹⁾_τ [1, x_τ, o⁽¹⁾_{τ−1}]ᵀ     (G_W and G_U side by side, as W⁽¹⁾ = [W | U] is stored)

A recurrent layer l above another reads [1, o⁽ˡ⁻¹⁾_τ] with its W, and the part of δ⁽ˡ⁻¹⁾_τ from above is
(W⁽ˡ⁾ᵀ δ⁽ˡ⁾_τ)[1:] with that W (not U); a dense layer at τ below a recurrent one has δ⁽ˡ⁾_τ =
(W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] ⊙ f′(s⁽ˡ⁾_τ) the same way. The other dense steps are the dense equations
(core/engine/equations.py) with τ added to their symbols and to the board references of their numbers
(row τ − 1 of a per-τ matrix, row τ of a recurrent layer's o).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...ops.activations import IDENTITY_NOTE
from ...engine import equations as eqs
from . import steps as rnn_steps
from ...formulas.formula import Arr, Equation, LayerNo, Node, Num, Op, Ref, Sum, Sym, _rebuild, add, mul, substitute
from .layer import Recurrent, Rnn
from ...engine.kind import timed_layers
from ...engine.network import Network
from ...formulas.notation import sup
from ...engine.schedule import BACKWARD, FORWARD, LOSS, UPDATE
from ...engine.stepper import State, Step
from ...engine.wiring import source

TIMED = ("s", "o", "δ")


def sym(base: str, l: int | None, t: int | str | None, latex: str | None = None) -> Sym:
    return Sym(base, l, vector=True, latex=latex, time=t)


def U(l: int | str = 1) -> Sym:
    return Sym("U", l, vector=True)


def delta(l: int, t: int | str | None) -> Sym:
    return sym("δ", l, t, latex=r"\delta")


DELTA = Sym("δ", latex=r"\delta")  # δ itself in a note's words: the profile's (ng's dz)


def gate_delta(gate: str) -> Sym:
    """A gate's δ in a gated layer's notes, δ_r, δ_ō: the profile's δ with the gate's letter as the profile
    writes the gate (ng's dz_u for the GRU's z, which ng's z leaves as u)."""
    return Sym("δ", None, (gate,), vector=True, latex=r"\delta", group=True)


def gate_deltas(gates: str) -> tuple[str, tuple[Sym, ...]]:
    """A note's list of the gates' δ, [δ_r, δ_z, δ_n]: its words (a {} a symbol) and its symbols."""
    return "[" + ", ".join("{}" for _ in gates) + "]", tuple(gate_delta(g) for g in gates)


def gate_letters(gates: str) -> tuple[str, tuple[Sym, ...]]:
    """A note's gates, "i, f, g, ō": its words (a {} a gate) and the gates' symbols, each written as the
    profile writes the gate (goodfellow's ĝ for the LSTM's g, his g being his δ)."""
    return ", ".join("{}" for _ in gates), tuple(Sym("ō", latex=r"\bar{o}", vector=True) if g == "ō" else Sym(g, vector=True)
                                                 for g in gates)


def delta_h_said() -> tuple[str, tuple[Sym, ...]]:
    """A GRU's δʰ = [δ_r, δ_z, r ⊙ δ_n] (what reaches U's product) as a note's words and symbols."""
    r, z, n = (gate_delta(g) for g in "rzn")
    return "{} = [{}, {}, {} ⊙ {}]", (Sym("δʰ", latex=r"{\delta^{h}}"), r, z, Sym("r", vector=True), n)


def board_row(quantity: str, l: int | None, t: int, kinds: Any = ()) -> int:
    """The row of a per-τ board matrix that holds time t (a recurrent layer's o has o_0 in row 0;
    ``kinds``: the network's layer kinds, 1..L)."""
    return kinds[l - 1].time_row(quantity, t) if l is not None and 0 < l <= len(kinds) else t - 1


def ref_at(quantity: str, l: int | None, t: int | None, kinds: Any = ()) -> Ref:
    return Ref(quantity, l) if t is None else Ref(quantity, l, (board_row(quantity, l, t, kinds),))


def arr(x: Any, quantity: str | None = None, l: int | None = None, t: int | None = None,
        means: Node | None = None, kinds: Any = ()) -> Node:
    a = np.asarray(x)
    ref = ref_at(quantity, l, t, kinds) if quantity else None
    return Num(float(a), ref, means=means) if a.ndim == 0 else Arr(a, ref, means=means)


def _retimer(t: int | str, layers: set[int], y: bool = True) -> Any:
    """The node rewrite of :func:`retime` (board references only for a numbered τ). ``layers`` are the
    input (0) and dense layers: a recurrent layer's equations are its own, never retimed."""
    def swap_sym(n: Sym) -> Sym:
        if n.time is None and ((n.layer in layers and n.base in TIMED) or (y and n.base == "y" and n.layer is None)):
            return replace(n, time=t)
        return n

    def swap_ref(r: Ref | None) -> Ref | None:
        if r is None or not isinstance(t, int) or not (
                (r.layer in layers and r.quantity in ("s", "o", "delta")) or (y and r.quantity == "y")):
            return r
        row = board_row(r.quantity, r.layer, t)
        return replace(r, index=(row,) + (r.index or ()))  # a profile's o without its 1 ("x"): row by row

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
    return replace(eq, lhs=_rebuild(eq.lhs, f), forms=tuple(_rebuild(form, f) for form in eq.forms), bindings=bindings)


# -- the formulas of the steps, without numbers (the step equations below and the unrolled graph's
# boxes print these same trees) ----------------------------------------------------------------------
def _before(t: int | str) -> int | str:
    return t - 1 if isinstance(t, int) else f"{t}−1"


def o0_form(t: int | str) -> Node:
    """[1, x_τ], the right-hand side of o⁽⁰⁾_τ."""
    return Op("cat1", (Sym("x", vector=True, time=t),))


def input_form(net: Network, l: int, t: int | str) -> Node:
    """What layer l's W multiplies at τ: o⁽ˡ⁻¹⁾_τ (the input's [1, x_τ], a dense layer's [1, f(s_τ)]), or
    [1, o⁽ˡ⁻¹⁾_τ] above a recurrent layer (its o has no bias entry)."""
    return eqs.fed(net, l, sym("o", l - 1, t))


def s_rnn_form(net: Network, l: int, t: int | str) -> Node:
    """W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + U⁽ˡ⁾ o⁽ˡ⁾_{τ−1}, the right-hand side of a recurrent layer's s⁽ˡ⁾_τ."""
    return add(Op("@", (Sym("W", l, vector=True), input_form(net, l, t))), Op("@", (U(l), sym("o", l, _before(t)))))


def s1_form(t: int | str) -> Node:
    """W⁽¹⁾ o⁽⁰⁾_τ + U⁽¹⁾ o⁽¹⁾_{τ−1}, the right-hand side of s⁽¹⁾_τ (a recurrent layer 1)."""
    return add(Op("@", (Sym("W", 1, vector=True), sym("o", 0, t))), Op("@", (U(1), sym("o", 1, _before(t)))))


def o_rnn_form(net: Network, l: int, t: int | str) -> Node:
    """f(s⁽ˡ⁾_τ), the right-hand side of a recurrent layer's o⁽ˡ⁾_τ (no bias entry: U multiplies the units only)."""
    return net.act(l).value(sym("s", l, t))


def o1_form(net: Network, t: int | str) -> Node:
    return o_rnn_form(net, 1, t)


def upper_s_form(l: int, t: int | str | None, T: int, net: Network | None = None) -> Node:
    """s⁽ˡ⁾_τ of a dense layer (t None: once, above a many-to-one layer): W⁽ˡ⁾ [1, o⁽ˡ⁻¹⁾_τ] (o⁽ˡ⁻¹⁾_T) above
    a recurrent layer, else W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ. Without ``net``, layer 1 is the recurrent one."""
    if net is not None and l > 1 and net.kinds[l - 2].over_time:
        return Op("@", (Sym("W", l, vector=True), eqs.fed(net, l, sym("o", l - 1, T if t is None else t))))
    if net is None and l == 2:
        return Op("@", (Sym("W", l, vector=True), Op("cat1", (sym("o", l - 1, T if t is None else t),))))
    form = eqs.s_form(l)
    return form if t is None else retime_node(form, t, {l - 1, l})


def upper_o_form(net: Network, l: int, t: int | str | None) -> Node:
    """o⁽ˡ⁾_τ of a dense layer: [1, f(s⁽ˡ⁾_τ)], or f(s⁽ᴸ⁾_τ) at the output."""
    form = eqs.o_form(net, l)
    return form if t is None else retime_node(form, t, {l})


def loss_form(net: Network, t: int | str | None) -> Node:
    """ℓ over the output units k (t: at time τ = t, with sequences)."""
    rule = eqs.loss_rule(net)
    return rule if t is None else retime_node(rule, t, {net.L})


def _at_time(net: Network, st: Any, t: int | None) -> State:
    """The board as a dense network's at time t (None: the layers that run once): each per-τ quantity
    of a dense layer and the input replaced by its row at t, a recurrent layer's o by [1, o_τ] (or
    [1, o_T]: what the dense layer above multiplies)."""
    s, o, d = list(st.s), list(st.o), list(st.delta)
    timed = timed_layers(net.kinds)
    if t is not None:
        o[0] = st.o[0][t - 1]
    for l, k in enumerate(net.kinds, start=1):
        if k.over_time:
            T = len(st.o[l]) - 1
            o[l] = np.concatenate([[1.0], st.o[l][T if t is None else t]])
        elif timed[l - 1] and t is not None:
            s[l], o[l], d[l] = st.s[l][t - 1], st.o[l][t - 1], st.delta[l][t - 1]
    y = st.y if t is None or not net.spec.return_sequences else st.y[t - 1]
    return State(list(st.W), list(st.G), st.loss_D, s, o, d, st.loss, st.x, y, losses=st.losses,
                 loss_D_ln=st.loss_D_ln, loss_D_ln_before=st.loss_D_ln_before)


def step_equations(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    key = step.key
    l, t = key.layer, key.time
    if key.phase == LOSS:
        return _loss(net, state, step)
    assert l is not None and key.phase != UPDATE
    kind = net.kinds[l - 1]
    if isinstance(kind, Recurrent):  # the layer's own steps: its kind's equations
        return kind.time_equations(net, state, step)
    # a dense layer, at time t or once (above a many-to-one layer)
    src = source(net, l)  # l − 1, or along a residual block's wires
    below_rnn = (src > 0 and net.kinds[src - 1].over_time) or src != l - 1
    above_rnn = l < net.L and net.kinds[l].over_time
    if key.phase == FORWARD and key.quantity == "s" and below_rnn:
        return (upper_s(net, state, step, l, t),)
    if key.phase == BACKWARD and key.quantity == "G" and below_rnn:
        return (upper_G(net, state, step, l, t),)
    if key.phase == BACKWARD and key.quantity == "delta" and above_rnn:
        assert t is not None
        return (dense_delta_below_rnn(net, state, l, t),)
    board = _at_time(net, state, t)
    out = eqs.dense_step_equations(net, board, step, net.spec.optimizer)
    if t is None:
        return out
    timed = {m for m in (l - 1, l, l + 1) if m == 0 or (0 < m <= net.L and not net.kinds[m - 1].over_time)}
    return tuple(retime(e, t, timed) for e in out)


def rnn_equations(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    """The equations of a recurrent (``rnn``) layer's own step at τ."""
    key = step.key
    l, t = key.layer, key.time
    assert l is not None and t is not None
    if key.phase == FORWARD and key.quantity == "s":
        return (rnn_s(net, state, l, t),)
    if key.phase == FORWARD:
        return (rnn_o(net, state, l, t),)
    if key.quantity == "delta":
        return (rnn_delta(net, state, l, t),)
    return (rnn_G(net, state, step, l, t),)


def _below(net: Network, state: Any, l: int, t: int | None) -> tuple[Node, Node, np.ndarray, dict]:
    """What layer l's W multiplies at τ (t None: once, from o_T of the many-to-one layer below): its node
    (``input_form``), the node with its numbers, its value and the bindings of its symbols."""
    src = source(net, l)  # l − 1, or along a residual block's wires
    if src > 0 and net.kinds[src - 1].over_time:
        T = len(state.o[src]) - 1
        tt = T if t is None else t
        node: Node = eqs.fed(net, l, sym("o", src, tt), src)
        value = np.concatenate([[1.0], state.o[src][tt]])
        return node, Arr(value, means=node), value, {sym("o", src, tt): state.o[src][tt]}
    assert t is not None
    value = state.o[src][t - 1]
    node = sym("o", src, t)
    return node, arr(value, "o", src, t, kinds=net.kinds), value, {node: value}


def upper_s(net: Network, state: Any, step: Step, l: int, t: int | None) -> Equation:
    """s⁽ˡ⁾_τ = W⁽ˡ⁾ [1, o⁽ˡ⁻¹⁾_τ] above a recurrent layer (many-to-one: s⁽ˡ⁾ = W⁽ˡ⁾ [1, o⁽ˡ⁻¹⁾_T])."""
    node, filled_in, _, env = _below(net, state, l, t)
    Wl = Sym("W", l, vector=True)
    rhs = Op("@", (Wl, node))
    filled = substitute(rhs, {Wl: arr(state.W[l], "W", l), node: filled_in})
    src = source(net, l)
    T = len(state.o[src]) - 1
    return Equation(sym("s", l, t), (rhs, filled, arr(step.value, "s", l, t)), bindings={Wl: state.W[l], **env},
                    note="" if t is not None else f"many-to-one: from o{sup(src)} at T = {T}")


def upper_G(net: Network, state: Any, step: Step, l: int, t: int | None) -> Equation:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾_τ [1, o⁽ˡ⁻¹⁾_τ]ᵀ above a recurrent layer."""
    node, filled_in, _, env = _below(net, state, l, t)
    Gl, dl = Sym("G", l, vector=True), delta(l, t)
    d_value = state.delta[l] if t is None else state.delta[l][t - 1]
    rhs = add(Gl, Op("outer", (dl, node)))
    filled = substitute(rhs, {Gl: Arr(np.asarray(step.before), means=Gl), dl: arr(d_value, "delta", l, t),
                              node: filled_in})
    return Equation(Gl, (rhs, filled, arr(step.value, "G", l)), "←", {Gl: step.before, dl: d_value, **env})


def _factor(net: Network, l: int, t: int, s_value: np.ndarray, o_value: np.ndarray, total: Node, total_n: Node,
            result: Node, env: dict, note: str, parts: int, note_syms: tuple[Node | LayerNo, ...] = ()) -> Equation:
    """δ⁽ˡ⁾_τ = (what arrives at o⁽ˡ⁾_τ) ⊙ f′(s⁽ˡ⁾_τ), or the sum itself for an identity layer; ``note_syms``
    the symbols ``note`` names (Equation.note_syms)."""
    if net.act(l).derivative_is_one:  # no factor 1: δ⁽ˡ⁾_τ is the sum itself
        note = "; ".join(x for x in (note, IDENTITY_NOTE) if x)
        forms = (total, total_n, result) if parts > 1 else (total, result)
        return Equation(delta(l, t), forms, bindings=env, note=note, note_syms=note_syms)
    s_l, o_l = sym("s", l, t), sym("o", l, t)
    df = eqs.fprime(net, l, s_l, o_l)
    env = {**env, s_l: s_value, o_l: o_value, **eqs._alpha(net, l)}
    fp = net.df(l, s_value, o_value)
    return Equation(delta(l, t), (mul(total, df), mul(total_n, Arr(np.asarray(fp), means=df)), result),
                    bindings=env, note=note, note_syms=note_syms)


def _from_above(net: Network, state: Any, l: int, t: int) -> tuple[Node, Node, dict] | None:
    """(W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:], the part of δ⁽ˡ⁾_τ from the layer above (W⁽ˡ⁺¹⁾: a recurrent layer's W,
    not its U), with its numbers; None before τ = T under a layer that runs once."""
    seqs = timed_layers(net.kinds)[l]
    T = len(state.s[l])
    if not seqs and t != T:
        return None
    above = net.kinds[l]
    if above.own_steps:  # a layer norm above: its ∂ℓ/∂x⁽ˡ⁺¹⁾_τ is ∂ℓ/∂o⁽ˡ⁾_τ
        node = above.dx_sym(l + 1)
        return node, Arr(rnn_steps.from_above(net, state, l, t), means=node), {}
    W_next = Sym("W", l + 1, vector=True)
    d_next = delta(l + 1, t if seqs else None)
    w = net.spec.widths[l]
    W_value = state.W[l + 1][:, :1 + w] if net.kinds[l].over_time else state.W[l + 1]
    node = Op("drop0", (Op("@", (Op("T", (W_next,)), d_next)),))
    number = Arr(rnn_steps.from_above(net, state, l, t), means=node)
    return node, number, {W_next: W_value, d_next: state.delta[l + 1][t - 1] if seqs else state.delta[l + 1]}


def dense_delta_below_rnn(net: Network, state: Any, l: int, t: int) -> Equation:
    """δ⁽ˡ⁾_τ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:] ⊙ f′(s⁽ˡ⁾_τ) of a dense layer at τ under a recurrent layer: what
    the recurrent layer's W sends down to its input x_τ = o⁽ˡ⁾_τ."""
    above = _from_above(net, state, l, t)
    assert above is not None
    node, number, env = above
    result = arr(state.delta[l][t - 1], "delta", l, t)
    return _factor(net, l, t, state.s[l][t - 1], state.o[l][t - 1][1:], node, number, result, env,
                   f"W{sup(l + 1)}: the recurrent layer's W (not its U)", 1)


def rnn_s(net: Network, state: Any, l: int, t: int) -> Equation:
    """s⁽ˡ⁾_τ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + U⁽ˡ⁾ o⁽ˡ⁾_{τ−1}."""
    rnn = net.kinds[l - 1]
    assert isinstance(rnn, Rnn)
    Wl, Ul = Sym("W", l, vector=True), U(l)
    node, filled_in, _, env = _below(net, state, l, t)
    o_prev = sym("o", l, t - 1)
    rhs = s_rnn_form(net, l, t)
    Wv, Uv = rnn.W_part(state.W[l]), rnn.U_part(state.W[l])
    env = {Wl: Wv, Ul: Uv, o_prev: state.o[l][t - 1], **env}
    filled = substitute(rhs, {Wl: Arr(np.asarray(Wv), means=Wl), Ul: Arr(np.asarray(Uv), means=Ul), node: filled_in,
                              o_prev: arr(state.o[l][t - 1], "o", l, t - 1, kinds=net.kinds)})
    return Equation(sym("s", l, t), (rhs, filled, arr(state.s[l][t - 1], "s", l, t)), bindings=env,
                    note=f"o{sup(l)}₀ = 0" if t == 1 else "")


def rnn_o(net: Network, state: Any, l: int, t: int) -> Equation:
    """o⁽ˡ⁾_τ = f(s⁽ˡ⁾_τ) (no bias entry: U multiplies the units only)."""
    s_l = sym("s", l, t)
    f = o_rnn_form(net, l, t)
    env = {s_l: state.s[l][t - 1], **eqs._alpha(net, l)}
    forms = [f, substitute(f, {s_l: arr(state.s[l][t - 1], "s", l, t)}),
             arr(state.o[l][t], "o", l, t, kinds=net.kinds)]
    if f == s_l:
        forms = forms[:1] + forms[2:]
    return Equation(sym("o", l, t), tuple(forms), bindings=env)


def rnn_delta(net: Network, state: Any, l: int, t: int) -> Equation:
    """δ⁽ˡ⁾_τ = (U⁽ˡ⁾ᵀ δ⁽ˡ⁾_{τ+1} + (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ)[1:]) ⊙ f′(s⁽ˡ⁾_τ), each part with its numbers."""
    rnn = net.kinds[l - 1]
    assert isinstance(rnn, Rnn)
    T = len(state.s[l])
    Ul, d_next = U(l), delta(l, t + 1)
    env: dict = {Ul: rnn.U_part(state.W[l])}
    parts: list[Node] = []
    numbers: list[Node] = []
    if t < T:
        nxt = Op("@", (Op("T", (Ul,)), d_next))
        env[d_next] = state.delta[l][t]
        parts.append(nxt)
        numbers.append(Arr(rnn_steps.from_next(net, state, l, t), means=nxt))
    above = _from_above(net, state, l, t)
    if above is not None:
        parts.append(above[0])
        numbers.append(above[1])
        env.update(above[2])
    note = "" if t < T else f"δ{sup(l)} from τ + 1 is 0 at τ = T"
    if above is None:
        note = "many-to-one: nothing comes from above before τ = T"
    elif net.kinds[l].over_time:  # stacked: the layer above reads o⁽ˡ⁾_τ through its W
        note = "; ".join(x for x in (note, f"W{sup(l + 1)}: the recurrent layer's W (not its U)") if x)
    total = Op("()", (add(*parts),)) if len(parts) > 1 else parts[0]
    total_n = Op("()", (add(*numbers),)) if len(numbers) > 1 else numbers[0]
    result = arr(state.delta[l][t - 1], "delta", l, t)
    return _factor(net, l, t, state.s[l][t - 1], state.o[l][t], total, total_n, result, env, note, len(parts))


def rnn_G(net: Network, state: Any, step: Step, l: int, t: int) -> Equation:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾_τ [o⁽ˡ⁻¹⁾_τ, o⁽ˡ⁾_{τ−1}]ᵀ: G_W gets δ_τ times W's input, G_U δ_τ o⁽ˡ⁾_{τ−1}ᵀ."""
    Gl, dl, o_prev = Sym("G", l, vector=True), delta(l, t), sym("o", l, t - 1)
    node, filled_in, _, env = _below(net, state, l, t)
    inp = Op("cat", (node, o_prev))
    rhs = add(Gl, Op("outer", (dl, inp)))
    env = {Gl: step.before, dl: state.delta[l][t - 1], o_prev: state.o[l][t - 1], **env}
    filled = substitute(rhs, {Gl: Arr(np.asarray(step.before), means=Gl), dl: arr(state.delta[l][t - 1], "delta", l, t),
                              node: filled_in, o_prev: arr(state.o[l][t - 1], "o", l, t - 1, kinds=net.kinds)})
    x = "x_τ" if l == 1 else f"o{sup(l - 1)}_τ"
    return Equation(Gl, (rhs, filled, arr(step.value, "G", l)), "←", env,
                    note=f"columns: bias, W's inputs {x}, then U's o{sup(l)}_{{τ−1}}")


def _loss(net: Network, state: Any, step: Step) -> tuple[Equation, ...]:
    if not net.spec.return_sequences:
        return eqs._loss(net, _at_time(net, state, None), step)
    L, n = net.L, step.key.example
    T = len(state.s[L])
    per = [float(net.example_loss(state.s[L][t], state.o[L][t], state.y[t])) for t in range(T)]
    ell_t = Sym("ℓ", n, latex=r"\ell", time="τ")
    # each time step's loss, from o⁽ᴸ⁾_τ and y_τ (the loss's own formula, retimed), then their sum
    steps, lns = [], []  # lns: each ℓ⁽ⁿ⁾_τ's logarithm where it is past the floats (eqs.loss_num)
    for t in range(1, T + 1):
        e = eqs._loss(net, _at_time(net, state, t), Step(step.key, per[t - 1]))[0]
        e = retime(e, t, {L})
        lhs = Sym("ℓ", n, latex=r"\ell", time=t)
        lns.append(e.forms[-1].ln if isinstance(e.forms[-1], Num) else None)
        result = Num(per[t - 1], means=None, ln=lns[-1])  # ℓ⁽ⁿ⁾_τ is not on the board; the sum below is
        steps.append(Equation(lhs, e.forms[:-1] + (result,), e.rel, e.bindings))
    terms = [Num(v, means=Sym("ℓ", n, latex=r"\ell", time=t), ln=lns[t - 1])  # ℓ⁽ⁿ⁾_τ (an exercise: by name)
             for t, v in enumerate(per, start=1)]
    ln = net.loss_ln(state.s[L], state.o[L], state.y, float(step.value))  # the sum's, past the floats: from its terms'
    total = Equation(eqs.loss_sym(n), (Sum("τ", ell_t), add(*terms), Num(float(step.value), Ref("loss"), ln=ln)),
                     bindings={}, note=f"{{}} sums over τ = 1 … {T}", note_syms=(eqs.loss_sym("n"),))
    before = state.loss_D - float(step.value)
    D = eqs.LOSS_D
    acc = Equation(D, (add(D, eqs.loss_sym(n)), add(Num(before, means=D, ln=state.loss_D_ln_before),
                                                    Num(float(step.value), Ref("loss"), ln=ln)),
                       Num(state.loss_D, Ref("loss_D"), ln=state.loss_D_ln)), "←",
                   {D: before, eqs.loss_sym(n): float(step.value)})
    return (*steps, total, acc)


def rules(net: Network, l: int) -> list[Equation]:
    """Layer l's lines of the network's rules, through time: s_τ, o_τ = f(s_τ) without a bias entry,
    δ_τ from τ + 1 and from the layer above, G summed over τ."""
    W, G, fprime = eqs.W, eqs.G, eqs.fprime
    d_t, tsym = delta, sym
    inp = "o⁽⁰⁾_τ = [1, x_τ]" if l == 1 else ""
    many_to_one = not timed_layers(net.kinds)[l]
    return [
        Equation(tsym("s", l, "τ"), (s_rnn_form(net, l, "τ"),), note=", ".join(x for x in (inp, f"o{sup(l)}₀ = 0") if x)),
        Equation(tsym("o", l, "τ"), (o_rnn_form(net, l, "τ"),)),
        Equation(d_t(l, "τ"), (mul(Op("()", (add(Op("@", (Op("T", (U(l),)), d_t(l, "τ+1"))),
                                                 Op("drop0", (Op("@", (Op("T", (W(l + 1),)), d_t(l + 1, "τ"))),))),)),
                                   fprime(net, l, tsym("s", l, "τ"), tsym("o", l, "τ"))),),
                 note=f"τ = T … 1, δ{sup(l)}_{{T+1}} = 0" + (f"; many-to-one: δ{sup(l + 1)} at τ = T only" if many_to_one
                                                          else "")),
        Equation(G(l), (add(G(l), Op("outer", (d_t(l, "τ"), Op("cat", (input_form(net, l, "τ"), tsym("o", l, "τ−1")))))),),
                 "←", note="summed over τ: G_W and G_U side by side"),
    ]

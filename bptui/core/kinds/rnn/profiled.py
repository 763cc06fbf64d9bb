"""A recurrent network's step equations in a notation profile (core/formulas/profiles.py): the same
board and numbers as the lecture's (equations.py, lstm_equations.py, gru_equations.py), grouped as the
profile groups them. The printer writes the profile's symbols; a kind's own (U, the gates, c, h) stay.

- A separate bias: W⁽ˡ⁾ without its column 0 multiplies what the layer reads without a 1 on top, and
  column 0 is b⁽ˡ⁾ (one entry per row, so one per gate block of a gated layer):

      s⁽ˡ⁾_τ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + U⁽ˡ⁾ o⁽ˡ⁾_{τ−1} + b⁽ˡ⁾       (a GRU: [W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + b⁽ˡ⁾, U⁽ˡ⁾ h⁽ˡ⁾_{τ−1} + b⁽ˡ⁾_{h}])

  A GRU's U bias (PyTorch's ``bias_hh``, column 1 + d of the stored [W │ U], n's inside r ⊙ (·)) is a
  bias of its own, b⁽ˡ⁾_{h}, and U is U without it (``LayerKind.separate_biases``); the part of δ from the
  layer above is W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾_τ without the [1:] (a GRU's Uᵀ δʰ too); G is ∂ℓ/∂W and ∂ℓ/∂U apart
  (``gradient_parts``), ∂ℓ/∂b (and a GRU's ∂ℓ/∂b_{h}), each accumulated over τ.
- The bias in column 0 (a course's profile): the lecture's equations in the profile's letters, but G as
  W's block and U's apart, as the profile's panel heads them (G⁽ˡ⁾, G⁽ˡ⁾_{U}), and a GRU's [1, h_{τ−1}]
  with its numbers one vector (the lecture's own output keeps its nested [1, [ … ]] byte for byte).
- A mean gradient: each time step adds its term divided by the group's m, so G is shown as G/m.
- Row vectors: every product turned around (x W + b, W shown transposed, as cs231n's rnn_step_forward
  writes x Wx + prev_h Wh + b) and G shown transposed.

The dense layers of a recurrent network at τ are the dense profile's equations
(core/engine/equations.py's ``profiled_step_equations``) with τ added, as in the lecture's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np

from ...engine import equations as E
from ...engine.schedule import BACKWARD, FORWARD, LOSS
from ...engine.stepper import Step
from ...engine.wiring import source
from ...formulas.formula import U_BIAS, Arr, Equation, Node, Num, Op, Ref, Sym, _rebuild, add, substitute, walk
from . import equations as RE
from .lstm_equations import h_sym
from ...formulas.notation import sup
from ...formulas.profiles import column, columns


def step_equations(net: Any, state: Any, step: Step, P: Any, optimizer: Any = None) -> tuple[Equation, ...]:
    """The equations of a recurrent network's ``step`` (any but an update: the dense path writes those)
    as profile ``P`` groups them."""
    key = step.key
    split = key.quantity == "G" and key.layer is not None and net.kinds[key.layer - 1].over_time  # W's, U's apart
    if key.phase == LOSS or not (P.separate_bias or P.mean or split):  # no bias, no G/m: the lecture's, in P's symbols
        eqs = RE.step_equations(net, state, step)
    else:
        eqs = _grouped(net, state, step, P, optimizer)
    return tuple(replace(flat_ones(e), note=noted(e.note, P)) for e in eqs)


def flat_ones(eq: Equation) -> Equation:
    """``eq`` with every [1, h] of its numbers printed as one vector ([1, 0.17, …], never [1, [0.17, …]]):
    a GRU writes U [1, h_{τ−1}] with h's board numbers inside; its numbers are shown flat, meaning the [1, h]
    its formula writes, in the lecture (``layer.step_equations``) and in every profile."""
    ones = {n.args[0]: n for form in eq.forms[:1] for n in walk(form)
            if isinstance(n, Op) and n.op == "cat1" and isinstance(n.args[0], Sym) and n.args[0] in eq.bindings}

    def flat(n: Node) -> Node:
        if isinstance(n, Op) and n.op == "cat1" and isinstance(n.args[0], Arr) and n.args[0].values.ndim == 1:
            values = n.args[0].values
            means = next((node for sym, node in ones.items()
                          if np.shape(eq.bindings[sym]) == values.shape and np.array_equal(eq.bindings[sym], values)), None)
            ref = n.args[0].ref  # h's board row, read with a 1 on top
            return Arr(np.concatenate([[1.0], values]), None if ref is None else replace(ref, view="1x" + ref.view),
                       means=means)
        return n

    if not ones:
        return eq
    return replace(eq, forms=(eq.forms[0], *(_rebuild(f, flat) for f in eq.forms[1:])))


def noted(note: str, P: Any) -> str:
    """A note's layer symbols (o⁽¹⁾, δ⁽²⁾, U⁽¹⁾) as profile ``P`` writes them (nielsen's a², δ³, U²)."""
    from ...formulas.formula import TextPrinter

    if P is None or P.name == "lecture13":
        return note
    printer = TextPrinter(notation=P)
    return _LAYERED.sub(lambda m: printer.p(Sym(m[1], int(m[2].translate(_DIGITS)))), note)


_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_LAYERED = re.compile("([A-Za-zδ])⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")


def _grouped(net: Any, state: Any, step: Step, P: Any, optimizer: Any) -> tuple[Equation, ...]:
    key = step.key
    l, t = key.layer, key.time
    assert l is not None
    sep, rows = P.separate_bias, P.vectors == "row"
    m = E.group_size(net, key) if P.mean else None
    M = E.group_symbol(optimizer if optimizer is not None else net.spec.optimizer)
    kind = net.kinds[l - 1]
    out: tuple[Equation, ...]
    if kind.over_time:
        if key.quantity == "G":
            out = _recurrent_G(net, state, step, l, t, sep, m, M, rows)
        elif key.quantity == "s" and sep:
            out = (_recurrent_s(net, state, l, t),)
        else:
            out = RE.step_equations(net, state, step)
            own = l if kind.u_bias else None  # a GRU's Uᵀ δʰ: U without its bias column, no [1:]
            out = tuple(_without_drop(e, l + 1, own) for e in out) if sep else out
        return tuple(flip(e) for e in out) if rows else out
    src = source(net, l)
    below_rnn = (src > 0 and net.kinds[src - 1].over_time) or src != l - 1
    above_rnn = l < net.L and net.kinds[l].over_time
    if key.phase == FORWARD and key.quantity == "s" and below_rnn:
        out = (_upper_s(net, state, step, l, t),) if sep else RE.step_equations(net, state, step)
    elif key.phase == BACKWARD and key.quantity == "G" and below_rnn:
        out = _upper_G(net, state, step, l, t, m, M) if sep else _mean(RE.step_equations(net, state, step), m, M)
    elif key.phase == BACKWARD and key.quantity == "delta" and above_rnn:
        assert t is not None
        out = (_without_drop(RE.dense_delta_below_rnn(net, state, l, t), l + 1),) if sep else \
            (RE.dense_delta_below_rnn(net, state, l, t),)
    else:  # a dense step as the dense profile writes it (its rows already turned), at τ
        board = RE._at_time(net, state, t)
        eqs = E.profiled_step_equations(net, board, step, P, optimizer)
        if t is None:
            return eqs
        timed = {k for k in (l - 1, l, l + 1) if k == 0 or (0 < k <= net.L and not net.kinds[k - 1].over_time)}
        return tuple(RE.retime(e, t, timed) for e in eqs)
    return tuple(flip(e) for e in out) if rows else out


# -- the network's rules (the help screen, an export's notation section) ----------------------------------------
def rules(net: Any, l: int, P: Any) -> list[Equation]:
    """Recurrent layer l's lines of the network's rules (its kind's ``rules``) as ``P`` groups them: W
    without column 0 and b in s⁽ˡ⁾_τ, W⁽ˡ⁺¹⁾ᵀ δ without [1:], ∂ℓ/∂W and ∂ℓ/∂b (each term /m in a mean
    profile), products turned with row vectors."""
    kind = net.kinds[l - 1]
    lines = kind.rules(net, l)
    sep, rows = P.separate_bias, P.vectors == "row"
    M = E.group_symbol(net.spec.optimizer)
    inp, x = RE.input_form(net, l, "τ"), RE.sym("o", l - 1, "τ")
    prod = Op("@", (E.W(l), inp))
    out: list[Equation] = []
    for e in lines:
        form = e.forms[0]
        note = noted(e.note.replace("[1, x_τ]", "x_τ") if sep else e.note, P)
        if e.rel == "←" and e.lhs == E.G(l):  # G ← G + term, over τ: W's part, U's and b's, each term /m
            assert isinstance(form, Op)
            term = substitute(form.args[1], {inp: x}) if sep else form.args[1]
            # as the steps write them (_recurrent_G): the kind's gradient_parts apart, b's (with a separate b)
            (_, Gw), (_, Gu) = kind.gradient_parts(l)
            w_term, u_term = _apart(term)
            parts = [(Gw, w_term, "summed over τ", ()), (Gu, u_term, "", ())]
            if sep:
                parts.append((E.Gb(l), RE.delta(l, "τ"), "", ()))
                if kind.u_bias:  # a GRU: δʰ h_{τ−1}ᵀ for U without its bias column, δʰ for U's bias b_{h}
                    assert isinstance(u_term, Op) and u_term.op == "outer"
                    dh, ones = u_term.args
                    assert isinstance(ones, Op) and ones.op == "cat1"  # δʰ [1, h_{τ−1}]ᵀ
                    (hp,) = ones.args
                    parts[1] = (Gu, Op("outer", (dh, hp)), "", ())
                    parts.append((u_bias_grad(l), dh, "", ()))
            for lhs, t, said, syms in parts:
                out.append(Equation(lhs, (add(lhs, Op("/", (t, M)) if P.mean else t),), "←", note=said, note_syms=syms))
            continue
        if sep and isinstance(form, Op) and form.op == "+" and form.args[0] == prod:  # W x + U o + b
            form = add(Op("@", (E.W(l), x)), *form.args[1:], E.b(l))
        elif sep:  # a GRU's [W x + b, U h + b_{h}] (through a stand-in: W x may be the product itself)
            here = Sym("W x + b")
            form = substitute(substitute(form, {prod: here}), {here: add(Op("@", (E.W(l), x)), E.b(l))})
            form = _u_bias_apart(form, l)
            if e.lhs == RE.sym("s", l, "τ"):
                s_words, s_syms = _s_note(kind, l)
                out.append(Equation(e.lhs, (form,), e.rel, note=noted(s_words, P), note_syms=s_syms))
                continue
        same = Equation(e.lhs, (form,), e.rel, note=note, note_syms=e.note_syms)
        out.append(_without_drop(same, l + 1, l if kind.u_bias else None) if sep else same)
    return [flip(e) for e in out] if rows else out


def u_bias(l: int | str) -> Sym:
    """A GRU's U bias in a profile with a separate b: b⁽ˡ⁾_{h}, column 1 + d of the stored [W │ U] (U's
    own column 0, PyTorch's ``bias_hh``: n's sits inside r ⊙ (·)), beside W's b⁽ˡ⁾."""
    return Sym("b", l, (U_BIAS,), vector=True, group=True)


def u_bias_grad(l: int | str) -> Sym:
    """The gradient of :func:`u_bias`: ∂ℓ/∂b⁽ˡ⁾_{h} (column 1 + d of G)."""
    return Sym("Gb", l, (U_BIAS,), vector=True, group=True)


def _u_bias_apart(form: Node, l: int) -> Node:
    """``form`` with a GRU's U [1, h] written U h + b_{h} (U without its bias column)."""
    Ul = RE.U(l)

    def f(n: Node) -> Node:
        if isinstance(n, Op) and n.op == "@" and n.args[0] == Ul and isinstance(n.args[1], Op) and n.args[1].op == "cat1":
            return add(Op("@", (Ul, n.args[1].args[0])), u_bias(l))
        return n

    return _rebuild(form, f)


def _s_note(kind: Any, l: int) -> tuple[str, tuple[Node, ...]]:
    """A GRU's s note with a separate b: W's product with b, U's with b_{h} (n's inside r ⊙ (·))."""
    from .gru_equations import product

    return ("W's product {} with {}, then U's {} with {}: n reads it inside r ⊙ (·)",
            (product("x", l), E.b(l), product("h", l), u_bias(l)))


def _apart(term: Node) -> tuple[Node, Node]:
    """A rule's G term of [W │ U] without the bias column as W's term and U's: δ [x, o_{τ−1}]ᵀ as δ xᵀ and
    δ o_{τ−1}ᵀ; a GRU's [δ xᵀ │ δʰ [1, h_{τ−1}]ᵀ] as its two blocks."""
    if isinstance(term, Op) and term.op == "outer" and isinstance(term.args[1], Op) and term.args[1].op == "cat" \
            and len(term.args[1].args) == 2:
        d, (w_in, u_in) = term.args[0], term.args[1].args
        return Op("outer", (d, w_in)), Op("outer", (d, u_in))
    assert isinstance(term, Op) and term.op == "hcat" and len(term.args) == 2, term
    return term.args[0], term.args[1]


# -- the parts ---------------------------------------------------------------------------------------------
def _input(net: Any, state: Any, l: int, t: int | None) -> tuple[Sym, Node, np.ndarray]:
    """What layer l's W (without its column 0) multiplies at τ (t None: once, o_T of a many-to-one layer
    below): its symbol, its numbers with their board place, its value; without the 1 on top (a recurrent
    layer's o has none; the input's and a dense layer's are shown without theirs, view "x")."""
    src = source(net, l)
    if src > 0 and net.kinds[src - 1].over_time:
        tt = len(state.o[src]) - 1 if t is None else t
        value = np.asarray(state.o[src][tt], dtype=float)
        return RE.sym("o", src, tt), RE.arr(value, "o", src, tt, kinds=net.kinds), value
    assert t is not None
    value = np.asarray(state.o[src][t - 1], dtype=float)[1:]
    row = RE.board_row("o", src, t, net.kinds)
    return RE.sym("o", src, t), Arr(value, Ref("o", src, (row,), view="x")), value


def _previous(net: Any, state: Any, kind: Any, l: int, t: int) -> tuple[Sym, Node, np.ndarray]:
    """The layer's own output at τ − 1 (an rnn's o, a gated layer's h) with its numbers."""
    value = np.asarray(state.o[l][t - 1], dtype=float)
    node = RE.sym("o", l, t - 1) if kind.output_name == "o" else h_sym(l, t - 1)
    return node, RE.arr(value, "o", l, t - 1, kinds=net.kinds), value


def _n(x: Any, means: Node) -> Arr:
    return Arr(np.asarray(x, dtype=float), means=means)


def recurrent_s_form(kind: Any, l: int, x: Node, prev: Node) -> Node:
    """With a separate bias, the right-hand side of a recurrent layer's s⁽ˡ⁾_τ that reads ``x`` (what W
    multiplies, without a 1 on top) and ``prev`` (its own output at τ − 1): W⁽ˡ⁾ x + U⁽ˡ⁾ prev + b⁽ˡ⁾; a GRU's
    [W⁽ˡ⁾ x + b⁽ˡ⁾, U⁽ˡ⁾ prev + b⁽ˡ⁾_{h}]."""
    Wl, Ul, bl = E.W(l), RE.U(l), E.b(l)
    if kind.u_bias:
        return Op("cat", (add(Op("@", (Wl, x)), bl), add(Op("@", (Ul, prev)), u_bias(l))))
    return add(Op("@", (Wl, x)), Op("@", (Ul, prev)), bl)


def input_sym(net: Any, l: int, t: int | None, T: int) -> Sym:
    """What layer l's W (without its column 0) multiplies at τ = t of an example of ``T`` steps (t None:
    once, o_T of a many-to-one layer below): :func:`_input`'s symbol."""
    src = source(net, l)
    if src > 0 and net.kinds[src - 1].over_time:
        return RE.sym("o", src, T if t is None else t)
    assert t is not None
    return RE.sym("o", src, t)


def box_forms(net: Any, T: int, P: Any) -> dict[str, Node]:
    """The unrolled computation graph's forms (tui/unrolled.py's ``box_forms``: o⁽⁰⁾_τ, s⁽ˡ⁾_τ, o⁽ˡ⁾_τ and ℓ)
    as profile ``P`` groups them, the first forms of its step equations: with a separate bias x_τ, W x + U o + b
    (:func:`recurrent_s_form`), W x + b, no 1 on top of an o; with row vectors every product turned around."""
    out = dict(lecture_box_forms(net, T))
    if P.separate_bias:
        for key in list(out):
            l_text, _, t_text = key[1:].partition("_")
            t = int(t_text) if t_text else None
            if key.startswith("x_"):
                out[key] = Sym("x", vector=True, time=int(key[2:]))
            elif key[0] == "s" and key != "s":
                l = int(l_text)
                kind = net.kinds[l - 1]
                x = input_sym(net, l, t, T)
                if kind.over_time:
                    assert t is not None
                    out[key] = recurrent_s_form(kind, l, x, RE.sym("o", l, t - 1) if kind.output_name == "o" else h_sym(l, t - 1))
                else:
                    out[key] = add(Op("@", (E.W(l), x)), E.b(l))
            elif key[0] == "o":
                form = out[key]
                out[key] = form.args[0] if isinstance(form, Op) and form.op == "cat1" else form
    if P.vectors == "row":
        out = {key: flip(Equation(Sym(key), (form,))).forms[0] for key, form in out.items()}
    return out


def lecture_box_forms(net: Any, T: int) -> dict[str, Node]:
    """The lecture's forms of the unrolled graph's boxes (keys x_τ, s{l}_τ, o{l}_τ, s{l}, o{l}, loss)."""
    from ...formulas.formula import Sum
    from ...engine.kind import timed_layers

    forms: dict[str, Node] = {}
    for tau in range(1, T + 1):
        forms[f"x_{tau}"] = RE.o0_form(tau)
    for l, timed in enumerate(timed_layers(net.kinds), start=1):
        recurrent = net.kinds[l - 1].over_time
        for t in (range(1, T + 1) if timed else [None]):
            tag = "" if t is None else f"_{t}"
            if recurrent:
                assert t is not None
                forms[f"s{l}_{t}"], forms[f"o{l}_{t}"] = RE.s_rnn_form(net, l, t), RE.o_rnn_form(net, l, t)
            else:
                forms[f"s{l}{tag}"] = RE.upper_s_form(l, t, T, net)
                forms[f"o{l}{tag}"] = RE.upper_o_form(net, l, t)
    seqs = net.spec.return_sequences
    forms["loss"] = Sum("τ", RE.loss_form(net, "τ")) if seqs else RE.loss_form(net, None)
    return forms


def _recurrent_s(net: Any, state: Any, l: int, t: int) -> Equation:
    """s⁽ˡ⁾_τ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + U⁽ˡ⁾ o⁽ˡ⁾_{τ−1} + b⁽ˡ⁾ (a GRU: W's product with its b, then U's with its own)."""
    kind = net.kinds[l - 1]
    Wl, Ul, bl = E.W(l), RE.U(l), E.b(l)
    x, x_n, xv = _input(net, state, l, t)
    prev, prev_n, pv = _previous(net, state, kind, l, t)
    Wv, Uv = kind.W_part(state.W[l]), kind.U_part(state.W[l])
    bh = u_bias(l)
    bound: dict = {Wl: Wv[:, 1:], Ul: Uv, bl: Wv[:, 0], x: xv, prev: pv}
    form = recurrent_s_form(kind, l, x, prev)
    if kind.u_bias:  # a GRU: W's product with b, U's (U without its bias column) with U's own b_{h}
        note, said = _s_note(kind, l)
        bound.update({Ul: Uv[:, 1:], bh: Uv[:, 0]})
    else:
        note = "rows: h for each of the gates " + RE.gate_letters("ifgō")[0] if kind.gates > 1 else ""
        said = RE.gate_letters("ifgō")[1] if kind.gates > 1 else ()
    numbers = substitute(form, {Wl: _n(bound[Wl], Wl), Ul: _n(bound[Ul], Ul), bl: _n(Wv[:, 0], bl), x: x_n, prev: prev_n,
                                **({bh: _n(bound[bh], bh)} if kind.u_bias else {})})
    first = (f"{kind.output_name}{sup(l)}₀ = 0" if t == 1 else "")
    return Equation(RE.sym("s", l, t), (form, numbers, RE.arr(state.s[l][t - 1], "s", l, t)), bindings=bound,
                    note="; ".join(p for p in (first, note) if p), note_syms=said)


def _upper_s(net: Any, state: Any, step: Step, l: int, t: int | None) -> Equation:
    """s⁽ˡ⁾_τ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾_τ + b⁽ˡ⁾ of a dense layer above a recurrent one (many-to-one: from o_T)."""
    Wl, bl = E.W(l), E.b(l)
    x, x_n, xv = _input(net, state, l, t)
    W = np.asarray(state.W[l])
    form = add(Op("@", (Wl, x)), bl)
    numbers = substitute(form, {Wl: Arr(W[:, 1:], Ref("W", l, view="W"), means=Wl),
                                bl: Arr(W[:, 0], Ref("W", l, view="b"), means=bl), x: x_n})
    src = source(net, l)
    note = "" if t is not None else f"many-to-one: from o{sup(src)} at T = {len(state.o[src]) - 1}"
    return Equation(RE.sym("s", l, t), (form, numbers, RE.arr(step.value, "s", l, t)),
                    bindings={Wl: W[:, 1:], bl: W[:, 0], x: xv}, note=note)


def _gradient(step: Step, l: int, m: int | None, M: Sym,
              w_parts: list[tuple[Node, int, int | None, Node, Node, str, tuple[Node, ...]]],
              b_term: tuple[Node, Node] | None, env: dict,
              more_b: tuple[tuple[Node, int, str, Node, Node], ...] = ()) -> tuple[Equation, ...]:
    """Each of the weights' parts and b's, as ∂ℓ/∂W⁽ˡ⁾ ← ∂ℓ/∂W⁽ˡ⁾ + (term) and ∂ℓ/∂b⁽ˡ⁾ ← ∂ℓ/∂b⁽ˡ⁾ + δ:
    ``w_parts``' columns of the board's G (each (its symbol, its first column ≥ 1, its end or None, the
    term, the term with its numbers, its note and the note's symbols): W without column 0 whole, or a
    recurrent layer's W and U apart) and b's (column 0), each term divided by the group's ``m`` in a
    mean profile (G shown as G/m). ``b_term``: (the term, the term with its numbers); None with the bias in
    column 0 (a part from column 0, of the lecture's whole G: a course's recurrent layer); ``more_b``: a bias
    of another column (a GRU's U bias b_{h}) as (its symbol, its column, its view, the term, with numbers)."""
    G0, G1 = np.asarray(step.before, dtype=float), np.asarray(step.value, dtype=float)
    k = m or 1
    per = "/m" if m else ""
    parts: list[tuple[Any, Node, tuple[Node, Node], str, str, tuple[Node, ...]]] = [
        (slice(first, end), lhs, (term, filled), "W" if (first, end) == (1, None) else columns(first, end, whole=b_term is None),
         note, syms)
        for lhs, first, end, term, filled, note, syms in w_parts]
    out = []
    biases = ([(0, E.Gb(l), b_term, "b", "", ())] if b_term is not None else []) + \
        [(col, lhs, (term, filled), view, "", ()) for lhs, col, view, term, filled in more_b]
    for cols, lhs, (term, filled), view, note, syms in parts + biases:
        before = G0[:, cols] / k
        rhs = add(lhs, Op("/", (term, M)) if m else term)
        numbers = add(_n(before, lhs), Op("/", (filled, Num(float(m), exact=True))) if m else filled)
        bind = {**env, lhs: before, **({M: float(m)} if m else {})}
        out.append(Equation(lhs, (rhs, numbers, Arr(G1[:, cols] / k, Ref("G", l, view=view + per))), "←", bind,
                            note=note, note_syms=syms))
    return tuple(out)


def _recurrent_G(net: Any, state: Any, step: Step, l: int, t: int, sep: bool, m: int | None, M: Sym,
                 rows: bool = False) -> tuple[Equation, ...]:
    """G of a recurrent layer at τ as its parts (the kind's ``gradient_parts``: W's, then U's), each under the
    name the panel gives its columns, and b's:

    - a separate b: δ_τ o⁽ˡ⁻¹⁾_τᵀ, δ_τ o⁽ˡ⁾_{τ−1}ᵀ and δ_τ (a GRU's U: δʰ_τ h_{τ−1}ᵀ without U's bias column,
      and that bias's δʰ_τ, b_{h}'s line after b's; ``rows``: the profile's row vectors name b_{h}'s entries
      as its W.T does);
    - the bias in column 0 (a course's profile): W's block with its bias column, δ_τ o⁽ˡ⁻¹⁾_τᵀ (o with its
      1), and U's, δ_τ o⁽ˡ⁾_{τ−1}ᵀ (a GRU's δʰ_τ [1, h_{τ−1}]ᵀ, U's bias its column 0), each a block of the
      lecture's G (G/m in a mean profile): the panel heads them G⁽ˡ⁾ and G⁽ˡ⁾_{U}, and names U's entries
      G⁽ˡ⁾_{U,b,c} by U's own columns."""
    kind = net.kinds[l - 1]
    prev, prev_n, pv = _previous(net, state, kind, l, t)
    dl = RE.delta(l, t)
    dv = np.asarray(state.delta[l][t - 1], dtype=float)
    d_n = RE.arr(dv, "delta", l, t)
    env: dict = {dl: dv, prev: pv}
    x: Node
    if sep:
        x, x_n, xv = _input(net, state, l, t)
        env[x] = xv
    else:  # W's input with its 1 (o⁽⁰⁾_τ = [1, x_τ]; [1, o_τ] above a recurrent layer)
        x, x_n, _, below = RE._below(net, state, l, t)
        env.update(below)
    (_, Gw), (u_first, Gu) = kind.gradient_parts(l)
    more_b: tuple[tuple[Node, int, str, Node, Node], ...] = ()
    w_end = u_first
    u_term: tuple[Node, Node] = (Op("outer", (dl, prev)), Op("outer", (d_n, prev_n)))
    u_note: tuple[str, tuple[Node, ...]] = ("", ())
    if kind.u_bias:
        from .gru_equations import delta_h

        dh = delta_h(l, t)
        dhv = kind.delta_h(state, l, t)
        env[dh] = dhv
        said, syms = RE.delta_h_said()
        u_note = (said + " reaches U's product", syms)
        if sep:  # U without its bias column (U's first column after it), b_{h} apart
            u_term = (Op("outer", (dh, prev)), Op("outer", (_n(dhv, dh), prev_n)))
            more_b = ((u_bias_grad(l), u_first, column(u_first, rows), dh, _n(dhv, dh)),)
            u_first += kind.u_bias
        else:  # U [1, h_{τ−1}], its numbers one vector
            ones = Op("cat1", (prev,))
            u_term = (Op("outer", (dh, ones)), Op("outer", (_n(dhv, dh), Arr(np.concatenate([[1.0], pv]), means=ones))))
    w_parts = [(Gw, 1 if sep else 0, w_end, Op("outer", (dl, x)), Op("outer", (d_n, x_n)), "", ()),
               (Gu, u_first, None, *u_term, *u_note)]
    return _gradient(step, l, m, M, w_parts, (dl, d_n) if sep else None, env, more_b)


def _upper_G(net: Any, state: Any, step: Step, l: int, t: int | None, m: int | None, M: Sym) -> tuple[Equation, ...]:
    """A dense layer's G above a recurrent one: δ⁽ˡ⁾_τ o⁽ˡ⁻¹⁾_τᵀ for W and δ⁽ˡ⁾_τ for b."""
    x, x_n, xv = _input(net, state, l, t)
    dl = RE.delta(l, t)
    dv = np.asarray(state.delta[l] if t is None else state.delta[l][t - 1], dtype=float)
    d_n = RE.arr(dv, "delta", l, t)
    return _gradient(step, l, m, M, [(E.G(l), 1, None, Op("outer", (dl, x)), Op("outer", (d_n, x_n)), "", ())], (dl, d_n),
                     {dl: dv, x: xv})


def _mean(eqs: tuple[Equation, ...], m: int | None, M: Sym) -> tuple[Equation, ...]:
    """The lecture's G ← G + term with the bias in column 0, in a mean profile: G/m ← G/m + term/m."""
    if not m:
        return eqs
    out = []
    for e in eqs:
        lhs = e.lhs
        rhs, numbers, result = e.forms
        assert isinstance(rhs, Op) and isinstance(numbers, Op) and isinstance(result, Arr) and result.ref is not None
        head, term = rhs.args
        before, filled = numbers.args
        assert isinstance(before, Arr)
        out.append(Equation(lhs, (add(head, Op("/", (term, M))),
                                  add(replace(before, values=before.values / m), Op("/", (filled, Num(float(m), exact=True)))),
                                  replace(result, values=result.values / m, ref=replace(result.ref, view="/m"))),
                            e.rel, {**e.bindings, lhs: np.asarray(e.bindings[lhs]) / m, M: float(m)}, e.note,
                            note_syms=e.note_syms))
    return tuple(out)


def _without_drop(eq: Equation, above: int, own: int | None = None) -> Equation:
    """``eq`` with the part from layer ``above``, (W⁽ᵃ⁾ᵀ δ⁽ᵃ⁾)[1:], written with W⁽ᵃ⁾ without its bias
    column: W⁽ᵃ⁾ᵀ δ⁽ᵃ⁾, the same numbers; with ``own``, a GRU's (U⁽ˡ⁾ᵀ δʰ)[1:] of layer ``own`` too (U
    without its bias column, b_{h})."""
    Wa = E.W(above)
    bare_of = {Wa} | ({RE.U(own)} if own is not None else set())

    def bare(n: Node) -> Node:
        if isinstance(n, Op) and n.op == "drop0" and isinstance(n.args[0], Op) and n.args[0].op == "@":
            left = n.args[0].args[0]
            if isinstance(left, Op) and left.op == "T" and left.args[0] in bare_of:
                return n.args[0]
        if isinstance(n, (Arr, Num)) and n.means is not None:
            return replace(n, means=_rebuild(n.means, bare))
        return n

    bindings = {k: (np.asarray(v)[:, 1:] if k in bare_of else v) for k, v in eq.bindings.items()}
    return replace(eq, lhs=_rebuild(eq.lhs, bare), forms=tuple(_rebuild(f, bare) for f in eq.forms), bindings=bindings)


def flip(eq: Equation) -> Equation:
    """``eq`` written with row vectors: every product turned around (W x → x W, Wᵀ δ → δ Wᵀ, δ xᵀ →
    xᵀ δ) with every matrix shown transposed (its values, its bindings and a profile's view W → W.T)."""
    def turn(n: Node) -> Node:
        if isinstance(n, Op) and n.op in ("@", "outer") and len(n.args) == 2:
            return Op(n.op, (n.args[1], n.args[0]))
        if isinstance(n, Op) and n.op == "hcat":
            return Op("vcat", n.args)
        if isinstance(n, Arr):
            values, ref = n.values, n.ref
            if values.ndim == 2:
                values = values.T
                if ref is not None and ref.view.startswith("W") and not ref.view.startswith("W.T"):
                    ref = replace(ref, view="W.T" + ref.view[1:])
            return replace(n, values=values, ref=ref, means=None if n.means is None else _rebuild(n.means, turn))
        if isinstance(n, Num) and n.means is not None:
            return replace(n, means=_rebuild(n.means, turn))
        return n

    bindings = {k: (np.asarray(v).T if np.ndim(v) == 2 else v) for k, v in eq.bindings.items()}
    return replace(eq, forms=tuple(_rebuild(f, turn) for f in eq.forms), bindings=bindings)

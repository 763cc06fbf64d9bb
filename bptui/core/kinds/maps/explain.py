"""Explanations of the cells of a v2 network (feature maps, convolution, pooling): the scalar form
at the cell's position with every number, from :mod:`bptui.core.kinds.maps.equations`.

A map cell is addressed by a tuple: ``Cell("s", l, (k, i, j))`` (0-based, as the array is indexed;
printed 1-based). W and G cells keep (row b, column a) of the layer's weight matrix (a conv layer's:
column 0 the bias, then the kernel in (c, u, v) order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import equations as CE
from ...engine.explain import LOSS, MAX_TERMS, Cell, Explanation, _group_examples, _group_size, _not_yet, _stale, \
    _weights_of_group, builder, current_example, example_pass, group_symbol
from ...formulas.formula import Equation, Node, Num, Partial, Ref, Sum, Sym, add, mul
from .. import Conv2d, Pool2d
from ...formulas.notation import count, sup


def handles(spec: Any, cell: Cell) -> bool:
    """Whether this module explains ``cell`` (the rest is explained as in v1)."""
    if not spec.is_v2 or cell.quantity in ("loss", "W"):
        return False
    l = cell.layer or 0
    kinds = spec.layer_kinds
    if l and (kinds[l - 1].own_steps or (cell.quantity == "delta" and l < spec.L and kinds[l].own_steps)):
        return False  # a kind with steps of its own explains its cells, and the δ under it
    if isinstance(cell.unit, tuple):
        return True
    if cell.quantity == "G":
        return True
    k = spec.layer_kinds[l - 1] if l else None
    return cell.quantity == "s" and k is not None and not k.is_map and k.reads_map  # a vector layer reading a map


def _view(stepper: Any) -> Any:
    """The board with the weights this pass used (before any of the group's update steps)."""
    st = stepper.state.copy()
    st.W = _weights_of_group(stepper)
    st.W_board = stepper.state.W  # conv_equations._wref reads it
    return st


def explain_map(stepper: Any, cell: Cell, digits: int) -> Explanation:
    q, l = cell.quantity, cell.layer or 0
    st, net, spec = stepper.state, stepper.net, stepper.spec
    out = builder(stepper, digits)  # in the stepper's notation
    n = current_example(stepper)
    if q == "G":
        return _explain_G(stepper, cell, digits)
    pos = cell.unit if isinstance(cell.unit, tuple) else None
    board = {"s": st.s, "o": st.o, "delta": st.delta}[q]
    if board[l] is None:
        return _not_yet(cell, f"{out.q(q, l)} comes in this example's {'backward' if q == 'delta' else 'forward'} pass.", out)
    view = _view(stepper)
    if q == "o" and l == 0:
        assert pos is not None
        value = float(st.o[0][pos])
        x = CE._sym("x", 0, *pos)
        out.eq(Equation(CE._sym("o", 0, *pos), (x, Num(value, Ref("o", 0, pos))), bindings={x: value},
                        note="a map input has no bias entry: each convolution has its own bias"))
        out.say(*_unread(net, 0, pos, out.notation))
        return out.done(f"{out.p(CE._sym('o', 0, *pos))} = {out.n(value)}: pixel {_pos(pos, out)} of example n = {n}", value)
    k = net.kind(l)
    if q == "s" and not k.is_map:  # a dense layer reading a map: s_b = Σ_a w_b,a [1, vec(o)]_a
        b = int(cell.unit or 1)
        col = np.concatenate([[1.0], np.asarray(st.o[l - 1]).reshape(-1)])
        W = view.W[l]
        value = float(st.s[l][b - 1])
        terms = [float(W[b - 1, a] * col[a]) for a in range(len(col))]
        i = out.index
        w_a, o_a = Sym("w", l, (b, i)), Sym("o", l - 1, (i,))
        sep = out.separate  # a profile's b apart: the sum over vec(o) and then b_b
        products = [Num(float(W[b - 1, a]), Ref("W", l, (b - 1, a)) if view.W[l] is st.W[l] else None) if sep and a == 0
                    else mul(Num(float(W[b - 1, a]), Ref("W", l, (b - 1, a)) if view.W[l] is st.W[l] else None),
                             Num(float(col[a]), Ref("o", l - 1, tuple(int(i) for i in np.unravel_index(a - 1, k.in_shape)))
                                 if a else None, exact=a == 0)) for a in range(len(col))]
        filled = add(*(products[1:] + products[:1] if sep else products))
        lhs = Sym("s", l, (b,))
        rule = add(Sum(i, mul(w_a, o_a)), Sym("w", l, (b, 0))) if sep else Sum(i, mul(w_a, o_a))
        env = {w_a: W[b - 1, 1:], o_a: col[1:]} if sep else {w_a: W[b - 1], o_a: col}
        note = (f"{out.p(Sym('o', l - 1, vector=True))} flattened in C, H, W order; {i} = {out.units(1, len(col) - 1)}; "
                f"{out.p(Sym('w', l, (b, 0)))} is the bias" if sep else
                "{} here is [1, vec({})], the map flattened in C, H, W order; " + i + " = 0 … " + str(len(col) - 1))
        out.eq(Equation(lhs, (rule, filled, Num(value, Ref("s", l, (b - 1,)))), bindings={**env, Sym("w", l, (b, 0)): W[b - 1, 0]},
                        note=note, note_syms=() if sep else (Sym("o"), Sym("o", l - 1, vector=True))))
        out.say(*_stale(stepper, l))
        return out.done(f"{out.p(lhs)} = {out.n(value)}: unit {out.unit(b)} of layer {out.layer(l)}, reading the whole map below", value, terms)
    assert pos is not None
    below = out.p(Sym("o", l - 1, vector=True))
    if q == "s":
        eq = CE.conv_s_at(net, view, l, pos)
        what = f"the pre-activation of channel {out.unit(pos[0] + 1)} at position {_pos(pos[1:], out)}"
        assert isinstance(k, Conv2d)
        rows, cols = k.receptive_field(pos[1], pos[2])
        extra: tuple[str, ...] = (f"its receptive field: rows {out.unit(rows.start + 1)}…{out.unit(rows.stop)} and columns "
                                  f"{out.unit(cols.start + 1)}…{out.unit(cols.stop)} "
                 f"of {below} (every channel), with kernel {out.unit(pos[0] + 1)}",)
        if CE.unread_lines(k, out.notation):
            extra += (f"{CE.unread_lines(k, out.notation)} of {below} are never read: {k.count_text(0)} windows down and "
                      f"{k.count_text(1)} across, as PyTorch counts them (the panels mark them ×)",)
    elif q == "o":
        eq = CE.pool_o_at(view, l, k, pos) if isinstance(k, Pool2d) else CE.conv_o_at(net, view, l, pos)
        what = f"the output of channel {out.unit(pos[0] + 1)} at {_pos(pos[1:], out)}"
        extra = ()
        if not k.has_s and CE.unread_lines(k, out.notation):
            extra = (f"{CE.unread_lines(k, out.notation)} of {below} are never read: {k.count_text(0)} windows down and "
                     f"{k.count_text(1)} across, as PyTorch counts them (the panels mark them ×)",)
    else:
        eq = CE.back_delta_at(net, view, l, n, pos, out.notation)
        what = f"{out.p(Partial(LOSS, Sym('o' if isinstance(k, Pool2d) else 's', l, vector=True), prefixed=True))} at {_pos(pos, out)}" + \
            f", how the loss of example n = {n} moves with it"
        extra = ()
    out.eq(eq)
    out.say(*extra)
    out.say(*_unread(net, l, pos, out.notation))
    out.say(*_stale(stepper, l + (1 if q == "delta" else 0)))
    value = float(np.asarray(board[l])[pos])
    return out.done(f"{out.p(eq.lhs)} = {out.n(value)}: {what}", value)


def _unread(net: Any, l: int, pos: tuple, P: Any = None) -> tuple[str, ...]:
    """Why the map entry ``pos`` of layer l does not reach the loss, when the layer above reads no
    window over it (its stride leaves it out)."""
    if l >= net.L:
        return ()
    text = CE.unread_at(net.kind(l + 1), l + 1, pos, P)
    return (text,) if text else ()


def _pos(pos: tuple, out: Any) -> str:
    """A map position (from 0) as the builder's notation numbers units: from 1, or from 0 (cs231n)."""
    return "(" + ", ".join(str(out.unit(p + 1)) for p in pos) + ")"


def _explain_G(stepper: Any, cell: Cell, digits: int) -> Explanation:
    """G_b,a⁽ˡ⁾: Σₙ of each example's ∂ℓ⁽ⁿ⁾/∂w_b,a⁽ˡ⁾ (for a kernel weight: Σ_i,j δ o over the positions)."""
    st, net, spec = stepper.state, stepper.net, stepper.spec
    l, b, a = cell.layer or 0, int(cell.unit or 1), int(cell.column or 0)
    k = net.kind(l)
    out = builder(stepper, digits)
    m = _group_size(stepper) if out.mean else 1  # a mean profile shows G/m
    value = float(st.G[l][b - 1, a]) / m
    lhs = k.grad_sym(l, b - 1, a)
    examples = _group_examples(stepper, l)
    w = out.p(k.weight_sym(l, b - 1, a))
    loss = out.p(Sym("ℓ", latex=r"\ell"))
    meaning = (f"∂{loss}/∂{w} ({'a bias' if a == 0 else 'a weight'} of layer {out.layer(l)}), "
               + (f"averaged over the m = {count(m, 'example')} of this update group: the terms so far, each divided by m"
                  if out.mean else "summed over this update group's examples so far"))
    if not examples:
        return Explanation(f"{out.p(lhs)} = 0: {meaning} (none yet)",
                           (f"{out.p(lhs)} = 0: {out.q('G', l)} is zeroed at the start of each update group",), value,
                           notation=out.notation)
    W = _weights_of_group(stepper)
    terms = []
    for n in examples:
        o, delta = example_pass(net, W, n, stepper.where().epoch)
        terms.append(float(k.grad_one(W[l], delta[l], o[l - 1])[b - 1, a]))
    g = Sym("g", l, ("n",))
    rule = (Sum("i,j", mul(Sym("δ", None, ("k", "i", "j"), latex=r"\delta"), Sym("o", None, ("c", "r", "q"))))
            if isinstance(k, Conv2d) else mul(Sym("δ", None, ("b",), latex=r"\delta"), Sym("o", None, ("a",))))
    over = " over the output positions" if isinstance(k, Conv2d) else ""
    ref = Ref("G", l, (b - 1, a))
    summed: list[Node] = [Sum("n", g), add(*[Num(t) for t in terms]) if len(terms) > 1 else Num(terms[0])]
    if out.mean:  # (Σₙ g⁽ⁿ⁾)/m, as the profile shows G
        from ...formulas.formula import Op
        from ...engine.equations import layer_ref

        M = group_symbol(spec.optimizer, spec.kinds or ())
        assert out.notation is not None
        forms: list[Node] = [Op("/", (f, M if i == 0 else Num(float(m), exact=True))) for i, f in enumerate(summed)]
        forms.append(Num(value, layer_ref(ref, out.notation, spec.L, spec.kinds or ())))  # a kernel's G: its row
        terms = [t / m for t in terms]
        env: dict = {g: np.array(terms) * m, M: float(m)}
    else:
        forms = [*summed, Num(value, ref)]
        env = {g: np.array(terms)}
    ns = [n + 1 for n in examples]
    listed = ", ".join(map(str, ns)) if len(ns) <= MAX_TERMS else f"{len(ns)} examples"
    named = out.p(g) if out.notation is not None else "g⁽ⁿ⁾"  # as the equation prints it (goodfellow's ĝ)
    out.eq(Equation(lhs, tuple(forms), bindings=env, note=f"{named} = {{}}{over} of example n = {listed}", note_syms=(rule,)))
    return out.done(f"{out.p(lhs)} = {out.n(value)}: {meaning}", value, terms)

"""The equations of a network with residual blocks, where they differ from the lecture's chain.

A layer reads o⁽ˢʳᶜ⁾ (the wiring's source: a block's first inner layer reads the block's input, the
layer after a block reads the block's output), so its s and G name that o; a layer's ∂ℓ/∂o⁽ˡ⁾ comes
from the layer that reads o⁽ˡ⁾ first (or, for the last layer of a block, from the block's output,
which adds o⁽ˡ⁾ with factor 1); the block's own steps are o⁽ᵏ⁾ = [1, x + F(x)] and the fan-in
∂ℓ/∂x⁽ᵏ⁾ = ∂ℓ/∂o⁽ᵏ⁾ + the inner path's part. Every other step (o = f(s), the loss, the output δ,
the updates) is the dense path's (core/engine/equations.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..engine import equations as E
from ..engine.schedule import BACKWARD, FORWARD
from ..engine.kind import own_step
from ..engine.wiring import Wiring, send_one, up_one
from ..formulas.formula import Arr, Equation, Node, Op, Ref, Sym, _rebuild, add, group, mul, substitute
from ..ops.activations import IDENTITY_NOTE
from .residual import dx_sym


def _wiring(net: Any) -> Wiring | None:
    return getattr(net, "wiring", None)


def claims(net: Any, key: Any) -> bool:
    """A block's own step, or a step of a layer whose wires are not the lecture's (it reads
    o⁽ˢʳᶜ⁾ ≠ o⁽ˡ⁻¹⁾, or its ∂ℓ/∂o does not come from W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)."""
    w = _wiring(net)
    l = key.layer
    if w is None or l is None or key.phase not in (FORWARD, BACKWARD) or net.spec.lengths is not None:
        return False  # on sequences: the kind that steps them writes a block's steps at τ
    if own_step(net, key):  # a layer norm's or dropout layer's steps, and the δ under one: its kind's
        return False
    k = net.kinds[l - 1]
    if k.span:
        return True
    if key.quantity in ("s", "G"):
        return w.src[l] != l - 1
    if key.quantity == "delta" and l < net.L:
        return w.outer(l) != l or w.sender[l] != l + 1 or bool(net.kinds[l].span)
    return False


def up_form(net: Any, state: Any, l: int, P: Any = None) -> tuple[Node, np.ndarray, dict, str]:
    """∂ℓ/∂o⁽ˡ⁾ (units) as the layer reading it sends it down: its form, its value, the bindings and a
    note when it arrives through a block's output (F's last layer); in the profile ``P`` (None: the lecture's)."""
    w: Wiring = net.wiring
    top = w.outer(l)
    node, value, env = send_form(net, state, w.sender[top], P)
    o_l, o_top = _name(E.o(l), P), _name(E.o(top), P)
    note = "" if top == l else f"{o_l} enters {o_top} = x + F(x) with factor 1: {_name(_do(l), P)} = {_name(_do(top), P)}"
    return node, value, env, note


def _name(node: Node, P: Any) -> str:
    """A note's name of ``node`` in the profile ``P`` (None: the lecture's)."""
    from ..formulas.formula import TextPrinter

    return TextPrinter(notation=P).p(node)


def _do(l: int) -> Node:
    from ..formulas.formula import Partial, Sym

    return Partial(Sym("ℓ", latex=r"\ell"), E.o(l), prefixed=True)


def send_node(net: Any, c: int | str, block: bool) -> Node:
    """What layer c sends down to its input: a dense layer's (W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾)[1:], a block's ∂ℓ/∂x⁽ᶜ⁾."""
    return dx_sym(c) if block else Op("drop0", (Op("@", (Op("T", (E.W(c),)), E.delta(c))),))


def send_form(net: Any, state: Any, c: int, P: Any = None) -> tuple[Node, np.ndarray, dict]:
    """:func:`send_node` with its value on the board and its bindings (a layer norm's or dropout
    layer's: its ∂ℓ/∂x⁽ᶜ⁾, as the board holds it); a dense layer's in the profile ``P`` (a separate b:
    W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾ with W without its column 0)."""
    k = net.kinds[c - 1]
    if k.span or k.own_steps:
        sym = dx_sym(c) if k.span else k.dx_sym(c)
        return sym, state.delta[c], {sym: state.delta[c]}
    if P is not None and P.separate_bias:
        node, _, env = E.sent_down(state, c, P)
        return node, (state.W[c].T @ state.delta[c])[1:], env
    return (send_node(net, c, False), (state.W[c].T @ state.delta[c])[1:],
            {E.W(c): state.W[c], E.delta(c): state.delta[c]})


def _filled(node: Node, value: np.ndarray, c: int, net: Any, together: tuple = ()) -> Node:
    """``node`` with its numbers: a block's ∂ℓ/∂x⁽ᶜ⁾ as the board holds it, a product as its result (a fan-in's
    part: written in one form ``together`` with the arrays its block's panel shows it with)."""
    k = net.kinds[c - 1]
    return E._arr(value, "delta", c) if k.span or k.own_steps else Arr(np.asarray(value), means=node, together=together)


def shown_together(net: Any, state: Any, l: int, quantity: str) -> tuple[np.ndarray, ...]:
    """What block l's panel writes in one format with its ``quantity`` (tui/block_sheet.py): its o with x and
    F(x) over the units, its ∂ℓ/∂x⁽ˡ⁾ with the fan-in's two parts (the skip's, the inner path's), those on the
    board; () for a layer that is no block, or another quantity. An equation writes the array in the form
    the panel writes it in."""
    w: Wiring | None = _wiring(net)
    if w is None or not 1 <= l <= net.L or not net.kinds[l - 1].span:
        return ()
    units = net.spec.widths[l]
    if quantity == "o":
        return tuple(state.o[a][-units:] for a in (w.src[l], w.tail[l]) if state.o[a] is not None)
    if quantity == "delta" and state.delta[l] is not None:
        return (up_one(net, state, l), send_one(net, state, l + 1))
    return ()


def _panel_forms(net: Any, state: Any, eqs: tuple[Equation, ...]) -> tuple[Equation, ...]:
    """``eqs`` with each block's o and ∂ℓ/∂x (as the board holds them, or o without its 1) to be written in one
    form with the arrays the block's panel shows them with (:func:`shown_together`)."""
    def give(n: Node) -> Node:
        if not isinstance(n, Arr):
            return n
        ref = n.ref
        if ref is None or ref.index is not None or ref.layer is None or (ref.quantity, ref.view) not in PANEL_GROUPS:
            return n
        together = shown_together(net, state, ref.layer, ref.quantity)
        return replace(n, together=together) if together else n

    if not any(k.span for k in net.kinds):
        return eqs
    return tuple(replace(eq, forms=tuple(_rebuild(f, give) for f in eq.forms)) for eq in eqs)


PANEL_GROUPS = {("o", ""), ("o", "x"), ("delta", "")}  # a block's arrays its panel writes with others


def step_equations(net: Any, state: Any, step: Any, P: Any = None) -> tuple[Equation, ...]:
    """Step ``step``'s equations (:func:`_step_equations`), each block's o and ∂ℓ/∂x in the form its panel
    writes it in."""
    return _panel_forms(net, state, _step_equations(net, state, step, P))


def _step_equations(net: Any, state: Any, step: Any, P: Any = None) -> tuple[Equation, ...]:
    """Step ``step``'s equations, in the notation profile ``P`` (None: the lecture's): with a separate b,
    s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˢʳᶜ⁾ + b⁽ˡ⁾, o⁽ᵏ⁾ = x + F(x) and what a dense layer sends down W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾, no 1 on top
    of o; the gradients of W and b apart and, with a mean gradient, G/m."""
    w: Wiring = net.wiring
    key = step.key
    l = key.layer
    x = w.src[l]
    P = P if P is not None and P.name != "lecture13" else None
    sep = P is not None and P.separate_bias
    rhs: Node
    if key.quantity == "s" and sep:
        return (E.separate_s(net, state, step, P, x),)
    if key.quantity == "G" and P is not None and (sep or P.mean):
        m = E.group_size(net, key) if P.mean else None
        return E._gradient(state, step, l, sep, m, P.vectors == "row", net.L,
                           E.group_symbol(net.spec.optimizer, net.kinds), src=x)
    if key.quantity == "o" and sep:  # the block's output: x + F(x), no 1 on top
        t = w.tail[l]
        rhs = add(E.o(x), E.o(t))
        values: dict[Node, Node] = {E.o(x): Arr(state.o[x][1:], Ref("o", x, view="x")), E.o(t): Arr(state.o[t][1:], Ref("o", t, view="x"))}
        return (Equation(E.o(l), (rhs, substitute(rhs, values), Arr(np.asarray(step.value)[1:], Ref("o", l, view="x"))),
                         bindings={E.o(x): state.o[x][1:], E.o(t): state.o[t][1:]},
                         note=f"x = {_name(E.o(x), P)}, F(x) = {_name(E.o(t), P)}: the skip adds the block's input "
                              "to its layers' output"),)
    if key.quantity == "s":
        rhs = Op("@", (E.W(l), E.o(x)))
        values = {E.W(l): E._arr(state.W[l], "W", l), E.o(x): E._arr(state.o[x], "o", x)}
        return (Equation(E.s(l), (rhs, substitute(rhs, values), E._arr(step.value, "s", l)),
                         bindings={E.W(l): state.W[l], E.o(x): state.o[x]}),)
    if key.quantity == "G":
        rhs = add(E.G(l), Op("outer", (E.delta(l), E.o(x))))
        env = {E.G(l): step.before, E.delta(l): state.delta[l], E.o(x): state.o[x]}
        values = {E.G(l): E._arr(step.before, means=E.G(l)), E.delta(l): E._arr(state.delta[l], "delta", l),
                  E.o(x): E._arr(state.o[x], "o", x)}
        return (Equation(E.G(l), (rhs, substitute(rhs, values), E._arr(step.value, "G", l)), "←", env),)
    if key.quantity == "o":  # the block's output: x + F(x) over the units, x's bias entry kept
        t = w.tail[l]
        rhs = Op("cat1", (add(Op("drop0", (E.o(x),)), Op("drop0", (E.o(t),))),))
        values = {E.o(x): E._arr(state.o[x], "o", x), E.o(t): E._arr(state.o[t], "o", t)}
        return (Equation(E.o(l), (rhs, substitute(rhs, values), E._arr(step.value, "o", l)),
                         bindings={E.o(x): state.o[x], E.o(t): state.o[t]},
                         note=f"x = o{E._sup(x)}, F(x) = o{E._sup(t)}: the skip adds the block's input to its layers' output"),)
    up, up_value, env, note = up_form(net, state, l, P)
    result = E._arr(step.value, "delta", l)
    if net.kinds[l - 1].span:  # the fan-in: the skip's part and the inner path's part
        inner, inner_value, more = send_form(net, state, l + 1, P)
        rhs = add(up, inner)
        total = np.asarray(step.value)  # the fan-in's parts: in one form with it, as its panel writes them
        numbers = add(_filled(up, up_value, w.sender[w.outer(l)], net, (inner_value, total)),
                      _filled(inner, inner_value, l + 1, net, (up_value, total)))
        first = l + 1 if P is None else P.layer_number(l + 1)
        why = (f"x reaches {_name(_loss_sym(), P)} twice: through the skip ({_name(_do(l), P)}) and through the "
               f"block's first layer {first}" + (f"; {note}" if note else ""))
        return (Equation(dx_sym(l), (rhs, numbers, result), bindings={**env, **more}, note=why),)
    if net.act(l).derivative_is_one:
        return (Equation(E.delta(l), (up, result), bindings=env, note="; ".join(filter(None, [note, IDENTITY_NOTE]))),)
    df = E.fprime(net, l, E.s(l), E.o(l) if sep else E.units(net, l))  # a separate b: o⁽ˡ⁾ is its units
    fp = net.df(l, state.s[l], net.units(l, state.o[l]))
    env = {**env, E.s(l): state.s[l], E.o(l): net.units(l, state.o[l]) if sep else state.o[l], **E._alpha(net, l)}
    shown_up = group(up) if sep and not isinstance(up, Sym) else up  # W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾ in brackets before ⊙
    top = w.outer(l)  # F's last layer: ∂ℓ/∂o⁽ˡ⁾ is the skip's part of block top's fan-in, in its form there
    part = (*shown_together(net, state, top, "delta"), state.delta[top]) if top != l and state.delta[top] is not None else ()
    return (Equation(E.delta(l), (mul(shown_up, df), mul(_filled(up, up_value, w.sender[top], net, part), Arr(fp, means=df)), result),
                     bindings=env, note=note),)


def _loss_sym() -> Node:
    from ..formulas.formula import Sym

    return Sym("ℓ", latex=r"\ell")


def _sent(net: Any, c: int, P: Any = None) -> Node:
    """What layer c sends down, as the rules write it: a dense layer's (W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾)[1:] (a profile ``P`` with a
    separate b: W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾, with row vectors δ⁽ᶜ⁾ W⁽ᶜ⁾ᵀ, as its steps: ``equations.sent_node``), a block's
    ∂ℓ/∂x⁽ᶜ⁾, and the ∂ℓ/∂x⁽ᶜ⁾ of a kind that writes its own (a layer norm, dropout, attention)."""
    k = net.kinds[c - 1]
    if k.plain and P is not None and P.separate_bias:
        return E.sent_node(c, P)
    if k.span or k.plain:
        return send_node(net, c, bool(k.span))
    return k.dx_sym(c)


def rules(net: Any, l: int, P: Any = None) -> list | None:
    """A block's lines of the network's rules: its output and its fan-in (the skip's part and the
    inner path's, each as the layer sends it); in the profile ``P`` with a separate b, o = x + F(x) with
    no 1 on top and a dense layer's part W⁽ᶜ⁾ᵀ δ⁽ᶜ⁾."""
    w: Wiring = net.wiring
    x, t = w.src[l], w.tail[l]
    sep = P is not None and P.name != "lecture13" and P.separate_bias
    joined = add(E.o(x), E.o(t)) if sep else Op("cat1", (add(Op("drop0", (E.o(x),)), Op("drop0", (E.o(t),))),))
    out = Equation(E.o(l), (joined,), note=f"residual block: x = {_name(E.o(x), P)}, F(x) = {_name(E.o(t), P)}")
    top = w.sender[w.outer(l)]  # the layer that reads o⁽ˡ⁾ (for a block ending a block: the outer one's reader)
    fan = Equation(dx_sym(l), (add(_sent(net, top, P if sep else None), _sent(net, l + 1, P if sep else None)),),
                   note=f"the skip's part, then the inner path's; the layer below the block reads {_name(dx_sym(l), P)} "
                        f"as its {_name(_do(x), P)}")
    return [out, fan]


def shared_rules(net: Any, P: Any = None) -> list:
    """Once per network with blocks: a layer's s and G read o⁽ˢʳᶜ⁾, the output its own list hands it; in
    the profile ``P`` (None: the lecture's) as its dense layers write s and G (a separate b, row vectors)."""
    sep = P is not None and P.separate_bias
    rows = P is not None and P.vectors == "row"
    src, l = E.o("src"), "l"
    product = Op("@", (src, E.W(l)) if rows else (E.W(l), src))
    return [Equation(E.s(l), (add(product, E.b(l)) if sep else product,),
                     note="{}: the output before layer l in its own list of layers (a block's first layer reads "
                          "the block's input, the layer after a block the block's output); {}'s gradient reads it "
                          "in place of {}", note_syms=(src, E.W(l), E.o("l-1")))]

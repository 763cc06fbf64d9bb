"""The equations of layer normalisation's and dropout's steps, with their numbers (formula trees of
:mod:`bptui.core.formulas.formula`), and their lines of the network's rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...engine.schedule import FORWARD
from ...formulas.formula import Arr, Equation, LayerNo, Node, Num, Op, Ref, Sum, Sym, Call, add, const, group, mul, sub
from .base import Unitwise, loss_of


def _syms(l: int | str) -> dict[str, Sym]:
    return {
        "x": Sym("x", l, vector=True), "xb": Sym("x", l, ("b",)), "u": Sym("u", l, vector=True),
        "ub": Sym("u", l, ("b",)), "mu": Sym("μ", l, latex=r"\mu"), "var": Sym("σ²", l, latex=r"{\sigma^2}"),
        "gamma": Sym("γ", l, vector=True, latex=r"\gamma"), "beta": Sym("β", l, vector=True, latex=r"\beta"),
        "o": Sym("o", l, vector=True), "m": Sym("m", l, vector=True), "eps": Sym("ε", latex=r"\varepsilon"),
        "p": Sym("p"), "Gb": Sym("G", l, ("β",), vector=True), "Gg": Sym("G", l, ("γ",), vector=True),
        "G": Sym("G", l, vector=True),
    }


def _root(S: dict[str, Sym]) -> Node:
    return Call("sqrt", (add(S["var"], S["eps"]),))


def _du(k: Unitwise, l: int | str) -> tuple[Node, Node]:
    """∂ℓ/∂u⁽ˡ⁾ and its entry b."""
    from ...formulas.formula import Partial

    return Partial(loss_of(), Sym("u", l, vector=True), prefixed=True), Partial(loss_of(), Sym("u", l, ("b",)), prefixed=True)


def _three_terms(k: Unitwise, l: int | str) -> Node:
    """(∂ℓ/∂u − (1/d)Σ_b ∂ℓ/∂u_b − u ⊙ (1/d)Σ_b ∂ℓ/∂u_b u_b) / √(σ² + ε)"""
    S = _syms(l)
    du, dub = _du(k, l)
    d = const(k.out_size)
    inner = sub(sub(du, Op("/", (Sum("b", dub), d))), mul(S["u"], group(Op("/", (Sum("b", mul(dub, S["ub"])), d)))))
    return Op("/", (group(inner), _root(S)))


def rules(k: Unitwise, l: int, P: Any = None, net: Any = None) -> list[Equation]:
    """The layer's lines of the network's rules, without numbers (in the profile ``P``: no 1 on top of o
    with a separate b, γ's and β's gradients G/m with a mean gradient)."""
    S = _syms(l)
    d = const(k.out_size)
    dx = k.dx_sym(l)
    do = k.do_sym(l)
    P = P if P is not None and P.name != "lecture13" else None
    sep = P is not None and P.separate_bias
    cat = (lambda n: Op("cat1", (n,))) if k.bias_entry and not sep else (lambda n: n)
    if P is not None and P.mean and net is not None:
        from ...engine.equations import group_symbol

        M = group_symbol(net.spec.optimizer, net.kinds)
        per = (lambda n: Op("/", (group(n), M)))
    else:
        per = (lambda n: n)
    if k.type == "dropout":
        return [Equation(S["o"], (cat(Op("/", (mul(S["m"], S["x"]), group(sub(const(1), S["p"]))))),)),
                Equation(dx, (Op("/", (mul(S["m"], do), group(sub(const(1), S["p"])))),))]
    du, _ = _du(k, l)
    return [Equation(S["mu"], (Op("/", (Sum("b", S["xb"]), d)),)),
            Equation(S["var"], (Op("/", (Sum("b", Op("sq", (sub(S["xb"], S["mu"]),))), d)),)),
            Equation(S["u"], (Op("/", (group(sub(S["x"], S["mu"])), _root(S))),)),
            Equation(S["o"], (cat(add(mul(S["gamma"], S["u"]), S["beta"])),)),
            Equation(du, (mul(S["gamma"], do),)),
            Equation(dx, (_three_terms(k, l),)),
            Equation(S["Gb"], (add(S["Gb"], per(do)),), "←"),
            Equation(S["Gg"], (add(S["Gg"], per(mul(do, S["u"]))),), "←")]


def _arr(x: Any, ref: Ref | None = None, means: Node | None = None) -> Node:
    a = np.asarray(x, dtype=float)
    return Num(float(a), ref, means=means) if a.ndim == 0 else Arr(a, ref, means=means)


class Shown:
    """How a notation profile ``P`` (None: the lecture's) writes a unit-wise layer's numbers: with a
    separate b, a vector's o⁽ˡ⁾ without its 1 on top (the board's row, view "x") and what a dense layer
    above sends down as W⁽ʳ⁾ᵀ δ⁽ʳ⁾ with W without its column 0; with a mean gradient, γ's and β's
    gradients divided by the update group's m (``per``: the view's "/m")."""

    def __init__(self, k: Unitwise, net: Any, key: Any, P: Any = None) -> None:
        from ...engine import equations as E

        self.P = P if P is not None and P.name != "lecture13" else None
        self.sep = self.P is not None and self.P.separate_bias and k.bias_entry
        self.rows = self.P is not None and self.P.vectors == "row"
        self.mean = self.P is not None and self.P.mean
        self.m = E.group_size(net, key) if self.mean else 1
        self.M = E.group_symbol(net.spec.optimizer, net.kinds)
        self.per = "/m" if self.mean else ""

    def cat(self, node: Node, k: Unitwise) -> Node:
        """o⁽ˡ⁾'s right-hand side: [1, node] for a vector in the lecture, node itself with a separate b."""
        return Op("cat1", (node,)) if k.bias_entry and not self.sep else node

    def o(self, value: Any, l: int) -> Node:
        """o⁽ˡ⁾ as the profile shows it (without its 1 with a separate b)."""
        if self.sep:
            return Arr(np.asarray(value, dtype=float)[1:], Ref("o", l, view="x"))
        return _arr(value, Ref("o", l))


def handed_down(k: Unitwise, net: Any, state: Any, l: int, g: np.ndarray, P: Any = None) -> Equation:
    """∂ℓ/∂o⁽ˡ⁾ = what the layer r reading o⁽ˡ⁾ (l + 1, or along a residual block's wires) hands down:
    (W⁽ʳ⁾ᵀ δ⁽ʳ⁾)[1:] from a dense layer, its ∂ℓ/∂x⁽ʳ⁾ from a layer with steps of its own or a block (its
    fan-in); through a block's output (F's last layer), as that block's reader hands it down."""
    from ...engine.wiring import reader, source

    do = k.do_sym(l)
    r = reader(net, l)
    above = net.kind(r)
    result = _arr(g, means=do)
    if source(net, r) != l:  # o⁽ˡ⁾ is F's output: it enters its block's x + F(x) with factor 1
        return Equation(do, (result,), note=f"{named(P, 'o', l)} enters a residual block's output with factor 1: "
                                             "handed down by layer {}'s backward step", note_syms=(LayerNo(r),))
    if above.own_steps or above.span:
        return Equation(do, (above.dx_sym(r), result), bindings={above.dx_sym(r): g},
                        note=f"{named(P, 'dx', r)} of layer {r if P is None else P.layer_number(r)}: its input is {named(P, 'o', l)}")
    if above.plain:
        from ...engine.equations import sent_down

        rhs, numbers, env = sent_down(state, r, P)
        return Equation(do, (rhs, numbers, result), bindings=env)
    return Equation(do, (result,), note="handed down by layer {}'s backward step", note_syms=(LayerNo(r),))


def _x(k: Unitwise, net: Any, state: Any, l: int, sep: bool = False) -> tuple[np.ndarray, Ref | None]:
    """x⁽ˡ⁾, the units of the o this layer reads (o⁽ˡ⁻¹⁾, or along a residual block's wires), and its place
    on the board: a map's o as it is; none for a vector's (o without its bias entry 1 is no board row)."""
    from ...engine.wiring import source

    src = source(net, l)
    o = np.asarray(state.o[src])
    if k.bias_entry:  # a profile with a separate b shows o without its 1: x is that board row
        return o[1:], Ref("o", src, view="x") if sep and src < net.L else None
    return o, Ref("o", src)


def step_equations(k: Unitwise, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None,
                   P: Any = None) -> tuple:
    """Step ``step``'s equations, in the notation profile ``P`` (None: the lecture's; :class:`Shown`)."""
    key = step.key
    l = key.layer
    if net.kind(l) is not k:  # the dense layer below
        return below_delta(k, net, state, step, pos, P)
    how = Shown(k, net, key, P)
    if k.type == "dropout":
        return _dropout(k, net, state, step, l, pos, how)
    S = _syms(l)
    x, x_ref = _x(k, net, state, l, how.sep)
    d = k.out_size
    mu, var = float(x.mean()), float(((x - x.mean()) ** 2).mean())
    eps = Num(k.eps, exact=True)
    W = state.W[l]
    gamma, beta = W[:, 1], W[:, 0]
    u = np.asarray(state.s[l])
    if key.phase == FORWARD and key.quantity == "u":
        dd = const(d)
        e_mu = Equation(S["mu"], (Op("/", (Sum("b", S["xb"]), dd)), Op("/", (Num(float(x.sum()), means=Sum("b", S["xb"])), dd)),
                                  Num(mu)), bindings={S["xb"]: x})
        sq = Sum("b", Op("sq", (sub(S["xb"], S["mu"]),)))
        e_var = Equation(S["var"], (Op("/", (sq, dd)), Op("/", (Num(float(((x - mu) ** 2).sum()), means=sq), dd)), Num(var)),
                         bindings={S["xb"]: x, S["mu"]: mu})
        rhs = Op("/", (group(sub(S["x"], S["mu"])), _root(S)))
        numbers = Op("/", (group(sub(Arr(x, x_ref, means=S["x"]), Num(mu, means=S["mu"]))),
                           Call("sqrt", (add(Num(var, means=S["var"]), eps),))))
        e_u = Equation(S["u"], (rhs, numbers, _arr(step.value, Ref("s", l))),
                       bindings={S["x"]: x, S["mu"]: mu, S["var"]: var, S["eps"]: k.eps})
        return e_mu, e_var, e_u
    if key.phase == FORWARD:
        o_rhs = how.cat(add(mul(S["gamma"], S["u"]), S["beta"]), k)
        o_numbers = how.cat(add(mul(Arr(gamma, means=S["gamma"]), Arr(u, Ref("s", l))), Arr(beta, means=S["beta"])), k)
        return (Equation(S["o"], (o_rhs, o_numbers, how.o(step.value, l)),
                         bindings={S["gamma"]: gamma, S["u"]: u, S["beta"]: beta}),)
    g = np.asarray(state.extra[("do", l)])
    do = k.do_sym(l)
    if key.quantity == "dx":
        du_sym, dub = _du(k, l)
        gu = gamma * g
        e_do = handed_down(k, net, state, l, g, how.P)
        e_du = Equation(du_sym, (mul(S["gamma"], do), mul(Arr(gamma, means=S["gamma"]), Arr(g, means=do)),
                                 Arr(gu, means=du_sym)), bindings={S["gamma"]: gamma, do: g})
        dd = const(d)
        m1, m2 = float(gu.mean()), float((gu * u).mean())
        numbers = Op("/", (group(sub(sub(Arr(gu, means=du_sym), Num(m1, means=Op("/", (Sum("b", dub), dd)))),
                                     mul(Arr(u, Ref("s", l)), Num(m2, means=Op("/", (Sum("b", mul(dub, S["ub"])), dd)))))),
                           Call("sqrt", (add(Num(var, means=S["var"]), eps),))))
        e_dx = Equation(k.dx_sym(l), (_three_terms(k, l), numbers, _arr(step.value, Ref("delta", l))),
                        bindings={du_sym: gu, dub: gu, S["u"]: u, S["ub"]: u, S["var"]: var, S["eps"]: k.eps},
                        note="the paths through x itself, through μ and through σ")
        return e_do, e_du, e_dx
    # G: β's column and γ's column, each summed over the examples of the update group (a mean profile:
    # each example adds its term divided by the group's m)
    m = how.m
    before = np.asarray(step.before) / m
    after = np.asarray(step.value) / m
    M = how.M

    def per(term: Node) -> Node:
        return Op("/", (group(term), M)) if how.mean else term

    env_m: dict[Any, Any] = {M: m} if how.mean else {}
    M_n: dict[Node, Node] = {M: Num(float(m), exact=True)} if how.mean else {}
    from ...formulas.formula import substitute

    rhs_b = add(S["Gb"], per(do))
    e_b = Equation(S["Gb"], (rhs_b, substitute(rhs_b, {S["Gb"]: Arr(before[:, 0], means=S["Gb"]), do: Arr(g, means=do), **M_n}),
                             Arr(after[:, 0], Ref("G", l, view="b" + how.per) if how.P is not None else None)),
                   "←", bindings={S["Gb"]: before[:, 0], do: g, **env_m})
    rhs_g = add(S["Gg"], per(mul(do, S["u"])))
    e_g = Equation(S["Gg"], (rhs_g, substitute(rhs_g, {S["Gg"]: Arr(before[:, 1], means=S["Gg"]), do: Arr(g, means=do),
                                                       S["u"]: Arr(u, Ref("s", l)), **M_n}),
                             Arr(after[:, 1])), "←", bindings={S["Gg"]: before[:, 1], do: g, S["u"]: u, **env_m})
    if how.P is not None and how.P.separate_bias:  # γ's as the weights' part of G (a column; a row with row
        shown = after[:, 1:].T if how.rows else after[:, 1:]  # vectors), β's being its b
        return e_b, e_g, Equation(S["Gg"], (Arr(shown, Ref("G", l, view=("W.T" if how.rows else "W") + how.per)),),
                                  note="γ's gradients as the weights' part of G (β's are its b)")
    col = (lambda a: np.asarray(a, dtype=float).reshape(-1, 1))
    e_G = Equation(S["G"], (Op("hcat", (S["Gb"], S["Gg"])), _arr(after, Ref("G", l, view=how.per))),
                   bindings={S["Gb"]: col(after[:, 0]), S["Gg"]: col(after[:, 1])},
                   note="column 0: β's gradients, column 1: γ's")
    return e_b, e_g, e_G


def _map_delta(k: Unitwise, net: Any, state: Any, step: Any, l: int, at: tuple[int, ...]) -> Equation:
    """δ_k,i,j⁽ˡ⁾ = ∂ℓ/∂x_k,i,j⁽ˡ⁺¹⁾ · f′(s_k,i,j⁽ˡ⁾) of a map layer under this one."""
    from ...engine import equations as E

    idx = tuple(i + 1 for i in at)
    dx = k.dx_sym(l + 1, at)
    g = float(np.asarray(state.delta[l + 1])[at])
    lhs = Sym("δ", l, idx, latex=r"\delta")
    s_at, o_at = Sym("s", l, idx), Sym("o", l, idx)
    df = E.fprime(net, l, s_at, o_at)
    fp = float(net.df(l, np.asarray(state.s[l])[at], np.asarray(state.o[l])[at]))
    result = Num(float(np.asarray(step.value)[at]), Ref("delta", l, at))
    return Equation(lhs, (mul(dx, df), mul(Num(g, Ref("delta", l + 1, at)), Num(fp, means=df)), result),
                    bindings={dx: g, s_at: float(np.asarray(state.s[l])[at]), o_at: float(np.asarray(state.o[l])[at]),
                              **E._alpha(net, l)},
                    note=f"o{_sup(l)} is layer {l + 1}'s input x{_sup(l + 1)}: ∂ℓ/∂o{_sup(l)} = ∂ℓ/∂x{_sup(l + 1)}")


def below_delta(k: Unitwise, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None = None,
                P: Any = None) -> tuple:
    """δ⁽ˡ⁾ of a dense layer under this one: ∂ℓ/∂x⁽ˡ⁺¹⁾ ⊙ f′(s⁽ˡ⁾), its ∂ℓ/∂o⁽ˡ⁾ being this layer's dx."""
    from ...engine import equations as E

    l = step.key.layer
    if net.kind(l).is_map:  # the scalar form at a position of the map
        at = pos if pos is not None and len(pos) == 3 else (0, 0, 0)
        return (_map_delta(k, net, state, step, l, at),)
    from ...engine.wiring import reader

    r = reader(net, l)  # l + 1, or along a residual block's wires
    dx = k.dx_sym(r)
    g = np.asarray(state.delta[r])
    result = _arr(step.value, Ref("delta", l))
    if net.act(l).derivative_is_one:
        return (Equation(E.delta(l), (dx, result), bindings={dx: g}),)
    sep = P is not None and P.separate_bias  # o⁽ˡ⁾ is its units: no [1:]
    df = E.fprime(net, l, E.s(l), E.o(l) if sep else E.units(net, l))
    fp = net.df(l, state.s[l], np.asarray(state.o[l])[1:])
    return (Equation(E.delta(l), (mul(dx, df), mul(Arr(g, Ref("delta", r)), Arr(fp, means=df)), result),
                     bindings={dx: g, E.s(l): state.s[l], E.o(l): np.asarray(state.o[l])[1:] if sep else state.o[l],
                               **E._alpha(net, l)}),)


def _dropout(k: Unitwise, net: Any, state: Any, step: Any, l: int, pos: tuple[int, ...] | None, how: Shown) -> tuple:
    key = step.key
    S = _syms(l)
    p = float(k.p)  # type: ignore[attr-defined]
    keep = group(sub(const(1), Num(p, exact=True)))
    m = np.asarray(state.s[l])
    shape = ", ".join(map(str, k.out_shape)) + ("," if len(k.out_shape) == 1 else "")
    row = ""
    if key.time is not None:  # at τ: row τ of the example's (T, d) mask
        shape, row = f"{len(state.x)}, {shape.rstrip(',')}", f"[{key.time - 1}]"  # x: the example's T rows
    note = (f"m: numpy.random.default_rng([{k.seed}, {key.epoch}, {key.example}]).random(({shape})){row} ≥ {p:g}, "  # type: ignore[attr-defined]
            f"epoch {key.epoch}, example {key.example}")
    if k.is_map:  # the scalar form at one position of the map
        at = pos if pos is not None and len(pos) == 3 else (0, 0, 0)
        idx = tuple(i + 1 for i in at)
        ms, xs = Sym("m", l, idx), Sym("x", l, idx)
        if key.phase == FORWARD:
            xv = float(np.asarray(state.o[l - 1])[at])  # a map: no residual block reads one
            lhs = Sym("o", l, idx)
            rhs = Op("/", (mul(ms, xs), keep))
            numbers = Op("/", (mul(Num(float(m[at]), Ref("s", l, at)), Num(xv, Ref("o", l - 1, at))), keep))
            return (Equation(lhs, (rhs, numbers, Num(float(np.asarray(step.value)[at]), Ref("o", l, at))),
                             bindings={ms: m[at], xs: xv}, note=note),)
        g = np.asarray(state.extra[("do", l)])
        do = k.do_sym(l, at)
        rhs = Op("/", (mul(ms, do), keep))
        numbers = Op("/", (mul(Num(float(m[at]), Ref("s", l, at)), Num(float(g[at]), means=do)), keep))
        return (Equation(k.dx_sym(l, at), (rhs, numbers, Num(float(np.asarray(step.value)[at]), Ref("delta", l, at))),
                         bindings={ms: m[at], do: g[at]}),)
    if key.phase == FORWARD:
        x, x_ref = _x(k, net, state, l, how.sep)
        o_rhs = how.cat(Op("/", (mul(S["m"], S["x"]), keep)), k)
        o_numbers = how.cat(Op("/", (mul(Arr(m, Ref("s", l)), Arr(x, x_ref, means=S["x"])), keep)), k)
        return (Equation(S["o"], (o_rhs, o_numbers, how.o(step.value, l)), bindings={S["m"]: m, S["x"]: x},
                         note=note),)
    g = np.asarray(state.extra[("do", l)])
    do = k.do_sym(l)
    rhs = Op("/", (mul(S["m"], do), keep))
    numbers = Op("/", (mul(Arr(m, Ref("s", l)), Arr(g, means=do)), keep))
    return (handed_down(k, net, state, l, g, how.P),
            Equation(k.dx_sym(l), (rhs, numbers, _arr(step.value, Ref("delta", l))), bindings={S["m"]: m, do: g}))


def named(P: Any, quantity: str, l: int) -> str:
    """A note's name of layer l's o⁽ˡ⁾ or ∂ℓ/∂x⁽ˡ⁾ in the profile ``P`` (None: the lecture's)."""
    from ...formulas.formula import Partial, TextPrinter

    node = Sym("o", l, vector=True) if quantity == "o" else Partial(loss_of(), Sym("x", l, vector=True), prefixed=True)
    return TextPrinter(notation=P).p(node)


def _sup(l: int) -> str:
    from ...formulas.notation import sup

    return sup(l)

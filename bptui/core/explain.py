"""Why a number is what it is: the scalar chain rule behind one cell, every factor with its value.

Given a stepper (network or computation graph) and a :class:`Cell` — one entry of s⁽ˡ⁾, o⁽ˡ⁾,
δ⁽ˡ⁾, G⁽ˡ⁾ or W⁽ˡ⁾, the loss ℓ⁽ⁿ⁾, or a graph node's value or adjoint — :func:`explain` returns
the rule that made the number on the board, written in the lecture's notation:

- s_b⁽ˡ⁾ = Σ_a w_b,a⁽ˡ⁾ o_a⁽ˡ⁻¹⁾, each term listed (wide layers elided in the text, never in ``terms``);
- o_b⁽ˡ⁾ = f(s_b⁽ˡ⁾);
- δ_b⁽ˡ⁾ = (Σ_c δ_c⁽ˡ⁺¹⁾ w_c,b⁽ˡ⁺¹⁾) · f′(s_b⁽ˡ⁾), and the base case δ⁽ᴸ⁾ for each loss;
- ∂ℓ⁽ⁿ⁾/∂w_b,a⁽ˡ⁾ = δ_b⁽ˡ⁾ o_a⁽ˡ⁻¹⁾, and G_b,a⁽ˡ⁾ as its sum over the update group's examples so far;
- the last update of w_b,a⁽ˡ⁾ with the optimizer's formula;
- graphs: a node's op applied to its arguments, and its adjoint as the sum over its consumers.

The result is data (:class:`Explanation`: a title, lines, the value, and the numbers of the sum) with
a plain-text rendering; views format it as they like. Nothing here is computed a second way: the
values come from the stepper's state, and the few recomputed ones (other examples' δ and o for G)
go through the same :class:`~bptui.core.network.Network` calls the stepper makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph_ops import OPS
from .notation import num, sub, sup
from .optim import regularised
from .schedule import BACKWARD, UPDATE

MAX_TERMS = 8  # longer sums show their first and last terms and say how many are hidden
_F_NAMES = {"sigmoid": "σ", "identity": "id"}


@dataclass(frozen=True)
class Cell:
    """One number on the board, indexed as the lecture indexes it.

    ``unit`` is b = 1 … d⁽ˡ⁾ (o⁽ˡ⁾ of a hidden layer also has b = 0, its bias entry 1; o⁽⁰⁾ has
    b = 0 … d⁽⁰⁾); ``column`` is a = 0 … d⁽ˡ⁻¹⁾ for G and W (a = 0 is the bias column). Graphs use
    ``quantity`` ``value`` or ``adjoint`` and ``node``.
    """

    quantity: str  # s | o | delta | G | W | loss ; graphs: value | adjoint
    layer: int | None = None
    unit: int | None = None
    column: int | None = None
    node: str | None = None

    def symbol(self) -> str:
        """``s₁⁽²⁾``, ``w₁,₀⁽¹⁾``, ``ℓ``, ``g_b`` …"""
        q, l, b, a = self.quantity, self.layer, self.unit, self.column
        if q == "value":
            return str(self.node)
        if q == "adjoint":
            return f"g_{self.node}"
        if q == "loss":
            return "ℓ"
        if q in ("G", "W"):
            return f"{'G' if q == 'G' else 'w'}{sub(b, a)}{sup(l)}"
        return f"{'δ' if q == 'delta' else q}{sub(b)}{sup(l)}"


@dataclass(frozen=True)
class Explanation:
    """The chain rule behind one number.

    When ``terms`` is not empty, ``value`` is ``factor · Σ terms`` (up to rounding): the numbers a
    student would add up. ``value`` is None when the cell has not been computed yet.
    """

    title: str
    lines: tuple[str, ...]
    value: float | None
    terms: tuple[float, ...] = ()
    factor: float = 1.0

    def text(self) -> str:
        return "\n".join([self.title, *("  " + line for line in self.lines)])


# -- small pieces of text ---------------------------------------------------------------------------
def _p(x: float, digits: int = 4) -> str:
    """A number as a factor: negative ones in parentheses, ``(−0.4)``."""
    text = num(x, digits)
    return f"({text})" if text.startswith("−") else text


def _signed_sum(values, digits: int = 4) -> str:
    values = list(values)
    text = num(values[0], digits)
    for v in values[1:]:
        text += f" − {num(-v, digits)}" if v < 0 else f" + {num(v, digits)}"
    return text


def _elide(items: list[str], joiner: str = " + ") -> str:
    """``a + b + c``, or the first three and the last two around ``…`` with how many are hidden."""
    if len(items) <= MAX_TERMS:
        return joiner.join(items)
    shown = items[:3] + ["…"] + items[-2:]
    return joiner.join(shown) + f"   ({len(items)} terms, {len(items) - 5} not shown)"


def _sum_line(values, digits: int) -> str:
    values = list(values)
    if len(values) <= MAX_TERMS:
        return _signed_sum(values, digits)
    return (_signed_sum(values[:3], digits) + " + … + " + _signed_sum(values[-2:], digits)
            + f"   ({len(values)} terms)")


def _chain(lhs: str, parts: list[str]) -> tuple[str, ...]:
    """``lhs = part₀`` then ``= partᵢ`` lines aligned under the first ``=``."""
    pad = " " * len(lhs)
    return tuple([f"{lhs} = {parts[0]}"] + [f"{pad} = {part}" for part in parts[1:]])


def _not_yet(cell: Cell, why: str) -> Explanation:
    return Explanation(f"{cell.symbol()} has not been computed yet", (why,), None)


# -- networks ---------------------------------------------------------------------------------------
def current_example(stepper) -> int | None:
    """The 1-based example whose s, o, δ are on the board (None before the first step)."""
    if stepper.position == 0:
        return None
    key = stepper.schedule.key(stepper.position - 1)
    if key.example is not None:
        return key.example
    return stepper.schedule.key(stepper.position - 1 - key.layer).example


def _check(spec, cell: Cell) -> None:
    q, l, b, a = cell.quantity, cell.layer, cell.unit, cell.column
    if q == "loss":
        return
    if q not in ("s", "o", "delta", "G", "W"):
        raise ValueError(f"unknown quantity {q!r} (s, o, delta, G, W or loss)")
    low = 0 if q == "o" else 1
    if l is None or not low <= l <= spec.L:
        raise ValueError(f"layer {l} is not one of {low} … {spec.L}")
    first = 0 if q == "o" and (l < spec.L) else 1
    if b is None or not first <= b <= spec.widths[l]:
        raise ValueError(f"unit {b} is not one of {first} … {spec.widths[l]} in layer {l}")
    if q in ("G", "W") and (a is None or not 0 <= a <= spec.widths[l - 1]):
        raise ValueError(f"column {a} is not one of 0 … {spec.widths[l - 1]}")


def _fprime(net, l: int, s: float, o: float, fp: float, digits: int) -> tuple[str, str]:
    """f′(s_b⁽ˡ⁾) written for one unit: (formula in s and o, the same with numbers)."""
    name = net.act(l).name
    if name == "tanh":
        return "(1 − (o)²)", f"(1 − {_p(o, digits)}²)"
    if name == "sigmoid":
        return "o(1 − o)", f"{_p(o, digits)}·(1 − {_p(o, digits)})"
    if name == "relu":
        return "1[s > 0]", f"1[{num(s, digits)} > 0]"
    if name == "identity":
        return "1", "1"
    return f"{name}′(s)", f"{name}′({num(s, digits)})"


def _example_pass(net, W: list, x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """o⁽⁰⁾…o⁽ᴸ⁾ and δ⁽¹⁾…δ⁽ᴸ⁾ of one example, with the stepper's own calls (so the same bits)."""
    L = net.L
    o: list = [np.concatenate([[1.0], x])]
    s: list = [None]
    for l in range(1, L + 1):
        s.append(W[l] @ o[l - 1])
        o.append(net.activation_out(l, s[l]))
    delta: list = [None] * (L + 1)
    delta[L] = net.output_delta(s[L], o[L], y)
    for l in range(L - 1, 0, -1):
        delta[l] = net.hidden_delta(l, W[l + 1], delta[l + 1], s[l], o[l])
    return o, delta


def _group_examples(stepper, l: int) -> list[int]:
    """The 0-based examples whose G⁽ˡ⁾ increment is in G⁽ˡ⁾ now (this update group's, so far)."""
    sch, pos = stepper.schedule, stepper.position
    if pos == 0:
        return []
    key = sch.key(pos - 1)
    group_start = sch.epoch_start(pos - 1) + (key.group - 1) * sch.full_group_steps
    j = sch.block.index((BACKWARD, "G", l))
    examples = sch.groups(key.epoch)[key.group - 1]
    return [int(n) for k, n in enumerate(examples) if group_start + k * sch.per_example + j < pos]


def _weights_of_group(stepper) -> list:
    """W⁽¹⁾…W⁽ᴸ⁾ as they were during the current group (before any of its update steps)."""
    st = stepper.state
    W = list(st.W)
    key = stepper.schedule.key(stepper.position - 1) if stepper.position else None
    if key is not None and key.phase == UPDATE:
        for l in range(1, key.layer + 1):
            W[l] = st.updates[l][0].before
    return W


def explain(stepper, cell: Cell, digits: int = 4) -> Explanation:
    """The chain rule behind ``cell`` in the stepper's present state (a network or a graph)."""
    if stepper.spec.kind == "graph":
        return explain_graph(stepper, cell, digits)
    _check(stepper.spec, cell)
    return {"s": _explain_s, "o": _explain_o, "delta": _explain_delta, "G": _explain_G,
            "W": _explain_W, "loss": _explain_loss}[cell.quantity](stepper, cell, digits)


def _explain_s(stepper, cell: Cell, digits: int) -> Explanation:
    st, l, b = stepper.state, cell.layer, cell.unit
    if st.s[l] is None:
        return _not_yet(cell, f"s{sup(l)} comes in this example's forward pass.")
    w, o = _weights_of_group(stepper)[l][b - 1], st.o[l - 1]  # the W that made s, even after an update
    terms = [float(wi * oi) for wi, oi in zip(w, o)]
    value = float(st.s[l][b - 1])
    d = len(o) - 1
    lhs = f"s{sub(b)}{sup(l)}"
    parts = [f"Σₐ w{sub(b)},ₐ{sup(l)} oₐ{sup(l - 1)}   (a = 0 … {d}; o₀{sup(l - 1)} = 1 is the bias)",
             _elide([f"w{sub(b, a)}{sup(l)} o{sub(a)}{sup(l - 1)}" for a in range(d + 1)]),
             _elide([f"{_p(wi, digits)}·{_p(oi, digits)}" for wi, oi in zip(w, o)])]
    if len(terms) > 1:
        parts.append(_sum_line(terms, digits))
    parts.append(num(value, digits))
    title = f"{lhs} = {num(value, digits)}: the pre-activation of unit {b} in layer {l}, example n = {current_example(stepper)}"
    return Explanation(title, _chain(lhs, parts) + _stale(stepper, l), value, tuple(terms))


def _explain_o(stepper, cell: Cell, digits: int) -> Explanation:
    st, net, spec, l, b = stepper.state, stepper.net, stepper.spec, cell.layer, cell.unit
    lhs = f"o{sub(b)}{sup(l)}"
    if st.o[l] is None:
        return _not_yet(cell, f"o{sup(l)} comes in this example's forward pass.")
    n = current_example(stepper)
    if b == 0:
        return Explanation(f"{lhs} = 1: the bias entry of o{sup(l)}, always 1",
                           (f"{lhs} = 1, so that w_b,0{sup(l + 1)} acts as unit b's bias in layer {l + 1}",), 1.0)
    if l == 0:
        value = float(st.o[0][b])
        return Explanation(f"{lhs} = {num(value, digits)}: input {b} of example n = {n}",
                           (f"{lhs} = x{sub(b)} = {num(value, digits)}   (o{sup(0)} = [1, x])",), value)
    idx = b if l < spec.L else b - 1
    value = float(st.o[l][idx])
    s = st.s[l]
    name = net.act(l).name
    f = _F_NAMES.get(name, name)
    title = f"{lhs} = {num(value, digits)}: the output of unit {b} in layer {l}, example n = {n}"
    if name == "softmax":
        parts = [f"e^(s{sub(b)}{sup(l)}) / Σ_k e^(s_k{sup(l)})",
                 f"e^{_p(s[b - 1], digits)} / ({_elide([f'e^{_p(v, digits)}' for v in s])})",
                 num(value, digits)]
        return Explanation(title, _chain(lhs, parts), value)
    parts = [f"f(s{sub(b)}{sup(l)}) = {f}(s{sub(b)}{sup(l)})", f"{f}({num(s[b - 1], digits)})", num(value, digits)]
    return Explanation(title, _chain(lhs, parts), value)


def _explain_delta(stepper, cell: Cell, digits: int) -> Explanation:
    st, net, spec, l, b = stepper.state, stepper.net, stepper.spec, cell.layer, cell.unit
    if st.delta[l] is None:
        return _not_yet(cell, f"δ{sup(l)} comes in this example's backward pass.")
    value = float(st.delta[l][b - 1])
    lhs = f"δ{sub(b)}{sup(l)}"
    n = current_example(stepper)
    title = f"{lhs} = {num(value, digits)}: ∂ℓ{sup(n)}/∂s{sub(b)}{sup(l)}, how the loss of example n = {n} moves with s{sub(b)}{sup(l)}"
    if l == spec.L:
        return _explain_output_delta(stepper, cell, value, lhs, title, digits)
    W_next, d_next = _weights_of_group(stepper)[l + 1], st.delta[l + 1]
    terms = [float(d_next[c] * W_next[c, b]) for c in range(len(d_next))]
    s, o = float(st.s[l][b - 1]), float(st.o[l][b])
    fp = float(net.df(l, st.s[l], st.o[l][1:])[b - 1])
    f_sym, f_num = _fprime(net, l, s, o, fp, digits)
    f_sym = f_sym.replace("(o)", f"(o{sub(b)}{sup(l)})").replace("o(", f"o{sub(b)}{sup(l)}(").replace(
        "1 − o)", f"1 − o{sub(b)}{sup(l)})").replace("s >", f"s{sub(b)}{sup(l)} >")
    back = sum(terms)
    nl = l + 1
    parts = [f"∂ℓ/∂o{sub(b)}{sup(l)} · ∂o{sub(b)}{sup(l)}/∂s{sub(b)}{sup(l)} = "
             f"(Σ_c δ_c{sup(nl)} w_c,{b}{sup(nl)}) · f′(s{sub(b)}{sup(l)})   (c = 1 … {len(d_next)})",
             f"({_elide([f'δ{sub(c)}{sup(nl)} w{sub(c, b)}{sup(nl)}' for c in range(1, len(d_next) + 1)])}) · {f_sym}",
             f"({_elide([f'{_p(d_next[c], digits)}·{_p(W_next[c, b], digits)}' for c in range(len(d_next))])}) · {f_num}",
             f"{_p(back, digits)} · {_p(fp, digits)}",
             num(value, digits)]
    return Explanation(title, _chain(lhs, parts) + _stale(stepper, l + 1), value, tuple(terms), fp)


def _stale(stepper, l: int) -> tuple[str, ...]:
    """A note when the weights used are no longer the ones on the board (update steps follow)."""
    key = stepper.schedule.key(stepper.position - 1) if stepper.position else None
    if key is not None and key.phase == UPDATE and key.layer >= l:
        return (f"(with W{sup(l)} as it was during this pass, before its update)",)
    return ()


def _explain_output_delta(stepper, cell: Cell, value: float, lhs: str, title: str, digits: int) -> Explanation:
    st, net, spec, b = stepper.state, stepper.net, stepper.spec, cell.unit
    L = spec.L
    o, y, s = st.o[L], st.y, st.s[L]
    ob, yb = float(o[b - 1]), float(y[b - 1])
    oL, yk = f"o{sub(b)}{sup(L)}", f"y{sub(b)}"
    act, loss = net.act(L).name, net.loss.name
    if loss == "cross_entropy":
        total = float(y.sum())
        if act == "softmax" and total != 1.0:
            parts = [f"{oL} Σ_k y_k − {yk}   (cross-entropy with softmax: the Jacobian cancels)",
                     f"{_p(ob, digits)}·{_p(total, digits)} − {_p(yb, digits)}", num(value, digits)]
            return Explanation(title, _chain(lhs, parts), value, (ob * total, -yb))
        why = "softmax" if act == "softmax" else "a sigmoid output"
        parts = [f"{oL} − {yk}   (cross-entropy with {why}: f′ cancels)", f"{num(ob, digits)} − {_p(yb, digits)}",
                 num(value, digits)]
        return Explanation(title, _chain(lhs, parts), value, (ob * total if act == "softmax" else ob, -yb))
    c = 2.0 if loss == "squared" else 1.0
    two = "2" if loss == "squared" else ""
    base = "ℓ = Σ_k (o_k − y_k)²" if loss == "squared" else "ℓ = ½ Σ_k (o_k − y_k)²"
    if act == "softmax":
        g = c * (o - y)
        terms = [float(g[k] * (o[b - 1] * ((1.0 if k == b - 1 else 0.0) - o[k]))) for k in range(len(o))]
        parts = [f"Σ_k ∂ℓ/∂o_k{sup(L)} · ∂o_k{sup(L)}/∂s{sub(b)}{sup(L)} = "
                 f"Σ_k {two}(o_k − y_k) · {oL}(1[k = {b}] − o_k)   ({base}, softmax output)",
                 _elide([f"{_p(g[k], digits)}·{_p(ob, digits)}·({int(k == b - 1)} − {num(o[k], digits)})"
                         for k in range(len(o))]),
                 _sum_line(terms, digits), num(value, digits)]
        return Explanation(title, _chain(lhs, parts), value, tuple(terms))
    fp = float(net.df(L, s, o)[b - 1])
    _, f_num = _fprime(net, L, float(s[b - 1]), ob, fp, digits)
    diff = float(c * (o[b - 1] - y[b - 1]))
    parts = [f"∂ℓ/∂{oL} · ∂{oL}/∂s{sub(b)}{sup(L)} = {two}({oL} − {yk}) · f′(s{sub(b)}{sup(L)})   ({base})",
             f"{two}({num(ob, digits)} − {_p(yb, digits)}) · {f_num}",
             f"{_p(diff, digits)} · {_p(fp, digits)}", num(value, digits)]
    return Explanation(title, _chain(lhs, parts), value, (diff,), fp)


def _explain_G(stepper, cell: Cell, digits: int) -> Explanation:
    st, spec, l, b, a = stepper.state, stepper.spec, cell.layer, cell.unit, cell.column
    value = float(st.G[l][b - 1, a])
    lhs = f"G{sub(b, a)}{sup(l)}"
    examples = _group_examples(stepper, l)
    meaning = f"∂ℓ/∂w{sub(b, a)}{sup(l)} summed over the examples of this update group so far"
    if not examples:
        return Explanation(f"{lhs} = 0: {meaning} (none yet)",
                           (f"{lhs} = 0: G{sup(l)} is zeroed at the start of each update group, and no "
                            f"example's δ{sup(l)} has been added yet",), value)
    W = _weights_of_group(stepper)
    terms, numbers, ns = [], [], []
    for n in examples:
        o, delta = _example_pass(stepper.net, W, spec.inputs[n], spec.targets[n])
        d_b, o_a = float(delta[l][b - 1]), float(o[l - 1][a])
        terms.append(d_b * o_a)
        numbers.append(f"{_p(d_b, digits)}·{_p(o_a, digits)}")
        ns.append(n + 1)
    listed = ", ".join(map(str, ns)) if len(ns) <= MAX_TERMS else f"{len(ns)} examples"
    rule = (f"∂ℓ⁽ⁿ⁾/∂w{sub(b, a)}{sup(l)} = ∂ℓ⁽ⁿ⁾/∂s{sub(b)}{sup(l)} · ∂s{sub(b)}{sup(l)}/∂w{sub(b, a)}{sup(l)} "
            f"= δ{sub(b)}{sup(l)} o{sub(a)}{sup(l - 1)}, since w{sub(b, a)}{sup(l)} reaches ℓ⁽ⁿ⁾ only through "
            f"s{sub(b)}{sup(l)}")
    parts = [f"Σₙ δ{sub(b)}{sup(l)} o{sub(a)}{sup(l - 1)} over n = {listed}",
             _elide([f"{t} (n = {n})" for t, n in zip(numbers, ns)])]
    if len(terms) > 1:
        parts.append(_sum_line(terms, digits))
    parts.append(num(value, digits))
    title = f"{lhs} = {num(value, digits)}: {meaning}"
    return Explanation(title, (rule,) + _chain(lhs, parts), value, tuple(terms))


def _explain_W(stepper, cell: Cell, digits: int) -> Explanation:
    st, spec, l, b, a = stepper.state, stepper.spec, cell.layer, cell.unit, cell.column
    value = float(st.W[l][b - 1, a])
    w = f"w{sub(b, a)}{sup(l)}"
    what = f"the weight from unit {a} of layer {l - 1} to unit {b} of layer {l}" if a else \
        f"the bias of unit {b} in layer {l}"
    record = st.updates[l]
    if record is None:
        origin = "the network file" if "weights" in spec.raw else "the file's init (seeded)"
        return Explanation(f"{w} = {num(value, digits)}: {what}",
                           (f"{w} = {num(value, digits)}, its starting value from {origin}: no update yet",), value)
    step, G = record
    opt = spec.optimizer
    i = (b - 1, a)
    w0 = float(step.before[i])
    g = float(regularised(step.before, G, opt.l2)[i])
    eta = num(opt.learning_rate, digits)
    when = {"mini_batch": f"mini-batch {step.key.group}", "full_batch": "all the examples",
            "per_example": f"example {stepper.schedule.key(step.key.step - 1 - step.key.layer).example}"}[spec.update]
    title = f"{w} = {num(value, digits)}: {what}, as updated after {when} of epoch {step.key.epoch}"
    lines: list[str] = []
    Gs = f"G{sub(b, a)}{sup(l)}"
    if opt.l2 and a:
        lines += _chain(f"g{sub(b, a)}", [f"{Gs} + 2λ {w} = {num(G[i], digits)} + {num(2 * opt.l2, digits)}·{_p(w0, digits)}",
                                          num(g, digits)])
        gs = f"g{sub(b, a)}"
    elif opt.l2:
        lines.append(f"g{sub(b, a)} = {Gs} = {num(g, digits)}   (L2 never touches a bias)")
        gs = f"g{sub(b, a)}"
    else:
        gs = Gs
    if opt.name == "sgd":
        delta_w = opt.learning_rate * g
        lines += _chain(f"{w} ← {w} − η {gs}", [f"{_p(w0, digits)} − {eta}·{_p(g, digits)}   (η = {eta})",
                                                    num(value, digits)])
    elif opt.name == "momentum":
        v0, v1 = float(step.opt_before.v[i]), float(step.opt.v[i])
        mu = num(opt.momentum, digits)
        lines += _chain(f"v{sub(b, a)} ← μ v{sub(b, a)} + {gs}",
                        [f"{mu}·{_p(v0, digits)} + {_p(g, digits)}   (μ = {mu})", num(v1, digits)])
        delta_w = opt.learning_rate * v1
        lines += _chain(f"{w} ← {w} − η v{sub(b, a)}", [f"{_p(w0, digits)} − {eta}·{_p(v1, digits)}   (η = {eta})",
                                                           num(value, digits)])
    else:
        t, b1, b2 = step.opt.t, opt.beta1, opt.beta2
        m0, m1 = float(step.opt_before.m[i]), float(step.opt.m[i])
        v0, v1 = float(step.opt_before.v[i]), float(step.opt.v[i])
        m_hat, v_hat = m1 / (1.0 - b1**t), v1 / (1.0 - b2**t)
        delta_w = opt.learning_rate * m_hat / (np.sqrt(v_hat) + opt.eps)
        m_, v_ = f"m{sub(b, a)}", f"v{sub(b, a)}"
        lines += _chain(f"{m_} ← β₁ {m_} + (1 − β₁) {gs}",
                        [f"{num(b1, digits)}·{_p(m0, digits)} + {num(1 - b1, digits)}·{_p(g, digits)}", num(m1, digits)])
        lines += _chain(f"{v_} ← β₂ {v_} + (1 − β₂) {gs}²",
                        [f"{num(b2, digits)}·{_p(v0, digits)} + {num(1 - b2, digits)}·{_p(g, digits)}²", num(v1, digits)])
        lines.append(f"m̂ = {m_} / (1 − β₁ᵗ) = {num(m_hat, digits)}, v̂ = {v_} / (1 − β₂ᵗ) = {num(v_hat, digits)}   (t = {t})")
        lines += _chain(f"{w} ← {w} − η m̂ / (√v̂ + ε)",
                        [f"{_p(w0, digits)} − {eta}·{_p(m_hat, digits)} / (√{num(v_hat, digits)} + {num(opt.eps, digits)})",
                         num(value, digits)])
    return Explanation(title, tuple(lines), value, (w0, -float(delta_w)))


def _explain_loss(stepper, cell: Cell, digits: int) -> Explanation:
    st, net, spec = stepper.state, stepper.net, stepper.spec
    L = spec.L
    n = current_example(stepper)
    lhs = f"ℓ{sup(n)}" if n else "ℓ"
    if st.loss is None:
        return _not_yet(cell, "the loss comes after this example's forward pass.")
    value = float(st.loss)
    o, y, s = st.o[L], st.y, st.s[L]
    title = f"{lhs} = {num(value, digits)}: the loss of example n = {n} ({spec.loss})"
    if net.loss.name == "cross_entropy":
        if net.act(L).name == "softmax":
            lse = float(np.logaddexp.reduce(s))
            terms = [float(-y[k] * (s[k] - lse)) for k in range(len(o))]
        else:
            terms = [float(y[k] * np.logaddexp(0.0, -s[k]) + (1 - y[k]) * np.logaddexp(0.0, s[k])) for k in range(len(o))]
        rule = "−Σ_k y_k log o_k" if net.act(L).name == "softmax" else "−Σ_k (y_k log o_k + (1 − y_k) log(1 − o_k))"
        parts = [f"{rule}   (o = o{sup(L)})", _elide([num(t, digits) for t in terms]), num(value, digits)]
        return Explanation(title, _chain(lhs, parts), value, tuple(terms))
    scale = 0.5 if net.loss.name == "half_squared" else 1.0
    half = "½ " if scale != 1.0 else ""
    terms = [float((o[k] - y[k]) ** 2) for k in range(len(o))]
    parts = [f"{half}Σ_k (o_k{sup(L)} − y_k)²",
             half + _elide([f"({num(o[k], digits)} − {_p(y[k], digits)})²" for k in range(len(o))])]
    if len(terms) > 1:
        parts.append(half + _sum_line(terms, digits))
    parts.append(num(value, digits))
    return Explanation(title, _chain(lhs, parts), value, tuple(terms), scale)


# -- computation graphs -----------------------------------------------------------------------------
def explain_graph(stepper, cell: Cell, digits: int = 4) -> Explanation:
    """A node's value (its op on its arguments) or adjoint (the sum over its consumers)."""
    from .graph import adjoint_terms, arg_names, const_text
    from .graph_stepper import factor

    spec, st, name = stepper.spec, stepper.state, cell.node
    if name not in st.values:
        raise ValueError(f"unknown node {name!r} (nodes: {', '.join(st.values)})")
    if cell.quantity not in ("value", "adjoint"):
        raise ValueError(f"unknown quantity {cell.quantity!r} for a graph (value or adjoint)")

    def numbers(node) -> list[str]:
        return [num(st.values[x], digits) if isinstance(x, str) else const_text(x) for x in node.args]

    if cell.quantity == "value":
        value = st.values[name]
        if name not in spec.by_name:
            return Explanation(f"{name} = {num(value, digits)}: an input", (f"{name} = {num(value, digits)}, given",),
                               float(value))
        if value is None:
            return _not_yet(cell, f"{name} comes in the forward pass.")
        node = spec.by_name[name]
        op = OPS[node.op]
        terms = tuple(float(st.values[x]) if isinstance(x, str) else float(x) for x in node.args) if node.op == "add" else ()
        parts = [op.text(arg_names(node)), op.text(numbers(node)), num(value, digits)]
        return Explanation(f"{name} = {num(value, digits)}: node {name} = {op.text(arg_names(node))}",
                           _chain(name, parts), float(value), terms)
    value = st.adjoints[name]
    lhs = f"g_{name}"
    y = spec.output
    if value is None:
        return _not_yet(cell, f"g_{name} comes in the reverse pass, after the adjoints of {name}'s consumers.")
    if name == y:
        return Explanation(f"g_{y} = 1: the output's own adjoint", (f"g_{y} = ∂{y}/∂{y} = 1",), 1.0, (1.0,))
    terms = adjoint_terms(spec, st.values, st.adjoints, name)
    title = f"g_{name} = {num(value, digits)}: ∂{y}/∂{name}, the sum over {name}'s consumers"
    if not terms:
        return Explanation(title, (f"g_{name} = 0: nothing uses {name}",), float(value))
    chain, symbolic, filled = [], [], []
    for t in terms:
        node = spec.by_name[t.consumer]
        d = OPS[node.op].dtext
        chain.append(f"∂{y}/∂{t.consumer}·∂{t.consumer}/∂{name}")
        symbolic.append(f"g_{t.consumer}·{factor(d(t.arg, arg_names(node)))}")
        filled.append(f"{_p(t.adjoint, digits)}·{factor(d(t.arg, numbers(node)))}")
    parts = [f"∂{y}/∂{name} = " + " + ".join(chain), " + ".join(symbolic), " + ".join(filled)]
    if len(terms) > 1:
        parts.append(_signed_sum([t.value for t in terms], digits))
    parts.append(num(value, digits))
    return Explanation(title, _chain(lhs, parts), float(value), tuple(float(t.value) for t in terms))

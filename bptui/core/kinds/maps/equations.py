"""The equations of convolution and pooling steps, as formula trees (:mod:`bptui.core.formulas.formula`).

Each step of a map layer has two equations: the **map-level** form (s⁽ˡ⁾ = W⁽ˡ⁾ ⋆ o⁽ˡ⁻¹⁾ + b⁽ˡ⁾, the
backward δ of the map below as the "full" correlation with the flipped kernel, G's kernel as the
correlation of the input with δ, pooling and its routing) with the whole map as its result, and the
**scalar** form at one position with every number filled in, which the interval check can verify:
``trace`` shows the first position (1, 1, 1), the explanations and the app's cursor any other.

Positions and channels are printed 1-based (k, i, j, and c, u, v for the kernel), as the lecture
numbers units; a :class:`~bptui.core.formulas.formula.Ref` holds the 0-based index into the board's array
(a conv layer's W⁽ˡ⁾ and G⁽ˡ⁾ are K × (1 + C·kh·kw) matrices: the bias in column 0, then the kernel
flattened in (c, u, v) order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ops.activations import IDENTITY_NOTE
from ...engine import equations as E
from ...formulas.formula import Arr, Call, Equation, Node, Num, Op, Partial, Ref, Sum, Sym, add, mul
from ...formulas.notation import sup
from ...formulas.profiles import shown_value
from .. import Conv2d, LayerKind, Pool2d
from ...engine.network import Network
from ...engine.schedule import BACKWARD, FORWARD, StepKey
from ...engine.stepper import State, Step

Pos = tuple[int, ...]


def _sym(base: str, l: int, *sub: int | str, latex: str | None = None) -> Sym:
    return Sym(base, l, tuple(x + 1 if isinstance(x, int) else x for x in sub), latex=latex)


def _map(base: str, l: int, latex: str | None = None) -> Sym:
    return Sym(base, l, vector=True, latex=latex)


def kernel_col(k: Conv2d, c: int, u: int, v: int) -> int:
    """The column of W⁽ˡ⁾ (and G⁽ˡ⁾) that holds kernel weight (c, u, v); column 0 is the bias."""
    return 1 + (c * k.kernel[0] + u) * k.kernel[1] + v


def _named(P: Any) -> Any:
    """How a note names a quantity: the printer of the notation profile ``P`` (None: the lecture's)."""
    from ...formulas.formula import TextPrinter

    return TextPrinter(notation=P).p


def _note_conv(k: Conv2d, l: int, P: Any = None) -> str:
    o = P.activation.text if P is not None else "o"
    return f"stride {k.stride}, padding {k.padding}; {o} outside the map is 0" + unread_note(k, l, P)


def _lines(xs: tuple[int, ...], word: str, P: Any = None) -> str:
    """"row 7", "rows 6 and 7", "rows 2, 4 and 6" (from 1; from 0 in a profile that counts units from 0)."""
    names = [str(_unit(P, x)) for x in xs]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{word}{'s' if len(names) > 1 else ''} {listed}"


def unread_lines(k: LayerKind, P: Any = None) -> str:
    """The rows and columns of its input map that layer kind ``k`` never reads ("rows 6 and 7 and
    column 7", from 1), or "" when it reads all: a stride that does not fit the padded input evenly
    ends the last window before the input's end (⌊(H + 2p − k)/s⌋ + 1 windows, as PyTorch counts
    them); a stride larger than the window skips rows between windows."""
    rows, cols = k.unread()
    parts = ([_lines(rows, "row", P)] if rows else []) + ([_lines(cols, "column", P)] if cols else [])
    return " and ".join(parts)


def unread_note(k: LayerKind, l: int, P: Any = None) -> str:
    """``; rows … of o⁽ˡ⁻¹⁾ never read`` for the note of a step of layer l (kind ``k``), or "" (in the
    notation profile ``P``: its symbol)."""
    lines = unread_lines(k, P)
    return f"; {lines} of {_named(P)(E.o(l - 1))} never read" if lines else ""


def _pad(o: np.ndarray, p: int) -> np.ndarray:
    return np.pad(o, ((0, 0), (p, p), (p, p))) if p else o


def kernel_of(k: Conv2d, W: np.ndarray) -> np.ndarray:
    return W[:, 1:].reshape(k.kernel_shape)


def wants(net: Network, key: StepKey) -> bool:
    """Whether a step of this network is written by this module (a step of a map layer, or the step
    of a dense layer that reads a map, or a δ that comes back through one)."""
    if not net.spec.kinds or key.layer is None:
        return False
    l = key.layer
    k = net.kind(l)
    if k.own_steps or (key.quantity == "delta" and l < net.L and net.kind(l + 1).own_steps):
        return False  # a kind with steps of its own writes them, and the δ under it (dropout on a map)
    if key.phase == FORWARD and key.quantity == "o" and not k.is_map:
        return False  # f(s) of a vector, as in v1
    if key.phase == FORWARD or key.quantity == "G":
        return k.is_map or k.reads_map
    if key.quantity == "delta" and l < net.L:
        return net.kind(l + 1).reads_map  # δ comes back through a map layer, or from a layer that reads this map
    return False


def step_equations(net: Network, state: State, step: Step, pos: Pos | None = None,
                   notation: Any = None) -> tuple[Equation, ...]:
    """The map-level equation of ``step`` and its scalar form at ``pos`` (0-based; default the first);
    grouped as the ``notation`` profile groups them (a separate b for a dense layer reading a map, the
    mean G/m; the printer writes its symbols)."""
    key = step.key
    l = key.layer
    assert l is not None
    k = net.kind(l)
    P = notation if notation is not None and notation.name != "lecture13" else None
    if key.phase == FORWARD and key.quantity == "s":
        if isinstance(k, Conv2d):
            return conv_s(net, state, l, pos or (0, 0, 0), P)
        return dense_after_map_s(state, l, k, P)
    if key.phase == FORWARD:
        if isinstance(k, Pool2d):
            return pool_o(state, l, k, pos or (0, 0, 0), P)
        return conv_o(net, state, l, pos or (0, 0, 0))
    if key.quantity == "G":
        m = E.group_size(net, key) if P is not None and P.mean else None
        if isinstance(k, Conv2d):
            return conv_G(state, step, l, k, pos or (0, 0, 0, 0), P, m, net.L, E.group_symbol(net.spec.optimizer, net.kinds))
        return dense_after_map_G(state, step, l, k, P, m, net.L, E.group_symbol(net.spec.optimizer, net.kinds))
    return back_delta(net, state, l, key.example, pos or (0,) * len(k.out_shape), P)


def _unit(P: Any, index: int) -> int:
    """A map row's or column's number (``index`` from 0) as the notation profile ``P`` numbers units: from 1,
    or from 0 (cs231n); None: the lecture's, from 1."""
    return index + 1 if P is None else P.unit(index + 1)


def unread_at(k: LayerKind, l: int, pos: Pos, P: Any = None) -> str:
    """Why entry ``pos`` (c, r, q) of o⁽ˡ⁻¹⁾ never reaches the loss when layer l (kind ``k``) reads
    no window over it, or "" when some window does (in the notation profile ``P``: its symbol and unit base)."""
    rows, cols = k.unread()
    _, r, q = pos
    missed = [f"row {_unit(P, r)}"] if r in rows else []
    missed += [f"column {_unit(P, q)}"] if q in cols else []
    if not missed:
        return ""
    counts = ([f"{k.count_text(0)} windows down"] if r in rows else []) + \
        ([f"{k.count_text(1)} windows across"] if q in cols else [])
    return (f"never read: no window of layer {l} ({k.describe()}) covers {' or '.join(missed)} of {_named(P)(E.o(l - 1))} "
            f"({' and '.join(counts)}, as PyTorch counts them), so this entry does not reach the loss and its "
            "gradient is 0")


# -- forward -----------------------------------------------------------------------------------------
def conv_s(net: Network, state: State, l: int, pos: Pos, P: Any = None) -> tuple[Equation, ...]:
    k = net.kind(l)
    assert isinstance(k, Conv2d)
    W, o_prev, s_l = state.W[l], state.o[l - 1], state.s[l]
    assert o_prev is not None and s_l is not None
    kern, bias = kernel_of(k, W), W[:, 0]
    Wm, om, b = _map("W", l), _map("o", l - 1), _map("b", l)
    st, p = Num(float(k.stride), exact=True), Num(float(k.padding), exact=True)
    rhs = Op("⋆", (Wm, om, b, st, p))
    whole = Equation(_map("s", l), (rhs, Arr(np.asarray(s_l), Ref("s", l))), bindings={Wm: kern, om: o_prev, b: bias},
                     note=_note_conv(k, l, P))
    return whole, conv_s_at(net, state, l, pos)


def _wref(state: Any, l: int, idx: tuple[int, ...]) -> Ref | None:
    """A weight's Ref, or None when the board's W⁽ˡ⁾ is no longer the one this pass used (after its
    update, an explanation works with the pass's weights: ``state.W_board`` says which are on the board)."""
    board = getattr(state, "W_board", None)
    if board is not None and board[l] is not state.W[l]:
        return None
    return Ref("W", l, idx)


def conv_s_at(net: Network, state: State, l: int, pos: Pos) -> Equation:
    """s_{k,i,j}⁽ˡ⁾ = b_k⁽ˡ⁾ + Σ_{c,u,v} w_{k,c,u,v}⁽ˡ⁾ o_{c,r,q}⁽ˡ⁻¹⁾ with r = i·stride + u − padding, q likewise."""
    k = net.kind(l)
    assert isinstance(k, Conv2d)
    K, i, j = pos
    W, o_prev, s_l = state.W[l], np.asarray(state.o[l - 1]), np.asarray(state.s[l])
    kh, kw = k.kernel
    window = _pad(o_prev, k.padding)[:, i * k.stride:i * k.stride + kh, j * k.stride:j * k.stride + kw]
    w_sym, o_sym, b_sym = _sym("w", l, K, "c", "u", "v"), _sym("o", l - 1, "c", "r", "q"), _sym("b", l, K)
    rule = add(b_sym, Sum("c,u,v", mul(w_sym, o_sym)))
    terms: list[Node] = [Num(float(W[K, 0]), _wref(state, l, (K, 0)))]
    C, H, Wd = k.in_shape
    for c in range(C):
        for u in range(kh):
            for v in range(kw):
                r, q = i * k.stride + u - k.padding, j * k.stride + v - k.padding
                if 0 <= r < H and 0 <= q < Wd:  # positions in the padding are 0: left out
                    terms.append(mul(Num(float(W[K, kernel_col(k, c, u, v)]), _wref(state, l, (K, kernel_col(k, c, u, v)))),
                                     Num(float(o_prev[c, r, q]), Ref("o", l - 1, (c, r, q)))))
    env = {w_sym: kernel_of(k, W)[K], o_sym: window, b_sym: float(W[K, 0])}
    note = f"r = {i}·{k.stride} + u − {k.padding}, q = {j}·{k.stride} + v − {k.padding}, counting i, j, u, v from 0"
    return Equation(_sym("s", l, K, i, j), (rule, add(*terms), Num(float(s_l[K, i, j]), Ref("s", l, (K, i, j)))),
                    bindings=env, note=note)


def conv_o(net: Network, state: State, l: int, pos: Pos) -> tuple[Equation, ...]:
    s_l, o_l = np.asarray(state.s[l]), np.asarray(state.o[l])
    sm, om = _map("s", l), _map("o", l)
    act = net.act(l)
    alpha = _alpha(net, l)
    whole = Equation(om, (act.value(sm), Arr(o_l, Ref("o", l))), bindings={sm: s_l, **alpha})
    return whole, conv_o_at(net, state, l, pos)


def conv_o_at(net: Network, state: State, l: int, pos: Pos) -> Equation:
    s_l, o_l = np.asarray(state.s[l]), np.asarray(state.o[l])
    s_sym = _sym("s", l, *pos)
    f = net.act(l).value(s_sym)
    from ...formulas.formula import substitute

    filled = substitute(f, {s_sym: Num(float(s_l[pos]), Ref("s", l, pos))})
    return Equation(_sym("o", l, *pos), (f, filled, Num(float(o_l[pos]), Ref("o", l, pos))),
                    bindings={s_sym: float(s_l[pos]), **_alpha(net, l)})


def _alpha(net: Network, l: int) -> dict:
    from ...ops.activations import ALPHA

    return {ALPHA: net.alphas[l - 1]} if net.act(l).uses_alpha else {}


def pool_o(state: State, l: int, k: Pool2d, pos: Pos, P: Any = None) -> tuple[Equation, ...]:
    o_prev, o_l = np.asarray(state.o[l - 1]), np.asarray(state.o[l])
    om = _map("o", l - 1)
    size, st = Num(float(k.size), exact=True), Num(float(k.stride), exact=True)
    rhs = Op(f"{k.mode}pool", (om, size, st))
    note = f"{k.size}×{k.size} windows, stride {k.stride}" + unread_note(k, l, P)
    whole = Equation(_map("o", l), (rhs, Arr(o_l, Ref("o", l))), bindings={om: o_prev}, note=note)
    return whole, pool_o_at(state, l, k, pos)


def pool_o_at(state: State, l: int, k: Pool2d, pos: Pos) -> Equation:
    o_prev, o_l = np.asarray(state.o[l - 1]), np.asarray(state.o[l])
    c, i, j = pos
    rows, cols = k.receptive_field(i, j)
    cells = [(c, r, q) for r in range(rows.start, rows.stop) for q in range(cols.start, cols.stop)]
    syms = [_sym("o", l - 1, *cell) for cell in cells]
    nums = [Num(float(o_prev[cell]), Ref("o", l - 1, cell)) for cell in cells]
    env = {s: float(o_prev[cell]) for s, cell in zip(syms, cells)}
    if k.mode == "max":
        rule: Node = Call("maxof", tuple(syms))
        filled: Node = Call("maxof", tuple(nums))
    else:
        n = Num(float(k.size * k.size), exact=True)
        rule, filled = Op("/", (Op("()", (add(*syms),)), n)), Op("/", (Op("()", (add(*nums),)), n))
    return Equation(_sym("o", l, *pos), (rule, filled, Num(float(o_l[pos]), Ref("o", l, pos))), bindings=env)


def dense_after_map_s(state: State, l: int, k: LayerKind, P: Any = None) -> tuple[Equation, ...]:
    """s⁽ˡ⁾ = W⁽ˡ⁾ [1, vec(o⁽ˡ⁻¹⁾)]: the map flattened in C, H, W order, the bias column kept; in a
    profile with a separate b, z = W vec(a) + b (with rows, vec(a) W + b, W shown transposed)."""
    W, o_prev, s_l = state.W[l], np.asarray(state.o[l - 1]), state.s[l]
    Wm, om = _map("W", l), _map("o", l - 1)
    if P is not None and P.separate_bias:
        rows = P.vectors == "row"
        x, b = Op("vec", (om,)), _map("b", l)
        wv, bv = P.parts("W")  # W's parts as the profile shows them (profiles.PARTS)
        shown, bias = shown_value(W, wv), shown_value(W, bv)
        rhs = add(Op("@", (x, Wm) if rows else (Wm, x)), b)
        xs = Arr(o_prev.reshape(-1), means=x)
        Ws = Arr(shown, Ref("W", l, view=wv), means=Wm)
        numbers = add(Op("@", (xs, Ws) if rows else (Ws, xs)), Arr(bias, Ref("W", l, view=bv), means=b))
        return (Equation(_map("s", l), (rhs, numbers, Arr(np.asarray(s_l), Ref("s", l))),
                         bindings={Wm: shown, om: o_prev, b: bias}, note="vec: the map flattened in C, H, W order"),)
    col = Op("cat1", (Op("vec", (om,)),))
    rhs = Op("@", (Wm, col))
    numbers = Op("@", (Arr(W, Ref("W", l)), Arr(np.concatenate([[1.0], o_prev.reshape(-1)]), means=col)))
    return (Equation(_map("s", l), (rhs, numbers, Arr(np.asarray(s_l), Ref("s", l))), bindings={Wm: W, om: o_prev},
                     note="vec: the map flattened in C, H, W order"),)


def dense_after_map_G(state: State, step: Step, l: int, k: LayerKind, P: Any = None, m: int | None = None,
                      L: int = 0, M: Sym = E.M) -> tuple[Equation, ...]:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾ [1, vec(o⁽ˡ⁻¹⁾)]ᵀ; in a profile as it groups a dense layer's (W's and b's apart,
    the mean over the group's ``m`` examples)."""
    Gm, dm, om = _map("G", l), _map("δ", l, latex=r"\delta"), _map("o", l - 1)
    o_prev, d = np.asarray(state.o[l - 1]), np.asarray(state.delta[l])
    col = Op("cat1", (Op("vec", (om,)),))
    if P is not None and (P.separate_bias or P.mean):
        read = (col, Op("vec", (om,)), om, o_prev, np.concatenate([[1.0], o_prev.reshape(-1)]))
        return E._gradient(state, step, l, P.separate_bias, m, P.vectors == "row", L, M, read)
    rhs = add(Gm, Op("outer", (dm, col)))
    numbers = add(Arr(np.asarray(step.before), means=Gm),
                  Op("outer", (Arr(d, Ref("delta", l)), Arr(np.concatenate([[1.0], o_prev.reshape(-1)]), means=col))))
    return (Equation(Gm, (rhs, numbers, Arr(np.asarray(step.value), Ref("G", l))), "←",
                     {Gm: step.before, dm: d, om: o_prev}),)


# -- G of a convolution -------------------------------------------------------------------------------
def conv_G(state: State, step: Step, l: int, k: Conv2d, pos: Pos, P: Any = None, m: int | None = None,
           L: int = 0, M: Sym = E.M) -> tuple[Equation, ...]:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + [Σ_{i,j} δ⁽ˡ⁾ | o⁽ˡ⁻¹⁾ ⋆ δ⁽ˡ⁾]: the bias gets the sum of δ over the positions, the
    kernel the correlation of the input with δ; then the scalar form for one kernel weight. In a mean
    profile (``m``: the group's size) each example adds its term divided by m: G is shown as G/m."""
    o_prev, d = np.asarray(state.o[l - 1]), np.asarray(state.delta[l])
    per = m or 1
    before, after = np.asarray(step.before) / per, np.asarray(step.value) / per
    Gk, Gb = Sym("G", l, vector=True, accent=""), _map("G_b", l, latex="G_b")
    dm, om = _map("δ", l, latex=r"\delta"), _map("o", l - 1)
    st, p = Num(float(k.stride), exact=True), Num(float(k.padding), exact=True)
    kernel_before = before[:, 1:].reshape(k.kernel_shape)
    Gw = _map("G_w", l, latex="G_w")
    kh, kw = (Num(float(x), exact=True) for x in k.kernel)
    term = Op("⋆G", (om, dm, st, p, kh, kw))
    rule = add(Gw, Op("/", (term, M)) if m else term)
    env = {Gw: kernel_before, om: o_prev, dm: d, **({M: float(m)} if m else {})}
    if P is None:
        note = f"the kernel's part of G{_sup(l)}; its bias column gets Σ_{{i,j}} δ_{{k,i,j}}{_sup(l)}; {_note_conv(k, l)}"
    else:  # the profile's names: the kernel's gradient and its bias's
        from ...formulas.formula import TextPrinter

        named = TextPrinter(notation=P)
        note = (f"the kernel's part of {named.p(Gw)}; the bias's {named.p(Gb)} gets Σ_{{i,j}} "
                f"{named.p(_sym('δ', l, 'k', 'i', 'j', latex=chr(92) + 'delta'))}; {_note_conv(k, l, P)}")
    whole = Equation(Gw, (rule, Arr(after[:, 1:].reshape(k.kernel_shape))), "←", env, note=note)
    del Gk, Gb
    return whole, conv_G_at(state, step, l, k, pos, P, m, L, M)


def _sup(l: int) -> str:
    from ...formulas.notation import sup

    return sup(l)


def conv_G_at(state: State, step: Step, l: int, k: Conv2d, pos: Pos, P: Any = None, m: int | None = None,
              L: int = 0, M: Sym = E.M) -> Equation:
    """G_{k,c,u,v}⁽ˡ⁾ ← G_{k,c,u,v}⁽ˡ⁾ + Σ_{i,j} δ_{k,i,j}⁽ˡ⁾ o_{c,r,q}⁽ˡ⁻¹⁾ (r = i·stride + u − padding);
    in a mean profile the sum divided by the group's ``m``, G shown as G/m where the profile shows it."""
    from ...formulas.profiles import shown_ref

    K, c, u, v = pos
    o_prev, d = np.asarray(state.o[l - 1]), np.asarray(state.delta[l])
    per = m or 1
    before, after = np.asarray(step.before) / per, np.asarray(step.value) / per
    col = kernel_col(k, c, u, v)
    _, Ho, Wo = k.out_shape
    C, H, Wd = k.in_shape
    g_sym = _sym("G", l, K, c, u, v)
    d_sym, o_sym = _sym("δ", l, K, "i", "j", latex=r"\delta"), _sym("o", l - 1, c, "r", "q")
    ds, os_, terms = [], [], []
    for i in range(Ho):
        for j in range(Wo):
            r, q = i * k.stride + u - k.padding, j * k.stride + v - k.padding
            inside = 0 <= r < H and 0 <= q < Wd
            ds.append(d[K, i, j])
            os_.append(o_prev[c, r, q] if inside else 0.0)
            if inside:
                terms.append(mul(Num(float(d[K, i, j]), Ref("delta", l, (K, i, j))),
                                 Num(float(o_prev[c, r, q]), Ref("o", l - 1, (c, r, q)))))
    total = Sum("i,j", mul(d_sym, o_sym))
    rule = add(g_sym, Op("/", (Op("()", (total,)), M)) if m else total)
    added = (add(*terms) if len(terms) > 1 else terms[0]) if terms else Num(0.0, exact=True)
    filled = add(Num(float(before[K, col]), means=g_sym),
                 *((Op("/", (Op("()", (added,)), Num(float(m), exact=True))),) if m else terms))
    env = {g_sym: float(before[K, col]), d_sym: np.array(ds), o_sym: np.array(os_), **({M: float(m)} if m else {})}
    ref = Ref("G", l, (K, col))
    shown = shown_ref(ref, E.profile_for(P, k), L) if P is not None else ref  # the kernel's G as its row shows it
    return Equation(g_sym, (rule, filled, Num(float(after[K, col]), shown)),
                    "←", env, note=f"r = i·{k.stride} + u − {k.padding}, q = j·{k.stride} + v − {k.padding}")


# -- backward through a map layer -----------------------------------------------------------------------
def delta_symbol(net: Network, l: int, n: Any, pos: Pos | None = None) -> Node:
    """δ⁽ˡ⁾ (δ_{c,r,q}⁽ˡ⁾ at a position), or ∂ℓ/∂o⁽ˡ⁾ for a pooling layer, which has no s: as the
    layer's kind names it (``LayerKind.cell_sym``)."""
    return net.kind(l).cell_sym("delta", l, pos, n)


def back_delta(net: Network, state: State, l: int, n: Any, pos: Pos, P: Any = None) -> tuple[Equation, ...]:
    """δ⁽ˡ⁾ (or ∂ℓ/∂o⁽ˡ⁾) from the layer above, whatever its kind, at map level and at ``pos``; from a
    dense layer in a profile with a separate b, its W without the bias column (no [1:])."""
    k, above = net.kind(l), net.kind(l + 1)
    d_next, o_l, value = np.asarray(state.delta[l + 1]), np.asarray(state.o[l]), np.asarray(state.delta[l])
    dn = _map("δ", l + 1, latex=r"\delta")
    up: Node
    env: dict = {}
    if isinstance(above, Conv2d):
        Wm = _map("W", l + 1)
        _, H, Wd = above.in_shape
        up = Op("⋆full", (dn, Wm, Num(float(above.stride), exact=True), Num(float(above.padding), exact=True),
                          Num(float(H), exact=True), Num(float(Wd), exact=True)))
        env.update({dn: d_next, Wm: kernel_of(above, state.W[l + 1])})
        note = f"the full correlation of {_named(P)(E.delta(l + 1))} with the flipped kernel; {_note_conv(above, l + 1, P)}"
    elif isinstance(above, Pool2d):
        g = delta_symbol(net, l + 1, n)
        om = _map("o", l)
        gm = _map("g", l + 1)  # stands for ∂ℓ/∂o⁽ˡ⁺¹⁾ in the tree; printed through ``route``
        up = Op(f"route_{above.mode}", (g, om, Num(float(above.size), exact=True), Num(float(above.stride), exact=True)))
        env.update({g: d_next, om: o_l})
        del gm
        note = ("each window's gradient goes to its first maximum (row-major)" if above.mode == "max"
                else f"each window's gradient is spread evenly over its {above.size * above.size} entries") + \
            unread_note(above, l + 1, P)
    elif P is not None and P.separate_bias:  # a dense layer reading the map, W without its bias column
        Wm = _map("W", l + 1)
        shape = tuple(Num(float(x), exact=True) for x in k.out_shape)
        rows = P.vectors == "row"
        up = Op("unvec", (Op("@", (dn, Op("T", (Wm,))) if rows else (Op("T", (Wm,)), dn)),) + shape)
        env.update({dn: d_next, Wm: state.W[l + 1][:, 1:].T if rows else state.W[l + 1][:, 1:]})
        note = "unvec: back to the map's C, H, W shape"
    else:  # a dense layer reading the map: (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:], back in the map's shape
        Wm = _map("W", l + 1)
        shape = tuple(Num(float(x), exact=True) for x in k.out_shape)
        up = Op("unvec", (Op("drop0", (Op("@", (Op("T", (Wm,)), dn)),)),) + shape)
        env.update({dn: d_next, Wm: state.W[l + 1]})
        note = "unvec: back to the map's C, H, W shape"
    lhs = delta_symbol(net, l, n)
    if k.has_s:
        s_l = np.asarray(state.s[l])
        sm, om = _map("s", l), _map("o", l)
        df = net.act(l).derivative(sm, om)
        one = net.act(l).derivative_is_one
        rule = up if one else mul(Op("()", (up,)), df)
        note += f"; {IDENTITY_NOTE}" if one else ""
        env.update({sm: s_l, om: net.units(l, o_l), **_alpha(net, l)})
    else:
        rule = up
    whole = Equation(lhs, (rule, Arr(value, Ref("delta", l))), bindings=env, note=note)
    return whole, back_delta_at(net, state, l, n, pos, P)


def back_delta_at(net: Network, state: State, l: int, n: Any, pos: Pos, P: Any = None) -> Equation:
    """One entry of δ⁽ˡ⁾ (or ∂ℓ/∂o⁽ˡ⁾): the sum over the entries above that read it, each with its weight
    (a convolution), routed to it (max pooling) or shared with it (average pooling); ⊙ f′(s)."""
    k, above = net.kind(l), net.kind(l + 1)
    d_next, value = np.asarray(state.delta[l + 1]), np.asarray(state.delta[l])
    o_l = np.asarray(state.o[l])
    top = _sym("δ", l + 1, "·", latex=r"\delta")
    terms: list[Node] = []
    vals_d: list[float] = []
    vals_w: list[float] = []
    if isinstance(above, Conv2d):
        c, r, q = pos
        for K in range(above.channels):
            for i in range(above.out_shape[1]):
                for j in range(above.out_shape[2]):
                    u, v = r + above.padding - i * above.stride, q + above.padding - j * above.stride
                    if 0 <= u < above.kernel[0] and 0 <= v < above.kernel[1]:
                        col = kernel_col(above, c, u, v)
                        w = float(state.W[l + 1][K, col])
                        vals_d.append(float(d_next[K, i, j]))
                        vals_w.append(w)
                        terms.append(mul(Num(float(d_next[K, i, j]), Ref("delta", l + 1, (K, i, j))),
                                         Num(w, _wref(state, l + 1, (K, col)))))
        w_sym = _sym("w", l + 1, "k", c, "u", "v")
        d_sym = _sym("δ", l + 1, "k", "i", "j", latex=r"\delta")
        up_rule: Node = Sum("k,i,j", mul(d_sym, w_sym))
        env: dict = {d_sym: np.array(vals_d), w_sym: np.array(vals_w)}
        note = f"over the outputs (k, i, j) whose window covers ({_unit(P, r)}, {_unit(P, q)}): u = r + {above.padding} − i·{above.stride}"
    elif isinstance(above, Pool2d):
        c, r, q = pos
        arg = above.argmax(o_l.reshape(-1, 1))[..., 0] if above.mode == "max" else None
        share = 1.0 if above.mode == "max" else 1.0 / (above.size * above.size)
        for i in range(above.out_shape[1]):
            for j in range(above.out_shape[2]):
                rows, cols = above.receptive_field(i, j)
                if rows.start <= r < rows.stop and cols.start <= q < cols.stop:
                    first = arg is None or arg[c, i, j] == (r - rows.start) * above.size + (q - cols.start)
                    if first:
                        vals_d.append(float(d_next[c, i, j]))
                        g = Num(float(d_next[c, i, j]), Ref("delta", l + 1, (c, i, j)))
                        terms.append(g if above.mode == "max" else Op("/", (g, Num(float(above.size ** 2), exact=True))))
        g_sym = _sym("g", l + 1, c, "i", "j")
        up_rule = Sum("i,j", g_sym) if above.mode == "max" else Sum("i,j", Op("/", (g_sym, Num(float(above.size ** 2), exact=True))))
        env = {g_sym: np.array(vals_d)}
        if P is None:
            meaning = "g = ∂ℓ/∂o" + _sup(l + 1)
        else:  # the letters as the profile prints them (goodfellow's ĝ beside his g)
            from ...formulas.formula import TextPrinter

            named = TextPrinter(notation=P)
            meaning = f"{named.p(Sym('g'))} = {named.p(Partial(Sym('ℓ', latex=chr(92) + 'ell'), E.o(l + 1), prefixed=True))}"
        note = meaning + (", summed over the windows whose first maximum is here" if above.mode == "max"
                          else ", over the windows that hold this entry")
        del share
    else:  # dense above: Σ_c δ_c⁽ˡ⁺¹⁾ w_c,a⁽ˡ⁺¹⁾ with a the entry's place in vec(o⁽ˡ⁾) (+1: the bias column)
        a = int(np.ravel_multi_index(pos, k.out_shape)) + 1
        W = state.W[l + 1]
        for b in range(W.shape[0]):
            vals_d.append(float(d_next[b]))
            vals_w.append(float(W[b, a]))
            terms.append(mul(Num(float(d_next[b]), Ref("delta", l + 1, (b,))), Num(float(W[b, a]), _wref(state, l + 1, (b, a)))))
        d_sym = _sym("δ", l + 1, "c", latex=r"\delta")
        sep = P is not None and P.separate_bias  # the entry's column of W without its bias column, as shown
        w_sym = Sym("w", l + 1, ("c", str(P.unit(a) if P is not None else a)))
        up_rule = Sum("c", mul(d_sym, w_sym))
        env = {d_sym: np.array(vals_d), w_sym: np.array(vals_w)}
        read = _named(P)(E.o(l))  # the map the dense layer reads, as the notation names it
        note = f"entry {P.unit(a) if P is not None else a} of vec({read})" if sep else f"entry {a} of [1, vec({read})]"
    del top
    up_filled: Node = add(*terms) if len(terms) > 1 else (terms[0] if terms else Num(0.0, exact=True))
    lhs = delta_symbol(net, l, n, pos)
    if not k.has_s or net.act(l).derivative_is_one:  # ∂ℓ/∂o of a pooling layer; δ without a factor 1
        note += f"; {IDENTITY_NOTE}" if k.has_s else ""
        return Equation(lhs, (up_rule, up_filled, Num(float(value[pos]), Ref("delta", l, pos))), bindings=env, note=note)
    s_l = np.asarray(state.s[l])
    s_sym, o_sym = _sym("s", l, *pos), _sym("o", l, *pos)
    df = net.act(l).derivative(s_sym, o_sym)
    fp = float(net.df(l, s_l, net.units(l, o_l))[pos])
    env.update({s_sym: float(s_l[pos]), o_sym: float(net.units(l, o_l)[pos]), **_alpha(net, l)})
    rule = mul(Op("()", (up_rule,)), df)
    up_value = float(np.sum(np.array(vals_d) * np.array(vals_w))) if vals_w else float(np.sum(vals_d) *
                                                                                         (1.0 if not isinstance(above, Pool2d) or above.mode == "max" else 1.0 / above.size ** 2))
    filled = mul(Op("()", (up_filled,)) if len(terms) > 1 else up_filled, Num(fp, means=df))
    middle = mul(Num(up_value, means=Op("()", (up_rule,))), Num(fp, means=df)) if len(terms) > 1 else None
    forms = (rule, filled) + ((middle,) if middle is not None else ()) + (Num(float(value[pos]), Ref("delta", l, pos)),)
    return Equation(lhs, forms, bindings=env, note=note)


# -- the network's rules (core/engine/equations.py's network_formulas asks each kind) ----------------
_ONE, _ZERO = Num(1.0, exact=True), Num(0.0, exact=True)
_FL = E.fprime_label("l")


def conv_rules(net: Network, l: int) -> list[Equation]:
    """A convolution's s, and o = f(s) without a bias entry, and its f′."""
    s, o = E.s, E.o
    return [Equation(s(l), (Op("⋆", (E.W(l), o(l - 1), Sym("b", l, vector=True), _ONE, _ZERO)),)),
            Equation(o(l), (net.act(l).value(s(l)),)),
            Equation(E.fprime_label(l), (E.fprime(net, l, s(l), o(l)),))]


def conv_shared_rules(P: Any = None) -> list[Equation]:
    """δ below a convolution, and a kernel's G (its note names δ as the profile ``P`` prints it)."""
    from ...formulas.formula import TextPrinter

    delta, o = E.delta, E.o
    G_w = Sym("G_w", "l", vector=True, latex="G_w")
    return [Equation(delta("l"), (mul(Op("()", (Op("⋆full", (delta("l+1"), E.W("l+1"), _ONE, _ZERO)),)), _FL),),
                     note="below a convolution: the full correlation with the flipped kernel"),
            Equation(G_w, (add(G_w, Op("⋆G", (o("l-1"), delta("l"), _ONE, _ZERO))),), "←",
                     note=f"a convolution's kernel; its bias gets Σ of {TextPrinter(notation=P).p(delta('l'))} over the positions")]


def pool_rules(k: Pool2d, l: int) -> list[Equation]:
    """A pooling layer's o, straight from the map below."""
    return [Equation(E.o(l), (Op(f"{k.mode}pool", (E.o(l - 1), _ONE, _ONE)),))]


def pool_shared_rules(k: Pool2d) -> list[Equation]:
    """∂ℓ/∂o⁽ˡ⁾ below a pooling layer: to each window's first maximum, or spread over the window."""
    where = "to each window's first maximum" if k.mode == "max" else "spread evenly over each window's entries"
    return [Equation(E.delta("l"), (Op(f"route_{k.mode}", (Partial(E.loss_sym("n"), E.o("l+1")), E.o("l"), _ONE, _ONE)),),
                     note=f"below {'an' if k.type[0] in 'aeiou' else 'a'} {k.type} layer (⊙ f′ for a convolution): {where}")]

"""The unrolled computation graph of a recurrent network (the ``c`` view), derived from the stepper's
state (no Textual here; drawn by the same canvas as the dense networks' graph, ``graph_canvas.py``).

For the example on the board, of T steps, every layer the sequence flows through (recurrent layers,
stacked or not, and dense layers applied at each τ) has a box per time step τ: ``h{l}_{τ}`` holds
s⁽ˡ⁾_τ and o⁽ˡ⁾_τ (their formulas, then s, o and δ as columns, a row per unit: narrow enough that
three time steps and more fit beside each other at 120 columns). A box reads the box of the layer
below at the same τ (layer 1 reads o⁽⁰⁾_τ = [1, x_τ]) and its layer's one W⁽ˡ⁾ (a recurrent layer's
[W | U]⁽ˡ⁾, which holds G⁽ˡ⁾ summed over τ); a recurrent layer's box reads its own box at τ − 1 too
(o⁽ˡ⁾₀ = 0 at τ = 1). A layer above a many-to-one recurrent layer runs once, on its o_T (box
``h{l}``). The output layer's boxes end in ℓ with y. The box the last step computed is marked, with
the edges it read along: forward along the arrows, backward against them (δ⁽ˡ⁾_τ reads δ⁽ˡ⁾_{τ+1}
through the edge to the box at τ + 1, and δ⁽ˡ⁺¹⁾_τ through the edge to the layer above).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rich.cells import cell_len

from ..core.engine.kind import timed_layers
from ..core.kinds.rnn import equations as req
from ..core.engine.equations import LOSS_D
from ..core.formulas.formula import Node, TextPrinter
from ..core.engine.network import Network
from ..core.formulas.notation import mat, num, sup, vec
from ..core.formulas.numformat import cell, number_format
from .diagrams import (MAX_BOX, PENDING, CanvasNode, CanvasState, Diagram, _profiled, board_input, panel_text,
                       value_width)


def _tsub(t: int | str) -> str:
    return str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _tag(t: int | None) -> str:
    return "" if t is None else f"_{t}"


def box_id(l: int, t: int | None) -> str:
    """The box of layer l at τ = t (None: a layer above a many-to-one layer, which runs once)."""
    return f"h{l}{_tag(t)}"


def layer_times(net: Network, T: int) -> list[list[int | None]]:
    """For layers 1..L: the τ of its boxes (1..T for a layer the sequence flows through, else once)."""
    return [list(range(1, T + 1)) if timed else [None] for timed in timed_layers(net.kinds)]


def box_forms(net: Network, T: int, notation: Any = None) -> dict[str, Node]:
    """The formula tree each box of an example of T steps computes, from core/kinds/rnn (the same trees the
    step equations print): o⁽⁰⁾_τ, s⁽ˡ⁾_τ and o⁽ˡ⁾_τ (keys ``s{l}_{τ}``, ``o{l}_{τ}``; once: ``s{l}``, ``o{l}``)
    and ℓ; in a ``notation`` profile as its step equations group them (a separate b, row vectors)."""
    from ..core.kinds.rnn import profiled

    P = _profiled(notation)
    return profiled.lecture_box_forms(net, T) if P is None else profiled.box_forms(net, T, P)


def column_width(digits: int) -> int:
    """One number of a box's columns: a sign, "0." and ``digits`` digits (a longer one pushes its row's next column on)."""
    return digits + 4


def columns_width(digits: int) -> int:
    """A layer's box: its s, o and δ columns side by side."""
    return 3 * column_width(digits) + 2


def _wrap(text: str, width: int) -> list[str]:
    """A formula over as many lines as ``width`` needs, broken before its top-level "+" terms."""
    parts = text.split(" + ")
    lines = [parts[0]]
    for part in parts[1:]:
        if cell_len(lines[-1]) + 3 + cell_len(part) <= width:
            lines[-1] += " + " + part
        else:
            lines.append("    + " + part)
    return lines


def parameter_parts(kind: Any, l: int, P: Any) -> list[Any]:
    """The parts of layer l's stored matrix that the W box shows in profile ``P`` (engine/kind.py's
    ``ParameterPart``): a recurrent layer's W, U and b, a dense layer's W and b, with a separate bias (as
    its update equations write them); else the matrix whole, under W (a recurrent layer's [W | U])."""
    from ..core.engine.equations import G, Gb, W, b
    from ..core.engine.kind import ParameterPart

    if P.separate_bias:
        return kind.update_parts(l) or [ParameterPart(1, None, W(l), G(l)), ParameterPart(0, None, b(l), Gb(l), vector=True)]
    return [ParameterPart(0, None, W(l), G(l))]


def _part_value(P: Any, a: Any, part: Any, m: int | None = None) -> Any:
    """Part ``part`` of the lecture's board matrix ``a`` (W, or with ``m`` the gradient G) as profile ``P``
    shows it (a column-0 profile: the matrix whole; G/m in a mean profile)."""
    from ..core.formulas.profiles import PER, shown_value

    if a is None:
        return None
    view = P.part_view(part) if P.separate_bias else P.parts("W")[0]
    return shown_value(a, view if m is None else view + PER[P.gradient_mode], m or 1)


def unrolled_title(notation: Any = None) -> str:
    """The c view's title on a recurrent network, in ``notation``."""
    P = _profiled(notation)
    if P is None:
        return ("Computation graph unrolled in time, this example's τ = 1 … T: a box per layer and τ with its "
                "s, o and δ by unit; W⁽ˡ⁾ (a recurrent layer's [W | U]⁽ˡ⁾) holds G⁽ˡ⁾, summed over τ")
    from ..core.engine.equations import G, W, b
    from ..core.formulas.formula import Sym

    p = TextPrinter(notation=P).p
    heads = ", ".join(p(Sym(q, latex=r"\delta" if q == "δ" else None)) for q in ("s", "o", "δ"))
    if P.separate_bias:
        holds = (f"{p(W('l'))}, {p(req.U('l'))} and {p(b('l'))} hold their gradients "
                 f"{p(G('l'))}, {p(Sym('G', 'l', ('U',), vector=True, group=True))}, {p(Sym('Gb', 'l', vector=True))}")
    else:
        holds = f"{p(W('l'))} (a recurrent layer's with {p(req.U('l'))}) holds {p(G('l'))}"
    mean = "; each the mean over the board's update group" if P.mean else ""
    return (f"Computation graph unrolled in time, this example's τ = 1 … T: a box per layer and τ with its "
            f"{heads} by unit; {holds}, summed over τ{mean}")


@lru_cache(maxsize=8)
def _nodes(net: Network, T: int, digits: int = 4, notation: Any = None
           ) -> tuple[list[tuple[str, str, tuple[str, ...], int]], list[tuple[str, str]]]:
    """(id, name, the fixed lines (formulas), rows of numbers) of each node, and the edges, for an example
    of T steps (a layer's box: its s formula, over more lines when wider than the columns, its o formula;
    then the columns' heads and a row per unit), in ``notation`` (a profile: its symbols and grouping, W's
    parts one under the other: :func:`parameter_parts`). Kept for the few last networks and lengths: the
    keypresses of an example print the trees once."""
    from ..core.formulas.formula import Sym

    spec, kinds = net.spec, net.kinds
    L, d = spec.L, spec.widths[0]
    P = _profiled(notation)
    p = TextPrinter(notation=P).p
    forms = box_forms(net, T, P)
    times = layer_times(net, T)
    nodes: list[tuple[str, str, tuple[str, ...], int]] = []
    edges: list[tuple[str, str]] = []
    s_name, o_name = ("s", "o") if P is None else (p(Sym("s", vector=True)), p(Sym("o", vector=True)))
    for l, k in enumerate(kinds, start=1):
        rows, cols = k.param_shape
        shared = ", shared by every τ" if times[l - 1][0] is not None else ""
        if P is None:
            name = f"[W | U]{sup(l)}" if k.over_time else f"W{sup(l)}"
            nodes.append((f"W{l}", name, (f"{rows}×{cols}{shared}",), 2))
        else:
            parts = parameter_parts(k, l, P)
            shapes = ", ".join("×".join(map(str, np.shape(_part_value(P, np.zeros((rows, cols)), part)))) for part in parts)
            name = ", ".join(p(part.sym) for part in parts)
            if not P.separate_bias and k.over_time:
                name = f"[{p(parts[0].sym)} | {p(req.U(l))}]"
            nodes.append((f"W{l}", name, (shapes + shared,), 2 * len(parts)))
        if k.over_time:
            nodes.append((f"o{l}_0", f"o{sup(l)}{_tsub(0)}" if P is None else p(req.sym(getattr(k, "output_name", "o"), l, 0)), ("0",), 0))
    for tau in range(1, T + 1):
        name = f"o{sup(0)}{_tsub(tau)}" if P is None else p(req.sym("o", 0, tau))
        nodes.append((f"x_{tau}", name, (p(forms[f"x_{tau}"]),), d + (P is None or not P.separate_bias)))
    for l, k in enumerate(kinds, start=1):
        for t in times[l - 1]:
            me = box_id(l, t)
            ts = "" if t is None else _tsub(t)
            lines = (*_wrap(f"{s_name} = {p(forms[f's{l}{_tag(t)}'])}", columns_width(digits)),
                     f"{o_name} = {p(forms[f'o{l}{_tag(t)}'])}")
            name = f"s{sup(l)}{ts}, o{sup(l)}{ts}" if P is None else f"{p(req.sym('s', l, t))}, {p(req.sym('o', l, t))}"
            nodes.append((me, name, lines, spec.widths[l] + 1))
            if l == 1:
                below = f"x_{t}"
            elif t is None and times[l - 2][0] is not None:  # above a many-to-one layer: its o_T
                below = box_id(l - 1, T)
            else:
                below = box_id(l - 1, t)
            edges += [(below, me), (f"W{l}", me)]
            if k.over_time:
                assert t is not None
                edges.append((f"o{l}_0" if t == 1 else box_id(l, t - 1), me))
    for t in times[L - 1]:
        edges.append((box_id(L, t), "loss"))
    seqs = spec.return_sequences
    nodes += [("y", "y", ("targets, one per τ" if seqs else "target",), 1),
              ("loss", p(Sym("ℓ", latex=r"\ell")), (p(forms["loss"]),), 2)]
    edges.append(("y", "loss"))
    return nodes, edges


def example_length(stepper: Any) -> int:
    """T of the example on the board (or the next one, before its first step)."""
    st = stepper.state
    if st.s[1] is not None:
        return len(st.s[1])
    return int(stepper.spec.lengths[stepper.where().example - 1])


def unrolled_graph(net: Network, T: int, digits: int = 4, notation: Any = None) -> Diagram:
    nodes, edges = _nodes(net, T, digits, _profiled(notation))
    cw = column_width(digits)
    unit = columns_width(digits)
    canvas = []
    for i, name, lines, rows in nodes:
        if i.startswith("h"):
            width = max([unit] + [cell_len(line) for line in lines])
        elif i[0] == "W" or i == "y":  # its numbers as wide as a layer's box: longer ones end in …
            width = max(cell_len(lines[0]), min(unit, value_width((8, 8), digits)))
        else:
            width = max([cell_len(line) for line in lines] + [cw + 2])
        canvas.append(CanvasNode(i, name, len(lines) + rows, min(MAX_BOX, width)))
    pinned = frozenset({"W1"} | {f"x_{t}" for t in range(1, T + 1)} | {i for i, *_ in nodes if i.endswith("_0")})
    # a layer at τ above the layer it reads at τ, in one column: a time step's boxes one over the other
    stacked = frozenset((u, v) for u, v in edges if u[0] == v[0] == "h" and u.partition("_")[2] == v.partition("_")[2] != "")
    return Diagram(canvas, list(edges), pinned=pinned, stacked=stacked)  # a copy: the cached list stays as it is


COLUMNS_KEPT = 1 << 12
# (a column's values as bytes, their dtype and shape, digits, rows, first row, the format of its panel's array) →
# its lines: a step changes one box's s, o or δ, and the other columns of the example (s, o, δ of every box, each
# x_τ) are not written again
_COLUMNS: dict[tuple[Any, ...], tuple[str, ...]] = {}


def _column(a: np.ndarray, digits: int, n: int, first: int, fmt: str) -> tuple[str, ...]:
    """The lines of a column of numbers: ``n`` entries of ``a`` from ``first``, each as the sequence panel's
    cell writes it in ``fmt``; pending while ``a`` is all NaN."""
    if not np.all(np.isfinite(a)) and np.all(np.isnan(a)):
        return (PENDING,) * n
    return tuple(cell(x, digits, fmt) for x in a[first:first + n].tolist())


def unrolled_state(stepper: Any, diagram: Diagram, digits: int) -> CanvasState:
    """The numbers of each box of the example on the board, in the stepper's notation (a profile: its
    parts of W and G, G/m in a mean profile, x without its 1 with a separate bias), and the box and edges
    the last step marks."""
    from ..core.engine.equations import board_group_size, loss_D_text, loss_text
    from ..core.formulas.formula import Sym

    st, net = stepper.state, stepper.net
    kinds, L = net.kinds, net.L
    P = _profiled(getattr(stepper, "notation", None))
    T = example_length(stepper)
    fixed = {i: lines for i, _, lines, _ in _nodes(net, T, digits, P)[0]}
    cw = column_width(digits)
    p = TextPrinter(notation=P).p
    heads = ("s", "o", "δ") if P is None else tuple(p(Sym(q, latex=r"\delta" if q == "δ" else None)) for q in "soδ")
    loss_D = p(LOSS_D)
    sep = P is not None and P.separate_bias

    def v(x: Any) -> str:
        if x is None:
            return PENDING
        a = np.asarray(x, dtype=float)
        if a.ndim and not np.all(np.isfinite(a)) and np.all(np.isnan(a)):
            return PENDING
        return num(float(a), digits) if a.ndim == 0 else vec(a, digits) if a.ndim == 1 else mat(a, digits)

    def at(board: Any, l: int, q: str, t: int | None) -> np.ndarray | None:
        """Layer l's ``q`` at τ = t (its row of the per-τ board, as its kind keeps it), or once."""
        a = board[l]
        if a is None:
            return None
        a = np.asarray(a, dtype=float)
        return a if t is None else a[kinds[l - 1].time_row(q, t)]

    def panel(x: Any) -> str:
        """W⁽ˡ⁾, G⁽ˡ⁾ (or a profile's part of them) as the sequence panel writes each entry: its cell, in the
        format of the whole matrix."""
        if x is None or np.asarray(x).ndim and np.all(np.isnan(np.asarray(x, dtype=float))):
            return PENDING
        return panel_text(x, digits)

    formats: dict[int, tuple[Any, str]] = {}  # id(an array) → (it, its format): a layer's board once, not once a τ

    def column(a: np.ndarray | None, n: int, first: int = 0, whole: Any = None) -> list[str]:
        """Entries ``first`` … of ``a`` (a layer's s, o or δ at τ), each as the sequence panel's cell writes it,
        in the format of ``whole``, the panel's array (the layer's per-τ board; x_τ's: the example's x)."""
        if a is None:
            return [PENDING] * n
        src = a if whole is None else whole
        known = formats.get(id(src))
        if known is None or known[0] is not src:
            known = formats[id(src)] = (src, number_format(src, digits))
        key = (a.tobytes(), a.dtype.str, a.shape, digits, n, first, known[1])
        kept = _COLUMNS.get(key)
        if kept is None:
            if len(_COLUMNS) >= COLUMNS_KEPT:
                _COLUMNS.clear()
            kept = _COLUMNS[key] = _column(a, digits, n, first, known[1])
        return list(kept)

    texts: dict[str, list[str]] = {}
    pending: set[str] = set()
    o0, y = board_input(stepper)  # (before the first step: the example the status names)
    xs = None if o0 is None else np.asarray(o0)[:, 1:]  # the panel's x row: the example's x, in its format
    for node in diagram.nodes:
        i = node.id
        lines = list(fixed[i])
        if i[0] == "W":
            l = int(i[1:])
            if P is None:
                texts[i] = lines + [f"= {panel(st.W[l])}", f"G = {panel(st.G[l])}"]
                continue
            parts = parameter_parts(kinds[l - 1], l, P)
            m = board_group_size(stepper)
            texts[i] = (lines + [f"{p(part.sym)} = {panel(_part_value(P, st.W[l], part))}" for part in parts]
                        + [f"{p(part.grad)} = {panel(_part_value(P, st.G[l], part, m))}" for part in parts])
            continue
        if i.endswith("_0"):  # o⁽ˡ⁾₀ = 0
            texts[i] = lines
            continue
        if i.startswith("x_"):
            x = None if o0 is None else np.asarray(o0)[int(i[2:]) - 1]
            texts[i] = lines + column(x, stepper.spec.widths[0] + (not sep), int(sep), xs)  # x without its 1
        elif i == "y":
            texts[i] = lines + [f"= {v(y)}"]
        elif i == "loss":
            loss = PENDING if st.loss is None else loss_text(net, st, digits)  # exact past the floats
            texts[i] = lines + [f"= {loss}", f"{loss_D} = {loss_D_text(P, st, digits)}"]
        else:  # h{l} or h{l}_{τ}: s, o and δ of layer l as columns
            l_text, _, t_text = i[1:].partition("_")
            l, t = int(l_text), (int(t_text) if t_text else None)
            n = stepper.spec.widths[l]
            first = int(kinds[l - 1].bias_entry and l < L)  # a hidden o's bias 1 is not a unit
            s, o, delta = (column(at(board, l, q, t), n, first if q == "o" else 0, board[l])
                           for board, q in ((st.s, "s"), (st.o, "o"), (st.delta, "delta")))
            head = [heads[0].ljust(cw) + " " + heads[1].ljust(cw) + " " + heads[2]]
            texts[i] = lines + head + [f"{a:<{cw}} {b:<{cw}} {c}" for a, b, c in zip(s, o, delta)]
            if s[0] == PENDING:
                pending.add(i)
            continue
        if PENDING in texts[i][len(fixed[i]):] or texts[i][-1] == f"= {PENDING}":
            pending.add(i)
    last = stepper.last
    if last is None:
        return CanvasState(texts, {}, pending=frozenset(pending))
    key = last.key
    q, k, t = key.quantity, key.layer, key.time
    into, out = diagram.edges_into, diagram.edges_from
    if q == "loss":
        return CanvasState(texts, {}, "loss", 1, into("loss"), frozenset(pending))
    if q not in ("s", "o", "delta", "G"):  # an update: W⁽ᵏ⁾ takes its step (no box of a τ)
        return CanvasState(texts, {}, f"W{k}", 1, frozenset(), frozenset(pending))
    box = box_id(k, t)
    o_line = len(fixed[box]) - 1  # s's formula first, o's last, then the columns' heads
    if q in ("s", "o"):
        return CanvasState(texts, {}, box, 0 if q == "s" else o_line,
                           into(box) if q == "s" else frozenset(), frozenset(pending))
    if q == "delta":
        return CanvasState(texts, {}, box, o_line + 1, out(box), frozenset(pending))
    g_line = 2 if P is None else 1 + len(parameter_parts(kinds[k - 1], k, P))  # W's box: its first gradient
    return CanvasState(texts, {}, f"W{k}", g_line, into(box), frozenset(pending))  # G


def article(name: str) -> str:
    """``a`` or ``an`` before ``name``: a name with no vowel is read letter by letter (rnn, lstm: "an rnn"),
    so its first letter's own name decides (ar, el, es, ef, aitch, em, en, ex begin with a vowel's sound)."""
    letter = name[:1].lower()
    if any(c in "aeiou" for c in name.lower()):
        return "an" if letter in "aeiou" else "a"
    return "an" if letter in "aefhilmnorsx" else "a"


def kinds_words(kinds: Any) -> str:
    """The layer kinds of ``kinds`` as a note names them, each once in their order: ``an attention layer``,
    ``a gru layer``, ``residual layers`` (two of them), ``residual, layernorm and attention layers`` (rnn and
    lstm are read letter by letter: an rnn)."""
    types = [k.type for k in kinds]
    names = list(dict.fromkeys(types))
    if len(types) == 1:
        return f"{article(names[0])} {names[0]} layer"
    return (", ".join(names[:-1]) + " and " if len(names) > 1 else "") + f"{names[-1]} layers"


def unrolled_too_big(stepper: Any) -> str | None:
    """Why the unrolled graph of the example on the board cannot be drawn (a layer it has no box for, or
    too big to lay out), or None."""
    from .graph_layout import too_big

    boxless = [k for k in stepper.net.kinds if not k.unrolled_box]
    if boxless:
        gated = any(getattr(k, "gates", 1) > 1 for k in boxless)  # an LSTM's, a GRU's: a row per gate and unit
        return ("The unrolled computation graph draws a box per quantity of an rnn or dense layer at each τ; "
                f"{stepper.spec.name} has {kinds_words(boxless)}, which the layer panels show unrolled in time"
                + (", one row per gate and unit" if gated else "") + ". Press c again for them.")
    d = unrolled_graph(stepper.net, example_length(stepper), notation=getattr(stepper, "notation", None))
    why = too_big([n.id for n in d.nodes], d.edges, d.pinned)
    if why is None:
        return None
    return (f"The unrolled computation graph of this example (T = {example_length(stepper)}) is too big to draw "
            f"({why}); the layer panels show it unrolled in time. Press c again for them.")

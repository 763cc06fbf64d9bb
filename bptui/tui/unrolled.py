"""The unrolled computation graph of a recurrent network (the ``c`` view), derived from the stepper's
state (no Textual here; drawn by the same canvas as the dense networks' graph, ``graph_canvas.py``).

For the example on the board, of T steps: o⁽¹⁾₀ = 0, then for each τ a box o⁽⁰⁾_τ = [1, x_τ] and the
boxes s⁽¹⁾_τ (holding δ⁽¹⁾_τ) and o⁽¹⁾_τ, with s⁽¹⁾_τ reading o⁽⁰⁾_τ, o⁽¹⁾_{τ−1} and the one shared
[W | U]⁽¹⁾ (which holds G⁽¹⁾, summed over τ); the layers above read o⁽¹⁾_T once (many-to-one), or
o⁽¹⁾_τ at every τ (return_sequences), and end in ℓ with y. The box the last step computed is marked,
with the edges it read along: forward along the arrows, backward against them (δ⁽¹⁾_τ reads δ⁽¹⁾_{τ+1}
through o⁽¹⁾_τ → s⁽¹⁾_{τ+1}).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rich.cells import cell_len

from ..core.kinds.rnn import equations as req
from ..core.formulas.formula import Node, Sum, TextPrinter
from ..core.engine.network import Network
from ..core.formulas.notation import mat, num, sup, vec
from .diagrams import MAX_BOX, PENDING, CanvasNode, CanvasState, Diagram, value_width


def _tsub(t: int | str) -> str:
    return str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def box_forms(net: Network, T: int) -> dict[str, Node]:
    """The formula tree each box of an example of T steps computes, from core/kinds/rnn/equations.py (the
    same trees its step equations print): s⁽¹⁾_τ, o⁽¹⁾_τ, the layers above (at τ or once) and ℓ."""
    L, seqs = net.L, net.spec.return_sequences
    forms: dict[str, Node] = {}
    for t in range(1, T + 1):
        forms[f"x_{t}"] = req.o0_form(t)
        forms[f"s1_{t}"] = req.s1_form(t)
        forms[f"o1_{t}"] = req.o1_form(net, t)
    times: list[int | None] = list(range(1, T + 1)) if seqs else [None]
    for l in range(2, L + 1):
        for tm in times:
            tag = "" if tm is None else f"_{tm}"
            forms[f"s{l}{tag}"] = req.upper_s_form(l, tm, T)
            forms[f"o{l}{tag}"] = req.upper_o_form(net, l, tm)
    forms["loss"] = Sum("τ", req.loss_form(net, "τ")) if seqs else req.loss_form(net, None)
    return forms


@lru_cache(maxsize=8)
def _nodes(net: Network, T: int) -> tuple[list[tuple[str, str, str, tuple[int, ...]]], list[tuple[str, str]]]:
    """(id, name, function, value shape) of each node, and the edges, for an example of T steps (kept
    for the few last networks and lengths: the keypresses of an example print the trees once)."""
    spec = net.spec
    L, d, h = spec.L, spec.widths[0], spec.widths[1]
    seqs = spec.return_sequences
    p = TextPrinter().p
    forms = box_forms(net, T)
    nodes = [("W1", f"[W | U]{sup(1)}", f"{h}×{1 + d + h}, shared by every τ", (h, 1 + d + h)),
             ("o1_0", f"o{sup(1)}{_tsub(0)}", "0", (h,))]
    edges: list[tuple[str, str]] = []
    for t in range(1, T + 1):
        nodes += [(f"x_{t}", f"o{sup(0)}{_tsub(t)}", p(forms[f"x_{t}"]), (d + 1,)),
                  (f"s1_{t}", f"s{sup(1)}{_tsub(t)}", p(forms[f"s1_{t}"]), (h,)),
                  (f"o1_{t}", f"o{sup(1)}{_tsub(t)}", p(forms[f"o1_{t}"]), (h,))]
        edges += [(f"x_{t}", f"s1_{t}"), ("W1", f"s1_{t}"), (f"o1_{t - 1}" if t > 1 else "o1_0", f"s1_{t}"),
                  (f"s1_{t}", f"o1_{t}")]
    times: list[int | None] = list(range(1, T + 1)) if seqs else [None]
    for l in range(2, L + 1):
        w_in = spec.widths[l - 1] + 1
        nodes.append((f"W{l}", f"W{sup(l)}", f"{spec.widths[l]}×{w_in}", (spec.widths[l], w_in)))
        for tm in times:
            tag = "" if tm is None else f"_{tm}"
            ts = "" if tm is None else _tsub(tm)
            below = (f"o1_{T if tm is None else tm}" if l == 2 else f"o{l - 1}{tag}")
            nodes += [(f"s{l}{tag}", f"s{sup(l)}{ts}", p(forms[f"s{l}{tag}"]), (spec.widths[l],)),
                      (f"o{l}{tag}", f"o{sup(l)}{ts}", p(forms[f"o{l}{tag}"]), (spec.widths[l] + (l < L),))]
            edges += [(below, f"s{l}{tag}"), (f"W{l}", f"s{l}{tag}"), (f"s{l}{tag}", f"o{l}{tag}")]
    for tm in times:
        edges.append((f"o{L}" + ("" if tm is None else f"_{tm}"), "loss"))
    nodes += [("y", "y", "targets, one per τ" if seqs else "target", (spec.widths[-1],)),
              ("loss", "ℓ", p(forms["loss"]), ())]
    edges.append(("y", "loss"))
    return nodes, edges


def example_length(stepper: Any) -> int:
    """T of the example on the board (or the next one, before its first step)."""
    st = stepper.state
    if st.s[1] is not None:
        return len(st.s[1])
    return int(stepper.spec.lengths[stepper.where().example - 1])


def unrolled_graph(net: Network, T: int, digits: int = 4) -> Diagram:
    nodes, edges = _nodes(net, T)
    canvas = [CanvasNode(i, name, 3, min(MAX_BOX, max(cell_len(text), 10, value_width(shape, digits))))
              for i, name, text, shape in nodes]
    pinned = frozenset({"o1_0", "W1"} | {f"x_{t}" for t in range(1, T + 1)})
    return Diagram(canvas, list(edges), pinned=pinned)  # a copy: the cached list stays as it is


def unrolled_state(stepper: Any, diagram: Diagram, digits: int) -> CanvasState:
    st = stepper.state
    funcs = {i: text for i, _, text, _ in _nodes(stepper.net, example_length(stepper))[0]}

    def v(x: Any) -> str:
        if x is None:
            return PENDING
        a = np.asarray(x, dtype=float)
        if a.ndim and not np.all(np.isfinite(a)) and np.all(np.isnan(a)):
            return PENDING
        return num(float(a), digits) if a.ndim == 0 else vec(a, digits) if a.ndim == 1 else mat(a, digits)

    def row(a: Any, i: int) -> Any:
        return None if a is None else np.asarray(a)[i]

    texts: dict[str, list[str]] = {}
    pending: set[str] = set()
    for node in diagram.nodes:
        i = node.id
        if i == "W1":
            texts[i] = [funcs[i], f"= {v(st.W[1])}", f"G = {v(st.G[1])}"]
        elif i == "o1_0":
            texts[i] = [funcs[i], f"= {v(row(st.o[1], 0))}", ""]
        elif i.startswith("x_"):
            t = int(i[2:])
            texts[i] = [funcs[i], f"= {v(row(st.o[0], t - 1))}", ""]
        elif i.startswith("s1_") or i.startswith("o1_"):
            t = int(i[3:])
            if i[0] == "s":
                texts[i] = [funcs[i], f"= {v(row(st.s[1], t - 1))}", f"δ = {v(row(st.delta[1], t - 1))}"]
            else:
                texts[i] = [funcs[i], f"= {v(row(st.o[1], t))}", ""]
        elif i == "y":
            texts[i] = [funcs[i], f"= {v(st.y)}", ""]
        elif i == "loss":
            texts[i] = [funcs[i], f"= {v(st.loss)}", f"ℓ_D = {num(st.loss_D, digits)}"]
        elif i[0] == "W":
            l = int(i[1:])
            texts[i] = [funcs[i], f"= {v(st.W[l])}", f"G = {v(st.G[l])}"]
        else:  # s⁽ˡ⁾ or o⁽ˡ⁾ of a layer above, once or at τ
            q, rest = i[0], i[1:]
            parts = rest.split("_")
            l, at_t = int(parts[0]), (int(parts[1]) if len(parts) > 1 else None)
            board = {"s": st.s, "o": st.o}[q][l]
            value = board if at_t is None else row(board, at_t - 1)
            second = f"δ = {v(st.delta[l] if at_t is None else row(st.delta[l], at_t - 1))}" if q == "s" else ""
            texts[i] = [funcs[i], f"= {v(value)}", second]
        if texts[i][1] == f"= {PENDING}" and i not in ("W1",) and not i.startswith("W"):
            pending.add(i)
    last = stepper.last
    if last is None:
        return CanvasState(texts, {}, pending=frozenset(pending))
    key = last.key
    q, k, t = key.quantity, key.layer, key.time
    into, out = diagram.edges_into, diagram.edges_from
    tag = "" if t is None else f"_{t}"
    if q in ("s", "o"):
        node = f"{q}1_{t}" if k == 1 else f"{q}{k}{tag}"
        return CanvasState(texts, {}, node, 1, into(node), frozenset(pending))
    if q == "loss":
        return CanvasState(texts, {}, "loss", 1, into("loss"), frozenset(pending))
    if q == "delta":
        node = f"s1_{t}" if k == 1 else f"s{k}{tag}"
        return CanvasState(texts, {}, node, 2, out(node) | out(f"o1_{t}" if k == 1 else f"o{k}{tag}"),
                           frozenset(pending))
    if q == "G":
        node = f"s1_{t}" if k == 1 else f"s{k}{tag}"
        return CanvasState(texts, {}, f"W{k}", 2, into(node), frozenset(pending))
    return CanvasState(texts, {}, f"W{k}", 1, frozenset(), frozenset(pending))


def unrolled_too_big(stepper: Any) -> str | None:
    """Why the unrolled graph of the example on the board is too big to lay out (or is not drawn: it is
    drawn for one recurrent layer right after the input), or None."""
    from .graph_layout import too_big

    kinds = stepper.spec.layer_kinds
    if [k.over_time for k in kinds] != [True] + [False] * (len(kinds) - 1):
        return (f"The unrolled computation graph is drawn for a network with one recurrent layer, right after the "
                f"input; {stepper.spec.name} has its sequence flow through more layers (stacked recurrent layers or "
                "dense layers at each τ), which the layer panels show unrolled in time, one column per τ. "
                "Press c again for them.")
    d = unrolled_graph(stepper.net, example_length(stepper))
    why = too_big([n.id for n in d.nodes], d.edges, d.pinned)
    if why is None:
        return None
    return (f"The unrolled computation graph of this example (T = {example_length(stepper)}) is too big to draw "
            f"({why}); the layer panels show it unrolled in time. Press c again for them.")

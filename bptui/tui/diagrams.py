"""What the graph canvases show, derived from the steppers' state (no Textual here).

Three diagrams, each a list of nodes and edges (fixed for the file) and a :class:`CanvasState`
per step: a graph file's computation graph, a network's computation graph at matrix level, and a
network's neural-network diagram (the lecture's two conventions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.cells import cell_len

from ..core.graphs.graph import GraphSpec, formula_text
from ..core.graphs.graph_stepper import FORWARD, GraphStepper
from ..core.formulas.notation import array_form, mat, num, sup, vec
from ..core.formulas.numformat import cell, number_format
from ..core.formats.spec import NetworkSpec
from ..core.engine.stepper import Stepper
from .cells import cells  # (graph_canvas reads it here)

if TYPE_CHECKING:
    from ..core.teaching.explain import Cell
    from ..core.engine.neurons import UnitMaps

PENDING = "·"  # a value not computed yet
MAX_UNITS, MAX_LAYERS = 8, 6  # the largest network the neural-network diagram draws
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(i: int) -> str:
    return str(i).translate(_SUB)


@dataclass(frozen=True)
class CanvasNode:
    id: str
    name: str | None  # written above the box (the variable's name); None: nothing above
    lines: int  # text lines inside the box
    width: int  # their width
    round: bool = False  # rounded corners: a unit of a neural-network diagram


@dataclass(frozen=True)
class CanvasState:
    """What changes from step to step."""

    texts: dict  # node id → its lines
    labels: dict  # edge index → its label
    current: str | None = None  # the node the last step computed
    hot_line: int | None = None  # which of its lines the step wrote
    hot_edges: frozenset = frozenset()  # edges the step reads along
    pending: frozenset = frozenset()  # nodes with nothing computed yet (dim)
    edge_kinds: dict = field(default_factory=dict)  # edge index → its weight's glyph kind (EDGE_GLYPHS)
    paints: dict = field(default_factory=dict)  # node id → {line: a paint per character (a map level, or a sign)}
    marked: dict = field(default_factory=dict)  # node id → the line the step wrote there (−1: every line)
    weighted: bool = False  # edges drawn by their weights' glyphs (edge_kinds), ▷ on those the step did not use


@dataclass(frozen=True)
class Diagram:
    nodes: list
    edges: list  # (from id, to id)
    label_width: int = 0
    pinned: frozenset = frozenset()  # sources kept in the first column (the inputs)
    stacked: frozenset = frozenset()  # edges drawn up a column (graph_layout.layout)

    def edges_into(self, node: str) -> frozenset:
        return frozenset(i for i, (_, v) in enumerate(self.edges) if v == node)

    def edges_from(self, node: str) -> frozenset:
        return frozenset(i for i, (u, _) in enumerate(self.edges) if u == node)


# -- a graph file -----------------------------------------------------------------------------------
def formula(spec: GraphSpec, name: str) -> str:
    node = spec.by_name.get(name)
    return "input" if node is None else formula_text(node)


def graph_diagram(spec: GraphSpec, digits: int) -> Diagram:
    """One box per input and per node, the function inside, the name above; edges argument → node."""
    names = spec.input_names + spec.forward_order
    done = GraphStepper(spec)  # a stepper of its own, walked to the end: how wide the numbers get
    done.goto(len(done.schedule))
    numbers = [x for x in (*done.state.values.values(), *done.state.adjoints.values()) if x is not None]
    width = max([cell_len(formula(spec, n)) for n in names] + [4 + cell_len(num(x, digits)) for x in numbers])
    nodes = [CanvasNode(n, n, 3, width) for n in names]
    edges = [(a, node.name) for node in spec.nodes for a in node.args if isinstance(a, str)]
    return Diagram(nodes, edges, pinned=frozenset(spec.input_names))


def graph_state(stepper: GraphStepper, diagram: Diagram, digits: int) -> CanvasState:
    spec, st = stepper.spec, stepper.state
    texts, pending = {}, set()
    for node in diagram.nodes:
        value, adj = st.values[node.id], st.adjoints[node.id]
        if value is None:
            pending.add(node.id)
        texts[node.id] = [formula(spec, node.id),
                          f"= {PENDING if value is None else num(value, digits)}",
                          f"g = {PENDING if adj is None else num(adj, digits)}"]
    last = stepper.last
    if last is None:
        return CanvasState(texts, {}, pending=frozenset(pending))
    node = last.key.node
    forward = last.key.phase == FORWARD
    hot = diagram.edges_into(node) if forward else diagram.edges_from(node)
    return CanvasState(texts, {}, node, 1 if forward else 2, hot, frozenset(pending))


# -- a network, as a computation graph at matrix level ----------------------------------------------
def _loss_text(spec: NetworkSpec) -> str:
    """ℓ as the loss's table writes it, over the output units k."""
    from ..core.formulas.formula import Sym, TextPrinter
    from ..core.ops.losses import LOSSES

    L = spec.L
    return TextPrinter().p(LOSSES[spec.loss].formula(Sym("o", L, ("k",)), Sym("y", None, ("k",)),
                                                      spec.activations[-1]))


def _f_text(spec: NetworkSpec, l: int) -> str:
    """f⁽ˡ⁾(s⁽ˡ⁾) as the activation's table writes it: σ(s⁽¹⁾), tanh(s⁽¹⁾), s⁽ᴸ⁾ for the identity."""
    from ..core.ops.activations import ACTIVATIONS
    from ..core.formulas.formula import Sym, TextPrinter

    return TextPrinter().p(ACTIVATIONS[spec.activations[l - 1]].value(Sym("s", l, vector=True)))


MAX_BOX = 80  # the widest box of the matrix-level graph; longer values end in …


def value_width(shape: tuple[int, ...], digits: int) -> int:
    """About how wide ``= [[…], …]`` is for a value of ``shape`` at ``digits``: each number up to
    digits + 6 characters (a sign, the "0.0" of a small one, ", ") and the brackets."""
    per, prefix = digits + 6, len("G = ") + 1  # and the • of a value the step changed
    if len(shape) == 0:
        return prefix + per
    if len(shape) == 1:
        return prefix + 2 + shape[0] * per
    return prefix + 2 + shape[0] * (2 + shape[1] * per)


def _profiled(notation):
    """The profile a view writes in: None for the lecture's (lecture13 or none)."""
    return None if notation is None or notation.name == "lecture13" else notation


def network_graph(spec: NetworkSpec, digits: int = 4, notation=None) -> Diagram:
    """o⁽⁰⁾ and W⁽¹⁾ → s⁽¹⁾ → o⁽¹⁾, with W⁽²⁾ → s⁽²⁾ → … → o⁽ᴸ⁾, with y → ℓ. Each box is as wide as its
    values need at ``digits`` (up to MAX_BOX), so that small networks show every number whole. In a
    ``notation`` profile: its symbols, and with a separate bias a b⁽ˡ⁾ box into each s⁽ˡ⁾ (W without column 0,
    o without its 1: :func:`_profile_graph`)."""
    P = _profiled(notation)
    if P is not None:
        return _profile_graph(spec, digits, P)
    L = spec.L
    edges = []
    for l in range(1, L + 1):
        edges += [(f"o{l - 1}", f"s{l}"), (f"W{l}", f"s{l}"), (f"s{l}", f"o{l}")]
    edges += [(f"o{L}", "loss"), ("y", "loss")]
    shapes = {"o0": (spec.widths[0] + 1,), "y": (spec.widths[-1],), "loss": ()}
    for l in range(1, L + 1):
        shapes.update({f"W{l}": spec.weights[l - 1].shape, f"s{l}": (spec.widths[l],),
                       f"o{l}": (spec.widths[l] + (l < L),)})
    nodes = [CanvasNode(i, name, 3, min(MAX_BOX, max(cell_len(text), 10, value_width(shapes[i], digits))))
             for i, name, text in _network_nodes(spec)]
    return Diagram(nodes, edges, pinned=frozenset({"o0"}))


def _profile_nodes(spec: NetworkSpec, P) -> list[tuple[str, str, str]]:
    """(id, name, function) of each node of the graph in profile ``P``: its symbols, the forward rule as its
    rows write it (ng's W^[1] a^[0] + b^[1], cs231n's h⁰ W¹ + b¹), a b box with a separate bias."""
    from ..core.engine.equations import W, add, b, o, s
    from ..core.formulas.formula import Op, Sym, TextPrinter
    from ..core.ops.activations import ACTIVATIONS
    from ..core.ops.losses import LOSSES

    p, L, sep = TextPrinter(notation=P), spec.L, P.separate_bias
    nodes = [("o0", p.p(o(0)), "x" if sep else "[1, x]")]
    for l in range(1, L + 1):
        shape = _part_shape(spec.weights[l - 1].shape, P.parts("W")[0])
        f = ACTIVATIONS[spec.activations[l - 1]].value(Sym("s", l, vector=True))
        product = Op("@", (o(l - 1), W(l)) if P.vectors == "row" else (W(l), o(l - 1)))
        nodes.append((f"W{l}", p.p(W(l)), "×".join(map(str, shape))))
        if sep:
            nodes.append((f"b{l}", p.p(b(l)), str(spec.widths[l])))
        nodes += [(f"s{l}", p.p(s(l)), p.p(add(product, b(l)) if sep else product)),
                  (f"o{l}", p.p(o(l)), p.p(f if l == L or sep else Op("cat1", (f,))))]
    loss = LOSSES[spec.loss].formula(Sym("o", L, ("k",)), Sym("y", None, ("k",)), spec.activations[-1])
    return nodes + [("y", "y", "target"), ("loss", p.p(Sym("ℓ", latex=r"\ell")), p.p(loss))]


def _part_shape(shape: tuple[int, ...], view: str) -> tuple[int, ...]:
    """The shape of the part ``view`` (profiles.VIEWS) of a lecture array of ``shape``."""
    from ..core.formulas.profiles import VIEWS

    return VIEWS[view.partition("/")[0]].shape(tuple(shape))


def graph_title(notation=None) -> str:
    """The matrix-level graph's title: which box holds which gradient, in ``notation``."""
    P = _profiled(notation)
    if P is None:
        return "Computation graph, matrix level (W⁽ˡ⁾ holds G⁽ˡ⁾, s⁽ˡ⁾ holds δ⁽ˡ⁾)"
    from ..core.engine.equations import W, b, delta, s
    from ..core.formulas.formula import Sym, TextPrinter

    p = TextPrinter(notation=P)
    holds = [f"{p.p(W('l'))} holds {p.p(Sym('G', 'l', vector=True))}"]
    if P.separate_bias:
        holds.append(f"{p.p(b('l'))} holds {p.p(Sym('Gb', 'l', vector=True))}")
    holds.append(f"{p.p(s('l'))} holds {p.p(delta('l'))}")
    mean = "; each gradient the mean over the board's update group" if P.mean else ""
    return f"Computation graph, matrix level ({', '.join(holds)}{mean})"


def _graph_labels(P) -> dict:
    """The second lines' names in profile ``P``: the gradient beside W (dW), beside b (db), δ beside s (dz), ℓ_D."""
    from ..core.engine.equations import LOSS_D
    from ..core.formulas.formula import Sym, TextPrinter

    p = TextPrinter(notation=P)
    return {"G": p.p(Sym("G", vector=True)), "Gb": p.p(Sym("Gb", vector=True)),
            "delta": p.p(Sym("δ", latex=r"\delta")), "loss_D": p.p(LOSS_D)}


def _profile_graph(spec: NetworkSpec, digits: int, P) -> Diagram:
    L, sep = spec.L, P.separate_bias
    edges = []
    for l in range(1, L + 1):
        edges += [(f"o{l - 1}", f"s{l}"), (f"W{l}", f"s{l}")] + ([(f"b{l}", f"s{l}")] if sep else [])
        edges.append((f"s{l}", f"o{l}"))
    edges += [(f"o{L}", "loss"), ("y", "loss")]
    shapes = {"o0": (spec.widths[0] + (not sep),), "y": (spec.widths[-1],), "loss": ()}
    for l in range(1, L + 1):
        shapes.update({f"W{l}": _part_shape(spec.weights[l - 1].shape, P.parts("W")[0]), f"b{l}": (spec.widths[l],),
                       f"s{l}": (spec.widths[l],), f"o{l}": (spec.widths[l] + (l < L and not sep),)})
    names = _graph_labels(P)
    extra = {"W": cell_len(names["G"]) - 1, "b": cell_len(names["Gb"]) - 1, "s": cell_len(names["delta"]) - 1}
    nodes = [CanvasNode(i, name, 3, min(MAX_BOX, max(cell_len(text), 10,
                                                     value_width(shapes[i], digits) + max(0, extra.get(i[0], 0)))))
             for i, name, text in _profile_nodes(spec, P)]
    return Diagram(nodes, edges, pinned=frozenset({"o0"}))


def board_input(stepper: Stepper) -> tuple[np.ndarray | None, np.ndarray | None]:
    """o⁽⁰⁾ = [1, x] and y of the example the status names: the board's; with nothing on the board (before
    the first step, after ``r`` or an edit) the example that comes next, which the status shows too (a given
    input is no value yet to be computed)."""
    st = stepper.state
    if st.o[0] is not None or stepper.last is not None:
        return st.o[0], st.y
    at = stepper.where()
    x = np.asarray(at.x, dtype=float)
    ones = np.ones(x.shape[:-1] + (1,))  # a sequence's [1, x_τ], one row per τ
    return np.concatenate([ones, x], axis=-1), np.asarray(at.y, dtype=float)


def network_graph_state(stepper: Stepper, diagram: Diagram, digits: int) -> CanvasState:
    spec, st, L = stepper.spec, stepper.state, stepper.spec.L
    P = _profiled(getattr(stepper, "notation", None))
    if P is not None:
        return _profile_graph_state(stepper, diagram, digits, P)
    from ..core.engine.equations import loss_D_text
    from . import view_names

    funcs = {i: text for i, _, text in _network_nodes(spec)}

    def v(x) -> str:
        return _value_text(x, digits)

    def panel(x) -> str:
        return panel_text(x, digits)

    loss_D = view_names.view_names(None, L).loss_D  # ℓ_D as the check and the training screen print it
    o0, y = board_input(stepper)
    texts = {"o0": [funcs["o0"], f"= {v(o0)}", ""],
             "y": [funcs["y"], f"= {v(y)}", ""],
             "loss": [funcs["loss"], f"= {_loss_box(stepper, digits)}", f"{loss_D} = {loss_D_text(None, st, digits)}"]}
    pending = {n for n, x in (("o0", o0), ("y", y), ("loss", st.loss)) if x is None}
    for l in range(1, L + 1):
        texts[f"W{l}"] = [funcs[f"W{l}"], f"= {panel(st.W[l])}", f"G = {panel(st.G[l])}"]
        texts[f"s{l}"] = [funcs[f"s{l}"], f"= {panel(st.s[l])}", f"δ = {panel(st.delta[l])}"]
        texts[f"o{l}"] = [funcs[f"o{l}"], f"= {panel(st.o[l])}", ""]
        pending |= {f"{q}{l}" for q, x in (("s", st.s[l]), ("o", st.o[l])) if x is None}
    return _marked(stepper, diagram, L, texts, frozenset(pending))


def _profile_graph_state(stepper: Stepper, diagram: Diagram, digits: int, P) -> CanvasState:
    """:func:`network_graph_state` in profile ``P``: each box holds the numbers the profile's panels show
    (its parts of W and G, b apart, o without its 1, G/m for the board's group in a mean profile)."""
    from ..core.engine.equations import board_group_size, loss_D_text
    from ..core.formulas.profiles import shown_value

    spec, st, L, sep = stepper.spec, stepper.state, stepper.spec.L, P.separate_bias
    funcs = {i: text for i, _, text in _profile_nodes(spec, P)}
    names = _graph_labels(P)
    m = board_group_size(stepper)
    w_part, g_parts = P.parts("W"), P.parts("G")

    def v(x) -> str:
        return _value_text(x, digits)

    def panel(x, like=None) -> str:
        return panel_text(x, digits, like)

    o0, y = board_input(stepper)
    texts = {"o0": [funcs["o0"], f"= {v(o0 if not sep or o0 is None else shown_value(o0, 'x'))}", ""],
             "y": [funcs["y"], f"= {v(y)}", ""],
             "loss": [funcs["loss"], f"= {_loss_box(stepper, digits)}", f"{names['loss_D']} = {loss_D_text(P, st, digits)}"]}
    pending = {n for n, x in (("o0", o0), ("y", y), ("loss", st.loss)) if x is None}
    for l in range(1, L + 1):
        texts[f"W{l}"] = [funcs[f"W{l}"], f"= {panel(shown_value(st.W[l], w_part[0]))}",
                          f"{names['G']} = {panel(shown_value(st.G[l], g_parts[0], m))}"]
        if sep:
            texts[f"b{l}"] = [funcs[f"b{l}"], f"= {panel(shown_value(st.W[l], w_part[1]))}",
                              f"{names['Gb']} = {panel(shown_value(st.G[l], g_parts[1], m))}"]
        texts[f"s{l}"] = [funcs[f"s{l}"], f"= {panel(st.s[l])}", f"{names['delta']} = {panel(st.delta[l])}"]
        o_l = st.o[l] if not sep or l == L or st.o[l] is None else shown_value(st.o[l], "x")
        texts[f"o{l}"] = [funcs[f"o{l}"], f"= {panel(o_l, st.o[l])}", ""]  # the panel's format: o with its 1
        pending |= {f"{q}{l}" for q, x in (("s", st.s[l]), ("o", st.o[l])) if x is None}
    return _marked(stepper, diagram, L, texts, frozenset(pending))


def _loss_box(stepper: Stepper, digits: int) -> str:
    """The loss box's ℓ⁽ⁿ⁾ as the header and its loss line write it (equations.loss_text: exact past the
    floats); PENDING before it is computed."""
    from ..core.engine.equations import loss_text

    return PENDING if stepper.state.loss is None else loss_text(stepper.net, stepper.state, digits)


def _value_text(x: Any, digits: int) -> str:
    """A box's value: a number, a vector or a matrix at ``digits``; PENDING before it is computed."""
    if x is None:
        return PENDING
    x = np.asarray(x)
    return num(float(x), digits) if x.ndim == 0 else vec(x, digits) if x.ndim == 1 else mat(x, digits)


def panel_text(x: Any, digits: int, like: Any = None) -> str:
    """A box's array as its layer panel writes it: each entry the panel's cell (numformat.cell) in the format
    of the panel's whole array (numformat.number_format of ``like``, or of ``x``); PENDING before it is
    computed."""
    if x is None:
        return PENDING
    x = np.asarray(x)
    fmt = number_format(x if like is None else like, digits)
    return cell(float(x), digits, fmt) if x.ndim == 0 else vec(x, digits, cells=fmt) if x.ndim == 1 \
        else mat(x, digits, cells=fmt)


def _marked(stepper: Stepper, diagram: Diagram, L: int, texts: dict, pending: frozenset) -> CanvasState:
    """The boxes' texts with the step the stepper took last marked: its box, the line of it the step wrote, and
    the edges it read (the same in every notation)."""
    last = stepper.last
    if last is None:
        return CanvasState(texts, {}, pending=pending)
    q, k = last.key.quantity, last.key.layer  # k: the step's layer (None for the loss)
    into, out = diagram.edges_into, diagram.edges_from
    if q in ("s", "o"):
        node, line, hot = f"{q}{k}", 1, into(f"{q}{k}")
    elif q == "loss":
        node, line, hot = "loss", 1, into("loss")
    elif q == "delta":  # δ⁽ˡ⁾ = ∂ℓ/∂s⁽ˡ⁾: back from ℓ, or from s⁽ˡ⁺¹⁾, through o⁽ˡ⁾
        node, line = f"s{k}", 2
        hot = out(f"s{k}") | (into("loss") & out(f"o{L}") if k == L else out(f"o{k}"))
    elif q == "G":  # G⁽ˡ⁾ += δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ, the adjoint of W⁽ˡ⁾
        node, line, hot = f"W{k}", 2, into(f"s{k}")
    else:  # the update writes W⁽ˡ⁾
        node, line, hot = f"W{k}", 1, frozenset()
    return CanvasState(texts, {}, node, line, hot, pending)


def _network_nodes(spec: NetworkSpec) -> list[tuple[str, str, str]]:
    """(id, name, function) of each node of :func:`network_graph`, in the same order."""
    L = spec.L
    nodes = [("o0", f"o{sup(0)}", "[1, x]")]
    for l in range(1, L + 1):
        d_in, d_out = spec.widths[l - 1] + 1, spec.widths[l]
        f = _f_text(spec, l)
        o = f if l == L else f"[1, {f}]"
        nodes += [(f"W{l}", f"W{sup(l)}", f"{d_out}×{d_in}"), (f"s{l}", f"s{sup(l)}", f"W{sup(l)} o{sup(l - 1)}"),
                  (f"o{l}", f"o{sup(l)}", o)]
    return nodes + [("y", "y", "target"), ("loss", "ℓ", _loss_text(spec))]


# -- a network, as a neural-network diagram ---------------------------------------------------------
def nn_too_big(spec: NetworkSpec) -> str | None:
    """Why the network is too big for a neural-network diagram, or None."""
    if spec.L <= MAX_LAYERS and max(spec.widths) <= MAX_UNITS:
        return None
    shape = "-".join(str(w) for w in spec.widths)
    return (f"The neural-network diagram draws networks of at most {MAX_UNITS} units per layer and "
            f"{MAX_LAYERS} layers of weights; {spec.name} is {shape}. Press d again for the layer panels, "
            "or c for its computation graph.")


def graph_too_big(spec: NetworkSpec, notation=None) -> str | None:
    """Why the network's computation graph (in ``notation``: a separate bias adds a box per layer) is too big
    to lay out, or None."""
    from .graph_layout import too_big

    d = network_graph(spec, notation=notation)
    why = too_big([n.id for n in d.nodes], d.edges, d.pinned)
    if why is None:
        return None
    return (f"The computation graph of {spec.name} is too big to draw ({why}). "
            "Press c again for the layer panels.")


# -- the neural-network diagram's glyphs: readable without colour ------------------------------------
MAP_ROWS = 4  # text rows of a unit's map over the input plane
SHADES = " ░▒▓█"  # a map's levels, low … high (the colour follows the same level)
EXAMPLE = "◆"  # in every map: the input of the example on the board
MAX_EDGES = 16  # a layer with more weights than this is drawn as one W⁽ˡ⁾ box, not an edge per weight
HEAVY = 0.5  # an edge is heavy when |w| is at least this fraction of the largest |w| in the network
# an edge's line by its weight: solid for w ≥ 0, dashed for w < 0; light or heavy by |w|
EDGE_GLYPHS = {
    "+": str.maketrans({}),
    "++": str.maketrans("─│┌┐└┘├┤┬┴┼", "━┃┏┓┗┛┣┫┳┻╋"),
    "-": str.maketrans("─│", "┄┆"),
    "--": str.maketrans("─│┌┐└┘├┤┬┴┼", "┅┇┏┓┗┛┣┫┳┻╋"),
    "?": str.maketrans("─│", "··"),  # the quiz asks for this weight: neither its sign nor its size
}
WEIGHT_GLYPH = {"+": "──", "++": "━━", "-": "┄┄", "--": "┅┅", "?": "??"}  # a weight in a W⁽ˡ⁾ box
COLD_ARROW = "▷"  # the arrow of an edge the last step did not use (▶: it did)
LEGEND = "weights: ── + · ┄┄ − · heavy ━━ ┅┅ |w| ≥ ½ max|w| · ▶ used by the step (▷ not) · • written"
MAP_LEGEND = "\nmaps: each unit's o over the plane (x₁ →, x₂ ↑), low ' ░▒▓█' high · ◆ the example's x"


def weight_kind(w: float, big: float) -> str:
    """``+``, ``++``, ``-`` or ``--``: a weight's sign, and heavy when |w| ≥ HEAVY·``big``."""
    sign = "-" if w < 0 else "+"
    return sign * 2 if big > 0 and abs(w) >= HEAVY * big else sign


def drawn_whole(spec: NetworkSpec, l: int) -> bool:
    """Whether layer l's weights are drawn as an edge each (else as one W⁽ˡ⁾ box between the layers)."""
    return (spec.widths[l - 1] + 1) * spec.widths[l] <= MAX_EDGES


def has_maps(spec: NetworkSpec) -> bool:
    """A map over the input plane in each unit: dense networks of two inputs."""
    return spec.widths[0] == 2 and not spec.is_v2


@dataclass(frozen=True)
class NNDiagram(Diagram):
    """The neural-network diagram: the layer of each edge's weights, and each unit's lines."""

    edge_layers: tuple = ()  # edges[i] carries weights of W⁽ˡ⁾, l = edge_layers[i]
    weight_edges: dict | None = None  # edge index → (l, row, column) of the one weight it stands for
    digits: int = 4
    maps: bool = False
    # each unit's names, printed once in the notation: (quantity, l, b) → x₁, s₁⁽¹⁾, o₁⁽¹⁾, δ₁⁽¹⁾ (ng's z₁^[1],
    # a₁^[1], dz₁^[1]) and, with a separate bias, its b₁^[1] ("b"): the weight w_b,0 the lecture's 1 feeds
    names: dict = field(default_factory=dict)
    separate: bool = False  # the notation's bias is a b of each unit's own: no 1 node, no column-0 edges
    width: int = 0  # the units' text width (the longest name, " = " and a number)


UNIT_LINES = ("s", "o", "delta")  # a unit's lines under its map, in this order (then b, with a separate bias)


def unit_names(spec: NetworkSpec, notation=None) -> dict:
    """Every unit's names in ``notation`` (None: the lecture's), as the panels and the quiz name the cells
    (``Cell.sym`` by the profile's printer): its symbols, layer index and first unit's number."""
    from ..core.engine.explain import Cell
    from ..core.formulas.formula import Sym, TextPrinter

    P = None if notation is None or notation.name == "lecture13" else notation
    p = TextPrinter(notation=P)
    names: dict = {}
    for b in range(1, spec.widths[0] + 1):
        names["x", 0, b] = p.p(Sym("x", None, (b,)))
    for l in range(1, spec.L + 1):
        for b in range(1, spec.widths[l] + 1):
            for q in UNIT_LINES:
                names[q, l, b] = p.p(Cell(q, l, b).sym())
            if P is not None and P.separate_bias:
                names["b", l, b] = p.p(Cell("W", l, b, 0).sym())  # w_b,0 printed as the profile's b_b
    return names


def _unit_width(digits: int, names: dict | None = None) -> int:
    # "δ₁⁽¹⁾ = −1.234e−05" whole (a longer name: as wide as it); a longer number (e−100) ends in …
    longest = max((cell_len(n) for n in names.values()), default=0) if names else 0
    return max(8, longest + 3) + digits + 6


def nn_diagram(spec: NetworkSpec, digits: int, notation=None) -> NNDiagram:
    """One rounded node per unit (and a 1 per bias, in the lecture's notation): its map over the input
    plane (two inputs), then x (an input) or s, o and δ, each line naming the unit, in ``notation`` (a
    profile's separate bias: its b as the unit's last line, and no 1). An edge per weight labelled with it;
    layers with more than MAX_EDGES weights go through one W⁽ˡ⁾ box that shows the matrix as glyphs."""
    maps = has_maps(spec)
    names = unit_names(spec, notation)
    separate = any(q == "b" for q, _, _ in names)
    width = _unit_width(digits, names)
    nodes: list = []
    for l in range(spec.L + 1):
        first = 0 if l < spec.L and not separate else 1  # every layer but the output has a bias unit (a 1)
        for b in range(first, spec.widths[l] + 1):
            if b == 0:
                nodes.append(CanvasNode(f"u{l}_0", None, 1, 1, round=True))
                continue
            # the map, x (or s, o, δ, and b with a separate bias)
            lines = (MAP_ROWS if maps else 0) + (1 if l == 0 else 3 + separate)
            nodes.append(CanvasNode(f"u{l}_{b}", None, lines, width, round=True))
    edges: list = []
    layers: list = []
    weight_edges: dict = {}
    for l in range(1, spec.L + 1):
        d_in, d_out = spec.widths[l - 1], spec.widths[l]
        if drawn_whole(spec, l):
            for b in range(1, d_out + 1):
                for a in range(separate, d_in + 1):  # a separate b is its unit's: no edge
                    weight_edges[len(edges)] = (l, b - 1, a)
                    edges.append((f"u{l - 1}_{a}", f"u{l}_{b}"))
                    layers.append(l)
            continue
        nodes.append(CanvasNode(f"W{l}", _box_name(l, d_in, d_out, notation), d_out, 3 * (d_in + 1) + 1))
        for a in range(separate, d_in + 1):
            edges.append((f"u{l - 1}_{a}", f"W{l}"))
            layers.append(l)
        for b in range(1, d_out + 1):
            edges.append((f"W{l}", f"u{l}_{b}"))
            layers.append(l)
    inputs = frozenset(f"u0_{b}" for b in range(spec.widths[0] + 1))
    return NNDiagram(nodes, edges, label_width=digits + 5, pinned=inputs, edge_layers=tuple(layers),
                     weight_edges=weight_edges, digits=digits, maps=maps, names=names, separate=separate,
                     width=width)


def nn_title(spec: NetworkSpec, notation=None) -> str:
    """The NN diagram's title and legend in ``notation``: what a unit shows (the lecture's s, o, δ and its 1
    for the bias; ng's z, a, dz and each unit's b), the boxes' names and the maps' axes."""
    P = None if notation is None or notation.name == "lecture13" else notation
    boxes = [l for l in range(1, spec.L + 1) if not drawn_whole(spec, l)]
    if P is None:
        text = "Neural-network diagram: a node per unit (1: bias) with s, o, δ of the example on the board"
        o, bias = "o", "bias"
    else:
        shown = ", ".join(P.symbol(q).text for q in ("pre_activation", "activation", "delta"))
        text = (f"Neural-network diagram: a node per unit with {shown} of the example on the board and its "
                f"{P.bias.text}" if P.separate_bias else
                f"Neural-network diagram: a node per unit (1: bias) with {shown} of the example on the board")
        o, bias = P.activation.text, P.bias.text if P.separate_bias else "bias"
    if boxes:
        boxed = ", ".join(_box_name(l, 0, 0, notation).partition(" (")[0] for l in boxes)
        text += f"; {boxed} (over {MAX_EDGES} weights) drawn as a box, a glyph per weight, {bias} │ the rest"
    legend = "\n" + LEGEND
    if has_maps(spec):
        names = unit_names(spec, notation)
        legend += (f"\nmaps: each unit's {o} over the plane ({names['x', 0, 1]} →, {names['x', 0, 2]} ↑), "
                   "low ' ░▒▓█' high · ◆ the example's x")
    return text + legend


def _box_name(l: int, d_in: int, d_out: int, notation=None) -> str:
    """A W⁽ˡ⁾ box's name, its glyphs a row per unit, the bias column first before │: W⁽ˡ⁾ (2×3); with a
    separate bias b⁽ˡ⁾ │ W⁽ˡ⁾ (2×2), cs231n's bˡ │ Wˡᵀ (his W is D × C: the box's rows are its columns)."""
    from ..core.engine.equations import W, b
    from ..core.formulas.formula import TextPrinter

    P = None if notation is None or notation.name == "lecture13" else notation
    if P is None or not P.separate_bias:
        return f"{TextPrinter(notation=P).p(W(l))} ({d_out}×{d_in + 1})"
    p = TextPrinter(notation=P)
    return f"{p.p(b(l))} │ {p.p(W(l))}{'ᵀ' if P.transposed else ''} ({d_out}×{d_in})"


class MapCache:
    """The units' maps over the input plane, recomputed only when the spec or the weights change (the
    stepper's arrays are read-only and replaced by an update or an edit, and applied settings make a
    new spec, so their identity says so)."""

    def __init__(self) -> None:
        self._spec: NetworkSpec | None = None
        self._for: tuple = ()
        self._maps: UnitMaps | None = None
        self._art: dict = {}  # (l, b) → a unit's map as lines of shade glyphs and its paint (unit_art)
        self.computed = 0  # how many times the maps were computed (for tests)

    def get(self, spec: NetworkSpec, weights: list, width: int) -> UnitMaps:
        from ..core.engine.neurons import unit_maps

        if self._maps is None or self._spec is not spec or len(self._maps.xs) != width \
                or len(self._for) != len(weights) \
                or any(a is not b for a, b in zip(self._for, weights)):  # new spec or weights, or wider boxes (+)
            # layer l's map is made from W⁽¹⁾ … W⁽ˡ⁾ alone (its range too): the art of the layers below the
            # first weights that changed (an update writes one W⁽ˡ⁾) is the art the new maps give
            same = -1
            if self._maps is not None and self._spec is spec and len(self._maps.xs) == width \
                    and len(self._for) == len(weights):
                same = 0
                while same < len(weights) and weights[same] is self._for[same]:
                    same += 1
            self._maps = unit_maps(spec, weights, width, MAP_ROWS)
            self._art = {lb: art for lb, art in self._art.items() if lb[0] <= same}
            self._spec = spec  # held, like the weights, so an id is never reused while compared
            self._for = tuple(weights)
            self.computed += 1
        return self._maps

    def unit_art(self, maps: UnitMaps, l: int, b: int) -> tuple[list[str], dict]:
        """Unit b of layer l's map (of ``maps``, the last :meth:`get`): its lines of shade glyphs,
        the top line the largest x₂, and a paint (the level of each glyph) per line; made once per maps."""
        art = self._art.get((l, b)) if maps is self._maps else None
        if art is None:  # the layer's every unit at once (an update changes them all)
            glyph = SHADES.__getitem__
            for u, levels in enumerate(maps.layer_levels(l, len(SHADES))[:, ::-1].tolist(), start=1):
                found = (["".join(map(glyph, row)) for row in levels], {r: tuple(row) for r, row in enumerate(levels)})
                if u == b:
                    art = found
                if maps is self._maps:
                    self._art[(l, u)] = found
        assert art is not None
        return art


def _fit_text(text: str, width: int) -> str:
    if cells(text) <= width:
        return text
    while cell_len(text) > width - 1:
        text = text[:-1]
    return text + "…"


def nn_state(stepper: Stepper, diagram: Diagram, digits: int, cache: MapCache | None = None,
             hidden: Cell | None = None) -> CanvasState:
    """Each unit's map, s, o and δ for the example on the board, each edge's weight (its label and
    its glyph), and what the last step used: the edges of the W⁽ˡ⁾ it read or wrote
    (:func:`~bptui.core.engine.neurons.weights_used`) and the lines of the units it wrote. ``hidden``: the
    quiz's question, drawn as ``?`` (a weight's edge and glyph as ``·``, its sign and size too)."""
    from ..core.engine.neurons import weights_used

    assert isinstance(diagram, NNDiagram)
    spec, st, net = stepper.spec, stepper.state, stepper.net
    W = st.W
    width = diagram.width or _unit_width(diagram.digits)
    names = diagram.names or unit_names(spec)
    big = max((float(np.nanmax(np.abs(w))) for w in W[1:] if w.size and np.isfinite(w).any()), default=0.0)
    cache = cache or MapCache()
    unit_maps = cache.get(spec, list(W[1:]), width) if diagram.maps else None
    texts: dict = {}
    paints: dict = {}
    pending: set = set()
    first_value = MAP_ROWS if diagram.maps else 0  # the line of s (of x in layer 0)
    here = None  # where the example on the board lies in the maps: (line from the top, column)
    o0 = board_input(stepper)[0]
    if unit_maps is not None and o0 is not None:
        i, j = unit_maps.cell(o0[1:])
        here = (MAP_ROWS - 1 - i, j)

    def value(x, fmt: str | None) -> str:
        """An entry of a layer's s, o, δ or b as its panel's cell writes it (numformat.cell, in ``fmt``: the
        panel's format of the whole array, :func:`form_of`)."""
        return PENDING if x is None else cell(float(x), digits, fmt)

    def form_of(x) -> str | None:
        """A vector's (a layer's s, o or δ, a matrix's weights) one format, which each of its entries is
        written in, unit by unit: its panel's (numformat.number_format of the array the panel shows: o with
        its 1)."""
        return None if x is None else number_format(x, digits)

    for l in range(spec.L + 1):
        o = o0 if l == 0 else st.o[l]
        units = None if o is None else net.units(l, o)
        forms = {q: form_of(x) for q, x in (("s", st.s[l] if l else None), ("o", o if l else None),
                                             ("delta", st.delta[l] if l else None))}
        bias_form = form_of(W[l][:, 0]) if l and diagram.separate else None
        for b in range(0 if l < spec.L and not diagram.separate else 1, spec.widths[l] + 1):
            node = f"u{l}_{b}"
            if b == 0:
                texts[node] = ["1"]
                continue
            lines = []
            if unit_maps is not None:
                art, paints[node] = cache.unit_art(unit_maps, l, b)
                lines = list(art)
                if here is not None:  # the example on the board, one glyph in one line
                    r, j = here
                    lines[r] = lines[r][:j] + EXAMPLE + lines[r][j + 1:]
            if l == 0:
                x = PENDING if units is None else num(float(units[b - 1]), digits, array_form(units, digits))
                lines.append(f"{names['x', 0, b]} = {x}")  # as the status line's o⁽⁰⁾ = [1, x] writes it
            else:
                s, d = st.s[l], st.delta[l]
                shown = {q: value(None if x is None else x[b - 1], forms[q]) for q, x in (("s", s), ("o", units),
                                                                                         ("delta", d))}
                if hidden is not None and hidden.layer == l and hidden.unit == b and hidden.quantity in shown:
                    shown[hidden.quantity] = "?"
                lines += [f"{names[q, l, b]} = {shown[q]}" for q in UNIT_LINES]
                if diagram.separate:  # the unit's own b: the lecture's w_b,0 (column 0 of W⁽ˡ⁾)
                    bias_asked = hidden is not None and hidden.quantity == "W" and (hidden.layer, hidden.unit,
                                                                                    hidden.column) == (l, b, 0)
                    lines.append(f"{names['b', l, b]} = {'?' if bias_asked else value(W[l][b - 1, 0], bias_form)}")
            if units is None:
                pending.add(node)
            texts[node] = [_fit_text(t, width) for t in lines]
    labels, kinds = {}, {}
    asked = (hidden.layer, hidden.unit - 1, hidden.column) if hidden is not None and hidden.quantity == "W" \
        and hidden.unit is not None else None
    weight_forms: dict[int, str] = {}  # each W⁽ˡ⁾'s one form (its weights less the b a profile shows apart)
    for i, (l, row, col) in (diagram.weight_edges or {}).items():
        w = float(W[l][row, col])
        if l not in weight_forms:
            weight_forms[l] = number_format(W[l][:, 1:] if diagram.separate else W[l], digits)
        labels[i] = "?" if (l, row, col) == asked else cell(w, digits, weight_forms[l])
        kinds[i] = "?" if (l, row, col) == asked else weight_kind(w, big)
    for l in range(1, spec.L + 1):
        if f"W{l}" in {n.id for n in diagram.nodes}:
            Wl = W[l]
            rows, paint = [], {}
            for r in range(Wl.shape[0]):
                ks = ["?" if (l, r, a) == asked else weight_kind(float(w), big) for a, w in enumerate(Wl[r])]
                rows.append(WEIGHT_GLYPH[ks[0]] + "│" + " ".join(WEIGHT_GLYPH[k] for k in ks[1:]))
                paint[r] = tuple(c for k in ks for c in (k[0],) * 3)[:len(rows[-1])]
            texts[f"W{l}"] = rows
            paints[f"W{l}"] = paint
    last = stepper.last
    if last is None:
        return CanvasState(texts, labels, pending=frozenset(pending), edge_kinds=kinds, paints=paints,
                           weighted=True)
    key = last.key
    used = weights_used(key, spec.L)
    hot = frozenset(i for i, l in enumerate(diagram.edge_layers) if l in used)
    marked: dict = {}
    line = {"s": first_value, "o": first_value + 1, "delta": first_value + 2}.get(key.quantity)
    if line is not None and key.layer is not None:
        marked = {f"u{key.layer}_{b}": line for b in range(1, spec.widths[key.layer] + 1)}
    elif key.quantity == "W" and f"W{key.layer}" in texts:
        marked = {f"W{key.layer}": -1}
    elif key.quantity == "W" and diagram.separate and key.layer is not None:  # the update wrote each unit's b
        marked = {f"u{key.layer}_{b}": first_value + 3 for b in range(1, spec.widths[key.layer] + 1)}
    current = next(iter(marked), None)  # the canvas keeps it in view
    if key.quantity == "loss":  # ℓ⁽ⁿ⁾ reads o⁽ᴸ⁾ (no unit holds ℓ): the output units in view
        current = f"u{spec.L}_1"
    if current is None and key.layer is not None:  # G⁽ˡ⁾, an update: its box, or layer l's first unit
        current = f"W{key.layer}" if f"W{key.layer}" in texts else f"u{key.layer}_1"
    return CanvasState(texts, labels, current=current, hot_edges=hot, pending=frozenset(pending),
                       edge_kinds=kinds, paints=paints, marked=marked, weighted=True)

"""Where the boxes and the edges of a DAG go on a character grid (no Textual here).

Layers come from grandalf's Sugiyama layout (layering, long edges split by dummy vertices, crossing
reduction, Brandes–Köpf coordinates), imported only when a graph is laid out. Ranks run left to
right, one column per rank; grandalf's in-layer coordinate becomes the row. The routing on the grid
is ours and orthogonal: every edge leaves its source's right side at a row of its own and enters
its target's left side at a row of its own (a box is as tall as its ports need), and between two
columns every edge that changes row gets a vertical lane of its own, so two edges never share a
cell except where they cross (┼). An edge label sits on the last stretch, just before the arrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# direction bits of a line cell, and the box-drawing character for each combination
N, S, E, W = 1, 2, 4, 8
LINE_CHARS = {
    E | W: "─", N | S: "│", S | E: "┌", S | W: "┐", N | E: "└", N | W: "┘",
    N | S | E: "├", N | S | W: "┤", E | W | S: "┬", E | W | N: "┴", N | S | E | W: "┼",
    E: "─", W: "─", N: "│", S: "│",
}
ARROW = "▶"
UP_ARROW = "▲"  # the head of an edge drawn up a column (``stacked``)


@dataclass(frozen=True)
class BoxSize:
    """What the layout needs to know of a node: its box's width and least height, a name row above."""

    width: int
    height: int
    name_row: bool = True


@dataclass
class Placed:
    x: int  # the box's left column
    y: int  # the box's top row (the name row, if any, is y − 1)
    w: int
    h: int
    rank: int
    in_rows: dict = field(default_factory=dict)  # edge index → the row it enters at
    out_rows: dict = field(default_factory=dict)  # edge index → the row it leaves at


@dataclass
class Layout:
    width: int
    height: int
    boxes: dict  # node id → Placed
    cells: dict  # (x, y) → [direction bits, edge index]
    arrows: dict  # (x, y) → edge index
    labels: dict  # edge index → (x, y, width): where its label is written (right-aligned)
    up_arrows: dict = field(default_factory=dict)  # (x, y) → edge index: the head of a stacked edge


def layout(sizes: dict, edges: list[tuple], label_width: int = 0, pinned: frozenset = frozenset(),
           gap: int = 1, stacked: frozenset = frozenset()) -> Layout:
    """Lay out nodes ``sizes`` (id → BoxSize, in a stable order) and ``edges`` ((u, v) pairs).

    ``label_width``: room on each edge's last stretch for a label (0: unlabelled edges).
    ``pinned``: sources that stay in the first column; other sources sit just before their first
    consumer (a weight matrix next to the layer that uses it).
    ``stacked``: edges (u, v) drawn up a column, v in u's column above it (a layer above the one it
    reads at the same time step), when the edges besides them leave the two in separate parts of the
    graph to lay out one above the other; else they are drawn as the others.
    """
    up = _stackable(sizes, edges, stacked)
    given = _ranks(sizes, edges, pinned, up)
    if any(given[edges[i][0]] != given[edges[i][1]] for i in up):  # not in one column: drawn as the others
        up, given = frozenset(), _ranks(sizes, edges, pinned)
    ranks, rows_of, order = _sugiyama(sizes, edges, given, gap, up)
    n_ranks = max(ranks.values()) + 1 if ranks else 0
    chains = _chains(edges, ranks)

    # ports: a box is tall enough for one row per incoming and per outgoing edge
    outs: dict = {v: [] for v in sizes}
    ins: dict = {v: [] for v in sizes}
    for i, (u, v) in enumerate(edges):
        if i in up:
            continue
        outs[u].append(i)
        ins[v].append(i)
    heights = {v: max(s.height, len(outs[v]) + 2, len(ins[v]) + 2) for v, s in sizes.items()}
    tops = _rows(order, heights, sizes, rows_of, gap, {edges[i][0]: edges[i][1] for i in sorted(up)})

    # columns: as wide as the widest box; gaps as wide as their lanes and labels need
    col_w = [0] * n_ranks
    for v, s in sizes.items():
        col_w[ranks[v]] = max(col_w[ranks[v]], s.width)
    for r in range(n_ranks):
        col_w[r] = max(col_w[r], 1)

    boxes = {v: Placed(0, tops[v], sizes[v].width, heights[v], ranks[v]) for v in sizes}

    def center(key) -> float:
        if key in boxes:
            b = boxes[key]
            return b.y + b.h / 2
        return tops[key]

    for v in sizes:  # ports sorted by where the other end is, centred on the box's side
        b = boxes[v]
        for rows, mine, other in ((b.out_rows, outs[v], 1), (b.in_rows, ins[v], -2)):
            mine = sorted(mine, key=lambda i: (center(chains[i][other]), i))
            start = b.y + 1 + (b.h - 2 - len(mine)) // 2
            rows.update({i: start + k for k, i in enumerate(mine)})

    # segments between consecutive ranks: (edge, from-key, to-key, from row, to row)
    segments: list[list] = [[] for _ in range(max(n_ranks - 1, 0))]
    for i, chain in enumerate(chains):
        if i in up:
            continue
        for a, b in zip(chain, chain[1:]):
            ya = boxes[a].out_rows[i] if a in boxes else tops[a]
            yb = boxes[b].in_rows[i] if b in boxes else tops[b]
            segments[ranks[a]].append((i, a, b, ya, yb))

    lanes = [_lanes(segs) for segs in segments]
    labelled = [any(b in boxes for _, _, b, _, _ in segs) for segs in segments]
    gap_w = [len(lanes[r]) + 3 + (label_width + 1 if label_width and labelled[r] else 0) for r in range(n_ranks - 1)]
    col_x = []
    x = 0
    for r in range(n_ranks):
        col_x.append(x)
        x += col_w[r] + (gap_w[r] if r < n_ranks - 1 else 0)
    width = x
    for v, b in boxes.items():
        b.x = col_x[b.rank] + (col_w[b.rank] - b.w) // 2
    height = max([b.y + b.h for b in boxes.values()] + [0])

    cells: dict = {}
    arrows: dict = {}
    labels: dict = {}

    def line(x0: int, x1: int, y: int, i: int) -> None:  # horizontal, inclusive
        lo, hi = min(x0, x1), max(x0, x1)
        for xx in range(lo, hi + 1):
            cell = cells.setdefault((xx, y), [0, i])
            cell[0] |= (W if xx > lo else 0) | (E if xx < hi else 0)

    def vline(x: int, y0: int, y1: int, i: int) -> None:
        lo, hi = min(y0, y1), max(y0, y1)
        for yy in range(lo, hi + 1):
            cell = cells.setdefault((x, yy), [0, i])
            cell[0] |= (N if yy > lo else 0) | (S if yy < hi else 0)
            if lo < yy < hi:
                cell[1] = i  # a crossing belongs to the vertical edge

    for r, segs in enumerate(segments):
        gx = col_x[r] + col_w[r]  # first column of the gap
        for i, a, b, ya, yb in segs:
            x0 = boxes[a].x + boxes[a].w if a in boxes else col_x[r]
            x1 = boxes[b].x - 1 if b in boxes else col_x[r + 1] + col_w[r + 1] - 1
            if b not in boxes:  # through a dummy: straight across its column
                x_in = col_x[r + 1] - 1
            else:
                x_in = x1
            if ya == yb:
                line(x0, x_in, ya, i)
            else:
                lx = gx + 1 + lanes[r][i]
                line(x0, lx, ya, i)
                vline(lx, ya, yb, i)
                line(lx, x_in, yb, i)
            if b not in boxes:
                line(col_x[r + 1] - 1, x1 + 1, yb, i)
            else:
                arrows[(x1, yb)] = i
                if label_width:
                    labels[i] = (x1 - label_width - 1, yb, label_width)
        # a dummy's line runs through its column to the next gap
    up_arrows: dict = {}
    for i in sorted(up):  # from the top of the box below to the bottom of the one above, at their middle
        below, above = boxes[edges[i][0]], boxes[edges[i][1]]
        x = max(below.x, above.x) + min(below.w, above.w) // 2
        top = above.y + above.h
        name_row = 1 if sizes[edges[i][0]].name_row else 0
        vline(x, top, below.y - 1 - name_row, i)  # the arrow's cell drawn over its top
        up_arrows[(x, top)] = i
    return Layout(width, height, boxes, cells, arrows, labels, up_arrows)


MAX_BOXES = 200  # the most boxes a graph view lays out: about 1 s on the development machine
MAX_VERTICES = 2000  # boxes plus the dummy vertices of long edges (an edge passing k ranks has k − 1)


def too_big(ids: list, edges: list[tuple], pinned: frozenset = frozenset()) -> str | None:
    """Why a graph is too big to lay out in reasonable time (layout grows faster than linearly
    with the boxes and the ranks long edges pass), or None. Linear time; no grandalf."""
    if len(ids) > MAX_BOXES:
        return f"{len(ids):,} boxes to draw, at most {MAX_BOXES}"
    ranks = _ranks(dict.fromkeys(ids), edges, pinned)
    vertices = len(ids) + sum(max(0, ranks[v] - ranks[u] - 1) for u, v in edges)
    if vertices > MAX_VERTICES:
        return f"{vertices:,} boxes and edge bends to draw, at most {MAX_VERTICES:,}"
    return None


def _chains(edges: list[tuple], ranks: dict) -> list[list]:
    """Each edge as the list of keys it passes: source, its dummies (edge, rank), target."""
    chains = []
    for i, (u, v) in enumerate(edges):
        chain = [u] + [(i, r) for r in range(ranks[u] + 1, ranks[v])] + [v]
        chains.append(chain)
    return chains


def _stackable(sizes: dict, edges: list[tuple], stacked: frozenset) -> frozenset:
    """The indices of the ``stacked`` edges that can go up a column: those whose ends the other edges
    leave in separate parts of the graph (all of them, or none)."""
    if not stacked:
        return frozenset()
    up = frozenset(i for i, e in enumerate(edges) if e in stacked)
    part = {v: v for v in sizes}  # union-find over the other edges

    def find(v):
        while part[v] != v:
            part[v] = part[part[v]]
            v = part[v]
        return v

    for i, (u, v) in enumerate(edges):
        if i not in up:
            part[find(u)] = find(v)
    return up if all(find(edges[i][0]) != find(edges[i][1]) for i in up) else frozenset()


def _ranks(sizes: dict, edges: list[tuple], pinned: frozenset, up: frozenset = frozenset()) -> dict:
    """Longest path from the sources; unpinned sources moved up to their first consumer; the target
    of an edge in ``up`` (indices) in its source's column or after it, not necessarily the next one."""
    preds: dict = {v: [] for v in sizes}
    succs: dict = {v: [] for v in sizes}
    step: dict = {}
    for i, (u, v) in enumerate(edges):
        preds[v].append(u)
        succs[u].append(v)
        step[(u, v)] = min(step.get((u, v), 1), 0 if i in up else 1)
    rank: dict = {}
    for v in sizes:  # longest path, depth first with an explicit stack (no recursion, any depth)
        if v in rank:
            continue
        stack = [v]
        while stack:
            w = stack[-1]
            todo = [u for u in preds[w] if u not in rank]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if w not in rank:
                rank[w] = max((rank[u] + step[(u, w)] for u in preds[w]), default=0)
    for v in sizes:
        if not preds[v] and succs[v] and v not in pinned:
            rank[v] = min(rank[w] - step[(v, w)] for w in succs[v])
    return rank


def _sugiyama(sizes: dict, edges: list[tuple], given: dict, gap: int, up: frozenset = frozenset()):
    """Ranks of nodes and dummies, grandalf's in-layer coordinate of each, and each layer's order; the
    edges in ``up`` (indices) left out, the part of the graph at their heads laid out above the part
    at their tails, with room between for the edge and its arrow."""
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import Layer, SugiyamaLayout

    position = {v: k for k, v in enumerate(sizes)}

    class RankedLayout(SugiyamaLayout):
        """grandalf's layout with our ranks (it would put every source in the first layer)."""

        def rank_all(self, roots, optimize=False):
            vertices = sorted(self.g.sV, key=lambda v: position[v.data])
            low = min(given[v.data] for v in vertices)
            for v in vertices:
                r = given[v.data] - low
                self.grx[v].rank = r
                while len(self.layers) <= r:
                    self.layers.append(Layer([]))
                self.layers[r].append(v)

    class View:
        def __init__(self, w: float, h: float) -> None:
            self.w, self.h = w, h  # grandalf lays layers top-down: w is the in-layer extent
            self.xy = (0.0, 0.0)

    class Placed(Vertex):
        """A vertex hashed by its place in ``sizes``, not by its id: grandalf keeps vertices in sets, and
        sets of id-hashed objects iterate in the order of the memory's layout, which made one network's
        layout differ from process to process (and between tests)."""

        def __hash__(self) -> int:
            return position[self.data]

    class Numbered(Edge):
        """An edge hashed by its index in ``edges`` (as :class:`Placed`)."""

        number = 0

        def __hash__(self) -> int:
            return self.number

    def edge(i: int, u, v) -> Edge:
        e = Numbered(vertices[u], vertices[v])
        e.number = i
        return e

    vertices = {v: Placed(v) for v in sizes}
    for v, s in sizes.items():
        vertices[v].view = View(s.height + (1 if s.name_row else 0), 1)
    g_edges = {i: edge(i, u, v) for i, (u, v) in enumerate(edges) if i not in up}
    index = {id(e): i for i, e in g_edges.items()}
    g = Graph(list(vertices.values()), list(g_edges.values()))
    ranks: dict = {}
    coord: dict = {}
    order: dict = {}
    offset = 0.0
    floor: dict = {}  # rank → the row below the parts laid out so far
    parts = list(g.C)
    level = [0] * len(parts)  # how many stacked edges lead up from the part: higher parts first
    of = {v.data: k for k, part in enumerate(parts) for v in part.sV}
    for _ in parts:
        for i in up:
            a, b = of[edges[i][0]], of[edges[i][1]]
            level[a] = max(level[a], level[b] + 1)
    # grandalf's components come in the order of a set of vertices (their ids: the memory's layout): order
    # them by the first of their nodes as given, so one network is laid out alike in every process
    start = [min(position[v.data] for v in part.sV) for part in parts]
    for k in sorted(range(len(parts)), key=lambda k: (level[k], start[k])):
        component = parts[k]
        sug = RankedLayout(component)
        sug.xspace, sug.yspace = gap, 1
        sug.dw, sug.dh = 1, 1  # a dummy vertex (a long edge passing a layer) takes one row
        sug.init_all()
        sug.draw(3)
        lo = min(v.view.xy[0] - v.view.w / 2 for layer in sug.layers for v in layer)
        hi = max(v.view.xy[0] + v.view.w / 2 for layer in sug.layers for v in layer)
        low = min(given[v.data] for v in component.sV)
        if up:  # under the parts above it rank by rank (their skyline), not under all of them
            tops = {r + low: min(v.view.xy[0] - v.view.w / 2 for v in layer) - lo
                    for r, layer in enumerate(sug.layers) if layer}
            offset = max([0.0] + [floor[r] - top + gap + 1 for r, top in tops.items() if r in floor])
        for r, layer in enumerate(sug.layers):
            for v in sorted(layer, key=lambda v: v.view.xy[0]):
                key = _key(v, sug, index, low)
                ranks[key] = r + low
                coord[key] = v.view.xy[0] - v.view.w / 2 - lo + offset
                order.setdefault(r + low, []).append(key)
                floor[r + low] = max(floor.get(r + low, 0.0), coord[key] + v.view.w)
        offset += hi - lo + gap
    return ranks, coord, order


def _key(v, sug, index: dict, low: int):
    """A node's id, or ``(edge index, rank)`` for a dummy vertex."""
    if not getattr(v, "ctrl", None):
        return v.data
    for e, ctrl in sug.ctrls.items():
        if ctrl is v.ctrl:
            return (index[id(e)], sug.grx[v].rank + low)
    raise AssertionError("a dummy vertex of no edge")


def _rows(order: dict, heights: dict, sizes: dict, coord: dict, gap: int, under: dict | None = None) -> dict:
    """Each box's top row (and each dummy's row): grandalf's coordinate, pushed down to not overlap;
    ``under``: a box → the box it goes right under (a stacked edge between them, its arrow and a line)."""
    tops: dict = {}
    under = under or {}
    for r in sorted(order):
        stacked = [k for k in order[r] if under.get(k) in order[r]]
        keys = [k for k in order[r] if k not in stacked]
        while stacked:  # each stacked box right after the one above it (that one perhaps stacked too)
            key = next(k for k in stacked if under[k] in keys)
            keys.insert(keys.index(under[key]) + 1, key)
            stacked.remove(key)
        bottom = -10**9
        for key in keys:
            above = 1 if key in sizes and sizes[key].name_row else 0
            extent = heights[key] + above if key in sizes else 1
            top = max(round(coord[key]), bottom + (gap if bottom > -10**9 else 0))
            if key in under and under[key] in keys:  # the arrow's row and a line's between
                top = bottom + gap + 1
            tops[key] = top + above
            bottom = top + extent
    lowest = min((t - (1 if k in sizes and sizes[k].name_row else 0) for k, t in tops.items()), default=0)
    return {k: t - lowest for k, t in tops.items()}


def _lanes(segs: list) -> dict:
    """A lane (0 = leftmost) for each segment that changes row, ordered to avoid needless crossings."""
    down = sorted((s for s in segs if s[4] > s[3]), key=lambda s: (-s[3], s[0]))
    up = sorted((s for s in segs if s[4] < s[3]), key=lambda s: (s[3], s[0]))
    ordered = down + up
    # an edge leaving at the row where another enters must have the lane further left, or they overlap
    for _ in range(len(ordered) ** 2):
        moved = False
        for ai, a in enumerate(ordered):
            for bi, b in enumerate(ordered[:ai]):
                if a[3] == b[4] and b[3] != a[4]:
                    ordered.insert(bi, ordered.pop(ai))
                    moved = True
                    break
            if moved:
                break
        if not moved:
            break
    return {s[0]: k for k, s in enumerate(ordered)}

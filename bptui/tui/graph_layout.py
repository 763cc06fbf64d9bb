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


def layout(sizes: dict, edges: list[tuple], label_width: int = 0, pinned: frozenset = frozenset(),
           gap: int = 1) -> Layout:
    """Lay out nodes ``sizes`` (id → BoxSize, in a stable order) and ``edges`` ((u, v) pairs).

    ``label_width``: room on each edge's last stretch for a label (0: unlabelled edges).
    ``pinned``: sources that stay in the first column; other sources sit just before their first
    consumer (a weight matrix next to the layer that uses it).
    """
    ranks, rows_of, order = _sugiyama(sizes, edges, _ranks(sizes, edges, pinned), gap)
    n_ranks = max(ranks.values()) + 1 if ranks else 0
    chains = _chains(edges, ranks)

    # ports: a box is tall enough for one row per incoming and per outgoing edge
    outs: dict = {v: [] for v in sizes}
    ins: dict = {v: [] for v in sizes}
    for i, (u, v) in enumerate(edges):
        outs[u].append(i)
        ins[v].append(i)
    heights = {v: max(s.height, len(outs[v]) + 2, len(ins[v]) + 2) for v, s in sizes.items()}
    tops = _rows(order, heights, sizes, rows_of, gap)

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
    return Layout(width, height, boxes, cells, arrows, labels)


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


def _ranks(sizes: dict, edges: list[tuple], pinned: frozenset) -> dict:
    """Longest path from the sources; unpinned sources moved up to their first consumer."""
    preds: dict = {v: [] for v in sizes}
    succs: dict = {v: [] for v in sizes}
    for u, v in edges:
        preds[v].append(u)
        succs[u].append(v)
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
                rank[w] = max((rank[u] + 1 for u in preds[w]), default=0)
    for v in sizes:
        if not preds[v] and succs[v] and v not in pinned:
            rank[v] = min(rank[w] for w in succs[v]) - 1
    return rank


def _sugiyama(sizes: dict, edges: list[tuple], given: dict, gap: int):
    """Ranks of nodes and dummies, grandalf's in-layer coordinate of each, and each layer's order."""
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

    vertices = {v: Vertex(v) for v in sizes}
    for v, s in sizes.items():
        vertices[v].view = View(s.height + (1 if s.name_row else 0), 1)
    g_edges = [Edge(vertices[u], vertices[v]) for u, v in edges]
    index = {id(e): i for i, e in enumerate(g_edges)}
    g = Graph(list(vertices.values()), g_edges)
    ranks: dict = {}
    coord: dict = {}
    order: dict = {}
    offset = 0.0
    for component in g.C:
        sug = RankedLayout(component)
        sug.xspace, sug.yspace = gap, 1
        sug.dw, sug.dh = 1, 1  # a dummy vertex (a long edge passing a layer) takes one row
        sug.init_all()
        sug.draw(3)
        lo = min(v.view.xy[0] - v.view.w / 2 for layer in sug.layers for v in layer)
        hi = max(v.view.xy[0] + v.view.w / 2 for layer in sug.layers for v in layer)
        low = min(given[v.data] for v in component.sV)
        for r, layer in enumerate(sug.layers):
            for v in sorted(layer, key=lambda v: v.view.xy[0]):
                key = _key(v, sug, index, low)
                ranks[key] = r + low
                coord[key] = v.view.xy[0] - v.view.w / 2 - lo + offset
                order.setdefault(r, []).append(key)
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


def _rows(order: dict, heights: dict, sizes: dict, coord: dict, gap: int) -> dict:
    """Each box's top row (and each dummy's row): grandalf's coordinate, pushed down to not overlap."""
    tops: dict = {}
    for r in sorted(order):
        bottom = -10**9
        for key in order[r]:
            above = 1 if key in sizes and sizes[key].name_row else 0
            extent = heights[key] + above if key in sizes else 1
            top = max(round(coord[key]), bottom + (gap if bottom > -10**9 else 0))
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

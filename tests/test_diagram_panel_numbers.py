"""The diagrams write each number as its panel does (issue 24 item 6, one format): a unit's s, o and δ
and an edge's weight in the NN diagram (d), and every entry of a box of the computation graph (c), are
the text of the same entry in the layer panel (numformat.cell in the format of the panel's whole array,
numformat.number_format), at every ``+``/``−`` digits setting: not ``δ₄⁽¹⁾ = 0.03743`` in the diagram
beside ``0.0374`` in the panel."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.diagrams import UNIT_LINES, network_graph, network_graph_state, nn_diagram, nn_state
from bptui.tui.stepping import MAX_DIGITS, MIN_DIGITS

from .conftest import NETWORKS
from .helpers import panel_text

ENTRY = re.compile(r"−?\d+(?:\.\d+)?(?:e−?\d+)?")


def _steppers(name: str, every: int, notation=None):
    stepper = Stepper(load(NETWORKS / f"{name}.json"), notation=notation)
    yield -1, stepper  # before the first step too
    for i in range(len(stepper.schedule)):
        stepper.forward()
        if i % every == 0:
            yield i, stepper


def _nn_checks(stepper, diagram, digits):
    """(where, shown, the panel's text) for every number the NN diagram writes of a layer's arrays."""
    st, spec = stepper.state, stepper.spec
    state = nn_state(stepper, diagram, digits)
    sep = diagram.separate
    for l in range(1, spec.L + 1):
        hidden = l < spec.L
        for b in range(1, spec.widths[l] + 1):
            lines = state.texts[f"u{l}_{b}"]
            shown = [t.split(" = ", 1)[1] for t in lines if " = " in t]
            panels = {"s": (st.s[l], b - 1), "o": (st.o[l], b if hidden else b - 1), "delta": (st.delta[l], b - 1)}
            for q, text in zip(UNIT_LINES, shown):
                array, index = panels[q]
                if array is not None:
                    yield (l, b, q), text, panel_text(array, index, digits)
            if sep:  # the unit's own b: the panel's b column (W's column 0 shown apart)
                yield (l, b, "b"), shown[len(UNIT_LINES)], panel_text(st.W[l][:, 0], b - 1, digits)
    for e, (l, row, col) in (diagram.weight_edges or {}).items():
        W = st.W[l][:, 1:] if sep else st.W[l]
        yield (l, row, col, "W"), state.labels[e], panel_text(W, (row, col - 1 if sep else col), digits)


def _differences(steppers, every: int, diagrams: dict, checks) -> tuple[list, int]:
    """Each number a diagram writes beside its panel's text, at every step ``steppers`` gives (every digits
    setting at every ``every``·7th, 4 digits elsewhere): (the ones that differ, how many were compared)."""
    bad, seen = [], 0
    for i, stepper in steppers:
        for digits in (range(MIN_DIGITS, MAX_DIGITS + 1) if i % (every * 7) == 0 else (4,)):
            for where, shown, want in checks(stepper, diagrams[digits], digits):
                seen += 1
                if shown != want:
                    bad.append((i, digits, where, shown, want))
    return bad, seen


@pytest.mark.parametrize("name,every,profile", [("xor", 1, None), ("moons", 5, None), ("xor", 1, "ng"),
                                                ("moons", 11, "cs231n")])
def test_the_nn_diagram_writes_each_number_as_its_panel(name, every, profile):
    notation = None if profile is None else PROFILES[profile]
    diagrams = {d: nn_diagram(load(NETWORKS / f"{name}.json"), d, notation) for d in range(MIN_DIGITS, MAX_DIGITS + 1)}
    bad, seen = _differences(_steppers(name, every, notation), every, diagrams, _nn_checks)
    assert seen > 100
    assert not bad, bad[:5]


def _graph_checks(stepper, diagram, digits):
    """(where, the box's entries, the panel's texts of them) for the computation graph's W, G, s, δ, o boxes."""
    st, L = stepper.state, stepper.spec.L
    texts = network_graph_state(stepper, diagram, digits).texts
    for l in range(1, L + 1):
        for node, line, array in ((f"W{l}", 1, st.W[l]), (f"W{l}", 2, st.G[l]), (f"s{l}", 1, st.s[l]),
                                  (f"s{l}", 2, st.delta[l]), (f"o{l}", 1, st.o[l])):
            if array is None:
                continue
            a = np.asarray(array, dtype=float)
            box = re.sub(r" \((?:\d+×\d+|\d+ values)\)", "", texts[node][line].split("= ", 1)[1])  # a cut's size
            yield (node, line), ENTRY.findall(box), [panel_text(a, index, digits) for index in _shown(a.shape)]


def _shown(shape: tuple[int, ...]):
    """The entries a box writes of an array of ``shape`` (notation.vec and mat: a long vector's first six and
    last two, a big matrix's first six rows, each row's first four and last two of more than six)."""
    def ends(n: int, limit: int) -> list[int]:
        return list(range(n)) if n <= limit else list(range(limit - 2)) + [n - 2, n - 1]

    if len(shape) == 1:
        return [(i,) for i in ends(shape[0], 8)]
    return [(r, c) for r in range(min(shape[0], 6)) for c in ends(shape[1], 6)]


@pytest.mark.parametrize("name,every", [("xor", 1), ("moons", 5)])
def test_the_computation_graph_writes_each_number_as_its_panel(name, every):
    spec = load(NETWORKS / f"{name}.json")
    diagrams = {d: network_graph(spec, d) for d in range(MIN_DIGITS, MAX_DIGITS + 1)}
    bad, seen = _differences(_steppers(name, every), every, diagrams, _graph_checks)
    assert seen > 100
    assert not bad, bad[:5]


async def test_the_diagram_and_the_panel_show_the_same_text_on_screen():
    """xor after its backward pass's δ⁽¹⁾: the panel's o₁⁽¹⁾ and δ₂⁽¹⁾ cells, read off the screen, are the
    numbers the NN diagram writes on its units."""
    from bptui.tui.graph_canvas import GraphCanvas
    from bptui.tui.sheet import LayerSheet

    from .test_keypress_diagram import canvas_text
    from .tui_helpers import app_for

    app = app_for("xor")
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(9):
            await pilot.press("n")
        await pilot.pause()
        sheet = app.main.query_one("#layer-1", LayerSheet)
        panel = "\n".join(sheet.render_line(y).text for y in range(sheet.size.height))
        await pilot.press("d")
        await pilot.pause()
        diagram = canvas_text(app.main.query_one("#canvas-nn", GraphCanvas))
    assert "0.0997" in panel and "−0.1590" in panel
    assert "o₁⁽¹⁾ = 0.0997" in diagram and "δ₂⁽¹⁾ = −0.1590" in diagram


def _unrolled_checks(stepper, digits):
    """(where, shown, the sequence panel's text) for every number of the unrolled graph's boxes of a layer at
    τ (s, o, δ by unit: the panel's cell in the format of the layer's whole per-τ board), of x_τ (the panel's
    x row, in the format of the example's x), and of W⁽ˡ⁾, G⁽ˡ⁾ (in the format of the whole matrix)."""
    from bptui.tui.diagrams import PENDING
    from bptui.tui.unrolled import example_length, unrolled_graph, unrolled_state

    st, net = stepper.state, stepper.net
    d = unrolled_graph(net, example_length(stepper), digits, None)
    texts = unrolled_state(stepper, d, digits).texts
    x_seq = None if st.o[0] is None else np.asarray(st.o[0])[:, 1:]
    for node, lines in texts.items():
        if node.startswith("h"):
            l_text, _, t_text = node[1:].partition("_")
            l, t = int(l_text), (int(t_text) if t_text else None)
            kind = net.kinds[l - 1]
            first = int(kind.bias_entry and l < net.L)
            rows = [line.split() for line in lines]
            rows = rows[[i for i, r in enumerate(rows) if r[:1] == ["s"]][-1] + 1:]  # under the columns' heads
            for k, (q, board) in enumerate((("s", st.s[l]), ("o", st.o[l]), ("delta", st.delta[l]))):
                for unit, row in enumerate(rows):
                    if board is None or row[k] == PENDING:
                        continue
                    a = np.asarray(board, dtype=float)
                    index = (unit + (first if q == "o" else 0),) if t is None else \
                        (kind.time_row(q, t), unit + (first if q == "o" else 0))
                    yield (node, q, unit), row[k], panel_text(a, index, digits)
        elif node.startswith("x_") and x_seq is not None:
            t = int(node[2:])
            values = lines[-stepper.spec.widths[0]:]
            for unit, shown in enumerate(values):
                yield (node, unit), shown, panel_text(x_seq, (t - 1, unit), digits)
        elif node.startswith("W"):
            l = int(node[1:])
            for line, array in ((lines[-2], st.W[l]), (lines[-1], st.G[l])):
                a = np.asarray(array, dtype=float)
                box = re.sub(r" \((?:\d+×\d+|\d+ values)\)", "", line.split("= ", 1)[1])
                yield (node, line[:1]), ENTRY.findall(box), [panel_text(a, i, digits) for i in _shown(a.shape)]


@pytest.mark.parametrize("name,every", [("parity", 3), ("gru_parity", 7)])
def test_the_unrolled_graph_writes_each_number_as_its_panel(name, every):
    bad, seen = [], 0
    for i, stepper in _steppers(name, every):
        if i > 400:
            break
        for digits in (range(MIN_DIGITS, MAX_DIGITS + 1) if i % (every * 9) == 0 else (4,)):
            for where, shown, want in _unrolled_checks(stepper, digits):
                seen += 1
                if shown != want:
                    bad.append((i, digits, where, shown, want))
    assert seen > 100
    assert not bad, bad[:5]

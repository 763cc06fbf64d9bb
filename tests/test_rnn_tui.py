"""The app on recurrent networks: each layer unrolled in time, stepping forward and back through
time (pilot tests), Tab on a cell at τ, ‖δ_τ‖ under the recurrent layer, and snapshots (each SVG
looked at)."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.tui.explain import TimeIndex
from bptui.tui.seq_sheet import SeqSheet, norm_bars

from .tui_helpers import app_for


def _texts(sheet: SeqSheet) -> list[str]:
    return ["".join(t for t, _, _ in line) for line in sheet.lines]


def _head(sheet: SeqSheet) -> str:
    return next(t for t in _texts(sheet) if "τ=1" in t or "once" in t)


@pytest.mark.asyncio
async def test_forward_and_back_through_time():
    app = app_for("parity")
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.pause()
        assert [type(w).__name__ for w in app.query("#layers > *")] == ["SeqSheet", "SeqSheet"]
        rnn = app.query_one("#layer-1", SeqSheet)
        seen = {}
        for i in range(1, 14):  # example 1 (T = 2): s₁ o₁ s₂ o₂, layer 2, ℓ, δ⁽²⁾ G⁽²⁾, δ₂ G δ₁ G
            await pilot.press("n")
            await pilot.pause()
            key = app.stepper.last.key
            seen[i] = (key, _head(rnn), np.array(app.stepper.last.value, dtype=float))
            if key.time is not None:
                assert f"▶τ={key.time}" in _head(rnn) and f"now τ = {key.time}" in rnn.border_title
            else:
                assert "▶" not in _head(rnn)
        assert [seen[i][0].time for i in range(1, 14)] == [1, 1, 2, 2, None, None, None, None, None, 2, 2, 1, 1]
        for i in range(12, 2, -1):  # back, one step at a time: the same values, the same τ marked
            await pilot.press("p")
            await pilot.pause()
            key, head, value = seen[i]
            assert app.stepper.last.key == key and _head(rnn) == head
            np.testing.assert_array_equal(np.array(app.stepper.last.value, dtype=float), value)
        # at step 3 (s⁽¹⁾₂ done), o⁽¹⁾₂ is not on the board yet: its column shows ·
        o_rows = [t for t in _texts(rnn) if t.startswith("o b=1")]
        assert o_rows and o_rows[0].split()[3] == "·"  # (τ = 2's column, T = 2: a state's row may stand beside)


@pytest.mark.asyncio
async def test_tab_explains_a_cell_at_its_time_step():
    app = app_for("parity")
    async with app.run_test(size=(150, 45)) as pilot:
        for _ in range(12):  # through δ⁽¹⁾₁ of example 1
            app.main.action_next()
        await pilot.pause()
        sheet = app.query_one("#layer-1", SeqSheet)
        sheet.focus()
        await pilot.pause()
        key = ("delta", 1, TimeIndex(1, 3), None)
        sheet.cursor = [c[2] for c in sheet.cells].index(key)
        await pilot.press("right", "left")
        await pilot.pause()
        assert app.main.cell == key
        text = app.query_one("#explain").text
        assert "δ⁽¹⁾₁,₄" in text and "from τ + 1 (through U⁽¹⁾" in text and "u₁,₄⁽¹⁾ δ⁽¹⁾₂,₁" in text
        U = app.spec.kinds[0].U_part(app.stepper.state.W[1])
        part = float(U[:, 3] @ app.stepper.state.delta[1][1])
        from bptui.core.formulas.notation import num

        assert f"= {num(part, 4)}" in text


@pytest.mark.asyncio
async def test_the_recurrent_panel_shows_delta_fading_back_through_time():
    app = app_for("long_memory")
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("b")  # to the end of example 1's backward pass, τ = 30 … 1
        await pilot.pause()
        sheet = app.query_one("#layer-1", SeqSheet)
        rows = {t.split()[0]: t for t in _texts(sheet) if t.startswith(("‖δ_τ‖", "log"))}
        norms = [float(v.replace("−", "-")) for v in rows["‖δ_τ‖"].split()[1:]]
        assert len(norms) == 30 and norms[0] < 1e-3 * norms[-1]
        bars = rows["log"].split()[1:]
        assert bars[0] == "▁" and bars[-1] == "█"


def test_norm_bars_are_on_a_log_scale():
    assert norm_bars([1e-6, 1e-3, 1.0, None]) == ["▁", "▅", "█", "·"]
    assert norm_bars([None, None]) == ["·", "·"]


def test_unrolled_panels(snap_compare):
    """parity mid backward pass, the cursor on δ⁽¹⁾₁,₄: the explanation names the part from τ + 1."""
    async def cursor(pilot):
        for _ in range(12):
            pilot.app.main.action_next()
        await pilot.pause()
        sheet = pilot.app.query_one("#layer-1", SeqSheet)
        sheet.focus()
        await pilot.pause()
        sheet.cursor = [c[2] for c in sheet.cells].index(("delta", 1, TimeIndex(1, 3), None))
        await pilot.press("right", "left")
        await pilot.pause()

    assert snap_compare(app_for("parity"), run_before=cursor, terminal_size=(150, 45))


def test_vanishing_gradient_through_time(snap_compare):
    """long_memory at the end of example 1's backward pass: ‖δ_τ‖ and its bars along τ = 1 … 30."""
    assert snap_compare(app_for("long_memory"), press=["b"], terminal_size=(150, 45))


def test_gated_panel_through_time(snap_compare):
    """long_memory_lstm at the end of example 1's backward pass: a row per gate and unit, c, h, ∂ℓ/∂h,
    ∂ℓ/∂c and δ at every τ, and ‖∂ℓ/∂c_τ‖, ‖∂ℓ/∂h_τ‖ under the layer (the cell's path back in time)."""
    assert snap_compare(app_for("long_memory_lstm"), press=["b"], terminal_size=(150, 60))


async def trained_plot(app, pilot, epochs: int):
    """The training screen's curve over τ after ``epochs`` epochs of training (t, the number, enter)."""
    from bptui.tui.time_plot import DeltaOverTime
    from bptui.tui.training import TrainScreen

    await pilot.press("t")
    app.screen.query_one("#value").value = str(epochs)
    await pilot.press("enter")
    assert isinstance(app.screen, TrainScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen.query_one(DeltaOverTime)


@pytest.mark.asyncio
async def test_the_training_screen_shows_delta_over_time():
    from bptui.core.engine.train import delta_over_time, train

    app = app_for("long_memory")
    async with app.run_test(size=(150, 45)) as pilot:
        plot = await trained_plot(app, pilot, 20)
        weights = train(app.spec, 20).weights
        np.testing.assert_allclose(plot.norms, delta_over_time(app.spec, weights, plot.example), rtol=1e-12)
        text = str(plot.render())
        assert "τ = 1 ▁" in text and "█ τ = 30" in text and "ratio" in text


@pytest.mark.asyncio
async def test_the_training_screen_shows_dc_and_dh_over_time_of_an_lstm():
    """long_memory_lstm's training screen: ‖∂ℓ/∂c⁽¹⁾_τ‖ and ‖∂ℓ/∂h⁽¹⁾_τ‖ over τ (not ‖δ_τ‖, which for an
    LSTM is four gates' δ), the batch BPTT's numbers at the trained weights."""
    from bptui.core.engine.train import gradients_over_time, train

    app = app_for("long_memory_lstm")
    async with app.run_test(size=(150, 45)) as pilot:
        plot = await trained_plot(app, pilot, 3)
        want = gradients_over_time(app.spec, train(app.spec, 3).weights, plot.example)
        assert [q for q, _, _ in want] == ["dc", "dh"] and len(plot.series) == 2
        for shown, (_, _, norms) in zip(plot.series, want):
            np.testing.assert_allclose(shown, norms, rtol=1e-12)
        text = str(plot.render())
        assert "‖∂c⁽¹⁾_τ‖ τ = 1" in text and "‖∂h⁽¹⁾_τ‖ τ = 1" in text and "‖∂c⁽¹⁾₁‖ = " in text
        assert "‖∂h⁽¹⁾_T‖ = " in text and "‖δ" not in text and plot.border_title.startswith("‖∂c⁽¹⁾_τ‖ and ‖∂h⁽¹⁾_τ‖")


@pytest.mark.asyncio
async def test_quiz_mode_hides_the_asked_cell_at_its_time_step():
    app = app_for("parity")
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("n", "n", "z", "n")  # s⁽¹⁾₁ o⁽¹⁾₁, quiz on, ask for s⁽¹⁾₂
        await pilot.pause()
        asked = app.main.asked
        assert asked is not None and asked.quantity == "s" and asked.layer == 1 and asked.time == 2
        sheet = app.query_one("#layer-1", SeqSheet)
        hidden = [key for line in sheet.lines for text, _, key in line if text.strip() == "?"]
        assert hidden == [("s", 1, TimeIndex(2, asked.unit - 1), None)]


def test_the_unrolled_graph_has_a_column_of_boxes_per_time_step():
    from bptui.core.formats.spec import load
    from bptui.core.engine.stepper import Stepper
    from bptui.tui.unrolled import unrolled_graph, unrolled_state

    from .conftest import NETWORKS

    spec = load(NETWORKS / "parity.json")
    st = Stepper(spec)
    d = unrolled_graph(st.net, 3)
    ids = [n.id for n in d.nodes]
    assert ids[:3] == ["W1", "o1_0", "W2"] and {"x_3", "h1_1", "h1_3", "h2", "y", "loss"} <= set(ids)
    # layer 1 at τ reads o⁽⁰⁾_τ, the shared [W | U] and itself at τ − 1; layer 2 reads o⁽¹⁾_T only (many-to-one)
    assert {u for u, v in d.edges if v == "h1_2"} == {"x_2", "W1", "h1_1"}
    assert {u for u, v in d.edges if v == "h2"} == {"h1_3", "W2"}
    for _ in range(12):  # example 1 (T = 2) through δ⁽¹⁾₁
        st.forward()
    d = unrolled_graph(st.net, 2)
    state = unrolled_state(st, d, 4)
    from .helpers import panel_text

    lines = state.texts["h1_1"]
    head = 1 + next(i for i, line in enumerate(lines) if line.startswith("o = "))  # the columns' heads
    assert lines[head].split() == ["s", "o", "δ"]
    rows = [line.split() for line in lines[head + 1:]]
    # δ⁽¹⁾₁ by unit, as the panel writes it (its cell, in the format of the whole per-τ board)
    assert [r[2] for r in rows] == [panel_text(st.state.delta[1], (0, u), 4) for u in range(len(rows))]
    assert [r[1] for r in state.texts["h1_2"][head + 1:] for r in [r.split()]] == [
        panel_text(st.state.o[1], (2, u), 4) for u in range(len(rows))]
    assert state.current == "h1_1" and state.hot_line == head
    assert state.hot_edges == d.edges_from("h1_1")  # back from layer 1 at τ = 2 and from layer 2


@pytest.mark.parametrize("name", ["long_memory", "parity", "stacked_parity"])
def test_the_unrolled_graph_marks_w_at_an_update_step(name):
    """An update step has no τ: c at one marks W⁽ˡ⁾ (the benchmark's c on long_memory raised KeyError 'h1'
    there, looking for a box of layer 1 without a τ)."""
    from bptui.core.formats.spec import load
    from bptui.core.engine.stepper import Stepper
    from bptui.tui.unrolled import example_length, unrolled_graph, unrolled_state

    from .conftest import NETWORKS

    st = Stepper(load(NETWORKS / f"{name}.json"))
    while st.next_key.phase != "update":
        st.forward()
    for layer in range(1, st.net.L + 1):
        st.forward()
        assert st.last.key.quantity == "W" and st.last.key.layer == layer and st.last.key.time is None
        state = unrolled_state(st, unrolled_graph(st.net, example_length(st)), 4)
        assert state.current == f"W{layer}" and state.hot_line == 1 and not state.hot_edges


# both kinds of output, two layers above, identity; time through stacked recurrent and dense layers at τ
@pytest.mark.parametrize("seed", [None, 2, 4, 5, 6, 9, "stacked", "mixed"])
def test_each_box_of_the_unrolled_graph_prints_its_steps_formula_tree(seed):
    """The function a box of the unrolled graph shows at τ is the first form of the equation of the step
    that computes it there (core/kinds/rnn/equations.py), printed: one tree behind both, at every τ."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import Sum, TextPrinter
    from bptui.core.kinds.rnn.equations import loss_form
    from bptui.core.formats.spec import load, parse
    from bptui.core.engine.stepper import Stepper
    from bptui.tui.unrolled import box_id, example_length, unrolled_graph, unrolled_state

    from .conftest import NETWORKS
    from .helpers import random_rnn_doc, random_stack_doc

    if seed is None:
        spec = load(NETWORKS / "parity.json")
    elif isinstance(seed, str):
        spec = parse(random_stack_doc(1, seed, n=2), f"{seed}.json")
    else:
        spec = parse(random_rnn_doc(seed, n=3), "rnn.json")
    st = Stepper(spec)
    p, seqs = TextPrinter().p, spec.return_sequences
    checked, loss_checked = 0, 0
    for _ in range(len(st.schedule)):  # one epoch
        step = st.forward()
        key = step.key
        if key.quantity not in ("s", "o", "loss"):
            continue
        d = unrolled_graph(st.net, example_length(st))
        texts = unrolled_state(st, d, 4).texts
        eqs = step_equations(st.net, st.state, step)
        if key.quantity == "loss":
            T = len(st.state.s[1])
            if seqs:  # ℓ sums the loss of each τ; each τ's equation prints the loss's rule at τ
                assert [p(e.forms[0]) for e in eqs[:T]] == [p(loss_form(st.net, t)) for t in range(1, T + 1)]
                assert texts["loss"][0] == p(Sum("τ", loss_form(st.net, "τ")))
            else:
                assert texts["loss"][0] == p(eqs[0].forms[0])
            loss_checked += 1
            continue
        lines = texts[box_id(key.layer, key.time)]
        o_line = next(i for i, line in enumerate(lines) if line.startswith("o = "))
        shown = " ".join(line.strip() for line in lines[:o_line]) if key.quantity == "s" else lines[o_line]
        assert shown == f"{key.quantity} = {p(eqs[0].forms[0])}", (key, shown)
        assert ("τ" in shown) is False  # a number at every τ, never the letter
        checked += 1
    assert checked > 4 * len(spec.lengths) and loss_checked == len(spec.lengths)


@pytest.mark.asyncio
async def test_c_draws_the_graph_unrolled_over_the_examples_length():
    from bptui.tui.graph_canvas import GraphCanvas

    app = app_for("parity")
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("n", "c")
        await pilot.pause()
        canvas = app.query_one("#canvas-graph", GraphCanvas)
        assert canvas.display and not app.query_one("#layers").display
        assert "unrolled in time" in str(app.query_one("#diagram-title").render())
        for _ in range(13):  # on to example 2: T = 2 again; the boxes follow the board
            await pilot.press("n")
        await pilot.pause()
        text = "\n".join(canvas.text_lines())
        from bptui.core.formulas.formula import TextPrinter
        from bptui.core.kinds.rnn.equations import s1_form

        first, _, second = TextPrinter().p(s1_form(1)).partition(" + ")  # over two lines of its box
        assert "o⁽⁰⁾₂" in text and f"s = {first}" in text and f"+ {second}" in text


def _time_steps_in_view(app) -> dict[int, set[int]]:
    """For each layer, the τ of its boxes wholly on screen in the c view."""
    from bptui.tui.graph_canvas import GraphCanvas

    from .test_layout import visible_nodes

    shown: dict[int, set[int]] = {}
    for node in visible_nodes(app.query_one("#canvas-graph", GraphCanvas)):
        if node.startswith("h") and "_" in node:
            l, t = node[1:].split("_")
            shown.setdefault(int(l), set()).add(int(t))
    return shown


@pytest.mark.asyncio
async def test_parity_unrolled_shows_three_time_steps_at_120_columns():
    """Example 13 (T = 4) in its forward pass at τ = 3: the boxes of τ = 1, 2, 3 side by side, whole, at
    120×40 (issue 24 item 2: a box per layer and τ, its units as columns, is narrow enough)."""
    app = app_for("parity")
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.stepper.last is not None and app.stepper.last.key.example == 13
                   and app.stepper.last.key.time == 3 and app.stepper.last.key.quantity == "o"):
            app.main.action_next()
        await pilot.press("c")
        await pilot.pause()
        assert len(_time_steps_in_view(app).get(1, set())) >= 3, _time_steps_in_view(app)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(120, 40), (200, 50)])
async def test_c_draws_every_layer_of_a_stack(size):
    """stacked_parity: c draws both recurrent layers at every τ (each reading the layer below at its τ and
    itself at τ − 1) and the dense layer once on o⁽²⁾_T; on screen at 120×40 and 200×50, three whole time
    steps, each a column: layer 2's box at τ right above layer 1's, an arrow up between them."""
    from bptui.tui.graph_canvas import GraphCanvas

    app = app_for("stacked_parity")
    async with app.run_test(size=size) as pilot:
        for _ in range(5):  # example 1 (T = 2): o⁽¹⁾₁ … s⁽¹⁾₂
            await pilot.press("n")
        await pilot.press("c")
        await pilot.pause()
        assert not app.query_one("#diagram-note").display
        canvas = app.query_one("#canvas-graph", GraphCanvas)
        T = int(app.spec.lengths[0])
        boxes = set(canvas.grid.boxes)
        assert {f"h{l}_{t}" for l in (1, 2) for t in range(1, T + 1)} | {"h3", "W1", "W2", "W3"} <= boxes
        edges = set(app.main.query_one("NetworkDiagrams").diagrams["graph"].edges)
        assert {("h1_2", "h2_2"), ("h2_1", "h2_2"), ("W2", "h2_2"), (f"h2_{T}", "h3"), ("h3", "loss")} <= edges
        shown = _time_steps_in_view(app)
        assert 1 in shown and (2 in shown or size[1] < 50), shown  # 40 rows: the step's layer and its inputs
        while not (app.stepper.last.key.example == 13 and app.stepper.last.key.time == 4
                   and app.stepper.last.key.quantity == "o" and app.stepper.last.key.layer == 1):
            app.main.action_next()
        await pilot.pause()
        assert app.stepper.spec.lengths[12] == 4
        shown = _time_steps_in_view(app)
        # whole on screen: three time steps, each with the boxes of both layers (a layer's box at τ right
        # above the box it reads at τ, in one column: a column per τ)
        assert len(shown.get(1, set()) & shown.get(2, set())) >= 3, shown
        canvas = app.query_one("#canvas-graph", GraphCanvas)
        for t in range(1, T + 1):
            below, above = canvas.grid.boxes[f"h1_{t}"], canvas.grid.boxes[f"h2_{t}"]
            assert below.x == above.x and 0 < below.y - (above.y + above.h) <= 4, (t, below, above)


def test_stacked_unrolled_graph_snapshot(snap_compare):
    """stacked_parity at 120×40, example 13 (T = 4) at δ⁽¹⁾₃: a column per time step, layer 2's box over
    layer 1's with the arrow ▲ it is read along lit (looked at)."""

    async def run_before(pilot):
        app = pilot.app
        while not (app.stepper.last is not None and app.stepper.last.key.example == 13 and app.stepper.last.key.time == 3
                   and app.stepper.last.key.quantity == "delta" and app.stepper.last.key.layer == 1):
            app.main.action_next()
        await pilot.press("c")

    assert snap_compare(app_for("stacked_parity"), run_before=run_before, terminal_size=(120, 40))


def test_unrolled_graph_snapshot(snap_compare):
    """parity, example 1 mid backward pass through time, the c view (looked at)."""
    assert snap_compare(app_for("parity"), press=["n"] * 12 + ["c"], terminal_size=(150, 45))


@pytest.mark.asyncio
async def test_a_stacked_network_opens_and_steps_with_every_per_time_layer_by_tau():
    """stacked_parity (rnn with return_sequences, rnn, sigmoid): a panel per layer; both recurrent
    layers show s, o, δ in one column per τ, the dense layer one column (once, on o⁽²⁾_T); Tab explains
    a cell of the upper recurrent layer at its τ; c says what it does not draw; stepping through a whole
    example and back does not crash."""
    app = app_for("stacked_parity")
    async with app.run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        assert [type(w).__name__ for w in app.query("#layers > *")] == ["SeqSheet"] * 3
        T = int(app.spec.lengths[0])
        steps = int(app.stepper.schedule.sizes[0])
        for _ in range(steps):
            app.main.action_next()
        await pilot.pause()
        for l in (1, 2):
            sheet = app.query_one(f"#layer-{l}", SeqSheet)
            head = _head(sheet).replace("▶", "").split()  # ▶ marks τ = 1, where the backward pass ended
            assert head[:T] == [f"τ={t}" for t in range(1, T + 1)], head
            assert head[T:] == [] or head[T].startswith(("m⁽", "v⁽")), head  # (a state's heading beside the grid)
            assert f"unrolled over τ = 1 … {T}" in sheet.border_title
            deltas = [t for t in _texts(sheet) if t.startswith("δ b=1")][0].split()[2:2 + T]  # (a state may stand beside)
            np.testing.assert_allclose([float(v.replace("−", "-")) for v in deltas],
                                       app.stepper.state.delta[l][:, 0], rtol=1e-3, atol=1e-4)
        top = app.query_one("#layer-3", SeqSheet)
        assert _head(top).split() == ["once"] and "once, on o⁽²⁾" in top.border_title
        sheet = app.query_one("#layer-2", SeqSheet)
        sheet.focus()
        await pilot.pause()
        key = ("delta", 2, TimeIndex(1, 0), None)
        sheet.cursor = [c[2] for c in sheet.cells].index(key)
        await pilot.press("right", "left")
        await pilot.pause()
        text = app.query_one("#explain").text
        assert "δ⁽²⁾₁,₁" in text and "from τ + 1 (through U⁽²⁾" in text and "the recurrent layer 2" in text
        await pilot.press("c")
        await pilot.pause()
        assert not app.query_one("#diagram-note").display  # both recurrent layers drawn (below)
        await pilot.press("c")
        for _ in range(steps):
            app.main.action_prev()
        await pilot.pause()
        assert app.stepper.position == 0


@pytest.mark.parametrize("name", ["long_memory_lstm", "gru_parity"])
async def test_a_gated_layer_steps_forward_and_back_on_screen_without_a_slip(name, monkeypatch):
    """A gated network opened as `bptui FILE` opens it (the loading screen first) and stepped forward
    and back: no error is reported on the way (at step 0 the kind's own rows, the gates, are not on
    the board yet), and the panel shows the gates' rows."""
    from bptui.core.util import validate
    from bptui.tui import guard
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS
    from .tui_helpers import until

    reported: list[BaseException] = []
    monkeypatch.setattr(guard, "report", lambda app, error: reported.append(error))
    path = str(NETWORKS / f"{name}.json")
    app = BptuiApp.from_document(validate.read_json(path), path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main is not None and app.screen is app.main, "the network screen")
        await pilot.pause()
        await pilot.press(*"nnnnnnnn")
        await pilot.press("b")
        await pilot.pause()
        assert app.stepper.last.key.phase == "backward" and not reported, reported


async def test_c_on_a_gated_network_says_what_it_cannot_draw():
    """The unrolled graph's boxes are s = W [1, x_τ] + U o_τ₋₁, o = f(s): a GRU's gates are not that, so c
    says so and draws nothing that would misstate them; c again brings the panels back."""
    app = app_for("gru_parity")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "c")
        await pilot.pause()
        note = str(app.main.query_one("#diagram-note").render())
        assert "gru layer" in note and "Press c again" in note, note
        await pilot.press("c")
        await pilot.pause()
        assert app.main.query_one("#layer-1").display

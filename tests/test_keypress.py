"""Every keypress stays cheap and a burst of keys stays on screen (issue 24, item 5): the board is
drawn while keys still wait, the screen settles after a step (no layout pass while idle), a diagram
redraws only the rows a step changed and draws them as a fresh canvas would, and a long row in an
equation formats only the entries it shows."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual.screen import Screen
from textual.strip import Strip

from bptui.core.formulas.formula import Arr, array_form, text
from bptui.core.formulas.notation import num
from bptui.tui.app import BptuiApp
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.panel_base import with_offsets
from bptui.tui.sheet import LayerSheet
from bptui.tui.view import cell, number_format
from bptui.tui.stepping import TextLine

from .tui_helpers import app_for, big_spec, until

STEP = re.compile(r"step (\d+) of")


def shown_step(app) -> int:
    """The step the status line on screen names (of its epoch)."""
    found = STEP.search(str(app.main.query_one("#status", TextLine).render()))
    assert found is not None
    return int(found[1])


async def test_a_burst_of_keys_is_painted_as_it_goes_and_ends_on_the_last_step():
    keys = 300  # each key costs at least the handling of three messages: far longer than one frame in all
    app = BptuiApp(big_spec(n=4))
    painted: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        display = app._display

        def counted(screen, renderable) -> None:  # the step each frame handed to the terminal names
            if renderable is not None and not app._batch_count:
                painted.append(shown_step(app))
            display(screen, renderable)

        app._display = counted  # type: ignore[method-assign]
        for _ in range(keys):  # all at once, as a terminal delivers keys typed faster than handled
            app._driver.send_message(events.Key("n", "n"))
        await until(pilot, lambda: app.stepper.position == keys, "the burst handled")
        await pilot.pause()
        app._display = display  # type: ignore[method-assign]
        final = app.stepper.where().step_in_epoch
        # progress shown while keys waited: frames with other steps than the first and the last
        assert set(painted) - {0, final}, painted
        assert app.stepper.position == keys and shown_step(app) == final  # the last board: the last step


async def test_while_keys_wait_the_stepper_moves_at_once_and_the_board_follows_after_them():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        screen.frame = 3600.0  # during this burst only its first board would be drawn
        app.input_waiting = True  # as while an action runs with more keys behind it
        screen.action_next()
        screen.action_next()
        assert app.stepper.position == 2 and shown_step(app) == 0  # moved, not drawn yet
        app.input_waiting = False
        await pilot.pause()
        assert shown_step(app) == 2  # drawn once the keys waiting were handled
        screen.action_next()  # a key alone is drawn at once
        assert shown_step(app) == 3


async def test_the_screen_settles_after_a_step():
    """A scrollbar that came and went made the panels lay their columns out again, which brought it
    back: a layout pass 15 times a second while the app waited for a key (moons at 120×40)."""
    passes = 0
    original = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        nonlocal passes
        passes += 1
        return original(self, *args, **kwargs)

    for name, size in (("moons", (120, 40)), ("iris", (120, 40)), ("moons", (80, 24))):
        app = app_for(name)
        async with app.run_test(size=size) as pilot:
            Screen._refresh_layout = counted  # type: ignore[method-assign]
            try:
                for _ in range(6):  # through the loss step, whose status line is one line longer
                    await pilot.press("n")
                    await pilot.pause()
                    passes = 0
                    for _ in range(3):  # a loaded machine stretches the wait, it adds no pass
                        await pilot.pause(0.1)
                    assert passes == 0, f"{name} at {size}: {passes} layout passes while idle"
            finally:
                Screen._refresh_layout = original  # type: ignore[method-assign]


def _drawn(strip) -> list[tuple[str, object]]:
    return [(seg.text, seg.style) for seg in strip if seg.text]


async def test_a_diagram_redraws_only_what_a_step_changed_and_draws_it_as_a_fresh_canvas_would():
    for name, key in (("deep_sigmoid", "d"), ("moons", "d"), ("xor", "c")):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press(key)
            await pilot.pause()
            canvas = app.main.query_one(f"#canvas-{'nn' if key == 'd' else 'graph'}", GraphCanvas)
            redrawn: list[int] = []
            refresh_line = canvas.refresh_line
            canvas.refresh_line = lambda y: (redrawn.append(y), refresh_line(y))  # type: ignore[method-assign]
            phases = set()
            for _ in range(16 if name == "deep_sigmoid" else 9):  # into the backward pass
                await pilot.press("n")
                await pilot.pause()
                phases.add(app.stepper.last.key.phase)
                assert len(set(redrawn)) < len(canvas._rows)  # not the whole canvas
                redrawn.clear()
                _check_kept_lines(canvas, name)
            app.main.action_to_update()  # an update step: every weight's glyph may change
            await pilot.pause()
            _check_kept_lines(canvas, name)
            assert {"forward", "backward"} <= phases


def _check_kept_lines(canvas: GraphCanvas, name: str) -> None:
    """Every line the canvas keeps (drawn for the columns on screen only) shows what the whole row drawn
    afresh shows there."""
    base = canvas._style()  # the style of the blanks either side, as render_line pads
    for row, ((x, width), strip) in canvas._strips.items():  # each placed as Textual places a line's segments
        whole = with_offsets(Strip(canvas._segments(row, canvas._style)[1]).crop_extend(x, x + width, base), x, row)
        assert _drawn(strip) == _drawn(whole), (name, row)


async def test_a_diagram_drawn_for_the_columns_on_screen_scrolls_sideways_whole():
    """A canvas row is drawn for the columns on screen only: scrolled sideways with [ ], every line on
    screen is the whole row's, cut at the same columns."""
    app = app_for("deep_sigmoid")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d", "n", "n", "n")
        await pilot.pause()
        canvas = app.main.query_one("#canvas-nn", GraphCanvas)
        assert canvas.max_scroll_x > 10
        for key in ("]", "]", "]", "[", "]", "]"):
            await pilot.press(key)
            await pilot.pause()
            x = int(canvas.scroll_x)
            for y in range(canvas.scrollable_content_region.height):
                row = int(canvas.scroll_y) + y
                if row >= len(canvas._rows):
                    break
                shown = canvas.render_line(y).text
                whole = Strip(canvas._segments(row, canvas._style)[1]).crop_extend(x, x + canvas.size.width, None).text
                assert shown == whole, (key, x, row)


async def test_the_panels_show_the_steps_taken_while_a_diagram_was_in_their_place():
    """The layer panels are not drawn while d or c takes their place; when they show again they show the
    board as it is then."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        for _ in range(5):  # s⁽¹⁾, o⁽¹⁾, s⁽²⁾, o⁽²⁾, the loss: layer 2's o computed behind the diagram
            await pilot.press("n")
        await pilot.press("d")
        await pilot.pause()
        panel = app.main.query_one("#layer-2", LayerSheet)
        text = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
        o2 = app.stepper.state.o[2]
        assert cell(float(o2[0]), app.main.digits, number_format(o2, app.main.digits)).strip() in text


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 900), st.data(), st.integers(1, 6))
def test_a_long_row_prints_as_when_every_entry_was_formatted(n, data, digits):
    rng = np.random.default_rng(n)
    values = rng.normal(size=n) * 10.0 ** rng.integers(-4, 4, size=n)
    hide = data.draw(st.none() | st.integers(0, n - 1))
    form = array_form(values, digits, [(hide,)] if hide is not None else [])  # the row's one form
    cells = ["?" if i == hide else num(x, digits, form) for i, x in enumerate(values)]
    limit = 8  # the text printer's vec_limit
    if n <= limit:
        expected = "[" + ", ".join(cells) + "]"
    else:
        note = ", ?" if hide is not None and limit - 2 <= hide < n - 2 else ""
        expected = "[" + ", ".join(cells[:limit - 2]) + f", …{note}, " + ", ".join(cells[-2:]) + f"] ({n} values)"
    hidden = (hide,) if hide is not None else None
    assert text(Arr(values, hidden=hidden), digits) == expected


async def test_a_map_panel_redraws_the_lines_a_step_changed_and_no_others():
    """shapes at 120×40: a step of a map layer redraws that panel's changed lines (each of them) rather
    than the whole panel, and leaves the panels it did not change alone."""
    from bptui.tui.map_sheet import MapSheet

    app = app_for("shapes")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
        panels = [p for p in app.main.query(MapSheet) if p.l_index > 0]
        redrawn: dict[str, list[int]] = {}
        whole: list[str] = []
        for panel in panels:
            lines_of, refresh = panel.refresh_lines, panel.refresh
            panel.refresh_lines = (lambda y, n=1, p=panel, f=lines_of:  # type: ignore[method-assign]
                                   (redrawn.setdefault(p.id, []).extend(range(y, y + n)), f(y, n))[1])
            panel.refresh = (lambda *a, p=panel, f=refresh, **k:  # type: ignore[method-assign]
                             (whole.append(p.id) if not a else None, f(*a, **k))[1])
        partial = 0  # steps a panel drew only some of its lines for
        for _ in range(12):
            before = {p.id: list(p.lines) for p in panels}
            scrolled = {p.id: p.scroll_offset for p in panels}
            redrawn.clear()
            whole.clear()
            app.main.action_next()
            await pilot.pause()
            for panel in panels:
                changed = {y for y, line in enumerate(panel.lines)
                           if y >= len(before[panel.id]) or before[panel.id][y] != line}
                if panel.id in whole or panel.scroll_offset != scrolled[panel.id]:
                    continue  # drawn whole: a new title, size or scroll
                assert changed <= set(redrawn.get(panel.id, [])), (panel.id, app.stepper.last.key)
                assert len(set(redrawn.get(panel.id, []))) == len(changed)
                partial += 0 < len(changed) < len(panel.lines)
            for panel in panels:  # every line kept drawn is the line drawn afresh
                height = panel.scrollable_content_region.height
                kept = [panel.render_line(y) for y in range(height)]
                panel._strips.clear()
                assert [_drawn(s) for s in kept] == [_drawn(panel.render_line(y)) for y in range(height)], panel.id
        assert partial >= 3


async def test_a_step_onto_another_layer_scrolls_its_panel_into_view_without_repainting_the_screen():
    """shapes at 120×40: the panels' column is taller than the screen, and a step onto another layer
    scrolls it. Textual forgot where the widgets on screen were when it looked a panel out of view
    up, and the frame after the scroll repainted the whole screen (status, equation, footer and all);
    now a step's frames repaint only what changed or moved, and the step's panel is in view."""
    from textual._compositor import Compositor

    from bptui.tui.sheet import LayerPanels

    app = app_for("shapes")
    full = 0
    original = Compositor.render_full_update

    def counted(self, *args, **kwargs):
        nonlocal full
        full += 1
        return original(self, *args, **kwargs)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        column = app.main.query_one(LayerPanels)
        layers, scrolls = set(), 0
        Compositor.render_full_update = counted  # type: ignore[method-assign]
        try:
            for _ in range(24):  # forward, loss and backward through all four panels, twice
                y = column.scroll_y
                full = 0
                await pilot.press("n")
                await pilot.pause()
                assert full == 0, f"a full repaint at {app.stepper.last.key}"
                layer = app.stepper.last.key.layer
                if layer is not None:
                    panel = app.main.query_one(f"#layer-{layer}")
                    assert column.region.contains_region(panel.region), (layer, panel.region, column.region)
                    layers.add(layer)
                scrolls += column.scroll_y != y
        finally:
            Compositor.render_full_update = original  # type: ignore[method-assign]
    assert scrolls >= 4 and layers == {1, 2, 3}  # the column did scroll, to every layer


async def test_a_step_that_lengthens_an_overflowing_panels_lines_lays_nothing_out():
    """count_tokens at 120×40: the attention panel is taller than its room (it scrolls), and the step
    that computes the scores writes its rows (it widened and lengthened its lines before the cells' width
    was chosen for the whole example at its first step: its lines' extent stays now). The panel's box
    stays as it was, so the step lays nothing out (a layout of the screen drew all of it again: 13–19 ms
    of the press), and a layout forced after it changes nothing on screen."""
    from textual._compositor import Compositor

    def screen_text() -> list[str]:
        return [strip.text for strip in Compositor.render_strips(app.screen._compositor)]

    app = app_for("count_tokens")
    layouts = 0
    original = Screen._refresh_layout

    def counted(self, size=None, scroll=False):
        nonlocal layouts
        layouts += not scroll
        return original(self, size, scroll)

    async with app.run_test(size=(120, 40)) as pilot:
        while app.stepper.next_key.quantity != "scores":
            await pilot.press("n")
        await pilot.pause()
        panel = app.main.query_one("#layer-1")
        extent = panel.virtual_size
        assert panel.show_vertical_scrollbar and panel.virtual_size.height > panel.container_size.height
        Screen._refresh_layout = counted  # type: ignore[method-assign]
        try:
            await pilot.press("n")
            await pilot.pause()
        finally:
            Screen._refresh_layout = original  # type: ignore[method-assign]
        assert app.stepper.last.key.quantity == "scores" and panel.virtual_size == extent
        assert layouts == 0
        shown = screen_text()
        app.screen.refresh(layout=True)
        await pilot.pause()
        await pilot.pause()
        assert screen_text() == shown


async def test_a_sequence_panels_lines_are_as_wide_as_its_cells_were_widened_for():
    """A sequence panel widens its cells while its widest line fits (``SeqSheet._line_shapes``): a row
    of W⁽ˡ⁾ alone (G⁽ˡ⁾ under it) was four columns wider than planned, its trailing gap, so parity at
    120×40 went on widening the cells (no scrollbar, 116 columns), overflowing (scrollbars, 115) and
    narrowing them again: 25 frames and 490 ms of CPU for one backward step."""
    from bptui.tui.seq_sheet import SeqSheet

    for name in ("parity", "gru_parity", "long_memory", "stacked_parity"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(8):
                await pilot.press("n")
            await pilot.pause()
            panels = list(app.main.query(SeqSheet))
            assert panels, name
            for panel in panels:
                # the plan is the cells' (an optimizer's state placed beside W's rows or the grid's is not in it:
                # it stands there only when the lines so widened still fit the panel's room, ``_states_beside``)
                planned = max(fixed + cells * panel.cw for fixed, cells in panel._line_shapes(panel.cw))
                if panel.beside or panel.beside_grid:
                    planned = max(planned, panel._avail)
                widest = max(sum(len(text) for text, _, _ in line) for line in panel.lines)
                assert widest <= planned, f"{name} {panel.id}: a line of {widest} columns, planned {planned}"


@pytest.mark.parametrize("name, notation, updated", [("deep_residual", None, [1, 3, 4, 6, 7, 8]),
                                                     ("moons_layernorm", "ng", [1, 2, 4])])
async def test_an_update_that_scrolls_the_column_lays_out_only_the_widgets_on_screen(name, notation, updated):
    """deep_residual at 120×40 with the map open: each update press writes another layer's W, and the
    panels' column scrolls to it. That scroll is laid out over the widgets on screen only, once a press:
    the compositor's map of every widget is not built again (Textual built it two or three times a press,
    2.4 M instructions each: a panel out of view repainted by the step, its width and a ``Fits`` widget's
    size looked up after the scroll, and the column's scrollbar of no width repainted at each scroll), no
    frame repaints the whole screen, and the screen the frames paint is the screen drawn afresh. The same
    in a notation profile's panels (moons_layernorm in ng: a profile's panel read its width from
    Textual's ``scrollable_content_region``, which looks the panel up in that map)."""
    from textual._compositor import Compositor

    from bptui.core.formulas.profiles import PROFILES

    from .test_keypress_diagram import painted

    app = app_for(name) if notation is None else BptuiApp(app_for(name).spec, PROFILES[notation])
    arranged = {True: 0, False: 0}
    original = Compositor._arrange_root

    def counted(self, parent, size, visible_only=True):
        arranged[visible_only] += 1
        return original(self, parent, size, visible_only)

    def drawn_afresh() -> dict:
        return {(x, y): (char, seg.style) for y, strip in enumerate(Compositor.render_strips(compositor))
                for x, (char, seg) in enumerate((c, seg) for seg in strip for c in seg.text)}

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()

        def before_the_update() -> None:
            while app.stepper.next_key.phase != "update":
                app.stepper.forward()

        app.main._move(before_the_update)
        await pilot.pause()
        compositor = app.main._compositor
        screen = drawn_afresh()
        frames: list = []
        partial = compositor.render_partial_update

        def kept() -> object:
            update = partial()
            if update is not None:
                frames.append(update)
            return update

        compositor.render_partial_update = kept  # type: ignore[method-assign]
        full = compositor.render_full_update
        compositor.render_full_update = lambda: frames.append(None) or full()  # type: ignore[method-assign]
        Compositor._arrange_root = counted  # type: ignore[method-assign]
        column = app.main.query_one("#layers")
        layers, scrolls = [], 0
        try:
            while app.stepper.next_key.phase == "update":
                arranged.update({True: 0, False: 0})
                y = column.scroll_y
                await pilot.press("n")
                await pilot.pause()
                layers.append(app.stepper.last.key.layer)
                scrolled = column.scroll_y != y
                scrolls += scrolled
                assert arranged == {True: int(scrolled), False: 0}, (layers[-1], arranged)
                assert None not in frames, f"a full repaint at layer {layers[-1]}"
                for update in frames:
                    screen.update(painted(update))
                frames.clear()
                assert screen == drawn_afresh(), layers[-1]
        finally:
            Compositor._arrange_root = original  # type: ignore[method-assign]
    assert layers == updated and scrolls >= len(updated) - 2


def test_a_fitting_widget_off_its_screen_has_textuals_size():
    """``Fits`` reads a widget's size from its screen's compositor (``SteadyCompositor.content_size``); a widget
    on no screen has Textual's size for it, none."""
    from textual.geometry import Size
    from textual.widget import Widget

    from bptui.tui.fitting import Fits

    class Fitted(Fits, Widget):
        pass

    widget = Fitted()
    assert widget._size_now() == widget.size == Size(0, 0)

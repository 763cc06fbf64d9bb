"""What a keypress keeps from the last one (issue 24, item 5) is never seen stale: a panel's number
texts follow the digits, a line's styles with their places are Textual's, a map's kept lines follow the weights (a step, an edit, a reset, a resize), a
panel whose title names the step draws its border's lines again and not the whole panel, and a sequence
panel is built again only when its own board changed. Each check compares what the widgets keep for
the screen with what they draw afresh."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from bptui.tui import panel_base
from bptui.tui.panel_base import NumberSheet, with_offsets
from bptui.tui.plots import DecisionMap
from bptui.tui.seq_sheet import SeqSheet
from bptui.tui.sheet import HEADER_LINES, LayerSheet
from bptui.tui.stepping import TextLine
from bptui.tui.view import cell, number_format

from .test_edit_tui import edit_first_weight
from .tui_helpers import app_for


STYLES = [None, Style(), Style(bold=True), Style(color="red"), Style(color="red", bgcolor="blue", italic=True)]


def _drawn(strips) -> list[list[tuple[str, object]]]:
    return [[(seg.text, seg.style) for seg in strip if seg.text] for strip in strips]


def on_screen(widget) -> list:
    """The widget's lines as the screen has them: the lines Textual keeps, drawn again only where a
    refresh marked them (border and padding included)."""
    width, height = widget.outer_size
    return _drawn(widget.render_lines(Region(0, 0, width, height)))


def afresh(widget) -> list:
    """The widget's lines drawn from nothing: every cache of the widget's and Textual's dropped."""
    widget._styles_cache.clear()
    if isinstance(widget, DecisionMap):
        widget._strips, widget._rows = None, {}
    elif hasattr(widget, "_strips"):
        widget._strips.clear()
    if isinstance(widget, LayerSheet):
        widget._drawn.clear()
        widget._made = None
        widget._kept.clear()
    if isinstance(widget, TextLine):  # its kept rows dropped; the rows as Textual's Static draws the whole text
        widget._rows, widget._kept = None, (0, None, {})
        widget._render_content()
        rows = widget._render_cache.lines
        assert _drawn(rows) == _drawn(widget.render_line(y) for y in range(len(rows))), widget.id
    width, height = widget.outer_size
    return _drawn(widget.render_lines(Region(0, 0, width, height)))


def tokens(panel: NumberSheet) -> set[str]:
    text = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
    return {word.strip("[]•") for word in text.split()}


async def test_a_panels_numbers_follow_the_digits_and_its_weights():
    """xor: every weight of W⁽¹⁾ shows in the panel as the core's cell writes it at the digits on screen,
    after + and −, an edit and r (the texts a panel remembers are by value, at its digits)."""
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n")
        panel = app.main.query_one("#layer-1", LayerSheet)

        def check(what: str) -> None:
            digits, W = app.main.digits, app.stepper.state.W[1]
            fmt = number_format(W, digits)
            missing = {cell(float(x), digits, fmt) for x in W.ravel()} - tokens(panel)
            assert not missing, (what, digits, missing)

        for key in ("+", "+", "-", "-", "-", "-"):
            await pilot.press(key)
            await pilot.pause()
            check(key)
        await edit_first_weight(pilot, app, "0.3")
        await pilot.press("escape")
        await pilot.pause()
        assert app.stepper.state.W[1][0, 0] == 0.3
        check("an edit")
        await pilot.press("r")
        await pilot.pause()
        check("r")
        assert panel._texts  # (the texts were remembered meanwhile)


async def test_a_layer_panel_draws_again_only_its_changed_lines_and_never_shows_a_stale_one():
    """classifier and moons: at every kind of step (an update included), after + and −, an edit, r, a
    Tab and a resize, each layer panel shows on screen what it draws afresh; and some steps draw
    fewer lines of a panel than it shows (the lines a step did not change are kept)."""
    for name in ("classifier", "moons"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            panels = list(app.main.query(LayerSheet))
            drawn: dict[str, set[int]] = {}
            for panel in panels:
                render_line = panel.render_line
                panel.render_line = (lambda y, p=panel, f=render_line:  # type: ignore[method-assign]
                                     (drawn.setdefault(p.id, set()).add(y), f(y))[1])

            def check(what: object) -> None:
                for panel in panels:
                    assert on_screen(panel) == afresh(panel), (name, panel.id, what)

            kept = 0  # panels a step redrew in part
            for move in [app.main.action_next] * 12 + [app.main.action_to_update] + [app.main.action_next] * 3:
                drawn.clear()
                move()
                await pilot.pause()
                for panel in panels:
                    kept += 0 < len(drawn.get(panel.id, ())) < panel.scrollable_content_region.height
                check(app.stepper.last.key)
            assert app.stepper.last.key.phase == "forward" and kept, name
            for key in ("+", "-", "-"):
                await pilot.press(key)
                await pilot.pause()
                check(key)
            await edit_first_weight(pilot, app, "0.3")
            check("an edit")
            await pilot.press("escape", "n", "n")
            await pilot.pause()
            check("n after an edit")
            await pilot.press("r")
            await pilot.pause()
            check("r")
            await pilot.press("tab", "down", "right")
            await pilot.pause()
            check("the cursor")
            await pilot.resize_terminal(90, 30)
            await pilot.pause()
            app.main.action_to_update()
            await pilot.pause()
            check("a resize")


async def test_a_layer_panels_weights_show_the_new_values_at_their_places_after_every_update():
    """moons (momentum) and 784-128-10 (a W wider than the panel): the lines a step found changed are drawn
    from the segments made to compare them (``LayerSheet._made_segments``), never from stale ones: after
    each update (and the forward steps after it, an edit, + and −), every weight in view shows, at its
    row and column, the core's cell of the new W at the digits on screen."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from _common import big_spec

    from bptui.tui.app import BptuiApp

    for app in (app_for("moons"), BptuiApp(big_spec((784, 128, 10), n=20))):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            panels = list(app.main.query(LayerSheet))

            def check(what: object) -> None:
                digits = app.main.digits
                for panel in panels:
                    W, v = app.stepper.state.W[panel.view.layer], panel.view
                    fmt = number_format(W, digits)
                    assert v.W is W
                    for r in range(W.shape[0]):
                        y = panel._row_y(r + (1 if v.hidden else 0)) - panel.scroll_offset.y
                        if not 0 <= y < panel.scrollable_content_region.height or y < HEADER_LINES:
                            continue
                        words = panel.render_line(y).text.replace("│", " ").split()[1:1 + panel.ncols]
                        shown = [word.strip("[]•") for word in words]
                        assert shown == [cell(float(x), digits, fmt) for x in W[r, :panel.ncols]], (what, panel.id, r)

            updates = 0
            for _ in range(3):
                app.main.action_to_update()
                await pilot.pause()
                updates += 1
                check(("update", updates))
                for _ in range(len(panels)):  # the update of each layer, then forward steps
                    app.main.action_next()
                    await pilot.pause()
                    check(app.stepper.last.key)
            for key in ("+", "-"):
                await pilot.press(key)
                await pilot.pause()
                check(key)
            await edit_first_weight(pilot, app, "0.3")
            await pilot.press("escape")
            await pilot.pause()
            check("an edit")
            # segments made to compare a line, then the quiz's cell or the cursor set before the line is
            # drawn: the line is made again (what it was made from changed), never drawn from them
            app.main.action_to_update()
            panel = panels[0]
            assert panel._made is not None and panel._made[3], "the step's changed lines were made to compare"
            row = next(row for row in panel._made[3] if HEADER_LINES <= row - panel.lead < panel._row_y(panel.rows - 1)
                       and panel.cell_at(row - HEADER_LINES - panel.lead, 0) is not None)
            panel.hidden = panel.cell_at(row - HEADER_LINES - panel.lead, 0)
            assert panel.hidden[0] == "W"
            assert panel.render_line(row - panel.scroll_offset.y).text.split()[1] == "?"
            panel.hidden = None
            assert on_screen(panel) == afresh(panel)


async def test_a_panel_the_column_scrolls_into_view_keeps_scrollbars_for_its_lines():
    """count_tokens and shapes: the update steps scroll the panels' column from layer to layer in one frame
    (no second frame for the scrollbars, ``NumberSheet._size_updated``); each panel's scrollbars show, at
    every step, its lines' extent, its room and its offset, as Textual sets them for the panel afresh."""
    for name in ("count_tokens", "shapes"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            frames = 0
            display = app._display

            def counted(screen, renderable) -> None:
                nonlocal frames
                frames += renderable is not None
                display(screen, renderable)

            app._display = counted  # type: ignore[method-assign]
            scrolled = updates = 0
            for _ in range(2):  # two groups' updates, layer by layer
                def to_update() -> None:  # to just before the group's first update
                    while app.stepper.next_key.phase != "update":
                        app.stepper.forward()

                app.main._move(to_update)
                await pilot.pause()
                while True:
                    for panel in app.main.query(NumberSheet):
                        height, width = panel.container_size.height, panel.container_size.width
                        if panel.show_vertical_scrollbar:
                            bar = panel.vertical_scrollbar
                            assert (bar.window_virtual_size, bar.window_size, round(bar.position)) == (
                                panel.virtual_size.height, height - panel.scrollbar_size_horizontal,
                                round(panel.scroll_offset.y)), (name, panel.id)
                        if panel.show_horizontal_scrollbar:
                            bar = panel.horizontal_scrollbar
                            assert (bar.window_virtual_size, bar.window_size, round(bar.position)) == (
                                panel.virtual_size.width, width - panel.scrollbar_size_vertical,
                                round(panel.scroll_offset.x)), (name, panel.id)
                    if app.stepper.next_key.phase != "update":
                        break
                    top = app.main.query_one("#layers").scroll_offset.y
                    frames = 0
                    app.main.action_next()
                    await pilot.pause()
                    updates += 1
                    scrolled += app.main.query_one("#layers").scroll_offset.y != top
                    assert frames <= 1, (name, app.stepper.last.key)  # the scroll and the step in one frame
            assert scrolled and updates >= 2, name


async def test_a_map_panels_kept_rows_are_the_rows_it_would_make_afresh(monkeypatch):
    """shapes (a convolution, a pooling layer): a map panel keeps each row of its maps while the arrays
    and the look it is drawn from are the same (``MapSheet._build``), and restyles it (``panel_base.restyled``)
    when only its look does (an update dims the maps, the ▶ leaves them); at every kind of step, after + and
    − and with the quiz's cell hidden, its lines are the lines it makes with nothing kept, and the screen
    shows what the panel draws afresh."""
    from bptui.tui import map_sheet
    from bptui.tui.map_sheet import MapSheet

    restyles = counting_restyles(monkeypatch, map_sheet)

    app = app_for("shapes")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = [p for p in app.main.query(MapSheet)]
        reused = 0

        def check(what: object) -> None:
            nonlocal reused
            for panel in panels:
                kept = [list(line) for line in panel.lines]
                before = {id(hit[2]) for hit in panel._map_rows.values()}
                reused += sum(id(line) in before for line in panel.lines)
                panel._map_rows = {}
                panel._build(panel._produced)
                assert [list(line) for line in panel.lines] == kept, (panel.id, what)
                assert on_screen(panel) == afresh(panel), (panel.id, what)

        for move in [app.main.action_next] * 30 + [app.main.action_to_update] + [app.main.action_next] * 3:
            move()
            await pilot.pause()
            check(app.stepper.last.key)
        for key in ("+", "-", "-"):
            await pilot.press(key)
            await pilot.pause()
            check(key)
        panel = panels[1]
        cell = next(key for _, _, key in panel.cells if key[0] == "o")
        panel.show(panel.digits, cell, set())
        assert any(text.strip() == "?" and key == cell for line in panel.lines for text, _, key in line)
        check("the quiz's cell")
        assert reused, "rows were kept from step to step"
        assert restyles[0], "the rows an update dims were restyled"


def counting_restyles(monkeypatch, module) -> list[int]:
    """Count the kept lines ``module`` restyles (``panel_base.restyled`` giving a line of new styles)."""
    count = [0]
    real = panel_base.restyled

    def counted(line, *args, **kwargs):
        out = real(line, *args, **kwargs)
        count[0] += out is not line
        return out

    monkeypatch.setattr(module, "restyled", counted)
    return count


async def test_a_sequence_panels_restyled_rows_are_the_rows_it_would_make_afresh(monkeypatch):
    """count_tokens: a sequence panel keeps W⁽ˡ⁾'s rows when the step after its update takes the ▶ off
    them, restyled (``panel_base.restyled``) rather than made again cell by cell; at every step over two
    updates (and after + and −) its lines are the lines it builds with nothing kept, and the screen shows
    what the panel draws afresh."""
    from bptui.tui import seq_sheet

    restyles = counting_restyles(monkeypatch, seq_sheet)
    app = app_for("count_tokens")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))

        def check(what: object) -> None:
            for panel in panels:
                kept = [list(line) for line in panel.lines]
                panel._lines_kept, panel._cells_kept = {}, {}
                panel._build(panel._produced)
                assert [list(line) for line in panel.lines] == kept, (panel.id, what)
                assert on_screen(panel) == afresh(panel), (panel.id, what)

        moves = [app.main.action_to_update] + [app.main.action_next] * 5 + [app.main.action_to_update] + \
            [app.main.action_next] * 5
        for move in moves:
            move()
            await pilot.pause()
            check(app.stepper.last.key)
        for key in ("+", "-"):
            await pilot.press(key)
            await pilot.pause()
            check(key)
        assert restyles[0], "the rows the ▶ left were restyled"


async def test_a_dense_panels_kept_and_restyled_rows_are_the_rows_it_would_make_afresh(monkeypatch):
    """moons_layernorm (Adam: m and v under W, a layer norm's panel) and moons (momentum): a dense panel
    keeps each line of cells while the arrays it reads are the same (``LayerSheet._line``), and restyles it
    (``panel_base.restyled``) when only its look changes (an update dims s, o and δ; the ▶ leaves a
    quantity); at every step over two updates, after + and −, with the cursor on a cell, after a resize
    and a notation changed and back, every line is the line made with nothing kept, and the screen shows
    what the panel draws afresh."""
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui import sheet

    restyles = counting_restyles(monkeypatch, sheet)
    for name in ("moons_layernorm", "moons"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            kept_lines = 0

            def check(what: object) -> None:
                nonlocal kept_lines
                for panel in app.main.query(LayerSheet):
                    before = {id(hit[2]) for hit in panel._kept.values()}
                    lines = [panel._line(row) for row in range(panel.virtual_size.height)]
                    kept_lines += sum(id(line) in before for line in lines if line)
                    fresh = [panel._runs(row) for row in range(panel.virtual_size.height)]
                    assert lines == fresh, (name, panel.id, what)
                    assert on_screen(panel) == afresh(panel), (name, panel.id, what)

            def to_the_update() -> None:  # the last step before an update (its first press dims s, o and δ)
                app.main.action_to_update()
                while app.stepper.last.key.phase == "update":
                    app.main.action_prev()

            for move in [to_the_update] + [app.main.action_next] * 6 + [to_the_update] + [app.main.action_next] * 4:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            for key in ("+", "-", "-", "+"):
                await pilot.press(key)
                await pilot.pause()
                check(key)
            await pilot.press("tab", "down", "right")
            await pilot.pause()
            app.main.action_to_update()
            await pilot.pause()
            check("the cursor on a cell, an update")
            await pilot.press("escape")
            await pilot.resize_terminal(100, 34)
            await pilot.pause()
            for move in [app.main.action_next, app.main.action_to_update, app.main.action_next]:
                move()
                await pilot.pause()
                check(("a resize", app.stepper.last.key))
            for notation in ("ng", "lecture13"):  # (the settings dialog's result: the notation alone changed)
                app.main.settings_applied(SimpleNamespace(changes=()), PROFILES[notation])
                await pilot.pause()
                await pilot.pause()
            assert app.stepper.notation.name == "lecture13" and app.main.query(LayerSheet)
            for move in [app.main.action_next, app.main.action_to_update, app.main.action_next]:
                move()
                await pilot.pause()
                check(("a notation changed and back", app.stepper.last.key))
            assert kept_lines, (name, "lines were kept from step to step")
    assert restyles[0], "the lines an update dims or the ▶ left were restyled"


async def test_the_status_line_draws_again_only_its_changed_lines():
    """classifier and gru_parity: at every kind of step, after + and − and a resize, the status and the
    equation show on screen what they draw afresh, and the status's first line (the network's name)
    is not drawn again by a step."""
    for name in ("classifier", "gru_parity"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            status, equation = app.main.query_one("#status", TextLine), app.main.query_one("#equation", TextLine)
            drawn: set[int] = set()
            render_line = status.render_line
            status.render_line = lambda y: (drawn.add(y), render_line(y))[1]  # type: ignore[method-assign]

            def check(what: object) -> None:
                for line in (status, equation):
                    assert on_screen(line) == afresh(line), (name, line.id, what)

            partly = 0  # steps that drew the status's lines but its first
            moves = [app.main.action_next] * 12 + [app.main.action_to_update] + [app.main.action_next] * 3
            for move in moves:
                drawn.clear()
                move()
                await pilot.pause()
                partly += bool(drawn) and 0 not in drawn
                check(app.stepper.last.key)
            assert partly >= len(moves) // 2, (name, partly)  # (a longer status wraps: drawn whole)
            for key in ("+", "-"):
                await pilot.press(key)
                await pilot.pause()
                check(key)
            await pilot.resize_terminal(70, 30)  # the status's lines wrap
            await pilot.pause()
            for _ in range(3):
                app.main.action_next()
                await pilot.pause()
                check(("70 columns", app.stepper.last.key))


async def test_a_panels_remembered_texts_start_again_past_their_bound():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.main.query_one("#layer-1", LayerSheet)
        panel.TEXTS_KEPT = 8
        values = np.linspace(-1, 1, 30)
        assert [panel.number_text(float(x)) for x in values] == [cell(float(x), panel.digits) for x in values]
        assert len(panel._texts) <= 8


async def test_a_map_beside_the_panels_follows_the_weights_line_for_line():
    """moons and classifier with m: after update steps, an edit, r and a resize, every line the
    decision map keeps on screen is the line it draws afresh (colours included), and an update step
    draws again only the lines it changed."""
    for name in ("moons", "classifier"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("m")
            await pilot.pause()
            dm = app.main.query_one(DecisionMap)
            assert on_screen(dm) == afresh(dm)
            redrawn: list[Region] = []
            refresh = dm.refresh
            dm.refresh = lambda *regions, **kw: (redrawn.extend(regions or [Region(0, 0, 10**6, 10**6)]),  # type: ignore[method-assign]
                                                 refresh(*regions, **kw))[1]
            for _ in range(3):
                before = afresh(dm)
                redrawn.clear()
                app.main.action_to_update()
                await pilot.pause()
                shown, again = on_screen(dm), afresh(dm)
                assert shown == again, name
                offset = dm.content_offset.y  # (content lines are below the border)
                changed = {y for y, (a, b) in enumerate(zip(before, again)) if a != b} - {0, len(again) - 1}
                assert changed, name  # an update moves the map
                rows = {offset + y for r in redrawn for y in range(r.y, r.y + r.height)}
                assert changed <= rows, (name, sorted(changed - rows))
            dm.refresh = refresh  # type: ignore[method-assign]
            await edit_first_weight(pilot, app, "3")
            await pilot.press("escape")
            await pilot.pause()
            assert on_screen(dm) == afresh(dm), (name, "an edit")
            app.main.action_to_update()
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            assert on_screen(dm) == afresh(dm), (name, "r")
            await pilot.resize_terminal(150, 45)
            await pilot.pause()
            app.main.action_to_update()
            await pilot.pause()
            assert on_screen(dm) == afresh(dm), (name, "a resize")


async def test_the_maps_training_points_are_black_as_textuals_filter_draws_it():
    """moons with m, over updates and a resize: a training point's style is the one Textual's ANSI-to-truecolor
    filter makes of black, bold, on its place's colour (the filter's theme's black, set when the map is built,
    so that its lines pass the app's filter as they are), every line of the map is one the filter leaves as
    it is, and each line drawn to the map's width is the line the map draws afresh."""
    from textual.filter import ANSIToTruecolor

    app = app_for("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        dm = app.main.query_one(DecisionMap)
        to_truecolor = next(f for f in app._filters if isinstance(f, ANSIToTruecolor))
        background = dm.background_colors[1]

        def check(what: object) -> None:
            points = 0
            for y in range(dm.content_region.height):
                strip = dm.render_line(y)
                assert strip.cell_length == dm.content_region.width, (what, y)
                for text, style, _ in strip:
                    if style is not None and style.bold and text[:1] in "○●":
                        black = Style(color="black", bgcolor=style.bgcolor, bold=True)
                        assert style == to_truecolor.truecolor_style(black, background.rich_color), (what, y)
                        points += 1
                assert list(to_truecolor.apply(list(strip), background)) == list(strip), (what, y)
            assert points, what
            assert on_screen(dm) == afresh(dm), what

        check("m")
        for _ in range(2):
            app.main.action_to_update()
            await pilot.pause()
            check(app.stepper.last.key)
        await pilot.resize_terminal(150, 45)
        await pilot.pause()
        app.main.action_to_update()
        await pilot.pause()
        check("a resize")


async def test_a_sequence_panel_names_the_time_step_in_its_border_and_draws_only_what_changed():
    """long_memory_lstm and count_tokens: at every step of an example, each sequence panel shows on
    screen what it draws afresh (its border's title included: "now τ = 2"), a new title does not draw
    the whole panel again (only its border's lines and the lines the step changed), and a panel whose
    board the step did not touch is not built again (unless the screen's sequence panels' one cell width
    changed: a number of e−5 in another panel widens them all, tui/seq_sheet.py's CellGroup). A new title
    is looked at where the view stays (parity's panels at 120×40): long_memory_lstm's layer 1 scrolls at
    each τ's first step to the rows it writes, which draws its view again."""
    for name, steps in (("long_memory_lstm", 30), ("parity", 12), ("count_tokens", 24)):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            panels = list(app.main.query(SeqSheet))
            built: dict[str, int] = {}
            for panel in panels:
                build = panel._build
                panel._build = (lambda produced, p=panel, f=build:  # type: ignore[method-assign]
                                (built.__setitem__(p.id, built.get(p.id, 0) + 1), f(produced))[1])
            drawn: dict[str, set[int]] = {}
            for panel in panels:
                render_line = panel.render_line
                panel.render_line = (lambda y, p=panel, f=render_line:  # type: ignore[method-assign]
                                     (drawn.setdefault(p.id, set()).add(y), f(y))[1])
            titled = 0  # steps that changed a panel's title, its view not moved, and drew fewer than its lines on screen
            for _ in range(steps):
                before = {p.id: (p.border_title, list(p.lines), p._board, p.cw) for p in panels}
                views = {p.id: p.scroll_offset for p in panels}
                built.clear()
                drawn.clear()
                app.main.action_next()
                await pilot.pause()
                frame = {key: set(rows) for key, rows in drawn.items()}
                for panel in panels:
                    title, lines, board, cw = before[panel.id]
                    if panel._board == board and panel.cw == cw:  # its board and cells untouched: not built again
                        assert panel.id not in built, (name, panel.id, app.stepper.last.key)
                    assert on_screen(panel) == afresh(panel), (name, panel.id, app.stepper.last.key)
                    titled += panel.border_title != title and panel.scroll_offset == views[panel.id] and \
                        len(frame.get(panel.id, ())) < panel.scrollable_content_region.height
            now = re.search(r"now τ = (\d+)", panels[0].border_title or "")
            assert now is not None, (name, panels[0].border_title)
            assert titled or name != "parity", name  # (an attention layer's title names no τ)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.text("ab─│▶ ", min_size=1, max_size=5), st.sampled_from(STYLES)), max_size=12),
       st.integers(0, 200), st.integers(0, 200))
def test_a_line_with_its_places_is_textuals_line_with_its_places(runs, x, y):
    """with_offsets keeps the combined styles of every widget's lines: each line it gives is Textual's
    apply_offsets's, segment for segment, whatever it combined before (and after it starts again)."""
    strip = Strip([Segment(text, style) for text, style in runs])
    assert list(with_offsets(strip, x, y)) == list(strip.apply_offsets(x, y))
    assert len(panel_base._OFFSET_STYLES) <= panel_base.OFFSET_STYLES_KEPT



@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STYLES + [Style(link="https://example.org"), Style.from_meta({"@click": "app.bell()"}),
                                 Style(color="red") + Style.from_meta({"offset": (1, 2)}), Style(bold=False, dim=True),
                                 Style(color="#102030", bgcolor="grey50", underline=True, strike=False)]),
       st.integers(0, 400), st.integers(0, 400))
def test_a_style_placed_in_one_step_is_the_style_and_its_place_combined(style, x, y):
    """``offset_style`` (a place's style made without rich's sum, for a style without meta) is
    ``style + Style.from_meta({"offset": (x, y)})``: equal, with the same colours, attributes, link,
    meta and null flag, for plain, set-and-unset, linked, meta-carrying and null styles, and none;
    and a line placed through it is Textual's ``apply_offsets``'s, segment for segment."""
    meta = Style.from_meta({"offset": (x, y)})
    want = style + meta if style else meta
    got = panel_base.offset_style(style, x, y)
    assert got == want
    assert (got.color, got.bgcolor, got.bold, got.dim, got.italic, got.underline, got.reverse, got.strike,
            got.link, got.meta, got._null, got._set_attributes, got._attributes) == \
        (want.color, want.bgcolor, want.bold, want.dim, want.italic, want.underline, want.reverse, want.strike,
         want.link, want.meta, want._null, want._set_attributes, want._attributes)
    strip = Strip([Segment("ab", style), Segment("−0.5", style), Segment(" ", None)])
    assert list(with_offsets(strip, x, y)) == list(strip.apply_offsets(x, y))

NAMES = ["base", "dim", "pos", "neg", "header", "pos+"]
PALETTE = {name: Style(color=color) for name, color in zip(NAMES, ["white", "grey50", "green", "red", "blue", "yellow"])}
LABELS = [" │", "    ", "b=1   ", "  ? ", "·", "τ=3", "▶ W⁽¹⁾", " ", "+3…", "x a=1  "]
NUMBERS = ["0.5", "−0.1227", "1.0e−5•", "12", "∞"]
RUN = st.one_of(  # a label, or a cell: a number with a blank before it and its own after (as a panel's lines hold them)
    st.tuples(st.sampled_from(LABELS), st.sampled_from(NAMES), st.none()),
    st.tuples(st.builds(lambda n, pad: n.rjust(len(n) + 1 + pad) + " ", st.sampled_from(NUMBERS), st.integers(0, 3)),
              st.sampled_from(NAMES), st.integers(0, 2)))


@settings(max_examples=300, deadline=None)
@given(st.lists(RUN, max_size=16), st.integers(0, 60), st.integers(1, 50), st.integers(0, 8),
       st.sampled_from([None, 1, 2]))
def test_a_map_panels_line_cut_to_its_view_is_the_whole_line_cut(runs, scroll_x, view, extra, here):
    """A map or sequence panel draws only the runs of a line its view shows (``MapSheet._draw``): the
    strip is the one the whole line's segments give, cut by ``marked_edges`` (a number cut at an edge
    shown as ``…``, a ``…`` where the line goes on), with the cursor's and the field's cells, for any
    window."""
    from bptui.tui.map_sheet import MapSheet
    from bptui.tui.panel_base import marked_edges

    lines = [[(text, name, None if key is None else ("W", 1, key, 0)) for text, name, key in runs]]
    here_key = None if here is None else ("W", 1, here, 0)
    field = {("W", 1, 2, 0)}
    style = dict(PALETTE, cursor=Style(reverse=True), field=Style(underline=True))
    sheet = type("Sheet", (), {"lines": lines, "field": field})()
    width = view + extra
    got = MapSheet._draw(sheet, 0, scroll_x, view, width, here_key, style)
    segs = []
    for text, name, key in lines[0]:  # every run of the line, as the panel drew them before
        if key is not None and key == here_key:
            segs.append(Segment(f"[{text.strip()}]".rjust(len(text)), style["cursor"]))
        elif key is not None and key in field:
            segs.append(Segment(("›" + text.strip()).rjust(len(text) - 1) + " ", style["field"]))
        else:
            segs.append(Segment(text, style.get(name, style["base"])))
    whole = marked_edges(segs, scroll_x, scroll_x + view, style["base"], style["dim"])
    if view < width:
        whole = whole.extend_cell_length(width, style["base"])
    assert list(got) == list(with_offsets(whole, scroll_x, 0))
    assert got.cell_length == width


FILTER_STYLES = STYLES + [Style(color="#ff8800"), Style(color="#102030", bgcolor="#ffffff", bold=True),
                          Style(color="#ff8800", dim=True), Style(dim=True), Style(bgcolor="green"),
                          Style(color="color(200)"), Style(color="#ff8800") + Style.from_meta({"offset": (3, 4)})]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text("ab─ ", min_size=1, max_size=4), st.sampled_from(FILTER_STYLES),
                          st.sampled_from([None, None, None, [(1,)]])), max_size=10),
       st.sampled_from(["#000000", "#1e1e1e", "#ffffff"]))
def test_the_apps_truecolor_filter_gives_textuals_lines(runs, background):
    """The app's ANSI-to-truecolor filter (filters.TruecolorLines) returns a line whose styles Textual's
    filter keeps as it is, and any other line as Textual's filter gives it: segment for segment
    the same, for system colours, truecolour, dim, colours behind, a place's meta and control codes."""
    from textual.color import Color
    from textual.filter import ANSIToTruecolor
    from rich.terminal_theme import MONOKAI

    from bptui.tui.filters import TruecolorLines

    textual = ANSIToTruecolor(MONOKAI)
    ours = TruecolorLines(textual)
    segments = [Segment(text, style, control) for text, style, control in runs]
    color = Color.parse(background)
    assert ours.apply(segments, color) == textual.apply(segments, color)
    assert ours.apply(segments, color) == textual.apply(segments, color)  # (the styles' verdicts kept)


async def test_the_equation_line_shows_what_the_whole_equation_would_show():
    """iris (adam: an update is three equations of thousands of characters) and xor: at every kind of
    step the equation line prints only what it shows, and shows what the whole text cut to three lines
    shows; x shows the whole text."""
    from bptui.core.engine.equations import step_equation

    for name in ("iris", "xor"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            line = app.main.query_one("#equation")
            kinds = set()
            for _ in range(2 * len(app.stepper.schedule) // 3 if name == "xor" else 40):
                app.main.action_next()
                await pilot.pause()
                last = app.stepper.last
                kinds.add(last.key.phase)
                whole = step_equation(app.stepper, last, app.main.digits)
                shown = str(line.render())
                assert whole.startswith(shown.removesuffix(" … (x: the whole equation)")), (name, last.key)
                if shown.endswith("(x: the whole equation)"):
                    app.main._show_equation(whole)  # what the line showed when it printed the whole text
                    assert str(line.render()) == shown, (name, last.key)
                else:
                    assert shown == whole, (name, last.key)
            app.main.action_to_update()
            await pilot.press("x")
            await pilot.pause()
            assert str(line.render()) == step_equation(app.stepper, app.stepper.last, app.main.digits)
            assert {"forward", "loss", "backward"} <= kinds, kinds


def test_an_equation_printed_to_a_limit_is_the_whole_equations_beginning():
    from bptui.core.engine.equations import step_equation
    from bptui.core.formats.spec import load
    from bptui.core.engine.stepper import Stepper

    from .conftest import NETWORKS

    for name in ("iris", "gru_parity", "moons", "count_tokens"):
        stepper = Stepper(load(NETWORKS / f"{name}.json"))
        for _ in range(300):
            if stepper.next_key is None:
                break
            step = stepper.forward()
            whole = step_equation(stepper, step, 4)
            for limit in (1, 100, 500):
                cut = step_equation(stepper, step, 4, limit=limit)
                assert whole.startswith(cut) and len(cut) >= min(limit, len(whole)), (name, step.key, limit)


async def test_a_map_panel_keeps_the_strips_of_the_lines_a_step_left_as_they_were():
    """shapes: a map panel keeps the strip of each of its lines with the line it was drawn from
    (``MapSheet.render_line``): after a step that changes some of its lines (a new cell field from the
    screen too, a set equal to the last), the lines it left as they were give the very strips drawn
    before (its own scroll, which Textual draws whole, draws only the changed lines again), the
    changed ones new strips, and every line is the one it draws afresh."""
    from bptui.tui.map_sheet import MapSheet

    app = app_for("shapes")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.main.query_one("#layer-1", MapSheet)
        height = panel.scrollable_content_region.height
        kept_lines = same = 0
        for _ in range(12):
            before = {panel.content_row(y): (list(panel.lines[panel.content_row(y)]), panel.render_line(y))
                      for y in range(height) if panel.content_row(y) < len(panel.lines)}
            scroll_x = panel.scroll_offset.x
            app.main.action_next()
            await pilot.pause()
            for y in range(height):  # the lines in view now that were in view before, at the same column
                row = panel.content_row(y)
                if row in before and row < len(panel.lines) and panel.lines[row] == before[row][0] \
                        and panel.scroll_offset.x == scroll_x:
                    kept_lines += 1
                    same += panel.render_line(y) is before[row][1]
            assert on_screen(panel) == afresh(panel), app.stepper.last.key
        assert kept_lines and same == kept_lines, (same, kept_lines)


async def test_a_panels_lines_between_its_borders_sides_are_textuals_lines():
    """A number panel's styles cache (``panel_base.PanelLines``) makes each line of content between the
    border's sides itself, the sides' segments worked out once for each run of lines: every line of
    every panel (shapes' map and dense panels, count_tokens' sequence panels, moons' layer panels) is
    Textual's own styles cache's, segment for segment, at a step of each kind, with a panel focused (its
    border in another colour), after a resize (G under W, a panel that hides columns and gives them its
    padding) and on a big screen."""
    from textual._styles_cache import StylesCache

    for name in ("shapes", "count_tokens", "moons"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            made = 0

            def check(what: object) -> None:
                nonlocal made
                for panel in app.main.query(NumberSheet):
                    assert isinstance(panel._styles_cache, panel_base.PanelLines)
                    width, height = panel.outer_size
                    region = Region(0, 0, width, height)
                    panel._styles_cache.clear()
                    ours = panel._styles_cache.render_widget(panel, region)
                    theirs = StylesCache().render_widget(panel, region)
                    assert [list(s) for s in ours] == [list(s) for s in theirs], (name, panel.id, what)
                    made += max(0, height - 2)

            for move in [app.main.action_next] * 6 + [app.main.action_to_update]:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            await pilot.press("tab")
            await pilot.pause()
            check("focus")
            for size in ((80, 30), (200, 50)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                app.main.action_next()
                await pilot.pause()
                check(size)
            assert made, name


async def test_the_maps_lines_between_its_borders_sides_are_textuals_lines():
    """The map beside the panels (``m``: moons' decision map, regression's fit) draws its lines of content
    through the number panels' styles cache (``panel_base.PanelLines``): every line of it is Textual's own
    styles cache's, segment for segment, after steps of each kind (an update moves its colours), after a
    resize and on a big screen."""
    from textual._styles_cache import StylesCache

    from bptui.tui.plots import FitPlot

    for name, kind in (("moons", DecisionMap), ("regression", FitPlot)):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("m")
            await pilot.pause()
            plot = app.main.query_one("#side-map", kind)
            made = 0

            def check(what: object) -> None:
                nonlocal made
                assert isinstance(plot._styles_cache, panel_base.PanelLines), name
                width, height = plot.outer_size
                region = Region(0, 0, width, height)
                plot._styles_cache.clear()
                ours = plot._styles_cache.render_widget(plot, region)
                theirs = StylesCache().render_widget(plot, region)
                assert [list(s) for s in ours] == [list(s) for s in theirs], (name, what)
                made += max(0, height - 2)

            for move in [app.main.action_next] * 6 + [app.main.action_to_update] + [app.main.action_next] * 2:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            for size in ((100, 30), (200, 50)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                app.main.action_next()
                await pilot.pause()
                check(size)
            assert made, name


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_map_row_is_its_cells_in_maximal_runs_of_one_style(data):
    """A line of the decision map (``DecisionMap._map_row``, which compares a run's style by identity
    first): its text is the label and a glyph per column (▀, a training point's, or in plain mode a
    class mark or a shade), each cell in the style of its colours (``_style``), its point's
    (``_point_style``) or the axis's, and no two segments side by side have equal styles."""
    from bptui.core.formats.spec import load
    from bptui.tui import plots

    from .tui_helpers import NETWORKS

    name = data.draw(st.sampled_from(["moons", "iris"]), "network")  # one output, several (class colours)
    plot = DecisionMap(load(NETWORKS / f"{name}.json"))
    width = data.draw(st.integers(1, 40), "width")
    classes = -1 if name == "moons" else 3
    level = st.one_of(st.just(0), st.integers(0, plots._LEVELS - 1))  # 0: one colour whatever the class
    levels = st.lists(level, min_size=width, max_size=width)
    top, bottom = data.draw(levels, "top"), data.draw(levels, "bottom")
    k_row = data.draw(st.lists(st.integers(0, classes - 1) if classes > 0 else st.just(-1),
                               min_size=width, max_size=width), "k")
    glyphs = data.draw(st.dictionaries(st.integers(-2, width + 1), st.sampled_from("○●•012中")), "points")
    plain = data.draw(st.booleans(), "plain")
    axis = Style(color="grey50")
    strip = plot._map_row("0.5", top, bottom, k_row, glyphs, plain, axis, 6)
    cells = [(ch, seg.style) for seg in strip for ch in seg.text]
    assert "".join(ch for ch, _ in cells[:6]) == "  0.5 " and all(s == axis for _, s in cells[:6])
    for c, (ch, style) in enumerate(cells[6:]):
        t, b, k = top[c], bottom[c], k_row[c]
        if c in glyphs:
            assert (ch, style) == (glyphs[c], plot._point_style((t + b) // 2, k))
        elif plain:
            assert style == axis and ch == (plots._CLASS_MARKS[k % len(plots._CLASS_MARKS)] if k >= 0 else
                                            plots._SHADES[min(len(plots._SHADES) - 1,
                                                              (t + b) * len(plots._SHADES) // (2 * plots._LEVELS))])
        else:
            assert (ch, style) == ("▀", plot._style(t, b, k))
    assert len(cells) == 6 + width  # (a character a cell: 中 is one character of two cells; a point off the map not drawn)
    assert strip.cell_length == sum(cell_len(seg.text) for seg in strip)
    assert all(a.style != b.style for a, b in zip(list(strip), list(strip)[1:]))


async def test_a_panels_palette_made_after_mount_is_the_one_made_afresh():
    """count_tokens at 120×40: every panel, the ones out of view too, has its palette once the first
    frame is drawn (not in the keypress that first scrolls it into view), and that palette, and the one
    kept after a change of its classes (focus, ``-tight``), is the one the panel makes afresh."""
    app = app_for("count_tokens")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(NumberSheet))
        assert len(panels) == 3
        for panel in panels:
            assert panel._styles is not None, panel.id
            kept = dict(panel._styles)
            panel._styles = None
            assert panel._palette() == kept, panel.id
        panel = panels[-1]
        panel.give_padding(not panel.tight)
        await pilot.pause()
        kept = dict(panel._palette())
        panel._styles = None
        assert panel._palette() == kept


async def test_a_panel_that_gives_its_padding_keeps_its_palette_and_pads_as_before():
    """deep_residual at 120×40 with the map open: as the backward pass writes each layer's δ and G, the
    panels' G goes under W and the panels whose columns no longer all fit give their right padding's column to
    their numbers (``give_padding``: left 1, right 0, where a panel has 1 and 1). That changes their padding,
    not their look: every panel, the ones out of view too, keeps its palette (not made again in a keypress),
    the palette it makes afresh; closing the map pads them as their columns need again."""
    from textual.geometry import Spacing

    def padded(panel) -> bool:
        return panel.styles.padding == (Spacing(0, 0, 0, 1) if panel.tight else Spacing(0, 1, 0, 1))

    app = app_for("deep_residual")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(NumberSheet))
        kept = {panel.id: panel._palette() for panel in panels}
        await pilot.press("m")
        await pilot.pause()
        done = ("backward", "G", 1)  # the forward pass, the loss, the backward pass to layer 1's G
        while app.stepper.last is None or (app.stepper.last.key.phase, app.stepper.last.key.quantity,
                                           app.stepper.last.key.layer) != done:
            app.screen.action_next()
            await pilot.pause()
            assert all(padded(panel) for panel in panels)
            assert all(panel._styles is kept[panel.id] for panel in panels)
        assert len([panel for panel in panels if panel.tight]) >= 3  # the dense layers' W: columns hidden, +k…
        for panel in panels:
            panel._styles = None
            assert panel._palette() == kept[panel.id], panel.id
        await pilot.press("m")
        await pilot.pause()
        assert all(padded(panel) for panel in panels)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
                          st.sampled_from(["s", "o", "delta", "W", "G", "a"]), st.booleans()), max_size=12),
       st.booleans(), st.booleans(), st.sets(st.sampled_from(["s", "o", "delta", "W", "G", "a"])),
       st.integers(-1, 12))
def test_a_restyled_line_is_the_line_styled_afresh(cells, dim_before, dim, unmark, hidden):
    """``panel_base.restyled``: a line of cells (a value or none, its quantity, whether the step marked
    it) and labels, styled as a panel styles them (``NumberSheet.number_style``: sign, ``dim`` for an
    update's s, o, δ, ``nonfinite``, ``+`` when marked; a cell not computed ``dim``; the quiz's hidden
    cell ``pos``), restyled with marks taken off and dimmed, is the line styled afresh with that look."""
    from bptui.tui.panel_base import DIMMED, restyled

    def styled(marks_off: set, dimmed: bool) -> list:
        line = [("b=1 ", "header", None)]
        for i, (x, q, mark) in enumerate(cells):
            key = (q, 1, i, None)
            if i == hidden:
                name = "pos"
            elif x is None:
                name = "dim"
            else:
                name = NumberSheet.number_style(x, dimmed and q in DIMMED, mark and q not in marks_off)
            line.append((f"{x}", name, key))
            line.append(("│", "bias", None))
        return line

    keep = ("s" if not cells else cells[hidden][1] if 0 <= hidden < len(cells) else "W", 1, hidden, None)
    before = styled(set(), dim_before)
    after = restyled(before, unmark, dim, keep if 0 <= hidden < len(cells) else None)
    assert after == styled(unmark, dim_before or dim)
    if after == before:
        assert after is before  # nothing to restyle: the kept line itself, drawn as it was


async def test_a_sequence_panels_deferred_state_rows_are_the_rows_it_would_make_afresh():
    """count_tokens and parity: an optimizer's state (Adam's m and v) at a sequence panel's foot or beside
    W⁽ˡ⁾'s rows is deferred (``panel_base.Deferred``): a step formats the state's rows on screen, not the
    others. Every deferred row, made when it is read (steps after the step that kept its part), is the
    row the panel builds with nothing kept, with the cells and width its part gave for it unmade, over
    three updates and the steps between, + and −, and a resize; the screen shows what the panel draws
    afresh."""
    from bptui.tui.panel_base import DeferredLine
    from bptui.tui.seq_sheet import _measure

    for name in ("count_tokens", "parity"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            panels = list(app.main.query(SeqSheet))
            unmade = [0, 0]  # (deferred lines not made once a step is drawn, deferred lines)

            def check(what: object) -> None:
                for panel in panels:
                    deferred = [line for line in panel.lines if isinstance(line, DeferredLine)]
                    unmade[0] += sum(line.i not in line.part._made for line in deferred)
                    unmade[1] += len(deferred)
                    measured = [_measure(line) for line in panel.lines]  # (a deferred line's by its part, unmade)
                    made = [list(line) for line in panel.lines]
                    assert [_measure(line) for line in made] == measured, (name, panel.id, what)
                    assert panel.virtual_size.width == max((w for _, w in measured), default=1), (name, panel.id)
                    panel._lines_kept, panel._cells_kept, panel._merged = {}, {}, {}
                    panel._build(panel._produced)
                    assert [list(line) for line in panel.lines] == made, (name, panel.id, what)
                    assert on_screen(panel) == afresh(panel), (name, panel.id, what)

            moves = [app.main.action_to_update] + [app.main.action_next] * 4 + [app.main.action_to_update] * 2
            for move in moves:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            for key in ("+", "-"):
                await pilot.press(key)
                await pilot.pause()
                check(key)
            await pilot.resize_terminal(160, 50)
            await pilot.pause()
            check("160×50")
            for move in [app.main.action_next] * 3 + [app.main.action_to_update]:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            assert unmade[1] and unmade[0], (name, unmade)  # (rows off screen left unmade)


def _bar_cells(strip) -> list[tuple]:
    """Each cell of a scrollbar's line: its character, its style, its control codes; and the line's length."""
    return [(ch, seg.style, seg.control) for seg in strip for ch in seg.text] + [strip.cell_length]


async def test_a_scrollbars_lines_are_textuals_lines_over_random_bars():
    """``panel_base.bar_lines`` (a bar's lines straight from its key, without rich's console) draws what
    Textual's own path draws for the same bar (its renderer's renderable made into strips by Textual's
    ``Visual.to_strips`` in the bar's style, then Textual's styles cache), cell by cell and style by
    style, over random lengths, thicknesses, content and window sizes, thumb places (every eighth of a
    cell), vertical and horizontal, the bar's colours at rest and under the pointer."""
    import random

    from rich.style import Style as RStyle
    from textual._styles_cache import StylesCache
    from textual.geometry import Size, Spacing
    from textual.scrollbar import ScrollBarRender
    from textual.visual import visualize, Visual

    app = app_for("count_tokens")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = next(p for p in app.main.query(NumberSheet) if p.show_vertical_scrollbar)
        bar = panel.vertical_scrollbar
        base_background, background = bar.background_colors
        base = bar.visual_style.rich_style
        inner = StylesCache().get_inner_outer(base_background, background)[0].rich_style
        rng = random.Random(24)
        styles = [bar.render().style]
        bar.mouse_over = True
        styles.append(bar.render().style)
        bar.mouse_over = False
        assert styles[0] != styles[1]
        thumbs = 0
        for case in range(400):
            vertical = rng.random() < 0.5
            length = rng.randint(1, 130)
            thickness = rng.choice((1, 1, 1, 2, 3))
            width, height = (thickness, length) if vertical else (length, thickness)
            virtual = rng.choice((0, length, *[rng.randint(1, 600)] * 4))
            window = rng.choice((0, *[rng.randint(1, virtual - 1)] * 4)) if virtual > 1 else 0  # as ScrollBar gives it: < virtual
            position = rng.randint(0, 8 * max(virtual - window, 0)) / 8
            style = rng.choice(styles)
            renderer = ScrollBarRender(virtual_size=virtual, window_size=window, position=position,
                                       thickness=thickness, vertical=vertical, style=style)
            visual = visualize(bar, renderer)
            content = Visual.to_strips(bar, visual, width, height, bar.visual_style)
            theirs = StylesCache().render(
                bar.styles, Size(width, height), base_background, background,
                lambda y: content[y] if y < len(content) else Strip.blank(width, base), [], None, None,
                content_size=Size(width, height), padding=Spacing(), crop=Region(0, 0, width, height))
            key = (ScrollBarRender, vertical, virtual, window, position, thickness, style, base, inner, width, height)
            ours = panel_base.bar_lines(key)
            assert panel_base.bar_lines(key) is ours  # kept per key
            assert [_bar_cells(s) for s in ours] == [_bar_cells(s) for s in theirs], key
            assert sum(len(list(s)) for s in ours) <= sum(len(list(s)) for s in theirs)
            thumbs += any(seg.style and seg.style.meta.get("@mouse.down") == "grab" for s in ours for seg in s)
        assert thumbs > 150, thumbs


async def test_a_panels_scrollbars_lines_are_textuals_lines():
    """A number panel's scrollbars draw their lines through ``panel_base.BarLines`` (``bar_lines``, kept
    per the bar's key): every line of every scrollbar a panel shows (count_tokens' sequence panels, long
    and wide; shapes' map and dense panels), and the panels' column's and the equation box's when they
    show one, is Textual's own styles cache's, cell by cell and style by style, as the last frame left it
    and drawn again, after steps and updates that move the bars, a scroll, the pointer over a bar, and
    resizes."""
    from textual._styles_cache import StylesCache

    for name in ("count_tokens", "shapes"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            seen: set[tuple[str, bool]] = set()

            def check(what: object) -> None:
                for panel in [*app.main.query(NumberSheet), app.main.query_one("#layers"), app.main.query_one("#equation-box")]:
                    for vertical, shown in ((True, panel.show_vertical_scrollbar),
                                            (False, panel.show_horizontal_scrollbar)):
                        if not shown:
                            continue
                        bar = panel.vertical_scrollbar if vertical else panel.horizontal_scrollbar
                        assert isinstance(bar._styles_cache, panel_base.BarLines), (name, panel.id)
                        width, height = bar.outer_size
                        if not width or not height:
                            continue
                        region = Region(0, 0, width, height)
                        kept = bar._styles_cache.render_widget(bar, region)  # as the last frame left them
                        bar._styles_cache.clear()
                        ours = bar._styles_cache.render_widget(bar, region)
                        theirs = StylesCache().render_widget(bar, region)
                        assert [_bar_cells(s) for s in ours] == [_bar_cells(s) for s in theirs], (name, panel.id, vertical, what)
                        assert [_bar_cells(s) for s in kept] == [_bar_cells(s) for s in theirs], (name, panel.id, vertical, what)
                        seen.add((panel.id or "", vertical))

            for move in [app.main.action_next] * 4 + [app.main.action_to_update] * 2:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            panel = next(p for p in app.main.query(NumberSheet) if p.show_vertical_scrollbar or p.show_horizontal_scrollbar)
            panel.scroll_to(x=5, y=3, animate=False, immediate=True)
            await pilot.pause()
            check("scrolled")
            bar = panel.vertical_scrollbar if panel.show_vertical_scrollbar else panel.horizontal_scrollbar
            bar.mouse_over = True
            await pilot.pause()
            check("hover")
            bar.mouse_over = False
            await pilot.resize_terminal(160, 50)
            await pilot.pause()
            app.main.action_next()
            await pilot.pause()
            check("160×50")
            await pilot.resize_terminal(90, 24)
            await pilot.pause()
            app.main.action_next()
            await pilot.pause()
            check("90×24")
            assert seen, name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", " ", "│", "…", " b=12 ", "−0.3011 ", "  0.4512•", "▶ W⁽³⁾ (bias │ inputs)",
                                           "τ=5 ", "   ", "Q 1   ", "2.82e−6 ", "  ·  "]),
                          st.sampled_from(STYLES[1:])), max_size=14),
       st.integers(0, 70), st.integers(0, 70))
def test_a_panels_line_cut_by_string_lengths_is_the_line_cut_by_cells(runs, x0, width):
    """``whole_cells`` and ``marked_edges`` measure a panel's texts by their lengths (a character is a
    column in every text a panel draws: numbers, labels, bars, ▶, superscripts): the cut line is the one
    measured by Textual's cells (``Segment.cell_length``, as before), segment for segment, and its strip's
    cell length is its segments'."""
    from rich.cells import cell_len

    from bptui.tui.panel_base import NUMBER, crop_extend, marked_edges, whole_cells

    segs = [Segment(text, style) for text, style in runs]
    x1 = x0 + width
    base = Style()

    def by_cells(segments: list, a: int, b: int) -> Strip:  # whole_cells as it measured with cell_length
        out, x = [], 0
        for seg in segments:
            end = x + seg.cell_length
            if not (end > a and x < b and (x < a or end > b)):
                out.append(seg)
                x = end
                continue
            for word in re.split(r"(\s+)", seg.text):
                w = cell_len(word)
                if x < b and x + w > a and (x < a or x + w > b) and NUMBER.match(word):
                    at = a - x if x < a else b - 1 - x
                    word = " " * at + "…" + " " * (w - at - 1)
                if word:
                    out.append(Segment(word, seg.style))
                x += w
        return crop_extend(out, a, b, base)

    assert all(seg.cell_length == len(seg.text) for seg in segs)
    got = whole_cells(segs, x0, x1, base)
    assert list(got) == list(by_cells(segs, x0, x1)) and got.cell_length == Strip(list(got)).cell_length
    marked = marked_edges(segs, x0, x1, base, base)
    assert marked.cell_length == Strip(list(marked)).cell_length == max(0, x1 - x0)


async def test_a_panels_lines_drawn_in_one_run_are_its_lines_drawn_one_by_one():
    """A number panel works out its scroll offset and its pinned heading once for a run of lines
    (``NumberSheet.render_lines``): each line of the run is the line Textual's own path draws one by one
    (``render_line`` outside a run, the offset and the heading looked up for it), segment for segment, in
    count_tokens' and parity's panels scrolled to each line in turn (a heading pinned over the rows, or
    not), after steps of each kind up to two updates (parity at 120×24: at 120×40 its Adam states stand beside
    the grid's rows and its panels no longer scroll)."""
    from textual._styles_cache import StylesCache

    for name, size in (("count_tokens", (120, 40)), ("parity", (120, 24))):
        app = app_for(name)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            pinned = compared = 0

            def check(what: object) -> None:
                nonlocal pinned, compared
                for panel in app.main.query(NumberSheet):
                    width, height = panel.outer_size
                    if not height:
                        continue
                    region = Region(0, 0, width, height)
                    for top in range(0, max(1, panel.virtual_size.height - panel.room().height + 1)):
                        panel.scroll_to(y=top, animate=False, immediate=True)
                        pinned += panel.pinned() != (0, 0)
                        panel._strips.clear()
                        panel._styles_cache.clear()
                        ours = panel.render_lines(region)
                        assert panel._drawing is None
                        panel._strips.clear()
                        theirs = StylesCache().render_widget(panel, region)
                        assert [list(s) for s in ours] == [list(s) for s in theirs], (name, panel.id, top, what)
                        compared += 1

            moves = [app.main.action_next] * 3 + [app.main.action_to_update, app.main.action_next]
            for move in moves:
                move()
                await pilot.pause()
                check(app.stepper.last.key)
            assert compared and pinned, (name, compared, pinned)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.text("ab─│▶ ", min_size=1, max_size=5), st.sampled_from(STYLES)), max_size=10),
       st.integers(0, 30), st.integers(0, 30), st.lists(st.integers(1, 30), max_size=3), st.sampled_from(STYLES))
def test_a_lean_strip_is_textuals_strip_through_every_cache(runs, a, b, cuts, style):
    """``LeanStrip`` (a Strip whose caches are made when first used) gives what Textual's ``Strip`` of the
    same segments gives, through each of the methods that keep their results (cut, crop, crop and extend,
    lengths, style, filter, places), asked twice (the second from its cache), and equals it."""
    from textual.color import Color
    from textual.filter import ANSIToTruecolor
    from rich.terminal_theme import DEFAULT_TERMINAL_THEME

    segments = [Segment(text, s) for text, s in runs]
    lean, strip = panel_base.LeanStrip(list(segments)), Strip(segments)
    x0, x1 = min(a, b), max(a, b)
    ends = sorted(set(cuts))
    line_filter = ANSIToTruecolor(DEFAULT_TERMINAL_THEME)
    for _ in range(2):
        assert lean == strip and lean.cell_length == strip.cell_length and lean.text == strip.text
        assert list(lean.crop(x0, x1)) == list(strip.crop(x0, x1))
        assert [list(s) for s in lean.divide(ends)] == [list(s) for s in strip.divide(ends)]
        assert list(lean.crop_extend(x0, x1, style)) == list(strip.crop_extend(x0, x1, style))
        assert list(lean.adjust_cell_length(x1, style)) == list(strip.adjust_cell_length(x1, style))
        assert list(lean.extend_cell_length(x1, style)) == list(strip.extend_cell_length(x1, style))
        if style is not None:
            assert list(lean.apply_style(style)) == list(strip.apply_style(style))
        assert list(lean.apply_filter(line_filter, Color(0, 0, 0))) == list(strip.apply_filter(line_filter, Color(0, 0, 0)))
        assert list(lean.apply_offsets(a, b)) == list(strip.apply_offsets(a, b))
        assert list(lean.simplify()) == list(strip.simplify())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text("ab │▶−•⁽²⁾∂ℓ中\u200d", min_size=0, max_size=6), st.sampled_from(STYLES)),
                min_size=1, max_size=10), st.data())
def test_a_lean_strip_is_cut_as_textual_cuts_a_strip_without_measuring_its_cells(runs, data):
    """``LeanStrip.divide`` (the compositor's cut of a panel's line where another widget's edge stands in
    it: the panel's own scrollbar, the border after it) gives Textual's ``Strip.divide``'s pieces, segment
    for segment and with their cell lengths, for any cuts of lines of one-cell, two-cell and zero-width
    characters, asked twice (the second from its cache); a line whose every character is a cell is cut by
    its texts' lengths, no segment measured (rich measures a text of −, • or ⁽²⁾ a character at a time)."""
    import rich.segment

    segments = [Segment(text, style) for text, style in runs]
    width = Strip(segments).cell_length
    scrollbar = [c for c in (width - 3, width - 2, width) if c > 0]
    other = sorted(set(data.draw(st.lists(st.integers(0, width + 2), max_size=4))))
    one = all(cell_len(c) == 1 for text, _ in runs for c in text)
    measured = []
    real = rich.segment.cached_cell_len

    def counting(text: str, *args: object) -> int:
        measured.append(text)
        return real(text, *args)

    for cuts in (scrollbar, other, scrollbar):
        lean = panel_base.LeanStrip(list(segments), width)
        theirs = Strip(list(segments), width).divide(cuts)
        measured.clear()
        rich.segment.cached_cell_len = counting
        try:
            ours, again = lean.divide(cuts), lean.divide(cuts)
        finally:
            rich.segment.cached_cell_len = real
        for got in (ours, again):
            assert [list(s) for s in got] == [list(s) for s in theirs], cuts
            assert [s.cell_length for s in got] == [s.cell_length for s in theirs], cuts
        if one and cuts == scrollbar and len(cuts) > 1:
            assert not measured, measured

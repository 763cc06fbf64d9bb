"""A keypress with a diagram open (issue 24, item 5): the canvas draws a row from its items' kept
segments, and the line it gives is the row drawn afresh, cut to the window and placed as Textual
places it; a step redraws the rows whose parts it changed and shows the core's numbers; the
compositor renders each widget only in the rows of an update it paints, and paints what Textual
paints; a burst of keys with the diagram open takes exactly as many steps and ends on the last."""

from __future__ import annotations

from types import MethodType

from textual import events
from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


from bptui.tui.diagrams import PENDING, UNIT_LINES, _fit_text
from bptui.tui.graph_canvas import GraphCanvas
from bptui.tui.net_diagrams import NetworkDiagrams
from bptui.tui.panel_base import with_offsets
from bptui.tui.stepping import SteadyCompositor

from .helpers import panel_text
from .tui_helpers import app_for, until


def fresh(canvas: GraphCanvas, row: int, lo: int, width: int) -> Strip:
    """Row ``row`` in columns ``lo`` … ``lo + width`` drawn afresh from the state: its segments
    (``_segments``, nothing kept), cut and padded by Strip.crop_extend and placed by with_offsets."""
    base = canvas._style()
    start, segs = canvas._segments(row, canvas._style, lo, lo + width)
    return with_offsets(Strip(segs).crop_extend(lo - start, lo - start + width, base), lo, row)


def drawn(strip: Strip) -> list[tuple]:
    """Each segment's text and style, its place included: rich's styles are equal when their colours,
    attributes, link and meta are (``Style.__eq__`` compares them all, the meta as its pickled bytes), and
    the meta holds the offset a text selection reads (``with_offsets``), so it is compared without
    unpickling it for every segment."""
    return [(seg.text, seg.style) for seg in strip]


def check_lines(canvas: GraphCanvas, where: str) -> None:
    """Every line on screen is its row drawn afresh, and so is every row in other windows (cut
    inside an item, at the canvas's start, past its end)."""
    x, y = int(canvas.scroll_x), int(canvas.scroll_y)
    width, inside = canvas.line_widths()
    shown = canvas.render_lines(Region(0, 0, *canvas.region.size))  # as the compositor gets them (Textual's kept)
    left, top = canvas.styles.padding.left, canvas.styles.padding.top
    for line in range(canvas.scrollable_content_region.height):  # what the screen shows: kept, or drawn now
        row = y + line
        if row < len(canvas._rows):
            again = fresh(canvas, row, x, width)
            assert drawn(canvas.render_line(line)) == drawn(again), (where, row)
            assert shown[top + line].text[left:left + inside] == again.text[:inside], (where, row)
    for lo in (0, 3, x + 5, canvas.virtual_size.width - 7):
        for row in range(len(canvas._rows)):
            assert drawn(canvas._line(row, lo, width, canvas._style())) == drawn(fresh(canvas, row, lo, width)), \
                (where, lo, row)


async def test_a_diagrams_lines_are_its_rows_drawn_afresh_after_every_step():
    for name, key, size in (("deep_sigmoid", "d", (120, 40)), ("moons", "d", (120, 40)), ("iris", "d", (100, 30)),
                            ("xor", "c", (120, 40))):
        app = app_for(name)
        async with app.run_test(size=size) as pilot:
            await pilot.press(key)
            await pilot.pause()
            canvas = app.main.query_one(f"#canvas-{'nn' if key == 'd' else 'graph'}", GraphCanvas)
            phases = set()
            for press in range(30 if name == "deep_sigmoid" else 14):
                await pilot.press("n")
                await pilot.pause()
                phases.add(app.stepper.last.key.phase)
                if press == 5 and key == "c":  # the cursor's node: its name drawn [s⁽¹⁾]
                    canvas.select("s1")
                if press == 9 and key == "c":
                    canvas.select(None)
                check_lines(canvas, f"{name} after {app.stepper.last.key}")
            app.main.action_to_update()  # an update: every weight's glyph may change
            await pilot.pause()
            check_lines(canvas, f"{name} after the update")
            assert {"forward", "backward"} <= phases


def canvas_text(canvas: GraphCanvas) -> str:
    """The whole canvas as the kept lines draw it (every row, in one window as wide as the canvas)."""
    width = canvas.virtual_size.width
    return "\n".join(canvas._line(row, 0, width, canvas._style()).text for row in range(len(canvas._rows)))


def check_values(app, canvas: GraphCanvas, where: str) -> None:
    """The NN diagram shows each unit's s, o and δ and each edge's weight as the core has them."""
    diagram = app.main.query_one(NetworkDiagrams).diagrams["nn"]
    text, st, digits, spec = canvas_text(canvas), app.stepper.state, app.main.digits, app.stepper.spec
    for l in range(1, spec.L + 1):
        units = None if st.o[l] is None else app.stepper.net.units(l, st.o[l])
        for b in range(1, spec.widths[l] + 1):
            o_at = b - 1 + (l < spec.L)  # the panel's o has its 1 on top in a hidden layer
            for q, x, i in zip(UNIT_LINES, (st.s[l], units, st.delta[l]), (b - 1, o_at, b - 1)):
                value = PENDING if x is None else panel_text(st.o[l] if q == "o" else x, i, digits)
                line = _fit_text(f"{diagram.names[q, l, b]} = {value}", diagram.width)
                assert line in text, (where, line)
    for i, (l, r, c) in diagram.weight_edges.items():  # each edge's weight as its label
        label = panel_text(st.W[l], (r, c), digits)
        assert label in text, (where, i, label)


async def test_the_nn_diagram_after_each_step_shows_the_cores_numbers():
    for name in ("deep_sigmoid", "moons"):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("d")
            await pilot.pause()
            canvas = app.main.query_one("#canvas-nn", GraphCanvas)
            for _ in range(app.stepper.spec.L * 4 + 2):  # through a forward pass, the loss, a backward pass
                await pilot.press("n")
                await pilot.pause()
                check_values(app, canvas, f"{name} after {app.stepper.last.key}")
            app.main.action_to_update()  # the update: new weights on every edge
            await pilot.pause()
            check_values(app, canvas, f"{name} after the update")


def painted(update) -> dict:
    """What a partial update writes on the terminal: (x, y) → (character, style), by the steps of
    Textual's ChopsUpdate (a chop's strip whole when its span holds it, else from the segment that
    reaches into the span on, to the span's end), each character a cell."""
    cells: dict = {}

    def write(at: int, y: int, segments) -> int:
        for seg in segments:
            for char in seg.text:
                cells[at, y] = (char, seg.style)
                at += 1
        return at

    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
            if strip is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                write(x, y, strip)
                continue
            segments = iter(strip)
            cursor = x
            if x < x1:
                for seg in segments:
                    if x + len(seg.text) > x1:
                        cursor = write(x, y, [seg])
                        break
                    x += len(seg.text)
            if end <= x2:
                write(cursor, y, segments)
            else:
                for seg in segments:
                    if x >= x2:
                        break
                    cursor = write(cursor, y, [seg])
                    x += len(seg.text)
    return cells


MAPS = ("_full_map", "_full_map_invalidated", "_visible_map", "_visible_widgets", "_cuts", "_layers",
        "_layers_visible", "widgets", "_kept")  # the compositor's maps of the screen, which a render may rebuild


def both_renders(compositor: SteadyCompositor, frames: list):
    """A partial update that renders each frame twice, the app's way (its renders and chops) and
    Textual's, from the same
    maps of the screen, and keeps what each paints in ``frames``; the app goes on with the app's
    render and the maps it left. (A widget rendered asks for its region, which rebuilds the map of
    every widget when it was invalidated: the second render would otherwise see that map, made
    after the frame's cuts, where a scroll not yet laid out puts widgets elsewhere.)"""

    def both():
        regions = set(compositor._dirty_regions)
        before = {name: getattr(compositor, name) for name in MAPS}
        ours = SteadyCompositor.render_partial_update(compositor)
        after = {name: getattr(compositor, name) for name in MAPS}
        vars(compositor).update(before)
        compositor._dirty_regions.update(regions)
        compositor._render_chops = MethodType(Compositor._render_chops, compositor)  # type: ignore[method-assign]
        try:  # Textual's chops and renders
            theirs = Compositor.render_partial_update(compositor)
        finally:
            del compositor._render_chops
        vars(compositor).update(after)
        if ours is not None or theirs is not None:
            frames.append((painted(ours), painted(theirs)))
        return ours

    return both


async def test_a_frame_drawn_before_a_scroll_is_laid_out_is_compared_on_the_same_map():
    """The compositor's renders of one frame, the app's and Textual's, are compared from the same
    map of the screen, also when the frame is drawn while a scroll waits to be laid out: a widget
    rendered asks for its region, which rebuilds the compositor's map of every widget when it is stale
    (Textual made it so at a refresh of a widget out of view; the app's compositor, at a new widget's),
    and that map has the column where it scrolled, not where the frame's cuts were made (on a loaded
    machine the column's UpdateScroll can be handled after the update timer has drawn a frame; shapes'
    first step failed so once in a whole-suite run)."""
    from textual.widget import Widget

    app = app_for("shapes")
    frames: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        compositor = screen._compositor
        column = app.main.query_one("#layers")
        sheet = app.main.query_one("#layer-1")
        bar = sheet.vertical_scrollbar
        compositor.reflow(screen, screen.outer_size)  # a layout: the screen's map is the full map
        compositor._dirty_regions.clear()
        out_of_view = app.main.query_one("#layer-2")
        assert out_of_view not in compositor.visible_widgets
        # the column and the sheet scrolled (their refreshes not handled yet), the full map not asked for
        column.set_reactive(Widget.scroll_y, column.scroll_y + 5)
        sheet.set_reactive(Widget.scroll_y, sheet.scroll_y + 3)
        bar.position = sheet.scroll_y
        compositor.render_partial_update = both_renders(compositor, frames)  # type: ignore[method-assign]
        compositor._full_map_invalidated = True  # the map stale (as a new widget's repaint leaves it)
        screen._dirty_widgets |= {out_of_view, bar}  # the bar's Update handled, the column's UpdateScroll not
        # the map of every widget forgotten, as a refresh of a widget new to it makes Textual forget it (a panel out
        # of view that is in it no longer does: SteadyCompositor.update_widgets)
        compositor._full_map_invalidated = True
        screen._on_timer_update()
        assert frames and frames[0][0], "a frame with the bar in it"
        assert compositor.visible_widgets[bar][0].y == sheet.region.y + 1 == 16, "the map was rebuilt meanwhile"
        ours, theirs = frames[0]
        assert ours == theirs
        assert {y for x, y in ours} == set(range(21, 39)), "the bar where the screen shows it: not scrolled yet"


async def test_a_partial_update_paints_what_textuals_compositor_paints():
    """Each frame of a few steps, rendered by the app's compositor (each widget only in the rows it
    paints of the update) and by Textual's (every widget that overlaps the update's box, whole),
    paints the same cells alike."""
    for name, key in (("deep_sigmoid", "d"), ("moons", "d"), ("iris", "m"), ("xor", "c"), ("shapes", None)):
        app = app_for(name)
        frames = []
        async with app.run_test(size=(120, 40)) as pilot:
            if key:
                await pilot.press(key)
            await pilot.pause()
            compositor = app.main._compositor
            assert isinstance(compositor, SteadyCompositor)
            compositor.render_partial_update = both_renders(compositor, frames)  # type: ignore[method-assign]
            for _ in range(12):
                await pilot.press("n")
                await pilot.pause()
        assert len(frames) >= 12, name
        for k, (ours, theirs) in enumerate(frames):
            assert ours == theirs, (name, k)


async def test_a_burst_of_keys_with_the_diagram_open_takes_each_step_and_shows_the_last():
    keys = 40
    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        canvas = app.main.query_one("#canvas-nn", GraphCanvas)
        for _ in range(keys):  # all at once, as a terminal delivers keys typed faster than handled
            app._driver.send_message(events.Key("n", "n"))
        await until(pilot, lambda: app.stepper.position == keys, "the burst handled")
        await pilot.pause()
        assert app.stepper.position == keys
        check_lines(canvas, "after the burst")
        check_values(app, canvas, "after the burst")


def test_a_placed_style_is_the_style_with_offsets_gives():
    """``_offset_style`` makes in one step what ``with_offsets`` makes of a segment's style at a place:
    equal, with the same colours, attributes, link and meta, for plain, set-and-unset, null, linked
    and meta-carrying styles, and none."""
    import random

    from rich.color import Color
    from rich.segment import Segment
    from rich.style import Style

    from bptui.tui.graph_canvas import _offset_style

    rng = random.Random(7)
    styles = [None, Style(), Style(color="red"), Style(bold=True, italic=False), Style(link="https://example.org"),
              Style.from_meta({"@click": "app.bell()"}), Style(color="red") + Style.from_meta({"offset": (1, 2)})]
    for _ in range(200):  # drawn: colours, attributes set on and off
        attrs = {a: rng.choice((True, False, None)) for a in ("bold", "dim", "italic", "underline", "reverse", "strike")}
        styles.append(Style(color=rng.choice((None, Color.from_rgb(rng.randrange(256), 0, 9), "blue")),
                            bgcolor=rng.choice((None, Color.from_rgb(3, rng.randrange(256), 40))), **attrs))
    for style in styles:
        x, y = rng.randrange(400), rng.randrange(200)
        want = next(iter(with_offsets(Strip([Segment(" ", style)], 1), x, y))).style
        got = _offset_style(style, x, y)
        assert got == want, style
        assert (got.color, got.bgcolor, got.bold, got.dim, got.italic, got.underline, got.reverse, got.strike,
                got.link, got.meta, got._null, got._set_attributes) == \
            (want.color, want.bgcolor, want.bold, want.dim, want.italic, want.underline, want.reverse,
             want.strike, want.link, want.meta, want._null, want._set_attributes), style
        assert got.meta["offset"] == (x, y)


async def test_a_canvas_lines_between_its_paddings_are_textuals_lines():
    """The canvas draws its lines of content through its own styles cache (``graph_canvas.CanvasLines``),
    the padding's segments worked out once a run of lines: every line of it is Textual's own styles
    cache's, segment for segment, with the NN diagram and the computation graph after steps of each kind
    (one that scrolls it, an update), focused, after a resize, and a graph file's canvas (with its border)."""
    from textual._styles_cache import StylesCache

    from bptui.tui.graph_canvas import CanvasLines

    from .tui_helpers import graph_app_for

    def check(canvas: GraphCanvas, what: object) -> int:
        assert isinstance(canvas._styles_cache, CanvasLines)
        width, height = canvas.outer_size
        region = Region(0, 0, width, height)
        canvas._styles_cache.clear()
        ours = canvas._styles_cache.render_widget(canvas, region)
        theirs = StylesCache().render_widget(canvas, region)
        assert [list(s) for s in ours] == [list(s) for s in theirs], what
        return height

    for name, key in (("deep_sigmoid", "d"), ("xor", "c"), ("moons", "d")):
        app = app_for(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press(key)
            await pilot.pause()
            canvas = app.main.query_one(f"#canvas-{'nn' if key == 'd' else 'graph'}", GraphCanvas)
            made = 0
            for move in [app.main.action_next] * 8 + [app.main.action_to_update] + [app.main.action_next] * 2:
                move()
                await pilot.pause()
                made += check(canvas, (name, app.stepper.last.key))
            canvas.focus()
            await pilot.pause()
            made += check(canvas, (name, "focus"))
            await pilot.resize_terminal(90, 30)
            await pilot.pause()
            app.main.action_next()
            await pilot.pause()
            made += check(canvas, (name, "90×30"))
            assert made, name
    app = graph_app_for("lecture13_expression")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        canvas = app.query_one(GraphCanvas)
        for _ in range(4):
            await pilot.press("n")
            await pilot.pause()
            check(canvas, ("lecture13_expression", "n"))


def _cells(segments) -> list[tuple]:
    """Each cell of a scrollbar's segments: its character, style and control codes."""
    return [(ch, seg.style, seg.control) for seg in segments for ch in seg.text]


async def test_the_canvas_scrollbars_draw_textuals_lines():
    """Scrolled sideways and down by steps (deep_sigmoid's NN diagram), the canvas's scrollbars, both,
    draw their lines through ``panel_base.BarLines`` (kept per bar's key), a horizontal bar in a few
    segments, and their lines are, cell for cell and style for style, the lines Textual's own styles
    cache and renderer draw for the same bar."""
    from textual._styles_cache import StylesCache

    from bptui.tui.panel_base import BarLines

    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        canvas = app.main.query_one("#canvas-nn", GraphCanvas)
        seen = set()
        for step in range(40):
            app.main.action_next()
            await pilot.pause()
            if step == 20:
                canvas.scroll_to(y=3, animate=False, immediate=True)
                await pilot.pause()
            for bar in (canvas.horizontal_scrollbar, canvas.vertical_scrollbar):
                assert isinstance(bar._styles_cache, BarLines)
                if not bar.display or not bar.size:
                    continue
                seen.add((bar.vertical, round(canvas.scroll_y if bar.vertical else canvas.scroll_x)))
                region = Region(0, 0, *bar.size)
                ours = bar.render_lines(region)
                if not bar.vertical:
                    assert all(len(list(line)) <= 6 for line in ours)
                theirs = StylesCache().render_widget(bar, region)
                assert [_cells(line) + [line.cell_length] for line in ours] == \
                    [_cells(line) + [line.cell_length] for line in theirs], (bar.vertical, canvas.scroll_offset)
        assert len({x for vertical, x in seen if not vertical}) >= 3, seen


def _pieces(strips) -> list[list[tuple]]:
    return [[(seg.text, seg.style, seg.control) for seg in strip] + [strip.cell_length] for strip in strips]


def test_a_cut_line_is_cut_as_textual_cuts_a_strip():
    """``graph_canvas.CutLine.divide`` (the compositor's cut of a canvas line at the scrollbar's column
    and the padding after it, without measuring every segment) gives Textual's ``Strip.divide``'s
    pieces, segment for segment, for lines of one-cell and two-cell characters and any cuts."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.segment import Segment
    from rich.style import Style

    from bptui.tui.graph_canvas import CutLine

    styles = [Style(color="red"), Style(bold=True), Style(bgcolor="blue", meta={"offset": (3, 4)})]
    text = st.text(alphabet="ab─│▶⁽¹⁾ 中", min_size=1, max_size=7)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(text, st.sampled_from(styles)), min_size=1, max_size=8), st.sampled_from(styles),
           st.sampled_from([" ", "  ", "中"]), st.data())
    def check(content, pad_style, pad, data):
        segments = [Segment(" ", pad_style)] + [Segment(t, s) for t, s in content] + [Segment(pad, pad_style)]
        width = sum(seg.cell_length for seg in segments)
        three = [width - 2, width - 1, width]
        other = sorted(set(data.draw(st.lists(st.integers(1, width), max_size=4)))) + [width]
        for cuts in (three, other, three):  # (the second time: the kept pieces)
            ours = CutLine(list(segments), width).divide(cuts)
            theirs = Strip(list(segments), width).divide(cuts)
            assert _pieces(ours) == _pieces(theirs), cuts
        line = CutLine(list(segments), width)
        assert line.divide(three) is line.divide(three)

    check()


async def test_a_canvas_line_is_cut_where_the_compositor_cuts_it_as_textual_cuts_it():
    """The canvas's lines the app's filters leave as they are come out of its styles cache as
    ``CutLine``s (kept as the filtered line of the strip Textual keeps), which the compositor cuts at
    the vertical scrollbar's column as Textual cuts a strip, over steps that scroll the canvas; under a
    filter that changes a line (monochrome) every line is Textual's filtered line, and no CutLine."""
    from textual._styles_cache import StylesCache
    from textual.filter import Monochrome

    from bptui.tui.graph_canvas import CutLine

    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        canvas = app.main.query_one("#canvas-nn", GraphCanvas)
        own = canvas.get_line_filters()
        cut = 0
        for filters in (own, [Monochrome()], own):
            canvas.get_line_filters = lambda filters=filters: filters  # type: ignore[method-assign]
            for _ in range(8):
                app.main.action_next()
                await pilot.pause()
                width, height = canvas.outer_size
                region = Region(0, 0, width, height)
                canvas._styles_cache.clear()
                ours = canvas._styles_cache.render_widget(canvas, region)
                theirs = StylesCache().render_widget(canvas, region)
                assert [list(s) for s in ours] == [list(s) for s in theirs], filters
                for line in ours:
                    if filters is not own:
                        assert not isinstance(line, CutLine)
                    elif isinstance(line, CutLine):
                        cut += 1
                        for cuts in ([width - 2, width - 1, width], [width]):
                            assert _pieces(line.divide(cuts)) == _pieces(Strip(list(line), width).divide(cuts))
        assert cut > 100
        canvas.get_line_filters = lambda: own  # type: ignore[method-assign]
        await pilot.pause()
        check_lines(canvas, "after the filters")


async def test_a_diagrams_kept_lines_are_its_rows_drawn_afresh_after_scrolls_a_resize_digits_and_a_theme():
    """The rows' kept looks (``GraphCanvas._current``, looked up once after a step changes a row) and the
    items' kept segments give the rows drawn afresh after what changes them or only the window: scrolls
    sideways and back, a resize, more and fewer digits (wider boxes), a new theme (new colours), an update
    of every layer (new weights, new maps), and in a profile with each unit's own b (ng)."""
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    from .tui_helpers import NETWORKS, load

    for name, notation in (("deep_sigmoid", None), ("moons", PROFILES["ng"])):
        app = BptuiApp(load(NETWORKS / f"{name}.json"), notation)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("d")
            await pilot.pause()
            canvas = app.main.query_one("#canvas-nn", GraphCanvas)
            for keys, what in ((("n",) * 6, "steps"), (("]", "]", "]"), "scrolled right"), (("n",), "a step"),
                               (("[", "["), "scrolled back"), (("u",), "an update"), (("plus",), "a digit more"),
                               (("n", "n"), "steps"), (("minus", "minus"), "two digits fewer"), (("u",), "an update")):
                for key in keys:
                    await pilot.press(key)
                    await pilot.pause()
                check_lines(canvas, f"{name} {what}")
            await pilot.resize_terminal(100, 34)
            await pilot.pause()
            check_lines(canvas, f"{name} resized")
            await pilot.press("n")
            await pilot.pause()
            check_lines(canvas, f"{name} resized, a step")
            app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
            await pilot.pause()
            check_lines(canvas, f"{name} a new theme")
            await pilot.press("u")
            await pilot.pause()
            check_lines(canvas, f"{name} a new theme, an update")


def test_a_texts_cells_are_richs_cells():
    """``diagrams.cells`` (kept per text, and a text of characters found one cell wide is as wide as it is
    long) is rich's ``cell_len`` for every text: the diagram's own characters, wide ones (a CJK letter, an
    emoji), zero-width ones (a combining accent, a joiner, a variation selector), each met first in a text
    with others and then alone, and texts met again."""
    import random

    from rich.cells import cell_len

    from bptui.tui.diagrams import cells

    rng = random.Random(24)
    alphabet = list("s₁⁽¹⁾ = −0.1234e5δoxw·•▶▷◆░▒▓█─│┄━ℓᵀ⊙…?") + ["中", "😀", "\u0301", "\u200d", "\ufe0f", "\u00ad", "\t"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(3000)]
    texts += alphabet + texts[:500]
    for text in texts:
        assert cells(text) == cell_len(text), repr(text)


def test_a_placed_styles_meta_is_the_pickle_of_its_place():
    """A place's meta made from the template (both numbers under 256) is pickle's own bytes, and so is one
    pickled past it; the placed style kept for a style and a place is the one made for that place and no
    other (a place as an int: no two places alike)."""
    from pickle import dumps

    from rich.style import Style

    from bptui.tui.graph_canvas import _offset_style, _placed

    style = Style(color="red", bold=True)
    for x in (*range(0, 300, 7), 255, 256, 1 << 20):
        for y in (*range(0, 300, 11), 255, 256, 1 << 33):
            assert _offset_style(style, x, y)._meta == dumps({"offset": (x, y)}), (x, y)
            seg = _placed("ab", style, x, y)
            assert seg.style.meta == {"offset": (x, y)} and seg.style.color == style.color and seg.style.bold
            assert _placed("cd", style, x, y).style is seg.style


def test_a_unit_maps_art_kept_across_updates_is_the_art_made_afresh():
    """Each layer's update (W⁽¹⁾ first: every map changes; then W⁽²⁾, …) keeps the art of the layers under
    it, and every unit's art after it is the art a new cache makes of the new weights."""
    from bptui.core.engine.stepper import Stepper
    from bptui.tui.diagrams import MAP_ROWS, MapCache

    from .tui_helpers import NETWORKS, load

    for name in ("deep_sigmoid", "deep_relu", "moons"):
        spec = load(NETWORKS / f"{name}.json")
        stepper = Stepper(spec)
        cache = MapCache()
        width = 20
        updates = 0
        while updates < 2 * spec.L:
            stepper.forward()
            if stepper.last.key.phase != "update":
                continue
            updates += 1
            W = list(stepper.state.W[1:])
            before = {(l, b): cache._art.get((l, b)) for l in range(spec.L + 1) for b in range(1, spec.widths[l] + 1)}
            maps = cache.get(spec, W, width)
            fresh_cache = MapCache()
            fresh = fresh_cache.get(spec, W, width)
            for l in range(spec.L + 1):
                for b in range(1, spec.widths[l] + 1):
                    art = cache.unit_art(maps, l, b)
                    assert art == fresh_cache.unit_art(fresh, l, b), (name, stepper.last.key, l, b)
                    assert len(art[0]) == MAP_ROWS
                    if before[l, b] is not None and l < stepper.last.key.layer:  # under the weights written: kept
                        assert art is before[l, b], (name, stepper.last.key, l, b)

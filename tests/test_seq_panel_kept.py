"""A step formats only what it changed in a sequence panel (issue 24, item 5): each line of the lecture's
:class:`SeqSheet` and of a profile's :class:`ProfileSeqSheet` is kept while what it shows is the same (a
step at τ writes one quantity's board array: its rows are built again, the other rows are kept; an update
draws the dimmed rows again from their texts), and what the panel keeps is always what a new panel builds
from the same board."""

from __future__ import annotations

from bptui.core.formulas.profiles import PROFILES
from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp
from bptui.tui.profile_seq_sheet import ProfileSeqSheet
from bptui.tui.seq_sheet import SeqSheet

from .conftest import NETWORKS


def numbers(line: list) -> int:
    """The cells of a line that show a number (not · for one not computed yet, not the quiz's ?): the board's
    cells, and an optimizer's state's entries (no cell of the cursor's: a number's style, a digit)."""
    return sum(1 for text, style, key in line if key is not None and text.strip() not in ("·", "?")
               or key is None and style in ("pos", "neg", "nonfinite") and any(c.isdigit() for c in text))


def fresh(panel: SeqSheet) -> SeqSheet:
    """A new panel of the same layer, built from the board as it is now, for the same width."""
    new = type(panel)(panel.stepper, panel.l_index, panel.digits)
    new.hidden, new._avail, new.group = panel.hidden, panel._avail, panel.group  # (the same screen's cells' width)
    new._parent = panel.parent  # (the same screen's arrangement: G beside W or under it, as its other panels)
    new._build(panel._produced)
    panel.parent.arrangement.leave(new)
    return new


async def steps_format_only_what_they_change(name: str, notation: str | None, steps: int) -> None:
    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation] if notation else None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        assert panels and all(isinstance(p, ProfileSeqSheet) == (notation is not None) for p in panels)
        formatted: dict[str, int] = {}
        for panel in panels:
            number_text = panel.number_text
            panel.number_text = (lambda x, fmt=None, p=panel, f=number_text:  # type: ignore[method-assign]
                                 (formatted.__setitem__(p.id, formatted.get(p.id, 0) + 1), f(x, fmt))[1])
        drawn: dict[str, set[int]] = {}  # the lines each panel drew in a press (a scroll brings new ones into view)
        for panel in panels:
            render_line = panel.render_line
            panel.render_line = (lambda y, p=panel, f=render_line:  # type: ignore[method-assign]
                                 (drawn.setdefault(p.id, set()).add(p.content_row(y)), f(y))[1])
        main = app.main
        moves = [main.action_next] * steps + [main.action_to_update] + [main.action_next] * 4 + ["+", "-"]
        kept = 0  # lines a step left as they were, over the whole run
        for move in moves:
            before = {p.id: list(p.lines) for p in panels}
            unmade = {p.id: {y for y, line in enumerate(p.lines) if getattr(line, "made", True) is False} for p in panels}
            formatted.clear()
            drawn.clear()
            if isinstance(move, str):
                await pilot.press(move)
            else:
                move()
            await pilot.pause()
            what = (name, notation, move if isinstance(move, str) else app.stepper.last.key)
            for panel in panels:
                count = formatted.get(panel.id, 0)  # (what the step formatted: reading a deferred line below makes it)
                new = fresh(panel)
                assert [list(line) for line in new.lines] == [list(line) for line in panel.lines], (*what, panel.id)
                assert new.cells == panel.cells and new.virtual_size == panel.virtual_size, (*what, panel.id)
                old = before[panel.id]
                changed = [line for y, line in enumerate(panel.lines) if y >= len(old) or old[y] != line]
                kept += len(panel.lines) - len(changed)
                # the profile's W │ U, b and their gradients are formatted a part at a time (its weights
                # over the grid); the grid, and the lecture's every line, a changed line at a time
                weights = panel.lines[:panel.grid_top] if isinstance(panel, ProfileSeqSheet) else []
                # and the lines made when first drawn, which the step's scroll brought into view (never drawn before)
                first_drawn = [panel.lines[y] for y in drawn.get(panel.id, set()) & unmade[panel.id] if y < len(panel.lines)]
                bound = sum(numbers(line) for line in changed) + sum(numbers(line) for line in weights) \
                    + sum(numbers(line) for line in first_drawn)
                if isinstance(move, str):  # + and −: every number again (x's 0 and 1 read the same at both
                    # digits), and again when the screen's one cell width settles only once the last panel has
                    # taken the new digits (the panels take them one after the other: ``CellGroup``)
                    bound = 2 * sum(numbers(line) for line in panel.lines)
                assert count <= bound, (*what, panel.id, count, bound)
        assert kept > steps, (name, notation, kept)


async def test_a_lecture_sequence_panel_formats_only_the_lines_a_step_changes():
    """long_memory_lstm (an LSTM over 30 steps), count_tokens (attention) and tiny_transformer (residual
    blocks, a layer norm, attention): at each step, an update, and + and −."""
    for name, steps in (("long_memory_lstm", 40), ("count_tokens", 30), ("tiny_transformer", 30)):
        await steps_format_only_what_they_change(name, None, steps)


async def test_a_profile_sequence_panel_formats_only_the_grid_lines_a_step_changes():
    """The same in nielsen's and cs231n's notation (column and row vectors, G/m)."""
    for name, notation in (("long_memory_lstm", "nielsen"), ("count_tokens", "cs231n"), ("gru_parity", "nielsen")):
        await steps_format_only_what_they_change(name, notation, 30)


def done_afresh(stepper) -> set:
    """(quantity, layer, τ) of every step done in the example on the board, read off the schedule from
    the example's first step."""
    done: set = set()
    for q in range(stepper.position):
        key = stepper.schedule.key(q)
        if key.example is None or key.example_start:
            done = set()
        if key.example is not None:
            done.add((key.quantity, key.layer, key.time))
    return done


async def test_the_sequence_panels_share_the_steps_done_and_read_each_step_once():
    """tiny_transformer, through its first example and update: the steps done in the example (which tell a
    NaN that is a value from a number not computed yet) are what the schedule says at every step, in every
    panel, and the screen's sequence panels read them off the schedule together, a step at a time: a panel
    whose board the last step did not touch does not walk back through the whole example again (7 panels
    of a 49-step example each read up to 48 steps' keys)."""
    app = BptuiApp(load(NETWORKS / "tiny_transformer.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        assert len(panels) > 2
        read = 0
        add_done = SeqSheet._add_done

        def counted(done: set, key) -> bool:
            nonlocal read
            read += 1
            return add_done(done, key)

        SeqSheet._add_done = staticmethod(counted)  # type: ignore[method-assign]
        try:
            presses = app.stepper.schedule.per_example if app.stepper.schedule.lengths is None else \
                len(app.stepper.schedule.blocks[int(app.stepper.schedule.lengths[0])]) + 4
            for _ in range(presses):
                app.main.action_next()
                await pilot.pause()
                expected = done_afresh(app.stepper)
                for panel in panels:
                    assert panel._done() == expected, (panel.id, app.stepper.last.key)
        finally:
            SeqSheet._add_done = staticmethod(add_done)  # type: ignore[method-assign]
        assert read <= 2 * presses, (read, presses)


async def test_a_sequence_panel_measures_the_ends_of_a_kept_line_once(monkeypatch):
    """tiny_transformer at 120×40 (its optimizer's states beside W's rows): a line kept from one build to
    the next (the same object) has its ends measured once while it is kept, and the panel places its states
    as a new panel does from the same board (``fresh``)."""
    from bptui.tui import seq_sheet

    app = BptuiApp(load(NETWORKS / "tiny_transformer.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        measured: list[int] = []
        ends = seq_sheet._ends
        monkeypatch.setattr(seq_sheet, "_ends", lambda line: (measured.append(id(line)), ends(line))[1])
        for _ in range(60):
            app.main.action_next()
            await pilot.pause()
        assert any(panel.beside for panel in panels)
        measured.clear()
        for panel in panels:
            panel.rebuild()
        assert not measured, len(measured)
        for panel in panels:
            assert [list(line) for line in panel.lines] == [list(line) for line in fresh(panel).lines], panel.id


async def test_a_step_onto_another_tau_draws_only_the_tau_line_of_a_panel_it_did_not_write_in(monkeypatch):
    """tiny_transformer through its first example, its loss and its backward pass into layer 5: at a step
    that moves the current τ, a panel neither the step nor the one before it wrote in has its grid's τ line (its
    ▶) made again and
    nothing else (its lines not walked: ``set_lines`` not called), and shows what a new panel builds from the
    same board, its title and its cells; the panel the step wrote in is built as before."""
    app = BptuiApp(load(NETWORKS / "tiny_transformer.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        assert len(panels) == 7
        set_by: list[str] = []
        set_lines = SeqSheet.set_lines
        stepping = [False]  # in the step's drawing of the board (not the new panels this test builds, whose
        # states placed anew ask the screen's panels to build again: ``_states_beside``)
        monkeypatch.setattr(SeqSheet, "set_lines", lambda self, lines: (
            stepping[0] and set_by.append(self.id), set_lines(self, lines))[1])
        show_board = SeqSheet.show_board

        def showing(self, *args):
            stepping[0] = True
            try:
                show_board(self, *args)
            finally:
                stepping[0] = False

        monkeypatch.setattr(SeqSheet, "show_board", showing)
        retimed = 0
        from bptui.tui.seq_sheet import current_time
        for _ in range(80):
            t_before = current_time(app.stepper)
            wrote = app.stepper.last.key.layer if app.stepper.last is not None else None  # (its ▶ leaves: built)
            widths = [(p.cw, p._avail, p._crowded_as) for p in panels]  # (a new cells' width builds every panel)
            set_by.clear()
            app.main.action_next()
            await pilot.pause()
            last = app.stepper.last.key
            for panel in panels:
                new = fresh(panel)
                what = (last, panel.id)
                assert [list(line) for line in new.lines] == [list(line) for line in panel.lines], what
                assert new.cells == panel.cells and new.virtual_size == panel.virtual_size, what
                assert panel.border_title == panel._title(), what
                head = panel.lines[panel.grid_top]
                t = current_time(app.stepper)
                if t is not None and app.stepper.spec.timed[panel.l_index - 1]:
                    assert [text.strip() for text, _, _ in head if "▶" in text] == [f"▶τ={t}"], what
            if t_before is not None and current_time(app.stepper) not in (None, t_before) \
                    and widths == [(p.cw, p._avail, p._crowded_as) for p in panels]:
                others = [p.id for p in panels if p.l_index not in (last.layer, wrote)]
                assert not set(others) & set(set_by), (last, sorted(set_by))
                retimed += 1
        assert app.stepper.last.key.phase == "backward" and app.stepper.last.key.layer == 5
        assert retimed >= 10, retimed

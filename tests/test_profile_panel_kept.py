"""A profile's panel keeps the parts a step did not change (issue 23's speed): a panel drawn step after
step, forwards and back, in panels of any width, holds the very lines, styles, keys and cells that a
panel made anew for that board holds, in every profile (the ▶, • and highlight of a step's product
gone the step after, a quiz's hidden cell, other digits)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from textual.geometry import Region, Size

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import parse
from bptui.tui.profile_sheet import ProfileSheet

from .test_formula import networks
from .test_notation_panels import ALL, built

_WIDE = parse(
    {"layers": [{"units": 40}, {"units": 12, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"}],
     "init": {"seed": 3, "scale": 0.5}, "loss": "squared",
     "data": {"inputs": [[0.1 * ((i * j) % 7) for i in range(40)] for j in range(3)], "targets": [[0, 1], [1, 0], [1, 1]]},
     "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 2}}, "wide.json")


def rebuilt(stepper, sheets, digits: int, hidden) -> None:
    """Draw the board on panels that were drawn before (as the app's show() does)."""
    last = stepper.last
    for sheet in sheets:
        sheet.digits, sheet.hidden = digits, hidden if hidden and hidden[1] == sheet.l_index else None
        sheet._produced = last.key.quantity if last is not None and last.key.layer == sheet.l_index else None
        sheet._build(sheet._produced)


def same(kept, fresh) -> None:
    for old, new in zip(kept, fresh):
        old_lines, new_lines = ([list(line) for line in s.lines] for s in (old, new))  # a deferred line made when read
        assert old_lines == new_lines, (old.l_index, [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b])
        assert old.cells == new.cells and old.virtual_size == new.virtual_size and old.heading_lines == new.heading_lines


@settings(max_examples=12, deadline=None, derandomize=True)
@given(networks(), st.integers(2, 6), st.sampled_from(sorted(ALL)), st.integers(30, 200), st.floats(0, 1),
       st.lists(st.sampled_from(["forward"] * 4 + ["back", "digits", "hide"]), min_size=8, max_size=30))
@example(spec=_WIDE, digits=4, name="cs231n", width=60, start=0.0, moves=["forward"] * 30 + ["back", "hide", "forward"])
def test_a_panel_drawn_step_after_step_holds_what_a_new_one_holds(spec, digits, name, width, start, moves):
    ProfileSheet.scrollable_content_region = property(lambda self: Region(0, 0, width, 20))  # type: ignore[assignment]
    ProfileSheet.room = lambda self, scrollbars=True: Size(width, 20)  # type: ignore[method-assign]  # (the width it is built for)
    try:
        stepper = Stepper(spec, notation=ALL[name])
        stepper.goto(int(start * len(stepper.schedule)))  # anywhere in the epoch: its updates too
        kept = built(stepper, digits)
        hidden = None
        for move in moves:
            if move == "forward":
                stepper.forward()
            elif move == "back" and stepper.last is not None:
                stepper.back()
            elif move == "digits":
                digits = 2 + (digits - 1) % 5
            elif move == "hide":  # the quiz hides a weight of the last layer, or shows it again
                hidden = None if hidden else ("W", stepper.spec.L, 0, 1)
            rebuilt(stepper, kept, digits, hidden)
            fresh = built(stepper, digits)
            if hidden:
                rebuilt(stepper, fresh, digits, hidden)
            same(kept, fresh)
    finally:
        del ProfileSheet.scrollable_content_region, ProfileSheet.room  # Widget's and NumberSheet's again


def test_cs231n_makes_a_big_parts_lines_when_they_are_read():
    """cs231n shows W¹ and G¹ of a 300-input layer as 300 lines each (Deferred): the step that makes G¹ (and
    the update of W¹) formats none of them until they are drawn or read; read, they are the board's numbers."""
    from bptui.tui.profile_sheet import Deferred

    from .test_notation_panels import check_board

    doc = {"layers": [{"units": 300}, {"units": 4, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
           "init": {"seed": 1, "scale": 0.3}, "loss": "squared",
           "data": {"inputs": [[((i * 7 + j) % 11) / 11 for i in range(300)] for j in range(2)], "targets": [[0], [1]]},
           "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}
    stepper = Stepper(parse(doc, "wide.json"), notation=ALL["cs231n"])
    sheets = built(stepper)
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 1):
        stepper.forward()
        sheets = built(stepper, sheets=sheets)
        parts = [c for c in sheets[0]._measured.values() if isinstance(c[0], Deferred)]
        assert len(parts) == 2 and all(part.count == 300 and not part._made for part, _, _ in parts)
    assert check_board(stepper, sheets) > 0  # every line read: W¹ updated, G¹, each entry its value


async def test_a_panel_rebuilt_after_steps_it_did_not_draw_marks_the_last_step():
    """A resize (or a new arrangement) rebuilds a panel between two draws: after a burst of steps the
    panels have not drawn yet, the step the panel last saw (layer 1's s) is not the stepper's last
    (layer 2's s, one unit). The rebuild marked layer 1's s with layer 2's changes: an IndexError
    ("Something went wrong") in cs231n's xor. It marks what the last step wrote: nothing in layer 1."""
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    app = BptuiApp(load(NETWORKS / "xor.json"), PROFILES["cs231n"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        sheet = app.screen.query_one("#layer-1", ProfileSheet)
        assert sheet._produced == "s" and marked(sheet)  # s¹'s numbers
        app.stepper.forward()
        app.stepper.forward()  # o¹, then s² (layer 2's one unit): not drawn yet
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert app.stepper.last is not None and app.stepper.last.key.layer == 2
        assert sheet._produced is None
        assert not marked(sheet)


def marked(sheet: ProfileSheet) -> bool:
    """Whether a number of the panel carries the • of a step's change."""
    return any("•" in run[0] for line in sheet.lines for run in list(line))


def test_an_update_formats_the_optimizer_state_under_the_rows_when_it_is_read():
    """ng shows momentum's v under a dense layer's rows (its W part and its b, a row per unit): the update that
    makes a new v formats none of its rows until they are drawn or read (Deferred, as wide as they are);
    read, each row is the unit's v in the state's one format."""
    from bptui.core.formulas.numformat import cell
    from bptui.tui.profile_sheet import Deferred
    from bptui.tui.view import number_format, optimizer_state

    from .test_notation_panels import built

    doc = {"layers": [{"units": 3}, {"units": 5, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
           "init": {"seed": 2, "scale": 0.5}, "loss": "cross_entropy",
           "data": {"inputs": [[0.1 * i, -0.2 * i, 0.3] for i in range(4)], "targets": [[0], [1], [1], [0]]},
           "training": {"learning_rate": 0.1, "update": "full_batch", "optimizer": "momentum", "momentum": 0.9,
                        "epochs": 1}}
    P = ALL["ng"]
    stepper = Stepper(parse(doc, "momentum.json"), notation=P)
    sheets = built(stepper)
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 1):
        stepper.forward()
        sheets = built(stepper, sheets=sheets)
    sheet = sheets[0]
    parts = [part for part, _, _ in sheet._measured.values() if isinstance(part, Deferred) and part is not rows_of(sheet)]
    assert len(parts) == 1 and not parts[0]._made
    (_, v), = optimizer_state(stepper, 1, P)
    fmt = number_format(v, 4)
    weights, bias = P.weights_shown(v), P.bias_shown(v)
    part = parts[0]
    assert part.count == 5
    for i in range(part.count):
        line = list(sheet.lines[sheet.lines.index(part.lines[i])])
        assert [text.strip() for text, style, _ in line if style in ("pos", "neg")] == \
            [cell(float(x), 4, fmt) for x in weights[i]] + [cell(float(bias[i]), 4, fmt)]
        assert sum(len(text) for text, _, _ in line) == part.width


def rows_of(sheet):
    """A panel's rows (a row per unit), as its lines hold them."""
    from bptui.tui.panel_base import Deferred

    (rows,) = [part for part, _, _ in sheet._measured.values() if isinstance(part, Deferred) and part.lines[0] in sheet.lines
               and sheet.lines.index(part.lines[0]) == 2]
    return rows


def test_a_step_puts_together_only_the_rows_drawn_or_read():
    """A dense panel's rows (a row per unit: W's row, b, z, a, dz in ng) are put together, measured and compared
    with the rows before only when drawn or read: the update of W¹ makes the first and the last row (the rows'
    width) and no other; read, every row holds the board's numbers under its headings, and the panel's width is
    its widest line's."""
    from .test_notation_panels import built, check_board

    stepper = Stepper(_WIDE, notation=ALL["ng"])
    sheets = built(stepper)
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 1):
        stepper.forward()
        sheets = built(stepper, sheets=sheets)
    sheet = sheets[0]
    rows = rows_of(sheet)
    assert rows.count == 12 and set(rows._made) <= {0, 11}
    assert check_board(stepper, [sheet]) > 0
    assert sheet.virtual_size.width == max(sum(len(text) for text, _, _ in line) for line in sheet.lines)


def test_an_update_dims_s_o_and_delta_without_formatting_them_again():
    """The first update dims s, o and δ in every panel (the example's values, which the new weights no longer
    make): a panel whose layer the update did not change formats no number for it, and holds what a panel
    made anew for that board holds."""
    from unittest import mock

    from .test_notation_panels import built

    for name in ("ng", "cs231n", "goodfellow"):
        stepper = Stepper(_WIDE, notation=ALL[name])
        sheets = built(stepper)
        while stepper.next_key.phase != "update":
            stepper.forward()
            sheets = built(stepper, sheets=sheets)
        stepper.forward()
        updated = stepper.last.key.layer
        others = [sheet for sheet in sheets if sheet.l_index != updated]
        assert others
        with mock.patch("bptui.tui.profile_sheet.cell", side_effect=AssertionError("a number formatted")):
            built(stepper, sheets=others)
        same(others, built(stepper, sheets=[ProfileSheet(stepper, s.l_index, 4) for s in others]))
        assert any(style == "dim" for sheet in others for line in sheet.lines for _, style, _ in line)

"""A newcomer's first ten minutes (issue 24, tried again as a student and a teacher): what they hit
on screen, each pinned by a pilot test."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS
from .tui_helpers import app_for


def _help_lines(app) -> tuple[list[str], int]:
    """The help's lines as its widget holds them, and the width it has for them."""
    widget = app.screen.query_one("#help-text")
    return str(widget.render()).splitlines(), widget.content_region.width


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("name,notation", [("xor", None), ("moons", "nielsen"), ("lecture13", None)])
async def test_the_help_wraps_each_line_under_its_own_column(size, name, notation):
    """At 80 columns every row of the help's tables wrapped at the dialog's left edge, a key's
    description going on under the keys (`s  settings: …` / `restarts at step 0` at column 0; the
    notation's meanings under the formulas; at 120 too, for `s` and `m`). Now every line fits the
    width the dialog has (nothing left for the terminal to wrap) and a description that wraps goes on
    under its own column."""
    from bptui.core.formats.spec import load_any
    from bptui.tui.help import HelpScreen

    spec = load_any(NETWORKS / f"{name}.json")
    if name == "lecture13":
        from bptui.tui.graph_app import GraphApp

        app = GraphApp(spec)
    else:
        from bptui.tui.app import BptuiApp

        app = BptuiApp(spec, notation=PROFILES[notation]) if notation else BptuiApp(spec)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines, width = _help_lines(app)
        assert width < size[0]
        too_long = [line for line in lines if cell_len(line) > width]
        assert not too_long, too_long
        keys = lines.index("KEYS")
        rows = lines[keys + 1:lines.index("", keys)]
        column = rows[0].index("next step")
        # a key's row starts two columns in; its description's other lines start at the description's column
        for row in rows:
            assert row.startswith("  ") and (row[2] != " " or row[:column].strip() == ""), row
            if row[:column].strip() == "":
                assert cell_len(row) - cell_len(row.lstrip(" ")) >= column, row
        if name != "lecture13":
            s_row = next(i for i, row in enumerate(rows) if row.startswith("  s "))
            said = " ".join(row.strip() for row in rows[s_row:s_row + 3])
            assert "init, data; restarts at step 0" in said.replace("  ", " "), said


def test_the_help_says_where_r_returns_after_the_settings():
    from bptui.tui.help import help_text

    text = help_text(load(NETWORKS / "xor.json"), width=200)
    assert "reset to the file's weights (after s: to the weights the settings were applied with)" in text


@pytest.mark.asyncio
@pytest.mark.parametrize("width, height, shown", [(120, 40, 16), (80, 24, 10)])
async def test_the_footer_keeps_its_keys_with_the_cursor_in_a_panel(width, height, shown):
    """Tab put `⏎ Edit weight` first in the footer, which pushed `? Help` and `q Quit` off it at 120
    columns (and `m` at 80), while the side panel says Enter on a W cell and the help lists it. The
    footer is the same with the cursor in a panel as without."""
    from .test_panels import FOOTER, _footer_keys

    app = app_for("xor")
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.press("n", "tab")
        await pilot.pause()
        assert [k for k, _, _ in _footer_keys(app)] == FOOTER[:shown]
        await pilot.press("right")
        await pilot.pause()
        assert [k for k, _, _ in _footer_keys(app)] == FOOTER[:shown]


@pytest.mark.parametrize("change_settings, target", [
    (False, "the file's weights"), (True, "the weights the settings were applied with (s)")])
async def test_the_training_screen_says_which_weights_r_returns_to(change_settings, target):
    """The training screen's closing line hedged, whatever the case: "(r: back to the file's, or to
    those s applied)". It names the one r returns to, as the stepper's message does after Esc."""
    from .test_newcomer import _train
    from .test_settings_tui import apply_settings

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        if change_settings:
            await apply_settings(pilot, app, learning_rate="0.2")
        screen = await _train(pilot, app, 1)
        said = str(screen.query_one("#train-message").render())
        assert said.endswith(f"The stepper now starts from these weights; r goes back to {target}. Esc returns to it."), said
        assert "((" not in said and "))" not in said, said  # (no parentheses nested in the closing line)


async def test_the_gradient_bars_give_the_ratio_under_the_curves():
    """xor after 500 epochs: the bars printed ‖G⁽¹⁾‖ = 0.0023 and ‖G⁽²⁾‖ = 0.0045 (0.511 redone) and
    the curves' legend ‖G⁽¹⁾‖/‖G⁽²⁾‖ = 0.517. The bars now carry the digits the ratio needs."""
    import re

    from .test_newcomer import _train

    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 500)
        bars = str(screen.query_one("#train-grads").render())
        curves = "\n".join(strip.text for strip in screen.query_one("#train-grad-curves").render_lines(
            screen.query_one("#train-grad-curves").region.reset_offset))
    numbers = [re.findall(r"(?<!\S)−?\d[\d.]*(?:e−?\d+)?(?!\S)", line[len("l = 1"):]) for line in bars.splitlines()
               if line.startswith("l = ")]
    g = [float(found[0].replace("−", "-")) for found in numbers]  # ‖G⁽ˡ⁾‖, then mean |δ⁽ˡ⁾|
    ratio = re.search(r"‖G⁽¹⁾‖/‖G⁽²⁾‖ = (\S+)", curves).group(1)
    assert f"{g[0] / g[-1]:.3g}" == ratio, (bars, ratio)


def test_the_gradient_bars_carry_the_digits_of_the_ratio():
    import numpy as np

    from bptui.tui.plots import norm_texts, ratio_text

    rng = np.random.default_rng(0)
    for _ in range(2000):
        norms = list(10.0 ** rng.uniform(-7, 2, size=int(rng.integers(2, 6))))
        shown = norm_texts(norms)
        redone = float(shown[0].replace("−", "-")) / float(shown[-1].replace("−", "-"))
        assert f"{redone:.3g}" == ratio_text(norms), (norms, shown)
        assert len(set(len(t) for t in shown)) <= 2  # one format for the column


@pytest.mark.parametrize("name, axis", [("xor", "x₁"), ("regression", "x")])
async def test_the_map_in_the_panels_place_shows_its_axis_and_legend(name, axis):
    """At 80×24, `m` puts the map in the panels' place; it kept 14 rows where the screen had 11 for
    it, so its x axis, its legend and its bottom border were under the footer. Now all of it is on
    screen."""
    app = app_for(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        side = app.screen.query_one("#side-map")
        assert app.screen.query_one("#main").has_class("map-only")
        footer_top = 23
        assert side.region.bottom <= footer_top, side.region
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # as drawn
        rows = text.splitlines()[side.region.y:side.region.bottom]
        assert rows[-1].startswith("╰") and any(f" {axis} " in row for row in rows), text


def test_the_bundled_descriptions_write_the_prime_as_the_app_does(capsys):
    """`bptui examples` read deep_relu's "f'(s) = 1" and deep_sigmoid's "f'(s) ≤ 1/4" (an ASCII
    apostrophe) where every equation, the help and the manual write f′."""
    from bptui.cli import main

    main(["examples"])
    out = capsys.readouterr().out
    assert "f′(s) = 1 where a unit is active" in out and "f′(s) ≤ 1/4" in out
    assert "f'" not in out


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_the_worked_solution_says_why_some_numbers_carry_more_digits(capsys, fmt):
    """xor's worked solution substitutes −0.20061 (five digits, so that the product checks to its last
    digit) and closed with "Numbers are rounded to 4 significant digits": a careful student finds
    the page contradicting itself. It says which numbers carry more, and why."""
    from bptui.cli import main

    assert main(["export", "xor", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "0.20061" in out
    assert "Numbers are rounded to 4 significant digits" not in out
    assert ("Results are rounded to 4 significant digits; a number substituted into a step carries one or two "
            "more where the result needs them to check to its last digit") in out


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_long_line_of_the_explanation_goes_on_under_its_own_column(size):
    """xor, δ₁⁽¹⁾ at step 9: the side panel folded "δ₁⁽¹⁾ = ∂ℓ⁽¹⁾/∂o₁⁽¹⁾ · ∂o₁⁽¹⁾/∂s₁⁽¹⁾   (c = 1 … 1)"
    at its left edge ("1)" alone under the heading). Every line now fits the panel, and a folded line
    goes on right of where it starts."""
    app = app_for("xor")
    async with app.run_test(size=size) as pilot:
        await pilot.press(*["n"] * 9, "tab", *["right"] * 5)
        await pilot.pause()
        panel = app.screen.query_one("#explain")
        width = panel.content_size.width
        given = panel.text.splitlines()
        shown = str(panel.render()).splitlines()
        assert "(c = 1 … 1)" in panel.text and given[0].startswith("δ₁⁽¹⁾ = 0.1911")
        assert all(cell_len(line) <= width for line in shown), (width, shown)
        # a folded line goes on two columns right of where it starts: only the heading starts at the edge
        assert sum(not line.startswith(" ") for line in shown) == sum(not line.startswith(" ") for line in given), shown


@pytest.mark.parametrize("size", [(40, 12), (60, 20)])
@pytest.mark.parametrize("name, formula, meaning", [
    ("xor", "o⁽⁰⁾ = [1, x]", "the input, with a leading 1 for the bias"),
    ("lecture13", "g_y = 1", "the reverse pass starts at the output"),
])
async def test_the_help_reads_at_a_small_size(size, name, formula, meaning):
    """At 40×12 the help's tables put each word of a meaning on its own line (`the` / `input,` /
    `with` …), its second column starting past the dialog's width. Below the width a table's two
    columns need, each row is written as a formula (or key) on its line and its meaning under it,
    wrapped to the width: every line fits, and a short meaning takes one or two lines."""
    from bptui.core.formats.spec import load_any
    from bptui.tui.help import HelpScreen

    spec = load_any(NETWORKS / f"{name}.json")
    if name == "lecture13":
        from bptui.tui.graph_app import GraphApp

        app = GraphApp(spec)
    else:
        from bptui.tui.app import BptuiApp

        app = BptuiApp(spec)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines, width = _help_lines(app)
        too_long = [line for line in lines if cell_len(line) > width]
        assert not too_long, too_long
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(formula))
        for n in (1, 2, 3):
            if " ".join(" ".join(lines[at:at + n + 1]).split()).endswith(meaning):
                break
        else:
            raise AssertionError(lines[at:at + 8])
        assert n <= 2, lines[at:at + n + 1]
        keys = lines.index("KEYS")
        quit_row = next(i for i in range(keys, len(lines)) if lines[i].split()[:1] == ["q"])
        assert " ".join(lines[quit_row:quit_row + 2]).split()[:2] == ["q", "quit"], lines[quit_row:quit_row + 2]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_sideways_scroll_with_no_panel_to_scroll_says_how(size):
    """`[` / `]` on the layer panels with the cursor in none of them did nothing and said nothing (the help's
    "else the panel with the cursor"): a key that seems dead. It says how to give it a panel; with the cursor in
    one, or a diagram on screen (c, d), it scrolls as before and says nothing."""
    from bptui.tui.stepping import MessageLine

    app = app_for("xor")
    async with app.run_test(size=size) as pilot:
        said = lambda: app.screen.query_one(MessageLine).text  # noqa: E731
        await pilot.press("n", "right_square_bracket")
        await pilot.pause()
        assert "Tab" in said() and "[ ]" in said(), said()
        await pilot.press("n")  # a step clears the message line
        await pilot.pause()
        await pilot.press("tab", "right_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert said() == ""
        await pilot.press("escape", "c", "right_square_bracket")
        await pilot.pause()
        assert said() == ""


@pytest.mark.parametrize("name", ["xor", "lecture13"])
async def test_plus_and_minus_at_their_end_say_so(name):
    """`-` at the fewest digits and `+` at the most did nothing and said nothing, as `p` at the first step
    does not (it says "Already at the first step."). They say so; a press that changes the digits takes the
    remark away again, and says nothing itself."""
    from bptui.core.formats.spec import load_any
    from bptui.tui.stepping import MAX_DIGITS, MIN_DIGITS, MessageLine

    if name == "lecture13":
        from bptui.tui.graph_app import GraphApp

        app = GraphApp(load_any(NETWORKS / f"{name}.json"))
    else:
        app = app_for(name)
    async with app.run_test(size=(80, 24)) as pilot:
        said = lambda: app.screen.query_one(MessageLine).text  # noqa: E731
        await pilot.press("n", "minus")
        await pilot.pause()
        assert said() == ""
        await pilot.press(*["minus"] * 10)
        await pilot.pause()
        assert app.screen.digits == MIN_DIGITS and said() == "Already at the fewest digits: + shows more.", said()
        await pilot.press("plus")
        await pilot.pause()
        assert said() == ""
        await pilot.press(*["plus"] * 10)
        await pilot.pause()
        assert app.screen.digits == MAX_DIGITS and said() == "Already at the most digits: - shows fewer.", said()


@pytest.mark.parametrize("key", ["s", "t", "u", "e", "m", "d", "c", "g", "w"])
async def test_the_network_apps_keys_say_why_they_do_nothing_on_a_graph(key):
    """A student who stepped xor and opens lecture13 presses the keys they learned there: s, t, u, e, m, d, c,
    g and w did nothing on a computation graph and said nothing. They say why (no weights) and where the keys
    are; the graph's own keys still work (n steps)."""
    from bptui.core.formats.spec import load_any
    from bptui.tui.graph_app import GraphApp
    from bptui.tui.stepping import MessageLine

    app = GraphApp(load_any(NETWORKS / "lecture13.json"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert app.screen.query_one(MessageLine).text == "No s t u e m d c g w here (a graph has no weights); ? lists this app's keys."
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.stepper.position == 1 and app.screen.query_one(MessageLine).text == ""

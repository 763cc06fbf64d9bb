"""The equation line of an update step printed to the line's limit (``equation(limit=…)``): the optimizer's
equations are built one at a time as they are printed, and the one that reaches the limit is printed only as
far as the form that reaches it; the text is always the whole text's beginning, as long as the limit at least."""

import numpy as np

from bptui.core.engine import equations
from bptui.core.engine.equations import SEPARATOR, step_equation
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS


def _updates(name: str, notation=None, count: int = 3):
    stepper = Stepper(load(NETWORKS / f"{name}.json"), notation=notation)
    while stepper.next_key.phase != "update":
        stepper.forward()
    for _ in range(count):
        if stepper.next_key is None or stepper.next_key.phase != "update":
            return
        yield stepper, stepper.forward()


def test_an_update_line_builds_and_prints_only_what_its_limit_shows(monkeypatch):
    built: list[object] = []
    real = equations.Equation

    def counted(*args, **kwargs):
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(equations, "Equation", counted)
    checked = within = 0
    for notation in (None, PROFILES["nielsen"]):  # adam's five equations; nielsen's W and b apart: ten
        for stepper, step in _updates("moons_layernorm", notation):
            built.clear()
            whole = step_equation(stepper, step, 4)
            every = len(built)
            assert every >= 5 and whole.count(SEPARATOR) == every - 1, step.key
            for limit in (1, 40, 100, 300):
                built.clear()
                cut = step_equation(stepper, step, 4, limit=limit)
                assert whole.startswith(cut) and len(cut) >= limit, (step.key, limit)
                assert len(built) == cut.count(SEPARATOR) + 1 < every, (step.key, limit, len(built))
                # cut after a form of the equation that reached the limit: its next form, its note or the next
                # equation follows in the whole
                rest = whole[len(cut):]
                assert rest.startswith((" = ", "   (", SEPARATOR)), (step.key, limit, rest[:20])
                within += rest.startswith(" = ")
                checked += 1
    assert checked == 2 * 3 * 4 and within >= checked // 2, (checked, within)


def test_an_update_line_to_a_limit_agrees_with_the_whole_in_every_profile():
    """Every profile's update lines of an sgd, a momentum and an adam network (W and b apart, a mean G, a
    layer norm's γ and β): cut at each limit, the whole text's beginning; without a limit, the whole."""
    for name in ("xor", "moons", "moons_layernorm", "count_tokens"):
        for notation in (None, *PROFILES.values()):
            try:
                updates = list(_updates(name, notation, 4))
            except Exception:  # a profile that does not fit the network (profile_fits)
                continue
            for stepper, step in updates:
                whole = step_equation(stepper, step, 4)
                assert step_equation(stepper, step, 4, limit=None) == whole
                for limit in (1, 25, 120, 496, 10_000):
                    cut = step_equation(stepper, step, 4, limit=limit)
                    assert whole.startswith(cut) and len(cut) >= min(limit, len(whole)), (name, step.key, limit)


def test_the_kept_cuts_of_a_line_are_richs_for_that_line_and_width():
    """The equation line's cut, measured and then drawn, is wrapped once (``stepping._cuts``, kept by line and
    width): each line and width gets rich's own cuts and Textual's row count, a line of the same length with other
    words, or the same line at another width, never the cuts kept for another."""
    from rich._wrap import divide_line
    from textual.content import Content
    from textual.style import Style

    from bptui.tui.stepping import _cuts, _line_strips, text_rows

    line = "m⁽¹⁾ ← β₁ m⁽¹⁾ + (1 − β₁) G⁽¹⁾ = " + ", ".join(f"{(-1) ** i * i / 7:.4f}" for i in range(60))
    other = line.replace(", ", " ,", 30)  # as long, cut elsewhere
    assert divide_line(other, 37, fold=True) != divide_line(line, 37, fold=True)
    for text, width in ((line, 37), (other, 37), (line, 80), (line, 37), (other, 21), (line, 21)):
        assert _cuts(text, width) == divide_line(text, width, fold=True), width
        assert text_rows(text, width) == len(Content(text).wrap(width)), width
        rows = [strip.text for strip in _line_strips(0, text, width, Style())]
        assert "".join(rows).replace(" ", "") == text.replace(" ", "") and len(rows) == text_rows(text, width)


async def test_the_app_builds_an_update_line_as_far_as_its_rows_show_it(monkeypatch):
    """The equation line asks the core for an update's text as far as the rows it has (one row more, and a
    little, to tell that it goes on): tiny_transformer's status takes a row of the equation's three at 120×40,
    so its update lines are built and planned for two rows, not three. What the line shows is the whole
    equation cut as it always was: the same text as with the whole equation built."""
    from bptui.tui.stepping import TextLine

    from .tui_helpers import app_for

    asked: list[int | None] = []
    real = equations.step_equation

    def step_equation_spy(stepper, step, digits=4, pos=None, limit=None):
        asked.append(limit)
        return real(stepper, step, digits, pos, limit)

    monkeypatch.setattr(equations, "step_equation", step_equation_spy)
    app = app_for("tiny_transformer")
    async with app.run_test(size=(120, 40)) as pilot:
        screen, stepper = app.screen, app.stepper
        while stepper.next_key.phase != "update":
            stepper.forward()
        screen.position = stepper.position
        await pilot.pause()
        equation = screen.query_one("#equation", TextLine)
        width = equation.content_region.width
        for _ in range(5):  # each layer's update
            await pilot.press("n")
            await pilot.pause()
            step = stepper.last
            assert step.key.phase == "update"
            rows = equation.styles.height.value
            assert rows == 2  # the status took one of the equation's three rows
            assert asked[-1] is not None and asked[-1] <= (rows + 1) * width + 24, (asked[-1], width)
            shown = str(equation.content)
            whole = real(stepper, step, screen.digits, None, None)
            asked.clear()
            screen._show_equation(whole)  # the whole text, cut by the line as it cuts any
            assert str(equation.content) == shown, step.key


def test_an_update_equation_takes_the_shown_part_of_only_the_numbers_it_names(monkeypatch):
    """A profile's update equation is built with the numbers it names only: its bindings are its own symbols
    (the left side and the right side's), each the board's number as the part shows it, and the part of an
    array (a layer norm's γ column, ng's W and b apart) is taken only for those, so that the first equation
    printed takes no other array's part (ng's v^[2] ← β₁ v^[2] + (1 − β₁) (|B| dγ^[2]) takes v's before and
    after and dγ's, not m̂'s, ŝ's, W's …)."""
    from bptui.core.formulas.formula import Sym, evaluate, walk

    taken: list[object] = []
    real = equations.shown_value

    def counted(value, view, *args):
        taken.append(view)
        return real(value, view, *args)

    monkeypatch.setattr(equations, "shown_value", counted)
    checked = 0
    for name in ("moons_layernorm", "moons"):
        for notation in (PROFILES["ng"], PROFILES["nielsen"], PROFILES["cs231n"]):
            for stepper, step in _updates(name, notation, 4):
                taken.clear()
                first = next(equations._update_of(stepper.net, stepper.state, step, stepper.spec.optimizer, notation))
                named = {n for n in walk(first.forms[0]) if isinstance(n, Sym)} | {first.lhs}
                assert set(first.bindings) == named, (name, notation.name, step.key, set(first.bindings) ^ named)
                arrays = [k for k, v in first.bindings.items() if np.ndim(v) == 2]
                assert len(taken) == len(arrays) + 1, (name, notation.name, step.key, taken, arrays)  # and the result
                got = np.asarray(evaluate(first.forms[0], first.bindings), dtype=float)
                result = first.forms[-1]
                assert np.allclose(got, np.asarray(getattr(result, "values", getattr(result, "value", None))),
                                   rtol=1e-12, atol=0), (name, notation.name, step.key)
                checked += 1
    assert checked >= 12, checked


def test_an_update_writes_its_symbols_once_a_layer(monkeypatch):
    """The symbolic side of a layer's update (the optimizer's formulas renamed as the profile writes the part)
    is made once and kept: a later update of the same layer only fills in the numbers."""
    made: list[object] = []
    real = equations.update_formulas

    def counted(*args, **kwargs):
        made.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(equations, "update_formulas", counted)
    for notation in (None, PROFILES["ng"], PROFILES["nielsen"]):
        stepper = Stepper(load(NETWORKS / "moons_layernorm.json"), notation=notation)
        texts: dict[int, list[str]] = {}
        for _ in range(3):  # three groups' updates of every layer
            while stepper.next_key.phase != "update":
                stepper.forward()
            while stepper.next_key is not None and stepper.next_key.phase == "update":
                step = stepper.forward()
                made.clear()
                text = step_equation(stepper, step, 4)
                texts.setdefault(step.key.layer, []).append(text)
                if len(texts[step.key.layer]) > 1:
                    assert made == [], (notation and notation.name, step.key)
        assert len(texts) >= 3 and all(len(t) == 3 for t in texts.values())

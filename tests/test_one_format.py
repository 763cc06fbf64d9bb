"""One number format for the numbers shown together (issue 19 item 5, issue 24 item 6): a matrix, a
row through time, a column of the gradient bars, ‖δ_τ‖; the core's ``numformat`` picks it for every
view. And the app's gradient check says its pass rule in the words of ``bptui check``."""

import math
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bptui.cli import main
from bptui.core.formulas.numformat import FIXED, SCIENTIFIC, cell, cell_width, number_format, texts, widest

from .test_training_tui import _train
from .tui_helpers import app_for

NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:e−?\d+)?")


def shape(text: str) -> tuple[bool, int]:
    """A number's format as shown: scientific or not, and its decimals."""
    mantissa = text.split("e")[0]
    return "e" in text, len(mantissa.split(".")[1]) if "." in mantissa else 0


def one_format(numbers: list[str]) -> bool:
    return len({shape(n) for n in numbers if n not in ("0", "·")}) <= 1


@pytest.mark.parametrize("values,digits,shown", [
    ([0.069, 0.0004, 0.4], 2, ["0.06900", "0.00040", "0.40000"]),  # 0.069 fits its cell: no 6.9e−2
    ([0.069, 100.0], 2, ["0.069", "100.000"]),
    ([0.0217, -7.96e-4, 0.5], 4, ["0.02170", "−0.00080", "0.50000"]),  # a recurrent row of issue 19
    ([9.47e-8, 3.39e-8], 4, ["9.47e−8", "3.39e−8"]),  # ‖δ_τ‖ of issue 19: not 9.47e−08 beside 3.39e−8
    ([21.6, 0.101], 4, ["21.6000", "0.1010"]),  # the gradient bars of issue 24: not 2.16e+01 beside 1.01e−01
    ([0.069, 0.00004, -0.4], 4, ["6.90e−2", "4.00e−5", "−4.00e−1"]),  # −0.400000 would not fit
])
def test_one_format_for_the_numbers_shown_together(values, digits, shown):
    assert texts(values, digits) == shown
    assert number_format(np.array(values), digits) == number_format(values, digits)  # NumPy or plain numbers


VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, -0.0, 1e-7, -3e5, 1e5, 0.069, -0.0004]),
                   st.floats(-1e6, 1e6).map(lambda x: x * 10.0 ** -7))


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES, max_size=12), st.integers(1, 8), st.booleans())
@example([1.0, 1000.0, 1e5], 2, False)  # each in its own format: 1000.00 is wider than either end's cell
def test_a_matrixs_format_and_widest_cell_from_its_extent(values, digits, as_row):
    """A panel reads a matrix's extent once (``numformat.extent``) for its format and its widest cell:
    the format is the one the plain numbers get without NumPy, and the widest cell is as wide as the
    widest finite value's cell, or one more (a minus, when some value is negative: not always the
    widest one's), 3 with none, whatever the values (0, ∞, nan, tiny, huge)."""
    array = np.array(values, dtype=float).reshape((1, -1) if as_row else (-1,))
    fmt = number_format(array, digits)
    assert fmt == number_format([float(x) for x in values], digits)
    for shown in (fmt, None, SCIENTIFIC):
        cells = [len(cell(x, digits, shown)) for x in values if math.isfinite(x)]
        assert max(cells, default=3) <= widest(array, digits, shown) <= max(cells, default=2) + 1


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES.map(abs), max_size=12), st.integers(1, 8), st.booleans())
def test_the_widest_cell_of_numbers_without_a_minus_has_no_column_for_one(values, digits, as_row):
    """An array with no negative entry (Adam's v, squared; a softmax's o) is measured without a minus's
    column: its widest cell is exactly its widest number's, in its own format or the scientific one, so a
    panel's cells of v are not a column wider than v's numbers need (v of 1.05e−10 took 11 columns of
    cells where 10 hold it)."""
    array = np.array(values, dtype=float).reshape((1, -1) if as_row else (-1,))
    for shown in (number_format(array, digits), SCIENTIFIC):
        cells = [len(cell(x, digits, shown)) for x in values if math.isfinite(x)]
        assert widest(array, digits, shown) == max(cells, default=3), [cell(x, digits, shown) for x in values]


def test_a_negative_entry_gives_the_minus_its_column():
    """A negative entry gives the minus its column (an m of −1.05e−10 in 9 columns, a v of 1.05e−10 in 8)."""
    assert widest(np.array([2.82e-6, 1.05e-10]), 4, SCIENTIFIC) == len("1.05e−10")
    assert widest(np.array([2.82e-6, -1.05e-10]), 4, SCIENTIFIC) == len("−1.05e−10")
    assert widest(np.array([0.00034, 0.00482]), 4, "f5") == len("0.00482")
    assert widest(np.array([-0.00034, 0.00482]), 4, "f5") == len("−0.00034")


def test_a_fixed_format_always_fits_its_cell():
    """Seeded magnitudes from 10⁻⁹ to 10⁴, signs mixed: one format per matrix, and extra decimals
    (for a small value's two digits) only where they leave room in the cell for a cursor's brackets,
    or are no wider than the scientific form."""
    rng = np.random.default_rng(24)
    for _ in range(2000):
        digits = int(rng.integers(2, 7))
        M = rng.choice([-1, 1], size=(3, 4)) * 10.0 ** rng.uniform(-9, 4, size=(3, 4))
        fmt = number_format(M, digits)
        shown = [cell(float(x), digits, fmt) for x in M.ravel()]
        assert one_format(shown), shown
        if fmt.startswith(FIXED) and fmt != FIXED:
            scientific = [cell(float(x), digits, SCIENTIFIC) for x in M.ravel()]
            widest = max(map(len, shown))
            assert widest <= cell_width(digits) - 2 or widest - 1 <= max(map(len, scientific)), (digits, shown)


async def test_the_gradient_bars_use_one_format_per_column():
    from bptui.tui.plots import GradientBars

    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _train(pilot, app, 1)
        bars = screen.query_one(GradientBars)
        lines = str(bars.render()).splitlines()[1:]
        stats = bars.stats
    g = [NUMBER.findall(line)[1] for line in lines]  # l = 1 ██▎ 0.00059   ███ 0.03111
    d = [NUMBER.findall(line)[2] for line in lines]
    assert g == texts([s.G_norm for s in stats], 4)
    assert one_format(g) and one_format(d) and "+" not in "".join(lines)
    # mean |δ⁽ˡ⁾| with the 4 significant digits the screen's other numbers have (0.005012, not 0.0050), trailing
    # zeros kept (0.1200, not 0.12), each the number computed, in one form (notation.nums)
    figures = [t.split("e")[0].replace("−", "").replace(".", "").lstrip("0") for t in d]
    assert all(len(f) == 4 for f in figures) and len({"e" in t for t in d}) == 1, d
    assert [float(t.replace("−", "-")) for t in d] == [float(f"{s.mean_abs_delta:.4g}") for s in stats]


async def test_the_mean_deltas_keep_their_trailing_zeros():
    """A column of measured numbers says how many digits it holds: mean |δ⁽ˡ⁾| = 0.12 is 0.1200 (4 significant
    digits, as 0.02350 and 0.005012 beside it), as the ‖G⁽ˡ⁾‖ column beside it keeps its zeros."""
    from textual.app import App

    from bptui.core.engine.train import LayerStats
    from bptui.tui.plots import GradientBars

    class Bars(App):
        def compose(self):
            yield GradientBars(3)

    app = Bars()
    async with app.run_test(size=(100, 10)) as pilot:
        bars = app.query_one(GradientBars)
        bars.show([LayerStats(1, 0.5, 0.12), LayerStats(2, 0.25, 0.0235), LayerStats(3, 0.125, 0.005012)])
        await pilot.pause()
        lines = str(bars.render()).splitlines()[1:]
    assert [line.split()[-1] for line in lines] == ["0.1200", "0.02350", "0.005012"]


@pytest.mark.parametrize("values, shown", [
    ([0.12, 0.0235, 0.005012], ["0.1200", "0.02350", "0.005012"]),
    ([1.2e-5, 3e-4], ["1.200e−5", "3.000e−4"]),  # one form: scientific for both
    ([1234.0, -0.5, 0.0], ["1234", "−0.5000", "0"]),  # no "1234." (%#g's point), 0 as every view writes it
    ([99999.0, 0.5], ["1.000e5", "5.000e−1"]),  # 99999 rounds to 5 figures: scientific for both, zeros kept
])
def test_numbers_with_their_trailing_zeros(values, shown):
    from bptui.core.formulas.notation import nums

    assert nums(values, 4, zeros=True) == shown
    assert [float(t.replace("−", "-")) for t in shown] == [float(f"{x:.4g}") for x in values]


async def test_a_recurrent_panel_uses_one_format_per_matrix_and_row():
    from bptui.tui.seq_sheet import SeqSheet

    app = app_for("parity")
    async with app.run_test(size=(150, 45)) as pilot:
        for _ in range(120):  # example 3, its backward pass: δ and G through time
            app.main.action_next()
        await pilot.pause()
        sheet = app.query_one("#layer-1", SeqSheet)
        rows = ["".join(t for t, _, _ in line) for line in sheet.lines]
        T = rows[sheet.grid_top].count("τ=")  # (a row's T cells: an optimizer's state may stand beside them)
    grid = {name: [NUMBER.findall(r.split(maxsplit=2)[-1])[:T] for r in rows if r.startswith(name)]
            for name in ("s b=", "o b=", "δ b=", "‖δ_τ‖")}
    assert grid["δ b="] and grid["‖δ_τ‖"], rows
    for numbers in grid.values():
        assert one_format([n for row in numbers for n in row]), numbers
    weights = [NUMBER.findall(r) for r in rows if r.startswith("b=")]
    W = [n for row in weights for n in row[1:len(row) // 2 + 1]]
    assert one_format(W), W


def test_the_apps_gradient_check_says_the_rule_of_bptui_check(capsys):
    from bptui.core.teaching.check import gradient_check
    from bptui.core.formats.spec import load
    from bptui.tui.gradcheck import summary

    from .conftest import NETWORKS

    main(["check", "xor"])
    rule = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("pass: "))
    text = summary(gradient_check(load(NETWORKS / "xor.json")), "the file's weights")
    assert f"✓ when {rule.strip()[len('pass: '):]}" in text.splitlines()


def test_plot_axes_tell_their_ticks_apart_with_the_real_minus():
    from bptui.core.formulas.numformat import ticks
    from bptui.plot import loss_plot

    assert ticks([1.06, 1.03, 1.0]) == ["1.06", "1.03", "1"]
    assert ticks([1.0004, 1.0002, 1.0]) == ["1.0004", "1.0002", "1"]
    assert ticks([0.5, 0.0, -0.5]) == ["0.5", "0", "−0.5"]
    lines = loss_plot({"training": [1.0004, 1.0003, 1.0002, 1.0]})  # `bptui train --plot`: the app's labels
    assert [line.split("┤")[0].strip() for line in lines if "┤" in line and line.split("┤")[0].strip()] == \
        ["1.0004", "1.0002", "1"]


@pytest.mark.parametrize("name,mode", [("two_channel", "avg"), ("edges", "max")])
def test_the_exported_rules_write_each_poolings_own_route(capsys, name, mode):
    main(["export", name])
    rules = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("- This network's rules"))
    other = {"avg": "max", "max": "avg"}[mode]
    assert f"route}}_{{\\mathrm{{{mode}}}}}" in rules or f"route}}_{{\\{mode}}}" in rules, rules
    assert f"route}}_{{\\mathrm{{{other}}}}}" not in rules and f"route}}_{{\\{other}}}" not in rules, rules


async def test_the_time_plot_writes_its_norms_and_ratio_in_one_style():
    from bptui.tui.time_plot import DeltaOverTime

    app = app_for("long_memory")
    async with app.run_test(size=(120, 40)) as pilot:
        plot = (await _train(pilot, app, 1)).query_one(DeltaOverTime)
        line = str(plot.render()).splitlines()[1]
        norms = plot.norms
    first, last = texts([norms[0], norms[-1]], 4)
    assert line.startswith(f"‖δ⁽¹⁾₁‖ = {first}, ‖δ⁽¹⁾_T‖ = {last}, ratio "), line
    assert not re.search(r"e−0\d", line), line  # 7.45e−7, as the panels write it, not 7.45e−07


def test_a_count_of_one_is_singular_in_the_cli(capsys):
    main(["train", "xor", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "after 1 epoch\n" in out or "after 1 epoch " in out, out
    assert "after 1 epochs" not in out


@pytest.mark.parametrize("name", ["gru_parity", "long_memory_lstm", "parity", "xor", "count_tokens", "moons_layernorm"])
def test_no_equation_writes_the_same_form_twice(name):
    """``x = A = A``: a form whose numbers are its result's, printed beside it (a gated layer's ∂ℓ/∂h at
    τ = T, from the layer above only, printed (W⁽²⁾ᵀ δ⁽²⁾)[1:] = [0.299, …] = [0.299, …]); every step of
    the first two examples, in the lecture's notation and ng's."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.formulas.profiles import PROFILES
    from bptui.core.teaching.quiz import equations_of
    from bptui.examples import resolve

    stepper = Stepper(load_any(resolve(name)))
    printers = (TextPrinter(4), TextPrinter(4, notation=PROFILES["ng"]))
    checked = 0
    seen: set = set()
    while stepper.position < len(stepper.schedule):
        seen.add(stepper.schedule.key(stepper.position).example)
        if len(seen) > 2:
            break
        step = stepper.forward()
        for notation, printer in zip((None, PROFILES["ng"]), printers):
            for eq in equations_of(stepper, step, notation=notation):
                forms = [printer.p(f) for f in printer.planned(eq).forms]
                assert all(a != b for a, b in zip(forms, forms[1:])), (name, printer.equation(eq))
                checked += 1
    assert checked >= 40

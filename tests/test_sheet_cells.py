"""A lecture panel's cells are as wide as its widest number (issue 23): with weights, sums, outputs,
δs and gradients of any magnitude from 1e−9 to 1e9, no number in any line of the panel runs into
the one beside it (a blank stands between any two, with the step's • and the cursor's brackets), and
every number reads back to its value, in the order of the panel's columns."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from textual.app import App

from bptui.tui.sheet import LayerSheet
from bptui.tui.view import LayerView, cell_width

SPLIT = re.compile(r"[\s│]+|(?<=•)(?=\[)")  # a blank, the bias bar, or the cursor's bracket after a •
NUMBER = re.compile(r"^\[?([−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?)•?\]?$")


def random_matrix(rng, shape) -> np.ndarray:
    """Entries of random sign and magnitude 1e−9 … 1e9, a few of them 0."""
    a = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-9, 9, size=shape)
    a[rng.random(shape) < 0.1] = 0.0
    return a


def reads_as(token: str, x: float) -> bool:
    """``token`` is ``x`` written to the precision it shows (half a unit of its last digit)."""
    text = NUMBER.match(token).group(1).replace("−", "-")
    mantissa, _, exp = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    ulp = 10.0 ** (int(exp or 0) - decimals)
    return math.isclose(float(text), x, abs_tol=0.5 * ulp * (1 + 1e-9))


def line_texts(sheet: LayerSheet) -> list[str]:
    style = sheet._palette()
    out = []
    for row in range(sheet.virtual_size.height):
        segs = sheet._segments(row, style)
        out.append("".join(seg.text for seg in segs or []))
    return out


def values_of_row(sheet: LayerSheet, view: LayerView, r: int) -> list[float]:
    """The numbers unit row r shows, left to right: W's shown columns, s, o, δ, G's (beside W)."""
    hidden = view.hidden
    if hidden and r == 0:
        return [float(view.o[0])]
    b = r - 1 if hidden else r
    out = [float(view.W[b, a]) for a in range(sheet.ncols)]
    out += [float(view.s[b]), float(view.o[r]), float(view.delta[b])]
    if not sheet.stacked:
        out += [float(view.G[b, a]) for a in range(sheet.ncols)]
    return out


class Host(App):
    def __init__(self, sheet: LayerSheet) -> None:
        super().__init__()
        self.sheet = sheet

    def compose(self):
        yield self.sheet


async def test_no_number_runs_into_its_neighbour():
    rng = np.random.default_rng(23)

    def view_for(seed_rng, produced: str | None) -> LayerView:
        units, inputs = int(seed_rng.integers(1, 5)), int(seed_rng.integers(1, 4))
        W, G = random_matrix(seed_rng, (units, inputs + 1)), random_matrix(seed_rng, (units, inputs + 1))
        s, delta = random_matrix(seed_rng, units), random_matrix(seed_rng, units)
        o = np.concatenate([[1.0], random_matrix(seed_rng, units)])
        shape = {"W": W.shape, "G": G.shape, "o": o.shape}.get(produced, s.shape)
        changed = np.ones(shape, bool) if produced else None
        return LayerView(layer=1, activation="tanh", W=W, G=G, s=s, o=o, delta=delta, hidden=True,
                         produced=produced, changed=changed, stale=False)

    checked = 0
    for width in (400, 70):  # G beside W; G under W
        sheet = LayerSheet(view_for(rng, None), 4, 3, id="layer-1")
        app = Host(sheet)
        async with app.run_test(size=(width, 40)) as pilot:
            for case in range(90):
                view = view_for(rng, [None, "W", "s", "o", "delta", "G"][case % 6])
                sheet.widest = view.W.shape[1]
                sheet.show(view)
                if case % 3 == 0:  # the cursor's brackets on a weight, then on δ
                    sheet.focus()
                    sheet.cursor = (1, [0, len(sheet.columns()) - 1, sheet.columns().index(("delta", None))][case % 9 // 3])
                await pilot.pause()
                texts = line_texts(sheet)
                for r in range(sheet.rows):
                    text = texts[sheet._row_y(r)]
                    tokens = [t for t in re.split(SPLIT, text) if t and not t.startswith("b=")]
                    for token in tokens:  # a blank between any two numbers: each token is one number
                        assert NUMBER.match(token), f"{token!r} in {text!r}"
                    values = values_of_row(sheet, view, r)
                    assert len(tokens) == len(values), (text, values)
                    for token, x in zip(tokens, values):
                        assert reads_as(token, x), (token, x, text)
                        checked += 1
                if sheet.stacked:  # G under W: its rows read back too
                    top = sheet._row_y(sheet.rows - 1) + 1 + 1 + 2
                    for b in range(view.W.shape[0]):
                        text = texts[top + b]
                        tokens = [t for t in re.split(SPLIT, text) if t and not t.startswith("b=")]
                        values = [float(view.G[b, a]) for a in range(sheet.bcols)]  # G shows its own columns
                        assert len(tokens) == len(values), (text, values)
                        for token, x in zip(tokens, values):
                            assert NUMBER.match(token) and reads_as(token, x), (token, x, text)
                            checked += 1
                if case % 3 == 0:
                    sheet.blur()
    assert checked > 600


async def test_the_attention_panel_leaves_its_padding_blank():
    """tiny_transformer's W_Q, W_K, W_V are padded to W_O's width in the one stacked matrix: the entries
    outside the four matrices (always 0, no parameters) are blank in W⁽ˡ⁾ and G⁽ˡ⁾, and no cell of the
    cursor's: → from a row's last weight goes to G's bias (G beside W) or stays (G under W), and Enter
    never reaches one."""
    from bptui.tui.seq_sheet import SeqSheet

    from .tui_helpers import app_for

    app = app_for("tiny_transformer")
    async with app.run_test(size=(160, 50)) as pilot:
        app.main.action_next()
        await pilot.pause()
        [panel] = [p for p in app.main.query(SeqSheet) if p.l_index and p.kind is not None
                   and not all(p.kind.editable(b, a) for b, a in np.ndindex(p.stepper.state.W[p.l_index].shape))]
        l, kind = panel.l_index, panel.kind
        rows, cols = panel.stepper.state.W[l].shape
        padding = [(b, a) for b, a in np.ndindex(rows, cols) if not kind.editable(b, a)]
        assert padding
        keys = {key for _, _, key in panel.cells if key[0] in ("W", "G")}
        assert keys == {(q, l, b, a) for q in ("W", "G") for b, a in np.ndindex(rows, cols) if kind.editable(b, a)}
        cw = cell_width(panel.digits)
        for b, a in padding:
            text = "".join(t for t, _, _ in panel.lines[1 + b])
            for q in ("W", "G"):
                x = [xx for _, xx, key in panel.cells if key == (q, l, rows - 1, a)][0]  # W_O's last row: every column
                assert not text[x:x + cw].strip(), (b, a, q, text)
        last = max(a for a in range(cols) if kind.editable(0, a))
        panel.focus()
        panel.cursor = next(n for n, (_, _, key) in enumerate(panel.cells) if key == ("W", l, 0, last))
        await pilot.press("right")
        line = {key: y for y, _, key in panel.cells}
        if line[("G", l, 0, 0)] == line[("W", l, 0, 0)]:  # G beside W: its bias is next
            assert panel.cursor_cell == ("G", l, 0, 0)
        else:  # G under W (one arrangement per screen): the row ends at its last weight, not in the padding
            assert panel.cursor_cell == ("W", l, 0, last)


def touching(text: str) -> list[str]:
    """The words of a panel's line where a bar │ touches a number, or two numbers touch (a word that is
    no one number: ``│−5.25e−5``, ``−0.1−0.2``); the cursor's brackets and a step's • are a number's."""
    out = []
    for word in text.replace("]│", "] │").split():  # (the cursor's bracket stands in its cell's last blank)
        if "│" in word and word != "│" and re.search(r"\d", word):
            out.append(word)
        elif re.match(r"^\[?[−-]?\d", word) and not NUMBER.match(word):
            out.append(word)
    return out


@pytest.mark.parametrize("notation", [None, "nielsen", "ng", "cs231n"])
@pytest.mark.parametrize("name", ["parity", "gru_parity", "long_memory_lstm"])
async def test_no_number_touches_a_bar_or_a_number_in_a_sequence_panel(name, notation):
    """The newcomer's report: a profile's sequence panel drew the first gradient after the bias bar as
    ``│−5.25e−5`` (the lecture's as ``│−0.00981``). A sequence panel's cells are as wide as its widest
    number with a blank before it, as the dense panels' are: on every line of every sequence panel,
    lecture and profile, through the forward and backward passes and an update's small gradients, a
    blank stands between a bar and a number and between two numbers, and each cell of the cursor's
    (a number's run) starts with a blank, the cursor's bracket drawn in it."""
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.app import BptuiApp
    from bptui.tui.seq_sheet import SeqSheet

    from .conftest import NETWORKS

    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation] if notation else None)
    checked = 0
    async with app.run_test(size=(150, 45)) as pilot:
        for steps in (30, 270):  # the backward pass of the first example; past updates (gradients of e−4 … e−6)
            for _ in range(steps):
                app.main.action_next()
            await pilot.pause()
            for sheet in app.main.query(SeqSheet):
                sheet.focus()  # the cursor's brackets on a weight of the first row
                await pilot.pause()
                for line in sheet.lines:
                    if all(run[2] is None for run in line):  # a heading (``column 2)``), a blank line
                        continue
                    # (an optimizer's state's heading beside the grid's row: its words, "(1st moment, t = 1)", no number)
                    text = re.sub(r"\([^()]*\bt = \d+\)", "", "".join(run[0] for run in line))
                    assert not touching(text), f"{name} in {notation}: {sheet.id} {touching(text)} in {text!r}"
                    for run in line:
                        if run[2] is not None:
                            assert run[0].startswith(" "), (sheet.id, run, text)
                            checked += 1
                cursor = sheet.render_line(sheet.cells[sheet.cursor][0] - int(sheet.scroll_y)).text
                assert not touching(cursor), (sheet.id, cursor)
    assert checked >= 200

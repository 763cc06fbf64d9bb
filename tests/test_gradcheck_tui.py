"""`g` on a network that takes a while to check: a bar counts the weights checked, and Esc stops the
check at the next weight instead of leaving it running."""

import asyncio
import threading

import numpy as np

from bptui.core.formats.spec import load
from bptui.core.teaching.check import gradient_check
from bptui.tui import gradcheck
from bptui.tui.gradcheck import GradCheckScreen
from textual.widgets import DataTable, ProgressBar

from .conftest import NETWORKS
from .tui_helpers import app_for, until


def test_progress_is_told_after_every_weight():
    spec = load(NETWORKS / "xor.json")
    seen: list[tuple[int, int]] = []
    checks = gradient_check(spec, progress=lambda done, total: seen.append((done, total)))
    total = sum(w.size for w in spec.weights)
    assert seen == [(k, total) for k in range(1, total + 1)] and len(checks) == total


async def test_the_bar_counts_the_weights_and_escape_stops_the_check(monkeypatch):
    reached, release, ended = threading.Event(), threading.Event(), threading.Event()
    last: list[int] = []
    real = gradient_check

    def slow(*args, progress, **kwargs):
        def hold(done: int, total: int) -> None:
            last.append(done)
            progress(done, total)
            if done == 3:  # a slow check: it waits here until the test has looked
                reached.set()
                release.wait(30)
        try:
            return real(*args, progress=hold, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(gradcheck, "gradient_check", slow)
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await until(pilot, reached.is_set, "the third weight checked")
        bar = screen.query_one(ProgressBar)
        await until(pilot, lambda: bar.progress == 3, "the bar at the third weight")
        assert bar.total == screen.n_weights == 9 and bar.display
        assert not screen.query_one(DataTable).display
        await pilot.press("escape")
        release.set()
        await app.workers.wait_for_complete()
        # a cancelled thread worker counts as complete at once: its thread ends at the next weight
        assert await asyncio.to_thread(ended.wait, 60)
        assert app.screen is not screen and screen.checks is None
    assert last[-1] == 4  # cancelled: the check stopped after the weight it was on


async def test_the_bar_gives_way_to_the_table():
    app = app_for("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        screen = app.screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.query_one(ProgressBar).display and screen.query_one(DataTable).display
        assert len(screen.checks) == 9 and np.all([c.ok for c in screen.checks])


async def test_the_table_writes_every_number_by_the_one_rule_and_lines_up_the_points():
    """deep_sigmoid's gradients run from e−4 to e−7 and their relative errors from e−9 to e−10: every number as
    the rest of bptui writes it (the real minus, no zero-padded exponent: ``−2.14676e−5``, not ``e−05``), the
    columns lined up by padding, each column's decimal points in one place."""
    import re

    from textual.geometry import Region

    app = app_for("deep_sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        lines = [s.text for s in table.render_lines(Region(0, 0, table.size.width, table.size.height))]
    rows = [line for line in lines[1:] if "✓" in line or "✗" in line]
    assert len(rows) >= 12
    number = re.compile(r"−?\d\.\d+e−?[1-9]\d*")
    points: list[set[int]] = [set(), set(), set()]
    exponents = set()
    for row in rows:
        found = list(number.finditer(row))
        assert len(found) == 3, row
        assert "-" not in row and not re.search(r"e[−+]?0", row), row
        for k, m in enumerate(found):
            points[k].add(row.index(".", m.start()))
            exponents.add(m[0].split("e")[1])
    assert all(len(p) == 1 for p in points), points  # each column's points in one place
    assert {"−5", "−9", "−10"} <= exponents  # exponents of one and two digits, side by side

"""A profile's dense panel (``--notation``) by the lecture panel's rule for the parts under its rows: G's band
and an optimizer's state show as many of their own columns as their line holds, their own column headings and
``+k…`` (``panel_base.block_columns``, the one rule of both panels), so that no number is hidden while its
line has blank columns; each number shown is the stepper's, under its own column's name."""

from __future__ import annotations

import re

import pytest

from bptui.core.engine import equations as eq
from bptui.core.formulas.numformat import cell, number_format
from bptui.core.formulas.profiles import PROFILES, shown_value
from bptui.tui.profile_sheet import ProfileSheet

from .test_layout import LOOKS_NUMERIC, SEPARATORS, sizes_and_keys

MORE = re.compile(r"\+(\d+)…")


def parts_of(lines: list[str]) -> list[tuple[int, int]]:
    """The panel's parts as (first line, end): runs of lines between blank ones."""
    out, start = [], None
    for y, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = y
        elif not line.strip() and start is not None:
            out.append((start, y))
            start = None
    return out


def drawn_width(line: list) -> int:
    """A line's width to its last cell's end (a number's blank for its • included) or its last text."""
    end = len(line)
    while end and not line[end - 1][0].strip() and line[end - 1][1] in ("base", "header", "bias"):
        end -= 1
    return sum(len(text) for text, _, _ in line[:end])


def hidden_beside_blank(panel: ProfileSheet, where: str) -> int:
    """Every part of the panel (its heading and rows; each line of parts under them) that hides columns behind a
    ``+k…`` leaves less than a cell blank at its right, the panel not scrolled sideways; returns how many
    parts with a ``+k…`` it checked."""
    room = panel.scrollable_content_region.width + panel.styles.padding.right
    lines = ["".join(t for t, _, _ in line) for line in panel.lines]  # (the whole panel, not its view)
    checked = 0
    for first, end in parts_of(lines):
        if not any(MORE.search(line) for line in lines[first:end]):
            continue
        width = max(drawn_width(line) for line in panel.lines[first:end])
        assert room - width < panel.cw, f"{where}: {panel.id} lines {first}–{end} in {room}:\n" + "\n".join(
            lines[first:end])
        checked += 1
    return checked


def band_checked(panel: ProfileSheet, stepper, where: str) -> int:
    """G's band under the rows (a row per unit): its column headings name the columns it shows, k of W's n_all
    and ``+(n_all − k)…``, and each row's numbers are G's as the profile shows them (k of its columns, then
    ∂/∂b with a separate bias). Returns 1 when the panel has a band, else 0."""
    p, l = panel.profile, panel.l_index
    if p.vectors != "column" or len(panel.heading_lines) < 2 or panel.own.columns is not None:
        return 0  # (a kind's own columns, a layer norm's γ: no k=… names)
    lines = ["".join(t for t, _, _ in line) for line in panel.lines]
    top = panel.heading_lines[1]  # the band's names, then its columns' headings
    m = eq.board_group_size(stepper)
    G, Gb = (shown_value(stepper.state.G[l], view, m) for view in p.parts("G"))
    n_all = G.shape[1]
    heading = lines[top + 1].split("unit", 1)[1] if "unit" in lines[top + 1] else ""
    more = MORE.search(heading)
    k = n_all - (int(more.group(1)) if more else 0)
    names = [t for t in re.split(r"[ │]+", MORE.sub("", heading)) if t]
    assert len(names) == k, f"{where}: {panel.id}: {heading!r}"
    fmt, fmt_b = number_format(G, panel.digits), number_format(Gb, panel.digits)
    for b in range(G.shape[0]):
        line = lines[top + 2 + b]
        tokens = [t for t in SEPARATORS.split(line) if LOOKS_NUMERIC.fullmatch(t)]
        want = [cell(float(x), panel.digits, fmt) for x in G[b, :k]]
        want += [cell(float(Gb[b]), panel.digits, fmt_b)] if p.separate_bias else []
        assert tokens[:len(want)] == want, f"{where}: {panel.id} row {b + 1}: {line!r}"
    return 1


CASES = [(name, notation) for name in ("moons", "iris", "regression", "moons_layernorm")
         for notation in ("ng", "goodfellow", "nielsen", "cs231n")]


@pytest.mark.parametrize("name, notation", CASES)
async def test_a_profiles_parts_under_the_rows_hide_no_column_beside_blank_columns(name, notation):
    """Pilot (fails on main): regression in ng beside the map at 120×40 showed dW⁽²⁾ as W⁽²⁾ (``k=1 k=2 +4…``)
    beside 30 blank columns, where all 6 need 54. In every profile, at 80×24, 120×40 and 200×50, the map open and
    closed, after steps, an update and ``+``/``−``: no part hides a column while it has a cell's blank."""
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    app = BptuiApp(load(NETWORKS / f"{name}.json"), PROFILES[notation])
    parts = bands = 0
    async with app.run_test(size=(80, 24)) as pilot:
        async for size, keys in sizes_and_keys(pilot):
            for panel in app.main.query(ProfileSheet):
                if type(panel) is not ProfileSheet or not (panel.display and panel.size.width):
                    continue
                where = f"{name} in {notation} at {size} after {keys}"
                parts += hidden_beside_blank(panel, where)
                bands += band_checked(panel, app.main.stepper, where)
    assert notation == "cs231n" or bands, "no band under the rows was checked"

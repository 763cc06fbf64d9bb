"""The decision map's colours: each level's colour (of one output, or of a class) is worked out and made a
rich Color once per map, however many cell styles and training points' styles use it; the styles are the
ones made from ``_colour`` directly."""

from __future__ import annotations

from rich.color import Color
from rich.style import Style

from bptui.core.formats.spec import load
from bptui.tui import plots
from bptui.tui.plots import DecisionMap

from .tui_helpers import NETWORKS


def test_each_colour_of_the_map_is_worked_out_once(monkeypatch):
    for name, classes in (("moons", [-1]), ("classifier", [0, 1, 2])):
        plot = DecisionMap(load(NETWORKS / f"{name}.json"))
        asked: list[tuple[int, int]] = []
        colour = DecisionMap._colour

        def counted(self, level, k, colour=colour):
            asked.append((level, k))
            return colour(self, level, k)

        monkeypatch.setattr(DecisionMap, "_colour", counted)
        levels = [0, 5, 23, 24, 47]
        styles = {(top, bottom, k): plot._style(top, bottom, k) for k in classes for top in levels for bottom in levels}
        points = {(level, k): plot._point_style(level, k) for k in classes for level in levels}
        monkeypatch.setattr(DecisionMap, "_colour", colour)
        assert sorted(asked) == sorted({(level, k) for k in classes for level in levels}), name  # each once
        for (top, bottom, k), style in styles.items():
            assert style == Style(color=Color.from_rgb(*colour(plot, top, k)),
                                  bgcolor=Color.from_rgb(*colour(plot, bottom, k)))
            assert plot._style(top, bottom, k) is style  # kept
        for (level, k), style in points.items():
            assert style == Style(color="black", bgcolor=Color.from_rgb(*colour(plot, level, k)), bold=True)
        assert plots._LEVELS == 48

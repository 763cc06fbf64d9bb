"""A step that moves τ titles every sequence panel of the screen again (``now τ = …``): each border title is
what Textual's setter makes of the panel's title text, its markup parsed once per text over a run of steps
(the titles come back at every τ and every example), and a subtitle that did not change is not set again."""

from __future__ import annotations

from textual.content import Content

from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp
from bptui.tui.seq_sheet import SeqSheet

from .conftest import NETWORKS


async def test_the_sequence_panels_titles_are_parsed_once_per_text(monkeypatch):
    original = Content.from_markup  # (bound to the class: the comparisons below are not counted)
    parsed: dict[str, int] = {}

    def counted(cls, markup, **variables):
        parsed[markup] = parsed.get(markup, 0) + 1
        return original(markup, **variables)

    app = BptuiApp(load(NETWORKS / "tiny_transformer.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = list(app.main.query(SeqSheet))
        assert len(panels) == 7
        monkeypatch.setattr(Content, "from_markup", classmethod(counted))
        shown: set[str] = set()
        for _ in range(70):  # forward through the example, the loss, back through layers 7 and 6
            app.main.action_next()
            await pilot.pause()
            for panel in panels:
                title, subtitle = panel._title(), panel._legend()
                assert panel._border_title == original(title).expand_tabs(4).split()[0]  # as Textual's setter makes it
                assert panel.border_title == title and panel.border_subtitle == subtitle
                shown.add(title)
        assert app.stepper.last.key.phase == "backward" and app.stepper.last.key.layer == 6
        assert any(t.endswith("now τ = 5") for t in shown) and any(t.endswith("now τ = 1") for t in shown)
        again = {t: n for t, n in parsed.items() if t in shown and n > 1}
        assert not again  # a title seen again is not parsed again
        assert parsed.get("", 0) == 0  # the panels' empty subtitle is set once, at their first title

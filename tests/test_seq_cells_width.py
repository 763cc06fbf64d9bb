"""A sequence panel's cells keep one width through an example (issue 24, items 2 and 5): before the first
step the width is chosen for every number the first example will show (its δ of e−5, its G, its update),
and the cells never narrow in the run, so that the grid never widens or narrows under the reader's eyes
while an example is stepped, and no step after an example's first builds a panel again at a new width."""

from __future__ import annotations

import pytest

from bptui.core.formats.spec import load
from bptui.tui.app import BptuiApp
from bptui.tui.seq_sheet import SeqSheet

from .conftest import NETWORKS


def example_of(stepper) -> int:
    """The position of the first step of the example the last step belongs to (an update: its group's
    last example's)."""
    p = stepper.position - 1
    while p > 0 and not stepper.schedule.key(p).example_start:
        p -= 1
    return p


RUNS: dict[str, tuple[list, list, int]] = {}


async def widths_through_examples(name: str) -> tuple[list, list, int]:
    """The steps at which a panel's cells changed width within an example (the step, the example's
    widths, the new ones), the single steps after an example's first that built a panel again (the step,
    (panel, its width before) of each), and how many examples were stepped."""
    if name in RUNS:
        return RUNS[name]
    changed: list = []
    builds: list = []
    app = BptuiApp(load(NETWORKS / f"{name}.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main, stepper = app.main, app.stepper
        panels = list(main.query(SeqSheet))
        assert panels
        rebuilt: list[tuple[str, int]] = []  # (panel, its cells' width before) of each build at a new width
        for panel in panels:
            rebuild, build = panel.rebuild, panel._build

            def counted_rebuild(p=panel, f=rebuild) -> None:
                rebuilt.append((p.id, p.cw))
                f()

            def counted_build(produced, p=panel, f=build) -> None:
                before = p.cw
                f(produced)
                if p.cw != before:
                    rebuilt.append((p.id, before))

            panel.rebuild, panel._build = counted_rebuild, counted_build  # type: ignore[method-assign]
        widths: dict[int, tuple[int, ...]] = {}  # an example's first step → its panels' cells' widths

        async def step(move) -> None:
            rebuilt.clear()
            move()
            await pilot.pause()
            key = stepper.last.key
            shown = tuple(p.cw for p in panels)
            first = example_of(stepper)
            if widths.setdefault(first, shown) != shown:
                changed.append((key, widths[first], shown))
            if move == main.action_next and not key.example_start and rebuilt:
                builds.append((key, list(rebuilt)))

        async def to_next_example() -> None:  # the rest of the example, and the next one's first step
            while not stepper.schedule.key(stepper.position).example_start:
                await step(main.action_next)
            await step(main.action_next)

        await step(main.action_next)
        await to_next_example()  # the first example whole
        await step(main.action_to_update)  # a jump to the group's update: its other updates stepped
        await to_next_example()
        await to_next_example()  # the next example whole (after the update: its new W)
    RUNS[name] = (changed, builds, len(widths))
    return RUNS[name]


NAMES = ["gru_parity", "long_memory_lstm", "count_tokens", "tiny_transformer", "parity"]


@pytest.mark.parametrize("name", NAMES)
async def test_cells_keep_one_width_through_an_example(name: str) -> None:
    changed, _, examples = await widths_through_examples(name)
    assert examples >= 3
    assert changed == []


@pytest.mark.parametrize("name", NAMES)
async def test_no_panel_is_built_again_after_an_examples_first_step(name: str) -> None:
    _, builds, examples = await widths_through_examples(name)
    assert examples >= 3
    assert builds == []

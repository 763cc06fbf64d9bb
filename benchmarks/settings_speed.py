"""Settings figures: the core's apply (check the candidate file, carry the weights over) next to
loading the same network file; the app's apply (ctrl+s to the new board on screen); and the
dialog's opening, from ``s`` until every section is mounted and drawn.

    python benchmarks/settings_speed.py [--repeats K] [--open-only]

Core: wall time, median of K, of ``settings.apply`` with one hidden layer one unit wider, side by
side with ``spec.parse`` of the network's own document (the floor: apply checks a whole file).
App (Textual's headless ``run_test``, 120×40): CPU time (time.process_time) from the dialog's apply
to the recomposed network screen, median of K, next to one step (n) on the same network.
Opening: CPU time from pressing ``s`` until the data section's last row (``#standardize``) is
mounted and a frame is drawn, median of K, interleaved with a bare dialog (a ModalScreen with
one Label, the floor any dialog pays) in the same app. Issue 24's bound: 0.2 s on xor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import replace

from _common import ROOT, big_spec, median_time


def load(path):
    from bptui.core.formats.spec import load as load_spec

    return load_spec(path)


def core_figures(repeats: int) -> None:
    from bptui.core.formats import settings as S
    from bptui.core.formats.spec import parse

    specs = [("xor", load(ROOT / "networks" / "xor.json")), ("moons", load(ROOT / "networks" / "moons.json")),
             ("784-128-10, 1,000 examples", big_spec())]
    for name, spec in specs:
        c = S.current(spec)
        wider = replace(c, layers=(replace(c.layers[0], units=int(c.layers[0].units) + 1), *c.layers[1:]))
        t_apply = median_time(lambda: S.apply(spec, spec.weights, wider), repeats)
        t_parse = median_time(lambda: parse(spec.raw, spec.source), repeats)
        print(f"core  {name:28} apply {1e3 * t_apply:8.2f} ms   parse of its file {1e3 * t_parse:8.2f} ms   "
              f"ratio {t_apply / t_parse:.2f}")


async def open_dialog(app, pilot) -> float:
    """CPU seconds from pressing s until every section of the dialog is mounted and drawn."""
    t = time.process_time()
    await pilot.press("s")
    while not app.screen.query("#standardize"):  # the last section's last row
        await pilot.pause(0)
    await pilot.pause(0)  # a frame with it
    return time.process_time() - t


async def open_bare(app, pilot) -> float:
    """The same for a ModalScreen with one Label: what opening any dialog costs."""
    from textual.screen import ModalScreen
    from textual.widgets import Label

    class Bare(ModalScreen):
        def compose(self):
            yield Label("bare", id="bare")

    t = time.process_time()
    app.push_screen(Bare())
    while not app.screen.query("#bare"):
        await pilot.pause(0)
    await pilot.pause(0)
    return time.process_time() - t


NETWORKS = (("xor", lambda: load(ROOT / "networks" / "xor.json")),
            ("moons", lambda: load(ROOT / "networks" / "moons.json")), ("784-128-10", lambda: big_spec(n=4)))


async def open_figures(repeats: int) -> None:
    from bptui.tui.app import BptuiApp
    from bptui.tui.settings import SettingsScreen

    for name, make in NETWORKS:
        app = BptuiApp(make())
        opens, bares = [], []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for _ in range(repeats):  # interleaved: the dialog, then the bare one
                opens.append(await open_dialog(app, pilot))
                assert isinstance(app.screen, SettingsScreen)
                app.screen.action_cancel()
                await pilot.pause()
                bares.append(await open_bare(app, pilot))
                app.pop_screen()
                await pilot.pause()
        o, b = statistics.median(opens), statistics.median(bares)
        print(f"open  {name:28} s to every section drawn {1e3 * o:6.1f} ms CPU (median of {repeats}; "
              f"min {1e3 * min(opens):.1f}; {' '.join(f'{1e3 * x:.0f}' for x in opens)})   a bare dialog {1e3 * b:5.1f} ms CPU   ratio {o / b:.1f}")


async def app_figures(repeats: int) -> None:
    from bptui.tui.app import BptuiApp
    from bptui.tui.settings import SettingsScreen

    for name, make in NETWORKS:
        app = BptuiApp(make())
        applies, steps = [], []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for i in range(repeats):
                await open_dialog(app, pilot)
                screen = app.screen
                assert isinstance(screen, SettingsScreen)
                screen.query_one("#learning_rate").value = f"0.{i + 1}"  # type: ignore[attr-defined]
                t = time.process_time()
                screen.action_apply()
                await pilot.pause()
                await pilot.pause()
                applies.append(time.process_time() - t)
                t = time.process_time()
                app.main.action_next()  # type: ignore[union-attr]
                await pilot.pause()
                steps.append(time.process_time() - t)
        a, s = statistics.median(applies), statistics.median(steps)
        print(f"app   {name:28} apply {1e3 * a:8.1f} ms CPU   one step {1e3 * s:6.1f} ms CPU   ratio {a / s:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--open-only", action="store_true", help="only the dialog's opening")
    args = parser.parse_args()
    if not args.open_only:
        core_figures(args.repeats)
        asyncio.run(app_figures(args.repeats))
    asyncio.run(open_figures(args.repeats))


if __name__ == "__main__":
    main()

"""Settings figures: the core's apply (check the candidate file, carry the weights over) next to
loading the same network file, and the app's apply (ctrl+s to the new board on screen).

    python benchmarks/settings_speed.py [--repeats K]

Core: wall time, median of K, of ``settings.apply`` with one hidden layer one unit wider, side by
side with ``spec.parse`` of the network's own document (the floor: apply checks a whole file).
App: CPU time (time.process_time) from the dialog's apply to the recomposed network screen,
median of K, next to one step (n) on the same network; and the dialog's opening (s to the
dialog shown), median of K.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import replace

from _common import ROOT, big_spec, median_time


def core_figures(repeats: int) -> None:
    from bptui.core.formats import settings as S
    from bptui.core.formats.spec import load, parse

    specs = [("xor", load(ROOT / "networks" / "xor.json")), ("moons", load(ROOT / "networks" / "moons.json")),
             ("784-128-10, 1,000 examples", big_spec())]
    for name, spec in specs:
        c = S.current(spec)
        wider = replace(c, layers=(replace(c.layers[0], units=int(c.layers[0].units) + 1), *c.layers[1:]))
        t_apply = median_time(lambda: S.apply(spec, spec.weights, wider), repeats)
        t_parse = median_time(lambda: parse(spec.raw, spec.source), repeats)
        print(f"core  {name:28} apply {1e3 * t_apply:8.2f} ms   parse of its file {1e3 * t_parse:8.2f} ms   "
              f"ratio {t_apply / t_parse:.2f}")


async def app_figures(repeats: int) -> None:
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp
    from bptui.tui.settings import SettingsScreen

    for name, make in (("xor", lambda: load(ROOT / "networks" / "xor.json")),
                       ("moons", lambda: load(ROOT / "networks" / "moons.json")), ("784-128-10", lambda: big_spec(n=4))):
        app = BptuiApp(make())
        applies, steps, opens = [], [], []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for i in range(repeats):
                t = time.process_time()
                await pilot.press("s")
                await pilot.pause()
                opens.append(time.process_time() - t)
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
        a, s, o = statistics.median(applies), statistics.median(steps), statistics.median(opens)
        print(f"app   {name:28} apply {1e3 * a:8.1f} ms CPU   one step {1e3 * s:6.1f} ms CPU   ratio {a / s:.1f}   "
              f"open (s) {1e3 * o:6.1f} ms CPU, {o / s:.1f} steps")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    core_figures(args.repeats)
    asyncio.run(app_figures(args.repeats))


if __name__ == "__main__":
    main()

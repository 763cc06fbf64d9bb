"""CPU per keypress on every bundled network, by step kind and view, and a burst's repaint gaps.

    python benchmarks/keypress_speed.py [--presses K] [--only NAME,...] [--burst N] [--notation NAME,...]

For every network in networks/ (a computation graph on its own screen), in a headless app of
120×40: with the layer panels, with the map beside them (m), the computation graph (c) and the NN
diagram (d), and 784-128-10 with the panels. Before each timed press the stepper is moved (untimed)
to just before a step of the kind measured (forward, loss, backward, update; a graph's forward and
reverse); the timed part is the pilot pressing n and waiting until the screen is drawn, in CPU time
(time.process_time: the pilot's idle waits are sleeps and drop out). Each kind's median over K
presses; each line names the worst. A bare Textual app's keypress is the floor under every figure.
With ``--notation``, each network and view in each of the notation profiles named, one after the other
in the same run, with each kind's ratio to the first profile named (name lecture13 first).

The burst: N presses of n sent at once to 784-128-10 (as a terminal delivers keys typed faster than
they are handled), and the wall-clock gaps between the frames the app draws while it works through
them (from the key events' arrival to the last frame): the longest gap, and how many frames.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _common import ROOT, big_spec, press_ms

VIEWS = {"panels": None, "m": "m", "c": "c", "d": "d"}
KINDS = ("forward", "loss", "backward", "update", "reverse")  # reverse: a graph's backward pass
BUDGET = 1000 / 60  # ms: one frame at 60 Hz


class Bare:
    """A bare Textual app whose n counts up in a Static above a footer: the floor under every figure."""

    def __new__(cls):
        from textual.app import App
        from textual.widgets import Footer, Static

        class BareApp(App):
            BINDINGS = [("n", "next", "Next")]

            def __init__(self) -> None:
                super().__init__()
                self.count = 0

            def compose(self):
                yield Static("0", id="count")
                yield Footer()

            def action_next(self) -> None:
                self.count += 1
                self.query_one("#count", Static).update(str(self.count))

        return BareApp()


async def bare_press(presses: int) -> float:
    return await press_ms(Bare(), presses)


def _sync(app) -> None:
    """The screen shows the stepper's position (after moving it without the screen)."""
    screen = app.screen
    with app.batch_update():
        screen.revision += 1
        screen.position = app.stepper.position


async def per_kind(make_app, view: str | None, presses: int) -> dict[str, float]:
    """Median CPU (ms) of pressing n, by the kind of step it does."""
    app = make_app()
    times: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if view is not None:
            await pilot.press(view)
            await pilot.pause()
        stepper = app.stepper
        for _ in range(2):  # warm up: every kind once (imports, first layouts)
            await pilot.press("n")
        for kind in KINDS:
            for _ in range(presses):
                for _ in range(5_000):  # to the next step of this kind (a graph has no loss or update)
                    if stepper.next_key is None:  # a graph's two passes are done: from the start again
                        stepper.goto(0)
                    if stepper.next_key.phase == kind:
                        break
                    stepper.forward()
                else:
                    break
                _sync(app)
                await pilot.pause()
                t = time.process_time()
                await pilot.press("n")
                await pilot.pause()
                dt = time.process_time() - t
                assert stepper.last.key.phase == kind
                times.setdefault(kind, []).append(dt * 1e3)
    return {kind: statistics.median(ts) for kind, ts in times.items()}


async def burst(spec, n: int) -> tuple[float, int, float]:
    """N presses of n sent at once: (longest gap between frames in ms, frames drawn, wall ms)."""
    from textual import events

    from bptui.tui.app import BptuiApp

    app = BptuiApp(spec)
    frames: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        display = app._display

        def counted(screen, renderable) -> None:  # every frame the compositor hands the driver
            if renderable is not None and not app._batch_count:
                frames.append(time.perf_counter())
            display(screen, renderable)

        app._display = counted  # type: ignore[method-assign]
        start = app.stepper.position
        t0 = time.perf_counter()
        for _ in range(n):
            app._driver.send_message(events.Key("n", "n"))
        while app.stepper.position < start + n:
            await asyncio.sleep(0.005)
        await pilot.pause()
        end = time.perf_counter()
        app._display = display  # type: ignore[method-assign]
    marks = [t0] + [f for f in frames if f <= end] + [end]
    gaps = [b - a for a, b in zip(marks, marks[1:])]
    return max(gaps) * 1e3, len(marks) - 2, (end - t0) * 1e3


def networks(only: set[str] | None):
    from bptui.core.formats.spec import parse_any
    from bptui.core.util.validate import read_json
    from bptui.tui.app import BptuiApp
    from bptui.tui.graph_app import GraphApp

    for path in sorted((ROOT / "networks").glob("*.json")):
        if only and path.stem not in only:
            continue
        spec = parse_any(read_json(path), str(path))
        if spec.kind == "graph":  # its own screen: no panels, map or diagrams
            yield path.stem, (lambda s=spec, notation=None: GraphApp(s)), {"graph": None}
        else:
            yield path.stem, (lambda s=spec, notation=None: BptuiApp(s, notation)), VIEWS
    if not only or "784-128-10" in only:
        big = big_spec((784, 128, 10), n=20)
        yield "784-128-10", (lambda notation=None: BptuiApp(big, notation)), {"panels": None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=5, help="timed presses of each step kind")
    parser.add_argument("--only", default="", help="network names (file stems, 784-128-10), comma-separated")
    parser.add_argument("--burst", type=int, default=200, help="presses in the burst (0: none)")
    parser.add_argument("--notation", default="", help="notation profiles (shipped names), comma-separated: "
                                                       "each network in each, side by side")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    from bptui.core.formulas.profiles import PROFILES

    notations = [PROFILES[n] for n in filter(None, args.notation.split(","))] or [None]
    print(f"CPU per keypress (n), processed and drawn, 120×40, median of {args.presses} per step kind; "
          f"budget {BUDGET:.1f} ms:")
    print(f"  bare Textual app (a Static, a footer): {asyncio.run(bare_press(4 * args.presses)):6.2f} ms")
    worst = (0.0, "")
    for name, make_app, views in networks(only):
        for view, key in views.items():
            first: dict[str, float] = {}
            for notation in notations:
                medians = asyncio.run(per_kind(lambda n=notation: make_app(notation=n), key, args.presses))
                kind, ms = max(medians.items(), key=lambda kv: kv[1])
                kinds = " ".join(f"{k[0]} {v:5.1f}" for k, v in medians.items())
                ratios = "" if not first else " · ratio " + " ".join(
                    f"{k[0]} {v / first[k]:4.2f}" for k, v in medians.items() if first.get(k))
                first = first or medians
                flag = "  OVER" if ms > BUDGET else ""
                named = "" if notation is None else f" {notation.name}"
                print(f"  {name}{named} {view} worst {ms:6.2f} ms  ({kind}; {kinds}){ratios}{flag}")
                worst = max(worst, (ms, f"{name}{named} {view} {kind}"))
    print(f"worst keypress of all: {worst[0]:6.2f} ms  ({worst[1]})")
    if args.burst:
        gap, frames, wall = asyncio.run(burst(big_spec((784, 128, 10), n=20), args.burst))
        print(f"burst of {args.burst} n on 784-128-10, longest gap between frames: {gap:7.1f} ms  "
              f"({frames} frames in {wall / 1e3:.2f} s wall)")


if __name__ == "__main__":
    main()

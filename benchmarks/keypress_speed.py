"""CPU per keypress on every bundled network, by step kind and view, and a burst's repaint gaps.

    python benchmarks/keypress_speed.py [--presses K] [--only NAME,...] [--burst N] [--notation NAME,...]
    python benchmarks/keypress_speed.py --instructions [--presses K] [--only NAME,...] [--views V,...]
                                        [--kinds K,...] [--bare-ms MS] [--notation NAME,...]

For every network in networks/ (a computation graph on its own screen), in a headless app of
120×40: with the layer panels, with the map beside them (m), the computation graph (c) and the NN
diagram (d), and 784-128-10 with the panels. Before each timed press the stepper is moved (untimed)
to just before a step of the kind measured (forward, loss, backward, update; a graph's forward and
reverse); the timed part is a settled press (below: the key event put in the app's queue, then
waiting by events until its frame is drawn and its messages handled; before Dec 7 the pilot's press,
whose waits send every widget a message and poll), in CPU time (time.process_time: the idle waits
are sleeps and drop out). Each kind's median over K
presses; each line names the worst. A bare Textual app's keypress is the floor under every figure.
With ``--notation``, each network and view in each of the notation profiles named, one after the other
in the same run, with each kind's ratio to the first profile named (name lecture13 first), timed or
counted (``--instructions``) alike.

The burst: N presses of n sent at once to 784-128-10 (as a terminal delivers keys typed faster than
they are handled), and the wall-clock gaps between the frames the app draws while it works through
them (from the key events' arrival to the last frame): the longest gap, and how many frames.

``--instructions`` counts each press in instructions instead of timing it: the script runs itself
again under valgrind's callgrind with instrumentation off (``--instr-atstart=no``, so that the
apps' start and the untimed moves of the stepper run at a few times native speed), and around each
measured press a small C helper, compiled once with gcc against valgrind's ``callgrind.h`` and
called through ctypes, switches instrumentation on with the counters zeroed and afterwards dumps
them and switches it off again (callgrind's client requests ``START_INSTRUMENTATION``,
``ZERO_STATS``, ``DUMP_STATS_AT``, ``STOP_INSTRUMENTATION``); the press's count is the dump's
total. The press counted is a settled one, not the pilot's: the key event put in the app's queue as
a terminal's driver does, then waiting by events only until a frame is drawn, the messages queued
before it are handled and nothing is left to draw (the pilot's waits poll the process's CPU time,
which under callgrind's slow clock gives a varying number of turns of the event loop: 9.2–13.9 M on the
bare app's press). The wait for the queued messages (``settle``) sends a callback only to the app and
the widgets with messages waiting, behind them, and none to an idle widget: the pilot's
``_wait_for_screen`` (``--settle widgets``, the method before Dec 7) sends one through every widget of
the screen and wakes each one's task, which the count took for the app's (bare app 6.91 → 5.06 M,
count_tokens' 31 widgets about 10 M a press); both draw the same one frame a press and leave no
widget with a refresh or a message pending. The same line counted in two runs agrees to 0.1–0.8 %,
and a loaded machine changes no count. Each line gives each kind's median over K presses in millions of
instructions, its ratio to the bare app's press counted the same way, and an estimate in ms of CPU
on a quiet machine: the count at the bare app's rate, ``--bare-ms`` (1.67 ms: the rate the old
method's 2.3 ms for 6.91 M gave, 0.33 ms a million, kept so that the estimates of both methods
compare; the new settled press timed natively, medians of 40 at load 8, is 0.70–0.76 of the old's,
as its count is) — an estimate only, as code with another mix of work runs another number of
instructions a ms. The timed mode waits the same way (``--settle`` chooses for both). ``--views``
and ``--kinds`` choose the views (panels, m, c, d, graph) and step kinds. Slow
(a few s a press and 20–60 s an app start under valgrind), so choose: e.g. ``--only shapes,moons
--views m,d``. Needs valgrind and gcc. ``--by-kind`` adds a line per kind, for two commits' counts side
by side: ``python benchmarks/compare_commits.py OLD NEW --rounds 1 --script keypress_speed.py --
--instructions --by-kind --only count_tokens --views panels`` (a count does not depend on the load:
one round is enough). ``--max`` adds each kind's costliest single press and which of the K it was
(``#1`` the first press of that kind: the bound is on every press, and a median of K hides one slow
press, such as the one whose step moves the column onto a layer out of view); with ``--by-kind`` a
``max`` line per kind beside the median's. ``--each`` prints every press's count in order, by kind.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, big_spec

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


class Clock:
    """A press's CPU time in ms (time.process_time: the pilot's idle waits are sleeps and drop out)."""

    unit = "ms"

    def start(self) -> None:
        self.t = time.process_time()

    def stop(self) -> float:
        return (time.process_time() - self.t) * 1e3


HELPER_C = r"""
#include <valgrind/callgrind.h>
void meter_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void meter_stop(void) { CALLGRIND_DUMP_STATS_AT("press"); CALLGRIND_STOP_INSTRUMENTATION; }
"""
CHILD = "BPTUI_KEYPRESS_CALLGRIND"  # in the environment of the script run under callgrind: the helper and the dumps' prefix


class Instructions:
    """A press's instructions in millions, counted by callgrind (in the script run under valgrind):
    instrumentation on with the counters zeroed at start, the counters dumped and instrumentation
    off at stop; the count is the dump's total."""

    unit = "M"

    def __init__(self, helper: str, out: str) -> None:
        self.lib = ctypes.CDLL(helper)
        self.out = Path(out)
        self.dumps = 0

    def start(self) -> None:
        self.lib.meter_start()

    def stop(self) -> float:
        self.lib.meter_stop()
        self.dumps += 1
        dump = self.out.with_name(f"{self.out.name}.{self.dumps}")
        for line in dump.read_text().splitlines():
            if line.startswith("totals:"):
                dump.unlink()
                return int(line.split()[1]) / 1e6
        raise SystemExit(f"no totals in {dump}")


def under_callgrind(argv: list[str]) -> int:
    """Run this script again with ``argv`` under callgrind (instrumentation off until a press), its
    output passed through; the C helper compiled first."""
    with tempfile.TemporaryDirectory() as tmp:
        helper = Path(tmp) / "meter.so"
        (Path(tmp) / "meter.c").write_text(HELPER_C)
        subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(helper), str(Path(tmp) / "meter.c")], check=True)
        out = Path(tmp) / "cg.out"
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0", **{CHILD: f"{helper}:{out}"})
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                               sys.executable, __file__, *argv], env=env, stderr=subprocess.PIPE, text=True)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
        return proc.returncode


SETTLE = "queues"  # how a counted press waits for what a frame left queued (--settle)


async def settle(app) -> None:
    """Wait until the app, its screen and its widgets have handled what waits in their queues, by events
    (:func:`bptui.tui.queues.handle_queued`, which also says why not Textual's pilot's wait)."""
    from bptui.tui.queues import handle_queued

    while await handle_queued(app):
        pass


async def settled_press(app, pilot) -> None:
    """Press n as a terminal does (the key event into the app's queue) and wait, by events only, until
    its frame is drawn and nothing is left to draw: the pilot's waits poll the process's CPU time,
    which callgrind's slow clock turns into a varying number of turns of the event loop."""
    from textual import events

    frame = asyncio.Event()
    display = app._display
    drawn = False  # a frame with something in it has been drawn

    def shown(screen, renderable) -> None:
        nonlocal drawn
        display(screen, renderable)
        drawn = drawn or renderable is not None
        frame.set()  # (a refresh that finds nothing to draw ends a press too, once it has drawn)

    app._display = shown
    try:
        app._driver.send_message(events.Key("n", "n"))
        while True:
            await asyncio.wait_for(frame.wait(), 120)
            frame.clear()
            await (pilot._wait_for_screen() if SETTLE == "widgets" else settle(app))  # what the frame left queued
            screen = app.screen
            if drawn and not (screen._dirty_widgets or screen._layout_required or screen._repaint_required
                              or screen._scroll_required):
                break
    finally:
        app._display = display


async def student_pause(app) -> None:
    """The time a student leaves between two keys, in which the app's collection due at idle runs
    (``bptui/tui/collector.py``): not part of the next press (a burst of keys leaves none, ``--burst``)."""
    for _ in range(2_000):
        if getattr(app, "_idle_collection", None) is None:
            return
        await asyncio.sleep(0.01)


async def press(app, pilot, meter) -> float:
    """One press of n, settled, measured: timed, or counted. A collection due at idle whose time comes
    inside the measure waits until after it (``after_the_press``)."""
    await student_pause(app)
    with after_the_press(app):
        meter.start()
        await settled_press(app, pilot)
        measured = meter.stop()
    return measured


class after_the_press:
    """The app's collection due at idle (``bptui/tui/collector.py``), which its press's frame sets for
    ``IDLE`` (50 ms) later, runs after the press is measured. Natively the rest of a press after its frame
    lasts about a millisecond and the collection comes after it; under callgrind, which runs the press
    50–100 times slower on the same wall clock, the rest outlasted the 50 ms and the collection fell into
    the count (moons_layernorm in ng with the map, update press #2: 2.2 M of its 51.8 M). While the press
    is measured the collection's callback puts itself off by ``IDLE``; ``student_pause`` then waits for it.
    (An app without the collector is left as it is.)"""

    def __init__(self, app) -> None:
        self.app = app

    def __enter__(self) -> None:
        app = self.app
        if not hasattr(app, "_collect_if_idle"):
            return

        def put_off() -> None:
            from bptui.tui import collector

            app._idle_collection = asyncio.get_running_loop().call_later(collector.IDLE, app._collect_if_idle)

        app._collect_if_idle = put_off

    def __exit__(self, *exc) -> None:
        self.app.__dict__.pop("_collect_if_idle", None)


async def bare_press(presses: int, meter=None) -> float:
    """The bare app's press: median of ``presses`` after two left out."""
    meter = meter or Clock()
    app = Bare()
    counts = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(presses + 2):
            counts.append(await press(app, pilot, meter))
    return statistics.median(counts[2:])


def _sync(app) -> None:
    """The screen shows the stepper's position (after moving it without the screen)."""
    screen = app.screen
    with app.batch_update():
        screen.revision += 1
        screen.position = app.stepper.position


async def per_kind(make_app, view: str | None, presses: int, meter=None,
                   kinds: tuple[str, ...] = KINDS) -> dict[str, list[float]]:
    """CPU (ms; or instructions, by ``meter``) of each press of n, in order, by the kind of step it does."""
    meter = meter or Clock()
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
        for kind in kinds:
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
                counted = await press(app, pilot, meter)
                assert stepper.last.key.phase == kind
                times.setdefault(kind, []).append(counted)
    return times


def medians_of(times: dict[str, list[float]]) -> dict[str, float]:
    return {kind: statistics.median(ts) for kind, ts in times.items()}


def maxima(times: dict[str, list[float]], scale: float = 1.0, unit: str = "M") -> str:
    """Each kind's costliest single press and which of its presses it was (1 = the first of that kind)."""
    return " · max " + " ".join(
        f"{k[0]} {max(ts) * scale:.2f}{unit} (#{ts.index(max(ts)) + 1})" for k, ts in times.items())


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


def counted(args, only: set[str] | None) -> None:
    """The --instructions report (run under callgrind)."""
    helper, out = os.environ[CHILD].split(":")
    meter = Instructions(helper, out)
    views = set(filter(None, args.views.split(",")))
    kinds = tuple(k for k in KINDS if not args.kinds or k in args.kinds.split(","))
    bare = asyncio.run(bare_press(args.presses, meter))
    per_m = args.bare_ms / bare  # ms per million instructions, from the bare app's press on an idle machine
    print(f"instructions per keypress (n), processed and drawn, 120×40, median of {args.presses} per step kind "
          f"(valgrind --tool=callgrind; millions; ≈ ms on a quiet machine at the bare app's {args.bare_ms} ms):")
    print(f"  bare Textual app (a Static, a footer): {bare:8.2f} M")
    for name, make_app, net_views in networks(only):
        for view, key in net_views.items():
            if views and view not in views:
                continue
            first: dict[str, float] = {}
            for notation in notations(args):
                times = asyncio.run(per_kind(lambda n=notation: make_app(notation=n), key, args.presses, meter, kinds))
                medians = medians_of(times)
                if not medians:
                    continue
                kind, m = max(medians.items(), key=lambda kv: kv[1])
                each = " ".join(f"{k[0]} {v:6.2f}" for k, v in medians.items())
                ratios = "" if not first else " · ratio " + " ".join(
                    f"{k[0]} {v / first[k]:4.2f}" for k, v in medians.items() if first.get(k))
                first = first or medians
                flag = "  OVER" if m * per_m > BUDGET else ""
                named = "" if notation is None else f" {notation.name}"
                most = maxima(times) if args.max else ""
                print(f"  {name}{named} {view} worst {m:8.2f} M  {m / bare:5.2f}× bare  ≈{m * per_m:5.1f} ms  "
                      f"({kind}; {each}){ratios}{most}{flag}", flush=True)
                if args.by_kind:  # a line per kind, named by words only (compare_commits.py pairs two commits' lines)
                    for k, v in medians.items():
                        print(f"    {name}{named} {view} {k}: ≈ {v * per_m:.1f} ms  ({v:.2f} M)", flush=True)
                        if args.max:
                            top = max(times[k])
                            print(f"    {name}{named} {view} {k} max: ≈ {top * per_m:.1f} ms  ({top:.2f} M)", flush=True)
                if args.each:  # every press's count in order, each kind's own #1, #2, …
                    for k, ts in times.items():
                        print(f"      {name}{named} {view} {k} each: " + " ".join(f"{t:.2f}" for t in ts), flush=True)


def notations(args) -> list:
    """The notation profiles ``--notation`` names, in its order, or [None] (the file's own: the lecture's),
    for the timed and the counted modes alike."""
    from bptui.core.formulas.profiles import PROFILES

    return [PROFILES[n] for n in filter(None, args.notation.split(","))] or [None]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=5, help="timed presses of each step kind")
    parser.add_argument("--only", default="", help="network names (file stems, 784-128-10), comma-separated")
    parser.add_argument("--burst", type=int, default=200, help="presses in the burst (0: none)")
    parser.add_argument("--notation", default="", help="notation profiles (shipped names), comma-separated: "
                                                       "each network in each, side by side")
    parser.add_argument("--instructions", action="store_true",
                        help="count each press's instructions under valgrind's callgrind instead of timing it")
    parser.add_argument("--views", default="", help="with --instructions: panels, m, c, d, graph (comma-separated)")
    parser.add_argument("--kinds", default="", help="with --instructions: forward, loss, backward, update, reverse")
    parser.add_argument("--max", action="store_true",
                        help="also each kind's costliest single press and which press it was (a median hides one slow press)")
    parser.add_argument("--each", action="store_true",
                        help="with --instructions: every press's count, in order, by kind (which press is the costly one)")
    parser.add_argument("--by-kind", action="store_true",
                        help="with --instructions: each kind's estimate on a line of its own as well, so that "
                             "compare_commits.py can set two commits' counts side by side")
    parser.add_argument("--settle", choices=("queues", "widgets"), default="queues",
                        help="how a press waits for the messages its frame left: "
                             "queues (each queue's own count, no message sent: the app's work alone) or widgets "
                             "(the pilot's _wait_for_screen, a callback through every widget: the old method)")
    parser.add_argument("--bare-ms", type=float, default=1.67,
                        help="the bare app's settled press in ms of CPU on a quiet machine, for the estimate in ms")
    args = parser.parse_args()
    global SETTLE
    SETTLE = args.settle
    only = set(filter(None, args.only.split(",")))
    if args.instructions:
        if CHILD not in os.environ:
            raise SystemExit(under_callgrind(sys.argv[1:]))
        counted(args, only)
        return
    print(f"CPU per keypress (n), processed and drawn, 120×40, median of {args.presses} per step kind; "
          f"budget {BUDGET:.1f} ms:")
    print(f"  bare Textual app (a Static, a footer): {asyncio.run(bare_press(4 * args.presses)):6.2f} ms")
    worst = (0.0, "")
    for name, make_app, views in networks(only):
        for view, key in views.items():
            first: dict[str, float] = {}
            for notation in notations(args):
                times = asyncio.run(per_kind(lambda n=notation: make_app(notation=n), key, args.presses))
                medians = medians_of(times)
                kind, ms = max(medians.items(), key=lambda kv: kv[1])
                kinds = " ".join(f"{k[0]} {v:5.1f}" for k, v in medians.items())
                ratios = "" if not first else " · ratio " + " ".join(
                    f"{k[0]} {v / first[k]:4.2f}" for k, v in medians.items() if first.get(k))
                first = first or medians
                flag = "  OVER" if ms > BUDGET else ""
                named = "" if notation is None else f" {notation.name}"
                most = maxima(times, unit=" ms") if args.max else ""
                print(f"  {name}{named} {view} worst {ms:6.2f} ms  ({kind}; {kinds}){ratios}{most}{flag}")
                worst = max(worst, (ms, f"{name}{named} {view} {kind}"))
    print(f"worst keypress of all: {worst[0]:6.2f} ms  ({worst[1]})")
    if args.burst:
        gap, frames, wall = asyncio.run(burst(big_spec((784, 128, 10), n=20), args.burst))
        print(f"burst of {args.burst} n on 784-128-10, longest gap between frames: {gap:7.1f} ms  "
              f"({frames} frames in {wall / 1e3:.2f} s wall)")


if __name__ == "__main__":
    main()

"""TUI figures: steps processed and rendered (XOR, 784-128-10, a bare Textual app) and cold start.

    python benchmarks/tui_speed.py [--steps N] [--starts K]
    python benchmarks/tui_speed.py --tmux [--starts K] [--network NAME]
    python benchmarks/tui_speed.py --instructions [--network NAME]

Step cost is CPU time (time.process_time) of N steps, each followed by the pilot waiting until the
screen is drawn: the pilot's idle waits are sleeps, so they drop out and what is left is the work of
handling a key and rendering. Cold start is the wall time of a fresh process from launch to its
first frame (headless), interleaved with the bare app, median of K runs each.

``--tmux`` measures start-up as a user sees it, and only that: ``python -m bptui networks/xor.json``
launched in a fresh 120×40 tmux session, from the launch until the W⁽¹⁾ panel's numbers reach the
terminal (what the pane is sent, copied by ``tmux pipe-pane``, watched for them), interleaved with a bare Textual app launched and watched
the same way until its one line is on the terminal; median of K runs each, and their ratio. Unlike
the headless figure it counts the interpreter's own start and the terminal's first paint.

``--instructions`` counts start-up in instructions with valgrind's callgrind, which a loaded
machine does not stretch: the bare app to its first frame, and ``bptui networks/xor.json`` (as
launched, headless at 120×40) to its first frame and to the network screen, the app's process and
its reader child apart, if it has one (the child from its fork: callgrind starts a child at its
parent's count, so the process is counted once more up to the fork and that is taken off; xor has
none: plain JSON gives its verdict, core/formats/verdict.py). A few minutes; deterministic to a few
parts in a thousand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, big_spec

from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("0", id="s")


async def cpu_per_step(make_app, step, n: int) -> float:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(5):  # warm up
            step(app)
            await pilot.pause()
        t = time.process_time()
        for _ in range(n):
            step(app)
            await pilot.pause()
        return (time.process_time() - t) / n


def bare_step(app) -> None:
    static = app.query_one("#s", Static)
    static.update(str(int(str(static.render())) + 1))


# Each script prints, on its last line, how long before its end the first frame and the network's
# panels were on screen (perf_counter): the parent subtracts these from the process's wall time.
COLD_BARE = """
import time
from textual.app import App
from textual.widgets import Static
marks = {}
class Bare(App):
    def compose(self):
        yield Static("bptui")
    def on_mount(self):
        self.call_after_refresh(self.first_frame)
    def first_frame(self):
        marks["first"] = marks["shown"] = time.perf_counter()
        self.exit()
Bare().run(headless=True)
end = time.perf_counter()
print(end - marks["first"], end - marks["shown"])
"""

COLD_BPTUI = """
import sys, time
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
marks = {{}}
class Measured(tui.BptuiApp):
    def on_mount(self):  # Textual calls every class's on_mount along the MRO: no super() here
        self.call_after_refresh(lambda: marks.setdefault("first", time.perf_counter()))
    def panels_shown(self):  # the layer panels are on screen (the loading screen's, or the network's)
        marks["shown"] = time.perf_counter()
        marks.setdefault("first", marks["shown"])  # the loading screen's first frame has the panels
        self.exit()
tui.BptuiApp = Measured
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True)
from bptui.cli import main
main()
end = time.perf_counter()
print(end - marks["first"], end - marks["shown"])
"""


def cold_start(k: int) -> dict[str, float]:
    """Median wall time from launching a fresh process to its first frame, and to the network's
    panels on screen; the bare app and bptui interleaved, k runs each."""
    import compileall

    # bytecode, as an installed package has it (pip compiles on install; a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start)
    compileall.compile_dir(str(ROOT / "bptui"), quiet=1)
    path = str(ROOT / "networks" / "xor.json")
    scripts = {"bare": COLD_BARE, "bptui": COLD_BPTUI.format(path=path)}
    times: dict[str, list[float]] = {"bare": [], "first frame": [], "network shown": []}
    for _ in range(k):
        for name, code in scripts.items():
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
            wall = time.perf_counter() - t
            before_first, before_shown = map(float, out.stdout.split()[-2:])
            if name == "bare":
                times["bare"].append(wall - before_first)
            else:
                times["first frame"].append(wall - before_first)
                times["network shown"].append(wall - before_shown)
    return {name: statistics.median(ts) for name, ts in times.items()}


TMUX_BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare app ready")
Bare().run()
"""
TMUX_MARKERS = {"bare": "bare app ready", "bptui": "−0.4000"}  # xor's W⁽¹⁾ has −0.4 (row 1, column 3)
# another network (--network): the footer's "Backprop", which the network screen shows with its panels
# in one frame (the loading screen before it has a blank footer)
NETWORK_MARKER = "Backprop"


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, text=True).stdout


def _cpu(pid: int) -> tuple[float, float]:
    """Seconds of CPU a process has used so far: its own, and with its children that it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick
    return own, own + (int(fields[13]) + int(fields[14])) / tick


def tmux_start(socket: str, name: str, command: list[str], marker: str, env: dict[str, str],
               out: Path, cwd: Path = ROOT) -> tuple[float, float, float]:
    """Seconds from launching ``command`` in a new 120×40 tmux session until ``marker`` reaches its
    terminal, and the CPU seconds the process had used by then (its own; with the children it
    waited for). The session waits at a shell's ``read`` while tmux starts copying what the pane is
    sent into the file ``out`` (``pipe-pane``); the launch is the Enter that lets the shell ``exec``
    the command (so the process keeps the shell's pid). The file is read in this process every
    millisecond: no polling process competes with the app for the CPU. CPU time is what a loaded
    machine does not stretch (to a tick of /proc, 10 ms, and the work done in the millisecond after)."""
    import shlex

    flags = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
    out.write_bytes(b"")
    # started in ``cwd``, the checkout whose bptui it runs: ``python -m`` puts the working directory
    # first on sys.path, before PYTHONPATH
    _tmux(socket, "new-session", "-d", "-x", "120", "-y", "40", "-s", name, "-c", str(cwd), *flags,
          f"read go; exec {shlex.join(command)}")
    _tmux(socket, "pipe-pane", "-O", "-t", name, f"cat >> {shlex.quote(str(out))}")
    pid = int(_tmux(socket, "display-message", "-p", "-t", name, "#{pane_pid}"))
    want = marker.encode()
    try:
        with out.open("rb") as f:
            seen = b""
            t = time.perf_counter()
            _tmux(socket, "send-keys", "-t", name, "Enter")
            while want not in seen:
                seen += f.read()
                time.sleep(0.001)
                if time.perf_counter() - t > 60:  # a guard against a command that never draws, not a timing
                    screen = _tmux(socket, "capture-pane", "-p", "-t", name)
                    raise SystemExit(f"{shlex.join(command)} showed no {marker!r} in 60 s:\n{screen}")
            shown = time.perf_counter() - t
            cpu = _cpu(pid)
        assert marker in _tmux(socket, "capture-pane", "-p", "-t", name)  # on the screen, not only in the stream
        return (shown, *cpu)
    finally:
        _tmux(socket, "kill-session", "-t", name)


def tmux_cold_start(k: int, network: str = "xor", compare: Path | None = None) -> dict[str, float]:
    """Median seconds from launch to the panels on screen (bptui NETWORK) and to the first frame (the
    bare app), each launched k times in a fresh 120×40 tmux session, the two interleaved (and with
    ``compare``, a third: that checkout's bptui, "before"); and the CPU seconds used by then ("NAME
    wall", "NAME cpu", "NAME cpu+children")."""
    import compileall

    roots = {"bptui": ROOT, **({"before": compare} if compare else {})}
    for root in roots.values():
        compileall.compile_dir(str(root / "bptui"), quiet=1)  # bytecode, as an installed package has it
    socket = f"bptui-startup-{os.getpid()}"
    # the pane's environment: the checkout's bptui, bytecode read as installed, no NO_COLOR
    env = {"PYTHONDONTWRITEBYTECODE": "", "TERM": "xterm-256color"}
    envs = {"bare": {**env, "PYTHONPATH": str(ROOT)}, **{name: {**env, "PYTHONPATH": str(root)}
                                                          for name, root in roots.items()}}
    commands = {"bare": [sys.executable, "-c", TMUX_BARE],
                **{name: [sys.executable, "-m", "bptui", str(root / "networks" / f"{network}.json")]
                   for name, root in roots.items()}}
    cwds = {"bare": ROOT, **roots}
    marker = TMUX_MARKERS["bptui"] if network == "xor" else NETWORK_MARKER
    markers = {"bare": TMUX_MARKERS["bare"], "bptui": marker, "before": marker}
    _tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep", "sleep 100000")  # the server, started once
    _tmux(socket, "set-option", "-g", "remain-on-exit", "on")  # a command that fails shows why
    _tmux(socket, "set-option", "-g", "default-shell", "/bin/sh")
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pane"
        try:
            for name, command in commands.items():  # one unmeasured start each: the files in the page cache
                tmux_start(socket, f"warm-{name}", command, markers[name], envs[name], out, cwds[name])
            for i in range(k):
                for name, command in commands.items():
                    times[name].append(tmux_start(socket, f"{name}-{i}", command, markers[name], envs[name], out,
                                                  cwds[name]))
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    return {f"{name} {what}": statistics.median(run[i] for run in ts)
            for name, ts in times.items() for i, what in enumerate(("wall", "cpu", "cpu+children"))}


INSTR_BARE = """
import os
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare app ready")
    def on_ready(self):
        self.call_after_refresh(lambda: os._exit(0))  # after its first frame
Bare().run(headless=True, size=(120, 40))
"""

# `bptui FILE` as launched, headless at 120×40, ended (os._exit, no teardown counted) at its first
# frame or once the network screen is up; Textual is patched once cli has imported it, beside the
# reader child (a wrapper of cli._read_aside, so that the fork and the imports keep their order)
INSTR_BPTUI = """
import os, sys
sys.argv = ["bptui", {path!r}]
if {stop!r} == "fork":  # where the reader child is forked: what it inherits, counted in its own total too
    os.fork = lambda: os._exit(0)
import bptui.cli as cli
read_aside = cli._read_aside
def patched(doc, path):
    wait = read_aside(doc, path)
    def after_textual():
        from textual.app import App
        from bptui.tui import app as tui
        run = App.run
        App.run = lambda self, **kw: run(self, headless=True, size=(120, 40))
        if {stop!r} == "first frame":
            tui.BptuiApp._loading_shown = lambda self: os._exit(0)
        else:
            replay = tui.BptuiApp.replay_early_keys
            def replay_early_keys(self):
                if self.screen is self.main:  # the network screen is up
                    os._exit(0)
                replay(self)
            tui.BptuiApp.replay_early_keys = replay_early_keys
        return wait()
    return after_textual
cli._read_aside = patched
cli.main()
"""


def instructions(code: str) -> list[float]:
    """Millions of instructions a script runs under callgrind: its process first, then the
    children it forked (a loaded machine changes none of these counts)."""
    import re

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.%p", sys.executable,
                               "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    counts = {int(pid): int(n.replace(",", "")) for pid, n in re.findall(r"==(\d+)== Collected : ([\d,]+)", proc.stderr)}
    if not counts:
        raise SystemExit(f"valgrind counted nothing:\n{proc.stderr[-2000:]}")
    first = min(counts)  # the script's process started first
    return [counts[first] / 1e6] + [n / 1e6 for pid, n in sorted(counts.items()) if pid != first]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--starts", type=int, default=11)
    parser.add_argument("--tmux", action="store_true", help="only start-up in a 120×40 tmux session")
    parser.add_argument("--instructions", action="store_true",
                        help="only start-up, in instructions counted by valgrind (headless, 120×40)")
    parser.add_argument("--network", default="xor", help="the bundled network that --tmux and --instructions start")
    parser.add_argument("--compare", type=Path, help="with --tmux: another checkout's bptui (before a change), "
                        "launched the same way, interleaved with this one's and the bare app")
    args = parser.parse_args()
    net = args.network

    def label(what: str) -> str:
        return f"  bptui {net}, {what}:".ljust(52)
    if args.instructions:
        import compileall

        compileall.compile_dir(str(ROOT / "bptui"), quiet=1)  # bytecode, as an installed package has it
        path = str(ROOT / "networks" / f"{net}.json")
        bare = instructions(INSTR_BARE)[0]
        first = instructions(INSTR_BPTUI.format(path=path, stop="first frame"))
        network = instructions(INSTR_BPTUI.format(path=path, stop="network screen"))
        print("start-up in instructions (valgrind --tool=callgrind; headless, 120×40; millions):")
        print(f"{'  bare Textual app, its first frame:':52}{bare:7.0f} M")
        print(f"{label('its first frame')}{first[0]:7.0f} M  ({first[0] / bare:.2f}× bare)")
        child = 0.0
        if len(first) > 1:
            # callgrind gives a forked child the count its parent had at the fork: what the child ran
            # itself is its total less that (the app's process, ended where it would fork)
            forked = instructions(INSTR_BPTUI.format(path=path, stop="fork"))[0]
            child = sum(first[1:]) - forked * len(first[1:])
            print(f"{label('its reader child')}{child:7.0f} M  (from the fork; {forked:.0f} M before it)")
        else:  # a file plain JSON decides gets its verdict in the app's process (core/formats/verdict.py)
            print(f"{label('its reader child')}   none (the verdict given in the app's process)")
        print(f"{label('both processes to the first frame')}{first[0] + child:7.0f} M  "
              f"({(first[0] + child) / bare:.2f}× bare)")
        print(f"{label('to the network screen')}{network[0]:7.0f} M  ({network[0] / bare:.2f}× bare)")
        return
    if args.tmux:
        load = os.getloadavg()[0]
        c = tmux_cold_start(args.starts, net, args.compare)
        print(f"start-up in a 120×40 tmux session, launch to on screen, median of {args.starts} each, interleaved "
              f"(load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores):")
        print(f"{'  bare Textual app, its first frame:':52}{c['bare wall'] * 1e3:5.0f} ms")
        print(f"{label('its panels shown')}{c['bptui wall'] * 1e3:5.0f} ms  "
              f"({c['bptui wall'] / c['bare wall']:.2f}× bare)")
        if args.compare:
            print(f"{label('its panels shown, before')}{c['before wall'] * 1e3:5.0f} ms  "
                  f"({c['before wall'] / c['bare wall']:.2f}× bare; {args.compare})")
        print("CPU time used by then (the app's process; with the child that reads the file beside it):")
        print(f"{'  bare Textual app:':52}{c['bare cpu'] * 1e3:5.0f} ms")
        print(f"{label('its process')}{c['bptui cpu'] * 1e3:5.0f} ms  ({c['bptui cpu'] / c['bare cpu']:.2f}× bare)")
        print(f"{label('with its reader child')}{c['bptui cpu+children'] * 1e3:5.0f} ms  "
              f"({c['bptui cpu+children'] / c['bare cpu']:.2f}× bare)")
        if args.compare:
            print(f"{label('before, with its reader child')}{c['before cpu+children'] * 1e3:5.0f} ms  "
                  f"({c['before cpu+children'] / c['bare cpu']:.2f}× bare)")
        return
    sys.path.insert(0, str(ROOT))
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    xor = load(ROOT / "networks" / "xor.json")
    big = big_spec((784, 128, 10), n=20)
    n = args.steps
    bare = asyncio.run(cpu_per_step(Bare, bare_step, n))
    t_xor = asyncio.run(cpu_per_step(lambda: BptuiApp(xor), lambda a: a.main.action_next(), n))
    t_big = asyncio.run(cpu_per_step(lambda: BptuiApp(big), lambda a: a.main.action_next(), n))

    def with_map(app):  # m: the decision map beside the panels, redrawn when an update changes the weights
        if app.main._side_map is None:
            app.main.action_toggle_map()
        app.main.action_next()

    t_map = asyncio.run(cpu_per_step(lambda: BptuiApp(xor), with_map, n))
    print(f"CPU per step, processed and rendered ({n} steps, 120×40):")
    print(f"  bare Textual app (one Static): {bare * 1e3:6.2f} ms")
    print(f"  bptui XOR:                     {t_xor * 1e3:6.2f} ms  ({t_xor / bare:.2f}× bare)")
    print(f"  bptui 784-128-10:              {t_big * 1e3:6.2f} ms  ({t_big / bare:.2f}× bare, {t_big / t_xor:.2f}× XOR)")
    print(f"  bptui XOR, map beside (m):     {t_map * 1e3:6.2f} ms  ({t_map / t_xor:.2f}× XOR; "
          "the map redrawn after each update step)")
    c = cold_start(args.starts)
    b = c["bare"]
    print(f"cold start, median of {args.starts} fresh processes each, interleaved:")
    print(f"  bare Textual app, first frame:         {b * 1e3:5.0f} ms")
    print(f"  bptui xor, first frame:                {c['first frame'] * 1e3:5.0f} ms  ({c['first frame'] / b:.2f}× bare)")
    print(f"  bptui xor, the network's panels shown: {c['network shown'] * 1e3:5.0f} ms  ({c['network shown'] / b:.2f}× bare)")


if __name__ == "__main__":
    main()

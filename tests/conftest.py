import json
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# the same examples on every run, so CI never fails on a draw a developer could not reproduce; and no
# limit on an example's wall-clock time (hypothesis' default deadline is 200 ms, and its too_slow health
# check allows 1 s of drawing with it): a loaded machine stretches both (tests/test_fuzz.py guards
# against hangs with CPU time)
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("deterministic")

# Ctrl+C for the children the tests stop with SIGINT (an export, a trace, a server): a run started in the
# background from a script (`python -m pytest … &`, as a shell without job control starts it) begins with
# SIGINT ignored and passes that on to every child, which then runs on (3 failures beside `stress`, one
# after a 120 s wait); a handler here is reset to the default in each child, as a terminal's shell has it
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)



def _settled_pauses() -> None:
    """``pilot.pause()`` (and ``resize_terminal``, which ends with it) returns once the app has handled
    what it queued and the screen has nothing left to lay out or draw, by events, not the clock: Textual's
    pause waits until the process's CPU time stops advancing over 20 ms, which a loaded machine (load
    10–25 on 2 cores) fakes by not running the process, so a test read a layout half done (the shared
    column's heights after a resize, tests/test_layout_shared.py). A pause with a ``delay`` is the clock's."""
    from textual.pilot import Pilot

    pause = Pilot.pause

    async def settled(self, delay: float | None = None) -> None:
        await pause(self, delay)
        if delay is not None:
            return
        app = self.app
        for _ in range(50):  # a bound, not a clock: a screen that redraws for ever (training) stops here
            try:
                screen = app.screen
            except Exception:  # no screen (the app has ended)
                return
            queued = any(pump._message_queue.qsize() for pump in (app, *screen.walk_children(with_self=True)))
            drawing = (screen._layout_required or screen._scroll_required or screen._repaint_required
                       or screen._recompose_required or screen._dirty_widgets or screen._callbacks)
            if not queued and not drawing:
                return
            await self._wait_for_screen()
            screen._on_timer_update()

    Pilot.pause = settled  # type: ignore[method-assign]


_settled_pauses()

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ROOT / "networks"
# seconds a child process (`python -m bptui …`, pdflatex) may run before a test calls it hung: a few on
# a quiet machine; the bound is only there so that a hang fails, generous because load stretches runs
HANG = 300


def dropout_on_maps(folder: Path) -> Path:
    """edges with a dropout layer after its convolution: the one layer network the app still draws in
    the lecture's notation only (the map panel in a profile has no names for a mask yet)."""
    doc = json.loads((NETWORKS / "edges.json").read_text(encoding="utf-8"))
    doc["layers"].insert(2, {"type": "dropout", "p": 0.2, "seed": 7})
    path = folder / "edges_dropout.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _kind(path: Path) -> str:
    return json.loads(path.read_text()).get("kind", "network")


ALL_EXAMPLES = sorted(p.stem for p in NETWORKS.glob("*.json"))
def _v2(path: Path) -> bool:
    """A network file in format v2 (a map input, convolution or pooling): tests/test_conv.py runs the
    commands on these; the v1 tests, which read W⁽ˡ⁾ o⁽ˡ⁻¹⁾ and matrix weights, on the others."""
    layers = json.loads(path.read_text()).get("layers", [])
    return any("shape" in layer or "type" in layer for layer in layers)


EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network" and not _v2(NETWORKS / f"{name}.json")]
V2_EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network" and _v2(NETWORKS / f"{name}.json")]
GRAPH_EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "graph"]


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: without it (-p no:xdist) pytest does not know it
def pytest_xdist_auto_num_workers(config):
    """``-n auto`` starts half as many test processes again as the machine has cores (3 on 2 cores): a
    TUI test spends most of its wall-clock time asleep in the pilot's waits for the app to go idle (20 ms
    at least after each key, twice; tests/test_tui.py: 845 waits, 17 s asleep beside 8.3 s of CPU), and
    while one process sleeps another can use its core. PYTEST_XDIST_AUTO_NUM_WORKERS still sets the
    number outright."""
    import os

    from xdist.plugin import pytest_xdist_auto_num_workers as cores

    n = cores(config)
    return n if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") else n + max(1, n // 2)


@pytest.fixture
def xor_path() -> Path:
    return NETWORKS / "xor.json"


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch):
    """Text inputs show their cursor steadily instead of blinking every 0.5 s: a snapshot taken more
    than 0.5 s after the last key (as on a loaded machine) would otherwise catch it hidden."""
    from textual.widgets import Input

    assert hasattr(Input, "_toggle_cursor")  # Textual's blink timer calls it: a rename must not pass silently
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def colour_setting_stays_in_its_test():
    """``main([..., "--no-color"])`` run in-process sets NO_COLOR for Rich and Textual, as the command
    line should; put it back, or every later app in that test worker draws without colour (the
    snapshots it takes then fail)."""
    import os

    before = os.environ.get("NO_COLOR")
    yield
    if before is None:
        os.environ.pop("NO_COLOR", None)
    else:
        os.environ["NO_COLOR"] = before

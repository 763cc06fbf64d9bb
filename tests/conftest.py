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



async def _settle(app) -> bool:
    """Wait, by events, until the app, its screen and the screen's widgets have handled what they have
    queued and the screen has nothing left to lay out or draw (drawn now where it has); False when a
    worker runs (its thread's work is waited for by the clock, as Textual does) or the app has ended."""
    import asyncio

    from textual.worker import WorkerState

    from bptui.tui.queues import handle_queued

    for _ in range(50):  # a bound, not a clock: a screen that redraws for ever (training) stops here
        if any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers):
            return False
        try:
            screen = app.screen
        except Exception:  # no screen (the app has ended)
            return False
        if app._resize_timer is not None:  # a resize waits 1/120 s for the next one (Textual's debounce): now
            app._check_resize()
        if await handle_queued(app):
            continue
        if (screen._layout_required or screen._scroll_required or screen._repaint_required
                or screen._recompose_required or screen._dirty_widgets or screen._callbacks):
            screen._on_timer_update()
            await asyncio.sleep(0)
            continue
        return True
    return True


def _settled_pauses() -> None:
    """The pilot waits for the app by events, not by the clock: ``pilot.pause()`` (and ``resize_terminal``,
    which ends with it) and each key ``pilot.press`` sends return once the app has handled what it
    queued and the screen has nothing left to lay out or draw (:func:`_settle`). Textual's waits poll
    the process's CPU time for 20 ms at least, twice a key: most of an app test's wall-clock time was
    asleep there (tests/test_tui.py: 845 waits, 17 s asleep beside 8.3 s of CPU), and a loaded machine
    (load 10–25 on 2 cores) fakes their idleness by not running the process, so a test read a layout
    half done (the shared column's heights after a resize, tests/test_layout_shared.py). While a worker
    runs, and for a pause with a ``delay``, the clock's waits are kept."""
    import unicodedata

    from textual import events
    from textual._wait import wait_for_idle
    from textual.app import App
    from textual.pilot import Pilot
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    async def pause(self, delay: float | None = None) -> None:
        await self._wait_for_screen()
        if delay is not None:
            import asyncio

            await asyncio.sleep(delay)
        elif not await _settle(self.app):
            await wait_for_idle(0)
        self.app.screen._on_timer_update()

    async def press_keys(self, keys) -> None:  # Textual's App._press_keys, its waits by events
        import asyncio

        app = self
        assert app._driver is not None
        for key in keys:
            if key.startswith("wait:"):
                _, wait_ms = key.split(":")
                await asyncio.sleep(float(wait_ms) / 1000)
                await app._animator.wait_until_complete()
                continue
            if len(key) == 1 and not key.isalnum():
                key = _character_to_key(key)
            original_key = REPLACED_KEYS.get(key, key)
            char: str | None
            try:
                char = unicodedata.lookup(_get_unicode_name_from_key(original_key))
            except KeyError:
                char = key if len(key) == 1 else None
            key_event = events.Key(key, char)
            key_event.set_sender(app)
            await app._post_message(key_event)  # (the driver's send_message posts it from a task run later)
            if not await _settle(app):
                await wait_for_idle(0)
            await app._animator.wait_until_complete()
            if not await _settle(app):
                await wait_for_idle(0)

    Pilot.pause = pause  # type: ignore[method-assign]
    App._press_keys = press_keys  # type: ignore[method-assign]


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
    """``-n auto`` starts half as many test processes again as the machine has cores (3 on 2 cores): a test
    that waits (a subprocess, a browser, a server's silence limit, an app's worker thread, the clock's waits
    the pilot keeps while a worker runs) leaves its core to another. PYTEST_XDIST_AUTO_NUM_WORKERS still sets
    the number outright."""
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


@pytest.fixture(autouse=True)
def no_error_said(request, monkeypatch):
    """An error the app caught and said on screen ("Something went wrong: …", ``tui/guard.report``) fails
    the test it happened in: the app carries on after one, and a test that reads only a panel's lines saw
    stale lines and nothing else (a sequence panel's scroll that indexed a lazily made line raised at every
    step). A test that provokes one on purpose is marked ``says_an_error``."""
    from bptui.tui import guard

    said: list[str] = []
    report = guard.report

    def reported(app, error) -> None:
        said.append(guard.describe(error))
        report(app, error)

    monkeypatch.setattr(guard, "report", reported)
    yield
    if said and request.node.get_closest_marker("says_an_error") is None:
        pytest.fail(f"the app said an error {len(said)} time(s): {said[0]}", pytrace=False)

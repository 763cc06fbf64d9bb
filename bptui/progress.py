"""Progress of a long run on the terminal: ``bptui trace`` and ``bptui export`` walking many steps.

The commands that walk steps (:mod:`bptui.trace`, :mod:`bptui.export`) call :func:`step` once per
step; the command line wraps a run in :func:`shown`, which draws a bar on standard error when the
run is long and standard error is a terminal (never into a pipe or a file, and never on standard
output, which carries the result). Ctrl+C ends the run with status 130 (``cli.main``), and an output file is only renamed into
place when it is complete (``core/files.atomic_writer``), so an interrupted run leaves no part of one.
"""

from __future__ import annotations

import contextlib
import sys
import time
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Iterator

SHOWN_FROM = 20_000  # steps: shorter runs of quick steps end within a few seconds, and a bar would only flicker
SHOWN_AFTER = 1.0  # seconds: a shorter run whose steps are slow (a sequence network's) gets the bar when it has taken this long
_EVERY = 512  # steps between two updates of the bar (an update costs about as much as 10 steps)
_LOOK = 64  # steps between two looks at the clock while no bar is shown
_hook: ContextVar[Callable[[], None] | None] = ContextVar("bptui_progress", default=None)


_interrupt = False  # a Ctrl+C that Python could only print (cli._interrupt_again): the next step raises it


def interrupted() -> None:
    """A Ctrl+C was delivered where it could not be raised (a finalizer): :func:`step` raises it."""
    global _interrupt
    _interrupt = True


def take_interrupt() -> bool:
    """Whether a Ctrl+C is still to be raised (the run ended before another step); it is taken."""
    global _interrupt
    was, _interrupt = _interrupt, False
    return was


def step() -> None:
    """One step walked (a no-op unless a bar is shown, or a Ctrl+C is still to be raised)."""
    if _interrupt:
        take_interrupt()
        raise KeyboardInterrupt
    hook = _hook.get()
    if hook is not None:
        hook()


@contextlib.contextmanager
def shown(total: int, what: str, no_color: bool | None = None) -> Iterator[None]:
    """A transient bar "``what`` n/total steps" on standard error while the block runs, when standard
    error is a terminal: from the start for runs of at least SHOWN_FROM steps, else once the run has
    taken SHOWN_AFTER seconds (tiny_transformer's 22,300 steps and count_tokens' 11,860 take seconds)."""
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced
        terminal = False
    if not terminal or total < _EVERY:
        yield
        return
    bar: Any = None
    task: Any = None
    count = 0
    start = time.monotonic()

    def begin() -> None:
        nonlocal bar, task
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn("steps"), TimeRemainingColumn(),
                       console=Console(stderr=True, no_color=no_color), transient=True)
        task = bar.add_task(what, total=total, completed=count)
        bar.start()

    def tick() -> None:
        nonlocal count
        count += 1
        if bar is None:
            if count % _LOOK == 0 and time.monotonic() - start >= SHOWN_AFTER:
                begin()
        elif count % _EVERY == 0:
            bar.update(task, completed=count)

    if total >= SHOWN_FROM:
        begin()
    token = _hook.set(tick)
    try:
        yield
    finally:
        if bar is not None:
            bar.stop()
        _hook.reset(token)


def lines(source: Iterable[str], total: int, what: str) -> Iterator[str]:
    """``source``'s lines, with the bar of :func:`shown` while they are made (a generator, so the bar
    lasts as long as whoever writes them keeps reading)."""
    with shown(total, what):
        yield from source

"""Progress of a long run on the terminal: ``bptui trace`` and ``bptui export`` walking many steps.

The commands that walk steps (:mod:`bptui.trace`, :mod:`bptui.export`) call :func:`step` once per
step; the command line wraps a long run in :func:`shown`, which draws a bar on standard error when
it is a terminal (never into a pipe or a file, and never on standard output, which carries the
result). Ctrl+C ends the run with status 130 (``cli.main``), and an output file is only renamed into
place when it is complete (``core/files.atomic_writer``), so an interrupted run leaves no part of one.
"""

from __future__ import annotations

import contextlib
import sys
from contextvars import ContextVar
from typing import Callable, Iterable, Iterator

SHOWN_FROM = 20_000  # steps: shorter runs end within a few seconds, and a bar would only flicker
_EVERY = 512  # steps between two updates of the bar (an update costs about as much as 10 steps)
_hook: ContextVar[Callable[[], None] | None] = ContextVar("bptui_progress", default=None)


def step() -> None:
    """One step walked (a no-op unless a bar is shown)."""
    hook = _hook.get()
    if hook is not None:
        hook()


@contextlib.contextmanager
def shown(total: int, what: str, no_color: bool | None = None) -> Iterator[None]:
    """A transient bar "``what`` n/total steps" on standard error while the block runs, for runs of
    at least SHOWN_FROM steps when standard error is a terminal."""
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced
        terminal = False
    if not terminal or total < SHOWN_FROM:
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn("steps"), TimeRemainingColumn(),
                   console=Console(stderr=True, no_color=no_color), transient=True)
    task = bar.add_task(what, total=total)
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count % _EVERY == 0:
            bar.update(task, completed=count)

    token = _hook.set(tick)
    bar.start()
    try:
        yield
    finally:
        bar.stop()
        _hook.reset(token)


def lines(source: Iterable[str], total: int, what: str) -> Iterator[str]:
    """``source``'s lines, with the bar of :func:`shown` while they are made (a generator, so the bar
    lasts as long as whoever writes them keeps reading)."""
    with shown(total, what):
        yield from source

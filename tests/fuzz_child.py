"""The child process of tests/test_fuzz_spec.py: runs bptui commands in one process and reports.

``python -m tests.fuzz_child CASE.json`` reads ``{"commands": [[argv…], …]}`` and runs each through
``bptui.cli.main`` (as ``python -m bptui`` would), its standard output counted, not kept (a large
allowed export must not count against the parent's memory limit), its standard error kept. It
prints one JSON line per command: the status, standard error, the CPU seconds it took and the
characters written; an exception that escapes ``main`` (a traceback, a MemoryError under the
parent's RLIMIT_AS) is reported as ``traceback``. The parent sets the limits (RLIMIT_AS, RLIMIT_CPU).

``python -m tests.fuzz_child --fork`` imports bptui once and then, for each line of standard input
(``{"case": CASE.json, "stdout": …, "stderr": …, "memory": bytes, "cpu": seconds}``), forks a process
that sets those limits, runs the case as above with its standard output and error in those files, and
ends; it answers a JSON line per case with the process's status, CPU seconds and peak MiB (wait4). Each
case still runs alone in a fresh process under its own limits, without paying the interpreter's start
and bptui's imports again (about 0.4 s of CPU a case).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import time
import traceback


class Sink(io.TextIOBase):
    """A text stream that counts what is written to it."""

    def __init__(self) -> None:
        self.chars = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def main(path: str) -> None:
    from bptui.cli import main as bptui

    with open(path, encoding="utf-8") as fh:
        case = json.load(fh)
    for argv in case["commands"]:
        out, err = Sink(), io.StringIO()
        start = time.process_time()
        result: dict = {"argv": argv}
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result["code"] = bptui(argv)
        except BaseException:  # noqa: BLE001 - reporting it is the point
            result["traceback"] = traceback.format_exc(limit=-3)
        result.update(stderr=err.getvalue(), cpu=time.process_time() - start, out_chars=out.chars)
        print(json.dumps(result), flush=True)


def _run_forked(order: dict) -> None:
    """In the forked process: the limits, the case's files as its standard streams, the case; never returns."""
    code = 0
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(order["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(order["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        resource.setrlimit(resource.RLIMIT_AS, (order["memory"], order["memory"]))  # the streams made, the case limited
        resource.setrlimit(resource.RLIMIT_CPU, (order["cpu"], order["cpu"] + 5))
        main(order["case"])
    except BaseException:  # noqa: BLE001 - a status the parent reports
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                code = 1
        os._exit(code)


WARM = ("bptui.cli", "numpy", "bptui.core.formats.spec", "bptui.core.engine.stepper", "bptui.core.engine.train",
        "bptui.core.teaching.check", "bptui.trace", "bptui.export", "bptui.exercise", "bptui.plot",
        "bptui.core.graphs.graph_stepper", "bptui.core.util.jsonfmt", "bptui.core.util.files")


def serve() -> None:
    """``--fork``: bptui imported once; a forked process per case (module docstring)."""
    import importlib

    for name in WARM:  # what the cases' commands import, once, before the first fork
        importlib.import_module(name)

    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_forked(order)
        _, status, usage = os.wait4(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime,
                          "maxrss_mib": usage.ru_maxrss / 1024}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--fork":
        serve()
    else:
        main(sys.argv[1])

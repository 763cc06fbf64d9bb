"""The child process of tests/test_fuzz_spec.py: runs bptui commands in one process and reports.

``python -m tests.fuzz_child CASE.json`` reads ``{"commands": [[argv…], …]}`` and runs each through
``bptui.cli.main`` (as ``python -m bptui`` would), its standard output counted, not kept (a large
allowed export must not count against the parent's memory limit), its standard error kept. It
prints one JSON line per command: the status, standard error, the CPU seconds it took and the
characters written; an exception that escapes ``main`` (a traceback, a MemoryError under the
parent's RLIMIT_AS) is reported as ``traceback``. The parent sets the limits (RLIMIT_AS, RLIMIT_CPU).
"""

from __future__ import annotations

import contextlib
import io
import json
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


def main() -> None:
    from bptui.cli import main as bptui

    with open(sys.argv[1], encoding="utf-8") as fh:
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


if __name__ == "__main__":
    main()

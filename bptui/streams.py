"""Lines for the user on the standard streams, safe whatever the streams are: the CLI's error line
and the notes a command writes beside its output (``bptui export --variants``)."""

from __future__ import annotations

import sys


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters, lone surrogates and bidirectional controls
    (from a file's name, say) written as escapes (``\\x1b``), so they cannot act on the terminal."""
    from .core.util.validate import unsafe_char

    if unsafe_char(text) is None:
        return text
    return "".join(ch if ch in "\t" or unsafe_char(ch) is None else ascii(ch)[1:-1] for ch in text)


def note(line: str) -> None:
    """A line on stderr; a stderr that cannot take it (closed, a full disk) changes nothing else."""
    if sys.stderr is None:  # print(file=None) would write it on stdout
        return
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # no stderr to say it on
        pass

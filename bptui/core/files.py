"""Reading and writing files safely: only regular files, with a size cap; writes that never leave
a half-written file behind.

Pure standard library (no NumPy), so the app can read a file before it loads the math.

- :func:`read_text` reads a regular file of at most ``limit`` bytes as UTF-8 (a leading byte order
  mark is dropped). A FIFO, a device (``/dev/zero``), a directory, a symlink loop or a name the
  operating system refuses is one :class:`SpecError` naming the file, never a hang or a traceback.
- :func:`atomic_writer` and :func:`write_text_atomic` write to a temporary file in the target's
  folder and rename it into place, so the target is either the old file or the whole new one, even
  when the disk fills up half-way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from .errors import SpecError

MiB = 1 << 20
MAX_NETWORK_FILE_BYTES = 64 * MiB  # a network or graph file (JSON); parsing takes about 30× in memory
MAX_CSV_FILE_BYTES = 256 * MiB  # a data file


def _size_text(n: int) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n} bytes"


def _reason(err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    if err.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    return err.strerror or str(err)


def check_name(path: str | Path, what: str = "file") -> str:
    """``path`` as a string, or a SpecError for a name no file can have (empty, or with a NUL)."""
    source = str(path)
    if source.strip() == "":
        raise SpecError(f"an empty name: the {what} needs a name", source=repr(source))
    if "\0" in source:
        raise SpecError(f"a {what} name cannot contain a NUL character", source=repr(source))
    return source


def exists(path: str | Path) -> bool:
    """Whether something is at ``path``; False (not an exception) for names the OS refuses."""
    try:
        return os.path.lexists(path) if str(path) else False
    except (OSError, ValueError):
        return False


def missing(path: str | Path) -> str:
    """Why nothing can be read at ``path``: "no such file", or the reason the OS gives."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as err:
        return f"cannot read: {_reason(err)}"
    except ValueError:
        return "not a file name"
    return "no such file"


def open_regular(path: str | Path, limit: int, what: str = "network file", place: str = "") -> IO[bytes]:
    """A regular file of at most ``limit`` bytes, open for reading; anything else is a SpecError."""
    source = check_name(path)

    def fail(message: str) -> SpecError:
        return SpecError(message, source=source, place=place)

    try:
        info = os.stat(source)
    except FileNotFoundError:
        raise fail("no such file") from None
    except OSError as err:
        raise fail(f"cannot read: {_reason(err)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail(f"is a directory, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise fail(f"is {kind}, not a {what}: only regular files are read")
    if info.st_size > limit:
        raise fail(f"{_size_text(info.st_size)} is too big for a {what} (at most {_size_text(limit)})")
    try:
        # O_NONBLOCK: should the file have been swapped for a FIFO since the stat, open does not block
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        fh = os.fdopen(fd, "rb")
    except OSError as err:
        raise fail(f"cannot read: {_reason(err)}") from None
    if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
        fh.close()
        raise fail(f"is not a regular file, not a {what}")
    return fh


def read_bytes(path: str | Path, limit: int, what: str = "network file", place: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is a SpecError."""
    with open_regular(path, limit, what, place) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as err:
            raise SpecError(f"cannot read: {_reason(err)}", source=str(path), place=place) from None
    if len(data) > limit:  # it grew since the stat
        raise SpecError(f"too big for a {what} (more than {_size_text(limit)})", source=str(path), place=place)
    return data


def read_text(path: str | Path, limit: int, what: str = "network file", place: str = "") -> str:
    """A regular file's text (UTF-8, a leading byte order mark dropped), at most ``limit`` bytes."""
    data = read_bytes(path, limit, what, place)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError(f"not UTF-8 text (byte {err.start})", source=str(path), place=place) from None


# -- writing --------------------------------------------------------------------------------------
def _new_file_mode(target: Path) -> int:
    """The target's mode if it exists; else what a plain ``open(…, "w")`` would give (0666 − umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_writer(path: str | Path, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A text stream to a temporary file in ``path``'s folder, renamed onto ``path`` when the block
    ends without an exception (and removed when it raises). The old file stays whole until then.
    A symlink is written through (the link stays); a device or a pipe is written into directly,
    never replaced by a file.

    ``encoding="binary"`` gives a bytes stream. OSErrors (a missing folder, a full disk, no
    permission) become a SpecError naming ``path``."""
    source = check_name(path)
    try:
        mode = os.stat(source).st_mode  # what the name leads to, through symlinks
    except (OSError, ValueError):
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise SpecError("is a directory: give a file name to write to", source=source)
    if mode is not None and not stat.S_ISREG(mode):
        # a device or a pipe (/dev/stdout, /dev/null, a FIFO): written into, never replaced by a file
        try:
            with (open(source, "wb") if encoding == "binary" else
                  open(source, "w", encoding=encoding, newline="\n")) as out:
                yield out
        except BrokenPipeError:  # --output /dev/stdout | head: the reader has all it wanted
            raise
        except OSError as err:
            raise SpecError(f"cannot write: {_reason(err)}", source=source) from None
        return
    target = Path(os.path.realpath(source))  # through a symlink: the link stays, its file is replaced
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise SpecError(f"cannot write: {_reason(err)}", source=source) from None
    try:
        try:
            with (os.fdopen(fd, "wb") if encoding == "binary" else
                  os.fdopen(fd, "w", encoding=encoding, newline="\n")) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _new_file_mode(target))
            os.replace(tmp, target)
        except OSError as err:
            raise SpecError(f"cannot write: {_reason(err)}; the file was left as it was", source=source) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as fh:
        fh.write(text)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, encoding="binary") as fh:
        fh.write(data)


def write_lines_atomic(path: str | Path, lines: Iterable[str]) -> None:
    """Write each line and a newline to ``path`` atomically, streaming: nothing is joined in memory."""
    with atomic_writer(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def check_not_an_input(out: str | Path, spec: Any, what: str) -> None:
    """Refuse an output name that is no file name, or that would replace one of ``spec``'s input
    files (the network or graph file itself, or its CSV data) with ``what`` (Markdown, a PDF, …)."""
    check_name(out, "output file")
    inputs = [str(spec.source)]
    csv = spec.raw.get("data", {}).get("csv") if isinstance(spec.raw.get("data"), dict) else None
    if isinstance(csv, str):
        inputs.append(str(Path(spec.source).parent / csv))
    for name in inputs:
        if name and same_file(out, name):
            raise SpecError(f"is the input file {name}: writing {what} there would replace it "
                            "(choose another name)", source=str(out))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two names are the same existing file (hard links and symlinks included)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False

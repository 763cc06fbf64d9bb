"""Reading and writing files safely: only regular files, with a size cap; writes that never leave
a half-written file behind.

Pure standard library (no NumPy), so the app can read a file before it loads the math.

- :func:`read_text` reads a regular file of at most ``limit`` bytes as UTF-8 (a leading byte order
  mark is dropped). A FIFO, a device (``/dev/zero``), a directory, a symlink loop or a name the
  operating system refuses is one :class:`SpecError` naming the file, never a hang or a traceback.
- :func:`atomic_writer` and :func:`write_text_atomic` write to a temporary file in the target's
  folder and rename it into place, so the target is either the old file or the whole new one, even
  when the disk fills up half-way or the run is killed; the one place bptui writes files.
- :func:`check_output` and :func:`check_outputs` say, before any work, whether an output name can
  be written without destroying what the user meant to keep: not an input, not another output of
  the same command, not a folder, a read-only file or a hard link (unless forced).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
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


def _kind(mode: int) -> str:
    """What a file that is not a regular file or a folder is, for an error message."""
    return ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) else "a block device (a disk)" if stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file")


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
        raise fail(f"is {_kind(info.st_mode)}, not a {what}: only regular files are read")
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


def npz_arrays(raw: bytes, limit: int, source: str) -> dict[str, Any]:
    """The arrays of an ``.npz`` read as ``raw`` (a student's trace, a data file), by name. Refused with a
    SpecError naming ``source``: no zip archive; arrays that unpack into more than ``limit`` bytes (a
    compressed file can hold far more than its size, read before any array is); an array that needs
    pickle (never unpickled)."""
    import io
    import zipfile

    import numpy as np

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpecError("not a NumPy .npz (not a zip archive)", source=source) from None
    if unpacked > limit:
        raise SpecError(f"its arrays unpack into {unpacked:,} bytes, at most {limit:,}", source=source)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as err:
        text = "".join(ch if ch.isprintable() else "?" for ch in str(err))
        raise SpecError(f"not a NumPy .npz of numbers ({text if len(text) <= 100 else text[:99] + '…'})",
                        source=source) from None


def read_text(path: str | Path, limit: int, what: str = "network file", place: str = "") -> str:
    """A regular file's text (UTF-8, a leading byte order mark dropped), at most ``limit`` bytes."""
    data = read_bytes(path, limit, what, place)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError(f"not UTF-8 text (byte {err.start})", source=str(path), place=place) from None


# -- writing --------------------------------------------------------------------------------------
# What ``OUT`` may be, and what writing it does (the manual's "Limits and hostile input" says the same):
NEW, FILE, DEVICE, PIPE = "new", "file", "device", "pipe"
FORCE_HINT = "--force replaces it"


def check_output(path: str | Path, force: bool = False, hint: str | None = FORCE_HINT) -> str:
    """What writing to ``path`` will do, checked before any work is done and again when it is written:
    NEW (nothing there yet: a file is made), FILE (a regular file, perhaps through a symlink: it is
    replaced whole), DEVICE (a character device such as /dev/null or /dev/stdout: written into) or
    PIPE (a FIFO: written into, if a program reads it). Anything else is a SpecError naming ``path``:
    a folder, a name ending in a separator that is no folder, a symlink loop, a block device, a
    socket; and, unless ``force``, a read-only file or one with other names (hard links), which
    replacing would leave with the old contents. ``hint`` says how to force it."""
    source = check_name(path, "output file")

    def fail(message: str) -> SpecError:
        return SpecError(message, source=source)

    if source.endswith(tuple(s for s in (os.sep, os.altsep) if s)) and not os.path.isdir(source):
        raise fail(f"ends in {source[-1]}, as a folder's name does, but there is no such folder: "
                   "give a file name to write to")
    try:
        info = os.stat(source)  # what the name leads to, through symlinks
    except FileNotFoundError:  # nothing there, or a symlink to nothing (written through, making its file)
        folder = os.path.dirname(os.path.realpath(source))
        if not os.path.isdir(folder):
            raise fail(f"cannot write: there is no folder {folder}") from None
        return NEW
    except OSError as err:
        raise fail(f"cannot write: {_reason(err)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a directory: give a file name to write to")
    if stat.S_ISCHR(info.st_mode):
        return DEVICE
    if stat.S_ISFIFO(info.st_mode):
        return PIPE
    if not stat.S_ISREG(info.st_mode):
        raise fail(f"is {_kind(info.st_mode)}: bptui writes regular files, character devices (/dev/stdout) "
                   "and pipes")
    if not force:
        also = f" ({hint})" if hint else ""
        if not info.st_mode & 0o222 or not os.access(source, os.W_OK):
            raise fail(f"is read-only: it is not replaced{also}")
        if info.st_nlink > 1:
            others = info.st_nlink - 1
            raise fail(f"has {others} other name{'s' if others > 1 else ''} (hard links), which would keep the "
                       f"old contents: it is not replaced{also}")
    return FILE


def _identity(path: str | Path) -> tuple:
    """What a name leads to: an existing file's device and inode (so hard links and symlinks to it
    are the same), or, where nothing is there yet, the name with symlinks and ``..`` resolved."""
    try:
        info = os.stat(path)
        return ("file", info.st_dev, info.st_ino)
    except (OSError, ValueError):
        pass
    try:
        return ("name", os.path.realpath(path))
    except (OSError, ValueError):
        return ("unknown", str(path))


def input_files(spec: Any, network: bool = True) -> list[tuple[str, str]]:
    """The files a spec was read from, each with what it is: the network or graph file (unless not
    ``network``), its CSV data."""
    inputs = [("the input file", str(spec.source))] if network and str(spec.source) else []
    data = spec.raw.get("data")
    csv = data.get("csv") if isinstance(data, dict) else None
    if isinstance(csv, str):
        inputs.append(("the input's CSV data file", str(Path(spec.source).parent / csv)))
    return inputs


def check_outputs(outputs: Iterable[tuple[str | Path, str]], inputs: Iterable[tuple[str, str | Path]] = (),
                  force: bool = False) -> None:
    """Before any work: each output can be written (:func:`check_output`), and none is one of the
    ``inputs`` or an earlier output of the same command, which writing it would replace. ``outputs``
    are (name, what is written there), ``inputs`` (what it is, name). Devices and pipes are written
    into, not replaced, and may repeat. Linear in the number of outputs (``--variants N``)."""
    read = {_identity(name): (which, name) for which, name in inputs}
    written: dict[tuple, tuple[str | Path, str]] = {}
    for out, what in outputs:
        if check_output(out, force) in (DEVICE, PIPE):
            continue
        key = _identity(out)
        if key in read:
            which, name = read[key]
            raise SpecError(f"is {which} {name}: writing {what} there would replace it (choose another name)",
                            source=str(out))
        if key in written:
            other, other_what = written[key]
            raise SpecError(f"is the same file as {other}, where {other_what} goes: {what} would replace it "
                            "(choose two names)", source=str(out))
        written[key] = (out, what)


# Temporary files: ".OUT.bptui-PID.tmp" beside OUT. A run killed by SIGKILL (or a power cut) leaves
# its own; the next write into that folder removes those whose process is gone. SIGTERM and SIGHUP remove
# them at once (see _on_signal); Ctrl+C and errors unwind through atomic_writer, which removes them.
_TMP_MARK, _TMP_END = ".bptui-", ".tmp"
_CAUGHT = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_pending: set[str] = set()  # temporary files being written, for the signal handler
_saved: dict[int, Any] = {}  # the handlers ours replaced while a write is under way


def _tmp_name(target: Path, pid: int) -> str:
    """``.NAME.bptui-PID.tmp``, NAME cut to at most 100 bytes so the whole name stays within 255."""
    name = target.name
    while len(os.fsencode(name)) > 100:
        name = name[:-1]
    return f".{name}{_TMP_MARK}{pid}{_TMP_END}"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (or cannot be told apart from one that does: its file is kept)."""
    if os.name == "nt":  # os.kill would end it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process (EPERM), or a number too big to be a PID
        return True
    return True


_swept: set[str] = set()  # the folders this process has cleaned


def remove_stale_temporaries(folder: str | Path) -> list[str]:
    """Remove the temporary files that writes into ``folder`` left when their process was killed
    (``.NAME.bptui-PID.tmp`` whose PID is no longer alive); returns their names. Once per folder and
    process, so that writing many files into one folder (``--variants``) reads it once."""
    key = os.path.realpath(folder)
    if key in _swept:
        return []
    _swept.add(key)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        pid = name[:-len(_TMP_END)].rpartition(_TMP_MARK)[2]
        if (name.startswith(".") and name.endswith(_TMP_END) and _TMP_MARK in name and pid.isascii()
                and pid.isdigit() and int(pid) > 0 and not _alive(int(pid))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
                removed.append(name)
    return removed


def _on_signal(signum: int, frame: Any) -> None:
    """SIGTERM or SIGHUP during a write: remove the temporary files, then let the signal do what it
    did before (by default end the process, status 128 + signum)."""
    for tmp in list(_pending):
        if os.path.isdir(tmp) and not os.path.islink(tmp):  # a working folder (pdflatex's)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _pending.clear()
    previous = _saved.get(signum, signal.SIG_DFL)
    signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    else:
        os.kill(os.getpid(), signum)


@contextlib.contextmanager
def removed_on_signals(tmp: str) -> Iterator[None]:
    """``tmp`` (a file, or a working folder and all in it) is removed should SIGTERM or SIGHUP come
    while the block runs (the main thread only can catch signals; a signal ignored, as under nohup,
    stays ignored)."""
    import threading

    install = not _pending and threading.current_thread() is threading.main_thread()
    _pending.add(tmp)
    if install:
        for signum in _CAUGHT:
            previous = signal.getsignal(signum)
            if previous is not signal.SIG_IGN:
                _saved[signum] = previous
                signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        _pending.discard(tmp)
        if install:
            for signum, previous in _saved.items():
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            _saved.clear()


def _new_file_mode(target: Path) -> int:
    """The target's mode if it exists; else what a plain ``open(…, "w")`` would give (0666 − umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _stream(fd: int, encoding: str) -> IO[Any]:
    return os.fdopen(fd, "wb") if encoding == "binary" else os.fdopen(fd, "w", encoding=encoding, newline="\n")


def _open_into(source: str) -> int:
    """A device or a FIFO, open for writing. Non-blocking, so that a FIFO no program reads is an
    error (ENXIO) rather than a wait without end; blocking again once open."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(source, os.O_WRONLY | nonblocking | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise SpecError("is a named pipe (FIFO) that no program is reading: writing to it would wait "
                            "forever (start the reader first)", source=source) from None
        raise SpecError(f"cannot write: {_reason(err)}", source=source) from None
    if stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a file since it was checked
        os.close(fd)
        raise SpecError("changed while it was being opened (now a regular file); try again", source=source)
    if nonblocking:
        os.set_blocking(fd, True)
    return fd


def _create(tmp: str) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(tmp, flags, 0o600)
    except FileExistsError:  # left by an earlier process that had this PID: ours to replace
        os.unlink(tmp)
        return os.open(tmp, flags, 0o600)


@contextlib.contextmanager
def atomic_writer(path: str | Path, encoding: str = "utf-8", force: bool = False,
                  hint: str | None = FORCE_HINT) -> Iterator[IO[Any]]:
    """A text stream to a temporary file ``.NAME.bptui-PID.tmp`` in ``path``'s folder, renamed onto
    ``path`` when the block ends without an exception (and removed when it raises, or on SIGTERM or
    SIGHUP). The old file stays whole until then. What ``path`` may be is :func:`check_output`'s
    rule (``force``, ``hint``): a symlink is written through (the link stays, its file is replaced);
    a character device or a FIFO with a reader is written into, never replaced by a file. Stale
    temporary files of this name, from runs that were killed, are removed first.

    ``encoding="binary"`` gives a bytes stream. OSErrors (a missing folder, a full disk, no
    permission) become a SpecError naming ``path``."""
    source = check_name(path)
    if check_output(source, force, hint) in (DEVICE, PIPE):
        try:
            with _stream(_open_into(source), encoding) as out:
                yield out
        except BrokenPipeError:  # --output /dev/stdout | head: the reader has all it wanted
            raise
        except OSError as err:
            raise SpecError(f"cannot write: {_reason(err)}", source=source) from None
        return
    target = Path(os.path.realpath(source))  # through a symlink: the link stays, its file is replaced
    remove_stale_temporaries(target.parent)
    tmp = str(target.parent / _tmp_name(target, os.getpid()))
    with removed_on_signals(tmp):
        try:  # the file is made inside it: a Ctrl+C just after it is made removes it too
            try:
                fd = _create(tmp)
            except OSError as err:
                raise SpecError(f"cannot write: {_reason(err)}", source=source) from None
            try:
                with _stream(fd, encoding) as fh:
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


def write_text_atomic(path: str | Path, text: str, force: bool = False, hint: str | None = FORCE_HINT) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, force=force, hint=hint) as fh:
        fh.write(text)


def write_bytes_atomic(path: str | Path, data: bytes, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, encoding="binary", force=force) as fh:
        fh.write(data)


def write_lines_atomic(path: str | Path, lines: Iterable[str], force: bool = False) -> None:
    """Write each line and a newline to ``path`` atomically, streaming: nothing is joined in memory."""
    with atomic_writer(path, force=force) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")

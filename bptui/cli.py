"""The ``bptui`` command: open the TUI, or trace / train / check a network file.

Bad input never ends in a traceback: it prints one ``error: FILE: PLACE: MESSAGE`` line on stderr
and exits with status 2.
"""

from __future__ import annotations

import argparse
import errno
import gc
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, progress
from .core.formulas.notation import count, fmt
from .lms import FORMATS as LMS_FORMATS
from .streams import note, printable

if TYPE_CHECKING:  # annotations only: the command line imports the core lazily
    from .core.engine.kind import LayerKind
    from .core.formulas.formula import Node

COMMANDS = ("trace", "train", "check", "quiz", "export", "grade", "serve", "examples", "import")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one "error:" line and exit 2, like bad files
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def _print_message(self, message: str, file=None) -> None:
        """--help and --version: argparse would swallow an error writing them (``>&-``, /dev/full)
        and exit 0; here it is the usual error line and status 2."""
        if message:
            (file or sys.stderr).write(message)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


MAX_EPOCHS = 1_000_000  # as the schema's training.epochs


def _epochs(text: str) -> int:
    value = _positive(text)
    if value > MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"{text} is more than {MAX_EPOCHS:,} epochs")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def _natural(text: str) -> int:
    """A seed: a whole number 0 or more (NumPy's generators take no negative seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative: a seed is a whole number 0 or more")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a number 0 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def _terminal_size(text: str) -> tuple[int, int]:
    cols, _, rows = text.lower().partition("x")
    if not (cols.isdigit() and rows.isdigit() and 20 <= int(cols) <= 2000 and 10 <= int(rows) <= 1000):
        raise argparse.ArgumentTypeError(f"{text!r} is not COLSxROWS (20 … 2000 by 10 … 1000), like 400x150")
    return int(cols), int(rows)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui",
        description="Step through backpropagation one keypress at a time. "
        "With no command, FILE (default: the bundled xor example) opens in the terminal app.",
        epilog=f"commands: {', '.join(COMMANDS)} (bptui COMMAND --help)",
    )
    p.add_argument("--version", action="version", version=f"bptui {__version__}")
    p.add_argument("file", nargs="?", metavar="FILE", help="network file, or a bundled example's name")
    p.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is honoured too)")
    _notation_option(p)
    return p


def _notation_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notation", metavar="NAME|FILE",
                   help="write the equations in a course's notation: lecture13 (default), nielsen, goodfellow, "
                        "ng, cs231n, or a profile file (docs/notation.md); wins over the file's \"notation\"; never "
                        "changes a number")


def _graph_notation(args, spec) -> None:
    """A computation graph writes its adjoints g_v in the lecture's notation only: --notation is refused."""
    from .core.graphs.graph import refuse_notation

    refuse_notation(spec, getattr(args, "notation", None))


def _profile(args, spec):
    """The notation profile of a command: --notation, else the network file's, else lecture13."""
    from .core.engine.equations import spec_notation

    return spec_notation(spec, getattr(args, "notation", None))


FORCE_HELP = ("replace an output file that is read-only or has other names (hard links: only this name "
              "gets the new file); without it such a file is left as it is, with an error")


def _command_parser(command: str) -> argparse.ArgumentParser:
    helps = {
        "trace": "every step of the schedule, as a worked solution or JSON Lines",
        "train": "gradient descent for some epochs; prints the loss (and saves the weights)",
        "check": "gradient check: backprop G against central finite differences for every weight; exits 1 when "
                 "a gradient is not finite or |g − fd| > atol + 1e−6·|fd| (atol: the difference's rounding error)",
        "quiz": "answer each step's hidden number at the terminal; right or wrong, the explanation follows",
        "export": "every step as a numbered worked solution (markdown, a latex document, a pdf, or csv), an "
                  "exercise and its key, a program that computes every step (pytorch, numpy), or one variant per "
                  "student for a course platform (moodle, gift, qti for Canvas, prairielearn, gradescope)",
        "grade": "grade a student's answers against an exercise's KEY.json (errors carried forward, the mistake "
                 "named), a class's against their variants' keys, or a program's trace against the run; exits 1 "
                 "when a row or file was bad or a student on the roster could not be graded (the rest is graded)",
        "serve": "serve the terminal app in a web browser (textual-serve)",
        "examples": "list the bundled example networks (it writes no equation, so it takes no --notation)",
        "import": "a network file from a small ONNX model (needs the onnx extra: pip install 'bptui[onnx]'); it "
                  "writes no equation, so it takes no --notation: trace or open the file with one",
    }
    p = _Parser(prog=f"bptui {command}", description=helps[command])
    p.add_argument("--no-color", action="store_true", help="no colour in the output (NO_COLOR is honoured too)")
    if command == "examples":
        return p
    if command == "grade":
        return _grade_parser(p)
    if command == "import":
        return _import_parser(p)
    p.add_argument("file", metavar="FILE", help="network file, or a bundled example's name")
    if command == "quiz":
        p.add_argument("--tolerance", type=_positive_float, default=1e-3, metavar="R",
                       help="relative tolerance of a right answer (default 1e-3; values near 0 get an absolute 1e-6)")
        p.add_argument("--steps", type=_positive, default=None, metavar="K",
                       help="ask about the first K steps (default: one epoch, or a graph's whole pass)")
        p.add_argument("--seed", type=_natural, default=0, metavar="S", help="which entry of each vector or matrix is asked")
        _notation_option(p)
        return p
    if command == "export":
        _notation_option(p)
        p.add_argument("--format", choices=("markdown", "latex", "csv", "pdf", "pytorch", "numpy", *LMS_FORMATS),
                       default="markdown",
                       help="pdf: the LaTeX compiled by pdflatex (needs --output); pytorch, numpy: a Python program "
                            "that computes every step and checks it against bptui's value (needs --output); moodle, "
                            "gift, qti, prairielearn, gradescope: with --variants, Markdown variants and the file a "
                            "course platform imports")
        p.add_argument("--epochs", type=_epochs, default=None,
                       help="epochs to write out (default 1); with --example, the epoch the example is taken from")
        p.add_argument("--output", metavar="OUT", help="write to OUT instead of standard output (--variants: a folder)")
        p.add_argument("--force", action="store_true", help=FORCE_HELP)
        part = p.add_argument_group("a part of the run (steps keep their numbers from the full run)")
        part.add_argument("--example", type=_positive, metavar="N",
                          help="example N's forward and backward pass (and the update that follows it, if one does)")
        part.add_argument("--steps", metavar="A:B", help="steps A to B, 1-based and inclusive, as bptui trace numbers them")
        ex = p.add_argument_group("exercises")
        ex.add_argument("--exercise", action="store_true",
                        help="leave the values the steps produce blank, numbered (1) ____, for a student to work out")
        ex.add_argument("--answers", metavar="OUT", help="write the exercise's answer key to OUT (.md, .tex or .pdf)")
        ex.add_argument("--blank", metavar="QUANTITIES",
                        help="which values are blank: any of s,o,loss,delta,G,W,value,adjoint, a gated "
                             "layer's gates,c,h,dh,dc, a layer norm's u, dx (∂ℓ/∂x) and attention's "
                             "q,k,v,scores,a,z,dz,da,dq,dk,dv (default: all)")
        ex.add_argument("--blank-every", type=_positive, metavar="K", help="blank only every K-th of those steps")
        ex.add_argument("--variants", type=_positive, metavar="N",
                        help="N variants with new weights (graphs: new inputs), each a network file, its exercise "
                             "and its key, in the folder --output DIR")
        ex.add_argument("--seed", type=_natural, default=None, metavar="S", help="the variants' seed (default 0)")
        ex.add_argument("--round", type=_non_negative, default=None, metavar="D",
                        help="round the variants' drawn numbers to D decimals")
        ex.add_argument("--rtol", type=_non_negative_float, default=None, metavar="R",
                        help="the JSON key's relative tolerance (default 1e-3, the quiz's)")
        ex.add_argument("--atol", type=_non_negative_float, default=None, metavar="A",
                        help="the JSON key's absolute tolerance (default: half a unit of the last digit shown)")
        return p
    if command == "serve":
        _notation_option(p)
        p.add_argument("--port", type=int, default=8000, metavar="P", help="port (default 8000)")
        p.add_argument("--host", default="127.0.0.1", metavar="H",
                       help="address to listen on (default 127.0.0.1: this machine only)")
        p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="also accept the app's websocket from this web origin, e.g. "
                            "https://class.example.org behind a reverse proxy (repeatable)")
        p.add_argument("--max-sessions", type=_positive, default=20, metavar="N",
                       help="at most N apps at once (default 20)")
        p.add_argument("--max-size", type=_terminal_size, default=(400, 150), metavar="COLSxROWS",
                       help="the largest terminal a browser may ask for (default 400x150)")
        p.add_argument("--save-dir", metavar="DIR",
                       help="let w save into DIR (plain file names); without it, saving is off")
        return p
    p.add_argument("--format", choices=("text", "json"), default="text")
    if command in ("trace", "check", "train"):
        _notation_option(p)
    if command in ("trace", "train"):
        p.add_argument("--epochs", type=_epochs, default=None,
                       help="epochs (trace: 1; train: the file's training.epochs)")
    if command == "train":
        from .core.ops.optim import OPTIMIZERS  # the optimizers' table: a new one is offered here at once

        p.add_argument("--save", metavar="OUT", help="write the trained network (a valid network file) to OUT")
        p.add_argument("--force", action="store_true", help=FORCE_HELP)
        p.add_argument("--optimizer", choices=OPTIMIZERS, help="instead of the file's training.optimizer")
        p.add_argument("--learning-rate", type=_positive_float, metavar="ETA", help="instead of the file's η")
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--update", choices=("full_batch", "per_example"), help="instead of the file's update")
        mode.add_argument("--batch-size", type=_positive, metavar="K", help="mini-batches of K examples")
        p.add_argument("--shuffle-seed", type=_natural, metavar="S", help="reshuffle the examples every epoch, seeded")
        p.add_argument("--plot", action="store_true", help="draw the loss curve (and the test loss) in the terminal")
    return p


def _import_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from .core.ops.losses import LOSSES

    p.add_argument("file", metavar="MODEL", help="an ONNX model (.onnx)")
    p.add_argument("--data", metavar="FILE", required=True,
                   help="the examples: an .npz with x and y (sequences padded, with lengths) or a CSV with --targets")
    p.add_argument("--targets", metavar="COL,…", help="a CSV's target columns")
    p.add_argument("--loss", choices=tuple(LOSSES), default="squared", help="the loss (default squared)")
    p.add_argument("--output", metavar="NET", help="write the network file to NET instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    return p


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _grade_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("key", metavar="KEY", help="KEY.json (written beside every key bptui export makes); for a "
                   "class, the folder of the variants' keys (variant-01-key.json, …) with --roster; with --trace, "
                   "a network file will do too")
    p.add_argument("answers", nargs="?", metavar="ANSWERS",
                   help="a student's answers: CSV rows blank,value or JSON {\"1\": value, …}; a class's: a folder "
                        "of STUDENT.csv (or .json) or one CSV of rows student,blank,value")
    p.add_argument("--roster", metavar="CSV", help="a class: rows student,variant")
    p.add_argument("--trace", metavar="FILE", help="compare a program's trace with the run: JSON Lines with bptui "
                   "trace's keys, or an .npz of W1, s1, o1, delta1, G1, …")
    p.add_argument("--carried-credit", type=_fraction, default=1.0, metavar="F",
                   help="a carried blank's points, 0 … 1 (default 1; a right blank is worth 1)")
    p.add_argument("--format", choices=("text", "json", "csv", "gradescope"), default="text",
                   help="gradescope: Gradescope's results.json, a test per blank")
    p.add_argument("--output", metavar="OUT", help="write to OUT instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--rtol", type=_non_negative_float, default=None, metavar="R",
                   help="relative tolerance instead of the key's (--trace: default 1e-6)")
    p.add_argument("--atol", type=_non_negative_float, default=None, metavar="A",
                   help="absolute tolerance instead of the key's (--trace: default 1e-9)")
    p.add_argument("--notation", metavar="NAME|FILE",
                   help="the key's notation profile (its options.notation; default: the key's): the report names "
                        "each blank as the student's page did, so another profile is refused (export the exercise "
                        "in it instead); --trace compares lecture13's values, as trace --format json writes them")
    return p


def report(message: str) -> None:
    """The one ``error:`` line, on stderr."""
    note(f"error: {printable(message)}")


class ClosedStream(OSError):
    """A standard stream that was closed when bptui started (``>&-``) was needed: one error line."""

    def __init__(self, name: str, why: str = "") -> None:
        super().__init__(errno.EBADF, f"{name} is closed{why}")


class _Closed(io.TextIOBase):
    """In place of a standard stream closed when bptui started (Python leaves None there, and
    ``None.write`` is an AttributeError): reading or writing it raises ClosedStream."""

    def __init__(self, name: str) -> None:
        self.stream = name

    def write(self, text: str) -> int:
        raise ClosedStream(self.stream)

    def read(self, size: int | None = -1) -> str:
        raise ClosedStream(self.stream)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise ClosedStream(self.stream)


def _standard_streams() -> None:
    """Standard streams closed when bptui started (``<&-``, ``>&-``, ``2>&-``): their descriptors
    get /dev/null, so that no file bptui opens later takes their number (and a child process
    inherits something harmless); stdin and stdout become :class:`_Closed`, so using them is one
    error line; a closed stderr becomes /dev/null (an error is not seen; the status still says 2)."""
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # free: hold the number
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
        if name == "stderr":
            sys.stderr = open(os.devnull, "w")  # not fd 2: were it taken, it would be someone else's file
        else:
            setattr(sys, name, _Closed(f"standard {'input' if fd == 0 else 'output'}"))


def _check_streams(command: str, args) -> None:
    """Refuse, before any work, a command whose standard input or output was closed and is needed
    (export --output needs no stdout; the app says it needs a terminal)."""
    if command == "quiz" and isinstance(sys.stdin, _Closed):
        raise ClosedStream("standard input", ", and bptui quiz reads the answers from it")
    if isinstance(sys.stdout, _Closed) and not (command in ("export", "grade", "import") and args.output is not None):
        raise ClosedStream("standard output", f", and bptui {command} writes there")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is still buffered
    cannot fail again (and print a traceback) after an error writing it was reported."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to do
        pass


def _interrupt_again(unraisable: sys.UnraisableHookArgs) -> None:
    """``sys.unraisablehook`` while a command runs: a Ctrl+C that Python delivered inside a finalizer (a
    generator closed as it is collected, many in each step of a long export) would be printed as
    "Exception ignored in …" with a traceback, and the run would go on; the next step raises it instead
    (``progress.step``), and a command that ends without one ends with 130."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        progress.interrupted()
        return
    sys.__unraisablehook__(unraisable)


def main(argv: list[str] | None = None) -> int:
    hook, sys.unraisablehook = sys.unraisablehook, _interrupt_again
    try:
        code = _main(argv)
        return 130 if progress.take_interrupt() else code
    finally:
        sys.unraisablehook = hook


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from .core.util.errors import SpecError

    import warnings

    # overflow in the math (huge weights) gives ∞ and nan, which the output shows; NumPy's
    # RuntimeWarning lines on stderr would only alarm
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="numpy")
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="bptui")
    _standard_streams()
    try:
        if argv and argv[0] in COMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
            _check_streams(argv[0], args)
            if args.no_color:
                os.environ["NO_COLOR"] = "1"  # Rich and Textual both honour it
            code = globals()[f"cmd_{argv[0]}"](args)
        else:
            args = _parser().parse_args(argv)
            code = cmd_open(args)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at the interpreter's exit
        return code
    except SpecError as err:
        for line in err.lines():  # one error line per mistake
            report(line)
        return 2
    except UsageError as err:
        report(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except RuntimeError as err:  # Ctrl-C while a class body runs (an import): Python wraps the interrupt
        if isinstance(err.__cause__, KeyboardInterrupt):
            return 130
        raise
    except ClosedStream as err:
        report(str(err.strerror))
        return 2
    except BrokenPipeError:  # `bptui trace … | head`: the reader has all it wanted
        _silence_stdout()
        return 0
    except OSError as err:  # writing the output failed: /dev/full, a disk that filled up
        _silence_stdout()
        where = err.filename if err.filename is not None else "standard output"
        report(f"{where}: cannot write: {err.strerror or err}")
        return 2


def _load(arg: str | None):
    from .core.formats.spec import load_any
    from .examples import resolve

    return load_any(_existing(resolve(arg)))


def _existing(path: str) -> str:
    """``path``, or one error line: an empty name, a NUL, or nothing there (with the bundled names)."""
    from .core.util.errors import SpecError
    from .core.util.files import check_name, exists, missing
    from .examples import names

    check_name(path)
    if not exists(path):
        why = missing(path)
        if why == "no such file":
            why += f" (bundled examples: {', '.join(names())})"
        raise SpecError(why, source=path)
    return path


def _no_color(args) -> bool | None:
    """True for --no-color; otherwise None, so Rich decides from NO_COLOR (False would override it)."""
    return True if getattr(args, "no_color", False) or os.environ.get("NO_COLOR") else None


def cmd_open(args) -> int:
    """The app. A network file opens from its schema-checked document, so the first frame does not
    wait for NumPy; the rest of its checks run as the app loads it (errors still end in `error:`)."""
    # The cyclic garbage collector waits until the network screen is up (BptuiApp.network_shown
    # freezes what is alive then and enables it): start-up builds modules, classes and widgets that
    # stay and frees little, so the collections before the first frame (about 10 ms of CPU in all,
    # in the app and in the reader child) and the network screen would scan them only to keep them.
    # It stops before the file is read (reading imports a codec: a collection there was one too many), and
    # before the reader's modules are imported (a gen-0 collection could fall in their import, by the count
    # of what was allocated before: so it did in one checkout and not in another of the same commit).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from .core.util import validate
        from .examples import resolve

        path = _existing(resolve(args.file))
        doc = validate.read_json(path)
        if isinstance(doc, dict) and doc.get("kind", "network") != "network":
            if collecting:  # a computation graph's app collects as any program does
                gc.enable()
            return _open_graph(args, doc, path)
        return _open_network(args, doc, path)
    finally:
        if collecting:
            gc.enable()


def _open_graph(args, doc, path: str) -> int:
    from .core.formats.spec import parse_any
    from .core.util.errors import SpecError
    from .tui.graph_layout import too_big

    spec = parse_any(doc, path)
    names = spec.input_names + spec.forward_order
    edges = [(a, node.name) for node in spec.nodes for a in node.args if isinstance(a, str)]
    why = too_big(names, edges, frozenset(spec.input_names))
    if why:
        raise SpecError(f"too big for the app to draw: {why} (bptui trace FILE writes every step)", source=path)
    _graph_notation(args, spec)
    _require_terminal()
    from .tui.graph_app import run as run_graph

    return run_graph(spec, no_color=args.no_color)


def _open_network(args, doc, path: str) -> int:
    from .core.util import validate
    from .core.util.errors import SpecError

    try:
        validate.check(doc, validate.schema())
    except SpecError as err:
        raise err.at(path)
    read = _read_aside(doc, path)
    from .tui.app import run  # Textual's import, while the file is read beside it

    spec = read()  # a bad file: its error line, before the app draws or writes anything, on a terminal or not
    # a notation asked for is checked before the first frame (a bad one refused with nothing drawn); none
    # asked for is the lecture's, which the app takes after its first frame (the profiles' module, 2 % of
    # the frame's instructions, off its path)
    notation = None
    if args.notation is not None or "notation" in doc or spec is not None:
        from .core.formulas.profiles import notation_for

        notation = notation_for(args.notation, doc.get("notation"), path)
    if spec is not None:  # else the app reads the file again and refuses a notation its layers are not written in
        from .core.engine.equations import check_profile  # NumPy's import: not before a loading screen's frame

        assert notation is not None
        check_profile(spec, notation)
        _app_draws(spec, notation)
    _require_terminal()
    return run(doc, path, spec, no_color=args.no_color, notation=notation)


def _app_draws(spec, notation) -> None:
    """Refuse (a SpecError naming the file) a notation whose panels the app does not draw for this
    network yet: its numbers would stand under the lecture's names beside the profile's."""
    from .core.util.errors import SpecError
    from .tui.panels import panels_fit

    why = panels_fit(spec.layer_kinds, notation)
    if why is not None:
        raise SpecError(why, source=spec.source)


READ_ASIDE_MAX_BYTES = 1 << 20  # larger network files are read once, before the app (see _read_aside)


def _read_aside(doc: dict, path: str):
    """The reader's verdict on the network document before the app draws: a function that raises
    its SpecError, if any, and returns the spec when the file was read in this process (None: the
    app reads it after its first frame, which is the loading screen, drawn from the document).

    A document that plain JSON decides (a v1 network, its data inline, generated or from a CSV file
    of up to 256 KiB, standardised or not: ``verdict``, the checks ``parse`` runs before it builds
    arrays) is checked here and now, without NumPy: some 15 µs for xor, where a reader child's imports ran 364 M instructions, 0.4 of the bare Textual app's start
    (``benchmarks/tui_speed.py --instructions``), on a core the app competes for. Any other is
    read as every command reads it (``parse``: shapes, weights, data, limits; it needs NumPy) in a
    forked child, beside the parent's import of Textual, and the function waits for its verdict.

    So a bad file ends in its one ``error:`` line before the app has drawn a frame or written an
    escape code (Textual writes to stderr, which may be a file), while the first frame still does
    not wait for NumPy's import on top of Textual's: with a free core the two imports overlap
    (``benchmarks/tui_speed.py --tmux``). A file of more than ``READ_ASIDE_MAX_BYTES`` is read
    here and now instead: reading takes about 30 ms of CPU a megabyte (a 54 MB file 1.6 s), and a
    second reading after the first frame would cost more than NumPy's import saves. So is a file
    where there is no fork (or threads run already, which a fork would not carry over), or where
    the child ends without a verdict (a signal, a limit on memory): reading it here says what went
    wrong."""
    import threading

    from .core.util.errors import SpecError

    def here():
        from .core.formats.spec import parse

        return parse(doc, path, schema_checked=True)

    if os.path.getsize(path) > READ_ASIDE_MAX_BYTES or os.environ.get("TEXTUAL_DRIVER"):
        # served (bptui serve): read here, and the app opens on the network screen; its loading
        # screen, drawn first, never gave way to the network screen under textual-serve's driver
        spec = here()
        return lambda: spec
    from .core.formats.verdict import verdict as plain_verdict

    if plain_verdict(doc, path):  # raises the reader's SpecError
        return lambda: None
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return here
    # before the fork: the profiles' module (the reader's formula trees import it) serves the reader
    # child and the app's process alike, imported once instead of once in each
    from .core.formulas import profiles  # noqa: F401

    reader, writer = os.pipe()
    status = 1  # set before the fork: a Ctrl+C in the child finds it inside the try at once
    pid = os.fork()
    if pid == 0:  # the child: the verdict down the pipe, then gone without running the parent's exit code
        try:
            os.close(reader)
            os.environ["OPENBLAS_NUM_THREADS"] = "1"  # reading multiplies nothing: NumPy's import 25 % cheaper
            verdict: dict = {}
            try:
                here()
            except SpecError as err:
                verdict = {"message": err.message, "source": err.source, "place": err.place}
            with os.fdopen(writer, "w", encoding="utf-8") as pipe:
                json.dump(verdict, pipe)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)

    def wait():
        # the first frame's screen and its panels, imported while the child may still be reading
        from .tui import loading  # noqa: F401

        with os.fdopen(reader, encoding="utf-8") as pipe:
            text = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not text:  # no verdict: read the file here, which says what went wrong
            return here()
        verdict = json.loads(text)
        if verdict:
            raise SpecError(verdict["message"], source=verdict["source"], place=verdict["place"])
        return None

    return wait


def _require_terminal() -> None:
    """The app draws on a terminal and reads keys from it: without one (output to a pipe or a file,
    input from one) it would write escape codes into the pipe and never end. Served apps (the
    environment's TEXTUAL_DRIVER names textual-serve's driver) and headless runs (the tests' pilot
    and the start-up benchmark replace ``App.run``) have no terminal and need none."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return
    try:
        on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        on_terminal = False
    if on_terminal:
        return
    from textual.app import App

    if getattr(App.run, "__module__", None) != "textual.app":  # run headless by a test or a benchmark
        return
    raise UsageError("bptui: the app needs a terminal (standard input and output are not one); "
                     "bptui trace FILE writes the steps as text")


def cmd_examples(args) -> int:
    from .core.formats.spec import load_any
    from .examples import examples_dir, names

    for name in names():
        spec = load_any(examples_dir() / f"{name}.json")
        print(f"{name:21} {spec.description}")
    return 0


def cmd_trace(args) -> int:
    from .trace import trace_json, trace_text

    spec = _load(args.file)
    if spec.kind == "graph":
        from .trace import graph_trace_json, graph_trace_text

        if args.epochs not in (None, 1):
            raise UsageError("bptui trace: --epochs: a computation graph has one forward and one reverse pass")
        _graph_notation(args, spec)
        lines = graph_trace_json(spec) if args.format == "json" else graph_trace_text(spec)
        for line in lines:
            sys.stdout.write(line + "\n")
        return 0
    epochs = args.epochs or 1
    steps = run_steps(spec, epochs, "--epochs")
    notation = _profile(args, spec)
    lines = trace_json(spec, epochs, notation) if args.format == "json" else trace_text(spec, epochs, notation)
    out = sys.stdout
    with progress.shown(steps, "trace", _no_color(args)):
        for line in lines:
            out.write(line + "\n")
    return 0


def run_steps(spec, epochs: int, option: str) -> int:
    """The steps of ``epochs`` epochs of a network, checked against the limit on a run's steps
    (``option`` names the command-line option that asked for them)."""
    from .core.formats.spec import check_run
    from .core.engine.stepper import Stepper

    per_epoch = len(Stepper(spec).schedule)
    check_run(spec, epochs * per_epoch, option, f"{epochs:,} epoch{'s' * (epochs != 1)} × {per_epoch:,} steps")
    return epochs * per_epoch


def _with_training(spec, args):
    """The spec with the command line's training options in place of the file's."""
    changes = {
        "optimizer": args.optimizer,
        "learning_rate": args.learning_rate,
        "update": {"batch_size": args.batch_size} if args.batch_size else args.update,
        "shuffle_seed": args.shuffle_seed,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return spec
    import copy

    from .core.formats.spec import parse

    doc = copy.deepcopy(spec.raw)
    doc["training"] = {**doc.get("training", {}), **changes}
    return parse(doc, spec.source)


def cmd_train(args) -> int:
    from .core.engine.train import evaluate, train

    spec = _load(args.file)
    if spec.kind == "graph":
        from .core.util.errors import SpecError

        raise SpecError("a computation graph has no weights, so there is nothing to train "
                        "(try bptui trace or bptui check)", source=spec.source)
    spec = _with_training(spec, args)
    _check_save(spec, args)
    names = _loss_names(_profile(args, spec))  # the text names ℓ_D, ℓ⁽ⁿ⁾ and η as the notation does
    # the epoch's loss as the text names it: a mean profile's ℓ_D is the mean per example, as its trace ends the
    # epoch and its app shows it (the JSON keeps the lecture's sum)
    shown = (lambda v: v / spec.N) if names["mean"] else (lambda v: v)
    epochs = args.epochs or spec.epochs
    progress = None
    if sys.stderr.isatty() and args.format == "text":
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("training"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                            TextColumn(names["ℓ_D"] + " {task.fields[loss]:.6g}"), TimeRemainingColumn(),
                            console=Console(stderr=True, no_color=_no_color(args)),
                            transient=True)
        task = progress.add_task("train", total=epochs, loss=float("nan"))
        progress.start()

    def on_epoch(report) -> None:
        if progress is not None:
            progress.update(task, completed=report.epoch, loss=shown(report.loss))

    try:
        result = train(spec, epochs, on_epoch, stop_if_diverged=True)
    finally:
        if progress is not None:
            progress.stop()
    weights, history = result.weights, result.history
    epochs = result.epochs_done  # fewer when training diverged and stopped
    diverged = (f"training diverged at epoch {result.diverged}: {names['ℓ_D']} = {fmt(shown(history[-1]), '.6g')} "
                f"({names['η']} = {fmt(spec.learning_rate, 'g')} may be too large); stopped there") if result.diverged else None
    ev = evaluate(spec, weights)
    trained = spec.with_weights(weights)
    if args.save is not None:
        _save_network(trained, args.save, args.force)
    if args.format == "json":
        from .core.engine.wiring import nest  # a residual block's entry: its inner layers' entries
        from .core.util.jsonout import dumps

        print(dumps({"epochs": epochs, "loss": ev.train_loss,
                     "weights": nest(spec.layer_kinds, [k.weights_json(w) for k, w in zip(spec.layer_kinds, weights)]),
                     "test_loss": ev.test_loss, "accuracy": ev.train_accuracy,
                     "test_accuracy": ev.test_accuracy, "history": history, "diverged": result.diverged}))
        return 0
    from .core.formulas.notation import num
    from .trace import describe

    print(describe(spec, names["notation"]))
    if diverged:
        print(f"Warning: {diverged}.")
    if args.plot:
        from .plot import loss_plot

        series = {f"training, mean {names['ℓ⁽ⁿ⁾']} during the epoch": [v / spec.N for v in history]}
        if result.test_history:
            n_test = len(spec.test_inputs)
            series[f"test, mean {names['ℓ⁽ⁿ⁾']} after the epoch"] = [v / n_test for v in result.test_history]
        print()
        for line in loss_plot(series):
            print(line)
    else:
        marks = sorted({0, *range(0, epochs, max(1, epochs // 10)), epochs - 1})
        for i in marks:
            print(f"  epoch {i + 1:>6}: {names['ℓ_D']} = {fmt(shown(history[i]), '.6g')}")
    print()
    _final_table(spec, epochs, ev, num, args, names)
    if args.save is not None:
        print(f"saved to {printable(args.save)}")
    return 0


def _check_save(spec, args) -> None:
    """``train --save OUT``, before training: OUT can be written (core/util/files.py's rule). Saving onto
    the network file itself is allowed (the same format, the old file whole until the new one is);
    onto its CSV data it is not."""
    from .core.util.files import check_outputs, input_files

    if args.save is not None:
        check_outputs([(args.save, "the trained network")], input_files(spec, network=False), args.force)


def _save_network(trained, out: str, force: bool) -> None:
    """``train --save OUT``: the trained network as a network file, written atomically."""
    import numpy as np

    from .core.util.errors import SpecError
    from .core.util.files import write_text_atomic

    if not all(np.isfinite(w).all() for w in trained.weights):
        raise SpecError("training diverged: some weights are not finite numbers (∞ or nan), so there is "
                        "no network file to save (try a smaller learning rate)", source=out)
    from .core.util.jsonfmt import network_text

    write_text_atomic(out, network_text(trained.to_json(Path(out).parent)), force)


def _console(**kwargs):
    """A Rich Console whose closed pipe (``bptui train … | head -1``) ends the command as it ends
    ``trace``'s: quietly, status 0 (Rich's own default exits with 1)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole(**kwargs)


def _loss_names(notation) -> dict:
    """ℓ_D, ℓ, ℓ⁽ⁿ⁾ and η as ``notation`` writes them (the lecture's: as they are), and the profile."""
    from .core.engine.equations import LOSS_D, loss_sym
    from .core.formulas.formula import Sym, TextPrinter
    from .core.ops.optim import ETA

    p = TextPrinter(notation=notation)
    return {"ℓ_D": p.p(LOSS_D), "ℓ": p.p(Sym("ℓ", latex=r"\ell")), "ℓ⁽ⁿ⁾": p.p(loss_sym("n")), "η": p.p(ETA),
            "notation": notation, "mean": notation is not None and notation.mean}


def _final_table(spec, epochs, ev, num, args, names: dict | None = None) -> None:
    from rich.table import Table

    names = names or _loss_names(None)
    table = Table()  # (its title on a line of its own: a table's title is padded to the table's width)
    table.add_column("split")
    table.add_column("examples", justify="right")
    if names["mean"]:  # the profile's cost is the mean (ng's J = (1/m) Σ L): the sum is only a sum
        table.add_column(f"Σₙ {names['ℓ⁽ⁿ⁾']}", justify="right")
        table.add_column(f"{names['ℓ']} = mean {names['ℓ⁽ⁿ⁾']}", justify="right")
    else:
        table.add_column(f"loss {names['ℓ']} = Σₙ {names['ℓ⁽ⁿ⁾']}", justify="right")
        table.add_column(f"mean {names['ℓ⁽ⁿ⁾']}", justify="right")
    if spec.is_classifier:
        table.add_column("accuracy", justify="right")
    rows = [("training", ev.n_train, ev.train_loss, ev.train_accuracy)]
    if ev.n_test:
        rows.append(("test", ev.n_test, ev.test_loss, ev.test_accuracy))
    for name, n, loss, acc in rows:
        cells = [name, str(n), f"{fmt(loss, '.6g')}", f"{fmt(loss / n, '.6g')}"]
        if spec.is_classifier:
            cells.append(f"{100 * acc:.1f}%")
        table.add_row(*cells)
    console = _console(no_color=_no_color(args), highlight=False)
    console.print(f"after {count(epochs, 'epoch')}", highlight=False)
    console.print(table)


def _json_number(x: float) -> float | None:
    """JSON has no NaN or infinity: null stands for them."""
    return x if math.isfinite(x) else None


def cmd_import(args) -> int:
    """``bptui import MODEL.onnx --data FILE``: the network file, read back before it is written."""
    from .core.util.files import check_outputs, write_text_atomic
    from .core.util.jsonfmt import network_text
    from .onnx_import import to_network

    inputs = [("the ONNX model", args.file), ("the data file", args.data)]
    if args.output is not None:
        check_outputs([(args.output, "the network file")], inputs, args.force)
    targets = [t.strip() for t in args.targets.split(",")] if args.targets else None
    doc = to_network(args.file, args.data, args.loss, targets, "-" if args.output is None else args.output)
    text = network_text(doc)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text, args.force)
    return 0


def _checked_gradients(kind: LayerKind, l: int, separate: bool) -> list[Node]:
    """The gradients of layer ``l``'s weights as a profile's panels and steps name them, for ``check``'s line:
    with a separate b each block's G (a layer norm's ∂ℓ/∂γ, attention's G_Q … G_O), a recurrent layer's
    G_U, then each block's b and a GRU's b_{h}; with the bias in column 0 each part's G (G and G_U)."""
    if not separate:
        return [sym for _, sym in kind.gradient_parts(l)]
    blocks = kind.matrix_blocks(l)
    syms = [block["G"] for *_, block in blocks]
    syms += [sym for col, sym in kind.gradient_parts(l) if col > 0 and sym not in syms]
    syms += [block["Gb"] for *_, block in blocks] + [grad for _, _, grad in kind.separate_biases(l)]
    return syms


def cmd_check(args) -> int:
    from .core.teaching.check import RTOL, gradient_check, of_the_mean, rule_text, verdict, worst_per_layer

    spec = _load(args.file)
    _check_affordable(spec)
    if spec.kind == "graph":
        _graph_notation(args, spec)
        return _check_graph(spec, args)
    notation = _profile(args, spec)  # the text names the gradients and weights in it; the JSON is the lecture's
    checks = gradient_check(spec)
    worst = worst_per_layer(checks, spec.L)
    v = verdict(checks)
    if args.format == "json":
        print(json.dumps({
            "layers": [{"layer": l, "max_rel_error": _json_number(e),
                        "failed": sum(not c.ok for c in checks if c.layer == l)}
                       for l, e in enumerate(worst, start=1)],
            "max_rel_error": _json_number(v.worst),
            "verdict": v.word, "failed": v.failed, "nonfinite": v.nonfinite,
            "rtol": RTOL, "atol": _json_number(max((c.atol for c in checks), default=0.0)),
        }))
    else:
        from .core.engine.equations import LOSS_D, G
        from .core.formulas.formula import TextPrinter

        p = TextPrinter(notation=notation)
        sep = notation.separate_bias  # a profile with b apart: each layer's gradients of W and of b
        what = "G" if p.notation is None else "gradients"
        print(f"{spec.name}: backprop {what} against central finite differences, {count(len(checks), 'weight')}")
        for l, e in enumerate(worst, start=1):
            if not any(c.layer == l for c in checks):
                continue  # no weights (dropout, a residual block's sum, pooling): nothing was checked
            syms = _checked_gradients(spec.layer_kinds[l - 1], l, sep) if p.notation is not None else [G(l)]
            names = [p.p(sym) for sym in syms]
            name = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            print(f"  {name}: max relative error {fmt(e, '.2e')}")
        print(_verdict_line(v, "weights"))
        print(f"  pass: {rule_text(p.p(LOSS_D))}")
        shown = of_the_mean(checks, spec.N) if notation.mean else checks  # a mean profile's ℓ_D: the mean over N
        bad = sorted((c for c in shown if not c.ok), key=lambda c: -c.rel_error)
        for c in bad[:5]:  # each weight as its panel names it (a kernel's w_k,c,u,v, b_k; u_b,c in U), in the notation
            name = p.p(spec.layer_kinds[c.layer - 1].weight_sym(c.layer, c.row - 1, c.col))
            print(f"  {name}: {_failure(c.backprop, c.numeric, c.atol)}")
        if len(bad) > 5:
            print(f"  … and {len(bad) - 5} more")
    return 0 if v.ok else 1


def _verdict_line(v, what: str) -> str:
    line = f"overall: max relative error {fmt(v.worst, '.2e')}, {v.word}"
    if v.failed:
        line += f": {v.failed} of {v.checked} {what} fail"
    if v.nonfinite:
        line += f", {v.nonfinite} not finite (NaN or infinite)"
    return line


def _failure(backprop: float, numeric: float, atol: float) -> str:
    from .core.teaching.check import RTOL

    text = f"backprop {fmt(backprop, '.9g')}, finite difference {fmt(numeric, '.9g')}"
    if not math.isfinite(backprop):
        return text + ": the backprop gradient is not finite"
    if not math.isfinite(numeric):
        return text + ": the finite difference is not finite (the loss is NaN or infinite near this value)"
    return text + f", |g − fd| = {fmt(abs(backprop - numeric), '.2e')} > atol + {fmt(RTOL, 'g')}·|fd| = {fmt(atol + RTOL * abs(numeric), '.2e')}"


MAX_CHECK_WORK = 300_000_000  # W²·N: about 5 s of finite differences on the development machine
MAX_GRAPH_CHECK_WORK = 3_000_000  # inputs × (nodes + arguments): about as long for a graph


def _check_affordable(spec) -> None:
    """A finite-difference check evaluates the whole loss twice per weight (a graph twice per
    input): refuse, with the numbers, a check that would run for minutes or hours."""
    from .core.util.errors import SpecError

    if spec.kind == "graph":
        size = len(spec.nodes) + sum(len(n.args) for n in spec.nodes)
        if len(spec.inputs) * size > MAX_GRAPH_CHECK_WORK:
            raise SpecError(f"too big for a finite-difference check: {len(spec.inputs):,} inputs × {size:,} nodes "
                            f"and arguments, at most {MAX_GRAPH_CHECK_WORK:,}", source=spec.source)
        return
    n_weights = sum(w.size for w in spec.weights)
    # each evaluation of the loss is N forward passes of m multiplications (m = W for a dense
    # network, so W²·N); a sequence costs one pass per time step
    n, what = (spec.N, "examples") if spec.lengths is None else (int(spec.lengths.sum()), "time steps in all")
    m = spec.cost.multiplications
    work = n_weights * n * m
    if work > MAX_CHECK_WORK:
        raise SpecError(f"too big for a finite-difference check: {n_weights:,} weights and {n:,} {what} of "
                        f"{m:,} multiplications each, W·N·m = {work:,}, at most {MAX_CHECK_WORK:,} (the loss is "
                        "evaluated twice per weight); check a smaller network or fewer examples", source=spec.source)


def _check_graph(spec, args) -> int:
    from .core.teaching.check import RTOL, graph_check, rule_text, verdict

    checks = graph_check(spec)
    v = verdict(checks)
    if args.format == "json":
        print(json.dumps({
            "inputs": [{"input": c.input, "backprop": _json_number(c.backprop), "numeric": _json_number(c.numeric),
                        "rel_error": _json_number(c.rel_error), "atol": _json_number(c.atol), "ok": c.ok}
                       for c in checks],
            "max_rel_error": _json_number(v.worst),
            "verdict": v.word, "failed": v.failed, "nonfinite": v.nonfinite, "rtol": RTOL,
        }))
    else:
        y = spec.output
        print(f"{spec.name}: reverse-mode ∂{y}/∂input against central finite differences, {count(len(checks), 'input')}")
        for c in checks:
            line = f"  ∂{y}/∂{c.input}: "
            if c.ok:
                line += f"backprop {fmt(c.backprop, '.9g')}, finite difference {fmt(c.numeric, '.9g')}, relative error {fmt(c.rel_error, '.2e')}"
            else:
                line += _failure(c.backprop, c.numeric, c.atol) + " ✗"
            print(line)
        print(_verdict_line(v, "inputs"))
        print(f"  pass: {rule_text(y, 'x')}")
    return 0 if v.ok else 1


def cmd_quiz(args) -> int:
    from .core.formulas.notation import num
    from .core.teaching.quiz import DEFAULT_ABS, Quiz, Tolerance, answer_text as quiz_answer_text
    from .core.engine.schedule import StepKey

    spec = _load(args.file)
    if spec.kind == "graph":
        _graph_notation(args, spec)
    notation = None if spec.kind == "graph" else _profile(args, spec)  # the questions in the course's notation
    quiz = Quiz(spec, Tolerance(args.tolerance, DEFAULT_ABS), seed=args.seed, steps=args.steps, notation=notation)
    if spec.kind == "graph":
        from .core.graphs.graph import describe as describe_graph

        print(describe_graph(spec))
    else:
        from .trace import describe

        assert notation is not None
        print(describe(spec, notation))
    print(f"Each step's equation is shown with one number hidden as ?. Type that number (0.25, 1/4) or an "
          f"expression (ln(2), e^6, sqrt(2)/2, with e and π); right within a relative {num(args.tolerance)}. "
          "A wrong answer gets a hint and a second try. q quits.")
    typed = _typed_at_a_terminal()
    while (question := quiz.next()) is not None:
        k = question.key
        where = f"step {k.step} of {quiz.total} · {k.phase}"
        if isinstance(k, StepKey) and k.example is not None:
            where += f" · epoch {k.epoch} · example n = {k.example}"
        print()
        print(where)
        print(f"  {question.equation}")
        prompted = False
        while True:
            if not prompted:
                sys.stdout.write(f"{question.symbol} = ")  # the prompt: an error writing it is standard output's
                sys.stdout.flush()
                prompted = True
            try:
                text = input()
            except EOFError:
                print()
                text = "q"
            except ClosedStream:
                raise
            except (OSError, UnicodeDecodeError) as err:  # standard input is a folder, or not text
                why = err.strerror if isinstance(err, OSError) else f"not UTF-8 text ({err.reason})"
                raise UsageError(f"standard input: cannot read: {why or err}") from None
            if not text.strip():  # no answer: a terminal has moved to a new line, so ask again there
                prompted = not typed
                continue
            if not typed:  # answers from a pipe are not echoed: the transcript writes each after its prompt
                print(text)
            prompted = False
            if text.strip().lower() in ("q", "quit", "exit"):
                quiz.leave(question)
                _quiz_score(quiz.score)
                return 0
            try:
                verdict = quiz.answer(question, text)
            except ValueError as err:
                print(f"{err}; q quits")
                continue
            if verdict.final:
                break
            print(f"not quite ({num(verdict.given, 6)}). hint: {verdict.hint}")
            print("one more try:")
        right = quiz_answer_text(verdict.explanation, question.value, 6)
        if verdict.right:
            print(f"right{' at the second try' if verdict.attempt > 1 else ''}: {question.symbol} = {right}")
        else:
            print(f"wrong: {question.symbol} = {right}, not {num(verdict.given, 6)}")
        print(verdict.explanation.text())
    print()
    _quiz_score(quiz.score)
    return 0


def _typed_at_a_terminal() -> bool:
    """Whether standard input is a terminal, which echoes what is typed (a pipe or a file does not)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # replaced, closed or detached
        return False


def _quiz_score(score) -> None:
    """The final score and, when anything was answered, its breakdown by quantity."""
    print(score.summary())
    for line in score.breakdown():
        print(f"  {line}")


def cmd_export(args) -> int:
    from .exercise import export_command

    return export_command(args, _load)


def cmd_grade(args) -> int:
    from .grade import grade_command

    return grade_command(args)


def _check_can_listen(host: str, port: int) -> None:
    """Fail now, with one error line, if the server could not listen there (a busy port, a host
    that is not this machine's), rather than with the server's traceback later."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as err:
        reason = err.strerror or str(err)
        raise UsageError(f"bptui serve: cannot listen on {host}:{port}: {reason}") from None


def cmd_serve(args) -> int:
    from .examples import resolve

    spec = _load(args.file)  # bad files fail here, with the usual error line, not in the browser
    notation = None
    if args.notation is not None:  # checked here too; each tab's app gets it (a profile file by its absolute path)
        from .core.formulas.profiles import saved_name

        if spec.kind == "graph":
            _graph_notation(args, spec)
        else:
            profile = _profile(args, spec)
            _app_draws(spec, profile)
            notation = saved_name(profile)
    try:
        from .serve import ClassServer, app_argv, normalize_origin
    except ImportError:  # pragma: no cover - a declared dependency
        raise UsageError("bptui serve needs textual-serve: python -m pip install textual-serve") from None
    if not 0 < args.port < 65536:
        raise UsageError(f"bptui serve: --port: {args.port} is not a port (1 … 65535)")
    for origin in args.allow_origin:
        if not normalize_origin(origin).startswith(("http://", "https://")):
            raise UsageError(f"bptui serve: --allow-origin: {origin!r} is not an origin like https://host[:port]")
    save_dir = None
    if args.save_dir is not None:
        save_dir = Path(args.save_dir)
        if not save_dir.is_dir():
            raise UsageError(f"bptui serve: --save-dir: {args.save_dir}: not a folder")
    _check_can_listen(args.host, args.port)
    # the app runs in a child process: let it import this very bptui, installed or not
    package_root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    server = ClassServer(app_argv(resolve(args.file), args.no_color, notation), host=args.host, port=args.port,
                         title=f"bptui · {Path(resolve(args.file)).stem}", allow_origins=tuple(args.allow_origin),
                         max_sessions=args.max_sessions, max_size=args.max_size, save_dir=save_dir)
    server.serve()
    return 0

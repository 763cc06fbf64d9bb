"""The ``bptui`` command: open the TUI, or trace / train / check a network file.

Bad input never ends in a traceback: it prints one ``error: FILE: PLACE: MESSAGE`` line on stderr
and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from . import __version__

COMMANDS = ("trace", "train", "check", "quiz", "export", "serve", "examples")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one "error:" line and exit 2, like bad files
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui",
        description="Step through backpropagation one keypress at a time. "
        "With no command, FILE (default: the bundled xor example) opens in the terminal app.",
        epilog="commands: trace, train, check, quiz, export, serve, examples (bptui COMMAND --help)",
    )
    p.add_argument("--version", action="version", version=f"bptui {__version__}")
    p.add_argument("file", nargs="?", metavar="FILE", help="network file, or a bundled example's name")
    p.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is honoured too)")
    return p


def _command_parser(command: str) -> argparse.ArgumentParser:
    helps = {
        "trace": "every step of the schedule, as a worked solution or JSON Lines",
        "train": "gradient descent for some epochs; prints the loss (and saves the weights)",
        "check": "gradient check: backprop G against central finite differences for every weight; exits 1 when "
                 "a gradient is not finite or |g − fd| > atol + 1e-6·|fd| (atol: the difference's rounding error)",
        "quiz": "answer each step's hidden number at the terminal; right or wrong, the explanation follows",
        "export": "every step as a numbered worked solution: Markdown, a LaTeX document, or CSV",
        "serve": "serve the terminal app in a web browser (textual-serve)",
        "examples": "list the bundled example networks",
    }
    p = _Parser(prog=f"bptui {command}", description=helps[command])
    p.add_argument("--no-color", action="store_true", help="no colour in the output (NO_COLOR is honoured too)")
    if command == "examples":
        return p
    p.add_argument("file", metavar="FILE", help="network file, or a bundled example's name")
    if command == "quiz":
        p.add_argument("--tolerance", type=_positive_float, default=1e-3, metavar="R",
                       help="relative tolerance of a right answer (default 1e-3; values near 0 get an absolute 1e-6)")
        p.add_argument("--steps", type=_positive, default=None, metavar="K",
                       help="ask about the first K steps (default: one epoch, or a graph's whole pass)")
        p.add_argument("--seed", type=int, default=0, metavar="S", help="which entry of each vector or matrix is asked")
        return p
    if command == "export":
        p.add_argument("--format", choices=("markdown", "latex", "csv", "pdf"), default="markdown",
                       help="pdf: the LaTeX compiled by pdflatex (needs --output)")
        p.add_argument("--epochs", type=_positive, default=None,
                       help="epochs to write out (default 1); with --example, the epoch the example is taken from")
        p.add_argument("--output", metavar="OUT", help="write to OUT instead of standard output (--variants: a folder)")
        part = p.add_argument_group("a part of the run (steps keep their numbers from the full run)")
        part.add_argument("--example", type=_positive, metavar="N",
                          help="example N's forward and backward pass (and the update that follows it, if one does)")
        part.add_argument("--steps", metavar="A:B", help="steps A to B, 1-based and inclusive, as bptui trace numbers them")
        ex = p.add_argument_group("exercises")
        ex.add_argument("--exercise", action="store_true",
                        help="leave the values the steps produce blank, numbered (1) ____, for a student to work out")
        ex.add_argument("--answers", metavar="OUT", help="write the exercise's answer key to OUT (.md, .tex or .pdf)")
        ex.add_argument("--blank", metavar="QUANTITIES",
                        help="which values are blank: any of s,o,loss,delta,G,W,value,adjoint (default: all)")
        ex.add_argument("--blank-every", type=_positive, metavar="K", help="blank only every K-th of those steps")
        ex.add_argument("--variants", type=_positive, metavar="N",
                        help="N variants with new weights (graphs: new inputs), each a network file, its exercise "
                             "and its key, in the folder --output DIR")
        ex.add_argument("--seed", type=int, default=None, metavar="S", help="the variants' seed (default 0)")
        ex.add_argument("--round", type=_non_negative, default=None, metavar="D",
                        help="round the variants' drawn numbers to D decimals")
        return p
    if command == "serve":
        p.add_argument("--port", type=int, default=8000, metavar="P", help="port (default 8000)")
        p.add_argument("--host", default="127.0.0.1", metavar="H",
                       help="address to listen on (default 127.0.0.1: this machine only)")
        return p
    p.add_argument("--format", choices=("text", "json"), default="text")
    if command in ("trace", "train"):
        p.add_argument("--epochs", type=_positive, default=None,
                       help="epochs (trace: 1; train: the file's training.epochs)")
    if command == "train":
        from .core.optim import OPTIMIZERS  # the optimizers' table: a new one is offered here at once

        p.add_argument("--save", metavar="OUT", help="write the trained network (a valid network file) to OUT")
        p.add_argument("--optimizer", choices=OPTIMIZERS, help="instead of the file's training.optimizer")
        p.add_argument("--learning-rate", type=_positive_float, metavar="ETA", help="instead of the file's η")
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--update", choices=("full_batch", "per_example"), help="instead of the file's update")
        mode.add_argument("--batch-size", type=_positive, metavar="K", help="mini-batches of K examples")
        p.add_argument("--shuffle-seed", type=int, metavar="S", help="reshuffle the examples every epoch, seeded")
        p.add_argument("--plot", action="store_true", help="draw the loss curve (and the test loss) in the terminal")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from .core.errors import SpecError

    try:
        if argv and argv[0] in COMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
            if args.no_color:
                os.environ["NO_COLOR"] = "1"  # Rich and Textual both honour it
            return globals()[f"cmd_{argv[0]}"](args)
        args = _parser().parse_args(argv)
        return cmd_open(args)
    except (SpecError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bptui trace … | head`
        sys.stderr.close()
        return 0


def _load(arg: str | None):
    from .core.errors import SpecError
    from .core.spec import load_any
    from .examples import names, resolve

    path = resolve(arg)
    if not Path(path).exists():
        raise SpecError(f"no such file (bundled examples: {', '.join(names())})", source=path)
    return load_any(path)


def _no_color(args) -> bool | None:
    """True for --no-color; otherwise None, so Rich decides from NO_COLOR (False would override it)."""
    return True if getattr(args, "no_color", False) or os.environ.get("NO_COLOR") else None


def cmd_open(args) -> int:
    """The app. A network file opens from its schema-checked document, so the first frame does not
    wait for NumPy; the rest of its checks run as the app loads it (errors still end in `error:`)."""
    from .core import validate
    from .core.errors import SpecError
    from .examples import names, resolve

    path = resolve(args.file)
    if not Path(path).exists():
        raise SpecError(f"no such file (bundled examples: {', '.join(names())})", source=path)
    doc = validate.read_json(path)
    if isinstance(doc, dict) and doc.get("kind", "network") != "network":
        from .core.spec import parse_any
        from .tui.graph_app import run as run_graph

        return run_graph(parse_any(doc, path), no_color=args.no_color)
    try:
        validate.check(doc, validate.schema())
    except SpecError as err:
        raise err.at(path)
    from .tui.app import run

    return run(doc, path, no_color=args.no_color)


def cmd_examples(args) -> int:
    from .core.spec import load_any
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
        lines = graph_trace_json(spec) if args.format == "json" else graph_trace_text(spec)
        for line in lines:
            sys.stdout.write(line + "\n")
        return 0
    epochs = args.epochs or 1
    lines = trace_json(spec, epochs) if args.format == "json" else trace_text(spec, epochs)
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")
    return 0


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

    from .core.spec import parse

    doc = copy.deepcopy(spec.raw)
    doc["training"] = {**doc.get("training", {}), **changes}
    return parse(doc, spec.source)


def cmd_train(args) -> int:
    from .core.train import evaluate, train

    spec = _load(args.file)
    if spec.kind == "graph":
        from .core.errors import SpecError

        raise SpecError("a computation graph has no weights, so there is nothing to train "
                        "(try bptui trace or bptui check)", source=spec.source)
    spec = _with_training(spec, args)
    epochs = args.epochs or spec.epochs
    progress = None
    if sys.stderr.isatty() and args.format == "text":
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("training"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                            TextColumn("ℓ_D {task.fields[loss]:.6g}"), TimeRemainingColumn(),
                            console=Console(stderr=True, no_color=_no_color(args)),
                            transient=True)
        task = progress.add_task("train", total=epochs, loss=float("nan"))
        progress.start()

    def on_epoch(report) -> None:
        if progress is not None:
            progress.update(task, completed=report.epoch, loss=report.loss)

    try:
        result = train(spec, epochs, on_epoch)
    finally:
        if progress is not None:
            progress.stop()
    weights, history = result.weights, result.history
    ev = evaluate(spec, weights)
    trained = spec.with_weights(weights)
    if args.save:
        try:
            from .core.jsonfmt import network_text

            Path(args.save).write_text(network_text(trained.to_json(Path(args.save).parent)), encoding="utf-8")
        except OSError as err:
            from .core.errors import SpecError

            raise SpecError(f"cannot write: {err.strerror}", source=args.save) from None
    if args.format == "json":
        print(json.dumps({"epochs": epochs, "loss": ev.train_loss, "weights": [k.weights_json(w) for k, w in zip(spec.layer_kinds, weights)],
                          "test_loss": ev.test_loss, "accuracy": ev.train_accuracy,
                          "test_accuracy": ev.test_accuracy, "history": history}))
        return 0
    from .core.notation import num
    from .trace import describe

    print(describe(spec))
    if args.plot:
        from .plot import loss_plot

        series = {"training, mean ℓ⁽ⁿ⁾ during the epoch": [v / spec.N for v in history]}
        if result.test_history:
            n_test = len(spec.test_inputs)
            series["test, mean ℓ⁽ⁿ⁾ after the epoch"] = [v / n_test for v in result.test_history]
        print()
        for line in loss_plot(series):
            print(line)
    else:
        marks = sorted({0, *range(0, epochs, max(1, epochs // 10)), epochs - 1})
        for i in marks:
            print(f"  epoch {i + 1:>6}: ℓ_D = {history[i]:.6g}")
    print()
    _final_table(spec, epochs, ev, num, args)
    if args.save:
        print(f"saved to {args.save}")
    return 0


def _final_table(spec, epochs, ev, num, args) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"after {epochs} epochs", title_justify="left")
    table.add_column("split")
    table.add_column("examples", justify="right")
    table.add_column("loss ℓ = Σₙ ℓ⁽ⁿ⁾", justify="right")
    table.add_column("mean ℓ⁽ⁿ⁾", justify="right")
    if spec.is_classifier:
        table.add_column("accuracy", justify="right")
    rows = [("training", ev.n_train, ev.train_loss, ev.train_accuracy)]
    if ev.n_test:
        rows.append(("test", ev.n_test, ev.test_loss, ev.test_accuracy))
    for name, n, loss, acc in rows:
        cells = [name, str(n), f"{loss:.6g}", f"{loss / n:.6g}"]
        if spec.is_classifier:
            cells.append(f"{100 * acc:.1f}%")
        table.add_row(*cells)
    Console(no_color=_no_color(args), highlight=False).print(table)


def _json_number(x: float) -> float | None:
    """JSON has no NaN or infinity: null stands for them."""
    return x if math.isfinite(x) else None


def cmd_check(args) -> int:
    from .core.check import RTOL, gradient_check, rule_text, verdict, worst_per_layer

    spec = _load(args.file)
    if spec.kind == "graph":
        return _check_graph(spec, args)
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
        from .core.notation import sup

        print(f"{spec.name}: backprop G against central finite differences, {len(checks)} weights")
        for l, e in enumerate(worst, start=1):
            print(f"  G{sup(l)}: max relative error {e:.2e}")
        print(_verdict_line(v, "weights"))
        print(f"  pass: {rule_text()}")
        bad = sorted((c for c in checks if not c.ok), key=lambda c: -c.rel_error)
        for c in bad[:5]:
            print(f"  w{sup(c.layer)}_{c.row},{c.col}: {_failure(c.backprop, c.numeric, c.atol)}")
        if len(bad) > 5:
            print(f"  … and {len(bad) - 5} more")
    return 0 if v.ok else 1


def _verdict_line(v, what: str) -> str:
    line = f"overall: max relative error {v.worst:.2e}, {v.word}"
    if v.failed:
        line += f": {v.failed} of {v.checked} {what} fail"
    if v.nonfinite:
        line += f", {v.nonfinite} not finite (NaN or infinite)"
    return line


def _failure(backprop: float, numeric: float, atol: float) -> str:
    from .core.check import RTOL

    text = f"backprop {backprop:.9g}, finite difference {numeric:.9g}"
    if not math.isfinite(backprop):
        return text + ": the backprop gradient is not finite"
    if not math.isfinite(numeric):
        return text + ": the finite difference is not finite (the loss is NaN or infinite near this value)"
    return text + f", |g − fd| = {abs(backprop - numeric):.2e} > atol + {RTOL:g}·|fd| = {atol + RTOL * abs(numeric):.2e}"


def _check_graph(spec, args) -> int:
    from .core.check import RTOL, graph_check, rule_text, verdict

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
        print(f"{spec.name}: reverse-mode ∂{y}/∂input against central finite differences, {len(checks)} inputs")
        for c in checks:
            line = f"  ∂{y}/∂{c.input}: "
            if c.ok:
                line += f"backprop {c.backprop:.9g}, finite difference {c.numeric:.9g}, relative error {c.rel_error:.2e}"
            else:
                line += _failure(c.backprop, c.numeric, c.atol) + " ✗"
            print(line)
        print(_verdict_line(v, "inputs"))
        print(f"  pass: {rule_text(y, 'x')}")
    return 0 if v.ok else 1


def cmd_quiz(args) -> int:
    from .core.notation import num
    from .core.quiz import DEFAULT_ABS, Quiz, Tolerance
    from .core.schedule import StepKey

    spec = _load(args.file)
    quiz = Quiz(spec, Tolerance(args.tolerance, DEFAULT_ABS), seed=args.seed, steps=args.steps)
    if spec.kind == "graph":
        from .core.graph import describe as describe_graph

        print(describe_graph(spec))
    else:
        from .trace import describe

        print(describe(spec))
    print(f"Each step's equation is shown with one number hidden as ?. Type that number (0.25, 1/4) or an "
          f"expression (ln(2), e^6, sqrt(2)/2, with e and π); right within a relative {num(args.tolerance)}. "
          "A wrong answer gets a hint and a second try. q quits.")
    while (question := quiz.next()) is not None:
        k = question.key
        where = f"step {k.step} of {quiz.total} · {k.phase}"
        if isinstance(k, StepKey) and k.example is not None:
            where += f" · epoch {k.epoch} · example n = {k.example}"
        print()
        print(where)
        print(f"  {question.equation}")
        while True:
            try:
                text = input(f"{question.symbol} = ")
            except EOFError:
                print()
                text = "q"
            if text.strip().lower() in ("q", "quit", "exit"):
                _quiz_score(quiz.score)
                return 0
            if not text.strip():
                continue
            try:
                verdict = quiz.answer(question, text)
            except ValueError as err:
                print(f"{err}; q quits")
                continue
            if verdict.final:
                break
            print(f"not quite ({num(verdict.given, 6)}). hint: {verdict.hint}")
            print("one more try:")
        right = num(question.value, 6)
        if verdict.right:
            print(f"right{' at the second try' if verdict.attempt > 1 else ''}: {question.symbol} = {right}")
        else:
            print(f"wrong: {question.symbol} = {right}, not {num(verdict.given, 6)}")
        print(verdict.explanation.text())
    print()
    _quiz_score(quiz.score)
    return 0


def _quiz_score(score) -> None:
    """The final score and, when anything was answered, its breakdown by quantity."""
    print(score.summary())
    for line in score.breakdown():
        print(f"  {line}")


def cmd_export(args) -> int:
    from .exercise import export_command

    return export_command(args, _load)


def serve_command(path: str, no_color: bool = False) -> str:
    """The command textual-serve runs for each browser: this Python's ``-m bptui FILE``."""
    import shlex

    parts = [sys.executable, "-m", "bptui", str(Path(path).resolve())]
    if no_color:
        parts.append("--no-color")
    return shlex.join(parts)


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

    _load(args.file)  # bad files fail here, with the usual error line, not in the browser
    try:
        from textual_serve.server import Server
    except ImportError:  # pragma: no cover - a declared dependency
        raise UsageError("bptui serve needs textual-serve: python -m pip install textual-serve") from None
    if not 0 < args.port < 65536:
        raise UsageError(f"bptui serve: --port: {args.port} is not a port (1 … 65535)")
    _check_can_listen(args.host, args.port)
    command = serve_command(resolve(args.file), args.no_color)
    # the app runs in a child process: let it import this very bptui, installed or not
    package_root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    print(f"serving {args.file} at http://{args.host}:{args.port} (Ctrl+C stops)", flush=True)
    Server(command, host=args.host, port=args.port, title=f"bptui · {Path(resolve(args.file)).stem}").serve()
    return 0

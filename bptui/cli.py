"""The ``bptui`` command: open the TUI, or trace / train / check a network file.

Bad input never ends in a traceback: it prints one ``error: FILE: PLACE: MESSAGE`` line on stderr
and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__

COMMANDS = ("trace", "train", "check", "examples")


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


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bptui",
        description="Step through backpropagation one keypress at a time. "
        "With no command, FILE (default: the bundled xor example) opens in the terminal app.",
        epilog="commands: trace, train, check, examples (bptui COMMAND --help)",
    )
    p.add_argument("--version", action="version", version=f"bptui {__version__}")
    p.add_argument("file", nargs="?", metavar="FILE", help="network file, or a bundled example's name")
    p.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is honoured too)")
    return p


def _command_parser(command: str) -> argparse.ArgumentParser:
    helps = {
        "trace": "every step of the schedule, as a worked solution or JSON Lines",
        "train": "gradient descent for some epochs; prints the loss (and saves the weights)",
        "check": "gradient check: backprop G against central finite differences for every weight",
        "examples": "list the bundled example networks",
    }
    p = _Parser(prog=f"bptui {command}", description=helps[command])
    if command == "examples":
        return p
    p.add_argument("file", metavar="FILE", help="network file, or a bundled example's name")
    p.add_argument("--format", choices=("text", "json"), default="text")
    if command in ("trace", "train"):
        p.add_argument("--epochs", type=_positive, default=None,
                       help="epochs (trace: 1; train: the file's training.epochs)")
    if command == "train":
        p.add_argument("--save", metavar="OUT", help="write the trained network (a valid network file) to OUT")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from .core.errors import SpecError

    try:
        if argv and argv[0] in COMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
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


def _is_graph(spec) -> bool:
    return getattr(spec, "kind", "network") == "graph"


def cmd_open(args) -> int:
    spec = _load(args.file)
    if _is_graph(spec):
        from .tui.graph_app import run
    else:
        from .tui.app import run

    return run(spec, no_color=args.no_color)


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
    if _is_graph(spec):
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


def cmd_train(args) -> int:
    from .core.network import Network
    from .core.train import train

    spec = _load(args.file)
    if _is_graph(spec):
        from .core.errors import SpecError

        raise SpecError("a computation graph has no weights, so there is nothing to train "
                        "(try bptui trace or bptui check)", source=spec.source)
    epochs = args.epochs or spec.epochs
    progress = None
    if sys.stderr.isatty() and args.format == "text":
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("training"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                            TextColumn("ℓ_D {task.fields[loss]:.6g}"), TimeRemainingColumn(), transient=True)
        task = progress.add_task("train", total=epochs, loss=float("nan"))
        progress.start()

    def on_epoch(epoch: int, loss: float) -> None:
        if progress is not None:
            progress.update(task, completed=epoch, loss=loss)

    try:
        weights, history = train(spec, epochs, on_epoch)
    finally:
        if progress is not None:
            progress.stop()
    final = float(Network(spec).dataset_loss(weights, spec.inputs, spec.targets))
    trained = spec.with_weights(weights)
    if args.save:
        try:
            Path(args.save).write_text(json.dumps(trained.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            from .core.errors import SpecError

            raise SpecError(f"cannot write: {err.strerror}", source=args.save) from None
    if args.format == "json":
        print(json.dumps({"epochs": epochs, "loss": final, "weights": [w.tolist() for w in weights]}))
        return 0
    from .core.notation import num

    print(f"{spec.name}: {epochs} epochs of {spec.update} gradient descent, η = {num(spec.learning_rate)}"
          + (f", λ = {num(spec.l2)}" if spec.l2 else ""))
    marks = sorted({0, *range(0, epochs, max(1, epochs // 10)), epochs - 1})
    for i in marks:
        print(f"  epoch {i + 1:>6}: ℓ_D = {history[i]:.6g}")
    print(f"ℓ_D at the final weights: {final:.6g}")
    if args.save:
        print(f"saved to {args.save}")
    return 0


def cmd_check(args) -> int:
    from .core.check import THRESHOLD, gradient_check, worst_per_layer

    spec = _load(args.file)
    if _is_graph(spec):
        return _check_graph(spec, args)
    checks = gradient_check(spec)
    worst = worst_per_layer(checks, spec.L)
    overall = max(worst)
    if args.format == "json":
        print(json.dumps({
            "layers": [{"layer": l, "max_rel_error": e} for l, e in enumerate(worst, start=1)],
            "max_rel_error": overall,
        }))
    else:
        from .core.notation import sup

        print(f"{spec.name}: backprop G against central finite differences, {len(checks)} weights")
        for l, e in enumerate(worst, start=1):
            print(f"  G{sup(l)}: max relative error {e:.2e}")
        verdict = "ok" if overall <= THRESHOLD else "FAILED"
        print(f"overall: max relative error {overall:.2e} ({verdict}, threshold {THRESHOLD:.0e})")
        if overall > THRESHOLD:
            for c in sorted(checks, key=lambda c: -c.rel_error)[:5]:
                print(f"  w{sup(c.layer)}_{c.row},{c.col}: backprop {c.backprop:.9g}, "
                      f"finite difference {c.numeric:.9g}, relative error {c.rel_error:.2e}")
    return 0 if overall <= THRESHOLD else 1


def _check_graph(spec, args) -> int:
    from .core.check import THRESHOLD, graph_check

    checks = graph_check(spec)
    overall = max(c.rel_error for c in checks)
    if args.format == "json":
        print(json.dumps({
            "inputs": [{"input": c.input, "backprop": c.backprop, "numeric": c.numeric, "rel_error": c.rel_error}
                       for c in checks],
            "max_rel_error": overall,
        }))
    else:
        y = spec.output
        print(f"{spec.name}: reverse-mode ∂{y}/∂input against central finite differences, {len(checks)} inputs")
        for c in checks:
            print(f"  ∂{y}/∂{c.input}: backprop {c.backprop:.9g}, finite difference {c.numeric:.9g}, "
                  f"relative error {c.rel_error:.2e}")
        verdict = "ok" if overall <= THRESHOLD else "FAILED"
        print(f"overall: max relative error {overall:.2e} ({verdict}, threshold {THRESHOLD:.0e})")
    return 0 if overall <= THRESHOLD else 1

"""The command line: trace, train and check on every example; every kind of bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper

from .conftest import EXAMPLES, NETWORKS

XOR = json.loads((NETWORKS / "xor.json").read_text())


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", EXAMPLES)
def test_trace_json_on_every_example(capsys, name):
    code, out, err = run(capsys, "trace", NETWORKS / f"{name}.json", "--format", "json", "--epochs", "2")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    spec = load(NETWORKS / f"{name}.json")
    assert len(rows) == 2 * len(Stepper(spec).schedule)
    assert set(rows[0]) == {"step", "epoch", "example", "phase", "quantity", "layer", "equation", "value", "notation"}
    assert [r["step"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["quantity"] == "s" and rows[0]["equation"].startswith("s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾")
    # the first step's value is W⁽¹⁾ [1, x⁽ⁿ⁾] for the epoch's first example n (1 unless shuffled)
    n = rows[0]["example"]
    assert n == 1 or spec.shuffle_seed is not None
    expected = spec.weights[0] @ np.concatenate([[1.0], spec.inputs[n - 1]])
    np.testing.assert_allclose(rows[0]["value"], expected, rtol=1e-15)


@pytest.mark.parametrize("name", EXAMPLES)
def test_trace_text_on_every_example(capsys, name):
    code, out, _ = run(capsys, "trace", name)
    assert code == 0
    assert "Example n = 1" in out and "End of epoch 1" in out
    assert "δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾)[1:]" in out


@pytest.mark.parametrize("name", EXAMPLES)
def test_train_and_save_on_every_example(capsys, tmp_path, name):
    out_file = tmp_path / "trained.json"
    code, out, _ = run(capsys, "train", NETWORKS / f"{name}.json", "--epochs", "20", "--format", "json",
                       "--save", out_file)
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"epochs", "loss", "weights", "test_loss", "accuracy", "test_accuracy", "history", "diverged"}
    assert result["epochs"] == 20 and len(result["history"]) == 20
    trained = load(out_file)
    for w, saved in zip(result["weights"], trained.weights):
        np.testing.assert_array_equal(np.array(w), saved)
    from bptui.core.engine.network import Network

    assert result["loss"] == pytest.approx(Network(trained).dataset_loss(trained.weights, trained.inputs, trained.targets))


@pytest.mark.parametrize("name", EXAMPLES)
def test_check_on_every_example(capsys, name):
    code, out, _ = run(capsys, "check", NETWORKS / f"{name}.json", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert len(result["layers"]) == len(load(NETWORKS / f"{name}.json").weights)
    assert result["max_rel_error"] == max(r["max_rel_error"] for r in result["layers"]) < 1e-6


TRAINING_VARIANTS = [
    ("xor", ()), ("regression", ()), ("iris", ()), ("moons", ()),
    ("xor", ("--optimizer", "momentum")), ("xor", ("--optimizer", "adam", "--learning-rate", "0.05")),
    ("xor", ("--batch-size", "3")), ("xor", ("--batch-size", "2", "--shuffle-seed", "7", "--optimizer", "adam")),
    ("regression", ("--optimizer", "momentum", "--batch-size", "4", "--shuffle-seed", "1")),
    ("classifier", ("--update", "per_example", "--optimizer", "adam", "--shuffle-seed", "3")),
]


@pytest.mark.parametrize("name,options", TRAINING_VARIANTS)
def test_train_matches_the_step_schedule(capsys, name, options):
    """Training (vectorised) and stepping through K epochs give the same weights and optimizer state,
    for every optimizer and update mode, shuffled or not."""
    from bptui.cli import _command_parser, _load, _with_training

    code, out, _ = run(capsys, "train", name, "--epochs", "3", "--format", "json", *options)
    assert code == 0
    spec = _with_training(_load(name), _command_parser("train").parse_args([name, *options]))
    stepper = Stepper(spec)
    stepper.goto(3 * len(stepper.schedule))
    result = json.loads(out)
    for w, s in zip(result["weights"], stepper.weights):
        np.testing.assert_allclose(w, s, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(result["history"][-1], stepper.state.loss_D, rtol=1e-11)
    from bptui.core.engine.train import train

    trained = train(spec, 3)
    for mine, theirs in zip(trained.opt, stepper.state.opt[1:]):
        for key, a in mine.arrays().items():
            np.testing.assert_allclose(a, theirs.arrays()[key], rtol=1e-10, atol=1e-13)
        assert mine.t == theirs.t


def test_train_xor_learns(capsys):
    code, out, _ = run(capsys, "train", "xor", "--format", "json")
    assert json.loads(out)["loss"] < 0.05


def test_check_fails_with_exit_1_on_wrong_gradients(capsys, monkeypatch):
    from bptui.core.engine import network

    original = network.Network.output_delta
    monkeypatch.setattr(network.Network, "output_delta", lambda self, *a: 0.9 * original(self, *a))
    code, out, _ = run(capsys, "check", "xor")
    assert code == 1 and "FAILED" in out


def test_bundled_examples_by_name_and_default(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # works from any folder
    code, out, _ = run(capsys, "trace", "xor.json", "--format", "json")
    assert code == 0 and len(out.splitlines()) == 38
    code, out, _ = run(capsys, "examples")
    assert code == 0 and all(name in out for name in EXAMPLES)


def bad(tmp_path, doc=None, text=None, name="bad.json"):
    path = tmp_path / name
    path.write_text(text if text is not None else json.dumps(doc))
    return path


def edit(**changes):
    doc = json.loads(json.dumps(XOR))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = doc
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        if value is KeyError:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return doc


BAD = {
    "broken_json": (None, '{"layers": [', "line 1, column 13"),
    "wrong_shape": (edit(weights__1=[[0.1, 0.2]]), None, "weights[1]: shape 1×2, expected 1×3 = d⁽²⁾ × (d⁽¹⁾+1)"),
    "ragged_rows": (edit(weights__0=[[0.1, 0.2, 0.3], [0.1, 0.2]]), None, "weights[0]: shape 2×2/3"),
    "too_few_matrices": (edit(weights=[[[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]]), None, "weights: 1 matrices, expected 2"),
    "unknown_activation": (edit(layers__1__activation="swish"), None, "layers[1].activation: \"swish\" is not one of"),
    "unknown_loss": (edit(loss="hinge"), None, "loss: \"hinge\" is not one of"),
    "softmax_hidden": (edit(layers__1__activation="softmax"), None, "layers[1].activation: softmax is for the output layer only"),
    "nan_weight": (None, json.dumps(XOR).replace("0.05", "NaN"), "weights[1][0][0]: NaN is not a finite number"),
    "inf_input": (None, json.dumps(XOR).replace('"inputs": [[0, 0]', '"inputs": [[0, Infinity]'), "data.inputs[0][1]: Infinity is not a finite number"),
    "string_weight": (edit(weights__0__0__1="0.5"), None, "weights[0][0][1]: \"0.5\" is not a number"),
    "string_target": (edit(data__targets__2=["one"]), None, "data.targets[2][0]: \"one\" is not a number"),
    "input_width": (edit(data__inputs__1=[0, 1, 1]), None, "data.inputs[1]: 3 values, expected 2 = d⁽⁰⁾"),
    "target_width": (edit(data__targets__0=[0, 1]), None, "data.targets[0]: 2 values, expected 1 = d⁽²⁾"),
    "empty_data": (edit(data={"inputs": [], "targets": []}), None, "data.inputs: empty, at least 1 needed"),
    "count_mismatch": (edit(data__targets=[[0], [1]]), None, "data: 4 inputs but 2 targets"),
    "no_layers": (edit(layers=KeyError), None, "top level: missing required key 'layers'"),
    "one_layer": (edit(layers=[{"units": 2}]), None, "layers: 1 entries, at least 2 needed"),
    "zero_units": (edit(layers__1__units=0), None, "layers[1].units: 0 is below the minimum 1"),
    "unknown_key": (edit(learning_rate=0.1), None, "top level: unknown key 'learning_rate'"),
    "input_activation": (edit(layers__0__activation="tanh"), None, "layers[0]: the input layer has no activation"),
    "ce_with_tanh": (edit(loss="cross_entropy", layers__2__activation="tanh"), None, "loss: cross_entropy needs a sigmoid or softmax output"),
    "ce_target_range": (edit(loss="cross_entropy", data__targets__1=[2]), None, "data.targets[1][0]: cross_entropy targets must lie in [0, 1]"),
    "negative_rate": (edit(training__learning_rate=-1), None, "training.learning_rate: -1 must be greater than 0"),
    "bad_update": (edit(training__update="sometimes"), None, "training.update: \"sometimes\" is not one of"),
    "not_an_object": (None, "[1, 2]", "top level: [1, 2] is not an object"),
    "not_utf8": (None, None, "not UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["trace", "train", "check"])
def test_bad_input_gives_one_error_line_and_exit_2(capsys, tmp_path, case, command):
    doc, text, expected = BAD[case]
    if case == "not_utf8":
        path = tmp_path / "bad.json"
        path.write_bytes(b'{"name": "\xff"}')
    else:
        path = bad(tmp_path, doc, text)
    code, out, err = run(capsys, command, path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ")
    assert expected in err


CSV = "a,b,c\n1,2,0\n3,4,1\n"


def csv_network(tmp_path, text=CSV, **data):
    (tmp_path / "d.csv").write_text(text)
    doc = {"layers": [{"units": 2}, {"units": 1}],
           "data": {"csv": "d.csv", "targets": ["c"], **data}}
    return bad(tmp_path, doc, name="net.json")


@pytest.mark.parametrize("command", ["trace", "train", "check"])
def test_csv_errors(capsys, tmp_path, command):
    cases = [
        ((CSV,), {"csv": "nope.csv"}, "net.json: data.csv: no such file"),
        ((CSV,), {"targets": ["zzz"]}, "net.json: data.targets[0]: no column 'zzz' in d.csv (columns: a, b, c)"),
        ((CSV,), {"inputs": ["a", "q"]}, "net.json: data.inputs[1]: no column 'q'"),
        (("a,b,c\n1,2,0\n3,x,1\n",), {}, "d.csv: line 3, column b: 'x' is not a finite number"),
        (("a,b,c\n1,2,0\n3,4\n",), {}, "d.csv: line 3: 2 cells, expected 3"),
        (("a,b,c\n",), {}, "d.csv: no rows of data"),
        ((CSV,), {"inputs": ["a"]}, "net.json: data.inputs: 1 columns, expected 2"),
    ]
    for args, data, expected in cases:
        path = csv_network(tmp_path, *args, **data)
        code, out, err = run(capsys, command, path)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert err.startswith("error: ") and expected in err, err


def test_csv_reads_named_columns_and_one_hot_targets(tmp_path):
    spec = load(csv_network(tmp_path, inputs=["b", "a"]))
    np.testing.assert_array_equal(spec.inputs, [[2, 1], [4, 3]])
    np.testing.assert_array_equal(spec.targets, [[0], [1]])
    iris = load(NETWORKS / "iris.json")
    assert iris.N + len(iris.test_inputs) == 150 and len(iris.test_inputs) == 30
    assert set(iris.targets.sum(axis=1)) == {1.0}


def test_generator_errors(capsys, tmp_path):
    for data, expected in [
        ({"generator": "spiral"}, "data.generator: spiral gives 2 inputs, but layers[0] has 3 units"),
        ({"generator": "bogus"}, "data.generator: \"bogus\" is not one of xor, circle"),
        ({"generator": "xor", "test_fraction": 1}, "data.test_fraction: 1 must be less than 1"),
        ({"generator": "xor", "n": 2, "test_fraction": 0.9}, "test_fraction 0.9 leaves no training examples"),
        ({"inputs": [[1, 2, 3]]}, "data: {\"inputs\": [[1, 2, 3]]} is not inline data"),
    ]:
        units = 3 if "spiral" in str(data) else 2
        path = bad(tmp_path, {"layers": [{"units": units}, {"units": 1}], "data": data})
        code, out, err = run(capsys, "train", path)
        assert code == 2 and expected in err, err


def test_train_prints_a_table_and_plots(capsys):
    code, out, _ = run(capsys, "train", "moons", "--epochs", "30", "--plot")
    assert code == 0
    assert "training" in out and "test" in out and "accuracy" in out and "%" in out
    assert "┤" in out and "epoch 30" in out and "mean ℓ⁽ⁿ⁾" in out
    code, out, _ = run(capsys, "train", "regression", "--epochs", "5")
    assert code == 0 and "accuracy" not in out


def test_training_options_are_checked(capsys):
    code, _, err = run(capsys, "train", "xor", "--optimizer", "rmsprop")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "train", "xor", "--batch-size", "2", "--update", "per_example")
    assert code == 2 and "not allowed with" in err
    code, _, err = run(capsys, "train", "xor", "--learning-rate", "-1")
    assert code == 2 and "must be a positive number" in err


def test_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "trace", tmp_path / "nope.json")
    assert code == 2 and err.startswith(f"error: {tmp_path / 'nope.json'}: no such file (bundled examples: chain,")


def test_usage_errors_are_one_line(capsys):
    code, _, err = run(capsys, "train", "xor", "--epochs", "0")
    assert code == 2 and err.startswith("error: bptui train: argument --epochs: 0 must be at least 1")
    assert err.count("\n") == 1


def test_save_to_an_unwritable_place(capsys, tmp_path):
    code, _, err = run(capsys, "train", "xor", "--epochs", "1", "--save", tmp_path / "no" / "dir.json")
    assert code == 2 and err.startswith("error: ") and "cannot write" in err


def test_console_script_never_prints_a_traceback(tmp_path):
    path = bad(tmp_path, edit(weights__1=[[0.1, 0.2]]))
    proc = subprocess.run([sys.executable, "-m", "bptui", "check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_serve_on_a_busy_port_is_one_error_line(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run(capsys, "serve", "xor", "--port", port)
    assert code == 2 and err.startswith(f"error: bptui serve: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1 and out == ""


def test_train_stops_and_says_so_when_it_diverges(capsys):
    import json as _json

    assert main(["train", "regression", "--learning-rate", "1000", "--format", "json"]) == 0
    captured = capsys.readouterr()
    out = _json.loads(captured.out)  # strict JSON: null, never NaN
    assert out["diverged"] is not None and out["epochs"] == out["diverged"] < 300 and captured.err == ""
    assert main(["train", "regression", "--learning-rate", "1000"]) == 0
    text = capsys.readouterr().out
    assert f"Warning: training diverged at epoch {out['diverged']}: ℓ_D = " in text and "η = 1000 may be too large" in text


def test_an_interrupt_during_an_import_ends_with_130_and_no_traceback(monkeypatch, capsys):
    """Ctrl-C while a module's class body runs (a lazy import in a command: trace's GraphSpec) reaches the command
    as a RuntimeError from __set_name__ whose cause is the KeyboardInterrupt (seen once in a whole-suite run on a
    loaded machine, tests/test_fuzz_io.py's interrupted export): bptui ends as for any Ctrl-C, status 130."""
    from bptui import cli

    def interrupted(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from err

    monkeypatch.setattr(cli, "cmd_trace", interrupted)
    assert cli.main(["trace", "networks/xor.json"]) == 130
    assert "Traceback" not in capsys.readouterr().err

    def broken(args):
        raise RuntimeError("a bug of our own")

    monkeypatch.setattr(cli, "cmd_trace", broken)
    with pytest.raises(RuntimeError):  # any other RuntimeError is not taken for an interrupt
        cli.main(["trace", "networks/xor.json"])


def test_every_export_format_is_named_in_the_help_and_the_commands_table(capsys):
    """`bptui export --help` and the manual's table of commands (docs/index.md) name every --format choice."""
    from bptui.cli import _command_parser

    parser = _command_parser("export")
    formats = next(a.choices for a in parser._actions if a.dest == "format")
    assert {"markdown", "pytorch", "moodle", "gradescope"} <= set(formats)
    description = " ".join(parser.description.split()).lower()
    table = [line for line in (NETWORKS.parent / "docs" / "index.md").read_text().splitlines()
             if line.startswith("| `bptui export ")]
    named = {name for row in table for name in row.split("--format ")[1].split(" ")[0].split("\\|")}
    assert named == set(formats)
    for name in formats:
        assert name in description, name


@pytest.mark.parametrize("name", ["xor", "iris"])
def test_train_writes_no_line_with_trailing_blanks(capsys, name):
    """The text `bptui train` prints ends each line at its last character: its table's title was padded to
    the table's width ("after 3 epochs" and 49 blanks)."""
    code, out, _ = run(capsys, "train", name, "--epochs", "3")
    assert code == 0 and "after 3 epochs\n" in out, out
    assert [line for line in out.splitlines() if line != line.rstrip()] == []

"""A network file's verdict without NumPy (core/formats/verdict.py): the reader's own checks, run
by ``bptui FILE`` before its first frame on a document plain JSON decides, with no reader child.

It is the reader's verdict: on the bundled networks under seeded mutations (tests/test_fuzz.py's),
whatever passes the schema gets from ``verdict`` exactly what ``parse`` gives it (the same error
line, or acceptance), or no verdict at all (a v2 kind, inputs too large to be sure standardising
them stays finite, cross-entropy on sine's targets: ``parse`` decides). So do a generator's data,
a CSV file's (iris.csv mutated in a temporary copy) and standardised inputs, mutated where they are.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bptui.core.formats import verdict as V
from bptui.core.formats.data import GENERATORS
from bptui.core.formats.spec import example_cost, parse
from bptui.core.ops.activation_rules import RULES
from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.util import validate
from bptui.core.util.errors import SpecError

from .conftest import EXAMPLES, NETWORKS, ROOT, V2_EXAMPLES
from .test_fuzz import KINDS, SPECIAL, _get, _paths, apply


def _outcome(fn) -> str:
    try:
        return "accepted" if fn() is not False else "no verdict"
    except SpecError as err:
        return str(err)


# what a data section's and its layers' numbers become, besides test_fuzz's SPECIAL: values each
# check sits at the edge of (a generator's widths and n, a split that leaves nothing, noise standardising
# may or may not survive, cross-entropy's outputs)
DATA_VALUES: list[Any] = [
    *GENERATORS, 1, 2, 3, 4, 5, 10**6, 2_000_001, 0.5, 0.75, 0.9, 0.99, 0.0, 1e80, 1e81, 1e99, 1e150, 1e300,
    True, False, "cross_entropy", "squared", "softmax", "sigmoid", "relu", "tanh", ["setosa"],
    ["setosa", "virginica", "versicolor"], ["sepal_length"], ["petal_width", "x"], ["setosa", "setosa"],
]


def mutated(seed: str, n: int, names: list[str] | None = None, focus: tuple = ()) -> list[tuple[str, Any]]:
    """``n`` mutated bundled networks (what was done, the document) that pass the schema: of ``names``
    (the v1 ones and two v2), mutated anywhere, or with ``focus`` at the places under those keys
    (``("data", "layers", "loss")``) with test_fuzz's values and DATA_VALUES."""
    rng = random.Random(seed)
    bases = {name: json.loads((NETWORKS / f"{name}.json").read_text())
             for name in names or EXAMPLES + V2_EXAMPLES[:2]}
    for doc in bases.values():
        if "csv" in doc["data"]:
            doc["data"]["csv"] = str(NETWORKS / doc["data"]["csv"])
    out: list[tuple[str, Any]] = []
    while len(out) < n:
        name = rng.choice(sorted(bases))
        doc = copy.deepcopy(bases[name])
        paths = [p for p in _paths(doc) if not focus or (p and p[0] in focus)]
        if focus and rng.random() < 0.3:  # a key the file left out (a generator's defaults, standardize)
            paths += [("data", key) for key in ("n", "noise", "seed", "test_fraction", "standardize", "inputs")
                      if key not in doc["data"]] + [("loss",)] * ("loss" not in doc)
        path = rng.choice(paths)
        kind = "replace" if focus and rng.random() < 0.6 else rng.choice(KINDS)
        values = SPECIAL + DATA_VALUES * 2 if focus else SPECIAL
        arg = {"replace": rng.choice(values), "scale": rng.choice([-1, 2, 0.5, 1e3, 1e6]), "nest": 2,
               "huge_list": 10}.get(kind)
        if len(path) == 2 and path[1] not in _get(doc, path[:1]) and kind == "replace":
            _get(doc, path[:1])[path[1]] = None  # a key added, then replaced
        try:
            doc = apply(doc, path, kind, arg)
            validate.check(doc, validate.schema())
        except (SpecError, KeyError, IndexError, TypeError):
            continue
        out.append((f"{name}: {kind} at {'.'.join(map(str, path))}", doc))
    return out


def _same_verdict(drawn: list[tuple[str, Any]], source: str = "FILE", said: list[str] | None = None) -> dict[str, int]:
    """Each document's verdict is the reader's, or none; how often each was given (and in ``said``,
    the error lines given)."""
    seen = {"accepted": 0, "refused": 0, "no verdict": 0}
    for what, doc in drawn:
        given = _outcome(lambda: V.verdict(doc, source))
        if given == "no verdict":
            seen["no verdict"] += 1
            continue
        read = _outcome(lambda: parse(doc, source, schema_checked=True))
        assert given == read, what
        seen["accepted" if given == "accepted" else "refused"] += 1
        if said is not None and given != "accepted":
            said.append(given)
    return seen


def test_the_verdict_is_the_readers_on_mutated_networks() -> None:
    seen = _same_verdict(mutated("verdict", 400))
    # the draw reaches both outcomes many times, and leaves the rest (the two v2 networks) to parse
    assert seen["accepted"] >= 40 and seen["refused"] >= 40 and seen["no verdict"] >= 40, seen


def test_the_verdict_is_the_readers_on_mutated_generated_csv_and_standardised_data() -> None:
    """moons (a generator, standardised or not), iris (a CSV file, standardised, cross-entropy) and
    shapes (an image generator: a v2 file, no verdict, but the generator's checks are the same
    functions), mutated in their data, layers and loss."""
    drawn = mutated("verdict data", 400, ["moons", "iris", "shapes", "regression"], focus=("data", "layers", "loss"))
    said: list[str] = []
    seen = _same_verdict(drawn, said=said)
    assert seen["accepted"] >= 60 and seen["refused"] >= 60 and seen["no verdict"] >= 40, seen
    # the generators' checks and the CSV file's columns refuse some draws (each in the reader's words)
    for words in ("makes images", "gives 2 inputs", "gives targets for", "columns, expected", "no column",
                  "no such file", "examples, at most"):
        assert any(words in line for line in said), words


def _moons(**data: Any) -> dict:
    doc = json.loads((NETWORKS / "moons.json").read_text())
    doc["data"].update(data)
    return doc


def _sine(loss: str, out: str) -> dict:
    doc = _moons(generator="sine")
    doc["layers"][0]["units"] = 1
    doc["layers"][-1]["activation"] = out
    doc["loss"] = loss
    return doc


OVERFLOWS = ("FILE: data.standardize: input 1 cannot be standardised: its mean or standard deviation overflows a "
             "float (its values are too large); scale the data down")
# a generator's data: what only its arrays could refuse is decided where it provably cannot be refused
# (a case left to parse: what parse says of it)
GENERATED = {
    "moons as bundled": (_moons(), "accepted"),
    "2 examples, a test split of 2": (_moons(n=2, test_fraction=0.75), "FILE: data.test_fraction: test_fraction "
                                      "0.75 leaves no training examples"),
    "3 examples, a test split of 2": (_moons(n=3, test_fraction=0.75), "accepted"),
    "noise 1e80, standardised": (_moons(noise=1e80), "accepted"),
    "noise 1e80, not standardised": (_moons(noise=1e80, standardize=False), "accepted"),
    "noise 1e300, not standardised": (_moons(noise=1e300, standardize=False), "accepted"),
    "noise 1e300, standardised": (_moons(noise=1e300), "no verdict", OVERFLOWS),
    "noise 1e95, standardised": (_moons(noise=1e95), "no verdict", "accepted"),  # beyond what the bound proves
    "sine, cross-entropy": (_sine("cross_entropy", "sigmoid"), "no verdict",  # sin x + noise beyond [0, 1]
                            "FILE: data.targets[1][0]: cross_entropy targets must lie in [0, 1]"),
    "sine, squared": (_sine("squared", "sigmoid"), "accepted"),
    "sine, cross-entropy on a tanh": (_sine("cross_entropy", "tanh"), "FILE: loss: cross_entropy needs a sigmoid "
                                      "or softmax output layer, not tanh"),
    "spiral into 3 outputs": (_moons(generator="spiral") | {"layers": [{"units": 2}, {"units": 3, "activation": "softmax"}]},
                              "FILE: data.generator: spiral gives targets for 1 or 2 output unit(s), but layers[1] has 3"),
}


@pytest.mark.parametrize("case", GENERATED)
def test_a_generators_data_gets_the_readers_verdict_without_its_arrays(case: str) -> None:
    doc, expected, *parsed = GENERATED[case]
    validate.check(doc, validate.schema())
    assert _outcome(lambda: V.verdict(doc, "FILE")) == expected
    assert _outcome(lambda: parse(doc, "FILE", schema_checked=True)) == (parsed[0] if parsed else expected)


@pytest.mark.parametrize("seed", range(20))
def test_standardising_inputs_within_the_safe_bound_never_overflows(seed: int) -> None:
    """verdict.SAFE_INPUT's proof, tried at its edges: columns at ±1e100, at the least floats above 0
    (a std near √(5e−324)) with a test split at ±1e100, constant columns; parse accepts every one."""
    rng = random.Random(seed)
    edge = [V.SAFE_INPUT, -V.SAFE_INPUT, 5e-324, -5e-324, 0.0, 1e-300, 1e99]
    n = rng.choice([2, 3, 10, 200])
    columns = [[rng.choice(edge) for _ in range(n)], [rng.choice(edge[2:5]) for _ in range(n)],
               [V.SAFE_INPUT] * n]
    columns[1][-1] = rng.choice(edge[:2])  # the last row: in the test split when there is one
    inputs = [list(row) for row in zip(*columns)]
    doc = {"layers": [{"units": 3}, {"units": 1, "activation": "sigmoid"}],
           "data": {"inputs": inputs, "targets": [[0]] * n, "standardize": True}}
    assert V.verdict(doc, "FILE") is True
    spec = parse(doc, "FILE")
    assert all(math.isfinite(v) for v in spec.inputs.ravel())
    doc["data"]["inputs"][0][0] = 1.01e100  # beyond the bound: no verdict (parse may still accept it)
    assert V.verdict(doc, "FILE") is False


# iris.csv mutated: what its cells, lines and header become
CELLS = ["", "x", "nan", "inf", "-inf", "1e400", "1e308", "-1e308", "1e150", "1e99", "2", "-0.5", "0.5", "1.5",
         " 3 ", "1_000", "0x10", "１", "a" * 120, "1" * 101, '"1"', "True", "\x1b[2J", "\u202e"]


def _mutated_csv(rng: random.Random, lines: list[str], doc: dict) -> str:
    """iris.csv's text after one or two of the mutations a hand-edited or exported file shows."""
    for _ in range(rng.choice([1, 1, 2])):
        if len(lines) < 2:
            break
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        what = rng.choice(["cell"] * 6 + ["drop cell", "add cell", "drop line", "blank line", "only header",
                                          "empty", "header", "bom", "latin-1", "quote", "nul", "field", "crowd",
                                          "target"])
        if what == "cell":
            cells[rng.randrange(len(cells))] = rng.choice(CELLS)
            lines[i] = ",".join(cells)
        elif what == "target":  # a probability no longer (cross-entropy's targets are checked line by line)
            cells[rng.randrange(4, 7)] = rng.choice(["2", "-1", "0.5", "1.0000001"])
            lines[i] = ",".join(cells)
        elif what == "drop cell":
            lines[i] = ",".join(cells[:-1])
        elif what == "add cell":
            lines[i] = lines[i] + ",0"
        elif what == "drop line":
            del lines[i]
        elif what == "blank line":
            lines.insert(i, rng.choice(["", " , ,", ",,,,,,"]))
        elif what == "only header":
            del lines[1:]
        elif what == "empty":
            lines[:] = [rng.choice(["", "   "])]
        elif what == "header":
            names = lines[0].split(",")
            names[rng.randrange(len(names))] = rng.choice(["setosa", "sepal_width", "x", "\x1b[2J", " setosa "])
            lines[0] = ",".join(names)
        elif what == "bom":
            lines[0] = "\ufeff" + lines[0]
        elif what == "latin-1":
            lines[i] = lines[i] + "\udce9"  # written as the byte 0xe9
        elif what == "quote":
            lines[i] = '"' + lines[i]
        elif what == "nul":
            lines[i] = lines[i].replace(",", ",\0", 1)
        elif what == "field":  # beyond the csv module's field limit (131,072 characters)
            lines[i] = lines[i] + "," + "9" * 140_000
        elif what == "crowd":  # more rows than a wide network may have (4,998 for 4-20000-3)
            doc["layers"][1]["units"] = 20_000
            lines[1:] = lines[1:] * 40
    return "\n".join(lines) + "\n"


def test_the_verdict_is_the_readers_on_mutated_csv_files(tmp_path: Path) -> None:
    """iris with its CSV file mutated (and now and then its data section: standardised or not, a split,
    other columns, the squared loss): the verdict, read in plain Python, is parse's to the word."""
    rng = random.Random("verdict csv")
    base = json.loads((NETWORKS / "iris.json").read_text())
    lines = (NETWORKS / "iris.csv").read_text().splitlines()
    said: list[str] = []
    seen = {"accepted": 0, "refused": 0, "no verdict": 0}
    for k in range(150):
        doc = copy.deepcopy(base)
        doc["data"]["csv"] = f"iris{k}.csv"
        text = _mutated_csv(rng, list(lines), doc)
        (tmp_path / f"iris{k}.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
        if rng.random() < 0.4:
            key, value = rng.choice([("standardize", False), ("test_fraction", 0.5), ("test_fraction", 0.997),
                                     ("inputs", ["sepal_length", "petal_width"]), ("seed", 7),
                                     ("inputs", ["sepal_length", "sepal_width", "petal_length", "nope"])])
            doc["data"][key] = value
        if rng.random() < 0.2:
            doc["loss"] = "squared"
        source = str(tmp_path / "iris.json")
        got = _same_verdict([(f"draw {k}: {text[:200]!r}", doc)], source, said)
        seen = {key: seen[key] + got[key] for key in seen}
    assert seen["accepted"] >= 25 and seen["refused"] >= 60 and seen["no verdict"] >= 3, seen
    for words in ("is not a finite number", "cells, expected", "no rows of data", "empty: a header line",
                  "appears twice", "not UTF-8", "not CSV", "is outside [0, 1]", "rows of data, the most",
                  "leaves no training examples", "columns, expected", "contains"):
        assert any(words in line for line in said), words


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_bundled_v1_network_gets_its_verdict_without_numpy(name: str) -> None:
    """Every bundled v1 network, its data inline, generated (moons) or read from a CSV file (iris),
    standardised or not; a v2 network gets none (parse decides)."""
    path = str(NETWORKS / f"{name}.json")
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    assert V.verdict(doc, path) is True
    parse(doc, path)  # and the reader accepts it


@pytest.mark.parametrize("name", V2_EXAMPLES)
def test_a_bundled_v2_network_gets_no_verdict(name: str) -> None:
    path = str(NETWORKS / f"{name}.json")
    assert V.verdict(json.loads((NETWORKS / f"{name}.json").read_text()), path) is False


def test_the_verdict_refuses_what_the_reader_refuses_with_its_words() -> None:
    doc = json.loads((NETWORKS / "xor.json").read_text())
    doc["loss"] = "cross_entropy"
    doc["data"]["targets"][2] = [1.5]
    with pytest.raises(SpecError) as raised:
        V.verdict(doc, "xor.json")
    assert str(raised.value) == "xor.json: data.targets[2][0]: cross_entropy targets must lie in [0, 1]"
    doc["data"]["inputs"][3] = [1, True]
    with pytest.raises(SpecError) as raised:
        V.verdict(doc, "xor.json")
    assert str(raised.value) == ("xor.json: data.inputs[3][1]: true is not a number: expected 2 numbers = "
                                 "d⁽⁰⁾ (units of layers[0])")


@pytest.mark.parametrize("widths", [(1, 1), (2, 2, 1), (784, 128, 10), (3, 7, 5, 2, 9), (2_236, 2_236, 2_236)])
def test_a_v1_networks_cost_is_its_dense_kinds(widths: tuple[int, ...]) -> None:
    cost = example_cost(widths)
    assert V.v1_cost(widths) == (cost.cells, cost.multiplications)


def test_the_activation_rules_name_the_activations() -> None:
    assert list(RULES) == list(ACTIVATIONS)
    assert [n for n, a in ACTIVATIONS.items() if a.uses_alpha] == ["elu", "leaky_relu", "prelu"]
    assert [n for n, a in ACTIVATIONS.items() if not a.hidden] == ["softmax"]


VERDICT_HERE = """
import json, os, sys
from bptui import cli
from bptui.core.util import validate
def no_fork():
    raise AssertionError("a reader child was forked")
os.fork = no_fork
path = {path!r}
doc = validate.read_json(path)
validate.check(doc, validate.schema())
try:
    spec = cli._read_aside(doc, path)()
    said = "accepted" if spec is None else "a spec"
except Exception as err:
    said = str(err)
print(json.dumps({{"said": said, "numpy": "numpy" in sys.modules}}))
"""


def _bad_xor(doc: dict, folder: Path) -> str:
    doc["weights"][1] = [[0.5, 0.5]]
    return "weights[1]: shape 1×2, expected 1×3 = d⁽²⁾ × (d⁽¹⁾+1)"


def _bad_moons(doc: dict, folder: Path) -> str:
    doc["layers"][0]["units"] = 3
    return "data.generator: moons gives 2 inputs, but layers[0] has 3 units"


def _bad_iris(doc: dict, folder: Path) -> str:
    lines = (folder / "iris.csv").read_text().splitlines()
    lines[5] = lines[5].replace("3.6", "3,6")
    (folder / "iris.csv").write_text("\n".join(lines) + "\n")
    return "line 6: 8 cells, expected 7 like the header"


@pytest.mark.parametrize("bad", [False, True])
@pytest.mark.parametrize("name, spoil", [("xor", _bad_xor), ("moons", _bad_moons), ("iris", _bad_iris)])
def test_bptui_gets_its_verdict_with_no_reader_child_and_no_numpy(name: str, spoil: Any, bad: bool,
                                                                  tmp_path: Path) -> None:
    """Inline data (xor), a generator's standardised (moons), a CSV file's, standardised (iris)."""
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    shutil.copy(NETWORKS / "iris.csv", tmp_path / "iris.csv")
    error = spoil(doc, tmp_path) if bad else ""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    out = subprocess.run([sys.executable, "-c", VERDICT_HERE.format(path=str(path))], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    seen = json.loads(out.splitlines()[-1])
    source = tmp_path / "iris.csv" if name == "iris" else path  # a CSV file's fault names the CSV file
    assert seen == {"said": f"{source}: {error}" if bad else "accepted", "numpy": False}


def test_a_large_csv_file_is_left_to_the_reader_child(tmp_path: Path) -> None:
    """A CSV file of more than CSV_VERDICT_MAX_BYTES is read by parse (in the child, beside Textual's
    import), not before the first frame; one at the size is read here, and gets parse's words."""
    lines = (NETWORKS / "iris.csv").read_text().splitlines()
    doc = json.loads((NETWORKS / "iris.json").read_text())
    doc["layers"][1]["units"] = 2  # a network that may have the rows
    body = "\n".join(lines[1:]) + "\n"
    text = lines[0] + "\n" + body * (V.CSV_VERDICT_MAX_BYTES // len(body))
    text += "x" * (V.CSV_VERDICT_MAX_BYTES - len(text.encode()) - 1) + "\n"  # the last line: a fault
    (tmp_path / "iris.csv").write_text(text)
    path = str(tmp_path / "iris.json")
    said = f"{tmp_path / 'iris.csv'}: line {text.count(chr(10))}: 1 cells, expected 7 like the header"
    assert len(text.encode()) == V.CSV_VERDICT_MAX_BYTES
    assert _outcome(lambda: V.verdict(doc, path)) == said == _outcome(lambda: parse(doc, path))
    (tmp_path / "iris.csv").write_text(text + "\n")
    assert _outcome(lambda: V.verdict(doc, path)) == "no verdict"
    assert _outcome(lambda: parse(doc, path)) == said

"""A network file's verdict without NumPy (core/formats/verdict.py): the reader's own checks, run
by ``bptui FILE`` before its first frame on a document plain JSON decides, with no reader child.

It is the reader's verdict: on the bundled networks under seeded mutations (tests/test_fuzz.py's),
whatever passes the schema gets from ``verdict`` exactly what ``parse`` gives it (the same error
line, or acceptance), or no verdict at all (a generator's data, a v2 kind: ``parse`` decides).
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from typing import Any

import pytest

from bptui.core.formats import verdict as V
from bptui.core.formats.spec import example_cost, parse
from bptui.core.ops.activation_rules import RULES
from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.util import validate
from bptui.core.util.errors import SpecError

from .conftest import EXAMPLES, NETWORKS, ROOT, V2_EXAMPLES
from .test_fuzz import KINDS, SPECIAL, _paths, apply


def _outcome(fn) -> str:
    try:
        return "accepted" if fn() is not False else "no verdict"
    except SpecError as err:
        return str(err)


def mutated(seed: str, n: int) -> list[tuple[str, Any]]:
    """``n`` mutated bundled networks (what was done, the document) that pass the schema."""
    rng = random.Random(seed)
    bases = {name: json.loads((NETWORKS / f"{name}.json").read_text()) for name in EXAMPLES + V2_EXAMPLES[:2]}
    for doc in bases.values():
        if "csv" in doc["data"]:
            doc["data"]["csv"] = str(NETWORKS / doc["data"]["csv"])
    out: list[tuple[str, Any]] = []
    while len(out) < n:
        name = rng.choice(sorted(bases))
        doc = copy.deepcopy(bases[name])
        path = rng.choice(_paths(doc))
        kind = rng.choice(KINDS)
        arg = {"replace": rng.choice(SPECIAL), "scale": rng.choice([-1, 2, 0.5, 1e3, 1e6]), "nest": 2,
               "huge_list": 10}.get(kind)
        try:
            doc = apply(doc, path, kind, arg)
            validate.check(doc, validate.schema())
        except (SpecError, KeyError, IndexError, TypeError):
            continue
        out.append((f"{name}: {kind} at {'.'.join(map(str, path))}", doc))
    return out


def test_the_verdict_is_the_readers_on_mutated_networks() -> None:
    seen = {"accepted": 0, "refused": 0, "no verdict": 0}
    for what, doc in mutated("verdict", 400):
        given = _outcome(lambda: V.verdict(doc, "FILE"))
        if given == "no verdict":
            seen["no verdict"] += 1
            continue
        read = _outcome(lambda: parse(doc, "FILE", schema_checked=True))
        assert given == read, what
        seen["accepted" if given == "accepted" else "refused"] += 1
    # the draw reaches both outcomes many times, and leaves the rest to parse
    assert seen["accepted"] >= 40 and seen["refused"] >= 40 and seen["no verdict"] >= 40, seen


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_bundled_v1_network_gets_the_verdict_its_data_allows(name: str) -> None:
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    decided = V.verdict(doc, name)
    data = doc["data"]
    assert decided == ("inputs" in data and "csv" not in data and not data.get("standardize"))
    parse(doc, str(NETWORKS / f"{name}.json"))  # and the reader accepts it


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


@pytest.mark.parametrize("bad", [False, True])
def test_bptui_xor_gets_its_verdict_with_no_reader_child_and_no_numpy(bad: bool, tmp_path) -> None:
    doc = json.loads((NETWORKS / "xor.json").read_text())
    if bad:
        doc["weights"][1] = [[0.5, 0.5]]
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(doc))
    out = subprocess.run([sys.executable, "-c", VERDICT_HERE.format(path=str(path))], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen == {"said": f"{path}: weights[1]: shape 1×2, expected 1×3 = d⁽²⁾ × (d⁽¹⁾+1)" if bad else "accepted",
                    "numpy": False}

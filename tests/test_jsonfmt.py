"""Files people edit by hand: compact JSON like the bundled examples, a matrix row per line."""

import json

import pytest

from bptui.cli import main
from bptui.core.util.jsonfmt import dumps, network_text
from bptui.core.formats.spec import load_any

from .conftest import NETWORKS


@pytest.mark.parametrize("name", ["xor", "chain", "deep_relu", "deep_sigmoid", "iris", "moons", "regression",
                                  "lecture13", "lecture13_expression"])
def test_the_bundled_files_are_written_as_they_were_written_by_hand(name):
    """(classifier.json, three rows a line, is the one bundled file laid out otherwise.)"""
    text = (NETWORKS / f"{name}.json").read_text(encoding="utf-8")
    assert network_text(json.loads(text)) == text


@pytest.mark.parametrize("name", ["xor", "moons", "iris", "deep_sigmoid", "classifier", "lecture13", "regression"])
def test_round_trip_and_one_row_a_line(name):
    spec = load_any(NETWORKS / f"{name}.json")
    doc = spec.raw if spec.kind == "graph" else spec.to_json(NETWORKS)
    text = network_text(doc)
    assert json.loads(text) == doc
    if spec.kind == "network":
        lines = text.splitlines()
        rows = sum(w.shape[0] for w in spec.weights)
        assert sum(line.lstrip().startswith("[[") or line.startswith("     [") for line in lines) >= rows
        assert len(lines) < 60 + rows  # not one number a line


def test_short_values_stay_on_one_line_and_long_ones_break():
    assert dumps({"a": [1, 2], "b": {"c": True}}) == '{"a": [1, 2], "b": {"c": true}}'
    long = {"inputs": [[i, i + 0.5] for i in range(30)]}
    text = dumps(long)
    assert text.count("\n") == 31 and '"inputs": [[0, 0.5],\n             [1, 1.5],' in text


def test_train_save_writes_the_compact_layout(tmp_path, capsys):
    out = tmp_path / "trained.json"
    assert main(["train", "xor", "--epochs", "2", "--save", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == network_text(doc) and len(text.splitlines()) == 20
    assert load_any(out).weights[0].shape == (2, 3)

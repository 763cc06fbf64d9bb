""""Something that steps" and "a step key" are Protocols both steppers satisfy; a graph's key has no
network fields; a spec's kind is a Literal read as ``spec.kind``. (mypy checks the same statically:
see the ``_steps`` functions at the end of stepper.py and graph_stepper.py, and ``.ci/run``.)"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from bptui.core.graphs.graph_stepper import GraphStepKey, GraphStepper
from bptui.core.engine.protocols import StepKeyLike, Stepping
from bptui.core.engine.schedule import StepKey
from bptui.core.formats.spec import NetworkSpec, load, load_any
from bptui.core.engine.stepper import Stepper
from bptui.trace import graph_trace_json

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ROOT / "networks"


@pytest.mark.parametrize("name", ["xor", "lecture13"])
def test_both_steppers_step_and_their_keys_are_step_keys(name):
    spec = load_any(NETWORKS / f"{name}.json")
    stepper = GraphStepper(spec) if spec.kind == "graph" else Stepper(spec)
    assert isinstance(stepper, Stepping)
    done = stepper.run_until(lambda step: step.key.step == 3)
    assert [s.key.step for s in done] == [1, 2, 3] and stepper.position == 3 and stepper.last is done[-1]
    assert all(isinstance(s.key, StepKeyLike) for s in done)
    stepper.back()
    assert stepper.position == 2 and stepper.last is not None and stepper.last.key.step == 2
    stepper.goto(0)
    assert stepper.position == 0 and stepper.last is None


def test_a_graph_step_key_has_no_network_fields():
    fields = {f.name for f in dataclasses.fields(GraphStepKey)}
    assert fields == {"step", "phase", "quantity", "node"}
    assert {"epoch", "example", "layer", "group_start", "example_start"} <= {f.name for f in dataclasses.fields(StepKey)}


def test_graph_trace_json_keeps_a_network_rows_shape():
    spec = load_any(NETWORKS / "lecture13.json")
    rows = [json.loads(line) for line in graph_trace_json(spec)]
    assert list(rows[0]) == ["step", "epoch", "example", "phase", "quantity", "layer", "node", "equation", "value"]
    assert {(r["epoch"], r["example"], r["layer"]) for r in rows} == {(1, None, None)}


def test_kind_is_a_class_constant_and_read_as_spec_kind():
    assert load(NETWORKS / "xor.json").kind == NetworkSpec.kind == "network"
    assert load_any(NETWORKS / "lecture13.json").kind == "graph"
    assert "kind" not in {f.name for f in dataclasses.fields(NetworkSpec)}  # not a constructor argument
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "bptui").rglob("*.py")
                 if re.search(r"getattr\([^)]*[\"']kind[\"']", p.read_text(encoding="utf-8"))]
    assert offenders == []

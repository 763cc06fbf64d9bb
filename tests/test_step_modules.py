"""A network's first step of a kind imports nothing: the modules that write the kind's step equations
are imported with the stepper (an import on a keypress compiles and runs the module inside it: about
35 M instructions of moons_layernorm's first forward press through its layer norm, where the bound is
50 M), and not by the reader, which needs none of them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import NETWORKS, ROOT

STEPS = """
import json, sys
from bptui.core.formats.spec import load
from bptui.core.engine.equations import step_equation
spec = load({path!r})
read = set(sys.modules)
from bptui.core.engine.stepper import Stepper
stepper = Stepper(spec)
built = set(sys.modules)
new = {{}}
for _ in range({steps}):  # every step of the first example and its update
    before = set(sys.modules)
    step = stepper.forward()
    text = step_equation(stepper, step)
    assert text
    new[str(step.key)] = sorted(m for m in set(sys.modules) - before if m.startswith("bptui."))
print(json.dumps({{"read": sorted(m for m in read if m.startswith("bptui.core.kinds.")),
                  "built": sorted(m for m in built if m.startswith("bptui.core.kinds.")),
                  "new": {{k: v for k, v in new.items() if v}}}}))
"""


def run(name: str, steps: int) -> dict:
    out = subprocess.run([sys.executable, "-c", STEPS.format(path=str(NETWORKS / f"{name}.json"), steps=steps)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize("name", ["moons_layernorm"])
def test_a_first_step_of_a_kind_imports_no_module_of_the_kind(name):
    seen = run(name, 40)
    equations = "bptui.core.kinds.unitwise.equations"
    assert equations not in seen["read"], seen["read"]  # the reader does not import it
    assert equations in seen["built"], seen["built"]  # the stepper does
    kinds = {k: [m for m in v if m.startswith("bptui.core.kinds.")] for k, v in seen["new"].items()}
    assert not any(kinds.values()), kinds  # no step imports a kind's module

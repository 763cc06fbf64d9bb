"""A network's first step of a kind imports nothing: the modules that write the kind's step equations
are imported by ``Stepper.prepare_steps`` (the app calls it once the network screen is up; an import on
a keypress compiles and runs the module inside it: about 35 M instructions of moons_layernorm's first
forward press through its layer norm, where the bound is 50 M), and not by the reader or the stepper's
making, which need none of them before the first frame."""

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
made = set(sys.modules)
stepper.prepare_steps()
built = set(sys.modules)
new = {{}}
for _ in range({steps}):  # every step of the first example and its update
    before = set(sys.modules)
    step = stepper.forward()
    text = step_equation(stepper, step)
    assert text
    new[str(step.key)] = sorted(m for m in set(sys.modules) - before if m.startswith("bptui."))
print(json.dumps({{"read": sorted(m for m in read if m.startswith("bptui.core.kinds.")),
                  "made": sorted(m for m in made if m.startswith("bptui.core.kinds.")),
                  "built": sorted(m for m in built if m.startswith("bptui.core.kinds.")),
                  "new": {{k: v for k, v in new.items() if v}}}}))
"""


def run(name: str, steps: int) -> dict:
    out = subprocess.run([sys.executable, "-c", STEPS.format(path=str(NETWORKS / f"{name}.json"), steps=steps)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize("name, equations", [("moons_layernorm", "bptui.core.kinds.unitwise.equations"),
                                             ("tiny_transformer", "bptui.core.kinds.attention.equations"),
                                             ("parity", "bptui.core.kinds.rnn.equations")])
def test_a_first_step_of_a_kind_imports_no_module_of_the_kind(name, equations):
    seen = run(name, 40)
    assert equations not in seen["read"], seen["read"]  # the reader does not import it
    assert equations not in seen["made"], seen["made"]  # nor the stepper's making (before the first frame)
    assert equations in seen["built"], seen["built"]  # prepare_steps does
    kinds = {k: [m for m in v if m.startswith("bptui.core.kinds.")] for k, v in seen["new"].items()}
    assert not any(kinds.values()), kinds  # no step imports a kind's module

"""A gated weight's optimizer state names the weight's gate with the letter its weight and gradient are written with
(issue 23): goodfellow writes a GRU's reset gate ϱ (his Adam's r and ρ₁, ρ₂ take r and ρ: profiles.CLASHES), ng its
update gate u (his z is the pre-activation), and the explanation's Adam lines wrote the plain gate letter beside
them: s_{b_h,r,2} beside ∇_b⁽¹⁾_{h,ϱ,2} J."""

from __future__ import annotations

import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import PROFILES
from bptui.core.teaching.explain import Cell, explain
from bptui.examples import resolve


# (profile, row of W in gru_parity's layer 1 (gates r, z, n of 4 units each), the gate's letter there, the
# optimizer's state letters); columns: the bias 0, input 1, U's 2 … 5, U's own bias 6
@pytest.mark.parametrize("name, row, gate, states", [("goodfellow", 1, "ϱ", ("s", "r")), ("ng", 5, "u", ("v", "s"))])
@pytest.mark.parametrize("column", [0, 1, 3, 6])
def test_a_gated_weights_optimizer_state_names_its_gate_as_the_weight_does(name, row, gate, states, column):
    stepper = Stepper(load_any(resolve("gru_parity")), notation=PROFILES[name])
    while not (stepper.last is not None and stepper.last.key.phase == "update" and stepper.last.key.layer == 1):
        stepper.forward()
    text = explain(stepper, Cell("W", 1, row, column), 4).text()
    lines = [line.strip() for line in text.splitlines()]
    first, second = (next(line for line in lines if line.startswith(f"{s}")) for s in states)
    plain = str.maketrans({**dict(zip("ᵤᵣ₀₁₂₃₄₅₆₇₈₉", "ur0123456789")), "{": None, "}": None, "_": None})
    weight = lines[0].split(" = ")[0]  # b⁽¹⁾_{ϱ,1}, w⁽¹⁾_{ϱ,1,1}, u⁽¹⁾_{ϱ,1,2}, U's own bias b⁽¹⁾_{h,ϱ,1}
    indices = weight.split("_{", 1)[1].rstrip("}")
    indices = indices[indices.index(f"{gate},"):]  # from the gate on: ϱ,1 (ng's u,1)
    for line in (first, second):
        state = line.split(" ← ")[0]
        read = state.translate(plain)  # subscript characters as letters (ng's mᵤ,₁^[1]: mu,1^[1])
        assert "ᵣ" not in state and "r," not in read.replace("rU", "U") and "z" not in read, (state, text)
        # the gate's letter and the weight's indices, then the layer: a bias's state indexed as the bias, s_{ϱ,1}⁽¹⁾
        # beside b⁽¹⁾_{ϱ,1} (not s_{ϱ,1,0}⁽¹⁾)
        assert f"{indices}⁽" in read or f"{indices}^" in read, (state, weight)

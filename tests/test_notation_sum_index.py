"""A sum's index letter is the profile's (issue 23): an explanation's Σ over a layer's inputs never names its
index with a letter the profile uses for a quantity (ng's and nielsen's a is the activation, goodfellow's a
the pre-activation). The letter comes from the profile's data; the lecture's stays a (its output unchanged).

- the property: in every shipped profile, over the bundled networks with dense, map and attention layers,
  every explanation's Σ index (and its note's range) is the profile's letter, and that letter is none of the
  profile's own symbols;
- xor's step 1 in ng, as the newcomer-teacher read it: z₂^[1] = Σₖ w₂,ₖ^[1] aₖ^[0] + b₂^[1] (k = 1 … 2 …).
"""

from __future__ import annotations

import re

import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import LECTURE13, PROFILES, QUANTITIES
from bptui.core.teaching.explain import explain
from bptui.core.teaching.quiz import quiz_cells
from bptui.examples import resolve


def _first_pre_activation(example: str, name: str, layer: int) -> str:
    stepper = Stepper(load_any(resolve(example)), notation=PROFILES[name])
    while True:
        step = stepper.forward()
        if step.key.quantity in ("s", "q") and step.key.layer == layer:
            return explain(stepper, quiz_cells(stepper.spec, step.key, step.value)[0].cell, 4).text()


def test_xors_first_step_in_ng_sums_over_k():
    text = _first_pre_activation("xor", "ng", 1)
    assert "z₁^[1] = Σₖ w₁,ₖ^[1] aₖ^[0] + b₁^[1]   (k = 1 … 2; b₁^[1] is the bias)" in text, text
    assert "ₐ" not in text and "a = " not in text


@pytest.mark.parametrize("name", list(PROFILES))
@pytest.mark.parametrize("example,layer", [("xor", 1), ("shapes", 3), ("tiny_transformer", 3)])
def test_a_sums_index_is_the_profiles_letter_and_no_symbol_of_it(name, example, layer):
    P = PROFILES[name]
    own = ("q", "k", "v", "a", "z", "o", "r") if example == "tiny_transformer" else ()  # attention's own letters
    letter = P.sum_letter_besides(own)
    used = {P.symbol(q).text for q in QUANTITIES} | {s.text for s in P.renames().values()}
    assert letter not in used and letter not in own
    if P is LECTURE13:
        if example == "tiny_transformer":
            return  # the lecture's q = W_Q [1; x] is worked without a Σ
        letter = "a"  # the lecture's own, its pages unchanged
    text = _first_pre_activation(example, name, layer)
    sums = re.findall(r"Σ(\S)", text)
    assert sums, text
    sub = dict(zip("akij", "ₐₖᵢⱼ"))[letter]
    assert set(sums) == {sub}, text
    assert re.search(rf"[(;] {letter} = \d" if example == "shapes" else rf"\({letter} = \d", text), text

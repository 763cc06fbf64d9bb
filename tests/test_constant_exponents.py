"""A constant written into an equation (Adam's ε, a file's λ) in the format of every other number: parity's
update read ``(√[[0.0664, 0.0756, 0.05337, 0.3242]] + 1e−08)`` beside ``ε = 1e−8`` in its header and
``8.088e−5`` in the same equation, and the LaTeX worked solution wrote ``+ 1e-08`` (e minus 8, in math mode)
beside ``8.088 \\times 10^{-8}``."""

from __future__ import annotations

import re

import pytest

from bptui.core.formats.spec import load
from bptui.core.formulas.formula import const_text
from bptui.core.formulas.notation import num
from bptui.core.formulas.profiles import PROFILES
from bptui.export import export
from bptui.trace import trace_text

from .conftest import NETWORKS


@pytest.mark.parametrize("c", [1e-8, 2.5e-7, -3e-9, 1e-5, 1e20, 6.02e23, 0.5, 0.999, 1e-3, 12.0])
def test_a_constant_writes_its_exponent_as_num_does(c):
    text = const_text(c)
    assert float(text.replace("−", "-")) == c  # (exact: up to 12 digits)
    assert not re.search(r"e[−+-]?0\d|e\+|-", text), text
    if "e" in num(c, 12):
        assert text == num(c, 12)


@pytest.mark.parametrize("notation", [None, "goodfellow"])
def test_adams_epsilon_in_the_update_is_written_as_the_header_writes_it(notation):
    spec = load(NETWORKS / "parity.json")
    P = PROFILES[notation] if notation else PROFILES["lecture13"]
    lines = list(trace_text(spec, 1, P))
    header = lines[0]
    eps = "δ" if notation == "goodfellow" else "ε"
    assert f"{eps} = 1e−8" in header
    updates = [line for line in lines if "[update]" in line]
    assert updates and all("+ 1e−8)" in line for line in updates), updates[0][:300]
    assert not any(re.search(r"\de[−+-]?0\d", line) for line in lines)


def test_the_latex_solution_writes_epsilon_as_a_power_of_ten():
    spec = load(NETWORKS / "parity.json")
    tex = "\n".join(export(spec, "latex", 1))
    assert not re.search(r"\de-0\d", tex), re.search(r".{40}\de-0\d.{10}", tex)
    assert r"+ 1 \times 10^{-8}" in tex

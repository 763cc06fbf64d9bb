"""What a teacher reads in an exported program's comments is the formula the app's panels print: the binary
cross-entropy sums both terms over k, −Σ_k (y_k log o_k + (1 − y_k) log(1 − o_k)), as `bptui trace` writes it
(−Σₖ (yₖ log(oₖ⁽²⁾) + (1 − yₖ) log(1 − oₖ⁽²⁾))); without the parentheses the comment would read
(−Σ y ln o) + (1 − y) ln(1 − o), another number."""

from __future__ import annotations

import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any

from .conftest import NETWORKS


def _loss_line(fmt: str, name: str) -> str:
    spec = load_any(NETWORKS / f"{name}.json")
    text, _ = codegen.program(spec, fmt, codegen.record(spec, 1, 6), None)
    lines = [line for line in text.splitlines() if "# ℓ = " in line]
    assert len(lines) == 1, lines
    return lines[0].split("# ℓ = ", 1)[1]


@pytest.mark.parametrize("fmt", ["numpy", "pytorch"])
def test_the_binary_cross_entropy_comment_sums_both_terms_as_the_panels_print_it(fmt):
    said = _loss_line(fmt, "moons")
    assert said.startswith("−Σ_k (y_k log o_k + (1 − y_k) log(1 − o_k))"), said


@pytest.mark.parametrize("fmt", ["numpy", "pytorch"])
def test_the_softmax_cross_entropy_comment_writes_log_as_the_panels_do(fmt):
    assert _loss_line(fmt, "classifier").startswith("−Σ_k y_k log o_k")


def test_a_profile_programs_cross_entropy_comment_sums_both_terms_with_log():
    """The same in a notation profile's NumPy program (ng's moons: J^(n)'s loss line, both terms in one sum;
    iris's softmax: log, not ln)."""
    from bptui.core.formulas.profiles import PROFILES

    for name, want in (("moons", "−Σ (y log a^[2] + (1 − y) log(1 − a^[2]))"), ("iris", "−Σ y log a^[2]")):
        spec = load_any(NETWORKS / f"{name}.json")
        text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 6), None, PROFILES["ng"])
        said = [line.split("  # ", 1)[1] for line in text.splitlines() if "np.logaddexp" in line or "np.log(np.exp" in line]
        assert len(said) == 1 and want in said[0] and " ln" not in said[0], said

"""A profile's numbers in words (issue 23): the layer and unit numbers an explanation's words give are the
profile's, as its symbols write them — nielsen's layers shifted (his input is layer 1), cs231n's units, map
positions and channels from 0 — and a gated layer's pre-activation is named as its gate's unit."""

from __future__ import annotations

import re

import pytest

from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import PROFILES
from bptui.core.teaching.explain import explain
from bptui.core.teaching.quiz import Quiz
from bptui.examples import resolve

_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def titles(network: str, notation: str | None, steps: int = 60, seed: int = 3) -> list[str]:
    """The title of each asked number's explanation, as ``bptui quiz --seed 3`` asks them."""
    quiz = Quiz(load_any(resolve(network)), seed=seed, steps=steps,
                notation=None if notation is None else PROFILES[notation])
    out = []
    while (q := quiz.next()) is not None:
        out.append(explain(quiz.stepper, q.cell).title)
    return out


def test_nielsens_recurrent_layer_is_numbered_as_his_symbols_are():
    said = [t for t in titles("stacked_parity", "nielsen") if "of the recurrent layer" in t]
    assert said
    for t in said:  # z²₁,₃, δ³₂,₂, ∂C/∂u₂,₃³: layers 2, 3, 3 (his input is a¹): "the recurrent layer 2"
        m = re.search(r"([²³⁴])", t.split(" = ")[0])
        assert m, t
        layer = "²³⁴".index(m[1]) + 2
        assert re.search(rf"of the recurrent layer {layer}\b", t), t


@pytest.mark.parametrize("network", ["moons_layernorm", "tiny_transformer"])
def test_a_layer_norms_unit_counts_as_the_profile_does(network):
    said = [t for t in titles(network, "cs231n") if "normalised" in t]
    assert said
    for t in said:  # u₅²: unit 5; u²₂,₀ (τ = 2, unit 0): unit 0
        sym = t.split(" = ")[0]
        unit = sym.translate(_SUB).rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹").split(",")[-1].lstrip("u⁰¹²³⁴⁵⁶⁷⁸⁹")
        assert t.endswith(f": unit {int(unit)} normalised"), t


def test_a_map_position_counts_as_the_profile_does():
    said = titles("edges", "cs231n")
    grad = [t for t in said if t.startswith("dscores₀,₀,₂¹")]
    assert grad and all("at (0, 0, 2)," in t for t in grad), grad
    out = [t for t in said if t.startswith("h₁,₂,₃¹ = ")]
    assert out and all(t.endswith("the output of channel 1 at (2, 3)") for t in out), out
    # the lecture's still from 1
    assert any(re.search(r"the output of channel [12] at \([1-4], [1-4]\)", t) for t in titles("edges", None))


@pytest.mark.parametrize("notation, unit", [(None, 4), ("cs231n", 3)])
def test_an_lstms_pre_activation_is_its_gates_unit(notation, unit):
    said = titles("long_memory_lstm", notation, steps=10)
    first = said[0]  # s⁽¹⁾_{1,o,4}: row 16 of s, the output gate's unit 4
    assert f"the pre-activation of the output gate's unit {unit} of the LSTM layer at time step τ = 1" in first, first
    assert not any("of unit 16" in t for t in said)


def test_a_bracketed_layer_index_writes_a_real_minus():
    from bptui.core.engine.equations import notation_table
    from bptui.core.formulas.formula import Sym, TextPrinter
    from bptui.tui.help import notation_text

    ng = PROFILES["ng"]
    assert TextPrinter(notation=ng).p(Sym("o", "l-1", vector=True)) == "a^[l−1]"
    assert TextPrinter(notation=ng).p(Sym("o", "l+1", vector=True)) == "a^[l+1]"
    assert "z^[l] = W^[l] a^[l−1] + b^[l]" in notation_text(ng)
    for text in (notation_text(ng), "\n".join(notation_table())):
        assert not re.search(r"\[l-", text), text


@pytest.mark.parametrize("name, follow", [(None, "so G and ℓ_D follow"), ("cs231n", "so dW, db and L follow"),
                                          ("nielsen", "so ∂C/∂w, ∂C/∂b and C follow")])
def test_an_edits_message_names_the_profiles_gradient_and_loss(name, follow):
    from bptui.core.engine.stepper import Stepper

    stepper = Stepper(load_any(resolve("xor")), notation=None if name is None else PROFILES[name])
    for _ in range(3):
        stepper.forward()
    text = stepper.edit_weight(1, 0, 1, 0.3).text()
    assert follow + " from the new weight" in text, text


def test_the_keys_loss_explanation_is_the_profiles(tmp_path):
    import json

    from bptui.cli import main

    assert main(["export", resolve("xor"), "--notation", "ng", "--format", "gift", "--variants", "1",
                 "--output", str(tmp_path / "v")]) in (0, None)
    key = json.loads((tmp_path / "v" / "variant-01-key.json").read_text(encoding="utf-8"))
    said = [b["explanation"] for b in key["blanks"] if b["quantity"] == "loss_D"]
    assert said and all(t.startswith("J, the mean loss of the epoch so far: J ← ") for t in said), said  # ng's J: a mean
    assert not any("ℓ" in b["explanation"] for b in key["blanks"])
    assert "ℓ" not in (tmp_path / "v" / "questions.gift").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, text, latex", [("cs231n", "(σ²)²", r"({\sigma^2})^{2}"), ("nielsen", "(σ²)³", r"({\sigma^2})^{3}"),
                                               ("ng", "σ²^[2]", r"{\sigma^2}^{[2]}"), ("lecture13", "σ²⁽²⁾", r"{\sigma^2}^{(2)}")])
def test_a_power_with_a_plain_layer_index_reads_as_no_power(name, text, latex):
    from bptui.core.formulas.formula import LatexPrinter, Sym, TextPrinter

    var = Sym("σ²", 2, latex=r"{\sigma^2}")
    assert TextPrinter(notation=PROFILES[name]).p(var) == text
    assert LatexPrinter(notation=PROFILES[name]).p(var) == latex


def test_the_layer_norms_variance_in_cs231n_is_parenthesised():
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formulas.formula import TextPrinter
    from bptui.core.teaching.quiz import equations_of

    P = PROFILES["cs231n"]
    stepper, printer = Stepper(load_any(resolve("tiny_transformer")), notation=P), TextPrinter(notation=P)
    out = "\n".join(printer.equation(eq) for _ in range(12) for eq in equations_of(stepper, stepper.forward(), notation=P))
    # as `bptui trace` writes it, at τ = 1 (the layer norm runs at each τ)
    assert "(σ²)²₁ = (Σ_b (x²_{1,b} − μ²₁)²)/3" in out and "√((σ²)²₁ + ε)" in out
    assert "σ²²" not in out


@pytest.mark.parametrize("fmt", ["pytorch", "numpy"])
def test_a_program_is_written_in_a_profile_or_refused_with_one_line(tmp_path, capsys, fmt):
    """A dense network's program in ng's names (tests/test_codegen_notation.py runs them); a kind not written in
    a profile's program yet is refused with one line naming it and the profile."""
    from bptui.cli import main

    out = tmp_path / "p.py"
    assert main(["export", resolve("xor"), "--notation", "ng", "--format", fmt, "--output", str(out)]) in (0, None)
    assert "z1 = W1 @ a0 + b1  # z^[1] = W^[1] a^[0] + b^[1]" in out.read_text(encoding="utf-8")
    out.unlink()
    assert main(["export", resolve("tiny_transformer"), "--notation", "ng", "--format", fmt, "--output", str(out)]) in (0, None)
    assert "a1 = " in out.read_text(encoding="utf-8") and "# a^[1] = a^[0] + a^[3]" in out.read_text(encoding="utf-8")
    out.unlink()
    assert main(["export", resolve("xor"), "--notation", "lecture13", "--format", fmt, "--output", str(out)]) in (0, None)
    assert "s⁽¹⁾ = W⁽¹⁾ o⁽⁰⁾" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name, unit", [(None, 1), ("cs231n", 0), ("ng", 1)])
def test_a_layer_norms_weight_words_count_units_as_the_profile_does(name, unit):
    spec = load_any(resolve("moons_layernorm"))
    l = next(i + 1 for i, k in enumerate(spec.layer_kinds) if k.type == "layernorm")
    kind = spec.layer_kinds[l - 1]
    notation = None if name is None else PROFILES[name]
    assert kind.profiled_weight_text(spec, l, 1, 0, notation) == f"the shift β of unit {unit} after normalising"
    assert kind.profiled_weight_text(spec, l, 1, 1, notation) == f"the scale γ of unit {unit} after normalising"


def test_a_superscript_letter_is_no_power():
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter

    P = PROFILES["cs231n"]
    dh = P.delta_h()
    from bptui.core.formulas.formula import Sym

    sym = Sym(dh.text, 1, latex=dh.latex)
    assert TextPrinter(notation=P).p(sym) == "dscoresʰ¹"
    assert LatexPrinter(notation=P).p(sym) == r"{\mathit{dscores}^{h}}^{1}"

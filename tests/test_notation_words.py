"""A profile's words (issue 23): what an explanation, an equation's note and the optimizer's lines say
in words is written in the profile's letters, as its equations are — never the lecture's ℓ, o, G, β₁
where the profile writes C, a, ∂C/∂w, ρ₁.

- the property: over the bundled networks in every shipped profile, no text of an attention layer's
  steps, of a loss step or of an update (its step equations with their notes, and the explanation of
  each number the step makes) names a quantity with the lecture's own symbol where the profile has
  another; the set of the lecture's symbols is made from the profiles' data, not listed by hand;
- each defect on its own: attention's words, the note ℓ⁽ⁿ⁾ sums over τ, goodfellow's Adam (his
  Algorithm 8.7: ρ₁, ρ₂, s, r, ŝ, r̂, ε, δ), a bias's Adam moment indexed as the bias is, a per-τ
  loss C_{1,τ} (text and LaTeX, compiled), and the help's title naming the profile once.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil

import pytest

from bptui.cli import main
from bptui.core.engine.equations import step_equations
from bptui.core.engine.schedule import LOSS, UPDATE
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any, parse
from bptui.core.formulas.formula import LatexPrinter, Sym, TextPrinter
from bptui.core.formulas.profiles import LECTURE13, PROFILES, QUANTITIES, Profile
from bptui.core.teaching.explain import Cell, explain
from bptui.core.teaching.quiz import quiz_cells
from bptui.examples import resolve

from .test_export import _compiles

OTHERS = [name for name in PROFILES if name != "lecture13"]
NETWORKS = sorted(os.path.basename(f)[:-5] for f in glob.glob(os.path.join(os.path.dirname(resolve("xor")), "*.json")))


def lecture_only(P: Profile) -> set[str]:
    """The lecture's symbols that profile ``P`` writes otherwise, from the profiles' data: each shared
    quantity's (the gradient's G where P names the parameter, ∂C/∂{}), and an optimizer's letter P writes
    as its course does (goodfellow's β₁ → ρ₁; a Latin letter, m or v, is another quantity's too: momentum's v,
    attention's v, dropout's m; and a kind's own μ, goodfellow's momentum α); less every symbol P itself writes for something (goodfellow's δ is Adam's
    constant, his s Adam's first moment)."""
    lecture = {LECTURE13.symbol(q).text for q in QUANTITIES if LECTURE13.symbol(q).text != P.symbol(q).text}
    if P.renames()["w"].text != "w":
        lecture.add("w")
    own = P.own_letters()
    lecture |= {key.partition(":")[2] for key in own if not key.partition(":")[2].isascii()
                and own[key].text != key.partition(":")[2] and key.partition(":")[2] not in KINDS_OWN}
    used = {s.text for s in P.renames().values()} | {P.symbol(q).text for q in QUANTITIES}
    return lecture - used


# a kind's own letters, which stay in every profile (docs/notation.md): the layer norm's mean μ, which
# goodfellow's momentum μ (his α) meets
KINDS_OWN = {"μ"}


_INDEX = "⁽⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉ₙₐₖ_^ᵀ"


def offenders(text: str, symbols: set[str]) -> list[str]:
    """Where ``text`` writes one of ``symbols`` as a symbol: a letter with an index after it (o⁽²⁾, G_Q, s₁), or
    a letter that is no word's (ℓ, η, β₁) anywhere; each with a little of its context."""
    found = []
    for s in symbols:
        # β₁ the decay rate, not a layer norm's β₁⁽²⁾ (its shift β, unit 1)
        after = f"(?=[{_INDEX}])" if s.isascii() else f"(?![{_INDEX}])" if s[-1] in "₀₁₂₃₄₅₆₇₈₉" else ""
        for m in re.finditer(rf"(?<![A-Za-z\u0370-\u03ff\u1d00-\u1dbf]){re.escape(s)}{after}", text):
            found.append(text[max(0, m.start() - 30):m.end() + 30])
    return found


def test_the_lectures_symbols_come_from_the_profiles_data():
    assert lecture_only(PROFILES["nielsen"]) == {"s", "o", "G", "W", "ℓ"}
    assert lecture_only(PROFILES["goodfellow"]) == {"o", "G", "ℓ", "η", "β₁", "β₂"}  # δ and s are his own
    assert lecture_only(PROFILES["ng"]) == {"o", "δ", "G", "ℓ", "η"}  # his s is Adam's second moment (s_dW)
    assert offenders("x = o⁽²⁾_τ, G_Q; over the keys", {"o", "G"}) == ["x = o⁽²⁾_τ, G_Q; over the keys",
                                                                     "x = o⁽²⁾_τ, G_Q; over the keys"]
    assert offenders("softmax over τ; W's product", {"o", "W", "s"}) == []
    assert offenders("β₁⁽²⁾ = 0.02: the shift", {"β₁"}) == [] and offenders("ℓ⁽¹⁾ = 1", {"ℓ"}) == ["ℓ⁽¹⁾ = 1"]


def clash_letters(P: Profile) -> set[str]:
    """The letters of a kind that profile ``P`` writes otherwise because they are its symbols of shared
    quantities (nielsen's z is his pre-activation, so a GRU's update gate z is u there; goodfellow's g)."""
    return {key for key in P.clashes() if ":" not in key} & {P.symbol(q).text for q in QUANTITIES}


def _alone(note: str, letters: set[str]) -> list[str]:
    """Where ``note`` writes one of ``letters`` on its own (h = n + z (…)), with a little of its context."""
    found = []
    for s in letters:
        for m in re.finditer(rf"(?<![A-Za-z\u0370-\u03ff']){re.escape(s)}(?![A-Za-z\u0370-\u03ff'{_INDEX}⁾ʰ])", note):
            found.append(note[max(0, m.start() - 30):m.end() + 30])
    return found


def _equations(stepper: Stepper, step, P: Profile | None) -> tuple[list, list]:
    """A step's equations and the explanations of the first, a middle and the last number it makes."""
    spec = stepper.spec
    eqs = list(step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P))
    cells = quiz_cells(spec, step.key, step.value)
    explained = [explain(stepper, qc.cell, 4) for qc in ([cells[0], cells[len(cells) // 2], cells[-1]] if cells else ())]
    return eqs, explained


def _words(stepper: Stepper, step, P: Profile, printer: TextPrinter, lecture: Stepper) -> list[str]:
    """A step's equations (with their notes) and the explanations of the first, a middle and the last number
    it makes; and, as their own entries, a note's hole {} left unfilled (an equation rebuilt without its
    note's symbols), and a letter ``P`` gives another meaning written in a note's words as the lecture's note
    writes it (the note the same in the lecture's steps: its words, not the printer, wrote the letter)."""
    eqs, explained = _equations(stepper, step, P)
    texts = [printer.equation(e) for e in eqs] + [ex.text() for ex in explained]
    eqs += [e for ex in explained for e in ex.equations]
    texts += [f"{{}} left in: {printer.equation(e)}" for e in eqs if "{}" in printer.equation(e)]
    letters = clash_letters(P)
    suspects = [e for e in eqs if e.note and _alone(printer.note(e), letters)]
    if suspects:  # the lecture's notes of the same step: a note written alike there names the lecture's letter
        lecture.goto(stepper.position - 1)
        same = lecture.forward()
        lecture_eqs, lecture_ex = _equations(lecture, same, None)
        notes = {_LECTURE.note(e) for e in lecture_eqs + [e for ex in lecture_ex for e in ex.equations]}
        texts += [f"a letter of another meaning in a note: {w}" for e in suspects if printer.note(e) in notes
                  for w in _alone(printer.note(e), letters)]
    return texts


_LECTURE = TextPrinter(4)


def _spec(example: str, optimizer: str | None):
    with open(resolve(example), encoding="utf-8") as f:
        doc = json.load(f)
    if optimizer is not None and "training" in doc:
        doc["training"]["optimizer"] = optimizer
    return parse(doc, resolve(example))


@pytest.mark.parametrize("name", OTHERS)
@pytest.mark.parametrize("example", [n for n in NETWORKS if not n.startswith("lecture13")])
def test_no_lecture_symbol_in_a_profiles_words(example, name):
    """Every step of the first example, the loss and the first update of every layer (with Adam: the
    optimizer's letters): their equations, notes and explanations in the profile's symbols."""
    P = PROFILES[name]
    spec = _spec(example, "adam")
    stepper, lecture = Stepper(spec, notation=P), Stepper(spec)
    printer, symbols = TextPrinter(4, notation=P), lecture_only(P)
    sch = stepper.schedule
    first_update = next(i for i in range(len(sch)) if sch.key(i).phase == UPDATE)
    bad: dict[tuple, str] = {}
    checked = 0
    while stepper.position < len(sch):
        key = sch.key(stepper.position)
        if stepper.position > first_update and (key.phase != UPDATE or key.layer == 1):
            break  # one round of updates
        if key.phase != UPDATE and key.example != sch.key(0).example:  # the first example's steps, then the update
            stepper.goto(first_update)
            continue
        step = stepper.forward()
        for text in _words(stepper, step, P, printer, lecture):
            checked += 1
            if text.startswith(("{} left in", "a letter of another meaning")):
                bad.setdefault((key.phase, key.quantity, "note"), text)
            for where in offenders(text, symbols):
                bad.setdefault((key.phase, key.quantity), where)
    assert checked > 0
    assert not bad, bad


# -- attention's words -----------------------------------------------------------------------------------------
def _explained(example: str, name: str | None, quantity: str, index: int = 0, layer: int = 3):
    """The explanation of a number of the first step of ``quantity`` of ``layer`` (tiny_transformer's
    attention) (its ``index``-th), in profile ``name``."""
    stepper = Stepper(load_any(resolve(example)), notation=PROFILES[name] if name else None)
    while True:
        step = stepper.forward()
        if step.key.quantity == quantity and step.key.layer == layer:
            return explain(stepper, quiz_cells(stepper.spec, step.key, step.value)[index].cell, 4).text()


def test_attentions_words_are_the_profiles():
    """nielsen's attention: its output a (the lecture's o), its heads' output c (z), its weights α (a), its
    matrices w_Q … (W_Q), the layer numbered from his input a¹ (the lecture's layer 3 is his 4)."""
    assert _explained("tiny_transformer", "nielsen", "q").splitlines()[:3] == [
        "q₁,₁⁴ = 0.4983: layer 4, example n = 1", "  entry 1 of q₁ = w_Q x₁ + b_Q",
        "  q₁,₁⁴ = Σᵢ w_{Q,1,i}⁴ x₁,ᵢ + b_{Q,1}⁴   (i = 1 … 3; b_{Q,1}⁴ is the bias)"]  # b added, not w·1
    assert _explained("tiny_transformer", None, "q").splitlines()[:2] == [
        "q₁,₁⁽³⁾ = 0.4983: layer 3, example n = 1", "  entry 1 of q₁ = W_Q [1; x₁] (the bias first)"]
    assert "  unit 1 of a₁ = w_O c₁ + b_O" in _explained("tiny_transformer", "nielsen", "o")
    assert "  the α-weighted sum of v_τ′ (head 1's entry 1) over τ′" in _explained("tiny_transformer", "nielsen", "z")
    assert "  ∂C/∂a₁ sent back through column 1 of w_O" in _explained("tiny_transformer", "nielsen", "dz")
    ng = _explained("tiny_transformer", "ng", "delta")
    assert "dz₁,₁,₁^[3] = 0.01111: dz of score e₁,₁, example n = 1" in ng and "  the softmax's Jacobian on row 1: dz = A (dA − r)" in ng
    # his Adam r takes r: the row sums are ϱ; his momentum α takes α: the weights are A
    good = _explained("tiny_transformer", "goodfellow", "delta")
    assert "g = A (∇_A J − ϱ), ϱ = Σ_τ″ A_{1,τ″} ∇_A_{1,τ″} J" in good and "(ϱ of row 1)" in good  # his ∇_X J
    cs = _explained("tiny_transformer", "cs231n", "GQ", -1)
    assert "(added at its dW_Q step)" in cs and "Σ_τ dq_{τ,7} · x_{τ,2}" in cs  # units from 0, τ from 1


def test_attentions_notes_are_the_profiles():
    """The notes of attention's steps (trace, export): nielsen's w_Q, α; the lecture's unchanged."""
    from .test_notation_left import forward_lines

    lines = [text for text, _ in forward_lines("tiny_transformer", "nielsen", 16)]
    assert any(line.endswith("(row τ: q_τ = w_Q x_τ + b_Q)") for line in lines)
    assert any(line.endswith("(each row's softmax: α_{τ,τ′} = exp(e_{τ,τ′}) / Σ_τ″ exp(e_{τ,τ″}))") for line in lines)
    lecture = [text for text, _ in forward_lines("tiny_transformer", "lecture13", 16)]
    assert any(line.endswith("(row τ: q_τ = W_Q [1; x_τ])") for line in lecture)


# -- the loss of a sequence: the profile's per-example loss, C_{1,τ} -------------------------------------------
@pytest.mark.parametrize("name, note", [("lecture13", "(ℓ⁽ⁿ⁾ sums over τ = 1 … 5)"), ("nielsen", "(Cₙ sums over τ = 1 … 5)"),
                                        ("cs231n", "(Lₙ sums over τ = 1 … 5)"), ("goodfellow", "(J⁽ⁿ⁾ sums over τ = 1 … 5)"),
                                        ("ng", "(ℒ⁽ⁿ⁾ sums over τ = 1 … 5)")])
def test_a_sequences_loss_note_names_the_profiles_loss(name, note):
    from .test_notation_left import forward_lines

    lines = [text for text, _ in forward_lines("count_tokens", name, 28)]
    total = [line for line in lines if "sums over τ" in line]
    assert len(total) == 1 and total[0].endswith(note), total


def test_a_per_time_step_loss_is_written_with_its_braces():
    """nielsen's C_x at τ: C₁,₂ at a number, C_{1,τ} at the symbol τ (the time form's braces), in text and LaTeX."""
    text, latex = TextPrinter(notation=PROFILES["nielsen"]), LatexPrinter(notation=PROFILES["nielsen"])
    at = Sym("ℓ", 1, latex=r"\ell", time="τ")
    assert text.p(at) == "C_{1,τ}" and latex.p(at) == r"C_{1,\tau}"
    assert text.p(Sym("ℓ", 1, latex=r"\ell", time=2)) == "C₁,₂" and text.p(Sym("ℓ", 1, latex=r"\ell")) == "C₁"
    assert TextPrinter(notation=PROFILES["cs231n"]).p(at) == "L_{1,τ}"
    assert TextPrinter().p(at) == "ℓ⁽¹⁾_τ"  # the lecture's own


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
def test_a_sequences_loss_in_nielsen_compiles(tmp_path, capsys):
    tex = tmp_path / "doc.tex"
    assert main(["export", "count_tokens", "--notation", "nielsen", "--format", "latex", "--steps", "26:29",
                 "--output", str(tex)]) == 0
    doc = tex.read_text(encoding="utf-8")
    assert r"C_{1} &= \sum_{\tau} C_{1,\tau} \\" in doc and "C_1,τ" not in doc and r"C_1,\tau" not in doc
    _compiles(tmp_path, doc)  # as bptui runs pdflatex


# -- goodfellow's Adam: Algorithm 8.7 ------------------------------------------------------------------------------
def _adam_xor(tmp_path) -> str:
    with open(resolve("xor"), encoding="utf-8") as f:
        doc = json.load(f)
    doc["training"].update(optimizer="adam", l2=0.01)
    path = tmp_path / "xor_adam.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_goodfellows_adam_is_his_algorithm_8_7(tmp_path, capsys):
    """Deep Learning, Algorithm 8.7: step size ε, decay rates ρ₁ and ρ₂, small constant δ, moments s and r,
    corrected ŝ and r̂; a GRU's or attention's r gives way to ϱ (ρ is his decay rates' letter)."""
    path = _adam_xor(tmp_path)
    assert main(["trace", "--no-color", path, "--notation", "goodfellow"]) == 0
    text = capsys.readouterr().out
    assert "adam, ε = 0.5, ρ₁ = 0.9, ρ₂ = 0.999, δ = 1e−8" in text.splitlines()[0]
    assert "s⁽¹⁾ ← ρ₁ s⁽¹⁾ + (1 − ρ₁) ĝ⁽¹⁾ = " in text and "r⁽¹⁾ ← ρ₂ r⁽¹⁾ + (1 − ρ₂) ĝ⁽¹⁾⊙ĝ⁽¹⁾ = " in text
    assert "s\u0302⁽¹⁾ = s⁽¹⁾/(1 − ρ₁ᵗ) = " in text and "r\u0302⁽¹⁾ = r⁽¹⁾/(1 − ρ₂ᵗ) = " in text
    assert "W⁽¹⁾ ← W⁽¹⁾ − ε s\u0302⁽¹⁾/(√r\u0302⁽¹⁾ + δ) = " in text and "β" not in text
    assert main(["export", path, "--notation", "goodfellow", "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert r"\leftarrow \rho_1 s^{(1)} + (1 - \rho_1)" in latex and r"\frac{s^{(1)}}{1 - \rho_1^{t}}" in latex
    assert r"\beta" not in latex
    assert main(["trace", "--no-color", path]) == 0
    lecture = capsys.readouterr().out  # the lecture's and the other profiles' Adam keep Kingma & Ba's letters
    assert "adam, η = 0.5, β₁ = 0.9, β₂ = 0.999, ε = 1e−8" in lecture and "m⁽¹⁾ ← β₁ m⁽¹⁾ + (1 − β₁) g⁽¹⁾ = " in lecture
    P = PROFILES["goodfellow"]
    assert P.clashes()["r"].text == "ϱ" and TextPrinter(notation=P).p(Sym("r", 1)) == "ϱ⁽¹⁾"
    assert "ρ" not in {s.text for s in PROFILES["nielsen"].renames().values()}


@pytest.mark.parametrize("name, lines", [
    ("goodfellow", ["  ĝ₁⁽¹⁾ = ∇_b₁⁽¹⁾ J + 2λ b̃₁⁽¹⁾   (L2 never touches a bias)",
                    "  s₁⁽¹⁾ ← ρ₁ s₁⁽¹⁾ + (1 − ρ₁) ĝ₁⁽¹⁾", "  r₁⁽¹⁾ ← ρ₂ r₁⁽¹⁾ + (1 − ρ₂)·(ĝ₁⁽¹⁾)²",
                    "  s\u0302₁⁽¹⁾ = s₁⁽¹⁾/(1 − ρ₁ᵗ)", "  b₁⁽¹⁾ ← b₁⁽¹⁾ − ε·s\u0302₁⁽¹⁾/(√r\u0302₁⁽¹⁾ + δ)"]),
    ("cs231n", ["  m₀¹ ← β₁ m₀¹ + (1 − β₁) g₀¹", "  b₀¹ ← b₀¹ − learning_rate·m\u0302₀¹/(√v\u0302₀¹ + ε)"]),
    ("nielsen", ["  m₁² ← β₁ m₁² + (1 − β₁) g₁²"]),
])
def test_a_biass_adam_moment_is_indexed_as_the_bias_is(tmp_path, name, lines):
    """b₁'s moment is s₁ (m₁), beside b₁: never s₁,₀, the lecture's column 0 (cs231n's m₀,₋₁)."""
    stepper = Stepper(load_any(_adam_xor(tmp_path)), notation=PROFILES[name])
    stepper.goto(len(stepper.schedule))
    text = explain(stepper, Cell("W", 1, 1, 0), 4).text()
    for line in lines:
        assert line in text.splitlines(), text
    assert ",₀" not in text and "₋" not in text
    weight = explain(stepper, Cell("W", 1, 1, 1), 4).text()  # a weight's keeps both indices
    assert re.search(r"[msr]\u0302?[₀₁],[₀₁][⁽¹²]", weight), weight


# -- the help's title ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, title", [
    ("cs231n", "NOTATION (CS231n: row vectors, scores = x W + b, dW = xᵀ dscores)"),
    ("nielsen", "NOTATION (nielsen: Neural Networks and Deep Learning, chapter 2: zˡ = wˡ aˡ⁻¹ + bˡ, the input a¹)"),
])
def test_the_helps_title_names_the_profile_once(name, title):
    from bptui.tui.help import notation_text

    assert notation_text(PROFILES[name]).splitlines()[0] == title


# -- a gated layer's δ lists and δʰ in the profile's δ -------------------------------------------------------------
def _step_notes(example: str, name: str | None, quantity: str) -> list[str]:
    """The text of the first step of ``quantity`` (its equations, with their notes) in profile ``name``."""
    P = PROFILES[name] if name else None
    stepper = Stepper(load_any(resolve(example)), notation=P)
    printer = TextPrinter(4, notation=P)
    while True:
        step = stepper.forward()
        if step.key.quantity == quantity and step.key.layer == 1:
            return [printer.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                                notation=P)]


@pytest.mark.parametrize("name, gru, lstm, dh", [
    (None, "([δ_r, δ_z, δ_n], δ of each gate's pre-activation (n's: s_{x,n} + r ⊙ s_{h,n}))",
     "([δ_i, δ_f, δ_g, δ_ō]: δ of each gate's pre-activation)", "δʰ = [δ_r, δ_z, r ⊙ δ_n] reaches U's product"),
    ("ng", "([dz_r, dz_u, dz_n], dz of each gate's pre-activation (n's: z_{x,n} + r ⊙ z_{h,n}))",
     "([dz_i, dz_f, dz_g, dz_ō]: dz of each gate's pre-activation)", "dzʰ = [dz_r, dz_u, r ⊙ dz_n] reaches U's product"),
    ("cs231n", "([dscores_r, dscores_z, dscores_n], dscores of each gate's pre-activation (n's: scores_{x,n} + r ⊙ scores_{h,n}))",
     "([dscores_i, dscores_f, dscores_g, dscores_ō]: dscores of each gate's pre-activation)",
     "dscoresʰ = [dscores_r, dscores_z, r ⊙ dscores_n] reaches U's product"),
    ("goodfellow", "([g_ϱ, g_z, g_n], g of each gate's pre-activation (n's: a_{x,n} + ϱ ⊙ a_{h,n}))",
     "([g_i, g_f, g_ĝ, g_ō]: g of each gate's pre-activation)", "gʰ = [g_ϱ, g_z, ϱ ⊙ g_n] reaches U's product"),
])
def test_a_gated_layers_delta_lists_are_in_the_profiles_delta(name, gru, lstm, dh):
    """ng's dz and cs231n's dscores (the profile's δ, as cs231n's LSTM writes da for its a's gradient, dai …
    for a gate's): a gate's δ_r is the profile's δ with the gate's letter as the profile writes the gate (ng's
    u for the GRU's z, goodfellow's ĝ and ϱ), δʰ its δ with ʰ; the lecture's δ_r stays."""
    assert _step_notes("gru_parity", name, "delta")[0].endswith(gru)
    assert _step_notes("long_memory_lstm", name, "delta")[0].endswith(lstm)
    assert any(f"({dh}" in line for line in _step_notes("gru_parity", name, "G"))
    assert TextPrinter(notation=PROFILES[name] if name else None).p(Sym("δʰ", 1, latex=r"{\delta^{h}}", time=2)) == {
        None: "δʰ⁽¹⁾₂", "ng": "dzʰ^[1]₂", "cs231n": "dscoresʰ¹₂", "goodfellow": "gʰ⁽¹⁾₂"}[name]


def test_a_grus_update_note_names_the_gate_as_the_profile_does():
    """nielsen's z is his pre-activation: the GRU's update gate is u there, in the note h = n + u (h_{τ−1} − n) too."""
    stepper = Stepper(load_any(resolve("gru_parity")), notation=PROFILES["nielsen"])
    while True:
        step = stepper.forward()
        if step.key.quantity == "delta" and step.key.layer == 1:
            break
    h = stepper.net.kinds[0].h
    text = explain(stepper, Cell("delta", 1, h + 1, time=step.key.time), 4).text()
    assert "(h = n + u (h_{τ−1} − n))" in text, text


# -- layers numbered as the profile numbers them in every note ---------------------------------------------------------
_LAYER = re.compile(r"\blayer (\d+)")


@pytest.mark.parametrize("example", ["tiny_transformer", "deep_residual", "moons_layernorm"])
def test_a_notes_layers_are_numbered_as_the_profile_numbers_them(example):
    """nielsen's input is a¹: every layer a note names is the lecture's number + 1 (what layer 8 sends down)."""
    P = PROFILES["nielsen"]
    spec = load_any(resolve(example))
    lecture, profiled = Stepper(spec), Stepper(spec, notation=P)
    printers = TextPrinter(4), TextPrinter(4, notation=P)
    sch = lecture.schedule
    seen = 0
    while lecture.position < len(sch) and sch.key(lecture.position).example == sch.key(0).example:
        a, b = lecture.forward(), profiled.forward()
        for e, f in zip(step_equations(lecture.net, lecture.state, a, spec.optimizer),
                        step_equations(profiled.net, profiled.state, b, spec.optimizer, notation=P)):
            ours = [int(n) for n in _LAYER.findall(printers[0].note(e))]
            theirs = [int(n) for n in _LAYER.findall(printers[1].note(f))]
            seen += len(ours)
            assert theirs == [n + 1 for n in ours], (a.key, printers[0].note(e), printers[1].note(f))
    assert seen > 0


# -- subscripts of more than one character: braces -------------------------------------------------------------------
def test_mixed_subscripts_are_braced():
    """α_{1,τ′}, never α_1,τ′ (which reads as α₁ then ,τ′): text in braces, as C_{1,τ} and s⁽¹⁾_{τ,b} are; LaTeX too."""
    a = Sym("α", sub=(1, "τ′"), latex=r"\alpha")
    assert TextPrinter().p(a) == "α_{1,τ′}" and LatexPrinter().p(a) == r"\alpha_{1,\tau '}"
    assert TextPrinter(notation=PROFILES["ng"]).p(a) == "κ_{1,τ′}"  # ng's α is its learning rate: κ (CLASHES)
    assert TextPrinter().p(Sym("e", sub=("τ",))) == "e_τ" and TextPrinter().p(Sym("w", 2, (1, 2))) == "w₁,₂⁽²⁾"


# attention's ∂ℓ/∂q⁽³⁾ (tiny_transformer's layer 3) in each profile, by hand: its gradient prefix, as its dW's
DQ = {"cs231n": "dq³", "ng": "dq^[3]", "goodfellow": "∇_q⁽³⁾ J", "nielsen": "∂C/∂q⁴", None: "∂ℓ/∂q⁽³⁾"}


@pytest.mark.parametrize("name", list(DQ))
def test_attentions_own_gradients_take_the_profiles_gradient_prefix(name):
    """cs231n writes attention's gradients d-prefixed as it writes dW and db (dq, dk, dv, dx, dz; its scores' δ
    dscores), ng likewise, goodfellow ∇_q J, nielsen ∂C/∂q (his prefix is the partial itself), the lecture ∂ℓ/∂q:
    the step equations, the panel's names of the cells, the quiz's question and the explanation all alike, and no
    ∂ left in cs231n's and ng's attention steps."""
    from bptui.core.teaching.quiz import cell_symbol

    P = PROFILES[name] if name else None
    stepper = Stepper(load_any(resolve("tiny_transformer")), notation=P)
    kind = stepper.net.kinds[2]
    text = TextPrinter(4, notation=P)
    assert text.p(kind.cell_sym("dq", 3)) == DQ[name]
    head = DQ[name].split("q")[0]  # d, ∇_, ∂C/∂, ∂ℓ/∂
    seen = set()
    while len(seen) < 5:
        step = stepper.forward()
        k = step.key
        if k.layer != 3 or k.quantity not in ("dz", "dq", "dk", "dv", "dx") or k.quantity in seen:
            continue
        seen.add(k.quantity)
        lines = [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                          notation=P)]
        if k.quantity != "dx":  # the panel's name of the whole matrix: the prefix on the quantity's own name
            assert text.p(kind.cell_sym(k.quantity, 3)) == DQ[name].replace(
                text.p(kind.cell_sym("q", 3)), text.p(kind.cell_sym(k.quantity[1:], 3)))
        assert all(line.startswith(head) for line in lines), lines
        if name in ("cs231n", "ng"):
            assert not any("∂" in line for line in lines), lines
        cell = quiz_cells(stepper.spec, k, step.value)[0].cell
        asked = cell_symbol(stepper, cell)
        assert asked.startswith(head) and explain(stepper, cell, 4).text().startswith(f"{asked} = "), asked

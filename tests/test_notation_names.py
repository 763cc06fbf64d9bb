"""Names in a profile's panels and in what the cursor says of a cell agree with the profile (issue 23).

- the property: every weight and gradient cell of every profile panel (dense, sequence, attention blocks) is
  named — in the panel's parts, the cursor's explanation, Enter's prompt — by the profile's name of that
  cell: its subscripts are the cell's line and column in the part the panel draws it in (from the
  profile's first unit; cs231n's W is D × C, so its w_k,j names line k's column j: the input first), its
  gradient's name is the profile's gradient of the weight's, and the explanation and prompt print the
  same name; over the bundled networks and random dense and recurrent ones;
- attention's q, k, v and o in a profile with a separate b: Σ_a w_Q,b,a x_τ,a + b_Q,b, the bias under the
  profile's name and added, not a weight times the lecture's 1 (the arithmetic still checked);
- cs231n's attention weight words count an input's weights as the row the panel shows;
- cs231n's names of W's entries (dense, rnn, the prompt, the explanation, the key's and the quiz's names)
  put the input first, and the key JSON's ``indices`` stay the lecture's.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.cli import main
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load, parse
from bptui.core.formulas.formula import Num, Sym, TextPrinter, walk
from bptui.core.formulas.profiles import PROFILES, shown_ref
from bptui.core.formulas.formula import Ref
from bptui.core.teaching.explain import Cell, explain
from bptui.core.teaching.quiz import cell_symbol

from .conftest import NETWORKS
from .formula_checks import check_equation
from .test_formula import networks
from .test_notation import ALL
from .test_notation_panels import Runs, heading_of, map_panels, runs_at
from .test_notation_recurrent import recurrent_doc

SEPARATE = [n for n, P in ALL.items() if P.separate_bias]
SHOWN = [n for n in ALL if n != "lecture13"]


# -- attention's q, k, v, o with a separate b ----------------------------------------------------------------
def _forward(stepper) -> None:
    while stepper.schedule.key(stepper.position).phase == "forward":
        stepper.forward()


@pytest.mark.parametrize("name", SEPARATE)
@pytest.mark.parametrize("network", ["count_tokens", "tiny_transformer"])
def test_attentions_q_k_v_and_o_add_the_profiles_b(name, network):
    """q_τ,b = Σ_a w_Q,b,a x_τ,a + b_Q,b: its symbolic form ends with the bias under the profile's name, its
    numbers' last term is that bias's number alone (no ·1), and every form holds on the board's numbers."""
    spec = load(NETWORKS / f"{network}.json")
    P = ALL[name]
    p = TextPrinter(notation=P).p
    stepper = Stepper(spec, notation=P)
    _forward(stepper)
    l = next(i for i, k in enumerate(spec.layer_kinds, 1) if k.mixes_time)
    kind = spec.layer_kinds[l - 1]
    checked = 0
    for q, rows in (("q", kind.dk), ("k", kind.dk), ("v", kind.dk), ("o", kind.d)):
        for b in (1, rows):
            ex = explain(stepper, Cell(q, l, b, time=2, kind=kind))
            name_ = "QKVO".index(q.upper()) * kind.dk + b - 1
            bias = kind.weight_sym(l, name_, 0)  # column 0: the profile's b_Q,b
            assert p(bias).startswith("b"), p(bias)
            (eq,) = ex.equations
            rule, expanded, numbers = eq.forms[:3]
            assert p(rule).endswith(" + " + p(bias)) and p(expanded).endswith(" + " + p(bias)), p(expanded)
            last = numbers.args[-1]
            assert isinstance(last, Num) and last.ref is not None and last.ref.index == (name_, 0)
            assert last.value == pytest.approx(float(stepper.state.W[l][name_, 0]))
            assert not any(isinstance(n, Num) and n.exact and n.value == 1 for n in walk(numbers))  # no w·1
            assert "times 1" not in ex.text() and "[1;" not in ex.text()
            assert ex.value == pytest.approx(float(np.asarray(stepper.state.extra[q, l] if q != "o" else
                                                              stepper.state.o[l])[(1 if q == "o" else 0) + 1, b - 1]))
            checked += check_equation(eq, 4, stepper, f"{name} {q}")
    assert checked


# -- words: a row where cs231n shows W transposed ------------------------------------------------------------
def test_cs231ns_attention_weight_words_count_the_rows_its_panel_shows():
    """cs231n's W_Q is shown D × C (a line per input k): an input's weights are a row of it, as the panel
    draws them; nielsen's are a column."""
    spec = load(NETWORKS / "count_tokens.json")
    kind = spec.layer_kinds[0]
    for name, line in (("cs231n", "row"), ("nielsen", "column"), ("ng", "column")):
        P = PROFILES[name]
        assert P.transposed == (name == "cs231n")
        text = kind.profiled_weight_text(spec, 1, 1, 2, P)
        assert text.startswith(f"{line} {P.unit(2)} of "), text
        stepper = Stepper(spec, notation=P)
        while True:
            step = stepper.forward()
            if step.key.quantity == "dz":
                break
        words = explain(stepper, Cell("dz", 1, 1, time=1, kind=kind)).lines[0]
        assert f" sent back through {line} {P.unit(1)} of " in words, words


# -- cs231n: the input first, everywhere a W entry is named --------------------------------------------------
def test_cs231n_names_a_weight_as_its_d_by_c_panel_does_in_the_prompt_the_explanation_and_the_key(tmp_path):
    """xor's w¹ entry from input 2 to unit 1 (the lecture's w₁,₂⁽¹⁾) stands on line k=1, column j=0 of cs231n's
    W¹: the prompt, the explanation (its title and its sums), G's name and the exercise key's name all say
    w₁,₀¹; the key JSON's indices are the lecture's (b, a)."""
    spec = load(NETWORKS / "xor.json")
    P = PROFILES["cs231n"]
    p = TextPrinter(notation=P).p
    kind = spec.layer_kinds[0]
    stepper = Stepper(spec, notation=P)
    assert p(kind.profiled_weight_sym(P, 1, 0, 2)) == "w₁,₀¹"
    assert explain(stepper, Cell("W", 1, 1, 2, kind=kind)).title.startswith("w₁,₀¹ = ")
    assert explain(stepper, Cell("G", 1, 1, 2, kind=kind)).title.startswith("dw₁,₀¹ = ")
    for _ in range(2):
        stepper.forward()
    s = explain(stepper, Cell("s", 1, 1, kind=kind)).text()
    assert "scores₀¹ = Σₖ wₖ,₀¹ hₖ⁰ + b₀¹" in s and "w₀,₀¹ h₀⁰ + w₁,₀¹ h₁⁰ + b₀¹" in s, s
    assert main(["export", str(NETWORKS / "xor.json"), "--notation", "cs231n", "--exercise", "--blank", "G,W",
                 "--steps", "36:38", "--answers", str(tmp_path / "key.md"), "--output", str(tmp_path / "ex.md")]) == 0
    blanks = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["blanks"]
    named = {b["name"]: b for b in blanks if b["layer"] == 1}
    assert len(named) == 12, [b["name"] for b in blanks]
    for text, b in named.items():
        row, col = b["indices"]  # the lecture's (b, a), unit first, a = 0 the bias
        sym = kind.profiled_weight_sym(P, 1, row - 1, col) if b["quantity"] == "W" else kind.grad_sym(1, row - 1, col)
        assert text == p(sym), (text, b)
        if col:  # the name has the input first, both from 0
            assert text == f"{'d' if b['quantity'] == 'G' else ''}w{'₀₁₂₃'[col - 1]},{'₀₁₂₃'[row - 1]}¹", text
    assert "$(9)\\; w_{1,0}^{1} = " in (tmp_path / "key.md").read_text(encoding="utf-8")


# -- the property -------------------------------------------------------------------------------------------
def _parts(sheet) -> dict[tuple, str]:
    """Each weight or gradient cell's part (the name it stands under or beside) on a profile panel."""
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    from .test_notation_seq_panels import name_over

    out = {}
    runs = Runs(sheet)  # each heading line's runs read once for the board's cells
    for y, x, key in sheet.cells:
        if key[0] in ("W", "G"):
            out[y, x] = name_over(sheet, y, x) if isinstance(sheet, ProfileSeqSheet) else heading_of(sheet, y, x, runs)
    return out


def check_names(stepper, sheets, explain_every: int = 1) -> int:
    """Every W and G cell of the panels: its subscripts are its line and column in its part, from the
    profile's first unit (a bias: its unit's), the explanation's and the prompt's name are the printed one,
    and G's name is the profile's gradient of W's name at the same place."""
    P = stepper.notation
    printer = TextPrinter(notation=P)
    p, checked = printer.p, 0
    kinds = stepper.spec.layer_kinds
    for sheet in sheets:
        parts = _parts(sheet)
        lines: dict[str, list[int]] = {}
        columns: dict[str, list[int]] = {}
        for (y, x), part in parts.items():
            lines.setdefault(part, []).append(y)
            columns.setdefault(part, []).append(x)
        ys = {part: sorted(set(v)) for part, v in lines.items()}
        xs = {part: sorted(set(v)) for part, v in columns.items()}
        # a part that holds a bias column (the lecture's W with its column 0; a GRU's U, its own): its inputs
        # count from the column after it (0 … with the bias in column 0; the profile's first unit, else)
        biased = {parts[y, x] for y, x, key in sheet.cells if (y, x) in parts and key[0] in ("W", "G")
                  and key[3] in kinds[key[1] - 1].bias_columns}
        names: dict[tuple, str] = {}
        for n, (y, x, key) in enumerate(c for c in sheet.cells if c[0:2] in parts):
            q, l, row, col = key
            kind = kinds[l - 1]
            part = parts[y, x]
            sym = kind.profiled_weight_sym(P, l, row, col) if q == "W" else kind.grad_sym(l, row, col)
            shown, _ = printer.profiled(sym)
            ints = [i for i in shown.sub if isinstance(i, int)]
            i, j = ys[part].index(y), xs[part].index(x)
            view = shown_ref(Ref(q, l, (row, col)), P, stepper.spec.L).view.partition("/")[0]
            # a bias: W's b, a GRU's U's own b_{h} (b_{h,r,3}: one number, its unit), a layer norm's γ_b, β_b
            bias = view == "b" or len(ints) == 1
            along = (j if P.transposed or (bias and P.vectors == "row") else i)  # the units' rank in the part
            if getattr(kind, "gates", 1) > 1:  # a gated layer's rows by gate, then unit: z1 … z4 (the gate a subscript)
                gate = kind.gate_order[along // kind.h]
                assert shown.sub[-2 if bias else -3] == printer.profiled(Sym("x", 1, (gate, 1), group=True))[0].sub[0]
                along %= kind.h
            if bias:  # its unit, along the part
                assert ints[-1] == P.unit(1) + along, (P.name, key, p(sym), i, j)
            else:
                first = P.unit(1) - (1 if P.separate_bias else P.unit(1)) if part in biased else P.unit(1)
                expected = (along + P.unit(1), j + first) if P.vectors == "column" else (i + first, along + P.unit(1))
                assert tuple(ints[-2:]) == expected, (P.name, key, p(sym), (i, j), part)
            names[q, l, row, col] = p(sym)
            # the quiz's name of the entry: of the kind's cell, and of the bare cell a key or the grader makes
            # (no kind: the layer's names it, U's entry u, never the W entry at the stored column)
            assert cell_symbol(stepper, Cell(q, l, row + 1, col, kind=kind)) == p(sym), (P.name, key)
            assert cell_symbol(stepper, Cell(q, l, row + 1, col)) == p(sym), (P.name, key, p(sym))
            if n % explain_every == 0:
                ex = explain(stepper, Cell(q, l, row + 1, col, kind=kind))
                assert ex.title.startswith(p(sym) + " "), (P.name, key, ex.title, p(sym))
            checked += 1
        for (q, l, row, col), text in names.items():
            if q == "G" and "{}" in P.gradient.text and ("W", l, row, col) in names:
                assert text == P.gradient.text.replace("{}", names["W", l, row, col]), (text, names["W", l, row, col])
    return checked


BUNDLED = ["xor", "chain", "parity", "gru_parity", "long_memory_lstm", "count_tokens", "tiny_transformer"]


@pytest.mark.parametrize("name", SHOWN)
@pytest.mark.parametrize("network", BUNDLED)
def test_every_weight_and_gradient_cell_is_named_by_its_place_in_every_profile(network, name):
    from bptui.tui.edit_mode import EditMode

    spec = load(NETWORKS / f"{network}.json")
    stepper = Stepper(spec, notation=ALL[name])
    for _ in range(3):
        stepper.forward()
    big = sum(W.size for W in stepper.state.W[1:]) > 400
    assert check_names(stepper, map_panels(stepper), explain_every=7 if big else 1)
    # Enter's prompt names the weight as the explanation does (EditMode.weight_shown)
    host = type("Host", (), {"stepper": stepper})()
    for l, kind in enumerate(spec.layer_kinds, 1):
        if not kind.has_weights:
            continue
        rows, cols = stepper.state.W[l].shape
        for row, col in {(0, 0), (0, cols - 1), (rows - 1, 1 % cols), (rows - 1, cols - 1)}:
            if not kind.editable(row, col):
                continue
            prompt = EditMode.weight_shown(host, l, row, col)
            assert explain(stepper, Cell("W", l, row + 1, col, kind=kind)).title.startswith(f"{prompt} = "), prompt


@settings(max_examples=8, deadline=None, derandomize=True)
@given(networks(), st.sampled_from(SHOWN), st.integers(0, 6))
def test_random_dense_networks_cells_are_named_by_their_place(spec, name, steps):
    stepper = Stepper(spec, notation=ALL[name])
    for _ in range(steps):
        stepper.forward()
    assert check_names(stepper, map_panels(stepper), explain_every=3)


@pytest.mark.parametrize("family, seed", [("rnn", 1), ("lstm", 2), ("gru", 3), ("stack", 4), ("gru", 5)])
def test_random_recurrent_networks_cells_are_named_by_their_place(family, seed):
    spec = parse(recurrent_doc(family, seed), "recurrent.json")
    for name in SHOWN:
        stepper = Stepper(spec, notation=ALL[name])
        for _ in range(seed):
            stepper.forward()
        assert check_names(stepper, map_panels(stepper), explain_every=3)


def test_the_quiz_names_an_rnns_u_entry_as_the_panel_does_in_nielsen():
    """parity in nielsen: U's entry of unit 2 from unit 2 (the stored column 3) is ∂C/∂u₂,₂², as the panel's ∂C/∂U²
    names its entries, whether the cell comes with its kind (the quiz's own) or bare (a key's, the grader's)."""
    stepper = Stepper(load(NETWORKS / "parity.json"), notation=PROFILES["nielsen"])
    assert cell_symbol(stepper, Cell("G", 1, 2, 3)) == "∂C/∂u₂,₂²" and cell_symbol(stepper, Cell("W", 1, 2, 3)) == "u₂,₂²"
    assert cell_symbol(stepper, Cell("G", 1, 2, 1)) == "∂C/∂w₂,₁²" and cell_symbol(stepper, Cell("G", 1, 2, 0)) == "∂C/∂b₂²"


@pytest.mark.parametrize("network", ["gru_parity", "long_memory_lstm"])
def test_a_gated_weights_words_count_as_its_name_does(network):
    """A GRU's or LSTM's weight explained in a profile: its input, unit and layer numbers in the words are the
    profile's (from its first unit; nielsen's layers from his input a¹), as its name w¹_{r,0,0} counts them,
    and its gate the letter the panel prints (goodfellow's ϱ, the LSTM's ō); the lecture's words unchanged."""
    spec = load(NETWORKS / f"{network}.json")
    kind = spec.layer_kinds[0]
    gru = network == "gru_parity"
    for name in SHOWN:
        P = ALL[name]
        p = TextPrinter(notation=P).p
        stepper = Stepper(spec, notation=P)
        for row, col in ((0, 0), (kind.h + 1, 1), (kind.rows - 1, kind.d + 1 + kind.u_bias)):
            gate, unit = kind.gate_of(row)
            title = explain(stepper, Cell("W", 1, row + 1, col, kind=kind)).title
            letter = p(Sym("ō" if gate == "o" else gate))
            assert f" {letter} of unit {P.unit(unit)} of layer {P.layer_number(1)}" in title, title
            if col == 1:
                assert f"from input {P.unit(1)} of x_τ" in title, title
            if col > kind.d + kind.u_bias:
                assert f"from unit {P.unit(1)} of {p(Sym('h', 1, vector=True))} at τ − 1" in title, title
    lecture = Stepper(spec)
    assert explain(lecture, Cell("W", 1, 2, 1, kind=kind)).title.endswith(
        f"W: the weight from input 1 of x_τ to the {'reset gate r' if gru else 'input gate i'} of unit 2 of layer 1, "
        "the same at every time step")


@pytest.mark.parametrize("name", list(ALL))
def test_a_sequences_input_is_explained_in_the_profiles_names(name):
    """An input x_τ of a sequence network: named as the panel's a¹ = x (no lecture o⁽⁰⁾_τ = [1, x_τ] where the
    profile's input has no 1), its input counted from the profile's first unit."""
    P = ALL[name]
    stepper = Stepper(load(NETWORKS / "count_tokens.json"), notation=P)
    stepper.forward()
    text = explain(stepper, Cell("o", 0, 2, time=1)).text()
    o0 = TextPrinter(notation=P).p(Sym("o", 0, vector=True, time="τ"))
    assert f"input {P.unit(2)} at time step τ = 1" in text, text
    assert f"({o0} = {'x_τ' if P.separate_bias else '[1, x_τ]'})" in text, text
    assert name == "lecture13" or P.name == "column_mean" or "o⁽⁰⁾" not in text, text


def test_a_profiles_symbol_is_worked_out_once_and_written_alike(monkeypatch):
    """A printer in a profile works a symbol's letters out (``Printer.profiled``) once per profile and printer
    kind, not once per printer (the app makes one per equation): a second printer writes the same text without
    working it out again; two symbols alike but for their kind (Adam's m, ng's v, beside another m) stay apart."""
    from dataclasses import replace

    from bptui.core.formulas.formula import LatexPrinter, Printer

    worked: list[Sym] = []
    real = Printer.profiled

    def counted(self, s):
        worked.append(s)
        return real(self, s)

    monkeypatch.setattr(Printer, "profiled", counted)
    P = replace(PROFILES["ng"])  # a profile object of its own: none of its symbols written yet
    adam_m, other_m = Sym("m", 2, vector=True, own="adam"), Sym("m", 2, vector=True)
    for kind in (TextPrinter, LatexPrinter):
        first = [kind(notation=P).p(s) for s in (adam_m, other_m, adam_m)]
        assert len(worked) >= 2
        worked.clear()
        again = [kind(notation=P).p(s) for s in (adam_m, other_m)]
        assert again == first[:2] and worked == [], (kind.__name__, worked)
        assert first[0] == first[2] and first[0] != first[1], first
    assert TextPrinter(notation=P).p(adam_m) == "v^[2]" and TextPrinter(notation=P).p(other_m) == "m^[2]"

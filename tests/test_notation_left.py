"""Notation profiles: the last defects of issue 23 (docs/notation.md), each with the printed text and values."""

from __future__ import annotations

import shutil

import pytest

from bptui.cli import main
from bptui.core.engine.equations import step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import LatexPrinter, TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.examples import resolve

from .test_export import _compiles


def forward_lines(example: str, name: str, steps: int) -> list[tuple[str, str]]:
    """(text, LaTeX) of the first ``steps`` forward steps' equations of ``example`` in profile ``name``."""
    P = PROFILES[name]
    stepper = Stepper(load_any(resolve(example)), notation=P)
    text, latex = TextPrinter(4, notation=P), LatexPrinter(4, notation=P)
    out = []
    for _ in range(steps):
        step = stepper.forward()
        out += [(text.equation(e), " ".join(r for row in latex.rows(e) for r in row))
                for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P)]
    return out


# -- ĝ inside an index is \hat{g} in LaTeX -----------------------------------------------------------------
def test_a_gate_that_gives_way_is_written_in_latex_inside_an_index():
    """goodfellow's LSTM cell candidate ĝ (his g is the δ) in a gate's index: a^{(1)}_{1,\\hat{g}}, as the
    symbol ĝ⁽¹⁾ itself is \\hat{g}; never \\text{\\^{g}}."""
    text, latex = forward_lines("long_memory_lstm", "goodfellow", 3)[1]
    assert "tanh(a⁽¹⁾_{1,ĝ})" in text
    assert r"\tanh(a^{(1)}_{1,\hat{g}})" in latex and r"\^{g}" not in latex
    assert latex.endswith(r"\text{; tanh for the cell candidate }\hat{g}\text{)}")  # the line's note, ĝ in math


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
def test_an_lstm_page_in_goodfellow_compiles(tmp_path, capsys):
    tex = tmp_path / "doc.tex"
    assert main(["export", "long_memory_lstm", "--notation", "goodfellow", "--format", "latex", "--steps", "1:8",
                 "--output", str(tex)]) == 0
    doc = tex.read_text(encoding="utf-8")
    assert r"_{1,\hat{g}}" in doc and r"\text{\^{g}}" not in doc
    _compiles(tmp_path, doc)  # as bptui runs pdflatex


# -- brackets: every pair needed, none too many --------------------------------------------------------------
def test_cs231n_writes_a_recurrent_weight_gradient_with_one_pair_of_brackets():
    """dW = xᵀ dscores and dU = prev_hᵀ dscores per example, apart: one pair of brackets each (a GRU's
    dU = prev_hᵀ dscoresʰ too: U without its bias column)."""
    def first(network: str) -> tuple[list[str], list]:
        stepper = Stepper(load_any(resolve(network)), notation=PROFILES["cs231n"])
        while True:
            step = stepper.forward()
            eqs = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=PROFILES["cs231n"])
            if any(text.p(e.lhs) == "dU¹" for e in eqs):
                return [text.equation(e) for e in eqs], eqs

    text = TextPrinter(4, notation=PROFILES["cs231n"])
    latex = LatexPrinter(4, notation=PROFILES["cs231n"])
    lines, _ = first("parity")
    assert lines[0].startswith("dW¹ ← dW¹ + (h⁰₂ᵀ dscores¹₂)/|B| = ")
    assert " + ([0]ᵀ [0.02392, −0.02371, 0.22, −0.1912])/28 = " in lines[0]
    assert lines[1].startswith("dU¹ ← dU¹ + (h¹₁ᵀ dscores¹₂)/|B| = ")
    assert " + ([−0.67978, −0.041873, −0.13786, 0.37345]ᵀ [0.0239243, −0.0237052, 0.219954, −0.191235])/28 = " \
        in lines[1]
    lines, eqs = first("gru_parity")  # U without its bias column: h, not [1, h] (b¹_{h}'s line apart)
    assert lines[1].startswith("dU¹ ← dU¹ + (h¹₁ᵀ dscoresʰ¹₂)/|B| = "), lines[1]
    rows = [r for e in eqs if text.p(e.lhs) == "dU¹" for r in latex.rows(e)]
    assert r"\frac{h^{1\,T}_{1} {\mathit{dscores}^{h}}^{1}_{2}}{|B|}" in rows[0][2]


def _tree(rng, depth: int, leaves: list[str], transposed: bool = True):
    """A random formula tree of sums, differences, products, outer products, quotients and transposes. Each
    leaf is a matrix of its own (``leaves`` collects their names) and none is transposed twice: p − p,
    (p + q) − q and (pᵀ)ᵀ would mean the same with brackets or without."""
    from bptui.core.formulas.formula import Op, Sym

    if depth == 0 or rng.random() < 0.25:
        leaves.append("p" + "acdefhijkmnqrtuvxy"[len(leaves) % 18] * (1 + len(leaves) // 18))
        return Sym(leaves[-1], vector=True)
    op = ["+", "-", "@", "outer", "/", "T"][rng.integers(6 if transposed else 5)]
    if op == "T":
        return Op("T", (_tree(rng, depth - 1, leaves, False),))
    return Op(op, tuple(_tree(rng, depth - 1, leaves, op != "outer") for _ in range(2)))


def _value(node, env: dict, rows: bool):
    """What a tree means: a ⊗ b is a bᵀ with column vectors, aᵀ b with row vectors (the printer's convention)."""
    from bptui.core.formulas.formula import Sym

    if isinstance(node, Sym):
        return env[node.base]
    v = [_value(a, env, rows) for a in node.args]
    return {"+": lambda: v[0] + v[1], "-": lambda: v[0] - v[1], "@": lambda: v[0] @ v[1], "/": lambda: v[0] / v[1],
            "T": lambda: v[0].T, "outer": lambda: v[0].T @ v[1] if rows else v[0] @ v[1].T}[node.op]()


def _read(text: str, env: dict):
    """The value of a printed formula, read as the printers mean it: ᵀ binds tightest, then /, then
    juxtaposition (a product), then + and −; None when it does not read."""
    import re as _re

    tokens = _re.findall(r"[a-z]+|[()+−/ᵀ]", text)
    at = 0

    def peek():
        return tokens[at] if at < len(tokens) else None

    def expr():
        nonlocal at
        value = term()
        while peek() in ("+", "−"):
            op = tokens[at]
            at += 1
            right = term()
            value = value + right if op == "+" else value - right
        return value

    def term():
        value = quotient()
        while peek() is not None and (peek() == "(" or peek().isalpha()):
            value = value @ quotient()
        return value

    def quotient():
        nonlocal at
        value = postfix()
        while peek() == "/":
            at += 1
            value = value / postfix()
        return value

    def postfix():
        nonlocal at
        value = primary()
        while peek() == "ᵀ":
            at += 1
            value = value.T
        return value

    def primary():
        nonlocal at
        token = peek()
        if token == "(":
            at += 1
            value = expr()
            if peek() != ")":
                raise ValueError(text)
            at += 1
            return value
        if token is None or not token.isalpha():
            raise ValueError(text)
        at += 1
        return env[token]

    try:
        value = expr()
    except (ValueError, KeyError):
        return None
    return value if at == len(tokens) else None


@pytest.mark.parametrize("name", ["lecture13", "cs231n"])
def test_printed_brackets_are_the_needed_ones(name):
    """Random formulas read back from their printed text are what they mean, and taking away any one pair of
    brackets changes what the text means: every pair printed is needed (column and row vectors)."""
    import numpy as np

    P = PROFILES[name]
    printer = TextPrinter(4, notation=P)
    rng = np.random.default_rng(23)
    checked = 0
    for _ in range(400):
        leaves: list[str] = []
        tree = _tree(rng, 4, leaves)
        env = {name: rng.uniform(0.5, 2.0, (3, 3)) for name in leaves}
        text = printer.p(tree)
        meant = _value(tree, env, P.vectors == "row")
        read = _read(text, env)
        assert read is not None and np.allclose(read, meant), text
        opening = [i for i, ch in enumerate(text) if ch == "("]
        for i in opening:
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            without = text[:i] + text[i + 1:j] + text[j + 1:]
            other = _read(without, env)
            assert other is None or not np.allclose(other, meant), f"{text}: the brackets at {i} are not needed"
            checked += 1
    assert checked > 200


# -- the per-example loss in the profile's own index: nielsen's C_x ------------------------------------------
def _trace(capsys, *args: str) -> str:
    assert main(["trace", "--no-color", *args]) == 0
    return capsys.readouterr().out


def _export(capsys, *args: str) -> str:
    assert main(["export", *args]) == 0
    return capsys.readouterr().out


def test_nielsen_names_an_examples_cost_below_it(capsys):
    """nielsen writes the cost of one example x as C_x (chapter 2): C₁, C₂, never C⁽¹⁾ (his plain
    superscripts are layers); the lecture keeps ℓ⁽ⁿ⁾ and goodfellow J⁽ⁿ⁾. His C is their mean (a mean profile)."""
    text = _trace(capsys, "xor", "--notation", "nielsen")
    assert "5. [loss] C₁ = Σₖ (aₖ³ − yₖ)² = (0.5593 − 0)² = 0.3128;   C ← C₁ = 0.3128" in text
    assert "[loss] C₂ = Σₖ (aₖ³ − yₖ)² = (0.4057 − 1)² = 0.3532;   C ← (C + C₂)/2 = (0.3128 + 0.3532)/2 = 0.333" in text
    assert "C⁽" not in text
    latex = _export(capsys, "xor", "--notation", "nielsen", "--format", "latex")
    assert r"C_{1} &= \sum_{k} (a_{k}^{3} - y_{k})^{2} \\" in latex and r"\frac{C + C_{2}}{2} \\" in latex
    assert r"$C_{n} = \sum_{k} (a_{k}^{3} - y_{k})^{2}$" in _export(capsys, "xor", "--notation", "nielsen")
    assert "[loss] ℓ⁽¹⁾ = Σₖ (oₖ⁽²⁾ − yₖ)² = (0.5593 − 0)² = 0.3128" in _trace(capsys, "xor")
    assert "[loss] J⁽¹⁾ = Σₖ (hₖ⁽²⁾ − yₖ)² = (0.5593 − 0)² = 0.3128" in _trace(capsys, "xor", "--notation", "goodfellow")


def test_a_sequences_cost_per_time_step_names_the_example_first():
    lines = [text for text, _ in forward_lines("count_tokens", "nielsen", 28)]  # step 28: example 1's loss
    assert "C₁,₁ = −Σₖ y₁,ₖ log(a⁴₁,ₖ) = −log(0.1639) = 1.808" in lines and lines[-6].startswith("C₁,₂ = ")
    assert lines[-2].startswith("C₁ = Σ_τ C_{1,τ} = 1.808 + 1.809 + 1.4205 + 1.4205 + 1.4205 = 7.879")


def test_a_courses_profile_chooses_how_an_example_is_indexed(tmp_path, capsys):
    import json

    from bptui.core.formulas.profiles import load_profile, profile_json

    doc = profile_json(PROFILES["ng"]) | {"name": "course", "example_index": "sub"}
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_profile(path).example_index == "sub"
    # (ng's file carries his per-example ℒ: example_loss)
    assert "[loss] ℒ₁ = Σₖ (aₖ^[2] − yₖ)² = (0.5593 − 0)² = 0.3128" in _trace(capsys, "xor", "--notation", str(path))
    assert profile_json(PROFILES["ng"])["example_index"] == "paren"
    path.write_text(json.dumps(doc | {"example_index": "above"}), encoding="utf-8")
    assert main(["trace", "xor", "--notation", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "example_index" in err and len(err.strip().splitlines()) == 1


# -- Adam's moments in goodfellow: s and r (his Algorithm 8.7) ------------------------------------------------
def _with_optimizer(tmp_path, name: str) -> str:
    import json

    with open(resolve("xor"), encoding="utf-8") as f:
        doc = json.load(f)
    doc["training"]["optimizer"] = name
    path = tmp_path / f"xor_{name}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_goodfellow_writes_adams_moments_s_and_r(tmp_path, capsys):
    """goodfellow's Adam: s ← ρ₁ s + (1 − ρ₁) g, r ← ρ₂ r + …, ŝ, r̂ (Algorithm 8.7), in trace, explanations and
    export; momentum's v stays v, the step itself (his Algorithm 8.2: test_notation_momentum.py), and the lecture
    and ng keep Adam's paper's m and v."""
    from bptui.core.engine.explain import Cell
    from bptui.core.teaching.explain import explain

    adam = _with_optimizer(tmp_path, "adam")
    text = _trace(capsys, adam, "--notation", "goodfellow")
    assert ("37. [update] s⁽¹⁾ ← ρ₁ s⁽¹⁾ + (1 − ρ₁) ∇_W⁽¹⁾ J = 0.9 [[0, 0], [0, 0]] + (1 − 0.9) "
            "[[0.05375, −0.0312], [0.03137, 0.06086]] = [[0.005375, −0.00312], [0.003137, 0.006086]];   "
            "r⁽¹⁾ ← ρ₂ r⁽¹⁾ + (1 − ρ₂) ∇_W⁽¹⁾ J⊙∇_W⁽¹⁾ J = ") in text
    assert "s\u0302⁽¹⁾ = s⁽¹⁾/(1 − ρ₁ᵗ) = [[0.005375, −0.00312], [0.003137, 0.006086]]/(1 − 0.9¹) = " in text
    assert "W⁽¹⁾ ← W⁽¹⁾ − ε s\u0302⁽¹⁾/(√r\u0302⁽¹⁾ + δ) = " in text and "m⁽" not in text and "v⁽" not in text
    latex = _export(capsys, adam, "--notation", "goodfellow", "--format", "latex")
    assert r"\hat{s}^{(1)} &= \frac{s^{(1)}}{1 - \rho_1^{t}}" in latex and r"\hat{r}^{(1)}" in latex
    assert r"$s^{(l)} \leftarrow \rho_1 s^{(l)} + (1 - \rho_1) \nabla_{W^{(l)}} J$" in _export(
        capsys, adam, "--notation", "goodfellow")
    stepper = Stepper(load_any(adam), notation=PROFILES["goodfellow"])
    for _ in range(38):
        stepper.forward()
    lines = explain(stepper, Cell("W", 1, 1, 1), 4).text().splitlines()
    assert lines[1:4] == ["  s₁,₁⁽¹⁾ ← ρ₁ s₁,₁⁽¹⁾ + (1 − ρ₁) ∇_w₁,₁⁽¹⁾ J", "          = 0.9·0 + (1 − 0.9)·0.05375",
                          "          = 0.005375"]
    assert lines[4] == "  r₁,₁⁽¹⁾ ← ρ₂ r₁,₁⁽¹⁾ + (1 − ρ₂)·(∇_w₁,₁⁽¹⁾ J)²"
    assert "m⁽¹⁾ ← β₁ m⁽¹⁾ + (1 − β₁) G⁽¹⁾ = " in _trace(capsys, adam)
    assert "v^[1] ← β₁ v^[1] + (1 − β₁) (m dW^[1]) = " in _trace(capsys, adam, "--notation", "ng")  # his v_dW, his m
    momentum = _trace(capsys, _with_optimizer(tmp_path, "momentum"), "--notation", "goodfellow")
    assert ("37. [update] v⁽¹⁾ ← α v⁽¹⁾ − ε ∇_W⁽¹⁾ J = 0.9 [[0, 0], [0, 0]] − 0.5 [[0.053749, −0.0312], "
            "[0.031367, 0.060861]] = [[−0.02687, 0.0156], [−0.01568, −0.03043]];   W⁽¹⁾ ← W⁽¹⁾ + v⁽¹⁾ = ") in momentum


# -- a 0-based profile renumbers units only: a head and τ count from 1 ---------------------------------------
def test_a_zero_based_profile_counts_heads_and_time_steps_from_1():
    """cs231n's units count from 0; attention's heads and τ, τ′ stay 1 … H and 1 … T as the lecture's."""
    P = PROFILES["cs231n"]
    stepper = Stepper(load_any(resolve("tiny_transformer")), notation=P)
    kind = stepper.net.kinds[2]
    text, lecture = TextPrinter(4, notation=P), TextPrinter(4)
    assert text.p(kind.cell_sym("a", 3, (0, 1, 2))) == "a₁,₂,₃³" and lecture.p(kind.cell_sym("a", 3, (0, 1, 2))) == "a₁,₂,₃⁽³⁾"
    assert text.p(kind.cell_sym("scores", 3, (1, 0, 0))) == "e₂,₁,₁³"
    assert text.p(kind.cell_sym("delta", 3, (0, 1, 1))) == "dscores₁,₂,₂³"
    assert text.p(kind.cell_sym("q", 3, (1, 2))) == "q₂,₂³"  # τ = 2, its unit 3 of the lecture's is cs231n's 2
    assert text.p(kind.cell_sym("dq", 3, (0, 0))) == "dq₁,₀³"  # d-prefixed, as its dW
    lines = []
    while not any(line.startswith("a₂³") for line in lines):
        step = stepper.forward()
        lines += [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                            notation=P)]
    heads = [line for line in lines if line.startswith(("a₁³", "a₂³"))]
    assert heads[0].startswith("a₁³ = softmax(e₁³) = softmax([[0.12617, 0.0049318, −0.39062, ")
    assert heads[1].startswith("a₂³ = softmax(e₂³) = softmax(")
    assert not any("a₀³" in line or "e₀³" in line for line in lines)


# -- a gated layer's U entry's gradient has U's name ----------------------------------------------------------
@pytest.mark.parametrize("example", ["gru_parity", "long_memory_lstm"])
def test_a_gated_layers_u_gradient_is_named_by_u(example):
    """Every entry of a gated layer's G has a name of its own, the weight's: G⁽ˡ⁾_{U,z,b,c} for u⁽ˡ⁾_{z,b,c} (a U
    column's c would otherwise be a W column's a), ∂C/∂u²_{z,b,c} in nielsen, du^[1] in ng, with U's own
    bias column (a profile's b_{h}) named as that bias's entries; in text and LaTeX."""
    spec = load_any(resolve(example))
    kind = spec.kinds[0]
    rows, cols = spec.weights[0].shape
    for name in ("lecture13", "nielsen", "ng", "cs231n", "goodfellow"):
        P = PROFILES[name]
        for printer in (TextPrinter(4, notation=P), LatexPrinter(4, notation=P)):
            names = [printer.p(kind.grad_sym(1, r, c)) for r in range(rows) for c in range(cols)]
            assert len(set(names)) == len(names), (name, type(printer).__name__)
    lecture, nielsen, ng = (TextPrinter(4, notation=PROFILES[n]) for n in ("lecture13", "nielsen", "ng"))
    d = kind.d
    u1 = d + (2 if example == "gru_parity" else 1)  # U's column c = 1 (a GRU's U has its own bias column first)
    gate = kind.gate_of(0)[0]
    assert lecture.p(kind.grad_sym(1, 0, u1)) == f"G⁽¹⁾_{{U,{gate},1,1}}" and lecture.p(kind.grad_sym(1, 0, 1)) == \
        f"G⁽¹⁾_{{{gate},1,1}}"
    assert nielsen.p(kind.grad_sym(1, 0, u1)) == f"∂C/∂u²_{{{gate},1,1}}" == "∂C/∂" + nielsen.p(kind.weight_sym(1, 0, u1))
    assert ng.p(kind.grad_sym(1, 0, u1)) == f"du^[1]_{{{gate},1,1}}"
    assert LatexPrinter(4).p(kind.grad_sym(1, 0, u1)) == f"G^{{(1)}}_{{U,{gate},1,1}}"
    if example == "gru_parity":  # U's own bias column: the bias b_{h}'s entry b_{h,r,1}, its gradient beside W's b_{r,1}
        assert nielsen.p(kind.grad_sym(1, 0, d + 1)) == "∂C/∂b²_{h,r,1}" and nielsen.p(kind.grad_sym(1, 0, 0)) == "∂C/∂b²_{r,1}"
        assert lecture.p(kind.grad_sym(1, 0, d + 1)) == "G⁽¹⁾_{U,r,1,0}"


def test_a_gru_explains_a_u_gradient_under_its_own_name():
    from bptui.core.engine.explain import Cell
    from bptui.core.teaching.explain import explain

    stepper = Stepper(load_any(resolve("gru_parity")))
    for _ in range(len(stepper.schedule)):
        stepper.forward()
    d = stepper.net.kinds[0].d
    lines = explain(stepper, Cell("G", 1, 1, d + 2), 4).text().splitlines()
    assert lines[0] == "G⁽¹⁾_{U,r,1,1} = 0.003011: G of layer 1 (gru), summed over τ"
    assert lines[1].startswith("  G⁽¹⁾_{U,r,1,1} = G⁽¹⁾ before this example + δʰ⁽¹⁾₄,₁ h⁽¹⁾₃,₁ + ")
    assert explain(stepper, Cell("G", 1, 1, 1), 4).text().startswith("G⁽¹⁾_{r,1,1} = ")


# -- a dense layer's G in a sequence network, in a mean profile: G/m, said and worked ---------------------------
def test_a_dense_layers_gradient_above_a_sequence_is_worked_as_g_over_m():
    """parity's dense layer above its rnn in ng: dw = (Σₙ dz a)/m with the group's sum and its m, as a dense
    layer's G outside sequences; on every τ for count_tokens' dense layer in nielsen; the lecture's sum unchanged."""
    from bptui.core.engine.explain import Cell
    from bptui.core.teaching.explain import explain

    def explained(example: str, name: str, steps: int, *cell: int):
        stepper = Stepper(load_any(resolve(example)), notation=PROFILES[name])
        lecture = Stepper(load_any(resolve(example)))
        for _ in range(steps):
            stepper.forward()
            lecture.forward()
        return explain(stepper, Cell("G", *cell), 4), explain(lecture, Cell("G", *cell), 4)

    ng, lecture = explained("parity", "ng", 40, 2, 1, 1)
    assert ng.value == pytest.approx(lecture.value / 28, rel=1e-12)
    assert ng.text().splitlines() == [
        "dw₁,₁^[2] = 0.02148: ∂J/∂w₁,₁^[2] averaged over the m = 28 examples of this update group",
        "  dW^[2] averages dz^[2] a^[1]ᵀ over the examples of the update group; see its G step's equation",
        "  dw₁,₁^[2] = (Σₙ dz₁^[2] a₁^[1])/m", "            = 0.6014/28", "            = 0.02148"]  # his m (his Adam's is v)
    assert lecture.text().splitlines()[1:] == [
        "  G⁽²⁾ sums δ⁽²⁾ o⁽¹⁾ᵀ over the examples of the update group; see its G step's equation", "  G₁,₁⁽²⁾ = 0.6014"]
    bias, _ = explained("parity", "ng", 40, 2, 1, 0)
    assert bias.text().splitlines()[2:] == ["  db₁^[2] = (Σₙ dz₁^[2])/m", "          = −0.6122/28", "          = −0.02186"]
    nielsen, lecture = explained("count_tokens", "nielsen", 70, 3, 1, 1)
    assert nielsen.value == pytest.approx(lecture.value / 10, rel=1e-12)
    assert nielsen.text().splitlines()[2:] == ["  ∂C/∂w₁,₁⁴ = (Σ_{n,τ} δ⁴_{τ,1} a³_{τ,1})/|B|", "            = −0.3372/10",
                                                "            = −0.03372"]


def test_goodfellows_adam_r_takes_r_from_a_kinds_r(tmp_path, capsys):
    """goodfellow's second moment r is a letter of the profile's own: a GRU's reset gate r and attention's row
    sums r give way to ϱ (ρ is his decay rates ρ₁, ρ₂) (the clash table), with every optimizer; the lecture and nielsen keep r."""
    import json

    with open(resolve("gru_parity"), encoding="utf-8") as f:
        doc = json.load(f)
    doc["training"]["optimizer"] = "adam"
    path = tmp_path / "gru_adam.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    text = _trace(capsys, str(path), "--notation", "goodfellow")
    assert "[forward] [ϱ, z, n]⁽¹⁾₁ = [σ(a⁽¹⁾_{1,x,ϱ} + a⁽¹⁾_{1,h,ϱ}), σ(a⁽¹⁾_{1,x,z} + a⁽¹⁾_{1,h,z}), " in text
    assert "r⁽¹⁾ ← ρ₂ r⁽¹⁾ + (1 − ρ₂) ∇_W⁽¹⁾ J⊙∇_W⁽¹⁾ J = " in text and "r⁽¹⁾_" not in text
    assert "ϱ" not in _trace(capsys, str(path), "--notation", "nielsen") and "[r, z, n]⁽¹⁾₁ = " in _trace(capsys, str(path))
    assert PROFILES["goodfellow"].clashes()["r"].latex == r"\varrho" and "r" not in PROFILES["nielsen"].clashes()

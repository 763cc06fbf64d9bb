"""A notation profile's program words its comments and names as the profile's panels and trace print them (issue 23's
closing note, the last small disagreements): the per-example loss's name, the optimizer's rule, an activation over
time, a kind's letters as the profile settles them, an index over time, a block's rule, a refusal's words.

The programs are written, not run here (test_codegen_notation*.py run them in every profile)."""

from __future__ import annotations

import re
import unicodedata
from functools import partial

import pytest

from bptui import codegen
from bptui.core.engine.equations import network_formulas
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import Sym, TextPrinter
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS

SHIPPED = [p for p in PROFILES if p != "lecture13"]
nfc = partial(unicodedata.normalize, "NFC")  # a hat typed here as one character, printed as a combining one


def _program(net: str, name: str, fmt: str = "numpy", steps: tuple[int, int] = (1, 40)) -> str:
    spec = load_any(NETWORKS / f"{net}.json")
    text, _ = codegen.program(spec, fmt, codegen.record(spec, *steps), None, PROFILES[name])
    return text


def _trace(net: str, name: str, steps: int) -> list[str]:
    """``bptui trace --notation``'s lines of the first ``steps`` steps (each step's rule and numbers)."""
    from bptui.core.engine.equations import step_equations

    spec = load_any(NETWORKS / f"{net}.json")
    P = PROFILES[name]
    stepper = Stepper(spec, notation=P)
    text = TextPrinter(4, notation=P)
    lines = []
    for _ in range(steps):
        step = stepper.forward()
        lines += [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)]
    return lines


# profile: the per-example loss as its trace prints it (example 1; example n), and its name in the program
LOSSES = {"ng": ("ℒ⁽¹⁾", "ℒ⁽ⁿ⁾", "L_n"), "nielsen": ("C₁", "Cₙ", "C_n"), "goodfellow": ("J⁽¹⁾", "J⁽ⁿ⁾", "J_n"),
          "cs231n": ("L₁", "Lₙ", "L_n")}


@pytest.mark.parametrize("name", SHIPPED)
def test_the_loss_variable_is_named_after_the_one_example_loss(name):
    """ng writes one example's loss ℒ⁽ⁿ⁾ and the cost J apart: the program's variable is L_n (ℒ's letter), commented
    with ℒ⁽ⁿ⁾, not J_n (the cost's letter); the other profiles write one example's loss with the loss's own letter."""
    printed, symbol, var = LOSSES[name]
    assert any(line.startswith(printed + " = ") for line in _trace("xor", name, 5))
    for fmt in ("numpy", "pytorch"):
        text = _program("xor", name, fmt, (1, 9))
        lines = [line.strip() for line in text.splitlines() if re.match(r"\s*\w+_n = ", line)]
        assert lines and all(line.startswith(f"{var} = ") for line in lines), (fmt, lines)
        assert lines[0].split("  # ")[1].startswith(symbol), lines[0]
        assert f"check({var}, " in text


def _update_rules(net: str, name: str) -> list[str]:
    """The profile's update rules of a layer's weights, as the help prints them (network_formulas)."""
    spec = load_any(NETWORKS / f"{net}.json")
    P = PROFILES[name]
    text = TextPrinter(notation=P)
    return [text.equation(e) for e in network_formulas(Stepper(spec, notation=P).net, spec.optimizer, P)]


# network: the weights' update rule in each profile, as its help prints it (hand-checked against the trace's update steps)
OPTIMIZER = {
    ("xor", "ng"): "W^[l] ← W^[l] − (α·m) dW^[l]",
    ("xor", "nielsen"): "wˡ ← wˡ − (η·m) ∂C/∂wˡ",
    ("xor", "goodfellow"): "W⁽ˡ⁾ ← W⁽ˡ⁾ − ε ∇_W⁽ˡ⁾ J",
    ("xor", "cs231n"): "Wˡ ← Wˡ − (learning_rate·m) dWˡ",
    ("moons", "ng"): "v^[l] ← μ v^[l] + (m dW^[l]); W^[l] ← W^[l] − α v^[l]",
    ("moons", "goodfellow"): "v⁽ˡ⁾ ← α v⁽ˡ⁾ − ε ∇_W⁽ˡ⁾ J; W⁽ˡ⁾ ← W⁽ˡ⁾ + v⁽ˡ⁾",
    ("iris", "ng"): "v^[l] ← β₁ v^[l] + (1 − β₁) (m dW^[l]); s^[l] ← β₂ s^[l] + (1 − β₂) (m dW^[l])⊙(m dW^[l]); "
                    "v̂^[l] = v^[l]/(1 − β₁ᵗ); ŝ^[l] = s^[l]/(1 − β₂ᵗ); W^[l] ← W^[l] − α v̂^[l]/(√ŝ^[l] + ε)",
    ("iris", "goodfellow"): "s⁽ˡ⁾ ← ρ₁ s⁽ˡ⁾ + (1 − ρ₁) ∇_W⁽ˡ⁾ J; r⁽ˡ⁾ ← ρ₂ r⁽ˡ⁾ + (1 − ρ₂) ∇_W⁽ˡ⁾ J⊙∇_W⁽ˡ⁾ J; "
                            "ŝ⁽ˡ⁾ = s⁽ˡ⁾/(1 − ρ₁ᵗ); r̂⁽ˡ⁾ = r⁽ˡ⁾/(1 − ρ₂ᵗ); W⁽ˡ⁾ ← W⁽ˡ⁾ − ε ŝ⁽ˡ⁾/(√r̂⁽ˡ⁾ + δ)",
}


@pytest.mark.parametrize("net,name", sorted(OPTIMIZER))
def test_the_pytorch_optimizer_line_says_the_profiles_update_rule(net, name):
    """The PyTorch program's optimizer line is commented with the profile's update rule of the weights, in its
    letters (ng's α and dW, goodfellow's ε and ∇_W J, nielsen's w), not the lecture's W ← W − η g; beside
    goodfellow's momentum (his step v ← α v − ε g) the velocity PyTorch keeps, in his letters (the same W)."""
    text = _program(net, name, "pytorch", (1, 9))
    line = next(line.strip() for line in text.splitlines() if line.strip().startswith("optimizer = torch.optim."))
    comment = line.split("  # ", 1)[1]
    assert nfc(comment).startswith(nfc(OPTIMIZER[net, name])), comment
    assert "η g" not in comment or name == "nielsen"
    rules = _update_rules(net, name)
    assert all(rule in map(nfc, rules) for rule in nfc(OPTIMIZER[net, name]).split("; ")), rules  # the help's own lines
    if (net, name) == ("moons", "goodfellow"):
        assert comment.endswith("(PyTorch keeps v⁽ˡ⁾ ← α v⁽ˡ⁾ + ∇_W⁽ˡ⁾ J; W⁽ˡ⁾ ← W⁽ˡ⁾ − ε v⁽ˡ⁾: the same W⁽ˡ⁾)"), comment


def test_the_pytorch_step_names_the_groups_sum_in_the_profiles_letters():
    """A mean profile's optimizer.step() works on .grad, the group's sum: the group's size times the mean gradient, as
    its update rule writes them (ng's m dW^[l], also beside his Adam's v; cs231n's |B| dWˡ beside Adam's m; nielsen's
    m ∂C/∂wˡ), never the lecture's W and
    dW in another profile's program."""
    for net, name, said in (("xor", "ng", "m dW^[l]"), ("iris", "ng", "m dW^[l]"), ("iris", "cs231n", "|B| dWˡ"),
                            ("xor", "nielsen", "m ∂C/∂wˡ")):
        text = _program(net, name, "pytorch", (1, 9))
        line = next(line.strip() for line in text.splitlines() if line.strip().startswith("optimizer.step()"))
        assert line.endswith(f"# on .grad: the group's sum, {said}"), line
        group, grad = said.split(" ")
        updates = [r for r in _update_rules(net, name) if "←" in r and grad in r.split(" ← ")[1]]  # dW's and the update's
        assert any(f"/{group}" in r for r in updates) and any(f"{group}" in r.split(" ← ")[1] for r in updates), updates


# network, profile: an activation's comment in the program (at τ: _τ), and the trace's line of it (at τ = 1)
ACTIVATIONS = [("parity", "goodfellow", "h⁽¹⁾_τ = tanh(a⁽¹⁾_τ)", "h⁽¹⁾₁ = tanh(a⁽¹⁾₁)"),
               ("stacked_parity", "ng", "a^[2]_τ = tanh(z^[2]_τ)", "a^[2]₁ = tanh(z^[2]₁)"),
               ("count_tokens", "goodfellow", "h⁽²⁾_τ = tanh(a⁽²⁾_τ)", "h⁽²⁾₁ = tanh(a⁽²⁾₁)"),
               ("count_tokens", "cs231n", "h³_τ = softmax(scores³_τ)", "h³₁ = softmax(scores³₁)"),
               ("parity", "nielsen", "a³ = σ(z³)", "a³ = σ(z³)"),
               ("xor", "ng", "a^[2] = σ(z^[2])", "a^[2] = σ(z^[2])"),
               ("shapes", "cs231n", "h¹ = relu(scores¹)", "h¹ = relu(scores¹)")]


@pytest.mark.parametrize("net,name,said,printed", ACTIVATIONS)
def test_an_activations_comment_names_the_function_the_panels_print(net, name, said, printed):
    """A layer's a = f(z) (at τ and once) is commented with the activation as the panels and the trace print it
    (tanh, σ, softmax, relu), not f (a recurrent layer's and a dense layer's at τ) or the file's name (sigmoid)."""
    steps = {"count_tokens": 60, "shapes": 20}.get(net, 80)
    assert any(line.startswith(printed + " = ") for line in _trace(net, name, steps)), name
    for fmt in ("numpy", "pytorch"):
        text = _program(net, name, fmt, (1, steps))
        comments = [line.split("  # ", 1)[1] for line in text.splitlines() if "  # " in line]
        assert said in comments or "[1, " + said.split(" = ")[1] + "]" in text, (fmt, said)
        assert not [c for c in comments if re.search(r"= (\[1, )?(f|sigmoid)\(", c)], fmt


@pytest.mark.parametrize("name,rsum", [("goodfellow", "ϱ"), ("ng", "r"), ("cs231n", "r")])
def test_attentions_row_sum_is_written_as_the_panels_print_it(name, rsum):
    """Attention's δ = A ⊙ (∂ℓ/∂A − r) names the row sum r as the profile's rule prints it (goodfellow's ϱ, his Adam's
    r taking the letter) and says what it is as the trace's step does (ϱ_τ = A_τ·∇_A_τ J along row τ)."""
    text = _program("count_tokens", name, "numpy", (1, 60))
    line = next(line for line in text.splitlines() if ".sum(axis=-1, keepdims=True))  # " in line and " * (" in line)
    comment = line.split("  # ", 1)[1]
    said = re.search(rf"\b({rsum}_τ = [^,]+?) along row τ", comment)  # the rule's note: the row sum's definition
    assert said and (rsum == "r" or not re.search(r"(^|[ ,(])r\b", comment)), comment
    assert any(said.group(1) + "," in line for line in _trace("count_tokens", name, 60)), said.group(1)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_grus_delta_h_is_written_as_the_panels_print_it(name):
    """A GRU's δʰ = [δ_r, δ_z, r ⊙ δ_n] is written as the profile's panels print it (cs231n's dscoresʰ, ng's dzʰ,
    goodfellow's gʰ: Profile.delta_h), with its layer and time (dscoresʰ¹_{τ+1}), in the comments of ∂ℓ/∂h, of δ and of
    U's and b_h's gradients: what the trace prints there at τ = 2, 3."""
    P = PROFILES[name]
    text = _program("gru_parity", name, "numpy", (1, 120))
    comments = [line.split("  # ", 1)[1] for line in text.splitlines() if "  # " in line]
    dh = TextPrinter(notation=P).p(Sym("δʰ", 1, vector=True, time="τ+1"))  # layer 1, as the profile numbers it
    assert P.delta_h().text in dh and dh.endswith("_{τ+1}"), dh
    assert not [c for c in comments if "δʰ" in c] or P.delta_h().text == "δʰ", [c for c in comments if "δʰ" in c]
    trace = _trace("gru_parity", name, 120)
    back = next(c for c in comments if f" + {dh} " in c or f" {dh} " in c)  # ∂ℓ/∂h_τ's comment
    assert "from above" in back, back
    at2 = dh.replace("_{τ+1}", "₂")
    assert any(at2 in line for line in trace), at2  # the trace's ∂ℓ/∂h₁ reads δʰ₂ so
    grads = [c for c in comments if "ʰ" in c and " ← " in c]
    assert len(grads) == 2 and all(dh.replace("_{τ+1}", "_τ") in c for c in grads), grads


@pytest.mark.parametrize("net", ["long_memory_lstm", "gru_parity"])
@pytest.mark.parametrize("name", SHIPPED)
def test_a_gated_layers_comments_write_tau_plus_one_as_the_panels_do(net, name):
    """An LSTM's and a GRU's comments write a symbol at τ+1 or τ−1 as the printer writes it (f¹_{τ+1}, the trace's
    note), never f_τ+1 without braces; the LSTM's f at τ+1 and the GRU's z at τ+1 with their layer, as the trace's
    note and step print them."""
    P = PROFILES[name]
    text = _program(net, name, "numpy", (1, 140))
    comments = [line.split("  # ", 1)[1] for line in text.splitlines() if "  # " in line]
    assert not [c for c in comments if re.search(r"_τ[+−]1", c)], [c for c in comments if re.search(r"_τ[+−]1", c)]
    gate = {"long_memory_lstm": "f", "gru_parity": "z"}[net]
    printed = TextPrinter(notation=P).p(Sym(gate, 1, vector=True, time="τ+1"))  # ng's GRU z is u
    assert any(f"+ {printed} ⊙ " in c for c in comments), (printed, [c for c in comments if "τ+1" in c])
    trace = " ".join(_trace(net, name, 140))
    assert printed in trace or printed.replace("_{τ+1}", "₃₀") in trace or printed.replace("_{τ+1}", "₂") in trace


def test_a_blocks_fan_in_is_written_as_its_code_multiplies_with_rows():
    """cs231n's row vectors: a block's ∂ℓ/∂x reads dscores⁸ W⁸ᵀ beside the code dscores8 @ W8.T, as the trace's fan-in
    step prints it (deep_residual: dx⁵ = dscores⁸ W⁸ᵀ + dscores⁶ W⁶ᵀ), not the column profiles' W⁸ᵀ dscores⁸."""
    text = _program("deep_residual", "cs231n", "numpy", (1, 60))
    line = next(line.strip() for line in text.splitlines() if line.strip().startswith("dx5 = "))
    code, comment = line.split("  # ")
    assert code == "dx5 = dscores8 @ W8.T + dscores6 @ W6.T" and comment == "dx⁵ = dscores⁸ W⁸ᵀ + dscores⁶ W⁶ᵀ", line
    assert any(step.startswith(comment + " = ") for step in _trace("deep_residual", "cs231n", 60))


@pytest.mark.parametrize("name,o_rule,dx_rule", [
    ("cs231n", "h⁴_τ = h¹_τ + h⁶_τ", "dx⁴_τ = dscores⁷_τ W⁷ᵀ + dx⁵_τ"),
    ("ng", "a^[4]_τ = a^[1]_τ + a^[6]_τ", "dx^[4]_τ = W^[7]ᵀ dz^[7]_τ + dx^[5]_τ")])
def test_a_block_at_each_tau_writes_its_rules_at_tau(name, o_rule, dx_rule):
    """tiny_transformer's block 4 runs at each τ: its o and ∂ℓ/∂x comments are its rules at τ (h⁴_τ = h¹_τ + h⁶_τ, as
    the trace's note reads x = h¹_τ, F(x) = h⁶_τ), the weights without τ, as the layers at τ write theirs."""
    text = _program("tiny_transformer", name, "numpy", (1, 120))
    comments = [line.strip().split("  # ", 1)[1] for line in text.splitlines() if line.strip().startswith(("h4[t] = ", "a4[t] = ", "dx4[t] = "))]
    assert comments == [o_rule, dx_rule], comments
    x, f = o_rule.split(" = ")[1].split(" + ")
    assert any(f"(x = {x}, F(x) = {f}: " in line for line in _trace("tiny_transformer", name, 30))


def test_a_course_profiles_dense_layer_over_time_reads_its_input_with_the_one_on_top(tmp_path):
    """A course profile with the bias in column 0 of W: the dense layer above parity's rnn multiplies [1, v⁽¹⁾_T] (the
    code's np.concatenate([[1.0], v1[T]])); its forward and gradient comments print the 1 as the trace does
    (u⁽²⁾ = M⁽²⁾ [1, v⁽¹⁾₂], D⁽²⁾ ← D⁽²⁾ + (e⁽²⁾ [1, v⁽¹⁾₂]ᵀ)/|B|), not M⁽²⁾ v⁽¹⁾_T."""
    import json

    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.profiles import profile_from_json

    from .test_codegen_notation import COURSE

    path = tmp_path / "course.json"
    path.write_text(json.dumps(COURSE))
    P = profile_from_json(COURSE, str(path))
    spec = load_any(NETWORKS / "parity.json")
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 80), None, P)
    lines = {line.strip().split(" = ")[0].split(" += ")[0]: line.strip() for line in text.splitlines()
             if line.strip().startswith(("u2 = ", "D2 += "))}
    assert lines["u2"].endswith("  # u⁽²⁾ = M⁽²⁾ [1, v⁽¹⁾_T]"), lines["u2"]
    assert lines["D2"].endswith("  # D⁽²⁾ ← D⁽²⁾ + (e⁽²⁾ [1, v⁽¹⁾_T]ᵀ)/|B|"), lines["D2"]
    stepper = Stepper(spec, notation=P)
    printed = TextPrinter(notation=P)
    seen = []
    for _ in range(10):
        step = stepper.forward()
        seen += [printed.equation(e) for e in step_equations(stepper.net, stepper.state, step, spec.optimizer, notation=P)]
    assert any(re.match(r"u⁽²⁾ = M⁽²⁾ \[1, v⁽¹⁾[₀-₉]+\] = ", s) for s in seen), seen  # at τ = T, the example's last
    assert any(re.match(r"D⁽²⁾ ← D⁽²⁾ \+ \(e⁽²⁾ \[1, v⁽¹⁾[₀-₉]+\]ᵀ\)/\|B\| = ", s) for s in seen)


def test_a_profile_programs_refusal_says_where_the_notation_came_from(tmp_path, capsys):
    """A profile's program refused (a course profile whose symbols make one name of two quantities: v and v′ are v1)
    names the notation as the command got it: --notation course when the option chose it, the file's "notation"
    when the network file names it (no --notation was typed: "without --notation" would change nothing); the way
    out in both, --notation lecture13 (it wins over the file's)."""
    import json

    from bptui.cli import main

    from .test_codegen_notation import COURSE

    course = json.loads(json.dumps(COURSE))
    course["symbols"]["pre_activation"] = {"text": "v′", "latex": "v'"}  # v′1 and v1: one name, v1
    (tmp_path / "clash.json").write_text(json.dumps(course))
    doc = json.loads((NETWORKS / "xor.json").read_text())
    doc["notation"] = str(tmp_path / "clash.json")
    (tmp_path / "xor.json").write_text(json.dumps(doc))
    out = str(tmp_path / "p.py")
    said = {}
    for case, argv in (("option", [str(NETWORKS / "xor.json"), "--notation", str(tmp_path / "clash.json")]),
                       ("file", [str(tmp_path / "xor.json")])):
        assert main(["export", *argv, "--format", "numpy", "--output", out]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ") and "as 'v1'" in err, err
        assert "without --notation" not in err and err.rstrip().endswith("(--notation lecture13: the lecture13 program)"), err
        said[case] = err
    assert "--format numpy --notation course: " in said["option"], said["option"]
    assert "--notation course" not in said["file"] and "--format numpy in the file's notation course: " in said["file"], said["file"]


@pytest.mark.parametrize("name,said", [("ng", "mean dW^[l] (the group's sum / m)"), ("nielsen", "mean ∂C/∂wˡ (the group's sum / m)"),
                                       ("cs231n", "mean dWˡ (the group's sum / m)"), ("goodfellow", "sum ∇_W⁽ˡ⁾ J")])
def test_the_helps_group_gradient_line_names_the_profiles_gradient(name, said):
    """The help's notation section (and the manual's table, from the same rows) says how a group's gradient is
    written with the profile's own gradient (ng's dW^[l], nielsen's ∂C/∂wˡ), not the lecture's G/m in every profile;
    the panels' note under it the same way."""
    from bptui.core.engine.equations import notation_table, profile_rows
    from bptui.tui.help import notation_text

    P = PROFILES[name]
    assert dict(profile_rows(P))["a group's gradient"] == said
    text = " ".join(notation_text(P, 1000).split())
    assert f"a group's gradient: {said}" in text and "G/m" not in text, text
    if P.mean:
        assert "the mean over the update group's m examples" in text
    assert "G/m" not in "\n".join(notation_table())


@pytest.mark.parametrize("name,net,group", [("nielsen", "iris", "|B|"), ("cs231n", "iris", "|B|"), ("ng", "iris", "m"),
                                            ("nielsen", "xor", "m")])
def test_the_helps_group_gradient_line_names_the_group_as_the_networks_lines_do(name, net, group):
    """The help's "a group's gradient" row and its note name the group's size as this network's update lines, trace
    and program do: |B| beside Adam's m⁽ˡ⁾ (iris in nielsen and cs231n), m where nothing else takes m (ng's Adam
    writes v; plain gradient descent)."""
    from bptui.tui.help import help_text

    P = PROFILES[name]
    spec = load_any(NETWORKS / f"{net}.json")
    text = " ".join(help_text(spec, P, 1000).split())
    assert f"(the group's sum / {group})" in text and f"the mean over the update group's {group} examples" in text, text
    other = "m" if group == "|B|" else "|B|"
    assert f"(the group's sum / {other})" not in text and f"group's {other} examples" not in text
    rules = _update_rules(net, name)  # the help's rules of this network, as its steps write them
    assert not any(f"/{other}" in r or f"({other} " in r or f"·{other})" in r for r in rules), rules

"""A notation profile's program says what the profile's panels and trace print (issue 23, "one truth").

- The comment of a gradient line in a mean profile divides by the update group's size as the panels print it:
  |B| where the profile's m is taken (Adam's first moment m, dropout's mask m), m otherwise; the update's
  g = |B| dW likewise. Every kind that writes gradient lines (dense, conv, the dense layer reading a map, rnn,
  LSTM, GRU), checked against the trace's own gradient step of the same layer.
- A gated layer's output (an LSTM's, a GRU's h) is named as its panels print it (h2[t], not the profile's a2[t]);
  the layer above reads h[T] under its comment as the trace prints that line (nielsen's and ng's a²_T); ∂ℓ/∂h_τ is
  named as the panels print it (cs231n's dh¹_τ: dh1, not dh_1).

The programs are written, not run here (test_codegen_notation*.py run them).
"""

from __future__ import annotations

import re

import pytest

from bptui import codegen
from bptui.core.engine.equations import group_symbol, step_equations
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load_any
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS

MEAN = [name for name, P in PROFILES.items() if P.mean]
# network: (its steps to export, the group size as the panels print it in a mean profile)
NETS = {"shapes": (200, "|B|"), "iris": (40, "|B|"), "parity": (40, "|B|"), "long_memory_lstm": (200, "|B|"),
        "gru_parity": (40, "|B|"), "moons": (40, "m"), "two_channel": (40, "m")}


def _printed_group(stepper, P) -> set[str]:
    """The divisor every gradient step of the trace prints (``)/X`` at the end of its rule)."""
    text = TextPrinter(4, notation=P)
    seen = set()
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        if step.key.phase == "backward" and step.key.quantity == "G":
            for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer, notation=P):
                rule = text.p(e.lhs) + " ← " + text.p(e.forms[0])
                seen.update(re.findall(r"\)/(\|B\||m)\b", rule) if "|B|" not in rule else re.findall(r"\)/(\|B\|)", rule))
        if step.key.phase == "update":
            break
    return seen


@pytest.mark.parametrize("name", MEAN)
@pytest.mark.parametrize("net", sorted(NETS))
def test_a_gradient_comment_divides_by_the_group_as_the_panels_print_it(net, name):
    P = PROFILES[name]
    spec = load_any(str(NETWORKS / f"{net}.json"))
    steps, group = NETS[net]
    if group == "|B|" and spec.optimizer.name == "adam" and name == "ng":  # his Adam's first moment is v: m is free
        group = "m"
    stepper = Stepper(spec, notation=P)
    assert TextPrinter(notation=P).p(group_symbol(spec.optimizer, stepper.net.kinds)) == group
    assert _printed_group(stepper, P) == {group}  # the trace's gradient steps
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, steps), None, P)
    grads = [line for line in text.splitlines() if re.search(r"\+= .* / m  # ", line)]
    assert grads, text[:2000]
    for line in grads:
        comment = line.split("  # ", 1)[1]
        assert f"/{group}" in comment, line
        if group != "m":
            assert not re.search(r"/m\b", comment), line
    updates = [line for line in text.splitlines() if re.search(r"^\s*g = m \* ", line)]
    assert updates
    for line in updates:
        assert f"# g = {group} " in line, line


def _trace_lines(spec, P, steps: int) -> list[str]:
    """The trace's rule and numbers of the first ``steps`` steps, as the panels' equation line prints them."""
    stepper = Stepper(spec, notation=P)
    text = TextPrinter(4, notation=P)
    lines = []
    for _ in range(steps):
        step = stepper.forward()
        lines += [text.equation(e) for e in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer,
                                                           notation=P)]
    return lines


# profile: (the gated layer's number as the profile prints it, its output's name, the layer above's line, that line's
# input as the trace prints it there, ∂ℓ/∂h's list)
GATED = {"nielsen": ("2", "h2", "z3 = w3 @ h2[T] + b3  # z³ = w³ a²_T + b³", "w³ a²₃₀", "dC_dh2"),
         "ng": ("1", "h1", "z2 = W2 @ h1[T] + b2  # z^[2] = W^[2] a^[1]_T + b^[2]", "W^[2] a^[1]₃₀", "dh1"),
         "cs231n": ("1", "h1", "scores2 = h1[T] @ W2 + b2  # scores² = h¹_T W² + b²", "h¹₃₀ W²", "dh1"),
         "goodfellow": ("1", "h1", "a2 = W2 @ h1[T] + b2  # a⁽²⁾ = W⁽²⁾ h⁽¹⁾_T + b⁽²⁾", "W⁽²⁾ h⁽¹⁾₃₀", "dJ_dh1")}


@pytest.mark.parametrize("name", sorted(GATED))
def test_an_lstms_output_is_named_as_its_panels_print_it(name):
    """long_memory_lstm (T = 30): the LSTM's output list is h (the panels' h²_τ = ō ⊙ tanh(c²_τ)), never the
    profile's activation a; the dense layer above reads h[T], its comment what the trace prints there (nielsen's and
    ng's a²_T: the layer's output read as a, as their panels write the dense layer's input); ∂ℓ/∂h_τ's list is named
    as the panels print it (cs231n's dh¹_τ: dh1, the layer's ∂ℓ/∂h¹ itself, not dh_1)."""
    P = PROFILES[name]
    spec = load_any(str(NETWORKS / "long_memory_lstm.json"))
    k, h, above, read, dh = GATED[name]
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 140), None, P)
    outputs = [line.strip() for line in text.splitlines() if "ō ⊙ tanh(" in line and "] = " in line]
    assert outputs and all(line.startswith(f"{h}[t] = ") for line in outputs), outputs
    symbol = outputs[0].split("  # ")[1].split(" = ")[0]  # the program's comment: h²_τ as the panels print it
    assert symbol.startswith("h") and symbol.endswith("_τ"), symbol
    assert above in text
    assert f"{h}[t - 1]" in text and f"{h}[0] = " in text
    a = P.symbol("activation").text
    if a != "h":  # the profile's a names the layer's output nowhere in the program's code
        assert not re.search(rf"\b{a}{k}\[", text), name
    assert f"{dh}[t] = " in text and f"{dh.rstrip('0123456789')}_{k}" not in text
    trace = _trace_lines(spec, P, 140)
    assert any(read in line for line in trace), name  # the layer above reads what the trace prints
    assert any(line.startswith(symbol.replace("_τ", "₃₀")) for line in trace)  # the LSTM's h at τ = T


@pytest.mark.parametrize("name", sorted(GATED))
def test_an_lstms_cell_gradient_comment_is_the_traces_rule_at_tau(name):
    """long_memory_lstm: the comment of ∂ℓ/∂c_τ's line is the rule the trace prints at τ, ō and c with their layer
    and τ (ng's dc^[1]_τ = dh^[1]_τ ⊙ ō^[1]_τ ⊙ (1 − tanh(c^[1]_τ)⊙tanh(c^[1]_τ)) + …), not ō ⊙ (1 − tanh²)."""
    P = PROFILES[name]
    spec = load_any(str(NETWORKS / "long_memory_lstm.json"))
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 140), None, P)
    comments = [line.split("  # ", 1)[1] for line in text.splitlines() if "(1 - np.tanh(" in line and "  # " in line
                and "* dc" not in line.split("  # ")[0].split(" = ")[0]]
    assert comments and all("tanh²" not in c for c in comments), comments
    rule = comments[0].split(" + ")[0]  # the part at τ, before the path from τ+1
    at_29 = rule.replace("_τ", "₂₉")
    trace = [line.split(" + ")[0] for line in _trace_lines(spec, P, 140) if " ⊙ (1 − tanh(" in line]
    assert at_29 in trace, (at_29, trace[:2])


def test_a_grus_output_is_named_as_its_panels_print_it():
    """gru_parity in nielsen and ng: its output list is h too (h²_τ = (1 − z) ⊙ n + z ⊙ h²_{τ−1})."""
    spec = load_any(str(NETWORKS / "gru_parity.json"))
    for name, h, a in (("nielsen", "h2", "a2"), ("ng", "h1", "a1")):
        text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 40), None, PROFILES[name])
        assert f"{h}[t] = (1 - " in text and not re.search(rf"\b{a}\[", text), name


def test_the_programs_header_names_the_group_and_the_rate_as_the_panels_print_them():
    """A mean profile's program says in its header how the numbers are laid out: the group's mean (1/m) Σ and the
    update W − (η m)·(the mean), in the profile's letters and with the group's size as its panels print it (|B|
    where Adam's first moment takes m: iris in cs231n; m on xor, plain gradient descent, and in ng, whose Adam
    writes its first moment v)."""
    import textwrap

    for net, name, want in (("iris", "ng", ("(1/m) Σ", "W − (α m)·(the mean)")),
                            ("xor", "ng", ("(1/m) Σ", "W − (α m)·(the mean)")),
                            ("iris", "cs231n", ("(1/|B|) Σ", "W − (learning_rate |B|)·(the mean)"))):
        spec = load_any(NETWORKS / f"{net}.json")
        text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 5), None, PROFILES[name])
        header = " ".join(text.split('"""')[1].split())
        assert all(w in header for w in want), (net, name, textwrap.shorten(header, 400))

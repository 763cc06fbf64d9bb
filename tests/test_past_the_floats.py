"""Numbers past the float range. ℓ_D: a network whose every loss is below the smallest normal float (an output of
e^−800 with target 0: −log(1 − 6.047e−348) = 6.047e−348, 0 in floats) sums its losses exactly, and every
view prints that sum in the numbers' format rule (``%g`` at the digits shown): the header's ``ℓ_D so
far``, the trace's ℓ_D lines and end of epoch (text and the JSON's printed equation), the export's
end of epoch (Markdown and LaTeX), in the lecture's sum and in a mean profile's mean. The exact values
are computed here in mpmath from the logits, apart from bptui's own arithmetic. And a line of arithmetic whose
exact result is below the smallest normal float (an attention δ's explanation on subnormal numbers,
a·(da − r), which the floats round to 0) prints that exact result, its operands with the digits that
make it true, as the property test (formula_checks.check_past_the_floats) redoes it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import mpmath
import numpy as np
import pytest

from bptui.cli import main
from bptui.core.formulas.formula import LatexPrinter, Num
from bptui.core.formulas.notation import minus_signs, short_exponent

# logits −800 + 0.5·x: −799.5, −800.5, −799.75 (exact in floats); targets 0, so ℓ⁽ⁿ⁾ = log(1 + e^s)
LOGITS = ("-799.5", "-800.5", "-799.75")
DOC = {"name": "sat", "layers": [{"units": 1}, {"units": 1, "activation": "sigmoid"}], "weights": [[[-800.0, 0.5]]],
       "loss": "cross_entropy", "data": {"inputs": [[1.0], [-1.0], [0.5]], "targets": [[0.0], [0.0], [0.0]]},
       "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "sat.json"
    p.write_text(json.dumps(DOC))
    return p


def exact_losses() -> list:
    with mpmath.workdps(50):
        return [mpmath.log1p(mpmath.exp(mpmath.mpf(s))) for s in LOGITS]


def running(mean: bool = False) -> list:
    """ℓ_D after each example (a mean profile's: the mean of the losses so far), exactly."""
    out, total = [], mpmath.mpf(0)
    with mpmath.workdps(50):
        for k, loss in enumerate(exact_losses(), start=1):
            total += loss
            out.append(total / k if mean else +total)
    return out


def g(x, digits: int = 4) -> str:
    """x as %g writes it (trailing zeros dropped), from its exact decimal digits."""
    mantissa, e, exponent = format(Decimal(mpmath.nstr(x, 40)), f".{digits}g").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return short_exponent(mantissa + e + exponent)


def printed(x, digits: int = 4) -> str:
    """x as the views write a number: %g at ``digits``, short exponent, real minus."""
    return minus_signs(g(x, digits))


def latex(x, digits: int = 4) -> str:
    return LatexPrinter._g(g(x, digits))


def test_the_exact_values_are_past_the_floats():
    sums = running()
    assert all(float(x) == 0.0 for x in sums + exact_losses())  # 0 in floats, every one
    assert [printed(x) for x in exact_losses()] == ["6.047e−348", "2.225e−348", "4.71e−348"]
    assert [printed(x) for x in sums] == ["6.047e−348", "8.272e−348", "1.298e−347"]


def _run(capsys, *args: str) -> list[str]:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out.splitlines()


def test_the_trace_sums_the_losses_exactly(capsys, path):
    lines = _run(capsys, "trace", str(path))
    sums, losses = running(), exact_losses()
    steps = [line for line in lines if "[loss]" in line]
    assert len(steps) == 3
    for n, line in enumerate(steps):
        acc = line.split(";")[1].strip()
        before = "0" if n == 0 else printed(sums[n - 1])
        assert acc == f"ℓ_D ← ℓ_D + ℓ⁽{'¹²³'[n]}⁾ = {before} + {printed(losses[n])} = {printed(sums[n])}", line
    assert f"End of epoch 1: ℓ_D = {printed(sums[-1])}" in lines


def test_a_mean_profile_prints_the_exact_mean(capsys, path):
    lines = _run(capsys, "trace", str(path), "--notation", "ng")
    means = running(mean=True)
    steps = [line for line in lines if "[loss]" in line]
    assert steps[0].endswith(f"J ← ℒ⁽¹⁾ = {printed(means[0])}")
    assert steps[1].endswith(f"J ← (J + ℒ⁽²⁾)/2 = ({printed(means[0])} + {printed(exact_losses()[1])})/2 = "
                             f"{printed(means[1])}")
    assert steps[2].endswith(f"= (2·{printed(means[1])} + {printed(exact_losses()[2])})/3 = {printed(means[2])}")
    assert f"End of epoch 1: J = {printed(means[-1])}" in lines


def test_the_trace_json_equation_is_the_texts(capsys, path):
    """JSON's numbers stay floats (0: the contract); its printed equation is the text trace's."""
    text = [line.split("] ", 1)[1] for line in _run(capsys, "trace", str(path)) if "[loss]" in line]
    rows = [json.loads(line) for line in _run(capsys, "trace", str(path), "--format", "json")]
    losses = [row for row in rows if row["quantity"] == "loss"]
    assert [row["equation"] for row in losses] == text
    assert [row["value"] for row in losses] == [0.0, 0.0, 0.0]
    assert text[2].endswith(f"= {printed(running()[-1])}")


def test_the_export_ends_the_epoch_with_the_exact_sum(capsys, path):
    total = running()[-1]
    markdown = _run(capsys, "export", str(path))
    assert any(line.startswith("End of epoch 1:") and line.endswith(f"= {latex(total)}$.") for line in markdown), \
        [line for line in markdown if line.startswith("End of epoch")]
    tex = _run(capsys, "export", str(path), "--format", "latex")
    assert any(line.startswith("End of epoch 1:") and line.endswith(f"= {latex(total)}$.") for line in tex)
    mean = _run(capsys, "export", str(path), "--notation", "ng")
    assert any(line.startswith("End of epoch 1:") and line.endswith(f"= {latex(running(mean=True)[-1])}$.")
               for line in mean)


def test_csv_keeps_the_float(capsys, path):
    """The CSV's value column is the float the step computed (a spreadsheet's cell is a float64: 0 for
    6.047e−348), as docs/code-export.md says."""
    rows = [line.split(",") for line in _run(capsys, "export", str(path), "--format", "csv")]
    assert [row[-1] for row in rows if row[4] == "loss"] == ["0", "0", "0"]


async def test_the_header_prints_the_exact_sum(path):
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(path))
    sums, losses = running(), exact_losses()
    async with app.run_test(size=(160, 40)) as pilot:
        main_screen = app.main
        for n in range(3):
            while main_screen.stepper.position < 5 * n + 3:  # through example n + 1's loss step
                main_screen.action_next()
            await pilot.pause()
            status = str(app.query_one("#status").render())
            assert f"ℓ⁽{'¹²³'[n]}⁾ = {printed(losses[n])} · ℓ_D so far = {printed(sums[n])}" in status, status
        assert re.search(r"ℓ_D so far = 1\.298e−347\b", status)


# a sequence's loss per τ (return_sequences): each τ's output e^−800 with target 0 (its rnn layer's o is not read)
SEQ = {"name": "seqsat", "layers": [{"units": 1}, {"type": "rnn", "units": 1, "activation": "tanh", "return_sequences": True},
                                    {"units": 1, "activation": "sigmoid"}],
       "weights": [{"W": [[0.0, 0.5]], "U": [[0.0]]}, [[-800.0, 0.0]]],
       "loss": "cross_entropy", "data": {"inputs": [[[1.0], [0.0]], [[1.0]]], "targets": [[[0.0], [0.0]], [[0.0]]]},
       "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


async def test_a_sequence_sums_its_losses_exactly(tmp_path, capsys):
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    path = tmp_path / "seq.json"
    path.write_text(json.dumps(SEQ))
    with mpmath.workdps(50):
        one = mpmath.log1p(mpmath.exp(mpmath.mpf(-800)))
        first, total = 2 * one, 3 * one
    steps = [line for line in _run(capsys, "trace", str(path)) if "[loss]" in line or "End of epoch" in line]
    assert steps[0].endswith(f"ℓ_D ← ℓ_D + ℓ⁽¹⁾ = 0 + {printed(first)} = {printed(first)}")
    assert steps[1].endswith(f"ℓ_D ← ℓ_D + ℓ⁽²⁾ = {printed(first)} + {printed(one)} = {printed(total)}")
    assert steps[2] == f"End of epoch 1: ℓ_D = {printed(total)}"
    app = BptuiApp(load(path))
    async with app.run_test(size=(160, 40)) as pilot:
        main_screen = app.main
        while main_screen.stepper.state.loss is None:
            main_screen.action_next()
        await pilot.pause()
        status = str(app.query_one("#status").render())
        assert f"ℓ⁽¹⁾ = {printed(first)} · ℓ_D so far = {printed(first)}" in status, status


def test_arithmetic_past_the_floats_prints_its_exact_result():
    """2.3e−14·(9.1e−316 − 1.8e−315) is −2.0e−329, 0 in floats (the line printed ``= 0``); 1e−200·3e−200 is
    3e−400. Text and LaTeX, at 2 to 6 digits, the operands each a float exactly (mpmath from the float)."""
    from bptui.core.formulas.formula import Equation, Num, Sym, TextPrinter, group, mul, sub

    from .formula_checks import check_equation, check_text

    cases = []
    a, da, r = 2.3456789e-14, 9.1234567e-316, 1.8123457e-315
    cases.append((Equation(Sym("δ"), (mul(Num(a), group(sub(Num(da), Num(r)))), Num(a * (da - r)))),
                  lambda: mpmath.mpf(a) * (mpmath.mpf(da) - mpmath.mpf(r))))
    b, c = 1.2345678e-200, 3.3333333e-200
    cases.append((Equation(Sym("g"), (mul(Num(b), Num(c)), Num(b * c))), lambda: mpmath.mpf(b) * mpmath.mpf(c)))
    for eq, exact in cases:
        assert eq.result.value == 0.0  # what the floats give
        with mpmath.workdps(60):
            want = exact()
        for d in (2, 3, 4, 6):
            text = TextPrinter(d).equation(eq)
            assert text.endswith(" = " + printed(want, d)), (d, text)
            rows = " ".join(part for row in LatexPrinter(d).rows(eq) for part in row)
            assert rows.endswith(latex(want, d)), rows
            assert check_equation(eq, d) > 0
            check_text(eq, d, text, rows)


@pytest.mark.parametrize("logit", [735.0, 740.0])
def test_attention_gradients_on_subnormal_numbers_are_true(logit):
    """A softmax output 735 (740) logits past its target's rival (o − y ≈ e^−735, subnormal): attention's
    ∂ℓ/∂z, ∂ℓ/∂a, r, δ = a(∂ℓ/∂a − r) and G are subnormal floats, whose products keep a few digits or none
    (∂ℓ/∂z₂,₂⁽¹⁾ = (−3.956e−320)·0.006514 + 3.956e−320·0.8054 printed 3.161e−320, the float; it is
    3.160e−320). Every explanation's arithmetic of the layer's backward steps as printed, redone exactly,
    gives its result as printed (text and LaTeX, at 2 and 4 digits), and its title names the number its last
    line prints."""
    import numpy as np

    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import TINY, plan
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation, check_text

    rng = np.random.default_rng(1)
    doc = {"name": "att", "layers": [{"units": 2}, {"type": "attention", "dim": 2, "heads": 1, "causal": False},
                                     {"units": 2, "activation": "softmax"}],
           "weights": [{n: rng.normal(0, 0.8, size=(2, 3)).tolist() for n in "QKVO"}, [[logit, 1.0, -1.0], [0.0, -1.0, 1.0]]],
           "loss": "cross_entropy",
           "data": {"inputs": [[[1.0, 0.5], [-0.5, 1.0], [0.3, -0.2]]], "targets": [[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]]},
           "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}
    stepper = Stepper(parse(doc, "att.json"))
    subnormal = 0
    for _ in range(len(stepper.schedule)):
        key = stepper.forward().key
        if key.layer != 1 or key.phase != "backward":
            continue
        for cell in quiz.candidates(stepper.spec, key):
            for digits in (2, 4):
                e = explain(stepper, cell, digits)
                latex = LatexPrinter(digits)
                for eq in e.equations:
                    eq = plan(eq, digits)
                    check_equation(eq, digits, stepper, where=f"{cell} at step {key.step}")
                    check_text(eq, digits, e.text(), " ".join(r for row in latex.rows(eq) for r in row))
                    subnormal += isinstance(eq.result, Num) and 0 < abs(eq.result.value) < TINY
                last = e.lines[-1].strip()
                if cell.quantity != "G" and last.startswith("= "):  # a worked line's result (G's: a sum over τ)
                    assert e.text().splitlines()[0].split(": ")[0].endswith(f" = {last[2:]}"), e.text()
    assert subnormal > 10


def test_the_nn_diagram_prints_the_exact_sum(path):
    """The NN diagram's loss box (d; the `c` graph of the lecture's network) writes ℓ_D as the header does;
    in a mean profile, the mean."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.diagrams import network_graph, network_graph_state

    spec = load(path)
    stepper = Stepper(spec)
    stepper.run_until(lambda s: s.key.phase == "loss" and s.key.example == 3)
    assert network_graph_state(stepper, network_graph(spec, 4), 4).texts["loss"][-1] == f"ℓ_D = {printed(running()[-1])}"
    ng = Stepper(spec, notation=PROFILES["ng"])
    ng.run_until(lambda s: s.key.phase == "loss" and s.key.example == 3)
    assert network_graph_state(ng, network_graph(spec, 4), 4).texts["loss"][-1].endswith(
        f" = {printed(running(mean=True)[-1])}")


def test_the_nn_diagram_prints_the_exact_loss(path):
    """The NN diagram's loss box writes ℓ⁽ⁿ⁾ as its loss line and the header do (6.047e−348 from its
    logarithm, not the float 0), in the lecture's notation and in a profile's."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.core.formulas.profiles import PROFILES
    from bptui.tui.diagrams import network_graph, network_graph_state

    spec = load(path)
    for notation in (None, PROFILES["ng"]):
        stepper = Stepper(spec) if notation is None else Stepper(spec, notation=notation)
        for n, loss in enumerate(exact_losses(), start=1):
            stepper.run_until(lambda s: s.key.phase == "loss" and s.key.example == n)
            box = network_graph_state(stepper, network_graph(spec, 4), 4).texts["loss"]
            assert box[1] == f"= {printed(loss)}", (notation, box)


def test_the_unrolled_graph_prints_the_exact_loss(tmp_path):
    """The unrolled graph's loss box writes a sequence's ℓ⁽ⁿ⁾ (the sum of its τ's losses, each e^−800 past
    the floats) as the header does, and ℓ_D beside it."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.tui.unrolled import example_length, unrolled_graph, unrolled_state

    path = tmp_path / "seq.json"
    path.write_text(json.dumps(SEQ))
    with mpmath.workdps(50):
        one = mpmath.log1p(mpmath.exp(mpmath.mpf(-800)))
    stepper = Stepper(load(path))
    stepper.run_until(lambda s: s.key.phase == "loss")
    box = unrolled_state(stepper, unrolled_graph(stepper.net, example_length(stepper)), 4).texts["loss"]
    assert box[-2:] == [f"= {printed(2 * one)}", f"ℓ_D = {printed(2 * one)}"], box


def _class_zero(targets):
    """Targets of the same nesting with every example (and τ) of class 0: a one-hot row's 1 first, else 0."""
    if isinstance(targets[0], list):
        if not isinstance(targets[0][0], list) and len(targets[0]) > 1:
            return [[1.0] + [0.0] * (len(row) - 1) for row in targets]
        return [_class_zero(t) for t in targets]
    return [0.0 for _ in targets]


def _exact_loss(loss: str, act: str, s, y) -> mpmath.mpf:
    """ℓ⁽ⁿ⁾ from the output's logits s (a row per τ for a sequence's outputs) exactly, in mpmath."""
    import numpy as np

    rows_s, rows_y = np.atleast_2d(np.asarray(s, dtype=float)), np.atleast_2d(np.asarray(y, dtype=float))
    total = mpmath.mpf(0)
    for s_t, y_t in zip(rows_s.tolist(), rows_y.tolist()):
        z = [mpmath.mpf(v) for v in s_t]
        if loss == "cross_entropy" and act == "softmax":
            # −log softmax_c = log(1 + Σ_{j≠c} e^{z_j − z_c}): no digit lost to 1 + e^−800
            total += mpmath.fsum(t * mpmath.log1p(mpmath.fsum(mpmath.exp(w - v) for j, w in enumerate(z) if j != c))
                                 for c, (v, t) in enumerate(zip(z, y_t)) if t)
        elif loss == "cross_entropy":
            total += mpmath.fsum(t * mpmath.log1p(mpmath.exp(-v)) + (1 - t) * mpmath.log1p(mpmath.exp(v))
                                 for v, t in zip(z, y_t))
        else:  # an identity output: o = s
            total += mpmath.fsum((v - t) ** 2 for v, t in zip(z, y_t)) * (mpmath.mpf(1) / 2 if loss == "half_squared" else 1)
    return total


@pytest.mark.parametrize("name", ["edges", "shapes", "parity", "gru_parity", "count_tokens", "tiny_transformer",
                                  "deep_residual", "regression"])
def test_every_output_below_the_floats_prints_its_exact_loss(name):
    """Whatever the layers below the (dense) output — conv maps, a recurrent layer's o_T, attention and a
    transformer's residual blocks with a loss per τ, dense residual blocks — and a probability or an identity
    output: the output's weights 0 but its bias (±800 toward its target for a sigmoid, 800 on the target's class
    for a softmax, 10⁻²⁰⁰ from a target 0 for an identity), its first ℓ⁽ⁿ⁾ lies below the smallest float; the
    header's ℓ⁽ⁿ⁾ and ℓ_D (equations.loss_text, loss_D_text) print it exactly, from the logits, in mpmath."""
    import numpy as np

    from bptui.core.engine.equations import loss_D_text, loss_text
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse

    source = Path(__file__).parent.parent / "networks" / f"{name}.json"
    doc = json.loads(source.read_text())
    if "targets" in doc["data"]:
        doc["data"]["targets"] = _class_zero(doc["data"]["targets"])
    if name == "deep_residual":  # its squared loss reads o, 0 in floats: cross-entropy reads the logits
        doc["loss"] = "cross_entropy"
    stepper = Stepper(parse(doc, str(source)))
    net, L, st = stepper.net, stepper.spec.L, stepper.state
    stepper.forward()  # the first example on the board (its y), before the output layer's step
    act, y = net.act(L).name, np.atleast_2d(st.y)
    W = np.zeros_like(st.W[L])
    if act == "softmax":
        W[:, 0] = np.where(y[0] == 1, 800.0, 0.0)
    elif act == "sigmoid":
        W[:, 0] = np.where(y[0] == 1, 800.0, -800.0)
    else:
        assert not y.any()
        W[:, 0] = 1e-200
    st.W[L] = W
    stepper.run_until(lambda s: s.key.phase == "loss")
    with mpmath.workdps(50):
        want = _exact_loss(stepper.spec.loss, act, st.s[L], st.y)
    assert float(want) < 2.2250738585072014e-308 and want > 0
    assert loss_text(net, st, 4) == printed(want), name
    assert loss_D_text(None, st, 4) == printed(want), name


def _attention(logit: float):
    """The attention network of test_attention_gradients_on_subnormal_numbers_are_true: its backward steps'
    vectors and matrices subnormal (a softmax output ``logit`` past its rival)."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse

    return Stepper(parse(_attention_doc(logit), "att.json"))


def _attention_doc(logit: float) -> dict:
    import numpy as np

    rng = np.random.default_rng(1)
    return {"name": "att", "layers": [{"units": 2}, {"type": "attention", "dim": 2, "heads": 1, "causal": False},
                                      {"units": 2, "activation": "softmax"}],
            "weights": [{n: rng.normal(0, 0.8, size=(2, 3)).tolist() for n in "QKVO"},
                        [[logit, 1.0, -1.0], [0.0, -1.0, 1.0]]],
            "loss": "cross_entropy",
            "data": {"inputs": [[[1.0, 0.5], [-0.5, 1.0], [0.3, -0.2]]], "targets": [[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]]},
            "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


def test_an_array_past_the_floats_prints_its_exact_entries():
    _da_line()


def _da_line():
    """∂ℓ/∂a⁽¹⁾ = ∂ℓ/∂z⁽¹⁾ v⁽¹⁾ᵀ on subnormal ∂ℓ/∂z: the floats keep a few digits of each product's sum
    (−9.061e−321, −3.743e−320); the exact products, from the board's numbers in mpmath, are −9.062e−321 and
    −3.742e−320. The line prints every entry as the exact arithmetic gives it, with its worked form."""
    import numpy as np

    from bptui.core.engine.equations import step_equation

    stepper = _attention(735.0)
    while (step := stepper.forward()).key.quantity != "da":
        pass
    dz, v = (np.asarray(stepper.state.extra[q, 1], dtype=float) for q in ("dz", "v"))
    with mpmath.workdps(60):
        exact = [[mpmath.fsum(mpmath.mpf(a) * mpmath.mpf(b) for a, b in zip(row, col)) for col in v.tolist()]
                 for row in dz.tolist()]
    assert printed(exact[0][2]) == "−9.062e−321" and float(step.value[0][0][2]) < 0  # and the float: −9.061e−321
    text = step_equation(stepper, step, 4)
    want = "[" + ", ".join("[" + ", ".join(printed(x) for x in row) + "]" for row in exact) + "]"
    assert text.endswith(" = " + want), text
    assert text.count(" = ") == 3, text  # the form with the numbers is shown
    return want, exact


def test_the_trace_and_export_print_an_arrays_exact_entries(tmp_path, capsys):
    """The same line in the trace (text, and the JSON's printed equation, its value the floats) and the
    export (Markdown and LaTeX)."""
    want, exact = _da_line()
    path = tmp_path / "att.json"
    path.write_text(json.dumps(_attention_doc(735.0)))
    line = next(x for x in _run(capsys, "trace", str(path)) if "[backward] ∂ℓ/∂a⁽¹⁾ =" in x)
    assert line.endswith(" = " + want), line
    row = next(json.loads(x) for x in _run(capsys, "trace", str(path), "--format", "json") if '"da"' in x)
    assert row["equation"].endswith(" = " + want) and row["value"][0][0][2] == -9.0612e-321
    entries = " & ".join(latex(x) for x in exact[0])
    for fmt in ("markdown", "latex"):
        assert any(entries in x for x in _run(capsys, "export", str(path), "--format", fmt)), fmt


@pytest.mark.parametrize("logit", [735.0, 740.0])
def test_every_array_line_past_the_floats_checks_exactly(logit):
    """Every step's equation of the attention network on subnormal numbers, redone exactly (mpmath, entry by
    entry) on the numbers as printed, gives each entry of its result as printed (text and LaTeX, at 2 and 4
    digits): formula_checks.check_past_the_floats_array; and the lines it checks are many."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import TextPrinter, plan

    from .formula_checks import check_equation, check_past_the_floats_array, check_text

    stepper = _attention(logit)
    arrays = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer):
            for digits in (2, 4):
                planned = plan(eq, digits)
                check_equation(planned, digits, stepper, where=f"step {step.key.step}")
                check_text(planned, digits, TextPrinter(digits).equation(planned),
                           " ".join(r for row in LatexPrinter(digits).rows(planned) for r in row))
                arrays += check_past_the_floats_array(planned, digits)
    assert arrays > 20


# a softmax output whose second unit is e^−800 of the first's: o₂ = e^−800/(1 + e^−800), 0 in floats
SOFT = {"name": "softsat", "layers": [{"units": 1}, {"units": 2, "activation": "softmax"}],
        "weights": [[[800.0, 0.0], [0.0, 0.5]]], "loss": "cross_entropy",
        "data": {"inputs": [[0.0], [1.0]], "targets": [[1.0, 0.0], [1.0, 0.0]]},
        "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


def _sigmoid(s):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(s)))


def _gelu(s):
    return mpmath.mpf(s) * mpmath.ncdf(mpmath.mpf(s))


# a GELU output at s = −39.5 and −40.5: s·Φ(s) is −1.1e−341, 0 in floats (Φ below their range)
GELU = {"name": "gelusat", "layers": [{"units": 1}, {"units": 1, "activation": "gelu"}],
        "weights": [[[-40.0, 0.5]]], "loss": "half_squared",
        "data": {"inputs": [[1.0], [-1.0]], "targets": [[0.0], [0.0]]},
        "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


def _softmax(s):
    e = [mpmath.exp(mpmath.mpf(v)) for v in s]
    return [v / mpmath.fsum(e) for v in e]


@pytest.mark.parametrize("doc, exact", [
    (DOC, lambda: [[_sigmoid(s)] for s in LOGITS]),
    (SOFT, lambda: [_softmax(["800", "0"]), _softmax(["800", "0.5"])]),
    (GELU, lambda: [[_gelu("-39.5")], [_gelu("-40.5")]]),
])
def test_a_function_line_at_saturation_prints_its_exact_value(tmp_path, capsys, doc, exact):
    """σ(−799.5) is 3.604e−348 and a softmax's e^−800/(1 + e^−800) 3.6e−348, 0 in floats: the function's line
    prints the exact entries (mpmath here, from the logits), and says the floats hold it as 0, which the δ and
    G lines after it read (their own arithmetic on that 0 holds)."""
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc))
    with mpmath.workdps(50):
        want = exact()
    lines = [x.split("] ", 1)[1] for x in _run(capsys, "trace", str(path)) if "[forward] o⁽¹⁾" in x]
    assert len(lines) == len(want)
    for line, row in zip(lines, want):
        result, note = re.fullmatch(r".* = \[([^\]]*)\]   \(held in floats as \[([^\]]*)\]\)", line).groups()
        entries = [mpmath.mpf(t.replace("−", "-")) for t in result.split(", ")]  # 1e0 beside 3.668e−348: one form
        assert entries == [mpmath.mpf(printed(x).replace("−", "-")) for x in row], line
        assert [float(t.replace("−", "-")) for t in note.split(", ")] == [float(x) for x in row], line
        assert any(float(x) == 0 for x in row)
    tex = "\n".join(_run(capsys, "export", str(path), "--format", "latex"))
    assert latex(want[0][-1]) in tex


def test_function_lines_past_the_floats_check_exactly():
    """Every step's equation of the saturated networks, redone exactly in mpmath on the numbers as printed
    (σ and softmax too), gives each entry of its result as printed, at 2 to 6 digits."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import TextPrinter, plan

    from .formula_checks import check_equation, check_past_the_floats_array, check_text

    functions = 0
    for doc in (DOC, SOFT, GELU):
        stepper = Stepper(parse(doc, "f.json"))
        for _ in range(len(stepper.schedule)):
            step = stepper.forward()
            for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer):
                for digits in (2, 4, 6):
                    planned = plan(eq, digits)
                    check_equation(planned, digits, stepper, where=f"step {step.key.step}")
                    check_text(planned, digits, TextPrinter(digits).equation(planned),
                               " ".join(r for row in LatexPrinter(digits).rows(planned) for r in row))
                    if step.key.quantity == "o":
                        functions += check_past_the_floats_array(planned, digits)
    assert functions == 3 * (3 + 2 + 2) * 1


@pytest.mark.parametrize("doc, exact", [
    (DOC, lambda: [_sigmoid(LOGITS[0])]),
    (SOFT, lambda: _softmax(["800", "0"])),
])
def test_a_units_explanation_at_saturation_prints_its_exact_value(doc, exact):
    """A unit's explanation of o at saturation (σ(−799.5), e^(−800)/(e^0 + e^(−800))) ends on the exact value
    (mpmath here), its title names it, and it says the floats hold 0; its arithmetic checks exactly."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import TextPrinter, plan
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation, check_past_the_floats, check_text

    stepper = Stepper(parse(doc, "f.json"))
    stepper.forward()
    key = stepper.forward().key
    with mpmath.workdps(50):
        want = exact()
    cells = [c for c in quiz.candidates(stepper.spec, key)]
    assert len(cells) == len(want)
    redone = 0
    for cell, x in zip(cells, want):
        e = explain(stepper, cell, 4)
        text = e.text()
        assert text.splitlines()[0].split(": ")[0].endswith(f" = {printed(x)}"), text
        assert text.splitlines()[-1].strip() == f"= {printed(x)}", text
        if float(x) == 0:
            assert "held in floats as 0" in text, text
        for digits in (2, 4, 6):
            for eq in e.equations:
                planned = plan(eq, digits)
                check_equation(planned, digits, stepper)
                check_text(planned, digits, TextPrinter(digits).equation(planned),
                           " ".join(r for row in LatexPrinter(digits).rows(planned) for r in row))
                redone += check_past_the_floats(planned, digits)
    assert redone >= 3


@pytest.mark.parametrize("name, rows", [("gru_parity", (0, 4)), ("long_memory_lstm", (0, 4, 12))])
def test_saturated_gates_print_their_exact_values(name, rows):
    """A GRU's r and z, an LSTM's i, f and ō of unit 1, their bias −800 (σ of about −800: 0 in floats): the gates'
    line prints each such entry exactly (its arithmetic, σ and tanh too, redone in mpmath on the numbers as
    printed, gives every entry as printed), says the floats hold 0, and each gate's explanation ends on the
    value σ(s) has from the board's s, in mpmath, and names it in its title."""
    import numpy as np

    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load
    from bptui.core.formulas.formula import TextPrinter, plan
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation, check_past_the_floats_array, check_text

    class Wide(TextPrinter):
        vec_limit = 16  # every entry shown: the exact redo reads them all back

    stepper = Stepper(load(Path(__file__).parent.parent / "networks" / f"{name}.json"))
    W = np.array(stepper.state.W[1])
    W[list(rows), 0] = -800.0
    stepper.state.W[1] = W
    stepper.forward()
    step = stepper.forward()
    assert step.key.quantity == "gates"
    (eq,) = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer)
    checked = 0
    for digits in (2, 4):
        planned = plan(eq, digits)
        check_equation(planned, digits, stepper)
        text = Wide(digits).equation(planned)
        check_text(planned, digits, text, " ".join(r for row in LatexPrinter(digits).rows(planned) for r in row))
        checked += check_past_the_floats_array(planned, digits, printer=Wide(digits))
        assert "held in floats as [0, " in text, text
    assert checked >= 2
    cells = list(quiz.candidates(stepper.spec, step.key))  # the gates' entries in order
    s = np.ravel(np.asarray(stepper.state.s[1])[0])  # τ = 1: a GRU's x part, then its h part; an LSTM's one s
    for r in rows:
        e = explain(stepper, cells[r], 4)
        first, last = e.text().splitlines()[0], e.text().splitlines()[-1].strip()
        with mpmath.workdps(50):
            pre = mpmath.mpf(float(s[r])) + (mpmath.mpf(float(s[r + len(cells)])) if len(s) == 2 * len(cells) else 0)
            want = printed(_sigmoid(pre))
        assert last == f"= {want}" and first.split(": ")[0].endswith(f" = {want}"), e.text()


def test_a_division_past_the_floats_prints_its_exact_entries():
    """[1.2345678e−321, 7.7777e−322] (floats: 1.235e−321, 7.757e−322)/0.3 is [4.117e−321, 2.586e−321]; the
    subnormal floats keep 4.116e−321 and 2.584e−321. A worked line prints the exact quotients (its operands with the digits that give
    them), and a line with no numbers to redo (m̂ = m/(1 − β₁ᵗ)) prints them from its bound floats: text and LaTeX,
    at 2 to 6 digits, mpmath the reference."""
    import numpy as np

    from bptui.core.formulas.formula import ONE, Arr, Equation, Num, Op, Sym, TextPrinter, group, plan, sub

    from .formula_checks import check_equation, check_past_the_floats_array, check_text

    a, d = np.array([1.2345678e-321, 7.7777e-322]), 0.3
    with mpmath.workdps(60):
        want = [mpmath.mpf(float(x)) / mpmath.mpf(d) for x in a]
    assert [f"{x:.4g}" for x in a / d] == ["4.116e-321", "2.584e-321"]  # the floats' digits
    m, beta, t = Sym("m"), Sym("β₁"), Sym("t")
    lines = [Equation(Sym("u"), (Op("/", (Arr(a), Num(d))), Arr(a / d))),
             Equation(Sym("m̂"), (Op("/", (m, group(sub(ONE, Op("^", (beta, t)))))), Arr(a / (1 - 0.7))),
                      bindings={m: a, beta: 0.7, t: 1})]
    with mpmath.workdps(60):
        hat = [mpmath.mpf(float(x)) / (1 - mpmath.mpf(0.7)) for x in a]
    for eq, exact in zip(lines, (want, hat)):
        for digits in (2, 4, 6):
            text = TextPrinter(digits).equation(eq)
            assert text.endswith(" = [" + ", ".join(printed(x, digits) for x in exact) + "]"), (digits, text)
            rows = " ".join(part for row in LatexPrinter(digits).rows(eq) for part in row)
            assert all(latex(x, digits) in rows for x in exact), rows
            check_equation(eq, digits)
            check_text(eq, digits, text, rows)
    assert check_past_the_floats_array(plan(lines[0], 4), 4) == 1


def test_a_matrix_as_stored_says_its_subnormal_floats_have_few_digits():
    """G as stored after an attention layer's G_Q on subnormal numbers (−4.941e−324, the smallest subnormal,
    for a product the arithmetic gives otherwise) has no arithmetic to redo: its line says the floats hold its
    entries below the normal range with few true digits; a line of normal numbers says nothing of it."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.formulas.formula import FEW_DIGITS, TextPrinter

    stepper = _attention(740.0)
    noted = plain = 0
    for _ in range(len(stepper.schedule)):
        step = stepper.forward()
        for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer):
            text = TextPrinter(4).equation(eq)
            if text.startswith("G⁽¹⁾ = [[−1.976e−323"):
                assert text.endswith(f"; {FEW_DIGITS})"), text
                noted += 1
            elif step.key.phase == "forward":
                assert FEW_DIGITS not in text, text
                plain += 1
    assert noted == 4 and plain > 5


def test_exact_gelu_and_elu_agree_with_mpmath():
    """GELU's s·Φ(s) (Φ through erfc in decimals) and ELU's α(eˢ − 1) to 50 digits of mpmath's, from
    the normal range to far past the floats and at subnormal arguments (where eˢ − 1 would cancel)."""
    from decimal import localcontext

    from bptui.core.formulas.exact_functions import EXACT

    with localcontext() as ctx, mpmath.workdps(80):
        ctx.prec = 60
        for s in ("-800.5", "-39.5", "-9", "-5.25", "-2", "-0.3", "1e-12", "0", "0.7", "3", "6.5", "9", "40"):
            got, want = EXACT["gelu"](Decimal(s)), _gelu(s)
            assert abs(mpmath.mpf(str(got)) - want) <= abs(want) * mpmath.mpf("1e-50"), (s, got, want)
        for s, alpha in (("-1e-320", "1"), ("-3.5e-200", "0.5"), ("-0.25", "1"), ("-800", "2"), ("1.5", "1")):
            got = EXACT["elu"](Decimal(s), Decimal(alpha))
            x = mpmath.mpf(s)
            want = x if x > 0 else mpmath.mpf(alpha) * mpmath.expm1(x)
            assert abs(mpmath.mpf(str(got)) - want) <= abs(want) * mpmath.mpf("1e-50"), (s, got, want)


def test_an_elu_line_on_a_subnormal_argument_prints_its_exact_value():
    """ELU(s) at s = −1e−320 (the float −9.99988671826831e−321): α(eˢ − 1) is s less s²/2, the line prints it
    from the exact arithmetic (mpmath here), which needs no note of few true digits."""
    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import FEW_DIGITS, TextPrinter, plan

    doc = json.loads(json.dumps(GELU))
    doc["layers"][1]["activation"] = "elu"
    doc["weights"] = [[[-1e-320, 0.0]]]
    stepper = Stepper(parse(doc, "elu.json"))
    stepper.forward()
    step = stepper.forward()
    (eq,) = step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer)
    with mpmath.workdps(50):
        want = mpmath.expm1(mpmath.mpf(float(stepper.state.s[1][0])))
    for digits in (4, 6):
        line = TextPrinter(digits).equation(plan(eq, digits))
        assert line.endswith(f"= [{printed(want, digits)}]") and FEW_DIGITS not in line, line


# a hidden sigmoid unit at s = −799.5 (o⁽¹⁾ = [1, 6.047e−348, σ(0.3)], [1, 0, 0.5744] in floats) below a sigmoid output
HIDDEN = {"name": "hidsat", "layers": [{"units": 1}, {"units": 2, "activation": "sigmoid"},
                                       {"units": 1, "activation": "sigmoid"}],
          "weights": [[[-800.0, 0.5], [0.1, 0.2]], [[0.1, 0.3, -0.2]]], "loss": "squared",
          "data": {"inputs": [[1.0]], "targets": [[1.0]]},
          "training": {"learning_rate": 0.1, "update": "full_batch", "epochs": 1}}


def _held(x) -> str:
    return f"held in floats as [{', '.join(printed(v) if v else '0' for v in x)}]"  # −0.0 as 0


@pytest.mark.parametrize("doc, notation, lines", [
    # a line that reads the saturated o from the board prints the float, and says so; the others do not
    (DOC, None, {"δ⁽¹⁾": "o⁽¹⁾ ", "G⁽¹⁾": None, "s⁽¹⁾": None}),
    (GELU, None, {"ℓ⁽¹⁾": "o⁽¹⁾ ", "δ⁽¹⁾": "o⁽¹⁾ ", "G⁽¹⁾": None}),
    (HIDDEN, None, {"s⁽²⁾": "o⁽¹⁾ ", "G⁽²⁾": "o⁽¹⁾ ", "δ⁽¹⁾": "o⁽¹⁾ ", "δ⁽²⁾": None, "o⁽²⁾": None, "G⁽¹⁾": None}),
    (HIDDEN, "ng", {"z^[2]": "a^[1] ", "dW^[2]": "a^[1] ", "dz^[1]": "a^[1] ", "dz^[2]": None, "dW^[1]": None}),
])
def test_a_line_reading_a_saturated_output_says_it_reads_the_float(tmp_path, capsys, doc, notation, lines):
    """The δ, G, next s and (on floats) loss lines after a function line at saturation read o⁽ˡ⁾ from the
    board, whose float is 0 where the o line prints 6.047e−348: each says so beside its arithmetic,
    ``(o⁽¹⁾ held in floats as [0])``, in the trace (text) and the export (LaTeX and Markdown), the floats
    those of the board (a hidden layer's with its 1); a line that reads no such o says nothing of it."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse

    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc))
    stepper = Stepper(parse(doc, "f.json"))
    layer = 1
    stepper.run_until(lambda st: st.key.phase == "forward" and st.key.quantity == "o" and st.key.layer == layer)
    board = np.asarray(stepper.state.o[layer], dtype=float)
    if notation == "ng":
        board = board[1:]  # a separate bias: no 1 in a^[1]
    assert 0.0 in board.tolist()  # the float of an entry the o line prints past the floats
    args = ["trace", str(path)] + (["--notation", notation] if notation else [])
    text = [x.split("] ", 1)[1] for x in _run(capsys, *args) if "] " in x and x.lstrip()[:1].isdigit()]
    note = _held(board)
    for lhs, name in lines.items():
        found = [x for x in text if x.startswith(lhs + " ")]
        assert found, lhs
        for x in found[:1]:
            clause = next((c for c in re.split(r";   ", x) if c.startswith(lhs + " ")), x)
            if name is None:
                assert "held in floats" not in clause, clause
            else:
                assert clause.endswith(f"   ({name}{note})"), clause
    for fmt in ("latex", "markdown"):
        doc_text = "\n".join(_run(capsys, "export", str(path), "--format", fmt, *args[2:]))
        floats = r" \\ ".join(latex(v) if v else "0" for v in board)
        assert (rf"\text{{ held in floats as }}\begin{{bmatrix}} {floats} \end{{bmatrix}}\text{{)}}"
                in doc_text), fmt


@pytest.mark.parametrize("doc, cells", [
    (DOC, {("delta", 1, 1): "o₁⁽¹⁾"}),
    (HIDDEN, {("s", 2, 1): "o₁⁽¹⁾", ("G", 2, 1): "o₁⁽¹⁾", ("delta", 1, 1): "o₁⁽¹⁾", ("delta", 1, 2): None,
              ("G", 2, 2): None, ("delta", 2, 1): None}),
])
def test_a_units_explanation_reading_a_saturated_output_says_it_reads_the_float(doc, cells):
    """A unit's explanation that reads o_b⁽ˡ⁾ from the board where its o line prints it past the floats
    (s₁⁽²⁾'s 0.3·0, δ₁⁽¹⁾'s o₁⁽¹⁾·(1 − o₁⁽¹⁾) on 0, G₁,₁⁽²⁾'s δ·0) says ``o₁⁽¹⁾ held in floats as 0``; one
    that reads no such entry says nothing of it. Its arithmetic on the floats holds as printed."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import TextPrinter, plan
    from bptui.core.teaching import quiz
    from bptui.core.teaching.explain import explain

    from .formula_checks import check_equation, check_text

    stepper = Stepper(parse(doc, "f.json"))
    seen = set()
    for _ in range(len(stepper.schedule) // len(doc["data"]["inputs"])):  # the first example's steps
        key = stepper.forward().key
        for cell in quiz.candidates(stepper.spec, key):
            at = (cell.quantity, cell.layer, cell.unit if cell.quantity != "G" else cell.column)
            if cell.quantity == "G" and cell.unit != 1 or at not in cells:
                continue
            e = explain(stepper, cell, 4)
            said = [line for line in e.text().splitlines() if "held in floats" in line]
            if cells[at] is None:
                assert not said, e.text()
            else:
                assert len(said) == 1 and said[0].endswith(f"; {cells[at]} held in floats as 0)"), e.text()
            for eq in e.equations:
                planned = plan(eq, 4)
                check_equation(planned, 4, stepper)
                check_text(planned, 4, TextPrinter(4).equation(planned),
                           " ".join(r for row in LatexPrinter(4).rows(planned) for r in row))
            seen.add(at)
    assert seen == set(cells)


def test_the_quiz_takes_and_gives_the_number_its_line_prints(monkeypatch, capsys, path):
    """`bptui quiz` asking o₁⁽¹⁾ = σ(−799.5) and ℓ⁽¹⁾ (6.047e−348, 0 in floats): the line hides the note's float
    too (``(held in floats as [?])``: it is the asked number's); the student who types the number the lines
    print is right, and the verdict gives that number (mpmath here) and what the floats hold, not a bare 0."""
    answers = iter(["-799.5", "6.047e-348", "6.047e-348"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["quiz", str(path), "--steps", "3"]) == 0
    out = capsys.readouterr().out
    want = printed(_sigmoid(LOGITS[0]), 6)
    assert "σ([−799.5]) = [?]   (held in floats as [?])" in out, out
    assert f"right: o₁⁽¹⁾ = {want} (held in floats as 0)" in out, out
    assert f"right: ℓ⁽¹⁾ = {printed(exact_losses()[0], 6)} (held in floats as 0)" in out, out
    assert "score: 3 of 3 right" in out


@pytest.mark.parametrize("s", [-8.5, -10.0, -17.25, -26.0, -37.0])
def test_gelu_in_floats_keeps_its_tail(s):
    """GELU's float s·Φ(s) below s ≈ −8.3, where ½s(1 + erf(s/√2)) gives 0 (erf rounds to −1) for a value
    of about −1e−17 and less: written as ½s·erfc(−s/√2) it is within a few ulps of mpmath's down to the
    normal range's end (−37.5), and Φ (GELU's f′ reads it) too; the line needs no exact form there."""
    from bptui.core.ops.activations import ACTIVATIONS
    from bptui.core.util.special import normal_cdf

    with mpmath.workdps(50):
        want, phi = _gelu(s), mpmath.ncdf(mpmath.mpf(s))
    got = float(ACTIVATIONS["gelu"].f(np.array([s]), 0.0)[0])
    assert abs(mpmath.mpf(got) - want) <= 4 * abs(want) * mpmath.mpf(2) ** -53, (s, got, want)
    cdf = float(normal_cdf(np.array([s]))[0])
    assert abs(mpmath.mpf(cdf) - phi) <= 4 * phi * mpmath.mpf(2) ** -53, (s, cdf, phi)


def test_a_gelu_line_in_the_normal_range_prints_its_float_value(tmp_path, capsys):
    """A GELU output at s = −10 and −11 (s·Φ(s) = −7.6e−23 and −2.1e−27: normal floats) prints its value, as
    mpmath gives it, with no note of the floats: the floats hold it."""
    doc = json.loads(json.dumps(GELU))
    doc["weights"] = [[[-10.5, 0.5]]]
    path = tmp_path / "g.json"
    path.write_text(json.dumps(doc))
    lines = [x.split("] ", 1)[1] for x in _run(capsys, "trace", str(path)) if "[forward] o⁽¹⁾" in x]
    assert len(lines) == 2
    for line, s in zip(lines, ("-10", "-11")):
        with mpmath.workdps(50):
            want = printed(_gelu(s))
        assert line.endswith(f" = [{want}]"), line


def test_no_note_where_the_exact_value_and_the_float_print_alike(tmp_path, capsys):
    """ELU(s) at s = −1e−310 (a subnormal float): α(eˢ − 1) is s less s²/2, which the float −1e−310 holds to
    every digit shown, though not exactly: neither the o line nor the lines that read o⁽¹⁾ from the board say
    what the floats hold (it prints alike), in the trace at 2 to 8 digits and in the export. At s = −1e−321 and
    α = 0.3 (αs = −2.99e−322, the float −3.014e−322) the lines say it at 4 digits, not at 2 (−3e−322 both)."""
    doc = json.loads(json.dumps(GELU))
    doc["layers"][1]["activation"] = "elu"
    doc["weights"] = [[[-1e-310, 0.0]]]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc))
    from bptui.core.engine.equations import step_equations
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import parse
    from bptui.core.formulas.formula import TextPrinter

    def lines(weight: float, digits: int) -> list[str]:
        doc["weights"] = [[[weight, 0.0]]]
        doc["layers"][1]["alpha"] = 0.3
        stepper = Stepper(parse(doc, "e.json"))
        out = []
        for _ in range(len(stepper.schedule)):
            step = stepper.forward()
            out += [TextPrinter(digits).equation(eq)
                    for eq in step_equations(stepper.net, stepper.state, step, stepper.spec.optimizer)]
        return out

    for digits in (2, 4, 6, 8):
        text = lines(-1e-310, digits)
        assert any(x.startswith("δ⁽¹⁾") for x in text) and not any("held in floats" in x for x in text), text
    text = "\n".join(_run(capsys, "trace", str(path)))
    assert "δ⁽¹⁾" in text and "held in floats" not in text, text
    tex = "\n".join(_run(capsys, "export", str(path), "--format", "latex"))
    assert "held in floats" not in tex
    assert any(x.startswith("δ⁽¹⁾") and "held in floats as [−3.014e−322]" in x for x in lines(-1e-321, 4))
    assert not any("held in floats" in x for x in lines(-1e-321, 2))


@pytest.mark.parametrize("name", ["hidsat", "deep_residual", "moons_layernorm"])
def test_every_note_reaches_the_latex_and_markdown_exports(tmp_path, capsys, name):
    """Every note a line of the trace carries (a residual block's ``(x = o⁽¹⁾, F(x) = o⁽⁴⁾: the skip adds …)``,
    layer norm's, ``(o⁽¹⁾ held in floats as [1, 0, 0.5744])``) stands after the same line of the LaTeX and
    Markdown exports, its words as text and its symbols in math (the rules' list adds its own); the LaTeX of
    the saturated network and of the residual one compiles."""
    import shutil
    import subprocess

    from bptui.core.util.escape import latex_text
    from bptui.exercise import pdflatex_command

    if name == "hidsat":
        path = tmp_path / "hidsat.json"
        path.write_text(json.dumps(HIDDEN))
        name = str(path)
    trace = _run(capsys, "trace", name)
    notes = [m.group(1) for x in trace for m in re.finditer(r"   \(([^;]*?)[;)]", x)]
    assert notes
    for fmt in ("latex", "markdown"):
        out = [x for x in _run(capsys, "export", name, "--format", fmt) if "rules:" not in x]
        assert sum(x.count(r"\quad \text{(}") for x in out) == sum(x.count("   (") for x in trace), fmt
        doc = "\n".join(out)
        words = {w for note in notes for w in re.findall(r"(?:^| )([a-z]{5,})(?=[ ,:]|$)", note)}
        assert words and all(f" {latex_text(w)}" in doc for w in words), (fmt, words)
    if shutil.which("pdflatex") and not name.startswith("moons"):
        (tmp_path / "doc.tex").write_text("\n".join(_run(capsys, "export", name, "--format", "latex")) + "\n",
                                          encoding="utf-8")
        command, env = pdflatex_command("pdflatex", "doc.tex", str(tmp_path))
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:]

"""The gradient check's verdict (bptui/core/teaching/check.py): no false alarms, and a wrong gradient caught.

|g − fd| ≤ atol + 1e−6·|fd| with atol the finite difference's own rounding error; every activation
evaluated in extended precision; NaN and infinity fail; x¹⁰⁰⁰ passes."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace
from decimal import Decimal, localcontext

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.ops import activations
from bptui.core.util import special
from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.teaching.check import InputCheck, RTOL, WeightCheck, gradient_check, graph_check, verdict
from bptui.core.graphs.graph import parse as parse_graph
from bptui.core.formats.spec import parse
from tests.test_special import _decimal, erfc_reference

LD = np.longdouble
EPS = np.finfo(LD).eps
needs_extended = pytest.mark.skipif(not special.extended(np.dtype(LD)), reason="long double is float64 here")


def _network(hidden: str, output: str, widths: list[int], target_scale: float = 1.0, input_scale: float = 1.0,
             loss: str = "squared", seed: int = 3):
    rng = np.random.default_rng(seed)
    layers = [{"units": widths[0]}] + [{"units": w, "activation": hidden} for w in widths[1:-1]]
    layers.append({"units": widths[-1], "activation": output})
    weights = [rng.normal(0, 0.8, size=(widths[l], widths[l - 1] + 1)).tolist() for l in range(1, len(widths))]
    X = rng.normal(0, 1, (6, widths[0])) * input_scale
    Y = rng.uniform(0, 1, (6, widths[-1])) * target_scale
    return parse({"layers": layers, "weights": weights, "loss": loss,
                  "data": {"inputs": X.tolist(), "targets": Y.tolist()}}, "test.json")


def gelu_network():
    return _network("gelu", "sigmoid", [3, 4, 4, 1])


def large_loss_network():
    """Targets of order 10⁷ (ℓ_D ≈ 10¹⁴): the small gradients are below ℓ_D·eps/h, where a finite
    difference cannot resolve them."""
    return _network("tanh", "identity", [3, 5, 1], target_scale=1e7, input_scale=3.0)


def _old_verdict(checks) -> bool:
    """The rule before: every relative error |a − b| / max(|a|, |b|, 1e−8) at most 1e−6."""
    return all(c.rel_error <= 1e-6 for c in checks)


# -- every activation in extended precision ---------------------------------------------------------
def _reference(name: str, x: Decimal, alpha: float) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        if name == "sigmoid":
            return 1 / (1 + (-x).exp())
        if name == "tanh":
            return ((2 * x).exp() - 1) / ((2 * x).exp() + 1)
        if name == "softplus":
            return (1 + x.exp()).ln()
        if name == "elu":
            return x if x > 0 else Decimal(alpha) * (x.exp() - 1)
        if name == "gelu":
            return x / 2 * erfc_reference(str(-x / Decimal(2).sqrt()))
        if name in ("relu",):
            return max(x, Decimal(0))
        if name in ("leaky_relu", "prelu"):
            return x if x >= 0 else Decimal(alpha) * x
        return x


@needs_extended
@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_every_activation_is_evaluated_in_extended_precision(name):
    """f(s) in long double is right to a few long-double ulps (float64 would be ~1000 times off), so
    the finite differences through it have extended precision."""
    act = ACTIVATIONS[name]
    alpha = act.default_alpha or 0.0
    s = np.linspace(-8, 8, 97, dtype=LD) + LD(1) / 3
    out = act.f(s, alpha)
    assert out.dtype == LD
    worst = Decimal(0)
    for x, v in zip(s, out):
        ref = _reference(name, _decimal(x), alpha)
        scale = max(abs(ref), abs(_decimal(x)) * Decimal("1e-3"))  # relative, or absolute near a zero of f
        worst = max(worst, abs(_decimal(v) - ref) / scale)
    # GELU inherits erfc's 30 ulps just below 1.5 (special.py); the others are within a few
    assert worst <= (32 if name == "gelu" else 8) * Decimal(float(EPS)), f"{name}: {worst:.2e}"


@needs_extended
def test_softmax_is_evaluated_in_extended_precision():
    s = np.array([[0.3, -2.0], [1.0 / 3, 4.0], [-1.7, 0.1]], dtype=LD)
    out = ACTIVATIONS["softmax"].f(s, 0.0)
    assert out.dtype == LD
    for j in range(2):
        with localcontext() as ctx:
            ctx.prec = 60
            e = [_decimal(v).exp() for v in s[:, j]]
            for v, ref in zip(out[:, j], e):
                assert abs(_decimal(v) - ref / sum(e)) / (ref / sum(e)) <= 16 * Decimal(float(EPS))


# -- the false alarms of the old rule pass now ------------------------------------------------------
def test_gelu_network_passes():
    """A GELU network whose correct gradient (6.418e−7, w₄,₄⁽²⁾) failed before at relative error 1.8e−6,
    the float64 erf's rounding over h: it passes by the new rule and by the old one."""
    checks = gradient_check(gelu_network())
    assert verdict(checks).ok and _old_verdict(checks)
    assert max(c.rel_error for c in checks) < 1e-7


@needs_extended
def test_gelu_finite_differences_need_the_extended_erf(monkeypatch):
    """GELU's own central difference in long double against its exact derivative: right to 1e−12
    with bptui's erfc, and not with float64's (its rounding over h is ~1e−10)."""
    gelu = ACTIVATIONS["gelu"]
    s = np.linspace(-4, 4, 81, dtype=LD) + LD(1) / 7
    h = LD(1e-6)
    exact = gelu.df(s.astype(np.float64), None, 0.0)  # Φ(s) + s φ(s) in float64, right to ~1e−16

    def worst() -> float:
        fd = (gelu.f(s + h, 0.0) - gelu.f(s - h, 0.0)) / (2 * h)
        return float(np.max(np.abs(fd.astype(np.float64) - exact)))

    assert worst() < 1e-12
    real = special.erfc  # GELU's arithmetic (util/special.py) with a float64 erfc instead
    monkeypatch.setattr(special, "erfc", lambda x: real(np.asarray(x, dtype=np.float64)))
    assert worst() > 1e-11


def test_tiny_gradients_of_a_large_loss_pass():
    checks = gradient_check(large_loss_network())
    assert not _old_verdict(checks)  # the old rule flagged correct gradients here
    assert verdict(checks).ok
    # the atol that lets them pass is 16 eps·ℓ_D/h (ℓ_D = 2.5e14), about 1e−5 of the largest gradient
    # and far below the errors of a wrong derivative (next tests)
    biggest = max(abs(c.numeric) for c in checks)
    assert all(1e-7 * biggest < c.atol < 3e-5 * biggest for c in checks)


@pytest.mark.parametrize("x", [1.0, 1.1, 2.0, 0.5])
def test_x_to_the_1000_passes(x):
    spec = parse_graph({"kind": "graph", "inputs": {"x": x}, "expression": "x^1000"})
    (c,) = graph_check(spec)
    assert c.ok and c.backprop == pytest.approx(1000 * x ** 999, rel=1e-12)
    assert abs(c.backprop - c.numeric) <= 2e-7 * abs(c.backprop)  # 3.8e−8 for x ≥ 1 (h/x ≤ ∛eps)


# -- a wrong gradient is still caught ---------------------------------------------------------------
def _break_derivative(monkeypatch, name: str, factor: float) -> None:
    act = ACTIVATIONS[name]
    df = act.df
    monkeypatch.setitem(ACTIVATIONS, name, replace(act, df=lambda s, o, a: factor * df(s, o, a)))


@pytest.mark.parametrize("make,name,layers", [
    (gelu_network, "gelu", {1, 2}), (large_loss_network, "tanh", {1}),
    (lambda: _network("sigmoid", "sigmoid", [2, 3, 3, 1]), "sigmoid", {1, 2, 3}),  # the output's f′ too
    (lambda: _network("elu", "identity", [2, 4, 1], target_scale=1e3), "elu", {1}),
])
def test_a_derivative_off_by_one_percent_is_caught(monkeypatch, make, name, layers):
    spec = make()
    assert verdict(gradient_check(spec)).ok
    _break_derivative(monkeypatch, name, 1.01)
    checks = gradient_check(spec)
    v = verdict(checks)
    assert not v.ok and v.nonfinite == 0
    # the layers whose G uses the broken f′ fail; a layer after the last one that uses it passes
    assert {c.layer for c in checks if not c.ok} == layers


def test_a_wrong_graph_derivative_is_caught(monkeypatch):
    from bptui.core.graphs import graph_ops

    pow_op = graph_ops.OPS["pow"]
    monkeypatch.setitem(graph_ops.OPS, "pow", replace(pow_op, df=lambda i, v: (1 + 1e-5) * pow_op.df(i, v)))
    (c,) = graph_check(parse_graph({"kind": "graph", "inputs": {"x": 2.0}, "expression": "x^1000"}))
    assert not c.ok


# -- NaN and infinity fail; the verdict does not depend on the order -------------------------------
def test_non_finite_gradients_fail_in_any_order():
    good = InputCheck("x", 1.0, 1.0, 1e-12)
    bad = [InputCheck("z", math.nan, 1.0, 1e-12), InputCheck("z", 1.0, math.inf, 1e-12),
           InputCheck("z", math.inf, math.inf, 1e-12)]
    for b in bad:
        for checks in ([good, b], [b, good]):
            v = verdict(checks)
            assert not v.ok and v.failed == 1 and v.nonfinite == 1 and v.worst == math.inf
    assert verdict([good]).ok
    w = WeightCheck(1, 1, 0, math.nan, math.nan, 1.0)
    assert not w.ok and w.rel_error == math.inf


def test_check_command_says_failed_when_a_gradient_is_nan(capsys, monkeypatch):
    from bptui.core.engine import network

    monkeypatch.setattr(network.Network, "output_delta", lambda self, s, o, y: np.full_like(o, np.nan))
    assert main(["check", "xor"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 9 of 9 weights fail, 9 not finite (NaN or infinite)" in out
    assert "backprop nan, finite difference" in out and "the backprop gradient is not finite" in out
    assert main(["check", "xor", "--format", "json"]) == 1
    result = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert result["max_rel_error"] is None and result["verdict"] == "FAILED" and result["nonfinite"] == 9
    assert [r["max_rel_error"] for r in result["layers"]] == [None, None]


def test_an_overflow_fails_without_a_warning_and_the_json_stays_json(capsys, tmp_path):
    """ℓ_D overflows float64 (1e200²): backprop's G is infinite; the check says so, exit 1, no
    RuntimeWarning on stderr, and null (not Infinity) in the JSON."""
    path = tmp_path / "overflow.json"
    path.write_text(json.dumps({"layers": [{"units": 1}, {"units": 1, "activation": "identity"}],
                                "weights": [[[0.5, 1e200]]],
                                "data": {"inputs": [[1e200], [1]], "targets": [[0], [1]]}}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would raise
        assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "2 not finite" in out and "w₁,₁⁽¹⁾: backprop inf" in out and err == ""
    assert main(["check", str(path), "--format", "json"]) == 1
    result = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert result["verdict"] == "FAILED" and result["nonfinite"] == 2 and result["max_rel_error"] is None


def test_check_command_reports_the_rule_and_the_new_json_keys(capsys):
    assert main(["check", "xor", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "ok" and result["failed"] == 0 and result["nonfinite"] == 0
    assert result["rtol"] == RTOL and 0 < result["atol"] < 1e-9
    assert [r["failed"] for r in result["layers"]] == [0, 0]
    assert main(["check", "xor"]) == 0
    out = capsys.readouterr().out
    assert "overall: max relative error" in out and ", ok\n" in out
    assert "pass: |g − fd| ≤ atol + 1e−6·|fd|, atol = 16·eps·|ℓ_D|/h" in out


def test_check_command_names_the_failing_weights(capsys, monkeypatch):
    _break_derivative(monkeypatch, "tanh", 1.01)
    assert main(["check", "xor"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 6 of 9 weights fail" in out
    assert out.count("> atol + 1e−6·|fd| = ") == 5 and "… and 1 more" in out

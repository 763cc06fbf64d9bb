"""A mean profile's cost is a mean (issue 23: ng's "the cost J a mean"): the loss step writes ℓ_D as the running
mean of the per-example losses, J ← J + (J⁽ⁿ⁾ − J)/k, and every view that shows it (the trace's end of epoch,
the status line, the graph, the keys, the training screen, the gradient check) shows that same mean; a sum
profile (lecture13, goodfellow) keeps the sum."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.notation import num
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS


def _trace(*args: str) -> str:
    import contextlib
    import io

    from bptui.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["trace", *args]) in (0, None)
    return out.getvalue()


# the pilot: xor's four per-example losses (from the trace itself) and their running means, worked by hand:
# 0.3128; (0.3128 + 0.3532)/2 = 0.333; (0.666 + 0.1677)/3 = 0.2779; (0.8337 + 0.2084)/4 = 0.2605
def test_ng_xor_first_epoch_cost_is_the_mean_of_the_per_example_losses():
    out = _trace(str(NETWORKS / "xor.json"), "--notation", "ng", "--epochs", "1")
    lines = re.findall(r"\[loss\] ℒ⁽(\S)⁾ = Σₖ \(aₖ\^\[2\] − yₖ\)² = \(\S+ − \S+\)² = (\S+);   (J ← .*)$", out, re.M)
    assert [n for n, _, _ in lines] == ["¹", "²", "³", "⁴"]
    losses = [float(v) for _, v, _ in lines]
    assert losses == [0.3128, 0.3532, 0.1677, 0.2084]
    means = ["0.3128", "0.333", "0.2779", "0.2605"]
    assert lines[0][2] == "J ← ℒ⁽¹⁾ = 0.3128"
    assert lines[1][2] == "J ← (J + ℒ⁽²⁾)/2 = (0.3128 + 0.3532)/2 = 0.333"
    assert lines[2][2] == "J ← (2J + ℒ⁽³⁾)/3 = (2·0.333 + 0.1677)/3 = 0.2779"
    assert lines[3][2] == "J ← (3J + ℒ⁽⁴⁾)/4 = (3·0.2779 + 0.2084)/4 = 0.2605"
    for k, mean in enumerate(means, start=1):
        assert abs(float(mean) - sum(losses[:k]) / k) < 1e-4  # the mean of the losses as printed
    assert "End of epoch 1: J = 0.2605" in out
    assert "1.042" not in out  # the sum is nowhere


@pytest.mark.parametrize("name", ["lecture13", "goodfellow"])
def test_a_sum_profile_keeps_the_sum(name):
    out = _trace(str(NETWORKS / "xor.json"), "--notation", name, "--epochs", "1")
    assert re.search(r"End of epoch 1: \S+ = 1\.042$", out, re.M)
    assert re.search(r"\S+_D ← \S+_D \+ \S+ = 0\.666 \+ 0\.1677 = 0\.8337", out)


async def test_ngs_status_line_shows_the_loss_steps_mean():
    from bptui.tui.app import BptuiApp

    app = BptuiApp(load(NETWORKS / "xor.json"), PROFILES["ng"])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(14):  # two examples' forward passes and losses (9 steps an example)
            app.main.action_next()
        await pilot.pause()
        assert app.main.stepper.last.key.phase == "loss"
        line = str(app.query_one("#status").render()).splitlines()[1]
        assert line.endswith("ℒ⁽²⁾ = 0.3532 · J so far = 0.333"), line
        assert "J ← (J + ℒ⁽²⁾)/2 = (0.3128 + 0.3532)/2 = 0.333" in str(
            app.main.query_one("#equation").render())


def test_the_graph_shows_the_mean():
    from bptui.tui.diagrams import network_graph, network_graph_state

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=PROFILES["ng"])
    stepper.run_until(lambda s: s.key.phase == "loss" and s.key.example == 2)
    state = network_graph_state(stepper, network_graph(spec, 4, PROFILES["ng"]), 4)
    assert state.texts["loss"][-1] == "J = 0.333"


def test_a_keys_cost_blank_asks_the_mean_and_keeps_the_lectures_value(tmp_path):
    from bptui.cli import main

    key_path = tmp_path / "key.md"
    assert main(["export", str(NETWORKS / "xor.json"), "--notation", "ng", "--epochs", "1", "--exercise",
                 "--blank", "loss", "--output", str(tmp_path / "page.md"), "--answers", str(key_path)]) in (0, None)
    blanks = [b for b in json.loads(key_path.with_suffix(".json").read_text(encoding="utf-8"))["blanks"]
              if b["quantity"] == "loss_D"]
    sums = []
    stepper = Stepper(load(NETWORKS / "xor.json"))
    for _ in range(len(stepper.schedule)):
        if stepper.forward().key.phase == "loss":
            sums.append(stepper.state.loss_D)
    # each ℓ_D blank: the lecture's value (the sum), the page's number its mean over the k losses so far
    assert [b["value"] for b in blanks[:4]] == pytest.approx(sums)
    assert [b.get("divided_by", 1) for b in blanks[:4]] == [1, 2, 3, 4]
    assert [b["shown"] for b in blanks[:4]] == ["0.3128", "0.333", "0.2779", "0.2605"]
    assert all(b["name"] == "J" and b["explanation"].startswith("J, the mean loss of the epoch so far: J ← ")
               for b in blanks)
    page = (tmp_path / "page.md").read_text(encoding="utf-8")
    assert "\\frac{J + \\mathcal{L}^{(2)}}{2}" in page and "mathcal{D}" not in page  # Ng's per-example ℒ, his cost J


@pytest.mark.parametrize("name, mean", [("ng", True), ("goodfellow", False)])
def test_the_gradient_check_differentiates_the_cost_on_screen(name, mean):
    """A mean profile's check differentiates J, the mean over the examples checked: its backprop gradient is the
    dW on screen (G/m), not m times it; a sum profile's is G."""
    from bptui.core.teaching.check import gradient_check, of_the_mean

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec, notation=PROFILES[name])
    stepper.run_until(lambda s: s.key.phase == "backward" and s.key.quantity == "G" and s.key.layer == 1
                      and s.key.example == spec.N)
    checks = gradient_check(spec, stepper.weights)
    shown = of_the_mean(checks, spec.N) if mean else checks
    G = np.asarray(stepper.state.G[1]) / (spec.N if mean else 1)  # as the panels show it
    for c in shown:
        if c.layer == 1:
            assert c.backprop == pytest.approx(G[c.row - 1, c.col], rel=1e-9)
            assert c.ok == next(d for d in checks if (d.layer, d.row, d.col) == (c.layer, c.row, c.col)).ok


def test_the_training_screens_words_follow_the_profile():
    from bptui.tui.view_names import view_names

    assert view_names(PROFILES["ng"]).curve == "J, the mean loss per example, per epoch"
    assert view_names(None).curve == "mean loss per example (ℓ_D / N), per epoch"
    assert view_names(PROFILES["goodfellow"]).curve == "mean loss per example (J_D / N), per epoch"


async def test_ngs_g_screen_shows_the_dw_on_screen():
    """g after an update group's gradient (xor: all 4 examples, full batch): ng's check lists ∂J/∂w of the mean J,
    each the dW (db) its panel shows, and says so."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.gradcheck import GradCheckScreen

    spec = load(NETWORKS / "xor.json")
    app = BptuiApp(spec, PROFILES["ng"])
    async with app.run_test(size=(120, 40)) as pilot:
        stepper = app.main.stepper
        while not (stepper.next_key.phase == "update"):
            app.main.action_next()
        await pilot.pause()
        await pilot.press("g")
        assert isinstance(app.screen, GradCheckScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = {(c.layer, c.row, c.col): c for c in app.screen.checks}
        for l in (1, 2):
            G = np.asarray(stepper.state.G[l]) / spec.N  # dW^[l] and db^[l] as ng's panels show them
            for (b, a), g in np.ndenumerate(G):
                assert shown[l, b + 1, a].backprop == pytest.approx(g, rel=1e-9, abs=1e-15)
                assert shown[l, b + 1, a].ok
        summary = str(app.screen.query_one("#check-summary").render())
        assert "(the dW^[l], db^[l] on screen)" in summary and "×" not in summary.split("·")[1]


def test_the_grader_takes_the_mean_and_names_the_sum_written_for_it(tmp_path):
    """ng's page asks J as the mean: the key's answers as shown are right; the sum written for the third J is
    named mean_not_taken."""
    from bptui.cli import main
    from bptui.grade import grade, load_key

    assert main(["export", str(NETWORKS / "xor.json"), "--notation", "ng", "--epochs", "1", "--exercise", "--blank",
                 "loss", "--output", str(tmp_path / "page.md"), "--answers", str(tmp_path / "key.md")]) in (0, None)
    key = load_key(tmp_path / "key.json")
    asked = {n: float(b["value"]) / int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    assert all(g.verdict == "right" for g in grade(key, asked).blanks)
    third = [n for n, b in sorted(key.blanks.items()) if b["quantity"] == "loss_D"][2]
    assert key.blanks[third]["divided_by"] == 3
    wrong = {**asked, third: float(key.blanks[third]["value"])}  # the sum 0.8337 for the mean 0.2779
    g = {bg.blank: bg for bg in grade(key, wrong).blanks}
    assert g[third].verdict == "wrong" and g[third].mistake is not None and g[third].mistake.id == "mean_not_taken"
    assert g[third].expected == pytest.approx(asked[third])

"""Row and column names of a sequence network in every profile (issue 23): each name is the profile's,
the same on the panel, in the explanation and on the equation line, and the number under it is the
core's number of that name.

- a simple rnn's U entry's gradient is named by U, as a gated layer's is: G⁽¹⁾_{U,b,c} with c counted in
  U (not G_b,(d+c), the column of the stored [W │ U]), ∂C/∂u₃,₁² … in the profiles, as the weight u₃,₁²;
  the explanation, the exercise's blanks and the answer key name it so, with the core's G_U entry;
- a U weight (and a gated layer's every weight) is named where a profile shows it, in Enter's prompt, as
  the kind and its explanation name it: u₃,₁², not w₃,₂² by the stored column;
- a GRU's s rows are its two products, W's s_x = W [1; x_τ] and U's s_h = U [1; h_{τ−1}] (n's candidate
  reads r ⊙ s_h): each part under its own name (z²_{x}, z²_{h} in nielsen), its rows by gate and unit
  from the profile's first; their numbers worked out here from the file's weights and the example.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.equations import board_group_size
from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.core.teaching.explain import Cell, explain

from .conftest import NETWORKS
from .test_notation import ALL
from .test_notation_panels import _lines, built, map_panels as panels, parse as parse_cell

SHOWN = [n for n in PROFILES if n != "lecture13"]

# the U entry (unit 3, U's column 1) of parity's rnn layer as each profile names its gradient
U_GRAD = {"lecture13": "G⁽¹⁾_{U,3,1}", "nielsen": "∂C/∂u₃,₁²", "goodfellow": "∇_u₃,₁⁽¹⁾ J", "ng": "du₃,₁^[1]",
          "cs231n": "du₀,₂¹", "column_mean": "G⁽¹⁾_{U,3,1}", "zero_based": "∇_u₂,₀¹ J"}
LETTER = ("lecture13", "column_mean")  # G a letter of its own: U's entry is G⁽¹⁾_{U,b,c}


def _after_first_example(stepper) -> None:
    """Forward to the first example's last step before the update (every τ's G added)."""
    while stepper.schedule.key(stepper.position).phase != "update":
        stepper.forward()


@pytest.mark.parametrize("name", list(ALL))
def test_a_simple_rnns_u_gradient_is_named_by_u_with_the_cores_value(name):
    spec = load(NETWORKS / "parity.json")  # d = 1, h = 4: [W │ U] is 4 × (1 + 1 + 4)
    kind = spec.kinds[0]
    stepper = Stepper(spec, notation=ALL[name])
    _after_first_example(stepper)
    p = TextPrinter(notation=ALL[name]).p
    assert p(kind.grad_sym(1, 2, kind.d + 1)) == U_GRAD[name]
    m = board_group_size(stepper) if ALL[name].mean else 1
    GU = kind.U_part(stepper.state.G[1])  # the core's G_U: Σ_τ δ_τ o_{τ−1}ᵀ
    assert np.any(GU != 0)
    for row in range(kind.h):
        w_grad, w = p(kind.grad_sym(1, row, 1)), p(kind.weight_sym(1, row, 1))
        for c in range(1, kind.h + 1):
            col = kind.d + c
            u = p(kind.weight_sym(1, row, col))
            assert u.startswith("u")
            grad = p(kind.grad_sym(1, row, col))
            # named as u is, as W's entry's gradient is named as w is (the lecture: U in the group, c in U)
            assert grad == (f"G⁽¹⁾_{{U,{row + 1},{c}}}" if name in LETTER else w_grad.replace(w, u)), grad
            ex = explain(stepper, Cell("G", 1, row + 1, col))
            assert ex.value == pytest.approx(GU[row, c - 1] / m, rel=1e-12, abs=1e-15)
            assert ex.title.startswith(f"{grad} = ") and all(f"{w_grad} " not in line for line in ex.lines)
            assert any(line.startswith(f"{grad} = ") for line in ex.lines), ex.text()
            line = "row" if ALL[name].transposed else "column"  # U's inputs as the panel shows them (cs231n: rows)
            assert f"(U's {line} {ALL[name].unit(c)}))" in ex.text()  # its note counts U's columns as the name does


def test_an_exercise_and_its_key_name_a_simple_rnns_u_gradient_by_u(tmp_path):
    """The exercise's blanks of G on parity: U's entries G⁽¹⁾_{U,b,c} in the key JSON with the core's G_U."""
    spec = load(NETWORKS / "parity.json")
    kind = spec.kinds[0]
    stepper = Stepper(spec)
    while not (stepper.schedule.key(stepper.position).quantity == "G" and stepper.schedule.key(stepper.position).layer == 1):
        stepper.forward()
    stepper.forward()  # layer 1's first G step (τ = T)
    at = stepper.position
    assert main(["export", str(NETWORKS / "parity.json"), "--exercise", "--blank", "G", "--steps", f"{at - 1}:{at}",
                 "--answers", str(tmp_path / "key.md"), "--output", str(tmp_path / "ex.md")]) == 0
    blanks = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["blanks"]
    GU = kind.U_part(stepper.state.G[1])
    named = {}
    for b in blanks:
        if b["quantity"] == "G" and b["layer"] == 1 and b["name"].startswith("G⁽¹⁾_{U,"):
            named[b["name"]] = b
    assert set(named) == {f"G⁽¹⁾_{{U,{r},{c}}}" for r in range(1, 5) for c in range(1, 5)}, sorted(b["name"] for b in blanks)
    for text, b in named.items():
        r, c = (int(x) for x in text[len("G⁽¹⁾_{U,"):-1].split(","))
        assert float(b["value"]) == pytest.approx(GU[r - 1, c - 1], rel=1e-9, abs=1e-12)
    assert not any(b["name"].startswith(("G₁,₂", "G₂,₂")) for b in blanks)  # no U entry by its [W │ U] column


# a GRU's two products on a profile's panel: (W's part's name, U's, the first row's gate and unit)
GRU_PARTS = {"nielsen": ("z²_{x}", "z²_{h}", "r1"), "goodfellow": ("a⁽¹⁾_{x}", "a⁽¹⁾_{h}", "ϱ1"),
             "ng": ("z^[1]_{x}", "z^[1]_{h}", "r1"), "cs231n": ("scores¹_{x}", "scores¹_{h}", "r0")}


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _grid(sheet) -> list[tuple[list[str], list[float | None]]]:
    """The grid's lines after the τ heading (up to the optimizer's state at the panel's foot): (the label's
    words, the numbers along τ; None for ·)."""
    out = []
    end = sheet.state_headings[0] - 1 if sheet.state_headings else None
    for line in _lines(sheet)[sheet.grid_top + 1:end]:
        cells = [parse_cell(c) for c in line[sheet.lead:].split()]
        out.append((line[:sheet.lead].split(), [None if c is None else c[0] for c in cells]))
    return out


@pytest.mark.parametrize("name", SHOWN)
def test_a_grus_s_rows_are_its_two_products_each_under_its_own_name(name):
    """gru_parity after its first example's forward pass: s's rows are W's product s_x = W [1; x_τ] and U's
    s_h = U [1; h_{τ−1}] (PyTorch's nn.GRU: r = σ(s_x,r + s_h,r), n = tanh(s_x,n + r ⊙ s_h,n)), each under
    its own name with its rows by gate and unit (no "x r1", "h r1"), worked out here from the file's W and U
    and the example, and the board's s."""
    spec = load(NETWORKS / "gru_parity.json")
    kind = spec.kinds[0]
    h = kind.h
    stepper = Stepper(spec, notation=PROFILES[name])
    sheets = panels(stepper)
    while stepper.schedule.key(stepper.position).phase == "forward":
        stepper.forward()
    built(stepper, 4, sheets)
    grid = _grid(sheets[0])
    x_name, h_name, first = GRU_PARTS[name]
    starts = [i for i, (words, _) in enumerate(grid) if words[:1] in ([x_name], [h_name])]
    assert [grid[i][0] for i in starts] == [[x_name, first], [h_name, first]], [w for w, _ in grid]
    assert starts[1] == starts[0] + 3 * h
    gates = TextPrinter(notation=PROFILES[name]).p(kind.step_sym("gates", 1, None))  # [r, z, n]¹, nielsen's [r, u, n]²
    gates_row = next(i for i, (words, _) in enumerate(grid) if " ".join(words).startswith(gates + " "))
    units = [words[-1] for words, _ in grid[gates_row:gates_row + 3 * h]]  # the gates' rows r1 … n4
    for part in starts:
        assert [words[-1] for words, _ in grid[part:part + 3 * h]] == units
        assert all(len(words) == 1 for words, _ in grid[part + 1:part + 3 * h])
    assert not any(words[-2:-1] in (["x"], ["h"]) and words[-1] in units for words, _ in grid)  # no "x r1"
    # the numbers: W's and U's products, from the file's weights and the example's x_τ
    file = kind.weights_json(stepper.state.W[1])
    W, U = np.asarray(file["W"]), np.asarray(file["U"])
    xs = np.asarray(stepper.where().x, dtype=float)
    prev = np.zeros(h)
    for t, x in enumerate(xs):
        sx = W[:, 0] + W[:, 1:] @ x
        sh = U[:, 0] + U[:, 1:] @ prev
        assert np.allclose(stepper.state.s[1][t], np.concatenate([sx, sh]), rtol=1e-12, atol=1e-14)  # the core's s
        for part, values in ((starts[0], sx), (starts[1], sh)):
            shown = [numbers[t] for _, numbers in grid[part:part + 3 * h]]
            assert shown == pytest.approx(values, abs=5e-5)
        r, z = _sigmoid(sx[:h] + sh[:h]), _sigmoid(sx[h:2 * h] + sh[h:2 * h])
        n = np.tanh(sx[2 * h:] + r * sh[2 * h:])
        prev = (1 - z) * n + z * prev
        assert np.allclose(stepper.state.o[1][t + 1], prev, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("network", ["parity", "gru_parity", "long_memory_lstm"])
def test_a_recurrent_weight_is_named_where_a_profile_shows_it_as_its_explanation_names_it(network):
    """Enter's prompt names a weight as the profile's panel shows it (``profiled_weight_sym``): U's entries
    as the kind names them (u₃,₁², not w₃,₂² by the stored [W │ U]'s column; a GRU's U bias b²_{h,r,3}) and a
    gated layer's W rows by gate (w²_{u,2,1}, b²_{u,2}: not w₆,₁², the stored row), as its explanation does."""
    spec = load(NETWORKS / f"{network}.json")
    kind = spec.kinds[0]
    for name in SHOWN:
        P = PROFILES[name]
        p = TextPrinter(notation=P).p
        stepper = Stepper(spec, notation=P)
        for (row, col), _ in np.ndenumerate(stepper.state.W[1]):
            shown = p(kind.profiled_weight_sym(P, 1, row, col))
            if col > kind.d or kind.gates > 1:
                assert shown == p(kind.weight_sym(1, row, col))
                assert explain(stepper, Cell("W", 1, row + 1, col)).title.startswith(f"{shown} = "), (name, row, col)
            if col > kind.d + kind.u_bias:  # U's entries (a GRU's U's own bias column: b_{h}'s, below)
                assert shown.startswith("u"), shown
    P = PROFILES["nielsen"]
    if network == "parity":
        assert TextPrinter(notation=P).p(kind.profiled_weight_sym(P, 1, 2, kind.d + 1)) == "u₃,₁²"
    if network == "gru_parity":
        assert [TextPrinter(notation=P).p(kind.profiled_weight_sym(P, 1, 5, c)) for c in range(4)] == [
            "b²_{u,2}", "w²_{u,2,1}", "b²_{h,u,2}", "u²_{u,2,1}"]


async def test_an_edit_of_a_u_weight_in_nielsen_names_it_by_u_and_changes_the_files_u():
    """parity in nielsen: right of w²₁,₁ the cursor is on U's first entry; Enter asks for u₁,₁² and the edit
    changes the file's U[0][0] only."""
    from bptui.tui.app import BptuiApp
    from bptui.tui.profile_seq_sheet import ProfileSeqSheet

    from .test_notation_panels import edit

    app = BptuiApp(load(NETWORKS / "parity.json"), PROFILES["nielsen"])
    async with app.run_test(size=(120, 40)) as pilot:
        sheet = app.screen.query_one("#layer-1", ProfileSeqSheet)
        sheet.focus()
        await pilot.pause()
        await pilot.press("right")
        assert sheet.cursor_cell == ("W", 1, 0, 2)
        kind = app.stepper.spec.layer_kinds[0]
        before = kind.weights_json(np.array(app.stepper.state.W[1]))
        await edit(pilot, "u₁,₁²", "0.25")
        after = kind.weights_json(np.array(app.stepper.state.W[1]))
        assert after["U"][0][0] == 0.25 and after["W"] == before["W"]
        assert [r[1:] for r in after["U"]] == [r[1:] for r in before["U"]] and [r[0] for r in after["U"][1:]] == \
            [r[0] for r in before["U"][1:]]


def _gradient_of(P, weights: str) -> str:
    """The profile's name of the gradient of a matrix its panel names ``weights``: the gradient's symbol with
    its place {} filled (∂C/∂w², ∂C/∂U², dU¹)."""
    assert "{}" in P.gradient.text
    return P.gradient.text.replace("{}", weights)


@pytest.mark.parametrize("name", SHOWN)
@pytest.mark.parametrize("network", ["parity", "gru_parity"])
def test_u_parts_gradient_on_a_panel_is_named_by_u_with_us_own_indices(name, network):
    """The gradient of [W │ U] on a profile's sequence panel: W's columns under W's gradient's name, U's under
    U's (∂C/∂U², ∇_U⁽¹⁾ J, dU^[1], dU¹), each name the profile's gradient of the weights' name over the same
    columns; with row vectors (cs231n) dU¹'s lines count U's own inputs k = 0 … h − 1, as U¹'s lines do."""
    spec = load(NETWORKS / f"{network}.json")
    kind = spec.kinds[0]
    P = PROFILES[name]
    stepper = Stepper(spec, notation=P)
    sheet = panels(stepper)[0]
    from .test_notation_seq_panels import name_over

    p = TextPrinter(notation=P).p
    seen = set()
    for y, x, key in sheet.cells:
        q, l, row, col = key
        if q != "G" or col == 0:
            continue
        w_cell = next((yy, xx) for yy, xx, k in sheet.cells if k == ("W", l, row, col))
        weights = name_over(sheet, *w_cell)
        grad = name_over(sheet, y, x)
        assert grad == _gradient_of(P, weights), (key, grad, weights)
        seen.add((weights, grad))
    assert len(seen) == 2 + (kind.u_bias if P.separate_bias else 0), seen  # W's and U's (a GRU's b_{h} apart)
    if P.vectors == "row":  # each line's k: U's lines from the profile's first unit, as U¹'s
        lines = _lines(sheet)
        def ks(heading: str) -> list[str]:
            at = next(i for i, line in enumerate(lines) if line.split()[:1] == [heading])
            out = [lines[at].split()[1]]
            for line in lines[at + 1:]:
                words = line.split()
                if not words or not (words[0].startswith("k=") or words[0] == "b"):
                    break
                out.append(words[0])
            return out
        U = p(kind.matrix_parts(1)[1][1])  # U's lines k = 0 … as its names u_{r,k,j} (a GRU's U bias: b¹_{h}'s line)
        assert ks(_gradient_of(P, U)) == ks(U) == [f"k={P.unit(c)}" for c in range(1, kind.h + 1)], lines

"""Every number is named as its panel shows it: each layer kind names the weights of its matrix
(``LayerKind.weight_sym``, ``grad_sym``) and the cells of its maps (``cell_sym``), and `bptui check`,
the gradient check `g`, explanations, edits, the quiz, answer keys and exercises all ask it."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.teaching.explain import Cell, explain
from bptui.core.formulas.formula import TextPrinter
from bptui.core.kinds import Conv2d
from bptui.core.teaching.quiz import candidates
from bptui.core.formats.spec import load
from bptui.core.engine.stepper import Stepper
from bptui.exercise import Blanker, example_part, parse_quantities
from bptui.export import export

from .conftest import NETWORKS

P = TextPrinter()


def _indices(name: str) -> tuple[int, ...]:
    """The subscripts of a printed name, w₂,₁,₁,₂⁽¹⁾ → (2, 1, 1, 2)."""
    digits = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
    return tuple(int(x) for x in name[1:name.index("⁽")].translate(digits).split(","))


def test_each_kind_names_every_weight_of_its_matrix_as_the_file_and_panel_hold_it():
    """Name → value through the file's own layout: a kernel weight w_k,c,u,v is kernel[k][c][u][v] of
    the file's ``{"kernel", "bias"}`` and b_k is bias[k]; a recurrent layer's w_b,a is W[b][a] and
    u_b,c is U[b][c]; a dense weight w_b,a is row b, column a."""
    conv_spec = load(NETWORKS / "two_channel.json")  # kernels 2 × 2 channels × 2 × 2, stride 2
    conv, W = conv_spec.kinds[0], conv_spec.weights[0]
    file = conv.weights_json(W)
    names = set()
    for (row, col), value in np.ndenumerate(W):
        name = P.p(conv.weight_sym(1, row, col))
        names.add(name)
        if col == 0:
            assert name.startswith("b") and file["bias"][_indices(name)[0] - 1] == value
        else:
            k, c, u, v = _indices(name)
            assert name.startswith("w") and file["kernel"][k - 1][c - 1][u - 1][v - 1] == value
        assert P.p(conv.grad_sym(1, row, col)) == ("G_b" if col == 0 else "G") + name[1:]
    assert len(names) == W.size and "w₂,₂,₁,₂⁽¹⁾" in names and "b₁⁽¹⁾" in names
    assert P.p(conv.weight_sym(1, 1, 6)) == "w₂,₂,₁,₂⁽¹⁾"  # column 6: c = 2, u = 1, v = 2 (from 1)

    rnn_spec = load(NETWORKS / "parity.json")  # d = 1, h = 4: [W | U] is 4 × (1 + 1 + 4)
    rnn, R = rnn_spec.kinds[0], rnn_spec.weights[0]
    file = rnn.weights_json(R)
    for (row, col), value in np.ndenumerate(R):
        name = P.p(rnn.weight_sym(1, row, col))
        b, a = _indices(name)
        assert (file["U"][b - 1][a - 1] if name.startswith("u") else file["W"][b - 1][a]) == value
    assert [P.p(rnn.weight_sym(1, 2, col)) for col in range(6)] == ["w₃,₀⁽¹⁾", "w₃,₁⁽¹⁾", "u₃,₁⁽¹⁾", "u₃,₂⁽¹⁾",
                                                                   "u₃,₃⁽¹⁾", "u₃,₄⁽¹⁾"]
    dense = conv_spec.kinds[2]
    assert P.p(dense.weight_sym(3, 0, 2)) == "w₁,₂⁽³⁾" and P.p(dense.grad_sym(3, 0, 2)) == "G₁,₂⁽³⁾"


def _break(monkeypatch, row: int, col: int) -> None:
    """A wrong convolution gradient in one entry of G⁽¹⁾, for the check to find."""
    grad = Conv2d.grad

    def wrong(self, W, delta, O, saved=None):
        G = grad(self, W, delta, O, saved)
        G[row, col] *= 1.5
        return G

    monkeypatch.setattr(Conv2d, "grad", wrong)


@pytest.mark.parametrize("row,col,name", [(1, 6, "w₂,₂,₁,₂⁽¹⁾"), (0, 0, "b₁⁽¹⁾")])
def test_check_names_a_failing_kernel_weight_by_kernel_channel_and_offset(capsys, monkeypatch, row, col, name):
    _break(monkeypatch, row, col)
    assert main(["check", str(NETWORKS / "two_channel.json")]) == 1
    out = capsys.readouterr().out
    failing = [line.strip() for line in out.splitlines() if line.startswith("  ") and ": backprop " in line]
    assert len(failing) == 1 and failing[0].startswith(f"{name}: backprop ")
    assert "⁽¹⁾_" not in out


async def test_the_gradient_check_screen_names_kernel_weights_and_biases(monkeypatch):
    from .test_edit_tui import check
    from .tui_helpers import app_for

    _break(monkeypatch, 1, 6)
    app = app_for("two_channel")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await check(pilot, app)
        from textual.widgets import DataTable

        table = screen.query_one(DataTable)
        rows = [[str(x) for x in table.get_row_at(i)] for i in range(table.row_count)]
        names = [r[1] for r in rows]
        assert names[0] == "w₂,₂,₁,₂⁽¹⁾" and rows[0][-1] == "✗"  # failures first
        assert "b₁⁽¹⁾ (bias)" in names and "w₁,₁,₁,₁⁽¹⁾" in names and "w₁,₀⁽³⁾ (bias)" in names
        assert len(set(names)) == len(names) == sum(w.size for w in app.spec.weights)
        assert not any("," in n and len(_indices(n.split()[0])) == 2 for n in names if n.endswith("⁽¹⁾"))


def test_explanations_edits_and_updates_name_kernel_weights():
    spec = load(NETWORKS / "two_channel.json")
    st = Stepper(spec)
    st.goto(len(st.schedule))  # after the epoch's update
    w = float(st.state.W[1][1, 6])
    e = explain(st, Cell("W", 1, 2, 6))
    assert e.title.startswith(f"w₂,₂,₁,₂⁽¹⁾ = {e.lines[-1].split('= ')[-1]}: the weight of kernel 2 at channel 2, "
                              "offset (1, 2) in layer 1")
    assert e.lines[0].startswith("w₂,₂,₁,₂⁽¹⁾ ← w₂,₂,₁,₂⁽¹⁾ − η G₂,₂,₁,₂⁽¹⁾") and e.value == w
    assert explain(st, Cell("W", 1, 1, 0)).title.startswith("b₁⁽¹⁾ = ")
    assert explain(st, Cell("G", 1, 2, 6)).title.startswith("G₂,₂,₁,₂⁽¹⁾ = ")
    assert st.provenance(1, 1, 6).text().splitlines()[1].strip().startswith("w₂,₂,₁,₂⁽¹⁾ ← w₂,₂,₁,₂⁽¹⁾ − η G₂,₂,₁,₂⁽¹⁾")
    assert st.edit_weight(1, 1, 6, 0.5).name == "w₂,₂,₁,₂⁽¹⁾"
    assert st.edit_weight(1, 0, 0, 0.25).name == "b₁⁽¹⁾"


def test_keys_and_the_quiz_name_map_cells_as_the_panels_do():
    """Example 1's key of two_channel: a map's first position is s₁,₁,₁ and o₁,₁,₁ (never o₀, the
    lecture's bias 1), the pooling layer's backward value ∂ℓ/∂o (never δ), a kernel's G₁,₁,₁,₁; each
    value is the board's number there."""
    spec = load(NETWORKS / "two_channel.json")
    blanker = Blanker(spec)
    list(export(spec, "markdown", 1, example_part(spec, 1), blanker))
    st = Stepper(spec)
    got = [(e.step, P.p(e.symbol)) for e in blanker.entries]
    assert got == [(1, "s₁,₁,₁⁽¹⁾"), (2, "o₁,₁,₁⁽¹⁾"), (3, "o₁,₁,₁⁽²⁾"), (4, "s₁⁽³⁾"), (5, "o₁⁽³⁾"), (6, "ℓ⁽¹⁾"),
                   (6, "ℓ_D"), (7, "δ₁⁽³⁾"), (8, "G₁,₀⁽³⁾"), (8, "G₁,₁⁽³⁾"), (8, "G₁,₂⁽³⁾"),
                   (9, "∂ℓ⁽¹⁾/∂o₁,₁,₁⁽²⁾"), (10, "δ₁,₁,₁⁽¹⁾"), (11, "G₁,₁,₁,₁⁽¹⁾")]
    for e in blanker.entries:
        st.goto(e.step)
        q, l, index = e.ref.quantity, e.ref.layer, e.ref.index
        board = {"s": st.state.s, "o": st.state.o, "delta": st.state.delta, "G": st.state.G}.get(q)
        if board is not None:
            assert e.value == board[l][index]
    # the quiz asks for the same cells under the same names: the key's first, then every other
    # position of the map (every kernel weight of a conv G, never its bias column)
    asked = {}
    for step in range(1, 12):
        st.goto(step)
        asked[step] = [c.symbol() for c in candidates(spec, st.last.key)]
    assert asked[9][0] == "∂ℓ/∂o₁,₁,₁⁽²⁾" and asked[10][0] == "δ₁,₁,₁⁽¹⁾" and asked[11][0] == "G₁,₁,₁,₁⁽¹⁾"
    assert asked[2][0] == "o₁,₁,₁⁽¹⁾"
    conv, pool = spec.layer_kinds[0], spec.layer_kinds[1]
    assert len(set(asked[10])) == conv.out_size and len(set(asked[9])) == pool.out_size
    rows, cols = conv.param_shape
    assert asked[11] == [P.p(conv.grad_sym(1, r, a)) for r in range(rows) for a in range(1, cols)]


def test_an_exercise_that_blanks_conv_weights_names_kernels_and_biases():
    spec = load(NETWORKS / "two_channel.json")
    blanker = Blanker(spec, parse_quantities("W"))
    list(export(spec, "markdown", 1, None, blanker))
    st = Stepper(spec)
    st.goto(len(st.schedule))
    conv = [(P.p(e.symbol), e.value, e.ref.index) for e in blanker.entries if e.ref.layer == 1]
    assert conv and {name[0] for name, _, _ in conv} == {"b", "w"}
    for name, value, (row, col) in conv:
        assert name == P.p(spec.kinds[0].weight_sym(1, row, col)) and value == st.state.W[1][row, col]
        assert len(_indices(name)) == (1 if col == 0 else 4)


@pytest.mark.parametrize("name", ["long_memory_lstm", "gru_parity"])
def test_a_gated_layers_weights_are_named_with_their_gate_everywhere(name, tmp_path):
    """A gated layer's weight is w⁽ˡ⁾_{gate,b,a} (u⁽ˡ⁾_{gate,b,c} in U; a GRU's U bias is c = 0), every
    gate alike (i has a subscript character, f and g have none: the names are one group after the
    layer, docs/gated.md); name → value through the file's {"W", "U"}; the gradient check `g`, the
    explanation of a weight and of G, the key JSON and its Markdown use that one name."""
    import json
    import re

    from bptui.core.engine.stepper import weight_name

    spec = load(NETWORKS / f"{name}.json")
    kind, W = spec.kinds[0], spec.weights[0]
    file = kind.weights_json(W)
    u_bias = kind.param_shape[1] - 1 - kind.d - kind.h
    pattern = re.compile(r"^([wu])⁽¹⁾_\{([a-z]),(\d+),(\d+)\}$")
    names = set()
    for (row, col), value in np.ndenumerate(W):
        text = P.p(kind.weight_sym(1, row, col))
        m = pattern.match(text)
        assert m, text
        letter, gate, b, a = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        r = "ifgo".index(gate) * kind.h + b - 1 if kind.type == "lstm" else "rzn".index(gate) * kind.h + b - 1
        assert (file["U"][r][a - 1 + u_bias] if letter == "u" else file["W"][r][a]) == value
        grad = "G" + text[1:] if letter == "w" else "G⁽¹⁾_{U," + text[len("u⁽¹⁾_{"):]  # U's own: its c is not a W a
        assert P.p(kind.grad_sym(1, row, col)) == grad and weight_name(1, row, col, kind) == text
        names.add(text)
    assert len(names) == W.size
    assert ("w⁽¹⁾_{f,2,0}" in names and "w⁽¹⁾_{i,2,0}" in names) if kind.type == "lstm" else "u⁽¹⁾_{n,1,0}" in names
    st = Stepper(spec)
    while st.next_key.quantity != "W":
        st.forward()
    st.forward()
    text = explain(st, Cell("W", 1, kind.h + 2, 0), 4).text()  # row h + 2: the second gate's unit 2, its bias
    second = "w⁽¹⁾_{f,2,0}" if kind.type == "lstm" else "w⁽¹⁾_{z,2,0}"
    assert text.startswith(second)
    key = tmp_path / "key.md"
    assert main(["export", str(NETWORKS / f"{name}.json"), "--exercise", "--steps", f"{st.position - 1}:{st.position}",
                 "--answers", str(key), "--output", str(tmp_path / "ex.md")]) == 0
    blanks = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["blanks"]
    named = {b["name"] for b in blanks if b["quantity"] == "W" and b["layer"] == 1}
    assert named and named <= names and all(b["indices"][0] in "ifgorzn" for b in blanks if b["quantity"] == "W")

"""The attention layer kind in the app's other rooms: its file entry and the reader's errors, the step
schedule of a network without a recurrent layer on sequences, the trace's quantities, the bundled
example (count_tokens) learning what needs attention, and the app stepping it forward and back."""

from __future__ import annotations

import copy
import json
import random
import time

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.schedule import sequence_block
from bptui.core.engine.train import accuracy, train
from bptui.core.formats.spec import load, parse
from bptui.core.util.errors import SpecError

from .conftest import NETWORKS
from .test_attention_reference import random_attention_spec

BASE = json.loads((NETWORKS / "count_tokens.json").read_text(encoding="utf-8"))
OWN = ["q", "k", "v", "scores", "a", "z", "o"]
BACK = ["dz", "da", "delta", "dq", "dk", "dv", "dx", "G", "G", "G", "G"]


def count_data(seed: int, n: int, T: int = 5, V: int = 3) -> tuple[list, list]:
    """n sequences of T one-hot tokens of V kinds; each position's target: how many times its token
    occurs in the sequence (one-hot over 1 … T)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n):
        tok = rng.integers(0, V, size=T)
        xs.append(np.eye(V)[tok].tolist())
        ys.append(np.eye(T)[(tok[:, None] == tok[None, :]).sum(axis=1) - 1].tolist())
    return xs, ys


def test_the_bundled_data_is_the_counting_task():
    spec = load(NETWORKS / "count_tokens.json")
    for n in range(spec.N):
        x, y = spec.x_of(n), spec.y_of(n)
        tok = x.argmax(axis=1)
        np.testing.assert_array_equal(y.argmax(axis=1) + 1, (tok[:, None] == tok[None, :]).sum(axis=1))
    assert not any(k.over_time and not k.mixes_time for k in spec.layer_kinds)  # no recurrent layer
    assert spec.return_sequences


def test_count_tokens_learns_in_seconds_and_counts_unseen_sequences():
    spec = load(NETWORKS / "count_tokens.json")
    t0 = time.process_time()  # CPU time: what a busy machine does not stretch
    result = train(spec, spec.epochs)
    assert time.process_time() - t0 < 30  # about 2.5 s of CPU on the 2-core machine
    assert accuracy(spec, result.weights, spec.inputs, spec.targets) == 1.0
    xs, ys = count_data(99, 500)
    fresh = parse({**BASE, "data": {"inputs": xs, "targets": ys}}, "fresh")
    assert accuracy(fresh, result.weights, fresh.inputs, fresh.targets) >= 0.95
    # without attention's mixing no layer sees the other tokens: the file's untrained weights are at chance
    assert accuracy(fresh, spec.weights, fresh.inputs, fresh.targets) < 0.5


def test_the_schedule_runs_the_layers_below_by_tau_then_attention_whole_then_above():
    spec = random_attention_spec(0)
    kinds = spec.kinds
    T = 3
    block = sequence_block(spec.L, T, kinds)
    att = [l for l, k in enumerate(kinds, start=1) if k.mixes_time]
    for l in att:
        mine = [(p, q, t) for p, q, m, t in block if m == l]
        assert [q for p, q, t in mine if p == "forward"] == OWN
        assert [q for p, q, t in mine if p == "backward"] == ["dz", "da", "delta", "dq", "dk", "dv", "dx",
                                                              "GQ", "GK", "GV", "GO"]
        assert all(t is None for _, _, t in mine)
    first_att = min(i for i, b in enumerate(block) if b[2] in att)
    # every step before attention's first is a layer below it at some τ, all τ done
    below = [b for b in block[:first_att]]
    assert {b[3] for b in below} <= set(range(1, T + 1)) and all(b[2] < min(att) for b in below)
    if below:
        assert {b[3] for b in below} == set(range(1, T + 1))


def test_trace_names_every_step_and_each_G_with_its_weight():
    from itertools import islice

    from bptui.trace import trace_json

    rows = [json.loads(line) for line in islice(trace_json(load(NETWORKS / "count_tokens.json"), 1), 200)]
    first = [r for r in rows if r["example"] == 1 and r["layer"] == 1]
    assert [r["quantity"] for r in first] == OWN + BACK
    assert [r.get("weight") for r in first if r["quantity"] == "G"] == ["Q", "K", "V", "O"]
    assert all("time" not in r for r in first)
    T, d, dk = 5, 3, 8
    shapes = {r["quantity"] + r.get("weight", ""): np.shape(r["value"]) for r in first}
    assert shapes["q"] == shapes["z"] == shapes["dq"] == (T, dk)
    assert shapes["a"] == shapes["scores"] == shapes["delta"] == (2, T, T)
    assert shapes["o"] == shapes["dx"] == (T, d)
    assert shapes["GQ"] == (dk, d + 1) and shapes["GO"] == (d, dk + 1)
    for r in first:  # every step an equation with its numbers
        assert "=" in r["equation"] and any(ch.isdigit() for ch in r["equation"].split("=", 2)[-1])
    a = np.array(next(r["value"] for r in first if r["quantity"] == "a"))
    np.testing.assert_allclose(a.sum(axis=2), 1.0)


# -- the reader: mutated bundled files ---------------------------------------------------------------
def _mutations(rng: random.Random) -> tuple[dict, str]:
    """One mutation of the bundled file that the reader must refuse, and the place its error names."""
    doc = copy.deepcopy(BASE)
    layer = doc["layers"][1]
    kind = rng.choice(["heads", "dim", "weights", "rnn", "shape"])
    if kind == "heads":  # dk not a multiple of H
        layer["dim"] = rng.choice([3, 5, 7, 9])
        layer["heads"] = rng.choice([2, 4]) if layer["dim"] % 2 else 2
        return doc, "layers[1].heads"
    if kind == "dim":
        del layer["dim"]
        return doc, "layers[1]"
    if kind == "weights":  # one matrix of the four the wrong shape
        W = parse(BASE, "x").layer_kinds[0].weights_json(parse(BASE, "x").weights[0])
        name = rng.choice("QKVO")
        rows = W[name]
        W[name] = rows[:-1] if rng.random() < 0.5 else [r + [0.0] for r in rows]
        doc["weights"] = [W, np.zeros((16, 4)).tolist(), np.zeros((5, 17)).tolist()]
        return doc, f"weights[0].{name}"
    if kind == "rnn":
        doc["layers"].insert(1, {"type": "rnn", "units": 3, "return_sequences": True})
        return doc, "layers"
    doc["layers"][0] = {"shape": [1, 3, 3]}
    return doc, "layers[1]"


@pytest.mark.parametrize("seed", range(30))
def test_the_reader_refuses_a_broken_attention_entry_naming_the_place(seed):
    doc, place = _mutations(random.Random(seed))
    with pytest.raises(SpecError) as err:
        parse(doc, "count_tokens.json")
    assert err.value.place == place, (str(err.value), place)


@pytest.mark.parametrize("seed", range(0, 30, 6))
def test_a_broken_file_is_one_error_line_and_status_2(tmp_path, capsys, seed):
    doc, place = _mutations(random.Random(seed))
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code = main(["train", str(path), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "broken.json" in lines[0] and place in lines[0]
    assert "Traceback" not in err


def test_the_schema_takes_the_entry_and_refuses_strangers():
    good = copy.deepcopy(BASE)
    good["layers"][1]["causal"] = True
    assert parse(good, "x").layer_kinds[0].causal
    for key, value in (("heads", 0), ("dim", 0), ("causal", "yes"), ("size", 2)):
        bad = copy.deepcopy(BASE)
        bad["layers"][1][key] = value
        with pytest.raises(SpecError):
            parse(bad, "x")


def test_weights_round_trip_through_the_file_form():
    spec = random_attention_spec(3)
    for k, W in zip(spec.layer_kinds, spec.weights):
        if k.mixes_time:
            form = k.weights_json(W)
            assert set(form) == {"Q", "K", "V", "O"}
            assert np.shape(form["Q"]) == (k.dk, k.d + 1) and np.shape(form["O"]) == (k.d, k.dk + 1)
            np.testing.assert_array_equal(k.weights_from_json(form), W)


# -- the app ----------------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_the_app_steps_an_attention_network_forward_and_back(monkeypatch):
    """count_tokens opened and stepped through its first example and back: no error reported, the
    layer's panel shows q, k, v per τ and a per head and key, each number the board's, and Tab explains
    a cell of a."""
    from bptui.tui import guard
    from bptui.tui.explain import TimeIndex
    from bptui.tui.seq_sheet import SeqSheet

    from .tui_helpers import app_for

    reported: list[BaseException] = []
    monkeypatch.setattr(guard, "report", lambda app, error: reported.append(error))
    app = app_for("count_tokens")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        steps = int(app.stepper.schedule.sizes[0])
        for _ in range(7):  # q, k, v, scores, a, z, o
            app.main.action_next()
        await pilot.pause()
        sheet = app.query_one("#layer-1", SeqSheet)
        keys = [c[2] for c in sheet.cells]
        st = app.stepper.state
        for q in ("q", "k", "v", "a"):
            assert any(k[0] == q and k[1] == 1 for k in keys), q
        texts = ["".join(part[0] for part in line) for line in sheet.lines]
        assert any(t.startswith("ah1 τ′1") for t in texts) and any(t.startswith("q b=1") for t in texts)
        row = next(t for t in texts if t.startswith("ah1 τ′2"))
        shown = [float(v.replace("−", "-")) for v in row.split()[2:]]
        np.testing.assert_allclose(shown, st.extra["a", 1][0, :, 1], atol=1e-4)
        line = next(line for line in sheet.lines if "".join(p[0] for p in line).startswith("ah1 τ′2"))
        shades = [p[1].rstrip("+") for p in line if p[2] is not None]  # a heat map: the shade follows a
        assert shades == [f"heat{1 + min(3, int(a * 4))}" for a in st.extra["a", 1][0, :, 1]], shades
        sheet.focus()
        await pilot.pause()
        sheet.cursor = keys.index(("a", 1, TimeIndex(3, 1), None))
        await pilot.press("right", "left")
        await pilot.pause()
        text = app.query_one("#explain").text
        assert "how much query 3 reads key 2" in text, text
        app.main.focus()
        await pilot.press("escape", "b")  # to the end of the backward pass: layer 1's last step is G_O
        await pilot.pause()
        key = app.stepper.last.key
        assert (key.layer, key.quantity, app.stepper.position) == (1, "GO", steps), key
        for _ in range(steps):
            app.main.action_prev()
        await pilot.pause()
        assert app.stepper.position == 0 and not reported, reported


def test_a_sequence_too_long_for_its_scores_is_refused_before_anything_is_drawn():
    """The scores grow with T²: 2,000 steps are 16 million numbers for one sequence's board."""
    doc = copy.deepcopy(BASE)
    doc["data"] = {"inputs": [[[1, 0, 0]] * 2000], "targets": [[[1, 0, 0, 0, 0]] * 2000]}
    with pytest.raises(SpecError) as err:
        parse(doc, "long.json")
    assert err.value.place == "data.inputs" and "H·T²" in str(err.value)
    doc["data"] = {"inputs": [[[1, 0, 0]] * 500], "targets": [[[1, 0, 0, 0, 0]] * 500]}
    assert parse(doc, "ok.json").lengths[0] == 500


def test_the_rules_write_attention_forward_and_back_not_a_dense_layer():
    from bptui.core.engine.equations import network_formulas
    from bptui.core.engine.network import Network
    from bptui.core.formulas.formula import TextPrinter

    spec = load(NETWORKS / "count_tokens.json")
    text = "\n".join(TextPrinter().equation(e) for e in network_formulas(Network(spec), spec.optimizer))
    for part in ("q⁽¹⁾ = X̃⁽¹⁾ W_Q⁽¹⁾ᵀ", "aₕ⁽¹⁾ = softmax(eₕ⁽¹⁾)", "δₕ⁽¹⁾ = aₕ⁽¹⁾ ⊙ (∂ℓ/∂aₕ⁽¹⁾ − rₕ⁽¹⁾)",
                 "G_Q⁽¹⁾ ← G_Q⁽¹⁾ + ∂ℓ/∂q⁽¹⁾ᵀ X̃⁽¹⁾"):
        assert part in text, (part, text)
    assert "o⁽¹⁾ = [1, s⁽¹⁾]" not in text  # not the dense layer's rule


async def test_the_padding_of_an_attention_matrix_cannot_be_edited():
    """W_Q, W_K, W_V stand padded to W_O's width in the one matrix: Enter on a padding entry says it is
    no weight and changes nothing; a real weight beside it still opens the editor's prompt."""
    from bptui.tui import messages

    from .tui_helpers import app_for

    app = app_for("count_tokens")
    async with app.run_test(size=(120, 40)) as pilot:
        kind = app.spec.layer_kinds[0]
        W = app.stepper.state.W[1]
        pad = next((r, c) for r in range(W.shape[0]) for c in range(W.shape[1]) if not kind.editable(r, c))
        assert W[pad] == 0 and kind.editable(0, 1)
        app.screen.post_message(messages.EditRequested(("W", 1, *pad)))
        await pilot.pause()
        said = str(app.screen.query_one("#message").render())
        assert "is no weight" in said and "outside the four matrices" in said, said
        np.testing.assert_array_equal(app.stepper.state.W[1], W)


@pytest.mark.parametrize("seed", range(8))
def test_each_rows_softmax_is_the_shifted_one_at_any_size_of_scores(seed):
    """The batch pass skips the shift by each row's maximum while every |score| is below SAFE_EXP: the
    same a (to rounding) as exp(e − max) / Σ exp(e − max) for scores of any size, masks (causal, past an
    example's end) included, every row summing to 1 and the masked entries exactly 0; δ from it as
    a ⊙ (∂ℓ/∂a − a·∂ℓ/∂a)."""
    from bptui.core.kinds.attention.layer import SAFE_EXP, softmax_back, softmax_rows

    rng = np.random.default_rng([21, seed])
    T = int(rng.integers(1, 9))
    scale = [0.1, 3.0, SAFE_EXP / 4, SAFE_EXP * 3, 1e6][seed % 5]
    S = rng.normal(0, scale, size=(3, 2, T, T))
    mask = np.tril(np.ones((T, T), dtype=bool))[None, None] if seed % 2 else None
    E = np.where(mask, S, -np.inf) if mask is not None else S
    shifted = np.exp(E - E.max(axis=-1, keepdims=True))
    want = shifted / shifted.sum(axis=-1, keepdims=True)
    a = softmax_rows(S.copy(), mask, overwrite=True)
    np.testing.assert_allclose(a, want, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-13)
    if mask is not None:
        assert (a[..., ~mask[0, 0]] == 0.0).all()
    dA = rng.normal(size=a.shape)
    np.testing.assert_allclose(softmax_back(a, dA), a * (dA - (a * dA).sum(axis=-1, keepdims=True)),
                               rtol=1e-12, atol=1e-15)


def test_the_stacked_weights_heading_names_each_matrix_with_its_layer():
    """The panel's heading wrote `W_Q, W_K, W_V, W_O⁽¹⁾ stacked`, the layer on W_O alone, where every
    equation writes W_Q⁽¹⁾, W_K⁽¹⁾, W_V⁽¹⁾ and W_O⁽¹⁾: each matrix carries its layer, as the equations write it."""
    from bptui.core.formulas.notation import sup

    spec = load(NETWORKS / "tiny_transformer.json")
    l = next(i for i, k in enumerate(spec.layer_kinds, start=1) if k.type == "attention")
    title = spec.layer_kinds[l - 1].panel_weights(l)[0]
    assert sup(l) == "⁽³⁾" and title.startswith(f"W_Q{sup(l)}, W_K{sup(l)}, W_V{sup(l)}, W_O{sup(l)} stacked"), title

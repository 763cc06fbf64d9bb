"""Exercises, answer keys, variants and the grader for the transformer's blocks (issue 21): layer norm
and dropout (core/kinds/unitwise/), residual blocks and attention, whose steps' key formulas their kinds
write (``LayerKind.entry_formula``; core/engine/keyformula.py).

Each case is a small random network of the kinds' own reference tests (alone, nested blocks, attention
with one and two heads, causal, layer norm on vectors and at each τ; sgd, momentum and Adam) or a
bundled example: its JSON key is schema-valid and reads back against the Markdown key and the page,
every formula gives its blank's value within 1e-12, its ``depends_on`` are the blanks it reads, and
moving one blank changes only the formulas that read it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bptui.cli import main
from bptui.keyjson import blank_ids, evaluate_formula, schema

from .conftest import NETWORKS
from .test_keyjson import close, reads_back, values_of


def _written(doc: dict, name: str):
    def write(tmp_path):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


def unitwise(seed: int, **kw):
    from .test_unitwise import random_doc

    return _written(random_doc(seed, **kw), f"unitwise-{seed}")


def unitwise_at_each_step(seed: int, shape: str, **training):
    from .test_unitwise_sequences import random_doc

    return _written(random_doc(seed, shape, **training), f"ln-{shape}-{seed}")


def lstm_norm_lstm(seed: int):
    """Two stacked LSTM layers (tests/test_gated_reference.py's) with a layer norm between them: the lower
    LSTM's ∂ℓ/∂h reads the layer norm's ∂ℓ/∂x."""
    from .test_gated_reference import random_doc

    doc = random_doc(seed, "stacked", n=2)
    h = doc["layers"][1]["units"]
    doc["layers"].insert(2, {"type": "layernorm"})
    doc["weights"].insert(1, {"gamma": [1.1] * h, "beta": [0.05] * h})
    return _written(doc, f"lstm-norm-{seed}")


def residual(seed: int, **kw):
    from .helpers import random_residual_doc

    doc = json.loads(json.dumps(random_residual_doc(seed, **kw)).replace('"gelu"', '"elu"'))  # gelu's Φ has no spelling
    return _written(doc, f"residual-{seed}")


def attention(seed: int, **kw):
    from .test_attention_reference import random_attention_doc

    return _written(random_attention_doc(seed, n=2, **kw), f"attention-{seed}")


def transformer(seed: int, **kw):
    from .test_residual_sequences import random_doc

    return _written(random_doc(seed, n=2, **kw), f"transformer-{seed}")


CASES = {  # name: (file or a function of tmp_path, extra options)
    "layernorm-dropout-adam": (unitwise(0, optimizer="adam"), []),
    "layernorm-dropout-momentum": (unitwise(1, optimizer="momentum"), ["--example", "2"]),
    "dropout-on-a-map": (unitwise(3), ["--example", "1"]),
    "layernorm-at-each-step": (unitwise_at_each_step(0, "after_rnn"), ["--example", "2"]),
    "layernorm-between-rnns": (unitwise_at_each_step(1, "between_rnns", optimizer="adam"), ["--example", "1"]),
    "lstm-layernorm-lstm": (lstm_norm_lstm(1), ["--example", "2"]),
    "residual-nested-momentum": (residual(1, optimizer="momentum"), []),
    "residual-adam": (residual(2, optimizer="adam"), ["--example", "2"]),
    "attention-one-head-adam": (attention(0, optimizer="adam"), ["--example", "1"]),
    "attention-two-heads": (attention(1), ["--example", "2"]),
    "transformer-blocks": (transformer(3, optimizer="momentum"), ["--example", "1"]),
    "moons_layernorm": ("moons_layernorm", ["--example", "1"]),
    "deep_residual": ("deep_residual", ["--example", "1"]),
    "count_tokens": ("count_tokens", ["--example", "1"]),
    "tiny_transformer": ("tiny_transformer", ["--example", "1"]),
}


def write_key(tmp_path, case: str):
    source, extra = CASES[case]
    path = source(tmp_path) if callable(source) else str(NETWORKS / f"{source}.json")
    key, page = tmp_path / "key.md", tmp_path / "exercise.md"
    assert main(["export", path, "--exercise", "--answers", str(key), "--output", str(page), *extra]) == 0
    return json.loads((tmp_path / "key.json").read_text(encoding="utf-8")), key, page, path


def test_the_cases_cover_every_kind_and_shape():
    """Nested blocks, attention with one and two heads, causal and not, layer norm on vectors and at
    each τ, dropout on vectors and on a map, the three optimizers."""
    from bptui.core.formats.spec import load

    seen = set()
    for name, (source, _) in CASES.items():
        if not callable(source):
            continue
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            spec = load(source(Path(tmp)))
        seen.add(spec.optimizer.name)
        for l, kind in enumerate(spec.layer_kinds, start=1):
            seen.add(kind.type)
            if kind.type == "attention":
                seen |= {f"heads {kind.heads}", f"causal {kind.causal}"}
            if kind.type == "layernorm" and spec.lengths is not None:
                seen.add("layernorm at τ")
            if kind.type == "dropout" and kind.is_map:
                seen.add("dropout on a map")
            if kind.span and any(k.span for k in spec.layer_kinds[l:l + kind.span]):
                seen.add("nested")
    assert {"sgd", "momentum", "adam", "layernorm", "dropout", "residual", "attention", "heads 1", "heads 2",
            "causal True", "causal False", "layernorm at τ", "dropout on a map", "nested"} <= seen, seen


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_key_reads_back_and_its_formulas_give_the_values(tmp_path, case):
    from bptui.core.formats.spec import load

    doc, key, page, path = write_key(tmp_path, case)
    blanks = reads_back(doc, key, page)
    # every layer of the new kinds has blanks of its own
    kinds = load(path).layer_kinds
    new = {l for l, k in enumerate(kinds, start=1) if k.type in ("layernorm", "dropout", "residual", "attention")}
    assert new and new <= {b["layer"] for b in blanks}
    values = values_of(doc)
    written = [b for b in blanks if b["formula"] is not None]
    assert len(written) >= 0.8 * len(blanks)
    base = {}
    for b in written:
        assert set(b["depends_on"]) == blank_ids(b["formula"]) and all(d < b["blank"] for d in b["depends_on"])
        base[b["blank"]] = evaluate_formula(b["formula"], values)
        assert close(base[b["blank"]], b["value"]), (b["blank"], b["name"], b["formula"][:300])
    # a formula reads exactly the blanks it lists (above), so moving one changes none but its readers; of
    # those, it changes some (none where every reader multiplies it by 0: a dropped unit, a masked a)
    readers: dict[int, list[dict]] = {}
    for b in written:
        for d in b["depends_on"]:
            readers.setdefault(d, []).append(b)
    probed = sorted(readers)[:: max(1, len(readers) // 8)]  # eight blanks, spread over the key
    moving = 0
    for i in probed:
        moved = dict(values, **{f"b{i}": values[f"b{i}"] + 0.25 + 0.1 * abs(values[f"b{i}"])})
        moving += any(evaluate_formula(b["formula"], moved) != base[b["blank"]] for b in readers[i])
    assert moving >= 0.5 * len(probed)


def test_the_kinds_own_blanks_are_named_and_read_where_they_are_used(tmp_path):
    """tiny_transformer (pre-LN blocks, attention with two heads): its key blanks each of the issue's
    quantities; a layer norm's u⁽ˡ⁾ is named u, read by its o; an attention layer's a by z, δ and
    ∂ℓ/∂v; G_Q … G_O entries are G with the weight's name; a block's fan-in is ∂ℓ/∂x."""
    doc, _, _, _ = write_key(tmp_path, "tiny_transformer")
    blanks = {b["blank"]: b for b in doc["blanks"]}
    quantities = {(b["quantity"], b["layer"]) for b in blanks.values()}
    assert {("s", 2), ("delta", 2), ("G", 2)} <= quantities  # the layer norm's u, ∂ℓ/∂x, [G_β │ G_γ]
    assert {("q", 3), ("k", 3), ("v", 3), ("scores", 3), ("a", 3), ("z", 3), ("o", 3), ("dz", 3), ("da", 3),
            ("delta", 3), ("dq", 3), ("dk", 3), ("dv", 3), ("dx", 3), ("G", 3)} <= quantities
    assert {("o", 1), ("delta", 1)} <= quantities  # the first block's o and its fan-in ∂ℓ/∂x
    # both layer norms' u (the second after the attention layer) are explained as a layer norm's
    assert all(b["name"].startswith("u") and "normalised" in b["explanation"]
               for b in blanks.values() if b["quantity"] == "s" and b["layer"] in (2, 5))
    u = next(b for b in blanks.values() if (b["quantity"], b["layer"]) == ("s", 2))
    assert u["name"].startswith("u") and u["time"] == 1
    o = next(b for b in blanks.values() if (b["quantity"], b["layer"]) == ("o", 2) and b["time"] == u["time"]
             and b["indices"] == u["indices"])
    assert u["blank"] in o["depends_on"]
    a = next(b for b in blanks.values() if (b["quantity"], b["layer"]) == ("a", 3))
    assert a["indices"][:1] == [1] and a["name"].startswith("a")
    assert {b["quantity"] for b in blanks.values() if a["blank"] in b["depends_on"]} >= {"z", "delta", "dv"}
    G = [b for b in blanks.values() if (b["quantity"], b["layer"]) == ("G", 3)]
    # G_Q … G_O are asked where the stored G⁽ˡ⁾ shows them: its first rows (W_Q's) and its last (W_O's)
    assert {b["indices"][0] for b in G} == {"Q", "O"}
    dx = next(b for b in blanks.values() if (b["quantity"], b["layer"]) == ("delta", 1))
    assert dx["name"].startswith("∂ℓ/∂x")


@pytest.mark.parametrize("name", ["count_tokens", "moons_layernorm"])
def test_the_grader_names_a_wrong_value_and_carries_it(tmp_path, name):
    """A student's wrong a⁽¹⁾ (count_tokens' attention weights) or u⁽²⁾ (moons_layernorm's layer norm) is
    wrong; every blank that reads it, worked out from the student's number by the key's formulas, is
    carried; the replay, with the student's numbers on its board, gives what the formulas give."""
    from bptui.grade import grade, load_key

    assert main(["export", str(NETWORKS / f"{name}.json"), "--exercise", "--example", "1", "--answers",
                 str(tmp_path / "key.md"), "--output", str(tmp_path / "ex.md")]) == 0
    key = load_key(tmp_path / "key.json")
    blanks = key.blanks
    want = ("a", 1) if name == "count_tokens" else ("s", 2)
    wrong = next(n for n, b in sorted(blanks.items()) if (b["quantity"], b["layer"]) == want)
    answers = {n: b["value"] for n, b in blanks.items()}
    answers[wrong] += 0.25
    moved = {wrong}
    for n, b in sorted(blanks.items()):
        if moved & set(b["depends_on"]) and b["formula"] is not None:
            answers[n] = evaluate_formula(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
            moved.add(n)
    got = {g.blank: g for g in grade(key, answers).blanks}
    assert got[wrong].verdict == "wrong"
    assert len(moved) >= 3 and all(got[n].verdict in ("carried", "right") for n in moved - {wrong})
    assert sum(got[n].verdict == "carried" for n in moved) > 0.5 * len(moved)
    assert all(got[n].verdict == "right" for n in blanks if n not in moved)
    from .test_grade import replayed_as_written

    checked = replayed_as_written(key, answers)
    assert checked >= 0.8 * len(blanks)


@pytest.mark.parametrize("name", ["count_tokens", "moons_layernorm"])
def test_an_exercise_compiles_to_pdf(tmp_path, name):
    """One exercise with attention and one with a layer norm, and their keys, through pdflatex."""
    out, key = tmp_path / "ex.pdf", tmp_path / "key.pdf"
    assert main(["export", str(NETWORKS / f"{name}.json"), "--exercise", "--example", "1", "--format", "pdf",
                 "--output", str(out), "--answers", str(key)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and key.read_bytes().startswith(b"%PDF")


def test_blank_names_the_new_quantities(tmp_path):
    """--blank u,dx blanks only a layer norm's u and the kinds' ∂ℓ/∂x; ∂x is its alias; a name no step
    writes is an error line."""
    from bptui.exercise import ExerciseError, parse_quantities

    assert parse_quantities("∂x,e") == frozenset({"dx", "scores"})
    with pytest.raises(ExerciseError):
        parse_quantities("mu")
    assert main(["export", str(NETWORKS / "moons_layernorm.json"), "--exercise", "--example", "1", "--blank", "u,dx",
                 "--answers", str(tmp_path / "k.md"), "--output", str(tmp_path / "e.md")]) == 0
    doc = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    kinds = {(b["quantity"], b["layer"]) for b in doc["blanks"]}
    assert kinds == {("s", 2), ("delta", 2), ("delta", 3)}  # u⁽²⁾, ∂ℓ/∂x of the layer norm and the dropout
    assert doc["options"]["blank"] == ["dx", "u"]
    assert np.isfinite([b["value"] for b in doc["blanks"]]).all()


def test_the_key_schema_names_every_board_quantity_and_blank_name():
    from bptui.exercise import BOARD_QUANTITIES, QUANTITIES

    s = schema()
    assert set(s["properties"]["blanks"]["items"]["properties"]["quantity"]["enum"]) == set(BOARD_QUANTITIES)
    assert set(s["properties"]["options"]["properties"]["blank"]["items"]["enum"]) == set(QUANTITIES)

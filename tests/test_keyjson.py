"""The key a machine reads (`KEY.json` beside every key): its schema, its values against the
Markdown key and the exercise page, and its formulas, evaluated by core/graphs/expr.py at the key's own
values and perturbed one blank at a time, for dense networks (sgd, momentum, adam; sigmoid, tanh,
relu, softmax, identity), a convolution with max and average pooling, recurrent networks (one
recurrent layer, two stacked, dense layers at each τ, return_sequences), graphs and variants."""

import json
import math
import re

import jsonschema
import pytest

from bptui.cli import main
from bptui.keyjson import blank_ids, evaluate_formula, schema

from .conftest import NETWORKS

FIRST = re.compile(r"\((\d+)\)\\,\\underline")  # where a blank is asked on the exercise page
ENTRY = re.compile(r"\$\((\d+)\)\\; (.+?) = (.+?)\$")  # one entry of the Markdown key


def stack(shape, seed):
    """A small random network where time flows through more than one layer (tests/helpers.py), its
    activations all with a spelling in the expression syntax (gelu's Φ has none)."""
    from .helpers import random_stack_doc

    def write(tmp_path):
        doc = json.loads(json.dumps(random_stack_doc(seed, shape, n=3)).replace('"gelu"', '"elu"'))
        path = tmp_path / f"{shape}-{seed}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


def gated(shape, seed, kind, **kw):
    """A small random network with lstm or gru layers (tests/test_gated_reference.py's): two sequences of
    lengths 1 and 5, the layers in ``shape`` (alone, stacked, over or under an rnn layer, after a dense
    layer at each τ)."""
    from .test_gated_reference import random_doc

    def write(tmp_path):
        doc = random_doc(seed, shape, n=2, kind=kind, rows=4 if kind == "lstm" else 3, **kw)
        path = tmp_path / f"{kind}-{shape}-{seed}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


def with_optimizer(tmp_path, name, optimizer):
    doc = json.loads((NETWORKS / f"{name}.json").read_text(encoding="utf-8"))
    doc["training"] = {**doc.get("training", {}), **optimizer}
    path = tmp_path / f"{name}-{optimizer['optimizer']}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


CASES = {  # name: (file or a function of tmp_path, extra options)
    "xor": ("xor", []),
    "xor-momentum": (lambda t: with_optimizer(t, "xor", {"optimizer": "momentum", "momentum": 0.9}), []),
    "xor-adam": (lambda t: with_optimizer(t, "xor", {"optimizer": "adam", "learning_rate": 0.1}), []),
    "xor-adam-l2": (lambda t: with_optimizer(t, "xor", {"optimizer": "adam", "l2": 0.01}), ["--epochs", "2"]),
    "xor-s-only": ("xor", ["--blank", "s"]),
    "xor-every-3": ("xor", ["--blank-every", "3"]),  # one update group: a partial choice over two is refused
    "classifier": ("classifier", []),
    "deep_relu": ("deep_relu", []),
    "regression": ("regression", []),
    "moons-example": ("moons", ["--example", "20"]),
    "iris-example": ("iris", ["--example", "16"]),
    "edges-example": ("edges", ["--example", "1"]),
    "two_channel-example": ("two_channel", ["--example", "2"]),
    "lecture13": ("lecture13", []),
    # recurrent: blanks per time step τ (s, o, δ of a row), G summed over τ, δ with Uᵀ δ_{τ+1}
    "parity-example": ("parity", ["--example", "9"]),
    "long_memory-steps": ("long_memory", ["--steps", "1:70"]),  # example 1 to δ at τ = 30 … 28 (T = 30)
    "stacked_parity-example": ("stacked_parity", ["--example", "6"]),
    "mixed": (stack("mixed", 2), ["--example", "2"]),  # dense at τ, rnn (return_sequences), dense at τ, rnn: 3 examples
    "dense_after": (stack("dense_after", 1), []),  # a return_sequences network: a loss summed over τ
    "lecture13_expression": ("lecture13_expression", ["--blank", "adjoint"]),
    # gated: s, the gates, c, h, ∂ℓ/∂h, ∂ℓ/∂c, the gates' δ and G at each τ, then the update (core/kinds/rnn/keyformulas.py)
    "lstm-alone": (gated("alone", 0, "lstm", optimizer="adam"), []),
    "lstm-stacked": (gated("stacked", 1, "lstm"), ["--example", "2"]),
    "lstm-under_rnn": (gated("under_rnn", 2, "lstm"), ["--example", "2"]),
    "gru-alone": (gated("alone", 0, "gru", optimizer="momentum"), []),
    "gru-dense_before": (gated("dense_before", 1, "gru"), ["--example", "2"]),
    "gru-over_rnn": (gated("over_rnn", 3, "gru"), ["--example", "2"]),
    "long_memory_lstm-steps": ("long_memory_lstm", ["--steps", "1:40"]),
}


def write_key(tmp_path, case):
    source, extra = CASES[case]
    path = source(tmp_path) if callable(source) else str(NETWORKS / f"{source}.json")
    key, page = tmp_path / "key.md", tmp_path / "exercise.md"
    assert main(["export", path, "--exercise", "--answers", str(key), "--output", str(page), *extra]) == 0
    return json.loads((tmp_path / "key.json").read_text(encoding="utf-8")), key, page


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """``written(case)``: write_key's files for ``case``, written once in this module's process (the
    tests of a case read them; each reads its own copy of the JSON)."""
    folders: dict = {}

    def get(case):
        if case not in folders:
            folder = tmp_path_factory.mktemp(case)
            write_key(folder, case)
            folders[case] = folder
        folder = folders[case]
        return json.loads((folder / "key.json").read_text(encoding="utf-8")), folder / "key.md", folder / "exercise.md"
    return get


def values_of(doc):
    return {f"b{b['blank']}": b["value"] for b in doc["blanks"]}


def close(a, b, rel=1e-12):
    """Within 1e-12 of the value, relatively; a value near 0 from cancellation (Adam's first step
    moves w by ±η, w − η·1 leaves 1.6e-08 of 0.1) keeps the absolute error of its terms (1e-3)."""
    return abs(a - b) <= rel * max(abs(b), 1e-3)


def reads_back(doc: dict, key, page) -> list[dict]:
    """The key JSON ``doc`` fits its schema, numbers its blanks 1, 2, …; the Markdown ``key``'s numbers are
    its shown values, each within atol of the value; the ``page`` asks for exactly those blanks."""
    jsonschema.validate(doc, schema())
    blanks = doc["blanks"]
    assert blanks and [b["blank"] for b in blanks] == list(range(1, len(blanks) + 1))
    printed = {int(n): value for n, _, value in ENTRY.findall(key.read_text(encoding="utf-8"))}
    assert sorted(printed) == [b["blank"] for b in blanks]
    for b in blanks:
        assert float(printed[b["blank"]].replace(r" \times 10^{", "e").rstrip("}")) == float(b["shown"])
        assert abs(float(b["shown"]) - b["value"]) <= b["atol"] * (1 + 1e-9)
    assert {int(n) for n in FIRST.findall(page.read_text(encoding="utf-8"))} == {b["blank"] for b in blanks}
    return blanks


@pytest.mark.parametrize("case", sorted(CASES))
def test_key_json_reads_back(written, case):
    doc, key, page = written(case)
    for b in reads_back(doc, key, page):
        assert b["rtol"] == 1e-3
        assert b["atol"] == 0 or b["atol"] == pytest.approx(0.5 * 10 ** (math.floor(math.log10(abs(float(b["shown"])))) - 3))


@pytest.mark.parametrize("case", sorted(CASES))
def test_formulas_give_the_values_and_carry_errors(written, case):
    """Each formula, evaluated by core/graphs/expr.py at the key's own values, gives the blank's value (to
    1e-12 relative); its depends_on are exactly the earlier blanks it reads; changing one blank's
    value changes only the formulas that list it, and at least one of them."""
    doc, _, _ = written(case)
    values = values_of(doc)
    written = [b for b in doc["blanks"] if b["formula"] is not None]
    assert len(written) >= 0.6 * len(doc["blanks"])
    for b in written:
        assert set(b["depends_on"]) == blank_ids(b["formula"])
        assert all(d < b["blank"] for d in b["depends_on"])
        assert close(evaluate_formula(b["formula"], values), b["value"]), (b["blank"], b["formula"][:300])
    for b in doc["blanks"]:
        assert all(d < b["blank"] for d in b["depends_on"])
    base = {b["blank"]: evaluate_formula(b["formula"], values) for b in written}
    readers: dict[int, list[int]] = {}
    for b in written:
        for d in b["depends_on"]:
            readers.setdefault(d, []).append(b["blank"])
    for i in sorted(readers)[:: max(1, len(readers) // 12)]:  # a dozen blanks, spread over the key
        moved = dict(values, **{f"b{i}": values[f"b{i}"] + 0.25 + 0.1 * abs(values[f"b{i}"])})
        changed = {b["blank"] for b in written if evaluate_formula(b["formula"], moved) != base[b["blank"]]}
        assert changed <= set(readers[i]) and changed, i


def test_inlined_values_and_exact_depends_on(written):
    """With only s blank, o, δ, G and W are no blanks: a later s inlines them, so its formula reads
    the earlier s blanks through tanh and σ, and reproduces the value from them alone."""
    doc, _, _ = written("xor-s-only")
    second_epoch_free = [b for b in doc["blanks"] if b["layer"] == 2]
    s2 = second_epoch_free[0]
    assert s2["depends_on"] == [1, 2] and "tanh(b1)" in s2["formula"] and "tanh(b2)" in s2["formula"]


def test_graph_indices_and_relu_indicator(written):
    doc, _, _ = written("lecture13")
    assert {tuple(b["indices"]) for b in doc["blanks"]} >= {("a",), ("b",)}
    doc, _, _ = written("deep_relu")
    assert any("5e-324" in (b["formula"] or "") for b in doc["blanks"])  # 1[s > 0], exactly


def test_conv_indices(tmp_path):
    """Kernels [k, c, u, v] and their biases ["bias", k]; a value whose formula would pass the
    expression syntax's limits (kernels updated from every position's δ, example after example) is
    null, with its depends_on still listed."""
    key = tmp_path / "key.md"
    assert main(["export", str(NETWORKS / "edges.json"), "--exercise", "--answers", str(key),
                 "--output", str(tmp_path / "e.md")]) == 0
    doc = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema())
    values = values_of(doc)
    for b in doc["blanks"]:
        assert b["formula"] is None or close(evaluate_formula(b["formula"], values), b["value"])
        assert b["formula"] is not None or b["depends_on"]
    kinds = {(b["quantity"], b["layer"]): b["indices"] for b in doc["blanks"]}
    assert kinds[("s", 1)] == [1, 1, 1] and kinds[("G", 1)] == [1, 1, 1, 1] and kinds[("o", 2)] == [1, 1, 1]
    assert any(b["indices"][:1] == ["bias"] for b in doc["blanks"] if b["quantity"] == "W")


@pytest.mark.parametrize("name, extra", [("xor", []), ("lecture13", []), ("parity", ["--example", "3"]),
                                         ("deep_residual", ["--example", "3"]),  # weights nested as the blocks
                                         ("tiny_transformer", ["--example", "2"])])
def test_variants_each_have_a_json_key(tmp_path, name, extra):
    out = tmp_path / "class"
    assert main(["export", str(NETWORKS / f"{name}.json"), "--variants", "2", "--seed", "7", "--output", str(out),
                 *extra]) == 0
    for i in (1, 2):
        doc = json.loads((out / f"variant-0{i}-key.json").read_text(encoding="utf-8"))
        jsonschema.validate(doc, schema())
        assert doc["network"] == f"variant-0{i}.json" and doc["options"]["variant"] == i and doc["options"]["seed"] == 7
        printed = {int(n): v for n, _, v in ENTRY.findall((out / f"variant-0{i}-key.md").read_text(encoding="utf-8"))}
        assert sorted(printed) == [b["blank"] for b in doc["blanks"]]
        values = values_of(doc)
        written = [b for b in doc["blanks"] if b["formula"] is not None]  # null: past the length limit
        assert len(written) >= 0.8 * len(doc["blanks"])
        assert all(close(evaluate_formula(b["formula"], values), b["value"]) for b in written)


def test_tolerances_from_the_command_line(tmp_path, capsys):
    key = tmp_path / "k.md"
    assert main(["export", str(NETWORKS / "xor.json"), "--exercise", "--answers", str(key),
                 "--rtol", "0.01", "--atol", "0.002", "--output", str(tmp_path / "e.md")]) == 0
    doc = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    assert {(b["rtol"], b["atol"]) for b in doc["blanks"]} == {(0.01, 0.002)}
    assert doc["options"]["rtol"] == 0.01
    assert main(["export", str(NETWORKS / "xor.json"), "--exercise", "--rtol", "0.1"]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_the_json_key_is_an_output_of_the_command(tmp_path, capsys):
    """--answers KEY.json would be its own JSON key; --output KEY.json would be replaced by it."""
    assert main(["export", str(NETWORKS / "xor.json"), "--exercise", "--answers", str(tmp_path / "k.json")]) == 2
    assert main(["export", str(NETWORKS / "xor.json"), "--exercise", "--answers", str(tmp_path / "k.md"),
                 "--output", str(tmp_path / "k.json")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error:") and "k.json" in line for line in err)
    assert not (tmp_path / "k.json").exists() and not (tmp_path / "k.md").exists()


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus", "elu", "leaky_relu", "prelu", "identity"])
def test_activations_written_in_the_expression_syntax(name):
    """Each activation and its derivative, as the key's formulas write them (the indicator with max
    and a division, the cases as c·then + (1 − c)·other), equal their own trees' values, at 0 and
    on either side of it (where 1[s > 0] and 1[s ≥ 0] differ)."""
    from bptui.core.ops.activations import ACTIVATIONS, ALPHA
    from bptui.core.formulas.formula import Sym, evaluate
    from bptui.keyjson import Expr, to_text

    act = ACTIVATIONS[name]
    S, O = Sym("s", 1, (1,)), Sym("o", 1, (1,))
    for x in (-3.5, -1e-300, -0.0, 0.0, 5e-324, 1e-7, 0.3, 2.0):
        alpha = 0.2
        o = float(evaluate(act.value(S), {S: x, ALPHA: alpha}))
        env = {S: Expr.number(x), O: Expr.number(o), ALPHA: Expr.number(alpha)}
        assert evaluate_formula(to_text(act.value(S), env), {}) == pytest.approx(o, rel=1e-12, abs=1e-300)
        df = float(evaluate(act.derivative(S, O), {S: x, O: o, ALPHA: alpha}))
        assert evaluate_formula(to_text(act.derivative(S, O), env), {}) == pytest.approx(df, rel=1e-12, abs=1e-300)


def test_recurrent_blanks_carry_their_time(written):
    """A blank of a recurrent layer's s, o, δ is one unit at one time step: its ``time`` is τ, its name
    s⁽¹⁾_{τ,b}, its explanation the one at τ; G⁽¹⁾ (summed over τ) has the τ of the step that added its
    last term; W, ℓ and the layer that runs once have none. δ⁽¹⁾_τ before T reads
    δ⁽¹⁾_{τ+1} (the recurrent term Uᵀ δ_{τ+1}), and G⁽¹⁾ at τ reads δ⁽¹⁾_τ and G⁽¹⁾ at τ + 1."""
    doc, _, _ = written("parity-example")  # example 9: 3 bits, T = 3
    timed = [b for b in doc["blanks"] if b["layer"] == 1 and b["quantity"] in ("s", "o", "delta")]
    assert {b["time"] for b in timed} == {1, 2, 3}
    G1 = [b for b in doc["blanks"] if b["quantity"] == "G" and b["layer"] == 1]
    assert [b["time"] for b in G1[::24]] == [3, 2, 1]  # 4 × (1 + 1 + 4) entries of [W | U] at each τ = 3 … 1
    assert all(b["time"] is None for b in doc["blanks"] if b not in timed and b not in G1)
    sub = "₀₁₂₃₄₅₆₇₈₉"
    for b in timed:
        assert b["name"].endswith(f"{sub[b['time']]},{sub[b['indices'][0]]}"), b["name"]
        assert f"τ = {b['time']}" in b["explanation"]
    delta = {(b["time"], b["indices"][0]): b["blank"] for b in timed if b["quantity"] == "delta"}
    for (t, unit), blank in delta.items():
        deps = set(next(b["depends_on"] for b in doc["blanks"] if b["blank"] == blank))
        assert (t == 3) or {delta[(t + 1, c)] for c in range(1, 5)} <= deps, (t, unit)
    G_at = {(b["time"], tuple(b["indices"])): b for b in G1}
    # W's entries [b, a], U's ["U", b, c] (c counted in U, as G⁽¹⁾_{U,b,c} names them)
    assert {i for t, i in G_at if t == 3 and i[0] == "U"} == {("U", b, c) for b in range(1, 5) for c in range(1, 5)}
    for (t, indices), b in G_at.items():  # G ← G + δ_τ [1, x_τ, o_{τ−1}]ᵀ: τ's δ and G's blank at τ + 1
        unit = indices[-2]
        assert delta[(t, unit)] in b["depends_on"] and (t == 3 or G_at[(t + 1, indices)]["blank"] in b["depends_on"])


@pytest.mark.parametrize("name", ["edges", "two_channel", "shapes", "iris"])
def test_links_make_each_kinds_entries(name):
    """Each layer kind's ``links`` and ``combine`` (what the key's formulas are written from) give its
    own arithmetic: Σ w·x, the window's largest or its mean equal ``pre_one`` at every entry, on
    random weights and inputs; and every weight of W⁽ˡ⁾ is in some entry's links."""
    import numpy as np

    from bptui.core.formats.spec import load_any

    spec = load_any(NETWORKS / f"{name}.json")
    rng = np.random.default_rng(5)
    for kind in spec.layer_kinds:
        W = rng.normal(size=kind.param_shape)
        o = rng.normal(size=kind.in_shape)
        want = kind.pre_one(W, np.concatenate([[1.0], o]) if kind.plain else o)  # a plain o has its 1 first
        used = set()
        for pos in np.ndindex(*kind.out_shape):
            links = kind.links(pos)
            xs = [1.0 if x is None else o[x] for _, x in links]
            if kind.combine == "sum":
                got = sum(W[w] * x for (w, _), x in zip(links, xs))
                used |= {w for w, _ in links}
            else:
                got = max(xs) if kind.combine == "max" else sum(xs) / len(xs)
            assert got == pytest.approx(want[pos], rel=1e-12, abs=1e-12), (kind.type, pos)
        assert used == set(np.ndindex(*kind.param_shape)) or not kind.has_weights, kind.type

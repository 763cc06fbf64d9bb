"""The key a machine reads (`KEY.json` beside every key): its schema, its values against the
Markdown key and the exercise page, and its formulas, evaluated by core/graphs/expr.py at the key's own
values and perturbed one blank at a time, for dense networks (sgd, momentum, adam; sigmoid, tanh,
relu, softmax, identity), a convolution with max and average pooling, graphs and variants."""

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
    "lecture13_expression": ("lecture13_expression", ["--blank", "adjoint"]),
}


def write_key(tmp_path, case):
    source, extra = CASES[case]
    path = source(tmp_path) if callable(source) else str(NETWORKS / f"{source}.json")
    key, page = tmp_path / "key.md", tmp_path / "exercise.md"
    assert main(["export", path, "--exercise", "--answers", str(key), "--output", str(page), *extra]) == 0
    return json.loads((tmp_path / "key.json").read_text(encoding="utf-8")), key, page


def values_of(doc):
    return {f"b{b['blank']}": b["value"] for b in doc["blanks"]}


def close(a, b, rel=1e-12):
    """Within 1e-12 of the value, relatively; a value near 0 from cancellation (Adam's first step
    moves w by ±η, w − η·1 leaves 1.6e-08 of 0.1) keeps the absolute error of its terms (1e-3)."""
    return abs(a - b) <= rel * max(abs(b), 1e-3)


@pytest.mark.parametrize("case", sorted(CASES))
def test_key_json_reads_back(tmp_path, case):
    doc, key, page = write_key(tmp_path, case)
    jsonschema.validate(doc, schema())
    blanks = doc["blanks"]
    assert blanks and [b["blank"] for b in blanks] == list(range(1, len(blanks) + 1))
    # the Markdown key's numbers and values are the JSON's, and the page asks for exactly those blanks
    printed = {int(n): value for n, _, value in ENTRY.findall(key.read_text(encoding="utf-8"))}
    assert sorted(printed) == [b["blank"] for b in blanks]
    for b in blanks:
        assert float(printed[b["blank"]].replace(r" \times 10^{", "e").rstrip("}")) == float(b["shown"])
        assert b["rtol"] == 1e-3
        assert b["atol"] == 0 or b["atol"] == pytest.approx(0.5 * 10 ** (math.floor(math.log10(abs(float(b["shown"])))) - 3))
        assert abs(float(b["shown"]) - b["value"]) <= b["atol"] * (1 + 1e-9)
    assert {int(n) for n in FIRST.findall(page.read_text(encoding="utf-8"))} == {b["blank"] for b in blanks}


@pytest.mark.parametrize("case", sorted(CASES))
def test_formulas_give_the_values_and_carry_errors(tmp_path, case):
    """Each formula, evaluated by core/graphs/expr.py at the key's own values, gives the blank's value (to
    1e-12 relative); its depends_on are exactly the earlier blanks it reads; changing one blank's
    value changes only the formulas that list it, and at least one of them."""
    doc, _, _ = write_key(tmp_path, case)
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


def test_inlined_values_and_exact_depends_on(tmp_path):
    """With only s blank, o, δ, G and W are no blanks: a later s inlines them, so its formula reads
    the earlier s blanks through tanh and σ, and reproduces the value from them alone."""
    doc, _, _ = write_key(tmp_path, "xor-s-only")
    second_epoch_free = [b for b in doc["blanks"] if b["layer"] == 2]
    s2 = second_epoch_free[0]
    assert s2["depends_on"] == [1, 2] and "tanh(b1)" in s2["formula"] and "tanh(b2)" in s2["formula"]


def test_graph_indices_and_relu_indicator(tmp_path):
    doc, _, _ = write_key(tmp_path, "lecture13")
    assert {tuple(b["indices"]) for b in doc["blanks"]} >= {("a",), ("b",)}
    doc, _, _ = write_key(tmp_path, "deep_relu")
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


@pytest.mark.parametrize("name", ["xor", "lecture13"])
def test_variants_each_have_a_json_key(tmp_path, name):
    out = tmp_path / "class"
    assert main(["export", str(NETWORKS / f"{name}.json"), "--variants", "2", "--seed", "7", "--output", str(out)]) == 0
    for i in (1, 2):
        doc = json.loads((out / f"variant-0{i}-key.json").read_text(encoding="utf-8"))
        jsonschema.validate(doc, schema())
        assert doc["network"] == f"variant-0{i}.json" and doc["options"]["variant"] == i and doc["options"]["seed"] == 7
        printed = {int(n): v for n, _, v in ENTRY.findall((out / f"variant-0{i}-key.md").read_text(encoding="utf-8"))}
        assert sorted(printed) == [b["blank"] for b in doc["blanks"]]
        values = values_of(doc)
        assert all(close(evaluate_formula(b["formula"], values), b["value"]) for b in doc["blanks"])


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

"""Graph files on the command line: trace, check, train, and every kind of bad input."""

import json

import jsonschema
import pytest

from bptui.cli import main
from bptui.core.util import validate
from bptui.core.util.errors import SpecError

from .conftest import GRAPH_EXAMPLES, NETWORKS
from .test_graph import G_X, G_Z, Y


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_trace_json(capsys, name):
    code, out, err = run(capsys, "trace", NETWORKS / f"{name}.json", "--format", "json")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 7 + 7 + 2
    assert all(set(r) == {"step", "epoch", "example", "phase", "quantity", "layer", "node", "equation", "value"}
               for r in rows)
    assert [r["step"] for r in rows] == list(range(1, 17))
    assert all(r["epoch"] == 1 and r["example"] is None and r["layer"] is None for r in rows)
    assert [r["quantity"] for r in rows] == ["value"] * 7 + ["adjoint"] * 9
    assert [r["phase"] for r in rows] == ["forward"] * 7 + ["reverse"] * 9
    by_node = {(r["quantity"], r["node"]): r["value"] for r in rows}
    assert by_node["value", "y"] == pytest.approx(Y, rel=1e-14)
    assert by_node["adjoint", "x"] == pytest.approx(G_X, rel=1e-13)
    assert by_node["adjoint", "z"] == pytest.approx(G_Z, rel=1e-13)
    assert rows[0]["equation"].endswith("= x·z = 2·3 = 6")


def test_trace_text(capsys):
    code, out, _ = run(capsys, "trace", "lecture13")
    assert code == 0
    assert "     1. [forward] a = x·z = 2·3 = 6" in out
    assert "[reverse] g_b = g_e·(−a/b²) + g_c·cos(b) = " in out
    assert out.rstrip().endswith("y = 412.2; ∂y/∂x = 1208, ∂y/∂z = 809.7")


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_check(capsys, name):
    code, out, _ = run(capsys, "check", NETWORKS / f"{name}.json", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert [r["input"] for r in result["inputs"]] == ["x", "z"]
    assert result["inputs"][0]["backprop"] == pytest.approx(G_X, rel=1e-13)
    assert result["inputs"][1]["numeric"] == pytest.approx(G_Z, rel=1e-8)
    assert result["max_rel_error"] == max(r["rel_error"] for r in result["inputs"]) < 1e-6
    code, out, _ = run(capsys, "check", NETWORKS / f"{name}.json")
    assert code == 0 and "overall: max relative error " in out and ", ok\n" in out


def test_check_fails_with_exit_1_on_a_wrong_derivative(capsys, monkeypatch):
    from dataclasses import replace

    from bptui.core.graphs import graph_ops

    monkeypatch.setitem(graph_ops.OPS, "log", replace(graph_ops.OPS["log"], df=lambda i, v: 2 / v[0]))
    code, out, _ = run(capsys, "check", "lecture13")
    assert code == 1 and "FAILED" in out


def test_train_says_there_is_nothing_to_train(capsys):
    code, out, err = run(capsys, "train", NETWORKS / "lecture13.json")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {NETWORKS / 'lecture13.json'}: ") and "nothing to train" in err
    assert err.count("\n") == 1


def test_trace_has_no_epochs_for_a_graph(capsys):
    code, _, err = run(capsys, "trace", "lecture13", "--epochs", "2")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_examples_lists_graphs(capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0 and "lecture13 " in out and "lecture13_expression " in out


LECTURE = json.loads((NETWORKS / "lecture13.json").read_text())


def nodes(*changes):
    """The lecture's graph with some nodes replaced: (index, node) pairs; node None deletes it."""
    doc = json.loads(json.dumps(LECTURE))
    for i, node in changes:
        doc["nodes"][i] = node
    return doc


def expr(src, **inputs):
    return {"kind": "graph", "inputs": inputs or {"x": 2, "z": 3}, "expression": src}


BAD = {
    "unknown_op": (nodes((1, {"name": "b", "op": "ln", "args": ["x"]})), 'nodes[1].op: "ln" is not one of add, mul'),
    "unknown_op_in_expression": (expr("exp(x) + foo(z)"), "expression, column 10: unknown op 'foo'"),
    "unknown_name": (nodes((2, {"name": "c", "op": "sin", "args": ["q"]})), "nodes[2].args[0]: unknown name 'q'"),
    "unknown_name_in_expression": (expr("x * w"), "expression, column 5: unknown name 'w' (inputs: x, z)"),
    "calling_an_input": (expr("x(z)"), "expression, column 1: x is an input, not an op"),
    "op_without_call": (expr("x + sin"), "expression, column 5: sin is an op: call it"),
    "cycle": (nodes((0, {"name": "a", "op": "mul", "args": ["x", "e"]})), "nodes[0]: cycle: a → e → a"),
    "self_cycle": (nodes((2, {"name": "c", "op": "sin", "args": ["c"]})), "nodes[2]: cycle: c → c"),
    "used_before_defined": (nodes((2, {"name": "c", "op": "sin", "args": ["d"]})),
                            "nodes[2].args[0]: 'd' is used before it is defined (at nodes[3])"),
    "syntax_dangling_operator": (expr("x *"), "expression, column 4: expected a number, an input name or '('"),
    "syntax_unclosed": (expr("sin(x * (z + 1)"), "expression, column 16: expected ')' (to close the '(' at column 4)"),
    "syntax_bad_character": (expr("x $ z"), "expression, column 3: unexpected character '$'"),
    "syntax_two_operands": (expr("x z"), "expression, column 3: unexpected 'z' after a complete expression"),
    "syntax_empty": (expr("  "), "expression, column 3: the expression is empty"),
    "log_of_negative": (nodes((1, {"name": "b", "op": "log", "args": ["n"]})) | {"inputs": {"x": 2, "z": 3, "n": -2}},
                        "nodes[1] (b): b = ln(n): log of −2: the logarithm needs a positive argument at the given inputs"),
    "log_of_negative_in_expression": (expr("exp(x*z) + x*z/log(x)", x=-2, z=3),
                                      "expression (log(x)): n3 = ln(x): log of −2"),
    "log_of_negative_constant": (expr("x + log(-1)"), "expression, column 5: log(-1): log of −1"),
    "sqrt_of_negative": (expr("sqrt(x - z)"), "expression (sqrt(x - z)): n2 = √n1: square root of −1"),
    "division_by_zero": (expr("x / (z - 3)"), "expression (x / (z - 3)): n2 = x/n1: division by zero"),
    "overflow": (expr("exp(2*exp(x*z))"), "expression (exp(2*exp(x*z))): n4 = e^n3 = ∞ is not a finite number"),
    "wrong_arity": (nodes((3, {"name": "d", "op": "exp", "args": ["a", "b"]})), "nodes[3].args: exp takes 1 argument, got 2"),
    "wrong_arity_in_expression": (expr("max(x)"), "expression, column 1: max takes 2 arguments, got 1"),
    "n_ary_needs_two": (nodes((6, {"name": "y", "op": "add", "args": ["d"]})), "nodes[6].args: add takes 2 or more arguments, got 1"),
    "duplicate_node": (nodes((2, {"name": "b", "op": "sin", "args": ["b"]})), "nodes[2].name: 'b' is already defined at nodes[1]"),
    "node_named_like_an_input": (nodes((0, {"name": "x", "op": "mul", "args": ["x", "z"]})), "nodes[0].name: 'x' is already an input"),
    "unknown_output": (LECTURE | {"output": "q"}, "output: unknown node 'q' (nodes: a, b, c, d, e, f, y)"),
    "output_is_an_input": (LECTURE | {"output": "x"}, "output: 'x' is an input; the output must be a node"),
    "both_nodes_and_expression": (LECTURE | {"expression": "x*z"}, "top level: needs exactly one of 'nodes' or 'expression', found both"),
    "neither_nodes_nor_expression": ({"kind": "graph", "inputs": {"x": 1}}, "top level: needs exactly one of 'nodes' or 'expression', found neither"),
    "no_inputs": (expr("1 + 2") | {"inputs": {}}, "inputs: empty, at least 1 input needed"),
    "constant_expression": (expr("1 + 2"), "expression: the expression is just a number"),
    "bad_input_name": (expr("x") | {"inputs": {"2x": 1}}, 'inputs: "2x" is not a name'),
    "string_input": (expr("x") | {"inputs": {"x": "2"}}, 'inputs.x: "2" is not a number'),
    "bad_node_arg": (nodes((0, {"name": "a", "op": "mul", "args": ["x", None]})), "nodes[0].args[1]: null is not a string or a number"),
    "unknown_key": (LECTURE | {"node": []}, "top level: unknown key 'node'"),
    "unknown_kind": (LECTURE | {"kind": "graf"}, 'kind: "graf" is not one of network, graph'),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["trace", "check", "train"])
def test_bad_graph_gives_one_error_line_and_exit_2(capsys, tmp_path, case, command):
    doc, expected = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, command, path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ")
    assert expected in err, err


def test_nan_input(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"kind": "graph", "inputs": {"x": NaN}, "expression": "sin(x)"}')
    code, _, err = run(capsys, "trace", path)
    assert code == 2 and err == f"error: {path}: inputs.x: NaN is not a finite number\n"


GRAPH_SCHEMA = validate.schema("graph-schema.json")


def test_graph_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(GRAPH_SCHEMA)


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_graph_examples_are_valid(name):
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    jsonschema.Draft202012Validator(GRAPH_SCHEMA).validate(doc)
    validate.check(doc, GRAPH_SCHEMA)


@pytest.mark.parametrize("case", [c for c in BAD if c != "unknown_kind"])
def test_validators_agree_on_graphs(case):
    doc = BAD[case][0]
    by_jsonschema = jsonschema.Draft202012Validator(GRAPH_SCHEMA).is_valid(doc)
    try:
        validate.check(doc, GRAPH_SCHEMA)
        ours = True
    except SpecError:
        ours = False
    assert ours == by_jsonschema

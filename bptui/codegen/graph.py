"""``bptui export --format pytorch|numpy`` of a computation graph: the scalar function under autograd (PyTorch), or
its adjoints in reverse order (NumPy)."""

from __future__ import annotations

from typing import Any


from .common import ATOL, RTOL, Run, Writer, packages


# -- a computation graph: the scalar function under autograd (PyTorch), or its adjoints in reverse order (NumPy) --
# each graph op (core/graphs/graph_ops.py's OPS): its value in PyTorch and in NumPy from its arguments' code,
# and NumPy's ∂node/∂args[i]; a test checks that every op of the table has its entry here
def _nary(sep: str) -> Any:
    return lambda a: sep.join(f"({x})" for x in a)


def _unary(torch_fn: str, np_fn: str, d: str) -> tuple[Any, Any, Any]:
    return (lambda a: f"{torch_fn}({a[0]})", lambda a: f"{np_fn}({a[0]})", lambda i, a: d.format(a=a[0]))


GRAPH_OP_CODE: dict[str, tuple[Any, Any, Any]] = {
    "add": (_nary(" + "), _nary(" + "), lambda i, a: "1.0"),
    "mul": (_nary(" * "), _nary(" * "), lambda i, a: " * ".join(f"({x})" for j, x in enumerate(a) if j != i)),
    "sub": (_nary(" - "), _nary(" - "), lambda i, a: "1.0" if i == 0 else "-1.0"),
    "div": (_nary(" / "), _nary(" / "), lambda i, a: f"1 / ({a[1]})" if i == 0 else f"-({a[0]}) / ({a[1]}) ** 2"),
    "neg": (lambda a: f"-({a[0]})", lambda a: f"-({a[0]})", lambda i, a: "-1.0"),
    "pow": (_nary(" ** "), _nary(" ** "),
            lambda i, a: f"({a[1]}) * ({a[0]}) ** (({a[1]}) - 1)" if i == 0 else f"({a[0]}) ** ({a[1]}) * np.log({a[0]})"),
    "exp": _unary("torch.exp", "np.exp", "np.exp({a})"),
    "log": _unary("torch.log", "np.log", "1 / ({a})"),
    "sin": _unary("torch.sin", "np.sin", "np.cos({a})"),
    "cos": _unary("torch.cos", "np.cos", "-np.sin({a})"),
    "tan": _unary("torch.tan", "np.tan", "1 / np.cos({a}) ** 2"),
    "tanh": _unary("torch.tanh", "np.tanh", "1 - np.tanh({a}) ** 2"),
    "sigmoid": (lambda a: f"torch.sigmoid({a[0]})", lambda a: f"1 / (1 + np.exp(-({a[0]})))",
                lambda i, a: f"np.exp(-({a[0]})) / (1 + np.exp(-({a[0]}))) ** 2"),
    "sqrt": _unary("torch.sqrt", "np.sqrt", "1 / (2 * np.sqrt({a}))"),
    "abs": _unary("torch.abs", "np.abs", "np.sign({a})"),
    "max": (lambda a: f"torch.maximum({a[0]}, {a[1]})", lambda a: f"np.maximum({a[0]}, {a[1]})",
            lambda i, a: f"1.0 * (({a[0]}) >= ({a[1]}))" if i == 0 else f"1.0 * (({a[1]}) > ({a[0]}))"),
    "min": (lambda a: f"torch.minimum({a[0]}, {a[1]})", lambda a: f"np.minimum({a[0]}, {a[1]})",
            lambda i, a: f"1.0 * (({a[0]}) <= ({a[1]}))" if i == 0 else f"1.0 * (({a[1]}) < ({a[0]}))"),
}
GRAPH_OP_CODE["relu"] = (lambda a: f"torch.relu({a[0]})", lambda a: f"np.maximum(0.0, {a[0]})",
                         lambda i, a: f"1.0 * (({a[0]}) > 0)")  # np.maximum takes two arguments


def record_graph(spec: Any, first: int, last: int) -> list[float]:
    """bptui's value of graph steps ``first`` … ``last``: each node's value, then each adjoint."""
    from ..core.graphs.graph_stepper import GraphStepper

    stepper = GraphStepper(spec)
    return [float(stepper.forward().value) for _ in range(last)][first - 1:]


def graph_program(spec: Any, fmt: str, first: int, last: int) -> str:
    """A graph file's forward and reverse pass as a program that checks every step."""
    torch = fmt == "pytorch"
    values = record_graph(spec, first, last)
    w = Writer()
    w('"""A computation graph\'s forward and reverse pass as a ' + ("PyTorch" if torch else "NumPy")
      + ' program, checked step by step against bptui.', "",
      f"Written by `bptui export --format {fmt}`: steps {first} to {last}. "
      + ("The function is written in tensor operations and differentiated by autograd (backward());"
         if torch else "Each node's value in computing order, then each adjoint g = Σ g_consumer · ∂consumer/∂arg in reverse order;"),
      "each value is checked (float64) against bptui's, kept in EXPECTED at the end. Run it: python PROGRAM.py", '"""', "")
    w("import sys", "")
    packages(w, torch, *(() if torch else ("from numpy.testing import assert_allclose",)), functional=False)
    w(f"SOURCE = {spec.source!r}  # the graph file", f"NAME = {spec.name!r}", "",
      f"FIRST, LAST = {first}, {last}  # the steps checked (1-based, as bptui trace numbers them)",
      f"RTOL, ATOL = {RTOL!r}, {ATOL!r}", "", "")
    w("class Done(Exception):", '    """Step LAST is checked."""', "", "")
    w("def checker(start):", "    step = start", "", "    def check(value, name):", "        nonlocal step",
      "        step += 1", "        if step >= FIRST:")
    if torch:
        w("            assert_close(value.detach(), torch.tensor(EXPECTED[step - FIRST]), rtol=RTOL, atol=ATOL,",
          "                         msg=lambda m: f\"step {step}, {name}: {m}\")")
    else:
        w("            assert_allclose(value, EXPECTED[step - FIRST], rtol=RTOL, atol=ATOL, err_msg=f\"step {step}, {name}\")")
    w("        if step == LAST:", "            raise Done", "", "    return check", "", "")
    w("def main():")
    w.at = 1
    w("check = checker(0)", "value = {}  # each input's and node's value, by its name in the file")
    for name, v in spec.inputs:
        if torch:
            w(f"value[{name!r}] = torch.tensor({float(v)!r}, requires_grad=True)  # an input: autograd fills its .grad")
        else:
            w(f"value[{name!r}] = np.float64({float(v)!r})  # an input")

    def arg(a: Any) -> str:
        if isinstance(a, str):
            return f"value[{a!r}]"
        return f"torch.tensor({float(a)!r})" if torch else f"np.float64({float(a)!r})"

    for node in spec.nodes:
        code = GRAPH_OP_CODE[node.op][0 if torch else 1]([arg(a) for a in node.args])
        if torch and not any(isinstance(a, str) for a in node.args):
            w(f"value[{node.name!r}] = ({code}).requires_grad_()  # {node.op} of numbers: a leaf, so that it has an adjoint")
        else:
            w(f"value[{node.name!r}] = {code}  # {node.op}")
            if torch:
                w(f"value[{node.name!r}].retain_grad()  # keep its adjoint (.grad) after backward()")
        w(f"check(value[{node.name!r}], {('value of ' + node.name)!r})")
    if torch:
        w(f"value[{spec.output!r}].backward()  # autograd: every adjoint g = ∂output/∂· at once")
        for name in spec.reverse_order:
            w(f"g = value[{name!r}].grad", f"check(g if g is not None else torch.tensor(0.0), {('adjoint g of ' + name)!r})")
    else:
        w("g = {}  # each adjoint ∂output/∂·, in reverse order")
        consumers = spec.consumers
        for name in spec.reverse_order:
            if name == spec.output:
                w(f"g[{name!r}] = np.float64(1.0)  # the output's own adjoint")
            else:
                terms = [f"g[{node.name!r}] * ({GRAPH_OP_CODE[node.op][2](i, [arg(a) for a in node.args])})"
                         for node, i in consumers[name]]
                w(f"g[{name!r}] = {' + '.join(terms) if terms else 'np.float64(0.0)'}  # Σ over its consumers: g · ∂consumer/∂it")
            w(f"check(g[{name!r}], {('adjoint g of ' + name)!r})")
    w.at = 0
    w("", "", "# bptui's value of each step FIRST … LAST", f"EXPECTED = {values!r}", "",
      "if __name__ == \"__main__\":", "    try:", "        main()", "    except Done:",
      "        print(f\"{NAME}: steps {FIRST} to {LAST}, each equal to bptui's value\")",
      "    else:", "        raise SystemExit(f\"the program stopped before step {LAST}\")")
    return "\n".join(w.lines) + "\n"

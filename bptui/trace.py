"""``bptui trace``: every step of the schedule as a worked solution (text) or JSON Lines."""

from __future__ import annotations

import numpy as np
from typing import Iterator

from .core.graphs.graph import GraphSpec
from .core.graphs.graph_stepper import GraphStepper
from .core.engine.equations import loss_D_text, step_equation, value_json
from .core.engine.kind import layers_text
from .core.util.jsonout import dumps
from .core.formulas.formula import Arr, Sym, TextPrinter
from .core.formulas.profiles import DEFAULT, Profile
from .core.ops.optim import BETA1, BETA2, EPS, ETA, MU
from .core.formulas.notation import count, num, sup, vec
from .core.formats.spec import NetworkSpec
from .core.engine.stepper import Step, Stepper
from . import progress


def run(spec: NetworkSpec, epochs: int, notation: Profile | None = None) -> Iterator[tuple[Stepper, Step, str]]:
    """Each step of ``epochs`` epochs with its equation (in ``notation``), straight from the core's stepper."""
    stepper = Stepper(spec, notation=notation)
    for _ in range(epochs * len(stepper.schedule)):
        step = stepper.forward()
        progress.step()
        yield stepper, step, step_equation(stepper, step)


def trace_json(spec: NetworkSpec, epochs: int, notation: Profile = DEFAULT) -> Iterator[str]:
    """One JSON record per step: the lecture's quantities and values in every notation (G with the
    bias in column 0, sums, o with its 1); only ``equation`` is written in ``notation``, named by
    ``"notation"``."""
    for stepper, step, eq in run(spec, epochs, notation):
        k = step.key
        wiring = stepper.net.wiring  # residual blocks: an inner layer's record names its block
        row = {
            "step": k.step, "epoch": k.epoch, "example": k.example, "phase": k.phase,
            "quantity": k.quantity, "layer": k.layer, "equation": eq, "value": value_json(step.value),
            "notation": notation.name,
        }
        if wiring is not None and k.layer is not None and wiring.block[k.layer]:
            row["block"] = wiring.block[k.layer]
        if k.layer is not None and spec.is_v2:  # a kind's own name of the step (attention's G with its weight)
            row["quantity"], own = spec.layer_kinds[k.layer - 1].trace_quantity(k.quantity)
            row.update(own)
        if k.time is not None:  # a recurrent network's step at one time step τ
            row["time"] = k.time
        if k.quantity in ("G", "W") and spec.is_v2 and k.layer is not None:  # a conv's {"kernel", "bias"}, an rnn's {"W", "U"}
            row["value"] = spec.layer_kinds[k.layer - 1].weights_json(step.value)
        if step.opt is not None and step.opt.arrays():
            row["optimizer_state"] = step.opt.to_json()
        yield dumps(row, ensure_ascii=False)


def describe(spec: NetworkSpec, notation: Profile = DEFAULT) -> str:
    """The network in one line: its shape, activations, loss, updates and optimizer (f's layer index
    and η as ``notation`` writes them)."""
    printer = TextPrinter(notation=notation)

    def f(l: int) -> str:
        return printer.p(Sym("f", l))

    shape = "-".join(str(w) for w in spec.widths)
    if spec.is_v2:  # the layers by kind: 1×6×6 → conv2d 2×3×3 → maxpool2d 2×2 → dense 1
        first = "×".join(map(str, spec.input_shape)) if spec.input_shape else str(spec.widths[0])
        shape = layers_text(first, spec.layer_kinds)
        acts = ", ".join(f"{f(l)} = {a}" for l, (a, k) in enumerate(zip(spec.activations, spec.layer_kinds), start=1)
                         if k.has_s and k.takes_activation)
        shape, acts = f"{shape}", acts
    if not spec.is_v2:
        acts = ", ".join(f"{f(l)} = {a}" for l, a in enumerate(spec.activations, start=1))
    opt = spec.optimizer
    # μ and Adam's letters as the notation writes them (goodfellow's momentum α, his ρ₁, ρ₂ and δ)
    extra = {"momentum": f", {printer.p(MU)} = {num(opt.momentum)}",
             "adam": f", {printer.p(BETA1)} = {num(opt.beta1)}, {printer.p(BETA2)} = {num(opt.beta2)}, "
                     f"{printer.p(EPS)} = {num(opt.eps)}"}.get(opt.name, "")
    shuffled = f", shuffled every epoch (seed {spec.shuffle_seed})" if spec.shuffle_seed is not None else ""
    held_out = f", {count(len(spec.test_inputs), 'test example')} held out" if spec.test_inputs is not None and len(spec.test_inputs) else ""
    return (f"{spec.name}: a {shape} network ({acts}), {spec.loss} loss, {spec.update_text} updates{shuffled}, "
            f"{opt.name}, {printer.p(ETA)} = {num(spec.learning_rate)}" + extra + (f", λ = {num(spec.l2)}" if spec.l2 else "")
            + f"; {count(spec.N, 'training example')}{held_out}")


def trace_text(spec: NetworkSpec, epochs: int, notation: Profile = DEFAULT) -> Iterator[str]:
    yield describe(spec, notation)
    if spec.description:
        yield spec.description
    if notation is not DEFAULT:
        yield f"Notation: {notation.name} ({notation.description})" if notation.description else \
            f"Notation: {notation.name}"
    printer = TextPrinter(notation=notation)
    o0, loss_D = printer.p(Sym("o", 0)), printer.p(Sym("ℓ_D"))
    for stepper, step, eq in run(spec, epochs, notation):
        k = step.key
        if k.step % len(stepper.schedule) == 1:
            yield ""
            yield f"Epoch {k.epoch}"
        if k.example_start:
            st = stepper.state
            yield ""
            if spec.lengths is not None:  # a sequence: o⁽⁰⁾_τ = [1, x_τ] for τ = 1..T
                rows = ", ".join(vec(r) for r in np.asarray(st.x))
                target = ", ".join(vec(r) for r in np.asarray(st.y)) if spec.return_sequences else vec(st.y)
                yield (f"Example n = {k.example}, T = {len(np.asarray(st.x))}: x_1 … x_T = {rows}; "
                       f"y{'_1 … y_T' if spec.return_sequences else ''} = {target}")
            elif spec.input_shape:  # an image: o⁽⁰⁾ is the map itself (a convolution has its own bias)
                image = TextPrinter().p(Arr(np.asarray(st.o[0])))
                yield f"Example n = {k.example}: y = {vec(st.y)}, {o0} = x = {image}"
            else:
                first = f"{o0} = x" if notation.separate_bias else f"{o0} = [1, x] = {vec(st.o[0])}"
                yield f"Example n = {k.example}: x = {vec(st.x)}, y = {vec(st.y)}, {first}"
        elif k.phase == "update" and k.layer == stepper.schedule.updated[0]:
            yield ""
            yield f"Update {stepper.where().follows.text()}:"
        yield f"  {k.step:>4}. [{k.phase}] {eq}"
        if k.phase == "update" and k.layer == spec.L and k.step % len(stepper.schedule) == 0:
            yield f"End of epoch {k.epoch}: {loss_D} = {loss_D_text(notation, stepper.state)}"


# -- computation graphs -----------------------------------------------------------------------------
def run_graph(spec: GraphSpec) -> Iterator[tuple[GraphStepper, Step, str]]:
    """Each step of the graph's forward and reverse pass with its equation."""
    from .core.graphs.graph_stepper import graph_equation

    stepper = GraphStepper(spec)
    while not stepper.at_end:
        step = stepper.forward()
        yield stepper, step, graph_equation(spec, stepper.state, step)


def graph_trace_json(spec) -> Iterator[str]:
    for _, step, eq in run_graph(spec):
        k = step.key
        yield dumps({  # a graph has no epochs, examples or layers: the keys keep a network's shape
            "step": k.step, "epoch": 1, "example": None, "phase": k.phase,
            "quantity": k.quantity, "layer": None, "node": k.node, "equation": eq,
            "value": float(step.value),
        }, ensure_ascii=False)


def graph_trace_text(spec) -> Iterator[str]:
    from .core.graphs.graph import describe as describe_graph

    yield describe_graph(spec)
    if spec.description:
        yield spec.description
    for stepper, step, eq in run_graph(spec):
        k = step.key
        if k.step == 1:
            yield ""
            yield "Forward: every node's value, in computing order"
        elif k.phase == "reverse" and k.node == spec.output:
            yield ""
            yield f"Reverse: every adjoint g_v = ∂{spec.output}/∂v, from {spec.output} back to the inputs"
        yield f"  {k.step:>4}. [{k.phase}] {eq}"
    grad = ", ".join(f"∂{spec.output}/∂{name} = {num(g)}" for name, g in stepper.gradient.items() if g is not None)
    yield ""
    yield f"{spec.output} = {num(stepper.state.values[spec.output] or 0.0)}; {grad}"

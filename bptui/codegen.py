"""``bptui export --format pytorch|numpy``: a network's run as one readable Python program that checks itself.

The program computes each of bptui's steps the framework's way (PyTorch: modules, autograd,
``loss.backward()``, ``torch.optim``; NumPy: the lecture's equations line by line), in a loop over the
update groups and their examples, and after each step asserts (float64) that its value is bptui's
for that step. The steps are the one step schedule's (core/engine/schedule.py): the lines for one
example are written by walking its block, each layer's by its kind (``LayerKind.code``), so the
program checks exactly the steps ``bptui trace`` numbers, in the same order. bptui's values, the data
and the starting state sit in one literal at the end of the program, or, past :data:`INLINE_LIMIT`,
in ``PROGRAM-expected.npz`` beside it.

Nothing of the input file but numbers reaches the program's code: its name, description and path are
written as ``repr`` strings, and every type, activation, loss and optimizer name comes from bptui's
own tables.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from .core.engine.kind import LayerCode
from .core.engine.schedule import (BACKWARD, FORWARD, LOSS, UPDATE, backward_order, example_block, forward_order,
                                   sequence_runs)
from .core.engine.wiring import reader, source
from .core.formulas.notation import sup
from .core.util.errors import SpecError

FORMATS = ("pytorch", "numpy")
INLINE_LIMIT = 1 << 20  # bptui's values past 1 MB of text go to PROGRAM-expected.npz
RTOL, ATOL = 1e-7, 1e-9  # float64: the framework's arithmetic and bptui's differ in the last digits only


# -- activations and losses: each framework's idiom (the names come from core/ops' tables) ------------
# name: (PyTorch's f of s, NumPy's f of s, NumPy's f′ from s and o = f(s))
ACTIVATION_CODE: dict[str, tuple[str, str, str]] = {
    "identity": ("{s}", "{s}", "np.ones_like({s})"),
    "sigmoid": ("torch.sigmoid({s})", "1 / (1 + np.exp(-{s}))", "{o} * (1 - {o})"),
    "tanh": ("torch.tanh({s})", "np.tanh({s})", "1 - {o} ** 2"),
    "relu": ("torch.relu({s})", "np.maximum({s}, 0.0)", "({s} > 0) * 1.0"),
    "gelu": ("F.gelu({s})", "0.5 * {s} * (1 + erf({s} / np.sqrt(2)))",
             "0.5 * (1 + erf({s} / np.sqrt(2))) + {s} * np.exp(-{s} ** 2 / 2) / np.sqrt(2 * np.pi)"),
    "softplus": ("F.softplus({s}, threshold=1000)", "np.logaddexp(0.0, {s})", "1 / (1 + np.exp(-{s}))"),
    "elu": ("F.elu({s}, {a})", "np.where({s} > 0, {s}, {a} * np.expm1(np.minimum({s}, 0.0)))",
            "np.where({s} > 0, 1.0, {a} * np.exp(np.minimum({s}, 0.0)))"),
    "leaky_relu": ("F.leaky_relu({s}, {a})", "np.where({s} >= 0, {s}, {a} * {s})", "np.where({s} >= 0, 1.0, {a})"),
    "prelu": ("F.leaky_relu({s}, {a})", "np.where({s} >= 0, {s}, {a} * {s})", "np.where({s} >= 0, 1.0, {a})"),
    "softmax": ("torch.softmax({s}, 0)", "np.exp({s} - {s}.max()) / np.exp({s} - {s}.max()).sum()", ""),
}
ERF_CODE = ("erf", "erf = np.vectorize(math.erf)  # the error function, elementwise")


def _loss_torch(loss: str, act: str) -> tuple[str, str]:
    """(ℓ from s[L], o[L] and y in PyTorch, the lecture's formula)."""
    if loss == "cross_entropy" and act == "softmax":
        return "F.cross_entropy(s[{L}], y)", "ℓ = −Σ_k y_k ln o_k (cross-entropy from s, y as class probabilities)"
    if loss == "cross_entropy":
        return ("F.binary_cross_entropy_with_logits(s[{L}], y, reduction=\"sum\")",
                "ℓ = −Σ_k y_k ln o_k + (1 − y_k) ln(1 − o_k) (from s)")
    if loss == "half_squared":
        return "0.5 * F.mse_loss(o[{L}], y, reduction=\"sum\")", "ℓ = ½ Σ_k (o_k − y_k)²"
    return "F.mse_loss(o[{L}], y, reduction=\"sum\")", "ℓ = Σ_k (o_k − y_k)²"


def _loss_numpy(loss: str, act: str, alpha: float) -> tuple[str, list[str]]:
    """(ℓ in NumPy, the lines of δ⁽ᴸ⁾ = ∂ℓ/∂s⁽ᴸ⁾)."""
    o, s, d = "o[{L}]", "s[{L}]", "d[{L}]"
    if loss == "cross_entropy" and act == "softmax":
        return (f"-np.sum(y * ({s} - {s}.max() - np.log(np.exp({s} - {s}.max()).sum())))  # ℓ = −Σ_k y_k ln o_k",
                [f"{d} = {o} * y.sum() - y  # δ⁽ᴸ⁾ = o Σ_k y_k − y (softmax and cross-entropy)"])
    if loss == "cross_entropy":
        return (f"np.sum(y * np.logaddexp(0.0, -{s}) + (1 - y) * np.logaddexp(0.0, {s}))"
                "  # ℓ = −Σ_k y_k ln o_k + (1 − y_k) ln(1 − o_k)",
                [f"{d} = {o} - y  # δ⁽ᴸ⁾ = o − y (sigmoid and cross-entropy)"])
    half = loss == "half_squared"
    value = (f"0.5 * np.sum(({o} - y) ** 2)  # ℓ = ½ Σ_k (o_k − y_k)²" if half
             else f"np.sum(({o} - y) ** 2)  # ℓ = Σ_k (o_k − y_k)²")
    grad = f"dl_do = {o} - y  # ∂ℓ/∂o⁽ᴸ⁾ = o − y" if half else f"dl_do = 2 * ({o} - y)  # ∂ℓ/∂o⁽ᴸ⁾ = 2 (o − y)"
    if act == "softmax":
        return value, [grad, f"{d} = {o} * (dl_do - {o} @ dl_do)  # δ⁽ᴸ⁾ = (diag(o) − o oᵀ) ∂ℓ/∂o"]
    fprime = ACTIVATION_CODE[act][2].format(s=s, o=o, a=repr(alpha))
    return value, [grad, f"{d} = dl_do * ({fprime})  # δ⁽ᴸ⁾ = ∂ℓ/∂o ⊙ f′(s⁽ᴸ⁾)"]


# -- the run: the state the program starts from and bptui's value for every step ----------------------
@dataclass
class Run:
    """Steps ``first`` … ``last`` (1-based) of bptui's run, from the state ``start`` steps in (an example's
    first step or a group's first update at or before ``first``)."""

    first: int
    last: int
    start: int
    groups: list[list[int]]  # the update groups from ``start``: their 0-based examples in bptui's order
    epochs: list[int]  # each group's epoch (from 1): dropout's masks depend on it
    W: list[np.ndarray]
    G: list[np.ndarray]
    opt: list[Any]
    values: list[Any]  # bptui's value of steps first … last
    keys: list[Any] = field(default_factory=list)  # their StepKeys
    sizes: list[int] = field(default_factory=list)  # each group's size m (all its examples, those before start too)
    step_sizes: list[int] = field(default_factory=list)  # the size of each step's group


def record(spec: Any, first: int, last: int) -> Run:
    """Walk bptui's stepper to step ``last`` and keep what the program needs."""
    from .core.engine.equations import group_size
    from .core.engine.stepper import Stepper
    from . import progress

    stepper = Stepper(spec)
    sch = stepper.schedule
    start = first - 1
    if sch.key(start).phase == UPDATE:
        while start > 0 and sch.key(start - 1).phase == UPDATE:
            start -= 1
    else:
        while not sch.key(start).example_start:
            start -= 1
    while stepper.position < start:
        stepper.forward()
        progress.step()
    st = stepper.state
    fresh = sch.key(start).group_start and sch.key(start).phase != UPDATE
    W = [np.array(w) for w in st.W[1:]]
    G = [np.zeros_like(w) if fresh else np.array(g) for w, g in zip(st.W[1:], st.G[1:])]
    opt = list(st.opt[1:])
    groups: list[list[int]] = [[]]
    epochs = [sch.key(start).epoch]
    closed = False
    values = []
    keys, step_sizes, sizes = [], [], [group_size(stepper.net, sch.key(start))]
    for i in range(start, last):
        key = sch.key(i)
        if key.phase != UPDATE and key.example_start:
            if closed:
                groups.append([])
                epochs.append(key.epoch)
                sizes.append(group_size(stepper.net, key))
                closed = False
            assert key.example is not None
            groups[-1].append(key.example - 1)
        closed = closed or key.phase == UPDATE
        step = stepper.forward()
        progress.step()
        if i + 1 >= first:
            values.append(step.value)
            keys.append(key)
            step_sizes.append(group_size(stepper.net, key))
    return Run(first, last, start, groups, epochs, W, G, opt, values, keys, sizes, step_sizes)


# -- writing the program -----------------------------------------------------------------------------
class Writer:
    """The lines of one program; ``at`` the indentation of the next line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.at = 0

    def __call__(self, *lines: str) -> None:
        for line in lines:
            for part in line.split("\n"):
                self.lines.append(("    " * self.at + part) if part else "")


def _sym(q: str, l: int | None) -> str:
    return {"s": "s", "o": "o", "delta": "δ", "G": "G", "W": "W"}.get(q, q) + (sup(l) if l is not None else "")


def program(spec: Any, fmt: str, run: Run, npz_name: str | None, notation: Any = None
            ) -> tuple[str, dict[str, np.ndarray] | None]:
    """The program's text and, when bptui's values are too many for it, the arrays of its .npz; in the
    notation profile ``notation`` (None or lecture13: the lecture's program)."""
    from .core.engine.network import Network
    from .core.engine.wiring import source

    if notation is not None and notation.name != "lecture13":
        return profiled_program(spec, fmt, run, npz_name, notation)

    net = Network(spec)
    kinds, L = net.kinds, spec.L
    try:  # each layer reads o⁽ˡ⁻¹⁾, or along a residual block's wires
        codes: list[LayerCode] = [k.code_from(l, L, source(net, l)) for l, k in enumerate(kinds, start=1)]
    except SpecError as err:
        raise err.at(spec.source)
    torch = fmt == "pytorch"
    weighted = [l for l in range(1, L + 1) if kinds[l - 1].has_weights]
    w = Writer()
    what = (f"steps {run.first} to {run.last} of bptui's run" + (f", from the state after step {run.start}"
                                                               if run.start else ""))
    framework = "PyTorch" if torch else "NumPy"
    w('"""A network file\'s training run as a ' + framework + ' program, checked step by step against bptui.',
      "",
      f"Written by `bptui export --format {fmt}`: {what}. Each of bptui's steps is computed here",
      ("the PyTorch way (modules, autograd, loss.backward(), torch.optim)" if torch
       else "as the lecture writes it (vectors with the bias entry 1, δ, G = Σ δ oᵀ)")
      + ", and then checked (float64) against",
      "bptui's value for that step, kept in EXPECTED at the end of the program. Run it: python PROGRAM.py",
      '"""', "")
    helpers = _used_helpers(codes, torch)
    if not torch and "gelu" in spec.activations:
        helpers[ERF_CODE[0]] = ERF_CODE[1]
        w("import math")
    w("from pathlib import Path", "", "import numpy as np")
    if torch:
        w("import torch", "import torch.nn.functional as F", "from torch.testing import assert_close")
    else:
        if any("sliding_window_view" in src for src in helpers.values()):
            w("from numpy.lib.stride_tricks import sliding_window_view")
        w("from numpy.testing import assert_allclose")
    w("")
    if torch:
        w("torch.set_default_dtype(torch.float64)")
    w(f"SOURCE = {spec.source!r}  # the network file", f"NAME = {spec.name!r}", "")
    w(f"FIRST, LAST = {run.first}, {run.last}  # the steps checked (1-based, as bptui trace numbers them)",
      f"RTOL, ATOL = {RTOL!r}, {ATOL!r}", "")
    for src in helpers.values():
        w(src, "", "")
    if torch:
        w("def one(v):", '    """[1, v]: a vector (or each row of v) with the bias entry 1 on top."""', "    return torch.cat([torch.ones(*v.shape[:-1], 1), v], -1)", "", "")
    else:
        w("def one(v):", '    """[1, v]: a vector (or each row of v) with the bias entry 1 on top."""', "    return np.concatenate([np.ones(np.shape(v)[:-1] + (1,)), v], -1)", "", "")
    w("class Done(Exception):", '    """Step LAST is checked."""', "", "")
    w("def checker(start):",
      '    """check(value, name): the next step\'s value, asserted equal to bptui\'s for it (from step FIRST on)."""',
      "    step = start", "", "    def check(value, name):", "        nonlocal step", "        step += 1",
      "        if step >= FIRST:")
    if torch:
        w("            want = torch.as_tensor(EXPECTED[step - FIRST])",
          "            assert_close(value.detach(), want, rtol=RTOL, atol=ATOL, msg=lambda m: f\"step {step}, {name}: {m}\")")
    else:
        w("            want = np.asarray(EXPECTED[step - FIRST])",
          "            assert np.shape(value) == want.shape, f\"step {step}, {name}: shape {np.shape(value)}, bptui's {want.shape}\"",
          "            assert_allclose(value, want, rtol=RTOL, atol=ATOL, err_msg=f\"step {step}, {name}\")")
    w("        if step == LAST:", "            raise Done", "", "    return check", "", "")
    w("def main():")
    w.at = 1
    if net.recurrent:
        _body_sequences(w, spec, net, codes, weighted, torch)
    elif torch:
        _body_torch(w, spec, net, codes, weighted)
    else:
        _body_numpy(w, spec, net, codes, weighted)
    w.at = 0
    w("", "")
    # the data literal
    data: dict[str, Any] = {
        "x": [(np.asarray(spec.x_of(n)).reshape(spec.input_shape) if spec.input_shape else np.asarray(spec.x_of(n))).tolist()
              for n in range(spec.N)],
        "y": [np.asarray(spec.y_of(n)).tolist() for n in range(spec.N)],
        "groups": run.groups,
        "epochs": run.epochs,
        "start": run.start,
        "W": [a.tolist() for a in run.W],
        "G": [a.tolist() for a in run.G],
        "opt": [{"t": o.t, **{k: a.tolist() for k, a in o.arrays().items()}} for o in run.opt],
    }
    values = [v if isinstance(v, float) else np.asarray(v).tolist() for v in run.values]
    text = repr(values)
    arrays = None
    w("# the network file's data (inputs one row per example; maps (C, H, W)), the update groups bptui steps",
      "# (0-based examples), and the state the program starts from: W⁽ˡ⁾ (bias in column 0), G⁽ˡ⁾ so far, the",
      "# optimizer's state")
    w(f"DATA = {data!r}")
    if len(text) > INLINE_LIMIT and npz_name is not None:
        arrays = {f"step{run.first + i}": np.asarray(v, dtype=float) for i, v in enumerate(run.values)}
        w("# bptui's value of each step FIRST … LAST, beside the program (too many to write here)",
          f"with np.load(Path(__file__).with_name({npz_name!r})) as _npz:",
          "    EXPECTED = [_npz[f\"step{i}\"] for i in range(FIRST, LAST + 1)]")
    else:
        w("# bptui's value of each step FIRST … LAST", f"EXPECTED = {text}")
    w("", "if __name__ == \"__main__\":", "    try:", "        main()", "    except Done:",
      "        print(f\"{NAME}: steps {FIRST} to {LAST}, each equal to bptui's value\")",
      "    else:", "        raise SystemExit(f\"the program stopped before step {LAST}\")")
    return "\n".join(w.lines) + "\n", arrays


def _used_helpers(codes: list[LayerCode], torch: bool) -> dict[str, str]:
    """The helper functions (``LayerCode.helpers``) the program's lines call, and those they call."""
    every = {name: src for c in codes for name, src in c.helpers}
    if torch:
        lines = [x for c in codes for x in (c.module or "", c.forward, c.matrix, *c.seq_start)]
    else:
        lines = [x for c in codes for x in (*c.np_forward, *c.np_grad, *c.np_back, *c.np_seq_start)]
    lines += [x for c in codes for _, step in (c.seq if torch else c.np_seq) for x in step]
    text, used = "\n".join(lines), {}
    while True:
        more = {n: src for n, src in every.items() if n not in used and f"{n}(" in text}
        if not more:
            return {n: src for n, src in every.items() if n in used}
        used.update(more)
        text += "\n".join(more.values())


def _check_name(q: str, l: int | None, extra: str = "") -> str:
    return repr(_sym(q, l) + (f" ({extra})" if extra else ""))


def _body_torch(w: Writer, spec: Any, net: Any, codes: list[LayerCode], weighted: list[int]) -> None:
    L = spec.L
    _setup_torch(w, spec, net, codes, weighted)
    w("", "check = checker(DATA[\"start\"])", f"s, o, x = [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}",
      "for e, group in zip(DATA[\"epochs\"], DATA[\"groups\"]):  # each update group (of epoch e): its examples, in the order bptui steps them")
    w.at += 1
    w("for n in group:")
    w.at += 1
    w("o[0], y = X[n], Y[n]  # o⁽⁰⁾ = x⁽ⁿ⁾ (nn.Linear adds the bias itself: no entry 1), y⁽ⁿ⁾")
    _example_torch(w, spec, net, codes)
    w.at -= 1
    _update_torch(w, codes, weighted, "optimizer.zero_grad()")
    w.at -= 1


def _setup_torch(w: Writer, spec: Any, net: Any, codes: list[LayerCode], weighted: list[int]) -> None:
    """The data, the layers with bptui's weights, the optimizer and the state the program starts from."""
    kinds, L = net.kinds, spec.L
    opt = spec.optimizer
    w('X = [torch.tensor(x) for x in DATA["x"]]', 'Y = [torch.tensor(y) for y in DATA["y"]]', "")
    w("# the network: layer[l] computes s⁽ˡ⁾ (a pooling layer o⁽ˡ⁾) from o⁽ˡ⁻¹⁾",
      "layer = [None,")
    for l, c in enumerate(codes, start=1):
        w(f"         {c.module},  # layer {l}: {kinds[l - 1].describe()}"
          + (f", {spec.activations[l - 1]}" if kinds[l - 1].has_s else ""))
    w("         ]")
    w("with torch.no_grad():  # bptui's W⁽ˡ⁾ is one matrix [b | W] with the bias in column 0")
    for l in weighted:
        w(f"    M = torch.tensor(DATA[\"W\"][{l - 1}])")
        for attr, value, _ in codes[l - 1].params:
            w(f"    layer[{l}].{attr}.copy_({value})")
    biases = [f"layer[{l}].{a}" for l in weighted for a, _, b in codes[l - 1].params if b]
    weights = [f"layer[{l}].{a}" for l in weighted for a, _, b in codes[l - 1].params if not b]
    w("params = [",
      f"    {{\"params\": [{', '.join(weights)}], \"weight_decay\": 2 * {opt.l2!r}}},  # L2: g = G + 2λ W on the weights",
      f"    {{\"params\": [{', '.join(biases)}], \"weight_decay\": 0.0}},  # never on the biases",
      "]")
    groups = "params"
    if opt.name == "adam":
        w(f"optimizer = torch.optim.Adam({groups}, lr={opt.learning_rate!r}, betas=({opt.beta1!r}, {opt.beta2!r}), "
          f"eps={opt.eps!r})")
    elif opt.name == "momentum":
        w(f"optimizer = torch.optim.SGD({groups}, lr={opt.learning_rate!r}, momentum={opt.momentum!r})"
          "  # v ← μ v + g; W ← W − η v")
    else:
        w(f"optimizer = torch.optim.SGD({groups}, lr={opt.learning_rate!r})  # W ← W − η g")
    w("", "# the state bptui had when the program starts: G so far (the parameters' .grad) and the optimizer's")
    w("with torch.no_grad():")
    for l in weighted:
        w(f"    M = torch.tensor(DATA[\"G\"][{l - 1}])")
        for attr, value, _ in codes[l - 1].params:
            w(f"    layer[{l}].{attr}.grad = {value}.clone()")
        if opt.name == "adam":
            w(f"    m, v = (torch.tensor(DATA[\"opt\"][{l - 1}][k]) for k in \"mv\")",
              f"    t = torch.tensor(float(DATA[\"opt\"][{l - 1}][\"t\"]))  # the updates so far")
            for attr, value, _ in codes[l - 1].params:
                w(f"    optimizer.state[layer[{l}].{attr}] = {{\"step\": t.clone(), "
                  f"\"exp_avg\": {value.replace('M', 'm')}.clone(), \"exp_avg_sq\": {value.replace('M', 'v')}.clone()}}")
        elif opt.name == "momentum":
            w(f"    v = torch.tensor(DATA[\"opt\"][{l - 1}][\"v\"])")
            for attr, value, _ in codes[l - 1].params:
                w(f"    optimizer.state[layer[{l}].{attr}] = {{\"momentum_buffer\": {value.replace('M', 'v')}.clone()}}")


def _example_torch(w: Writer, spec: Any, net: Any, codes: list[LayerCode]) -> None:
    """One example's steps, in the schedule's order (a network without time)."""
    kinds, L = net.kinds, spec.L
    loss_code, loss_text = _loss_torch(spec.loss, spec.activations[-1])
    started: set[int] = set()
    for phase, q, at in example_block(L, kinds):
        l = at or 0  # the loss step has no layer
        if l and kinds[l - 1].span:  # a block: its kind's lines, filled from the wires
            w(*_wired(net, codes, l, q, True, set()))
        elif l and codes[l - 1].stepwise and not (phase == BACKWARD and q == "G"):
            _stepwise(w, net, codes, l, phase, q, True, started, set())
        elif phase == FORWARD:
            c, k = codes[l - 1], kinds[l - 1]
            _start_blocks(w, net, codes, l, started, True)
            if q == "s":
                w(f"s[{l}] = {c.forward}  # s{sup(l)} = W{sup(l)} o{sup(l - 1)}, the bias b = column 0 of bptui's W",
                  f"s[{l}].retain_grad()  # keep δ{sup(l)} = ∂ℓ/∂s{sup(l)} after backward()",
                  f"check(s[{l}], {_check_name('s', l)})")
            elif k.has_s:
                f = ACTIVATION_CODE[spec.activations[l - 1]][0].format(s=f"s[{l}]", a=repr(spec.alphas[l - 1]))
                w(f"o[{l}] = {f}")
                if k.bias_entry and l < L:
                    w(f"check(torch.cat([torch.ones(1), o[{l}]]), "
                      f"{_check_name('o', l, 'bptui keeps the bias entry 1 on top: [1, f(s)]')})")
                else:
                    w(f"check(o[{l}], {_check_name('o', l)})")
            else:
                w(f"o[{l}] = {c.forward}", f"o[{l}].retain_grad()  # keep ∂ℓ/∂o{sup(l)} after backward()",
                  f"check(o[{l}], {_check_name('o', l)})")
        elif phase == LOSS:
            w(f"loss = {loss_code.format(L=L)}  # {loss_text}", "check(loss, 'ℓ')",
              "loss.backward()  # autograd: every δ, and each G added to the parameters' .grad")
        elif phase == BACKWARD and q == "delta":
            if kinds[l - 1].has_s:
                w(f"check(s[{l}].grad, {_check_name('delta', l, f'∂ℓ/∂s{sup(l)}: s[{l}].grad')})")
            else:
                w(f"check(o[{l}].grad, {_check_name('delta', l, f'∂ℓ/∂o{sup(l)}: o[{l}].grad')})")
        elif phase == BACKWARD:
            m = codes[l - 1].matrix.format(a=".grad")
            w(f"check({m}, {_check_name('G', l, 'so far: [bias.grad | weight.grad]')})")


def _update_torch(w: Writer, codes: list[LayerCode], weighted: list[int], zero: str) -> None:
    w("optimizer.step()")
    for l in weighted:
        w(f"check({codes[l - 1].matrix.format(a='.detach()')}, {_check_name('W', l, 'after the update')})")
    w(f"{zero}  # G starts again from zero for the next group")


def _body_numpy(w: Writer, spec: Any, net: Any, codes: list[LayerCode], weighted: list[int]) -> None:
    L = spec.L
    _setup_numpy(w, spec, net, weighted)
    w("", "check = checker(DATA[\"start\"])",
      f"s, o, d, back, x = [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}",
      "for e, group in zip(DATA[\"epochs\"], DATA[\"groups\"]):  # each update group (of epoch e): its examples, in the order bptui steps them")
    w.at += 1
    w("for n in group:")
    w.at += 1
    _example_numpy(w, spec, net, codes)
    w.at -= 1
    _update_numpy(w, spec, weighted)
    w.at -= 1


def _setup_numpy(w: Writer, spec: Any, net: Any, weighted: list[int]) -> None:
    """The data, bptui's weights, G so far and the optimizer's state the program starts from."""
    kinds, L = net.kinds, spec.L
    opt = spec.optimizer
    w('X = [np.array(x) for x in DATA["x"]]', 'Y = [np.array(y) for y in DATA["y"]]', "")
    w("# W⁽ˡ⁾: one matrix with the bias in column 0; G⁽ˡ⁾ so far (None: a layer with no weights)")
    w(f"W = [None] * {L + 1}", f"G = [None] * {L + 1}")
    if opt.name != "sgd":
        w(f"m, v, t_adam = [None] * {L + 1}, [None] * {L + 1}, [0] * {L + 1}  # the optimizer's state (Adam's t: its updates so far)")
    for l in weighted:
        w(f"W[{l}], G[{l}] = np.array(DATA[\"W\"][{l - 1}]), np.array(DATA[\"G\"][{l - 1}])")
        if opt.name == "momentum":
            w(f"v[{l}] = np.array(DATA[\"opt\"][{l - 1}][\"v\"])")
        elif opt.name == "adam":
            w(f"m[{l}], v[{l}], t_adam[{l}] = (np.array(DATA[\"opt\"][{l - 1}][k]) for k in \"mvt\")")
    bias = {l: kinds[l - 1].bias_columns for l in weighted}
    w(f"BIAS = {bias!r}  # each layer's bias columns: L2 leaves them alone")


def _example_numpy(w: Writer, spec: Any, net: Any, codes: list[LayerCode]) -> None:
    """One example's steps, in the schedule's order (a network without time)."""
    kinds, L = net.kinds, spec.L
    if spec.input_shape:
        w("o[0], y = X[n], Y[n]  # o⁽⁰⁾ = x⁽ⁿ⁾, a map (C, H, W); y⁽ⁿ⁾")
    else:
        w("o[0], y = np.concatenate([[1.0], X[n]]), Y[n]  # o⁽⁰⁾ = [1, x⁽ⁿ⁾], y⁽ⁿ⁾")
    loss_value, out_delta = _loss_numpy(spec.loss, spec.activations[-1], spec.alphas[-1])
    started: set[int] = set()
    done: set[int] = set()  # the layers whose ∂ℓ/∂o sent down is computed already (a block's skip reads it again)
    for phase, q, at in example_block(L, kinds):
        l = at or 0  # the loss step has no layer
        if l and kinds[l - 1].span:  # a block: its kind's lines, filled from the wires
            w(*_wired(net, codes, l, q, False, done))
        elif l and codes[l - 1].stepwise:
            _stepwise(w, net, codes, l, phase, q, False, started, done)
        elif phase == FORWARD:
            c, k = codes[l - 1], kinds[l - 1]
            _start_blocks(w, net, codes, l, started, False)
            if q == "s" or not k.has_s:
                w(*c.np_forward, f"check({'s' if q == 's' else 'o'}[{l}], {_check_name(q, l)})")
            else:
                f = ACTIVATION_CODE[spec.activations[l - 1]][1].format(s=f"s[{l}]", a=repr(spec.alphas[l - 1]))
                if k.bias_entry and l < L:
                    w(f"o[{l}] = np.concatenate([[1.0], {f}])  # o{sup(l)} = [1, f(s{sup(l)})]")
                else:
                    w(f"o[{l}] = {f}  # o{sup(l)} = f(s{sup(l)})")
                w(f"check(o[{l}], {_check_name('o', l)})")
        elif phase == LOSS:
            w(f"loss = {loss_value.format(L=L)}", "check(loss, 'ℓ')")
        elif phase == BACKWARD and q == "delta":
            k = kinds[l - 1]
            if l == L:
                w(*(line.format(L=L) for line in out_delta))
            elif k.has_s:
                hidden = f"o[{l}][1:]" if k.bias_entry else f"o[{l}]"
                fprime = ACTIVATION_CODE[spec.activations[l - 1]][2].format(s=f"s[{l}]", o=hidden,
                                                                            a=repr(spec.alphas[l - 1]))
                lines, up = _sent(codes, reader(net, l), done)
                w(*lines, f"d[{l}] = {up} * ({fprime})  # δ{sup(l)} = ∂ℓ/∂o{sup(l)} ⊙ f′(s{sup(l)})")
            else:
                lines, up = _sent(codes, reader(net, l), done)
                w(*lines, f"d[{l}] = {up}  # a pooling layer has no s: its δ is ∂ℓ/∂o{sup(l)}")
            w(f"check(d[{l}], {_check_name('delta', l)})")
        elif phase == BACKWARD:
            w(*codes[l - 1].np_grad, f"check(G[{l}], {_check_name('G', l, 'so far')})")


def _sent(codes: list[LayerCode], c: int, done: set[int]) -> tuple[tuple[str, ...], str]:
    """(NumPy: the lines that compute what layer c sends down to its input, none if ``done`` has c
    already, and that value's expression): ∂ℓ/∂o of the layer it reads (a block's: its fan-in ∂ℓ/∂x)."""
    code = codes[c - 1]
    if code.np_sent:
        return (), code.np_sent
    lines = () if c in done else code.np_back
    done.add(c)
    return lines, f"back[{c - 1}]"


def _start_blocks(w: Writer, net: Any, codes: list[LayerCode], l: int, started: set[int], torch: bool) -> None:
    """Before layer l's first step: the start lines of each block it is the first layer inside (outer first)."""
    wiring = net.wiring
    if wiring is None:
        return
    for b in range(1, l):
        if net.kinds[b - 1].span and b not in started:
            started.add(b)
            code = codes[b - 1]
            w(*(line.format(X=f"o[{wiring.src[b]}]") for line in (code.wired_start if torch else code.np_wired_start)))


def _wired(net: Any, codes: list[LayerCode], k: int, q: str, torch: bool, done: set[int]) -> list[str]:
    """A block's step q: its kind's lines, filled from the wires (its input, its inner layers' output,
    ∂ℓ/∂o of the block from above, what its first inner layer sends to x)."""
    wiring, code = net.wiring, codes[k - 1]
    lines: list[str] = []
    fill = {"X": f"o[{wiring.src[k]}]", "F": f"o[{wiring.tail[k]}]", "up": "", "inner": ""}
    if not torch and q in net.kinds[k - 1].block_backward():
        for name, c in (("up", reader(net, k)), ("inner", k + 1)):
            more, fill[name] = _sent(codes, c, done)
            lines += more
    return lines + [line.format(**fill) for line in dict(code.wired if torch else code.np_wired)[q]]


def _stepwise(w: Writer, net: Any, codes: list[LayerCode], l: int, phase: str, q: str, torch: bool,
              started: set[int], done: set[int]) -> None:
    """A step of a kind that writes its own steps (``LayerCode.stepwise``), in a network without time:
    its input units x[l] first (the o it reads: o⁽ˡ⁻¹⁾, or along a residual block's wires, after the start
    of each block it is the first layer inside), and (NumPy) ∂ℓ/∂o⁽ˡ⁾ from the layer reading o⁽ˡ⁾ before
    its backward steps (what that layer sends down: ``_sent``)."""
    k, L = net.kinds[l - 1], net.L
    names = {"S": f"s[{l}]", "O": f"o[{l}]", "D": f"d[{l}]", "X": f"x[{l}]", "at": "", "up": "", "time": ""}
    if phase == FORWARD and q == k.block_forward()[0]:
        _start_blocks(w, net, codes, l, started, torch)
        units = "[1:]" if not torch and k.bias_entry else ""
        src = source(net, l)
        w(f"x[{l}] = o[{src}]{units}  # x{sup(l)}: the units of o{sup(src)}")
    if phase == BACKWARD and not torch and l < L:
        lines, names["up"] = _sent(codes, reader(net, l), done)
        w(*lines)
    w(*(line.format(**names) for line in dict(codes[l - 1].seq if torch else codes[l - 1].np_seq)[q]))


def _update_numpy(w: Writer, spec: Any, weighted: list[int]) -> None:
    opt = spec.optimizer
    w(f"for l in {tuple(weighted)!r}:  # the update, layer by layer")
    w.at += 1
    w("g = G[l] + 2 * " + repr(opt.l2) + " * W[l]  # g⁽ˡ⁾ = G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾ (W̃: W with its bias columns zeroed)",
      "g[:, BIAS[l]] = G[l][:, BIAS[l]]")
    eta = repr(opt.learning_rate)
    if opt.name == "momentum":
        w(f"v[l] = {opt.momentum!r} * v[l] + g  # v ← μ v + g", f"W[l] = W[l] - {eta} * v[l]  # W ← W − η v")
    elif opt.name == "adam":
        b1, b2 = repr(opt.beta1), repr(opt.beta2)
        w("t_adam[l] = t_adam[l] + 1  # t ← t + 1", f"m[l] = {b1} * m[l] + (1 - {b1}) * g  # m ← β₁ m + (1 − β₁) g",
          f"v[l] = {b2} * v[l] + (1 - {b2}) * g ** 2  # v ← β₂ v + (1 − β₂) g²",
          f"m_hat, v_hat = m[l] / (1 - {b1} ** t_adam[l]), v[l] / (1 - {b2} ** t_adam[l])  # m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)",
          f"W[l] = W[l] - {eta} * m_hat / (np.sqrt(v_hat) + {opt.eps!r})  # W ← W − η m̂ / (√v̂ + ε)")
    else:
        w(f"W[l] = W[l] - {eta} * g  # W ← W − η g")
    w("check(W[l], f\"W({l}) after the update\")")
    w.at -= 1
    w(f"for l in {tuple(weighted)!r}:", "    G[l] = np.zeros_like(G[l])  # G starts again from zero for the next group")


def write(spec: Any, fmt: str, first: int, last: int, output: str, force: bool = False, notation: Any = None) -> None:
    """Record bptui's steps ``first`` … ``last`` and write the program to ``output`` (atomically), with
    ``OUTPUT-expected.npz`` beside it when bptui's values pass :data:`INLINE_LIMIT`; in the notation profile
    ``notation`` (None: lecture13)."""
    from .core.util.files import write_bytes_atomic, write_text_atomic

    if spec.kind == "graph":
        write_text_atomic(output, graph_program(spec, fmt, first, last), force)
        return
    if notation is not None and notation.name != "lecture13":  # refused before any step is recorded
        from .core.engine.network import Network

        profiled_codes(spec, Network(spec), fmt, notation)
    run = record(spec, first, last)
    npz = Path(output).with_name(Path(output).stem + "-expected.npz")
    text, arrays = program(spec, fmt, run, npz.name, notation)
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **cast(dict[str, Any], arrays))
        write_bytes_atomic(npz, buf.getvalue(), force)
    write_text_atomic(output, text, force)


def steps_of(spec: Any, epochs: int, part: Any) -> tuple[int, int]:
    """The steps a program checks: a part's (``--example``, ``--steps``) or all of ``epochs`` epochs."""
    if part is not None:
        return part.first, part.last
    if spec.kind == "graph":
        from .core.graphs.graph_stepper import GraphStepper

        return 1, len(GraphStepper(spec).schedule)
    from .core.engine.stepper import Stepper

    return 1, epochs * len(Stepper(spec).schedule)


# -- a network over time: each example a sequence, stepped as core/engine/schedule.py's sequence_block ----
def _per_step_y(code: str) -> str:
    """A loss line of the output at τ: y is the target row y_τ (the comment after ``#`` left alone)."""
    import re

    body, sep, comment = code.partition("  # ")
    return re.sub(r"\by\b", "y[t - 1]", body) + sep + comment


def _body_sequences(w: Writer, spec: Any, net: Any, codes: list[LayerCode], weighted: list[int], torch: bool) -> None:
    """The loop of a network over time: for each example, forward for τ = 1..T through the layers that run
    at each τ, then the layers that run once, the loss, backward from the top (the layers that run once,
    then each per-τ layer for τ = T..1); the lines of each step are its kind's (``LayerCode.seq``)."""
    from .core.engine.kind import timed_layers

    kinds, L = net.kinds, spec.L
    timed = timed_layers(kinds)
    per = [l for l in range(1, L + 1) if timed[l - 1]]
    once = [l for l in range(1, L + 1) if not timed[l - 1]]
    if torch:
        _setup_torch(w, spec, net, codes, weighted)
    else:
        _setup_numpy(w, spec, net, weighted)
    out_delta: list[str] = []
    templates = {l: dict(codes[l - 1].seq if torch else codes[l - 1].np_seq) for l in range(1, L + 1)}
    for l in range(1, L + 1):
        missing = [q for q in kinds[l - 1].block_forward() + kinds[l - 1].block_backward() if q not in templates[l]]
        if missing:
            raise SpecError(f"{kinds[l - 1].type} layers over time cannot be exported as a program yet",
                            place=f"layers[{l}]", source=spec.source)
    col = 0 if torch else 1
    runs = {phase: sequence_runs(kinds, order(kinds, L)) for phase, order in
            ((FORWARD, forward_order), (BACKWARD, backward_order))}
    whole = {run[0] for run, at_once in runs[FORWARD] if at_once}  # stepped over the whole sequence at once
    rows_kept = {l for l in whole if kinds[l - 1].span}  # a block's o and ∂ℓ/∂x there: one row per τ, no row 0

    def units(l: int, expr: str) -> str:  # o⁽ˡ⁾ without a NumPy hidden dense layer's bias entry
        return expr + "[1:]" if not torch and kinds[l - 1].bias_entry and l < L else expr

    def first_inner(l: int) -> bool:  # PyTorch: layer l reads its block's x, a tensor of its own
        return torch and l > 1 and kinds[l - 2].span > 0

    def o_at(m: int, t: str) -> str:
        return f"o[{m}][{t} - 1]" if m in rows_kept else f"o[{m}][{t}]"

    def o_rows(m: int) -> str:  # o⁽ᵐ⁾'s units, one row per τ
        if m in rows_kept:
            return f"o[{m}]" if torch or not kinds[m - 1].bias_entry else f"o[{m}][:, 1:]"
        if kinds[m - 1].mixes_time:
            return f"o[{m}][1:]"
        return f"{'torch.stack' if torch else 'np.array'}([{units(m, f'o[{m}][t]')} for t in range(1, T + 1)])"

    def sent_at(r: int, l: int) -> str:  # NumPy: ∂ℓ/∂o⁽ˡ⁾ at τ = t, what layer r (reading it) sends down
        w_ = spec.widths[l]
        if codes[r - 1].np_seq_sent:
            return f"{codes[r - 1].np_seq_sent}[t - 1]"
        if kinds[r - 1].span or codes[r - 1].stepwise:  # a block's ∂ℓ/∂x, a layer norm's (on its δ rows)
            if not timed[r - 1]:  # once, above a many-to-one layer: at τ = T only
                return f"(d[{r}] if t == T else np.zeros({w_}))"
            return f"d[{r}][t - 1]" if r in rows_kept else f"d[{r}][t]"
        if timed[r - 1]:
            return f"(W[{r}][:, :{1 + w_}].T @ d[{r}][t])[1:]"
        return f"((W[{r}][:, :{1 + w_}].T @ d[{r}])[1:] if t == T else np.zeros({w_}))"

    def sent_rows(r: int, l: int) -> str:  # NumPy: the same at every τ, one row per τ
        if codes[r - 1].np_seq_sent:
            return codes[r - 1].np_seq_sent
        if r in rows_kept:
            return f"d[{r}]"
        return f"np.array([{sent_at(r, l)} for t in range(1, T + 1)])"

    def names(l: int, t: bool) -> dict[str, str]:
        ix = "[t]" if t else ""
        S, O, D, X = f"s[{l}]{ix}", f"o[{l}]{ix}", f"d[{l}]{ix}", f"x[{l}]{ix}"
        act, alpha = spec.activations[l - 1], repr(spec.alphas[l - 1])
        out = {"S": S, "O": O, "D": D, "X": X, "at": "_{t}" if t else "", "f": "", "df": "",
               "time": ", t, T" if t else ""}  # at τ of a sequence of T steps (dropout's mask row τ)
        if kinds[l - 1].has_s and act in ACTIVATION_CODE:
            out["f"] = ACTIVATION_CODE[act][col].format(s=S, a=alpha)
            out["df"] = ACTIVATION_CODE[act][2].format(s=S, o=units(l, O), a=alpha) if act != "softmax" else ""
        r = reader(net, l) if l < L else 0  # the output layer: ∂ℓ/∂o from the loss
        if l in whole:  # the whole sequence at once: its input and ∂ℓ/∂o, one row per τ
            out["X"] = f"x[{l}]" if torch and kinds[l - 1].span else rows_in(l)
            if torch and kinds[l - 1].span and l + 1 not in whole:  # its first layer runs τ by τ: x kept per τ
                out["X"] = f"torch.stack([x[{l}][t] for t in range(1, T + 1)])"
                out["XG"] = f"torch.stack([x[{l}][t].grad for t in range(1, T + 1)])"
            out["up"] = sent_rows(r, l) if r else ""
        elif r and t:
            out["up"] = sent_at(r, l)
        elif r:  # once, above a many-to-one layer: a layer norm's or dropout's ∂ℓ/∂x is its δ row itself
            own = kinds[r - 1].span or codes[r - 1].stepwise
            out["up"] = f"d[{r}]" if own else f"(W[{r}][:, :{1 + spec.widths[l]}].T @ d[{r}])[1:]"
        if kinds[l - 1].span:  # a block: its inner layers' output, and what the first of them sends to x
            tail = net.wiring.tail[l]
            out["F"] = o_rows(tail) if l in whole else units(tail, o_at(tail, "t"))
            out["inner"] = sent_rows(l + 1, l) if l in whole else sent_at(l + 1, l)
        out.setdefault("XG", f"{out['X']}.grad")  # ∂ℓ/∂x as autograd keeps it
        return out

    def rows_in(l: int) -> str:  # x_1 … x_T of a layer that reads the whole sequence, one row per τ
        if first_inner(l):
            return f"x[{l - 1}]"
        src = source(net, l)
        return "xs" if src == 0 else o_rows(src)

    def below(l: int, t: bool) -> str:
        if first_inner(l):
            return f"x[{l - 1}][t]"
        src = source(net, l)
        if src == 0:
            return "xs[t - 1]"
        if timed[src - 1]:
            return units(src, o_at(src, "t") if t else o_at(src, "T"))
        return units(src, f"o[{src}]")

    started: set[int] = set()

    def start_blocks(l: int, t: bool) -> None:  # PyTorch: each block's x (outer first), before its first inner layer
        starts = []
        while first_inner(l) and l - 1 not in started:
            starts.append(l - 1)
            l -= 1
        for b in reversed(starts):
            started.add(b)
            xb = f"x[{b}][t]" if t else f"x[{b}]"
            w(f"{xb} = {below(b, True) if t else rows_in(b)}.clone()  # block {b}'s input, a tensor of its own: "
              f"its .grad is ∂ℓ/∂x{sup(b)}", f"{xb}.retain_grad() if {xb}.requires_grad else {xb}.requires_grad_()")

    def steps(l: int, qs: list[str], t: bool) -> None:
        for q in qs:
            if not torch and q == "delta" and l == L:
                lines = [line.format(L=f"{L}][t" if t else L) for line in out_delta]
                w(*(map(_per_step_y, lines) if t else lines),
                  f"check(d[{L}]{'[t]' if t else ''}, f\"δ{sup(L)}{'_{t}' if t else ''}\")")
                continue
            w(*(line.format(**names(l, t)) for line in templates[l][q]))

    w("", "check = checker(DATA[\"start\"])",
      f"s, o, d, x = [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}, [None] * {L + 1}",
      "for e, group in zip(DATA[\"epochs\"], DATA[\"groups\"]):  # each update group (of epoch e): its examples, in the order bptui steps them")
    w.at += 1
    w("for n in group:")
    w.at += 1
    w("xs, y = X[n], Y[n]  # the sequence x_1 … x_T (one row per τ) and its target", "T = len(xs)")
    for l in per:
        w(f"s[{l}], o[{l}], d[{l}], x[{l}] = ([None] * (T + 2) for _ in range(4))  # layer {l} at τ = 1 … T")
        w(*(codes[l - 1].seq_start if torch else codes[l - 1].np_seq_start))
    if torch:
        w("G = [None] * " + str(L + 1) + "  # G⁽ˡ⁾ so far, added up τ by τ below from autograd's δ_τ (bptui's G steps)")
        for l in weighted:
            w(f"G[{l}] = {codes[l - 1].matrix.format(a='.grad')}.clone()")
    for run, at_once in runs[FORWARD]:  # the per-τ layers τ by τ, around each that reads all τ at once
        if at_once:
            start_blocks(run[0], False)
            steps(run[0], kinds[run[0] - 1].block_forward(), False)
            continue
        w("for t in range(1, T + 1):  # forward through time")
        w.at += 1
        for l in run:
            start_blocks(l, True)
            if not (torch and kinds[l - 1].span):
                w(f"x[{l}][t] = {below(l, True)}  # layer {l}'s input at τ")
            steps(l, kinds[l - 1].block_forward(), True)
        w.at -= 1
    for l in once:
        w(f"x[{l}] = {below(l, False)}  # layer {l}'s input, once")
        steps(l, kinds[l - 1].block_forward(), False)
    if torch:
        code, text = _loss_torch(spec.loss, spec.activations[-1])
        if timed[L - 1]:
            w(f"loss = sum({_per_step_y(code.format(L=f'{L}][t'))} for t in range(1, T + 1))  # {text}, summed over τ")
        else:
            w(f"loss = {code.format(L=L)}  # {text}")
        w("check(loss, 'ℓ')", "loss.backward()  # autograd: every δ_τ, and G added to the parameters' .grad")
    else:
        value, out_delta = _loss_numpy(spec.loss, spec.activations[-1], spec.alphas[-1])
        body, _, comment = value.partition("  # ")
        if timed[L - 1]:
            w(f"loss = sum({_per_step_y(body.format(L=f'{L}][t'))} for t in range(1, T + 1))  # {comment}, summed over τ")
        else:
            w(f"loss = {body.format(L=L)}  # {comment}")
        w("check(loss, 'ℓ')")
    for l in reversed(once):
        steps(l, kinds[l - 1].block_backward(), False)
    for run, at_once in runs[BACKWARD]:
        if at_once:
            steps(run[0], kinds[run[0] - 1].block_backward(), False)
            continue
        for l in run:
            w(f"for t in range(T, 0, -1):  # layer {l} backward through time")
            w.at += 1
            steps(l, kinds[l - 1].block_backward(), True)
            w.at -= 1
    if torch:
        for l in weighted:
            w(f"assert_close(G[{l}], {codes[l - 1].matrix.format(a='.grad')})  # τ by τ, G{sup(l)} adds up to autograd's")
    w.at -= 1
    if torch:
        _update_torch(w, codes, weighted, "optimizer.zero_grad(set_to_none=False)")
    else:
        _update_numpy(w, spec, weighted)
    w.at -= 1


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
    from .core.graphs.graph_stepper import GraphStepper

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
    w("import numpy as np")
    if torch:
        w("import torch", "from torch.testing import assert_close", "", "torch.set_default_dtype(torch.float64)")
    else:
        w("from numpy.testing import assert_allclose")
    w("", f"SOURCE = {spec.source!r}  # the graph file", f"NAME = {spec.name!r}", "",
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


# -- a notation profile's program (core/formulas/profiles.py): the profile's names, bias and vectors ----------
# The lecture13 program above is left as it is; in any other profile the program holds each quantity as the
# profile writes it (W and b apart, rows, a mean gradient) and checks bptui's values converted to that layout by
# the views the panels use (profiles.shown_value of Profile.parts): ``_shown_step``.
RESERVED = frozenset({"np", "torch", "F", "X", "Y", "DATA", "EXPECTED", "PARTS", "check", "checker", "m", "m0", "n",
                      "e", "group", "y", "main", "Done", "erf", "math", "optimizer", "Path", "FIRST", "LAST", "RTOL",
                      "ATOL", "SOURCE", "NAME", "g", "assert_close", "assert_allclose", "sliding_window_view"})


def _ident(text: str, fallback: str) -> str:
    """A profile's symbol as a Python name: its ASCII letters and digits, a Greek letter by its name (δ → delta,
    η → eta), ℓ → ell; ``fallback`` when nothing of it makes a name."""
    import keyword
    import unicodedata

    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch if ch.isalnum() or ch == "_" else "")
            continue
        name = unicodedata.name(ch, "")
        for prefix, case in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.capitalize)):
            if name.startswith(prefix):
                out.append(case(name[len(prefix):].replace(" ", "_")))
        if name == "SCRIPT SMALL L":
            out.append("ell")
    ident = "".join(out)
    return ident if ident.isidentifier() and not keyword.iskeyword(ident) else fallback


def _partial(P: Any, of: str, printed: bool) -> str:
    """The profile's gradient of ``of`` (a name, or its printed symbol): its symbol with ``of`` in its place
    (ng's dW, nielsen's ∂C/∂w), else ∂ loss/∂ ``of``; as a Python name: the symbol itself where it is one
    (dW, dh), else d{loss}_d{of} (nielsen's dC_dw, goodfellow's dJ_dW)."""
    from .core.formulas.profiles import HOLE

    g, loss = P.gradient.text, P.loss.text
    if printed:
        return g.replace(HOLE, of) if HOLE in g else f"∂{loss}/∂{of}"
    direct = g.replace(HOLE, of)
    if HOLE in g and direct.isascii() and direct.isidentifier():
        return direct
    return f"d{_ident(loss, 'loss')}_d{of}"


def _profile_names(P: Any, L: int, kinds: Any = ()) -> dict[int, dict[str, str]]:
    """Each layer's names in the program (LayerKind.profiled_code's ``n``): identifiers and, under "~" keys,
    the symbols as bptui prints them in the profile (a recurrent layer's U, a GRU's U bias b_h and their gradients
    too); refused (a SpecError) where two quantities would be one name."""
    from .core.engine import equations as E
    from .core.formulas.formula import Sym, TextPrinter
    from .core.formulas.profiles import HOLE
    from .core.kinds.rnn.equations import U
    from .core.kinds.rnn.profiled import u_bias, u_bias_grad

    p = TextPrinter(notation=P).p
    own = HOLE not in P.gradient.text  # a gradient of a letter of its own (a course's G with the bias in W)
    base = {q: _ident(P.symbol(q).text, fb) for q, fb in (("pre_activation", "z"), ("activation", "a"),
                                                          ("delta", "dz"), ("weights", "W"), ("bias", "b"))}
    out = {}
    for l in range(0, L + 1):
        k, below = str(P.layer_number(l)), str(P.layer_number(l - 1))
        n = {"W": base["weights"] + k, "b": base["bias"] + k, "z": base["pre_activation"] + k,
             "a": base["activation"] + k, "a_in": base["activation"] + below, "dz": base["delta"] + k,
             "dW": (_ident(P.gradient.text, "G") if own else _partial(P, base["weights"], False)) + k, "db": _partial(P, base["bias"], False) + k,
             "da": _partial(P, base["activation"], False) + k, "da_in": _partial(P, base["activation"], False) + below,
             "~W": p(E.W(l)), "~b": p(E.b(l)), "~z": p(E.s(l)), "~a": p(E.o(l)), "~a_in": p(E.o(l - 1)),
             "~dz": p(E.delta(l)), "~dW": p(E.G(l)), "~db": p(E.Gb(l)), "~da": _partial(P, p(E.o(l)), True),
             "~da_in": _partial(P, p(E.o(l - 1)), True)}
        if 0 < l <= len(kinds) and kinds[l - 1].over_time:
            u = _ident(p(Sym("U")), "U")
            n.update({"U": u + k, "dU": _partial(P, u, False) + k, "~U": p(U(l)),
                      "~dU": p(Sym("G", l, ("U",), vector=True, group=True)),
                      "bh": base["bias"] + "h" + k, "dbh": _partial(P, base["bias"] + "h", False) + k,
                      "~bh": p(u_bias(l)), "~dbh": p(u_bias_grad(l))})
        out[l] = n
    every: dict[str, str] = {}
    for l, n in out.items():
        for key, name in n.items():
            if key.startswith("~") or key in ("a_in", "da_in") or (l == 0 and key not in ("a",)):
                continue
            if (name in every and every[name] != key) or name in RESERVED or not name.isidentifier():
                raise SpecError(f"the notation {P.name} writes two quantities, or one of the program's own names, "
                                f"as {name!r}: its program cannot name them apart")
            every[name] = key
    loss = _ident(P.loss.text, "loss") + "_n"
    if loss in every or loss in RESERVED:
        raise SpecError(f"the notation {P.name} writes its loss as {loss!r}, a name the program uses already")
    out[0]["loss"], out[0]["~loss"] = loss, p(E.loss_sym("n"))
    return out


def _row(P: Any, a: Any) -> Any:
    """A layer's vector as a profile with row vectors holds it: a 1 × n row (cs231n's x is 1 × D)."""
    a = np.asarray(a)
    return a[None, :] if P.vectors == "row" and a.ndim == 1 else a


def _param_parts(P: Any, kind: Any, l: int) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """Layer l's parameters as the program holds them, each (its name's key in ``_profile_names``, its gradient's,
    the view of the lecture's stored matrix it is (profiles.VIEWS), the columns of that part L2 leaves alone): with
    a separate bias the profile's W and b (a recurrent layer's W, U, b and a GRU's b_h: its ``update_parts`` through
    ``Profile.part_view``, as the panels and the update steps show them); with the bias in column 0 the matrix
    whole (a recurrent layer's W block with its bias column and U's, as its G steps show them)."""
    from .core.formulas.profiles import columns

    own = kind.update_parts(l)
    if own and P.separate_bias:
        keys = {(): ("W", "dW"), ("U",): ("U", "dU"), ("b",): ("b", "db")}
        return [(*keys.get(part.state_sub, ("bh", "dbh")), P.part_view(part), ()) for part in own]
    if own:
        (_, _), (u_first, _) = kind.matrix_parts(l)
        bias = kind.bias_columns
        return [("W", "dW", columns(0, u_first, whole=True), tuple(c for c in bias if c < u_first)),
                ("U", "dU", columns(u_first, None, whole=True), tuple(c - u_first for c in bias if c >= u_first))]
    if P.separate_bias:
        return [("W", "dW", P.parts("W")[0], ()), ("b", "db", "b", ())]
    return [("W", "dW", P.parts("W")[0], (0,))]


def _shown_step(P: Any, key: Any, value: Any, m: int, kinds: Any) -> list[Any]:
    """bptui's value of a step (the lecture's layout) as the profile shows it, part by part: W and b apart (a
    recurrent layer's W, U, b: ``_param_parts``), a hidden o without its 1, G as the group's mean
    (profiles.shown_value of Profile.parts and part_view: the panels' views)."""
    from .core.formulas.profiles import PER, shown_value

    q, l = key.quantity, key.layer
    if q == "loss":
        return [float(value)]
    kind = kinds[l - 1]
    if q in ("G", "W"):
        per = PER[P.gradient_mode] if q == "G" else ""
        return [np.asarray(shown_value(np.asarray(value), view + per, m)) for _, _, view, _ in _param_parts(P, kind, l)]
    return [_row(P, shown_value(np.asarray(value), view)) for view in P.parts(q, l < len(kinds) and kind.bias_entry)]


def _layout_words(P: Any) -> str:
    bias = ("the bias b apart from W" if P.separate_bias else "the bias in column 0 of W, with the 1 on top of each "
            "layer's vector")
    rows = ("row vectors (x is 1 × D, W is D × C: x W + b)" if P.vectors == "row" else "column vectors")
    grad = ("each gradient as the update group's mean (1/m) Σ, and the update W − (η m)·(the mean), the same numbers"
            if P.mean else "each gradient as the update group's sum")
    return f"{bias}, {rows}, {grad}"


def profiled_codes(spec: Any, net: Any, fmt: str, P: Any) -> tuple[dict[int, dict[str, str]], dict[int, Any]]:
    """Each layer's names in the program and its kind's lines (``LayerKind.profiled_code``); a kind that writes
    none, or a network with wires or time, refused with a SpecError naming the kind, the profile and the file."""
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    try:
        names = _profile_names(P, spec.L, net.kinds)
        if net.recurrent:
            names = _sequence_names(P, net, names, fmt == "pytorch")
        codes = {l: k.profiled_code(l, spec.L, names[l], row, sep, mean) for l, k in enumerate(net.kinds, start=1)}
    except SpecError as err:
        raise SpecError(f"--format {fmt} --notation {P.name}: {err.message} (without --notation: the lecture13 "
                        "program)", place=err.place, source=spec.source) from None
    if net.wiring is not None or spec.input_shape:  # every kind above writes itself, but not the wires
        raise SpecError(f"--format {fmt} --notation {P.name}: a network with blocks or maps is not "
                        "written in a notation profile's program yet (without --notation: the lecture13 program)",
                        source=spec.source)
    return names, codes


def _sequence_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network over time: each layer's names at τ (``z1[t]``, ``a1[t - 1]``, ``dz1[t + 1]``; a layer that runs
    once, above a many-to-one layer, reads ``a1[T]``), its lists' names (``z_list`` …), the library (``lib``), what
    its W multiplies (``a_in``: with the bias in column 0, a recurrent layer's output with a 1 on top) and, in
    PyTorch, δ as autograd's ``z.grad``; the symbols at τ as bptui prints them in the profile."""
    from .core.engine import equations as E
    from .core.engine.kind import timed_layers
    from .core.formulas.formula import Sym, TextPrinter
    from .core.kinds.rnn import equations as RE

    p = TextPrinter(notation=P).p
    kinds = net.kinds
    timed = timed_layers(kinds)
    lib = "torch" if torch else "np"
    out = {0: {**names[0], "lib": lib, "a_list": names[0]["a"], "a": names[0]["a"] + "[t]"}}
    used = {v for n in names.values() for k, v in n.items() if not k.startswith("~")} | RESERVED  # the names taken
    for l in range(1, len(kinds) + 1):
        b, src, at = names[l], l - 1, timed[l - 1]
        ix = "[t]" if at else ""
        n = {**b, "lib": lib, "z_list": b["z"], "a_list": b["a"], "dz_list": b["dz"], "z": b["z"] + ix, "a": b["a"] + ix,
             "dz": (b["z"] + ix + ".grad") if torch else b["dz"] + ix, "da": b["da"],  # ∂ℓ/∂a at τ: a value of the moment
             "a_prev": b["a"] + "[t - 1]", "dz_next": b["dz"] + "[t + 1]", "a_first": b["a"] + "[0]"}
        below_timed = src == 0 or timed[src - 1]
        a_in = names[src]["a"] + ("[t]" if at else "[T]" if below_timed else "")
        sym_in = RE.sym("o", src, "τ") if at else RE.sym("o", src, "T") if below_timed else E.o(src)
        if not P.separate_bias and src > 0 and not kinds[src - 1].bias_entry:  # W [1, a]: the bias in column 0
            a_in = f"torch.cat([torch.ones(1), {a_in}])" if torch else f"np.concatenate([[1.0], {a_in}])"
        n["a_in"] = a_in
        if at:
            n.update({"~z": p(RE.sym("s", l, "τ")), "~a": p(RE.sym("o", l, "τ")), "~dz": p(RE.delta(l, "τ")),
                      "~a_prev": p(RE.sym("o", l, "τ−1")), "~dz_next": p(RE.delta(l, "τ+1")),
                      "~a_first": p(RE.sym("o", l, 0))})
        n["~a_in"] = p(sym_in)
        n["~da_in"] = _partial(P, n["~a_in"], True)
        n["~da"] = _partial(P, n["~a"], True)
        kind = kinds[l - 1]
        out_name = getattr(kind, "output_name", "o")  # a recurrent kind's; a kind over time without one (attention) refuses below
        if at and kind.over_time:
            own_out = kind.step_sym(out_name, l, "τ")  # a gated layer's h: its own symbol, read as a above
            n["~out"] = n["~a"] if own_out is None else p(own_out)
            if own_out is not None:
                n["~a_prev"] = p(kind.step_sym(out_name, l, "τ−1"))
                n["~a_first"] = p(kind.step_sym(out_name, l, 0))
            n.update({f"~gate_{g}": p(Sym("ō" if g == "o" else g)) for g in getattr(kind, "gate_order", "")})  # as its panels print them
            for q in kind.block_forward() + kind.block_backward():  # its own quantities at τ (an LSTM's gates, c, …)
                if q in ("s", "o", "delta", "G", out_name):
                    continue
                stem = _partial(P, q[1:], False) if q.startswith("d") and len(q) == 2 else q
                name = stem + str(P.layer_number(l))
                if name in used:
                    name = f"{stem}_{P.layer_number(l)}"
                used.add(name)
                n.update({f"{q}_list": name, q: f"{name}[t]", f"{q}_prev": f"{name}[t - 1]", f"{q}_next": f"{name}[t + 1]",
                          f"{q}_first": f"{name}[0]"})
                n.update({f"~{q}{tail}": p(kind.step_sym(q, l, time)) for tail, time in
                          (("", "τ"), ("_prev", "τ−1"), ("_next", "τ+1"), ("_first", 0))})
        out[l] = n
    return out


def profiled_program(spec: Any, fmt: str, run: Run, npz_name: str | None, P: Any
                     ) -> tuple[str, dict[str, np.ndarray] | None]:
    """The program in the notation profile ``P`` (not lecture13): see the section's comment."""
    from .core.engine.network import Network

    net = Network(spec)
    L = spec.L
    torch = fmt == "pytorch"
    mean = P.mean
    names, codes = profiled_codes(spec, net, fmt, P)
    weighted = [l for l in range(1, L + 1) if net.kinds[l - 1].has_weights]
    opt = spec.optimizer
    framework = "PyTorch" if torch else "NumPy"
    w = Writer()
    what = (f"steps {run.first} to {run.last} of bptui's run" + (f", from the state after step {run.start}"
                                                               if run.start else ""))
    w('"""A network file\'s training run as a ' + framework + f' program in the notation {P.name}, checked step by step '
      "against bptui.", "",
      *textwrap.wrap(f"Written by `bptui export --format {fmt} --notation {P.name}`: {what}, in the notation {P.name}"
                     + (f" ({P.description})" if P.description else "") + f": {_layout_words(P)}. Each step is "
                     "computed " + ("the PyTorch way (tensors, autograd, loss.backward(), torch.optim)" if torch
                                    else "as the notation writes it")
                     + " and checked (float64) against bptui's value for that step as the notation shows it (EXPECTED "
                     "at the end of the program). Run it: python PROGRAM.py", 110, break_long_words=False,
                     break_on_hyphens=False),
      '"""', "")
    if not torch and "gelu" in spec.activations:
        w("import math")
    w("from pathlib import Path", "", "import numpy as np")
    if torch:
        w("import torch", "import torch.nn.functional as F", "from torch.testing import assert_close", "",
          "torch.set_default_dtype(torch.float64)")
    else:
        w("from numpy.testing import assert_allclose")
    w("", f"SOURCE = {spec.source!r}  # the network file", f"NAME = {spec.name!r}", f"NOTATION = {P.name!r}", "",
      f"FIRST, LAST = {run.first}, {run.last}  # the steps checked (1-based, as bptui trace numbers them)",
      f"RTOL, ATOL = {RTOL!r}, {ATOL!r}", "")
    if not torch and "gelu" in spec.activations:
        w(ERF_CODE[1], "", "")
    w("class Done(Exception):", '    """Step LAST is checked."""', "", "")
    w("def checker(start):",
      '    """check(value, name): the next step\'s value (a tuple: its parts, as W and b), asserted equal to bptui\'s',
      '    for it as the notation shows it (from step FIRST on)."""',
      "    step = start", "", "    def check(value, name):", "        nonlocal step", "        step += 1",
      "        if step >= FIRST:", "            parts = value if isinstance(value, tuple) else (value,)",
      "            wanted = EXPECTED[step - FIRST]",
      "            assert len(parts) == len(wanted), f\"step {step}, {name}: {len(parts)} parts, bptui's {len(wanted)}\"",
      "            for got, want in zip(parts, wanted):")
    if torch:
        w("                assert_close(got.detach(), torch.as_tensor(want), rtol=RTOL, atol=ATOL,",
          "                             msg=lambda msg: f\"step {step}, {name}: {msg}\")")
    else:
        w("                want = np.asarray(want)",
          "                assert np.shape(got) == want.shape, f\"step {step}, {name}: shape {np.shape(got)}, bptui's {want.shape}\"",
          "                assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f\"step {step}, {name}\")")
    w("        if step == LAST:", "            raise Done", "", "    return check", "", "")
    w("def main():")
    w.at = 1
    _profiled_body(w, spec, net, P, names, codes, torch)
    w.at = 0
    w("", "")
    # the data literal: the starting state in the profile's layout (the same views as the values)
    from .core.ops.optim import state_scale

    m0 = run.sizes[0] if run.sizes else 1
    data: dict[str, Any] = {
        "x": [np.asarray(spec.x_of(k)).tolist() for k in range(spec.N)],
        "y": [np.asarray(spec.y_of(k)).tolist() for k in range(spec.N)],
        "groups": run.groups, "epochs": run.epochs, "m": run.sizes, "start": run.start,
        "W": [[np.asarray(a).tolist() for a in _shown_step(P, _Key("W", l), run.W[l - 1], 1, net.kinds)] for l in weighted],
        "G": [[np.asarray(a).tolist() for a in _shown_step(P, _Key("G", l), run.G[l - 1], m0, net.kinds)] for l in weighted],
        "opt": [{"t": run.opt[l - 1].t, **{k: [np.asarray(a).tolist() for a in _shown_step(
            P, _Key("W", l), a * (1.0 if torch else state_scale(opt, k, P.velocity)), 1, net.kinds)]
            for k, a in run.opt[l - 1].arrays().items()}} for l in weighted],
    }
    values = [_shown_step(P, key, v, m, net.kinds) for key, v, m in zip(run.keys, run.values, run.step_sizes)]
    text = repr([[p if isinstance(p, float) else p.tolist() for p in parts] for parts in values])
    arrays = None
    w(f"# the network file's data (one row per example), the update groups bptui steps (0-based examples) and their",
      "# sizes m, and the state the program starts from, as the notation writes it: each layer's parameters, their",
      "# gradients so far" + (" (the group's mean)" if mean else "") + ", the optimizer's state"
      + (" (the velocity as the notation's step)" if not torch and P.velocity == "step" and opt.name == "momentum" else ""))
    w(f"DATA = {data!r}")
    if len(text) > INLINE_LIMIT and npz_name is not None:
        arrays = {f"step{run.first + i}_{j}": np.asarray(p, dtype=float) for i, parts in enumerate(values)
                  for j, p in enumerate(parts)}
        w("# bptui's value of each step FIRST … LAST as the notation shows it, beside the program (too many to write here)",
          f"PARTS = {[len(parts) for parts in values]!r}",
          f"with np.load(Path(__file__).with_name({npz_name!r})) as _npz:",
          "    EXPECTED = [[_npz[f\"step{i}_{j}\"] for j in range(k)] for i, k in zip(range(FIRST, LAST + 1), PARTS)]")
    else:
        w("# bptui's value of each step FIRST … LAST as the notation shows it (each step's parts)", f"EXPECTED = {text}")
    w("", "if __name__ == \"__main__\":", "    try:", "        main()", "    except Done:",
      "        print(f\"{NAME}: steps {FIRST} to {LAST} in the notation {NOTATION}, each equal to bptui's value\")",
      "    else:", "        raise SystemExit(f\"the program stopped before step {LAST}\")")
    return "\n".join(w.lines) + "\n", arrays


@dataclass(frozen=True)
class _Key:
    """A step's quantity without a layer: the starting state's W, G (and an optimizer's state, as W)."""

    quantity: str
    layer: int = 0


TORCH_ROWS = {"softmax": "torch.softmax({s}, -1)"}  # over the last axis: a column's entries, or a row's


def _profiled_body(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                   torch: bool) -> None:
    kinds, L = net.kinds, spec.L
    opt = spec.optimizer
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    weighted = [l for l in range(1, L + 1) if kinds[l - 1].has_weights]
    lib = "torch" if torch else "np"
    w(f'X = [{lib}.tensor(x) for x in DATA["x"]]' if torch else 'X = [np.array(x) for x in DATA["x"]]',
      f'Y = [{lib}.tensor(y) for y in DATA["y"]]' if torch else 'Y = [np.array(y) for y in DATA["y"]]', "")

    parts = {l: _param_parts(P, kinds[l - 1], l) for l in weighted}  # W and b, a recurrent layer's W, U, b, …

    def params(l: int) -> list[str]:
        return [names[l][k] for k, _, _, _ in parts[l]]

    def grads(l: int) -> list[str]:
        return [names[l][g] for _, g, _, _ in parts[l]]

    def pkeys(l: int) -> list[str]:
        return [k for k, _, _, _ in parts[l]]

    def gkeys(l: int) -> list[str]:
        return [g for _, g, _, _ in parts[l]]

    def shown(l: int, keys: list[str]) -> str:
        return ", ".join(names[l]["~" + k] for k in keys)

    def load(xs: list[str], what: str, make: str = "np.array({})") -> str:  # each part of a DATA entry, a name each
        if len(xs) == 1:
            return f"{xs[0]} = {make.format(what + '[0]')}"
        return f"{', '.join(xs)} = ({make.format('p')} for p in {what})"

    shape = "D × C, a row per input" if row else "d_out × d_in" if sep else "d_out × (1 + d_in), the bias in column 0"
    w(f"# each layer's parameters as {P.name} writes them ({P.weights.text}: {shape})"
      + ("; autograd adds each example's gradient to their .grad: the group's sum" if torch else "")
      + ("" if torch else "; their gradients so far" + (", the group's mean" if mean else "")))
    state = {"momentum": ["v"], "adam": ["m", "v"]}.get(opt.name, [])
    letters = {k: _ident(P.own_letters().get(f"{opt.name}:{k}", type(P.weights)(k, k)).text, k) for k in state}
    for i, l in enumerate(weighted):
        if torch:
            w(f"{load(params(l), f'DATA[{chr(34)}W{chr(34)}][{i}]', 'torch.tensor({}, requires_grad=True)')}  # "
              f"{shown(l, pkeys(l))}")
        else:
            w(f"{load(params(l), f'DATA[{chr(34)}W{chr(34)}][{i}]')}  # {shown(l, pkeys(l))}",
              f"{load(grads(l), f'DATA[{chr(34)}G{chr(34)}][{i}]')}  # {shown(l, gkeys(l))} so far")
            for k in state:
                w(load([f"{letters[k]}_{p}" for p in params(l)], f"DATA[{chr(34)}opt{chr(34)}][{i}][{k!r}]"))
            if opt.name == "adam":
                w(f"t_{P.layer_number(l)} = DATA[\"opt\"][{i}][\"t\"]  # Adam's updates so far")
    if torch:
        weights = [names[l][k] for l in weighted for k, _, _, _ in parts[l] if k not in ("b", "bh")]
        biases = [names[l][k] for l in weighted for k, _, _, _ in parts[l] if k in ("b", "bh")]
        decay = 2 * opt.l2 if sep else 0.0
        groups = [f"{{\"params\": [{', '.join(weights)}], \"weight_decay\": {decay!r}}}"]
        if sep:
            groups.append(f"{{\"params\": [{', '.join(biases)}], \"weight_decay\": 0.0}}")
        lr = f"lr={opt.learning_rate!r}"
        if opt.name == "adam":
            w(f"optimizer = torch.optim.Adam([{', '.join(groups)}], {lr}, betas=({opt.beta1!r}, {opt.beta2!r}), eps={opt.eps!r})")
        elif opt.name == "momentum":
            w(f"optimizer = torch.optim.SGD([{', '.join(groups)}], {lr}, momentum={opt.momentum!r})  # v ← μ v + g; W ← W − η v")
        else:
            w(f"optimizer = torch.optim.SGD([{', '.join(groups)}], {lr})  # W ← W − η g")
        w("m0 = DATA[\"m\"][0]", "with torch.no_grad():  # the state bptui had when the program starts: .grad (the sum so far"
          + (": m times the mean" if mean else "") + ") and the optimizer's")
        for i, l in enumerate(weighted):
            for j, p in enumerate(params(l)):
                w(f"    {p}.grad = {'m0 * ' if mean else ''}torch.tensor(DATA[\"G\"][{i}][{j}])")
                if opt.name == "adam":
                    w(f"    optimizer.state[{p}] = {{\"step\": torch.tensor(float(DATA[\"opt\"][{i}][\"t\"])), "
                      f"\"exp_avg\": torch.tensor(DATA[\"opt\"][{i}][\"m\"][{j}]), "
                      f"\"exp_avg_sq\": torch.tensor(DATA[\"opt\"][{i}][\"v\"][{j}])}}")
                elif opt.name == "momentum":
                    w(f"    optimizer.state[{p}] = {{\"momentum_buffer\": torch.tensor(DATA[\"opt\"][{i}][\"v\"][{j}])}}")
    w("", "check = checker(DATA[\"start\"])",
      "for e, group, m in zip(DATA[\"epochs\"], DATA[\"groups\"], DATA[\"m\"]):  # each update group (of epoch e, "
      "m examples): its examples, in the order bptui steps them")
    w.at += 1
    if net.recurrent:
        _profiled_sequence(w, spec, net, P, names, codes, torch, params, grads, shown, gkeys)
    else:
        _profiled_example(w, spec, net, P, names, codes, torch, params, grads, shown, gkeys)
    if torch:
        if not sep and opt.l2:  # no weight_decay: it would reach the bias in column 0 too
            w("with torch.no_grad():  # L2: g = .grad + 2λ W on the weights, never on the bias (column 0)",
              *(f"    {names[l][k]}.grad{cols} += {2 * opt.l2!r} * {names[l][k]}{cols}" for l in weighted
                for k, _, _, bias in parts[l] for cols in ["[:, 1:]" if bias == (0,) else ""]))
        w("optimizer.step()" + (f"  # on .grad, the group's sum m·(the mean): W − {P.learning_rate.text} (m dW), the "
                                 f"notation's W − ({P.learning_rate.text}·m) dW" if mean else ""))
        for l in weighted:
            w(f"check({_parts([p + '.detach()' for p in params(l)])}, "
              f"{(shown(l, pkeys(l)) + ' (after the update)')!r})")
        w("optimizer.zero_grad(" + ("set_to_none=False" if net.recurrent else "")
          + ")  # the gradients start again from zero for the next group")
    else:
        _profiled_update_numpy(w, spec, P, names, weighted, letters, parts)
    w.at -= 1


def _profiled_example(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                      torch: bool, params: Any, grads: Any, shown: Any, gkeys: Any) -> None:
    """One example's steps of a network without time, in the profile (inside the loop over a group's examples)."""
    kinds, L = net.kinds, spec.L
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    w("for n in group:")
    w.at += 1
    n0 = names[0]
    if row:
        w(f"{n0['a']}, y = X[n][None, :], Y[n][None, :]  # {n0['~a']} = x⁽ⁿ⁾ and y⁽ⁿ⁾ as rows, 1 × D")
    elif not sep and not torch:
        w(f"{n0['a']}, y = np.concatenate([[1.0], X[n]]), Y[n]  # {n0['~a']} = [1, x⁽ⁿ⁾], y⁽ⁿ⁾")
    elif not sep:
        w(f"{n0['a']}, y = torch.cat([torch.ones(1), X[n]]), Y[n]  # {n0['~a']} = [1, x⁽ⁿ⁾], y⁽ⁿ⁾")
    else:
        w(f"{n0['a']}, y = X[n], Y[n]  # {n0['~a']} = x⁽ⁿ⁾, y⁽ⁿ⁾")
    loss = n0["loss"]
    for phase, q, at in example_block(L, kinds):
        l = at or 0
        n = names[l]
        act, alpha = spec.activations[l - 1], repr(spec.alphas[l - 1])
        if phase == FORWARD and q == "s":
            c = codes[l]
            w(f"{n['z']} = {c.forward}  # {c.forward_comment}")
            if torch:
                w(f"{n['z']}.retain_grad()  # keep {n['~dz']} = ∂{names[0]['~loss']}/∂{n['~z']} after backward()")
            w(f"check({n['z']}, {n['~z']!r})")
        elif phase == FORWARD:
            f = (TORCH_ROWS.get(act, ACTIVATION_CODE[act][0]) if torch else ACTIVATION_CODE[act][1]).format(s=n["z"], a=alpha)
            if not sep and l < L:
                one = f"torch.cat([torch.ones(1), {f}])" if torch else f"np.concatenate([[1.0], {f}])"
                w(f"{n['a']} = {one}  # {n['~a']} = [1, {act}({n['~z']})]")
            else:
                w(f"{n['a']} = {f}  # {n['~a']} = {act}({n['~z']})")
            w(f"check({n['a']}, {n['~a']!r})")
        elif phase == LOSS:
            nL = names[L]
            if torch:
                code, _ = _loss_torch(spec.loss, spec.activations[-1])
                w(f"{loss} = {code.replace('s[{L}]', nL['z']).replace('o[{L}]', nL['a'])}  # {names[0]['~loss']}, "
                  f"the loss of example n")
                w(f"check({loss}, {names[0]['~loss']!r})",
                  f"{loss}.backward()  # autograd: every {P.delta.text}, and each gradient added to the parameters' .grad")
            else:
                value, _ = _profiled_loss_numpy(spec, nL, names[0])
                w(f"{loss} = {value}", f"check({loss}, {names[0]['~loss']!r})")
        elif phase == BACKWARD and q == "delta":
            if torch:
                w(f"check({n['z']}.grad, {(n['~dz'] + ' (' + n['z'] + '.grad)')!r})")
            elif l == L:
                w(*_profiled_loss_numpy(spec, n, names[0])[1], f"check({n['dz']}, {n['~dz']!r})")
            else:
                up = names[l + 1]
                units = f"{n['a']}[1:]" if not sep else n["a"]
                fprime = ACTIVATION_CODE[act][2].format(s=n["z"], o=units, a=alpha)
                w(f"{up['da_in']} = {codes[l + 1].back}  # {codes[l + 1].back_comment}",
                  f"{n['dz']} = {up['da_in']} * ({fprime})  # {n['~dz']} = {up['~da_in']} ⊙ f′({n['~z']})",
                  f"check({n['dz']}, {n['~dz']!r})")
        elif phase == BACKWARD:
            label = repr(shown(l, gkeys(l)) + " (so far" + (", the group's mean)" if mean else ")"))
            if torch:
                got = ", ".join(f"{p}.grad{' / m' if mean else ''}" for p in params(l))
                w(f"check({got if len(params(l)) == 1 else '(' + got + ')'}, {label})" + ("  # .grad holds the group's sum so far: / m, its mean" if mean else ""))
            else:
                w(*codes[l].grad, f"check({_parts(grads(l))}, {label})")
    w.at -= 1


def _profiled_sequence(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                       torch: bool, params: Any, grads: Any, shown: Any, gkeys: Any) -> None:
    """One example of a network over time in the profile (inside the loop over a group's examples), in the order
    of the lecture's program (``_body_sequences``, the schedule's): forward τ = 1 … T through the layers that run at
    each τ, then the layers that run once, the loss, backward from the top (the layers that run once, then each
    per-τ layer for τ = T … 1). A recurrent kind writes its own steps (``ProfiledCode.steps``); a dense layer's are
    written here from its ``ProfiledCode``, as in ``_profiled_example``. PyTorch: autograd's δ, and each gradient
    added τ by τ from it (bptui's G steps), checked at the end against the parameters' .grad."""
    from .core.engine.kind import timed_layers

    kinds, L = net.kinds, spec.L
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    lib = "torch" if torch else "np"
    timed = timed_layers(kinds)
    per = [l for l in range(1, L + 1) if timed[l - 1]]
    once = [l for l in range(1, L + 1) if not timed[l - 1]]
    weighted = [l for l in range(1, L + 1) if kinds[l - 1].has_weights]
    runs = {phase: sequence_runs(kinds, order(kinds, L)) for phase, order in
            ((FORWARD, forward_order), (BACKWARD, backward_order))}
    if any(at_once for rs in runs.values() for _, at_once in rs):  # pragma: no cover - such kinds refuse above
        raise SpecError(f"a layer over the whole sequence is not written in the notation {P.name}'s program yet",
                        source=spec.source)
    n0, nL = names[0], names[L]
    at = ' f" (τ = {t})"'

    def label(l: int, key: str) -> str:  # a step's name in the program's check: at τ when the layer runs at each τ
        return repr(names[l][key]) + (at if timed[l - 1] else "")

    def act(l: int) -> tuple[str, str]:  # (f(z), f′(z)) of layer l in the program's library
        a_, alpha, n = spec.activations[l - 1], repr(spec.alphas[l - 1]), names[l]
        f = (TORCH_ROWS.get(a_, ACTIVATION_CODE[a_][0]) if torch else ACTIVATION_CODE[a_][1]).format(s=n["z"], a=alpha)
        units = f"{n['a']}[1:]" if not sep and kinds[l - 1].bias_entry and l < L else n["a"]
        return f, ("" if a_ == "softmax" else ACTIVATION_CODE[a_][2].format(s=n["z"], o=units, a=alpha))

    def up(l: int) -> str:  # NumPy: ∂ℓ/∂ of layer l's output (at τ), from the layer reading it
        r = l + 1
        back = codes[r].back
        if timed[r - 1] or not timed[l - 1]:
            return back
        width = kinds[l - 1].out_shape[0]
        return f"({back} if t == T else np.zeros({(1, width) if row else width}))"

    def per_step(lines: list[str]) -> list[str]:  # the output at τ: its target y_τ
        return list(map(_per_step_y, lines)) if timed[L - 1] else lines

    def forward(l: int) -> None:
        n, c = names[l], codes[l]
        if c.steps:
            f, df = act(l)
            for q in kinds[l - 1].block_forward():
                w(*(line.format(f=f, df=df, up="") for line in dict(c.steps)[q]))
            return
        w(f"{n['z']} = {c.forward}  # {n['~z']} = {c.forward_comment.partition(' = ')[2]}")
        if torch:
            w(f"{n['z']}.retain_grad()  # keep {n['~dz']} after backward()")
        w(f"check({n['z']}, {label(l, '~z')})")
        f, _ = act(l)
        if not sep and l < L:
            one = f"torch.cat([torch.ones(1), {f}])" if torch else f"np.concatenate([[1.0], {f}])"
            w(f"{n['a']} = {one}  # {n['~a']} = [1, f({n['~z']})]")
        else:
            w(f"{n['a']} = {f}  # {n['~a']} = f({n['~z']})")
        w(f"check({n['a']}, {label(l, '~a')})")

    def backward(l: int) -> None:
        n, c = names[l], codes[l]
        if c.steps:
            f, df = act(l)
            for q in kinds[l - 1].block_backward():
                if q != "G":
                    w(*(line.format(f=f, df=df, up="" if torch else up(l)) for line in dict(c.steps)[q]))
        elif torch:
            w(f"check({n['z']}.grad, {(n['~dz'] + ' (' + n['z'] + '.grad)')!r}" + (at if timed[l - 1] else "") + ")")
        elif l == L:
            w(*per_step(_profiled_loss_numpy(spec, n, n0)[1]), f"check({n['dz']}, {label(l, '~dz')})")
        else:
            _, df = act(l)
            w(f"{n['dz']} = {up(l)} * ({df})  # {n['~dz']} = {n['~da']} ⊙ f′({n['~z']})",
              f"check({n['dz']}, {label(l, '~dz')})")
        said = shown(l, gkeys(l)) + " (so far" + (", the group's mean)" if mean else ")")
        w(*c.grad, f"check({_parts(grads(l))}, {repr(said) + (at if timed[l - 1] else '')})")

    w("for n in group:")
    w.at += 1
    a0 = n0["a_list"]
    if row:
        w(f"{a0} = [None, *(x[None, :] for x in X[n])]  # {n0['~a']}_τ = x_τ as a row, 1 × D, τ = 1 … T")
    elif not sep:
        one = "torch.cat([torch.ones(1), x])" if torch else "np.concatenate([[1.0], x])"
        w(f"{a0} = [None, *({one} for x in X[n])]  # {n0['~a']}_τ = [1, x_τ], τ = 1 … T")
    else:
        w(f"{a0} = [None, *X[n]]  # {n0['~a']}_τ = x_τ, τ = 1 … T")
    if timed[L - 1]:
        w("y = Y[n][:, None, :]  # y_τ as a row, one per τ" if row else "y = Y[n]  # y_τ, one row per τ")
    else:
        w("y = Y[n][None, :]  # y as a row" if row else "y = Y[n]")
    w("T = len(X[n])")
    for l in per:
        n = names[l]
        lists = [n["z_list"], n["a_list"]] + ([] if torch else [n["dz_list"]])
        w(f"{', '.join(lists)} = ([None] * (T + 2) for _ in range({len(lists)}))  # layer {P.layer_number(l)} at τ = 1 … T",
          *codes[l].start)
    if torch:
        w("# each gradient so far as the notation shows it (" + ("the group's mean: .grad / m" if mean else ".grad")
          + "), added to τ by τ below from autograd's δ (bptui's steps)")
        for l in weighted:
            for g, p in zip(grads(l), params(l)):
                w(f"{g} = {p}.grad" + (" / m" if mean else ".clone()"))
    for run, _ in runs[FORWARD]:
        if not run:
            continue
        w("for t in range(1, T + 1):  # forward through time")
        w.at += 1
        for l in run:
            forward(l)
        w.at -= 1
    for l in once:
        forward(l)
    loss, sym = n0["loss"], n0["~loss"]
    if torch:
        code, _ = _loss_torch(spec.loss, spec.activations[-1])
        code = code.replace("s[{L}]", nL["z"]).replace("o[{L}]", nL["a"])
        if timed[L - 1]:
            w(f"{loss} = sum({_per_step_y(code)} for t in range(1, T + 1))  # {sym}, summed over τ")
        else:
            w(f"{loss} = {code}  # {sym}, the loss of example n")
        w(f"check({loss}, {sym!r})",
          f"{loss}.backward()  # autograd: every {P.delta.text}, and each gradient added to the parameters' .grad",
          "with torch.no_grad():")
        w.at += 1
    else:
        value, _ = _profiled_loss_numpy(spec, nL, n0)
        body, _, comment = value.partition("  # ")
        if timed[L - 1]:
            w(f"{loss} = sum({_per_step_y(body)} for t in range(1, T + 1))  # {comment}, summed over τ")
        else:
            w(f"{loss} = {value}")
        w(f"check({loss}, {sym!r})")
    for l in reversed(once):
        backward(l)
    for run, _ in runs[BACKWARD]:
        for l in run:
            w(f"for t in range(T, 0, -1):  # layer {P.layer_number(l)} backward through time")
            w.at += 1
            backward(l)
            w.at -= 1
    if torch:
        for l in weighted:
            for g, p, k in zip(grads(l), params(l), gkeys(l)):
                w(f"assert_close({g}, {p}.grad{' / m' if mean else ''})  # τ by τ, {names[l]['~' + k]} adds up to autograd's")
        w.at -= 1
    w.at -= 1


def _parts(names: list[str]) -> str:
    """A step's value in the program: one part itself, several as a tuple (W and b)."""
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def _profiled_loss_numpy(spec: Any, nL: dict[str, str], n0: dict[str, str]) -> tuple[str, list[str]]:
    """(the per-example loss in NumPy, the lines of the output's δ) in the profile's names."""
    z, a, dz, da = nL["z"], nL["a"], nL["dz"], nL["da"]
    J, sa, sdz, sda, sz = n0["~loss"], nL["~a"], nL["~dz"], nL["~da"], nL["~z"]
    loss, act = spec.loss, spec.activations[-1]
    if loss == "cross_entropy" and act == "softmax":
        return (f"-np.sum(y * ({z} - {z}.max() - np.log(np.exp({z} - {z}.max()).sum())))  # {J} = −Σ y ln {sa}",
                [f"{dz} = {a} * y.sum() - y  # {sdz} = {sa} Σ y − y (softmax and cross-entropy)"])
    if loss == "cross_entropy":
        return (f"np.sum(y * np.logaddexp(0.0, -{z}) + (1 - y) * np.logaddexp(0.0, {z}))"
                f"  # {J} = −Σ y ln {sa} + (1 − y) ln(1 − {sa})", [f"{dz} = {a} - y  # {sdz} = {sa} − y (sigmoid and cross-entropy)"])
    half = loss == "half_squared"
    value = (f"0.5 * np.sum(({a} - y) ** 2)  # {J} = ½ Σ ({sa} − y)²" if half
             else f"np.sum(({a} - y) ** 2)  # {J} = Σ ({sa} − y)²")
    grad = (f"{da} = {a} - y  # {sda} = {sa} − y" if half else f"{da} = 2 * ({a} - y)  # {sda} = 2 ({sa} − y)")
    if act == "softmax":
        return value, [grad, f"{dz} = {a} * ({da} - np.sum({a} * {da}))  # {sdz} = (diag({sa}) − {sa} {sa}ᵀ) {sda}"]
    fprime = ACTIVATION_CODE[act][2].format(s=z, o=a, a=repr(spec.alphas[-1]))
    return value, [grad, f"{dz} = {da} * ({fprime})  # {sdz} = {sda} ⊙ f′({sz})"]


def _profiled_update_numpy(w: Writer, spec: Any, P: Any, names: dict[int, dict[str, str]], weighted: list[int],
                           letters: dict[str, str], parts: dict[int, list[tuple[str, str, str, tuple[int, ...]]]]) -> None:
    """Each layer's update as the notation writes it: g the group's sum (m times a mean profile's mean), L2's 2λW on
    the weights (never a bias: column 0 when the bias is in W), then the optimizer's rule; each of the layer's
    ``parts`` (W and b; a recurrent layer's W, U, b) on lines of its own."""
    opt = spec.optimizer
    mean = P.mean
    eta, lr = repr(opt.learning_rate), P.learning_rate.text
    for l in weighted:
        n = names[l]
        for par, grad, _, bias in parts[l]:
            weights = par not in ("b", "bh")
            p_, g_, sp, sg = n[par], n[grad], n["~" + par], n["~" + grad]
            sum_ = f"m * {g_}" if mean else g_
            line = f"g = {sum_}"
            said = f"g = {'m ' if mean else ''}{sg}"
            if weights and opt.l2:
                line += f" + 2 * {opt.l2!r} * {p_}"
                said += f" + 2λ {sp}"
                if bias == (0,):
                    line += f"\ng[:, 0] = {sum_}[:, 0]"
                    said += " (not on the bias, column 0)"
            w(f"{line}  # {said}" if "\n" not in line else line.replace("\n", f"  # {said}\n", 1))
            if opt.name == "momentum":
                v, mu = f"{letters['v']}_{p_}", P.own_letters().get("momentum:μ", P.learning_rate.__class__("μ", "")).text
                if P.velocity == "step":
                    w(f"{v} = {opt.momentum!r} * {v} - {eta} * g  # v ← {mu} v − {lr} g",
                      f"{p_} = {p_} + {v}  # {sp} ← {sp} + v")
                else:
                    w(f"{v} = {opt.momentum!r} * {v} + g  # v ← {mu} v + g", f"{p_} = {p_} - {eta} * {v}  # {sp} ← {sp} − {lr} v")
            elif opt.name == "adam":
                m_, v_ = f"{letters['m']}_{p_}", f"{letters['v']}_{p_}"
                b1, b2, t = repr(opt.beta1), repr(opt.beta2), f"t_{P.layer_number(l)}"
                if par == "W":
                    w(f"{t} = {t} + 1  # Adam's t")
                w(f"{m_} = {b1} * {m_} + (1 - {b1}) * g  # first moment", f"{v_} = {b2} * {v_} + (1 - {b2}) * g ** 2  # second moment",
                  f"{p_} = {p_} - {eta} * ({m_} / (1 - {b1} ** {t})) / (np.sqrt({v_} / (1 - {b2} ** {t})) + {opt.eps!r})"
                  f"  # {sp} ← {sp} − {lr} m̂ / (√v̂ + ε)")
            else:
                w(f"{p_} = {p_} - {eta} * g  # {sp} ← {sp} − " + (f"({lr}·m) {sg}" if mean else f"{lr} {sg}"))
        w(f"check({_parts([n[par] for par, _, _, _ in parts[l]])}, "
          f"{(', '.join(n['~' + par] for par, _, _, _ in parts[l]) + ' (after the update)')!r})")
    zeros = [f"{names[l][g]} = np.zeros_like({names[l][g]})" for l in weighted for _, g, _, _ in parts[l]]
    w("# the gradients start again from zero for the next group", *zeros)

"""``bptui export --format pytorch|numpy`` in the lecture's notation: a network's run as one readable Python
program that checks itself.

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
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..core.engine.kind import LayerCode
from ..core.engine.schedule import (BACKWARD, FORWARD, LOSS, backward_order, example_block, forward_order,
                                    sequence_runs)
from ..core.engine.wiring import reader, source
from ..core.formulas.notation import sup
from ..core.util.errors import SpecError
from . import common
from .common import (ACTIVATION_CODE, ATOL, ERF_CODE, RTOL, Run, Writer, packages, _loss_numpy, _loss_torch, _per_step_y,
                     _sym, record)
from .graph import graph_program
from .profiled import profiled_codes, profiled_program


def program(spec: Any, fmt: str, run: Run, npz_name: str | None, notation: Any = None
            ) -> tuple[str, dict[str, np.ndarray] | None]:
    """The program's text and, when bptui's values are too many for it, the arrays of its .npz; in the
    notation profile ``notation`` (None or lecture13: the lecture's program)."""
    from ..core.engine.network import Network
    from ..core.engine.wiring import source

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
    w("import sys", "from pathlib import Path", "")
    windows = ("from numpy.lib.stride_tricks import sliding_window_view",) if not torch and any(
        "sliding_window_view" in src for src in helpers.values()) else ()
    packages(w, torch, *(() if torch else (*windows, "from numpy.testing import assert_allclose")))
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
    if len(text) > common.INLINE_LIMIT and npz_name is not None:
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


def write(spec: Any, fmt: str, first: int, last: int, output: str, force: bool = False, notation: Any = None,
          from_file: bool = False) -> None:
    """Record bptui's steps ``first`` … ``last`` and write the program to ``output`` (atomically), with
    ``OUTPUT-expected.npz`` beside it when bptui's values pass :data:`INLINE_LIMIT`; in the notation profile
    ``notation`` (None: lecture13; ``from_file``: the network file's "notation", no --notation given)."""
    from ..core.util.files import write_bytes_atomic, write_text_atomic

    if spec.kind == "graph":
        write_text_atomic(output, graph_program(spec, fmt, first, last), force)
        return
    if notation is not None and notation.name != "lecture13":  # refused before any step is recorded
        from ..core.engine.network import Network

        profiled_codes(spec, Network(spec), fmt, notation, from_file)
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
        from ..core.graphs.graph_stepper import GraphStepper

        return 1, len(GraphStepper(spec).schedule)
    from ..core.engine.stepper import Stepper

    return 1, epochs * len(Stepper(spec).schedule)


def _body_sequences(w: Writer, spec: Any, net: Any, codes: list[LayerCode], weighted: list[int], torch: bool) -> None:
    """The loop of a network over time: for each example, forward for τ = 1..T through the layers that run
    at each τ, then the layers that run once, the loss, backward from the top (the layers that run once,
    then each per-τ layer for τ = T..1); the lines of each step are its kind's (``LayerCode.seq``)."""
    from ..core.engine.kind import timed_layers

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

"""``bptui export``: every step as a numbered worked solution — Markdown, a LaTeX document, or CSV.

The steps come from the core's steppers (the one schedule, the same values as ``bptui trace``);
this module only writes them down: equations in LaTeX with the numbers filled in, vectors as column
vectors and matrices as ``bmatrix``, in the lecture's notation. Matrices taller or wider than
:data:`LIMIT` keep their first and last rows and columns around ``\\cdots`` / ``\\vdots``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Iterator

import numpy as np

from .core.notation import num
from .core.optim import regularised

LIMIT = 6  # rows or columns shown before eliding the middle
DIGITS = 4


# -- numbers, vectors and matrices in LaTeX ---------------------------------------------------------
def tnum(x, digits: int = DIGITS) -> str:
    """A number in LaTeX: 4 significant digits, ``1.5\\times 10^{-5}`` for small and big ones."""
    x = float(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa} \\times 10^{{{int(exp)}}}"
    return text


def _keep(n: int) -> list[int | None]:
    """Indices shown of n: all, or the first LIMIT−2, None (the elision) and the last one."""
    if n <= LIMIT:
        return list(range(n))
    return list(range(LIMIT - 2)) + [None, n - 1]


def bmatrix(m, digits: int = DIGITS) -> str:
    """A matrix (2-D) or a column vector (1-D) as a bmatrix, big ones elided."""
    m = np.asarray(m)
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    rows = []
    for i in _keep(m.shape[0]):
        cells = []
        for j in _keep(m.shape[1]):
            if i is None:
                cells.append(r"\vdots" if j is not None else r"\ddots")
            else:
                cells.append(r"\cdots" if j is None else tnum(m[i, j], digits))
        rows.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def brow(v, digits: int = DIGITS) -> str:
    """A row vector (a transposed column), elided like a matrix row."""
    return bmatrix(np.asarray(v).reshape(1, -1), digits)


def bcol_text(items: list[str]) -> str:
    """A column of already written entries (``1``, ``\\tanh(0.1)`` …)."""
    if len(items) > LIMIT:
        items = items[: LIMIT - 2] + [r"\vdots", items[-1]]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def sup(l) -> str:
    return f"^{{({l})}}"


_F = {"sigmoid": r"\sigma", "tanh": r"\tanh", "identity": ""}


def fname(name: str) -> str:
    return _F.get(name, r"\operatorname{" + name.replace("_", r"\_") + "}")


# -- text to LaTeX ----------------------------------------------------------------------------------
_TEXT = {"−": "-", "…": r"\ldots{}", "×": r"$\times$", "—": "---", "–": "--", "’": "'", "‘": "`", "“": "``",
         "”": "''", "ℓ": r"$\ell$", "η": r"$\eta$", "λ": r"$\lambda$", "δ": r"$\delta$", "σ": r"$\sigma$",
         "‖": r"$\|$", "≈": r"$\approx$", "→": r"$\to$", "·": r"$\cdot$", "π": r"$\pi$", "Σ": r"$\Sigma$"}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡᴸ⁺⁻", "0123456789()lL+-")


def tex_escape(text: str) -> str:
    """Plain text (a file's name or description) safe for pdflatex: specials escaped, Unicode mapped
    to LaTeX or to its closest ASCII."""
    out = []
    for ch in text.translate(_SUPERSCRIPTS):
        if ch in "\\":
            out.append(r"\textbackslash{}")
        elif ch in "{}$&#_%":
            out.append("\\" + ch)
        elif ch in "^~":
            out.append(r"\^{}" if ch == "^" else r"\~{}")
        elif ch in _TEXT:
            out.append(_TEXT[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


_TOKEN = re.compile(r"(\d+\.?\d*(?:e[+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.)", re.S)
_FUNCS = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh", "ln": r"\ln", "exp": r"\exp",
          "max": r"\max", "min": r"\min", "relu": r"\operatorname{relu}", "sign": r"\operatorname{sign}"}
_SYMBOLS = {"·": r" \cdot ", "−": "-", "²": "^{2}", "σ": r"\sigma", "≥": r" \geq ", "≤": r" \leq ", "∂": r"\partial ",
            "√": r"\sqrt"}


def _name(name: str) -> str:
    if len(name) == 1:
        return name
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def math_text(text: str) -> str:
    """One of the core's formulas (``g_b = g_e·(−a/b²) + g_c·cos(b)``) as LaTeX math."""
    out: list[str] = []
    for number, word, other in _TOKEN.findall(text):
        if number:
            out.append(tnum(float(number), 12) if "e" in number else number)
        elif word:
            if word in _FUNCS:
                out.append(_FUNCS[word])
            elif word.startswith("g_") and len(word) > 2:
                out.append(f"g_{{{_name(word[2:])}}}")
            else:
                out.append(_name(word))
        else:
            out.append(_SYMBOLS.get(other, other))
    tex = "".join(out)
    tex = re.sub(r"\\sqrt(\([^()]*\)|[\w.]+)", lambda m: r"\sqrt{" + m.group(1).strip("()") + "}", tex)
    tex = re.sub(r"\^(\([^()]*\)|-?[\w.]+|\\mathit\{[^}]*\})", lambda m: "^{" + m.group(1) + "}", tex)
    return tex


# -- the steps as equations -------------------------------------------------------------------------
# an equation is (lhs, [(relation, rhs), …]); a step is a list of equations
Equation = tuple[str, list[tuple[str, str]]]


def _fprime(net, l: int) -> str:
    name = net.act(l).name
    o = f"o{sup(l)}"
    return {"sigmoid": rf"{o} \odot (1 - {o})", "tanh": rf"(1 - {o} \odot {o})", "identity": "1",
            "relu": rf"\mathbb{{1}}[s{sup(l)} > 0]"}.get(name, f"{fname(name)}'(s{sup(l)})")


def _apply(net, l: int, s) -> list[str]:
    f = fname(net.act(l).name)
    return [f"{f}({tnum(x)})" if f else tnum(x) for x in s]


def network_step(spec, net, state, step) -> list[Equation]:
    """One network step as LaTeX equations, numbers filled in (mirrors ``core.equations``)."""
    key = step.key
    l, L = key.layer, spec.L
    if key.quantity == "s":
        return [(f"s{sup(l)}", [("=", f"W{sup(l)} o{sup(l - 1)}"),
                                ("=", f"{bmatrix(state.W[l])} {bmatrix(state.o[l - 1])}"),
                                ("=", bmatrix(step.value))])]
    if key.quantity == "o":
        act = net.act(l).name
        f = fname(act)
        if act == "softmax":
            return [(f"o{sup(l)}", [("=", rf"\operatorname{{softmax}}(s{sup(l)})"),
                                    ("=", rf"\operatorname{{softmax}}\left({bmatrix(state.s[l])}\right)"),
                                    ("=", bmatrix(step.value))])]
        inner = f"{f}(s{sup(l)})" if f else f"s{sup(l)}"
        entries = _apply(net, l, state.s[l])
        if l < L:
            first = rf"\begin{{bmatrix}} 1 \\ {inner} \end{{bmatrix}}"
            entries = ["1"] + entries
        else:
            first = inner
        return [(f"o{sup(l)}", [("=", first), ("=", bcol_text(entries)), ("=", bmatrix(step.value))])]
    if key.quantity == "loss":
        n, o, y = key.example, state.o[L], state.y
        if net.loss.name == "cross_entropy":
            rule = rf"-\sum_k y_k \log o{sup(L)}_k"
            middle = []
        else:
            half = r"\tfrac{1}{2} " if net.loss.name == "half_squared" else ""
            rule = rf"{half}\sum_k \left(o{sup(L)}_k - y_k\right)^2"
            middle = [] if len(o) > LIMIT else [("=", half + " + ".join(
                rf"({tnum(a)} - {tnum(b)})^2" for a, b in zip(o, y)))]
        return [(rf"\ell{sup(n)}", [("=", rule), *middle, ("=", tnum(step.value))]),
                (r"\ell_{\mathcal{D}}", [("=", tnum(state.loss_D)), ])]
    if key.quantity == "delta":
        d = rf"\delta{sup(l)}"
        if l == L:
            o = f"o{sup(L)}"
            if net.loss.name == "cross_entropy":
                return [(d, [("=", f"{o} - y"), ("=", f"{bmatrix(state.o[L])} - {bmatrix(state.y)}"),
                             ("=", bmatrix(step.value))])]
            two = "2" if net.loss.name == "squared" else ""
            if net.act(L).name == "softmax":
                return [(d, [("=", rf"\left(\operatorname{{diag}}({o}) - {o} {o}^T\right) {two}({o} - y)"),
                             ("=", bmatrix(step.value))])]
            fp = net.df(L, state.s[L], state.o[L])
            return [(d, [("=", rf"{two}({o} - y) \odot {_fprime(net, L)}"),
                         ("=", rf"{two}\left({bmatrix(state.o[L])} - {bmatrix(state.y)}\right) \odot {bmatrix(fp)}"),
                         ("=", bmatrix(step.value))])]
        back = (state.W[l + 1].T @ state.delta[l + 1])[1:]
        fp = net.df(l, state.s[l], state.o[l][1:])
        return [(d, [("=", rf"\left(W^{{({l + 1})T}} \delta^{{({l + 1})}}\right)_{{1:}} \odot {_fprime(net, l)}"),
                     ("=", rf"{bmatrix(back)} \odot {bmatrix(fp)}"), ("=", bmatrix(step.value))])]
    if key.quantity == "G":
        return [(f"G{sup(l)}", [(r"\leftarrow", rf"G{sup(l)} + \delta{sup(l)} o^{{({l - 1})T}}"),
                                ("=", f"{bmatrix(step.before)} + {bmatrix(state.delta[l])} {brow(state.o[l - 1])}"),
                                ("=", bmatrix(step.value))])]
    return update_step(spec, state, step)


def update_step(spec, state, step) -> list[Equation]:
    opt, l = spec.optimizer, step.key.layer
    G, W0, W1 = state.G[l], step.before, step.value
    eta = tnum(opt.learning_rate)
    W, Gs = f"W{sup(l)}", f"G{sup(l)}"
    eqs: list[Equation] = []
    g_sym = Gs
    if opt.l2:
        g = regularised(W0, G, opt.l2)
        eqs.append(("g", [("=", rf"{Gs} + 2\lambda \tilde{{W}}{sup(l)}"),
                          ("=", rf"{bmatrix(G)} + {tnum(2 * opt.l2)} {bmatrix(np.where(np.arange(W0.shape[1]) == 0, 0.0, W0))}"),
                          ("=", bmatrix(g))]))
        g_sym = "g"
    else:
        g = G
    if opt.name == "sgd":
        eqs.append((W, [(r"\leftarrow", rf"{W} - \eta\, {g_sym}"), ("=", rf"{bmatrix(W0)} - {eta} {bmatrix(g)}"),
                        ("=", bmatrix(W1))]))
    elif opt.name == "momentum":
        mu = tnum(opt.momentum)
        eqs.append((f"v{sup(l)}", [(r"\leftarrow", rf"\mu\, v{sup(l)} + {g_sym}"),
                                   ("=", rf"{mu} {bmatrix(step.opt_before.v)} + {bmatrix(g)}"),
                                   ("=", bmatrix(step.opt.v))]))
        eqs.append((W, [(r"\leftarrow", rf"{W} - \eta\, v{sup(l)}"),
                        ("=", rf"{bmatrix(W0)} - {eta} {bmatrix(step.opt.v)}"), ("=", bmatrix(W1))]))
    else:
        t, b1, b2 = step.opt.t, opt.beta1, opt.beta2
        m_hat, v_hat = step.opt.m / (1.0 - b1**t), step.opt.v / (1.0 - b2**t)
        eqs.append((f"m{sup(l)}", [(r"\leftarrow", rf"\beta_1 m{sup(l)} + (1 - \beta_1) {g_sym}"),
                                   ("=", rf"{tnum(b1)} {bmatrix(step.opt_before.m)} + {tnum(1 - b1)} {bmatrix(g)}"),
                                   ("=", bmatrix(step.opt.m))]))
        eqs.append((f"v{sup(l)}", [(r"\leftarrow", rf"\beta_2 v{sup(l)} + (1 - \beta_2) {g_sym} \odot {g_sym}"),
                                   ("=", rf"{tnum(b2)} {bmatrix(step.opt_before.v)} + {tnum(1 - b2)} {bmatrix(g * g)}"),
                                   ("=", bmatrix(step.opt.v))]))
        eqs.append((r"\hat{m}", [("=", rf"m{sup(l)} / (1 - \beta_1^{{{t}}})"), ("=", bmatrix(m_hat))]))
        eqs.append((r"\hat{v}", [("=", rf"v{sup(l)} / (1 - \beta_2^{{{t}}})"), ("=", bmatrix(v_hat))]))
        eqs.append((W, [(r"\leftarrow", rf"{W} - \eta\, \hat{{m}} / (\sqrt{{\hat{{v}}}} + \epsilon)"),
                        ("=", rf"{bmatrix(W0)} - {eta}\, {bmatrix(m_hat)} / \left(\sqrt{{{bmatrix(v_hat)}}} + "
                              rf"{tnum(opt.eps)}\right)"),
                        ("=", bmatrix(W1))]))
    return eqs


def graph_step(spec, state, step) -> list[Equation]:
    """A graph step: the core's equation (``g_b = g_e·(−a/b²) + … = −12.36``) in LaTeX, one ``=`` a line."""
    from .core.graph_stepper import graph_equation

    parts = graph_equation(spec, state, step).split(" = ")
    return [(math_text(parts[0]), [("=", math_text(p)) for p in parts[1:]])]


def aligned(eqs: list[Equation]) -> str:
    lines = []
    for lhs, parts in eqs:
        for i, (rel, rhs) in enumerate(parts):
            lines.append(f"{lhs if i == 0 else ''} &{rel} {rhs}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# -- walking the steps ------------------------------------------------------------------------------
def _network_events(spec, epochs: int) -> Iterator[tuple[str, object]]:
    """("epoch", k), ("example", (n, x, y, o0)), ("update", text), ("step", (stepper, step)), ("end", (k, ℓ_D))."""
    from .core.stepper import Stepper

    stepper = Stepper(spec)
    per_epoch = len(stepper.schedule)
    for _ in range(epochs * per_epoch):
        key = stepper.next_key
        if key.step % per_epoch == 1 or per_epoch == 1:
            yield "epoch", key.epoch
        step = stepper.forward()
        st = stepper.state
        if key.example_start:
            yield "example", (key.example, st.x, st.y, st.o[0])
        elif key.phase == "update" and key.layer == 1:
            if spec.update == "mini_batch":
                yield "update", f"mini-batch {key.group} of {stepper.schedule.n_groups}"
            elif spec.update == "full_batch":
                yield "update", "all the examples"
            else:
                yield "update", f"example {stepper.schedule.key(key.step - 2).example}"
        yield "step", (stepper, step)
        if key.phase == "update" and key.layer == spec.L and key.step % per_epoch == 0:
            yield "end", (key.epoch, st.loss_D)


def _graph_events(spec) -> Iterator[tuple[str, object]]:
    from .core.graph_stepper import GraphStepper

    stepper = GraphStepper(spec)
    while not stepper.at_end:
        key = stepper.next_key
        if key.step == 1:
            yield "pass", "Forward pass: every node's value, in computing order"
        elif key.phase == "reverse" and key.node == spec.output:
            yield "pass", f"Reverse pass: every adjoint g_v = ∂{spec.output}/∂v, from {spec.output} back to the inputs"
        yield "step", (stepper, stepper.forward())
    yield "gradient", stepper


def _is_graph(spec) -> bool:
    return getattr(spec, "kind", "network") == "graph"


def _needs_elision(spec) -> bool:
    return not _is_graph(spec) and max(max(w.shape) for w in spec.weights) > LIMIT


# -- Markdown ---------------------------------------------------------------------------------------
NETWORK_NOTATION = [
    r"Layers $l = 0, \dots, L$ have $d^{(l)}$ units. The input is $o^{(0)} = [1, x]^T$: a leading 1 for the bias.",
    r"$W^{(l)}$ is $d^{(l)} \times (d^{(l-1)}+1)$; column 0 holds the biases, $w_{b,a}^{(l)}$ joins unit $a$ of "
    r"layer $l-1$ to unit $b$ of layer $l$.",
    r"Forward: $s^{(l)} = W^{(l)} o^{(l-1)}$, $o^{(l)} = [1, f(s^{(l)})]^T$ for a hidden layer, "
    r"$o^{(L)} = f(s^{(L)})$; the loss of example $n$ is $\ell^{(n)}$ and $\ell_{\mathcal{D}} = \sum_n \ell^{(n)}$.",
    r"Backward: $\delta^{(l)} = \partial \ell^{(n)} / \partial s^{(l)}$; "
    r"$\delta^{(l)} = \left(W^{(l+1)T} \delta^{(l+1)}\right)_{1:} \odot f'(s^{(l)})$ (the bias row dropped); "
    r"$G^{(l)} \leftarrow G^{(l)} + \delta^{(l)} o^{(l-1)T}$.",
    r"Update: $W^{(l)} \leftarrow W^{(l)} - \eta\, G^{(l)}$ (or the optimizer's rule, shown at each update).",
]
GRAPH_NOTATION = [
    r"Forward: each node's value from its arguments, in computing order.",
    r"Reverse: $g_v = \partial y / \partial v$ for the output $y$: $g_y = 1$, then each other node's adjoint is the "
    r"sum over its consumers $u$ of $g_u \, \partial u / \partial v$.",
]


def _intro(spec) -> str:
    """One line on what the file is: the network's shape and settings, or the graph's inputs."""
    if _is_graph(spec):
        from .core.graph import describe as describe_graph

        return describe_graph(spec)
    from .trace import describe

    return describe(spec)


def _notes(spec, graph: bool) -> list[str]:
    """The notation list at the top of a worked solution (the same in Markdown and LaTeX)."""
    lines = list(GRAPH_NOTATION if graph else NETWORK_NOTATION)
    if _needs_elision(spec):
        lines.append(f"Matrices and vectors with more than {LIMIT} rows or columns show their first and last "
                     r"ones; the middle is elided with $\cdots$ and $\vdots$.")
    lines.append("Numbers are rounded to 4 significant digits; the computation keeps full precision.")
    return lines


_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]$|#"}}


def _md_inline(text: str) -> str:
    """Text from the file (a name, a description) as Markdown that shows it literally: no HTML
    (``<script>`` is ``&lt;script&gt;``), no links, emphasis, code or math; lines kept apart."""
    text = "".join(_MD_ESCAPES.get(c, c) for c in text)
    return text.replace("\n", "  \n")


def markdown(spec, epochs: int = 1) -> Iterator[str]:
    graph = _is_graph(spec)
    intro = _intro(spec)
    yield f"# Worked solution: {_md_inline(spec.name)}"
    yield ""
    yield _md_inline(intro)
    if spec.description:
        yield ""
        yield _md_inline(spec.description)
    yield ""
    yield "## Notation (Lecture 13, *Backpropagation*)"
    yield ""
    for line in _notes(spec, graph):
        yield f"- {line}"
    events = _graph_events(spec) if graph else _network_events(spec, epochs)
    for kind, data in events:
        if kind == "epoch":
            yield ""
            yield f"## Epoch {data}"
        elif kind == "example":
            n, x, y, o0 = data
            yield ""
            yield f"### Example $n = {n}$: $x = {brow(x)}$, $y = {brow(y)}$"
            yield ""
            yield f"$o^{{(0)}} = [1, x]^T = {bmatrix(o0)}$"
        elif kind == "update":
            yield ""
            yield f"### Update after {data}"
        elif kind == "pass":
            yield ""
            yield f"## {_md_inline(data)}"
        elif kind == "end":
            epoch, loss_D = data
            yield ""
            yield f"End of epoch {epoch}: $\\ell_{{\\mathcal{{D}}}} = {tnum(loss_D)}$."
        elif kind == "gradient":
            yield ""
            yield "## Result"
            yield ""
            yield f"${_grad_line(spec, data)}$"
        else:
            stepper, step = data
            k = step.key
            eqs = graph_step(spec, stepper.state, step) if graph else network_step(spec, stepper.net, stepper.state, step)
            yield ""
            yield f"**Step {k.step}** ({k.phase})"
            yield ""
            yield "$$"
            yield aligned(eqs)
            yield "$$"


def _grad_line(spec, stepper) -> str:
    y = spec.output
    parts = [f"{_name(y)} = {tnum(stepper.state.values[y])}"]
    parts += [rf"\frac{{\partial {_name(y)}}}{{\partial {_name(name)}}} = {tnum(g)}" for name, g in stepper.gradient.items()]
    return r", \quad ".join(parts)


# -- LaTeX ------------------------------------------------------------------------------------------
def latex(spec, epochs: int = 1) -> Iterator[str]:
    graph = _is_graph(spec)
    intro = _intro(spec)
    yield r"\documentclass[10pt]{article}"
    yield r"\usepackage{amsmath,amssymb}"
    yield r"\allowdisplaybreaks"
    yield r"\setlength{\parindent}{0pt}"
    yield r"\addtolength{\textwidth}{3cm}\addtolength{\oddsidemargin}{-1.5cm}\addtolength{\evensidemargin}{-1.5cm}"
    yield rf"\title{{Worked solution: {tex_escape(spec.name)}}}"
    yield r"\date{}"
    yield r"\begin{document}"
    yield r"\maketitle"
    yield tex_escape(intro)
    if spec.description:
        yield ""
        yield tex_escape(spec.description)
    yield ""
    yield r"\section*{Notation (Lecture 13, \emph{Backpropagation})}"
    yield r"\begin{itemize}"
    for line in _notes(spec, graph):
        yield rf"\item {line}"
    yield r"\end{itemize}"
    events = _graph_events(spec) if graph else _network_events(spec, epochs)
    for kind, data in events:
        if kind == "epoch":
            yield ""
            yield rf"\section*{{Epoch {data}}}"
        elif kind == "example":
            n, x, y, o0 = data
            yield ""
            yield rf"\subsection*{{Example $n = {n}$}}"
            yield rf"$x = {brow(x)}$, $y = {brow(y)}$, $o^{{(0)}} = [1, x]^T = {bmatrix(o0)}$"
        elif kind == "update":
            yield ""
            yield rf"\subsection*{{Update after {tex_escape(data)}}}"
        elif kind == "pass":
            yield ""
            yield rf"\section*{{{tex_escape(data.split(':')[0])}}}"
            yield tex_escape(data.split(": ", 1)[1]).replace("g\\_v", "$g_v$").capitalize() + "."
        elif kind == "end":
            epoch, loss_D = data
            yield ""
            yield rf"End of epoch {epoch}: $\ell_{{\mathcal{{D}}}} = {tnum(loss_D)}$."
        elif kind == "gradient":
            yield ""
            yield r"\section*{Result}"
            yield rf"$${_grad_line(spec, data)}$$"
        else:
            stepper, step = data
            k = step.key
            eqs = graph_step(spec, stepper.state, step) if graph else network_step(spec, stepper.net, stepper.state, step)
            yield ""
            yield rf"\paragraph{{Step {k.step} ({k.phase}).}}"
            yield r"\begin{align*}"
            yield aligned(eqs).removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
            yield r"\end{align*}"
    yield r"\end{document}"


# -- CSV --------------------------------------------------------------------------------------------
CSV_COLUMNS = ("step", "epoch", "example", "phase", "quantity", "layer", "node", "row", "col", "value")


def _v(x) -> str:
    return f"{float(x):.12g}"


def csv_rows(spec, epochs: int = 1) -> Iterator[tuple]:
    """One row per scalar value: rows and columns in the lecture's indexing (b from 1, a from 0;
    a hidden o⁽ˡ⁾ has its bias entry at row 0)."""
    if _is_graph(spec):
        for kind, data in _graph_events(spec):
            if kind == "step":
                k = data[1].key
                yield (k.step, k.epoch, "", k.phase, k.quantity, "", k.node, "", "", _v(data[1].value))
        return
    for kind, data in _network_events(spec, epochs):
        if kind != "step":
            continue
        k = data[1].key
        head = (k.step, k.epoch, "" if k.example is None else k.example, k.phase, k.quantity,
                "" if k.layer is None else k.layer, "")
        if k.quantity == "loss":
            yield head + ("", "", _v(data[1].value))
            continue
        value = np.asarray(data[1].value)
        if value.ndim == 2:
            for b in range(value.shape[0]):
                for a in range(value.shape[1]):
                    yield head + (b + 1, a, _v(value[b, a]))
        else:
            first = 0 if k.quantity == "o" and k.layer < spec.L else 1
            for i, x in enumerate(value):
                yield head + (i + first, "", _v(x))


def csv_lines(spec, epochs: int = 1) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(spec, epochs):
        writer.writerow(row)
        yield from _drain(buffer)
    yield from _drain(buffer)


def _drain(buffer: io.StringIO) -> Iterator[str]:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    yield from text.splitlines()


def export(spec, fmt: str, epochs: int = 1) -> Iterator[str]:
    """The lines of the export in ``fmt`` (markdown, latex or csv)."""
    return {"markdown": markdown, "latex": latex, "csv": csv_lines}[fmt](spec, epochs)


__all__ = ["export", "markdown", "latex", "csv_rows", "bmatrix", "tnum", "math_text", "tex_escape", "num"]

"""``bptui export``: every step as a numbered worked solution — Markdown, a LaTeX document, or CSV.

The steps come from the core's steppers (the one schedule, the same values as ``bptui trace``);
this module only writes them down: equations in LaTeX with the numbers filled in, vectors as column
vectors and matrices as ``bmatrix``, in the lecture's notation. Matrices taller or wider than
:data:`LIMIT` keep their first and last rows and columns around ``\\cdots`` / ``\\vdots``.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterator

import numpy as np

from typing import TYPE_CHECKING

from .core.util.escape import latex_text, markdown_text
from .core.formulas.formula import Arr, LatexPrinter, Num, Ref, Sym, blank_text
from .core.formulas.profiles import QUANTITIES, Profile
from .core.formulas.notation import num
from . import progress

if TYPE_CHECKING:
    from .exercise import Blanker, Part

LIMIT = 6  # rows or columns shown before eliding the middle
DIGITS = 4


# -- numbers, vectors and matrices in LaTeX ---------------------------------------------------------
def tnum(x, digits: int = DIGITS) -> str:
    """A number in LaTeX: 4 significant digits, ``1.5\\times 10^{-5}`` for small and big ones."""
    return LatexPrinter(digits)._num(float(x))


def bmatrix(m, digits: int = DIGITS) -> str:
    """A matrix (2-D) or a column vector (1-D) as a bmatrix, big ones elided."""
    return LatexPrinter(digits).p(Arr(np.asarray(m)))


def brow(v, digits: int = DIGITS) -> str:
    """A row vector (a transposed column), elided like a matrix row."""
    return LatexPrinter(digits).p(Arr(np.asarray(v), row=True))


# -- the steps as equations -------------------------------------------------------------------------
# a step is a list of aligned rows (lhs or "", relation, right-hand side), from the core's formula trees
Row = tuple[str, str, str]


def step_rows(spec, stepper, step, blanker: "Blanker | None" = None) -> list[Row]:
    """One step's equations (the core's trees, as the app and ``trace`` show them) in LaTeX; with a
    ``blanker`` (an exercise), its numbered blanks in place."""
    from .core.teaching.quiz import equations_of

    # the stepper's notation (a graph's stepper has none: the lecture's); an exercise's, its blanker's
    notation = getattr(stepper, "notation", None) if blanker is None else blanker.notation
    printer = LatexPrinter(DIGITS, notation=notation)
    eqs = blanker.equations(stepper, step) if blanker is not None else equations_of(stepper, step, notation=notation)
    if blanker is not None:
        printer.blank_widths = blanker.widths
    return [row for eq in eqs for row in printer.rows(eq)]


def aligned(rows: list[Row]) -> str:
    lines = [f"{lhs} &{rel} {rhs}" for lhs, rel, rhs in rows]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# -- walking the steps ------------------------------------------------------------------------------
def _network_events(spec, epochs: int, part: "Part | None" = None,
                    notation: Profile | None = None) -> Iterator[tuple[str, Any]]:
    """("epoch", k), ("example", (n, x, y, o0)), ("update", text), ("step", (stepper, step)), ("end", (k, ℓ_D));
    with a ``part``, only its steps (the run walked up to it), each heading its first step needs."""
    from .core.engine.equations import loss_D_num
    from .core.engine.stepper import Stepper

    stepper = Stepper(spec, notation=notation)
    per_epoch = len(stepper.schedule)
    first, last = (1, epochs * per_epoch) if part is None else (part.first, part.last)
    while stepper.position < first - 1:  # walk up to the part (as goto does), one progress step each
        stepper.forward()
        progress.step()
    for i in range(first, last + 1):
        progress.step()
        key = stepper.next_key
        if key.step % per_epoch == 1 or per_epoch == 1 or i == first:
            yield "epoch", key.epoch
        step = stepper.forward()
        st = stepper.state
        if key.example_start or (i == first and key.example is not None):
            yield "example", (key.example, st.x, st.y, st.o[0])
        elif key.phase == "update" and (key.layer == 1 or i == first):
            yield "update", stepper.where().follows.text()
        yield "step", (stepper, step)
        if key.phase == "update" and key.layer == spec.L and key.step % per_epoch == 0:
            yield "end", (key.epoch, loss_D_num(notation, st))  # a mean profile's ℓ_D: the mean; past the floats, exact


def _graph_events(spec, part: "Part | None" = None) -> Iterator[tuple[str, Any]]:
    from .core.graphs.graph_stepper import GraphStepper

    stepper = GraphStepper(spec)
    first, last = (1, len(stepper.schedule)) if part is None else (part.first, part.last)
    stepper.goto(first - 1)
    while (key := stepper.next_key) is not None and key.step <= last:
        if key.step == 1 or (key.step == first and key.phase == "forward"):
            yield "pass", "forward"
        elif key.phase == "reverse" and (key.node == spec.output or key.step == first):
            yield "pass", "reverse"
        yield "step", (stepper, stepper.forward())
    if stepper.next_key is None:
        yield "gradient", stepper


def _events(spec, epochs: int, part: "Part | None", notation: Profile | None = None) -> Iterator[tuple[str, Any]]:
    return _graph_events(spec, part) if _is_graph(spec) else _network_events(spec, epochs, part, notation)


def _is_graph(spec) -> bool:
    return spec.kind == "graph"


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
MAP_INPUT = (r"Layers $l = 0, \dots, L$ have $d^{(l)}$ units (a map: $C \times H \times W$ values). The input is the "
             r"map $o^{(0)} = x$ itself; a dense layer reads $[1, \operatorname{vec}(o^{(l-1)})]^T$: a leading 1 for the bias.")
GRAPH_NOTATION = [
    r"Forward: each node's value from its arguments, in computing order.",
    r"Reverse: $g_v = \partial y / \partial v$ for the output $y$: $g_y = 1$, then each other node's adjoint is the "
    r"sum over its consumers $u$ of $g_u \, \partial u / \partial v$.",
]


def _intro(spec, notation: Profile | None = None) -> str:
    """One line on what the file is: the network's shape and settings, or the graph's inputs."""
    if _is_graph(spec):
        from .core.graphs.graph import describe as describe_graph

        return describe_graph(spec)
    from .trace import describe

    return describe(spec) if notation is None else describe(spec, notation)


NAMES = {"pre_activation": "pre-activation", "activation": "activation", "delta": "delta", "gradient": "gradient",
         "weights": "weights", "bias": "bias", "loss": "loss", "learning_rate": "learning rate"}


def notation_heading(notation: Profile | None) -> str:
    """What the notation section's heading names (plain text)."""
    if notation is None or notation.name == "lecture13":
        return "Lecture 13, *Backpropagation*"
    return notation.name


def _profile_notes(spec, notation: Profile) -> list[str]:
    """The notation list of a worked solution in a profile other than the lecture's, from the
    profile's data and the same trees the steps print (LaTeX)."""
    from .core.engine.equations import G, Gb, W, forward_rule, group_symbol, o, s
    from .core.ops.optim import ETA

    M = group_symbol(spec.optimizer, spec.kinds or ())
    p = LatexPrinter(DIGITS, notation=notation)
    l = "l"
    names = ", ".join(f"{NAMES[q]} ${p.p(_quantity_sym(q, l))}$" for q in QUANTITIES)
    lines = [f"Symbols: {names}. A profile names and groups the numbers; it never changes one.",
             f"The input is ${p.p(o(0))} = x$." if notation.separate_bias else
             f"The input is ${p.p(o(0))} = [1, x]^T$: a leading 1 for the bias."]
    if notation.separate_bias:
        own = []  # the parts a kind updates on lines of their own (a recurrent layer's U, a GRU's b_h)
        for kind in spec.layer_kinds or ():
            for part in kind.update_parts(l):
                if part.state_sub not in ((), ("b",)) and f"${p.p(part.sym)}$" not in own:
                    own.append(f"${p.p(part.sym)}$")
        also = f"; {' and '.join(own)} {'are' if len(own) > 1 else 'is'} updated on lines of {'their' if len(own) > 1 else 'its'} own too" \
            if own else ""
        lines.append(f"Forward: ${p.p(s(l))} = {p.p(forward_rule(notation))}$, the bias a vector of its "
                     f"own; the gradients ${p.p(G(l))}$ and ${p.p(Gb(l))}$ are shown apart, and each update as two lines"
                     f"{also}.")
    if notation.mean:
        lines.append(f"A group's gradient is the mean over its ${p.p(M)}$ examples: each example adds its term "
                     f"divided by ${p.p(M)}$, and the update multiplies by ${p.p(M)}$ again "
                     f"(${p.p(W(l))} - ({p.p(ETA)} {p.p(M)})\\, {p.p(G(l))}$ for plain gradient descent), so every weight "
                     "is the same.")
    return lines


def _rules_line(spec, notation: Profile | None = None) -> str:
    """This network's rules, from the same tables as every step below, in ``notation``."""
    from .core.engine.equations import network_formulas
    from .core.engine.network import Network

    printer = LatexPrinter(DIGITS, notation=notation)
    rules = ", ".join(f"${lhs} {rel} {rhs}$" for eq in network_formulas(Network(spec), spec.optimizer, notation)
                      for lhs, rel, rhs in printer.rows(eq)[:1])
    return f"This network's rules: {rules}."


def _quantity_sym(q: str, l: str) -> Sym:
    from .core.engine.equations import LECTURE_SYMS

    return LECTURE_SYMS[q](l)


def _notes(spec, graph: bool, notation: Profile | None = None) -> list[str]:
    """The notation list at the top of a worked solution (the same in Markdown and LaTeX)."""
    if not graph and notation is not None and notation.name != "lecture13":
        return _profile_notes(spec, notation) + [_rules_line(spec, notation)] + _closing_notes(spec)
    lines = list(GRAPH_NOTATION if graph else NETWORK_NOTATION)
    if not graph and spec.input_shape:  # a feature map input has no bias entry: its kernels' biases are their own
        lines[0] = MAP_INPUT
    if not graph:  # the network's own rules, from the same tables as every step below
        lines.append(_rules_line(spec))
        single = [k.over_time for k in getattr(spec, "layer_kinds", ())] == [True] + [False] * (spec.L - 1)
        # a kind's own equations (an LSTM's gates and cell), each its line, after the recurrent line's
        own = [note for l, k in enumerate(getattr(spec, "layer_kinds", ()), start=1) if (note := k.notation(l)) is not None]
        if getattr(spec, "lengths", None) is not None and not single:  # time through several layers (docs/recurrent.md)
            lines.append(r"Each example is a sequence $x_1, \dots, x_T$, and it flows through every layer that runs at each "
                         r"time step: for $\tau = 1, \dots, T$, a recurrent layer $l$ computes $s^{(l)}_{\tau} = W^{(l)} "
                         r"o^{(l-1)}_{\tau} + U^{(l)} o^{(l)}_{\tau-1}$ with $o^{(l)}_0 = 0$ (above another recurrent layer "
                         r"$W^{(l)}$ reads $[1, o^{(l-1)}_{\tau}]$), a dense layer $s^{(l)}_{\tau} = W^{(l)} o^{(l-1)}_{\tau}$. "
                         r"Backward, layer by layer from the top, each for $\tau = T, \dots, 1$; a recurrent layer's $G$ "
                         r"sums over $\tau$ (its columns: $W$'s, then $U$'s). "
                         + (r"The output layer runs at every $\tau$ and the loss sums over $\tau$."
                            if spec.return_sequences else r"The layers above the last recurrent layer read its $o_T$ only "
                                                          r"(many-to-one)."))
        elif getattr(spec, "lengths", None) is not None and not own:  # a recurrent layer: steps through time (docs/recurrent.md)
            lines.append(r"Layer 1 is recurrent: each example is a sequence $x_1, \dots, x_T$; for $\tau = 1, \dots, T$, "
                         r"$s^{(1)}_{\tau} = W^{(1)} o^{(0)}_{\tau} + U^{(1)} o^{(1)}_{\tau-1}$ with $o^{(0)}_{\tau} = [1, x_\tau]$ "
                         r"and $o^{(1)}_0 = 0$ ($U^{(1)}$ multiplies the units, without a bias entry). Backward through "
                         r"time, $\tau = T, \dots, 1$: $\delta^{(1)}_{\tau} = \left(U^{(1)T} \delta^{(1)}_{\tau+1} + "
                         r"\left(W^{(2)T} \delta^{(2)}_{\tau}\right)_{1:}\right) \odot f'(s^{(1)}_{\tau})$, and $G^{(1)}$ "
                         r"sums $\delta^{(1)}_{\tau} [o^{(0)}_{\tau}, o^{(1)}_{\tau-1}]^T$ over $\tau$ (its columns: $W$'s, then $U$'s). "
                         + (r"The layers above run at every $\tau$ and the loss sums over $\tau$."
                            if spec.return_sequences else r"The layers above read $o^{(1)}_T$ only (many-to-one)."))
        elif getattr(spec, "is_v2", False) and getattr(spec, "lengths", None) is None:  # maps (docs/convolution.md)
            lines.append(r"Feature maps $o^{(l)}$ are $C \times H \times W$ arrays without a bias entry (each convolution "
                         r"has its own bias $b^{(l)}$); indices $k, i, j$ (and $c, u, v$ in a kernel) count from 1. "
                         r"$\star$ is the cross-correlation (PyTorch's Conv2d); a dense layer reads "
                         r"$[1, \operatorname{vec}(o^{(l-1)})]$, the map flattened in $C, H, W$ order. Each map step shows "
                         r"its map-level rule and, with every number, the first position.")
        lines += own
    return lines + _closing_notes(spec)


def _example_texts(notation: Profile | None) -> tuple[str, str, int]:
    """An example's first vector as the notation writes it (o⁽⁰⁾ = [1, x]ᵀ, or a¹ = x with a separate
    bias, the numbers follow it, from entry 1 of the lecture's o⁽⁰⁾) and the group's loss ℓ_D, in LaTeX."""
    p = LatexPrinter(DIGITS, notation=notation)
    o0 = p.p(Sym("o", 0))
    if notation is not None and notation.separate_bias:
        return f"{o0} = x", p.p(Sym("ℓ_D")), 1
    return f"{o0} = [1, x]^T", p.p(Sym("ℓ_D")), 0


def _closing_notes(spec) -> list[str]:
    lines = []
    if _needs_elision(spec):
        lines.append(f"Matrices and vectors with more than {LIMIT} rows or columns show their first and last "
                     r"ones; the middle is elided with $\cdots$ and $\vdots$.")
    lines.append("Results are rounded to 4 significant digits; a number substituted into a step carries one or two more where the result needs them to check to its last digit; the computation keeps full precision.")
    return lines


def _exercise_note(spec) -> str:
    givens = "inputs" if _is_graph(spec) else "weights, inputs and targets"
    return ("Work out each numbered blank, (1) ____, in order. Where a later step uses a value you worked out, "
            f"it shows the blank's number, (1), in its place. The given {givens} are printed as numbers.")


def _part_note(part: "Part | None") -> str | None:
    if part is None:
        return None
    return f"This part of the run: {part.what}; its steps keep their numbers from the full run (as in bptui trace)."


def markdown(spec, epochs: int = 1, part: "Part | None" = None, blanker: "Blanker | None" = None,
             notation: Profile | None = None) -> Iterator[str]:
    graph = _is_graph(spec)
    intro = _intro(spec, notation)
    yield f"# {'Exercise' if blanker else 'Worked solution'}: {markdown_text(spec.name, line=True)}"
    yield ""
    yield markdown_text(intro)
    if spec.description:
        yield ""
        yield markdown_text(spec.description)
    for note in (_exercise_note(spec) if blanker else None, _part_note(part)):
        if note:
            yield ""
            yield note
    yield ""
    yield f"## Notation ({notation_heading(notation)})"
    yield ""
    for line in _notes(spec, graph, notation):
        yield f"- {line}"
    first_o, loss_D, skip = _example_texts(notation)
    events = _events(spec, epochs, part, notation)
    for kind, data in events:
        if kind == "epoch":
            yield ""
            yield f"## Epoch {data}"
        elif kind == "example":
            n, x, y, o0 = data
            yield ""
            if getattr(spec, "lengths", None) is not None:  # a sequence: one row per τ
                yield f"### Example $n = {n}$, $T = {len(x)}$: $y = {bmatrix(y) if np.ndim(y) == 2 else brow(y)}$"
                yield ""
                yield f"$o^{{(0)}}_\\tau = [1, x_\\tau]$, one row per $\\tau = 1, \\dots, T$: ${bmatrix(o0)}$"
            elif spec.input_shape:  # a feature map: the map x itself, as the panel shows it (no bias entry)
                yield f"### Example $n = {n}$: $y = {brow(y)}$"
                yield ""
                yield f"$o^{{(0)}} = x = {bmatrix(o0)}$"
            else:
                yield f"### Example $n = {n}$: $x = {brow(x)}$, $y = {brow(y)}$"
                yield ""
                yield f"${first_o} = {bmatrix(o0[skip:])}$"
        elif kind == "update":
            yield ""
            yield f"### Update {data}"
        elif kind == "pass":
            yield ""
            y = spec.output
            yield "## " + markdown_text("Forward pass: every node's value, in computing order" if data == "forward" else
                                        f"Reverse pass: every adjoint g_v = ∂{y}/∂v, from {y} back to the inputs", line=True)
        elif kind == "end":
            epoch, ell_D = data
            yield ""
            yield f"End of epoch {epoch}: ${loss_D} = {_shown(ell_D, Ref('loss_D'), blanker)}$."
        elif kind == "gradient":
            yield ""
            yield "## Result"
            yield ""
            yield f"${_grad_line(spec, data, blanker)}$"
        else:
            stepper, step = data
            k = step.key
            yield ""
            yield f"**Step {k.step}** ({k.phase})"
            yield ""
            yield "$$"
            yield aligned(step_rows(spec, stepper, step, blanker))
            yield "$$"


def _shown(value: "float | Num", ref: Ref, blanker: "Blanker | None") -> str:
    """A board number in a summary line: its blank's number in an exercise, else its value (a Num as the
    printers write it: ℓ_D past the floats from its logarithm)."""
    shown = blanker.shown(ref) if blanker is not None else None
    if shown == "formula":  # it depends on a blank: never its number
        return r"\text{(its formula above)}"
    if shown is not None:
        return blank_text(int(shown), False, latex=True)
    return LatexPrinter(DIGITS).p(value) if isinstance(value, Num) else tnum(value)


def _grad_line(spec, stepper, blanker: "Blanker | None" = None) -> str:
    printer = LatexPrinter(DIGITS)
    y = printer.p(Sym(spec.output))
    parts = [f"{y} = {_shown(stepper.state.values[spec.output], Ref('value', node=spec.output), blanker)}"]
    parts += [rf"\frac{{\partial {y}}}{{\partial {printer.p(Sym(name))}}} = {_shown(g, Ref('adjoint', node=name), blanker)}"
              for name, g in stepper.gradient.items()]
    return r", \quad ".join(parts)


# -- LaTeX ------------------------------------------------------------------------------------------
def title_lines(title: str) -> Iterator[str]:
    """The page's top and the document's title (LaTeX): a title block where the text begins, not
    \\maketitle's, which starts a quarter of the page down; the page's top margin a little smaller."""
    yield r"\addtolength{\topmargin}{-1.5cm}\addtolength{\textheight}{2.5cm}"
    yield r"\begin{document}"
    yield rf"\begin{{center}}{{\LARGE {title}\par}}\end{{center}}"


def latex(spec, epochs: int = 1, part: "Part | None" = None, blanker: "Blanker | None" = None,
          notation: Profile | None = None) -> Iterator[str]:
    graph = _is_graph(spec)
    intro = _intro(spec, notation)
    yield r"\documentclass[10pt]{article}"
    yield r"\usepackage{amsmath,amssymb}"
    yield r"\allowdisplaybreaks"
    yield r"\setlength{\parindent}{0pt}"
    yield r"\addtolength{\textwidth}{3cm}\addtolength{\oddsidemargin}{-1.5cm}\addtolength{\evensidemargin}{-1.5cm}"
    yield from title_lines(f"{'Exercise' if blanker else 'Worked solution'}: {latex_text(spec.name, line=True)}")
    yield latex_text(intro)
    if spec.description:
        yield ""
        yield latex_text(spec.description)
    for note in (_exercise_note(spec) if blanker else None, _part_note(part)):
        if note:
            yield ""
            yield latex_text(note).replace("(1) \\_\\_\\_\\_", f"${blank_text(1, True, latex=True)}$")
    yield ""
    heading = notation_heading(notation).replace("*Backpropagation*", r"\emph{Backpropagation}")
    yield rf"\section*{{Notation ({heading})}}"
    yield r"\begin{itemize}"
    for line in _notes(spec, graph, notation):
        yield rf"\item {line}"
    yield r"\end{itemize}"
    first_o, loss_D, skip = _example_texts(notation)
    events = _events(spec, epochs, part, notation)
    for kind, data in events:
        if kind == "epoch":
            yield ""
            yield rf"\section*{{Epoch {data}}}"
        elif kind == "example":
            n, x, y, o0 = data
            yield ""
            yield rf"\subsection*{{Example $n = {n}$}}"
            if getattr(spec, "lengths", None) is not None:  # a sequence: one row per τ
                yield (rf"$T = {len(x)}$, $y = {bmatrix(y) if np.ndim(y) == 2 else brow(y)}$, "
                       rf"$o^{{(0)}}_\tau = [1, x_\tau]$ (rows $\tau = 1, \dots, T$) $= {bmatrix(o0)}$")
            elif spec.input_shape:  # a feature map: the map x itself (no bias entry)
                yield rf"$y = {brow(y)}$, $o^{{(0)}} = x = {bmatrix(o0)}$"
            else:
                yield rf"$x = {brow(x)}$, $y = {brow(y)}$, ${first_o} = {bmatrix(o0[skip:])}$"
        elif kind == "update":
            yield ""
            yield rf"\subsection*{{Update {latex_text(data, line=True)}}}"
        elif kind == "pass":
            yield ""
            y = LatexPrinter(DIGITS).p(Sym(spec.output))
            yield r"\section*{Forward pass}" if data == "forward" else r"\section*{Reverse pass}"
            yield ("Every node's value, in computing order." if data == "forward" else
                   rf"Every adjoint $g_v = \partial {y} / \partial v$, from ${y}$ back to the inputs.")
        elif kind == "end":
            epoch, ell_D = data
            yield ""
            yield rf"End of epoch {epoch}: ${loss_D} = {_shown(ell_D, Ref('loss_D'), blanker)}$."
        elif kind == "gradient":
            yield ""
            yield r"\section*{Result}"
            yield rf"$${_grad_line(spec, data, blanker)}$$"
        else:
            stepper, step = data
            k = step.key
            yield ""
            yield rf"\paragraph{{Step {k.step} ({k.phase}).}}"
            yield r"\begin{align*}"
            yield aligned(step_rows(spec, stepper, step, blanker)).removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
            yield r"\end{align*}"
    yield r"\end{document}"


# -- CSV --------------------------------------------------------------------------------------------
CSV_COLUMNS = ("step", "epoch", "example", "phase", "quantity", "layer", "node", "row", "col", "value")


PROFILE_COLUMNS = ("notation", "name", "shown")  # after the lecture's columns, in a profile other than lecture13


def csv_columns(spec, notation: Profile | None = None) -> tuple[str, ...]:
    """The header: a recurrent network's rows also say their time step τ (``time``, after ``example``;
    empty for the loss and the updates); in a notation profile other than the lecture's, the
    lecture's columns and then :data:`PROFILE_COLUMNS`."""
    columns = CSV_COLUMNS[:3] + ("time",) + CSV_COLUMNS[3:] if getattr(spec, "lengths", None) is not None else CSV_COLUMNS
    return columns + PROFILE_COLUMNS if _profiled(notation) else columns


def _profiled(notation: Profile | None) -> bool:
    return notation is not None and notation.name != "lecture13"


def _profile_cells(spec, k: Any, row: Any, col: Any, value: str, P: Profile, net: Any) -> tuple[str, str, str]:
    """A row's number as profile ``P`` names and shows it: its symbol (b₁² for w₁,₀⁽²⁾, ∂C/∂w₂,₁²) and
    its value as the profile shows it (a mean profile's G divided by the group's m); empty for the
    lecture's 1 on top of a hidden o, which a profile with a separate b does not show."""
    from .core.engine.explain import Cell
    from .core.engine.equations import group_size
    from .core.formulas.formula import TextPrinter

    printer = TextPrinter(notation=P)
    if k.quantity == "loss":
        return P.name, printer.p(Sym("ℓ", k.example, latex=r"\ell")), value
    if isinstance(row, tuple):  # an entry of a feature map, 0-based
        return P.name, printer.p(Cell(k.quantity, k.layer, row, kind=spec.layer_kinds[k.layer - 1]).sym()), value
    if k.quantity == "o" and row == 0:
        return (P.name, "", "") if P.separate_bias else (P.name, printer.p(Cell("o", k.layer, 0).sym()), value)
    cell = Cell(k.quantity, k.layer, row, col if col != "" else None, kind=spec.layer_kinds[k.layer - 1],
                time=getattr(k, "time", None) if k.quantity not in ("G", "W") else None)  # a recurrent network's τ
    shown = value if k.quantity != "G" or not P.mean else _v(float(value) / group_size(net, k))
    return P.name, printer.p(cell.sym()), shown


def _v(x) -> str:
    return f"{float(x):.12g}"


def csv_rows(spec, epochs: int = 1, part: "Part | None" = None, notation: Profile | None = None) -> Iterator[tuple]:
    """One row per scalar value: rows and columns in the lecture's indexing (b from 1, a from 0;
    a hidden o⁽ˡ⁾ has its bias entry at row 0); in a notation profile other than the lecture's, each
    row also names the profile, the number's symbol in it and the number as it shows it
    (:func:`_profile_cells`): the lecture's columns and values stay, as ``trace --format json`` keeps them."""
    if _is_graph(spec):
        for kind, data in _graph_events(spec, part):
            if kind == "step":
                k = data[1].key
                yield (k.step, 1, "", k.phase, k.quantity, "", k.node, "", "", _v(data[1].value))  # one "epoch"
        return
    if _profiled(notation):
        assert notation is not None
        for k, row, net in _network_rows(spec, epochs, part):
            unit = row[-3] if row[-4] == "" else (row[-4] - 1, row[-3] - 1, row[-2] - 1)  # a map's (channel, row, col)
            yield row + _profile_cells(spec, k, unit, row[-2], row[-1], notation, net)
        return
    for _, row, _ in _network_rows(spec, epochs, part):
        yield row


def _network_rows(spec, epochs: int, part: "Part | None") -> Iterator[tuple[Any, tuple, Any]]:
    """:func:`csv_rows` of a network, each with its step's key and the stepper's network."""
    for kind, data in _network_events(spec, epochs, part):
        if kind != "step":
            continue
        k, net = data[1].key, data[0].net
        head: tuple[Any, ...] = (k.step, k.epoch, "" if k.example is None else k.example, k.phase, k.quantity,
                "" if k.layer is None else k.layer, "")
        if spec.lengths is not None:  # a recurrent network: the time step τ after the example
            head = head[:3] + ("" if k.time is None else k.time,) + head[3:]
        if k.quantity == "loss":
            yield k, head + ("", "", _v(data[1].value)), net
            continue
        value = np.asarray(data[1].value)
        if value.ndim == 3:  # a feature map (v2): node holds its channel, row and col its position (from 1)
            for (c, i, j), x in np.ndenumerate(value):
                yield k, head[:-1] + (c + 1, i + 1, j + 1, _v(x)), net
            continue
        if value.ndim == 2:
            for b in range(value.shape[0]):
                for a in range(value.shape[1]):
                    yield k, head + (b + 1, a, _v(value[b, a])), net
        else:
            # a hidden o⁽ˡ⁾ holds its bias entry 1 at row 0 (a recurrent layer's o⁽ˡ⁾_τ does not)
            first = 0 if k.quantity == "o" and len(value) == spec.widths[k.layer] + 1 else 1
            for i, x in enumerate(value):
                yield k, head + (i + first, "", _v(x)), net


def csv_lines(spec, epochs: int = 1, part: "Part | None" = None, blanker: "Blanker | None" = None,
              notation: Profile | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_columns(spec, notation))
    for row in csv_rows(spec, epochs, part, notation):
        writer.writerow(row)
        yield from _drain(buffer)
    yield from _drain(buffer)


def _drain(buffer: io.StringIO) -> Iterator[str]:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    yield from text.splitlines()


def export(spec, fmt: str, epochs: int = 1, part: "Part | None" = None,
           blanker: "Blanker | None" = None, notation: Profile | None = None) -> Iterator[str]:
    """The lines of the export in ``fmt`` (markdown, latex or csv): the whole run or a ``part`` of
    it, a worked solution or, with a ``blanker``, an exercise; a worked solution in Markdown or
    LaTeX in the ``notation`` profile (None: the lecture's), CSV with the profile's names beside the
    lecture's columns."""
    if fmt == "csv":
        return csv_lines(spec, epochs, part, blanker, notation)
    return (markdown if fmt == "markdown" else latex)(spec, epochs, part, blanker, notation)


__all__ = ["export", "markdown", "latex", "csv_rows", "bmatrix", "tnum", "num"]

"""The help screen: the notation (the lecture's, or the app's profile) and the keys."""

from __future__ import annotations

from typing import Any, Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .folded import wrap as _wrap
from .panel_base import LeanScroll

NOTATION = [
    ("o⁽⁰⁾ = [1, x]", "the input, with a leading 1 for the bias"),
    ("W⁽ˡ⁾", "weights, d⁽ˡ⁾ × (d⁽ˡ⁻¹⁾+1); column 0 (left of │): bias"),
    ("s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾", "pre-activations"),
    ("o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)]", "activations of a hidden layer (row b=0 holds the 1)"),
    ("o⁽ᴸ⁾ = f(s⁽ᴸ⁾)", "the output layer's activations"),
    ("ℓ⁽ⁿ⁾, ℓ_D = Σₙ ℓ⁽ⁿ⁾", "loss of example n; of the data set so far this epoch"),
    ("δ⁽ᴸ⁾ = ∂ℓ/∂s⁽ᴸ⁾", "2(o⁽ᴸ⁾ − y) ⊙ f′(s⁽ᴸ⁾) for the squared error (o − y)²"),
    ("δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f′(s⁽ˡ⁾)", "each layer's f′ is under THIS NETWORK below"),
    ("G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ", "the gradient of ℓ_D with respect to W⁽ˡ⁾"),
    ("W⁽ˡ⁾ ← W⁽ˡ⁾ − η (G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾)", "the update; W̃ is W with its bias column zeroed"),
]

KEYS = [  # the footer's keys in its order (keys.py), then the ones only here
    ("n  →  space", "next step"),
    ("p  ←", "previous step (exact values restored)"),
    ("f", "to the end of the forward pass (the loss)"),
    ("b", "to the end of the backward pass"),
    ("u", "through the next update"),
    ("e", "to the end of the epoch"),
    ("t", "train for N epochs (asked; Esc stops), then step on from the trained weights;"),
    ("", "  while training: space pauses / resumes, e one epoch (paused), - + the pace"),
    ("s", "settings: {η}, {λ}, optimizer, updates, loss, layers and activations, init, data; restarts at step 0"),
    ("m", "the decision map (2 inputs) or the fit (1 input) beside the panels, after each update"),
    ("d", "the neural-network (NN) diagram: units and weights; again: the layer panels"),
    ("c", "the network's computation graph (matrix level); again: the layer panels"),
    ("g", "gradient check: backprop against finite differences for every weight"),
    ("z", "quiz mode: n hides the next value (or the cursor's cell) for you to type"),
    ("w", "save the network with its current weights"),
    ("?", "this help"),
    ("q", "quit"),
    ("r", "reset to the file's weights (after s: to the weights the settings were applied with)"),
    ("+  -", "more / fewer digits"),
    ("x", "the whole equation of the step (long ones are cut to three lines)"),
    ("tab, click", "put the cursor in a panel: ← → ↑ ↓ move it, the side panel explains the cell"),
    ("enter", "on a W cell: type a new weight (its update group restarts with it)"),
    ("escape", "leave the panel (arrows step again); in the quiz, skip the question"),
    ("[  ]", "scroll sideways: the diagram on screen (c, d), else the panel with the cursor"),
]

def keys(notation=None) -> list[tuple[str, str]]:
    """:data:`KEYS` with the training's symbols (the settings key's {η}, {λ}) as the equations print them in
    ``notation`` (None: the lecture's): ng's α, goodfellow's ε."""
    from ..core.formulas.formula import TextPrinter
    from ..core.ops.optim import ETA, LAMBDA

    P = None if notation is None or notation.name == "lecture13" else notation
    p = TextPrinter(notation=P).p
    return [(key, about.replace("{η}", p(ETA)).replace("{λ}", p(LAMBDA))) for key, about in KEYS]


def on_screen(notation=None) -> list[str]:
    """The ON SCREEN paragraphs, each wrapped to the help's width, with the symbols the panels, ``c`` and ``d``
    print in ``notation`` (None: the lecture's), each printed from the core's symbol by its printer."""
    from ..core.engine.equations import G, Gb, W, b, delta, s
    from ..core.formulas.formula import Partial, Sym, TextPrinter

    P = None if notation is None or notation.name == "lecture13" else notation
    p = TextPrinter(notation=P).p
    sep = P is not None and P.separate_bias
    l = "l"
    Wl, Gl, sl, dl = p(W(l)), p(G(l)), p(s(l)), p(delta(l))

    def holds(box: str, grad: str, of: Any) -> str:
        """``box`` holds ``grad`` (= ∂ℓ/∂box where a sum profile writes it otherwise)."""
        d = p(Partial(Sym("ℓ", latex=r"\ell"), of))
        return f"{box} holds {grad}" + (f" = {d}" if d != grad and not (P is not None and P.mean) else "")

    boxes = [holds(Wl, Gl, W(l))] + ([holds(p(b(l)), p(Gb(l)), b(l))] if sep else []) + [holds(sl, dl, s(l))]
    letters = {k: (P.renames()[k].text if P is not None else k) for k in ("s", "o", "δ")}
    units = f"{letters['s']}, {letters['o']}, {letters['δ']}" + (f" and {p(Sym('b'))}" if sep else "")
    node = "one rounded node per unit" + ("" if sep else " (1 for a bias)")
    bias_column = f"{p(Sym('b'))} left of │" if sep else "the bias column left of │"
    return [
        "▶ marks the quantity the last step produced (also highlighted);",
        "• marks each value the last step changed; · is a value not yet computed;",
        "dim values belong to a pass that has ended; negative numbers carry a − sign (and are red).",
        f"c: the computation graph at matrix level, one box per quantity ({', '.join(boxes)}), ▶ on the quantity "
        "the last step computed.",
        f"d: the neural-network diagram, {node} with its {units} for the example "
        "on the board (• on those the last step wrote); each edge labelled with its weight and drawn by it: "
        f"── w ≥ 0, ┄┄ w < 0, heavy ━━ ┅┅ when |w| ≥ ½ the largest |w|; ▶ ends the edges whose {Wl} the last step "
        f"used ({sl} and {Gl}: {Wl}; {dl}: {p(W('l+1'))}; the update: {Wl}), ▷ the others. A layer of more than 16 "
        f"weights is one {Wl} box instead, a glyph per weight (a row per unit, {bias_column}). With two inputs "
        f"each unit shows its output {letters['o']} over the input plane (x₁ →, x₂ ↑) as a small map, shades "
        "' ░▒▓█' from low to high (blue, grey, orange), ◆ at the example's x; recomputed when the weights change.",
    ]


WIDTH = 98
"""The width of the help's text in its dialog (104 columns, less its border, padding and scrollbar):
the plain text (``help_text()``) is wrapped to it, the dialog to the width it has."""


NARROW = 24
"""The fewest columns a table's second column is given beside the first; with less room (a dialog
below about 70 columns) each row is its first column on a line and its second under it."""


def _table(rows: list[tuple[str, str]], width: int = WIDTH) -> str:
    """Two columns, the second wrapped under itself (never under the first) to ``width``; where the
    second would get fewer than ``NARROW`` columns, each row stacked: the first column, then the second
    under it, four columns in, each wrapped to ``width``."""
    from rich.cells import cell_len

    column = max(cell_len(a) for a, _ in rows) + 3
    if column + 2 + NARROW > width:
        return "\n".join(line for a, b in rows
                         for line in [*_wrap(a, width, "  ", "    "), *_wrap(b, width, "      ", "      ")])
    return "\n".join(line for a, b in rows
                     for line in _wrap(b, width, f"  {a}{' ' * (column - cell_len(a))}", " " * (column + 2)))


def _paragraphs(items: list[str], width: int = WIDTH, indent: int = 2) -> str:
    """Each item wrapped to ``width``, every line of it indented by ``indent``."""
    return "\n".join(line for item in items for line in _wrap(item, width, " " * indent, " " * indent))


GRAPH_NOTATION = [
    ("a = x·z", "a node: an intermediate variable and the function it computes"),
    ("g_a = ∂y/∂a", "the adjoint of a: how the output y changes with a"),
    ("g_y = 1", "the reverse pass starts at the output"),
    ("g_a = Σ g_c·∂c/∂a", "a sum over the consumers c of a (the nodes a points to)"),
    ("g_x for an input x", "∂y/∂x: the gradient, the end of the reverse pass"),
]

GRAPH_KEYS = [
    ("n  →  space", "next step"),
    ("p  ←", "previous step (exact values restored)"),
    ("f", "to the end of the forward pass"),
    ("b", "to the end of the reverse pass"),
    ("r", "reset to the start"),
    ("+  -", "more / fewer digits"),
    ("tab, click", "put the cursor on a node; the side panel explains its value and adjoint"),
    ("← → ↑ ↓", "with the cursor: move it between the nodes in computing order"),
    ("escape", "take the cursor away (arrows step again); in the quiz, skip the question"),
    ("z", "quiz mode: n hides the next value for you to type; z again ends it with the score"),
    ("↑ ↓ PgUp PgDn  [ ]", "scroll the graph (it follows the current step, or the cursor, by itself)"),
    ("?", "this help"),
    ("q", "quit"),
]

GRAPH_ON_SCREEN = [
    "One box per variable (the lecture's computation-graph convention): the function inside, the name above; an "
    "edge from each argument to the node that uses it. In each box: = its value, g = its adjoint. ▶ marks the "
    "node the last step computed (also highlighted), • the line it wrote; the highlighted edges are the ones its "
    "equation reads along; · is a value not yet computed. [a]: the node under the cursor; ? is the value the "
    "quiz asks for.",
]


def graph_help_text(width: int = WIDTH) -> str:
    """The graph app's help, wrapped to ``width`` columns."""
    return (
        f"{chr(10).join(_wrap('bptui — reverse-mode automatic differentiation one step at a time', width, '', '  '))}\n\n"
        f"NOTATION (the lecture's)\n{_table(GRAPH_NOTATION, width)}\n\n"
        f"ON SCREEN\n{_paragraphs(GRAPH_ON_SCREEN, width)}\n\n"
        f"KEYS\n{_table(GRAPH_KEYS, width)}\n\n"
        "Press escape or ? to close."
    )


def network_text(spec, notation=None) -> str:
    """The network's own rules (f and f′ of each layer, the loss, δ, G, the update), printed from
    the same tables as every step's equation, in the ``notation`` profile (None: the lecture's)."""
    from ..core.engine.equations import network_formulas
    from ..core.formulas.formula import TextPrinter
    from ..core.engine.network import Network

    printer = TextPrinter(notation=notation)
    return "\n".join("  " + printer.equation(eq) for eq in network_formulas(Network(spec), spec.optimizer, notation))


PANEL_NOTES = {  # what each of a profile's choices means on the panels
    "where the bias is": {"a vector of its own": "b apart from W on the panels (the file keeps it in W's column 0)",
                          "column 0 of W": "W's column 0 (left of │), with the 1 on top of a hidden layer's output"},
    "vectors": {"columns": "a row per unit j of the layer; k numbers the units of the layer below",
                "rows": "W shown D × C (D inputs, C units): the file's W without column 0, transposed; a line "
                        "per input k, a column per unit j"},
    "first unit": {"0": "units are numbered from 0", "1": "units are numbered from 1"},
    "a group's gradient": {"mean": "gradients (panels, equations) are the mean over the update group's {m} examples",
                           "sum": "the gradients are sums over the update group's examples"},
}  # keyed by a choice's words, or (a group's gradient, in the profile's symbols) by its first word; {m}: the group's size


def notation_text(notation=None, width: int = WIDTH, spec=None) -> str:
    """The help's NOTATION section: the lecture's, or a profile's from its data (``profile_rows``:
    the rows of the manual's table), with what each of its choices means on the panels; wrapped to
    ``width`` columns. With ``spec``, the group's size as its update lines write it (|B| beside Adam's m)."""
    if notation is None or notation.name == "lecture13":
        return f"NOTATION (the lecture's)\n{_table(NOTATION, width)}"
    from ..core.engine.equations import M, group_symbol, profile_rows
    from ..core.formulas.formula import TextPrinter

    group = group_symbol(spec.optimizer, spec.kinds or ()) if spec else M
    rows = profile_rows(notation, group)
    m = TextPrinter(notation=notation).p(group)
    symbols = [(how, what) for what, how in rows if what not in PANEL_NOTES]
    choices = "\n".join(line for what, how in rows if what in PANEL_NOTES
                        for line in [*_wrap(f"{what}: {how}", width, "  ", "    "),
                                     *_wrap(PANEL_NOTES[what].get(how, PANEL_NOTES[what].get(how.split(" ")[0], ""))
                                            .replace("{m}", m), width, "      ", "      ")])
    return "\n".join([*_wrap(f"NOTATION ({notation_title(notation)})", width, "", "  "), _table(symbols, width), choices])


def notation_title(notation) -> str:
    """The profile's name and its description, the name once: a description that opens with the
    name (cs231n's "CS231n: row vectors, …", names being alike in any case) is the title itself."""
    about = notation.description
    if not about:
        return notation.name
    if about.lower().startswith(notation.name.lower()) and not about[len(notation.name):len(notation.name) + 1].isalnum():
        return about
    return f"{notation.name}: {about}"


def help_text(spec=None, notation=None, width: int = WIDTH) -> str:
    """The help screen's text in the app's ``notation`` (None: the lecture's): its NOTATION section
    and the network's own rules; every line at most ``width`` columns, a line that wraps continuing
    under its own column (a key's description under the descriptions, not under the keys)."""
    mine = ""
    if spec:
        named = "" if notation is None or notation.name == "lecture13" else f", in the notation {notation.name}"
        title = _wrap(f"THIS NETWORK ({spec.name}: its rules, as every step writes them{named})", width, "", "  ")
        rules = [line for rule in network_text(spec, notation).splitlines()
                 for line in _wrap(rule.strip(), width, "  ", "      ")]
        mine = "\n".join(title + rules) + "\n\n"
    return (
        f"{chr(10).join(_wrap('bptui — backpropagation one step at a time', width, '', '  '))}\n\n"
        f"{notation_text(notation, width, spec)}\n\n"
        f"{mine}"
        f"ON SCREEN\n{_paragraphs(on_screen(notation), width)}\n\n"
        f"KEYS\n{_table(keys(notation), width)}\n\n"
        "Press escape or ? to close."
    )


class HelpScreen(ModalScreen[None]):
    AUTO_FOCUS = "VerticalScroll"  # ↑ ↓ PgUp PgDn scroll the help at once
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help", id="close-help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 104; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, text: Callable[[int], str] | None = None) -> None:
        """``text(width)``: the help's text, its lines at most ``width`` columns (default: the
        stepper's help without a network)."""
        super().__init__()
        self.text = text or (lambda width: help_text(width=width))

    def compose(self) -> ComposeResult:
        with LeanScroll():
            yield HelpText(self.text)


class HelpText(Static):
    """The help's text, wrapped to the width the dialog gives it (80 columns: 76), so that a line
    that wraps continues under its own column, never at the dialog's left edge."""

    def __init__(self, text: Callable[[int], str]) -> None:
        super().__init__(text(WIDTH), markup=False, id="help-text")
        self._text, self._width = text, WIDTH

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        if width > 0 and width != self._width:
            self._width = width
            self.update(self._text(width))

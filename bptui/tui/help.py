"""The help screen: the lecture's notation and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NOTATION = [
    ("o⁽⁰⁾ = [1, x]", "the input, with a leading 1 for the bias"),
    ("W⁽ˡ⁾", "weights, d⁽ˡ⁾ × (d⁽ˡ⁻¹⁾+1); column 0 (left of │): bias"),
    ("s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾", "pre-activations"),
    ("o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)]", "activations of a hidden layer (row b=0 holds the 1)"),
    ("o⁽ᴸ⁾ = f(s⁽ᴸ⁾)", "the output layer's activations"),
    ("ℓ⁽ⁿ⁾, ℓ_D = Σₙ ℓ⁽ⁿ⁾", "loss of example n; of the data set so far this epoch"),
    ("δ⁽ᴸ⁾ = ∂ℓ/∂s⁽ᴸ⁾", "2(o⁽ᴸ⁾ − y) ⊙ f′(s⁽ᴸ⁾) for the squared error (o − y)²"),
    ("δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f′(s⁽ˡ⁾)", "f′ = 1 − o⊙o for tanh, o⊙(1 − o) for σ"),
    ("G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ", "the gradient of ℓ_D with respect to W⁽ˡ⁾"),
    ("W⁽ˡ⁾ ← W⁽ˡ⁾ − η (G⁽ˡ⁾ + 2λ W̃⁽ˡ⁾)", "the update; W̃ is W with its bias column zeroed"),
]

KEYS = [
    ("n  →  space", "next step"),
    ("p  ←", "previous step (exact values restored)"),
    ("f", "to the end of the forward pass (the loss)"),
    ("b", "to the end of the backward pass"),
    ("u", "through the next update"),
    ("e", "to the end of the epoch"),
    ("r", "reset to the file's weights"),
    ("t", "train for N epochs (asked; Esc stops), then step on from the trained weights"),
    ("g", "gradient check: backprop against finite differences for every weight"),
    ("+  -", "more / fewer digits"),
    ("tab", "focus a panel; then ↑ ↓ PgUp PgDn and [ ] scroll it"),
    ("?", "this help"),
    ("q", "quit"),
]

ON_SCREEN = """\
  ▶ marks the quantity the last step produced (also highlighted);
  • marks each value the last step changed; · is a value not yet computed;
  dim values belong to a pass that has ended; negative numbers carry a − sign (and are red)."""


def _table(rows: list[tuple[str, str]]) -> str:
    from rich.cells import cell_len

    width = max(cell_len(a) for a, _ in rows) + 3
    return "\n".join(f"  {a}{' ' * (width - cell_len(a))}{b}" for a, b in rows)


def help_text() -> str:
    return (
        "bptui — backpropagation one step at a time\n\n"
        f"NOTATION (the lecture's)\n{_table(NOTATION)}\n\n"
        f"ON SCREEN\n{ON_SCREEN}\n\n"
        f"KEYS\n{_table(KEYS)}\n\n"
        "Press escape or ? to close."
    )


class HelpScreen(ModalScreen[None]):
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

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(), markup=False, id="help-text")

"""The network screen's keys, in the footer's order: stepping first (n p f b u e), then the modes
a student reaches for (t s m d c g z w), then ? and q; at 80 columns the first ten show. The other
keys (r, x, + and −, the arrows, Esc, [ ]) are in the help (``?``)."""

from __future__ import annotations

from textual.binding import Binding

FOOTER_ORDER = "n p f b u e t s m d c g z w ? q".split()

NETWORK_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("n,space", "next", "Next", id="next", tooltip="One step forward"),
    Binding("p", "prev", "Prev", id="prev", tooltip="One step back, exact values restored"),
    Binding("f", "to_loss", "Loss", id="forward-pass", tooltip="To the end of this forward pass (the loss)"),
    Binding("b", "to_backward_end", "Backprop", id="backward-pass", tooltip="To the end of this backward pass"),
    Binding("u", "to_update", "Update", id="update", tooltip="Through the next update"),
    Binding("e", "to_epoch_end", "Epoch", id="epoch", tooltip="To the end of the epoch"),
    Binding("t", "train", "Train", id="train", tooltip="Train for some epochs in the background, then step on"),
    Binding("s", "settings", "Setup", id="settings",
            tooltip="Learning rate, optimizer, loss, layers, activations, data: change them and restart"),
    Binding("m", "toggle_map", "Map", id="input-map",
            tooltip="The decision map (two inputs) or the fit (one input) beside the panels, redrawn after each update"),
    Binding("d", "diagram('nn')", "NN", id="nn-diagram", tooltip="Units and weights (again: panels)"),
    Binding("c", "diagram('graph')", "Graph", id="graph", tooltip="The network's computation graph (again: panels)"),
    Binding("g", "gradient_check", "Check", id="gradient-check",
            tooltip="Every weight's backprop gradient against a finite difference"),
    Binding("z", "toggle_quiz", "Quiz", id="quiz", tooltip="Quiz mode: type each step's value before it is shown"),
    Binding("w", "save", "Save", id="save", tooltip="Save the network with its current weights"),
    Binding("question_mark", "help", "Help", id="help", tooltip="Notation and keys"),
    Binding("q", "app.quit", "Quit", id="quit"),
    # in the help only
    Binding("left", "prev", "Prev", id="prev-arrow", show=False),
    Binding("right", "next", "Next", id="next-arrow", show=False),
    Binding("r", "reset", "Reset", id="reset", show=False, tooltip="Back to the file's weights"),
    Binding("plus,equals_sign", "digits(1)", "+digits", id="more-digits", show=False),
    Binding("minus", "digits(-1)", "−digits", id="fewer-digits", show=False),
    Binding("x", "whole_equation", "Equation", id="whole-equation", show=False,
            tooltip="Show the whole equation of the step (or three lines)"),
    Binding("escape", "leave_panel", "", show=False),
    Binding("left_square_bracket", "scroll_panel(-8)", "", show=False),
    Binding("right_square_bracket", "scroll_panel(8)", "", show=False),
]

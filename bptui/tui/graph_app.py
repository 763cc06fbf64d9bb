"""``bptui GRAPH_FILE``: reverse-mode automatic differentiation on a computation graph, one step per key.

The same layout and keys as a network: a header, the current step's equation, the graph itself
(drawn once; each step only changes the text in its boxes and what is highlighted), the footer.
Tab or a click puts a cursor on a node (arrows then move it in computing order) and a side panel
explains the node's value and adjoint; ``z`` is quiz mode (quizmode.py, shared with the network app).
"""

from __future__ import annotations

from dataclasses import replace

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from .folded import Folded
from ..core.graphs.graph import GraphSpec
from ..core.graphs.graph_stepper import FORWARD, GraphStepper, graph_equation
from ..core.formulas.notation import num
from .diagrams import graph_diagram, graph_state
from .graph_canvas import GraphCanvas
from . import messages
from .guard import GuardedApp
from .filters import LeanFilters
from .pacing import PacedApp
from textual.reactive import var

from .stepping import MessageLine, SteppingScreen, TextLine

# keys that move the stepper: not while a question waits for its answer (they reach the answer line)
_MOVES = frozenset({"next", "prev", "to_forward_end", "to_reverse_end", "reset", "digits"})


def node_explanation(stepper: GraphStepper, node: str, digits: int, hidden: Any = None) -> str:
    """The side panel for ``node``: its value's explanation, then its adjoint's once computed;
    the quiz's ``hidden`` number (a core Cell) is shown as ``?``."""
    from ..core.teaching.explain import Cell, explain_graph

    parts = []
    for quantity in ("value", "adjoint"):
        cell = Cell(quantity, node=node)
        if cell == hidden:
            parts.append(f"{cell.symbol()} = ?: type your answer in the line below (Esc skips)")
        elif quantity == "value" or stepper.state.adjoints[node] is not None:
            parts.append(explain_graph(stepper, cell, digits).text())
    return "\n\n".join(parts)


class GraphScreen(SteppingScreen):
    """Step through the forward and the reverse pass of one computation graph."""

    QUIZ_INTRO = ("Quiz mode: n does the next step with its value hidden; type it in the line below. "
                  "z again ends the quiz.")
    BINDINGS = [
        Binding("n,space", "next", "Next", id="next", priority=True, tooltip="One step forward"),
        Binding("p", "prev", "Prev", id="prev", priority=True, tooltip="One step back, exact values restored"),
        Binding("right", "arrow(1)", "", id="next-arrow", priority=True, show=False),
        Binding("left", "arrow(-1)", "", id="prev-arrow", priority=True, show=False),
        Binding("down", "cursor(1)", "", id="cursor-down", priority=True, show=False),
        Binding("up", "cursor(-1)", "", id="cursor-up", priority=True, show=False),
        Binding("tab", "select_node", "Explain", id="explain", priority=True,
                tooltip="Put the cursor on a node (again: the next node); the side panel explains it"),
        Binding("escape", "leave", "", id="leave", show=False),
        Binding("z", "toggle_quiz", "Quiz", id="quiz", tooltip="Quiz mode: type each step's value before it is shown"),
        Binding("f", "to_forward_end", "Forward", id="forward-pass", tooltip="To the end of the forward pass"),
        Binding("b", "to_reverse_end", "Reverse", id="reverse-pass", tooltip="To the end of the reverse pass"),
        Binding("r", "reset", "Reset", id="reset", tooltip="Back to the start"),
        Binding("plus,equals_sign", "digits(1)", "+digits", id="more-digits", show=False),
        Binding("minus", "digits(-1)", "−digits", id="fewer-digits", show=False),
        Binding("question_mark", "help", "Help", id="help", tooltip="Notation and keys"),
        Binding("q", "app.quit", "Quit", id="quit"),
        Binding("left_square_bracket", "scroll_graph(-8)", "", show=False),
        Binding("right_square_bracket", "scroll_graph(8)", "", show=False),
        Binding("s,t,u,e,m,d,c,g,w", "network_key", "", show=False),  # the network app's keys: say why not here
    ]

    node: var[str | None] = var(None, init=False, bindings=True)
    """The node under the cursor, None: no cursor (arrows step)."""

    stepper: GraphStepper

    def __init__(self, spec: GraphSpec, stepper: GraphStepper) -> None:
        super().__init__(stepper)
        self.spec = spec
        self.diagram = graph_diagram(spec, self.digits)
        self.order = [*spec.input_names, *spec.forward_order]  # the cursor's order: computing order

    def compose(self) -> ComposeResult:
        yield TextLine(id="status", steady=True)
        yield TextLine(id="equation")
        yield MessageLine(id="message")
        d = self.diagram
        with Horizontal(id="main"):
            yield GraphCanvas(d.nodes, d.edges, d.label_width, d.pinned, id="graph")
            yield Folded(id="explain", markup=False)  # a folded line goes on under its own column
        yield Footer(show_command_palette=False, compact=True)  # room for the keys; ctrl+p still works

    def on_mount(self) -> None:
        self.app.title = f"bptui · {self.spec.name}"
        self.query_one(GraphCanvas).focus()

    # -- what the screen shows --------------------------------------------------------------------
    def status_text(self) -> str:
        spec, stepper = self.spec, self.stepper
        what = f"{spec.output} = {spec.expression}" if spec.expression else f"output {spec.output}"
        given = ", ".join(f"{name} = {num(v, self.digits)}" for name, v in spec.inputs)
        n = len(stepper.schedule)
        last = stepper.last
        phase = "start" if last is None else f"{last.key.phase} pass"
        nxt = stepper.next_key
        if nxt is None:
            hidden = self.asked.node if self.asked is not None else None
            after = "done: " + ", ".join(f"∂{spec.output}/∂{x} = {'?' if x == hidden or g is None else num(g, self.digits)}"
                                         for x, g in stepper.gradient.items())
        else:
            after = f"next: {self._symbol(nxt)} ({nxt.phase} pass)"
        score = self.score
        quiz = "" if score is None else f" · quiz {score.right} of {score.asked} right"
        return (f"{spec.name} · computation graph · {len(spec.nodes)} nodes · {what}\n"
                f"given {given} · step {stepper.position} of {n} · {phase} · {after}{quiz}")

    @staticmethod
    def _symbol(key: Any) -> str:
        return key.node if key.phase == FORWARD else f"g_{key.node}"

    def step_symbol(self, key: Any) -> str:
        return self._symbol(key)

    def step_equation(self, step: Any) -> str:
        return graph_equation(self.spec, self.stepper.state, step, self.digits)

    def watch_digits(self, old: int, digits: int) -> None:
        """The boxes change width with the digits: a new layout, before the board is redrawn."""
        self.diagram = d = graph_diagram(self.spec, digits)
        if self.is_mounted:
            self.query_one(GraphCanvas).set_diagram(d.nodes, d.edges, d.label_width, d.pinned)

    def redraw(self) -> None:
        """The one place the board is drawn: the watcher of ``board`` calls it."""
        with self.app.batch_update():
            self.query_one("#status", TextLine).show(self.status_text())
            self.query_one("#equation", TextLine).show(self.equation_text())
            state = graph_state(self.stepper, self.diagram, self.digits)
            if self.asked is not None and self.asked.node is not None:  # the asked number is "?" in its box
                cell = self.asked
                lines = list(state.texts[cell.node])
                lines[1 if cell.quantity == "value" else 2] = "= ?" if cell.quantity == "value" else "g = ?"
                state = replace(state, texts={**state.texts, cell.node: lines})
            self.query_one(GraphCanvas).show(state)
            self.show_explanation()

    def show_explanation(self) -> None:
        panel = self.query_one("#explain", Static)
        panel.display = self.node is not None
        if self.node is not None:
            panel.update(node_explanation(self.stepper, self.node, self.digits, self.asked))

    # -- the node cursor ----------------------------------------------------------------------------
    def select(self, node: str | None) -> None:
        """Put the cursor on ``node`` (None: take it away)."""
        self.node = node

    def watch_node(self, node: str | None) -> None:
        """A restyle and the side panel."""
        self.query_one(GraphCanvas).select(node)
        self.show_explanation()

    def action_select_node(self) -> None:
        if self.node is None:
            last = self.stepper.last
            self.select(last.key.node if last is not None else self.order[0])
        else:
            self.select(self.order[(self.order.index(self.node) + 1) % len(self.order)])

    def action_cursor(self, delta: int) -> None:
        if self.node is None:  # check_action allows it only with a cursor
            return
        i = min(len(self.order) - 1, max(0, self.order.index(self.node) + delta))
        self.select(self.order[i])

    def action_arrow(self, delta: int) -> None:
        """← →: move the cursor when there is one, else step."""
        if self.node is not None:
            self.action_cursor(delta)
        elif delta > 0:
            self.action_next()
        else:
            self.action_prev()

    @on(messages.NodeClicked)
    def node_clicked(self, message: messages.NodeClicked) -> None:
        self.select(message.node)

    def action_leave(self) -> None:
        if self.question is not None:
            self.action_skip_question()
        elif self.node is not None:
            self.select(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the answer line has the focus, the stepper's keys reach it; ↑ ↓ move the cursor
        when there is one and scroll the graph otherwise."""
        answering = isinstance(self.focused, Input)
        if action in ("arrow", "cursor"):
            if answering:
                return False
            return self.node is not None or (action == "arrow" and self.question is None)
        if action in _MOVES and (answering or self.question is not None):
            return False
        return True

    def after_answer(self) -> None:
        self.query_one(GraphCanvas).focus()

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.quizzing:
            score = self.score
            if self.stepper.at_end:
                self.say(f"The reverse pass is done. {score.summary()}; z ends the quiz, r starts again.")
                return
            self.ask_next()
            return
        if self.stepper.at_end:
            self.say("The reverse pass is done: the inputs' adjoints are the gradient. r starts again.")
            return
        self._move(self.stepper.forward)

    def action_to_forward_end(self) -> None:
        end = self.stepper.schedule.n_forward
        if self.stepper.position >= end:
            self.say("The forward pass is done; b goes to the end of the reverse pass.")
            return
        self._move(lambda: self.stepper.goto(end))

    def action_to_reverse_end(self) -> None:
        self._move(lambda: self.stepper.goto(len(self.stepper.schedule)))

    def action_reset(self) -> None:
        self._move(self.stepper.reset, rebuilt=True)
        self.say("Reset to the start.")

    def action_help(self) -> None:
        from .help import HelpScreen, graph_help_text

        self.app.push_screen(HelpScreen(graph_help_text))

    def action_scroll_graph(self, dx: int) -> None:
        self.query_one(GraphCanvas).scroll_relative(x=dx, animate=False)

    def action_network_key(self) -> None:
        """A key of the network app (settings, training, updates, map, diagrams, check, save): a graph has no
        weights for it, which a student who learned the keys there is told rather than left to wonder."""
        self.say("No s t u e m d c g w here (a graph has no weights); ? lists this app's keys.")


class GraphApp(LeanFilters, PacedApp, GuardedApp, App[None]):
    """A thin App around the graph screen: it holds the graph and its stepper."""

    TITLE = "bptui"
    CSS_PATH = "app.tcss"

    def __init__(self, spec: GraphSpec) -> None:
        super().__init__()
        self.spec = spec
        self.stepper = GraphStepper(spec)
        self.main = GraphScreen(spec, self.stepper)

    def get_default_screen(self) -> Screen:
        return self.main

    def say(self, text: str) -> None:
        if self.main.is_mounted:
            self.main.say(text)


def run(spec: GraphSpec, no_color: bool = False) -> int:
    import os

    if no_color:
        os.environ["NO_COLOR"] = "1"
    GraphApp(spec).run()
    return 0

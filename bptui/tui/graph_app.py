"""``bptui GRAPH_FILE``: reverse-mode automatic differentiation on a computation graph, one step per key.

The same layout and keys as a network: a header, the current step's equation, the graph itself
(drawn once; each step only changes the text in its boxes and what is highlighted), the footer.
Tab or a click puts a cursor on a node (arrows then move it in computing order) and a side panel
explains the node's value and adjoint; ``z`` is quiz mode (quizmode.py, shared with the network app).
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static

from ..core.graph import GraphSpec
from ..core.graph_stepper import FORWARD, GraphStepper, graph_equation
from ..core.notation import num
from .diagrams import graph_diagram, graph_state
from .graph_canvas import GraphCanvas
from .quizmode import QuizMode
from .stepping import MAX_DIGITS, MIN_DIGITS, SteppingApp

# keys that move the stepper: not while a question waits for its answer (they reach the answer line)
_MOVES = frozenset({"next", "prev", "to_forward_end", "to_reverse_end", "reset", "digits"})


def node_explanation(stepper: GraphStepper, node: str, digits: int, hidden=None) -> str:
    """The side panel for ``node``: its value's explanation, then its adjoint's once computed;
    the quiz's ``hidden`` number (a core Cell) is shown as ``?``."""
    from ..core.explain import Cell, explain_graph

    parts = []
    for quantity in ("value", "adjoint"):
        cell = Cell(quantity, node=node)
        if cell == hidden:
            parts.append(f"{cell.symbol()} = ?: type your answer in the line below (Esc skips)")
        elif quantity == "value" or stepper.state.adjoints[node] is not None:
            parts.append(explain_graph(stepper, cell, digits).text())
    return "\n\n".join(parts)


class GraphApp(QuizMode, SteppingApp, App[None]):
    """Step through the forward and the reverse pass of one computation graph."""

    TITLE = "bptui"
    CSS_PATH = "app.tcss"
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
        Binding("q", "quit", "Quit", id="quit"),
        Binding("left_square_bracket", "scroll_graph(-8)", "", show=False),
        Binding("right_square_bracket", "scroll_graph(8)", "", show=False),
    ]

    def __init__(self, spec: GraphSpec) -> None:
        super().__init__()
        self.spec = spec
        self.stepper = GraphStepper(spec)
        self.digits = 4
        self.diagram = graph_diagram(spec, self.digits)
        self.order = [*spec.input_names, *spec.forward_order]  # the cursor's order: computing order
        self.node: str | None = None  # the node under the cursor, None: no cursor (arrows step)

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        yield Static(id="equation", markup=False)
        yield Static(id="message", markup=False)
        d = self.diagram
        with Horizontal(id="main"):
            yield GraphCanvas(d.nodes, d.edges, d.label_width, d.pinned, id="graph")
            yield Static(id="explain", markup=False)
        yield Footer(show_command_palette=False, compact=True)  # room for the keys; ctrl+p still works

    def on_mount(self) -> None:
        self.title = f"bptui · {self.spec.name}"
        self.query_one(GraphCanvas).focus()
        self.refresh_view()

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
            hidden = self.question.cell.node if self.question is not None else None
            after = "done: " + ", ".join(f"∂{spec.output}/∂{x} = {'?' if x == hidden or g is None else num(g, self.digits)}"
                                         for x, g in stepper.gradient.items())
        else:
            after = f"next: {self._symbol(nxt)} ({nxt.phase} pass)"
        quiz = "" if self.score is None else f" · quiz {self.score.right} of {self.score.asked} right"
        return (f"{spec.name} · computation graph · {len(spec.nodes)} nodes · {what}\n"
                f"given {given} · step {stepper.position} of {n} · {phase} · {after}{quiz}")

    @staticmethod
    def _symbol(key) -> str:
        return key.node if key.phase == FORWARD else f"g_{key.node}"

    def step_symbol(self, key) -> str:
        return self._symbol(key)

    def step_equation(self, step) -> str:
        return graph_equation(self.spec, self.stepper.state, step, self.digits)
    def refresh_view(self) -> None:
        with self.batch_update():
            self.query_one("#status", Static).update(self.status_text())
            self.query_one("#equation", Static).update(self.equation_text())
            state = graph_state(self.stepper, self.diagram, self.digits)
            if self.question is not None:  # the asked number is "?" in its box
                cell = self.question.cell
                lines = list(state.texts[cell.node])
                lines[1 if cell.quantity == "value" else 2] = "= ?" if cell.quantity == "value" else "g = ?"
                state = replace(state, texts={**state.texts, cell.node: lines})
            self.query_one(GraphCanvas).show(state)
            self.show_explanation()
        self.refresh_bindings()

    def show_explanation(self) -> None:
        panel = self.query_one("#explain", Static)
        panel.display = self.node is not None
        if self.node is not None:
            hidden = self.question.cell if self.question is not None else None
            panel.update(node_explanation(self.stepper, self.node, self.digits, hidden))

    # -- the node cursor ----------------------------------------------------------------------------
    def select(self, node: str | None) -> None:
        """Put the cursor on ``node`` (None: take it away): a restyle and the side panel."""
        self.node = node
        self.query_one(GraphCanvas).select(node)
        self.show_explanation()
        self.refresh_bindings()

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

    def on_graph_canvas_node_clicked(self, message: GraphCanvas.NodeClicked) -> None:
        self.select(message.node)

    def action_leave(self) -> None:
        if self.question is not None:
            self.action_skip_question()
        elif self.node is not None:
            self.select(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the answer line has the focus, the stepper's keys reach it; ↑ ↓ move the cursor
        when there is one and scroll the graph otherwise."""
        if len(self.screen_stack) > 1 and action in _MOVES | {"arrow", "cursor", "select_node"}:
            return False
        answering = isinstance(self.focused, Input)
        if action in ("arrow", "cursor"):
            if answering:
                return False
            return self.node is not None or (action == "arrow" and self.question is None)
        if action in _MOVES and (answering or self.question is not None):
            return False
        return True

    def _after_answer(self) -> None:
        self.query_one(GraphCanvas).focus()

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.score is not None:
            if self.stepper.at_end:
                self.say(f"The reverse pass is done. {self.score.summary()}; z ends the quiz, r starts again.")
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
        self._move(self.stepper.reset)
        self.say("Reset to the start.")

    def action_digits(self, change: int) -> None:
        digits = min(MAX_DIGITS, max(MIN_DIGITS, self.digits + change))
        if digits != self.digits:
            self.digits = digits
            self.diagram = d = graph_diagram(self.spec, digits)  # the boxes change width
            self.query_one(GraphCanvas).set_diagram(d.nodes, d.edges, d.label_width, d.pinned)
        self.refresh_view()

    def action_help(self) -> None:
        from .help import HelpScreen, graph_help_text

        self.push_screen(HelpScreen(graph_help_text()))

    def action_scroll_graph(self, dx: int) -> None:
        self.query_one(GraphCanvas).scroll_relative(x=dx, animate=False)


def run(spec: GraphSpec, no_color: bool = False) -> int:
    import os

    if no_color:
        os.environ["NO_COLOR"] = "1"
    GraphApp(spec).run()
    return 0

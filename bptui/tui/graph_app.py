"""``bptui GRAPH_FILE``: reverse-mode automatic differentiation on a computation graph, one step per key.

The same layout and keys as a network: a header, the current step's equation, the graph itself
(drawn once; each step only changes the text in its boxes and what is highlighted), the footer.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from ..core.graph import GraphSpec
from ..core.graph_stepper import FORWARD, GraphStepper, graph_equation
from ..core.notation import num
from .diagrams import graph_diagram, graph_state
from .graph_canvas import GraphCanvas
from .stepping import MAX_DIGITS, MIN_DIGITS, SteppingApp



class GraphApp(SteppingApp, App[None]):
    """Step through the forward and the reverse pass of one computation graph."""

    TITLE = "bptui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("n,right,space", "next", "Next", id="next", priority=True, tooltip="One step forward"),
        Binding("p,left", "prev", "Prev", id="prev", priority=True, tooltip="One step back, exact values restored"),
        Binding("f", "to_forward_end", "Forward pass", id="forward-pass", tooltip="To the end of the forward pass"),
        Binding("b", "to_reverse_end", "Reverse pass", id="reverse-pass", tooltip="To the end of the reverse pass"),
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

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        yield Static(id="equation", markup=False)
        yield Static(id="message", markup=False)
        d = self.diagram
        yield GraphCanvas(d.nodes, d.edges, d.label_width, d.pinned, id="graph")
        yield Footer()

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
            after = "done: " + ", ".join(f"∂{spec.output}/∂{x} = {num(g, self.digits)}"
                                         for x, g in stepper.gradient.items())
        else:
            after = f"next: {self._symbol(nxt)} ({nxt.phase} pass)"
        return (f"{spec.name} · computation graph · {len(spec.nodes)} nodes · {what}\n"
                f"given {given} · step {stepper.position} of {n} · {phase} · {after}")

    @staticmethod
    def _symbol(key) -> str:
        return key.node if key.phase == FORWARD else f"g_{key.node}"

    def equation_text(self) -> str:
        last = self.stepper.last
        if last is None:
            nxt = self.stepper.next_key
            return (f"Press n, → or space to compute {self._symbol(nxt)}, the first step. "
                    "? explains the notation and the keys.")
        return graph_equation(self.spec, self.stepper.state, last, self.digits)

    def refresh_view(self) -> None:
        with self.batch_update():
            self.query_one("#status", Static).update(self.status_text())
            self.query_one("#equation", Static).update(self.equation_text())
            self.query_one(GraphCanvas).show(graph_state(self.stepper, self.diagram, self.digits))

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
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

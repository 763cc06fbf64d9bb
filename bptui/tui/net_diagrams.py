"""A network's two diagrams, in place of the layer panels: its computation graph (c) and its
neural-network diagram (d). Each canvas is made (and laid out) the first time it is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from ..core.engine.stepper import Stepper
from .fitting import Fits

if TYPE_CHECKING:
    from ..core.teaching.explain import Cell
    from .diagrams import MapCache
    from .graph_canvas import GraphCanvas

# the diagrams and their canvas are imported when one is first shown: start-up does not pay for them

GRAPH, NN = "graph", "nn"
GRAPH_KEYS = "[ ] scroll sideways · c: the panels again"
"""The hint under the computation graph's title: the keys that move it."""


class NetworkDiagrams(Fits, Container):
    DEFAULT_CSS = """
    NetworkDiagrams { height: 1fr; display: none; }
    NetworkDiagrams #diagram-title { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    NetworkDiagrams #diagram-note { height: auto; padding: 1 2; color: $text-warning; display: none; }
    """

    def __init__(self, stepper: Stepper, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stepper = stepper
        self.mode: str | None = None
        self.diagrams: dict = {}
        self.digits: dict = {}  # the digits each canvas was laid out for (edge labels' width)
        self.maps: MapCache | None = None  # the units' maps over the input plane (MapCache), made with the NN diagram
        self.note: str | None = None  # why the diagram asked for is not drawn (its title then has no legend)

    def compose(self) -> ComposeResult:
        yield Static(id="diagram-title", markup=False)
        yield Static(id="diagram-note", markup=False)

    def toggle(self, mode: str, digits: int) -> bool:
        """Show ``mode``'s diagram, or hide it if it is showing; True if a diagram is showing."""
        from .diagrams import graph_too_big, nn_too_big
        from .graph_canvas import GraphCanvas

        self.mode = None if self.mode == mode else mode
        self.display = self.mode is not None
        spec = self.stepper.spec
        too_big = (nn_too_big(spec) if self.mode == NN else
                   graph_too_big(spec, self.stepper.notation) if self.mode == GRAPH else None)
        unrolled = spec.lengths is not None and self.mode == GRAPH  # a recurrent network: unrolled.py
        if unrolled:
            from .unrolled import unrolled_too_big

            too_big = unrolled_too_big(self.stepper)
        if spec.is_v2 and self.mode is not None and not unrolled:  # not drawn yet for map layers: say so, draw nothing wrong
            from .unrolled import kinds_words

            sequence = spec.lengths is not None
            own = [k for k in spec.layer_kinds if k.is_map or k.own_steps or k.span or (sequence and k.over_time)]
            too_big = (f"The {'computation graph' if self.mode != NN else 'neural-network diagram'} is drawn for "
                       f"dense networks; {spec.name} has {kinds_words(own)}, which the layer panels show"
                       + (" unrolled in time, one column per τ" if sequence else "")
                       + f". Press {'d' if self.mode == NN else 'c'} again for the panels.")
        self.note = too_big
        note = self.query_one("#diagram-note", Static)
        note.update(too_big or "")
        note.display = bool(too_big)
        if self.mode is not None and not too_big and self.mode not in self.diagrams:
            self._make(self.mode, digits)
        for m in (GRAPH, NN):
            if m in self.diagrams:
                self.query_one(f"#canvas-{m}", GraphCanvas).display = m == self.mode and not too_big
        self._show_title()
        self.refresh_from(digits)
        return self.mode is not None

    def canvas(self) -> GraphCanvas | None:
        """The diagram on screen, None when none is drawn (the panels show, or a note says why)."""
        if self.mode not in self.diagrams or self.note:
            return None
        from .graph_canvas import GraphCanvas

        return self.query_one(f"#canvas-{self.mode}", GraphCanvas)

    def fit_size(self) -> None:
        self._show_title()

    def _show_title(self) -> None:
        """The title in bold, the legend under it plain."""
        from rich.text import Text

        title, _, legend = self.title_text().partition("\n")
        text = Text(title, style="bold")
        if legend:
            text.append("\n" + legend)
        if self.mode == GRAPH and not self.note:
            text.append("\n" + GRAPH_KEYS, style="italic")
        self.query_one("#diagram-title", Static).update(text)

    def title_text(self) -> str:
        if self.note and self.mode is not None:  # nothing drawn: no legend for what is not there
            return f"{'Computation graph' if self.mode == GRAPH else 'Neural-network diagram'} (not drawn: see below)"
        if self.mode == GRAPH and self.stepper.spec.lengths is not None:  # a recurrent network: unrolled.py
            from .unrolled import unrolled_title

            return unrolled_title(self.stepper.notation)
        if self.mode == GRAPH:
            from .diagrams import graph_title

            return graph_title(self.stepper.notation)
        if self.mode != NN:
            return ""
        from .diagrams import nn_title

        if self.app.size.width < 110 or self.app.size.height < 32:  # a small terminal: room for the diagram
            return "NN diagram · ── + · ┄┄ − · ━━ big |w| · ▶ used by the step · ? legend"
        return nn_title(self.stepper.spec, self.stepper.notation)

    def _make(self, mode: str, digits: int) -> None:
        from .diagrams import network_graph, nn_diagram
        from .graph_canvas import GraphCanvas

        spec = self.stepper.spec
        if spec.lengths is not None and mode == GRAPH:
            from .unrolled import example_length, unrolled_graph

            d = unrolled_graph(self.stepper.net, example_length(self.stepper), digits, self.stepper.notation)
        else:
            notation = self.stepper.notation
            d = network_graph(spec, digits, notation) if mode == GRAPH else nn_diagram(spec, digits, notation)
        self.diagrams[mode], self.digits[mode] = d, digits
        self.mount(GraphCanvas(d.nodes, d.edges, d.label_width, d.pinned, d.stacked, id=f"canvas-{mode}"))

    def refresh_from(self, digits: int, hidden: Cell | None = None) -> None:
        """Show the stepper's state in the diagram on screen (nothing to do when none is); ``hidden``:
        the quiz's question, not to be given away (the NN diagram draws it as ?)."""
        mode = self.mode
        if mode not in self.diagrams:
            return
        from .diagrams import network_graph_state, nn_diagram, nn_state
        from .graph_canvas import GraphCanvas

        canvas = self.query_one(f"#canvas-{mode}", GraphCanvas)
        if self.stepper.spec.lengths is not None and mode == GRAPH:  # unrolled over this example's T
            from .unrolled import example_length, unrolled_graph, unrolled_state

            d = self.diagrams[mode]
            T = example_length(self.stepper)
            if self.digits[mode] != digits or len([n for n in d.nodes if n.id.startswith("x_")]) != T:
                d = self.diagrams[mode] = unrolled_graph(self.stepper.net, T, digits, self.stepper.notation)
                self.digits[mode] = digits
                canvas.set_diagram(d.nodes, d.edges, d.label_width, d.pinned, d.stacked)
            canvas.show(unrolled_state(self.stepper, d, digits))
            return
        if self.digits[mode] != digits:  # the numbers change width: the boxes and labels follow
            from .diagrams import network_graph

            spec = self.stepper.spec
            notation = self.stepper.notation
            d = self.diagrams[mode] = (network_graph(spec, digits, notation) if mode == GRAPH else
                                       nn_diagram(spec, digits, notation))
            self.digits[mode] = digits
            canvas.set_diagram(d.nodes, d.edges, d.label_width, d.pinned, d.stacked)
        d = self.diagrams[mode]
        if mode == GRAPH:
            canvas.show(network_graph_state(self.stepper, d, digits))
            return
        from .diagrams import MapCache

        if self.maps is None:
            self.maps = MapCache()
        canvas.show(nn_state(self.stepper, d, digits, self.maps, hidden))

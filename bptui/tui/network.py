"""The network screen: a status block, the equation of the last step, a panel per layer, the side
panel that explains the cell under the cursor, and the keys that step.

The screen is a composition: its panels come from one table (``panels.py``, by each kind's view
hint), its keys from ``keys.py``, and each mode is a class in its own module, mixed in here: editing
a cell (``edit_mode.py``), saving (``saving.py``), settings (``settings_mode.py``), training
(``train_mode.py``), the gradient check (``check_mode.py``), the quiz (``quizmode.py``) and the map
beside the panels (``side_map.py``). What is left here is stepping and drawing the board."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.widgets import Static

from .folded import Folded
from .board_text import BoardText
from .edit_mode import EditMode
from .footer import SteadyFooter
from .check_mode import GradCheckMode
from .keys import NETWORK_BINDINGS
from .panel_base import LeanScroll, NumberSheet
from .quizmode import NetworkQuiz
from .saving import SaveMode
from .settings_mode import SettingsMode, settings_commands
from .sheet import LayerPanels
from .side_map import MAP_ONLY, MapMode
from .stepping import MessageLine, SteppingScreen, TextLine
from .train_mode import TrainMode

if TYPE_CHECKING:
    from ..core.formats.spec import NetworkSpec
    from ..core.engine.stepper import Stepper

# the core's equations, the explanations and the dialogs are imported inside the methods that use
# them (after the first use an import is a dictionary look-up)


class NetworkScreen(BoardText, EditMode, SaveMode, SettingsMode, TrainMode, GradCheckMode, NetworkQuiz,
                    MapMode, SteppingScreen):
    """Step through backpropagation on one network (the app's ``spec`` and ``stepper``)."""

    COMMANDS = {lambda: settings_commands()}  # the settings' entries in the command palette (ctrl+p)
    AUTO_FOCUS = ""  # arrows step until Tab (or a click) puts the cursor in a panel
    BINDINGS = NETWORK_BINDINGS

    cell: var[tuple | None] = var(None, init=False)
    """The panel cell under the cursor, (quantity, layer, index, column); None: no panel has focus."""

    stepper: Stepper

    def __init__(self, spec: NetworkSpec, stepper: Stepper) -> None:
        super().__init__(stepper)
        self.spec = spec
        self._followed: int | None = None  # the layer last scrolled into view

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from .net_diagrams import NetworkDiagrams
        from .panels import network_panels

        yield TextLine(id="status", steady=True)
        with LeanScroll(id="equation-box", can_focus=False):
            yield TextLine(id="equation")
        yield MessageLine(id="message")
        with Horizontal(id="main"):
            with LayerPanels(id="layers"):
                yield from network_panels(self.stepper, self.digits, bind=SteppingScreen.digits)
            yield NetworkDiagrams(self.stepper, id="diagrams")
            yield Folded(id="explain", markup=False)  # a folded line goes on under its own column
        yield SteadyFooter(show_command_palette=False, compact=True)  # room for the keys; ctrl+p still works

    def redraw(self) -> None:
        """The one place the board is drawn: the watcher of ``board`` calls it."""
        from .net_diagrams import NetworkDiagrams

        with self.app.batch_update():
            self._show_status()
            self._show_equation(self.equation_text())
            self.show_panels()
            self.query_one(NetworkDiagrams).refresh_from(self.digits, self.asked)
            self.refresh_map()
            last = self.stepper.last
            if self.query_one("#layers").display and last is not None and last.key.layer is not None \
                    and last.key.layer != self._followed:
                # keep the layer the step works on in view (deep networks have more than a screen)
                self.query_one(LayerPanels).follow(self.query_one(f"#layer-{last.key.layer}"))
                self._followed = last.key.layer
            self.show_explanation()

    def show_panels(self) -> None:
        """The board in the layer panels, when they are on screen (a diagram or the map in their
        place: nothing, until they show again)."""
        from .panels import highlights

        layers = self.query_one("#layers")
        if not layers.display:
            return
        hidden = None
        if self.asked is not None:
            from .explain import panel_cell

            hidden = panel_cell(self.stepper, self.asked)
        field = highlights(self.spec, self.cell)
        for sheet in layers.query(NumberSheet):
            sheet.show_board(self.stepper, hidden, field)

    # -- actions ----------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.quizzing:
            self.ask_next()
            return
        self._move(self.stepper.forward)

    def action_to_loss(self) -> None:
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "loss"))

    def action_to_backward_end(self) -> None:
        last = self.spec.layer_kinds[0].block_backward()[-1]  # layer 1's last step: G, attention's G_O …
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "backward" and s.key.layer == 1
                                                  and s.key.quantity == last and s.key.time in (None, 1)))

    def action_to_update(self) -> None:
        L = self.spec.L
        self._move(lambda: self.stepper.run_until(lambda s: s.key.phase == "update" and s.key.layer == L))

    def action_to_epoch_end(self) -> None:
        n = len(self.stepper.schedule)
        self._move(lambda: self.stepper.run_until(lambda s: s.key.step % n == 0))

    def action_reset(self) -> None:
        for sheet in self.query(NumberSheet):  # Tab opens on the first cell again
            sheet.home()
        self._move(self.stepper.reset, rebuilt=True)
        self.app_state.trained_epochs = 0
        self.say(f"Reset to {self.stepper.base_origin.reset_target()}.")

    @property
    def app_state(self) -> Any:
        """The app, which keeps what outlives a screen: the epochs trained since the file's weights."""
        return self.app

    NARROW = 110  # below this many columns the side panel goes under the layer panels
    SIDE = {"#explain": 45, "#side-map": 36}  # their widths beside the panels, percent (app.tcss)
    PANELS_BELOW_MAP = 6 + 14  # rows the panels and the map need one under the other (app.tcss)

    def on_resize(self) -> None:
        self.place_side()
        if self.status_width not in (None, self.app.size.width):  # the status's room and rows at the new width
            self._show_status()
            self._show_equation(self.equation_text())

    def place_side(self) -> None:
        """The side panel and the map beside the layer panels when these keep their minimum width
        (every number whole), else under them; on a terminal too low for the panels and the map
        one under the other, the map in the panels' place."""
        main = self.query_one("#main")
        width, height = self.size.width, main.size.height or self.size.height - 10
        shown = [name for name in self.SIDE if (w := self.query(name)) and w.first().display]
        need = max((panel.min_width() for panel in self.query_one("#layers").children
                    if hasattr(panel, "min_width")), default=0)
        room = width * (100 - sum(self.SIDE[name] for name in shown)) // 100
        narrow = width < self.NARROW or room < need
        map_only = narrow and "#side-map" in shown and height < self.PANELS_BELOW_MAP
        with self.app.batch_update():
            main.set_class(narrow, "narrow")
            from .net_diagrams import NetworkDiagrams

            diagram = self.query_one(NetworkDiagrams).mode is not None
            layers = self.query_one("#layers")
            if layers.display != (not (diagram or map_only)):
                layers.display = not (diagram or map_only)
                self.show_panels()  # what the steps taken while they were hidden did
            if map_only != main.has_class("map-only"):
                main.set_class(map_only, "map-only")
                if map_only:
                    self.say(MAP_ONLY)

    def action_help(self) -> None:
        from .help import HelpScreen, help_text

        self.app.push_screen(HelpScreen(lambda width: help_text(self.spec, self.stepper.notation, width)))

    def action_diagram(self, mode: str) -> None:
        """c, d: a diagram of the network in place of the layer panels, and back."""
        from .net_diagrams import NetworkDiagrams

        self.query_one(NetworkDiagrams).toggle(mode, self.digits)
        self.place_side()

    def action_scroll_panel(self, dx: int) -> None:
        """[ ]: the diagram on screen (c, d) sideways, no Tab needed; else the panel with the cursor."""
        from .net_diagrams import NetworkDiagrams

        target = self.query_one(NetworkDiagrams).canvas() or self.focused
        if isinstance(target, ScrollView):
            target.scroll_relative(x=dx, animate=False)
        else:  # no panel has the cursor: say how to give [ ] one, rather than do nothing
            self.say("[ ] scroll the panel with the cursor sideways: Tab or a click puts it in one.")


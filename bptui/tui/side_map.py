"""The map mode of the network screen (``m``): the network's output over its inputs beside the
panels (the decision map for two inputs, the fit for one), redrawn when the weights change."""

from __future__ import annotations

from typing import Any

from ..core.formulas.notation import sup
from .modes import Host

# what the screen says when the map takes the panels' place (the one wording: `m` and a resize both say it)
MAP_ONLY = "The map is in the panels' place: the terminal is too small for both (enlarge it, or m again for the panels)."


class MapMode(Host):
    _side_map: Any = None  # the map beside the panels, made the first time it is shown
    _map_weights: list | None = None  # the weights it shows (copies)

    def map_refusal(self) -> str | None:
        """Why this network has no map, or None."""
        spec = self.spec
        if spec.input_shape or spec.lengths is not None:
            return f"The map needs one or two inputs; {spec.name} reads {'sequences' if spec.input_shape == () else 'maps'}."
        if spec.widths[0] > 2:
            return f"The map needs one or two inputs; {spec.name} has d{sup(0)} = {spec.widths[0]}."
        return None

    def map_shown(self) -> bool:
        return self._side_map is not None and self._side_map.display

    def forget_map(self) -> None:
        """The map is gone (the screen is composed again); the next ``m`` makes a new one."""
        self._side_map, self._map_weights = None, None

    def action_toggle_map(self) -> None:
        """The map beside the panels, or away again."""
        if (refused := self.map_refusal()) is not None:
            self.say(refused)
            return
        if self._side_map is None:
            from .plots import input_plot
            from .view_names import view_names

            self._side_map = input_plot(self.spec, view_names(self.stepper.notation, self.spec.L), id="side-map")
            self.query_one("#main").mount(self._side_map, before=self.query_one("#explain"))
        else:
            self._side_map.display = not self._side_map.display
        self._map_weights = None
        self.place_side()
        if self._side_map.display:
            self.refresh_map()
            follows = "The map follows the weights: it is redrawn after each update."
            self.say(f"{MAP_ONLY} {follows}" if self.query_one("#main").has_class("map-only")
                     else f"{follows} m again hides it.")
        else:
            self.say("")

    def refresh_map(self) -> None:
        """Redraw the map when it is shown and the weights on the board are not the ones it shows
        (an update, an edit, a reset, training); other steps cost one comparison of the weights."""
        if not self.map_shown():
            return
        import numpy as np

        weights = self.stepper.weights
        shown = self._map_weights
        if shown is not None and all(np.array_equal(a, b) for a, b in zip(shown, weights)):
            return
        self._map_weights = [np.array(w) for w in weights]
        self._side_map.show(self._map_weights)

"""What the network screen's modes may use of the screen that composes them.

The network screen (:mod:`.network`) is a composition: each mode (editing a cell, saving,
settings, training, the gradient check, the quiz, the map beside the panels) is a small class in
its own module, mixed into the screen. At run time a mode's base is ``object``; for the type
checker it is :class:`Host`, the screen as the modes see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.formats.spec import NetworkSpec
    from ..core.engine.stepper import Stepper
    from .stepping import SteppingScreen

    class Host(SteppingScreen):
        spec: NetworkSpec
        stepper: Stepper
        cell: Any
        _followed: int | None

        @property
        def app_state(self) -> Any: ...

        def place_side(self) -> None: ...

        def show_explanation(self, refit: bool = False) -> None: ...

        def map_shown(self) -> bool: ...

        def forget_map(self) -> None: ...

        def map_refusal(self) -> str | None: ...

        def action_toggle_map(self) -> None: ...
else:
    Host = object

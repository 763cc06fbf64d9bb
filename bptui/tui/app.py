"""``bptui FILE``: the stepper on screen, one step per keypress.

A thin App: it holds the network (its spec and stepper) and what outlives a screen, and shows
the network screen (network.py). Start-up is lean: given a network document (``from_document``,
as ``bptui FILE`` does), the first frame is the loading screen (loading.py), drawn from the
file checked against the schema in pure Python (with the file's weights in the panels when it
gives them); NumPy, the core and the network screen follow right after it. Constructed with a
spec, as the tests do, the app opens on the network screen at once.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import log
from textual.app import App
from textual.screen import Screen

from .collector import IdleCollector
from .guard import GuardedApp
from .filters import LeanFilters
from .pacing import PacedApp

if TYPE_CHECKING:
    from ..core.formulas.profiles import Profile
    from ..core.util.errors import SpecError
    from ..core.formats.spec import NetworkSpec
    from ..core.engine.stepper import Stepper
    from .network import NetworkScreen

STARTED = time.perf_counter()  # this module is imported first thing by `bptui FILE`


GC_THRESHOLDS = (10_000, 100, 10)  # the cyclic collector's, once the network screen is up (network_shown)


class BptuiApp(IdleCollector, LeanFilters, PacedApp, GuardedApp, App[None]):
    """Step through backpropagation on one network."""

    TITLE = "bptui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere

    def __init__(self, spec: NetworkSpec | None = None, notation: Profile | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.notation = notation  # the equation line's notation profile (None: the lecture's)
        self.stepper: Stepper | None = None
        if spec is not None:
            from ..core.engine.stepper import Stepper

            self.stepper = Stepper(spec, notation=notation)
        self.document: tuple[Any, str] | None = None  # (JSON document, file name) still to load
        self.load_error: SpecError | None = None  # found while loading: the app exits with status 2
        self.trained_epochs = 0  # epochs trained with `t` since the file's weights
        self.train_speed: int | None = None  # the training screen's pace last chosen (None: full speed)
        self.main: NetworkScreen | None = None  # the network screen, once the network is loaded
        self.file_data: dict | None = None  # the opened file's data section (the settings' "file's data")
        self.early_keys: list[tuple[str, str | None]] = []  # pressed on the loading screen, for the network screen

    @classmethod
    def from_document(cls, doc: Any, source: str, notation: Profile | None = None) -> "BptuiApp":
        """An app for a network file whose document passed ``validate.check``: its first frame is
        the loading screen, and the spec, the stepper and the network screen follow right after.
        ``notation`` None: the file's ``"notation"``, else the lecture's, taken after the first frame
        (the profiles' module is not on its path; ``bptui FILE`` passes a file's own, resolved before
        the frame so that a bad one is refused before anything is drawn)."""
        app = cls(notation=notation)
        app.document = (doc, source)
        return app

    def get_default_screen(self) -> Screen:
        if self.spec is not None:
            return self._network_screen()
        if self.document is not None:  # the first frame: one screen mounted, laid out and drawn
            from .loading import LoadingScreen

            loading = LoadingScreen(*self.document, self.notation)
            # as push_screen does: switch_screen, which puts the network screen in its place, pops it
            loading._push_result_callback(self, None)
            return loading
        return Screen()

    def _network_screen(self) -> NetworkScreen:
        from .network import NetworkScreen

        assert self.spec is not None and self.stepper is not None
        self.title = f"bptui · {self.spec.name}"
        self.main = NetworkScreen(self.spec, self.stepper)
        return self.main

    def on_mount(self) -> None:
        if self.spec is not None:
            self.call_after_refresh(self.panels_shown)
            self.call_after_refresh(self.network_shown)

    def on_ready(self) -> None:
        """Textual mounts the app inside a batch update, which holds every frame back and runs
        ``call_after_refresh`` callbacks at once: loading the network from the loading screen's
        mount would keep its frame off the terminal until the network screen replaced it. Ready
        comes after the batch; a callback after the next refresh follows the frame's display."""
        if self.spec is None and self.document is not None:
            self.call_after_refresh(self._loading_shown)

    def _loading_shown(self) -> None:
        if self.screen.query("LayerSheet"):  # the loading screen drew the file's weights
            self.panels_shown()
        self.load_network()

    def load_network(self) -> None:
        """After the loading screen's first frame: the spec, the stepper and the network screen."""
        from ..core.util.errors import SpecError
        from ..core.formats.spec import parse
        from ..core.engine.stepper import Stepper
        from .panels import panels_fit

        assert self.document is not None
        doc, source = self.document
        try:
            if self.notation is None:  # none given: the file's own, else the lecture's (see from_document)
                from ..core.formulas.profiles import notation_for

                self.notation = notation_for(None, doc.get("notation"), source)
            self.spec = parse(doc, source, schema_checked=True)
            self.stepper = Stepper(self.spec, notation=self.notation)  # refuses a notation its layers lack
            why = panels_fit(self.spec.layer_kinds, self.notation)
            if why is not None:  # nor the panels of the screen
                raise SpecError(why, source=source)
        except SpecError as err:
            self.load_error = err
            self.exit(return_code=2)
            return
        shown_before = self.screen.query("LayerSheet")
        self.switch_screen(self._network_screen())
        self.call_after_refresh(self.replay_early_keys)
        if not shown_before:
            self.call_after_refresh(self.panels_shown)
        self.call_after_refresh(self.network_shown)

    def replay_early_keys(self) -> None:
        """The keys pressed while the loading screen showed, in their order, now that the network
        screen takes them."""
        from textual import events

        if self.screen is not self.main:  # the switch has not happened yet
            self.call_after_refresh(self.replay_early_keys)
            return
        keys, self.early_keys = self.early_keys, []
        for key, character in keys:
            self.post_message(events.Key(key, character))

    def on_app_focus(self) -> None:
        """A browser's focus may arrive while the loading screen gives way to the network screen,
        when Textual refreshes the keys of the screen on its way out: once the switch has settled,
        the footer of the screen on top shows its keys."""
        self.call_after_refresh(lambda: self.screen.refresh_bindings())

    def panels_shown(self) -> None:
        """The network's panels are on screen (from the file, or from the stepper)."""
        log.info(f"panels shown {1e3 * (time.perf_counter() - STARTED):.0f} ms after start")

    def network_shown(self) -> None:
        """The network screen is on screen. What is alive now (the modules, the network, its screen)
        leaves the collector's generations: the full collections that a dialog's widgets or a burst
        of steps set off no longer scan it (one was 50–80 ms of the settings dialog's opening,
        ``benchmarks/settings_speed.py``). Then the collector runs again: `bptui FILE` holds it
        from its start (``cli.cmd_open``), which builds all this and frees little; with thresholds
        that let a step's short-lived lines die before a collection sees them (a young collection
        every 10,000 allocations, not 700, and an older one every 100 of those, not 10): a step
        keeps a few thousand of its lines, kept caches and Textual's strips alive until the next,
        and the collector scanned them again and again: 0.74–0.96 ms of collections a keypress on
        count_tokens stepping on with the panels, 0.33 ms with these (CPU time in gc.callbacks, 60
        presses, two runs each). Before that, each of the network's kinds imports the modules that write
        its steps' equations (``Stepper.prepare_steps``): a kind's first step imported them, and without
        .pyc files compiled them (tiny_transformer's first attention step, q⁽³⁾: the attention and
        recurrent equations, about 30 M instructions of its press; moons_layernorm's first forward press
        with the map, 35 M). The young collections run between keypresses where a student leaves time
        (``collector``)."""
        if self.stepper is not None:
            self.stepper.prepare_steps()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        gc.enable()
        self.collect_at_idle()

    def say(self, text: str) -> None:
        """On the message line of the network screen (errors found anywhere are said there)."""
        if self.main is not None and self.main.is_mounted:
            self.main.say(text)


def run(doc: Any, source: str, spec: NetworkSpec | None = None, no_color: bool = False,
        notation: Profile | None = None) -> int:
    """Open the app on a schema-checked network document (the loading screen first), or on its
    spec when it has been read already; bad input found while loading ends the app and is
    reported as one ``error:`` line, exit status 2."""
    if no_color:
        os.environ["NO_COLOR"] = "1"
    app = BptuiApp(spec, notation) if spec is not None else BptuiApp.from_document(doc, source, notation)
    app.run()
    if app.load_error is not None:
        for line in app.load_error.lines():  # one error line per mistake (a course profile's file: every one)
            print(f"error: {line}", file=sys.stderr)
        return 2
    return app.return_code or 0

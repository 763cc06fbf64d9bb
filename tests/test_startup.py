"""``bptui FILE``'s first frame waits for nothing it does not draw.

The loading screen is drawn from the schema-checked document alone: NumPy, the core's engine, the
network screen and the optional libraries (grandalf's layouts, jsonschema, hypothesis, the plots,
LaTeX, serve, codegen and ONNX modules) are imported after it, if ever. Each is an import the first
frame would otherwise wait for (NumPy's is about 90 ms of CPU, ``benchmarks/tui_speed.py --tmux``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import NETWORKS, ROOT

FIRST_FRAME = """
import json, sys
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
class FirstFrame(tui.BptuiApp):
    def load_network(self):  # called right after the loading screen's first frame
        print(json.dumps({{"screen": type(self.screen).__name__, "modules": sorted(sys.modules)}}))
        self.exit()
tui.BptuiApp = FirstFrame
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True)
from bptui.cli import main
main()
"""

# top-level packages, and bptui's modules, that the first frame must not have imported
HEAVY = ("numpy", "grandalf", "jsonschema", "hypothesis", "torch", "onnx", "matplotlib", "textual_serve")
LATE = ("bptui.core.engine", "bptui.core.kinds", "bptui.core.formats", "bptui.tui.network", "bptui.tui.plots",
        "bptui.tui.graph_layout", "bptui.tui.training", "bptui.tui.settings", "bptui.plot", "bptui.export",
        "bptui.codegen", "bptui.serve", "bptui.onnx_import", "bptui.lms.platforms", "bptui.trace")
# of core/formats, the NumPy-free checks that give a v1 file's verdict before the frame (no reader child),
# and the plain reading of a CSV file's rows (iris)
EARLY_FORMATS = ("bptui.core.formats", "bptui.core.formats.verdict", "bptui.core.formats.csv_table")


@pytest.mark.parametrize("name", ["xor", "shapes", "gru_parity", "iris"])
def test_the_first_frame_imports_no_numpy_and_no_core(name):
    path = str(NETWORKS / f"{name}.json")
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME.format(path=path)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["screen"] == "LoadingScreen"
    modules = seen["modules"]
    assert "textual" in modules and "bptui.tui.loading" in modules  # the frame was drawn by the loading screen
    early = [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(LATE) and m not in EARLY_FORMATS]
    assert early == []


COLLECTIONS = """
import gc, json, sys
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
seen = {{"collections": 0}}
def count(phase, info):
    if phase == "start":
        seen["collections"] += 1
class Shown(tui.BptuiApp):
    def panels_shown(self):
        seen["collecting at the panels"] = gc.isenabled()
        super().panels_shown()
    def network_shown(self):
        seen["collecting at the network screen"] = gc.isenabled()
        seen["network screen"] = self.screen is self.main
        super().network_shown()
        seen["collecting after"] = gc.isenabled()
        print(json.dumps(seen))
        self.exit()
tui.BptuiApp = Shown
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True)
from bptui.cli import main
gc.callbacks.append(count)
main()
"""


@pytest.mark.parametrize("name", ["xor", "shapes"])
def test_the_collector_waits_for_the_network_screen(name):
    """From `bptui FILE` to its network screen (the loading screen's panels first, when the file
    gives its weights, as xor's does) the cyclic collector does not run: it would scan the modules
    and widgets start-up builds, only to keep them. It runs once the network screen is up."""
    out = subprocess.run([sys.executable, "-c", COLLECTIONS.format(path=str(NETWORKS / f"{name}.json"))], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen == {"collections": 0, "collecting at the panels": False, "collecting at the network screen": False,
                    "network screen": True, "collecting after": True}


@pytest.mark.parametrize("name", ["not_there.json", "bad"])
def test_the_collector_is_back_after_an_error(tmp_path, name):
    """A file refused before the app starts leaves the collector as it found it (the tests call
    `main` in their own process)."""
    import gc

    from bptui.cli import main

    path = tmp_path / name
    if name == "bad":
        doc = json.loads((NETWORKS / "xor.json").read_text())
        doc["weights"][0] = [[1.0, 2.0]]  # a row short of the bias and two inputs: the reader refuses it
        path.write_text(json.dumps(doc))
    assert gc.isenabled()
    assert main([str(path)]) == 2
    assert gc.isenabled()


PLACES = """
import json, sys
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
seen = {{}}
class Places(tui.BptuiApp):
    def load_network(self):
        seen["loading"] = self.screen.query_one("#layers").region.y
        super().load_network()
    def network_shown(self):
        super().network_shown()
        seen["network"] = self.screen.query_one("#layers").region.y
        print(json.dumps(seen))
        self.exit()
tui.BptuiApp = Places
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True, size=(120, 40))
from bptui.cli import main
main()
"""


@pytest.mark.parametrize("name", ["xor", "moons"])
def test_the_panels_stay_where_the_loading_screen_put_them(name):
    """The loading screen keeps the room of the network screen's three status lines: the panels do
    not move down when the network screen replaces it (at 120 columns, where each line fits)."""
    out = subprocess.run([sys.executable, "-c", PLACES.format(path=str(NETWORKS / f"{name}.json"))], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["loading"] == seen["network"] > 0, seen


READ = """
import json, sys
from bptui.core.formats.spec import load
load({path!r})
print(json.dumps(sorted(sys.modules)))
"""
KIND_MODULES = "bptui.core.kinds."
# what the reader does not need, though the stepper and the app do: the schedule, the wiring, the quiz's cells
NOT_READING = ("bptui.core.engine.schedule", "bptui.core.engine.wiring", "bptui.core.engine.quizcells",
               "bptui.core.engine.explain", "bptui.core.engine.stepper", "bptui.core.engine.equations")


@pytest.mark.parametrize("name, kinds", [("xor", {"dense"}), ("iris", {"dense"}),
                                         ("gru_parity", {"dense", "rnn", "rnn.layer", "rnn.gru"})])
def test_reading_a_network_imports_only_its_own_kinds(name, kinds):
    """The reader child of ``bptui FILE`` (and every command) reads a file with the kinds' table, which
    imports a kind's module when the kind is first looked up: a dense network's reading imports no
    other kind's module, nor the engine's schedule, wiring or quiz cells (about 90 M instructions of
    the child's 450 M, ``benchmarks/tui_speed.py --instructions``)."""
    out = subprocess.run([sys.executable, "-c", READ.format(path=str(NETWORKS / f"{name}.json"))], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    modules = json.loads(out.splitlines()[-1])
    assert {m[len(KIND_MODULES):] for m in modules if m.startswith(KIND_MODULES)} == kinds
    if kinds == {"dense"}:  # (a recurrent kind's module needs the engine's schedule and wiring)
        assert [m for m in modules if m in NOT_READING] == []


NOTATION = """
import json, sys
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
seen = {{}}
class Noted(tui.BptuiApp):
    def load_network(self):  # right after the loading screen's first frame
        seen["profiles at the first frame"] = "bptui.core.formulas.profiles" in sys.modules
        super().load_network()
    def network_shown(self):
        seen["notation"] = self.notation.name
        seen["its stepper's"] = self.stepper.notation.name
        print(json.dumps(seen))
        self.exit()
tui.BptuiApp = Noted
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True)
from bptui.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("declared", [None, "nielsen", "nowhere"])
def test_a_notation_the_file_does_not_ask_for_waits_for_the_first_frame(declared, tmp_path):
    """xor without a "notation": the profiles' module is imported after the first frame, and the
    network screen is in the lecture's profile as before; a file's own is taken (and a bad one
    refused, its one error line and nothing drawn) before the first frame."""
    doc = json.loads((NETWORKS / "xor.json").read_text())
    if declared is not None:
        doc["notation"] = declared
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(doc))
    done = subprocess.run([sys.executable, "-c", NOTATION.format(path=str(path))], cwd=ROOT, capture_output=True,
                          text=True)
    if declared == "nowhere":
        assert done.returncode == 2 and "\x1b" not in done.stderr and done.stdout == ""
        assert done.stderr.startswith(f"error: {path}: notation: 'nowhere' is neither") and done.stderr.count("\n") == 1
        return
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    name = declared or "lecture13"
    assert seen == {"profiles at the first frame": declared is not None, "notation": name, "its stepper's": name}


async def test_the_footers_keys_are_styled_once_when_the_app_starts():
    """The stepping screen's compact footer builds its keys with their ``-compact`` class, which the key's
    ``compact`` (bound to the footer's) would otherwise add once each is mounted, styling it a second
    time: about a tenth of a start's instructions. Every key is compact, and none is styled again."""
    from textual.dom import DOMNode
    from textual.widgets._footer import FooterKey

    from .tui_helpers import app_for

    restyled: list[FooterKey] = []
    update_node_styles = DOMNode.update_node_styles

    def counted(self, *args, **kwargs):
        if isinstance(self, FooterKey):
            restyled.append(self)
        return update_node_styles(self, *args, **kwargs)

    DOMNode.update_node_styles = counted  # type: ignore[method-assign]
    try:
        app = app_for("moons")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            assert len(keys) >= 14 and all(key.has_class("-compact") and key.compact for key in keys)
            assert restyled == []
    finally:
        DOMNode.update_node_styles = update_node_styles  # type: ignore[method-assign]


READY = """
import json, sys
sys.argv = ["bptui", {path!r}]
from bptui.tui import app as tui
class Ready(tui.BptuiApp):
    def network_shown(self):
        before = set(sys.modules)
        super().network_shown()
        print(json.dumps({{"before": sorted(before), "after": sorted(sys.modules)}}))
        self.exit()
tui.BptuiApp = Ready
from textual.app import App
_run = App.run
App.run = lambda self, **kw: _run(self, headless=True, size=(120, 40))
from bptui.cli import main
main()
"""


@pytest.mark.parametrize("name, modules", [
    ("tiny_transformer", {"attention.equations", "rnn.equations", "unitwise.equations", "residual_equations"}),
    ("count_tokens", {"attention.equations", "rnn.equations"}),
    ("shapes", {"maps.equations"}),
    ("xor", set()),
])
def test_the_network_screen_imports_the_step_equations_of_its_kinds(name, modules):
    """Once the network screen is on screen (after its first frame), the modules that write the steps'
    equations of the network's own kinds are imported: the first press of a step of a kind (tiny_transformer's
    q⁽³⁾, its attention layer's first) does not compile them (this machine's Python writes no .pyc files: about
    30 M instructions); no other kind's, and none before the frame."""
    out = subprocess.run([sys.executable, "-c", READY.format(path=str(NETWORKS / f"{name}.json"))], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    prefix = "bptui.core.kinds."
    equations = {m[len(prefix):] for m in seen["after"] if m.startswith(prefix) and m.endswith("equations")}
    assert equations == modules

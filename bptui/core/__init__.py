"""bptui's core: network files, the math of backpropagation and the step schedule.

Pure NumPy: nothing here imports Textual or Rich (a test checks it), so every view — the TUI,
``bptui trace``, exports — reads the same numbers.
"""

from importlib import import_module

_EXPORTS = {
    "SpecError": "util.errors", "Schedule": "engine.schedule", "StepKey": "engine.schedule",
    "NetworkSpec": "formats.spec", "load": "formats.spec", "load_any": "formats.spec", "parse": "formats.spec",
    "State": "engine.stepper", "Step": "engine.stepper", "Stepper": "engine.stepper",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    """Import on first use (PEP 562): ``import bptui.core.formats.spec`` need not load the stepper."""
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

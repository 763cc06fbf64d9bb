"""bptui's core: network files, the math of backpropagation and the step schedule.

Pure NumPy: nothing here imports Textual or Rich (a test checks it), so every view — the TUI,
``bptui trace``, exports — reads the same numbers.
"""

from .errors import SpecError
from .schedule import Schedule, StepKey
from .spec import NetworkSpec, load, load_any, parse
from .stepper import State, Step, Stepper

__all__ = ["SpecError", "Schedule", "StepKey", "NetworkSpec", "load", "load_any", "parse", "State", "Step", "Stepper"]

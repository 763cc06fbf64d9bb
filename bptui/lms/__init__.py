"""The formats courses import (``bptui export FILE --variants N --format FORMAT``): the writers are in
:mod:`bptui.lms.platforms`, the standalone grader PrairieLearn and Gradescope run in
:mod:`bptui.lms.grader` (standard library only, never bptui). This module is light: the CLI reads
its list of formats at start-up."""

FORMATS = ("moodle", "gift", "qti", "prairielearn", "gradescope")

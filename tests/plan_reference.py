"""The straightforward :func:`bptui.core.formulas.formula.plan`, kept as the reference the fast one must
equal (tests/test_plan_reference.py): every trial rebuilds the form with the trial's digits and redoes
its arithmetic by interval arithmetic on the rebuilt tree; forms are filtered by separate walks."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from bptui.core.formulas.formula import (FLOAT_DIGITS, Arr, Equation, Hidden, Node, Num, TextPrinter, Unbound,
                                         _fewest_digits, _true_in_floats,
                                         _finite_value, _given, _ival, _rebuild, has_numbers, printed_alike, redoable,
                                         walk)


def _roundable(node: Node) -> bool:
    """A number printed rounded to the printer's digits, or to more (not a constant)."""
    return (isinstance(node, Num) and not node.exact) or isinstance(node, Arr)


def reference_plan(eq: Equation, digits: int) -> Equation:
    if eq.planned == digits:
        return eq
    done = replace(eq, planned=digits)
    result = eq.result
    if not has_numbers(result) or any(isinstance(n, Hidden) for n in walk(result)):
        return done
    elided = TextPrinter(digits)._elided
    forms = [f for f in eq.forms[:-1] if has_numbers(f) and redoable(f, eq.bindings) and not elided(f)]
    if not forms:
        return done
    y = _finite_value(result)
    if y is None:
        return done

    def holds(form: Node, trial: Mapping[int, int]) -> bool:
        shown = _rebuild(form, _given(trial)) if trial else form
        try:
            with np.errstate(all="ignore"):
                return printed_alike(_ival(shown, digits, eq.bindings or {}, False).lo, y, digits)
        except (Unbound, TypeError, ValueError):
            return True
    # the search itself is plan's (_fewest_digits): what is compared is which forms count, their
    # operands, and what redoing a form gives
    extra, false = _fewest_digits([(f, list({id(n): n for n in walk(f) if _roundable(n)})) for f in forms], holds,
                                  FLOAT_DIGITS - digits)
    false = {id(f) for f in forms if id(f) in false and _true_in_floats(f, eq.bindings, y)}
    kept = tuple(f for f in eq.forms if id(f) not in false)  # a true form no digits make hold is left out
    return replace(done, forms=tuple(_rebuild(f, _given(extra)) for f in kept))

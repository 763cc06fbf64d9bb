"""The straightforward :func:`bptui.core.formulas.formula.plan`, kept as the reference the fast one must
equal (tests/test_plan_speed.py): every trial rebuilds the form with the trial's digits and redoes its
arithmetic by interval arithmetic on the rebuilt tree; forms are filtered by separate walks."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from bptui.core.formulas.formula import (EXTRA_DIGITS, Equation, Hidden, Node, TextPrinter, Unbound, _given, _ival,
                                         _rebuild, _roundable, evaluate, has_numbers, printed_alike, redoable, walk)


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
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(evaluate(result), dtype=float)
    except (Unbound, TypeError, ValueError):
        return done
    if not np.all(np.isfinite(y)):
        return done
    extra: dict[int, int] = {}

    def holds(form: Node, trial: Mapping[int, int]) -> bool:
        shown = _rebuild(form, _given(trial)) if trial else form
        try:
            with np.errstate(all="ignore"):
                return printed_alike(_ival(shown, digits, eq.bindings or {}, False).lo, y, digits)
        except (Unbound, TypeError, ValueError):
            return True
    for form in forms:
        operands = list({id(n): n for n in walk(form) if _roundable(n)})
        if not operands or holds(form, extra):
            continue
        for k in range(1, EXTRA_DIGITS + 1):
            trial = {**extra, **{i: max(extra.get(i, 0), k) for i in operands}}
            if holds(form, trial):
                break
        for i in operands:
            for e in range(extra.get(i, 0), trial[i]):
                if holds(form, {**trial, i: e}):
                    trial[i] = e
                    break
        extra = trial
    extra = {i: e for i, e in extra.items() if e}
    if not extra:
        return done
    return replace(done, forms=tuple(_rebuild(f, _given(extra)) for f in eq.forms))

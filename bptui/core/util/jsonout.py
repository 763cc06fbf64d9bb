"""Strict JSON out: NaN and ±∞ become ``null``, because strict JSON parsers reject ``NaN`` and
``Infinity`` (which Python's ``json`` writes by default)."""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_null(value: Any) -> Any:
    """``value`` with every float that is NaN or ±∞ replaced by None, in lists, tuples and dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that writes ``null`` for NaN and ±∞ (the common all-finite case costs one pass)."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(finite_or_null(value), allow_nan=False, **kwargs)

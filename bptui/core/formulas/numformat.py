"""One number format for a whole matrix, vector or row of numbers, shared by every view: the
panels (dense, map and sequence), the training screen's gradient bars, ‖δ_τ‖ through time.

A format is chosen for all the numbers shown together (:func:`number_format`) and each number is
written in it (:func:`cell`), so a column never reads ``0.0217`` beside ``−7.96e−4``; :func:`texts`
does both for a row. No NumPy at import: the loading screen formats the file's weights before
NumPy is loaded.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

FIXED, SCIENTIFIC = "f", "e"
INF = float("inf")


def cell_width(digits: int) -> int:
    """The columns of a panel's number cell at ``digits`` digits."""
    return max(digits + 5, 9)  # room for the short scientific form, −1.0e−5•


def finite(x: float) -> bool:
    return x == x and x not in (INF, -INF)


def nonfinite_text(x: float) -> str | None:
    """``∞``, ``−∞`` or ``nan`` for a number that is not finite; None for one that is."""
    if x != x:
        return "nan"
    if x in (INF, -INF):
        return "∞" if x > 0 else "−∞"
    return None


def _flat(values: Any) -> list[float]:
    """Plain numbers (lists of lists, or anything iterable) as one flat list."""
    out: list[float] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(_flat(v))
        else:
            out.append(float(v))
    return out


def number_format(values: Any, digits: int) -> str:
    """One format for a whole matrix, vector or row, so that a column never switches between
    ``0.47`` and ``6.9e−2``: fixed decimals, ``digits`` of them or more so that the smallest nonzero
    value keeps two significant digits (``0.069`` at 2 digits), as long as the widest number fits
    its cell (a sign, and a cursor's brackets, beside it) or is no wider than the scientific form;
    otherwise (or from 10⁵ on) scientific for all. ∞, nan and 0 do not decide. The format is
    ``FIXED`` (``digits`` decimals), ``f<k>`` (k decimals) or ``SCIENTIFIC``. ``values``: a NumPy
    array, or plain numbers (a list, a list of lists)."""
    if values is None:
        return FIXED
    if isinstance(values, (list, tuple)):  # without NumPy
        xs = [x for x in _flat(values) if x and finite(x)]
        if not xs:
            return FIXED
        return _format(min(map(abs, xs)), max(map(abs, xs)), digits, min(xs) < 0)
    return format_of(extent(values), digits)


def extent(values: Any) -> tuple[float, float, float] | None:
    """(the least, the greatest, the smallest nonzero magnitude: ``INF`` when every one is 0) of an
    array's finite values, or None when it has none: what :func:`number_format` and :func:`widest` read
    of a matrix (worked out once, a panel reads both of a new 128 × 785 W: a few passes over it, no copy
    of it unless it holds a value that is not finite)."""
    import numpy as np  # a panel's arrays: NumPy is loaded by then (not at this module's import)

    a = np.asarray(values, dtype=float).ravel()
    if not a.size:
        return None
    if a.size <= _FEW:  # an equation's vector: one pass in Python, quicker than NumPy's five on a few entries
        xs = a.tolist()
        lo, hi = min(xs), max(xs)
        # (a 0 at an end: NumPy's sign of it, −0 or 0, is kept by taking NumPy's way below)
        if lo and hi and all(map(math.isfinite, xs)):
            magnitudes = [abs(x) for x in xs if x]
            return lo, hi, min(magnitudes)
    hi, lo = float(a.max()), float(a.min())
    if not (finite(hi) and finite(lo)):  # (rare: a board that overflowed) the finite values only
        a = a[np.isfinite(a)]
        if not a.size:
            return None  # ∞, −∞, nan
        hi, lo = float(a.max()), float(a.min())
    m = np.abs(a)  # the smallest nonzero magnitude: scanned without a copy per filter
    m[m == 0] = np.inf
    return lo, hi, float(m.min())


def extents(arrays: Any) -> list[tuple[float, float, float] | None]:
    """:func:`extent` of each of some arrays of one shape, worked out for all at once (the arrays one
    board array goes through while an example is stepped: a few passes over them stacked, not a few
    per array)."""
    import numpy as np  # (as extent)

    a = np.asarray(arrays, dtype=float).reshape(len(arrays), -1)
    if not a.shape[1]:
        return [None] * len(arrays)
    hi, lo = np.fmax.reduce(a, axis=1), np.fmin.reduce(a, axis=1)  # (NaN left out: nan where every one is)
    m = np.abs(a)
    m[m == 0] = np.inf
    small = np.fmin.reduce(m, axis=1)
    ok = np.isfinite(hi) & np.isfinite(lo)
    out: list[tuple[float, float, float] | None] = list(zip(lo.tolist(), hi.tolist(), small.tolist()))
    for i in np.flatnonzero(~ok).tolist():  # (rare: ∞ or −∞, or no number yet) as extent has them
        out[i] = extent(a[i])
    return out


_FEW = 32  # entries up to which :func:`extent` reads an array in Python


def format_of(span: tuple[float, float, float] | None, digits: int) -> str:
    """:func:`number_format` of values whose :func:`extent` is ``span``: 0 does not decide, nor do ∞ and nan."""
    if span is None or span[2] == INF:
        return FIXED
    lo, hi, small = span
    return _format(small, max(hi, -lo), digits, lo < 0)


def _format(small: float, large: float, digits: int, negative: bool = False) -> str:
    """The format of nonzero magnitudes from ``small`` to ``large`` (see :func:`number_format`)."""
    if large >= 1e5:
        return SCIENTIFIC
    decimals = max(digits, 1 - math.floor(math.log10(small)))  # two significant digits of the smallest
    if decimals == digits:
        return FIXED
    fixed_width = len(str(int(large))) + 1 + decimals
    scientific_width = 2 + max(digits - 2, 1) + len(f"e{math.floor(math.log10(small))}")
    fits = negative + fixed_width <= cell_width(digits) - 2  # "[−0.00069]" in its cell
    return f"{FIXED}{decimals}" if fits or fixed_width <= scientific_width else SCIENTIFIC


def significant_form(span: tuple[float, float, float] | None, digits: int) -> str:
    """The form, ``FIXED`` or ``SCIENTIFIC``, of numbers shown together with ``digits`` significant
    digits each (an equation's vector or matrix): the panels' choice (:func:`format_of`), and scientific
    also where the fixed form would write more integer digits than the significant ones (12345 at 4
    digits is 1.234e4, not 12340). ``span``: the numbers' :func:`extent`."""
    fmt = format_of(span, digits)
    if fmt == SCIENTIFIC or span is None or span[2] == INF:
        return fmt if fmt == SCIENTIFIC else FIXED
    large = max(span[1], -span[0])
    return SCIENTIFIC if float(f"{large:.{digits}g}") >= 10.0 ** digits else FIXED


def cell(x: float, digits: int, fmt: str | None = None) -> str:
    """A number in a fixed width: ``digits`` decimals (or the ``f<k>`` format's k), or a short scientific
    form (``fmt``: the format of its matrix, from :func:`number_format`; None chooses for this number
    alone). inf and nan read ``∞``, ``−∞`` and ``nan``."""
    if (special := nonfinite_text(x)) is not None:
        return special
    if fmt is None:
        ax = abs(x)
        fmt = _format(ax, ax, digits, x < 0) if ax else FIXED
    if x == 0:
        text = "0"
    elif fmt.startswith(FIXED):
        text = f"{x:.{int(fmt[1:]) if fmt != FIXED else digits}f}"
    else:
        mantissa, exp = f"{x:.{max(digits - 2, 1)}e}".split("e")
        text = f"{mantissa}e{int(exp)}"
    return text.replace("-", "−")


def widest(values: Any, digits: int, fmt: str | None) -> int:
    """The widest :func:`cell` of the finite ``values`` in format ``fmt``: the largest and the most
    negative number give the widest fixed form, the smallest magnitude the longest exponent. Each number
    in its own format (``fmt`` None), the ones under 1e5 are measured apart from the larger ones (in the
    scientific form): 1000.00 is wider than 1.0e5, and no end of the array's extent is it."""
    span = extent(values)
    if fmt is None and span is not None and max(span[1], -span[0]) >= 1e5 and span[2] < 1e5:
        import numpy as np  # (as extent: an array's values)

        a = np.asarray(values, dtype=float).ravel()
        under = extent(a[np.abs(a) < 1e5])
        return max(widest_of(span, digits, fmt), widest_of(under, digits, fmt))
    return widest_of(span, digits, fmt)


def widest_of(span: tuple[float, float, float] | None, digits: int, fmt: str | None) -> int:
    """:func:`widest` of values whose :func:`extent` is ``span`` (3: none finite, ∞, −∞ and nan): the
    smallest and the largest magnitude give the longest exponent, with a minus only when a value is
    negative (Adam's v, squared, is measured to its numbers: no column for a sign it never shows)."""
    if span is None:
        return 3
    lo, hi, small = span
    sign = -1.0 if lo < 0 or fmt is None else 1.0  # (each number in its own format: one in between may be wider)
    picks = [hi, lo] + ([sign * small, sign * max(hi, -lo)] if small != INF else [])
    return max(len(cell(x, digits, fmt)) for x in picks)


def array_cell_width(values: Any, digits: int) -> int:
    """The columns a panel's cell needs for the numbers of an array shown together: its widest number
    in the array's one format (:func:`format_of`), with a blank before it and one after (or the cursor's
    brackets around it)."""
    return span_cell_width(extent(values), digits)


def span_cell_width(span: tuple[float, float, float] | None, digits: int) -> int:
    """:func:`array_cell_width` of numbers whose :func:`extent` is ``span``."""
    return 2 + widest_of(span, digits, format_of(span, digits))


def texts(values: Iterable[float], digits: int) -> list[str]:
    """Numbers shown together (a row, a column of a plot), each in the one format of them all."""
    xs = [float(x) for x in values]
    fmt = number_format(xs, digits)
    return [cell(x, digits, fmt) for x in xs]


def ticks(values: Iterable[float]) -> list[str]:
    """Axis labels with as many significant digits as it takes to tell them apart (1.06, 1.03, 1),
    with the real minus: every plot's axis, in the app and in ``bptui train --plot``."""
    xs = [float(v) for v in values]
    labels = [f"{v:.3g}" for v in xs]
    for digits in range(3, 8):
        labels = [f"{v:.{digits}g}" for v in xs]
        if len(set(labels)) == len(set(xs)):
            break
    return [label.replace("-", "−") for label in labels]

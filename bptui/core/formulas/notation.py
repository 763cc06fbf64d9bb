"""The lecture's notation as text: superscripts and numbers, shared by every view and export."""

from __future__ import annotations

import re


_SUP = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")
_SUB = str.maketrans("0123456789+-ank", "₀₁₂₃₄₅₆₇₈₉₊₋ₐₙₖ")


def sup(l: int | str) -> str:
    """``sup(2)`` → ``⁽²⁾``, the layer superscript of W⁽²⁾, s⁽²⁾, …"""
    return f"({l})".translate(_SUP)


def sub(*indices: int | str) -> str:
    """``sub(2, 1)`` → ``₂,₁``, the unit subscripts of w₂,₁⁽¹⁾, s₂⁽¹⁾, …"""
    return ",".join(str(i).translate(_SUB) for i in indices)


def num(x: float, digits: int = 4, form: str | None = None, zeros: bool = False) -> str:
    """A number with ``digits`` significant digits, a real minus sign, no ``-0``; ∞, −∞ and nan
    for values that are not finite. ``form``: ``"f"`` (fixed) or ``"e"`` (scientific), the one form
    of the array the number is an entry of (:func:`g_text`); None: the form of the number alone by
    the same rule (:func:`number_form`). ``zeros``: its trailing zeros kept (``0.1200``, a measured number
    in a table's column, which says how many digits it holds), else dropped as ``%g`` drops them (``0.12``,
    an equation's)."""
    x = float(x)
    if x == 0:
        return "0"
    if x != x:
        return "nan"
    if x in _INFINITIES:
        return "∞" if x > 0 else "−∞"
    text = g_text(x, digits, number_form(x, digits) if form is None else form, zeros)
    return (short_exponent(text) if "e" in text else text).replace("-", "−")  # minus_signs


def number_form(x: float, digits: int) -> str:
    """The form, ``"f"`` or ``"e"``, of a finite number written alone with ``digits`` significant digits: the
    rule of an array's numbers (numformat.significant_form) for an array of one, its magnitude (a number and
    its negative alike): ``%g``'s form at 4 digits, but at the edge (9.9996e−5 is 1e−4, not %g's 0.0001),
    and the panels' fixed decimals at more digits (0.00001234 at 6, where %g writes 1.234e−05)."""
    from .numformat import finite, significant_form

    if not x or not finite(x):  # 0, ∞, −∞ and nan are written as they are: either form
        return "f"
    return significant_form((abs(x), abs(x), abs(x)), digits)  # (its sign does not decide: −x reads as x)


def g_text(x: float, digits: int, form: str | None, zeros: bool = False) -> str:
    """A finite number as ``f"{x:.{digits}g}"`` writes it (the same digits, the same value), in ``form``:
    ``"e"`` scientific (``1.021e-04``, not ``0.0001021``), ``"f"`` fixed (``0.00001234``, not
    ``1.234e-05``), None as ``%g`` chooses; trailing zeros dropped, as ``%g`` drops them, or with
    ``zeros`` kept, as ``%#g`` keeps them (``0.1200``; a whole number without ``%#g``'s point: ``1234``)."""
    text = f"{x:#.{digits}g}".replace(".e", "e").rstrip(".") if zeros else f"{x:.{digits}g}"
    if form is None or ("e" in text) == (form == "e"):
        return text
    if form == "e":
        mantissa, exp = f"{x:.{max(digits - 1, 0)}e}".split("e")
        if "." in mantissa and not zeros:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exp}"
    mantissa, exp = text.split("e")  # fixed: %g's digits moved past the point
    sign, mantissa = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    figures, point = mantissa.replace(".", ""), 1 + int(exp)
    if point <= 0:
        return f"{sign}0.{'0' * -point}{figures}"
    if point >= len(figures):
        return sign + figures + "0" * (point - len(figures))
    return f"{sign}{figures[:point]}.{figures[point:]}"


_INFINITIES = (float("inf"), float("-inf"))


def short_exponent(text: str) -> str:
    """Python's ``1e-06`` and ``2.5e+07`` written as the panels write them: ``1e-6``, ``2.5e7``."""
    return _EXPONENT.sub(lambda m: "e" + m[1].replace("+", "") + m[2], text)


_EXPONENT = re.compile(r"e([+-]?)0*(\d)")


def whole(n: int) -> str:
    """A count as every message and screen writes it: grouped by thousands, ``999,999,999,999``, ``38``."""
    return f"{n:,}"


def count(n: int, noun: str) -> str:
    """``count(1, "training example")`` → ``1 training example``, ``count(4, …)`` → ``4 training examples``,
    ``count(100480, "weight")`` → ``100,480 weights`` (:func:`whole`)."""
    return f"{whole(n)} {noun}" if n == 1 else f"{whole(n)} {noun}s"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``, ``112th``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt(x: float, spec: str) -> str:
    """``format(x, spec)`` with the real minus sign and no padded exponent, for text output:
    ``fmt(1e-6, "g")`` → ``1e−6``, as the panels and ``num`` write it."""
    return minus_signs(short_exponent(format(x, spec)))


def minus_signs(text: str) -> str:
    """A formatted number with the real minus sign (−), in its mantissa and its exponent alike."""
    return text.replace("-", "−")


def vec(v, digits: int = 4, limit: int = 8, form: str | None = None, cells: str | None = None) -> str:
    """``[1, 0.5, −0.25]``; longer vectors keep their ends and say how long they are. Every entry in one
    form, fixed or scientific: ``form``, or the whole vector's by the panels' rule (:func:`array_form`).
    ``cells``: a panel's number format (numformat.number_format of the array the panel shows), each entry
    then written as the panel's cell writes it (numformat.cell: ``0.0997``, not ``0.09967``)."""
    import numpy as np  # here, not at the top: the app's first frame formats without NumPy

    v = np.asarray(v).ravel()
    if cells is not None:
        from .numformat import cell

        def entries(xs) -> list[str]:
            return [cell(x, digits, cells) for x in xs.tolist()]
    else:
        form = form or array_form(v, digits)  # the whole vector's, its cut entries' too

        def entries(xs) -> list[str]:
            return nums(xs, digits, form)
    if len(v) <= limit:
        return "[" + ", ".join(entries(v)) + "]"
    return f"[{', '.join(entries(v[: limit - 2]))}, …, {', '.join(entries(v[-2:]))}] ({len(v)} values)"


def nums(values, digits: int = 4, form: str | None = None, zeros: bool = False) -> list[str]:
    """Numbers shown together, each with ``digits`` significant digits (:func:`num`) in one form, fixed or
    scientific: ``form``, or theirs by the panels' rule (:func:`array_form`): a vector's entries, a column
    of a table (the training screen's mean |δ⁽ˡ⁾|: ``0.005012`` beside ``0.02350``, not ``0.0050``; with
    ``zeros``, its trailing zeros kept)."""
    xs = [float(x) for x in (values.tolist() if hasattr(values, "tolist") else values)]
    form = form or array_form(xs, digits)
    return [num(x, digits, form, zeros) for x in xs]


def mat(m, digits: int = 4, limit: int = 6, cells: str | None = None) -> str:
    """A matrix row by row, ``[[…], […]]``, every entry in the whole matrix's one form; big ones are cut
    with their shape. ``cells``: as :func:`vec`'s, the panel's one format of the whole matrix."""
    import numpy as np

    m = np.asarray(m)
    if m.ndim == 1:
        return vec(m, digits, limit, cells=cells)
    form = array_form(m, digits)
    rows = [vec(r, digits, limit, form, cells) for r in m[:limit]]
    body = ", ".join(rows)
    if len(m) > limit:
        return f"[{body}, …] ({m.shape[0]}×{m.shape[1]})"
    return f"[{body}]"


def array_form(values, digits: int) -> str:
    """The one form, ``"f"`` fixed or ``"e"`` scientific, of the entries of a vector or matrix written with
    ``digits`` significant digits each: the panels' rule (numformat.significant_form) over all of them."""
    from .numformat import extent, significant_form

    return significant_form(extent(values), digits)

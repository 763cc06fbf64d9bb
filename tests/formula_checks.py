"""What every rendered equation must satisfy: its numbers are the values they stand for, at the
digits shown, and the arithmetic shown holds on the numbers as shown."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import mpmath
import numpy as np

from bptui.core.formulas.formula import (FLOAT_DIGITS, Arr, Call, Op, by_hand, Equation, Hidden, Sym, Interval, LatexPrinter, Num, Ref,
                                         TextPrinter, Unbound, evaluate, has_numbers, interval, overlaps, plan,
                                         array_form, below_floats, probability_text, shown_value, small_texts, walk)
from bptui.core.engine.equations import group_size
from bptui.core.formulas.notation import minus_signs, num
from bptui.core.formulas.profiles import shown_value as profile_view


def _finite(x) -> bool:
    if isinstance(x, float):  # a number (most are): without building an array
        return math.isfinite(x)
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * abs(b) + 1e-12 * (1 + abs(b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape and a.size != b.size:
        return False
    return bool(np.allclose(a.reshape(-1), b.reshape(-1), rtol=1e-9, atol=1e-12 * (1 + np.max(np.abs(b), initial=0))))


def board_value(stepper, ref: Ref, step=None):
    """The number a Ref names, read from the stepper's state (the board)."""
    st = stepper.state
    q, l = ref.quantity, ref.layer
    if q in ("value", "adjoint"):
        return (st.values if q == "value" else st.adjoints)[ref.node]
    if q == "loss":
        return st.loss
    if q == "loss_D":  # a mean profile's ℓ_D ("/n"): the mean of the losses it holds
        return float(profile_view(float(st.loss_D), ref.view, max(st.losses, 1))) if ref.view else st.loss_D
    if q == "y":
        whole = st.y
    else:
        boards = {"W": st.W, "G": st.G, "s": st.s, "o": st.o, "delta": st.delta, "h": st.o}  # an LSTM's h is its o
        whole = boards[q][l] if q in boards else st.extra[q, l]  # a kind's own quantity (an LSTM's c)
    whole = np.asarray(whole)
    if ref.view:  # a profile's part of the board's array (core/formulas/profiles.py): W without column 0, G/m, …
        m = group_size(stepper.net, stepper.last.key) if ref.view.endswith("/m") else 1
        whole = np.asarray(profile_view(whole, ref.view, m))
    return whole if ref.index is None else whole[ref.index]


def leaves(eq: Equation):
    for form in eq.forms:
        for node in walk(form):
            if isinstance(node, (Num, Arr)):
                yield node


def check_equation(eq: Equation, digits: int, stepper=None, where: str = "") -> int:
    """Assert the equation's promises; returns how many numbers were checked."""
    printer = TextPrinter(digits)
    eq = plan(eq, digits)  # the digits it is printed with: its operands' extra digits
    result = eq.result
    if not has_numbers(result) or isinstance(result, Hidden):
        return 0
    value = evaluate(result)
    checked = 0
    if not _finite(value):
        return 0
    shown = interval(result, digits)
    # a result past the floats, printed from its exact arithmetic (a number, or an array's entries: Arr.small)
    past = (isinstance(result, Num) and below_floats(result, digits) is not None) or (
        isinstance(result, Arr) and bool(result.small))
    for i, form in enumerate(eq.forms[:-1]):
        # every form evaluates (exactly) to the result; a symbolic form may meet ∞ where its numbers do
        # not (e^1500/(e^1500 + e^−1200), log of a saturated 0): the check below takes ∞ and nan as "no word"
        try:
            with np.errstate(all="ignore"):
                exact = evaluate(form, eq.bindings)
        except Unbound:
            exact = None
        if exact is not None:
            with np.errstate(all="ignore"):
                ok = (not _finite(exact) or _close(exact, value) or _within_float_error(form, eq.bindings, exact, value)
                      or _close(_probabilities_exactly(form, eq.bindings), value))
            assert ok, f"{where}: form {i} of {TextPrinter(digits).equation(eq)} is {exact}, not {value}"
        # the numbers as printed, rounded, still give the result as printed
        if has_numbers(form) and all(not isinstance(n, Hidden) for n in walk(form)):
            try:
                with np.errstate(all="ignore"):
                    iv = interval(form, digits, eq.bindings)
            except Unbound:
                iv = None
            if iv is not None:
                assert overlaps(iv, shown) or _redone_exactly(form, printer, eq), (
                    f"{where}: the numbers shown in form {i} of "
                                             f"{TextPrinter(digits).equation(eq)} give {iv}, not {value}")
                checked += 1
            # and redoing the arithmetic on the page gives the result as printed, to its last digit (a result
            # past the floats, printed from its exact arithmetic, is held to it by the exact redo below)
            if not past and not printer._elided(form) and all(
                    not isinstance(n, Sym) or n in eq.bindings for n in walk(form)):
                with np.errstate(all="ignore"):
                    redone = np.asarray(shown_value(form, digits, eq.bindings), dtype=float).reshape(-1)
                target = np.asarray(value, dtype=float).reshape(-1)
                if redone.size == target.size:
                    assert last_digit_holds(redone, target, digits) or _redone_exactly(form, printer, eq), (
                        f"{where}: redoing form {i} of {TextPrinter(digits).equation(eq)} on the page gives "
                        f"{[num(x, digits) for x in redone]}, not {[num(x, digits) for x in target]}")
    checked += check_past_the_floats(eq, digits, where) + check_past_the_floats_array(eq, digits, where)
    for leaf in leaves(eq):
        x = leaf.value if isinstance(leaf, Num) else leaf.values
        if leaf.means is not None:  # a derived number is the value of its formula
            try:
                with np.errstate(all="ignore"):  # (an ELU's e^s of s = 4506 in the branch np.where leaves: ∞)
                    meant = evaluate(leaf.means, eq.bindings)
            except Unbound:
                meant = None
            if meant is not None and _finite(meant) and _finite(x):
                assert _close(x, meant), f"{where}: {x} shown for {TextPrinter().p(leaf.means)} = {meant}"
        if stepper is not None and leaf.ref is not None:  # a board number is the board's number
            board = board_value(stepper, leaf.ref)
            if board is not None and _finite(board):
                assert _close(x, board), f"{where}: {x} shown for {leaf.ref}, the board has {board}"
        checked += 1
    return checked


def _printed_mp(node, printer: TextPrinter, bindings: dict):
    """A scalar form's arithmetic redone in mpmath on its numbers exactly as the page prints them (a
    probability as written, ``1 − 2.225e−348`` too); None for a form that is not such arithmetic."""
    if isinstance(node, Num):
        if node.exact:
            return mpmath.mpf(node.value)
        text = printer.p(node).replace("−", "-")
        if not math.isfinite(node.value):
            return None
        return 1 - mpmath.mpf(text[4:]) if text.startswith("1 - ") else mpmath.mpf(text)
    if isinstance(node, Sym):
        value = bindings.get(node)
        return mpmath.mpf(float(value)) if value is not None and np.ndim(value) == 0 else None
    if isinstance(node, Call) and node.fn == "log" and len(node.args) == 1:
        a = _printed_mp(node.args[0], printer, bindings)
        return mpmath.log(a) if a is not None and a > 0 else None
    if isinstance(node, Call) and node.fn in _MP_FUNCTIONS and node.fn != "softmax_rows":  # σ(−799.5)
        args = [_printed_mp(a, printer, bindings) for a in node.args]
        return None if any(a is None for a in args) else _MP_FUNCTIONS[node.fn](*args)
    if not isinstance(node, Op) or node.op not in ("+", "-", "*", "neg", "sq", "()", "/"):
        return None
    args = [_printed_mp(a, printer, bindings) for a in node.args]
    if any(a is None for a in args):
        return None
    if node.op == "/":
        return args[0] / args[1] if args[1] != 0 else None
    if node.op == "+":
        return mpmath.fsum(args)
    if node.op == "-":
        return args[0] - args[1]
    if node.op == "*":
        return mpmath.fprod(args)
    if node.op == "neg":
        return -args[0]
    return args[0] ** 2 if node.op == "sq" else args[0]


_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def _printed_entries(a: Arr, printer: TextPrinter) -> list[str] | None:
    """An array's entries as its printed text writes them (read back from the text, in order), None where
    the printer elides some or it is no vector or matrix of numbers."""
    if a.values.ndim not in (1, 2) or a.hidden is not None or a.blanks or printer.elides(a):
        return None
    texts = _NUMBER.findall(printer.p(a).replace("−", "-").replace("ᵀ", ""))
    return texts if len(texts) == a.values.size else None


def _printed_mp_array(node, printer: TextPrinter, bindings: dict):
    """A form's arithmetic on numbers, vectors and matrices redone in mpmath, entry by entry, on its numbers
    exactly as the page prints them (read back from the text); None for a form that is not such arithmetic."""
    if isinstance(node, Num):
        return _printed_mp(node, printer, bindings)
    if isinstance(node, Arr):
        texts = _printed_entries(node, printer)
        if texts is None:
            return None
        return np.array([mpmath.mpf(t) for t in texts], dtype=object).reshape(node.values.shape)
    if isinstance(node, Sym):
        value = bindings.get(node)
        if value is None:
            return None
        return (mpmath.mpf(float(value)) if np.ndim(value) == 0 else
                np.array([mpmath.mpf(x) for x in np.ravel(value).tolist()], dtype=object).reshape(np.shape(value)))
    if isinstance(node, Call) and node.fn in _MP_FUNCTIONS:  # σ(−799.5) = 6.047e−348, not the floats' 0
        args = [_printed_mp_array(a, printer, bindings) for a in node.args]
        return None if any(a is None for a in args) else _MP_FUNCTIONS[node.fn](*args)
    if not isinstance(node, Op):
        return None
    args = [_printed_mp_array(a, printer, bindings) for a in node.args]
    if any(a is None for a in args):
        return None
    obj = [np.asarray(a, dtype=object) if isinstance(a, np.ndarray) else a for a in args]
    if node.op in ("+", "*"):
        out = obj[0]
        for x in obj[1:]:
            out = out + x if node.op == "+" else out * x
        return out
    if node.op == "-":
        return obj[0] - obj[1]
    if node.op == "neg":
        return -obj[0]
    if node.op == "sq":
        return obj[0] * obj[0]
    if node.op == "()":
        return obj[0]
    if node.op == "@":
        return np.matmul(obj[0], obj[1])
    if node.op == "outer":
        return np.multiply.outer(obj[0], obj[1])
    if node.op == "T":
        return obj[0].T
    if node.op == "/":
        return obj[0] / obj[1]
    if node.op == "cat":  # gates' σ(·), σ(·), tanh(·) joined
        return np.concatenate([np.asarray(a, dtype=object).reshape(-1) for a in obj])
    return None


def _mp_each(f):
    def apply(x, *_):
        if isinstance(x, np.ndarray):
            return np.array([f(v) for v in x.ravel().tolist()], dtype=object).reshape(x.shape)
        return f(x)
    return apply


def _mp_softmax(x, causal=0):
    """softmax over the last axis in mpmath (a causal matrix's row τ over its first τ + 1 entries)."""
    a = np.asarray(x, dtype=object)
    rows = a.reshape(-1, a.shape[-1])
    out = np.empty(rows.shape, dtype=object)
    for r, row in enumerate(rows.tolist()):
        n = r % a.shape[-2] + 1 if causal and a.ndim >= 2 else len(row)
        e = [mpmath.exp(v) for v in row[:n]]
        out[r] = [v / mpmath.fsum(e) for v in e] + [mpmath.mpf(0)] * (len(row) - n)
    return out.reshape(a.shape)


# the functions a line past the floats may apply, as a reference apart from bptui's decimals
_MP_FUNCTIONS = {"sigmoid": _mp_each(lambda v: 1 / (1 + mpmath.exp(-v))), "tanh": _mp_each(mpmath.tanh),
                 "exp": _mp_each(mpmath.exp), "softplus": _mp_each(lambda v: mpmath.log1p(mpmath.exp(v))),
                 "gelu": _mp_each(lambda v: v * mpmath.ncdf(v)),
                 "elu": lambda x, alpha: _mp_each(lambda v: v if v > 0 else alpha * mpmath.expm1(v))(x),
                 "softmax": _mp_softmax, "softmax_rows": _mp_softmax}


def check_past_the_floats_array(eq: Equation, digits: int, where: str = "", printer: TextPrinter | None = None) -> int:
    """Where an array's line holds numbers below √(smallest normal float) (an attention layer's subnormal δ, G
    or ∂ℓ/∂z), its arithmetic redone exactly (mpmath, entry by entry) on the numbers as printed gives every
    entry of the result as printed, to its last digit: G ← G + δ oᵀ with δ = [0, 3.9565e−320] gives the
    exact −1.7915e−320·…, not the subnormal float's digits. Returns how many forms it checked."""
    result = eq.result
    printer = printer or TextPrinter(digits)  # a wider printer shows every entry of a long vector
    if not isinstance(result, Arr) or not any(_past_the_floats(f) for f in eq.forms):
        return 0
    shown = _printed_entries(result, printer)
    if shown is None:
        return 0
    checked = 0
    with mpmath.workdps(60):
        for i, form in enumerate(eq.forms[:-1]):
            if printer._elided(form) or any(isinstance(n, Sym) for n in walk(form)):
                continue
            redone = _printed_mp_array(form, printer, eq.bindings)
            if redone is None or np.size(redone) != len(shown):
                continue
            text = printer.equation(eq)
            for got, want in zip(np.ravel(np.asarray(redone, dtype=object)).tolist(), shown):
                target = mpmath.mpf(want)
                if target == 0:
                    assert got == 0, f"{where}: form {i} of {text} gives {mpmath.nstr(got, 6)} as printed, not 0"
                    continue
                unit = mpmath.mpf(10) ** (Decimal(want).adjusted() - digits + 1)
                assert abs(got - target) <= unit / 2 * (1 + mpmath.mpf(10) ** -9), (
                    f"{where}: form {i} of {text} gives {mpmath.nstr(got, digits + 3)} as printed, not {want}")
            checked += 1
    return checked


def _past_the_floats(node) -> bool:
    """A number the floats cannot hold as printed: a probability within 10⁻¹⁵ of 0 or 1 (``Num.logs``), a number
    written from its logarithm (``Num.ln``: a loss, or a result, past the floats), or a nonzero number below
    √(smallest normal float), 1.5e−154, whose products the floats may lose (an attention δ's explanation on
    subnormal numbers: 2.3e−14·(9.1e−316 − 1.8e−315) is −2.1e−329, not 0)."""
    for n in walk(node):
        if isinstance(n, Num) and not n.exact and math.isfinite(n.value):
            if n.logs is not None and not 1e-15 < n.value < 1 - 1e-15:
                return True
            if n.ln is not None or 0 < abs(n.value) < SQRT_TINY:
                return True
        if isinstance(n, Arr) and (n.small or np.any((n.values != 0) & (np.abs(n.values) < SQRT_TINY))):
            return True
    return False


SQRT_TINY = 1.4916681462400413e-154  # a product of numbers above it stays a normal float


def check_past_the_floats(eq: Equation, digits: int, where: str = "") -> int:
    """Where a scalar line holds numbers past the floats (a saturated probability, a loss below 10⁻³⁰⁸),
    its arithmetic redone exactly (mpmath, as a student does on paper) on the numbers as printed gives
    the result as printed, to its last digit: ``−log(1 − 5.649e−348)`` is 5.649e−348, not 0. Returns how
    many forms it checked."""
    result = eq.result
    if not isinstance(result, Num) or result.exact or not math.isfinite(result.value):
        return 0
    if not any(_past_the_floats(f) for f in eq.forms):
        return 0
    printer = TextPrinter(digits)
    shown = printer.p(result).replace("−", "-")
    if shown.startswith("1 - ") or shown.startswith("-1 - "):
        return 0
    target = mpmath.mpf(shown)
    checked = 0
    with mpmath.workdps(2100):  # 1 − 1.5e−1980 keeps its last digit
        for i, form in enumerate(eq.forms[:-1]):
            if printer._elided(form) or any(isinstance(n, Sym) for n in walk(form)):  # numbers only: what is redone
                continue
            redone = _printed_mp(form, printer, eq.bindings)
            if redone is None:
                continue
            if target == 0:
                assert redone == 0, (f"{where}: form {i} of {TextPrinter(digits).equation(eq)} is "
                                     f"{mpmath.nstr(redone, 6)} as printed, not 0")
            else:
                # the printed result's last digit (its exponent read from the text: log10 of 1e−320 in binary
                # lies a little below −320)
                unit = mpmath.mpf(10) ** (Decimal(shown).adjusted() - digits + 1)
                assert abs(redone - target) <= unit / 2 * (1 + mpmath.mpf(10) ** -9), (
                    f"{where}: form {i} of {TextPrinter(digits).equation(eq)} is {mpmath.nstr(redone, digits + 3)} "
                    f"as printed, not {shown}")
            checked += 1
    return checked


def _redone_exactly(form, printer: TextPrinter, eq: Equation) -> bool:
    """Whether a scalar form's arithmetic redone in mpmath on its numbers as printed gives the result as
    printed, to its last digit: where the floats' own redo cancels (``−log(1 − (1 − 1.97e−15))``: 1 − 1.97e−15
    in floats is 1 − 1.998e−15, and its log 33.846 where the page's numbers give 33.861, printed 33.9), the
    student's exact arithmetic is the reference."""
    shown = printer.p(eq.result).replace("−", "-")
    if not _NUMBER.fullmatch(shown) or any(isinstance(n, Sym) for n in walk(form)):
        return False
    with mpmath.workdps(60):
        redone = _printed_mp(form, printer, eq.bindings)
        if redone is None:
            return False
        target = mpmath.mpf(shown)
        if target == 0:
            return bool(redone == 0)
        unit = mpmath.mpf(10) ** (Decimal(shown).adjusted() - printer.digits + 1)
        return bool(abs(redone - target) <= unit / 2 * (1 + mpmath.mpf(10) ** -9))


def _within_float_error(form, bindings: dict, exact, value) -> bool:
    """Whether ``exact`` (``form`` evaluated in floats) is ``value`` up to what the floats lose where the
    form cancels (log(1 − o) with o within 10⁻¹⁰ of 1): four times what moving every bound value by
    its last bit moves it."""
    moved = 0.0
    for way in (np.inf, -np.inf):
        nudged = {k: np.nextafter(np.asarray(v, dtype=float), way) for k, v in bindings.items()}
        try:
            with np.errstate(all="ignore"):
                other = np.asarray(evaluate(form, nudged), dtype=float)
        except (Unbound, TypeError, ValueError):
            return False
        if not _finite(other):
            return False
        moved = max(moved, float(np.max(np.abs(other - np.asarray(exact, dtype=float)), initial=0.0)))
    gap = np.abs(np.asarray(exact, dtype=float) - np.asarray(value, dtype=float).reshape(np.shape(exact)))
    return bool(np.all(gap <= 4 * moved + 1e-12 * (1 + np.abs(np.asarray(value, dtype=float)).max())))


def _probabilities_exactly(form, bindings: dict):
    """A form with saturated probabilities in it (``Num.logs``: 1 − o for o within 10⁻¹⁰ of 1) evaluated
    from their logarithms, as floats cannot: its numbers at a float's 17 digits, a probability as
    1 − q (the planner's exact redo); nan for a form without one."""
    if not any(isinstance(n, Num) and n.logs is not None for n in walk(form)):
        return np.nan
    return shown_value(form, FLOAT_DIGITS, bindings)


def last_digit_holds(redone: np.ndarray, target: np.ndarray, digits: int) -> bool:
    """Every entry redone prints as the result's entry does (two floats a rounding error apart are
    the same number: 0.1 + 0.2 is 0.3), a decimal tie rounded away from zero as by hand (5.96 + 0.7695
    is 6.730, though floats print 6.729)."""
    return all(by_hand(a, digits) == f"{b:.{digits}g}" or abs(a - b) <= 1e-12 * abs(b)
               for a, b in zip(redone.tolist(), target.tolist()))


def check_text(eq: Equation, digits: int, text: str, latex: str | None = None) -> None:
    """The rendered text shows each number of the tree at the digits the printer chose for it (its
    own, and the operand's extra digits), where the printer does not elide."""
    eq = plan(eq, digits)
    base = digits
    for leaf in leaves(eq):
        digits = base + leaf.extra
        if isinstance(leaf, Num) and not leaf.exact and math.isfinite(leaf.value):
            fine = probability_text(leaf, digits)  # a saturated probability: the digits that keep it true
            if fine is not None:
                complement, digits_text = fine
                assert ("1 − " if complement else "") + minus_signs(digits_text) in text, f"{fine} missing from {text}"
                if latex is not None:
                    assert ("1 - " if complement else "") + LatexPrinter._g(digits_text) in latex
                continue
            small = below_floats(leaf, digits)  # a loss past the floats: from its logarithm, not 0
            if small is not None:
                assert minus_signs(small) in text, f"{small} missing from {text}"
                if latex is not None:
                    assert LatexPrinter._g(small) in latex
                continue
            # a term after the first of a sum is printed with its sign apart: "− 0.4"
            assert num(abs(leaf.value), digits) in text, f"{num(leaf.value, digits)} missing from {text}"
            if latex is not None:
                assert LatexPrinter(digits)._num(abs(leaf.value)) in latex
        elif isinstance(leaf, Arr) and leaf.values.ndim == 1 and len(leaf.values) <= 6 and _finite(leaf.values):
            # in order, side by side (a vector joined to another, [o⁽⁰⁾_τ, o⁽¹⁾_{τ−1}], prints as one row)
            # every entry in the array's one form (the panels' rule), or the form of the vector it is
            # joined to ([1, x_τ, o_{τ−1}] is one vector): its digits either way
            small = {i[0]: minus_signs(t) for i, t in small_texts(leaf, digits).items()}  # past the floats: exact
            rows = [", ".join(small.get(k) or num(x, digits, form) for k, x in enumerate(leaf.values))
                    for form in ("f", "e")]
            own = array_form(leaf.values, base)
            assert any(row in text for row in rows), f"[{rows[own == 'e']}] missing from {text}"

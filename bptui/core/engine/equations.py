"""Each step's equations in the lecture's notation, as formula trees (:mod:`bptui.core.formulas.formula`).

:func:`step_equations` builds, for a step just done, the equations that produced its value: the
symbolic form, the same form with the board's numbers filled in (:func:`~bptui.core.formulas.formula.substitute`,
so the two cannot differ in shape), any intermediate values, and the result. The activation's,
the loss's and the optimizer's formulas come from their tables (``ACTIVATIONS``, ``LOSSES``,
``update_formulas``); nothing here writes a formula as a string. Every equation carries the
values of its symbols (``bindings``), so a test can evaluate each form and compare.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..ops.activations import IDENTITY_NOTE
from ..formulas.notation import num, sup
from ..formulas.formula import HELD, TINY, Arr, Equation, Node, Num, Op, Partial, Ref, Sum, Sym, TextPrinter, add, group, held_past_the_floats, mul, sub, substitute, value_node, walk
from ..formulas.profiles import PARTS, PER, Profile, shown_ref, shown_value
from ..util.errors import SpecError
from ..ops.losses import LOSSES
from .network import Network
from ..ops.optim import BETA1, BETA2, ETA, Optimizer, hyper_parameters, regularised, state_written, update_formulas
from .schedule import BACKWARD, FORWARD, LOSS, UPDATE, StepKey
from .stepper import State, Step


# -- the lecture's symbols --------------------------------------------------------------------------
def W(l: int | str) -> Sym:
    return Sym("W", l, vector=True)


def s(l: int | str) -> Sym:
    return Sym("s", l, vector=True)


def o(l: int | str) -> Sym:
    return Sym("o", l, vector=True)


def delta(l: int | str) -> Sym:
    return Sym("δ", l, vector=True, latex=r"\delta")


def G(l: int | str) -> Sym:
    return Sym("G", l, vector=True)


def b(l: int | str) -> Sym:
    """A profile's separate bias b⁽ˡ⁾: column 0 of the lecture's W⁽ˡ⁾."""
    return Sym("b", l, vector=True)


def Gb(l: int | str) -> Sym:
    """The gradient of a separate bias (∂ℓ/∂b⁽ˡ⁾): column 0 of the lecture's G⁽ˡ⁾."""
    return Sym("Gb", l, vector=True)


def weight_sym(notation: Profile, l: int, row: int, col: int) -> Sym:
    """Entry (row, col) of the lecture's W⁽ˡ⁾ (column 0 the bias) as ``notation`` names it where its
    panel shows it: w⁽ˡ⁾ with the unit and the input (the lecture's w₁,₀⁽¹⁾, nielsen's w²₁,₂), a
    separate bias's b with its unit (b²₁); the printer writes the input first where the profile shows W
    transposed (cs231n's W is D × C: ``Profile.transposed``)."""
    unit = row + 1  # the lecture's numbers: the printer numbers them from the profile's first unit
    if notation.separate_bias and col == 0:
        return Sym("b", l, (unit,))
    return Sym("w", l, (unit, col))


M = Sym("m")  # a mean profile's group size: the gradient shown is G/m
M_ADAM = Sym("|B|", latex=r"|B|")  # the same beside Adam's m⁽ˡ⁾: the size of the update group B


M_BESIDE_ADAM = Sym("|B|", latex=r"|B|", own="adam")  # |B| beside Adam's m⁽ˡ⁾: m where the profile renames that m


def group_symbol(opt: Optimizer | None, kinds: Sequence[Any] = ()) -> Sym:
    """How a mean profile writes the update group's size: m (nielsen's and ng's 1/m), or |B| when a layer
    of ``kinds`` has an m of its own (dropout's mask m⁽ˡ⁾: ``LayerKind.letters``), or when the optimizer is
    Adam, whose first moment is m⁽ˡ⁾ (its paper's letter) — unless the profile writes that moment with a
    letter of its own (ng's v): the printer settles it (``Profile.renames``: "adam:|B|" is m there), so
    every caller passes the optimizer and the profile decides."""
    if any("m" in k.letters for k in kinds):
        return M_ADAM
    if opt is not None and opt.name == "adam":
        return M_BESIDE_ADAM
    return M


def G_MEAN(l: int | str) -> Sym:
    """A mean profile's G⁽ˡ⁾/m where the update multiplies it by m again: printed as G⁽ˡ⁾ (its own
    node, so that G ↦ m·G/m substitutes once)."""
    return Sym("G", l, vector=True, latex="G")

Y = Sym("y", vector=True)
LOSS_D = Sym("ℓ_D", latex=r"\ell_{\mathcal{D}}")


def loss_sym(n: int | str | None) -> Sym:
    return Sym("ℓ", n, latex=r"\ell")


# each shared quantity of a notation profile (core/formulas/profiles.py) as the lecture's symbol of layer l
LECTURE_SYMS = {"pre_activation": s, "activation": o, "delta": delta, "gradient": G, "weights": W, "bias": b,
                "loss": lambda l: loss_sym(None), "learning_rate": lambda l: ETA}


def forward_rule(p: Profile) -> Node:
    """The right-hand side of layer l's dense forward rule as profile ``p`` writes it: W o (the lecture's, o with
    its 1), W a + b with a separate bias, a W + b with row vectors (cs231n's x W + b). The manual's table, the
    help and an export's notation list print it."""
    product = Op("@", (o("l-1"), W("l")) if p.vectors == "row" else (W("l"), o("l-1")))
    return add(product, b("l")) if p.separate_bias else product


def profile_rows(p: Profile, group: Sym = M) -> list[tuple[str, str]]:
    """A notation profile as (what, how the profile writes it) rows: each shared quantity's symbol
    of layer l, the forward rule, the input, where the bias is, the vectors, the first unit and a
    group's gradient, divided by ``group`` (the group's size: a network's :func:`group_symbol`, |B|
    beside Adam's m; the manual's table, of no network, m). The manual's table (:func:`notation_table`)
    and the app's help read them."""
    from ..formulas.profiles import QUANTITIES

    pr, l = TextPrinter(notation=p), "l"
    rows = [(q.replace("_", " "), pr.p(LECTURE_SYMS[q](l))) for q in QUANTITIES]
    rows.append(("forward", pr.p(s(l)) + " = " + pr.p(forward_rule(p))))
    rows.append(("input", pr.p(o(0)) + (" = x" if p.separate_bias else " = [1, x]")))
    rows.append(("where the bias is", "a vector of its own" if p.separate_bias else "column 0 of W"))
    rows.append(("vectors", p.vectors + "s"))
    rows.append(("first unit", str(p.unit_base)))
    grad = pr.p(G(l))  # the weights' gradient as the profile writes it (ng's dW^[l], the lecture's G⁽ˡ⁾)
    rows.append(("a group's gradient", f"mean {grad} (the group's sum / {pr.p(group)})" if p.mean else f"sum {grad}"))
    D, one = pr.p(LOSS_D), pr.p(loss_sym("n"))  # the epoch's loss so far, as the loss step writes it (running_loss)
    rows.append(("the epoch's loss", f"mean {D} = (1/k) Σₙ {one} of the k so far" if p.mean else f"sum {D} = Σₙ {one}"))
    return rows


def adam_row(p: Profile) -> tuple[str, str]:
    """How profile ``p`` names Adam's state and decay rates (``Profile.letters``: goodfellow's s, r with ρ₁, ρ₂,
    ng's v, s), as its update lines write them: the manual's table's row under momentum's."""
    pr = TextPrinter(notation=p)
    first, second = (Sym(base, "l", vector=True, own="adam") for base in ("m", "v"))
    return ("Adam's moments", f"1st {pr.p(first)} ({pr.p(BETA1)}), 2nd {pr.p(second)} ({pr.p(BETA2)})")


def momentum_row(p: Profile) -> tuple[str, str]:
    """How profile ``p`` writes a momentum update of W⁽ˡ⁾ (``Profile.velocity``), as its steps write it: the
    manual's table's last row (the help shows a network's own update among its rules)."""
    pr, l, opt = TextPrinter(notation=p), "l", Optimizer("momentum")
    states = [Sym("v", l, vector=True, own="momentum")]
    names, _ = _update_names(l, states, p.mean, False, group_symbol(opt)) if p.name != "lecture13" else ({}, None)
    return ("momentum", "; ".join(f"{pr.p(names.get(lhs, lhs))} {rel} {pr.p(substitute(rhs, names))}"
                                  for lhs, rel, rhs in update_formulas(opt, l, velocity=p.velocity)))


def notation_table() -> list[str]:
    """Every notation profile's symbols side by side, one row per quantity, as a Markdown table
    (docs/notation.md holds it; a test and the manual's build hook keep it the profiles' own)."""
    from ..formulas.profiles import PROFILES

    profiles = list(PROFILES.values())
    columns = [profile_rows(p) + [momentum_row(p), adam_row(p)] for p in profiles]
    rows = [["quantity", *(f"`{p.name}`" for p in profiles)], ["---"] * (len(profiles) + 1)]
    rows += [[what, *(column[i][1] for column in columns)] for i, (what, _) in enumerate(columns[0])]
    return ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


def step_symbol(key: StepKey, kinds: Sequence[Any] = ()) -> Node:
    """The quantity a step computes: s⁽¹⁾, δ⁽²⁾, ℓ⁽³⁾, W⁽¹⁾ … (a kind's own steps, an LSTM's c⁽¹⁾_τ, named
    by its kind: ``kinds``, layers 1..L)"""
    if key.quantity == "loss":
        return loss_sym(key.example)
    assert key.layer is not None
    own = kinds[key.layer - 1].step_sym(key.quantity, key.layer, getattr(key, "time", None)) if kinds else None
    if own is not None:
        return own
    sym = {"s": s, "o": o, "delta": delta, "G": G, "W": W}[key.quantity](key.layer)
    time = getattr(key, "time", None)  # a recurrent network's step at τ: s⁽¹⁾_τ
    return sym if time is None or key.quantity in ("G", "W") else Sym(sym.base, sym.layer, vector=True,
                                                                        latex=sym.latex, time=time)


def symbol(key: StepKey, kinds: Sequence[Any] = ()) -> str:
    return TextPrinter().p(step_symbol(key, kinds))


def s_form(l: int) -> Node:
    """s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾, its right-hand side."""
    return Op("@", (W(l), o(l - 1)))


def fed(net: Network, l: int, x: Node | None = None, src: int | None = None) -> Node:
    """What W⁽ˡ⁾ multiplies with the bias in column 0, as the steps and the network's rules both write it: the o
    of the layer it reads (``src``: l − 1, or along a residual block's wires; ``x``: that o as the caller
    indexes it, at τ or at T), which holds its 1 (o⁽⁰⁾ = [1, x], a dense layer's [1, f(s)]), or [1, o] above a
    layer over time, whose o has no bias entry (its U multiplies the units only)."""
    src = l - 1 if src is None else src
    x = o(src) if x is None else x
    return Op("cat1", (x,)) if 0 < src <= len(net.kinds) and net.kinds[src - 1].over_time else x


def o_form(net: Network, l: int) -> Node:
    """o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)] for a hidden layer, f(s⁽ᴸ⁾) for the output layer, as the activation's table writes f."""
    f = net.act(l).value(s(l))
    return Op("cat1", (f,)) if l < net.L else f


def loss_rule(net: Network) -> Node:
    """ℓ as the loss's table writes it, over the output units k."""
    return net.loss.formula(Sym("o", net.L, ("k",)), Sym("y", None, ("k",)), net.act(net.L).name)


def units(net: Network, l: int) -> Node:
    """f(s⁽ˡ⁾) written on o⁽ˡ⁾, as f′ uses it: a hidden layer's o⁽ˡ⁾ without its bias entry, o⁽ˡ⁾[1:];
    the output layer's o⁽ᴸ⁾ as it is."""
    return Op("drop0", (o(l),)) if l < net.L else o(l)


def fprime_label(l: int | str) -> Sym:
    """The name of layer l's f′ on a line of the network's rules, as the lecture writes it: f′(s⁽ˡ⁾)
    (a label; :func:`profiled_fprime` gives a profile's)."""
    return Sym(f"f′({TextPrinter().p(s(l))})", latex=f"f'(s^{{({l})}})", vector=isinstance(l, str))


def profiled_fprime(eq: Equation, L: int) -> Equation:
    """``eq`` (a rules line, a kind's too) with the lecture's f′(s⁽ˡ⁾) labels of layers 1…L and l written as
    a profile's dense lines write f′: f′ with the layer index (f′², f′^[l]; no lecture s in a profile)."""
    names = {fprime_label(l): Sym("f′", l, latex="f'", vector=isinstance(l, str)) for l in (*range(1, L + 1), "l")}
    return replace(eq, lhs=substitute(eq.lhs, names), forms=tuple(substitute(f, names) for f in eq.forms))


def fprime(net: Network, l: int, s_node: Node, o_node: Node) -> Node:
    """f′(s⁽ˡ⁾) of layer l as its activation's table writes it (vector or one unit)."""
    return net.act(l).derivative(s_node, o_node)


def _alpha(net: Network, l: int) -> dict:
    from ..ops.activations import ALPHA

    return {ALPHA: net.alphas[l - 1]} if net.act(l).uses_alpha else {}


def _arr(x: Any, quantity: str | None = None, layer: int | None = None, means: Node | None = None,
         row: bool = False) -> Node:
    ref = Ref(quantity, layer) if quantity else None
    a = np.asarray(x)
    if a.ndim == 0:
        return Num(float(a), ref, means=means)
    return Arr(a, ref, row, means=means)


def _shown(x: Any, ref: Ref | None, means: Node | None = None) -> Node:
    """A value named by its (profile's) Ref, as :func:`_arr` writes it."""
    a = np.asarray(x)
    return Num(float(a), ref, means=means) if a.ndim == 0 else Arr(a, ref, means=means)


# -- one step ---------------------------------------------------------------------------------------
def step_equations(net: Network, state: State, step: Step, optimizer: Optimizer | None = None,
                   pos: tuple[int, ...] | None = None, notation: Profile | None = None) -> tuple[Equation, ...]:
    """The equations of ``step``, just done, on the board ``state``; for a step of a map layer, the
    scalar form is at ``pos`` (0-based; a conv G: (k, c, u, v)), by default the first position.
    ``notation``: the profile that groups them (a separate b, a mean gradient; :func:`profile_fits`)."""
    eqs = tuple(held_noted(net, state, e) for e in _step_equations(net, state, step, optimizer, pos, notation))
    if step.key.phase == LOSS and loss_D_view(notation):  # every kind's ℓ_D ← ℓ_D + ℓ⁽ⁿ⁾ as the running mean
        n = step.key.example
        ln = next((e.result.ln for e in eqs if e.lhs == loss_sym(n) and isinstance(e.result, Num)), None)
        return tuple(running_loss(state, float(step.value), n, notation, ln) if e.lhs == LOSS_D else e for e in eqs)
    return eqs


def held(net: Network, state: Any, l: int) -> Arr | None:
    """Dense layer l's o⁽ˡ⁾ as the board stores it (a hidden layer's with its 1 first), with the entries its
    function's line prints past the floats where the board holds another number (``Arr.small``: σ(−799.5) =
    6.047e−348, held in floats as 0: formula.held_past_the_floats); None where there is none."""
    if not 1 <= l <= net.L or not net.kinds[l - 1].function_of_s:
        return None
    s_l, o_l = state.s[l], state.o[l]
    if s_l is None or o_l is None:
        return None
    o_l = np.asarray(o_l, dtype=float)
    one = o_l.shape[-1] == np.shape(s_l)[-1] + 1  # a hidden layer's o with its 1
    act = net.act(l)
    small = held_past_the_floats(act.name, [s_l, *([net.alphas[l - 1]] if act.uses_alpha else [])],
                                 o_l[..., 1:] if one else o_l)
    if not small:
        return None
    if one:
        small = tuple((index[:-1] + (index[-1] + 1,), ln, negative) for index, ln, negative in small)
    return Arr(o_l, small=small)


def held_noted(net: Network, state: Any, eq: Equation) -> Equation:
    """``eq`` saying ``o⁽ˡ⁾ held in floats as [1, 0]`` (formula.HELD) where it reads from the board a dense
    layer's o⁽ˡ⁾, or a unit's o_b⁽ˡ⁾ (an explanation's), whose function's line prints past the floats
    (:func:`held`): its numbers are the floats', true as printed, and the note says why they are not the o
    line's. A loss line written from its logarithm (``−log(1 − 6.047e−348)``) prints the exact number and
    says nothing."""
    if isinstance(eq.result, Num) and eq.result.ln is not None:
        return eq
    for name in eq.bindings:
        if not (isinstance(name, Sym) and name.base == "o" and isinstance(name.layer, int) and name.time is None
                and not name.accent):
            continue
        unit = name.sub[0] if len(name.sub) == 1 and isinstance(name.sub[0], int) else None
        if unit is None and name.sub not in ((), ("k",)):
            continue
        exact = held(net, state, name.layer)  # the float said means it (formula._alike_unnoted: at few digits alike)
        if exact is None or exact.values.ndim != 1:
            continue
        if unit is not None:  # o_b⁽ˡ⁾: a hidden layer's b counts from its 1 (o₀), the output's from 1
            index = unit if name.layer < net.L else unit - 1
            entry = next(((ln, negative) for (i,), ln, negative in exact.small if i == index), None)
            if entry is None:
                continue
            said: Node = Num(float(np.ravel(eq.bindings[name])[0]) if np.size(eq.bindings[name]) == 1
                             else float(exact.values[index]), means=Num(0.0, ln=entry[0], negative=entry[1]))
        else:
            said = Arr(np.asarray(eq.bindings[name], dtype=float), means=exact)
        eq = replace(eq, note=(eq.note + "; " if eq.note else "") + "{} " + HELD,
                     note_syms=eq.note_syms + (name if unit is not None else o(name.layer), said))
    return eq


def _step_equations(net: Network, state: State, step: Step, optimizer: Optimizer | None,
                    pos: tuple[int, ...] | None, notation: Profile | None) -> tuple[Equation, ...]:
    for kind in net.kinds:  # a kind whose module writes this step: a map layer's, a step through time
        if kind.claims_step(net, step.key):
            if notation is not None and notation.name != "lecture13":
                return kind.profiled_step_equations(net, state, step, pos, notation, optimizer)
            return kind.step_equations(net, state, step, pos)
    if notation is not None and (notation.separate_bias or notation.mean):
        return profiled_step_equations(net, state, step, notation, optimizer)
    return dense_step_equations(net, state, step, optimizer)


def profile_fits(kinds: Sequence[Any], notation: Profile) -> str | None:
    """Why the equations of a network of layers ``kinds`` cannot be written in ``notation`` yet, or
    None when they can: a profile other than the lecture's needs layers whose kind follows it (``LayerKind.follows_profiles``:
    dense layers, for now)."""
    if notation.separate_bias or notation.mean or notation.name != "lecture13":
        for l, kind in enumerate(kinds, start=1):
            if not kind.follows_profiles():
                return (f"notation {notation.name}: layer {l} ({kind.describe()}) is written in the lecture's "
                        "notation only, for now; use --notation lecture13")
    return None


def check_profile(spec: Any, notation: Profile) -> None:
    """A SpecError naming the network file when :func:`profile_fits` says no (before any output)."""
    why = profile_fits(spec.kinds or (), notation)
    if why is not None:
        raise SpecError(why, source=spec.source)


def spec_notation(spec: Any, option: str | None) -> Profile:
    """The profile a command writes ``spec`` in: ``option`` (``--notation``), else the file's
    ``"notation"``, else lecture13; refused (a SpecError) when the network's layers are not written
    in it yet, before any output."""
    from ..formulas.profiles import notation_for

    profile = notation_for(option, spec.raw.get("notation"), spec.source)
    check_profile(spec, profile)
    return profile


def group_size(net: Network, key: StepKey) -> int:
    """How many examples the update group of ``key`` has (the last group may have fewer)."""
    spec = net.spec
    k = spec.group_size
    return min(k, spec.N - (key.group - 1) * k)


def board_group_size(stepper: Any) -> int:
    """The m a mean profile divides the board's G by: the size of the update group of the last step
    (G is zeroed as a group starts, so it holds that group's sum); before the first step, the first's."""
    last = stepper.last
    return group_size(stepper.net, last.key if last is not None else stepper.schedule.key(0))


def dense_step_equations(net: Network, state: State, step: Step, optimizer: Optimizer | None = None
                         ) -> tuple[Equation, ...]:
    """The lecture's equations of a dense layer's step (and the loss and the updates)."""
    key, L = step.key, net.L
    l = key.layer
    rhs: Node
    if key.phase == FORWARD and key.quantity == "s":
        assert l is not None
        rhs = s_form(l)
        env = {W(l): state.W[l], o(l - 1): state.o[l - 1]}
        values = {W(l): _arr(state.W[l], "W", l), o(l - 1): _arr(state.o[l - 1], "o", l - 1)}
        return (Equation(s(l), (rhs, substitute(rhs, values), _arr(step.value, "s", l)), bindings=env),)
    if key.phase == FORWARD:
        assert l is not None
        rhs = o_form(net, l)
        env = {s(l): state.s[l], **_alpha(net, l)}
        forms = [rhs, substitute(rhs, {s(l): _arr(state.s[l], "s", l)}), _arr(step.value, "o", l)]
        if rhs == s(l):  # the identity: o⁽ᴸ⁾ = s⁽ᴸ⁾ = [numbers]
            forms = forms[:1] + forms[2:]
        return (Equation(o(l), tuple(forms), bindings=env),)
    if key.phase == LOSS:
        return _loss(net, state, step)
    if key.phase == BACKWARD and key.quantity == "delta":
        assert l is not None
        return (_output_delta(net, state, step) if l == L else _hidden_delta(net, state, step, l),)
    if key.phase == BACKWARD:
        assert l is not None
        rhs = add(G(l), Op("outer", (delta(l), o(l - 1))))
        env = {G(l): step.before, delta(l): state.delta[l], o(l - 1): state.o[l - 1]}
        values = {G(l): _arr(step.before, means=G(l)), delta(l): _arr(state.delta[l], "delta", l),
                  o(l - 1): _arr(state.o[l - 1], "o", l - 1)}
        return (Equation(G(l), (rhs, substitute(rhs, values), _arr(step.value, "G", l)), "←", env),)
    if key.phase == UPDATE:
        return tuple(_update_of(net, state, step, optimizer or Optimizer(), None))
    raise ValueError(key)  # pragma: no cover


def profiled_step_equations(net: Network, state: State, step: Step, notation: Profile,
                            optimizer: Optimizer | None = None) -> tuple[Equation, ...]:
    """A dense step's equations grouped as ``notation`` groups them, on the same board: with a
    separate bias, s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ + b⁽ˡ⁾ (W without its column 0, o without its 1, b that
    column), δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ f′ without the [1:], the gradients of W and of b apart and
    each update twice; with a mean gradient, every G as G/m for the group's m examples. The printer
    (``TextPrinter(notation=…)``) writes the profile's symbols."""
    key, L = step.key, net.L
    l = key.layer
    sep, rows = notation.separate_bias, notation.vectors == "row"
    m = group_size(net, key) if notation.mean else 1
    if key.phase == UPDATE:
        return tuple(_update_of(net, state, step, optimizer or Optimizer(), notation))
    if key.phase == BACKWARD and key.quantity == "G":
        assert l is not None
        return _gradient(state, step, l, sep, m if notation.mean else None, rows, L, group_symbol(optimizer, net.kinds))
    if not sep or key.phase == LOSS or (key.phase == BACKWARD and l == L):  # no bias in them
        return dense_step_equations(net, state, step, optimizer)
    assert l is not None
    # W's parts as the profile shows them (profiles.PARTS): with row vectors (cs231n) W is d⁽ˡ⁻¹⁾ × d⁽ˡ⁾, the
    # file's W without its column 0, transposed
    wv, bv = notation.parts("W")
    shown_W = lambda w: shown_value(w, wv)  # noqa: E731
    if key.phase == FORWARD and key.quantity == "s":
        return (separate_s(net, state, step, notation, l - 1),)
    if key.phase == FORWARD:
        f = net.act(l).value(s(l))
        env = {s(l): state.s[l], **_alpha(net, l)}
        value = np.asarray(step.value)
        shown = shown_ref(Ref("o", l), notation, L)  # a hidden o without its 1
        result = Arr(shown_value(value, shown.view), shown) if shown.view else _arr(value, "o", l)
        forms = [f, substitute(f, {s(l): _arr(state.s[l], "s", l)}), result]
        return (Equation(o(l), tuple(forms[:1] + forms[2:] if f == s(l) else forms), bindings=env),)
    W_next, d_next, s_l, o_l = shown_W(state.W[l + 1]), state.delta[l + 1], state.s[l], state.o[l]
    assert d_next is not None and s_l is not None and o_l is not None
    back = group(Op("@", (delta(l + 1), Op("T", (W(l + 1),))) if rows else (Op("T", (W(l + 1),)), delta(l + 1))))
    result = _arr(step.value, "delta", l)
    env = {W(l + 1): W_next, delta(l + 1): d_next}
    if net.act(l).derivative_is_one:
        return (Equation(delta(l), (back, result), bindings=env, note=IDENTITY_NOTE),)
    df = fprime(net, l, s(l), o(l))  # o⁽ˡ⁾ here is the units' outputs: no 1 to leave out
    env.update({s(l): s_l, o(l): o_l[1:], **_alpha(net, l)})
    numbers = mul(_arr(d_next @ W_next.T if rows else W_next.T @ d_next, means=back),
                  _arr(net.df(l, s_l, o_l[1:]), means=df))
    return (Equation(delta(l), (mul(back, df), numbers, result), bindings=env),)


def separate_s(net: Network, state: State, step: Step, notation: Profile, src: int) -> Equation:
    """s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˢʳᶜ⁾ + b⁽ˡ⁾ in a profile with a separate b (o⁽ˢʳᶜ⁾ x W + b with row vectors): W without
    its column 0, o⁽ˢʳᶜ⁾ (o⁽ˡ⁻¹⁾, or what a residual block's wires bring) without its 1, b that column
    (the parts profiles.PARTS names)."""
    l, L, rows = step.key.layer, net.L, notation.vectors == "row"
    o_src = state.o[src]
    assert l is not None and o_src is not None
    x = o(src)
    rhs = add(Op("@", (x, W(l)) if rows else (W(l), x)), b(l))
    wv, bv = notation.parts("W")
    below = shown_ref(Ref("o", src), notation, L)
    env: dict[Node, Any] = {W(l): shown_value(state.W[l], wv), x: shown_value(o_src, below.view),
                            b(l): shown_value(state.W[l], bv)}
    views: dict[Node, Ref] = {W(l): Ref("W", l, view=wv), x: below,
                              b(l): Ref("W", l, view=bv)}  # the board's numbers as the profile shows them
    values = {sym: Arr(np.asarray(v), views[sym], means=sym) for sym, v in env.items()}
    return Equation(s(l), (rhs, substitute(rhs, values), _arr(step.value, "s", l)), bindings=env)


def sent_down(state: Any, r: int, P: Profile | None = None) -> tuple[Node, Node, dict]:
    """What dense layer r sends down to its input's units, as the lecture writes it, (W⁽ʳ⁾ᵀ δ⁽ʳ⁾)[1:], or
    a profile with a separate b, W⁽ʳ⁾ᵀ δ⁽ʳ⁾ with W without its column 0 (δ⁽ʳ⁾ W⁽ʳ⁾ᵀ with row vectors, W
    shown D × C): its form, the form with its numbers, and the bindings."""
    W, D = Sym("W", r, vector=True), Sym("δ", r, vector=True, latex=r"\delta")
    rhs = sent_node(r, P)
    if P is None or not P.separate_bias:
        numbers = Op("drop0", (Op("@", (Op("T", (Arr(state.W[r], Ref("W", r)),)),
                                         Arr(state.delta[r], Ref("delta", r)))),))
        return rhs, numbers, {W: state.W[r], D: state.delta[r]}
    wv = P.parts("W")[0]
    shown = shown_value(state.W[r], wv)
    return rhs, substitute(rhs, {W: Arr(shown, Ref("W", r, view=wv)), D: Arr(state.delta[r], Ref("delta", r))}), \
        {W: shown, D: state.delta[r]}


def sent_node(r: int | str, P: Profile | None = None) -> Node:
    """:func:`sent_down`'s form without numbers: (W⁽ʳ⁾ᵀ δ⁽ʳ⁾)[1:], a separate b's W⁽ʳ⁾ᵀ δ⁽ʳ⁾, row vectors'
    δ⁽ʳ⁾ W⁽ʳ⁾ᵀ (the rules of a layer reading it, a block's fan-in, say it so)."""
    W, D = Sym("W", r, vector=True), Sym("δ", r, vector=True, latex=r"\delta")
    if P is None or not P.separate_bias:
        return Op("drop0", (Op("@", (Op("T", (W,)), D)),))
    return Op("@", (D, Op("T", (W,)))) if P.vectors == "row" else Op("@", (Op("T", (W,)), D))


def _gradient(state: State, step: Step, l: int, sep: bool, m: int | None, rows: bool = False, L: int = 0,
              M: Sym = M, read: tuple[Node, Node, Sym, Any, Any] | None = None, src: int | None = None
              ) -> tuple[Equation, ...]:
    """G⁽ˡ⁾ ← G⁽ˡ⁾ + δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ as a profile writes it: for W and for b apart (``sep``), as the
    mean over the group's ``m`` examples (each example adds its term divided by m), and with row
    vectors (``rows``) as dW ← dW + oᵀ δ, W's gradient transposed as W is shown. ``read``: what W
    multiplies when it is not o⁽ˡ⁻¹⁾ (a dense layer after a map): its node with the 1 on top, its node
    without, the symbol it is worked from and that symbol's value, and the vector with its 1. ``src``: the
    layer whose o it multiplies when not l − 1 (a residual block's wires)."""
    G0, G1 = step.before, np.asarray(step.value)
    assert isinstance(G0, np.ndarray)
    src = l - 1 if src is None else src
    d, o_prev = state.delta[l], state.o[src]
    assert o_prev is not None
    whole_x, sep_x, x_sym, x_value, x = read if read is not None else (o(src), o(src), o(src), None, o_prev)
    per = "/m" if m else ""
    GW = G(l)
    parts: list[tuple[Sym, Node, Any, str]] = [(GW, Op("outer", (delta(l), whole_x)), x, "")]
    table = PARTS["separate", "row" if rows else "column"] if sep else {}  # the parts a profile shows
    if sep:
        outer = Op("outer", (sep_x, delta(l))) if rows else Op("outer", (delta(l), sep_x))
        wv, bv = table["G"]
        parts = [(GW, outer, x[1:], wv), (Gb(l), delta(l), None, bv)]

    out = []
    for lhs, term, a, view in parts:
        k = m or 1
        rhs = add(lhs, Op("/", (term, M)) if m else term)
        env: dict[Node, Any] = {lhs: shown_value(G0, view) / k, delta(l): d}
        values: dict[Node, Node] = {lhs: _arr(env[lhs], means=lhs), delta(l): _arr(d, "delta", l)}
        if a is not None and read is not None:  # after a map: [1, vec(o)] or vec(o), worked from the map
            env[x_sym] = x_value
            node = sep_x if sep else whole_x
            values[node] = Arr(np.asarray(a), means=node)
        elif a is not None:
            env[o(src)] = a
            below = Ref("o", src, view=table.get("o", ("",))[0] if src < L else "")
            values[o(src)] = Arr(np.asarray(a), below if below.view else Ref("o", src), means=o(src))
        if m:
            env[M] = m
            values[M] = Num(float(m), exact=True)
        result = Arr(np.asarray(shown_value(G1, view) / k), Ref("G", l, view=view + per))
        out.append(Equation(lhs, (rhs, substitute(rhs, values), result), "←", env))
    return tuple(out)


def loss_num(net: Network, state: State, value: float) -> Num:
    """The board's ℓ⁽ⁿ⁾ (``value``) as every view writes it: past the floats (0 or subnormal there) from the
    logarithm its loss line's argument is printed from (Network.loss_ln), ``−log(1 − 2.225e−348) =
    2.225e−348``, not 0."""
    L = net.L
    return Num(float(value), Ref("loss"), ln=net.loss_ln(state.s[L], state.o[L], state.y, float(value)))


def loss_text(net: Network, state: Any, digits: int = 4) -> str:
    """The board's ℓ⁽ⁿ⁾ as every view writes it (the header, the NN diagram's and the unrolled graph's loss
    boxes): :func:`loss_num` at ``digits``, past the floats from its logarithm as its loss line writes it."""
    value = float(state.loss)
    if not 0 <= value < TINY:  # a float's own number (every loss but one past the floats): as num writes it
        return num(value, digits)
    return TextPrinter(digits).p(loss_num(net, state, value))


def _loss(net: Network, state: State, step: Step) -> tuple[Equation, ...]:
    L, n = net.L, step.key.example
    act = net.act(L).name
    ok, yk = Sym("o", L, ("k",)), Sym("y", None, ("k",))
    o_L, y = state.o[L], state.y
    assert o_L is not None and y is not None
    rule = loss_rule(net)
    ln = loss_num(net, state, float(step.value)).ln  # a loss past the floats, written from its logarithm
    ell = Equation(loss_sym(n), (rule, net.loss.terms(o_L, y, act, L, state.s[L]),
                                 Num(float(step.value), Ref("loss"), ln=ln)), bindings={ok: o_L, yk: y})
    return ell, running_loss(state, float(step.value), n, ln=ln)


# how a profile shows the board's ℓ_D (the sum of this epoch's ℓ⁽ⁿ⁾ so far): a sum profile the sum, a mean profile
# (Profile.mean: ng's J, nielsen's C, cs231n's L) the mean of the per-example losses, ℓ_D / the count of them
def loss_D_view(notation: Profile | None) -> str:
    """The view (profiles.VIEWS) a profile shows ℓ_D in: "" the sum, "/n" divided by the count of the losses it
    holds (State.losses)."""
    return notation.parts("loss_D")[0] if notation is not None else ""


def loss_D_shown(notation: Profile | None, state: Any) -> float:
    """The number a profile writes for the board's ℓ_D: the sum of the epoch's per-example losses so far, or in a
    mean profile their mean (0 before the first)."""
    return float(shown_value(float(state.loss_D), loss_D_view(notation), max(int(state.losses), 1)))


def loss_D_num(notation: Profile | None, state: Any) -> Num:
    """The board's ℓ_D as a profile writes it (:func:`loss_D_shown`), past the floats from the logarithm of the
    exact sum (State.loss_D_ln): ``ℓ_D so far = 1.298e−347``, not 0."""
    view = loss_D_view(notation)
    return Num(loss_D_shown(notation, state), Ref("loss_D", view=view),
               ln=_mean_ln(state.loss_D_ln, max(int(state.losses), 1) if view else 1))


def loss_D_text(notation: Profile | None, state: Any, digits: int = 4) -> str:
    """The board's ℓ_D as every view writes it (the header's "so far", the end of an epoch, the NN diagram):
    :func:`loss_D_num` at ``digits``, exact past the floats."""
    if state.loss_D_ln is None:  # a float's own number (every state but one past the floats): as num writes it
        return num(loss_D_shown(notation, state), digits)
    return TextPrinter(digits).p(loss_D_num(notation, state))


def _mean_ln(ln: float | None, k: int) -> float | None:
    """ln(x/k) from ln x (None: x is a float's own number)."""
    return None if ln is None else ln - math.log(k) if k > 1 else ln


def running_loss(state: Any, value: float, n: int | str | None, notation: Profile | None = None,
                 ln: float | None = None) -> Equation:
    """ℓ_D after example n's loss ``value``: ℓ_D ← ℓ_D + ℓ⁽ⁿ⁾ (the lecture's sum), or in a mean profile the mean of the
    k losses so far, ℓ_D ← ((k − 1) ℓ_D + ℓ⁽ⁿ⁾)/k with k and k − 1 written as the numbers they are: the k − 1 losses'
    sum and this one over their count, ng's J = (1/m) Σ L over the examples so far, each number written once
    (ℓ_D ← ℓ⁽ⁿ⁾ for the epoch's first). ``ln``: ℓ⁽ⁿ⁾'s logarithm where it is past the floats (the loss line's
    result), so that it reads as there; ℓ_D before and after from the exact sum's (State.loss_D_ln_before,
    State.loss_D_ln), as the header writes them."""
    k = int(state.losses)
    after_ln, before_ln = state.loss_D_ln, state.loss_D_ln_before
    if not loss_D_view(notation) or k < 1:
        before = state.loss_D - value
        return Equation(LOSS_D, (add(LOSS_D, loss_sym(n)), add(Num(before, means=LOSS_D, ln=before_ln),
                                                                 Num(value, Ref("loss"), ln=ln)),
                                 Num(state.loss_D, Ref("loss_D"), ln=after_ln)), "←", {LOSS_D: before, loss_sym(n): value})
    result = Num(state.loss_D / k, Ref("loss_D", view=loss_D_view(notation)), ln=_mean_ln(after_ln, k))
    if k == 1:
        return Equation(LOSS_D, (loss_sym(n), result), "←", {loss_sym(n): value})
    before = (state.loss_D - value) / (k - 1)
    K, before_k = Num(float(k), exact=True), Num(float(k - 1), exact=True)

    def mean(total: Node, new: Node) -> Node:
        return Op("/", (add(total if k == 2 else mul(before_k, total), new), K))

    return Equation(LOSS_D, (mean(LOSS_D, loss_sym(n)), mean(Num(before, means=LOSS_D, ln=_mean_ln(before_ln, k - 1)),
                                                             Num(value, Ref("loss"), ln=ln)), result),
                    "←", {LOSS_D: before, loss_sym(n): value})


def _output_delta(net: Network, state: State, step: Step) -> Equation:
    L = net.L
    act, loss = net.act(L).name, net.loss
    s_L, o_L, y = state.s[L], state.o[L], state.y
    assert s_L is not None and o_L is not None and y is not None
    env: dict = {s(L): s_L, o(L): o_L, Y: y, **_alpha(net, L)}
    values = {o(L): _arr(o_L, "o", L), Y: _arr(y, "y")}
    result = _arr(step.value, "delta", L)
    if loss.grad_formula is None:  # cross-entropy with its canonical output: f′ cancels
        total = float(np.sum(y))
        if act == "softmax" and total != 1.0:
            yk = Sym("y", None, ("k",))
            rhs: Node = sub(mul(Sum("k", yk), o(L)), Y)
            env[yk] = y
            numbers = sub(mul(Num(total, means=Sum("k", yk)), values[o(L)]), values[Y])
            return Equation(delta(L), (rhs, numbers, result), bindings=env)
        cancelled = sub(o(L), Y)
        return Equation(delta(L), (cancelled, substitute(cancelled, values), result), bindings=env)
    grad = loss.grad_formula(o(L), Y)
    if act == "softmax":  # δ = J ∂ℓ/∂o with the softmax's full Jacobian J = diag(o) − o oᵀ
        J = fprime(net, L, s(L), o(L))
        rhs = Op("@", (J, grad))
        J_value = np.diag(o_L) - np.outer(o_L, o_L)
        numbers = Op("@", (Arr(J_value, means=J), _arr(loss.grad_o(o_L, y) if loss.grad_o else 0.0, means=grad)))
        return Equation(delta(L), (rhs, numbers, result), bindings=env)
    df = fprime(net, L, s(L), o(L))
    if net.act(L).derivative_is_one:
        return Equation(delta(L), (grad, substitute(grad, values), result), bindings=env)
    product = mul(grad, df)
    fp = net.df(L, s_L, o_L)
    filled = mul(substitute(grad, values), _arr(fp, means=df))
    return Equation(delta(L), (product, filled, result), bindings=env)


def _hidden_delta(net: Network, state: State, step: Step, l: int) -> Equation:
    W_next, d_next, s_l, o_l = state.W[l + 1], state.delta[l + 1], state.s[l], state.o[l]
    assert d_next is not None and s_l is not None and o_l is not None
    back = Op("drop0", (Op("@", (Op("T", (W(l + 1),)), delta(l + 1))),))
    result = _arr(step.value, "delta", l)
    if net.act(l).derivative_is_one:  # δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:], no factor 1
        return Equation(delta(l), (back, result), bindings={W(l + 1): W_next, delta(l + 1): d_next},
                        note=IDENTITY_NOTE)
    df = fprime(net, l, s(l), units(net, l))  # on o⁽ˡ⁾[1:]: the units' outputs, without the bias entry
    rhs = mul(back, df)
    env = {W(l + 1): W_next, delta(l + 1): d_next, s(l): s_l, o(l): o_l, **_alpha(net, l)}
    back_value = (W_next.T @ d_next)[1:]
    fp = net.df(l, s_l, o_l[1:])
    numbers = mul(_arr(back_value, means=back), _arr(fp, means=df))
    return Equation(delta(l), (rhs, numbers, result), bindings=env)


def profile_for(notation: Profile, kind: Any = None) -> Profile:
    """``notation`` as it shows the W, G and optimizer state of a layer of ``kind``: itself, but for a kind whose
    kernels stay rows (``LayerKind.kernels_as_rows``: a map's) the profile with column vectors, in every profile
    (cs231n turns a dense W around, D × C, not a convolution's kernels)."""
    if kind is not None and notation.vectors == "row" and kind.kernels_as_rows:
        return replace(notation, vectors="column")
    return notation


def layer_parts(notation: Profile, quantity: str, kind: Any = None) -> tuple[str, ...]:
    """The parts (profiles.VIEWS) ``notation`` shows a layer's ``quantity`` ("W", "G"; an optimizer's state as W)
    as, for its ``kind`` (:func:`profile_for`): ``Profile.parts``, a map's kernels a row each."""
    return profile_for(notation, kind).parts(quantity)


def layer_ref(ref: Ref, notation: Profile, L: int, kinds: Sequence[Any] = ()) -> Ref:
    """profiles.shown_ref of a board Ref in a network of ``kinds``: the part and index that hold its number as the
    panels and the step lines show it, a W or G of a layer whose kernels stay rows (:func:`layer_parts`) in its
    stored form in every profile; a per-τ o with its 1 on top of each row as ``rows_with_one`` says."""
    from .kind import rows_with_one

    l = ref.layer
    if ref.quantity in ("W", "G") and isinstance(l, int) and 0 < l <= len(kinds):
        notation = profile_for(notation, kinds[l - 1])
    return shown_ref(ref, notation, L, rows_with_one(kinds))


def _update_equations(opt: Optimizer, state: State, step: Step, bias: tuple[int, ...] = (0,),
                      notation: Profile | None = None, m: int = 1, kinds: Sequence[Any] = ()) -> Iterator[Equation]:
    """The optimizer's equations (its table's trees) with this update's numbers; in a profile with a
    separate bias, once for W (without column 0) and once for b (column 0), a recurrent layer's once per part
    (W, U, b and a GRU's b_h, each with its own gradient and optimizer state: m_U, v_U); in a mean profile with
    the gradient as G/m for the group's m examples: W − η·(m·G/m), every number the same. One at a time, as
    they are printed: the equation line stops at the one that fills its lines (:func:`equation`)."""
    l = step.key.layer
    assert l is not None
    W0, W1, G_l = step.before, step.value, state.G[l]
    assert isinstance(W0, np.ndarray)
    g = regularised(W0, G_l, opt.l2, bias)
    W_tilde = np.array(W0, dtype=float)
    W_tilde[:, bias] = 0.0
    before: dict[Node, Any] = {W(l): W0}
    after: dict[Node, Any] = {W(l): W1, G(l): G_l, Sym("g", l, vector=True): g,
                             Sym("W", l, accent="tilde", vector=True): W_tilde}
    params: dict[Node, Any] = {**hyper_parameters(opt)}
    shown: dict[Node, Node] = {sym: Num(float(v), exact=True) for sym, v in params.items()}
    states: list[Sym] = []
    velocity = notation.velocity if notation is not None else "sum_of_gradients"
    if step.opt is not None and step.opt_before is not None:
        for name, value in step.opt.arrays().items():  # as the profile's formulas hold them (goodfellow's −η v)
            before[Sym(name, l, vector=True)] = state_written(opt, name, step.opt_before.arrays()[name], velocity)
            after[Sym(name, l, vector=True)] = state_written(opt, name, value, velocity)
            states.append(Sym(name, l, vector=True, own=opt.name))
        if opt.name == "adam" and step.opt.m is not None and step.opt.v is not None:
            t = step.opt.t
            after[Sym("t")] = t
            shown[Sym("t")] = Num(float(t), exact=True)
            b1, b2 = opt.beta1, opt.beta2
            after[Sym("m", l, accent="hat", vector=True)] = step.opt.m / (1.0 - b1**t)
            after[Sym("v", l, accent="hat", vector=True)] = step.opt.v / (1.0 - b2**t)
            states += [Sym("m", l, accent="hat", vector=True, own="adam"), Sym("v", l, accent="hat", vector=True, own="adam")]
    mean = notation is not None and notation.mean
    M = group_symbol(opt, kinds)
    if mean:
        after[G(l)] = G_l / m
        params[M] = m
        shown[M] = Num(float(m), exact=True)
    # the parts of W (and of G, the optimizer's state) the profile shows (profiles.PARTS): the whole, or W
    # without its bias column (transposed with row vectors) and then b; the quiz hides them, exercises blank them
    # a layer whose kind updates parts of its own (a recurrent layer's W, U, b, b_h: LayerKind.update_parts), each
    # part as the profile shows it (Profile.part_view), its gradient's the same columns (G/m in a mean profile)
    own = kinds[l - 1].update_parts(l) if kinds and notation is not None and notation.separate_bias else []
    plan: list[tuple[str, str, Any]]
    if own:
        assert notation is not None
        plan = [(notation.part_view(p), notation.part_view(p) + PER[notation.gradient_mode], p) for p in own]
    else:
        kind = kinds[l - 1] if kinds else None  # W, its gradient and its state as its panel shows them
        parts = layer_parts(notation, "W", kind) if notation is not None else ("",)
        plan = [(v, g, None) for v, g in zip(parts, layer_parts(notation, "G", kind) if notation is not None else parts)]
    known = {**params, **after}
    names_of_states = tuple(st.base + st.accent for st in states)
    for i, (view, gview, own_part) in enumerate(plan):
        def part(v: Any, view: str = view) -> Any:
            return shown_value(v, view) if isinstance(v, np.ndarray) and v.ndim == 2 else v

        # every number the equations read, by the name this part gives it, as this part shows it: taken when an
        # equation first names it (once a part), so that the first equation printed takes only its own
        taken: dict[Node, Any] = {}

        def shown_part(sym: Node) -> Any:
            if sym not in taken:
                taken[sym] = part(known[sym])
            return taken[sym]

        key = (id(opt), id(kinds), id(notation), l, i, mean, names_of_states)
        formulas = _PART_FORMULAS.get(key)
        if formulas is None or not formulas.made_for(opt, kinds, notation):
            if len(_PART_FORMULAS) >= 512:
                _PART_FORMULAS.clear()
            formulas = _PART_FORMULAS[key] = _PartFormulas(opt, l, notation, kinds, states, tuple(known), mean, M,
                                                           view, gview, own_part)
        for k in range(len(formulas)):
            lhs0, rel, lhs, rhs, reads, result_ref = formulas.entry(k)
            env: dict[Node, Any] = {}
            for sym, new, old, _ref in reads:  # an update's left side with its value before it (W ← W − η G)
                env[new] = part(before[lhs0]) if old else shown_part(sym)
            values = dict(shown)
            for _sym, new, _old, ref in reads:
                if ref is not False:  # a vector's numbers, named by its part's Ref (W's, G's) or by itself
                    values[new] = _shown(env[new], ref, means=None if ref else new)
            result = _shown(part(after[lhs0]), result_ref)
            yield Equation(lhs, (rhs, substitute(rhs, values), result), rel, env)


class _PartFormulas:
    """The symbolic side of one part's update equations: the optimizer's formulas (``update_formulas``) as the part
    of layer ``l``'s update writes them, each with what it reads, made one at a time as they are first printed and
    kept (:data:`_PART_FORMULAS`): the same for every update of the layer. An entry (:meth:`entry`): the lecture's
    left side, the relation, the left and right sides as the part names them, its reads and the result's Ref; a
    read: the lecture's symbol among ``known``, its name here, whether it is the left side's value before the
    update, and the Ref its numbers are written with (None: a vector written as itself; False: not a vector), for
    each symbol the equation names, in the order of ``known``, then the left side's own when it is not among them."""

    def __init__(self, opt: Optimizer, l: int, notation: Profile | None, kinds: Sequence[Any], states: Sequence[Sym],
                 known: tuple[Node, ...], mean: bool, M: Sym, view: str, gview: str, own_part: Any) -> None:
        self.opt, self.kinds, self.notation, self.l, self.known = opt, kinds, notation, l, known
        names, grad = _update_names(l, states, mean, view == "b", M, own_part)
        if kinds and notation is not None and own_part is None:
            names, grad = _kind_names(names, grad, l, kinds[l - 1].profiled_names(l, notation).syms)
        self.names, self.grad = names, grad
        self.refs: dict[Node, Ref] = {names.get(W(l), W(l)): Ref("W", l, view=view), grad: Ref("G", l, view=gview)}
        G_l = G(l)
        self.named = [(sym, grad if sym == G_l else names.get(sym, sym)) for sym in known]
        velocity = notation.velocity if notation is not None else "sum_of_gradients"
        self.formulas = update_formulas(opt, l, velocity=velocity)
        self.made: list[tuple] = []

    def made_for(self, opt: Optimizer, kinds: Sequence[Any], notation: Profile | None) -> bool:
        """Whether these are the formulas of the objects whose ids keyed them (an id is reused once one is gone)."""
        return self.opt is opt and self.kinds is kinds and self.notation is notation

    def __len__(self) -> int:
        return len(self.formulas)

    def entry(self, k: int) -> tuple:
        while len(self.made) <= k:
            self.made.append(self._make(*self.formulas[len(self.made)]))
        return self.made[k]

    def _make(self, lhs0: Sym, rel: str, rhs0: Node) -> tuple:
        names, grad, refs = self.names, self.grad, self.refs
        lhs, rhs = names.get(lhs0, lhs0), substitute(rhs0, names)
        assert isinstance(lhs, Sym)
        used = {n for n in walk(rhs) if isinstance(n, Sym)}
        used.add(lhs)
        before = rel == "←"
        reads = [(sym, new, before and sym == lhs0) for sym, new in self.named
                 if new in used or not isinstance(new, Sym)]
        if before and lhs0 not in self.known:
            reads.append((lhs0, grad if lhs0 == G(self.l) else names.get(lhs0, lhs0), True))
        written = tuple((sym, new, old, (refs.get(new) if not (new == lhs and before) else None)
                         if isinstance(new, Sym) and new.vector else False) for sym, new, old in reads)
        return lhs0, rel, lhs, rhs, written, refs.get(lhs)


# the symbolic side of each part's update equations (_PartFormulas), by the ids of the optimizer, the network's
# kinds and the profile, the layer, the part's place in its plan, the mean and the optimizer's states: made once
_PART_FORMULAS: dict[tuple, _PartFormulas] = {}


def _kind_names(names: dict[Node, Node], grad: Sym, l: int, syms: dict[str, Node]) -> tuple[dict[Node, Node], Sym]:
    """:func:`_update_names`' names with the layer's own parameters' (``LayerKind.profiled_names``: a layer
    norm's γ and β and their gradients for W, b and theirs)."""
    rename: dict[Node, Node] = {sym: syms[q] for q, sym in (("W", W(l)), ("b", b(l)), ("G", G(l)), ("Gb", Gb(l)))
                                if q in syms and syms[q] != sym}
    if not rename:
        return names, grad
    if G(l) in rename:  # the mean's own node (G_MEAN: printed alike, substituted once)
        mean = rename[G(l)]
        rename[G_MEAN(l)] = replace(mean, latex="G") if isinstance(mean, Sym) else mean
    out = {key: substitute(value, rename) for key, value in names.items()}
    out.setdefault(W(l), rename.get(W(l), W(l)))
    new = rename.get(grad, grad)
    assert isinstance(new, Sym)
    return out, new


def _update_names(l: int | str, states: Sequence[Sym], mean: bool, of_bias: bool, M: Sym = M, part: Any = None
                  ) -> tuple[dict[Node, Node], Sym]:
    """What a profile's update writes for the lecture's symbols of ``update_formulas``, and its
    gradient's symbol: the bias's (``of_bias``: W → b, G → ∂ℓ/∂b, g → g_b, the optimizer's ``states``
    with their b), a kind's ``part`` (engine/kind.py's ``ParameterPart``: a recurrent layer's U → U, G → ∂ℓ/∂U,
    g → g_U, W̃ → Ũ, the states m_U, v_U; b_{h}'s m_{b_h}), and with a ``mean`` gradient G as m·(G/m): plain
    sgd W − (η·m) G/m."""
    names: dict[Node, Node] = {}
    if part is not None and part.state_sub:
        sub = part.state_sub
        names = {W(l): part.sym, G(l): part.grad, Sym("g", l, vector=True): Sym("g", l, sub, vector=True),
                 Sym("W", l, accent="tilde", vector=True): replace(part.sym, accent="tilde"),
                 **{st: replace(st, sub=sub) for st in states}}
    elif of_bias:
        names = {W(l): b(l), G(l): Gb(l), Sym("g", l, vector=True): Sym("g", l, ("b",), vector=True),
                 Sym("W", l, accent="tilde", vector=True): Sym("b", l, accent="tilde", vector=True),
                 **{st: replace(st, sub=("b",)) for st in states}}
    grad = names.get(G(l), G_MEAN(l) if mean else G(l))
    assert isinstance(grad, Sym)
    names[G(l)] = group(mul(M, grad)) if mean else grad
    if mean:
        names[mul(ETA, G(l))] = mul(group(mul(ETA, M)), grad)
    return names, grad


def equation(net: Network, state: State, step: Step, digits: int = 4, lr: float = 0.0, l2: float = 0.0,
             optimizer: Optimizer | None = None, pos: tuple[int, ...] | None = None,
             notation: Profile | None = None, limit: int | None = None) -> str:
    """Step ``step``'s equations as text; updates use ``optimizer`` (or plain sgd with ``lr`` and ``l2``);
    in the ``notation`` profile's symbols and grouping (None: the lecture's). ``limit``: the reader
    shows at most that many characters (the app's three lines): the equations after the one that
    reaches it are not printed, and the text is the whole text's beginning (an optimizer's update
    is three equations of thousands of characters)."""
    opt = optimizer or Optimizer("sgd", lr, l2)
    printer = TextPrinter(digits, notation=notation)
    parts: list[str] = []
    eqs: Iterable[Equation]
    if limit is not None and step.key.phase == UPDATE and not any(k.claims_step(net, step.key) for k in net.kinds):
        eqs = _update_of(net, state, step, opt, notation)  # the same equations, built as they are printed
    else:
        eqs = step_equations(net, state, step, opt, pos, notation)
    shown = 0  # characters of the text so far
    for e in eqs:
        if parts:
            shown += len(SEPARATOR)
        # an equation that reaches the limit is printed as far as the form that reaches it
        parts.append(printer.equation(e, None if limit is None else limit - shown))
        shown += len(parts[-1])
        if limit is not None and shown >= limit:
            break
    return SEPARATOR.join(parts)


def _update_of(net: Network, state: State, step: Step, optimizer: Optimizer, notation: Profile | None
               ) -> Iterator[Equation]:
    """An update step's equations one at a time, as :func:`_step_equations` writes them (a step no kind
    claims): :func:`dense_step_equations`' or, in a profile that separates b or means G,
    :func:`profiled_step_equations`'."""
    l = step.key.layer
    assert l is not None
    bias = net.kinds[l - 1].bias_columns
    if notation is not None and (notation.separate_bias or notation.mean):
        m = group_size(net, step.key) if notation.mean else 1
        return _update_equations(optimizer, state, step, bias, notation, m, net.kinds)
    return _update_equations(optimizer, state, step, bias)


SEPARATOR = ";   "  # between the equations of one step


def step_equation(stepper: Any, step: Step, digits: int = 4, pos: tuple[int, ...] | None = None,
                  limit: int | None = None) -> str:
    """The equation of ``step``, just done by ``stepper``, with its network's optimizer, as text in
    the stepper's notation (``pos``: where a map step's scalar form is worked out, e.g. the app's cursor;
    ``limit``: as for :func:`equation`)."""
    return equation(stepper.net, stepper.state, step, digits, optimizer=stepper.spec.optimizer, pos=pos,
                    notation=stepper.notation, limit=limit)


def value_json(value: Any) -> object:
    """A step's value for JSON: a number or nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return float(value)


__all__ = ["step_equations", "step_equation", "equation", "symbol", "step_symbol", "value_json", "value_node"]


def network_formulas(net: Network, opt: Optimizer, notation: Profile | None = None,
                     _over_time_in: Profile | None = None) -> list[Equation]:
    """The network's rules as the lecture writes them, without numbers, from the same tables as the
    step equations: each layer's o⁽ˡ⁾ and f′, the loss, δ⁽ᴸ⁾, δ⁽ˡ⁾, G⁽ˡ⁾ and the update (for the help
    screen, the export's notation and the diagrams); grouped as ``notation`` groups the steps (a
    separate b: s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ + b⁽ˡ⁾ first, the gradients and updates of W and b apart; a mean
    gradient: G/m), for a network whose layers follow it (:func:`profile_fits`). A layer over time writes
    its own lines as the profile groups them in every profile but the lecture's (a course's with the bias in
    column 0 and the sum too: its W's and U's gradients apart, as its panel names them; ``_over_time_in``)."""
    if notation is not None and notation.name != "lecture13":  # f′ as the profile's dense lines write it
        regrouped = notation.separate_bias or notation.mean
        written = _profile_formulas(net, opt, notation) if regrouped else network_formulas(net, opt, None, notation)
        return [profiled_fprime(eq, net.L) for eq in written]
    L = net.L
    eqs: list[Equation] = []
    kinds = net.kinds if net.spec.is_v2 else ()
    generic: list[int] = []  # the layers the general rules below write (no lines of their kind's own)
    for l in range(1, L + 1):
        f = net.act(l).value(s(l))
        kind = kinds[l - 1] if kinds else None
        if kind is not None and kind.over_time and _over_time_in is not None:
            lines = kind.profiled_rules(net, l, _over_time_in)
        else:
            lines = kind.rules(net, l) if kind is not None else None
        if lines is not None:  # the kind's own lines (core/kinds/: through time, a map layer's)
            eqs.extend(lines)
            continue
        generic.append(l)
        if kind is not None and getattr(kind, "after_map", False):
            eqs.append(Equation(s(l), (Op("@", (W(l), Op("cat1", (Op("vec", (o(l - 1),)),)))),)))
        eqs.append(Equation(o(l), (Op("cat1", (f,)) if l < L else f,)))
        if net.act(l).name != "softmax":
            eqs.append(Equation(fprime_label(l), (fprime(net, l, s(l), units(net, l)),)))
    act = net.act(L).name
    eqs.append(Equation(loss_sym("n"), (net.loss.formula(Sym("o", L, ("k",)), Sym("y", None, ("k",)), act),)))
    loss = net.loss
    if loss.grad_formula is None:
        # a target that does not sum to 1: the step's own form (delta_L_equation), in the notation's letters
        yk = Sym("y", None, ("k",))
        eqs.append(Equation(delta(L), (sub(o(L), Y),),
                            note="cross-entropy: f′ cancels" + ("; {} when {} ≠ 1" if act == "softmax" else ""),
                            note_syms=(sub(mul(Sum("k", yk), o(L)), Y), Sum("k", yk)) if act == "softmax" else ()))
    elif act == "softmax":
        eqs.append(Equation(delta(L), (Op("@", (fprime(net, L, s(L), o(L)), loss.grad_formula(o(L), Y))),)))
    else:
        grad = loss.grad_formula(o(L), Y)
        eqs.append(Equation(delta(L), (grad if net.act(L).derivative_is_one else mul(grad, fprime(net, L, s(L), o(L))),)))
    if L > 1:
        eqs.append(Equation(delta("l"), (mul(Op("drop0", (Op("@", (Op("T", (W("l+1"),)), delta("l+1"))),)),
                                             fprime_label("l")),)))
    for kind in kinds:  # once per network: δ below a convolution, its G, through a pooling layer
        for eq in kind.shared_rules(net):
            if not any((e.lhs, e.forms, e.rel) == (eq.lhs, eq.forms, eq.rel) for e in eqs):  # each block's alike
                eqs.append(eq)
    eqs += [Equation(G(l), (add(G(l), Op("outer", (delta(l), x))),), "←") for l, x in gradient_inputs(net, generic)]
    for lhs, rel, rhs in update_formulas(opt, "l"):
        eqs.append(Equation(lhs, (rhs,), rel))
    return eqs


def gradient_inputs(net: Network, layers: list[int]) -> list[tuple[int | str, Node]]:
    """What the gradient rule of the general ``layers`` multiplies δ⁽ˡ⁾ by (with the bias in column 0), as
    their steps write it (:func:`fed`): o⁽ˡ⁻¹⁾ for l, and a layer of its own, [1, o⁽ˡ⁻¹⁾], for each that reads
    a layer over time (whose o has no 1: parity's G⁽²⁾ ← G⁽²⁾ + δ⁽²⁾ [1, o⁽¹⁾]ᵀ); the general l only while a
    layer reads a plain o⁽ˡ⁻¹⁾ (or none is general)."""
    above = [l for l in layers if fed(net, l) != o(l - 1)]
    general: list[tuple[int | str, Node]] = [("l", o("l-1"))] if len(above) < len(layers) or not layers else []
    return general + [(l, fed(net, l)) for l in above]


def _sup(l: int | str) -> str:
    return sup(l)


def _profile_formulas(net: Network, opt: Optimizer, notation: Profile) -> list[Equation]:
    """:func:`network_formulas` for a dense network in a profile that regroups its steps, from the
    trees :func:`profiled_step_equations` fills in."""
    L, sep, rows = net.L, notation.separate_bias, notation.vectors == "row"
    eqs: list[Equation] = []
    kinds = net.kinds if net.spec.is_v2 else ()
    generic: list[int] = []  # the layers the general rules below write (no lines of their kind's own)
    for l in range(1, L + 1):
        kind = kinds[l - 1] if kinds else None
        lines = kind.profiled_rules(net, l, notation) if kind is not None else None
        if lines is not None:  # a kind's own lines in the profile (a map layer's b is its own already)
            eqs.extend(lines)
            continue
        generic.append(l)
        x: Node = o(l - 1) if sep else fed(net, l)  # above a layer over time: [1, o⁽ˡ⁻¹⁾], as its step writes it
        if kind is not None and getattr(kind, "after_map", False):  # a dense layer reading a map: vec(o)
            x = Op("vec", (o(l - 1),)) if sep else Op("cat1", (Op("vec", (o(l - 1),)),))
        product = Op("@", (x, W(l)) if rows else (W(l), x))
        eqs.append(Equation(s(l), (add(product, b(l)) if sep else product,)))
        f = net.act(l).value(s(l))
        eqs.append(Equation(o(l), (Op("cat1", (f,)) if l < L and not sep else f,)))
        if net.act(l).name != "softmax":
            eqs.append(Equation(Sym("f′", l, latex="f'"), (fprime(net, l, s(l), o(l) if sep else units(net, l)),)))
    lecture = network_formulas(net, opt)
    eqs += [eq for eq in lecture if eq.lhs in (loss_sym("n"), delta(L))]  # the loss and δ⁽ᴸ⁾ have no bias
    if L > 1:
        back = Op("@", (delta("l+1"), Op("T", (W("l+1"),))) if rows else (Op("T", (W("l+1"),)), delta("l+1")))
        eqs.append(Equation(delta("l"), (mul(group(back) if sep else Op("drop0", (back,)),
                                             Sym("f′", "l", vector=True, latex="f'")),)))
    for kind in kinds:  # once per network: δ below a convolution, its kernel's G (G/m), through a pooling layer
        for eq in kind.shared_rules(net, notation):
            if eq.rel == "←" and notation.mean and isinstance(eq.forms[0], Op) and eq.forms[0].op == "+":
                head, term = eq.forms[0].args
                eq = Equation(eq.lhs, (add(head, Op("/", (term, group_symbol(opt, kinds)))),), eq.rel, note=eq.note,
                              note_syms=eq.note_syms)
            if not any((e.lhs, e.forms, e.rel) == (eq.lhs, eq.forms, eq.rel) for e in eqs):  # each block's alike
                eqs.append(eq)
    inputs = [("l", o("l-1"))] if sep else gradient_inputs(net, generic)  # column 0: [1, o⁽ˡ⁻¹⁾] above a layer over time
    for n, x in inputs:
        outer = Op("outer", (x, delta(n)) if rows else (delta(n), x))
        for lhs, term in ((G(n), outer), (Gb(n), delta(n)))[:2 if sep else 1]:
            eqs.append(Equation(lhs, (add(lhs, Op("/", (term, group_symbol(opt, kinds))) if notation.mean else term),),
                                "←"))
    # W's and b's update, then the parts a kind updates on lines of their own (a recurrent layer's U, a GRU's
    # b_h: LayerKind.update_parts), once per network, as its update steps write them
    written: set[tuple[str, ...]] = {(), ("b",)}
    groups: list[tuple[bool, Any]] = [(False, None), (True, None)][:2 if sep else 1]
    for kind in kinds if sep else ():
        for part in kind.update_parts("l"):
            if part.state_sub not in written:
                written.add(part.state_sub)
                groups.append((False, part))
    for of_bias, part in groups:
        eqs += update_rules(opt, notation, kinds, of_bias, part)
    return eqs


def update_rules(opt: Optimizer, notation: Profile, kinds: Sequence[Any] = (), of_bias: bool = False, part: Any = None,
                 velocity: str | None = None) -> list[Equation]:
    """The update of layer l's weights (``of_bias``: its b; a kind's ``part``) as profile ``notation`` writes its
    update steps, without numbers (the help's lines, :func:`network_formulas`): the optimizer's rule in the
    profile's letters, a mean profile's m·(G/m). ``velocity``: momentum's v as another convention writes it
    (optim.VELOCITIES; PyTorch's is "sum_of_gradients"), the profile's own by default."""
    states = [Sym(n, "l", accent=a, vector=True, own=opt.name if opt is not None else "")
              for n, a in (("m", ""), ("v", ""), ("m", "hat"), ("v", "hat"))]
    names, _ = _update_names("l", states, notation.mean, of_bias, group_symbol(opt, kinds), part)
    eqs = []
    for lhs, rel, rhs in update_formulas(opt, "l", velocity=notation.velocity if velocity is None else velocity):
        new = names.get(lhs, lhs)
        assert isinstance(new, Sym)
        eqs.append(Equation(new, (substitute(rhs, names),), rel))
    return eqs

"""``bptui export --format pytorch|numpy --notation P``: the program in a notation profile other than lecture13
(core/formulas/profiles.py): the profile's names, bias and vectors.

The lecture13 program (:mod:`.lecture`) is left as it is; in any other profile the program holds each quantity as
the profile writes it (W and b apart, rows, a mean gradient) and checks bptui's values converted to that layout by
the views the panels use (profiles.shown_value of Profile.parts): ``_shown_step``. Each layer kind writes its lines
(``LayerKind.profiled_code``)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.engine.schedule import (BACKWARD, FORWARD, LOSS, backward_order, example_block, forward_order,
                                    sequence_runs)
from ..core.util.errors import SpecError
from . import common
from .common import ACTIVATION_CODE, ATOL, ERF_CODE, RTOL, Run, Writer, packages, _loss_torch, _per_step_y


# names a profile's identifiers must not take (the program's own)
RESERVED = frozenset({"np", "torch", "F", "X", "Y", "DATA", "EXPECTED", "PARTS", "check", "checker", "m", "m0", "n",
                      "e", "group", "y", "main", "Done", "erf", "math", "optimizer", "Path", "FIRST", "LAST", "RTOL",
                      "ATOL", "SOURCE", "NAME", "g", "assert_close", "assert_allclose", "sliding_window_view"})


def _ident(text: str, fallback: str) -> str:
    """A profile's symbol as a Python name: its ASCII letters and digits, a Greek letter by its name (δ → delta,
    η → eta), ℓ → ell, a letterlike letter by its plain one (ng's ℒ → L); ``fallback`` when nothing of it makes a
    name."""
    import keyword
    import unicodedata

    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch if ch.isalnum() or ch == "_" else "")
            continue
        name = unicodedata.name(ch, "")
        for prefix, case in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.capitalize)):
            if name.startswith(prefix):
                out.append(case(name[len(prefix):].replace(" ", "_")))
        if name == "SCRIPT SMALL L":
            out.append("ell")
        elif name.startswith(("SCRIPT ", "BLACK-LETTER ", "DOUBLE-STRUCK ", "MATHEMATICAL ")) and unicodedata.normalize("NFKC", ch).isascii():
            out.append(unicodedata.normalize("NFKC", ch))
    ident = "".join(out)
    return ident if ident.isidentifier() and not keyword.iskeyword(ident) else fallback


def _partial(P: Any, of: str, printed: bool) -> str:
    """The profile's gradient of ``of`` (a name, or its printed symbol): its symbol with ``of`` in its place
    (ng's dW, nielsen's ∂C/∂w), else ∂ loss/∂ ``of``; as a Python name: the symbol itself where it is one
    (dW, dh), else d{loss}_d{of} (nielsen's dC_dw, goodfellow's dJ_dW)."""
    from ..core.formulas.profiles import HOLE

    g, loss = P.gradient.text, P.loss.text
    if printed:
        return g.replace(HOLE, of) if HOLE in g else f"∂{loss}/∂{of}"
    direct = g.replace(HOLE, of)
    if HOLE in g and direct.isascii() and direct.isidentifier():
        return direct
    return f"d{_ident(loss, 'loss')}_d{of}"


def _profile_names(P: Any, L: int, kinds: Any = ()) -> dict[int, dict[str, str]]:
    """Each layer's names in the program (LayerKind.profiled_code's ``n``): identifiers and, under "~" keys,
    the symbols as bptui prints them in the profile (a recurrent layer's U, a GRU's U bias b_h and their gradients
    too); refused (a SpecError) where two quantities would be one name."""
    from ..core.engine import equations as E
    from ..core.formulas.formula import Sym, TextPrinter
    from ..core.formulas.profiles import HOLE
    from ..core.kinds.rnn.equations import U
    from ..core.kinds.rnn.profiled import u_bias, u_bias_grad

    p = TextPrinter(notation=P).p
    own = HOLE not in P.gradient.text  # a gradient of a letter of its own (a course's G with the bias in W)
    base = {q: _ident(P.symbol(q).text, fb) for q, fb in (("pre_activation", "z"), ("activation", "a"),
                                                          ("delta", "dz"), ("weights", "W"), ("bias", "b"))}
    out = {}
    for l in range(0, L + 1):
        k, below = str(P.layer_number(l)), str(P.layer_number(l - 1))
        n = {"W": base["weights"] + k, "b": base["bias"] + k, "z": base["pre_activation"] + k,
             "a": base["activation"] + k, "a_in": base["activation"] + below, "dz": base["delta"] + k,
             "dW": (_ident(P.gradient.text, "G") if own else _partial(P, base["weights"], False)) + k, "db": _partial(P, base["bias"], False) + k,
             "da": _partial(P, base["activation"], False) + k, "da_in": _partial(P, base["activation"], False) + below,
             "~W": p(E.W(l)), "~b": p(E.b(l)), "~z": p(E.s(l)), "~a": p(E.o(l)), "~a_in": p(E.o(l - 1)),
             "~dz": p(E.delta(l)), "~dW": p(E.G(l)), "~db": p(E.Gb(l)), "~da": _partial(P, p(E.o(l)), True),
             "~da_in": _partial(P, p(E.o(l - 1)), True)}
        if 0 < l <= len(kinds) and kinds[l - 1].over_time:
            u = _ident(p(Sym("U")), "U")
            n.update({"U": u + k, "dU": _partial(P, u, False) + k, "~U": p(U(l)),
                      "~dU": p(Sym("G", l, ("U",), vector=True, group=True)),
                      "bh": base["bias"] + "h" + k, "dbh": _partial(P, base["bias"] + "h", False) + k,
                      "~bh": p(u_bias(l)), "~dbh": p(u_bias_grad(l))})
        out[l] = n
    every: dict[str, str] = {}
    for l, n in out.items():
        for key, name in n.items():
            if key.startswith("~") or key in ("a_in", "da_in") or (l == 0 and key not in ("a",)):
                continue
            if (name in every and every[name] != key) or name in RESERVED or not name.isidentifier():
                raise SpecError(f"the notation {P.name} writes two quantities, or one of the program's own names, "
                                f"as {name!r}: its program cannot name them apart")
            every[name] = key
    loss = _ident(P.per_example_loss.text, "loss") + "_n"  # one example's loss, as the profile writes it (ng's ℒ⁽ⁿ⁾)
    if loss in every or loss in RESERVED:
        raise SpecError(f"the notation {P.name} writes its loss as {loss!r}, a name the program uses already")
    out[0]["loss"], out[0]["~loss"] = loss, p(E.loss_sym("n"))
    return out


def _row(P: Any, a: Any) -> Any:
    """A layer's vector as a profile with row vectors holds it: a 1 × n row (cs231n's x is 1 × D)."""
    a = np.asarray(a)
    return a[None, :] if P.vectors == "row" and a.ndim == 1 else a


def _param_parts(P: Any, kind: Any, l: int) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """Layer l's parameters as the program holds them, each (its name's key in ``_profile_names``, its gradient's,
    the view of the lecture's stored matrix it is (profiles.VIEWS), the columns of that part L2 leaves alone): with
    a separate bias the profile's W and b (a recurrent layer's W, U, b and a GRU's b_h: its ``update_parts`` through
    ``Profile.part_view``, as the panels and the update steps show them); with the bias in column 0 the matrix
    whole (a recurrent layer's W block with its bias column and U's, as its G steps show them)."""
    from ..core.formulas.profiles import columns

    own = kind.update_parts(l)
    if own and P.separate_bias:
        keys = {(): ("W", "dW"), ("U",): ("U", "dU"), ("b",): ("b", "db")}
        return [(*keys.get(part.state_sub, ("bh", "dbh")), P.part_view(part), ()) for part in own]
    if own:
        (_, _), (u_first, _) = kind.matrix_parts(l)
        bias = kind.bias_columns
        return [("W", "dW", columns(0, u_first, whole=True), tuple(c for c in bias if c < u_first)),
                ("U", "dU", columns(u_first, None, whole=True), tuple(c - u_first for c in bias if c >= u_first))]
    from ..core.engine.equations import layer_parts

    if P.separate_bias:  # a map's kernels as its panel and its update line show them, a row per kernel (not W.T)
        return [("W", "dW", layer_parts(P, "W", kind)[0], ()), ("b", "db", "b", ())]
    return [("W", "dW", layer_parts(P, "W", kind)[0], (0,))]


def _shown_step(P: Any, key: Any, value: Any, m: int, kinds: Any) -> list[Any]:
    """bptui's value of a step (the lecture's layout) as the profile shows it, part by part: W and b apart (a
    recurrent layer's W, U, b: ``_param_parts``), a hidden o without its 1, G as the group's mean
    (profiles.shown_value of Profile.parts and part_view: the panels' views)."""
    from ..core.formulas.profiles import PER, shown_value

    q, l = key.quantity, key.layer
    if q == "loss":
        return [float(value)]
    kind = kinds[l - 1]
    if q != "G" and kind.board_quantity(q) == "G":  # a step of one block of G (attention's G_Q): G's views of it
        return [np.asarray(shown_value(np.asarray(value), view, m)) for view in P.parts("G")]
    if q in ("G", "W"):
        per = PER[P.gradient_mode] if q == "G" else ""
        return [np.asarray(shown_value(np.asarray(value), view + per, m)) for _, _, view, _ in _param_parts(P, kind, l)]
    return [_row(P, shown_value(np.asarray(value), view)) for view in P.parts(q, l < len(kinds) and kind.bias_entry)]


def _layout_words(P: Any, group: str = "m") -> str:
    """The header's words for how profile ``P`` lays the numbers out; ``group`` the update group's size as its
    panels print it (``~group``: |B| where the profile's m is taken)."""
    bias = ("the bias b apart from W" if P.separate_bias else "the bias in column 0 of W, with the 1 on top of each "
            "layer's vector")
    rows = ("row vectors (x is 1 × D, W is D × C: x W + b)" if P.vectors == "row" else "column vectors")
    grad = (f"each gradient as the update group's mean (1/{group}) Σ, and the update {P.weights.text} − "
            f"({P.learning_rate.text} {group})·(the mean), the same "
            "numbers" if P.mean else "each gradient as the update group's sum")
    return f"{bias}, {rows}, {grad}"


def profiled_codes(spec: Any, net: Any, fmt: str, P: Any, from_file: bool = False
                   ) -> tuple[dict[int, dict[str, str]], dict[int, Any]]:
    """Each layer's names in the program and its kind's lines (``LayerKind.profiled_code``); a kind that writes
    none, or a network with maps or with blocks over time, refused with a SpecError naming the kind, the profile
    as the command got it (``from_file``: the network file's "notation", else --notation) and the file."""
    said = f"--format {fmt} in the file's notation {P.name}" if from_file else f"--format {fmt} --notation {P.name}"
    out = "(--notation lecture13: the lecture13 program)"  # the way out either way: the option wins over the file's
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    try:
        names = _profile_names(P, spec.L, net.kinds)
        if net.recurrent:
            names = _own_sequence_names(P, net, names, _sequence_names(P, net, names, fmt == "pytorch"), fmt == "pytorch")
            if net.wiring is not None:
                names = _wired_sequence_names(P, net, names, fmt == "pytorch")
        else:
            names = _own_step_names(P, net, names, fmt == "pytorch")
            if any(k.is_map for k in net.kinds):
                names = _map_names(P, net, names, fmt == "pytorch")
            if net.wiring is not None:
                names = _wired_names(P, net, names, fmt == "pytorch")
        _group_names(P, spec, net, names)
        _activation_names(P, net, names)
        codes = {l: k.profiled_code(l, spec.L, names[l], row, sep, mean) for l, k in enumerate(net.kinds, start=1)}
    except SpecError as err:
        raise SpecError(f"{said}: {err.message} {out}", place=err.place, source=spec.source) from None
    stepping = next((k for k in net.kinds if k.is_map), None)
    if net.wiring is not None and stepping is not None:  # its own steps are not read along the wires yet
        raise SpecError(f"{said}: {stepping.type} layers in a network with blocks are not written in a notation "
                        f"profile's program yet {out}", source=spec.source)
    return names, codes


def _activation_names(P: Any, net: Any, names: dict[int, dict[str, str]]) -> None:
    """Each layer's ``~act``: its activation of its pre-activation as the panels and the trace print it (tanh(z^[1]),
    σ(z^[2]); at τ for a layer over time, tanh(a⁽²⁾_τ)), from the activation's own formula (``Activation.value``)
    of the symbol its ``~z`` prints; none where a kind's pre-activation is another symbol (a map's, a block's)."""
    from ..core.engine import equations as E
    from ..core.engine.kind import timed_layers
    from ..core.formulas.formula import TextPrinter
    from ..core.kinds.rnn import equations as RE

    p = TextPrinter(notation=P).p
    timed = timed_layers(net.kinds) if net.recurrent else [False] * len(net.kinds)
    for l in range(1, len(net.kinds) + 1):
        z = RE.sym("s", l, "τ") if timed[l - 1] else E.s(l)
        if p(z) == names[l].get("~z"):
            names[l]["~act"] = p(net.act(l).value(z))


def _group_names(P: Any, spec: Any, net: Any, names: dict[int, dict[str, str]]) -> None:
    """Each layer's ``~group``: the update group's size as the panels print it in the profile (``mean_divisor``'s, a
    gradient line's comment and the update's g = |B| dW): |B| where the profile's m is taken (Adam's first moment,
    dropout's mask; ``equations.group_symbol``), m otherwise."""
    from ..core.engine.equations import group_symbol
    from ..core.formulas.formula import TextPrinter

    group = TextPrinter(notation=P).p(group_symbol(spec.optimizer, net.kinds))
    for n in names.values():
        n["~group"] = group


def _own_step_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network without time: each layer whose kind writes steps of its own (``own_steps``: a layer norm's u, its
    o and ∂ℓ/∂x) gets names for its own quantities (``LayerKind.code_quantities``: its identifier's stem, made
    ∂{loss}/∂ of it as the profile writes gradients, and its symbol as the profile prints it), its parameters' in
    place of W, b and their gradients where the profile holds its b apart (γ and β), its rules as the panels
    print them (``~rule0`` …: the kind's ``profiled_rules``), and the library (``lib``)."""
    from ..core.formulas.formula import TextPrinter

    printer = TextPrinter(notation=P)
    lib = "torch" if torch else "np"
    out = dict(names)
    for l, kind in enumerate(net.kinds, start=1):
        own = getattr(kind, "code_quantities", None)
        if not getattr(kind, "own_steps", False) or own is None:
            continue
        k = str(P.layer_number(l))
        n = {**names[l], "lib": lib}
        unused = ("z", "dz") + (("W", "b", "dW", "db") if P.separate_bias else ())
        used = set(RESERVED) | {"mask", "tap"} | {v for m, ns in names.items() for key, v in ns.items() if not key.startswith("~")
                                              and not (m == l and key in unused) and key not in ("a_in", "da_in")}
        for key, (stem, grad, node) in own(l).items():
            if key in ("W", "b", "dW", "db") and not P.separate_bias:
                continue  # the bias in column 0: the layer's matrix whole, the dense names (M1, D1)
            n["~" + key] = printer.p(node)
            if stem is None:  # a symbol the comments print, no variable (the layer norm's ε)
                continue
            base = _partial(P, _ident(stem, key), False) if grad else _ident(stem, key)
            name = base + k if base + k not in used else f"{base}_{k}"
            used.add(name)
            n[key] = name
        n.update({f"~rule{i}": printer.equation(eq) for i, eq in enumerate(kind.profiled_rules(net, l, P) or ())})
        out[l] = n
    return out


def _map_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network with maps: each layer's names with the library (``lib``: np, or torch for F.conv2d), a map layer's
    symbols as its kind names them in the profile (``LayerKind.profiled_names``, as its panel shows them: the kernel
    W, b, z, a, δ and their gradients; a pooling layer's ∂ℓ/∂a, its kind's ``cell_sym``), and the layer above's
    ∂ℓ/∂ of its input the same."""
    from ..core.formulas.formula import TextPrinter

    p = TextPrinter(notation=P).p
    out = {l: {**n, "lib": "torch" if torch else "np"} for l, n in names.items()}
    for l, k in enumerate(net.kinds, start=1):
        if not k.is_map:
            continue
        syms, n = k.profiled_names(l, P).syms, out[l]
        n.update({f"~{key}": p(syms[q]) for key, q in (("W", "W"), ("b", "b"), ("dW", "G"), ("db", "Gb"), ("z", "s"),
                                                        ("a", "o"), ("dz", "delta")) if q in syms})
        if not k.has_s:  # a pooling layer's backward quantity is ∂ℓ/∂a
            n["~da"] = p(k.cell_sym("delta", l))
        if l < len(net.kinds):
            out[l + 1]["~a_in"], out[l + 1]["~da_in"] = n["~a"], n["~da"]
    return out


def _own_sequence_names(P: Any, net: Any, base: dict[int, dict[str, str]], names: dict[int, dict[str, str]],
                        torch: bool) -> dict[int, dict[str, str]]:
    """A network over time: a layer with steps of its own at each τ (a layer norm's, dropout's) gets its names as
    ``_own_step_names`` gives them beside the names at τ (``names``), each of its quantities of the moment a list
    held τ by τ (``u2[t]``, ``dx2[t]``; its ``{key}_list``), ``x_in`` its input without a 1 on top, ``at`` the τ
    its checks name (a layer that runs once, above a many-to-one layer, as without time), and ``own_lists`` the
    lists an example begins with. Its output and ∂ℓ/∂ of it are printed as its rules print them at each τ, without
    τ (``base``, the names without time: a⁽²⁾, as the panels print a layer norm's o⁽²⁾ = γ ⊙ u + β at τ)."""
    from ..core.engine.kind import timed_layers

    timed = timed_layers(net.kinds)
    steps = {l for l, kind in enumerate(net.kinds, start=1) if kind.own_steps and not kind.over_time}
    names = {l: {k: v for k, v in n.items() if l not in steps or k not in ("z_list", "dz_list")}  # no z, δ of its own
             for l, n in names.items()}
    own = _own_step_names(P, net, names, torch)
    out = dict(names)
    plain = {l for l, kind in enumerate(net.kinds, start=1) if own[l] is not names[l] and not kind.over_time}
    for l in plain:
        n = {**names[l], **{k: v for k, v in own[l].items() if names[l].get(k) != v},
             "~a": base[l]["~a"], "~da": base[l]["~da"]}
        if l - 1 in plain:
            n.update({"~a_in": base[l]["~a_in"], "~da_in": base[l]["~da_in"]})
        kind = net.kinds[l - 1]
        src = l - 1 if net.wiring is None else net.wiring.src[l]
        if not P.separate_bias and src > 0 and not net.kinds[src - 1].bias_entry:  # a recurrent layer's h: no 1 on top
            n["x_in"] = names[src]["a_list"] + ("[t]" if timed[l - 1] else "[T]" if timed[src - 1] else "")
            if net.kinds[src - 1].mixes_time:  # its output: one matrix, row τ − 1 at τ
                n["x_in"] = names[src]["a_list"] + (("[t - 1:t]" if P.vectors == "row" else "[t - 1]")
                                                    if timed[l - 1] else "[T - 1]")
        lists = [n["a_list"]]
        if timed[l - 1]:
            fixed = {"W", "b", "dW", "db"}
            for key, (stem, _, _) in kind.code_quantities(l).items():
                if stem is not None and key not in fixed:
                    lists.append(n[key])
                    n[f"{key}_list"], n[key] = n[key], n[key] + "[t]"
            n["at"] = ' f" (τ = {t})"'
        n["own_lists"] = ", ".join(lists)
        out[l] = n
    return out


def _sequence_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network over time: each layer's names at τ (``z1[t]``, ``a1[t - 1]``, ``dz1[t + 1]``; a layer that runs
    once, above a many-to-one layer, reads ``a1[T]``), its lists' names (``z_list`` …), the library (``lib``), what
    its W multiplies (``a_in``: with the bias in column 0, a recurrent layer's output with a 1 on top) and, in
    PyTorch, δ as autograd's ``z.grad``; the symbols at τ as bptui prints them in the profile."""
    from ..core.engine import equations as E
    from ..core.engine.kind import timed_layers
    from ..core.formulas.formula import Op, Sym, TextPrinter
    from ..core.kinds.rnn import equations as RE

    p = TextPrinter(notation=P).p
    kinds = net.kinds
    timed = timed_layers(kinds)
    whole = whole_sequence_layers(kinds)
    lib = "torch" if torch else "np"
    out = {0: {**names[0], "lib": lib, "a_list": names[0]["a"], "a": names[0]["a"] + "[t]"}}
    used = {v for n in names.values() for k, v in n.items() if not k.startswith("~")} | RESERVED  # the names taken
    names = _output_names(P, kinds, names, used)
    for l in range(1, len(kinds) + 1):
        b, src, at = names[l], (l - 1 if net.wiring is None else net.wiring.src[l]), timed[l - 1]
        ix = "[t]" if at and l not in whole else ""
        n = {**b, "lib": lib, "z_list": b["z"], "a_list": b["a"], "dz_list": b["dz"], "z": b["z"] + ix, "a": b["a"] + ix,
             "dz": (b["z"] + ix + ".grad") if torch else b["dz"] + ix, "da": b["da"],  # ∂ℓ/∂a at τ: a value of the moment
             "a_prev": b["a"] + "[t - 1]", "dz_next": b["dz"] + "[t + 1]", "a_first": b["a"] + "[0]"}
        below_timed = src == 0 or timed[src - 1]
        a_in = names[src]["a"] + ("[t]" if at else "[T]" if below_timed else "")
        if src > 0 and src in whole:  # its output: one matrix, row τ − 1 at τ (a 1 × d row with rows)
            a_in = names[src]["a"] + (("[t - 1:t]" if P.vectors == "row" else "[t - 1]") if at else "[T - 1]")
        sym_in = RE.sym("o", src, "τ") if at else RE.sym("o", src, "T") if below_timed else E.o(src)
        shown_in: Any = sym_in
        if not P.separate_bias and src > 0 and not kinds[src - 1].bias_entry:  # W [1, a]: the bias in column 0
            a_in = f"torch.cat([torch.ones(1), {a_in}])" if torch else f"np.concatenate([[1.0], {a_in}])"
            k = kinds[l - 1]  # what its W multiplies, as its steps print it (equations.fed): [1, v⁽¹⁾_T] (a layer norm's x: the units)
            shown_in = sym_in if k.own_steps or k.span or k.mixes_time else Op("cat1", (sym_in,))
        n["a_in"] = a_in
        if at:
            n.update({"~z": p(RE.sym("s", l, "τ")), "~a": p(RE.sym("o", l, "τ")), "~dz": p(RE.delta(l, "τ")),
                      "~a_prev": p(RE.sym("o", l, "τ−1")), "~dz_next": p(RE.delta(l, "τ+1")),
                      "~a_first": p(RE.sym("o", l, 0))})
        n["~a_in"] = p(shown_in)
        n["~da_in"] = _partial(P, p(sym_in), True)
        n["~da"] = _partial(P, n["~a"], True)
        kind = kinds[l - 1]
        out_name = getattr(kind, "output_name", "o")  # a recurrent kind's; a kind over time without one (attention) refuses below
        if kind.mixes_time:  # over the whole sequence at once: its own names, its input's rows, its printed rules
            n.update(_whole_sequence_names(P, net, l, b, out[src]["a_list"] if src in out else names[src]["a"], src,
                                           torch, used, whole))
        elif at and kind.over_time:
            own_out = kind.step_sym(out_name, l, "τ")  # a gated layer's h: its own symbol, read as a above
            n["~out"] = n["~a"] if own_out is None else p(own_out)
            if own_out is not None:
                n["~a_prev"] = p(kind.step_sym(out_name, l, "τ−1"))
                n["~a_first"] = p(kind.step_sym(out_name, l, 0))
            n.update({f"~gate_{g}": p(Sym("ō" if g == "o" else g)) for g in getattr(kind, "gate_order", "")})  # as its panels print them
            for key, said in getattr(kind, "code_symbols", lambda l: {})(l).items():  # its comments' own symbols and notes
                n["~" + key] = TextPrinter(notation=P).words(*said) if isinstance(said, tuple) else p(said)
            for q in kind.block_forward() + kind.block_backward():  # its own quantities at τ (an LSTM's gates, c, …)
                if q in ("s", "o", "delta", "G", out_name):
                    continue
                stem = _partial(P, q[1:], False) if q.startswith("d") and len(q) == 2 else q
                name = stem + str(P.layer_number(l))
                if name in used and not (q == "d" + out_name and name == b["da"]):  # (∂ℓ/∂h_τ is ∂ℓ/∂ of its a: cs231n's dh1)
                    name = f"{stem}_{P.layer_number(l)}"
                used.add(name)
                n.update({f"{q}_list": name, q: f"{name}[t]", f"{q}_prev": f"{name}[t - 1]", f"{q}_next": f"{name}[t + 1]",
                          f"{q}_first": f"{name}[0]"})
                n.update({f"~{q}{tail}": p(kind.step_sym(q, l, time)) for tail, time in
                          (("", "τ"), ("_prev", "τ−1"), ("_next", "τ+1"), ("_first", 0))})
        out[l] = n
    return out


def _fresh(stem: str, k: str, taken: set[str], used: set[str] | None = None) -> str:
    """A program name for ``stem`` of layer ``k`` that no other quantity has: ``stem`` + ``k`` (dx2), or
    ``stem``_``k`` (dx_2) where that is ``taken`` or no identifier; added to ``used`` (``taken`` itself unless
    given)."""
    name = stem + k
    if name in taken or not name.isidentifier():
        name = f"{stem}_{k}"
    (taken if used is None else used).add(name)
    return name


def _wired_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network with blocks (a residual block's skip, ``net.wiring``): each layer reads the output of the layer
    its wire comes from (``a_in``, ``da_in`` and their symbols: the block's input x, or in PyTorch the block's
    x as a tensor of its own, whose .grad is ∂ℓ/∂x); a block's own names: ``x``, ``F`` (its inner layers'
    output), ``dx`` (∂ℓ/∂x, the profile's gradient of x: ng's dx2, nielsen's dC_dx3), ``framework`` and its
    printed rules (``~rules``, one a line: the program's comments)."""
    from ..core.formulas.formula import TextPrinter

    p = TextPrinter(notation=P).p
    wires, kinds = net.wiring, net.kinds
    used = {v for n in names.values() for k, v in n.items() if not k.startswith("~")} | RESERVED
    out = {l: dict(n) for l, n in names.items()}

    def fresh(stem: str, l: int) -> str:
        return _fresh(stem, str(P.layer_number(l)), used)

    for l in range(1, len(kinds) + 1):
        n, kind = out[l], kinds[l - 1]
        if kind.span:
            n.update({"framework": "torch" if torch else "np", "F": out[wires.tail[l]]["a"],
                      "dx": fresh(_partial(P, "x", False), l), "~dx": p(kind.step_sym("dx", l, None)),
                      "~rules": "\n".join(f"{p(e.lhs)} {e.rel} {p(e.forms[0])}"
                                          for e in kind.profiled_rules(net, l, P) or ())})
            n["x"] = fresh("x", l) if torch else out[wires.src[l]]["a"]  # PyTorch: a tensor of its own
            n["~x"] = out[wires.src[l]]["~a"]
        src = wires.src[l]
        inside = wires.block[l]
        if torch and inside and l == inside + 1:  # the first inner layer reads its block's x
            n["a_in"] = out[inside]["x"]
        elif src != l - 1:
            n["a_in"] = out[src]["a"]
        n["~a_in"], n["da_in"], n["~da_in"] = out[src]["~a"], out[src]["da"], out[src]["~da"]
    return out


def _at_tau(eq: Any) -> Any:
    """A rule at τ (a block that runs at each τ): its vectors at τ (o, δ, ∂ℓ/∂x), its weights without, as a layer's
    rules at τ write them (z^[2]_τ = W^[2] a^[1]_τ + b^[2])."""
    from dataclasses import replace

    from ..core.formulas.formula import Equation, Partial, Sym, substitute, walk

    def timed(n: Any) -> bool:
        return isinstance(n, Sym) and n.layer is not None and n.base not in ("W", "b") and n.time is None

    nodes = [n for part in (eq.lhs, *eq.forms) for n in walk(part)]
    at: dict[Any, Any] = {n: replace(n, time="τ") for n in nodes if isinstance(n, Sym) and timed(n)}
    at.update({n: replace(n, bottom=at[n.bottom]) for n in nodes if isinstance(n, Partial) and timed(n.bottom)})  # ∂ℓ/∂x⁽⁵⁾_τ
    return Equation(substitute(eq.lhs, at), tuple(substitute(f, at) for f in eq.forms), eq.rel)


def whole_sequence_layers(kinds: Any) -> set[int]:
    """The layers of a network over time stepped over the whole sequence at once (the schedule's runs at once, as
    the lecture's program's ``whole``): a layer that mixes time steps, and a block holding one."""
    return {run[0] for run, at_once in sequence_runs(kinds, forward_order(kinds, len(kinds))) if at_once}


def _wired_sequence_names(P: Any, net: Any, names: dict[int, dict[str, str]], torch: bool) -> dict[int, dict[str, str]]:
    """A network over time with blocks (the lecture's ``_body_sequences``' wires): each layer reads the output its
    wire comes from (``_sequence_names``), a block's first inner layer in PyTorch its block's x, a tensor of its
    own (at τ, or its rows: ``x_list``); a block's names: its o (``a``; a matrix over the whole sequence, one row
    per τ, when it holds a layer that mixes time steps: ``rows``), ``x_units`` and ``F_units`` (its input's and
    its inner layers' output's units, at τ or as rows), ``dx`` (∂ℓ/∂x, the profile's gradient of x), ``XG`` (PyTorch:
    autograd's ∂ℓ/∂x), ``at`` (its checks' τ), its printed symbols and rules (``~rules``)."""
    from ..core.engine import equations as E
    from ..core.formulas.formula import TextPrinter

    p = TextPrinter(notation=P).p
    wires, kinds = net.wiring, net.kinds
    whole = whole_sequence_layers(kinds)
    sep, row, lib = P.separate_bias, P.vectors == "row", "torch" if torch else "np"
    used = {v for n in names.values() for k, v in n.items() if not k.startswith("~")} | RESERVED
    out = {l: dict(n) for l, n in names.items()}

    def fresh(stem: str, l: int) -> str:
        return _fresh(stem, str(P.layer_number(l)), used)

    def has_one(m: int) -> bool:  # its output holds the 1 on top (the bias in column 0)
        return not sep and (m == 0 or (kinds[m - 1].bias_entry and m < len(kinds)))

    def matrix(m: int) -> str:  # the output of a layer over the whole sequence (a layer mixing time steps: its o)
        return out[m]["o"] if m and kinds[m - 1].mixes_time else out[m]["a"]

    def at(m: int) -> str:  # layer m's output at τ, as it holds it
        if m in whole:
            return matrix(m) + ("[t - 1:t]" if row else "[t - 1]")
        return out[m]["a_list"] + "[t]"

    def rows(m: int) -> str:  # layer m's output, one row per τ
        if m in whole:
            return matrix(m)
        return f"{lib}.vstack({out[m]['a_list']}[1:T + 1])"

    def units(expr: str, m: int, many: bool) -> str:
        return expr if not has_one(m) else expr + ("[:, 1:]" if many else "[1:]")

    for l in range(1, len(kinds) + 1):
        n, kind = out[l], kinds[l - 1]
        src = wires.src[l]
        if kind.span:
            many = l in whole
            tail = wires.tail[l]
            n.update({"framework": lib, "rows": "1" if many else "", "at": "" if many else ' f" (τ = {t})"',
                      "~dx": p(kind.step_sym("dx", l, None)), "~x": p(E.o(src)) if many or (src and kinds[src - 1].mixes_time) else out[src]["~a"],
                      "~rules": "\n".join(f"{p(e.lhs)} {e.rel} {p(e.forms[0])}" for e in
                                          (r if many else _at_tau(r) for r in kind.profiled_rules(net, l, P) or ()))})
            dx = fresh(_partial(P, "x", False), l)
            n["dx_list"], n["dx"] = dx, dx if many else dx + "[t]"
            if many:
                n["a"], n["~a"] = out[l]["a_list"], p(E.o(l))
            x = rows(src) if many else at(src)
            if torch:
                name = fresh("x", l)
                kept = many and (l + 1) not in whole  # its first inner layer runs τ by τ: x kept at each τ
                n["x_list"] = name if kept or not many else ""
                x_at, x_rows = at(src), x
                if l > 1 and wires.block[l] == l - 1:  # the first layer inside a block: it reads that block's x
                    outer = out[l - 1]
                    x_at = outer["x_name"] if outer["x_list"] else outer["x_name"] + ("[t - 1:t]" if row else "[t - 1]")
                    x_rows = f"torch.vstack({outer['x_list']}[1:T + 1])" if outer["x_list"] else outer["x_name"]
                n["x_start"] = (f"{name}[t]" if kept or not many else name) + " = " + (x_at if kept or not many
                                                                                       else x_rows) + ".clone()"
                n["x_name"] = f"{name}[t]" if kept or not many else name
                x = f"torch.vstack({name}[1:T + 1])" if kept else n["x_name"]
                n["XG"] = units(f"torch.vstack([{name}[t].grad for t in range(1, T + 1)])" if kept
                                else n["x_name"] + ".grad", src, many)
            n["x_units"] = units(x, src, many)
            n["F_units"] = units(rows(tail) if many else at(tail), tail, many)
        inside = wires.block[l]
        if torch and inside and l == inside + 1:  # the first inner layer reads its block's x
            x_name = out[inside]["x_name"]
            if kind.mixes_time:
                n["X_rows"] = f"{x_name}.clone()"  # a tensor of its own again: its .grad is this layer's part
            else:
                n["a_in"] = x_name if inside not in whole or out[inside]["x_list"] else f"{x_name}[t - 1]"
    return out


def _whole_sequence_names(P: Any, net: Any, l: int, b: dict[str, str], below: str, src: int, torch: bool,
                          used: set[str], whole: set[int] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
    """The names of layer l, a kind that reads the whole sequence at once (``mixes_time``): each of its steps'
    quantities by the step's key, an identifier of the symbol the profile prints for it (its ``step_sym``: a
    kind's own letter as the profile renames it, a gradient with the profile's prefix: ng's dq1, nielsen's
    dC_dq2), its output the profile's activation (``b["a"]``, one row per τ) and ∂ℓ/∂ of it ``do``, its δ the
    profile's; ``X`` and ``X_rows`` its input's rows (``below``, layer ``src``'s output; with the bias in column
    0, a 1 in front of each row); the stems of W and b and the layer's number; and the kind's printed rules and
    symbols (``profiled_printed``)."""
    from ..core.formulas.formula import Partial, Sym, TextPrinter

    p = TextPrinter(notation=P).p
    kind = net.kinds[l - 1]
    k = str(P.layer_number(l))
    lib = "torch" if torch else "np"

    def fresh(stem: str) -> str:
        return _fresh(stem, k, used | RESERVED, used)

    n: dict[str, str] = {"o": b["a"], "~o": p(kind.step_sym("o", l, None)), "do": b["da"], "~do": b["~da"],
                         "delta": b["dz"], "~delta": p(kind.step_sym("delta", l, None)), "num": k, "lib": lib,
                         "W_stem": _ident(P.weights.text, "W"), "b_stem": _ident(P.symbol("bias").text, "b")}
    for q in kind.block_forward() + kind.block_backward():
        sym = kind.step_sym(q, l, None)
        if q in n or sym is None or q.startswith("G"):  # the shared ones above; G: parts of the gradients' names
            continue
        bare = kind.step_sym(q, None, None)
        if isinstance(bare, Partial):
            name = fresh(_partial(P, _ident(p(bare.bottom), q[1:]), False))
        else:
            name = fresh(_ident(p(bare), q))
        n[q], n["~" + q] = name, p(sym)
    n["X"] = fresh(_ident(p(Sym("X")), "X"))
    if src > 0 and (net.kinds[src - 1].mixes_time or src in whole):  # a matrix already
        rows = below
    else:
        rows = f"{lib}.vstack({below}[1:T + 1])"  # the vectors at τ = 1 … T, one row each
    if not P.separate_bias and src > 0 and not net.kinds[src - 1].bias_entry:  # a 1 in front of each row
        ones = "torch.ones(T, 1)" if torch else "np.ones((T, 1))"
        rows = f"{'torch.cat' if torch else 'np.concatenate'}([{ones}, {rows}], 1)"
    n["X_rows"] = rows
    n.update(kind.profiled_printed(net, l, P))
    return n


def _output_names(P: Any, kinds: Any, names: dict[int, dict[str, str]], used: set[str]) -> dict[int, dict[str, str]]:
    """A gated layer's output (an LSTM's, a GRU's h: its ``output_name``, a symbol of its own) named as its panels
    print it, h2 (nielsen's h²_τ), not as the profile's activation a2; the layer above reads it under that name, while
    its comments keep what the panels print there (nielsen's z³ = w³ a²_T + b³: the layer's output read as a).
    ``used`` (the names taken) gets the new names."""
    from ..core.formulas.formula import Sym, TextPrinter

    p = TextPrinter(notation=P).p
    out = dict(names)
    for l, kind in enumerate(kinds, start=1):
        own = getattr(kind, "output_name", "o")
        if not kind.over_time or own == "o" or kind.step_sym(own, l, "τ") is None:
            continue
        stem, k = _ident(p(Sym(own)), own), str(P.layer_number(l))
        name = stem + k
        if name != names[l]["a"] and name in used:
            name = f"{stem}_{k}"
        used.add(name)
        out[l] = {**names[l], "a": name}
    return out


def profiled_program(spec: Any, fmt: str, run: Run, npz_name: str | None, P: Any
                     ) -> tuple[str, dict[str, np.ndarray] | None]:
    """The program in the notation profile ``P`` (not lecture13): see the section's comment."""
    from ..core.engine.network import Network

    net = Network(spec)
    L = spec.L
    torch = fmt == "pytorch"
    mean = P.mean
    names, codes = profiled_codes(spec, net, fmt, P)
    weighted = [l for l in range(1, L + 1) if net.kinds[l - 1].has_weights]
    opt = spec.optimizer
    framework = "PyTorch" if torch else "NumPy"
    w = Writer()
    what = (f"steps {run.first} to {run.last} of bptui's run" + (f", from the state after step {run.start}"
                                                               if run.start else ""))
    w('"""A network file\'s training run as a ' + framework + f' program in the notation {P.name}, checked step by step '
      "against bptui.", "",
      *textwrap.wrap(f"Written by `bptui export --format {fmt} --notation {P.name}`: {what}, in the notation {P.name}"
                     + (f" ({P.description})" if P.description else "") + f": {_layout_words(P, names[1]['~group'])}. Each step is "
                     "computed " + ("the PyTorch way (tensors, autograd, loss.backward(), torch.optim)" if torch
                                    else "as the notation writes it")
                     + " and checked (float64) against bptui's value for that step as the notation shows it (EXPECTED "
                     "at the end of the program). Run it: python PROGRAM.py", 110, break_long_words=False,
                     break_on_hyphens=False),
      '"""', "")
    if not torch and "gelu" in spec.activations:
        w("import math")
    w("import sys", "from pathlib import Path", "")
    helpers = {} if torch else _map_helpers(net)
    windows = ("from numpy.lib.stride_tricks import sliding_window_view",) if helpers else ()
    packages(w, torch, *(() if torch else (*windows, "from numpy.testing import assert_allclose")))
    w(f"SOURCE = {spec.source!r}  # the network file", f"NAME = {spec.name!r}", f"NOTATION = {P.name!r}", "",
      f"FIRST, LAST = {run.first}, {run.last}  # the steps checked (1-based, as bptui trace numbers them)",
      f"RTOL, ATOL = {RTOL!r}, {ATOL!r}", "")
    if not torch and "gelu" in spec.activations:
        w(ERF_CODE[1], "", "")
    helpers.update({name: code for c in codes.values() for name, code in c.helpers})  # the kinds' own (dropout's mask)
    for src in helpers.values():
        w(src, "", "")
    w("class Done(Exception):", '    """Step LAST is checked."""', "", "")
    w("def checker(start):",
      '    """check(value, name): the next step\'s value (a tuple: its parts, as W and b), asserted equal to bptui\'s',
      '    for it as the notation shows it (from step FIRST on)."""',
      "    step = start", "", "    def check(value, name):", "        nonlocal step", "        step += 1",
      "        if step >= FIRST:", "            parts = value if isinstance(value, tuple) else (value,)",
      "            wanted = EXPECTED[step - FIRST]",
      "            assert len(parts) == len(wanted), f\"step {step}, {name}: {len(parts)} parts, bptui's {len(wanted)}\"",
      "            for got, want in zip(parts, wanted):")
    if torch:
        w("                assert_close(got.detach(), torch.as_tensor(want), rtol=RTOL, atol=ATOL,",
          "                             msg=lambda msg: f\"step {step}, {name}: {msg}\")")
    else:
        w("                want = np.asarray(want)",
          "                assert np.shape(got) == want.shape, f\"step {step}, {name}: shape {np.shape(got)}, bptui's {want.shape}\"",
          "                assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f\"step {step}, {name}\")")
    w("        if step == LAST:", "            raise Done", "", "    return check", "", "")
    w("def main():")
    w.at = 1
    _profiled_body(w, spec, net, P, names, codes, torch)
    w.at = 0
    w("", "")
    # the data literal: the starting state in the profile's layout (the same views as the values)
    from ..core.ops.optim import state_scale

    m0 = run.sizes[0] if run.sizes else 1
    data: dict[str, Any] = {
        "x": [np.asarray(spec.x_of(k)).tolist() for k in range(spec.N)],
        "y": [np.asarray(spec.y_of(k)).tolist() for k in range(spec.N)],
        "groups": run.groups, "epochs": run.epochs, "m": run.sizes, "start": run.start,
        "W": [[np.asarray(a).tolist() for a in _shown_step(P, _Key("W", l), run.W[l - 1], 1, net.kinds)] for l in weighted],
        "G": [[np.asarray(a).tolist() for a in _shown_step(P, _Key("G", l), run.G[l - 1], m0, net.kinds)] for l in weighted],
        "opt": [{"t": run.opt[l - 1].t, **{k: [np.asarray(a).tolist() for a in _shown_step(
            P, _Key("W", l), a * (1.0 if torch else state_scale(opt, k, P.velocity)), 1, net.kinds)]
            for k, a in run.opt[l - 1].arrays().items()}} for l in weighted],
    }
    values = [_shown_step(P, key, v, m, net.kinds) for key, v, m in zip(run.keys, run.values, run.step_sizes)]
    text = repr([[p if isinstance(p, float) else p.tolist() for p in parts] for parts in values])
    arrays = None
    w(f"# the network file's data (one row per example), the update groups bptui steps (0-based examples) and their",
      "# sizes m, and the state the program starts from, as the notation writes it: each layer's parameters, their",
      "# gradients so far" + (" (the group's mean)" if mean else "") + ", the optimizer's state"
      + (" (the velocity as the notation's step)" if not torch and P.velocity == "step" and opt.name == "momentum" else ""))
    w(f"DATA = {data!r}")
    if len(text) > common.INLINE_LIMIT and npz_name is not None:
        arrays = {f"step{run.first + i}_{j}": np.asarray(p, dtype=float) for i, parts in enumerate(values)
                  for j, p in enumerate(parts)}
        w("# bptui's value of each step FIRST … LAST as the notation shows it, beside the program (too many to write here)",
          f"PARTS = {[len(parts) for parts in values]!r}",
          f"with np.load(Path(__file__).with_name({npz_name!r})) as _npz:",
          "    EXPECTED = [[_npz[f\"step{i}_{j}\"] for j in range(k)] for i, k in zip(range(FIRST, LAST + 1), PARTS)]")
    else:
        w("# bptui's value of each step FIRST … LAST as the notation shows it (each step's parts)", f"EXPECTED = {text}")
    w("", "if __name__ == \"__main__\":", "    try:", "        main()", "    except Done:",
      "        print(f\"{NAME}: steps {FIRST} to {LAST} in the notation {NOTATION}, each equal to bptui's value\")",
      "    else:", "        raise SystemExit(f\"the program stopped before step {LAST}\")")
    return "\n".join(w.lines) + "\n", arrays


def _map_helpers(net: Any) -> dict[str, str]:
    """The window functions a NumPy program of a network with maps calls (the lecture program's: its map kinds'
    ``LayerCode.helpers``, windows and unwindows)."""
    L = len(net.kinds)
    return {name: src for l, k in enumerate(net.kinds, start=1) if k.is_map for name, src in k.code(l, L).helpers}


@dataclass(frozen=True)
class _Key:
    """A step's quantity without a layer: the starting state's W, G (and an optimizer's state, as W)."""

    quantity: str
    layer: int = 0


TORCH_ROWS = {"softmax": "torch.softmax({s}, -1)"}  # over the last axis: a column's entries, or a row's


def _profiled_body(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                   torch: bool) -> None:
    kinds, L = net.kinds, spec.L
    opt = spec.optimizer
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    weighted = [l for l in range(1, L + 1) if kinds[l - 1].has_weights]
    lib = "torch" if torch else "np"
    w(f'X = [{lib}.tensor(x) for x in DATA["x"]]' if torch else 'X = [np.array(x) for x in DATA["x"]]',
      f'Y = [{lib}.tensor(y) for y in DATA["y"]]' if torch else 'Y = [np.array(y) for y in DATA["y"]]', "")

    parts = {l: _param_parts(P, kinds[l - 1], l) for l in weighted}  # W and b, a recurrent layer's W, U, b, …

    def params(l: int) -> list[str]:
        return [names[l][k] for k, _, _, _ in parts[l]]

    def grads(l: int) -> list[str]:
        return [names[l][g] for _, g, _, _ in parts[l]]

    def pkeys(l: int) -> list[str]:
        return [k for k, _, _, _ in parts[l]]

    def gkeys(l: int) -> list[str]:
        return [g for _, g, _, _ in parts[l]]

    def shown(l: int, keys: list[str]) -> str:
        return ", ".join(names[l]["~" + k] for k in keys)

    def load(xs: list[str], what: str, make: str = "np.array({})") -> str:  # each part of a DATA entry, a name each
        if len(xs) == 1:
            return f"{xs[0]} = {make.format(what + '[0]')}"
        return f"{', '.join(xs)} = ({make.format('p')} for p in {what})"

    shape = "D × C, a row per input" if row else "d_out × d_in" if sep else "d_out × (1 + d_in), the bias in column 0"
    if any(k.is_map and k.has_weights for k in kinds):  # a map is a map in every profile
        shape += f"; a convolution's K × {'' if sep else '(1 + '}C·kh·kw{'' if sep else ')'}, a row per kernel"
    w(f"# each layer's parameters as {P.name} writes them ({P.weights.text}: {shape})"
      + ("; autograd adds each example's gradient to their .grad: the group's sum" if torch else "")
      + ("" if torch else "; their gradients so far" + (", the group's mean" if mean else "")))
    state = {"momentum": ["v"], "adam": ["m", "v"]}.get(opt.name, [])
    letters = {k: _ident(P.own_letters().get(f"{opt.name}:{k}", type(P.weights)(k, k)).text, k) for k in state}
    for i, l in enumerate(weighted):
        if torch:
            w(f"{load(params(l), f'DATA[{chr(34)}W{chr(34)}][{i}]', 'torch.tensor({}, requires_grad=True)')}  # "
              f"{shown(l, pkeys(l))}")
        else:
            w(f"{load(params(l), f'DATA[{chr(34)}W{chr(34)}][{i}]')}  # {shown(l, pkeys(l))}",
              f"{load(grads(l), f'DATA[{chr(34)}G{chr(34)}][{i}]')}  # {shown(l, gkeys(l))} so far")
            for k in state:
                w(load([f"{letters[k]}_{p}" for p in params(l)], f"DATA[{chr(34)}opt{chr(34)}][{i}][{k!r}]"))
            if opt.name == "adam":
                w(f"t_{P.layer_number(l)} = DATA[\"opt\"][{i}][\"t\"]  # Adam's updates so far")
    if torch:
        weights = [names[l][k] for l in weighted for k, _, _, _ in parts[l] if k not in ("b", "bh")]
        biases = [names[l][k] for l in weighted for k, _, _, _ in parts[l] if k in ("b", "bh")]
        decay = 2 * opt.l2 if sep else 0.0
        groups = [f"{{\"params\": [{', '.join(weights)}], \"weight_decay\": {decay!r}}}"]
        if sep:
            groups.append(f"{{\"params\": [{', '.join(biases)}], \"weight_decay\": 0.0}}")
        lr = f"lr={opt.learning_rate!r}"
        if opt.name == "adam":
            made = f"torch.optim.Adam([{', '.join(groups)}], {lr}, betas=({opt.beta1!r}, {opt.beta2!r}), eps={opt.eps!r})"
        elif opt.name == "momentum":
            made = f"torch.optim.SGD([{', '.join(groups)}], {lr}, momentum={opt.momentum!r})"
        else:
            made = f"torch.optim.SGD([{', '.join(groups)}], {lr})"
        w(f"optimizer = {made}  # {_torch_rule(P, opt, kinds)}")
        w("m0 = DATA[\"m\"][0]", "with torch.no_grad():  # the state bptui had when the program starts: .grad (the sum so far"
          + (": m times the mean" if mean else "") + ") and the optimizer's")
        for i, l in enumerate(weighted):
            for j, p in enumerate(params(l)):
                w(f"    {p}.grad = {'m0 * ' if mean else ''}torch.tensor(DATA[\"G\"][{i}][{j}])")
                if opt.name == "adam":
                    w(f"    optimizer.state[{p}] = {{\"step\": torch.tensor(float(DATA[\"opt\"][{i}][\"t\"])), "
                      f"\"exp_avg\": torch.tensor(DATA[\"opt\"][{i}][\"m\"][{j}]), "
                      f"\"exp_avg_sq\": torch.tensor(DATA[\"opt\"][{i}][\"v\"][{j}])}}")
                elif opt.name == "momentum":
                    w(f"    optimizer.state[{p}] = {{\"momentum_buffer\": torch.tensor(DATA[\"opt\"][{i}][\"v\"][{j}])}}")
    w("", "check = checker(DATA[\"start\"])",
      "for e, group, m in zip(DATA[\"epochs\"], DATA[\"groups\"], DATA[\"m\"]):  # each update group (of epoch e, "
      "m examples): its examples, in the order bptui steps them")
    w.at += 1
    if net.recurrent:
        _profiled_sequence(w, spec, net, P, names, codes, torch, params, grads, shown, gkeys)
    else:
        _profiled_example(w, spec, net, P, names, codes, torch, params, grads, shown, gkeys)
    if torch:
        if not sep and opt.l2:  # no weight_decay: it would reach the bias in column 0 too
            w("with torch.no_grad():  # L2: g = .grad + 2λ W on the weights, never on the bias (column 0)",
              *(f"    {names[l][k]}.grad{cols} += {2 * opt.l2!r} * {names[l][k]}{cols}" for l in weighted
                for k, _, _, bias in parts[l] for cols in ["[:, 1:]" if bias == (0,) else ""]))
        from ..core.engine.equations import G
        from ..core.formulas.formula import TextPrinter

        group, grad = names[0]["~group"], TextPrinter(notation=P).p(G("l"))  # the group's mean, as the rule prints it
        w("optimizer.step()" + (f"  # on .grad: the group's sum, {group} {grad}" if mean else ""))
        for l in weighted:
            w(f"check({_parts([p + '.detach()' for p in params(l)])}, "
              f"{(shown(l, pkeys(l)) + ' (after the update)')!r})")
        w("optimizer.zero_grad(" + ("set_to_none=False" if net.recurrent else "")
          + ")  # the gradients start again from zero for the next group")
    else:
        _profiled_update_numpy(w, spec, P, names, weighted, letters, parts)
    w.at -= 1


def _torch_rule(P: Any, opt: Any, kinds: Any) -> str:
    """The PyTorch optimizer's rule as the profile's update steps print it (the weights' lines of its help,
    ``equations.update_rules``); beside a momentum whose velocity the profile writes otherwise (goodfellow's step
    v ← α v − ε g) the v PyTorch keeps, in the profile's letters: the same weights."""
    from ..core.engine.equations import W, update_rules
    from ..core.formulas.formula import TextPrinter
    from ..core.ops.optim import VELOCITIES

    printer = TextPrinter(notation=P)

    def rules(velocity: str | None = None) -> str:
        return "; ".join(printer.equation(e) for e in update_rules(opt, P, kinds, velocity=velocity))

    torch = VELOCITIES[0]  # PyTorch's momentum buffer: v ← μ v + g
    if opt.name != "momentum" or P.velocity == torch:
        return rules()
    return f"{rules()} (PyTorch keeps {rules(torch)}: the same {printer.p(W('l'))})"


def _profiled_example(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                      torch: bool, params: Any, grads: Any, shown: Any, gkeys: Any) -> None:
    """One example's steps of a network without time, in the profile (inside the loop over a group's examples)."""
    kinds, L = net.kinds, spec.L
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    w("for n in group:")
    w.at += 1
    n0 = names[0]
    if kinds[0].reads_map:  # a map is a map in every profile
        w(f"{n0['a']}, y = X[n].reshape{kinds[0].in_shape}, Y[n]{'[None, :]' if row else ''}  # {n0['~a']} = x⁽ⁿ⁾, "
          "a map (C, H, W); y⁽ⁿ⁾"
          + (" as a row" if row else ""))
    elif row:
        w(f"{n0['a']}, y = X[n][None, :], Y[n][None, :]  # {n0['~a']} = x⁽ⁿ⁾ and y⁽ⁿ⁾ as rows, 1 × D")
    elif not sep and not torch:
        w(f"{n0['a']}, y = np.concatenate([[1.0], X[n]]), Y[n]  # {n0['~a']} = [1, x⁽ⁿ⁾], y⁽ⁿ⁾")
    elif not sep:
        w(f"{n0['a']}, y = torch.cat([torch.ones(1), X[n]]), Y[n]  # {n0['~a']} = [1, x⁽ⁿ⁾], y⁽ⁿ⁾")
    else:
        w(f"{n0['a']}, y = X[n], Y[n]  # {n0['~a']} = x⁽ⁿ⁾, y⁽ⁿ⁾")
    loss = n0["loss"]
    started: set[int] = set()

    def start_blocks(l: int) -> None:  # each block's lines before its first inner layer (PyTorch: its x), outer first
        chain = []
        while l > 1 and kinds[l - 2].span and l - 1 not in started:
            chain.append(l - 1)
            l -= 1
        for b in reversed(chain):
            started.add(b)
            w(*codes[b].start)

    def reader(l: int) -> int:  # the layer that sends ∂ℓ/∂ of layer l's output down (along the wires)
        wires = net.wiring
        return l + 1 if wires is None else wires.sender[wires.outer(l)]

    for phase, q, at in example_block(L, kinds):
        l = at or 0
        n = names[l]
        own = dict(codes[l].steps) if l and not kinds[l - 1].span else {}  # a block's steps: below
        if q in own:  # a kind with steps of its own (a layer norm's u, o, ∂ℓ/∂x; a pooling layer's a, ∂ℓ/∂a): its lines,
            # {up} ∂ℓ/∂ of its output from the layer reading it (along a block's wires)
            if phase == FORWARD and q == kinds[l - 1].block_forward()[0]:
                start_blocks(l)
            above = codes.get(reader(l))
            up, said = (above.back, above.back_comment) if above is not None else ("", "")
            w(*(line.replace("{up}", up).replace("{up_comment}", said) for line in own[q]))
            continue
        act, alpha = spec.activations[l - 1], repr(spec.alphas[l - 1])
        if phase == FORWARD:
            start_blocks(l)
        if l and kinds[l - 1].span:  # a block: its o = x + F(x), its ∂ℓ/∂x (∂ℓ/∂o from above + the inner path's)
            up = "" if torch or phase == FORWARD else codes[reader(l)].back
            inner = "" if torch or phase == FORWARD else codes[l + 1].back
            w(*(line.format(up=up, inner=inner) for line in dict(codes[l].steps)[q]))
        elif phase == FORWARD and q == "s":
            c = codes[l]
            w(f"{n['z']} = {c.forward}  # {c.forward_comment}")
            if torch:
                w(f"{n['z']}.retain_grad()  # keep {n['~dz']} = ∂{names[0]['~loss']}/∂{n['~z']} after backward()")
            w(f"check({n['z']}, {n['~z']!r})")
        elif phase == FORWARD:
            f = (TORCH_ROWS.get(act, ACTIVATION_CODE[act][0]) if torch else ACTIVATION_CODE[act][1]).format(s=n["z"], a=alpha)
            if not sep and l < L and kinds[l - 1].bias_entry:  # (a map has no 1)
                one = f"torch.cat([torch.ones(1), {f}])" if torch else f"np.concatenate([[1.0], {f}])"
                w(f"{n['a']} = {one}  # {n['~a']} = [1, {n['~act']}]")
            else:
                w(f"{n['a']} = {f}  # {n['~a']} = {n['~act']}")
            w(f"check({n['a']}, {n['~a']!r})")
        elif phase == LOSS:
            nL = names[L]
            if torch:
                code, _ = _loss_torch(spec.loss, spec.activations[-1])
                w(f"{loss} = {code.replace('s[{L}]', nL['z']).replace('o[{L}]', nL['a'])}  # {names[0]['~loss']}, "
                  f"the loss of example n")
                w(f"check({loss}, {names[0]['~loss']!r})",
                  f"{loss}.backward()  # autograd: every {P.delta.text}, and each gradient added to the parameters' .grad")
            else:
                value, _ = _profiled_loss_numpy(spec, nL, names[0])
                w(f"{loss} = {value}", f"check({loss}, {names[0]['~loss']!r})")
        elif phase == BACKWARD and q == "delta":
            if torch:
                w(f"check({n['z']}.grad, {(n['~dz'] + ' (' + n['z'] + '.grad)')!r})")
            elif l == L:
                w(*_profiled_loss_numpy(spec, n, names[0])[1], f"check({n['dz']}, {n['~dz']!r})")
            else:
                r = reader(l)
                up = names[r]
                units = f"{n['a']}[1:]" if not sep and kinds[l - 1].bias_entry else n["a"]
                fprime = ACTIVATION_CODE[act][2].format(s=n["z"], o=units, a=alpha)
                w(f"{up['da_in']} = {codes[r].back}  # {codes[r].back_comment}",
                  f"{n['dz']} = {up['da_in']} * ({fprime})  # {n['~dz']} = {up['~da_in']} ⊙ f′({n['~z']})",
                  f"check({n['dz']}, {n['~dz']!r})")
        elif phase == BACKWARD:
            label = repr(shown(l, gkeys(l)) + " (so far" + (", the group's mean)" if mean else ")"))
            if torch:
                got = ", ".join(f"{p}.grad{' / m' if mean else ''}" for p in params(l))
                w(f"check({got if len(params(l)) == 1 else '(' + got + ')'}, {label})" + ("  # .grad holds the group's sum so far: / m, its mean" if mean else ""))
            else:
                w(*codes[l].grad, f"check({_parts(grads(l))}, {label})")
    w.at -= 1


def _profiled_sequence(w: Writer, spec: Any, net: Any, P: Any, names: dict[int, dict[str, str]], codes: dict[int, Any],
                       torch: bool, params: Any, grads: Any, shown: Any, gkeys: Any) -> None:
    """One example of a network over time in the profile (inside the loop over a group's examples), in the order
    of the lecture's program (``_body_sequences``, the schedule's): forward τ = 1 … T through the layers that run at
    each τ, then the layers that run once, the loss, backward from the top (the layers that run once, then each
    per-τ layer for τ = T … 1). A recurrent kind writes its own steps (``ProfiledCode.steps``); a dense layer's are
    written here from its ``ProfiledCode``, as in ``_profiled_example``. PyTorch: autograd's δ, and each gradient
    added τ by τ from it (bptui's G steps), checked at the end against the parameters' .grad."""
    from ..core.engine.kind import timed_layers

    kinds, L = net.kinds, spec.L
    row, sep, mean = P.vectors == "row", P.separate_bias, P.mean
    lib = "torch" if torch else "np"
    timed = timed_layers(kinds)
    per = [l for l in range(1, L + 1) if timed[l - 1]]
    once = [l for l in range(1, L + 1) if not timed[l - 1]]
    weighted = [l for l in range(1, L + 1) if kinds[l - 1].has_weights]
    runs = {phase: sequence_runs(kinds, order(kinds, L)) for phase, order in
            ((FORWARD, forward_order), (BACKWARD, backward_order))}
    n0, nL = names[0], names[L]
    at = ' f" (τ = {t})"'

    def label(l: int, key: str) -> str:  # a step's name in the program's check: at τ when the layer runs at each τ
        return repr(names[l][key]) + (at if timed[l - 1] else "")

    def act(l: int) -> tuple[str, str]:  # (f(z), f′(z)) of layer l in the program's library
        a_, alpha, n = spec.activations[l - 1], repr(spec.alphas[l - 1]), names[l]
        f = (TORCH_ROWS.get(a_, ACTIVATION_CODE[a_][0]) if torch else ACTIVATION_CODE[a_][1]).format(s=n["z"], a=alpha)
        units = f"{n['a']}[1:]" if not sep and kinds[l - 1].bias_entry and l < L else n["a"]
        return f, ("" if a_ == "softmax" else ACTIVATION_CODE[a_][2].format(s=n["z"], o=units, a=alpha))

    wires = net.wiring
    whole = whole_sequence_layers(kinds)

    def reader(l: int) -> int:  # the layer that sends ∂ℓ/∂ of layer l's output down (along a block's wires)
        return l + 1 if wires is None else wires.sender[wires.outer(l)]

    def sent_at(r: int) -> str:  # NumPy: what layer r sends down at τ (a block's ∂ℓ/∂x at τ, or its row τ)
        if kinds[r - 1].span:
            return names[r]["dx"] if r not in whole else names[r]["dx"] + ("[t - 1:t]" if row else "[t - 1]")
        return codes[r].back

    def up(l: int) -> str:  # NumPy: ∂ℓ/∂ of layer l's output (at τ), from the layer reading it
        r = reader(l)
        back = sent_at(r)
        if l in whole or kinds[l - 1].mixes_time:  # a layer over the whole sequence at once: one row per τ
            if r in whole or kinds[r - 1].mixes_time:
                return names[r]["dx"]
            return f"np.vstack([{back} for t in range(1, T + 1)])"
        if timed[r - 1] or not timed[l - 1]:
            return back
        width = kinds[l - 1].out_shape[0]
        return f"({back} if t == T else np.zeros({(1, width) if row else width}))"

    def inner(l: int) -> str:  # NumPy: what block l's first inner layer sends to its x (at τ, or as rows)
        r = l + 1
        if l not in whole:
            return sent_at(r)
        if r in whole or kinds[r - 1].mixes_time:
            return names[r]["dx"]
        return f"np.vstack([{sent_at(r)} for t in range(1, T + 1)])"

    started: set[int] = set()

    def start_blocks(l: int, per_t: bool) -> None:  # PyTorch: each block's x (outer first), before its first inner layer
        chain = []
        while torch and wires is not None and l > 1 and kinds[l - 2].span and l - 1 not in started:
            chain.append(l - 1)
            l -= 1
        for b in reversed(chain):
            if bool(names[b]["x_list"]) != per_t:  # kept at τ: started in the loop over τ
                continue
            started.add(b)
            x = names[b]["x_name"]
            w(f"{names[b]['x_start']}  # {names[b]['~x']}, block {P.layer_number(b)}'s input as a tensor of its own: "
              f"its .grad is {names[b]['~dx']}", f"{x}.retain_grad() if {x}.requires_grad else {x}.requires_grad_()")

    def per_step(lines: list[str]) -> list[str]:  # the output at τ: its target y_τ
        return list(map(_per_step_y, lines)) if timed[L - 1] else lines

    def own(l: int, qs: list[str]) -> None:  # a layer norm's, dropout's steps ({up}: ∂ℓ/∂ of its output, NumPy)
        back = codes[reader(l)].back_comment  # its left side as its rules print it at τ (da^[2], no τ); a recurrent kind's has none
        said = f"{names[l]['~da']} = {back.partition(' = ')[2] or back}"
        for q in qs:
            w(*(line.replace("{up}", up(l)).replace("{up_comment}", said) for line in dict(codes[l].steps).get(q, ())))

    def forward(l: int) -> None:
        n, c = names[l], codes[l]
        start_blocks(l, l not in whole)
        if kinds[l - 1].span:  # a block: o = x + F(x), at τ or over the whole sequence
            w(*dict(c.steps)["o"])
            return
        if "own_lists" in n:
            own(l, kinds[l - 1].block_forward())
            return
        if c.steps:
            f, df = act(l)
            for q in kinds[l - 1].block_forward():
                w(*(line.format(f=f, df=df, up="") for line in dict(c.steps)[q]))
            return
        w(f"{n['z']} = {c.forward}  # {n['~z']} = {c.forward_comment.partition(' = ')[2]}")
        if torch:
            w(f"{n['z']}.retain_grad()  # keep {n['~dz']} after backward()")
        w(f"check({n['z']}, {label(l, '~z')})")
        f, _ = act(l)
        if not sep and l < L:
            one = f"torch.cat([torch.ones(1), {f}])" if torch else f"np.concatenate([[1.0], {f}])"
            w(f"{n['a']} = {one}  # {n['~a']} = [1, {n['~act']}]")
        else:
            w(f"{n['a']} = {f}  # {n['~a']} = {n['~act']}")
        w(f"check({n['a']}, {label(l, '~a')})")

    def backward(l: int) -> None:
        n, c = names[l], codes[l]
        if kinds[l - 1].span:  # a block: ∂ℓ/∂x = ∂ℓ/∂o (the skip's part) + the inner path's part
            w(*(line.replace("{up}", "" if torch else up(l)).replace("{inner}", "" if torch else inner(l))
                for line in dict(c.steps)["dx"]))
            return
        if "own_lists" in n:
            own(l, [q for q in kinds[l - 1].block_backward() if q != "G"])
            if not kinds[l - 1].has_weights:
                return
        elif c.steps:
            f, df = act(l)
            for q in kinds[l - 1].block_backward():
                if q != "G":
                    w(*(line.format(f=f, df=df, up="" if torch else up(l)) for line in dict(c.steps)[q]))
        elif torch:
            w(f"check({n['z']}.grad, {(n['~dz'] + ' (' + n['z'] + '.grad)')!r}" + (at if timed[l - 1] else "") + ")")
        elif l == L:
            w(*per_step(_profiled_loss_numpy(spec, n, n0)[1]), f"check({n['dz']}, {label(l, '~dz')})")
        else:
            _, df = act(l)
            w(f"{n['dz']} = {up(l)} * ({df})  # {n['~dz']} = {n['~da']} ⊙ f′({n['~z']})",
              f"check({n['dz']}, {label(l, '~dz')})")
        if "G" not in kinds[l - 1].block_backward():  # its gradients are steps of its own (attention's G_Q …)
            return
        said = shown(l, gkeys(l)) + " (so far" + (", the group's mean)" if mean else ")")
        w(*c.grad, f"check({_parts(grads(l))}, {repr(said) + (at if timed[l - 1] else '')})")

    w("for n in group:")
    w.at += 1
    a0 = n0["a_list"]
    if row:
        w(f"{a0} = [None, *(x[None, :] for x in X[n])]  # {n0['~a']}_τ = x_τ as a row, 1 × D, τ = 1 … T")
    elif not sep:
        one = "torch.cat([torch.ones(1), x])" if torch else "np.concatenate([[1.0], x])"
        w(f"{a0} = [None, *({one} for x in X[n])]  # {n0['~a']}_τ = [1, x_τ], τ = 1 … T")
    else:
        w(f"{a0} = [None, *X[n]]  # {n0['~a']}_τ = x_τ, τ = 1 … T")
    if timed[L - 1]:
        w("y = Y[n][:, None, :]  # y_τ as a row, one per τ" if row else "y = Y[n]  # y_τ, one row per τ")
    else:
        w("y = Y[n][None, :]  # y as a row" if row else "y = Y[n]")
    w("T = len(X[n])")
    for l in per:
        n = names[l]
        if kinds[l - 1].span:  # a block: its o and ∂ℓ/∂x at τ (PyTorch: its x), or, over the whole sequence, matrices
            lists = ([] if l in whole else [n["a_list"]]) + ([n["x_list"]] if torch and n["x_list"] else []) + (
                [] if torch or l in whole else [n["dx_list"]])
            if lists:
                made = "[None] * (T + 2)" if len(lists) == 1 else f"([None] * (T + 2) for _ in range({len(lists)}))"
                w(f"{', '.join(lists)} = {made}  # block {P.layer_number(l)} at τ = 1 … T")
            continue
        if kinds[l - 1].mixes_time:  # its quantities are matrices over the whole sequence
            w(*codes[l].start)
            continue
        lists = n["own_lists"].split(", ") if "own_lists" in n else [n["z_list"], n["a_list"]] + ([] if torch else [n["dz_list"]])
        w(f"{', '.join(lists)} = ([None] * (T + 2) for _ in range({len(lists)}))  # layer {P.layer_number(l)} at τ = 1 … T",
          *codes[l].start)
    if torch:
        w("# each gradient so far as the notation shows it (" + ("the group's mean: .grad / m" if mean else ".grad")
          + "), added to τ by τ below from autograd's δ (bptui's steps)")
        for l in weighted:
            for g, p in zip(grads(l), params(l)):
                w(f"{g} = {p}.grad" + (" / m" if mean else ".clone()"))
    for run, at_once in runs[FORWARD]:
        if at_once:  # a layer over the whole sequence: once, between the runs τ by τ
            forward(run[0])
            continue
        w("for t in range(1, T + 1):  # forward through time")
        w.at += 1
        for l in run:
            forward(l)
        w.at -= 1
    for l in once:
        forward(l)
    loss, sym = n0["loss"], n0["~loss"]
    if torch:
        code, _ = _loss_torch(spec.loss, spec.activations[-1])
        code = code.replace("s[{L}]", nL["z"]).replace("o[{L}]", nL["a"])
        if timed[L - 1]:
            w(f"{loss} = sum({_per_step_y(code)} for t in range(1, T + 1))  # {sym}, summed over τ")
        else:
            w(f"{loss} = {code}  # {sym}, the loss of example n")
        w(f"check({loss}, {sym!r})",
          f"{loss}.backward()  # autograd: every {P.delta.text}, and each gradient added to the parameters' .grad",
          "with torch.no_grad():")
        w.at += 1
    else:
        value, _ = _profiled_loss_numpy(spec, nL, n0)
        body, _, comment = value.partition("  # ")
        if timed[L - 1]:
            w(f"{loss} = sum({_per_step_y(body)} for t in range(1, T + 1))  # {comment}, summed over τ")
        else:
            w(f"{loss} = {value}")
        w(f"check({loss}, {sym!r})")
    for l in reversed(once):
        backward(l)
    for run, at_once in runs[BACKWARD]:
        if at_once:
            backward(run[0])
            continue
        for l in run:
            w(f"for t in range(T, 0, -1):  # layer {P.layer_number(l)} backward through time")
            w.at += 1
            backward(l)
            w.at -= 1
    if torch:
        for l in weighted:
            for g, p, k in zip(grads(l), params(l), gkeys(l)):
                w(f"assert_close({g}, {p}.grad{' / m' if mean else ''})  # τ by τ, {names[l]['~' + k]} adds up to autograd's")
        w.at -= 1
    w.at -= 1


def _parts(names: list[str]) -> str:
    """A step's value in the program: one part itself, several as a tuple (W and b)."""
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def _profiled_loss_numpy(spec: Any, nL: dict[str, str], n0: dict[str, str]) -> tuple[str, list[str]]:
    """(the per-example loss in NumPy, the lines of the output's δ) in the profile's names."""
    z, a, dz, da = nL["z"], nL["a"], nL["dz"], nL["da"]
    J, sa, sdz, sda, sz = n0["~loss"], nL["~a"], nL["~dz"], nL["~da"], nL["~z"]
    loss, act = spec.loss, spec.activations[-1]
    if loss == "cross_entropy" and act == "softmax":
        return (f"-np.sum(y * ({z} - {z}.max() - np.log(np.exp({z} - {z}.max()).sum())))  # {J} = −Σ y log {sa}",
                [f"{dz} = {a} * y.sum() - y  # {sdz} = {sa} Σ y − y (softmax and cross-entropy)"])
    if loss == "cross_entropy":
        return (f"np.sum(y * np.logaddexp(0.0, -{z}) + (1 - y) * np.logaddexp(0.0, {z}))"
                f"  # {J} = −Σ (y log {sa} + (1 − y) log(1 − {sa}))", [f"{dz} = {a} - y  # {sdz} = {sa} − y (sigmoid and cross-entropy)"])
    half = loss == "half_squared"
    value = (f"0.5 * np.sum(({a} - y) ** 2)  # {J} = ½ Σ ({sa} − y)²" if half
             else f"np.sum(({a} - y) ** 2)  # {J} = Σ ({sa} − y)²")
    grad = (f"{da} = {a} - y  # {sda} = {sa} − y" if half else f"{da} = 2 * ({a} - y)  # {sda} = 2 ({sa} − y)")
    if act == "softmax":
        return value, [grad, f"{dz} = {a} * ({da} - np.sum({a} * {da}))  # {sdz} = (diag({sa}) − {sa} {sa}ᵀ) {sda}"]
    fprime = ACTIVATION_CODE[act][2].format(s=z, o=a, a=repr(spec.alphas[-1]))
    return value, [grad, f"{dz} = {da} * ({fprime})  # {sdz} = {sda} ⊙ f′({sz})"]


def _profiled_update_numpy(w: Writer, spec: Any, P: Any, names: dict[int, dict[str, str]], weighted: list[int],
                           letters: dict[str, str], parts: dict[int, list[tuple[str, str, str, tuple[int, ...]]]]) -> None:
    """Each layer's update as the notation writes it: g the group's sum (m times a mean profile's mean), L2's 2λW on
    the weights (never a bias: column 0 when the bias is in W), then the optimizer's rule; each of the layer's
    ``parts`` (W and b; a recurrent layer's W, U, b) on lines of its own."""
    opt = spec.optimizer
    mean = P.mean
    eta, lr = repr(opt.learning_rate), P.learning_rate.text
    from ..core.formulas.formula import Sym, TextPrinter
    from ..core.ops.optim import EPS

    printed = TextPrinter(notation=P).p
    adam_hats = (*(printed(Sym(k, None, (), "hat", vector=True, own="adam")) for k in "mv"), printed(EPS))
    for l in weighted:
        n = names[l]
        for par, grad, _, bias in parts[l]:
            weights = par not in ("b", "bh")
            p_, g_, sp, sg = n[par], n[grad], n["~" + par], n["~" + grad]
            sum_ = f"m * {g_}" if mean else g_
            line = f"g = {sum_}"
            said = f"g = {n['~group'] + ' ' if mean else ''}{sg}"  # the group's size as the panels print it
            if weights and opt.l2:
                line += f" + 2 * {opt.l2!r} * {p_}"
                said += f" + 2λ {sp}"
                if bias == (0,):
                    line += f"\ng[:, 0] = {sum_}[:, 0]"
                    said += " (not on the bias, column 0)"
            w(f"{line}  # {said}" if "\n" not in line else line.replace("\n", f"  # {said}\n", 1))
            if opt.name == "momentum":
                v, mu = f"{letters['v']}_{p_}", P.own_letters().get("momentum:μ", P.learning_rate.__class__("μ", "")).text
                if P.velocity == "step":
                    w(f"{v} = {opt.momentum!r} * {v} - {eta} * g  # v ← {mu} v − {lr} g",
                      f"{p_} = {p_} + {v}  # {sp} ← {sp} + v")
                else:
                    w(f"{v} = {opt.momentum!r} * {v} + g  # v ← {mu} v + g", f"{p_} = {p_} - {eta} * {v}  # {sp} ← {sp} − {lr} v")
            elif opt.name == "adam":
                m_, v_ = f"{letters['m']}_{p_}", f"{letters['v']}_{p_}"
                m_hat, v_hat, eps = adam_hats  # as the profile's update lines print them (ng's v̂, ŝ; goodfellow's δ)
                b1, b2, t = repr(opt.beta1), repr(opt.beta2), f"t_{P.layer_number(l)}"
                if par == "W":
                    w(f"{t} = {t} + 1  # Adam's t")
                w(f"{m_} = {b1} * {m_} + (1 - {b1}) * g  # first moment", f"{v_} = {b2} * {v_} + (1 - {b2}) * g ** 2  # second moment",
                  f"{p_} = {p_} - {eta} * ({m_} / (1 - {b1} ** {t})) / (np.sqrt({v_} / (1 - {b2} ** {t})) + {opt.eps!r})"
                  f"  # {sp} ← {sp} − {lr} {m_hat} / (√{v_hat} + {eps})")
            else:
                w(f"{p_} = {p_} - {eta} * g  # {sp} ← {sp} − " + (f"({lr}·{n['~group']}) {sg}" if mean else f"{lr} {sg}"))
        w(f"check({_parts([n[par] for par, _, _, _ in parts[l]])}, "
          f"{(', '.join(n['~' + par] for par, _, _, _ in parts[l]) + ' (after the update)')!r})")
    zeros = [f"{names[l][g]} = np.zeros_like({names[l][g]})" for l in weighted for _, g, _, _ in parts[l]]
    w("# the gradients start again from zero for the next group", *zeros)

"""How an attention layer writes itself into a program in a notation profile (``bptui export --format
pytorch|numpy --notation P``, codegen/profiled.py): every step over the whole sequence at once, one row per τ,
in the profile's layout and names, each comment the layer's rule as its panels print it in the profile
(equations.rules, printed by the profile: :func:`printed`).

- The layer's own symbols stay its own (q, k, v, the scores e, the softmax weights, z), as the profile's
  printer writes them (ng's softmax weights A and z c, nielsen's α and c: their a and z are the profile's);
  the shared quantities take the profile's names: its output o is the profile's activation (ng's a1,
  goodfellow's h1), ∂ℓ/∂e its δ (ng's dz1, cs231n's dscores1), W and b its W1 and b1.
- W⁽ˡ⁾ is held as its panel shows it: the four matrices stacked (W_Q, W_K, W_V's rows, then W_O's, padded with
  zeros to the widest), without column 0 and with b⁽ˡ⁾ apart where the profile separates the bias, transposed
  (D × C) with row vectors; each example names its blocks (W_Q1 = W1[0:8, :3], …).
- A G step adds one matrix's term to its rows of the gradients (W's and b's apart with a separate bias), a mean
  profile's over the group's m; b_K's gradient is exactly 0 (layer.py's key_bias_zero), as bptui's.
- PyTorch: autograd's .grad of each quantity is checked, and each G part added from them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...engine.kind import ProfiledCode
from .layer import WEIGHTS

if TYPE_CHECKING:
    from .layer import Attention

FORWARD = ("q", "k", "v", "scores", "a", "z", "o")
BACKWARD = ("dz", "da", "delta", "dq", "dk", "dv", "dx")


def printed(net: Any, l: int, P: Any) -> dict[str, str]:
    """The layer's rules (equations.rules in ``P``) as ``P``'s printer writes them, by step ("~rule:q" …,
    "~rule:GQ" the G lines of W_Q, with a separate bias b_Q's too), and the printed symbols of its input's rows
    (the rules' X) and of W_Q … W_O: the program's comments and check labels."""
    from ...formulas.formula import Sym, TextPrinter
    from . import equations

    p = TextPrinter(notation=P).p
    rules = equations.rules(net, l, P)
    per_matrix = 2 if P.separate_bias else 1
    out = {f"~rule:{q}": f"{p(e.lhs)} {e.rel} {p(e.forms[0])}" for q, e in zip(FORWARD + BACKWARD, rules)}
    out.update({f"~note:{q}": TextPrinter(notation=P).note(e) for q, e in zip(FORWARD + BACKWARD, rules) if e.note})
    G = rules[len(FORWARD + BACKWARD):]
    for i, name in enumerate(WEIGHTS):
        lines = G[i * per_matrix:(i + 1) * per_matrix]
        out[f"~rule:G{name}"] = "; ".join(f"{p(e.lhs)} {e.rel} {p(e.forms[0])}" for e in lines)
        out[f"~G{name}"] = ", ".join(p(e.lhs) for e in lines)
        out[f"~W_{name}"] = p(equations.weight(name, l))
        out[f"~b_{name}"] = p(equations.bias(name, l))
    out["~X"] = p(Sym("X", l, vector=True)) if P.separate_bias else p(equations.rows_with_one("X", l))
    return out


def profiled_code(kind: "Attention", l: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
    """The layer's lines in the profile's names ``n`` (codegen/profiled.py's ``_sequence_names``: its own
    quantities' names under their step's key, "X_rows" its input's rows as the profile holds them, "lib", the
    stems "W_stem", "b_stem" and the layer's number "k", :func:`printed` under "~" keys): each step's lines with
    its check, ``{up}`` (NumPy) ∂ℓ/∂ of its output, one row per τ, from the layer above; ``back``: ∂ℓ/∂x at τ,
    a row of its dx, for a layer below that runs at each τ."""
    torch = n["lib"] == "torch"
    lib = n["lib"]
    d, dk, H, dh = kind.d, kind.dk, kind.heads, kind.dh
    root = repr(math.sqrt(dh))
    k, W, b, dW, db = n["num"], n["W"], n["b"], n["dW"], n["db"]
    q_, k_, v_, e_, A_, z_, o_ = (n[q] for q in FORWARD)
    dz_, dA_, D_, dq_, dk_, dv_, dx_, do_ = (n[q] for q in (*BACKWARD, "do"))
    X, Xs = n["X"], n["~X"]
    per = " / m" if mean else ""
    first = {"Q": 0, "K": dk, "V": 2 * dk, "O": 3 * dk}
    width = {"Q": d, "K": d, "V": d, "O": dk}
    Wn = {name: f"{n['W_stem']}_{name}{k}" for name in WEIGHTS}
    bn = {name: f"{n['b_stem']}_{name}{k}" for name in WEIGHTS}

    def rows_of(name: str) -> str:  # the matrix's rows of the stacked W (its first … last)
        return f"{first[name]}:{first[name] + (d if name == 'O' else dk)}"

    def block(name: str) -> str:  # the matrix in the stacked W as the profile holds it
        if not separate:
            return f"[{rows_of(name)}, :{width[name] + 1}]"
        return f"[:{width[name]}, {rows_of(name)}]" if row else f"[{rows_of(name)}, :{width[name]}]"

    def heads(Y: str) -> str:  # T × dk → H × T × dh: each head's block of columns
        return f"{Y}.reshape(T, {H}, {dh}).swapaxes(0, 1)"

    def stacked(Y: str) -> str:  # H × T × dh → T × dk: the heads side by side
        return f"({Y}).swapaxes(0, 1).reshape(T, {dk})"

    def check(name: str, label: str, grad: bool = False) -> str:
        return f"check({name}.grad, {(label + ' (' + name + '.grad)')!r})" if grad else f"check({name}, {label!r})"

    def times(a: str, name: str) -> str:  # a's rows times the matrix: a W + b (rows), a Wᵀ + bᵀ, [1, a] Wᵀ
        if not separate:
            return f"{a} @ {Wn[name]}.T"
        return f"{a} @ {Wn[name]} + {bn[name]}" if row else f"{a} @ {Wn[name]}.T + {bn[name]}"

    def back(g: str, name: str) -> str:  # ∂ℓ/∂ of what the matrix multiplies, from ∂ℓ/∂ of its product
        if not separate:
            return f"{g} @ {Wn[name]}[:, 1:]"
        return f"{g} @ {Wn[name]}.T" if row else f"{g} @ {Wn[name]}"

    ones = f"torch.ones(T, 1)" if torch else "np.ones((T, 1))"
    cat = "torch.cat" if torch else "np.concatenate"
    Z1 = f"{cat}([{ones}, {z_}], 1)"  # [1; z_τ] rows, the bias in column 0
    keep = ".retain_grad()"
    start = [f"{', '.join(Wn.values())} = {', '.join(W + block(name) for name in WEIGHTS)}"
             f"  # {', '.join(n['~W_' + name] for name in WEIGHTS)}: the blocks of {n['~W']}, as its panel stacks them"]
    if separate:
        start.append(f"{', '.join(bn.values())} = {', '.join(f'{b}[{rows_of(name)}]' for name in WEIGHTS)}"
                     f"  # {', '.join(n['~b_' + name] for name in WEIGHTS)}: the blocks of {n['~b']}")
    steps: dict[str, list[str]] = {}
    steps["q"] = [f"{X} = {n['X_rows']}  # {Xs}: the layer's input, row τ x_τ"
                  + ("" if separate else " with a 1 in front")]
    if torch:
        steps["q"].append(f"{X}.retain_grad() if {X}.requires_grad else {X}.requires_grad_()  # its .grad: ∂ℓ/∂x")
    for q, name in (("q", "Q"), ("k", "K"), ("v", "V")):
        steps.setdefault(q, []).append(f"{n[q]} = {times(X, name)}  # {n['~rule:' + q]}")
    causal = kind.causal
    mask = "torch.ones(T, T, dtype=torch.bool).tril()" if torch else "np.tril(np.ones((T, T), dtype=bool))"
    steps["scores"] = [f"{e_} = {heads(q_)} @ {heads(k_)}.swapaxes(1, 2) / {root}  # {n['~rule:scores']}, each head"]
    if torch:
        steps["a"] = [f"{A_} = " + (f"{e_}.masked_fill(~{mask}, float('-inf'))" if causal else e_) + ".softmax(-1)"
                      f"  # {n['~rule:a']}" + (" (causal: τ′ ≤ τ)" if causal else "")]
    else:
        masked = f"np.where({mask}, {e_}, -np.inf)" if causal else e_
        steps["a"] = [f"ex = np.exp({masked} - {e_}.max(axis=-1, keepdims=True))  # (ex: e is the epoch)",
                      f"{A_} = ex / ex.sum(axis=-1, keepdims=True)  # {n['~rule:a']}" + (" (causal: τ′ ≤ τ)" if causal else "")]
    steps["z"] = [f"{z_} = {stacked(f'{A_} @ {heads(v_)}')}  # {n['~rule:z']}, the heads side by side"]
    steps["o"] = [f"{o_} = {times(z_ if separate else Z1, 'O')}  # {n['~rule:o']}"]
    for q in FORWARD:
        if torch:
            steps[q].append(f"{n[q]}{keep}")
        steps[q].append(check(n[q], n["~" + q]))
    if torch:  # autograd's gradients, each checked
        for q, of in (("dz", z_), ("da", A_), ("delta", e_), ("dq", q_), ("dk", k_), ("dv", v_)):
            steps[q] = [check(of, n["~" + q], grad=True)]
        steps["dx"] = [f"check({X}.grad{'' if separate else '[:, 1:]'}, {(n['~dx'] + ' (' + X + '.grad)')!r})"]
        got = {"dq": f"{q_}.grad", "dk": f"{k_}.grad", "dv": f"{v_}.grad", "do": f"{o_}.grad", "X": f"{X}.detach()",
               "Z": z_ + ".detach()" if separate else f"{cat}([{ones}, {z_}.detach()], 1)"}
    else:
        steps["dz"] = [f"{do_} = {{up}}  # {n['~do']} from the layer above, row τ at τ",
                       f"{dz_} = {back(do_, 'O')}  # {n['~rule:dz']}"]
        steps["da"] = [f"{dA_} = {heads(dz_)} @ {heads(v_)}.swapaxes(1, 2)  # {n['~rule:da']}"]
        steps["delta"] = [f"{D_} = {A_} * ({dA_} - ({A_} * {dA_}).sum(axis=-1, keepdims=True))  # {n['~rule:delta']}, "
                          f"{n['~note:delta']}"]  # the row sum r as the rule's note prints it (goodfellow's ϱ)
        steps["dq"] = [f"{dq_} = {stacked(f'{D_} @ {heads(k_)} / {root}')}  # {n['~rule:dq']}"]
        steps["dk"] = [f"{dk_} = {stacked(f'{D_}.swapaxes(1, 2) @ {heads(q_)} / {root}')}  # {n['~rule:dk']}"]
        steps["dv"] = [f"{dv_} = {stacked(f'{A_}.swapaxes(1, 2) @ {heads(dz_)}')}  # {n['~rule:dv']}"]
        steps["dx"] = [f"{dx_} = {' + '.join(back(g, name) for g, name in ((dq_, 'Q'), (dk_, 'K'), (dv_, 'V')))}"
                       f"  # {n['~rule:dx']}"]
        for q in BACKWARD:
            steps[q].append(check(n[q], n["~" + q]))
        got = {"dq": dq_, "dk": dk_, "dv": dv_, "do": do_, "X": X, "Z": z_ if separate else Z1}
    sums = "sum(0)" if torch else "sum(axis=0)"
    label = " (so far" + (", the group's mean)" if mean else ")")
    for name in WEIGHTS:
        g, src = got["do" if name == "O" else f"d{name.lower()}"], got["Z" if name == "O" else "X"]
        w_part, b_part = f"{dW}{block(name)}", f"{db}[{rows_of(name)}]"
        term = f"{src}.T @ {g}" if row and separate else f"{g}.T @ {src}"
        lines = [f"{w_part} += {term}{per}  # {n['~rule:G' + name]}"]
        if name == "K":
            why = ("exactly 0: b_K adds the same q·b_K/√dh to each score of a row, which softmax ignores; "
                   "summed in floats it is noise, which Adam would magnify")
            if separate:
                lines.append(f"{b_part} = 0.0  # {why}")
            else:
                lines.append(f"{dW}[{rows_of(name)}, 0] = 0.0  # the bias column: {why}")
            if torch:
                lines.append(f"{n['b'] if separate else n['W']}.grad[{rows_of(name)}{'' if separate else ', 0'}] = 0.0"
                             "  # and autograd's")
        elif separate:
            lines.append(f"{b_part} += {g}.{sums}{per}")
        shown = f"({w_part}, {b_part})" if separate else w_part
        lines.append(f"check({shown}, {(n['~G' + name] + label)!r})")
        steps[f"G{name}"] = lines
    sent = f"{dx_}[t - 1:t]" if row else f"{dx_}[t - 1]"
    return ProfiledCode("", "", (), sent, f"{n['~da_in']}: row τ of {n['~dx']}",
                        steps=tuple((q, tuple(lines)) for q, lines in steps.items()), start=tuple(start))

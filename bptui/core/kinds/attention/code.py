"""How an attention layer writes itself into a generated program (``bptui export --format pytorch|numpy``):
every step in tensor operations over the whole sequence, one row per τ, so that each of bptui's steps
(q, k, v, the scores, a, z, o; ∂ℓ/∂z, ∂ℓ/∂a, δ, ∂ℓ/∂q, ∂ℓ/∂k, ∂ℓ/∂v, ∂ℓ/∂x; G_Q … G_O) is a value the
program holds and checks. PyTorch computes the gradients with autograd (each tensor's ``.grad``) and
adds each G from them; NumPy writes the backward pass out (layer.py's ``bptt``, one example).

The program keeps the layer's quantities in a dict ``att{l}`` by bptui's names, and o⁽ˡ⁾ as T + 1 rows
(row 0 zero, row τ o_τ) as every layer over time keeps it, so the layer above reads ``o[l][t]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ...engine.kind import LayerCode
from ...formulas.notation import sup

if TYPE_CHECKING:
    from .layer import Attention

HELPERS = (
    ("heads", "def heads(Y, H):\n"
              '    """T × dk → H × T × dh: each head\'s rows of q, k or v (dh = dk / H)."""\n'
              "    return Y.reshape(Y.shape[0], H, -1).swapaxes(0, 1)"),
    ("stacked", "def stacked(Y):\n"
                '    """H × T × dh → T × dk: the heads side by side."""\n'
                "    return Y.swapaxes(0, 1).reshape(Y.shape[1], -1)"),
)


def code(kind: "Attention", l: int) -> LayerCode:
    """The layer's :class:`LayerCode`: ``seq`` / ``np_seq`` steps without τ, ``{X}`` its input rows and
    (NumPy) ``{up}`` ∂ℓ/∂o_τ from the layer above, one row per τ (the output layer is always dense)."""
    d, dk, H, S = kind.d, kind.dk, kind.heads, sup(l)
    A, root = f"att{l}", repr(math.sqrt(kind.dh))
    rows = {"Q": f"0:{dk}", "K": f"{dk}:{2 * dk}", "V": f"{2 * dk}:{3 * dk}", "O": f"{3 * dk}:"}
    cols = {"Q": f":{d + 1}", "K": f":{d + 1}", "V": f":{d + 1}", "O": f":{dk + 1}"}

    def part(name: str) -> str:  # bptui's stored matrix: W_Q, W_K, W_V's rows, then W_O's
        return f"[{rows[name]}, {cols[name]}]"

    def chk(q: str, text: str) -> str:
        return f"check({A}[{q!r}], \"{text}\")"

    scores = (f"{A}['scores'] = heads({A}['q'], {H}) @ heads({A}['k'], {H}).swapaxes(1, 2) / {root}"
              f"  # e_h,τ,τ′ = q_τ · k_τ′ / √dh, per head")
    z = f"{A}['z'] = stacked({A}['a'] @ heads({A}['v'], {H}))  # z_τ = Σ_τ′ a_τ,τ′ v_τ′, the heads side by side"
    causal = " (τ′ ≤ τ: causal)" if kind.causal else ""
    # PyTorch: the forward pass in tensor operations, each value kept with retain_grad(); the gradients
    # are autograd's, and each G part adds up from them
    seq: list[tuple[str, tuple[str, ...]]] = [
        ("q", (f"{A}['x'] = {{X}}.clone()  # x_1 … x_T, one row per τ, a tensor of its own: its .grad is ∂ℓ/∂x",
               f"{A}['x'].retain_grad() if {A}['x'].requires_grad else {A}['x'].requires_grad_()"))]
    for q in "qkv":
        seq.append((q, (*(seq.pop()[1] if q == "q" else ()),
                        f"{A}[{q!r}] = layer[{l}].{q.upper()}b + {A}['x'] @ layer[{l}].{q.upper()}w.T"
                        f"  # {q}_τ = W_{q.upper()} [1; x_τ], one row per τ",
                        f"{A}[{q!r}].retain_grad()", chk(q, f"{q}{S}"))))
    mask = (f".masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float('-inf'))" if kind.causal else "")
    seq += [("scores", (scores, f"{A}['scores'].retain_grad()", chk("scores", f"e{S} (the scores)"))),
            ("a", (f"{A}['a'] = {A}['scores']{mask}.softmax(-1)  # a = softmax over τ′{causal}",
                   f"{A}['a'].retain_grad()", chk("a", f"a{S}"))),
            ("z", (z, f"{A}['z'].retain_grad()", chk("z", f"z{S}"))),
            ("o", (f"{A}['o'] = layer[{l}].Ob + {A}['z'] @ layer[{l}].Ow.T  # o_τ = W_O [1; z_τ]",
                   f"{A}['o'].retain_grad()", chk("o", f"o{S}"),
                   f"o[{l}] = torch.cat([torch.zeros(1, {d}), {A}['o']])  # row τ: o_τ (row 0: 0), as the layer above reads it")),
            ("dz", (f"check({A}['z'].grad, \"∂ℓ/∂z{S} (z.grad)\")",)),
            ("da", (f"check({A}['a'].grad, \"∂ℓ/∂a{S} (a.grad)\")",)),
            ("delta", (f"check({A}['scores'].grad, \"δ{S} = ∂ℓ/∂e (scores.grad)\")",)),
            ("dq", (f"check({A}['q'].grad, \"∂ℓ/∂q{S} (q.grad)\")",)),
            ("dk", (f"check({A}['k'].grad, \"∂ℓ/∂k{S} (k.grad)\")",)),
            ("dv", (f"check({A}['v'].grad, \"∂ℓ/∂v{S} (v.grad)\")",)),
            ("dx", (f"check({A}['x'].grad, \"∂ℓ/∂x{S} (x.grad)\")",))]
    # the key bias's G is exactly 0 (layer.py's key_bias_zero); autograd's sum is rounding noise, which
    # Adam's division by √v would magnify: the program sets it to 0 as bptui does, saying why
    why = "  # ∂ℓ/∂b_K = Σ_τ′ ∂ℓ/∂k_τ′ is exactly 0: each row of δ sums to 0 (b_K shifts a row of scores, softmax ignores it); summed in floats it is noise, which Adam would magnify"
    key_bias = {"K": (f"G[{l}][{rows['K']}, 0] = 0.0{why}", f"layer[{l}].Kb.grad.zero_()  # and so autograd's")}
    for name in "QKV":
        seq.append((f"G{name}", (f"G[{l}]{part(name)} += {A}[{name.lower()!r}].grad.T @ torch.cat([torch.ones(T, 1), {A}['x'].detach()], 1)"
                                 f"  # G_{name} += Σ_τ ∂ℓ/∂{name.lower()}_τ [1; x_τ]ᵀ", *key_bias.get(name, ()),
                                 f"check(G[{l}]{part(name)}, \"G_{name}{S} so far\")")))
    seq.append(("GO", (f"G[{l}]{part('O')} += {A}['o'].grad.T @ torch.cat([torch.ones(T, 1), {A}['z'].detach()], 1)"
                       "  # G_O += Σ_τ ∂ℓ/∂o_τ [1; z_τ]ᵀ", f"check(G[{l}]{part('O')}, \"G_O{S} so far\")")))
    # NumPy: the lecture's equations, forward and backward
    one_x = f"np.concatenate([np.ones((T, 1)), {A}['x']], 1)"
    np_seq: list[tuple[str, tuple[str, ...]]] = []
    for q in "qkv":
        first = (f"{A}['x'] = {{X}}  # x_1 … x_T, one row per τ", f"{A}['x1'] = {one_x}  # rows [1; x_τ]") if q == "q" else ()
        np_seq.append((q, (*first, f"{A}[{q!r}] = {A}['x1'] @ W[{l}]{part(q.upper())}.T  # {q}_τ = W_{q.upper()} [1; x_τ]",
                           chk(q, f"{q}{S}"))))
    masked = (f"np.where(np.tril(np.ones((T, T), dtype=bool)), {A}['scores'], -np.inf)" if kind.causal else f"{A}['scores']")
    np_seq += [("scores", (scores, chk("scores", f"e{S} (the scores)"))),
               ("a", (f"ex = np.exp({masked} - {A}['scores'].max(axis=-1, keepdims=True))  # (ex: e is the epoch)",
                      f"{A}['a'] = ex / ex.sum(axis=-1, keepdims=True)  # a = softmax over τ′{causal}", chk("a", f"a{S}"))),
               ("z", (z, chk("z", f"z{S}"))),
               ("o", (f"{A}['o'] = np.concatenate([np.ones((T, 1)), {A}['z']], 1) @ W[{l}]{part('O')}.T  # o_τ = W_O [1; z_τ]",
                      chk("o", f"o{S}"),
                      f"o[{l}] = np.concatenate([np.zeros((1, {d})), {A}['o']])  # row τ: o_τ (row 0: 0), as the layer above reads it")),
               ("dz", (f"{A}['do'] = {{up}}  # ∂ℓ/∂o_τ from the layer above, one row per τ",
                       f"{A}['dz'] = {A}['do'] @ W[{l}][{rows['O']}, 1:{dk + 1}]  # ∂ℓ/∂z_τ = W_Oᵀ ∂ℓ/∂o_τ (no bias column)",
                       chk("dz", f"∂ℓ/∂z{S}"))),
               ("da", (f"{A}['da'] = heads({A}['dz'], {H}) @ heads({A}['v'], {H}).swapaxes(1, 2)  # ∂ℓ/∂a_τ,τ′ = ∂ℓ/∂z_τ · v_τ′",
                       chk("da", f"∂ℓ/∂a{S}"))),
               ("delta", (f"{A}['delta'] = {A}['a'] * ({A}['da'] - ({A}['a'] * {A}['da']).sum(axis=-1, keepdims=True))"
                          "  # δ = a ⊙ (∂ℓ/∂a − Σ_τ′ a ∂ℓ/∂a), each softmax row's Jacobian", chk("delta", f"δ{S} = ∂ℓ/∂e"))),
               ("dq", (f"{A}['dq'] = stacked({A}['delta'] @ heads({A}['k'], {H}) / {root})  # ∂ℓ/∂q = δ k / √dh",
                       chk("dq", f"∂ℓ/∂q{S}"))),
               ("dk", (f"{A}['dk'] = stacked({A}['delta'].swapaxes(1, 2) @ heads({A}['q'], {H}) / {root})  # ∂ℓ/∂k = δᵀ q / √dh",
                       chk("dk", f"∂ℓ/∂k{S}"))),
               ("dv", (f"{A}['dv'] = stacked({A}['a'].swapaxes(1, 2) @ heads({A}['dz'], {H}))  # ∂ℓ/∂v = aᵀ ∂ℓ/∂z",
                       chk("dv", f"∂ℓ/∂v{S}"))),
               ("dx", (f"{A}['dx'] = " + " + ".join(f"{A}['d{q}'] @ W[{l}][{rows[q.upper()]}, 1:{d + 1}]" for q in "qkv")
                       + "  # ∂ℓ/∂x_τ = Σ over q, k, v of Wᵀ ∂ℓ/∂· (no bias column)", chk("dx", f"∂ℓ/∂x{S}")))]
    for name in "QKV":
        np_seq.append((f"G{name}", (f"G[{l}]{part(name)} += {A}['d{name.lower()}'].T @ {A}['x1']  # G_{name} += Σ_τ ∂ℓ/∂{name.lower()}_τ [1; x_τ]ᵀ",
                                    *key_bias.get(name, ())[:1], f"check(G[{l}]{part(name)}, \"G_{name}{S} so far\")")))
    np_seq.append(("GO", (f"G[{l}]{part('O')} += {A}['do'].T @ np.concatenate([np.ones((T, 1)), {A}['z']], 1)"
                          "  # G_O += Σ_τ ∂ℓ/∂o_τ [1; z_τ]ᵀ", f"check(G[{l}]{part('O')}, \"G_O{S} so far\")")))
    params = tuple((f"{n}{bw}", f"M[{rows[n]}, {'0' if bw == 'b' else cols[n].replace(':', '1:', 1)}]", bw == "b")
                   for n in "QKVO" for bw in "bw")
    shapes = {"Q": (dk, d), "K": (dk, d), "V": (dk, d), "O": (d, dk)}  # each matrix's weights: rows, columns
    named = ", ".join(f"(\"{n}b\", ({r},)), (\"{n}w\", ({r}, {c}))" for n, (r, c) in shapes.items())
    module = ("torch.nn.ParameterDict({name: torch.nn.Parameter(torch.zeros(shape)) for name, shape in [\n"
              f"                 {named}]}})")
    width = 1 + max(d, dk)  # the stored matrix's columns: each part padded with zeros to them
    matrix = "torch.cat([" + ", ".join(
        f"F.pad(torch.cat([layer[{l}].{n}b{{a}}[:, None], layer[{l}].{n}w{{a}}], 1), (0, {width - 1 - (dk if n == 'O' else d)}))"
        for n in "QKVO") + "])"
    return LayerCode(module=module, params=params, matrix=matrix, helpers=HELPERS, seq=tuple(seq), np_seq=tuple(np_seq),
                     seq_start=(f"{A} = {{}}  # layer {l}'s q, k, v, scores, a, z, o over the sequence, by name",),
                     np_seq_start=(f"{A} = {{}}  # layer {l}'s q, k, v, scores, a, z, o and their gradients, by name",),
                     np_seq_sent=f"{A}['dx']")

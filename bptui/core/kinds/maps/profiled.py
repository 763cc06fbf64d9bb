"""A map layer in a generated program in a notation profile (``bptui export --format pytorch|numpy --notation P``;
bptui/codegen/profiled.py): a convolution's and a pooling layer's lines (``LayerKind.profiled_code``), and a dense
layer's that reads a map (its vec).

A map is a map in every profile (cs231n's rows are a dense layer's): a convolution's kernels are held as its panel
shows them, a row per kernel k holding its channels' kh × kw flattened (K × C·kh·kw, the im2col order), with the
bias b apart (a separate bias) or in column 0 (the lecture's K × (1 + C·kh·kw)); the maps as (C, H, W) arrays. The
comments write each rule as the map equations print it in the profile (``equations.py``: z = W ⋆ a + b, the
kernel's gradient a ⋆ δ and its bias's Σ δ, ∂ℓ/∂a below as δ ⋆full rot180(W), a pooling layer's routing).

NumPy's lines call the lecture program's ``windows`` and ``unwindows`` (windowed.py); PyTorch's forward is
F.conv2d / F.max_pool2d / F.avg_pool2d, its backward autograd's."""

from __future__ import annotations

from typing import Any

from ...engine.kind import ProfiledCode, mean_divisor


def _t(n: dict[str, str]) -> dict[str, str]:
    """The printed symbols of ``n`` (its "~" keys) by their names' keys."""
    return {k[1:]: v for k, v in n.items() if k.startswith("~")}


def conv_code(k: Any, l: int, n: dict[str, str], separate: bool, mean: bool) -> ProfiledCode:
    """z = W ⋆ a + b: NumPy's einsum over each output position's window (windows), PyTorch's F.conv2d; the kernel's
    gradient a ⋆ δ (einsum over the positions) and its bias's Σ_i,j δ, over the group's m in a mean profile; ∂ℓ/∂a
    below: each δ_k,i,j times its kernel, added back where its window read (unwindows)."""
    t, torch = _t(n), n.get("lib", "np") == "torch"
    (C, H, Wd), K, (kh, kw), st, pad = k.in_shape, k.channels, k.kernel, k.stride, k.padding
    W, b, a, dz, dW, db = n["W"], n["b"], n["a_in"], n["dz"], n["dW"], n["db"]
    kern, bias = ((f"{W}.reshape({K}, {C}, {kh}, {kw})", b) if separate
                  else (f"{W}[:, 1:].reshape({K}, {C}, {kh}, {kw})", f"{W}[:, 0]"))
    win = f"windows({a}, {kh}, {kw}, {st}, {pad})"
    per, shown = mean_divisor(n, mean)  # the group's size as the panels print it (|B| or m)
    if torch:
        forward = f"F.conv2d({a}[None], {kern}, {bias}, stride={st}, padding={pad})[0]"
    else:
        forward = f"{bias}[:, None, None] + np.einsum(\"kcuv,chwuv->khw\", {kern}, {win})"
    said = f"{t['z']} = {t['W']} ⋆ {t['a_in']} + {t['b']}  (stride {st}, padding {pad})"
    kernel_grad = f"np.einsum(\"khw,chwuv->kcuv\", {dz}, {win}).reshape({K}, -1){per}"
    bias_grad = f"{dz}.sum(axis=(1, 2)){per}"
    rule = f"({t['a_in']} ⋆ {t['dz']}){shown}"
    if separate:
        grad = (f"{dW} += {kernel_grad}  # {t['dW']} ← {t['dW']} + {rule}, a row per kernel",
                f"{db} += {bias_grad}  # {t['db']} ← {t['db']} + (Σ_i,j {t['dz']}){shown}")
    else:
        grad = (f"{dW}[:, 0] += {bias_grad}  # {t['dW']}'s bias column: (Σ_i,j {t['dz']}){shown}",
                f"{dW}[:, 1:] += {kernel_grad}  # {t['dW']}'s kernels ← + {rule}")
    back = (f"unwindows(np.einsum(\"khw,kcuv->chwuv\", {dz}, {kern}), ({C}, {H}, {Wd}), {st}, {pad})")
    return ProfiledCode(forward, said, grad, back, f"{t['da_in']} = {t['dz']} ⋆full rot180({t['W']})")


def pool_code(k: Any, l: int, n: dict[str, str]) -> ProfiledCode:
    """a = maxpool(a below) or avgpool: NumPy's max or mean of each window, PyTorch's F.max_pool2d / F.avg_pool2d
    (autograd keeps ∂ℓ/∂a: ``a.grad``); its steps are its own (no z, no f, no weights): a, and ∂ℓ/∂a from the layer
    above ({up}, codegen fills it); ∂ℓ/∂ of the map below: each window's ∂ℓ/∂a to its first maximum, or spread evenly
    over the window."""
    t, torch = _t(n), n.get("lib", "np") == "torch"
    (C, H, Wd), (_, Ho, Wo), size, st, mode = k.in_shape, k.out_shape, k.size, k.stride, k.mode
    a, a_in, da = n["a"], n["a_in"], n["da"]
    win = f"windows({a_in}, {size}, {size}, {st}, 0).reshape({C}, {Ho}, {Wo}, {size * size})"
    said = f"{t['a']} = {mode}pool({t['a_in']})  ({size}×{size} windows, stride {st})"
    steps: tuple[tuple[str, tuple[str, ...]], ...]
    if torch:
        forward = f"F.{mode}_pool2d({a_in}[None], {size}, {st})[0]"
        steps = (("o", (f"{a} = {forward}  # {said}", f"{a}.retain_grad()  # keep {t['da']} after backward()",
                        f"check({a}, {t['a']!r})")),
                 ("delta", (f"check({a}.grad, {(t['da'] + ' (' + a + '.grad)')!r})",)))
    else:
        forward = f"{win}.{'max' if mode == 'max' else 'mean'}(axis=-1)"
        steps = (("o", (f"{a} = {forward}  # {said}", f"check({a}, {t['a']!r})")),
                 ("delta", (f"{da} = {{up}}  # {{up_comment}}", f"check({da}, {t['da']!r})")))
    if mode == "max":
        first = f"(np.arange({size * size}) == {win}.argmax(axis=-1)[..., None])"
        back = (f"unwindows(({da}[..., None] * {first}).reshape({C}, {Ho}, {Wo}, {size}, {size}), "
                f"({C}, {H}, {Wd}), {st}, 0)")
        back_said = f"{t['da_in']} = route_max({t['da']}): each window's to its first maximum"
    else:
        back = (f"unwindows(np.broadcast_to({da}[..., None, None] / {size * size}, ({C}, {Ho}, {Wo}, {size}, {size})), "
                f"({C}, {H}, {Wd}), {st}, 0)")
        back_said = f"{t['da_in']} = route_avg({t['da']}): spread evenly over each window"
    return ProfiledCode(forward, said, (), back, back_said, steps=steps)


def dense_after_map_code(shape: tuple[int, ...], n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
    """A dense layer reading a map, flattened in C, H, W order: z = W vec(a) + b (rows: vec(a) W + b, cs231n's
    W D × C), or z = W [1, vec(a)] with the bias in column 0; its gradient δ vec(a)ᵀ (vec(a)ᵀ δ with rows; the
    group's mean in a mean profile); ∂ℓ/∂a below: unvec(Wᵀ δ) (unvec(δ Wᵀ) with rows; without the bias row), back
    in the map's ``shape`` (C, H, W)."""
    t, lib = _t(n), n.get("lib", "np")
    W, b, a, dz, dW, db = n["W"], n["b"], n["a_in"], n["dz"], n["dW"], n["db"]
    per, shown = mean_divisor(n, mean)  # the group's size as the panels print it (|B| or m)
    vec = f"{a}.reshape(-1)"
    if not separate:
        one = (f"torch.cat([torch.ones(1), {vec}])" if lib == "torch" else f"np.concatenate([[1.0], {vec}])")
        return ProfiledCode(
            f"{W} @ {one}", f"{t['z']} = {t['W']} [1, vec({t['a_in']})]",
            (f"{dW} += np.outer({dz}, np.concatenate([[1.0], {vec}])){per}  # {t['dW']} ← {t['dW']} + "
             f"({t['dz']} [1, vec({t['a_in']})]ᵀ){shown}",),
            f"({W}.T @ {dz})[1:].reshape{shape}", f"{t['da_in']} = unvec({t['W']}ᵀ {t['dz']}) without the bias row")
    if row:
        return ProfiledCode(
            f"{a}.reshape(1, -1) @ {W} + {b}", f"{t['z']} = vec({t['a_in']}) {t['W']} + {t['b']}",
            (f"{dW} += {a}.reshape(-1, 1) @ {dz}{per}  # {t['dW']} ← {t['dW']} + (vec({t['a_in']})ᵀ {t['dz']}){shown}",
             f"{db} += np.sum({dz}, axis=0){per}  # {t['db']} ← {t['db']} + {t['dz']}{shown}"),
            f"({dz} @ {W}.T).reshape{shape}", f"{t['da_in']} = unvec({t['dz']} {t['W']}ᵀ)")
    return ProfiledCode(
        f"{W} @ {vec} + {b}", f"{t['z']} = {t['W']} vec({t['a_in']}) + {t['b']}",
        (f"{dW} += np.outer({dz}, {vec}){per}  # {t['dW']} ← {t['dW']} + ({t['dz']} vec({t['a_in']})ᵀ){shown}",
         f"{db} += {dz}{per}  # {t['db']} ← {t['db']} + {t['dz']}{shown}"),
        f"({W}.T @ {dz}).reshape{shape}", f"{t['da_in']} = unvec({t['W']}ᵀ {t['dz']})")

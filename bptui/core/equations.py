"""Each step's equation in the lecture's notation, with the numbers filled in."""

from __future__ import annotations

import numpy as np

from .network import Network
from .optim import Optimizer, regularised
from .notation import mat, num, sup, vec
from .schedule import BACKWARD, FORWARD, LOSS, UPDATE, StepKey
from .stepper import State, Step

_F_NAMES = {"sigmoid": "σ", "identity": "id"}


def symbol(key: StepKey) -> str:
    """The quantity a step computes: ``s⁽¹⁾``, ``δ⁽²⁾``, ``ℓ⁽³⁾``, ``W⁽¹⁾`` …"""
    if key.quantity == "loss":
        return f"ℓ{sup(key.example)}"
    letter = {"delta": "δ"}.get(key.quantity, key.quantity)
    return f"{letter}{sup(key.layer)}"


def fprime_text(net: Network, l: int) -> str:
    """f′(s⁽ˡ⁾) as the lecture writes it for layer l's activation."""
    return net.act(l).df_text.format(o=f"o{sup(l)}", s=f"s{sup(l)}")


def equation(net: Network, state: State, step: Step, digits: int = 4, lr: float = 0.0, l2: float = 0.0,
             optimizer: Optimizer | None = None) -> str:
    """Step ``step``'s equation; updates use ``optimizer`` (or plain sgd with ``lr`` and ``l2``)."""
    key, L = step.key, net.L
    l = key.layer
    v = lambda a: vec(a, digits)  # noqa: E731
    m = lambda a: mat(a, digits)  # noqa: E731
    if key.phase == FORWARD and key.quantity == "s":
        return (f"s{sup(l)} = W{sup(l)} o{sup(l-1)} = {m(state.W[l])} {v(state.o[l-1])} = {v(step.value)}")
    if key.phase == FORWARD:
        name = net.act(l).name
        f = _F_NAMES.get(name, name)
        inner = f"{f}(s{sup(l)})"
        if l < L:
            return f"o{sup(l)} = [1, {inner}] = [1, {f}({v(state.s[l])})] = {v(step.value)}"
        return f"o{sup(l)} = {inner} = {f}({v(state.s[l])}) = {v(step.value)}"
    if key.phase == LOSS:
        text = net.loss.text.format(o=f"o{sup(L)}")
        o, y = state.o[L], state.y
        terms = ""
        if net.loss.name != "cross_entropy" and len(o) <= 4:
            half = "½ " if net.loss.name == "half_squared" else ""
            terms = " = " + half + " + ".join(f"({num(a, digits)} − {num(b, digits)})²" for a, b in zip(o, y))
        return f"ℓ{sup(key.example)} = {text}{terms} = {num(step.value, digits)};   ℓ_D = {num(state.loss_D, digits)}"
    if key.phase == BACKWARD and key.quantity == "delta":
        if l == L:
            o = f"o{sup(L)}"
            if net.loss.name == "cross_entropy":
                return f"δ{sup(L)} = {o} − y = {v(state.o[L])} − {v(state.y)} = {v(step.value)}"
            two = "2" if net.loss.name == "squared" else ""
            if net.act(L).name == "softmax":
                return (f"δ{sup(L)} = (diag({o}) − {o}{o}ᵀ) {two}({o} − y) = {v(step.value)}")
            fp = net.df(L, state.s[L], state.o[L])
            return (f"δ{sup(L)} = {two}({o} − y) ⊙ {fprime_text(net, L)} = "
                    f"{two}({v(state.o[L])} − {v(state.y)}) ⊙ {v(fp)} = {v(step.value)}")
        back = (state.W[l + 1].T @ state.delta[l + 1])[1:]
        fp = net.df(l, state.s[l], state.o[l][1:])
        return (f"δ{sup(l)} = (W{sup(l+1)}ᵀ δ{sup(l+1)})[1:] ⊙ {fprime_text(net, l)} = "
                f"{v(back)} ⊙ {v(fp)} = {v(step.value)}")
    if key.phase == BACKWARD:
        return (f"G{sup(l)} ← G{sup(l)} + δ{sup(l)} o{sup(l-1)}ᵀ = {m(step.before)} + "
                f"{v(state.delta[l])} {v(state.o[l-1])}ᵀ = {m(step.value)}")
    if key.phase == UPDATE:
        opt = optimizer or Optimizer("sgd", lr, l2)
        return update_equation(opt, state, step, digits)
    raise ValueError(key)  # pragma: no cover


def update_equation(opt: Optimizer, state: State, step: Step, digits: int = 4) -> str:
    """W⁽ˡ⁾'s update with the optimizer's formula and the numbers (state before and after)."""
    l = step.key.layer
    m = lambda a: mat(a, digits)  # noqa: E731
    n = lambda x: num(x, digits)  # noqa: E731
    L, G, eta = sup(l), state.G[l], n(opt.learning_rate)
    lam = f", λ = {n(opt.l2)}" if opt.l2 else ""
    if opt.l2:
        g_text = f"g = G{L} + 2λ W̃{L} = {m(G)} + {n(2 * opt.l2)} W̃{L} = {m(regularised(step.before, G, opt.l2))}; "
    else:
        g_text = ""
    if opt.name == "sgd":
        if opt.l2:
            return (f"W{L} ← W{L} − η (G{L} + 2λ W̃{L}), η = {eta}{lam}: "
                    f"{m(step.before)} − {eta} ({m(G)} + {n(2 * opt.l2)} W̃) = {m(step.value)}")
        return f"W{L} ← W{L} − η G{L} = {m(step.before)} − {eta} {m(G)} = {m(step.value)}"
    g = "g" if opt.l2 else f"G{L}"
    if opt.name == "momentum":
        return (f"{g_text}v{L} ← μ v{L} + {g}, W{L} ← W{L} − η v{L}, μ = {n(opt.momentum)}, η = {eta}{lam}: "
                f"v{L} = {n(opt.momentum)} {m(step.opt_before.v)} + {m(regularised(step.before, G, opt.l2))} "
                f"= {m(step.opt.v)}; W{L} = {m(step.before)} − {eta} {m(step.opt.v)} = {m(step.value)}")
    t = step.opt.t
    b1, b2 = opt.beta1, opt.beta2
    m_hat = step.opt.m / (1.0 - b1**t)
    v_hat = step.opt.v / (1.0 - b2**t)
    gg = regularised(step.before, G, opt.l2)
    return (f"{g_text}t = {t}, β₁ = {n(b1)}, β₂ = {n(b2)}, ε = {n(opt.eps)}, η = {eta}{lam}: "
            f"m{L} ← β₁ m{L} + (1 − β₁) {g} = {n(b1)} {m(step.opt_before.m)} + {n(1 - b1)} {m(gg)} = {m(step.opt.m)}; "
            f"v{L} ← β₂ v{L} + (1 − β₂) {g}² = {n(b2)} {m(step.opt_before.v)} + {n(1 - b2)} {m(gg * gg)} = {m(step.opt.v)}; "
            f"m̂ = m{L} / (1 − β₁ᵗ) = {m(m_hat)}, v̂ = v{L} / (1 − β₂ᵗ) = {m(v_hat)}; "
            f"W{L} ← W{L} − η m̂ / (√v̂ + ε) = {m(step.before)} − {eta} {m(m_hat)} / (√{m(v_hat)} + ε) = {m(step.value)}")


def value_json(value) -> object:
    """A step's value for JSON: a number or nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return float(value)

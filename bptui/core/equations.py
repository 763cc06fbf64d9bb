"""Each step's equation in the lecture's notation, with the numbers filled in."""

from __future__ import annotations

import numpy as np

from .network import Network
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


def equation(net: Network, state: State, step: Step, digits: int = 4, lr: float = 0.0, l2: float = 0.0) -> str:
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
        eta = num(lr, digits)
        if l2:
            return (f"W{sup(l)} ← W{sup(l)} − η (G{sup(l)} + 2λ W̃{sup(l)}), η = {eta}, λ = {num(l2, digits)}: "
                    f"{m(step.before)} − {eta} ({m(state.G[l])} + {num(2 * l2, digits)} W̃) = {m(step.value)}")
        return (f"W{sup(l)} ← W{sup(l)} − η G{sup(l)} = {m(step.before)} − {eta} {m(state.G[l])} = "
                f"{m(step.value)}")
    raise ValueError(key)  # pragma: no cover


def value_json(value) -> object:
    """A step's value for JSON: a number or nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return float(value)

"""What every generated program shares: each framework's activations and losses, the recorded run, the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.engine.schedule import UPDATE
from ..core.formulas.notation import sup

FORMATS = ("pytorch", "numpy")
INLINE_LIMIT = 1 << 20  # bptui's values past 1 MB of text go to PROGRAM-expected.npz
RTOL, ATOL = 1e-7, 1e-9  # float64: the framework's arithmetic and bptui's differ in the last digits only


# -- activations and losses: each framework's idiom (the names come from core/ops' tables) ------------
# name: (PyTorch's f of s, NumPy's f of s, NumPy's f′ from s and o = f(s))
ACTIVATION_CODE: dict[str, tuple[str, str, str]] = {
    "identity": ("{s}", "{s}", "np.ones_like({s})"),
    "sigmoid": ("torch.sigmoid({s})", "1 / (1 + np.exp(-{s}))", "{o} * (1 - {o})"),
    "tanh": ("torch.tanh({s})", "np.tanh({s})", "1 - {o} ** 2"),
    "relu": ("torch.relu({s})", "np.maximum({s}, 0.0)", "({s} > 0) * 1.0"),
    "gelu": ("F.gelu({s})", "0.5 * {s} * (1 + erf({s} / np.sqrt(2)))",
             "0.5 * (1 + erf({s} / np.sqrt(2))) + {s} * np.exp(-{s} ** 2 / 2) / np.sqrt(2 * np.pi)"),
    "softplus": ("F.softplus({s}, threshold=1000)", "np.logaddexp(0.0, {s})", "1 / (1 + np.exp(-{s}))"),
    "elu": ("F.elu({s}, {a})", "np.where({s} > 0, {s}, {a} * np.expm1(np.minimum({s}, 0.0)))",
            "np.where({s} > 0, 1.0, {a} * np.exp(np.minimum({s}, 0.0)))"),
    "leaky_relu": ("F.leaky_relu({s}, {a})", "np.where({s} >= 0, {s}, {a} * {s})", "np.where({s} >= 0, 1.0, {a})"),
    "prelu": ("F.leaky_relu({s}, {a})", "np.where({s} >= 0, {s}, {a} * {s})", "np.where({s} >= 0, 1.0, {a})"),
    "softmax": ("torch.softmax({s}, 0)", "np.exp({s} - {s}.max()) / np.exp({s} - {s}.max()).sum()", ""),
}
ERF_CODE = ("erf", "erf = np.vectorize(math.erf)  # the error function, elementwise")


def _loss_torch(loss: str, act: str) -> tuple[str, str]:
    """(ℓ from s[L], o[L] and y in PyTorch, the lecture's formula)."""
    if loss == "cross_entropy" and act == "softmax":
        return "F.cross_entropy(s[{L}], y)", "ℓ = −Σ_k y_k log o_k (cross-entropy from s, y as class probabilities)"
    if loss == "cross_entropy":
        return ("F.binary_cross_entropy_with_logits(s[{L}], y, reduction=\"sum\")",
                "ℓ = −Σ_k (y_k log o_k + (1 − y_k) log(1 − o_k)) (from s)")
    if loss == "half_squared":
        return "0.5 * F.mse_loss(o[{L}], y, reduction=\"sum\")", "ℓ = ½ Σ_k (o_k − y_k)²"
    return "F.mse_loss(o[{L}], y, reduction=\"sum\")", "ℓ = Σ_k (o_k − y_k)²"


def _loss_numpy(loss: str, act: str, alpha: float) -> tuple[str, list[str]]:
    """(ℓ in NumPy, the lines of δ⁽ᴸ⁾ = ∂ℓ/∂s⁽ᴸ⁾)."""
    o, s, d = "o[{L}]", "s[{L}]", "d[{L}]"
    if loss == "cross_entropy" and act == "softmax":
        return (f"-np.sum(y * ({s} - {s}.max() - np.log(np.exp({s} - {s}.max()).sum())))  # ℓ = −Σ_k y_k log o_k",
                [f"{d} = {o} * y.sum() - y  # δ⁽ᴸ⁾ = o Σ_k y_k − y (softmax and cross-entropy)"])
    if loss == "cross_entropy":
        return (f"np.sum(y * np.logaddexp(0.0, -{s}) + (1 - y) * np.logaddexp(0.0, {s}))"
                "  # ℓ = −Σ_k (y_k log o_k + (1 − y_k) log(1 − o_k))",
                [f"{d} = {o} - y  # δ⁽ᴸ⁾ = o − y (sigmoid and cross-entropy)"])
    half = loss == "half_squared"
    value = (f"0.5 * np.sum(({o} - y) ** 2)  # ℓ = ½ Σ_k (o_k − y_k)²" if half
             else f"np.sum(({o} - y) ** 2)  # ℓ = Σ_k (o_k − y_k)²")
    grad = f"dl_do = {o} - y  # ∂ℓ/∂o⁽ᴸ⁾ = o − y" if half else f"dl_do = 2 * ({o} - y)  # ∂ℓ/∂o⁽ᴸ⁾ = 2 (o − y)"
    if act == "softmax":
        return value, [grad, f"{d} = {o} * (dl_do - {o} @ dl_do)  # δ⁽ᴸ⁾ = (diag(o) − o oᵀ) ∂ℓ/∂o"]
    fprime = ACTIVATION_CODE[act][2].format(s=s, o=o, a=repr(alpha))
    return value, [grad, f"{d} = dl_do * ({fprime})  # δ⁽ᴸ⁾ = ∂ℓ/∂o ⊙ f′(s⁽ᴸ⁾)"]


# -- the run: the state the program starts from and bptui's value for every step ----------------------
@dataclass
class Run:
    """Steps ``first`` … ``last`` (1-based) of bptui's run, from the state ``start`` steps in (an example's
    first step or a group's first update at or before ``first``)."""

    first: int
    last: int
    start: int
    groups: list[list[int]]  # the update groups from ``start``: their 0-based examples in bptui's order
    epochs: list[int]  # each group's epoch (from 1): dropout's masks depend on it
    W: list[np.ndarray]
    G: list[np.ndarray]
    opt: list[Any]
    values: list[Any]  # bptui's value of steps first … last
    keys: list[Any] = field(default_factory=list)  # their StepKeys
    sizes: list[int] = field(default_factory=list)  # each group's size m (all its examples, those before start too)
    step_sizes: list[int] = field(default_factory=list)  # the size of each step's group


def record(spec: Any, first: int, last: int) -> Run:
    """Walk bptui's stepper to step ``last`` and keep what the program needs."""
    from ..core.engine.equations import group_size
    from ..core.engine.stepper import Stepper
    from .. import progress

    stepper = Stepper(spec)
    sch = stepper.schedule
    start = first - 1
    if sch.key(start).phase == UPDATE:
        while start > 0 and sch.key(start - 1).phase == UPDATE:
            start -= 1
    else:
        while not sch.key(start).example_start:
            start -= 1
    while stepper.position < start:
        stepper.forward()
        progress.step()
    st = stepper.state
    fresh = sch.key(start).group_start and sch.key(start).phase != UPDATE
    W = [np.array(w) for w in st.W[1:]]
    G = [np.zeros_like(w) if fresh else np.array(g) for w, g in zip(st.W[1:], st.G[1:])]
    opt = list(st.opt[1:])
    groups: list[list[int]] = [[]]
    epochs = [sch.key(start).epoch]
    closed = False
    values = []
    keys, step_sizes, sizes = [], [], [group_size(stepper.net, sch.key(start))]
    for i in range(start, last):
        key = sch.key(i)
        if key.phase != UPDATE and key.example_start:
            if closed:
                groups.append([])
                epochs.append(key.epoch)
                sizes.append(group_size(stepper.net, key))
                closed = False
            assert key.example is not None
            groups[-1].append(key.example - 1)
        closed = closed or key.phase == UPDATE
        step = stepper.forward()
        progress.step()
        if i + 1 >= first:
            values.append(step.value)
            keys.append(key)
            step_sizes.append(group_size(stepper.net, key))
    return Run(first, last, start, groups, epochs, W, G, opt, values, keys, sizes, step_sizes)


# -- writing the program -----------------------------------------------------------------------------
class Writer:
    """The lines of one program; ``at`` the indentation of the next line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.at = 0

    def __call__(self, *lines: str) -> None:
        for line in lines:
            for part in line.split("\n"):
                self.lines.append(("    " * self.at + part) if part else "")


def packages(w: Writer, torch: bool, *more: str, functional: bool = True) -> None:
    """The program's imports of NumPy (and PyTorch, and ``more`` from them): where one is not installed, the
    program says so on one line, as bptui says an error, with what to install, and exits with status 2,
    not with a traceback (the program imports ``sys`` before). PyTorch then set to float64, as bptui computes."""
    lines = ["import numpy as np", *(("import torch", *(("import torch.nn.functional as F",) if functional else ()),
                                       "from torch.testing import assert_close") if torch else ()), *more]
    w("try:", *(f"    {line}" for line in lines),
      "except ModuleNotFoundError as missing:  # (NumPy or PyTorch not installed where the program runs)",
      "    package = (missing.name or '?').split('.')[0]",
      "    print(f\"error: {sys.argv[0]}: this program needs {package}: pip install {package}\", file=sys.stderr)",
      "    raise SystemExit(2)", "")
    if torch:
        w("torch.set_default_dtype(torch.float64)", "")


def _sym(q: str, l: int | None) -> str:
    return {"s": "s", "o": "o", "delta": "δ", "G": "G", "W": "W"}.get(q, q) + (sup(l) if l is not None else "")


# -- a network over time: each example a sequence, stepped as core/engine/schedule.py's sequence_block ----
def _per_step_y(code: str) -> str:
    """A loss line of the output at τ: y is the target row y_τ (the comment after ``#`` left alone)."""
    import re

    body, sep, comment = code.partition("  # ")
    return re.sub(r"\by\b", "y[t - 1]", body) + sep + comment

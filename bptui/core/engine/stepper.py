"""Walk the step schedule forward and back, one step at a time.

Every array the stepper makes is new and read-only, so a state is a handful of references and a
checkpoint costs nothing for the arrays it shares with the present. Going back restores the nearest
checkpoint at or before the target and replays the same step code forward, so the values are
bit-for-bit the ones first computed. Checkpoints sit at example boundaries and are thinned (every
other one dropped) whenever there are more than ``max_checkpoints``, which bounds both memory and
the replay a step back can cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Generic, Iterator, Literal, Sequence, Union

import numpy as np

from ..ops import optim
from ..formulas.formula import TINY, Sym, TextPrinter
from ..formulas.profiles import Profile
from .kind import LayerKind
from .network import Network
from . import wiring as wired
from ..formulas.notation import num, ordinal, sup
from ..formulas.numformat import extents, span_cell_width
from .protocols import K, V
from .schedule import BACKWARD, FORWARD, LOSS, UPDATE, Follows, Schedule, StepKey
from .netspec import DEFAULT_INIT, NetworkSpec

if TYPE_CHECKING:
    from .protocols import Stepping


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _known(a: np.ndarray | None) -> np.ndarray:
    """A value the schedule has computed by the time a step reads it (s before o, o before ℓ, …)."""
    if a is None:  # pragma: no cover - the step order rules it out
        raise RuntimeError("a step read a value its schedule has not computed yet")
    return a


def _layer(key: StepKey) -> int:
    if key.layer is None:  # pragma: no cover - only the loss step has no layer
        raise ValueError(f"step {key.step} ({key.quantity}) has no layer")
    return key.layer


def _ln(x: float) -> float:
    """ln x of a float ≥ 0 (−∞ for 0)."""
    return math.log(x) if x > 0 else -math.inf


# W⁽⁰⁾ and G⁽⁰⁾ do not exist: index 0 of those lists holds this empty matrix, so that W[l] is W⁽ˡ⁾
NO_LAYER = _ro(np.zeros((0, 0)))


@dataclass
class State:
    """Everything on the lecture's blackboard at one moment (l indexes the lists directly)."""

    W: list[np.ndarray]  # W[l] for l = 1..L (index 0: NO_LAYER)
    G: list[np.ndarray]  # G[l]
    loss_D: float = 0.0  # ℓ_D so far in this epoch
    s: list[np.ndarray | None] = field(default_factory=list)  # s[l], None until computed for this example
    o: list[np.ndarray | None] = field(default_factory=list)  # o[0] = [1, x] … o[L]
    delta: list[np.ndarray | None] = field(default_factory=list)
    loss: float | None = None  # ℓ⁽ⁿ⁾ of the current example
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    # opt[l]: layer l's optimizer state (velocity, moments); opt[0] is an empty OptState
    opt: list[optim.OptState] = field(default_factory=list)
    # updates[l]: (the update Step that last wrote W[l], the G[l] it used), None before the first one;
    # kept so an explanation can show the last update of any weight with its exact numbers
    updates: list[tuple[NetworkStep, np.ndarray] | None] = field(default_factory=list)
    # a kind's own quantities over time, keyed (quantity, l): an LSTM's gates, c, ∂ℓ/∂h, ∂ℓ/∂c
    extra: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    losses: int = 0  # how many examples' ℓ⁽ⁿ⁾ ℓ_D holds (a mean profile shows ℓ_D / losses: loss_D_shown)
    # ln of the exact ℓ_D where it is past the floats (below the smallest normal float: 0 there, or subnormal
    # with its digits lost), summed from its losses' logarithms (Network.loss_ln); None where the float ℓ_D is
    # its own number. ``loss_D_ln_before``: the same of ℓ_D before the last ℓ⁽ⁿ⁾ was added (its ℓ_D line's term)
    loss_D_ln: float | None = None
    loss_D_ln_before: float | None = None

    def copy(self) -> "State":
        return State(list(self.W), list(self.G), self.loss_D, list(self.s), list(self.o),
                     list(self.delta), self.loss, self.x, self.y, list(self.opt), list(self.updates), dict(self.extra),
                     self.losses, self.loss_D_ln, self.loss_D_ln_before)

    def layer_arrays(self, l: int) -> dict[str, np.ndarray | None]:
        """Layer l's arrays on the board, by quantity: W, G, and its rows over τ (s, o, δ and the kind's
        own: an LSTM's gates, c, ∂ℓ/∂h, ∂ℓ/∂c); what a sequence panel shows of the layer."""
        return {"W": self.W[l], "G": self.G[l], "s": self.s[l], "o": self.o[l], "delta": self.delta[l],
                **{q: a for (q, m), a in self.extra.items() if m == l}}

    def add_loss(self, value: float, ln: Callable[[], float | None]) -> None:
        """ℓ_D ← ℓ_D + ℓ⁽ⁿ⁾ with ℓ⁽ⁿ⁾ = ``value``; where the sum is past the floats, its logarithm too, from
        ℓ⁽ⁿ⁾'s (``ln()``: Network.loss_ln, asked only there) and the sum's before it."""
        before, before_ln = self.loss_D, self.loss_D_ln
        self.loss_D += value
        self.losses += 1
        self.loss_D_ln_before, self.loss_D_ln = before_ln, None
        if 0 <= self.loss_D < TINY:
            new = ln()
            terms = [_ln(before) if before_ln is None else before_ln, _ln(value) if new is None else new]
            hi, lo = max(terms), min(terms)  # ln(e^hi + e^lo)
            total = hi if lo == -math.inf else hi + math.log1p(math.exp(lo - hi))
            self.loss_D_ln = total if math.isfinite(total) else None


@dataclass(frozen=True)
class Step(Generic[K, V]):
    """One executed step: where it stands, the value it produced and the value it replaced.

    Generic in its key and value: a network's steps are :data:`NetworkStep`, a graph's
    ``Step[GraphStepKey, float]``."""

    key: K
    value: V  # a network's: ndarray, or float for the loss; a graph's: float
    before: np.ndarray | None = None  # G before the increment, W before the update
    opt_before: optim.OptState | None = None  # update steps: the optimizer state before …
    opt: optim.OptState | None = None  # … and after the update


NetworkStep = Step[StepKey, Union[np.ndarray, float]]


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not positions
class Position:
    """Where the stepper stands: the one account of it that every view reads.

    When a step's values are on the board, it describes that step (``phase`` is its phase and
    ``example`` the example whose s, o, δ are shown; during the updates, the group's last example).
    When none is (step 0, and the first step history can revisit after an edit), ``phase`` is
    ``"start"`` and it names what comes next: the epoch, the example and its x and y, in the epoch's
    (possibly shuffled) order.
    """

    step: int  # steps done since the start
    epoch: int  # 1-based
    step_in_epoch: int  # steps done in this epoch: 0 at its start … steps_per_epoch at its end
    steps_per_epoch: int
    phase: str  # forward | loss | backward | update, or "start"
    example: int  # 1-based example on the board (or next, at the start)
    x: np.ndarray
    y: np.ndarray
    next: StepKey  # the step the next keypress does
    follows: Follows  # the update group the example belongs to: what its update follows
    group_done: bool  # G holds the whole group's gradient and none of its updates has been made
    at_floor: bool  # history cannot go further back from here
    N: int  # examples in the data
    order: int | None  # the example's 1-based place in this epoch's shuffled order (None: data order)

    def example_text(self) -> str:
        """``example 3 of 4``; shuffled, also its place in the epoch: ``example 116 of 120, 1st this epoch``."""
        text = f"example {self.example} of {self.N}"
        return text if self.order is None else f"{text}, {ordinal(self.order)} this epoch"


@dataclass(frozen=True)
class Origin:
    """Where the weights of a reset came from: the network file, its seeded ``init``, training with
    ``t`` (``epochs`` this run, ``total`` since the file's weights), the settings screen (``kept``:
    the rows and columns of each layer's W kept from the weights on screen, the rest drawn from
    ``default_rng([seed, keys[l-1]])``) or weights given otherwise."""

    kind: Literal["file", "init", "trained", "settings", "given"]
    source: str = ""
    seed: int | None = None
    scale: float | None = None
    epochs: int = 0
    total: int = 0
    optimizer: optim.Optimizer | None = None
    kept: tuple[tuple[int, int], ...] = ()
    keys: tuple[int, ...] = ()  # the settings screen's generator per layer: default_rng([seed, key])
    below: tuple[str | None, ...] = ()  # per layer: why only its bias column was kept (the layer below changed)

    @staticmethod
    def of_spec(spec: NetworkSpec) -> "Origin":
        if "weights" in spec.raw or not spec.raw:
            return Origin("file", spec.source)
        init = {**DEFAULT_INIT, **spec.raw.get("init", {})}
        return Origin("init", spec.source, int(init["seed"]), float(init["scale"]))

    def text(self) -> str:
        """What the weights' starting value is, after ``w = 0.1: ``."""
        if self.kind == "file":
            return f"its value in the network file{' ' + Path(self.source).name if self.source else ''}"
        if self.kind == "init":
            return (f"drawn by the file's init: uniform in [−{num(self.scale or 0)}, {num(self.scale or 0)}] "
                    f"from numpy.random.default_rng({self.seed})")
        if self.kind == "trained":
            opt = self.optimizer or optim.Optimizer()
            total = f"; {self.total} since the file's weights" if self.total != self.epochs else ""
            return (f"after training with t for {self.epochs} epoch{'s' if self.epochs != 1 else ''} "
                    f"({opt.name}, η = {num(opt.learning_rate)}{total}), from the weights on screen then")
        if self.kind == "settings":
            return "set when the settings were applied (s)"
        return "the weights the stepper was started with"

    def reset_target(self) -> str:
        """The weights ``r`` returns to when this is the stepper's base origin, for messages."""
        return "the weights the settings were applied with (s)" if self.kind == "settings" else "the file's weights"

    def text_at(self, l: int, row: int, col: int) -> str:
        """Where weight (row, col) of W⁽ˡ⁾ started: for the settings screen's, kept or drawn."""
        if self.kind != "settings" or l > len(self.kept):
            return self.text()
        rows, cols = self.kept[l - 1]
        if row < rows and col < cols:
            return "kept from the weights on screen when the settings were applied (s)"
        key = self.keys[l - 1] if l <= len(self.keys) else l
        why = self.below[l - 1] if l <= len(self.below) and row < rows else None
        return (f"drawn when the settings were applied (s){', as ' + why if why else ''}: uniform in "
                f"[−{num(self.scale or 0)}, {num(self.scale or 0)}] from numpy.random.default_rng([{self.seed}, {key}])")


def weight_name(l: int, row: int, col: int, layer_kind: LayerKind | None = None) -> str:
    """Weight (row, col) of W⁽ˡ⁾ (0-based array cell) as the panels name it: the layer kind's
    ``weight_sym`` (w_b,a⁽ˡ⁾ for a dense layer, b = row + 1, a = col; a kernel's w_k,c,u,v⁽ˡ⁾ or b_k⁽ˡ⁾;
    a recurrent layer's u_b,c⁽ˡ⁾ in U); without a kind, the dense name."""
    return TextPrinter().p(layer_kind.weight_sym(l, row, col) if layer_kind is not None else Sym("w", l, (row + 1, col)))


@dataclass(frozen=True)
class Edit:
    """A weight typed in by hand and what the stepper did with it.

    ``start`` is the position it took effect from (the start of its update group: the group restarted
    there when the edit was made inside it, ``at`` > ``start``); ``old`` is the value it replaced there.
    """

    layer: int
    row: int  # 0-based array indices of W⁽ˡ⁾
    col: int
    old: float  # the value at ``start``, which the edit replaced
    new: float
    shown: float  # the value on screen when the edit was made (differs after an undone update)
    at: int  # the position the edit was made at
    start: int  # the position it takes effect from, an update-group boundary
    epoch: int  # the epoch of the group it starts
    step_in_epoch: int  # ``start`` within that epoch
    follows: Follows  # the group that starts (or restarts) with it
    undone: tuple[int, ...] = ()  # the layers whose update in the group was undone
    layer_kind: LayerKind | None = None  # layer l's kind, which names its weights (weight_name)
    notation: Profile | None = field(default=None, compare=False)  # the stepper's: the words' G, ℓ_D and W⁽ˡ⁾

    @property
    def name(self) -> str:
        return weight_name(self.layer, self.row, self.col, self.layer_kind)

    @property
    def restarted(self) -> bool:
        return self.at > self.start

    def equation(self, digits: int = 4) -> str:
        """``w₁,₀⁽¹⁾ ← 0.3 (edited; was 0.1)``"""
        return f"{self.name} ← {num(self.new, digits)} (edited; was {num(self.old, digits)})"

    def group_text(self) -> str:
        """The group the edit starts: ``epoch 2``, ``mini-batch 2``, ``example 3``."""
        f = self.follows
        if f.group_size == 1:
            return f"example {f.first}"
        if f.n_groups == 1:
            return f"epoch {self.epoch}"
        return f"mini-batch {f.group}"

    def text(self, digits: int = 4) -> str:
        """What happened, for the message line."""
        name, new, first = self.name, num(self.new, digits), self.follows.first
        f = self.follows
        if not self.restarted:
            group = self.group_text() + ("" if f.group_size == 1 else f" (example {first})")
            return (f"{name} = {new} (was {num(self.old, digits)}): in effect at once; the next step starts "
                    f"{group} with it. Earlier steps can no longer be revisited.")
        from .equations import LOSS_D

        p = TextPrinter(notation=self.notation)  # the lecture's G, ℓ_D, W⁽ˡ⁾, or the profile's (dW and db, L_D, W¹)
        grads = [p.p(Sym("G", vector=True))]
        if self.notation is not None and self.notation.separate_bias:
            grads.append(p.p(Sym("Gb", vector=True)))
        follow = f"{', '.join(grads)} and {p.p(LOSS_D)}"
        if f.group_size == 1:
            what = f"example {first} starts again from its first step, so its {follow}"
        else:
            what = f"{self.group_text()} restarts at its first example, example {first}, so {follow}"
        undone = ""
        if self.undone:
            layers = ", ".join(p.p(Sym("W", l, vector=True)) for l in self.undone)
            many = len(self.undone) > 1
            undone = (f"; this group's update{'s' if many else ''} of {layers} {'are' if many else 'is'} undone, "
                      f"so {layers} {'are' if many else 'is'} as {'they were' if many else 'it was'} before "
                      f"{'them' if many else 'it'}")
            if self.layer in self.undone:
                undone += f" ({name} was {num(self.shown, digits)} after it, {num(self.old, digits)} before)"
        return (f"{name} = {new}: {what} follow from the new weight{undone}. "
                f"Earlier steps can no longer be revisited.")


@dataclass(frozen=True, eq=False)
class Provenance:
    """Where the value of one weight comes from: the reset's ``origin`` (file, init, training), an
    ``edit``, or an ``update`` step (with the G it used)."""

    layer: int
    row: int
    col: int
    value: float
    kind: Literal["file", "init", "trained", "settings", "given", "edit", "update"]
    origin: Origin | None = None
    edit: Edit | None = None
    update: Step | None = None
    G: np.ndarray | None = None  # the G⁽ˡ⁾ the update used
    optimizer: optim.Optimizer | None = None
    follows: Follows | None = None  # what the update followed
    step_in_epoch: int = 0  # the update step within its epoch
    layer_kind: LayerKind | None = None  # layer l's kind, which names its weights (weight_name)

    def text(self, digits: int = 4, name: str | None = None) -> str:
        """One line in the lecture's notation: where the weight's value comes from, with its numbers
        (``name``: the weight as a notation profile names it)."""
        w, value = name or weight_name(self.layer, self.row, self.col, self.layer_kind), num(self.value, digits)
        if self.kind == "edit" and self.edit is not None:
            e = self.edit
            where = f"step {e.step_in_epoch} of epoch {e.epoch}"
            how = (f"; {e.group_text()} restarted there with it" if e.restarted else "")
            return f"{w} = {value}: edited by hand (was {num(e.old, digits)}), in effect from {where}{how}"
        if self.kind == "update" and self.update is not None:
            return self._update_text(w, digits)
        own = self.layer_kind.init_text(self.row, self.col) if self.kind == "init" and self.layer_kind else None
        return f"{w} = {value}: {own or (self.origin or Origin('given')).text_at(self.layer, self.row, self.col)}"

    def _update_text(self, w: str, digits: int) -> str:
        step, opt, G = self.update, self.optimizer or optim.Optimizer(), self.G
        assert step is not None and G is not None
        i = (self.row, self.col)
        w0 = float(step.before[i])  # type: ignore[index]
        bias = self.layer_kind.bias_columns if self.layer_kind is not None else (0,)
        g = float(optim.regularised(step.before, G, opt.l2, bias)[i])  # type: ignore[arg-type]
        a, l = self.col, self.layer
        G_sym = self.layer_kind.grad_sym(l, self.row, a) if self.layer_kind is not None else Sym("G", l, (self.row + 1, a))
        Gs = TextPrinter().p(G_sym)

        def per_weight(letter: str) -> str:  # g, v, m of this weight: the G's subscripts
            return TextPrinter().p(Sym(letter, None, G_sym.sub))

        follows = f", {self.follows.text()}" if self.follows is not None else ""
        head = f"{w} = {num(self.value, digits)}: set by the update at step {self.step_in_epoch} of epoch {step.key.epoch}{follows}"
        lines = []
        gs = Gs
        if opt.l2 and a:
            gs = per_weight("g")
            lines.append(f"{gs} = {Gs} + 2λ {w} = {_p(G[i], digits)} + {num(2 * opt.l2, digits)}·{_p(w0, digits)} "
                         f"= {num(g, digits)}")
        eta = num(opt.learning_rate, digits)
        if opt.name == "momentum":
            v0, v1 = float(step.opt_before.v[i]), float(step.opt.v[i])  # type: ignore[union-attr,index]
            v = per_weight("v")
            lines.append(f"{v} ← μ {v} + {gs} = {num(opt.momentum, digits)}·{_p(v0, digits)} + {_p(g, digits)} "
                         f"= {num(v1, digits)}")
            lines.append(f"{w} ← {w} − η {v} = {_p(w0, digits)} − {eta}·{_p(v1, digits)} = {num(self.value, digits)}")
        elif opt.name == "adam":
            t = step.opt.t  # type: ignore[union-attr]
            m1, v1 = float(step.opt.m[i]), float(step.opt.v[i])  # type: ignore[union-attr,index]
            m_hat, v_hat = m1 / (1.0 - opt.beta1**t), v1 / (1.0 - opt.beta2**t)
            m0, v0 = float(step.opt_before.m[i]), float(step.opt_before.v[i])  # type: ignore[union-attr,index]
            b1, b2 = opt.beta1, opt.beta2
            m, v = per_weight("m"), per_weight("v")
            lines.append(f"{m} ← β₁ {m} + (1 − β₁) {gs} = {num(b1, digits)}·{_p(m0, digits)} + "
                         f"{num(1 - b1, digits)}·{_p(g, digits)} = {num(m1, digits)}")
            lines.append(f"{v} ← β₂ {v} + (1 − β₂) {gs}² = {num(b2, digits)}·{_p(v0, digits)} + "
                         f"{num(1 - b2, digits)}·{_p(g, digits)}² = {num(v1, digits)}")
            lines.append(f"m̂ = {m} / (1 − β₁ᵗ) = {num(m_hat, digits)}, v̂ = {v} / (1 − β₂ᵗ) = {num(v_hat, digits)}   (t = {t})")
            lines.append(f"{w} ← {w} − η m̂ / (√v̂ + ε) = {_p(w0, digits)} − {eta}·{_p(m_hat, digits)} / "
                         f"(√{_p(v_hat, digits)} + {num(opt.eps, digits)}) = {num(self.value, digits)}")
        else:
            lines.append(f"{w} ← {w} − η {gs} = {_p(w0, digits)} − {eta}·{_p(g, digits)} = {num(self.value, digits)}")
        return "\n".join([head] + ["  " + line for line in lines])


def _p(x: float, digits: int) -> str:
    """A number as a factor: negative ones in parentheses."""
    text = num(x, digits)
    return f"({text})" if text.startswith("−") else text


class Stepper:
    """A network's stepper (see the module's docstring); satisfies :class:`~.protocols.Stepping`."""

    def __init__(self, spec: NetworkSpec, max_checkpoints: int = 64, origin: Origin | None = None,
                 notation: Profile | None = None) -> None:
        self.spec = spec
        self.base_origin = origin if origin is not None else Origin.of_spec(spec)  # of the spec's weights
        self.net = Network(spec)
        # the notation the step equations are written in (None: the lecture's); it names and groups
        # the numbers, never changes them (core/formulas/profiles.py)
        self.notation = notation
        if notation is not None:
            from .equations import check_profile  # equations reads the stepper's State

            check_profile(spec, notation)
        self.schedule = Schedule(spec.L, spec.N, spec.update, spec.batch_size, spec.shuffle_seed,
                                 spec.kinds or None, spec.lengths)
        self.max_checkpoints = max_checkpoints
        self.reset()

    # -- state ------------------------------------------------------------------------------------

    def prepare_steps(self) -> None:
        """Import the modules that write the steps' equations of the network's kinds
        (``LayerKind.prepare_steps``), ahead of their first step: the app calls it once its network screen
        is up, so that no keypress imports (and, without .pyc files, compiles) them. The reader of a file
        and a stepper's own making import none of them."""
        for kind in dict.fromkeys(self.net.kinds):
            kind.prepare_steps()
    def reset(self, weights: Sequence[np.ndarray] | None = None,
              opt: Sequence[optim.OptState] | None = None, origin: Origin | None = None) -> None:
        """Back to step 0 with the file's weights (or ``weights``, and optimizer state ``opt``, one
        per layer, as ``train`` returns them, which came from ``origin``); history is forgotten."""
        L = self.spec.L
        W = [NO_LAYER] + [_ro(np.array(w, dtype=float)) for w in (weights or self.spec.weights)]
        G = [NO_LAYER] + [_ro(np.zeros_like(w)) for w in W[1:]]
        if opt is None:
            states = [optim.OptState()] + [self.spec.optimizer.init(w) for w in W[1:]]
        else:  # copied and read-only, like every array the stepper holds
            states = [optim.OptState()] + [
                optim.OptState(o.t, *(None if a is None else _ro(np.array(a, dtype=float)) for a in (o.m, o.v)))
                for o in opt]
        self.state = State(W, G, 0.0, [None] * (L + 1), [None] * (L + 1), [None] * (L + 1), opt=states,
                           updates=[None] * (L + 1))
        self.origin = origin if origin is not None else (self.base_origin if weights is None else Origin("given"))
        self.edits: dict[tuple[int, int, int], Edit] = {}  # the latest edit of each weight since the reset
        self.floor_edits: list[Edit] = []  # the edits that put history's floor where it is
        self.position = 0  # steps done; the next step is schedule.key(position)
        self.floor = 0  # history starts here (moves forward when a weight is edited)
        self.last: NetworkStep | None = None
        self._stride = 1  # keep checkpoints at boundaries whose number is a multiple of this
        self._checkpoints: dict[int, State] = {}
        self._latest: tuple[int, State] | None = None
        self._checkpoints[0] = self._fresh_example(self.state, 0)
        self._widths: tuple[int, int, State | None, int, dict[int, int]] | None = None  # widths_ahead's, kept

    @property
    def next_key(self) -> StepKey:
        return self.schedule.key(self.position)

    @property
    def weights(self) -> list[np.ndarray]:
        return self.state.W[1:]

    # -- moving -----------------------------------------------------------------------------------
    def forward(self) -> NetworkStep:
        """Do the next step of the schedule and return it."""
        key = self.schedule.key(self.position)
        if key.example_start:
            self._at_boundary(key)
        self.last = self._apply(key)
        self.position += 1
        return self.last

    def back(self) -> None:
        """Undo one step (exact values restored)."""
        if self.position > self.floor:
            self.goto(self.position - 1)

    def goto(self, target: int) -> None:
        """Move to the state after ``target`` steps, replaying from the nearest checkpoint."""
        target = max(self.floor, target)
        if target >= self.position:
            while self.position < target:
                self.forward()
            return
        # restore strictly before the target (unless it is 0) so the last step is replayed too
        start, state = max(
            ((p, s) for p, s in self._candidates() if p < target or p == self.floor), key=lambda ps: ps[0]
        )
        self.state = state.copy()
        self.position = start
        self.last = None
        self._latest = (start, state)
        self._checkpoints = {p: s for p, s in self._checkpoints.items() if p <= start}
        replay_from = start
        while self.position < target:
            key = self.schedule.key(self.position)
            if key.example_start and self.position != replay_from:
                self._at_boundary(key)
            self.last = self._apply(key)
            self.position += 1

    def edit_weight(self, l: int, row: int, col: int, value: float) -> Edit:
        """Set w_{row+1,col}⁽ˡ⁾ to ``value``, so that every number on the board follows from the weights
        shown and the data; history restarts where the edit takes effect.

        At an update-group boundary (step 0, or right after a group's last update) the edit takes
        effect at once. Anywhere else the current update group restarts at its first example: the
        stepper goes back to the group's first step, with the weights and optimizer state of the
        group's start plus the edit (the group's updates, if some were made, are undone), G zeroed,
        ℓ_D as it was at the group's start. Under full_batch the group is the epoch. Steps before that
        point cannot be revisited: they were computed with the old weight.
        """
        at, sch = self.position, self.schedule
        start = sch.group_start(at)  # ``at`` itself at a boundary
        shown = float(self.state.W[l][row, col])
        undone: tuple[int, ...] = ()
        if at > start and sch.key(at - 1).phase == UPDATE:
            undone = tuple(l for l in sch.updated if l <= (sch.key(at - 1).layer or 0))  # layers with weights
        self.goto(start)
        key = sch.key(start)
        self.state = self._fresh_example(self.state, start)
        old = float(self.state.W[l][row, col])
        W = np.array(self.state.W[l])
        W[row, col] = value
        self.state.W[l] = _ro(W)
        if start != self.floor:
            self.floor_edits = []
        self.floor = start
        self._checkpoints = {start: self.state.copy()}
        self._stride, self._latest, self.last = 1, None, None
        edit = Edit(l, row, col, old, float(value), shown, at, start, key.epoch, start - sch.epoch_start(start),
                    sch.follows(key.epoch, key.group), undone, self.spec.layer_kinds[l - 1], self.notation)
        self.edits[(l, row, col)] = edit
        self.floor_edits.append(edit)
        return edit

    # -- where it stands --------------------------------------------------------------------------
    def where(self) -> Position:
        """Where the stepper stands (see :class:`Position`)."""
        sch, p, spec = self.schedule, self.position, self.spec
        nxt = sch.key(p)
        if self.last is None:  # nothing on the board: what comes next (the floor is a group boundary)
            key, phase, in_epoch = nxt, "start", p - sch.epoch_start(p)
            example = nxt.example if nxt.example is not None else sch.key(sch.group_start(p)).example
        else:
            key, phase, in_epoch = self.last.key, self.last.key.phase, p - sch.epoch_start(p - 1)
            example = key.example if key.example is not None else sch.key(p - 1 - (key.layer or 0)).example
        assert example is not None
        return Position(
            step=p, epoch=key.epoch, step_in_epoch=in_epoch, steps_per_epoch=sch.steps_per_epoch, phase=phase,
            example=example, x=spec.x_of(example - 1), y=spec.y_of(example - 1), next=nxt,
            follows=sch.follows(key.epoch, key.group),
            group_done=self.last is not None and nxt.phase == UPDATE and nxt.layer == sch.updated[0],
            at_floor=p == self.floor, N=spec.N,
            order=None if sch.shuffle_seed is None
            else int(np.flatnonzero(sch.order(key.epoch) == example - 1)[0]) + 1,
        )

    def provenance(self, l: int, row: int, col: int) -> Provenance:
        """Where the value of w_{row+1,col}⁽ˡ⁾ on the board comes from (0-based array indices)."""
        value = float(self.state.W[l][row, col])
        record = self.state.updates[l]
        edit = self.edits.get((l, row, col))
        if record is not None and (edit is None or record[0].key.step > edit.start):
            step, G = record
            sch = self.schedule
            return Provenance(l, row, col, value, "update", update=step, G=G, optimizer=self.spec.optimizer,
                              layer_kind=self.spec.layer_kinds[l - 1],
                              follows=sch.follows(step.key.epoch, step.key.group),
                              step_in_epoch=step.key.step - sch.epoch_start(step.key.step - 1))
        if edit is not None:
            return Provenance(l, row, col, value, "edit", edit=edit, layer_kind=self.spec.layer_kinds[l - 1])
        return Provenance(l, row, col, value, self.origin.kind, origin=self.origin, layer_kind=self.spec.layer_kinds[l - 1])

    def run_until(self, stop: Callable[[NetworkStep], bool]) -> list[NetworkStep]:
        """Step forward until ``stop(step)`` is true for the step just done; returns the steps."""
        done = [self.forward()]
        while not stop(done[-1]):
            done.append(self.forward())
        return done

    # -- the example on the board, ahead ----------------------------------------------------------
    def example_keys(self) -> list[StepKey]:
        """The steps of the example on the board (the last step's; before any step, the next one's): from
        its first step up to the next example's first, the update steps of its group included when it is
        the group's last (``Schedule.example_keys``)."""
        sch = self.schedule
        first = self.position - 1 if self.last is not None and self.position > 0 else self.position
        while first > 0 and not sch.key(first).example_start:
            first -= 1
        return sch.example_keys(first)

    def ahead(self, visit: Callable[[State], None]) -> list[StepKey]:
        """Show ``visit`` the board after each step of the example on the board (``example_keys``), as the
        steps compute it, worked out on a copy from the state before the example's first step (replayed
        from the nearest checkpoint when the stepper has not kept it): the stepper stays where it is, with
        its state, history and checkpoints."""
        keys = self.example_keys()
        first = keys[0].step - 1
        if self._latest is not None and self._latest[0] == first:
            begin, start = self._latest
        elif first == self.position:
            begin, start = first, self.state
        else:
            begin, start = max(((p, s) for p, s in self._candidates() if p <= first), key=lambda ps: ps[0])
        here, last = self.state, self.last
        try:
            self.state = start.copy()
            for p in range(begin, first):  # (to the example's first step, from a checkpoint before it)
                self._apply(self.schedule.key(p))
            for key in keys:
                self._apply(key)
                visit(self.state)
        finally:
            self.state, self.last = here, last
        return keys

    def widths_ahead(self, digits: int) -> dict[int, int]:
        """Layer l → the columns of a cell that every number of layer l's arrays (``State.layer_arrays``)
        fits at every step of the example on the board, its group's update included
        (``numformat.array_cell_width`` of each array as it stands after each step): before any step, a
        sequence panel's cells have this width from the start, the grid never widening while the first
        example is stepped. Worked out once per example (and digits): its steps run
        once more on a copy (``ahead``), and only the arrays a step made new are measured."""
        p = self.position - 1 if self.last is not None and self.position > 0 else self.position
        floor = self._checkpoints.get(self.floor)
        kept = self._widths
        if kept is not None and kept[0] <= p < kept[1] and kept[2] is floor and kept[3] == digits:
            return kept[4]
        layers = range(1, self.spec.L + 1)
        seen: set[int] = set()  # the arrays met, by id (``shown`` keeps each, so that no id is used again)
        shown: dict[tuple[int, tuple[int, ...]], list[np.ndarray]] = {}  # (layer, shape) → its arrays met

        def measure(state: State) -> None:
            for arrays in (state.W, state.G, state.s, state.o, state.delta):
                for l in layers:
                    a = arrays[l]
                    if a is not None and id(a) not in seen:
                        seen.add(id(a))
                        shown.setdefault((l, a.shape), []).append(a)
            for (_, l), a in state.extra.items():
                if id(a) not in seen:
                    seen.add(id(a))
                    shown.setdefault((l, a.shape), []).append(a)

        measure(self.state)  # (what the board shows now: a jump into the example's middle included)
        keys = self.ahead(measure)
        widths = {l: 0 for l in layers}
        of_span: dict[tuple[float, float, float] | None, int] = {}  # (many arrays of an example share an extent)
        for (l, _), arrays in shown.items():
            for span in set(extents(arrays)):
                w = of_span.get(span)
                if w is None:
                    w = of_span[span] = span_cell_width(span, digits)
                widths[l] = max(widths[l], w)
        self._widths = (keys[0].step - 1, keys[-1].step, floor, digits, widths)
        return widths

    # -- checkpoints ------------------------------------------------------------------------------
    def _candidates(self) -> Iterator[tuple[int, State]]:
        yield from self._checkpoints.items()
        if self._latest is not None:
            yield self._latest

    def _boundary_number(self, position: int) -> int:
        """How many example starts lie before ``position`` (its own included if it is one)."""
        return self.schedule.examples_before(position)

    def _fresh_example(self, state: State, position: int) -> State:
        """``state`` as the board shows it before the update group starting at ``position``: no
        example's s, o, δ yet, G zeroed, and ℓ_D zeroed when an epoch starts there."""
        snap = state.copy()
        L = self.spec.L
        snap.s, snap.o, snap.delta, snap.extra = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1), {}
        snap.loss, snap.x, snap.y = None, None, None
        key = self.schedule.key(position)
        if key.group_start:
            snap.G = [NO_LAYER] + [_ro(np.zeros_like(w)) for w in snap.W[1:]]
        if key.epoch_start:
            snap.loss_D, snap.losses, snap.loss_D_ln, snap.loss_D_ln_before = 0.0, 0, None, None
        return snap

    def _at_boundary(self, key: StepKey) -> None:
        """Called before the first step of an example: remember the state there."""
        position = key.step - 1
        number = self._boundary_number(position)
        self._latest = (position, self.state.copy())
        if number % self._stride == 0:
            self._checkpoints[position] = self._latest[1]
            if len(self._checkpoints) > self.max_checkpoints:
                self._stride *= 2
                self._checkpoints = {
                    p: s for p, s in self._checkpoints.items()
                    if p == self.floor or self._boundary_number(p) % self._stride == 0
                }

    # -- the step code ----------------------------------------------------------------------------
    def _handed_down(self, l: int) -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁾ (without a bias entry) from layer l + 1's backward step: its ``back_one``, or the
        board's δ⁽ˡ⁺¹⁾ row itself when that is already ∂ℓ/∂o⁽ˡ⁾ (a kind with steps of its own: its dx)."""
        st, above = self.state, self.net.kind(l + 1)
        if above.own_steps:
            return _known(st.delta[l + 1])
        return above.back_one(st.W[l + 1], _known(st.delta[l + 1]), _known(st.o[l]), self.net.kind(l))

    def _apply(self, key: StepKey) -> NetworkStep:
        st, net, spec, L = self.state, self.net, self.spec, self.spec.L
        if key.example_start:
            if key.group_start:
                st.G = [NO_LAYER] + [_ro(np.zeros_like(w)) for w in st.W[1:]]
            if key.epoch_start:
                st.loss_D, st.losses, st.loss_D_ln, st.loss_D_ln_before = 0.0, 0, None, None
            assert key.example is not None  # an example's first step names it
            n = key.example - 1
            st.x, st.y = spec.x_of(n), spec.y_of(n)
            st.loss = None
            if spec.lengths is not None:  # a sequence: per-τ rows (its kind's, core/kinds/rnn/steps.py)
                st.s, st.o, st.delta, st.extra = net.sequence_kind.start_sequence(net, st.x)
            else:
                st.s, st.delta = [None] * (L + 1), [None] * (L + 1)
                o0 = spec.inputs[n].reshape(spec.input_shape) if spec.input_shape else np.concatenate([[1.0], spec.inputs[n]])
                st.o = [_ro(o0)] + [None] * L
        before: np.ndarray | None = None
        opt_before = opt_after = None
        value: np.ndarray | float
        if spec.lengths is not None and key.phase != UPDATE:  # a recurrent network's step (core/kinds/rnn/steps.py)
            value, before = net.sequence_kind.sequence_step(net, st, key)
            if key.phase == LOSS:
                assert isinstance(value, float)
                st.loss = loss = value
                st.add_loss(loss, lambda: net.loss_ln(st.s[L], st.o[L], st.y, loss))
            return Step(key, value, before)
        if key.phase == LOSS:
            value = st.loss = loss = float(net.example_loss(_known(st.s[L]), _known(st.o[L]), _known(st.y)))
            st.add_loss(loss, lambda: net.loss_ln(st.s[L], st.o[L], st.y, loss))
            return Step(key, value)
        l = _layer(key)
        if net.wiring is not None and key.phase != UPDATE:  # residual blocks: along the wires (wiring.py)
            value, before = wired.step_one(net, st, key)
            return Step(key, _ro(value), None if before is None else before)
        kind = net.kind(l)  # each layer kind computes its own steps (core/engine/kind.py, core/kinds/)
        if kind.own_steps and key.phase != UPDATE:  # layernorm's u, o, dx, G; dropout's o, dx
            value, before = kind.board_step(net, st, key, self._handed_down)
        elif key.phase == FORWARD and key.quantity == "s":
            value = st.s[l] = _ro(kind.pre_one(st.W[l], _known(st.o[l - 1])))
        elif key.phase == FORWARD:
            if kind.has_s:
                value = st.o[l] = _ro(net.activation_out(l, _known(st.s[l])))
            else:  # a pooling layer: o⁽ˡ⁾ straight from o⁽ˡ⁻¹⁾
                value = st.o[l] = _ro(kind.pre_one(st.W[l], _known(st.o[l - 1])))
        elif key.phase == BACKWARD and key.quantity == "delta":
            if l == L:
                value = _ro(net.output_delta(_known(st.s[L]), _known(st.o[L]), _known(st.y)))
            else:  # ∂ℓ/∂o⁽ˡ⁾ from the layer above, ⊙ f′(s⁽ˡ⁾) (a pooling layer has no s: ∂ℓ/∂o⁽ˡ⁾ itself)
                o_l = _known(st.o[l])
                back = self._handed_down(l)
                value = _ro(back * net.df(l, _known(st.s[l]), net.units(l, o_l)) if kind.has_s else back)
            st.delta[l] = value
        elif key.phase == BACKWARD:
            before = st.G[l]
            value = st.G[l] = _ro(before + kind.grad_one(st.W[l], _known(st.delta[l]), _known(st.o[l - 1])))
        elif key.phase == UPDATE:
            before, opt_before = st.W[l], st.opt[l]
            W_new, opt_after = optim.update(spec.optimizer, before, st.G[l], opt_before, net.kind(l).bias_columns)
            for a in opt_after.arrays().values():
                _ro(a)
            value = st.W[l] = _ro(W_new)
            st.opt[l] = opt_after
        else:  # pragma: no cover - the schedule has no other phases
            raise ValueError(key)
        step: NetworkStep = Step(key, value, before, opt_before, opt_after)
        if key.phase == UPDATE:
            st.updates[l] = (step, st.G[l])
        return step


if TYPE_CHECKING:
    def _steps(stepper: Stepper) -> Stepping[StepKey, np.ndarray | float]:
        return stepper  # mypy checks here that a Stepper is Stepping

"""Exercises and answer keys: the worked solution with chosen values left blank, and its key.

``bptui export FILE --exercise`` writes :mod:`bptui.export`'s worked solution with the values a
student should work out replaced by numbered blanks, ``(1) ____``, and ``--answers OUT`` writes the
key with the same numbers. The blanks are made on the formula trees (:func:`bptui.core.formulas.formula.blank`),
never by cutting strings: a blank is a board number (a :class:`~bptui.core.formulas.formula.Ref` of one entry),
and once blanked it is printed as its number, ``(3)``, wherever it appears later — in a later
step's numbers, as G⁽ˡ⁾ before ``G⁽ˡ⁾ += δ oᵀ`` or W⁽ˡ⁾ before its update — until a step overwrites it.
So a later step never gives an earlier answer away. The givens (the file's weights, the inputs,
the targets, the formulas) always stay.

:class:`Part` picks a part of a run (``--steps A:B``, ``--example N``), numbered as in the full run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from . import progress
from .core.util.errors import SpecError
from .core.formulas.notation import count, whole
from .keyjson import json_path, row_ref, shown_text, time_of, unit_of
from .lms import FORMATS as LMS_FORMATS
from .core.formulas.formula import (Arr, Equation, Hidden, LatexPrinter, Node, Num, Partial, Ref, Sym, _rebuild, blank,
                                    substitute, walk)

QUANTITIES = ("s", "o", "loss", "delta", "G", "W", "value", "adjoint", "gates", "c", "h", "dh", "dc",
              "u", "dx", "q", "k", "v", "scores", "a", "z", "dz", "da", "dq", "dk", "dv")
"""The steps' quantities a page may blank: every network's, and a layer kind's own: a gated layer's (an LSTM's
and a GRU's gates, h and ∂ℓ/∂h, an LSTM's c and ∂ℓ/∂c; docs/gated.md), a layer norm's u, the ∂ℓ/∂x of a
layer norm, dropout, a residual block or an attention layer, and attention's q, k, v, scores, a, z and
their gradients (docs/normalisation.md, docs/residual.md, docs/attention.md). An attention layer's G_Q …
G_O are its ``G``."""
BOARD_QUANTITIES = ("s", "o", "delta", "G", "W", "loss", "loss_D", "value", "adjoint", "gates", "c", "dh", "dc",
                    "q", "k", "v", "scores", "a", "z", "dz", "da", "dq", "dk", "dv", "dx")
"""The board matrices a blank is an entry of (a key's ``quantity``): a step's own quantity is its kind's
``board_quantity`` (a layer norm's u is its s, the ∂ℓ/∂x of a layer norm, dropout or block its δ)."""
DIGITS = 4


class ExerciseError(SpecError):
    """Bad exercise options (a quantity, a range): one ``error:`` line."""


def step_quantities(spec: Any) -> frozenset[str]:
    """The quantities the steps of a layered network write: s, o, δ, G, ℓ and W, and its layers' own
    (a gated layer's gates, c, h, ∂ℓ/∂h, ∂ℓ/∂c)."""
    own = {kind.trace_quantity(q)[0] for kind in spec.layer_kinds for q in kind.block_forward() + kind.block_backward()}
    return frozenset({"s", "o", "loss", "delta", "G", "W"} | own)


def parse_quantities(text: str | None) -> frozenset[str]:
    """``--blank s,o,delta`` → the quantities; None: every value the steps produce."""
    if text is None:
        return frozenset(QUANTITIES)
    names = [t.strip() for t in text.replace(" ", ",").split(",") if t.strip()]
    aliases = {"δ": "delta", "ℓ": "loss", "g": "G", "w": "W", "update": "W", "∂h": "dh", "∂c": "dc",
               "∂x": "dx", "∂z": "dz", "∂a": "da", "∂q": "dq", "∂k": "dk", "∂v": "dv", "e": "scores"}
    out = set()
    for name in names:
        name = aliases.get(name, name)
        if name not in QUANTITIES:
            raise ExerciseError(f"--blank: unknown quantity {name!r} (choose from {', '.join(QUANTITIES)})")
        out.add(name)
    if not out:
        raise ExerciseError(f"--blank: no quantity given (choose from {', '.join(QUANTITIES)})")
    return frozenset(out)


# -- parts of a run ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """Steps ``first`` … ``last`` (1-based, inclusive, as ``bptui trace`` numbers them) and how many
    epochs the run needs to reach them; ``what`` says which part it is, for the document."""

    first: int
    last: int
    epochs: int
    what: str

    def __contains__(self, step: int) -> bool:
        return self.first <= step <= self.last


def parse_steps(text: str) -> tuple[int, int]:
    try:
        a_text, b_text = text.split(":")
        a, b = int(a_text), int(b_text)
    except ValueError:
        raise ExerciseError(f"--steps: {text!r} is not a range A:B of step numbers (e.g. 1:9)") from None
    if a < 1 or b < a:
        raise ExerciseError(f"--steps: {text!r}: need 1 ≤ A ≤ B (steps are numbered from 1, as bptui trace numbers them)")
    return a, b


def steps_part(spec: Any, text: str) -> Part:
    try:
        a, b = parse_steps(text)
    except ExerciseError as err:
        raise err.at(spec.source)
    if spec.kind == "graph":
        from .core.graphs.graph_stepper import GraphStepper

        total = len(GraphStepper(spec).schedule)
        if b > total:
            raise ExerciseError(f"--steps: {text}: the graph has {count(total, 'step')}", source=spec.source)
        return Part(a, b, 1, f"steps {whole(a)} to {whole(b)} of {whole(total)}")
    from .core.engine.stepper import Stepper

    per_epoch = len(Stepper(spec).schedule)
    return Part(a, b, -(-b // per_epoch), f"steps {whole(a)} to {whole(b)} of the run; {count(per_epoch, 'step')} an epoch")


def example_part(spec: Any, n: int, epoch: int = 1) -> Part:
    """Example ``n``'s forward and backward pass in ``epoch`` and, when one follows, its update."""
    if spec.kind == "graph":
        raise ExerciseError("--example: a computation graph has no examples", source=spec.source)
    if not 1 <= n <= spec.N:
        raise ExerciseError(f"--example: {n} is out of range: the data has {count(spec.N, 'training example')} (1 … {spec.N})",
                            source=spec.source)
    from .core.engine.stepper import Stepper

    schedule = Stepper(spec).schedule
    per_epoch = len(schedule)
    start = (epoch - 1) * per_epoch
    steps = [i for i in range(start, start + per_epoch) if schedule.key(i).example == n]
    first, last = steps[0], steps[-1]
    while last + 1 < start + per_epoch and schedule.key(last + 1).phase == "update":
        last += 1
    return Part(first + 1, last + 1, epoch, f"example n = {n} of epoch {epoch}")


# -- blanks -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyEntry:
    """One blank and its answer: its number, the step that asks for it, the symbol, the value."""

    label: int
    step: int
    symbol: Node
    value: float
    ref: Ref
    per: int = 1  # the page asks value/per: a mean profile's G/m (the value is the lecture's, the key's contract)

    @property
    def asked(self) -> float:
        """The number the page asks for (the value as the exercise's notation shows it)."""
        return self.value / self.per


@dataclass
class _Live:
    labels: dict[tuple[int, ...] | None, int]
    value: Any


def _visible(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The entries the LaTeX printer shows (big arrays elide their middle): only they can be blanks."""
    keep = LatexPrinter(DIGITS)._keep
    if len(shape) == 3:  # a feature map (v2): the first position, which the step's scalar form works out
        return [(0, 0, 0)]
    if len(shape) == 1:
        return [(i,) for i in keep(shape[0]) if i is not None]
    return [(i, j) for i in keep(shape[0]) if i is not None for j in keep(shape[1]) if j is not None]


def _v2_only(spec: Any, key: Any) -> tuple[int, ...] | None:
    """For a step of a v2 map layer, the one entry its equations work out with numbers (the first
    position; a convolution's G: its first kernel weight), the only one that can be a blank."""
    if not getattr(spec, "is_v2", False) or key.layer is None or key.quantity not in ("s", "o", "delta", "G"):
        return None
    kind = spec.layer_kinds[key.layer - 1]
    if not kind.is_map:
        return None
    return (0, 1) if key.quantity == "G" else (0, 0, 0)


def entry_symbol(spec: Any, ref: Ref, example: int | None = None) -> Node:
    """The lecture's name of one blanked number, as its panel shows it: s₂⁽¹⁾, w₁,₀⁽²⁾, ℓ⁽³⁾, g_b, a
    kernel's w₁,₁,₂,₁⁽¹⁾ and G₁,₁,₂,₁⁽¹⁾, a map's s₁,₁,₁⁽¹⁾, a pooling layer's ∂ℓ/∂o₁,₁,₁⁽²⁾ …"""
    if ref.node is not None:
        from .core.graphs.graph import adjoint_sym, name_sym

        return adjoint_sym(ref.node) if ref.quantity == "adjoint" else name_sym(ref.node)
    if ref.quantity == "loss":
        return Sym("ℓ", example, latex=r"\ell")
    if ref.quantity == "loss_D":
        return Sym("ℓ_D", latex=r"\ell_{\mathcal{D}}")
    assert ref.index is not None and ref.layer is not None
    time = time_of(spec, ref)
    own = spec.layer_kinds[ref.layer - 1] if ref.layer and time is not None else None
    if own is not None and own.over_time:  # its kind names it: δ⁽¹⁾_{τ,f,2}, i⁽¹⁾_{τ,2}, c⁽¹⁾_τ, h⁽¹⁾_τ for its o
        name = own.step_name(ref.quantity)
        if len(ref.index) == 2:
            return own.unit_sym(name, ref.layer, unit_of(spec, ref), time)
        whole = own.step_sym(name, ref.layer, time)
        if whole is not None:
            return whole
    kind = spec.layer_kinds[ref.layer - 1] if ref.layer else None
    if kind is not None and not kind.plain and ref.quantity in ("s", "delta") \
            and len(ref.index) == (1 if time is None else 2) and ref.index[-1] < kind.out_size:
        return kind.unit_sym(ref.quantity, ref.layer, unit_of(spec, ref), time)  # u_b, ∂ℓ/∂x_b of a kind's own
    if time is not None:  # a row at τ, s⁽ˡ⁾_τ, or one unit of it, s⁽ˡ⁾_{τ,b}
        base = {"s": "s", "o": "o", "delta": "δ"}[ref.quantity]
        sub = (unit_of(spec, ref),) if len(ref.index) == 2 else ()
        return Sym(base, ref.layer, sub, latex=r"\delta" if base == "δ" else None, vector=not sub, time=time)
    if ref.layer == 0 and len(ref.index) == 3:  # the input map o⁽⁰⁾ = x: no kind reads it out
        return Sym("o", 0, tuple(i + 1 for i in ref.index))
    if kind is not None and ref.quantity in ("G", "W"):  # the layer kind names its weights
        return (kind.grad_sym if ref.quantity == "G" else kind.weight_sym)(ref.layer, *ref.index)
    if kind is not None and len(ref.index) == 3:  # an entry of a feature map (k, i, j)
        return kind.cell_sym(ref.quantity, ref.layer, ref.index, example)
    base = {"s": "s", "o": "o", "delta": "δ", "G": "G", "W": "w"}[ref.quantity]
    latex = r"\delta" if base == "δ" else None
    if len(ref.index) == 2:
        return Sym(base, ref.layer, (ref.index[0] + 1, ref.index[1]), latex=latex)
    i = ref.index[0]
    b = i if ref.quantity == "o" and ref.layer < spec.L else i + 1
    return Sym(base, ref.layer, (b,), latex=latex)


def _derived(node: Node) -> Node | None:
    """The formula of a value worked out from the board's numbers (f′(s⁽ˡ⁾), (Wᵀδ)[1:], the softmax's
    Jacobian); None for a board number itself or an earlier value of one (G⁽ˡ⁾ before +=, whose
    ``means`` is its symbol)."""
    if not isinstance(node, (Arr, Num)) or node.ref is not None or node.means is None:
        return None
    if isinstance(node.means, Sym) or (isinstance(node, Arr) and node.blanks):
        return None
    return node.means


def _without_workings(eq: Equation) -> Equation:
    """An equation whose result is a blank keeps its formula, the form with its numbers, and the
    blank: values worked out from earlier answers are written as their formulas again (f′(s⁽ˡ⁾),
    (Wᵀδ)[1:]), and the values worked out between the numbers and the result
    (g_b = … = −12.49 + 0.1282 = (13)) are left out, since they would give answers away."""
    result = eq.forms[-1]
    if not any((isinstance(n, Hidden) and n.first) or (isinstance(n, Arr) and any(f for _, _, f in n.blanks))
               for n in walk(result)):
        return eq
    forms: list[Node] = []
    for form in eq.forms[:-1]:
        formulas = {n: f for n in walk(form) if (f := _derived(n)) is not None}
        form = substitute(form, formulas)
        if not forms or form != forms[-1]:
            forms.append(form)
    numbers = next((i for i, f in enumerate(forms) if not any(isinstance(n, (Sym, Partial)) for n in walk(f))), None)
    if numbers is not None:
        forms = forms[:numbers + 1]
    return replace(eq, forms=(*forms, result))


class Blanker:
    """Decides which numbers are blanks, step by step, and prints each step's equations with them.

    ``quantities``: which steps' values are blanked; ``every``: only every K-th such step (the first,
    the (K+1)-th, …). Each blanked step's value gets one number per entry shown, in order; the
    numbers live until a step overwrites the quantity.
    """

    def __init__(self, spec: Any, quantities: frozenset[str] = frozenset(QUANTITIES), every: int = 1,
                 trace: bool = False, notation: Any = None) -> None:
        self.spec, self.quantities, self.every = spec, quantities, every
        # the notation profile the page is written in (None: the lecture's): the blanks are the lecture's
        # board numbers, placed where the profile shows them (formula.Ref's view: b for w_b,0, …)
        self.notation = notation if notation is not None and notation.name != "lecture13" else None
        self.board: Any = None  # the stepper's state at the step being printed
        self._losses = 1  # how many examples' losses ℓ_D held when it was last blanked (a mean profile asks ℓ_D / it)
        self.live: dict[tuple[str, int | None, str | None], _Live] = {}
        self.entries: list[KeyEntry] = []
        self.candidates = 0
        # the board traced step by step (keyjson.py): which numbers depend on a blank, so that the page
        # never prints them as numbers; with ``trace``, each blank's formula too, for the key a machine reads
        from .keyjson import Tracer

        self.tracer = Tracer(spec, formulas=trace)
        self.keyed = trace
        self.details: dict[int, dict] = {}  # blank → its epoch, example, formula, latex, explanation
        self.widths: dict[int, int] = {}  # blank → characters of its answer as the key shows it (its line's room)
        # a partial choice of blanks (some quantities, or every K-th step) over more than one update
        # group is refused where a step after an update would print a formula (see _refuse)
        layered = spec.kind != "graph"
        self.partial = every > 1 or (layered and not step_quantities(spec) <= quantities) or \
            (not layered and not {"value", "adjoint"} <= quantities)
        self.update: Any = None  # the first update step of the part, once it is done
        self.formulas = False  # whether the step being printed shows a value as a formula

    def _produced(self, step: Any) -> list[tuple[Ref, Any]]:
        """The board numbers a step writes: its quantity (and ℓ_D with a loss)."""
        k = step.key
        if self.spec.kind == "graph":
            return [(Ref(k.quantity, node=k.node), float(step.value))]
        if k.quantity == "loss":
            return [(Ref("loss"), float(step.value)), (Ref("loss_D"), None)]
        return [(row_ref(self.spec, k), np.array(step.value, dtype=float))]

    def equations(self, stepper: Any, step: Any) -> list[Equation]:
        """The step's equations with the blanks in place (the step is just done by ``stepper``)."""
        from .core.teaching.quiz import equations_of

        self.board = stepper.state  # a profile's numbers are read from it as the lecture's (_states)
        eqs = equations_of(stepper, step, notation=self.notation)
        k = step.key
        aliases = self._aliases(stepper, step)
        before = self._before(stepper, step)
        new, fresh = self.label(stepper, step)
        labels_now = {(Ref(q, l, node=n) if i is None else Ref(q, l, i, n)): label
                      for (q, l, n), live in self.live.items() for i, label in live.labels.items()}
        if self.notation is not None:  # where the profile shows each number (its Ref's view and index there)
            labels_now = {self.view(r): label for r, label in labels_now.items()}
            fresh = {self.view(r) for r in fresh}
            aliases = self._view_aliases(aliases)
        if not self.tracer.read_blanks:  # the step reads no number that depends on a blank
            out = [_without_workings(blank(eq, labels_now, fresh, aliases)) for eq in eqs]
        else:
            self.formulas = False
            out = [self._as_formulas(blank(eq, labels_now, fresh, aliases), before, k) for eq in eqs]
            out = [eq for eq in out if eq.forms]  # a value stated alone (∂ℓ/∂o⁽ˡ⁾ handed down) that depends on a blank
            self._refuse(step)
        if k.quantity == "W" and self.update is None:
            self.update = step
        return out

    def label(self, stepper: Any, step: Any) -> tuple[dict[Ref, int], set[Ref]]:
        """Number the blanks of a step just done by ``stepper`` and trace them: the new blanks by their
        ref, and the refs made blank here. The grader replays an exercise with it."""
        k = step.key
        chosen = self._chosen(k)
        before = self._before(stepper, step)
        fresh: set[Ref] = set()
        new: dict[Ref, int] = {}
        kind = self.spec.layer_kinds[k.layer - 1] if self.spec.kind != "graph" and k.layer else None
        for ref, value in self._produced(step):
            if ref.quantity == "loss_D":
                value = float(stepper.state.loss_D)
                self._losses = int(stepper.state.losses)  # a mean profile's page asks ℓ_D / this
            key = (ref.quantity, ref.layer, ref.node)
            row = ref.index  # a step at τ overwrites its row only: the other rows' blanks live on

            def place(index: tuple[int, ...]) -> tuple[int, ...]:
                """The board index of entry ``index`` of the step's value (``LayerKind.board_index``)."""
                return kind.board_index(k.quantity, (row or ()) + index)[1] if kind is not None else (row or ()) + index
            shape = np.shape(value)
            moved = bool(shape) and any(place(i) != (row or ()) + i for i in (next(np.ndindex(*shape)),))
            if row is None and not moved:
                self.live.pop(key, None)
            elif key in self.live:  # a row, or a part of the matrix (an attention layer's G_Q): only those entries
                written = {place(i) for i in np.ndindex(*shape)} if moved else None
                live = self.live[key]
                live.labels = {i: n for i, n in live.labels.items()
                               if i is None or (i not in written if written is not None else i[:len(row or ())] != row)}
            if not chosen:
                continue
            labels: dict[tuple[int, ...] | None, int] = {}
            if np.ndim(value) == 0:
                labels[None] = new[ref] = self._new(k, ref, float(value))
                fresh.add(ref)
            else:
                only = _v2_only(self.spec, k)
                visible = kind.blank_entries(k.quantity, shape) if kind is not None else None
                if kind is not None and visible is not None and moved and self.notation is not None:  # a part of a matrix (an
                    # attention layer's G_Q): the entries the profile's layout of the whole matrix shows
                    board_q = kind.board_index(k.quantity, next(np.ndindex(*shape)))[0]
                    whole = {"G": stepper.state.G, "W": stepper.state.W}.get(board_q)
                    if whole is not None:
                        kept = set(self._visible_entries(Ref(board_q, ref.layer), np.shape(whole[ref.layer])))
                        visible = [i for i in np.ndindex(*shape) if place(i) in kept]
                for index in self._visible_entries(ref, shape) if visible is None else visible:
                    entry = Ref(ref.quantity, ref.layer, place(index), ref.node)
                    if ref.quantity == "o" and index[-1] == 0 and len(index) <= 2 and only is None \
                            and unit_of(self.spec, entry) == 0:
                        continue  # the bias entry of a hidden o⁽ˡ⁾ is always 1
                    if only is not None and index != only:
                        continue
                    labels[entry.index] = new[entry] = self._new(k, entry, float(value[index]))
                    fresh.add(entry)
            if row is None and not moved:
                self.live[key] = _Live(labels, value)
            else:
                self.live.setdefault(key, _Live({}, None)).labels.update(labels)
        self._trace(stepper, step, new)
        return new, fresh

    # -- no answer given away -----------------------------------------------------------------------
    def _before(self, stepper: Any, step: Any) -> dict[tuple[str, int | None], dict]:
        """What the board values a step overwrites were before it (G before ``+=``; W, m and v before
        an update; ℓ_D before ``+=``), entry by entry: blank, formula or number (Tracer.state)."""
        t, k = self.tracer, step.key
        out: dict[tuple[str, int | None], dict] = {}
        arrays: dict[str, Any] = {}
        if self.spec.kind == "graph":
            return out
        if k.quantity in ("G", "W") and step.before is not None:
            arrays[k.quantity] = step.before
        if k.quantity == "W" and getattr(step, "opt_before", None) is not None:
            arrays.update(step.opt_before.arrays())
        for name, value in arrays.items():
            a = np.asarray(value, dtype=float)
            out[(name, k.layer)] = {i: t.state(name, k.layer, i, float(a[i])) for i in np.ndindex(*a.shape)}
        if k.quantity == "loss":
            out[("loss_D", None)] = {None: t.state("loss_D", None, None, float(stepper.state.loss_D) - float(step.value))}
        return out

    # -- a notation profile's page: the lecture's board numbers where the profile shows them ----------------
    def view(self, ref: Ref) -> Ref:
        """Board number ``ref`` as the page's profile shows it (formula.Ref's view)."""
        from .core.engine.equations import layer_ref

        if self.notation is None:
            return ref
        return layer_ref(ref, self.notation, self.spec.L, self.spec.layer_kinds or ())

    def _view_aliases(self, aliases: dict[Node, dict[tuple[int, ...] | None, int]]
                      ) -> dict[Node, dict[tuple[int, ...] | None, int]]:
        """The earlier values' blanks (G before +=, W before its update) where the profile shows them: W's
        part and b (the node of its own, b⁽ˡ⁾ or its gradient) apart, each by its index as shown."""
        from .core.engine.equations import G, Gb, W, b

        out: dict[Node, dict[tuple[int, ...] | None, int]] = {}
        for node, labels in aliases.items():
            if not (isinstance(node, Sym) and node.base in ("G", "W") and isinstance(node.layer, int)):
                out[node] = labels
                continue
            l = node.layer
            for index, label in labels.items():
                shown = self.view(Ref(node.base, l, index))
                bias = shown.view.startswith("b")
                part = ((Gb if node.base == "G" else b) if bias else (G if node.base == "G" else W))(l)
                out.setdefault(part, {})[shown.index] = label
        return out

    def _visible_entries(self, ref: Ref, shape: tuple[int, ...]) -> list[tuple[int, ...]]:
        """The entries of board array ``ref`` (of ``shape``) that the page shows, so only they are blanks:
        the lecture's; in a profile, those whose place in the array the profile shows is not elided."""
        if self.notation is None:
            return _visible(shape)
        from .core.formulas.profiles import VIEWS

        kept: dict[str, set] = {}
        out = []
        for index in np.ndindex(*shape):
            shown = self.view(ref.at(*index))
            part = shown.view.partition("/")[0]
            if part not in kept:
                kept[part] = set(_visible(VIEWS[part].shape(shape)))
            if shown.index in kept[part] or (not part and index in kept[part]):
                out.append(index)
        return out

    @staticmethod
    def _lecture_index(ref: Ref) -> Callable[[tuple[int, ...]], Any]:
        """How an entry's index in the array a profile shows (``ref``'s view) maps to the board's."""
        from .core.formulas.profiles import lecture_index

        view, base = ref.view, ref.index or ()

        def board(i: tuple[int, ...]) -> Any:
            j = base + i
            return lecture_index(view, j) if view.partition("/")[0] else j if j else None
        return board

    def _source(self, sym: Sym, shape: tuple[int, ...]) -> tuple[str, int | None, Callable[[tuple[int, ...]], Any]] | None:
        """The board quantity a value named by ``sym`` (an earlier or an optimizer's value) is, and how
        its entries' indices map to the board's; None: it is none (g, W̃: worked out on the spot)."""
        l = sym.layer
        same: Callable[[tuple[int, ...]], Any] = lambda i: i if i else None
        if self.notation is not None and self.notation.separate_bias and isinstance(l, int) and sym.vector \
                and sym.accent in ("", "hat"):  # a profile's W part and b, its gradients and the optimizer's state
            kind = self.spec.layer_kinds[l - 1] if self.spec.layer_kinds else None
            for part in kind.update_parts(l) if kind is not None else ():  # a recurrent layer's W, U, b, b_h apart
                if sym in (part.sym, part.grad) or (sym.base in ("m", "v") and sym.sub == part.state_sub):
                    quantity = "W" if sym == part.sym else "G" if sym == part.grad else sym.base
                    return quantity, l, self._lecture_index(Ref("W", l, view=self.notation.part_view(part)))
            wv, bv = self.notation.parts("W")
            if sym.base in ("G", "W", "m", "v") and not sym.sub:
                return ("W" if sym.base == "W" else sym.base), l, self._lecture_index(Ref("W", l, view=wv))
            if sym.base in ("Gb", "b") or (sym.base in ("m", "v") and sym.sub == ("b",)):
                return {"Gb": "G", "b": "W"}.get(sym.base, sym.base), l, self._lecture_index(Ref("W", l, view=bv))
        if sym.base == "ℓ_D":
            return "loss_D", None, same
        if not isinstance(l, int):
            return None
        if sym.base in ("G", "W", "m", "v") and sym.vector and sym.accent in ("", "hat") and not sym.sub:
            return sym.base, l, same
        if sym.base == "U" and sym.vector and not sym.sub:  # a recurrent layer's U: the columns after [1, x_τ]
            n = 1 + self.spec.layer_kinds[l - 1].in_shape[0]
            return "W", l, lambda i: (i[0], n + i[1])
        if sym.base == "G_w":  # a kernel's G, (k, c, u, v): column 1 + (c, u, v) flattened of G⁽ˡ⁾
            return "G", l, lambda i: (i[0], 1 + int(np.ravel_multi_index(i[1:], shape[1:])))
        if sym.base == "G" and len(sym.sub) == 4:  # one kernel weight's G, from 1
            kind = self.spec.layer_kinds[l - 1]
            k, *cuv = (int(x) - 1 for x in sym.sub)
            col = 1 + int(np.ravel_multi_index(tuple(cuv), (kind.in_shape[0], *kind.kernel)))
            return "G", l, lambda i: (k, col)
        return None

    def _states(self, node: Num | Arr, eq: Equation, result: bool, before: dict) -> dict | None:
        """Each entry the page shows of a number or an array (an array's: all of a map's, the ones a
        big matrix keeps): "blank", "formula" or "number"; None when it is no board value."""
        values = np.asarray(node.values if isinstance(node, Arr) else node.value, dtype=float)
        shape = values.shape
        indices = [()] if not shape else _visible(shape) if len(shape) <= 2 else list(np.ndindex(*shape))
        t = self.tracer
        if node.ref is not None:
            r = node.ref
            if r.node is not None:
                return {(): t.state(r.quantity, None, None, float(values), node=r.node)}
            if r.quantity == "loss_D":  # a mean profile's ℓ_D/k: the board's own ℓ_D
                return {(): t.state("loss_D", None, None, float(self.board.loss_D))}
            if r.view:  # a profile's part of the board (G/m in a mean profile): the board's own number at its place
                board = self._lecture_index(r)
                whole = np.asarray({"W": self.board.W, "G": self.board.G, "o": self.board.o}[r.quantity][r.layer])
                return {i: t.state(r.quantity, r.layer, board(i), float(whole[board(i)])) for i in indices}
            return {i: t.state(r.quantity, r.layer, (r.index or ()) + i if (r.index or i) else None, float(values[i]))
                    for i in indices}
        if not isinstance(node.means, Sym):
            return None
        source = self._source(node.means, shape)
        if source is None:
            return None
        quantity, layer, index = source
        earlier = not result and eq.rel == "←" and eq.lhs == node.means and node.means.accent == ""
        if earlier:
            known = before.get((quantity, layer))
            return None if known is None else {i: known.get(index(i), "formula") for i in indices}
        kept = self._kept_state(quantity, layer, node.means)
        if kept is not None:  # a profile's own numbers for an optimizer's state (goodfellow's v = −η v): the board's
            return {i: t.state(quantity, layer, index(i), float(kept[index(i)])) for i in indices}
        return {i: t.state(quantity, layer, index(i), float(values[i])) for i in indices}

    def _kept_state(self, quantity: str, layer: int | None, sym: Sym) -> Any:
        """The optimizer's state ``quantity`` of ``layer`` as the board keeps it, where the page writes other
        numbers for it (a profile whose momentum velocity is the step, optim.state_written); else None."""
        from .core.ops.optim import state_scale

        if self.notation is None or sym.accent or not isinstance(layer, int) or self.board is None:
            return None
        kept = self.board.opt[layer].arrays().get(quantity) if layer < len(self.board.opt) else None
        if kept is None or state_scale(self.spec.optimizer, quantity, self.notation.velocity) == 1.0:
            return None
        return kept

    def _symbol(self, node: Num | Arr, example: Any) -> Node:
        """The formula a number that depends on a blank is printed as: its name (s⁽¹⁾, δ₂⁽¹⁾, G⁽²⁾ …),
        which the step that worked it out defined as a formula in the blanks."""
        r = node.ref
        if r is None:
            assert node.means is not None
            return node.means
        if isinstance(node, Num) or r.node is not None or r.quantity in ("loss", "loss_D"):
            return entry_symbol(self.spec, r, example)
        if time_of(self.spec, r) is not None:
            return entry_symbol(self.spec, r, example)
        if not r.layer:
            return Sym(r.quantity, 0, vector=True)
        return self.spec.layer_kinds[r.layer - 1].cell_sym(r.quantity, r.layer, None, example)

    def _as_formulas(self, eq: Equation, before: dict, key: Any) -> Equation:
        """A step that reads a blank, or a value that depends on one: every number of it that depends
        on a blank is printed as its blank's number or as a formula, never as a number. Values worked
        out from board numbers (f′(s⁽ˡ⁾), (Wᵀδ)[1:]) are written as their formulas, numbers that depend
        on a blank by their names; the forms are the formula and the one with the board's numbers (the
        values worked out after it are left out), and the result is printed where it is a blank or
        depends on none (else the form before it is its formula)."""
        example = getattr(key, "example", None)

        def masker(result: bool) -> Callable[[Node], Node]:
            def mask(node: Node) -> Node:
                if not isinstance(node, (Num, Arr)) or (isinstance(node, Num) and node.exact):
                    return node
                formula = _derived(node)
                if formula is not None:
                    return formula
                if result and node.ref is None and node.means is None and isinstance(eq.lhs, Sym):
                    node = replace(node, means=eq.lhs)  # m, v after an update: the values of their symbols
                states = self._states(node, eq, result, before)
                if states is None:
                    return node if node.ref is not None or node.means is None else self._hide(node, example)
                asked = {i for i, _, _ in node.blanks} if isinstance(node, Arr) else set()
                if any(state != "number" and i not in asked for i, state in states.items()):
                    return self._hide(node, example)
                return node
            return mask

        forms: list[Node] = []
        for form in eq.forms[:-1]:
            form = _rebuild(form, masker(False))
            if not forms or form != forms[-1]:
                forms.append(form)
        numbers = next((i for i, f in enumerate(forms) if i and any(
            isinstance(n, (Arr, Hidden)) or (isinstance(n, Num) and not n.exact) for n in walk(f))), None)
        if numbers is not None:
            forms = forms[:numbers + 1]
        result = _rebuild(eq.forms[-1], masker(True))
        if any(isinstance(n, Sym) for n in walk(result)) and not isinstance(eq.forms[-1], Sym):
            self.formulas = True  # the result depends on a blank and is none: the form before is its formula
            return replace(eq, forms=tuple(forms))
        return replace(eq, forms=(*forms, result))

    def _hide(self, node: Num | Arr, example: Any) -> Node:
        self.formulas = True
        return self._symbol(node, example)

    def _refuse(self, step: Any) -> None:
        """A partial choice of blanks whose step after an update prints a formula: from there on, every
        number would be one (the weights depend on a blank), so the export refuses."""
        if not (self.partial and self.formulas and self.update is not None and step.key.quantity != "W"):
            return
        u = self.update.key
        raise ExerciseError(
            f"--blank: from step {step.key.step} on (after the update at step {u.step}) every number would be a "
            "formula in the blanks, since the updated weights depend on them: export one update group "
            "(--example N, or --steps A:B up to its update), or blank every quantity (leave out --blank and "
            "--blank-every)", source=self.spec.source)

    def shown(self, ref: Ref) -> int | str | None:
        """How a summary line (ℓ_D at the end of an epoch, a graph's gradient) shows board number ``ref``
        (a scalar) now: its blank's number, "formula" where it depends on a blank, None: its value."""
        label = self.label_of(ref)
        if label is not None:
            return label
        key = (ref.quantity, ref.layer, ref.node, ref.index)
        if key in self.tracer.board and self.tracer.board[key] is None:  # no formula: whether it depends on one
            return "formula" if self.tracer.opaque.get(key, True) else None
        live = self.tracer.board.get(key)
        return None if live is None or not live.text.startswith("§") else "formula"

    def _trace(self, stepper: Any, step: Any, new: dict[Ref, int]) -> None:
        """Trace the step on the board; the new blanks' formulas over the earlier blanks, and what
        the key JSON says of each."""
        from .keyjson import describe

        self.tracer.step(stepper, step, new)
        if not self.keyed:
            return
        k = step.key
        for ref, label in new.items():
            traced = self.tracer.blanks[label]
            latex, explanation = describe(stepper, step, ref, DIGITS, self.notation)
            self.details[label] = {"epoch": getattr(k, "epoch", None), "example": getattr(k, "example", None),
                                   "time": getattr(k, "time", None), "formula": traced.formula,
                                   "depends_on": traced.depends_on, "latex": latex, "explanation": explanation}

    def label_of(self, ref: Ref) -> int | None:
        """The number of the blank that board number ``ref`` (a scalar, or one entry) is now, if any."""
        live = self.live.get((ref.quantity, ref.layer, ref.node))
        return None if live is None else live.labels.get(ref.index)

    def _chosen(self, key: Any) -> bool:
        kind = self.spec.layer_kinds[key.layer - 1] if self.spec.kind != "graph" and key.layer else None
        quantity = kind.trace_quantity(key.quantity)[0] if kind is not None else key.quantity  # G_Q … G_O: G
        if quantity not in self.quantities:
            return False
        self.candidates += 1
        return (self.candidates - 1) % self.every == 0

    def _new(self, key: Any, ref: Ref, value: float) -> int:
        label = len(self.entries) + 1
        example = getattr(key, "example", None)
        per = 1
        if self.view(ref).view.endswith("/m"):  # a mean profile's G: the page shows G/m for the group's m examples
            m = self.spec.group_size
            per = min(m, self.spec.N - (key.group - 1) * m)
        elif self.view(ref).view.endswith("/n"):  # a mean profile's ℓ_D: the mean of the n losses it holds
            per = self._losses
        entry = KeyEntry(label, key.step, entry_symbol(self.spec, ref, example), value, ref, per)
        self.entries.append(entry)
        self.widths[label] = len(shown_text(entry.asked, DIGITS))
        return label

    def _aliases(self, stepper: Any, step: Any) -> dict[Node, dict[tuple[int, ...] | None, int]]:
        """Earlier board values a step shows without a ref (G before +=, W before its update, ℓ_D
        before +=), numbered as they were blanked, if they are still those values."""
        if self.spec.kind == "graph":
            return {}
        from .core.engine.equations import LOSS_D, G, W

        k = step.key
        out: dict[Node, dict[tuple[int, ...] | None, int]] = {}
        if k.quantity in ("G", "W") and step.before is not None:
            live = self.live.get((k.quantity, k.layer, None))
            if live is not None and np.array_equal(live.value, step.before):
                out[(G if k.quantity == "G" else W)(k.layer)] = dict(live.labels)
        if k.quantity == "loss":
            live = self.live.get(("loss_D", None, None))
            before = float(stepper.state.loss_D) - float(step.value)
            if live is not None and np.isclose(live.value, before, rtol=1e-12, atol=1e-15):
                out[LOSS_D] = dict(live.labels)
        return out


# -- the key ----------------------------------------------------------------------------------------
def _by_step(entries: list[KeyEntry]) -> Iterator[tuple[int, list[KeyEntry]]]:
    group: list[KeyEntry] = []
    for e in entries:
        if group and group[0].step != e.step:
            yield group[0].step, group
            group = []
        group.append(e)
    if group:
        yield group[0].step, group


def _entry_tex(e: KeyEntry, printer: LatexPrinter) -> str:
    return f"({e.label})\\; {printer.p(e.symbol)} = {printer._num(e.asked)}"


def _in_notation(notation: Any) -> str:
    """The key's words on its notation profile (none for the lecture's)."""
    return "" if notation is None else f" They are named in the notation {notation.name}, as the exercise names them."


def key_markdown(spec: Any, entries: list[KeyEntry], what: str = "", notation: Any = None) -> Iterator[str]:
    """The key: each step's blanks with their numbers and values (as the worked solution prints them),
    named in the ``notation`` profile (None: the lecture's)."""
    from .core.util.escape import markdown_text

    printer = LatexPrinter(DIGITS, notation=notation)
    yield f"# Answer key: {markdown_text(spec.name, line=True)}"
    yield ""
    yield (f"The answers to the {len(entries)} numbered blanks of the exercise{what}, step by step, "
           "rounded to 4 significant digits as in the worked solution (`bptui trace` prints the same values)."
           + _in_notation(notation))
    for step, group in _by_step(entries):
        yield ""
        yield f"**Step {step}**: " + ", ".join(f"${_entry_tex(e, printer)}$" for e in group)


def key_latex(spec: Any, entries: list[KeyEntry], what: str = "", notation: Any = None) -> Iterator[str]:
    from .core.util.escape import latex_text

    printer = LatexPrinter(DIGITS, notation=notation)
    yield r"\documentclass[10pt]{article}"
    yield r"\usepackage{amsmath,amssymb}"
    yield r"\setlength{\parindent}{0pt}"
    from .export import title_lines

    yield from title_lines(f"Answer key: {latex_text(spec.name, line=True)}")
    yield (f"The answers to the {len(entries)} numbered blanks of the exercise{latex_text(what)}, step by step, "
           "rounded to 4 significant digits as in the worked solution." + latex_text(_in_notation(notation)))
    for step, group in _by_step(entries):
        yield ""
        yield rf"\paragraph{{Step {step}.}} " + ", ".join(f"${_entry_tex(e, printer)}$" for e in group)
    yield r"\end{document}"


# -- writing files ----------------------------------------------------------------------------------
def write_atomic(path: str | Path, data: str | bytes, force: bool = False) -> None:
    """Write ``data`` to a temporary name beside ``path`` and rename it into place, so a reader never
    sees half a file (core/util/files.py: a device or a pipe is written into, never replaced; a read-only
    file or a hard link only with ``force``); an error is one ``error:`` line naming the file."""
    from .core.util.files import write_bytes_atomic, write_text_atomic

    if isinstance(data, bytes):
        write_bytes_atomic(path, data, force)
    else:
        write_text_atomic(path, data, force)


PDFLATEX_MISSING = ("--format pdf needs pdflatex, which is not installed: install TeX Live "
                    "(e.g. apt-get install texlive-latex-base texlive-latex-extra), "
                    "or write --format latex and compile it elsewhere")


# pdflatex never runs a shell command (\write18), never stops for input, and opens only the files of
# its own folder and of TeX's installation: "p" (paranoid) refuses absolute paths outside
# TEXMFOUTPUT (the temporary folder), parent folders (../) and dot files, for reading and writing.
PDFLATEX_OPTIONS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
# max_print_line: its messages unwrapped, so the error line bptui reports is whole.
PDFLATEX_ENV = {"openin_any": "p", "openout_any": "p", "shell_escape": "f", "max_print_line": "10000"}


def pdflatex_command(exe: str, tex_file: str, folder: str) -> tuple[list[str], dict[str, str]]:
    """The command line and the environment bptui runs pdflatex with (in ``folder``)."""
    return [exe, *PDFLATEX_OPTIONS, tex_file], {**os.environ, **PDFLATEX_ENV, "TEXMFOUTPUT": folder}


def compile_pdf(tex: str, where: str) -> bytes:
    """The PDF of a LaTeX document, compiled by pdflatex in a temporary folder (see PDFLATEX_OPTIONS)."""
    from .core.util.files import removed_on_signals

    exe = shutil.which("pdflatex")
    if exe is None:
        raise ExerciseError(PDFLATEX_MISSING, source=where)
    with tempfile.TemporaryDirectory(prefix="bptui-pdf-") as tmp, removed_on_signals(tmp):
        Path(tmp, "doc.tex").write_text(tex, encoding="utf-8")
        command, env = pdflatex_command(exe, "doc.tex", tmp)
        try:
            run = subprocess.run(command, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=600)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ExerciseError(f"pdflatex did not run: {err}", source=where) from None
        pdf = Path(tmp, "doc.pdf")
        if run.returncode != 0 or not pdf.exists():
            log = run.stdout.decode("utf-8", "replace").splitlines()
            first = next((line for line in log if line.startswith("!")), f"exit status {run.returncode}")
            raise ExerciseError(f"pdflatex failed: {first.lstrip('! ')}", source=where)
        return pdf.read_bytes()


def _text(lines: Iterable[str]) -> str:
    return "".join(line + "\n" for line in lines)


def document(lines: Iterable[str], fmt: str, where: str) -> str | bytes:
    """The file's contents in ``fmt``: the text, or (pdf) the compiled LaTeX."""
    text = _text(lines)
    return compile_pdf(text, where) if fmt == "pdf" else text


EXTENSIONS = {"markdown": ".md", "latex": ".tex", "pdf": ".pdf"}


def key_format(path: str, fmt: str) -> str:
    """The key's format: its file's extension (.md, .tex, .pdf) if it has one, else the exercise's."""
    by_ext = {ext: name for name, ext in EXTENSIONS.items()}
    return by_ext.get(Path(path).suffix.lower(), fmt)


def key_lines(spec: Any, entries: list[KeyEntry], fmt: str, what: str = "", notation: Any = None) -> Iterator[str]:
    return (key_markdown if fmt == "markdown" else key_latex)(spec, entries, what, notation)


# -- bptui export -----------------------------------------------------------------------------------
def export_command(args: Any, load: Callable[[str], Any]) -> int:
    """``bptui export`` with its exercise, variant and part options (the CLI's parsed ``args``)."""
    from .core.util.files import DEVICE, PIPE, check_output, check_outputs, input_files, write_lines_atomic
    from .export import export

    spec = load(args.file)
    fmt = args.format
    exercise = bool(args.exercise or args.answers or args.variants)
    if not exercise and (args.blank is not None or args.blank_every is not None):
        raise ExerciseError("bptui export: --blank and --blank-every make an exercise: add --exercise")
    if exercise and fmt == "csv":
        raise ExerciseError("bptui export: an exercise is a document: --format markdown, latex or pdf, not csv")
    if fmt in LMS_FORMATS and not (args.variants and args.output):
        raise ExerciseError(f"bptui export: --format {fmt} writes variants for a course platform: "
                            "add --variants N --output DIR")
    if exercise and spec.kind != "graph" and (refused := next((k for k in spec.layer_kinds if not k.exercises), None)):
        raise ExerciseError(f"bptui export: exercises (--exercise, --answers, --variants) are not made for {refused.type} "
                            "layers yet; bptui export writes their worked solution", source=spec.source)
    if spec.kind == "graph" and args.epochs not in (None, 1):
        raise ExerciseError("bptui export: --epochs: a computation graph has one forward and one reverse pass")
    if args.example is not None and args.steps is not None:
        raise ExerciseError("bptui export: --example and --steps each choose the part to export: give one")
    if args.steps is not None and args.epochs is not None:
        raise ExerciseError("bptui export: --steps numbers the steps of the whole run (as bptui trace): "
                            "--epochs is not needed with it")
    notation = None
    if spec.kind == "graph":
        from .core.graphs.graph import refuse_notation

        refuse_notation(spec, args.notation)
    if spec.kind != "graph":
        from .core.engine.equations import spec_notation

        notation = spec_notation(spec, args.notation)
    quantities = parse_quantities(args.blank)
    every = args.blank_every or 1

    def part_of(s: Any) -> Part | None:
        if args.example is not None:
            return example_part(s, args.example, args.epochs or 1)
        if args.steps is not None:
            return steps_part(s, args.steps)
        return None

    part = part_of(spec)
    epochs = part.epochs if part is not None else (args.epochs or 1)
    steps = run_steps(spec, part, epochs, args, args.variants or 1)
    if args.variants:
        if not args.output:
            raise ExerciseError("bptui export: --variants needs --output DIR, the folder to write the variants to")
        if args.answers:
            raise ExerciseError("bptui export: --answers: with --variants each key is written beside its variant "
                                "(variant-01-key.md, …)")
        with progress.shown(steps, f"{args.variants} variants"):
            return write_variants(spec, args, quantities, every, part_of, notation)
    if args.seed is not None or args.round is not None:
        raise ExerciseError("bptui export: --seed and --round draw variants: add --variants N")
    if fmt in ("pytorch", "numpy"):
        return program_command(spec, args, part, epochs, notation)
    if fmt == "pdf" and not args.output:
        raise ExerciseError("bptui export: --format pdf writes a file: add --output OUT.pdf")
    names = {"markdown": "Markdown", "latex": "LaTeX", "csv": "CSV", "pdf": "a PDF"}
    outputs = [(args.output, f"{names[fmt]} (--output)")] if args.output is not None else []
    key_json = None
    json_answers = args.answers is not None and Path(args.answers).suffix.lower() == ".json"
    if args.answers is not None:
        outputs.append((args.answers, "the answer key (--answers)"))
        if not json_answers and check_output(args.answers, args.force) not in (DEVICE, PIPE):  # a device or a pipe has no "beside"
            key_json = json_path(args.answers)
            outputs.append((str(key_json), "the answer key as JSON (beside --answers)"))
    elif args.rtol is not None or args.atol is not None:
        raise ExerciseError("bptui export: --rtol and --atol are the JSON key's tolerances: add --answers KEY")
    check_outputs(outputs, input_files(spec), args.force)  # before any work
    if json_answers:  # the JSON key is the one written beside the key a person reads
        raise ExerciseError(f"bptui export: --answers {args.answers}: name the key a person reads (KEY.md, .tex or "
                            ".pdf); its JSON, the key a machine reads, is written beside it as KEY.json")
    blanker = Blanker(spec, quantities, every, trace=key_json is not None, notation=notation) if exercise else None
    lines = progress.lines(export(spec, "latex" if fmt == "pdf" else fmt, epochs, part, blanker, notation), steps,
                           "export")
    if blanker is not None:
        lines = with_a_blank(lines, blanker, args.blank)
    if args.output is not None and fmt == "pdf":
        write_atomic(args.output, document(lines, fmt, args.output), args.force)
    elif args.output is not None:
        write_lines_atomic(args.output, lines, args.force)  # streamed to a temporary file, renamed when complete
    else:
        if exercise:  # all of it first: an exercise may be refused at a later step (Blanker._refuse)
            lines = iter(list(lines))
        for line in lines:
            sys.stdout.write(line + "\n")
    if args.answers:
        assert blanker is not None
        kfmt = key_format(args.answers, fmt)
        key = key_lines(spec, blanker.entries, "markdown" if kfmt == "markdown" else "latex", _what(part),
                        blanker.notation)
        write_atomic(args.answers, document(key, kfmt, args.answers), args.force)
        if key_json is not None:
            write_key_json(key_json, args.file, args, blanker, kfmt)
    return 0


def with_a_blank(lines: Iterable[str], blanker: Blanker, blank: str | None) -> Iterator[str]:
    """The exercise's ``lines``, refused at their end (before any file is renamed into place, or any line is
    printed) when the page has no blank: ``--blank`` named quantities the part's steps never write."""
    yield from lines
    if not blanker.entries:
        raise no_blank_error(blanker.spec, blank, blanker.notation)


def no_blank_error(spec: Any, blank: str | None, notation: Any) -> ExerciseError:
    """``--blank`` left the page without a blank: its quantities keep bptui's names in every notation, so
    a course's name (ng's z, cs231n's scores) may be another quantity's (attention's) or none."""
    hint = ""
    if notation is not None:  # the shared quantities under the profile's names, in the --blank words
        g = notation.gradient.text  # ∂C/∂{} names W's and b's gradients; a letter of its own (G) one matrix
        grad = (f"{g.replace('{}', notation.weights.text)} and {g.replace('{}', notation.bias.text)} are G"
                if "{}" in g else f"{g} is G")
        hint = (f" (--blank takes bptui's names in every notation: {notation.name}'s {notation.pre_activation.text} "
                f"is s, {notation.activation.text} is o, {notation.delta.text} is delta, {grad})")
    what = f"--blank {blank}" if blank is not None else "the exercise"
    return ExerciseError(f"{what}: no step of this page writes one of these quantities, so the page would have no "
                         f"blank{hint}", source=spec.source)


MAX_VARIANTS = 1_000  # three files each, in one folder: a class many times over
MAX_ROUND = 17  # decimals: a float holds 15 to 17 significant digits, so more would change no drawn number


def program_command(spec: Any, args: Any, part: Part | None, epochs: int, notation: Any = None) -> int:
    """``bptui export --format pytorch|numpy``: the run (or its part) as a program that checks itself
    (bptui/codegen/), written to --output and, when bptui's values are many, OUTPUT-expected.npz beside it;
    in the notation profile ``notation`` (--notation, else the file's; None: lecture13)."""
    from .codegen import steps_of, write
    from .core.util.files import check_outputs, input_files

    fmt = args.format
    if exercise_options(args):
        raise ExerciseError(f"bptui export: --format {fmt} writes a program, not an exercise")
    if not args.output:
        raise ExerciseError(f"bptui export: --format {fmt} writes a program: add --output PROGRAM.py")
    npz = Path(args.output).with_name(Path(args.output).stem + "-expected.npz")
    check_outputs([(args.output, "the program (--output)"), (str(npz), "its values (beside --output)")],
                  input_files(spec), args.force)
    first, last = steps_of(spec, epochs, part)
    with progress.shown(last, "program"):
        write(spec, fmt, first, last, args.output, args.force, notation, getattr(args, "notation", None) is None)
    return 0


def exercise_options(args: Any) -> bool:
    return bool(args.exercise or args.answers or args.variants or args.blank is not None
                or args.blank_every is not None or args.seed is not None or args.round is not None
                or args.rtol is not None or args.atol is not None)


def run_steps(spec: Any, part: Part | None, epochs: int, args: Any, copies: int = 1) -> int:
    """The steps ``bptui export`` will walk (its part, or its epochs, for each variant), checked
    against the limits before the first one (the manual: docs/network-files.md, "Limits and hostile input")."""
    from .core.formats.spec import check_run

    if args.variants and args.variants > MAX_VARIANTS:
        raise ExerciseError(f"--variants: {args.variants:,} variants, at most {MAX_VARIANTS:,} (three files each, "
                            "in one folder)", source=spec.source)
    if args.round is not None and args.round > MAX_ROUND:
        raise ExerciseError(f"--round: {args.round:,} decimals, at most {MAX_ROUND} (a float holds 15 to 17 "
                            "significant digits)", source=spec.source)
    if spec.kind == "graph":
        from .core.graphs.graph_stepper import GraphStepper

        return copies * len(GraphStepper(spec).schedule)
    if part is not None:
        steps, option = part.last, "--steps" if args.steps is not None else "--example"
        how = f"to step {part.last:,}, {part.what}"
    else:
        from .core.engine.stepper import Stepper

        per_epoch = len(Stepper(spec).schedule)
        steps, option = epochs * per_epoch, "--epochs"
        how = f"{epochs:,} epoch{'s' * (epochs != 1)} × {per_epoch:,} steps"
    if copies > 1:
        steps, option, how = copies * steps, "--variants", f"{copies:,} variants × {steps:,} steps ({how})"
    check_run(spec, steps, option, how)
    return steps


def export_options(args: Any, fmt: str, variant: int | None = None, spec: Any = None) -> dict:
    """The export's options as the JSON key records them; the quantities blanked are every network's and
    those of ``spec``'s steps (a gated layer's own only for a network with one)."""
    own = step_quantities(spec) if spec is not None and spec.kind != "graph" else frozenset()
    blank = sorted(q for q in parse_quantities(args.blank) if q in QUANTITIES[:8] or q in own)
    return {"format": fmt, "blank": blank, "blank_every": args.blank_every or 1,
            "epochs": args.epochs, "example": args.example, "steps": args.steps,
            "variants": args.variants, "seed": args.seed, "round": args.round, "variant": variant,
            "rtol": args.rtol, "atol": args.atol}


def write_key_json(path: Path, network: str, args: Any, blanker: Blanker, fmt: str,
                   variant: int | None = None) -> dict:
    """The key a machine reads (keyjson.py), beside the key; its document."""
    from .keyjson import key_document, key_json_text

    options = export_options(args, fmt, variant, blanker.spec)
    # the notation its names are in (its values are the lecture's, always); a variant's course profile is named by
    # the variant's network file (its copy in the folder), which the grader reads when the key names none
    if blanker.notation is not None and not (variant is not None and blanker.notation.source):
        from .core.formulas.profiles import saved_name

        options["notation"] = saved_name(blanker.notation)  # a course's profile: its file, for the grader's replay
    doc = key_document(network, options, blanker.entries, blanker.details, args.rtol, args.atol, DIGITS,
                       blanker.notation)
    write_atomic(path, key_json_text(doc), args.force)
    return doc


def write_platform(platform: str, folder: Path, spec: Any, made: list[tuple[Any, Path, dict]], args: Any) -> list[Path]:
    """The file a course platform imports (bptui/lms), from the variants just written: each one's
    spec, exercise page and JSON key."""
    from .core.util.files import read_bytes
    from .lms.platforms import PlatformError, Source, Variant, write

    network = read_bytes(spec.source, 1 << 30) if str(spec.source) else spec.name.encode("utf-8")
    source = Source(spec.name, spec.description or "", network, args.seed or 0)
    variants = [Variant(i, v.name, v.description or "", page, doc) for i, (v, page, doc) in enumerate(made, start=1)]
    try:
        return write(platform, folder, variants, source, lambda path, data: write_atomic(path, data, args.force))
    except PlatformError as err:
        raise ExerciseError(str(err), source=spec.source) from None


def _what(part: Part | None) -> str:
    return f" ({part.what})" if part is not None else ""


def _profile_copy(notation: Any, folder: Path) -> Path | None:
    """Where a variants folder keeps its copy of the course profile ``notation`` (its file's name in the folder),
    or None: a shipped profile, or a course's whose file lies in the folder or below it already."""
    if notation is None or not notation.source:
        return None
    try:
        Path(notation.source).relative_to(folder.resolve())
        return None
    except ValueError:
        return folder / Path(notation.source).name


def write_variants(spec: Any, args: Any, quantities: frozenset[str], every: int,
                   part_of: Callable[[Any], Part | None], notation: Any = None) -> int:
    """``--variants N --seed S --output DIR``: per student a network file, its exercise and its key."""
    from .core.util.files import check_outputs, input_files
    from .core.util.jsonfmt import network_text
    from .core.formats.spec import load_any
    from .core.formats.variants import variants
    from .export import export

    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SpecError(f"cannot make the folder: {err.strerror or err}", source=str(folder)) from None
    if not folder.is_dir():
        raise SpecError("not a folder", source=str(folder))
    platform = args.format if args.format in LMS_FORMATS else None
    fmt = "markdown" if platform else args.format  # a platform's variants are Markdown pages
    ext = EXTENSIONS[fmt]
    width = max(2, len(str(args.variants)))

    def files(i: int) -> tuple[Path, Path, Path, Path]:  # variant i's network file, exercise, key, JSON key
        stem = folder / f"variant-{i:0{width}d}"
        key = folder / f"{stem.name}-key{ext}"
        return stem.with_suffix(".json"), stem.with_suffix(ext), key, json_path(key)

    # before any work: no variant's file may replace the input (a folder of earlier variants), its
    # data, or another variant's file (through a link)
    outputs = [(path, f"variant {i}'s {what}") for i in range(1, args.variants + 1)
               for path, what in zip(files(i), ("network file", "exercise", "answer key", "JSON answer key"))]
    if platform:
        from .lms.platforms import outputs as platform_outputs

        extra = platform_outputs(platform, folder, spec.name, (files(i)[1] for i in range(1, args.variants + 1)))
        for parent in {path.parent for path, _ in extra}:  # prairielearn/NAME/clientFilesQuestion
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise SpecError(f"cannot make the folder: {err.strerror or err}", source=str(parent)) from None
        outputs += extra
    # a course's profile from outside the folder: copied into it and named relatively, so that the folder handed
    # out is whole (an absolute path names a file on the teacher's machine only)
    profile = _profile_copy(notation, folder)
    if profile is not None:
        outputs.append((profile, "the course profile's copy"))
    check_outputs(outputs, input_files(spec), args.force)
    if profile is not None:
        try:
            data = Path(notation.source).read_bytes()
        except OSError as err:
            raise SpecError(f"cannot read the course profile: {err.strerror or err}", source=notation.source) from None
        write_atomic(profile, data, args.force)
    made: list[Any] = []
    docs = variants(spec, args.variants, args.seed or 0, args.round, folder)
    for i, doc in enumerate(docs, start=1):
        path, exercise_path, key_path, key_json = files(i)
        if notation is not None and notation.name != "lecture13":  # the variant opens in the exercise's notation
            from .core.formulas.profiles import saved_name

            doc = {**doc, "notation": profile.name if profile is not None else saved_name(notation, path.parent)}
        write_atomic(path, network_text(doc), args.force)
        variant = load_any(path)  # the key is what bptui trace prints for this very file
        part = part_of(variant)
        epochs = part.epochs if part is not None else (args.epochs or 1)
        blanker = Blanker(variant, quantities, every, trace=True, notation=notation)
        lines = with_a_blank(export(variant, "latex" if fmt == "pdf" else fmt, epochs, part, blanker, notation),
                             blanker, args.blank)
        try:
            text = document(lines, fmt, str(exercise_path))
        except ExerciseError:  # refused (Blanker._refuse, no blank): no variant's network without its exercise
            path.unlink()
            raise
        write_atomic(exercise_path, text, args.force)
        key = key_lines(variant, blanker.entries, "markdown" if fmt == "markdown" else "latex", _what(part),
                        blanker.notation)
        write_atomic(key_path, document(key, fmt, str(key_path)), args.force)
        doc = write_key_json(key_json, path.name, args, blanker, platform or fmt, i)
        made.append((variant, exercise_path, doc))
    from .streams import note, printable

    written = write_platform(platform, folder, spec, made, args) if platform else []
    note(f"wrote {len(docs)} variants to {printable(str(folder))}: variant-{1:0{width}d}.json, "
         f"variant-{1:0{width}d}{ext}, variant-{1:0{width}d}-key{ext}, variant-{1:0{width}d}-key.json, …"
         + "".join(f"; {printable(str(p.relative_to(folder)))}" for p in written[:3]))
    return 0


__all__ = ["Blanker", "KeyEntry", "compile_pdf", "pdflatex_command", "export_command", "write_atomic", "Part", "QUANTITIES", "example_part", "key_latex", "key_markdown",
           "parse_quantities", "steps_part"]

"""No answer given away (issue 22, item 1): an exercise page never prints, as a number, a value that
depends on a blank, so no blank can be worked out backwards from the page.

The sweep: every bundled layer network, for sgd, momentum and adam, with each single quantity blank,
the default (every quantity) and a fixed seeded sample of 20 choices (quantities and --blank-every),
over the first two update groups (a choice the export refuses there: over the first one). Each
step's printed equations (the trees the printers print) are read for the board numbers they show as
numbers; the board's relations (every number a step writes, from the numbers it reads: the key
JSON's tracer) say what each depends on. A blank **leaks** when the page prints its value as a
number, or when a step's own formula gives it back: the step's result is printed as a number and
every other number it reads is printed or depends on no blank. The stronger rule checked besides:
no number printed depends on a blank.

``BPTUI_FULL_SWEEP=1`` runs the whole sweep; without it a fixed share of it (every network and
optimizer, a few choices each, well under a minute here).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from bptui.core.formulas.formula import Arr, Hidden, Num, Sym, walk
from bptui.core.formats.spec import parse_any
from bptui.core.kinds import KINDS
from bptui.exercise import QUANTITIES, Blanker, ExerciseError, Part
from bptui.export import export

NETWORKS = Path(__file__).resolve().parent.parent / "networks"
LAYERED = ("s", "o", "loss", "delta", "G", "W")
OPTIMIZERS = {"sgd": {"optimizer": "sgd"}, "momentum": {"optimizer": "momentum", "momentum": 0.9},
              "adam": {"optimizer": "adam"}}
FULL = os.environ.get("BPTUI_FULL_SWEEP") == "1"
TRACE = False  # the key's formulas too (only to measure an older Blanker, which traced only then)


def layer_networks() -> list[str]:
    """The bundled networks an exercise is made of: layer networks (no graphs), recurrent ones too."""
    out = []
    for path in sorted(NETWORKS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("kind") != "graph" and all(KINDS[l.get("type", "dense")].exercises
                                              for l in doc.get("layers", []) if isinstance(l, dict)):
            out.append(path.stem)
    return out


def choices() -> list[tuple[frozenset[str], int]]:
    """(quantities, --blank-every): each single quantity, the default, and 20 drawn with a fixed seed."""
    out = [(frozenset({q}), 1) for q in LAYERED] + [(frozenset(QUANTITIES), 1)]
    rng = np.random.default_rng(22)
    for _ in range(20):
        chosen = frozenset(q for q in LAYERED if rng.random() < 0.5) or frozenset({LAYERED[rng.integers(6)]})
        out.append((chosen, int(rng.choice([1, 1, 2, 3]))))
    return out


def spec_of(name: str, optimizer: str):
    doc = json.loads((NETWORKS / f"{name}.json").read_text(encoding="utf-8"))
    doc["training"] = {**doc.get("training", {}), **OPTIMIZERS[optimizer]}
    return parse_any(doc, str(NETWORKS / f"{name}.json"))


def update_ends(spec, groups: int) -> list[int]:
    """The step numbers (from 1) that end the first ``groups`` updates (the last layer's update)."""
    from bptui.core.engine.stepper import Stepper

    schedule = Stepper(spec).schedule
    n, ends, i = len(schedule), [], 0
    while len(ends) < groups:
        if schedule.key(i % n).phase == "update" and schedule.key((i + 1) % n).phase != "update":
            ends.append(i + 1)
        i += 1
    return ends


class Recorder(Blanker):
    """A Blanker that keeps what each step prints and the board's relations (keyjson.Tracer). A board
    number is named by its key and its version (how many times a step has written that key)."""

    def __init__(self, spec, quantities, every):
        super().__init__(spec, quantities, every, trace=TRACE)
        self.printed: list[tuple[object, set, int, list]] = []  # (step key, numbers printed, values worked out, relations)
        # each number the step writes: (key, version), its state, the numbers read for it, its blank's number
        self.relations: list[tuple[tuple, str, list[tuple[tuple, str]], int | None]] = []
        self.version: dict[tuple, int] = {}
        self.values: dict[tuple[tuple, int], float] = {}
        self._reads: list[tuple[tuple, str, str | None]] = []
        t = self.tracer
        read, produce = t.read, t.produce

        def kind(expr) -> str:
            return "blank" if expr.text.startswith("b") else "formula" if expr.text.startswith("§") else "number"

        def reading(quantity, layer, index, actual, node=None):
            key = (quantity, layer, node, index)
            name = (key, self.version.get(key, 0))
            try:
                e = read(quantity, layer, index, actual, node)
            except Exception:
                self._reads.append((name, "formula", None))
                raise
            self._reads.append((name, kind(e), e.text))
            return e

        def producing(quantity, layer, index, value, make, label, node=None):
            made: list[str] = []

            def making():
                made.append(make())
                return made[-1]
            produce(quantity, layer, index, value, making, label, node)
            # the numbers its formula reads (an update reads W, G, m, v at once: the ones in its formula)
            reads = [(r, s) for r, s, text in self._reads if not made or text is None
                     or re.search(rf"(?<![\w.§]){re.escape(text)}(?![\w.§])", made[0])]
            key = (quantity, layer, node, index)
            self.version[key] = self.version.get(key, 0) + 1
            self.values[(key, self.version[key])] = float(value)
            e = t.board.get(key)
            state = "blank" if label is not None else ("formula" if e is None or e.text.startswith("§") else "number")
            self.relations.append(((key, self.version[key]), state, reads, label))
            self._reads = []
        t.read, t.produce = reading, producing

    def equations(self, stepper, step):
        self.relations = []
        eqs = super().equations(stepper, step)
        written = {name[0] for name, _, _, _ in self.relations}

        def name(key, before, value):
            v = self.version.get(key, 0) - (before and key in written)
            same = self.values.get((key, v)) == value  # else set afresh (G and ℓ_D start at 0): a given
            return (key, v) if same else (key, -1)
        shown, derived = shown_numbers(eqs, name, self.spec)
        self.printed.append((step.key, shown, derived, self.relations))
        return eqs


def _source(sym: Sym, shape, spec):
    """The board number an earlier or an optimizer's value stands for (the test's own reading of
    the equations: G before +=, W, m, v before an update, m̂ and v̂, a kernel's G, ℓ_D)."""
    if sym.base == "ℓ_D":
        return ("loss_D", None), lambda i: None
    if not isinstance(sym.layer, int):
        return None
    if sym.base in ("G", "W", "m", "v") and sym.vector and sym.accent in ("", "hat") and not sym.sub:
        return (sym.base, sym.layer), lambda i: i
    if sym.base == "U" and sym.vector and not sym.sub:  # a recurrent layer's U: [W | U]'s last columns
        n = 1 + spec.layer_kinds[sym.layer - 1].in_shape[0]
        return ("W", sym.layer), lambda i: (i[0], n + i[1])
    if sym.base == "G_w":
        return ("G", sym.layer), lambda i: (i[0], 1 + int(np.ravel_multi_index(i[1:], shape[1:])))
    if sym.base == "G" and len(sym.sub) == 4:  # one kernel weight's G (k, c, u, v from 1)
        kind = spec.layer_kinds[sym.layer - 1]
        k, c, u, v = (int(x) - 1 for x in sym.sub)
        return ("G", sym.layer), lambda i: (k, 1 + int(np.ravel_multi_index((c, u, v), (kind.in_shape[0], *kind.kernel))))
    return None


def shown_numbers(eqs, name, spec) -> tuple[set[tuple[tuple, int]], int]:
    """The board numbers the equations print as numbers, by ``name(key, before, value)``; and how many
    numbers worked out on the spot (f′(s), Wᵀδ, the sums between) they print besides."""
    from bptui.exercise import _visible

    out: set[tuple[tuple, int]] = set()
    derived = 0
    for eq in eqs:
        for f, form in enumerate(eq.forms):
            result = f == len(eq.forms) - 1
            for n in walk(form):
                if isinstance(n, Hidden) or not isinstance(n, (Num, Arr)) or (isinstance(n, Num) and n.exact):
                    continue
                values = np.asarray(n.values if isinstance(n, Arr) else n.value, dtype=float)
                shape = values.shape
                indices = [()] if not shape else _visible(shape) if len(shape) <= 2 else list(np.ndindex(*shape))
                asked = {i for i, _, _ in n.blanks} if isinstance(n, Arr) else set()
                if n.ref is not None:
                    r = n.ref
                    for i in indices:
                        if i not in asked:
                            out.add(name((r.quantity, r.layer, r.node, (r.index or ()) + i if (r.index or i) else None),
                                         False, float(values[i])))
                elif isinstance(means := n.means if n.means is not None or not result or not f else eq.lhs, Sym) \
                        and (source := _source(means, shape, spec)) is not None:  # a result with no name: the lhs's
                    (quantity, layer), at = source
                    before = eq.rel == "←" and eq.lhs == n.means and means.base != "G_w"  # G_w: the map line, after
                    for i in indices:
                        if i not in asked:
                            out.add(name((quantity, layer, None, at(i)), before, float(values[i])))
                elif n.means is not None or (f > 1 and not result) or (result and f > 0):
                    derived += 1  # a value worked out from the board's numbers (or between them)
    return out, derived


def leaks(spec, quantities, every, part, recorder=None) -> tuple[set[int], int, int]:
    """The blanks a page gives away, the numbers it prints that depend on a blank, and the values worked
    out from numbers that depend on one that it prints (the last two must be none)."""
    blanker = (recorder or Recorder)(spec, quantities, every)
    for _ in export(spec, "markdown", part.epochs, part, blanker):
        pass
    printed: set[tuple[tuple, int]] = set()
    depends: dict[tuple[tuple, int], str] = {}
    worked_out = 0
    blanks: dict[tuple[tuple, int], int] = {}
    for _, shown, derived, relations in blanker.printed:
        printed |= shown
        reads_blank = any(state != "number" for _, _, reads, _ in relations for _, state in reads)
        worked_out += derived if reads_blank else 0
        for out, state, reads, label in relations:
            depends[out] = state
            if label is not None:
                blanks[out] = label
    leaked = {label for out, label in blanks.items() if out in printed}
    for _, _, _, relations in blanker.printed:
        for out, state, reads, _ in relations:
            if out not in printed:
                continue
            unknown = {r for r, s in reads if s != "number" and r not in printed}
            if len(unknown) == 1 and (only := unknown.pop()) in blanks:  # the step's formula, solved for it
                leaked.add(blanks[only])
    violations = sum(1 for n in printed if depends.get(n, "number") != "number")
    return leaked, violations, worked_out


def parts(spec) -> tuple[Part, Part]:
    """The first update group with its update, and the first two."""
    from bptui.core.engine.stepper import Stepper

    per_epoch = len(Stepper(spec).schedule)
    one, two = update_ends(spec, 2)
    return (Part(1, one, -(-one // per_epoch), "the first update group"),
            Part(1, two, -(-two // per_epoch), "the first two update groups"))


def run(name: str, optimizer: str, quantities: frozenset[str], every: int) -> tuple[set[int], int, int]:
    spec = spec_of(name, optimizer)
    one, two = parts(spec)
    try:
        return leaks(spec, quantities, every, two)
    except ExerciseError as err:  # a partial choice whose second group would be formulas only
        from bptui.exercise import step_quantities

        assert "every number would be a formula" in str(err)
        assert every > 1 or not step_quantities(spec) <= quantities, (name, optimizer, quantities, every)
        return leaks(spec, quantities, every, one)


def sweep() -> list[tuple[str, str, frozenset[str], int]]:
    cases = []
    all_choices = choices()
    for n, name in enumerate(layer_networks()):
        for o, optimizer in enumerate(OPTIMIZERS):
            if FULL:
                picked = all_choices
            else:  # the default, one single quantity and one drawn choice, turning with the case
                k = 3 * n + o
                picked = [all_choices[6], all_choices[k % 6], all_choices[7 + k % 20]]
            cases += [(name, optimizer, q, every) for q, every in picked]
    return cases


SMALL = {"xor", "chain", "classifier", "regression", "deep_relu", "deep_sigmoid", "two_channel"}
LONG = {"shapes", "long_memory", "long_memory_lstm", "gru_parity", "moons_layernorm", "count_tokens",
        "tiny_transformer"}  # their first two update groups take long: the full sweep only (and below)


@pytest.mark.parametrize("name, optimizer, quantities, every", [
    pytest.param(*case, id=f"{case[0]}-{case[1]}-{'+'.join(sorted(case[2]))}-every{case[3]}")
    for case in sweep() if FULL or case[0] in SMALL or (case[2] == frozenset(QUANTITIES) and case[1] == "adam"
                                                        and case[0] not in LONG)])
def test_no_answer_is_given_away(name, optimizer, quantities, every):
    leaked, violations, worked_out = run(name, optimizer, quantities, every)
    assert not leaked, f"blanks given away: {sorted(leaked)[:20]}"
    assert violations == 0 and worked_out == 0


def test_the_leaks_this_test_finds_are_real():
    """The analysis finds the leaks the issue reports when the rule is switched off: a Blanker that
    prints every step as it is (as before) gives G's answer away through new − old."""
    spec = spec_of("xor", "sgd")
    one, _ = parts(spec)

    class Before(Recorder):
        def _as_formulas(self, eq, before, key):  # the numbers as they are
            return eq
    blanker = Before(spec, frozenset({"delta"}), 1)
    for _ in export(spec, "markdown", one.epochs, one, blanker):
        pass
    # δ⁽²⁾ of example 1 is blank (1); step 7 prints G⁽²⁾ = 0 + (1)·[1, o…] as numbers
    shown = set().union(*(shown for _, shown, _, _ in blanker.printed))
    assert any(key[0] == "G" for key, _ in shown)
    leaked, violations, _ = leaks(spec, frozenset({"delta"}), 1, one, Before)
    assert 1 in leaked and violations > 0


@pytest.mark.parametrize("name, optimizer, quantities", [
    ("parity", "sgd", frozenset({"delta"})), ("parity", "momentum", frozenset({"G"}))])
def test_no_answer_is_given_away_through_time(name, optimizer, quantities):
    """Recurrent networks with a partial choice: a blank at τ lives until its own row is written again
    (the other τ's rows keep theirs), δ_τ reads δ_{τ+1} and G sums over τ."""
    leaked, violations, worked_out = run(name, optimizer, quantities, 1)
    assert not leaked and violations == 0 and worked_out == 0


def test_long_memory_example_gives_nothing_away():
    """long_memory's sequences are 30 steps long: its first example, every quantity blank."""
    from bptui.exercise import example_part

    spec = spec_of("long_memory", "adam")
    leaked, violations, worked_out = leaks(spec, frozenset(QUANTITIES), 1, example_part(spec, 1))
    assert not leaked and violations == 0 and worked_out == 0


@pytest.mark.parametrize("name, quantities", [
    ("long_memory_lstm", frozenset(QUANTITIES)), ("long_memory_lstm", frozenset({"c", "dh"})),
    ("long_memory_lstm", frozenset({"gates", "delta"})), ("gru_parity", frozenset(QUANTITIES)),
    ("gru_parity", frozenset({"h"})), ("gru_parity", frozenset({"gates", "G"}))])
def test_a_gated_example_gives_nothing_away(name, quantities):
    """A gated layer's first example (long_memory_lstm: 30 steps; gru_parity's longest, 4 bits), every
    quantity blank or a few of its own (the gates, c, h, ∂ℓ/∂h and δ read one another along τ)."""
    from bptui.exercise import example_part

    spec = spec_of(name, "adam")
    n = 1 if name == "long_memory_lstm" else int(np.argmax(spec.lengths)) + 1
    leaked, violations, worked_out = leaks(spec, quantities, 1, example_part(spec, n))
    assert not leaked and violations == 0 and worked_out == 0


def test_the_leaks_this_test_finds_through_time_are_real():
    """Switched off, the rule's absence shows on a recurrent network too: s at τ printed as numbers
    gives every blank of o at τ − 1 away through U o_{τ−1}."""
    spec = spec_of("parity", "sgd")

    class Before(Recorder):
        def _as_formulas(self, eq, before, key):
            return eq
    leaked, violations, _ = leaks(spec, frozenset({"o"}), 1, Part(1, 40, 1, "the first examples"), Before)
    assert {1, 2, 3, 4} <= leaked and violations > 0  # o⁽¹⁾ at τ = 1, printed in s⁽¹⁾ at τ = 2


@pytest.mark.parametrize("name, quantities", [
    ("tiny_transformer", frozenset(QUANTITIES)), ("tiny_transformer", frozenset({"u", "a", "dx"})),
    ("tiny_transformer", frozenset({"G"})), ("count_tokens", frozenset({"z", "scores", "dv"})),
    ("count_tokens", frozenset({"q", "delta", "o"})), ("moons_layernorm", frozenset(QUANTITIES)),
    ("moons_layernorm", frozenset({"u", "G"})), ("moons_layernorm", frozenset({"dx", "s"}))])
def test_an_example_of_the_transformers_blocks_gives_nothing_away(name, quantities):
    """The first example of a network with layer norm, dropout, residual blocks or attention (issue 21),
    every quantity blank or a few of the kinds' own: u, the scores, a, z, ∂ℓ/∂x, G_Q … G_O (printed
    once, where G⁽ˡ⁾ shows them), a head's block of z."""
    from bptui.exercise import example_part

    spec = spec_of(name, "adam")
    leaked, violations, worked_out = leaks(spec, quantities, 1, example_part(spec, 1))
    assert not leaked and violations == 0 and worked_out == 0


def test_the_leaks_this_test_finds_in_the_blocks_are_real():
    """Switched off, the rule's absence shows on the transformer's blocks too: a layer norm's u printed
    in its o = γ ⊙ u + β, and q, k in the scores, give their blanks away."""
    from bptui.exercise import example_part

    spec = spec_of("tiny_transformer", "sgd")

    class Before(Recorder):
        def _as_formulas(self, eq, before, key):
            return eq
    leaked, violations, _ = leaks(spec, frozenset({"u", "q"}), 1, example_part(spec, 1), Before)
    assert leaked and violations > 0

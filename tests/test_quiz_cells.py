"""The quiz asks each layer kind for the numbers of a step (``LayerKind.quiz_cells``): for random
networks of every kind, each quiz cell's value is the board's number at the cell's place, the step's
equations (a map step's worked out at the cell) hide it, and the answer check takes the exact value
and refuses a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from bptui.core.engine.stepper import Stepper
from bptui.core.teaching.quiz import ask, check, choose, quiz_cells

from .helpers import STACK_SHAPES, random_conv_spec, random_residual_spec, random_rnn_spec, random_spec, random_stack_spec
from .test_attention_reference import random_attention_spec
from .test_gated_reference import random_spec as random_gated_spec
from .test_unitwise import random_spec as random_unitwise_spec

SPECS = {
    "dense": lambda seed: random_spec((2, 3, 2), n=2, seed=seed, update="per_example"),
    "conv": lambda seed: random_conv_spec(seed, n=2),
    "conv_uneven": lambda seed: random_conv_spec(seed, n=1, uneven=True),
    "rnn": lambda seed: random_rnn_spec(seed, n=2),
    **{shape: (lambda seed, shape=shape: random_stack_spec(seed, shape, n=1)) for shape in STACK_SHAPES},
    "lstm": lambda seed: random_gated_spec(seed, "alone", n=1, kind="lstm", rows=4),
    "gru_over_rnn": lambda seed: random_gated_spec(seed, "over_rnn", n=1, kind="gru", rows=3),
    "layernorm_dropout": lambda seed: random_unitwise_spec(seed, n=2, update="per_example"),
    "dropout_on_a_map": lambda seed: random_unitwise_spec(3, n=1),
    "residual_nested": lambda seed: random_residual_spec(1, n=1),  # a block inside a block
    "attention": lambda seed: random_attention_spec(seed, n=1),
    "attention_heads": lambda seed: random_attention_spec(seed + 1, n=1),
}
BOARDS = ("s", "o", "delta", "G", "W")


def _board(state, ref):
    """The board's number at ``ref``: s, o, δ, G, W, or a kind's own quantity (an LSTM's c, gates)."""
    q = "o" if ref.quantity == "h" else ref.quantity  # an LSTM's or GRU's h is its o on the board
    whole = getattr(state, q)[ref.layer] if q in BOARDS else state.extra[q, ref.layer]
    return np.asarray(whole)[ref.index]


def _sample(cells, step: int) -> list:
    """The last and a seeded one: answering costs an explanation each."""
    picked = {len(cells) - 1, int(np.random.default_rng(step).integers(len(cells)))}
    return [cells[i] for i in sorted(picked)]


CASES = [(name, seed) for name in SPECS for seed in ((0, 1) if name in ("dense", "conv", "rnn") else (0,))]


@pytest.mark.parametrize("name,seed", CASES)
def test_every_quiz_cell_is_the_boards_number_and_the_check_judges_it(name, seed):
    spec = SPECS[name](seed)
    st = Stepper(spec)
    kinds_seen = set()
    for _ in range(len(st.schedule)):
        step = st.forward()
        cells = quiz_cells(spec, step.key, step.value)
        assert cells, step.key
        assert len({qc.cell for qc in cells}) == len(cells)  # no number listed twice
        assert [qc.cell for qc in cells] == [qc.cell for qc in quiz_cells(spec, step.key)]  # with or without values
        for qc in cells:
            assert qc.value is not None and np.isfinite(qc.value)
            if qc.ref.quantity != "loss":
                assert qc.value == _board(st.state, qc.ref), (step.key, qc.cell)
                kinds_seen.add((qc.ref.quantity, spec.layer_kinds[qc.ref.layer - 1].type, qc.cell.time is not None))
            else:
                assert qc.value == float(step.value)  # the loss
        for qc in _sample(cells, step.key.step):
            question = ask(st, step, cell=qc.cell)
            assert question.value == qc.value and question.cell == qc.cell
            assert question.equation.count("?") >= 1, (step.key, qc.cell, question.equation)
            assert check(st, question, repr(qc.value)).right
            wrong = check(st, question, repr(qc.value * 1.01 + 0.1))
            assert not wrong.right and wrong.final
        assert choose(spec, step.key, seed) in [qc.cell for qc in cells]
    types = {t for _, t, _ in kinds_seen}
    assert types == {k.type for k in spec.layer_kinds}  # every layer was asked about
    if any(k.over_time and not k.mixes_time for k in spec.layer_kinds):  # attention's steps have no τ of their own
        assert any(timed for q, t, timed in kinds_seen if q in ("s", "o", "delta")
                   and t in {k.type for k in spec.layer_kinds if k.over_time})
    if any(k.mixes_time for k in spec.layer_kinds):  # its every quantity was asked about
        assert {q for q, t, _ in kinds_seen if t == "attention"} >= {"q", "k", "v", "scores", "a", "z", "o", "dz",
                                                                     "da", "delta", "dq", "dk", "dv", "dx", "G"}


def test_a_conv_G_step_asks_each_kernel_weight_worked_out_where_it_stands():
    """Every kernel weight of a conv G may be asked (the bias column, summed in the map-level form
    only, may not); the hidden equation is G_k,c,u,v's own scalar form."""
    spec = random_conv_spec(0, n=1)
    conv = spec.layer_kinds[0]
    st = Stepper(spec)
    step = next(s for s in iter(st.forward, None)
                if s.key.quantity == "G" and s.key.layer == 1)
    cells = quiz_cells(spec, step.key, step.value)
    rows, cols = conv.param_shape
    assert [qc.ref.index for qc in cells] == [(r, a) for r in range(rows) for a in range(1, cols)]
    for qc in cells:
        assert qc.pos == conv.weight_position(*qc.ref.index)
        question = ask(st, step, cell=qc.cell)
        assert f"{question.symbol} ← " in question.equation and question.equation.count("?") == 1


def test_a_cell_the_step_did_not_make_is_refused():
    from bptui.core.teaching.explain import Cell

    spec = random_spec((2, 3, 2), n=2)
    st = Stepper(spec)
    step = st.forward()  # s⁽¹⁾
    with pytest.raises(ValueError, match="not a number that step 1 makes"):
        ask(st, step, cell=Cell("s", 2, 1))

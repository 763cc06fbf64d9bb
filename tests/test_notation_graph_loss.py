"""The lecture's `c` graph names the epoch's loss so far as every other view does (issue 23): printed from the core's
ℓ_D through ``view_names`` (the gradient check's, the training screen's), never spelled in the diagram."""

from __future__ import annotations

from dataclasses import replace

from bptui.core.engine.stepper import Stepper
from bptui.core.formats.spec import load
from bptui.core.formulas.notation import num

from .conftest import NETWORKS


def test_the_lectures_graph_names_the_loss_so_far_through_view_names(monkeypatch):
    from bptui.tui import view_names as names
    from bptui.tui.diagrams import network_graph, network_graph_state

    spec = load(NETWORKS / "xor.json")
    stepper = Stepper(spec)
    stepper.run_until(lambda s: s.key.phase == "loss" and s.key.example == 2)
    diagram = network_graph(spec, 4)
    lecture = names.view_names(None, spec.L)
    assert network_graph_state(stepper, diagram, 4).texts["loss"][-1] == f"{lecture.loss_D} = {num(0.666, 4)}"
    renamed = replace(lecture, loss_D="L_all")  # whatever view_names says is what the box says
    monkeypatch.setattr(names, "view_names", lambda notation=None, L=1: renamed)
    assert network_graph_state(stepper, diagram, 4).texts["loss"][-1] == f"L_all = {num(stepper.state.loss_D, 4)}"

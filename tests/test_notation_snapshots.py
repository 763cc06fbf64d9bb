"""Snapshots of xor in two notation profiles (issue 23; SVGs in tests/__snapshots__, each looked at
before accepting): nielsen's column vectors with b apart and the mean gradient, cs231n's W shown D × C."""

from bptui.core.formats.spec import load
from bptui.core.formulas.profiles import PROFILES
from bptui.tui.app import BptuiApp

from .conftest import NETWORKS


def _xor(name: str) -> BptuiApp:
    return BptuiApp(load(NETWORKS / "xor.json"), PROFILES[name])


def test_xor_in_nielsen_after_the_backward_pass(snap_compare):
    assert snap_compare(_xor("nielsen"), press=["n", "b"], terminal_size=(120, 40))


def test_xor_in_cs231n_after_the_backward_pass(snap_compare):
    assert snap_compare(_xor("cs231n"), press=["n", "b"], terminal_size=(120, 40))


def test_xor_in_cs231n_help(snap_compare):
    assert snap_compare(_xor("cs231n"), press=["question_mark"], terminal_size=(120, 40))

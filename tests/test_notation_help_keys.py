"""The help's KEYS list in a profile (issue 23): the settings key names the training's symbols as the
equations print them in the app's notation (ng's learning rate α, goodfellow's ε), never the lecture's η
where the profile writes another; the lecture's list unchanged."""

from __future__ import annotations

import pytest

from bptui.core.formulas.formula import TextPrinter
from bptui.core.formulas.profiles import PROFILES
from bptui.core.ops.optim import ETA, LAMBDA
from bptui.tui.help import help_text


def _settings_line(text: str) -> str:
    keys = text[text.index("\nKEYS\n"):]
    return next(line for line in keys.splitlines() if line.lstrip().startswith("s ") and "settings" in line)


def test_the_lectures_settings_key_names_eta():
    assert "settings: η, λ, optimizer" in _settings_line(help_text())


def test_ngs_settings_key_names_his_alpha():
    line = _settings_line(help_text(notation=PROFILES["ng"]))
    assert "settings: α, λ, optimizer" in line and "η" not in line


@pytest.mark.parametrize("name", list(PROFILES))
def test_the_settings_key_names_the_profiles_symbols(name):
    P = PROFILES[name]
    p = TextPrinter(notation=None if name == "lecture13" else P).p
    line = _settings_line(help_text(notation=P))
    assert f"settings: {p(ETA)}, {p(LAMBDA)}, optimizer" in line
    assert p(ETA) == P.learning_rate.text

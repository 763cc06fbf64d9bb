"""The manual's screenshots show the app as it is: each of screenshots/*.svg is what scripts/screenshots.py
writes today (the README and docs/app.md show them to a newcomer as what the app looks like), so a change of the
screen that does not regenerate them fails here (`python scripts/screenshots.py` rewrites them; look at them)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import screenshots  # noqa: E402


@pytest.mark.parametrize("shot", screenshots.SHOTS, ids=lambda shot: shot[0])
def test_each_screenshot_is_what_the_app_shows_today(shot):
    name, network, keys, size = shot
    committed = (ROOT / "screenshots" / f"{name}.svg").read_text(encoding="utf-8")
    assert asyncio.run(screenshots.render(network, keys, size)) == committed, (
        f"screenshots/{name}.svg is not what the app shows ({network}, keys {keys}, {size[0]}×{size[1]}): "
        "run python scripts/screenshots.py and look at it")


def test_every_screenshot_is_made_by_the_script():
    assert sorted(p.stem for p in (ROOT / "screenshots").glob("*.svg")) == sorted(s[0] for s in screenshots.SHOTS)

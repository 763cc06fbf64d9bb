"""Regenerate screenshots/*.svg: the app's main states, driven headless.

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bptui.core.formats.spec import load  # noqa: E402
from bptui.tui.app import BptuiApp  # noqa: E402

SHOTS = [
    # (file name, network, keys, terminal size)
    ("01-start", "xor", [], (120, 40)),
    ("02-forward", "xor", ["n", "n", "n"], (120, 40)),
    ("03-loss", "xor", ["f"], (120, 40)),
    ("04-backward", "xor", ["b"], (120, 40)),
    ("05-update", "xor", ["u"], (120, 40)),
    ("06-help", "xor", ["question_mark"], (120, 40)),
    ("07-vanishing-gradients", "deep_sigmoid", ["b"], (120, 40)),
    ("08-small-terminal", "xor", ["f"], (80, 24)),
    ("09-big-screen", "xor", ["n", "b"], (200, 50)),
    ("10-nn-diagram", "xor", ["f", "n", "n", "n", "d"], (120, 40)),
]


async def render(network: str, keys: list[str], size: tuple[int, int]) -> str:
    """The SVG of the app on ``network`` at ``size`` after ``keys``."""
    app = BptuiApp(load(ROOT / "networks" / f"{network}.json"))
    async with app.run_test(size=size) as pilot:
        if keys:
            await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()  # what the last refresh scheduled (the footer fits its keys after a refresh)
        return app.export_screenshot(title=f"bptui {network}")


async def shoot(name: str, network: str, keys: list[str], size: tuple[int, int]) -> Path:
    path = ROOT / "screenshots" / f"{name}.svg"
    path.write_text(await render(network, keys, size), encoding="utf-8")
    return path


async def main() -> None:
    (ROOT / "screenshots").mkdir(exist_ok=True)
    for shot in SHOTS:
        print(await shoot(*shot))


if __name__ == "__main__":
    asyncio.run(main())

"""CPU per keypress with the panels in a notation profile against the lecture's, side by side.

    python benchmarks/profile_panel_speed.py [--presses K]

For xor, moons, 784-128-10 and edges (a convolution, max pooling and a dense layer reading the map)
in a headless app of 120×40: the median CPU (time.process_time: the
pilot's idle waits drop out) of pressing n and waiting until the screen is drawn, K presses each,
in lecture13 (the LayerSheet, which builds only the lines on screen; the MapSheet) and in nielsen
and cs231n (the ProfileSheet, which builds every line of the layer at each step; the
ProfileMapSheet), and each profile's ratio to the lecture's.
"""

from __future__ import annotations

import argparse
import asyncio

from _common import ROOT, big_spec, press_ms

PROFILES = ("lecture13", "nielsen", "cs231n")


async def per_press(spec, profile: str, presses: int) -> float:
    from bptui.core.formulas.profiles import PROFILES as SHIPPED
    from bptui.tui.app import BptuiApp

    return await press_ms(BptuiApp(spec, SHIPPED[profile]), presses)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presses", type=int, default=20)
    args = ap.parse_args()
    from bptui.core.formats.spec import load

    networks = {"xor": load(ROOT / "networks" / "xor.json"), "moons": load(ROOT / "networks" / "moons.json"),
                "784-128-10": big_spec(), "edges": load(ROOT / "networks" / "edges.json")}
    print(f"ms CPU per press (median of {args.presses})   " + "   ".join(f"{p:>10}" for p in PROFILES))
    for name, spec in networks.items():
        ms = {p: asyncio.run(per_press(spec, p, args.presses)) for p in PROFILES}
        ratios = "   ".join(f"{ms[p] / ms['lecture13']:>5.2f}×" for p in PROFILES[1:])
        print(f"{name:<38}" + "   ".join(f"{ms[p]:>10.1f}" for p in PROFILES) + f"   ratios {ratios}")


if __name__ == "__main__":
    main()

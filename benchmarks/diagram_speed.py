"""The NN diagram's cost per keypress: CPU per step with the layer panels and with the diagram open.

    python benchmarks/diagram_speed.py [--steps N]

As in tui_speed.py, each step is the key's action followed by the pilot waiting until the screen is
drawn, timed in CPU time (the pilot's idle waits are sleeps and drop out). Steps are split into
those that change no weight (s, o, ℓ, δ, G: the units' maps come from the cache) and updates (new
weights: the maps are recomputed), medians of each. Then the core's map computation alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _common import ROOT, median_time


async def per_step(spec, diagram: bool, n: int) -> tuple[float, float | None]:
    """Median CPU per step (no weight changed) and per update step (None if none came), 120×40."""
    from bptui.tui.app import BptuiApp

    app = BptuiApp(spec)
    plain: list[float] = []
    updates: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if diagram:
            await pilot.press("d")
        for _ in range(5):  # warm up
            app.main.action_next()
            await pilot.pause()
        for _ in range(n):
            t = time.process_time()
            app.main.action_next()
            await pilot.pause()
            dt = time.process_time() - t
            (updates if app.stepper.last.key.phase == "update" else plain).append(dt)
    return statistics.median(plain), statistics.median(updates) if updates else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()
    from bptui.core.engine.neurons import unit_maps
    from bptui.core.util.validate import read_json
    from bptui.core.formats.spec import load, parse
    from bptui.tui.diagrams import MAP_ROWS, _unit_width

    print(f"CPU per keypress, processed and rendered, median over {args.steps} steps (120×40):")
    for name in ("xor", "moons", "iris", "deep_sigmoid"):
        path = ROOT / "networks" / f"{name}.json"
        doc = read_json(path)
        doc["training"]["update"] = "per_example"  # an update after every example: the runs meet some
        spec = parse(doc, str(path))
        panels, panels_u = asyncio.run(per_step(spec, False, args.steps))
        nn, nn_u = asyncio.run(per_step(spec, True, args.steps))
        line = f"  {name:12} panels {panels * 1e3:6.2f} ms · NN diagram {nn * 1e3:6.2f} ms ({nn / panels:.2f}×)"
        if panels_u is not None and nn_u is not None:
            line += f" · update steps: panels {panels_u * 1e3:6.2f} ms, diagram {nn_u * 1e3:6.2f} ms ({nn_u / panels_u:.2f}×)"
        print(line)
    print("the units' maps alone (core unit_maps, every unit of every layer, median of 21):")
    for name in ("xor", "moons"):
        spec = load(ROOT / "networks" / f"{name}.json")
        w = _unit_width(4)
        t = median_time(lambda: unit_maps(spec, spec.weights, w, MAP_ROWS), 21)
        print(f"  {name:6} {w}×{MAP_ROWS} grid: {t * 1e3:6.3f} ms")


if __name__ == "__main__":
    main()

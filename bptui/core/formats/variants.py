"""One variant of an exercise per student: the same network, new numbers.

A network's variant keeps the file's layers, activations, loss, training settings and data shape;
its weights are drawn as ``init`` draws them (uniform in [−scale, scale]) from
``numpy.random.default_rng([seed, i])``, and a generated data set gets a new generator seed drawn
from the same generator. Inline and CSV data stay (they are the exercise's givens). A graph's
variant draws new input values near the file's — each moved by up to half its size (at least ±0.5)
— and keeps only draws where every node's value and adjoint is defined and finite. ``decimals``
rounds the drawn numbers, so hand calculation stays pleasant (graphs: 1 decimal unless told).
The same seed gives the same variants; a draw equal to an earlier variant is drawn again.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.wiring import nest
from ..util.errors import SpecError

TRIES = 200


def _round(x: np.ndarray, decimals: int | None) -> np.ndarray:
    return x if decimals is None else np.round(x, decimals) + 0.0  # + 0.0: no −0.0 in the file


def _scale(spec: Any) -> float:
    """The draws' range: the file's ``init.scale``, else the largest given weight (at least 0.1)."""
    init = spec.raw.get("init")
    if isinstance(init, dict) and "scale" in init:
        return float(init["scale"])
    if "weights" in spec.raw:
        return max(0.1, max(float(np.max(np.abs(w))) for w in spec.weights))
    return 0.5


def network_variant(spec: Any, seed: int, i: int, decimals: int | None, folder: str | Path) -> dict:
    """Variant ``i`` (1-based) of a network file, as a document to be written in ``folder``."""
    rng = np.random.default_rng([int(seed), int(i)])
    scale = _scale(spec)
    doc = spec.to_json(folder)
    weights = []
    for kind, w in zip(spec.layer_kinds, spec.weights):  # a layer kind writes its own weights ({W, U}, {kernel, bias})
        drawn = _round(rng.uniform(-scale, scale, size=w.shape), decimals)
        weights.append(kind.weights_json(drawn))
    doc["weights"] = nest(spec.layer_kinds, weights)  # a residual block's entry: its inner layers' entries
    data = doc.get("data", {})
    if "generator" in data:
        data["seed"] = int(rng.integers(0, 2**31 - 1))
    return doc


def graph_variant(spec: Any, seed: int, i: int, decimals: int | None) -> dict:
    """Variant ``i`` of a graph file: new inputs near the file's, where the function is defined."""
    from ..graphs.graph import gradient, parse

    rng = np.random.default_rng([int(seed), int(i)])
    places = 1 if decimals is None else decimals
    for _ in range(TRIES):
        doc = copy.deepcopy(spec.raw)
        inputs = {}
        for name, value in spec.inputs:
            width = max(0.5, abs(value) / 2)
            inputs[name] = float(_round(np.array(value + rng.uniform(-width, width)), places))
        if all(inputs[name] == value for name, value in spec.inputs):
            continue
        doc["inputs"] = inputs
        try:
            candidate = parse(doc, spec.source)
            values, adjoints = gradient(candidate)
        except (SpecError, ArithmeticError, ValueError):
            continue
        if all(math.isfinite(float(v)) for v in [*values.values(), *adjoints.values()]):
            return doc
    raise SpecError(f"no variant found where the function is defined near the file's inputs after {TRIES} draws",
                    source=spec.source)


def with_inputs(text: str, inputs: dict[str, float]) -> str:
    """A graph's description with the values it quotes for its inputs (``x = 2``) replaced by a
    variant's, so that it describes the variant."""
    for name, value in inputs.items():
        shown = f"{value:g}".replace("-", "−")
        text = re.sub(rf"(?<![\w.]){re.escape(name)}(\s*=\s*)[−-]?\d+(?:\.\d+)?(?:[eE][+−-]?\d+)?(?![\w.])",
                      lambda m: f"{name}{m.group(1)}{shown}", text)
    return text


def variants(spec: Any, n: int, seed: int, decimals: int | None, folder: str | Path) -> list[dict]:
    """``n`` variants (documents), each different from the others."""
    out: list[dict] = []
    seen: set[str] = set()
    i = 0
    while len(out) < n:
        i += 1
        if i > n + TRIES:
            raise SpecError(f"only {len(out)} different variants could be drawn (try fewer, or more decimals)",
                            source=spec.source)
        doc = graph_variant(spec, seed, i, decimals) if spec.kind == "graph" else \
            network_variant(spec, seed, i, decimals, folder)
        fingerprint = repr(doc.get("inputs") if spec.kind == "graph" else (doc["weights"], doc.get("data")))
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        k = len(out) + 1
        doc["name"] = f"{spec.name}-variant-{k:02d}"
        description = spec.description or ""
        if spec.kind == "graph":
            description = with_inputs(description, doc["inputs"])
        doc["description"] = (f"Variant {k} of {n} (seed {seed}) of {spec.name}. " + description).strip()
        out.append(doc)
    return out


__all__ = ["variants", "network_variant", "graph_variant"]

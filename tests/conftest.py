import json
from pathlib import Path

import pytest
from hypothesis import settings

# the same examples on every run, so CI never fails on a draw a developer could not reproduce
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ROOT / "networks"


def _kind(path: Path) -> str:
    return json.loads(path.read_text()).get("kind", "network")


ALL_EXAMPLES = sorted(p.stem for p in NETWORKS.glob("*.json"))
def _v2(path: Path) -> bool:
    """A network file in format v2 (a map input, convolution or pooling): tests/test_conv.py runs the
    commands on these; the v1 tests, which read W⁽ˡ⁾ o⁽ˡ⁻¹⁾ and matrix weights, on the others."""
    layers = json.loads(path.read_text()).get("layers", [])
    return any("shape" in layer or "type" in layer for layer in layers)


EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network" and not _v2(NETWORKS / f"{name}.json")]
V2_EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network" and _v2(NETWORKS / f"{name}.json")]
GRAPH_EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "graph"]


@pytest.fixture
def xor_path() -> Path:
    return NETWORKS / "xor.json"

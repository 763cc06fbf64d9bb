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
EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "network"]
GRAPH_EXAMPLES = [name for name in ALL_EXAMPLES if _kind(NETWORKS / f"{name}.json") == "graph"]


@pytest.fixture
def xor_path() -> Path:
    return NETWORKS / "xor.json"

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ROOT / "networks"
EXAMPLES = sorted(p.stem for p in NETWORKS.glob("*.json"))


@pytest.fixture
def xor_path() -> Path:
    return NETWORKS / "xor.json"

"""The repository's own text: no merge left half done."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.M)
TEXT = ("*.py", "*.md", "*.json", "*.toml", "*.yml", "*.cfg", "*.txt", "*.css", "*.tcss", "*.html", "*.js")


def test_no_file_keeps_a_merge_conflicts_markers():
    """A line opening with seven <, = or > (git's conflict markers) in no text file of the project: a
    page of the manual once kept them, and mkdocs printed them as text."""
    found = []
    for folder in ("bptui", "docs", "tests", "benchmarks", "scripts", "networks", ".ci"):
        for pattern in TEXT + ("run",):
            for path in (ROOT / folder).rglob(pattern):
                if path.is_file() and MARKER.search(path.read_text(encoding="utf-8", errors="replace")):
                    found.append(str(path.relative_to(ROOT)))
    for path in ROOT.glob("*"):
        if path.is_file() and path.suffix in (".md", ".toml", ".cfg", ".yml", ".txt", "") \
                and MARKER.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(path.name)
    assert not found, found

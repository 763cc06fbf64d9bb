"""The manual's program excerpts in a notation profile (docs/code-export.md, "Programs in a notation profile") are
what `bptui export --format numpy --notation P` writes: each excerpt's lines of code are lines of the program of the
bundled network it shows, and each comment an excerpt gives is the comment the program writes on that line (or
its beginning, where the excerpt cuts it with "…"). A teacher reads the page beside the program."""

from __future__ import annotations

import re

import pytest

from bptui import codegen
from bptui.core.formats.spec import load_any
from bptui.core.formulas.profiles import PROFILES

from .conftest import NETWORKS, ROOT

# each ```python excerpt of the section, in order: the bundled network and profile whose NumPy program it quotes
# (None: an excerpt of a network the manual describes, not a bundled one)
EXCERPTS = [("shapes", "ng"), ("parity", "ng"), ("moons_layernorm", "ng"), None, ("count_tokens", "ng"),
            ("deep_residual", "ng"), None]


def _excerpts() -> list[str]:
    text = (ROOT / "docs" / "code-export.md").read_text()
    section = text[text.index("## Programs in a notation profile"):text.index("## What cannot be exported")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _split(line: str) -> tuple[str, str]:
    code, _, comment = line.strip().partition("  # ")
    return code.strip(), comment.strip()


def test_the_section_has_one_entry_per_excerpt():
    """A new excerpt names its network here (or None), so that it is checked too."""
    assert len(_excerpts()) == len(EXCERPTS)


@pytest.mark.parametrize("k", [k for k, e in enumerate(EXCERPTS) if e is not None])
def test_each_excerpt_is_what_the_program_writes(k):
    name, profile = EXCERPTS[k]
    spec = load_any(NETWORKS / f"{name}.json")
    text, _ = codegen.program(spec, "numpy", codegen.record(spec, 1, 2), None, PROFILES[profile])
    written: dict[str, list[str]] = {}
    for line in text.splitlines():
        code, comment = _split(line)
        written.setdefault(code, []).append(comment)
    wrong = []
    for line in _excerpts()[k].splitlines():
        code, comment = _split(line)
        if not code or "..." in code or "…" in code:  # an elision: the lines it stands for are not quoted
            continue
        if code not in written:
            wrong.append(f"not in the program: {code}")
            continue
        said = comment.split("…")[0].rstrip() if "…" in comment else comment
        if comment and not any(c == said or ("…" in comment and c.startswith(said)) for c in written[code]):
            wrong.append(f"{code}: the page's comment {comment!r}, the program's {written[code]}")
    assert not wrong, f"docs/code-export.md, excerpt {k + 1} ({name}, {profile}):\n" + "\n".join(wrong)

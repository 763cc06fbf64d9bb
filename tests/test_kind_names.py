"""No module outside a layer kind's own names that kind: the ratchet toward "a layer kind is one module".

The kinds live in ``bptui/core/kinds/``, each in its own module or package, found through the one table
``KINDS``; a module may name the kinds of its own package (``kinds/maps/`` names Conv2d and Pool2d).
Everywhere else, a test of a layer's kind (``isinstance`` with a kind's class, or a comparison with a
kind's type string such as ``"rnn"``) is a place that a new kind would have to touch. ``KNOWN`` counts
the places left per module, found by an AST search: the count may only fall. A module that names a kind
more often than it did fails; one that names it less must lower its count here (so the list stays true),
and the test passes once ``KNOWN`` is empty."""

from __future__ import annotations

import ast
import functools
from collections import Counter
from pathlib import Path

import pytest

from bptui.core.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
KIND_CLASSES = {cls.__name__ for cls in KINDS.values()}
KIND_TYPES = set(KINDS)


def own(rel: str) -> set[str]:
    """The kinds a module may name: those defined in its own kind module or package."""
    out = set()
    for cls in KINDS.values():
        home = cls.__module__.replace(".", "/")
        package = home.rsplit("/", 1)[0]
        if rel == home + ".py" or (package != "bptui/core/kinds" and rel.startswith(package + "/")):
            out |= {cls.__name__} | {t for t, c in KINDS.items() if c is cls}
    return out


KNOWN: dict[str, int] = {}  # module: places that test another module's layer kind (none since 2026-12-06)


def places(path: Path, allowed: set[str] = frozenset()) -> list[tuple[int, str]]:  # type: ignore[assignment]
    """Where a module tests a layer's kind other than the ``allowed`` ones (its own): (line, source)."""
    classes, types = KIND_CLASSES - allowed, KIND_TYPES - allowed
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("isinstance", "issubclass"):
            names = {getattr(n, "id", None) or getattr(n, "attr", None) for n in ast.walk(node.args[1])}
            if names & classes:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if any(isinstance(n, ast.Constant) and n.value in types for n in ast.walk(side)):
                    found.append((node.lineno, ast.unparse(node)[:80]))
                    break
    return found


@functools.cache  # the sources do not change during a run: one AST search (about 1 s of CPU) a test process
def counts() -> Counter[str]:
    out: Counter[str] = Counter()
    for path in sorted((ROOT / "bptui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        n = len(places(path, own(rel)))
        if n:
            out[rel] = n
    return out


def test_the_search_finds_a_kind_test(tmp_path):
    """The search itself: it finds both forms, and nothing in plain code."""
    probe = tmp_path / "probe.py"
    probe.write_text("isinstance(k, Rnn)\nif kind.type == 'conv2d': pass\nx = 'rnn'\nisinstance(k, int)\n", encoding="utf-8")
    assert [line for line, _ in places(probe)] == [1, 2]


def listing(module: str) -> str:
    return "\n".join(f"  {module}:{line}: {text}" for line, text in places(ROOT / module, own(module)))


# the modules of KNOWN only: a module missing from it that names a kind fails the test below with its places
# (searching the sources here, at collection, cost each test process of a -n run about 2 s of CPU)
@pytest.mark.parametrize("module", sorted(KNOWN))
def test_no_module_names_a_kind_more_than_before(module):
    now = counts()[module]
    allowed = KNOWN.get(module, 0)
    assert now <= allowed, f"{module} tests a layer's kind {now} times (at most {allowed}): ask the kind instead\n{listing(module)}"
    assert now == allowed, f"{module} names a kind {now} times now, fewer than {allowed}: lower KNOWN[{module!r}] to {now}"


def test_no_module_names_another_modules_kind():
    """The ratchet at its end: every module asks the kinds (the answer key's formulas through
    ``LayerKind.links`` and ``combine``)."""
    over = {module: n for module, n in counts().items() if n > KNOWN.get(module, 0)}
    assert not over, "ask the kind instead:\n" + "\n".join(listing(module) for module in over)
    assert not counts(), counts()

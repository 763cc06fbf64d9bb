"""The example networks that ship with bptui, reachable by name (``bptui xor``)."""

from __future__ import annotations

from pathlib import Path


def examples_dir() -> Path:
    """``bptui/networks`` in an installed package; the repository's ``networks/`` in a checkout."""
    packaged = Path(__file__).resolve().parent / "networks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "networks"


def names() -> list[str]:
    return sorted(p.stem for p in examples_dir().glob("*.json"))


def resolve(arg: str | None) -> str:
    """A path as given if it exists, else a bundled example by name; no argument means xor."""
    from .core.util.files import exists

    if arg is None:
        arg = "xor"
    if exists(arg):  # False, not an exception, for a name the OS refuses (too long, a NUL)
        return arg
    stem = arg[:-5] if arg.endswith(".json") else arg
    if stem and "/" not in arg and "\0" not in arg and stem in names():
        return str(examples_dir() / f"{stem}.json")
    return arg  # loading it reports "no such file"

"""Where ``w`` may save. In a terminal: anywhere the user can write. Served to a browser
(``bptui serve``), a visitor must not write over the operator's files: saving is off unless the
operator named a folder (``--save-dir``), and then a save is a plain file name inside it."""

from __future__ import annotations

import os
import re
from pathlib import Path

SAVE_DIR = "BPTUI_SAVE_DIR"  # set by bptui.serve for the apps it runs: a folder, or "" (saving off)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def refusal() -> str | None:
    """Why ``w`` is off here, or None when it may save."""
    if os.environ.get(SAVE_DIR) == "":
        return ("Saving is off in this served app (the operator can allow it with "
                "bptui serve --save-dir FOLDER).")
    return None


def target(text: str) -> Path | str:
    """The file to write for the name typed, or what is wrong with it."""
    folder = os.environ.get(SAVE_DIR)
    if folder is None:
        return Path(text)
    if folder == "":
        return refusal() or ""
    name = text.strip()
    if not _NAME.fullmatch(name):
        return (f"{name!r}: here a save is a plain file name (letters, digits, . _ -; no folders), "
                "written to the server's save folder.")
    if not name.endswith(".json"):
        name += ".json"
    path = Path(folder) / name
    if path.is_symlink():
        return f"{name} is a link in the save folder; choose another name."
    return path

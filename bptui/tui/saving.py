"""Where ``w`` may save. In a terminal: anywhere the user can write. Served to a browser
(``bptui serve``), a visitor must not write over the operator's files: saving is off unless the
operator named a folder (``--save-dir``), and then a save is a plain file name inside it. The
network screen's save mode (:class:`SaveMode`) asks for the name and writes the file."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .modes import Host

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


class SaveMode(Host):
    """``w`` on the network screen: the network with its current weights, to a file."""

    def action_save(self) -> None:
        if (refused := refusal()) is not None:  # served: off, or confined to the operator's folder
            self.say(refused)
            return
        default = f"{self.spec.name}-edited.json"

        def done(path: object | None) -> None:
            if not isinstance(path, str) or not path:
                return
            if isinstance(where := target(path), str):
                self.say(where)
                return
            from ..core.util.errors import SpecError
            from ..core.util.files import write_text_atomic
            from ..core.util.jsonfmt import network_text

            from ..core.formulas.profiles import saved_name

            spec = self.spec.with_weights(self.stepper.weights)
            doc = spec.to_json()
            notation = self.stepper.notation  # the notation the app writes in (--notation wins over the file's)
            if notation is not None and (notation.name != "lecture13" or "notation" in doc):
                doc["notation"] = saved_name(notation, Path(where).parent)
            try:
                existed = where.exists()
                # laid out like the bundled files, written to a temporary name and renamed into place;
                # a read-only file, a hard link, a folder or a pipe nobody reads is refused (core/util/files.py)
                write_text_atomic(where, network_text(doc), hint=None)
            except SpecError as err:
                self.say(f"Could not save: {err}.")
                return
            except (OSError, ValueError) as err:  # ValueError: a NUL in the name
                self.say(f"Could not save {path}: {getattr(err, 'strerror', None) or err}.")
                return
            what = "Replaced" if existed else "Saved the network with its current weights to"
            self.say(f"{what} {path}.")

        from .prompt import Prompt

        self.app.push_screen(Prompt("Save the network (weights included) to:", default,
                                    "Enter saves (a file of that name is replaced) · Esc cancels"), done)

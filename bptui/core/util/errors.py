"""The one error type bad input raises: it names the file and the place."""

from __future__ import annotations


class SpecError(Exception):
    """Bad input. ``str(err)`` is ``FILE: PLACE: MESSAGE`` (the CLI adds ``error: ``)."""

    def __init__(self, message: str, *, source: str = "", place: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.place = place

    def at(self, source: str) -> "SpecError":
        """The same error, naming ``source`` as the file it came from."""
        self.source = self.source or source
        return self

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.place, self.message) if part)

"""The one error type bad input raises: it names the file and the place."""

from __future__ import annotations


class SpecError(Exception):
    """Bad input. ``str(err)`` is ``FILE: PLACE: MESSAGE`` (the CLI adds ``error: ``)."""

    def __init__(self, message: str, *, source: str = "", place: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.place = place
        self.more: tuple[SpecError, ...] = ()  # the file's other mistakes, each an error line of its own

    def at(self, source: str) -> "SpecError":
        """The same error, naming ``source`` as the file it came from."""
        self.source = self.source or source
        for other in self.more:
            other.at(source)
        return self

    @staticmethod
    def of(errors: "list[SpecError]") -> "SpecError":
        """One error for a file's several mistakes: the first, carrying the others (:meth:`lines`)."""
        first = errors[0]
        first.more = tuple(errors[1:])
        return first

    def lines(self) -> list[str]:
        """One line per mistake: this one's, then each other's (a course profile's file reports every one)."""
        return [str(self), *(str(e) for e in self.more)]

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.place, self.message) if part)

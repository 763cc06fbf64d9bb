"""Text folded at spaces to a widget's width, a folded line going on under its own column (a hanging
indent), never at the widget's left edge: the help's tables and the side panel's explanations."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual import events
from textual.widgets import Static


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` in lines of at most ``width`` cells, the first after ``first`` and the others after
    ``rest`` (a hanging indent); a word longer than a line stands alone, whole."""
    lines: list[str] = []
    text = text.rstrip(" ")
    pad = text[:len(text) - len(text.lstrip(" "))]  # a row's own indent (a key's second line), kept
    first, rest = first + pad, rest + pad
    line, lead = "", first
    for word in text.lstrip(" ").split(" "):
        candidate = f"{line} {word}" if line else word
        if line and cell_len(lead) + cell_len(candidate) > width:
            lines.append(lead + line)
            line, lead = word, rest
        else:
            line = candidate
    lines.append(lead + line)
    return lines



def fold(text: str, width: int) -> str:
    """Each line of ``text`` folded to ``width`` cells: its other lines start two columns right of
    where it starts (``  = 0.193·0.9901`` goes on under its ``=``'s operand); no width known (0), or
    too little for a line's indent, leaves the line as it is."""
    if width <= 0:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip(" ")))
        if cell_len(line) <= width or cell_len(indent) + 12 > width:
            out.append(line)
        else:
            out.extend(wrap(line.lstrip(" "), width, indent, indent + "  "))
    return "\n".join(out)


class Folded(Static):
    """A Static whose text is folded to its width (:func:`fold`), again when the width changes; its
    ``text`` is the text as given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text = ""

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        self.text = content if isinstance(content, str) else str(content)
        super().update(fold(self.text, self.content_size.width) if isinstance(content, str) else content, layout=layout)

    def on_resize(self, event: events.Resize) -> None:
        if self.text:
            super().update(fold(self.text, self.content_size.width))

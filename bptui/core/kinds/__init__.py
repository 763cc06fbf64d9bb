"""The layer kinds, one module each, and the one table that finds them.

A kind is one class derived from :class:`~bptui.core.engine.kind.LayerKind` in its own module (or
small package): ``dense.py``, ``maps/conv2d.py``, ``maps/pool2d.py``, ``rnn/`` (the recurrent family: ``rnn``, ``lstm``, ``gru``), ``unitwise/`` (``layernorm``, ``dropout``), ``residual.py``, ``attention/``. ``KINDS`` maps each
type string of the file format to its class; the file reader, the schema test and the app find a
kind only through it. Adding a kind: its module, one line here (docs/code.md, "Adding a layer kind").

The table names each kind's module and class, and imports a module when one of its kinds is first
looked up: reading a dense network (the reader child of ``bptui FILE``, before the app's first
frame) imports the dense layer's module and no other kind's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

from ..engine.kind import LayerKind, Shape

if TYPE_CHECKING:  # the classes, as ``from bptui.core.kinds import Dense`` gives them (see __getattr__)
    from .attention.layer import Attention
    from .dense import Dense
    from .maps.conv2d import Conv2d
    from .maps.pool2d import Pool2d
    from .maps.windowed import out_size
    from .residual import Residual
    from .rnn.gru import Gru
    from .rnn.layer import Rnn
    from .rnn.lstm import Lstm
    from .unitwise.dropout import Dropout
    from .unitwise.layernorm import LayerNorm

# type string → (its module, under this package; its class)
_PLACES: dict[str, tuple[str, str]] = {
    "dense": ("dense", "Dense"),
    "conv2d": ("maps.conv2d", "Conv2d"),
    "maxpool2d": ("maps.pool2d", "Pool2d"),
    "avgpool2d": ("maps.pool2d", "Pool2d"),
    "rnn": ("rnn.layer", "Rnn"),
    "lstm": ("rnn.lstm", "Lstm"),
    "gru": ("rnn.gru", "Gru"),
    "layernorm": ("unitwise.layernorm", "LayerNorm"),
    "dropout": ("unitwise.dropout", "Dropout"),
    "residual": ("residual", "Residual"),
    "attention": ("attention.layer", "Attention"),
}


def _load(module: str, name: str):
    return getattr(import_module(f".{module}", __name__), name)


class _Table(Mapping[str, "type[LayerKind]"]):
    """``KINDS``: a mapping of the file format's type strings to the kinds' classes, in the file
    format's order, each class imported when it is first looked up."""

    def __getitem__(self, type_: str) -> type[LayerKind]:
        return _load(*_PLACES[type_])  # an unknown type: KeyError, as a dict's

    def __iter__(self) -> Iterator[str]:
        return iter(_PLACES)

    def __len__(self) -> int:
        return len(_PLACES)

    def __repr__(self) -> str:
        return f"KINDS({dict(self)!r})"


KINDS: Mapping[str, type[LayerKind]] = _Table()
TYPES = tuple(_PLACES)
_CLASSES = {name: module for module, name in _PLACES.values()} | {"out_size": "maps.windowed"}


def __getattr__(name: str):
    """A kind's class by its name (``from bptui.core.kinds import Dense``), imported on first use (PEP 562)."""
    if name in _CLASSES:
        return _load(_CLASSES[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KINDS", "TYPES", "LayerKind", "Shape", "Dense", "Conv2d", "Pool2d", "Rnn", "Lstm", "Gru", "LayerNorm", "Dropout",
           "Residual", "Attention", "out_size"]

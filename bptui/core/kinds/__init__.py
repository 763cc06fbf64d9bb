"""The layer kinds, one module each, and the one table that finds them.

A kind is one class derived from :class:`~bptui.core.engine.kind.LayerKind` in its own module (or
small package): ``dense.py``, ``maps/conv2d.py``, ``maps/pool2d.py``, ``rnn/`` (the recurrent family: ``rnn``, ``lstm``, ``gru``), ``unitwise/`` (``layernorm``, ``dropout``), ``residual.py``, ``attention/``. ``KINDS`` maps each
type string of the file format to its class; the file reader, the schema test and the app find a
kind only through it. Adding a kind: its module, one line here (docs/code.md, "Adding a layer kind").
"""

from __future__ import annotations

from ..engine.kind import LayerKind, Shape
from .dense import Dense
from .maps.conv2d import Conv2d
from .maps.pool2d import Pool2d
from .maps.windowed import out_size
from .rnn.layer import Rnn
from .rnn.gru import Gru
from .rnn.lstm import Lstm
from .attention.layer import Attention
from .residual import Residual
from .unitwise.dropout import Dropout
from .unitwise.layernorm import LayerNorm

KINDS: dict[str, type[LayerKind]] = {
    "dense": Dense,
    "conv2d": Conv2d,
    "maxpool2d": Pool2d,
    "avgpool2d": Pool2d,
    "rnn": Rnn,
    "lstm": Lstm,
    "gru": Gru,
    "layernorm": LayerNorm,
    "dropout": Dropout,
    "residual": Residual,
    "attention": Attention,
}
TYPES = tuple(KINDS)

__all__ = ["KINDS", "TYPES", "LayerKind", "Shape", "Dense", "Conv2d", "Pool2d", "Rnn", "Lstm", "Gru", "LayerNorm", "Dropout",
           "Residual", "Attention", "out_size"]

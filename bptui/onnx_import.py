"""``bptui import MODEL.onnx``: a bptui network file from a small ONNX model (docs/import.md).

The model is read as bytes (a regular file of at most 64 MiB, as network files) and parsed with
``onnx.load_from_string``, which reads no other file; a tensor whose data lives in an external file is
refused. The graph is then walked node by node, in the file's order, following the one tensor the
layers hand up (the *data path*): each layer op (``LAYER_OPS``) makes a layer, an activation op sets
the activation of the layer just made, layout ops (Flatten, Transpose, Squeeze, Gather of the last
step) change how the tensor is laid out, and the small side computations PyTorch writes for a
recurrent layer's initial state (Shape, Gather, Concat, Expand of zeros …) are followed only to check
that the initial state is zero. Anything else is one ``error:`` line naming the node and its op.

Each layer's weights are handed to its kind (:meth:`LayerKind.from_framework`, PyTorch's parameter
names, gate blocks in the kind's ``gate_order``), which knows its own layout; this module knows ONNX's
(the tables below) and reorders ONNX's gate blocks into the kind's order by their letters.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .core.formats.spec import MAX_WEIGHTS, parse
from .core.kinds import KINDS, LayerKind
from .core.util.errors import SpecError
from .core.util.files import MAX_CSV_FILE_BYTES, MAX_NETWORK_FILE_BYTES, npz_arrays, read_bytes

MAX_TENSOR = MAX_WEIGHTS  # numbers in one tensor of the model: bptui's limit on all weights (docs/network-files.md)
MAX_NODES = 10_000

# ONNX's layer ops, and the bptui type of the layer each makes
LAYER_OPS = {"Gemm": "dense", "MatMul": "dense", "Conv": "conv2d", "MaxPool": "maxpool2d",
             "AveragePool": "avgpool2d", "RNN": "rnn", "LSTM": "lstm", "GRU": "gru", "LayerNormalization": "layernorm"}
# ONNX's gate blocks of W, R and B, named by the letters of the kind's ``gate_order`` (ONNX's c of an
# LSTM is bptui's g, ONNX's h of a GRU its n)
ONNX_GATES = {"RNN": "", "LSTM": "iofg", "GRU": "zrn"}
# the activations a gated op must have (ONNX's defaults, which bptui's kinds fix)
FIXED_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
# ONNX activation ops: bptui's name, and the attribute holding α (None: no α)
ACTIVATION_OPS: dict[str, tuple[str, str | None]] = {
    "Sigmoid": ("sigmoid", None), "Tanh": ("tanh", None), "Relu": ("relu", None), "Softplus": ("softplus", None),
    "Elu": ("elu", "alpha"), "LeakyRelu": ("leaky_relu", "alpha"), "Gelu": ("gelu", None),
    "Softmax": ("softmax", None)}
ALPHA_DEFAULTS = {"Elu": 1.0, "LeakyRelu": 0.01}
# side computations: allowed off the data path (the shape of an initial state), never on it
SIDE_OPS = {"Constant", "ConstantOfShape", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Expand",
            "Cast", "Slice", "Identity", "Reshape"}
# ops that change only how the layers' tensor is laid out, or add a MatMul's bias
LAYOUT_OPS = {"Flatten", "Reshape", "Transpose", "Squeeze", "Gather", "Identity", "Dropout", "Add", "Shape"}
KNOWN_OPS = set(LAYER_OPS) | set(ACTIVATION_OPS) | SIDE_OPS | LAYOUT_OPS
NPZ_KEYS = {"x", "y", "lengths"}
LAST_AXIS = {"flat": 1, "seq": 2, "seq_bt": 2}  # the units' axis of each layout


class _Zeros:
    """A tensor of zeros whose shape is worked out at run time (an initial state)."""


class _Side:
    """Any other value off the data path (a shape, an index)."""


@dataclass
class _Data:
    """The tensor the layers hand up. ``layout``: ``flat`` (N, d), ``map`` (N, C, H, W), ``seq`` (T, N, d),
    ``seq_bt`` (N, T, d), ``Y`` (T, 1, N, h) and ``Y_h`` (1, N, h) of a recurrent op."""

    layout: str
    shape: tuple[int, ...]  # one example's: (d,) or (C, H, W)
    layer: int | None = None  # the layer it is the output of, while an activation may still follow
    matmul: bool = False  # a MatMul's output: the Add of its bias may follow
    recurrent: int | None = None  # the recurrent layer whose every h_τ this is


@dataclass
class _Layer:
    entry: dict
    kind: LayerKind
    node: str
    act_node: str = ""  # the node of its activation, if one was read
    params: tuple = ()
    bias_set: bool = False


@dataclass
class _Walk:
    source: str
    opset: int = 1
    values: dict[str, Any] = field(default_factory=dict)
    layers: list[_Layer] = field(default_factory=list)
    readers: dict[str, int] = field(default_factory=dict)
    input_entry: dict = field(default_factory=dict)


def _text(s: object, limit: int = 60) -> str:
    """A name from the file as an error line may show it: printable characters only, at most ``limit``."""
    out = "".join(ch if ch.isprintable() else "?" for ch in str(s))
    return out if len(out) <= limit else out[:limit - 1] + "…"


def _node_name(node: Any, i: int) -> str:
    return f"node {i} {_text(node.name)!r} ({_text(node.op_type, 30)})" if node.name else \
        f"node {i} ({_text(node.op_type, 30)})"


def load_onnx(path: str) -> Any:
    """The model in ``path``: a regular file of at most 64 MiB, parsed from its bytes (no external data)."""
    try:
        import onnx
    except ImportError:
        raise SpecError("bptui import needs the onnx package: pip install 'bptui[onnx]'", source=path) from None
    data = read_bytes(path, MAX_NETWORK_FILE_BYTES, "model file")
    if data[:2] == b"\x80\x02" or data[:4] == b"PK\x03\x04":
        raise SpecError("not an ONNX model (a pickled or zipped PyTorch file? export the model with "
                        "torch.onnx.export; bptui never unpickles)", source=path)
    try:
        model = onnx.load_from_string(data)
    except Exception as err:  # protobuf's DecodeError and its kin: random bytes, a truncated file
        raise SpecError(f"not an ONNX model ({type(err).__name__})", source=path) from None
    if not model.HasField("graph") or not model.graph.node:
        raise SpecError("not an ONNX model (no graph, or a graph without nodes)", source=path)
    return model


def _array(tensor: Any, what: str, source: str) -> np.ndarray:
    """A TensorProto as an array, refused when its data lives outside the file or it is too large."""
    from onnx import TensorProto, numpy_helper

    if tensor.data_location == TensorProto.EXTERNAL or tensor.external_data:
        raise SpecError(f"{what}: its data is in an external file; bptui reads only the model's own "
                        "bytes (save the model with its weights inside)", source=source)
    dims = list(tensor.dims)
    if any(d < 0 for d in dims) or math.prod(dims) > MAX_TENSOR:
        raise SpecError(f"{what}: {'×'.join(map(str, dims))} numbers, at most {MAX_TENSOR:,} in a tensor",
                        source=source)
    try:
        arr = numpy_helper.to_array(tensor)
    except Exception as err:
        raise SpecError(f"{what}: cannot be read ({_text(err, 80)})", source=source) from None
    if arr.dtype.kind not in "biuf":
        raise SpecError(f"{what}: holds {arr.dtype.name}, not numbers", source=source)
    return arr


def _attrs(node: Any, where: str, source: str) -> dict[str, Any]:
    from onnx import AttributeProto, helper

    out: dict[str, Any] = {}
    for a in node.attribute:
        if a.type == AttributeProto.TENSOR:
            out[a.name] = _array(a.t, f"{where}: attribute {_text(a.name)!r}", source)
        elif a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS, AttributeProto.SPARSE_TENSOR,
                        AttributeProto.SPARSE_TENSORS, AttributeProto.TENSORS):
            raise SpecError(f"{where}: bptui cannot step it (attribute {_text(a.name)!r} holds a graph or "
                            "tensors)", source=source)
        else:
            value = helper.get_attribute_value(a)
            out[a.name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else \
                [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value] \
                if isinstance(value, list) else value
    return out


def _input_shape(value_info: Any, source: str) -> tuple[str, tuple[int, ...]]:
    """(layout, one example's shape) of the graph's input: (N, d), (T, N, d) or (N, C, H, W)."""
    t = value_info.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    where = f"input {_text(value_info.name)!r}"
    if len(dims) not in (2, 3, 4):
        raise SpecError(f"{where}: {len(dims)} axes; bptui reads (N, d), sequences (T, N, d) or (N, T, d), "
                        "or maps (N, C, H, W)", source=source)
    rest = dims[2:] if len(dims) == 3 else dims[1:]
    if any(d is None or d < 1 for d in rest):
        raise SpecError(f"{where}: its sizes (but the examples' and time's) must be fixed numbers", source=source)
    layout = {2: "flat", 3: "seq", 4: "map"}[len(dims)]
    return layout, tuple(int(d or 0) for d in rest)


def _const(walk: _Walk, name: str) -> np.ndarray | None:
    v = walk.values.get(name)
    return v if isinstance(v, np.ndarray) else None


def _zero(v: Any) -> bool:
    return v is None or isinstance(v, _Zeros) or (isinstance(v, np.ndarray) and not np.any(v))


def _ints(v: Any) -> list[int] | None:
    return [int(x) for x in np.asarray(v).reshape(-1)] if isinstance(v, np.ndarray) else None


def build(model: Any, source: str) -> tuple[list[dict], list, list[_Layer]]:
    """(layers, weights, the layers with their nodes) of the file, from the model's graph."""
    g = model.graph
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if len(versions) != 1 or not 1 <= versions[0] <= 10_000:
        raise SpecError("no one version of ONNX's own opset (opset_import)", source=source)
    walk = _Walk(source, versions[0])
    if len(g.node) > MAX_NODES:
        raise SpecError(f"{len(g.node):,} nodes, at most {MAX_NODES:,}", source=source)
    for t in g.initializer:
        walk.values[t.name] = _array(t, f"initializer {_text(t.name)!r}", source)
    if g.sparse_initializer:
        raise SpecError("sparse initializers: bptui reads dense tensors only", source=source)
    inputs = [i for i in g.input if i.name not in walk.values]
    if len(inputs) != 1:
        raise SpecError(f"{len(inputs)} inputs that are no initializers; bptui reads one (the examples)", source=source)
    layout, shape = _input_shape(inputs[0], source)
    walk.input_entry = {"shape": list(shape)} if layout == "map" else {"units": shape[-1]}
    if layout == "seq":  # batch first (N, T, d) when the model turns it into ONNX's (T, N, d) first
        first = next((n for n in g.node if inputs[0].name in n.input and n.op_type != "Shape"), None)
        perm = [list(a.ints) for a in first.attribute if a.name == "perm"] if first is not None else []
        if first is not None and first.op_type == "Transpose" and perm == [[1, 0, 2]]:
            layout = "seq_bt"
    walk.values[inputs[0].name] = _Data(layout, (shape[-1],) if layout.startswith("seq") else shape)
    for node in g.node:
        for name in node.input:
            walk.readers[name] = walk.readers.get(name, 0) + (node.op_type != "Shape")
    for out in g.output:
        walk.readers[out.name] = walk.readers.get(out.name, 0) + 1
    for i, node in enumerate(g.node):
        _step(walk, node, _node_name(node, i))
    if len(g.output) != 1:
        raise SpecError(f"{len(g.output)} outputs; bptui's network has one (its output layer)", source=source)
    final = walk.values.get(g.output[0].name)
    if not isinstance(final, _Data) or not walk.layers:
        raise SpecError(f"output {_text(g.output[0].name)!r} is not made from the input by layers", source=source)
    if final.layout not in ("flat", "seq", "seq_bt"):
        raise SpecError(f"output {_text(g.output[0].name)!r}: a {final.layout} tensor; bptui's output layer is a "
                        "vector (or one per time step)", source=source)
    if walk.values[inputs[0].name].layout.startswith("seq") and not any(lay.kind.over_time for lay in walk.layers):
        raise SpecError(f"input {_text(inputs[0].name)!r} is a sequence, but no recurrent layer reads it (bptui "
                        "runs layers at each time step only below or above one)", source=source)
    weights = [lay.kind.weights_json(lay.kind.from_framework(*lay.params)) if lay.kind.has_weights else None
               for lay in walk.layers]
    return [walk.input_entry] + [lay.entry for lay in walk.layers], weights, walk.layers


def _step(walk: _Walk, node: Any, where: str) -> None:
    src = walk.source
    op = node.op_type
    for name in node.input:
        if name and name not in walk.values:
            raise SpecError(f"{where}: reads {_text(name)!r}, which no earlier node makes (a graph out of "
                            "order, or a cycle)", source=src)
    for name in node.output:
        if name in walk.values or (name and node.output[:list(node.output).index(name)].count(name)):
            raise SpecError(f"{where}: makes {_text(name)!r} a second time (ONNX names each value once)", source=src)
    if node.domain not in ("", "ai.onnx"):
        raise SpecError(f"{where}: bptui cannot step an op of domain {_text(node.domain)!r}", source=src)
    if op not in KNOWN_OPS:
        raise SpecError(f"{where}: bptui cannot step it (docs/import.md lists the ops it reads)", source=src)
    _check_schema(walk, node, where)
    args = [walk.values[n] if n else None for n in node.input]
    data = [a for a in args if isinstance(a, _Data)]
    attrs = _attrs(node, where, src)
    outs = [n for n in node.output if n]
    if not data:
        value: Any
        if op == "Constant":
            if "value" in attrs:
                value = attrs["value"]
            else:
                scalars = [attrs[k] for k in ("value_float", "value_floats", "value_int", "value_ints") if k in attrs]
                value = np.asarray(scalars[0]) if scalars else _Side()
        elif op == "ConstantOfShape":
            value = _Zeros() if _zero(attrs.get("value")) else _Side()
        elif op == "Expand" and _zero(args[0]) and args[0] is not None:
            value = _Zeros()
        elif op in SIDE_OPS:
            value = _Side()
        else:
            raise SpecError(f"{where}: bptui cannot step it (an op on constants that feeds no layer it knows)",
                            source=src)
        for n in outs:
            walk.values[n] = value
        return
    if len(data) > 1:
        raise SpecError(f"{where}: it joins two tensors of the network; bptui steps a chain of layers", source=src)
    x = data[0]
    if args[0] is not x and op not in ("Add",):
        raise SpecError(f"{where}: bptui cannot step it (the layers' tensor is not its first input)", source=src)
    result = _data_op(walk, node, op, x, args, attrs, where)
    if op == "Shape":
        walk.values[node.output[0]] = _Side()
        return
    used = [n for n in outs if walk.readers.get(n, 0)]
    for n in outs:
        walk.values[n] = _Side()
    if isinstance(result, tuple):  # a recurrent op: Y and Y_h (and an LSTM's Y_c)
        if len(used) > 1 or (used and used[0] not in node.output[:2]):
            raise SpecError(f"{where}: more than its Y or its Y_h is read (bptui's recurrent layer hands up "
                            "one of them)", source=src)
        for n, r in zip(node.output, result):
            if n:
                walk.values[n] = r
        names = used
    else:
        walk.values[node.output[0]] = result
        names = [node.output[0]]
    for n in names:
        if walk.readers.get(n, 0) > 1:
            raise SpecError(f"{where}: its output is read by {walk.readers[n]} nodes; bptui steps a chain of "
                            "layers, with no branches", source=src)


def _check_schema(walk: _Walk, node: Any, where: str) -> None:
    """The node as ONNX's own schema of its op (at the model's opset) has it: an op of that opset, its
    number of inputs and outputs, and attributes it takes, each of its type."""
    import onnx

    try:
        schema = onnx.defs.get_schema(node.op_type, walk.opset, "")
    except Exception:  # SchemaError: no such op at this opset
        raise _refuse(walk, where, f"bptui cannot step it (no op of ONNX's opset {walk.opset})") from None
    if not schema.min_input <= len(node.input) <= schema.max_input or \
            not schema.min_output <= len(node.output) <= schema.max_output:
        raise _refuse(walk, where, f"{len(node.input)} inputs and {len(node.output)} outputs, which {node.op_type} "
                      "does not take")
    for a in node.attribute:
        spec = schema.attributes.get(a.name)
        if spec is None or onnx.AttributeProto.AttributeType.Name(a.type) != str(spec.type).rsplit(".", 1)[-1]:
            raise _refuse(walk, where, f"attribute {_text(a.name)!r}: {node.op_type} takes no such attribute of "
                          "this type")


def _refuse(walk: _Walk, where: str, why: str) -> SpecError:
    return SpecError(f"{where}: {why}", source=walk.source)


def _weight(walk: _Walk, args: list, i: int, where: str, what: str, rank: int | None = None) -> np.ndarray:
    v = args[i] if i < len(args) else None
    if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
        raise _refuse(walk, where, f"its {what} is no constant tensor of numbers (bptui imports fixed weights)")
    if rank is not None and v.ndim != rank:
        raise _refuse(walk, where, f"its {what} has {v.ndim} axes, expected {rank}")
    if not np.isfinite(v).all():
        raise _refuse(walk, where, f"its {what} holds a number that is not finite")
    return v.astype(float)


def _layer(walk: _Walk, entry: dict, where: str, below: tuple[int, ...]) -> _Layer:
    """A new layer above ``below``, read by its kind as the file reader reads it."""
    l = len(walk.layers) + 1
    try:
        kind, _, _ = KINDS[entry.get("type", "dense")].read(entry, below, l, l + 1)
    except SpecError as err:
        raise _refuse(walk, where, f"{err.message} (as layers[{l}])") from None
    lay = _Layer(entry, kind, where)
    walk.layers.append(lay)
    return lay


def _data_op(walk: _Walk, node: Any, op: str, x: _Data, args: list, attrs: dict, where: str) -> Any:
    if op in LAYER_OPS:
        return _layer_op(walk, node, op, x, args, attrs, where)
    if op in ACTIVATION_OPS:
        return _activation(walk, op, x, attrs, where)
    if op == "Shape":
        return None
    if op == "Identity" or (op == "Dropout" and len([n for n in node.output if n]) == 1):
        return x  # Dropout in an exported model is inference's: the identity
    if op == "Add":
        return _bias(walk, x, args, where)
    if op == "Flatten":
        if attrs.get("axis", 1) != 1 or x.layout not in ("flat", "map"):
            raise _refuse(walk, where, "bptui flattens a map (N, C, H, W) into (N, C·H·W) only (axis 1)")
        return _Data("flat", (math.prod(x.shape),), x.layer)
    if op == "Reshape":
        target = _ints(args[1]) if len(args) > 1 else None
        n = math.prod(x.shape)
        if x.layout in ("flat", "map") and target is not None and len(target) == 2 and target[1] in (-1, n) \
                and target[0] in (-1, 0, 1) and not attrs.get("allowzero", 0):
            return _Data("flat", (n,), x.layer)
        raise _refuse(walk, where, "bptui reads a Reshape only as a flattening to (N, C·H·W) with a constant "
                      "shape (export torch.flatten(x, 1) or nn.Flatten)")
    if op == "Transpose":
        perm = list(attrs.get("perm", []))
        swap = {"seq": "seq_bt", "seq_bt": "seq"}
        if perm == [1, 0, 2] and x.layout in swap:
            return _Data(swap[x.layout], x.shape, x.layer, recurrent=x.recurrent)
        raise _refuse(walk, where, "bptui reads a Transpose only between (N, T, d) and (T, N, d)")
    if op in ("Squeeze", "Gather", "Slice"):
        return _select(walk, op, x, args, attrs, where)
    raise _refuse(walk, where, "bptui cannot step it")


def _axes(args: list, attrs: dict) -> list[int] | None:
    if "axes" in attrs:
        return list(attrs["axes"])
    return _ints(args[1]) if len(args) > 1 and args[1] is not None else None


def _select(walk: _Walk, op: str, x: _Data, args: list, attrs: dict, where: str) -> _Data:
    """A recurrent op's Y (T, 1, N, h) to h_τ at every τ (T, N, h), its Y_h (1, N, h) to h_T, or the last
    time step of a sequence of h_τ (many-to-one)."""
    if op == "Squeeze":
        axes = _axes(args, attrs)
        if x.layout == "Y" and axes in ([1], [-3]):
            lay = walk.layers[x.recurrent] if x.recurrent is not None else None
            if lay is not None:
                lay.entry["return_sequences"] = True
            return _Data("seq", x.shape, recurrent=x.recurrent)
        if x.layout == "Y_h" and axes in ([0], [-3]):
            return _Data("flat", x.shape)
        raise _refuse(walk, where, "bptui reads a Squeeze only of a recurrent op's direction axis")
    if op == "Gather":
        index = _ints(args[1]) if len(args) > 1 else None
        axis = attrs.get("axis", 0)
        rank = np.asarray(args[1]).ndim if isinstance(args[1], np.ndarray) else None
        if x.layout == "Y_h" and axis == 0 and index in ([0], [-1]) and rank == 0:
            return _Data("flat", x.shape)
        time_axis = {"seq": 0, "seq_bt": 1}.get(x.layout)
        if time_axis is not None and axis == time_axis and index == [-1] and rank == 0 and x.recurrent is not None:
            walk.layers[x.recurrent].entry["return_sequences"] = False
            return _Data("flat", x.shape)
        raise _refuse(walk, where, "bptui reads a Gather only of a recurrent layer's last state h_T")
    raise _refuse(walk, where, "bptui cannot step it")


def _activation(walk: _Walk, op: str, x: _Data, attrs: dict, where: str) -> _Data:
    name, alpha_key = ACTIVATION_OPS[op]
    lay = walk.layers[x.layer] if x.layer is not None else None
    if lay is None or lay.entry.get("activation", "identity") != "identity" or not lay.kind.takes_activation:
        raise _refuse(walk, where, "bptui cannot step it here: an activation belongs to the layer just below it "
                      "(a dense or convolution layer's f), once")
    if op == "Softmax" and attrs.get("axis", -1) not in (-1, LAST_AXIS.get(x.layout)):
        raise _refuse(walk, where, "bptui's softmax is over the units (the last axis)")
    if op == "Gelu" and attrs.get("approximate", "none") != "none":
        raise _refuse(walk, where, "bptui's gelu is the exact erf form (approximate = 'none')")
    lay.entry["activation"] = name
    lay.act_node = where
    if alpha_key is not None:
        # ONNX keeps a float attribute as float32: the shortest decimal that reads back as the same float32
        # is the number the model's author wrote (0.7, not 0.699999988)
        lay.entry["alpha"] = float(str(np.float32(attrs.get(alpha_key, ALPHA_DEFAULTS[op]))))
    return _Data(x.layout, x.shape, None)


def _bias(walk: _Walk, x: _Data, args: list, where: str) -> _Data:
    other = args[1] if args[0] is x else args[0]
    if not x.matmul or not isinstance(other, np.ndarray) or x.layer is None:
        raise _refuse(walk, where, "bptui reads an Add only as the bias of the MatMul just below it")
    lay = walk.layers[x.layer]
    units = lay.kind.out_shape[0]
    if other.size != units or other.shape[-1] != units:
        raise _refuse(walk, where, f"its bias has shape {other.shape}, expected ({units},)")
    b = other.reshape(-1).astype(float)
    if not np.isfinite(b).all():
        raise _refuse(walk, where, "its bias holds a number that is not finite")
    lay.params = (lay.params[0], b)
    return _Data(x.layout, x.shape, x.layer)


def _pads(walk: _Walk, attrs: dict, where: str) -> int:
    if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise _refuse(walk, where, f"auto_pad {_text(attrs['auto_pad'])!r}: bptui pads explicitly, the same on "
                      "every side")
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(set(pads)) > 1:
        raise _refuse(walk, where, f"asymmetric pads {pads}: bptui pads every side alike")
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):
        raise _refuse(walk, where, "dilated: bptui's windows are dense")
    return int(pads[0]) if pads else 0


def _stride(walk: _Walk, attrs: dict, where: str) -> int:
    strides = list(attrs.get("strides", [1, 1]))
    if len(set(strides)) != 1:
        raise _refuse(walk, where, f"strides {strides}: bptui has one stride for both axes")
    return int(strides[0])


def _layer_op(walk: _Walk, node: Any, op: str, x: _Data, args: list, attrs: dict, where: str) -> Any:
    if op == "Gemm":
        if x.layout != "flat":
            raise _refuse(walk, where, f"a Gemm reads a matrix (N, d); here a {x.layout} tensor")
        if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
            raise _refuse(walk, where, "bptui reads a Gemm with transA = 0 and alpha = beta = 1 only")
        B = _weight(walk, args, 1, where, "weight B", 2)
        W = B if attrs.get("transB", 0) else B.T
        lay = _layer(walk, {"units": int(W.shape[0]), "activation": "identity"}, where, x.shape)
        if W.shape[1] != x.shape[0]:
            raise _refuse(walk, where, f"its weight has {W.shape[1]} columns, but it reads {x.shape[0]} numbers")
        b = np.zeros(W.shape[0]) if len(args) < 3 or args[2] is None else _weight(walk, args, 2, where, "bias C")
        if b.size != W.shape[0]:
            raise _refuse(walk, where, f"its bias C has {b.size} numbers, expected {W.shape[0]}")
        lay.params = (W, b.reshape(-1))
        return _Data("flat", (int(W.shape[0]),), len(walk.layers) - 1)
    if op == "MatMul":
        if x.layout not in ("flat", "seq", "seq_bt"):
            raise _refuse(walk, where, f"a MatMul reads (N, d) or a sequence of them; here a {x.layout} tensor")
        B = _weight(walk, args, 1, where, "weight B", 2)
        if B.shape[0] != x.shape[0]:
            raise _refuse(walk, where, f"its weight has {B.shape[0]} rows, but it reads {x.shape[0]} numbers")
        lay = _layer(walk, {"units": int(B.shape[1]), "activation": "identity"}, where, x.shape)
        lay.params = (B.T, np.zeros(B.shape[1]))
        return _Data(x.layout, (int(B.shape[1]),), len(walk.layers) - 1, matmul=True)
    if op == "Conv":
        if x.layout != "map":
            raise _refuse(walk, where, f"a Conv reads a map (N, C, H, W); here a {x.layout} tensor")
        if attrs.get("group", 1) != 1:
            raise _refuse(walk, where, f"grouped (group = {attrs['group']}): bptui's kernels read every channel")
        pad, stride = _pads(walk, attrs, where), _stride(walk, attrs, where)
        K = _weight(walk, args, 1, where, "weight W", 4)
        if K.shape[1] != x.shape[0]:
            raise _refuse(walk, where, f"its kernels read {K.shape[1]} channels, but the map has {x.shape[0]}")
        kh, kw = int(K.shape[2]), int(K.shape[3])
        entry = {"type": "conv2d", "channels": int(K.shape[0]), "kernel": kh if kh == kw else [kh, kw],
                 "stride": stride, "padding": pad, "activation": "identity"}
        lay = _layer(walk, entry, where, x.shape)
        b = np.zeros(K.shape[0]) if len(args) < 3 or args[2] is None else _weight(walk, args, 2, where, "bias B", 1)
        if b.size != K.shape[0]:
            raise _refuse(walk, where, f"its bias has {b.size} numbers, expected {K.shape[0]}")
        lay.params = (K, b)
        return _Data("map", lay.kind.out_shape, len(walk.layers) - 1)
    if op in ("MaxPool", "AveragePool"):
        if x.layout != "map":
            raise _refuse(walk, where, f"pooling reads a map (N, C, H, W); here a {x.layout} tensor")
        if attrs.get("ceil_mode", 0):
            raise _refuse(walk, where, "ceil_mode = 1: bptui's pooling counts windows as floor mode does")
        if _pads(walk, attrs, where):
            raise _refuse(walk, where, "padded: bptui's pooling has no padding")
        if attrs.get("storage_order", 0) or len([n for n in node.output if n]) > 1:
            raise _refuse(walk, where, "bptui reads a MaxPool's values only (no indices)")
        size = list(attrs.get("kernel_shape", []))
        if len(size) != 2 or size[0] != size[1]:
            raise _refuse(walk, where, f"kernel_shape {size}: bptui's pooling windows are square")
        entry = {"type": LAYER_OPS[op], "size": int(size[0]), "stride": _stride(walk, attrs, where)}
        lay = _layer(walk, entry, where, x.shape)
        return _Data("map", lay.kind.out_shape, None)
    if op == "LayerNormalization":
        return _layer_norm(walk, node, x, args, attrs, where)
    return _recurrent(walk, op, x, args, attrs, where)


def _layer_norm(walk: _Walk, node: Any, x: _Data, args: list, attrs: dict, where: str) -> _Data:
    """nn.LayerNorm over the units (the last axis): ``scale`` is γ, ``B`` β, handed to the kind."""
    if x.layout != "flat":
        raise _refuse(walk, where, f"bptui normalises a vector of units (N, d); here a {x.layout} tensor")
    if attrs.get("axis", -1) not in (-1, 1):
        raise _refuse(walk, where, f"axis {attrs['axis']}: bptui normalises over the units only (axis -1)")
    if len([n for n in node.output if n]) > 1:
        raise _refuse(walk, where, "bptui reads a LayerNormalization's Y only (no Mean, no InvStdDev)")
    # ONNX keeps epsilon as float32: the shortest decimal that reads back as it (1e-05, not 9.99999974e-06)
    eps = float(str(np.float32(attrs.get("epsilon", 1e-5))))
    d = x.shape[0]
    gamma = _weight(walk, args, 1, where, "scale", 1)
    beta = np.zeros(d) if len(args) < 3 or args[2] is None else _weight(walk, args, 2, where, "bias B", 1)
    if gamma.size != d or beta.size != d:
        raise _refuse(walk, where, f"its scale and bias have {gamma.size} and {beta.size} numbers, expected {d}")
    lay = _layer(walk, {"type": "layernorm", "eps": eps}, where, x.shape)
    lay.params = (gamma, beta)
    return _Data("flat", x.shape, None)


def _recurrent(walk: _Walk, op: str, x: _Data, args: list, attrs: dict, where: str) -> tuple[_Data, _Data]:
    if x.layout != "seq":
        raise _refuse(walk, where, f"a recurrent op reads a sequence (T, N, d); here a {x.layout} tensor")
    if attrs.get("direction", "forward") != "forward":
        raise _refuse(walk, where, f"direction {_text(attrs['direction'])!r}: bptui's recurrent layers run "
                      "forward only (not bidirectional)")
    for key, why in (("clip", "clipped cell values"), ("activation_alpha", "activations with parameters"),
                     ("activation_beta", "activations with parameters")):
        if key in attrs:
            raise _refuse(walk, where, f"{key}: bptui has no {why}")
    if attrs.get("layout", 0):
        raise _refuse(walk, where, "layout = 1: bptui reads ONNX's default layout (T, N, d)")
    if attrs.get("input_forget", 0):
        raise _refuse(walk, where, "input_forget = 1: bptui's LSTM has separate input and forget gates")
    if op == "GRU" and not attrs.get("linear_before_reset", 0):
        raise _refuse(walk, where, "linear_before_reset = 0: bptui's GRU applies r after U's product, as "
                      "PyTorch's nn.GRU (linear_before_reset = 1)")
    if len(args) > 7 and args[7] is not None:
        raise _refuse(walk, where, "peepholes (input P): bptui's LSTM has none")
    if len(args) > 4 and args[4] is not None:
        raise _refuse(walk, where, "sequence_lens: bptui gives each sequence its own length from the data")
    for i, what in ((5, "initial_h"), (6, "initial_c")):
        if len(args) > i and not _zero(args[i]):
            raise _refuse(walk, where, f"its {what} is not zero: bptui's recurrent layers start from 0")
    acts = list(attrs.get("activations", FIXED_ACTIVATIONS.get(op, ["Tanh"])))
    entry: dict[str, Any] = {"type": LAYER_OPS[op]}
    if op in FIXED_ACTIVATIONS:
        if acts != FIXED_ACTIVATIONS[op]:
            raise _refuse(walk, where, f"activations {acts}: bptui's {op} uses σ and tanh, ONNX's defaults")
    else:
        if len(acts) != 1 or acts[0] not in ACTIVATION_OPS or acts[0] in ("Softmax", "Elu", "LeakyRelu"):
            raise _refuse(walk, where, f"activations {acts}: bptui's rnn takes one of Tanh, Sigmoid, Relu, "
                          "Softplus, Gelu")
        entry["activation"] = ACTIVATION_OPS[acts[0]][0]
    W = _weight(walk, args, 1, where, "W", 3)
    R = _weight(walk, args, 2, where, "R", 3)
    order = ONNX_GATES[op]
    blocks = max(1, len(order))
    h = int(attrs.get("hidden_size") or R.shape[-1])
    rows = blocks * h
    if W.shape != (1, rows, x.shape[0]) or R.shape != (1, rows, h):
        raise _refuse(walk, where, f"W {W.shape} and R {R.shape}, expected (1, {rows}, {x.shape[0]}) and "
                      f"(1, {rows}, {h}) for hidden_size {h}")
    B = np.zeros((1, 2 * rows)) if len(args) < 4 or args[3] is None else _weight(walk, args, 3, where, "B", 2)
    if B.shape != (1, 2 * rows):
        raise _refuse(walk, where, f"B {B.shape}, expected (1, {2 * rows})")
    entry["units"] = h
    lay = _layer(walk, entry, where, x.shape)

    def reorder(m: np.ndarray) -> np.ndarray:
        if not order:
            return m
        parts = np.split(m, blocks, axis=0)
        return np.concatenate([parts[order.index(g)] for g in lay.kind.gate_order], axis=0)

    lay.params = (reorder(W[0]), reorder(B[0, :rows]), reorder(R[0]), reorder(B[0, rows:]))
    l = len(walk.layers) - 1
    return _Data("Y", (h,), recurrent=l), _Data("Y_h", (h,))


# -- the data -------------------------------------------------------------------------------------------
def read_npz(path: str, sequences: bool) -> tuple[list, list]:
    """(inputs, targets) of ``x`` and ``y`` in an .npz (never unpickled: object arrays are refused).
    Sequences are padded, (N, T, d), with ``lengths`` (N) giving each one's T (default: all T)."""
    raw = read_bytes(path, MAX_CSV_FILE_BYTES, "data file")
    arrays = npz_arrays(raw, MAX_CSV_FILE_BYTES, path)
    for key in ("x", "y"):
        if key not in arrays:
            raise SpecError(f"no array {key!r} (an .npz with x, y and, for sequences, lengths)", source=path)
    extra = set(arrays) - NPZ_KEYS
    if extra:
        raise SpecError(f"unknown arrays {sorted(map(_text, extra))}: an .npz holds x, y and lengths",
                        source=path)
    for key, a in arrays.items():
        if a.dtype.kind not in "biuf":
            raise SpecError(f"{key}: {a.dtype.name}, not numbers", source=path)
    x, y = arrays["x"].astype(float), arrays["y"].astype(float)
    if len(x) != len(y):
        raise SpecError(f"x has {len(x)} examples, y {len(y)}", source=path)
    if y.ndim == 1:
        y = y[:, None]
    if not sequences:
        if "lengths" in arrays:
            raise SpecError("lengths: the model reads no sequences", source=path)
        return x.tolist(), y.tolist()
    if x.ndim != 3:
        raise SpecError(f"x: {x.ndim} axes; sequences are padded to (N, T, d), with lengths", source=path)
    T = x.shape[1]
    lengths = arrays.get("lengths", np.full(len(x), T))
    if lengths.shape != (len(x),) or lengths.dtype.kind not in "iu" or (lengths < 1).any() or (lengths > T).any():
        raise SpecError(f"lengths: expected {len(x)} whole numbers from 1 to {T}", source=path)
    inputs = [x[i, :n].tolist() for i, n in enumerate(lengths)]
    targets = [y[i, :n].tolist() for i, n in enumerate(lengths)] if y.ndim == 3 else y.tolist()
    return inputs, targets


def to_network(model_path: str, data: str, loss: str = "squared", targets: list[str] | None = None,
               out: str = "-") -> dict:
    """The network file (a dict) of the ONNX model in ``model_path`` with the data in ``data`` (an .npz,
    or a CSV with ``targets``), to be written to ``out`` ("-": standard output, the CSV named from the
    current folder); read back by bptui's reader before it is returned."""
    out_dir = os.path.dirname(out) or "."
    model = load_onnx(model_path)
    layers, weights, made = build(model, model_path)
    sequences = "shape" not in layers[0] and any(lay.kind.over_time for lay in made)
    notes = []
    top = layers[-1]
    if loss == "cross_entropy" and top.get("activation", "identity") == "identity" and made[-1].kind.takes_activation:
        top["activation"] = "softmax" if made[-1].kind.out_size > 1 else "sigmoid"
        notes.append(f"The model's output layer has no activation; with the cross-entropy loss it gets "
                     f"{top['activation']} here (PyTorch's {'CrossEntropyLoss' if top['activation'] == 'softmax' else 'BCEWithLogitsLoss'} "
                     "on the model's outputs).")
    name = _text(Path(model_path).stem, 80) or "model"
    doc: dict[str, Any] = {
        "name": name,
        "description": " ".join([f"Imported from the ONNX model {_text(Path(model_path).name, 80)} by bptui import: "
                                 f"{len(made)} layers, training settings the file format's defaults."] + notes),
        "layers": layers, "weights": weights, "loss": loss}
    if Path(data).suffix.lower() == ".csv":
        if not targets:
            raise SpecError("a CSV needs --targets COL,… (the target columns)", source=data)
        if sequences:
            raise SpecError("a CSV holds no sequences: give an .npz with x, y and lengths", source=data)
        doc["data"] = {"csv": os.path.relpath(os.path.abspath(data), os.path.abspath(out_dir)), "targets": targets}
    else:
        if targets:
            raise SpecError("--targets names a CSV's columns; an .npz has x and y", source=data)
        inputs, ys = read_npz(data, sequences)
        doc["data"] = {"inputs": inputs, "targets": ys}
    check(doc, out, model_path, made, data)
    return doc


def check(doc: dict, out: str, model_path: str, made: list[_Layer], data: str) -> None:
    """Read ``doc`` back as bptui reads a network file (as the file ``out``): an error about its data is the
    data file's, any other the model's; one about layers[l] or weights[l − 1] names the node that made the
    layer (or its activation)."""
    try:
        parse(doc, out)
    except SpecError as err:
        place = err.place
        found = re.match(r"(?:layers|weights)\[(\d+)\]", place)
        # layers[l] is made by made[l − 1] (layers[0] is the input), weights[i] by made[i]
        index = None if found is None else int(found.group(1)) - place.startswith("layers")
        where = ""
        if index is not None and 0 <= index < len(made):
            lay = made[index]
            where = f"{lay.act_node if place.endswith('.activation') and lay.act_node else lay.node}: "
        if place.startswith("data"):
            raise SpecError(f"does not fit the model: {place.replace('data.', '', 1)}: {err.message}",
                            source=data) from None
        raise SpecError(f"{where}the network it makes cannot be read: {place + ': ' if place else ''}{err.message}",
                        source=model_path) from None


__all__ = ["build", "check", "load_onnx", "read_npz", "to_network", "LAYER_OPS", "ACTIVATION_OPS"]

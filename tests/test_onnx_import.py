"""``bptui import MODEL.onnx`` (issue 25, item 2; docs/import.md).

Round trip: random small float64 PyTorch models (dense, convolution + pooling + flatten + dense, rnn,
lstm, gru; seeded) exported by ``torch.onnx.export(…, dynamo=False)``, imported, read by bptui's reader,
and ℓ_D and G of one full batch equal to PyTorch's own (its autograd on its own modules, one example at
a time, parameters mapped as docs/gated.md says) to 1e-9. Refusals: each unsupported attribute or op
one error line naming the node and its op. Hostile files by class: seeded mutations of valid ONNX bytes
(truncated, bytes flipped, bytes inserted), random bytes, pickles, huge dims, external data, cycles,
branches, unknown ops: one ``error:`` line naming the file, status 2, never a traceback. The command's
file read back by the reader; the data file's classes (.npz, CSV, object arrays). Skips where onnx or
torch cannot be imported."""

from __future__ import annotations

import io
import pickle
import sys

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.engine.network import Network
from bptui.core.formats.spec import load, parse

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
nn = torch.nn

ACTS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU, "softplus": nn.Softplus, "gelu": nn.GELU,
        "elu": lambda: nn.ELU(alpha=0.7), "leaky_relu": lambda: nn.LeakyReLU(0.2)}


def export(model, x) -> bytes:
    f = io.BytesIO()
    with _quiet():
        torch.onnx.export(model, (x,), f, dynamo=False)
    return f.getvalue()


class _quiet:
    """The legacy exporter's DeprecationWarning and its batch-size UserWarning, kept out of the output."""

    def __enter__(self):
        import warnings
        self.cm = warnings.catch_warnings()
        self.cm.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc)


def run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def imported(tmp_path, data: bytes, x, y, loss="squared", lengths=None):
    """The spec that ``bptui import`` writes for the model ``data`` and examples x, y."""
    model, npz, net = tmp_path / "m.onnx", tmp_path / "d.npz", tmp_path / "net.json"
    model.write_bytes(data)
    arrays = {"x": x, "y": y} | ({"lengths": lengths} if lengths is not None else {})
    np.savez(npz, **arrays)
    assert main(["import", str(model), "--data", str(npz), "--loss", loss, "--output", str(net)]) == 0
    return load(net)


def torch_loss(out, y, loss):
    if loss == "squared":
        return ((out - y) ** 2).sum()
    if loss == "half_squared":
        return 0.5 * ((out - y) ** 2).sum()
    if out.shape[-1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(out, y, reduction="sum")
    return -(y * torch.log_softmax(out, -1)).sum()


def targets(rng, n, k, loss):
    if loss != "cross_entropy":
        return rng.normal(size=(n, k))
    if k == 1:
        return rng.integers(0, 2, size=(n, 1)).astype(float)
    return np.eye(k)[rng.integers(0, k, size=n)]


def expected_G(modules):
    """PyTorch's gradients in bptui's stored layout, module by module (docs/gated.md's mapping)."""
    out = []
    for m in modules:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            out.append(np.concatenate([m.bias.grad.numpy()[:, None], m.weight.grad.numpy().reshape(len(m.weight), -1)], 1))
        elif isinstance(m, nn.GRU):
            out.append(np.concatenate([m.bias_ih_l0.grad.numpy()[:, None], m.weight_ih_l0.grad.numpy(),
                                       m.bias_hh_l0.grad.numpy()[:, None], m.weight_hh_l0.grad.numpy()], 1))
        elif isinstance(m, (nn.RNN, nn.LSTM)):
            assert np.allclose(m.bias_ih_l0.grad.numpy(), m.bias_hh_l0.grad.numpy())
            out.append(np.concatenate([m.bias_ih_l0.grad.numpy()[:, None], m.weight_ih_l0.grad.numpy(),
                                       m.weight_hh_l0.grad.numpy()], 1))
        elif isinstance(m, nn.LayerNorm):  # bptui's [β | γ]
            out.append(np.stack([m.bias.grad.numpy(), m.weight.grad.numpy()], 1))
        else:
            out.append(None)
    return out


def compare(spec, ref_loss, modules):
    loss, G = Network(spec).gradient([np.array(w) for w in spec.weights], spec.inputs, spec.targets, spec.lengths)
    assert loss == pytest.approx(float(ref_loss), rel=1e-9, abs=1e-12)
    for g, e in zip(G, expected_G(modules)):
        if e is not None:
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


LOSSES = ("squared", "half_squared", "cross_entropy")


@pytest.mark.parametrize("seed", range(len(ACTS)))
def test_dense_round_trip(tmp_path, seed):
    """Each activation once (as the seed picks it), with the three losses in turn."""
    rng = np.random.default_rng([25, 1, seed])
    torch.manual_seed(seed)
    d, h, k, n = (int(v) for v in rng.integers(1, 5, size=4))
    act = list(ACTS)[seed]
    loss = LOSSES[seed % 3]
    model = nn.Sequential(nn.Linear(d, h), ACTS[act](), nn.Linear(h, k)).double()
    x, y = rng.normal(size=(n, d)), targets(rng, n, k, loss)
    spec = imported(tmp_path, export(model, torch.zeros(1, d, dtype=torch.float64)), x, y, loss)
    assert spec.raw["layers"][1]["activation"] == act
    ref = torch_loss(model(torch.tensor(x)), torch.tensor(y), loss)
    ref.backward()
    compare(spec, ref.item(), [model[0], model[2]])


@pytest.mark.parametrize("seed", range(3))
def test_conv_pool_flatten_dense_round_trip(tmp_path, seed):
    rng = np.random.default_rng([25, 2, seed])
    torch.manual_seed(seed)
    C, K, k, pad, stride = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(2, 4)), \
        int(rng.integers(0, 2)), int(rng.integers(1, 3))
    size = int(rng.integers(6, 9))
    pool = nn.MaxPool2d(2) if seed % 2 == 0 else nn.AvgPool2d(2)
    act = str(rng.choice(list(ACTS)))
    body = nn.Sequential(nn.Conv2d(C, K, k, stride=stride, padding=pad), ACTS[act](), pool, nn.Flatten()).double()
    flat = body(torch.zeros(1, C, size, size, dtype=torch.float64)).shape[1]
    model = nn.Sequential(*body, nn.Linear(flat, 2)).double()
    x, y = rng.normal(size=(3, C, size, size)), rng.normal(size=(3, 2))
    spec = imported(tmp_path, export(model, torch.zeros(1, C, size, size, dtype=torch.float64)), x, y)
    assert spec.raw["layers"][1]["activation"] == act
    ref = torch_loss(model(torch.tensor(x)), torch.tensor(y), "squared")
    ref.backward()
    compare(spec, ref.item(), [model[0], None, model[4]])


class Seq(nn.Module):
    """A recurrent layer (its last state h_T, or every h_τ) under a dense output layer."""

    def __init__(self, cell, d, h, k, batch_first, every, **kw):
        super().__init__()
        self.r = cell(d, h, batch_first=batch_first, **kw)
        self.out = nn.Linear(h, k)
        self.batch_first, self.every = batch_first, every

    def forward(self, x):
        y, state = self.r(x)
        if self.every:
            return self.out(y)
        hT = state[0] if isinstance(state, tuple) else state
        return self.out(hT[-1])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seed", range(2))
def test_recurrent_round_trip(tmp_path, cell, seed):
    rng = np.random.default_rng([25, 3, seed, len(cell)])
    torch.manual_seed(seed)
    d, h, k = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    batch_first, every = bool(seed % 2), bool(rng.integers(0, 2))
    kw = {"nonlinearity": str(rng.choice(["tanh", "relu"]))} if cell == "rnn" else {}
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
    model = Seq(module, d, h, k, batch_first, every, **kw).double()
    with torch.no_grad():  # biases large enough that a wrong gate order shows
        for p in model.parameters():
            p.uniform_(-1, 1)
    n, T = 4, 5
    x = rng.normal(size=(n, T, d))
    lengths = np.array([5, 3, 1, 4]) if not every else np.full(n, T)
    y = rng.normal(size=(n, T, k) if every else (n, k))
    probe = torch.zeros((1, T, d) if batch_first else (T, 1, d), dtype=torch.float64)
    spec = imported(tmp_path, export(model, probe), x, y, lengths=lengths)
    assert spec.raw["layers"][1]["type"] == cell
    assert spec.raw["layers"][1].get("return_sequences", False) is every
    total = 0
    for i, T_i in enumerate(lengths):
        xi = torch.tensor(x[i, :T_i])[None] if batch_first else torch.tensor(x[i, :T_i])[:, None]
        out = model(xi)
        if every:
            out = out[0] if batch_first else out[:, 0]
            total = total + torch_loss(out, torch.tensor(y[i, :T_i]), "squared")
        else:
            total = total + torch_loss(out[0], torch.tensor(y[i]), "squared")
    total.backward()
    compare(spec, total.item(), [model.r, model.out])


class Stacked(nn.Module):
    """A GRU handing every h_τ to an LSTM (two one-layer modules), its h_T under a dense layer."""

    def __init__(self):
        super().__init__()
        self.g, self.l, self.out = nn.GRU(2, 3), nn.LSTM(3, 2), nn.Linear(2, 2)

    def forward(self, x):
        y, _ = self.g(x)
        _, (h, _) = self.l(y)
        return self.out(h[-1])


def test_stacked_gru_under_lstm_round_trip(tmp_path):
    rng = np.random.default_rng([25, 4])
    torch.manual_seed(4)
    model = Stacked().double()
    x, y, lengths = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2)), np.array([4, 2, 3])
    spec = imported(tmp_path, export(model, torch.zeros(4, 1, 2, dtype=torch.float64)), x, y, lengths=lengths)
    assert [(layer.get("type"), layer.get("return_sequences")) for layer in spec.raw["layers"][1:]] == \
        [("gru", True), ("lstm", None), (None, None)]
    total = sum(torch_loss(model(torch.tensor(x[i, :T])[:, None])[0], torch.tensor(y[i]), "squared")
                for i, T in enumerate(lengths))
    total.backward()
    compare(spec, total.item(), [model.g, model.l, model.out])


# -- the written file and the data -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlp_bytes():
    torch.manual_seed(0)
    return export(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double(), torch.zeros(1, 3, dtype=torch.float64))


@pytest.fixture(scope="module")
def gru_bytes():
    torch.manual_seed(0)
    return export(Seq(nn.GRU, 2, 3, 1, False, False).double(), torch.zeros(4, 1, 2, dtype=torch.float64))


def test_cross_entropy_adds_softmax_and_says_so(tmp_path, mlp_bytes, capsys):
    (tmp_path / "m.onnx").write_bytes(mlp_bytes)
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.eye(2))
    code, out, err = run(["import", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "d.npz"),
                          "--loss", "cross_entropy"], capsys)
    assert code == 0 and err == ""
    import json
    doc = json.loads(out)
    assert doc["layers"][-1]["activation"] == "softmax" and doc["loss"] == "cross_entropy"
    assert "gets softmax" in doc["description"] and "CrossEntropyLoss" in doc["description"]
    assert parse(doc, str(tmp_path / "x.json")).raw == doc  # standard output is a network file too


def test_csv_data_is_named_relative_to_the_output(tmp_path, mlp_bytes, capsys):
    (tmp_path / "m.onnx").write_bytes(mlp_bytes)
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "data" / "t.csv").write_text("a,b,c,p,q\n1,2,3,0,1\n4,5,6,1,0\n", encoding="utf-8")
    code, _, err = run(["import", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "data" / "t.csv"),
                        "--targets", "p,q", "--output", str(tmp_path / "out" / "n.json")], capsys)
    assert code == 0, err
    spec = load(tmp_path / "out" / "n.json")
    assert spec.raw["data"]["csv"] == "../data/t.csv"
    np.testing.assert_array_equal(spec.targets, [[0, 1], [1, 0]])


@pytest.mark.parametrize("case, message", [
    ("object", "not a NumPy .npz of numbers"),  # needs pickle: refused, never unpickled
    ("no_y", "no array 'y'"),
    ("extra", "unknown arrays"),
    ("lengths", "lengths: expected"),
    ("strings", "not numbers"),
    ("flat_sequences", "x: 2 axes"),
    ("width", "does not fit the model: inputs[0][0]: 5 values, expected 2"),
    ("bomb", "unpack into"),  # 300 MB of zeros, compressed to a few hundred kB
    ("not_zip", "not a zip archive"),
    ("nan", "does not fit the model: inputs[1][2][0]: NaN is not a finite number"),
])
def test_bad_data_files(tmp_path, gru_bytes, capsys, case, message):
    (tmp_path / "m.onnx").write_bytes(gru_bytes)
    path = tmp_path / "d.npz"
    x, y = np.zeros((2, 3, 2)), np.zeros((2, 1))
    arrays = {"object": {"x": np.array([np.zeros((2, 2)), np.zeros((3, 2))], dtype=object), "y": y},
              "no_y": {"x": x}, "extra": {"x": x, "y": y, "z": y},
              "lengths": {"x": x, "y": y, "lengths": np.array([0, 4])},
              "strings": {"x": np.array([["a"]]), "y": y}, "flat_sequences": {"x": np.zeros((2, 2)), "y": y},
              "width": {"x": np.zeros((2, 3, 5)), "y": y}, "bomb": {}, "not_zip": {},
              "nan": {"x": np.where(np.arange(12).reshape(2, 3, 2) == 10, np.nan, 0.0), "y": y}}[case]
    if case == "bomb":
        import zipfile
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open("x.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (2, 3, 12_500_000)})
            block = bytes(1 << 20)
            for _ in range(300):
                fh.write(block)
    elif case == "not_zip":
        path.write_bytes(b"x,y\n1,2\n")
    else:
        np.savez(path, **arrays)
    code, out, err = run(["import", str(tmp_path / "m.onnx"), "--data", str(path)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ") and message in err, err


def test_data_is_required(tmp_path, mlp_bytes, capsys):
    (tmp_path / "m.onnx").write_bytes(mlp_bytes)
    code, _, err = run(["import", str(tmp_path / "m.onnx")], capsys)
    assert code == 2 and err.startswith("error:") and "--data" in err and err.count("\n") == 1


def test_without_onnx_one_line(tmp_path, mlp_bytes, capsys, monkeypatch):
    (tmp_path / "m.onnx").write_bytes(mlp_bytes)
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 2)))
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    code, _, err = run(["import", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "d.npz")], capsys)
    assert code == 2 and err == f"error: {tmp_path / 'm.onnx'}: bptui import needs the onnx package: pip install 'bptui[onnx]'\n"


# -- refusals: one line naming the node and its op ---------------------------------------------------------
def _edit(data: bytes, op: str, change) -> tuple[bytes, str]:
    """The model with ``change`` made to its first node of ``op``, and that node as the error names it."""
    model = onnx.load_from_string(data)
    i, node = next((i, n) for i, n in enumerate(model.graph.node) if n.op_type == op)
    change(model, node)
    return model.SerializeToString(), f"node {i} {node.name!r} ({node.op_type})"


def _set(**attrs):
    def change(model, node):
        keep = [a for a in node.attribute if a.name not in attrs]
        del node.attribute[:]
        node.attribute.extend(keep + [onnx.helper.make_attribute(k, v) for k, v in attrs.items()])
    return change


def _peephole(model, node):
    h = next(a.i for a in node.attribute if a.name == "hidden_size")
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.zeros((1, 3 * h)), "P"))
    while len(node.input) < 7:
        node.input.append("")
    node.input.append("P")


def _mean_out(model, node):
    node.output.append("mean")  # LayerNormalization's Mean, read by the graph
    model.graph.output.append(onnx.helper.make_tensor_value_info("mean", onnx.TensorProto.DOUBLE, None))


def _replace_op(new):
    def change(model, node):
        node.op_type = new
    return change


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 1)).double()
    return {"GRU": export(Seq(nn.GRU, 2, 3, 1, False, False).double(), torch.zeros(4, 1, 2, dtype=torch.float64)),
            "LSTM": export(Seq(nn.LSTM, 2, 3, 1, False, False).double(), torch.zeros(4, 1, 2, dtype=torch.float64)),
            "Conv": export(conv, torch.zeros(1, 2, 6, 6, dtype=torch.float64)),
            "Gemm": export(nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)).double(),
                           torch.zeros(1, 3, dtype=torch.float64)),
            "LN": export(nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2), nn.Linear(2, 1)).double(),
                         torch.zeros(1, 3, dtype=torch.float64))}


REFUSALS = [
    ("GRU", "GRU", _set(linear_before_reset=0), "linear_before_reset = 0"),
    ("LSTM", "LSTM", _peephole, "peepholes"),
    ("LSTM", "LSTM", _set(input_forget=1), "input_forget"),
    ("LSTM", "LSTM", _set(activations=["Sigmoid", "Relu", "Tanh"]), "activations"),
    ("GRU", "GRU", _set(direction="bidirectional"), "bidirectional"),
    ("Conv", "Conv", _set(group=2), "grouped"),
    ("Conv", "Conv", _set(dilations=[2, 2]), "dilated"),
    ("Conv", "Conv", _set(pads=[0, 1, 0, 1]), "asymmetric pads"),
    ("Conv", "MaxPool", _set(ceil_mode=1), "ceil_mode"),
    ("Gemm", "Tanh", _replace_op("HardSigmoid"), "cannot step"),
    ("LN", "LayerNormalization", _set(axis=0), "axis 0"),
    ("LN", "LayerNormalization", _mean_out, "Y only"),
    ("Gemm", "Tanh", _replace_op("Sin"), "cannot step"),
    ("Gemm", "Gemm", _set(alpha=2.0), "alpha = beta = 1"),
]


@pytest.mark.parametrize("model, op, change, message", REFUSALS, ids=[r[3] for r in REFUSALS])
def test_refused_with_the_node_and_its_op(tmp_path, models, capsys, model, op, change, message):
    data, named = _edit(models[model], op, change)
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 1)))
    code, out, err = run(["import", str(path), "--data", str(tmp_path / "d.npz")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"error: {path}: {named}: ") and message in err, err


# -- hostile files, by class ------------------------------------------------------------------------------
def _external(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    t = model.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = onnx.TensorProto.EXTERNAL
    t.external_data.add(key="location", value="/etc/passwd")
    return model.SerializeToString()


def _huge(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    t = model.graph.initializer[0]
    t.ClearField("raw_data")
    del t.dims[:]
    t.dims.extend([100_000, 100_000])
    return model.SerializeToString()


def _cycle(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    return model.SerializeToString()


def _branch(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    first = model.graph.node[0]
    model.graph.node.append(onnx.helper.make_node("Relu", [first.output[0]], ["extra"], name="side"))
    model.graph.output.append(onnx.helper.make_tensor_value_info("extra", onnx.TensorProto.DOUBLE, None))
    return model.SerializeToString()


def _renamed(data: bytes) -> bytes:
    model = onnx.load_from_string(data)
    model.graph.node[1].output[0] = model.graph.node[0].output[0]  # the Tanh writes over the Gemm's output
    return model.SerializeToString()


STRUCTURAL = {
    "a value made twice": (_renamed, "a second time"),
    "external data": (_external, "external file"),
    "huge dims": (_huge, "at most 5,000,000"),
    "cycle": (_cycle, "no earlier node makes"),
    "branch": (_branch, "read by 2 nodes"),
    "pickle": (lambda d: pickle.dumps({"state_dict": [1.0, 2.0]}, protocol=2), "never unpickles"),
    "empty": (lambda d: b"", "not an ONNX model"),
}


@pytest.mark.parametrize("case", STRUCTURAL)
def test_hostile_structure(tmp_path, models, capsys, case):
    make, message = STRUCTURAL[case]
    path = tmp_path / "m.onnx"
    path.write_bytes(make(models["Gemm"]))
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 1)))
    code, out, err = run(["import", str(path), "--data", str(tmp_path / "d.npz")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith(f"error: {path}: ")
    assert message in err, err


def _mutations(data: bytes, rng) -> bytes:
    how = rng.integers(0, 4)
    b = bytearray(data)
    if how == 0:  # truncated
        return bytes(b[:rng.integers(0, len(b))])
    if how == 1:  # bytes flipped
        for i in rng.integers(0, len(b), size=rng.integers(1, 8)):
            b[i] = int(rng.integers(0, 256))
        return bytes(b)
    if how == 2:  # bytes inserted
        i = int(rng.integers(0, len(b)))
        return bytes(b[:i] + rng.bytes(int(rng.integers(1, 16))) + b[i:])
    return rng.bytes(int(rng.integers(0, 400)))  # random bytes


@pytest.mark.parametrize("model", ["Gemm", "Conv", "LSTM", "GRU"])
def test_mutated_models_one_line_or_a_network(tmp_path, models, capsys, model):
    """Seeded mutations of valid models: status 0 and a network bptui reads, or one error line naming the
    file with status 2; never a traceback."""
    rng = np.random.default_rng([25, 9, len(model)])
    path = tmp_path / "m.onnx"
    npz = tmp_path / "d.npz"
    sequences = model in ("LSTM", "GRU")
    np.savez(npz, x=np.zeros((2, 4, 2)) if sequences else np.zeros((2, 2, 6, 6)) if model == "Conv" else np.zeros((2, 3)),
             y=np.zeros((2, 1)))
    outcomes = {0: 0, 2: 0}
    for _ in range(40):
        path.write_bytes(_mutations(models[model], rng))
        code, out, err = run(["import", str(path), "--data", str(npz)], capsys)
        assert code in (0, 2), err
        outcomes[code] += 1
        if code == 2:
            assert err.count("\n") == 1 and err.startswith(f"error: {path}: ") and out == "", err
        else:
            import json
            parse(json.loads(out), str(tmp_path / "x.json"))
    assert outcomes[2] > 0


def test_too_big_and_not_regular(tmp_path, capsys):
    """The model is read as network files are: a regular file of at most 64 MiB."""
    big = tmp_path / "big.onnx"
    with open(big, "wb") as fh:
        fh.truncate(64 * 2**20 + 1)  # sparse: no disk used
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 1)))
    for path, message in ((big, "64 MiB is too big for a model file (at most 64 MiB)"),
                          (tmp_path, "is a directory, not a model file")):
        code, _, err = run(["import", str(path), "--data", str(tmp_path / "d.npz")], capsys)
        assert code == 2 and err == f"error: {path}: {message}\n"


def test_the_bundled_xor_model_is_xor(tmp_path, capsys):
    """tests/golden/xor.onnx (scripts/xor_onnx.py: networks/xor.json exported by PyTorch) imports as xor's
    layers, weights and data, and its first epoch is xor's, step for step."""
    import json
    from pathlib import Path

    golden = Path(__file__).parent / "golden"
    out = tmp_path / "xor.json"
    code, _, err = run(["import", str(golden / "xor.onnx"), "--data", str(golden / "xor.npz"), "--output", str(out)],
                       capsys)
    assert code == 0 and err == ""
    ours, xor = json.loads(out.read_text(encoding="utf-8")), json.loads(
        (Path(__file__).parent.parent / "networks" / "xor.json").read_text(encoding="utf-8"))
    for key in ("layers", "weights", "data", "loss"):
        assert ours[key] == xor[key]
    ours["training"] = xor["training"]
    out.write_text(json.dumps(ours), encoding="utf-8")
    assert run(["trace", str(out), "--format", "json"], capsys)[1] == run(["trace", "xor", "--format", "json"], capsys)[1]


def test_what_the_reader_refuses_names_the_node(tmp_path, models, capsys):
    """A softmax on a hidden layer passes the importer and not the reader: the line names the node."""
    data, named = _edit(models["Gemm"], "Tanh", _replace_op("Softmax"))
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 1)))
    code, out, err = run(["import", str(path), "--data", str(tmp_path / "d.npz")], capsys)
    assert code == 2 and out == ""
    assert err == (f"error: {path}: {named}: the network it makes cannot be "
                   "read: layers[1].activation: softmax is for the output layer only\n")


def test_the_limits_are_the_manuals():
    from pathlib import Path

    from bptui import onnx_import

    page = (Path(__file__).parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    for value in (onnx_import.MAX_TENSOR, onnx_import.MAX_NODES):
        assert f"{value:,}" in page
    assert "64 MiB" in page and onnx_import.MAX_NETWORK_FILE_BYTES == 64 * 2**20


def test_the_output_never_replaces_the_model_or_the_data(tmp_path, mlp_bytes, capsys):
    (tmp_path / "m.onnx").write_bytes(mlp_bytes)
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)), y=np.zeros((2, 2)))
    for target in ("m.onnx", "d.npz"):
        code, _, err = run(["import", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "d.npz"),
                            "--output", str(tmp_path / "." / target)], capsys)
        assert code == 2 and err.startswith("error:") and err.count("\n") == 1, err
    assert (tmp_path / "m.onnx").read_bytes() == mlp_bytes


@pytest.mark.parametrize("seed", range(3))
def test_layer_norm_round_trip(tmp_path, seed):
    """nn.LayerNorm in a small MLP (γ and β drawn, ε as the seed picks it) as ONNX's LayerNormalization:
    read as a layernorm layer, γ and β in bptui's [β | γ], ε as written, ℓ and G equal to PyTorch's."""
    rng = np.random.default_rng([25, 4, seed])
    torch.manual_seed(seed)
    d, h, k, n = (int(v) for v in rng.integers(2, 5, size=4))
    eps = [1e-5, 0.1, 1e-3][seed]
    loss = LOSSES[seed % 3]
    norm = nn.LayerNorm(h, eps=eps)
    model = nn.Sequential(nn.Linear(d, h), nn.Tanh(), norm, nn.Linear(h, k)).double()
    with torch.no_grad():
        norm.weight.copy_(torch.tensor(rng.normal(1, 0.3, size=h)))
        norm.bias.copy_(torch.tensor(rng.normal(0, 0.3, size=h)))
    x, y = rng.normal(size=(n, d)), targets(rng, n, k, loss)
    spec = imported(tmp_path, export(model, torch.zeros(1, d, dtype=torch.float64)), x, y, loss)
    assert spec.raw["layers"][2] == {"type": "layernorm", "eps": eps}
    assert spec.raw["weights"][1] == {"gamma": norm.weight.tolist(), "beta": norm.bias.tolist()}
    ref = torch_loss(model(torch.tensor(x)), torch.tensor(y), loss)
    ref.backward()
    compare(spec, ref.item(), [model[0], model[2], model[3]])

"""The settings screen's core (bptui/core/formats/settings.py): choices → a checked document, a spec and
weights; kept positions by hand, per-layer seeding, the same errors as a file, the round trip."""

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from bptui.core.formats import settings as S
from bptui.core.ops.activations import ACTIVATIONS
from bptui.core.formats.data import IMAGE_GENERATORS, POINT_GENERATORS
from bptui.core.util.errors import SpecError
from bptui.core.util.jsonfmt import network_text
from bptui.core.ops.losses import LOSSES
from bptui.core.formulas.notation import num
from bptui.core.ops.optim import OPTIMIZERS
from bptui.core.formats.spec import load, parse
from bptui.core.engine.stepper import Stepper
from bptui.core.util.validate import loads

from .conftest import EXAMPLES, NETWORKS, V2_EXAMPLES


def xor():
    return load(NETWORKS / "xor.json")


def with_layers(choices, *layers):
    return replace(choices, layers=tuple(layers))


def file_error(doc) -> SpecError:
    with pytest.raises(SpecError) as err:
        parse(doc, "x.json")
    return err.value


def settings_error(spec, choices) -> SpecError:
    with pytest.raises(SpecError) as err:
        S.apply(spec, spec.weights, choices)
    return err.value


def test_the_options_are_the_cores_tables():
    assert S.ACTIVATION_NAMES == tuple(ACTIVATIONS)
    assert S.LOSS_NAMES == tuple(LOSSES)
    assert S.OPTIMIZER_NAMES == OPTIMIZERS
    assert S.generator_names(xor()) == POINT_GENERATORS
    assert S.generator_names(load(NETWORKS / "edges.json")) == IMAGE_GENERATORS


def test_unchanged_settings_give_the_same_network():
    spec = xor()
    applied = S.apply(spec, spec.weights, S.current(spec))
    assert applied.changes == ()
    assert applied.message().startswith("Settings applied (nothing changed)")
    for a, b in zip(applied.spec.weights, spec.weights):
        assert np.array_equal(a, b)
    assert applied.spec.learning_rate == 0.5 and applied.spec.activations == ("tanh", "sigmoid")


def test_a_wider_hidden_layer_keeps_the_common_positions_and_draws_the_rest_per_layer():
    spec, c = xor(), S.current(xor())
    on_screen = [np.array([[0.1, 0.5, -0.4], [-0.2, 0.3, 0.6]]), np.array([[0.05, 0.7, -0.6]])]
    a = S.apply(spec, on_screen, with_layers(c, replace(c.layers[0], units=3), c.layers[1]))
    W1, W2 = a.spec.weights
    assert W1.shape == (3, 3) and W2.shape == (1, 4)
    # rows 1, 2 of W⁽¹⁾ (every column) and columns 0..2 of W⁽²⁾ are the old weights, by hand
    assert W1[:2].tolist() == [[0.1, 0.5, -0.4], [-0.2, 0.3, 0.6]]
    assert W2[0, :3].tolist() == [0.05, 0.7, -0.6]
    # the new row and column: uniform in [−0.5, 0.5] from default_rng([0, l]) at their positions
    assert W1[2].tolist() == np.random.default_rng([0, 1]).uniform(-0.5, 0.5, size=(3, 3))[2].tolist()
    assert W2[0, 3] == np.random.default_rng([0, 2]).uniform(-0.5, 0.5, size=(1, 4))[0, 3]
    assert a.kept == ((2, 3), (1, 3))
    texts = [r.text() for r in a.resized]
    assert texts == ["W⁽¹⁾ 3×3 (was 2×3): kept w_b,a for b ≤ 2, a ≤ 2 (6 weights); drew 3 from U(−0.5, 0.5), "
                     "default_rng([0, 1])",
                     "W⁽²⁾ 1×4 (was 1×3): kept w_b,a for b ≤ 1, a ≤ 2 (3 weights); drew 1 from U(−0.5, 0.5), "
                     "default_rng([0, 2])"]
    assert "layers 2-2-1 → 2-3-1" in a.changes and texts[0] in a.message()


def test_a_narrower_layer_keeps_the_first_rows_and_columns():
    spec = parse({"layers": [{"units": 2}, {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"}],
                  "init": {"seed": 1}, "data": {"inputs": [[0, 1]], "targets": [[1, 0]]}}, "n.json")
    c = S.current(spec)
    a = S.apply(spec, spec.weights, with_layers(c, replace(c.layers[0], units=1), c.layers[1]))
    W1, W2 = a.spec.weights
    assert np.array_equal(W1, spec.weights[0][:1]) and np.array_equal(W2, spec.weights[1][:, :2])
    assert [r.text() for r in a.resized] == ["W⁽¹⁾ 1×3 (was 3×3): kept w_b,a for b ≤ 1, a ≤ 2 (3 weights), dropped 6",
                                             "W⁽²⁾ 2×2 (was 2×4): kept w_b,a for b ≤ 2, a ≤ 1 (4 weights), dropped 4"]


def test_changing_layer_2_leaves_the_draws_of_layer_1_alone():
    spec = parse({"layers": [{"units": 2}, {"units": 2, "activation": "tanh"}, {"units": 2, "activation": "tanh"},
                             {"units": 1, "activation": "sigmoid"}],
                  "data": {"inputs": [[0, 1]], "targets": [[1]]}}, "d.json")
    c = S.current(spec)
    l1, l2, l3 = c.layers
    only_1 = S.apply(spec, spec.weights, with_layers(c, replace(l1, units=4), l2, l3)).spec.weights
    both = S.apply(spec, spec.weights, with_layers(c, replace(l1, units=4), replace(l2, units=5), l3)).spec.weights
    assert np.array_equal(only_1[0], both[0])  # W⁽¹⁾'s new rows are the same draws
    assert both[1].shape == (5, 5) and both[2].shape == (1, 6)
    assert np.array_equal(both[1][:2, :3], spec.weights[1])  # W⁽²⁾ keeps its 2×3 corner
    # the seed per layer: init's seed with l
    other = S.apply(spec, spec.weights, replace(with_layers(c, replace(l1, units=4), l2, l3),
                                                 init={"seed": 7, "scale": 0.5})).spec.weights
    assert not np.array_equal(other[0][2:], only_1[0][2:])
    assert np.array_equal(other[0][2:], np.random.default_rng([7, 1]).uniform(-0.5, 0.5, size=(4, 3))[2:])


def test_adding_a_hidden_layer_keeps_only_the_biases_of_the_layer_above_it():
    spec, c = xor(), S.current(xor())
    new = S.LayerChoice(3, "relu", None, None)
    a = S.apply(spec, spec.weights, with_layers(c, c.layers[0], new, c.layers[1]))
    assert a.spec.widths == (2, 2, 3, 1) and a.spec.activations == ("tanh", "relu", "sigmoid")
    # the output layer is the old layer 2 (still sigmoid); layer 2 is new
    assert [c for c in a.changes if c.startswith("f")] == ["f⁽²⁾ relu (a new layer)"]
    W1, W2, W3 = a.spec.weights
    assert np.array_equal(W1, spec.weights[0])  # layer 1 untouched
    # the new layer: numbered after the old ones (L + 1 = 3) for its generator; all drawn
    assert np.array_equal(W2, np.random.default_rng([0, 3]).uniform(-0.5, 0.5, size=(3, 3)))
    # W⁽³⁾ (the old W⁽²⁾ = [[0.05, 0.7, -0.6]]): its columns 1, 2 weighed the old tanh units, which
    # are not below it any more: only the bias w_1,0 = 0.05 is kept, the rest drawn from layer 2's generator
    assert spec.weights[1].tolist() == [[0.05, 0.7, -0.6]]
    drawn = np.random.default_rng([0, 2]).uniform(-0.5, 0.5, size=(1, 4))
    assert W3[0, 0] == 0.05 and W3[0, 1:].tolist() == drawn[0, 1:].tolist()
    assert a.kept == ((2, 3), (0, 0), (1, 1))
    assert [r.text() for r in a.resized] == [
        "W⁽²⁾ 3×3 (a new layer): drew all 9 weights from U(−0.5, 0.5), default_rng([0, 3])",
        "W⁽³⁾ 1×4 (was 1×3, W⁽²⁾'s): kept only the biases w_b,0 for b ≤ 1 (1 weight), as the layer below "
        "(layer 2) is new; drew 3 from U(−0.5, 0.5), default_rng([0, 2])"]
    # each weight's provenance says so
    stepper = Stepper(a.spec, origin=a.origin())
    assert stepper.provenance(3, 0, 0).text() == ("w₁,₀⁽³⁾ = 0.05: kept from the weights on screen when the "
                                                  "settings were applied (s)")
    assert stepper.provenance(3, 0, 1).text() == (
        f"w₁,₁⁽³⁾ = {num(drawn[0, 1])}: drawn when the settings were applied (s), as the layer below (layer 2) "
        "is new: uniform in [−0.5, 0.5] from numpy.random.default_rng([0, 2])")
    assert stepper.provenance(2, 1, 1).text().endswith("uniform in [−0.5, 0.5] from numpy.random.default_rng([0, 3])")


def test_removing_a_hidden_layer_keeps_the_layers_whose_layer_below_stays():
    """2-2-3-2-1, seed 0: remove layer 1. The new layer 1 (old 2) has the inputs below it now: only its
    biases kept; the new layer 2 (old 3) still has the old layer 2 below it: all kept, as is layer 3."""
    spec = parse({"layers": [{"units": 2}, {"units": 2, "activation": "tanh"}, {"units": 3, "activation": "tanh"},
                             {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
                  "data": {"inputs": [[0, 1]], "targets": [[1]]}}, "r.json")
    c = S.current(spec)
    a = S.apply(spec, spec.weights, with_layers(c, *c.layers[1:]))
    W1, W2, W3 = a.spec.weights
    assert a.spec.widths == (2, 3, 2, 1) and W1.shape == (3, 3)  # the old W⁽²⁾ was 3×3 (on 2 tanh units)
    assert np.array_equal(W1[:, 0], spec.weights[1][:, 0])
    assert np.array_equal(W1[:, 1:], np.random.default_rng([0, 2]).uniform(-0.5, 0.5, size=(3, 3))[:, 1:])
    assert np.array_equal(W2, spec.weights[2]) and np.array_equal(W3, spec.weights[3])
    assert a.kept == ((3, 1), (2, 4), (1, 3))
    assert [r.text() for r in a.resized] == [
        "W⁽¹⁾ 3×3 (was 3×3, W⁽²⁾'s): kept only the biases w_b,0 for b ≤ 3 (3 weights), as the layer below is "
        "the input now, not layer 1; drew 6 from U(−0.5, 0.5), default_rng([0, 2])",
        "W⁽²⁾ 2×4 (was 2×4, W⁽³⁾'s): kept w_b,a for b ≤ 2, a ≤ 3 (8 weights)",
        "W⁽³⁾ 1×3 (was 1×3, W⁽⁴⁾'s): kept w_b,a for b ≤ 1, a ≤ 2 (3 weights)"]
    # a layer's generator is its old number: removing layer 1 leaves the draws of a wider layer 3 alone
    wider = replace(c.layers[2], units=4)
    kept_all = S.apply(spec, spec.weights, with_layers(c, c.layers[0], c.layers[1], wider, c.layers[3])).spec.weights
    removed = S.apply(spec, spec.weights, with_layers(c, c.layers[1], wider, c.layers[3])).spec.weights
    assert np.array_equal(kept_all[2], removed[1])
    assert np.array_equal(removed[1][2:], np.random.default_rng([0, 3]).uniform(-0.5, 0.5, size=(4, 4))[2:])
    # and a layer added and removed again: the output layer keeps only its bias from before
    spec2 = xor()
    added = S.apply(spec2, spec2.weights, with_layers(S.current(spec2), S.current(spec2).layers[0],
                                                      S.LayerChoice(3, "relu", None, None), S.current(spec2).layers[1]))
    c2 = S.current(added.spec)
    back = S.apply(added.spec, added.spec.weights, with_layers(c2, c2.layers[0], c2.layers[2]))
    assert back.spec.widths == (2, 2, 1)
    assert back.spec.weights[1][0, 0] == 0.05 and back.kept == ((2, 3), (1, 1))
    assert back.resized[0].below == "the layer below is the old layer 1 now, not layer 2"


def test_changing_the_input_width_keeps_only_the_biases_of_layer_1():
    spec, c = xor(), S.current(xor())  # W⁽¹⁾ = [[0.1, 0.5, -0.4], [-0.2, 0.3, 0.6]] on inputs x₁, x₂
    sine = {"generator": "sine", "n": 50, "noise": 0.05, "seed": 4, "test_fraction": 0.2, "standardize": False}
    a = S.apply(spec, spec.weights, replace(c, data=sine, input_units=1))
    W1, W2 = a.spec.weights
    assert a.spec.widths == (1, 2, 1) and W1.shape == (2, 2)
    assert W1[:, 0].tolist() == [0.1, -0.2]  # the biases
    assert W1[:, 1].tolist() == np.random.default_rng([0, 1]).uniform(-0.5, 0.5, size=(2, 2))[:, 1].tolist()
    assert np.array_equal(W2, spec.weights[1])  # the hidden units are the same: W⁽²⁾ is kept whole
    assert [r.text() for r in a.resized] == [
        "W⁽¹⁾ 2×2 (was 2×3): kept only the biases w_b,0 for b ≤ 2 (2 weights), as the inputs changed "
        "(d⁽⁰⁾ 2 → 1); drew 2 from U(−0.5, 0.5), default_rng([0, 1])"]
    # the same width with other data: the columns still weigh x₁ and x₂, so they are kept
    circle = S.apply(spec, spec.weights, replace(c, data={**sine, "generator": "circle"}))
    assert np.array_equal(circle.spec.weights[0], spec.weights[0]) and circle.resized == ()


def test_activation_alpha_loss_training_and_init_change():
    spec, c = xor(), S.current(xor())
    training = {**c.training, "optimizer": "adam", "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "learning_rate": 0.01,
                "l2": 0.001, "update": {"batch_size": 2}, "shuffle_seed": 3, "epochs": 20}
    choices = replace(with_layers(c, replace(c.layers[0], activation="leaky_relu", alpha=0.2), c.layers[1]),
                      training=training, loss="cross_entropy")
    a = S.apply(spec, spec.weights, choices)
    s = a.spec
    assert s.activations == ("leaky_relu", "sigmoid") and s.alphas[0] == 0.2 and s.loss == "cross_entropy"
    assert (s.optimizer.name, s.optimizer.beta1, s.optimizer.beta2, s.optimizer.eps) == ("adam", 0.8, 0.99, 1e-6)
    assert (s.learning_rate, s.l2, s.update, s.batch_size, s.shuffle_seed, s.epochs) == (0.01, 0.001, "mini_batch", 2, 3, 20)
    assert a.changes[:4] == ("optimizer sgd → adam", "η 0.5 → 0.01", "λ 0 → 0.001", "epochs 500 → 20")
    assert "f⁽¹⁾ tanh → leaky_relu α = 0.2" in a.changes and "loss squared → cross_entropy" in a.changes
    # the default α when none is typed; momentum's μ only for momentum
    a2 = S.apply(spec, spec.weights, with_layers(c, replace(c.layers[0], activation="elu"), c.layers[1]))
    assert a2.spec.alphas[0] == ACTIVATIONS["elu"].default_alpha
    doc = S.document(spec, replace(c, training={**c.training, "momentum": 0.5}))
    assert "momentum" not in doc["training"]  # sgd reads no μ


def test_data_generators_and_the_files_own_data():
    spec, c = xor(), S.current(xor())
    assert c.data == {"generator": S.FILE_DATA, "standardize": False}
    data = {"generator": "circle", "n": 50, "noise": 0.05, "seed": 4, "test_fraction": 0.2, "standardize": True}
    a = S.apply(spec, spec.weights, replace(c, data=data))
    reference = parse({**json.loads((NETWORKS / "xor.json").read_text()), "data": data}, "r.json")
    assert np.array_equal(a.spec.inputs, reference.inputs) and np.array_equal(a.spec.test_targets, reference.test_targets)
    assert a.spec.N == 40 and a.spec.input_shift is not None
    assert "data: the circle generator (was the file's data)" in a.changes
    assert "data standardize: yes" in a.changes  # asked for: said; off, the default, is not a change
    off = S.apply(spec, spec.weights, replace(c, data={**data, "standardize": False}))
    assert "data n 50" in off.changes and not any("standardize" in line for line in off.changes)
    # sine has one input: d⁽⁰⁾ = 1 keeps column 0 (the biases) of W⁽¹⁾ only
    sine = {**data, "generator": "sine"}
    b = S.apply(spec, spec.weights, replace(c, data=sine, input_units=1))
    assert b.spec.widths == (1, 2, 1) and np.array_equal(b.spec.weights[0][:, 0], spec.weights[0][:, 0])
    # back to the file's data
    assert S.current(b.spec).data["generator"] == "sine"
    back = S.apply(b.spec, b.spec.weights, replace(S.current(b.spec), input_units=2,
                                                    data={"generator": S.FILE_DATA, "standardize": False}),
                   file_data=spec.raw["data"])
    assert back.spec.raw["data"] == spec.raw["data"]
    assert np.array_equal(back.spec.inputs, spec.inputs)
    # standardize the file's own data
    st = S.apply(spec, spec.weights, replace(c, data={"generator": S.FILE_DATA, "standardize": True}))
    assert np.allclose(st.spec.inputs.mean(axis=0), 0) and "data standardize: no → yes" in st.changes


@pytest.mark.parametrize("change, section", [
    (lambda c: replace(c, training={**c.training, "learning_rate": "abc"}), ("training", "learning_rate", "abc")),
    (lambda c: replace(c, training={**c.training, "learning_rate": -1}), ("training", "learning_rate", -1)),
    (lambda c: replace(c, training={**c.training, "update": {"batch_size": 0}}),
     ("training", "update", {"batch_size": 0})),
    (lambda c: replace(c, data={**c.data, "noise": -0.1}), ("data", "noise", -0.1)),
    (lambda c: replace(c, data={**c.data, "test_fraction": 1.0}), ("data", "test_fraction", 1.0)),
    (lambda c: replace(c, init={"seed": 0, "scale": 0}), ("init", "scale", 0)),
])
def test_bad_values_raise_the_files_error(change, section):
    spec = load(NETWORKS / "moons.json")
    err = settings_error(spec, change(S.current(spec)))
    doc = copy.deepcopy(spec.raw)
    part, key, value = section
    doc.setdefault(part, {})[key] = value
    expected = file_error(doc)
    assert (err.place, err.message) == (expected.place, expected.message)
    assert err.place.startswith(f"{part}.{key}")


def test_rules_beyond_the_schema_are_the_files():
    spec, c = xor(), S.current(xor())
    err = settings_error(spec, with_layers(c, replace(c.layers[0], activation="softmax"), c.layers[1]))
    assert (err.place, err.message) == ("layers[1].activation", "softmax is for the output layer only")
    err = settings_error(spec, replace(with_layers(c, c.layers[0], replace(c.layers[1], activation="tanh")),
                                       loss="cross_entropy"))
    assert (err.place, err.message) == ("loss", "cross_entropy needs a sigmoid or softmax output layer, not tanh")
    err = settings_error(spec, replace(c, data={"generator": "sine", **{k: 1 for k in ()}}))
    assert (err.place, err.message) == ("data.generator", "sine gives 1 input, but layers[0] has 2 units")
    err = settings_error(spec, with_layers(c, replace(c.layers[0], units="two"), c.layers[1]))
    assert (err.place, err.message) == ("layers[1].units", '"two" is not an integer')
    assert S.field_of(err, ["layers[1].units", "layers[1]", "loss"]) == "layers[1].units"


def test_typed_values_read_as_a_file_holds_them():
    assert S.value("0.5") == 0.5 and S.value(" 3 ") == 3 and isinstance(S.value("3"), int)
    assert S.value("−0.25") == -0.25 and S.value("1e-3") == 0.001
    assert S.value("") is None and S.value("abc") == "abc"
    # JSON numbers of ASCII digits only: Python's other spellings stay text (the file's message follows)
    assert S.value("1e1") == 10.0 and S.value("1_0") == "1_0" and S.value("３") == "３" and S.value("+3") == "+3"
    assert S.text(0.5) == "0.5" and S.text(None) == "" and S.text(3) == "3" and S.text(1e-08) == "1e-08"


@pytest.mark.parametrize("name", ["xor", "moons", "iris", "regression", "deep_relu"])
def test_the_saved_file_reproduces_the_setup(name, tmp_path):
    """apply, save as `w` does, load the file: the same spec, weights and steps."""
    spec = load(NETWORKS / f"{name}.json")
    c = S.current(spec)
    hidden = replace(c.layers[0], units=int(c.layers[0].units) + 1, activation="elu", alpha=0.5)
    choices = replace(with_layers(c, hidden, *c.layers[1:]), training={**c.training, "learning_rate": 0.05,
                                                                       "shuffle_seed": 2, "l2": 0.01},
                      init={"seed": 9, "scale": 0.3})
    applied = S.apply(spec, spec.weights, choices)
    path = tmp_path / f"{name}.json"
    path.write_text(network_text(applied.spec.with_weights(applied.spec.weights).to_json(tmp_path)))
    again = parse(loads(path.read_text()), str(path))
    for field_ in ("widths", "activations", "alphas", "loss", "learning_rate", "update", "l2", "epochs", "optimizer",
                   "batch_size", "shuffle_seed"):
        assert getattr(again, field_) == getattr(applied.spec, field_), field_
    for a, b in zip(again.weights, applied.spec.weights):
        assert np.array_equal(a, b)
    assert np.array_equal(again.inputs, applied.spec.inputs) and np.array_equal(again.targets, applied.spec.targets)
    s1, s2 = Stepper(applied.spec), Stepper(again)
    for _ in range(2 * len(s1.schedule) + 3):
        x, y = s1.forward(), s2.forward()
        assert x.key == y.key and np.array_equal(np.asarray(x.value), np.asarray(y.value))


def test_v2_networks_keep_their_layers_and_change_the_rest():
    spec = load(NETWORKS / "edges.json")
    c = S.current(spec)
    assert not S.layers_editable(spec)
    a = S.apply(spec, spec.weights, replace(c, training={**c.training, "learning_rate": 0.2},
                                             data={**c.data, "n": 30}))
    reference = parse({**spec.raw, "data": {**spec.raw["data"], "n": 30}}, "e.json")
    assert a.spec.learning_rate == 0.2 and a.spec.widths == spec.widths and np.array_equal(a.spec.inputs, reference.inputs)
    for x, y in zip(a.spec.weights, spec.weights):
        assert np.array_equal(x, y)
    assert a.changes == (f"η {num(spec.learning_rate)} → 0.2", f"data n {num(c.data['n'])} → 30")


def test_the_origin_of_each_weight():
    spec, c = xor(), S.current(xor())
    a = S.apply(spec, spec.weights, with_layers(c, replace(c.layers[0], units=3), c.layers[1]))
    stepper = Stepper(a.spec, origin=a.origin())
    assert stepper.provenance(1, 0, 0).text() == ("w₁,₀⁽¹⁾ = 0.1: kept from the weights on screen when the settings "
                                                  "were applied (s)")
    assert stepper.provenance(1, 2, 1).text().endswith("drawn when the settings were applied (s): uniform in "
                                                        "[−0.5, 0.5] from numpy.random.default_rng([0, 1])")
    stepper.forward()
    stepper.reset()
    assert stepper.origin.kind == "settings"


@pytest.mark.parametrize("name", EXAMPLES + V2_EXAMPLES)
def test_every_example_applies_unchanged_to_itself(name):
    """The dialog's first state, applied as it is, is the same network (every bundled example)."""
    spec = load(NETWORKS / f"{name}.json")
    applied = S.apply(spec, spec.weights, S.current(spec))
    assert applied.changes == (), applied.changes
    new = applied.spec
    for field_ in ("widths", "activations", "alphas", "loss", "learning_rate", "update", "batch_size", "l2", "epochs",
                   "optimizer", "shuffle_seed", "input_shape"):
        assert getattr(new, field_) == getattr(spec, field_), field_
    for a, b in zip(new.weights, spec.weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(new.inputs, spec.inputs)
    np.testing.assert_array_equal(new.test_targets, spec.test_targets)


# -- typed text: the dialog takes what a file would take, and nothing else ---------------------------
def _set_layer(c, l, **kw):
    layers = list(c.layers)
    layers[l - 1] = replace(layers[l - 1], **kw)
    return replace(c, layers=tuple(layers))


# field → (how the dialog sets it in the choices, its place in the file: section, key…)
TYPED_FIELDS = {
    "learning_rate": (lambda c, v: replace(c, training={**c.training, "learning_rate": v}), ("training", "learning_rate")),
    "l2": (lambda c, v: replace(c, training={**c.training, "l2": v}), ("training", "l2")),
    "momentum": (lambda c, v: replace(c, training={**c.training, "momentum": v}), ("training", "momentum")),
    "epochs": (lambda c, v: replace(c, training={**c.training, "epochs": v}), ("training", "epochs")),
    "shuffle_seed": (lambda c, v: replace(c, training={**c.training, "shuffle_seed": v}), ("training", "shuffle_seed")),
    "batch_size": (lambda c, v: replace(c, training={**c.training, "update": {"batch_size": v}}),
                   ("training", "update", "batch_size")),
    "init_seed": (lambda c, v: replace(c, init={**c.init, "seed": v}), ("init", "seed")),
    "init_scale": (lambda c, v: replace(c, init={**c.init, "scale": v}), ("init", "scale")),
    "units": (lambda c, v: _set_layer(c, 1, units=v), ("layers", 1, "units")),
    "alpha": (lambda c, v: _set_layer(c, 1, activation="leaky_relu", alpha=v), ("layers", 1, "alpha")),
    "n": (lambda c, v: replace(c, data={**c.data, "n": v}), ("data", "n")),
    "noise": (lambda c, v: replace(c, data={**c.data, "noise": v}), ("data", "noise")),
    "data_seed": (lambda c, v: replace(c, data={**c.data, "seed": v}), ("data", "seed")),
    "test_fraction": (lambda c, v: replace(c, data={**c.data, "test_fraction": v}), ("data", "test_fraction")),
}
INTEGER_FIELDS = {"epochs", "shuffle_seed", "batch_size", "init_seed", "units", "n", "data_seed"}
COMPARED = ("widths", "activations", "alphas", "learning_rate", "l2", "epochs", "optimizer", "batch_size",
            "shuffle_seed")


def _file_with(raw, place, v):
    """moons.json with ``v`` at ``place`` (None: the key left out), as a student would write it."""
    doc = copy.deepcopy(raw)
    part = doc
    for key in place[:-1]:
        part = part.setdefault(key, {}) if isinstance(key, str) else part[key]
    if place == ("layers", 1, "alpha"):
        part["activation"] = "leaky_relu"
    if v is None and place[-1] not in ("units", "batch_size"):  # (these two the dialog sends as null)
        part.pop(place[-1], None)
    else:
        part[place[-1]] = v
    return doc


def _typed_text():
    from hypothesis import strategies as st

    number = st.from_regex(r"\A[ ]?[-−+]?[0-9０-９_]{0,4}(\.[0-9]{0,3})?([eE][-+]?[0-9_]{1,3})?[ ]?\Z")
    tricky = st.sampled_from(["1_0", "３", "1e1", "1.0", "10.0", "1e999", "-1e999", "NaN", "Infinity", "+3", ".5",
                              "5.", "01", "0x10", "1.5", "0", "-0", "−0.25", "", "  ", "2e0", "1e-400", "9" * 320])
    return st.one_of(tricky, number, st.text(max_size=8))


def _spec_of(doc):
    try:
        return parse(doc, "moons.json"), None
    except SpecError as err:
        return None, (err.place, err.message)


def _check_typed(field_name, text):
    spec = load(NETWORKS / "moons.json")
    set_choice, place = TYPED_FIELDS[field_name]
    v = S.value(text)
    norm = text.strip().replace("−", "-")
    # a number only where the text is a JSON number of ASCII digits, and then the number the file reads
    if isinstance(v, (int, float)):
        assert v == loads(norm)  # as a network file reads it (an integer of over 300 digits: inf)
        assert all(ch in "0123456789-.eE" for ch in norm)
    else:
        assert v is None or v == norm
    try:
        applied = S.apply(spec, spec.weights, set_choice(S.current(spec), v))
        dialog = None
    except SpecError as err:
        applied, dialog = None, (err.place, err.message)
    from_file, file_err = _spec_of(_file_with(spec.raw, place, v))
    assert dialog == file_err  # refused with the file's message, or accepted as the file accepts it
    if applied is None:
        return
    for name in COMPARED:
        assert getattr(applied.spec, name) == getattr(from_file, name), name
    np.testing.assert_array_equal(applied.spec.inputs, from_file.inputs)
    saved = applied.spec.raw
    for key in place[:-1]:
        saved = saved[key]
    if v is None:  # an empty field: the key left out (the default), as in the file
        assert place[-1] not in saved
        return
    saved = saved[place[-1]]
    if field_name in INTEGER_FIELDS:  # saved as an int where the file wants an integer
        assert type(saved) is int and saved == v
    else:
        assert saved == v


@pytest.mark.parametrize("field_name", sorted(TYPED_FIELDS))
def test_typed_text_is_taken_as_a_file_takes_it_or_refused_with_its_message(field_name):
    from hypothesis import HealthCheck, given, settings as hsettings

    @hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_typed_text())
    def run(text):
        _check_typed(field_name, text)

    run()


@pytest.mark.parametrize("field_name, text, expected", [
    ("units", "1e1", 10), ("units", "10.0", 10), ("n", "2e2", 200), ("epochs", "3E1", 30), ("batch_size", "1e1", 10),
    ("init_seed", "7.0", 7), ("learning_rate", "1e-1", 0.1), ("learning_rate", "2", 2),
])
def test_whole_numbers_are_saved_as_ints_where_the_file_wants_integers(field_name, text, expected):
    spec = load(NETWORKS / "moons.json")
    set_choice, place = TYPED_FIELDS[field_name]
    saved = S.apply(spec, spec.weights, set_choice(S.current(spec), S.value(text))).spec.raw
    for key in place:
        saved = saved[key]
    assert saved == expected and type(saved) is type(expected)
    assert json.dumps(saved) == json.dumps(expected)


@pytest.mark.parametrize("field_name, text, message", [
    ("units", "1_0", '"1_0" is not an integer'), ("units", "３", '"\\uff13" is not an integer'),
    ("units", "1.5", "1.5 is not an integer"), ("learning_rate", "1_0", '"1_0" is not a number'),
    ("learning_rate", "+3", '"+3" is not a number'), ("learning_rate", ".5", '".5" is not a number'),
    ("learning_rate", "1e999", "Infinity is not a finite number"), ("n", "0x10", '"0x10" is not an integer'),
])
def test_python_only_number_syntax_is_refused_with_the_files_message(field_name, text, message):
    spec = load(NETWORKS / "moons.json")
    set_choice, place = TYPED_FIELDS[field_name]
    err = settings_error(spec, set_choice(S.current(spec), S.value(text)))
    assert err.message == message

"""The shipped JSON Schema is standard, and the runtime validator agrees with jsonschema on it."""

import json

import jsonschema
import pytest

from bptui.core.util import validate
from bptui.core.util.errors import SpecError

from .conftest import EXAMPLES, NETWORKS
from .test_cli import BAD


def test_schema_is_valid_json_schema_2020_12():
    jsonschema.Draft202012Validator.check_schema(validate.schema())


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_are_valid(name):
    doc = json.loads((NETWORKS / f"{name}.json").read_text())
    jsonschema.Draft202012Validator(validate.schema()).validate(doc)
    validate.check(doc, validate.schema())


@pytest.mark.parametrize("case", [c for c in BAD if BAD[c][0] is not None or c == "not_an_object"])
def test_validators_agree(case):
    doc, text, _ = BAD[case]
    doc = json.loads(text) if doc is None else doc
    by_jsonschema = jsonschema.Draft202012Validator(validate.schema()).is_valid(doc)
    try:
        validate.check(doc, validate.schema())
        ours = True
    except SpecError:
        ours = False
    assert ours == by_jsonschema


def test_the_schemas_name_exactly_what_the_tables_define():
    """Adding an activation, a loss, an optimizer, a generator or a graph op is one entry in its
    table; the schema's lists must follow (this test says which one to update)."""
    from bptui.core.ops.activations import ACTIVATIONS
    from bptui.core.formats.data import GENERATORS
    from bptui.core.graphs.graph_ops import ALIASES, OPS
    from bptui.core.ops.losses import LOSSES
    from bptui.core.ops.optim import OPTIMIZERS

    props = validate.schema()["properties"]
    assert props["layers"]["items"]["properties"]["activation"]["enum"] == list(ACTIVATIONS)
    assert props["loss"]["enum"] == list(LOSSES)
    assert props["training"]["properties"]["optimizer"]["enum"] == list(OPTIMIZERS)
    assert props["data"]["oneOf"][1]["properties"]["generator"]["enum"] == list(GENERATORS)
    node = validate.schema("graph-schema.json")["properties"]["nodes"]["items"]
    assert node["properties"]["op"]["enum"] == list(OPS) and not set(ALIASES) & set(OPS)


def test_the_schemas_layer_types_are_the_kinds_table():
    """A layer kind is one module and one line of ``KINDS``: the schema's layer types are that table's,
    and every key a kind reads from its entry is a property the schema allows (the schema is shared by
    all kinds; each kind's ``keys`` says which of them are its own, and the reader refuses the rest)."""
    from bptui.core.kinds import KINDS

    layer = validate.schema()["properties"]["layers"]["items"]["properties"]
    assert layer["type"]["enum"] == list(KINDS)
    allowed = set(layer)
    for name, kind in KINDS.items():
        assert "type" in kind.keys and kind.keys <= allowed, (name, sorted(kind.keys - allowed))
    assert {key for kind in KINDS.values() for key in kind.keys} | {"shape"} == allowed


def test_the_command_line_offers_the_tables_choices():
    from bptui.cli import _command_parser
    from bptui.core.ops.optim import OPTIMIZERS

    action = next(a for a in _command_parser("train")._actions if a.dest == "optimizer")
    assert tuple(action.choices) == OPTIMIZERS

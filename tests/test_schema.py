"""The shipped JSON Schema is standard, and the runtime validator agrees with jsonschema on it."""

import json

import jsonschema
import pytest

from bptui.core import validate
from bptui.core.errors import SpecError

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

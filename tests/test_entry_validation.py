"""The entry points' schemas: the first problem, named by field, path and keyword."""

import jsonschema
import pytest

from mcp_crew.services.validation import compile_schema, first_problem

SCHEMA = compile_schema(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "maxLength": 5},
            "kind": {"enum": ["a", "b", False]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "context": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"channel": {"enum": ["chat"]}, "crew": {}},
            },
        },
    }
)


def problem(instance):
    found = first_problem(SCHEMA, instance)
    return found and (found.field, found.path, found.keyword, found.params)


def test_a_valid_value_has_no_problem():
    assert first_problem(SCHEMA, {"title": "ok", "tags": ["x"], "context": {}}) is None


def test_the_whole_value_of_the_wrong_type():
    assert problem("text")[:3] == ("", "", "type")


def test_unknown_keys_are_listed_with_the_allowed_ones():
    field, _path, keyword, params = problem({"title": "x", "colour": 1, "age": 2})
    assert (field, keyword, params["unknown"]) == ("", "additionalProperties", "age, colour")
    assert params["allowed"] == "context, kind, tags, title"


def test_a_missing_field_is_named():
    assert problem({})[:3] == ("title", "title", "required")


def test_limits_and_choices_are_given_to_the_message():
    assert problem({"title": "too long"})[3]["limit"] == 5
    _field, _path, keyword, params = problem({"title": "x", "kind": "c"})
    assert (keyword, params["value"], params["valid"]) == ("enum", "c", "a, b")


def test_a_list_item_is_blamed_on_its_list():
    assert problem({"title": "x", "tags": ["ok", 3]})[:3] == ("tags", "tags", "type")


def test_a_nested_field_has_a_dotted_path():
    field, path, keyword, params = problem({"title": "x", "context": {"channel": "fax"}})
    assert (field, path, keyword, params["value"]) == ("context", "context.channel", "enum", "fax")


def test_a_broken_schema_is_refused_at_once():
    with pytest.raises(jsonschema.SchemaError):
        compile_schema({"type": "no such type"})

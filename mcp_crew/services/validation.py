"""Tool arguments checked against the tool's JSON Schema before any call.

Validators are compiled once per distinct schema. Errors name the offending
field as a JSON path (``items[2].qty``) so a user or an agent can fix it.
"""

import functools
import json

import jsonschema
from jsonschema import validators

from .errors import InvalidArguments


@functools.lru_cache(maxsize=1024)
def _validator_for(schema_json):
    schema = json.loads(schema_json)
    cls = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        # A server published a broken schema: do not block calls because of it.
        return None
    return cls(schema)


def _path(error):
    parts = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append("[%d]" % part)
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def validate_arguments(tool_name, schema, arguments):
    """Raise :class:`InvalidArguments` if ``arguments`` does not fit ``schema``."""
    if not isinstance(arguments, dict):
        raise InvalidArguments(
            tool_name, "", "expected an object, got %s" % type(arguments).__name__
        )
    if not schema:
        return
    validator = _validator_for(json.dumps(schema, sort_keys=True))
    if validator is None:
        return
    error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    if error is None:
        return
    field = _path(error)
    if error.validator == "required" and not field:
        # "'qty' is a required property": name the missing field itself.
        missing = [name for name in error.validator_value if name not in error.instance]
        field = missing[0] if missing else ""
        raise InvalidArguments(tool_name, field, "is required")
    raise InvalidArguments(tool_name, field, error.message)

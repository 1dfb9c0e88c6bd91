"""Arguments checked against JSON Schemas: a tool's before any call, and the
addon's own entry points' (``store``, ``search_knowledge``, ``ask``).

Validators are compiled once per distinct schema. Errors name the offending
field as a JSON path (``items[2].qty``) so a user or an agent can fix it.
"""

import dataclasses
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


def _first_error(schema, value):
    """The most relevant error of ``value`` against ``schema`` (``None`` when it
    fits, when there is no schema, or when the schema itself is broken)."""
    if not schema:
        return None
    validator = _validator_for(json.dumps(schema, sort_keys=True))
    if validator is None:
        return None
    return jsonschema.exceptions.best_match(validator.iter_errors(value))


def validate_arguments(tool_name, schema, arguments):
    """Raise :class:`InvalidArguments` if ``arguments`` does not fit ``schema``."""
    if not isinstance(arguments, dict):
        raise InvalidArguments(
            tool_name, "", "expected an object, got %s" % type(arguments).__name__
        )
    error = _first_error(schema, arguments)
    if error is None:
        return
    field = _path(error)
    if error.validator == "required" and not field:
        # "'qty' is a required property": name the missing field itself.
        missing = [name for name in error.validator_value if name not in error.instance]
        field = missing[0] if missing else ""
        raise InvalidArguments(tool_name, field, "is required")
    raise InvalidArguments(tool_name, field, error.message)


def structured_result_problem(schema, structured):
    """Why a tool result's structured content does not fit the tool's output
    ``schema`` (``None`` when it fits, or when the tool declares no schema).

    The MCP SDK's ``ClientSession.call_tool`` does this check with
    ``jsonschema.validate``, which checks the schema itself again on every call
    (about half a millisecond); here the validator is compiled once per schema.
    """
    if not schema:
        return None
    if structured is None:
        return "it declares an output schema but returned no structured content"
    error = _first_error(schema, structured)
    if error is None:
        return None
    field = _path(error)
    return "its structured content does not fit its output schema: %s%s" % (
        field + " " if field else "",
        error.message,
    )


# -- the arguments of the addon's own entry points (store, search_knowledge, ask) --


@dataclasses.dataclass(frozen=True)
class Problem:
    """The first thing wrong with a value, as the adapter needs it to explain it."""

    field: str  # the top-level argument at fault ("" for the value as a whole)
    path: str  # the named fields down to the fault, dotted ("context.channel")
    keyword: str  # the JSON Schema keyword that failed (type, enum, maximum, …)
    params: dict  # field, value, valid (enum), unknown (extra keys), limit


def compile_schema(schema):
    """A validator for ``schema`` (checked now: a broken schema is a bug here)."""
    cls = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def first_problem(validator, instance):
    """The :class:`Problem` of ``instance`` (the most relevant one), or ``None``."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is None:
        return None
    path = list(error.absolute_path)
    field = str(path[0]) if path else ""
    dotted = ".".join(str(part) for part in path if isinstance(part, str))
    params = {"field": field, "value": error.instance}
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            dotted = ".".join(filter(None, (dotted, missing[0])))
            field = params["field"] = field or missing[0]
    elif error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        params["unknown"] = ", ".join(sorted(map(str, set(error.instance) - allowed)))
        params["allowed"] = ", ".join(sorted(allowed))
    elif error.validator == "enum":
        params["valid"] = ", ".join(str(v) for v in error.validator_value if v)
    elif error.validator in ("minimum", "maximum", "maxLength", "minLength"):
        params["limit"] = error.validator_value
    return Problem(field, dotted, error.validator, params)

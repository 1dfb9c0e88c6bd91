"""The public entry points' arguments, checked by JSON Schema (services/validation)
and explained in the user's words: one message per field and failed keyword."""

from odoo.exceptions import ValidationError

from ..services.validation import first_problem


def check_arguments(validator, instance, messages):
    """Raise a ``ValidationError`` naming the first problem of ``instance``.

    ``messages`` maps ``(path, keyword)``, ``path``, ``(field, keyword)`` or
    ``field`` (the first found) to a translatable ``_lt`` text formatted with
    the problem's params (field, value, valid, unknown, allowed, limit).
    """
    problem = first_problem(validator, instance)
    if problem is None:
        return
    keys = ((problem.path, problem.keyword), problem.path, (problem.field, problem.keyword))
    message = next((messages[key] for key in keys if key in messages), messages[problem.field])
    raise ValidationError(str(message) % problem.params)

"""The one place where engine errors become Odoo exceptions."""

from odoo import _
from odoo.exceptions import UserError, ValidationError

from .services import errors


def odoo_error(err):
    """The Odoo exception engine error ``err`` becomes, or ``None`` for any other."""
    if isinstance(err, (errors.InvalidArguments, errors.ConfigurationError, errors.InvalidRequest)):
        return ValidationError(str(err))
    if isinstance(err, (errors.ToolNotFound, errors.ToolDisabled)):
        return UserError(str(err))
    if isinstance(err, errors.ServerUnavailable):
        return UserError(_("The MCP server did not answer: %s", err))
    if isinstance(err, errors.LlmUnavailable):
        return UserError(_("The LLM did not answer: %s", err))
    return None


class engine_errors:  # noqa: N801 - used as a function: ``with engine_errors():``
    """Raise what :func:`odoo_error` maps an engine error to. A class, not a
    ``contextlib`` generator: the hot methods enter it on every call."""

    def __enter__(self):
        return self

    def __exit__(self, _exc_type, exc, _traceback):
        mapped = odoo_error(exc) if exc is not None else None
        if mapped is not None:
            raise mapped from exc
        return False

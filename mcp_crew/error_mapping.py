"""The one place where engine errors become Odoo exceptions."""

import contextlib

from odoo import _
from odoo.exceptions import UserError, ValidationError

from .services import errors


@contextlib.contextmanager
def engine_errors():
    try:
        yield
    except (errors.InvalidArguments, errors.ConfigurationError, errors.InvalidRequest) as err:
        raise ValidationError(str(err)) from err
    except (errors.ToolNotFound, errors.ToolDisabled) as err:
        raise UserError(str(err)) from err
    except errors.ServerUnavailable as err:
        raise UserError(_("The MCP server did not answer: %s", err)) from err
    except errors.LlmUnavailable as err:
        raise UserError(_("The LLM did not answer: %s", err)) from err

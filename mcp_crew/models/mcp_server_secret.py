from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..services import redaction

# Databases whose secrets this process has registered with the redactor.
_PROTECTED_DBS = set()


class McpServerSecret(models.Model):
    """The value of a secret header or environment variable of an MCP server.

    A model of its own, readable and writable by system administrators only
    (ACL): no other user reaches a value through any ORM path — read,
    read_group, search or order on the value, export, ``/mcp``. The parameter
    shows it as ``secret_value``, a non-stored field of the same group. A secret
    stays with its parameter: ``param_id`` cannot be changed.
    """

    _name = "mcp.server.secret"
    _inherit = "mcp.cached.state.mixin"
    _description = "MCP Server Secret Value"
    # Server specs carry the values: any change drops them.
    _cached_state_fields = frozenset(("param_id", "company_id", "value"))

    param_id = fields.Many2one(
        "mcp.server.param", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="param_id.company_id", store=True, index=True)
    value = fields.Char(required=True)

    _sql_constraints = [
        ("param_unique", "unique(param_id)", "A parameter has one secret value."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        secrets = super().create(vals_list)
        for secret in secrets:
            redaction.protect_credential(secret.value)
        return secrets

    def write(self, vals):
        if "param_id" in vals:
            raise UserError(_("A secret value cannot be moved to another parameter."))
        result = super().write(vals)
        if vals.get("value"):
            redaction.protect_credential(vals["value"])
        return result

    @api.model
    def _protect_all(self):
        """Register every secret of this database with the redactor, once per
        process: a peer may echo another server's secret."""
        db = self.env.cr.dbname
        if db in _PROTECTED_DBS:
            return
        for value in self.sudo().with_context(active_test=False).search([]).mapped("value"):
            redaction.protect_credential(value)
        _PROTECTED_DBS.add(db)

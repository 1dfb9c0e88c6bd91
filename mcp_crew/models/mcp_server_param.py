from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SECRET_MASK = "********"


class McpServerParam(models.Model):
    """A header (HTTP transports) or an environment variable (stdio) of a server.

    Secret values live in a field only system administrators can read or write;
    they never appear in the spec's repr, in logs or in cache keys.
    """

    _name = "mcp.server.param"
    _description = "MCP Server Header or Environment Variable"
    _order = "server_id, param_type, name"

    server_id = fields.Many2one("mcp.server", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="server_id.company_id", store=True, index=True)
    param_type = fields.Selection(
        [("header", "HTTP header"), ("env", "Environment variable")],
        "Type",
        required=True,
        default="header",
    )
    name = fields.Char(required=True)
    is_secret = fields.Boolean("Secret", help="Only system administrators can read the value.")
    value = fields.Char()
    secret_value = fields.Char(groups="base.group_system", copy=False)
    value_display = fields.Char("Value shown", compute="_compute_value_display")

    @api.depends("is_secret", "value")
    def _compute_value_display(self):
        for param in self:
            param.value_display = SECRET_MASK if param.is_secret else param.value

    @api.constrains("is_secret", "value")
    def _check_secret_not_in_plain_value(self):
        for param in self:
            if param.is_secret and param.value:
                raise ValidationError(
                    _("Parameter %s is secret: put its value in the secret field.", param.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        params = super().create(vals_list)
        params.server_id._bump_config_revision()
        return params

    def write(self, vals):
        servers = self.server_id
        result = super().write(vals)
        (servers | self.server_id)._bump_config_revision()
        return result

    def unlink(self):
        servers = self.server_id
        result = super().unlink()
        servers._bump_config_revision()
        return result

    def _effective_value(self):
        """The value sent to the server; call on a sudo() record."""
        self.ensure_one()
        return (self.secret_value if self.is_secret else self.value) or ""

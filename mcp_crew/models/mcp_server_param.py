from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..services import errors, redaction, stdio_policy

SECRET_MASK = "********"


class McpServerParam(models.Model):
    """A header (HTTP transports) or an environment variable (stdio) of a server.

    Secret values live in ``mcp.server.secret``, a model only system
    administrators can reach; they never appear in the spec's repr, in logs or
    in cache keys. Only system administrators create, change or delete
    parameters (ACL). Environment names that change how programs load code are
    refused for everyone, and a parameter never moves to another server or
    type: its value was given for that destination.
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
    secret_value = fields.Char(
        compute="_compute_secret_value",
        inverse="_inverse_secret_value",
        search="_search_secret_value",
        groups="base.group_system",
        copy=False,
    )
    value_display = fields.Char("Value shown", compute="_compute_value_display")

    @api.depends("is_secret", "value")
    def _compute_value_display(self):
        for param in self:
            param.value_display = SECRET_MASK if param.is_secret else param.value

    def _secrets(self):
        return self.env["mcp.server.secret"].sudo().search([("param_id", "in", self.ids)])

    def _compute_secret_value(self):
        # Field groups guard read(), not every path (export_data reads records
        # directly): the value itself is only fetched for administrators.
        allowed = self.env.is_system()
        values = {secret.param_id.id: secret.value for secret in self._secrets()} if allowed else {}
        for param in self:
            param.secret_value = values.get(param.id, False)

    def _search_secret_value(self, operator, value):
        raise AccessError(_("Secret values cannot be searched."))

    def _inverse_secret_value(self):
        # A new record each time: a value set in the same write as a change of
        # destination survives it (see mcp.server.write).
        self._secrets().unlink()
        self.env["mcp.server.secret"].sudo().create(
            [
                {"param_id": param.id, "value": param.secret_value}
                for param in self
                if param.secret_value
            ]
        )

    @api.constrains("is_secret", "value")
    def _check_secret_not_in_plain_value(self):
        for param in self:
            if param.is_secret and param.value:
                raise ValidationError(
                    _("Parameter %s is secret: put its value in the secret field.", param.name)
                )

    @api.constrains("name", "param_type")
    def _check_name(self):
        for param in self:
            check = (
                stdio_policy.check_env_name
                if param.param_type == "env"
                else stdio_policy.check_header_name
            )
            try:
                check(param.name)
            except errors.ConfigurationError as err:
                raise ValidationError(str(err)) from err

    @api.model_create_multi
    def create(self, vals_list):
        params = super().create(vals_list)
        params.server_id._bump_config_revision()
        return params

    def write(self, vals):
        self.check_access_rights("write")
        moved = "server_id" in vals and any(p.server_id.id != vals["server_id"] for p in self)
        if moved or "param_type" in vals and any(p.param_type != vals["param_type"] for p in self):
            raise UserError(
                _("A parameter cannot move to another server or type; create a new one.")
            )
        servers = self.server_id
        result = super().write(vals)
        if "is_secret" in vals and not vals["is_secret"]:
            self._secrets().unlink()
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
        if not self.is_secret:
            return self.value or ""
        if not self.secret_value:
            raise errors.ConfigurationError(
                "MCP server %s: secret %s has no value; a system administrator must enter it "
                "(secrets are dropped when the server's destination changes)"
                % (self.server_id.name, self.name)
            )
        redaction.protect_credential(self.secret_value)
        return self.secret_value

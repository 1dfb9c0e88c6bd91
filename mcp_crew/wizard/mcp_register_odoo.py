from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError

from ..controllers.mcp import API_KEY_SCOPE


class McpRegisterOdoo(models.TransientModel):
    """Register this Odoo's own ``/mcp`` as an MCP server of the company, so
    crews discover and use the ERP tools like any other server's."""

    _name = "mcp.register.odoo"
    _description = "Register this Odoo as an MCP server"

    name = fields.Char(required=True, default="Odoo (this database)")
    url = fields.Char(
        "Endpoint URL",
        required=True,
        default=lambda self: self._default_url(),
        help="How the Odoo workers reach /mcp; behind a proxy, the internal address.",
    )
    api_key = fields.Char(
        "API key",
        required=True,
        help="An API key of the user the agents act as (Preferences › Account Security › "
        "New API Key), created with MCP changes 'Allowed': crews ask their approvers "
        "before destructive tools. Agents get exactly that user's rights.",
    )

    @api.model
    def _default_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base.rstrip("/") + "/mcp"

    def action_register(self):
        self.ensure_one()
        self._check_key()
        server = self.env["mcp.server"].create(
            {
                "name": self.name,
                "kind": "erp",
                "transport": "streamable_http",
                "url": self.url,
                "param_ids": [
                    (
                        0,
                        0,
                        {
                            "param_type": "header",
                            "name": "Authorization",
                            "is_secret": True,
                            "secret_value": "Bearer %s" % self.api_key.strip(),
                        },
                    )
                ],
            }
        )
        server.action_discover()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mcp.server",
            "res_id": server.id,
            "view_mode": "form",
            "target": "current",
        }

    def _check_key(self):
        """Refuse a key that does not open /mcp, before storing it anywhere."""
        try:
            self.env["res.users.apikeys"]._mcp_check_credentials(
                API_KEY_SCOPE, self.api_key.strip()
            )
        except AccessDenied as err:
            raise UserError(_("This API key is not valid for this database.")) from err

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError

from ..controllers.mcp import API_KEY_SCOPE
from ..models.mcp_server import ERP_OPERATOR


class McpRegisterOdoo(models.TransientModel):
    """Register this Odoo's own ``/mcp`` as an MCP server of the company, so
    crews discover and use the ERP tools like any other server's.

    The API key is never stored on the wizard: ``api_key`` is not a column.
    When the wizard is saved, the key is checked and goes straight into the
    new server's secret ``Authorization`` header (``mcp.server.secret``, for
    system administrators only).

    After discovery, the shipped ERP operator agent is granted the new tools
    that need approval (:meth:`_grant_erp_operator`), and the toast names them.
    """

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
        store=False,
        compute="_compute_api_key",
        inverse="_inverse_api_key",
        help="An API key of the user the agents act as (Preferences › Account Security › "
        "New API Key), created with MCP changes 'Allowed': crews ask their approvers "
        "before destructive tools. Agents get exactly that user's rights.",
    )
    server_id = fields.Many2one("mcp.server", readonly=True)

    @api.model
    def _default_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base.rstrip("/") + "/mcp"

    def _compute_api_key(self):
        self.api_key = False

    def _inverse_api_key(self):
        for wizard in self:
            key = (wizard.api_key or "").strip()
            if key and not wizard.server_id:
                wizard.server_id = wizard._create_server(key)

    def _create_server(self, key):
        """The server with ``key`` in its secret header; the key is checked first."""
        try:
            self.env["res.users.apikeys"]._mcp_check_credentials(API_KEY_SCOPE, key)
        except AccessDenied as err:
            raise UserError(_("This API key is not valid for this database.")) from err
        server = self.env["mcp.server"].create(
            {"name": self.name, "kind": "erp", "transport": "streamable_http", "url": self.url}
        )
        # A manager may not add parameters to servers; this one is the key the
        # manager just proved valid, for the URL of the server created above.
        self.env["mcp.server.param"].sudo().create(
            {
                "server_id": server.id,
                "param_type": "header",
                "name": "Authorization",
                "is_secret": True,
                "secret_value": "Bearer %s" % key,
            }
        )
        return server

    def action_register(self):
        self.ensure_one()
        if not self.server_id:
            raise UserError(_("Enter an API key."))
        server = self.server_id
        # The discovery's toast (why it failed, or what it found), then the server's form.
        action = server.action_discover()
        action["params"]["next"] = {
            "type": "ir.actions.act_window",
            "res_model": "mcp.server",
            "res_id": server.id,
            "view_mode": "form",
            "target": "current",
        }
        granted = server.state == "ok" and self._grant_erp_operator()
        if granted:
            action["params"]["message"] += " " + _(
                "Tools that need approval, granted to the ERP operator (each call still "
                "waits for an approver): %(tools)s.",
                tools=", ".join(granted.mapped("name")),
            )
            action["params"]["sticky"] = True  # the admin reads what was granted
        return action

    def _grant_erp_operator(self):
        """Grant the ERP operator every tool of the new server that needs approval
        (discovery granted those it found new, see ``mcp.server._grant_erp_operator``);
        returns them, for the toast. Checked with the user's rights, those that edit
        the agent's Tools by hand."""
        agent = self.env.ref(ERP_OPERATOR, raise_if_not_found=False)
        if agent:
            agent.check_access_rights("write")
            agent.check_access_rule("write")
        return self.server_id._grant_erp_operator(self.server_id.tool_ids)

"""Odoo as an OAuth client of remote MCP servers: the sign-in callback and the
client ID metadata document (see :mod:`..models.mcp_server_oauth`)."""

from odoo import _, http
from odoo.http import request

from ..models.mcp_server_oauth import CALLBACK_PATH, METADATA_DOCUMENT_PATH
from ..services import errors, oauth_client


class McpOauthClientController(http.Controller):
    @http.route(CALLBACK_PATH, type="http", auth="user", methods=["GET"], sitemap=False)
    def callback(self, **params):
        """Where the authorization server sends the administrator back."""
        if not request.env.user._is_system():
            return request.render(
                "mcp_crew.oauth_error",
                {"error": _("Only system administrators connect OAuth servers.")},
            )
        try:
            connection = request.env["mcp.server.oauth"]._complete(params)
        except errors.McpCrewError as err:
            return request.render(
                "mcp_crew.oauth_error", {"error": _("The sign-in failed: %s", err)}
            )
        return request.redirect(
            "/web#id=%d&model=mcp.server&view_type=form" % connection.server_id.id
        )

    @http.route(
        METADATA_DOCUMENT_PATH,
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        sitemap=False,
    )
    def client_metadata_document(self):
        """This Odoo's client ID metadata document: its URL is its client_id."""
        base_url = request.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return request.make_json_response(
            oauth_client.metadata_document(
                base_url + METADATA_DOCUMENT_PATH, base_url + CALLBACK_PATH
            )
        )

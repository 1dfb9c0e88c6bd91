"""Odoo as an OAuth client of remote MCP servers: the sign-in callback, the
link a user follows to connect his own account, and the client ID metadata
document (see :mod:`..models.mcp_server_oauth`)."""

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from ..models.mcp_server_oauth import CALLBACK_PATH, CONNECT_PATH, METADATA_DOCUMENT_PATH
from ..services import errors, oauth_client


def _oauth_error(message):
    return request.render("mcp_crew.oauth_error", {"error": message})


class McpOauthClientController(http.Controller):
    @http.route(CALLBACK_PATH, type="http", auth="user", methods=["GET"], sitemap=False)
    def callback(self, **params):
        """Where the authorization server sends the administrator (with per-user
        sign-in, the user) back."""
        try:
            connection = request.env["mcp.server.oauth"]._complete(params)
        except AccessError as err:
            return _oauth_error(str(err))
        except errors.McpCrewError as err:
            return _oauth_error(_("The sign-in failed: %s", err))
        return request.redirect(
            "/web#id=%d&model=mcp.server&view_type=form" % connection.server_id.id
        )

    @http.route(
        CONNECT_PATH.replace("%d", "<int:server_id>"),
        type="http",
        auth="user",
        methods=["GET"],
        sitemap=False,
    )
    def connect(self, server_id):
        """The link of a "connect your account" error: straight to the sign-in."""
        try:
            action = request.env["mcp.server"].browse(server_id).action_oauth_connect()
        except (AccessError, MissingError, UserError) as err:
            return _oauth_error(str(err))
        return request.redirect(action["url"], local=False)

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

import logging

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..models.mcp_endpoint import OdooBackend
from ..services import mcp_endpoint

_logger = logging.getLogger(__name__)
# API keys for MCP: keys without a scope (the usual ones) or with scope "mcp".
API_KEY_SCOPE = "mcp"


class McpServerController(http.Controller):
    @http.route(
        "/mcp",
        type="http",
        auth="none",
        methods=["POST", "GET", "DELETE"],
        csrf=False,
        save_session=False,
    )
    def mcp(self, **_params):
        """Odoo speaks MCP (streamable HTTP, stateless) as the API key's user."""
        httprequest = request.httprequest
        if httprequest.method != "POST":
            return _http(mcp_endpoint.method_not_allowed())
        credential = _authenticate(httprequest.headers.get("Authorization", ""))
        if not credential:
            reply = mcp_endpoint.error_reply(
                401,
                mcp_endpoint.INVALID_REQUEST,
                "Unauthorized: send 'Authorization: Bearer <Odoo API key>'",
            )
            reply.headers["WWW-Authenticate"] = 'Bearer realm="odoo-mcp"'
            return _http(reply)
        uid, principal, writes = credential
        user = request.env["res.users"].browse(uid)
        if not user.sudo().has_group("mcp_crew.group_mcp_crew_user"):
            return _http(
                mcp_endpoint.error_reply(
                    403,
                    mcp_endpoint.INVALID_REQUEST,
                    "Forbidden: the user needs the MCP Crew user group",
                )
            )
        # The user's own companies, as in the web client: rules apply per company.
        request.update_env(
            user=uid,
            context={
                # The default company first: it is env.company, where records are created.
                "allowed_company_ids": (user.sudo().company_id | user.sudo().company_ids).ids,
                "lang": user.sudo().lang,
            },
        )
        headers = {name.lower(): value for name, value in httprequest.headers.items()}
        return _http(
            mcp_endpoint.handle_post(
                httprequest.get_data(), headers, OdooBackend(request.env, principal, writes)
            )
        )


def _authenticate(authorization):
    """``(uid, principal, writes)`` of a bearer API key's active user, or None."""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    try:
        uid, key_id, writes = request.env["res.users.apikeys"]._mcp_check_credentials(
            API_KEY_SCOPE, key.strip()
        )
    except AccessDenied:
        return None
    user = request.env["res.users"].sudo().browse(uid)
    return (uid, "apikey:%d" % key_id, writes) if user.active else None


def _http(reply):
    return request.make_response(
        reply.body, headers=list(reply.headers.items()), status=reply.status
    )

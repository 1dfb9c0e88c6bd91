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
        uid = _authenticate(httprequest.headers.get("Authorization", ""))
        if not uid:
            reply = mcp_endpoint.error_reply(
                401,
                mcp_endpoint.INVALID_REQUEST,
                "Unauthorized: send 'Authorization: Bearer <Odoo API key>'",
            )
            reply.headers["WWW-Authenticate"] = 'Bearer realm="odoo-mcp"'
            return _http(reply)
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
        limit = int(
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("mcp_crew.mcp_max_body_bytes", mcp_endpoint.MAX_BODY_BYTES)
        )
        if (httprequest.content_length or 0) > limit:
            return _http(mcp_endpoint.body_too_large(limit))
        # One byte over the limit is enough to refuse a body sent without a length.
        body = httprequest.stream.read(limit + 1)
        headers = {name.lower(): value for name, value in httprequest.headers.items()}
        return _http(
            mcp_endpoint.handle_post(body, headers, OdooBackend(request.env), max_body=limit)
        )


def _authenticate(authorization):
    """The active user behind a bearer API key, or None."""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    try:
        uid = request.env["res.users.apikeys"]._mcp_check_credentials(API_KEY_SCOPE, key.strip())
    except AccessDenied:
        return None
    user = request.env["res.users"].sudo().browse(uid)
    return uid if user.active else None


def _http(reply):
    return request.make_response(
        reply.body, headers=list(reply.headers.items()), status=reply.status
    )

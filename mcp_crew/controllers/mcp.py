import logging

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..models.functional_settings import get_setting
from ..models.mcp_endpoint import OdooBackend
from ..models.mcp_oauth import oauth_server
from ..services import mcp_endpoint, oauth

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
        try:
            credential = _authenticate(httprequest.headers.get("Authorization", ""))
        except oauth.OAuthFailure as failure:
            return _http(_refused(failure.status, str(failure), failure))
        if not credential:
            return _http(
                _refused(
                    401, "Unauthorized: sign in (OAuth) or send 'Authorization: Bearer <API key>'"
                )
            )
        uid, principal, writes, company_ids = credential
        user = request.env["res.users"].browse(uid)
        if not user.sudo().has_group("mcp_crew.group_mcp_crew_user"):
            return _http(
                mcp_endpoint.error_reply(
                    403,
                    mcp_endpoint.INVALID_REQUEST,
                    "Forbidden: the user needs the MCP Crew user group",
                )
            )
        request.update_env(
            user=uid,
            context={
                # Rules apply per company; the first is env.company, where records are created.
                "allowed_company_ids": company_ids,
                "lang": user.sudo().lang,
            },
        )
        limit = get_setting(request.env, "mcp_max_body_bytes")
        if (httprequest.content_length or 0) > limit:
            return _http(mcp_endpoint.body_too_large(limit))
        # One byte over the limit is enough to refuse a body sent without a length.
        body = httprequest.stream.read(limit + 1)
        headers = {name.lower(): value for name, value in httprequest.headers.items()}
        return _http(
            mcp_endpoint.handle_post(
                body, headers, OdooBackend(request.env, principal, writes), max_body=limit
            )
        )


def _authenticate(authorization):
    """``(uid, principal, writes, company ids)`` of a bearer API key's active user
    (their companies, default first, as in the web client) or of an OAuth access
    token (its company), else None; a refused access token raises OAuthFailure."""
    scheme, _, key = authorization.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return None
    if key.startswith(oauth.ACCESS_TOKEN_PREFIX):
        return request.env["mcp.oauth.token"]._mcp_authenticate(key)
    try:
        uid, key_id, writes = request.env["res.users.apikeys"]._mcp_check_credentials(
            API_KEY_SCOPE, key
        )
    except AccessDenied:
        return None
    user = request.env["res.users"].sudo().browse(uid)
    if not user.active:
        return None
    return uid, "apikey:%d" % key_id, writes, list(user._mcp_company_ids())


def _refused(status, message, failure=None):
    """401/403 pointing the host at the OAuth metadata (RFC 9728)."""
    reply = mcp_endpoint.error_reply(status, mcp_endpoint.INVALID_REQUEST, message)
    reply.headers["WWW-Authenticate"] = oauth_server(request.env).challenge(failure)
    return reply


def _http(reply):
    return request.make_response(
        reply.body, headers=list(reply.headers.items()), status=reply.status
    )

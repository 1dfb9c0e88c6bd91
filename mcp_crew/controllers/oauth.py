"""OAuth 2.1 endpoints of Odoo's /mcp: metadata, consent, token, registration,
revocation. Authlib (through :mod:`..services.oauth`) does the protocol."""

from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from odoo import _, http
from odoo.http import request

from ..models.mcp_oauth import oauth_server
from ..services import oauth


def _public(routes, method):
    """An OAuth endpoint for hosts: no session, no CSRF token, any origin."""
    return http.route(
        routes, type="http", auth="none", methods=[method], csrf=False, cors="*", save_session=False
    )


class McpOauthController(http.Controller):
    @_public(
        [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
        ],
        "GET",
    )
    def protected_resource_metadata(self):
        return request.make_json_response(oauth_server(request.env).resource_metadata())

    @_public("/.well-known/oauth-authorization-server", "GET")
    def authorization_server_metadata(self):
        return request.make_json_response(oauth_server(request.env).metadata())

    @http.route(
        "/mcp/oauth/authorize", type="http", auth="user", methods=["GET", "POST"], sitemap=False
    )
    def authorize(self, **_params):
        """GET shows the consent page; only its POST (same session, CSRF token)
        answers the host, with a code or access_denied."""
        if not request.env.user.has_group("mcp_crew.group_mcp_crew_user"):
            return request.render(
                "mcp_crew.oauth_error",
                {"error": _("Your user needs the MCP Crew user group to connect applications.")},
            )
        server = oauth_server(request.env)
        grantee = oauth.Grantee(request.env.user.id, request.env.company.id)
        httprequest = request.httprequest
        if httprequest.method == "GET":
            try:
                grant = server.get_consent_grant(httprequest, end_user=grantee)
            except oauth.OAuth2Error as err:
                return request.render(
                    "mcp_crew.oauth_error", {"error": err.description or err.error}
                )
            return request.render("mcp_crew.oauth_consent", _consent_values(grant))
        form = httprequest.form
        values = MultiDict(
            (key, value)
            for key, value in form.items(multi=True)
            if key not in ("csrf_token", "decision", "write")
        )
        requested = oauth.scopes_of(values.get("scope") or "read")
        chosen = ["read"] + (["write"] if "write" in requested and form.get("write") else [])
        values["scope"] = " ".join(chosen)
        allowed = form.get("decision") == "allow"
        oauth_request = oauth.WerkzeugRequest(httprequest, values)
        try:
            grant = server.get_consent_grant(oauth_request, end_user=grantee)
            response = server.create_authorization_response(
                oauth_request, grant_user=grantee if allowed else None, grant=grant
            )
        except oauth.OAuth2Error as err:
            return request.render("mcp_crew.oauth_error", {"error": err.description or err.error})
        return _respond(response)

    @_public("/mcp/oauth/token", "POST")
    def token(self, **_params):
        return _respond(oauth_server(request.env).create_token_response(request.httprequest))

    @_public("/mcp/oauth/register", "POST")
    def register(self, **_params):
        return _respond(
            oauth_server(request.env).create_endpoint_response(
                "client_registration", request.httprequest
            )
        )

    @_public("/mcp/oauth/revoke", "POST")
    def revoke(self, **_params):
        return _respond(
            oauth_server(request.env).create_endpoint_response("revocation", request.httprequest)
        )


def _consent_values(grant):
    client = grant.client
    asked = oauth.scopes_of(grant.request.payload.scope or "read")
    return {
        "client_name": client.client_name,
        "client_id": client.client_id,
        "redirect_host": urlsplit(grant.request.payload.redirect_uri or "").netloc
        or grant.request.payload.redirect_uri,
        "user": request.env.user,
        "company": request.env.company,
        "scopes": [(scope, oauth.SCOPES[scope]) for scope in asked if scope in oauth.SCOPES],
        "params": [
            (key, value)
            for key, value in request.httprequest.args.items(multi=True)
            if key != "csrf_token"
        ],
    }


def _respond(response):
    if isinstance(response.body, dict):
        return request.make_json_response(
            response.body, headers=response.headers, status=response.status
        )
    return request.make_response(
        response.body or "", headers=response.headers, status=response.status
    )

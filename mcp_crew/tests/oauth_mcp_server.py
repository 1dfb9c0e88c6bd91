"""A real OAuth-protected MCP server for the tests, written with the SDK.

Run: ``python oauth_mcp_server.py --port 8765 [options]``. One process is both
the authorization server (the SDK's ``/authorize``, ``/token``, ``/register``
and ``/revoke`` routes over an in-memory provider, metadata per RFC 8414) and
the protected resource (streamable HTTP at ``/mcp``, metadata per RFC 9728).

The provider approves every authorization request at once (the tests play the
browser: they follow the redirect) and adds ``iss`` to the redirect (RFC 9207).
Refresh tokens rotate. Options shape what the client meets:

``--wrong-iss``               the redirect names another issuer (a mix-up attack)
``--metadata-issuer URL``     the metadata names another issuer than its own URL
``--access-ttl S``            access token lifetime (default 3600)

``POST /test/revoke-all`` revokes every token (the user revoking the app at the
vendor); ``GET /test/stats`` counts codes exchanged and tokens refreshed.
"""

import argparse
import secrets
import time

import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.fastmcp import FastMCP
from mcp.shared.auth import OAuthToken
from starlette.responses import JSONResponse
from starlette.routing import Route

SCOPE = "mcp"


class MemoryProvider:
    """``OAuthAuthorizationServerProvider`` keeping everything in memory."""

    def __init__(self, issuer, wrong_iss, access_ttl):
        self.issuer = issuer
        self.wrong_iss = wrong_iss
        self.access_ttl = access_ttl
        self.clients = {}
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.stats = {"codes_exchanged": 0, "refreshed": 0, "serial": 0}

    async def get_client(self, client_id):
        return self.clients.get(client_id)

    async def register_client(self, client_info):
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client, params):
        code = AuthorizationCode(
            code=secrets.token_urlsafe(32),
            scopes=params.scopes or [SCOPE],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject="alice",
        )
        self.codes[code.code] = code
        iss = "http://attacker.invalid/" if self.wrong_iss else self.issuer
        return construct_redirect_uri(
            str(params.redirect_uri), code=code.code, state=params.state, iss=iss
        )

    async def load_authorization_code(self, client, authorization_code):
        return self.codes.get(authorization_code)

    def _issue(self, client_id, scopes, resource):
        self.stats["serial"] += 1
        serial = self.stats["serial"]
        access = AccessToken(
            token="at-%d-%s" % (serial, secrets.token_urlsafe(24)),
            client_id=client_id,
            scopes=scopes,
            expires_at=int(time.time() + self.access_ttl),
            resource=resource,
            subject="alice",
            claims={"serial": serial},
        )
        refresh = RefreshToken(
            token="rt-%d-%s" % (serial, secrets.token_urlsafe(24)),
            client_id=client_id,
            scopes=scopes,
            resource=resource,
            subject="alice",
        )
        self.access[access.token] = access
        self.refresh[refresh.token] = refresh
        return OAuthToken(
            access_token=access.token,
            expires_in=self.access_ttl,
            scope=" ".join(scopes),
            refresh_token=refresh.token,
        )

    async def exchange_authorization_code(self, client, authorization_code):
        self.codes.pop(authorization_code.code, None)
        self.stats["codes_exchanged"] += 1
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(self, client, refresh_token):
        token = self.refresh.get(refresh_token)
        return token if token and token.client_id == client.client_id else None

    async def exchange_refresh_token(self, client, refresh_token, scopes):
        # Rotation: the old refresh token and every access token of the client go.
        self.refresh.pop(refresh_token.token, None)
        for key in [k for k, v in self.access.items() if v.client_id == client.client_id]:
            del self.access[key]
        self.stats["refreshed"] += 1
        return self._issue(client.client_id, scopes or refresh_token.scopes, refresh_token.resource)

    async def load_access_token(self, token):
        access = self.access.get(token)
        if access and access.expires_at and access.expires_at < time.time():
            return None
        return access

    async def revoke_token(self, token):
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


def build_app(port, wrong_iss=False, metadata_issuer=None, access_ttl=3600):
    base = "http://127.0.0.1:%d" % port
    provider = MemoryProvider(base + "/", wrong_iss, access_ttl)
    server = FastMCP(
        "oauth-test",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=base,
            resource_server_url=base + "/mcp",
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
            ),
            revocation_options=RevocationOptions(enabled=True),
            required_scopes=[SCOPE],
            validate_token_resource=False,
        ),
        host="127.0.0.1",
        port=port,
    )

    @server.tool()
    def whoami() -> str:
        """Who the bearer token belongs to, and which token it is."""
        token = get_access_token()
        return "%s token #%s" % (token.subject, (token.claims or {}).get("serial"))

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    async def revoke_all(_request):
        provider.access.clear()
        provider.refresh.clear()
        return JSONResponse({"revoked": True})

    async def stats(_request):
        return JSONResponse(provider.stats)

    app = server.streamable_http_app()
    app.router.routes.append(Route("/test/revoke-all", revoke_all, methods=["POST"]))
    app.router.routes.append(Route("/test/stats", stats, methods=["GET"]))
    if metadata_issuer:
        # Served before the SDK's own route: metadata claiming another issuer.
        async def lying_metadata(_request):
            document = {
                "issuer": metadata_issuer,
                "authorization_endpoint": base + "/authorize",
                "token_endpoint": base + "/token",
                "registration_endpoint": base + "/register",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }
            return JSONResponse(document)

        app.router.routes.insert(
            0, Route("/.well-known/oauth-authorization-server", lying_metadata, methods=["GET"])
        )
    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--wrong-iss", action="store_true")
    parser.add_argument("--metadata-issuer")
    parser.add_argument("--access-ttl", type=int, default=3600)
    options = parser.parse_args()
    app = build_app(options.port, options.wrong_iss, options.metadata_issuer, options.access_ttl)
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()

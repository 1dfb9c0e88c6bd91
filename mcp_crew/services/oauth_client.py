"""OAuth 2.1 sign-in to remote MCP servers: the client side.

Hosted MCP servers ask for a bearer token from their authorization server. The
steps follow the MCP authorization spec, each done by a library:

1. :func:`discover` — the server's 401 points at its protected resource
   metadata (RFC 9728), which names the authorization server, whose metadata
   (RFC 8414) must name the issuer it was fetched for. The MCP SDK's
   ``mcp.client.auth`` helpers build the well-known URLs, parse and check.
2. :func:`register` — the client: a client ID metadata document the adapter
   serves (when the server supports it and the document's URL is https), else
   dynamic registration (RFC 7591), else the id/secret an administrator typed.
   The SDK's helpers again.
3. :func:`authorization_request` / :func:`complete_authorization` — the code
   flow with PKCE S256 and the RFC 8707 ``resource``, then the issuer of the
   redirect (RFC 9207 ``iss``) is checked before the code is exchanged:
   Authlib's OAuth 2 client.
4. :func:`refresh` / :func:`revoke` — Authlib again. A refusal by the
   authorization server (``invalid_grant``: revoked, expired, reused) raises
   :class:`~.errors.SignInRequired`; a network failure raises
   :class:`~.errors.OAuthUnavailable` and leaves the connection as it is.

The SDK's own ``OAuthClientProvider`` runs all of this inside one HTTP request
of one process, waiting for the browser; an Odoo sign-in spans two requests
that may reach two workers, so the state between them (:class:`Pending`) is
stored by the adapter. No ``odoo`` import here. Every HTTP request goes
through the :class:`~.network_policy.NetworkPolicy`: metadata comes from the
remote server and must not make Odoo call into the internal network.
Error messages never carry tokens, codes or secrets.
"""

import dataclasses
import json
import logging
import secrets
import sys
import time

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError as AuthlibOAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from mcp.client.auth import OAuthFlowError
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    create_client_info_from_metadata_url,
    create_client_registration_request,
    create_oauth_metadata_request,
    extract_resource_metadata_from_www_auth,
    extract_scope_from_www_auth,
    get_client_metadata_scopes,
    handle_auth_metadata_response,
    handle_protected_resource_response,
    handle_registration_response,
    is_valid_client_metadata_url,
    issuers_match,
    should_use_client_metadata_url,
    validate_metadata_issuer,
)
from mcp.shared.auth import OAuthClientMetadata, OAuthMetadata
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from mcp.types import LATEST_PROTOCOL_VERSION

from . import redaction
from .errors import DestinationRefused, OAuthUnavailable, SignInFailed, SignInRequired
from .network_policy import GuardedTransport, NetworkPolicy

_logger = logging.getLogger(__name__)
# The HTTP library Authlib's client is built on (see _authlib_transport).
_AUTHLIB_HTTP = sys.modules[
    next(c for c in AsyncOAuth2Client.__mro__ if c.__name__ == "AsyncClient").__module__.split(".")[
        0
    ]
]

# A token this close to its expiry is refreshed before use.
REFRESH_MARGIN = 120
# How long an administrator has to finish signing in.
PENDING_TTL = 15 * 60
CLIENT_NAME = "Odoo MCP Crew"


@dataclasses.dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found: where to sign in, for which resource."""

    resource: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str = ""
    revocation_endpoint: str = ""
    scope: str = ""
    client_id_metadata_document_supported: bool = False
    # RFC 9207: the server promises ``iss`` on every redirect, so a redirect
    # without one is refused too.
    iss_parameter_supported: bool = False
    token_endpoint_auth_methods: tuple = ()

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        values["token_endpoint_auth_methods"] = tuple(values.get("token_endpoint_auth_methods", ()))
        return cls(**values)


@dataclasses.dataclass(frozen=True, repr=False)
class Client:
    """This Odoo as a client of one authorization server."""

    client_id: str
    client_secret: str = ""
    token_endpoint_auth_method: str = "none"
    # How it got its id: metadata_document, dynamic, manual.
    registration: str = "manual"

    def __post_init__(self):
        redaction.protect(self.client_secret)

    def __repr__(self):
        return "Client(%s, %s)" % (self.client_id, self.registration)


@dataclasses.dataclass(frozen=True, repr=False)
class Pending:
    """A sign-in between the redirect to the authorization server and the callback."""

    state: str
    code_verifier: str
    redirect_uri: str
    expires_at: float

    def __post_init__(self):
        redaction.protect(self.code_verifier)

    def __repr__(self):
        return "Pending(expires_at=%s)" % self.expires_at


@dataclasses.dataclass(frozen=True, repr=False)
class Tokens:
    access_token: str
    refresh_token: str = ""
    # Absolute (epoch seconds); 0 when the server did not say.
    expires_at: float = 0.0
    scope: str = ""

    def __post_init__(self):
        redaction.protect(self.access_token)
        redaction.protect(self.refresh_token)

    def __repr__(self):
        return "Tokens(expires_at=%s, scope=%r)" % (self.expires_at, self.scope)

    def due(self, now=None, margin=REFRESH_MARGIN):
        """Whether to refresh before use: expiring within ``margin`` seconds."""
        return bool(self.expires_at) and self.expires_at - (now or time.time()) < margin

    @classmethod
    def from_response(cls, token, previous_refresh=""):
        expires_at = token.get("expires_at")
        if not expires_at and token.get("expires_in"):
            expires_at = time.time() + float(token["expires_in"])
        return cls(
            access_token=token["access_token"],
            # A server that does not rotate keeps the old refresh token valid.
            refresh_token=token.get("refresh_token") or previous_refresh,
            expires_at=float(expires_at or 0.0),
            scope=token.get("scope") or "",
        )


@dataclasses.dataclass(frozen=True)
class Net:
    """How the flow reaches servers: the network policy and a per-request timeout."""

    policy: NetworkPolicy = NetworkPolicy()
    timeout: float = 10.0

    def http(self, home_url):
        """An httpx client whose every request obeys the policy; no redirects followed."""
        return httpx.AsyncClient(
            timeout=self.timeout,
            trust_env=False,
            transport=GuardedTransport(self.policy, home_url),
        )

    def oauth(self, client, url, redirect_uri=None, scope=None):
        """Authlib's OAuth 2 client (an httpx client too) for requests to ``url``."""
        return AsyncOAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret or None,
            token_endpoint_auth_method=client.token_endpoint_auth_method,
            revocation_endpoint_auth_method=client.token_endpoint_auth_method,
            redirect_uri=redirect_uri,
            scope=scope or None,
            code_challenge_method="S256",
            timeout=self.timeout,
            trust_env=False,
            transport=_authlib_transport(GuardedTransport(self.policy, url)),
        )


def _authlib_transport(guarded):
    """``guarded`` for Authlib's client, which is built on ``httpx2`` when that
    is installed (and on ``httpx`` otherwise): a bridge keeps the one network
    policy for both."""
    if _AUTHLIB_HTTP is httpx:
        return guarded

    class Bridge(_AUTHLIB_HTTP.AsyncBaseTransport):
        async def handle_async_request(self, request):
            inner = httpx.Request(
                request.method,
                str(request.url),
                headers=request.headers.raw,
                content=await request.aread(),
                extensions=dict(request.extensions),
            )
            response = await guarded.handle_async_request(inner)
            try:
                # Raw bytes: the headers still say how they are encoded.
                content = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
            return _AUTHLIB_HTTP.Response(
                response.status_code, headers=response.headers.raw, content=content, request=request
            )

        async def aclose(self):
            await guarded.aclose()

    return Bridge()


def _refusal(err):
    """A credential-free reason from an httpx or SDK failure."""
    if isinstance(err, DestinationRefused):
        return str(err)
    if isinstance(err, httpx.TimeoutException):
        return "timeout"
    if isinstance(err, httpx.HTTPError):
        return "connection failed"
    return redaction.REDACTOR.redact(str(err)[:300])


# -- 1. discovery ---------------------------------------------------------------------------


async def discover(server_url, net):
    """Find where to sign in for the MCP server at ``server_url``.

    Raises :class:`SignInFailed` when the server publishes no usable metadata or
    its authorization server's metadata names another issuer.
    """
    try:
        async with net.http(server_url) as http:
            return await _discover(server_url, http)
    except (OAuthFlowError, ValueError) as err:
        raise SignInFailed("discovery: %s" % _refusal(err)) from err
    except (httpx.HTTPError, DestinationRefused) as err:
        raise OAuthUnavailable("discovery: %s" % _refusal(err)) from err


async def _discover(server_url, http):
    # An unauthenticated MCP request: the 401 names the resource metadata and scope.
    challenge = await http.post(
        server_url,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "mcp_crew", "version": "16.0"},
            },
        },
        headers={
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": LATEST_PROTOCOL_VERSION,
        },
    )
    await challenge.aread()
    header_url = None
    if challenge.status_code in (401, 403):
        header_url = extract_resource_metadata_from_www_auth(challenge)
    resource_metadata = None
    for url in build_protected_resource_metadata_discovery_urls(header_url, server_url):
        response = await http.send(create_oauth_metadata_request(url))
        resource_metadata = await handle_protected_resource_response(response)
        if resource_metadata:
            break
    expected_resource = resource_url_from_server_url(server_url)
    auth_server = None
    resource = expected_resource
    if resource_metadata is not None:
        published = str(resource_metadata.resource)
        if not check_resource_allowed(expected_resource, published):
            raise SignInFailed(
                "the server's metadata is for resource %s, not %s" % (published, expected_resource)
            )
        resource = published
        auth_server = str(resource_metadata.authorization_servers[0])
    elif challenge.status_code not in (401, 403):
        raise SignInFailed(
            "the server did not ask for sign-in (HTTP %s) and publishes no OAuth metadata"
            % challenge.status_code
        )
    # Without resource metadata (2025-03-26 servers) the issuer is the server's origin.
    expected_issuer = auth_server or _origin(server_url)
    metadata = raw = None
    for url in build_oauth_authorization_server_metadata_discovery_urls(auth_server, server_url):
        response = await http.send(create_oauth_metadata_request(url))
        found, metadata = await handle_auth_metadata_response(response)
        if not found:
            break
        if metadata is not None:
            validate_metadata_issuer(metadata, expected_issuer)
            raw = response.json()
            break
    if metadata is None:
        raise SignInFailed("no authorization server metadata for %s" % expected_issuer)
    scope = get_client_metadata_scopes(
        extract_scope_from_www_auth(challenge), resource_metadata, metadata
    )
    return Discovery(
        resource=resource,
        issuer=str(metadata.issuer),
        authorization_endpoint=str(metadata.authorization_endpoint),
        token_endpoint=str(metadata.token_endpoint),
        registration_endpoint=str(metadata.registration_endpoint or ""),
        revocation_endpoint=str(metadata.revocation_endpoint or ""),
        scope=scope or "",
        client_id_metadata_document_supported=bool(metadata.client_id_metadata_document_supported),
        iss_parameter_supported=raw.get("authorization_response_iss_parameter_supported") is True,
        token_endpoint_auth_methods=tuple(metadata.token_endpoint_auth_methods_supported or ()),
    )


def _origin(url):
    parsed = httpx.URL(url)
    port = "" if parsed.port is None else ":%s" % parsed.port
    return "%s://%s%s" % (parsed.scheme, parsed.host, port)


# -- 2. registration ------------------------------------------------------------------------


# How this Odoo authenticates at token endpoints, best first: it keeps secrets,
# so a confidential client when the server takes one. The form post first: some
# servers (the MCP SDK's) want client_id in the body even with Basic.
AUTH_METHODS = ("client_secret_post", "client_secret_basic", "none")


def client_metadata(redirect_uri, scope="", client_name=CLIENT_NAME, auth_method="none"):
    """This Odoo's client metadata (RFC 7591), also its client ID metadata document."""
    return OAuthClientMetadata(
        redirect_uris=[redirect_uri],
        token_endpoint_auth_method=auth_method,
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        scope=scope or None,
        client_name=client_name,
    )


def metadata_document(document_url, redirect_uri, client_name=CLIENT_NAME):
    """The client ID metadata document served at ``document_url`` (its own client_id)."""
    values = client_metadata(redirect_uri, client_name=client_name).model_dump(
        mode="json", exclude_none=True
    )
    values["client_id"] = document_url
    return values


async def register(discovery, redirect_uri, net, document_url=None, manual=None):
    """This Odoo's client at ``discovery``'s authorization server.

    ``manual``: a :class:`Client` an administrator typed; used as it is.
    ``document_url``: where this Odoo serves its client ID metadata document,
    used when the server supports such documents (and the URL is https).
    Else dynamic registration; else :class:`SignInFailed` asking for an id.
    """
    if manual is not None and manual.client_id:
        return manual
    metadata = _sdk_metadata(discovery)
    # The document must be https (the SDK checks it only in its own provider).
    if is_valid_client_metadata_url(document_url) and should_use_client_metadata_url(
        metadata, document_url
    ):
        info = create_client_info_from_metadata_url(document_url, redirect_uris=[redirect_uri])
        return Client(info.client_id, registration="metadata_document")
    if not discovery.registration_endpoint:
        raise SignInFailed(
            "the authorization server %s offers no dynamic registration: an administrator "
            "must register a client there and type its client id (and secret)" % discovery.issuer
        )
    offered = discovery.token_endpoint_auth_methods
    # A server that lists no methods takes "none" (public clients with PKCE).
    auth_method = next((m for m in AUTH_METHODS if m in offered), "none") if offered else "none"
    request = create_client_registration_request(
        metadata,
        client_metadata(redirect_uri, discovery.scope, auth_method=auth_method),
        discovery.issuer,
    )
    try:
        async with net.http(str(request.url)) as http:
            response = await http.send(request)
            info = await handle_registration_response(response)
    except OAuthFlowError as err:
        raise SignInFailed("registration refused: %s" % _refusal(err)) from err
    except (httpx.HTTPError, DestinationRefused) as err:
        raise OAuthUnavailable("registration: %s" % _refusal(err)) from err
    return Client(
        info.client_id,
        info.client_secret or "",
        info.token_endpoint_auth_method or ("client_secret_post" if info.client_secret else "none"),
        registration="dynamic",
    )


def _sdk_metadata(discovery):
    return OAuthMetadata(
        issuer=discovery.issuer,
        authorization_endpoint=discovery.authorization_endpoint,
        token_endpoint=discovery.token_endpoint,
        registration_endpoint=discovery.registration_endpoint or None,
        client_id_metadata_document_supported=discovery.client_id_metadata_document_supported,
    )


# -- 3. authorization code flow with PKCE ----------------------------------------------------


def authorization_request(discovery, client, redirect_uri):
    """``(url, pending)``: where to send the browser, and what the callback needs."""
    code_verifier = generate_token(64)
    oauth = Net().oauth(
        client, discovery.authorization_endpoint, redirect_uri=redirect_uri, scope=discovery.scope
    )
    url, state = oauth.create_authorization_url(
        discovery.authorization_endpoint,
        state=secrets.token_urlsafe(32),
        code_verifier=code_verifier,
        resource=discovery.resource,
    )
    return url, Pending(state, code_verifier, redirect_uri, time.time() + PENDING_TTL)


def check_callback(discovery, pending, params):
    """Refuse a redirect that is not the answer to ``pending`` from ``discovery``'s issuer."""
    if not secrets.compare_digest(params.get("state") or "", pending.state):
        raise SignInFailed("the sign-in answer does not match the request (state)")
    if pending.expires_at < time.time():
        raise SignInFailed("the sign-in took too long; connect again")
    issuer = params.get("iss")
    if issuer is not None and not issuers_match(issuer, discovery.issuer):
        raise SignInFailed(
            "the sign-in answer comes from issuer %s, not %s: refused (RFC 9207)"
            % (issuer[:200], discovery.issuer)
        )
    if issuer is None and discovery.iss_parameter_supported:
        raise SignInFailed("the sign-in answer does not name its issuer (RFC 9207): refused")
    if params.get("error"):
        raise SignInFailed(
            "the authorization server refused: %s %s"
            % (params["error"][:100], (params.get("error_description") or "")[:300])
        )
    if not params.get("code"):
        raise SignInFailed("the sign-in answer carries no authorization code")


async def complete_authorization(discovery, client, pending, params, net):
    """Check the callback's ``params`` then trade the code for :class:`Tokens`."""
    # Single use and bound to the verifier, but no log line (the web server's
    # access log of the callback included) needs to show them.
    redaction.protect(params.get("code"))
    redaction.protect(params.get("state"))
    check_callback(discovery, pending, params)
    oauth = net.oauth(client, discovery.token_endpoint, redirect_uri=pending.redirect_uri)
    async with oauth:
        try:
            token = await oauth.fetch_token(
                discovery.token_endpoint,
                grant_type="authorization_code",
                code=params["code"],
                code_verifier=pending.code_verifier,
                redirect_uri=pending.redirect_uri,
                resource=discovery.resource,
            )
        except AuthlibOAuthError as err:
            raise SignInFailed("the code was refused: %s" % err.error) from err
        except (httpx.HTTPError, DestinationRefused) as err:
            raise OAuthUnavailable("token endpoint: %s" % _refusal(err)) from err
    return Tokens.from_response(token)


# -- 4. refresh and revocation ----------------------------------------------------------------


async def refresh(discovery, client, tokens, net):
    """New :class:`Tokens` from ``tokens.refresh_token``.

    :class:`SignInRequired` when there is none or the server refuses it;
    :class:`OAuthUnavailable` when the server cannot be reached (try again later).
    """
    if not tokens.refresh_token:
        raise SignInRequired("the access token expired and there is no refresh token")
    oauth = net.oauth(client, discovery.token_endpoint)
    async with oauth:
        try:
            token = await oauth.refresh_token(
                discovery.token_endpoint,
                refresh_token=tokens.refresh_token,
                resource=discovery.resource,
            )
        except AuthlibOAuthError as err:
            raise SignInRequired("the refresh was refused (%s)" % err.error) from err
        except httpx.HTTPStatusError as err:
            if err.response.status_code < 500:
                raise SignInRequired(
                    "the refresh was refused (HTTP %s)" % err.response.status_code
                ) from err
            raise OAuthUnavailable("token endpoint: HTTP %s" % err.response.status_code) from err
        except (httpx.HTTPError, DestinationRefused) as err:
            raise OAuthUnavailable("token endpoint: %s" % _refusal(err)) from err
        except ValueError as err:
            raise SignInRequired("the refresh answer is not a token") from err
    return Tokens.from_response(token, tokens.refresh_token)


async def revoke(discovery, client, tokens, net):
    """Revoke the refresh token (and with it, at most servers, the access token).

    Best effort: returns False when the server has no revocation endpoint or
    did not accept it; the caller forgets the tokens anyway.
    """
    if not discovery.revocation_endpoint:
        return False
    oauth = net.oauth(client, discovery.revocation_endpoint)
    async with oauth:
        for token, hint in (
            (tokens.refresh_token, "refresh_token"),
            (tokens.access_token, "access_token"),
        ):
            if not token:
                continue
            try:
                response = await oauth.revoke_token(
                    discovery.revocation_endpoint, token=token, token_type_hint=hint
                )
            except (httpx.HTTPError, DestinationRefused) as err:
                _logger.info(
                    "mcp_crew: token revocation at %s failed: %s", discovery.issuer, _refusal(err)
                )
                return False
            if response.status_code != 200:
                return False
    return True

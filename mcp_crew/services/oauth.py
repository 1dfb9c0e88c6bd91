"""OAuth 2.1 for Odoo's ``/mcp``: the authorization server, on Authlib.

MCP hosts that sign users in (Claude and ChatGPT connectors, VS Code…) follow
the MCP authorization spec: a 401 from ``/mcp`` points them at the protected
resource metadata (RFC 9728), which names this Odoo as the authorization
server (metadata per RFC 8414); they register (a client ID metadata document,
or RFC 7591 dynamic registration), send the user to ``authorize`` (code flow
with PKCE S256, always), and trade the code for a short-lived access token
bound to the user, their company, the scopes they consented to and this
``/mcp`` (the audience, RFC 8707 ``resource``), plus a refresh token that is
rotated on use. Tokens are revocable (RFC 7009, and from Odoo's UI).

Authlib does the protocol; this module wires its grants and endpoints to a
:class:`Store` the Odoo adapter implements (no ``odoo`` import here) and to
werkzeug requests (Odoo's). Tokens and codes are random strings stored only as
SHA-256 hashes.
"""

import dataclasses
import hashlib
import secrets
import time
from functools import cached_property
from urllib.parse import urlsplit

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter

# What a host may ask for; "read" is what any use of /mcp needs.
SCOPES = {
    "read": "Read the records you can read in Odoo, through MCP tools",
    "write": "Create and change records as you (tools that change data)",
}
ACCESS_TOKEN_PREFIX = "mcp_at_"  # tells /mcp an OAuth token from an API key at once
REFRESH_TOKEN_PREFIX = "mcp_rt_"
ACCESS_TOKEN_TTL = 15 * 60
REFRESH_TOKEN_TTL = 30 * 24 * 3600
CODE_TTL = 5 * 60
CLIENT_METADATA_MAX_BYTES = 16 * 1024


class OAuthFailure(Exception):
    """A bearer token /mcp refuses: ``error`` (RFC 6750) and HTTP ``status``."""

    def __init__(self, description, error="invalid_token", status=401):
        super().__init__(description)
        self.error = error
        self.status = status


def digest(secret):
    """How tokens, codes and client secrets are stored: their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_of(scope):
    return [item for item in (scope or "").split() if item]


# -- what the store holds ------------------------------------------------------------------


@dataclasses.dataclass
class Client(ClientMixin):
    client_id: str
    client_name: str
    redirect_uris: list
    token_endpoint_auth_method: str = "none"
    secret_hash: str = ""
    metadata_url: bool = False  # client_id is the URL of its metadata document
    grant_types: tuple = ("authorization_code", "refresh_token")

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return " ".join(item for item in scopes_of(scope) if item in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return bool(self.secret_hash) and secrets.compare_digest(
            self.secret_hash, digest(client_secret)
        )

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


@dataclasses.dataclass
class Grantee:
    """Who consented: the user, and the company the access is bound to."""

    user_id: int
    company_id: int


@dataclasses.dataclass
class Code(AuthorizationCodeMixin):
    client_id: str
    grantee: Grantee
    scope: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    resource: str
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


@dataclasses.dataclass
class Token(TokenMixin):
    """An issued access token (and its refresh token), as the store keeps it."""

    id: int
    client_id: str
    grantee: Grantee
    scope: str
    resource: str
    access_expires_at: float
    refresh_expires_at: float
    revoked: bool = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return max(0, int(self.access_expires_at - time.time()))

    def is_expired(self):
        return self.access_expires_at < time.time()

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.grantee

    def get_client(self):
        raise NotImplementedError  # not needed by the grants used here


class Store:
    """Persistence, implemented by the Odoo adapter (hashes only, never secrets)."""

    def find_client(self, client_id):
        raise NotImplementedError

    def save_client(self, client):
        raise NotImplementedError

    def fetch_client_metadata(self, url):
        """The JSON document at ``url`` (a client ID metadata document)."""
        raise NotImplementedError

    def save_code(self, code_hash, code):
        raise NotImplementedError

    def take_code(self, code_hash, client_id):
        """The unexpired code for this client, deleted as it is taken; else None."""
        raise NotImplementedError

    def save_token(self, access_hash, refresh_hash, token):
        raise NotImplementedError

    def find_token(self, token_hash, kind):
        """The :class:`Token` whose ``kind`` ("access_token"/"refresh_token") hashes to this."""
        raise NotImplementedError

    def revoke_token(self, token):
        raise NotImplementedError


# -- werkzeug requests, as Authlib wants them ---------------------------------------------


class _Payload(OAuth2Payload):
    def __init__(self, values):
        self._values = values

    @property
    def data(self):
        return {key: self._values.get(key) for key in self._values}

    @cached_property
    def datalist(self):
        return {key: self._values.getlist(key) for key in self._values}


class WerkzeugRequest(OAuth2Request):
    """An Authlib request over a werkzeug one; ``values`` replaces its parameters
    (the consent form posts the authorization request back)."""

    def __init__(self, request, values=None):
        super().__init__(request.method, request.url, headers=request.headers)
        self._request = request
        self.payload = _Payload(values if values is not None else request.values)

    @property
    def args(self):
        return self._request.args

    @property
    def form(self):
        return self._request.form


class _JsonPayload(JsonPayload):
    def __init__(self, request):
        self._request = request

    @property
    def data(self):
        data = self._request.get_json(silent=True)
        return data if isinstance(data, dict) else {}


class WerkzeugJsonRequest(JsonRequest):
    def __init__(self, request):
        super().__init__(request.method, request.url, request.headers)
        self.payload = _JsonPayload(request)


# -- grants and endpoints -----------------------------------------------------------------


class S256Challenge(CodeChallenge):
    """PKCE for every client (OAuth 2.1), S256 only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        return super().validate_code_challenge(grant, redirect_uri)


def _check_resource(server, request, expected=None):
    """RFC 8707: the token's audience is this /mcp; anything else is refused."""
    resource = request.payload.data.get("resource")
    if resource and resource.rstrip("/") != (expected or server.resource).rstrip("/"):
        raise OAuth2Error(
            description="This server issues tokens for %s only" % server.resource,
            error="invalid_target",
            status_code=400,
        )
    return server.resource


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        if "read" not in scopes_of(self.client_scope()):
            raise InvalidScopeError(
                "The 'read' scope is needed to use /mcp", redirect_uri=redirect_uri
            )
        _check_resource(self.server, self.request)
        return redirect_uri

    def client_scope(self):
        """The scope asked for, or read when none is named."""
        return self.request.payload.scope or "read"

    def save_authorization_code(self, code, request):
        self.server.store.save_code(
            digest(code),
            Code(
                client_id=request.client.get_client_id(),
                grantee=request.user,
                scope=request.client.get_allowed_scope(self.client_scope()),
                redirect_uri=request.payload.redirect_uri,
                code_challenge=request.payload.data.get("code_challenge"),
                code_challenge_method=request.payload.data.get("code_challenge_method") or "S256",
                resource=self.server.resource,
                expires_at=time.time() + CODE_TTL,
            ),
        )

    def query_authorization_code(self, code, client):
        return self.server.store.take_code(digest(code), client.get_client_id())

    def delete_authorization_code(self, authorization_code):
        pass  # taken (deleted) when queried: a code works once

    def authenticate_user(self, authorization_code):
        _check_resource(self.server, self.request, authorization_code.resource)
        return authorization_code.grantee


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: a refresh token works once

    def authenticate_refresh_token(self, refresh_token):
        token = self.server.store.find_token(digest(refresh_token), "refresh_token")
        if token and not token.revoked and token.refresh_expires_at > time.time():
            return token
        return None

    def authenticate_user(self, refresh_token):
        _check_resource(self.server, self.request, refresh_token.resource)
        return refresh_token.grantee

    def revoke_old_credential(self, refresh_token):
        self.server.store.revoke_token(refresh_token)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        kinds = ["access_token", "refresh_token"]
        if token_type_hint == "refresh_token":
            kinds.reverse()
        for kind in kinds:
            token = self.server.store.find_token(digest(token_string), kind)
            if token:
                return token
        return None

    def revoke_token(self, token, request):
        self.server.store.revoke_token(token)


class Registration(ClientRegistrationEndpoint):
    """RFC 7591, open (as MCP hosts expect): public clients with redirect URIs."""

    claims_classes = [ClientMetadataClaims]

    def authenticate_token(self, request):
        return True  # open registration; the user still consents to each client

    def get_server_metadata(self):
        return self.server.metadata()

    def generate_client_info(self, request):
        info = super().generate_client_info(request)
        if request.payload.data.get("token_endpoint_auth_method") == "none":
            del info["client_secret"], info["client_secret_expires_at"]  # public: PKCE
        return info

    def save_client(self, client_info, client_metadata, request):
        method = client_metadata.get("token_endpoint_auth_method") or "none"
        if method not in ("none", "client_secret_basic", "client_secret_post"):
            raise InvalidClientError("Unsupported token_endpoint_auth_method")
        redirect_uris = _redirect_uris(client_metadata)
        client = Client(
            client_id=client_info["client_id"],
            client_name=client_metadata.get("client_name") or client_info["client_id"],
            redirect_uris=redirect_uris,
            token_endpoint_auth_method=method,
            secret_hash="" if method == "none" else digest(client_info["client_secret"]),
        )
        self.server.store.save_client(client)
        return client


def _redirect_uris(metadata):
    """Redirect URIs a client may use: https, or http on the loopback (RFC 8252)."""
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(uri, str) for uri in uris):
        raise InvalidClientError("redirect_uris must list at least one URI")
    for uri in uris:
        parts = urlsplit(uri)
        loopback = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.fragment or not (parts.scheme == "https" or loopback or _native_scheme(parts)):
            raise InvalidClientError("Redirect URI not allowed: %s" % uri)
    return uris


def _native_scheme(parts):
    """A private-use scheme of a native app (RFC 8252 §7.1), e.g. cursor://…"""
    return parts.scheme not in ("http", "https", "javascript", "data", "file") and "." in (
        parts.scheme + (parts.netloc or ".")
    )


def client_from_metadata_document(url, document):
    """A :class:`Client` from its client ID metadata document, checked."""
    if not isinstance(document, dict) or document.get("client_id") != url:
        raise InvalidClientError("The client metadata document must name its own URL as client_id")
    method = document.get("token_endpoint_auth_method") or "none"
    if method != "none":
        raise InvalidClientError("Clients identified by a metadata document are public")
    return Client(
        client_id=url,
        client_name=str(document.get("client_name") or urlsplit(url).hostname),
        redirect_uris=_redirect_uris(document),
        metadata_url=True,
    )


def is_metadata_url(client_id):
    parts = urlsplit(client_id or "")
    return parts.scheme == "https" and parts.hostname and parts.path not in ("", "/")


@dataclasses.dataclass
class Response:
    """What an endpoint answers, for the adapter to send (``body``: dict → JSON)."""

    status: int
    body: object
    headers: list

    @property
    def location(self):
        return dict(self.headers).get("Location")

    @location.setter
    def location(self, value):  # RFC 9207's hook adds ``iss`` to the redirect
        self.headers = [item for item in self.headers if item[0] != "Location"]
        self.headers.append(("Location", value))


class Issuer(IssuerParameter):
    def __init__(self, issuer):
        self.issuer = issuer

    def get_issuer(self):
        return self.issuer


def _new_secret(prefix):
    return prefix + secrets.token_urlsafe(32)


class Server(AuthorizationServer):
    """The authorization server of one Odoo database.

    ``issuer`` is the database's public URL, ``resource`` its ``/mcp``.
    Endpoints answer a :class:`Response` for the adapter to send.
    """

    def __init__(self, store, issuer, resource):
        super().__init__(scopes_supported=list(SCOPES))
        self.store = store
        self.issuer = issuer.rstrip("/")
        self.resource = resource
        self.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Registration)
        self.register_extension(Issuer(self.issuer))
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                lambda *args, **kwargs: _new_secret(ACCESS_TOKEN_PREFIX),
                lambda *args, **kwargs: _new_secret(REFRESH_TOKEN_PREFIX),
                lambda client, grant_type: ACCESS_TOKEN_TTL,
            ),
        )

    # -- Authlib's framework hooks

    def query_client(self, client_id):
        client = self.store.find_client(client_id)
        if client is None and is_metadata_url(client_id):
            client = client_from_metadata_document(
                client_id, self.store.fetch_client_metadata(client_id)
            )
            self.store.save_client(client)
        return client

    def save_token(self, token, request):
        source = request.authorization_code or request.refresh_token
        now = time.time()
        self.store.save_token(
            digest(token["access_token"]),
            digest(token["refresh_token"]),
            Token(
                id=0,
                client_id=request.client.get_client_id(),
                grantee=request.user,
                scope=token.get("scope") or source.get_scope(),
                resource=source.resource,
                access_expires_at=now + token["expires_in"],
                refresh_expires_at=now + REFRESH_TOKEN_TTL,
            ),
        )

    def create_oauth2_request(self, request):
        return request if isinstance(request, OAuth2Request) else WerkzeugRequest(request)

    def create_json_request(self, request):
        return WerkzeugJsonRequest(request)

    def handle_response(self, status, body, headers):
        return Response(status, body, list(headers or []))

    def send_signal(self, name, *args, **kwargs):
        pass

    # -- metadata

    def metadata(self):
        """Authorization server metadata (RFC 8414)."""
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": base + "/mcp/oauth/authorize",
            "token_endpoint": base + "/mcp/oauth/token",
            "registration_endpoint": base + "/mcp/oauth/register",
            "revocation_endpoint": base + "/mcp/oauth/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }

    def resource_metadata(self):
        """Protected resource metadata of /mcp (RFC 9728)."""
        return {
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": list(SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Odoo MCP server",
        }

    def resource_metadata_url(self):
        """RFC 9728 §3.1: the well-known path with the resource's path appended."""
        return "%s/.well-known/oauth-protected-resource%s" % (
            self.issuer,
            urlsplit(self.resource).path,
        )

    def challenge(self, failure=None):
        """The ``WWW-Authenticate`` of a refused /mcp request."""
        value = 'Bearer resource_metadata="%s", scope="%s"' % (
            self.resource_metadata_url(),
            " ".join(SCOPES),
        )
        if failure is not None:
            value += ', error="%s", error_description="%s"' % (
                failure.error,
                str(failure).replace('"', "'"),
            )
        return value

    # -- using a token

    def authenticate(self, access_token):
        """The :class:`Token` behind a bearer access token, or :class:`OAuthFailure`."""
        token = self.store.find_token(digest(access_token), "access_token")
        if token is None:
            raise OAuthFailure("Unknown access token")
        if token.revoked:
            raise OAuthFailure("This access token was revoked")
        if token.is_expired():
            raise OAuthFailure("This access token expired; refresh it")
        if token.resource.rstrip("/") != self.resource.rstrip("/"):
            raise OAuthFailure("This access token is for another resource (%s)" % token.resource)
        if "read" not in scopes_of(token.scope):
            raise OAuthFailure(
                "This access token lacks the 'read' scope", "insufficient_scope", 403
            )
        return token

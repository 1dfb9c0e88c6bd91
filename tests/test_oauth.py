"""The OAuth 2.1 authorization server of /mcp (services.oauth, on Authlib) over
an in-memory store and werkzeug requests: the code flow with PKCE, audiences,
refresh rotation, revocation, registration and metadata documents."""

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mcp_crew.services import oauth

ISSUER = "https://erp.example.com"
RESOURCE = ISSUER + "/mcp"
REDIRECT = "http://127.0.0.1:3030/callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
ALICE = oauth.Grantee(user_id=7, company_id=1)


class MemoryStore(oauth.Store):
    def __init__(self, documents=None):
        self.clients = {}
        self.codes = {}
        self.tokens = {}  # id -> (access hash, refresh hash, Token)
        self.documents = documents or {}

    def find_client(self, client_id):
        return self.clients.get(client_id)

    def save_client(self, client):
        self.clients[client.client_id] = client

    def fetch_client_metadata(self, url):
        return self.documents[url]

    def save_code(self, code_hash, code):
        self.codes[code_hash] = code

    def take_code(self, code_hash, client_id):
        code = self.codes.pop(code_hash, None)
        if code and code.client_id == client_id and code.expires_at > time.time():
            return code
        return None

    def save_token(self, access_hash, refresh_hash, token):
        token.id = len(self.tokens) + 1
        self.tokens[token.id] = (access_hash, refresh_hash, token)

    def find_token(self, token_hash, kind):
        index = 0 if kind == "access_token" else 1
        return next((row[2] for row in self.tokens.values() if row[index] == token_hash), None)

    def revoke_token(self, token):
        self.tokens[token.id][2].revoked = True


def request(method, path, query=None, form=None, body=None):
    builder = EnvironBuilder(
        method=method,
        base_url=ISSUER,
        path=path,
        query_string=query,
        data=form if form is not None else (json.dumps(body) if body is not None else None),
        content_type="application/json" if body is not None else None,
    )
    return Request(builder.get_environ())


def authorize_query(**overrides):
    query = {
        "response_type": "code",
        "client_id": "host",
        "redirect_uri": REDIRECT,
        "scope": "read write",
        "state": "xyz",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        "resource": RESOURCE,
    }
    query.update(overrides)
    return {key: value for key, value in query.items() if value is not None}


@pytest.fixture
def server():
    store = MemoryStore()
    store.save_client(oauth.Client("host", "A host", [REDIRECT]))
    return oauth.Server(store, ISSUER, RESOURCE)


def authorize(server, **overrides):
    """Consent given: the query of the redirect back to the host."""
    req = request("GET", "/mcp/oauth/authorize", authorize_query(**overrides))
    grant = server.get_consent_grant(req, end_user=ALICE)
    response = server.create_authorization_response(req, grant_user=ALICE, grant=grant)
    assert response.status == 302
    location = urlsplit(response.location)
    assert "%s://%s%s" % location[:3] == REDIRECT
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def exchange(server, form):
    response = server.create_token_response(request("POST", "/mcp/oauth/token", form=form))
    return response.status, response.body


def code_form(code, **overrides):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "host",
        "code_verifier": VERIFIER,
        "resource": RESOURCE,
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def test_code_flow_with_pkce_issues_a_token_bound_to_user_company_and_audience(server):
    answer = authorize(server)
    assert (answer["state"], answer["iss"]) == ("xyz", ISSUER)
    status, tokens = exchange(server, code_form(answer["code"]))
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["access_token"].startswith(oauth.ACCESS_TOKEN_PREFIX)
    assert tokens["expires_in"] == oauth.ACCESS_TOKEN_TTL
    assert tokens["scope"] == "read write"
    token = server.authenticate(tokens["access_token"])
    assert (token.grantee, token.resource, token.scope) == (ALICE, RESOURCE, "read write")
    # A code works once.
    status, again = exchange(server, code_form(answer["code"]))
    assert (status, again["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"code_verifier": "w" * 64}, "invalid_grant"),
        ({"code_verifier": None}, "invalid_request"),
        ({"resource": "https://other.example.com/mcp"}, "invalid_target"),
        ({"redirect_uri": "http://127.0.0.1:9999/cb"}, "invalid_grant"),
        ({"client_id": "intruder"}, "invalid_client"),
    ],
)
def test_token_requests_that_do_not_match_the_code_are_refused(server, overrides, error):
    code = authorize(server)["code"]
    status, body = exchange(server, code_form(code, **overrides))
    assert (status, body["error"]) == (400, error)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"code_challenge": None, "code_challenge_method": None}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "Unsupported 'code_challenge_method'"),
        ({"resource": "https://other.example.com/mcp"}, "tokens for %s only" % RESOURCE),
        ({"scope": "write"}, "'read' scope"),
        ({"scope": "read admin"}, None),
        ({"redirect_uri": "https://evil.example.com/cb"}, None),
    ],
)
def test_authorization_requests_are_checked_before_any_consent(server, overrides, message):
    req = request("GET", "/mcp/oauth/authorize", authorize_query(**overrides))
    with pytest.raises(oauth.OAuth2Error) as raised:
        server.get_consent_grant(req, end_user=ALICE)
    if message:
        assert message in raised.value.description


def test_refresh_tokens_rotate_and_revocation_ends_the_access(server):
    tokens = exchange(server, code_form(authorize(server)["code"]))[1]
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": "host",
    }
    status, renewed = exchange(server, refresh)
    assert status == 200, renewed
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert server.authenticate(renewed["access_token"]).grantee == ALICE
    status, replayed = exchange(server, refresh)  # the old refresh token was used
    assert (status, replayed["error"]) == (400, "invalid_grant")

    revoke = request(
        "POST",
        "/mcp/oauth/revoke",
        form={"token": renewed["access_token"], "client_id": "host"},
    )
    assert server.create_endpoint_response("revocation", revoke).status == 200
    with pytest.raises(oauth.OAuthFailure, match="revoked"):
        server.authenticate(renewed["access_token"])


def test_refused_access_tokens_say_why(server):
    tokens = exchange(server, code_form(authorize(server)["code"]))[1]
    token = server.authenticate(tokens["access_token"])
    for change, error, status, reason in [
        ({"access_expires_at": time.time() - 1}, "invalid_token", 401, "expired"),
        ({"resource": "https://other.example.com/mcp"}, "invalid_token", 401, "another resource"),
        ({"scope": "write"}, "insufficient_scope", 403, "'read' scope"),
    ]:
        saved = {key: getattr(token, key) for key in change}
        for key, value in change.items():
            setattr(token, key, value)
        with pytest.raises(oauth.OAuthFailure, match=reason) as raised:
            server.authenticate(tokens["access_token"])
        assert (raised.value.error, raised.value.status) == (error, status)
        challenge = server.challenge(raised.value)
        assert (
            'resource_metadata="%s/.well-known/oauth-protected-resource/mcp"' % ISSUER in challenge
        )
        assert 'error="%s"' % error in challenge
        for key, value in saved.items():
            setattr(token, key, value)
    with pytest.raises(oauth.OAuthFailure, match="Unknown"):
        server.authenticate(oauth.ACCESS_TOKEN_PREFIX + "made-up")


def register(server, metadata):
    response = server.create_endpoint_response(
        "client_registration", request("POST", "/mcp/oauth/register", body=metadata)
    )
    return response.status, response.body


def test_dynamic_registration_of_public_and_confidential_clients(server):
    status, public = register(
        server,
        {
            "client_name": "Old host",
            "redirect_uris": [REDIRECT],
            "scope": "read write",
            "token_endpoint_auth_method": "none",
        },
    )
    assert status == 201, public
    assert "client_secret" not in public
    assert server.store.find_client(public["client_id"]).client_name == "Old host"
    status, confidential = register(
        server,
        {
            "redirect_uris": ["https://host.example.com/cb"],
            "token_endpoint_auth_method": "client_secret_post",
        },
    )
    assert status == 201, confidential
    client = server.store.find_client(confidential["client_id"])
    assert client.check_client_secret(confidential["client_secret"])
    assert confidential["client_secret"] not in client.secret_hash
    for uris in (["http://evil.example.com/cb"], [], ["javascript:alert(1)"]):
        status, body = register(server, {"redirect_uris": uris})
        assert status >= 400, (uris, body)


def test_client_id_metadata_documents():
    url = "https://host.example.com/oauth/client.json"
    store = MemoryStore(
        {url: {"client_id": url, "client_name": "Documented", "redirect_uris": [REDIRECT]}}
    )
    server = oauth.Server(store, ISSUER, RESOURCE)
    answer = authorize(server, client_id=url)
    assert store.find_client(url).metadata_url is True
    assert exchange(server, code_form(answer["code"], client_id=url))[0] == 200
    liar = "https://host.example.com/oauth/liar.json"
    store.documents[liar] = dict(store.documents[url])  # names another URL
    with pytest.raises(oauth.OAuth2Error, match="its own URL"):
        server.get_consent_grant(
            request("GET", "/", authorize_query(client_id=liar)), end_user=ALICE
        )


def test_metadata_documents_name_every_endpoint(server):
    metadata = server.metadata()
    assert metadata["issuer"] == ISSUER
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    resource = server.resource_metadata()
    assert (resource["resource"], resource["authorization_servers"]) == (RESOURCE, [ISSUER])
    assert server.resource_metadata_url() == ISSUER + "/.well-known/oauth-protected-resource/mcp"

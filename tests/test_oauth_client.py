"""OAuth sign-in to a real OAuth-protected MCP server (the SDK's, on loopback).

``oauth_mcp_server.py`` is both the authorization server and the protected MCP
server; the test plays the administrator's browser by following the redirect
the authorization server answers with.
"""

import asyncio
import logging
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from conftest import ROOT
from mcp_crew.services import errors, network_policy, oauth_client
from mcp_crew.services.spec import ServerSpec
from mcp_crew.tests.processes import ServerProcess, free_port

OAUTH_SERVER = str(ROOT / "mcp_crew/tests/oauth_mcp_server.py")
REDIRECT_URI = "http://127.0.0.1:8069/mcp_crew/oauth/callback"
NET = oauth_client.Net(network_policy.parse("127.0.0.1"), timeout=10)


@pytest.fixture
def oauth_server():
    started = []

    def start(*options):
        port = free_port()
        server = ServerProcess(
            [sys.executable, OAUTH_SERVER, "--port", str(port), *options], port=port
        ).start()
        started.append(server)
        return "http://127.0.0.1:%d" % port

    yield start
    for server in started:
        server.kill()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def browse(url):
    """The browser: the authorization server approves at once and redirects."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code in (302, 303, 307), response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


def sign_in(base):
    """Discover, register (dynamic), authorize, exchange: ``(discovery, client, tokens)``."""
    discovery = run(oauth_client.discover(base + "/mcp", NET))
    client = run(oauth_client.register(discovery, REDIRECT_URI, NET))
    url, pending = oauth_client.authorization_request(discovery, client, REDIRECT_URI)
    params = browse(url)
    tokens = run(oauth_client.complete_authorization(discovery, client, pending, params, NET))
    return discovery, client, tokens


def spec_with(scope, base, tokens):
    return ServerSpec(
        scope=scope,
        server_id=1,
        name="oauth",
        transport="streamable_http",
        url=base + "/mcp",
        headers=(("Authorization", "Bearer %s" % tokens.access_token),),
        timeout=10,
    )


def stats(base):
    return httpx.get(base + "/test/stats", timeout=10).json()


def test_discovery_finds_the_authorization_server_from_the_401(oauth_server):
    base = oauth_server()
    discovery = run(oauth_client.discover(base + "/mcp", NET))
    assert discovery.issuer == base + "/"
    assert discovery.resource == base + "/mcp"
    assert discovery.authorization_endpoint == base + "/authorize"
    assert discovery.token_endpoint == base + "/token"
    assert discovery.registration_endpoint == base + "/register"
    assert discovery.scope == "mcp"
    assert oauth_client.Discovery.from_json(discovery.to_json()) == discovery


def test_connect_discover_and_call_with_the_token(oauth_server, make_engine, scope, caplog):
    caplog.set_level(logging.DEBUG)
    base = oauth_server()
    discovery, client, tokens = sign_in(base)
    assert client.registration == "dynamic"
    assert client.client_id and tokens.access_token and tokens.refresh_token
    assert tokens.expires_at > time.time() + 3000
    assert stats(base)["codes_exchanged"] == 1
    engine = make_engine()
    spec = spec_with(scope, base, tokens)
    catalog = engine.get_catalog(spec, force=True)["catalog"]
    assert {tool["name"] for tool in catalog["tools"]} == {"whoami", "add"}
    assert engine.call_tool(spec, "whoami", {})["text"] == "alice token #1"
    assert engine.call_tool(spec, "add", {"a": 2, "b": 3})["structured_content"] == {"result": 5}
    _assert_not_logged(caplog.text, tokens, client)


def test_without_a_token_the_server_refuses(oauth_server, make_engine, scope):
    base = oauth_server()
    spec = ServerSpec(
        scope=scope,
        server_id=1,
        name="oauth",
        transport="streamable_http",
        url=base + "/mcp",
        timeout=10,
    )
    with pytest.raises(errors.ServerUnavailable, match="401"):
        make_engine().get_catalog(spec, force=True)


def test_refresh_rotates_the_tokens(oauth_server, make_engine, scope, caplog):
    caplog.set_level(logging.DEBUG)
    base = oauth_server()
    discovery, client, tokens = sign_in(base)
    assert not tokens.due()
    assert tokens.due(now=tokens.expires_at - 60)
    renewed = run(oauth_client.refresh(discovery, client, tokens, NET))
    assert renewed.access_token != tokens.access_token
    assert renewed.refresh_token != tokens.refresh_token
    assert stats(base)["refreshed"] == 1
    engine = make_engine()
    assert (
        engine.call_tool(spec_with(scope, base, renewed), "whoami", {}, tool={"name": "whoami"})[
            "text"
        ]
        == "alice token #2"
    )
    # The rotated-out refresh token is refused: that is "needs sign-in".
    with pytest.raises(errors.SignInRequired, match="invalid_grant"):
        run(oauth_client.refresh(discovery, client, tokens, NET))
    _assert_not_logged(caplog.text, tokens, client)
    _assert_not_logged(caplog.text, renewed, client)


def test_revoked_tokens_need_sign_in(oauth_server, make_engine, scope):
    base = oauth_server()
    discovery, client, tokens = sign_in(base)
    httpx.post(base + "/test/revoke-all", timeout=10)
    with pytest.raises(errors.ServerUnavailable, match="401"):
        make_engine().get_catalog(spec_with(scope, base, tokens), force=True)
    with pytest.raises(errors.SignInRequired) as raised:
        run(oauth_client.refresh(discovery, client, tokens, NET))
    assert tokens.refresh_token not in str(raised.value)


def test_revoke_at_disconnect(oauth_server, make_engine, scope):
    base = oauth_server()
    discovery, client, tokens = sign_in(base)
    assert run(oauth_client.revoke(discovery, client, tokens, NET))
    with pytest.raises(errors.SignInRequired):
        run(oauth_client.refresh(discovery, client, tokens, NET))


def test_a_redirect_from_another_issuer_is_refused(oauth_server):
    base = oauth_server("--wrong-iss")
    discovery = run(oauth_client.discover(base + "/mcp", NET))
    client = run(oauth_client.register(discovery, REDIRECT_URI, NET))
    url, pending = oauth_client.authorization_request(discovery, client, REDIRECT_URI)
    params = browse(url)
    assert params["iss"] == "http://attacker.invalid/"
    with pytest.raises(errors.SignInFailed, match="RFC 9207"):
        run(oauth_client.complete_authorization(discovery, client, pending, params, NET))
    # The code was never sent anywhere.
    assert stats(base)["codes_exchanged"] == 0


def test_metadata_naming_another_issuer_is_refused(oauth_server):
    base = oauth_server("--metadata-issuer", "http://attacker.invalid/")
    with pytest.raises(errors.SignInFailed, match="issuer mismatch"):
        run(oauth_client.discover(base + "/mcp", NET))


def test_the_callback_checks_state_expiry_and_missing_iss(oauth_server):
    base = oauth_server()
    discovery = run(oauth_client.discover(base + "/mcp", NET))
    client = run(oauth_client.register(discovery, REDIRECT_URI, NET))
    url, pending = oauth_client.authorization_request(discovery, client, REDIRECT_URI)
    params = browse(url)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["code_challenge_method"] == "S256"
    assert query["resource"] == base + "/mcp"
    assert query["redirect_uri"] == REDIRECT_URI
    with pytest.raises(errors.SignInFailed, match="state"):
        oauth_client.check_callback(discovery, pending, dict(params, state="forged"))
    expired = oauth_client.Pending(pending.state, pending.code_verifier, REDIRECT_URI, 1.0)
    with pytest.raises(errors.SignInFailed, match="too long"):
        oauth_client.check_callback(discovery, expired, params)
    strict = oauth_client.Discovery(**dict(discovery.__dict__, iss_parameter_supported=True))
    without_iss = {key: value for key, value in params.items() if key != "iss"}
    with pytest.raises(errors.SignInFailed, match="does not name its issuer"):
        oauth_client.check_callback(strict, pending, without_iss)
    with pytest.raises(errors.SignInFailed, match="access_denied"):
        oauth_client.check_callback(
            discovery,
            pending,
            {"state": pending.state, "iss": params["iss"], "error": "access_denied"},
        )


def test_the_oauth_requests_obey_the_network_policy(oauth_server):
    base = oauth_server()
    closed = oauth_client.Net(network_policy.NetworkPolicy(), timeout=5)
    with pytest.raises(errors.OAuthUnavailable, match="not allowed"):
        run(oauth_client.discover(base + "/mcp", closed))


def test_registration_prefers_a_typed_client_then_a_metadata_document(oauth_server):
    base = oauth_server()
    discovery = run(oauth_client.discover(base + "/mcp", NET))
    typed = oauth_client.Client("typed-id", "typed-secret-123", "client_secret_post")
    assert run(oauth_client.register(discovery, REDIRECT_URI, NET, manual=typed)) is typed
    document_url = "https://odoo.example.com/mcp_crew/oauth/client.json"
    supporting = oauth_client.Discovery(
        **dict(discovery.__dict__, client_id_metadata_document_supported=True)
    )
    client = run(oauth_client.register(supporting, REDIRECT_URI, NET, document_url=document_url))
    assert (client.client_id, client.registration) == (document_url, "metadata_document")
    # Served over plain http the document is not used: dynamic registration.
    plain = document_url.replace("https:", "http:")
    client = run(oauth_client.register(supporting, REDIRECT_URI, NET, document_url=plain))
    assert client.registration == "dynamic"
    # The server does not support documents: dynamic registration.
    client = run(oauth_client.register(discovery, REDIRECT_URI, NET, document_url=document_url))
    assert client.registration == "dynamic"
    closed = oauth_client.Discovery(**dict(discovery.__dict__, registration_endpoint=""))
    with pytest.raises(errors.SignInFailed, match="type its client id"):
        run(oauth_client.register(closed, REDIRECT_URI, NET))
    document = oauth_client.metadata_document(document_url, REDIRECT_URI)
    assert document["client_id"] == document_url
    assert document["redirect_uris"] == [REDIRECT_URI]
    assert document["token_endpoint_auth_method"] == "none"


def test_reprs_hold_no_secret():
    tokens = oauth_client.Tokens("access-token-value", "refresh-token-value", 5.0)
    client = oauth_client.Client("cid", "client-secret-value", "client_secret_post")
    assert "value" not in repr(tokens) + repr(client)


def _assert_not_logged(text, tokens, client):
    for secret in (tokens.access_token, tokens.refresh_token, client.client_secret):
        if secret:
            assert secret not in text

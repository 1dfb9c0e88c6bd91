"""The outbound network policy: where MCP servers may be reached, redirects, errors."""

import asyncio
import socket
import threading

import httpx
import pytest

from conftest import http_spec
from mcp_crew.services import network_policy
from mcp_crew.services.errors import ConfigurationError, DestinationRefused, ServerUnavailable
from mcp_crew.services.mcp_client import describe_failure
from mcp_crew.services.network_policy import GuardedTransport, NetworkPolicy
from mcp_crew.services.settings import EngineSettings
from mcp_crew.tests.processes import Listener


@pytest.fixture
def listener():
    started = []

    def start(**kwargs):
        server = Listener(**kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::",
        "::ffff:127.0.0.1",  # v4-mapped loopback
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_non_public_addresses_are_refused_by_default(address):
    with pytest.raises(DestinationRefused, match="allowed_hosts"):
        NetworkPolicy().check_addresses("target", 80, [address])


def test_public_addresses_pass():
    NetworkPolicy().check_addresses("example.com", 443, ["93.184.216.34", "2606:2800:220:1::"])


def test_a_name_resolving_to_public_and_private_addresses_is_refused():
    with pytest.raises(DestinationRefused):
        NetworkPolicy().check_addresses("mixed", 443, ["93.184.216.34", "10.0.0.1"])


def test_allowed_hosts_entries_names_networks_and_ports():
    policy = network_policy.parse(
        "mcp-demo:8000, 10.0.5.0/24, localhost, [::1]:9000, 127.0.0.1:8069"
    )
    policy.check_addresses("mcp-demo", 8000, ["172.18.0.5"])
    with pytest.raises(DestinationRefused):
        policy.check_addresses("mcp-demo", 5432, ["172.18.0.5"])
    with pytest.raises(DestinationRefused):
        policy.check_addresses("db", 8000, ["172.18.0.5"])
    policy.check_addresses("anything", 1234, ["10.0.5.77"])
    with pytest.raises(DestinationRefused):
        policy.check_addresses("anything", 1234, ["10.0.6.1"])
    policy.check_addresses("localhost", 6379, ["127.0.0.1"])
    policy.check_addresses("x", 9000, ["::1"])
    policy.check_addresses("127.0.0.1", 8069, ["127.0.0.1"])
    with pytest.raises(DestinationRefused):
        policy.check_addresses("127.0.0.1", 5432, ["127.0.0.1"])


@pytest.mark.parametrize("entry", ["http://x", "a/b", "host:port", "*.corp"])
def test_bad_allowed_hosts_entries_are_configuration_errors(entry):
    with pytest.raises(ConfigurationError):
        EngineSettings(allowed_hosts=entry).validate()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x", "http://"]
)
def test_only_http_and_https_urls(url):
    with pytest.raises(ConfigurationError):
        NetworkPolicy().check_url(url)


def test_settings_read_allowed_hosts_from_the_environment():
    settings = EngineSettings.from_sources({}, {"MCP_CREW_ALLOWED_HOSTS": "10.0.0.0/8"})
    settings.network_policy.check_addresses("h", 80, ["10.9.9.9"])


def test_engine_refuses_a_loopback_server_without_connecting(make_engine, scope):
    engine = make_engine(allowed_hosts="")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        port = sock.getsockname()[1]
        for url in ("http://127.0.0.1:%d/mcp" % port, "http://localhost:%d/mcp" % port):
            spec = http_spec(scope, 1, url, timeout=3)
            with pytest.raises(ServerUnavailable) as caught:
                engine.refresh(spec)
            assert "is not allowed" in str(caught.value)
            with pytest.raises(ServerUnavailable) as caught:
                engine.test_connection(spec)
            assert "is not allowed" in str(caught.value)
            engine.breakers.reset(scope, 1)
        with pytest.raises(BlockingIOError):
            sock.accept()  # nothing ever connected


def test_probe_errors_do_not_tell_what_listens(make_engine, scope, listener):
    """An allowed destination that is not an MCP server: no exception class, no peer text."""
    engine = make_engine()
    messages = set()
    with socket.socket() as raw:  # accepts, then closes: looks like a non-HTTP service
        raw.bind(("127.0.0.1", 0))
        raw.listen()
        port = raw.getsockname()[1]

        def close_at_once():
            conn, _addr = raw.accept()
            conn.close()

        threading.Thread(target=close_at_once, daemon=True).start()
        with pytest.raises(ServerUnavailable) as caught:
            engine.refresh(http_spec(scope, 1, "http://127.0.0.1:%d/mcp" % port, timeout=3))
        messages.add(str(caught.value).split(": ", 1)[1])
    for reason in messages:
        assert "Error" not in reason, reason
        assert reason == "connection failed"


def test_describe_failure_hides_exception_classes():
    request = httpx.Request("GET", "http://127.0.0.1:5432/")
    for exc in (
        httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        ),
        httpx.ReadError("boom", request=request),
        ConnectionResetError(104, "reset"),
    ):
        assert describe_failure(exc) == "connection failed"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_credentials_never_follow_a_redirect_to_another_origin(listener):
    """Even a client that follows redirects: headers configured for the server
    stay on its origin; the next host gets the request without them."""
    elsewhere = listener(reply=(200, {}, b"{}"))
    home = listener(reply=(307, {"Location": elsewhere.url}, b""))
    headers = {"Authorization": "Bearer s3cr3t-token-1", "X-Api-Key": "s3cr3t-key-2"}

    async def main():
        transport = GuardedTransport(network_policy.parse("127.0.0.1"), home.url, headers)
        async with httpx.AsyncClient(
            headers=headers, transport=transport, follow_redirects=True
        ) as client:
            return await client.post(home.url, json={})

    response = run(main())
    assert response.status_code == 200
    assert home.requests[0]["Authorization"] == "Bearer s3cr3t-token-1"
    assert len(elsewhere.requests) == 1
    received = {name.lower() for name in elsewhere.requests[0]}
    assert "authorization" not in received
    assert "x-api-key" not in received


def test_a_redirect_to_a_refused_host_is_not_followed(listener):
    home = listener(reply=(302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""))

    async def main():
        policy = network_policy.parse("127.0.0.1")
        async with httpx.AsyncClient(
            transport=GuardedTransport(policy, home.url), follow_redirects=True
        ) as client:
            return await client.get(home.url)

    with pytest.raises(DestinationRefused):
        run(main())


def test_mcp_redirect_to_another_host_sends_no_credentials(make_engine, scope, listener):
    """The real transport: the server's URL answers 307 to a listener on
    another port; the listener never sees the Authorization header."""
    engine = make_engine()
    elsewhere = listener()
    home = listener(reply=(307, {"Location": elsewhere.url}, b""))
    spec = http_spec(
        scope, 1, home.url, timeout=3, headers=(("Authorization", "Bearer s3cr3t-token-3"),)
    )
    with pytest.raises(ServerUnavailable):
        engine.refresh(spec)
    assert home.requests, "the configured server was contacted"
    for headers in elsewhere.requests:
        assert "authorization" not in {name.lower() for name in headers}

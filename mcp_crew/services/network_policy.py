"""Where the engine may open HTTP connections to MCP servers.

Only ``http`` and ``https``. A destination whose addresses are all public
(``ipaddress``' ``is_global``) is allowed; loopback, private, link-local,
shared, reserved, multicast and unspecified addresses are refused unless an
administrator allows them in ``[mcp_crew] allowed_hosts`` (odoo.conf or
``MCP_CREW_ALLOWED_HOSTS``): a comma-separated list of host names, IP
addresses or networks, each optionally with ``:port`` — e.g.
``mcp-demo:8000, 10.0.5.0/24, localhost:8069``.

The host is resolved once per connection, checked, and the connection is made
to the checked address (so a name cannot resolve to something else between the
check and the connect). Every request is checked, redirects and the endpoint an
SSE server announces included, and the credentials configured for a server are
only sent to that server's origin. A refusal names the host, never what (if
anything) listens there: a manager cannot use a server record to probe the
internal network.
"""

import dataclasses
import functools
import ipaddress
import socket
from urllib.parse import urlsplit

import anyio
import httpx

from .errors import ConfigurationError, DestinationRefused

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclasses.dataclass(frozen=True)
class AllowedEntry:
    """One ``allowed_hosts`` entry: a host name or an IP network, maybe a port."""

    host: str = ""
    network: object = None  # ipaddress.IPv4Network / IPv6Network
    port: int = None

    def matches(self, host, port, address):
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        return host == self.host


def _parse_entry(text):
    entry = text.strip()
    port = None
    if entry.startswith("["):  # [v6]:port
        inner, _sep, rest = entry[1:].partition("]")
        entry = inner
        if rest:
            port = rest.lstrip(":")
    elif entry.count(":") == 1:  # v4 / name with a port; bare v6 has several colons
        entry, port = entry.split(":")
    try:
        port = int(port) if port not in (None, "") else None
    except ValueError as err:
        raise ConfigurationError("mcp_crew allowed_hosts: bad port in %r" % text) from err
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        network = None  # a host name
    if network is not None:
        return AllowedEntry(network=network, port=port)
    host = entry.lower().rstrip(".")
    if not host or any(char in host for char in "/@?#* "):
        raise ConfigurationError("mcp_crew allowed_hosts: %r is not a host or network" % text)
    return AllowedEntry(host=host, port=port)


def _public(address):
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


@functools.lru_cache(maxsize=32)
def parse(text):
    """The policy of an ``allowed_hosts`` setting (cached: settings are strings)."""
    return NetworkPolicy(
        tuple(_parse_entry(part) for part in (text or "").split(",") if part.strip())
    )


@dataclasses.dataclass(frozen=True)
class NetworkPolicy:
    allowed: tuple = ()

    def check_url(self, url):
        """``(scheme, host, port)`` of an http(s) URL; raises ConfigurationError otherwise."""
        parts = urlsplit(url or "")
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ConfigurationError("%r is not an http(s) URL" % (url,))
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as err:
            raise ConfigurationError("%r has an invalid port" % (url,)) from err
        return parts.scheme, parts.hostname.lower().rstrip("."), port

    def check_addresses(self, host, port, addresses):
        """Raise :class:`DestinationRefused` unless every address may be reached."""
        if not addresses:
            raise DestinationRefused(host, "it does not resolve")
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if _public(address):
                continue
            if any(entry.matches(host, port, address) for entry in self.allowed):
                continue
            raise DestinationRefused(
                host,
                "private, loopback or link-local address (an administrator can allow it "
                "in [mcp_crew] allowed_hosts)",
            )

    async def resolve(self, host, port):
        """The checked addresses ``host`` resolves to (literal IPs as they are)."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as err:
                raise DestinationRefused(host, "it does not resolve") from err
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
        self.check_addresses(host, port, addresses)
        return addresses

    async def check(self, url):
        scheme, host, port = self.check_url(url)
        return await self.resolve(host, port)


def origin(url):
    url = httpx.URL(url)
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that applies a :class:`NetworkPolicy` to every request.

    The request goes to the address that was checked (the ``Host`` header and the
    TLS server name stay the original host's). ``credential_headers`` — the
    header names configured on the server — are removed from any request that
    leaves ``home_url``'s origin.
    """

    def __init__(self, policy, home_url, credential_headers=()):
        self.policy = policy
        self.home = origin(home_url)
        self.credential_headers = tuple(credential_headers)
        # No proxy from the environment: the policy must see the real destination.
        self._inner = httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request):
        scheme, host, port = self.policy.check_url(str(request.url))
        addresses = await self.policy.resolve(host, port)
        headers = request.headers.copy()
        if (scheme, host, port) != self.home:
            for name in self.credential_headers:
                headers.pop(name, None)
        extensions = dict(request.extensions)
        if scheme == "https":
            extensions.setdefault("sni_hostname", host)
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=addresses[0]),
            headers=headers,
            stream=request.stream,
            extensions=extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self):
        await self._inner.aclose()


def guarded_client_factory(policy, home_url, credential_headers):
    """An ``McpHttpClientFactory`` (the SDK's signature) building guarded clients."""

    def factory(headers=None, timeout=None, auth=None):
        return httpx.AsyncClient(
            headers=headers,
            timeout=timeout,
            auth=auth,
            trust_env=False,
            transport=GuardedTransport(policy, home_url, credential_headers),
        )

    return factory
